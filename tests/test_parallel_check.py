"""``check`` over many files on several processes (``parallel.py``) prints what a
serial run prints, in the same order, with and without the result cache."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lime_task_lint import parallel
from lime_task_lint.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    target = tmp_path / "inputs"
    shutil.copytree(ROOT / "examples", target / "examples", ignore=shutil.ignore_patterns(".lime-task-lint-cache"))
    shutil.copytree(ROOT / "tests" / "fixtures" / "rules", target / "fixtures",
                    ignore=shutil.ignore_patterns("*.fixed"))
    from generate import generate  # bench/generate.py: a deterministic task module

    (target / "generated.py").write_text(generate(600), encoding="utf-8")
    return target


def _run(monkeypatch, capsys, jobs: str, *flags: str) -> tuple[int, str]:
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", jobs)
    code = main(["check", "--format", "json", "examples", "fixtures", "generated.py", *flags])
    return code, capsys.readouterr().out


def test_parallel_check_prints_what_a_serial_check_prints(inputs, monkeypatch, capsys):
    monkeypatch.chdir(inputs)
    used: list[int] = []
    real = parallel.check_in_processes

    def counting(jobs, workers, cache_disabled):
        found = real(jobs, workers, cache_disabled)
        used.append(len(found))
        return found

    monkeypatch.setattr(parallel, "check_in_processes", counting)
    serial = _run(monkeypatch, capsys, "1", "--no-cache")
    assert not used
    in_parallel = _run(monkeypatch, capsys, "2", "--no-cache")
    assert used and used[0] > 20  # the workers checked the files, the loop took their findings
    assert in_parallel == serial
    assert serial[1].count('"code"') > 50
    cold = _run(monkeypatch, capsys, "2")
    warm = _run(monkeypatch, capsys, "2")
    assert cold == warm == serial


def test_jobs_follow_the_environment_and_the_file_count(monkeypatch):
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "1")
    assert parallel.jobs_for(100) == 0
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "3")
    assert parallel.jobs_for(100) == 3
    monkeypatch.delenv("LIME_TASK_LINT_JOBS")
    assert parallel.jobs_for(parallel.MIN_FILES - 1) == 0
