"""Safety: the tool reads code, never runs it; writes only where and when asked.

* analysed code is never imported or executed (in process, by the CLI, by the
  language server): a document whose import or exec would create a marker file
  or print leaves no marker, no output and no new module in ``sys.modules``;
* the language server writes nothing to disk: every edit goes through the
  client, so a workspace stays byte-identical through opening, quick fixes and
  fix-all;
* the CLI writes only with ``--fix``, only the files it was given, atomically,
  keeping the permissions and the line endings;
* the server's log never shows a secret-looking setting or source value.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fuzz.rawlsp import RawServer
from lime_task_lint.analysis import analyse
from lime_task_lint.cli import main
from lime_task_lint.extensions import hover_markdown, provided_actions
from lime_task_lint.fixer import fix_text
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

TASK = '''from lime_task import task


@task
def count_companies(app):
    """Count companies."""
    return len(list(app.limetypes.company.get_all()))
'''


def evil_source(marker: Path) -> str:
    """Code that leaves a trace if anything imports, executes or evaluates it."""
    m = str(marker)
    return f'''import builtins
open({m + ".import"!r}, "w").write("module body ran")
print("EVIL-PRINTED-AT-IMPORT")
exec("open({m + '.exec'!r}, 'w').write('exec ran')")
eval("open({m + '.eval'!r}, 'w')")
__import__("os").system("touch {m}.system")


class Meta(type):
    def __new__(mcls, *args):
        open({m + ".class"!r}, "w")
        return super().__new__(mcls, *args)


def default(value=open({m + ".default"!r}, "w")):
    pass


@(lambda f: open({m + ".decorator"!r}, "w") or f)
def decorated(app):
    pass

{TASK}'''


def _traces(marker: Path) -> list[Path]:
    return sorted(marker.parent.glob(marker.name + "*"))


CACHE_FOLDER = ".lime-task-lint-cache"


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder`` except the result cache's (a check may write its
    cache, as ruff writes ``.ruff_cache``; ``--no-cache`` writes nothing at all)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()
            and CACHE_FOLDER not in p.relative_to(folder).parts}


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "server"), env.get("PYTHONPATH", "")])
    return env


# -- never import or execute analysed code ---------------------------------------------

def test_analysis_in_process_never_imports_or_executes(tmp_path, capsys):
    marker = tmp_path / "marker"
    module_name = "lime_evil_module_7f3a"
    path = tmp_path / f"{module_name}.py"
    source = evil_source(marker)
    path.write_text(source, encoding="utf-8")
    (tmp_path / "__init__.py").write_text(f"open({str(marker) + '.package'!r}, 'w')\n", encoding="utf-8")
    before = set(sys.modules)

    from lime_task_lint.workspace import Workspace

    workspace = Workspace(tmp_path)
    try:
        analysis = analyse(path.as_uri(), source, Settings(), path=str(path), root=tmp_path, workspace=workspace)
        assert [v.code for v in analysis.violations if v.code == "LIME104"] == ["LIME104"]  # it was analysed
        for offset in range(0, len(source), max(1, len(source) // 40)):
            hover_markdown(analysis, offset)
        provided_actions(analysis, 0, len(source))
        fix_text(source, Settings(), path=str(path), unsafe=True, root=tmp_path, workspace=workspace)
    finally:
        workspace.close()

    assert _traces(marker) == []
    assert "EVIL-PRINTED" not in capsys.readouterr().out
    new_modules = set(sys.modules) - before
    assert module_name not in sys.modules
    from_analysed_folder = [name for name in new_modules
                            if str(getattr(sys.modules.get(name), "__file__", "") or "").startswith(str(tmp_path))]
    assert from_analysed_folder == []


@pytest.mark.parametrize("flags", [[], ["--fix", "--unsafe-fixes"], ["--diff"], ["--format", "json"]])
def test_cli_never_imports_or_executes(tmp_path, flags):
    marker = tmp_path / "marker"
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text(f"open({str(marker) + '.package'!r}, 'w')\n", encoding="utf-8")
    (project / "pkg" / "evil.py").write_text(evil_source(marker), encoding="utf-8")
    (project / "conftest.py").write_text(f"open({str(marker) + '.conftest'!r}, 'w')\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "lime_task_lint", "check", *flags, "."], cwd=project,
                            capture_output=True, text=True, env=_env(), timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert "LIME104" in result.stdout or "--fix" in flags or "--diff" in flags
    assert "EVIL-PRINTED" not in result.stdout + result.stderr
    assert _traces(marker) == []


# -- the language server: no execution, no disk writes, no secrets in its log ------------

SECRET = "hunter2-SECRET"
SECRET_SETTING = "s3cr3t-SETTING-value"


def test_language_server_never_executes_writes_or_logs_secrets(tmp_path):
    marker = tmp_path / "marker"
    workspace = tmp_path / "ws"
    (workspace / "pkg").mkdir(parents=True)
    evil = workspace / "pkg" / "evil.py"
    evil.write_text(evil_source(marker), encoding="utf-8")
    secret_file = workspace / "pkg" / "secret_task.py"
    secret_text = TASK.replace('"""Count companies."""', f'"""Count companies."""\n    password = "{SECRET}"\n'
                               f'    app.logger.warning("logging in with %s", password)\n'
                               f'    print(password)\n    x = f"{{password}}"')
    secret_file.write_text(secret_text, encoding="utf-8")
    crlf = workspace / "crlf_task.py"
    crlf.write_bytes(TASK.replace("\n", "\r\n").encode("utf-8"))
    os.chmod(crlf, 0o640)
    before = _snapshot(workspace)

    # A secret-looking value in an unknown setting and in a bad value of a known one.
    raw = RawServer(workspace, tmp_path / "stderr.log",
                    extra_settings={"password": SECRET_SETTING, "apiToken": SECRET_SETTING,
                                    "logLevel": "debug"})
    try:
        raw.initialize(workspace)
        for path in (evil, secret_file, crlf):
            mark = raw.mark()
            text = path.read_bytes().decode("utf-8")
            uri = raw.open(path, text)
            diagnostics = raw.diagnostics(uri, mark)["diagnostics"]
            assert diagnostics, f"{path.name} was not analysed"
            for diagnostic in diagnostics:
                for line in range(diagnostic["range"]["start"]["line"], diagnostic["range"]["end"]["line"] + 1):
                    raw.hover(uri, line, 8)
            actions = raw.request("textDocument/codeAction", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 200, "character": 0}},
                "context": {"diagnostics": diagnostics}})["result"]
            assert actions, f"no code action for {path.name}"
            fix_all = raw.request("textDocument/codeAction", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll.lime-task-lint"]}})["result"]
            for action in fix_all:
                resolved = raw.request("codeAction/resolve", action)
                assert "result" in resolved, resolved
            response = raw.request("workspace/executeCommand",
                                   {"command": "lime-task-lint.fixAll", "arguments": [uri]})
            assert "result" in response, response
        # The fixes travel to the client as workspace/applyEdit requests, never to the disk.
        assert any(r["method"] == "workspace/applyEdit" for r in raw.server_requests)
        # Let a late analysis or write happen, if any would.
        time.sleep(0.5)
        assert raw.hover(uri, 0, 0).get("error") is None
    finally:
        raw.shutdown()

    assert _traces(marker) == []
    after = _snapshot(workspace)
    assert after == before, "the server changed files on disk"
    assert oct(crlf.stat().st_mode & 0o777) == oct(0o640)
    log = raw.stderr_text()
    assert "lime-task-lint" in log  # the log was captured (the start-up lines)
    assert "EVIL-PRINTED" not in log
    assert SECRET not in log, "a source value reached the server log"
    assert SECRET_SETTING not in log, "a setting value reached the server log"


# -- the CLI writes only with --fix, only the files given, atomically ----------------------

def _fixable(newline: str = "\n") -> bytes:
    return TASK.replace("\n", newline).encode("utf-8")


def _run_cli(args, cwd, monkeypatch) -> int:
    monkeypatch.chdir(cwd)
    return main(["check", *args])


@pytest.mark.parametrize("flags", [[], ["--diff"], ["--unsafe-fixes"], ["--format", "json"], ["--exit-zero"]])
def test_cli_without_fix_writes_nothing(tmp_path, monkeypatch, capsys, flags):
    (tmp_path / "a.py").write_bytes(_fixable())
    (tmp_path / "b.py").write_bytes(_fixable("\r\n"))
    before = _snapshot(tmp_path)
    _run_cli([*flags, "."], tmp_path, monkeypatch)
    assert _snapshot(tmp_path) == before
    # Only the result cache was written, with its own .gitignore, and nothing with --no-cache.
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()} - {"a.py", "b.py"}
    assert written <= {CACHE_FOLDER}
    if written:
        assert (tmp_path / CACHE_FOLDER / ".gitignore").is_file()
    uncached = tmp_path / "uncached"
    uncached.mkdir()
    (uncached / "a.py").write_bytes(_fixable())
    _run_cli([*flags, "--no-cache", "."], uncached, monkeypatch)
    assert sorted(p.name for p in uncached.rglob("*")) == ["a.py"]


def test_cli_fix_writes_only_the_files_given(tmp_path, monkeypatch, capsys):
    given = tmp_path / "given.py"
    other = tmp_path / "other.py"
    given.write_bytes(_fixable())
    other.write_bytes(_fixable())
    before = _snapshot(tmp_path)
    _run_cli(["--fix", "given.py"], tmp_path, monkeypatch)
    after = _snapshot(tmp_path)
    assert after["other.py"] == before["other.py"]
    assert after["given.py"] != before["given.py"]
    assert set(after) == set(before), "the fix left a temporary or extra file behind"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_cli_fix_keeps_line_endings_and_permissions(tmp_path, monkeypatch, capsys, newline):
    path = tmp_path / "task.py"
    path.write_bytes(b"\xef\xbb\xbf" + _fixable(newline))  # with a BOM, too
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    _run_cli(["--fix", "task.py"], tmp_path, monkeypatch)
    data = path.read_bytes()
    assert b"get_all().count" in data, data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    endings = {"\r\n": text.count("\r\n"), "\r": text.count("\r") - text.count("\r\n"),
               "\n": text.count("\n") - text.count("\r\n")}
    assert {k for k, v in endings.items() if v} == {newline}, endings
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # Atomic: a new file renamed over the old one (a reader never sees half a file).
    assert path.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["task.py"]


def test_cli_fix_is_atomic_when_writing_fails(tmp_path, monkeypatch, capsys):
    """A write that fails half-way leaves the original intact and no temporary file,
    and the run says so (exit 2) instead of crashing with a traceback."""
    from lime_task_lint import files

    path = tmp_path / "task.py"
    path.write_bytes(_fixable())
    original = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    assert _run_cli(["--fix", "task.py"], tmp_path, monkeypatch) == 2
    assert "task.py: cannot write (No space left on device); the fixes of task.py are not applied" \
        in capsys.readouterr().err
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["task.py"]


@pytest.mark.parametrize("data, why", [
    (b"x = '\xff\xfe'\n" + _fixable(), "invalid UTF-8"),
    ("x = 'café'\n".encode("latin-1") + _fixable(), "latin-1"),
    ("\ufeff".encode("utf-16") + _fixable().decode().encode("utf-16-le"), "UTF-16"),
    (b"\x00" * 64, "binary"),
])
def test_cli_unreadable_file_gives_a_clear_message_and_no_traceback(tmp_path, data, why):
    bad = tmp_path / "bad.py"
    bad.write_bytes(data)
    good = tmp_path / "good.py"
    good.write_bytes(_fixable())
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    for flags in ([], ["--fix"]):
        result = subprocess.run([sys.executable, "-m", "lime_task_lint", "check", *flags, "bad.py", "good.py"],
                                cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=120)
        assert "Traceback" not in result.stderr, (why, result.stderr)
        if why != "binary":  # NUL bytes decode as UTF-8: that file is read, and reported as a syntax error
            assert "bad.py" in result.stderr and "UTF-8" in result.stderr, (why, result.stderr)
        assert result.returncode in (0, 1, 2)
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before
    assert b"get_all().count" in good.read_bytes()  # the good file was still checked and fixed
