"""Complexity hover: on a function's name, its radon cyclomatic complexity and
rank, and the module's maintainability index (radon's MI, 0-100, rank A-C).

Hovers receive a *view* of the document (other top-level functions blanked to
spaces, see ``incremental.view``), so the function's own complexity is read
from the view, but the maintainability index is computed on the real full
text (see :func:`_full_text`); when that cannot be known the hover leaves the
index out rather than measure the blanked view.  The index costs
a few hundred milliseconds on a 10,000-line file, so it is computed once per
text and kept per document (one entry per URI; the cache key is the version
and the text's hash), and on a long file it is computed on a background
thread: meanwhile the hover shows the previous version's index, marked as
such (see :func:`maintainability_index`).
"""

from __future__ import annotations

import ast
import os
import sys
import threading
import time
from typing import NamedTuple

from ..analysis import Analysis
from ..docstrings.editing import FUNCS, name_range
from ..extensions import hover_provider
from ..rules.lime501_complex_task import complexity_rank, function_complexity

_MI_CACHE: dict[str, tuple[tuple, float | None]] = {}
_MI_LOCK = threading.Lock()
_MI_URIS = 32


@hover_provider
def complexity_hover(analysis: Analysis, offset: int) -> str | None:
    document = analysis.document
    node = _function_named_at(document, offset)
    if node is None:
        return None
    complexity = function_complexity(node)
    threshold = analysis.settings.max_complexity
    lines = [f"**Cyclomatic complexity** of `{node.name}`: {complexity} (rank {complexity_rank(complexity)}; "
             f"limit {threshold})"]
    mi = maintainability_index(analysis)
    if mi.value is not None:
        when = "" if mi.current else " (before the last edit; being measured again)"
        lines += ["", f"Maintainability index of the module: {mi.value:.0f} (rank {_mi_rank(mi.value)}; "
                      f"A above 19, B 10-19, C 9 or less){when}"]
    elif not mi.current:
        lines += ["", "Maintainability index of the module: being measured"]
    elif mi.text_known:
        lines += ["", "Maintainability index of the module: unknown (the module does not parse)"]
    # else: the real text is not known (a view outside the server): no index rather than a wrong one
    return "\n".join(lines)


def _function_named_at(document, offset: int):
    """The function whose name in its ``def`` line holds ``offset``."""
    index = document.index
    line = index.line_of(offset) + 1
    for stmt in document.tree.body:
        if not stmt.lineno <= line <= (getattr(stmt, "end_lineno", None) or stmt.lineno):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, FUNCS) and node.lineno == line:
                start, end = name_range(document, node)
                if start <= offset <= end and end - start == len(node.name):
                    return node
        return None
    return None


class MI(NamedTuple):
    value: float | None
    current: bool  # False: ``value`` is the previous version's (or None), a new one is being measured
    text_known: bool  # False: the real full text could not be found, nothing was measured


def maintainability_index(analysis: Analysis, *, wait: bool | None = None) -> MI:
    """radon's MI (multi-line strings counted as comments) of the real full text
    of the analysed document.

    ``value`` is None when the module does not parse, its real text is unknown
    or no value is known yet.
    A text of up to :data:`SYNC_LINES` lines is measured on the spot.  A longer
    one is measured on a background thread (once per text) and, until that is
    done, the value of the document's previous version is given with
    ``current=False``, so a hover never waits the few hundred milliseconds the
    index takes on a 10,000-line file.  ``wait=True`` always measures on the spot.
    """
    text = _full_text(analysis)
    if text is None:
        return MI(None, True, False)
    key = (analysis.version, len(text), hash(text))
    with _MI_LOCK:
        cached = _MI_CACHE.get(analysis.uri)
    if cached is not None and cached[0] == key:
        return MI(cached[1], True, True)
    if wait is None:
        wait = text.count("\n") < SYNC_LINES
    if wait:
        value = _measure(text)
        _store(analysis.uri, key, value)
        return MI(value, True, True)
    with _MI_LOCK:
        pending = _PENDING.get(analysis.uri)
        if pending != key:
            _PENDING[analysis.uri] = key
            threading.Thread(target=_measure_later, args=(analysis.uri, key, text), daemon=True,
                             name="lime-task-lint-mi").start()
    return MI(cached[1] if cached is not None else None, False, True)


SYNC_LINES = 2000
_PENDING: dict[str, tuple] = {}


def _measure(text: str) -> float | None:
    from radon.metrics import mi_visit

    try:
        return float(mi_visit(text, True))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


#: Seconds the background measurement waits before starting: radon parses in C
#: without releasing the GIL (~0.1 s on 10,000 lines), so starting at once would
#: hold up the hover's own answer; and a newer version asked for meanwhile wins.
DELAY_S = 0.25


def _measure_later(uri: str, key: tuple, text: str) -> None:
    time.sleep(DELAY_S)
    with _MI_LOCK:
        if _PENDING.get(uri) != key:
            return  # superseded by a newer version
    try:
        value = _measure(text)
    except Exception:  # never let a background thread die loudly
        value = None
    with _MI_LOCK:
        if _PENDING.get(uri) == key:
            _PENDING.pop(uri, None)
    _store(uri, key, value)


def _store(uri: str, key: tuple, value: float | None) -> None:
    with _MI_LOCK:
        if len(_MI_CACHE) >= _MI_URIS and uri not in _MI_CACHE:
            _MI_CACHE.pop(next(iter(_MI_CACHE)))
        _MI_CACHE[uri] = (key, value)


def _full_text(analysis: Analysis) -> str | None:
    """The document's real text, or None when it cannot be known.

    A hover's view blanks the other top-level functions to spaces (same length,
    same line breaks), and nothing in it says whether it is a view.  So a
    candidate text is accepted only when it agrees with the analysed text
    everywhere except on lines that are all spaces there.  Candidates, in
    order: an analysis' ``full_text`` (if the analyser provides one), the
    running server's analysis of the same URI and version, and the file on disk
    (unchanged since it was saved)."""
    text = analysis.document.text
    candidates = [getattr(analysis, "full_text", None), _server_text(analysis), _disk_text(analysis.document.path)]
    for candidate in candidates:
        if isinstance(candidate, str) and _agrees(candidate, text):
            return candidate
    return None


def _server_text(analysis: Analysis) -> str | None:
    server_module = sys.modules.get("lime_task_lint.server")
    analyses = getattr(getattr(server_module, "server", None), "analyses", None)
    if not isinstance(analyses, dict):
        return None
    real = analyses.get(analysis.uri)
    if real is None or getattr(real, "version", None) != analysis.version:
        return None
    return getattr(getattr(real, "document", None), "text", None)


_DISK: dict[str, tuple[tuple[int, int], str]] = {}


def _disk_text(path: str | None) -> str | None:
    if not path:
        return None
    try:
        stat = os.stat(path)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = _DISK.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        if stat.st_size > 50_000_000:
            return None
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if len(_DISK) > 16:
        _DISK.clear()
    _DISK[path] = (key, text)
    return text


def _agrees(candidate: str, analysed: str) -> bool:
    """``candidate`` is the text ``analysed`` was blanked from (or is it)."""
    if len(candidate) != len(analysed):
        return False
    if candidate == analysed:
        return True
    for real, seen in zip(candidate.splitlines(True), analysed.splitlines(True)):
        if real != seen and (len(real) != len(seen) or seen.rstrip("\r\n").strip(" ")):
            return False
    return True


def _mi_rank(score: float) -> str:
    from radon.metrics import mi_rank

    return mi_rank(score)
