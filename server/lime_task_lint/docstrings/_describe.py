"""Descriptions of generated docstring entries, read from the syntax tree.

A generated entry is only worth keeping if a reviewer can accept it as is, so
every description here states something the code shows and nothing more:

* a parameter is named in words (``company_ids`` -> "Company IDs"), with at
  most one clause from its first clear use in the body (iterated over, passed
  to a call, a Lime filter operand, a dict value) and its default when that is
  a short literal;
* a result is described from what is returned or yielded (one name, a list of
  one class's objects, the items of a comprehension) or from a getter's name
  (``get_task_modules`` -> "The task modules.");
* an exception is described from its raise site (a constant message, or the
  ``if`` it is raised in) or from the same-module helper that raises it.

When nothing certain can be said the ``TODO:`` placeholder stays: a plain
placeholder costs the author less than a description that is wrong.
"""

from __future__ import annotations

import ast
import re
from typing import Union

from ..logging_model import is_secret_name
from ._analysis import FunctionFacts, Param, RaiseAnalysis, _handler_types, _last_name
from ._text import PLACEHOLDER, TASK_RETURNS

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]

_ACRONYMS = {
    "api": "API", "crm": "CRM", "csv": "CSV", "db": "DB", "erp": "ERP", "html": "HTML",
    "http": "HTTP", "https": "HTTPS", "id": "ID", "ids": "IDs", "iso": "ISO", "json": "JSON",
    "pdf": "PDF", "sms": "SMS", "sql": "SQL", "ssn": "SSN", "uri": "URI", "uris": "URIs",
    "url": "URL", "urls": "URLs", "utc": "UTC", "uuid": "UUID", "uuids": "UUIDs", "vat": "VAT",
    "xml": "XML",
}  # fmt: skip
# Prefixes of a function name that say "produces the rest of the name".
_GETTERS = ("get", "fetch", "load", "read", "build", "collect", "find", "list", "make", "iter")
# First words of a predicate's name: ``is_expired`` -> "Whether the deal is expired".
_PREDICATES = ("is", "has", "can", "should", "needs", "was", "were", "are", "have")
# Local names that say nothing about what they hold.
_VAGUE = {"result", "results", "res", "ret", "rv", "out", "output", "value", "val", "tmp", "x"}
# Calls whose arguments are only shown or measured, not a use worth describing.
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_NOT_A_USE = {"print", "len", "str", "repr", "int", "float", "bool", "isinstance", "format",
              "type", "id", "hash", "sorted", "list", "tuple", "set", "dict", "getattr", "hasattr",
              "setattr", "callable", "issubclass", "vars", "dir"}  # fmt: skip
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_FORMAT_RE = re.compile(r"%[-#0-9.]*[sdrfi]|\{[\w.]*\}")
_MAX_DEFAULT = 30
_MAX_CODE = 60
_MAX_MESSAGE = 120


def words(name: str) -> list[str]:
    """``company_ids`` / ``companyIds`` / ``parseURL`` -> lower-case words, acronyms upper."""
    out = []
    for part in name.strip("_*").split("_"):
        for word in _CAMEL_RE.split(part):
            if word:
                out.append(_ACRONYMS.get(word.lower(), word.lower()))
    return out


def humanize(name: str) -> str:
    """A name in words, first letter capitalised: ``erp_id`` -> ``ERP ID``."""
    text = " ".join(words(name)) or name
    return text[:1].upper() + text[1:]


def _lower(name: str) -> str:
    """A name in words for the middle of a sentence (acronyms stay upper case)."""
    return " ".join(words(name)) or name


def sentence(text: str) -> str:
    """One line, capitalised, ending with a full stop."""
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _code(node: ast.AST) -> str | None:
    """Short source text of ``node`` for a description, or None when too long."""
    text = ast.unparse(node)
    return text if len(text) <= _MAX_CODE and "\n" not in text and "`" not in text else None


def _lime_property(node: ast.expr) -> str | None:
    """``deal.properties.year.value`` -> ``year``."""
    if (isinstance(node, ast.Attribute) and node.attr == "value"
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Attribute) and node.value.value.attr == "properties"):
        return node.value.attr
    return None


def _item_field(node: ast.expr, item: str) -> str | None:
    """``c.name`` -> ``name``; Lime's ``c.properties.name.value`` -> ``name``."""
    original = node
    chain = []
    while isinstance(node, ast.Attribute):
        chain.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id != item or not chain:
        return None
    if len(chain) == 1:
        return chain[0]
    return _lime_property(original)


def _raised_name(exc: ast.expr) -> str:
    return ast.unparse(exc.func if isinstance(exc, ast.Call) else exc)


def _vague(name: str) -> bool:
    return len(name) == 1 or name.lower() in _VAGUE


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _call_result(call: ast.Call) -> str | None:
    """``len(app.items)`` -> "The number of items."; ``helper(x)`` -> "The result of `helper`."."""
    callee = call.func
    if isinstance(callee, ast.Name) and callee.id == "len" and len(call.args) == 1:
        counted = _last_name(call.args[0])
        return sentence(f"The number of {_lower(counted)}") if counted else None
    if isinstance(callee, ast.Name) and callee.id in _NOT_A_USE:
        return None
    if isinstance(callee, ast.Name) and callee.id == "cls":
        return "A new instance of the class."
    if (_last_name(callee) or "")[:1].isupper() and _code(callee):
        return f"A new `{_code(callee)}` object."
    name = _code(callee)
    return f"The result of `{name}`." if name and isinstance(callee, (ast.Name, ast.Attribute)) else None


def _getter_rest(func_name: str) -> str | None:
    """``get_task_modules`` -> ``task modules``; None without a getter verb."""
    parts = words(func_name)
    if len(parts) > 1 and parts[0] in _GETTERS:
        return " ".join(parts[1:])
    return None


class Describer:
    """Descriptions for the entries of one function's docstring."""

    def __init__(self, func: Function, facts: FunctionFacts, analysis: RaiseAnalysis) -> None:
        self.func = func
        self.facts = facts
        self.analysis = analysis
        self.index = analysis.index_of(func)
        # The function's own nodes in the order of the tree's fields (the index
        # lists a comprehension's ``for`` before its element, as it runs): which
        # use of a parameter is its "first" stays what it always was.
        self._paths: dict[int, tuple[tuple[int, int], ...]] = {}
        self.nodes = sorted(analysis.scope(func), key=self._field_path)

    # -- parameters ---------------------------------------------------------

    def param(self, p: Param) -> str:
        if p.name.startswith("**"):
            text = "Extra keyword arguments"
        elif p.name.startswith("*"):
            text = "Extra positional arguments"
        else:
            text = humanize(p.key)
        use = self._use(p.key)
        if use:
            text += use
        text = sentence(text)
        default = self._default(p.key)
        if default is not None and not is_secret_name(p.key):
            text += f" Defaults to {default}."
        return text

    def _default(self, name: str) -> str | None:
        a = self.func.args
        positional = [*a.posonlyargs, *a.args]
        pairs = list(zip(positional[len(positional) - len(a.defaults) :], a.defaults))
        pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        for arg, node in pairs:
            if arg.arg == name:
                literal = isinstance(node, (ast.Constant, ast.UnaryOp)) or (
                    isinstance(node, (ast.List, ast.Tuple, ast.Dict, ast.Set))
                    and all(isinstance(n, ast.Constant) for n in ast.walk(node) if n is not node
                            and isinstance(n, ast.expr) and not isinstance(n, ast.Load))
                )  # fmt: skip
                text = ast.unparse(node)
                if literal and len(text) <= _MAX_DEFAULT and "\n" not in text:
                    return text
        return None

    def _use(self, name: str) -> str | None:
        """A clause from the first use of ``name`` that says what it is for."""
        for node in self.nodes:
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                clause = self._clause(node)
                if clause:
                    return clause
            elif isinstance(node, ast.Name) and node.id == name:
                return None  # reassigned: later uses are of another value
        return None

    def _clause(self, name: ast.Name) -> str | None:
        node: ast.expr = name
        parent, field = self._link(node)
        if isinstance(parent, ast.Starred):  # f(*args)
            node = parent
            parent, field = self._link(node)
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and field == "iter":
            return " to process"
        if isinstance(parent, ast.Compare) and len(parent.comparators) == 1:
            other = parent.comparators[0] if node is parent.left else parent.left
            if isinstance(parent.ops[0], (ast.In, ast.NotIn, ast.Is, ast.IsNot)) or isinstance(other, ast.Constant):
                return None
            lime_property = _lime_property(other)
            if lime_property:
                return f", compared with the `{lime_property}` property"
            shown = _code(other)
            return f", compared with `{shown}`" if shown else None
        keyword = None
        if isinstance(parent, ast.keyword):
            keyword = parent.arg
            parent = self.index.parent(parent)
            if keyword == "limit":
                return ", the most objects to read"
        if isinstance(parent, ast.Dict) and field == "values":
            key = parent.keys[parent.values.index(node)]
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and _code(key):
                return f", the `{key.value}` value" if "`" not in key.value else None
            return None
        if not isinstance(parent, ast.Call) or node is parent.func:
            return None
        if isinstance(self.index.parent(parent), ast.Raise):
            return None  # raise KeyError(key): the message, not a use
        return self._call_clause(parent, node, keyword)

    def _call_clause(self, call: ast.Call, node: ast.AST, keyword: str | None) -> str | None:
        callee = call.func
        last = _last_name(callee)
        if last is None or (last in _NOT_A_USE and isinstance(callee, ast.Name)):
            return None
        if last in _LOG_METHODS and isinstance(callee, ast.Attribute):
            return None  # logger.info("...", x): shown, not used
        if last.endswith("Operator"):  # lime_filter.EqualsOperator("region", x)
            field_node = None
            if keyword == "value":
                field_node = next((k.value for k in call.keywords if k.arg == "field"), None)
            elif keyword is None and len(call.args) >= 2 and call.args[1] is node:
                field_node = call.args[0]
            if isinstance(field_node, ast.Constant) and isinstance(field_node.value, str):
                if "`" in field_node.value:
                    return None
                if last == "EqualsOperator":
                    return f", the value of `{field_node.value}` to match"
                return f", compared with `{field_node.value}`"
            return None
        name = _code(callee)
        if name is None:
            return None
        if keyword:
            return f", passed to `{name}` as `{keyword}`"
        return f", passed to `{name}`"

    # -- results ------------------------------------------------------------

    def result(self, kind: str, is_task: bool) -> str:
        if kind == "yields":
            return self._yields() or f"{PLACEHOLDER} Describe the yielded values."
        if is_task:
            return TASK_RETURNS
        return self._returns() or f"{PLACEHOLDER} Describe the return value."

    def _returns(self) -> str | None:
        returns = [n for n in self.nodes if isinstance(n, ast.Return)]
        values = [n.value for n in returns if n.value is not None and not _is_none(n.value)]
        if "bool" in (self.facts.return_annotation, self.facts.return_inferred):
            text = self._predicate() or self._value(values, getter=False)
        else:
            text = self._value(values, getter=True)
        if text and values and len(values) < len(returns):
            text = text[:-1] + ", or None."  # some paths return nothing
        return text

    def _value(self, values: list[ast.expr], *, getter: bool) -> str | None:
        """What every ``return`` returns, from the function's name or the value."""
        rest = _getter_rest(self.func.name) if getter else None
        if rest:
            return sentence(f"The {rest}")
        if not values or len({ast.unparse(v) for v in values}) > 1:
            return None
        value = values[0]
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, (ast.Name, ast.Attribute)):
            name = _last_name(value) or ""
            return sentence(f"The {_lower(name)}") if getter and not _vague(name) else None
        if isinstance(value, ast.Call):
            return _call_result(value)
        return self._collection(value) if getter else None

    def _predicate(self) -> str | None:
        """``is_expired(deal) -> bool`` -> "Whether the deal is expired."."""
        parts = words(self.func.name)
        if len(parts) < 2 or parts[0] not in _PREDICATES:
            return None
        subject = next((p for p in self.facts.params if not p.name.startswith("*")), None)
        who = f"the {_lower(subject.key)}" if subject is not None else "it"
        return sentence(f"Whether {who} {' '.join(parts)}")

    def _collection(self, value: ast.expr) -> str | None:
        """A list display of one class's objects, or a comprehension of plain items."""
        kinds = {ast.List: "list", ast.Set: "set", ast.Tuple: "tuple",
                 ast.ListComp: "list", ast.SetComp: "set"}  # fmt: skip
        kind = kinds.get(type(value))
        if kind is None:
            return None
        if isinstance(value, (ast.List, ast.Set, ast.Tuple)):
            calls = [e for e in value.elts if isinstance(e, ast.Call)]
            classes = {ast.unparse(c.func) for c in calls}
            if calls and len(calls) == len(value.elts) and len(classes) == 1:
                cls = classes.pop()
                if (_last_name(calls[0].func) or "")[:1].isupper() and "`" not in cls:
                    return sentence(f"A {kind} of `{cls}` objects")
            return None
        assert isinstance(value, (ast.ListComp, ast.SetComp))
        gen = value.generators[0]
        if len(value.generators) > 1 or not isinstance(gen.iter, ast.Name) or not isinstance(gen.target, ast.Name):
            return None
        items = f"the {_lower(gen.iter.id)}"
        if isinstance(value.elt, ast.Name) and value.elt.id == gen.target.id:
            if not gen.ifs:
                return sentence(f"A {kind} of {items}")
            condition = _code(gen.ifs[0]) if len(gen.ifs) == 1 else None
            return sentence(f"A {kind} of {items} where `{condition}`") if condition else None
        field = _item_field(value.elt, gen.target.id)
        if field and not gen.ifs:
            return sentence(f"A {kind} of the {_lower(field)} of each of {items}")
        return None

    def _yields(self) -> str | None:
        rest = _getter_rest(self.func.name)
        if rest:
            return sentence(f"Each of the {rest}")
        yields = [n for n in self.nodes if isinstance(n, (ast.Yield, ast.YieldFrom))]
        names = {n.value.id for n in yields if isinstance(n.value, ast.Name)}
        if len(names) != 1 or not all(isinstance(n.value, ast.Name) for n in yields):
            return None
        name = names.pop()
        if _vague(name):
            return None
        if all(isinstance(n, ast.YieldFrom) for n in yields):
            return sentence(f"Each item of the {_lower(name)}")
        if all(isinstance(n, ast.Yield) for n in yields):
            return sentence(f"Each {_lower(name)}")
        return None

    # -- exceptions ---------------------------------------------------------

    def raises(self, name: str) -> str:
        """From the raise sites of ``name`` in this function (each must say
        something, or the placeholder stays) and the helpers that raise it."""
        told: list[str] = []
        for node in self.nodes:
            if isinstance(node, ast.Raise) and not self._caught(node, name):
                if node.exc is None or _raised_name(node.exc) == self._handler_name(node):
                    if not self._may_reraise(node, name):
                        continue
                    text = self._reraise(node, name)
                elif _raised_name(node.exc) == name:
                    text = self._raise_site(node)
                else:
                    continue
                if text is None:
                    return f"{PLACEHOLDER} Explain when {name} is raised."
                if text not in told:
                    told.append(text)
        helpers: list[str] = []
        for node in self.nodes:
            if not isinstance(node, ast.Call) or self._caught(node, name):
                continue
            callee = self.analysis.resolve(self.func, node)
            if callee is not None and callee is not self.func and name in self.analysis.raised(callee):
                helper = _code(node.func)
                if helper is None:
                    return f"{PLACEHOLDER} Explain when {name} is raised."
                if helper not in helpers:
                    helpers.append(helper)
        if helpers:
            shown = " and ".join(", ".join(f"`{h}`" for h in helpers).rsplit(", ", 1))
            told.append(f"{'Also raised' if told else 'Raised'} by {shown}.")
        return " ".join(told) if told else f"{PLACEHOLDER} Explain when {name} is raised."

    def _handler_name(self, node: ast.AST) -> str | None:
        """The ``as`` name of the ``except`` clause ``node`` is in, if any."""
        handler = self._handler(node)
        return handler.name if handler is not None else None

    def _handler(self, node: ast.AST) -> ast.ExceptHandler | None:
        return self.index.enclosing(node, ast.ExceptHandler, stop=self.func)

    def _may_reraise(self, node: ast.Raise, name: str) -> bool:
        """Whether the ``except`` clause around ``node`` is the one of its ``try``
        that catches ``name`` (the first that matches)."""
        handler = self._handler(node)
        try_node = self.index.parent(handler) if handler is not None else None
        for clause in getattr(try_node, "handlers", []):
            types = _handler_types(clause)
            if types is None or any(self.analysis.catches(t, name) for t in types):
                return clause is handler
        return False

    def _reraise(self, node: ast.Raise, name: str) -> str | None:
        """A bare ``raise`` in ``except <name>:`` after a ``try`` making one call:
        "Re-raised from `call`."; None when that is not certain."""
        handler = self._handler(node)
        if handler is None:
            return None
        types = _handler_types(handler)
        if types is None or name not in types:
            return None
        try_node = self.index.parent(handler)
        calls = {_code(n.func) for stmt in getattr(try_node, "body", [])
                 for n in ast.walk(stmt) if isinstance(n, ast.Call)}  # fmt: skip
        if len(calls) != 1 or None in calls:
            return None
        return f"Re-raised from `{calls.pop()}`."

    def _raise_site(self, node: ast.Raise) -> str | None:
        exc = node.exc
        if isinstance(exc, ast.Call) and exc.args:
            message = exc.args[0]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                text = " ".join(message.value.split())
                if (len(text) <= _MAX_MESSAGE and not text.startswith(":") and any(c.isalpha() for c in text)
                        and not _FORMAT_RE.search(text)):  # "row %s": the message is filled in elsewhere
                    return sentence(text)
        parent, field = self._link(node)
        if isinstance(parent, ast.If) and field == "body":
            condition = _code(parent.test)
            if condition:
                return f"If `{condition}`."
        return None

    def _caught(self, node: ast.AST, name: str) -> bool:
        """Whether a ``try`` of this function around ``node`` catches ``name``."""
        child = node
        for parent in self.index.ancestors(node):
            if parent is self.func:
                break
            if isinstance(parent, ast.Try) and self.index.field_of(child) == "body":
                for handler in parent.handlers:
                    types = _handler_types(handler)
                    if types is None or any(self.analysis.catches(t, name) for t in types):
                        return True
            child = parent
        return False

    def _field_path(self, node: ast.AST) -> tuple[tuple[int, int], ...]:
        """(field number, list position) of each step from the function down to
        ``node``: sorting by it lists a parent before its children and siblings
        in the order of their parent's fields."""
        paths = self._paths
        chain = []
        current = node
        while current is not self.func and id(current) not in paths:
            chain.append(current)
            current = self.index.parent(current)
            if current is None:
                return ()
        path = paths.get(id(current), ())
        for step in reversed(chain):
            parent = self.index.parent(step)
            name = self.index.field_of(step) or ""
            value = getattr(parent, name, None)
            position = next(i for i, item in enumerate(value) if item is step) if isinstance(value, list) else 0
            path = paths[id(step)] = (*path, (parent._fields.index(name), position))
        return path

    def _link(self, node: ast.AST) -> tuple[ast.AST | None, str | None]:
        """``node``'s parent and the name of the parent's field holding it."""
        return self.index.parent(node), self.index.field_of(node)
