"""Issue 14: the editor works on every machine and never shows stale findings.

URIs as VS Code sends them (percent-encoded drive colon, space, å/ä/ö), the
client's text kept with LSP's line breaks, results keyed by content, documents
re-checked when a file they depend on changes, and bad requests answered
without stopping the server.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import LanguageClient

from .helpers import next_diagnostics, open_document, record_diagnostics

COUNTING = '''from lime_task import task


@task
def tally_deals(app):
    """Tally the deals."""
    return len(list(app.limetypes.deal.get_all()))
'''
COUNTING_FIXED = COUNTING.replace("len(list(app.limetypes.deal.get_all()))", "app.limetypes.deal.get_all().count")


def _codes(params: lsp.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in params.diagnostics)


def _open_uri(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


def _replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def _published_until(client: LanguageClient, uri: str, wanted, timeout: float = 30) -> list[str]:
    """The codes of the first publishDiagnostics for ``uri`` from now on whose codes
    satisfy ``wanted`` (re-publishes may come first: the dependent is debounced, and
    a late jedi answer is published again); fails after ``timeout`` seconds."""
    position = len(record_diagnostics(client))

    async def wait():
        nonlocal position
        while True:
            params = await next_diagnostics(client, uri, timeout=timeout, after=position)
            position = client.published.index(params, position) + 1
            if wanted(_codes(params)):
                return _codes(params)

    return await asyncio.wait_for(wait(), timeout)


# -- URIs ---------------------------------------------------------------------------------

async def test_percent_encoded_uri_gets_diagnostics_hover_and_fix_all(client: LanguageClient, tmp_path):
    folder = tmp_path / "Åsa projekt" / "åtgärder"
    folder.mkdir(parents=True)
    uri = open_document(client, folder / "räkna.py", COUNTING)
    assert "%C3%85sa%20projekt" in uri  # what VS Code sends
    params = await next_diagnostics(client, uri)
    assert params.uri == uri  # published under the URI the client sent
    assert "LIME104" in _codes(params)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri), lsp.Position(6, 40)))
    assert hover is not None
    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams):
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lime-task-lint.fixAll", arguments=[uri]))
    assert result == {"applied": True}
    [edit] = applied
    assert edit.edit.document_changes[0].text_document.uri == uri


async def test_windows_uri_in_any_spelling_is_one_document(client: LanguageClient):
    sent = "file:///c%3A/Users/dev/limepkg_s%C3%A4lj/tasks/tally.py"
    _open_uri(client, sent, COUNTING)
    params = await next_diagnostics(client, sent)
    assert "LIME104" in _codes(params)
    # Another client spells the same file with a plain colon and upper-case drive.
    other = "file:///C:/Users/dev/limepkg_sälj/tasks/tally.py"
    _replace_all(client, other, 2, COUNTING_FIXED)
    params = await next_diagnostics(client, other)
    assert params.version == 2 and "LIME104" not in _codes(params)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(sent), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
        lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.SourceFixAll])))
    assert actions, "the document is known under its first spelling too"


# -- the client's text ------------------------------------------------------------------

@pytest.mark.parametrize("odd", ["\x0c", "\x0b", "\x1d", "\x85", "\u2028", "\u2029"])
async def test_incremental_edit_after_a_non_lsp_line_break_matches_a_fresh_open(client: LanguageClient,
                                                                              tmp_path, odd):
    text = f"# settings{odd}(one line for LSP)\n" + COUNTING_FIXED
    uri = open_document(client, tmp_path / "edited.py", text)
    await next_diagnostics(client, uri)
    # Type `print(1); ` in front of `return` (LSP line 7).
    position = lsp.Position(7, 4)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [lsp.TextDocumentContentChangePartial(range=lsp.Range(position, position), text="print(1); ")]))
    edited = await next_diagnostics(client, uri)
    lines = text.split("\n")
    lines[7] = lines[7][:4] + "print(1); " + lines[7][4:]
    fresh_uri = open_document(client, tmp_path / "fresh.py", "\n".join(lines))
    fresh = await next_diagnostics(client, fresh_uri)
    as_seen = [(d.code, d.range, d.message) for d in edited.diagnostics]
    assert as_seen == [(d.code, d.range, d.message) for d in fresh.diagnostics]
    assert "LIME304" in _codes(edited)


# -- results keyed by content ------------------------------------------------------------

async def test_second_open_with_new_text_never_republishes_old_findings(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "reopened.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, uri))
    _open_uri(client, uri, COUNTING_FIXED, version=1)  # same version, other text
    assert "LIME104" not in _codes(await next_diagnostics(client, uri))


async def test_change_repeating_a_version_never_republishes_old_findings(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "repeated.py", COUNTING)
    await next_diagnostics(client, uri)
    _replace_all(client, uri, 2, COUNTING + "\n")
    assert "LIME104" in _codes(await next_diagnostics(client, uri))
    _replace_all(client, uri, 2, COUNTING_FIXED)
    assert "LIME104" not in _codes(await next_diagnostics(client, uri))


async def test_a_diagnostic_of_older_text_with_the_same_version_offers_no_fix(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "stale.py", COUNTING)
    [old] = [d for d in (await next_diagnostics(client, uri)).diagnostics if d.code == "LIME104"]
    shifted = "import os\n" + COUNTING  # the finding now sits one line lower
    _open_uri(client, uri, shifted, version=1)
    await next_diagnostics(client, uri)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), old.range, lsp.CodeActionContext(diagnostics=[old])))
    assert not [a for a in actions or [] if a.diagnostics], "a fix computed on the old text was offered"


# -- dependents ------------------------------------------------------------------------------

HELPER_READS = '''def lookup(app, key):
    return app.limetypes.person.get(key)
'''
HELPER_NO_READ = '''def lookup(app, key):
    return key
'''
CALLER = '''from . import people


def show_all(app, keys):
    for key in keys:
        print(people.lookup(app, key))
'''


def _package(tmp_path):
    package = tmp_path / "crm"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "people.py").write_text(HELPER_READS)
    (package / "listing.py").write_text(CALLER)
    return package


async def test_unsaved_helper_edit_republishes_its_caller(client: LanguageClient, tmp_path):
    package = _package(tmp_path)
    caller = open_document(client, package / "listing.py", CALLER)
    assert "LIME203" in _codes(await next_diagnostics(client, caller))  # cross-file finding on open
    helper = open_document(client, package / "people.py", HELPER_READS)
    _replace_all(client, helper, 2, HELPER_NO_READ)  # unsaved: only the editor has this text
    await _published_until(client, caller, lambda codes: "LIME203" not in codes)


async def test_change_on_disk_reported_by_the_watcher_republishes(client: LanguageClient, tmp_path):
    package = _package(tmp_path)
    caller = open_document(client, package / "listing.py", CALLER)
    assert "LIME203" in _codes(await next_diagnostics(client, caller))
    (package / "people.py").write_text(HELPER_NO_READ)  # a git checkout, another editor
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=(package / "people.py").as_uri(), type=lsp.FileChangeType.Changed)]))
    await _published_until(client, caller, lambda codes: "LIME203" not in codes)


SCHEDULED_JOB = '''def sweep(app, cutoff):
    print(cutoff)
    return app.limetypes.company.get_all().count
'''
SCHEDULE_NONE = "from . import sweeper\n"
SCHEDULE_IT = '''from lime_task.schedule import ScheduledTask

from . import sweeper


def register_scheduled_tasks():
    return [ScheduledTask(task=sweeper.sweep)]
'''


async def test_saved_schedule_in_another_file_makes_a_function_a_task(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n")
    package = tmp_path / "jobs"
    package.mkdir()
    (package / "__init__.py").write_text(SCHEDULE_NONE)
    job = open_document(client, package / "sweeper.py", SCHEDULED_JOB)
    assert "LIME304" not in _codes(await next_diagnostics(client, job))  # not a task: print is fine
    init = open_document(client, package / "__init__.py", SCHEDULE_NONE)
    await next_diagnostics(client, init)
    _replace_all(client, init, 2, SCHEDULE_IT)
    (package / "__init__.py").write_text(SCHEDULE_IT)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(init)))
    await _published_until(client, job, lambda codes: {"LIME304", "LIME402"} <= set(codes))


async def test_unsaved_schedule_of_the_documents_own_function_takes_effect_at_once(client: LanguageClient,
                                                                                 tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n")
    package = tmp_path / "solo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    text = "from lime_task.schedule import ScheduledTask\n\n\n" + SCHEDULED_JOB
    uri = open_document(client, package / "one.py", text)
    assert "LIME304" not in _codes(await next_diagnostics(client, uri))
    scheduled = text + "\n\ndef register_scheduled_tasks():\n    return [ScheduledTask(task=sweep)]\n"
    _replace_all(client, uri, 2, scheduled)
    await _published_until(client, uri, lambda codes: "LIME304" in codes)


async def test_pyproject_change_rechecks_open_documents(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "counting.py", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, uri))
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lime-task-lint]\nignore = ["LIME104"]\n')
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=pyproject.as_uri(), type=lsp.FileChangeType.Created)]))
    assert "LIME104" not in _codes(await next_diagnostics(client, uri))


async def test_file_watcher_registered_for_python_and_configuration_files(client: LanguageClient):
    for _ in range(100):
        if client.registrations:
            break
        await asyncio.sleep(0.05)
    [registration] = [r for r in client.registrations if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    options = registration.register_options
    watchers = options["watchers"] if isinstance(options, dict) else options.watchers
    globs = {w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in watchers}
    assert {"**/*.py", "**/pyproject.toml"} <= globs


# -- bad input ---------------------------------------------------------------------------------

async def test_requests_about_unknown_documents_get_empty_answers(client: LanguageClient, tmp_path):
    unknown = (tmp_path / "never_opened.py").as_uri()
    for uri in (unknown, "file://", "untitled:Untitled-9", "file:///c%3A/nowhere/x.py"):
        identifier = lsp.TextDocumentIdentifier(uri)
        assert await client.text_document_hover_async(lsp.HoverParams(identifier, lsp.Position(0, 0))) is None
        assert not await client.text_document_code_action_async(lsp.CodeActionParams(
            identifier, lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), lsp.CodeActionContext(diagnostics=[])))
        assert not await client.text_document_code_lens_async(lsp.CodeLensParams(identifier))
        _replace_all(client, uri, 5, "x = 1\n")  # a change of a document that is not open: ignored
    # The server keeps serving, and a document without a file path is linted too.
    _open_uri(client, "untitled:Untitled-1", COUNTING)
    assert "LIME104" in _codes(await next_diagnostics(client, "untitled:Untitled-1"))


@pytest.mark.parametrize("arguments", [[], [5], [None], [{"uri": 7}], ["file:///not/open.py"]])
async def test_bad_command_arguments_are_invalid_params_without_a_traceback(client: LanguageClient, arguments):
    with pytest.raises(JsonRpcInvalidParams) as raised:
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            command="lime-task-lint.fixAll", arguments=arguments))
    assert "lime-task-lint.fixAll" in raised.value.message
    assert not raised.value.data  # no traceback for the client to show
