"""LIME203's pre-fetch for a read per item of a comprehension or generator
expression: ``[app.limetypes.company.get(cid) for cid in ids]`` or
``[d.properties.coworker.fetch() for d in deals if d.properties.open.value]``.

The objects are read into a dict before the statement that holds the
comprehension (``{obj.id: obj for ...}`` over the keys in chunks), and the read
becomes a lookup: ``company_by_id[cid]`` for ``get`` (a missing id raises
``KeyError``), ``coworker_by_id.get(d.properties.coworker.value)`` for a
relation (``None`` as ``.fetch()`` gives it).

Preconditions (:func:`comprehension_fix`), stated once here and in the rule's
Fix safety: one generator (not ``async``) whose filters are expressions of its
item without effects (the keys are computed under the same filters); the read
is in the comprehension's result expression, its key computed from the item
alone without effects; nothing else in the statement writes or calls code that
is not visible (the read would now run before it); the iterable can be
iterated twice (a list, tuple or set bound once, a parameter annotated as one),
else it is first read into a list; the statement starts its own line.  Always
unsafe, with the behaviour changes listed for the loop pre-fetch.
"""

from __future__ import annotations

import ast

from .edits import Applicability, Edit, Fix, with_newline
from .model import FunctionInfo, LimeRead, Loop
from .prefetch import (
    KeySource,
    _accessor_owner,
    _list_name,
    _names_in,
    _prefetch_read,
    application_before,
    related_limetype,
    relation_of,
)
from .roundtrips import Lines, _NoFix, fresh_name

_REITERABLE_CALLS = ("list", "sorted", "tuple", "set")
_REITERABLE_ANNOTATIONS = ("list", "List", "tuple", "Tuple", "set", "Set", "Sequence", "frozenset", "FrozenSet")


def comprehension_fix(ctx, read: LimeRead, loop: Loop) -> Fix:
    """The pre-fetch fix for ``read`` in the comprehension ``loop``; raises
    :class:`roundtrips._NoFix` with the reason when a precondition fails."""
    comp = loop.node
    if len(comp.generators) != 1 or comp.generators[0].is_async:  # type: ignore[attr-defined]
        raise _NoFix("the comprehension has more than one `for`; rewrite it as a loop first")
    generator: ast.comprehension = comp.generators[0]  # type: ignore[attr-defined]
    index, effects = ctx.index, ctx.effects
    results = [comp.key, comp.value] if isinstance(comp, ast.DictComp) else [comp.elt]  # type: ignore[attr-defined]
    if not any(index.contains(part, read.node) for part in results):
        grouped = group_fix(ctx, read, loop)
        if grouped is not None:
            return grouped
        raise _NoFix("the read is in the comprehension's `for` or `if`; rewrite it as a loop first")
    targets = _names_in(generator.target)
    for test in generator.ifs:
        found = effects.of_node(test)
        if found.has_side_effects or found.unknown or found.reads:
            raise _NoFix("the comprehension's `if` has effects or reads")
    statement = index.statement_of(comp)
    if statement is None:
        raise _NoFix("the comprehension's statement was not found")
    around = effects.of_node(statement)
    if around.writes or around.unknown:
        raise _NoFix("its statement writes or calls code that is not visible; the read would now run before it")
    lines = Lines(ctx)
    if not lines.line(statement.lineno)[len(lines.indent(statement.lineno)):].startswith(
            ctx.text(statement)[:8]):
        raise _NoFix("the statement does not start its line")
    info = read.function
    if read.kind == "get":
        if len(read.node.args) != 1 or read.node.keywords:
            raise _NoFix("`.get(...)` has other arguments than the id")
        key = read.node.args[0]
        key_text, limetype_text, limetype = ctx.text(key), ctx.text(read.node.func.value), read.limetype  # type: ignore[attr-defined]
        if not _names_in(read.node.func.value) <= _stable_names(ctx, info, statement, targets):  # type: ignore[attr-defined]
            raise _NoFix("the limetype is not known before the statement")
        distinct, how = False, None
    elif read.kind == "fetch":
        accessor = read.node.func.value  # type: ignore[attr-defined]
        relation = relation_of(accessor)
        owner = _accessor_owner(accessor) if relation is not None else None
        if relation is None or read.node.args or not (isinstance(owner, ast.Name) and owner.id in targets):
            raise _NoFix("only `<item>.properties.<relation>.fetch()` on the comprehension's item is pre-fetched")
        app = application_before(ctx, info, statement.lineno, [statement])
        if app is None:
            raise _NoFix("no application is in scope before the statement")
        role = info.names.get(owner.id)
        owner_limetype = role.limetype if role is not None and role.kind == "object" else None
        how = related_limetype(ctx, owner_limetype, relation)
        key, key_text = accessor, f"{ctx.text(accessor)}.value"
        limetype, limetype_text, distinct = how.limetype, f"{app}.{how.limetype}", True
    else:
        raise _NoFix(f"a `{read.kind}` read in a comprehension is not pre-fetched automatically")
    found = effects.of_node(key)
    if found.has_side_effects or found.unknown or found.reads:
        raise _NoFix("computing the key has effects")
    if not _names_in(key) <= targets | _stable_names(ctx, info, statement, targets):
        raise _NoFix("the key is not computed from the comprehension's item alone")
    iterable, materialised = _iterable(ctx, info, generator, statement)
    target = ctx.text(generator.target)
    condition = " and ".join(f"({ctx.text(t)})" for t in generator.ifs)
    suffix = f" if {condition}" if condition else ""
    if distinct:
        keys = f"list({{{key_text} for {target} in {iterable}{suffix}}} - {{None}})"
    elif key_text == target and not suffix:
        keys = f"list({iterable})"
    else:
        keys = f"[{key_text} for {target} in {iterable}{suffix}]"
    indent = lines.indent(statement.lineno)
    source = _prefetch_read(ctx, limetype_text, "id", None, KeySource(keys), info, indent,
                            keys_name=f"{limetype or 'object'}_ids")
    name = fresh_name(info, f"{limetype or 'object'}_by_id")
    fill = [*( [f"{indent}{materialised[0]}"] if materialised else []), *source.fill,
            f"{indent}{name} = {{{source.comprehension('obj.id: obj')}}}"]
    edits = [Edit(lines.start(statement.lineno), lines.start(statement.lineno),
                  with_newline("\n".join(fill) + "\n", lines.newline))]
    if materialised:
        edits.append(materialised[1])
    start, end = ctx.range(read.node)
    lookup = f"{name}.get({key_text})" if read.kind == "fetch" else f"{name}[{key_text}]"
    edits.append(Edit(start, end, lookup))
    edits.extend(source.imports)
    if how is None:
        title = "Pre-fetch only the ids the comprehension needs into a dict before its statement"
    elif how.how == "name":
        title = (f"Pre-fetch the related `{how.limetype}` objects into a dict before the statement "
                 f"(`{how.limetype}` is a guess from the relation's name; if it is wrong, set `relations`)")
    else:
        title = f"Pre-fetch the related `{how.limetype}` objects into a dict before the statement ({how.source})"
    return Fix(title, tuple(edits), Applicability.UNSAFE)


def _stable_names(ctx, info: FunctionInfo, statement: ast.stmt, targets: set[str]) -> set[str]:
    """Names bound only before ``statement`` (or parameters, or module names):
    the same value before the statement as in it."""
    out = set()
    for name in _names_in(statement) - targets:
        bindings = ctx.index.bindings_in(info.node, name)
        if all(getattr(b, "lineno", 0) < statement.lineno for b in bindings):
            out.add(name)
    return out


def _iterable(ctx, info: FunctionInfo, generator: ast.comprehension,
              statement: ast.stmt) -> tuple[str, tuple[str, Edit] | None]:
    """The iterable's text when it can be iterated twice, else a list name and
    ``(the statement reading it into the list, the edit that iterates the list)``."""
    iterable = generator.iter
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return ctx.text(iterable), None
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) and iterable.func.id == "range" \
            and ctx.index.resolve("range", iterable) is None \
            and not ctx.effects.of_node(iterable).has_side_effects and not ctx.effects.of_node(iterable).unknown:
        return ctx.text(iterable), None  # a range gives the same numbers again
    if isinstance(iterable, ast.Name):
        bindings = ctx.index.bindings_in(info.node, iterable.id)
        if len(bindings) == 1:
            binding = bindings[0]
            if isinstance(binding, ast.arg) and binding.annotation is not None and \
                    ast.unparse(binding.annotation).split("[")[0].split(".")[-1] in _REITERABLE_ANNOTATIONS:
                return iterable.id, None
            bound = ctx.index.statement_of(binding)
            value = bound.value if isinstance(bound, ast.Assign) and len(bound.targets) == 1 else None
            if isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.SetComp)) or \
                    isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                    and value.func.id in _REITERABLE_CALLS and ctx.index.resolve(value.func.id, value) is None:
                if bound.lineno < statement.lineno:
                    return iterable.id, None
    name = fresh_name(info, _list_name(iterable))
    return name, (f"{name} = list({ctx.text(iterable)})", Edit(*ctx.range(iterable), name))


def group_fix(ctx, read: LimeRead, loop: Loop) -> Fix | None:
    """The quadratic shape: inside a ``for`` loop, a comprehension over a collection
    loaded before that loop keeps the items related to the loop's item,
    ``sum(d.amount for d in deals if d.properties.company.fetch().id == company.id)``:
    a read per pair.  Fixed by grouping the collection once by the relation's
    id before the loop (``deals_by_company``) and iterating the group; None when
    the shape does not match.

    Preconditions: the read is ``<item>.properties.<relation>.fetch().id == <key>``,
    a whole filter of the comprehension's one ``for`` or an operand of one made
    of ``and``s (the other operands stay); the filters have no effects (they now
    run only on each group's items); ``<key>`` has no effects and
    does not use the comprehension's item; the comprehension iterates a name
    bound before the enclosing loop that the loop neither rebinds nor changes;
    the enclosing loop is a ``for`` whose line holds only it.  Always unsafe: an
    item whose related object is missing made ``.fetch().id`` raise
    ``AttributeError``; grouped, it belongs to no group and is skipped."""
    comp = loop.node
    outer = loop.parent
    if outer is None or not isinstance(outer.node, ast.For) or len(comp.generators) != 1:  # type: ignore[attr-defined]
        return None
    generator: ast.comprehension = comp.generators[0]  # type: ignore[attr-defined]
    index = ctx.index
    compare = index.parent(index.parent(read.node))
    attribute = index.parent(read.node)
    conjunction = index.parent(compare)
    whole = any(test is compare for test in generator.ifs)
    part_of = isinstance(conjunction, ast.BoolOp) and isinstance(conjunction.op, ast.And) \
        and any(test is conjunction for test in generator.ifs)
    if not (isinstance(attribute, ast.Attribute) and attribute.attr == "id" and isinstance(compare, ast.Compare)
            and len(compare.ops) == 1 and isinstance(compare.ops[0], ast.Eq) and (whole or part_of)):
        return None
    key = compare.comparators[0] if compare.left is attribute else compare.left
    accessor = read.node.func.value  # type: ignore[attr-defined]
    relation = relation_of(accessor)
    targets = _names_in(generator.target)
    owner = _accessor_owner(accessor) if relation is not None else None
    if relation is None or not (isinstance(owner, ast.Name) and owner.id in targets) or _names_in(key) & targets:
        return None
    for part in [key, *generator.ifs]:  # the filters now run only on each group's items
        found = ctx.effects.of_node(part)
        if found.has_side_effects or found.unknown or (part is not compare and part is not conjunction
                                                         and found.reads):
            return None
    if not isinstance(generator.iter, ast.Name):
        return None
    collection = generator.iter.id
    info = read.function
    bindings = index.bindings_in(info.node, collection)
    body = ctx.effects.of_block(outer.node.body)  # type: ignore[attr-defined]
    if not bindings or any(getattr(b, "lineno", 0) >= outer.node.lineno for b in bindings) \
            or collection in body.rebinds or collection in body.mutates or collection in body.may_mutate:
        return None
    lines = Lines(ctx)
    if lines.line(outer.node.lineno).strip().split()[0] != "for":
        return None
    indent = lines.indent(outer.node.lineno)
    name = fresh_name(info, f"{collection}_by_{relation}")
    item = ctx.text(generator.target)
    text = (f"{indent}{name} = {{}}\n"
            f"{indent}for {item} in {collection}:\n"
            f"{indent}{lines.unit}{name}.setdefault({ctx.text(accessor)}.value, []).append({item})\n")
    edits = [Edit(lines.start(outer.node.lineno), lines.start(outer.node.lineno), with_newline(text, lines.newline))]
    edits.append(Edit(*ctx.range(generator.iter), f"{name}.get({ctx.text(key)}, [])"))
    if whole:  # drop ` if <compare>`
        position = generator.ifs.index(compare)
        before = generator.ifs[position - 1] if position else generator.iter
        edits.append(Edit(ctx.range(before)[1], ctx.range(compare)[1], ""))
    else:  # drop `<compare>` and its `and` from the filter
        values = conjunction.values  # type: ignore[union-attr]
        position = next(i for i, v in enumerate(values) if v is compare)
        if position:
            edits.append(Edit(ctx.range(values[position - 1])[1], ctx.range(compare)[1], ""))
        else:
            edits.append(Edit(ctx.range(compare)[0], ctx.range(values[1])[0], ""))
    return Fix(f"Group `{collection}` by `{relation}` once before the loop and iterate each group "
               f"(an item without a related object no longer raises `AttributeError`)", tuple(edits),
               Applicability.UNSAFE)
