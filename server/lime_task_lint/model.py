"""The Lime model of one module: what every rule reads, built once per version.

It answers the questions the rules ask about Lime task code:

* which functions are **tasks** (decorated with ``lime_task.task`` under any
  import form or alias, or named in ``ScheduledTask(task=...)``);
* which names hold the **application**, the ``limetypes`` container, a
  **limetype** (and which one), a **unit of work**, Lime objects;
* every **Lime read** (``get_all``, ``get``, relation ``.fetch()``,
  ``app.files.fetch``, ``lime_query.execute_query``) with its limetype and
  whether ``limit=`` bounds it;
* every **unit of work** with its ``add`` and ``commit`` calls;
* every **loop** and comprehension, its variables, the names that depend on
  them, and its size when the code states it (``Loop.known_size``: a literal,
  a module constant, ``range(5)``, a parameter's default, configuration);
* a **summary** of each helper function (reads, commits, units of work, list
  built by append and returned), computed to a fixed point over the call graph
  so a helper that calls a helper counts; helpers of other modules (resolved by
  ``modules.py`` through any import form) are folded in from their own module.

The application is found by data flow, not by position: annotations
(``LimeApplication`` under any import form), the usual names at any position,
names whose ``.limetypes`` is read, ``obj.application`` of a Lime object,
``self.application``, ``get_application(...)``, module-level names, and roles
that flow into helpers through their call sites: ``sync(rows, app)`` makes the
second parameter of ``sync`` an application, within the module to a fixed
point and from callers in other workspace modules (``ModuleIndex.incoming_roles``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Union

from .semantic import SyntaxIndex, syntax_index
from .trees import nodes_of, walk

if TYPE_CHECKING:  # pragma: no cover
    from .modules import ModuleIndex, Target

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
LoopNode = Union[ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp]
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

APP_PARAM_NAMES = {"app", "application", "lime_app", "limeapp", "lime_application", "core_app"}
UOW_PARAM_NAMES = {"uow", "unit_of_work"}
READ_KINDS = ("get_all", "get", "fetch", "files.fetch", "execute_query")

#: A loop whose items (all enclosing loops' counts multiplied) are at most this many is
#: small: the read or commit it repeats is a handful of round trips, not an N+1.
SMALL_LOOP_ITEMS = 20
#: Entries assumed for data that is small by nature but whose count is not in the code:
#: a configuration mapping, the objects of a unit of work's ``context``.
ASSUMED_SMALL_ITEMS = 10
#: Words of configuration names: ``config``, ``app_config``, ``personSettings``, ``options``...
_CONFIG_WORD = re.compile(r"(?:^|_)(?:config|configuration|settings|cfg|conf|options)(?:$|_)")


def _is_config_name(name: str) -> bool:
    """``config``, ``plugin_config``, ``personSettings``, ``get_app_config``: configuration."""
    return bool(_CONFIG_WORD.search(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()))
CONFIGURATION = "a configuration mapping"
UOW_CONTEXT = "a unit of work's context"
OBJECT_PROPERTIES = "a Lime object's properties"
#: Size origins that are assumptions (``ASSUMED_SMALL_ITEMS``), not counts in the code:
#: configuration, a unit of work's context, the properties of one object (its schema).
ASSUMED_ORIGINS = frozenset({CONFIGURATION, UOW_CONTEXT, OBJECT_PROPERTIES})


# -- roles -----------------------------------------------------------------------
@dataclass(frozen=True)
class Role:
    """What a name or expression holds, as far as Lime is concerned."""

    kind: str  # "app" | "limetypes" | "files" | "limetype" | "uow" | "objects" | "object" | "property" | "module"
    limetype: str | None = None
    #: For "objects": the read that produced them.
    bounded: bool = False


APP = Role("app")
#: A property accessor of a Lime object (``obj.properties.x``); ``.fetch()`` on one is a relation read.
PROPERTY = Role("property")
LIMETYPES = Role("limetypes")
FILES = Role("files")
UOW = Role("uow")


# -- facts -----------------------------------------------------------------------
@dataclass(eq=False)
class Loop:
    node: LoopNode
    function: "FunctionInfo"
    parent: "Loop | None"
    #: Names bound by the loop itself (targets of ``for`` or comprehension generators).
    variables: set[str] = field(default_factory=set)
    #: Names whose value depends on the loop variables (the variables included).
    dependent: set[str] = field(default_factory=set)
    #: What the loop iterates over (None for ``while``).
    iterable: ast.expr | None = None
    #: How many items the loop runs over when the code says so (a literal, a
    #: module constant, ``range(5)``, a parameter's default, configuration), else None.
    known_size: int | None = None
    #: Where ``known_size`` comes from, in words ("a literal", "the module constant `KINDS`", ...).
    size_origin: str | None = None

    def chain_size(self) -> int | None:
        """Passes of the innermost body: the known sizes of this loop and every
        enclosing loop multiplied; None when any of them is unknown."""
        total = 1
        for loop in self.chain():
            if loop.known_size is None:
                return None
            total *= loop.known_size
        return total

    def data_loop(self) -> "Loop":
        """The loop whose items set the cost of this loop's body: the innermost of
        the chain whose size the code does not state, else the outermost."""
        chain = self.chain()
        return next((loop for loop in chain if loop.known_size is None), chain[-1])

    def passes_within(self, outer: "Loop") -> int:
        """Passes of this loop's body per item of ``outer`` (an enclosing loop of
        the chain, or this loop: 1): the stated sizes of the loops in between."""
        total = 1
        for loop in self.chain():
            if loop is outer:
                break
            total *= loop.known_size if loop.known_size is not None else 1
        return total

    @property
    def is_small(self) -> bool:
        """True when the code bounds the loop and every enclosing loop: the counts
        it states multiply to at most ``SMALL_LOOP_ITEMS``, and the rest iterate
        configuration or a unit of work's context (small by nature, however nested).
        Repeating a read or commit there is a handful of round trips, not an N+1."""
        total = 1
        for loop in self.chain():
            if loop.known_size is None:
                return False
            if loop.size_origin not in ASSUMED_ORIGINS:
                total *= loop.known_size
        return total <= SMALL_LOOP_ITEMS

    @property
    def is_comprehension(self) -> bool:
        return isinstance(self.node, COMPREHENSIONS)

    def depends_on(self, node: ast.AST) -> bool:
        """True when ``node`` reads a name that changes with the loop."""
        return any(isinstance(n, ast.Name) and n.id in self.dependent for n in walk(node))

    def chain(self) -> list["Loop"]:
        """This loop and its enclosing loops, innermost first."""
        out, loop = [], self
        while loop is not None:
            out.append(loop)
            loop = loop.parent
        return out


@dataclass(eq=False)
class LimeRead:
    node: ast.Call
    kind: str  # one of READ_KINDS
    limetype: str | None
    bounded: bool
    function: "FunctionInfo"
    loop: Loop | None
    #: For relation fetches: the relation property name.
    relation: str | None = None

    @property
    def loops(self) -> list[Loop]:
        return self.loop.chain() if self.loop else []


@dataclass(eq=False)
class UowCall:
    node: ast.Call
    kind: str  # "create" | "add" | "commit"
    name: str | None  # the unit of work's variable, when known
    function: "FunctionInfo"
    loop: Loop | None


@dataclass(eq=False)
class HelperCall:
    node: ast.Call
    #: Key into ``LimeModel.functions``, or for a function of another module
    #: (``path`` set) into ``LimeModel.external``; ``LimeModel.callee`` finds either.
    callee: str
    function: "FunctionInfo"
    loop: Loop | None
    #: The file defining the callee, when it is another module.
    path: str | None = None


@dataclass
class Summary:
    """What calling a function costs, including what the functions it calls do."""

    reads: int = 0  # read sites reached per call (a read inside a loop counts once)
    read_kinds: frozenset[tuple[str, str | None]] = frozenset()
    reads_in_loop: bool = False  # some read runs once per item of a loop inside the helper
    commits: int = 0
    creates_uow: bool = False
    adds: bool = False
    returns_appended_list: bool = False

    def merged(self, other: "Summary") -> "Summary":
        return Summary(
            reads=min(self.reads + other.reads, 1000),
            read_kinds=self.read_kinds | other.read_kinds,
            reads_in_loop=self.reads_in_loop or other.reads_in_loop,
            commits=min(self.commits + other.commits, 1000),
            creates_uow=self.creates_uow or other.creates_uow,
            adds=self.adds or other.adds,
            returns_appended_list=self.returns_appended_list,
        )


@dataclass(eq=False)
class FunctionInfo:
    node: FunctionNode
    qualname: str
    parent: "FunctionInfo | None"
    class_name: str | None
    is_task: bool = False
    app_param: str | None = None
    #: Roles of names inside this function (parameters included).
    names: dict[str, Role] = field(default_factory=dict)
    reads: list[LimeRead] = field(default_factory=list)
    uow_calls: list[UowCall] = field(default_factory=list)
    calls: list[HelperCall] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    direct: Summary = field(default_factory=Summary)
    #: The syntax index of the tree the function is in (its own nodes, scopes).
    index: "SyntaxIndex | None" = None

    def own_nodes(self) -> list[ast.AST]:
        """The nodes of the function's own code (not of nested functions or classes)."""
        if self.index is None:
            self.index = syntax_index(self.node)
        return self.index.own_nodes(self.node)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def is_method(self) -> bool:
        return self.class_name is not None

    @property
    def params(self) -> list[ast.arg]:
        args = self.node.args
        return [*args.posonlyargs, *args.args, *args.kwonlyargs]

    def commits(self) -> list[UowCall]:
        return [c for c in self.uow_calls if c.kind == "commit"]


@dataclass
class LimeModel:
    tree: ast.Module
    imports: dict[str, str]
    functions: dict[str, FunctionInfo]
    #: Functions named in ``ScheduledTask(task=...)`` that live in another module.
    scheduled_elsewhere: list[str]
    #: Functions of other modules this module calls (resolved by ``modules.py``),
    #: keyed like ``HelperCall.callee``; their facts are those of their own module.
    external: dict[str, FunctionInfo] = field(default_factory=dict)

    def callee(self, call: HelperCall) -> FunctionInfo | None:
        """The called function, in this module or another one; None when unknown."""
        return self.functions.get(call.callee) or self.external.get(call.callee)

    def tasks(self) -> list[FunctionInfo]:
        return [f for f in self.functions.values() if f.is_task]

    def function_at(self, node: ast.AST) -> FunctionInfo | None:
        for info in self.functions.values():
            if info.node is node:
                return info
        return None

    def reads(self) -> Iterator[LimeRead]:
        for info in self.functions.values():
            yield from info.reads

    def uow_calls(self) -> Iterator[UowCall]:
        for info in self.functions.values():
            yield from info.uow_calls

    def loops(self) -> Iterator[Loop]:
        for info in self.functions.values():
            yield from info.loops

    def helper_calls(self) -> Iterator[HelperCall]:
        for info in self.functions.values():
            yield from info.calls

    def callers_of(self, key: str) -> list[HelperCall]:
        return [c for c in self.helper_calls() if c.callee == key]

    def reachable_from(self, info: FunctionInfo) -> list[FunctionInfo]:
        """``info`` and every module function it calls, directly or not."""
        seen: dict[str, FunctionInfo] = {info.qualname: info}
        stack = [info]
        while stack:
            current = stack.pop()
            for call in current.calls:
                callee = self.functions.get(call.callee)
                if callee is not None and callee.qualname not in seen:
                    seen[callee.qualname] = callee
                    stack.append(callee)
        return list(seen.values())


# -- imports -----------------------------------------------------------------------
_AST = ast.AST


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(child_nodes(node))``, without its two generator layers."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend([item for item in value if isinstance(item, _AST)])
        elif isinstance(value, _AST):
            out.append(value)
    return out


def collect_imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, for every import anywhere in the module."""
    return _imports_of(nodes_of(tree, ast.Import, ast.ImportFrom))


def _imports_of(nodes: Iterable[ast.AST]) -> dict[str, str]:
    imports: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            prefix = "." * node.level + node.module
            for alias in node.names:
                imports[alias.asname or alias.name] = f"{prefix}.{alias.name}"
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imports[alias.asname or alias.name] = "." * node.level + alias.name
    return imports


def qualified_name(node: ast.AST, imports: dict[str, str]) -> str | None:
    """``lime_task.task`` for ``task``, ``lt.task``, ``lime_task.task``... via the imports."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = imports.get(node.id)
    if base is None:
        return None
    return ".".join([base, *reversed(parts)])


def _is_task_decorator(decorator: ast.expr, imports: dict[str, str]) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = qualified_name(target, imports)
    return name in ("lime_task.task", "lime_task.decorators.task")


# -- building --------------------------------------------------------------------
def build_model(tree: ast.Module, extra_task_names: Iterable[str] = (), *, path: str | None = None,
                modules: "ModuleIndex | None" = None, seeds: dict[str, dict[str, Role]] | None = None) -> LimeModel:
    """The Lime model of ``tree``.

    ``path`` and ``modules``: the module's file and the workspace's import
    table; with both, calls of functions imported from other modules are
    resolved and their summaries folded in (``LimeModel.external``).
    ``seeds``: qualname -> parameter -> role that callers elsewhere pass in.
    """
    # The imports, the calls (in walk order) and `global` names, from the tree's one node table.
    found = nodes_of(tree, ast.Import, ast.ImportFrom, ast.Call, ast.Global)
    rebound = {name for node in found if isinstance(node, ast.Global) for name in node.names}
    found = [node for node in found if not isinstance(node, ast.Global)]
    imports = _imports_of(node for node in found if not isinstance(node, ast.Call))
    functions: dict[str, FunctionInfo] = {}
    _collect_functions(tree.body, "", None, None, functions, syntax_index(tree))
    scheduled_here, scheduled_elsewhere = _scheduled_tasks(tree, imports, functions,
                                                           [node for node in found if isinstance(node, ast.Call)])
    task_names = set(extra_task_names) | scheduled_here
    for info in functions.values():
        if info.parent is None and info.class_name is None and (
            any(_is_task_decorator(d, imports) for d in info.node.decorator_list) or info.name in task_names
        ):
            info.is_task = True
            params = info.params
            if params:
                info.app_param = params[0].arg
    if seeds is None and modules is not None and path is not None and not modules.building():
        seeds = modules.incoming_roles(path, tree)  # roles passed in by callers in other modules
    analyser = _Analyser(imports, functions, path=path, modules=modules, seeds=seeds)
    analyser.run(tree, rebound)
    external = analyser.external_functions()
    _summarise(functions, external)
    return LimeModel(tree, imports, functions, scheduled_elsewhere, external)


def _collect_functions(body: list[ast.stmt], prefix: str, parent: FunctionInfo | None,
                       class_name: str | None, out: dict[str, FunctionInfo], index: "SyntaxIndex | None" = None) -> None:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qualname = f"{prefix}{stmt.name}"
            info = FunctionInfo(stmt, qualname, parent, class_name, index=index)
            out.setdefault(qualname, info)
            _collect_functions(_nested_bodies(stmt), f"{qualname}.", info, None, out, index)
        elif isinstance(stmt, ast.ClassDef):
            _collect_functions(stmt.body, f"{prefix}{stmt.name}.", parent, stmt.name, out, index)
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.AsyncWith)) and parent is None:
            # Functions defined under ``if TYPE_CHECKING`` / ``try`` at module level.
            for sub in _child_bodies(stmt):
                _collect_functions(sub, prefix, parent, class_name, out, index)


def _child_bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    bodies = [getattr(stmt, "body", []), getattr(stmt, "orelse", []), getattr(stmt, "finalbody", [])]
    bodies.extend(h.body for h in getattr(stmt, "handlers", []))
    return [b for b in bodies if b]


def _nested_bodies(func: FunctionNode) -> list[ast.stmt]:
    """Function and class definitions nested anywhere in ``func``'s body."""
    found: list[ast.stmt] = []
    stack: list[ast.stmt] = list(func.body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append(stmt)
            continue
        for sub in _child_bodies(stmt):
            stack.extend(sub)
    return found


def _scheduled_tasks(tree: ast.Module, imports: dict[str, str], functions: dict[str, FunctionInfo],
                     calls: list[ast.Call] | None = None) -> tuple[set[str], list[str]]:
    """``calls``: the module's calls in ``ast.walk`` order, when already collected."""
    here: set[str] = set()
    elsewhere: list[str] = []
    for node in calls if calls is not None else walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = qualified_name(node.func, imports) or (node.func.id if isinstance(node.func, ast.Name) else "")
        if not name.endswith("ScheduledTask"):
            continue
        for keyword in node.keywords:
            if keyword.arg != "task":
                continue
            if isinstance(keyword.value, ast.Name) and keyword.value.id in functions:
                here.add(keyword.value.id)
            elif isinstance(keyword.value, (ast.Name, ast.Attribute)):
                target = qualified_name(keyword.value, imports)
                elsewhere.append(target or ast.unparse(keyword.value))
    return here, elsewhere


def _has_limit(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "limit":
            return not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None)
    return False


#: Lime classes a parameter annotation names -> the role of the parameter.
_ANNOTATED_ROLES = {"LimeApplication": APP, "UnitOfWork": UOW, "LimeType": Role("limetype"),
                    "LimeObject": Role("object"), "BelongsToPropertyAccessor": PROPERTY,
                    "HasManyPropertyAccessor": PROPERTY}


def _annotation_name(annotation: ast.expr | None, imports: dict[str, str] | None = None) -> str:
    """The class an annotation names, under any import form or alias
    (``LimeApplication``, ``lime_application.LimeApplication``, ``App`` imported
    ``as App``, ``"LimeApplication"``, ``Optional[...]``, ``... | None``)."""
    if annotation is None:
        return ""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return annotation.value.rsplit(".", 1)[-1]
    if isinstance(annotation, ast.Subscript):  # Optional[X], Union[X, None]
        inner = annotation.slice
        options = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        names = [_annotation_name(o, imports) for o in options]
        return next((n for n in names if n in _ANNOTATED_ROLES), names[0] if names else "")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):  # X | None
        left, right = _annotation_name(annotation.left, imports), _annotation_name(annotation.right, imports)
        return left if left in _ANNOTATED_ROLES else right
    qualified = qualified_name(annotation, imports) if imports else None
    if qualified:
        return qualified.rsplit(".", 1)[-1]
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    if isinstance(annotation, ast.Name):
        return annotation.id
    return ""


class _Analyser:
    """Walks every function, resolving roles, reads, units of work, loops and calls.

    Runs until the roles handed to helper parameters by their callers stop
    changing (a small fixed point: each round can only add roles).
    """

    def __init__(self, imports: dict[str, str], functions: dict[str, FunctionInfo], *, path: str | None = None,
                 modules: "ModuleIndex | None" = None, seeds: dict[str, dict[str, Role]] | None = None) -> None:
        self.imports = imports
        self.functions = functions
        self.module_functions = {k for k, v in functions.items() if v.parent is None and v.class_name is None}
        self.param_roles: dict[str, dict[str, Role]] = {k: {} for k in functions}
        self.path = path
        self.modules = modules if path is not None else None
        self.seeds = seeds or {}
        #: id(call node) -> external callee key (None: not a call of another module's function)
        self._external_keys: dict[int, str | None] = {}
        #: external callee key -> where it is defined
        self.external: dict[str, "Target"] = {}
        #: class key -> ``self.<attribute>`` -> role, from every method of the class
        self.class_attributes: dict[str, dict[str, Role]] = {}
        #: Roles of module-level names (``app = lime_application.get_application(...)``).
        self.module_names: dict[str, Role] = {}
        #: Values of names assigned exactly once at module level (constants).
        self.module_values: dict[str, ast.expr] = {}

    def run(self, tree: ast.Module | None = None, rebound: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        """``rebound``: names some function declares ``global`` (not constants)."""
        if tree is not None:
            self.module_names = _module_level_roles(tree, self.imports)
            self.module_values = _module_constants(tree, rebound)
        for info in self.functions.values():
            self.param_roles[info.qualname].update(self._initial_param_roles(info))
            self.param_roles[info.qualname].update(self.seeds.get(info.qualname, {}))
        for _ in range(6):
            changed = False
            for info in self.functions.values():
                self._analyse(info)
            for info in self.functions.values():
                for call in info.calls:
                    changed |= self._propagate(call)
            if not changed:
                break

    def _initial_param_roles(self, info: FunctionInfo) -> dict[str, Role]:
        """Roles known from the function itself: its annotations, the usual names
        of the application and the unit of work (at any position), and names
        used as an application (``x.limetypes``)."""
        roles: dict[str, Role] = {}
        if info.app_param:
            roles[info.app_param] = APP
        for param in info.params:
            annotated = _ANNOTATED_ROLES.get(_annotation_name(param.annotation, self.imports))
            if annotated is not None:
                roles[param.arg] = annotated
            elif param.arg in UOW_PARAM_NAMES:
                roles[param.arg] = UOW
            elif param.arg in APP_PARAM_NAMES:
                roles[param.arg] = APP
        return roles

    def _propagate(self, call: HelperCall) -> bool:
        callee = self.functions.get(call.callee)
        if callee is None:
            return False
        roles = self.param_roles[callee.qualname]
        changed = False
        for param, role in _passed_roles(callee, call, self.imports).items():
            if roles.get(param) != role:
                if param in roles and roles[param].kind == role.kind and role.limetype is None:
                    continue
                roles[param] = role
                changed = True
        return changed

    def _analyse(self, info: FunctionInfo) -> None:
        info.names = dict(self.param_roles[info.qualname])
        if info.parent is not None:
            # Closures see the names of the enclosing function.
            for name, role in info.parent.names.items():
                info.names.setdefault(name, role)
        for name, role in self.module_names.items():
            info.names.setdefault(name, role)
        if info.class_name is not None and info.params and info.params[0].arg == "self":
            # Lime objects, endpoints (LimeResource) and event handlers all hold
            # the application as ``self.application``; other attributes of
            # ``self`` keep the roles any method of the class gave them.
            info.names.setdefault("self.application", APP)
            for name, role in self.class_attributes.get(_class_key(info), {}).items():
                info.names.setdefault(name, role)
        # Facts of the function's own code, the same in every round of the fixed point.
        used_as_application, property_names = info.__dict__.get("_name_evidence") or info.__dict__.setdefault(
            "_name_evidence", _name_evidence(info, self.imports))
        for name in used_as_application:
            info.names.setdefault(name, APP)
        for name in property_names:
            info.names.setdefault(name, PROPERTY)
        info.reads, info.uow_calls, info.calls, info.loops = [], [], [], []
        walker = _FunctionWalker(self, info)
        walker.used_as_application = used_as_application
        for stmt in info.node.body:
            walker.visit(stmt)
        if info.class_name is not None:
            attributes = self.class_attributes.setdefault(_class_key(info), {})
            for name, role in info.names.items():
                if name.startswith("self.") and name != "self.application":
                    attributes.setdefault(name, role)

    def resolve_call(self, node: ast.Call, info: FunctionInfo) -> str | None:
        func = node.func
        if isinstance(func, ast.Name):
            # A nested function first, then a module-level one.
            nested = f"{info.qualname}.{func.id}"
            if nested in self.functions:
                return nested
            if func.id in self.module_functions:
                return func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in ("self", "cls") and info.class_name:
            prefix = info.qualname.rsplit(".", 1)[0]
            key = f"{prefix}.{func.attr}"
            if key in self.functions:
                return key
        return self._external_callee(node, info)

    def _external_callee(self, node: ast.Call, info: FunctionInfo) -> str | None:
        """The key of a function of another module that ``node`` calls through an import."""
        if self.modules is None:
            return None
        known = self._external_keys.get(id(node), _UNSET)
        if known is not _UNSET:
            return known  # type: ignore[return-value]
        key = None
        base = node.func
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.imports and base.id not in info.names:
            target = self.modules.resolve_expr(self.path, node.func, self.imports)  # type: ignore[arg-type]
            if target is not None and target.kind == "function" and target.path != self.path:
                key = f"{target.path}::{target.qualname}"
                self.external[key] = target
        self._external_keys[id(node)] = key
        return key

    def external_functions(self) -> dict[str, FunctionInfo]:
        """Facts of the other modules' functions this module calls, each analysed
        with the roles its callers here pass in (an application, a unit of work...)."""
        found: dict[str, FunctionInfo] = {}
        if self.modules is None:
            return found
        for key, target in sorted(self.external.items()):
            plain = self.modules.function(target)
            if plain is None:
                continue
            info = plain[0]
            roles: dict[str, Role] = {}
            for caller in self.functions.values():
                for call in caller.calls:
                    if call.callee == key:
                        for param, role in _passed_roles(info, call, self.imports).items():
                            roles.setdefault(param, role)
            if roles:
                seeded = self.modules.function(target, {target.qualname: roles})
                if seeded is not None:
                    info = seeded[0]
            found[key] = info
        return found


_UNSET = object()
#: Roles that flow from a caller's argument into the callee's parameter.
PASSED_ROLES = ("app", "limetypes", "limetype", "uow", "files", "property")


def _passed_roles(callee: FunctionInfo, call: HelperCall, imports: dict[str, str]) -> dict[str, Role]:
    """Parameter -> the Lime role of the argument ``call`` passes for it."""
    params = [p.arg for p in callee.params]
    if callee.is_method and params and params[0] in ("self", "cls"):
        params = params[1:]
    pairs = list(zip(params, call.node.args))
    pairs += [(k.arg, k.value) for k in call.node.keywords if k.arg in params]
    out: dict[str, Role] = {}
    for param, arg in pairs:
        role = _role_of(arg, call.function.names, imports)
        if role is not None and role.kind in PASSED_ROLES:
            out[param] = role
    return out


def _role_of(node: ast.AST, names: dict[str, Role], imports: dict[str, str]) -> Role | None:
    """The Lime role of an expression, from the roles of the names it uses."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.IfExp):  # ``app.unit_of_work() if uow is None else uow``: either way a unit of work
        chosen = _role_of(node.body, names, imports)
        return chosen if chosen is not None and chosen == _role_of(node.orelse, names, imports) else None
    if isinstance(node, ast.Attribute):
        attribute = _self_attribute(node)
        if attribute is not None and attribute in names:
            return names[attribute]
        if isinstance(node.value, ast.Attribute) and node.value.attr == "properties":
            return PROPERTY
        base = _role_of(node.value, names, imports)
        if base is None:
            return None
        if base.kind == "object" and node.attr == "application":
            return APP
        if base.kind == "app":
            if node.attr == "limetypes":
                return LIMETYPES
            if node.attr == "files":
                return FILES
            return None
        if base.kind == "limetypes" and not node.attr.startswith("_") and node.attr not in ("get_limetype",):
            return Role("limetype", node.attr)
        return None
    if isinstance(node, ast.Call):
        func = node.func
        if _is_property_lookup(node):
            return PROPERTY
        if isinstance(func, ast.Attribute):
            base = _role_of(func.value, names, imports)
            if base is not None:
                if base.kind == "limetypes" and func.attr == "get_limetype":
                    arg = node.args[0] if node.args else None
                    name = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                    return Role("limetype", name)
                if base.kind == "app" and func.attr == "unit_of_work":
                    return UOW
                if base.kind == "limetype" and func.attr == "get_all":
                    return Role("objects", base.limetype, bounded=_has_limit(node))
                if base.kind == "limetype" and func.attr == "get":
                    return Role("object", base.limetype)
        qualified = qualified_name(func, imports) or ""
        if qualified.endswith("create_unit_of_work"):
            return UOW
        if qualified.endswith("lime_application.get_application"):
            return APP
        if isinstance(func, ast.Name) and func.id in ("list", "sorted", "tuple") and node.args:
            inner = _role_of(node.args[0], names, imports)
            if inner is not None and inner.kind == "objects":
                return inner
    return None


def _self_attribute(node: ast.AST) -> str | None:
    """``"self.x"`` for the expression ``self.x``, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def _class_key(info: FunctionInfo) -> str:
    return info.qualname.rsplit(".", 1)[0]


def local_roles(tree: ast.Module, imports: dict[str, str]) -> Iterator[tuple[FunctionNode, dict[str, Role]]]:
    """Every function of ``tree`` with the roles its own code gives names, without
    the module's call graph: parameters (annotations, the usual names, a task's
    first parameter), names used as the application, ``self.application`` in
    methods, module-level roles and assignments in source order.  Cheap enough
    to run over every caller of a module in the workspace."""
    functions: dict[str, FunctionInfo] = {}
    _collect_functions(tree.body, "", None, None, functions, syntax_index(tree))
    analyser = _Analyser(imports, functions)
    module_roles = _module_level_roles(tree, imports)
    for info in functions.values():
        names = dict(module_roles)
        names.update(analyser._initial_param_roles(info))
        params = info.params
        if info.parent is None and info.class_name is None and params \
                and any(_is_task_decorator(d, imports) for d in info.node.decorator_list):
            names[params[0].arg] = APP
        if info.class_name is not None and params and params[0].arg == "self":
            names["self.application"] = APP
        for name in _name_evidence(info, imports)[0]:
            names.setdefault(name, APP)
        for node in sorted((n for n in info.own_nodes() if isinstance(n, ast.Assign)),
                           key=lambda n: (n.lineno, n.col_offset)):
            role = _role_of(node.value, names, imports)
            if role is not None:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names[target.id] = role
        yield info.node, names


def _module_constants(tree: ast.Module, rebound: set[str] = frozenset()) -> dict[str, ast.expr]:  # type: ignore[assignment]
    """Names assigned exactly once at module level (and nowhere with ``global``) -> value."""
    values: dict[str, list[ast.expr]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in _target_names(target):
                    values.setdefault(name, []).append(stmt.value if isinstance(target, ast.Name) else None)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            values.setdefault(stmt.target.id, []).append(stmt.value)
        elif isinstance(stmt, (ast.AugAssign, ast.For, ast.AsyncFor)):
            for name in _target_names(stmt.target):
                values.setdefault(name, []).append(None)
    return {name: found[0] for name, found in values.items()
            if len(found) == 1 and found[0] is not None and name not in rebound}


def _module_level_roles(tree: ast.Module, imports: dict[str, str]) -> dict[str, Role]:
    """Roles of names assigned at module level (an application fetched once)."""
    names: dict[str, Role] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            role = _role_of(stmt.value, names, imports)
            for target in targets:
                if isinstance(target, ast.Name):
                    if role is not None and role.kind in PASSED_ROLES:
                        names[target.id] = role
                    else:
                        names.pop(target.id, None)
    return names


class _FunctionWalker(ast.NodeVisitor):
    """Visits one function body (not nested functions) in source order."""

    def __init__(self, analyser: _Analyser, info: FunctionInfo) -> None:
        self.analyser = analyser
        self.info = info
        self.loop: Loop | None = None
        #: Names whose ``.limetypes`` the function reads: an application whatever they are assigned.
        self.used_as_application: set[str] = set()

    # Nested definitions are analysed as functions of their own.
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        return None

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return None

    # -- bindings ----------------------------------------------------------------
    def _bind(self, target: ast.AST, value: ast.AST | None) -> None:
        role = _role_of(value, self.info.names, self.analyser.imports) if value is not None else None
        if role is None and isinstance(target, ast.Name) and _is_relation_fetch(value) \
                and target.id in self._iterated():
            # `persons = company.properties.persons.fetch()` iterated later: a
            # has-many relation, so a collection of Lime objects.
            role = Role("objects")
        attribute = _self_attribute(target)
        if attribute is not None and role is not None and role.kind in PASSED_ROLES:
            self.info.names.setdefault(attribute, role)
        for name in _target_names(target):
            if role is not None and isinstance(target, ast.Name):
                self.info.names[name] = role
            elif name in self.info.names and isinstance(target, ast.Name) and value is not None \
                    and name not in self.used_as_application:
                # Rebinding a name to something else drops its role.
                del self.info.names[name]
            if self.loop is not None and value is not None and self._depends(value):
                for loop in self.loop.chain():
                    if loop.depends_on(value):
                        loop.dependent.add(name)

    def _iterated(self) -> set[str]:
        """Names the function iterates: ``for x in name``, comprehensions, ``list(name)``..."""
        cached = self.info.__dict__.get("_iterated")
        if cached is None:
            cached = set()
            for node in self.info.own_nodes():
                if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(node.iter, ast.Name):
                    cached.add(node.iter.id)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args \
                        and node.func.id in ("list", "sorted", "set", "tuple", "enumerate", "iter") \
                        and isinstance(node.args[0], ast.Name):
                    cached.add(node.args[0].id)
            self.info.__dict__["_iterated"] = cached
        return cached

    def _depends(self, node: ast.AST) -> bool:
        return self.loop is not None and any(loop.depends_on(node) for loop in self.loop.chain())

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
            self._bind(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if self._depends(node.value) and isinstance(node.target, ast.Name):
            for loop in self.loop.chain():  # type: ignore[union-attr]
                if loop.depends_on(node.value):
                    loop.dependent.add(node.target.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target, node.value)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind(item.optional_vars, item.context_expr)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        guarded = _lazily_initialised(node)
        outer = self.loop
        if guarded is not None and outer is not None:
            # `if cache is None: cache = <read>`: the body runs once, not once per
            # pass, unless a loop also resets the name outside the guard.
            self.loop = _loop_rebinding(outer, guarded, node)
        for stmt in node.body:
            self.visit(stmt)
        self.loop = outer
        for stmt in node.orelse:
            self.visit(stmt)

    # -- loops -------------------------------------------------------------------
    def _enter(self, node: LoopNode, iterable: ast.expr | None) -> Loop:
        loop = Loop(node, self.info, self.loop, iterable=iterable)
        if iterable is not None:
            loop.known_size, loop.size_origin = _SizeFinder(self).size(iterable)
        self.info.loops.append(loop)
        self.loop = loop
        return loop

    def _bind_loop_target(self, loop: Loop, target: ast.AST, iterable: ast.expr) -> None:
        names = set(_target_names(target))
        loop.variables |= names
        loop.dependent |= names
        role = _role_of(iterable, self.info.names, self.analyser.imports)
        if role is not None and role.kind == "objects" and isinstance(target, ast.Name):
            self.info.names[target.id] = Role("object", role.limetype, bounded=role.bounded)
        elif isinstance(target, ast.Name) and _iterates_properties(iterable):
            self.info.names[target.id] = PROPERTY

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        outer = self.loop
        loop = self._enter(node, node.iter)
        self._bind_loop_target(loop, node.target, node.iter)
        _propagate_dependencies(loop, node.body)
        for stmt in node.body:
            self.visit(stmt)
        self.loop = outer
        for stmt in node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_While(self, node: ast.While) -> None:
        outer = self.loop
        loop = self._enter(node, None)
        # Names assigned in a while body change every iteration.
        for _, targets in _assignments(node.body):
            loop.dependent.update(targets)
        self.visit(node.test)
        for stmt in node.body:
            self.visit(stmt)
        self.loop = outer
        for stmt in node.orelse:
            self.visit(stmt)

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        outer = self.loop
        # The first iterable is evaluated once, outside the comprehension's loop.
        self.visit(node.generators[0].iter)
        loop = self._enter(node, node.generators[0].iter)
        for index, generator in enumerate(node.generators):
            if index:
                self.visit(generator.iter)
                if loop.depends_on(generator.iter):
                    loop.dependent.update(_target_names(generator.target))
            self._bind_loop_target(loop, generator.target, generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.loop = outer

    visit_ListComp = _visit_comprehension  # type: ignore[assignment]
    visit_SetComp = _visit_comprehension  # type: ignore[assignment]
    visit_DictComp = _visit_comprehension  # type: ignore[assignment]
    visit_GeneratorExp = _visit_comprehension  # type: ignore[assignment]

    # -- calls -------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        info, imports = self.info, self.analyser.imports
        func = node.func
        read = self._read(node)
        if read is not None:
            info.reads.append(read)
            return
        if isinstance(func, ast.Attribute):
            base = _role_of(func.value, info.names, imports)
            if base is not None and base.kind == "uow" and func.attr in ("add", "commit"):
                name = func.value.id if isinstance(func.value, ast.Name) else None
                info.uow_calls.append(UowCall(node, func.attr, name, info, self.loop))
                return
        if _role_of(node, info.names, imports) == UOW:
            info.uow_calls.append(UowCall(node, "create", None, info, self.loop))
            return
        callee = self.analyser.resolve_call(node, info)
        if callee is not None:
            target = self.analyser.external.get(callee)
            info.calls.append(HelperCall(node, callee, info, self.loop, target.path if target else None))

    def _read(self, node: ast.Call) -> LimeRead | None:
        info, imports = self.info, self.analyser.imports
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in ("get_all", "get"):
                base = _role_of(func.value, info.names, imports)
                if base is not None and base.kind == "limetype":
                    bounded = func.attr == "get" or _has_limit(node)
                    return LimeRead(node, func.attr, base.limetype, bounded, info, self.loop)
            if func.attr == "fetch":
                base = _role_of(func.value, info.names, imports)
                if base is not None and base.kind == "files":
                    return LimeRead(node, "files.fetch", None, True, info, self.loop)
                relation = _relation_name(func.value)
                if relation is not None:
                    return LimeRead(node, "fetch", None, False, info, self.loop, relation=relation)
                if base is not None and base.kind == "property" and not node.args:
                    return LimeRead(node, "fetch", None, False, info, self.loop)
        qualified = qualified_name(func, imports) or ""
        if qualified == "lime_query.execute_query" or qualified.endswith(".execute_query") and qualified.startswith("lime_query"):
            return LimeRead(node, "execute_query", _query_limetype(node), False, info, self.loop)
        return None


def _guard_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return _self_attribute(node)


def _lazily_initialised(node: ast.If) -> str | None:
    """``x`` (or ``self.x``) for ``if x is None:`` / ``if not x:`` whose body assigns it."""
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        key = _guard_key(test.left)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        key = _guard_key(test.operand)
    else:
        return None
    if key is None:
        return None
    return key if any(key in _bound_keys(stmt) for stmt in node.body) else None


def _bound_keys(node: ast.AST, skip: ast.AST | None = None) -> set[str]:
    """Names and ``self.<attr>`` bound anywhere in ``node`` (not inside ``skip``)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is skip:
            continue
        targets: list[ast.AST] = []
        if isinstance(current, ast.Assign):
            targets = list(current.targets)
        elif isinstance(current, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
            targets = [current.target]
        for target in targets:
            found.update(_target_names(target))
            key = _self_attribute(target)
            if key is not None:
                found.add(key)
        stack.extend(child_nodes(current))
    return found


def _loop_rebinding(loop: Loop | None, key: str, guard: ast.If) -> Loop | None:
    """The innermost of ``loop``'s chain whose repeated part binds ``key`` outside
    ``guard`` (the guarded body then runs once per pass of that loop), else None."""
    while loop is not None:
        if any(key in _bound_keys(part, skip=guard) for part in _repeated_parts(loop)):
            return loop
        loop = loop.parent
    return None


class _SizeFinder:
    """How many items an iterable holds, when the code says so."""

    _WRAPPERS = frozenset({"enumerate", "list", "sorted", "tuple", "reversed", "set", "frozenset", "iter", "dict"})

    def __init__(self, walker: "_FunctionWalker") -> None:
        self.walker = walker
        self.info = walker.info

    def size(self, node: ast.AST, depth: int = 0) -> tuple[int | None, str | None]:
        if depth > 6:
            return None, None
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return len(node.elts), "a literal"
        if isinstance(node, ast.Dict) and None not in node.keys:
            return len(node.keys), "a literal"
        if _iterates_properties(node):
            return ASSUMED_SMALL_ITEMS, OBJECT_PROPERTIES
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) \
                and len(node.generators) == 1:
            # At most as many items as it iterates (fewer with an `if`).
            return self.size(node.generators[0].iter, depth + 1)
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            return self._path(node, depth)
        return None, None

    def _call(self, node: ast.Call, depth: int) -> tuple[int | None, str | None]:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in self._WRAPPERS and len(node.args) == 1:
            return self.size(node.args[0], depth + 1)
        if name == "zip" and node.args:
            sizes = [self.size(a, depth + 1) for a in node.args]
            known = [s for s in sizes if s[0] is not None]
            return min(known) if known else (None, None)
        if name == "range" and node.args and not node.keywords:
            bounds = [_int_constant(a) for a in node.args]
            if all(b is not None for b in bounds) and (len(bounds) < 3 or bounds[2]) and len(bounds) <= 3:
                try:
                    count = len(range(*bounds))  # type: ignore[arg-type]
                except OverflowError:  # range(10**20): more than any size worth stating
                    return None, None
                return count, "`range(...)` with literal bounds"
            if len(node.args) == 1 and isinstance(node.args[0], ast.Call) and isinstance(node.args[0].func, ast.Name) \
                    and node.args[0].func.id == "len" and len(node.args[0].args) == 1:
                return self.size(node.args[0].args[0], depth + 1)
        if isinstance(func, ast.Attribute) and func.attr in ("items", "keys", "values") and not node.args:
            return self.size(func.value, depth + 1)
        qualified = qualified_name(func, self.walker.analyser.imports) or ""
        called = func.attr if isinstance(func, ast.Attribute) else name or ""
        if qualified.startswith("lime_config.") or _is_config_name(called):
            return ASSUMED_SMALL_ITEMS, CONFIGURATION  # get_app_config(app), get_plugin_config(app)
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
            return self._path(func.value, depth)  # config.get("limetypes", {})
        return None, None

    def _name(self, name: str, depth: int) -> tuple[int | None, str | None]:
        info = self.info
        if name in info.names:
            return None, None  # a Lime role: its size is the data's, not the code's
        outer = self.walker.loop
        while outer is not None:
            if name in outer.variables:
                # An item of a configuration loop is configuration too.
                return (outer.known_size, outer.size_origin) if outer.size_origin == CONFIGURATION else (None, None)
            outer = outer.parent
        values = _own_assignments(info).get(name)
        if values is not None:
            if any(value is None for value in values):
                return None, None
            sizes = [self.size(value, depth + 1) for value in values]
            if all(count is not None for count, _ in sizes):
                # Assigned in several branches: the largest of them.
                return max(sizes, key=lambda found: found[0])  # type: ignore[arg-type,return-value]
            if not _is_config_name(name):
                return None, None
        param = next((p for p in info.params if p.arg == name), None)
        if param is not None:
            default = _parameter_default(info.node, name)
            if default is not None and not _is_config_name(name):
                count, _origin = self.size(default, depth + 1)
                # An empty default (`rows=()`) is a placeholder for the caller's data, not a size.
                return (count, f"the default of `{name}`") if count else (None, None)
        elif name in self.walker.analyser.module_values:
            count, _origin = self.size(self.walker.analyser.module_values[name], depth + 1)
            if count is not None:
                return count, f"the module constant `{name}`"
        if _is_config_name(name):
            return ASSUMED_SMALL_ITEMS, CONFIGURATION
        return None, None

    def _path(self, node: ast.AST, depth: int) -> tuple[int | None, str | None]:
        """``config["limetypes"]``, ``self.settings.fields``, ``uow.context.objects``,
        ``KINDS["deal"]`` (a literal dict's literal value)."""
        parts: list[ast.AST] = []
        base = node
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            parts.append(base)
            base = base.value
        attributes = [p.attr for p in parts if isinstance(p, ast.Attribute)]
        if any(_is_config_name(a) for a in attributes):
            return ASSUMED_SMALL_ITEMS, CONFIGURATION
        if isinstance(base, ast.Call):
            found = self._call(base, depth + 1)
            return found if found[1] == CONFIGURATION else (None, None)  # get_plugin_config(app)[kind]
        if isinstance(base, ast.Name):
            role = self.info.names.get(base.id)
            if role is not None and role.kind == "uow" and "context" in attributes:
                return ASSUMED_SMALL_ITEMS, UOW_CONTEXT
            if isinstance(node, ast.Subscript) and node.value is base:
                count, origin = self._name(base.id, depth + 1)
                if origin == CONFIGURATION:
                    return count, origin
                literal = self._literal_of(base.id)
                key = node.slice
                if isinstance(literal, ast.Dict) and isinstance(key, ast.Constant):
                    for k, v in zip(literal.keys, literal.values):
                        if isinstance(k, ast.Constant) and k.value == key.value:
                            return self.size(v, depth + 1)
            elif self._name(base.id, depth + 1)[1] == CONFIGURATION:
                return ASSUMED_SMALL_ITEMS, CONFIGURATION
        return None, None

    def _literal_of(self, name: str) -> ast.AST | None:
        values = _own_assignments(self.info).get(name)
        if values is not None:
            return values[0] if len(values) == 1 else None
        return self.walker.analyser.module_values.get(name)


def _int_constant(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_constant(node.operand)
        return -inner if inner is not None else None
    return None


def _parameter_default(func: FunctionNode, name: str) -> ast.expr | None:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return defaults.get(name)


def _own_assignments(info: FunctionInfo) -> dict[str, list[ast.AST | None]]:
    """Name -> values bound to it in the function's own code (None: bound other than
    by ``name = value``), cached on the function."""
    cached = info.__dict__.get("_own_assignments")
    if cached is not None:
        return cached
    found: dict[str, list[ast.AST | None]] = {}
    for node in info.own_nodes():
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in _target_names(target):
                    found.setdefault(name, []).append(node.value if isinstance(target, ast.Name) else None)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            for name in _target_names(node.target):
                found.setdefault(name, []).append(node.value)
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
            for name in _target_names(node.target):
                found.setdefault(name, []).append(None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for name in _target_names(node.optional_vars):
                found.setdefault(name, []).append(None)
    info.__dict__["_own_assignments"] = found
    return found


def _relation_name(node: ast.AST) -> str | None:
    """``rel`` for ``<x>.properties.rel`` or ``<x>.get_property("rel")``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "properties":
        return node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_property" \
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _iterates_properties(node: ast.AST) -> bool:
    """``obj.properties`` or ``obj.get_properties_with_value()``: each item is a property accessor."""
    if isinstance(node, ast.Attribute) and node.attr == "properties":
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "get_properties_with_value" and not node.args


def _is_property_lookup(node: ast.Call) -> bool:
    """``getattr(obj.properties, name[, default])`` or ``obj.get_property(name)``."""
    func = node.func
    if isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
        first = node.args[0]
        return isinstance(first, ast.Attribute) and first.attr == "properties"
    return isinstance(func, ast.Attribute) and func.attr == "get_property" and len(node.args) == 1


def _name_evidence(info: FunctionInfo, imports: dict[str, str]) -> tuple[set[str], set[str]]:
    """(names used as the application, names tested as property accessors), one walk."""
    application: set[str] = set()
    properties: set[str] = set()
    for node in info.own_nodes():
        if isinstance(node, ast.Attribute):
            if node.attr == "limetypes" and isinstance(node.value, ast.Name) and node.value.id not in ("self", "cls"):
                application.add(node.value.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2 and isinstance(node.args[0], ast.Name):
            classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(_annotation_name(c, imports).endswith("PropertyAccessor") for c in classes):
                properties.add(node.args[0].id)
    return application, properties


def _is_relation_fetch(node: ast.AST | None) -> bool:
    """``<x>.properties.rel.fetch()`` / ``<x>.get_property("rel").fetch()``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fetch" \
        and not node.args and _relation_name(node.func.value) is not None


def _query_limetype(node: ast.Call) -> str | None:
    query = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "query"), None)
    if isinstance(query, ast.Dict):
        for key, value in zip(query.keys, query.values):
            if isinstance(key, ast.Constant) and key.value == "limetype" and isinstance(value, ast.Constant):
                return str(value.value)
    return None


def _assignments(body: list[ast.stmt]) -> list[tuple[ast.AST | None, set[str]]]:
    """(value, names bound) for every binding in ``body``; ``None`` value for
    bindings that change on every pass whatever their value (``+=``)."""
    found: list[tuple[ast.AST | None, set[str]]] = []
    for stmt in body:
        for node in walk(stmt):
            if isinstance(node, ast.Assign):
                names = {n for t in node.targets for n in _target_names(t)}
                found.append((node.value, names))
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                found.append((node.value, set(_target_names(node.target))))
            elif isinstance(node, ast.AugAssign):
                found.append((None, set(_target_names(node.target))))
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                found.append((node.iter, set(_target_names(node.target))))
            elif isinstance(node, ast.comprehension):
                found.append((node.iter, set(_target_names(node.target))))
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                found.append((node.context_expr, set(_target_names(node.optional_vars))))
    return found


def _propagate_dependencies(loop: Loop, body: list[ast.stmt]) -> None:
    """Grow ``loop.dependent`` with every name whose value follows the loop variables."""
    bindings = _assignments(body)
    for value, names in bindings:
        # `total = total + row.amount`, `previous = f(previous)`: a name computed
        # from its own last value changes on every pass, whatever it reads.
        if value is not None and names & {n.id for n in walk(value) if isinstance(n, ast.Name)}:
            loop.dependent |= names
    changed = True
    while changed:
        changed = False
        for value, names in bindings:
            new = names - loop.dependent
            if new and (value is None or loop.depends_on(value)):
                loop.dependent |= new
                changed = True


def _target_names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


# -- summaries -------------------------------------------------------------------
def _direct_summary(info: FunctionInfo) -> Summary:
    return Summary(
        reads=len(info.reads),
        read_kinds=frozenset((r.kind, r.limetype) for r in info.reads),
        reads_in_loop=any(r.loop is not None for r in info.reads),
        commits=sum(1 for c in info.uow_calls if c.kind == "commit"),
        creates_uow=any(c.kind == "create" for c in info.uow_calls),
        adds=any(c.kind == "add" for c in info.uow_calls),
        returns_appended_list=_returns_appended_list(info),
    )


def _summarise(functions: dict[str, FunctionInfo], external: dict[str, FunctionInfo] | None = None) -> None:
    """Fold callees into callers until nothing changes (cycles converge: counts cap).
    ``external``: other modules' functions, whose summaries are already final."""
    external = external or {}
    for info in functions.values():
        info.direct = _direct_summary(info)
        info.summary = info.direct
    for _ in range(len(functions) + 1):
        changed = False
        for info in functions.values():
            total = info.direct
            for call in info.calls:
                callee = functions.get(call.callee) or external.get(call.callee)
                if callee is None or callee is info:
                    continue
                callee_summary = callee.summary
                if call.loop is not None and (callee_summary.reads or callee_summary.commits):
                    callee_summary = Summary(**{**callee_summary.__dict__, "reads_in_loop": True})
                total = total.merged(callee_summary)
            if total != info.summary:
                info.summary = total
                changed = True
        if not changed:
            break


def _returns_appended_list(info: FunctionInfo) -> bool:
    """``items = []`` ... ``items.append(x)`` in a loop ... ``return items``."""
    lists: set[str] = set()
    returned: set[str] = set()
    loops: list[ast.AST] = []
    for node in info.own_nodes():
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.List) and not value.elts or (
                isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
                and not value.args
            ):
                lists.add(node.targets[0].id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            loops.append(node)
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Name):
            returned.add(node.value.id)
    candidates = lists & returned
    if not candidates:
        return False  # (most functions: no loop body needs to be walked)
    for loop in loops:
        for sub in walk(loop):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in ("append", "extend") and isinstance(sub.func.value, ast.Name) \
                    and sub.func.value.id in candidates:
                return True
    return False


def enclosing_loop(model: LimeModel, node: ast.AST) -> Loop | None:
    """The innermost loop whose repeated part contains ``node``."""
    best: Loop | None = None
    best_size = None
    for loop in model.loops():
        for part in _repeated_parts(loop):
            if _contains(part, node):
                size = (part.end_lineno or 0) - part.lineno  # type: ignore[attr-defined]
                if best is None or size <= best_size:  # type: ignore[operator]
                    best, best_size = loop, size
    return best


def _repeated_parts(loop: Loop) -> list[ast.AST]:
    node = loop.node
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        parts: list[ast.AST] = list(node.body)
        if isinstance(node, ast.While):
            parts.append(node.test)
        return parts
    parts = [node.elt] if not isinstance(node, ast.DictComp) else [node.key, node.value]
    for index, generator in enumerate(node.generators):
        parts.extend(generator.ifs)
        if index:
            parts.append(generator.iter)
    return parts


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(n is inner for n in walk(outer))
