"""In-process cost of the budget code lenses after one keystroke in one task of
the 500-task, 5,000-line file (``generate_dense(500)``): the analyser re-analyses
the edited version (not timed), then ``budget_lenses`` is timed on it, as when
VS Code asks for the lenses again.  Prints the median of 20 keystrokes.

    PYTHONPATH=server .venv/bin/python bench/lens_keystroke.py [--tasks 500] [--keystrokes 20]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_dense
from lime_task_lint.features import budget_lens
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--keystrokes", type=int, default=20)
    args = parser.parse_args(argv)
    text = generate_dense(args.tasks)
    settings = Settings()
    analyser = IncrementalAnalyser()
    uri = "file:///bench/dense.py"
    analysis = analyser.analyse(uri, text, settings, path="/bench/dense.py", version=0)
    started = time.perf_counter()
    budget_lens.budget_lenses(analysis)
    first = time.perf_counter() - started
    # Each keystroke types one more character into a log message of the middle task.
    at = text.index('name {company.id}', text.index(f"def job_{args.tasks // 2}(")) + len("name")
    times = []
    for number in range(1, args.keystrokes + 1):
        text = text[:at] + "x" + text[at:]
        analysis = analyser.analyse(uri, text, settings, path="/bench/dense.py", version=number)
        gc.collect()
        started = time.perf_counter()
        lenses = budget_lens.budget_lenses(analysis)
        times.append(time.perf_counter() - started)
        assert len(lenses) == args.tasks
    print(f"budget_lenses, {args.tasks} tasks: first {first * 1000:.0f} ms; after a keystroke in one task: "
          f"median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms ({args.keystrokes} keystrokes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
