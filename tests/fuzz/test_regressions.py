"""Regression tests for the failures the fuzzing found (one test per failure),
and a check that the property checker itself catches broken answers."""

from __future__ import annotations

import pytest

from lime_task_lint.analysis import analyse
from lime_task_lint.document import recover_module
from lime_task_lint.edits import Edit, LineIndex, apply_edits
from lime_task_lint.settings import Settings

from .properties import check_document, check_range

TASK = '''import lime_filter


def helper(app):
    # 日本語 😀: a comment line the fix must never touch
    return len(list(app.limetypes.company.get_all()))
'''


@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_recovery_keeps_line_numbers_after_characters_str_splitlines_breaks_at(odd):
    """Found by test_random_edits: a broken file holding a form feed (str.splitlines
    breaks lines there, Python does not) had every recovered statement on the
    wrong line; the LIME104 fix then rewrote a comment instead of the call."""
    text = odd + " x y\n" + TASK  # line 1 does not parse: the recovery path runs
    module = recover_module(text)
    assert module.broken_ranges
    function = next(s for s in module.tree.body if getattr(s, "name", None) == "helper")
    assert function.lineno == 5 and function.end_lineno == 7
    analysis = analyse("file:///t.py", text, Settings())
    [violation] = [v for v in analysis.violations if v.code == "LIME104"]
    assert text[violation.start:violation.end] == "len(list(app.limetypes.company.get_all()))"
    fixed = apply_edits(text, violation.fix.edits)
    assert "return app.limetypes.company.get_all().count" in fixed
    assert "# 日本語 😀: a comment line the fix must never touch" in fixed


def test_property_checker_rejects_ranges_outside_the_document():
    text = "x = '😀'\n"
    index = LineIndex(text)
    check_range(text, index, 0, len(text), "whole")
    for start, end in [(-1, 2), (3, 2), (0, len(text) + 1)]:
        with pytest.raises(AssertionError):
            check_range(text, index, start, end, "bad")


def test_property_checker_rejects_a_fix_that_breaks_the_module(monkeypatch):
    from lime_task_lint import checker

    original = checker._checked_fix

    def corrupting(document, fix, *args, **kwargs):
        checked = original(document, fix, *args, **kwargs)
        if checked is None:
            return None
        return type(checked)(checked.title, (Edit(0, 0, "def ("),), checked.applicability)

    monkeypatch.setattr(checker, "_checked_fix", corrupting)
    with pytest.raises(AssertionError, match="breaks a module that parsed"):
        check_document(TASK, fix_all=False)


def test_noqa_in_a_file_that_does_not_tokenize_counts_lines_like_python():
    """A broken file (unterminated string: the tokenizer gives up) with a form feed
    above the finding: the line-scan fallback numbered lines with str.splitlines,
    so the ``# noqa`` silenced the wrong line."""
    from lime_task_lint.noqa import parse_suppressions

    text = "x = 1 \x0c y = 2\n" + TASK.replace("get_all()))", "get_all()))  # noqa: LIME104") + "s = '''never closed\n"
    suppressions = parse_suppressions(text)
    line = next(n for n, l in enumerate(text.split("\n")) if "noqa" in l)
    assert suppressions.lines.get(line) == {"LIME104"}
    analysis = analyse("file:///t.py", text, Settings())
    assert not [v for v in analysis.violations if v.code == "LIME104"]


# -- failures in rules found by fuzzing, fixed ---------------------------------------------

@pytest.mark.parametrize("source", ["f = lambda x: x\n", "g(lambda: 1)\n",
                                    "@(lambda f: f)\ndef decorated(app):\n    pass\n"])
def test_lime302_survives_lambdas(source):
    """logging_model.taint read a lambda's body (one expression) as a list of
    statements: TypeError, and LIME302 lost every finding of the file."""
    analysis = analyse("file:///t.py", source, Settings())
    assert not [n for n in analysis.result.notes if n.startswith("LIME302 failed")]


def test_lime302_still_finds_a_secret_next_to_a_lambda():
    source = ('import logging\nlogger = logging.getLogger(__name__)\nf = lambda x: x.a\n\n\n'
              'def job(app, password):\n    logger.info("%s", password)\n')
    analysis = analyse("file:///t.py", source, Settings())
    assert not analysis.result.notes
    assert [v.code for v in analysis.violations if v.code == "LIME302"] == ["LIME302"]


def test_lime306_survives_lambdas():
    """The same crash reached LIME306 through the shared taint cache."""
    source = ('import logging\nlogger = logging.getLogger(__name__)\nf = lambda x: x.a\n'
              'logger.info("%s" % f)\n')
    analysis = analyse("file:///t.py", source, Settings())
    assert not [n for n in analysis.result.notes if n.startswith("LIME306 failed")]
    assert [v.code for v in analysis.violations if v.code == "LIME306"] == ["LIME306"]


@pytest.mark.parametrize("deep", [
    "x = " + "not " * 1000 + "y\n",
    "x = " + "-" * 1000 + "1\n",
    "x = a" + ".b" * 1000 + "\n",
    "x = " + " + ".join(["1"] * 1000) + "\n",
    "x = a" + "[0]" * 1000 + "\n",
    "f = " + "lambda: " * 1000 + "1\n",
])
def test_valid_but_absurdly_deep_code_is_skipped_not_crashed_on(deep):
    """Found by test_deep_nesting: 1,000-deep expressions parse, and every rule then
    hit RecursionError (all findings of the file lost, a traceback per keystroke).
    The too-deep statement is now left out like a broken one; the rest is analysed."""
    text = deep + TASK
    module = recover_module(text)
    assert module.broken_ranges == [(1, 1)] and "nested too deeply" in module.error
    report = check_document(text, fix_all=False)
    assert [v.code for v in report.analysis.violations if v.code == "LIME104"] == ["LIME104"]


@pytest.mark.parametrize("text", [
    "x = " + "f'{" * 30_000 + "1" + "}'" * 30_000 + "\n",
    "x = " + "(" * 30_000 + "\n",
    "".join(" " * i + "if x:\n" for i in range(3_000)) + " " * 3_000 + "pass\n",
])
def test_absurd_nesting_that_does_not_parse_gives_up_fast(text):
    """Found by test_deep_nesting: the parso recovery took 486 s on 30,000 nested f-strings."""
    import time

    start = time.perf_counter()
    module = recover_module(text + TASK)
    assert time.perf_counter() - start < 2
    # The deep statement is left out (and only it, when it ends: tests/test_document_deep.py).
    assert module.error and module.broken_ranges[0][0] == 1


@pytest.mark.parametrize("target", [(3, 10), (3, 12)])
def test_lime201_batching_fix_removes_its_finding_without_add(target):
    """Found with LIME_FUZZ_EXAMPLES=600: when the loop body adds nothing to the
    unit of work, LIME201 flagged the batch loop its own fix wrote ('2,000
    commits at 2,000 batch of 50s'). A loop over batches commits per batch."""
    from .properties import check_fix

    source = '''from lime_task import task


@task
def no_add(app, rows):
    for row in rows:
        if not row.get("active"):
            continue
        uow = app.unit_of_work()
        # the add was commented out
        uow.commit()
'''
    settings = Settings(target_version=target)
    [violation] = [v for v in analyse("file:///t.py", source, settings).violations if v.code == "LIME201"]
    check_fix(source, violation, settings)
    fixed = apply_edits(source, violation.fix.edits)
    assert ("itertools.batched(" in fixed) == (target >= (3, 12))
    left = analyse("file:///t.py", fixed, settings).violations
    assert not [v for v in left if v.code in ("LIME201", "LIME204")], left


@pytest.mark.parametrize("stray", ["\r\n", "\r"])
def test_lime403_update_of_a_docstring_with_a_stray_line_ending(stray):
    """Found by the longer run of test_line_endings_tabs_bom_and_unicode: one
    line of an LF docstring ended in CR LF, the update split the body on CR LF
    only, saw no sections and appended a second Args and Returns, so the fix
    left a LIME403 ("documents parameter 'app' twice")."""
    text = (
        "from lime_task import task\n\n\n@task\n"
        'def deal_summary(app, year: int, currency: str = "SEK") -> str:\n'
        '    """Summarise the deals of a year.\n\n'
        "    Args:\n        app: The Lime application.\n        year: The year to summarise.\n\n"
        f"    Returns:\n        A summary of the task.{stray}"
        '    """\n    return f"{year} {currency}"\n'
    )
    uri, path = "file:///w/tasks/report.py", "/w/tasks/report.py"
    [stale] = [v for v in analyse(uri, text, Settings(), path=path).violations if v.code == "LIME403"]
    assert "'currency' is not documented" in stale.message
    fixed = apply_edits(text, stale.fix.edits)
    assert fixed.count("Args:") == 1 and fixed.count("Returns:") == 1
    assert "        year: The year to summarise.\n        currency" in fixed
    assert "A summary of the task.\n" in fixed  # the stray ending takes the file's
    assert not [v for v in analyse(uri, fixed, Settings(), path=path).violations if v.code == "LIME403"]
    check_document(text)
