"""Consumption analysis: is a value used exactly once, by iteration?

Turning a list into something lazy (a generator expression, the Lime read
itself, a generator function) keeps behaviour only when the value is consumed
exactly once, by iteration: a ``for`` loop, a comprehension, or a consumer
that iterates its argument once (``sum/any/all/min/max``, ``set()/dict()``,
``sep.join(...)``...).  Everything else blocks the lazy fix, with a reason the
rules put in their message: ``len()``, indexing or slicing, truthiness, ``in``,
a second pass (two loops, or a loop inside another loop), storing it on an
attribute or in a container, returning it, passing it to an unknown function,
calling a list method on it.

Two more things make laziness change behaviour even when the value is consumed
once: an exception raised by producing the items moves from where the list was
built to where it is iterated, which may be outside the ``try`` that guarded
it; and the items are produced after a ``uow.commit()`` that used to run after
them.  :func:`laziness_hazard` reports those (the fix is then unsafe, and its
title says why).

Everything here asks the module's syntax index (:mod:`semantic`) and effects
model (:mod:`effects`); nothing keeps its own parent map or walker.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Iterable, Union

from .effects import Effects, EffectsModel
from .semantic import SyntaxIndex

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]

#: Builtins that iterate their (first) argument exactly once.
ITERATING_CONSUMERS = frozenset({
    "sum", "any", "all", "min", "max", "set", "frozenset", "dict", "list", "tuple", "sorted",
    "Counter", "deque", "OrderedDict",
})
#: Wrappers that iterate their argument once *when they are themselves iterated once*.
PASS_THROUGH = frozenset({"enumerate", "zip", "map", "filter", "chain"})
#: Methods that iterate their argument once (``", ".join(names)``, ``s.update(x)``).
ITERATING_METHODS = frozenset({"join", "update", "extend", "writerows", "union", "intersection",
                               "difference", "issubset", "issuperset", "fromkeys"})
#: Of those, the ones that change their receiver item by item.
FILLING_METHODS = frozenset({"update", "extend", "writerows"})
LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass
class Use:
    node: ast.AST
    kind: str  # "iteration" | "blocking"
    reason: str = ""


@dataclass
class Consumption:
    """How a value is used: ``once`` when exactly one use iterates it once and
    nothing else touches it; otherwise ``reason`` says why not."""

    once: bool
    reason: str = ""
    uses: list[Use] = field(default_factory=list)
    #: The node that iterates the value (a ``for``, a comprehension or a consumer call).
    consumer: ast.AST | None = None
    #: With ``allow_len``: the ``len(name)`` calls (a specific fix replaces them).
    len_calls: list[ast.Call] = field(default_factory=list)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def expression_use(node: ast.AST, index: SyntaxIndex, *, depth: int = 0) -> Use:
    """How the value of expression ``node`` is used by its immediate context.

    Does not follow names: an assignment returns kind ``"assigned"`` (the
    caller then runs :func:`name_consumption` on the target)."""
    parent = index.parent(node)
    if parent is None or depth > 8:
        return Use(node, "blocking", "it is used in a way that cannot be followed")
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
        return Use(parent, "iteration")
    if isinstance(parent, ast.comprehension) and parent.iter is node:
        comp = index.parent(parent)
        if comp is not None and isinstance(comp, COMPREHENSIONS) and comp.generators[0] is parent:
            return Use(comp, "iteration")
        return Use(parent, "blocking", "it is iterated once per item of an outer loop (a second pass)")
    if isinstance(parent, ast.Starred):
        return Use(parent, "blocking", "it is unpacked with `*`")
    if isinstance(parent, ast.Call) and node in parent.args:
        name = _call_name(parent)
        if isinstance(parent.func, ast.Name):
            if name == "len":
                return Use(parent, "blocking", "it is measured with `len()`")
            if name == "bool":
                return Use(parent, "blocking", "its truthiness is tested")
            if name in ITERATING_CONSUMERS and parent.args[0] is node:
                return Use(parent, "iteration")
            if name in PASS_THROUGH:
                outer = expression_use(parent, index, depth=depth + 1)
                return Use(parent, outer.kind, outer.reason) if outer.kind != "iteration" else Use(outer.node, "iteration")
            return Use(parent, "blocking", f"it is passed to `{name}()`, which may need a list")
        if isinstance(parent.func, ast.Attribute) and name in ITERATING_METHODS and parent.args[0] is node:
            return Use(parent, "iteration")
        if isinstance(parent.func, ast.Attribute) and name in PASS_THROUGH:
            outer = expression_use(parent, index, depth=depth + 1)
            return Use(parent, outer.kind, outer.reason) if outer.kind != "iteration" else Use(outer.node, "iteration")
        return Use(parent, "blocking", f"it is passed to `{name or 'a call'}()`, which may need a list")
    if isinstance(parent, ast.Call):  # keyword argument or the callee itself
        return Use(parent, "blocking", "it is passed on as an argument, which may need a list")
    if isinstance(parent, ast.Attribute) and parent.value is node:
        return Use(parent, "blocking", f"its list method or attribute `.{parent.attr}` is used")
    if isinstance(parent, ast.Subscript) and parent.value is node:
        what = "sliced" if isinstance(parent.slice, ast.Slice) else "indexed"
        return Use(parent, "blocking", f"it is {what}")
    if isinstance(parent, ast.Compare) and node in parent.comparators:
        ops = [op for op, c in zip(parent.ops, parent.comparators) if c is node]
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in ops):
            return Use(parent, "blocking", "it is searched with `in`")
        return Use(parent, "blocking", "it is compared")
    if isinstance(parent, ast.Compare):
        return Use(parent, "blocking", "it is compared")
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is node \
            or isinstance(parent, ast.BoolOp) \
            or isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return Use(parent, "blocking", "its truthiness is tested")
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return Use(parent, "blocking", "its truthiness is tested")
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom)):
        return Use(parent, "blocking", "it is returned (it escapes the function)")
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is node:
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return Use(parent, "assigned")
        if any(isinstance(t, ast.Attribute) for t in targets):
            return Use(parent, "blocking", "it is stored on an attribute")
        return Use(parent, "blocking", "it is stored in a container or unpacked")
    if isinstance(parent, ast.AugAssign):
        return Use(parent, "blocking", "it is combined with `+=`")
    if isinstance(parent, ast.BinOp):
        return Use(parent, "blocking", "it is used in arithmetic (`+`, `*`)")
    if isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return Use(parent, "blocking", "it is stored in a container")
    if isinstance(parent, ast.keyword):
        return Use(parent, "blocking", "it is passed on as an argument, which may need a list")
    if isinstance(parent, ast.FormattedValue):
        return Use(parent, "blocking", "it is formatted into a string")
    if isinstance(parent, ast.Expr):
        return Use(parent, "blocking", "its value is discarded")
    return Use(parent, "blocking", "it is used in a way that cannot be followed")


def in_second_pass(use: ast.AST, binding: ast.AST, index: SyntaxIndex) -> bool:
    """True when ``use`` runs more than once per run of ``binding``: it sits in the
    repeated part of a loop (or comprehension) that does not also hold ``binding``."""
    around_binding = {id(a) for a in index.ancestors(binding)}
    child = use
    for current in index.ancestors(use):
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(current) in around_binding:
            return False
        if id(current) not in around_binding:
            if isinstance(current, LOOPS) and child is not getattr(current, "iter", None) \
                    and child not in getattr(current, "orelse", []):
                return True
            if isinstance(current, COMPREHENSIONS) and child is not current.generators[0]:
                return True
            if isinstance(current, ast.comprehension) and child is not current.iter:
                return True
        child = current
    return False


def name_consumption(name: str, binding: ast.AST, func: FunctionNode, index: SyntaxIndex, *,
                     allow_len: bool = False) -> Consumption:
    """How the value bound to ``name`` by ``binding`` (an Assign statement) is
    used inside ``func``.  With ``allow_len``, ``len(name)`` calls do not block:
    they are returned in ``len_calls`` for a fix that replaces them."""
    scope = index.scope(func)
    if scope is None:
        return Consumption(False, "it is not in a function")
    if name in scope.declared_global or name in scope.declared_nonlocal:
        return Consumption(False, "it is global")
    if used_by_nested_code(name, func, index):
        return Consumption(False, "it is used by a nested function or lambda")
    uses: list[Use] = []
    bindings = 0
    for node in _loads_and_stores(name, func, index):
        if isinstance(node.ctx, ast.Store):
            bindings += 1
            continue
        if isinstance(node.ctx, ast.Del):
            continue
        uses.append(expression_use(node, index))
    if bindings > 1:
        return Consumption(False, f"`{name}` is assigned more than once", uses)
    len_calls = [u.node for u in uses if allow_len and u.kind == "blocking" and isinstance(u.node, ast.Call)
                 and isinstance(u.node.func, ast.Name) and u.node.func.id == "len"]
    uses_left = [u for u in uses if u.node not in len_calls]
    blocking = [u for u in uses_left if u.kind != "iteration"]
    if blocking:
        reason = blocking[0].reason if blocking[0].kind == "blocking" else "it is copied to another name"
        return Consumption(False, reason, uses)
    if not uses:
        return Consumption(False, f"`{name}` is never used", uses)
    if len(uses_left) > 1:
        return Consumption(False, "it is iterated more than once", uses)
    if not uses_left:
        return Consumption(False, "it is only measured with `len()`", uses)
    use = uses_left[0]
    if _before(use.node, binding):
        return Consumption(False, "it is used before it is assigned", uses)
    if in_second_pass(use.node, binding, index):
        return Consumption(False, "it is iterated once per item of an enclosing loop (a second pass)", uses)
    return Consumption(True, "", uses, use.node, len_calls)  # type: ignore[arg-type]


def _loads_and_stores(name: str, func: ast.AST, index: SyntaxIndex) -> list[ast.Name]:
    """The ``Name`` nodes of ``name`` in ``func``'s own code (comprehensions included)."""
    return [n for n in index.own_nodes(func) if isinstance(n, ast.Name) and n.id == name]


def used_by_nested_code(name: str, func: ast.AST, index: SyntaxIndex) -> bool:
    """Whether a function, lambda or class nested in ``func`` sees ``func``'s ``name``."""
    own = index.scope(func)
    for scope in index.scopes:
        if scope is own or scope.kind == "comprehension" or not index.contains(func, scope.node):
            continue
        if name in scope.declared_nonlocal:
            return True
        for use in scope.uses.get(name, ()):
            if index.resolve(name, use) is own:
                return True
    return False


def _before(a: ast.AST, b: ast.AST) -> bool:
    return (getattr(a, "lineno", 0), getattr(a, "col_offset", 0)) < (getattr(b, "lineno", 0), getattr(b, "col_offset", 0))


def _try_body_of(node: ast.AST, index: SyntaxIndex) -> list[ast.Try]:
    """The ``try`` statements whose *body* (not handlers) contains ``node``, innermost first."""
    return [g for g in _guards_of(node, index) if isinstance(g, ast.Try)]


def _guards_of(node: ast.AST, index: SyntaxIndex) -> list[ast.AST]:
    """The ``try`` and ``with`` statements whose body contains ``node``, innermost
    first: each sees an exception raised there (a handler, ``finally``, or an
    ``__exit__`` that may log, roll back or suppress it)."""
    found: list[ast.AST] = []
    child = node
    for current in index.ancestors(node):
        if isinstance(current, SCOPES):
            break
        if isinstance(current, (ast.Try, ast.With, ast.AsyncWith)) and any(s is child for s in current.body):
            found.append(current)
        child = current
    return found


#: Consumers that may stop before the last item.
EARLY_STOPPING = frozenset({"any", "all", "next", "zip", "islice", "takewhile", "dropwhile", "map", "filter"})


@dataclass
class Laziness:
    """What producing items lazily, at the consumer, instead of eagerly would change.

    ``blocker``: it would change what the task does (items whose effects would no
    longer all run): no fix.  ``hazard``: it may change it (reads interleaved with
    writes, an error moving out of its ``try``): an unsafe fix, titled with it.
    Both empty: nothing the effects model can see changes."""

    blocker: str = ""
    hazard: str = ""


def stops_early(consumer: ast.AST, effects: EffectsModel) -> str:
    """Why ``consumer`` (a ``for``, a comprehension or a consuming call) may stop
    before the last item ("" when it always takes every item)."""
    if isinstance(consumer, ast.Call):
        name = _call_name(consumer)
        if name in EARLY_STOPPING:
            return f"`{name}()` stops at its first decisive item"
        parent = effects.index.parent(consumer)
        if isinstance(parent, ast.Call) and _call_name(parent) in EARLY_STOPPING:
            return f"`{_call_name(parent)}()` stops at its first decisive item"
        return ""
    if isinstance(consumer, (ast.For, ast.AsyncFor)):
        for stmt in consumer.body:
            if effects.may_leave(stmt, consumer):
                return "the loop may leave before the last item (`break`/`return`/`raise`)"
        return ""
    return ""


def laziness(produced: ast.AST, consumer: ast.AST, func: FunctionNode, effects: EffectsModel, *,
             item_effects: Effects | None = None, source_names: Iterable[str] = (),
             late_names: Iterable[str] = ()) -> Laziness:
    """What changes when the items made at ``produced`` are made at ``consumer``.

    ``item_effects``: the effects of making one item (a comprehension's element
    and filters, a builder's loop body), besides reading it; ``source_names``:
    names whose value the eager list copied (``list(rows)``): changing them while
    consuming is why the copy exists; ``late_names``: names read while making
    each item (a generator expression's element and filters), which a lazy item
    reads when it is taken instead of when the list was built.

    * an item with side effects and a consumer that may stop early: fewer items
      would be made (blocker);
    * a consumer or code in between that changes a source name (blocker: the
      list was a copy), or a name the items read when made (blocker: the items
      would see the new value);
    * making the items changes a name that code in between or the consuming
      loop reads (blocker: it would see the change item by item), or calls code
      that could read it (hazard);
    * an exception raised while producing moves from ``produced`` to
      ``consumer``: if a ``try`` guards one and not the other (hazard);
    * code between the two, or the consuming loop's body, that writes to Lime or
      may (through a helper or a call the analysis cannot see): the items would
      be read after or between those writes (hazard);
    * items with side effects interleaved with a loop body that has side
      effects: their order changes (hazard)."""
    index = effects.index
    item_effects = item_effects or Effects()
    early = stops_early(consumer, effects)
    if early and item_effects.has_side_effects:
        return Laziness(blocker=f"{early}, so the effects of making the items "
                                f"({_describe_effects(item_effects)}) would not all run")
    start = index.statement_of(produced)
    end = index.statement_of(consumer)
    between = effects.of_block(_statements_between(start, end, func, index)) if start is not None and end \
        is not None else Effects()
    body = _per_item_effects(produced, consumer, effects)
    changed = (between | body).changes(source_names)
    if changed:
        name = sorted(changed)[0]
        return Laziness(blocker=f"`{name}` is changed while it is iterated: the list is a copy")
    # Names the items' effects change that mean something where they are consumed (a
    # builder's own locals do not).
    item_changes = {n for n in item_effects.rebinds | item_effects.mutates | item_effects.may_mutate
                    if index.resolve(n, consumer) is not None}
    seen_outside = item_effects.may_write or item_effects.io or item_effects.logs or bool(item_changes)
    if seen_outside and start is not None and end is not None:
        skipped = _may_skip(start, end, _statements_between(start, end, func, index), index)
        if skipped:
            return Laziness(blocker=f"{skipped}, so the effects of making the items "
                                    f"({_describe_effects(item_effects)}) might not run")
        if between.calls or between.raises:
            return Laziness(hazard="code between the list and its consumer may fail before the items are made")
    late = (between | body).changes(late_names)
    if late:
        name = sorted(late)[0]
        return Laziness(blocker=f"`{name}` is read while making each item and is changed before or while the "
                                "items are consumed: lazy items would see its new value")
    statements = (_statements_between(start, end, func, index) if start is not None and end is not None else []) \
        + (list(consumer.body) if isinstance(consumer, (ast.For, ast.AsyncFor)) else [])
    if item_changes:
        loaded = {n.id for part in [*statements, *_per_item_parts(produced, consumer, index)]
                  for n in ast.walk(part) if isinstance(n, ast.Name)}
        seen = sorted(item_changes & loaded)
        if seen:
            return Laziness(blocker=f"making the items changes `{seen[0]}`, which is read before they are all "
                                    "made: lazily it would change item by item")
        module_names = sorted(n for n in item_changes if index.resolve(n, consumer) is index.scopes[0])
        if module_names and any(isinstance(n, ast.Call) and not _builtin_call(n, index)
                                for stmt in statements for n in ast.walk(stmt)):
            return Laziness(hazard=f"making the items changes `{module_names[0]}`, which code called while "
                                   "they are consumed may read")
    maybe = (between | body).may_change([*source_names, *late_names])
    if maybe:
        name = sorted(maybe)[0]
        return Laziness(hazard=f"`{name}` is passed to code that is not visible while it is iterated: "
                               "the list may be a copy")
    if _try_body_of(produced, index) != _try_body_of(consumer, index):
        return Laziness(hazard="an error while reading would be raised outside its `try`")
    if _guards_of(produced, index) != _guards_of(consumer, index):
        return Laziness(hazard="an error while reading would be raised inside another `with` "
                               "(its `__exit__` sees it and may suppress it)")
    suspends = _suspension(statements)
    if suspends:
        return Laziness(hazard=f"the code between the list and its consumer, or the loop, {suspends}: code "
                               "outside this function (which may write) runs between the items")
    if between.may_write:
        return Laziness(hazard=f"the items would be read after code that writes ({_describe_writes(between)})")
    if body.may_write:
        return Laziness(hazard=f"the loop body writes ({_describe_writes(body)}): the items would be read "
                               "between its writes and see them, and an error while reading would surface "
                               "after earlier items were committed")
    if item_effects.has_side_effects and (body.has_side_effects or between.has_side_effects):
        return Laziness(hazard="the items' effects would interleave with the loop body's")
    return Laziness()


def _per_item_effects(produced: ast.AST, consumer: ast.AST, effects: EffectsModel) -> Effects:
    """What the consumer does between taking one item and the next: a loop's body,
    a comprehension's element and filters, a consuming call's other arguments and
    the functions passed to it (``map(notify, rows)``); never the produced value's
    own code."""
    index = effects.index
    if isinstance(consumer, (ast.For, ast.AsyncFor)):
        return effects.of_block(consumer.body)
    if isinstance(consumer, COMPREHENSIONS):
        parts = [getattr(consumer, name) for name in ("elt", "key", "value") if hasattr(consumer, name)]
        parts += [c for g in consumer.generators for c in g.ifs] + [g.iter for g in consumer.generators[1:]]
        return effects.of_block(p for p in parts if not index.contains(p, produced))
    if isinstance(consumer, ast.Call):
        total = Effects()
        receiver = consumer.func.value if isinstance(consumer.func, ast.Attribute) else None
        while isinstance(receiver, (ast.Attribute, ast.Subscript)):
            receiver = receiver.value
        if isinstance(receiver, ast.Name) and _call_name(consumer) in FILLING_METHODS:
            total = Effects(mutates=frozenset({receiver.id}))  # `seen.update(rows)` grows `seen` per item
        statement = index.statement_of(produced)
        consumed = {n.id for t in getattr(statement, "targets", []) for n in ast.walk(t) if isinstance(n, ast.Name)}
        for argument in [*consumer.args, *(k.value for k in consumer.keywords)]:
            if isinstance(argument, ast.Name) and argument.id in consumed:
                continue  # the list itself
            if index.contains(argument, produced):
                if isinstance(argument, ast.Call) and argument is not produced:
                    total = total | _per_item_effects(produced, argument, effects)  # map(f, rows) inside list()
                continue
            total = total | effects.of_node(argument)
            if isinstance(argument, (ast.Name, ast.Attribute, ast.Lambda)):
                total = total | _called_value_effects(argument, effects)
        return total
    return Effects()


def _per_item_parts(produced: ast.AST, consumer: ast.AST, index: SyntaxIndex) -> list[ast.AST]:
    """The code a consuming comprehension or call runs per item (not the produced value)."""
    if isinstance(consumer, COMPREHENSIONS):
        parts = [getattr(consumer, name) for name in ("elt", "key", "value") if hasattr(consumer, name)]
        parts += [c for g in consumer.generators for c in g.ifs] + [g.iter for g in consumer.generators[1:]]
        return [p for p in parts if not index.contains(p, produced)]
    if isinstance(consumer, ast.Call):
        return [a for a in [*consumer.args, *(k.value for k in consumer.keywords)] if not index.contains(a, produced)]
    return []


def _called_value_effects(value: ast.AST, effects: EffectsModel) -> Effects:
    """The effects of calling a function passed as a value: a lambda's body, a
    function of this module by name, else unknown."""
    if isinstance(value, ast.Lambda):
        return effects.of_node(value.body)
    if isinstance(value, ast.Name):
        if value.id in dir(builtins) and effects.index.resolve(value.id, value) is None:
            return Effects()
        definition = next((f for f in effects.index.functions if getattr(f, "name", None) == value.id
                           and effects.index.resolve(value.id, value) is effects.index.scope_at(f)), None)
        if definition is not None:
            return effects.of_function(definition)
    return Effects(unknown=frozenset({f"{ast.unparse(value)} (passed as a value)"}))


def _may_skip(start: ast.stmt, end: ast.stmt, between: list[ast.stmt], index: SyntaxIndex) -> str:
    """Why the statement ``end`` may not run after ``start`` ("" when it always
    does): it stands in another block (under an ``if``, in a loop, a handler...),
    or code between may leave (``return``/``raise``/``break``/``continue``)."""
    if index.block_of(start) is None or index.block_of(end) is None \
            or index.block_of(start)[2] is not index.block_of(end)[2]:
        return "the consumer stands in another block than the list (it may not run)"
    todo: list[ast.AST] = list(between)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return "code between the list and its consumer may leave before it"
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return ""


def _suspension(statements: list[ast.stmt]) -> str:
    """How these statements hand control to other code mid-way ("yields",
    "awaits"; "" when they do not), not counting nested functions."""
    todo: list[ast.AST] = list(statements)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return "yields"
        if isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return "awaits"
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return ""


def _builtin_call(call: ast.Call, index: SyntaxIndex) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in dir(builtins) and index.resolve(call.func.id, call) is None


def effects_between(first: ast.AST, last: ast.AST, func: FunctionNode, effects: EffectsModel) -> Effects:
    """The effects of the statements that may run after ``first``'s statement and
    before ``last`` (for a ``last`` after a loop: the loop too)."""
    index = effects.index
    start, end = index.statement_of(first), index.statement_of(last)
    if start is None or end is None:
        return Effects(unknown=frozenset({"<code in between>"}))
    return effects.of_block(_statements_between(start, end, func, index))


def _statements_between(start: ast.stmt, end: ast.stmt, func: ast.AST, index: SyntaxIndex) -> list[ast.stmt]:
    """The statements of ``func`` that start after ``start`` ends and end before
    ``end`` starts, outermost only (a compound statement counts whole)."""
    lo = (start.end_lineno or start.lineno, start.end_col_offset or 0)
    hi = (end.lineno, end.col_offset)
    out: list[ast.stmt] = []
    todo: list[ast.stmt] = list(getattr(func, "body", []))
    while todo:
        stmt = todo.pop(0)
        first = (stmt.lineno, stmt.col_offset)
        last = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
        if first >= lo and last <= hi:
            out.append(stmt)
        elif last <= lo or first >= hi:
            continue
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field_name in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(stmt, field_name, []) or []:
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return out


def _describe_writes(effects: Effects) -> str:
    if effects.writers:
        return ", ".join(f"`{w}` writes" for w in sorted(effects.writers)[:2])
    if effects.writes:
        return "a commit"
    return ", ".join(f"`{u}` may write" for u in sorted(effects.unknown)[:2])


def _describe_effects(effects: Effects) -> str:
    if effects.may_write:
        return _describe_writes(effects)
    if effects.io:
        return "calls outside the task"
    if effects.logs:
        return "log records"
    return "changes to " + ", ".join(f"`{n}`" for n in sorted(effects.mutates)[:2])
