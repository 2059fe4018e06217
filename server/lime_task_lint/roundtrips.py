"""Database round trips of task code: counting them, and the two loop rewrites
that cut them (batched commits, hoisted reads).

Counting (:func:`round_trips`, :func:`loop_round_trips`) is shared by the
LIME2xx rules, the round-trip hover and the task budget report.  A *site* is a
Lime read, a ``uow.commit()`` or a call of a helper that reads or commits
(same module: the model's summaries; another workspace module: resolved with
jedi through ``ctx.workspace``).  A site inside loops runs once per item of
each loop around it; how many items a loop has comes from its iterable:
``limit=`` on the read, else ``object-counts`` for its limetype, else
``default-object-count`` (a batch loop produced by the batching fix counts
``ceil(n / batch-size)``, its inner loop ``batch-size``).

The batching rewrite (:func:`batching_fix`; the read rewrites are in :mod:`prefetch`) works on whole lines:
the loop is regenerated from its own source lines (re-indented, comments
kept), so the result follows the file's indentation and line endings.  When a
shape cannot be rewritten without changing what the code means they return a
short reason instead of a fix; the rules put that reason in their message.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Union

from .edits import Applicability, Edit, Fix, import_edit, indent_unit, with_newline
from .effects import MUTATING_METHODS, NOTHING, Effects, flatten_targets
from .model import COMPREHENSIONS, FunctionInfo, LimeModel, LimeRead, Loop, UowCall, _role_of

LOOP_STATEMENTS = (ast.For, ast.AsyncFor, ast.While)
WRITE_KINDS = ("commit",)


# -- sites -------------------------------------------------------------------------
@dataclass(eq=False)
class Site:
    """One place that costs round trips each time it runs."""

    node: ast.AST
    reads: int
    commits: int
    loop: Loop | None
    #: "read", "commit" or "helper".
    kind: str
    read: LimeRead | None = None
    commit: UowCall | None = None
    #: For helper sites: the helper's name (and its file when in another module).
    helper: str | None = None
    helper_path: str | None = None
    #: For a commit after a loop that adds every item to its unit of work (LIME202):
    #: that loop (the batching fix turns the one commit into one per batch).
    commits_loop: Loop | None = None

    @property
    def loops(self) -> list[Loop]:
        return self.loop.chain() if self.loop else []


def function_sites(model: LimeModel, info: FunctionInfo, workspace=None, path: str | None = None) -> list[Site]:
    """The round-trip sites of one function (helpers folded in through their summary)."""
    cache = _cache(info)
    key = ("sites", id(workspace))
    if key in cache:
        return cache[key]
    sites: list[Site] = []
    for read in info.reads:
        sites.append(Site(read.node, 1, 0, read.loop, "read", read=read))
    for call in info.uow_calls:
        if call.kind == "commit":
            site = Site(call.node, 0, 1, call.loop, "commit", commit=call)
            if call.loop is None and call.name is not None:
                adds = [c for c in info.uow_calls if c.kind == "add" and c.name == call.name and c.loop is not None
                        and c.node.lineno < call.node.lineno]
                if adds:
                    site.commits_loop = adds[0].loop.chain()[-1]  # type: ignore[union-attr]
            sites.append(site)
    for call in info.calls:
        callee = model.callee(call)
        if callee is None or callee is info:
            continue
        summary = callee.summary
        if summary.reads or summary.commits:
            sites.append(Site(call.node, summary.reads, summary.commits, call.loop, "helper",
                              helper=callee.qualname, helper_path=call.path))
    if workspace is not None:
        sites.extend(_workspace_sites(model, info, workspace, path))
    cache[key] = sites
    return sites


def _workspace_sites(model: LimeModel, info: FunctionInfo, workspace, path: str | None) -> list[Site]:
    """Calls of helpers imported from other workspace modules, resolved with jedi.

    Only calls of imported names are asked about (bounded: one question per
    call site, and the workspace caches its answers)."""
    resolve = getattr(workspace, "resolve_call", None)
    if resolve is None or path is None:
        return []
    known = {id(r.node) for r in info.reads} | {id(c.node) for c in info.uow_calls} | {id(c.node) for c in info.calls}
    imported = set(model.imports)
    found: list[Site] = []
    for node, loop in _calls_with_loops(info):
        if id(node) in known or loop is None:
            continue
        func = node.func
        base = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in imported:
            continue
        if (model.imports.get(base.id) or "").split(".")[0].startswith("lime_"):
            continue
        try:
            resolved = resolve(path, node)
        except Exception:  # jedi trouble must never cost the rule its findings
            resolved = None
        if not resolved:
            continue
        other_path, callee, _other_model = resolved
        summary = callee.summary
        if summary.reads or summary.commits:
            found.append(Site(node, summary.reads, summary.commits, loop, "helper",
                              helper=callee.qualname, helper_path=str(other_path)))
    return found


def _calls_with_loops(info: FunctionInfo) -> Iterator[tuple[ast.Call, Loop | None]]:
    """Every call of the function's own body with its innermost loop (one walk)."""
    loops = {id(loop.node): loop for loop in info.loops}

    def walk(node: ast.AST, loop: Loop | None, repeated: bool) -> Iterator[tuple[ast.Call, Loop | None]]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return
        if isinstance(node, ast.Call):
            yield node, loop
        this = loops.get(id(node))
        if this is not None:
            if isinstance(node, (ast.For, ast.AsyncFor)):
                yield from walk(node.iter, loop, repeated)
                yield from walk(node.target, this, True)
                for stmt in node.body:
                    yield from walk(stmt, this, True)
                for stmt in node.orelse:
                    yield from walk(stmt, loop, repeated)
                return
            if isinstance(node, ast.While):
                yield from walk(node.test, this, True)
                for stmt in node.body:
                    yield from walk(stmt, this, True)
                for stmt in node.orelse:
                    yield from walk(stmt, loop, repeated)
                return
            if isinstance(node, COMPREHENSIONS):
                for index, generator in enumerate(node.generators):
                    yield from walk(generator.iter, this if index else loop, repeated)
                    for cond in generator.ifs:
                        yield from walk(cond, this, True)
                parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                for part in parts:
                    yield from walk(part, this, True)
                return
        for child in ast.iter_child_nodes(node):
            yield from walk(child, loop, repeated)

    for stmt in info.node.body:
        yield from walk(stmt, None, False)


def _cache(info: FunctionInfo) -> dict:
    cache = info.__dict__.get("_roundtrip_cache")
    if cache is None:
        cache = {}
        info.__dict__["_roundtrip_cache"] = cache
    return cache


# -- loop sizes --------------------------------------------------------------------
@dataclass(frozen=True)
class LoopSize:
    count: int
    source: str  # "`limit=`", "`object-counts.deal`", "`default-object-count`", "`batch-size`"
    noun: str  # what one item is: a limetype name or "item"


def assigned_values(info: FunctionInfo) -> dict[str, list[ast.AST]]:
    """Name -> values assigned to it in the function (simple ``name = value`` only)."""
    cache = _cache(info)
    if "assigned" in cache:
        return cache["assigned"]
    out: dict[str, list[ast.AST]] = {}
    for node in ast.walk(info.node):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None \
                and isinstance(node.target, ast.Name):
            out.setdefault(node.target.id, []).append(node.value)
    cache["assigned"] = out
    return out


def loop_size(loop: Loop, settings, model: LimeModel | None = None) -> LoopSize:
    """How many items ``loop`` runs over at the configured counts."""
    info = loop.function
    if isinstance(loop.node, ast.While):
        batch = _islice_batch(loop.node.test)
        if batch is not None:
            inner, size = batch
            source = _size_of_expr(_origin(inner, info), info, settings, loop, depth=0)
            return LoopSize(max(1, math.ceil(source.count / max(size, 1))), source.source, f"batch of {size}")
        count, source = settings.default_object_count, "`default-object-count`"
        return LoopSize(count, source, "pass")
    if loop.known_size is not None and loop.size_origin is not None:
        return LoopSize(loop.known_size, loop.size_origin, "item")  # the model's one fact about the loop
    return _size_of_expr(loop.iterable, info, settings, loop, depth=0)


def _islice_batch(test: ast.expr) -> tuple[ast.expr, int] | None:
    """``batch := list(islice(it, n))`` -> (it, n)."""
    if isinstance(test, ast.NamedExpr):
        test = test.value
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "list" and test.args:
        test = test.args[0]
    if isinstance(test, ast.Call) and _call_name(test) == "islice" and len(test.args) == 2 \
            and isinstance(test.args[1], ast.Constant) and isinstance(test.args[1].value, int):
        return test.args[0], test.args[1].value
    return None


def _origin(node: ast.expr, info: FunctionInfo) -> ast.expr:
    """``rows`` for ``it`` when ``it = iter(rows)``."""
    if isinstance(node, ast.Name):
        values = assigned_values(info).get(node.id, [])
        if len(values) == 1 and isinstance(values[0], ast.Call) and _call_name(values[0]) == "iter" \
                and values[0].args:
            return values[0].args[0]  # type: ignore[return-value]
    return node


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_batching_helper(call: ast.Call) -> bool:
    """A call of a project helper that yields batches (``_batches``, ``chunked``...):
    named so, since its body may live in another module.  ``itertools.batched`` has
    its own case (its size argument is known)."""
    name = _call_name(call).lower()
    return name != "batched" and ("batch" in name or "chunk" in name)


def _size_of_expr(node: ast.expr | None, info: FunctionInfo, settings, loop: Loop | None, depth: int) -> LoopSize:
    default = LoopSize(settings.default_object_count, "`default-object-count`", "item")
    if node is None or depth > 5:
        return default
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return LoopSize(len(node.elts), "the literal", "item")
    if isinstance(node, ast.Call):
        name = _call_name(node)
        if name in ("enumerate", "list", "sorted", "tuple", "iter", "reversed", "set") and node.args:
            return _size_of_expr(node.args[0], info, settings, loop, depth + 1)
        if name == "range" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, int):
            return LoopSize(node.args[0].value, "the range", "item")
        if name == "range" and len(node.args) == 3 and isinstance(node.args[2], ast.Constant) \
                and isinstance(node.args[2].value, int) and node.args[2].value > 0 \
                and _call_name(node.args[1]) == "len" and len(node.args[1].args) == 1:  # type: ignore[attr-defined]
            # `range(0, len(keys), n)`: one pass per chunk of n keys (a pre-fetch in chunks)
            inner = _size_of_expr(node.args[1].args[0], info, settings, loop, depth + 1)  # type: ignore[attr-defined]
            step = node.args[2].value
            return LoopSize(max(1, math.ceil(inner.count / step)), inner.source, f"chunk of {step:,}")
        if name == "batched" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, int):
            inner = _size_of_expr(node.args[0], info, settings, loop, depth + 1)
            size = node.args[1].value
            return LoopSize(max(1, math.ceil(inner.count / max(size, 1))), inner.source, f"batch of {size}")
        if name == "zip" and node.args:
            return _size_of_expr(node.args[0], info, settings, loop, depth + 1)
        if _is_batching_helper(node) and node.args:  # `_batches(rows, 50)`, `chunks(rows)`
            inner = _size_of_expr(node.args[0], info, settings, loop, depth + 1)
            size = max(settings.batch_size, 1)
            return LoopSize(max(1, math.ceil(inner.count / size)), inner.source, f"batch of {size}")
        role = _role_of(node, info.names, {})
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get_all":
            base = _role_of(node.func.value, info.names, {})
            limit = next((k.value for k in node.keywords if k.arg == "limit"), None)
            limetype = base.limetype if base is not None else None
            if isinstance(limit, ast.Constant) and isinstance(limit.value, int):
                return LoopSize(limit.value, "`limit=`", limetype or "object")
            if base is not None and base.kind == "limetype":
                count, source = settings.object_count(limetype)
                return LoopSize(count, source, limetype or "object")
        if role is not None and role.kind == "objects":
            count, source = settings.object_count(role.limetype)
            return LoopSize(count, source, role.limetype or "object")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "fetch":
            count, source = settings.object_count(None)
            return LoopSize(count, source, "related object")
        return default
    if isinstance(node, ast.Name):
        # A batch produced by an enclosing batch loop.
        outer = loop.parent if loop is not None else None
        while outer is not None:
            if node.id in outer.variables:
                if isinstance(outer.node, ast.While):
                    batch = _islice_batch(outer.node.test)
                    if batch is not None:
                        return LoopSize(batch[1], "`batch-size`", "item")
                elif isinstance(outer.iterable, ast.Call) and _call_name(outer.iterable) == "batched" \
                        and len(outer.iterable.args) == 2 and isinstance(outer.iterable.args[1], ast.Constant):
                    return LoopSize(int(outer.iterable.args[1].value), "`batch-size`", "item")
                elif isinstance(outer.iterable, ast.Call) and _is_batching_helper(outer.iterable):
                    return LoopSize(settings.batch_size, "`batch-size`", "item")
                break
            outer = outer.parent
        values = assigned_values(info).get(node.id, [])
        batch = _islice_batch(values[0]) if len(values) == 1 and isinstance(values[0], ast.expr) else None
        if batch is not None:  # `batch = list(islice(rows, 50))` (the batching fix's walrus)
            return LoopSize(batch[1], "`batch-size`", "item")
        role = info.names.get(node.id)
        if role is not None and role.kind == "objects":
            values = assigned_values(info).get(node.id, [])
            if len(values) == 1:
                return _size_of_expr(values[0], info, settings, loop, depth + 1)  # type: ignore[arg-type]
            count, source = settings.object_count(role.limetype)
            return LoopSize(count, source, role.limetype or "object")
        values = assigned_values(info).get(node.id, [])
        if len(values) == 1 and isinstance(values[0], ast.expr):
            return _size_of_expr(values[0], info, settings, loop, depth + 1)
        return default
    if isinstance(node, ast.Attribute):
        return default
    return default


# -- counting ----------------------------------------------------------------------
@dataclass
class RoundTrips:
    """Round trips of a function (or of one loop) at the configured counts."""

    reads_per_item: int
    commits_per_item: int
    reads_once: int
    commits_once: int
    total_at_count: int
    after_fix_total: int
    explanation: str
    items: int = 0
    noun: str = "item"
    count_source: str = ""
    fixes: list[str] = field(default_factory=list)

    @property
    def per_item(self) -> int:
        return self.reads_per_item + self.commits_per_item


def _multiplicity(loops: Iterable[Loop], settings) -> int:
    total = 1
    for loop in loops:
        total *= max(loop_size(loop, settings).count, 0)
    return total


def read_is_hoistable(read: LimeRead) -> bool:
    """Whether the hoisting fix can (in principle) turn this read into one pre-fetch."""
    return read.kind in ("get", "get_all") and read.loop is not None


def round_trips(model: LimeModel, function: FunctionInfo, settings, workspace=None,
                path: str | None = None) -> RoundTrips:
    """Round trips of ``function`` (its helpers folded in) at the configured counts."""
    sites = function_sites(model, function, workspace, path)
    # The main loop: the outermost loop that costs the most.
    costs: dict[int, int] = {}
    tops: dict[int, Loop] = {}
    for site in sites:
        if site.loop is None:
            continue
        top = site.loops[-1]
        tops[id(top.node)] = top
        costs[id(top.node)] = costs.get(id(top.node), 0) + \
            (site.reads + site.commits) * _multiplicity(site.loops, settings)
    main = tops[max(costs, key=lambda k: costs[k])] if costs else None
    if main is None:
        main = next((s.commits_loop for s in sites if s.commits_loop is not None), None)
    return _count(sites, main, settings, scope=None)


def loop_round_trips(model: LimeModel, loop: Loop, settings, workspace=None, path: str | None = None) -> RoundTrips:
    """Round trips of one loop statement (what runs inside it), per item and in total."""
    sites = [s for s in function_sites(model, loop.function, workspace, path)
             if loop in s.loops or s.commits_loop is loop]
    return _count(sites, loop, settings, scope=loop)


def _count(sites: list[Site], main: Loop | None, settings, scope: Loop | None) -> RoundTrips:
    batch = max(settings.batch_size, 1)
    reads_once = commits_once = reads_item = commits_item = 0
    total = after = 0
    fixes: set[str] = set()
    whole_commits: list[int] = []
    outer_mult = _multiplicity(scope.chain()[1:], settings) if scope is not None else 1
    for site in sites:
        loops = site.loops
        if scope is not None and scope in loops:
            loops = loops[:loops.index(scope) + 1]
        mult = _multiplicity(loops, settings)
        cost = site.reads + site.commits
        total += cost * mult
        if not loops:
            reads_once += site.reads
            commits_once += site.commits
        elif main is not None and main in loops:
            inner = loops[:loops.index(main)]
            reads_item += site.reads * _multiplicity(inner, settings)
            commits_item += site.commits * _multiplicity(inner, settings)
        # After the fixes: reads hoisted to one pre-fetch per run of their loop,
        # commits batched.
        if site.kind == "read" and site.read is not None and loops and read_is_hoistable(site.read):
            after += _multiplicity(loops[1:], settings)
            fixes.add("pre-fetched")
        elif site.kind == "commit" and loops and not loop_size(loops[0], settings).noun.startswith("batch of"):
            after += math.ceil(mult / batch)  # (a commit per pass of a batch loop is batched already)
            fixes.add("batched")
        elif site.kind == "commit" and site.commits_loop is not None and scope in (None, site.commits_loop):
            objects = _multiplicity(site.commits_loop.chain(), settings)
            after += math.ceil(objects / batch)
            fixes.add("batched")
            whole_commits.append(objects)
        else:
            after += cost * mult
    # A single commit of a whole unbounded unit of work becomes one per batch.
    size = loop_size(main, settings) if main is not None else None
    items = size.count if size is not None else 0
    noun = size.noun if size is not None else "item"
    source = size.source if size is not None else ""
    if scope is not None:
        items *= outer_mult
    explanation = _explain(reads_item, commits_item, reads_once, commits_once, total, after, items, noun, fixes)
    if whole_commits:
        explanation += f" ({'; '.join(f'one commit of {n:,} objects' for n in whole_commits)})"
    return RoundTrips(reads_item, commits_item, reads_once, commits_once, total, after, explanation,
                      items, noun, source, sorted(fixes))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _explain(reads_item: int, commits_item: int, reads_once: int, commits_once: int, total: int, after: int,
             items: int, noun: str, fixes: set[str]) -> str:
    per = []
    if reads_item:
        per.append(_plural(reads_item, "read"))
    if commits_item:
        per.append(_plural(commits_item, "commit"))
    noun_plural = plural_noun(noun)
    head = f"{' + '.join(per)} per {noun}" if per else "no round trips per item"
    trips = _plural(total, "round trip")
    text = f"{head}: {trips} at {items:,} {noun_plural}" if items else trips
    if fixes and after != total:
        text += f"; {' and '.join(sorted(fixes))}: {after:,}"
    return text


def plural_noun(noun: str) -> str:
    """``item`` -> ``items``, ``batch of 50`` -> ``batches of 50``, ``company`` ->
    ``companies``: the head word of a loop's noun in the plural."""
    head, _, rest = noun.partition(" of ")
    words = head.split(" ")
    last = words[-1]
    if last.endswith(("s", "x", "ch", "sh")):
        last = last if last.endswith("s") and not rest and not last.endswith("ss") else last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        last = last[:-1] + "ies"
    else:
        last += "s"
    words[-1] = last
    return " ".join(words) + (f" of {rest}" if rest else "")


# -- shared source helpers ------------------------------------------------------------
_UNITS: dict[str, str] = {}  # text -> indent unit, for the last few texts
_UNITS_KEPT = 4


def document_indent_unit(document) -> str:
    """``edits.indent_unit`` of the document's text, computed once per document
    (cached on it, shared by every rule context, view and fix built on it) and
    once per text (the same text in a new document object, e.g. re-analysed
    unchanged, reuses it): it reads every line, so computing it per fix made
    many fixes on a big file quadratic."""
    cached = document.__dict__.get("_indent_unit")
    if cached is not None:
        return cached
    text = document.text
    unit = _UNITS.get(text)
    if unit is None:
        unit = indent_unit(text)
        while len(_UNITS) >= _UNITS_KEPT:
            _UNITS.pop(next(iter(_UNITS)))
        _UNITS[text] = unit
    document.__dict__["_indent_unit"] = unit
    return unit


class Lines:
    """Line-level access to a document for the rewrites (1-based line numbers)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.text = ctx.document.text
        self.index = ctx.document.index
        self.unit = document_indent_unit(ctx.document)
        self.newline = ctx.document.newline

    def line(self, number: int) -> str:
        return self.index.line_text(number - 1)

    def start(self, number: int) -> int:
        return self.index.line_starts[number - 1]

    def end(self, number: int) -> int:
        return self.start(number) + len(self.line(number))

    def indent(self, number: int) -> str:
        line = self.line(number)
        return line[: len(line) - len(line.lstrip(" \t"))]

    def owns_lines(self, stmt: ast.stmt) -> bool:
        """True when ``stmt`` alone fills its lines (no ``;`` neighbour, comments allowed)."""
        first = self.line(stmt.lineno)
        start_col = len(first.encode("utf-8")[: stmt.col_offset].decode("utf-8", "ignore"))
        if first[:start_col].strip():
            return False
        last = self.line(stmt.end_lineno or stmt.lineno)
        end_col = len(last.encode("utf-8")[: stmt.end_col_offset or 0].decode("utf-8", "ignore"))
        rest = last[end_col:].strip()
        return not rest or rest.startswith("#")

    def shifted(self, first: int, last: int, extra: str, skip: set[int] = frozenset()) -> list[str]:
        out = []
        for number in range(first, last + 1):
            if number in skip:
                continue
            line = self.line(number)
            out.append(extra + line if line.strip() else "")
        return out


def _used_names(info: FunctionInfo) -> set[str]:
    cache = _cache(info)
    if "used" in cache:
        return cache["used"]
    names = {n.id for n in ast.walk(info.node) if isinstance(n, ast.Name)}
    names |= {a.arg for a in ast.walk(info.node) if isinstance(a, ast.arg)}
    cache["used"] = names
    return names


def fresh_name(info: FunctionInfo, wanted: str, taken: set[str] = frozenset()) -> str:
    used = _used_names(info) | set(taken)
    name, n = wanted, 1
    while name in used:
        n += 1
        name = f"{wanted}_{n}"
    return name


def _has_multiline_string(nodes: Iterable[ast.AST]) -> bool:
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, (ast.Constant, ast.JoinedStr)) and isinstance(getattr(node, "value", ""), (str, list)) \
                    and (node.end_lineno or node.lineno) > node.lineno:
                return True
    return False


def _leaves_early(body: list[ast.stmt]) -> str | None:
    """``break``/``return``/``yield`` that would end the loop (not nested loops' ``break``)."""
    def walk(node: ast.AST, in_inner_loop: bool) -> str | None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return None
        if isinstance(node, ast.Return):
            return "`return`"
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return "`yield`" if not isinstance(node, ast.Await) else "`await`"
        if isinstance(node, ast.Break) and not in_inner_loop:
            return "`break`"
        inner = in_inner_loop or isinstance(node, LOOP_STATEMENTS)
        orelse = node.orelse if isinstance(node, LOOP_STATEMENTS) else []  # a loop's `else:` runs once
        for child in ast.iter_child_nodes(node):
            found = walk(child, in_inner_loop if any(child is s for s in orelse) else inner)
            if found:
                return found
        return None

    for stmt in body:
        found = walk(stmt, False)
        if found:
            return found
    return None


def _iter_text(ctx, node: ast.expr) -> str:
    text = ctx.text(node)
    if isinstance(node, (ast.Tuple, ast.NamedExpr, ast.Yield)) and not text.startswith("("):
        text = f"({text})"
    return text


# -- batching ------------------------------------------------------------------------
#
# Two fixes share this code: *in-loop* batching (LIME201/LIME204: the loop commits
# per item) and *after-loop* batching (LIME202: one unit of work for every item,
# committed after the loop).  `batching_plan` finds the shape (which statements
# move where) and `_batching_edit` writes it; whether the rewrite keeps what the
# task does is each fix's preconditions' question, stated in one function next to
# its rule's Fix safety docs (`lime201_commit_in_loop.in_loop_batching_preconditions`,
# `lime202_unbounded_unit_of_work.after_loop_batching_preconditions`), with the
# queries below (on ctx.index and ctx.effects).
@dataclass(eq=False)
class BatchPlan:
    """What the batching fix would move where, for one loop."""

    loop: Loop
    #: "in-loop" (a commit per item) or "after-loop" (one commit of everything).
    mode: str
    #: The unit of work's name.
    uow: str
    commit: UowCall
    commit_stmt: ast.Expr
    #: ``uow = app.unit_of_work()``, in the loop (``create_inside``) or before it.
    create: ast.Assign
    create_inside: bool
    #: Every ``uow.add(...)`` of this unit of work inside the loop.
    adds: list[UowCall]
    #: In-loop: the loop body's top-level ``try`` whose body holds the commit.
    try_stmt: ast.Try | None = None
    #: ``name += ...`` statements after the commit in that ``try`` and in its ``else:``.
    counters: list[ast.AugAssign] = field(default_factory=list)
    #: After-loop: the statements between the loop and the commit.
    between: list[ast.stmt] = field(default_factory=list)
    #: In-loop: ``if <test>:`` around the commit, directly in the loop body; the
    #: batch commit keeps it when the test is the same for every item
    #: (:func:`guard_is_loop_invariant`), else the fix is withheld.
    commit_guard: ast.If | None = None


@dataclass(frozen=True)
class FixVerdict:
    """What a fix's preconditions found: ``withheld`` says why one is known to be
    false (the fix is not offered, the finding says why); ``hazards`` name the ones
    that cannot be proven (the fix is unsafe and its title names them)."""

    withheld: str | None = None
    hazards: tuple[str, ...] = ()


def batching_fix(ctx, loop: Loop, mode: str, preconditions) -> Fix | str:
    """Rewrite ``loop`` to commit one unit of work per ``batch-size`` items.

    ``mode`` is "in-loop" or "after-loop"; ``preconditions(ctx, plan)`` returns the
    :class:`FixVerdict` of the fix.  Returns the fix, or the reason it is not
    offered (a shape the rewrite cannot express, or a precondition that is false)."""
    cache = ctx.__dict__.setdefault("_batching_fixes", {})
    key = (id(loop.node), mode)
    if key not in cache:
        try:
            plan = batching_plan(ctx, loop, mode)
            verdict = preconditions(ctx, plan)
            if verdict.withheld:
                raise _NoFix(verdict.withheld)
            cache[key] = _batching_edit(ctx, plan, verdict.hazards)
        except _NoFix as reason:
            cache[key] = str(reason)
    return cache[key]


def _import(ctx, module: str, name: str | None = None) -> Edit | None:
    """``import_edit`` once per document (it indexes the whole text)."""
    cache = ctx.__dict__.setdefault("_import_edits", {})
    if (module, name) not in cache:
        cache[module, name] = import_edit(ctx.document.text, ctx.tree, module, name, ctx.document.newline)
    return cache[module, name]


class _NoFix(Exception):
    pass


def _itertools_hidden(index) -> bool:
    """Whether a binding of ``itertools`` other than ``import itertools`` exists in
    the module (a variable, a parameter, ``import x as itertools``): the rewrite's
    ``itertools.islice`` would then call something else."""
    for scope in index.scopes:
        for binding in scope.bindings.get("itertools", ()):
            statement = index.parent(binding)
            if not (isinstance(binding, ast.alias) and binding.name == "itertools" and binding.asname is None
                    and isinstance(statement, ast.Import)):
                return True
    return False


def batching_plan(ctx, loop: Loop, mode: str) -> BatchPlan:
    """The shape of the batching rewrite of ``loop``; raises ``_NoFix`` with the
    reason when the rewrite cannot express it."""
    node = loop.node
    info = loop.function
    index = ctx.index
    if not isinstance(node, ast.For):
        raise _NoFix("only a `for` loop can be batched automatically" if not isinstance(node, ast.AsyncFor)
                     else "an `async for` loop is not batched automatically")
    if node.orelse:
        raise _NoFix("the loop has an `else:` clause")
    early = _leaves_early(node.body)
    if early:
        raise _NoFix(f"the loop can leave early ({early}), which would skip the last batch's commit")
    if _itertools_hidden(index):
        raise _NoFix("`itertools` names something else in this module, and the batch loop needs the module")
    if node.body[0].lineno == node.lineno:
        raise _NoFix("the loop body is on the `for` line")
    lines = Lines(ctx)
    if lines.line(node.lineno).strip().split()[0] != "for":
        raise _NoFix("the loop does not start its line")
    if _has_multiline_string(node.body):
        raise _NoFix("the loop holds a multi-line string, which re-indenting would change")
    between: list[ast.stmt] = []
    if mode == "in-loop":
        commits = [c for c in info.uow_calls if c.kind == "commit" and c.loop is loop]
        if len(commits) != 1:
            raise _NoFix("the loop commits in more than one place" if commits else "the loop does not commit itself")
        commit = commits[0]
    else:
        commit, between = _commit_after(ctx, loop)
    commit_stmt = index.parent(commit.node)
    if not isinstance(commit_stmt, ast.Expr) or not lines.owns_lines(commit_stmt):
        raise _NoFix("the result of `commit()` is used, or the commit shares its line")
    uow = commit.name
    if uow is None:
        raise _NoFix("the unit of work is not a plain name")
    # The creation.
    creates = []
    for call in info.uow_calls:
        stmt = index.parent(call.node)
        if call.kind == "create" and isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == uow:
            creates.append(stmt)
    inside = [s for s in creates if index.contains(node, s)]
    if len(inside) > 1:
        raise _NoFix("the loop creates the unit of work in more than one place")
    if inside:
        create, create_inside = inside[0], True
    else:
        loop_block = index.block_of(node)
        before = [s for s in creates if (s.end_lineno or s.lineno) < node.lineno]
        if not before:
            raise _NoFix(f"`{uow}` is not created in this function")
        create, create_inside = before[-1], False
        create_block = index.block_of(create)
        if loop_block is None or create_block is None or create_block[2] is not loop_block[2]:
            raise _NoFix(f"`{uow}` is created in another block than the loop")
    if not lines.owns_lines(create):
        raise _NoFix("the unit of work is created on a shared line")
    adds = [c for c in info.uow_calls if c.kind == "add" and c.name == uow and index.contains(node, c.node)]
    # Every use of the unit of work must be the creation, an add in the loop, or the commit.
    allowed = {id(create.targets[0]), id(commit.node.func.value)}  # type: ignore[union-attr]
    allowed |= {id(c.node.func.value) for c in adds}  # type: ignore[union-attr]
    for name in ast.walk(info.node):
        if isinstance(name, ast.Name) and name.id == uow and id(name) not in allowed:
            raise _NoFix(f"`{uow}` is used outside the loop's add and commit calls")
    # Where the commit sits: directly, under if/with, or in one top-level try.
    path = _statements_between(index, commit_stmt, node)
    tries = [a for a in path if isinstance(a, ast.Try)]
    try_stmt: ast.Try | None = None
    if tries and mode == "in-loop":
        try_stmt = tries[-1]
        if not any(index.contains(s, commit_stmt) for s in tries[0].body):
            raise _NoFix("the commit runs only in an `except`, `else:` or `finally:` clause")
        if len(tries) > 1 or not any(s is try_stmt for s in node.body) or \
                not any(index.contains(s, commit_stmt) for s in try_stmt.body):
            raise _NoFix("the commit is inside a nested `try`")
    elif mode == "in-loop" and any(not isinstance(a, (ast.If, ast.With)) for a in path):
        raise _NoFix("the commit is nested in a statement the fix cannot move")
    if create_inside:
        create_path = _statements_between(index, create, node)
        if any(isinstance(a, (ast.If, ast.With, ast.AsyncWith)) for a in create_path):
            # Items that skip the creation used the previous item's unit of work (or
            # none yet: UnboundLocalError); one per batch would change both.
            raise _NoFix("the unit of work is created only under a condition or inside a `with`, not once "
                         "for every item")
        if any(not isinstance(a, ast.Try) or a is not try_stmt for a in create_path):
            raise _NoFix("the unit of work is created in a nested statement the fix cannot move")
        # Created in the item before the `try` that guards its commit: per item, a
        # failed commit's unit of work is dropped with its item all the same, and
        # the batch's one is created before the item loop, outside any `try`, as
        # the item's was.  (What may raise between an add and the commit inside
        # that `try` is a precondition: raising_after_first_add.)
    counters = _try_counters(try_stmt, commit_stmt, node) if try_stmt is not None else []
    guard = index.parent(commit_stmt)
    commit_guard = guard if mode == "in-loop" and try_stmt is None and isinstance(guard, ast.If) \
        and any(s is commit_stmt for s in guard.body) and any(s is guard for s in node.body) else None
    return BatchPlan(loop, mode, uow, commit, commit_stmt, create, create_inside, adds, try_stmt, counters,
                     between, commit_guard)


def _statements_between(index, stmt: ast.AST, stop: ast.AST) -> list[ast.AST]:
    """The statements (and ``except`` handlers) enclosing ``stmt`` inside ``stop``, innermost first."""
    out = []
    for ancestor in index.ancestors(stmt):
        if ancestor is stop:
            break
        if isinstance(ancestor, (ast.stmt, ast.ExceptHandler)):
            out.append(ancestor)
    return out


def _try_counters(try_stmt: ast.Try, commit_stmt: ast.stmt, loop_node: ast.For) -> list[ast.AugAssign]:
    """The counters a per-item ``try`` updates once its item's commit succeeded:
    ``name += ...`` after the commit in its body, and its ``else:`` clause.
    Anything else there runs only for items whose commit succeeded, which a
    batch cannot express: ``_NoFix``."""
    counters: list[ast.AugAssign] = []
    after = [s for s in _statements(try_stmt.body) if s.lineno > (commit_stmt.end_lineno or commit_stmt.lineno)]
    for stmt in after:
        if _is_counter(stmt):
            counters.append(stmt)  # type: ignore[arg-type]
        elif not isinstance(stmt, ast.Pass):
            raise _NoFix("code after the commit in the `try` runs only when that item's commit succeeds")
    for stmt in try_stmt.orelse:
        if _is_counter(stmt):
            counters.append(stmt)  # type: ignore[arg-type]
        elif not isinstance(stmt, ast.Pass):
            raise _NoFix("the `try`'s `else:` clause runs only when that item's commit succeeds")
    if try_stmt.finalbody:
        raise _NoFix("the `try` has a `finally:` clause, which runs once per item")
    names = {c.target.id for c in counters}  # type: ignore[union-attr]
    before_commit = [s for s in _statements(try_stmt.body) if s.lineno < commit_stmt.lineno]
    if any(isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id in names
           for s in before_commit):
        raise _NoFix("a counter changes both before and after the commit")
    index = next(i for i, s in enumerate(loop_node.body) if s is try_stmt)
    if loop_node.body[index + 1:]:
        raise _NoFix("statements after the `try` run for every item, even failed ones")
    for handler in try_stmt.handlers:
        if handler.body[0].lineno == handler.lineno:
            raise _NoFix("an `except` clause has its body on its own line")
    return counters


def _is_counter(stmt: ast.stmt) -> bool:
    """``name += 1`` / ``name -= n``: a counter whose step cannot fail or change."""
    return isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
        and isinstance(stmt.op, (ast.Add, ast.Sub)) and isinstance(stmt.value, (ast.Constant, ast.Name))


def _commit_after(ctx, loop: Loop) -> tuple[UowCall, list[ast.stmt]]:
    """The ``uow.commit()`` statement after the loop in its block, and the
    statements between them."""
    info = loop.function
    commits = {id(c.node): c for c in info.uow_calls if c.kind == "commit"}
    between: list[ast.stmt] = []
    for stmt in ctx.index.following(loop.node):
        if isinstance(stmt, ast.Expr) and id(stmt.value) in commits:
            return commits[id(stmt.value)], between
        if any(id(n) in commits for n in ast.walk(stmt)):
            raise _NoFix("the result of `commit()` is used, or the commit is nested in a statement after the loop")
        between.append(stmt)
    raise _NoFix("the commit is not in the loop's block after it")


# -- batching: the queries the preconditions ask -------------------------------------
def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno or node.lineno), (node.end_col_offset or 0)  # type: ignore[attr-defined]


def commit_conditions(ctx, plan: BatchPlan) -> list[str]:
    """What can make the per-item commit not run for an item that added an
    object (described for a message): an ``if``/``else``, ``and``/``or``, a
    ``with`` that may suppress its exception, an ``except``/``else``/``finally``,
    or a ``continue``/``raise``/... between an add and the commit.  A statement
    that leaves the item before any add runs (``if not row: continue`` first) is
    no condition: that item adds nothing and commits nothing either way."""
    out: list[str] = []
    index = ctx.index
    for construct in ctx.effects.conditions_between(plan.commit.node, plan.loop.node):
        if not index.contains(construct, plan.commit.node):  # an earlier statement that may leave
            if all(_position(a.node) > _end(construct) for a in plan.adds):
                continue
            out.append(f"{code_snippet(ctx, construct)} can leave the item after an object was added, "
                       "skipping the commit")
        elif isinstance(construct, ast.If):
            if construct is plan.commit_guard and guard_is_loop_invariant(ctx, plan):
                continue  # the batch commit keeps the same `if`
            out.append(f"the commit runs only under `if {ctx.text(construct.test)}:`")
        elif isinstance(construct, (ast.With, ast.AsyncWith)):
            managers = ", ".join(ctx.text(i.context_expr) for i in construct.items)
            out.append(f"the commit is inside `with {managers}:`, which may suppress its exception")
        elif isinstance(construct, (ast.BoolOp, ast.IfExp)):
            out.append("the commit runs only under a condition (`and`/`or`/`if`-expression)")
        elif isinstance(construct, (ast.ExceptHandler, ast.Try)):
            out.append("the commit runs only in an `except`, `else` or `finally` clause")
        else:
            out.append(f"the commit runs only sometimes ({code_snippet(ctx, construct)})")
    for statement in _statements_between(index, plan.commit_stmt, plan.loop.node):
        if isinstance(statement, (ast.With, ast.AsyncWith)) and not ctx.effects.may_suppress(statement):
            managers = ", ".join(ctx.text(i.context_expr) for i in statement.items)
            out.append(f"the commit is inside `with {managers}:`, which the batch commit would run outside of")
    return out


def guard_is_loop_invariant(ctx, plan: BatchPlan) -> bool:
    """Whether the ``if`` around the commit has the same outcome for every item,
    so one ``if`` around the batch commit decides what each item's did: its test
    is names, constants, ``not``/``and``/``or`` and comparisons only (nothing to
    call, nothing that can fail once the names are bound), the names are the
    function's own (parameters or locals, which no call can rebind), bound
    before the loop, and nothing in the loop rebinds or changes them."""
    guard = plan.commit_guard
    if guard is None:
        return False
    index = ctx.index
    loop_node = plan.loop.node
    function = plan.loop.function.node
    names = set()
    for node in ast.walk(guard.test):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(node, (ast.Constant, ast.UnaryOp, ast.Not, ast.BoolOp, ast.And, ast.Or, ast.Compare,
                                   ast.Is, ast.IsNot, ast.Eq, ast.NotEq, ast.expr_context)):
            return False
    for name in names:
        if not index.is_local(name, function) or not index.definitely_bound(name, loop_node):
            return False
    if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(loop_node.target)):
        return False
    return not ctx.effects.of_block(loop_node.body).changes(names)


def code_snippet(ctx, node: ast.AST, limit: int = 60) -> str:
    """The first line of ``node``'s code in backticks, shortened to ``limit``
    characters, to name it in a message (messages carry no line numbers: the
    editor reuses the findings of unchanged code after edits above it)."""
    text = ctx.text(node).strip().splitlines()[0] if ctx.text(node).strip() else ""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"`{text}`"


def adds_after_commit(plan: BatchPlan) -> list[UowCall]:
    """In-loop: adds that run after the item's commit (the next item's commit, or
    none, saved them before the fix; the batch commit would save them)."""
    end = _end(plan.commit_stmt)
    return [a for a in plan.adds if _position(a.node) > end]


@dataclass
class AddedObjects:
    """Names that may hold an object added to the unit of work in the loop."""

    #: Names that may hold such an object itself.
    direct: set[str] = field(default_factory=set)
    #: Names that may hold one inside (a list, dict, attribute...).
    containers: set[str] = field(default_factory=set)

    @property
    def names(self) -> set[str]:
        return self.direct | self.containers


def added_objects(ctx, plan: BatchPlan) -> AddedObjects:
    """The names of the function through which an added object may be reached
    (a conservative alias closure over its own code: assignments, ``for``
    targets, containers the object is stored in or taken from, calls it is
    passed to).  A Lime object made by a limetype constructor or read with
    ``get()`` is a new object, held by nobody else."""
    info = plan.loop.function
    found = AddedObjects()
    for add in plan.adds:
        for arg in [*add.node.args, *(k.value for k in add.node.keywords)]:
            _alias(ctx, arg, found, as_direct=True)
    own = [n for n in ctx.index.own_nodes(info.node)]
    changed = True
    while changed:
        before = (len(found.direct), len(found.containers))
        for node in own:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) \
                    and getattr(node, "value", None) is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                if _mentions(value, found.names):
                    whole = _may_be_the_object(value, found)
                    for target in targets:
                        for leaf in flatten_targets(target):
                            if isinstance(leaf, ast.Name):
                                (found.direct if whole else found.containers).add(leaf.id)
                            else:  # `kept[key] = obj` or `(obj, 1)`: a container of it (an object's own
                                # attribute set from its values is a change of it, counted below)
                                found.containers.update(_roots([leaf]) - found.direct)
                if any(isinstance(leaf, ast.Name) and leaf.id in found.direct
                       for target in targets for leaf in flatten_targets(target)):
                    _alias(ctx, value, found, as_direct=True)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                target_names = {n.id for n in flatten_targets(node.target) if isinstance(n, ast.Name)}
                if _mentions(node.iter, found.names):
                    found.direct.update(target_names)
                if target_names & found.direct:
                    _alias(ctx, node.iter, found, as_direct=False)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and any(_mentions(a, found.names) for a in [*node.args, *(k.value for k in node.keywords)]):
                found.containers.update(_roots([node.func.value]))  # `kept.append(obj)`
        changed = (len(found.direct), len(found.containers)) != before
    return found


def _alias(ctx, expr: ast.AST, found: AddedObjects, as_direct: bool) -> None:
    """Record the names ``expr`` takes an added object from."""
    if _is_new_object(ctx, expr):
        return
    if isinstance(expr, ast.Name):
        (found.direct if as_direct else found.containers).add(expr.id)
    elif isinstance(expr, (ast.Attribute, ast.Subscript, ast.Starred)):
        found.containers.update(_roots([expr]))
    else:
        found.containers.update(n.id for n in ast.walk(expr) if isinstance(n, ast.Name))


def _is_new_object(ctx, expr: ast.AST) -> bool:
    """A limetype constructor call or a ``get``/``get_all`` read: a new object nobody else holds."""
    if not isinstance(expr, ast.Call):
        return False
    function = ctx.index.function_of(expr)
    info = ctx.model.function_at(function) if function is not None else None
    if info is None:
        return False
    if any(read.node is expr for read in info.reads):
        return True
    role = _role_of(expr.func, info.names, ctx.model.imports)
    return role is not None and role.kind == "limetype"


def _may_be_the_object(value: ast.AST, found: AddedObjects) -> bool:
    """Whether ``value`` may evaluate to an added object itself (not a container
    of it, not a value computed from it)."""
    if isinstance(value, ast.Name):
        return value.id in found.names
    if isinstance(value, ast.IfExp):
        return _may_be_the_object(value.body, found) or _may_be_the_object(value.orelse, found)
    if isinstance(value, ast.BoolOp):
        return any(_may_be_the_object(v, found) for v in value.values)
    if isinstance(value, ast.NamedExpr):
        return _may_be_the_object(value.value, found)
    if isinstance(value, ast.Attribute) and value.attr == "value" and isinstance(value.value, ast.Attribute) \
            and isinstance(value.value.value, ast.Attribute) and value.value.value.attr == "properties":
        return False  # `obj.properties.name.value`: a property's value
    if isinstance(value, (ast.Attribute, ast.Subscript, ast.Call)):
        return _mentions(value, found.names)
    return False  # a display, an f-string, arithmetic, a comparison: a new value


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _roots(nodes: Iterable[ast.AST]) -> set[str]:
    out = set()
    for node in nodes:
        depth = 0
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
            node = node.func if isinstance(node, ast.Call) else node.value
            depth += 1
        if isinstance(node, ast.Name):
            out.add(node.id)
    return out


def _depth(node: ast.AST) -> tuple[str | None, int]:
    """``("a", 3)`` for ``a.b[c].d``: the root name and how many steps below it."""
    depth = 0
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
        depth += 1
    return (node.id if isinstance(node, ast.Name) else None), depth


@dataclass(frozen=True)
class ObjectChange:
    """A place in the loop that may change an added object."""

    node: ast.AST
    name: str
    #: Whether ``name`` holds an object made afresh earlier in the same item (the
    #: loop's target, or a constructor/``get()`` bound on every path before it).
    fresh: bool
    #: Whether the same item adds ``name`` again after the change, on every path,
    #: before its commit (so the changed state is committed with that item).
    readded: bool = False

    def describe(self, ctx) -> str:
        return f"{code_snippet(ctx, self.node)} changes `{self.name}`"


def added_object_changes(ctx, plan: BatchPlan, objects: AddedObjects | None = None) -> list[ObjectChange]:
    """The places in the loop that may change an object added to the unit of
    work: attribute/subscript stores through a name that holds it (or, two steps
    down, through a container of it), and calls that may mutate such a name
    (``ctx.effects``: unknown methods, helpers that change their argument).
    Storing into a container (``kept[k] = obj``, ``kept.append(obj)``) changes
    the container, not the object, and is not listed."""
    objects = objects or added_objects(ctx, plan)
    names = objects.names
    if not names:
        return []
    loop_node = plan.loop.node
    index = ctx.index
    own = [n for n in index.own_nodes(plan.loop.function.node) if index.contains(loop_node, n) and n is not loop_node]
    skip = {id(a.node) for a in plan.adds} | {id(plan.commit.node)}
    out: list[ObjectChange] = []
    for node in own:
        hits: list[str] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for leaf in flatten_targets(target):
                    root, depth = _depth(leaf)
                    if root is None or depth == 0:
                        continue
                    if root in objects.direct or (root in objects.containers and depth >= 2):
                        hits.append(root)
        elif isinstance(node, ast.Call) and id(node) not in skip:
            mutated = set(ctx.effects.of_call(node).mutates) & names
            func = node.func
            for name in sorted(mutated):
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                        and func.value.id == name and name not in objects.direct \
                        and func.attr in MUTATING_METHODS:
                    continue  # `kept.append(obj)`: the container changes
                hits.append(name)
        for name in dict.fromkeys(hits):
            stmt = index.statement_of(node) or node
            fresh = name not in objects.containers and _fresh_in_item(ctx, plan, name, node)
            out.append(ObjectChange(stmt, name, fresh, _readded_after(ctx, plan, name, stmt)))
    return out


def _readded_after(ctx, plan: BatchPlan, name: str, stmt: ast.AST) -> bool:
    """Whether ``uow.add(name)`` runs after ``stmt`` in the same item on every
    path (the add is conditional on nothing but leaving the item before
    ``stmt``), with ``name`` not rebound in between."""
    index = ctx.index
    start = _end(stmt)
    commit_at = _position(plan.commit_stmt) if plan.mode == "in-loop" else None
    bindings = [b for b in index.bindings_in(plan.loop.function.node, name) if hasattr(b, "lineno")]
    for add in plan.adds:
        if not (len(add.node.args) == 1 and isinstance(add.node.args[0], ast.Name) and add.node.args[0].id == name):
            continue
        at = _position(add.node)
        if at <= start or (commit_at is not None and at > commit_at):
            continue
        if any(start < _position(b) < at for b in bindings):
            continue
        conditions = ctx.effects.conditions_between(add.node, plan.loop.node)
        if all(not index.contains(c, add.node) and _end(c) <= _position(stmt) for c in conditions):
            return True
    return False


def _fresh_in_item(ctx, plan: BatchPlan, name: str, at: ast.AST) -> bool:
    """Whether ``name`` at ``at`` holds an object made afresh in the current item:
    every binding of it in the function is the loop's target or a constructor /
    ``get()`` in the loop body, and one of them runs on every path before ``at``
    (so it cannot still hold an earlier item's object).  Items of the loop's
    iterable are taken to be distinct objects."""
    index = ctx.index
    loop_node = plan.loop.node
    bindings = index.bindings_in(plan.loop.function.node, name)
    if not bindings:
        return False
    for binding in bindings:
        if index.contains(loop_node.target, binding):
            continue  # `for deal in ...`, `for i, deal in enumerate(...)`
        stmt = index.statement_of(binding)
        if not (isinstance(stmt, ast.Assign) and index.contains(loop_node, stmt) and len(stmt.targets) == 1
                and stmt.targets[0] is binding and _is_new_object(ctx, stmt.value)):
            return False
    return index.definitely_bound(name, at)


def uses_after_commit(ctx, plan: BatchPlan, objects: AddedObjects | None = None) -> list[ast.stmt]:
    """In-loop: statements of the item after its commit that use an added object
    (its id and saved values exist only once the batch is committed)."""
    objects = objects or added_objects(ctx, plan)
    end = _end(plan.commit_stmt)
    index = ctx.index
    out = []
    for node in index.own_nodes(plan.loop.function.node):
        if isinstance(node, ast.Name) and node.id in objects.names and index.contains(plan.loop.node, node) \
                and _position(node) > end and not index.contains(plan.loop.node.target, node):
            if plan.try_stmt is not None and any(index.contains(h, node) for h in plan.try_stmt.handlers):
                continue  # a handler runs for a failed item (or batch): its objects are unsaved either way
            stmt = index.statement_of(node)
            if stmt is not None and not any(stmt is s for s in out) and not any(stmt is c for c in plan.counters):
                out.append(stmt)
    return out


def after_commit_effects(ctx, plan: BatchPlan) -> Effects:
    """In-loop: what the item does after its commit (counters of a per-item
    ``try`` aside); after the fix it runs before the batch is committed."""
    end = _end(plan.commit_stmt)
    statements = [s for s in _statements(plan.loop.node.body) if _position(s) > end
                  and not any(s is c for c in plan.counters)]
    return ctx.effects.of_block(statements)


def raising_after_first_add(ctx, plan: BatchPlan) -> list[ast.AST]:
    """In a per-item ``try``: what may raise between the item's first add and its
    commit.  Before the fix such an exception left the added object uncommitted
    (the handler skipped the item); after it the object would already be in the
    batch and be saved.

    Proven not to raise, and only these: ``pass``; a name bound to a constant, a
    name or an f-string/display of those (:func:`cannot_fail`); another add of
    this unit of work whose argument is a new Lime object (a limetype
    constructor called with names and constants, or a name every binding of
    which in the function is one).  Anything else there may raise (a call, a
    subscript, a comparison, unpacking, a loop's next item, an ``if`` test...),
    including a loop around the first add that goes on after it."""
    if plan.try_stmt is None:
        return []
    end = _position(plan.commit_stmt)
    # The item's first add, inside the `try` or before it (an add before the
    # `try` is in the item's unit of work as much as one inside it).
    earlier = [a for a in plan.adds if _position(a.node) < end]
    if not earlier:
        return []
    first = min(earlier, key=lambda a: _position(a.node)).node
    start = _end(first)
    adds = {id(a.node) for a in plan.adds}
    out: list[ast.AST] = []
    if ctx.index.contains(plan.try_stmt, first):
        for ancestor in ctx.index.ancestors(first):
            if ancestor is plan.try_stmt:
                break
            if isinstance(ancestor, (ast.For, ast.AsyncFor, ast.While)):
                out.append(ancestor)  # its next item (or test) comes after this add
    for stmt in plan.try_stmt.body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.stmt) or not start < _position(node) < end:
                continue
            if cannot_fail(ctx, node) or _add_of_new_object(ctx, node, adds):
                continue
            out.append(node)
    return out


def _add_of_new_object(ctx, stmt: ast.stmt, adds: set[int]) -> bool:
    """``uow.add(obj)`` of this plan whose argument is surely a new Lime object."""
    if not (isinstance(stmt, ast.Expr) and id(stmt.value) in adds):
        return False
    call = stmt.value
    if len(call.args) != 1 or call.keywords:
        return False
    arg = call.args[0]
    if isinstance(arg, ast.Call):
        return _is_new_object(ctx, arg) and all(_simple_value(ctx, a, stmt) for a in
                                                [*arg.args, *(k.value for k in arg.keywords)])
    if isinstance(arg, ast.Name):
        function = ctx.index.function_of(stmt)
        bindings = ctx.index.bindings_in(function, arg.id) if function is not None else []
        return bool(bindings) and ctx.index.definitely_bound(arg.id, stmt) and all(
            isinstance(ctx.index.parent(b), ast.Assign) and _is_new_object(ctx, ctx.index.parent(b).value)
            for b in bindings)
    return False


def cannot_fail(ctx, stmt: ast.stmt) -> bool:
    """Whether ``stmt`` surely runs to its end without effects: ``pass``, or a
    plain name bound to a constant, a name or an f-string/display of those."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return all(isinstance(t, ast.Name) for t in targets) and _simple_value(ctx, stmt.value, stmt)
    return False


def _simple_value(ctx, value: ast.AST, at: ast.AST) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Name):
            if not ctx.index.definitely_bound(node.id, at):
                return False
        elif not isinstance(node, (ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Tuple, ast.List,
                                   ast.Load, ast.expr_context)):
            return False
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            return False
    return True


def _loop_calls_effects(ctx, plan: BatchPlan) -> Effects:
    """The effects of the loop's calls other than this unit of work's own
    create/add/commit and the loop's iterable."""
    index = ctx.index
    ours = {id(a.node) for a in plan.adds} | {id(plan.commit.node), id(plan.create.value)}
    total = NOTHING
    for node in index.own_nodes(plan.loop.function.node):
        if isinstance(node, ast.Call) and id(node) not in ours and index.contains(plan.loop.node, node) \
                and not index.contains(plan.loop.node.iter, node):
            total = total | ctx.effects.of_call(node)
    return total


def written_limetypes(ctx, plan: BatchPlan) -> set[str | None]:
    """The limetypes the loop writes through this unit of work: those it creates
    (directly or in helpers) and those of the read objects it adds (the loop's
    target over a read, names bound to a read in the loop).  None: one it
    cannot tell."""
    info = plan.loop.function
    index = ctx.index
    written: set[str | None] = set(ctx.effects.of_block(plan.loop.node.body).creates)
    reads = {id(r.node): r for r in info.reads}
    direct = added_objects(ctx, plan).direct
    loop_node = plan.loop.node
    if set(_target_names(loop_node.target)) & direct:
        for node in ast.walk(loop_node.iter):
            if id(node) in reads:
                written.add(reads[id(node)].limetype)
    for name in direct:
        for binding in index.bindings_in(info.node, name):
            stmt = index.statement_of(binding)
            if isinstance(stmt, ast.Assign) and id(stmt.value) in reads:
                written.add(reads[id(stmt.value)].limetype)
    return written


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in flatten_targets(target) if isinstance(n, ast.Name)]


def own_writes_read(ctx, plan: BatchPlan) -> "FixVerdict | None":
    """The batching fixes' shared precondition: the loop does not read a limetype it
    writes (batched, those reads would see other objects than per item)."""
    own = reads_of_own_writes(ctx, plan)
    if not own:
        return None
    return FixVerdict(f"the loop reads `{own[0]}`, which it also writes: batched, those reads would see other "
                      "objects than per item (pre-fetch the read first, LIME203's fix)")


def reads_of_own_writes(ctx, plan: BatchPlan) -> list[str]:
    """Limetypes the loop body reads (not its iterable) and also writes: per item
    such a read saw the objects committed by earlier items (LIME201) or none of
    them (LIME202); per batch it would see other ones (an existence check before
    a create would let a repeated key through, a repeated id read another state)."""
    read = set(_loop_calls_effects(ctx, plan).reads)
    written = written_limetypes(ctx, plan)
    return sorted(t for t in read & written if t is not None)


def loop_effect_hazards(ctx, plan: BatchPlan) -> list[str]:
    """Hazards of the loop's other code (not this unit of work's add/commit):
    reads that would see other objects, writes/I/O whose order against the
    commits changes, calls whose effects are unknown."""
    total = _loop_calls_effects(ctx, plan)
    hazards = []
    if total.reads:
        names = ", ".join(sorted(f"`{t}`" for t in total.reads if t)) or "Lime"
        hazards.append(f"reads of {names} in the loop see the objects of other batches committed or not "
                       "(before: those of earlier items)")
    hazards.extend(h for h in total.hazards() if not h.startswith("it writes"))
    return hazards[:3]


def _batching_edit(ctx, plan: BatchPlan, hazards: tuple[str, ...]) -> Fix:
    node = plan.loop.node
    info = plan.loop.function
    lines = Lines(ctx)
    create, commit_stmt, try_stmt = plan.create, plan.commit_stmt, plan.try_stmt
    guard = plan.commit_guard
    # An `if` that only held the commit goes with it (its test has no effects).
    moved = guard if guard is not None and len(guard.body) == 1 and not guard.orelse else commit_stmt
    removed = {create, moved} if plan.create_inside else {moved}
    # A per-item `try` that held only what moves to the batch (its commit, the
    # creation) guards nothing left in the item: it goes too, its handlers stay
    # with the batch commit; its `else:` (counters), which then always ran, and
    # its comment lines stay in the item, one level out.
    kept_out: set[int] = set()
    rewritten: dict[int, str] = {}
    if try_stmt is not None and not try_stmt.finalbody and all(stmt in removed for stmt in try_stmt.body):
        removed = {*removed, try_stmt}
        header = lines.line(try_stmt.lineno)
        if "#" in header and header.split("#", 1)[0].strip() == "try:":  # `try:  # why`: the why stays
            rewritten[try_stmt.lineno] = f"{lines.indent(try_stmt.lineno)}#{header.split('#', 1)[1]}"
        body_end = try_stmt.handlers[0].lineno if try_stmt.handlers else try_stmt.orelse[0].lineno
        body_lines = range(try_stmt.lineno + 1, body_end)
        kept_out = {n for n in body_lines if lines.line(n).strip().startswith("#")}
        for stmt in try_stmt.orelse:
            kept_out |= set(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    skip: set[int] = set()
    for stmt in removed:
        skip |= set(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    skip -= kept_out | set(rewritten)
    pass_lines = _emptied_blocks(ctx, removed, node, lines)
    settings = ctx.settings
    size = max(int(settings.batch_size), 1)
    use_batched = tuple(settings.python_version) >= (3, 12)
    taken: set[str] = set()
    batch = fresh_name(info, "batch")
    taken.add(batch)
    indent = lines.indent(node.lineno)
    unit = lines.unit
    iter_text = _iter_text(ctx, node.iter)
    out: list[str] = []
    if use_batched:
        out.append(f"{indent}for {batch} in itertools.batched({iter_text}, {size}):")
    else:
        items = fresh_name(info, "items", taken)
        taken.add(items)
        out.append(f"{indent}{items} = iter({iter_text})")
        out.append(f"{indent}while {batch} := list(itertools.islice({items}, {size})):")
    create_text = _statement_text(lines, create).strip()
    commit_text = _statement_text(lines, commit_stmt).strip()
    header = f"for {ctx.text(node.target)} in {batch}:"
    comment = _header_comment(lines, node)
    # The batch loop's body stands where the item loop's did; the item loop's body
    # (comments after the header included) moves one level in.
    level = lines.indent(node.body[0].lineno)
    body_first = node.lineno + 1
    body_last = node.end_lineno or node.lineno
    snapshots = {c: fresh_name(info, f"{c}_before_batch", taken)
                 for c in dict.fromkeys(s.target.id for s in plan.counters)}  # type: ignore[union-attr]
    for counter, snapshot in snapshots.items():
        out.append(f"{level}{snapshot} = {counter}")
    out.append(f"{level}{create_text}")
    out.append(f"{level}{header}{comment}")
    out.extend(_region(lines, body_first, body_last, unit, skip, pass_lines, outdented=kept_out,
                       rewritten=rewritten))
    if all(stmt in removed for stmt in node.body) and not (try_stmt in removed and try_stmt.orelse):
        out.append(f"{level}{unit}pass")  # nothing of the item is left (it only committed)
    if try_stmt is None and plan.commit_guard is not None:
        guard_text = ctx.text(plan.commit_guard.test)
        out.append(f"{level}if {guard_text}:")
        out.append(f"{level}{unit}{commit_text}")
    elif try_stmt is None:
        out.append(f"{level}{commit_text}")
    else:
        # The item's `try` stays per item (a failing row skips only itself); the
        # batch commit gets the same handlers, which first restore the counters.
        out.append(f"{level}try:")
        out.append(f"{level}{unit}{commit_text}")
        handler_starts = {h.body[0].lineno for h in try_stmt.handlers}
        last = try_stmt.handlers[-1].end_lineno or try_stmt.handlers[-1].lineno
        for number in range(try_stmt.handlers[0].lineno, last + 1):
            if number in handler_starts:
                body_indent = lines.indent(number)
                for counter, snapshot in snapshots.items():
                    out.append(f"{body_indent}{counter} = {snapshot}")
            out.append(lines.line(number))
    start_line = node.lineno
    end_line = node.end_lineno or node.lineno
    prefix: list[str] = []
    if not plan.create_inside:
        for number in range(create.lineno, node.lineno):
            if create.lineno <= number <= (create.end_lineno or create.lineno):
                continue
            prefix.append(lines.line(number))
        start_line = create.lineno
    suffix: list[str] = []
    if plan.mode == "after-loop":
        for number in range(end_line + 1, commit_stmt.lineno):
            suffix.append(lines.line(number))
        end_line = commit_stmt.end_lineno or commit_stmt.lineno
    new_text = "\n".join(prefix + out + suffix)
    edits = [Edit(lines.start(start_line), lines.end(end_line), with_newline(new_text, lines.newline))]
    imp = _import(ctx, "itertools")
    if imp is not None:
        edits.append(imp)
    how = "itertools.batched" if use_batched else "itertools.islice"
    title = f"Commit in batches of {size} (one unit of work per batch, {how})"
    if try_stmt is not None:
        title += ("; error handling becomes per batch for the commit: a failing commit loses its batch and runs "
                  "the `except` clause once")
    if hazards:
        title += "; hazard: " + "; ".join(hazards)
    return Fix(title, tuple(edits), Applicability.UNSAFE)


def _statements(block: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``block``, looking into ``if``/``with``/``try`` bodies
    (not into nested loops, functions or ``except`` handlers)."""
    for stmt in block:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield stmt
            continue
        if isinstance(stmt, (ast.If, ast.With, ast.Try)):
            yield from _statements(stmt.body)
            yield from _statements(getattr(stmt, "orelse", []))
            continue
        yield stmt


def _emptied_blocks(ctx, removed: set[ast.stmt], loop_node: ast.AST, lines: Lines) -> dict[int, str]:
    """Line number -> indentation, for removed statements whose block becomes empty
    (a ``pass`` is written there)."""
    out: dict[int, str] = {}
    for stmt in removed:
        found = ctx.index.block_of(stmt)
        if found is None or found[0] is loop_node or found[0] in removed:  # its block goes with its owner
            continue
        block = found[2]
        if all(s in removed for s in block):
            first = min(block, key=lambda s: s.lineno)
            if stmt is first:
                out[stmt.lineno] = lines.indent(stmt.lineno)
    return out


def _region(lines: Lines, first: int, last: int, extra: str, skip: set[int], passes: dict[int, str],
            outdented: set[int] = frozenset(), rewritten: dict[int, str] | None = None) -> list[str]:
    """Lines ``first..last`` re-indented by ``extra`` (``outdented`` ones one unit
    less: a removed block's lines that stay; ``rewritten`` ones replaced), without
    ``skip``, with a ``pass`` where a removed statement leaves its block empty."""
    out: list[str] = []
    for number in range(first, last + 1):
        if number in passes:
            out.append(f"{extra}{passes[number]}pass")
        if number in skip:
            continue
        line = (rewritten or {}).get(number, lines.line(number))
        if number in outdented and line.startswith(lines.unit):
            line = line[len(lines.unit):]
        out.append(extra + line if line.strip() else "")
    return out


def _statement_text(lines: Lines, stmt: ast.stmt) -> str:
    return "\n".join(lines.line(n) for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)).strip()


def _header_comment(lines: Lines, node: ast.For) -> str:
    line = lines.line(node.lineno)
    if "#" in line and node.body[0].lineno > node.lineno:
        code, _, comment = line.rpartition("#")
        if code.rstrip().endswith(":"):
            return "  #" + comment
    return ""


# -- hoisting ------------------------------------------------------------------------
EXISTENCE_TRUE = (ast.Gt, ast.NotEq, ast.GtE)


def commits_per_batch(loop: Loop, uow: str | None) -> bool:
    """True when ``loop`` is a batch loop: every ``uow.add`` of that unit of work
    inside it runs in a nested loop, so each pass commits a batch of objects;
    or, when it adds nothing, when it iterates batches (``itertools.batched``,
    ``while batch := list(itertools.islice(...))``: what the batching fix
    writes), so it commits once per batch whatever its body does."""
    info = loop.function
    adds = [c for c in info.uow_calls if c.kind == "add" and c.loop is not None and loop in c.loop.chain()
            and (uow is None or c.name == uow)]
    if adds:
        return all(c.loop is not loop for c in adds)
    return iterates_batches(loop)


def iterates_batches(loop: Loop) -> bool:
    """``for batch in itertools.batched(items, n)`` or ``while batch := list(itertools.islice(it, n))``."""
    node = loop.node
    if isinstance(node, ast.While):
        return isinstance(node.test, ast.NamedExpr) and _islice_batch(node.test) is not None
    iterable = loop.iterable
    return isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(iterable, ast.Call) \
        and _call_name(iterable) == "batched" and len(iterable.args) == 2 and not iterable.keywords


def loop_writes(model: LimeModel, loop: Loop, limetype: str | None) -> bool:
    """Whether anything in ``loop`` may write ``limetype`` (adds, commits, creations, committing helpers)."""
    info = loop.function
    for call in info.uow_calls:
        if loop in (call.loop.chain() if call.loop else []):
            return True
    for call in info.calls:
        callee = model.callee(call)
        if callee is not None and loop in (call.loop.chain() if call.loop else []) and \
                (callee.summary.commits or callee.summary.adds):
            return True
    return False


def site_description(site: Site) -> str:
    if site.kind == "read" and site.read is not None:
        return _read_text(site.read)
    if site.kind == "commit":
        return "`commit()`"
    return f"`{site.helper}()`"


def _read_text(read: LimeRead) -> str:
    if read.kind == "fetch":
        return f"`.{read.relation}.fetch()`" if read.relation else "`.fetch()`"
    if read.kind in ("get", "get_all"):
        return f"`{read.limetype or '<limetype>'}.{read.kind}(...)`"
    return f"`{read.kind}(...)`"


__all__ = [
    "RoundTrips", "Site", "LoopSize", "batching_fix", "function_sites", "loop_round_trips",
    "loop_size", "round_trips", "loop_writes", "site_description",
]

_ = Union  # typing re-export guard
