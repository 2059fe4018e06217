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

Everything here works on one function's syntax tree with a parent map built
once per function (no repeated whole-tree walks).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator, Union

from .model import child_nodes, walk

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


def parent_map(root: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in walk(root):
        for child in child_nodes(node):
            parents[id(child)] = node
    return parents


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def expression_use(node: ast.AST, parents: dict[int, ast.AST], *, depth: int = 0) -> Use:
    """How the value of expression ``node`` is used by its immediate context.

    Does not follow names: an assignment returns kind ``"assigned"`` (the
    caller then runs :func:`name_consumption` on the target)."""
    parent = parents.get(id(node))
    if parent is None or depth > 8:
        return Use(node, "blocking", "it is used in a way that cannot be followed")
    if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
        return Use(parent, "iteration")
    if isinstance(parent, ast.comprehension) and parent.iter is node:
        comp = parents.get(id(parent))
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
                outer = expression_use(parent, parents, depth=depth + 1)
                return Use(parent, outer.kind, outer.reason) if outer.kind != "iteration" else Use(outer.node, "iteration")
            return Use(parent, "blocking", f"it is passed to `{name}()`, which may need a list")
        if isinstance(parent.func, ast.Attribute) and name in ITERATING_METHODS and parent.args[0] is node:
            return Use(parent, "iteration")
        if isinstance(parent.func, ast.Attribute) and name in PASS_THROUGH:
            outer = expression_use(parent, parents, depth=depth + 1)
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


def _ancestors(node: ast.AST, parents: dict[int, ast.AST]) -> list[ast.AST]:
    out, current = [], parents.get(id(node))
    while current is not None:
        out.append(current)
        current = parents.get(id(current))
    return out


def in_second_pass(use: ast.AST, binding: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """True when ``use`` runs more than once per run of ``binding``: it sits in the
    repeated part of a loop (or comprehension) that does not also hold ``binding``."""
    around_binding = {id(a) for a in _ancestors(binding, parents)}
    child, current = use, parents.get(id(use))
    while current is not None:
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
        child, current = current, parents.get(id(current))
    return False


def _own_nodes(func: FunctionNode) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)
            else:
                yield child  # nested scopes are seen as one node: a closure use blocks


def name_consumption(name: str, binding: ast.AST, func: FunctionNode,
                     parents: dict[int, ast.AST] | None = None, *, allow_len: bool = False) -> Consumption:
    """How the value bound to ``name`` by ``binding`` (an Assign statement) is
    used inside ``func``.  With ``allow_len``, ``len(name)`` calls do not block:
    they are returned in ``len_calls`` for a fix that replaces them."""
    parents = parents if parents is not None else parent_map(func)
    uses: list[Use] = []
    bindings = 0
    for node in _own_nodes(func):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if any(isinstance(n, ast.Name) and n.id == name for n in walk(node)):
                return Consumption(False, "it is used by a nested function or lambda")
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return Consumption(False, "it is global")
        if not isinstance(node, ast.Name) or node.id != name:
            continue
        if isinstance(node.ctx, ast.Store):
            bindings += 1
            continue
        if isinstance(node.ctx, ast.Del):
            continue
        use = expression_use(node, parents)
        uses.append(use)
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
    if in_second_pass(use.node, binding, parents):
        return Consumption(False, "it is iterated once per item of an enclosing loop (a second pass)", uses)
    return Consumption(True, "", uses, use.node, len_calls)  # type: ignore[arg-type]


def _before(a: ast.AST, b: ast.AST) -> bool:
    return (getattr(a, "lineno", 0), getattr(a, "col_offset", 0)) < (getattr(b, "lineno", 0), getattr(b, "col_offset", 0))


def statement_of(node: ast.AST, parents: dict[int, ast.AST]) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = parents.get(id(current))
    return current  # type: ignore[return-value]


def _try_body_of(node: ast.AST, parents: dict[int, ast.AST]) -> list[ast.Try]:
    """The ``try`` statements whose *body* (not handlers) contains ``node``, innermost first."""
    found: list[ast.Try] = []
    child, current = node, parents.get(id(node))
    while current is not None and not isinstance(current, SCOPES):
        if isinstance(current, ast.Try) and child in current.body:
            found.append(current)
        child, current = current, parents.get(id(current))
    return found


def _is_commit(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"


def laziness_hazard(produced: ast.AST, consumer: ast.AST, func: FunctionNode,
                    parents: dict[int, ast.AST]) -> str | None:
    """Why producing the items lazily at ``consumer`` instead of eagerly at
    ``produced`` could change behaviour, or None.

    * an exception raised while producing moves from ``produced`` to
      ``consumer``: if a ``try`` guards one and not the other, another
      handler (or none) would catch it;
    * a ``.commit()`` runs between the two, or inside the consuming loop: the
      items would be produced after (or between) commits."""
    if _try_body_of(produced, parents) != _try_body_of(consumer, parents):
        return "an error while reading would be raised outside its `try`"
    start = statement_of(produced, parents)
    end = statement_of(consumer, parents)
    if start is None or end is None:
        return None
    lo = (start.end_lineno or start.lineno, start.end_col_offset or 0)
    hi = (end.lineno, end.col_offset)
    for node in walk(func):
        if _is_commit(node):
            position = (node.lineno, node.col_offset)
            if lo < position < hi:
                return "the items would be read after a `commit()` that now runs after them"
    if isinstance(consumer, (ast.For, ast.AsyncFor)):
        for stmt in consumer.body:
            if any(_is_commit(n) for n in walk(stmt)):
                return "an error while reading would now surface after earlier items were committed"
    return None
