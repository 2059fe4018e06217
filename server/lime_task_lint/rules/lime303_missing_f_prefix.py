"""LIME303 missing-f-prefix: a log message with `{name}` placeholders and no `f`.

## What it does
Flags a log message literal containing `{name}` placeholders (also
`{name.attr}` and `{name[0]}`) that name variables in scope, without the `f`
prefix and without `.format(...)`.

## Why is this bad?
The log line shows the braces literally: `Deal sync failed with status
{response.status_code}`. The one piece of information the line was written
for is missing, and nobody notices until it is needed.

## Example
```python
except requests.RequestException:
    logger.warning("Deal sync failed with status {response.status_code}")
```

## Use instead
```python
except requests.RequestException:
    logger.warning("Deal sync failed with status %s", response.status_code)
```

## Fix safety
The fix passes each placeholder's expression as a lazy argument: code the
original never ran. Preconditions, in one place:

- every placeholder formats as the f-string would (the LIME306 rules: `!r`,
  `!s`, `!a`, or a spec proven for the value's type; else no fix);
- every name a placeholder reads is certainly bound where the call runs (not
  assigned in the `try` whose handler logs, in one branch only, or later in a
  loop), and names a value (not a module, function or class: `{json}` is
  more likely literal text);
- a placeholder calls nothing but `len`, `str`, `repr` (no other code runs);
- no placeholder reads a credential (by name or built from one, as LIME302
  sees it): the original logged the braces, the fix would log the secret;
- the call's existing `%` arguments can be matched to their placeholders.

Safe when every placeholder is a name that is certainly bound (reading it
cannot fail). Unsafe, with the hazard in its title, when a placeholder
reads an attribute, an item or calls `len`/`str`/`repr` (the read may raise
where the original logged literal text: the exception then leaves the except
block or stops the task), when a name may be unbound at that point
(`UnboundLocalError`), or when a type is known only from an annotation.
Withheld when a name is known to be something other than a value, when a
placeholder calls other code, or when the spec has no `%` equivalent.
In every case the logged text changes on purpose: the values replace the
braces.
"""

from __future__ import annotations

import ast
import builtins
from typing import Iterator

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..log_format import percent_fields
from ..logging_model import (Withheld, argument_span, kind_resolver, lazy_edit, lazy_from_fstring,
                             logging_model, quote_of, secret_parts, source_of, string_literal)
from .lime302_secret_in_log import function_taints

_BUILTINS = set(dir(builtins))
#: Calls a placeholder may make: they run no user code on the values logged.
_PURE_CALLS = {"len", "str", "repr"}


@register
class MissingFPrefix(Rule):
    code = "LIME303"
    name = "missing-f-prefix"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = logging_model(ctx)
        index = model.index
        for call in model.calls:
            message = call.message
            if not isinstance(message, ast.Constant) or not isinstance(message.value, str) \
                    or "{" not in message.value:
                continue
            source = ctx.text(message)
            if not source or source[0] not in "\"'rR":
                continue
            try:
                parsed = ast.parse("(f" + source + ")", mode="eval").body
            except (SyntaxError, ValueError):
                continue
            if not isinstance(parsed, ast.JoinedStr):
                continue
            fields = [v for v in parsed.values if isinstance(v, ast.FormattedValue)]
            if not fields:
                continue
            names = [n.id for f in fields for n in ast.walk(f.value) if isinstance(n, ast.Name)]
            roots = [self._root(f.value) for f in fields]
            known = [n for n in names if index.resolve(n, call.node) is not None]
            if not known or any(n not in known and n not in _BUILTINS for n in names) \
                    or any(r is not None and r not in known for r in roots):
                continue
            fix, why_not = None, "the message is not the first argument"
            positional = call.node.args[1] if call.level == "log" and len(call.node.args) > 1 else (
                call.node.args[0] if call.node.args else None)
            if message is positional:
                fix, why_not = self._fix(ctx, call, message, parsed, fields)
            listed = ", ".join(f"`{{{ast.unparse(f.value)}}}`" for f in fields)
            text = f"Log message has placeholders {listed} but no `f` prefix: they are logged literally"
            if fix is None and why_not:
                text += f" (no automatic fix: {why_not})"
            yield self.violation(ctx, message, text, fix)

    def _preconditions(self, ctx: RuleContext, call, fields: list[ast.FormattedValue]) -> tuple[list[str], str | None]:
        """(hazards, reason to withhold) of evaluating the placeholders at the call."""
        index = logging_model(ctx).index
        taints = function_taints(ctx).get(id(call.function) if call.function else None, {})
        hazards: list[str] = []
        for field in fields:
            expr = field.value
            what = ast.unparse(expr)
            if secret_parts(expr, taints):
                return hazards, f"`{{{what}}}` would write a credential to the log (LIME302)"
            called = {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
            for node in ast.walk(expr):
                if isinstance(node, ast.Call):
                    if not (isinstance(node.func, ast.Name) and node.func.id in _PURE_CALLS
                            and index.resolve(node.func.id, call.node) is None):
                        return hazards, f"`{{{what}}}` calls code the original never ran"
                elif isinstance(node, ast.Name):
                    if id(node) in called:
                        continue
                    scope = index.resolve(node.id, call.node)
                    bindings = scope.bindings.get(node.id, []) if scope is not None else []
                    if bindings and all(isinstance(b, (ast.alias, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                                        for b in bindings):
                        return hazards, f"`{node.id}` names a module, function or class, not a value"
                    if not index.definitely_bound(node.id, call.node):
                        hazards.append(f"`{node.id}` may be unbound here: the log line would raise "
                                       "UnboundLocalError")
            if not isinstance(expr, ast.Name):
                hazards.append(f"evaluates `{what}` where the original logged text: an error reading it "
                               "now raises at the log call")
        return hazards, None

    def _fix(self, ctx: RuleContext, call, message: ast.Constant, parsed: ast.JoinedStr,
             fields: list[ast.FormattedValue]) -> tuple[Fix | None, str | None]:
        hazards, withheld = self._preconditions(ctx, call, fields)
        if withheld:
            return None, withheld
        existing = call.format_args
        lazy = lazy_from_fstring(parsed, None, kind_resolver(ctx), ctx.settings.python_version, call.node)
        if isinstance(lazy, Withheld):
            return None, str(lazy)
        hazards = hazards + lazy.hazards
        if not existing:
            edit = lazy_edit(ctx.document, call.node, message, lazy)
        else:
            edit = self._merge(ctx, call, message, parsed, existing)
            if isinstance(edit, Withheld):
                return None, str(edit)
        if hazards:
            return Fix(f"Pass the values as lazy log arguments (unsafe: {hazards[0]})", (edit,),
                       Applicability.UNSAFE), None
        return Fix("Pass the values as lazy log arguments", (edit,), Applicability.SAFE), None

    @staticmethod
    def _merge(ctx: RuleContext, call, message: ast.Constant, parsed: ast.JoinedStr,
               existing: list[ast.expr]) -> Edit | Withheld:
        """The call already formats `%` placeholders: keep them, and put each new
        argument where its field stands among them."""
        if any(isinstance(a, ast.Starred) for a in existing):
            return Withheld("the call unpacks its arguments with `*`")
        sources = [source_of(ctx.document, a) for a in existing]
        text: list[str] = []
        args: list[str] = []
        for value in parsed.values:
            if isinstance(value, ast.Constant):
                part = str(value.value)
                placeholders = percent_fields(part)
                if placeholders is None:
                    return Withheld("the message's `%` placeholders cannot be matched to its arguments")
                text.append(part)
                args.extend(sources[:len(placeholders)])
                sources = sources[len(placeholders):]
                continue
            lazy = lazy_from_fstring(ast.JoinedStr([value]), None, kind_resolver(ctx), ctx.settings.python_version,
                                     call.node)
            if isinstance(lazy, Withheld):
                return lazy
            text.append(lazy.text)
            args.extend(lazy.args)
        if sources:
            return Withheld("the message has fewer `%` placeholders than arguments")
        start, _ = argument_span(ctx.document, call.node, message)
        _, end = ctx.range(existing[-1])
        quote = quote_of(ctx.text(message))
        return Edit(start, end, ", ".join([string_literal("".join(text), quote), *args]))

    @staticmethod
    def _root(node: ast.AST) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None
