"""Issue 18's "500 tasks, one syntax error" editor case alone: the keystroke
latency through a real server (``issue18.editor_latencies``) and an in-process
profile of ``IncrementalAnalyser.analyse`` for the same keystrokes, so a change
to that case can be measured in a minute instead of ``issue18.py``'s six.

    PYTHONPATH=server .venv/bin/python bench/broken_edit.py                 # both
    PYTHONPATH=server .venv/bin/python bench/broken_edit.py --profile 25    # + the top 25 of cProfile
    PYTHONPATH=server .venv/bin/python bench/broken_edit.py --no-editor     # in-process only
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_dense  # noqa: E402
from issue18 import _edit_spot, editor_latencies  # noqa: E402


def keystrokes(text: str, edits: int) -> list[str]:
    """The texts ``editor_latencies(..., broken=True)`` sends: the file broken in
    its first third, then a character typed and deleted in its middle."""
    lines = text.splitlines(keepends=True)
    line, _ = _edit_spot([x.rstrip("\n") for x in lines], len(lines) // 3)
    lines.insert(line, "        logger.info(\"x=%s\", \n")
    out = ["".join(lines)]
    searched = [x.rstrip("\n") for x in lines]
    searched[line] = ""  # as editor_latencies searches
    line, column = _edit_spot(searched, len(lines) // 2 + 3)
    original = lines[line]
    for number in range(edits):
        lines[line] = original[:column] + "x" + original[column:] if number % 2 == 0 else original
        out.append("".join(lines))
    return out


def in_process(text: str, edits: int, profile_top: int) -> list[float]:
    """ms per keystroke of ``IncrementalAnalyser.analyse`` (the broken version and
    the keystrokes after the opened file), profiled when ``profile_top``."""
    from lime_task_lint.incremental import IncrementalAnalyser
    from lime_task_lint.settings import Settings

    settings = Settings()
    analyser = IncrementalAnalyser()
    uri = "file:///bench/editor_1.py"
    analyser.analyse(uri, text, settings, path="/bench/editor_1.py", version=1)
    versions = keystrokes(text, edits)
    analyser.analyse(uri, versions[0], settings, path="/bench/editor_1.py", version=2)
    gc.collect()  # as the server does once idle: later collections scan only what keystrokes make
    gc.freeze()
    profiler = cProfile.Profile() if profile_top else None
    times = []
    for number, version in enumerate(versions[1:], start=3):
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        analyser.analyse(uri, version, settings, path="/bench/editor_1.py", version=number)
        times.append(1000 * (time.perf_counter() - started))
        if profiler:
            profiler.disable()
        assert analyser.stats.last_mode == "incremental", analyser.stats.last_reason
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile_top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile_top)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20, help="keystrokes per run (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="editor runs, each a fresh server (default 3)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N")
    parser.add_argument("--no-editor", action="store_true", help="only the in-process measurement")
    args = parser.parse_args(argv)
    text = generate_dense(500)
    times = in_process(text, args.edits, args.profile)
    print(f"in-process analyse: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.1f} ms over {len(times)} keystrokes "
          f"({' '.join(f'{t:.0f}' for t in times)})", flush=True)
    if args.no_editor:
        return 0
    with tempfile.TemporaryDirectory(prefix="lime-bench-broken-") as folder:
        work = Path(folder)
        path = work / "editor_1.py"
        path.write_text(text, encoding="utf-8")
        p50s, p95s = [], []
        for _ in range(args.runs):
            row = editor_latencies(path, work, args.edits, broken=True)
            p50s.append(row["p50_ms"])
            p95s.append(row["p95_ms"])
            print(f"  editor run: p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms", flush=True)
    print(f"editor, 500 tasks, one syntax error: median of {args.runs} runs: p50 {statistics.median(p50s):.0f} ms, "
          f"p95 {statistics.median(p95s):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
