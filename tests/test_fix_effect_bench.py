"""bench/fix_effect.py measures by running: a few of its cases, and its targets check."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import fix_effect  # noqa: E402


def _case(task: str) -> fix_effect.Case:
    return next(c for c in fix_effect.CASES if c.task == task)


def test_cases_run_the_fixed_tasks_on_the_fake_app():
    relation = fix_effect.run_case(_case("coworker_report"))
    assert relation.same and relation.reads[0] > 1_000 and relation.reads[1] <= 2
    helper = fix_effect.run_case(_case("through_helper"))
    assert helper.same and helper.commits == (fix_effect.FEED, fix_effect.FEED // 50)
    assert fix_effect.targets([relation, helper]) == []


def test_a_missed_target_is_reported():
    row = fix_effect.Row(_case("per_row_uow"), (100, 50), (2_000, 100), False, ["result or data changed"])
    missed = fix_effect.targets([row])
    assert any("reads cut 2.0x" in m for m in missed)
    assert any("commits 2,000 -> 100" in m for m in missed)
    assert any("result or data changed" in m for m in missed)
