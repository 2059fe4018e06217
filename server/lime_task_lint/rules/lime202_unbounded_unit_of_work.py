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
Unsafe: the work is no longer one transaction. When a batch fails, the
batches before it stay committed (before the fix, nothing was saved).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..model import Loop
from ..roundtrips import batching_fix, loop_size


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
                fix = batching_fix(ctx, outer, "after-loop")
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
