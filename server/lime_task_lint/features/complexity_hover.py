"""Complexity hover: on a function's name, its radon cyclomatic complexity and
rank, and the module's maintainability index (radon's MI, 0-100, rank A-C).

Hovers receive a *view* of the document (other top-level functions blanked to
spaces, see ``incremental.view``), so the function's own complexity is read
from the view, but the maintainability index is computed on the real full
text: the server's analysis of the same document version when one exists (the
view has the same version and length), else the text given.  The index costs
a few hundred milliseconds on a 10,000-line file, so it is computed once per
text and kept per document (one entry per URI; the cache key is the version
and the text's hash, so an edit recomputes it once).
"""

from __future__ import annotations

import ast
import sys
import threading

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
    if mi is not None:
        lines.append("")
        lines.append(f"Maintainability index of the module: {mi:.0f} (rank {_mi_rank(mi)}; "
                     "A above 19, B 10-19, C 9 or less)")
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


def maintainability_index(analysis: Analysis) -> float | None:
    """radon's MI (multi-line strings counted as comments) of the real full text
    of the analysed document, or None when it does not parse."""
    text = _full_text(analysis)
    key = (analysis.version, len(text), hash(text))
    with _MI_LOCK:
        cached = _MI_CACHE.get(analysis.uri)
    if cached is not None and cached[0] == key:
        return cached[1]
    from radon.metrics import mi_visit

    try:
        value: float | None = float(mi_visit(text, True))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        value = None
    with _MI_LOCK:
        if len(_MI_CACHE) >= _MI_URIS and analysis.uri not in _MI_CACHE:
            _MI_CACHE.pop(next(iter(_MI_CACHE)))
        _MI_CACHE[analysis.uri] = (key, value)
    return value


def _full_text(analysis: Analysis) -> str:
    """The document's real text: a hover's view blanks the other functions, but
    the running server keeps the analysis of the same version."""
    text = analysis.document.text
    server_module = sys.modules.get("lime_task_lint.server")
    ls = getattr(server_module, "server", None)
    analyses = getattr(ls, "analyses", None)
    if isinstance(analyses, dict):
        real = analyses.get(analysis.uri)
        real_text = getattr(getattr(real, "document", None), "text", None)
        if isinstance(real_text, str) and getattr(real, "version", None) == analysis.version \
                and len(real_text) == len(text):
            return real_text
    return text


def _mi_rank(score: float) -> str:
    from radon.metrics import mi_rank

    return mi_rank(score)
