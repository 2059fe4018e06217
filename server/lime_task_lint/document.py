"""A source document parsed once, with recovery for code that is being edited.

A user mid-edit leaves a file that does not parse.  Reporting nothing would make
the diagnostics flicker off on every keystroke, so a broken file is split into
its top-level statements with parso (which recovers from syntax errors), each
statement that parses on its own is kept, and the analysis runs on the module
made of those.  A class whose body is broken keeps the methods that parse.

Valid code can be too deep for ``ast`` (a generated 3,000-term ``+`` chain
raises RecursionError, 400 nested brackets "too many nested parentheses") or
for the rules' recursive walks (more than :data:`MAX_DEPTH` levels).  Then only
the statement that holds the depth is left out, like a broken one: the file is
split into top-level statements with the tokenizer (parso would take minutes
on such input), and inside a function, class or block only the deep statement
goes.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import textwrap
import tokenize
from dataclasses import dataclass, field
from functools import cached_property

from .edits import BOM, LineIndex, detect_newline
from .trees import _NODE_TABLE, index_nodes


@dataclass
class RecoveredModule:
    tree: ast.Module
    #: (first line, last line), 1-based, of statements that could not be parsed.
    broken_ranges: list[tuple[int, int]] = field(default_factory=list)
    error: str | None = None


def _parse(text: str) -> ast.Module:
    return parse_module(text)


class NestedTooDeeply(SyntaxError):
    """``ast`` ran out of recursion on an expression nested too deeply (a chain of
    ~3,000 ``+``, 5,000 ``not``): raised as a syntax error so every caller that
    handles code it cannot parse handles this too."""


def parse_module(text: str) -> ast.Module:
    """``ast.parse``, retried when CPython 3.11's AST conversion trips over another
    thread converting at the same time (jedi's worker parses workspace files):
    ``SystemError: AST constructor recursion depth mismatch`` is transient.

    Raises SyntaxError (:class:`NestedTooDeeply` for a RecursionError of the
    parser), ValueError (NUL bytes) or MemoryError."""
    for _ in range(3):
        try:
            return _parse_once(text)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc):
                raise
    return _parse_once(text)


def _parse_once(text: str) -> ast.Module:
    try:
        return ast.parse(text, type_comments=False)
    except RecursionError as exc:
        raise NestedTooDeeply("an expression is nested too deeply to parse") from exc


def recover_module(text: str) -> RecoveredModule:
    """Parse ``text``; when it has syntax errors, keep every top-level statement
    (and every method of a broken class) that parses on its own."""
    source = text[1:] if text.startswith(BOM) else text
    try:
        return _without_deep_statements(RecoveredModule(_parse(source)))
    except (NestedTooDeeply, MemoryError):
        # ``ast`` recursed too deeply on one expression (a chain of ~3,000 ``+``):
        # leave out that statement only.
        return _without_deep_statements(_recover_by_statements(source, None))
    except (SyntaxError, ValueError) as exc:
        message = _describe(exc)
        if any(marker in message for marker in _NESTING_ERRORS):
            # One statement is nested too deeply for the parser.  parso takes
            # minutes on such input (30,000 nested f-strings), the tokenizer does not.
            return _without_deep_statements(_recover_by_statements(source, message))
    try:
        return _without_deep_statements(_recover_with_parso(source, message))
    except (RecursionError, MemoryError):  # parso recursing on absurd nesting
        return _without_deep_statements(_recover_by_statements(source, message))


#: Deeper syntax trees than this are not analysed: the rules walk trees
#: recursively, and Python's recursion limit (1000 frames) is reached near 300
#: levels.  Real code stays far below (a deep comprehension inside a few loops
#: is about 30).
MAX_DEPTH = 100
_NESTING_ERRORS = ("too many nested parentheses", "too many levels of indentation", "nested too deeply",
                   "too many statically nested blocks")


def _recover_by_statements(source: str, message: str | None) -> RecoveredModule:
    """Parse each top-level statement on its own and keep those that parse: for a
    file that ``ast`` refuses as a whole because one statement is nested too
    deeply.  ``message`` None: describe the first statement left out."""
    lines = split_lines(source)
    body: list[ast.stmt] = []
    broken: list[tuple[int, int]] = []
    for first, last in top_level_statement_lines(source):
        errors: list[BaseException] = []
        statements = _parse_segment(lines, first, last, 0, errors)
        if statements is None and errors and _is_expression_too_deep(errors[0]):
            # A statement inside (a function's line) may be what is too deep.
            statements = _parse_without_deep_lines(lines, first, last, broken)
        if statements is None:
            broken.append((first, last))
        else:
            body.extend(statements)
    if message is None:
        message = f"line {broken[0][0]} is nested too deeply to analyse" if broken \
            else "the file is nested too deeply to analyse"
    return RecoveredModule(ast.Module(body=body, type_ignores=[]), broken, message)


def _parse_without_deep_lines(lines: list[str], first: int, last: int,
                              broken: list[tuple[int, int]]) -> list[ast.stmt] | None:
    """Parse lines ``first``..``last`` (1-based) with each simple statement inside
    that is too deep to parse on its own replaced by ``pass`` (its range added to
    ``broken``); None when that does not make them parse."""
    segment = lines[first - 1:last]
    opening = segment[0].split(None, 1)[:1]
    if not opening or not (opening[0].rstrip(":") in _COMPOUND or opening[0].startswith("@")):
        return None  # a simple statement: it is the deep one, left out whole
    deep: list[tuple[int, int, int]] = []  # (first, last, column) of each deep statement, 0-based in segment
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("".join(segment)).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    start: tokenize.TokenInfo | None = None
    for token in tokens:
        if token.type in _LAYOUT and token.type != tokenize.NEWLINE:
            continue
        if start is None:
            start = token
        if token.type == tokenize.NEWLINE:
            if start.string not in _COMPOUND and start.type != tokenize.NEWLINE:
                text = "".join(segment[start.start[0] - 1:token.end[0]])
                if _too_deep_to_parse(textwrap.dedent(text)):
                    deep.append((start.start[0] - 1, token.end[0] - 1, start.start[1]))
            start = None
    if not deep or any(column == 0 for _, _, column in deep):
        return None  # the top-level statement itself is too deep: left out whole
    for line_first, line_last, column in deep:
        segment[line_first] = " " * column + "pass" + _line_ending(segment[line_first])
        for number in range(line_first + 1, line_last + 1):
            segment[number] = _line_ending(segment[number])
    statements = _parse_segment(segment, 1, len(segment), 0)
    if statements is None:
        return None
    for node in ast.walk(ast.Module(body=statements, type_ignores=[])):
        if hasattr(node, "lineno"):
            node.lineno += first - 1  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += first - 1  # type: ignore[attr-defined]
    broken.extend((first + a, first + b) for a, b, _ in deep)
    return statements


#: Keywords that open a compound statement (its header cannot be replaced by ``pass``).
_COMPOUND = frozenset({"if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def",
                       "class", "async", "match", "case", "@"})


def _too_deep_to_parse(text: str) -> bool:
    try:
        _parse(text)
    except (SyntaxError, ValueError, MemoryError) as exc:
        return _is_expression_too_deep(exc)
    return False


def _is_expression_too_deep(exc: BaseException) -> bool:
    """Whether the parser refused an expression for its depth (not a block
    structure nested too deeply, which no single line causes)."""
    if isinstance(exc, (NestedTooDeeply, MemoryError, RecursionError)):
        return True
    return isinstance(exc, SyntaxError) and any(
        marker in _describe(exc) for marker in ("too many nested parentheses", "nested too deeply"))


def _line_ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


#: Logical lines that continue the statement before them instead of starting one.
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
#: A line that can start a top-level statement after one the tokenizer gave up
#: on: a name, keyword or decorator in column 0.  Lines of the broken statement
#: itself (brackets, operands, string parts) rarely start so; if one does, it
#: is parsed on its own and, failing, left out too.
_STATEMENT_START = re.compile(r"(?!(?:else|elif|except|finally)\b)[^\W\d]|@")
#: Tokens that carry no statement.
_LAYOUT = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                     tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.ENCODING})


def top_level_statement_lines(source: str) -> list[tuple[int, int]]:
    """(first, last) 1-based lines of each top-level statement of ``source``,
    decorators and ``else``/``except`` clauses included, found with the tokenizer
    (which, unlike the parser, does not recurse into nested expressions).

    Where the tokenizer stops (an unclosed bracket, more than 200 nested
    brackets on Python 3.12+), the statement it was in runs up to the next line
    that starts with a name or a decorator in column 0, and tokenizing resumes
    there."""
    lines = split_lines(source)
    # Only column 0 matters here: every indentation becomes one space (the
    # tokenizer reads indentation a character at a time, seconds for 3,000
    # nested blocks), which keeps every token's line and every column-0 token.
    flat = [line if line[:1] not in (" ", "\t", "\f") else " " + line.lstrip(" \t\f") for line in lines]
    spans: list[tuple[int, int]] = []
    offset = 0  # lines before the part being tokenized
    while offset < len(lines):
        start: int | None = None  # first line of the open statement
        end = 0  # last line holding a token of it
        decorated = False
        line_start = True  # the next token starts a logical line
        try:
            for token in tokenize.generate_tokens(io.StringIO("".join(flat[offset:])).readline):
                if token.type in _LAYOUT:
                    if token.type == tokenize.NEWLINE:
                        line_start = True
                    continue
                line = token.start[0] + offset
                if line_start and token.start[1] == 0 and not decorated and token.string not in _CLAUSES:
                    if start is not None:
                        spans.append((start, end))
                    start = line
                if line_start and token.start[1] == 0:
                    decorated = token.string == "@"
                line_start = False
                end = token.end[0] + offset
            if start is not None:
                spans.append((start, end))
            break
        except (tokenize.TokenError, SyntaxError) as exc:
            where = exc.args[1][0] if isinstance(exc, tokenize.TokenError) else (exc.lineno or 1)
            failed_at = max(where + offset, offset + 1)
            resume = next((number for number in range(failed_at + 1, len(lines) + 1)
                           if _STATEMENT_START.match(lines[number - 1])), None)
            last = (resume - 1) if resume is not None else len(lines)
            spans.append((start if start is not None else failed_at, last))
            if resume is None:
                break
            offset = resume - 1
    return spans


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
    """Leave out the statements nested deeper than MAX_DEPTH (as if broken), so no
    rule meets a RecursionError on absurd but valid code (``not not ... x``).

    The innermost statement that holds the depth is left out, not the function
    or class around it: one generated expression in a task costs that line's
    findings only."""
    if index_nodes(module.tree) <= MAX_DEPTH:  # the statements are level 1
        return module
    module.tree.__dict__.pop(_NODE_TABLE, None)  # the tree changes: made again when asked
    removed: list[ast.stmt] = []
    module.tree.body = _shallow_statements(module.tree.body, MAX_DEPTH, removed)
    for stmt in removed:
        module.broken_ranges.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
    module.broken_ranges.sort()
    if module.error is None:
        module.error = f"line {min(stmt.lineno for stmt in removed)} is nested too deeply to analyse"
    return module


def _shallow_statements(statements: list[ast.stmt], limit: int, removed: list[ast.stmt]) -> list[ast.stmt]:
    """``statements`` without those deeper than ``limit`` levels (appended to ``removed``)."""
    kept: list[ast.stmt] = []
    for stmt in statements:
        if _depth_exceeds(stmt, limit):
            before = len(removed)
            if not _prune_blocks(stmt, limit, removed):
                del removed[before:]  # the whole statement goes, not its parts
                removed.append(stmt)
                continue
        kept.append(stmt)
    return kept


def _prune_blocks(stmt: ast.stmt, limit: int, removed: list[ast.stmt]) -> bool:
    """Remove the too-deep statements from the blocks of the compound ``stmt``;
    True when ``stmt`` is then within ``limit`` (its own header is not too deep)."""
    blocks: list[tuple[ast.AST, str, int]] = [(stmt, name, limit - 1) for name in ("body", "orelse", "finalbody")
                                              if getattr(stmt, name, None) and isinstance(getattr(stmt, name), list)
                                              and isinstance(getattr(stmt, name)[0], ast.stmt)]
    for clause in [*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())]:
        blocks.append((clause, "body", limit - 2))
    if not blocks:
        return False
    for owner, name, inner_limit in blocks:
        statements = getattr(owner, name)
        kept = _shallow_statements(statements, inner_limit, removed)
        if not kept and name == "body":  # a block cannot be empty: stands in for what was left out
            first = statements[0]
            kept = [ast.Pass(lineno=first.lineno, col_offset=first.col_offset,
                             end_lineno=first.lineno, end_col_offset=first.col_offset)]
        setattr(owner, name, kept)
    return not _depth_exceeds(stmt, limit)


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


def _parse_segment(lines: list[str], first: int, last: int, indent: int,
                   errors: list[BaseException] | None = None) -> list[ast.stmt] | None:
    """The statements of lines ``first``..``last`` (1-based) with their real
    positions, or None when they do not parse (the error appended to ``errors``)."""
    segment = "".join(lines[first - 1:last])
    if indent:
        dedented = textwrap.dedent(segment)
        if len(dedented) == len(segment):
            return None
        segment = dedented
    try:
        module = _parse(segment)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        if errors is not None:
            errors.append(exc)
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
