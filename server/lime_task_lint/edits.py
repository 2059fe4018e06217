"""Positions and text edits: the one place that converts between coordinate systems.

Three coordinate systems meet in this project:

* ``ast`` reports 1-based lines and **UTF-8 byte** columns;
* LSP clients (VS Code) speak 0-based lines and **UTF-16 code unit** columns;
* the CLI (like ruff) prints 1-based lines and **code point** columns.

Everything inside the analyser uses one of them only: an absolute code point
offset into the document text (``int``).  This module converts to and from the
others, builds edits in that coordinate, keeps the document's line endings,
shrinks edits to the smallest change, and refuses an edit whose result no
longer parses.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field
from enum import Enum
from itertools import accumulate
from typing import Iterable, Sequence

from .dependencies import text_digest

BOM = "\ufeff"
_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


class Applicability(str, Enum):
    """How far a fix can be trusted (the ruff convention)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` (code point offsets) with ``new_text``."""

    start: int
    end: int
    new_text: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "new_text": self.new_text}

    @classmethod
    def from_dict(cls, data: dict) -> "Edit":
        return cls(int(data["start"]), int(data["end"]), str(data["new_text"]))


@dataclass(frozen=True)
class FileEdits:
    """Edits of another file than the analysed one, computed on the text whose
    :func:`text_digest` is ``digest``: applied only while that file still has that
    text (every consumer checks it with :meth:`applies_to`)."""

    path: str  # absolute
    digest: str
    edits: tuple[Edit, ...]

    def applies_to(self, text: str | None) -> bool:
        return text is not None and text_digest(text) == self.digest

    def to_dict(self) -> dict:
        return {"path": self.path, "digest": self.digest, "edits": [e.to_dict() for e in self.edits]}

    @classmethod
    def from_dict(cls, data: dict) -> "FileEdits":
        return cls(str(data["path"]), str(data["digest"]), tuple(Edit.from_dict(e) for e in data["edits"]))


@dataclass(frozen=True)
class Fix:
    """A titled set of edits with its safety.

    ``edits`` change the analysed document; ``other_files`` change other files of
    the workspace (a helper a loop calls, defined in another module, gains a
    keyword argument while its caller changes).  A fix with ``other_files`` is
    applied whole or not at all: by ``--fix`` and ``--diff`` and as an editor
    quick fix (one ``WorkspaceEdit``), never by the editor's fix-all, which edits
    one document."""

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    other_files: tuple[FileEdits, ...] = ()

    @property
    def is_safe(self) -> bool:
        return self.applicability is Applicability.SAFE

    def to_dict(self) -> dict:
        data = {
            "title": self.title,
            "applicability": self.applicability.value,
            "edits": [e.to_dict() for e in self.edits],
        }
        if self.other_files:
            data["other_files"] = [f.to_dict() for f in self.other_files]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        return cls(
            title=str(data["title"]),
            edits=tuple(Edit.from_dict(e) for e in data["edits"]),
            applicability=Applicability(data["applicability"]),
            other_files=tuple(FileEdits.from_dict(f) for f in data.get("other_files", ())),
        )


class LineIndex:
    """Maps between code point offsets and (line, column) in the three systems."""

    def __init__(self, text: str) -> None:
        self.text = text
        if "\r" in text:
            starts = [0]
            for match in _NEWLINE_RE.finditer(text):
                starts.append(match.end())
        else:  # only LF breaks: the same starts, about 3x faster (all in C)
            starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
            starts.pop()  # the end of the text plus one: no line starts there
        self.line_starts = starts
        # ast parses the text without a BOM, so its line 1 columns are shifted by one.
        self._bom = 1 if text.startswith(BOM) else 0
        self._ascii = text.isascii()

    @classmethod
    def after_edits(cls, previous: "LineIndex", text: str, edits: Sequence["Edit"]) -> "LineIndex | None":
        """The index of ``text``, which is ``previous.text`` with ``edits`` applied
        (non-overlapping), from ``previous``'s line starts: those before an edit
        stay, those after it move by its length, and only the edited text is
        searched for line breaks.  None when a carriage return is at an edit
        (a CR LF could be joined or split there)."""
        old, starts = previous.text, previous.line_starts
        out: list[int] = []
        position = delta = 0
        for edit in sorted(edits, key=lambda e: (e.start, e.end)):
            if "\r" in edit.new_text or "\r" in old[max(0, edit.start - 1):edit.end + 1]:
                return None
            kept = bisect.bisect_right(starts, edit.start, position)  # their line break is before the edit
            out.extend([start + delta for start in starts[position:kept]] if delta else starts[position:kept])
            out.extend(edit.start + delta + match.end() for match in _NEWLINE_RE.finditer(edit.new_text))
            position = bisect.bisect_right(starts, edit.end, kept)  # line breaks the edit removed
            delta += len(edit.new_text) - (edit.end - edit.start)
        out.extend([start + delta for start in starts[position:]] if delta else starts[position:])
        index = cls.__new__(cls)
        index.text, index.line_starts = text, out
        index._bom = 1 if text.startswith(BOM) else 0
        index._ascii = text.isascii()
        return index

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        """Text of 0-based ``line`` without its line ending."""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def line_of(self, offset: int) -> int:
        """0-based line containing ``offset``."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    # -- ast (1-based line, UTF-8 byte column) ---------------------------------
    def from_ast(self, lineno: int, col_offset: int) -> int:
        line = min(max(lineno - 1, 0), len(self.line_starts) - 1)
        start = self.line_starts[line]
        if line == 0:
            start += self._bom
        if self._ascii:
            return min(start + col_offset, len(self.text))
        raw = self.line_text(line) if line else self.line_text(0)[self._bom:]
        if raw.isascii():
            return start + col_offset
        column = len(raw.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore"))
        return start + column

    def node_range(self, node: ast.AST) -> tuple[int, int]:
        start = self.from_ast(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end_lineno = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end = start
        else:
            end = self.from_ast(end_lineno, end_col)
        return start, max(start, end)

    def node_text(self, node: ast.AST) -> str:
        start, end = self.node_range(node)
        return self.text[start:end]

    # -- LSP (0-based line, UTF-16 code units by default) ----------------------
    def to_lsp(self, offset: int, encoding: str = "utf-16") -> tuple[int, int]:
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        segment = self.text[self.line_starts[line]:offset]
        return line, _units(segment, encoding)

    def from_lsp(self, line: int, character: int, encoding: str = "utf-16") -> int:
        """Offset of an LSP position; positions past a line or the document are clamped."""
        if line < 0:
            return 0
        if line >= len(self.line_starts):
            return len(self.text)
        text = self.line_text(line)
        if encoding == "utf-32" or text.isascii():
            return self.line_starts[line] + min(max(character, 0), len(text))
        units = 0
        for index, char in enumerate(text):
            if units >= character:
                return self.line_starts[line] + index
            units += _char_units(char, encoding)
        return self.line_starts[line] + len(text)

    # -- CLI (1-based row, 1-based code point column) --------------------------
    def to_row_column(self, offset: int) -> tuple[int, int]:
        offset = min(max(offset, 0), len(self.text))
        line = self.line_of(offset)
        return line + 1, offset - self.line_starts[line] + 1


def _char_units(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == "utf-8":
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    return 1


def _units(segment: str, encoding: str) -> int:
    if encoding == "utf-32" or segment.isascii():
        return len(segment)
    if encoding == "utf-16":
        return len(segment) + sum(1 for c in segment if ord(c) > 0xFFFF)
    return len(segment.encode("utf-8"))


def detect_newline(text: str) -> str:
    """The document's dominant line ending (``\\n`` for a one-line file)."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    best = max((lf, "\n"), (crlf, "\r\n"), (cr, "\r"))
    return best[1] if best[0] else "\n"


def with_newline(text: str, newline: str) -> str:
    """Rewrite the ``\\n`` line endings of generated text to the document's own."""
    if newline == "\n" or "\n" not in text:
        return text
    return _NEWLINE_RE.sub(newline, text)


def minimal_edit(original: str, edit: Edit) -> Edit:
    """Shrink an edit to the part that really changes (common prefix and suffix kept)."""
    old = original[edit.start:edit.end]
    new = edit.new_text
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    # An LSP position cannot lie between the CR and the LF of one line break.
    if prefix and _inside_crlf(original, edit.start + prefix):
        prefix -= 1
    if suffix and _inside_crlf(original, edit.end - suffix):
        suffix -= 1
    return Edit(edit.start + prefix, edit.end - suffix, new[prefix:len(new) - suffix])


def _inside_crlf(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


class OverlappingEdits(ValueError):
    pass


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (in any order) to ``text``."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    position = 0
    for edit in ordered:
        if edit.start < position or edit.end < edit.start or edit.end > len(text):
            raise OverlappingEdits(f"edit {edit} overlaps or lies outside the text")
        out.append(text[position:edit.start])
        out.append(edit.new_text)
        position = edit.end
    out.append(text[position:])
    return "".join(out)


def edits_overlap(a: Sequence[Edit], b: Sequence[Edit]) -> bool:
    for x in a:
        for y in b:
            if x.start < y.end and y.start < x.end:
                return True
            # Two insertions at the same point would be ordered arbitrarily.
            if x.start == y.start and (x.start == x.end or y.start == y.end):
                return True
    return False


def parses(text: str) -> bool:
    try:
        ast.parse(text.lstrip(BOM))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def count_syntax_errors(text: str) -> int:
    """Number of top-level statements that fail to parse (0 for a valid module)."""
    if parses(text):
        return 0
    from .document import recover_module  # local import: document builds on this module

    return max(1, len(recover_module(text).broken_ranges))


def fix_is_acceptable(text: str, fix: Fix, *, original_errors: int | None = None) -> bool:
    """True when applying ``fix`` leaves the file at least as parseable as it was.

    A fix on a valid module must give a valid module; on a module that is being
    edited (does not parse) it must not add a broken statement.
    ``original_errors``: ``count_syntax_errors(text)`` when the caller knows it
    (a broken file's count is a whole-file recovering parse: count it once, not
    once per fix).
    """
    try:
        result = apply_edits(text, fix.edits)
    except OverlappingEdits:
        return False
    if original_errors is None:
        original_errors = count_syntax_errors(text)
    if original_errors == 0:
        return parses(result)
    return count_syntax_errors(result) <= original_errors


@dataclass
class ImportNeeded:
    """An import a fix relies on: ``import module`` or ``from module import name``."""

    module: str
    name: str | None = None
    extra: dict = field(default_factory=dict)


def import_edit(text: str, tree: ast.Module, module: str, name: str | None = None,
                newline: str | None = None) -> Edit | None:
    """An edit that adds ``import module`` (or ``from module import name``), or None
    when the module already imports it at top level."""
    for stmt in tree.body:
        if name is None and isinstance(stmt, ast.Import):
            if any(a.name == module and a.asname is None for a in stmt.names):
                return None
        if name is not None and isinstance(stmt, ast.ImportFrom) and stmt.module == module and not stmt.level:
            if any(a.name == name and a.asname is None for a in stmt.names):
                return None
    index = LineIndex(text)
    newline = newline or detect_newline(text)
    statement = f"import {module}" if name is None else f"from {module} import {name}"
    anchor = _import_anchor(tree)
    if anchor is None:
        offset = 1 if text.startswith(BOM) else 0
        return Edit(offset, offset, statement + newline)
    _, end = index.node_range(anchor)
    line = index.line_of(end)
    if line + 1 < index.line_count:
        insert_at = index.line_starts[line + 1]
        return Edit(insert_at, insert_at, statement + newline)
    return Edit(len(text), len(text), newline + statement + newline)


def _import_anchor(tree: ast.Module) -> ast.stmt | None:
    """The statement after which a new import goes: the last top-level import of
    the leading import block, else the module docstring, else nothing (file start)."""
    anchor, _ = import_section([statement_kind(stmt) for stmt in tree.body])
    return None if anchor is None else tree.body[anchor]


def statement_kind(stmt: ast.stmt) -> str:
    """What :func:`import_section` reads of a top-level statement: ``"import"``,
    ``"string"`` (an expression statement of a string constant: a docstring at the
    top), ``"try_if"`` or ``""``."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return "string"
    if isinstance(stmt, (ast.Try, ast.If)):
        return "try_if"
    return ""


def import_section(kinds: Sequence[str]) -> tuple[int | None, int]:
    """Where a new import goes among top-level statements of these kinds
    (:func:`statement_kind`, in file order): (position of the statement it goes
    after, or None for the file start; position of the first statement past the
    leading import section, ``len(kinds)`` when there is none).  Only statements
    before that second position decide the first: the reuse engine checks that
    blanking code keeps the place (``incremental._leading_layout``)."""
    anchor: int | None = None
    for index, kind in enumerate(kinds):
        if kind == "import":
            anchor = index
            continue
        if index == 0 and kind == "string":
            anchor = index
            continue
        if anchor is not None and kinds[anchor] == "import":
            return anchor, index
        if kind == "try_if" and anchor is not None:
            # ``try: import x except ImportError`` blocks belong to the import section.
            continue
        return anchor, index
    return anchor, len(kinds)


def indentation_of(text: str, offset: int) -> str:
    """The leading whitespace of the line containing ``offset``."""
    line_start = text.rfind("\n", 0, offset) + 1
    cr = text.rfind("\r", 0, offset) + 1
    line_start = max(line_start, cr)
    end = line_start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[line_start:end]


def indent_unit(text: str) -> str:
    """The file's indentation step (a tab, or the smallest run of spaces used)."""
    smallest = 0
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#") or stripped == line:
            continue
        lead = line[: len(line) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        if smallest == 0 or len(lead) < smallest:
            smallest = len(lead)
    return " " * (smallest or 4)
