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
Safe: the lazy form formats the same values into the line, and only when the
level is enabled. Literal `%` in the text is doubled. Not offered when the call
already has format arguments or a placeholder has a format spec `%` cannot
express.
"""

from __future__ import annotations

import ast
import builtins
from typing import Iterator

import re

from ..edits import Applicability, Edit, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import (_percent_spec, lazy_edit, lazy_from_fstring, logging_model, quote_of, source_of,
                             string_literal)

_PERCENT = re.compile(r"%%|%[-+ 0#]*\d*(?:\.\d+)?[sdirfFeEgGxXoac]")

_BUILTINS = set(dir(builtins))


@register
class MissingFPrefix(Rule):
    code = "LIME303"
    name = "missing-f-prefix"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = logging_model(ctx)
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
            scope = model.scopes.get(id(call.function)) if call.function is not None else None
            bound = (scope.bound if scope else set()) | model.module_bound
            roots = [self._root(f.value) for f in fields]
            names = {n.id for f in fields for n in ast.walk(f.value) if isinstance(n, ast.Name)}
            if any(r is not None and r not in bound for r in roots) or not (names & bound) \
                    or any(n not in bound and n not in _BUILTINS for n in names):
                continue
            fix = None
            positional = call.node.args[1] if call.level == "log" and len(call.node.args) > 1 else (
                call.node.args[0] if call.node.args else None)
            if message is positional:
                fix = self._fix(ctx, call, message, parsed)
            names = ", ".join(f"`{{{ast.unparse(f.value)}}}`" for f in fields)
            yield self.violation(
                ctx, message,
                f"Log message has placeholders {names} but no `f` prefix: they are logged literally",
                fix)

    @staticmethod
    def _fix(ctx: RuleContext, call, message: ast.Constant, parsed: ast.JoinedStr) -> Fix | None:
        existing = call.format_args
        if not existing:
            lazy = lazy_from_fstring(parsed)
            if lazy is None:
                return None
            edit = lazy_edit(ctx.document, message, lazy)
        else:
            # The call already formats `%` placeholders: keep them, and put each new
            # argument where its field stands among them.
            if any(isinstance(a, ast.Starred) for a in existing):
                return None
            sources = [source_of(ctx.document, a) for a in existing]
            text: list[str] = []
            args: list[str] = []
            for value in parsed.values:
                if isinstance(value, ast.Constant):
                    part = str(value.value)
                    count = len([m for m in _PERCENT.findall(part) if m != "%%"])
                    text.append(part)
                    args.extend(sources[:count])
                    sources = sources[count:]
                    continue
                placeholder = _percent_spec(value.conversion, value.format_spec)  # type: ignore[union-attr]
                if placeholder is None:
                    return None
                text.append(placeholder)
                args.append(ast.unparse(value.value))  # type: ignore[union-attr]
            args.extend(sources)
            start, _ = ctx.range(message)
            _, end = ctx.range(existing[-1])
            quote = quote_of(ctx.text(message))
            edit = Edit(start, end, ", ".join([string_literal("".join(text), quote), *args]))
        return Fix("Pass the values as lazy log arguments", (edit,), Applicability.SAFE)

    @staticmethod
    def _root(node: ast.AST) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None
