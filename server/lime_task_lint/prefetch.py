"""LIME203's fixes: move a read that does not depend on its loop above it, or
pre-fetch a read per item into one set or dict before the loop.

Each fix's preconditions are stated once, in :func:`move_preconditions` and
:func:`prefetch_preconditions`, as questions to the module's effects model
(:mod:`effects`) and syntax index (:mod:`semantic`), next to the rule's Fix
safety docs (``rules/lime203_query_in_loop.py``).  A precondition known to be
false withholds the fix (the finding says why); one that cannot be proven
makes it unsafe, and its title names the hazard.

Whether a read depends on its loop is decided here too (:func:`read_dependence`),
so the finding's message and the fix agree: a read depends on the loop when it
uses the loop's variables or any name the loop changes, by rebinding it, by a
store into it (``cursor["offset"] += 2``, ``cfg.page += 1``), by a mutating
method (``ids.pop()``) or by passing it to code whose effects are unknown
(``pager.advance()``).  The Lime application and limetypes are handles, not
state: an unknown call they are passed to is counted as a possible write.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .edits import Applicability, Edit, Fix, with_newline
from .effects import Effects
from .model import FunctionInfo, LimeRead, Loop
from .roundtrips import Lines, _import, _NoFix, assigned_values, fresh_name
from .settings import Settings

#: The default of the ``prefetch-chunk-size`` setting: the most keys one ``InOperator``
#: pre-fetch asks for (longer key lists are read in chunks).
PREFETCH_CHUNK_SIZE = Settings.prefetch_chunk_size
_HANDLE_KINDS = ("app", "limetypes", "limetype", "files", "uow")


def _call_name(call: ast.AST) -> str:
    func = call.func if isinstance(call, ast.Call) else call
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


# -- dependence ---------------------------------------------------------------------
@dataclass
class Dependence:
    depends: bool
    #: Names of the read that the loop changes (empty: it uses the loop's variables, or nothing).
    changed: tuple[str, ...] = ()


def read_dependence(ctx, read: LimeRead) -> Dependence:
    """Whether ``read`` gives another result on each pass of its innermost loop."""
    if any(lp.depends_on(read.node) for lp in read.loops):
        return Dependence(True)
    loop = read.loop
    if loop is None or not isinstance(loop.node, (ast.For, ast.AsyncFor, ast.While)):
        return Dependence(False)
    body = ctx.effects.of_block(loop.node.body)
    names = _names_in(read.node)
    handles = {n for n in names if (role := read.function.names.get(n)) is not None and role.kind in _HANDLE_KINDS}
    changed = body.changes(names) | (body.may_change(names) - handles) | (set(body.consumes) & names)
    return Dependence(bool(changed), tuple(sorted(changed)))


# -- entry point --------------------------------------------------------------------
def hoisting_fix(ctx, read: LimeRead) -> Fix | str:
    """The LIME203 fix for ``read``, or why there is none."""
    try:
        return _hoisting_fix(ctx, read)
    except _NoFix as reason:
        return str(reason)


def _hoisting_fix(ctx, read: LimeRead) -> Fix:
    loop = read.loop
    if loop is None:
        raise _NoFix("the read is not in a loop")
    if loop.is_comprehension:
        from .comprehension_prefetch import comprehension_fix

        if not read_dependence(ctx, read).depends:
            raise _NoFix("the read does not depend on the comprehension's item; move it before the statement")
        return comprehension_fix(ctx, read, loop)
    if not isinstance(loop.node, ast.For):
        raise _NoFix("only reads in a `for` loop are hoisted automatically")
    if read.kind not in ("get", "get_all", "fetch"):
        raise _NoFix(f"a `{read.kind}` read is not hoisted automatically")
    lines = Lines(ctx)
    if lines.line(loop.node.lineno).strip().split()[0] != "for":
        raise _NoFix("the loop does not start its line")
    stmt = ctx.index.statement_of(read.node)
    if stmt is None:
        raise _NoFix("the read's statement was not found")
    dependence = read_dependence(ctx, read)
    if not dependence.depends:
        return _move_fix(ctx, read, loop, stmt, lines)
    if dependence.changed:
        raise _NoFix(f"the read uses {_listing(dependence.changed)}, which the loop changes")
    if read.kind == "fetch":
        return relation_fix(ctx, read, loop, stmt, lines)
    if read.kind == "get":
        return _dict_fix(ctx, read, loop, stmt, lines)
    return _set_fix(ctx, read, loop, stmt, lines)


def _listing(names) -> str:
    return ", ".join(f"`{n}`" for n in names)


# -- move ---------------------------------------------------------------------------
def move_preconditions(ctx, read: LimeRead, loop: Loop, stmt: ast.stmt) -> tuple[list[str], list[str]]:
    """``(false, unknown)`` preconditions of moving ``stmt`` (``name = <read>``)
    above ``loop``; see the rule's Fix safety.

    Must hold: the statement stands directly in the loop body and binds a name
    assigned nowhere else; the read's arguments have no effects; nothing in the
    loop writes (a read above the loop would not see the writes).  Unknown: a
    call in the loop whose code is not visible (it may write); a read that may
    fail (``get``: a missing id) and would now run before a loop that may have
    no items or skip it on some passes."""
    false: list[str] = []
    unknown: list[str] = []
    node = loop.node
    if not (isinstance(stmt, ast.Assign) and stmt.value is read.node and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        false.append("only `name = <read>` statements are moved above the loop")
        return false, unknown
    if not any(s is stmt for s in node.body):  # type: ignore[attr-defined]
        false.append("the read is nested in a statement of the loop")
    name = stmt.targets[0].id
    if len(assigned_values(read.function).get(name, [])) != 1 or len(ctx.index.bindings_in(read.function.node, name)) != 1:
        false.append(f"`{name}` is assigned more than once")
    effects = ctx.effects
    arguments = effects.of_block([*read.node.args, *(k.value for k in read.node.keywords)])
    if arguments.has_side_effects:
        false.append("the read's arguments have effects of their own")
    body = effects.of_block(node.body)  # type: ignore[attr-defined]
    if body.writes:
        false.append(f"the loop writes ({_writes(body)}): the read must see those writes")
    elif body.may_write:
        unknown.append(f"the loop calls {_listing(sorted(body.unknown)[:2])}, which may write what the read returns")
    if read.kind == "get":
        if effects.conditions_between(stmt, node):
            unknown.append("the read would run even on passes that skipped it (a missing id raises)")
        else:
            unknown.append("the read would run even when the loop has no items (a missing id raises)")
    return false, unknown


def _writes(effects: Effects) -> str:
    if effects.writers:
        return ", ".join(f"`{w}`" for w in sorted(effects.writers)[:2])
    return "a unit of work"


def _move_fix(ctx, read: LimeRead, loop: Loop, stmt: ast.stmt, lines: Lines) -> Fix:
    false, unknown = move_preconditions(ctx, read, loop, stmt)
    if false:
        raise _NoFix(false[0])
    if not lines.owns_lines(stmt):
        raise _NoFix("the read shares its line")
    node = loop.node
    indent = lines.indent(node.lineno)
    first = stmt.lineno
    last = stmt.end_lineno or stmt.lineno
    moved = "\n".join(indent + lines.line(n)[len(lines.indent(first)):] if n == first else lines.line(n)
                      for n in range(first, last + 1))
    edits = (
        Edit(lines.start(node.lineno), lines.start(node.lineno), with_newline(moved + "\n", lines.newline)),
        Edit(lines.start(first), lines.start(last + 1), ""),
    )
    if unknown:
        return Fix(f"Move the read above the loop; {unknown[0]}", edits, Applicability.UNSAFE)
    return Fix("Move the read above the loop", edits, Applicability.SAFE)


# -- pre-fetch ------------------------------------------------------------------------
@dataclass
class KeySource:
    """How the pre-fetch finds its keys: ``keys`` (source of a list of the keys
    the loop will ask for, evaluated before the loop) or None (every key: a
    whole-table scan), and why the keys could not be known."""

    keys: str | None
    why_not: str = ""
    #: ``(name, statement, edit)`` when the loop's iterable is first read into a list
    #: (an iterator cannot be iterated twice): the statement goes before the
    #: pre-fetch, the edit makes the loop iterate the list.
    materialised: tuple[str, str, Edit] | None = None


def prefetch_preconditions(ctx, read: LimeRead, loop: Loop, key: ast.expr, *, key_text: str | None = None,
                           distinct: bool = False, key_cannot_raise: bool = False) -> tuple[list[str], KeySource]:
    """``(false, keys)`` for pre-fetching ``read`` (keyed by ``key``) before ``loop``.

    Must hold: the key is computed from the loop's item only, by code without
    effects, and unchanged between its computation and the read.  The keys are
    known before the loop (so only they are read, in chunks of
    ``prefetch-chunk-size``) when the loop iterates a collection that can be
    iterated twice (a list, tuple or set bound once, or a parameter annotated as
    one) and the read's guards (``if ...: continue`` before it, an ``if`` around
    it) are expressions of the item without effects: the keys are then computed
    over exactly the items that reach the read.  Otherwise the pre-fetch reads
    the whole limetype, and says so.

    ``key_text`` is the key's source when it is not ``key``'s own text (a
    relation's ``.value``); ``distinct`` makes the key list hold each key once,
    without ``None`` (no related object: nothing to read);
    ``key_cannot_raise`` says computing the key for items the loop would not
    reach is harmless."""
    false: list[str] = []
    effects = ctx.effects
    node: ast.For = loop.node  # type: ignore[assignment]
    targets = _names_in(node.target)
    if not _names_in(key) <= targets | _constant_names(ctx, loop):
        false.append("the key is not computed from the loop's item alone")
    if effects.of_node(key).has_side_effects or effects.of_node(key).calls and _has_unknown_call(effects, key):
        false.append("computing the key has effects")
    body = effects.of_block(node.body)
    if body.changes(targets) or body.may_change(targets):
        false.append("the loop changes its item before the read")
    if false:
        return false, KeySource(None)
    guards, why = _guards(ctx, read, loop, targets)
    if guards is None:
        return false, KeySource(None, why)
    if any(effects.may_stop(s) for s in node.body) and not (key_cannot_raise or _cannot_raise(key)):
        return false, KeySource(None, "the loop may stop early, and the keys of the items after it may not exist")
    iterable = _reiterable(ctx, loop)
    materialised = None
    if iterable is None:
        # An iterator: read it into a list first, unless its items' making could see
        # the loop's writes (a paging generator) or the loop changes what it reads.
        if body.may_write:
            return false, KeySource(None, f"`{ctx.text(node.iter)}` may not be iterable twice, and the loop writes")
        info: FunctionInfo = loop.function
        iterable = fresh_name(info, _list_name(node.iter))
        statement = f"{iterable} = list({ctx.text(node.iter)})"
        materialised = (iterable, statement, Edit(*ctx.range(node.iter), iterable))
    condition = " and ".join(guards)
    suffix = f" if {condition}" if condition else ""
    target = ctx.text(node.target)
    key_text = key_text or ctx.text(key)
    if distinct:
        keys = f"list({{{key_text} for {target} in {iterable}{suffix}}} - {{None}})"
    elif key_text == target and not suffix:
        keys = f"list({iterable})"
    else:
        keys = f"[{key_text} for {target} in {iterable}{suffix}]"
    return false, KeySource(keys, materialised=materialised)


def _list_name(iterable: ast.AST) -> str:
    """A name for the list an iterable is read into: ``deals`` for
    ``<...>.deal.get_all(...)``, else ``<name>_list``."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) \
            and iterable.func.attr == "get_all" and isinstance(iterable.func.value, ast.Attribute):
        return f"{iterable.func.value.attr}_objects"
    return f"{_base_name(iterable)}_list"


def _base_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value if not isinstance(node, ast.Attribute) else node
        if isinstance(node, ast.Attribute):
            return node.attr
    return node.id if isinstance(node, ast.Name) else "items"


def _constant_names(ctx, loop: Loop) -> set[str]:
    """Names the loop never changes that hold the same value before it (module
    constants, parameters): allowed in a key."""
    body = ctx.effects.of_block(loop.node.body)  # type: ignore[attr-defined]
    return {n for n in _names_in(loop.node) if n not in body.rebinds and n not in body.mutates
            and n not in body.may_mutate}


def _has_unknown_call(effects, node: ast.AST) -> bool:
    return bool(effects.of_node(node).unknown)


def _cannot_raise(key: ast.expr) -> bool:
    return isinstance(key, (ast.Name, ast.Constant))


def _guards(ctx, read: LimeRead, loop: Loop, targets: set[str]) -> tuple[list[str] | None, str]:
    """The conditions under which a pass reaches the read, as expressions to
    filter the keys with, or None and why they cannot be used."""
    effects, index = ctx.effects, ctx.index
    node = loop.node
    conditions = effects.conditions_between(read.node, node)
    out: list[str] = []
    for condition in conditions:
        if isinstance(condition, ast.If):
            inside_body = any(index.contains(s, read.node) for s in condition.body)
            test = condition.test
            if not _pure_item_expression(ctx, test, targets, loop):
                return None, "the read's guard depends on more than the item"
            text = ctx.text(test)
            out.append(f"({text})" if inside_body else _negated(ctx, test))
        elif isinstance(condition, ast.stmt) and _is_skip(condition):
            test = condition.test  # type: ignore[attr-defined]
            if not _pure_item_expression(ctx, test, targets, loop):
                return None, "the read's guard depends on more than the item"
            out.append(_negated(ctx, test))
        else:
            return None, "the read runs only sometimes in a way the keys cannot follow"
    return out, ""


def _negated(ctx, test: ast.expr) -> str:
    """``not (<test>)``, or the operand of a test that is already ``not <x>``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return f"({ctx.text(test.operand)})"
    return f"not ({ctx.text(test)})"


def _is_skip(stmt: ast.stmt) -> bool:
    """``if <test>: continue`` (the pass skips the rest)."""
    return isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 \
        and isinstance(stmt.body[0], ast.Continue)


def _pure_item_expression(ctx, expr: ast.expr, targets: set[str], loop: Loop) -> bool:
    found = ctx.effects.of_node(expr)
    if found.has_side_effects or found.unknown or found.reads:
        return False
    return _names_in(expr) <= targets | _constant_names(ctx, loop)


def _reiterable(ctx, loop: Loop) -> str | None:
    """The loop's iterable as text, when iterating it twice gives the same items."""
    node = loop.node
    iterable = node.iter  # type: ignore[attr-defined]
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return ctx.text(iterable)
    if not isinstance(iterable, ast.Name):
        return None
    name = iterable.id
    info: FunctionInfo = loop.function
    bindings = ctx.index.bindings_in(info.node, name)
    if len(bindings) != 1:
        return None
    binding = bindings[0]
    if isinstance(binding, ast.arg):
        annotation = ast.unparse(binding.annotation) if binding.annotation is not None else ""
        base = annotation.split("[")[0].split(".")[-1]
        return name if base in ("list", "List", "tuple", "Tuple", "set", "Set", "Sequence", "frozenset",
                                "FrozenSet", "dict", "Dict", "Mapping") else None
    stmt = ctx.index.statement_of(binding)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.targets[0] is binding:
        value = stmt.value
        if isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.SetComp, ast.Dict, ast.DictComp)) \
                or isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id in ("list", "sorted", "tuple", "set") and ctx.index.resolve(value.func.id, value) is None:
            body = ctx.effects.of_block(node.body)  # type: ignore[attr-defined]
            if name in body.mutates or name in body.may_mutate or name in body.rebinds:
                return None
            return name
    return None


@dataclass
class PrefetchRead:
    """The code of a pre-fetch: ``fill`` lines before it (the key list), the
    expression that reads the objects, the chunked key list it slices
    (``(keys name, chunk variable)``, None for a whole-table read), and imports."""

    fill: list[str]
    objects: str
    chunk: tuple[str, str] | None
    imports: list[Edit]
    size: int = PREFETCH_CHUNK_SIZE

    def comprehension(self, item: str) -> str:
        """``<item> for obj in <objects>``, over each chunk of the keys when known."""
        if self.chunk is None:
            return f"{item} for obj in {self.objects}"
        keys_name, start = self.chunk
        return f"{item} for {start} in range(0, len({keys_name}), {self.size}) for obj in {self.objects}"


def _chunk_size(ctx) -> int:
    return getattr(ctx.settings, "prefetch_chunk_size", PREFETCH_CHUNK_SIZE)


def _prefetch_read(ctx, limetype_text: str, field_name: str, equals: ast.AST | None, keys: KeySource,
                   info: FunctionInfo, indent: str, keys_name: str | None = None,
                   conjunction: EqualsFilter | None = None) -> PrefetchRead:
    """The pre-fetch's code.  With an ``AndOperator`` (``conjunction``), its other
    conditions filter the pre-fetch too, so only objects the loop's reads could
    have found are read."""
    size = _chunk_size(ctx)
    others = conjunction.others if conjunction is not None and conjunction.conjunction is not None else ()
    if others:
        and_text = ctx.text(conjunction.conjunction.func)  # type: ignore[union-attr]
        rest = ", ".join(ctx.text(o) for o in others)
    if keys.keys is None:
        if others:  # the fixed conditions alone, wrapped as the original wrapped them
            whole = f"{and_text}({rest})" if len(others) > 1 else rest
            wrapper = conjunction.wrapper  # type: ignore[union-attr]
            if wrapper is not None:
                whole = f"{ctx.text(wrapper.func)}({whole})"
            return PrefetchRead([], f"{limetype_text}.get_all(filter={whole})", None, [])
        return PrefetchRead([], f"{limetype_text}.get_all()", None, [])
    imports: list[Edit] = []
    if isinstance(equals, ast.Call) and _call_name(equals) == "EqualsOperator" and isinstance(equals.func, ast.Attribute):
        prefix = ctx.text(equals.func.value) + "."
    else:
        prefix = _lime_filter_prefix(ctx, imports)
    if not prefix:
        known = ctx.model.imports
        module = (known.get("EqualsOperator") or "lime_filter.EqualsOperator").rsplit(".", 1)[0]
        for name in ("InOperator", "Filter"):
            if name not in known:
                extra = _import(ctx, module, name)
                if extra is not None:
                    imports.append(extra)
    keys_name = fresh_name(info, keys_name or (f"{field_name}_keys" if field_name != "id" else "ids"))
    start = fresh_name(info, "start", {keys_name})
    in_operator = f"{prefix}InOperator(\"{field_name}\", {keys_name}[{start}:{start} + {size}])"
    if others:
        in_operator = f"{and_text}({in_operator}, {rest})"
    objects = f"{limetype_text}.get_all(filter={prefix}Filter({in_operator}))"
    fill = [f"{indent}{keys_name} = {keys.keys}"]
    if keys.materialised is not None:
        _, statement, loop_edit = keys.materialised
        fill.insert(0, f"{indent}{statement}")
        imports.append(loop_edit)
    return PrefetchRead(fill, objects, (keys_name, start), imports, size)


def _lime_filter_prefix(ctx, edits: list[Edit]) -> str:
    imports = ctx.model.imports
    if "InOperator" in imports or "EqualsOperator" in imports and "Filter" in imports:
        return ""
    for local, qualified in imports.items():
        if qualified == "lime_filter":
            return f"{local}."
    extra = _import(ctx, "lime_filter")
    if extra is not None:
        edits.append(extra)
    return "lime_filter."


def _dict_fix(ctx, read: LimeRead, loop: Loop, stmt: ast.stmt, lines: Lines) -> Fix:
    if len(read.node.args) != 1 or read.node.keywords:
        raise _NoFix("`.get(...)` has other arguments than the id")
    if any(isinstance(a, (ast.Try, ast.ExceptHandler)) for a in ctx.index.ancestors(read.node)
           if ctx.index.contains(loop.node, a)):
        raise _NoFix("the read is inside a `try`: a missing id would raise another error after the fix")
    key = read.node.args[0]
    false, keys = prefetch_preconditions(ctx, read, loop, key)
    if false:
        raise _NoFix(false[0])
    info = read.function
    node = loop.node
    indent = lines.indent(node.lineno)
    limetype_text = _limetype_before(ctx, read, loop)
    source = _prefetch_read(ctx, limetype_text, "id", None, keys, info, indent)
    how = "only the ids the loop needs" if keys.keys else f"every `{read.limetype or 'object'}` ({keys.why_not})"
    one = _one_value_used(ctx, read, stmt, info, loop)
    edits: list[Edit] = []
    if one is not None:
        target, chain, uses = one
        label = chain[1] if chain[0] == "properties" else chain[0]
        name = fresh_name(info, f"{read.limetype or 'object'}_{label}_by_id")
        local = fresh_name(info, f"{target.id}_{label}", {name})
        value = "obj." + ".".join(chain)
        prefetch = f"{indent}{name} = {{{source.comprehension(f'obj.id: {value}')}}}"
        start, end = ctx.range(target)
        edits.append(Edit(start, end, local))
        for use in uses:
            start, end = ctx.range(use)
            edits.append(Edit(start, end, local))
        title = f"Pre-fetch {how} into a dict of `{'.'.join(chain)}` before the loop"
    else:
        name = fresh_name(info, f"{read.limetype or 'object'}_by_id")
        prefetch = f"{indent}{name} = {{{source.comprehension('obj.id: obj')}}}"
        title = f"Pre-fetch {how} into a dict before the loop"
    text = "\n".join([*source.fill, prefetch]) + "\n"
    edits.append(Edit(lines.start(node.lineno), lines.start(node.lineno), with_newline(text, lines.newline)))
    start, end = ctx.range(read.node)
    edits.append(Edit(start, end, f"{name}[{ctx.text(key)}]"))
    edits.extend(source.imports)
    return Fix(title, tuple(edits), Applicability.UNSAFE)


def _set_fix(ctx, read: LimeRead, loop: Loop, stmt: ast.stmt, lines: Lines) -> Fix:
    found = _filter_equals(ctx, read, loop)
    if found is None:
        raise _NoFix("only `get_all(filter=Filter(EqualsOperator(field, key)))` (alone or in an "
                     "`AndOperator` whose other conditions do not change with the loop) is hoisted automatically")
    equals, field_name, key = found.equals, found.field, found.key
    tests = _existence_tests(ctx, read, stmt, loop)
    if tests is None:
        raise _NoFix("the result is used for more than an existence test (`.count`); "
                     "pre-fetch a dict of the objects instead")
    false, keys = prefetch_preconditions(ctx, read, loop, key)
    if false:
        raise _NoFix(false[0])
    info = read.function
    node = loop.node
    body = ctx.effects.of_block(node.body)  # type: ignore[attr-defined]
    if body.unknown:
        raise _NoFix(f"the loop calls {_listing(sorted(body.unknown)[:2])}, which may create "
                     f"`{read.limetype or 'object'}` objects the pre-fetched set would not know")
    key_text = ctx.text(key)
    if _names_in(key) & _assigned_after(ctx, node, stmt):
        raise _NoFix("the key changes between the read and its test")
    indent = lines.indent(node.lineno)
    limetype_text = _limetype_before(ctx, read, loop)
    name = fresh_name(info, f"known_{field_name}s")
    source = _prefetch_read(ctx, limetype_text, field_name, equals, keys, info, indent, conjunction=found)
    prefetch = f"{indent}{name} = {{{source.comprehension(f'obj.properties.{field_name}.value')}}}"
    text = "\n".join([*source.fill, prefetch]) + "\n"
    edits = [Edit(lines.start(node.lineno), lines.start(node.lineno), with_newline(text, lines.newline))]
    for test_node, positive in tests:
        start, end = ctx.range(test_node)
        op = "in" if positive else "not in"
        edits.append(Edit(start, end, f"{key_text} {op} {name}"))
    if isinstance(stmt, ast.Assign) and (stmt.value is read.node or _listed(ctx, stmt, read.node)):
        if not lines.owns_lines(stmt):
            raise _NoFix("the read shares its line")
        edits.append(Edit(lines.start(stmt.lineno), lines.start((stmt.end_lineno or stmt.lineno) + 1), ""))
    # Objects the loop creates with that key exist from then on: directly or in a helper.
    for created in _creating_statements(ctx, read, loop):
        at = (created.end_lineno or created.lineno) + 1
        add_line = f"{lines.indent(created.lineno)}{name}.add({key_text})\n"
        edits.append(Edit(lines.start(at), lines.start(at), with_newline(add_line, lines.newline)))
    edits.extend(source.imports)
    how = "the keys the loop needs" if keys.keys else f"every `{read.limetype or 'object'}` key ({keys.why_not})"
    return Fix(f"Pre-fetch {how} into a set before the loop", tuple(edits), Applicability.UNSAFE)


def _limetype_before(ctx, read: LimeRead, loop: Loop) -> str:
    """The read's limetype as code that means the same before the loop: its own
    text, unless the loop binds a name in it (``lt = app.limetypes.get_limetype("x")``
    inside the loop), then ``<app>.limetypes.<limetype>``."""
    own = read.node.func.value  # type: ignore[attr-defined]
    bound_in_loop = {n for n in _names_in(own) if any(ctx.index.contains(loop.node, b)
                                                     for b in ctx.index.bindings_in(read.function.node, n))}
    if not bound_in_loop:
        return ctx.text(own)
    app = _application_text(ctx, read.function, loop)
    if app is None or not read.limetype:
        raise _NoFix(f"the loop binds {_listing(sorted(bound_in_loop))}, the limetype the read uses")
    return f"{app}.{read.limetype}"


def _assigned_after(ctx, loop_node: ast.AST, stmt: ast.stmt) -> set[str]:
    out: set[str] = set()
    for item in loop_node.body:  # type: ignore[attr-defined]
        if item.lineno > (stmt.end_lineno or stmt.lineno):
            out |= set(ctx.effects.of_node(item).rebinds)
    return out


def _creating_statements(ctx, read: LimeRead, loop: Loop) -> list[ast.stmt]:
    """The loop's innermost statements that create an object of the read's
    limetype (a constructor call, or a helper that makes one)."""
    effects, index = ctx.effects, ctx.index
    out: list[ast.stmt] = []
    for node in index.own_nodes(read.function.node):
        if not isinstance(node, ast.Call) or node is read.node or not index.contains(loop.node, node):
            continue
        created = effects.of_call(node).creates
        if read.limetype in created or None in created:
            stmt = index.statement_of(node)
            if stmt is not None and stmt not in out:
                out.append(stmt)
    return out


@dataclass
class EqualsFilter:
    """``get_all(filter=Filter(EqualsOperator(field, key)))``, or the same with
    ``AndOperator(EqualsOperator(field, key), <conditions>)`` whose other
    conditions do not change with the loop."""

    equals: ast.Call
    field: str
    key: ast.expr
    #: The ``AndOperator`` call and its other operands, when there is one.
    conjunction: ast.Call | None = None
    others: tuple = ()
    #: The ``Filter(...)`` call around the operator, when there is one.
    wrapper: ast.Call | None = None


def _operator_name(ctx, call: ast.AST) -> str:
    """The ``lime_filter`` name a call makes, through import aliases
    (``from lime_filter import EqualsOperator as Eq``: ``Eq(...)`` is ``EqualsOperator``)."""
    if not isinstance(call, ast.Call):
        return ""
    if isinstance(call.func, ast.Name):
        qualified = ctx.model.imports.get(call.func.id, "")
        if qualified.startswith("lime_filter."):
            return qualified.rsplit(".", 1)[1]
        return call.func.id
    return _call_name(call)


def _filter_equals(ctx, read: LimeRead, loop: Loop) -> EqualsFilter | None:
    call = read.node
    if call.args:
        flt = call.args[0] if len(call.args) == 1 else None
    else:
        flt = next((k.value for k in call.keywords if k.arg == "filter"), None)
    if flt is None or any(k.arg not in ("filter",) for k in call.keywords) or len(call.args) > 1:
        return None
    wrapper = None
    if isinstance(flt, ast.Call) and _operator_name(ctx, flt) == "Filter" and len(flt.args) == 1 and not flt.keywords:
        wrapper, flt = flt, flt.args[0]
    conjunction, others = None, ()
    if isinstance(flt, ast.Call) and _operator_name(ctx, flt) == "AndOperator" and not flt.keywords:
        operands = list(flt.args)
        varying = [o for o in operands if any(lp.depends_on(o) for lp in read.loops)]
        if len(varying) != 1 or any(ctx.effects.of_node(o).has_side_effects or ctx.effects.of_node(o).reads
                                    for o in operands):
            return None
        conjunction, flt = flt, varying[0]
        others = tuple(o for o in operands if o is not flt)
    if not (isinstance(flt, ast.Call) and _operator_name(ctx, flt) == "EqualsOperator"):
        return None
    args = list(flt.args) + [k.value for k in flt.keywords]
    if len(args) != 2:
        return None
    field_node, key = args
    if flt.keywords:
        mapping = {k.arg: k.value for k in flt.keywords}
        field_node = flt.args[0] if flt.args else mapping.get("field")
        key = flt.args[1] if len(flt.args) > 1 else mapping.get("value")
    if not (isinstance(field_node, ast.Constant) and isinstance(field_node.value, str)
            and field_node.value.isidentifier()):
        return None
    if key is None:
        return None
    return EqualsFilter(flt, field_node.value, key, conjunction, others, wrapper)


def _existence_tests(ctx, read: LimeRead, stmt: ast.stmt, loop: Loop) -> list[tuple[ast.expr, bool]] | None:
    """The expressions that test the read's result for existence, with their
    polarity (True: "exists"), or None when the result is used otherwise."""
    index = ctx.index
    node = read.node
    info = read.function
    listed = _listed(ctx, stmt, node)
    if (stmt_value_is_read := isinstance(stmt, ast.Assign) and stmt.value is node) or listed:
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):  # type: ignore[attr-defined]
            return None
        name = stmt.targets[0].id  # type: ignore[attr-defined]
        scope = index.scope(info.node)
        if scope is None or len(scope.bindings.get(name, [])) != 1:
            return None
        uses = [n for n in index.own_nodes(info.node) if isinstance(n, ast.Name) and n.id == name
                and isinstance(n.ctx, ast.Load)]
        if not uses or not all(index.contains(loop.node, u) for u in uses):
            return None
        out = []
        for use in uses:
            attribute = index.parent(use)
            if listed:  # `found = list(<read>)`: `if found`, `not found`, `len(found) == 0`
                if isinstance(attribute, ast.Call) and isinstance(attribute.func, ast.Name) \
                        and attribute.func.id == "len" and attribute.args == [use]:
                    test = _polarity(ctx, attribute)
                else:
                    test = _polarity(ctx, use)
                if test is None:
                    return None
                out.append(test)
                continue
            if not stmt_value_is_read or not (isinstance(attribute, ast.Attribute) and attribute.attr == "count"):
                return None
            test = _polarity(ctx, attribute)
            if test is None:
                return None
            out.append(test)
        return out
    attribute = index.parent(node)
    if isinstance(attribute, ast.Attribute) and attribute.attr == "count":
        test = _polarity(ctx, attribute)
        return [test] if test is not None else None
    return None


def _tested(ctx, node: ast.expr) -> bool:
    """``node`` is used only for its truth: an ``if``/``while``/conditional
    expression's test, under ``not``, or in such a ``BoolOp``."""
    parent = ctx.index.parent(node)
    if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is node:
        return True
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return True
    return isinstance(parent, ast.BoolOp) and _tested(ctx, parent)


def _listed(ctx, stmt: ast.stmt, read: ast.Call) -> bool:
    """``name = list(<read>)`` (the builtin ``list``)."""
    value = stmt.value if isinstance(stmt, ast.Assign) else None
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list" \
        and value.args == [read] and not value.keywords and ctx.index.resolve("list", value) is None


def _polarity(ctx, count: ast.expr) -> tuple[ast.expr, bool] | None:
    """How ``count`` (a result's ``.count``, ``len(<list of the result>)`` or that
    list itself) is tested: ``(the test's node, True for "exists")``, or None
    when it is used as a number or a value."""
    parent = ctx.index.parent(count)
    if isinstance(parent, ast.Compare) and len(parent.ops) == 1 and parent.left is count \
            and isinstance(parent.comparators[0], ast.Constant) and parent.comparators[0].value in (0, 1):
        op, value = parent.ops[0], parent.comparators[0].value
        if value == 0 and isinstance(op, (ast.Gt, ast.NotEq)) or value == 1 and isinstance(op, ast.GtE):
            return parent, True
        if value == 0 and isinstance(op, ast.Eq) or value == 1 and isinstance(op, ast.Lt):
            return parent, False
        return None
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not):
        return parent, False
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "bool" \
            and parent.args == [count] and not parent.keywords and ctx.index.resolve("bool", parent) is None:
        return parent, True
    if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is count:
        return count, True
    if isinstance(parent, ast.BoolOp) and _tested(ctx, parent):
        return count, True  # `a and found`: its truth, not its value, is used
    return None


def _one_value_used(ctx, read: LimeRead, stmt: ast.stmt, info: FunctionInfo,
                    loop: Loop) -> tuple[ast.Name, tuple[str, ...], list[ast.Attribute]] | None:
    """For ``obj = LT.get(key)`` whose object is only ever read for one value,
    ``obj.properties.<field>.value`` or ``obj.<attribute>`` (the same one every
    time, in the loop, never written, never called, never passed on):
    (the target, the attribute chain, the uses).  None otherwise."""
    index = ctx.index
    if not (isinstance(stmt, ast.Assign) and stmt.value is read.node and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)):
        return None
    target = stmt.targets[0]
    scope = index.scope(info.node)
    if scope is None or scope.bindings.get(target.id, []) != [target] or target.id in scope.declared_global \
            or target.id in scope.declared_nonlocal:
        return None  # bound elsewhere too (for/with/import/def/param...): not only this read
    names = [n for n in index.own_nodes(info.node) if isinstance(n, ast.Name) and n.id == target.id
             and n is not target]
    nested = [u for s in index.scopes if s is not scope and index.contains(info.node, s.node)
              and s.kind != "comprehension" for u in s.uses.get(target.id, ())]
    if not names or nested:
        return None  # a closure sees the variable later, not the value now
    chain: tuple[str, ...] | None = None
    uses: list[ast.Attribute] = []
    for name in names:
        if not isinstance(name.ctx, ast.Load) or not index.contains(loop.node, name):
            return None
        first = index.parent(name)
        if not (isinstance(first, ast.Attribute) and first.value is name):
            return None  # the object itself is used: passed, returned, compared, stored...
        if first.attr == "properties":
            second = index.parent(first)
            third = index.parent(second) if second is not None else None
            if not (isinstance(second, ast.Attribute) and second.value is first and isinstance(third, ast.Attribute)
                    and third.value is second and third.attr == "value"):
                return None
            top, this = third, ("properties", second.attr, "value")
        else:
            top, this = first, (first.attr,)
        if not isinstance(top.ctx, ast.Load):
            return None  # written or deleted
        above = index.parent(top)
        if isinstance(above, ast.Call) and above.func is top:
            return None  # a method of the object
        if chain is None:
            chain = this
        elif chain != this:
            return None  # more than one value: keep the objects
        uses.append(top)
    if chain is None or not all(part.isidentifier() for part in chain):
        return None
    return target, chain, uses


# -- relation .fetch() ------------------------------------------------------------------
@dataclass
class RelatedLimetype:
    """Which limetype a relation points to, and how that was learnt: ``"setting"``
    (the ``relations`` table), ``"evidence"`` (the workspace uses the relation's
    value as an id of that limetype) or ``"name"`` (a guess: the relation's own
    name); ``source`` says where, for the fix's title."""

    limetype: str
    how: str
    source: str


def related_limetype(ctx, owner: str | None, relation: str) -> RelatedLimetype:
    """The limetype ``<owner>.<relation>`` points to: from the ``relations``
    setting, else from evidence in this module and the workspace (the relation's
    ``.value`` passed to ``<limetype>.get(...)``, or an object of a known limetype
    attached to it), else the relation's name (Lime's naming convention, a guess)."""
    configured = ctx.settings.related_limetype(owner, relation) if hasattr(ctx.settings, "related_limetype") else None
    if configured is not None:
        return RelatedLimetype(configured[0], "setting", configured[1])
    found = _relation_evidence(ctx.model, owner, relation)
    if found is not None:
        return RelatedLimetype(found[0], "evidence", f"line {found[1]}")
    elsewhere = _workspace_evidence(ctx, owner, relation)
    if elsewhere is not None:
        return elsewhere
    return RelatedLimetype(relation, "name", "the relation's name")


def _relation_evidence(model, owner: str | None, relation: str) -> tuple[str, int] | None:
    """``(limetype, line)`` where the module shows what ``relation`` points to."""
    for info in model.functions.values():
        for read in info.reads:
            if read.kind == "get" and read.limetype and len(read.node.args) == 1:
                accessor = _value_of_relation(read.node.args[0])
                if accessor is not None and _relation_matches(info, accessor, owner, relation):
                    return read.limetype, read.node.lineno
        for node in ast.walk(info.node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "attach" \
                    and len(node.args) == 1 and isinstance(node.args[0], ast.Name) \
                    and _relation_matches(info, node.func.value, owner, relation):
                role = info.names.get(node.args[0].id)
                if role is not None and role.kind == "object" and role.limetype:
                    return role.limetype, node.lineno
    return None


def _value_of_relation(node: ast.AST) -> ast.AST | None:
    """The accessor of ``<x>.properties.<rel>.value`` / ``.original_value``."""
    if isinstance(node, ast.Attribute) and node.attr in ("value", "original_value"):
        return node.value
    return None


def _relation_matches(info: FunctionInfo, accessor: ast.AST, owner: str | None, relation: str) -> bool:
    if relation_of(accessor) != relation:
        return False
    base = _accessor_owner(accessor)
    role = info.names.get(base.id) if isinstance(base, ast.Name) else None
    other = role.limetype if role is not None and role.kind == "object" else None
    return owner is None or other is None or other == owner


def relation_of(accessor: ast.AST) -> str | None:
    """``rel`` for ``<x>.properties.rel`` or ``<x>.get_property("rel")``."""
    if isinstance(accessor, ast.Attribute) and isinstance(accessor.value, ast.Attribute) \
            and accessor.value.attr == "properties":
        return accessor.attr
    if isinstance(accessor, ast.Call) and isinstance(accessor.func, ast.Attribute) \
            and accessor.func.attr == "get_property" and len(accessor.args) == 1 and not accessor.keywords \
            and isinstance(accessor.args[0], ast.Constant) and isinstance(accessor.args[0].value, str):
        return accessor.args[0].value
    return None


def _accessor_owner(accessor: ast.AST) -> ast.AST:
    """``x`` of ``x.properties.rel`` / ``x.get_property("rel")``."""
    if isinstance(accessor, ast.Attribute):
        return accessor.value.value  # type: ignore[attr-defined]
    return accessor.func.value  # type: ignore[attr-defined]


#: Workspace files read for a relation's evidence (only those that mention it).
MAX_EVIDENCE_FILES = 40


def _workspace_evidence(ctx, owner: str | None, relation: str) -> RelatedLimetype | None:
    path = getattr(ctx.document, "path", None)
    if ctx.workspace is None or not path:
        return None
    from . import dependencies
    from .modules import index_for

    try:
        index = index_for(ctx.workspace, path)
    except Exception:  # no index: no evidence, the name stays a guess
        return None
    # Every workspace file that mentions the relation may hold the evidence: for the
    # result cache the answer is noted (asked again on reuse), not the files searched.
    with dependencies.answering():
        found = workspace_relation_evidence(index, str(path), owner, relation)
    dependencies.note_answer(("relation evidence", str(path), owner, relation), list(found) if found else None)
    return RelatedLimetype(*found) if found else None


def workspace_relation_evidence(index, path: str, owner: str | None, relation: str) -> tuple[str, str, str] | None:
    """``(limetype, "evidence", "file:line")`` from the first workspace file (in
    path order, at most :data:`MAX_EVIDENCE_FILES` that mention ``relation``) that
    uses the relation's value as an id of a known limetype; None when none does."""
    try:
        files = [f for f in index.workspace_files() if f != path]
    except Exception:  # the workspace cannot be listed: no evidence, the name stays a guess
        return None
    read = 0
    for file in files:
        if read >= MAX_EVIDENCE_FILES:
            break
        if not index._mentions_any(file, [relation]):
            continue
        read += 1
        model = index.model(file)
        found = _relation_evidence(model, owner, relation) if model is not None else None
        if found is not None:
            return found[0], "evidence", f"{Path(file).name}:{found[1]}"
    return None


def relation_fix(ctx, read: LimeRead, loop: Loop, stmt: ast.stmt, lines: Lines) -> Fix:
    """Pre-fetch what ``<item>.properties.<rel>.fetch()`` reads per item into one dict.

    Preconditions (see the rule's Fix safety): the accessor is of the loop's item
    alone, the loop does not change the item (an ``attach`` in the loop would make
    ``.fetch()`` see a new object) nor the object it fetched (one pre-fetched object
    is shared by every item related to it), and an application is in scope.  The
    keys are the relations' ``.value`` (the related ids) of the items that reach
    the read, each once and without ``None``; ``dict.get`` gives ``None`` for an
    item without a related object (or one that no longer exists), as
    ``.fetch()`` does.  Always unsafe; the related limetype's source is named."""
    accessor = read.node.func.value  # type: ignore[attr-defined]
    relation = relation_of(accessor)
    if relation is None or read.node.args or read.node.keywords:
        raise _NoFix("only `<item>.properties.<relation>.fetch()` is pre-fetched automatically")
    node: ast.For = loop.node  # type: ignore[assignment]
    owner = _accessor_owner(accessor)
    targets = _names_in(node.target)
    if not (isinstance(owner, ast.Name) and owner.id in targets):
        raise _NoFix("the relation is not read from the loop's item")
    info = read.function
    fetched = stmt.targets[0].id if isinstance(stmt, ast.Assign) and stmt.value is read.node \
        and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) else None
    body = ctx.effects.of_block(node.body)
    if fetched is not None and (fetched in body.mutates or fetched in body.may_mutate):
        raise _NoFix(f"the loop changes the fetched object `{fetched}`; a pre-fetched object would be "
                     "shared by every item related to it")
    app = _application_text(ctx, info, loop)
    if app is None:
        raise _NoFix("no application is in scope before the loop to read the related objects with")
    role = info.names.get(owner.id)
    owner_limetype = role.limetype if role is not None and role.kind == "object" else None
    related = related_limetype(ctx, owner_limetype, relation)
    value_text = f"{ctx.text(accessor)}.value"
    false, keys = prefetch_preconditions(ctx, read, loop, accessor, key_text=value_text, distinct=True,
                                         key_cannot_raise=owner_limetype is not None)
    if false:
        raise _NoFix(false[0])
    indent = lines.indent(node.lineno)
    source = _prefetch_read(ctx, f"{app}.{related.limetype}", "id", None, keys, info, indent,
                            keys_name=f"{related.limetype}_ids")
    name = fresh_name(info, f"{related.limetype}_by_id")
    prefetch = f"{indent}{name} = {{{source.comprehension('obj.id: obj')}}}"
    text = "\n".join([*source.fill, prefetch]) + "\n"
    edits = [Edit(lines.start(node.lineno), lines.start(node.lineno), with_newline(text, lines.newline))]
    start, end = ctx.range(read.node)
    edits.append(Edit(start, end, f"{name}.get({value_text})"))
    edits.extend(source.imports)
    how = "only the related ids the loop needs" if keys.keys else \
        f"every `{related.limetype}` ({keys.why_not})"
    key = f"{owner_limetype}.{relation}" if owner_limetype else relation
    if related.how == "setting":
        why = f"`{related.limetype}` from {related.source}"
    elif related.how == "evidence":
        why = f"`{related.limetype}` as used at {related.source}"
    else:
        why = (f"`{related.limetype}` is a guess from the relation's name; if it is wrong, set "
               f"`relations = {{ \"{key}\" = \"<limetype>\" }}` in [tool.lime-task-lint]")
    return Fix(f"Pre-fetch {how} into a dict of related objects before the loop ({why})", tuple(edits),
               Applicability.UNSAFE)


def _application_text(ctx, info: FunctionInfo, loop: Loop) -> str | None:
    """A name holding the application (else the limetypes) that the function binds
    before the loop and the loop does not rebind, as ``<app>.limetypes`` text."""
    return application_before(ctx, info, loop.node.lineno, loop.node.body)  # type: ignore[attr-defined]


def application_before(ctx, info: FunctionInfo, line: int, block: list) -> str | None:
    """:func:`_application_text` for code starting at ``line`` that runs ``block``."""
    body = ctx.effects.of_block(block)
    parameters = [a.arg for a in (*info.node.args.posonlyargs, *info.node.args.args, *info.node.args.kwonlyargs)]
    for wanted, suffix in (("app", ".limetypes"), ("limetypes", "")):
        candidates = sorted(info.names.items(), key=lambda item: (item[0] not in parameters, item[0]))
        for name, role in candidates:
            if role.kind != wanted or name in body.rebinds or not name.isidentifier():
                continue
            bindings = ctx.index.bindings_in(info.node, name)
            if name in parameters or bindings and all(b.lineno < line for b in bindings):  # type: ignore[attr-defined]
                return f"{name}{suffix}"
    return None
