"""The CLI's result cache (``cache.py``): a hit gives exactly what a fresh check
gives, anything the result depends on invalidates it, and a broken cache is a
warning, never a wrong result or a failed run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lime_task_lint import cache as cache_module
from lime_task_lint.cache import CACHE_FOLDER, ResultCache
from lime_task_lint.checker import check
from lime_task_lint.cli import main
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings
from lime_task_lint.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]

HELPER = "def save(app, deal):\n    uow = app.unit_of_work()\n    uow.add(deal)\n    uow.commit()\n"
TASKS = ("from lime_task import task\n\nfrom .helpers import save\n\n\n@task\ndef refresh(app, ids):\n"
         "    for deal_id in ids:\n        save(app, app.limetypes.deal.get(deal_id))\n"
         "    return len(list(app.limetypes.deal.get_all()))\n")


def _signature(violations) -> list:
    return [(v.code, v.start, v.end, v.message, v.fix.to_dict() if v.fix else None,
             getattr(v.severity, "value", v.severity), json.dumps(v.data, sort_keys=True, default=str))
            for v in violations]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "helpers.py").write_text(HELPER, encoding="utf-8")
    (package / "tasks.py").write_text(TASKS, encoding="utf-8")
    return tmp_path


def _violations(cache: ResultCache, project: Path, name: str, settings=None, workspace=None):
    path = project / "pkg" / name
    document = SourceDocument(path.read_text(encoding="utf-8"), str(path))
    workspace = workspace or Workspace(project, time_budget=30)
    return cache.violations(document, settings or Settings(), root=project, workspace=workspace)


def test_a_hit_gives_what_a_fresh_check_gives_and_runs_no_rule(project, monkeypatch):
    fresh = _violations(ResultCache(disabled=True), project, "tasks.py")
    assert fresh
    cold = ResultCache()
    assert _signature(_violations(cold, project, "tasks.py")) == _signature(fresh)
    assert (cold.hits, cold.misses) == (0, 1)
    assert (project / CACHE_FOLDER / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"

    def no_check(*args, **kwargs):
        raise AssertionError("a cache hit must not run the rules")

    monkeypatch.setattr("lime_task_lint.checker.check", no_check)
    warm = ResultCache()
    assert _signature(_violations(warm, project, "tasks.py")) == _signature(fresh)
    assert (warm.hits, warm.misses) == (1, 0)


def test_own_text_settings_and_consulted_files_invalidate(project):
    cache = ResultCache()
    _violations(cache, project, "tasks.py")
    _violations(cache, project, "helpers.py")
    assert _violations(cache, project, "tasks.py") is not None and cache.hits == 1

    cache = ResultCache()
    _violations(cache, project, "tasks.py", settings=Settings(select=("LIME1",)))
    assert cache.misses == 1  # other settings

    tasks = project / "pkg" / "tasks.py"
    tasks.write_text(TASKS + "\n", encoding="utf-8")
    cache = ResultCache()
    _violations(cache, project, "tasks.py")
    assert cache.misses == 1  # its own text

    # The task's findings depend on its helper in another file (the commit in the loop).
    (project / "pkg" / "helpers.py").write_text(HELPER.replace("    uow.commit()\n", ""), encoding="utf-8")
    cache = ResultCache()
    after = _violations(cache, project, "tasks.py")
    assert cache.misses == 1
    assert _signature(after) == _signature(_violations(ResultCache(disabled=True), project, "tasks.py"))


def test_a_damaged_cache_is_a_warning_and_a_normal_result(project):
    fresh = _signature(_violations(ResultCache(disabled=True), project, "tasks.py"))
    _violations(ResultCache(), project, "tasks.py")
    for entry in (project / CACHE_FOLDER).rglob("*.json"):
        entry.write_text('{"format": 1, "key": ', encoding="utf-8")
    warnings: list[str] = []
    cache = ResultCache(warn=warnings.append)
    assert _signature(_violations(cache, project, "tasks.py")) == fresh
    assert len(warnings) == 1 and "damaged" in warnings[0]
    # The damaged entry was replaced by a good one.
    cache = ResultCache(warn=warnings.append)
    assert _signature(_violations(cache, project, "tasks.py")) == fresh and cache.hits == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_cache_is_a_warning_and_a_normal_result(project):
    folder = project / CACHE_FOLDER
    folder.mkdir()
    folder.chmod(0o500)
    try:
        warnings: list[str] = []
        cache = ResultCache(warn=warnings.append)
        fresh = _signature(_violations(ResultCache(disabled=True), project, "tasks.py"))
        assert _signature(_violations(cache, project, "tasks.py")) == fresh
        assert len(warnings) == 1 and "cannot" in warnings[0]
    finally:
        folder.chmod(0o700)


def test_an_unwritable_cache_location_is_a_warning_and_a_normal_result(project, monkeypatch):
    # A file where the cache folder should be: nothing can be written below it.
    blocker = project / "blocker"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("LIME_TASK_LINT_CACHE_DIR", str(blocker / "cache"))
    warnings: list[str] = []
    cache = ResultCache(warn=warnings.append)
    fresh = _signature(_violations(ResultCache(disabled=True), project, "tasks.py"))
    assert _signature(_violations(cache, project, "tasks.py")) == fresh
    assert len(warnings) == 1 and "cannot" in warnings[0]


def test_a_hit_imports_no_rule_module(project):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lime_task_lint.cache import ResultCache\n"
        "from lime_task_lint.document import SourceDocument\n"
        "from lime_task_lint.settings import Settings\n"
        "from lime_task_lint.workspace import Workspace\n"
        "root = Path(sys.argv[1]); path = root / 'pkg' / 'tasks.py'\n"
        "cache = ResultCache()\n"
        "found = cache.violations(SourceDocument(path.read_text(), str(path)), Settings(), root=root,\n"
        "                         workspace=Workspace(root, time_budget=30))\n"
        "rules = sorted(m for m in sys.modules if m.startswith('lime_task_lint.rules.'))\n"
        "print(cache.hits, len(found), len(rules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    cold = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, env=env,
                          timeout=120, check=True).stdout.split()
    warm = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, env=env,
                          timeout=120, check=True).stdout.split()
    assert cold[0] == "0" and int(cold[2]) > 0
    assert warm[0] == "1" and warm[1] == cold[1] and warm[2] == "0"


def _copy_inputs(tmp_path: Path) -> Path:
    target = tmp_path / "inputs"
    shutil.copytree(ROOT / "examples", target / "examples", ignore=shutil.ignore_patterns(CACHE_FOLDER))
    shutil.copytree(ROOT / "tests" / "fixtures" / "rules", target / "fixtures",
                    ignore=shutil.ignore_patterns("*.fixed"))
    return target


@pytest.mark.parametrize("output", ["json", "text"])
def test_cli_output_is_the_same_with_and_without_the_cache(tmp_path, monkeypatch, capsys, output):
    target = _copy_inputs(tmp_path)
    monkeypatch.chdir(target)

    def run(*flags: str) -> tuple[int, str]:
        code = main(["check", "--format", output, "examples", "fixtures", *flags])
        return code, capsys.readouterr().out

    uncached = run("--no-cache")
    assert not any(target.rglob(CACHE_FOLDER))
    cold = run()
    assert any(target.rglob(CACHE_FOLDER))
    warm = run()
    assert uncached == cold == warm
    assert uncached[1].strip()


def test_tool_key_follows_the_package_sources(monkeypatch):
    first = cache_module.tool_key()
    monkeypatch.setattr(cache_module, "_TOOL_KEY", None)
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    assert cache_module.tool_key() != first


def test_cache_dir_setting_moves_the_cache_and_a_bad_value_is_reported(tmp_path, monkeypatch, capsys):
    from lime_task_lint.cli import main

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.lime-task-lint]\ncache-dir = "build/lint-cache"\n')
    (project / "task.py").write_text("def f(app):\n    return len(list(app.limetypes.company.get_all()))\n")
    monkeypatch.chdir(project)
    monkeypatch.delenv("LIME_TASK_LINT_CACHE_DIR", raising=False)
    assert main(["check", "task.py"]) == 1
    assert (project / "build" / "lint-cache").is_dir()
    assert not (project / ".lime-task-lint-cache").exists()
    (project / "pyproject.toml").write_text("[tool.lime-task-lint]\ncache-dir = 3\n")
    assert main(["check", "task.py"]) == 2
    assert "cache-dir" in capsys.readouterr().err
