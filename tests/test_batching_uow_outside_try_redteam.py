"""Red-team inputs for the LIME201/LIME204 "Commit in batches of 50" fix when the
unit of work is created OUTSIDE the `try` that guards the commit:

(a) per item: ``uow = app.unit_of_work()`` in the item, before the ``try``;
(b) shared: ``uow = app.unit_of_work()`` once before the loop (offered with the
    "`uow` was shared by every item" hazard in the title).

Each test either checks the fix is withheld (the finding says "no automatic
fix: ..."), or runs the original and the fixed task on the fake Lime app (with
and without an injected commit failure) and checks they differ only in the ways
the Fix safety section of rules/lime201_commit_in_loop.py lists.

The inputs of the "bugs found" section failed when this file was written (a
unit of work created under an ``if``; statements in the ``try`` that may raise
without a call; a loop left empty; a ``try`` guarding only ``pass``; comments
of a removed ``try`` lost) and pass since the fix in the following commit.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from fakelime import FakeLimeApplication
from test_batching_fixes_run import (
    BATCH,
    ROWS,
    SCHEMA,
    Outcome,
    assert_same,
    contract_rows,
    findings,
    fixed,
    run,
)

HEADER = '''
    import logging
    from lime_task import task

    logger = logging.getLogger(__name__)
'''
FAILING = "K-00620"  # 620 % 11 != 4: not a `skip` row; batch 600..649


def src(body: str) -> str:
    return textwrap.dedent(HEADER) + textwrap.dedent(body)


def failing_app(erp_id: str | None = FAILING) -> FakeLimeApplication:
    app = FakeLimeApplication(SCHEMA)
    if erp_id is not None:
        app.fail_commit_when(lambda o: o.limetype.name == "contract" and o.properties.erp_id.value == erp_id)
    return app


def both(source: str, rows, erp_id: str | None = None) -> tuple[Outcome, Outcome]:
    after = fixed(source)
    ast.parse(after)
    return run(source, failing_app(erp_id), rows), run(after, failing_app(erp_id), rows)


def offered(source: str, shared: bool = False) -> str:
    """The fix is offered for LIME201 (unsafe; with the shared hazard iff ``shared``);
    returns the fixed text, which parses and batches."""
    [finding] = [v for v in findings(source) if v.code == "LIME201"]
    assert finding.fix is not None, finding.message
    assert finding.fix.applicability.name == "UNSAFE"
    assert ("was shared by every item" in finding.fix.title) == shared, finding.fix.title
    after = fixed(source)
    ast.parse(after)
    assert "itertools.islice(" in after and after != source
    return after


def withheld(source: str, reason: str) -> None:
    found = findings(source)
    assert found
    assert all(v.fix is None for v in found), [v.fix.title for v in found if v.fix]
    assert any(reason in v.message for v in found), [v.message for v in found]
    assert fixed(source) == source


def stored(outcome: Outcome, limetype: str = "contract") -> set[str]:
    key = "erp_id" if limetype == "contract" else "email"
    return {o[key] for o in outcome.data[limetype]}


def batch_of(erp_id: str) -> set[str]:
    n = int(erp_id.split("-")[1])
    first = n - n % BATCH
    return {f"K-{i:05d}" for i in range(first, first + BATCH)}


def assert_lost_only_the_failing_batch(before: Outcome, after: Outcome) -> None:
    """The documented change for a failing commit: its whole batch is lost
    (instead of the one item), nothing else."""
    assert stored(after) <= stored(before)
    assert stored(before) - stored(after) <= batch_of(FAILING)


# -- handlers: raise / continue / counters --------------------------------------------
HANDLER_RAISES = src('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
                raise
''')


def test_handler_that_reraises_ends_the_task_with_the_batch_unsaved():
    offered(HANDLER_RAISES)
    assert_same(*both(HANDLER_RAISES, contract_rows()))
    before, after = both(HANDLER_RAISES, contract_rows(), FAILING)
    assert before.error == after.error == "InjectedCommitError"
    # documented: an exception not caught inside the loop ends the task with the
    # current batch uncommitted
    assert stored(before) == {f"K-{i:05d}" for i in range(620)}
    assert stored(after) == {f"K-{i:05d}" for i in range(600)}


HANDLER_CONTINUE_COUNTS = src('''
    @task
    def task_under_test(app, rows):
        failed = 0
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                failed += 1
                continue
        return failed
''')


def test_handler_with_continue_and_a_failure_counter():
    after = offered(HANDLER_CONTINUE_COUNTS)
    assert after.count("continue") == 1  # the try (only the commit) moved to the batch
    assert_same(*both(HANDLER_CONTINUE_COUNTS, contract_rows()))
    before, after_run = both(HANDLER_CONTINUE_COUNTS, contract_rows(), FAILING)
    assert before.result == after_run.result == 1  # the clause runs once for the batch
    assert_lost_only_the_failing_batch(before, after_run)


def test_handler_that_returns_is_withheld():
    withheld(src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                try:
                    uow.commit()
                except Exception:
                    return row["id"]
    '''), "the loop can leave early")


@pytest.mark.parametrize("body, reason", [
    ('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
                uow = app.unit_of_work()
    ''', "is used outside the loop's add and commit calls"),
    ('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                uow.add(app.limetypes.member(email=row["id"]))
    ''', "runs after the commit"),
    ('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
        return uow
    ''', "is used outside the loop's add and commit calls"),
    ('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
            else:
                uow.add(app.limetypes.member(email=row["id"]))
    ''', "`else:` clause runs only when"),
    ('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
            finally:
                logger.info("row done")
    ''', "`finally:` clause"),
    ('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
            logger.info("done %s", row["id"])
    ''', "statements after the `try` run for every item"),
    ('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            if row["skip"]:
                continue
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
    ''', "can leave the item after an object was added"),
    ('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                if not row["skip"]:
                    uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
    ''', "the commit runs only under"),
    ('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
        else:
            logger.info("done")
    ''', "the loop has an `else:` clause"),
    ('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(c := app.limetypes.contract(erp_id=row["id"]))
            try:
                c.properties.note.value = "n"
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
    ''', "no automatic fix"),
    ('''
    import contextlib

    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            with contextlib.suppress(KeyError):
                try:
                    uow.commit()
                except Exception:
                    logger.exception("could not save %s", row["id"])
    ''', "no automatic fix"),
], ids=["handler-rebinds-uow", "add-in-handler", "uow-after-loop", "add-in-else", "finally",
        "statement-after-try", "continue-between-add-and-try", "commit-under-if-in-try", "loop-else",
        "change-in-try-after-add", "try-inside-suppress"])
def test_withheld(body, reason):
    withheld(src(body), reason)


# -- shapes that are offered and must keep the data ------------------------------------
OFFERED = {
    "comments-and-blank-lines-in-try": src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()  # one per row
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                try:  # guard
                    # save it

                    uow.commit()  # here
                    # done
                except Exception:  # log
                    # note
                    logger.exception("could not save %s", row["id"])
                # trailing comment
    '''),
    "validation-try-before-the-add": src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                try:
                    amount = int(row["amount"])
                except ValueError:
                    continue
                uow.add(app.limetypes.contract(erp_id=row["id"], amount=amount))
                try:
                    uow.commit()
                except Exception:
                    logger.exception("could not save %s", row["id"])
    '''),
    "adds-before-and-inside-the-try": src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                contract = app.limetypes.contract(erp_id=row["id"])
                member = app.limetypes.member(email=row["id"])
                uow.add(contract)
                try:
                    uow.add(member)
                    uow.commit()
                except Exception:
                    logger.exception("could not save %s", row["id"])
    '''),
    "nested-ifs-around-adds": src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                if not row["skip"]:
                    if row["amount"] != "3":
                        uow.add(app.limetypes.contract(erp_id=row["id"]))
                    else:
                        uow.add(app.limetypes.member(email=row["id"]))
                try:
                    uow.commit()
                except Exception:
                    logger.exception("could not save %s", row["id"])
    '''),
    "second-unit-of-work-committed-after-the-loop": src('''
        @task
        def task_under_test(app, rows):
            log_uow = app.unit_of_work()
            for row in rows:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                log_uow.add(app.limetypes.member(email=row["id"]))
                try:
                    uow.commit()
                except Exception:
                    logger.exception("could not save %s", row["id"])
            log_uow.commit()
    '''),
    "add-and-commit-both-in-the-try": src('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                try:
                    uow.add(app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"])))
                    uow.commit()
                except ValueError:
                    logger.warning("row %s skipped", row["id"])
    '''),
}


@pytest.mark.parametrize("name", sorted(OFFERED))
def test_offered_shapes_keep_the_data_and_lose_only_the_failing_batch(name):
    source = OFFERED[name]
    offered(source)
    rows = [dict(r, amount="x" if i % 13 == 5 else r["amount"]) for i, r in enumerate(contract_rows())]
    before, after = both(source, rows)
    assert_same(before, after)
    assert after.commits <= -(-ROWS // BATCH) + 1  # + a second unit of work's one commit
    before, after = both(source, rows, FAILING)
    assert before.error == after.error  # an `except ValueError` lets the commit's error end the task
    assert before.data["member"] == after.data["member"] or \
        {m["email"] for m in after.data["member"]} >= {m["email"] for m in before.data["member"]} - batch_of(FAILING)
    assert_lost_only_the_failing_batch(before, after)


def test_comments_on_the_kept_lines_survive_and_nothing_is_half_moved():
    after = offered(OFFERED["comments-and-blank-lines-in-try"])
    item_loop = after.split("for row in batch:", 1)[1].split("try:", 1)[0]
    assert "except" not in item_loop and "pass" not in after
    for kept in ("# one per row", "# here", "# log", "# note", "# trailing comment"):
        assert kept in after


# -- the shared unit of work (b) -------------------------------------------------------
SHARED_ELSE_COUNTER = src('''
    @task
    def task_under_test(app, rows):
        saved = 0
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
            else:
                saved += 1
        return saved
''')

SHARED_PREAMBLE = src('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        # how many
        total = len(rows)

        logger.info("importing %s", total)
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
        return total
''')


@pytest.mark.parametrize("source", [SHARED_ELSE_COUNTER, SHARED_PREAMBLE], ids=["else-counter", "preamble"])
def test_shared_uow_keeps_the_data_and_names_the_hazard(source):
    after = offered(source, shared=True)
    assert_same(*both(source, contract_rows()))
    before, after_run = both(source, contract_rows(), FAILING)
    ids = [r["id"] for r in contract_rows()]
    assert stored(before) == set(ids[:620])  # the named hazard: the failed object was retried
    assert stored(after_run) == set(ids) - batch_of(FAILING)
    if source is SHARED_ELSE_COUNTER:
        assert after_run.result == len(stored(after_run))  # the counter still counts saved rows
    else:
        assert "# how many" in after and 'logger.info("importing %s", total)' in after
        assert after.index("total = len(rows)") < after.index("uow = app.unit_of_work()")


SHARED_COUNTERS_IN_BODY_TWO_HANDLERS = src('''
    @task
    def task_under_test(app, rows):
        saved = failed = 0
        uow = app.unit_of_work()
        for row in rows:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
                saved += 1
            except ValueError:
                failed += 1
            except Exception as exc:
                logger.warning("could not save %s: %s", row["id"], type(exc).__name__)
                failed += 1
        return saved, failed
''')


def test_shared_uow_counter_after_the_commit_and_two_handlers():
    offered(SHARED_COUNTERS_IN_BODY_TWO_HANDLERS, shared=True)
    assert_same(*both(SHARED_COUNTERS_IN_BODY_TWO_HANDLERS, contract_rows()))
    before, after = both(SHARED_COUNTERS_IN_BODY_TWO_HANDLERS, contract_rows(), FAILING)
    assert before.result == (620, ROWS - 620)  # the named hazard: every later commit retried the failed one
    assert after.result == (ROWS - BATCH, 1)  # saved rows counted; the handler ran once for the batch
    assert stored(after) == {r["id"] for r in contract_rows()} - batch_of(FAILING)


SHARED_TRY_IS_THE_WHOLE_BODY = src('''
    @task
    def task_under_test(app, rows):
        uow = app.unit_of_work()
        for row in rows:
            try:
                uow.add(app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"])))
                uow.commit()
            except ValueError:
                logger.warning("skip %s", row["id"])
''')


def test_shared_uow_try_that_is_the_whole_loop_body():
    after = offered(SHARED_TRY_IS_THE_WHOLE_BODY, shared=True)
    item_loop = after.split("for row in batch:", 1)[1].split("\n        try:\n            uow.commit()", 1)[0]
    assert "uow.add(" in item_loop and "except ValueError" in item_loop  # bad rows still skipped per item
    rows = [dict(r, amount="x" if i % 13 == 5 else r["amount"]) for i, r in enumerate(contract_rows())]
    assert_same(*both(SHARED_TRY_IS_THE_WHOLE_BODY, rows))
    before, after_run = both(SHARED_TRY_IS_THE_WHOLE_BODY, rows, FAILING)
    assert before.error == after_run.error == "InjectedCommitError"  # `except ValueError` does not catch it
    assert_lost_only_the_failing_batch(before, after_run)


# -- line endings and indentation ------------------------------------------------------
ITEM_ELSE_COUNTER = src('''
    @task
    def task_under_test(app, rows):
        saved = 0
        for row in rows:
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
            else:
                saved += 1
        return saved
''')


@pytest.mark.parametrize("transform", [lambda s: s.replace("\n", "\r\n"), lambda s: s.replace("    ", "\t")],
                         ids=["crlf", "tabs"])
def test_crlf_and_tabs(transform):
    source = transform(ITEM_ELSE_COUNTER)
    after = fixed(source)
    ast.parse(after)
    assert "itertools.islice(" in after
    if "\r\n" in source:
        assert after.count("\n") == after.count("\r\n")
    else:
        assert not any(line.startswith(" ") for line in after.splitlines())
    before, after_run = both(source, contract_rows())
    assert_same(before, after_run)
    before, after_run = both(source, contract_rows(), FAILING)
    assert_lost_only_the_failing_batch(before, after_run)
    assert after_run.result == len(stored(after_run))


# == bugs found (fixed since) ==========================================
CONDITIONAL_CREATE = src('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            if row["skip"]:
                uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
''')


def test_unit_of_work_created_under_an_if_before_the_try_is_not_batched_as_per_item():
    before, after = both(CONDITIONAL_CREATE, contract_rows())
    assert before.error == "UnboundLocalError"  # row 0 is not a `skip` row
    assert_same(before, after)  # fails: the fixed task saves all 1,200 rows and ends normally


RAISING_AFTER_THE_ADD = {
    # each row's object is added before the `try`; something in the `try` may raise
    # before the commit, which the original's `except` caught, dropping that row's
    # unit of work.  raising_after_first_add() looks only at Call/Subscript/Attribute/
    # BinOp/Raise/Assert/Await nodes, and treats another `uow.add()` as unable to raise.
    "tuple-unpacking": ('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                pair = row["pair"]
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                try:
                    first, second = pair
                    uow.commit()
                except ValueError:
                    logger.warning("bad %s", row["id"])
    ''', lambda i: {"pair": (1, 2) if i % 13 != 5 else (1,)}),
    "comparison": ('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                amount = row["value"]
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                try:
                    if amount < 0:
                        amount = 0
                    uow.commit()
                except TypeError:
                    logger.warning("bad %s", row["id"])
    ''', lambda i: {"value": None if i % 13 == 5 else i}),
    "iterating-a-generator": ('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                parts = (int(p) for p in row["amount"].split(","))
                try:
                    for part in parts:
                        pass
                    uow.commit()
                except ValueError:
                    logger.warning("bad %s", row["id"])
    ''', lambda i: {"amount": "x" if i % 13 == 5 else "1,2"}),
    "second-add-raises": ('''
        @task
        def task_under_test(app, rows):
            for row in rows:
                contract = app.limetypes.contract(erp_id=row["id"])
                member = app.limetypes.member(email=row["id"]) if not row["skip"] else None
                uow = app.unit_of_work()
                uow.add(contract)
                try:
                    uow.add(member)
                    uow.commit()
                except TypeError:
                    logger.warning("no member for %s", row["id"])
    ''', lambda i: {}),
}


@pytest.mark.parametrize("name", sorted(RAISING_AFTER_THE_ADD))
def test_something_raising_in_the_try_after_the_add_withholds_the_fix(name):
    body, extra = RAISING_AFTER_THE_ADD[name]
    source = src(body)
    rows = [dict(r, **extra(i)) for i, r in enumerate(contract_rows())]
    before, after = both(source, rows)
    assert len(before.data["contract"]) < ROWS  # the original skipped the bad rows
    assert_same(before, after)  # fails: the fixed task also saves the bad rows


NO_ADD_IN_LOOP = src('''
    @task
    def task_under_test(app, rows):
        for row in rows:
            uow = app.unit_of_work()
            try:
                uow.commit()
            except Exception:
                logger.exception("could not save %s", row["id"])
''')


def test_every_finding_has_a_fix_or_says_why_not():
    for finding in findings(NO_ADD_IN_LOOP):
        assert finding.fix is not None or "no automatic fix" in finding.message, finding.message


def test_item_loop_has_no_try_guarding_only_pass():
    after = offered(ITEM_ELSE_COUNTER)
    item_loop = after.split("for row in batch:", 1)[1].split("\n        try:\n            uow.commit()", 1)[0]
    assert "pass" not in item_loop, item_loop


def test_comments_inside_the_removed_try_are_kept():
    after = offered(OFFERED["comments-and-blank-lines-in-try"])
    for comment in ("# guard", "# save it", "# done"):
        assert comment in after, comment
