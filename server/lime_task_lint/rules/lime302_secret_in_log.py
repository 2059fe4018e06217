"""LIME302 secret-in-log: a credential written to the log or to stdout.

## What it does
Flags a log or `print` argument that is a credential: a name, attribute,
dict key, `.get("...")` key or f-string part that reads like one (`password`,
`passwd`, `pwd`, `secret`, `client_secret`, `token`, `access_token`,
`api_key`, `apiKey`, `X-Api-Key`, `Authorization`, `bearer`, `private_key`,
`credentials`, `session_key`, ...), or a value built from one
(`headers = {"Authorization": token}` logged later). The credential word must
be the name's head noun: `token_count`, `max_tokens`, `tokenizer`,
`password_policy_url`, `secretary`, `author` and `api_key_id` (the public id
of a key) are not credentials. `len(token)` or `token is None` are not flagged.

## Why is this bad?
Task logs are kept, shipped to log services and read by people who must not
see customer credentials. A key written once to the log has to be rotated.

## Example
```python
headers = {"Authorization": api_key}
logger.info(f"Sending deals to {url} with key {api_key}")
```

## Use instead
```python
headers = {"Authorization": api_key}
logger.info(f"Sending deals to {url} with key ***")
```

## Fix safety
Safe: the value is replaced by the redaction `"***"` (inside an f-string the
field becomes the text `***`). Only the log line changes. Making the call
lazy would not help: the secret would still be formatted into the line.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import SecretPart, fstring_fields, logged_expressions, logging_model, secret_parts, taint


def secrets_of_call(ctx: RuleContext, call, taints: dict) -> list[SecretPart]:
    parts: list[SecretPart] = []
    for expr in logged_expressions(call):
        parts.extend(secret_parts(expr, taints))
    return parts


def function_taints(ctx: RuleContext) -> dict[int | None, dict[str, str]]:
    """Tainted names per function node id (None: module level), cached on the context."""
    cached = getattr(ctx, "_lime_taints", None)
    if cached is None:
        module_body = [s for s in ctx.tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                      ast.ClassDef))]
        module = taint(module_body)
        cached = {None: module}
        for scope in logging_model(ctx).scopes.values():
            body = scope.node.body  # type: ignore[attr-defined]
            cached[id(scope.node)] = taint(body, module)
        ctx._lime_taints = cached
    return cached


@register
class SecretInLog(Rule):
    code = "LIME302"
    name = "secret-in-log"
    severity = Severity.ERROR
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = logging_model(ctx)
        taints = function_taints(ctx)
        for call in model.calls:
            if call.level == "print_exc":
                continue
            for part in secrets_of_call(ctx, call, taints.get(id(call.function) if call.function else None, {})):
                fix = self._fix(ctx, part)
                where = "stdout" if call.level == "print" else "the log"
                yield self.violation(
                    ctx, self._range(ctx, part) or ctx.range(part.node),
                    f"`{part.name.rstrip('`')}` looks like a credential and is written to {where}; redact it",
                    fix, secret=part.name.split("`")[0])

    @staticmethod
    def _range(ctx: RuleContext, part: SecretPart) -> tuple[int, int] | None:
        if part.fstring is None:
            return None
        start, end = ctx.range(part.fstring)
        fields = fstring_fields(ctx.document.text[start:end])
        if part.field_index >= len(fields):
            return None
        field_start, field_end = fields[part.field_index]
        return start + field_start, start + field_end

    def _fix(self, ctx: RuleContext, part: SecretPart) -> Fix | None:
        if part.fstring is not None:
            span = self._range(ctx, part)
            if span is None:
                return None
            return Fix("Redact the secret from the log", (Edit(span[0], span[1], "***"),), Applicability.SAFE)
        if isinstance(part.node, ast.Starred):
            return None
        start, end = ctx.range(part.node)
        return Fix("Redact the secret from the log", (Edit(start, end, '"***"'),), Applicability.SAFE)
