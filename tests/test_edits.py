"""Positions and edits: ast UTF-8 byte columns, LSP UTF-16, CLI code points."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings, strategies as st

from lime_task_lint.edits import (
    Applicability, Edit, Fix, LineIndex, apply_edits, detect_newline, fix_is_acceptable, import_edit,
    indent_unit, minimal_edit, with_newline,
)


def _node(text: str, name: str) -> ast.AST:
    return next(n for n in ast.walk(ast.parse(text.lstrip("\ufeff"))) if isinstance(n, ast.Name) and n.id == name)


@pytest.mark.parametrize("prefix", ["", "é", "日本語", "😀", "😀é日"])
def test_ast_columns_map_to_code_points_and_utf16(prefix):
    text = f's = "{prefix}"; target = 1\n'
    index = LineIndex(text)
    start, end = index.node_range(_node(text, "target"))
    assert text[start:end] == "target"
    line, character = index.to_lsp(start)
    assert line == 0
    assert character == len(text[:start].encode("utf-16-le")) // 2
    assert index.from_lsp(line, character) == start
    assert index.to_row_column(start) == (1, start + 1)


def test_crlf_lone_cr_and_bom():
    text = "\ufeffa = 1\r\nb = 2\rtarget = 3\n"
    index = LineIndex(text)
    start, _ = index.node_range(_node(text, "target"))
    assert text[start:start + 6] == "target"
    assert index.to_lsp(start) == (2, 0)
    # The BOM is one code unit before `a` on line 0.
    a_start, _ = index.node_range(_node(text, "a"))
    assert index.to_lsp(a_start) == (0, 1)


def test_positions_past_the_end_are_clamped():
    index = LineIndex("x = 1\n")
    assert index.from_lsp(99, 5) == len("x = 1\n")
    assert index.from_lsp(0, 99) == len("x = 1")
    assert index.to_lsp(10_000) == (1, 0)


def test_from_lsp_inside_a_surrogate_pair_does_not_split_it():
    text = "😀x\n"
    index = LineIndex(text)
    assert index.from_lsp(0, 2) == 1  # after the emoji
    assert index.from_lsp(0, 3) == 2


@pytest.mark.parametrize(("text", "new"), [
    ("a = 1\r\nb = 2\n", "a = 1\nb = 2\n"),        # a stray CR dropped: prefix ends at the CR
    ("x = 1\r\ny = 2\r\n", "x = 1\ny = 2\r\n"),
    ("q = 1\nr = 2\n", "q = 1\r\nr = 2\n"),        # a CR added before an LF
    ("s\r\n", "t\n"),                               # the suffix starts at the LF of a CR LF
])
def test_minimal_edit_never_splits_a_crlf_line_break(text, new):
    """Found by fuzzing: an LSP position cannot lie between CR and LF."""
    edit = minimal_edit(text, Edit(0, len(text), new))
    assert apply_edits(text, [edit]) == new
    index = LineIndex(text)
    for offset in (edit.start, edit.end):
        line, character = index.to_lsp(offset, "utf-16")
        assert character <= len(index.line_text(line).rstrip("\r\n"))


def test_minimal_edit_keeps_common_prefix_and_suffix():
    text = "value = len(list(rows))"
    edit = minimal_edit(text, Edit(0, len(text), "value = rows.count"))
    assert apply_edits(text, [edit]) == "value = rows.count"
    assert edit.start == len("value = ")


def test_apply_edits_rejects_overlaps():
    with pytest.raises(ValueError):
        apply_edits("abcdef", [Edit(0, 3, "x"), Edit(2, 4, "y")])


def test_newlines_follow_the_document():
    assert detect_newline("a\r\nb\r\nc\n") == "\r\n"
    assert detect_newline("single line") == "\n"
    assert with_newline("a\nb\n", "\r\n") == "a\r\nb\r\n"


def test_import_edit_after_existing_imports_and_not_twice():
    text = '"""Doc."""\r\nimport logging\r\n\r\nx = 1\r\n'
    tree = ast.parse(text)
    edit = import_edit(text, tree, "itertools")
    result = apply_edits(text, [edit])
    assert result == '"""Doc."""\r\nimport logging\r\nimport itertools\r\n\r\nx = 1\r\n'
    assert import_edit(result, ast.parse(result), "itertools") is None
    from_edit = import_edit(text, tree, "lime_filter", "InOperator")
    assert "from lime_filter import InOperator\r\n" in apply_edits(text, [from_edit])


def test_import_edit_in_empty_module():
    assert apply_edits("", [import_edit("", ast.parse(""), "time")]) == "import time\n"


def test_fix_that_breaks_the_code_is_refused():
    text = "x = foo(1)\n"
    good = Fix("ok", (Edit(4, 10, "bar(2)"),), Applicability.SAFE)
    bad = Fix("bad", (Edit(4, 10, "bar(2"),), Applicability.SAFE)
    assert fix_is_acceptable(text, good)
    assert not fix_is_acceptable(text, bad)


def test_fix_in_a_broken_file_may_not_add_a_broken_statement():
    text = "def ok():\n    return len(x)\n\ndef broken(:\n    pass\n"
    keeps = Fix("ok", (Edit(21, 27, "x.count"),), Applicability.SAFE)
    breaks = Fix("bad", (Edit(21, 27, "x.count("),), Applicability.SAFE)
    assert fix_is_acceptable(text, keeps)
    assert not fix_is_acceptable(text, breaks)


def test_indent_unit():
    assert indent_unit("def f():\n\tpass\n") == "\t"
    assert indent_unit("def f():\n  if x:\n    pass\n") == "  "


# -- LineIndex.after_edits: the previous version's line starts, moved -------------------
_PIECES_OF_TEXT = st.lists(st.sampled_from(["a", "é", "\U0001F600", " ", "\n", "\r\n", "\r", "\ufeff", "x = 1\n"]),
                           max_size=30).map("".join)


@st.composite
def _text_and_edits(draw):
    text = draw(_PIECES_OF_TEXT)
    edits = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 6)))
        edits.append(Edit(start, end, draw(_PIECES_OF_TEXT)))
    edits.sort(key=lambda e: (e.start, e.end))
    kept = []
    for edit in edits:  # non-overlapping, as the callers' edits are
        if not kept or (edit.start >= kept[-1].end and edit.start != kept[-1].start):
            kept.append(edit)
    return text, kept


@settings(derandomize=True, deadline=None, database=None, max_examples=2000)
@given(_text_and_edits())
def test_a_line_index_moved_past_edits_is_the_new_texts_own(case):
    text, edits = case
    new_text = apply_edits(text, edits)
    moved = LineIndex.after_edits(LineIndex(text), new_text, edits)
    if moved is None:
        assert any("\r" in e.new_text or "\r" in text[max(0, e.start - 1):e.end + 1] for e in edits)
        return
    fresh = LineIndex(new_text)
    assert vars(moved) == vars(fresh)


def test_a_line_index_is_moved_past_edits_without_carriage_returns():
    text = "a\nbb\nccc\n"
    moved = LineIndex.after_edits(LineIndex(text), "a\nXb\nb\ncc\n", [Edit(2, 2, "X"), Edit(3, 7, "\nb\nc")])
    assert moved is not None and moved.line_starts == LineIndex("a\nXb\nb\ncc\n").line_starts == [0, 2, 5, 7, 10]
    assert LineIndex.after_edits(LineIndex("a\r\nb"), "a\rX\nb", [Edit(2, 2, "X")]) is None


@given(st.lists(st.sampled_from(["a", "å", "😀", "\n", "\r", "\r\n", "\u2028", "\x0c", "\x0b", " "]),
                max_size=60).map("".join))
def test_line_starts_break_only_at_lf_cr_lf_and_cr(text):
    """Input: any text of LSP line breaks and the characters ``str.splitlines`` also
    breaks at (U+2028, form feed, vertical tab).  Expected: a line starts after
    each ``\\n``, ``\\r\\n`` or ``\\r`` and nowhere else, whichever way the index
    is built (LF-only texts take a faster path)."""
    expected = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    assert LineIndex(text).line_starts == expected
