"""Round-trip hovers: on a loop, a Lime read, a commit or a task name, how many
database round trips the code makes at the configured object counts, and what
the LIME2xx fixes (batched commits, pre-fetched reads) would make of it."""

from __future__ import annotations

import ast

from ..analysis import Analysis
from ..extensions import hover_provider
from ..roundtrips import RoundTrips, function_sites, loop_round_trips, round_trips

LOOPS = (ast.For, ast.AsyncFor, ast.While)


@hover_provider
def roundtrip_hover(analysis: Analysis, offset: int) -> str | None:
    model = analysis.model
    document = analysis.document
    workspace, path = analysis.workspace, document.path
    settings = analysis.settings
    for info in model.functions.values():
        start, end = document.node_range(info.node)
        if not start <= offset <= end:
            continue
        if info.is_task and _on_name(document, info.node, offset):
            trips = round_trips(model, info, settings, workspace, path)
            if not trips.total_at_count:
                return None
            return _markdown(f"task `{info.name}`", trips, settings)
        # A read, a commit or a helper call that costs round trips.
        for site in function_sites(model, info, workspace, path):
            s, e = document.node_range(site.node)
            if s <= offset <= e and site.loop is not None:
                trips = loop_round_trips(model, site.loop.chain()[-1], settings, workspace, path)
                return _markdown(f"the loop around this {'read' if site.reads else 'commit'}", trips, settings)
        # A loop header.
        for loop in info.loops:
            if not isinstance(loop.node, LOOPS):
                continue
            s, _ = document.node_range(loop.node)
            line_end = document.text.find("\n", s)
            header_end = document.node_range(loop.node.body[0])[0] if loop.node.body else line_end
            if s <= offset <= min(header_end, line_end if line_end >= 0 else header_end):
                trips = loop_round_trips(model, loop, settings, workspace, path)
                if not trips.total_at_count:
                    return None
                return _markdown("this loop", trips, settings)
    return None


def _on_name(document, node: ast.AST, offset: int) -> bool:
    start, _ = document.node_range(node)
    index = document.index
    line = index.line_of(start)
    text = index.line_text(line)
    word = "def " + node.name  # type: ignore[attr-defined]
    column = text.find(word)
    if column < 0:
        return False
    name_start = index.line_starts[line] + column + 4
    return name_start <= offset <= name_start + len(node.name)  # type: ignore[attr-defined]


def _markdown(what: str, trips: RoundTrips, settings) -> str:
    lines = [f"**Database round trips** of {what}", "", trips.explanation + "."]
    seconds = _seconds(trips, settings)
    if seconds is not None:
        lines.append("")
        lines.append(f"About {seconds} of database latency at {settings.read_latency_ms:g} ms per read and "
                     f"{settings.commit_latency_ms:g} ms per commit.")
        if trips.commits_once or trips.commits_per_item:
            # The budget's duration model: a commit also costs its objects' writes,
            # the same however the objects are grouped into commits.
            lines.append(f"Each object a commit writes adds {settings.write_per_object_ms:g} ms "
                         "(`write-per-object-ms`), batched or not; the budget report counts them.")
    if trips.count_source:
        lines.append("")
        lines.append(f"Item count from {trips.count_source}; batch size {settings.batch_size}.")
    return "\n".join(lines)


def _seconds(trips: RoundTrips, settings) -> str | None:
    if not trips.items:
        return None
    reads = trips.reads_once + trips.reads_per_item * trips.items
    commits = trips.commits_once + trips.commits_per_item * trips.items
    total = (reads * settings.read_latency_ms + commits * settings.commit_latency_ms) / 1000
    if total < 1:
        return None
    if total < 120:
        return f"{total:,.0f} s"
    if total < 7200:
        return f"{total / 60:,.0f} min"
    return f"{total / 3600:,.1f} h"
