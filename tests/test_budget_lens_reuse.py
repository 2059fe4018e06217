"""The budget lenses follow the reuse engine and still equal a from-scratch
computation.

``features.budget_lens`` caches each component's lenses under the engine's
component key and, after an edit, computes only the components without an
entry, on a document where the other units are blanked.  After any sequence
of edits (the engine's random edits, renamed helpers, added and removed tasks,
broken and repaired syntax, other object counts) the lenses (range, title,
command, arguments) must equal those of the whole model of a fresh analysis of
the same text.  The targeted tests check that the reuse really happens (one
component computed after a keystroke, no whole-file model), so the property
test cannot pass by always computing everything.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lime_task_lint.analysis import analyse
from lime_task_lint.budget import task_budgets
from lime_task_lint.edits import parses
from lime_task_lint.features import budget_lens
from lime_task_lint.features.budget_lens import SHOW_REPORT, budget_lenses
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.settings import Settings, resolve_settings
from test_incremental import random_edit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate_dense

PACKAGE = ROOT / "examples" / "limepkg_acme"
EXAMPLES = sorted(p for p in PACKAGE.rglob("*.py") if "def " in p.read_text(encoding="utf-8"))
DENSE = generate_dense(24)
CONFIGURED, _, _ = resolve_settings(PACKAGE / "tasks" / "deals.py")
#: Settings a sequence switches between: other object counts change every title.
VARIANTS = [
    CONFIGURED,
    replace(CONFIGURED, object_counts={**CONFIGURED.object_counts, "company": 12, "deal": 7, "person": 3_000_000}),
    Settings(),
    Settings(default_object_count=40, read_latency_ms=1.5),
]
_uris = itertools.count()


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def scratch(uri: str, text: str, chosen: Settings, path: str | None) -> list[tuple]:
    """The lenses of the whole model of a fresh analysis, in source order."""
    analysis = analyse(uri, text, chosen, path=path)
    budgets = task_budgets(analysis.model, chosen, document=analysis.document, workspace=None, path=path)
    return sorted((b.start, b.end, b.lens_title(), SHOW_REPORT, [uri]) for b in budgets)


def shown(lenses) -> list[tuple]:
    return [(lens.start, lens.end, lens.title, lens.command, lens.arguments) for lens in lenses]


def _helpers(text: str) -> list[str]:
    """Functions defined at column 0 that are not tasks."""
    return [m.group(2) for m in re.finditer(r"^(@task\n)?def (\w+)\(", text, re.MULTILINE) if not m.group(1)]


def lens_edit(rng: random.Random, text: str) -> str:
    """One edit of the kinds that move lenses between components or change them."""
    kind = rng.choice(["engine", "engine", "engine", "rename_helper", "add_task", "remove_task", "break_def",
                       "comment"])
    if kind == "rename_helper" and _helpers(text):
        name = rng.choice(_helpers(text))
        spots = list(re.finditer(rf"\b{name}\b", text))
        spot = rng.choice(spots)
        new = name[:-3] if name.endswith("_v2") else name + "_v2"
        return text[:spot.start()] + new + text[spot.end():]
    if kind == "add_task":
        helpers = _helpers(text)
        call = f"{rng.choice(helpers)}(app, company)" if helpers and rng.random() < 0.6 else \
            rng.choice(["company.properties.name.value = 'x'", "app.limetypes.deal.get(company.id)",
                        "names.append(company.properties.name.value)"])
        block = (f"@task\ndef added_{rng.randrange(1000)}(app):\n    names = []\n"
                 f"    for company in app.limetypes.company.get_all():\n        {call}\n    return len(names)\n\n\n")
        spots = [m.start() for m in re.finditer(r"^(@|def |class )", text, re.MULTILINE)] + [len(text)]
        at = rng.choice(spots)
        return text[:at] + ("\n\n" if at == len(text) else "") + block + text[at:]
    if kind == "remove_task":
        tasks = list(re.finditer(r"^@task\n", text, re.MULTILINE))
        if tasks:
            start = rng.choice(tasks).start()
            following = re.compile(r"\n(?=[^\s#])").search(text, text.index("\n", start + 6) + 1)
            return text[:start] + (text[following.end():] if following else "")
    if kind == "break_def":  # a def line without its colon, or with it again
        defs = list(re.finditer(r"^def \w+\(.*\)( -> [^:\n]+)?:?$", text, re.MULTILINE))
        if defs:
            line = rng.choice(defs)
            body = line.group(0)
            return text[:line.start()] + (body[:-1] if body.endswith(":") else body + ":") + text[line.end():]
    if kind == "comment":  # between top-level statements: every unit keeps its text
        spots = [m.start() for m in re.finditer(r"^(@|def |class )", text, re.MULTILINE)]
        if spots:
            at = rng.choice(spots)
            return text[:at] + "# moved on\n" + text[at:]
    return random_edit(rng, text)


def check_sequence(rng: random.Random, text: str, path: str | None, steps: int) -> None:
    analyser = IncrementalAnalyser()
    uri = f"file:///lens/{next(_uris)}.py"
    chosen = rng.choice(VARIANTS)
    parsing = text
    for step in range(steps):
        analysis = analyser.analyse(uri, text, chosen, path=path, version=step)
        got = shown(budget_lenses(analysis))
        assert got == scratch(uri, text, chosen, path), (
            f"step {step} ({analyser.stats.last_mode}: {analyser.stats.last_reason})\n{text}")
        if parses(text):
            parsing = text
        elif rng.random() < 0.5:
            text = parsing  # undone, as a user repairs what they broke
            continue
        if rng.random() < 0.15:
            chosen = rng.choice(VARIANTS)
        else:
            text = lens_edit(rng, text)


@settings(derandomize=True, max_examples=3, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_lenses_after_random_edits_equal_from_scratch(path: Path, rng: random.Random):
    check_sequence(rng, path.read_text(encoding="utf-8"), str(path), 10)


@settings(derandomize=True, max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_lenses_of_a_dense_file_after_random_edits_equal_from_scratch(rng: random.Random):
    check_sequence(rng, DENSE, None, 10)


def _dense_pair(tasks: int = 40) -> tuple[IncrementalAnalyser, str, str]:
    analyser = IncrementalAnalyser()
    uri = f"file:///lens/{next(_uris)}.py"
    text = generate_dense(tasks)
    budget_lenses(analyser.analyse(uri, text, CONFIGURED, version=0))
    return analyser, uri, text


def test_a_keystroke_in_one_task_computes_that_task_only():
    analyser, uri, text = _dense_pair()
    at = text.index("name {company.id}", text.index("def job_20(")) + len("name")
    edited = text[:at] + "x" + text[at:]
    analysis = analyser.analyse(uri, edited, CONFIGURED, version=1)
    before = budget_lens.computed_components
    lenses = shown(budget_lenses(analysis))
    assert budget_lens.computed_components - before == 1
    assert "model" not in vars(analysis.result.context)  # the whole file's model was not built
    assert lenses == scratch(uri, edited, CONFIGURED, None)
    assert len(lenses) == 40


def test_an_edit_outside_every_task_moves_every_lens_and_computes_none():
    analyser, uri, text = _dense_pair()
    first = shown(budget_lenses(analyser.analyse(uri, text, CONFIGURED, version=1)))
    at = text.index("@task")
    edited = text[:at] + "# a note above the tasks\n" + text[at:]
    analysis = analyser.analyse(uri, edited, CONFIGURED, version=2)
    before = budget_lens.computed
    lenses = shown(budget_lenses(analysis))
    assert budget_lens.computed == before
    assert "model" not in vars(analysis.result.context)
    shift = len("# a note above the tasks\n")
    assert lenses == [(start + shift, end + shift, *rest) for start, end, *rest in first]
    assert lenses == scratch(uri, edited, CONFIGURED, None)


def test_other_object_counts_recompute_every_lens():
    analyser, uri, text = _dense_pair(10)
    fewer = replace(CONFIGURED, default_object_count=30)
    first = shown(budget_lenses(analyser.analyse(uri, text, CONFIGURED, version=1)))
    before = budget_lens.computed_components
    lenses = shown(budget_lenses(analyser.analyse(uri, text, fewer, version=2)))
    assert budget_lens.computed_components - before == 10
    assert [lens[2] for lens in lenses] != [lens[2] for lens in first]
    assert lenses == scratch(uri, text, fewer, None)


def test_renaming_a_helper_recomputes_the_task_that_called_it():
    path = PACKAGE / "tasks" / "reports.py"
    text = path.read_text(encoding="utf-8")
    analyser = IncrementalAnalyser()
    uri = f"file:///lens/{next(_uris)}.py"
    first = shown(budget_lenses(analyser.analyse(uri, text, CONFIGURED, path=str(path), version=0)))
    renamed = text.replace("def active_person_names(", "def active_person_names_v2(", 1)
    before = budget_lens.computed_components
    lenses = shown(budget_lenses(analyser.analyse(uri, renamed, CONFIGURED, path=str(path), version=1)))
    assert lenses == scratch(uri, renamed, CONFIGURED, str(path))
    changed = [new for old, new in zip(first, lenses) if old[2] != new[2]]
    assert changed, "person_report no longer folds the helper's read in"
    # The helper and its caller were one component, now two; the other tasks are reused.
    assert budget_lens.computed_components - before == 2


def test_a_broken_task_keeps_the_other_lenses_and_matches():
    analyser, uri, text = _dense_pair(12)
    broken = text.replace("def job_5(app, rows):", "def job_5(app, rows", 1)
    for version, current in enumerate([broken, broken.replace("rows\n", "rows)\n", 1), text], start=1):
        analysis = analyser.analyse(uri, current, CONFIGURED, version=version)
        assert shown(budget_lenses(analysis)) == scratch(uri, current, CONFIGURED, None)
