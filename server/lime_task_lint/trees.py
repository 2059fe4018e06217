"""Syntax-tree helpers every analysis module shares, kept free of the analysis
itself so that importing them (the workspace does, on every CLI start, also when
every result comes from the cache) loads no rule code."""

from __future__ import annotations

import ast
import logging
from collections import deque
from typing import Iterator

log = logging.getLogger(__name__)
_AST = ast.AST


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``walk(node)`` in the same (breadth-first) order, about twice
    as fast: the analysis walks function bodies many times, and ``ast.walk``'s
    nested generators were the largest single cost on large files."""
    todo = deque([node])
    pop, push, extend = todo.popleft, todo.append, todo.extend
    instance, ast_type, list_type = isinstance, _AST, list
    while todo:
        node = pop()
        for name in node._fields:
            try:
                value = getattr(node, name)
            except AttributeError:
                continue
            if instance(value, list_type):
                extend([item for item in value if instance(item, ast_type)])
            elif instance(value, ast_type):
                push(value)
        yield node


#: Functions that drop what a module-level cache keeps for one syntax tree.
_TREE_CACHE_RELEASERS: list = []


def tree_cache(release):
    """Register ``release(tree)``: called when the analysis of ``tree`` is done.

    Rules share work per syntax tree in module-level caches (parent maps, name
    uses, raise analyses); an entry keeps its tree alive.  The server's chunked
    analysis parses a large file one batch at a time so the whole file's tree
    never exists at once, which those caches defeated (50,000 lines: 142 MB peak
    in-process, 75 MB once each batch's entries are dropped)."""
    _TREE_CACHE_RELEASERS.append(release)
    return release


def release_tree_caches(tree) -> None:
    for release in _TREE_CACHE_RELEASERS:
        try:
            release(tree)
        except Exception:  # a cache that cannot be cleaned costs memory, never findings
            log.debug("releasing a tree cache failed", exc_info=True)


#: The attribute of a syntax tree's root that holds its node table (see ``nodes_of``):
#: node class -> ([position in walk order], [node]).  Kept on the tree itself, so
#: it lives exactly as long as the tree (a module-level cache kept trees alive);
#: positions and nodes are two lists, not pairs (100,000 small tuples made the
#: garbage collector's passes over a large tree costlier than the walks saved).
_NODE_TABLE = "_lime_node_table"


def nodes_of(tree: ast.AST, *kinds: type) -> list[ast.AST]:
    """The nodes under ``tree`` (the root itself excluded) whose class is one of
    ``kinds``, in ``walk(tree)`` (breadth-first) order, as a new list.

    The module-wide questions of the analysis ("every call", "every import", "every
    loaded name") read one table per tree, made by one walk, instead of walking
    the whole module once each (a 10,000-line module was walked whole about eight
    times per analysis).  ``kinds`` are concrete node classes, matched exactly
    (``ast.Call``, not ``ast.expr``): the parser makes no subclasses of them.
    The table is made on the first question and kept on the root: the tree must
    not be changed afterwards (the analysis never changes a tree it reads)."""
    table = tree.__dict__.get(_NODE_TABLE)
    if table is None:
        index_nodes(tree)
        table = tree.__dict__[_NODE_TABLE]
    groups = [table[kind] for kind in kinds if kind in table]
    if len(groups) <= 1:
        return list(groups[0][1]) if groups else []
    order = sorted((position, number, index) for number, (positions, _) in enumerate(groups)
                   for index, position in enumerate(positions))
    return [groups[number][1][index] for _, number, index in order]


def index_nodes(tree: ast.AST) -> int:
    """Make the node table of ``tree`` (see ``nodes_of``) and return how many levels
    lie below it (a module of one ``pass``: 1).  The parser asks for the depth of
    every tree it returns (``document._without_deep_statements``): one level-by-level
    walk answers both, where a separate depth walk cost 3-4 % of an analysis."""
    table: dict[type, tuple[list[int], list[ast.AST]]] = {}
    get = table.get
    instance, ast_type, list_type = isinstance, _AST, list
    level: list[ast.AST] = [tree]
    depth = position = 0
    while True:
        below: list[ast.AST] = []
        extend, push = below.extend, below.append
        for current in level:
            for name in current._fields:
                try:
                    value = getattr(current, name)
                except AttributeError:
                    continue
                if instance(value, list_type):
                    extend([item for item in value if instance(item, ast_type)])
                elif instance(value, ast_type):
                    push(value)
        if not below:
            break
        depth += 1
        # Level by level, children in field order: the order of ``walk`` (breadth first).
        for node in below:
            found = get(type(node))
            if found is None:
                table[type(node)] = ([position], [node])
            else:
                found[0].append(position)
                found[1].append(node)
            position += 1
        level = below
    tree.__dict__[_NODE_TABLE] = table
    return depth
