"""LIME104 len-of-query: counting objects by loading them all.

## What it does
Flags `len(list(<read>))`, `len([... for x in <read>])` and `sum(1 for x in <read>)`
where `<read>` is a Lime `get_all(...)` read.

## Why is this bad?
To count, the code loads every matching object from the database and builds a
Python object for each, only to throw them away. At production volumes that is
one large query, a list of Lime objects of about 1 KB each (100 MB at 100,000
objects) and seconds of work, where the database could answer with one number.

## Example
```python
@task
def report(app):
    total = len(list(app.limetypes.company.get_all()))
    return f"{total} companies"
```

## Use instead
```python
@task
def report(app):
    total = app.limetypes.company.get_all().count
    return f"{total} companies"
```

## Fix safety
Safe: the result of `get_all(...)` has a `.count` attribute holding the number
of matching objects, so the value is the same and no object is loaded. Reads
bounded by `limit=` or `offset=` are not flagged: `.count` ignores both, so the
number would differ, and a bounded read is cheap. Nor is a comprehension that
filters items (`if` clauses), because then the count differs.

In `len([<element> for x in <read>])` the fix drops the element: safe when it
is the item itself or a constant; unsafe when it reads attributes or items
(`x.properties.name.value`: an error that reading raised is no longer raised);
not offered when it calls anything, awaits or binds a name with `:=`
(`len([sync(app, c) for c in ...])` counts what it *did*: those calls would
no longer run).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..trees import nodes_of


@register
class LenOfQuery(Rule):
    code = "LIME104"
    name = "len-of-query"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        reads = {id(r.node): r for r in ctx.model.reads() if r.kind == "get_all"}
        if not reads:
            return
        for node in nodes_of(ctx.tree, ast.Call):
            if not isinstance(node.func, ast.Name) or len(node.args) != 1:  # type: ignore[attr-defined]
                continue
            read_node = self._counted_read(node)
            if read_node is None or id(read_node) not in reads:
                continue
            read = reads[id(read_node)]
            if _has_keyword(read.node, "limit", "offset"):
                # `.count` counts every match, ignoring limit/offset: not the same number,
                # and a bounded read is cheap anyway.
                continue
            what = f"`{read.limetype}` object" if read.limetype else "object"
            shape = "len(list(...))" if node.func.id == "len" and isinstance(node.args[0], ast.Call) else (
                "len([...])" if node.func.id == "len" else "sum(1 for ...)")
            start, end = ctx.range(node)
            applicability, why_not = self._element_verdict(node.args[0])
            fix = None if applicability is None else Fix(
                "Use `.count` instead of loading every object"
                + ("; the element is no longer evaluated (an error it raised is gone)"
                   if applicability is Applicability.UNSAFE else ""),
                (Edit(start, end, f"{ctx.text(read_node)}.count"),),
                applicability,
            )
            message = f"`{shape}` loads every {what} just to count them; use `<read>.count`"
            if why_not:
                message += f" (no fix: {why_not})"
            yield self.violation(ctx, node, message, fix, limetype=read.limetype)

    @staticmethod
    def _element_verdict(counted: ast.AST) -> tuple[Applicability | None, str]:
        """What dropping a counted comprehension's element changes: SAFE when it is
        the item or a constant, UNSAFE when it only reads (a read may raise),
        None with the reason when it runs code (calls, `await`, `:=`)."""
        if not isinstance(counted, ast.ListComp):
            return Applicability.SAFE, ""
        element, target = counted.elt, counted.generators[0].target
        if isinstance(element, ast.Constant) or (
                isinstance(element, ast.Name) and isinstance(target, ast.Name) and element.id == target.id):
            return Applicability.SAFE, ""
        if any(isinstance(n, (ast.Call, ast.Await, ast.NamedExpr, ast.Yield, ast.YieldFrom))
               for n in ast.walk(element)):
            return None, "each element calls code or binds a name, which `.count` would no longer run"
        return Applicability.UNSAFE, ""

    @staticmethod
    def _counted_read(call: ast.Call) -> ast.AST | None:
        """The read counted by ``len(list(read))``, ``len([.. for .. in read])`` or
        ``sum(1 for .. in read)``, or None."""
        arg = call.args[0]
        if call.keywords:
            return None
        if call.func.id == "len":  # type: ignore[attr-defined]
            if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "list" \
                    and len(arg.args) == 1 and not arg.keywords:
                return arg.args[0]
            if isinstance(arg, ast.ListComp) and len(arg.generators) == 1 and not arg.generators[0].ifs \
                    and not arg.generators[0].is_async:
                return arg.generators[0].iter
        if call.func.id == "sum" and isinstance(arg, ast.GeneratorExp):  # type: ignore[attr-defined]
            generator = arg.generators[0]
            if len(arg.generators) == 1 and not generator.ifs and isinstance(arg.elt, ast.Constant) \
                    and arg.elt.value == 1:
                return generator.iter
        return None


def _has_keyword(call: ast.Call, *names: str) -> bool:
    return any(k.arg in names for k in call.keywords)
