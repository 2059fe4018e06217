"""LIME201 commit-in-loop: one transaction per item.

## What it does
Flags `uow.commit()` that runs once per item of a loop, directly or through a
helper function that commits (a helper in the same module, or in another
workspace module when the editor has the workspace open).

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
Unsafe: a failing commit now loses up to a batch (`batch-size`, default 50)
instead of one item, and a per-item `try`/`except` around the commit becomes
per batch (its logging is kept; counters incremented after the commit are
restored when a batch fails, so they still count saved items). Reads inside
the loop no longer see the objects created earlier in the same batch, because
they are not committed yet. The fix is not offered when the loop can leave
early (`break`, `return`), when the commit's result is used, when code after
the commit uses the saved objects, or when the commit is in a helper; the
message says which.
"""

from __future__ import annotations

from typing import Iterator

from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..roundtrips import batching_fix, commits_per_batch, function_sites, loop_size


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
                size = loop_size(loop, ctx.settings)
                per = f"{size.count:,} commits at {size.count:,} {_plural(size.noun)} ({size.source})"
                if site.kind == "commit":
                    fix = batching_fix(ctx, loop, "in-loop")
                    message = f"`{ctx.text(site.node)}` runs once per item of the loop: {per}"
                else:
                    where = f" in {site.helper_path}" if site.helper_path else ""
                    fix = f"the commit is inside `{site.helper}`{where}; batch there or pass a unit of work"
                    message = f"`{site.helper}()` commits once per item of the loop: {per}"
                if isinstance(fix, str):
                    yield self.violation(ctx, site.node, f"{message}; no automatic fix: {fix}",
                                         helper=site.helper, items=size.count)
                else:
                    yield self.violation(ctx, site.node, f"{message}; commit in batches of {ctx.settings.batch_size}",
                                         fix, items=size.count)


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else f"{noun}s"
