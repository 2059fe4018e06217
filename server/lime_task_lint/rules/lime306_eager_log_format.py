"""LIME306 eager-log-format: a log message formatted before the call.

## What it does
Flags a log call whose message is an f-string with fields, a `"..." % args`
expression or a `"...".format(...)` call.

## Why is this bad?
The message is built even when the level is disabled: in a loop over 100,000
objects every `logger.debug(f"...")` formats a string that is thrown away.
Lazy arguments are formatted only when the record is emitted, and log tools
can group records by their constant message.

## Example
```python
for deal in deals:
    logger.debug(f"Checking deal {deal.id} worth {deal.value:.2f}")
```

## Use instead
```python
for deal in deals:
    logger.debug("Checking deal %s worth %.2f", deal.id, deal.value)
```

## Fix safety
The fix passes the same expressions, evaluated in the same order, as lazy
arguments. It is offered only where these preconditions hold:

- every field's `%` placeholder formats its value to the same text as the
  f-string / `.format` field for every value the expression can hold: the
  conversion (`!r` -> `%r`, `!s` -> `%s`, `!a` -> `%a`) or the value's type is
  proven (a literal, `len()`, `int()`, `float()`, `str()`, a `range` counter,
  a Lime object's `.id`, a name bound only to these). `{x:-6d}` is `%6d` (`-`
  is the sign option, not left-justify), text left-aligns by default (`{s:10}`
  is `%-10s`). Not offered for centring (`^`), fill characters, `,`/`_`
  grouping, `z`, `%`, computed specs, a `Decimal` (`%.2f` would round it as a
  float), or a type-dependent spec (`.2f`, `d`, `>10`) on a value of unknown
  type (a `Decimal` would round differently; `None` raises in the task but
  only inside the logging handler when lazy);
- `.format(...)` uses each argument once in call order (or the arguments are
  names and constants); `"..." % x` has a right side that cannot be a tuple;
- the message holds no credential (LIME302 comes first: redact it);
- the call has no other format arguments.

Redundant parentheses around the message are dropped (`logger.warning((f"{x}"))`
would otherwise become a tuple). Safe when every precondition is proven;
unsafe, with the hazard in its title, when:

- a value's type is known only from an annotation: another type passed in
  formats differently, or its formatting error is reported by the logging
  handler (record lost, task continues) instead of raised in the task;
- `"..." % (x,)` has a numeric placeholder (`%d`, `%.2f`) for a value of
  unproven type: the same text when it formats, but a value that cannot be
  formatted fails inside the logging handler instead of raising in the task;
- the code may run on Python before 3.11 and a plain `{x}` becomes `%s`: a
  mixed-in Enum (`class Status(str, Enum)`) then logs its name, not its value.

In every case the values' `__str__`/`__repr__` run only when the record is
emitted (not at all when the level is disabled).
"""

from __future__ import annotations

import ast

from typing import Iterator

from ..edits import Applicability, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import Withheld, is_eager_message, kind_resolver, lazy_edit, lazy_form, logging_model, secret_parts
from .lime302_secret_in_log import function_taints


@register
class EagerLogFormat(Rule):
    code = "LIME306"
    name = "eager-log-format"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = logging_model(ctx)
        taints = None
        for call in model.calls:
            message = call.message
            if not is_eager_message(message):
                continue
            if taints is None:
                taints = function_taints(ctx)
            secret = secret_parts(message, taints.get(id(call.function) if call.function else None, {}))
            kind = "an f-string" if isinstance(message, ast.JoinedStr) else (
                "`%` formatting" if isinstance(message, ast.BinOp) else "`.format(...)`")
            text = f"Log message built eagerly with {kind}; pass the values as arguments"
            fix, why_not = self._fix(ctx, call, message, bool(secret))
            if secret:
                text += " (redact the secret first: LIME302)"
            elif why_not:
                text += f" (no automatic fix: {why_not})"
            yield self.violation(ctx, message, text, fix)

    @staticmethod
    def _fix(ctx: RuleContext, call, message: ast.expr, secret: bool) -> tuple[Fix | None, str | None]:
        if secret:
            return None, None
        positional = call.node.args[1] if call.level == "log" and len(call.node.args) > 1 else (
            call.node.args[0] if call.node.args else None)
        if call.format_args or message is not positional:
            return None, "the call has other format arguments or passes the message by keyword"
        lazy = lazy_form(message, ctx.document, kind_resolver(ctx), ctx.settings.python_version)
        if isinstance(lazy, Withheld):
            return None, str(lazy)
        edit = lazy_edit(ctx.document, call.node, message, lazy)
        if lazy.hazards:
            return Fix(f"Use lazy log arguments (unsafe: {lazy.hazards[0]})", (edit,), Applicability.UNSAFE), None
        return Fix("Use lazy log arguments", (edit,), Applicability.SAFE), None
