"""The Lime model: tasks, roles, reads, units of work, loops and helper summaries."""

from __future__ import annotations

import ast
import textwrap

import pytest

from lime_task_lint.model import Role, build_model


def model_of(source: str, extra=()):
    return build_model(ast.parse(textwrap.dedent(source)), extra)


@pytest.mark.parametrize("imports, decorator", [
    ("from lime_task import task", "@task"),
    ("from lime_task import task as lime_job", "@lime_job"),
    ("import lime_task", "@lime_task.task"),
    ("import lime_task as lt", "@lt.task"),
    ("from lime_task import task", "@task(qos='background')"),
])
def test_tasks_under_every_import_form(imports, decorator):
    model = model_of(f"""
        {imports}
        {decorator}
        def job(application, since):
            return 1
        def helper(app):
            return 2
    """)
    assert [t.name for t in model.tasks()] == ["job"]
    assert model.functions["job"].app_param == "application"


def test_a_decorator_named_task_from_elsewhere_is_not_a_task():
    model = model_of("""
        from celery import task
        @task
        def job(app):
            pass
    """)
    assert model.tasks() == []


def test_scheduled_task_marks_the_function():
    model = model_of("""
        from lime_task.schedule import ScheduledTask, CronTab
        from . import other
        def nightly(app):
            pass
        def register_scheduled_tasks():
            return [ScheduledTask(task=nightly, schedule=CronTab(hour=2)), ScheduledTask(task=other.sync)]
    """)
    assert [t.name for t in model.tasks()] == ["nightly"]
    assert model.scheduled_elsewhere == [".other.sync"]
    assert [t.name for t in model_of("def x(app):\n    pass\n", extra={"x"}).tasks()] == ["x"]


def test_roles_follow_assignments_from_the_application():
    model = model_of("""
        from lime_task import task
        from lime_type.unit_of_work import create_unit_of_work
        @task
        def job(lime_app):
            a = lime_app
            types = a.limetypes
            companies = types.company
            persons = a.limetypes.get_limetype("person")
            dynamic = a.limetypes.get_limetype(name)
            uow = a.unit_of_work()
            uow2 = create_unit_of_work(lime_app)
            files = a.files
    """)
    names = model.functions["job"].names
    assert names["a"] == Role("app")
    assert names["types"] == Role("limetypes")
    assert names["companies"] == Role("limetype", "company")
    assert names["persons"] == Role("limetype", "person")
    assert names["dynamic"] == Role("limetype", None)
    assert names["uow"] == Role("uow") and names["uow2"] == Role("uow")
    assert names["files"] == Role("files")


def test_reads_with_limetype_bound_and_loop():
    model = model_of("""
        import lime_query
        from lime_task import task
        @task
        def job(app, ids):
            companies = app.limetypes.company
            everything = companies.get_all()
            some = companies.get_all(limit=10)
            unlimited = companies.get_all(limit=None)
            for company_id in ids:
                company = companies.get(company_id)
                owner = company.properties.owner.fetch()
                doc = app.files.fetch(company_id)
            result = lime_query.execute_query({"limetype": "deal"}, app.database.connection, app.limetypes, app.acl, app.user)
            data = {}.get("x")
    """)
    reads = [(r.kind, r.limetype, r.bounded, r.loop is not None) for r in model.functions["job"].reads]
    assert reads == [
        ("get_all", "company", False, False),
        ("get_all", "company", True, False),
        ("get_all", "company", False, False),
        ("get", "company", True, True),
        ("fetch", None, False, True),
        ("files.fetch", None, True, True),
        ("execute_query", "deal", False, False),
    ]
    assert model.functions["job"].reads[4].relation == "owner"


def test_units_of_work_add_and_commit_in_loops():
    model = model_of("""
        from lime_task import task
        @task
        def job(app, rows):
            for row in rows:
                uow = app.unit_of_work()
                uow.add(app.limetypes.deal(name=row))
                uow.commit()
            other = app.unit_of_work()
            other.commit()
    """)
    calls = [(c.kind, c.name, c.loop is not None) for c in model.functions["job"].uow_calls]
    assert calls == [("create", None, True), ("add", "uow", True), ("commit", "uow", True),
                     ("create", None, False), ("commit", "other", False)]


def test_loop_dependencies_follow_assignments_and_comprehensions():
    model = model_of("""
        def job(app, rows):
            for row in rows:
                key = row["id"]
                upper = key.upper()
                constant = 5
                app.limetypes.company.get(upper)
                app.limetypes.company.get(constant)
            return [app.limetypes.person.get(p) for p in rows]
    """)
    info = model.functions["job"]
    loop, comprehension = info.loops
    assert {"row", "key", "upper"} <= loop.dependent and "constant" not in loop.dependent
    first, second, third = info.reads
    assert loop.depends_on(first.node.args[0]) and not loop.depends_on(second.node.args[0])
    assert third.loop is comprehension and comprehension.variables == {"p"}


def test_helper_summaries_reach_a_fixed_point_through_helpers():
    model = model_of("""
        from lime_task import task
        def save(app, obj):
            uow = app.unit_of_work()
            uow.add(obj)
            uow.commit()
        def lookup(app, key):
            return app.limetypes.company.get(key)
        def process(app, row):
            lookup(app, row)
            save(app, row)
        def names(app):
            out = []
            for p in app.limetypes.person.get_all():
                out.append(p.properties.name.value)
            return out
        @task
        def job(app, rows):
            for row in rows:
                process(app, row)
    """)
    process = model.functions["process"].summary
    assert process.reads == 1 and process.commits == 1 and process.creates_uow
    job = model.functions["job"].summary
    assert job.commits == 1 and job.reads == 1 and job.reads_in_loop
    assert model.functions["names"].summary.returns_appended_list
    assert not model.functions["save"].summary.returns_appended_list


def test_roles_flow_into_helpers_through_call_sites():
    model = model_of("""
        from lime_task import task
        def fetch_one(source, key):
            return source.get(key)
        def store(ctx, unit):
            unit.commit()
        @task
        def job(app, rows):
            companies = app.limetypes.company
            work = app.unit_of_work()
            for row in rows:
                fetch_one(companies, row)
            store(app, work)
    """)
    assert [(r.kind, r.limetype) for r in model.functions["fetch_one"].reads] == [("get", "company")]
    assert model.functions["store"].summary.commits == 1


def test_recursive_helpers_terminate():
    model = model_of("""
        def a(app, n):
            app.limetypes.x.get(n)
            return b(app, n - 1)
        def b(app, n):
            return a(app, n)
    """)
    assert model.functions["a"].summary.reads >= 1 and model.functions["b"].summary.reads >= 1


def test_fast_walk_and_child_nodes_equal_ast_module():
    """model.walk / model.child_nodes replace ast.walk / ast.iter_child_nodes in the
    hot paths for speed: same nodes, same order, on every example, fixture and odd shape."""
    import ast as _ast
    from pathlib import Path as _Path

    from lime_task_lint.model import child_nodes, walk

    root = _Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "examples").rglob("*.py"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((root / "tests" / "fixtures").rglob("*.py"))]
    texts.append("match x:\n    case {'a': 1, **rest}: pass\n    case [1, *others] if others: pass\n"
                 "async def f():\n    async with a as b, c:\n        yield [i async for i in g() if i]\n"
                 "lambda *a, k=1, **kw: (a, k, kw)\nx: int = 1\ndel x\nglobal y\nf'{x!r:>{w}}'\n")
    for text in texts:
        tree = _ast.parse(text)
        assert [id(n) for n in walk(tree)] == [id(n) for n in _ast.walk(tree)]
        for node in _ast.walk(tree):
            assert child_nodes(node) == list(_ast.iter_child_nodes(node))


def test_depth_check_agrees_with_a_plain_walk():
    import ast as _ast

    from lime_task_lint.document import _depth_exceeds

    def depth(node):
        return 1 + max((depth(c) for c in _ast.iter_child_nodes(node)), default=0)

    for text in ["x = 1\n", "def f():\n    return [[[[a]]]]\n", "y = " + "-" * 40 + "1\n",
                 "if a:\n    for b in c:\n        while d:\n            e(f(g(h)))\n"]:
        tree = _ast.parse(text)
        real = depth(tree)
        for limit in range(1, real + 2):
            assert _depth_exceeds(tree, limit) == (real > limit), (text, limit)


# -- the application by data flow (issue 17) ------------------------------------------
@pytest.mark.parametrize("header, signature", [
    ("", "def helper(rows, application)"),  # the usual name, not first
    ("from lime_application import LimeApplication", "def helper(rows, n, ctx: LimeApplication)"),
    ("import lime_application as la", "def helper(rows, ctx: 'la.LimeApplication')"),
    ("from lime_application import LimeApplication as Crm", "def helper(rows, ctx: Crm)"),
    ("from typing import Optional\nfrom lime_application import LimeApplication",
     "def helper(rows, ctx: Optional[LimeApplication] = None)"),
    ("from lime_application import LimeApplication", "def helper(rows, ctx: LimeApplication | None = None)"),
])
def test_the_application_parameter_at_any_position_and_annotation(header, signature):
    name = signature.split("(")[1].rstrip(")").split(",")[-1].split(":")[0].split("=")[0].strip()
    model = model_of(f"{header}\n{signature}:\n    for row in rows:\n"
                     f"        {name}.limetypes.deal.get(row)\n")
    read, = model.functions["helper"].reads
    assert (read.kind, read.limetype, read.loop is not None) == ("get", "deal", True)


def test_a_parameter_used_as_the_application_is_one_whatever_its_name():
    model = model_of("""
        def helper(rows, crm):
            crm = crm or default()
            uow = crm.unit_of_work()
            for row in rows:
                crm.limetypes.deal.get(row)
            uow.commit()
    """)
    info = model.functions["helper"]
    assert [r.limetype for r in info.reads] == ["deal"]
    assert [c.kind for c in info.uow_calls] == ["create", "commit"]


def test_an_application_flows_through_callers_to_any_parameter():
    model = model_of("""
        def leaf(rows, source):
            return [source.limetypes.deal.get(r) for r in rows]
        def middle(rows, handle):
            return leaf(rows, source=handle)
        def top(app, rows):
            return middle(rows, app)
    """)
    assert model.functions["middle"].names["handle"] == Role("app")
    assert model.functions["top"].summary.reads == 1


def test_application_of_a_lime_object_fetched_application_and_module_level_application():
    model = model_of("""
        import lime_application
        from lime_application import get_application
        from lime_type import LimeObject
        NIGHTLY = lime_application.get_application("nightly")
        def from_object(deal: LimeObject):
            return deal.application.limetypes.company.get(1)
        def from_loop(app):
            for deal in app.limetypes.deal.get_all(limit=10):
                deal.application.limetypes.company.get(deal.id)
        def fetched():
            return get_application("x").limetypes.company.get(1)
        def module_level():
            return NIGHTLY.limetypes.company.get(1)
    """)
    for name in ("from_object", "fetched", "module_level"):
        assert [r.limetype for r in model.functions[name].reads] == ["company"], name
    assert [r.limetype for r in model.functions["from_loop"].reads] == ["deal", "company"]


def test_self_attributes_keep_their_roles_across_the_methods_of_a_class():
    model = model_of("""
        from lime_webserver.webserver import LimeResource
        class Deals(LimeResource):
            def __init__(self):
                self.deals = self.application.limetypes.get_limetype("deal")
                self.store = {}
            def get(self, ids):
                return [self.deals.get(i) for i in ids] + [self.store.get(i) for i in ids]
    """)
    reads = model.functions["Deals.get"].reads
    assert [(r.kind, r.limetype) for r in reads] == [("get", "deal")]


@pytest.mark.parametrize("source", [
    "def f(keys, application):\n    return [application.config.get(k) for k in keys]\n",
    "def f(request, keys):\n    return [request.application.get(k) for k in keys]\n",
    "def f(keys, app):\n    return [app.registry.get(k) for k in keys]\n",
    "class Store:\n    def get(self, keys):\n        return [self.data.get(k) for k in keys]\n",
])
def test_look_alikes_of_the_application_read_nothing(source):
    assert not list(model_of(source).reads())


# -- relation accessors reached by data flow ---------------------------------------------
def test_fetch_on_a_property_accessor_is_a_relation_read():
    model = model_of("""
        from lime_type.limeobjects import BelongsToPropertyAccessor, HasManyPropertyAccessor
        def value_of(prop):
            if isinstance(prop, (BelongsToPropertyAccessor, HasManyPropertyAccessor)):
                return prop.fetch()
            return prop.value
        def by_name(obj, name):
            accessor = getattr(obj.properties, name, None)
            return accessor.fetch()
        def generic(obj, name):
            return obj.get_property(name).fetch()
        def annotated(link: HasManyPropertyAccessor):
            return [x.id for x in link.fetch()]
        def all_values(obj):
            return {p.name: value_of(p) for p in obj.get_properties_with_value()}
        def per_object(app):
            return [all_values(o) for o in app.limetypes.deal.get_all()]
    """)
    for name in ("value_of", "by_name", "generic", "annotated"):
        assert [r.kind for r in model.functions[name].reads] == ["fetch"], name
    properties_loop, = model.functions["all_values"].loops
    assert properties_loop.is_small  # one object's properties: its schema, not its data
    assert model.functions["per_object"].summary.reads_in_loop


@pytest.mark.parametrize("source", [
    "def f(cache, keys):\n    return [cache.fetch() for k in keys]\n",
    "def f(obj):\n    return [p.value for p in obj.properties]\n",
    "def f(feed, items):\n    for item in items:\n        item.fetch()\n",
    "def f(obj, name):\n    accessor = getattr(obj.settings, name)\n    return accessor.fetch()\n",
])
def test_fetch_on_other_objects_is_not_a_read(source):
    assert not list(model_of(source).reads())


def test_a_name_updated_from_its_own_value_changes_with_the_loop():
    model = model_of("""
        def f(app, rows):
            page = 0
            for row in rows:
                page = page + 1
                app.limetypes.deal.get_all(offset=page, limit=10)
                app.limetypes.deal.get(1)
    """)
    moving, fixed = model.functions["f"].reads
    loop, = model.functions["f"].loops
    assert loop.depends_on(moving.node) and not loop.depends_on(fixed.node)
