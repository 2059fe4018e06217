"""The effects model: what a call, statement, loop body or function *does*.

Built on the syntax index (:mod:`semantic`) and the Lime model (:mod:`model`),
one per module and version, and shared by every rule and fix.  For any node it
answers, interprocedurally over the module's functions (and, through
:mod:`modules` when available, over the workspace):

* ``reads``: Lime reads (the limetypes, ``None`` for an unknown one);
* ``writes`` / ``commits``: unit-of-work ``add``/``commit``, directly or in any
  helper it calls;
* ``io``: HTTP, files, mail, processes, ``print`` (anything outside the task);
* ``logs``: log records;
* ``rebinds`` / ``mutates``: names rebound, and names whose *object* may change
  (attribute or subscript stores, ``append``/``pop``/``update``..., ``next()``
  on an iterator, passing it to a call whose effects are unknown);
* ``raises``: an explicit ``raise`` or ``assert`` (every call may raise too:
  see :attr:`Effects.calls`);
* ``unknown``: calls whose effects cannot be known (an import the analysis
  cannot see, a method of an unknown object, a callable parameter).  Unknown is
  never "harmless": :attr:`Effects.may_write` and :attr:`Effects.may_read`
  count it.

It also answers the control-flow questions fixes need: whether a node runs only
under a condition (``if``, ``and``/``or``, a comprehension filter, an
``except``/``else``/``finally``, a suppressing ``with``, an earlier
``break``/``continue``/``return``) and whether a block may leave early.

Fixes state their preconditions as queries on this model, in one place per fix;
a precondition that is unknown makes the fix unsafe with the hazard named
(:meth:`Effects.hazards`), a false one withholds the fix.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable

from .semantic import SyntaxIndex, syntax_index

if TYPE_CHECKING:
    from .model import LimeModel

#: Builtins that neither read, write, log nor mutate their arguments.
PURE_BUILTINS = frozenset({
    "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "complex", "dict", "divmod",
    "enumerate", "filter", "float", "format", "frozenset", "getattr", "hasattr", "hash", "hex", "id", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "oct", "ord", "pow", "range",
    "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "type", "zip", "vars",
    "ValueError", "KeyError", "TypeError", "RuntimeError", "Exception", "LookupError", "IndexError",
    "AttributeError", "NotImplementedError", "StopIteration",
})
#: Methods of built-in values that only compute (str, bytes, dict, list, set, numbers, dates).
PURE_METHODS = frozenset({
    "get", "keys", "values", "items", "copy", "count", "index", "strip", "lstrip", "rstrip", "lower", "upper",
    "title", "capitalize", "casefold", "split", "rsplit", "splitlines", "join", "format", "format_map",
    "startswith", "endswith", "replace", "find", "rfind", "isdigit", "isalpha", "isalnum", "isnumeric",
    "isdecimal", "isspace", "islower", "isupper", "encode", "decode", "zfill", "ljust", "rjust", "center",
    "partition", "rpartition", "expandtabs", "translate", "isoformat", "strftime", "date", "time",
    "timestamp", "total_seconds", "union", "intersection", "difference", "symmetric_difference",
    "issubset", "issuperset", "isdisjoint", "hex", "is_integer", "as_integer_ratio", "quantize",
    "to_integral_value", "normalize", "group", "groups", "groupdict", "span", "start", "end",
    "get_property", "get_related_limetype", "astimezone", "weekday", "isoweekday", "replace",
})
#: Methods that change the object they are called on.
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "popitem", "appendleft", "extendleft", "popleft", "rotate", "__setitem__",
    "__delitem__", "send", "write", "writelines",
})
#: Calls by qualified name (from the module's imports) that only compute.
PURE_QUALIFIED_PREFIXES = (
    "math.", "json.dumps", "json.loads", "datetime.", "decimal.", "re.", "itertools.", "functools.",
    "collections.", "operator.", "os.path.", "os.environ.get", "os.getenv", "time.time", "time.perf_counter",
    "time.monotonic", "uuid.", "logging.getLogger", "string.", "textwrap.", "statistics.", "copy.",
    "typing.", "dataclasses.", "enum.", "lime_filter.", "lime_query.", "lime_type.", "contextlib.suppress",
    "hashlib.", "base64.", "urllib.parse.", "html.", "fractions.", "random.",
)
#: Calls by qualified name that go outside the task (network, files, mail, processes).
IO_QUALIFIED_PREFIXES = (
    "requests.", "httpx.", "urllib.request.", "http.client.", "smtplib.", "subprocess.", "socket.",
    "ftplib.", "shutil.", "os.remove", "os.unlink", "os.rename", "os.makedirs", "os.mkdir", "os.rmdir",
    "aiohttp.", "boto3.", "paramiko.", "pathlib.Path.write", "tempfile.",
)
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


@dataclass(frozen=True)
class Effects:
    """What running a piece of code may do.  Sets are of names or descriptions;
    an empty ``Effects()`` is code that only computes."""

    reads: frozenset = frozenset()          # limetypes read (None: not known which)
    writes: bool = False                     # unit-of-work add or commit
    commits: bool = False
    io: bool = False
    logs: bool = False
    rebinds: frozenset = frozenset()         # names rebound
    mutates: frozenset = frozenset()         # names whose object may change
    consumes: frozenset = frozenset()        # names iterated or advanced (an iterator would be used up)
    #: Names passed to (or the receiver of) a call whose effects are unknown: it may change them.
    may_mutate: frozenset = frozenset()
    #: Limetypes of the Lime objects created (``app.limetypes.deal(...)``), directly or in helpers.
    creates: frozenset = frozenset()
    raises: bool = False                     # an explicit raise/assert
    calls: bool = False                      # makes calls at all (any call may raise)
    #: Human-readable names of calls whose effects are unknown (``save_contract()``).
    unknown: frozenset = frozenset()
    #: The known helpers that write, by name (for messages: "``save()`` commits").
    writers: frozenset = frozenset()

    def __or__(self, other: "Effects") -> "Effects":
        return Effects(
            reads=self.reads | other.reads, writes=self.writes or other.writes,
            commits=self.commits or other.commits, io=self.io or other.io, logs=self.logs or other.logs,
            rebinds=self.rebinds | other.rebinds, mutates=self.mutates | other.mutates,
            consumes=self.consumes | other.consumes, may_mutate=self.may_mutate | other.may_mutate,
            creates=self.creates | other.creates,
            raises=self.raises or other.raises, calls=self.calls or other.calls,
            unknown=self.unknown | other.unknown, writers=self.writers | other.writers,
        )

    @property
    def may_write(self) -> bool:
        """Writes to Lime, or may (through a call the analysis cannot see)."""
        return self.writes or bool(self.unknown)

    @property
    def may_read(self) -> bool:
        return bool(self.reads) or bool(self.unknown)

    @property
    def has_side_effects(self) -> bool:
        """Anything an observer could see besides the value: writes, I/O, logs,
        mutation of a name's object, or an unknown call."""
        return self.writes or self.io or self.logs or bool(self.mutates) or bool(self.unknown)

    def changes(self, names: Iterable[str]) -> set[str]:
        """The names among ``names`` this code rebinds or whose object it changes
        (by a store or a mutating method: known)."""
        names = set(names)
        return names & (set(self.rebinds) | set(self.mutates))

    def may_change(self, names: Iterable[str]) -> set[str]:
        """The names among ``names`` that a call with unknown effects may change."""
        return set(names) & set(self.may_mutate)

    def hazards(self) -> list[str]:
        """Short phrases naming what makes the code unsafe to reorder, for fix titles."""
        out = []
        for writer in sorted(self.writers):
            out.append(f"`{writer}` writes to Lime")
        if self.writes and not self.writers:
            out.append("it writes to Lime")
        for name in sorted(self.unknown)[:3]:
            out.append(f"`{name}` may do anything (its code is not visible)")
        if self.io:
            out.append("it calls outside the task (HTTP, files, mail)")
        return out


NOTHING = Effects()


@dataclass
class _FunctionState:
    effects: Effects | None = None
    busy: bool = False


class EffectsModel:
    """Effects of the code of one module (see the module docstring).

    ``resolve_external(call)``, when given, answers for a call of a function
    defined in another module: its :class:`Effects`, or None when it cannot be
    known (then the call is *unknown*).  It must be deterministic (never a
    time-bounded answer): the same input gives the same fix labels.
    """

    def __init__(self, tree: ast.Module, model: "LimeModel",
                 resolve_external: Callable[[ast.Call], Effects | None] | None = None, modules=None) -> None:
        self.tree = tree
        self.index: SyntaxIndex = syntax_index(tree)
        self.model = model
        self.resolve_external = resolve_external
        #: The workspace's import table (:mod:`modules`): helpers of other modules
        #: are followed into their own module's effects model.
        self.modules = modules
        self._external: dict[str, "EffectsModel | None"] = {}
        self._reads = {id(r.node): r for r in model.reads()}
        self._uow = {id(c.node): c for c in model.uow_calls()}
        self._helpers = {id(c.node): c for c in model.helper_calls()}
        self._functions: dict[int, _FunctionState] = {}
        self._by_name = {info.qualname: info for info in model.functions.values()}
        self._calls: dict[int, Effects] = {}
        self._nodes: dict[int, Effects] = {}

    # -- calls ---------------------------------------------------------------------
    def of_call(self, call: ast.Call) -> Effects:
        """The effects of the call itself (its callee's code), not of its arguments."""
        cached = self._calls.get(id(call))
        if cached is None:
            cached = self._calls[id(call)] = self._call(call)
        return cached

    def _call(self, call: ast.Call) -> Effects:
        read = self._reads.get(id(call))
        if read is not None:
            return Effects(reads=frozenset({read.limetype}), calls=True)
        uow = self._uow.get(id(call))
        if uow is not None:
            if uow.kind == "create":
                return Effects(calls=True)
            return Effects(writes=True, commits=uow.kind == "commit", calls=True)
        helper = self._helpers.get(id(call))
        func = call.func
        label = _call_label(func)
        if helper is not None:
            info = self._by_name.get(helper.callee)
            if info is not None:
                return self._strip_locals(self.of_function(info.node), call, info.node, label)
            other = self._external_model(helper.callee)
            if other is not None:
                inner = other.of_function(other.model.functions[helper.callee.split("::", 1)[1]].node)
                return self._strip_locals(inner, call, None, label)
        if isinstance(func, ast.Name):
            name = func.id
            scope = self.index.resolve(name, call)
            if scope is None:  # a builtin
                if name == "print":
                    return Effects(io=True, calls=True)
                if name == "next":
                    return Effects(calls=True, consumes=frozenset(_root_names(call.args[:1])))
                if name == "open":
                    return Effects(io=True, calls=True)
                if name in PURE_BUILTINS:
                    if name in ("map", "filter", "sorted", "max", "min") and call.args:
                        return self._callable_arguments(call)
                    return Effects(calls=True)
                return Effects(calls=True, unknown=frozenset({f"{name}()"}))
            qualified = self.model.imports.get(name)
            if qualified is not None:
                return self._qualified(qualified, call, label)
            local = self._local_function(name, call)
            if local is not None:
                return self._strip_locals(self.of_function(local), call, local, label)
            created = self._constructed_limetype(func)
            if created is not None:
                return Effects(calls=True, creates=frozenset(created))
            return Effects(calls=True, unknown=frozenset({label}),
                           may_mutate=frozenset(_root_names([*call.args, *(k.value for k in call.keywords)])))
        if isinstance(func, ast.Attribute):
            method = func.attr
            receiver = func.value
            qualified = _qualified(func, self.model.imports)
            if qualified is not None:
                return self._qualified(qualified, call, label)
            if method in LOG_METHODS and _looks_like_logger(receiver, self):
                return Effects(logs=True, calls=True)
            if method in MUTATING_METHODS:
                return Effects(calls=True, mutates=frozenset(_root_names([receiver])))
            if method in PURE_METHODS:
                return Effects(calls=True)
            created = self._constructed_limetype(func)
            if created is not None:
                return Effects(calls=True, creates=frozenset(created))
            return Effects(calls=True, unknown=frozenset({label}),
                           may_mutate=frozenset(_root_names([receiver, *call.args, *(k.value for k in call.keywords)])))
        return Effects(calls=True, unknown=frozenset({label}))

    def _qualified(self, qualified: str, call: ast.Call, label: str) -> Effects:
        if qualified.startswith(IO_QUALIFIED_PREFIXES):
            return Effects(io=True, calls=True)
        if qualified.startswith(PURE_QUALIFIED_PREFIXES):
            return Effects(calls=True)
        if qualified.startswith("logging.") and qualified.rsplit(".", 1)[-1] in LOG_METHODS:
            return Effects(logs=True, calls=True)
        if self.resolve_external is not None:
            found = self.resolve_external(call)
            if found is not None:
                if found.writes:
                    found = found | Effects(writers=frozenset({label}))
                return found | Effects(calls=True)
        return Effects(calls=True, unknown=frozenset({label}),
                       may_mutate=frozenset(_root_names([*call.args, *(k.value for k in call.keywords)])))

    def _callable_arguments(self, call: ast.Call) -> Effects:
        total = Effects(calls=True)
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Lambda):
                total = total | self.of_node(arg.body)
            elif isinstance(arg, (ast.Name, ast.Attribute)) and not self._is_data(arg, call):
                total = total | Effects(unknown=frozenset({_call_label(arg)}))
        return total

    def _is_data(self, node: ast.AST, at: ast.AST) -> bool:
        """Whether a name passed to map()/sorted() is data rather than a function
        (conservatively: only names bound to non-callables we can see)."""
        if isinstance(node, ast.Name):
            if node.id in PURE_BUILTINS:
                return True
            scope = self.index.resolve(node.id, at)
            if scope is None:
                return False
            bindings = scope.bindings.get(node.id, [])
            return bool(bindings) and not any(
                isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef, ast.arg, ast.alias)) for b in bindings)
        return False

    def _local_function(self, name: str, at: ast.AST) -> ast.AST | None:
        scope = self.index.resolve(name, at)
        if scope is None:
            return None
        bindings = scope.bindings.get(name, [])
        if len(bindings) == 1 and isinstance(bindings[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
            return bindings[0]
        return None

    def _external_model(self, key: str) -> "EffectsModel | None":
        """The effects model of the module defining ``key`` (``path::qualname``, a
        ``LimeModel.external`` key), with the callee's facts as this module's
        calls seed them (an application passed in...); None when unknown."""
        if key in self._external:
            return self._external[key]
        found = None
        info = self.model.external.get(key)
        if info is not None and self.modules is not None and "::" in key:
            path = key.split("::", 1)[0]
            tree = self.modules.tree(path)
            plain = self.modules.model(path) if tree is not None else None
            if plain is not None and plain.tree is tree:
                from .model import LimeModel

                functions = dict(plain.functions)
                functions[info.qualname] = info
                model = LimeModel(tree, plain.imports, functions, [], plain.external)
                found = EffectsModel(tree, model, modules=self.modules)
        self._external[key] = found
        return found

    def _strip_locals(self, inner: Effects, call: ast.Call, function: ast.AST | None, label: str) -> Effects:
        if function is None:  # another module's function: its locals are not ours at all
            return replace(inner, calls=True, rebinds=frozenset(), consumes=frozenset(), mutates=frozenset(),
                           may_mutate=frozenset(_root_names([*call.args, *(k.value for k in call.keywords)]))
                           if inner.mutates or inner.may_mutate else frozenset(),
                           writers=inner.writers | (frozenset({label}) if inner.writes else frozenset()))
        scope = self.index.scope(function)
        outer_mutations = {n for n in inner.rebinds | inner.mutates
                           if scope is None or not scope.binds(n) or n in scope.declared_nonlocal
                           or n in scope.declared_global}
        arguments = self._mutated_arguments(call, function, inner)
        # The callee's own locals are invisible to the caller: only what it changes
        # outside (globals, closures, its arguments' objects) is kept.
        return replace(inner, calls=True, rebinds=frozenset(),
                       writers=inner.writers | (frozenset({label}) if inner.writes else frozenset()),
                       mutates=frozenset(outer_mutations | arguments),
                       may_mutate=frozenset(self._mutated_arguments(call, function, inner, may=True)),
                       consumes=frozenset())

    def _mutated_arguments(self, call: ast.Call, function: ast.AST, inner: Effects, may: bool = False) -> set[str]:
        """Caller names whose objects the callee changes (it mutates the parameter
        they are passed as); ``may``: those it may change (through a call whose
        effects are unknown)."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return set()
        changed = inner.may_mutate if may else inner.mutates
        params = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        out: set[str] = set()
        if params and isinstance(call.func, ast.Attribute) and _is_bound_method(function, self.index):
            # `receiver.method(a, b)`: the receiver is the first parameter (`self`), `a` the second
            if params[0] in changed:
                out.update(_root_names([call.func.value]))
            params = params[1:]
        for position, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return set(_root_names(call.args)) if changed else set()
            if position < len(params) and params[position] in changed:
                out.update(_root_names([arg]))
        for keyword in call.keywords:
            if keyword.arg is None or keyword.arg in changed:
                out.update(_root_names([keyword.value]))
        return out

    def _constructed_limetype(self, func: ast.AST) -> tuple[str | None] | None:
        """``(limetype,)`` when ``func`` is a limetype (calling it creates an object)."""
        owner = self.index.function_of(func)
        info = self.model.function_at(owner) if owner is not None else None
        if info is None:
            return None
        from .model import _role_of  # the Lime roles of names: app, limetypes, limetype...

        role = _role_of(func, info.names, self.model.imports)
        return (role.limetype,) if role is not None and role.kind == "limetype" else None

    # -- nodes ---------------------------------------------------------------------
    def of_node(self, node: ast.AST) -> Effects:
        """The effects of running ``node`` (a statement, an expression, a list of
        them is :meth:`of_block`), including every call in it; nested function
        and class definitions only bind their name."""
        cached = self._nodes.get(id(node))
        if cached is not None:
            return cached
        total = NOTHING
        stack = [node]
        while stack:
            current = stack.pop()
            total = total | self._own_effect(current)
            if current is not node and isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                            ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and current is node:
                continue  # a definition's body runs when called
            stack.extend(ast.iter_child_nodes(current))
        self._nodes[id(node)] = total
        return total

    def of_block(self, statements: Iterable[ast.AST]) -> Effects:
        total = NOTHING
        for stmt in statements:
            total = total | self.of_node(stmt)
        return total

    def of_function(self, function: ast.AST) -> Effects:
        """The effects of calling ``function`` (its body; recursion is unknown)."""
        state = self._functions.setdefault(id(function), _FunctionState())
        if state.effects is not None:
            return state.effects
        if state.busy:
            name = getattr(function, "name", "<lambda>")
            return Effects(unknown=frozenset({f"{name}() (recursive)"}))
        state.busy = True
        body = function.body if isinstance(function.body, list) else [function.body]
        effects = self.of_block(body)
        state.effects = effects
        state.busy = False
        return effects

    def _own_effect(self, node: ast.AST) -> Effects:
        if isinstance(node, ast.Call):
            return self.of_call(node)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return _target_effects(targets)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return _target_effects([node.target]) | Effects(consumes=frozenset(_iterated_names(node.iter)))
        if isinstance(node, ast.comprehension):
            return Effects(consumes=frozenset(_iterated_names(node.iter)))
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return _target_effects([i.optional_vars for i in node.items if i.optional_vars is not None])
        if isinstance(node, ast.NamedExpr):
            return _target_effects([node.target])
        if isinstance(node, ast.Delete):
            return _target_effects(node.targets)
        if isinstance(node, (ast.Raise, ast.Assert)):
            return Effects(raises=True)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return Effects(rebinds=frozenset(a.asname or a.name.split(".")[0] for a in node.names))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return Effects(rebinds=frozenset({node.name}))
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return NOTHING
        return NOTHING

    # -- control flow --------------------------------------------------------------
    def conditions_between(self, node: ast.AST, outer: ast.AST) -> list[ast.AST]:
        """The constructs between ``outer`` and ``node`` that make ``node`` run
        only sometimes when ``outer`` runs once: ``if``/``else`` branches,
        conditional expressions, ``and``/``or`` right operands, comprehension
        filters and later generators, ``while``/``for`` bodies, ``try`` handlers,
        ``else`` and ``finally``, ``match`` cases, ``with`` blocks whose context
        manager may suppress exceptions, and statements that follow an earlier
        statement which may ``break``/``continue``/``return``/``raise`` (every
        such statement, in source order per block: a fix may need to know
        whether one comes after some other point).  Empty: ``node`` runs
        whenever ``outer`` runs to completion."""
        found: list[ast.AST] = []
        child = node
        for ancestor in self.index.ancestors(node):
            if isinstance(child, ast.stmt):  # `outer`'s own block too: `add(); if x: continue; commit()`
                found.extend(earlier for earlier in self.index.preceding(child)
                             if self.may_leave(earlier, ancestor))
            if ancestor is outer:
                break
            if isinstance(ancestor, (ast.If, ast.While)) and child is not ancestor.test:
                found.append(ancestor)
            elif isinstance(ancestor, (ast.For, ast.AsyncFor)) and child is not ancestor.iter:
                found.append(ancestor)
            elif isinstance(ancestor, ast.IfExp) and child is not ancestor.test:
                found.append(ancestor)
            elif isinstance(ancestor, ast.BoolOp) and child is not ancestor.values[0]:
                found.append(ancestor)
            elif isinstance(ancestor, ast.comprehension) and child is not ancestor.iter:
                found.append(ancestor)
            elif isinstance(ancestor, (ast.ExceptHandler, ast.match_case)):
                found.append(ancestor)
            elif isinstance(ancestor, ast.Try) and not _in(ancestor.body, child):
                found.append(ancestor)
            elif isinstance(ancestor, (ast.With, ast.AsyncWith)) and _in(ancestor.body, child) \
                    and self.may_suppress(ancestor):
                found.append(ancestor)
            child = ancestor
        return found

    def may_suppress(self, with_node: ast.With | ast.AsyncWith) -> bool:
        """Whether a ``with`` may swallow an exception of its body
        (``contextlib.suppress`` or a context manager the analysis cannot see;
        open()/locks/unit-of-work-like managers are known not to)."""
        for item in with_node.items:
            expr = item.context_expr
            func = expr.func if isinstance(expr, ast.Call) else expr
            qualified = _qualified(func, self.model.imports) if isinstance(func, (ast.Name, ast.Attribute)) else None
            if isinstance(func, ast.Name) and func.id == "open" and self.index.resolve("open", func) is None:
                continue
            if qualified and qualified.startswith(("threading.", "tempfile.")):
                continue
            return True
        return False

    def may_stop(self, stmt: ast.AST) -> bool:
        """Whether ``stmt`` may end the loop it is in: ``return``/``raise`` or a
        ``break`` of that loop (``continue`` only ends the pass)."""
        return self.may_leave(stmt, skip_continue=True)

    def may_leave(self, stmt: ast.AST, loop: ast.AST | None = None, *, skip_continue: bool = False) -> bool:
        """Whether ``stmt`` may end its block early: ``return``/``raise``, or a
        ``break``/``continue`` that belongs to ``loop`` or an outer loop (not to a
        loop inside ``stmt``)."""
        stack: list[tuple[ast.AST, bool]] = [(stmt, False)]
        while stack:
            node, nested_loop = stack.pop()
            if isinstance(node, (ast.Return, ast.Raise)):
                return True
            if isinstance(node, ast.Break) and not nested_loop \
                    or isinstance(node, ast.Continue) and not nested_loop and not skip_continue:
                return True
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            inner_loop = nested_loop or isinstance(node, (ast.For, ast.AsyncFor, ast.While))
            for child in ast.iter_child_nodes(node):
                loop_child = inner_loop and not (isinstance(node, (ast.For, ast.AsyncFor, ast.While))
                                                 and child in getattr(node, "orelse", []))
                stack.append((child, loop_child))
        return False


def _in(block: list, node: ast.AST) -> bool:
    return any(item is node for item in block)


def _is_bound_method(function: ast.AST, index: SyntaxIndex) -> bool:
    """A ``def`` in a class body that is neither a ``staticmethod`` nor a
    ``classmethod`` (called on an instance, its first parameter is the instance)."""
    if not isinstance(index.parent(function), ast.ClassDef):
        return False
    names = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in function.decorator_list}
    return not names & {"staticmethod", "classmethod"}


def _target_effects(targets: Iterable[ast.AST]) -> Effects:
    rebinds: set[str] = set()
    mutates: set[str] = set()
    for target in targets:
        for node in flatten_targets(target):
            if isinstance(node, ast.Name):
                rebinds.add(node.id)
            elif isinstance(node, (ast.Attribute, ast.Subscript)):
                mutates.update(_root_names([node]))
    return Effects(rebinds=frozenset(rebinds), mutates=frozenset(mutates))


def flatten_targets(target: ast.AST) -> Iterable[ast.AST]:
    """The single targets of an assignment target (``a, (b, *c)`` -> a, b, c)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from flatten_targets(element)
    elif isinstance(target, ast.Starred):
        yield from flatten_targets(target.value)
    else:
        yield target


def _root_names(nodes: Iterable[ast.AST]) -> list[str]:
    """The names at the root of attribute/subscript/call chains: ``a`` for
    ``a.b[c].d``, ``self.x`` counts as ``self``."""
    out = []
    for node in nodes:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Name):
            out.append(node.id)
    return out


def _iterated_names(iterable: ast.AST) -> list[str]:
    """Iterating a bare name advances it when it is an iterator (``for x in it``):
    counted in ``consumes`` (a list is not changed, but the analysis cannot
    always tell a list from an iterator)."""
    return [iterable.id] if isinstance(iterable, ast.Name) else []


def _call_label(func: ast.AST) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    elif parts:
        parts.append("…")
    return ".".join(reversed(parts)) + "()" if parts else "<call>()"


def _qualified(func: ast.AST, imports: dict[str, str]) -> str | None:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id not in imports:
        return None
    return ".".join([imports[func.id], *reversed(parts)])


def _looks_like_logger(receiver: ast.AST, effects: EffectsModel) -> bool:
    """``logger``/``log``/``LOGGER``/``self.logger``/``logging.getLogger(...)``."""
    if isinstance(receiver, ast.Call):
        return (_qualified(receiver.func, effects.model.imports) or "").endswith("getLogger")
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return "log" in name.lower()


_MODELS: "weakref.WeakKeyDictionary[ast.AST, EffectsModel]" = weakref.WeakKeyDictionary()


def effects_model(tree: ast.Module, model: "LimeModel",
                  resolve_external: Callable[[ast.Call], Effects | None] | None = None,
                  modules=None) -> EffectsModel:
    """The effects model of ``tree`` (once per tree object and Lime model)."""
    found = _MODELS.get(tree)
    if found is None or found.model is not model:
        found = _MODELS[tree] = EffectsModel(tree, model, resolve_external, modules=modules)
    return found


def effects_for_tree(tree: ast.Module) -> EffectsModel:
    """The effects model of a module known only by its tree (a caller in another
    file): its Lime model is built here, once per tree."""
    found = _MODELS.get(tree)
    if found is None:
        from .model import build_model

        found = _MODELS[tree] = EffectsModel(tree, build_model(tree))
    return found
