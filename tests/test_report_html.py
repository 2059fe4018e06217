"""The HTML budget report in a real browser: headless Chromium (the one the e2e
suite installs, tests/e2e/install.sh) loads the self-contained page, the DOM it
dumps must hold one row and one chart per task with both lines and the budget
line, and a screenshot (saved under test-output/, path printed) must show the
two lines in their colours.

Chromium is found at $LTL_CHROMIUM, /usr/bin/chromium, or on PATH.  Missing, the
test fails (scripts/test installs it before pytest) unless LIME_SKIP_E2E=1,
where it is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lime_task_lint.budget import CURVE_COUNTS, file_budgets
from lime_task_lint.report import memory_chart, render_html
from lime_task_lint.settings import resolve_settings

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "examples" / "limepkg_acme" / "tasks"
ARTIFACTS = ROOT / "test-output"
BEFORE_RGB = (0xD1, 0x24, 0x2F)
AFTER_RGB = (0x1A, 0x7F, 0x37)


def chromium_binary() -> str | None:
    for candidate in (os.environ.get("LTL_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("LIME_SKIP_E2E") == "1":
            pytest.skip("chromium is not installed and LIME_SKIP_E2E=1 (install it with tests/e2e/install.sh)")
        pytest.fail("chromium not found ($LTL_CHROMIUM, /usr/bin/chromium, PATH): run bash tests/e2e/install.sh")
    return binary


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=90)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, list]:
    files = []
    for name in ("contacts.py", "contracts.py", "deals.py", "reports.py", "clean.py"):
        path = TASKS / name
        settings, _, _ = resolve_settings(path)
        files.append(file_budgets(path.read_text(encoding="utf-8"), settings, path=f"tasks/{name}"))
    html = render_html(files)
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(html, encoding="utf-8")
    return out, files


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def of(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.found if t == tag and (cls is None or cls in (a.get("class") or "").split())]


def test_html_is_self_contained(report):
    path, _ = report
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"url\(", html)
    assert "@import" not in html


def test_chart_geometry_follows_the_log_scale(report):
    _, files = report
    budget = next(b for f in files for b in f.tasks if b.name == "flag_inactive_persons")
    svg = memory_chart(budget)
    parser = Elements()
    parser.feed(svg)
    [before] = parser.of("polyline", "line-before")
    points = [tuple(map(float, p.split(","))) for p in before["points"].split()]
    assert len(points) == len(CURVE_COUNTS)
    xs = [x for x, _ in points]
    steps = [b - a for a, b in zip(xs, xs[1:])]
    # Quarter decades (counts rounded to whole objects): equal steps on a log axis.
    assert max(steps) - min(steps) < 0.5 and sum(steps) == pytest.approx(xs[-1] - xs[0])
    ys = [y for _, y in points]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]  # memory grows upwards
    [after] = parser.of("polyline", "line-after")
    assert len({float(p.split(",")[1]) for p in after["points"].split()}) == 1  # flat: lazy after the fix
    [budget_line] = [a for a in parser.of("line", "budget-line") if a.get("id")]
    assert min(ys) < float(budget_line["y1"]) < max(ys)  # the curve crosses the budget


def test_report_in_headless_chromium(chromium, report, tmp_path):
    path, files = report
    names = [b.name for f in files for b in f.tasks]
    dom = run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = Elements()
    parser.feed(dom.stdout)
    rows = parser.of("tr", "task-row")
    assert [r["data-task"] for r in rows] == names and len(names) == 12
    assert len(parser.of("tr", "task-row-after")) == 12
    charts = parser.of("svg", "memory-chart")
    assert len(charts) == 12
    for name in names:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name)
        ids = {a.get("id") for _, a in parser.found}
        assert {f"chart-{slug}", f"line-before-{slug}", f"line-after-{slug}", f"budget-{slug}"} <= ids, name
    assert len(parser.of("polyline", "line-before")) == 12 and len(parser.of("polyline", "line-after")) == 12
    assert len(parser.of("g", "legend")) == 12
    assert len(parser.of("text", "axis-label")) == 24

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "budget-report.png"
    if shot.exists():
        shot.unlink()
    done = run_chromium(chromium, tmp_path / "profile-shot", "--window-size=1200,2200",
                        f"--screenshot={shot}", path.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    print(f"\nbudget report screenshot: {shot}")
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (1200, 2200)
    # The first charts (contacts.py: count_companies, flag_inactive_persons) are in view:
    # both lines are drawn in their own colours.
    assert count_colour(pixels, BEFORE_RGB) > 200
    assert count_colour(pixels, AFTER_RGB) > 100


# -- a minimal PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes) --------
def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line if channels == 3 else
                          bytes(b for j, b in enumerate(line) if j % 4 != 3)))
        previous = line
    return width, height, rows


def count_colour(rows: list[bytes], rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    r0, g0, b0 = rgb
    found = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if abs(row[i] - r0) <= tolerance and abs(row[i + 1] - g0) <= tolerance and abs(row[i + 2] - b0) <= tolerance:
                found += 1
    return found
