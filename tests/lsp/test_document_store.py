"""The server's copy of a document follows LSP's line breaks (\\n, \\r\\n, \\r only)."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from lime_task_lint.documents import DocumentStore, apply_change

#: Characters str.splitlines() breaks at but LSP does not.
NOT_LINE_BREAKS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def _insert(line: int, character: int, text: str) -> lsp.TextDocumentContentChangePartial:
    position = lsp.Position(line, character)
    return lsp.TextDocumentContentChangePartial(range=lsp.Range(position, position), text=text)


@pytest.mark.parametrize("odd", NOT_LINE_BREAKS)
def test_an_edit_below_a_character_splitlines_breaks_at_lands_on_the_right_line(odd):
    text = f"# part one{odd}still line zero\nfirst = 1\nsecond = 2\n"
    assert apply_change(text, _insert(2, 0, "x = 0; ")) == \
        f"# part one{odd}still line zero\nfirst = 1\nx = 0; second = 2\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_lsp_line_break_counts(newline):
    text = newline.join(["a", "b", "c"])
    assert apply_change(text, _insert(2, 1, "!")) == newline.join(["a", "b", "c!"])


def test_positions_are_utf16_code_units():
    text = "s = '😀é'; t = 1\n"
    # 😀 is two UTF-16 units: character 9 is just after the closing quote.
    change = lsp.TextDocumentContentChangePartial(
        range=lsp.Range(lsp.Position(0, 4), lsp.Position(0, 9)), text="''")
    assert apply_change(text, change) == "s = ''; t = 1\n"
    assert apply_change(text, _insert(0, 8, " "), "utf-32") == "s = '😀é' ; t = 1\n"


def test_positions_past_the_end_are_clamped():
    text = "a\nbc\n"
    assert apply_change(text, _insert(1, 99, "!")) == "a\nbc!\n"
    assert apply_change(text, _insert(99, 0, "z")) == "a\nbc\nz"


def test_a_full_change_replaces_the_text():
    assert apply_change("old\n", lsp.TextDocumentContentChangeWholeDocument(text="new\n")) == "new\n"


def test_the_store_finds_a_document_by_any_spelling_of_its_uri():
    store = DocumentStore(None)
    store.put_text_document(lsp.TextDocumentItem(uri="file:///c%3A/ws/%C3%A5.py", language_id="python",
                                                 version=1, text="a = 1\n"))
    store.update_text_document(lsp.VersionedTextDocumentIdentifier(uri="file:///C:/ws/å.py", version=2),
                               _insert(0, 5, "0"))
    document = store.get("file:///c:/ws/%C3%A5.py")
    assert document is not None and document.source == "a = 10\n" and document.version == 2
    assert document.uri == "file:///C:/ws/å.py"  # the client's latest spelling, for messages back
    assert store.get_text_document("file:///c%3A/ws/%C3%A5.py") is document
    store.remove_text_document("file:///c%3A/ws/%C3%A5.py")
    assert store.get("file:///C:/ws/å.py") is None and len(store) == 0


def test_a_change_to_a_document_that_is_not_open_changes_nothing():
    store = DocumentStore(None)
    assert store.change("file:///nowhere.py", 3, [_insert(0, 0, "x")]) is None
    assert len(store) == 0
