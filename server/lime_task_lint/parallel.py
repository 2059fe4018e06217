"""Checking many files on every core: a process pool over files for ``check``.

The CLI asks :meth:`cache.ResultCache.prefetch` for every file before its
(serial) loop; with enough files and more than one core the files are checked
in worker processes, each with its own workspace and the same result cache, and
the loop then takes each file's findings from memory.  The output order and the
findings are those of a serial run: the loop still visits the files in order,
and a finding is used only when the text the worker checked is the text the
loop read (anything else, or a worker that failed, is checked in the loop).

``LIME_TASK_LINT_JOBS``: the number of worker processes (``1``: serial).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .dependencies import text_digest

#: Fewer files than this are checked in the CLI's own process (a pool's start-up
#: costs about as much as checking a few files).
MIN_FILES = 8
MAX_JOBS = 8


def jobs_for(files: int) -> int:
    """Worker processes for ``files`` files: 0 means "check them serially"."""
    configured = os.environ.get("LIME_TASK_LINT_JOBS")
    if configured:
        try:
            wanted = int(configured)
        except ValueError:
            wanted = 0
        return wanted if wanted > 1 and files > 1 else 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if files < MIN_FILES or cores < 2:
        return 0
    return min(cores, MAX_JOBS, files)


def check_in_processes(jobs: list[tuple[Path, object, Path]], workers: int, cache_disabled: bool) \
        -> dict[Path, tuple[str, list[dict]]]:
    """``{path: (digest of the text checked, findings as cache JSON)}`` for each
    ``(path, settings, project root)`` a worker could check."""
    # Imported here: a warm run (every file from the cache) starts no pool, and
    # multiprocessing with what it imports was about a tenth of its time.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    out: dict[Path, tuple[str, list[dict]]] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=_start_worker, initargs=(cache_disabled,)) as pool:
            chunk = max(1, len(jobs) // (workers * 4))
            for path, answer in zip([job[0] for job in jobs], pool.map(_check_one, jobs, chunksize=chunk)):
                if answer is not None:
                    out[path] = answer
    except Exception as exc:  # no pool (a sandbox without semaphores, ...): the serial loop does it all
        print(f"lime-task-lint: warning: checking in parallel failed ({type(exc).__name__}: {exc}); "
              "checking one file at a time", file=sys.stderr)
    return out


_WORKER: dict = {}


def _start_worker(cache_disabled: bool) -> None:
    from .cache import ResultCache

    _WORKER["cache"] = ResultCache(disabled=cache_disabled)
    _WORKER["workspaces"] = {}


def _check_one(job: tuple[Path, object, Path]) -> tuple[str, list[dict]] | None:
    from .cache import _to_json
    from .document import SourceDocument
    from .files import read_source
    from .workspace import Workspace

    path, settings, project_root = job
    try:
        text = read_source(path)
        workspaces = _WORKER["workspaces"]
        workspace = workspaces.get(project_root)
        if workspace is None:
            # No time budget: a CI run waits for every cross-file answer, so its findings and fix
            # labels never depend on how loaded the machine is (the editor re-publishes instead).
            workspace = workspaces[project_root] = Workspace(project_root, time_budget=None)
        found = _WORKER["cache"].violations(SourceDocument(text, str(path)), settings, root=project_root,
                                            workspace=workspace)
        return text_digest(text), [_to_json(v) for v in found]
    except Exception:  # the serial loop checks it again and reports what goes wrong
        return None
