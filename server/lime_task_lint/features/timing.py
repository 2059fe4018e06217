"""Timing code actions: "Measure this block" and "Time each step of this task".

"Measure this block" works on a selection of whole statements of one body in
a function: it starts a ``time.perf_counter()`` timer before them and logs the
duration after them, named after the code (the called function, else the
assigned name, else the loop's iterable).  When the block can leave early
(``return``, or ``break`` / ``continue`` of an outer loop) the statements are
wrapped in ``try`` / ``finally`` so the duration is still logged; the action
is not offered then if re-indenting would change a multi-line string.

"Time each step of this task" times every top-level statement group of a task
(statements not separated by a blank line; a compound statement is a group of
its own; groups without a call are not timed) and adds one summary line with
the task's total before its final ``return``.

``import time`` and the module logger are added once.  Neither action is
offered on code that is already timed, so running one twice does not nest
timers, nor when the edited code would not parse (checked on the top-level
statements the edits touch).
"""

from __future__ import annotations

import ast
import re

from ..analysis import Analysis
from ..checker import fix_parses_locally
from ..edits import Applicability, Edit, Fix, fix_is_acceptable, import_edit, indentation_of, with_newline
from ..extensions import ProvidedAction, action_provider
from ..logging_model import call_name, dotted, ensure_logger, logging_model, merge_insertions
from ..roundtrips import document_indent_unit

KIND = "refactor.rewrite"
_BODY_FIELDS = ("body", "orelse", "finalbody")
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


# -- naming ------------------------------------------------------------------------
def _slug(text: str) -> str:
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return slug[:30] or "block"


def block_label(statements: list[ast.stmt]) -> str:
    """A short name for what the statements do, taken from the code: from the first
    statement that calls something (not a log call), else from the first."""
    for stmt in statements:
        value = getattr(stmt, "value", None)
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.Expr)) and isinstance(value, (ast.Call, ast.Await)) \
                and call_name(value.value if isinstance(value, ast.Await) else value) not in (
                    "debug", "info", "warning", "error", "exception", "print"):
            return _statement_label(stmt)
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Pass)):
            return _statement_label(stmt)
    return _statement_label(statements[0])


def _statement_label(first: ast.stmt) -> str:
    if isinstance(first, (ast.For, ast.AsyncFor)):
        iterable = call_name(first.iter) or dotted(first.iter) or "items"
        target = dotted(first.target) if isinstance(first.target, ast.Name) else None
        return f"{target} loop" if target else f"loop over {iterable}"
    if isinstance(first, ast.While):
        return "while loop"
    if isinstance(first, (ast.With, ast.AsyncWith)):
        name = call_name(first.items[0].context_expr)
        return f"with {name}" if name else "with block"
    if isinstance(first, ast.Try):
        return block_label(first.body) if first.body else "try block"
    if isinstance(first, ast.If):
        return block_label(first.body) if first.body else "if block"
    value = getattr(first, "value", None)
    called = call_name(value) if isinstance(value, ast.Call) else None
    if isinstance(value, ast.Await):
        called = call_name(value.value)
    if called in ("list", "dict", "set", "tuple", "sorted", "len") and isinstance(value, ast.Call) and value.args:
        called = call_name(value.args[0]) or called
    if called:
        return called
    if isinstance(first, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = first.targets if isinstance(first, ast.Assign) else [first.target]
        name = dotted(targets[0])
        if name:
            return name
    return type(first).__name__.lower()


# -- detection of existing timers ------------------------------------------------------
def _is_perf_counter(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and call_name(node) == "perf_counter"


def is_timer_start(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _is_perf_counter(stmt.value)


def is_duration_log(stmt: ast.stmt) -> bool:
    """A statement that logs ``perf_counter() - start``."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and _is_perf_counter(n.left)
               for n in ast.walk(stmt.value))


def _is_timed(statements: list[ast.stmt]) -> bool:
    return any(is_timer_start(s) or is_duration_log(s) for s in statements)


# -- finding the selected statements ---------------------------------------------------
def _bodies(node: ast.AST) -> list[list[ast.stmt]]:
    bodies = [getattr(node, f) for f in _BODY_FIELDS if isinstance(getattr(node, f, None), list)]
    bodies.extend(h.body for h in getattr(node, "handlers", []))
    bodies.extend(c.body for c in getattr(node, "cases", []))
    return [b for b in bodies if b and isinstance(b[0], ast.stmt)]


def _function_at(analysis: Analysis, start: int, end: int) -> ast.AST | None:
    best = None
    for info in analysis.model.functions.values():
        s, e = analysis.document.node_range(info.node)
        if s <= start and end <= e and (best is None or s >= analysis.document.node_range(best)[0]):
            best = info.node
    return best


def selected_statements(analysis: Analysis, start: int, end: int) -> tuple[list[ast.stmt], list[ast.stmt], ast.AST] | None:
    """(the body, the selected statements of it, the function) or None."""
    document = analysis.document
    if end <= start:
        return None
    function = _function_at(analysis, start, end)
    if function is None:
        return None
    body = function.body  # type: ignore[attr-defined]
    while True:
        touched = []
        for stmt in body:
            s, e = document.node_range(stmt)
            if s < end and start < e:
                touched.append(stmt)
        if not touched:
            return None
        if len(touched) == 1 and not isinstance(touched[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = None
            for sub in _bodies(touched[0]):
                s = document.node_range(sub[0])[0]
                e = document.node_range(sub[-1])[1]
                line_start = document.index.line_starts[document.index.line_of(s)]
                if line_start <= start and end <= e + 1 and not (start <= document.node_range(touched[0])[0]):
                    inner = sub
            if inner is not None:
                body = inner
                continue
        if any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for s in touched):
            return None
        if any(_is_elif(document, s) for s in touched):
            return None  # an `elif` is a clause of the `if` above, not a statement of its own
        return body, touched, function


def _is_elif(document, stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    start = document.node_range(stmt)[0]
    return document.text.startswith("elif", start)


# -- building the edits ----------------------------------------------------------------
def _names_in(function: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
    names |= {a.arg for a in ast.walk(function) if isinstance(a, ast.arg)}
    return names


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    taken.add(name)
    return name


def _leaves_early(analysis: Analysis, statements: list[ast.stmt]) -> bool:
    """True when control can leave the block before its end (return, or break /
    continue of a loop outside it); nested functions and classes do not count."""
    index = analysis.context.index
    selected = {id(s) for s in statements}
    owner = index.function_of(statements[0]) or index.tree
    for node in index.own_nodes(owner):
        if not isinstance(node, (ast.Return, ast.Break, ast.Continue)):
            continue
        current = node
        while id(current) not in selected:
            parent = index.parent(current)
            if parent is None:
                break  # not in the block
            if isinstance(node, (ast.Break, ast.Continue)) and isinstance(parent, _LOOPS) \
                    and index.field_of(current) == "body":
                break  # it stops or continues a loop of the block (an ``else`` is not the loop's)
            current = parent
        else:
            return True
    return False


def _has_multiline_string(statements: list[ast.stmt]) -> bool:
    for stmt in statements:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and isinstance(getattr(node, "value", ""), (str, list)) \
                    and getattr(node, "end_lineno", node.lineno) != node.lineno:
                return True
    return False


def _line_span(analysis: Analysis, statements: list[ast.stmt]) -> tuple[int, int] | None:
    """Offsets of the start of the first statement's line and of the line after the
    last statement, or None when other code shares those lines."""
    document = analysis.document
    index = document.index
    start = document.node_range(statements[0])[0]
    end = document.node_range(statements[-1])[1]
    first_line = index.line_of(start)
    line_start = index.line_starts[first_line]
    if document.text[line_start:start].strip():
        return None
    last_line = index.line_of(end)
    rest = index.line_text(last_line)[end - index.line_starts[last_line]:].strip()
    if rest and not rest.startswith("#"):
        return None
    after = index.line_starts[last_line + 1] if last_line + 1 < index.line_count else len(document.text)
    return line_start, after


def _support_edits(analysis: Analysis, at: ast.AST) -> tuple[str, list[Edit]]:
    """The logger name (one ``at`` sees: no parameter or local hides it) and the
    edits adding ``import time`` and the logger when missing."""
    document = analysis.document
    logger, edits = ensure_logger(document, logging_model(analysis.context), [at])
    time_import = import_edit(document.text, document.tree, "time", newline=document.newline)
    if time_import is not None:
        edits = [time_import, *edits]
    return logger, merge_insertions(edits)


def edits_parse(analysis: Analysis, edits: list[Edit]) -> bool:
    """True when the edited document parses (or, for a document being edited that
    does not parse, gets no new broken statement): checked on the top-level
    statements the edits touch, the whole text only when that cannot prove it."""
    document = analysis.document
    edits = tuple(edits)
    try:
        if fix_parses_locally(document, edits):
            return True
    except Exception:  # an odd document: fall back to the whole-text check
        pass
    return fix_is_acceptable(document.text, Fix("timing", edits, Applicability.SAFE))


def _ends_without_newline(analysis: Analysis, after: int) -> bool:
    text = analysis.document.text
    return after == len(text) and not text.endswith(("\n", "\r"))


def timer_edits(analysis: Analysis, statements: list[ast.stmt], label: str, timer: str, logger: str,
                message: str | None = None) -> list[Edit] | None:
    """Edits that time ``statements`` with the variable ``timer``."""
    document = analysis.document
    span = _line_span(analysis, statements)
    if span is None:
        return None
    line_start, after = span
    indent = indentation_of(document.text, document.node_range(statements[0])[0])
    nl = document.newline
    text = message or f"{label} took %.3f s"
    start_line = f"{indent}{timer} = time.perf_counter()\n"
    log_line = f'{logger}.info("{text}", time.perf_counter() - {timer})'
    lead = "\n" if _ends_without_newline(analysis, after) else ""
    if not _leaves_early(analysis, statements):
        return [Edit(line_start, line_start, with_newline(start_line, nl)),
                Edit(after, after, with_newline(f"{lead}{indent}{log_line}\n", nl))]
    if _has_multiline_string(statements):
        return None
    unit = document_indent_unit(document)
    block = document.text[line_start:after]
    lines = block.splitlines(keepends=True)
    indented = "".join(unit + line if line.strip() else line for line in lines)
    if lead:
        indented += nl
    new = with_newline(f"{start_line}{indent}try:\n", nl) + indented + with_newline(
        f"{indent}finally:\n{indent}{unit}{log_line}\n", nl)
    return [Edit(line_start, after, new)]


@action_provider
def measure_block(analysis: Analysis, start: int, end: int) -> list[ProvidedAction]:
    found = selected_statements(analysis, start, end)
    if found is None:
        return []
    body, statements, function = found
    if _is_timed(statements):
        return []
    position = next(i for i, s in enumerate(body) if s is statements[0])
    last = position + len(statements) - 1
    if position > 0 and is_timer_start(body[position - 1]) and last + 1 < len(body) and is_duration_log(body[last + 1]):
        return []  # already measured
    parent = analysis.context.index.parent(statements[0])
    if isinstance(parent, ast.Try) and parent.body is body and len(statements) == len(body) \
            and parent.finalbody and is_duration_log(parent.finalbody[0]):
        return []  # already measured with try/finally
    label = block_label(statements)
    timer = _unique(f"{_slug(label)}_started", _names_in(function))
    logger, support = _support_edits(analysis, statements[0])
    edits = timer_edits(analysis, statements, label, timer, logger)
    if edits is None:
        return []
    edits = merge_insertions(support + edits)
    if not edits_parse(analysis, edits):
        return []
    return [ProvidedAction("Measure this block", KIND, edits)]


# -- time each step ----------------------------------------------------------------------
def step_groups(analysis: Analysis, body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Top-level statement groups: runs of simple statements not separated by a blank
    line; each compound statement is a group of its own."""
    document = analysis.document
    index = document.index
    groups: list[list[ast.stmt]] = []
    current: list[ast.stmt] = []
    previous_end_line = None
    for stmt in body:
        start_line = index.line_of(document.node_range(stmt)[0])
        compound = isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.If))
        blank_before = previous_end_line is not None and any(
            not index.line_text(row).strip() for row in range(previous_end_line + 1, start_line))
        if current and (compound or blank_before or _is_compound(current[-1])):
            groups.append(current)
            current = []
        current.append(stmt)
        previous_end_line = index.line_of(document.node_range(stmt)[1])
    if current:
        groups.append(current)
    return groups


def _is_compound(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.If))


def _is_log_statement(analysis: Analysis, stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    return any(c.node is stmt.value and c.is_log for c in logging_model(analysis.context).calls)


@action_provider
def time_each_step(analysis: Analysis, start: int, end: int) -> list[ProvidedAction]:
    info = None
    for task in analysis.model.tasks():
        s, e = analysis.document.node_range(task.node)
        if s <= start <= e and s <= end <= e:
            info = task
    if info is None:
        return []
    body = list(info.node.body)
    if any(is_timer_start(s) or is_duration_log(s) for s in body):
        return []  # the task is already timed
    head = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        head = 1
    while head < len(body) and _is_log_statement(analysis, body[head]):
        head += 1
    steps_body = body[head:]
    final_return = steps_body[-1] if steps_body and isinstance(steps_body[-1], ast.Return) else None
    if final_return is not None:
        steps_body = steps_body[:-1]
    groups = [g for g in step_groups(analysis, steps_body)
              if any(_is_compound(s) for s in g) or any(isinstance(n, (ast.Call, ast.Await))
                                                         for s in g for n in ast.walk(s))]
    if not groups:
        return []
    taken = _names_in(info.node)
    logger, edits = _support_edits(analysis, info.node.body[0])
    document = analysis.document
    nl = document.newline
    task_timer = _unique(f"{_slug(info.name)}_started", taken)
    step_timer = _unique("step_started", taken)
    first_stmt = steps_body[0] if steps_body else (final_return or body[-1])
    span = _line_span(analysis, [first_stmt])
    if span is None:
        return []
    indent = indentation_of(document.text, document.node_range(first_stmt)[0])
    edits.append(Edit(span[0], span[0], with_newline(f"{indent}{task_timer} = time.perf_counter()\n", nl)))
    labels: set[str] = set()
    for group in groups:
        label = block_label(group)
        base, n = label, 2
        while label in labels:
            label = f"{base} ({n})"
            n += 1
        labels.add(label)
        group_edits = timer_edits(analysis, group, label, step_timer, logger, f"{info.name}: {label} took %.3f s")
        if group_edits is None:
            return []
        edits.extend(group_edits)
    summary = f'{indent}{logger}.info("{info.name} finished in %.3f s", time.perf_counter() - {task_timer})\n'
    if final_return is not None:
        ret_span = _line_span(analysis, [final_return])
        if ret_span is None:
            return []
        edits.append(Edit(ret_span[0], ret_span[0], with_newline(summary, nl)))
    else:
        after = _line_span(analysis, [body[-1]])
        if after is None:
            return []
        lead = "\n" if _ends_without_newline(analysis, after[1]) else ""
        edits.append(Edit(after[1], after[1], with_newline(lead + summary, nl)))
    edits = merge_insertions(edits)
    if not edits_parse(analysis, edits):
        return []
    return [ProvidedAction("Time each step of this task", KIND, edits)]
