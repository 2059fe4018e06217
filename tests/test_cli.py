"""The CLI as CI uses it: exit codes, output formats, --fix and --diff."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from lime_task_lint.cli import main

DATA = Path(__file__).parent / "data"
TASK = ("from lime_task import task\r\n\r\n@task\r\ndef job(app):\r\n"
        "    # 😀 日本\r\n    return len(list(app.limetypes.company.get_all()))\r\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    # The docstring rules (LIME4xx) would flag the tiny task too; these tests are about the CLI.
    (tmp_path / "pyproject.toml").write_text('[tool.lime-task-lint]\nignore = ["LIME4"]\n', encoding="utf-8")
    tasks = tmp_path / "tasks.py"
    tasks.write_bytes(TASK.encode("utf-8"))
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    venv = tmp_path / ".venv" / "lib"
    venv.mkdir(parents=True)
    (venv / "bad.py").write_bytes(TASK.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_and_exit_codes(project, capsys):
    code, out, _ = run(capsys, "check", ".")
    assert code == 1
    assert "tasks.py:6:12: LIME104 [*]" in out  # column counts code points, like ruff
    assert ".venv" not in out  # virtual environments are skipped
    assert run(capsys, "check", "clean.py")[0] == 0
    assert run(capsys, "check", ".", "--exit-zero")[0] == 0
    assert run(capsys, "check", ".", "--ignore", "LIME104")[0] == 0
    assert run(capsys, "check", ".", "--select", "LIME2")[0] == 0
    code, _, err = run(capsys, "check", ".", "--select", "NOPE1")
    assert code == 2 and "not LIME rule codes" in err
    with pytest.raises(SystemExit) as usage:
        main(["check", "--format", "xml"])
    assert usage.value.code == 2


def test_json_has_ruffs_shape(project, capsys):
    code, out, _ = run(capsys, "check", "tasks.py", "--format", "json")
    [record] = json.loads(out)
    assert set(record) >= {"code", "message", "filename", "location", "end_location", "fix", "noqa_row", "url"}
    assert record["code"] == "LIME104" and record["filename"] == str(project / "tasks.py")
    assert record["location"] == {"row": 6, "column": 12} and record["noqa_row"] == 6
    assert record["fix"]["applicability"] == "safe"
    [edit] = record["fix"]["edits"]
    assert edit["content"].endswith(".count") and edit["location"]["row"] == 6


def test_sarif_validates_against_the_schema(project, capsys):
    code, out, _ = run(capsys, "check", ".", "--format", "sarif")
    document = json.loads(out)
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "LIME104" and result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert "LIME104" in [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]


def test_github_annotations(project, capsys):
    _, out, _ = run(capsys, "check", "tasks.py", "--format", "github")
    assert out.startswith("::warning title=lime-task-lint (LIME104),file=tasks.py,line=6,col=12,")


def test_fix_writes_atomically_keeping_crlf_and_mode(project, capsys):
    path = project / "tasks.py"
    os.chmod(path, 0o640)
    code, out, _ = run(capsys, "check", "tasks.py", "--fix")
    assert code == 0 and "Fixed 1 problem in 1 file." in out
    data = path.read_bytes().decode("utf-8")
    assert "return app.limetypes.company.get_all().count\r\n" in data
    assert "\n" not in data.replace("\r\n", "")  # every line ending is still CRLF
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]
    # Only the files given are written.
    assert (project / ".venv" / "lib" / "bad.py").read_bytes() == TASK.encode("utf-8")


def test_diff_changes_nothing(project, capsys):
    code, out, _ = run(capsys, "check", "tasks.py", "--diff")
    assert code == 1 and "+    return app.limetypes.company.get_all().count" in out
    assert (project / "tasks.py").read_bytes() == TASK.encode("utf-8")


def test_configuration_error_exits_2_but_still_reports(project, capsys):
    (project / "pyproject.toml").write_text("[tool.lime-task-lint]\nbatch-size = 0\n", encoding="utf-8")
    code, out, err = run(capsys, "check", "tasks.py")
    assert code == 2 and "`batch-size` must be a positive whole number" in err and "LIME104" in out


def test_non_utf8_file_is_skipped_with_a_message(project, capsys):
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    code, out, err = run(capsys, "check", "latin.py")
    assert code == 0 and "not UTF-8" in err


def test_rule_docs_and_index(capsys):
    code, out, _ = run(capsys, "rule", "LIME104")
    assert code == 0
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"):
        assert section in out
    assert run(capsys, "rule", "LIME999")[0] == 2
    _, out, _ = run(capsys, "rules", "--index")
    assert "| [LIME104]" in out


def test_console_script_and_module_entry_points():
    result = subprocess.run([sys.executable, "-m", "lime_task_lint", "rules"], capture_output=True, text=True)
    assert result.returncode == 0 and "LIME104" in result.stdout


@pytest.mark.parametrize("source", ["examples", "tests/fixtures/rules"])
def test_check_reports_what_the_editor_shows(tmp_path, monkeypatch, capsys, source):
    """CI and the editor agree: `check` (whole-file analysis, with the project's
    workspace) gives the findings the server's chunked analysis gives with its
    workspace, on every example and rule fixture."""
    import shutil

    from lime_task_lint.incremental import IncrementalAnalyser
    from lime_task_lint.settings import resolve_settings
    from lime_task_lint.workspace import Workspace

    root = tmp_path / "project"
    shutil.copytree(Path(__file__).parent.parent / source, root,
                    ignore=shutil.ignore_patterns("*.fixed", "__pycache__"))
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, "check", ".", "--format", "json", "--exit-zero")
    assert code == 0
    cli = sorted((Path(r["filename"]).resolve().as_posix(), r["code"], r["location"]["row"],
                  r["location"]["column"], r["message"], (r["fix"] or {}).get("applicability"))
                 for r in json.loads(out))
    assert len({c for _, c, *_ in cli}) >= 5
    if source == "examples":
        # reports.py's LIME102 fix is safe only because the workspace shows its one caller iterating once.
        assert any(c == "LIME102" and f == "safe" and p.endswith("reports.py") for p, c, *_, f in cli)
    workspace = Workspace(root, time_budget=60)
    editor = []
    try:
        for path in sorted(root.rglob("*.py")):
            settings, _, _ = resolve_settings(path)
            text = path.read_text(encoding="utf-8")
            analysis = IncrementalAnalyser(chunk_lines=40).analyse(path.as_uri(), text, settings, path=str(path),
                                                                   root=root, workspace=workspace)
            for v in analysis.violations:
                line, column = analysis.document.index.line_of(v.start), None
                column = v.start - analysis.document.index.line_starts[line]
                editor.append((path.resolve().as_posix(), v.code, line + 1, column + 1, v.message,
                               v.fix.applicability.value if v.fix else None))
    finally:
        workspace.close()
    assert cli == sorted(editor)
