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


def parse_suppressions(text: str) -> Suppressions:
    result = Suppressions()
    for line, comment in _comments(text):
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
