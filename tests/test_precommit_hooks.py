"""The pre-commit hooks in .pre-commit-hooks.yaml: their command lines as pre-commit
runs them (staged files by name), and the real thing through ``pre-commit try-repo``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
COUNT = "def total(app):\n    return len(list(app.limetypes.deal.get_all()))\n"
FIXED = "def total(app):\n    return app.limetypes.deal.get_all().count\n"


def staged_project(tmp_path: Path) -> Path:
    """A git repository with a task, a file the configuration excludes and a text file staged."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.lime-task-lint]\nignore = ['LIME4']\nexclude = ['vendored']\n", encoding="utf-8")
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "deals.py").write_text(COUNT, encoding="utf-8")
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "lib.py").write_text(COUNT, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not python\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    return tmp_path


def run_hook(hook_id: str, project: Path, files: list[str]) -> subprocess.CompletedProcess:
    """The hook's entry and args with the files appended, as pre-commit builds it."""
    hook = HOOKS[hook_id]
    command = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert command[0] == "lime-task-lint"  # the console script pyproject.toml installs
    command = [sys.executable, "-m", "lime_task_lint", *command[1:]]
    return subprocess.run([*command, *files], cwd=project, capture_output=True, text=True)


def test_hooks_are_declared_for_python_files():
    assert set(HOOKS) == {"lime-task-lint", "lime-task-lint-fix"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and set(hook["types_or"]) == {"python", "pyi"}
        assert "--force-exclude" in hook["entry"]


def test_check_hook_command_line(tmp_path):
    project = staged_project(tmp_path)
    result = run_hook("lime-task-lint", project, ["jobs/deals.py", "vendored/lib.py"])
    assert result.returncode == 1 and "jobs/deals.py" in result.stdout
    assert "vendored" not in result.stdout  # excluded although named
    assert (project / "jobs" / "deals.py").read_text(encoding="utf-8") == COUNT


def test_fix_hook_command_line(tmp_path):
    project = staged_project(tmp_path)
    result = run_hook("lime-task-lint-fix", project, ["jobs/deals.py", "vendored/lib.py"])
    assert result.returncode == 0, result.stderr
    assert (project / "jobs" / "deals.py").read_text(encoding="utf-8") == FIXED
    assert (project / "vendored" / "lib.py").read_text(encoding="utf-8") == COUNT


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo_runs_the_hooks(tmp_path):
    """pre-commit installs this repository into its own environment and runs the hooks.

    It installs a clone of the committed state (HEAD): try-repo on a working tree
    would mix tracked edits in progress with none of the untracked files."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    if not (ROOT / ".git").exists():
        pytest.skip("needs the project's git repository")
    hooks_repo = tmp_path / "hooks-repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(hooks_repo)], check=True)
    (tmp_path / "project").mkdir()
    project = staged_project(tmp_path / "project")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    checked = subprocess.run([str(pre_commit), "try-repo", str(hooks_repo), "lime-task-lint", "--all-files"],
                             cwd=project, capture_output=True, text=True, env=env, timeout=900)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "jobs/deals.py" in checked.stdout and "LIME104" in checked.stdout and "vendored" not in checked.stdout
    fixed = subprocess.run([str(pre_commit), "try-repo", str(hooks_repo), "lime-task-lint-fix", "--all-files"],
                           cwd=project, capture_output=True, text=True, env=env, timeout=900)
    # pre-commit fails a hook that changed files; the fix is in the file.
    assert fixed.returncode == 1 and "files were modified by this hook" in fixed.stdout, fixed.stdout
    assert (project / "jobs" / "deals.py").read_text(encoding="utf-8") == FIXED


def _yaml_blocks(markdown: str) -> list:
    import re

    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", markdown, re.S)]


def _commands(node) -> list[str]:
    """Every shell line of a workflow / GitLab job / hook entry that runs lime-task-lint."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "entry"):
                lines = value if isinstance(value, list) else str(value).splitlines()
                found += [line.strip() for line in lines if line.strip().startswith("lime-task-lint ")]
            else:
                found += _commands(value)
    elif isinstance(node, list):
        for item in node:
            found += _commands(item)
    return found


@pytest.mark.parametrize("document", ["README.md", "docs/ci.md"])
def test_documented_ci_configurations_parse_and_use_real_flags(document):
    """The workflows and configs in the docs are valid YAML and every lime-task-lint
    command in them is accepted by the CLI's own argument parser."""
    from lime_task_lint.cli import _parser

    text = (ROOT / document).read_text(encoding="utf-8")
    blocks = _yaml_blocks(text)
    commands = _commands(blocks) + _commands(list(HOOKS.values()))
    assert any("--format github" in c for c in commands) and any("--format sarif" in c for c in commands)
    for command in commands:
        _parser().parse_args(shlex.split(command)[1:])  # raises SystemExit on an unknown flag
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif") for step in steps)
    assert "pip install" in text
