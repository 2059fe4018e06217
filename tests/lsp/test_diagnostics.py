"""Diagnostics and quick fixes over stdio, as VS Code would see them."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import apply_text_edits, next_diagnostics, open_document

TASK = '''from lime_task import task

# 日本語のコメント 😀 before the flagged code
@task
def count_companies(app: LimeApplication) -> int:
    """Count companies."""
    label = "会社 😀"; return len(list(app.limetypes.company.get_all()))
'''


async def test_open_publishes_lime104_with_utf16_range(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TASK)
    params = await next_diagnostics(client, uri)
    assert params.version == 1
    [diagnostic] = params.diagnostics
    assert diagnostic.code == "LIME104" and diagnostic.source == "lime-task-lint"
    line = TASK.splitlines()[6]
    # 😀 is one code point but two UTF-16 code units: the column counts it twice.
    assert diagnostic.range.start == lsp.Position(6, line.index("len(") + 1)
    assert diagnostic.range.end == lsp.Position(6, len(line) + 1)
    assert diagnostic.code_description is not None and "lime104" in diagnostic.code_description.href
    assert diagnostic.severity == lsp.DiagnosticSeverity.Warning


async def test_quick_fix_applies_and_diagnostic_goes(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TASK)
    [diagnostic] = (await next_diagnostics(client, uri)).diagnostics
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=diagnostic.range,
        context=lsp.CodeActionContext(diagnostics=[diagnostic])))
    titles = [a.title for a in actions]
    assert "Use `.count` instead of loading every object" in titles
    assert "Disable LIME104 for this line" in titles
    fix = next(a for a in actions if a.title.startswith("Use `.count`"))
    assert fix.is_preferred and fix.kind == lsp.CodeActionKind.QuickFix
    [change] = fix.edit.document_changes
    assert change.text_document.version == 1
    fixed = apply_text_edits(TASK, change.edits)
    assert 'label = "会社 😀"; return app.limetypes.company.get_all().count' in fixed

    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                         for e in change.edits]))
    params = await next_diagnostics(client, uri)
    assert params.version == 2 and not params.diagnostics


async def test_noqa_action_silences_the_line(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TASK)
    [diagnostic] = (await next_diagnostics(client, uri)).diagnostics
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=diagnostic.range,
        context=lsp.CodeActionContext(diagnostics=[diagnostic])))
    disable = next(a for a in actions if a.title == "Disable LIME104 for this line")
    [change] = disable.edit.document_changes
    fixed = apply_text_edits(TASK, change.edits)
    assert fixed.splitlines()[6].endswith("get_all()))  # noqa: LIME104")
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)]))
    params = await next_diagnostics(client, uri)
    assert not params.diagnostics


async def test_close_clears_diagnostics(client: LanguageClient, tmp_path):
    uri = open_document(client, tmp_path / "tasks.py", TASK)
    assert (await next_diagnostics(client, uri)).diagnostics
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    assert not (await next_diagnostics(client, uri)).diagnostics


async def test_broken_file_still_gets_diagnostics_for_intact_functions(client: LanguageClient, tmp_path):
    text = TASK + "\ndef half_typed(app:\n    x = (\n"
    uri = open_document(client, tmp_path / "tasks.py", text)
    params = await next_diagnostics(client, uri)
    assert [d.code for d in params.diagnostics] == ["LIME104"]
