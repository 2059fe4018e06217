"""Property: every SAFE fix keeps what a task does, whatever shape the task has.

Hypothesis composes task modules from the kinds that broke safe fixes before:
a list built from a Lime read (plain, filtered, or with an element that calls a
helper that commits or logs), consumed by a loop, ``any``/``all``/``sum``, or
measured with ``len``; loop bodies with ``continue``/``break``, a read per item,
a helper that commits, a dict the loop changes, log calls in ``%``/f-string/
``.format`` form with format specs, a ``try`` around a failing call; helper
functions that build lists; a read whose argument the loop changes.  Each
module is fixed with ``check --fix`` (safe fixes only, every rule) and run
before and after on the fake Lime application, eager and paging
(tests/differential.py): result, exception, final data, ordered commits and
HTTP calls, log records (level and text; LIME301 attaches a traceback on
purpose) and output must be identical.

``derandomize=True`` keeps CI on the same examples; ``LIME_FUZZ_EXAMPLES=400
LIME_FUZZ_RANDOM=1`` explores new ones (docs/reliability.md).
"""

from __future__ import annotations

import os
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from differential import Scenario, differences, fixed, outcome
from lime_task_lint.edits import parses

EXAMPLES = int(os.environ.get("LIME_FUZZ_EXAMPLES", "40"))
FIXED_SEED = os.environ.get("LIME_FUZZ_RANDOM") != "1"

SCHEMA = {"item": {"code": "string", "flag": "yesno", "amount": "decimal", "touched": "integer"}}
ROWS = [{"code": f"c{i % 5}", "flag": i % 3 == 0, "amount": i * 1.25 - 3, "touched": 0} for i in range(9)]

HEADER = '''
import logging

from lime_filter import EqualsOperator, Filter
from lime_task import task

logger = logging.getLogger(__name__)


def save(app, obj):
    obj.properties.touched.value = (obj.properties.touched.value or 0) + 1
    work = app.unit_of_work()
    work.add(obj)
    work.commit()
    return obj.properties.flag.value


def code_of(obj):
    return obj.properties.code.value


def shout(obj):
    logger.info("saw %s", obj.properties.code.value)
    return obj.properties.flag.value


def _codes(app):
    out = []
    for obj in app.limetypes.item.get_all():
        out.append(obj.properties.code.value)
    {builder_tail}
    return out
'''

MATERIALISE = [
    "items = list(app.limetypes.item.get_all())",
    "items = [x for x in app.limetypes.item.get_all() if x.properties.flag.value]",
    "items = [x for x in app.limetypes.item.get_all()]",
]
EFFECTFUL_ELEMENT = [
    "marks = [save(app, x) for x in app.limetypes.item.get_all()]",
    "marks = [shout(x) for x in app.limetypes.item.get_all()]",
    "marks = [code_of(x) for x in app.limetypes.item.get_all()]",
]
MARKS_CONSUMER = [
    "result.append(any(marks))",
    "result.append(all([m for m in marks]))",
    "result.append(sum(1 for m in marks if m))",
    "for m in marks:\n    result.append(m)",
]
BODY = [
    "if it.properties.flag.value:\n    continue",
    "found = app.limetypes.item.get_all(filter=Filter(EqualsOperator('code', it.properties.code.value)))\n"
    "if found.count > 1:\n    dup += 1",
    "save(app, it)",
    "seen[it.properties.code.value] = seen.get(it.properties.code.value, 0) + 1",
    "logger.info('item %s worth %.2f', it.properties.code.value, it.properties.amount.value)",
    "logger.info(f'item {it.properties.code.value:>4} worth {it.properties.amount.value:,.2f}')",
    "logger.warning('item {} flag {!r}'.format(it.properties.code.value, it.properties.flag.value))",
    "if dup > 1:\n    break",
    "try:\n    int(it.properties.code.value)\nexcept ValueError:\n    logger.error('not a number: %s', it.properties.code.value)",
    "cursor['at'] += 1\npage = app.limetypes.item.get_all(limit=1, offset=cursor['at'])\n"
    "result.extend(p.properties.code.value for p in page)",
]
TAIL = [
    "return (len(items), dup, sorted(seen.items()), result)",
    "return (dup, sorted(seen.items()), result)",
]
BUILDER_TAIL = ["", "logger.info('codes built')", "out.sort()"]
BUILDER_USE = [
    "result.append(','.join(_codes(app)))",
    "for c in _codes(app):\n    result.append(c)\n    break",
    "",
]


@st.composite
def task_modules(draw) -> str:
    materialise = draw(st.sampled_from(MATERIALISE))
    body = draw(st.lists(st.sampled_from(BODY), min_size=1, max_size=4, unique=True))
    lines = ["dup = 0", "seen = {}", "result = []", "cursor = {'at': 0}", materialise,
             "for it in items:", textwrap.indent("\n".join(body), "    ")]
    if draw(st.booleans()):
        lines += [draw(st.sampled_from(EFFECTFUL_ELEMENT)), draw(st.sampled_from(MARKS_CONSUMER))]
    use = draw(st.sampled_from(BUILDER_USE))
    if use:
        lines.append(use)
    lines.append(draw(st.sampled_from(TAIL)))
    header = HEADER.replace("{builder_tail}", draw(st.sampled_from(BUILDER_TAIL)) or "pass")
    return header + "\n\n@task\ndef run(app):\n" + textwrap.indent("\n".join(lines), "    ") + "\n"


SCENARIOS = [Scenario("eager", SCHEMA, {"item": ROWS}), Scenario("paging", SCHEMA, {"item": ROWS}, page_size=2)]


@settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(task_modules())
def test_safe_fixes_keep_behaviour(source):
    assert parses(source), source
    after = fixed(source)
    assert parses(after), after
    assert fixed(after) == after, "fix-all did not converge"
    for scenario in SCENARIOS:
        before_run = outcome(source, "run", scenario)
        after_run = outcome(after, "run", scenario)
        # LIME301's safe fix attaches the traceback to the record on purpose: text compared.
        changed = differences(before_run, after_run, messages="text")
        assert not changed, "\n".join(changed) + f"\n--- original ---\n{source}\n--- fixed ---\n{after}"
