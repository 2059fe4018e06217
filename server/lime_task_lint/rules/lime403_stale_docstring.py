'''LIME403 stale-docstring: the docstring's Args, Returns, Yields or Raises disagree with the code.

## What it does
Flags a function (task, helper, method or nested function) whose docstring has
sections (google `Args:`, numpy `Parameters` / `-------`, or sphinx
`:param x:` fields; the style is detected from the docstring) that no longer
match its code: a parameter that is not documented or no longer exists, a type
that differs from the annotation, a Returns section on a function that returns
nothing (or none on one that returns a value), Returns where the function now
yields, or an exception that escapes the function (raised by it, or by a
helper of the same module it calls without catching) and is not documented.
A docstring without any of those sections (just a summary, or only sections
such as `Note:` or `Example:`, as property docstrings often have) is not
checked: it documents nothing of the signature that could go stale. An empty
docstring is.

## Why is this bad?
A docstring that lists a parameter that was renamed, or says a helper returns
a list after it became a generator, is worse than none: the next reader
trusts it. In task code it misleads the person reading a failed night run.

## Example
```python
def fetch_rows(api, since: str, page_size: int = 100) -> Iterator[dict]:
    """Rows changed since ``since``.

    Args:
        api: The ERP client.
        since: ISO date.

    Returns:
        list: The rows.
    """
    ...
    yield row
```

## Use instead
```python
def fetch_rows(api, since: str, page_size: int = 100) -> Iterator[dict]:
    """Rows changed since ``since``.

    Args:
        api: The ERP client.
        since (str): ISO date.
        page_size (int, optional): Page size. Defaults to 100.

    Yields:
        dict: The rows.
    """
    ...
    yield row
```

## Fix safety
Safe: the fix rewrites only the docstring, in place and in its own style,
keeping every sentence the author wrote for what still exists; it adds the
missing entries, described from the code as LIME401's generated docstrings
are (a `TODO:` where the code says nothing certain), splices types, renames
Returns/Yields and drops entries of parameters that are gone. Documented
exceptions the function does not visibly raise are kept: they may come from
code in other modules, which the analysis cannot see.
'''

from __future__ import annotations

from typing import Iterator

from ..docstrings import docstring_node, documents_signature, stale_reasons
from ..docstrings.editing import known_descriptions, raise_analysis, update_edit
from ..edits import Applicability, Fix
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register


@register
class StaleDocstring(Rule):
    code = "LIME403"
    name = "stale-docstring"
    severity = Severity.WARNING
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        document = ctx.document
        for info in ctx.model.functions.values():
            node = info.node
            literal = docstring_node(node)
            if literal is None:
                continue
            if literal.value.strip() and not documents_signature(literal.value):
                continue  # a summary (or Note:/Example: only): nothing that can go stale
            reasons = stale_reasons(node, ctx.tree, is_method=info.is_method, is_task=info.is_task,
                                    prune_raises=False, analysis=raise_analysis(ctx.tree))
            if not reasons:
                continue
            edit = update_edit(document, ctx.tree, node, style=ctx.settings.docstring_style,
                               is_task=info.is_task, is_method=info.is_method, prune_raises=False,
                               described=known_descriptions(info)) \
                if document.parses else None  # see LIME401: fixes in a broken file cost a re-parse each
            fix = Fix("Update the docstring", (edit,), Applicability.SAFE) if edit is not None else None
            start, end = ctx.range(literal)
            index = document.index
            line = index.line_of(start)
            line_end = index.line_starts[line] + len(index.line_text(line))
            shown = "; ".join(reasons[:3]) + (f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else "")
            yield self.violation(
                ctx, (start, max(start, min(end, line_end))),
                f"the docstring of `{info.name}` is out of date: {shown}",
                fix, function=info.qualname, reasons=reasons,
            )
