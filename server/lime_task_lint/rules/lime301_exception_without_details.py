"""LIME301 exception-without-details: an except block that loses the traceback.

## What it does
Flags, in an `except` block that neither re-raises nor keeps the exception:
a log call without `exc_info` (the first one at info level or above),
`print(e)` and `traceback.print_exc()`, and a bare `pass` / `continue` under
`except:` / `except Exception:` that swallows the error silently. An
`except ImportError:` (or `ModuleNotFoundError`) around an optional import is
left alone: the error is the expected answer, its traceback adds nothing.

A logger (for every logging rule) is recognised by how the name is bound
where it is used, never by its name alone: `logging.getLogger(...)`,
`LoggerAdapter(...)` or `.getChild(...)` assigned at module level, in the
function or to `self.<attr>` anywhere in the class; a parameter annotated
`logging.Logger` / `LoggerAdapter` (also `Optional[...]`) or defaulting to a
logger; `logging.getLogger(...).error(...)` inline; the `logging` module
itself. A parameter or local that reuses the module logger's name for
something else hides it.

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
Every fix edits only the flagged call or statement, where it stands (a print
in another branch gets its own fix; nothing is deleted), and keeps its text
and values. Preconditions, in one place:

- the logger used is one the code sees there: the call's own logger, or the
  module logger when no parameter or local of that name hides it (else a new
  module logger with a name nothing in the module uses is added);
- the loop key added to the message (`deal.id` for a Lime object, else the
  loop variable of the innermost `for` loop that is not a `range` counter) is
  a name the loop binds and nothing else in the function rebinds, so reading
  it cannot fail, and not a credential (LIME302's test, by name or data
  flow); it is added only when the call mentions no loop variable.

Safe for log calls, `print` and `traceback.print_exc()`: `logger.error(...)`
becomes `logger.exception(...)`, other levels get `exc_info=True` (an
`exc_info=False` becomes `True`); `print(msg, x)` becomes
`logger.exception("<msg> %s", x)` with the same text (see LIME304),
`traceback.print_exc()` becomes `logger.exception("<function> failed")`.
What changes, on purpose: the record carries the traceback, and a print's
text goes to the task log at error level instead of stdout/stderr. Unsafe
for a swallowing `pass` / `continue`: the silent path starts logging a
traceback per failure, which may be many lines in a long loop.

Prints and swallowed errors in a stand-alone script (a module with
`if __name__ == "__main__":` or a `#!` line and no Lime imports) are not
task code and are not reported; its log calls still are.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix, indentation_of, with_newline
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import (HandlerVerdict, LogCall, Withheld, _const_str, closing_quote_offset, ensure_logger,
                             handler_loops, handler_verdicts, insert_keyword_edit, insert_positional_edit,
                             is_standalone_script, logging_model, loop_key, merge_insertions, print_as_log,
                             print_stream, quote_of, string_literal, is_secret_name)
from .lime302_secret_in_log import function_taints


@register
class ExceptionWithoutDetails(Rule):
    code = "LIME301"
    name = "exception-without-details"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        script = is_standalone_script(ctx.tree, ctx.document.text)
        for verdict in handler_verdicts(ctx):
            key, key_label = self._key(ctx, verdict)
            for call in verdict.logs:
                yield self.violation(
                    ctx, call.node,
                    f"`{ctx.text(call.node.func)}(...)` in an except block drops the traceback; "
                    "use `logger.exception(...)` or `exc_info=True`",
                    self._log_fix(ctx, call, key, key_label))
            if script:
                continue  # a script's prints are its output, and it may ignore errors
            for call in verdict.prints:
                if call.level == "print_exc":
                    what, where = "traceback.print_exc()", "stderr"
                else:
                    what, where = "print(...)", print_stream(call.node) or "a file"
                yield self.violation(
                    ctx, call.node,
                    f"`{what}` in an except block writes to {where}, not the task log, without the traceback; "
                    "use `logger.exception(...)`", self._print_fix(ctx, verdict, call, key, key_label))
            if verdict.swallow is not None:
                yield self.violation(
                    ctx, verdict.swallow,
                    f"`except` with only `{ctx.text(verdict.swallow)}` swallows every error silently; "
                    "log it with `logger.exception(...)`",
                    self._swallow_fix(ctx, verdict, key, key_label))

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _key(ctx: RuleContext, verdict: HandlerVerdict) -> tuple[str | None, str | None]:
        """The loop key to add to the message: the innermost ``for`` loop that is
        not a ``range`` counter, when reading its variable cannot fail."""
        index = logging_model(ctx).index
        loops = handler_loops(logging_model(ctx), verdict.handler, verdict.function)
        info = ctx.model.function_at(verdict.function)
        for loop in reversed(loops):
            if not isinstance(loop, (ast.For, ast.AsyncFor)):
                continue
            iterable = loop.iter
            if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
                    and iterable.func.id == "range" and index.resolve("range", loop) is None:
                continue
            key = loop_key(loop, info.names if info else None)
            if key is None:
                return None, None
            root = key.split(".")[0]
            taints = function_taints(ctx).get(id(verdict.function), {})
            if is_secret_name(root) or root in taints:
                return None, None  # the loop variable is a credential: never add it to the log
            target_names = [n for n in ast.walk(loop.target) if isinstance(n, ast.Name)]
            bindings = index.bindings_in(verdict.function, root)
            if any(not any(b is t for t in target_names) for b in bindings) \
                    or not index.definitely_bound(root, verdict.handler.body[0]):
                return None, None  # rebound elsewhere in the function: its value is not certain
            return key, root
        return None, None

    @staticmethod
    def _loop_names(ctx: RuleContext, verdict: HandlerVerdict) -> set[str]:
        loops = handler_loops(logging_model(ctx), verdict.handler, verdict.function)
        return {n.id for loop in loops if isinstance(loop, (ast.For, ast.AsyncFor))
                for n in ast.walk(loop.target) if isinstance(n, ast.Name)}

    @staticmethod
    def _mentions(call: ast.Call, key: str) -> bool:
        root = key.split(".")[0]
        return any(isinstance(n, ast.Name) and n.id == root for n in ast.walk(call))

    def _log_fix(self, ctx: RuleContext, call: LogCall, key: str | None, label: str | None) -> Fix | None:
        document = ctx.document
        node = call.node
        edits: list[Edit] = []
        message = call.message
        mentioned = self._loop_names(ctx, self._verdict_of(ctx, call))
        if key is not None and message is not None and not any(self._mentions(node, n) for n in mentioned | {key}):
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
        disabled = next((k for k in node.keywords if k.arg == "exc_info"), None)
        if disabled is not None:  # exc_info=False (or 0, None): `.exception` would keep it off
            start, end = ctx.range(disabled.value)
            edits.append(Edit(start, end, "True"))
            title = "Set `exc_info=True`"
        elif call.level == "error":
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

    @staticmethod
    def _verdict_of(ctx: RuleContext, call: LogCall) -> HandlerVerdict:
        return next(v for v in handler_verdicts(ctx) if v.handler is call.handler)

    def _print_fix(self, ctx: RuleContext, verdict: HandlerVerdict, call: LogCall, key: str | None,
                   label: str | None) -> Fix | None:
        """This print (or print_exc) alone, where it stands, with its own text and values."""
        model = logging_model(ctx)
        statement = model.index.parent(call.node)
        if not isinstance(statement, ast.Expr):
            return None
        logger, logger_edits = ensure_logger(ctx, model, [call.node])
        if call.level == "print_exc":
            new = self._exception_call(ctx, logger, verdict.function, key, label)
        else:
            lazy = print_as_log(ctx, call.node)
            if isinstance(lazy, Withheld):
                return None
            text, args = lazy.text, list(lazy.args)
            if key is not None and not any(self._mentions(call.node, n) for n in self._loop_names(ctx, verdict)):
                text = (text if args else text.replace("%", "%%")) + f" ({label} %s)"
                args.append(key)
            quote = next((quote_of(ctx.text(a)) for a in call.node.args if _const_str(a) is not None), '"')
            new = f"{logger}.exception({', '.join([string_literal(text, quote), *args])})"
        start, end = ctx.range(call.node)
        return Fix("Log the exception with `logger.exception(...)`",
                   tuple(logger_edits + [Edit(start, end, new)]), Applicability.SAFE)

    def _swallow_fix(self, ctx: RuleContext, verdict: HandlerVerdict, key: str | None, label: str | None) -> Fix:
        stmt = verdict.swallow
        logger, logger_edits = ensure_logger(ctx, logging_model(ctx), [stmt])
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

