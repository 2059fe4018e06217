"""LIME204 unit-of-work-per-item: a new unit of work for every item.

## What it does
Flags `app.unit_of_work()` (or `create_unit_of_work(app)`) called inside a
loop body, unless the code bounds the loop to a few passes (see LIME203's
small loops).

## Why is this bad?
A unit of work per item nearly always means a commit per item: one
transaction and round trip per row (see LIME201). It also hides the natural
batching point: one unit of work should collect a batch of objects.

## Example
```python
for row in rows:
    uow = app.unit_of_work()
    uow.add(make_contract(app, row))
    uow.commit()
```

## Use instead
```python
for batch in itertools.batched(rows, 50):
    uow = app.unit_of_work()
    for row in batch:
        uow.add(make_contract(app, row))
    uow.commit()
```

## Fix safety
Fixed together with LIME201, with the same batching fix, the same
preconditions (`in_loop_batching_preconditions`) and the same behaviour
changes: unsafe, since commits are grouped per batch, a failing commit (or an
exception not caught in the loop) loses up to a batch instead of one item, a
per-item `except` runs once for a failing batch commit, and reads in the loop
see other objects; see LIME201 for the full list and for when the fix is not
offered. When the loop does not commit the unit of work itself, no fix is
offered.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..roundtrips import batching_fix, commits_per_batch
from .lime201_commit_in_loop import in_loop_batching_preconditions


@register
class UnitOfWorkPerItem(Rule):
    code = "LIME204"
    name = "unit-of-work-per-item"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        for call in ctx.model.uow_calls():
            if call.kind != "create" or call.loop is None or call.loop.is_comprehension or call.loop.is_small:
                continue
            if commits_per_batch(call.loop, _assigned_name(call.node, call.function.node)):
                continue  # one unit of work per batch
            message = "a new unit of work is created for every item of the loop"
            fix = batching_fix(ctx, call.loop, "in-loop", in_loop_batching_preconditions)
            if isinstance(fix, str):
                yield self.violation(ctx, call.node, f"{message}; no automatic fix: {fix}")
            else:
                yield self.violation(ctx, call.node, f"{message}; use one per batch of {ctx.settings.batch_size}",
                                     fix)


def _assigned_name(call: ast.Call, func: ast.AST) -> str | None:
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and node.value is call and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return None
