"""Settings applied live, bad settings reported, fix-all, stale results dropped."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import apply_text_edits, next_diagnostics, open_document

TWO = '''from lime_task import task

@task
def job(app: LimeApplication) -> int:
    """Count companies and persons."""
    a = len(list(app.limetypes.company.get_all()))
    b = len([p for p in app.limetypes.person.get_all()])
    return a + b
'''


async def test_bad_setting_is_reported_and_defaults_used(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\nbatch-size = -3\nnot-a-key = 1\n")
    uri = open_document(client, tmp_path / "tasks.py", TWO)
    params = await next_diagnostics(client, uri)
    assert [d.code for d in params.diagnostics] == ["LIME104", "LIME104"]  # still working
    for _ in range(50):
        if len(client.log_messages) >= 2:
            break
        await asyncio.sleep(0.05)
    # Reported in the log (window/logMessage, a warning) and, by default
    # (showNotifications: off), never as a pop-up.
    texts = [m.message for m in client.log_messages if m.type == lsp.MessageType.Warning]
    assert any("`batch-size` must be a positive whole number" in t and "pyproject.toml" in t for t in texts)
    assert any("unknown setting `not-a-key`" in t for t in texts)
    assert client.messages == []


async def test_configuration_change_applies_without_restart(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TWO)
    assert len((await next_diagnostics(client, uri)).diagnostics) == 2
    client.set_configuration({"debounceMs": 0, "ignore": ["LIME104"]}, section="limeTaskLint")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    assert not (await next_diagnostics(client, uri)).diagnostics


async def test_fix_all_code_action_and_command(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TWO)
    await next_diagnostics(client, uri)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
        context=lsp.CodeActionContext(diagnostics=[], only=["source.fixAll.lime-task-lint"])))
    [fix_all] = actions
    resolved = await client.code_action_resolve_async(fix_all)
    [change] = resolved.edit.document_changes
    fixed = apply_text_edits(TWO, change.edits)
    assert "a = app.limetypes.company.get_all().count" in fixed
    assert "b = app.limetypes.person.get_all().count" in fixed

    applied: list[lsp.ApplyWorkspaceEditParams] = []

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams):
        applied.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="lime-task-lint.fixAll", arguments=[uri]))
    assert result["applied"] is True
    [params] = applied
    assert apply_text_edits(TWO, params.edit.document_changes[0].edits) == fixed


async def test_stale_diagnostic_offers_no_fix(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TWO)
    diagnostics = (await next_diagnostics(client, uri)).diagnostics
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text="\n\n" + TWO)]))
    params = await next_diagnostics(client, uri)
    assert params.version == 2 and params.diagnostics[0].range.start.line == diagnostics[0].range.start.line + 2
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=diagnostics[0].range,
        context=lsp.CodeActionContext(diagnostics=list(diagnostics))))
    assert not [a for a in actions or [] if a.title.startswith("Use `.count`")]
