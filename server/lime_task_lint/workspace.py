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
import os
import re
import sys
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from collections import OrderedDict
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from . import dependencies
from .files import discover
from .trees import tree_cache, walk

log = logging.getLogger(__name__)

_SCHEDULED = re.compile(r"ScheduledTask\s*\(")
_WORD = re.compile(r"\w+")
#: Folders jedi's reference search never enters (jedi.inference.references._IGNORE_FOLDERS).
_JEDI_SKIPPED = {".tox", ".venv", ".mypy_cache", "venv", "__pycache__"}


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
        #: path -> (stamp, text) of files read only to search their text
        self._texts: dict[str, tuple[Any, str]] = {}
        #: generation -> the workspace's Python files, as jedi's reference search sees them
        self._searched: tuple[int, list[str]] | None = None
        self._names: tuple[int, set[str]] | None = None
        self._outside: dict[tuple, bool] = {}
        #: (path, text hash, text length) -> the words of that text (see ``_mentions``)
        self._word_index: dict[tuple[str, int, int], frozenset[str]] = {}
        #: path -> how many times ``set_text`` changed it (part of its questions' keys)
        self._versions: dict[str, int] = {}
        #: path -> (stamp, content digest), for ``dependencies.note_file``
        self._digests: dict[str, tuple[Any, str]] = {}
        #: path -> (``_text_changes`` when made, text, its jedi.Script), the least
        #: recently asked first (see ``_script``); read and written under ``_JEDI_LOCK``.
        self._scripts: OrderedDict[str, tuple[int, str, Any]] = OrderedDict()
        #: How many analyses of this workspace are running (``analysis_scope``):
        #: Scripts are kept only while one is.
        self._analyses = 0
        #: How many times a file's text changed (``changed``, ``set_text``): a kept
        #: Script may have read the file before, so it serves no later question.
        self._text_changes = 0
        #: absolute path -> [(text, syntax tree)] of the documents being analysed
        #: (``analysis_scope``): ``source`` answers with their tree instead of parsing
        #: the same text again (a 10,000-line file: 50 ms).
        self._analysed: dict[str, list[tuple[str, ast.Module]]] = {}

    # -- files -------------------------------------------------------------------
    def files(self) -> list[Path]:
        return list(discover([str(self.root)], (), self.root))

    def _stamp(self, path: str) -> Any:
        if path in self.overlay:
            return ("overlay", hash(self.overlay[path]))
        try:
            stat = os.stat(path)  # not pathlib: asked for every workspace file per question
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def text_of(self, path: str) -> str:
        """The text of ``path`` (the editor's unsaved text wins), cached per version,
        without parsing it: most questions only need to search the text.  Noted
        as read by the analysis that asks (``dependencies``)."""
        path = str(Path(path).resolve())
        stamp = self._stamp(path)
        text = self._text(path, stamp)
        if dependencies.active():
            self._note_read(path, stamp, text)
        return text

    def _text(self, path: str, stamp: Any) -> str:
        if stamp is None:
            return ""
        if stamp[0] == "overlay":
            return self.overlay[path]
        cached = self._parsed.get(path)
        if cached is not None and cached.stamp == stamp:
            return cached.text
        cached_text = self._texts.get(path)
        if cached_text is not None and cached_text[0] == stamp:
            return cached_text[1]
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        self._texts[path] = (stamp, text)
        return text

    def _note_read(self, path: str, stamp: Any, text: str) -> None:
        """The analysis recording on this thread read ``path``: its content digest
        (once per file version), or "missing"."""
        if stamp is None:
            dependencies.note_file(path, "missing")
            return
        known = self._digests.get(path)
        if known is None or known[0] != stamp:
            known = self._digests[path] = (stamp, dependencies.text_digest(text))
        dependencies.note_file(path, known[1])

    def source(self, path: str) -> _Parsed:
        path = str(Path(path).resolve())
        stamp = self._stamp(path)
        if stamp is None:
            if dependencies.active():
                self._note_read(path, None, "")
            return _Parsed(None, "", None)
        cached = self._parsed.get(path)
        if cached is not None and cached.stamp == stamp:
            if dependencies.active():
                self._note_read(path, stamp, cached.text)
            return cached
        text = self.text_of(path)
        with self._lock:
            analysed = [tree for known, tree in self._analysed.get(path, ()) if known == text]
        if analysed:  # not kept: the analysis owns that tree (and what it caches on it)
            return _Parsed(stamp, text, analysed[0])
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
            self._text_changes += 1
            self._answers.clear()
            self._drop_queued(lambda key: True)

    def _drop_queued(self, unwanted: Callable[[tuple], bool]) -> None:
        """Cancel the questions still waiting for jedi whose answer is no longer
        wanted (the files changed): the one worker would otherwise spend seconds
        on them before the questions that matter.  A question jedi already works
        on cannot be interrupted; its answer is dropped (``_store``).  Call with
        the lock held."""
        for key, future in list(self._running.items()):
            if unwanted(key) and future.cancel():
                del self._running[key]

    def set_text(self, path: str, text: str | None) -> None:
        """The text of ``path`` changed in memory (a fix-all pass, an unsaved edit
        applied by us): later questions about ``path`` see ``text`` (None: the file
        on disk), without dropping the answers about other files.  Unlike
        ``changed`` the generation stays, so other documents' cached analyses stay
        valid (as when the user types)."""
        resolved = str(Path(path).resolve())
        with self._lock:
            if text is None:
                self.overlay.pop(resolved, None)
            else:
                self.overlay[resolved] = text
            self._versions[resolved] = self._versions.get(resolved, 0) + 1
            self._text_changes += 1
            for key in [k for k in self._answers if len(k) > 2 and k[2] == resolved]:
                del self._answers[key]
            self._drop_queued(lambda key: len(key) > 2 and key[2] == resolved)

    # -- jedi ----------------------------------------------------------------------
    def _jedi_project(self):
        if self._project is None:
            import jedi

            self._project = jedi.Project(self.root, environment_path=self.environment_path,
                                         smart_sys_path=False, load_unsafe_extensions=False)
        return self._project

    def _script(self, path: str):
        """The ``jedi.Script`` of ``path``'s current text.

        Inside an analysis (``analysis_scope``) one Script per file text is kept
        for the analysis's next questions while no file's text changes: a new
        Script parses the whole file again (parso's cache drops long files'
        trees, see ``_trim_parso_cache``), and one per question made a
        10,000-line file's hundred imported calls cost a second each; asked of
        one Script, a few milliseconds.  Only the ``_SCRIPTS_KEPT`` most recently
        asked files keep theirs, and a question that failed drops them
        (``_forget_scripts``).  Outside an analysis (a hover's question) every
        question gets a new Script, kept by nobody."""
        import jedi

        parsed = self.source(path)
        with _JEDI_LOCK:
            changes = self._text_changes
            kept = self._scripts.get(path)
            if self._analyses > 0 and kept is not None and kept[0] == changes and kept[1] == parsed.text:
                self._scripts.move_to_end(path)
                return kept[2]
        script = jedi.Script(parsed.text, path=path, project=self._jedi_project())
        with _JEDI_LOCK:
            if self._analyses > 0:
                self._scripts[path] = (changes, parsed.text, script)
                self._scripts.move_to_end(path)
                while len(self._scripts) > _SCRIPTS_KEPT:
                    self._scripts.popitem(last=False)
                _KEEPING.add(self)
        return script

    def _forget_scripts(self) -> None:
        """Drop the kept Scripts: one whose question failed may keep the failed
        inference and answer nothing when asked again."""
        with _JEDI_LOCK:
            self._scripts.clear()

    @contextmanager
    def analysis_scope(self, document=None) -> Iterator[None]:
        """The extent of one analysis (``checker.check`` enters it): its jedi
        questions share one Script per file text.  When the last analysis of the
        workspace leaves, its Scripts are dropped and parso's cache is trimmed
        once nothing in the process still uses a tree (``_trim_if_idle``): a
        50,000-line file's tree is about 200 MB.  Re-entrant, and safe from
        several analysis threads.

        ``document`` (a ``SourceDocument`` with a path): while the scope lasts,
        ``source`` of its path answers with its syntax tree when the file's text is
        the document's and it parsed whole (then the tree is ``ast.parse``'s)."""
        offered = None
        if document is not None and document.path and document.recovered.error is None:
            offered = (str(Path(document.path).resolve()), (document.text, document.tree))
            with self._lock:
                self._analysed.setdefault(offered[0], []).append(offered[1])
        with _JEDI_LOCK:
            self._analyses += 1
        try:
            yield
        finally:
            if offered is not None:
                with self._lock:
                    kept = self._analysed[offered[0]]
                    kept.remove(offered[1])
                    if not kept:
                        del self._analysed[offered[0]]
            with _JEDI_LOCK:
                self._analyses -= 1
                if self._analyses == 0:
                    self._scripts.clear()
                    _KEEPING.discard(self)
            _trim_if_idle()

    def _bounded(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` if it finishes within the time budget, else None (it keeps
        running and its answer is cached for the next call)."""
        with self._lock:
            key = (self._generation, *key)
            if len(key) > 2 and key[2] in self._versions:
                key = (*key, ("version", self._versions[key[2]]))  # answers per text version (set_text)
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

    def pending_answers(self) -> list[Future]:
        """The questions jedi is still answering after their time budget ran out:
        an analysis made meanwhile saw "unknown" for them, so the editor analyses
        again when these futures are done (their answers are cached by then)."""
        with self._lock:
            return list(self._running.values())

    def _store(self, key: tuple, compute: Callable[[], Any]) -> Any:
        try:
            value = _asking_jedi(compute, key, before_retry=self._forget_scripts)
        except Exception:
            log.exception("jedi failed on %s", key)
            value = None
        with self._lock:
            if key[0] == self._generation:
                self._answers[key] = value
            self._running.pop(key, None)
        return value

    # -- questions -----------------------------------------------------------------
    def callers(self, path: str, function: ast.FunctionDef | ast.AsyncFunctionDef,
                tree: ast.Module | None = None) -> list[CallSite] | None:
        """Every call of ``function`` (defined in ``path``) in the workspace, or None
        when they cannot all be found (jedi failed, timed out, or the function is
        referenced other than by a call, e.g. passed as a value).

        ``tree``: the syntax tree of ``path`` the caller analyses.  When no other
        workspace file can refer to the function (see ``_mentioned_elsewhere``),
        its callers can only be in ``tree``: they are read from it, and jedi never
        parses the file (on a 50,000-line file jedi's parse alone took about 240 MB)."""
        path = str(Path(path).resolve())
        line = function.lineno
        if tree is not None:
            with dependencies.answering():
                elsewhere = self._bounded(("mentioned elsewhere", path, function.name),
                                          lambda: self._mentioned_elsewhere(path, function.name))
            if elsewhere is None:
                dependencies.note_unknown()
                return None  # the search did not finish in time: unknown
            dependencies.note_answer(("mentioned elsewhere", path, function.name), elsewhere)
            if not elsewhere:
                sites = _calls_in_tree(tree, function, path, self.text_of(path))
                if sites is not None:
                    return sites
        # The name follows "def " / "async def " on the definition line (decorators come before).
        text = self.text_of(path)
        lines = text.splitlines()
        if line - 1 >= len(lines):
            return None
        column = lines[line - 1].find(function.name, function.col_offset)
        if column < 0:
            return None
        dependencies.note_unknown()  # jedi's reference search may read any file
        return self._bounded(("callers", path, function.name, line), lambda: self._find_callers(path, line, column))

    def _python_files(self) -> list[str]:
        """Every Python file jedi's reference search may read: all of the root but
        the folders jedi skips (a superset of what it reads, so a name found in
        none of them is certainly referenced nowhere else)."""
        with self._lock:
            if self._searched is not None and self._searched[0] == self._generation:
                return self._searched[1]
            generation = self._generation
        found: list[str] = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d not in _JEDI_SKIPPED]
            found.extend(os.path.join(folder, name) for name in files if name.endswith((".py", ".pyi")))
        found = [str(Path(f).resolve()) for f in found]
        with self._lock:
            self._searched = (generation, found)
        return found

    def _mentioned_elsewhere(self, path: str, name: str) -> bool:
        """False when no other workspace file can refer to ``name`` of ``path``:
        either no other file (on disk or in the editor) contains the word
        ``name``, or none contains the module's own name (``tasks`` for
        ``tasks.py``, the package for ``__init__.py``), without which no import
        can reach the module, even through a re-export."""
        stem = Path(path).stem
        module = Path(path).parent.name if stem in ("__init__", "__main__") else stem
        candidates = [c for c in set(self._python_files()) | set(self.overlay) if c != path]
        if module.isidentifier() and not any(self._mentions(c, module) for c in candidates):
            return False  # no import can reach the module (the usual case; cached per module)
        return any(self._mentions(c, name) for c in candidates)

    def _mentions(self, path: str, word: str) -> bool:
        """True when ``path``'s text (or its saved text, when the editor has it open:
        jedi reads other files from disk) contains ``word`` as a whole word.

        Each text version is split into its set of words once (a word index per
        file version), so a question costs one set lookup per file instead of a
        scan of every file's text: linear in the files, not in their size."""
        texts = [self._text(path, self._stamp(path))]  # a path of _python_files: resolved already
        if path in self.overlay:
            try:
                texts.append(Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                pass
        if not _WORD.fullmatch(word):
            pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
            return any(pattern.search(text) for text in texts)
        return any(word in self._words(path, text) for text in texts)

    def _words(self, path: str, text: str) -> frozenset[str]:
        key = (path, hash(text), len(text))
        words = self._word_index.get(key)
        if words is None:
            if len(self._word_index) > 20_000:
                self._word_index.clear()
            words = self._word_index[key] = frozenset(_WORD.findall(text))
        return words

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
        base = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and self._outside_workspace(path, base.id):
            return None  # jedi would go to the standard library or site-packages: no need to ask
        key = ("resolve", path, end_line, end_col)
        dependencies.note_unknown()  # jedi's goto may read any file
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

    def _outside_workspace(self, path: str, name: str) -> bool:
        """True when ``name`` in ``path`` can only be a module from outside the
        workspace: every occurrence of the word is followed by ``.`` or ``(`` or
        sits on a one-line ``import`` statement, those imports bind it to
        absolute modules, and no file or folder in the root is named like their
        top-level package.  jedi's ``goto`` then ends outside the root (or in
        site-packages), which ``resolve_call`` answers with None anyway."""
        text = self.text_of(path)
        key = (path, hash(text), name)
        answer = self._outside.get(key)
        if answer is None:
            answer = self._imported_from_outside(text, name)
            if answer is None:
                return False  # the workspace scan is still running: let jedi (bounded) answer
            self._outside[key] = answer
            if len(self._outside) > 4096:
                self._outside.clear()
        return answer

    def _imported_from_outside(self, text: str, name: str) -> bool | None:
        modules: list[str] = []
        import_lines: set[int] = set()
        for match in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line = text[line_start:line_end if line_end >= 0 else len(text)]
            after = text[match.end():match.end() + 64].lstrip(" \t")
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and not stripped.endswith(("(", "\\")):
                if line_start in import_lines:
                    continue
                import_lines.add(line_start)
                try:
                    statement = ast.parse(stripped).body
                except (SyntaxError, ValueError):
                    return False
                if len(statement) != 1 or not isinstance(statement[0], (ast.Import, ast.ImportFrom)):
                    return False
                node = statement[0]
                if isinstance(node, ast.ImportFrom):
                    if node.level or not node.module:
                        return False  # a relative import: a workspace module
                    if any((a.asname or a.name) == name for a in node.names):
                        modules.append(node.module)
                else:
                    for alias in node.names:
                        if (alias.asname or alias.name.split(".")[0]) == name:
                            modules.append(alias.name)
                continue
            if after.startswith((".", "(")) and not after.startswith(".."):
                continue
            return False  # bound, assigned, passed, or in a string: let jedi decide
        if not modules:
            return False
        tops = {module.split(".")[0] for module in modules}
        if tops & {"lime_task_lint"}:
            return False
        # A huge root (a home folder opened as the workspace) must not stall the
        # analysis: the scan runs under the time budget like a jedi question.
        names = self._bounded(("top-level names",), self._top_level_names)
        if names is None:
            return None
        return not any(top in names for top in tops)

    def _top_level_names(self) -> set[str]:
        """Names a module inside the root could be imported by: the stems of its
        Python files and the names of the folders that hold Python files (at any
        depth).  A name in none of them cannot be a workspace module (jedi only
        answers with functions in Python files; folders of bytecode or data do
        not count)."""
        with self._lock:
            if self._names is not None and self._names[0] == self._generation:
                return self._names[1]
            generation = self._generation
        names: set[str] = set()
        root = str(self.root)
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != "site-packages"]
            python = [f for f in files if f.endswith((".py", ".pyi"))]
            if not python:
                continue
            names.update(f.rsplit(".", 1)[0].split(".")[0] for f in python)
            relative = os.path.relpath(folder, root)
            if relative != ".":
                names.update(relative.split(os.sep))
        with self._lock:
            self._names = (generation, names)
        return names

    def _goto(self, path: str, line: int, column: int) -> tuple[str, str] | None:
        return self._goto_with(self._script(path), line, column)

    def _goto_with(self, script, line: int, column: int) -> tuple[str, str] | None:
        names = script.goto(line, column, follow_imports=True)
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
        ``ScheduledTask(task=module.function)``.

        What our own syntax trees and import tables resolve is answered at once and
        never depends on time (the same files give the same tasks); only the calls
        they cannot follow go to jedi, under the time budget (the editor publishes
        again when its answer arrives)."""
        if not path:
            return set()
        resolved = str(Path(path).resolve())
        with dependencies.answering():  # every file is searched; what matters is the answer
            own, unresolved = self._scheduled_own()
        names = set(own.get(resolved, set()))
        # The values our trees cannot follow are part of the answer: a new one (jedi's
        # to answer) must make a cached result depend on everything.
        dependencies.note_answer(("scheduled", resolved), scheduled_answer(resolved, own, unresolved))
        if unresolved:
            dependencies.note_unknown()
            answer = self._bounded(("scheduled-jedi", unresolved), lambda: self._scheduled_by_jedi(unresolved))
            names |= (answer or {}).get(resolved, set())
        return names

    def _scheduled_own(self) -> tuple[dict[str, set[str]], tuple[tuple[str, int, int], ...]]:
        """(absolute path -> names of its functions that some workspace module passes
        as ``ScheduledTask(task=...)``, the ``task=`` values our trees cannot
        resolve as ``(path, line, column)``), once per workspace generation."""
        key = (self._generation, "scheduled-own")
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        found = self._scan_scheduled()
        with self._lock:
            self._answers[key] = found
        return found

    def _scan_scheduled(self) -> tuple[dict[str, set[str]], tuple[tuple[str, int, int], ...]]:
        """Resolved from our own syntax trees and import tables (``modules.py``: a
        function of the same module, an imported one, ``module.function``,
        re-exports)."""
        from .modules import index_for

        index = index_for(self)
        names: dict[str, set[str]] = {}
        unresolved: list[tuple[str, int, int]] = []
        for candidate in self.files():
            path = str(candidate.resolve())
            if not _SCHEDULED.search(self.text_of(path)):
                continue  # most files: no parse needed
            parsed = self.source(path)
            if parsed.tree is None:
                continue
            local = {stmt.name for stmt in parsed.tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
            imports = None
            for node in walk(parsed.tree):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "task" or not isinstance(keyword.value, (ast.Attribute, ast.Name)):
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Name) and value.id in local:
                        names.setdefault(path, set()).add(value.id)
                        continue
                    try:
                        if imports is None:
                            imports = index.imports(path)
                        target = index.resolve_expr(path, value, imports)
                    except Exception:  # an odd import table: ask jedi
                        log.debug("resolving %s in %s failed", ast.dump(value), path, exc_info=True)
                        target = None
                    if target is not None:
                        if target.kind == "function" and _inside(Path(target.path), self.root) \
                                and "site-packages" not in Path(target.path).parts:
                            names.setdefault(target.path, set()).add(target.qualname.rsplit(".", 1)[-1])
                        continue
                    unresolved.append((path, value.end_lineno or value.lineno, max((value.end_col_offset or 1) - 1, 0)))
        return names, tuple(sorted(unresolved))

    def _scheduled_by_jedi(self, unresolved: tuple[tuple[str, int, int], ...]) -> dict[str, set[str]]:
        """What jedi finds for the ``task=`` values our trees could not resolve, with
        one ``jedi.Script`` per file."""
        names: dict[str, set[str]] = {}
        for path, line, column in unresolved:
            def goto(path=path, line=line, column=column):
                return self._goto_with(self._script(path), line, column)

            try:
                found = _asking_jedi(goto, (path, line, column), before_retry=self._forget_scripts)
            except Exception:  # jedi failing on one call must not lose the others
                log.debug("jedi failed on a scheduled task in %s", path, exc_info=True)
                found = None
            if found:
                names.setdefault(found[0], set()).add(found[1])
        return names

    def _scheduled(self) -> dict[str, set[str]]:
        """Every scheduled function, by absolute path: our trees' answer and jedi's
        for the rest (waiting for jedi: for tests and batch use)."""
        own, unresolved = self._scheduled_own()
        merged = {path: set(found) for path, found in own.items()}
        for path, found in self._scheduled_by_jedi(unresolved).items():
            merged.setdefault(path, set()).update(found)
        return merged

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


#: parso keeps the tree of every file jedi parsed (for diff-parsing the next
#: version); trees of files longer than this are dropped after each question.
PARSO_CACHE_MAX_LINES = 5000


def scheduled_answer(path: str, own: dict[str, set[str]], unresolved) -> dict:
    """What ``scheduled_task_names(path)`` learnt from the workspace, as JSON values
    (the result cache notes it and compares it on reuse)."""
    return {"names": sorted(own.get(path, set())), "unresolved": [list(u) for u in unresolved]}


#: How many files keep their ``jedi.Script`` between questions (``Workspace._script``):
#: the document being analysed and one other it asks about.
_SCRIPTS_KEPT = 2

#: How often a question is asked again while jedi's subprocess reports deletions it cannot make.
_JEDI_DELETION_RETRIES = 6


def _asking_jedi(compute: Callable[[], Any], what: object,
                 before_retry: Callable[[], None] | None = None) -> Any:
    """``compute()`` (a jedi question), asked again while it fails transiently
    (``before_retry()`` first: a new Script for the new try); the last error is
    raised.  Counted in ``_ASKING`` while it runs: parso's cache is trimmed only
    when no question runs (``_trim_if_idle``, after each).

    jedi's helper subprocess fails now and then on its own bookkeeping: a
    KeyError deleting an inference state it no longer has (jedi queues the
    deletion of a freed state and sends it before the next question; a reused id
    can be queued twice).  Each failure consumes one queued deletion, so asking
    again answers; a transient failure must not turn a known answer into
    "unknown".  Other errors get one more try."""
    with _JEDI_LOCK:
        _ASKING[0] += 1
    try:
        return _asked(compute, what, before_retry)
    finally:
        with _JEDI_LOCK:
            _ASKING[0] -= 1
        _trim_if_idle()


def _asked(compute: Callable[[], Any], what: object, before_retry: Callable[[], None] | None) -> Any:
    attempt = 0
    while True:
        attempt += 1
        try:
            return compute()
        except Exception as exc:
            if attempt >= (_JEDI_DELETION_RETRIES if _is_jedi_deletion_race(exc) else 2):
                raise
            log.debug("jedi failed on %s; asking again", what, exc_info=True)
            if before_retry is not None:
                before_retry()


def _is_jedi_deletion_race(exc: BaseException) -> bool:
    """jedi's compiled subprocess re-raises its own ``KeyError`` from deleting an
    inference state (``del self._inference_states[...]``) with the traceback text."""
    return isinstance(exc, KeyError) and "_inference_states" in str(exc)


#: Guards every workspace's kept Scripts, ``_ASKING`` and the trim of parso's
#: cache, which is one per process: jedi looks up the tree of every module a
#: Script has read in it (a KeyError once trimmed), whichever workspace trims.
_JEDI_LOCK = threading.Lock()
#: The workspaces that keep Scripts now (inside an analysis).
_KEEPING: "weakref.WeakSet[Workspace]" = weakref.WeakSet()
#: How many jedi questions run now, in every workspace of the process.
_ASKING = [0]


def _trim_if_idle() -> int:
    """``_trim_parso_cache`` when no jedi question runs and no workspace keeps a
    Script anywhere in the process (under ``_JEDI_LOCK``, so none starts during
    the trim); else nothing (the last one to finish trims).  Returns how many
    trees were dropped."""
    with _JEDI_LOCK:
        if _ASKING[0] or any(workspace._scripts for workspace in _KEEPING):
            return 0
        return _trim_parso_cache()


def _trim_parso_cache(max_lines: int | None = None) -> int:
    """Drop parso's cached trees of long files (a 50,000-line file's tree is about
    200 MB); jedi parses such a file again if a later question needs it.  Returns
    how many were dropped.  Only while no Script may read them: see
    ``_trim_if_idle``."""
    max_lines = PARSO_CACHE_MAX_LINES if max_lines is None else max_lines
    cache_module = sys.modules.get("parso.cache")
    caches = getattr(cache_module, "parser_cache", None)
    if not isinstance(caches, dict):
        return 0
    dropped = 0
    for per_grammar in list(caches.values()):
        if not isinstance(per_grammar, dict):
            continue
        for path, item in list(per_grammar.items()):
            if len(getattr(item, "lines", ()) or ()) > max_lines:
                per_grammar.pop(path, None)
                dropped += 1
    return dropped


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


_USES: dict[int, tuple[ast.AST, dict[str, list[ast.Name]], dict[int, ast.AST], dict[str, int]]] = {}


@tree_cache
def release_tree(tree: ast.AST) -> None:
    """Drop what ``_calls_in_tree`` keeps for ``tree`` (its analysis is done)."""
    cached = _USES.get(id(tree))
    if cached is not None and cached[0] is tree:
        del _USES[id(tree)]


def _calls_in_tree(tree: ast.Module, function: ast.AST, path: str, text: str) -> list[CallSite] | None:
    """The calls of the module-level ``function`` in ``tree``, in source order, when
    every use of its name is such a call and nothing else in the module binds the
    name (then each use means this function, as jedi would find); None otherwise
    (a value use, a parameter or local of the same name...: let jedi decide)."""
    if not any(stmt is function for stmt in tree.body):
        return None
    cached = _USES.get(id(tree))
    if cached is None or cached[0] is not tree:
        loads: dict[str, list[ast.Name]] = {}
        called: dict[int, ast.AST] = {}
        bindings: dict[str, int] = {}

        def bind(name: str | None) -> None:
            if name:
                bindings[name] = bindings.get(name, 0) + 1

        for node in walk(tree):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    loads.setdefault(node.id, []).append(node)
                else:
                    bind(node.id)
            elif isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    called[id(node.func)] = node
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(node.name)
            elif isinstance(node, ast.arg):
                bind(node.arg)
            elif isinstance(node, ast.alias):
                bind(node.asname or node.name.split(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    bind(name)
            elif isinstance(node, ast.ExceptHandler):
                bind(node.name)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
                bind(node.name)
            elif isinstance(node, ast.MatchMapping):
                bind(node.rest)
        if len(_USES) > 16:
            _USES.clear()
        cached = _USES[id(tree)] = (tree, loads, called, bindings)
    _, loads, called, bindings = cached
    name = function.name  # type: ignore[attr-defined]
    if bindings.get(name, 0) != 1:  # only the def itself binds the name
        return None
    sites: list[CallSite] = []
    for node in sorted(loads.get(name, ()), key=lambda n: (n.lineno, n.col_offset)):
        call = called.get(id(node))
        if call is None:
            return None  # used as a value: jedi decides (it answers None too)
        sites.append(CallSite(path, tree, call, text))  # type: ignore[arg-type]
    return sites


def _call_at(tree: ast.Module, line: int, column: int) -> ast.Call | None:
    """The call whose function name is at (line, column) (jedi: 1-based line, 0-based column)."""
    for node in walk(tree):
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
    for node in walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            return True
    return False
