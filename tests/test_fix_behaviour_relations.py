"""LIME203's relation pre-fetch: `<item>.properties.<relation>.fetch()` per item
becomes one dict of the related objects read by id before the loop.

Each fix runs before and after `--fix --unsafe-fixes` on the fake application
with more than 1,000 rows (eager, and paging for behaviour): the same result and
data, and after the fix at most 2 + ceil(keys / chunk size) reads.  Kinds: the
related limetype from the relation's name (a guess the title names), from the
`relations` setting, from evidence in the module; items without a related object
or with one that no longer exists (`.fetch()` gives None, so does the fix); the
`prefetch-chunk-size` setting; a loop that changes the fetched object (withheld);
the pre-fetch itself is not flagged again.
"""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from differential import Scenario, fixed, outcome  # noqa: E402
from fakelime.schema import BelongsTo  # noqa: E402

from lime_task_lint.checker import check  # noqa: E402
from lime_task_lint.document import SourceDocument  # noqa: E402
from lime_task_lint.settings import Settings  # noqa: E402

SCHEMA = {
    "coworker": {"name": "string"},
    "region": {"label": "string"},
    "deal": {"title": "string", "amount": "integer", "coworker": BelongsTo("coworker"),
             "owner": BelongsTo("coworker"), "area": BelongsTo("region")},
}
COWORKERS = 40
DEALS = 1500


def _rows() -> dict:
    first_id = 1001  # the fake numbers every stored row from 1001, coworkers first
    deals = []
    for n in range(DEALS):
        if n % 7 == 0:
            related = None  # no coworker: .fetch() gives None
        elif n % 11 == 0:
            related = 999_999  # a coworker that no longer exists: .fetch() gives None too
        else:
            related = first_id + n % COWORKERS
        deals.append({"title": f"D{n}", "amount": n % 50, "coworker": related, "owner": related})
    return {"coworker": [{"name": f"cw{i}"} for i in range(COWORKERS)], "deal": deals}


def _settings(**values) -> Settings:
    return Settings(target_version=(3, 10), **values)


def _findings(source: str, settings: Settings | None = None):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), settings or _settings(),
                   codes={"LIME203"})
    return [v for v in result.violations if v.code == "LIME203"]


def _assert_same_and_few_reads(source: str, task: str, settings: Settings | None = None, args=()) -> str:
    source = textwrap.dedent(source)
    settings = settings or _settings()
    after = fixed(source, unsafe=True, codes={"LIME203"}, settings=settings)
    compile(after, "<fixed>", "exec")
    for page_size in (None, 100):
        scenario = Scenario("rows", SCHEMA, _rows(), args=args, page_size=page_size)
        before = outcome(source, task, scenario)
        scenario = Scenario("rows", SCHEMA, _rows(), args=args, page_size=page_size)
        run = outcome(after, task, scenario)
        assert before.exception is None, before.exception
        assert (run.result, run.exception, run.data) == (before.result, before.exception, before.data), after
        if page_size is None:
            keys = COWORKERS  # distinct related ids that exist or not (the dangling one is read too)
            assert before.reads > DEALS // 2
            assert run.reads <= 2 + math.ceil((keys + 1) / settings.prefetch_chunk_size), (run.reads, after)
    return after


BY_NAME = '''
from lime_task import task


@task
def owner_names(app):
    names = []
    for deal in app.limetypes.deal.get_all():
        coworker = deal.properties.coworker.fetch()
        names.append(coworker.properties.name.value if coworker is not None else "-")
    return names
'''


def test_a_relation_fetched_per_item_is_prefetched_by_id_and_the_guess_is_named():
    [finding] = _findings(BY_NAME)
    assert finding.fix is not None and not finding.fix.is_safe
    title = finding.fix.title
    assert "`coworker` is a guess from the relation's name" in title
    assert 'relations = { "deal.coworker" = "<limetype>" }' in title
    after = _assert_same_and_few_reads(BY_NAME, "owner_names")
    assert "coworker_by_id.get(deal.properties.coworker.value)" in after
    assert 'InOperator("id"' in after
    # The chunked pre-fetch the fix writes is one read per chunk, not an N+1.
    assert _findings(after) == []


CONFIGURED = '''
from lime_task import task


@task
def owner_names(app):
    deals = list(app.limetypes.deal.get_all())
    names = {}
    for deal in deals:
        if deal.properties.amount.value < 5:
            continue
        owner = deal.properties.owner.fetch()
        names[deal.properties.title.value] = owner.properties.name.value if owner else None
    return names
'''


def test_the_relations_setting_names_the_related_limetype():
    # Without it the relation's name is the guess (a limetype `owner` that does not exist here).
    [guess] = _findings(CONFIGURED)
    assert "`owner` is a guess" in guess.fix.title
    settings = _settings(relations={"deal.owner": "coworker"})
    [finding] = _findings(CONFIGURED, settings)
    assert '`coworker` from `relations."deal.owner"`' in finding.fix.title
    after = _assert_same_and_few_reads(CONFIGURED, "owner_names", settings)
    assert "app.limetypes.coworker.get_all(" in after
    # The keys are the related ids of the deals that reach the read, each once.
    assert "for deal in deals if not (deal.properties.amount.value < 5)} - {None})" in after


EVIDENCE = '''
from lime_task import task


def owner_of(app, deal):
    return app.limetypes.coworker.get(deal.properties.owner.value)


@task
def owner_names(app):
    names = []
    for deal in app.limetypes.deal.get_all():
        owner = deal.properties.owner.fetch()
        names.append(owner.properties.name.value if owner else None)
    return names
'''


def test_evidence_in_the_module_names_the_related_limetype():
    [finding] = [f for f in _findings(EVIDENCE) if "fetch" in f.message]
    assert "`coworker` as used at line 6" in finding.fix.title
    after = _assert_same_and_few_reads(EVIDENCE, "owner_names")
    assert "app.limetypes.coworker.get_all(" in after


def test_the_chunk_size_setting_splits_the_ids():
    settings = _settings(prefetch_chunk_size=15)
    after = _assert_same_and_few_reads(BY_NAME, "owner_names", settings)
    assert "coworker_ids[start:start + 15]" in after and "range(0, len(coworker_ids), 15)" in after


CHANGES_FETCHED = '''
from lime_task import task


@task
def bump(app):
    work = app.unit_of_work()
    for deal in app.limetypes.deal.get_all():
        coworker = deal.properties.coworker.fetch()
        if coworker is not None:
            coworker.properties.name.value += "+"
            work.add(coworker)
    work.commit()
    return "ok"
'''


def test_no_prefetch_when_the_loop_changes_the_fetched_object():
    # One pre-fetched object per coworker would carry each deal's change to the next.
    [finding] = _findings(CHANGES_FETCHED)
    assert finding.fix is None and "changes the fetched object `coworker`" in finding.message
    source = textwrap.dedent(CHANGES_FETCHED)
    assert fixed(source, unsafe=True, codes={"LIME203"}) == source


def test_evidence_in_another_workspace_module_names_the_related_limetype(tmp_path, capsys):
    import json

    from lime_task_lint.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    package = tmp_path / "solution_x"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    # A hook elsewhere loads the previous owner by the relation's id: `owner` points to `coworker`.
    (package / "history.py").write_text(
        "def previous_owner(app, deal):\n"
        "    return app.limetypes.coworker.get(deal.properties.owner.original_value)\n", encoding="utf-8")
    (package / "tasks.py").write_text(textwrap.dedent(EVIDENCE.replace(
        '''def owner_of(app, deal):
    return app.limetypes.coworker.get(deal.properties.owner.value)


''', "")), encoding="utf-8")
    main(["check", "--format", "json", "--select", "LIME203", str(tmp_path)])
    [finding] = json.loads(capsys.readouterr().out)
    assert "`coworker` as used at history.py:2" in finding["fix"]["message"]
