"""Memory hovers: on a name bound to a collection, a Lime read, a comprehension or
``list(...)``, how much memory it takes at the configured object counts.

The estimate comes from :mod:`lime_task_lint.collections_model` (element
model, count and where the count came from) and :mod:`lime_task_lint.memory`
(bytes).  The hover is short Markdown (under ten lines); when the estimate is
over the task's memory budget its first line says so.
"""

from __future__ import annotations

import ast

from ..analysis import Analysis
from ..collections_model import CollectionEstimate, collection_estimate
from ..extensions import hover_provider
from ..semantic import syntax_index
from ..memory import format_bytes

CANDIDATES = (ast.Name, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Call)
CONTAINER_WORD = {"list": "a list", "set": "a set", "dict": "a dict", "generator": "a generator"}


@hover_provider
def memory_hover(analysis: Analysis, offset: int) -> str | None:
    document = analysis.document
    info = None
    best = None
    for candidate in analysis.model.functions.values():
        start, end = document.node_range(candidate.node)
        if start <= offset <= end and (best is None or end - start < best):
            info, best = candidate, end - start
    if info is None:
        return None
    found: list[tuple[int, ast.AST]] = []
    for node in syntax_index(document.tree).own_nodes(info.node):
        if not isinstance(node, CANDIDATES):
            continue
        start, end = document.node_range(node)
        if start <= offset <= end:
            found.append((end - start, node))
    found.sort(key=lambda pair: pair[0])
    for _, node in found:
        est = collection_estimate(analysis.model, info, node, analysis.settings, workspace=analysis.workspace,
                                  path=document.path)
        if est is not None:
            label = f"`{node.id}`" if isinstance(node, ast.Name) else (
                "this read" if est.hypothetical else f"`{_short(document.node_text(node))}`")
            return render(label, est, analysis.settings)
    return None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(label: str, est: CollectionEstimate, settings) -> str:
    """The hover Markdown for one estimate."""
    total = est.estimate.total_bytes
    share = est.budget_share(settings)
    budget = f"{settings.memory_budget_mb:g} MB"
    lines = []
    if share > 1:
        lines.append(f"**Over the {budget} task memory budget:** ≈ {format_bytes(total)} ({share:.0%})")
    what = "if collected into a list" if est.hypothetical else CONTAINER_WORD.get(est.container, est.container)
    lines.append(f"**Memory of {label}** ({what} of {est.source.describe()})")
    lines.append("")
    lines.append(f"- Element: {est.element_label}, {est.element_source}")
    lines.append(f"- Count: {est.count:,} (from {est.count_source})")
    if est.container == "generator":
        lines.append(f"- Estimated size: ≈ {format_bytes(total)}: a generator holds one item at a time")
    else:
        lines.append(f"- Estimated size: ≈ {format_bytes(total)}, {share:.0%} of the {budget} task budget")
        lines.append(f"- Lazily (iterating the read or a generator): ≈ {format_bytes(est.estimate.lazy_bytes)}")
    for note in est.notes:
        lines.append(f"- {note[0].upper()}{note[1:]}")
    return "\n".join(lines[:9])
