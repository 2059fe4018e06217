"""LIME402 missing-annotations: task parameters or return value without type annotations.

## What it does
Flags a Lime task whose parameters (the application parameter included) or
return value have no type annotation, naming the ones that are missing. It is
reported at information level.

## Why is this bad?
Lime's guide asks for typed task signatures. A task is started by name with
arguments that arrive as JSON from a scheduler, an endpoint or another
package, so its signature is the only contract its callers see; annotations
document it, let editors and type checkers catch a caller passing a list where
an id is expected, and feed the generated docstring's Args and Returns.

## Example
```python
@task
def close_deals(app, year, dry_run=False):
    ...
    return f"{closed} deals closed"
```

## Use instead
```python
from lime_application import LimeApplication


@task
def close_deals(app: LimeApplication, year: int, dry_run: bool = False) -> str:
    ...
    return f"{closed} deals closed"
```

## Fix safety
Display-only: there is no automatic fix. Only the author knows the intended
types (a default of `None` or a value passed through says nothing about them).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..docstrings.editing import name_range
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register


@register
class MissingAnnotations(Rule):
    code = "LIME402"
    name = "missing-annotations"
    severity = Severity.INFORMATION
    fix_availability = FixAvailability.NONE

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        for info in ctx.model.tasks():
            node = info.node
            args = node.args
            every = [*args.posonlyargs, *args.args]
            if info.is_method and every and "staticmethod" not in _decorators(node):
                every = every[1:]  # self / cls
            every += [a for a in (args.vararg,) if a is not None]
            every += list(args.kwonlyargs)
            every += [a for a in (args.kwarg,) if a is not None]
            missing = [_spelled(a, args) for a in every if a.annotation is None]
            if node.returns is None:
                missing.append("the return value")
            if not missing:
                continue
            listed = ", ".join(f"`{m}`" if m != "the return value" else m for m in missing)
            yield self.violation(
                ctx, name_range(ctx.document, node),
                f"task `{info.name}` lacks type annotations for {listed}",
                None, function=info.qualname, missing=missing,
            )


def _spelled(arg: ast.arg, args: ast.arguments) -> str:
    if arg is args.vararg:
        return f"*{arg.arg}"
    if arg is args.kwarg:
        return f"**{arg.arg}"
    return arg.arg


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names
