"""LIME203's fix for a read inside a helper called once per item: the caller
pre-fetches the objects of the keys it will pass, grouped by the field, and
passes the lookup as a keyword argument with a default (other callers keep
reading).  Run before and after `--fix --unsafe-fixes` on the fake application
with 1,500 keys over 1,200 rows: same result and data, and at most
2 + ceil(keys / chunk size) reads after the fix.  Withheld: a helper that uses
the result for more than iterating it, a loop that creates objects the lookup
would miss (the message says why)."""

from __future__ import annotations

import math
import textwrap

from differential import Scenario, fixed, outcome
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings

SCHEMA = {"person": {"email": "string", "name": "string"}}
STORED = [{"email": f"p{i}@x.se", "name": f"P{i}"} for i in range(1200)]
# A few stored emails twice: the helper returns the first by id, so must the lookup.
STORED += [{"email": f"p{i}@x.se", "name": f"twin{i}"} for i in range(0, 1200, 97)]
ROWS = [{"email": f"p{(i * 7) % 1700}@x.se" if i % 13 else ""} for i in range(1500)]


def _findings(source: str):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), Settings(target_version=(3, 10)),
                   codes={"LIME203"})
    return [v for v in result.violations if v.code == "LIME203"]


def _prove(source: str, task: str, args=(ROWS,)) -> str:
    source = textwrap.dedent(source)
    after = fixed(source, unsafe=True, codes={"LIME203"})
    compile(after, "<fixed>", "exec")
    for page_size in (None, 50):
        before = outcome(source, task, Scenario("r", SCHEMA, {"person": STORED}, args=args, page_size=page_size))
        run = outcome(after, task, Scenario("r", SCHEMA, {"person": STORED}, args=args, page_size=page_size))
        assert before.exception is None, before.exception
        assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data), after
        if page_size is None and task != "one":
            assert before.reads >= len(ROWS) // 2
            assert run.reads <= 2 + math.ceil(len(ROWS) / 1000), (run.reads, after)
    return after


HELPER = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def find_person(app, email):
    matches = app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email)))
    for person in matches:
        return person
    return None


@task
def link(app, rows: list):
    names = []
    for row in rows:
        person = find_person(app, row["email"])
        names.append(person.properties.name.value if person else None)
    return names


@task
def count_known(app, rows: list):
    known = 0
    for row in rows:
        if not row["email"]:
            continue
        if find_person(app, email=row["email"]) is not None:
            known += 1
    return known


@task
def one(app, email):
    person = find_person(app, email)
    return person.properties.name.value if person else None
'''


def test_a_reading_helper_gets_the_prefetched_lookup_and_other_callers_keep_working():
    findings = _findings(HELPER)
    assert len(findings) == 2 and all(f.fix is not None and not f.fix.is_safe for f in findings)
    assert "pass the lookup to `find_person()` as `person_by_email=`" in findings[0].fix.title
    after = _prove(HELPER, "link")
    _prove(HELPER, "count_known")
    _prove(HELPER, "one", args=("p5@x.se",))
    assert "def find_person(app, email, person_by_email=None):" in after
    assert after.count("person_by_email=person_by_email") == 2
    # The keys follow the guard: rows without an email never reach the helper.
    assert 'for row in rows if (row["email"])]' in after
    assert _findings(after) == []


COUNTING_HELPER = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def is_known(app, email):
    return app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))).count > 0


@task
def known_loop(app, rows: list):
    out = []
    for row in rows:
        out.append(is_known(app, row["email"]))
    return out
'''


def test_a_helper_using_more_than_the_iteration_of_its_result_is_not_changed():
    [finding] = _findings(COUNTING_HELPER)
    assert finding.fix is None and "more than iterating it" in finding.message
    source = textwrap.dedent(COUNTING_HELPER)
    assert fixed(source, unsafe=True, codes={"LIME203"}) == source


FIND_OR_CREATE = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


@task
def ensure(app, rows: list):
    made = 0
    for row in rows:
        if find_person(app, row["email"]) is None:
            work = app.unit_of_work()
            work.add(app.limetypes.person(email=row["email"], name="new"))
            work.commit()
            made += 1
    return made
'''


def test_no_lookup_when_the_loop_creates_what_the_helper_finds():
    # A row repeating a new email would find the person the loop created; a lookup would not.
    [finding] = [f for f in _findings(FIND_OR_CREATE) if "find_person" in f.message]
    assert finding.fix is None and "creates `person` objects" in finding.message
