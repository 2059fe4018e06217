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
