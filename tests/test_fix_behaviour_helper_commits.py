"""LIME201's fix for a helper that commits once per item: the helper takes the
caller's unit of work as a keyword argument with a default (other callers keep
committing their own) and the caller commits once per batch.  Run before and
after `--fix --unsafe-fixes` on the fake application with 1,500 rows: the same
result and data, at most ceil(rows / 50) commits; withheld (the message says
why) when the helper reads, when code follows its commit, or when the loop may
stop early."""

from __future__ import annotations

import math
import textwrap

from differential import Scenario, fixed, outcome
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings

SCHEMA = {"contract": {"erp_id": "string", "name": "string"}}
ROWS = [{"id": f"E{i}", "name": f"Contract {i}", "skip": i % 7 == 0} for i in range(1500)]
SETTINGS = Settings(target_version=(3, 11), batch_size=50)


def _findings(source: str):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), SETTINGS, codes={"LIME201"})
    return [v for v in result.violations if v.code == "LIME201"]


SAVES = '''
from lime_task import task


def save(app, row, name_suffix=""):
    """Store one contract."""
    work = app.unit_of_work()
    contract = app.limetypes.contract(erp_id=row["id"], name=row["name"] + name_suffix)
    work.add(contract)
    work.commit()


@task
def import_rows(app, rows: list):
    stored = 0
    for row in rows:
        if row["skip"]:
            continue
        save(app, row, "!")
        stored += 1
    return stored


@task
def import_one(app, row: dict):
    save(app, row)
    return "one"
'''


def test_a_committing_helper_gets_the_unit_of_work_and_the_caller_commits_per_batch():
    [finding] = _findings(SAVES)
    assert finding.fix is not None and not finding.fix.is_safe
    assert "Pass one unit of work to `save()`" in finding.fix.title
    source = textwrap.dedent(SAVES)
    after = fixed(source, unsafe=True, codes={"LIME201"}, settings=SETTINGS)
    assert "def save(app, row, name_suffix=\"\", unit_of_work=None):" in after
    assert "save(app, row, \"!\", unit_of_work=uow)" in after
    for task, args in (("import_rows", (ROWS,)), ("import_one", (ROWS[3],))):
        for page_size in (None, 40):
            before = outcome(source, task, Scenario("r", SCHEMA, args=args, page_size=page_size))
            run = outcome(after, task, Scenario("r", SCHEMA, args=args, page_size=page_size))
            assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data)
            if task == "import_rows":
                assert before.commits == sum(not r["skip"] for r in ROWS)
                assert run.commits <= math.ceil(len(ROWS) / 50)
                assert before.commits >= 40 * run.commits
            else:
                assert run.commits == before.commits == 1  # the other caller still commits its own
    # Fixed once: the call that passes the unit of work is not flagged again.
    assert _findings(after) == []


READS_FIRST = SAVES.replace('''    work = app.unit_of_work()
    contract''', '''    if app.limetypes.contract.get_all(limit=1).count > 10_000:
        return
    work = app.unit_of_work()
    contract''')

RETURNS_ID = SAVES.replace('''    work.commit()
''', '''    work.commit()
    return contract.id
''')

STOPS = SAVES.replace('''        save(app, row, "!")
        stored += 1''', '''        save(app, row, "!")
        stored += 1
        if stored > 100:
            break''')


def test_not_offered_when_batching_would_change_what_the_helper_or_loop_sees():
    for source, reason in ((READS_FIRST, "reads"), (RETURNS_ID, "not its last statement"),
                           (STOPS, "may stop early")):
        [finding] = _findings(source)
        assert finding.fix is None and "no automatic fix" in finding.message and reason in finding.message, \
            finding.message
