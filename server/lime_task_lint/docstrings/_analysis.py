"""Facts about a function, read from its syntax tree (never from its text).

Why the tree: autoDocstring matches the ``def`` line with regular
expressions, so it cannot see decorators that change the meaning of the first
parameter, defaults that are calls, ``yield`` hidden in a loop, or whether a
``raise`` sits inside a ``try`` that catches it.  Everything the docstring
engine documents comes from here:

* the documented parameters (``self``/``cls`` skipped for methods, ``*args``
  and ``**kwargs`` spelled with their stars, positional-only and
  keyword-only parameters in signature order);
* the type of each parameter (annotation, else a guess from the default);
* whether the function returns a value, yields (generator), or certainly
  returns nothing (so a stale ``Returns`` section may be removed);
* the exceptions that escape the function, including those raised by the
  helpers of the same module it calls (see :class:`RaiseAnalysis`).
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from ..semantic import SyntaxIndex, syntax_index

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY_NODES = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if t is not None)

# Annotations that mean "this function returns nothing".
_NOTHING = {"None", "NoReturn", "Never"}
# Generator-ish annotations whose first type argument is the yielded type.
_YIELD_WRAPPERS = {
    "Iterator",
    "Iterable",
    "Generator",
    "AsyncIterator",
    "AsyncIterable",
    "AsyncGenerator",
}
_BUILTIN_TYPES = {
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "object",
    "set",
    "str",
    "tuple",
}


@dataclass(frozen=True)
class Param:
    """One documented parameter."""

    name: str  # as documented: "x", "*args", "**kwargs"
    annotation: str | None  # ast.unparse of the annotation
    inferred: str | None  # type guessed from the default value
    has_default: bool

    @property
    def key(self) -> str:
        """The bare name, used to match documented entries."""
        return self.name.lstrip("*")


@dataclass(frozen=True)
class FunctionFacts:
    """Everything a docstring of ``name`` has to agree with."""

    name: str
    params: tuple[Param, ...]
    is_generator: bool
    needs_returns: bool  # a value is returned (annotation or ``return x``)
    returns_nothing: bool  # certainly no value: a Returns section is wrong
    return_annotation: str | None  # None for generators
    return_inferred: str | None
    yield_annotation: str | None  # element type for generators
    raises: tuple[str, ...]
    is_task: bool


def type_text(node: ast.expr) -> str:
    """Source text of an annotation; string annotations are unquoted."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.unparse(ast.parse(node.value.strip(), mode="eval").body)
        except SyntaxError:
            return node.value.strip()
    return ast.unparse(node)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _unwrap_string_annotation(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return node
    return node


def _is_nothing(annotation: ast.expr) -> bool:
    annotation = _unwrap_string_annotation(annotation)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return True
    return _last_name(annotation) in _NOTHING


def yielded_type(annotation: ast.expr | None) -> str | None:
    """``Iterator[T]``, ``Generator[T, S, R]``, ``AsyncIterable[T]``... -> ``T``."""
    if annotation is None:
        return None
    annotation = _unwrap_string_annotation(annotation)
    if not isinstance(annotation, ast.Subscript):
        return None
    if _last_name(annotation.value) not in _YIELD_WRAPPERS:
        return None
    args = annotation.slice
    if isinstance(args, ast.Tuple) and args.elts:
        return type_text(args.elts[0])
    return type_text(args)


def infer_type(node: ast.expr | None, class_names: frozenset[str] = frozenset()) -> str | None:
    """Guess a type from an expression (a default value or a returned value).

    Only guesses that cannot be wrong are made: literals, displays and calls of
    class-like names (``Foo()``, ``models.Deal()``, ``list()``).  ``None``
    yields ``None``: the parameter is optional but its type is unknown.
    """
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        if node.value is None or node.value is Ellipsis:
            return None
        return type(node.value).__name__
    if isinstance(node, ast.JoinedStr):
        return "str"
    displays = {
        ast.List: "list",
        ast.ListComp: "list",
        ast.Dict: "dict",
        ast.DictComp: "dict",
        ast.Set: "set",
        ast.SetComp: "set",
        ast.Tuple: "tuple",
    }
    for kind, name in displays.items():
        if isinstance(node, kind):
            return name
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return "bool"
        if isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, (int, float, complex)
        ):
            return type(node.operand.value).__name__
        return None
    if isinstance(node, ast.Compare):
        return "bool"
    if isinstance(node, ast.Lambda):
        return "Callable"
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
        last = _last_name(node.func) or ""
        if isinstance(node.func, ast.Name) and last in _BUILTIN_TYPES:
            return last
        if last[:1].isupper() or last in class_names:
            return ast.unparse(node.func)
    return None


def decorator_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = []
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = _last_name(target)
        if name:
            names.append(name)
    return names


def signature_params(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    *,
    is_method: bool,
    class_names: frozenset[str] = frozenset(),
) -> tuple[Param, ...]:
    """Parameters to document, in signature order."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs: list[tuple[str, ast.arg, ast.expr | None, bool]] = [
        (a.arg, a, d, d is not None) for a, d in zip(positional, defaults)
    ]
    if is_method and pairs and "staticmethod" not in decorator_names(func):
        pairs = pairs[1:]  # self, or cls for classmethods (and metaclass methods)
    if args.vararg is not None:
        pairs.append(("*" + args.vararg.arg, args.vararg, None, False))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        pairs.append((a.arg, a, d, d is not None))
    if args.kwarg is not None:
        pairs.append(("**" + args.kwarg.arg, args.kwarg, None, False))
    return tuple(
        Param(
            name=name,
            annotation=type_text(arg.annotation) if arg.annotation is not None else None,
            inferred=infer_type(default, class_names),
            has_default=has_default,
        )
        for name, arg, default, has_default in pairs
    )


def _is_stub(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``...``, ``pass`` or ``raise NotImplementedError``: an abstract body."""
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if _last_name(target) == "NotImplementedError":
                continue
        return False
    return True


def function_facts(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    module: ast.Module,
    *,
    is_method: bool = False,
    is_task: bool = False,
    analysis: RaiseAnalysis | None = None,
) -> FunctionFacts:
    analysis = analysis or RaiseAnalysis(module)
    class_names = frozenset(analysis.classes)
    nodes = analysis.scope(func)
    is_generator = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes)
    returned = [
        n.value
        for n in nodes
        if isinstance(n, ast.Return)
        and n.value is not None
        and not (isinstance(n.value, ast.Constant) and n.value.value is None)
    ]
    annotation = func.returns
    if is_generator:
        needs_returns = False
        returns_nothing = False
        return_annotation = None
        return_inferred = None
        yield_annotation = yielded_type(annotation)
    else:
        yield_annotation = None
        if annotation is not None:
            needs_returns = not _is_nothing(annotation)
            returns_nothing = not needs_returns
            return_annotation = type_text(annotation) if needs_returns else None
        else:
            needs_returns = bool(returned)
            returns_nothing = not returned and not _is_stub(func)
            return_annotation = None
        guesses = {infer_type(v, class_names) for v in returned}
        return_inferred = guesses.pop() if len(guesses) == 1 else None
    return FunctionFacts(
        name=func.name,
        params=signature_params(func, is_method=is_method, class_names=class_names),
        is_generator=is_generator,
        needs_returns=needs_returns,
        returns_nothing=returns_nothing,
        return_annotation=return_annotation,
        return_inferred=return_inferred,
        yield_annotation=yield_annotation,
        raises=tuple(analysis.raised(func)),
        is_task=is_task,
    )


# --------------------------------------------------------------------------
# Exceptions
# --------------------------------------------------------------------------


def _builtin_exception(name: str) -> type[BaseException] | None:
    obj = getattr(builtins, name, None)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return obj
    return None


def _extend(out: list[str], names: list[str]) -> None:
    for name in names:
        if name not in out:
            out.append(name)


@dataclass
class _Handler:
    """The ``except`` clause a bare ``raise`` would re-raise from."""

    reraised: list[str]
    as_name: str | None


class RaiseAnalysis:
    """Which exceptions escape a function, including through same-module helpers.

    A per-function walk follows control structure instead of text: ``raise``
    statements contribute their exception class; calls to functions, methods
    (``self.x()``, ``Class.x()``) and constructors (``Class()`` runs
    ``__init__``) defined in the module contribute what escapes from them;
    ``try``/``except`` and ``contextlib.suppress`` remove what they catch; a
    bare ``raise`` (or ``raise err`` of the handler's name) re-raises what the
    handler caught.  Helpers may call each other recursively, so summaries
    are computed to a fixed point over the functions reachable from the one
    asked about (monotone: sets only grow, so it terminates).

    Catching is decided by name: ``Exception``, ``BaseException`` and bare
    ``except`` catch everything (``Exception`` not ``SystemExit``,
    ``KeyboardInterrupt``, ``GeneratorExit``); otherwise a handler catches the
    same name or a base of it, as far as the hierarchy is known (built-in
    exceptions and classes defined in the module).

    One instance can be reused for every function of a module.  A function
    parsed from other text (a fix's rewritten version of one) may be asked
    about too: it is analysed with the module's helpers and classes.
    """

    def __init__(self, module: ast.Module) -> None:
        self.module = module
        self.index = syntax_index(module)
        # Functions parsed from other text -> the syntax index of their tree.
        self._foreign: dict[int, SyntaxIndex] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._locals: dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self._params: dict[int, set[str]] = {}
        self._summaries: dict[int, list[str]] = {}
        for stmt in module.body:
            if isinstance(stmt, _FUNCS):
                self.functions[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                self.classes[stmt.name] = stmt

    # -- the module's functions ----------------------------------------------

    def index_of(self, func) -> SyntaxIndex:
        """The syntax index holding ``func``: the module's, or for a function
        parsed from other text, the index of that function's own tree (kept
        with the function, so its id is not reused while this analysis lives)."""
        if self.index.scope(func) is not None:
            return self.index
        foreign = self._foreign.get(id(func))
        if foreign is None:
            foreign = syntax_index(func)
            for inner in foreign.functions:
                self._foreign[id(inner)] = foreign
        return foreign

    def scope(self, func) -> list[ast.AST]:
        """The nodes of ``func``'s own code, in source order: bodies of nested
        functions, lambdas and classes are left out (their ``yield``/``return``
        belong to them)."""
        return self.index_of(func).own_nodes(func)

    def _local_defs(self, func) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        if id(func) not in self._locals:
            bindings = self.index_of(func).scope(func).bindings  # type: ignore[union-attr]
            # The last ``def`` of a name is the one a call after it runs.
            self._locals[id(func)] = {
                name: defs[-1] for name, nodes in bindings.items()
                if (defs := [n for n in nodes if isinstance(n, _FUNCS)])
            }
            a = func.args
            every = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
            self._params[id(func)] = {x.arg for x in every if x is not None}
        return self._locals[id(func)]

    def _method(self, cls: ast.ClassDef, name: str, seen: set[str] | None = None):
        seen = seen if seen is not None else set()
        if cls.name in seen:
            return None
        seen.add(cls.name)
        for stmt in cls.body:
            if isinstance(stmt, _FUNCS) and stmt.name == name:
                return stmt
        for base in cls.bases:
            base_cls = self.classes.get(_last_name(base) or "")
            if isinstance(base, ast.Name) and base_cls is not None:
                found = self._method(base_cls, name, seen)
                if found is not None:
                    return found
        return None

    def resolve(self, func, call: ast.Call):
        """The function of this module that ``call`` runs, if it can be known."""
        target = call.func
        if isinstance(target, ast.Name):
            index = self.index_of(func)
            scope = func
            while scope is not None:
                local = self._local_defs(scope)
                if target.id in local:
                    return local[target.id]
                if target.id in self._params[id(scope)]:
                    return None  # a parameter shadows the module-level name
                scope = index.enclosing(scope, _FUNCS)  # a class body is no scope of its methods
            if target.id in self.functions:
                return self.functions[target.id]
            if target.id in self.classes:
                return self._method(self.classes[target.id], "__init__")
            return None
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            receiver = target.value.id
            owner = self.index_of(func).enclosing(func, ast.ClassDef)
            if receiver in ("self", "cls") and owner is not None:
                return self._method(owner, target.attr)
            if receiver in self.classes:
                return self._method(self.classes[receiver], target.attr)
        return None

    # -- hierarchy ---------------------------------------------------------

    def _ancestors(self, name: str, seen: set[str] | None = None) -> list[str]:
        seen = seen if seen is not None else set()
        if name in seen:
            return []
        seen.add(name)
        out = [name]
        cls = self.classes.get(name)
        if cls is not None:
            for base in cls.bases:
                _extend(out, self._ancestors(ast.unparse(base), seen))
        builtin = _builtin_exception(name)
        if builtin is not None:
            _extend(out, [k.__name__ for k in builtin.__mro__ if issubclass(k, BaseException)])
        return out

    def catches(self, handler_name: str, exception: str) -> bool:
        if handler_name == "BaseException":
            return True
        ancestors = self._ancestors(exception)
        if handler_name == "Exception":
            known = [b for b in map(_builtin_exception, ancestors) if b is not None]
            return not known or any(issubclass(b, Exception) for b in known)
        return handler_name in ancestors

    # -- summaries ---------------------------------------------------------

    def raised(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        """Exceptions escaping ``func``, each once, in first-seen order."""
        if id(func) in self._summaries:
            return list(self._summaries[id(func)])
        self._local_defs(func)
        reachable = [func]
        seen = {id(func)}
        summaries: dict[int, list[str]] = {id(func): []}
        i = 0
        first: list[str] = []
        recursive = False
        while i < len(reachable):
            walker = _Walker(self, reachable[i], summaries)
            result = walker.run()
            if i == 0:
                first = result
            for callee in walker.callees:
                recursive = recursive or callee is func
                if id(callee) not in seen:
                    seen.add(id(callee))
                    if id(callee) in self._summaries:
                        # Final already (a fixed point over its own reachable set):
                        # used as is, never walked again.
                        summaries[id(callee)] = list(self._summaries[id(callee)])
                        continue
                    reachable.append(callee)
                    summaries[id(callee)] = []
            i += 1
        if len(reachable) == 1 and not recursive:
            # Every callee's summary was final during the walk: so is this one.
            self._summaries[id(func)] = first
            return list(first)
        for _ in range(200):  # the fixed point is reached long before
            changed = False
            for f in reachable:
                new = _Walker(self, f, summaries).run()
                if new != summaries[id(f)]:
                    summaries[id(f)] = new
                    changed = True
            if not changed:
                break
        for f in reachable:
            self._summaries[id(f)] = summaries[id(f)]
        return list(summaries[id(func)])


class _Walker:
    """One pass over one function body, using the current callee summaries."""

    def __init__(self, analysis: RaiseAnalysis, func, summaries: dict[int, list[str]]):
        self.a = analysis
        self.func = func
        self.summaries = summaries
        self.callees: list = []
        analysis._local_defs(func)

    def run(self) -> list[str]:
        if _is_stub(self.func):
            # ``raise NotImplementedError`` marks an abstract method: it is
            # not part of the contract, so it is neither documented nor
            # propagated to callers.
            return []
        return self.stmts(self.func.body, None)

    def stmts(self, body: list[ast.stmt], handler: _Handler | None) -> list[str]:
        out: list[str] = []
        for stmt in body:
            _extend(out, self.stmt(stmt, handler))
        return out

    def stmt(self, node: ast.stmt, handler: _Handler | None) -> list[str]:
        if isinstance(node, ast.Raise):
            return self.raise_(node, handler)
        if isinstance(node, _TRY_NODES):
            return self.try_(node, handler)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            out: list[str] = []
            suppressed: list[str] = []
            for item in node.items:
                _extend(out, self.calls(item.context_expr))
                suppressed += _suppressed(item.context_expr)
            body = self.stmts(node.body, handler)
            _extend(out, [e for e in body if not any(self.a.catches(s, e) for s in suppressed)])
            return out
        if isinstance(node, _FUNCS):
            a = node.args
            exprs = [*node.decorator_list, *a.defaults, *(d for d in a.kw_defaults if d)]
            return self.calls_in(exprs)
        if isinstance(node, ast.ClassDef):
            exprs = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
            out = self.calls_in(exprs)
            _extend(out, self.stmts(node.body, handler))  # a class body runs now
            return out
        out = []
        for _field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ast.stmt):
                    _extend(out, self.stmt(item, handler))
                elif isinstance(item, ast.match_case):
                    if item.guard is not None:
                        _extend(out, self.calls(item.guard))
                    _extend(out, self.stmts(item.body, handler))
                elif isinstance(item, ast.expr):
                    _extend(out, self.calls(item))
        return out

    def raise_(self, node: ast.Raise, handler: _Handler | None) -> list[str]:
        out: list[str] = []
        if node.exc is None:
            return list(handler.reraised) if handler else []
        exc = node.exc
        if isinstance(exc, ast.Call):
            _extend(out, self.calls_in([*exc.args, *(k.value for k in exc.keywords)]))
            target = exc.func
        else:
            target = exc
        if node.cause is not None:
            _extend(out, self.calls(node.cause))
        if (
            isinstance(target, ast.Name)
            and handler is not None
            and handler.as_name == target.id
            and not isinstance(exc, ast.Call)
        ):
            _extend(out, handler.reraised)
            return out
        name = _last_name(target)
        if isinstance(target, (ast.Name, ast.Attribute)) and name is not None:
            if name[:1].isupper() or name in self.a.classes or _builtin_exception(name):
                _extend(out, [ast.unparse(target)])
        return out

    def try_(self, node, handler: _Handler | None) -> list[str]:
        body = self.stmts(node.body, handler)
        handler_types = [_handler_types(h) for h in node.handlers]
        caught: list[list[str]] = [[] for _ in node.handlers]
        out: list[str] = []
        for exc in body:
            for i, types in enumerate(handler_types):
                if types is None or any(self.a.catches(t, exc) for t in types):
                    caught[i].append(exc)
                    break
            else:
                _extend(out, [exc])
        for i, h in enumerate(node.handlers):
            types = handler_types[i]
            catch_all = types is None or any(t in ("Exception", "BaseException") for t in types)
            reraised = caught[i] if catch_all else list(types or [])
            _extend(out, self.stmts(h.body, _Handler(reraised, h.name)))
        _extend(out, self.stmts(node.orelse, handler))
        _extend(out, self.stmts(node.finalbody, handler))
        return out

    def calls_in(self, exprs: list[ast.expr]) -> list[str]:
        out: list[str] = []
        for expr in exprs:
            _extend(out, self.calls(expr))
        return out

    def calls(self, expr: ast.AST) -> list[str]:
        out: list[str] = []
        stack: list[ast.AST] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Lambda):
                children = [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
            else:
                children = list(ast.iter_child_nodes(node))
            if isinstance(node, ast.Call):
                callee = self.a.resolve(self.func, node)
                if callee is not None:
                    self.callees.append(callee)
                    known = self.summaries.get(id(callee))
                    if known is None:  # not walked in this round: a final summary, if any
                        known = self.a._summaries.get(id(callee), [])
                    _extend(out, known)
            stack.extend(reversed(children))
        return out


def _handler_types(handler: ast.ExceptHandler) -> list[str] | None:
    """Names an ``except`` clause catches; None for a bare ``except:``."""
    if handler.type is None:
        return None
    elts = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    # Only class names can be matched; ``except make_errors():`` catches an
    # unknown set, which is treated as catching (and re-raising) nothing known.
    return [ast.unparse(e) for e in elts if isinstance(e, (ast.Name, ast.Attribute))]


def _suppressed(expr: ast.expr) -> list[str]:
    """Exception names a ``with contextlib.suppress(...)`` swallows."""
    if isinstance(expr, ast.Call) and _last_name(expr.func) == "suppress":
        return [ast.unparse(a) for a in expr.args]
    return []
