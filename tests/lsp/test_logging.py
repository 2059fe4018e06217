"""Logging rules and the timing action over stdio, on the example deals.py."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from .helpers import apply_text_edits, next_diagnostics, open_document

DEALS = Path(__file__).resolve().parents[2] / "examples" / "limepkg_acme" / "tasks" / "deals.py"


async def test_deals_secret_and_f_prefix_fix_and_measure(client: LanguageClient, tmp_path):
    text = DEALS.read_text(encoding="utf-8")
    uri = open_document(client, tmp_path / "deals.py", text)
    diagnostics = (await next_diagnostics(client, uri)).diagnostics
    by_code = {}
    for diagnostic in diagnostics:
        by_code.setdefault(diagnostic.code, []).append(diagnostic)
    assert "LIME302" in by_code and "LIME303" in by_code
    [secret] = by_code["LIME302"]
    line = text.splitlines()[secret.range.start.line]
    assert line[secret.range.start.character:secret.range.end.character] == "{api_key}"

    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=secret.range,
        context=lsp.CodeActionContext(diagnostics=[secret])))
    redact = next(a for a in actions if a.title == "Redact the secret from the log")
    [change] = redact.edit.document_changes
    fixed = apply_text_edits(text, change.edits)
    assert 'logger.info(f"Sending deals to {url} with key ***")' in fixed
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)]))
    after = (await next_diagnostics(client, uri)).diagnostics
    assert not [d for d in after if d.code == "LIME302"]
    assert [d for d in after if d.code == "LIME303"]

    # "Measure this block" on the `for deal in ...` loop of sync_deals.
    lines = fixed.splitlines()
    first = next(i for i, l in enumerate(lines) if l.startswith("    for deal in app.limetypes.deal.get_all(limit=500)"))
    last = next(i for i, l in enumerate(lines) if "Deal sync failed" in l)
    measure_actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri),
        range=lsp.Range(lsp.Position(first, 4), lsp.Position(last, len(lines[last]))),
        context=lsp.CodeActionContext(diagnostics=[], only=[lsp.CodeActionKind.Refactor])))
    measure = next(a for a in measure_actions if a.title == "Measure this block")
    assert measure.kind == lsp.CodeActionKind.RefactorRewrite
    [change] = measure.edit.document_changes
    timed = apply_text_edits(fixed, change.edits)
    assert "import time" in timed
    assert "    deal_loop_started = time.perf_counter()\n    for deal in" in timed
    assert 'logger.info("deal loop took %.3f s", time.perf_counter() - deal_loop_started)' in timed
