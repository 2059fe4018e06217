"""LIME101/LIME103 over stdio on the example workspace's contacts.py: diagnostics,
the LIME101 lazy quick fix, and the memory hover on a collection name."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .conftest import ROOT
from .helpers import answer_registrations, apply_text_edits, next_diagnostics

EXAMPLES = ROOT / "examples"
CONTACTS = EXAMPLES / "limepkg_acme" / "tasks" / "contacts.py"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "lime_task_lint"]))
async def examples_client(lsp_client: LanguageClient):
    lsp_client.set_configuration({"debounceMs": 0}, section="limeTaskLint")
    answer_registrations(lsp_client)
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=EXAMPLES.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=EXAMPLES.as_uri(), name="examples")],
        initialization_options={"globalSettings": {"debounceMs": 0}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_memory_rules_fix_and_hover(examples_client: LanguageClient):
    client = examples_client
    text = CONTACTS.read_text(encoding="utf-8")
    uri = CONTACTS.as_uri()  # opened from disk, never written
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    diagnostics = (await next_diagnostics(client, uri)).diagnostics
    lines = text.splitlines()
    materialized = next(d for d in diagnostics if d.code == "LIME101")
    kept = next(d for d in diagnostics if d.code == "LIME103")
    assert lines[materialized.range.start.line].strip() == "persons = list(app.limetypes.person.get_all())"
    # object-counts.person = 250000 in examples/pyproject.toml: over the 200 MB budget.
    assert "250,000" in materialized.message and "MB" in materialized.message
    assert "kept.append(company)" in lines[kept.range.start.line]
    assert "keep ids" in kept.message

    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=materialized.range,
        context=lsp.CodeActionContext(diagnostics=[materialized])))
    fix = next(a for a in actions if a.title.startswith("Iterate lazily"))
    assert fix.is_preferred and not fix.title.endswith("(unsafe)")
    [change] = fix.edit.document_changes
    fixed = apply_text_edits(text, change.edits)
    assert "    persons = app.limetypes.person.get_all()\n" in fixed
    compile(fixed, "contacts.py", "exec")

    # LIME103's advice is display-only: shown, never preferred.
    kept_actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=kept.range,
        context=lsp.CodeActionContext(diagnostics=[kept])))
    assert not any(a.is_preferred for a in kept_actions)

    line = next(i for i, l in enumerate(lines) if l.strip().startswith("persons = list("))
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, lines[line].index("persons") + 2)))
    assert hover is not None
    value = hover.contents.value
    assert "MB" in value and "budget" in value
    assert value.startswith("**Over the 200 MB task memory budget:**")
    assert "250,000 (from `object-counts.person`)" in value

    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)]))
    after = (await next_diagnostics(client, uri)).diagnostics
    assert not [d for d in after if d.code == "LIME101"]
    assert [d for d in after if d.code == "LIME103"]
