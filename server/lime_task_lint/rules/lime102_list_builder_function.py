"""LIME102 list-builder-function: a helper that collects a whole read into a list and returns it.

## What it does
Flags a function that starts an empty local list, appends to it in a loop over
an unbounded Lime read (or another large source) and returns it. The message
gives the size of the returned list at the configured object count.

## Why is this bad?
The caller usually just loops over the result, yet the whole list exists at
once: with 250,000 persons even a list of names takes tens of MB, a list of
Lime objects hundreds. As a generator the function hands out one item at a
time and the task's peak memory no longer grows with the database.

## Example
```python
def active_person_names(app) -> list[str]:
    names = []
    for person in app.limetypes.person.get_all():
        if person.properties.active.value:
            names.append(person.properties.name.value)
    return names
```

## Use instead
```python
def active_person_names(app) -> Iterator[str]:
    for person in app.limetypes.person.get_all():
        if person.properties.active.value:
            yield person.properties.name.value
```

## Fix safety
The fix turns `names.append(x)` into `yield x` (`extend` into `yield from`),
removes the list and its `return`, changes a `list[T]` return annotation to
`Iterator[T]` (adding the import) and the docstring's Returns section to
Yields. Its preconditions are checked against the module's effects model:

- not offered when the list is used other than by `append`/`extend` (also in
  a nested function or lambda), when the function is decorated (a cache such
  as `@lru_cache` or a wrapper would keep or re-run one generator), when it
  writes to Lime (its writes would run only while it is iterated), when code
  after its loop has effects (it would run only once every item is taken; so
  do the `except`/`else`/`finally` blocks of a `try` around the loop, and a
  `with` around it, whose `__exit__` runs then), when
  the return annotation is not a list, or when any caller needs a list (`len`,
  indexing, truthiness, `in`, a second pass, storing or returning it) or may
  stop early while making an item has effects, or when a caller changes,
  before or while it iterates, an object it passed to the builder or a
  module-level name the builder reads (`options["skip"] = ...`,
  `DONE.add(...)`): the generator would read the new value; or when the
  builder changes what a caller passed (`tally["listed"] += 1`) or a module
  name and that caller reads it while iterating, or when a caller's consumer
  may not run at all;
- safe only when every caller in the workspace (found with jedi) iterates the
  result exactly once and laziness changes nothing the effects model sees
  there;
- unsafe, with the reason in the title, when the callers cannot all be found
  (jedi had no answer, the function is passed as a value, or a public function
  in a single-file run), when no caller is found, when code before its loop
  has effects (it would run at the first item instead of at the call), when
  the function calls code that is not visible (it would run while iterated),
  or when in a caller an error would move out of its `try` or into
  a `with` or `try` the call was not in, or the items would
  be made between writes of the consuming loop.

Behaviour changes an unsafe fix can cause: the builder's code runs while the
caller iterates (interleaved with the caller's loop body and its writes), not
at the call; an error while making an item surfaces in the caller's loop.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..checker import tree_cache
from ..collections_model import accumulator_estimate, iterable_source
from ..consumption import expression_use, laziness, name_consumption, used_by_nested_code
from ..docstrings import RaiseAnalysis, docstring_node, update_docstring
from ..edits import Applicability, Edit, Fix, apply_edits, import_edit
from ..effects import Effects, effects_for_tree
from ..framework import FixAvailability, Rule, RuleContext, Severity, Violation, register
from ..memory import format_bytes
from ..model import FunctionInfo, walk
from ..trees import nodes_of
from ..semantic import SyntaxIndex

#: A Returns section in google/numpy style or a sphinx ``:returns:`` / ``:rtype:`` field.
_RETURNS_SECTION = re.compile(r"^\s*(Returns?:|Returns?\s*\n\s*-{3,})|:returns?:|:rtype:", re.M)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class Builder:
    """The list-builder shape of one function."""

    name: str
    binding: ast.Assign
    appends: list[ast.Call]
    returns: list[ast.Return]
    loop: ast.For
    #: Why the function cannot be rewritten as a generator (empty: it can).
    blocker: str = ""


def builder_shape(info: FunctionInfo, index: SyntaxIndex) -> Builder | None:
    """``items = []``; ``items.append(x)`` in a loop; ``return items``: the shape, or None."""
    func = info.node
    if not func.body or not isinstance(func.body[-1], ast.Return):
        return None
    last = func.body[-1]
    if not isinstance(last.value, ast.Name):
        return None
    name = last.value.id
    binding = next((s for s in func.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name) and s.targets[0].id == name
                    and _is_empty_list(s.value)), None)
    if binding is None:
        return None
    appends: list[ast.Call] = []
    returns: list[ast.Return] = []
    blocker = ""
    loop: ast.For | None = None
    for node in index.own_nodes(func):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            blocker = blocker or "it already yields or awaits"
        if isinstance(node, ast.Return) and node is not last:
            if not (isinstance(node.value, ast.Name) and node.value.id == name):
                blocker = blocker or "it also returns something else"
            returns.append(node)
        if not isinstance(node, ast.Name) or node.id != name:
            continue
        parent = index.parent(node)
        if isinstance(node.ctx, ast.Store):
            if parent is not binding:
                blocker = blocker or f"`{name}` is assigned more than once"
            continue
        if isinstance(parent, ast.Return):
            continue
        if isinstance(parent, ast.Attribute) and parent.attr in ("append", "extend"):
            call = index.parent(parent)
            statement = index.parent(call) if call is not None else None
            if isinstance(call, ast.Call) and call.func is parent and len(call.args) == 1 and not call.keywords \
                    and isinstance(statement, ast.Expr):
                appends.append(call)
                enclosing = index.enclosing(call, (ast.For, ast.AsyncFor), stop=func)
                if enclosing is not None and loop is None:
                    loop = enclosing
                continue
        blocker = blocker or f"`{name}` is used other than by `append`/`extend` ({_describe(node, index)})"
    if not appends or loop is None:
        return None
    if used_by_nested_code(name, func, index):
        blocker = blocker or f"`{name}` is also used by a nested function or lambda"
    return Builder(name, binding, appends, returns + [last], loop, blocker)


def _describe(node: ast.AST, index: SyntaxIndex) -> str:
    use = expression_use(node, index)
    return use.reason or "copied to another name"


def _is_empty_list(value: ast.AST) -> bool:
    return isinstance(value, ast.List) and not value.elts or (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
        and not value.args and not value.keywords)


# -- callers -----------------------------------------------------------------------
def _callers(ctx: RuleContext, info: FunctionInfo) -> tuple[list, str]:
    """The call sites found (CallSite: path, tree, call) and, when they may not be
    all of them, why (empty: they are all the callers)."""
    path = ctx.document.path
    if ctx.workspace is not None and path:
        try:
            sites = ctx.workspace.callers(path, info.node, tree=ctx.tree)
        except Exception:  # jedi trouble: unknown, never "no callers"
            sites = None
        if sites is None:
            return [], "its callers cannot all be found"
        return sites, ""
    from ..workspace import CallSite

    sites = []
    for node in _name_loads(ctx.tree).get(info.name, []):
        parent = ctx.index.parent(node)
        if not (isinstance(parent, ast.Call) and parent.func is node):
            return sites, f"`{info.name}` is used as a value, so its callers cannot all be followed"
        sites.append(CallSite(path or "", ctx.tree, parent, ctx.document.text))
    if not info.name.startswith("_"):
        return sites, "callers in other modules are not searched in a single-file run"
    return sites, ""


_LOADS: dict[int, tuple[ast.AST, dict]] = {}
_PER_TREE: dict[tuple[int, str], tuple[ast.AST, object]] = {}


def _per_tree(tree: ast.AST, key: str, compute):
    """``compute()`` once per (syntax tree, key): shared by every finding of one analysis."""
    cached = _PER_TREE.get((id(tree), key))
    if cached is not None and cached[0] is tree:
        return cached[1]
    value = compute()
    if len(_PER_TREE) > 64:
        _PER_TREE.clear()
    _PER_TREE[(id(tree), key)] = (tree, value)
    return value


def _name_loads(tree: ast.AST) -> dict[str, list[ast.Name]]:
    """Every loaded name of the module, by name (one walk per tree, shared by all findings)."""
    cached = _LOADS.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    loads: dict[str, list[ast.Name]] = {}
    for node in nodes_of(tree, ast.Name):
        if isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            loads.setdefault(node.id, []).append(node)
    if len(_LOADS) > 64:
        _LOADS.clear()
    _LOADS[id(tree)] = (tree, loads)
    return loads


@tree_cache
def _release(tree: ast.AST) -> None:
    """Drop the caches' entries for ``tree`` (its analysis is done)."""
    for cache in (_LOADS,):
        cached = cache.get(id(tree))
        if cached is not None and cached[0] is tree:
            del cache[id(tree)]
    for key in [k for k, v in list(_PER_TREE.items()) if v[0] is tree]:
        _PER_TREE.pop(key, None)


def caller_verdict(site, builder_effects, module_names: Iterable[str] = ()) -> tuple[str, str]:
    """("once" | "hazard" | "list", reason) for one call site: whether the caller
    iterates the result exactly once, and what making the items lazily, while the
    caller consumes them, would change (``builder_effects``: the effects of the
    builder's loop, made one item at a time; ``module_names``: module-level names
    the builder reads, which it would read while the caller iterates, as it
    would the objects passed to it)."""
    effects = effects_for_tree(site.tree)
    index = effects.index
    func = index.enclosing(site.call, (ast.FunctionDef, ast.AsyncFunctionDef))
    # Named by function and file, not by line: a line number in the message would go
    # stale when an edit above moves the caller (and incremental analysis reuses it).
    where = f"`{func.name}`" if func is not None else "at module level"
    if site.path:
        where += f" in {Path(site.path).name}"
    use = expression_use(site.call, index)
    if use.kind == "assigned":
        if func is None:
            return "list", f"the caller {where} keeps the result"
        target = use.node.targets[0] if isinstance(use.node, ast.Assign) else None
        if target is None:
            return "list", f"the caller {where} binds the result with an annotation or `:=`"
        consumption = name_consumption(target.id, use.node, func, index)  # type: ignore[attr-defined]
        if not consumption.once:
            return "list", f"the caller {where} needs a list: {consumption.reason}"
        consumer = consumption.consumer
    elif use.kind == "iteration":
        consumer = use.node
    else:
        return "list", f"the caller {where} needs a list: {use.reason}"
    if func is not None:
        passed = {n.id for arg in [*site.call.args, *(k.value for k in site.call.keywords)]
                  for n in ast.walk(arg) if isinstance(n, ast.Name)}
        # The builder's changes to its parameters are changes to what this caller passed.
        changed = {name[len(_PARAMETER):] for name in builder_effects.mutates | builder_effects.may_mutate
                   if name.startswith(_PARAMETER)}
        if changed:
            builder_effects = dataclasses.replace(
                builder_effects,
                mutates=frozenset({n for n in builder_effects.mutates if not n.startswith(_PARAMETER)} | passed),
                may_mutate=frozenset(n for n in builder_effects.may_mutate if not n.startswith(_PARAMETER)))
        verdict = laziness(site.call, consumer, func, effects, item_effects=builder_effects,
                           late_names=passed | set(module_names))
        if verdict.blocker:
            return "list", f"in the caller {where}, {verdict.blocker}"
        if verdict.hazard:
            return "hazard", f"in the caller {where}, {verdict.hazard}"
    return "once", ""


# -- the rule ----------------------------------------------------------------------
@register
class ListBuilderFunction(Rule):
    code = "LIME102"
    name = "list-builder-function"
    severity = Severity.WARNING
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: RuleContext) -> Iterator[Violation]:
        model = ctx.model
        for info in model.functions.values():
            if info.is_task or info.class_name is not None or not info.direct.returns_appended_list:
                continue
            shape = builder_shape(info, ctx.index)
            if shape is None:
                continue
            source = iterable_source(model, info, shape.loop.iter, ctx.settings, workspace=ctx.workspace,
                                     path=ctx.document.path)
            if source is None or source.bounded:
                continue
            est = accumulator_estimate(model, info, shape.name, "list", ctx.settings, workspace=ctx.workspace,
                                       path=ctx.document.path)
            fix, why_not = self._fix(ctx, info, shape)
            size = f"{source.count:,} items (count from {source.count_source})"
            if est is not None:
                size = (f"up to {est.count:,} x {est.element_label} ≈ {format_bytes(est.estimate.total_bytes)}, "
                        f"{est.budget_share(ctx.settings):.0%} of the {ctx.settings.memory_budget_mb:g} MB budget "
                        f"(count from {est.count_source})")
            message = (f"`{info.name}` builds the list `{shape.name}` from every one of the {source.describe()} "
                       f"and returns it: {size}; make it a generator")
            if fix is None and why_not:
                message += f" (no fix: {why_not})"
            yield self.violation(ctx, _name_range(ctx, info.node), message, fix, function=info.name,
                                 limetype=source.limetype, count=source.count,
                                 bytes=est.estimate.total_bytes if est is not None else None)

    def _fix(self, ctx: RuleContext, info: FunctionInfo, shape: Builder) -> tuple[Fix | None, str]:
        """The generator fix and its preconditions (see Fix safety above), or why none.

        1. the builder's shape is plain: the list is only appended to (not in a
           nested function), not decorated (a cache or wrapper would keep or
           re-run the generator), no code with effects after its loop (it would
           run only when the generator is exhausted), and it does not write;
        2. every caller iterates the result exactly once, and laziness changes
           nothing the effects model can see there (see ``consumption.laziness``):
           code with effects before the loop would run at the first item.
        Unknown callers or unseen calls make it unsafe, named; false withholds it."""
        if shape.blocker:
            return None, shape.blocker
        func = info.node
        if func.decorator_list:
            return None, (f"it is decorated (`@{ctx.text(func.decorator_list[0])}`): a wrapper may cache, "
                          "retry or re-use the result, which a generator cannot be")
        effects = ctx.effects
        if effects.of_function(func).writes:
            return None, "it writes to Lime, and as a generator its writes would run only while it is iterated"
        before, after = _around_loop(func, shape)
        trailing = effects.of_block(after)
        if trailing.has_side_effects or trailing.raises:
            return None, ("code after its loop has effects, and as a generator it would run only when every "
                          "item has been taken")
        leading = effects.of_block(before)
        builder_effects = effects.of_block(shape.loop.body) | effects.of_node(shape.loop.iter)
        if effects.of_function(func).may_write:
            hazards = effects.of_function(func).hazards()
            lead_reason = f"as a generator, its calls would run while it is iterated: {hazards[0]}"
        elif leading.has_side_effects:
            lead_reason = "code before its loop would run at the first item instead of at the call"
        else:
            lead_reason = ""
        annotation = info.node.returns
        new_annotation = _iterator_annotation(ctx, annotation) if annotation is not None else None
        if annotation is not None and new_annotation is None:
            return None, "its return annotation is not a `list`"
        sites, unknown = _callers(ctx, info)
        applicability, reason = Applicability.SAFE, ""
        if lead_reason:
            applicability, reason = Applicability.UNSAFE, lead_reason
        if unknown:
            applicability, reason = Applicability.UNSAFE, unknown
        elif not sites:
            applicability, reason = Applicability.UNSAFE, "no caller was found to show how the result is used"
        builder_effects = _as_seen_by_callers(ctx, func, builder_effects)
        module_scope = ctx.index.scopes[0]
        module_names = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                        and ctx.index.resolve(n.id, n) is module_scope}
        for site in sites:
            verdict, why = caller_verdict(site, builder_effects, module_names)
            if verdict == "list":
                return None, why
            if verdict == "hazard" and applicability is Applicability.SAFE:
                applicability, reason = Applicability.UNSAFE, why
        edits = self._body_edits(ctx, shape)
        if edits is None:
            return None, "the list or its `return` shares a line with other code"
        if new_annotation is not None:
            edits.append(Edit(*ctx.range(annotation), new_annotation))  # type: ignore[arg-type]
            module = "typing" if any(isinstance(s, ast.ImportFrom) and s.module == "typing" for s in ctx.tree.body) \
                else "collections.abc"
            if "Iterator" not in ctx.model.imports:
                extra = _per_tree(ctx.tree, f"import {module}", lambda: import_edit(
                    ctx.document.text, ctx.tree, module, "Iterator", ctx.document.newline))
                if extra is not None:
                    edits.append(extra)
        doc_edit = self._docstring_edit(ctx, info, [e for e in edits])
        if doc_edit is not None:
            edits.append(doc_edit)
        title = f"Turn `{info.name}` into a generator (`yield`)"
        if reason:
            title += f"; {reason}"
        return Fix(title, tuple(edits), applicability), ""

    @staticmethod
    def _body_edits(ctx: RuleContext, shape: Builder) -> list[Edit] | None:
        edits: list[Edit] = []
        final = shape.returns[-1]
        for statement in (shape.binding, final):
            removed = _whole_lines(ctx, statement)
            if removed is None:
                return None
            edits.append(removed)
        for call in shape.appends:
            keyword = "yield" if call.func.attr == "append" else "yield from"  # type: ignore[attr-defined]
            edits.append(Edit(*ctx.range(call), f"{keyword} {ctx.text(call.args[0])}"))
        for statement in shape.returns[:-1]:
            edits.append(Edit(*ctx.range(statement), "return"))
        return edits

    @staticmethod
    def _docstring_edit(ctx: RuleContext, info: FunctionInfo, edits: list[Edit]) -> Edit | None:
        """The docstring updated for the generator (Returns -> Yields) by the docstring engine.

        Only the function's own lines are re-parsed (never the whole file: this runs
        per finding on every keystroke); the engine gets the module with the function
        swapped for its generator form, so same-module helpers still count."""
        literal = docstring_node(info.node)
        if literal is None or not _RETURNS_SECTION.search(literal.value):
            return None  # nothing says "returns": leave the author's docstring alone
        document, index = ctx.document, ctx.document.index
        func_start, func_end = ctx.range(info.node)
        first = index.line_of(func_start)
        last = index.line_of(func_end)
        begin = index.line_starts[first]
        end = index.line_starts[last + 1] if last + 1 < index.line_count else len(document.text)
        inside = [Edit(e.start - begin, e.end - begin, e.new_text) for e in edits if begin <= e.start and e.end <= end]
        snippet = apply_edits(document.text[begin:end], inside)
        prefix = "if 1:\n" if info.node.col_offset else ""
        try:
            snippet_tree = ast.parse(prefix + snippet)
        except (SyntaxError, ValueError):
            return None
        func = next((n for n in walk(snippet_tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and n.name == info.name), None)
        if func is None:
            return None
        module = ast.Module(body=[func if s is info.node else s for s in ctx.tree.body], type_ignores=[])
        start, end = ctx.range(literal)
        line_text = index.line_text(index.line_of(start))
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        try:
            updated = update_docstring(ctx.text(literal), func, module, style=ctx.settings.docstring_style,
                                       indent=indent, newline=document.newline,
                                       analysis=_per_tree(ctx.tree, "raises", lambda: RaiseAnalysis(ctx.tree)))
        except ValueError:
            return None
        if updated is None:
            return None
        return Edit(start, end, updated)


def _whole_lines(ctx: RuleContext, statement: ast.stmt) -> Edit | None:
    """An edit deleting the lines of ``statement`` when it is alone on them."""
    index = ctx.document.index
    start, end = ctx.range(statement)
    first, last = index.line_of(start), index.line_of(end)
    line_start = index.line_starts[first]
    if ctx.document.text[line_start:start].strip():
        return None
    rest = index.line_text(last)[end - index.line_starts[last]:]
    if rest.strip() and not rest.strip().startswith("#"):
        return None
    line_end = index.line_starts[last + 1] if last + 1 < index.line_count else len(ctx.document.text)
    return Edit(line_start, line_end, "")


def _iterator_annotation(ctx: RuleContext, annotation: ast.expr) -> str | None:
    """``Iterator[T]`` for ``list[T]`` / ``List[T]`` / ``typing.List[T]``, ``Iterator`` for ``list``."""
    node = annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
        inner = _iterator_annotation_of(node, lambda n: ast.unparse(n))
        quote = ctx.text(annotation)[:1] if ctx.text(annotation)[:1] in ("'", '"') else '"'
        return f"{quote}{inner}{quote}" if inner is not None and quote not in inner else None
    return _iterator_annotation_of(node, ctx.text)


def _iterator_annotation_of(node: ast.expr, text) -> str | None:
    def is_list(n: ast.AST) -> bool:
        return isinstance(n, ast.Name) and n.id in ("list", "List") or (
            isinstance(n, ast.Attribute) and n.attr == "List")
    if is_list(node):
        return "Iterator"
    if isinstance(node, ast.Subscript) and is_list(node.value):
        return f"Iterator[{text(node.slice)}]"
    return None


def _name_range(ctx: RuleContext, func: ast.AST) -> tuple[int, int]:
    """The function's name in its ``def`` line."""
    start, _ = ctx.range(func)
    index = ctx.document.index
    line = index.line_of(start)
    text = index.line_text(line)
    column = text.find(f"def {func.name}")  # type: ignore[attr-defined]
    if column < 0:
        return ctx.range(func)
    begin = index.line_starts[line] + column + 4
    return begin, begin + len(func.name)  # type: ignore[attr-defined]


#: Prefix of a parameter's name in a builder's effects as its callers see them.
_PARAMETER = "<parameter>"


def _as_seen_by_callers(ctx: RuleContext, func: ast.AST, effects: Effects) -> Effects:
    """The builder's effects without its own locals (callers never see them); a
    change of a parameter's object is kept as ``<parameter>name``."""
    scope = ctx.index.scope(func)
    if scope is None:
        return effects
    parameters = {a.arg for a in ast.walk(func.args) if isinstance(a, ast.arg)}  # type: ignore[attr-defined]
    local = {name for name in scope.bindings if scope.binds(name)}

    def seen(names: frozenset) -> frozenset:
        return frozenset(f"{_PARAMETER}{n}" if n in parameters else n for n in names
                         if n not in local or n in parameters)

    return dataclasses.replace(effects, rebinds=seen(effects.rebinds) - {f"{_PARAMETER}{p}" for p in parameters},
                               mutates=seen(effects.mutates), may_mutate=seen(effects.may_mutate),
                               consumes=seen(effects.consumes))


def _around_within(stmt: ast.stmt, loop: ast.AST) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """The code of a compound statement ``stmt`` that runs before and after the
    ``loop`` nested in it: the other statements of each block on the way down,
    split at the loop; ``except``/``else``/``finally`` blocks and other branches
    count as after (as a generator they would run only when the loop ends).  A
    ``with`` on the way counts whole as after: its ``__exit__`` runs then."""
    if stmt is loop:
        return [], []
    before: list[ast.stmt] = []
    after: list[ast.stmt] = []
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        after.append(stmt)
    blocks = [getattr(stmt, name, None) or [] for name in ("body", "orelse", "finalbody")]
    blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
    for block in blocks:
        holder = next((child for child in block if child is loop or any(n is loop for n in ast.walk(child))), None)
        if holder is None:
            after.extend(block)
            continue
        position = block.index(holder)
        before.extend(block[:position])
        inner_before, inner_after = _around_within(holder, loop)
        before += inner_before
        after += inner_after + block[position + 1:]
    return before, after


def _around_loop(func: ast.AST, shape: Builder) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """The builder's statements before its loop and after it (besides the list's
    binding and the final ``return``), at the top level of its body."""
    before: list[ast.stmt] = []
    after: list[ast.stmt] = []
    seen_loop = False
    for stmt in func.body:  # type: ignore[attr-defined]
        if stmt is shape.binding or stmt is shape.returns[-1]:
            continue
        if stmt is shape.loop or any(n is shape.loop for n in ast.walk(stmt)):
            seen_loop = True
            inner_before, inner_after = _around_within(stmt, shape.loop)
            before += inner_before
            after += inner_after
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # the docstring
        (after if seen_loop else before).append(stmt)
    return before, after
