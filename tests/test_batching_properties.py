"""Property: every batching fix (LIME201/LIME202/LIME204) that is offered changes
only what its Fix safety docs list; none is labelled safe.

Hypothesis composes loop bodies from the kinds that broke the fix before:
conditions around the commit (an ``if`` on the item or on a flag of the task,
a suppressing ``with``), ``continue``
before or after the add, a per-item ``try``/``except`` with counters in its body
or ``else:``, a per-item ``try`` that skips bad rows, an existence check of
the limetype the loop creates, objects changed after their add (in the same item, after the
commit, in a later item through a dict), ids read after the commit, early
``return`` in the loop or between the loop and a LIME202 commit.  Each composed
task is fixed with ``--unsafe-fixes`` and run before and after on the fake Lime
application:

* without failures, the fixed task must return, raise, store (ids included,
  so commit order too) and log exactly what the original did: the docs allow
  only how commits are grouped to change there;
* with a failing commit and rows with bad data, the docs allow a failing commit
  (or an uncaught error) to lose its batch, the batch's ``except`` to run once
  for it, and a LIME202 task to keep the batches committed before the failure:
  the test checks that the task fails or not as before (a commit failing at the
  end of its batch may change which error ends it), that nothing is stored that the loop
  would not store, that in-loop batching loses at most ``batch-size - 1`` rows
  per failure, and that counters keep counting stored rows.

``derandomize=True`` makes every run try the same examples;
``LIME_FUZZ_EXAMPLES=400 LIME_FUZZ_RANDOM=1`` explores more (see docs/reliability.md).
"""

from __future__ import annotations

import os
import random
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication  # noqa: E402
from test_batching_fixes_run import SCHEMA, run  # noqa: E402

from lime_task_lint.checker import check  # noqa: E402
from lime_task_lint.document import SourceDocument  # noqa: E402
from lime_task_lint.edits import Applicability  # noqa: E402
from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

BATCH = 10
SETTINGS = Settings(batch_size=BATCH, target_version=(3, 10))
CODES = {"LIME201", "LIME202", "LIME204"}
EXAMPLES = int(os.environ.get("LIME_FUZZ_EXAMPLES", "40"))
FIXED_SEED = os.environ.get("LIME_FUZZ_RANDOM") != "1"

RESULT = 'return {"created": created, "failed": failed, "ids": ids}'
#: An existence check of the limetype the loop creates (a batch would not see its own rows).
EXISTS = 'if app.limetypes.contract.get_all(filter=Filter(EqualsOperator("erp_id", row["id"]))).count:'
OBJECT = 'contract = app.limetypes.contract(erp_id=row["id"], amount=int(row["amount"]))'


@st.composite
def in_loop_task(draw) -> str:
    """A task that commits per item (LIME201/LIME204), composed from the kinds."""
    uow_inside = draw(st.booleans())
    wrapper = draw(st.sampled_from(["plain", "try", "try-else", "plain", "if-dry-run", "if-row", "suppress"]))
    item = ["uow = app.unit_of_work()"] if uow_inside else []
    item.append(OBJECT)
    if draw(st.booleans()):
        item.append('contract.properties.note.value = "seen " + row["id"]')
    keep = draw(st.booleans())
    if keep:
        item.append('kept[row["key"]] = contract')
    item.append("uow.add(contract)")
    if draw(st.integers(0, 4)) == 0:
        item += ['if row["hold"]:', "    continue"]
    commit = {"plain": ["uow.commit()"], "try": ["uow.commit()"], "try-else": ["uow.commit()"],
              "if-dry-run": ["if not dry_run:", "    uow.commit()"],
              "if-row": ['if not row["hold"]:', "    uow.commit()"],
              "suppress": ["with contextlib.suppress(Exception):", "    uow.commit()"]}[wrapper]
    after = []
    if wrapper != "try-else":
        after.append("created += 1")
    extra = draw(st.sampled_from(["", "", "ids", "change", "kept-change"]))
    if extra == "ids":
        after.append("ids.append(contract.id)")
    elif extra == "change":
        after.append('contract.properties.note.value = "after " + row["id"]')
    elif extra == "kept-change" and keep:
        after.append('kept[row["key"]].properties.note.value = "last " + row["id"]')
    body: list[str] = []
    if draw(st.booleans()):
        body += ['if row["skip"]:', "    continue"]
    if draw(st.integers(0, 9)) == 0:
        body += ['if row["stop"]:', f"    {RESULT}"]
    if draw(st.integers(0, 5)) == 0:
        body += [EXISTS, "    continue"]
    if wrapper.startswith("try"):
        body.append("try:")
        body += ["    " + line for line in item + commit + after]
        body += ["except (ValueError, KeyError) as exc:" if draw(st.booleans()) else "except Exception as exc:",
                 '    logger.warning("row %s failed: %s", row["id"], exc)', "    failed += 1"]
        if wrapper == "try-else":
            body += ["else:", "    created += 1"]
    else:
        body += item + commit + after
    head = [] if uow_inside else ["uow = app.unit_of_work()"]
    return _module(head + ["for row in rows:"] + ["    " + line for line in body] + [RESULT])


@st.composite
def after_loop_task(draw) -> str:
    """A task that adds every item to one unit of work committed after the loop (LIME202)."""
    body: list[str] = []
    if draw(st.booleans()):
        body += ['if row["skip"]:', "    continue"]
    if draw(st.integers(0, 9)) == 0:
        body += ['if row["stop"]:', f"    {RESULT}"]
    if draw(st.integers(0, 5)) == 0:
        body += [EXISTS, "    continue"]
    item = [OBJECT]
    if draw(st.booleans()):
        item.append('contract.properties.note.value = "seen " + row["id"]')
    keep = draw(st.booleans())
    if keep:
        item.append('kept[row["key"]] = contract')
    item.append("uow.add(contract)")
    if draw(st.booleans()):  # a per-item try that skips bad rows
        body += ["try:"] + ["    " + line for line in item]
        body += ["except ValueError:", "    failed += 1", "    continue"]
    else:
        body += item
    if draw(st.booleans()):
        body.append('contract.properties.note.value = "added " + row["id"]')
    if keep and draw(st.booleans()):
        body += ['if row["key"] in kept:', '    kept[row["key"]].properties.note.value = "last " + row["id"]']
    body.append("created += 1")
    between = draw(st.sampled_from([[], ['label = "done"'], ["if dry_run:", f"    {RESULT}"],
                                    ['logger.info("adding %d", created)']]))
    lines = ["uow = app.unit_of_work()", "for row in rows:"] + ["    " + line for line in body]
    return _module(lines + between + ["uow.commit()", RESULT])


def _module(function_body: list[str]) -> str:
    head = '''\
        import contextlib
        import logging

        from lime_filter import EqualsOperator, Filter
        from lime_task import task

        logger = logging.getLogger(__name__)


        @task
        def task_under_test(app, rows, dry_run=False):
            created = failed = 0
            ids = []
            kept = {}
    '''
    return textwrap.dedent(head) + "".join(f"    {line}\n" for line in function_body)


def make_rows(seed: int, count: int, bad: bool) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        amount = "n/a" if bad and rng.random() < 0.04 else str(rng.randrange(100))
        key = f"R{rng.randrange(i):04d}" if i and rng.random() < 0.1 else f"R{i:04d}"  # some ids repeat
        rows.append({"id": key, "amount": amount, "skip": rng.random() < 0.2,
                     "hold": rng.random() < 0.15, "stop": i == count - 3 and rng.random() < 0.5,
                     "key": rng.randrange(4)})
    return rows


def stored_ids(outcome) -> set[str]:
    return {c["erp_id"] for c in outcome.data["contract"]}


def _check(source: str, seed: int, count: int) -> None:
    violations = check(SourceDocument(source), SETTINGS, codes=CODES).violations
    fixes = [v.fix for v in violations if v.fix is not None]
    assert all(f.applicability is Applicability.UNSAFE for f in fixes), [f.title for f in fixes]
    after = fix_text(source, SETTINGS, unsafe=True, codes=CODES).text
    if after == source:
        return  # not offered: always allowed (the finding says why)
    compile(after, "fixed.py", "exec")
    in_loop = "LIME202" not in {v.code for v in violations if v.fix is not None}
    # Without failures: only the grouping of commits may change.
    clean = make_rows(seed, count, bad=False)
    for dry_run in (False, True):
        before = run(source, FakeLimeApplication(SCHEMA), clean, dry_run=dry_run)
        result = run(after, FakeLimeApplication(SCHEMA), clean, dry_run=dry_run)
        assert (result.result, result.error) == (before.result, before.error), (source, after)
        assert result.data == before.data, (source, after)
        assert result.logs == before.logs, (source, after)
        if in_loop:
            assert result.commits <= before.commits
    # With a failing commit and bad rows: what the docs list, nothing else.
    rows = make_rows(seed, count, bad=True)
    failing = rows[count // 2]["id"]
    outcomes = []
    for text in (source, after):
        app = FakeLimeApplication(SCHEMA)
        app.fail_commit_when(lambda obj: obj.properties.erp_id.value == failing)
        outcomes.append(run(text, app, rows))
    before, result = outcomes
    # Documented: a commit now fails at the end of its batch, so when a row with
    # bad data follows the failing row, either error may be the one that ends the task.
    assert (result.error is None) == (before.error is None), (source, after)
    assert result.error in (before.error, "InjectedCommitError", "ValueError"), (source, after)
    loop_rows = {r["id"] for r in rows}
    assert failing not in stored_ids(result) and stored_ids(result) <= loop_rows
    if in_loop:
        failures = sum(1 for r in rows if r["id"] == failing or r["amount"] == "n/a")
        lost = stored_ids(before) - stored_ids(result)
        extra = stored_ids(result) - stored_ids(before)
        if any("was shared by every item" in f.title for f in fixes):
            # The named hazard: the shared unit of work kept the failed object, so every
            # later commit of the original failed too; the batches after it are saved now.
            order = [r["id"] for r in rows]
            assert all(order.index(x) > order.index(failing) for x in extra), (source, after)
        else:
            assert not extra, (source, after)
        assert len(lost) <= failures * (BATCH - 1), (source, after)
        if isinstance(before.result, dict) and before.result["created"] == len(stored_ids(before)):
            assert result.result["created"] == len(stored_ids(result)), (source, after)


@settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None)
@given(in_loop_task(), st.integers(0, 10_000), st.integers(25, 120))
def test_in_loop_batching_changes_only_what_its_docs_list(source, seed, count):
    _check(source, seed, count)


@settings(derandomize=FIXED_SEED, max_examples=EXAMPLES, deadline=None, database=None)
@given(after_loop_task(), st.integers(0, 10_000), st.integers(25, 120))
def test_after_loop_batching_changes_only_what_its_docs_list(source, seed, count):
    _check(source, seed, count)


def test_the_generator_reaches_offered_and_withheld_fixes():
    """The composed shapes are not all withheld (the property would prove nothing)."""
    offered = withheld = 0
    for source in (_module(["for row in rows:", "    uow = app.unit_of_work()", f"    {OBJECT}",
                            "    uow.add(contract)", "    uow.commit()", "    created += 1", RESULT]),
                   _module(["for row in rows:", "    uow = app.unit_of_work()", f"    {OBJECT}",
                            "    uow.add(contract)", '    if not row["hold"]:', "        uow.commit()", RESULT])):
        if fix_text(source, SETTINGS, unsafe=True, codes=CODES).text == source:
            withheld += 1
        else:
            offered += 1
            _check(source, 7, 60)
    assert offered == withheld == 1
