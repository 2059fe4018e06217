"""The performance benchmark: lime-task-lint against ruff and pylint+perflint,
and the language server's latencies and memory, in one command.

    .venv/bin/python bench/run.py            # full run (a few minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # 1,000 and 10,000 lines, fewer repeats
    .venv/bin/python bench/run.py --json bench/results.json

It generates Lime task modules of 1,000, 10,000 and 50,000 lines
(``bench/generate.py``: every rule pattern of the catalogue, helpers and clean
code, the same text on every run), then measures on those files:

* the CLI, ``lime-task-lint check``, against ``ruff check --select
  PERF,C4,G,TRY,D1`` and ``pylint --load-plugins=perflint`` (perflint's checks
  only), wall time of the whole command (interpreter start-up included), the
  median of several runs; pylint only on the 1,000 and 10,000-line files, it
  takes minutes on the largest;
* the analysis in-process (``analysis.analyse``, start-up excluded), and its
  time per 1,000 lines at each size;
* the language server over stdio on the 10,000-line file (debounce 0): edit
  to published diagnostics, hover, code action and fix-all
  (``source.fixAll.lime-task-lint`` + ``codeAction/resolve``), p50 and p95;
* the server's peak resident memory (``VmHWM``) after opening the
  50,000-line file in a fresh server;
* the targets of issue 18 (``bench/issue18.py``): a 50-module package cold,
  warm (result cache) and with one file touched, a 345-line module, files of
  ``ScheduledTask`` blocks, and the editor on a 300-line module, a 500-task
  file and the 10,000-line scheduled file, valid and with one syntax error.

ruff, pylint and perflint are installed into the running interpreter's
environment with pip when missing (never added to the project's dependencies).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.metadata as metadata
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "server"))

import issue18  # noqa: E402
from generate import generate  # noqa: E402
from lsp_client import LspClient  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
RUFF_SELECT = "PERF,C4,G,TRY,D1"
PERFLINT_MESSAGES = "W8101,W8102,W8201,W8202,W8204,W8205,W8301,W8401,W8402,W8403"
FIX_ALL = "source.fixAll.lime-task-lint"

TARGETS = {
    "ratio_ruff_max": 3.0,
    "ratio_pylint_min": 20.0,
    "edit_p50_ms": 150.0,
    "hover_p95_ms": 50.0,
    "code_action_p95_ms": 50.0,
    "memory_mb": 120.0,
    "per_line_flatness": 1.5,  # largest / smallest time per 1,000 lines
}


# -- set-up ------------------------------------------------------------------------
def ensure_tools() -> dict[str, str]:
    """Install ruff, pylint and perflint with pip when missing; return versions."""
    missing = [name for name in ("ruff", "pylint", "perflint") if not _installed(name)]
    if missing:
        print(f"installing {', '.join(missing)} into {sys.prefix} ...", flush=True)
        subprocess.run([PY, "-m", "pip", "install", "--quiet", *missing], check=True)
    versions = {name: metadata.version(name) for name in ("ruff", "pylint", "perflint", "lime-task-lint")}
    versions["python"] = platform.python_version()
    return versions


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def machine() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "os": platform.platform(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


# -- helpers -----------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def cli_environment(work: Path) -> dict[str, str]:
    """The environment of the timed commands: Python may write and read bytecode
    caches (an installed package has them; a ``PYTHONDONTWRITEBYTECODE`` in the
    calling shell would make every run compile every module again), kept in the
    benchmark's folder."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / ".pycache")
    return env


def timed_command(command: list[str], repeats: int, cwd: Path) -> float:
    """Median wall time (seconds) of ``command``."""
    times = []
    env = cli_environment(cwd)
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- measurements ------------------------------------------------------------------
def cli_times(files: dict[int, Path], repeats: int, pylint_sizes: set[int], work: Path) -> dict[int, dict]:
    out: dict[int, dict] = {}
    smallest = files[min(files)]
    for warm_up in ([str(BIN / "lime-task-lint"), "check", "--exit-zero", str(smallest)],
                    [str(BIN / "pylint"), "--load-plugins=perflint", "--disable=all", "--exit-zero", str(smallest)]):
        timed_command(warm_up, 1, work)  # writes the bytecode caches, untimed
    for size, path in files.items():
        row: dict[str, float | None] = {}
        reps = repeats if size <= 10_000 else max(1, repeats // 2)
        row["lime"] = timed_command([str(BIN / "lime-task-lint"), "check", "--exit-zero", str(path)], reps, work)
        row["ruff"] = timed_command([str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--exit-zero",
                                     "--select", RUFF_SELECT, str(path)], reps, work)
        if size in pylint_sizes:
            row["pylint"] = timed_command([str(BIN / "pylint"), "--load-plugins=perflint", "--disable=all",
                                           f"--enable={PERFLINT_MESSAGES}", "--score=n", "--exit-zero",
                                           str(path)], 1, work)
        else:
            row["pylint"] = None
        out[size] = row
        print(f"  cli {size:>6} lines: lime {row['lime']:.3f}s  ruff {row['ruff']:.3f}s  "
              f"pylint {row['pylint'] if row['pylint'] is None else round(row['pylint'], 3)}", flush=True)
    return out


def in_process_times(files: dict[int, Path], repeats: int) -> dict[int, dict]:
    """From-scratch analysis (parse, model, every rule, fixes checked) in this process."""
    logging.disable(logging.WARNING)
    from lime_task_lint.analysis import analyse
    from lime_task_lint.framework import all_rules
    from lime_task_lint.incremental import IncrementalAnalyser
    from lime_task_lint.settings import Settings

    rules = all_rules()
    settings = Settings()
    out: dict[int, dict] = {}
    for size, path in files.items():
        text = path.read_text()
        reps = repeats if size <= 10_000 else max(1, repeats // 2)
        times, found = [], 0
        for _ in range(reps):
            started = time.perf_counter()
            analysis = analyse(path.as_uri(), text, settings, path=str(path))
            times.append(time.perf_counter() - started)
            found = len(analysis.violations)
        chunked_times, chunked_found = [], 0
        for _ in range(reps):  # the server's from-scratch path: batches of components
            started = time.perf_counter()
            analysis = IncrementalAnalyser().analyse(path.as_uri(), text, settings, path=str(path))
            chunked_times.append(time.perf_counter() - started)
            chunked_found = len(analysis.violations)
        lines = text.count("\n")
        median = statistics.median(times)
        chunked = statistics.median(chunked_times)
        out[size] = {"seconds": median, "lines": lines, "findings": found,
                     "ms_per_1000_lines": 1000 * median / (lines / 1000),
                     "chunked_seconds": chunked, "chunked_findings": chunked_found,
                     "chunked_ms_per_1000_lines": 1000 * chunked / (lines / 1000)}
        print(f"  in-process {size:>6} lines: {median:.3f}s whole-file, {chunked:.3f}s chunked, "
              f"{found}/{chunked_found} findings", flush=True)
    logging.disable(logging.NOTSET)
    out_meta = {"rules": len(rules)}
    return {"sizes": out, **out_meta}


def _edit_position(lines: list[str]) -> tuple[int, int]:
    """A spot inside a log message string near the middle of the file."""
    middle = len(lines) // 2
    for number in range(middle, len(lines)):
        column = lines[number].find('logger.info("')
        if column >= 0:
            return number, column + len('logger.info("')
    raise RuntimeError("no logger.info line to edit")


def _hover_position(lines: list[str], start: int) -> tuple[int, int]:
    for number in range(start, len(lines)):
        column = lines[number].find(".get_all(")
        if column >= 0:
            return number, column + 1
    raise RuntimeError("no read to hover")


def lsp_latencies(path: Path, work: Path, edits: int, actions: int, fix_alls: int) -> dict:
    text = path.read_text()
    lines = text.splitlines()
    uri = path.as_uri()
    client = LspClient([PY, "-m", "lime_task_lint"], cwd=str(work))
    try:
        client.initialize(work.as_uri(), {"globalSettings": {"debounceMs": 0}})
        diagnostics, open_seconds = client.open_document(uri, text)
        edit_line, edit_column = _edit_position(lines)
        hover_line, hover_column = _hover_position(lines, edit_line)
        edit_times, hover_times, action_times, fix_all_times = [], [], [], []
        version = 1
        for number in range(edits):
            version += 1
            if number % 2 == 0:
                change = {"range": {"start": {"line": edit_line, "character": edit_column},
                                    "end": {"line": edit_line, "character": edit_column}}, "text": "x"}
            else:
                change = {"range": {"start": {"line": edit_line, "character": edit_column},
                                    "end": {"line": edit_line, "character": edit_column + 1}}, "text": ""}
            started = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [change]})
            diagnostics = client.diagnostics_for(uri, version)
            edit_times.append(time.perf_counter() - started)
        if not diagnostics:
            raise RuntimeError("the server published no diagnostics for the 10,000-line file")
        middle = [d for d in diagnostics if d["range"]["start"]["line"] >= edit_line] or diagnostics
        target = middle[0]
        for _ in range(actions):
            started = time.perf_counter()
            client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": hover_line, "character": hover_column}})
            hover_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = client.request("textDocument/codeAction", {
                "textDocument": {"uri": uri}, "range": target["range"],
                "context": {"diagnostics": [target], "triggerKind": 1}})
            action_times.append(time.perf_counter() - started)
        quick_fixes = len(result or [])
        fix_all_edits = 0
        for _ in range(fix_alls):
            started = time.perf_counter()
            actions_found = client.request("textDocument/codeAction", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": [FIX_ALL], "triggerKind": 2}})
            fix_all = next(a for a in actions_found or [] if a.get("kind") == FIX_ALL)
            resolved = client.request("codeAction/resolve", fix_all)
            fix_all_times.append(time.perf_counter() - started)
            changes = ((resolved or {}).get("edit") or {}).get("documentChanges") or []
            fix_all_edits = sum(len(c.get("edits", [])) for c in changes)
        memory = client.vm_status()
    finally:
        client.close()

    def summary(values: list[float]) -> dict:
        return {"p50_ms": 1000 * percentile(values, 0.5), "p95_ms": 1000 * percentile(values, 0.95),
                "runs": len(values)}

    return {"open_ms": 1000 * open_seconds, "edit": summary(edit_times), "hover": summary(hover_times),
            "code_action": summary(action_times), "fix_all": summary(fix_all_times),
            "quick_fixes_offered": quick_fixes, "fix_all_edits": fix_all_edits,
            "diagnostics": len(diagnostics), "vm_hwm_kb": memory.get("VmHWM")}


def server_memory(path: Path, work: Path) -> dict:
    text = path.read_text()
    uri = path.as_uri()
    client = LspClient([PY, "-m", "lime_task_lint"], cwd=str(work))
    try:
        client.initialize(work.as_uri(), {"globalSettings": {"debounceMs": 0}})
        baseline = client.vm_status()
        started = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        diagnostics = client.diagnostics_for(uri, 1)
        seconds = time.perf_counter() - started
        after = client.vm_status()
    finally:
        client.close()
    return {"idle_hwm_kb": baseline.get("VmHWM"), "hwm_kb": after.get("VmHWM"), "rss_kb": after.get("VmRSS"),
            "open_ms": 1000 * seconds, "diagnostics": len(diagnostics), "lines": text.count("\n")}


# -- report ------------------------------------------------------------------------
def verdicts(results: dict) -> dict[str, dict]:
    cli = results["cli"]
    out: dict[str, dict] = {}
    ten = cli.get(10_000)
    if ten:
        ratio = ten["lime"] / ten["ruff"]
        out["10k: lime / ruff (CLI)"] = {"value": ratio, "target": f"<= {TARGETS['ratio_ruff_max']}",
                                          "ok": ratio <= TARGETS["ratio_ruff_max"]}
        if ten.get("pylint"):
            ratio = ten["pylint"] / ten["lime"]
            out["10k: pylint+perflint / lime (CLI)"] = {"value": ratio, "target": f">= {TARGETS['ratio_pylint_min']}",
                                                         "ok": ratio >= TARGETS["ratio_pylint_min"]}
    lsp = results.get("lsp")
    if lsp:
        out["edit -> diagnostics p50 (ms)"] = {"value": lsp["edit"]["p50_ms"], "target": "< 150",
                                               "ok": lsp["edit"]["p50_ms"] < TARGETS["edit_p50_ms"]}
        out["hover p95 (ms)"] = {"value": lsp["hover"]["p95_ms"], "target": "< 50",
                                 "ok": lsp["hover"]["p95_ms"] < TARGETS["hover_p95_ms"]}
        out["code action p95 (ms)"] = {"value": lsp["code_action"]["p95_ms"], "target": "< 50",
                                       "ok": lsp["code_action"]["p95_ms"] < TARGETS["code_action_p95_ms"]}
    memory = results.get("memory")
    if memory:
        mb = memory["hwm_kb"] / 1024
        out[f"server peak RSS after {memory['lines']:,} lines (MB)"] = {
            "value": mb, "target": "< 120", "ok": mb < TARGETS["memory_mb"]}
    sizes = results["in_process"]["sizes"].values()
    for label, key in (("whole-file analyse (CLI path)", "ms_per_1000_lines"),
                       ("chunked (server's from-scratch path)", "chunked_ms_per_1000_lines")):
        per_line = [row[key] for row in sizes]
        if len(per_line) > 1:
            spread = max(per_line) / min(per_line)
            out[f"time per line, largest / smallest: {label}"] = {
                "value": spread, "target": f"<= {TARGETS['per_line_flatness']}",
                "ok": spread <= TARGETS["per_line_flatness"]}
    return out


def render(results: dict) -> str:
    m, v = results["machine"], results["versions"]
    out = [
        f"Lime Task Lint benchmark, {m['date']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['os']}",
        f"versions: python {v['python']}, lime-task-lint {v['lime-task-lint']} ({results['in_process']['rules']} rules), "
        f"ruff {v['ruff']}, pylint {v['pylint']}, perflint {v['perflint']}",
        "",
        "CLI, wall time of the whole command (median):",
        "| lines | lime-task-lint | ruff (PERF,C4,G,TRY,D1) | lime / ruff | pylint + perflint | pylint / lime |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, row in results["cli"].items():
        pylint = f"{row['pylint']:.2f} s" if row.get("pylint") else "not run"
        pyratio = f"{row['pylint'] / row['lime']:.1f}x" if row.get("pylint") else "-"
        out.append(f"| {size:,} | {row['lime']:.3f} s | {row['ruff']:.3f} s | {row['lime'] / row['ruff']:.1f}x "
                   f"| {pylint} | {pyratio} |")
    out += ["", "Analysis in-process, from scratch (parse, model, all rules, fixes checked; no interpreter start-up):",
            "| lines | whole file (CLI path) | ms per 1,000 lines | chunked (server) | ms per 1,000 lines | findings |",
            "|---:|---:|---:|---:|---:|---:|"]
    for size, row in results["in_process"]["sizes"].items():
        same = "" if row["findings"] == row["chunked_findings"] else f" (chunked: {row['chunked_findings']})"
        out.append(f"| {row['lines']:,} | {row['seconds']:.3f} s | {row['ms_per_1000_lines']:.1f} "
                   f"| {row['chunked_seconds']:.3f} s | {row['chunked_ms_per_1000_lines']:.1f} "
                   f"| {row['findings']}{same} |")
    lsp = results.get("lsp")
    if lsp:
        out += ["", f"Language server on the 10,000-line file (stdio, debounce 0; open -> diagnostics "
                    f"{lsp['open_ms']:.0f} ms, {lsp['diagnostics']} diagnostics):",
                "| request | p50 | p95 | runs |", "|---|---:|---:|---:|"]
        for name, key in (("edit -> published diagnostics", "edit"), ("hover", "hover"),
                          ("code action (quick fixes)", "code_action"), ("fix-all (action + resolve)", "fix_all")):
            row = lsp[key]
            out.append(f"| {name} | {row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms | {row['runs']} |")
    memory = results.get("memory")
    if memory:
        out += ["", f"Server memory: peak RSS (VmHWM) {memory['hwm_kb'] / 1024:.1f} MB after opening the "
                    f"{memory['lines']:,}-line file (idle {memory['idle_hwm_kb'] / 1024:.1f} MB; "
                    f"open -> diagnostics {memory['open_ms']:.0f} ms)"]
    out += ["", "Targets:", "| target | measured | goal | met |", "|---|---:|---:|---|"]
    for name, row in results["verdicts"].items():
        out.append(f"| {name} | {row['value']:.2f} | {row['target']} | {'yes' if row['ok'] else 'NO'} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 lines only, fewer repeats")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", help="write the generated files to this folder and keep them")
    args = parser.parse_args(argv)

    versions = ensure_tools()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 50_000]
    repeats = 1 if args.quick else 3
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lime-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        files = {}
        for size in sizes:
            path = work / f"tasks_{size}.py"
            path.write_text(generate(size), encoding="utf-8")
            files[size] = path
        results: dict = {"machine": machine(), "versions": versions, "quick": args.quick}
        print(f"generated {', '.join(str(s) for s in sizes)}-line files in {work}", flush=True)
        results["in_process"] = in_process_times(files, repeats)
        results["cli"] = cli_times(files, repeats, {1_000, 10_000}, work)
        print("  language server on the 10,000-line file ...", flush=True)
        results["lsp"] = lsp_latencies(files[10_000], work, edits=10 if args.quick else 40,
                                       actions=10 if args.quick else 40, fix_alls=1 if args.quick else 2)
        biggest = max(files)
        print(f"  server memory with the {biggest:,}-line file ...", flush=True)
        results["memory"] = server_memory(files[biggest], work)
        results["verdicts"] = verdicts(results)
        print("  issue 18: packages, the result cache, task-dense and broken files ...", flush=True)
        results["issue18"] = issue18.run(args.quick, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(render(results))
    print()
    print(results["issue18"]["table"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
