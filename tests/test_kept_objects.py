"""Lime objects kept inside records (issue 17 item 3): LIME103, the memory estimate
of the container, and has-many relations read into a name."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lime_task_lint.checker import check
from lime_task_lint.collections_model import accumulator_estimate
from lime_task_lint.document import SourceDocument
from lime_task_lint.memory import Element, element_bytes
from lime_task_lint.model import Role, build_model
from lime_task_lint.settings import Settings


def findings(source: str, codes=("LIME101", "LIME103")):
    text = textwrap.dedent(source)
    return [(v.code, text[v.start:v.end], v.data) for v in
            check(SourceDocument(text, "/tmp/kept.py"), Settings(), codes=set(codes)).violations]


def estimate_of(source: str, function: str, container: str, kind: str):
    model = build_model(ast.parse(textwrap.dedent(source)))
    info = model.functions[function]
    return accumulator_estimate(model, info, container, kind, Settings())


KEEP = """
    def keep(app):
        kept = []
        for quote in app.limetypes.quote.get_all():
            kept.append({kept_value})
        return len(kept)
"""


@pytest.mark.parametrize("kept_value", [
    "quote", "(quote.id, quote)", "[quote, 'x']", "{'quote': quote}", "(quote.id, {'object': quote})",
])
def test_every_way_of_keeping_the_object_is_flagged(kept_value):
    (code, text, data), = findings(KEEP.format(kept_value=kept_value))
    assert code == "LIME103" and text.startswith("kept.append(") and data["limetype"] == "quote"


@pytest.mark.parametrize("kept_value", [
    "quote.id", "(quote.id, quote.properties.name.value)", "{'id': quote.id}", "(other, 'x')",
])
def test_values_taken_from_the_object_are_not_flagged(kept_value):
    assert findings(KEEP.format(kept_value=kept_value).replace("def keep(app):", "def keep(app, other):")) == []


def test_a_list_of_object_and_name_pairs_costs_at_least_the_objects():
    """100,000 (document, filename) pairs hold 100,000 documents: not the 18 MB of string pairs."""
    source = """
        def pairs(app):
            kept = []
            for document in app.limetypes.document.get_all():
                kept.append((document, document.properties.filename.value))
            return kept
        def bare(app):
            kept = []
            for document in app.limetypes.document.get_all():
                kept.append(document)
            return kept
        def strings(app):
            kept = []
            for document in app.limetypes.document.get_all():
                kept.append((document.id, document.properties.filename.value))
            return kept
    """
    pairs = estimate_of(source, "pairs", "kept", "list").estimate.total_bytes
    bare = estimate_of(source, "bare", "kept", "list").estimate.total_bytes
    strings = estimate_of(source, "strings", "kept", "list").estimate.total_bytes
    assert bare < pairs < bare * 1.3
    assert strings < bare / 4


def test_a_record_holding_objects_costs_their_size():
    string_pair = element_bytes(Element("tuple", 2), (3, 12))
    with_object = element_bytes(Element("tuple", 2, lime_objects=1, lime_object_bytes=5000), (3, 12))
    assert with_object - string_pair == 5000 - (element_bytes(Element("str", 10), (3, 12)))
    row = element_bytes(Element("dict_row", 3, lime_objects=2), (3, 12))
    assert row > 2 * 1000 > element_bytes(Element("dict_row", 3), (3, 12))


def test_a_name_bound_to_a_has_many_fetch_is_a_collection():
    source = """
        def names(app, company_id):
            company = app.limetypes.company.get(company_id)
            persons = company.properties.persons.fetch()
            return [p.properties.name.value for p in persons]
        def parent(app, deal_id):
            deal = app.limetypes.deal.get(deal_id)
            company = deal.properties.company.fetch()
            return [company.id, company.properties.name.value]
    """
    model = build_model(ast.parse(textwrap.dedent(source)))
    assert model.functions["names"].names["persons"] == Role("objects")
    assert "company" not in model.functions["parent"].names or \
        model.functions["parent"].names["company"].kind != "objects"
    assert [(code, text.split(" ")[0]) for code, text, _ in findings(source)] == [("LIME101", "[p.properties.name.value")]


def test_a_generator_imported_from_another_module_is_a_source_without_a_workspace(tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds/__init__.py").write_text("")
    (tmp_path / "feeds/paging.py").write_text(textwrap.dedent("""
        def all_deals(app):
            offset = 0
            while True:
                page = list(app.limetypes.deal.get_all(limit=100, offset=offset))
                if not page:
                    return
                yield from page
                offset += 100
    """))
    source = "from feeds.paging import all_deals\n\ndef job(app):\n    return [d.id for d in all_deals(app)]\n"
    path = tmp_path / "feeds/job.py"
    path.write_text(source)
    found = check(SourceDocument(source, str(path)), Settings(), codes={"LIME101"}).violations
    assert [source[v.start:v.end] for v in found] == ["[d.id for d in all_deals(app)]"]
