"""Rendering of task budgets (:mod:`lime_task_lint.budget`): text, Markdown, JSON
and a self-contained HTML page (inline CSS and SVG, no script, no external
asset) with one row per task and a chart of peak memory against object count.

The chart's SVG elements carry stable ids and classes for tests and styling:
``svg.memory-chart#chart-<task>``, ``polyline.line-before`` /
``polyline.line-after`` (ids ``line-before-<task>`` / ``line-after-<task>``),
``line.budget-line``, ``g.legend``, ``text.axis-label``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable

from .budget import FileBudget, TaskBudget, format_duration, plural
from .memory import format_bytes

FORMATS = ("text", "markdown", "json", "html")


def _tasks(files: list[FileBudget]) -> list[tuple[FileBudget, TaskBudget]]:
    return [(f, t) for f in files for t in f.tasks]


def _figures(b: TaskBudget) -> str:
    return (f"{plural(b.reads, 'read')}, {plural(b.commits, 'commit')}, {format_bytes(b.peak_bytes)} peak "
            f"({b.budget_share:.0%} of {b.budget_mb:g} MB), ~{format_duration(b.duration_s)}")


def _contributors(b: TaskBudget, limit: int = 5) -> list[str]:
    out = []
    for c in b.top_contributors(limit):
        out.append(f"line {c.line}: {c.what} -> {c.ms / 1000:,.2f} s")
    for m in b.peak_items:
        out.append(f"line {m.line}: {m.what} -> {format_bytes(m.bytes)}")
    return out


# -- text ----------------------------------------------------------------------------
def render_text(files: list[FileBudget]) -> str:
    lines: list[str] = []
    for f, b in _tasks(files):
        lines.append(f"{f.path or '<text>'}:{b.line}: {b.name}")
        lines.append(f"  before: {_figures(b)}")
        lines.append(f"    duration: {b.formula()}")
        if b.after is not None:
            lines.append(f"  after fixes: {_figures(b.after)}")
            lines.append(f"    duration: {b.after.formula()}")
        for entry in _contributors(b):
            lines.append(f"    {entry}")
        lines.append("")
    for f in files:
        for note in f.notes:
            lines.append(f"{f.path}: {note}")
    if not lines:
        return "No Lime tasks found."
    return "\n".join(lines).rstrip() + "\n"


# -- markdown ------------------------------------------------------------------------
def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(files: list[FileBudget]) -> str:
    tasks = _tasks(files)
    if not tasks:
        return "# Task budget report\n\nNo Lime tasks found.\n"
    out = ["# Task budget report", "",
           "| Task | Reads | Commits | Peak memory | Budget share | Duration | After fixes |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for f, b in tasks:
        after = _figures(b.after) if b.after is not None else "n/a"
        out.append(f"| `{b.name}` ({_md(f.path or '')}:{b.line}) | {b.reads:,} | {b.commits:,} | "
                   f"{format_bytes(b.peak_bytes)} | {b.budget_share:.0%} | ~{format_duration(b.duration_s)} | "
                   f"{_md(after)} |")
    for f, b in tasks:
        out += ["", f"## `{b.name}`", "", f"- Duration: {_md(b.formula())}"]
        if b.after is not None:
            out.append(f"- After fixes: {_md(b.after.formula())}")
        if b.roundtrip_explanation:
            out.append(f"- Round trips: {_md(b.roundtrip_explanation)}")
        for entry in _contributors(b):
            out.append(f"- {_md(entry)}")
    return "\n".join(out) + "\n"


# -- json ----------------------------------------------------------------------------
def render_json(files: list[FileBudget]) -> str:
    data = {
        "files": [{"path": f.path, "fixes_applied": f.fixes_applied, "notes": f.notes,
                   "tasks": [t.to_dict() for t in f.tasks]} for f in files],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- html ----------------------------------------------------------------------------
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328;
       background: #fff; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.over { color: #b42318; font-weight: 600; } .formula { font-family: ui-monospace, monospace; font-size: 0.85rem; }
.muted { color: #656d76; font-size: 0.85rem; }
svg.memory-chart { background: #fff; border: 1px solid #d0d7de; }
svg .line-before { stroke: #d1242f; } svg .line-after { stroke: #1a7f37; stroke-dasharray: 6 3; }
svg .budget-line { stroke: #8250df; stroke-dasharray: 2 3; }
svg .axis { stroke: #57606a; } svg .grid { stroke: #eaeef2; }
svg text { font-size: 11px; fill: #1f2328; }
"""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "task"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def memory_chart(b: TaskBudget, *, slug: str | None = None, width: int = 560, height: int = 300) -> str:
    """Inline SVG: peak memory (MB) against object count (log x), budget line, before/after."""
    slug = slug or _slug(b.name)
    left, right, top, bottom = 64, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    before = b.curve
    after = b.after.curve if b.after is not None else []
    counts = [n for n, _ in before] or [100, 1_000_000]
    lo, hi = math.log10(min(counts)), math.log10(max(counts))
    budget_bytes = b.budget_mb * 1_000_000
    peak = max([v for _, v in before + after] + [budget_bytes])
    y_max = _nice(peak * 1.1 / 1_000_000)

    def x(n: int) -> float:
        return left + (math.log10(n) - lo) / ((hi - lo) or 1) * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v / 1_000_000) / y_max * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="memory-chart" id="chart-{slug}" '
             f'data-task="{_esc(b.name)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="Peak memory of {_esc(b.name)} against object count">']
    # grid and ticks
    for exponent in range(math.ceil(lo), math.floor(hi) + 1):
        gx = x(10 ** exponent)
        parts.append(f'<line class="grid" x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{top + plot_h}"/>')
        parts.append(f'<text class="tick" x="{gx:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                     f'{_count_label(10 ** exponent)}</text>')
    for i in range(5):
        value = y_max * i / 4
        gy = top + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{left}" y1="{gy:.1f}" x2="{left + plot_w}" y2="{gy:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end">{value:g}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>')
    parts.append(f'<text class="axis-label x-label" x="{left + plot_w / 2:.1f}" y="{height - 10}" '
                 f'text-anchor="middle">objects per limetype (log scale)</text>')
    parts.append(f'<text class="axis-label y-label" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">peak memory (MB)</text>')
    by = y(budget_bytes)
    parts.append(f'<line class="budget-line" id="budget-{slug}" x1="{left}" y1="{by:.1f}" x2="{left + plot_w}" '
                 f'y2="{by:.1f}" stroke-width="1.5"/>')
    parts.append(f'<text class="budget-label" x="{left + plot_w - 4}" y="{by - 4:.1f}" text-anchor="end">'
                 f'budget {b.budget_mb:g} MB</text>')
    for cls, points in (("line-before", before), ("line-after", after)):
        if not points:
            continue
        coords = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in points)
        parts.append(f'<polyline class="{cls}" id="{cls}-{slug}" fill="none" stroke-width="2.5" '
                     f'points="{coords}"/>')
    # legend
    lx, ly = left + 10, top + 10
    parts.append('<g class="legend">')
    parts.append(f'<line class="line-before" x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke-width="2.5"/>'
                 f'<text x="{lx + 30}" y="{ly + 4}">before fixes</text>')
    parts.append(f'<line class="line-after" x1="{lx}" y1="{ly + 16}" x2="{lx + 24}" y2="{ly + 16}" '
                 f'stroke-width="2.5"/><text x="{lx + 30}" y="{ly + 20}">after fixes</text>')
    parts.append(f'<line class="budget-line" x1="{lx}" y1="{ly + 32}" x2="{lx + 24}" y2="{ly + 32}" '
                 f'stroke-width="1.5"/><text x="{lx + 30}" y="{ly + 36}">memory budget</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def _nice(value: float) -> float:
    """The next 'round' axis maximum (1, 2, 2.5, 5 x 10^k) at or above ``value``."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10 ** exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def _count_label(n: int) -> str:
    if n >= 1_000_000:
        return f"{n // 1_000_000}M"
    if n >= 1_000:
        return f"{n // 1_000}k"
    return str(n)


def _figure_cells(b: TaskBudget | None) -> str:
    if b is None:
        return '<td colspan="5" class="muted">not available</td>'
    over = ' class="num over"' if b.budget_share > 1 else ' class="num"'
    return (f'<td class="num">{b.reads:,}</td><td class="num">{b.commits:,}</td>'
            f'<td{over}>{_esc(format_bytes(b.peak_bytes))} ({b.budget_share:.0%})</td>'
            f'<td class="num">{b.external_calls:,}</td><td class="num">~{_esc(format_duration(b.duration_s))}</td>')


def render_html(files: list[FileBudget], title: str = "Task budget report") -> str:
    tasks = _tasks(files)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
           'img-src data:">',
           f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>", f"<h1>{_esc(title)}</h1>"]
    if not tasks:
        out.append("<p>No Lime tasks found.</p></body></html>")
        return "\n".join(out)
    slugs: dict[int, str] = {}
    seen: dict[str, int] = {}
    for _, b in tasks:
        base = _slug(b.name)
        seen[base] = seen.get(base, 0) + 1
        slugs[id(b)] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    settings = tasks[0][1].settings_used
    out.append(f'<p class="muted">Estimates at the configured object counts: {settings["read_latency_ms"]:g} ms '
               f'per read, {settings["commit_latency_ms"]:g} ms per commit plus '
               f'{settings.get("write_per_object_ms", 0):g} ms per object it writes, '
               f'{settings["external_call_latency_ms"]:g} ms per external call, {settings["per_object_ms"]:g} ms '
               f'per object; memory budget {settings["memory_budget_mb"]:g} MB. "After" = every available fix '
               f'applied (unsafe ones too).</p>')
    out.append('<table class="summary"><thead><tr><th rowspan="2">Task</th><th rowspan="2">When</th>'
               '<th>Reads</th><th>Commits</th><th>Peak memory</th><th>External calls</th><th>Duration</th></tr>'
               '</thead><tbody>')
    for f, b in tasks:
        slug = slugs[id(b)]
        label = f'<a href="#task-{slug}"><code>{_esc(b.name)}</code></a><br><span class="muted">' \
                f'{_esc(f.path or "")}:{b.line}</span>'
        out.append(f'<tr class="task-row" data-task="{_esc(b.name)}"><td rowspan="2">{label}</td>'
                   f'<td>before</td>{_figure_cells(b)}</tr>')
        out.append(f'<tr class="task-row-after" data-task="{_esc(b.name)}"><td>after fixes</td>'
                   f'{_figure_cells(b.after)}</tr>')
    out.append("</tbody></table>")
    for f, b in tasks:
        slug = slugs[id(b)]
        out.append(f'<section class="task" id="task-{slug}"><h2><code>{_esc(b.name)}</code> '
                   f'<span class="muted">{_esc(f.path or "")}:{b.line}</span></h2>')
        out.append(f'<p class="formula">duration before: {_esc(b.formula())}</p>')
        if b.after is not None:
            out.append(f'<p class="formula">duration after fixes: {_esc(b.after.formula())}</p>')
        if b.roundtrip_explanation:
            out.append(f'<p class="muted">round trips: {_esc(b.roundtrip_explanation)}</p>')
        contributors = b.top_contributors()
        if contributors or b.peak_items:
            out.append('<table class="contributors"><thead><tr><th>Line</th><th>What</th><th>Cost</th></tr>'
                       '</thead><tbody>')
            for c in contributors:
                out.append(f'<tr><td class="num">{c.line}</td><td>{_esc(c.what)}</td>'
                           f'<td class="num">{c.ms / 1000:,.2f} s</td></tr>')
            for m in b.peak_items:
                out.append(f'<tr><td class="num">{m.line}</td><td>{_esc(m.what)} (count from '
                           f'{_esc(m.count_source)})</td><td class="num">{_esc(format_bytes(m.bytes))}</td></tr>')
            out.append("</tbody></table>")
        if b.curve:
            out.append(memory_chart(b, slug=slug))
        out.append("</section>")
    for f in files:
        for note in f.notes:
            out.append(f'<p class="muted">{_esc(f.path)}: {_esc(note)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[[list[FileBudget]], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "html": render_html,
}


def render(files: list[FileBudget], fmt: str) -> str:
    return RENDERERS[fmt](files)
