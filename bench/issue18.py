"""The targets of issue 18 (whole packages, task-dense files, the result cache,
the editor on task-dense and broken files), measured in one interleaved run and
printed as a table with the targets.

    .venv/bin/python bench/issue18.py            # every target (pylint on the package: ~10 s more)
    .venv/bin/python bench/issue18.py --quick    # fewer repeats, no pylint, no 50,000-line file
    .venv/bin/python bench/issue18.py --json out.json

``bench/run.py`` runs it too (its last section).  Wall times are medians of
whole commands (interpreter start-up included), like ``run.py``'s CLI table;
the ``ast.parse`` floor is a Python process that reads and parses the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, generate_dense, generate_package, generate_scheduled  # noqa: E402
from lsp_client import LspClient  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
RUFF_SELECT = "PERF,C4,G,TRY,D1"
PERFLINT_MESSAGES = "W8101,W8102,W8201,W8202,W8204,W8205,W8301,W8401,W8402,W8403"
FLOOR = "import ast, sys\nfor name in sys.argv[1:]:\n    ast.parse(open(name, encoding='utf-8').read())\n"


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / ".pycache")
    return env


def timed(command: list[str], repeats: int, cwd: Path, before=None) -> float:
    """Median wall time (s) of ``command``; ``before()`` runs untimed before each run."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=_env(cwd))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    """Peak resident memory (MB) of ``command`` (a wrapper process reads its child's maxrss)."""
    wrapper = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([PY, "-c", wrapper, *command], cwd=cwd, capture_output=True, text=True, env=_env(cwd))
    return int(out.stdout.strip() or 0) / 1024


def _have(tool: str) -> bool:
    return (BIN / tool).exists()


# -- the CLI ---------------------------------------------------------------------------
def cli_targets(work: Path, repeats: int, with_pylint: bool, with_50k: bool) -> dict:
    lime = [str(BIN / "lime-task-lint"), "check", "--exit-zero"]
    out: dict = {}
    package_dir = work / "package"
    modules = generate_package(package_dir, 50, 345)
    package = str(package_dir / "limepkg_bench")
    timed(lime + ["--no-cache", str(modules[0])], 1, package_dir)  # bytecode caches, untimed
    out["package_floor"] = timed([PY, "-c", FLOOR, *map(str, modules)], repeats, package_dir)
    out["package_cold"] = timed(lime + ["--no-cache", package], repeats, package_dir)
    if _have("ruff"):
        out["package_ruff"] = timed([str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--exit-zero",
                                     "--select", RUFF_SELECT, package], repeats, package_dir)
    if with_pylint and _have("pylint"):
        out["package_pylint"] = timed([str(BIN / "pylint"), "--load-plugins=perflint", "--disable=all",
                                       f"--enable={PERFLINT_MESSAGES}", "--score=n", "--exit-zero", package],
                                      1, package_dir)
    shutil.rmtree(package_dir / ".lime-task-lint-cache", ignore_errors=True)
    timed(lime + [package], 1, package_dir)  # fills the cache
    out["package_warm"] = timed(lime + [package], repeats, package_dir)
    touched = {"n": 0}

    def touch() -> None:
        touched["n"] += 1
        text = modules[7].read_text(encoding="utf-8").split("\n# touched")[0]
        modules[7].write_text(f"{text}\n# touched {touched['n']}\n", encoding="utf-8")

    out["package_touched"] = timed(lime + [package], repeats, package_dir, before=touch)
    out["module_cold"] = timed(lime + ["--no-cache", str(modules[0])], repeats, package_dir)
    out["module_floor"] = timed([PY, "-c", FLOOR, str(modules[0])], repeats, package_dir)
    print(f"  package: cold {out['package_cold']:.2f}s warm {out['package_warm']:.2f}s touched "
          f"{out['package_touched']:.2f}s floor {out['package_floor']:.2f}s ruff {out.get('package_ruff', 0):.3f}s "
          f"pylint {out.get('package_pylint', 0):.2f}s; module cold {out['module_cold']:.2f}s "
          f"floor {out['module_floor']:.2f}s", flush=True)
    # A guard against quadratic work (one helper check walked the whole module per
    # helper call, unseen by the targets above): a generated module of every rule's
    # patterns, at 2,500 and 10,000 lines; its time per line must not grow with size.
    for lines in (2_500, 10_000):
        path = work / f"module_{lines}.py"
        path.write_text(generate(lines), encoding="utf-8")
        out[f"module_{lines}"] = timed(lime + ["--no-cache", str(path)], repeats, work)
        out[f"module_{lines}_floor"] = timed([PY, "-c", FLOOR, str(path)], repeats, work)
    print(f"  generated module: 2,500 lines {out['module_2500']:.2f}s, 10,000 lines {out['module_10000']:.2f}s",
          flush=True)
    for lines in (10_000, 50_000) if with_50k else (10_000,):
        path = work / f"scheduled_{lines}.py"
        path.write_text(generate_scheduled(lines), encoding="utf-8")
        out[f"scheduled_{lines}"] = timed(lime + ["--no-cache", str(path)], 1 if lines > 10_000 else repeats, work)
        out[f"scheduled_{lines}_floor"] = timed([PY, "-c", FLOOR, str(path)], repeats, work)
        if lines == 50_000:
            out["scheduled_50000_peak_mb"] = peak_rss_mb(lime + ["--no-cache", str(path)], work)
        print(f"  scheduled {lines}: {out[f'scheduled_{lines}']:.2f}s, floor {out[f'scheduled_{lines}_floor']:.2f}s",
              flush=True)
    return out


# -- the editor ------------------------------------------------------------------------
def _edit_spot(lines: list[str], start: int) -> tuple[int, int]:
    for number in list(range(start, len(lines))) + list(range(0, start)):
        for needle in ('logger.info(f"', 'logger.info("'):
            column = lines[number].find(needle)
            if column >= 0:
                return number, column + len(needle)
    raise RuntimeError("no log message to edit")


def editor_latencies(path: Path, work: Path, edits: int, broken: bool) -> dict:
    """Open ``path`` in a fresh server (debounce 0), optionally break it with an
    unclosed call in its first third, then type and delete one character in a log
    message in its middle: edit -> published diagnostics, p50 and p95 (ms)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    uri = path.as_uri()
    client = LspClient([PY, "-m", "lime_task_lint"], cwd=str(work))
    try:
        client.initialize(work.as_uri(), {"globalSettings": {"debounceMs": 0}})
        _, open_seconds = client.open_document(uri, text)
        open_ms = 1000 * open_seconds
        version = 1
        if broken:
            line, _ = _edit_spot(lines, len(lines) // 3)
            version += 1
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
                {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                 "text": "        logger.info(\"x=%s\", \n"}]})
            client.diagnostics_for(uri, version)
            lines.insert(line, "")
        line, column = _edit_spot(lines, len(lines) // 2 + 3)
        times = []
        for number in range(edits):
            version += 1
            end = column + (number % 2)
            change = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": end}},
                      "text": "x" if number % 2 == 0 else ""}
            started = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [change]})
            client.diagnostics_for(uri, version)
            times.append(1000 * (time.perf_counter() - started))
        memory = client.vm_status()
    finally:
        client.close()
    ordered = sorted(times)

    def at(q: float) -> float:
        position = (len(ordered) - 1) * q
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return {"open_ms": open_ms, "p50_ms": at(0.5), "p95_ms": at(0.95), "runs": len(times),
            "rss_mb": (memory.get("VmRSS") or 0) / 1024}


def editor_targets(work: Path, edits: int, with_50k: bool) -> dict:
    inputs = {"300-line module": generate(300), "500 tasks, 5,000 lines": generate_dense(500),
              "10,000 lines of ScheduledTask blocks": generate_scheduled(10_000)}
    out: dict = {}
    for number, (name, text) in enumerate(inputs.items()):
        path = work / f"editor_{number}.py"
        path.write_text(text, encoding="utf-8")
        for broken in (False, True):
            key = f"{name}, {'one syntax error' if broken else 'valid'}"
            out[key] = editor_latencies(path, work, edits, broken)
            print(f"  editor {key}: open {out[key]['open_ms']:.0f} ms, edit p50 {out[key]['p50_ms']:.0f} ms "
                  f"p95 {out[key]['p95_ms']:.0f} ms", flush=True)
    if with_50k:
        path = work / "editor_50k.py"
        path.write_text(generate_scheduled(50_000), encoding="utf-8")
        out["server RSS after the 50,000-line file"] = editor_latencies(path, work, 2, False)
    return out


# -- the table -------------------------------------------------------------------------
def verdicts(cli: dict, editor: dict) -> list[tuple[str, float, str, bool]]:
    rows: list[tuple[str, float, str, bool]] = []

    def add(name: str, value: float, goal: str, ok: bool) -> None:
        rows.append((name, value, goal, ok))

    if "package_pylint" in cli:
        ratio = cli["package_pylint"] / cli["package_cold"]
        add("package of 50 modules, cold: pylint+perflint / lime", ratio, ">= 10x", ratio >= 10)
    ratio = cli["package_cold"] / cli["package_floor"]
    add("package of 50 modules, cold: lime / ast.parse floor", ratio, "<= 6x", ratio <= 6)
    if "package_ruff" in cli:
        ratio = cli["package_warm"] / cli["package_ruff"]
        add("package, warm (cache, nothing changed): lime / ruff --no-cache", ratio, "<= 5x", ratio <= 5)
    bound = 2 * cli["package_warm"] + cli["module_cold"]
    add("package, one file touched (s) vs 2x warm + that file cold", cli["package_touched"], f"<= {bound:.2f} s",
        cli["package_touched"] <= bound)
    ratio = cli["module_cold"] / cli["module_floor"]
    add("one 345-line module, cold: lime / floor", ratio, "<= 4x", ratio <= 4)
    if "module_2500" in cli:  # time per line beyond the floor, 10,000 against 2,500 lines
        per_line = [(cli[f"module_{n}"] - cli[f"module_{n}_floor"]) / n for n in (2_500, 10_000)]
        ratio = per_line[1] / per_line[0]
        add("guard: generated module, time per line at 10k / at 2.5k lines (linear: about 1)", ratio, "<= 1.5",
            ratio <= 1.5)
    ratio = cli["scheduled_10000"] / cli["scheduled_10000_floor"]
    add("10k lines of ScheduledTask blocks: lime / floor", ratio, "<= 8x", ratio <= 8)
    if "scheduled_50000_peak_mb" in cli:
        add("50k lines of ScheduledTask blocks: CLI peak memory (MB)", cli["scheduled_50000_peak_mb"], "< 300",
            cli["scheduled_50000_peak_mb"] < 300)
    for name, row in editor.items():
        if name.startswith("server RSS"):
            add(f"{name} (MB)", row["rss_mb"], "< 150", row["rss_mb"] < 150)
            continue
        add(f"editor, {name}: edit p95 (ms)", row["p95_ms"], "< 150", row["p95_ms"] < 150)
        if name.startswith("10,000") and name.endswith("valid"):
            add("editor, open -> first diagnostics on the 10k file (ms)", row["open_ms"], "< 1000",
                row["open_ms"] < 1000)
    return rows


def render(rows: list[tuple[str, float, str, bool]]) -> str:
    out = ["Issue 18 targets:", "| target | measured | goal | met |", "|---|---:|---:|---|"]
    out += [f"| {name} | {value:.2f} | {goal} | {'yes' if ok else 'NO'} |" for name, value, goal, ok in rows]
    return "\n".join(out)


def run(quick: bool, work: Path | None = None) -> dict:
    own = work is None
    work = work or Path(tempfile.mkdtemp(prefix="lime-bench-18-"))
    try:
        cli = cli_targets(work, repeats=1 if quick else 3, with_pylint=not quick, with_50k=not quick)
        editor = editor_targets(work, edits=10 if quick else 40, with_50k=not quick)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    rows = verdicts(cli, editor)
    return {"cli": cli, "editor": editor, "verdicts": [
        {"target": name, "value": value, "goal": goal, "ok": ok} for name, value, goal, ok in rows],
        "table": render(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; no pylint, no 50,000-line file")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    from run import ensure_tools  # ruff (the warm target's yardstick), pylint and perflint, as bench/run.py

    ensure_tools()
    results = run(args.quick)
    print()
    print(results["table"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
