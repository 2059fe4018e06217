"""LIME304 print-in-task: `print(...)` or `traceback.print_exc()` in task code.

## What it does
Flags `print(...)` (to stdout or stderr) and `traceback.print_exc()` in a task
and in the module functions it calls. Calls inside an except block that
LIME301 reports are left to LIME301. `print(..., file=f)` to a file is not
flagged.

## Why is this bad?
A task runs in a worker process: stdout is not the task log, has no level, no
timestamp and no task name, and is often thrown away.

## Example
```python
@task
def import_rows(app):
    rows = fetch()
    print("Fetched", len(rows), "rows")
```

## Use instead
```python
logger = logging.getLogger(__name__)

@task
def import_rows(app):
    rows = fetch()
    logger.info("Fetched %s rows", len(rows))
```

## Fix safety
Safe: `print(a, b)` becomes `logger.info(...)` (`logger.warning` for
`file=sys.stderr`) writing the same text: constant text inline (`%`
doubled), every other argument a `%s` argument in the same order (`print`
and `%s` both apply `str()`), the separator kept. An f-string argument is
inlined when its fields convert exactly (LIME306's rules), else passed whole
as a `%s` argument. `traceback.print_exc()` in an except block becomes
`logger.exception(...)`. `import logging` and a module logger are added when
the module has none (named so it hides no parameter or local). What changes,
on purpose: the text goes to the task log instead of stdout/stderr, without
the line ending, and `str()` of the values runs when the record is emitted.
Not offered for `*args`, a computed `sep=`, other keywords, a module where
a print ends with something other than a newline (`end=""`: the next print
continues that line, so neither may become a record), or
`traceback.print_exc()` outside an except block.
"""

from __future__ import annotations

from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import (Withheld, _const_str, ensure_logger, handler_verdicts, logging_model, print_as_log,
                             print_stream, quote_of, string_literal)


@register
class PrintInTask(Rule):
    code = "LIME304"
    name = "print-in-task"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = logging_model(ctx)
        candidates = [c for c in model.calls if c.level in ("print", "print_exc") and c.function is not None]
        if not candidates:
            return
        task_code: set[int] = set()
        for task in ctx.model.tasks():
            for info in ctx.model.reachable_from(task):
                task_code.add(id(info.node))
        left_to_301 = {id(c.node) for v in handler_verdicts(ctx) for c in v.prints}
        for call in candidates:
            if id(call.function) not in task_code or id(call.node) in left_to_301:
                continue
            level = "info"
            if call.level == "print":
                stream = print_stream(call.node)
                if stream is None:
                    continue  # a print to a file
                level = "warning" if stream == "stderr" else "info"
            fix = self._fix(ctx, call, level)
            what = "traceback.print_exc()" if call.level == "print_exc" else "print(...)"
            yield self.violation(ctx, call.node,
                                 f"`{what}` in task code bypasses the task log; use the module logger", fix)

    def _fix(self, ctx: RuleContext, call, level: str) -> Fix | None:
        node = call.node
        model = logging_model(ctx)
        if call.level == "print_exc":
            if call.handler is None:
                return None
            logger, edits = ensure_logger(ctx, model, [node])
            name = getattr(call.function, "name", "task")
            start, end = ctx.range(node)
            return Fix("Use `logger.exception(...)`",
                       tuple(edits + [Edit(start, end, f'{logger}.exception("{name} failed")')]), Applicability.SAFE)
        lazy = print_as_log(ctx, node)
        if isinstance(lazy, Withheld):
            return None
        quote = next((quote_of(ctx.text(a)) for a in node.args if _const_str(a) is not None), '"')
        logger, edits = ensure_logger(ctx, model, [node])
        start, end = ctx.range(node)
        new = f"{logger}.{level}({', '.join([string_literal(lazy.text, quote), *lazy.args])})"
        return Fix(f"Use `{logger}.{level}(...)`", tuple(edits + [Edit(start, end, new)]), Applicability.SAFE)
