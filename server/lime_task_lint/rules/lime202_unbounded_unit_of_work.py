"""LIME202 unbounded-unit-of-work: every item in one transaction.

## What it does
Flags `uow.add(...)` inside a loop over an unbounded iterable (a Lime read
without `limit=`, a task parameter, an external feed) when the unit of work
is created before the loop and committed once after it.

## Why is this bad?
The unit of work holds every added object until the commit, so memory grows
with the data (about 1 KB per Lime object: 100 MB at 100,000 objects), and the
single commit is one huge transaction that locks rows for its whole duration
and, when it fails, loses all the work.

## Example
```python
uow = app.unit_of_work()
for deal in app.limetypes.deal.get_all():
    deal.properties.dealstatus.set_by_key("lost")
    uow.add(deal)
uow.commit()
```

## Use instead
```python
for batch in itertools.batched(app.limetypes.deal.get_all(), 50):
    uow = app.unit_of_work()
    for deal in batch:
        deal.properties.dealstatus.set_by_key("lost")
        uow.add(deal)
    uow.commit()
```

## Fix safety
Unsafe. When the fix is offered, what the task does changes only in these ways:

- How commits are grouped: one commit per batch (`batch-size`, default 50)
  during the loop instead of one commit after it. The work is no longer one
  transaction: when a batch commit fails, or anything in the loop raises, the
  batches before it stay committed (before the fix, nothing was saved). A
  commit now fails during the loop, so when a later item would have raised
  another exception, the commit's exception ends the task instead.
- Reads inside the loop see the objects of earlier batches (before the fix
  they saw none of the loop's objects). When the loop iterates a Lime read,
  that read may fetch its pages while batches are committed (`get_all()` may
  be lazy): objects the commits change can be skipped or seen twice by a
  paging read. Writes, I/O and calls whose effects are unknown are
  interleaved differently with the commits. The fix title names each such
  hazard it finds.

The fix is not offered (the message says why) when code between the loop and
the commit could fail, leave (`if dry_run: return`) or have effects (it
would run after every batch is committed); when an object added to the unit
of work is changed in a later item than the one that added it and that item
does not add it again (a running total on a summary object: its batch would
be committed before the later changes, which would never be saved); when the
loop body reads a limetype the loop writes (before the fix such a read saw
none of the loop's objects, after it those of earlier batches); when the
loop can leave early (`break`, `return`); when the commit's result is used;
or when `itertools` names something else in the module (the batch loop
calls `itertools.islice`).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..model import Loop
from ..roundtrips import (
    BatchPlan,
    FixVerdict,
    added_object_changes,
    batching_fix,
    cannot_fail,
    code_snippet,
    loop_effect_hazards,
    own_writes_read,
    loop_size,
)


def after_loop_batching_preconditions(ctx: RuleContext, plan: BatchPlan) -> FixVerdict:
    """The preconditions of the after-loop batching fix (LIME202), in one place,
    against ``ctx.index`` and ``ctx.effects`` (see the Fix safety section).

    Known false -> withheld, with the reason:

    1. every statement between the loop and the commit surely runs to its end
       without effects (it will run after the batches are committed);
    2. no added object is changed except in the item that made it afresh (the
       loop's target, or an object constructed or read with ``get()`` in the
       item), or in an item that adds it again after the change;
    3. the loop body reads no limetype the loop writes (creates or adds).

    Unknown -> hazards named in the title: the loop's iterable is a Lime read
    (it may page while batches are committed), reads, writes, I/O and unknown
    calls in the loop.
    """
    for stmt in plan.between:
        if ctx.effects.may_leave(stmt):
            return FixVerdict(f"{code_snippet(ctx, stmt)} between the loop and the commit can skip the commit, "
                              "but the batches would already be committed")
        if not cannot_fail(ctx, stmt):
            return FixVerdict(f"{code_snippet(ctx, stmt)} between the loop and the commit would run after every "
                              "batch is committed")
    for change in added_object_changes(ctx, plan):
        if not change.fresh and not change.readded:
            return FixVerdict(f"{change.describe(ctx)}, an object added to the unit of work, possibly in a "
                              "later item than its add; its batch would be committed before that change")
    own = own_writes_read(ctx, plan)
    if own is not None:
        return own
    hazards = []
    if ctx.effects.of_node(plan.loop.node.iter).may_read:
        hazards.append("the loop's read may fetch pages while batches are committed")
    hazards.extend(loop_effect_hazards(ctx, plan))
    return FixVerdict(hazards=tuple(hazards))


@register
class UnboundedUnitOfWork(Rule):
    code = "LIME202"
    name = "unbounded-unit-of-work"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        for info in ctx.model.functions.values():
            created = {c.node for c in info.uow_calls if c.kind == "create" and c.loop is None}
            if not created:
                continue
            names = _created_names(info.node, created)
            seen: set[int] = set()
            for add in info.uow_calls:
                if add.kind != "add" or add.loop is None or add.name not in names:
                    continue
                outer = add.loop.chain()[-1]
                if id(outer.node) in seen or outer.is_comprehension:
                    continue
                commits = [c for c in info.uow_calls if c.kind == "commit" and c.name == add.name]
                if not commits or any(c.loop is not None for c in commits):
                    continue
                if not any(c.node.lineno > (outer.node.end_lineno or 0) for c in commits):
                    continue
                if _bounded(outer):
                    continue
                seen.add(id(outer.node))
                size = loop_size(outer, ctx.settings)
                message = (f"every item of the loop is added to one unit of work committed after it "
                           f"({size.count:,} objects in one transaction at {size.source})")
                fix = batching_fix(ctx, outer, "after-loop", after_loop_batching_preconditions)
                if isinstance(fix, str):
                    yield self.violation(ctx, add.node, f"{message}; no automatic fix: {fix}")
                else:
                    yield self.violation(ctx, add.node,
                                         f"{message}; commit in batches of {ctx.settings.batch_size}", fix)


def _created_names(func: ast.AST, created: set) -> set[str]:
    names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and node.value in created:
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _bounded(loop: Loop) -> bool:
    """A literal, a small range, a read with `limit=`, or a batch of an enclosing batch loop."""
    iterable = loop.iterable
    if iterable is None:
        return False
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return True
    if isinstance(iterable, ast.Call):
        if isinstance(iterable.func, ast.Name) and iterable.func.id == "range":
            return all(isinstance(a, ast.Constant) for a in iterable.args)
        if any(k.arg == "limit" and not (isinstance(k.value, ast.Constant) and k.value.value is None)
               for k in iterable.keywords):
            return True
    return False
