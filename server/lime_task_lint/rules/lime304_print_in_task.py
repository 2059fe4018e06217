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
Safe: `print(a, b)` becomes `logger.info(...)` with the same text joined by a
space in lazy form (`logger.warning` for `file=sys.stderr`);
`traceback.print_exc()` in an except block becomes `logger.exception(...)`.
`import logging` and `logger = logging.getLogger(__name__)` are added when the
module has no logger. Not offered for `sep=`, `*args` or
`traceback.print_exc()` outside an except block.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import _const_str, dotted, ensure_logger, handler_verdicts, logging_model, string_literal, quote_of


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
                stream = next((k.value for k in call.node.keywords if k.arg == "file"), None)
                if stream is not None:
                    target = dotted(stream)
                    if target not in ("sys.stdout", "sys.stderr"):
                        continue
                    level = "warning" if target == "sys.stderr" else "info"
            fix = self._fix(ctx, call, level)
            what = "traceback.print_exc()" if call.level == "print_exc" else "print(...)"
            yield self.violation(ctx, call.node,
                                 f"`{what}` in task code bypasses the task log; use the module logger", fix)

    def _fix(self, ctx: RuleContext, call, level: str) -> Fix | None:
        node = call.node
        if call.level == "print_exc":
            if call.handler is None:
                return None
            logger, edits = ensure_logger(ctx, logging_model(ctx))
            name = getattr(call.function, "name", "task")
            start, end = ctx.range(node)
            return Fix("Use `logger.exception(...)`",
                       tuple(edits + [Edit(start, end, f'{logger}.exception("{name} failed")')]), Applicability.SAFE)
        if any(k.arg not in ("file", "flush", "end") for k in node.keywords) or not node.args \
                or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        parts: list[str] = []
        args: list[str] = []
        quote = '"'
        for arg in node.args:
            text = _const_str(arg)
            if text is not None:
                parts.append(text)
                quote = quote_of(ctx.text(arg))
            elif isinstance(arg, ast.JoinedStr):
                from ..logging_model import lazy_from_fstring

                lazy = lazy_from_fstring(arg, ctx.document)
                if lazy is None:
                    return None
                parts.append(lazy[0])
                args.extend(lazy[1])
            else:
                parts.append("%s")
                from ..logging_model import source_of

                args.append(source_of(ctx.document, arg))
        message = " ".join(parts)
        if not args and "%" in message:
            # No arguments: logging does not %-format the message, keep it as written.
            pass
        elif args:
            # Constant parts were taken verbatim: double their % signs (f-string parts already are).
            message = self._escape_constants(node, ctx)
            if message is None:
                return None
        logger, edits = ensure_logger(ctx, logging_model(ctx))
        start, end = ctx.range(node)
        new = f"{logger}.{level}({', '.join([string_literal(message, quote), *args])})"
        return Fix(f"Use `{logger}.{level}(...)`", tuple(edits + [Edit(start, end, new)]), Applicability.SAFE)

    @staticmethod
    def _escape_constants(node: ast.Call, ctx: RuleContext) -> str | None:
        from ..logging_model import lazy_from_fstring

        parts = []
        for arg in node.args:
            text = _const_str(arg)
            if text is not None:
                parts.append(text.replace("%", "%%"))
            elif isinstance(arg, ast.JoinedStr):
                lazy = lazy_from_fstring(arg)
                if lazy is None:
                    return None
                parts.append(lazy[0])
            else:
                parts.append("%s")
        return " ".join(parts)
