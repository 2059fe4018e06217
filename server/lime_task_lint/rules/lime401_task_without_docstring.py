'''LIME401 task-without-docstring: a task, or a public function of a tasks module, with no docstring.

## What it does
Flags a Lime task (a function decorated with `task` from `lime_task`, or one
named in `ScheduledTask(task=...)`) that has no docstring, and any public
function of a *tasks module* that has none. A tasks module is a module of a
`tasks` package: a directory in its path is named `tasks`, the layout
`lime-project generate tasks` creates (`<package>/tasks/tasks.py`); test files
there (`test_*.py`, `*_test.py`, `conftest.py`) are not tasks modules. A public
function is a module-level function whose name does not start with `_`;
methods and nested functions are not asked for one.

## Why is this bad?
Lime's guide asks every task to explain its purpose and how it works: a task
runs unattended, often at night, over thousands of objects, and whoever reads
its failure in the task log needs to know what it was meant to do, which
arguments it takes and what its result (the task's summary) means.

## Example
```python
@task
def close_deals(app, year: int) -> str:
    ...
```

## Use instead
```python
@task
def close_deals(app, year: int) -> str:
    """Close the open deals of ``year``.

    Args:
        app: The Lime application.
        year (int): The year whose deals are closed.

    Returns:
        str: The task's summary: a short result stored in the task status.
    """
    ...
```

## Fix safety
Safe: the fix inserts a generated docstring (style from `docstring-style`:
google, numpy or sphinx) with a `TODO:` summary to fill in, Args typed from
annotations or defaults, Returns (for a task: its summary) or Yields, and
Raises listing each exception once, including those raised by helpers of the
same module that the function calls without catching them. A docstring is an
expression statement: behaviour does not change.
'''

from __future__ import annotations

from typing import Iterator

from ..docstrings import docstring_node
from ..docstrings.editing import generate_edit, name_range, needs_docstring
from ..edits import Applicability, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register


@register
class TaskWithoutDocstring(Rule):
    code = "LIME401"
    name = "task-without-docstring"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        path = ctx.document.path
        for info in ctx.model.functions.values():
            node = info.node
            if not node.body or docstring_node(node) is not None or not needs_docstring(info, path):
                continue
            what = "task" if info.is_task else "public function of a tasks module"
            edit = generate_edit(ctx.document, ctx.tree, node, style=ctx.settings.docstring_style,
                                 is_task=info.is_task, is_method=info.is_method)
            fix = Fix("Generate a docstring", (edit,), Applicability.SAFE) if edit is not None else None
            yield self.violation(
                ctx, name_range(ctx.document, node),
                f"{what} `{info.name}` has no docstring: say what it does, its arguments and its result",
                fix, function=info.qualname,
            )
