"""LIME201's fix for a helper that commits once per item of a loop.

``save_row(app, row)`` in a loop, where ``save_row`` (a function of the same
module) creates a unit of work, adds to it and commits it: the helper takes
the caller's unit of work as a keyword argument with a default (its other
callers keep committing their own), and the caller commits one unit of work per
batch of ``batch-size`` items::

    def save_row(app, row, unit_of_work=None):
        uow = app.unit_of_work() if unit_of_work is None else unit_of_work
        uow.add(...)
        if unit_of_work is None:
            uow.commit()

    items = iter(rows)
    while batch := list(itertools.islice(items, 50)):
        uow = app.unit_of_work()
        for row in batch:
            save_row(app, row, unit_of_work=uow)
        uow.commit()

Preconditions (:func:`helper_batching_fix`), stated once here and in LIME201's
Fix safety, against the effects model: the helper is a plain function (of this
module, or of another workspace module :mod:`helper_module` may edit: its
edits then go to that file, applied only while it has the text they were
computed on) with positional parameters only, whose body creates one unit of work
(``uow = <app>.unit_of_work()``), adds to it, and ends with its one ``commit()``
(nothing after it could see the object unsaved), reads nothing and calls nothing
whose effects are unknown; the call is a statement of its own directly in a
``for`` loop, with no ``try`` around it; the loop body makes no other writes,
no reads (a read would no longer see the objects of its own batch), calls
nothing unknown, and never leaves early (``break``/``return``: the open batch
would be committed by the loop's end, not skipped).  Always unsafe: a failing
commit now loses the whole batch, and the objects are saved later than before.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .edits import Applicability, Edit, Fix, with_newline
from .helper_module import DefiningModule, defining_module, names_used, passed_application, plain_helper
from .model import FunctionInfo, Loop
from .roundtrips import Lines, _has_multiline_string, _import, _NoFix, fresh_name

#: The keyword the helper takes the caller's unit of work by.
UNIT_OF_WORK_KEYWORD = "unit_of_work"


def helper_batching_fix(ctx, info: FunctionInfo, site) -> Fix | str:
    """The fix for a helper ``site`` (a call that commits, in a loop of ``info``), or why there is none."""
    in_file = f" in {site.helper_path}" if site.helper_path else ""
    try:
        if not isinstance(site.node, ast.Call):
            raise _NoFix("it is not called directly")
        module = defining_module(ctx, info, site.node, helper_path=site.helper_path, helper_name=site.helper)
        return _fix(ctx, info, site.node, site.loop, module)
    except _NoFix as reason:
        return f"the commit is inside `{site.helper}`{in_file}: {reason}"


def passes_unit_of_work(ctx, info: FunctionInfo, site) -> bool:
    """True when the helper ``site`` calls gets the caller's unit of work (an
    earlier fix): the helper then does not commit."""
    call = site.node
    if not isinstance(call, ast.Call) or not any(
            k.arg == UNIT_OF_WORK_KEYWORD and not (isinstance(k.value, ast.Constant) and k.value.value is None)
            for k in call.keywords):
        return False
    try:
        module = defining_module(ctx, info, call, helper_path=site.helper_path, helper_name=site.helper)
    except _NoFix:
        return False
    return _takes_unit_of_work(module.helper)


def _takes_unit_of_work(helper: FunctionInfo) -> bool:
    arguments = helper.node.args  # type: ignore[attr-defined]
    return any(a.arg == UNIT_OF_WORK_KEYWORD for a in arguments.args)


def _fix(ctx, info: FunctionInfo, call: ast.Call, loop: Loop | None, module: DefiningModule) -> Fix:
    if loop is None or loop.is_comprehension or not isinstance(loop.node, ast.For):
        raise _NoFix("only a helper called in a `for` loop is batched")
    node: ast.For = loop.node
    helper, hctx = module.helper, module.ctx  # hctx: the helper's module (this one or another)
    plain_helper(module)
    if _takes_unit_of_work(helper):
        # An earlier fix (for another caller) gave the helper the keyword: only this caller changes.
        create_call = _guarded_shape(hctx, helper)
        helper_edits: list[Edit] = []
    else:
        if UNIT_OF_WORK_KEYWORD in names_used(helper.node):
            raise _NoFix(f"it already uses the name `{UNIT_OF_WORK_KEYWORD}` (a new parameter would shadow it)")
        create, commit, name = _helper_shape(hctx, helper)
        create_call = create.value
        helper_lines = Lines(hctx)
        if not helper_lines.owns_lines(commit):
            raise _NoFix("its commit shares a line with other code (only the commit may be put under the guard)")
        helper_edits = _helper_edits(hctx, helper, create, commit, name, helper_lines)
    statement = ctx.index.statement_of(call)
    if not (isinstance(statement, ast.Expr) and statement.value is call and any(s is statement for s in node.body)):
        raise _NoFix("the call is not a statement of its own in the loop body (its result or a `try` around it "
                     "would change meaning)")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise _NoFix("the call passes `*args` or `**kwargs`")
    effects = ctx.effects
    others = effects.of_block([s for s in node.body if s is not statement])
    if others.writes or others.unknown or others.reads:
        raise _NoFix("the loop body does more than call it (reads, writes or calls code that is not visible): "
                     "batched, it would see other data")
    if any(effects.may_stop(s) for s in node.body):
        raise _NoFix("the loop may stop early (`break`/`return`): the open batch would still be committed")
    limetypes = passed_application(ctx, info, call, loop, module, create_call.func)
    if not limetypes.endswith(".limetypes"):
        raise _NoFix("the helper makes its unit of work from something else than an application it is passed")
    app = limetypes[: -len(".limetypes")]  # the application the helper is passed: the batch's is made from it
    lines = Lines(ctx)
    if lines.line(node.lineno).strip().split()[0] != "for" or not lines.owns_lines(node):
        raise _NoFix("the loop does not stand on lines of its own")
    if _has_multiline_string(node.body):
        raise _NoFix("the loop body holds a string of several lines (re-indenting it would change the string)")
    module.edits.extend(helper_edits)
    edits = _caller_edits(ctx, info, node, call, app, lines)
    size = ctx.settings.batch_size
    where = f" (in {Path(module.path).name})" if module.path else ""
    own, others = module.split(edits)
    return Fix(f"Pass one unit of work to `{helper.node.name}()`{where} and commit it once per batch of {size} "
               f"(its other callers keep committing their own)", own, Applicability.UNSAFE, others)


def _guarded_shape(ctx, helper: FunctionInfo) -> ast.Call:
    """The ``<app>.unit_of_work()`` call of a helper an earlier fix gave the keyword:
    ``uow = <app>.unit_of_work() if unit_of_work is None else unit_of_work`` and its one
    commit alone under ``if unit_of_work is None:``; else raise."""
    _no_reads(ctx, helper)
    creates = [c for c in helper.uow_calls if c.kind == "create"]
    commits = [c for c in helper.uow_calls if c.kind == "commit"]
    keyword = UNIT_OF_WORK_KEYWORD

    def is_none_test(test: ast.AST) -> bool:
        return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == keyword \
            and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None

    shaped = len(creates) == 1 and len(commits) == 1 and len(ctx.index.bindings_in(helper.node, keyword)) == 1
    if shaped:
        choice = ctx.index.parent(creates[0].node)
        guard = ctx.index.parent(ctx.index.statement_of(commits[0].node))
        shaped = isinstance(choice, ast.IfExp) and choice.body is creates[0].node and is_none_test(choice.test) \
            and isinstance(choice.orelse, ast.Name) and choice.orelse.id == keyword \
            and isinstance(guard, ast.If) and is_none_test(guard.test) and len(guard.body) == 1 and not guard.orelse
    if not shaped:
        raise _NoFix(f"it already has a `{keyword}` parameter, used otherwise than an earlier fix wrote it")
    return creates[0].node


def _no_reads(ctx, helper: FunctionInfo) -> None:
    if helper.reads or helper.calls or helper.summary.reads:
        raise _NoFix("it reads or calls other helpers (batched, a read would not see its batch)")
    if ctx.effects.of_function(helper.node).unknown:
        raise _NoFix("it calls code whose effects are not visible")


def _helper_shape(ctx, helper: FunctionInfo) -> tuple[ast.Assign, ast.Expr, str]:
    """``(uow = <app>.unit_of_work(), uow.commit(), "uow")`` of the helper, or raise."""
    _no_reads(ctx, helper)
    body = [s for s in helper.node.body  # type: ignore[attr-defined]
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
    creates = [c for c in helper.uow_calls if c.kind == "create"]
    commits = [c for c in helper.uow_calls if c.kind == "commit"]
    if len(creates) != 1 or len(commits) != 1 or any(c.loop is not None for c in helper.uow_calls):
        raise _NoFix("it does not create one unit of work and commit it once")
    create = ctx.index.statement_of(creates[0].node)
    commit = ctx.index.statement_of(commits[0].node)
    if not (isinstance(create, ast.Assign) and len(create.targets) == 1 and isinstance(create.targets[0], ast.Name)
            and create.value is creates[0].node and any(s is create for s in body)):
        raise _NoFix("its unit of work is not made by a plain `uow = app.unit_of_work()` statement")
    if not (isinstance(commit, ast.Expr) and commit.value is commits[0].node and body and body[-1] is commit):
        raise _NoFix("its commit is not its last statement (code after it would see the object unsaved)")
    name = create.targets[0].id
    if commits[0].name != name or len(ctx.index.bindings_in(helper.node, name)) != 1:
        raise _NoFix(f"`{name}` is bound more than once")
    uses = [n for n in ctx.index.own_nodes(helper.node) if isinstance(n, ast.Name) and n.id == name
            and isinstance(n.ctx, ast.Load)]
    for use in uses:
        above = ctx.index.parent(use)
        if not (isinstance(above, ast.Attribute) and above.attr in ("add", "commit")
                and isinstance(ctx.index.parent(above), ast.Call)):
            raise _NoFix(f"it uses `{name}` for more than `add` and `commit`")
    return create, commit, name


def _helper_edits(ctx, helper: FunctionInfo, create: ast.Assign, commit: ast.Expr, name: str,
                  lines: Lines) -> list[Edit]:
    arguments = helper.node.args  # type: ignore[attr-defined]
    last = arguments.defaults[-1] if arguments.defaults else arguments.args[-1]
    end = ctx.range(last)[1]
    start, stop = ctx.range(create.value)
    indent = lines.indent(commit.lineno)
    first, after = lines.start(commit.lineno), lines.start((commit.end_lineno or commit.lineno) + 1)
    committed = "\n".join(lines.line(n) for n in range(commit.lineno, (commit.end_lineno or commit.lineno) + 1))
    guarded = f"{indent}if {UNIT_OF_WORK_KEYWORD} is None:\n{lines.unit}{committed}\n"
    return [
        Edit(end, end, f", {UNIT_OF_WORK_KEYWORD}=None"),
        Edit(start, stop, f"{ctx.text(create.value)} if {UNIT_OF_WORK_KEYWORD} is None else {UNIT_OF_WORK_KEYWORD}"),
        Edit(first, after, with_newline(guarded, lines.newline)),
    ]


def _caller_edits(ctx, info: FunctionInfo, node: ast.For, call: ast.Call, app: str, lines: Lines) -> list[Edit]:
    size = ctx.settings.batch_size
    indent = lines.indent(node.lineno)
    unit = lines.unit
    items = fresh_name(info, "items")
    batch = fresh_name(info, "batch", {items})
    uow = fresh_name(info, "uow", {items, batch})
    module = "itertools"
    imports: list[Edit] = []
    if not any(q == "itertools" for q in ctx.model.imports.values()):
        extra = _import(ctx, "itertools")
        if extra is not None:
            imports.append(extra)
    else:
        module = next(local for local, q in ctx.model.imports.items() if q == "itertools")
    head = (f"{indent}{items} = iter({ctx.text(node.iter)})\n"
            f"{indent}while {batch} := list({module}.islice({items}, {size})):\n"
            f"{indent}{unit}{uow} = {app}.unit_of_work()\n"
            f"{indent}{unit}for {ctx.text(node.target)} in {batch}:\n")
    body_first = node.body[0].lineno
    last = node.end_lineno or node.lineno
    body = "".join(unit + lines.line(n) + "\n" if lines.line(n).strip() else "\n" for n in range(body_first, last + 1))
    tail = f"{indent}{unit}{uow}.commit()\n"
    keyword_at = ctx.range(call.keywords[-1].value if call.keywords else call.args[-1])[1] if (call.args or call.keywords) \
        else ctx.range(call)[1] - 1
    # The body is re-indented as text: the keyword goes into that text at the offset where
    # the last argument ends (on its own line, which need not be the call's last one).
    anchor_line = lines.index.line_of(keyword_at) + 1
    offset_in_line = keyword_at - lines.start(anchor_line)
    body_lines = body.split("\n")
    index = anchor_line - body_first
    if not body_lines[index].strip():
        raise _NoFix("the call's line could not be found")
    separator = ", " if (call.args or call.keywords) else ""
    cut = offset_in_line + len(unit)
    body_lines[index] = body_lines[index][:cut] + f"{separator}{UNIT_OF_WORK_KEYWORD}={uow}" + body_lines[index][cut:]
    text = head + "\n".join(body_lines) + tail
    return [Edit(lines.start(node.lineno), lines.start(last + 1), with_newline(text, lines.newline)), *imports]
