"""LIME302 secret-in-log: a credential written to the log or to stdout.

## What it does
Flags a log or `print` argument that is a credential: a name, attribute,
dict key, `.get("...")` key or f-string part that reads like one (`password`,
`passwd`, `pwd`, `secret`, `client_secret`, `token`, `access_token`,
`api_key`, `apiKey`, `X-Api-Key`, `Authorization`, `bearer`, `private_key`,
`credentials`, `session_key`, ..., and their plurals: `api_keys`, `tokens`),
or a value built from one (`headers = {"Authorization": token}` logged
later, the loop variable of `for key in api_keys`, the value of
`for name, value in credentials.items()`). The credential word must
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
The fix replaces the smallest piece of the logged value that is formatted on
its own by the redaction, never a name inside an expression that would then
run on the redaction (`token.decode()` is replaced whole, not `token`):

- a whole argument of the log call or `print` (`"***"`), whose `%`
  placeholder is `%s`, `%r` or `%a` (a numeric placeholder would fail on the
  text: no fix);
- an element or value of a list, tuple, set or dict written in the call;
- a field of an f-string (it becomes the text `***`).

Safe when the replaced expression is a name certainly bound there or a
constant: only the log line changes. Unsafe when the replaced expression
does more (`token.decode()`, `config["password"]`, `get_key()`): it is no
longer evaluated, so an error it raised no longer reaches the task and a call
it made no longer runs. Not offered for `*args`, for a secret message with
other format arguments, under a numeric placeholder, or for a whole
`extra=` mapping (logging needs a mapping there; a dict display's values are
redacted one by one). Making the call lazy
would not help: the secret would still be formatted into the line.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..log_format import percent_fields
from ..logging_model import (SecretPart, _const_str, fstring_fields, logged_expressions, logging_model, secret_parts,
                             taint)


def secrets_of_call(ctx: RuleContext, call, taints: dict) -> list[SecretPart]:
    parts: list[SecretPart] = []
    for expr in logged_expressions(call):
        parts.extend(secret_parts(expr, taints))
    return parts


def function_taints(ctx: RuleContext) -> dict[int | None, dict[str, str]]:
    """Tainted names per function node id (None: module level), cached on the context."""
    cached = getattr(ctx, "_lime_taints", None)
    if cached is None:
        index = logging_model(ctx).index
        module = taint(index, ctx.tree)
        cached = {None: module}
        for function in logging_model(ctx).function_nodes():
            cached[id(function)] = taint(index, function, module)
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
                fix = self._fix(ctx, call, part)
                where = "stdout" if call.level == "print" else "the log"
                yield self.violation(
                    ctx, self._range(ctx, part) or ctx.range(part.node),
                    f"`{part.name.rstrip('`')}` looks like a credential and is written to {where}; redact it",
                    fix, secret=part.name.split("`")[0])

    @staticmethod
    def _field_span(ctx: RuleContext, fstring: ast.JoinedStr, field_index: int) -> tuple[int, int] | None:
        start, end = ctx.range(fstring)
        fields = fstring_fields(ctx.document.text[start:end])
        if field_index >= len(fields):
            return None
        field_start, field_end = fields[field_index]
        return start + field_start, start + field_end

    def _range(self, ctx: RuleContext, part: SecretPart) -> tuple[int, int] | None:
        if part.fstring is None:
            return None
        return self._field_span(ctx, part.fstring, part.field_index)

    def _fix(self, ctx: RuleContext, call, part: SecretPart) -> Fix | None:
        index = logging_model(ctx).index
        target = redaction_target(index, call, part)
        if target is None:
            return None
        replaced, where = target
        if where is _FIELD:
            fstring = part.fstring if part.node is replaced and part.fstring is not None else index.parent(replaced)
            if not isinstance(fstring, ast.JoinedStr):
                return None
            fields = [v for v in fstring.values if isinstance(v, ast.FormattedValue)]
            position = next((i for i, v in enumerate(fields) if v is replaced), None)
            span = self._field_span(ctx, fstring, position) if position is not None else None
            text, expression = "***", replaced.value
        else:
            span, text, expression = ctx.range(replaced), '"***"', replaced
        if span is None:
            return None
        edit = Edit(span[0], span[1], text)
        inert = isinstance(expression, ast.Constant) or (
            isinstance(expression, ast.Name) and index.definitely_bound(expression.id, call.node))
        if inert:
            return Fix("Redact the secret from the log", (edit,), Applicability.SAFE)
        return Fix(f"Redact the secret from the log (unsafe: `{ast.unparse(expression)}` is no longer evaluated)",
                   (edit,), Applicability.UNSAFE)


def redaction_target(index, call, part: SecretPart):
    """``(node, span)``: the node whose value the redaction replaces, and for an
    f-string field the span of that field (None otherwise); None when no
    redaction keeps the call working."""
    node = part.node
    if part.fstring is not None:
        return node, _FIELD
    call_node = call.node
    outermost_field = None  # node positions inside f-strings are unreliable before Python 3.12
    for ancestor in index.ancestors(node):
        if ancestor is call_node:
            break
        if isinstance(ancestor, ast.FormattedValue) and not isinstance(index.parent(index.parent(ancestor)),
                                                                       ast.FormattedValue):
            outermost_field = ancestor
    if outermost_field is not None:
        return outermost_field, _FIELD
    first_format_arg = None if call.level in ("print", "print_exc") else (2 if call.level == "log" else 1)
    while True:
        parent = index.parent(node)
        if parent is None or isinstance(node, ast.Starred):
            return None
        if parent is call_node:
            if first_format_arg is None:
                return node, None
            positions = [i for i, a in enumerate(call_node.args) if a is node]
            if not positions:
                return node, None  # a keyword's value (``extra``)
            position = positions[0]
            if position < first_format_arg:  # the message itself
                return (node, None) if len(call_node.args) == position + 1 else None
            template = _const_str(call_node.args[first_format_arg - 1])
            fields = percent_fields(template) if template is not None else None
            if fields is None or position - first_format_arg >= len(fields):
                return None
            return (node, None) if fields[position - first_format_arg].type in "sra" else None
        if isinstance(parent, ast.keyword) and index.parent(parent) is call_node:
            # logging reads `extra=` as a mapping: a string there fails in the call
            return (node, None) if parent.arg != "extra" else None
        if isinstance(parent, ast.FormattedValue):
            return parent, _FIELD
        if isinstance(parent, (ast.Tuple, ast.List, ast.Set)) and any(e is node for e in parent.elts):
            holder = index.parent(parent)
            if isinstance(holder, ast.BinOp) and isinstance(holder.op, ast.Mod) and holder.right is parent \
                    and isinstance(parent, ast.Tuple):
                template = _const_str(holder.left)
                fields = percent_fields(template) if template is not None else None
                position = [i for i, e in enumerate(parent.elts) if e is node][0]
                if fields is None or position >= len(fields) or fields[position].type not in "sra":
                    node = holder
                    continue
                return node, None
            if _formatted_whole(index, parent, call_node):
                return node, None
            node = parent
            continue
        if isinstance(parent, ast.Dict) and any(v is node for v in parent.values) \
                and _formatted_whole(index, parent, call_node):
            return node, None
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) and parent.right is node \
                and _const_str(parent.left) is not None:
            fields = percent_fields(_const_str(parent.left))
            if fields is not None and len(fields) == 1 and fields[0].type in "sra" \
                    and not isinstance(node, (ast.Tuple, ast.Dict)):
                return node, None
        node = parent


_FIELD = ("field",)


def _formatted_whole(index, container: ast.AST, call_node: ast.Call) -> bool:
    """Whether ``container`` is only formatted: it stands, through other displays,
    as an argument of the call (or an f-string field), never inside an operation."""
    node = container
    while True:
        parent = index.parent(node)
        if parent is call_node or isinstance(parent, ast.FormattedValue):
            return True
        if isinstance(parent, ast.keyword) and index.parent(parent) is call_node:
            return True
        if isinstance(parent, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            node = parent
            continue
        return False
