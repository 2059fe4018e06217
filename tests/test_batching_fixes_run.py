"""Proof by running: the batching fixes (LIME201/LIME202/LIME204) keep what a
task does, apart from the changes their Fix safety docs list, or are not offered.

Each test writes a task (original), asks the project's fixer for the fixed
source, runs both on the fake Lime application (tests/fakelime) with the same
data (1,000+ rows) and compares what an observer sees: the return value or
the exception raised, the stored data with ids (ids are handed out at commit
time, so equal ids mean the objects were committed in the same order), and the
log records.  Where a fix must not be offered, the finding says why and the
fixed source is the original.

Kinds covered (each with inputs of its own): a commit that runs only under a
condition (``if``/``else``, ``and``/``or``, a ``with`` that may suppress its
error, a ``continue`` after the add), code between the loop and a LIME202
commit, an object changed after its add in a later item, a per-item ``try``
whose ``else:`` or body counts saved rows, and a per-item ``try`` that skips bad
rows.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, load_task_module, seed  # noqa: E402

from lime_task_lint.checker import check  # noqa: E402
from lime_task_lint.document import SourceDocument  # noqa: E402
from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

BATCH = 50
ROWS = 1_200
SETTINGS = Settings(batch_size=BATCH, target_version=(3, 10))
SCHEMA = {
    "contract": {"erp_id": "string", "amount": "integer", "note": "string"},
    "member": {"email": "string", "name": "string"},
    "order": {"customer": "integer", "amount": "integer", "state": "string"},
    "tally": {"customer": "integer", "total": "integer"},
}
CODES = {"LIME201", "LIME202", "LIME204"}


@dataclass
class Outcome:
    """What an observer of one task run sees."""

    result: object
    error: str | None
    data: dict
    logs: list
    commits: int


def run(source: str, app: FakeLimeApplication, *args, **kwargs) -> Outcome:
    module = load_task_module(textwrap.dedent(source), "batching_task")
    app.recorder.reset()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        result, error = module.task_under_test(app, *args, **kwargs), None
    except Exception as exc:  # the exception is part of what the task does
        result, error = None, type(exc).__name__
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logs = [(r.levelname, r.getMessage(), r.exc_info[0].__name__ if r.exc_info else None) for r in records
            if r.name == "batching_task"]
    return Outcome(result, error, app.snapshot(include_ids=True), logs, app.recorder.count("commit"))


def fixed(source: str) -> str:
    return fix_text(textwrap.dedent(source), SETTINGS, unsafe=True, codes=CODES).text


def findings(source: str) -> list:
    return check(SourceDocument(textwrap.dedent(source)), SETTINGS, codes=CODES).violations


def assert_withheld(source: str, reason: str) -> None:
    """The batching finding is reported without a fix, says why, and --fix changes nothing."""
    found = findings(source)
    assert found, "the loop should still be reported"
    assert all(v.fix is None for v in found), [v.fix.title for v in found if v.fix]
    assert any(reason in v.message for v in found), [v.message for v in found]
    assert fixed(source) == textwrap.dedent(source)


def contract_rows(n: int = ROWS) -> list[dict]:
    return [{"id": f"K-{i:05d}", "amount": str(i % 90), "skip": i % 11 == 4} for i in range(n)]


def assert_same(before: Outcome, after: Outcome) -> None:
    assert (after.result, after.error) == (before.result, before.error)
    assert after.data == before.data  # with ids: same objects, committed in the same order
    assert after.logs == before.logs


# -- a conditional commit stays conditional: no fix ------------------------------------
PREVIEW_IF = '''
    from lime_task import task

    @task
    def task_under_test(app, rows, preview=False):
        saved = 0
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            if not preview:
                uow.commit()
                saved += 1
        return saved
'''

PREVIEW_ELSE = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows, preview=False):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            if preview:
                logger.info("would save %s", row["id"])
            else:
                uow.commit()
'''

PREVIEW_OR = '''
    from lime_task import task

    @task
    def task_under_test(app, rows, preview=False):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            preview or uow.commit()
'''


PER_ROW_CONDITION = '''
    from lime_task import task

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            if not row["skip"]:
                uow.commit()
'''

PREVIEW_CHANGED_IN_LOOP = PREVIEW_IF.replace("            if not preview:", """            if row["skip"]:
                preview = True
            if not preview:""")


@pytest.mark.parametrize("source, reason", [
    (PER_ROW_CONDITION, 'the commit runs only under `if not row["skip"]:`'),
    (PREVIEW_CHANGED_IN_LOOP, "the commit runs only under `if not preview:`"),
    (PREVIEW_ELSE, "the commit runs only under `if preview:`"),
    (PREVIEW_OR, "the result of `commit()` is used"),
])
def test_commit_under_a_condition_is_not_batched(source, reason):
    assert_withheld(source, reason)


@pytest.mark.parametrize("preview", [True, False])
def test_commit_under_a_condition_that_is_the_same_for_every_item_stays_under_it(preview):
    after = fixed(PREVIEW_IF)
    assert "itertools.islice(" in after
    assert after.count("if not preview:") == 2  # the item's counter and the batch's commit
    before = run(PREVIEW_IF, FakeLimeApplication(SCHEMA), contract_rows(), preview=preview)
    result = run(after, FakeLimeApplication(SCHEMA), contract_rows(), preview=preview)
    assert_same(before, result)
    if preview:
        assert result.data == {name: [] for name in sorted(SCHEMA)} and result.commits == 0
    else:
        assert before.commits == ROWS and result.commits == ROWS // BATCH


MEMBERS_CONTINUE_AFTER_ADD = '''
    from lime_task import task

    @task
    def task_under_test(app, signups):
        for signup in signups:
            uow = app.unit_of_work()
            uow.add(app.limetypes.member(email=signup["email"], name=signup["name"]))
            if not signup["agreed"]:
                continue
            uow.commit()
'''

MEMBERS_CONTINUE_BEFORE_ADD = '''
    from lime_task import task

    @task
    def task_under_test(app, signups):
        for signup in signups:
            if not signup["agreed"]:
                continue
            uow = app.unit_of_work()
            uow.add(app.limetypes.member(email=signup["email"], name=signup["name"]))
            uow.commit()
        return len(signups)
'''


def signups(n: int = ROWS) -> list[dict]:
    return [{"email": f"m{i}@example.com", "name": f"M {i}", "agreed": i % 3 != 0} for i in range(n)]


def test_continue_between_add_and_commit_is_not_batched():
    assert_withheld(MEMBERS_CONTINUE_AFTER_ADD, "can leave the item after an object was added")
    stored = run(MEMBERS_CONTINUE_AFTER_ADD, FakeLimeApplication(SCHEMA), signups()).data["member"]
    assert len(stored) == sum(1 for s in signups() if s["agreed"])  # the others were never stored


def test_continue_before_the_add_is_batched_and_keeps_the_data():
    after = fixed(MEMBERS_CONTINUE_BEFORE_ADD)
    assert "itertools.islice(" in after
    before = run(MEMBERS_CONTINUE_BEFORE_ADD, FakeLimeApplication(SCHEMA), signups())
    result = run(after, FakeLimeApplication(SCHEMA), signups())
    assert_same(before, result)
    assert before.commits == 800 and result.commits == ROWS // BATCH


SUPPRESSED = '''
    import contextlib
    from lime_task import task

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            with contextlib.suppress(Exception):
                uow.commit()
        return "ok"
'''

UNKNOWN_MANAGER = '''
    from lime_task import task
    from erp.retry import retrying

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            with retrying(3):
                uow.commit()
'''


@pytest.mark.parametrize("source, manager", [(SUPPRESSED, "contextlib.suppress(Exception)"),
                                              (UNKNOWN_MANAGER, "retrying(3)")])
def test_commit_inside_a_with_that_may_swallow_errors_is_not_batched(source, manager):
    assert_withheld(source, f"inside `with {manager}:`, which may suppress its exception")


def test_suppressed_commit_failure_loses_one_row_only_in_the_kept_code():
    app = FakeLimeApplication(SCHEMA)
    app.fail_commit_when(lambda obj: obj.properties.erp_id.value == "K-00500")
    outcome = run(SUPPRESSED, app, contract_rows())
    assert outcome.result == "ok" and len(outcome.data["contract"]) == ROWS - 1


# -- LIME202: the code between the loop and the commit -----------------------------------
CLOSE_ORDERS_PREVIEW = '''
    from lime_task import task

    @task
    def task_under_test(app, preview: bool = True):
        uow = app.unit_of_work()
        closed = 0
        for order in app.limetypes.order.get_all():
            order.properties.state.value = "closed"
            uow.add(order)
            closed += 1
        if preview:
            return f"would close {closed}"
        uow.commit()
        return f"closed {closed}"
'''

CLOSE_ORDERS_LABEL = CLOSE_ORDERS_PREVIEW.replace(
    '''        if preview:
            return f"would close {closed}"
''', '''        label = f"closed {closed}"
''').replace('return f"closed {closed}"', "return label")


def order_app(n: int = ROWS) -> FakeLimeApplication:
    app = FakeLimeApplication(SCHEMA)
    seed(app, "order", ({"customer": i % 37, "amount": i % 101, "state": "open"} for i in range(n)))
    return app


def test_return_between_the_loop_and_the_commit_is_not_batched():
    assert_withheld(CLOSE_ORDERS_PREVIEW, "between the loop and the commit can skip the commit")
    outcome = run(CLOSE_ORDERS_PREVIEW, order_app())
    assert outcome.result == f"would close {ROWS}" and outcome.commits == 0


def test_plain_assignment_between_the_loop_and_the_commit_is_batched():
    after = fixed(CLOSE_ORDERS_LABEL)
    assert "itertools.islice(" in after and after.index('label = f"closed') > after.index("uow.commit()")
    before = run(CLOSE_ORDERS_LABEL, order_app(), preview=False)
    result = run(after, order_app(), preview=False)
    assert_same(before, result)
    assert before.commits == 1 and result.commits == ROWS // BATCH


# -- objects changed after their add ------------------------------------------------------
RUNNING_TALLY = '''
    from lime_task import task

    @task
    def task_under_test(app):
        uow = app.unit_of_work()
        tallies = {}
        for order in app.limetypes.order.get_all():
            customer = order.properties.customer.value
            if customer not in tallies:
                tallies[customer] = app.limetypes.tally(customer=customer, total=0)
                uow.add(tallies[customer])
            tally = tallies[customer]
            tally.properties.total.value = tally.properties.total.value + order.properties.amount.value
        uow.commit()
        return len(tallies)
'''

RUNNING_TALLY_READDED = '''
    from lime_task import task

    @task
    def task_under_test(app):
        uow = app.unit_of_work()
        tallies = {}
        for order in app.limetypes.order.get_all():
            customer = order.properties.customer.value
            if customer not in tallies:
                tallies[customer] = app.limetypes.tally(customer=customer, total=0)
            tally = tallies[customer]
            tally.properties.total.value = tally.properties.total.value + order.properties.amount.value
            uow.add(tally)
        uow.commit()
        return len(tallies)
'''

PER_ITEM_CHANGE = '''
    from lime_task import task

    @task
    def task_under_test(app):
        uow = app.unit_of_work()
        for order in app.limetypes.order.get_all():
            uow.add(order)
            order.properties.state.value = "billed" if order.properties.amount.value > 50 else "open"
        uow.commit()
'''

NOTE_AFTER_COMMIT = '''
    from lime_task import task

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            contract = app.limetypes.contract(erp_id=row["id"])
            uow.add(contract)
            uow.commit()
            contract.properties.note.value = "imported"
'''


def test_object_changed_in_later_items_is_not_batched():
    assert_withheld(RUNNING_TALLY, "changes `tally`, an object added to the unit of work")
    totals = run(RUNNING_TALLY, order_app()).data["tally"]
    assert sum(t["total"] for t in totals) == sum(i % 101 for i in range(ROWS))


def test_object_changed_after_its_commit_is_not_batched():
    assert_withheld(NOTE_AFTER_COMMIT, "changes `contract`, an object added to the unit of work, after its item's commit")


@pytest.mark.parametrize("source", [RUNNING_TALLY_READDED, PER_ITEM_CHANGE], ids=["re-added", "own-item"])
def test_object_changed_then_added_again_or_in_its_own_item_is_batched(source):
    after = fixed(source)
    assert "itertools.islice(" in after
    before = run(source, order_app())
    result = run(after, order_app())
    assert_same(before, result)
    assert result.commits == ROWS // BATCH


# -- per-item try -------------------------------------------------------------------------
TRY_ELSE_COUNTS = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        stored = rejected = 0
        for row in rows:
            try:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"])))
                uow.commit()
            except Exception:
                logger.exception("contract %s rejected", row["id"])
                rejected += 1
            else:
                stored += 1
        return {"stored": stored, "rejected": rejected}
'''

TRY_SKIPS_BAD_ROWS = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        stored = 0
        bad = []
        for row in rows:
            try:
                uow = app.unit_of_work()
                contract = app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"]))
                uow.add(contract)
                uow.commit()
                stored += 1
            except (KeyError, ValueError) as exc:
                logger.warning("row %s skipped: %s", row.get("id"), exc)
                bad.append(row.get("id"))
        return {"stored": stored, "bad": bad}
'''


def rows_with_bad_values(n: int = ROWS) -> list[dict]:
    rows = contract_rows(n)
    for i in range(3, n, 97):
        rows[i]["amount"] = "n/a"
    return rows


@pytest.mark.parametrize("source", [TRY_ELSE_COUNTS, TRY_SKIPS_BAD_ROWS], ids=["else-counter", "bad-rows-list"])
def test_per_item_try_keeps_skipping_bad_rows_one_by_one(source):
    after = fixed(source)
    assert "itertools.islice(" in after
    before = run(source, FakeLimeApplication(SCHEMA), rows_with_bad_values())
    result = run(after, FakeLimeApplication(SCHEMA), rows_with_bad_values())
    assert_same(before, result)
    bad = len(range(3, ROWS, 97))
    assert len(before.data["contract"]) == ROWS - bad
    assert before.commits == ROWS - bad and result.commits == ROWS // BATCH


@pytest.mark.parametrize("source, caught", [(TRY_ELSE_COUNTS, True), (TRY_SKIPS_BAD_ROWS, False)],
                         ids=["caught", "not-caught"])
def test_per_item_try_failing_commit_changes_only_what_the_docs_list(source, caught):
    """Documented: a failing commit loses its whole batch; when the `except`
    catches it, it runs once for the batch and the counters still count what was
    stored; when it does not, the task fails in both versions."""
    failing = "K-00620"
    outcomes = []
    for text in (textwrap.dedent(source), fixed(source)):
        app = FakeLimeApplication(SCHEMA)
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        outcomes.append(run(text, app, contract_rows()))
    before, after = outcomes
    stored_before = {c["erp_id"] for c in before.data["contract"]}
    stored_after = {c["erp_id"] for c in after.data["contract"]}
    assert failing not in stored_before | stored_after
    assert stored_after <= stored_before
    if caught:
        assert before.error is None and after.error is None
        assert len(stored_before - stored_after) == BATCH - 1  # the failing row's batch
        assert before.result["stored"] == len(stored_before) and after.result["stored"] == len(stored_after)
        assert len(before.logs) == len(after.logs) == 1  # for the row before, for the batch after
    else:
        assert before.error == after.error == "InjectedCommitError"
        assert 0 < len(stored_before - stored_after) < BATCH
        assert before.logs == after.logs == []


VALIDATES_AFTER_ADD = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        for row in rows:
            try:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                uow.add(app.limetypes.contract(erp_id=row["id"] + "-b", amount=int(row["amount"])))
                uow.commit()
            except ValueError:
                logger.warning("row %s skipped", row["id"])
'''


def test_per_item_try_that_can_fail_after_an_add_is_not_batched():
    assert_withheld(VALIDATES_AFTER_ADD, "may raise after the item's object was added")
    outcome = run(VALIDATES_AFTER_ADD, FakeLimeApplication(SCHEMA), rows_with_bad_values())
    assert all(not c["erp_id"].startswith("K-00003") for c in outcome.data["contract"])


def test_uncaught_error_in_the_loop_loses_at_most_the_current_batch():
    """Documented for every batching fix: an exception the loop does not catch
    ends the task with the current batch uncommitted."""
    source = MEMBERS_CONTINUE_BEFORE_ADD.replace('name=signup["name"]', 'name=signup["name"].title()')
    rows = signups()
    rows[778]["name"] = None  # an AttributeError in row 778 (agreed)
    before = run(source, FakeLimeApplication(SCHEMA), rows)
    after = run(fixed(source), FakeLimeApplication(SCHEMA), rows)
    assert before.error == after.error == "AttributeError"
    kept_before = {m["email"] for m in before.data["member"]}
    kept_after = {m["email"] for m in after.data["member"]}
    assert kept_after <= kept_before and 0 < len(kept_before - kept_after) < BATCH


def test_conditions_between_sees_a_continue_in_the_loops_own_body():
    """ctx.effects.conditions_between reports an earlier statement that may leave
    the loop's own body (not only blocks nested in it)."""
    import ast

    from lime_task_lint.effects import effects_model
    from lime_task_lint.model import build_model

    tree = ast.parse(textwrap.dedent(MEMBERS_CONTINUE_AFTER_ADD))
    effects = effects_model(tree, build_model(tree))
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.For))
    commit = next(n for n in ast.walk(loop) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "commit")
    [found] = effects.conditions_between(commit, loop)
    assert isinstance(found, ast.If) and found.lineno == loop.body[2].lineno
    # Every earlier statement that may leave is reported, not only the first:
    # a fix must tell a `continue` before the add from one after it.
    tree = ast.parse(textwrap.dedent(MEMBERS_CONTINUE_BEFORE_ADD.replace(
        "            uow.commit()", "            if signup.get(\"held\"):\n                continue\n            uow.commit()")))
    effects = effects_model(tree, build_model(tree))
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.For))
    commit = next(n for n in ast.walk(loop) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "commit")
    assert [c.lineno for c in effects.conditions_between(commit, loop)] == [loop.body[0].lineno, loop.body[3].lineno]



LOCKED_COMMIT = '''
    from lime_task import task

    @task
    def task_under_test(app, rows, audit_path):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            with open(audit_path, "a") as audit:
                uow.commit()
                audit.write(row["id"])
'''

COMMIT_IN_FINALLY = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            try:
                uow.add(app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"])))
            finally:
                uow.commit()
'''


@pytest.mark.parametrize("source, reason", [
    (LOCKED_COMMIT, "the batch commit would run outside of"),
    (COMMIT_IN_FINALLY, "the commit runs only in an `except`, `else:` or `finally:` clause"),
])
def test_commit_in_a_context_of_its_own_is_not_batched(source, reason):
    assert_withheld(source, reason)


CLOSE_OPEN_ORDERS_PER_ITEM = '''
    from lime_filter import EqualsOperator, Filter
    from lime_task import task

    @task
    def task_under_test(app):
        for order in app.limetypes.order.get_all(filter=Filter(EqualsOperator("state", "open"))):
            uow = app.unit_of_work()
            order.properties.state.value = "closed"
            uow.add(order)
            uow.commit()
'''


def test_loop_over_a_paging_read_names_the_hazard():
    """get_all() may page lazily: the batch commits fall between other page
    fetches than the item commits did, so the title says so."""
    [fix] = {v.fix.title for v in findings(CLOSE_OPEN_ORDERS_PER_ITEM) if v.fix is not None}
    assert "hazard: the loop's read may fetch pages between other commits" in fix


CLOSE_OPEN_ORDERS_AT_THE_END = '''
    from lime_filter import EqualsOperator, Filter
    from lime_task import task

    @task
    def task_under_test(app):
        uow = app.unit_of_work()
        for order in app.limetypes.order.get_all(filter=Filter(EqualsOperator("state", "open"))):
            order.properties.state.value = "closed"
            uow.add(order)
        uow.commit()
'''


def test_paging_read_hazard_of_unbounded_unit_of_work_is_named_and_real():
    """LIME202 over a filtered get_all(): with an eager read the fix only groups
    the commits; with a paging read (offsets over the still-open orders) the
    batches committed between pages make it skip orders, the change its title
    and docs name."""
    from differential import Scenario, differences, outcome

    source = textwrap.dedent(CLOSE_OPEN_ORDERS_AT_THE_END)
    [title] = {v.fix.title for v in findings(source) if v.fix is not None}
    assert "hazard: the loop's read may fetch pages while batches are committed" in title
    after = fixed(source)
    rows = {"order": [{"customer": i % 7, "amount": i % 13, "state": "open"} for i in range(ROWS)]}
    eager = Scenario("eager", SCHEMA, rows)
    assert not differences(outcome(source, "task_under_test", eager), outcome(after, "task_under_test", eager),
                           commits="grouping")
    paging = Scenario("paging", SCHEMA, rows, page_size=100)
    before, result = outcome(source, "task_under_test", paging), outcome(after, "task_under_test", paging)
    closed = [sum(1 for o in r.data["order"] if o["state"] == "closed") for r in (before, result)]
    assert closed[0] == ROWS and closed[1] < ROWS


NUMBERED_ORDERS = '''
    from lime_task import task

    @task
    def task_under_test(app):
        uow = app.unit_of_work()
        for number, order in enumerate(app.limetypes.order.get_all()):
            order.properties.amount.value = number
            uow.add(order)
        uow.commit()
'''


def test_object_of_a_tuple_loop_target_changed_in_its_own_item_is_batched():
    after = fixed(NUMBERED_ORDERS)
    assert "itertools.islice(" in after
    assert_same(run(NUMBERED_ORDERS, order_app()), run(after, order_app()))


COUNT_VISITS = '''
    from lime_task import task

    @task
    def task_under_test(app, order_ids):
        for order_id in order_ids:
            uow = app.unit_of_work()
            order = app.limetypes.order.get(order_id)
            order.properties.amount.value = order.properties.amount.value + 1
            uow.add(order)
            uow.commit()
'''


def test_loop_reading_what_it_writes_is_batched_only_after_the_prefetch():
    """Each item reads the order it updates; an id repeated within a batch would
    read the state before the batch's commit and lose an increment.  Batching is
    withheld while the read is in the loop, and offered (keeping the totals)
    once the pre-fetch replaced it."""
    assert_withheld(COUNT_VISITS, "the loop reads `order`, which it also writes")
    app = order_app(200)
    ids = sorted(o["id"] for o in app.snapshot(include_ids=True)["order"])
    visits = [ids[i % 150] for i in range(ROWS)]  # repeated ids, within batches too
    after = fix_text(textwrap.dedent(COUNT_VISITS), SETTINGS, unsafe=True, codes=CODES | {"LIME203"}).text
    assert "itertools.islice(" in after and ".get(" not in after
    before, result = run(COUNT_VISITS, order_app(200), visits), run(after, order_app(200), visits)
    assert_same(before, result)
    assert result.commits == ROWS // BATCH


# -- a unit of work created outside the `try` that guards its commit ---------------------
# Real code often guards only the commit: the unit of work is made (per item, or
# once before the loop) and filled outside the `try`.
ITEM_UOW_BEFORE_TRY = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"])))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
'''

# The same with the counter in the `try`'s `else:` (it must still count saved rows).
ITEM_UOW_BEFORE_TRY_COUNTS = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        saved = failed = 0
        for row in rows:
            unit = app.unit_of_work()
            contract = app.limetypes.contract(erp_id=row["id"])
            unit.add(contract)
            try:
                unit.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
                failed += 1
            else:
                saved += 1
        return saved, failed
'''

SHARED_UOW_BEFORE_LOOP = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
'''


@pytest.mark.parametrize("source", [ITEM_UOW_BEFORE_TRY, ITEM_UOW_BEFORE_TRY_COUNTS, SHARED_UOW_BEFORE_LOOP],
                         ids=["item-uow", "item-uow-else-counter", "shared-uow"])
def test_uow_outside_the_try_is_batched_and_keeps_the_data(source):
    after = fixed(source)
    assert "itertools.islice(" in after and after != textwrap.dedent(source)
    before = run(source, FakeLimeApplication(SCHEMA), contract_rows())
    result = run(after, FakeLimeApplication(SCHEMA), contract_rows())
    assert_same(before, result)
    assert len(before.data["contract"]) == ROWS
    assert before.commits == ROWS and result.commits == ROWS // BATCH


@pytest.mark.parametrize("source", [ITEM_UOW_BEFORE_TRY, ITEM_UOW_BEFORE_TRY_COUNTS],
                         ids=["item-uow", "item-uow-else-counter"])
def test_uow_outside_the_try_failing_commit_changes_only_what_the_docs_list(source):
    """A failing commit loses its batch instead of its row; the `except` runs once
    for the batch; a counter still counts saved rows."""
    failing = "K-00620"
    outcomes = []
    for text in (textwrap.dedent(source), fixed(source)):
        app = FakeLimeApplication(SCHEMA)
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        outcomes.append(run(text, app, contract_rows()))
    before, after = outcomes
    stored_before = {c["erp_id"] for c in before.data["contract"]}
    stored_after = {c["erp_id"] for c in after.data["contract"]}
    assert before.error is None and after.error is None
    assert stored_before == {r["id"] for r in contract_rows()} - {failing}
    assert stored_after < stored_before and len(stored_before - stored_after) == BATCH - 1
    assert [m for _, m, _ in before.logs] == [f"could not save {failing}"]
    assert len(after.logs) == 1 and after.logs[0][2] == "InjectedCommitError"
    if isinstance(before.result, tuple):
        assert before.result == (ROWS - 1, 1)
        assert after.result == (len(stored_after), 1)


def test_item_try_with_only_the_commit_leaves_no_empty_try_in_the_item():
    after = fixed(ITEM_UOW_BEFORE_TRY)
    body = after.split("for row in batch:", 1)[1]
    assert "try:" in body and "pass" not in body
    item_loop = body.split("try:", 1)[0]
    assert "uow.add(" in item_loop and "except" not in item_loop


def test_shared_uow_fix_names_what_a_failed_commit_did_before():
    """The shared unit of work may keep a failed item's objects (the fake Lime app
    does, as lime-api.md leaves it open): every later commit of the original then
    fails as well.  The fix is offered unsafe with that hazard in its title, and
    running both shows the named difference and nothing else."""
    [finding] = [v for v in findings(SHARED_UOW_BEFORE_LOOP) if v.code == "LIME201"]
    assert finding.fix is not None and finding.fix.applicability.name == "UNSAFE"
    assert "was shared by every item" in finding.fix.title
    failing = "K-00620"
    outcomes = []
    for text in (textwrap.dedent(SHARED_UOW_BEFORE_LOOP), fixed(SHARED_UOW_BEFORE_LOOP)):
        app = FakeLimeApplication(SCHEMA)
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        outcomes.append(run(text, app, contract_rows()))
    before, after = outcomes
    ids = [r["id"] for r in contract_rows()]
    assert [c["erp_id"] for c in before.data["contract"]] == ids[:620]  # nothing after the failure
    stored_after = {c["erp_id"] for c in after.data["contract"]}
    assert stored_after == set(ids) - set(ids[600:650])  # only the failing batch is lost
    assert len(before.logs) == ROWS - 620 and len(after.logs) == 1


VALIDATES_IN_TRY_AFTER_ADD = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                amount = int(row["amount"])
                uow.commit()
            except ValueError:
                logger.warning("row %s skipped", row["id"])
'''


def test_uow_outside_the_try_that_can_fail_after_the_add_is_not_batched():
    """The add is before the `try`, the `int()` that may fail inside it: the
    original drops the row's unit of work, a batch would save the row."""
    assert_withheld(VALIDATES_IN_TRY_AFTER_ADD, "may raise after the item's object was added")
    outcome = run(VALIDATES_IN_TRY_AFTER_ADD, FakeLimeApplication(SCHEMA), rows_with_bad_values())
    assert all(c["erp_id"] != "K-00003" for c in outcome.data["contract"])
