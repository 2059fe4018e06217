"""The language server: LSP plumbing only.

Analysis happens in :mod:`checker` (diagnostics) and in the feature modules
(hovers, actions, lenses, commands); this module turns their results into LSP
messages.  Analysis runs in a worker thread, once per document version; code
actions only read what the diagnostics carry in ``data``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .analysis import Analysis
from .edits import Applicability, Edit, Fix, LineIndex
from .extensions import COMMANDS, hover_markdown, load_features, provided_actions, provided_lenses
from .fixer import fix_all_edits
from .incremental import IncrementalAnalyser
from .framework import Severity, all_rules
from .noqa import add_noqa_edit
from .protocol import LimeProtocol, serve_stdio
from .settings import KEYS, Settings, _kebab, describe, resolve_settings
from .workspace import Workspace

log = logging.getLogger("lime_task_lint")

SOURCE = "lime-task-lint"
FIX_ALL_KIND = "source.fixAll.lime-task-lint"
_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


class LimeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("lime-task-lint", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental, protocol_cls=LimeProtocol)
        #: Raw editor settings: "" for the global ones, else per workspace folder URI.
        self.editor_settings: dict[str, dict] = {}
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task] = {}
        # One worker: analyses of one document are ordered and memory stays flat.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lime-analysis")
        self.reported: set[str] = set()
        self.workspaces: dict[str, Workspace] = {}
        self.incremental = IncrementalAnalyser()

    # -- settings ------------------------------------------------------------------
    def folder_for(self, uri: str) -> str:
        best = ""
        for folder in self.editor_settings:
            if folder and uri.startswith(folder.rstrip("/") + "/") and len(folder) > len(best):
                best = folder
        return best

    def settings_for(self, uri: str) -> tuple[Settings, Path | None]:
        raw = dict(self.editor_settings.get("", {}))
        raw.update(self.editor_settings.get(self.folder_for(uri), {}))
        path = _path_of(uri)
        settings, problems, pyproject = resolve_settings(Path(path) if path else None, raw)
        for problem in problems:
            self.report_problem(problem)
        return settings, (pyproject.parent if pyproject else None)

    def report_problem(self, problem: str) -> None:
        if problem in self.reported:
            return
        self.reported.add(problem)
        log.warning("%s", problem)
        self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"Lime Task Lint: {problem}"))

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
            analysis = await self.analysis_async(uri)
            if analysis is None:
                return
            document = self.workspace.text_documents.get(uri)
            if document is None or document.version != analysis.version:
                return  # closed or edited meanwhile: a newer run will publish
            self.publish(analysis)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("analysis of %s failed", uri)
        finally:
            task = self.pending.get(uri)
            if task is asyncio.current_task():
                self.pending.pop(uri, None)

    def workspace_for(self, uri: str, root: Path | None) -> Workspace | None:
        """The jedi-backed workspace of the folder holding ``uri`` (None for loose files)."""
        folder = self.folder_for(uri)
        base = _path_of(folder) if folder else (str(root) if root else None)
        if not base:
            for candidate in getattr(self.workspace, "folders", {}).values():
                if uri.startswith(candidate.uri.rstrip("/") + "/"):
                    base = _path_of(candidate.uri)
                    break
        if not base:
            return None
        workspace = self.workspaces.get(base)
        if workspace is None:
            workspace = self.workspaces[base] = Workspace(Path(base))
        return workspace

    def _analyse_now(self, uri: str, text: str, version: int | None) -> Analysis:
        settings, root = self.settings_for(uri)
        path = _path_of(uri)
        workspace = self.workspace_for(uri, root)
        if workspace is not None and path:
            workspace.overlay[str(Path(path).resolve())] = text
        # Incremental: only the functions an edit can affect are re-analysed.
        return self.incremental.analyse(uri, text, settings, path=path, version=version, root=root,
                                        workspace=workspace)

    async def analysis_async(self, uri: str) -> Analysis | None:
        """The analysis of the document's current version (cached per version)."""
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        cached = self.analyses.get(uri)
        if cached is not None and cached.version == document.version:
            return cached
        text, version = document.source, document.version
        analysis = await asyncio.get_running_loop().run_in_executor(
            self.executor, self._analyse_now, uri, text, version)
        current = self.workspace.text_documents.get(uri)
        if current is not None and current.version == version:
            self.analyses[uri] = analysis
        return analysis

    def analysis_sync(self, uri: str) -> Analysis | None:
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        cached = self.analyses.get(uri)
        if cached is not None and cached.version == document.version:
            return cached
        analysis = self._analyse_now(uri, document.source, document.version)
        self.analyses[uri] = analysis
        return analysis

    def publish(self, analysis: Analysis) -> None:
        encoding = self.encoding
        diagnostics = [to_diagnostic(v, analysis, encoding) for v in analysis.violations]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=analysis.uri, diagnostics=diagnostics, version=analysis.version))
        for note in analysis.result.notes:
            if not note.startswith("syntax error"):
                log.warning("%s: %s", analysis.uri, note)

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

    # -- command API (for feature modules) -----------------------------------------
    def analysis_for(self, uri: str) -> Analysis | None:
        return self.analysis_sync(uri)

    def apply_edits(self, uri: str, edits: list[Edit], label: str) -> bool:
        analysis = self.analysis_sync(uri)
        if analysis is None:
            return False
        edit = workspace_edit(uri, analysis.version, analysis.document.index, edits, self.encoding)
        self.workspace_apply_edit(lsp.ApplyWorkspaceEditParams(edit=edit, label=label))
        return True


def _path_of(uri: str) -> str | None:
    if uri.startswith("file:"):
        return to_fs_path(uri)
    return None


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


def to_diagnostic(violation, analysis: Analysis, encoding: str) -> lsp.Diagnostic:
    rule = all_rules().get(violation.code)
    data: dict[str, Any] = {"version": analysis.version}
    if violation.fix is not None:
        data["fix"] = violation.fix.to_dict()
    return lsp.Diagnostic(
        range=to_range(analysis.document.index, violation.start, violation.end, encoding),
        message=violation.message,
        severity=_SEVERITY[violation.severity or Severity.WARNING],
        code=violation.code,
        code_description=lsp.CodeDescription(href=rule.url()) if rule else None,
        source=SOURCE,
        data=data,
    )


server = LimeServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: LimeServer, params: lsp.InitializeParams) -> None:
    options = params.initialization_options or {}
    if isinstance(options, dict):
        global_settings = options.get("globalSettings") or {}
        if isinstance(global_settings, dict):
            ls.editor_settings[""] = global_settings
        per_folder = options.get("settings") or {}
        if isinstance(per_folder, dict):
            for folder, values in per_folder.items():
                if isinstance(values, dict):
                    ls.editor_settings[str(folder)] = values
        elif isinstance(per_folder, list):  # the template's list-of-folders shape
            for values in per_folder:
                if isinstance(values, dict) and isinstance(values.get("workspace"), str):
                    ls.editor_settings[values["workspace"]] = values
    log.info("lime-task-lint %s (pygls, lsprotocol, jedi, radon) on Python %s at %s",
             __version__, sys.version.split()[0], sys.executable)
    log.info("sys.path: %s", sys.path)
    settings, root = ls.settings_for(params.root_uri or "")
    log.info("settings in force: %s (project root: %s)", describe(settings), root)
    load_features()


@server.feature(lsp.INITIALIZED)
async def initialized(ls: LimeServer, params: lsp.InitializedParams) -> None:
    await _pull_configuration(ls)


async def _pull_configuration(ls: LimeServer) -> None:
    capabilities = ls.client_capabilities
    if not (capabilities.workspace and capabilities.workspace.configuration):
        return
    folders = list(ls.workspace.folders.values())
    items = [lsp.ConfigurationItem(section="limeTaskLint")]
    items += [lsp.ConfigurationItem(scope_uri=f.uri, section="limeTaskLint") for f in folders]
    try:
        results = await asyncio.wait_for(ls.workspace_configuration_async(lsp.ConfigurationParams(items=items)), 10)
    except Exception as exc:  # a client that does not answer must not block the server
        log.warning("could not read the editor settings: %s", exc)
        return
    if not results:
        return
    if isinstance(results[0], dict):
        ls.editor_settings[""] = results[0]
    for folder, values in zip(folders, results[1:]):
        if isinstance(values, dict):
            ls.editor_settings[folder.uri] = values
    for uri in list(ls.workspace.text_documents):
        settings, _ = ls.settings_for(uri)
    log.info("editor settings: %s", {k or "<global>": _loggable(v) for k, v in ls.editor_settings.items()})


def _loggable(values: dict) -> dict:
    """Editor settings for the log: the values of our settings only.  An unknown
    key (a typo, or another tool's token in the same section) shows its name,
    never its value, which may be a secret."""
    return {key: (value if _kebab(str(key)) in KEYS else "<not shown>") for key, value in values.items()}


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: LimeServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("limeTaskLint"), dict):
        ls.editor_settings[""] = settings["limeTaskLint"]
    await _pull_configuration(ls)
    ls.reported.clear()
    ls.analyses.clear()
    for uri in list(ls.workspace.text_documents):
        ls.schedule(uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LimeServer, params: lsp.DidOpenTextDocumentParams) -> None:
    if params.text_document.language_id in ("python", "") or params.text_document.uri.endswith(".py"):
        ls.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LimeServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LimeServer, params: lsp.DidSaveTextDocumentParams) -> None:
    path = _path_of(params.text_document.uri)
    for workspace in ls.workspaces.values():
        workspace.changed(path)  # cross-file answers (callers, helpers) may have changed
    if params.text_document.uri in ls.workspace.text_documents:
        ls.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LimeServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.analyses.pop(uri, None)
    ls.incremental.forget(uri)
    path = _path_of(uri)
    for workspace in ls.workspaces.values():
        workspace.changed(path)  # back to the text on disk
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


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
    if _wanted(lsp.CodeActionKind.QuickFix.value, only):
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != SOURCE:
                continue
            actions.extend(_quick_fixes(diagnostic, analysis, encoding))
    if _wanted(FIX_ALL_KIND, only) and only:
        actions.append(lsp.CodeAction(title="Lime Task Lint: fix all auto-fixable problems", kind=FIX_ALL_KIND,
                                      data={"uri": uri, "version": analysis.version, "fixAll": True}))
    start = index.from_lsp(params.range.start.line, params.range.start.character, encoding)
    end = index.from_lsp(params.range.end.line, params.range.end.character, encoding)
    for provided in provided_actions(ls.incremental.view(analysis, start, end), start, end):
        if not _wanted(provided.kind, only):
            continue
        actions.append(lsp.CodeAction(
            title=provided.title, kind=provided.kind, is_preferred=provided.is_preferred or None,
            edit=workspace_edit(uri, analysis.version, index, provided.edits, encoding)))
    return actions


def _quick_fixes(diagnostic: lsp.Diagnostic, analysis: Analysis, encoding: str) -> list[lsp.CodeAction]:
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    if data.get("version") != analysis.version:
        return []  # the diagnostic is from an older version: its edits no longer line up
    index = analysis.document.index
    actions = []
    fix = _decoded_fix(data.get("fix"))
    if fix is not None:
        if fix.applicability is not Applicability.DISPLAY_ONLY:
            title = fix.title if fix.is_safe else f"{fix.title} (unsafe)"
            actions.append(lsp.CodeAction(
                title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                is_preferred=True if fix.is_safe else None,
                edit=workspace_edit(analysis.uri, analysis.version, index, list(fix.edits), encoding)))
    code = str(diagnostic.code)
    noqa = add_noqa_edit(analysis.document.text, index, diagnostic.range.start.line, code)
    actions.append(lsp.CodeAction(
        title=f"Disable {code} for this line", kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        edit=workspace_edit(analysis.uri, analysis.version, index, [noqa], encoding)))
    return actions


def _decoded_fix(fix_data) -> Fix | None:
    """The fix a diagnostic carries, or None when its data is not one of ours
    (a client may send back anything): one bad diagnostic must not fail the
    whole code action request."""
    if not fix_data:
        return None
    try:
        return Fix.from_dict(fix_data)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("ignored a diagnostic whose fix data does not decode")
        return None


@server.feature(lsp.CODE_ACTION_RESOLVE)
def code_action_resolve(ls: LimeServer, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("fixAll") and isinstance(data.get("uri"), str):
        analysis = ls.analysis_sync(data["uri"])
        if analysis is not None and analysis.version == data.get("version"):
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
    def run(ls: LimeServer, *arguments):
        try:
            return handler(ls, list(arguments))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc

    return run


_register_commands()


def serve() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pygls logs every message at INFO: that would copy document text (and any
    # secret in it) into the log, so only its warnings are kept.
    logging.getLogger("pygls").setLevel(logging.WARNING)
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
