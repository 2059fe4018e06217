"""Analysis time of ``check`` before and after a change, on the generated 10,000-line file.

Issue 15 asks that the shared syntax index and effects model make ``check`` at
most 20 % slower.  This script checks out ``--base`` (a git revision, default
the last commit before that work) into a temporary worktree, generates the
benchmark file with *this* checkout's ``bench/generate.py``, and runs both
versions' CLIs on it in turn (A B A B ..., one warm-up each), each with the
same interpreter (this venv) and its own ``PYTHONPATH``.  It prints the median
CPU and wall seconds of each and the ratio after/before (CPU time is the
figure to quote on a shared machine).

    .venv/bin/python bench/before_after.py [--base REV] [--runs 5] [--lines 10000]

Errors: exits 2 when the revision cannot be checked out.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit before the syntax index and effects model landed.
DEFAULT_BASE = "43fcbd9"


def _run(server: Path, target: Path, extra: list[str]) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one ``check`` run of the CLI in ``server``."""
    env = dict(os.environ, PYTHONPATH=str(server))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lime_task_lint", "check", "--exit-zero", *extra, str(target)],
                   env=env, cwd=target.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    with tempfile.TemporaryDirectory(prefix="lime-before-after-") as folder:
        base = Path(folder) / "base"
        done = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
                              capture_output=True, text=True)
        if done.returncode:
            print(f"cannot check out {args.base}: {done.stderr.strip()}", file=sys.stderr)
            return 2
        try:
            work = Path(folder) / "input"
            work.mkdir()
            target = work / "tasks.py"
            target.write_text(generate(args.lines), encoding="utf-8")
            # The base has no result cache; the new CLI runs without it so both analyse.
            runs = {"before": (base / "server", []), "after": (ROOT / "server", ["--no-cache"])}
            figures: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
            for name, (server, extra) in runs.items():
                _run(server, target, extra)  # warm-up: bytecode caches
            for _ in range(args.runs):
                for name, (server, extra) in runs.items():
                    figures[name].append(_run(server, target, extra))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           capture_output=True)
    cpu = {name: statistics.median(c for c, _ in values) for name, values in figures.items()}
    wall = {name: statistics.median(w for _, w in values) for name, values in figures.items()}
    print(f"check on a generated {args.lines:,}-line file, median of {args.runs} runs")
    print(f"{'':8} {'cpu s':>8} {'wall s':>8}")
    for name in runs:
        print(f"{name:8} {cpu[name]:8.3f} {wall[name]:8.3f}")
    ratio = cpu["after"] / cpu["before"]
    print(f"after/before (cpu): {ratio:.2f}  target <= 1.20: {'met' if ratio <= 1.2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
