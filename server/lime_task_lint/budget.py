"""The budget of a Lime task at the configured object counts: database round
trips, peak memory and an estimated duration, before and after every fix.

Nothing here is measured: the figures come from the shared models.

* Round trips: :func:`roundtrips.round_trips` / :func:`roundtrips.function_sites`
  (reads and commits of the task, helpers folded in; each site times the
  items of the loops around it).
* Memory: :func:`collections_model.collection_estimate` (collections) and
  :func:`memory.estimate` (a unit of work that keeps the objects added to it
  until its commit).  **Peak** = the largest sum of estimates alive at the same
  line, with this simplification: a collection bound to a name lives from its
  binding to the end of the task (locals live until ``return``), one that is
  not bound (``len(list(...))``, ``for x in helper()``) lives only during its
  statement, a unit of work holds its objects from the loop that adds them to
  its commit.  The lazy iteration of a read (one object at a time) and
  everything else the task allocates are not counted.
* Duration: ``reads x read-latency-ms + commits x commit-latency-ms +
  objects written x write-per-object-ms + external calls x
  external-call-latency-ms + objects x per-object-ms``.  A commit costs its
  fixed overhead plus the objects it writes: objects written = the passes of
  every ``uow.add(...)`` of the task (a helper that commits counts one object
  per commit), so batching one large commit into many only adds the commits'
  overhead.
  External calls are calls of ``requests`` / ``httpx`` / ``urllib.request``
  (and of a session or client made from them), each times the items of the
  loops around it.  Objects processed = the iterations of every loop of the
  task plus the items a ``list()`` / ``set()`` / ``sorted()`` / ``tuple()``
  copies from a read (helpers that read or commit folded in at their call).

The after-fix figures (:func:`file_budgets` with ``with_fixes``) re-run the same
model on the text produced by ``fixer.fix_text(..., unsafe=True)``; tasks are
matched by qualified name.

The model of a document is built once (the analysis' model in the editor);
round trips reuse the caches of :mod:`roundtrips`.  The lens asks for the
figures without a workspace (no jedi); the report may pass one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import memory
from .collections_model import (
    _empty_container,
    accumulator_estimate,
    collection_estimate,
    lime_element,
)
from .model import FunctionInfo, LimeModel, Loop, child_nodes, qualified_name
from .roundtrips import (
    _calls_with_loops,
    function_sites,
    loop_size,
    round_trips,
)

#: Object counts of the memory chart: 100 .. 1,000,000 in quarter decades.
CURVE_COUNTS: tuple[int, ...] = tuple(int(round(10 ** (2 + k / 4))) for k in range(17))
#: Modules whose calls leave the process (one external round trip each).
EXTERNAL_MODULES = ("requests", "httpx", "urllib.request", "urllib3", "aiohttp")
#: Their functions / methods that make a request.
EXTERNAL_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "urlopen", "send",
                  "stream", "fetch"}
#: Constructors of a session / client whose methods make requests.
EXTERNAL_CLIENTS = {"requests.Session", "requests.session", "httpx.Client", "httpx.AsyncClient",
                    "urllib3.PoolManager", "aiohttp.ClientSession"}
COLLECTION_CALLS = ("list", "set", "sorted", "tuple")
MAX_HELPER_DEPTH = 3


# -- results ---------------------------------------------------------------------
@dataclass
class Contributor:
    """One line's share of the task's time (and round trips)."""

    line: int
    what: str
    reads: int = 0
    commits: int = 0
    external: int = 0
    objects: int = 0
    ms: float = 0.0


@dataclass
class MemoryItem:
    """A collection (or unit of work) the task keeps, with the lines it is alive on."""

    line: int
    end_line: int  # last line alive (a very large number: until the task returns)
    what: str
    bytes: int
    count: int
    count_source: str
    name: str | None = None


@dataclass
class TaskBudget:
    name: str  # qualified name
    line: int  # the ``def`` line (1-based)
    start: int  # offsets of the ``def`` line, for the lens
    end: int
    reads: int
    commits: int
    external_calls: int
    objects: int
    peak_bytes: int
    peak_items: list[MemoryItem]
    memory_items: list[MemoryItem]
    contributors: list[Contributor]
    settings_used: dict
    roundtrip_explanation: str = ""
    path: str | None = None
    after: TaskBudget | None = None
    curve: list[tuple[int, int]] = field(default_factory=list)
    fixes_applied: dict[str, int] = field(default_factory=dict)
    #: Objects the task's commits write (each ``uow.add`` times its loops).
    writes: int = 0

    @property
    def round_trips(self) -> int:
        return self.reads + self.commits

    @property
    def budget_mb(self) -> float:
        return self.settings_used["memory_budget_mb"]

    @property
    def budget_share(self) -> float:
        return memory.budget_share(self.peak_bytes, self.budget_mb)

    @property
    def read_ms(self) -> float:
        return self.reads * self.settings_used["read_latency_ms"]

    @property
    def commit_ms(self) -> float:
        """Each commit's overhead plus each object written."""
        return (self.commits * self.settings_used["commit_latency_ms"]
                + self.writes * self.settings_used.get("write_per_object_ms", 0.0))

    @property
    def external_ms(self) -> float:
        return self.external_calls * self.settings_used["external_call_latency_ms"]

    @property
    def object_ms(self) -> float:
        return self.objects * self.settings_used["per_object_ms"]

    @property
    def duration_s(self) -> float:
        return (self.read_ms + self.commit_ms + self.external_ms + self.object_ms) / 1000

    def formula(self) -> str:
        """The duration formula with this task's numbers filled in."""
        s = self.settings_used
        return (f"{plural(self.reads, 'read')} × {s['read_latency_ms']:g} ms + {plural(self.commits, 'commit')} × "
                f"{s['commit_latency_ms']:g} ms + {plural(self.writes, 'object')} written × "
                f"{s.get('write_per_object_ms', 0.0):g} ms + {plural(self.external_calls, 'external call')} × "
                f"{s['external_call_latency_ms']:g} ms + {plural(self.objects, 'object')} × "
                f"{s['per_object_ms']:g} ms = {format_duration_exact(self.duration_s)}")

    def top_contributors(self, limit: int = 5) -> list[Contributor]:
        return sorted(self.contributors, key=lambda c: (-c.ms, c.line))[:limit]

    def lens_title(self) -> str:
        return (f"≈ {plural(self.reads, 'read')} · {plural(self.commits, 'commit')} · "
                f"{memory.format_bytes(self.peak_bytes)} "
                f"({self.budget_share:.0%} of {self.budget_mb:g} MB) · ~{format_duration(self.duration_s)}")

    def to_dict(self) -> dict:
        out = {
            "task": self.name,
            "path": self.path,
            "line": self.line,
            "reads": self.reads,
            "commits": self.commits,
            "objects_written": self.writes,
            "round_trips": self.round_trips,
            "external_calls": self.external_calls,
            "objects": self.objects,
            "peak_memory_bytes": self.peak_bytes,
            "memory_budget_mb": self.budget_mb,
            "budget_share": round(self.budget_share, 4),
            "duration_s": round(self.duration_s, 3),
            "formula": self.formula(),
            "roundtrips": self.roundtrip_explanation,
            "top_contributors": [
                {"line": c.line, "what": c.what, "reads": c.reads, "commits": c.commits,
                 "external_calls": c.external, "objects": c.objects, "ms": round(c.ms, 3)}
                for c in self.top_contributors()],
            "peak_memory_items": [
                {"line": m.line, "what": m.what, "bytes": m.bytes, "count": m.count,
                 "count_source": m.count_source} for m in self.peak_items],
            "curve": [{"objects": n, "peak_memory_bytes": b} for n, b in self.curve],
        }
        if self.after is not None:
            after = self.after.to_dict()
            for key in ("task", "path", "after", "fixes_applied"):
                after.pop(key, None)
            out["after_fixes"] = after
            out["fixes_applied"] = dict(self.fixes_applied)
        return out


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def format_duration(seconds: float) -> str:
    """Short: ``0.4 s``, ``45 s``, ``25 min``, ``3.2 h``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_duration_exact(seconds: float) -> str:
    text = f"{seconds:,.2f} s"
    return text if seconds < 120 else f"{text} (~{format_duration(seconds)})"


def settings_figures(settings) -> dict:
    return {
        "memory_budget_mb": float(settings.memory_budget_mb),
        "read_latency_ms": float(settings.read_latency_ms),
        "commit_latency_ms": float(settings.commit_latency_ms),
        "write_per_object_ms": float(getattr(settings, "write_per_object_ms", 0.0)),
        "external_call_latency_ms": float(settings.external_call_latency_ms),
        "per_object_ms": float(settings.per_object_ms),
        "batch_size": settings.batch_size,
    }


# -- loops -----------------------------------------------------------------------
def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return ""


def _size(loop: Loop, settings) -> tuple[int, str]:
    size = loop_size(loop, settings)
    return max(size.count, 0), size.source


def _multiplicity(loops: Iterable[Loop], settings) -> int:
    total = 1
    for loop in loops:
        total *= _size(loop, settings)[0]
    return total


# -- per function ------------------------------------------------------------------
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _shape(info: FunctionInfo) -> tuple[list[ast.AST], dict[int, ast.stmt]]:
    """The function's own nodes (nested definitions excluded; source order) and
    node -> innermost statement, from one walk per function, kept on it (they do
    not depend on the settings, so the memory curve's many passes share them)."""
    cached = info.__dict__.get("_budget_shape")
    if cached is not None:
        return cached
    nodes: list[ast.AST] = []
    statements: dict[int, ast.stmt] = {}
    stack: list[tuple[ast.AST, ast.stmt | None]] = [(n, n) for n in reversed(info.node.body)]
    while stack:
        node, stmt = stack.pop()
        nodes.append(node)
        if stmt is not None:
            statements[id(node)] = stmt
        children = child_nodes(node)
        for child in reversed(children):
            if not isinstance(child, _NESTED):
                stack.append((child, child if isinstance(child, ast.stmt) else stmt))
    cached = (nodes, statements)
    info.__dict__["_budget_shape"] = cached
    return cached


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _FunctionFigures:
    """Figures of one function (helpers folded in), memoised per settings."""

    def __init__(self, model: LimeModel, settings, workspace, path):
        self.model = model
        self.settings = settings
        self.workspace = workspace
        self.path = path
        self._memo: dict[str, tuple] = {}

    # external calls and objects processed (own body + helpers)
    def work(self, info: FunctionInfo, depth: int = 0) -> tuple[list[Contributor], int, int]:
        key = "work:" + info.qualname
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = ([], 0, 0)  # recursion guard
        settings = self.settings
        contributors: list[Contributor] = []
        external = objects = 0
        clients = self._clients(info)
        external_calls = {id(n) for n in _shape(info)[0]
                          if isinstance(n, ast.Call) and self._is_external(n, clients)}
        for call, loop in _calls_with_loops(info) if external_calls else ():
            if id(call) in external_calls:
                n = _multiplicity(loop.chain(), settings) if loop else 1
                external += n
                name = _short(ast.unparse(call.func), 40)
                contributors.append(Contributor(call.lineno, f"external call `{name}()`", external=n,
                                                ms=n * settings.external_call_latency_ms))
        for loop in info.loops:
            if isinstance(loop.node, ast.While):
                continue  # a while loop repeats work, it does not walk objects (a batch loop's items are its inner loop)
            n = _multiplicity(loop.chain(), settings)
            objects += n
            size, source = _size(loop, settings)
            what = "comprehension" if loop.is_comprehension else "loop"
            contributors.append(Contributor(loop.node.lineno, f"{what} over {size:,} items ({source})",
                                            objects=n, ms=n * settings.per_object_ms))
        for node in _shape(info)[0]:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in COLLECTION_CALLS \
                    and len(node.args) == 1:
                est = collection_estimate(self.model, info, node, settings, workspace=self.workspace, path=self.path)
                if est is not None and not est.hypothetical:
                    objects += est.count
                    contributors.append(Contributor(node.lineno, f"`{node.func.id}()` of {est.count:,} items "
                                                                 f"({est.count_source})",
                                                    objects=est.count, ms=est.count * settings.per_object_ms))
        if depth < MAX_HELPER_DEPTH:
            for call in info.calls:
                callee = self.model.functions.get(call.callee)
                if callee is None or callee is info or not (callee.summary.reads or callee.summary.commits):
                    continue
                _, h_external, h_objects = self.work(callee, depth + 1)
                n = _multiplicity(call.loop.chain(), settings) if call.loop else 1
                if h_external or h_objects:
                    external += h_external * n
                    objects += h_objects * n
                    contributors.append(Contributor(
                        call.node.lineno, f"helper `{callee.qualname}()`", external=h_external * n,
                        objects=h_objects * n,
                        ms=n * (h_external * settings.external_call_latency_ms + h_objects * settings.per_object_ms)))
        result = (contributors, external, objects)
        self._memo[key] = result
        return result

    def _clients(self, info: FunctionInfo) -> set[str]:
        names: set[str] = set()
        for node in _shape(info)[0]:
            value, targets = None, []
            if isinstance(node, ast.Assign):
                value, targets = node.value, node.targets
            elif isinstance(node, ast.withitem):
                value, targets = node.context_expr, [node.optional_vars] if node.optional_vars else []
            if isinstance(value, ast.Call) and qualified_name(value.func, self.model.imports) in EXTERNAL_CLIENTS:
                names.update(t.id for t in targets if isinstance(t, ast.Name))
        return names

    def _is_external(self, call: ast.Call, clients: set[str]) -> bool:
        func = call.func
        verb = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if verb not in EXTERNAL_VERBS:
            return False
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in clients:
            return True
        name = qualified_name(func, self.model.imports) or ""
        return any(name == m or name.startswith(m + ".") for m in EXTERNAL_MODULES)

    # memory
    def memory_items(self, info: FunctionInfo, depth: int = 0) -> list[MemoryItem]:
        key = "mem:" + info.qualname
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []  # recursion guard
        settings = self.settings
        model = self.model
        forever = 10 ** 9
        nodes, statements = _shape(info)
        items: list[MemoryItem] = []
        counted: set[int] = set()

        def estimate_of(node: ast.AST):
            try:
                return collection_estimate(model, info, node, settings, workspace=self.workspace, path=self.path)
            except Exception:  # an odd shape must never cost the report its other figures
                return None

        def skip_subtree(node: ast.AST) -> None:
            for sub in ast.walk(node):
                counted.add(id(sub))

        # Collections bound to a name: alive until the task returns.
        for node in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                    continue
                name = targets[0].id
                value = node.value
                container = _empty_container(value)
                if container is not None:
                    est = accumulator_estimate(model, info, name, container, settings, workspace=self.workspace,
                                               path=self.path)
                else:
                    est = estimate_of(value)
                if est is not None and not est.hypothetical:
                    skip_subtree(value)
                    items.append(MemoryItem(node.lineno, forever, f"`{name}`: {est.container} of {est.count:,} "
                                            f"{est.element_label}s", est.estimate.total_bytes, est.count,
                                            est.count_source, name))
        # Collections not bound to a name: alive during their statement.
        for node in nodes:
            if id(node) in counted:
                continue
            if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp)) or \
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in COLLECTION_CALLS:
                est = estimate_of(node)
                if est is None or est.hypothetical:
                    continue
                skip_subtree(node)
                stmt = statements.get(id(node))
                end = (stmt.end_lineno or stmt.lineno) if stmt is not None else node.lineno
                items.append(MemoryItem(node.lineno, end, f"{est.container} of {est.count:,} {est.element_label}s "
                                        f"(`{_short(ast.unparse(node), 40)}`)", est.estimate.total_bytes,
                                        est.count, est.count_source))
        items.extend(self._unit_of_work_items(info))
        # Helpers that read: their own peak, alive during the call's statement
        # (or until the task returns when their result is bound to a name).
        if depth < MAX_HELPER_DEPTH:
            for call in info.calls:
                callee = model.functions.get(call.callee)
                if callee is None or callee is info or not callee.summary.reads:
                    continue
                peak, _ = peak_of(self.memory_items(callee, depth + 1))
                if peak <= 0:
                    continue
                stmt = statements.get(id(call.node))
                bound = isinstance(stmt, ast.Assign) and stmt.value is call.node
                end = forever if bound else ((stmt.end_lineno or stmt.lineno) if stmt is not None else call.node.lineno)
                items.append(MemoryItem(call.node.lineno, end, f"helper `{callee.qualname}()` (its peak)", peak, 0,
                                        "the helper's collections"))
        items.sort(key=lambda m: (m.line, m.what))
        self._memo[key] = items
        return items

    def _unit_of_work_items(self, info: FunctionInfo) -> list[MemoryItem]:
        """A unit of work keeps every object added to it until it is committed."""
        settings = self.settings
        out: list[MemoryItem] = []
        by_name: dict[str | None, list] = {}
        for call in info.uow_calls:
            by_name.setdefault(call.name, []).append(call)
        for name, calls in by_name.items():
            if name is None:
                continue
            boundary: set[int] = set()
            for call in calls:
                if call.kind in ("create", "commit") and call.loop is not None:
                    boundary.update(id(loop) for loop in call.loop.chain())
            commits = [c for c in calls if c.kind == "commit"]
            for add in calls:
                if add.kind != "add" or add.loop is None:
                    continue
                held_loops = [loop for loop in add.loop.chain() if id(loop) not in boundary]
                if not held_loops:
                    continue
                held = _multiplicity(held_loops, settings)
                sources = sorted({_size(loop, settings)[1] for loop in held_loops})
                limetype = self._added_limetype(info, add.node)
                element = lime_element(limetype, settings)[0]
                est = memory.estimate("list", element, held, version=settings.python_version)
                outer = held_loops[-1].node
                later = [c.node.lineno for c in commits if c.node.lineno > (outer.end_lineno or outer.lineno)]
                end = min(later) if later else 10 ** 9
                out.append(MemoryItem(outer.lineno, end, f"unit of work `{name}` holding {held:,} "
                                      f"{limetype or 'Lime'} objects until its commit",
                                      est.total_bytes, held, ", ".join(sources), name))
                break  # one figure per unit of work
        return out

    @staticmethod
    def _added_limetype(info: FunctionInfo, call: ast.Call) -> str | None:
        if call.args and isinstance(call.args[0], ast.Name):
            role = info.names.get(call.args[0].id)
            if role is not None and role.limetype:
                return role.limetype
        if call.args and isinstance(call.args[0], ast.Call):
            func = call.args[0].func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) \
                    and isinstance(func.value.value, ast.Attribute) and func.value.value.attr == "limetypes":
                return func.attr
        return None

    def objects_written(self, info: FunctionInfo) -> tuple[int, list[Contributor]]:
        """Objects the task's commits write: each ``uow.add(...)`` times the items
        of its loops, and one object per commit of a helper that commits."""
        settings = self.settings
        cost = getattr(settings, "write_per_object_ms", 0.0)
        total = 0
        contributors: list[Contributor] = []
        for call in info.uow_calls:
            if call.kind != "add":
                continue
            n = _multiplicity(call.loop.chain(), settings) if call.loop is not None else 1
            total += n
            what = "add" + (f" to `{call.name}`" if call.name else "") + (f" × {n:,}" if n != 1 else "")
            contributors.append(Contributor(call.node.lineno, what, ms=n * cost))
        for site in function_sites(self.model, info, self.workspace, self.path):
            if site.kind == "helper" and site.commits:
                n = site.commits * _multiplicity(site.loops, settings)
                total += n
                contributors.append(Contributor(site.node.lineno, f"objects written by helper `{site.helper}()`",
                                                ms=n * cost))
        return total, contributors

    # round trips
    def round_trip_contributors(self, info: FunctionInfo) -> tuple[int, int, list[Contributor], str]:
        settings = self.settings
        reads = commits = 0
        contributors: list[Contributor] = []
        for site in function_sites(self.model, info, self.workspace, self.path):
            n = _multiplicity(site.loops, settings)
            r, c = site.reads * n, site.commits * n
            reads += r
            commits += c
            if site.kind == "read" and site.read is not None:
                what = f"{site.read.kind}" + (f" of `{site.read.limetype}`" if site.read.limetype else "")
            elif site.kind == "commit":
                what = "commit" + (f" of `{site.commit.name}`" if site.commit is not None and site.commit.name else "")
            else:
                what = f"helper `{site.helper}()`"
            if n != 1:
                what += f" × {n:,}"
            contributors.append(Contributor(site.node.lineno, what, reads=r, commits=c,
                                            ms=r * settings.read_latency_ms + c * settings.commit_latency_ms))
        counted = round_trips(self.model, info, settings, self.workspace, self.path)
        # Its wording is shown only when it counts what the budget counts (it does not
        # know batching helpers; see _size).
        explanation = counted.explanation if counted.total_at_count == reads + commits else ""
        return reads, commits, contributors, explanation


def peak_of(items: list[MemoryItem]) -> tuple[int, list[MemoryItem]]:
    """The largest sum of items alive at the same line, and those items."""
    best, best_items = 0, []
    for point in sorted({m.line for m in items}):
        alive = [m for m in items if m.line <= point <= m.end_line]
        total = sum(m.bytes for m in alive)
        if total > best:
            best, best_items = total, alive
    return best, best_items


def _curve_settings(settings, count: int):
    return replace(settings, object_counts={k: count for k in settings.object_counts}, default_object_count=count)


def task_budgets(model: LimeModel, settings, *, document=None, workspace=None, path: str | None = None,
                 curve: bool = False) -> list[TaskBudget]:
    """One budget per task of ``model`` (no after-fix figures)."""
    figures = _FunctionFigures(model, settings, workspace, path)
    out: list[TaskBudget] = []
    for info in model.tasks():
        reads, commits, rt_contributors, explanation = figures.round_trip_contributors(info)
        writes, write_contributors = figures.objects_written(info)
        work_contributors, external, objects = figures.work(info)
        items = figures.memory_items(info)
        peak, peak_items = peak_of(items)
        if document is not None:
            def_line = min([d.lineno for d in info.node.decorator_list] + [info.node.lineno])
            start = document.index.line_starts[def_line - 1]
            end = start + len(document.index.line_text(def_line - 1))
        else:
            def_line = info.node.lineno
            start = end = 0
        budget = TaskBudget(info.qualname, def_line, start, end, reads, commits, external, objects, peak,
                            peak_items, items, _merge(rt_contributors + write_contributors + work_contributors),
                            settings_figures(settings), explanation, path, writes=writes)
        out.append(budget)
    if curve:
        for budget in out:
            budget.curve = memory_curve(model, settings, budget.name, workspace=workspace, path=path)
    return out


def memory_curve(model: LimeModel, settings, task: str, *, workspace=None, path: str | None = None,
                 counts: Iterable[int] = CURVE_COUNTS) -> list[tuple[int, int]]:
    """Peak memory of ``task`` when every limetype has N objects, for each N of ``counts``."""
    info = model.functions.get(task)
    if info is None:
        return []
    out = []
    for count in counts:
        figures = _FunctionFigures(model, _curve_settings(settings, count), workspace, path)
        out.append((count, peak_of(figures.memory_items(info))[0]))
    return out


def _merge(contributors: list[Contributor]) -> list[Contributor]:
    """One contributor per line and kind of cost (a line with a read and a loop stays two)."""
    return [c for c in contributors if c.ms > 0 or c.reads or c.commits or c.external or c.objects]


@dataclass
class FileBudget:
    path: str | None
    tasks: list[TaskBudget]
    fixes_applied: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: The text with every available fix applied (None: not computed).
    fixed_text: str | None = None


def file_budgets(text: str, settings, *, path: str | None = None, root: Path | None = None, workspace=None,
                 with_fixes: bool = True, curve: bool = True, model: LimeModel | None = None,
                 document=None) -> FileBudget:
    """Budgets of every task of ``text``, with the after-fix figures and memory curves."""
    from .document import SourceDocument
    from .framework import RuleContext

    if document is None:
        document = SourceDocument(text, path)
    if model is None:
        model = RuleContext(document, settings, workspace).model
    budgets = task_budgets(model, settings, document=document, workspace=workspace, path=path, curve=curve)
    result = FileBudget(path, budgets)
    if with_fixes and budgets:
        from .fixer import fix_text

        try:
            fixed = fix_text(text, settings, path=path, unsafe=True, root=root, workspace=workspace,
                             other_files=True)
        except Exception as exc:  # a failing fixer must not cost the report its figures
            result.notes.append(f"the fixes could not be applied: {type(exc).__name__}: {exc}")
            fixed = None
        if fixed is not None:
            result.fixes_applied = dict(fixed.applied)
            result.fixed_text = fixed.text
            fixed_document = SourceDocument(fixed.text, path)
            # Cross-file answers must see the fixed texts (positions of its nodes, the
            # helpers of other modules its fixes changed): announce them to the
            # workspace like the fixer does, then restore.
            texts = dict(fixed.other_texts)
            if path is not None and fixed.text != text:
                texts[str(Path(path).resolve())] = fixed.text
            announce = bool(texts) and callable(getattr(workspace, "changed", None))
            overlay = getattr(workspace, "overlay", {})
            restore = {key: overlay.get(key) if isinstance(overlay, dict) else None for key in texts}
            if announce:
                for key, new in texts.items():
                    workspace.changed(key, new)
            try:
                fixed_model = RuleContext(fixed_document, settings, workspace).model
                after = {b.name: b for b in task_budgets(fixed_model, settings, document=fixed_document,
                                                         workspace=workspace, path=path, curve=curve)}
            finally:
                if announce:
                    for key, before in restore.items():
                        workspace.changed(key, before)
            for budget in budgets:
                budget.after = after.get(budget.name)
                budget.fixes_applied = dict(fixed.applied)
    return result
