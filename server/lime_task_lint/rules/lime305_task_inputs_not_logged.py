"""LIME305 task-inputs-not-logged: a task that never logs its parameters.

## What it does
Flags a task with parameters (other than the application and credentials) of
which no log call in the task mentions any.

## Why is this bad?
When a task run goes wrong, the first question is what it was asked to do.
Tasks are started by schedules and other code; without a line with their
inputs the run cannot be reproduced.

## Example
```python
@task
def sync_deals(app, since, limit=500):
    ...
```

## Use instead
```python
@task
def sync_deals(app, since, limit=500):
    logger.info("sync_deals started: since=%s, limit=%s", since, limit)
    ...
```

## Fix safety
Safe: one `logger.info` in lazy form is inserted at the top of the task (after
its docstring); parameters that look like credentials and the application are
not logged. The module logger is added when missing.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix, indentation_of, with_newline
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import ensure_logger, is_secret_name, logging_model


def loggable_params(info) -> list[str]:
    node = info.node
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    if args.vararg is not None:
        names.append(args.vararg.arg)
    if args.kwarg is not None:
        names.append(args.kwarg.arg)
    return [n for n in names if n != info.app_param and n not in ("self", "cls") and not is_secret_name(n)]


def inputs_log_line(logger: str, task_name: str, params: list[str]) -> str:
    listed = ", ".join(f"{p}=%s" for p in params)
    return f'{logger}.info("{task_name} started: {listed}", {", ".join(params)})'


def inputs_insertion(ctx, info, logger: str) -> Edit | None:
    """The edit inserting the inputs line at the top of ``info``'s body, or None."""
    document = ctx.document
    body = info.node.body
    params = loggable_params(info)
    if not body or not params:
        return None
    first = body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    index = document.index
    def_line = index.line_of(document.node_range(info.node)[0] if not info.node.decorator_list
                             else index.from_ast(info.node.lineno, info.node.col_offset))
    start, _ = document.node_range(first)
    if index.line_of(start) == def_line:
        return None  # a one-line function: no place for a new line
    indent = indentation_of(document.text, start)
    line = indent + inputs_log_line(logger, info.name, params) + "\n"
    if has_docstring:
        _, end = document.node_range(first)
        row = index.line_of(end)
        rest = index.line_text(row)[end - index.line_starts[row]:]
        if rest.strip() and not rest.strip().startswith("#"):
            return None
        if row + 1 >= index.line_count:
            return Edit(len(document.text), len(document.text), with_newline("\n" + line, document.newline))
        offset = index.line_starts[row + 1]
    else:
        offset = index.line_starts[index.line_of(start)]
        if document.text[offset:start].strip():
            return None
    return Edit(offset, offset, with_newline(line, document.newline))


@register
class TaskInputsNotLogged(Rule):
    code = "LIME305"
    name = "task-inputs-not-logged"
    severity = Severity.INFORMATION
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        tasks = ctx.model.tasks()
        if not tasks:
            return
        model = logging_model(ctx)
        for info in tasks:
            params = loggable_params(info)
            if not params:
                continue
            logged = False
            for call in model.calls_in(info.node):
                if not call.is_log:
                    continue
                if any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(call.node)):
                    logged = True
                    break
            if logged:
                continue
            logger, edits = ensure_logger(ctx, model)
            insertion = inputs_insertion(ctx, info, logger)
            fix = None
            if insertion is not None:
                fix = Fix("Log the task's inputs", tuple(edits + [insertion]), Applicability.SAFE)
            start = ctx.document.index.from_ast(info.node.lineno, info.node.col_offset)
            name_at = ctx.document.text.find(info.name, start)
            span = (name_at, name_at + len(info.name)) if name_at >= 0 else ctx.range(info.node)
            yield self.violation(
                ctx, span,
                f"Task `{info.name}` never logs its inputs ({', '.join(params)}); log them when it starts",
                fix, params=params)
