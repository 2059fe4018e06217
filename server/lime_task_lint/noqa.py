"""Suppression comments, in the syntax ruff reads so both tools can share them.

* ``# noqa`` on a line suppresses every finding that starts on that line;
* ``# noqa: LIME104, E501`` suppresses only those codes (other tools' codes are
  left alone, so one comment serves ruff and lime-task-lint);
* ``# lime-task-lint: noqa`` anywhere in a file turns the tool off for that file
  (``# lime-task-lint: noqa: LIME104`` for named codes only).

Comments are found with the tokenizer so a ``#`` inside a string never counts;
a file that cannot be tokenized (mid-edit) falls back to a line scan.
"""

from __future__ import annotations

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

    def suppresses(self, code: str, line: int) -> bool:
        if self.file_all:
            return True
        if self.file_codes and code in self.file_codes:
            return True
        if line in self.lines:
            codes = self.lines[line]
            return codes is None or code in codes
        return False


def _codes(match: re.Match) -> set[str] | None:
    raw = match.group("codes")
    if not raw:
        return None
    return {c.upper() for c in re.split(r"[\s,]+", raw.strip()) if c}


def _comments(text: str) -> list[tuple[int, str]]:
    """(0-based line, comment text) for every comment."""
    out: list[tuple[int, str]] = []
    if "#" not in text:
        return out
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                out.append((token.start[0] - 1, token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = []
        # Python's line breaks only (str.splitlines also breaks at form feeds).
        for number, line in enumerate(io.StringIO(text, newline="").readlines()):
            position = line.find("#")
            if position >= 0:
                out.append((number, line[position:]))
    return out


_CANDIDATE = re.compile(r"noqa", re.IGNORECASE)


def _comments_in_statements(text: str, line_starts: list[int],
                            statement_lines: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Like :func:`_comments`, for lines that mention ``noqa`` only, tokenizing
    just the top-level statements holding them (a statement is lexically whole
    on its own; lines between statements hold only blanks and comments)."""
    import bisect

    out: list[tuple[int, str]] = []
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
            out.extend((first + number, comment) for number, comment in _comments(text[begin:end]))
        else:
            done.add(line)
            end = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
            raw = text[line_starts[line]:end]
            at = raw.find("#")
            if at >= 0:
                out.append((line, raw[at:].rstrip("\r\n")))
    return out


def parse_suppressions(text: str, line_starts: list[int] | None = None,
                       statement_lines: list[tuple[int, int]] | None = None) -> Suppressions:
    """The suppressions of ``text``.  When the text parses, the caller may pass its
    line starts and the (first, last) 0-based lines of its top-level statements:
    only statements with a ``noqa`` in them are then tokenized."""
    result = Suppressions()
    if not _CANDIDATE.search(text):
        return result  # every suppression comment says noqa
    if line_starts is not None and statement_lines is not None:
        comments = _comments_in_statements(text, line_starts, statement_lines)
    else:
        comments = _comments(text)
    for line, comment in comments:
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
    return result


def add_noqa_edit(text: str, index: LineIndex, line: int, code: str) -> Edit:
    """An edit that adds ``code`` to the line's ``# noqa:`` comment (creating it if needed)."""
    line_text = index.line_text(line)
    line_start = index.line_starts[line]
    comment_at = None
    for comment_line, comment in _comments(line_text + "\n"):
        comment_at = line_text.rfind(comment)
    if comment_at is not None and comment_at >= 0:
        comment = line_text[comment_at:]
        match = _NOQA.search(comment)
        if match and match.group("codes"):
            end = line_start + comment_at + match.end()
            return Edit(end, end, f", {code}")
        if match:  # a bare noqa already silences everything
            return Edit(line_start + len(line_text), line_start + len(line_text), "")
    end = line_start + len(line_text.rstrip())
    return Edit(end, line_start + len(line_text), f"  # noqa: {code}")
