"""Proof by running: the LIME101/LIME102 fixes keep what a task returns and cut its peak memory.

Each test takes a task's source ("before"), produces the fixed source with the
project's own fixer (`fix_text`, safe fixes only, so the fix must be offered as
safe), loads both with the fake Lime application (tests/fakelime) and runs
them on the same 100,000 seeded objects.  The task results must be identical
and the peak memory that `tracemalloc` sees while the task runs must drop at
least tenfold.  The seeded store is allocated before tracing starts, and the
recorder keeps counts only (`keep_log = False`), so only what the task itself
holds is measured.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakelime import FakeLimeApplication, load_task_module, seed, task_functions  # noqa: E402

from lime_task_lint.fixer import fix_text  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

N = 100_000
ROOT = Path(__file__).resolve().parents[1]
SCHEMA = {
    "person": {"name": "string", "email": "string", "active": "yesno", "days_inactive": "integer"},
    "company": {"name": "string", "country": "string"},
}
SETTINGS = Settings(target_version=(3, 11))


@pytest.fixture(scope="module")
def app() -> FakeLimeApplication:
    application = FakeLimeApplication(SCHEMA)
    seed(application, "person", ({"name": f"Person {i:06d}", "email": f"p{i}@example.com", "active": i % 3 != 0,
                                  "days_inactive": i % 400} for i in range(N)))
    seed(application, "company", ({"name": f"Company {i}", "country": "SE" if i % 2 else "NO"}
                                  for i in range(100)))
    application.recorder.keep_log = False
    return application


def peak_of(func, *args):
    """(result, peak bytes allocated while ``func`` ran)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = func(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - base


def fixed(source: str, code: str) -> str:
    result = fix_text(source, SETTINGS, path="task_module.py", unsafe=False, codes={code})
    assert result.text != source, f"no safe {code} fix was applied"
    assert not [v for v in result.remaining if v.code == code], f"{code} still reported after its fix"
    return result.text


def run(source: str, name: str, app, task: str, *args):
    module = load_task_module(source, name)
    return peak_of(task_functions(module)[task], app, *args)


def assert_same_and_tenfold(source: str, code: str, app, task: str, *args):
    after_source = fixed(source, code)
    before, before_peak = run(source, "before", app, task, *args)
    after, after_peak = run(after_source, "after", app, task, *args)
    assert before == after
    assert before_peak >= 10 * after_peak, (
        f"peak memory only {before_peak / max(after_peak, 1):.1f}x lower: {before_peak:,} B -> {after_peak:,} B")
    return after_source, before_peak, after_peak


def test_lime101_example_task_contacts(app):
    """The example workspace's own task (contacts.py), fixed and run."""
    source = (ROOT / "examples" / "limepkg_acme" / "tasks" / "contacts.py").read_text(encoding="utf-8")
    after_source, before_peak, _ = assert_same_and_tenfold(source, "LIME101", app, "flag_inactive_persons", 200)
    assert "persons = app.limetypes.person.get_all()" in after_source
    # 100,000 fake objects really were held at once before the fix.
    assert before_peak > N * 100


LIST_COMPREHENSION = '''
from lime_task import task


@task
def longest_email(app):
    rows = [{"id": p.id, "email": f"<{p.properties.email.value}>"} for p in app.limetypes.person.get_all()]
    return max(rows, key=lambda row: (len(row["email"]), row["id"]))
'''


def test_lime101_comprehension_becomes_generator(app):
    after_source, _, _ = assert_same_and_tenfold(LIST_COMPREHENSION, "LIME101", app, "longest_email")
    assert 'rows = ({"id": p.id, "email": f"<{p.properties.email.value}>"} for p in' in after_source


COUNTED = '''
from lime_task import task


@task
def inactive_share(app):
    persons = list(app.limetypes.person.get_all())
    inactive = 0
    for person in persons:
        if person.properties.days_inactive.value > 300:
            inactive += 1
    return f"{inactive} of {len(persons)}"
'''


def test_lime101_len_becomes_count(app):
    after_source, _, _ = assert_same_and_tenfold(COUNTED, "LIME101", app, "inactive_share")
    assert "len(persons)" not in after_source and "persons.count" in after_source


LIST_BUILDER = '''
"""Export helpers."""
import logging

from lime_task import task

logger = logging.getLogger(__name__)


def _export_rows(app) -> list[dict]:
    """Rows to export, one per active person.

    Args:
        app: The Lime application.

    Returns:
        One row per active person.
    """
    rows = []
    for person in app.limetypes.person.get_all():
        if person.properties.active.value:
            rows.append({"id": person.id, "name": person.properties.name.value,
                         "email": person.properties.email.value.lower()})
    return rows


@task
def export_persons(app):
    written = 0
    checksum = 0
    for row in _export_rows(app):
        written += 1
        checksum = (checksum + row["id"] * len(row["email"])) % 1_000_003
    return f"{written} rows, checksum {checksum}"
'''


def test_lime102_list_builder_becomes_generator(app):
    after_source, _, _ = assert_same_and_tenfold(LIST_BUILDER, "LIME102", app, "export_persons")
    assert "def _export_rows(app) -> Iterator[dict]:" in after_source
    assert "from typing import Iterator" in after_source or "from collections.abc import Iterator" in after_source
    assert "    Yields:\n        One row per active person." in after_source
    assert "rows = []" not in after_source and "return rows" not in after_source


def test_lime102_unsafe_fix_not_applied_by_default():
    """A public helper in a single-file run: its other callers are unknown, so only
    an unsafe fix is offered, and the default (safe) fixer leaves the file alone."""
    public = LIST_BUILDER.replace("_export_rows", "export_rows")
    result = fix_text(public, SETTINGS, path="task_module.py", unsafe=False, codes={"LIME102"})
    assert result.text == public
    [violation] = [v for v in result.remaining if v.code == "LIME102"]
    assert violation.fix is not None and not violation.fix.is_safe
    assert "single-file run" in violation.fix.title
