"""The duration model's write cost: a commit costs its overhead plus each object
it writes, so batching one large commit adds only the extra commits' overhead.
Figures computed by hand from the settings given in each test."""

from __future__ import annotations

import textwrap

import pytest
from lime_task_lint.budget import file_budgets
from lime_task_lint.roundtrips import plural_noun
from lime_task_lint.settings import Settings

ONE_COMMIT = '''
from lime_task import task


@task
def close_all(app):
    uow = app.unit_of_work()
    for deal in app.limetypes.deal.get_all():
        deal.properties.status.value = "closed"
        uow.add(deal)
    uow.commit()
    return "ok"
'''

BATCHED = '''
import itertools

from lime_task import task


@task
def close_all(app):
    items = iter(app.limetypes.deal.get_all())
    while batch := list(itertools.islice(items, 50)):
        uow = app.unit_of_work()
        for deal in batch:
            deal.properties.status.value = "closed"
            uow.add(deal)
        uow.commit()
    return "ok"
'''

SETTINGS = Settings(target_version=(3, 11), object_counts={"deal": 60_000}, read_latency_ms=4,
                    commit_latency_ms=20, write_per_object_ms=3, per_object_ms=0.1)


def _budget(source: str):
    [task] = file_budgets(textwrap.dedent(source), SETTINGS, with_fixes=False, curve=False).tasks
    return task


def test_a_commit_costs_its_overhead_plus_each_object_it_writes():
    one = _budget(ONE_COMMIT)
    assert (one.reads, one.commits, one.writes, one.objects) == (1, 1, 60_000, 60_000)
    # 1 read x 4 ms + 1 commit x 20 ms + 60,000 written x 3 ms + 60,000 objects x 0.1 ms
    assert one.duration_s == pytest.approx((4 + 20 + 180_000 + 6_000) / 1000)  # 186.024 s
    assert "60,000 objects written × 3 ms" in one.formula()
    assert one.to_dict()["objects_written"] == 60_000


def test_batching_one_large_commit_adds_only_the_commits_overhead():
    one, batched = _budget(ONE_COMMIT), _budget(BATCHED)
    # 1,200 batches of 50: the same 60,000 objects written, 1,200 commits.
    assert (batched.commits, batched.writes) == (1_200, 60_000)
    assert batched.duration_s == pytest.approx((4 + 1_200 * 20 + 180_000 + 6_000) / 1000)  # 210.004 s
    assert batched.duration_s - one.duration_s == pytest.approx(1_199 * 20 / 1000)  # the extra commits only
    assert batched.duration_s / one.duration_s < 1.2  # was 11x when a commit cost the same whatever it wrote


def test_helper_commits_count_one_object_each():
    source = '''
    from lime_task import task


    def save(app, deal):
        uow = app.unit_of_work()
        uow.add(deal)
        uow.commit()


    @task
    def touch(app):
        for deal in app.limetypes.deal.get_all():
            save(app, deal)
    '''
    budget = _budget(source)
    assert (budget.commits, budget.writes) == (60_000, 60_000)
    assert budget.duration_s == pytest.approx((4 + 60_000 * 20 + 60_000 * 3 + 60_000 * 0.1) / 1000)


@pytest.mark.parametrize("noun, plural", [
    ("item", "items"), ("batch of 50", "batches of 50"), ("chunk of 1,000", "chunks of 1,000"),
    ("pass", "passes"), ("company", "companies"), ("day", "days"), ("related object", "related objects"),
    ("deal", "deals"),
])
def test_loop_nouns_read_as_a_person_writes_them(noun, plural):
    assert plural_noun(noun) == plural


def test_an_already_batched_loop_is_described_in_plain_words():
    [task] = file_budgets(textwrap.dedent(BATCHED), SETTINGS, with_fixes=False, curve=False).tasks
    assert task.roundtrip_explanation == "1 commit per batch of 50: 1,201 round trips at 1,200 batches of 50"
