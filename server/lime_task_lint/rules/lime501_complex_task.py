"""LIME501 complex-task: a task or one of its helpers is too complex.

## What it does
Computes radon's cyclomatic complexity (one plus one per decision point: `if`,
`elif`, loops, `except`, boolean operators, comprehension conditions...) of
every task and of every function of the same module a task calls, directly or
through other helpers, and flags those above `max-complexity` (default 10).
The complexity of a nested function counts for that function, not for the one
around it. Hovering a function name shows its complexity, its rank (radon's
A-F) and the module's maintainability index.

## Why is this bad?
A task runs unattended over thousands of objects; each branch is a path that
can fail at 3 a.m. with only the log to explain it. Complex tasks are hard to
test (every path needs its own case), hard to read in a failure, and usually
mix reading, deciding and writing, which is where the round-trip and memory
problems of the other rules hide.

## Example
```python
@task
def sync(app, rows):
    for row in rows:
        if row["type"] == "company":
            if row.get("deleted"):
                ...
            elif row.get("merged_into"):
                ...
        elif row["type"] == "person":
            ...  # and so on, for a complexity of 14
```

## Use instead
```python
@task
def sync(app, rows):
    handlers = {"company": sync_company, "person": sync_person}
    for row in rows:
        handlers[row["type"]](app, row)
```

## Fix safety
Display-only: there is no automatic fix; splitting a task into helpers is a
design decision.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..docstrings.editing import name_range
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register


def function_complexity(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """radon's cyclomatic complexity of one function (its nested functions and
    classes excluded, as radon reports them separately)."""
    from radon.visitors import ComplexityVisitor

    visitor = ComplexityVisitor.from_ast(ast.Module(body=[node], type_ignores=[]))
    return visitor.functions[0].complexity if visitor.functions else 1


def complexity_rank(complexity: int) -> str:
    """radon's rank: A (1-5) ... F (41+)."""
    from radon.complexity import cc_rank

    return cc_rank(complexity)


@register
class ComplexTask(Rule):
    code = "LIME501"
    name = "complex-task"
    severity = Severity.WARNING
    fix_availability = FixAvailability.NONE

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        threshold = ctx.settings.max_complexity
        model = ctx.model
        tasks = model.tasks()
        called_from: dict[str, str] = {}
        for task in tasks:
            for info in model.reachable_from(task):
                called_from.setdefault(info.qualname, task.name)
        for qualname, task_name in called_from.items():
            info = model.functions[qualname]
            try:
                complexity = function_complexity(info.node)
            except (RecursionError, AttributeError, TypeError):  # radon on odd recovered trees
                continue
            if complexity <= threshold:
                continue
            what = "task" if info.is_task else f"helper (called from task `{task_name}`)"
            yield self.violation(
                ctx, name_range(ctx.document, info.node),
                f"{what} `{info.name}` has a cyclomatic complexity of {complexity} "
                f"(rank {complexity_rank(complexity)}), above the limit of {threshold}; split it into helpers",
                None, function=qualname, complexity=complexity, threshold=threshold,
            )
