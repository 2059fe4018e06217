"""Every ``check`` flag and every usage error, as CI and editors call the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lime_task_lint import __version__
from lime_task_lint.cli import main

# A len() over a Lime read: LIME104 with a safe fix, on line 4.
COUNT = "from lime_task import task\n\n\ndef total(app):\n    return len(list(app.limetypes.deal.get_all()))\n"
CLEAN = "answer = 42\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A project whose settings switch the docstring rules off (these tests are about the CLI)."""
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\n", encoding="utf-8")
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "deals.py").write_text(COUNT, encoding="utf-8")
    (tmp_path / "jobs" / "ok.py").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *args, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- silent mistakes ---------------------------------------------------------------------
def test_a_path_that_does_not_exist_is_a_usage_error_and_nothing_is_written(repo, capsys):
    code, out, err = run(capsys, "check", "jobs/deals.py", "jbos/", "--fix", "--output-file", "lint.txt")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["lime-task-lint: jbos/: no such file or folder"]
    assert (repo / "jobs" / "deals.py").read_text(encoding="utf-8") == COUNT
    assert not (repo / "lint.txt").exists()


def test_config_accepts_any_toml_and_a_missing_one_is_exit_2(repo, capsys):
    (repo / "ci").mkdir()
    (repo / "ci" / "strict.toml").write_text("select = ['LIME2']\n", encoding="utf-8")
    assert run(capsys, "check", "jobs", "--config", "ci/strict.toml")[0] == 0  # LIME104 not selected
    (repo / "ci" / "tabled.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME1', 'LIME4']\n", encoding="utf-8")
    assert run(capsys, "check", "jobs", "--config", "ci/tabled.toml")[0] == 0
    code, out, err = run(capsys, "check", "jobs", "--config", "ci/nope.toml")
    assert code == 2 and out == "" and "ci/nope.toml" in err and len(err.strip().splitlines()) == 1


def test_stdin_uses_the_settings_and_per_file_rules_of_stdin_filename(repo, capsys, monkeypatch):
    (repo / "pyproject.toml").write_text(
        "[tool.lime-task-lint]\nignore = ['LIME4']\nper-file-ignores = { 'scripts/*' = ['LIME104'] }\n",
        encoding="utf-8")
    code, out, _ = run(capsys, "check", "-", "--stdin-filename", "jobs/new.py", stdin=COUNT, monkeypatch=monkeypatch)
    assert code == 1 and "jobs/new.py:5:12: LIME104" in out
    code, out, _ = run(capsys, "check", "-", "--stdin-filename", "scripts/new.py", stdin=COUNT,
                       monkeypatch=monkeypatch)
    assert code == 0 and out == ""
    # Without `-`: --stdin-filename alone reads stdin too, as in ruff.
    assert run(capsys, "check", "--stdin-filename", "jobs/new.py", stdin=COUNT, monkeypatch=monkeypatch)[0] == 1


def test_stdin_fix_writes_the_fixed_source_to_stdout_and_no_file(repo, capsys, monkeypatch):
    code, out, err = run(capsys, "check", "-", "--stdin-filename", "jobs/deals.py", "--fix", stdin=COUNT,
                         monkeypatch=monkeypatch)
    assert code == 0 and out == COUNT.replace("len(list(app.limetypes.deal.get_all()))",
                                              "app.limetypes.deal.get_all().count")
    assert (repo / "jobs" / "deals.py").read_text(encoding="utf-8") == COUNT


def test_stdin_cannot_be_mixed_with_paths_or_add_noqa(repo, capsys, monkeypatch):
    code, _, err = run(capsys, "check", "-", "jobs", stdin=COUNT, monkeypatch=monkeypatch)
    assert code == 2 and "stdin" in err
    code, _, err = run(capsys, "check", "-", "--add-noqa", stdin=COUNT, monkeypatch=monkeypatch)
    assert code == 2 and "--add-noqa" in err


def test_configuration_errors_with_fix_write_nothing_and_exit_2(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nbatch-size = -1\n",
                                         encoding="utf-8")
    code, out, err = run(capsys, "check", "jobs", "--fix")
    assert code == 2 and "`batch-size`" in err and str(repo / "pyproject.toml") in err
    assert "no file is changed" in err and "LIME104" in out
    assert (repo / "jobs" / "deals.py").read_text(encoding="utf-8") == COUNT


def test_bad_code_flags_are_usage_errors(repo, capsys):
    for flag in ("--select", "--ignore", "--extend-select"):
        code, out, err = run(capsys, "check", "jobs", flag, "E501")
        assert code == 2 and out == "" and flag in err and "E501" in err


def test_extend_select_adds_to_the_configuration(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nselect = ['LIME2']\n", encoding="utf-8")
    assert run(capsys, "check", "jobs")[0] == 0
    code, out, _ = run(capsys, "check", "jobs", "--extend-select", "LIME104")
    assert code == 1 and "LIME104" in out


def test_required_version_not_satisfied_stops_before_writing(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nrequired-version = '>=999'\n",
                                         encoding="utf-8")
    code, out, err = run(capsys, "check", "jobs", "--fix")
    assert code == 2 and out == "" and ">=999" in err and __version__ in err
    assert (repo / "jobs" / "deals.py").read_text(encoding="utf-8") == COUNT
    (repo / "pyproject.toml").write_text(
        f"[tool.lime-task-lint]\nignore = ['LIME4']\nrequired-version = '=={__version__}'\n", encoding="utf-8")
    assert run(capsys, "check", "jobs")[0] == 1


# -- outputs ---------------------------------------------------------------------------
def test_output_file_gets_the_report_and_stdout_stays_empty(repo, capsys):
    code, out, _ = run(capsys, "check", "jobs", "--format", "json", "--output-file", "reports/lint.json")
    assert code == 1 and out == ""
    [record] = json.loads((repo / "reports" / "lint.json").read_text(encoding="utf-8"))
    assert record["code"] == "LIME104"
    # A second run replaces it.
    run(capsys, "check", "jobs/ok.py", "--format", "json", "--output-file", "reports/lint.json")
    assert json.loads((repo / "reports" / "lint.json").read_text(encoding="utf-8")) == []


def test_statistics_counts_per_code(repo, capsys):
    (repo / "jobs" / "more.py").write_text(COUNT + COUNT.replace("total", "again").split("\n\n\n", 1)[1],
                                           encoding="utf-8")
    code, out, _ = run(capsys, "check", "jobs", "--statistics")
    assert code == 1
    first = out.splitlines()[0].split("\t")
    assert first[0].strip() == "3" and first[1] == "LIME104" and first[2].startswith("[*]")
    assert "len-of-query" in first[2]
    _, out, _ = run(capsys, "check", "jobs", "--statistics", "--format", "json")
    assert json.loads(out) == [{"code": "LIME104", "name": "len-of-query", "count": 3, "fixable": 3}]


def test_show_fixes_lists_what_fix_applied(repo, capsys):
    code, out, _ = run(capsys, "check", "jobs", "--fix", "--show-fixes")
    assert code == 0
    assert "Fixed 1 problem:" in out and "jobs/deals.py" in out and "1 × LIME104 (len-of-query)" in out
    code, _, err = run(capsys, "check", "jobs", "--show-fixes")
    assert code == 2 and "--fix" in err


def test_gitlab_code_quality_report(repo, capsys):
    code, out, _ = run(capsys, "check", ".", "--format", "gitlab")
    assert code == 1
    [issue] = json.loads(out)
    assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["check_name"] == "LIME104" and issue["description"].startswith("LIME104 ")
    assert issue["severity"] == "minor"
    assert issue["location"] == {"path": "jobs/deals.py", "lines": {"begin": 5, "end": 5}}
    # The fingerprint follows the finding, not its line number.
    (repo / "jobs" / "deals.py").write_text("# moved down\n" + COUNT, encoding="utf-8")
    [moved] = json.loads(run(capsys, "check", ".", "--format", "gitlab")[1])
    assert moved["location"]["lines"]["begin"] == 6 and moved["fingerprint"] == issue["fingerprint"]
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nseverity = { LIME104 = 'error' }\n",
                                         encoding="utf-8")
    [severe] = json.loads(run(capsys, "check", ".", "--format", "gitlab")[1])
    assert severe["severity"] == "major"


# -- which files --------------------------------------------------------------------------
def test_force_exclude_applies_exclude_to_named_files(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nexclude = ['jobs/deals.py']\n",
                                         encoding="utf-8")
    assert run(capsys, "check", "jobs")[0] == 0  # walked: excluded
    assert run(capsys, "check", "jobs/deals.py")[0] == 1  # named: checked
    assert run(capsys, "check", "jobs/deals.py", "--force-exclude")[0] == 0
    (repo / "pyproject.toml").write_text(
        "[tool.lime-task-lint]\nignore = ['LIME4']\nexclude = ['jobs']\nforce-exclude = true\n", encoding="utf-8")
    assert run(capsys, "check", "jobs/deals.py")[0] == 0  # the folder's pattern excludes the file in it
    assert run(capsys, "check", "jobs/deals.py", "--no-force-exclude")[0] == 1


def test_exclude_bare_name_matches_a_folder_anywhere(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nexclude = ['legacy']\n",
                                         encoding="utf-8")
    nested = repo / "jobs" / "legacy"
    nested.mkdir()
    (nested / "old.py").write_text(COUNT, encoding="utf-8")
    code, out, _ = run(capsys, "check", ".")
    assert code == 1 and "legacy" not in out and "deals.py" in out


def test_gitignore_is_respected_when_walking_a_repository(repo, capsys):
    (repo / ".git").mkdir()
    (repo / ".gitignore").write_text("generated/\n*_tmp.py\n", encoding="utf-8")
    (repo / "generated").mkdir()
    (repo / "generated" / "g.py").write_text(COUNT, encoding="utf-8")
    (repo / "jobs" / "scratch_tmp.py").write_text(COUNT, encoding="utf-8")
    (repo / "jobs" / ".gitignore").write_text("!keep_tmp.py\n", encoding="utf-8")
    (repo / "jobs" / "keep_tmp.py").write_text(COUNT, encoding="utf-8")
    _, out, _ = run(capsys, "check", ".")
    assert "generated" not in out and "scratch_tmp" not in out
    assert "keep_tmp.py" in out and "deals.py" in out  # a deeper .gitignore re-includes
    _, out, _ = run(capsys, "check", ".", "--no-respect-gitignore")
    assert "generated" in out and "scratch_tmp" in out
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nrespect-gitignore = false\n",
                                         encoding="utf-8")
    assert "generated" in run(capsys, "check", ".")[1]


def test_gitignore_outside_a_repository_is_not_read(repo, capsys):
    (repo / ".gitignore").write_text("jobs/\n", encoding="utf-8")
    assert "deals.py" in run(capsys, "check", ".")[1]


# -- --add-noqa ---------------------------------------------------------------------------
def test_add_noqa_silences_every_finding_and_merges_with_existing_comments(repo, capsys):
    source = ("def total(app):\n"
              "    return len(list(app.limetypes.deal.get_all()))  # noqa: E501\n"
              "\n\n"
              "def other(app):\n"
              "    return len(list(app.limetypes.deal.get_all()))\n")
    path = repo / "jobs" / "deals.py"
    path.write_text(source, encoding="utf-8")
    code, out, err = run(capsys, "check", "jobs", "--add-noqa")
    assert code == 0 and "Added 2 noqa directives." in err
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith("# noqa: E501, LIME104")
    assert lines[5].endswith("  # noqa: LIME104")
    assert run(capsys, "check", "jobs")[0] == 0
    assert "Added 0 noqa directives." in run(capsys, "check", "jobs", "--add-noqa")[2]
    code, _, err = run(capsys, "check", "jobs", "--add-noqa", "--fix")
    assert code == 2 and "--add-noqa" in err


def test_add_noqa_on_multi_line_statement_is_read_back(repo, capsys):
    source = ("def total(app):\n"
              "    return len(\n"
              "        list(app.limetypes.deal.get_all())\n"
              "    )\n")
    path = repo / "jobs" / "deals.py"
    path.write_text(source, encoding="utf-8")
    assert run(capsys, "check", "jobs", "--add-noqa")[0] == 0
    assert run(capsys, "check", "jobs")[0] == 0  # wherever it went, the checker reads it there


def test_module_entry_point_reads_stdin(repo):
    result = subprocess.run([sys.executable, "-m", "lime_task_lint", "check", "-", "--stdin-filename",
                             "jobs/x.py", "--format", "json"], input=COUNT, capture_output=True, text=True,
                            cwd=repo)
    assert result.returncode == 1 and json.loads(result.stdout)[0]["code"] == "LIME104"


def test_report_shares_discovery_and_usage_errors(repo, capsys):
    (repo / "jobs" / "nightly.py").write_text(
        "from lime_task import task\n\n\n@task\ndef nightly(app):\n"
        "    return [d.id for d in app.limetypes.deal.get_all()]\n", encoding="utf-8")
    (repo / "ci.toml").write_text("ignore = ['LIME4']\nmemory-budget-mb = 321\n", encoding="utf-8")
    code, out, _ = run(capsys, "report", "jobs", "--config", "ci.toml", "--format", "json", "--no-workspace")
    assert code == 0 and "nightly" in out and "321" in out
    code, out, err = run(capsys, "report", "jbos", "--output", "r.html")
    assert code == 2 and "jbos: no such file or folder" in err and not (repo / "r.html").exists()
    code, _, err = run(capsys, "report", "jobs", "--config", "nope.toml")
    assert code == 2 and "nope.toml" in err


def test_add_noqa_for_a_finding_inside_a_multi_line_string_goes_after_the_quotes(repo, capsys):
    # LIME303: a {placeholder} in a log message without its f prefix, inside a triple-quoted string.
    source = ('import logging\n\nlogger = logging.getLogger(__name__)\n\n\n'
              'def report(count):\n'
              '    logger.info("""Imported\n'
              '{count} rows""")\n')
    path = repo / "jobs" / "deals.py"
    path.write_text(source, encoding="utf-8")
    code, out, _ = run(capsys, "check", "jobs", "--select", "LIME303")
    assert code == 1 and "LIME303" in out
    assert run(capsys, "check", "jobs", "--select", "LIME303", "--add-noqa")[0] == 0
    fixed = path.read_text(encoding="utf-8")
    assert fixed.endswith('{count} rows""")  # noqa: LIME303\n')  # the string itself is unchanged
    assert run(capsys, "check", "jobs", "--select", "LIME303")[0] == 0


def test_stdin_fix_with_a_configuration_error_returns_the_source_unchanged(repo, capsys, monkeypatch):
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nbatch-size = 'many'\n",
                                         encoding="utf-8")
    code, out, err = run(capsys, "check", "-", "--stdin-filename", "jobs/deals.py", "--fix", stdin=COUNT,
                         monkeypatch=monkeypatch)
    assert code == 2 and out == COUNT and "`batch-size`" in err and "no fix is applied" in err


def test_force_exclude_prunes_folders_like_a_walk(repo, capsys):
    # `jobs/*` matches the folder jobs/old, not jobs/old/run.py itself: excluded all the same.
    (repo / "pyproject.toml").write_text("[tool.lime-task-lint]\nignore = ['LIME4']\nexclude = ['jobs/*']\n",
                                         encoding="utf-8")
    (repo / "jobs" / "old").mkdir()
    (repo / "jobs" / "old" / "run.py").write_text(COUNT, encoding="utf-8")
    assert run(capsys, "check", ".")[0] == 0
    assert run(capsys, "check", "jobs/old/run.py", "--force-exclude")[0] == 0
    assert run(capsys, "check", "jobs/old/run.py")[0] == 1
