"""LIME201 commit-in-loop: one transaction per item.

## What it does
Flags `uow.commit()` that runs once per item of a loop, directly or through a
helper function that commits (a helper in the same module, or in another
module reached through any import form; see LIME203 for what counts as a
helper and as the application). Loops the code bounds to a few passes (a
literal, a module constant, `range(3)`, configuration; see LIME203) are not
flagged: a commit per configured kind is not a commit per data item.

## Why is this bad?
Every commit is a database transaction and at least one round trip, often
more: custom limeobject hooks run per save. At 100,000 rows a task that
commits per row makes 100,000 transactions; the Lime task guide recommends
about 50 objects per committed transaction.

## Example
```python
@task
def import_rows(app, rows):
    for row in rows:
        uow = app.unit_of_work()
        uow.add(app.limetypes.contract(erp_id=row["id"]))
        uow.commit()
```

## Use instead
```python
import itertools

@task
def import_rows(app, rows):
    for batch in itertools.batched(rows, 50):
        uow = app.unit_of_work()
        for row in batch:
            uow.add(app.limetypes.contract(erp_id=row["id"]))
        uow.commit()
```
(`itertools.batched` needs Python 3.12; for older targets the fix writes a
`while batch := list(itertools.islice(items, 50)):` loop.)

## Fix safety
Unsafe. When the fix is offered, what the task does changes only in these ways:

- How commits are grouped: one commit per batch (`batch-size`, default 50)
  instead of one per item, so the objects of a batch are saved together at
  its end.
- A failing commit loses its whole batch instead of one item. An exception
  anywhere in the loop body that is not caught inside the loop (a failing
  commit, bad data, a helper raising) ends the task with the current batch
  uncommitted: up to `batch-size - 1` items that were saved before the fix
  are not. A commit fails at the end of its batch, after the items that
  follow the failing one in that batch ran: when one of them raises too,
  that other exception may be the one that ends the task.
- With a per-item `try`/`except` around the commit, the item's own code
  stays per item (a bad row is still skipped on its own); the batch commit
  gets a copy of the same `except` clauses. When a batch commit fails, that
  clause runs once for the batch (with the loop variables of its last item),
  and counters the item counted after its commit (`created += 1` after the
  commit or in the `try`'s `else:`) are set back to their value before the
  batch, so they still count saved items. A unit of work made (and filled)
  before that `try`, in the item, is made once per batch before the item
  loop; a `try` left guarding nothing but the commit moves with it.
- A unit of work made once before the loop and committed per item in a
  `try` (unsafe, the title says so): after a failed commit it may keep the
  failed item's objects (Lime's documentation does not say), so each later
  item's commit retried them and may have failed too; with one unit of work
  per batch a failed batch is dropped and later batches are saved.
- Reads inside the loop see the objects of earlier batches, not those of
  earlier items of the same batch (they are not committed yet). When the
  loop iterates a Lime read, which may fetch its pages lazily, its later
  pages are fetched between other commits: objects the commits change (in
  its filter or order) can be skipped or seen twice differently than before;
  code after the commit runs before its item is committed; writes, I/O and
  calls whose effects are unknown are interleaved differently with the
  commits. The fix title names each such hazard it finds in the loop.

A commit under an `if` whose test is the same for every item (`if not
dry_run:` on a parameter the loop does not change) stays under that `if`: the
batch commit gets it, so a dry run still commits nothing.

The fix is not offered (the message says why) when: the commit does not run
for every item that added an object (it is under an `if`/`else` whose test
can change from item to item, an `and`/`or`, an `except`/`else`/`finally`,
or a `continue`/`raise` can skip it after an add); the commit is inside a
`with` (one that may suppress its exception, such as `contextlib.suppress`,
or any other: the batch commit would run outside it); an add runs after the
commit; the loop body reads a limetype the loop writes (an existence check
before creating, a `get()` of objects it updates: per item the read saw
earlier items' commits, per batch it would not; pre-fetching the read first,
LIME203's fix, lifts this); an added object is changed after its item's
commit, or in a later item that does not add it again before its commit (the
batch commit would save another state); code after the commit uses the saved
objects (ids and saved values exist only after the batch commit); in a
per-item `try`, something between the first add and the commit may raise
(the failing item's object would be saved with its batch: anything but `pass`,
a plain name bound to a constant or name, or another add of a new Lime object
counts, a comparison or an unpacking included); the unit of work is created
only under an `if` or inside a `with` (items that skip the creation used the
previous item's); the `try` has a
`finally:` or other code after the commit; the loop can leave early (`break`, `return`); the commit's
result is used; `itertools` names something else in the module (a variable
or a parameter: the batch loop calls `itertools.islice`); or the commit is in
a helper the next paragraph does not cover.

A helper that commits once per call (`save(app, row)` that creates a unit of
work, adds to it and ends with its one commit; in this module or another
module of the workspace) gets the caller's unit of work as a keyword argument
with a default (`save(app, row, unit_of_work=None)`: other callers keep
committing their own), and the caller commits it once per batch
(`helper_commit.py`); a helper an earlier fix already gave the keyword (for
another caller) is not edited again, only this caller. A helper of another
module is edited in its own file
(inside the workspace, outside environment, build and hidden folders, its
current text parsing; `helper_module.py`), and those edits are applied only
while the file has the text they were computed on; the quick fix and `--fix
--unsafe-fixes` change both files, the editor's fix-all (one document) leaves
this fix out. Always unsafe: a failing commit loses the whole batch. Not
offered (the message says why) when the helper reads or calls other helpers,
does anything after its commit, uses the unit of work for more than
`add`/`commit`, shares its commit's line with other code, already mentions the
name `unit_of_work`, is bound more than once in its module (a second `def`, a
wrapper, an import's fallback), makes its unit of work from something else
than an application the call passes by name, or is installed, excluded or
git-ignored code; when the loop body holds a string of several lines (the
batch re-indents it); when the call is not a statement of its own in
the loop body; or when the loop body reads, writes, calls code that is not
visible, or may stop early.
"""

from __future__ import annotations

from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..helper_commit import helper_batching_fix, passes_unit_of_work
from ..roundtrips import (
    BatchPlan,
    FixVerdict,
    added_object_changes,
    added_objects,
    adds_after_commit,
    after_commit_effects,
    batching_fix,
    code_snippet,
    commit_conditions,
    commits_per_batch,
    function_sites,
    loop_effect_hazards,
    loop_size,
    raising_after_first_add,
    own_writes_read,
    uses_after_commit,
)


def in_loop_batching_preconditions(ctx: RuleContext, plan: BatchPlan) -> FixVerdict:
    """The preconditions of the in-loop batching fix (LIME201 and LIME204), in one
    place, against ``ctx.index`` and ``ctx.effects`` (see the Fix safety section).

    Known false -> withheld, with the reason:

    1. the commit runs for every item that added an object (no condition
       between the loop and the commit, no ``continue``/``raise`` after an add),
       or under an ``if`` with the same outcome for every item, which the batch
       commit keeps (``guard_is_loop_invariant``);
    2. every add runs before the item's commit;
    3. no added object is changed after its item's commit, or in a later item,
       unless that item adds it again after the change (before its commit);
    4. nothing after the commit uses an added object, and the loop body reads
       no limetype the loop writes (creates or adds);
    5. in a per-item ``try``, nothing may raise between the first add and the commit
       (``raising_after_first_add``: only what is proven not to raise passes).

    Unknown -> hazards named in the title: the loop's iterable is a Lime read
    (it may fetch pages lazily, now between other commits), reads, writes, I/O
    and unknown calls in the loop, and effects of code after the commit.
    """
    conditions = commit_conditions(ctx, plan)
    if conditions:
        return FixVerdict(f"{conditions[0]}; one commit per batch cannot keep that per item")
    late = adds_after_commit(plan)
    if late:
        return FixVerdict(f"{code_snippet(ctx, late[0].node)} runs after the commit, "
                          "which the batch commit would save")
    objects = added_objects(ctx, plan)
    commit_end = (plan.commit_stmt.end_lineno or plan.commit_stmt.lineno, plan.commit_stmt.end_col_offset or 0)
    for change in added_object_changes(ctx, plan, objects):
        if change.readded:
            continue
        if not change.fresh or (change.node.lineno, change.node.col_offset) > commit_end:  # type: ignore[attr-defined]
            return FixVerdict(f"{change.describe(ctx)}, an object added to the unit of work, after its item's "
                              "commit or in a later item; the batch commit would save another state")
    own = own_writes_read(ctx, plan)
    if own is not None:
        return own
    uses = uses_after_commit(ctx, plan, objects)
    if uses:
        return FixVerdict(f"{code_snippet(ctx, uses[0])} uses the saved objects after the commit (their ids and "
                          "saved values would exist only after the batch commit)")
    raising = raising_after_first_add(ctx, plan)
    if raising:
        return FixVerdict(f"{code_snippet(ctx, raising[0], 40)} may raise after the item's "
                          "object was added, and the `except` would no longer keep it from being saved")
    hazards = []
    if plan.try_stmt is not None and not plan.create_inside:
        hazards.append(f"`{plan.uow}` was shared by every item: after a failed commit it may have kept that "
                       "item's objects, so later items' commits retried them (and may have failed too); one "
                       "unit of work per batch drops a failed batch and saves the later ones")
    after = after_commit_effects(ctx, plan)
    if after.has_side_effects or after.may_read:
        hazards.append("code after the commit now runs before its item is committed")
    if ctx.effects.of_node(plan.loop.node.iter).may_read:
        hazards.append("the loop's read may fetch pages between other commits")
    hazards.extend(loop_effect_hazards(ctx, plan))
    return FixVerdict(hazards=tuple(hazards))


@register
class CommitInLoop(Rule):
    code = "LIME201"
    name = "commit-in-loop"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = ctx.model
        for info in model.functions.values():
            for site in function_sites(model, info, ctx.workspace, ctx.document.path):
                if site.loop is None or not site.commits:
                    continue
                loop = site.loop
                if loop.is_small:
                    continue  # a few passes the code states (literal, constant, configuration)
                if site.kind == "commit" and commits_per_batch(loop, site.commit.name):
                    continue  # a batch loop: each pass commits the objects of an inner loop
                outer = loop.data_loop()  # a small stated loop inside a data loop: its passes per data item
                size = loop_size(outer, ctx.settings)
                commits = size.count * loop.passes_within(outer)
                per = f"{commits:,} commits at {size.count:,} {_plural(size.noun)} ({size.source})"
                if site.kind == "commit":
                    fix = batching_fix(ctx, loop, "in-loop", in_loop_batching_preconditions)
                    message = f"`{ctx.text(site.node)}` runs once per item of the loop: {per}"
                else:
                    if passes_unit_of_work(ctx, info, site):
                        continue  # the helper commits the caller's unit of work, once per batch
                    fix = helper_batching_fix(ctx, info, site)  # helper_commit.py: its preconditions
                    message = f"`{site.helper}()` commits once per item of the loop: {per}"
                if isinstance(fix, str):
                    yield self.violation(ctx, site.node, f"{message}; no automatic fix: {fix}",
                                         helper=site.helper, items=size.count)
                else:
                    yield self.violation(ctx, site.node, f"{message}; commit in batches of {ctx.settings.batch_size}",
                                         fix, items=size.count)


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else f"{noun}s"
