"""The result cache re-checks exactly the files whose analysis depends on what
changed (``dependencies.py``): touching one task module re-checks that module
and the modules that read it, never the whole package, and a reused result is
always the one a fresh check gives.

Every scenario runs the package once (the cache is filled, one workspace for the
run as in the CLI, so summaries built for one file are reused by the next), makes
one change, runs again with the cache, and compares each file's findings with a
check without the cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lime_task_lint.cache import ResultCache
from lime_task_lint.cli import main
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings
from lime_task_lint.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]

FILES = {
    "__init__.py": "",
    "helpers.py": (
        "def save(app, deal):\n"
        "    uow = app.unit_of_work()\n"
        "    uow.add(deal)\n"
        "    uow.commit()\n"
        "\n\n"
        "def find_person(app, email):\n"
        "    for person in app.limetypes.person.get_all():\n"
        "        if person.properties.email.value == email:\n"
        "            return person\n"
        "    return None\n"
    ),
    # Two modules use the helpers: the second one's analysis reuses the helper
    # summaries built for the first (and must depend on helpers.py all the same).
    "deals.py": (
        "from lime_task import task\n\nfrom .helpers import save\n\n\n"
        "@task\ndef refresh(app, ids):\n"
        "    for deal_id in ids:\n        save(app, app.limetypes.deal.get(deal_id))\n"
    ),
    "signups.py": (
        "from lime_task import task\n\nfrom .helpers import find_person, save\n\n\n"
        "@task\ndef match(app, rows):\n"
        "    found = 0\n"
        "    for row in rows:\n"
        "        if find_person(app, row['email']) is not None:\n"
        "            found += 1\n"
        "    for deal_id in rows:\n        save(app, app.limetypes.deal.get(deal_id))\n"
        "    return found\n"
    ),
    "report.py": (
        "from lime_task import task\n\n\n"
        "def nightly(app):\n"
        "    rows = list(app.limetypes.deal.get_all())\n"
        "    return len(rows)\n"
        "\n\n@task\ndef weekly(app):\n"
        "    return [d.id for d in app.limetypes.deal.get_all()]\n"
    ),
    "util.py": "def chunks(items, size):\n    return [items[i:i + size] for i in range(0, len(items), size)]\n",
}
ORDER = ["__init__.py", "deals.py", "helpers.py", "report.py", "signups.py", "util.py"]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def _signature(violations) -> list:
    return [(v.code, v.start, v.end, v.message, v.fix.to_dict() if v.fix else None,
             json.dumps(v.data, sort_keys=True, default=str)) for v in violations]


def check_package(project: Path, cache: ResultCache) -> dict[str, list]:
    """One run over the package, in path order, with one workspace (as the CLI)."""
    workspace = Workspace(project, time_budget=None)
    try:
        out = {}
        for path in sorted((project / "pkg").glob("*.py")):
            document = SourceDocument(path.read_text(encoding="utf-8"), str(path))
            out[path.name] = _signature(cache.violations(document, Settings(), root=project, workspace=workspace))
        return out
    finally:
        workspace.close()


def rechecked_after(project: Path, change) -> set[str]:
    """Fill the cache, apply ``change``, run again: the files checked again (each
    run's results are compared with an uncached run)."""
    first = ResultCache()
    assert check_package(project, first) == check_package(project, ResultCache(disabled=True))
    change(project / "pkg")
    checked: list[str] = []
    second = ResultCache()
    original = second.violations

    def spy(document, *args, **kwargs):
        misses = second.misses
        found = original(document, *args, **kwargs)
        if second.misses > misses:
            checked.append(Path(document.path).name)
        return found

    second.violations = spy  # type: ignore[method-assign]
    assert check_package(project, second) == check_package(project, ResultCache(disabled=True))
    return set(checked)


def _edit(name: str, old: str, new: str):
    def change(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    return change


def test_nothing_changed_nothing_is_checked_again(package):
    assert rechecked_after(package, lambda folder: None) == set()


def test_touching_a_module_nobody_reads_checks_only_that_module(package):
    # (A module is "read" by another whose text has its name as a word: report.py
    # must not say "deals", or deals.py's callers would be searched in it.)
    assert rechecked_after(package, _edit("report.py", "return len(rows)", "return len(rows) + 0")) == {"report.py"}
    assert rechecked_after(package, _edit("util.py", "size)", "size or 1)")) == {"util.py"}


def test_a_helper_change_checks_every_module_that_used_it(package):
    # The commit leaves the helper: deals.py and signups.py lose their per-item commit finding.
    checked = rechecked_after(package, _edit("helpers.py", "    uow.commit()\n", ""))
    assert {"helpers.py", "deals.py", "signups.py"} <= checked
    assert "report.py" not in checked and "util.py" not in checked


def test_a_new_caller_elsewhere_checks_the_callee_module(package):
    # util.py starts to import and call report.nightly: report.py's callers changed.
    checked = rechecked_after(package, _edit(
        "util.py", "def chunks", "from .report import nightly\n\n\ndef total(app):\n"
        "    return nightly(app)\n\n\ndef chunks"))
    assert {"util.py", "report.py"} <= checked
    assert "deals.py" not in checked


def test_a_scheduled_task_elsewhere_checks_the_scheduled_module(package):
    checked = rechecked_after(package, _edit(
        "util.py", "def chunks", "from lime_task import ScheduledTask\n\nfrom . import report\n\n"
        "JOBS = [ScheduledTask(task=report.nightly, schedule='0 3 * * *')]\n\n\ndef chunks"))
    assert {"util.py", "report.py"} <= checked


def test_a_new_or_removed_file_checks_everything_again(package):
    assert rechecked_after(package, lambda folder: (folder / "extra.py").write_text("X = 1\n")) >= set(ORDER)
    assert rechecked_after(package, lambda folder: (folder / "util.py").unlink()) >= set(ORDER) - {"util.py"}


def test_cached_cli_output_follows_every_change_to_the_example_workspace(tmp_path, monkeypatch, capsys):
    """Change each example module in turn (its commits removed, a caller of its
    first function added elsewhere) and compare the cached run with an uncached one."""
    target = tmp_path / "ws"
    shutil.copytree(ROOT / "examples", target, ignore=shutil.ignore_patterns("__pycache__", ".lime-task-lint-cache"))
    monkeypatch.chdir(target)

    def run(*flags: str) -> str:
        main(["check", "--format", "json", "--exit-zero", ".", *flags])
        return capsys.readouterr().out

    run()  # fill the cache
    modules = sorted(p for p in target.rglob("*.py") if p.name != "__init__.py")
    for number, module in enumerate(modules):
        text = module.read_text(encoding="utf-8")
        module.write_text(text.replace("uow.commit()", "pass  # no commit"), encoding="utf-8")
        assert run() == run("--no-cache"), module.name
        other = modules[(number + 1) % len(modules)]
        import ast

        functions = [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
        if functions:
            relative = module.relative_to(target).with_suffix("")
            dotted = ".".join(relative.parts)
            other.write_text(other.read_text(encoding="utf-8") +
                             f"\n\ndef _uses_{number}(app):\n    from {dotted} import {functions[0]}\n"
                             f"    return {functions[0]}(app)\n", encoding="utf-8")
            assert run() == run("--no-cache"), (module.name, other.name)


def test_validating_the_hits_and_checking_the_misses_share_one_workspace(package, monkeypatch, capsys):
    """The CLI validates the cached entries with the workspace its loop then checks
    the touched file with: what validation read (texts, word sets, trees) is read
    once, and the output is still that of a run without the cache."""
    import lime_task_lint.cli as cli
    import lime_task_lint.workspace as workspace_module

    monkeypatch.chdir(package)
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "1")
    made: list[Path] = []

    class CountedWorkspace(Workspace):
        def __init__(self, root, **kwargs):
            made.append(Path(root))
            super().__init__(root, **kwargs)

    def run(*flags: str) -> str:
        capsys.readouterr()
        main(["check", "--format", "json", "--exit-zero", ".", *flags])
        return capsys.readouterr().out

    run()  # fill the cache
    _edit("util.py", "size)", "size or 1)")(package / "pkg")
    for module in (cli, workspace_module):  # wherever a run makes one
        monkeypatch.setattr(module, "Workspace", CountedWorkspace)
    cached = run()
    assert len(made) == 1
    assert cached == run("--no-cache")


def test_revalidating_callers_roles_reads_only_the_callers_that_changed(package, monkeypatch):
    """helpers.py's entry holds what "which roles do callers pass" found, with a
    record per caller (its calls, the digests of the files they were read from).
    A comment added to deals.py changes none of its calls: validation reads
    deals.py again (its record's digest changed) but takes signups.py's record,
    and helpers.py's findings are reused (signups.py's own entry asked the question
    too, for its helper fix: see below)."""
    from lime_task_lint.modules import ModuleIndex

    first = ResultCache()
    assert check_package(package, first) == check_package(package, ResultCache(disabled=True))
    _edit("deals.py", "def refresh", "# touched\ndef refresh")(package / "pkg")
    read: list[str] = []
    original = ModuleIndex._outgoing

    def spy(self, path):
        read.append(Path(path).name)
        return original(self, path)

    monkeypatch.setattr(ModuleIndex, "_outgoing", spy)
    second = ResultCache()
    cached = check_package(package, second)
    # helpers.py's entry reads deals.py alone; signups.py's entry (its LIME201 fix asked
    # which roles helpers.py's callers pass, signups.py itself among them) may read its
    # own calls again.  No other module is read, and only deals.py is checked again.
    assert read[0] == "deals.py" and set(read) <= {"deals.py", "signups.py"}, read
    assert second.misses == 1  # deals.py only: helpers.py's answer is the same
    assert cached == check_package(package, ResultCache(disabled=True))
