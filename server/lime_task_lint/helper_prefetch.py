"""LIME203's fix for a read inside a helper called once per item of a loop.

``find_person(app, row["email"])`` in a loop, where ``find_person`` (a function
of the same module) reads ``person.get_all(filter=Filter(EqualsOperator("email",
email)))`` and only iterates the result: the caller pre-fetches the objects of
every key the loop will pass, grouped by the field, and passes the lookup to the
helper as a keyword argument whose default keeps every other caller working::

    def find_person(app, email, person_by_email=None):
        found = (person_by_email.get(email, []) if person_by_email is not None
                 else app.limetypes.person.get_all(filter=...))

Preconditions (:func:`helper_fix`), against the effects model and the syntax
index, stated once here and in the rule's Fix safety: the helper is a plain
function (of this module, or of another workspace module that
:mod:`helper_module` may edit) with positional parameters only, makes exactly that one
read and nothing else that reads or commits, takes the key as a parameter it
never rebinds, and uses the result only by iterating it (a list stands in for
the result, so ``.count`` or truthiness would change meaning); the call passes
the key positionally or by name and no ``*args``/``**kwargs``; the caller's loop
creates no objects of that limetype and calls no code whose effects are unknown
(the lookup would miss what they create); the keys satisfy
:func:`prefetch.prefetch_preconditions`.  Always unsafe: the objects are read
before the loop, and each group keeps the database's order by id.

A helper in another module is edited in its own file (the fix's
``other_files``, applied only while that file has the text it was computed on);
its facts come from a rule context on that file's text (``helper_module``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .edits import Applicability, Edit, Fix, with_newline
from .helper_module import DefiningModule, defining_module, names_used, passed_application, plain_helper
from .model import FunctionInfo, LimeRead, Loop
from .prefetch import (
    _filter_equals,
    _prefetch_read,
    prefetch_preconditions,
)
from .roundtrips import Lines, _NoFix, fresh_name

#: Builtins that only iterate their first argument: a list can stand in for a read's result there.
_ITERATING = frozenset({"list", "tuple", "sorted", "iter", "enumerate", "set", "next", "any", "all"})


@dataclass
class _CallSite:
    """What :func:`prefetch_preconditions` asks of a read: the node whose guards count."""

    node: ast.Call
    function: FunctionInfo
    loop: Loop | None


def helper_fix(ctx, info: FunctionInfo, call: ast.Call, loop: Loop, *, helper_path: str | None = None,
               helper_name: str | None = None) -> Fix | str:
    """The fix for ``call`` (a helper that reads, in ``loop`` of ``info``), or why there is none.
    ``helper_path``/``helper_name``: where the workspace resolved a call the model did not."""
    try:
        module = defining_module(ctx, info, call, helper_path=helper_path, helper_name=helper_name)
        return _helper_fix(ctx, info, call, loop, module)
    except _NoFix as reason:
        return str(reason)


def _helper_fix(ctx, info: FunctionInfo, call: ast.Call, loop: Loop, module: DefiningModule) -> Fix:
    if loop.is_comprehension or not isinstance(loop.node, ast.For):
        raise _NoFix("only a helper called in a `for` loop gets a pre-fetch")
    helper, hctx = module.helper, module.ctx  # hctx: the helper's module (this one or another)
    plain_helper(module)
    arguments = helper.node.args
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise _NoFix("the call passes `*args` or `**kwargs`")
    if len(helper.reads) != 1 or helper.uow_calls or helper.calls or helper.summary.commits:
        raise _NoFix("the helper does more than one read")
    read = helper.reads[0]
    if read.kind != "get_all" or read.loop is not None or not read.limetype:
        raise _NoFix("only a helper whose one read is `get_all(filter=...EqualsOperator(field, parameter))` "
                     "gets a pre-fetch")
    found = _filter_equals(hctx, read, loop)
    if found is None or found.conjunction is not None or not isinstance(found.key, ast.Name):
        raise _NoFix("the helper's read is not `get_all(filter=Filter(EqualsOperator(field, parameter)))`")
    names = [a.arg for a in arguments.args]
    parameter = found.key.id
    if parameter not in names or len(hctx.index.bindings_in(helper.node, parameter)) != 1:
        raise _NoFix(f"`{parameter}` is not a parameter the helper keeps")
    key = _argument(call, names, parameter)
    if key is None:
        raise _NoFix(f"the call does not pass `{parameter}`")
    _only_iterated(hctx, helper, read)
    body = ctx.effects.of_block(loop.node.body)
    if body.unknown:
        raise _NoFix(f"the loop calls {', '.join(f'`{u}`' for u in sorted(body.unknown)[:2])}, which may create "
                     f"`{read.limetype}` objects a pre-fetched lookup would miss")
    if read.limetype in body.creates or None in body.creates:
        raise _NoFix(f"the loop creates `{read.limetype}` objects a pre-fetched lookup would miss")
    app = passed_application(ctx, info, call, loop, module, read.node.func)
    site = _CallSite(call, info, loop)
    false, keys = prefetch_preconditions(ctx, site, loop, key)  # type: ignore[arg-type]
    if false:
        raise _NoFix(false[0])
    # The helper's keyword: an earlier fix's, else a name its code does not mention (a
    # parameter, local or global of that name would be shadowed).  The caller's variable:
    # a name free in the caller (a second call of the helper in the loop gets its own).
    existing = _existing_lookup(hctx, helper, read)
    keyword = existing or fresh_name(helper, f"{read.limetype}_by_{found.field}", names_used(helper.node))
    lookup = fresh_name(info, keyword)
    lines = Lines(ctx)
    node = loop.node
    indent = lines.indent(node.lineno)
    inner = indent + _unit(lines)
    # The operator's spelling is the helper module's; another module's is not in scope here.
    equals = None if module.elsewhere else found.equals
    source = _prefetch_read(ctx, f"{app}.{read.limetype}", found.field, equals, keys, info, indent)
    group = f"{lookup}.setdefault(obj.properties.{found.field}.value, []).append(obj)"
    fill = [*source.fill, f"{indent}{lookup} = {{}}"]
    if source.chunk is None:
        fill += [f"{indent}for obj in {source.objects}:", f"{inner}{group}"]
    else:
        keys_name, start = source.chunk
        fill += [f"{indent}for {start} in range(0, len({keys_name}), {source.size}):",
                 f"{inner}for obj in {source.objects}:", f"{inner}{_unit(lines)}{group}"]
    edits = [Edit(lines.start(node.lineno), lines.start(node.lineno),
                  with_newline("\n".join(fill) + "\n", lines.newline))]
    last = call.keywords[-1].value if call.keywords else call.args[-1]
    edits.append(Edit(ctx.range(last)[1], ctx.range(last)[1], f", {keyword}={lookup}"))
    if existing is None:
        module.edits.extend(_helper_edits(hctx, helper, read, keyword, parameter))
    edits.extend(source.imports)
    how = "only the keys the loop passes" if keys.keys else f"every `{read.limetype}` ({keys.why_not})"
    where = f" in {Path(module.path).name}" if module.path else ""
    title = (f"Pre-fetch {how} before the loop, grouped by `{found.field}`, and pass the lookup to "
             f"`{helper.node.name}()`{where} as `{keyword}=` (other callers keep reading)")
    own, others = module.split(edits)
    return Fix(title, own, Applicability.UNSAFE, others)


def _unit(lines: Lines) -> str:
    return "\t" if "\t" in lines.indent(1) else "    "


def _argument(call: ast.Call, names: list[str], parameter: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    position = names.index(parameter)
    return call.args[position] if position < len(call.args) else None


def _only_iterated(ctx, helper: FunctionInfo, read: LimeRead) -> None:
    """Raise unless the read's result is only iterated (a list can stand in for it)."""
    index = ctx.index
    node: ast.AST = read.node
    parent = index.parent(node)
    if isinstance(parent, ast.IfExp) and parent.orelse is node:
        node, parent = parent, index.parent(parent)  # already guarded by a lookup
    uses = [node]
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1 \
            and isinstance(parent.targets[0], ast.Name):
        name = parent.targets[0].id
        if len(index.bindings_in(helper.node, name)) != 1:
            raise _NoFix(f"`{name}` is bound more than once in the helper")
        uses = [n for n in index.own_nodes(helper.node) if isinstance(n, ast.Name) and n.id == name
                and isinstance(n.ctx, ast.Load)]
    for use in uses:
        above = index.parent(use)
        if isinstance(above, (ast.For, ast.comprehension)) and above.iter is use:
            continue
        if isinstance(above, ast.Call) and isinstance(above.func, ast.Name) and above.func.id in _ITERATING \
                and above.args and above.args[0] is use and ctx.index.resolve(above.func.id, above) is None:
            continue
        raise _NoFix("the helper uses the read's result for more than iterating it (`.count`, truthiness, "
                     "passing it on)")


def _existing_lookup(ctx, helper: FunctionInfo, read: LimeRead) -> str | None:
    """The lookup parameter of an earlier fix: ``(<lookup>.get(...) if <lookup> is not None else <read>)``."""
    parent = ctx.index.parent(read.node)
    if isinstance(parent, ast.IfExp) and parent.orelse is read.node and isinstance(parent.test, ast.Compare) \
            and isinstance(parent.test.left, ast.Name) and isinstance(parent.test.ops[0], ast.IsNot):
        return parent.test.left.id
    return None


def _helper_edits(ctx, helper: FunctionInfo, read: LimeRead, lookup: str, parameter: str) -> list[Edit]:
    arguments = helper.node.args  # type: ignore[attr-defined]
    last_default = arguments.defaults[-1] if arguments.defaults else None
    last = arguments.args[-1]
    end = ctx.range(last_default)[1] if last_default is not None else ctx.range(last)[1]
    start, stop = ctx.range(read.node)
    return [
        Edit(end, end, f", {lookup}=None"),
        Edit(start, stop, f"({lookup}.get({parameter}, []) if {lookup} is not None else {ctx.text(read.node)})"),
    ]


def passes_lookup(ctx, info: FunctionInfo, call: ast.Call, *, helper_path: str | None = None,
                  helper_name: str | None = None) -> bool:
    """True when ``call`` passes the lookup an earlier fix gave its helper (in this
    module or another): the helper then reads nothing per call."""
    if not any(k.arg and not (isinstance(k.value, ast.Constant) and k.value.value is None) for k in call.keywords):
        return False  # passes no keyword: nothing to look at in the helper's module
    try:
        module = defining_module(ctx, info, call, helper_path=helper_path, helper_name=helper_name)
    except _NoFix:
        return False
    helper = module.helper
    if len(helper.reads) != 1:
        return False
    lookup = _existing_lookup(module.ctx, helper, helper.reads[0])
    return lookup is not None and any(k.arg == lookup and not (isinstance(k.value, ast.Constant)
                                                               and k.value.value is None) for k in call.keywords)
