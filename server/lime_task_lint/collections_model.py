"""Which elements, and how many, a collection expression holds at production counts.

Shared by the LIME1xx memory rules, the memory hover and the task budget
report: given an expression in a function (``list(<read>)``, a comprehension,
a Lime read, a name bound to one of those or to a container filled in a loop)
it answers with an element model (:class:`memory.Element`), a count and where
that count came from, and the :func:`memory.estimate` of the whole.

Counts come from ``limit=`` on the read, then ``object-counts`` for the
limetype, then ``default-object-count``.  Lime objects are as big as
``object-size-kb`` for their limetype says, else ``default-object-size-kb``.
Values taken from a Lime object are modelled by shape: ``.id`` is an int,
another ``.value`` a short string, a tuple or dict literal a record.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from . import memory
from .model import FunctionInfo, LimeModel, LimeRead, child_nodes, walk

#: Fields assumed per ``lime_query.execute_query`` row when the query does not say.
QUERY_ROW_FIELDS = 10
EMPTY_CONTAINERS = {"list": "list", "dict": "dict", "set": "set"}
COMPREHENSION_KIND = {ast.ListComp: "list", ast.SetComp: "set", ast.DictComp: "dict", ast.GeneratorExp: "generator"}


@dataclass
class Source:
    """An iterable that produces many items: a Lime read, a task parameter, a generator."""

    node: ast.expr
    kind: str  # "read" | "objects" | "query" (execute_query rows) | "parameter" | "generator"
    limetype: str | None
    bounded: bool
    count: int
    count_source: str
    read: LimeRead | None = None

    @property
    def is_lime(self) -> bool:
        return self.kind in ("read", "objects")

    def describe(self) -> str:
        if self.is_lime:
            return f"`{self.limetype}` objects" if self.limetype else "Lime objects"
        if self.kind == "query":
            return f"rows of the `{self.limetype}` query" if self.limetype else "rows of the query"
        if self.kind == "parameter":
            return "items of a task parameter"
        return "items of a generator"


@dataclass
class CollectionEstimate:
    container: str  # "list" | "set" | "dict" | "generator"
    element: memory.Element
    element_label: str
    element_source: str
    count: int
    count_source: str
    estimate: memory.Estimate
    source: Source
    #: True for a Lime read hovered on its own: the estimate is what a list of it would cost.
    hypothetical: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def limetype(self) -> str | None:
        return self.source.limetype

    def budget_share(self, settings) -> float:
        return memory.budget_share(self.estimate.total_bytes, settings.memory_budget_mb)


# -- sources -----------------------------------------------------------------------
def _reads_by_node(info: FunctionInfo) -> dict[int, LimeRead]:
    return {id(r.node): r for r in info.reads}


def _limit_of(call: ast.Call) -> int | None:
    for keyword in call.keywords:
        if keyword.arg == "limit" and isinstance(keyword.value, ast.Constant) \
                and isinstance(keyword.value.value, int) and not isinstance(keyword.value.value, bool):
            return keyword.value.value
    return None


def single_assignment(info: FunctionInfo, name: str) -> ast.Assign | None:
    """The only ``name = value`` statement of the function, if there is exactly one binding."""
    found: list[ast.AST] = []
    for node in walk(info.node):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            found.append(node)
        elif isinstance(node, ast.arg) and node.arg == name:
            return None
    if len(found) != 1:
        return None
    for node in walk(info.node):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and node.targets[0] is found[0]:
            return node
    return None


def is_generator_function(func: ast.AST) -> bool:
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        for child in child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)
    return False


def iterable_source(model: LimeModel, info: FunctionInfo, node: ast.AST, settings, *,
                    workspace=None, path: str | None = None, depth: int = 0) -> Source | None:
    """The unbounded-or-not source of items ``node`` evaluates to, or None when it is
    not a source this analysis knows (a literal, a range, a small list...)."""
    if depth > 4 or not isinstance(node, ast.expr):
        return None
    if isinstance(node, ast.Call):
        read = _reads_by_node(info).get(id(node))
        if read is not None:
            if read.kind not in ("get_all", "fetch", "execute_query"):
                return None
            kind = "query" if read.kind == "execute_query" else "read"
            limit = _limit_of(node)
            if limit is not None:
                return Source(node, kind, read.limetype, True, limit, "`limit=`", read)
            count, origin = settings.object_count(read.limetype)
            return Source(node, kind, read.limetype, read.bounded, count, origin, read)
        func = node.func
        if isinstance(func, ast.Name):
            callee = model.functions.get(func.id)
            if callee is not None and callee.parent is None and callee.class_name is None \
                    and is_generator_function(callee.node) and callee.summary.reads:
                count, origin = settings.object_count(None)
                return Source(node, "generator", None, False, count, origin)
            if callee is None and path and func.id in model.imports:
                resolved = _resolve(workspace, path, node, model.imports)
                if resolved is not None and is_generator_function(resolved.node):
                    count, origin = settings.object_count(None)
                    return Source(node, "generator", None, False, count, origin)
        return None
    if isinstance(node, ast.Name):
        role = info.names.get(node.id)
        if role is not None and role.kind == "objects":
            assignment = single_assignment(info, node.id)
            if assignment is not None:
                inner = iterable_source(model, info, assignment.value, settings, workspace=workspace,
                                        path=path, depth=depth + 1)
                if inner is not None:
                    return Source(node, "objects", inner.limetype, inner.bounded, inner.count,
                                  inner.count_source, inner.read)
            if role.bounded:
                return None
            count, origin = settings.object_count(role.limetype)
            return Source(node, "objects", role.limetype, False, count, origin)
        if info.is_task and node.id != info.app_param and node.id in {p.arg for p in info.params} \
                and role is None:
            annotation = next((p.annotation for p in info.params if p.arg == node.id), None)
            if _scalar_annotation(annotation):
                return None
            count, origin = settings.object_count(None)
            return Source(node, "parameter", None, False, count, origin)
    return None


def _scalar_annotation(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id in ("int", "str", "float", "bool", "dict")


def _resolve(workspace, path: str, call: ast.Call, imports: dict[str, str] | None = None):
    """The imported function ``call`` calls: from the import table (deterministic),
    else from the workspace's jedi answer when it has one in time."""
    from .modules import index_for

    resolved = index_for(workspace, path).resolve_call(path, call, imports)
    if resolved is None and workspace is not None:
        try:
            resolved = workspace.resolve_call(path, call)
        except Exception:  # jedi trouble must never cost a rule its findings
            resolved = None
    return resolved[1] if resolved else None


# -- elements ----------------------------------------------------------------------
def lime_element(limetype: str | None, settings) -> tuple[memory.Element, str, str]:
    size, origin = settings.object_size_bytes(limetype)
    label = f"`{limetype}` Lime object" if limetype else "Lime object"
    return memory.Element("lime_object", size), label, f"{size:,} B each ({origin})"


def element_of(elt: ast.AST | None, target: ast.AST | None, source: Source, settings) -> tuple[memory.Element, str, str]:
    """(element, label, where its size came from) for items ``elt`` built from ``source``
    (``elt`` None: the items themselves)."""
    if elt is None or isinstance(elt, ast.Name) and elt.id in _names(target):
        if source.is_lime:
            return lime_element(source.limetype, settings)
        if source.kind == "query":
            return memory.Element("dict_row", QUERY_ROW_FIELDS), f"query row (dict of ~{QUERY_ROW_FIELDS} fields)", \
                f"{QUERY_ROW_FIELDS} short string values each, CPython layout"
        return memory.Element("unknown"), "item (shape not modelled)", "container only"
    if isinstance(elt, ast.Attribute) and elt.attr == "id":
        return memory.Element("int"), "int id", "CPython layout"
    if isinstance(elt, ast.Attribute) and elt.attr == "value":
        return memory.Element("str", memory.RECORD_VALUE_CHARS), "short string value", \
            f"{memory.RECORD_VALUE_CHARS}-character string, CPython layout"
    if isinstance(elt, (ast.Tuple, ast.List, ast.Dict)):
        fields = elt.values if isinstance(elt, ast.Dict) else elt.elts
        kind, shape = ("dict_row", "dict") if isinstance(elt, ast.Dict) else ("tuple", "tuple")
        objects = sum(1 for f in fields if source.is_lime and isinstance(f, ast.Name) and f.id in _names(target))
        if not objects:
            unit = "fields" if kind == "dict_row" else "values"
            return memory.Element(kind, len(fields)), f"{shape} of {len(fields)} {unit}", "CPython layout"
        size, origin = settings.object_size_bytes(source.limetype)
        what = f"`{source.limetype}` Lime object" if source.limetype else "Lime object"
        return (memory.Element(kind, len(fields), objects, size),
                f"{shape} of {len(fields)} value{'s' if len(fields) != 1 else ''} holding {objects} {what}"
                f"{'s' if objects > 1 else ''}",
                f"{size:,} B per object ({origin}), CPython layout")
    if isinstance(elt, ast.Constant) and isinstance(elt.value, (int, bool)):
        return memory.Element("int"), "int", "CPython layout"
    if isinstance(elt, ast.JoinedStr):
        return memory.Element("str", 20), "string", "20-character string, CPython layout"
    return memory.Element("unknown"), "value (shape not modelled)", "container only"


def _names(target: ast.AST | None) -> set[str]:
    if target is None:
        return set()
    return {n.id for n in walk(target) if isinstance(n, ast.Name)}


# -- collections -------------------------------------------------------------------
def _make(container: str, element: tuple[memory.Element, str, str], source: Source, settings, *,
          hypothetical: bool = False, key: memory.Element | None = None) -> CollectionEstimate:
    el, label, origin = element
    shared = el.kind == "int" and source.count <= 256
    est = memory.estimate(container, el, source.count, built_by="append", shared_elements=shared, key=key,
                          version=settings.python_version)
    return CollectionEstimate(container, el, label, origin, source.count, source.count_source, est, source,
                              hypothetical)


def collection_estimate(model: LimeModel, info: FunctionInfo, node: ast.AST, settings, *,
                        workspace=None, path: str | None = None) -> CollectionEstimate | None:
    """The estimate for ``node`` in ``info``, or None when it is not a collection of
    items from a known source.  ``model`` may also be a RuleContext or Analysis."""
    model = getattr(model, "model", model)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "set", "sorted", "tuple") \
            and len(node.args) == 1 and not node.keywords:
        source = iterable_source(model, info, node.args[0], settings, workspace=workspace, path=path)
        if source is None:
            return None
        container = "set" if node.func.id == "set" else "list"
        return _make(container, element_of(None, None, source, settings), source, settings)
    if isinstance(node, tuple(COMPREHENSION_KIND)):
        generator = node.generators[0]  # type: ignore[attr-defined]
        source = iterable_source(model, info, generator.iter, settings, workspace=workspace, path=path)
        if source is None:
            return None
        container = COMPREHENSION_KIND[type(node)]
        if isinstance(node, ast.DictComp):
            key = element_of(node.key, generator.target, source, settings)[0]
            value = element_of(node.value, generator.target, source, settings)
            return _make("dict", value, source, settings, key=key if key.kind != "unknown" else None)
        return _make(container, element_of(node.elt, generator.target, source, settings),  # type: ignore[attr-defined]
                     source, settings)
    if isinstance(node, ast.Call):
        source = iterable_source(model, info, node, settings, workspace=workspace, path=path)
        if source is None:
            return None
        return _make("list", element_of(None, None, source, settings), source, settings, hypothetical=True)
    if isinstance(node, ast.Name):
        assignment = single_assignment(info, node.id)
        if assignment is not None:
            value = assignment.value
            if _empty_container(value) is not None:
                return accumulator_estimate(model, info, node.id, _empty_container(value), settings,  # type: ignore[arg-type]
                                            workspace=workspace, path=path)
            if value is not node:
                return collection_estimate(model, info, value, settings, workspace=workspace, path=path)
    return None


def _empty_container(value: ast.AST) -> str | None:
    if isinstance(value, ast.List) and not value.elts:
        return "list"
    if isinstance(value, ast.Dict) and not value.keys:
        return "dict"
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in EMPTY_CONTAINERS \
            and not value.args and not value.keywords:
        return EMPTY_CONTAINERS[value.func.id]
    return None


@dataclass
class Accumulation:
    """``name.append(elt)`` / ``name.add(elt)`` / ``name[k] = elt`` in a loop over ``source``."""

    node: ast.AST  # the append call or the subscript assignment
    loop: ast.For
    elt: ast.expr
    key: ast.expr | None
    source: Source


def accumulations(model: LimeModel, info: FunctionInfo, name: str, settings, *, workspace=None,
                  path: str | None = None) -> list[Accumulation]:
    """Where container ``name`` grows inside a ``for`` loop over a known source."""
    found: list[Accumulation] = []
    for loop in info.loops:
        if not isinstance(loop.node, (ast.For, ast.AsyncFor)):
            continue
        source = None
        for stmt in loop.node.body:
            for node in walk(stmt):
                hit: tuple[ast.AST, ast.expr, ast.expr | None] | None = None
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == name \
                        and node.func.attr in ("append", "add") and len(node.args) == 1:
                    hit = (node, node.args[0], None)
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Subscript) \
                        and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == name:
                    hit = (node, node.value, node.targets[0].slice)
                if hit is None:
                    continue
                if source is None:
                    source = iterable_source(model, info, loop.node.iter, settings, workspace=workspace, path=path)
                    if source is None:
                        break
                found.append(Accumulation(hit[0], loop.node, hit[1], hit[2], source))  # type: ignore[arg-type]
    return found


def accumulator_estimate(model: LimeModel, info: FunctionInfo, name: str, container: str, settings, *,
                         workspace=None, path: str | None = None) -> CollectionEstimate | None:
    grown = accumulations(model, info, name, settings, workspace=workspace, path=path)
    if not grown:
        return None
    first = grown[0]
    loop_target = first.loop.target
    element = element_of(first.elt, loop_target, first.source, settings)
    key = element_of(first.key, loop_target, first.source, settings)[0] if first.key is not None else None
    result = _make(container, element, first.source, settings,
                   key=key if key is not None and key.kind != "unknown" else None)
    if isinstance(first.loop.body, list) and any(isinstance(s, ast.If) for s in first.loop.body):
        result.notes.append("at most: the loop may skip items")
    return result


__all__ = [
    "Accumulation", "CollectionEstimate", "Source", "accumulations", "accumulator_estimate",
    "collection_estimate", "element_of", "is_generator_function", "iterable_source", "lime_element",
    "single_assignment",
]
