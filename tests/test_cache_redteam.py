"""Red-team tests for the result cache's dependencies (commit d88ae23, issue 18).

Every test builds a small project (a ``pyproject.toml`` with
``[tool.lime-task-lint]``), runs ``check --format json .`` once (the cache is
filled), changes the workspace, then runs the cached check FIRST (so the cache is
consulted before anything rewrites it) and an uncached one, and requires the
same output.  Seven of these inputs found a cached run that reported what a
fresh run no longer reports (a task scheduled only jedi can follow, a
retargeted symbolic link, relation evidence added elsewhere, a re-export chain
first resolved while answering another question, helpers in the project's
.venv or above a root that is a package); they hold since the commit after.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from lime_task_lint.cli import main

HELP_COMMIT = (
    "def save(app, deal):\n"
    "    uow = app.unit_of_work()\n"
    "    uow.add(deal)\n"
    "    uow.commit()\n"
)
HELP_NO_COMMIT = (
    "def save(app, deal):\n"
    "    uow = app.unit_of_work()\n"
    "    uow.add(deal)\n"
    "    return uow\n"
)


def _deals(source: str = ".helpers") -> str:
    """A task that calls ``save`` once per item: LIME201 when ``save`` commits."""
    return (f"from lime_task import task\n\nfrom {source} import save\n\n\n"
            "@task\ndef refresh(app, ids):\n"
            "    for deal_id in ids:\n        save(app, app.limetypes.deal.get(deal_id))\n")


REPORT = (
    "from lime_task import task\n\n\n"
    "def nightly(app):\n"
    "    rows = list(app.limetypes.deal.get_all())\n"
    "    return len(rows)\n"
)


class Project:
    def __init__(self, root: Path, capsys, monkeypatch) -> None:
        self.root = root
        self._capsys = capsys
        monkeypatch.chdir(root)
        (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")

    def write(self, files: dict[str, "str | bytes | None"]) -> None:
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")

    def run(self, *flags: str) -> str:
        self._capsys.readouterr()
        main(["check", "--format", "json", "--exit-zero", ".", *flags])
        return self._capsys.readouterr().out

    def codes(self, out: str) -> list[tuple[str, str, int]]:
        return sorted((f["code"], Path(f["filename"]).name, f["location"]["row"]) for f in json.loads(out))

    def cached_and_fresh(self) -> tuple[str, str]:
        cached = self.run()
        return cached, self.run("--no-cache")


@pytest.fixture
def project(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "1")
    return Project(tmp_path, capsys, monkeypatch)


def _assert_same(project: Project, change) -> tuple[str, str]:
    project.run()  # fill the cache
    change()
    cached, fresh = project.cached_and_fresh()
    assert project.codes(cached) == project.codes(fresh)
    assert cached == fresh
    return cached, fresh


# -- regressions that hold ---------------------------------------------------------------

def test_helper_losing_its_commit_reaches_the_caller(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": HELP_COMMIT, "pkg/deals.py": _deals()})
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/helpers.py": HELP_NO_COMMIT}))
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)


def test_helper_gaining_a_commit_reaches_the_caller(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": HELP_NO_COMMIT, "pkg/deals.py": _deals()})
    _, fresh = _assert_same(project, lambda: project.write({"pkg/helpers.py": HELP_COMMIT}))
    assert ("LIME201", "deals.py", 9) in project.codes(fresh)


def test_reexport_through_init_switched_to_another_module(project):
    project.write({"pkg/__init__.py": "from .helpers import save\n", "pkg/helpers.py": HELP_COMMIT,
                   "pkg/helpers2.py": HELP_NO_COMMIT, "pkg/deals.py": _deals("pkg")})
    _, fresh = _assert_same(project, lambda: project.write({"pkg/__init__.py": "from .helpers2 import save\n"}))
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)


def test_reexport_chain_switched_without_a_whole_workspace_question(project):
    project.write({"pkg/__init__.py": "", "pkg/api.py": "from .mid import save\n",
                   "pkg/mid.py": "from .helpers import save\n", "pkg/helpers.py": HELP_COMMIT,
                   "pkg/helpers2.py": HELP_NO_COMMIT, "pkg/deals.py": _deals(".api")})
    _assert_same(project, lambda: project.write({"pkg/mid.py": "from .helpers2 import save\n"}))


def test_import_module_as_alias_and_parent_relative_import(project):
    caller = ("from lime_task import task\n\nfrom ..lib import helpers as h\n\n\n"
              "@task\ndef refresh(app, ids):\n"
              "    for deal_id in ids:\n        h.save(app, app.limetypes.deal.get(deal_id))\n")
    project.write({"top/__init__.py": "", "top/lib/__init__.py": "", "top/lib/helpers.py": HELP_COMMIT,
                   "top/tasks/__init__.py": "", "top/tasks/deals.py": caller})
    _assert_same(project, lambda: project.write({"top/lib/helpers.py": HELP_NO_COMMIT}))


def test_src_layout_absolute_import(project):
    project.write({"src/pkg/__init__.py": "", "src/pkg/helpers.py": HELP_COMMIT,
                   "src/pkg/deals.py": _deals("pkg.helpers")})
    _assert_same(project, lambda: project.write({"src/pkg/helpers.py": HELP_NO_COMMIT}))


def test_helper_that_stops_parsing(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": HELP_COMMIT, "pkg/deals.py": _deals()})
    _assert_same(project, lambda: project.write({"pkg/helpers.py": HELP_COMMIT + "def broken(:\n"}))


def test_helper_removed_and_added_back_elsewhere(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": HELP_COMMIT, "pkg/deals.py": _deals()})
    _assert_same(project, lambda: project.write({"pkg/helpers.py": None}))
    _assert_same(project, lambda: project.write({"pkg/helpers/__init__.py": HELP_COMMIT}))


def test_same_stem_in_two_packages(project):
    project.write({"a/__init__.py": "", "a/helpers.py": HELP_COMMIT, "a/deals.py": _deals(),
                   "b/__init__.py": "", "b/helpers.py": HELP_NO_COMMIT, "b/deals.py": _deals()})
    _assert_same(project, lambda: project.write({"b/helpers.py": HELP_COMMIT, "a/helpers.py": HELP_NO_COMMIT}))


ROLE_HELPERS = ("def load_all(lt):\n    return list(lt.get_all())\n\n\n"
                "def save_each(w, objs):\n    for o in objs:\n        w.add(o)\n        w.commit()\n")
ROLE_CALLER = ("from lime_task import task\n\nfrom .helpers import load_all, save_each\n\n\n"
               "@task\ndef t(app):\n    uow = app.unit_of_work()\n    save_each(uow, [])\n"
               "    return load_all(app.limetypes.deal)\n")
ROLE_CALLER_NONE = ROLE_CALLER.replace("load_all(app.limetypes.deal)", "load_all([])") \
    .replace("save_each(uow, [])", "save_each(None, [])")


def test_helper_installed_later_in_the_projects_venv(project):
    # Not found when the cache was filled; the listing covers the root's files only,
    # so the site-packages files looked for are noted as missing.
    site = project.root / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("extlib")})
    assert ("LIME201", "deals.py", 9) not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({".venv/lib/python3.11/site-packages/extlib.py": HELP_COMMIT}))
    assert ("LIME201", "deals.py", 9) in project.codes(fresh)


def test_incoming_roles_removed_by_the_caller(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": ROLE_HELPERS, "pkg/caller.py": ROLE_CALLER})
    assert ("LIME201", "helpers.py", 8) in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/caller.py": ROLE_CALLER_NONE}))
    assert ("LIME201", "helpers.py", 8) not in project.codes(fresh)


def test_incoming_roles_added_by_a_new_caller_file(project):
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": ROLE_HELPERS, "pkg/caller.py": ROLE_CALLER_NONE})
    _, fresh = _assert_same(project, lambda: project.write({"pkg/caller2.py": ROLE_CALLER}))
    assert ("LIME201", "helpers.py", 8) in project.codes(fresh)


def test_incoming_roles_added_by_an_existing_file_that_starts_importing(project):
    # helpers.py had no importer, so its callers' roles were answered without its tree;
    # the touched caller.py now names it: the cached helpers.py entry must not be reused.
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": ROLE_HELPERS, "pkg/caller.py": REPORT})
    assert ("LIME201", "helpers.py", 8) not in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write({"pkg/caller.py": ROLE_CALLER}))
    assert ("LIME201", "helpers.py", 8) in project.codes(fresh)


def test_incoming_roles_caller_record_of_an_unchanged_caller_whose_reexport_moved(project):
    # The answer keeps, per caller, the calls it makes and the files they were resolved
    # through. caller.py does not change, and still names the package, but pkg.save_each
    # now comes from helpers2: the record read pkg/__init__.py, so it is not taken.
    caller = ("from lime_task import task\n\nimport pkg\n\n\n@task\ndef t(app):\n"
              "    uow = app.unit_of_work()\n    pkg.save_each(uow, [])\n")
    project.write({"pkg/__init__.py": "from .helpers import load_all, save_each\n",
                   "pkg/helpers.py": ROLE_HELPERS, "pkg/helpers2.py": ROLE_HELPERS,
                   "other/__init__.py": "", "other/caller.py": caller})
    assert ("LIME201", "helpers.py", 8) in project.codes(project.run())
    _, fresh = _assert_same(project, lambda: project.write(
        {"pkg/__init__.py": "from .helpers import load_all\nfrom .helpers2 import save_each\n"}))
    assert ("LIME201", "helpers.py", 8) not in project.codes(fresh)
    assert ("LIME201", "helpers2.py", 8) in project.codes(fresh)


def test_incoming_roles_through_a_package_reexport(project):
    caller = ("from lime_task import task\n\nimport pkg\n\n\n@task\ndef t(app):\n"
              "    uow = app.unit_of_work()\n    pkg.save_each(uow, [])\n")
    project.write({"pkg/__init__.py": "", "pkg/helpers.py": ROLE_HELPERS, "other/__init__.py": "",
                   "other/caller.py": caller})
    _assert_same(project, lambda: project.write({"pkg/__init__.py": "from .helpers import save_each\n"}))


def test_directly_scheduled_task_added_elsewhere(project):
    project.write({"pkg/__init__.py": "", "pkg/report.py": REPORT,
                   "pkg/jobs.py": "from lime_task import ScheduledTask\n\nfrom . import report\n\nJOBS = []\n"})
    _, fresh = _assert_same(project, lambda: project.write({"pkg/jobs.py": (
        "from lime_task import ScheduledTask\n\nfrom . import report\n\n"
        "JOBS = [ScheduledTask(task=report.nightly, schedule='0 3 * * *')]\n")}))
    assert ("LIME401", "report.py", 4) in project.codes(fresh)


def test_register_scheduled_tasks_hub_removed(project):
    hub = ("from lime_task import ScheduledTask\n\nfrom .report import nightly\n\n\n"
           "def register_scheduled_tasks():\n"
           "    return [ScheduledTask(task=nightly, schedule='0 3 * * *')]\n")
    project.write({"pkg/__init__.py": "", "pkg/report.py": REPORT, "pkg/hub.py": hub})
    _assert_same(project, lambda: project.write({"pkg/hub.py": "def register_scheduled_tasks():\n    return []\n"}))


def test_parallel_run_follows_a_helper_change(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LIME_TASK_LINT_JOBS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    from lime_task_lint import parallel

    pools = []
    real = parallel.check_in_processes
    monkeypatch.setattr(parallel, "check_in_processes", lambda *a: pools.append(len(a[0])) or real(*a))
    project = Project(tmp_path, capsys, monkeypatch)
    files = {"pkg/__init__.py": "", "pkg/helpers.py": HELP_COMMIT}
    files.update({f"pkg/deals{n}.py": _deals() for n in range(9)})
    project.write(files)
    _assert_same(project, lambda: project.write({"pkg/helpers.py": HELP_NO_COMMIT}))
    assert pools and pools[0] == 11 and pools[1] >= 9  # the workers checked them


NAMES = (
    "def active_names(app) -> list[str]:\n"
    "    names = []\n"
    "    for person in app.limetypes.person.get_all():\n"
    "        if person.properties.active.value:\n"
    "            names.append(person.properties.name.value)\n"
    "    return names\n\n\n"
    "def count(app):\n"
    "    return len(active_names(app))\n"
)
NAMES_USER = "from .names import active_names\n\n\ndef show(app):\n    print(active_names(app)[0])\n"


def test_list_builder_gains_a_caller_in_another_file(project):
    # 'mentioned elsewhere' turns from False (callers read from the own tree) to True (jedi).
    project.write({"pkg/__init__.py": "", "pkg/names.py": NAMES, "pkg/other.py": "X = 1\n"})
    _assert_same(project, lambda: project.write({"pkg/other.py": NAMES_USER}))
    _assert_same(project, lambda: project.write({"pkg/other.py": NAMES_USER + (
        "\n\ndef loop(app):\n    for n in active_names(app):\n        print(n)\n")}))
    _assert_same(project, lambda: project.write({"pkg/other.py": "X = 1\n"}))


# -- bugs found (strict xfails) ----------------------------------------------------------

def test_task_scheduled_through_an_alias_only_jedi_resolves(project):
    project.write({"pkg/__init__.py": "", "pkg/report.py": REPORT,
                   "pkg/jobs.py": "from lime_task import ScheduledTask\n\nfrom . import report\n\nJOBS = []\n"})
    project.run()
    project.write({"pkg/jobs.py": ("from lime_task import ScheduledTask\n\nfrom . import report\n\n"
                                   "m = report\nJOBS = [ScheduledTask(task=m.nightly, schedule='0 3 * * *')]\n")})
    cached, fresh = project.cached_and_fresh()
    assert ("LIME401", "report.py", 4) in project.codes(fresh)  # a fresh run: nightly is a task
    assert project.codes(cached) == project.codes(fresh)


def test_symlinked_helper_retargeted(project):
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals(),
                   "impl/a.py": HELP_COMMIT, "impl/b.py": HELP_NO_COMMIT})
    link = project.root / "pkg" / "helpers.py"
    os.symlink("../impl/a.py", link)
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    link.unlink()
    os.symlink("../impl/b.py", link)
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)


TASK_FETCHING_OWNER = '''from lime_task import task


@task
def owner_names(app):
    names = []
    for deal in app.limetypes.deal.get_all():
        owner = deal.properties.owner.fetch()
        names.append(owner.properties.name.value if owner else None)
    return names
'''


def test_relation_evidence_added_in_another_module(project):
    project.write({"pkg/__init__.py": "", "pkg/tasks.py": TASK_FETCHING_OWNER,
                   "pkg/history.py": "def previous(app, deal):\n    return None\n"})
    project.run()
    project.write({"pkg/history.py": (
        "def previous(app, deal):\n"
        "    return app.limetypes.coworker.get(deal.properties.owner.original_value)\n")})
    cached, fresh = project.cached_and_fresh()

    def titles(out: str) -> list[str]:
        return [f["fix"]["message"] for f in json.loads(out) if f["code"] == "LIME203" and f["fix"]]

    assert any("`coworker` as used at history.py:2" in t for t in titles(fresh))
    assert titles(cached) == titles(fresh)


CHAIN = {"pkg/__init__.py": "", "pkg/api.py": "from .mid import save\n", "pkg/mid.py": "from .helpers import save\n",
         "pkg/helpers.py": HELP_COMMIT, "pkg/helpers2.py": HELP_NO_COMMIT, "pkg/deals.py": _deals(".api")}


def test_reexport_chain_resolved_first_by_the_scheduled_scan(project):
    project.write({**CHAIN, "pkg/a_jobs.py": ("from lime_task import ScheduledTask\n\nfrom .api import save\n\n"
                                             "JOBS = [ScheduledTask(task=save, schedule='0 3 * * *')]\n")})
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    project.write({"pkg/mid.py": "from .helpers2 import save\n"})
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)


def test_reexport_chain_resolved_first_by_an_incoming_roles_question(project):
    deals = _deals(".api").replace("from .api import save\n", "from .a_first import f\nfrom .api import save\n") \
        + "    return f(app)\n"
    project.write({**CHAIN, "pkg/deals.py": deals, "pkg/a_first.py": "def f(x):\n    return x\n"})
    assert ("LIME201", "deals.py", 10) in project.codes(project.run())
    project.write({"pkg/mid.py": "from .helpers2 import save\n"})
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 10) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)


def test_helper_in_the_project_venv_site_packages_edited(project):
    site = ".venv/lib/python3.10/site-packages/"
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals("extlib.helpers"),
                   site + "extlib/__init__.py": "", site + "extlib/helpers.py": HELP_COMMIT})
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    project.write({site + "extlib/helpers.py": HELP_NO_COMMIT})
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)


def test_helper_above_a_root_that_is_a_package_edited(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "1")
    (tmp_path / "proj").mkdir()
    project = Project(tmp_path / "proj", capsys, monkeypatch)
    project.write({"__init__.py": "", "deals.py": _deals("shared.helpers")})
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("", encoding="utf-8")
    helpers = tmp_path / "shared" / "helpers.py"
    helpers.write_text(HELP_COMMIT, encoding="utf-8")
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    helpers.write_text(HELP_NO_COMMIT, encoding="utf-8")
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)


def test_symlinked_folder_retargeted(project):
    """A package folder that is a symbolic link, pointed elsewhere: the module
    search found the helper through the link, so the link's target is part of
    the answer."""
    project.write({"pkg/__init__.py": "", "pkg/deals.py": _deals(".lib.helpers"),
                   "impl_a/__init__.py": "", "impl_a/helpers.py": HELP_COMMIT,
                   "impl_b/__init__.py": "", "impl_b/helpers.py": HELP_NO_COMMIT})
    link = project.root / "pkg" / "lib"
    os.symlink("../impl_a", link)
    assert ("LIME201", "deals.py", 9) in project.codes(project.run())
    link.unlink()
    os.symlink("../impl_b", link)
    cached, fresh = project.cached_and_fresh()
    assert ("LIME201", "deals.py", 9) not in project.codes(fresh)
    assert project.codes(cached) == project.codes(fresh)
