"""The language server: LSP plumbing only.

Analysis happens in :mod:`checker` (diagnostics) and in the feature modules
(hovers, actions, lenses, commands); this module turns their results into LSP
messages.  What it guarantees (issue 14):

- **One name per document**: every URI the client sends goes through
  :func:`uris.document_key` before any lookup, cache or overlay, so
  ``file:///c%3A/x.py`` and ``file:///C:/x.py`` are one document; messages back
  carry the URI the client sent.  The open documents live in
  :class:`documents.DocumentStore` (LSP's line breaks, not ``str.splitlines``).
- **Results keyed by content**: an analysis is reused only for the same text,
  settings and workspace state (:meth:`LimeServer.content_key`), never because
  a version number repeats.
- **Dependents re-analysed**: a change to one file of a workspace folder (an
  edit, a save, a change on disk reported by the client's file watcher, a
  configuration file) re-analyses every open document of that folder, debounced.
- **No queueing**: analyses run on a small pool of threads, one at a time per
  document (a newer request cancels the waiting one), so a small document
  never waits for another document's long analysis.
- **Determinism**: when jedi's time budget ran out during an analysis, the
  document is analysed and published again when the answers arrive.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
import re
import sys
import sysconfig
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from . import __version__
from .analysis import Analysis
from .documents import DocumentStore, OpenDocument
from .edits import BOM, Applicability, Edit, Fix, LineIndex
from .extensions import COMMANDS, hover_markdown, load_features, provided_actions, provided_lenses
from .files import GitIgnore, current_text
from .fixer import fix_all_edits
from .incremental import IncrementalAnalyser
from .noqa import add_noqa_edit
from .protocol import LimeProtocol, serve_stdio
from .published import SOURCE, publish_body, text_digest
from .settings import CLIENT_ONLY, KEYS, Settings, _kebab, convert_values, describe, is_excluded, required_version_problem, resolve_settings
from .uris import DocumentMap, document_key, is_inside, path_to_uri, uri_to_path
from .workspace import Workspace

log = logging.getLogger("lime_task_lint")

FIX_ALL_KIND = "source.fixAll.lime-task-lint"
#: Threads analysing documents: one document at a time each, so a long analysis
#: of one document leaves the others a thread.
ANALYSIS_THREADS = 3
#: How often one content is analysed again because jedi answered late.
MAX_LATE_ANSWER_ROUNDS = 5
#: Seconds to wait for late jedi answers before giving up on re-publishing.
LATE_ANSWER_WAIT_S = 60.0
#: The least delay before documents are re-checked because another file changed
#: (typing in one file should not re-analyse all the others at every pause).
DEPENDENTS_DELAY_MS = 500
#: A change to one of these re-checks every open document (settings may change).
CONFIG_FILE_NAMES = ("pyproject.toml", "lime-task-lint.toml", ".lime-task-lint.toml")
#: Files a ScheduledTask(...) list may be in: a change there changes which functions are tasks.
_SCHEDULED = re.compile(r"ScheduledTask\s*\(")
_WATCHER_ID = "lime-task-lint-watched-files"
_LIBRARY_FOLDERS = {"site-packages", "dist-packages"}
#: Sent instead of a pop-up when the client declares
#: ``capabilities.experimental.limeTaskLint.requiredVersionNotification``: the
#: VS Code client decides itself whether to show it (it knows ``importStrategy``).
REQUIRED_VERSION_NOTIFICATION = "limeTaskLint/requiredVersionMismatch"


@dataclass
class _Record:
    """The last analysis of one document and what it was computed from."""

    content_key: str
    analysis: Analysis
    #: False when jedi was still answering questions the analysis asked: it is analysed again later.
    final: bool


class LimeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("lime-task-lint", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental, protocol_cls=LimeProtocol)
        #: Raw editor settings: "" for the global ones, else per workspace folder (by document key).
        self.editor_settings: dict[str, dict] = {}
        #: The folder URIs as the client sent them, by document key.
        self.folder_uris: dict[str, str] = {}
        #: The last analysis of each open document (read by hovers, actions and commands).
        self.analyses: DocumentMap = DocumentMap()
        self.records: DocumentMap = DocumentMap()
        self.pending: DocumentMap = DocumentMap()
        self.executor = ThreadPoolExecutor(max_workers=ANALYSIS_THREADS, thread_name_prefix="lime-analysis")
        self.reported: set[str] = set()
        self.workspaces: dict[str, Workspace] = {}
        self._analysers: DocumentMap = DocumentMap()
        self._locks: DocumentMap = DocumentMap()
        #: workspace base path -> how many times one of its files changed
        self._epochs: dict[str, int] = {}
        #: digest of the diagnostics last published per document (identical re-publishes are skipped)
        self._published: DocumentMap = DocumentMap()
        #: The idle garbage collection waiting to run (see ``_collect_when_idle``).
        self._idle_collect: asyncio.TimerHandle | None = None
        #: Seconds without analyses to run before it runs.
        self.idle_collect_s = 1.0
        #: uri -> (finding's code, message, severity, offsets) -> its diagnostic's JSON up to ``data``
        self._fragments: DocumentMap = DocumentMap()
        self._configuration_request: asyncio.Future | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store: DocumentStore | None = None
        self.show_notifications = "off"

    # -- documents -------------------------------------------------------------------
    @property
    def documents(self) -> DocumentStore:
        """The open documents (installed in place of pygls's store at ``initialize``)."""
        if self._store is None:
            self.install_document_store()
        return self._store  # type: ignore[return-value]

    def install_document_store(self) -> None:
        workspace = self.protocol._workspace
        if not isinstance(workspace, DocumentStore):
            workspace = DocumentStore.replacing(workspace)
            self.protocol._workspace = workspace
        self._store = workspace

    def analyser_for(self, uri: str) -> IncrementalAnalyser:
        analyser = self._analysers.get(uri)
        if analyser is None:
            analyser = self._analysers[uri] = IncrementalAnalyser()
        return analyser

    @property
    def incremental(self) -> "_AnalyserByDocument":
        """Views for hovers and actions, from the analyser of each analysis's document."""
        return _AnalyserByDocument(self)

    # -- settings ------------------------------------------------------------------
    def folder_for(self, uri: str) -> str:
        """The document key of the innermost workspace folder holding ``uri`` ("" if none)."""
        best = ""
        for folder in list(self.folder_uris) + [key for key in self.editor_settings if key]:
            if is_inside(uri, folder) and len(folder) > len(best):
                best = folder
        return best

    def settings_for(self, uri: str) -> tuple[Settings, Path | None]:
        raw = dict(self.editor_settings.get("", {}))
        raw.update(self.editor_settings.get(self.folder_for(uri), {}))
        path = uri_to_path(uri)
        settings, problems, pyproject = resolve_settings(Path(path) if path else None, raw)
        for problem in problems:
            self.report_problem(problem)
        self.check_required_version(settings, uri)
        return settings, (pyproject.parent if pyproject else None)

    def check_required_version(self, settings: Settings, uri: str) -> None:
        """Warn once per configuration file whose ``required-version`` this server's
        version does not satisfy: in the log, and as a pop-up as ``showNotifications``
        allows -- or, to a client that asked for it, as :data:`REQUIRED_VERSION_NOTIFICATION`.
        Linting goes on (the CLI stops instead)."""
        problem = required_version_problem(settings)
        if problem is None or problem in self.reported:
            return  # the problem names the configuration file: one message per file
        self.reported.add(problem)
        log.warning("%s (found linting %s)", problem, uri_to_path(uri) or uri)
        if self._client_takes_required_version():
            self.protocol.notify(REQUIRED_VERSION_NOTIFICATION, {
                "uri": uri, "configFile": str(settings.config_file) if settings.config_file else None,
                "requiredVersion": settings.required_version, "serverVersion": __version__, "message": problem})
        else:
            self.notify_user(problem, lsp.MessageType.Warning)

    def _client_takes_required_version(self) -> bool:
        try:
            experimental = self.client_capabilities.experimental
        except Exception:  # before initialize
            return False
        ours = experimental.get("limeTaskLint") if isinstance(experimental, dict) else None
        return isinstance(ours, dict) and ours.get("requiredVersionNotification") is True

    def apply_editor_settings(self) -> None:
        """Global editor settings that act on the server itself: log level, pop-ups."""
        settings, _, _ = resolve_settings(None, self.editor_settings.get("", {}))
        self.show_notifications = settings.show_notifications
        set_log_level(settings.log_level)

    def report_problem(self, problem: str) -> None:
        if problem in self.reported:
            return
        self.reported.add(problem)
        log.warning("%s", problem)
        self.notify_user(problem, lsp.MessageType.Warning)

    def notify_user(self, text: str, kind: lsp.MessageType) -> None:
        """A pop-up, when ``showNotifications`` asks for this kind (the log has it anyway)."""
        wanted = {"off": (), "onError": (lsp.MessageType.Error,),
                  "onWarning": (lsp.MessageType.Error, lsp.MessageType.Warning),
                  "always": tuple(lsp.MessageType)}.get(self.show_notifications, ())
        if kind in wanted:
            self.window_show_message(lsp.ShowMessageParams(kind, f"Lime Task Lint: {text}"))

    def report_server_error(self, error: Exception, source) -> None:
        """pygls's default shows every protocol error as a pop-up; here it is logged,
        and shown only as ``showNotifications`` allows."""
        log.error("%s", error)
        request = self._configuration_request
        if request is not None and not request.done():
            # A workspace/configuration answer that does not decode (pygls cannot
            # settle our request): stop waiting for it now, not after 10 s.
            request.cancel()
        if getattr(source, "__name__", "") != "FeatureRequestError":
            self.notify_user(f"internal error: {error}", lsp.MessageType.Error)

    # -- what to lint ----------------------------------------------------------------
    def lintable(self, document: OpenDocument, settings: Settings, root: Path | None) -> bool:
        """Python documents the settings do not turn off: ``enable`` (per folder),
        ``exclude``, ``.gitignore`` (``respect-gitignore``, as the CLI walks folders),
        and library files (site-packages, the standard library) unless ``lintLibraryFiles``."""
        path = uri_to_path(document.uri)
        is_python = document.language_id in ("python", "") or (path or document.uri).endswith((".py", ".pyi"))
        if not is_python or not settings.enable:
            return False
        if path is None:
            return True
        if not settings.lint_library_files and is_library_file(path):
            return False
        # Patterns are relative to the configuration file's folder, else to the workspace folder.
        folder_uri = self.folder_uris.get(self.folder_for(document.uri))
        folder_path = uri_to_path(folder_uri) if folder_uri else None
        base = settings.project_root or root or (Path(folder_path) if folder_path else None)
        if is_excluded(path, settings, base):
            return False
        top = Path(folder_path) if folder_path else base
        return not (settings.respect_gitignore and GitIgnore().ignored(Path(path), within=top))

    # -- content keys ----------------------------------------------------------------
    def content_key(self, document: OpenDocument, settings: Settings, workspace: Workspace | None) -> str:
        """What an analysis of ``document`` is a function of: its text, its settings
        and the state of its workspace folder (bumped whenever a file in it changes)."""
        epoch = self._epochs.get(str(workspace.root), 0) if workspace is not None else 0
        return f"{text_digest(document.source)}:{len(document.source)}:{epoch}:{hash(repr(settings))}"

    def is_current(self, uri: str, content_key: str) -> bool:
        document = self.documents.get(uri)
        if document is None:
            return False
        settings, root = self.settings_for(uri)
        return self.content_key(document, settings, self.workspace_for(uri, root)) == content_key

    # -- analysis ------------------------------------------------------------------
    def schedule(self, uri: str, delay_ms: int | None = None) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._analyse_later(uri, delay_ms))

    async def _analyse_later(self, uri: str, delay_ms: int | None) -> None:
        try:
            settings, _ = self.settings_for(uri)
            delay = settings.debounce_ms if delay_ms is None else delay_ms
            if delay:
                await asyncio.sleep(delay / 1000)
            for late_round in range(MAX_LATE_ANSWER_ROUNDS):
                record = await self.record_async(uri, final=True)
                if record is None:
                    self.clear_diagnostics(uri)
                    return
                if not self.is_current(uri, record.content_key):
                    return  # closed or edited meanwhile: a newer run will publish
                self.publish(record.analysis, only_if_changed=late_round > 0)
                if record.final:
                    return
                workspace = record.analysis.workspace
                waiting = workspace.pending_answers() if isinstance(workspace, Workspace) else []
                if waiting and not await _all_done(waiting, LATE_ANSWER_WAIT_S):
                    log.info("jedi has not answered for %s after %.0f s", uri, LATE_ANSWER_WAIT_S)
                    return
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("analysis of %s failed", uri)
            self.notify_user(f"the analysis of {uri} failed; see the log", lsp.MessageType.Error)
        finally:
            task = self.pending.get(uri)
            if task is asyncio.current_task():
                self.pending.pop(uri, None)

    def workspace_for(self, uri: str, root: Path | None) -> Workspace | None:
        """The jedi-backed workspace of the folder holding ``uri`` (None for loose files)."""
        folder = self.folder_for(uri)
        base = uri_to_path(self.folder_uris.get(folder, folder)) if folder else (str(root) if root else None)
        if not base:
            return None
        workspace = self.workspaces.get(base)
        if workspace is None:
            workspace = self.workspaces[base] = Workspace(Path(base))
            for document in self.documents:  # unsaved text of documents opened before it existed
                path = uri_to_path(document.uri)
                if path and self.folder_for(document.uri) == folder:
                    workspace.set_text(path, document.source)
        return workspace

    def _analyse_now(self, uri: str, text: str, version: int | None, settings: Settings, root: Path | None,
                     workspace: Workspace | None, analyser: IncrementalAnalyser) -> tuple[Analysis, bool]:
        """(the analysis, whether it is final: no jedi answer was still pending)."""
        analysis = analyser.analyse(uri, text, settings, path=uri_to_path(uri), version=version, root=root,
                                    workspace=workspace)
        final = workspace is None or not workspace.pending_answers()
        return analysis, final

    async def record_async(self, uri: str, *, final: bool = False) -> _Record | None:
        """The analysis of the document's current content (None: not open or not
        linted).  A cached one is reused when its content key matches; with
        ``final`` a provisional one (jedi answered late) is computed again.

        One analysis per document at a time; other documents' analyses run on
        other threads, so this never waits for them."""
        lock = self._locks.get(uri)
        if lock is None:
            lock = self._locks[uri] = asyncio.Lock()
        async with lock:
            inputs = self._inputs(uri)
            if inputs is None:
                return None
            document, settings, root, workspace, key = inputs
            cached = self.records.get(uri)
            if cached is not None and cached.content_key == key and (cached.final or not final):
                return cached
            analyser = self.analyser_for(uri)
            analysis, is_final = await asyncio.get_running_loop().run_in_executor(
                self.executor, self._analyse_now, document.uri, document.source, document.version, settings, root,
                workspace, analyser)
            record = _Record(key, analysis, is_final)
            if self.is_current(uri, key):
                self.records[uri] = record
                self.analyses[uri] = analysis
            return record

    async def analysis_async(self, uri: str) -> Analysis | None:
        """The analysis of the document's current content (cached per content)."""
        record = await self.record_async(uri)
        return record.analysis if record is not None else None

    def _inputs(self, uri: str):
        """``(document, settings, project root, workspace, content key)`` of an open
        document that is linted, else None."""
        document = self.documents.get(uri)
        if document is None:
            return None
        settings, root = self.settings_for(uri)
        if not self.lintable(document, settings, root):
            return None
        workspace = self.workspace_for(uri, root)
        return document, settings, root, workspace, self.content_key(document, settings, workspace)

    def analysis_sync(self, uri: str) -> Analysis | None:
        """Like :meth:`analysis_async`, on the calling thread (commands)."""
        inputs = self._inputs(uri)
        if inputs is None:
            return None
        document, settings, root, workspace, key = inputs
        cached = self.records.get(uri)
        if cached is not None and cached.content_key == key:
            return cached.analysis
        analysis, final = self._analyse_now(document.uri, document.source, document.version, settings, root,
                                            workspace, self.analyser_for(uri))
        self.records[uri] = _Record(key, analysis, final)
        self.analyses[uri] = analysis
        return analysis

    def publish(self, analysis: Analysis, *, only_if_changed: bool = False) -> None:
        document = self.documents.get(analysis.uri)
        uri = document.uri if document is not None else analysis.uri  # the client's latest spelling
        body, self._fragments[uri] = publish_body(analysis, uri, self.encoding, self._fragments.get(uri) or {})
        digest = hashlib.blake2b(body.encode("utf-8"), digest_size=16).digest()
        if only_if_changed and self._published.get(uri) == digest:
            return  # a late jedi answer that changed nothing
        self._published[uri] = digest
        self.send_diagnostics(body)
        analyser = self._analysers.get(uri)
        # After an analysis from scratch (an open, a file that broke or parses again)
        # most of what it made lives on: collect and freeze it at once, before the
        # next keystroke's automatic collection would scan it all.
        from_scratch = analyser is not None and analyser.stats.last_mode != "incremental"
        self._schedule_idle_collect(0 if from_scratch else self.idle_collect_s)
        for note in analysis.result.notes:
            if not note.startswith("syntax error"):
                log.warning("%s: %s", uri, note)

    def clear_diagnostics(self, uri: str, *, force: bool = False) -> None:
        """Publish no diagnostics for ``uri`` (when something was published for it)."""
        self._fragments.pop(uri, None)
        if self._published.pop(uri, None) is None and not force:
            return
        self.send_diagnostics(json.dumps({"uri": uri, "diagnostics": []}))

    def _schedule_idle_collect(self, delay_s: float | None = None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a command run outside the event loop: the next publish schedules it
            return
        if self._idle_collect is not None:
            self._idle_collect.cancel()
        self._idle_collect = loop.call_later(self.idle_collect_s if delay_s is None else delay_s,
                                             self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        """Python's full garbage collection scans every object the analyses keep
        (the trees and findings of a 5,000-line file): run automatically, it lands
        in the middle of a keystroke's analysis, about 100 ms, the p95 of edit ->
        diagnostics.  It runs here instead, once no analysis is waiting or running,
        and what survives is frozen (``gc.freeze``), so the automatic collections
        scan only what later keystrokes make.  Everything is unfrozen first: a
        cycle that became garbage since the last time is collected now."""
        self._idle_collect = None
        if self.pending:
            self._schedule_idle_collect()  # an analysis is waiting or running: later
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def send_diagnostics(self, body: str) -> None:
        """``textDocument/publishDiagnostics`` with ``body``, its params as JSON text
        (tests replace this to see what is sent)."""
        self.protocol.notify_json(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, body)

    @property
    def encoding(self) -> str:
        value = self.workspace.position_encoding if self._workspace_ready() else None
        return str(getattr(value, "value", value) or "utf-16")

    def _workspace_ready(self) -> bool:
        try:
            self.workspace
        except Exception:
            return False
        return True

    # -- dependents ----------------------------------------------------------------
    def file_changed(self, uri: str, text: str | None, *, previous: str | None = None, saved: bool = False) -> None:
        """A file of the workspace changed (``text``: the editor's unsaved text; None:
        read it from disk).  Cross-file answers that may depend on it are dropped and
        every open document of its folder is re-analysed (debounced)."""
        path = uri_to_path(uri)
        folder = self.folder_for(uri)
        if path is None:
            return
        for workspace in self._workspaces_holding(uri, path):
            # A change that adds or removes ScheduledTask(...) changes which
            # functions are tasks everywhere: every cached answer goes.  Any other
            # unsaved edit drops only the answers about this file.
            scheduled = any(t is not None and _SCHEDULED.search(t) for t in (text, previous))
            if saved or text is None or scheduled:
                workspace.changed(path, text)
            else:
                workspace.set_text(path, text)
            self._epochs[str(workspace.root)] = self._epochs.get(str(workspace.root), 0) + 1
        # While typing, the others wait a little longer than the edited document.
        self.recheck_folder(folder, except_uri=uri, at_least_ms=0 if saved else DEPENDENTS_DELAY_MS)

    def recheck_folder(self, folder: str | None, *, except_uri: str | None = None, at_least_ms: int = 0) -> None:
        """Re-analyse the open documents of ``folder`` (every one when None), debounced
        (``debounceMs``, and at least ``at_least_ms``)."""
        for document in self.documents:
            if except_uri is not None and document.key == document_key(except_uri):
                continue
            if folder is not None and self.folder_for(document.uri) != folder:
                continue
            path = uri_to_path(document.uri)
            for workspace in self._workspaces_holding(document.uri, path):
                if path:
                    workspace.set_text(path, document.source)  # drops the answers about this document
            # Its components may depend on the changed file: analysed from scratch.
            self._analysers.pop(document.uri, None)
            settings, _ = self.settings_for(document.uri)
            self.schedule(document.uri, max(settings.debounce_ms, at_least_ms))

    def _workspaces_holding(self, uri: str, path: str | None) -> list[Workspace]:
        if path is None:
            return []
        resolved = Path(path).resolve() if os.path.isabs(path) else None
        found = []
        for workspace in self.workspaces.values():
            if resolved is not None and (resolved == workspace.root or workspace.root in resolved.parents):
                found.append(workspace)
        return found

    # -- command API (for feature modules) -----------------------------------------
    def analysis_for(self, uri: str) -> Analysis | None:
        return self.analysis_sync(uri)

    def apply_edits(self, uri: str, edits: list[Edit], label: str) -> bool:
        analysis = self.analysis_sync(uri)
        if analysis is None:
            return False
        edit = workspace_edit(analysis.uri, analysis.version, analysis.document.index, edits, self.encoding)
        self.workspace_apply_edit(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
        return True


class _AnalyserByDocument:
    """``server.incremental.view(analysis, ...)``: the view from the analyser of that document."""

    def __init__(self, server: LimeServer) -> None:
        self._server = server

    def view(self, analysis: Analysis, start: int, end: int | None = None) -> Analysis:
        analyser = self._server._analysers.get(analysis.uri)
        if analyser is None:
            return analysis
        return analyser.view(analysis, start, end)


async def _all_done(futures: list[Future], timeout: float) -> bool:
    """Wait until every one of ``futures`` (concurrent ones, from jedi's thread) is
    done, without cancelling them when this wait is cancelled; False on timeout."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    left = [len(futures)]

    def one_done() -> None:
        left[0] -= 1
        if left[0] <= 0:
            done.set()

    def from_thread(_future: Future) -> None:
        try:
            loop.call_soon_threadsafe(one_done)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    for future in futures:
        future.add_done_callback(from_thread)
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True


def is_library_file(path: str) -> bool:
    """Whether ``path`` is installed code: under a ``site-packages`` or
    ``dist-packages`` folder, or in this interpreter's standard library."""
    parts = set(Path(path).parts)
    if parts & _LIBRARY_FOLDERS:
        return True
    resolved = os.path.normcase(os.path.abspath(path))
    return any(resolved.startswith(folder + os.sep) for folder in _stdlib_folders())


_STDLIB: list[str] = []


def _stdlib_folders() -> list[str]:
    if not _STDLIB:
        names = ("stdlib", "platstdlib")
        _STDLIB.extend(sorted({os.path.normcase(os.path.abspath(p)) for p in
                               (sysconfig.get_paths().get(n) for n in names) if p}))
    return _STDLIB


# -- logging through the client --------------------------------------------------------
_LOG_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}


class ClientLogHandler(logging.Handler):
    """Sends the server's log records to the client as ``window/logMessage`` at
    their level (VS Code shows them in the extension's output channel, filtered
    by its log level).  Records from any thread are sent on the event loop."""

    _TYPES = ((logging.ERROR, lsp.MessageType.Error), (logging.WARNING, lsp.MessageType.Warning),
              (logging.INFO, lsp.MessageType.Info))

    def __init__(self, server: LimeServer) -> None:
        super().__init__()
        self.server = server
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.server._loop
        if loop is None or loop.is_closed():
            return
        try:
            kind = next((t for level, t in self._TYPES if record.levelno >= level), lsp.MessageType.Log)
            params = lsp.LogMessageParams(type=kind, message=self.format(record))
            if threading.current_thread() is threading.main_thread():
                self.server.window_log_message(params)
            else:
                loop.call_soon_threadsafe(self.server.window_log_message, params)
        except Exception:  # logging must never break the server
            pass


def set_log_level(level: str) -> None:
    """``logLevel``: what the server logs (to the client and to stderr)."""
    log.setLevel(_LOG_LEVELS.get(level, logging.INFO))


def to_range(index: LineIndex, start: int, end: int, encoding: str) -> lsp.Range:
    start_line, start_char = index.to_lsp(start, encoding)
    end_line, end_char = index.to_lsp(end, encoding)
    return lsp.Range(lsp.Position(start_line, start_char), lsp.Position(end_line, end_char))


def to_text_edits(index: LineIndex, edits: list[Edit] | tuple[Edit, ...], encoding: str) -> list[lsp.TextEdit]:
    return [lsp.TextEdit(to_range(index, e.start, e.end, encoding), e.new_text) for e in edits]


def workspace_edit(uri: str, version: int | None, index: LineIndex, edits, encoding: str) -> lsp.WorkspaceEdit:
    return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
        text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=to_text_edits(index, edits, encoding),
    )])


def fix_workspace_edit(ls: "LimeServer", analysis: Analysis, fix: Fix, encoding: str) -> lsp.WorkspaceEdit | None:
    """One ``WorkspaceEdit`` for every file ``fix`` edits; None when another file no
    longer has the text its edits were computed on (the fix is then not offered:
    the next analysis computes it again).  An open file is edited at its open
    version, a closed one (version null) on its text on disk."""
    edit = workspace_edit(analysis.uri, analysis.version, analysis.document.index, list(fix.edits), encoding)
    for file_edits in fix.other_files:
        open_document = next((d for d in ls.documents if _same_path(uri_to_path(d.uri), file_edits.path)), None)
        text = open_document.source if open_document is not None else current_text(file_edits.path)
        if not file_edits.applies_to(text):
            return None
        uri = open_document.uri if open_document is not None else path_to_uri(file_edits.path)
        version = open_document.version if open_document is not None else None
        edits = file_edits.edits
        if open_document is None and text.startswith(BOM):
            # The editor opens the file without its byte order mark: positions count from after it.
            text = text[1:]
            edits = tuple(Edit(max(e.start - 1, 0), max(e.end - 1, 0), e.new_text) for e in edits)
        edit.document_changes.extend(  # type: ignore[union-attr]
            workspace_edit(uri, version, LineIndex(text), edits, encoding).document_changes or ())
    return edit


def _same_path(path: str | None, other: str) -> bool:
    return path is not None and os.path.normcase(os.path.abspath(path)) == os.path.normcase(os.path.abspath(other))


server = LimeServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: LimeServer, params: lsp.InitializeParams) -> None:
    ls._loop = asyncio.get_event_loop()
    ls.install_document_store()
    for folder in params.workspace_folders or []:
        ls.folder_uris[document_key(folder.uri)] = folder.uri
    if not ls.folder_uris and params.root_uri:
        ls.folder_uris[document_key(params.root_uri)] = params.root_uri
    options = params.initialization_options or {}
    if isinstance(options, dict):
        global_settings = options.get("globalSettings") or {}
        if isinstance(global_settings, dict):
            ls.editor_settings[""] = global_settings
        per_folder = options.get("settings") or {}
        if isinstance(per_folder, dict):
            for folder, values in per_folder.items():
                if isinstance(values, dict):
                    ls.editor_settings[document_key(str(folder))] = values
        elif isinstance(per_folder, list):  # the template's list-of-folders shape
            for values in per_folder:
                if isinstance(values, dict) and isinstance(values.get("workspace"), str):
                    ls.editor_settings[document_key(values["workspace"])] = values
    ls.apply_editor_settings()
    log.info("lime-task-lint %s (pygls, lsprotocol, jedi, radon) on Python %s at %s",
             __version__, sys.version.split()[0], sys.executable)
    log.info("sys.path: %s", sys.path)
    settings, root = ls.settings_for(params.root_uri or "")
    log.info("settings in force: %s (project root: %s)", describe(settings), root)
    load_features()


@server.feature(lsp.INITIALIZED)
async def initialized(ls: LimeServer, params: lsp.InitializedParams) -> None:
    await _pull_configuration(ls)
    asyncio.get_running_loop().create_task(_watch_files(ls))


async def _watch_files(ls: LimeServer) -> None:
    """Ask the client to report changes on disk (git checkout, another editor) of
    Python and configuration files, when it can register watchers dynamically."""
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if not (watched and watched.dynamic_registration):
        return
    watchers = [lsp.FileSystemWatcher(glob_pattern=pattern)
                for pattern in ("**/*.py", *(f"**/{name}" for name in CONFIG_FILE_NAMES))]
    registration = lsp.Registration(id=_WATCHER_ID, method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                    register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))
    try:
        await asyncio.wait_for(ls.client_register_capability_async(lsp.RegistrationParams([registration])), 10)
    except Exception as exc:  # without a watcher, saves and edits still re-check
        log.info("the client did not register the file watcher: %s", exc)


async def _pull_configuration(ls: LimeServer) -> None:
    capabilities = ls.client_capabilities
    if not (capabilities.workspace and capabilities.workspace.configuration):
        return
    folders = list(ls.folder_uris.items())
    items = [lsp.ConfigurationItem(section="limeTaskLint")]
    items += [lsp.ConfigurationItem(scope_uri=uri, section="limeTaskLint") for _, uri in folders]
    request = ls._configuration_request = asyncio.ensure_future(
        ls.workspace_configuration_async(lsp.ConfigurationParams(items=items)))
    try:
        results = await asyncio.wait_for(request, 10)
    except (Exception, asyncio.CancelledError) as exc:  # a client that does not answer must not block the server
        if isinstance(exc, asyncio.CancelledError) and not request.cancelled():
            raise
        log.warning("could not read the editor settings: %s", exc or "the answer does not decode")
        return
    finally:
        ls._configuration_request = None
    if not isinstance(results, (list, tuple)) or not results:
        log.warning("could not read the editor settings: the client's answer is not a list")
        return
    if isinstance(results[0], dict):
        ls.editor_settings[""] = results[0]
    for (key, _), values in zip(folders, results[1:]):
        if isinstance(values, dict):
            ls.editor_settings[key] = values
    ls.apply_editor_settings()
    scopes = {ls.folder_uris.get(k, k) or "<global>": v for k, v in ls.editor_settings.items()}
    # One short line a scope at info (what differs from the defaults: the whole record,
    # every setting of every folder, buried the log's other lines); all of it at debug.
    for scope, values in scopes.items():
        log.info("editor settings for %s: %s", scope, _changed_from_defaults(values) or "the defaults")
    log.debug("editor settings, all: %s", {scope: _loggable(values) for scope, values in scopes.items()})


def _loggable(values: dict) -> dict:
    """Editor settings for the log: the values of our settings only.  An unknown
    key (a typo, or another tool's token in the same section) shows its name,
    never its value, which may be a secret."""
    return {key: (value if _kebab(str(key)) in KEYS else "<not shown>") for key, value in values.items()}


def _changed_from_defaults(values: dict) -> dict:
    """The editor settings (camelCase, as sent) whose value is not the server's
    default, with unknown keys' values hidden as in :func:`_loggable`."""
    converted, _ = convert_values(values, "editor settings", editor=True)
    defaults = Settings()
    changed = {}
    for key, value in _loggable(values).items():
        kebab = _kebab(str(key))
        if kebab in CLIENT_ONLY:  # the client's own (interpreter, ...): not the server's to judge
            continue
        if kebab not in KEYS:
            changed[key] = value
            continue
        name = KEYS[kebab].name
        if name in converted and converted[name] != getattr(defaults, name, None):
            changed[key] = value
    return changed


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: LimeServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("limeTaskLint"), dict):
        ls.editor_settings[""] = settings["limeTaskLint"]
        ls.apply_editor_settings()
    await _pull_configuration(ls)
    ls.reported.clear()
    for document in ls.documents:
        ls.schedule(document.uri, 0)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def did_change_workspace_folders(ls: LimeServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
    for folder in params.event.removed or []:
        ls.folder_uris.pop(document_key(folder.uri), None)
        ls.editor_settings.pop(document_key(folder.uri), None)
    for folder in params.event.added or []:
        ls.folder_uris[document_key(folder.uri)] = folder.uri
    await _pull_configuration(ls)  # the new folders' settings
    for document in ls.documents:
        ls.schedule(document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LimeServer, params: lsp.DidOpenTextDocumentParams) -> None:
    # pygls's handler has stored the document (ours: DocumentStore) before this runs.
    uri = params.text_document.uri
    path = uri_to_path(uri)
    on_disk = None
    for workspace in ls._workspaces_holding(uri, path):
        on_disk = workspace.text_of(path) if path else None
    if on_disk is not None and on_disk != params.text_document.text:
        ls.file_changed(uri, params.text_document.text, previous=on_disk)  # unsaved text others may read
    ls.schedule(uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LimeServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    document = ls.documents.get(uri)
    if document is None:
        return
    record = ls.records.get(uri)
    previous = record.analysis.document.text if record is not None else None
    ls.file_changed(uri, document.source, previous=previous)
    settings, _ = ls.settings_for(uri)
    if settings.run == "onType":
        ls.schedule(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LimeServer, params: lsp.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    document = ls.documents.get(uri)
    if _is_config_file(uri):
        _configuration_files_changed(ls)
        return
    ls.file_changed(uri, document.source if document is not None else None, saved=True)
    if document is not None:
        ls.schedule(uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LimeServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.analyses.pop(uri, None)
    record = ls.records.pop(uri, None)
    ls._analysers.pop(uri, None)
    ls._locks.pop(uri, None)
    path = uri_to_path(uri)
    if record is not None and path is not None and record.analysis.document.text == _read_or_none(path):
        for workspace in ls._workspaces_holding(uri, path):
            workspace.set_text(path, None)  # the buffer was the file on disk: nothing changes for others
    else:
        ls.file_changed(uri, None, saved=True)  # back to the text on disk
    ls.clear_diagnostics(uri, force=True)


def _read_or_none(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: LimeServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    configuration = False
    for change in params.changes or []:
        if _is_config_file(change.uri):
            configuration = True
            continue
        document = ls.documents.get(change.uri)
        # An open document's buffer wins over the disk (the editor shows the buffer).
        ls.file_changed(change.uri, document.source if document is not None else None, saved=True)
        if document is not None:
            ls.schedule(document.uri)
    if configuration:
        _configuration_files_changed(ls)


def _is_config_file(uri: str) -> bool:
    return document_key(uri).rsplit("/", 1)[-1] in CONFIG_FILE_NAMES


def _configuration_files_changed(ls: LimeServer) -> None:
    """A pyproject.toml / lime-task-lint.toml changed: every open document is checked again."""
    ls.reported.clear()
    for workspace in ls.workspaces.values():
        workspace.changed()
        ls._epochs[str(workspace.root)] = ls._epochs.get(str(workspace.root), 0) + 1
    ls.recheck_folder(None)


_ACTION_KINDS = [lsp.CodeActionKind.QuickFix, FIX_ALL_KIND, lsp.CodeActionKind.SourceFixAll,
                 lsp.CodeActionKind.RefactorRewrite, lsp.CodeActionKind.Refactor]


def _wanted(kind: str, only: list[str] | None) -> bool:
    if not only:
        return not kind.startswith("source")
    return any(kind == o or kind.startswith(f"{o}.") for o in only)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=_ACTION_KINDS, resolve_provider=True))
async def code_action(ls: LimeServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    analysis = await ls.analysis_async(uri)
    if analysis is None:
        return None
    encoding = ls.encoding
    index = analysis.document.index
    only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
    actions: list[lsp.CodeAction] = []
    text = text_digest(analysis.document.text)
    if _wanted(lsp.CodeActionKind.QuickFix.value, only):
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != SOURCE:
                continue
            actions.extend(_quick_fixes(ls, diagnostic, analysis, encoding, text))
    if _wanted(FIX_ALL_KIND, only) and only and analysis.settings.fix_all:
        actions.append(lsp.CodeAction(title="Lime Task Lint: fix all auto-fixable problems", kind=FIX_ALL_KIND,
                                      data={"uri": uri, "version": analysis.version, "text": text, "fixAll": True}))
    start = index.from_lsp(params.range.start.line, params.range.start.character, encoding)
    end = index.from_lsp(params.range.end.line, params.range.end.character, encoding)
    for provided in provided_actions(ls.incremental.view(analysis, start, end), start, end):
        if not _wanted(provided.kind, only):
            continue
        actions.append(lsp.CodeAction(
            title=provided.title, kind=provided.kind, is_preferred=provided.is_preferred or None,
            edit=workspace_edit(uri, analysis.version, index, provided.edits, encoding)))
    return actions


def _quick_fixes(ls: LimeServer, diagnostic: lsp.Diagnostic, analysis: Analysis, encoding: str, text: str
                 ) -> list[lsp.CodeAction]:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    if data.get("version") != analysis.version or data.get("text") != text:
        return []  # the diagnostic is from another text: its edits no longer line up
    index = analysis.document.index
    actions = []
    fix = _fix_of(diagnostic, analysis, encoding) if data.get("fixable") else None
    if fix is not None:
        if fix.applicability is not Applicability.DISPLAY_ONLY:
            title = fix.title if fix.is_safe else f"{fix.title} (unsafe)"
            edit = fix_workspace_edit(ls, analysis, fix, encoding)
            if edit is not None:
                actions.append(lsp.CodeAction(
                    title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                    is_preferred=True if fix.is_safe else None, edit=edit))
    code = str(diagnostic.code)
    noqa = add_noqa_edit(analysis.document.text, index, diagnostic.range.start.line, code)
    actions.append(lsp.CodeAction(
        title=f"Disable {code} for this line", kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        edit=workspace_edit(analysis.uri, analysis.version, index, [noqa], encoding)))
    return actions


def _fix_of(diagnostic: lsp.Diagnostic, analysis: Analysis, encoding: str) -> Fix | None:
    """The fix of the finding ``diagnostic`` was published for: the finding of
    ``analysis`` (the same text, checked by the caller) with the same code and
    range.  None when there is none (a client may send back anything)."""
    table = analysis.__dict__.get("_fixes_by_identity")
    if table is None:
        table = {}
        for violation in analysis.violations:
            if violation.fix is not None:
                found = to_range(analysis.document.index, violation.start, violation.end, encoding)
                key = (violation.code, found.start.line, found.start.character, found.end.line,
                       found.end.character)
                table.setdefault(key, violation.fix)
        analysis.__dict__["_fixes_by_identity"] = table
    try:
        start, end = diagnostic.range.start, diagnostic.range.end
        return table.get((str(diagnostic.code), start.line, start.character, end.line, end.character))
    except AttributeError:
        return None


@server.feature(lsp.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: LimeServer, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("fixAll") and isinstance(data.get("uri"), str):
        analysis = await ls.analysis_async(data["uri"])
        if analysis is not None and analysis.version == data.get("version") and \
                text_digest(analysis.document.text) == data.get("text"):
            edits = fix_all_edits(analysis.document, analysis.settings, root=analysis.root)
            action.edit = workspace_edit(analysis.uri, analysis.version, analysis.document.index, edits,
                                         ls.encoding)
    return action


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: LimeServer, params: lsp.HoverParams) -> lsp.Hover | None:
    analysis = await ls.analysis_async(params.text_document.uri)
    if analysis is None:
        return None
    offset = analysis.document.index.from_lsp(params.position.line, params.position.character, ls.encoding)
    view = ls.incremental.view(analysis, offset)  # the function's component only: no whole-file model
    text = await asyncio.get_running_loop().run_in_executor(ls.executor, hover_markdown, view, offset)
    if not text:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
async def code_lens(ls: LimeServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens] | None:
    analysis = await ls.analysis_async(params.text_document.uri)
    if analysis is None or not analysis.settings.code_lens:
        return None
    index = analysis.document.index
    lenses = await asyncio.get_running_loop().run_in_executor(ls.executor, provided_lenses, analysis)
    return [lsp.CodeLens(range=to_range(index, lens.start, lens.end, ls.encoding),
                         command=lsp.Command(title=lens.title, command=lens.command or "",
                                             arguments=lens.arguments or None))
            for lens in lenses]


def _register_commands() -> None:
    load_features()
    for name, handler in COMMANDS.items():
        server.command(name)(_command_runner(name, handler))


def _command_runner(name: str, handler):
    async def run(ls: LimeServer, *arguments):
        # The command's document is analysed first, off the event loop, so the
        # handler's analysis_for() finds it ready.
        uri = _uri_in(arguments)
        if uri is not None:
            await ls.analysis_async(uri)
        try:
            return handler(ls, list(arguments))
        except ValueError as exc:  # bad arguments, or a document that is not open: the client's mistake
            raise JsonRpcInvalidParams(f"{name}: {exc}") from None

    return run


def _uri_in(arguments) -> str | None:
    first = arguments[0] if arguments else None
    if isinstance(first, dict):
        first = first.get("uri") or first.get("external")
    return first if isinstance(first, str) else None


_register_commands()


def serve() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pygls logs every message at INFO: that would copy document text (and any
    # secret in it) into the log, so only its warnings are kept.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    log.addHandler(ClientLogHandler(server))  # window/logMessage, at the level of `logLevel`
    serve_stdio(server)  # pygls's start_io, with a reader that survives bad frames (protocol.py)
    # The client is gone (exit, or stdin closed).  An analysis still running in
    # the worker thread would keep the process alive until it ends (seconds on
    # a huge file): it has nothing to save, so leave at once, no orphan left.
    server.executor.shutdown(wait=False, cancel_futures=True)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(server.protocol.exit_code)  # LSP: 1 unless shutdown came before exit
