"""The reuse engine's relation links: LIME203's pre-fetch learns what a relation
points to from *another* function of the module (``prefetch.related_limetype``),
so the function that fetches a relation and every function that mentions it
must be re-analysed together, whichever spelling each uses
(``x.properties.rel`` or ``x.get_property("rel")``); functions that only share a
property nobody fetches are independent."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lime_task_lint.analysis import analyse
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.settings import Settings

from test_incremental import signature

SETTINGS = Settings()

FETCHER = (
    "@task\n"
    "def report(app, deals):\n"
    "    names = []\n"
    "    for deal in deals:\n"
    "        company = {accessor}.fetch()\n"
    "        names.append(company.properties.name.value)\n"
    "    return names\n"
)
PROVIDER = (
    "def owner_of(app, deal):\n"
    "    return app.limetypes.{limetype}.get({accessor}.value)\n"
)


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _module(fetch_spelling: str, provide_spelling: str, limetype: str) -> str:
    spell = {"attribute": "deal.properties.customer", "get_property": 'deal.get_property("customer")'}
    return ("from lime_task import task\n\n\n" + FETCHER.format(accessor=spell[fetch_spelling]) + "\n\n"
            + PROVIDER.format(limetype=limetype, accessor=spell[provide_spelling]))


@pytest.mark.parametrize("fetch_spelling", ["attribute", "get_property"])
@pytest.mark.parametrize("provide_spelling", ["attribute", "get_property"])
def test_changing_what_another_function_shows_a_relation_points_to_reanalyses_the_fetch(
        fetch_spelling, provide_spelling):
    """The fetch's pre-fetch fix names the related limetype learnt from
    ``owner_of``; after ``owner_of`` changes it, a reused finding would offer a
    pre-fetch of the old limetype (a fix that reads the wrong objects).  With the
    fetch spelled ``get_property("customer")`` that finding used to be reused."""
    text = _module(fetch_spelling, provide_spelling, "company")
    analyser = IncrementalAnalyser()
    first = analyser.analyse("u", text, SETTINGS)
    assert any("`company` as used" in (v.fix.title if v.fix else "") for v in first.violations)
    edited = text.replace("limetypes.company.get", "limetypes.person.get")
    second = analyser.analyse("u", edited, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert signature(second) == signature(analyse("u", edited, SETTINGS))
    assert any("`person` as used" in (v.fix.title if v.fix else "") for v in second.violations)


def test_functions_sharing_a_property_nobody_fetches_are_reanalysed_alone():
    tasks = "".join(
        f"\n\n@task\ndef mark_{n}(app):\n    uow = app.unit_of_work()\n"
        f"    for deal in app.limetypes.deal.get_all():\n        deal.properties.checked.value = True\n"
        f"        uow.add(deal)\n    uow.commit()\n    return {n}\n" for n in range(12))
    text = "from lime_task import task\n" + tasks
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    analysed, reused = analyser.stats.analysed_components, analyser.stats.reused_components
    edited = text.replace("    return 5\n", "    return 55\n")
    result = analyser.analyse("u", edited, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert analyser.stats.analysed_components - analysed == 1
    assert analyser.stats.reused_components - reused == 11  # the other tasks' findings are kept
    assert signature(result) == signature(analyse("u", edited, SETTINGS))
    # Once one of them fetches `checked`, they are analysed together again.
    fetching = edited.replace("        deal.properties.checked.value = True\n",
                              "        deal.properties.checked.fetch()\n", 1)
    result = analyser.analyse("u", fetching, SETTINGS)
    assert signature(result) == signature(analyse("u", fetching, SETTINGS))
    analysed, reused = analyser.stats.analysed_components, analyser.stats.reused_components
    again = fetching.replace("    return 7\n", "    return 77\n")
    result = analyser.analyse("u", again, SETTINGS)
    assert signature(result) == signature(analyse("u", again, SETTINGS))
    assert analyser.stats.analysed_components - analysed == 1  # one component holding all twelve
    assert analyser.stats.reused_components - reused == 0


SPELLINGS = ["deal.properties.{r}", 'deal.get_property("{r}")']
LINES = [
    "        related = {accessor}.fetch()\n",
    "        key = {accessor}.value\n",
    "        other = app.limetypes.{limetype}.get({accessor}.value)\n",
    "        {accessor}.attach(app.limetypes.{limetype}.get(1))\n",
    "        total += 1\n",
]


def _function(number: int, lines: list[tuple[int, int, str, str]]) -> str:
    body = "".join(LINES[kind].format(accessor=SPELLINGS[spelling].format(r=relation), limetype=limetype)
                   for kind, spelling, relation, limetype in lines)
    return (f"\n\ndef job_{number}(app, deals):\n    total = 0\n    for deal in deals:\n{body}"
            f"    return total\n")


line_strategy = st.tuples(st.integers(0, len(LINES) - 1), st.integers(0, 1), st.sampled_from(["customer", "owner"]),
                          st.sampled_from(["company", "person"]))
function_strategy = st.lists(line_strategy, min_size=1, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(functions=st.lists(function_strategy, min_size=2, max_size=4),
       edits=st.lists(st.tuples(st.integers(0, 3), function_strategy), min_size=1, max_size=4))
def test_random_relation_edits_match_a_from_scratch_analysis(functions, edits):
    """Functions that fetch, read, look up and attach relations in either spelling;
    each edit rewrites one function: the reuse engine must give what a
    from-scratch analysis gives."""
    current = list(functions)
    analyser = IncrementalAnalyser()
    for step, (which, replacement) in enumerate([(None, None), *edits]):
        if which is not None:
            current[which % len(current)] = replacement
        text = "from lime_task import task\n" + "".join(_function(n, lines) for n, lines in enumerate(current))
        incremental = analyser.analyse("u", text, SETTINGS, version=step)
        assert signature(incremental) == signature(analyse("u", text, SETTINGS, version=step)), step


def test_a_reused_finding_never_names_a_line_that_moved():
    """LIME203's pre-fetch fix names where the module shows what a relation
    points to ("as used at line 16").  A line added above that function moves
    the line: the reuse engine must not keep the old text (its check: a reused
    component whose texts hold a number that is a moved line is analysed
    again), while an edit that moves no line keeps reusing it."""
    other = "\n\ndef unrelated(app):\n    return 1\n"
    text = ("from lime_task import task\n" + other + "\n\n" + FETCHER.format(accessor="deal.properties.customer")
            + "\n\n" + PROVIDER.format(limetype="company", accessor="deal.properties.customer"))
    analyser = IncrementalAnalyser()
    first = analyser.analyse("u", text, SETTINGS)
    line = text[:text.index("app.limetypes.company.get")].count("\n") + 1
    assert any(f"as used at line {line}" in (v.fix.title if v.fix else "") for v in first.violations)

    same_lines = text.replace("return 1\n", "return 2\n")
    reused = analyser.stats.reused_components
    result = analyser.analyse("u", same_lines, SETTINGS)
    assert analyser.stats.reused_components - reused == 1  # no line moved: kept
    assert signature(result) == signature(analyse("u", same_lines, SETTINGS))

    added_line = same_lines.replace("    return 2\n", "    x = 2\n    return x\n")
    result = analyser.analyse("u", added_line, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert any(f"as used at line {line + 1}" in (v.fix.title if v.fix else "") for v in result.violations)
    assert signature(result) == signature(analyse("u", added_line, SETTINGS))
