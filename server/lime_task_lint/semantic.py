"""The syntax index: one per module and document version, shared by every rule,
fix, hover and report (as ruff's semantic model).

It answers the structural questions the analysis keeps asking, from one walk of
the tree: a node's parent and statement, the block (``body``/``orelse``/...)
a statement stands in and what follows it, the function a node belongs to and
that function's own nodes (not those of nested functions or classes), and per
scope the bindings and uses of every name, with Python's scoping rules
(closures, ``global``/``nonlocal``, class bodies that functions do not see,
comprehension scopes).  Nothing else keeps a parent map or an own-node walker.

Build it with :func:`syntax_index` (cached per tree object), never directly in a
rule: the document's tree is parsed once per version and so is its index.
"""

from __future__ import annotations

import ast
import builtins
import weakref
from dataclasses import dataclass, field
from typing import Iterator

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
#: Nodes that open a scope of their own.
SCOPE_TYPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
               ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: Nodes whose bodies are not their enclosing function's own code.
_NESTED_CODE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_BUILTINS = frozenset(dir(builtins))
#: CPython shares one instance of each of these (``ast.Load()``, ``ast.Add()``...)
#: across every tree: they have no single parent, so the index leaves them out.
_SHARED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
#: Node types (besides names) that bind or declare names.
_RECORDED = frozenset({ast.NamedExpr, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.ExceptHandler,
                       ast.MatchAs, ast.MatchStar, ast.MatchMapping})


@dataclass(eq=False)
class Scope:
    """One scope: the module, a function, a lambda, a class body or a comprehension."""

    node: ast.AST
    parent: "Scope | None"
    #: name -> the nodes that bind it here, in source order (``ast.Name`` stores,
    #: ``ast.arg``, import aliases, ``def``/``class`` statements, handlers, ...).
    bindings: dict[str, list[ast.AST]] = field(default_factory=dict)
    #: name -> the ``ast.Name`` loads of it made in this scope.
    uses: dict[str, list[ast.Name]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str:
        node = self.node
        if isinstance(node, ast.Module):
            return "module"
        if isinstance(node, ast.ClassDef):
            return "class"
        if isinstance(node, ast.Lambda):
            return "lambda"
        if isinstance(node, _COMPREHENSIONS):
            return "comprehension"
        return "function"

    def binds(self, name: str) -> bool:
        return name in self.bindings and name not in self.declared_global \
            and name not in self.declared_nonlocal


class SyntaxIndex:
    """Parents, statements, blocks, scopes and own nodes of one module's tree.

    All lookups are by node identity and cost O(1) or O(depth); building the
    index is one pass over the tree.
    """

    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        self._parents: dict[int, ast.AST] = {}
        self._scope_of: dict[int, Scope] = {}   # scope-opening node -> its scope
        self._node_scope: dict[int, Scope] = {}  # every node -> the scope its code runs in
        self._own: dict[int, list[ast.AST]] = {}  # function-like node -> own nodes, source order
        self.scopes: list[Scope] = []
        self.functions: list[FunctionNode] = []
        self._build(tree)

    # -- structure -------------------------------------------------------------------
    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        """The parents of ``node``, innermost first, up to the module."""
        parent = self._parents.get(id(node))
        while parent is not None:
            yield parent
            parent = self._parents.get(id(parent))

    def contains(self, outer: ast.AST, inner: ast.AST) -> bool:
        """Whether ``inner`` is ``outer`` or lies inside it."""
        if inner is outer:
            return True
        return any(a is outer for a in self.ancestors(inner))

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        """The innermost statement holding ``node`` (``node`` itself if it is one)."""
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self._parents.get(id(current))
        return current

    def block_of(self, stmt: ast.AST) -> tuple[ast.AST, str, list] | None:
        """``(owner, field, statements)``: the block ``stmt`` stands in (an
        ``except`` handler or ``case`` stands in its ``try``/``match``)."""
        owner = self._parents.get(id(stmt))
        if owner is None:
            return None
        for name in _BLOCK_FIELDS:
            block = getattr(owner, name, None)
            if isinstance(block, list) and any(item is stmt for item in block):
                return owner, name, block
        return None

    def following(self, stmt: ast.stmt) -> list[ast.stmt]:
        """The statements after ``stmt`` in its own block."""
        block, position = self._place(stmt)
        return block[position + 1:] if block is not None else []

    def preceding(self, stmt: ast.stmt) -> list[ast.stmt]:
        """The statements before ``stmt`` in its own block."""
        block, position = self._place(stmt)
        return block[:position] if block is not None else []

    def field_of(self, node: ast.AST) -> str | None:
        """The name of the field of ``parent(node)`` that holds ``node`` (``"body"``,
        ``"iter"``, ``"values"``...); None for the module and for the nodes the
        index leaves out (the shared ``ast.Load()``...)."""
        parent = self._parents.get(id(node))
        if parent is None:
            return None
        for name in parent._fields:
            value = getattr(parent, name, None)
            if value is node or (isinstance(value, list) and any(item is node for item in value)):
                return name
        return None

    def _place(self, stmt: ast.stmt) -> tuple[list | None, int]:
        found = self.block_of(stmt)
        if found is not None:
            for position, item in enumerate(found[2]):
                if item is stmt:
                    return found[2], position
        return None, -1

    def enclosing(self, node: ast.AST, types: type | tuple[type, ...], stop: ast.AST | None = None) -> ast.AST | None:
        """The innermost ancestor of one of ``types``, not looking past ``stop``."""
        for ancestor in self.ancestors(node):
            if ancestor is stop:
                return None
            if isinstance(ancestor, types):
                return ancestor
        return None

    # -- functions -------------------------------------------------------------------
    def function_of(self, node: ast.AST) -> ast.AST | None:
        """The innermost ``def``/``async def``/``lambda`` whose own code holds ``node``."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if _in_own_code(ancestor, node, self):
                    return ancestor
            elif isinstance(ancestor, ast.ClassDef) and _in_own_code(ancestor, node, self):
                return None  # a class body's code is not a function's
        return None

    def own_nodes(self, owner: ast.AST) -> list[ast.AST]:
        """The nodes of a function's (or the module's, or a class's) body, in source
        order, without those of nested functions, lambdas and classes (the nested
        ``def``/``class``/``lambda`` node itself is left out too)."""
        return self._own.get(id(owner), [])

    # -- scopes ----------------------------------------------------------------------
    def scope(self, node: ast.AST) -> Scope | None:
        """The scope ``node`` opens (a module, def, lambda, class or comprehension)."""
        return self._scope_of.get(id(node))

    def scope_at(self, node: ast.AST) -> Scope:
        """The scope in which the code of ``node`` runs."""
        return self._node_scope.get(id(node)) or self.scopes[0]

    def resolve(self, name: str, at: ast.AST) -> Scope | None:
        """The scope whose binding of ``name`` a load at ``at`` sees, by Python's
        rules (class bodies are skipped from inner functions); None for builtins
        and unbound names."""
        scope: Scope | None = self.scope_at(at)
        first = scope
        while scope is not None:
            if name in scope.declared_global:
                module = self.scopes[0]
                return module if name in module.bindings else None
            if scope.binds(name) and (scope is first or scope.kind != "class"):
                return scope
            scope = scope.parent
        return None

    def is_local(self, name: str, function: ast.AST) -> bool:
        scope = self._scope_of.get(id(function))
        return scope is not None and scope.binds(name)

    def bindings_in(self, function: ast.AST, name: str) -> list[ast.AST]:
        scope = self._scope_of.get(id(function))
        return list(scope.bindings.get(name, ())) if scope is not None else []

    def definitely_bound(self, name: str, node: ast.AST) -> bool:
        """Whether ``name`` certainly holds a value when ``node`` runs.

        Conservative: True only for builtins not rebound locally, parameters,
        local bindings made by a statement that runs on every path before
        ``node``: an earlier statement of a block that encloses ``node`` (not the
        ``try`` body seen from its handler), or the header of the ``for``,
        ``with`` or handler ``node`` is in; a module name bound by a top-level
        statement of the module that always binds it, read from a function
        (which runs once the module is loaded); a name of an enclosing function
        (or read from a class body) bound, by the same test, before the nested
        ``def``/``lambda``/``class`` statement runs.  Anything else (bound in
        one branch, under ``if``/``try`` at module level, later in a loop, by a
        walrus that may not run, only through ``global`` in some function,
        deleted somewhere) is False.
        """
        scope = self.scope_at(node)
        while scope.kind == "comprehension":
            if scope.binds(name):
                return True  # comprehension targets are bound while its parts run
            scope = scope.parent  # type: ignore[assignment]
        owner = self.resolve(name, node)
        if owner is None:
            return name in _BUILTINS and not any(name in s.bindings for s in self.scopes)
        if owner is not scope:
            return self._bound_in_enclosing(name, owner, scope)
        if scope.kind == "module":
            bindings = scope.bindings.get(name, [])
        else:
            bindings = scope.bindings.get(name, [])
            if any(isinstance(b, ast.arg) for b in bindings):
                return not self._deleted(scope, name)
        if self._deleted(scope, name):
            return False
        dominating = set()
        for binding in bindings:
            stmt = self.statement_of(binding) if not isinstance(binding, ast.stmt) else binding
            if stmt is not None and not self._conditional_in_statement(binding, stmt):
                dominating.add(id(stmt))
        current: ast.AST = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (ast.For, ast.AsyncFor)) and _in_block(ancestor.body, current) \
                    and id(ancestor) in dominating:
                return True
            if isinstance(ancestor, (ast.With, ast.AsyncWith)) and _in_block(ancestor.body, current) \
                    and id(ancestor) in dominating:
                return True
            if isinstance(ancestor, ast.ExceptHandler) and ancestor.name == name \
                    and _in_block(ancestor.body, current):
                return True
            for block_field in _BLOCK_FIELDS:
                block = getattr(ancestor, block_field, None)
                if not isinstance(block, list) or block_field == "handlers":
                    continue
                for i, item in enumerate(block):
                    if item is current:
                        if any(id(s) in dominating and _binds_unconditionally(s, name) for s in block[:i]):
                            return True
                        break
            if ancestor is scope.node:
                break
            current = ancestor
        return False

    def _bound_in_enclosing(self, name: str, owner: Scope, scope: Scope) -> bool:
        """``definitely_bound`` for a load in ``scope`` that sees the binding of
        ``name`` in the enclosing ``owner``."""
        if self._deleted(owner, name):
            return False
        inner, runs_later = scope, False
        while True:
            runs_later = runs_later or inner.kind in ("function", "lambda")
            if inner.parent is owner or inner.parent is None:
                break
            inner = inner.parent
        if owner.kind == "module" and runs_later:
            # A function runs once the module is loaded: a top-level statement that
            # always binds the name has run, wherever it stands in the module.
            return any(self._parents.get(id(stmt)) is owner.node and _binds_unconditionally(stmt, name)
                       and not self._conditional_in_statement(binding, stmt)
                       for binding in owner.bindings.get(name, ())
                       for stmt in [binding if isinstance(binding, ast.stmt) else self.statement_of(binding)])
        # A class body runs where it is defined; a nested function or lambda may run
        # as soon as it is defined: the binding must come before its definition.
        return self.definitely_bound(name, inner.node)

    def _conditional_in_statement(self, binding: ast.AST, stmt: ast.AST | None) -> bool:
        """Whether a walrus ``binding`` may not run when its statement runs (an
        operand of ``and``/``or`` after the first, a branch of ``x if c else y``,
        inside a comprehension)."""
        if not isinstance(binding, ast.Name) or stmt is None:
            return False
        current: ast.AST = binding
        for ancestor in self.ancestors(binding):
            if ancestor is stmt:
                return False
            if isinstance(ancestor, ast.BoolOp) and current is not ancestor.values[0]:
                return True
            if isinstance(ancestor, ast.IfExp) and current is not ancestor.test:
                return True
            if isinstance(ancestor, (*_COMPREHENSIONS, ast.comprehension)):
                return True
            current = ancestor
        return False

    def _deleted(self, scope: Scope, name: str) -> bool:
        return any(isinstance(b, ast.Name) and isinstance(b.ctx, ast.Del) for b in scope.bindings.get(name, ()))

    # -- building --------------------------------------------------------------------
    def _build(self, tree: ast.AST) -> None:
        module_scope = Scope(tree, None)
        self.scopes.append(module_scope)
        self._scope_of[id(tree)] = module_scope
        self._own[id(tree)] = []
        parents = self._parents
        node_scope = self._node_scope
        # (node, scope its code runs in, owner whose own nodes it joins (None: nobody's))
        stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(tree, module_scope, None)]
        while stack:
            node, scope, owner = stack.pop()
            node_scope[id(node)] = scope
            if owner is not None:
                self._own[id(owner)].append(node)
            children: list[tuple[ast.AST, Scope, ast.AST | None]] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                inner = Scope(node, scope)
                self.scopes.append(inner)
                self._scope_of[id(node)] = inner
                self._own[id(node)] = []
                if not isinstance(node, ast.Lambda):
                    _bind(scope, node.name, node)
                    if not isinstance(node, ast.ClassDef):
                        self.functions.append(node)
                for name in node._fields:
                    value = getattr(node, name, None)
                    items = value if isinstance(value, list) else [value]
                    for item in items:
                        if not isinstance(item, ast.AST):
                            continue
                        parents[id(item)] = node
                        if name == "body" or (name == "args" and not isinstance(node, ast.ClassDef)):
                            if name == "args":
                                self._bind_arguments(item, inner, scope, owner, children)
                                continue
                            children.append((item, inner, node))
                        else:  # decorators, bases, returns, keywords: the enclosing scope's code
                            children.append((item, scope, owner))
            elif isinstance(node, _COMPREHENSIONS):
                inner = Scope(node, scope)
                self.scopes.append(inner)
                self._scope_of[id(node)] = inner
                for index, generator in enumerate(node.generators):
                    parents[id(generator)] = node
                    node_scope[id(generator)] = inner
                    if owner is not None:
                        self._own[id(owner)].append(generator)
                    parents[id(generator.iter)] = generator
                    children.append((generator.iter, scope if index == 0 else inner, owner))
                    parents[id(generator.target)] = generator
                    children.append((generator.target, inner, owner))
                    for condition in generator.ifs:
                        parents[id(condition)] = generator
                        children.append((condition, inner, owner))
                parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                for part in parts:
                    parents[id(part)] = node
                    children.append((part, inner, owner))
            else:
                kind = type(node)
                if kind is ast.Name:
                    if type(node.ctx) is ast.Load:
                        scope.uses.setdefault(node.id, []).append(node)
                    else:
                        _bind(self._binding_scope(scope, node.id), node.id, node)
                    continue  # a name has no children but its (shared) context
                if kind in _RECORDED:
                    self._record(node, scope)
                child_owner = owner if node is not tree else tree
                for name in node._fields:
                    value = getattr(node, name, None)
                    if type(value) is list:
                        for item in value:
                            if isinstance(item, ast.AST) and not isinstance(item, _SHARED):
                                parents[id(item)] = node
                                children.append((item, scope, child_owner))
                    elif isinstance(value, ast.AST) and not isinstance(value, _SHARED):
                        parents[id(value)] = node
                        children.append((value, scope, child_owner))
            if children:
                children.reverse()
                stack.extend(children)
        for own in self._own.values():
            own[:] = [n for n in own if not isinstance(n, _NESTED_CODE)]

    def _bind_arguments(self, arguments: ast.arguments, inner: Scope, outer: Scope, outer_owner: ast.AST | None,
                        children: list) -> None:
        """Bind the parameters in ``inner``; their defaults and annotations run
        in the enclosing code, so they are its own nodes."""
        self._parents[id(arguments)] = self._parents.get(id(arguments)) or inner.node
        self._node_scope[id(arguments)] = outer
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                    *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]:
            self._parents[id(arg)] = arguments
            self._node_scope[id(arg)] = inner
            _bind(inner, arg.arg, arg)
            if arg.annotation is not None:
                self._parents[id(arg.annotation)] = arg
                children.append((arg.annotation, outer, outer_owner))
        for default in [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]:
            self._parents[id(default)] = arguments
            children.append((default, outer, outer_owner))

    def _record(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                scope.uses.setdefault(node.id, []).append(node)
            else:
                _bind(self._binding_scope(scope, node.id), node.id, node)
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            target_scope = scope
            while target_scope.kind == "comprehension" and target_scope.parent is not None:
                target_scope = target_scope.parent  # PEP 572: binds in the enclosing function
            _bind(target_scope, node.target.id, node.target)
            self._node_scope[id(node.target)] = target_scope
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    continue
                bound = alias.asname or alias.name.split(".")[0]
                _bind(self._binding_scope(scope, bound), bound, alias)
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            _bind(scope, node.name, node)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            _bind(scope, node.name, node)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            _bind(scope, node.rest, node)

    def _binding_scope(self, scope: Scope, name: str) -> Scope:
        if name in scope.declared_global:
            return self.scopes[0]
        if name in scope.declared_nonlocal:
            outer = scope.parent
            while outer is not None and (outer.kind == "class" or not outer.binds(name)) \
                    and outer.kind != "module":
                outer = outer.parent
            return outer or scope
        return scope


def _bind(scope: Scope, name: str, node: ast.AST) -> None:
    scope.bindings.setdefault(name, []).append(node)


def _in_block(block: list, node: ast.AST) -> bool:
    return any(item is node for item in block)


def _in_own_code(owner: ast.AST, node: ast.AST, index: SyntaxIndex) -> bool:
    """Whether ``node`` under ``owner`` is part of its body (not a decorator, a
    default, an annotation or a base, which run in the enclosing scope)."""
    scope = index.scope_at(node)
    while scope is not None and scope.kind == "comprehension":
        scope = scope.parent
    return scope is not None and scope.node is owner


def _binds_unconditionally(stmt: ast.stmt, name: str) -> bool:
    """Whether running ``stmt`` to its end always leaves ``name`` bound."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return not (isinstance(stmt, ast.AnnAssign) and stmt.value is None)
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return any(item.optional_vars is not None and any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(item.optional_vars)) for item in stmt.items)
    if isinstance(stmt, ast.Expr):
        return True  # a walrus in an expression statement
    return False  # for/while/if/try/match: the binding may not have run


_INDEXES: "weakref.WeakKeyDictionary[ast.AST, SyntaxIndex]" = weakref.WeakKeyDictionary()


def syntax_index(tree: ast.AST) -> SyntaxIndex:
    """The index of ``tree``, built once per tree object (a tree is parsed once
    per document version, so this is once per version)."""
    index = _INDEXES.get(tree)
    if index is None:
        index = _INDEXES[tree] = SyntaxIndex(tree)
    return index
