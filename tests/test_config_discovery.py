"""Where settings come from (ruff's discovery), the pattern matcher shared by the
CLI, the checker and the editor, the severity table and ``required-version``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.framework import Severity
from lime_task_lint.settings import (Settings, find_config, is_excluded, per_file_ignored_codes,
                                     required_version_problem, resolve_settings)

COUNT_TASK = "def job(app):\n    return len(list(app.limetypes.deal.get_all()))\n"


def put(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_nested_pyproject_without_the_table_does_not_hide_the_parents(tmp_path):
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nbatch-size = 20\n")
    put(tmp_path, "pkg/pyproject.toml", "[project]\nname = 'pkg'\n")
    task = put(tmp_path, "pkg/src/task.py", COUNT_TASK)
    settings, problems, anchor = resolve_settings(task)
    assert problems == [] and settings.batch_size == 20
    assert anchor == tmp_path / "pyproject.toml" and settings.project_root == tmp_path
    # A nested one *with* the table is the nearer configuration.
    put(tmp_path, "pkg/pyproject.toml", "[tool.lime-task-lint]\nbatch-size = 30\n")
    assert resolve_settings(task)[0].batch_size == 30


@pytest.mark.parametrize("name", ["lime-task-lint.toml", ".lime-task-lint.toml"])
def test_a_dedicated_file_has_its_keys_at_the_top_level_and_wins_over_pyproject(tmp_path, name):
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nbatch-size = 20\n")
    put(tmp_path, name, "batch-size = 40\nignore = ['LIME4']\n")
    task = put(tmp_path, "task.py", COUNT_TASK)
    assert find_config(task) == tmp_path / name
    settings, problems, _ = resolve_settings(task)
    assert problems == [] and settings.batch_size == 40 and "LIME4" in settings.ignore


def test_explicit_config_file_any_name_top_level_or_tool_table(tmp_path):
    task = put(tmp_path, "task.py", COUNT_TASK)
    top = put(tmp_path, "ci/lint.toml", "batch-size = 11\n")
    table = put(tmp_path, "ci/other.toml", "[tool.lime-task-lint]\nbatch-size = 12\n")
    assert resolve_settings(task, config=top)[0].batch_size == 11
    assert resolve_settings(task, config=table)[0].batch_size == 12
    _, problems, _ = resolve_settings(task, config=tmp_path / "missing.toml")
    assert problems and "missing.toml" in problems[0]


def test_extend_select_and_extend_ignore_add_to_the_lists(tmp_path):
    put(tmp_path, "pyproject.toml",
        "[tool.lime-task-lint]\nselect = ['LIME1']\nextend-select = ['LIME3']\nextend-ignore = ['LIME104']\n")
    settings, problems, _ = resolve_settings(put(tmp_path, "t.py", ""))
    assert problems == []
    assert settings.select == ("LIME1", "LIME3") and settings.ignore == ("LIME104",)
    # A later `select` (a CLI flag) drops the file's extensions, as in ruff.
    settings, _, _ = resolve_settings(tmp_path / "t.py", overrides={"select": ("LIME2",)})
    assert settings.select == ("LIME2",) and settings.ignore == ("LIME104",)


def test_severity_table_changes_levels_and_off_disables(tmp_path):
    put(tmp_path, "pyproject.toml",
        "[tool.lime-task-lint]\nignore = ['LIME4']\n[tool.lime-task-lint.severity]\nLIME104 = 'error'\n")
    task = put(tmp_path, "t.py", COUNT_TASK)
    settings, problems, _ = resolve_settings(task)
    assert problems == []
    [finding] = check(SourceDocument(COUNT_TASK, str(task)), settings).violations
    assert finding.code == "LIME104" and finding.severity is Severity.ERROR
    put(tmp_path, "pyproject.toml",
        "[tool.lime-task-lint]\nignore = ['LIME4']\n[tool.lime-task-lint.severity]\nLIME1 = 'hint'\nLIME104 = 'off'\n")
    settings, _, _ = resolve_settings(task)
    assert check(SourceDocument(COUNT_TASK, str(task)), settings).violations == []
    assert settings.severity_for("LIME101") == "hint" and settings.severity_for("LIME104") is None


def test_bad_severity_names_the_file_and_key_and_keeps_the_defaults(tmp_path):
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nseverity = { LIME104 = 'loud' }\nbatch-size = 9\n")
    settings, problems, _ = resolve_settings(put(tmp_path, "t.py", ""))
    [problem] = problems
    assert str(tmp_path / "pyproject.toml") in problem and "`severity.LIME104`" in problem
    assert settings.severity == {} and settings.batch_size == 9


@pytest.mark.parametrize(("pattern", "path", "excluded"), [
    ("legacy", "legacy/old.py", True),
    ("legacy", "src/pkg/legacy/old.py", True),      # a bare name matches anywhere, as in ruff
    ("legacy", "src/legacy_tools.py", False),
    ("*_old.py", "a/b/task_old.py", True),
    ("tests/**/*.py", "tests/unit/deep/test_x.py", True),
    ("tests/**/*.py", "src/tests/test_x.py", False),  # with a / it is anchored at the project root
    ("**/tests/*.py", "src/pkg/tests/test_x.py", True),
    ("**/tests/*.py", "src/pkg/tests/sub/test_x.py", False),
    ("tests/*.py", "tests/test_x.py", True),
    ("tests/*.py", "tests/sub/test_x.py", False),
    ("migrations/", "app/migrations/0001.py", True),
])
def test_exclude_patterns_mean_what_they_mean_in_ruff(tmp_path, pattern, path, excluded):
    settings = Settings(exclude=(pattern,), project_root=tmp_path)
    assert is_excluded(tmp_path / path, settings) is excluded


def test_per_file_ignores_share_the_matcher_and_negation(tmp_path):
    settings = Settings(per_file_ignores={"**/tests/*.py": ("LIME3",), "!src/**": ("LIME5",),
                                          "__init__.py": ("LIME4",)}, project_root=tmp_path)
    assert per_file_ignored_codes(tmp_path / "src/pkg/tests/t.py", settings) == ("LIME3",)
    assert per_file_ignored_codes(tmp_path / "scripts/run.py", settings) == ("LIME5",)
    assert per_file_ignored_codes(tmp_path / "src/pkg/__init__.py", settings) == ("LIME4",)
    # The checker applies them the same way.
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nper-file-ignores = { 'jobs/**/*.py' = ['LIME104'] }\n")
    inside = put(tmp_path, "jobs/nightly/count.py", COUNT_TASK)
    outside = put(tmp_path, "other/count.py", COUNT_TASK)
    for path, expected in ((inside, set()), (outside, {"LIME104"})):
        settings, _, _ = resolve_settings(path)
        found = {v.code for v in check(SourceDocument(COUNT_TASK, str(path)), settings,
                                       root=settings.project_root).violations}
        assert "LIME104" not in found if not expected else "LIME104" in found


def test_required_version(tmp_path):
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nrequired-version = '>=99'\n")
    settings, problems, _ = resolve_settings(put(tmp_path, "t.py", ""))
    assert problems == []
    message = required_version_problem(settings)
    assert message and ">=99" in message and str(tmp_path / "pyproject.toml") in message
    assert required_version_problem(settings, "99.1") is None
    assert required_version_problem(Settings(required_version="0.1.0"), "0.1.0") is None  # bare = exact
    assert required_version_problem(Settings(required_version="0.1.0"), "0.2.0")
    assert required_version_problem(Settings()) is None
    put(tmp_path, "pyproject.toml", "[tool.lime-task-lint]\nrequired-version = 'soon'\n")
    _, problems, _ = resolve_settings(tmp_path / "t.py")
    assert problems and "`required-version`" in problems[0]


def test_the_readme_configuration_example_is_valid_and_complete(tmp_path):
    """Every key the README shows is accepted, and every project key is shown."""
    import re

    from lime_task_lint.settings import EDITOR_ONLY, KEYS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[tool\.lime-task-lint\]\n.*?)```", readme, re.S).group(1)
    put(tmp_path, "pyproject.toml", block)
    settings, problems, _ = resolve_settings(put(tmp_path, "t.py", ""))
    assert problems == []
    table_keys = set(re.findall(r"^([a-z-]+) =", block, re.M))
    assert table_keys == set(KEYS) - EDITOR_ONLY
    assert settings.severity["LIME304"] == "error" and "LIME305" in settings.ignore
