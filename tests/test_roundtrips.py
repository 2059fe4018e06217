"""Round-trip counting, the fix shapes and the round-trip hover."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lime_task_lint.analysis import analyse
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.extensions import hover_markdown
from lime_task_lint.fixer import fix_text
from lime_task_lint.model import build_model
from lime_task_lint.roundtrips import loop_round_trips, round_trips
from lime_task_lint.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "limepkg_acme" / "tasks" / "contracts.py"

IMPORT = textwrap.dedent('''
    import lime_filter
    from lime_task import task


    @task
    def import_contracts(app, rows):
        companies = app.limetypes.company.get_all(limit=10)
        for row in rows:
            existing = app.limetypes.contract.get_all(
                filter=lime_filter.Filter(lime_filter.EqualsOperator("erp_id", row["id"])))
            if existing.count:
                continue
            company = app.limetypes.company.get(row["company"])
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"], company=company))
            uow.commit()
        return companies
''')


def _trips(source: str, settings: Settings = Settings(), name: str = "import_contracts"):
    model = build_model(SourceDocument(source).tree)
    return round_trips(model, model.functions[name], settings)


def test_counts_per_item_and_in_total_at_the_default_count():
    trips = _trips(IMPORT)
    assert (trips.reads_per_item, trips.commits_per_item) == (2, 1)
    assert (trips.reads_once, trips.commits_once) == (1, 0)
    assert trips.items == 100_000 and trips.count_source == "`default-object-count`"
    assert trips.total_at_count == 300_001
    # One read before, two pre-fetches, 2,000 batch commits.
    assert trips.after_fix_total == 1 + 2 + 2_000
    assert trips.explanation == ("2 reads + 1 commit per item: 300,001 round trips at 100,000 items; "
                                 "batched and pre-fetched: 2,003")


def test_count_comes_from_limit_then_object_counts_then_default():
    source = textwrap.dedent('''
        from lime_task import task

        @task
        def touch(app):
            for deal in app.limetypes.deal.get_all(limit=300):
                uow = app.unit_of_work()
                uow.add(deal)
                uow.commit()
            for person in app.limetypes.person.get_all():
                app.limetypes.company.get(person.properties.company.value)
    ''')
    settings = Settings(object_counts={"person": 7_000, "deal": 1})
    model = build_model(SourceDocument(source).tree)
    first, second = model.functions["touch"].loops
    limited = loop_round_trips(model, first, settings)
    assert (limited.items, limited.count_source, limited.total_at_count) == (300, "`limit=`", 300)
    counted = loop_round_trips(model, second, settings)
    assert (counted.items, counted.count_source, counted.total_at_count) == (7_000, "`object-counts.person`", 7_000)
    assert counted.noun == "person"


def test_nested_loops_multiply_and_helpers_count():
    source = textwrap.dedent('''
        from lime_task import task

        def save(app, obj):
            uow = app.unit_of_work()
            uow.add(obj)
            uow.commit()

        @task
        def nested(app, groups):
            for group in groups:
                for item in [1, 2, 3]:
                    save(app, app.limetypes.deal.get(item))
    ''')
    trips = _trips(source, Settings(default_object_count=10), "nested")
    # Per group: 3 reads and 3 commits (through the helper).
    assert (trips.reads_per_item, trips.commits_per_item) == (3, 3)
    assert trips.total_at_count == 60


def test_unbounded_unit_of_work_after_fix_commits_per_batch():
    source = EXAMPLE.read_text(encoding="utf-8")
    trips = _trips(source, Settings(object_counts={"deal": 60_000}), "close_expired_deals")
    assert trips.total_at_count == 2  # one read, one huge commit
    assert trips.after_fix_total == 1 + 1_200
    assert "one commit of 60,000 objects" in trips.explanation


def test_batched_on_312_and_islice_before():
    source = EXAMPLE.read_text(encoding="utf-8")
    new = fix_text(source, Settings(target_version=(3, 12)), unsafe=True, codes={"LIME201", "LIME203"}).text
    assert "for batch in itertools.batched(fetch_erp_contracts(), 50):" in new
    old = fix_text(source, Settings(target_version=(3, 11)), unsafe=True, codes={"LIME201", "LIME203"}).text
    assert "items = iter(fetch_erp_contracts())" in old
    assert "while batch := list(itertools.islice(items, 50)):" in old
    for text in (new, old):
        assert text.count("import itertools") == 1
        compile(text, "contracts.py", "exec")


def test_fix_keeps_crlf_and_tab_indentation():
    source = IMPORT.replace("    ", "\t").replace("\n", "\r\n")
    new = fix_text(source, Settings(target_version=(3, 12)), unsafe=True, codes={"LIME201", "LIME203"}).text
    assert "\r\n" in new and "\n" not in new.replace("\r\n", "")
    assert "\tfor batch in itertools.batched(rows, 50):\r\n\t\tuow = app.unit_of_work()\r\n\t\tfor row in batch:" in new
    compile(new, "x.py", "exec")


def test_titles_explain_the_try_shape():
    source = textwrap.dedent('''
        import logging
        from lime_task import task
        logger = logging.getLogger(__name__)

        @task
        def t(app, rows):
            for row in rows:
                try:
                    uow = app.unit_of_work()
                    uow.add(app.limetypes.contract(erp_id=row["id"]))
                    uow.commit()
                except Exception:
                    logger.exception("failed %s", row["id"])
    ''')
    [violation] = check(SourceDocument(source), Settings(), codes={"LIME201"}).violations
    assert violation.fix is not None and "error handling becomes per batch" in violation.fix.title


@pytest.mark.parametrize("body, reason", [
    ("        if row.get('stop'):\n            return\n", "leave early (`return`)"),
    ("        result = uow.commit()\n", "more than one place"),
])
def test_no_fix_says_why(body, reason):
    source = ("from lime_task import task\n\n@task\ndef t(app, rows):\n    for row in rows:\n"
              "        uow = app.unit_of_work()\n        uow.add(app.limetypes.x(a=row))\n"
              "        uow.commit()\n" + body)
    found = [v for v in check(SourceDocument(source), Settings(), codes={"LIME201"}).violations]
    assert found and all(v.fix is None for v in found)
    assert any(reason in v.message for v in found), [v.message for v in found]


def test_moved_read_is_safe_only_without_writes():
    template = textwrap.dedent('''
        from lime_task import task

        @task
        def t(app, rows):
            for row in rows:
                rate = app.limetypes.settings.get(1)
                print(row, rate){extra}
    ''')
    # `get` raises for a missing id: above the loop it would run even when the loop has no items.
    [plain] = check(SourceDocument(template.format(extra="")), Settings(), codes={"LIME203"}).violations
    assert plain.fix is not None and not plain.fix.is_safe and "no items" in plain.fix.title
    lazy = template.replace("settings.get(1)", "settings.get_all(limit=1)")
    [safe] = check(SourceDocument(lazy.format(extra="")), Settings(), codes={"LIME203"}).violations
    assert safe.fix is not None and safe.fix.is_safe
    # A loop that writes: the read must see the writes, no move.
    writes = "\n        uow = app.unit_of_work()\n        uow.add(rate)\n        uow.commit()"
    [withheld] = check(SourceDocument(lazy.format(extra=writes)), Settings(), codes={"LIME203"}).violations
    assert withheld.fix is None and "the loop writes" in withheld.message
    # A loop that calls code the analysis cannot see: it may write, unsafe and named.
    unseen = "\n        from vendor import persist\n        persist(rate)"
    [unknown] = check(SourceDocument(lazy.format(extra=unseen)), Settings(), codes={"LIME203"}).violations
    assert unknown.fix is not None and not unknown.fix.is_safe and "persist()" in unknown.fix.title


def test_hover_on_loop_read_commit_and_task():
    text = EXAMPLE.read_text(encoding="utf-8")
    analysis = analyse("file:///contracts.py", text, Settings(), path=str(EXAMPLE))
    loop = hover_markdown(analysis, text.index("for row in") + 1)
    assert loop is not None and "1 read + 1 commit per item: 200,000 round trips at 100,000 items" in loop
    assert "batched and pre-fetched: 2,001" in loop
    # The budget's duration model: objects written cost the same batched or not.
    assert "Each object a commit writes adds 2 ms (`write-per-object-ms`)" in loop
    reads_only = "from lime_task import task\n\n@task\ndef t(app):\n    for d in app.limetypes.deal.get_all():\n" \
                 "        print(d.properties.company.fetch())\n"
    hover = hover_markdown(analyse("file:///r.py", reads_only, Settings(), path="/tmp/r.py"), reads_only.index("for d"))
    assert hover is not None and "round trips" in hover and "Each object a commit writes" not in hover
    for needle in ("get_all(\n", "uow.commit()", "def import_contracts"):
        offset = text.index(needle) + (4 if needle.startswith("def") else 1)
        hover = hover_markdown(analysis, offset)
        assert hover is not None and "200,000 round trips" in hover, (needle, hover)
    assert hover_markdown(analysis, text.index('"""Contract import')) is None


def test_workspace_helper_in_another_module(tmp_path):
    """A helper imported from another workspace module, resolved with jedi."""
    from lime_task_lint.workspace import Workspace

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(textwrap.dedent('''
        def save_row(app, row):
            uow = app.unit_of_work()
            uow.add(app.limetypes.contract(erp_id=row["id"]))
            uow.commit()


        def find(app, key):
            return app.limetypes.contract.get(key)
    '''))
    task_source = textwrap.dedent('''
        from lime_task import task

        from .helpers import find, save_row


        @task
        def sync(app, rows):
            for row in rows:
                if find(app, row["id"]) is None:
                    save_row(app, row)
    ''')
    path = package / "tasks.py"
    path.write_text(task_source)
    workspace = Workspace(tmp_path, time_budget=30)
    try:
        document = SourceDocument(task_source, str(path))
        result = check(document, Settings(), workspace=workspace, codes={"LIME201", "LIME203"})
        found = {(v.code, document.node_text_at(v.start, v.end) if hasattr(document, "node_text_at") else
                  task_source[v.start:v.end]) for v in result.violations}
        assert found == {("LIME201", 'save_row(app, row)'), ("LIME203", 'find(app, row["id"])')}
        assert all(v.fix is None and "no automatic fix" in v.message for v in result.violations)
        analysis = analyse(path.as_uri(), task_source, Settings(), path=str(path), workspace=workspace)
        hover = hover_markdown(analysis, task_source.index("def sync") + 5)
        assert hover is not None and "1 read + 1 commit per item" in hover
        # Without a workspace the import table still finds the helpers from the file's own
        # package (the same answer); a text without a path cannot import anything.
        alone = check(document, Settings(), codes={"LIME201", "LIME203"}).violations
        assert {(v.code, task_source[v.start:v.end]) for v in alone} == found
        assert not check(SourceDocument(task_source), Settings(), codes={"LIME201", "LIME203"}).violations
    finally:
        workspace.close()


def test_indent_unit_is_computed_once_per_document_not_per_fix(monkeypatch):
    """Lines (built for every batching / hoisting fix) read the indent unit of the
    whole text: once per fix made many fixes on a big file quadratic."""
    from lime_task_lint import roundtrips
    from lime_task_lint.edits import indent_unit

    calls = []

    def counting(text):
        calls.append(len(text))
        return indent_unit(text)

    monkeypatch.setattr(roundtrips, "indent_unit", counting)
    monkeypatch.setattr(roundtrips, "_UNITS", {})
    task = textwrap.dedent('''
        @task
        def import_{n}(app, rows, company_ids: list[int]):
            for row in rows:
                uow = app.unit_of_work()
                uow.add(app.limetypes.contract(erp_id=row["id"]))
                uow.commit()
            for company_id in company_ids:
                company = app.limetypes.company.get(company_id)
                print(company.properties.name.value)
    ''')
    text = "from lime_task import task\n" + "\n".join(task.format(n=n) for n in range(40))
    document = SourceDocument(text)
    first = check(document, Settings(), codes={"LIME201", "LIME203", "LIME204"})
    fixes = [v.fix for v in first.violations if v.fix is not None]
    assert len(fixes) >= 120  # LIME201 + LIME204 + LIME203 in each of the 40 tasks
    assert calls == [len(text)]
    # Another analysis of the same document object, or of the same text, reuses it.
    again = check(document, Settings(), codes={"LIME201"})
    check(SourceDocument(text), Settings(), codes={"LIME203"})
    assert calls == [len(text)]
    # The cached unit gives the same fixes as a fresh computation.
    assert [v.fix.edits for v in again.violations] == \
        [v.fix.edits for v in first.violations if v.code == "LIME201"]
    tabs = SourceDocument(text.replace("    ", "\t"))
    [fix] = [v.fix for v in check(tabs, Settings(), codes={"LIME201"}).violations][:1]
    assert "\n\t\tuow = app.unit_of_work()" in fix.edits[0].new_text
    assert len(calls) == 2
