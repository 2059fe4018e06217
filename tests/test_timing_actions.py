"""The timing code actions: "Measure this block" and "Time each step of this task"."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from lime_task_lint.analysis import analyse
from lime_task_lint.edits import apply_edits, parses
from lime_task_lint.extensions import provided_actions
from lime_task_lint.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from fakelime import load_task_module, make_app  # noqa: E402

TASK = '''"""Tasks."""

from lime_task import task


def load(app):
    return list(app.limetypes.company.get_all())


@task
def count_active(app, status):
    """Count companies of a status."""
    companies = load(app)

    matching = 0
    for company in companies:
        if company.properties.status.value == status:
            matching += 1
    return f"{matching} {status} companies"
'''


def action(text: str, title: str, start: int, end: int | None = None):
    analysis = analyse("file:///t.py", text, Settings(), path=None)
    found = [a for a in provided_actions(analysis, start, start if end is None else end) if a.title == title]
    return found[0] if found else None


def test_measure_block_wraps_selection_and_adds_imports_once():
    start = TASK.index("    matching = 0")
    end = TASK.index("    return f")
    measure = action(TASK, "Measure this block", start, end - 1)
    assert measure is not None and measure.kind == "refactor.rewrite"
    timed = apply_edits(TASK, measure.edits)
    assert parses(timed)
    assert "import time\n" in timed and "import logging\n" in timed
    assert "logger = logging.getLogger(__name__)" in timed
    assert "    company_loop_started = time.perf_counter()\n    matching = 0\n" in timed
    assert ('            matching += 1\n    logger.info("company loop took %.3f s", '
            'time.perf_counter() - company_loop_started)\n    return') in timed
    # Running the action again on the same statements does not nest timers.
    start2 = timed.index("    matching = 0")
    end2 = timed.index("            matching += 1") + 10
    assert action(timed, "Measure this block", start2, end2) is None
    # Another block in the same file reuses the imports and the logger.
    s3 = timed.index("    companies = load(app)")
    again = apply_edits(timed, action(timed, "Measure this block", s3, s3 + 10).edits)
    assert again.count("import time") == 1 and again.count("getLogger") == 1
    assert 'logger.info("load took %.3f s", time.perf_counter() - load_started)' in again


def test_measure_block_with_return_uses_try_finally():
    text = TASK.replace("    return f\"{matching}", "    if matching:\n        return 'x'\n    return f\"{matching}")
    start = text.index("    if matching:")
    measure = action(text, "Measure this block", start, start + 15)
    timed = apply_edits(text, measure.edits)
    assert parses(timed)
    assert "    try:\n        if matching:\n            return 'x'\n    finally:\n        logger.info(" in timed


def test_no_action_without_selection_or_outside_functions():
    assert action(TASK, "Measure this block", TASK.index("    matching = 0")) is None
    assert action(TASK, "Measure this block", 0, 10) is None


def test_time_each_step_times_groups_and_adds_summary_and_is_idempotent():
    offset = TASK.index("def count_active")
    step = action(TASK, "Time each step of this task", offset)
    timed = apply_edits(TASK, step.edits)
    assert parses(timed)
    assert timed.count("step_started = time.perf_counter()") == 2
    assert 'logger.info("count_active: load took %.3f s"' in timed
    assert 'logger.info("count_active: company loop took %.3f s"' in timed
    summary = 'logger.info("count_active finished in %.3f s", time.perf_counter() - count_active_started)'
    assert f"    {summary}\n    return f" in timed
    assert action(timed, "Time each step of this task", timed.index("def count_active")) is None


def test_timed_task_really_logs_durations(caplog):
    step = action(TASK, "Time each step of this task", TASK.index("def count_active"))
    timed = apply_edits(TASK, step.edits)
    module = load_task_module(timed, "timed_tasks")
    app = make_app(companies=20, persons_per_company=0)
    with caplog.at_level(logging.INFO, logger="timed_tasks"):
        result = module.count_active(app, "active")
    before = load_task_module(TASK, "untimed_tasks").count_active(app, "active")
    assert result == before
    messages = [r.getMessage() for r in caplog.records if r.name == "timed_tasks"]
    assert len(messages) == 3
    assert messages[0].startswith("count_active: load took ") and messages[0].endswith(" s")
    assert messages[1].startswith("count_active: company loop took ")
    assert messages[2].startswith("count_active finished in ")
    assert all(float(m.rsplit(" ", 2)[1]) >= 0 for m in messages)


def test_crlf_and_tabs_are_kept():
    text = TASK.replace("    ", "\t").replace("\n", "\r\n")
    step = action(text, "Time each step of this task", text.index("def count_active"))
    timed = apply_edits(text, step.edits)
    assert parses(timed)
    assert "\n" not in timed.replace("\r\n", "")
    assert "\tstep_started = time.perf_counter()\r\n" in timed
