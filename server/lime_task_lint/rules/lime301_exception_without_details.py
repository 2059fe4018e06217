"""LIME301 exception-without-details: an except block that loses the traceback.

## What it does
Flags, in an `except` block that neither re-raises nor keeps the exception:
a log call without `exc_info` (the first one at info level or above),
`print(e)` and `traceback.print_exc()`, and a bare `pass` / `continue` under
`except:` / `except Exception:` that swallows the error silently. An
`except ImportError:` (or `ModuleNotFoundError`) around an optional import is
left alone: the error is the expected answer, its traceback adds nothing.

## Why is this bad?
A task runs unattended; its log is all there is when an import fails at row
40,000. Without the traceback nobody knows which line failed, and inside a
loop without the key of the row nobody knows which object. `print` goes to the
worker's stdout, not to the task log.

## Example
```python
for deal in deals:
    try:
        sync(deal)
    except Exception as e:
        print(e)
```

## Use instead
```python
for deal in deals:
    try:
        sync(deal)
    except Exception:
        logger.exception("sync_deals failed for deal %s", deal.id)
```

## Fix safety
Safe for log calls, `print` and `traceback.print_exc()`: `logger.error(...)`
becomes `logger.exception(...)`, other levels get `exc_info=True`, `print(e)`
and `traceback.print_exc()` become one `logger.exception(...)`; inside a `for`
loop the loop key (`deal.id` for a Lime object, else the loop variable) is
added to the message. The module logger is added when missing. Unsafe for a
swallowing `pass` / `continue`: the silent path starts logging a traceback per
failure, which may be many lines in a long loop.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix, indentation_of, with_newline
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import (HandlerVerdict, LogCall, closing_quote_offset, ensure_logger, handler_loops,
                             handler_verdicts, insert_keyword_edit, insert_positional_edit, logging_model, loop_key,
                             merge_insertions)


@register
class ExceptionWithoutDetails(Rule):
    code = "LIME301"
    name = "exception-without-details"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        for verdict in handler_verdicts(ctx):
            key, key_label = self._key(ctx, verdict)
            if verdict.log is not None:
                call = verdict.log
                yield self.violation(
                    ctx, call.node,
                    f"`{ctx.text(call.node.func)}(...)` in an except block drops the traceback; "
                    "use `logger.exception(...)` or `exc_info=True`",
                    self._log_fix(ctx, call, key, key_label))
            if verdict.prints:
                fix = self._print_fix(ctx, verdict, key, key_label)
                for call in verdict.prints:
                    what = "traceback.print_exc()" if call.level == "print_exc" else "print(...)"
                    yield self.violation(
                        ctx, call.node,
                        f"`{what}` in an except block writes to stdout, not the task log; "
                        "use `logger.exception(...)`", fix)
            if verdict.swallow is not None:
                yield self.violation(
                    ctx, verdict.swallow,
                    f"`except` with only `{ctx.text(verdict.swallow)}` swallows every error silently; "
                    "log it with `logger.exception(...)`",
                    self._swallow_fix(ctx, verdict, key, key_label))

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _key(ctx: RuleContext, verdict: HandlerVerdict) -> tuple[str | None, str | None]:
        loops = handler_loops(logging_model(ctx), verdict.handler, verdict.function)
        for loop in reversed(loops):
            info = ctx.model.function_at(verdict.function)
            key = loop_key(loop, info.names if info else None)
            if key is not None:
                return key, key.split(".")[0]
        return None, None

    @staticmethod
    def _mentions(call: ast.Call, key: str) -> bool:
        root = key.split(".")[0]
        return any(isinstance(n, ast.Name) and n.id == root for n in ast.walk(call))

    def _log_fix(self, ctx: RuleContext, call: LogCall, key: str | None, label: str | None) -> Fix | None:
        document = ctx.document
        node = call.node
        edits: list[Edit] = []
        message = call.message
        if key is not None and message is not None and not self._mentions(node, key):
            quote_at = closing_quote_offset(document, message)
            if isinstance(message, ast.JoinedStr) and quote_at is not None:
                edits.append(Edit(quote_at, quote_at, f" ({label} {{{key}}})"))
            elif isinstance(message, ast.Constant) and isinstance(message.value, str) and quote_at is not None \
                    and (call.format_args or "%" not in message.value) and message is node.args[0 if call.level != "log" else 1]:
                positional = insert_positional_edit(document, node, key)
                if positional is not None:
                    edits.append(Edit(quote_at, quote_at, f" ({label} %s)"))
                    edits.append(positional)
        # After the loop key: an insertion at the same offset must come after the positional argument.
        if call.level == "error":
            _, end = ctx.range(node.func)
            edits.append(Edit(end - len("error"), end, "exception"))
            title = "Use `logger.exception(...)`"
        else:
            edits.append(insert_keyword_edit(document, node, "exc_info=True"))
            title = "Add `exc_info=True`"
        edits = sorted(merge_insertions(edits), key=lambda e: e.start)
        return Fix(title, tuple(edits), Applicability.SAFE)

    @staticmethod
    def _exception_call(ctx: RuleContext, logger: str, function: ast.AST, key: str | None, label: str | None) -> str:
        name = getattr(function, "name", "task")
        if key is None:
            return f'{logger}.exception("{name} failed")'
        return f'{logger}.exception("{name} failed for {label} %s", {key})'

    def _print_fix(self, ctx: RuleContext, verdict: HandlerVerdict, key: str | None, label: str | None) -> Fix | None:
        document = ctx.document
        statements = []
        for call in verdict.prints:
            parent = logging_model(ctx).parents.get(id(call.node))
            if not isinstance(parent, ast.Expr):
                return None
            statements.append(parent)
        logger, logger_edits = ensure_logger(ctx, logging_model(ctx))
        first, *rest = statements
        start, end = ctx.range(first)
        edits = [Edit(start, end, self._exception_call(ctx, logger, verdict.function, key, label))]
        for stmt in rest:
            edits.append(_delete_statement(document, stmt))
        if any(e is None for e in edits):
            return None
        return Fix("Log the exception with `logger.exception(...)`", tuple(logger_edits + edits), Applicability.SAFE)

    def _swallow_fix(self, ctx: RuleContext, verdict: HandlerVerdict, key: str | None, label: str | None) -> Fix:
        stmt = verdict.swallow
        logger, logger_edits = ensure_logger(ctx, logging_model(ctx))
        call = self._exception_call(ctx, logger, verdict.function, key, label)
        start, end = ctx.range(stmt)
        if isinstance(stmt, ast.Pass):
            edit = Edit(start, end, call)
        else:
            indent = indentation_of(ctx.document.text, start)
            line_start = start - len(indent)
            if ctx.document.text[line_start:start] != indent:
                edit = Edit(start, start, call + "; ")
            else:
                edit = Edit(start, start, call + with_newline("\n", ctx.document.newline) + indent)
        return Fix("Log the swallowed exception with `logger.exception(...)`",
                   tuple(logger_edits + [edit]), Applicability.UNSAFE)


def _delete_statement(document, stmt: ast.stmt) -> Edit | None:
    """Remove a statement that sits alone on its line(s)."""
    index = document.index
    start, end = document.node_range(stmt)
    first_line, last_line = index.line_of(start), index.line_of(end)
    line_start = index.line_starts[first_line]
    if document.text[line_start:start].strip():
        return None
    rest = index.line_text(last_line)[end - index.line_starts[last_line]:]
    if rest.strip() and not rest.strip().startswith("#"):
        return None
    next_start = index.line_starts[last_line + 1] if last_line + 1 < index.line_count else len(document.text)
    return Edit(line_start, next_start, "")
