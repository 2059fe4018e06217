"""What one analysis learnt from other files: the result cache's dependencies.

A cached result may be reused only while everything its analysis consulted is
the same.  The analysis of a file consults other files in three ways, and each
is noted here while a :func:`recording` is open on the thread:

* it **reads a file's content** (a helper's syntax tree, a caller's module): the
  file and the digest of its text (:func:`note_file`);
* it asks a **question about the whole workspace** whose answer is small while
  reading it would mean every file ("which files mention this module's name",
  "which functions of this file are scheduled elsewhere", "is this name
  mentioned in another file"): the question and its answer
  (:func:`note_answer`), asked again when the entry is validated; the files
  read only to answer it are not noted (:func:`answering`), except in a
  *basis* noted with the answer: parts of it, each with the digests of the
  files it came from, that validation takes instead of recomputing them
  while those files are unchanged;
* it asks **jedi**, which may read any file: the result depends on everything
  (:func:`note_unknown`).

Caches that keep what was built from other files (``ModuleIndex.model``,
``ModuleIndex.resolve``) keep the notes made while building it and
:func:`replay` them on every hit, so a second analysis that reuses another
module's summary depends on that module just as the first did.

Nothing is noted when no recording is open (the editor's analyses): the cost
outside the CLI's cache is one thread-local lookup per note.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_local = threading.local()


class Consulted:
    """The notes of one recording: ``files`` (absolute path -> content digest,
    ``"missing"`` when it could not be read), ``answers`` (question -> answer,
    both JSON-able), ``bases`` (question -> what lets its answer be asked again
    with less work, JSON-able; see :func:`note_answer`) and ``unknown`` (jedi
    answered something)."""

    __slots__ = ("files", "answers", "bases", "unknown")

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.answers: dict[tuple, Any] = {}
        self.bases: dict[tuple, Any] = {}
        self.unknown = False

    def add(self, other: "Consulted") -> None:
        self.files.update(other.files)
        self.answers.update(other.answers)
        self.bases.update(other.bases)
        self.unknown = self.unknown or other.unknown


def _open() -> list[Consulted]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def active() -> bool:
    """Whether notes are wanted on this thread (a recording is open)."""
    return bool(getattr(_local, "stack", None))


@contextmanager
def recording() -> Iterator[Consulted]:
    """Notes made on this thread until the block ends; they are added to the
    enclosing recording too (a summary built for one analysis is part of it)."""
    consulted = Consulted()
    stack = _open()
    stack.append(consulted)
    try:
        yield consulted
    finally:
        stack.pop()
        if stack:
            stack[-1].add(consulted)


@contextmanager
def answering() -> Iterator[None]:
    """The block computes a question's answer, which the caller notes instead
    (validation asks it again): what the block reads is not added to the
    enclosing recording.  It is still noted inside, so a cache filled in the
    block (``ModuleIndex.resolve``) keeps complete notes for its later hits."""
    stack = _open()
    stack.append(Consulted())  # dropped at the end, never added to the one below
    try:
        yield
    finally:
        stack.pop()


def text_digest(text: str | bytes) -> str:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: str) -> str:
    """The digest of a file's text as the workspace reads it (UTF-8, universal
    newlines; unreadable: empty), or "missing"."""
    try:
        with open(path, encoding="utf-8") as handle:
            return text_digest(handle.read())
    except FileNotFoundError:
        return "missing"
    except (OSError, UnicodeDecodeError):
        return text_digest("")


def note_file(path: str, digest: str) -> None:
    if active():
        _local.stack[-1].files[path] = digest


def note_answer(question: tuple, answer: Any, basis: Any = None) -> None:
    """``basis``: parts of the answer that validation may take instead of
    recomputing them, each carrying the digests of the files it was computed
    from (``ModuleIndex.incoming_roles``: per caller file, the calls it makes);
    the answer is still computed again and compared."""
    if active():
        _local.stack[-1].answers[question] = answer
        if basis is not None:
            _local.stack[-1].bases[question] = basis


def note_unknown() -> None:
    if active():
        _local.stack[-1].unknown = True


def replay(consulted: Consulted | None) -> None:
    """A cache hit: note again what building the cached value noted."""
    if consulted is not None and active():
        _local.stack[-1].add(consulted)
