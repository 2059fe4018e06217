"""Memory hovers: element model, count and its origin, size, budget share, lazy cost."""

from __future__ import annotations

import re

from lime_task_lint.analysis import analyse
from lime_task_lint.features.memory_hover import memory_hover
from lime_task_lint.memory import Element, estimate, format_bytes
from lime_task_lint.settings import Settings

SOURCE = '''from lime_task import task


@task
def housekeeping(app, threshold):
    persons = list(app.limetypes.person.get_all())
    for person in persons:
        print(person.id)
    few = [c for c in app.limetypes.company.get_all(limit=500)]
    ids = {c.id for c in app.limetypes.company.get_all()}
    names = (d.properties.name.value for d in app.limetypes.deal.get_all())
    by_id = {d.id: d for d in app.limetypes.deal.get_all()}
    kept = []
    for company in app.limetypes.company.get_all():
        if company.properties.country.value == "SE":
            kept.append(company)
    label = "plain"
    return f"{few} {ids} {list(names)} {by_id} {kept} {label} {threshold}"
'''

SETTINGS = Settings(object_counts={"person": 250_000, "company": 40_000}, object_size_kb={"deal": 4.0},
                    memory_budget_mb=200, target_version=(3, 11))


def hover(word: str, settings: Settings = SETTINGS, nth: int = 0) -> str | None:
    analysis = analyse("file:///t.py", SOURCE, settings, path="/t.py")
    offset = -1
    for _ in range(nth + 1):
        offset = SOURCE.index(word, offset + 1)
    return memory_hover(analysis, offset + 1)


def test_name_bound_to_a_list_over_budget():
    text = hover("persons = ")
    lines = text.splitlines()
    assert len(lines) < 10
    # Over the budget: the first line says so.
    assert lines[0].startswith("**Over the 200 MB task memory budget:**")
    expected = estimate("list", Element("lime_object", 1024), 250_000, built_by="append", version=(3, 11))
    assert format_bytes(expected.total_bytes) in text  # 258.1 MB
    assert "250,000 (from `object-counts.person`)" in text
    assert "`person` Lime object, 1,024 B each (`default-object-size-kb`)" in text
    assert re.search(r"129% of the 200 MB task budget", text)
    assert f"Lazily (iterating the read or a generator): ≈ {format_bytes(expected.lazy_bytes)}" in text


def test_use_of_the_name_hovers_too():
    assert hover("persons", nth=1) == hover("persons = ")


def test_limit_is_the_count_source():
    text = hover("few = ")
    assert "500 (from `limit=`)" in text
    assert not text.startswith("**Over")


def test_set_comprehension_of_ids():
    text = hover("{c.id for c")
    assert "a set of `company` objects" in text and "int id" in text
    assert "40,000 (from `object-counts.company`)" in text


def test_generator_costs_one_item():
    text = hover("names = ")
    assert "a generator" in text and "holds one item at a time" in text


def test_configured_object_size_and_default_count():
    text = hover("by_id = ")
    assert "4,096 B each (`object-size-kb.deal`)" in text
    assert "100,000 (from `default-object-count`)" in text
    assert "a dict" in text


def test_container_filled_in_a_loop():
    text = hover("kept = ")
    assert "a list of `company` objects" in text and "40,000" in text
    assert "may skip items" in text


def test_a_lime_read_alone_shows_what_a_list_would_cost():
    text = hover("get_all():\n        if company")  # the read iterated by the `for company in ...` loop
    assert "if collected into a list" in text


def test_budget_setting_changes_the_share():
    text = hover("persons = ", Settings(object_counts={"person": 250_000}, memory_budget_mb=1000,
                                        target_version=(3, 11)))
    assert not text.startswith("**Over") and "26% of the 1000 MB task budget" in text


def test_no_hover_on_plain_names():
    assert hover("label = ") is None
    assert hover("threshold)") is None
