"""Every example file and rule fixture, whole and truncated at every line.

Truncation is what a user typing a file from top to bottom produces; cutting
each line in the middle as well gives the half-typed statement.  Runs every
registered rule, so a new rule's fixtures join the corpus by themselves.
"""

from __future__ import annotations

import os

import pytest

from .properties import check_document, corpus, corpus_texts, ROOT

FILES = corpus()
IDS = [str(p.relative_to(ROOT)) for p in FILES]
STEP = 1 if os.environ.get("LIME_SLOW") == "1" else 4


def test_corpus_is_not_empty():
    assert len(FILES) >= 7, FILES  # examples + at least one fixture


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_whole_file(path):
    text = path.read_text(encoding="utf-8")
    check_document(text, fixes=50, hovers=30, actions=10)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_truncated_at_every_line(path):
    """The file up to each line (fix checks on every third cut, fix-all on every tenth)."""
    text = path.read_text(encoding="utf-8")
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        check_document(text[:offset], fixes=1 if number % 3 == 0 else 0, hovers=2, actions=1,
                       fix_all=number % 10 == 0)
        offset += len(line)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_truncated_mid_line(path):
    """Half-typed statements: each line cut in its middle (every STEP-th line; all with LIME_SLOW=1)."""
    text = path.read_text(encoding="utf-8")
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True)):
        if number % STEP == 0:
            half = len(line.rstrip("\r\n")) // 2
            check_document(text[:offset + half], fixes=1, hovers=2, actions=1, fix_all=False)
        offset += len(line)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_line_deleted(path):
    """Removing one line (a cut, a half-finished move) breaks indentation and blocks
    (every STEP-th line; all with LIME_SLOW=1)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for number in range(0, len(lines), STEP):
        check_document("".join(lines[:number] + lines[number + 1:]), fixes=1, hovers=1, actions=1, fix_all=False)


def test_all_examples_in_one_file():
    """One document holding the whole corpus: many tasks, many findings, fix-all over all of them."""
    text = "\n".join(t for _, t in corpus_texts())
    check_document(text, fixes=20, hovers=20, actions=10)
