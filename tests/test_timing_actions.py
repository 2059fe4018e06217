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


LOOPS = '''import logging
import time

logger = logging.getLogger(__name__)


def sync(app, batches):
    for batch in batches:
        for row in batch:
            if not row:
                break
        else:
            continue
        def check(item):
            return item
        for row in batch:
            if not row:
                break
            check(row)
    return "done"
'''


def _measured_with_try(first_line: str, last_line: str) -> bool:
    """Measure the statements from ``first_line`` to ``last_line`` of LOOPS:
    whether the timer is wrapped in try/finally (control can leave the block)."""
    start = LOOPS.index(first_line)
    measure = action(LOOPS, "Measure this block", start, LOOPS.index(last_line) + len(last_line) - 1)
    assert measure is not None, first_line
    timed = apply_edits(LOOPS, measure.edits)
    assert parses(timed)
    return "try:" in timed


def test_measure_block_wraps_in_try_only_when_control_can_leave_it():
    # The break stops a loop of the block, but the continue in the loop's else
    # continues the outer loop: control leaves the block.
    assert _measured_with_try("        for row in batch:\n            if not row:\n                break\n        else",
                              "            continue")
    # A break of the block's own loop stays in it.
    assert not _measured_with_try("        for row in batch:\n            if not row:\n                break\n"
                                  "            check", "            check(row)")


def test_time_each_step_ignores_a_return_of_a_nested_function():
    text = TASK.replace('    companies = load(app)\n', '    def visible(company):\n'
                        '        return company.properties.status.value\n    companies = load(app)\n')
    steps = action(text, "Time each step of this task", text.index("def count_active"))
    timed = apply_edits(text, steps.edits)
    assert parses(timed) and "try:" not in timed
    assert "    def visible(company):\n        return company.properties.status.value\n    companies = load(app)\n" \
           "    logger.info(" in timed


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


# -- never an edit that does not parse --------------------------------------------------------
TRICKY = '''import logging
from lime_task import task

logger = logging.getLogger(__name__)


@task
def job(app, rows, mode):
    """Doc
    string."""
    if mode == 1:
        a = load(app)
    elif mode == 2:
        a = load2(app)
    else:
        a = []
    try:
        b = work(a)
    except ValueError:
        b = None
    else:
        c = more(b)
    finally:
        done()
    for row in rows:
        if row: continue
        x = f(row); y = g(row)
    while rows:
        rows.pop()
    else:
        fin()
    match mode:
        case 1:
            go()
        case _:
            stop()
    text = """multi
line"""
    with open(a) as fh, \\
            open(b) as gh:
        z = fh.read()
    value = (1 +
  2)
    if mode: return 1
    return a
'''


def test_selecting_an_elif_or_else_clause_offers_nothing():
    """An `elif` is an If node in the ast (the `orelse` of the `if` above): timing
    it as a statement put `timer = ...` between the `if` body and its `elif`."""
    for clause in ("    elif mode == 2:\n", "    elif mode == 2:\n        a = load2(app)\n    else:\n"):
        start = TRICKY.index(clause)
        assert action(TRICKY, "Measure this block", start, start + len(clause) - 1) is None
    # The statement inside the elif, and the whole if/elif/else, still can be measured.
    inner = TRICKY.index("        a = load2(app)")
    timed = apply_edits(TRICKY, action(TRICKY, "Measure this block", inner, inner + 12).edits)
    assert parses(timed) and "        load2_started = time.perf_counter()\n        a = load2(app)\n" in timed
    whole = TRICKY.index("    if mode == 1:")
    timed = apply_edits(TRICKY, action(TRICKY, "Measure this block", whole, TRICKY.index("        a = []")).edits)
    assert parses(timed) and "    load_started = time.perf_counter()\n    if mode == 1:\n" in timed


def test_every_offered_timing_edit_parses():
    """Every selection between line starts (plus offsets inside strings, clauses and
    continuation lines) of a task full of clauses, one-line bodies, `;`, match,
    multi-line strings and continuation lines: whatever is offered parses."""
    analysis = analyse("file:///t.py", TRICKY, Settings(), path=None)
    starts = [0] + [i + 1 for i, c in enumerate(TRICKY) if c == "\n"]
    inside = [TRICKY.index(s) + 2 for s in ('"""multi', "line\"\"\"", "else:", "case _", "open(b)", "  2)", "y = g")]
    offsets = sorted(set(starts + inside))
    offered = 0
    for i, start in enumerate(offsets):
        for end in offsets[i + 1:]:
            for provided in provided_actions(analysis, start, end):
                if provided.title in ("Measure this block", "Time each step of this task"):
                    offered += 1
                    assert parses(apply_edits(TRICKY, provided.edits)), (provided.title, TRICKY[start:end])
    assert offered > 300


def test_an_edit_that_would_not_parse_is_dropped(monkeypatch):
    """The last line of defence: whatever the builder produces, an edit that does
    not parse is never offered."""
    from lime_task_lint.edits import Edit
    from lime_task_lint.features import timing

    start = TASK.index("    matching = 0")
    assert action(TASK, "Measure this block", start, start + 10) is not None
    assert action(TASK, "Time each step of this task", TASK.index("def count_active")) is not None

    def broken(analysis, statements, *args, **kwargs):
        offset = analysis.document.node_range(statements[0])[0]
        return [Edit(offset, offset, "timer = (\n")]

    monkeypatch.setattr(timing, "timer_edits", broken)
    assert action(TASK, "Measure this block", start, start + 10) is None
    assert action(TASK, "Time each step of this task", TASK.index("def count_active")) is None
