"""LIME103 lime-objects-kept: whole Lime objects collected while looping over a read.

## What it does
Flags `kept.append(obj)`, `kept.add(obj)` and `kept[key] = obj` inside a `for`
loop over an unbounded Lime read, where `obj` is the loop's Lime object and
`kept` is a list, set or dict that lives outside the loop. The object counts
as kept when it is wrapped too: `kept.append((obj.id, obj))`,
`kept[key] = {"object": obj, "name": name}` keep every object just the same.
The read may be `get_all(...)` without `limit=`, a has-many relation
`.fetch()` (or a name bound to one), or a helper's collection. The message (and
the hover on `kept`) gives the estimated size at the configured object count.

## Why is this bad?
The read hands out one object at a time, but the container keeps every one
of them alive until the task ends. A Lime object takes about 1 KB or more, so
100,000 kept objects take over 100 MB of a task's 200 MB budget. Usually only
the ids or one or two property values are needed later.

## Example
```python
@task
def collect(app):
    kept = []
    for company in app.limetypes.company.get_all():
        if company.properties.country.value == "SE":
            kept.append(company)
    return f"{len(kept)} Swedish companies"
```

## Use instead
```python
@task
def collect(app):
    kept_ids = []
    for company in app.limetypes.company.get_all():
        if company.properties.country.value == "SE":
            kept_ids.append(company.id)
    return f"{len(kept_ids)} Swedish companies"
```

## Fix safety
Display-only: the suggested edit keeps `obj.id` instead of the object, but
what the later code needs from the objects (ids, a property value, the object
itself for an update) cannot be decided automatically, so it is shown and
never applied.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..collections_model import accumulator_estimate, iterable_source
from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..memory import format_bytes
from ..model import walk

CONTAINER_OF = {"append": "list", "add": "set"}


def kept_objects(ctx_model, info, settings, workspace=None, path=None) -> Iterator[tuple[ast.AST, ast.Name, str, str, object]]:
    """(statement or call, object name node, container name, container kind, source) per finding."""
    containers = _container_names(info.node)
    if not info.is_task:
        # A helper that returns the list it fills is LIME102's (make it a generator).
        containers -= {n.value.id for n in walk(info.node)
                       if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    for loop in info.loops:
        node = loop.node
        if not isinstance(node, (ast.For, ast.AsyncFor)) or not isinstance(node.target, ast.Name):
            continue
        source = None
        variable = node.target.id
        bound_inside = {n.id for stmt in node.body for n in walk(stmt)
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for stmt in node.body:
            for sub in walk(stmt):
                hit = _accumulation(sub, variable)
                if hit is None:
                    continue
                value, name, kind = hit
                if name in bound_inside or name == variable or name not in containers:
                    continue
                if source is None:
                    source = iterable_source(ctx_model, info, node.iter, settings, workspace=workspace, path=path)
                    if source is None or not source.is_lime or source.bounded:
                        break
                yield sub, value, name, kind, source
            else:
                continue
            break


def _container_names(func: ast.AST) -> set[str]:
    """Names the function binds to a list, set or dict (literal, comprehension or constructor)."""
    names: set[str] = set()
    for node in walk(func):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            if isinstance(value, (ast.List, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp)) or (
                    isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id in ("list", "set", "dict", "defaultdict", "OrderedDict")):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _accumulation(node: ast.AST, variable: str) -> tuple[ast.Name, str, str] | None:
    """(the kept object's name node, container name, container kind) when ``node``
    stores the loop's object in a container, bare or inside a tuple, list or
    dict literal (``kept.append((obj.id, obj))``, ``kept[k] = {"obj": obj}``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CONTAINER_OF \
            and isinstance(node.func.value, ast.Name) and len(node.args) == 1 and not node.keywords:
        kept = _kept_object(node.args[0], variable)
        if kept is not None:
            return kept, node.func.value.id, CONTAINER_OF[node.func.attr]
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript) \
            and isinstance(node.targets[0].value, ast.Name):
        kept = _kept_object(node.value, variable)
        if kept is not None:
            return kept, node.targets[0].value.id, "dict"
    return None


def _kept_object(value: ast.AST, variable: str, depth: int = 0) -> ast.Name | None:
    """The ``variable`` name node when ``value`` is it or a literal record holding it."""
    if isinstance(value, ast.Name):
        return value if value.id == variable else None
    if depth < 3 and isinstance(value, (ast.Tuple, ast.List, ast.Dict)):
        fields = value.values if isinstance(value, ast.Dict) else value.elts
        for field in fields:
            found = _kept_object(field, variable, depth + 1)
            if found is not None:
                return found
    return None


@register
class LimeObjectsKept(Rule):
    code = "LIME103"
    name = "lime-objects-kept"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model, settings = ctx.model, ctx.settings
        for info in model.functions.values():
            if not info.loops:
                continue
            for node, value, name, kind, source in kept_objects(model, info, settings, ctx.workspace,
                                                                ctx.document.path):
                est = accumulator_estimate(model, info, name, kind, settings, workspace=ctx.workspace,
                                           path=ctx.document.path)
                what = f"`{source.limetype}` object" if source.limetype else "Lime object"
                if est is not None:
                    each = est.element_source.split(' (')[0] if est.element.kind == "lime_object" \
                        else est.element_label
                    size = (f"up to {est.count:,} x {each} ≈ "
                            f"{format_bytes(est.estimate.total_bytes)}, {est.budget_share(settings):.0%} of the "
                            f"{settings.memory_budget_mb:g} MB budget (count from {est.count_source})")
                else:
                    size = f"up to {source.count:,} objects (count from {source.count_source})"
                fix = Fix(f"Keep `{value.id}.id` instead of the whole object",
                          (Edit(*ctx.range(value), f"{value.id}.id"),), Applicability.DISPLAY_ONLY)
                yield self.violation(
                    ctx, node,
                    f"`{name}` keeps every {what} of the loop alive: {size}; keep ids or the few values needed",
                    fix, limetype=source.limetype, count=source.count, container=name,
                    bytes=est.estimate.total_bytes if est is not None else None)
