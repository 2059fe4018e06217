"""Suppression comments, in the syntax ruff reads so both tools can share them.

* ``# noqa`` on a line suppresses every finding that starts on that line;
* ``# noqa: LIME104, E501`` suppresses only those codes (other tools' codes are
  left alone, so one comment serves ruff and lime-task-lint);
* ``# lime-task-lint: noqa`` anywhere in a file turns the tool off for that file
  (``# lime-task-lint: noqa: LIME104`` for named codes only).

A finding's *noqa line* is the line it starts on, except where no comment can
go: a finding that starts inside a multi-line string (or f-string), or on a
line continued with a backslash, is read from (and written to) the last line of
that string or continuation, after the closing quotes, as ruff does (ruff
issues #1297 and #4483).  The same mapping serves reading (:func:`parse_suppressions`)
and writing (:func:`add_noqa_edits`), so a written comment is always honoured.

Comments are found with the tokenizer so a ``#`` inside a string never counts;
a file that cannot be tokenized (mid-edit) falls back to a line scan.
"""

from __future__ import annotations

import functools
import io
import re
import tokenize
from dataclasses import dataclass, field

from .edits import Edit, LineIndex

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE = re.compile(
    r"#\s*lime-task-lint\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
ALL = None  # a bare noqa


@dataclass
class Suppressions:
    #: 0-based line -> codes suppressed there (``None`` = every code).
    lines: dict[int, set[str] | None] = field(default_factory=dict)
    #: ``None`` = the whole file is off; a set = those codes are off in the file.
    file_codes: set[str] | None = field(default_factory=set)
    file_all: bool = False
    #: 0-based line -> its noqa line, for the lines whose noqa line is another
    #: (inside a multi-line string, before a backslash); see the module docstring.
    noqa_line_of: dict[int, int] = field(default_factory=dict)

    def suppresses(self, code: str, line: int) -> bool:
        """Whether a finding ``code`` starting on 0-based ``line`` is suppressed."""
        if self.file_all:
            return True
        if self.file_codes and code in self.file_codes:
            return True
        line = self.noqa_line_of.get(line, line)
        if line in self.lines:
            codes = self.lines[line]
            return codes is None or code in codes
        return False


def _codes(match: re.Match) -> set[str] | None:
    raw = match.group("codes")
    if not raw:
        return None
    return {c.upper() for c in re.split(r"[\s,]+", raw.strip()) if c}


@dataclass
class _Scan:
    """What the tokenizer tells about comments, for one text or one statement."""

    #: (0-based line, column in code points, comment text) of every comment.
    comments: list[tuple[int, int, str]] = field(default_factory=list)
    #: (first, last) 0-based lines that form one line for noqa purposes: a
    #: multi-line string or f-string, lines joined by a backslash.
    joined: list[tuple[int, int]] = field(default_factory=list)
    #: False when the text did not tokenize and the comments come from a line scan.
    complete: bool = True

    def shifted(self, lines: int) -> "_Scan":
        return _Scan([(line + lines, column, text) for line, column, text in self.comments],
                     [(first + lines, last + lines) for first, last in self.joined], self.complete)


_FSTRING_STARTS = {getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name)}
_FSTRING_ENDS = {getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)}
_LINE_BREAKS = (tokenize.NL, tokenize.NEWLINE)
#: Without one of these a text has no comment and no joined lines.
_SCAN_NEEDED = re.compile(r"#|\\|\"\"\"|'''")


def _scan(text: str) -> _Scan:
    """Comments and joined lines of ``text``.  When it does not tokenize, the
    comments come from a line scan (a ``#`` inside a string then counts too) and
    the joined lines are those found before the tokenizer stopped."""
    scan = _Scan()
    if not _SCAN_NEEDED.search(text):
        return scan
    opened: list[int] = []  # first lines of the f-strings being read (Python 3.12+ tokens)
    previous: tokenize.TokenInfo | None = None
    # newline="": lines end where Python's (and LSP's) end, at CR LF, CR and LF only.
    readline = io.StringIO(text, newline="").readline
    try:
        for token in tokenize.generate_tokens(readline):
            kind = token.type
            if kind == tokenize.COMMENT:
                scan.comments.append((token.start[0] - 1, token.start[1], token.string))
            elif kind == tokenize.STRING and token.end[0] > token.start[0]:
                scan.joined.append((token.start[0] - 1, token.end[0] - 1))
            elif kind in _FSTRING_STARTS:
                opened.append(token.start[0])
            elif kind in _FSTRING_ENDS and opened:
                first = opened.pop()
                if token.end[0] > first:
                    scan.joined.append((first - 1, token.end[0] - 1))
            if previous is not None and token.start[0] > previous.end[0] and previous.type not in _LINE_BREAKS \
                    and kind not in (tokenize.DEDENT, tokenize.ENDMARKER):
                # No line break token between two tokens on different lines: a backslash joined them.
                scan.joined.append((previous.end[0] - 1, token.start[0] - 1))
            previous = token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        scan.complete = False
        scan.comments = []
        # Python's line breaks only (str.splitlines also breaks at form feeds).
        for number, line in enumerate(io.StringIO(text, newline="").readlines()):
            position = line.find("#")
            if position >= 0:
                scan.comments.append((number, position, line[position:].rstrip("\r\n")))
    return scan


def _noqa_line_map(joined: list[tuple[int, int]]) -> dict[int, int]:
    """0-based line -> noqa line for every line of a joined span but its last
    (overlapping spans, such as two strings sharing a line, merge)."""
    mapping: dict[int, int] = {}
    merged: list[list[int]] = []
    for first, last in sorted(joined):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    for first, last in merged:
        for line in range(first, last):
            mapping[line] = last
    return mapping


_CANDIDATE = re.compile(r"noqa", re.IGNORECASE)


def _scan_statements(text: str, line_starts: list[int], statement_lines: list[tuple[int, int]]) -> _Scan:
    """Like :func:`_scan`, for lines that mention ``noqa`` only, tokenizing just
    the top-level statements holding them (a statement is lexically whole on
    its own; lines between statements hold only blanks and comments).  Joined
    lines lie inside one statement, so every line whose noqa line holds a
    comment is mapped."""
    import bisect

    scan = _Scan()
    done: set[int] = set()
    for match in _CANDIDATE.finditer(text):
        line = bisect.bisect_right(line_starts, match.start()) - 1
        if line in done:
            continue
        position = bisect.bisect_right(statement_lines, (line, float("inf"))) - 1
        if position >= 0 and statement_lines[position][1] >= line:
            first, last = statement_lines[position]
            begin = line_starts[first]
            end = line_starts[last + 1] if last + 1 < len(line_starts) else len(text)
            done.update(range(first, last + 1))
            part = _scan(text[begin:end]).shifted(first)
            scan.comments.extend(part.comments)
            scan.joined.extend(part.joined)
        else:
            done.add(line)
            end = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
            raw = text[line_starts[line]:end]
            at = raw.find("#")
            if at >= 0:
                scan.comments.append((line, at, raw[at:].rstrip("\r\n")))
    return scan


def parse_suppressions(text: str, line_starts: list[int] | None = None,
                       statement_lines: list[tuple[int, int]] | None = None) -> Suppressions:
    """The suppressions of ``text``.  When the text parses, the caller may pass its
    line starts and the (first, last) 0-based lines of its top-level statements:
    only statements with a ``noqa`` in them are then tokenized."""
    result = Suppressions()
    if not _CANDIDATE.search(text):
        return result  # every suppression comment says noqa
    if line_starts is not None and statement_lines is not None:
        scan = _scan_statements(text, line_starts, statement_lines)
    else:
        scan = _scan(text)
    for line, _, comment in scan.comments:
        file_match = _FILE.search(comment)
        if file_match:
            codes = _codes(file_match)
            if codes is None:
                result.file_all = True
            else:
                result.file_codes = (result.file_codes or set()) | codes
            continue
        match = _NOQA.search(comment)
        if match:
            codes = _codes(match)
            previous = result.lines.get(line, set())
            if codes is None or previous is None:
                result.lines[line] = None
            else:
                result.lines[line] = previous | codes
    result.noqa_line_of = _noqa_line_map(scan.joined)
    return result


@functools.lru_cache(maxsize=2)
def _whole_text(text: str) -> tuple[dict[int, int], dict[int, tuple[int, str]]]:
    """The noqa line map and the comment of each line of ``text`` (cached: the
    editor asks for the quick fixes of every finding under the cursor, on the
    same text, and a 10,000-line file takes a third of a second to tokenize)."""
    scan = _scan(text)
    return _noqa_line_map(scan.joined), {line: (column, comment) for line, column, comment in scan.comments}


def noqa_line(text: str, line: int) -> int:
    """The 0-based line where a ``# noqa`` for a finding starting on 0-based
    ``line`` of ``text`` goes (and is read from)."""
    return _whole_text(text)[0].get(line, line)


def add_noqa_edits(text: str, findings, index: LineIndex | None = None) -> list[Edit]:
    """Edits (code point offsets into ``text``, one per noqa line, in text order)
    that suppress every finding of ``findings``: an iterable of (0-based line the
    finding starts on, code).  Each code goes to its finding's noqa line: added
    to a ``# noqa: X`` already there (``# noqa: X, CODE``), else a new
    ``  # noqa: CODE, ...`` at the end of the line (after a comment that is no
    noqa).  Lines a bare ``# noqa`` or their own codes already cover get no edit."""
    index = index or LineIndex(text)
    mapping, comment_on = _whole_text(text)
    wanted: dict[int, list[str]] = {}
    for line, code in findings:
        codes = wanted.setdefault(mapping.get(line, line), [])
        if code.upper() not in codes:
            codes.append(code.upper())
    edits: list[Edit] = []
    for line in sorted(wanted):
        edit = _line_edit(index, line, wanted[line], comment_on.get(line))
        if edit is not None:
            edits.append(edit)
    return edits


def _line_edit(index: LineIndex, line: int, codes: list[str], comment: tuple[int, str] | None) -> Edit | None:
    line_text = index.line_text(line)
    line_start = index.line_starts[line]
    if comment is not None:
        column, body = comment
        match = _NOQA.search(body)
        if match and not match.group("codes"):
            return None  # a bare noqa already silences everything
        if match:
            present = _codes(match) or set()
            missing = [code for code in codes if code not in present]
            if not missing:
                return None
            end = line_start + column + match.end()
            return Edit(end, end, "".join(f", {code}" for code in missing))
    end = line_start + len(line_text.rstrip())
    return Edit(end, line_start + len(line_text), f"  # noqa: {', '.join(codes)}")


#: Comments, strings, brackets, backslash continuations and line breaks: just
#: enough of Python's lexis to know, in one regular-expression pass (C speed),
#: which lines start outside every string and bracket.
_LEXEME = re.compile(r"""
    \#[^\r\n]*
  | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:\"\"\"|\Z)
  | '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\Z)
  | "[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"?
  | '[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'?
  | [(\[{] | [)\]}]
  | \\(?:\r\n|\r|\n)
  | \r\n | \r | \n
""", re.VERBOSE | re.DOTALL)


@functools.lru_cache(maxsize=2)
def _statement_starts(text: str) -> list[int]:
    """0-based lines that start in column 0 with code, outside every string and
    bracket and not after a backslash: places the tokenizer can start from."""
    starts: list[int] = [0] if text[:1] not in ("", " ", "\t", "\f", "#", "\r", "\n") else []
    line = 0
    depth = 0
    for match in _LEXEME.finditer(text):
        lexeme = match.group()
        first = lexeme[0]
        if first in "([{":
            depth += 1
        elif first in ")]}":
            depth = max(0, depth - 1)
        elif first in "\r\n":
            line += 1
            if depth == 0 and text[match.end():match.end() + 1] not in ("", " ", "\t", "\f", "#", "\r", "\n"):
                starts.append(line)
        elif first == "\\":
            line += 1  # a joined line: never a start
        elif first in "\"'":
            line += lexeme.count("\n") + lexeme.count("\r") - lexeme.count("\r\n")
    return starts


def _scan_around(text: str, index: LineIndex, line: int) -> _Scan | None:
    """The scan of the part of ``text`` that holds the statement around 0-based
    ``line``: from the nearest line the tokenizer can start from up to the next;
    None when that part does not tokenize (then only the whole text tells)."""
    import bisect

    starts = _statement_starts(text)
    position = bisect.bisect_right(starts, line) - 1
    first = starts[position] if position >= 0 else 0
    last = starts[position + 1] if position + 1 < len(starts) else index.line_count
    begin = index.line_starts[first]
    end = index.line_starts[last] if last < index.line_count else len(text)
    scan = _scan(text[begin:end])
    return scan.shifted(first) if scan.complete else None


def add_noqa_edit(text: str, index: LineIndex, line: int, code: str) -> Edit:
    """An edit that suppresses ``code`` for a finding starting on 0-based ``line``
    (see :func:`add_noqa_edits`); an empty edit at the end of that line when a
    ``# noqa`` there already covers it.  Only the statement around ``line`` is
    tokenized (the quick fix runs while the editor waits)."""
    scan = _scan_around(text, index, line)
    if scan is None:
        mapping, comment_on = _whole_text(text)
    else:
        mapping = _noqa_line_map(scan.joined)
        comment_on = {number: (column, comment) for number, column, comment in scan.comments}
    target = mapping.get(line, line)
    edit = _line_edit(index, target, [code.upper()], comment_on.get(target))
    if edit is not None:
        return edit
    end = index.line_starts[target] + len(index.line_text(target))
    return Edit(end, end, "")
