"""Fake `lime_query.execute_query` (lime-api.md §2.5).

Supports the query-dict subset seen in real code::

    {"limetype": "person",
     "responseFormat": {"object": {"_id": None, "email": None, "company": None}},
     "filter": {"op": "AND", "exp": [{"key": "status", "op": "=", "exp": "active"}]},
     "limit": 100, "offset": 0}

and returns {"objects": [{"_id": 1001, "email": ..., "company": 1002}, ...]}
(ascending id).  `_id` is always included; an option is given as its key and
a belongsto as the related id (assumptions: the real shapes are not known).
Filter leaves {"key", "op", "exp"}; groups {"op": "AND"|"OR", "exp": [...]}
and {"op": "!", "exp": leaf}.  Leaf ops (assumed meanings): "=", "!=", ">",
">=", "<", "<=", "IN", "?" (contains), "=?" (begins with), "=$" (ends with);
the same NULL and case rules as fakelime.filters.  Anything else, e.g.
nested responseFormat objects or "orderBy", raises NotImplementedError
rather than guess.  One "execute_query" read per call.
"""

from __future__ import annotations

from . import filters as lf
from .objects import GetAllResult


def _leaf(key, op, exp):
    simple = {"=": lf.EqualsOperator, "!=": lf.NotEqualsOperator, ">": lf.GreaterOperator,
              ">=": lf.GreaterOrEqualOperator, "<": lf.LessOperator,
              "<=": lf.LessOrEqualOperator, "IN": lf.InOperator}
    if op in simple:
        return simple[op](key, exp)
    if op in ("?", "=?", "=$"):
        if "%" in exp or "_" in exp:
            raise NotImplementedError("fake: % or _ inside a contains/begins/ends value")
        pattern = {"?": f"%{exp}%", "=?": f"{exp}%", "=$": f"%{exp}"}[op]
        return lf.LikeOperator(key, pattern)
    raise NotImplementedError(f"fake lime_query: filter op {op!r}")


def filter_from_dict(node):
    """Translate a query-dict filter into fakelime.filters operators."""
    op = node.get("op")
    if "key" in node:
        return _leaf(node["key"], op, node.get("exp"))
    if op in ("AND", "OR"):
        parts = [filter_from_dict(e) for e in node["exp"]]
        return (lf.AndOperator if op == "AND" else lf.OrOperator)(*parts)
    if op == "!":
        return lf.NotOperator(filter_from_dict(node["exp"]))
    raise NotImplementedError(f"fake lime_query: filter node {node!r}")


def execute_query(query, conn, limetypes, acl, user):
    app = limetypes.application
    if conn is not app.database.connection:
        raise ValueError("execute_query: conn is not this application's database.connection")
    unknown = set(query) - {"limetype", "responseFormat", "filter", "limit", "offset"}
    if unknown:
        raise NotImplementedError(f"fake lime_query: query keys {sorted(unknown)}")
    limetype = limetypes.get_limetype(query["limetype"])
    fields = query.get("responseFormat", {}).get("object", {})
    for name, sub in fields.items():
        if sub is not None:
            raise NotImplementedError(f"fake lime_query: nested responseFormat for {name!r}")
        if name != "_id" and name not in limetype.properties:
            raise ValueError(f"unknown property {limetype.name}.{name}")
        if name != "_id" and not limetype.properties[name].stored:
            raise NotImplementedError(f"fake lime_query: hasmany {name!r} in responseFormat")
    flt = filter_from_dict(query["filter"]) if query.get("filter") else None
    app.recorder.record("execute_query", limetype.name, query=query)
    result = GetAllResult(limetype, flt, query.get("limit"), query.get("offset"))
    start = query.get("offset") or 0
    stop = None if query.get("limit") is None else start + query["limit"]
    objects = []
    for i, row in enumerate(result._matching_rows()):
        if stop is not None and i >= stop:
            break
        if i >= start:
            obj = {"_id": row["id"]}
            obj.update((f, row[f]) for f in fields if f != "_id")
            objects.append(obj)
    return {"objects": objects}
