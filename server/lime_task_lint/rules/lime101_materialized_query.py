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
`sep.join(...)`. Its preconditions are checked against the module's effects
model (what every call does, through helpers; a call whose code is not
visible may do anything):

- not offered when making the items has effects (a call that writes, logs,
  sends or changes state in the comprehension's element or filters) and the
  consumer may stop early (`any`/`all`/`next`/`zip`, a loop with
  `break`/`return`/`raise`), or may not run at all (it stands under an `if`,
  in a loop or handler, or code before it may `return`/`raise`/`break`):
  those effects would not all run; unsafe when code between the list and the
  consumer calls something that may fail first;
- not offered when the consumer, or code between the list and the consumer,
  changes the source the list copied (`for r in list(rows): rows.remove(r)`),
  or a name the element or filters read (`city = "Malmö"` after
  `[c for c in read if c.city == city]`, `self.floor = 5`, a dict the loop
  fills, `seen.extend(new)` where `new`'s filter reads `seen`): a generator
  expression reads them when each item is taken;
- not offered when making the items changes a name that code between the
  list and the consumer, or the consuming loop, reads (a filter that counts in
  a dict the loop reads): it would change item by item; unsafe when making
  them changes a module-level name and that code calls a function (which may
  read it);
- unsafe (the title names the hazard) when an error raised while reading would
  leave the `try` that guarded the list, or be raised inside a `with` or `try`
  the list was not in (`contextlib.suppress`, an `__exit__` that logs or
  rolls back, a `finally`); when code between the list and its
  consumer, or the consuming loop's body, writes to Lime or may (a `commit`, a
  helper that commits, a call whose code is not visible, a `yield` or `await`
  that lets code outside the function run between the items): the items would be
  read after or between those writes and see them, and an error while reading
  would surface after earlier items were committed; when the items' effects
  would interleave with what the consumer does per item (a loop's body, a
  consuming comprehension's element, a function passed to `map()` or as
  `key=`);
- when the list is also measured with `len()` and is a `get_all(...)` read,
  the specific fix uses the read itself and `.count` instead of `len()`: one
  extra count query where `len()` was. It is unsafe when anything that writes
  or may write runs between the read and the `len()` (the count may differ).

Any other use (indexing, slicing, truthiness, `in`, a second pass, use in a
nested function, storing it on an attribute, returning it, passing it on)
means no fix; the message says why. Behaviour changes an unsafe fix can cause:
the items are read later (after the writes named in the title, seeing them),
an error while reading is raised at the consumer instead of at the list, and
the effects of making items run interleaved with the consumer's per-item code.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..collections_model import collection_estimate, iterable_source
from ..consumption import expression_use, laziness, name_consumption
from ..edits import Applicability, Edit, Fix
from ..effects import Effects
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..memory import format_bytes
from ..model import FunctionInfo
from ..semantic import SyntaxIndex


def materialisations(info: FunctionInfo, index: SyntaxIndex) -> Iterator[ast.expr]:
    """``list(x)`` calls and list comprehensions of the function's own body."""
    for node in index.own_nodes(info.node):
        if isinstance(node, ast.ListComp):
            yield node
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "list" \
                and len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred) \
                and index.resolve("list", node) is None:
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
        index = ctx.index
        for info in model.functions.values():
            for node in materialisations(info, index):
                source_node = node.args[0] if isinstance(node, ast.Call) else node.generators[0].iter  # type: ignore[attr-defined]
                source = iterable_source(model, info, source_node, ctx.settings, workspace=ctx.workspace, path=path)
                if source is None or source.bounded:
                    continue
                parent = index.parent(node)
                if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "len":
                    continue  # len(list(read)) is LIME104's
                est = collection_estimate(model, info, node, ctx.settings, workspace=ctx.workspace, path=path)
                yield self._finding(ctx, info, node, source, est)

    def _finding(self, ctx, info, node, source, est) -> Violation:
        settings = ctx.settings
        shape = "`list(...)`" if isinstance(node, ast.Call) else "`[... for ...]`"
        what = source.describe()
        if est is not None:
            size = (f"{est.count:,} x {est.element_label} ≈ {format_bytes(est.estimate.total_bytes)}, "
                    f"{est.budget_share(settings):.0%} of the {settings.memory_budget_mb:g} MB budget "
                    f"(count from {est.count_source})")
        else:
            size = f"{source.count:,} items (count from {source.count_source})"
        fix, why_not = self._fix(ctx, info, node)
        message = f"{shape} holds every one of the {what} in memory at once: {size}; iterate lazily"
        if fix is None and why_not:
            message += f" (no lazy fix: {why_not})"
        data = {"limetype": source.limetype, "count": source.count}
        if est is not None:
            data["bytes"] = est.estimate.total_bytes
        return self.violation(ctx, node, message, fix, **data)

    # -- fix -------------------------------------------------------------------------
    def _fix(self, ctx, info: FunctionInfo, node: ast.expr) -> tuple[Fix | None, str]:
        """The lazy fix and its preconditions (see Fix safety above), or why none.

        1. the list is consumed exactly once, by iteration, in this function;
        2. making the items has no effects that a consumer stopping early
           (``any``/``all``/``break``) would skip, and the consumer does not change
           the copied source (``for x in list(xs): xs.remove(x)``);
        3. nothing between the list and its consumer, nor the consumer's body,
           writes or may write (through a helper or an unknown call), no ``try``
           guards one and not the other, and the items' effects do not
           interleave with the body's;
        4. ``len(xs)`` becomes ``read.count`` only when nothing that writes or may
           write runs between the read and the ``len()`` (it is a new query there).
        Unknown (an unseen call) makes the fix unsafe, named; false withholds it."""
        index, effects = ctx.index, ctx.effects
        use = expression_use(node, index)
        len_edits: list[Edit] = []
        len_calls: list[ast.Call] = []
        if use.kind == "assigned":
            statement = use.node
            if not isinstance(statement, ast.Assign):
                return None, "the list is bound with an annotation or `:=`"
            name = statement.targets[0].id  # type: ignore[attr-defined]
            if isinstance(node, ast.Call) and isinstance(node.args[0], ast.Name) and node.args[0].id == name:
                return None, f"`{name}` is rebound to its own list"
            allow_len = self._countable(ctx, info, node)
            consumption = name_consumption(name, statement, info.node, index, allow_len=allow_len)
            if not consumption.once:
                return None, f"`{name}` is not consumed exactly once by iteration: {consumption.reason}"
            consumer = consumption.consumer
            len_calls = consumption.len_calls
            for call in len_calls:
                len_edits.append(Edit(*ctx.range(call), f"{name}.count"))
        elif use.kind == "iteration":
            consumer = use.node
        else:
            return None, use.reason
        # The comprehension whose element and filters would run lazily: the list's own,
        # or the generator expression `list(...)` wraps.
        comprehension = node if isinstance(node, ast.ListComp) else node.args[0]  # type: ignore[attr-defined]
        if isinstance(comprehension, (ast.ListComp, ast.GeneratorExp)):
            item_effects = effects.of_block([comprehension.elt, *(c for g in comprehension.generators for c in g.ifs),
                                             *(g.iter for g in comprehension.generators[1:])])
            source_names = _root_names(comprehension.generators[0].iter)
            late_names = _late_names(comprehension)
        else:
            item_effects, source_names, late_names = Effects(), _root_names(comprehension), set()
        verdict = laziness(node, consumer, info.node, effects, item_effects=item_effects,
                           source_names=source_names, late_names=late_names)
        if verdict.blocker:
            return None, verdict.blocker
        hazard = verdict.hazard
        if len_calls and not hazard:
            from ..consumption import effects_between

            for call in len_calls:
                between = effects_between(node, call, info.node, effects)
                if between.may_write:
                    hazard = ("`.count` is a new query where `len()` was, after code that writes or may write: "
                              "the number may differ")
                    break
        edits = self._lazy_edits(ctx, node, index) + len_edits
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
    def _lazy_edits(ctx, node: ast.expr, index: SyntaxIndex) -> list[Edit]:
        start, end = ctx.range(node)
        parent = index.parent(node)
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


def _late_names(comprehension: ast.ListComp | ast.GeneratorExp) -> set[str]:
    """The names a comprehension reads while making each item (its element,
    filters and inner iterables; not its first iterable, evaluated at once),
    other than its own targets."""
    own = {n.id for g in comprehension.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
    parts = [comprehension.elt, *(c for g in comprehension.generators for c in g.ifs),
             *(g.iter for g in comprehension.generators[1:])]
    return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)} - own


def _root_names(node: ast.AST) -> list[str]:
    """The name a source expression is read from (``rows`` for ``rows``,
    ``self.rows``, ``rows[1:]``), whose change while iterating a copy matters."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return [node.id] if isinstance(node, ast.Name) else []
