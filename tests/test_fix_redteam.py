"""Red-team regressions: task shapes that made a fix change what a task does.

Each test is one kind of input a demanding Lime integration developer writes,
run before and after ``check --fix`` on the fake Lime application through the
differential harness (tests/differential.py).  A *safe* fix must keep the
result, the raised exception, the data, the ordered commits and HTTP calls,
the log records and the output, except what its rule changes on purpose (the
text of a LIME303 record, a print that becomes a record); an *unsafe* fix may
change only what its rule's Fix safety docs list.
"""

from __future__ import annotations

import textwrap

import pytest

from differential import Scenario, differences, fixed, outcome

SCHEMA = {"company": {"name": "string", "city": "string", "score": "integer", "synced": "yesno"}}
ROWS = [{"name": f"Bolag {i}", "city": "Lund" if i % 2 else "Malmö", "score": i, "synced": False} for i in range(7)]
SCENARIOS = [Scenario("eager", SCHEMA, {"company": ROWS}),
             Scenario("paging", SCHEMA, {"company": ROWS}, page_size=3)]

HEADER = '''
import logging
import sys

from lime_task import task

logger = logging.getLogger(__name__)
'''


def _module(body: str) -> str:
    return HEADER + textwrap.dedent(body)


def _changes(source: str, *, unsafe: bool = False, codes=None, messages: str = "exact") -> list[str]:
    after = fixed(source, unsafe=unsafe, codes=codes)
    compile(after, "<fixed>", "exec")
    found = []
    for scenario in SCENARIOS:
        changed = differences(outcome(source, "run", scenario), outcome(after, "run", scenario),
                              messages=messages, secrets=scenario.secrets)
        found += [f"{scenario.name}: {line}" for line in changed]
    return found + ([f"--- fixed ---\n{after}"] if found else [])


# -- LIME303: the safe fix reads names it must prove bound -------------------------------

@pytest.mark.parametrize("binding", [
    # a module name bound only on one platform / one branch
    'if sys.platform == "no-such-platform":\n    REGION = "eu"\n',
    # bound only when an optional import works
    'try:\n    import no_such_lime_addon as REGION\nexcept ImportError:\n    pass\n',
    # bound only by a function's `global` that never ran
    'def configure():\n    global REGION\n    REGION = "eu"\n',
    # a walrus that short-circuits away
    'FLAG = False\nFLAG and (REGION := "eu")\n',
])
def test_lime303_safe_fix_never_reads_a_module_name_that_may_be_unbound(binding):
    source = _module(binding + '''

@task
def run(app):
    logger.info("syncing {REGION}")
    return "done"
''')
    after = fixed(source, codes={"LIME303"})
    # the record's text may change on purpose; the task may not start failing
    assert not [c for c in _changes(source, codes={"LIME303"}, messages="count")], after
    assert 'logger.info("syncing {REGION}")' in after  # not safe: offered only as unsafe


def test_lime303_safe_fix_never_reads_a_closure_name_bound_after_the_nested_function():
    source = _module('''
@task
def run(app):
    def report():
        logger.info("synced {count} companies")

    for _ in []:
        report()
    count = 0
    return count
''')
    assert not _changes(source, codes={"LIME303"}, messages="count")
    assert 'logger.info("synced {count} companies")' in fixed(source, codes={"LIME303"})
