"""LIME201/LIME203 over stdio on the example workspace: diagnostics, the batching
quick fix, and the round-trip hover on the loop."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .conftest import ROOT
from .helpers import answer_registrations, apply_text_edits, next_diagnostics

EXAMPLES = ROOT / "examples"
CONTRACTS = EXAMPLES / "limepkg_acme" / "tasks" / "contracts.py"


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


def _open(client: LanguageClient) -> tuple[str, str]:
    text = CONTRACTS.read_text(encoding="utf-8")
    uri = CONTRACTS.as_uri()  # opened from disk, never written
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri, text


async def _quick_fix(client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic, prefix: str) -> lsp.CodeAction:
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=diagnostic.range,
        context=lsp.CodeActionContext(diagnostics=[diagnostic])))
    return next(a for a in actions or [] if a.title.startswith(prefix))


async def test_db_rules_fix_and_hover(examples_client: LanguageClient):
    client = examples_client
    uri, text = _open(client)
    diagnostics = (await next_diagnostics(client, uri)).diagnostics
    codes = {d.code for d in diagnostics}
    assert {"LIME201", "LIME203"} <= codes
    lines = text.splitlines()
    # refresh_company_names: a `.get(id)` and a commit per item.  The loop reads what it
    # writes, so batching alone is withheld and says why; pre-fetching the read first
    # makes the batching fix available (what a user does with the two quick fixes).
    task_line = next(i for i, l in enumerate(lines) if l.startswith("def refresh_company_names"))
    commit = next(d for d in diagnostics if d.code == "LIME201" and d.range.start.line > task_line)
    assert "once per item of the loop" in commit.message and "pre-fetch the read first" in commit.message
    read = next(d for d in diagnostics if d.code == "LIME203" and d.range.start.line > task_line)
    assert "company.get" in lines[read.range.start.line]
    # Diagnostics do not carry their fix (megabytes per keystroke on big files): the code
    # action finds it again by the finding's identity in the same analysis.
    assert read.data.get("fixable") is True and "fix" not in read.data
    assert not commit.data.get("fixable")

    line = next(i for i, l in enumerate(lines) if l.strip().startswith("for row in"))
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, lines[line].index("for") + 1)))
    assert hover is not None
    value = hover.contents.value
    assert "Database round trips" in value
    assert "1 read + 1 commit per item: 200,000 round trips at 100,000 items" in value
    assert "batched and pre-fetched: 2,001" in value

    prefetch = await _quick_fix(client, uri, read, "Pre-fetch")
    assert prefetch.title.endswith("(unsafe)") and not prefetch.is_preferred
    [change] = prefetch.edit.document_changes
    prefetched = apply_text_edits(text, change.edits)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=prefetched)]))
    middle = (await next_diagnostics(client, uri)).diagnostics
    middle_lines = prefetched.splitlines()
    commit = next(d for d in middle if d.code == "LIME201" and "uow.commit()" in middle_lines[d.range.start.line]
                  and d.range.start.line > task_line)
    fix = await _quick_fix(client, uri, commit, "Commit in batches of 50")
    assert fix.title.endswith("(unsafe)") and not fix.is_preferred
    [change] = fix.edit.document_changes
    fixed = apply_text_edits(prefetched, change.edits)
    # requires-python >= 3.11 in examples/pyproject.toml: islice, not batched.
    assert "while batch := list(itertools.islice(items, 50)):" in fixed
    assert "import itertools" in fixed
    compile(fixed, "contracts.py", "exec")

    # Applying the fix clears that loop's LIME201.
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)]))
    after = (await next_diagnostics(client, uri)).diagnostics
    assert sum(d.code == "LIME201" for d in after) == sum(d.code == "LIME201" for d in middle) - 1
