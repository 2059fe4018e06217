from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient


def answer_registrations(client: LanguageClient) -> None:
    """Answer ``client/registerCapability`` as VS Code does (null), keeping the
    registrations in ``client.registrations`` for tests to inspect."""
    client.registrations = []
    record_diagnostics(client)

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)


def record_diagnostics(client: LanguageClient) -> list[lsp.PublishDiagnosticsParams]:
    """Every publishDiagnostics the client receives, in order (installed once).

    pytest-lsp's ``wait_for_notification`` keeps one waiter per method, so of two
    notifications handled back to back the second is lost; this list loses none."""
    if not hasattr(client, "published"):
        client.published = []
        handle = client.protocol._handle_notification

        def recording(method_name, params):
            if method_name == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                client.published.append(params)
            return handle(method_name, params)

        client.protocol._handle_notification = recording
    return client.published


async def next_diagnostics(client: LanguageClient, uri: str, timeout: float = 15,
                           after: int | None = None) -> lsp.PublishDiagnosticsParams:
    """The next publishDiagnostics for ``uri`` (others are skipped): the first one
    received after this call, or after position ``after`` of ``record_diagnostics``."""
    published = record_diagnostics(client)
    start = len(published) if after is None else after

    async def wait():
        seen = start
        while True:
            for params in published[seen:]:
                if params.uri == uri:
                    return params
            seen = len(published)
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(wait(), timeout)


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text, encoding="utf-8", newline="")
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


def apply_text_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to ``text`` the way an editor does."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(position: lsp.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        start = sum(len(line) for line in lines[:position.line])
        units = 0
        for index, char in enumerate(lines[position.line]):
            if units >= position.character:
                return start + index
            units += 2 if ord(char) > 0xFFFF else 1
        return start + len(lines[position.line].rstrip("\r\n"))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
        lines = text.splitlines(keepends=True) or [""]
    return text
