"""The open documents: the client's text, kept with LSP's line semantics.

LSP (and every editor) breaks lines only at ``\\n``, ``\\r\\n`` and ``\\r``.
pygls (2.1.1: ``TextDocument.lines`` and ``_apply_incremental_change`` in
``pygls/workspace/text_document.py``) applies incremental changes with
``str.splitlines()``, which also breaks at form feed, vertical tab,
``\\x1c``-``\\x1e``, NEL (``\\x85``), U+2028 and U+2029; after one such
character every edit below it lands on the wrong line.  No upstream
openlawlibrary/pygls issue for it was found when this was written: it is to be
reported there, and this store kept until a release fixes it.

:class:`DocumentStore` replaces pygls's text document store: positions are resolved with
:class:`edits.LineIndex`, which uses LSP's line breaks, and documents are keyed
by :func:`uris.document_key`, so every spelling of a URI finds the same one.

It subclasses pygls's ``Workspace`` so pygls's own ``didOpen`` / ``didChange`` /
``didClose`` handlers (which run before ours) update this store and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterator

from lsprotocol import types as lsp
from pygls.workspace import Workspace as PyglsWorkspace

from .edits import LineIndex
from .uris import document_key

log = logging.getLogger(__name__)


@dataclass
class OpenDocument:
    """One open document.  ``uri`` is the URI as the client last sent it (used in
    every message back); ``key`` is its normalised form."""

    uri: str
    key: str
    source: str
    version: int | None
    language_id: str = ""


def apply_change(text: str, change, encoding: str = "utf-16") -> str:
    """``text`` after one ``TextDocumentContentChangeEvent``.

    A change with a ``range`` replaces that range (positions in ``encoding``
    units; a position past the end of a line or of the document is clamped, as
    the spec says); a change without one is the whole new text.
    """
    new_text = getattr(change, "text", "")
    change_range = getattr(change, "range", None)
    if change_range is None:
        return new_text
    index = LineIndex(text)
    start = index.from_lsp(change_range.start.line, change_range.start.character, encoding)
    end = index.from_lsp(change_range.end.line, change_range.end.character, encoding)
    if end < start:
        start, end = end, start
    return text[:start] + new_text + text[end:]


class DocumentStore(PyglsWorkspace):
    """pygls's workspace with our document store: normalised keys, LSP lines."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._open: dict[str, OpenDocument] = {}

    @classmethod
    def replacing(cls, workspace: PyglsWorkspace) -> "DocumentStore":
        """A store with ``workspace``'s root, folders and position encoding."""
        store = cls(workspace.root_uri, getattr(workspace, "_sync_kind", lsp.TextDocumentSyncKind.Incremental),
                    list(workspace.folders.values()), workspace.position_encoding)
        return store

    @property
    def encoding(self) -> str:
        value = self.position_encoding
        return str(getattr(value, "value", value) or "utf-16")

    # -- our API ---------------------------------------------------------------------
    def get(self, uri: str) -> OpenDocument | None:
        """The open document ``uri`` names (any spelling), or None."""
        return self._open.get(document_key(uri))

    def __iter__(self) -> Iterator[OpenDocument]:
        return iter(list(self._open.values()))

    def __len__(self) -> int:
        return len(self._open)

    def open(self, uri: str, text: str, version: int | None, language_id: str = "") -> OpenDocument:
        document = OpenDocument(uri, document_key(uri), text, version, language_id or "")
        self._open[document.key] = document
        return document

    def change(self, uri: str, version: int | None, changes) -> OpenDocument | None:
        """Apply ``changes`` in order; None (and nothing changed) when ``uri`` is not open."""
        document = self.get(uri)
        if document is None:
            log.warning("change of a document that is not open: %s", uri)
            return None
        text = document.source
        for change in changes or ():
            text = apply_change(text, change, self.encoding)
        document.source = text
        document.version = version
        document.uri = uri
        return document

    def close(self, uri: str) -> OpenDocument | None:
        return self._open.pop(document_key(uri), None)

    # -- pygls's workspace API, redirected to the store --------------------------------
    @property
    def text_documents(self):
        return {document.key: document for document in self._open.values()}

    def put_text_document(self, text_document: lsp.TextDocumentItem, notebook_uri: str | None = None):
        self.open(text_document.uri, text_document.text, text_document.version, text_document.language_id)

    def update_text_document(self, text_doc, change):
        self.change(text_doc.uri, text_doc.version, [change])

    def remove_text_document(self, doc_uri: str):
        self.close(doc_uri)

    def get_text_document(self, doc_uri: str):
        return self.get(doc_uri) or super().get_text_document(doc_uri)
