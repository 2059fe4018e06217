"""Fixes of a helper defined in *another* module of the workspace (LIME203: a
read per call; LIME201: a commit per call): the helper gains a keyword
argument with a default in its own file and the caller prepares what it
passes, so one fix edits two files.

Proved by running: a project in a folder whose path has a space and å, the
helper module with non-ASCII text and CR LF line endings, fixed with the real
CLI (``check --fix --unsafe-fixes``), then the original and the fixed modules run
on the fake Lime app (eager and paged ``get_all``) with 1,500 rows: same result,
data and error; reads at most 2 + ceil(keys / 1,000); commits at least 40x
fewer; a third module that calls the helper without the new argument behaves
as before.  And the guards: the other file's edits apply only to the text they
were computed on (CLI, JSON, fixer, result cache), installed or hidden code is
never edited, ``check - --fix`` and the editor's fix-all edit one document.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from differential import Scenario, outcome
from lime_task_lint.edits import text_digest
from lime_task_lint.fixer import fix_all_edits, fix_text
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import resolve_settings
from lime_task_lint.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]

SCHEMA = {"person": {"email": "string", "name": "string"}, "ticket": {"code": "string", "status": "string"}}
STORED = [{"email": f"p{i}@x.se", "name": f"P{i}"} for i in range(1200)]
STORED += [{"email": f"p{i}@x.se", "name": f"twin{i}"} for i in range(0, 1200, 97)]  # first by id must win
EMAILS = [f"p{(i * 7) % 1700}@x.se" for i in range(1500)]
CODES = [f"T{i}" for i in range(1500)]

PEOPLE = '''\
"""Personer och ärenden — helpers shared by the tasks (Åsa's module)."""
from lime_filter import EqualsOperator, Filter


def find_person(app, email, label="Åsa 😀"):
    """The first person with this email, or None."""
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    """Store one open ticket."""
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="öppen"))
    uow.commit()
'''

TASKS = '''\
"""Tasks calling the helpers of people.py once per item."""
from lime_task import task

from acme.people import find_person, save_ticket


@task
def names(app, emails: list):
    """Names of the senders."""
    out = []
    for email in emails:
        person = find_person(app, email)
        out.append(person.properties.name.value if person else None)
    return out


@task
def known(app, emails: list):
    """How many senders are known, asked by keyword."""
    count = 0
    for email in emails:
        if find_person(app, email=email) is not None:
            count += 1
    return count


@task
def open_tickets(app, codes: list):
    """One open ticket per code."""
    for code in codes:
        save_ticket(app, code)
    return len(codes)
'''

OTHER_CALLER = '''\
"""Another caller of the helpers: it never passes the new arguments."""
from acme.people import find_person, save_ticket


def single(app, email, code):
    """One lookup and one ticket."""
    person = find_person(app, email)
    save_ticket(app, code)
    return person.properties.name.value if person else None
'''


def _project(tmp_path: Path, people: str = PEOPLE, tasks: str = TASKS, crlf: bool = True) -> Path:
    root = tmp_path / "kund å" / "lime project"
    package = root / "acme"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    newline = "\r\n" if crlf else "\n"
    (package / "people.py").write_bytes(people.replace("\n", newline).encode("utf-8"))
    (package / "tasks.py").write_text(tasks, encoding="utf-8")
    (package / "other.py").write_text(OTHER_CALLER, encoding="utf-8")
    return root


def _cli(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIME_TASK_LINT_JOBS": "1"}
    return subprocess.run([sys.executable, "-m", "lime_task_lint", "check", "--no-cache", *args],
                          cwd=root, capture_output=True, text=True, encoding="utf-8", env=env, input=stdin)


def _run(tasks: str, people: str, task: str, args: tuple, page_size: int | None, module: str = "tasks"):
    scenario = Scenario(task, SCHEMA, {"person": STORED}, args=args, page_size=page_size,
                        modules={"acme": "", "acme.people": people.replace("\r\n", "\n")})
    return outcome(tasks, task, scenario, module_name=f"task_{module}")


def test_fix_edits_both_files_and_runs_the_same(tmp_path):
    root = _project(tmp_path)
    people_before = (root / "acme" / "people.py").read_bytes()
    done = _cli(root, "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in 2 files" in done.stdout
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    people_after_bytes = (root / "acme" / "people.py").read_bytes()
    people_after = people_after_bytes.decode("utf-8")
    # The helper's file keeps its line endings, its non-ASCII text and its other callers' signature.
    assert people_after.count("\r\n") == people_after.count("\n") and b"\xc3\x85sa \xf0\x9f\x98\x80" in people_after_bytes
    assert people_after.count("person_by_email=None") == 1, people_after  # two callers, one new parameter
    assert "unit_of_work=None" in people_after
    assert "person_by_email=person_by_email" in tasks_after and "unit_of_work=uow" in tasks_after
    compile(people_after, "people.py", "exec")
    compile(tasks_after, "tasks.py", "exec")
    # Nothing is left to fix, and a second run changes nothing.
    again = _cli(root, "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme")
    assert again.returncode == 0 and "Fixed" not in again.stdout, again.stdout
    assert (root / "acme" / "people.py").read_bytes() == people_after_bytes

    for page_size in (None, 50):
        for task, args in (("names", (EMAILS,)), ("known", (EMAILS,)), ("open_tickets", (CODES,))):
            before = _run(TASKS, people_before.decode("utf-8"), task, args, page_size)
            after = _run(tasks_after, people_after, task, args, page_size)
            assert before.exception is None, before.exception
            assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data)
            if task == "open_tickets":
                assert before.commits == len(CODES) and after.commits * 40 <= before.commits, after.commits
            elif page_size is None:
                assert before.reads >= len(EMAILS)
                assert after.reads <= 2 + math.ceil(len(set(EMAILS)) / 1000), after.reads
        # The other caller, which passes neither new argument, does what it did.
        before = _run(OTHER_CALLER, people_before.decode("utf-8"), "single", ("p3@x.se", "X1"), page_size, "other")
        after = _run(OTHER_CALLER, people_after, "single", ("p3@x.se", "X1"), page_size, "other")
        assert (after.result, after.exception, after.data, after.commits) == \
            (before.result, before.exception, before.data, before.commits)


def test_diff_shows_both_files_and_writes_nothing(tmp_path):
    root = _project(tmp_path, crlf=False)
    snapshot = {p: p.read_bytes() for p in (root / "acme").iterdir()}
    done = _cli(root, "--diff", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme")
    assert done.returncode == 1
    assert "--- a/acme/people.py" in done.stdout and "--- a/acme/tasks.py" in done.stdout
    assert done.stdout.count("+def find_person(app, email, label=\"Åsa 😀\", person_by_email=None):") == 1
    assert {p: p.read_bytes() for p in (root / "acme").iterdir()} == snapshot


def test_json_and_sarif_carry_the_other_files_edits(tmp_path):
    root = _project(tmp_path)
    records = json.loads(_cli(root, "--format", "json", "--select", "LIME203", "acme/tasks.py").stdout)
    people = str((root / "acme" / "people.py").resolve())
    fix = records[0]["fix"]
    assert fix["applicability"] == "unsafe"
    elsewhere = [e for e in fix["edits"] if e.get("filename") == people]
    own = [e for e in fix["edits"] if "filename" not in e]
    assert elsewhere and own
    # Positions are the helper file's own (rows and code point columns), applied to its text.
    text = (root / "acme" / "people.py").read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    signature = next(e for e in elsewhere if e["content"] == ", person_by_email=None")
    row, column = signature["location"]["row"], signature["location"]["column"]
    assert lines[row - 1][column - 1 - len('label="Åsa 😀"'):column - 1] == 'label="Åsa 😀"'
    sarif = json.loads(_cli(root, "--format", "sarif", "--select", "LIME203", "acme/tasks.py").stdout)
    changes = sarif["runs"][0]["results"][0]["fixes"][0]["artifactChanges"]
    assert [c["artifactLocation"]["uri"] for c in changes] == ["acme/tasks.py", "acme/people.py"]


def test_a_changed_helper_file_is_never_edited_with_old_offsets(tmp_path):
    root = _project(tmp_path, crlf=False)
    settings, _, _ = resolve_settings(root / "acme" / "tasks.py")
    workspace = Workspace(root, time_budget=None)
    tasks_path = str(root / "acme" / "tasks.py")
    from lime_task_lint.checker import check

    found = check(SourceDocument(TASKS, tasks_path), settings, root=root, workspace=workspace, codes={"LIME203"})
    fix = found.violations[0].fix
    [elsewhere] = fix.other_files
    people = root / "acme" / "people.py"
    assert elsewhere.path == str(people.resolve()) and elsewhere.applies_to(people.read_text(encoding="utf-8"))
    # Someone edits the helper's file above the helper: the computed offsets are wrong now.
    people.write_text("# a comment that moves everything\n" + PEOPLE, encoding="utf-8")
    assert not elsewhere.applies_to(people.read_text(encoding="utf-8"))
    # JSON output leaves the fix out whole rather than print edits of another text.
    from lime_task_lint.output import FileFindings, to_json_records

    records = to_json_records([FileFindings(tasks_path, SourceDocument(TASKS).index, found.violations)])
    assert len(records) == 2 and all(record["fix"] is None for record in records)
    # The fixer re-analyses: the fix it applies is computed on the new text.
    workspace.changed(str(people))
    result = fix_text(TASKS, settings, path=tasks_path, unsafe=True, root=root, workspace=workspace,
                      codes={"LIME203"}, other_files=True)
    new_people = result.other_texts[str(people.resolve())]
    assert new_people.startswith("# a comment that moves everything\n")
    assert new_people.count("person_by_email=None") == 1
    compile(new_people, "people.py", "exec")


def test_the_result_cache_never_returns_a_fix_for_an_old_helper_text(tmp_path):
    root = _project(tmp_path, crlf=False)
    env = {**os.environ, "LIME_TASK_LINT_JOBS": "1"}

    def fixes() -> list[dict]:
        done = subprocess.run([sys.executable, "-m", "lime_task_lint", "check", "--format", "json", "--select",
                               "LIME203", "acme/tasks.py"], cwd=root, capture_output=True, text=True, env=env)
        return json.loads(done.stdout)[0]["fix"]["edits"]

    people = root / "acme" / "people.py"
    first = fixes()
    assert fixes() == first  # from the cache
    people.write_text("\n\n" + PEOPLE, encoding="utf-8")
    moved = [e for e in fixes() if "filename" in e]
    assert [e["location"]["row"] for e in moved] == [e["location"]["row"] + 2 for e in first if "filename" in e]


@pytest.mark.parametrize("where", ["installed", "hidden"])
def test_installed_or_hidden_helpers_are_not_edited(tmp_path, where):
    root = tmp_path / "proj"
    folder = root / (".venv/lib/python3.11/site-packages" if where == "installed" else ".hidden")
    (folder / "vendorlib").mkdir(parents=True)
    (folder / "vendorlib" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "vendorlib" / "people.py").write_text(PEOPLE, encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    tasks = TASKS.replace("from acme.people import", "from vendorlib.people import")
    if where == "hidden":
        (root / "sitecustomize.py").write_text("", encoding="utf-8")
    (root / "tasks.py").write_text(tasks, encoding="utf-8")
    settings, _, _ = resolve_settings(root / "tasks.py")
    workspace = Workspace(root, time_budget=None)
    from lime_task_lint.checker import check
    from lime_task_lint.modules import ModuleIndex

    if where == "hidden":
        workspace.modules = ModuleIndex([root], site_packages=[folder])
    else:
        workspace.environment_path = str(root / ".venv")
    found = check(SourceDocument(tasks, str(root / "tasks.py")), settings, root=root, workspace=workspace,
                  codes={"LIME201", "LIME203"})
    helper_sites = [v for v in found.violations if "find_person()" in v.message or "save_ticket()" in v.message]
    assert helper_sites, [v.message for v in found.violations]
    for violation in helper_sites:
        assert violation.fix is None
        assert "not edited" in violation.message or "outside the workspace" in violation.message, violation.message


def test_stdin_and_editor_fix_all_edit_one_document(tmp_path):
    root = _project(tmp_path, crlf=False)
    snapshot = (root / "acme" / "people.py").read_bytes()
    done = _cli(root, "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", "--stdin-filename",
                "acme/tasks.py", "-", stdin=TASKS)
    assert done.stdout == TASKS, done.stderr  # the caller alone would break: nothing is applied
    assert (root / "acme" / "people.py").read_bytes() == snapshot
    settings, _, _ = resolve_settings(root / "acme" / "tasks.py")
    workspace = Workspace(root, time_budget=None)
    document = SourceDocument(TASKS, str(root / "acme" / "tasks.py"))
    edits = fix_all_edits(document, settings, unsafe=True, root=root, workspace=workspace)
    fixed = TASKS if not edits else TASKS[:edits[0].start] + edits[0].new_text + TASKS[edits[0].end:]
    assert "person_by_email" not in fixed and "unit_of_work" not in fixed
    assert (root / "acme" / "people.py").read_bytes() == snapshot


def test_the_example_workspace_fixes_its_cross_module_helpers():
    """examples/limepkg_acme/tasks/signups.py calls helpers of people.py: both get a fix."""
    path = ROOT / "examples" / "limepkg_acme" / "tasks" / "signups.py"
    settings, _, _ = resolve_settings(path)
    workspace = Workspace(settings.project_root or path.parent, time_budget=None)
    result = fix_text(path.read_text(encoding="utf-8"), settings, path=str(path), unsafe=True, workspace=workspace,
                      codes={"LIME201", "LIME203"}, other_files=True)
    assert result.applied == {"LIME201": 1, "LIME203": 1}, result.applied
    [people] = result.other_texts
    assert Path(people).name == "people.py" and text_digest(result.other_texts[people])
    assert not [v for v in result.remaining if v.code in ("LIME201", "LIME203")]


FIXTURE = Path(__file__).parent / "fixtures" / "cross_module"


def test_cross_module_fixture_snapshot(tmp_path):
    """``tests/fixtures/cross_module/before`` (a helper module and two caller modules,
    one fixed after the helper already has its keywords) flags exactly the lines
    marked ``# expect: CODE``, and ``check --fix --unsafe-fixes`` leaves every file as
    in ``after`` (``LIME_UPDATE_SNAPSHOTS=1`` rewrites ``after`` for review)."""
    import re
    import shutil

    root = tmp_path / "kund å" / "proj"
    shutil.copytree(FIXTURE / "before", root)
    report = json.loads(_cli(root, "--format", "json", "--select", "LIME201,LIME203", "acme").stdout)
    flagged = {(Path(r["filename"]).name, r["location"]["row"], r["code"]) for r in report}
    expected = set()
    for path in sorted((root / "acme").glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.search(r"#\s*expect:\s*(LIME\d{3})", line)
            if match:
                expected.add((path.name, number, match.group(1)))
    # A finding spanning lines is reported at its first line; the marker sits on its last.
    assert {(name, code) for name, _, code in flagged} == {(name, code) for name, _, code in expected}
    assert len(flagged) == len(expected)
    done = _cli(root, "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme")
    assert done.returncode == 0, done.stdout + done.stderr
    for path in sorted((FIXTURE / "after").rglob("*.py")):
        got = (root / path.relative_to(FIXTURE / "after")).read_text(encoding="utf-8")
        if os.environ.get("LIME_UPDATE_SNAPSHOTS"):
            path.write_text(got, encoding="utf-8")
        assert got == path.read_text(encoding="utf-8"), path.name
    # And the snapshot runs like the original on the fake app.
    before_people = (FIXTURE / "before" / "acme" / "people.py").read_text(encoding="utf-8")
    after_people = (FIXTURE / "after" / "acme" / "people.py").read_text(encoding="utf-8")
    for module, task, args in (("tasks", "names", (EMAILS,)), ("tasks", "known", (EMAILS,)),
                               ("tasks", "open_tickets", (CODES,)), ("more", "reopen", (CODES,))):
        source = (FIXTURE / "before" / "acme" / f"{module}.py").read_text(encoding="utf-8")
        fixed_source = (FIXTURE / "after" / "acme" / f"{module}.py").read_text(encoding="utf-8")
        before = _run(source, before_people, task, args, None, module)
        after = _run(fixed_source, after_people, task, args, None, module)
        assert before.exception is None, before.exception
        assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data), task
        assert after.reads + after.commits <= 2 + math.ceil(len(CODES) / 50) + 2, (task, after.reads, after.commits)


def test_the_editors_reuse_engine_keeps_the_other_files_edits(tmp_path):
    """A keystroke far from the loop moves the caller's edits; the helper file's
    edits (another text) stay as they were, and the fix stays whole."""
    from lime_task_lint.checker import check
    from lime_task_lint.incremental import IncrementalAnalyser

    root = _project(tmp_path, crlf=False)
    tasks = root / "acme" / "tasks.py"
    settings, _, _ = resolve_settings(tasks)
    workspace = Workspace(root, time_budget=None)
    analyser = IncrementalAnalyser()
    uri = tasks.as_uri()
    # Keystrokes in the first task's docstring: the later tasks' findings are reused, moved
    # (their fixes add no import, so each lies wholly after the edit: one shift for all).
    imported = TASKS.replace("from lime_task import task\n",
                             "import itertools\n\nfrom lime_filter import Filter, InOperator\nfrom lime_task import task\n")
    texts = [imported, imported.replace('"""Names of the senders."""', '"""Names of all the senders."""'),
             imported.replace('"""Names of the senders."""', '"""Names of the senders, all."""')]
    for version, text in enumerate(texts, start=1):
        analysis = analyser.analyse(uri, text, settings, path=str(tasks), version=version, root=root,
                                    workspace=workspace)
        fresh = check(SourceDocument(text, str(tasks)), settings, root=root, workspace=workspace)
        got = [(v.code, v.start, v.fix.to_dict() if v.fix else None) for v in analysis.violations
               if v.code in ("LIME201", "LIME203")]
        want = [(v.code, v.start, v.fix.to_dict() if v.fix else None) for v in fresh.violations
                if v.code in ("LIME201", "LIME203")]
        assert got == want
        assert all(fix and fix["other_files"] for _, _, fix in got), got
        if version > 1:  # reused and moved, not a fallback to a whole-file analysis
            assert analyser.stats.last_mode == "incremental", analyser.stats


def test_moving_a_finding_past_an_edit_keeps_its_other_files_edits():
    """Both ways the reuse engine moves a cached finding (per offset, and one shift
    for a component wholly after the edit) move this document's edits only."""
    from lime_task_lint.edits import Applicability, Edit, FileEdits, Fix
    from lime_task_lint.framework import Violation
    from lime_task_lint.incremental import _moved_violation, _OffsetMap, _shifted_violation

    elsewhere = (FileEdits("/x/people.py", "d" * 32, (Edit(5, 5, ", person_by_email=None"),)),)
    fix = Fix("Pre-fetch", (Edit(100, 100, "lookup = {}\n"), Edit(120, 121, "x")), Applicability.UNSAFE, elsewhere)
    found = Violation("LIME203", "N+1", 110, 115, fix)
    for moved in (_moved_violation(found, _OffsetMap([Edit(10, 12, "abcd")])), _shifted_violation(found, 2)):
        assert [(e.start, e.end) for e in moved.fix.edits] == [(102, 102), (122, 123)]
        assert moved.fix.other_files == elsewhere and (moved.start, moved.end) == (112, 117)
