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


#: id(tree) -> (tree, node class -> ([position in walk order], [node])); see ``nodes_of``.
#: Positions and nodes are kept in two lists, not as pairs: 100,000 small tuples
#: made the garbage collector's passes over a large module's tree costlier than
#: the walks they save.
_TABLES: dict[int, tuple[ast.AST, dict[type, tuple[list[int], list[ast.AST]]]]] = {}


def nodes_of(tree: ast.AST, *kinds: type) -> list[ast.AST]:
    """The nodes of ``tree`` whose class is one of ``kinds``, in ``walk(tree)``
    (breadth-first) order (a new list).

    The module-wide questions of the analysis ("every call", "every import", "every
    loaded name") read one table per tree, made by one walk, instead of walking
    the whole module once each (a 10,000-line module was walked whole about eight
    times per analysis).  ``kinds`` are concrete node classes, matched exactly
    (``ast.Call``, not ``ast.expr``): the parser makes no subclasses of them.
    The table lives until the tree's analysis is done (``release_tree_caches``)."""
    cached = _TABLES.get(id(tree))
    if cached is None or cached[0] is not tree:
        table: dict[type, tuple[list[int], list[ast.AST]]] = {}
        get = table.get
        for position, node in enumerate(walk(tree)):
            found = get(type(node))
            if found is None:
                table[type(node)] = ([position], [node])
            else:
                found[0].append(position)
                found[1].append(node)
        if len(_TABLES) > 64:
            _TABLES.clear()
        cached = _TABLES[id(tree)] = (tree, table)
    table = cached[1]
    groups = [table[kind] for kind in kinds if kind in table]
    if len(groups) <= 1:
        return list(groups[0][1]) if groups else []
    order = sorted((position, number, index) for number, (positions, _) in enumerate(groups)
                   for index, position in enumerate(positions))
    return [groups[number][1][index] for _, number, index in order]


@tree_cache
def _release_table(tree: ast.AST) -> None:
    cached = _TABLES.get(id(tree))
    if cached is not None and cached[0] is tree:
        del _TABLES[id(tree)]
