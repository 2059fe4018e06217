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
Unsafe, so that fix-all never applies it: the fix inserts a generated
docstring (style from `docstring-style`: google, numpy or sphinx) whose
summary is a `TODO:` placeholder for the author to write. Applied in bulk it
would silence every finding without saying what any task is for. It does not
change what the code does, except for `__doc__`. The docstring has Args typed
from annotations or defaults, Returns (for a task: its summary) or Yields, and
Raises listing each exception once, including those raised by helpers of the
same module that the function calls without catching them. Each entry is
described from the code: a parameter by its name in words, its first clear use
(iterated over, passed to a call, a Lime filter operand, a `limit=`) and a
short default; a result by what is returned or yielded or by a getter's name
(`get_rows` returns "The rows."); an exception by its constant message, the
`if` it is raised in, or the helper that raises it. Where the code says
nothing certain, the entry keeps a `TODO:` placeholder rather than a guess. The
"Generate docstring" code action inserts the same text.
'''

from __future__ import annotations

from typing import Iterator

from ..docstrings import docstring_node
from ..docstrings.editing import generate_edit, known_descriptions, name_range, needs_docstring
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
        # In a file that does not parse, every fix is checked against a recovering
        # parse of the whole file (tens of ms each): the template waits until the
        # file parses again (the "Generate docstring" action is still there).
        offer_fix = ctx.document.parses
        for info in ctx.model.functions.values():
            node = info.node
            if not node.body or docstring_node(node) is not None or not needs_docstring(info, path):
                continue
            what = "task" if info.is_task else "public function of a tasks module"
            edit = generate_edit(ctx.document, ctx.tree, node, style=ctx.settings.docstring_style,
                                 is_task=info.is_task, is_method=info.is_method,
                                 described=known_descriptions(info)) if offer_fix else None
            fix = Fix("Generate a docstring", (edit,), Applicability.UNSAFE) if edit is not None else None
            yield self.violation(
                ctx, name_range(ctx.document, node),
                f"{what} `{info.name}` has no docstring: say what it does, its arguments and its result",
                fix, function=info.qualname,
            )
