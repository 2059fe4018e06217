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
Safe when no secret is involved: the same values are formatted with the
equivalent `%` placeholders (`!r` becomes `%r`, `.2f` stays `%.2f`), and `%` in
the text is doubled. When the message holds a credential, LIME302 comes first
(redact it) and no fix is offered here. Not offered for format specs `%`
cannot express (alignment, `,` separators), for `"..." % name` (the name may
hold a tuple) or when the call has other format arguments.
"""

from __future__ import annotations

from typing import Iterator

from ..edits import Applicability, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import is_eager_message, lazy_edit, lazy_form, logging_model, secret_parts
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
            fix = None
            positional = call.node.args[1] if call.level == "log" and len(call.node.args) > 1 else (
                call.node.args[0] if call.node.args else None)
            if not secret and not call.format_args and message is positional:
                lazy = lazy_form(message, ctx.document)
                if lazy is not None:
                    fix = Fix("Use lazy log arguments", (lazy_edit(ctx.document, message, lazy),), Applicability.SAFE)
            kind = "an f-string" if message.__class__.__name__ == "JoinedStr" else (
                "`%` formatting" if message.__class__.__name__ == "BinOp" else "`.format(...)`")
            suffix = " (redact the secret first: LIME302)" if secret else ""
            yield self.violation(ctx, message,
                                 f"Log message built eagerly with {kind}; pass the values as arguments{suffix}", fix)
