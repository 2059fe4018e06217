"""Fake `lime_filter`: filter expressions for `limetype.get_all(filter=...)`.

Mimics the operator classes real code imports from `lime_filter` /
`lime_filter.filter` (lime-api.md §2.4): `Filter(expr)` wraps the root;
`EqualsOperator(field, value)`, `NotEqualsOperator`, `LikeOperator`,
`InOperator(field, values)`, `AndOperator(a, b, ...)`, `OrOperator(...)`, plus
`GreaterOperator`/`LessOperator`(+`OrEqual`) and `NotOperator`.  A field is a
property name; a relation (belongsto) name compares to the related id; "id"
and "_id" are the object's id.

Semantics are those of the SQL the real filters become (assumptions, the
real translation is not documented):
- `Equals(f, None)` is `IS NULL`, `NotEquals(f, None)` is `IS NOT NULL`;
- `NotEquals(f, v)`, `In`, `Like`, `Greater`, `Less` never match NULL (None);
- string comparisons are case-insensitive when the app is (the default,
  like MS SQL Server's default collation under Lime CRM); pass
  `FakeLimeApplication(..., case_insensitive=False)` to turn that off;
- `LikeOperator` uses SQL LIKE patterns: `%` any run, `_` one character;
  without wildcards it is an (case-insensitive) equality.
Option fields compare by option key (a str, or an object with `.key`).
"""

from __future__ import annotations

import re


class Filter:
    """Root wrapper passed as `get_all(filter=Filter(expr))`."""

    def __init__(self, exp):
        self.exp = exp

    def __repr__(self):
        return f"Filter({self.exp!r})"


class _Compare:
    op = "?"

    def __init__(self, field, value):
        self.field = field
        self.value = value

    def __repr__(self):
        return f"{type(self).__name__}({self.field!r}, {_short(self.value)})"


class EqualsOperator(_Compare):
    op = "="


class NotEqualsOperator(_Compare):
    op = "!="


class GreaterOperator(_Compare):
    op = ">"


class GreaterOrEqualOperator(_Compare):
    op = ">="


class LessOperator(_Compare):
    op = "<"


class LessOrEqualOperator(_Compare):
    op = "<="


class LikeOperator(_Compare):
    op = "LIKE"


class InOperator(_Compare):
    op = "IN"

    def __init__(self, field, values):
        super().__init__(field, list(values))


class _Logical:
    def __init__(self, *exps):
        if len(exps) == 1 and isinstance(exps[0], (list, tuple)):
            exps = tuple(exps[0])
        if not exps:
            raise ValueError(f"{type(self).__name__} needs at least one operand")
        self.exps = exps

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(map(repr, self.exps))})"


class AndOperator(_Logical):
    pass


class OrOperator(_Logical):
    pass


class NotOperator:
    def __init__(self, exp):
        self.exp = exp

    def __repr__(self):
        return f"NotOperator({self.exp!r})"


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------
# Evaluation: an expression is compiled once per query into a predicate over
# stored rows (dicts with an "id" key), and planned against hash indexes.


class FilterContext:
    """What compiling needs: the limetype's properties, collation, indexes."""

    def __init__(self, limetype_name, props, case_insensitive, table):
        self.limetype = limetype_name
        self.props = props
        self.ci = case_insensitive
        self.table = table

    def norm(self, value):
        if self.ci and isinstance(value, str):
            return value.casefold()
        return value

    def column(self, field):
        if field in ("id", "_id"):
            return "id"
        prop = self.props.get(field)
        if prop is None:
            raise ValueError(f"filter on unknown property {self.limetype}.{field}")
        if not prop.stored:
            raise NotImplementedError(f"fake cannot filter on hasmany {self.limetype}.{field}")
        return field

    def operand(self, value):
        if hasattr(value, "limetype") and hasattr(value, "properties"):
            raise TypeError("compare a relation with the related object's id, not the object")
        if hasattr(value, "key") and not isinstance(value, (str, bytes)):
            value = value.key  # an OptionValue
        return self.norm(value)


def compile_filter(filter, ctx: FilterContext):
    """Return (predicate(row) -> bool, candidate ids set or None for a full scan)."""
    if filter is None:
        return None, None
    exp = filter.exp if isinstance(filter, Filter) else filter
    return _compile(exp, ctx), _plan(exp, ctx)


def _compile(exp, ctx):
    if isinstance(exp, Filter):
        return _compile(exp.exp, ctx)
    if isinstance(exp, AndOperator):
        preds = [_compile(e, ctx) for e in exp.exps]
        return lambda row: all(p(row) for p in preds)
    if isinstance(exp, OrOperator):
        preds = [_compile(e, ctx) for e in exp.exps]
        return lambda row: any(p(row) for p in preds)
    if isinstance(exp, NotOperator):
        inner = _compile(exp.exp, ctx)
        return lambda row: not inner(row)
    if not isinstance(exp, _Compare):
        raise TypeError(f"not a lime_filter expression: {exp!r}")
    col, norm = ctx.column(exp.field), ctx.norm
    if isinstance(exp, InOperator):
        wanted = {ctx.operand(v) for v in exp.value if v is not None}
        return lambda row: row[col] is not None and norm(row[col]) in wanted
    value = ctx.operand(exp.value)
    if isinstance(exp, EqualsOperator):
        if value is None:
            return lambda row: row[col] is None
        return lambda row: norm(row[col]) == value
    if isinstance(exp, NotEqualsOperator):
        if value is None:
            return lambda row: row[col] is not None
        return lambda row: row[col] is not None and norm(row[col]) != value
    if isinstance(exp, LikeOperator):
        if not isinstance(value, str):
            raise TypeError("LikeOperator needs a string pattern")
        regex = _like_regex(exp.value, ctx.ci)
        return lambda row: isinstance(row[col], str) and regex.fullmatch(row[col]) is not None
    if value is None:
        return lambda row: False
    compare = {
        GreaterOperator: lambda a: a > value,
        GreaterOrEqualOperator: lambda a: a >= value,
        LessOperator: lambda a: a < value,
        LessOrEqualOperator: lambda a: a <= value,
    }[type(exp)]
    return lambda row: row[col] is not None and compare(norm(row[col]))


def _like_regex(pattern, ci):
    parts = []
    for ch in pattern:
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ci else 0))


def _plan(exp, ctx):
    """Ids that can match (a superset), from hash indexes; None = scan all."""
    if isinstance(exp, Filter):
        return _plan(exp.exp, ctx)
    if isinstance(exp, AndOperator):
        sets = [s for s in (_plan(e, ctx) for e in exp.exps) if s is not None]
        if not sets:
            return None
        sets.sort(key=len)
        return set.intersection(*sets) if len(sets) > 1 else sets[0]
    if isinstance(exp, OrOperator):
        sets = [_plan(e, ctx) for e in exp.exps]
        if any(s is None for s in sets):
            return None
        return set().union(*sets)
    if isinstance(exp, (EqualsOperator, InOperator)):
        values = [exp.value] if isinstance(exp, EqualsOperator) else [
            v for v in exp.value if v is not None]
        col = ctx.column(exp.field)
        if col == "id":
            return {v for v in values if v in ctx.table.rows}
        index = ctx.table.index(col)
        if index is None:
            return None
        found = set()
        for v in values:
            try:
                found |= index.get(ctx.operand(v), set())
            except TypeError:  # unhashable operand: let the scan decide
                return None
        return found
    return None
