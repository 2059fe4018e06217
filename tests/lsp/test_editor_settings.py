"""Issue 19 in the editor: exclude and per-file-ignores, enable per folder,
fixAll, showNotifications, run, logLevel, and a client's garbled configuration answer."""

from __future__ import annotations

import asyncio
import time

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from fuzz.rawlsp import RawServer

from .helpers import next_diagnostics, open_document, record_diagnostics

COUNTING = '''from lime_task import task


@task
def tally_deals(app):
    """Tally the deals."""
    return len(list(app.limetypes.deal.get_all()))
'''


def _codes(params: lsp.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in params.diagnostics)


def _reconfigure(client: LanguageClient, settings: dict, scope_uri: str | None = None) -> None:
    client.set_configuration({"debounceMs": 0, **settings}, section="limeTaskLint", scope_uri=scope_uri)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))


async def test_exclude_and_per_file_ignores_apply_in_the_editor(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lime-task-lint]\nexclude = ["generated/"]\nper-file-ignores = {"legacy/*.py" = ["LIME104"]}\n')
    for folder in ("generated", "legacy", "tasks"):
        (tmp_path / folder).mkdir()
    excluded = open_document(client, tmp_path / "generated" / "deals.py", COUNTING)
    legacy = open_document(client, tmp_path / "legacy" / "deals.py", COUNTING)
    legacy_codes = _codes(await next_diagnostics(client, legacy))
    assert "LIME104" not in legacy_codes and legacy_codes  # only the ignored code goes
    plain = open_document(client, tmp_path / "tasks" / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, plain))
    assert excluded not in client.diagnostics or not client.diagnostics[excluded]


async def test_editor_exclude_is_relative_to_the_workspace_folder(client: LanguageClient, tmp_path):
    _reconfigure(client, {"exclude": ["vendored/"]})
    (tmp_path / "vendored").mkdir()
    (tmp_path / "tasks").mkdir()
    excluded = open_document(client, tmp_path / "vendored" / "deals.py", COUNTING)
    plain = open_document(client, tmp_path / "tasks" / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, plain))
    # The configuration may arrive after the first analysis; what counts is what the user is left with.
    await asyncio.sleep(1)
    assert not client.diagnostics.get(excluded)


async def test_enable_false_for_one_folder(client: LanguageClient, tmp_path, tmp_path_factory):
    inside = open_document(client, tmp_path / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, inside))
    outside = open_document(client, tmp_path_factory.mktemp("elsewhere") / "deals.py", COUNTING)
    await next_diagnostics(client, outside)
    mark = len(record_diagnostics(client))
    _reconfigure(client, {"enable": False}, scope_uri=tmp_path.as_uri())
    assert not (await next_diagnostics(client, inside, after=mark)).diagnostics  # cleared
    # Another folder (here: a loose file) keeps its findings.
    assert "LIME104" in _codes(await next_diagnostics(client, outside, after=mark))


async def test_fix_all_false_keeps_lime_out_of_source_fix_all(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "deals.py", COUNTING)
    await next_diagnostics(client, uri)

    async def fix_all_titles():
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.SourceFixAll])))
        return [a.title for a in actions or []]

    assert await fix_all_titles()
    _reconfigure(client, {"fixAll": False})
    await next_diagnostics(client, uri)
    assert await fix_all_titles() == []


async def test_show_notifications_on_warning_pops_up_a_bad_setting(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\nmax-complexity = 0\n")
    _reconfigure(client, {"showNotifications": "onWarning"})
    uri = open_document(client, tmp_path / "deals.py", COUNTING)
    await next_diagnostics(client, uri)
    for _ in range(100):
        if client.messages:
            break
        time.sleep(0.02)
    assert any("max-complexity" in m.message and m.type == lsp.MessageType.Warning for m in client.messages)


async def test_run_on_save_lints_on_save_not_while_typing(client: LanguageClient, tmp_path):
    _reconfigure(client, {"run": "onSave"})
    uri = open_document(client, tmp_path / "deals.py", COUNTING.replace("len(list(", "sum(list("))
    assert "LIME104" not in _codes(await next_diagnostics(client, uri))  # linted on open
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [lsp.TextDocumentContentChangeWholeDocument(text=COUNTING)]))
    try:
        early = await next_diagnostics(client, uri, timeout=1.5)
    except TimeoutError:
        early = None
    assert early is None, "linted while typing"
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    params = await next_diagnostics(client, uri)
    assert params.version == 2 and "LIME104" in _codes(params)


def _log_types(raw: RawServer) -> list[int]:
    return [n["params"]["type"] for n in raw.notifications if n["method"] == "window/logMessage"]


def test_log_level_decides_what_reaches_the_client_log(tmp_path):
    for level, info_expected in (("info", True), ("warning", False)):
        raw = RawServer(tmp_path, tmp_path / f"stderr-{level}.log", extra_settings={"logLevel": level})
        try:
            raw.initialize(tmp_path)
            uri = raw.open(tmp_path / "deals.py", COUNTING)
            raw.diagnostics(uri)
            raw.open(tmp_path / "bad.py", "x = 1\n")
            (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\nnot-a-setting = 1\n")
            raw.notify("workspace/didChangeWatchedFiles", {"changes": [
                {"uri": (tmp_path / "pyproject.toml").as_uri(), "type": 1}]})
            raw.wait_notification("window/logMessage", lambda p: "not-a-setting" in p["message"])
            types = _log_types(raw)
            assert lsp.MessageType.Warning.value in types
            assert (lsp.MessageType.Info.value in types) == info_expected, (level, types)
        finally:
            raw.shutdown()
            (tmp_path / "pyproject.toml").unlink()


class _GarbledConfigurationClient(RawServer):
    """Answers workspace/configuration with 5 (not a list) once ``garbled`` is set."""

    garbled = False

    def _answer(self, message: dict) -> None:
        if self.garbled and message["method"] == "workspace/configuration":
            self.send({"id": message["id"], "result": 5})
            return
        super()._answer(message)


def test_a_configuration_answer_that_is_not_a_list_causes_no_popup_and_no_wait(tmp_path):
    raw = _GarbledConfigurationClient(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        uri = raw.open(tmp_path / "deals.py", COUNTING)
        raw.diagnostics(uri)
        raw.garbled = True
        mark = raw.mark()
        started = time.monotonic()
        raw.notify("workspace/didChangeConfiguration", {"settings": {"limeTaskLint": {"debounceMs": 0}}})
        raw.diagnostics(uri, mark)
        assert time.monotonic() - started < 5
        popups = [n for n in raw.notifications[mark:] if n["method"] == "window/showMessage"]
        assert popups == []
        assert raw.hover(uri, 6, 30).get("error") is None  # still serving
    finally:
        raw.shutdown()


async def test_an_added_workspace_folder_gets_its_own_settings(client: LanguageClient, tmp_path_factory):
    added = tmp_path_factory.mktemp("added folder")
    client.set_configuration({"debounceMs": 0, "ignore": ["LIME104"]}, section="limeTaskLint",
                             scope_uri=added.as_uri())
    uri = open_document(client, added / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, uri))  # not a folder yet: global settings
    mark = len(record_diagnostics(client))
    client.workspace_did_change_workspace_folders(lsp.DidChangeWorkspaceFoldersParams(
        lsp.WorkspaceFoldersChangeEvent(added=[lsp.WorkspaceFolder(uri=added.as_uri(), name="added")], removed=[])))
    assert "LIME104" not in _codes(await next_diagnostics(client, uri, after=mark))


async def test_files_git_ignores_are_not_linted(client: LanguageClient, tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\n")
    (tmp_path / "scratch").mkdir()
    ignored = open_document(client, tmp_path / "scratch" / "deals.py", COUNTING)
    kept = open_document(client, tmp_path / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, kept))
    await asyncio.sleep(1)
    assert not client.diagnostics.get(ignored)
    # respect-gitignore = false lints it
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\nrespect-gitignore = false\n")
    mark = len(record_diagnostics(client))
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=(tmp_path / "pyproject.toml").as_uri(), type=lsp.FileChangeType.Created)]))
    assert "LIME104" in _codes(await next_diagnostics(client, ignored, after=mark))


async def test_every_setting_the_extension_contributes_at_its_default_keeps_linting(client: LanguageClient,
                                                                                    tmp_path):
    """The VS Code client sends every contributed setting with its default: none of
    them may stop the server from linting (a default that means "off" would)."""
    import json
    from pathlib import Path

    manifest = json.loads((Path(__file__).resolve().parents[2] / "package.json").read_text(encoding="utf-8"))
    defaults = {key.split(".", 1)[1]: value["default"]
                for key, value in manifest["contributes"]["configuration"]["properties"].items()}
    _reconfigure(client, {**defaults, "debounceMs": 0})
    (tmp_path / "tasks").mkdir()
    plain = open_document(client, tmp_path / "tasks" / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, plain))


async def test_a_workspace_folder_inside_an_ignored_folder_of_an_enclosing_repository_is_linted(
        client: LanguageClient, tmp_path):
    """Only the ignore files at or below the workspace folder count: a project opened
    from inside another repository's ignored folder (a scratch or output folder) is
    still the user's code; an ignored file inside the workspace folder is not linted."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("out/\n")
    inner = tmp_path / "out" / "Åsa projekt"
    (inner / "scratch").mkdir(parents=True)
    (inner / ".gitignore").write_text("scratch/\n")
    client.workspace_did_change_workspace_folders(lsp.DidChangeWorkspaceFoldersParams(
        lsp.WorkspaceFoldersChangeEvent(added=[lsp.WorkspaceFolder(uri=inner.as_uri(), name="inner")], removed=[])))
    await asyncio.sleep(0.2)
    kept = open_document(client, inner / "deals.py", COUNTING)
    ignored = open_document(client, inner / "scratch" / "deals.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, kept))
    await asyncio.sleep(1)
    assert not client.diagnostics.get(ignored)
