"""LIME203's set pre-fetch on the filter and existence-test shapes real tasks use.

Kinds: an operator imported under another name (`EqualsOperator as Eq`), a
limetype held in a variable (`get_limetype("x")`), an `AndOperator` with one
condition that changes with the loop and others that do not (the pre-fetch keeps
them), and the existence tests `bool(r.count)`, `found = list(<read>)` then
`if found` / `not found` / `len(found) > 0`.  Each runs before and after
`--fix --unsafe-fixes` on the fake application with 1,500 keys over 1,200
stored rows (eager, and paging for behaviour): the same result and data, and at
most 2 + ceil(keys / chunk size) reads after the fix.
"""

from __future__ import annotations

import math
import textwrap

from differential import Scenario, fixed, outcome
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings

SCHEMA = {"ticket": {"code": "string", "status": "string"}}
STORED = [{"code": f"C{i}", "status": "open" if i % 3 else "done"} for i in range(1200)]
# Every other key is stored; some keys repeat.
ROWS = [{"code": f"C{2 * i}" if i % 2 else f"N{i % 700}"} for i in range(1500)]


def _settings(**values) -> Settings:
    return Settings(target_version=(3, 10), **values)


def _prove(source: str, task: str, settings: Settings | None = None) -> str:
    source = textwrap.dedent(source)
    settings = settings or _settings()
    [finding] = [v for v in check(SourceDocument(source, "task_module.py"), settings, codes={"LIME203"}).violations]
    assert finding.fix is not None and not finding.fix.is_safe, finding.message
    after = fixed(source, unsafe=True, codes={"LIME203"}, settings=settings)
    for page_size in (None, 50):
        before = outcome(source, task, Scenario("rows", SCHEMA, {"ticket": STORED}, args=(ROWS,),
                                                page_size=page_size))
        run = outcome(after, task, Scenario("rows", SCHEMA, {"ticket": STORED}, args=(ROWS,), page_size=page_size))
        assert before.exception is None, before.exception
        assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data), after
        if page_size is None:
            assert before.reads >= len(ROWS) // 2
            assert run.reads <= 2 + math.ceil(len(ROWS) / settings.prefetch_chunk_size), (run.reads, after)
    return after


ALIASED = '''
from lime_filter import EqualsOperator as Eq, Filter
from lime_task import task


@task
def new_codes(app, rows: list):
    fresh = []
    for row in rows:
        found = app.limetypes.ticket.get_all(filter=Filter(Eq("code", row["code"])))
        if found.count:
            continue
        fresh.append(row["code"])
    return fresh
'''


def test_an_aliased_equals_operator_is_prefetched():
    after = _prove(ALIASED, "new_codes")
    assert 'InOperator("code"' in after and "known_codes" in after


THROUGH_VARIABLE = '''
import lime_filter
from lime_task import task


@task
def missing(app, rows: list):
    tickets = app.limetypes.get_limetype("ticket")
    out = 0
    for row in rows:
        if tickets.get_all(filter=lime_filter.Filter(lime_filter.EqualsOperator("code", row["code"]))).count == 0:
            out += 1
    return out
'''


def test_a_limetype_held_in_a_variable_is_prefetched():
    after = _prove(THROUGH_VARIABLE, "missing")
    assert "tickets.get_all(filter=lime_filter.Filter(lime_filter.InOperator(" in after


WITH_AND = '''
from lime_filter import AndOperator, EqualsOperator, Filter
from lime_task import task


@task
def open_ones(app, rows: list):
    marks = []
    for row in rows:
        hits = app.limetypes.ticket.get_all(
            filter=Filter(AndOperator(EqualsOperator("status", "open"), EqualsOperator("code", row["code"]))))
        marks.append("open" if hits.count > 0 else "-")
    return marks
'''


def test_an_and_operator_keeps_its_fixed_conditions_in_the_prefetch():
    after = _prove(WITH_AND, "open_ones")
    # Only open tickets may count as found: the other condition filters the pre-fetch too.
    assert 'AndOperator(InOperator("code", ' in after and 'EqualsOperator("status", "open")' in after


TRUTHY = '''
import lime_filter as lf
from lime_task import task


@task
def flags(app, rows: list):
    out = []
    for row in rows:
        exists = bool(app.limetypes.ticket.get_all(filter=lf.Filter(lf.EqualsOperator("code", row["code"]))).count)
        out.append(exists)
    return out
'''


def test_bool_of_the_count_becomes_a_membership_test():
    after = _prove(TRUTHY, "flags")
    assert 'exists = row["code"] in known_codes' in after


LISTED = '''
import lime_filter as lf
from lime_task import task


@task
def split(app, rows: list):
    out = []
    for row in rows:
        found = list(app.limetypes.ticket.get_all(filter=lf.Filter(lf.EqualsOperator("code", row["code"]))))
        if not found and row["code"].startswith("N"):
            out.append(("new", row["code"]))
        elif len(found) > 0:
            out.append(("known", row["code"]))
    return out
'''


def test_a_listed_result_tested_for_emptiness_becomes_a_membership_test():
    after = _prove(LISTED, "split")
    assert "found" not in after
    assert 'row["code"] not in known_codes and' in after and 'elif row["code"] in known_codes:' in after


LISTED_USED = LISTED.replace('out.append(("known", row["code"]))', 'out.append(("known", found[0].id))')


def test_a_listed_result_whose_objects_are_used_is_not_turned_into_a_set():
    [finding] = check(SourceDocument(textwrap.dedent(LISTED_USED), "task_module.py"), _settings(),
                      codes={"LIME203"}).violations
    assert finding.fix is None and "more than an existence test" in finding.message


def test_the_chunk_size_setting_applies_to_the_set_prefetch():
    after = _prove(ALIASED, "new_codes", _settings(prefetch_chunk_size=200))
    assert "code_keys[start:start + 200]" in after


WITH_AND_UNKNOWN_KEYS = '''
from lime_filter import AndOperator, EqualsOperator, Filter
from lime_task import task


@task
def first_open(app, rows: list):
    marks = []
    for row in rows:
        hits = app.limetypes.ticket.get_all(
            filter=Filter(AndOperator(EqualsOperator("status", "open"), EqualsOperator("code", row["code"]))))
        if hits.count > 0:
            marks.append(row["code"])
        if len(marks) > 300:
            break
    return marks
'''


def test_an_and_operator_with_unknown_keys_reads_only_what_its_fixed_conditions_match():
    # `row["code"]` of rows after the break might not exist: the keys cannot be computed
    # up front, so the whole limetype is read, still filtered by the fixed condition.
    source = textwrap.dedent(WITH_AND_UNKNOWN_KEYS)
    [finding] = check(SourceDocument(source, "task_module.py"), _settings(), codes={"LIME203"}).violations
    assert finding.fix is not None and "every `ticket` key" in finding.fix.title
    after = fixed(source, unsafe=True, codes={"LIME203"})
    assert 'get_all(filter=Filter(EqualsOperator("status", "open")))' in after
    for page_size in (None, 50):
        before = outcome(source, "first_open", Scenario("r", SCHEMA, {"ticket": STORED}, args=(ROWS,),
                                                        page_size=page_size))
        run = outcome(after, "first_open", Scenario("r", SCHEMA, {"ticket": STORED}, args=(ROWS,),
                                                    page_size=page_size))
        assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data)
        if page_size is None:
            assert run.reads <= 2


LIMETYPE_BOUND_IN_LOOP = '''
from lime_task import task


@task
def codes(app, ids: list):
    out = []
    for ticket_id in ids:
        tickets = app.limetypes.get_limetype("ticket")
        out.append(tickets.get(ticket_id).properties.code.value)
    return out
'''


def test_a_limetype_bound_inside_the_loop_is_named_from_the_application_before_it():
    # `tickets` does not exist yet before the loop: the pre-fetch reads `app.limetypes.ticket`.
    source = textwrap.dedent(LIMETYPE_BOUND_IN_LOOP)
    after = fixed(source, unsafe=True, codes={"LIME203"})
    assert "app.limetypes.ticket.get_all(" in after
    ids = [1001 + (i * 7) % len(STORED) for i in range(1500)]
    before = outcome(source, "codes", Scenario("r", SCHEMA, {"ticket": STORED}, args=(ids,)))
    run = outcome(after, "codes", Scenario("r", SCHEMA, {"ticket": STORED}, args=(ids,)))
    assert before.exception is None and (run.result, run.data) == (before.result, before.data)
    assert before.reads == 1500 and run.reads <= 2 + math.ceil(1500 / 1000)
