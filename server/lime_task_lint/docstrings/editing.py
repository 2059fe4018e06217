"""Docstring edits on a :class:`~lime_task_lint.document.SourceDocument`.

The engine in this package works on syntax trees and literal text; this
module turns its answers into :class:`~lime_task_lint.edits.Edit` objects for
the LIME401/LIME403 fixes, the "Generate docstring" code action and the
``lime-task-lint.generateDocstring`` command, so that all of them insert and
update docstrings the same way:

* a new docstring goes on the line after the ``def`` header (after its ``:``),
  so a comment that opens the body stays with the code it describes;
* it is indented like the body (tabs or spaces, as the file has them), uses
  the document's line ending, and the quote style of the file's other
  docstrings (``\"\"\"`` unless the file uses ``'''``);
* a one-line function (``def f(): return 1``) gets its body moved to its own
  line below the docstring.

It also decides which functions LIME401 asks a docstring of
(:func:`is_tasks_module`, :func:`is_public_function`).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, TypeVar, Union

from ..checker import tree_cache
from ..edits import Edit, indent_unit
from . import RaiseAnalysis, docstring_node, generate_docstring, update_docstring
from ._text import TASK_APP

if TYPE_CHECKING:
    from ..document import SourceDocument
    from ..model import FunctionInfo

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
T = TypeVar("T")

_PER_TREE: dict[tuple[int, str], tuple[ast.AST, object]] = {}


def per_tree(tree: ast.AST, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per (syntax tree, key), shared by every rule and finding
    of one analysis (the tree object is kept alive with the value, so an id is
    never reused while its entry exists)."""
    cached = _PER_TREE.get((id(tree), key))
    if cached is not None and cached[0] is tree:
        return cached[1]  # type: ignore[return-value]
    value = compute()
    if len(_PER_TREE) > 64:
        _PER_TREE.clear()
    _PER_TREE[(id(tree), key)] = (tree, value)
    return value


@tree_cache
def _release(tree: ast.AST) -> None:
    """Drop ``tree``'s entries once its analysis is done (a cached value keeps its
    tree alive; the chunked analysis of a large file relies on batches' trees
    being freed)."""
    for key in [k for k, v in list(_PER_TREE.items()) if v[0] is tree]:
        _PER_TREE.pop(key, None)


def raise_analysis(tree: ast.Module) -> RaiseAnalysis:
    """One shared :class:`RaiseAnalysis` per syntax tree."""
    return per_tree(tree, "docstrings.raises", lambda: RaiseAnalysis(tree))


# -- which functions need a docstring (LIME401) --------------------------------------

_TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest)\.py$")


def is_tasks_module(path: str | None) -> bool:
    """Whether the file at ``path`` is a *tasks module*: a module of a ``tasks``
    package, i.e. a directory of its path is named ``tasks``.

    That is the layout ``lime-project generate tasks`` creates
    (``<package>/tasks/__init__.py`` and ``<package>/tasks/tasks.py``), where the
    task handler looks for task modules.  Test files in that package
    (``test_*.py``, ``*_test.py``, ``conftest.py``) are not tasks modules.  It
    depends on the path only, never on what other functions of the file are,
    so a finding on one function never changes when another function is edited.
    """
    if not path:
        return False
    parts = PurePath(path.replace("\\", "/")).parts
    if len(parts) < 2 or _TEST_FILE.match(parts[-1]):
        return False
    return "tasks" in parts[:-1]


def is_public_function(info: FunctionInfo) -> bool:
    """A module-level function (not a method, not nested) whose name does not
    start with an underscore."""
    return info.parent is None and info.class_name is None and not info.name.startswith("_")


def needs_docstring(info: FunctionInfo, path: str | None) -> bool:
    return info.is_task or (is_public_function(info) and is_tasks_module(path))


# -- where a function's pieces are --------------------------------------------------

def name_range(document: SourceDocument, func: Function) -> tuple[int, int]:
    """Offsets of the function's name in its ``def`` line (the whole ``def`` line
    when the name is not on it, e.g. after a backslash continuation)."""
    index = document.index
    line = func.lineno - 1
    text = index.line_text(line)
    match = re.search(r"\bdef\s+(" + re.escape(func.name) + r")\b", text)
    start = index.line_starts[line]
    if match is None:
        stripped = len(text) - len(text.lstrip())
        return start + stripped, start + len(text)
    return start + match.start(1), start + match.end(1)


def header_range(document: SourceDocument, func: Function) -> tuple[int, int]:
    """From the start of the ``def`` line to the ``:`` ending the header."""
    index = document.index
    start = index.line_starts[func.lineno - 1]
    colon = _header_colon(document, func)
    end = colon + 1 if colon is not None else index.node_range(func.body[0])[0]
    return start, max(start, end)


def _header_colon(document: SourceDocument, func: Function) -> int | None:
    """Offset of the ``:`` that ends the ``def`` header (tokenized: a ``:`` in an
    annotation, a default, a lambda or a comment is not it)."""
    index = document.index
    first = func.lineno - 1
    body_start = index.node_range(func.body[0])[0]
    segment_start = index.line_starts[first]
    segment = document.text[segment_start:body_start]
    depth = 0
    colon: int | None = None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    line_offsets = [0]
    for line in io.StringIO(segment).readlines():
        line_offsets.append(line_offsets[-1] + len(line))
    for token in tokens:
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == ":" and depth == 0 and token.start[0] - 1 < len(line_offsets):
            colon = line_offsets[token.start[0] - 1] + token.start[1]
            break  # the first top-level ':' after `def`: lambdas sit inside brackets
    if colon is None:
        return None
    return segment_start + colon


def _line_end(document: SourceDocument, offset: int) -> int:
    """Offset of the start of the line after the one holding ``offset``."""
    index = document.index
    line = index.line_of(offset)
    return index.line_starts[line + 1] if line + 1 < index.line_count else len(document.text)


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _literal_quote(document: SourceDocument, node: ast.AST) -> str | None:
    body = getattr(node, "body", None)
    if body and isinstance(body, list) and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        literal = document.node_text(body[0].value).lstrip("rRuUbB")
        if literal.startswith("'''"):
            return "'''"
        if literal.startswith('"""'):
            return '"""'
    return None


def _quote(document: SourceDocument, tree: ast.Module, func: Function) -> str:
    """``'''`` when the file's docstrings use it, else ``\"\"\"``: the module
    docstring decides, else the docstrings of the class around ``func`` and of
    its methods.  Other top-level functions are not looked at, so the fix for
    one function never depends on another one's text (incremental analysis
    re-runs a function's rules without the unrelated functions)."""
    found = per_tree(tree, "docstrings.quote", lambda: _literal_quote(document, tree) or "")
    if found:
        return found
    line = func.lineno
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            for node in [stmt, *stmt.body]:
                quote = _literal_quote(document, node) if isinstance(node, (ast.ClassDef, *FUNCS)) else None
                if quote:
                    return quote
            break
    return '"""'


# -- the edits ----------------------------------------------------------------------

def known_descriptions(info: FunctionInfo | None) -> dict[str, str]:
    """Descriptions the model knows for ``info``'s parameters: a parameter that
    holds the Lime application (a task's first one, or a helper's that receives
    it) is "The Lime application."."""
    if info is None:
        return {}
    return {a.arg: TASK_APP for a in info.params
            if (role := info.names.get(a.arg)) is not None and role.kind == "app"}


def generate_edit(document: SourceDocument, tree: ast.Module, func: Function, *, style: str,
                  is_task: bool, is_method: bool, described: dict[str, str] | None = None) -> Edit | None:
    """An edit inserting a generated docstring into ``func`` (which has none)."""
    if not func.body:
        return None
    index = document.index
    newline = document.newline
    colon = _header_colon(document, func)
    first = func.body[0]
    body_start = index.node_range(first)[0]
    def_indent = _leading(index.line_text(func.lineno - 1))
    if colon is not None and index.line_of(colon) == index.line_of(body_start):
        # `def f(): return 1`: the body moves to its own line under the docstring.
        indent = def_indent + indent_unit(document.text)
        literal = generate_docstring(func, tree, style=style, is_task=is_task, is_method=is_method,  # type: ignore[arg-type]
                                     indent=indent, newline=newline, quote=_quote(document, tree, func),
                                     analysis=raise_analysis(tree), described=described)
        return Edit(colon + 1, body_start, newline + indent + literal + newline + indent)
    body_line = index.line_text(index.line_of(body_start))
    indent = _leading(body_line)
    if len(indent) <= len(def_indent):
        indent = def_indent + indent_unit(document.text)
    literal = generate_docstring(func, tree, style=style, is_task=is_task, is_method=is_method,  # type: ignore[arg-type]
                                 indent=indent, newline=newline, quote=_quote(document, tree, func),
                                 analysis=raise_analysis(tree), described=described)
    at = _line_end(document, colon) if colon is not None else index.line_starts[index.line_of(body_start)]
    return Edit(at, at, indent + literal + newline)


def update_edit(document: SourceDocument, tree: ast.Module, func: Function, *, style: str,
                is_task: bool, is_method: bool, prune_raises: bool = False,
                described: dict[str, str] | None = None) -> Edit | None:
    """An edit bringing ``func``'s docstring up to date, or None when it is."""
    node = docstring_node(func)
    if node is None:
        return None
    index = document.index
    start, end = index.node_range(node)
    indent = _leading(index.line_text(index.line_of(start)))
    try:
        updated = update_docstring(document.text[start:end], func, tree, style=style,  # type: ignore[arg-type]
                                   is_task=is_task, is_method=is_method, indent=indent,
                                   newline=document.newline, prune_raises=prune_raises,
                                   analysis=raise_analysis(tree), described=described)
    except ValueError:  # an f-string, bytes or implicitly concatenated "docstring"
        return None
    if updated is None:
        return None
    return Edit(start, end, updated)


def docstring_edit(document: SourceDocument, tree: ast.Module, func: Function, *, style: str,
                   is_task: bool, is_method: bool, described: dict[str, str] | None = None) -> Edit | None:
    """Generate a docstring when ``func`` has none, else update the one it has
    (keeping documented exceptions the analysis cannot see)."""
    if docstring_node(func) is None:
        return generate_edit(document, tree, func, style=style, is_task=is_task, is_method=is_method,
                             described=described)
    return update_edit(document, tree, func, style=style, is_task=is_task, is_method=is_method,
                       described=described)


def function_at(document: SourceDocument, tree: ast.Module, offset: int, end: int | None = None,
                *, in_body: bool = False) -> Function | None:
    """The innermost function whose header (from the start of its ``def`` line to
    the ``:`` of the header; decorators excluded) holds ``offset`` and ``end``;
    with ``in_body``, else the innermost function whose text holds them.

    Only the top-level statement around ``offset`` is walked, found by line."""
    end = offset if end is None else end
    index = document.index
    line = index.line_of(offset) + 1
    end_line = index.line_of(end) + 1
    top = None
    for stmt in tree.body:
        if stmt.lineno <= line and end_line <= (getattr(stmt, "end_lineno", None) or stmt.lineno):
            top = stmt
            break
    if top is None:
        return None
    best: Function | None = None
    for node in ast.walk(top):
        if not isinstance(node, FUNCS) or not node.body:
            continue
        if not node.lineno <= line <= (node.end_lineno or node.lineno):
            continue
        head_start, head_end = header_range(document, node)
        if head_start <= offset and end <= head_end:
            return node  # headers do not nest: this is the one
        if in_body:
            start, stop = document.node_range(node)
            if start <= offset and end <= stop and (best is None or node.lineno >= best.lineno):
                best = node
    return best
