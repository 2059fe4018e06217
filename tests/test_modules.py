"""The import table (modules.py): module names and imported names to files, and
the summaries of helpers defined in other modules."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from lime_task_lint import modules as modules_module
from lime_task_lint.model import build_model
from lime_task_lint.modules import ModuleIndex, Target


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


READER = """
    def load_owner(item, uow):
        return item.properties.owner.fetch(), uow
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, {
        "shop/__init__.py": "from .orders.helpers import load_owner as owner_of\n",
        "shop/orders/__init__.py": "",
        "shop/orders/helpers.py": READER,
        "shop/orders/jobs.py": "",
        "shop/billing.py": "class Invoice:\n    def total(self):\n        return 1\n",
    })
    return tmp_path


@pytest.mark.parametrize("qualified, expected", [
    ("shop.orders.helpers.load_owner", ("function", "shop/orders/helpers.py", "load_owner")),
    ("shop.orders.helpers", ("module", "shop/orders/helpers.py", "")),
    (".helpers.load_owner", ("function", "shop/orders/helpers.py", "load_owner")),
    (".helpers", ("module", "shop/orders/helpers.py", "")),
    ("..billing.Invoice.total", ("function", "shop/billing.py", "Invoice.total")),
    ("..billing.Invoice", ("class", "shop/billing.py", "Invoice")),
    # a re-export in the package's __init__.py, under another name
    ("shop.owner_of", ("function", "shop/orders/helpers.py", "load_owner")),
    ("..owner_of", ("function", "shop/orders/helpers.py", "load_owner")),
    # a submodule reached as an attribute of its package
    ("shop.orders", ("module", "shop/orders/__init__.py", "")),
])
def test_every_import_form_resolves_to_its_definition(project, qualified, expected):
    index = ModuleIndex([project])
    importer = str(project / "shop/orders/jobs.py")
    kind, path, qualname = expected
    assert index.resolve(importer, qualified) == Target(kind, str((project / path).resolve()), qualname)


@pytest.mark.parametrize("qualified", [
    "shop.orders.helpers.missing", "shop.nothing_here", "json.dumps", "lime_type.LimeObject",
    "shop.orders.helpers.load_owner.attribute",
])
def test_names_that_cannot_be_found_are_unknown(project, qualified):
    assert ModuleIndex([project]).resolve(str(project / "shop/orders/jobs.py"), qualified) is None


def test_an_import_from_a_call_expression_uses_the_importers_own_imports(project):
    index = ModuleIndex([project])
    importer = project / "shop/orders/jobs.py"
    importer.write_text("import shop.orders.helpers as h\nh.load_owner(x, y)\n")
    call = ast.parse(importer.read_text()).body[1].value
    found = index.resolve_call(str(importer), call)
    assert found is not None
    path, info, _model = found
    assert path == str((project / "shop/orders/helpers.py").resolve())
    assert info.summary.reads == 1


def test_the_package_root_of_the_importer_is_searched_first(tmp_path):
    """The workspace opened one level above the package: `import pkg.mod` still resolves."""
    write(tmp_path, {"repo/app_pkg/__init__.py": "", "repo/app_pkg/util.py": "def f():\n    pass\n",
                     "repo/app_pkg/jobs.py": ""})
    index = ModuleIndex([tmp_path])
    found = index.resolve(str(tmp_path / "repo/app_pkg/jobs.py"), "app_pkg.util.f")
    assert found is not None and found.qualname == "f"


def test_installed_packages_are_read_from_the_environments_site_packages(tmp_path):
    env = tmp_path / "env"
    site = env / "lib/python3.11/site-packages"
    write(site, {"vendor_helpers/__init__.py": "from .reads import owner\n",
                 "vendor_helpers/reads.py": "def owner(o):\n    return o.properties.owner.fetch()\n",
                 "editable.pth": str(tmp_path / "src_elsewhere") + "\n"})
    write(tmp_path, {"src_elsewhere/other_pkg/__init__.py": "def g():\n    pass\n", "work/jobs.py": ""})
    index = ModuleIndex([tmp_path / "work"], environment_path=str(env))
    importer = str(tmp_path / "work/jobs.py")
    assert index.resolve(importer, "vendor_helpers.owner") == Target(
        "function", str((site / "vendor_helpers/reads.py").resolve()), "owner")
    assert index.resolve(importer, "other_pkg.g") is not None
    # without the environment they are unknown
    assert ModuleIndex([tmp_path / "work"]).resolve(importer, "vendor_helpers.owner") is None


def test_files_over_the_size_bound_are_not_read(project, monkeypatch):
    monkeypatch.setattr(modules_module, "MAX_FILE_BYTES", 10)
    assert ModuleIndex([project]).resolve(str(project / "shop/orders/jobs.py"),
                                          "shop.orders.helpers.load_owner") is None


def test_import_cycles_and_re_export_loops_end_as_unknown(tmp_path):
    write(tmp_path, {"loop_pkg/__init__.py": "from .a import f\n", "loop_pkg/a.py": "from . import f\n",
                     "loop_pkg/b.py": "from loop_pkg.c import helper\ndef run(item):\n    helper(item)\n",
                     "loop_pkg/c.py": "from loop_pkg.b import run\ndef helper(item):\n    run(item)\n"
                                      "    return item.properties.x.fetch()\n"})
    index = ModuleIndex([tmp_path])
    assert index.resolve(str(tmp_path / "loop_pkg/b.py"), "loop_pkg.f") is None
    model = index.model(str(tmp_path / "loop_pkg/b.py"))
    assert model is not None and model.functions["run"].summary.reads == 1


def test_a_helper_in_another_module_is_folded_into_the_callers_summary(project):
    jobs = project / "shop/orders/jobs.py"
    source = textwrap.dedent("""
        from shop import owner_of
        from . import helpers
        import shop.orders.helpers as h

        def per_item(items, uow):
            for item in items:
                owner_of(item, uow)
                helpers.load_owner(item, uow)
                h.load_owner(item, uow)
    """)
    jobs.write_text(source)
    model = build_model(ast.parse(source), path=str(jobs), modules=ModuleIndex([project]))
    info = model.functions["per_item"]
    callees = [model.callee(call) for call in info.calls]
    assert [c.qualname for c in callees] == ["load_owner"] * 3
    assert all(call.loop is not None and call.path.endswith("helpers.py") for call in info.calls)
    assert info.summary.reads == 3 and info.summary.reads_in_loop
    # Without the import table the same module knows nothing of them.
    assert build_model(ast.parse(source)).functions["per_item"].summary.reads == 0


def test_an_application_passed_to_another_modules_helper_reaches_its_reads(tmp_path):
    write(tmp_path, {"crm/__init__.py": "", "crm/lookups.py": """
        def find(rows, db):
            return [db.limetypes.company.get(r) for r in rows]
    """})
    jobs = tmp_path / "crm/jobs.py"
    source = "from crm.lookups import find\ndef job(app, rows):\n    return find(rows, app)\n"
    jobs.write_text(source)
    model = build_model(ast.parse(source), path=str(jobs), modules=ModuleIndex([tmp_path]))
    assert model.functions["job"].summary.reads == 1


def test_answers_do_not_depend_on_the_order_of_questions(tmp_path):
    write(tmp_path, {"two/__init__.py": "",
                     "two/a.py": "from two.b import g\ndef f(x):\n    g(x)\n    return x.properties.p.fetch()\n",
                     "two/b.py": "from two.a import f\ndef g(x):\n    f(x)\n    return x.properties.q.fetch()\n"})
    a, b = str(tmp_path / "two/a.py"), str(tmp_path / "two/b.py")
    first = ModuleIndex([tmp_path])
    forward = (first.model(a).functions["f"].summary, first.model(b).functions["g"].summary)
    second = ModuleIndex([tmp_path])
    g_first = second.model(b).functions["g"].summary
    assert forward == (second.model(a).functions["f"].summary, g_first)


def test_parameters_get_the_roles_callers_in_other_modules_pass(tmp_path):
    """`create_leads(leads, source)` in a helper module, called with the application
    from a task module: its reads are the application's."""
    write(tmp_path, {"crm/__init__.py": "", "crm/helpers.py": """
        def create_leads(leads, source, unit):
            for lead in leads:
                source.limetypes.company.get(lead)
                unit.add(lead)
        def unused(rows, thing):
            return [thing.get(r) for r in rows]
    """, "crm/tasks.py": """
        from lime_task import task
        from crm import helpers
        @task
        def import_leads(app, leads):
            uow = app.unit_of_work()
            helpers.create_leads(leads, app, uow)
            uow.commit()
    """, "other/unrelated.py": "def create_leads(a, b, c):\n    pass\n"})
    helpers = tmp_path / "crm/helpers.py"
    index = ModuleIndex([tmp_path])
    roles = index.incoming_roles(str(helpers))
    assert {p: r.kind for p, r in roles["create_leads"].items()} == {"source": "app", "unit": "uow"}
    assert "unused" not in roles
    model = build_model(ast.parse(helpers.read_text()), path=str(helpers), modules=index)
    info = model.functions["create_leads"]
    assert [(r.limetype, r.loop is not None) for r in info.reads] == [("company", True)]
    assert [c.kind for c in info.uow_calls] == ["add"]


def test_incoming_roles_parse_the_module_only_when_some_file_can_import_it(tmp_path, monkeypatch):
    """The result cache asks every unchanged module's callers again: a module no
    other file names is answered from the word search alone, without its tree;
    once a file imports it, the tree is read and the roles are found."""
    write(tmp_path, {"crm/__init__.py": "", "crm/helpers.py": """
        def create_leads(leads, source):
            for lead in leads:
                source.limetypes.company.get(lead)
    """, "crm/tasks.py": "def nothing_here(app):\n    return app\n"})
    helpers = str((tmp_path / "crm/helpers.py").resolve())
    parsed: list[str] = []
    original = ModuleIndex.tree

    def counting_tree(self, path):
        parsed.append(self._real(path))
        return original(self, path)

    monkeypatch.setattr(ModuleIndex, "tree", counting_tree)
    assert ModuleIndex([tmp_path]).incoming_roles(helpers) == {}
    assert helpers not in parsed
    write(tmp_path, {"crm/tasks.py": """
        from crm.helpers import create_leads
        def run(app, leads):
            create_leads(leads, app)
    """})
    roles = ModuleIndex([tmp_path]).incoming_roles(helpers)
    assert {p: r.kind for p, r in roles["create_leads"].items()} == {"source": "app"}
    assert helpers in parsed


def test_a_reading_helper_called_per_item_is_an_n_plus_one_under_every_import_form(tmp_path):
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.settings import Settings

    write(tmp_path, {"acme/__init__.py": "from .shared.history import log_step\n",
                     "acme/shared/__init__.py": "",
                     "acme/shared/history.py": """
        def log_step(step, parent):
            owner = step.properties.owner.fetch()
            stage = step.properties.stage.fetch()
            return owner, stage, parent
    """})
    source = textwrap.dedent("""
        import acme.shared.history as history
        from acme.shared.history import log_step
        from .shared import history as sibling
        from acme import log_step as exported

        def each(order):
            for step in order.properties.steps.fetch():
                history.log_step(step, order)
                log_step(step, order)
                sibling.log_step(step, order)
                exported(step, order)
    """)
    path = tmp_path / "acme/orders.py"
    path.write_text(source)
    found = check(SourceDocument(source, str(path)), Settings(), codes={"LIME203"}).violations
    lines = sorted(source[:v.start].count("\n") + 1 for v in found)
    assert lines == [9, 10, 11, 12]
    assert all("`log_step()` reads the database once per item" in v.message and "history.py" in v.message
               for v in found)


def test_scheduled_task_targets_resolve_to_their_definitions(tmp_path):
    write(tmp_path, {"shop/__init__.py": "", "shop/tasks/__init__.py": """
        from lime_task.schedule import ScheduledTask
        from . import jobs
        from .jobs import nightly as renamed
        def local_job(app):
            pass
        def register_scheduled_tasks():
            return [ScheduledTask(task=jobs.sync), ScheduledTask(task=renamed), ScheduledTask(task=local_job),
                    ScheduledTask(task=jobs.missing)]
    """, "shop/tasks/jobs.py": "def sync(app):\n    pass\ndef nightly(app):\n    pass\n"})
    init = tmp_path / "shop/tasks/__init__.py"
    tree = ast.parse(init.read_text())
    index = ModuleIndex([tmp_path])
    targets = [index.definition(str(init), node.keywords[0].value, tree=tree)
               for node in ast.walk(tree) if isinstance(node, ast.Call) and node.keywords]
    jobs = str((tmp_path / "shop/tasks/jobs.py").resolve())
    assert targets == [Target("function", jobs, "sync"), Target("function", jobs, "nightly"),
                       Target("function", str(init.resolve()), "local_job"), None]
