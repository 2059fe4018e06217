"""Loop sizes the code states (Loop.known_size) and what the N+1 and commit rules make of them."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.framework import Severity
from lime_task_lint.model import ASSUMED_SMALL_ITEMS, CONFIGURATION, SMALL_LOOP_ITEMS, build_model
from lime_task_lint.settings import Settings


def loops_of(source: str):
    model = build_model(ast.parse(textwrap.dedent(source)))
    return {loop.node.lineno: loop for loop in model.loops()}


@pytest.mark.parametrize("prelude, iterable, size", [
    ("", "('a', 'b', 'c')", 3),
    ("", "['a', 'b']", 2),
    ("", "{'a': 1, 'b': 2}.items()", 2),
    ("", "range(4)", 4),
    ("", "range(2, 9, 3)", 3),
    ("", "enumerate(sorted({'x', 'y'}))", 2),
    ("", "zip(range(5), unknown)", 5),
    ("NAMES = ('a', 'b', 'c', 'd')", "NAMES", 4),
    ("NAMES = ('a', 'b', 'c', 'd')", "range(len(NAMES))", 4),
    ("TABLE = {'deal': ('x', 'y'), 'company': ('z',)}", "TABLE['deal']", 2),
])
def test_sizes_stated_by_the_code(prelude, iterable, size):
    loop, = loops_of(f"{prelude}\ndef f(app, unknown):\n    for item in {iterable}:\n        pass\n").values()
    assert loop.known_size == size and loop.size_origin


@pytest.mark.parametrize("source", [
    "def f(rows):\n    for r in rows:\n        pass\n",
    "NAMES = ['a']\nNAMES = load()\ndef f():\n    for r in NAMES:\n        pass\n",
    "NAMES = ['a']\ndef f():\n    global NAMES\n    NAMES = load()\n    for r in NAMES:\n        pass\n",
    "def f(app):\n    for r in app.limetypes.deal.get_all():\n        pass\n",
    "def f(n):\n    for r in range(n):\n        pass\n",
    "def f(items):\n    items = list(items)\n    for r in [*items, 1]:\n        pass\n",
    "def f():\n    names = ['a']\n    names = fetch()\n    for r in names:\n        pass\n",
])
def test_data_has_no_known_size(source):
    loop, = loops_of(source).values()
    assert loop.known_size is None and not loop.is_small


def test_parameter_defaults_and_configuration():
    loops = loops_of("""
        def f(app, uow, config, kinds=("a", "b"), settings=None):
            for kind in kinds:
                pass
            for name, fields in config["lookups"].items():
                for field in fields:
                    pass
            for obj in uow.context.objects:
                pass
            for key in settings.get("keys", []):
                pass
    """)
    assert (loops[3].known_size, loops[3].is_small) == (2, True)
    assert (loops[5].size_origin, loops[6].size_origin) == (CONFIGURATION, CONFIGURATION)
    assert loops[6].is_small and loops[6].chain_size() == ASSUMED_SMALL_ITEMS ** 2
    assert loops[8].is_small and loops[10].is_small


def test_a_small_loop_inside_a_data_loop_is_not_small():
    loops = loops_of("""
        def f(rows):
            for row in rows:
                for kind in ("a", "b"):
                    pass
    """)
    assert loops[4].known_size == 2 and loops[4].chain_size() is None and not loops[4].is_small


def test_small_is_a_bound_on_all_enclosing_counts():
    inner = SMALL_LOOP_ITEMS // 2 + 1
    loops = loops_of(f"def f():\n    for a in range(2):\n        for b in range({inner}):\n            pass\n")
    assert loops[3].chain_size() == 2 * inner and not loops[3].is_small


def findings(source: str, codes=("LIME201", "LIME203", "LIME204")):
    text = textwrap.dedent(source)
    return [(text[v.start:v.end], v.code, v.severity, v.message)
            for v in check(SourceDocument(text, "/tmp/loops.py"), Settings(), codes=set(codes)).violations]


def test_queries_over_configured_lookups_are_not_n_plus_one():
    """A few configured (limetype, field) pairs, a different query each pass."""
    assert findings("""
        from lime_query import execute_query

        def lookup(app, limetype, field, value):
            return execute_query({"limetype": limetype, "filter": {"key": field, "op": "=", "exp": value}},
                                 app.database.connection, app.limetypes, app.acl, app.user)

        def find_owner(app, config, value):
            for limetype, fields in config["limetypes"].items():
                for field in fields:
                    found = lookup(app, limetype, field, value)
                    if found:
                        return found
    """) == []


def test_a_large_stated_count_is_information_with_the_real_count():
    (_, code, severity, message), = findings("""
        def f(app):
            return [app.limetypes.deal.get(i) for i in range(5000)]
    """)
    assert (code, severity) == ("LIME203", Severity.INFORMATION)
    assert "5,000 reads at 5,000 items" in message and "100,000" not in message


def test_a_read_guarded_by_a_lazy_initialisation_runs_once():
    assert findings("""
        class Sync:
            def run(self, app, rows):
                for row in rows:
                    if not self.owners:
                        self.owners = {o.id: o for o in app.limetypes.coworker.get_all()}
                    row.owner = self.owners[row.owner_id]
    """) == []
    (_, code, severity, _message), = findings("""
        def run(app, rows):
            for row in rows:
                owner = None
                if owner is None:
                    owner = app.limetypes.coworker.get(row)
    """)
    assert (code, severity) == ("LIME203", Severity.WARNING)


def test_commits_and_units_of_work_per_configured_kind_are_not_reported():
    assert findings("""
        KINDS = ("person", "company")
        def f(app):
            for kind in KINDS:
                uow = app.unit_of_work()
                uow.add(app.limetypes.get_limetype(kind)(name="default"))
                uow.commit()
    """) == []


def test_configuration_reached_through_helpers_names_and_comprehensions():
    loops = loops_of("""
        def f(app, kind):
            plugin_config = get_plugin_config(app)[kind]
            personSettings = plugin_config.get("personSettings")
            for setting in personSettings:
                pass
            if kind:
                kinds = [s["limetype"] for s in plugin_config["people"]]
            else:
                kinds = [s["limetype"] for s in plugin_config["companies"] if s]
            for name in kinds:
                pass
    """)
    assert loops[5].size_origin == CONFIGURATION
    assert loops[11].size_origin == CONFIGURATION and loops[11].is_small


def test_an_empty_parameter_default_is_a_placeholder_not_a_size():
    loop, = loops_of("def f(app, rows=()):\n    for row in rows:\n        pass\n").values()
    assert loop.known_size is None and not loop.is_small


def test_a_small_loop_inside_a_data_loop_is_counted_per_item_of_the_data_loop():
    (_, code, severity, message), = findings("""
        FIELDS = ("phone", "email", "mobile")
        def f(app, rows):
            for row in rows:
                for field in FIELDS:
                    app.limetypes.person.get_all(filter=(field, row), limit=1)
    """)
    assert (code, severity) == ("LIME203", Severity.WARNING)
    assert "300,000 reads at 100,000 items" in message


def test_a_commit_per_kind_inside_a_data_loop_is_counted_per_row():
    found = findings("""
        KINDS = ("person", "company")
        def f(app, rows):
            for row in rows:
                for kind in KINDS:
                    uow = app.unit_of_work()
                    uow.add(app.limetypes.get_limetype(kind)(name=row))
                    uow.commit()
    """, codes=("LIME201",))
    (_, code, _severity, message), = found
    assert code == "LIME201" and "200,000 commits at 100,000" in message


@pytest.mark.parametrize("iterable", ["range(10**30)", "range(100000000000000000000000)", "range(1, 2, 3, 4)"])
def test_ranges_too_large_or_malformed_have_no_size(iterable):
    loop, = loops_of(f"def f():\n    for i in {iterable}:\n        pass\n").values()
    assert loop.known_size is None
