from __future__ import annotations

from lime_task_lint.checker import check, is_enabled
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import LineIndex, apply_edits
from lime_task_lint.noqa import add_noqa_edit, parse_suppressions
from lime_task_lint.settings import Settings

FLAGGED = "n = len(list(app.limetypes.company.get_all()))"
HEAD = "from lime_task import task\n\n@task\ndef job(app: LimeApplication) -> None:\n    \"\"\"Count.\"\"\"\n"


def codes(body: str) -> list[str]:
    return [v.code for v in check(SourceDocument(HEAD + body), Settings()).violations]


def test_line_noqa_forms():
    assert codes(f"    {FLAGGED}\n") == ["LIME104"]
    assert codes(f"    {FLAGGED}  # noqa\n") == []
    assert codes(f"    {FLAGGED}  # noqa: LIME104\n") == []
    assert codes(f"    {FLAGGED}  # noqa: E501, LIME104\n") == []
    assert codes(f"    {FLAGGED}  # noqa: LIME101\n") == ["LIME104"]
    assert codes(f"    s = '# noqa'; {FLAGGED}\n") == ["LIME104"]  # inside a string it is no comment


def test_file_level_noqa():
    assert codes(f"    {FLAGGED}\n# lime-task-lint: noqa\n") == []
    assert codes(f"    {FLAGGED}\n# lime-task-lint: noqa: LIME104\n") == []
    assert codes(f"    {FLAGGED}\n# lime-task-lint: noqa: LIME301\n") == ["LIME104"]
    assert parse_suppressions("# ruff: noqa\n").file_all is False  # ruff's own file switch is ruff's


def test_add_noqa_edit_creates_or_extends_the_comment():
    for line, expected in [
        ("x = 1\n", "x = 1  # noqa: LIME104\n"),
        ("x = 1  # noqa: E501\n", "x = 1  # noqa: E501, LIME104\n"),
        ("x = 1  # a comment\n", "x = 1  # a comment  # noqa: LIME104\n"),
    ]:
        edit = add_noqa_edit(line, LineIndex(line), 0, "LIME104")
        assert apply_edits(line, [edit]) == expected


def test_select_and_ignore_specificity():
    assert is_enabled("LIME104", ("LIME",), ())
    assert not is_enabled("LIME104", ("LIME",), ("LIME1",))
    assert is_enabled("LIME104", ("LIME104",), ("LIME1",))  # more specific select wins
    assert not is_enabled("LIME104", ("LIME2",), ())
    assert is_enabled("LIME104", ("ALL",), ())
