"""A source document parsed once, with recovery for code that is being edited.

A user mid-edit leaves a file that does not parse.  Reporting nothing would make
the diagnostics flicker off on every keystroke, so a broken file is split into
its top-level statements with parso (which recovers from syntax errors), each
statement that parses on its own is kept, and the analysis runs on the module
made of those.  A class whose body is broken keeps the methods that parse.
"""

from __future__ import annotations

import ast
import io
import sys
import textwrap
from dataclasses import dataclass, field
from functools import cached_property

from .edits import BOM, LineIndex, detect_newline


@dataclass
class RecoveredModule:
    tree: ast.Module
    #: (first line, last line), 1-based, of statements that could not be parsed.
    broken_ranges: list[tuple[int, int]] = field(default_factory=list)
    error: str | None = None


def _parse(text: str) -> ast.Module:
    return parse_module(text)


def parse_module(text: str) -> ast.Module:
    """``ast.parse``, retried when CPython 3.11's AST conversion trips over another
    thread converting at the same time (jedi's worker parses workspace files):
    ``SystemError: AST constructor recursion depth mismatch`` is transient."""
    for _ in range(3):
        try:
            return ast.parse(text, type_comments=False)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc):
                raise
    return ast.parse(text, type_comments=False)


def recover_module(text: str) -> RecoveredModule:
    """Parse ``text``; when it has syntax errors, keep every top-level statement
    (and every method of a broken class) that parses on its own."""
    source = text[1:] if text.startswith(BOM) else text
    try:
        return _without_deep_statements(RecoveredModule(_parse(source)))
    except (SyntaxError, ValueError) as exc:
        message = _describe(exc)
        if any(marker in message for marker in _NESTING_ERRORS):
            # parso takes minutes on such input (30,000 nested f-strings): give up at once.
            return _nothing(source, message)
    except (RecursionError, MemoryError):
        return _nothing(source, "the file is nested too deeply to analyse")
    try:
        return _without_deep_statements(_recover_with_parso(source, message))
    except (RecursionError, MemoryError):  # parso recursing on absurd nesting
        return _nothing(source, message)


#: Deeper syntax trees than this are not analysed: the rules walk trees
#: recursively, and Python's recursion limit (1000 frames) is reached near 300
#: levels.  Real code stays far below (a deep comprehension inside a few loops
#: is about 30).
MAX_DEPTH = 100
_NESTING_ERRORS = ("too many nested parentheses", "too many levels of indentation", "nested too deeply",
                   "too many statically nested blocks")


def _nothing(source: str, message: str) -> RecoveredModule:
    return RecoveredModule(ast.Module(body=[], type_ignores=[]), [(1, source.count("\n") + 1)], message)


def _depth_exceeds(node: ast.AST, limit: int) -> bool:
    """True when some node lies more than ``limit`` levels below ``node`` (itself: 1).
    Level by level, without generators: this runs over every node of every parse."""
    level = [node]
    depth = 1
    ast_type = ast.AST
    while level:
        if depth > limit:
            return True
        below: list[ast.AST] = []
        for current in level:
            for name in current._fields:
                value = getattr(current, name, None)
                if isinstance(value, list):
                    below.extend([item for item in value if isinstance(item, ast_type)])
                elif isinstance(value, ast_type):
                    below.append(value)
        level = below
        depth += 1
    return False


def _without_deep_statements(module: RecoveredModule) -> RecoveredModule:
    """Drop the top-level statements nested deeper than MAX_DEPTH (as if broken),
    so no rule meets a RecursionError on absurd but valid code (``not not ... x``)."""
    body = module.tree.body
    deep = [stmt for stmt in body if _depth_exceeds(stmt, MAX_DEPTH)]
    if not deep:
        return module
    module.tree.body = [stmt for stmt in body if stmt not in deep]
    for stmt in deep:
        module.broken_ranges.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
    module.broken_ranges.sort()
    if module.error is None:
        module.error = f"line {deep[0].lineno} is nested too deeply to analyse"
    return module


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"{exc.msg} (line {exc.lineno})"
    return str(exc)


def _recover_with_parso(source: str, message: str) -> RecoveredModule:
    import parso

    # Not str.splitlines: it also breaks at form feeds, \x1c-\x1e, \x85 and
    # \u2028, which Python (and parso) read as ordinary characters, so every line
    # number after one of them would be off and fixes would land on the wrong line.
    lines = split_lines(source)
    grammar = parso.load_grammar(version=f"{sys.version_info[0]}.{sys.version_info[1]}") \
        if sys.version_info[:2] <= (3, 13) else parso.load_grammar()
    tree = grammar.parse(source, error_recovery=True)
    body: list[ast.stmt] = []
    broken: list[tuple[int, int]] = []
    for child in tree.children:
        if child.type == "endmarker":
            continue
        first, last = child.start_pos[0], _last_line(child)
        statements = _parse_segment(lines, first, last, child.start_pos[1])
        if statements is not None:
            body.extend(statements)
            continue
        if child.type == "classdef" or (child.type == "decorated" and child.children[-1].type == "classdef"):
            recovered = _recover_class(lines, child)
            if recovered is not None:
                body.append(recovered)
        broken.append((first, last))
    return RecoveredModule(ast.Module(body=body, type_ignores=[]), broken, message)


def split_lines(text: str) -> list[str]:
    """``text`` split after ``\r\n``, ``\r`` and ``\n`` only (the line breaks of Python and LSP)."""
    return io.StringIO(text, newline="").readlines()


def _last_line(node) -> int:
    line, column = node.end_pos
    return line - 1 if column == 0 and line > node.start_pos[0] else line


def _parse_segment(lines: list[str], first: int, last: int, indent: int) -> list[ast.stmt] | None:
    segment = "".join(lines[first - 1:last])
    if indent:
        dedented = textwrap.dedent(segment)
        if len(dedented) == len(segment):
            return None
        segment = dedented
    try:
        module = _parse(segment)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(module):
        if hasattr(node, "lineno"):
            node.lineno += first - 1  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += first - 1  # type: ignore[attr-defined]
            if indent:
                node.col_offset += indent  # type: ignore[attr-defined]
                if getattr(node, "end_col_offset", None) is not None:
                    node.end_col_offset += indent  # type: ignore[attr-defined]
    return module.body


def _recover_class(lines: list[str], node) -> ast.ClassDef | None:
    classdef = node.children[-1] if node.type == "decorated" else node
    suite = classdef.children[-1]
    if suite.type != "suite":
        return None
    methods: list[ast.stmt] = []
    for child in suite.children:
        if child.type in ("funcdef", "async_funcdef", "decorated", "async_stmt"):
            parsed = _parse_segment(lines, child.start_pos[0], _last_line(child), child.start_pos[1])
            if parsed:
                methods.extend(parsed)
    if not methods:
        return None
    name = classdef.children[1].value
    line, column = classdef.start_pos
    return ast.ClassDef(
        name=name, bases=[], keywords=[], body=methods, decorator_list=[], type_params=[],
        lineno=line, col_offset=column, end_lineno=methods[-1].end_lineno,
        end_col_offset=methods[-1].end_col_offset,
    )


class SourceDocument:
    """The text of one file at one version, with its parse and line index."""

    def __init__(self, text: str, path: str | None = None, version: int | None = None) -> None:
        self.text = text
        self.path = path
        self.version = version

    @cached_property
    def index(self) -> LineIndex:
        return LineIndex(self.text)

    @cached_property
    def newline(self) -> str:
        return detect_newline(self.text)

    @cached_property
    def recovered(self) -> RecoveredModule:
        return recover_module(self.text)

    @property
    def tree(self) -> ast.Module:
        return self.recovered.tree

    @property
    def parses(self) -> bool:
        return not self.recovered.broken_ranges

    def node_text(self, node: ast.AST) -> str:
        return self.index.node_text(node)

    def node_range(self, node: ast.AST) -> tuple[int, int]:
        return self.index.node_range(node)
