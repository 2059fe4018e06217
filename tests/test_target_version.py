"""The lowest Python a project must run on, read from its requirement the way
packaging reads it, decides what the batching fixes write: ``itertools.batched``
only when every allowed Python has it (3.12+), ``itertools.islice`` otherwise --
whatever interpreter runs the linter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lime_task_lint.fixer import fix_text
from lime_task_lint.settings import SettingsError, python_floor, resolve_settings

# One commit per imported order: LIME201/LIME204's unsafe fix batches the loop.
ORDERS_TASK = '''"""Order import."""
from lime_task import task


@task
def import_orders(app, orders: list) -> int:
    """Import orders.

    Args:
        app: The Lime application.
        orders (list): The orders.

    Returns:
        int: How many were imported.
    """
    done = 0
    for order in orders:
        uow = app.unit_of_work()
        uow.add(app.limetypes.order(number=order["number"]))
        uow.commit()
        done += 1
    return done
'''


@pytest.mark.parametrize(("requirement", "floor"), [
    (">=3.9", (3, 9)),
    (">=3.9.2", (3, 9)),          # some 3.9 release is allowed
    ("~=3.10", (3, 10)),
    (">3.10, <4", (3, 10)),       # 3.10.1 > 3.10
    (">=3.8,!=3.8.*", (3, 9)),
    ("==3.11.*", (3, 11)),
    (">=2.7", (3, 0)),
    (">=3.12", (3, 12)),
])
def test_requires_python_floor(requirement, floor):
    assert python_floor(requirement) == floor


@pytest.mark.parametrize(("constraint", "floor"), [
    ("^3.10", (3, 10)),
    ("^3.9", (3, 9)),
    ("~3.11", (3, 11)),
    (">=3.9,<4.0", (3, 9)),
    (">=3.9 <4.0", (3, 9)),
    ("3.10", (3, 10)),
    ("3.11.*", (3, 11)),
    ("^3.11 || ^3.8", (3, 8)),
])
def test_poetry_constraint_floor(constraint, floor):
    assert python_floor(constraint, poetry=True) == floor


def test_no_requirement_and_bad_ones():
    assert python_floor("") is None and python_floor("*", poetry=True) is None
    with pytest.raises(SettingsError):
        python_floor("three point nine")
    with pytest.raises(SettingsError):
        python_floor("<3")  # allows no Python 3


def project(tmp_path: Path, pyproject: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "jobs").mkdir()
    return tmp_path / "jobs" / "orders.py"


@pytest.mark.parametrize(("pyproject", "version"), [
    ('[project]\nrequires-python = ">=3.9"\n', (3, 9)),
    ('[project]\nrequires-python = ">=3.10,<3.14"\n', (3, 10)),
    ('[tool.poetry.dependencies]\npython = "^3.9"\n', (3, 9)),
    ('[tool.poetry.dependencies]\npython = "~3.11"\n', (3, 11)),
    ('[tool.lime-task-lint]\ntarget-version = "py38"\n', (3, 8)),
])
def test_older_floors_make_the_batching_fixes_write_islice(tmp_path, pyproject, version):
    path = project(tmp_path, pyproject)
    settings, problems, _ = resolve_settings(path)
    assert problems == [] and settings.python_version == version
    fixed = fix_text(ORDERS_TASK, settings, path=str(path), unsafe=True).text
    assert "islice" in fixed and "batched" not in fixed


def test_a_floor_of_312_lets_the_fix_write_batched(tmp_path):
    path = project(tmp_path, '[project]\nrequires-python = ">=3.12"\n')
    settings, _, _ = resolve_settings(path)
    fixed = fix_text(ORDERS_TASK, settings, path=str(path), unsafe=True).text
    assert "itertools.batched(" in fixed and "islice" not in fixed


def test_the_nearest_declaring_pyproject_counts_even_without_a_settings_table(tmp_path):
    # The settings live in the parent; the package declares its own floor.
    (tmp_path / "pyproject.toml").write_text('[tool.lime-task-lint]\nbatch-size = 10\n', encoding="utf-8")
    package = tmp_path / "limepkg-orders"
    package.mkdir()
    (package / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.9"\n', encoding="utf-8")
    settings, problems, _ = resolve_settings(package / "orders.py")
    assert problems == [] and settings.batch_size == 10 and settings.python_version == (3, 9)


def test_a_broken_requirement_is_reported_and_the_interpreter_used(tmp_path):
    path = project(tmp_path, '[project]\nrequires-python = "3.9 or newer"\n')
    settings, problems, _ = resolve_settings(path)
    [problem] = problems
    assert "project.requires-python" in problem and str(tmp_path / "pyproject.toml") in problem
    assert settings.python_version == sys.version_info[:2]


def test_the_interpreter_running_the_linter_does_not_matter_once_a_floor_is_declared(tmp_path, monkeypatch):
    # The editor may run the server on 3.13 for a package that must still run on 3.9.
    import lime_task_lint.settings as settings_module

    monkeypatch.setattr(settings_module.sys, "version_info", (3, 13, 0, "final", 0))
    (tmp_path / "pkg").mkdir()
    path = project(tmp_path / "pkg", '[project]\nrequires-python = ">=3.9"\n')
    settings, _, _ = resolve_settings(path)
    assert settings.python_version == (3, 9)
    assert "batched" not in fix_text(ORDERS_TASK, settings, path=str(path), unsafe=True).text
    # With nothing declared, the running interpreter is the target.
    bare = tmp_path / "bare"
    bare.mkdir()
    assert resolve_settings(bare / "t.py")[0].python_version == (3, 13)
