"""LIME101 materialized-query: a whole Lime read turned into a list.

## What it does
Flags `list(<read>)` and `[... for x in <read>]` where `<read>` is an unbounded
Lime read (`get_all(...)` without `limit=`, a relation `.fetch()`,
`lime_query.execute_query(...)`), a name bound to one, a task parameter, or a
generator that pages through an external API. The message gives the estimated
size at the configured object count and its share of the task's memory budget.
`sorted(...)` is not flagged (sorting needs every item), nor is
`len(list(<read>))` (that is LIME104).

## Why is this bad?
Lime's guide asks a task to stay under about 200 MB. A list holds every item at
once: 100,000 Lime objects in a list can take over 100 MB. Iterating the read
(or a generator expression over it) holds one object at a time.

## Example
```python
@task
def flag_inactive(app, threshold):
    persons = list(app.limetypes.person.get_all())
    flagged = 0
    for person in persons:
        if person.properties.days_inactive.value > threshold:
            flagged += 1
    return f"{flagged} flagged"
```

## Use instead
```python
@task
def flag_inactive(app, threshold):
    persons = app.limetypes.person.get_all()
    flagged = 0
    for person in persons:
        if person.properties.days_inactive.value > threshold:
            flagged += 1
    return f"{flagged} flagged"
```

## Fix safety
The lazy fix (`list(<read>)` -> `<read>`, `[...]` -> `(...)`) is offered only
when the list is consumed exactly once, by iteration, within the function: a
`for`, a comprehension, `sum/any/all/min/max`, `set()/dict()/sorted()`,
`sep.join(...)`. It is safe then, except that it is unsafe (and its title says
why) when laziness would move an error raised while reading out of the `try`
that guarded the list, or read the items after a `uow.commit()` that used to
run after them (including commits in the consuming loop). When the list is
also measured with `len()` and is a `get_all(...)` read, the specific fix uses
the read itself and `.count` instead of `len()` (one extra count query). Any
other use (indexing, slicing, truthiness, `in`, a second pass, storing it on
an attribute, returning it, passing it on) means no fix; the message says why.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..collections_model import collection_estimate, iterable_source
from ..consumption import expression_use, laziness_hazard, name_consumption, parent_map
from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..memory import format_bytes
from ..model import FunctionInfo, child_nodes


def _own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def materialisations(info: FunctionInfo) -> Iterator[ast.expr]:
    """``list(x)`` calls and list comprehensions of the function's own body."""
    for node in _own_nodes(info.node):
        if isinstance(node, ast.ListComp):
            yield node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "list" \
                and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
            yield node


@register
class MaterializedQuery(Rule):
    code = "LIME101"
    name = "materialized-query"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = ctx.model
        path = ctx.document.path
        for info in model.functions.values():
            parents = None
            for node in materialisations(info):
                source_node = node.args[0] if isinstance(node, ast.Call) else node.generators[0].iter  # type: ignore[attr-defined]
                source = iterable_source(model, info, source_node, ctx.settings, workspace=ctx.workspace, path=path)
                if source is None or source.bounded:
                    continue
                if parents is None:
                    parents = parent_map(info.node)
                parent = parents.get(id(node))
                if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "len":
                    continue  # len(list(read)) is LIME104's
                est = collection_estimate(model, info, node, ctx.settings, workspace=ctx.workspace, path=path)
                yield self._finding(ctx, info, node, source, est, parents)

    def _finding(self, ctx, info, node, source, est, parents) -> Violation:
        settings = ctx.settings
        shape = "`list(...)`" if isinstance(node, ast.Call) else "`[... for ...]`"
        what = source.describe()
        if est is not None:
            size = (f"{est.count:,} x {est.element_label} ≈ {format_bytes(est.estimate.total_bytes)}, "
                    f"{est.budget_share(settings):.0%} of the {settings.memory_budget_mb:g} MB budget "
                    f"(count from {est.count_source})")
        else:
            size = f"{source.count:,} items (count from {source.count_source})"
        fix, why_not = self._fix(ctx, info, node, parents)
        message = f"{shape} holds every one of the {what} in memory at once: {size}; iterate lazily"
        if fix is None and why_not:
            message += f" (no lazy fix: {why_not})"
        data = {"limetype": source.limetype, "count": source.count}
        if est is not None:
            data["bytes"] = est.estimate.total_bytes
        return self.violation(ctx, node, message, fix, **data)

    # -- fix -------------------------------------------------------------------------
    def _fix(self, ctx, info: FunctionInfo, node: ast.expr, parents) -> tuple[Fix | None, str]:
        use = expression_use(node, parents)
        len_edits: list[Edit] = []
        if use.kind == "assigned":
            statement = use.node
            if not isinstance(statement, ast.Assign):
                return None, "the list is bound with an annotation or `:=`"
            name = statement.targets[0].id  # type: ignore[attr-defined]
            if isinstance(node, ast.Call) and isinstance(node.args[0], ast.Name) and node.args[0].id == name:
                return None, f"`{name}` is rebound to its own list"
            allow_len = self._countable(ctx, info, node)
            consumption = name_consumption(name, statement, info.node, parents, allow_len=allow_len)
            if not consumption.once:
                return None, f"`{name}` is not consumed exactly once by iteration: {consumption.reason}"
            consumer = consumption.consumer
            for call in consumption.len_calls:
                len_edits.append(Edit(*ctx.range(call), f"{name}.count"))
        elif use.kind == "iteration":
            consumer = use.node
        else:
            return None, use.reason
        edits = self._lazy_edits(ctx, node, parents) + len_edits
        hazard = laziness_hazard(node, consumer, info.node, parents)
        if len_edits:
            title = "Iterate the read lazily and count with `.count`"
        elif isinstance(node, ast.Call):
            title = "Iterate lazily: drop `list(...)`"
        else:
            title = "Iterate lazily: use a generator expression"
        if hazard:
            return Fix(f"{title}; {hazard}", tuple(edits), Applicability.UNSAFE), ""
        return Fix(title, tuple(edits), Applicability.SAFE), ""

    @staticmethod
    def _countable(ctx, info: FunctionInfo, node: ast.expr) -> bool:
        """``list(<get_all read>)``: ``len`` can become ``.count`` (same number, no limit)."""
        if not isinstance(node, ast.Call):
            return False
        arg = node.args[0]
        return any(r.node is arg and r.kind == "get_all" and not any(k.arg in ("limit", "offset") for k in arg.keywords)
                   for r in info.reads)

    @staticmethod
    def _lazy_edits(ctx, node: ast.expr, parents) -> list[Edit]:
        start, end = ctx.range(node)
        parent = parents.get(id(node))
        sole_argument = isinstance(parent, ast.Call) and parent.args == [node] and not parent.keywords
        if isinstance(node, ast.Call):
            inner = ctx.text(node.args[0])
            if isinstance(node.args[0], ast.GeneratorExp) and not inner.startswith("("):
                inner = f"({inner})"
            return [Edit(start, end, inner)]
        text = ctx.text(node)
        body = text[1:-1]
        if sole_argument:
            return [Edit(start, end, body)]
        return [Edit(start, end, f"({body})")]
