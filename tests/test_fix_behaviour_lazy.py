"""Lazy-iteration fixes (LIME101, LIME102) keep what a task does, or are not safe.

Each input is a kind of code on which making a list lazy changes behaviour:
a consumer that stops early while items have effects, a loop that writes
through a helper while reading lazily, the `list(x)` copy idiom, `len()`
turned into a count query after writes, a builder list shared with a nested
function, builder code after its loop, a decorated (cached) builder.  Each is
run before and after `check --fix` (and `--unsafe-fixes` where the kind's
right answer is "not offered") on the fake Lime application, eager and paging,
and the runs are compared (tests/differential.py).  Look-alikes that are safe
must keep a safe fix.
"""

from __future__ import annotations

import textwrap

import pytest

from differential import Scenario, assert_keeps_behaviour, fixed
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability
from lime_task_lint.settings import Settings

SCHEMA = {
    "account": {"title": "string", "enabled": "yesno", "exported": "yesno", "orders": "integer"},
    "order": {"ref": "string", "account_id": "integer"},
}


def _scenarios(accounts: list[dict], **extra) -> list[Scenario]:
    rows = {"account": accounts}
    return [Scenario("eager", SCHEMA, rows, **extra), Scenario("paging", SCHEMA, rows, page_size=2, **extra)]


def _fix_of(source: str, code: str):
    result = check(SourceDocument(textwrap.dedent(source), "task_module.py"), Settings(target_version=(3, 10)),
                   codes={code})
    found = [v for v in result.violations if v.code == code]
    assert found, f"{code} not reported"
    return found[0].fix


ACCOUNTS = [{"title": f"a{i}", "enabled": i != 1, "exported": False, "orders": i} for i in range(5)]

EARLY_STOP = '''
from lime_task import task


def export(app, account):
    account.properties.exported.value = True
    uow = app.unit_of_work()
    uow.add(account)
    uow.commit()
    return account.properties.enabled.value


@task
def export_all(app):
    every_one_enabled = any([not export(app, a) for a in app.limetypes.account.get_all()])
    return every_one_enabled
'''


def test_short_circuiting_consumer_of_effectful_items_gets_no_fix():
    assert _fix_of(EARLY_STOP, "LIME101") is None
    source = textwrap.dedent(EARLY_STOP)
    for unsafe in (False, True):
        assert_keeps_behaviour(source, "export_all", _scenarios(ACCOUNTS), unsafe=unsafe, codes={"LIME101"})


PURE_ITEMS = '''
from lime_task import task


@task
def any_enabled(app):
    return any([a.properties.enabled.value for a in app.limetypes.account.get_all()])
'''


def test_short_circuiting_consumer_of_pure_items_stays_safe():
    fix = _fix_of(PURE_ITEMS, "LIME101")
    assert fix is not None and fix.applicability is Applicability.SAFE
    assert_keeps_behaviour(textwrap.dedent(PURE_ITEMS), "any_enabled", _scenarios(ACCOUNTS), codes={"LIME101"})


HELPER_WRITES = '''
from lime_task import task


def bump(app, account):
    account.properties.orders.value = account.properties.orders.value + 1
    work = app.unit_of_work()
    work.add(account)
    work.commit()


@task
def bump_all(app):
    accounts = list(app.limetypes.account.get_all())
    for account in accounts:
        bump(app, account)
    return len(accounts)
'''


def test_reads_interleaved_with_a_helper_that_commits_are_not_safe():
    fix = _fix_of(HELPER_WRITES, "LIME101")
    assert fix is None or fix.applicability is Applicability.UNSAFE
    if fix is not None:
        assert "bump()" in fix.title
    assert_keeps_behaviour(textwrap.dedent(HELPER_WRITES), "bump_all", _scenarios(ACCOUNTS), codes={"LIME101"})


COPY_IDIOM = '''
from lime_task import task


@task
def keep_enabled(app, names: list):
    for name in list(names):
        if name.startswith("x"):
            names.remove(name)
    work = app.unit_of_work()
    work.add(app.limetypes.account(title="+".join(names)))
    work.commit()
    return len(names)
'''


def test_list_copy_of_a_list_the_loop_changes_gets_no_fix():
    source = textwrap.dedent(COPY_IDIOM)
    for unsafe in (False, True):
        after = assert_keeps_behaviour(source, "keep_enabled",
                                       _scenarios([], args=(["xa", "xb", "c", "xd"],)), unsafe=unsafe,
                                       codes={"LIME101"})
        assert "list(names)" in after


COUNT_AFTER_WRITES = '''
from lime_filter import EqualsOperator, Filter
from lime_task import task


def disable(app, account):
    account.properties.enabled.value = False
    work = app.unit_of_work()
    work.add(account)
    work.commit()


@task
def disable_enabled(app):
    enabled = list(app.limetypes.account.get_all(filter=Filter(EqualsOperator("enabled", True))))
    for account in enabled:
        disable(app, account)
    return f"disabled {len(enabled)}"
'''


def test_len_as_count_query_after_writes_is_not_safe():
    fix = _fix_of(COUNT_AFTER_WRITES, "LIME101")
    assert fix is None or fix.applicability is Applicability.UNSAFE
    assert_keeps_behaviour(textwrap.dedent(COUNT_AFTER_WRITES), "disable_enabled", _scenarios(ACCOUNTS),
                           codes={"LIME101"})


COUNT_NO_WRITES = '''
from lime_task import task
import logging

logger = logging.getLogger(__name__)


@task
def titles(app):
    accounts = list(app.limetypes.account.get_all())
    for account in accounts:
        logger.info("account %s", account.properties.title.value)
    return f"{len(accounts)} accounts"
'''


def test_len_as_count_without_writes_stays_safe():
    fix = _fix_of(COUNT_NO_WRITES, "LIME101")
    assert fix is not None and fix.applicability is Applicability.SAFE and ".count" in fix.title
    assert_keeps_behaviour(textwrap.dedent(COUNT_NO_WRITES), "titles", _scenarios(ACCOUNTS), codes={"LIME101"})


NESTED_USE = '''
from lime_task import task


def _titles(app):
    found = []

    def also_ref(account):
        if account.properties.orders.value > 2:
            found.append(f"#{account.properties.orders.value}")

    for account in app.limetypes.account.get_all():
        found.append(account.properties.title.value)
        also_ref(account)
    return found


@task
def titles(app):
    return "|".join(_titles(app))
'''

TRAILING_EFFECT = '''
from lime_task import task

DONE = {"scan": 0}


def _titles(app):
    found = []
    for account in app.limetypes.account.get_all():
        found.append(account.properties.title.value)
    DONE["scan"] += 1
    return found


@task
def first_title(app):
    for title in _titles(app):
        return title
    return None
'''

CACHED = '''
from functools import cache

from lime_task import task


@cache
def _titles(app):
    found = []
    for account in app.limetypes.account.get_all():
        found.append(account.properties.title.value)
    return found


@task
def twice(app):
    first = sum(1 for _ in _titles(app))
    second = sum(1 for _ in _titles(app))
    return (first, second)
'''


@pytest.mark.parametrize("source, task, state", [
    (NESTED_USE, "titles", ()),
    (TRAILING_EFFECT, "first_title", ("DONE",)),
    (CACHED, "twice", ()),
], ids=["list-used-by-nested-function", "code-after-loop", "decorated-builder"])
def test_generator_builder_not_offered(source, task, state):
    assert _fix_of(source, "LIME102") is None
    source = textwrap.dedent(source)
    for unsafe in (False, True):
        after = assert_keeps_behaviour(source, task, _scenarios(ACCOUNTS, state=state), unsafe=unsafe,
                                       codes={"LIME102"})
        assert "yield" not in after


PLAIN_BUILDER = '''
from lime_task import task


def _titles(app):
    found = []
    for account in app.limetypes.account.get_all():
        found.append(account.properties.title.value)
    return found


@task
def joined(app):
    return ",".join(_titles(app))
'''


def test_plain_generator_builder_stays_safe_and_keeps_behaviour():
    fix = _fix_of(PLAIN_BUILDER, "LIME102")
    assert fix is not None and fix.applicability is Applicability.SAFE
    after = assert_keeps_behaviour(textwrap.dedent(PLAIN_BUILDER), "joined", _scenarios(ACCOUNTS),
                                   codes={"LIME102"})
    assert "yield" in after


def test_fixed_sources_compile_for_every_input():
    for source in (EARLY_STOP, PURE_ITEMS, HELPER_WRITES, COPY_IDIOM, COUNT_AFTER_WRITES, COUNT_NO_WRITES,
                   NESTED_USE, TRAILING_EFFECT, CACHED, PLAIN_BUILDER):
        compile(fixed(textwrap.dedent(source), unsafe=True), "<fixed>", "exec")
