"""Proof by running: the LIME2xx fixes keep what a task stores and cut its round trips.

Each test takes a task's source ("before"), produces the fixed source with the
project's own fixer (`fix_text`), loads both with the fake Lime application
(tests/fakelime) and runs them on identical generated data: 10,000 feed rows,
some filtered out by `continue`, some already in the database (existing
duplicates).  Without failures the stored data must be identical; commits must
drop at least 40-fold at a batch size of 50; per-item reads must drop from N
to at most 2.  With an injected commit failure, the tests show what each
version loses and assert the documented difference (up to one batch).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, InjectedCommitError, Option, load_task_module, seed  # noqa: E402

from lime_task_lint.prefetch import PREFETCH_CHUNK_SIZE  # noqa: E402
from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

ROWS = 10_000
BATCH = 50
SCHEMA = {
    "contract": {"erp_id": "string", "name": "string"},
    "company": {"name": "string"},
    "deal": {"name": "string", "expired": "yesno", "dealstatus": Option("open", "lost")},
}
SETTINGS = Settings(batch_size=BATCH, target_version=(3, 11))

IMPORT_CONTRACTS = '''
import logging

import lime_filter
from lime_task import task

logger = logging.getLogger(__name__)


@task
def import_contracts(app, rows):
    created = 0
    for row in rows:
        if not row["active"]:
            continue
        existing = app.limetypes.contract.get_all(
            filter=lime_filter.Filter(lime_filter.EqualsOperator("erp_id", row["id"])))
        if existing.count:
            continue
        uow = app.unit_of_work()
        contract = app.limetypes.contract(erp_id=row["id"], name=row["name"])
        uow.add(contract)
        uow.commit()
        created += 1
    return created
'''

IMPORT_WITH_TRY = '''
import logging

from lime_task import task

logger = logging.getLogger(__name__)


@task
def import_contracts(app, rows):
    created = 0
    for row in rows:
        if not row["active"]:
            continue
        try:
            uow = app.unit_of_work()
            contract = app.limetypes.contract(erp_id=row["id"], name=row["name"])
            uow.add(contract)
            uow.commit()
            created += 1
        except Exception:
            logger.exception("contract %s failed", row["id"])
    return created
'''

CLOSE_EXPIRED = '''
from lime_task import task


@task
def close_expired_deals(app):
    uow = app.unit_of_work()
    closed = 0
    for deal in app.limetypes.deal.get_all():
        if deal.properties.expired.value:
            deal.properties.dealstatus.set_by_key("lost")
            uow.add(deal)
            closed += 1
    uow.commit()
    return closed
'''

REFRESH_COMPANIES = '''
from lime_task import task


@task
def refresh_company_names(app, company_ids: list[int]):
    uow = app.unit_of_work()
    for company_id in company_ids:
        company = app.limetypes.company.get(company_id)
        company.properties.name.value = company.properties.name.value.strip()
        uow.add(company)
        uow.commit()
    return len(company_ids)
'''


# -- data --------------------------------------------------------------------------
def feed(rows: int = ROWS) -> list[dict]:
    """ERP rows: every 10th inactive (filtered out), ids ERP-00000..."""
    return [{"id": f"ERP-{i:05d}", "name": f"Contract {i}", "active": i % 10 != 3} for i in range(rows)]


def contract_app(existing: int = 1_000) -> FakeLimeApplication:
    """An app where ``existing`` feed ids (every 7th) are already stored: existing duplicates."""
    app = FakeLimeApplication(SCHEMA)
    seed(app, "contract", ({"erp_id": f"ERP-{i:05d}", "name": f"Old {i}"} for i in range(0, existing * 7, 7)))
    return app


def deal_app(deals: int = ROWS) -> FakeLimeApplication:
    app = FakeLimeApplication(SCHEMA)
    seed(app, "deal", ({"name": f"Deal {i}", "expired": i % 4 == 0, "dealstatus": "open"} for i in range(deals)))
    return app


def company_app(companies: int = ROWS) -> tuple[FakeLimeApplication, list[int]]:
    app = FakeLimeApplication(SCHEMA)
    ids = seed(app, "company", ({"name": f"  Company {i}  "} for i in range(companies)))
    return app, ids


def fixed(source: str, codes: set[str], settings: Settings = SETTINGS) -> str:
    result = fix_text(source, settings, unsafe=True, codes=codes)
    assert result.text != source, "the fix changed nothing"
    assert not [v for v in result.remaining if v.code in codes and v.fix is not None], result.remaining
    return result.text


def run(source: str, name: str, app, *args):
    module = load_task_module(source, name)
    task = getattr(module, name)
    app.recorder.reset()
    return task(app, *args)


def max_objects_per_commit(app) -> int:
    return max(t.detail["objects"] for t in app.recorder.log if t.kind == "commit")


# -- LIME201 + LIME203 + LIME204: the example import ------------------------------------
def test_batched_and_prefetched_import_stores_the_same_with_far_fewer_round_trips():
    after = fixed(IMPORT_CONTRACTS, {"LIME201", "LIME203", "LIME204"})
    assert "itertools.islice(" in after and "known_erp_ids" in after
    rows = feed()
    app_before, app_after = contract_app(), contract_app()
    created_before = run(IMPORT_CONTRACTS, "import_contracts", app_before, rows)
    created_after = run(after, "import_contracts", app_after, rows)
    assert created_before == created_after
    assert app_before.snapshot() == app_after.snapshot()
    before, after_rec = app_before.recorder, app_after.recorder
    assert before.commits == created_before  # one per created contract
    assert after_rec.commits <= math.ceil(ROWS / BATCH)
    assert before.commits >= 40 * after_rec.commits
    active = sum(1 for r in rows if r["active"])
    assert before.reads == active  # one existence check per active row
    assert after_rec.reads <= 2
    assert max_objects_per_commit(app_after) <= BATCH


def test_prefetched_set_keeps_duplicate_feed_rows_from_being_created_twice():
    """A feed that repeats an id inside one batch: the set learns each created key,
    so the fixed task still creates each contract once (like the original)."""
    after = fixed(IMPORT_CONTRACTS, {"LIME201", "LIME203", "LIME204"})
    rows = feed(500)
    rows += [dict(r) for r in rows[100:140]]  # repeated ids
    app_before, app_after = contract_app(10), contract_app(10)
    assert run(IMPORT_CONTRACTS, "import_contracts", app_before, rows) == \
        run(after, "import_contracts", app_after, rows)
    assert app_before.snapshot() == app_after.snapshot()


def test_batching_alone_is_withheld_while_the_loop_reads_what_it_creates():
    """The existence check reads `contract`, which the loop creates: per item it
    sees the contracts of earlier rows, per batch it would not (a feed that
    repeats an id within a batch would create it twice).  Batching alone is not
    offered; after the pre-fetch (LIME203) it is, and keeps the data."""
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument

    alone = fix_text(IMPORT_CONTRACTS, SETTINGS, unsafe=True, codes={"LIME201"}).text
    assert alone == IMPORT_CONTRACTS
    [finding] = check(SourceDocument(IMPORT_CONTRACTS), SETTINGS, codes={"LIME201"}).violations
    assert "the loop reads `contract`, which it also writes" in finding.message
    after = fixed(IMPORT_CONTRACTS, {"LIME201", "LIME203"})
    rows = feed()
    rows += [dict(r) for r in rows[2000:2030]]  # ids repeated within a batch of the tail
    app_before, app_after = contract_app(), contract_app()
    assert run(IMPORT_CONTRACTS, "import_contracts", app_before, rows) == \
        run(after, "import_contracts", app_after, rows)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.commits >= 40 * app_after.recorder.commits


def test_injected_failure_loses_up_to_one_batch_more():
    """Without a try, both versions stop at the failing commit. Before, every
    contract before the failing row is saved; after, the failing row's whole
    batch is lost: the documented cost of batching (up to batch-size - 1 more)."""
    after = fixed(IMPORT_CONTRACTS, {"LIME201", "LIME203", "LIME204"})
    rows = feed()
    failing = "ERP-05015"  # active, not already stored
    apps = []
    for source in (IMPORT_CONTRACTS, after):
        app = contract_app()
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        with pytest.raises(InjectedCommitError):
            run(source, "import_contracts", app, rows)
        apps.append(app)
    saved_before = {r["erp_id"] for r in apps[0].snapshot()["contract"]}
    saved_after = {r["erp_id"] for r in apps[1].snapshot()["contract"]}
    assert failing not in saved_before and failing not in saved_after
    assert saved_after <= saved_before
    lost = len(saved_before - saved_after)
    assert 0 < lost < BATCH


def test_per_item_try_becomes_per_batch_and_counter_counts_saved_items(caplog):
    after = fixed(IMPORT_WITH_TRY, {"LIME201"})
    assert 'logger.exception("contract %s failed", row["id"])' in after  # logging kept
    assert "created = created_before_batch" in after
    rows = feed()
    # Without failures: identical.
    app_before, app_after = FakeLimeApplication(SCHEMA), FakeLimeApplication(SCHEMA)
    assert run(IMPORT_WITH_TRY, "import_contracts", app_before, rows) == \
        run(after, "import_contracts", app_after, rows)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.commits >= 40 * app_after.recorder.commits
    # One failing row: before loses that row only, after loses its batch; the
    # counter still equals what was stored in both.
    failing = "ERP-02020"
    results = []
    for source in (IMPORT_WITH_TRY, after):
        app = FakeLimeApplication(SCHEMA)
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        caplog.clear()
        created = run(source, "import_contracts", app, rows)
        stored = len(app.snapshot()["contract"])
        assert created == stored
        results.append(stored)
        # The failure is logged with its traceback, once (per item before, per batch after).
        [record] = [r for r in caplog.records if "failed" in r.getMessage()]
        assert record.exc_info is not None
    active = sum(1 for r in rows if r["active"])
    assert results[0] == active - 1
    assert active - BATCH <= results[1] < results[0]


# -- LIME202 ----------------------------------------------------------------------------
def test_unbounded_unit_of_work_becomes_batches():
    after = fixed(CLOSE_EXPIRED, {"LIME202"})
    app_before, app_after = deal_app(), deal_app()
    assert run(CLOSE_EXPIRED, "close_expired_deals", app_before) == run(after, "close_expired_deals", app_after)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.commits == 1
    assert max_objects_per_commit(app_before) == ROWS // 4
    assert app_after.recorder.commits == math.ceil(ROWS / BATCH)
    assert max_objects_per_commit(app_after) <= BATCH


def test_unbounded_unit_of_work_failure_keeps_earlier_batches():
    """Before: one transaction, a failure saves nothing. After: the batches
    before the failing one stay committed (documented: no longer one transaction)."""
    after = fixed(CLOSE_EXPIRED, {"LIME202"})
    lost_counts = []
    for source in (CLOSE_EXPIRED, after):
        app = deal_app()
        app.fail_commit_when(lambda obj: obj.properties.name.value == "Deal 4000")
        with pytest.raises(InjectedCommitError):
            run(source, "close_expired_deals", app)
        lost_counts.append(sum(1 for d in app.snapshot()["deal"] if d["dealstatus"] == "lost"))
    assert lost_counts[0] == 0
    # Deals 0..3999 are in the 80 batches before the failing one: 1,000 of them expired.
    assert lost_counts[1] == 1_000


# -- LIME203 .get(id) with keys known before the loop ------------------------------------
def test_get_by_id_prefetch_with_in_operator():
    after = fixed(REFRESH_COMPANIES, {"LIME203"})
    assert "ids = list(company_ids)" in after and 'InOperator("id", ids[start:start + 1000])' in after
    app_before, ids = company_app()
    app_after, ids_after = company_app()
    assert ids == ids_after
    run(REFRESH_COMPANIES, "refresh_company_names", app_before, ids)
    run(after, "refresh_company_names", app_after, ids)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.count("get") == ROWS
    # One filtered read per chunk of at most 1,000 keys, never a scan of the limetype.
    assert app_after.recorder.reads <= 2 + math.ceil(ROWS / PREFETCH_CHUNK_SIZE)
    reads = [t for t in app_after.recorder.log if t.kind == "get_all"]
    assert reads and all(read.detail["filter"] is not None for read in reads)


def test_all_fixes_together_on_refresh():
    after = fixed(REFRESH_COMPANIES, {"LIME201", "LIME203", "LIME204"})
    app_before, ids = company_app()
    app_after, _ = company_app()
    run(REFRESH_COMPANIES, "refresh_company_names", app_before, ids)
    run(after, "refresh_company_names", app_after, ids)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.round_trips == 2 * ROWS
    assert app_after.recorder.round_trips <= math.ceil(ROWS / PREFETCH_CHUNK_SIZE) + math.ceil(ROWS / BATCH)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="itertools.batched needs Python 3.12")
def test_batched_variant_runs_on_312():
    after = fixed(IMPORT_CONTRACTS, {"LIME201", "LIME203", "LIME204"}, Settings(batch_size=BATCH,
                                                                               target_version=(3, 12)))
    assert "itertools.batched(" in after
    rows = feed()
    app_before, app_after = contract_app(), contract_app()
    run(IMPORT_CONTRACTS, "import_contracts", app_before, rows)
    run(after, "import_contracts", app_after, rows)
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.commits >= 40 * app_after.recorder.commits


# -- LIME201 on a loop that adds nothing: the fix must not re-flag its batch loop -----------
TOUCH_ONLY = '''
from lime_task import task


@task
def touch(app, rows):
    seen = 0
    for row in rows:
        if not row["active"]:
            continue
        uow = app.unit_of_work()
        seen += 1
        # the add was commented out
        uow.commit()
    return seen
'''


@pytest.mark.parametrize("target", [(3, 10), (3, 12)])
def test_batching_a_loop_that_adds_nothing_keeps_behaviour_and_is_not_flagged_again(target):
    if target >= (3, 12) and sys.version_info < (3, 12):
        pytest.skip("itertools.batched needs Python 3.12")
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument

    settings = Settings(batch_size=BATCH, target_version=target)
    after = fixed(TOUCH_ONLY, {"LIME201", "LIME204"}, settings)
    left = check(SourceDocument(after), settings, codes={"LIME201", "LIME204"}).violations
    assert not left, [v.message for v in left]
    rows = feed(2_000)
    app_before, app_after = contract_app(10), contract_app(10)
    assert run(TOUCH_ONLY, "touch", app_before, rows) == run(after, "touch", app_after, rows) \
        == sum(1 for r in rows if r["active"])
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.commits == sum(1 for r in rows if r["active"])
    assert app_after.recorder.commits == math.ceil(2_000 / BATCH)


# -- LIME203 .get(id) whose object is read for one value only: a dict of that value -------
NAME_CONTRACTS = '''
from lime_task import task


@task
def name_contracts(app, rows):
    uow = app.unit_of_work()
    for row in rows:
        company = app.limetypes.company.get(row["company_id"])
        if not company.properties.name.value.strip():
            continue
        uow.add(app.limetypes.contract(erp_id=row["id"], name=company.properties.name.value.strip()))
    uow.commit()
    return len(rows)
'''

COMPANY_NAMES = '''
from lime_task import task


@task
def company_names(app, company_ids: list[int]):
    names = []
    for company_id in company_ids:
        company = app.limetypes.company.get(company_id)
        names.append(company.properties.name.value.strip())
    return names
'''


def test_get_by_id_reading_one_value_prefetches_a_dict_of_that_value():
    after = fixed(NAME_CONTRACTS, {"LIME203"})
    assert "{obj.id: obj.properties.name.value for obj in app.limetypes.company.get_all()}" in after
    assert "company." not in after.split("for row in rows:")[1]  # no object left in the loop
    app_before, ids = company_app(2_000)
    app_after, _ = company_app(2_000)
    blank = {tuple(seed(app, "company", [{"name": "   "}])) for app in (app_before, app_after)}
    [(blank_id,)] = blank  # a blank name: its row is skipped
    rows = [{"id": f"ERP-{i:05d}", "company_id": ids[(i * 7) % len(ids)]} for i in range(3_000)]
    rows.append({"id": "ERP-blank", "company_id": blank_id})
    assert run(NAME_CONTRACTS, "name_contracts", app_before, rows) == run(after, "name_contracts", app_after, rows)
    assert app_before.snapshot() == app_after.snapshot()
    assert len(app_after.snapshot()["contract"]) == 3_000
    assert app_before.recorder.reads == len(rows)
    assert app_after.recorder.reads == 1


def test_get_by_id_value_dict_with_keys_known_before_the_loop_reads_only_them():
    after = fixed(COMPANY_NAMES, {"LIME203"})
    assert 'InOperator("id", ids[start:start + 1000])' in after and "obj.properties.name.value" in after
    app_before, ids = company_app()
    app_after, _ = company_app()
    wanted = ids[::5]
    assert run(COMPANY_NAMES, "company_names", app_before, wanted) == \
        run(after, "company_names", app_after, wanted) == [f"Company {i}" for i in range(0, ROWS, 5)]
    assert app_before.snapshot() == app_after.snapshot()
    assert app_before.recorder.count("get") == len(wanted)
    assert app_after.recorder.reads == math.ceil(len(wanted) / PREFETCH_CHUNK_SIZE)
