"""LIME305 task-inputs-not-logged: a task that never logs its parameters.

## What it does
Flags a task with parameters (other than the application and credentials) of
which no log call in the task mentions any.

## Why is this bad?
When a task run goes wrong, the first question is what it was asked to do.
Tasks are started by schedules and other code; without a line with their
inputs the run cannot be reproduced.

## Example
```python
@task
def sync_deals(app, since, limit=500):
    ...
```

## Use instead
```python
@task
def sync_deals(app, since, limit=500):
    logger.info("sync_deals started: since=%s, limit=%s", since, limit)
    ...
```

## Fix safety
One `logger.info` in lazy form is inserted at the top of the task (after its
docstring); the module logger is added when missing (named so it hides no
parameter or local). What it logs, in one place:

- a parameter whose type is a scalar (annotated `int`, `float`, `str`,
  `bool`, `Decimal`, `date`, `datetime`, `UUID`, optionally `| None`; or
  unannotated with a literal scalar default): its value;
- a parameter annotated as a sized collection (`list`, `dict`, `set`,
  `tuple`, `frozenset`, `Sequence`, `Mapping`, their generic forms): its size,
  `len(rows)`, never its contents;
- never the application, `self`/`cls`, a parameter the secret rule would flag
  by name (`password`, `smtp_pass`, `conn_str`, `auth`, `dsn`, `api_key`, ...;
  see LIME302) or whose default is built from a secret or holds one in its
  text (`"Server=db;Password=..."`, `"https://user:pw@host"`), nor a parameter of
  unknown type (it could be a collection or carry a credential): these are
  left out and named in the fix's title.

Safe when it logs only scalars: the task gains one record, nothing else
changes. Unsafe when it logs a size: `len()` raises `TypeError` at the top of
the task if a caller passes something without a length (a generator, `None`)
despite the annotation. Not offered when nothing can be logged.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..edits import Applicability, Edit, Fix, indentation_of, with_newline
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..logging_model import (dotted, ensure_logger, is_credential_text, is_secret_name, logging_model,
                             secret_parts)
from .lime302_secret_in_log import function_taints


_SCALAR_TYPES = {"int", "float", "str", "bool", "Decimal", "date", "datetime", "time", "timedelta", "UUID"}
_SIZED_TYPES = {"list", "dict", "set", "tuple", "frozenset", "List", "Dict", "Set", "Tuple", "FrozenSet",
                "Sequence", "Mapping", "MutableSequence", "MutableMapping", "Collection", "AbstractSet"}


@dataclass(frozen=True)
class LoggedInput:
    """One parameter in the inputs line: ``expression`` is what is logged
    (``rows`` or ``len(rows)``), ``label`` its name in the text."""

    name: str
    expression: str
    label: str


def _type_name(annotation: ast.AST | None) -> tuple[str | None, bool]:
    """(the annotation's last name, whether it admits None)."""
    if annotation is None:
        return None, False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None, False
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        parts = [annotation.left, annotation.right]
        rest = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
        if len(rest) == 1 and len(parts) == 2:
            return _type_name(rest[0])[0], True
        return None, False
    if isinstance(annotation, ast.Subscript):
        head = (dotted(annotation.value) or "").split(".")[-1]
        if head == "Optional":
            return _type_name(annotation.slice)[0], True
        return head, False
    return (dotted(annotation) or "").split(".")[-1] or None, False


def classify_params(info, module_taints: dict[str, str] | None = None) -> tuple[list[LoggedInput], list[str]]:
    """(the inputs the fix logs, the parameters it leaves out) of a task."""
    node = info.node
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: dict[str, ast.expr | None] = {a.arg: None for a in [*positional, *args.kwonlyargs]}
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
        defaults[arg.arg] = default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        defaults[arg.arg] = default
    logged: list[LoggedInput] = []
    left_out: list[str] = []
    for arg in [*positional, *args.kwonlyargs]:
        name = arg.arg
        if name == info.app_param or name in ("self", "cls") or is_secret_name(name):
            continue
        default = defaults.get(name)
        if default is not None and (secret_parts(default, module_taints or {}) or any(
                isinstance(n, ast.Constant) and is_credential_text(n.value) for n in ast.walk(default))):
            continue  # its default is a credential: so may the value be
        type_name, optional = _type_name(arg.annotation)
        if default is not None and isinstance(default, ast.Constant) and default.value is None:
            optional = True
        if type_name in _SCALAR_TYPES or (type_name is None and arg.annotation is None and isinstance(
                default, ast.Constant) and isinstance(default.value, (int, float, str, bool))):
            logged.append(LoggedInput(name, name, f"{name}=%s"))
        elif type_name in _SIZED_TYPES and not optional:
            logged.append(LoggedInput(name, f"len({name})", f"{name}=%s items"))
        else:
            left_out.append(name)
    left_out += [a.arg for a in (args.vararg, args.kwarg) if a is not None and not is_secret_name(a.arg)]
    return logged, left_out


def loggable_params(info) -> list[str]:
    """The parameters a log line could name (all but the application, self/cls and secrets)."""
    args = info.node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n != info.app_param and n not in ("self", "cls") and not is_secret_name(n)]


def inputs_log_line(logger: str, task_name: str, inputs: list[LoggedInput]) -> str:
    listed = ", ".join(i.label for i in inputs)
    return f'{logger}.info("{task_name} started: {listed}", {", ".join(i.expression for i in inputs)})'


def inputs_insertion(ctx, info, logger: str, inputs: list[LoggedInput]) -> Edit | None:
    """The edit inserting the inputs line at the top of ``info``'s body, or None."""
    document = ctx.document
    body = info.node.body
    if not body or not inputs:
        return None
    first = body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    index = document.index
    def_line = index.line_of(document.node_range(info.node)[0] if not info.node.decorator_list
                             else index.from_ast(info.node.lineno, info.node.col_offset))
    start, _ = document.node_range(first)
    if index.line_of(start) == def_line:
        return None  # a one-line function: no place for a new line
    indent = indentation_of(document.text, start)
    line = indent + inputs_log_line(logger, info.name, inputs) + "\n"
    if has_docstring:
        _, end = document.node_range(first)
        row = index.line_of(end)
        rest = index.line_text(row)[end - index.line_starts[row]:]
        if rest.strip() and not rest.strip().startswith("#"):
            return None
        if row + 1 >= index.line_count:
            return Edit(len(document.text), len(document.text), with_newline("\n" + line, document.newline))
        offset = index.line_starts[row + 1]
    else:
        offset = index.line_starts[index.line_of(start)]
        if document.text[offset:start].strip():
            return None
    return Edit(offset, offset, with_newline(line, document.newline))


@register
class TaskInputsNotLogged(Rule):
    code = "LIME305"
    name = "task-inputs-not-logged"
    severity = Severity.INFORMATION
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        tasks = ctx.model.tasks()
        if not tasks:
            return
        model = logging_model(ctx)
        for info in tasks:
            params = loggable_params(info)
            if not params:
                continue
            logged = False
            for call in model.calls_in(info.node):
                if not call.is_log:
                    continue
                if any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(call.node)):
                    logged = True
                    break
            if logged:
                continue
            fix = self._fix(ctx, info)
            start = ctx.document.index.from_ast(info.node.lineno, info.node.col_offset)
            name_at = ctx.document.text.find(info.name, start)
            span = (name_at, name_at + len(info.name)) if name_at >= 0 else ctx.range(info.node)
            yield self.violation(
                ctx, span,
                f"Task `{info.name}` never logs its inputs ({', '.join(params)}); log them when it starts",
                fix, params=params)

    @staticmethod
    def _fix(ctx: RuleContext, info) -> Fix | None:
        model = logging_model(ctx)
        inputs, left_out = classify_params(info, function_taints(ctx).get(None, {}))
        if not inputs:
            return None
        logger, edits = ensure_logger(ctx, model, [info.node.body[0]])
        insertion = inputs_insertion(ctx, info, logger, inputs)
        if insertion is None:
            return None
        title = "Log the task's inputs"
        if left_out:
            title += f" (not {', '.join(f'`{n}`' for n in left_out)}: type unknown)"
        sized = [i.name for i in inputs if i.expression != i.name]
        if sized:
            return Fix(f"{title} (unsafe: `len({sized[0]})` raises if a caller passes no sized collection)",
                       tuple(edits + [insertion]), Applicability.UNSAFE)
        return Fix(title, tuple(edits + [insertion]), Applicability.SAFE)
