"""``# noqa`` for findings that start where no comment can go: inside a
multi-line string or f-string, or on a line continued with a backslash.  The
comment is read from, and written to, the last line of that string or
continuation (ruff's rule), and writing never touches a string's text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import LineIndex, apply_edits
from lime_task_lint.noqa import add_noqa_edit, add_noqa_edits, noqa_line, parse_suppressions
from lime_task_lint.settings import Settings

EAGER_LOG = '''import logging

log = logging.getLogger(__name__)


def sync_orders(total, shop):
    log.info(f"""Synced {total} orders
    from {shop}"""){comment}
'''


def eager_log(comment: str) -> str:
    return EAGER_LOG.replace("{comment}", comment)


def _codes(text: str) -> list[tuple[str, int]]:
    return [(v.code, SourceDocument(text).index.line_of(v.start))
            for v in check(SourceDocument(text), Settings()).violations]


def test_noqa_after_the_closing_quotes_suppresses_a_finding_inside_the_string():
    assert [code for code, _ in _codes(eager_log(""))] == ["LIME306"]
    assert _codes(eager_log("  # noqa: LIME306")) == []
    assert _codes(eager_log("  # noqa")) == []
    assert [c for c, _ in _codes(eager_log("  # noqa: LIME104"))] == ["LIME306"]


def test_noqa_text_inside_the_string_is_no_comment():
    text = eager_log("").replace("orders\n", "orders  # noqa: LIME306\n")
    assert [code for code, _ in _codes(text)] == ["LIME306"]


def test_statement_scoped_and_whole_text_scans_agree_on_the_mapping():
    text = eager_log("  # noqa: LIME306") + 'NOTE = """a\nb\n"""\nx = 1 + \\\n    2  # noqa\n'
    document = SourceDocument(text)
    from lime_task_lint.checker import document_statement_lines

    scoped = parse_suppressions(text, document.index.line_starts, document_statement_lines(document))
    whole = parse_suppressions(text)
    assert whole.noqa_line_of == {6: 7, 8: 10, 9: 10, 11: 12}
    # Only the statements with a noqa are read; what they map agrees.
    assert scoped.noqa_line_of == {6: 7, 11: 12}
    assert scoped.lines == whole.lines == {7: {"LIME306"}, 12: None}
    assert scoped.suppresses("LIME306", 6) and scoped.suppresses("X1", 11) and not scoped.suppresses("X1", 8)


@pytest.mark.parametrize("source, line, expected", [
    ('x = """one\ntwo\nthree"""\n', 0, 2),
    ('x = """one\ntwo\nthree"""\n', 1, 2),
    ('x = 1\n', 0, 0),
    ('f("""a\nb""", """c\nd""")\n', 0, 2),  # two strings sharing a line: one span
    ('y = 2 + \\\n    3\n', 0, 1),  # a backslash continuation
    ('z = (1,\n     2)\n', 0, 0),  # brackets: a comment fits on every line
    ("w = f'''{a}\n{b}'''\n", 0, 1),
])
def test_noqa_line(source, line, expected):
    assert noqa_line(source, line) == expected


DOCUMENTED = '''def fetch(api, since):
    """Rows since a date.

    Args:
        api: The client.
    """
    return api.get(since)
'''


def test_the_quick_fix_goes_after_the_closing_quotes_and_leaves_the_string_alone():
    edit = add_noqa_edit(DOCUMENTED, LineIndex(DOCUMENTED), 1, "LIME403")
    fixed = apply_edits(DOCUMENTED, [edit])
    assert ast.get_docstring(ast.parse(fixed).body[0]) == ast.get_docstring(ast.parse(DOCUMENTED).body[0])
    assert fixed.splitlines()[5] == '    """  # noqa: LIME403'
    assert parse_suppressions(fixed).suppresses("LIME403", 1)


def test_several_codes_merge_into_one_comment_per_noqa_line():
    text = 'msg = f"""{a}\n{b}"""  # noqa: E501\nvalue = compute()\n'
    edits = add_noqa_edits(text, [(0, "LIME306"), (1, "LIME104"), (0, "E501"), (2, "LIME101"), (2, "LIME102")])
    fixed = apply_edits(text, edits)
    assert fixed == 'msg = f"""{a}\n{b}"""  # noqa: E501, LIME306, LIME104\nvalue = compute()  # noqa: LIME101, LIME102\n'
    suppressions = parse_suppressions(fixed)
    assert all(suppressions.suppresses(code, line)
               for line, code in [(0, "LIME306"), (1, "LIME104"), (2, "LIME101"), (2, "LIME102")])
    # Written again, nothing changes: every code is there already.
    assert add_noqa_edits(fixed, [(0, "LIME306"), (2, "LIME102")]) == []


def test_a_bare_noqa_or_an_other_comment():
    assert add_noqa_edits("x = 1  # noqa\n", [(0, "LIME104")]) == []
    text = "x = 1  # keep me\r\ny = 2\r\n"
    fixed = apply_edits(text, add_noqa_edits(text, [(0, "LIME104")]))
    assert fixed == "x = 1  # keep me  # noqa: LIME104\r\ny = 2\r\n"
    assert parse_suppressions(fixed).suppresses("LIME104", 0)


def test_writing_a_noqa_in_a_file_that_does_not_tokenize_still_appends_to_the_line():
    text = "x = compute()\ns = '''never closed\n"
    fixed = apply_edits(text, add_noqa_edits(text, [(0, "LIME104")]))
    assert fixed.startswith("x = compute()  # noqa: LIME104\n")


ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "examples").rglob("*.py")) + sorted((ROOT / "tests" / "fixtures" / "rules").glob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_the_quick_fix_reads_only_the_statement_and_agrees_with_the_whole_text(path):
    """The quick fix tokenizes just the statement around the finding; on every
    line of the project's own sources (docstrings, f-strings, continuations) it
    writes what tokenizing the whole text writes."""
    text = path.read_text(encoding="utf-8")
    index = LineIndex(text)
    for line in range(index.line_count):
        whole = add_noqa_edits(text, [(line, "LIME999")], index)
        single = add_noqa_edit(text, index, line, "LIME999")
        if whole:
            assert single == whole[0], (path.name, line)
        else:
            assert not single.new_text and single.start == single.end, (path.name, line)


TRICKY = [
    'x = 1\ns = """not # a comment\ndef inside():\n    pass\n"""  # noqa: E501\ny = 2\n',
    "report = f'''{a!r}\n# still text\n{b:>{width}}'''\nz = 3 + \\\n    4\n",
    "if ready:\n    call(a,\n# comment in brackets\n         b)\nelse:\n    pass\n",
    "value = 'one line # not a comment' \\\r\n    + 'two'\r\nnext_value = 1\r\n",
    "broken = (\n    1,\nunclosed = '''\ntext\n",  # does not tokenize: the whole text decides
    "d = {'k': \"v\"}\nq = r'\\'' + \"\\\"\"  # noqa\nw = 5\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_the_quick_fix_window_on_tricky_lexis(text):
    index = LineIndex(text)
    for line in range(index.line_count):
        whole = add_noqa_edits(text, [(line, "LIME999")], index)
        single = add_noqa_edit(text, index, line, "LIME999")
        assert single == (whole[0] if whole else single) and (whole or not single.new_text), line
