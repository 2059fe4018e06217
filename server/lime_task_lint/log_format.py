"""Format semantics for the logging fixes: when a lazy ``%`` placeholder formats a
value to exactly the text an f-string field or a ``str.format`` field gives.

An f-string field ``{value!conv:spec}`` is ``format(conv(value), spec)``, the
*format mini-language*; a lazy log argument is formatted by ``msg % args``
inside the logging handler, the *printf* language.  The two agree only in part:

* ``-`` is the sign option in a format spec but left-justification in ``%``;
* a format spec without an alignment left-aligns text and right-aligns numbers,
  ``%`` right-aligns both; ``^`` centring, fill characters other than space,
  ``,``/``_`` grouping, ``z`` and ``%`` have no ``%`` equivalent;
* the type decides the rest: ``{x:.2f}`` of a ``Decimal`` rounds half-even in
  decimal, ``%.2f`` converts to float first (``2.675`` -> ``2.68`` vs ``2.67``);
  ``{x:d}`` of a float raises ``ValueError`` in the task, ``%d`` truncates it;
  ``{x:.2f}`` of ``None`` raises in the task, lazily it only fails inside the
  logging handler (the record is lost, the task runs on);
* ``{x}`` is ``format(x, "")``, which Python's convention makes ``str(x)``; a
  mixed-in ``Enum`` (``class Status(str, Enum)``) breaks it before Python 3.11.

So a field converts only when the text is proven identical for every value the
expression can hold: its type is proven (a literal, ``len()``, ``int()``,
``float()``, ``str()``, a ``range`` counter, a Lime object's ``.id``, or a name
every binding of which is one of these), or the spec does not depend on the
type (``!r``/``!s``/``!a`` make the value text).  A type known only from an
annotation converts with a hazard (the fix is unsafe); an unknown type under a
type-dependent spec does not convert at all.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

_BUILTINS = frozenset(dir(builtins))

#: The format-spec grammar of the format mini-language.
_SPEC = re.compile(
    r"^(?:(?P<fill>.)(?P<align>[<>=^])|(?P<align_only>[<>=^]))?(?P<sign>[-+ ])?(?P<z>z)?(?P<alt>\#)?"
    r"(?P<zero>0)?(?P<width>\d+)?(?P<grouping>[,_])?(?:\.(?P<precision>\d+))?(?P<type>[bcdeEfFgGnosxX%])?$",
    re.DOTALL)
#: One ``%`` placeholder of a printf template (``%%`` included, to be skipped).
_PERCENT = re.compile(r"%(?P<key>\([^)]*\))?(?P<flags>[-+ 0#]*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
                      r"[hlL]?(?P<type>[diouxXeEfFgGcrsa%])")

TEXT, INT, FLOAT, BOOL, DECIMAL, NONE = "str", "int", "float", "bool", "Decimal", "None"
NUMBER_KINDS = (INT, FLOAT, BOOL)


@dataclass(frozen=True)
class ValueKind:
    """What an expression's value is: ``name`` is one of the kinds above or
    ``None`` (unknown); ``proof`` is ``"proven"`` (by the code) or
    ``"annotated"`` (only a type hint says so, callers may pass anything)."""

    name: str | None
    proof: str = "proven"

    @property
    def proven(self) -> bool:
        return self.name is not None and self.proof == "proven"


UNKNOWN = ValueKind(None, "unknown")


@dataclass(frozen=True)
class Placeholder:
    """The answer for one field: ``text`` is the ``%`` placeholder, or None when
    the field cannot be converted (``reason`` says why); ``hazard`` names what may
    change when ``text`` is used (the fix is then unsafe)."""

    text: str | None
    reason: str | None = None
    hazard: str | None = None


def _percent_flags(spec: re.Match, numeric: bool) -> str | None:
    """The ``%`` flags and width/precision equal to a parsed format spec, or None."""
    fill = spec["fill"]
    align = spec["align"] or spec["align_only"]
    if spec["z"] or spec["grouping"]:
        return None
    flags = ""
    if numeric:
        if spec["sign"] in ("+", " "):
            flags += spec["sign"]
        if spec["alt"]:
            flags += "#"
        zero = bool(spec["zero"]) or (fill == "0" and align == "=")
        if fill not in (None, " ") and not (fill == "0" and align == "="):
            return None
        if align == "^" or (align == "=" and not zero):
            return None
        if zero and align not in (None, "="):
            return None  # {x:<06d} pads with zeros on the right; %-06d with spaces
        if align == "<":
            flags += "-"
        if zero:
            flags += "0"
    else:
        if spec["sign"] or spec["alt"] or spec["zero"] or fill not in (None, " ") or align in ("^", "="):
            return None
        if align in (None, "<") and spec["width"]:
            flags += "-"  # text aligns left in a format spec, right in %
    width = spec["width"] or ""
    precision = "." + spec["precision"] if spec["precision"] is not None else ""
    return flags + width + precision


def field_placeholder(conversion: int, spec: str | None, kind: ValueKind, what: str,
                      python_version: tuple[int, int] = (3, 11)) -> Placeholder:
    """The ``%`` placeholder formatting ``format(conv(value), spec)`` identically.

    ``conversion`` is ``ast.FormattedValue.conversion`` (-1, ``ord('r')``, ...),
    ``spec`` the literal format spec (None when nested: never converted), ``kind``
    the value's kind, ``what`` the field's source for messages, ``python_version``
    the lowest Python the code runs on.
    """
    if spec is None:
        return Placeholder(None, f"`{what}` has a computed format spec")
    if conversion in (ord("r"), ord("s"), ord("a")):
        char = chr(conversion)
        if not spec:
            return Placeholder("%" + char)
        match = _SPEC.match(spec)
        flags = _percent_flags(match, numeric=False) if match and match["type"] in (None, "s") else None
        if flags is None:
            return Placeholder(None, f"`{what}:{spec}` has no `%` equivalent")
        return Placeholder("%" + flags + char)
    if conversion != -1:
        return Placeholder(None, f"`{what}` has an unknown conversion")
    if not spec:
        if python_version < (3, 11) and not kind.proven:
            return Placeholder("%s", hazard=f"`{what}` is formatted with `str()` instead of `format()`: a mixed-in "
                               "Enum (`class Status(str, Enum)`) logs its name instead of its value before Python 3.11")
        return Placeholder("%s")
    match = _SPEC.match(spec)
    if match is None:
        return Placeholder(None, f"`{what}:{spec}` is not a valid format spec")
    if kind.name is None or kind.name in (DECIMAL, NONE):
        why = {DECIMAL: "is a Decimal: `%` would format it as a float (other rounding)",
               NONE: "is None: the format spec raises in the task"}.get(kind.name or "", None)
        return Placeholder(None, f"`{what}` {why}" if why else
                           f"the text of `{{{what}:{spec}}}` depends on the value's type (a Decimal rounds "
                           "differently, None or text raise in the task but only in the logging handler when lazy)")
    kind_type = match["type"]
    if kind.name == TEXT:
        flags = _percent_flags(match, numeric=False) if kind_type in (None, "s") else None
        char = "s"
    elif kind.name in (INT, BOOL):
        flags = _percent_flags(match, numeric=True) if kind_type in (None, "d", "x", "X", "o") \
            and match["precision"] is None else None
        char = kind_type or "d"
    else:  # FLOAT
        flags = _percent_flags(match, numeric=True) if kind_type in ("e", "E", "f", "F", "g", "G") else None
        char = kind_type or ""
    if flags is None:
        return Placeholder(None, f"`{{{what}:{spec}}}` has no `%` equivalent")
    hazard = None
    if kind.proof != "proven":
        hazard = (f"`{what}` is only annotated `{kind.name}`: another type passed in formats differently, "
                  "or fails in the logging handler instead of raising in the task")
    return Placeholder("%" + flags + char, hazard=hazard)


# -- printf templates --------------------------------------------------------------
@dataclass(frozen=True)
class PercentField:
    start: int
    end: int
    type: str  # the conversion character


def percent_fields(template: str) -> list[PercentField] | None:
    """The placeholders of a ``%`` template that consume an argument, in order;
    None for mapping keys (``%(name)s``) or ``*`` widths, which this analysis
    does not follow."""
    fields: list[PercentField] = []
    position = 0
    while True:
        at = template.find("%", position)
        if at < 0:
            return fields
        match = _PERCENT.match(template, at)
        if match is None:
            return None  # "50% done" with arguments: a formatting error either way
        if match["type"] == "%" and match.end() - at == 2:
            position = match.end()
            continue
        if match["key"] or match["width"] == "*" or match["precision"] == "*" or match["type"] == "%":
            return None
        fields.append(PercentField(at, match.end(), match["type"]))
        position = match.end()


def percent_accepts(conversion: str, kind: ValueKind) -> bool:
    """Whether ``"%<conversion>" % value`` formats every value of ``kind``
    without raising (``%s``/``%r``/``%a`` take anything)."""
    if conversion in "sra":
        return True
    if not kind.proven:
        return False
    if conversion in "diuoxX":
        return kind.name in (INT, BOOL)  # a float or Decimal infinity raises OverflowError
    if conversion in "eEfFgG":
        return kind.name in (FLOAT, BOOL)  # an int beyond float range raises OverflowError
    return False


# -- value kinds -------------------------------------------------------------------
_CALL_KINDS = {"len": INT, "int": INT, "float": FLOAT, "str": TEXT, "repr": TEXT, "ascii": TEXT, "format": TEXT,
               "bool": BOOL, "hex": TEXT, "oct": TEXT, "bin": TEXT, "chr": TEXT, "ord": INT}
_ANNOTATION_KINDS = {"int": INT, "float": FLOAT, "str": TEXT, "bool": BOOL, "Decimal": DECIMAL}


class KindResolver:
    """Infers :class:`ValueKind` of expressions from the syntax index.

    ``is_lime_object(name, at)`` says whether a name holds a Lime object there
    (its ``.id`` is an int by the Lime API).
    """

    def __init__(self, index, is_lime_object=None) -> None:
        self.index = index
        self.is_lime_object = is_lime_object or (lambda name, at: False)
        self._names: dict[tuple[int, str], ValueKind] = {}

    def kind(self, expr: ast.AST, at: ast.AST | None = None) -> ValueKind:
        """The kind of ``expr``; ``at`` is where it is evaluated when ``expr`` is not
        part of the indexed tree (a placeholder parsed out of a string)."""
        at = expr if at is None else at
        if isinstance(expr, ast.Constant):
            value = expr.value
            if isinstance(value, bool):
                return ValueKind(BOOL)
            return ValueKind({int: INT, float: FLOAT, str: TEXT, type(None): NONE}.get(type(value)))
        if isinstance(expr, ast.JoinedStr):
            return ValueKind(TEXT)
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Name) and self._builtin(func.id, at) and func.id in _CALL_KINDS:
                return ValueKind(_CALL_KINDS[func.id])
            if self._is_decimal_class(func, at):
                return ValueKind(DECIMAL)
            return UNKNOWN
        if isinstance(expr, ast.Compare) or (isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not)):
            return ValueKind(BOOL)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            inner = self.kind(expr.operand, at)
            if inner.name == BOOL:
                return ValueKind(INT, inner.proof)
            return inner if inner.name in (INT, FLOAT, DECIMAL) else UNKNOWN
        if isinstance(expr, ast.BinOp):
            return self._binop(self.kind(expr.left, at), expr.op, self.kind(expr.right, at))
        if isinstance(expr, ast.IfExp):
            body, orelse = self.kind(expr.body, at), self.kind(expr.orelse, at)
            return _join([body, orelse])
        if isinstance(expr, ast.Attribute) and expr.attr == "id" and isinstance(expr.value, ast.Name) \
                and self.is_lime_object(expr.value.id, at):
            return ValueKind(INT)
        if isinstance(expr, ast.Name):
            return self._name_kind(expr.id, at)
        return UNKNOWN

    @staticmethod
    def _binop(left: ValueKind, op: ast.operator, right: ValueKind) -> ValueKind:
        if left.name is None or right.name is None:
            return UNKNOWN
        proof = "proven" if left.proven and right.proven else "annotated"
        names = {left.name if left.name != BOOL else INT, right.name if right.name != BOOL else INT}
        if names == {TEXT}:
            return ValueKind(TEXT, proof) if isinstance(op, ast.Add) else UNKNOWN
        if names == {INT} and isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
            return ValueKind(INT, proof)
        if names <= {INT, FLOAT} and isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return ValueKind(FLOAT, proof)
        return UNKNOWN

    def _builtin(self, name: str, at: ast.AST) -> bool:
        return name in _BUILTINS and self.index.resolve(name, at) is None

    def _is_decimal_class(self, func: ast.AST, at: ast.AST) -> bool:
        if isinstance(func, ast.Attribute) and func.attr == "Decimal" and isinstance(func.value, ast.Name):
            return self._imported_from(func.value.id, at, "decimal", module=True)
        return isinstance(func, ast.Name) and self._imported_from(func.id, at, "decimal", name="Decimal")

    def _imported_from(self, local: str, at: ast.AST, module_name: str, name: str | None = None,
                       module: bool = False) -> bool:
        scope = self.index.resolve(local, at)
        if scope is None:
            return False
        bindings = scope.bindings.get(local, [])
        if not bindings:
            return False
        for binding in bindings:
            statement = self.index.parent(binding)
            if not isinstance(binding, ast.alias):
                return False
            if module and not (isinstance(statement, ast.Import) and binding.name == module_name):
                return False
            if not module and not (isinstance(statement, ast.ImportFrom) and statement.module == module_name
                                   and binding.name == name):
                return False
        return True

    def _name_kind(self, name: str, at: ast.AST) -> ValueKind:
        scope = self.index.resolve(name, at)
        if scope is None:
            return UNKNOWN
        key = (id(scope), name)
        if key in self._names:
            return self._names[key]
        self._names[key] = UNKNOWN  # a cycle through augmented assignments proves nothing
        kinds: list[ValueKind] = []
        augmented: list[ast.AugAssign] = []
        for binding in scope.bindings.get(name, []):
            parent = self.index.parent(binding)
            if isinstance(binding, ast.arg):
                annotation = binding.annotation
                label = annotation.id if isinstance(annotation, ast.Name) else (
                    annotation.attr if isinstance(annotation, ast.Attribute) else None)
                kinds.append(ValueKind(_ANNOTATION_KINDS[label], "annotated") if label in _ANNOTATION_KINDS
                             else UNKNOWN)
            elif isinstance(parent, ast.Assign) and any(t is binding for t in parent.targets):
                kinds.append(self.kind(parent.value))
            elif isinstance(parent, ast.AnnAssign) and parent.target is binding and parent.value is not None:
                kinds.append(self.kind(parent.value))
            elif isinstance(parent, ast.AugAssign) and parent.target is binding:
                augmented.append(parent)
            elif isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.target is binding \
                    and self._counter_call(parent.iter, "range"):
                kinds.append(ValueKind(INT))
            elif isinstance(parent, ast.Tuple) and parent.elts and parent.elts[0] is binding:
                loop = self.index.parent(parent)
                if isinstance(loop, (ast.For, ast.AsyncFor, ast.comprehension)) and loop.target is parent \
                        and self._counter_call(loop.iter, "enumerate"):
                    kinds.append(ValueKind(INT))
                else:
                    kinds.append(UNKNOWN)
            else:
                kinds.append(UNKNOWN)
        result = _join(kinds) if kinds else UNKNOWN
        self._names[key] = result
        for statement in augmented:
            if self._binop(result, statement.op, self.kind(statement.value)) != result:
                result = UNKNOWN
                break
        self._names[key] = result
        return result

    def _counter_call(self, iterable: ast.AST, name: str) -> bool:
        return isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
            and iterable.func.id == name and self._builtin(name, iterable)


def _join(kinds: list[ValueKind]) -> ValueKind:
    names = {k.name for k in kinds}
    if len(names) != 1 or None in names:
        return UNKNOWN
    proof = "proven" if all(k.proof == "proven" for k in kinds) else "annotated"
    return ValueKind(kinds[0].name, proof)
