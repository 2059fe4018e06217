"""LIME203's pre-fetch for a read per item of a comprehension: the objects are
read into a dict before the statement, under the comprehension's own filter.
Run before and after `--fix --unsafe-fixes` on the fake application with 2,000
items: the same result and data, and at most 2 + ceil(keys / 1,000) reads."""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from differential import Scenario, fixed, outcome  # noqa: E402
from fakelime.schema import BelongsTo  # noqa: E402

from lime_task_lint.checker import check  # noqa: E402
from lime_task_lint.document import SourceDocument  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

SCHEMA = {
    "company": {"name": "string"},
    "deal": {"title": "string", "closed": "yesno", "company": BelongsTo("company")},
}
COMPANIES = 300
COMPANY_IDS = list(range(1001, 1001 + COMPANIES))  # the fake numbers rows from 1001, companies first
ROWS = {
    "company": [{"name": f"C{i}"} for i in range(COMPANIES)],
    "deal": [{"title": f"D{i}", "closed": i % 3 == 0, "company": None if i % 8 == 0 else COMPANY_IDS[i % COMPANIES]}
             for i in range(2000)],
}


def _findings(source: str):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), Settings(target_version=(3, 10)),
                   codes={"LIME203"})
    return [v for v in result.violations if v.code == "LIME203"]


def _prove(source: str, task: str, args=()) -> str:
    source = textwrap.dedent(source)
    [finding] = _findings(source)
    assert finding.fix is not None and not finding.fix.is_safe, finding.message
    after = fixed(source, unsafe=True, codes={"LIME203"})
    for page_size in (None, 100):
        before = outcome(source, task, Scenario("r", SCHEMA, ROWS, args=args, page_size=page_size))
        run = outcome(after, task, Scenario("r", SCHEMA, ROWS, args=args, page_size=page_size))
        assert before.exception is None, before.exception
        assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data), after
        if page_size is None:
            assert before.reads >= 1000  # one read per item reaching the read
            assert run.reads <= 2 + math.ceil(COMPANIES / 1000), (run.reads, after)
    assert _findings(after) == []
    return after


GET_IN_COMPREHENSION = '''
from lime_task import task


@task
def names(app, company_ids: list):
    return [app.limetypes.company.get(cid).properties.name.value for cid in company_ids if cid % 2]
'''


def test_a_get_per_item_of_a_list_comprehension_becomes_a_dict_lookup():
    ids = [COMPANY_IDS[i % COMPANIES] for i in range(1500 * 2)]
    after = _prove(GET_IN_COMPREHENSION, "names", (ids,))
    assert "company_by_id[cid].properties.name.value" in after
    assert "if (cid % 2)]" in after  # the keys follow the comprehension's filter


FETCH_IN_DICT_COMPREHENSION = '''
from lime_task import task


@task
def owners(app):
    deals = list(app.limetypes.deal.get_all())
    return {d.properties.title.value: d.properties.company.fetch() is not None
            for d in deals if not d.properties.closed.value}
'''


def test_a_relation_fetched_per_item_of_a_dict_comprehension_is_prefetched():
    after = _prove(FETCH_IN_DICT_COMPREHENSION, "owners")
    assert "company_by_id.get(d.properties.company.value) is not None" in after


FILTER_READS = '''
from lime_task import task


@task
def known(app, company_ids: list):
    return [cid for cid in company_ids if app.limetypes.company.get(cid)]
'''

WRITES_AROUND = '''
from lime_task import task


def bump(app):
    work = app.unit_of_work()
    work.add(app.limetypes.company(name="new"))
    work.commit()
    return 1


@task
def names(app, company_ids: list):
    return bump(app) + len([app.limetypes.company.get(cid) for cid in company_ids])
'''


def test_not_offered_for_a_read_in_the_filter_or_beside_a_write():
    for source, reason in ((FILTER_READS, "`for` or `if`"), (WRITES_AROUND, "its statement writes")):
        [finding] = [f for f in _findings(source) if "company.get" in f.message]
        assert finding.fix is None and reason in finding.message, finding.message


QUADRATIC = '''
from lime_task import task


@task
def open_deals_per_company(app):
    deals = list(app.limetypes.deal.get_all())
    out = {}
    for company in app.limetypes.company.get_all():
        out[company.properties.name.value] = len(
            [d for d in deals if not d.properties.closed.value and d.properties.company.fetch().id == company.id])
    return out
'''


def test_a_collection_filtered_by_relation_per_item_is_grouped_once():
    # Every deal has a company here: the original raises AttributeError on one without.
    rows = {"company": ROWS["company"], "deal": [dict(d, company=COMPANY_IDS[i % COMPANIES])
                                                 for i, d in enumerate(ROWS["deal"][:1200])]}
    source = textwrap.dedent(QUADRATIC)
    [finding] = _findings(source)
    assert finding.fix is not None and not finding.fix.is_safe and "Group `deals` by `company`" in finding.fix.title
    after = fixed(source, unsafe=True, codes={"LIME203"})
    assert "deals_by_company.setdefault(d.properties.company.value, []).append(d)" in after
    assert "for d in deals_by_company.get(company.id, []) if not d.properties.closed.value]" in after
    before = outcome(source, "open_deals_per_company", Scenario("r", SCHEMA, rows))
    run = outcome(after, "open_deals_per_company", Scenario("r", SCHEMA, rows))
    assert before.exception is None and (run.result, run.data) == (before.result, before.data)
    assert before.reads > 1200 and run.reads == 2  # the deals and the companies
    assert _findings(after) == []
