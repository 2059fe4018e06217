"""Cross-file questions, answered with jedi: who calls this function, what does
that imported helper do, which functions are scheduled as tasks elsewhere.

jedi is slow compared with the rest of the analysis, so it is kept off the
typing path: every answer is cached per file version, and a question that
takes longer than ``time_budget`` seconds answers ``None`` ("unknown") at once
while jedi finishes in the background and fills the cache for the next
analysis.  Rules treat "unknown" conservatively (an unsafe fix instead of a
safe one), never as "no callers".

The user's code is only read (jedi parses it); nothing is imported or run.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .files import discover

log = logging.getLogger(__name__)

_SCHEDULED = re.compile(r"ScheduledTask\s*\(")


@dataclass
class CallSite:
    """A call of a function, somewhere in the workspace."""

    path: str
    tree: ast.Module
    call: ast.Call
    text: str


@dataclass
class _Parsed:
    stamp: Any
    text: str
    tree: ast.Module | None


class Workspace:
    def __init__(self, root: Path, *, time_budget: float = 0.4, environment_path: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.time_budget = time_budget
        self.environment_path = environment_path
        #: Unsaved editor text by absolute path; wins over the file on disk.
        self.overlay: dict[str, str] = {}
        self._parsed: dict[str, _Parsed] = {}
        self._answers: dict[tuple, Any] = {}
        self._running: dict[tuple, Future] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lime-jedi")
        self._project = None
        self._generation = 0

    # -- files -------------------------------------------------------------------
    def files(self) -> list[Path]:
        return list(discover([str(self.root)], (), self.root))

    def source(self, path: str) -> _Parsed:
        path = str(Path(path).resolve())
        if path in self.overlay:
            text = self.overlay[path]
            stamp: Any = ("overlay", hash(text))
        else:
            try:
                stat = Path(path).stat()
            except OSError:
                return _Parsed(None, "", None)
            stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._parsed.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached
        if path not in self.overlay:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
        try:
            tree: ast.Module | None = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            from .document import recover_module

            tree = recover_module(text).tree
        parsed = _Parsed(stamp, text, tree)
        self._parsed[path] = parsed
        return parsed

    def changed(self, path: str | None = None, text: str | None = None) -> None:
        """A file was edited or saved: drop cached answers that may depend on it."""
        with self._lock:
            if path is not None:
                resolved = str(Path(path).resolve())
                if text is None:
                    self.overlay.pop(resolved, None)
                else:
                    self.overlay[resolved] = text
            self._generation += 1
            self._answers.clear()

    # -- jedi ----------------------------------------------------------------------
    def _jedi_project(self):
        if self._project is None:
            import jedi

            self._project = jedi.Project(self.root, environment_path=self.environment_path,
                                         smart_sys_path=False, load_unsafe_extensions=False)
        return self._project

    def _script(self, path: str):
        import jedi

        parsed = self.source(path)
        return jedi.Script(parsed.text, path=path, project=self._jedi_project())

    def _bounded(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` if it finishes within the time budget, else None (it keeps
        running and its answer is cached for the next call)."""
        with self._lock:
            key = (self._generation, *key)
            if key in self._answers:
                return self._answers[key]
            future = self._running.get(key)
            if future is None:
                future = self._executor.submit(self._store, key, compute)
                self._running[key] = future
        try:
            return future.result(timeout=self.time_budget)
        except FutureTimeout:
            return None
        except Exception:
            log.exception("jedi failed on %s", key)
            return None

    def _store(self, key: tuple, compute: Callable[[], Any]) -> Any:
        try:
            value = compute()
        except Exception:
            log.exception("jedi failed on %s", key)
            value = None
        with self._lock:
            if key[0] == self._generation:
                self._answers[key] = value
            self._running.pop(key, None)
        return value

    # -- questions -----------------------------------------------------------------
    def callers(self, path: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[CallSite] | None:
        """Every call of ``function`` (defined in ``path``) in the workspace, or None
        when they cannot all be found (jedi failed, timed out, or the function is
        referenced other than by a call, e.g. passed as a value)."""
        path = str(Path(path).resolve())
        line = function.lineno
        # The name follows "def " / "async def " on the definition line (decorators come before).
        text = self.source(path).text
        lines = text.splitlines()
        if line - 1 >= len(lines):
            return None
        column = lines[line - 1].find(function.name, function.col_offset)
        if column < 0:
            return None
        return self._bounded(("callers", path, function.name, line), lambda: self._find_callers(path, line, column))

    def _find_callers(self, path: str, line: int, column: int) -> list[CallSite] | None:
        references = self._script(path).get_references(line, column, include_builtins=False)
        sites: list[CallSite] = []
        for reference in references:
            if reference.is_definition():
                continue
            if reference.module_path is None:
                return None
            ref_path = str(Path(reference.module_path).resolve())
            parsed = self.source(ref_path)
            if parsed.tree is None:
                return None
            call = _call_at(parsed.tree, reference.line, reference.column)
            if call is None:
                if _is_import(parsed.tree, reference.line):
                    continue  # `from .x import helper` is not a use
                return None  # passed around as a value: its uses cannot be followed
            sites.append(CallSite(ref_path, parsed.tree, call, parsed.text))
        return sites

    def resolve_call(self, path: str, call: ast.Call):
        """For a call of a function imported from another workspace module:
        ``(path, FunctionInfo, LimeModel)`` of its definition, else None."""
        func = call.func
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return None
        path = str(Path(path).resolve())
        end_line, end_col = func.end_lineno, func.end_col_offset
        if end_line is None or end_col is None:
            return None
        key = ("resolve", path, end_line, end_col)
        found = self._bounded(key, lambda: self._goto(path, end_line, max(end_col - 1, 0)))
        if not found:
            return None
        target_path, name = found
        from .model import build_model

        parsed = self.source(target_path)
        if parsed.tree is None:
            return None
        model = build_model(parsed.tree)
        info = model.functions.get(name)
        return (target_path, info, model) if info is not None else None

    def _goto(self, path: str, line: int, column: int) -> tuple[str, str] | None:
        names = self._script(path).goto(line, column, follow_imports=True)
        for name in names:
            if name.type != "function" or name.module_path is None:
                continue
            target = Path(name.module_path).resolve()
            if not _inside(target, self.root) or "site-packages" in target.parts:
                return None
            return str(target), name.name
        return None

    def scheduled_task_names(self, path: str | None) -> set[str]:
        """Names of functions in ``path`` that another module schedules with
        ``ScheduledTask(task=module.function)``."""
        if not path:
            return set()
        resolved = str(Path(path).resolve())
        # One scan of the workspace answers for every file.
        answer = self._bounded(("scheduled",), self._scheduled)
        return (answer or {}).get(resolved, set())

    def _scheduled(self) -> dict[str, set[str]]:
        names: dict[str, set[str]] = {}
        for candidate in self.files():
            parsed = self.source(str(candidate))
            if parsed.tree is None or not _SCHEDULED.search(parsed.text):
                continue
            for node in ast.walk(parsed.tree):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "task" and isinstance(keyword.value, (ast.Attribute, ast.Name)):
                        value = keyword.value
                        found = self._goto(str(candidate.resolve()), value.end_lineno or value.lineno,
                                           max((value.end_col_offset or 1) - 1, 0))
                        if found:
                            names.setdefault(found[0], set()).add(found[1])
        return names

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _call_at(tree: ast.Module, line: int, column: int) -> ast.Call | None:
    """The call whose function name is at (line, column) (jedi: 1-based line, 0-based column)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name_node = func
        if isinstance(func, ast.Attribute):
            # The attribute name starts after the dot: compare with its end instead.
            if func.end_lineno == line and func.end_col_offset is not None \
                    and func.end_col_offset - len(func.attr) == column:
                return node
            continue
        if isinstance(name_node, ast.Name) and name_node.lineno == line and name_node.col_offset == column:
            return node
    return None


def _is_import(tree: ast.Module, line: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            return True
    return False
