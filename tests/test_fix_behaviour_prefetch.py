"""LIME203's move and pre-fetch fixes keep what a task does, or are not offered / not safe.

Kinds: a read whose argument the loop changes through an attribute, a subscript
or a method (no move); a raising read moved before a loop that may have no items
(unsafe); a loop that writes through a helper the analysis sees (no move) or one
it cannot see (unsafe); objects created through a helper while a pre-fetched set
is used (the key is added); keys computed only over the rows that reach the read;
an iterator parameter (read into a list once); two fixes of one function that
would break each other in one pass (c24's kind).  Each runs before and after
`--fix --unsafe-fixes` on the fake application, eager and paging, and compares.
"""

from __future__ import annotations

import math
import textwrap

from differential import Scenario, assert_keeps_behaviour, fixed, outcome
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.prefetch import PREFETCH_CHUNK_SIZE
from lime_task_lint.settings import Settings

SCHEMA = {
    "ticket": {"code": "string", "status": "string", "owner": "integer"},
    "agent": {"label": "string"},
}


def _findings(source: str, code: str = "LIME203"):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), Settings(target_version=(3, 10)),
                   codes={code})
    return [v for v in result.violations if v.code == code]


def _scenarios(tickets=(), agents=(), **extra) -> list[Scenario]:
    rows = {"ticket": list(tickets), "agent": list(agents)}
    return [Scenario("eager", SCHEMA, rows, **extra), Scenario("paging", SCHEMA, rows, page_size=3, **extra)]


TICKETS = [{"code": f"T{i}", "status": "open" if i % 2 else "done", "owner": 1} for i in range(7)]

MUTATED_ARGUMENT = '''
from lime_task import task


class Cursor:
    def __init__(self):
        self.at = 0

    def step(self):
        self.at += 2


@task
def pages(app, count: int):
    state = {"skip": 0}
    box = Cursor()
    marks = [5, 3]
    seen = []
    for _ in range(count):
        by_key = app.limetypes.ticket.get_all(limit=2, offset=state["skip"])
        by_attr = app.limetypes.ticket.get_all(limit=2, offset=box.at)
        by_list = app.limetypes.ticket.get_all(limit=1, offset=marks[-1])
        seen.append(([t.properties.code.value for t in by_key], [t.properties.code.value for t in by_attr],
                     [t.properties.code.value for t in by_list]))
        state["skip"] += 2
        box.step()
        marks.pop()
    return seen
'''


def test_reads_using_state_the_loop_changes_are_not_moved():
    findings = _findings(MUTATED_ARGUMENT)
    assert len(findings) == 3
    for finding in findings:
        assert finding.fix is None and "which the loop changes" in finding.message
        assert "does not depend on the loop" not in finding.message
    assert_keeps_behaviour(textwrap.dedent(MUTATED_ARGUMENT), "pages", _scenarios(TICKETS, args=(2,)),
                           unsafe=True, codes={"LIME203"})


RAISING_MOVE = '''
from lime_task import task


@task
def label_open(app, agent_id: int):
    out = []
    for ticket in app.limetypes.ticket.get_all():
        if ticket.properties.status.value != "open":
            continue
        agent = app.limetypes.agent.get(agent_id)
        out.append(f"{ticket.properties.code.value}:{agent.properties.label.value}")
    return out
'''


def test_a_read_that_raises_is_not_moved_safely_above_a_loop_that_may_skip_it():
    [finding] = _findings(RAISING_MOVE)
    assert finding.fix is not None and not finding.fix.is_safe
    only_done = [t for t in TICKETS if t["status"] == "done"]
    # No open ticket: the original never reads the (missing) agent.
    assert_keeps_behaviour(textwrap.dedent(RAISING_MOVE), "label_open", _scenarios(only_done, args=(999,)),
                           codes={"LIME203"})


WRITES_IN_LOOP = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def close(app, ticket):
    ticket.properties.status.value = "done"
    work = app.unit_of_work()
    work.add(ticket)
    work.commit()


@task
def close_until(app, most_done: int):
    closed = 0
    for ticket in app.limetypes.ticket.get_all(filter=Filter(EqualsOperator("status", "open"))):
        done = app.limetypes.ticket.get_all(filter=Filter(EqualsOperator("status", "done")))
        if done.count >= most_done:
            break
        close(app, ticket)
        closed += 1
    return closed
'''


def test_no_move_above_a_loop_that_writes_through_a_helper():
    [finding] = _findings(WRITES_IN_LOOP)
    assert finding.fix is None and "close()" in finding.message
    for unsafe in (False, True):
        assert_keeps_behaviour(textwrap.dedent(WRITES_IN_LOOP), "close_until", _scenarios(TICKETS, args=(5,)),
                               unsafe=unsafe, codes={"LIME203"})


UNSEEN_HELPER = WRITES_IN_LOOP.replace('''def close(app, ticket):
    ticket.properties.status.value = "done"
    work = app.unit_of_work()
    work.add(ticket)
    work.commit()
''', "from ticketing.store import close\n")

HELPER_MODULE = '''
def close(app, ticket):
    ticket.properties.status.value = "done"
    work = app.unit_of_work()
    work.add(ticket)
    work.commit()
'''


def test_a_loop_calling_unseen_code_makes_the_move_unsafe_and_says_why():
    [finding] = _findings(UNSEEN_HELPER)
    assert finding.fix is not None and not finding.fix.is_safe and "close()" in finding.fix.title
    assert_keeps_behaviour(textwrap.dedent(UNSEEN_HELPER), "close_until",
                           _scenarios(TICKETS, args=(5,), modules={"ticketing.store": HELPER_MODULE}),
                           codes={"LIME203"})


CREATED_IN_HELPER = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def new_ticket(app, row):
    return app.limetypes.ticket(code=row["code"], status="open", owner=0)


@task
def import_tickets(app, rows: list):
    made = 0
    for row in rows:
        found = app.limetypes.ticket.get_all(filter=Filter(EqualsOperator("code", row["code"])))
        if found.count > 0:
            continue
        work = app.unit_of_work()
        work.add(new_ticket(app, row))
        work.commit()
        made += 1
    return made
'''


def test_keys_of_objects_created_in_a_helper_join_the_prefetched_set():
    rows = [{"code": c} for c in ("T1", "N1", "N2", "N1", "T3", "N2")]
    after = assert_keeps_behaviour(textwrap.dedent(CREATED_IN_HELPER), "import_tickets",
                                   _scenarios(TICKETS, args=(rows,)), unsafe=True, codes={"LIME203"})
    assert "known_codes.add(" in after


SKIPPED_ROWS = '''
from lime_task import task


@task
def owners(app, rows: list):
    out = {}
    for row in rows:
        if not row.get("agent"):
            continue
        agent = app.limetypes.agent.get(row["agent"])
        out[row["n"]] = agent.properties.label.value
    return out
'''


def test_keys_are_computed_only_over_rows_that_reach_the_read():
    scenario = [Scenario("rows", SCHEMA, {"agent": [{"label": "ann"}, {"label": "bo"}]},
                         args=([{"n": 1, "agent": 1001}, {"n": 2}, {"n": 3, "agent": 1002}, {"n": 4, "agent": None}],))]
    after = assert_keeps_behaviour(textwrap.dedent(SKIPPED_ROWS), "owners", scenario, unsafe=True,
                                   codes={"LIME203"})
    assert "InOperator" in after and "get_all()" not in after


ITERATOR_PARAMETER = '''
from lime_task import task


@task
def labels(app, rows):
    out = []
    for row in rows:
        agent = app.limetypes.agent.get(row)
        out.append(agent.properties.label.value)
    return out
'''


def test_an_iterator_is_read_into_a_list_once_and_only_its_keys_are_read():
    agents = [{"label": f"a{i}"} for i in range(2500)]
    ids = list(range(1001, 1001 + 2500))
    after = fixed(textwrap.dedent(ITERATOR_PARAMETER), unsafe=True, codes={"LIME203"})
    assert "get_all()" not in after and "= list(rows)" in after
    for wrap in (list, iter):
        scenario = Scenario("agents", SCHEMA, {"agent": agents}, args=(wrap(ids),))
        before = outcome(textwrap.dedent(ITERATOR_PARAMETER), "labels", scenario)
        scenario.args = (wrap(ids),)
        fixed_run = outcome(after, "labels", scenario)
        assert before.result == fixed_run.result and before.data == fixed_run.data
        assert before.reads == len(ids)
        assert fixed_run.reads <= 2 + math.ceil(len(ids) / PREFETCH_CHUNK_SIZE)


LAZY_THEN_PREFETCH = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def staged(app):
    at = 0
    while True:
        page = list(app.limetypes.agent.get_all(limit=2, offset=at))
        if not page:
            return
        for agent in page:
            yield agent.properties.label.value
        at += 2


@task
def copy_agents(app):
    labels = list(staged(app))
    made = 0
    for label in labels:
        hit = app.limetypes.ticket.get_all(filter=Filter(EqualsOperator("code", label)))
        if hit.count:
            continue
        work = app.unit_of_work()
        work.add(app.limetypes.ticket(code=label, status="new", owner=0))
        work.commit()
        made += 1
    return made
'''


def test_fixes_of_one_function_are_not_combined_in_one_pass():
    agents = [{"label": f"L{i}"} for i in range(5)]
    assert_keeps_behaviour(textwrap.dedent(LAZY_THEN_PREFETCH), "copy_agents",
                           [Scenario("eager", SCHEMA, {"agent": agents, "ticket": [{"code": "L2", "status": "x",
                                                                                      "owner": 0}]})],
                           unsafe=True, commits="grouping")
    # The two fixes of c24's kind alone (each is fine by itself):
    after = assert_keeps_behaviour(textwrap.dedent(LAZY_THEN_PREFETCH), "copy_agents",
                                   [Scenario("eager", SCHEMA, {"agent": agents})], unsafe=True,
                                   codes={"LIME101", "LIME203"})
    assert "known_codes" in after
