"""Red-team inputs for the fixes of a helper defined in *another* module (LIME203:
a read per call; LIME201: a commit per call; commits 10da686, 3dad649).

Every test not marked "HOLDS" failed on the code it was written against (3dad649)
and is now a regression test: each says what was wrong and what is right.  The safety bar: an unsafe fix may change
what its title documents (read timing, batching), never produce code that does
not run, change results or data otherwise, break the helper's other callers, or
edit a file it should not.  Behaviour is proved by running the original and the
fixed modules on the fake Lime app (``differential.outcome``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from differential import Scenario, outcome

SCHEMA = {"person": {"email": "string", "name": "string"}, "ticket": {"code": "string", "status": "string"}}
PEOPLE_ROWS = [{"email": f"p{i}@x.se", "name": f"P{i}"} for i in range(30)]
EMAILS = [f"p{i}@x.se" for i in range(0, 40, 3)]  # some unknown
CODES = [f"T{i}" for i in range(12)]

TASKS = '''\
from lime_task import task
from acme.people import find_person, save_ticket


@task
def names(app, emails: list):
    out = []
    for email in emails:
        out.append(find_person(app, email))
    return [repr(p) if not hasattr(p, "properties") else p.properties.name.value for p in out]


@task
def tickets(app, codes: list):
    for code in codes:
        save_ticket(app, code)
    return len(codes)
'''

#: A caller that passes neither new keyword: the helper's other callers must behave as before.
OTHER_CALLER = '''\
from acme.people import find_person, save_ticket


def single(app, email, code):
    person = find_person(app, email)
    save_ticket(app, code)
    return repr(person) if not hasattr(person, "properties") else person.properties.name.value
'''


def _project(tmp_path: Path, people: str, tasks: str = TASKS, extra: dict | None = None) -> Path:
    root = tmp_path / "proj"
    package = root / "acme"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "people.py").write_text(textwrap.dedent(people), encoding="utf-8")
    (package / "tasks.py").write_text(textwrap.dedent(tasks), encoding="utf-8")
    (package / "other.py").write_text(OTHER_CALLER, encoding="utf-8")
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _cli(root: Path, *args: str, cache: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIME_TASK_LINT_JOBS": "1"}
    return subprocess.run([sys.executable, "-m", "lime_task_lint", "check", *([] if cache else ["--no-cache"]), *args],
                          cwd=root, capture_output=True, text=True, encoding="utf-8", env=env)


def _fix(root: Path, *targets: str) -> subprocess.CompletedProcess:
    done = _cli(root, "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", *targets)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done


def _run(source: str, people: str, task: str, args: tuple, module: str = "tasks", extra: dict | None = None):
    scenario = Scenario(task, SCHEMA, {"person": PEOPLE_ROWS}, args=args,
                        modules={"acme": "", **(extra or {}), "acme.people": people})
    return outcome(source, task, scenario, module_name=f"task_{module}")


def _refused(root: Path, people_before: str, tasks_before: str, why: str) -> None:
    """No fix was applied to either file, and every remaining finding says why."""
    assert (root / "acme" / "people.py").read_text(encoding="utf-8") == people_before
    assert (root / "acme" / "tasks.py").read_text(encoding="utf-8") == textwrap.dedent(tasks_before)
    done = _cli(root, "--select", "LIME201,LIME203", "acme/tasks.py")
    messages = [line for line in done.stdout.splitlines() if "LIME20" in line]
    assert messages and all("no automatic fix" in m and why in m for m in messages), done.stdout


def _same_behaviour(root: Path, people_before: str, tasks_before: str = TASKS, extra: dict | None = None,
                    refused_because: str | None = None) -> None:
    """The fixed tasks and the untouched other caller do what they did before the fix
    (result, error, data); or, with ``refused_because``, no fix was applied and the
    findings say that reason."""
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    if refused_because is not None:
        _refused(root, people_before, tasks_before, refused_because)
        return
    assert people_after != people_before, "no fix was applied: the probe proves nothing"
    for task, args in (("names", (EMAILS,)), ("tickets", (CODES,))):
        before = _run(tasks_before, people_before, task, args, extra=extra)
        after = _run(tasks_after, people_after, task, args, extra=extra)
        assert before.exception is None, before.exception
        assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data), task
    before = _run(OTHER_CALLER, people_before, "single", ("p3@x.se", "X1"), "other", extra)
    after = _run(OTHER_CALLER, people_after, "single", ("p3@x.se", "X1"), "other", extra)
    assert before.exception is None, before.exception
    assert (after.result, after.exception, after.data, after.commits) == \
        (before.result, before.exception, before.data, before.commits), "the helper's other caller changed"


# --- BREAK: the new keyword shadows a name the helper already uses ------------------------------------------

UOW_NAMED_UNIT_OF_WORK = '''\
from lime_filter import EqualsOperator, Filter


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    unit_of_work = app.unit_of_work()
    unit_of_work.add(app.limetypes.ticket(code=code, status="open"))
    unit_of_work.commit()
'''


def test_helper_whose_unit_of_work_variable_is_named_unit_of_work(tmp_path):
    """WRONG: the helper's own unit of work is called ``unit_of_work``; the fix adds a
    parameter of that name and guards the commit with ``if unit_of_work is None`` after
    ``unit_of_work = app.unit_of_work() if unit_of_work is None else unit_of_work`` rebound
    it: the helper never commits, so every other caller silently loses its ticket.
    RIGHT: no fix (or a keyword name the helper does not bind); other callers keep committing."""
    root = _project(tmp_path, UOW_NAMED_UNIT_OF_WORK)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, UOW_NAMED_UNIT_OF_WORK)


LOCAL_NAMED_LIKE_THE_LOOKUP = '''\
from lime_filter import EqualsOperator, Filter


def find_person(app, email):
    person_by_email = "unknown"
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return person_by_email


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="open"))
    uow.commit()
'''


def test_helper_with_a_local_named_like_the_lookup(tmp_path):
    """WRONG: the helper binds a local ``person_by_email``; the fix adds a parameter of
    that name, which the local rebinding overwrites before the read, so the read becomes
    ``"unknown".get(email, [])``: AttributeError in the fixed task and in every other caller.
    RIGHT: the lookup's name avoids the helper's own names (``fresh_name`` only looks at the
    caller's function), or no fix."""
    root = _project(tmp_path, LOCAL_NAMED_LIKE_THE_LOOKUP)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, LOCAL_NAMED_LIKE_THE_LOOKUP)


GLOBALS_NAMED_LIKE_THE_KEYWORDS = '''\
from lime_filter import EqualsOperator, Filter

unit_of_work = "open"
person_by_email = "seen"


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person_by_email + ":" + person.properties.name.value
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status=unit_of_work))
    uow.commit()
'''


def test_helper_module_globals_named_like_the_new_keywords(tmp_path):
    """WRONG: the helper reads module globals ``person_by_email``/``unit_of_work``; the new
    parameters shadow them, so the helper returns ``None + ":"...`` (TypeError) for callers
    without the lookup, and stores the unit of work object (batched) or None (other
    callers) as the ticket's status.
    RIGHT: a keyword name that is free in the helper's module (globals included), or no fix."""
    root = _project(tmp_path, GLOBALS_NAMED_LIKE_THE_KEYWORDS)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, GLOBALS_NAMED_LIKE_THE_KEYWORDS)


# --- BREAK: the helper is defined twice: the dead definition is edited ----------------------------------------

DEFINED_TWICE = '''\
from lime_filter import EqualsOperator, Filter


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="old"))
    uow.commit()


# The newer versions (the ones Python binds):
def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="new"))
    uow.commit()
'''


def test_helper_defined_twice_edits_the_definition_python_binds(tmp_path):
    """WRONG: ``model.functions.get(qualname)`` finds the first ``def``, which the second
    replaces at import: the dead one gains ``person_by_email=None``/``unit_of_work=None``
    while the caller passes them to the live one: TypeError (unexpected keyword argument).
    RIGHT: edit the definition bound last, or no fix when the name is bound more than once."""
    root = _project(tmp_path, DEFINED_TWICE)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, DEFINED_TWICE, refused_because="bound more than once")


# --- BREAK: two calls of the helper in one loop: the second pre-fetch overwrites the first --------------------

PEOPLE = '''\
from lime_filter import EqualsOperator, Filter


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="open"))
    uow.commit()
'''

TWO_CALLS = '''\
from lime_task import task
from acme.people import find_person


@task
def pairs(app, rows: list):
    out = []
    for row in rows:
        sender = find_person(app, row["from"])
        receiver = find_person(app, row["to"])
        out.append((sender and sender.properties.name.value, receiver and receiver.properties.name.value))
    return out
'''


def test_two_calls_of_the_helper_in_one_loop_keep_both_lookups(tmp_path):
    """WRONG: the first pass pre-fetches the ``from`` keys into ``person_by_email``; the
    second pass sees the helper's existing ``person_by_email`` parameter, reuses that name
    for the caller's variable too and pre-fetches the ``to`` keys into a new
    ``person_by_email = {}`` that replaces the first: every sender not also a receiver
    becomes None.
    RIGHT: the second lookup gets a fresh caller-side name (``person_by_email_2``) passed as
    ``person_by_email=person_by_email_2``, or one lookup holding both key sets."""
    root = _project(tmp_path, PEOPLE, TWO_CALLS)
    _fix(root, "acme/tasks.py")
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    assert people_after != PEOPLE
    rows = [{"from": f"p{i}@x.se", "to": f"p{i + 10}@x.se"} for i in range(8)]
    before = _run(TWO_CALLS, PEOPLE, "pairs", (rows,))
    after = _run(tasks_after, people_after, "pairs", (rows,))
    assert before.exception is None and "'P0'" in before.result, before
    assert (after.result, after.exception) == (before.result, before.exception)


# --- BREAK: the caller pre-fetches from its own app while the helper is passed another ---------------------

OTHER_APP = '''\
from lime_task import task
from acme.people import find_person


@task
def archived_names(app, emails: list, archive):
    out = []
    for email in emails:
        person = find_person(archive, email)
        out.append(person.properties.name.value if person else None)
    return out
'''


def test_helper_passed_another_application_is_pre_fetched_from_that_one(tmp_path):
    """WRONG: the helper reads from the application it is passed (``archive``); the fix
    pre-fetches from the task's ``app`` (the application in scope before the loop) and
    hands that lookup over, so the names come from another database.
    RIGHT: pre-fetch from the expression passed as the helper's application parameter,
    or no fix when it is not the application the caller would read from."""
    from fakelime import FakeLimeApplication, seed

    root = _project(tmp_path, PEOPLE, OTHER_APP)
    _fix(root, "acme/tasks.py")
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    if people_after == PEOPLE:  # refused (``archive`` is not known to be an application): say why
        _refused(root, PEOPLE, OTHER_APP, "not known to be the application")
        # The same with an annotated archive: the fix reads from the application passed.
        annotated = OTHER_APP.replace("def archived_names(app, emails: list, archive)",
                                      "def archived_names(app, emails: list, archive: LimeApplication)")
        annotated = "from lime_application import LimeApplication\n" + annotated
        (root / "acme" / "tasks.py").write_text(annotated, encoding="utf-8")
        _fix(root, "acme/tasks.py")
        tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
        people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
        assert "archive.limetypes.person.get_all" in tasks_after, tasks_after
        OTHER_APP_RUN = annotated
    else:
        OTHER_APP_RUN = OTHER_APP
    results = []
    for tasks, people in ((OTHER_APP_RUN, PEOPLE), (tasks_after, people_after)):
        archive = FakeLimeApplication(SCHEMA)
        seed(archive, "person", [{"email": f"p{i}@x.se", "name": f"Archived{i}"} for i in range(30)])
        results.append(_run(tasks, people, "archived_names", (EMAILS, archive)))
    before, after = results
    assert before.exception is None and "Archived0" in before.result, before
    assert (after.result, after.exception) == (before.result, before.exception)


# --- BREAK: fix_text(other_files=True) leaves the caller's fixed text in the workspace -------------------------

def test_fix_text_restores_the_callers_text_in_the_workspace(tmp_path):
    """WRONG: when the last pass applied a fix that edits another file, ``previous`` is
    None and the ``finally`` skips ``tell(path, restore)``: the workspace keeps the caller's
    *fixed* text as its overlay although nothing was written.  The budget report
    (``file_budgets``: the editor's budgetReport command on the server's live workspace,
    and ``report``) then even "restores" that phantom text, so later cross-file answers and
    fixes that edit the caller's file are computed on text that is on no disk and in no editor.
    RIGHT: as documented, "its previous text for ``path`` is restored at the end" (here:
    no overlay, the file on disk), like ``_OtherFiles.forget`` does for the helper's file."""
    from lime_task_lint.fixer import fix_text
    from lime_task_lint.files import current_text
    from lime_task_lint.settings import resolve_settings
    from lime_task_lint.workspace import Workspace

    root = _project(tmp_path, PEOPLE)
    tasks = root / "acme" / "tasks.py"
    settings, _, _ = resolve_settings(tasks)
    workspace = Workspace(root, time_budget=None)
    result = fix_text(TASKS, settings, path=str(tasks), unsafe=True, root=root, workspace=workspace,
                      codes={"LIME201", "LIME203"}, other_files=True)
    assert result.applied and result.text != TASKS  # the fixes were applied (to returned texts only)
    assert current_text(str(tasks.resolve()), workspace) == TASKS
    assert current_text(str((root / "acme" / "people.py").resolve()), workspace) == PEOPLE


# --- MISSED FINDING (not unsafe): fixing one caller hides the other callers' commit per item ---------------

SECOND_CALLER = '''\
from lime_task import task
from acme.people import save_ticket


@task
def more_tickets(app, codes: list):
    for code in codes:
        save_ticket(app, code)
    return len(codes)
'''


def test_fixing_one_caller_keeps_the_commit_per_item_of_another_caller_reported(tmp_path):
    """WRONG: after ``--fix`` on tasks.py, save_ticket's commit sits under
    ``if unit_of_work is None:``, and LIME201 no longer reports ``more_tickets`` in another
    file, which still commits once per code (proved by running it); it also can never get
    the fix (``it already has a unit_of_work parameter``).  A fix in one file silently
    turns off a finding in every other caller's file.
    RIGHT: a call that passes no ``unit_of_work`` to a helper that commits when it is None
    is still a commit per item (LIME201 reported, ideally with the caller-only fix)."""
    root = _project(tmp_path, PEOPLE, extra={"acme/more.py": SECOND_CALLER})
    _fix(root, "acme/tasks.py")
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    assert "unit_of_work=None" in people_after
    ran = _run(SECOND_CALLER, people_after, "more_tickets", (CODES,), "more")
    assert ran.exception is None and ran.commits == len(CODES)  # still one commit per item
    done = _cli(root, "--select", "LIME201", "acme/more.py")
    assert "LIME201" in done.stdout, done.stdout + done.stderr


# --- BREAK: a fix whose helper already takes the lookup rewrites the unchanged helper file ----------------

def test_a_fix_that_leaves_the_helper_file_unchanged_does_not_rewrite_or_count_it(tmp_path):
    """WRONG: once people.py has ``person_by_email=None`` (an earlier ``--fix`` of one
    caller), fixing a second caller carries an empty ``FileEdits`` for people.py; the CLI
    writes people.py again (same bytes, new inode and mtime: editors report it changed on
    disk, build tools rebuild) and reports "Fixed 1 problem in 2 files" for one changed file.
    RIGHT: only files whose text changed are written and counted ("in 1 file")."""
    root = _project(tmp_path, PEOPLE, extra={"acme/second.py": TASKS})
    first = _fix(root, "--select", "LIME203", "acme/tasks.py")
    assert "in 2 files" in first.stdout, first.stdout
    people = root / "acme" / "people.py"
    before = people.read_bytes()
    inode = people.stat().st_ino
    second = _fix(root, "--select", "LIME203", "acme/second.py")
    assert "person_by_email=person_by_email" in (root / "acme" / "second.py").read_text(encoding="utf-8")
    assert people.read_bytes() == before
    assert people.stat().st_ino == inode, "people.py was rewritten although its text did not change"
    assert "Fixed 1 problem in 1 file." in second.stdout, second.stdout


# --- BREAK (policy): an excluded and git-ignored helper file is edited ----------------------------------------

def test_an_excluded_and_ignored_helper_file_is_not_edited(tmp_path):
    """WRONG: acme/generated/people.py is matched by ``exclude`` ("files not to lint") and
    by .gitignore (generated code), yet ``--fix`` on acme/ rewrites it to give the helper its
    new keyword: the edit is lost at the next generation, and the caller then passes an
    unexpected keyword (TypeError).
    RIGHT: like installed code, a helper in a file the project excludes or ignores gets no
    fix (the finding says why)."""
    root = _project(tmp_path, PEOPLE, TASKS.replace("acme.people", "acme.generated.people"),
                    extra={"acme/generated/__init__.py": "", "acme/generated/people.py": PEOPLE})
    (root / "pyproject.toml").write_text('[tool.lime-task-lint]\nexclude = ["acme/generated/*"]\n', encoding="utf-8")
    (root / ".gitignore").write_text("acme/generated/\n", encoding="utf-8")
    _fix(root, "acme")
    assert (root / "acme" / "generated" / "people.py").read_text(encoding="utf-8") == PEOPLE


# --- BREAK: the editor quick fix for a closed helper file with a BOM, the helper on line 1 ---------------

BOM_PEOPLE_DEF_ON_LINE_1 = '''\
def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


from lime_filter import EqualsOperator, Filter  # noqa: E402 (used at call time)
'''


def test_quick_fix_positions_in_a_closed_helper_file_with_a_bom(tmp_path):
    """WRONG: for a helper file that is not open, ``fix_workspace_edit`` converts the
    edits to LSP positions with ``LineIndex`` of the file's bytes *including* the BOM, so
    on line 0 every character is one too far right for the editor, whose document has no
    BOM (VS Code strips it): ``def find_person(app, email), person_by_email=None:`` does
    not parse.  (``--fix`` writes the same edits correctly: it applies offsets, not LSP
    positions.)
    RIGHT: positions in the text the editor shows (without the BOM), as for open documents."""
    from types import SimpleNamespace

    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.server import fix_workspace_edit
    from lime_task_lint.settings import resolve_settings
    from lime_task_lint.workspace import Workspace

    sys.path.insert(0, str(Path(__file__).parent / "lsp"))
    from helpers import apply_text_edits

    root = _project(tmp_path, PEOPLE)
    people = root / "acme" / "people.py"
    people.write_bytes("\ufeff".encode("utf-8") + BOM_PEOPLE_DEF_ON_LINE_1.encode("utf-8"))
    tasks = root / "acme" / "tasks.py"
    settings, _, _ = resolve_settings(tasks)
    found = check(SourceDocument(TASKS, str(tasks)), settings, root=root, workspace=Workspace(root, time_budget=None),
                  codes={"LIME203"})
    fix = next(v.fix for v in found.violations if v.fix is not None)
    analysis = SimpleNamespace(uri=tasks.as_uri(), version=1, document=SourceDocument(TASKS, str(tasks)))
    edit = fix_workspace_edit(SimpleNamespace(documents=[]), analysis, fix, "utf-16")
    assert edit is not None
    [helper_change] = [c for c in edit.document_changes if c.text_document.uri != tasks.as_uri()]
    in_editor = apply_text_edits(BOM_PEOPLE_DEF_ON_LINE_1, helper_change.edits)  # the editor's text: no BOM
    assert in_editor.startswith("def find_person(app, email, person_by_email=None):"), in_editor[:80]
    compile(in_editor, "people.py", "exec")


# --- BREAK: the helper's name is rebound to a wrapper after its def --------------------------------------

REBOUND_TO_WRAPPERS = '''\
import functools

from lime_filter import EqualsOperator, Filter


def logged(function):
    def wrapper(app, key):
        return function(app, key)
    return wrapper


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="open"))
    uow.commit()


find_person = functools.lru_cache(maxsize=None)(find_person)
save_ticket = logged(save_ticket)
'''


def test_helper_rebound_to_a_wrapper_is_not_treated_as_a_plain_function(tmp_path):
    """WRONG: the preconditions refuse a decorated helper ("a decorator may change how it
    is called") but not the same decoration written as ``name = wrapper(name)``: the fix
    edits the ``def`` while callers call the wrapper: ``lru_cache`` raises TypeError
    (unhashable dict) for ``person_by_email=...``, and ``logged``'s wrapper takes no
    ``unit_of_work`` keyword (TypeError).
    RIGHT: a helper whose module binds its name more than once (or to anything but the
    ``def``) gets no fix."""
    root = _project(tmp_path, REBOUND_TO_WRAPPERS)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, REBOUND_TO_WRAPPERS, refused_because="bound more than once")


# --- BREAK: --fix writes the caller before the helper's file: a failed helper write leaves broken code ------

def test_a_helper_file_that_cannot_be_written_leaves_the_caller_unchanged(tmp_path, monkeypatch):
    """WRONG: ``--fix`` writes the caller first, then the helper's file; when the helper's
    write fails (read-only file system, a file owned by another user, disk full: simulated
    here), the run stops with a traceback and the caller on disk already passes
    ``person_by_email=``/``unit_of_work=`` to a helper without them: TypeError at run time.
    The fix is documented as "applied whole or not at all".
    RIGHT: every file a fix changes is written, or none (write the other files first and
    the caller last, or roll back), and the failure is reported as an error, not a crash."""
    from lime_task_lint import cli

    root = _project(tmp_path, PEOPLE)
    people = (root / "acme" / "people.py").resolve()
    real_write = cli.write_atomically

    def failing_write(path, text):
        if Path(path).resolve() == people:
            raise PermissionError(13, "Permission denied", str(path))
        real_write(path, text)

    monkeypatch.setattr(cli, "write_atomically", failing_write)
    monkeypatch.chdir(root)
    monkeypatch.setenv("LIME_TASK_LINT_JOBS", "1")
    try:
        cli.main(["check", "--no-cache", "--fix", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme/tasks.py"])
    except PermissionError:
        pass  # a crash is a second problem; the files on disk are the first
    assert (root / "acme" / "people.py").read_text(encoding="utf-8") == PEOPLE
    assert (root / "acme" / "tasks.py").read_text(encoding="utf-8") == TASKS, "the caller was fixed without its helper"


# --- BREAK: LIME201's keyword lands in the wrong place when the call's `)` is on a line of its own ---------

MULTILINE_CALL = '''\
from lime_task import task
from acme.people import save_ticket


@task
def tickets(app, codes: list):
    for code in codes:
        save_ticket(
            app,
            code,  # the code of the ticket
        )  # stored one at a time until the support case about timeouts is closed
    return len(codes)
'''


def test_batching_a_call_whose_closing_parenthesis_has_a_line_of_its_own(tmp_path):
    """WRONG: ``_caller_edits`` measures the keyword's column from the start of the call's
    *last* line (the ``)`` line) although the last argument ends on an earlier line: the
    column is negative and ``, unit_of_work=uow`` is spliced into the trailing comment.
    The fix is applied ("Fixed 1 problem"), the helper gains ``unit_of_work=None``, but the
    call passes nothing: still one commit per code (plus an empty commit per batch), the
    comment is corrupted, and LIME201 goes silent.  (Without the comments the keyword lands
    at column 3 of the ``)`` line: valid but mangled layout; with a trailing comma alone the
    result does not parse and the fix is dropped.)
    RIGHT: the keyword right after the last argument (``code, unit_of_work=uow,  # the code...``)."""
    root = _project(tmp_path, PEOPLE, MULTILINE_CALL)
    _fix(root, "acme/tasks.py")
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    assert "# stored one at a time until the support case about timeouts is closed\n" in tasks_after, tasks_after
    before = _run(MULTILINE_CALL, PEOPLE, "tickets", (CODES,))
    after = _run(tasks_after, people_after, "tickets", (CODES,))
    assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data)
    assert before.commits == len(CODES) and after.commits == 1, after.commits  # 12 codes: one batch


# --- BREAK: LIME201 re-indents the loop body as text, inside a multi-line string too --------------------

MULTILINE_STRING_IN_LOOP = '''\
from lime_task import task
from acme.people import save_ticket


@task
def tickets(app, codes: list):
    for code in codes:
        label = f"""{code}
second line"""
        save_ticket(app, label)
    return len(codes)
'''


def test_batching_keeps_a_multi_line_string_in_the_loop_body(tmp_path):
    """WRONG: the batched loop's body is re-indented line by line as text, so the second
    line of the triple-quoted string gains four spaces: every ticket is stored with code
    ``"T0\\n    second line"`` instead of ``"T0\\nsecond line"`` (data changed, not documented).
    RIGHT: lines inside a string are not re-indented (or no fix when the body holds a
    multi-line string, as ``roundtrips._has_multiline_string`` guards elsewhere)."""
    root = _project(tmp_path, PEOPLE, MULTILINE_STRING_IN_LOOP)
    _fix(root, "acme/tasks.py")
    tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
    people_after = (root / "acme" / "people.py").read_text(encoding="utf-8")
    if "unit_of_work=uow" not in tasks_after:  # refused: the finding says why
        _refused(root, PEOPLE, MULTILINE_STRING_IN_LOOP, "string of several lines")
        return
    before = _run(MULTILINE_STRING_IN_LOOP, PEOPLE, "tickets", (CODES,))
    after = _run(tasks_after, people_after, "tickets", (CODES,))
    assert before.exception is None
    assert (after.result, after.exception, after.data) == (before.result, before.exception, before.data)


# --- BREAK: the helper's commit shares its line with the add: the guard swallows the add -----------------

ADD_AND_COMMIT_ON_ONE_LINE = '''\
from lime_filter import EqualsOperator, Filter


def find_person(app, email):
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None


def save_ticket(app, code):
    uow = app.unit_of_work()
    uow.add(app.limetypes.ticket(code=code, status="open")); uow.commit()
'''


def test_helper_whose_add_and_commit_share_a_line(tmp_path):
    """WRONG: the helper edit replaces the commit's whole *lines* with
    ``if unit_of_work is None:`` + those lines, so ``uow.add(...)`` before the ``;`` moves
    under the guard: a batched caller never adds anything and every ticket is lost
    (``tickets`` stores 0 of 12).
    RIGHT: guard only the commit statement (or no fix when it does not stand on lines of its
    own, as the caller's loop already must)."""
    root = _project(tmp_path, ADD_AND_COMMIT_ON_ONE_LINE)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, ADD_AND_COMMIT_ON_ONE_LINE)


# --- BREAK: --fix reports a helper file's remaining findings at positions of its text before a later fix ----

UNFIXABLE_AFTER_THE_HELPERS = PEOPLE + '''

def wipe(app, ids):
    for i in ids:
        uow = app.unit_of_work()
        uow.add(app.limetypes.ticket(code=i, status="x"))
        uow.commit()
        if i == 3:
            break
'''


def test_fix_reports_the_remaining_findings_of_the_files_it_wrote(tmp_path):
    """WRONG: ``--fix acme`` checks people.py first (its findings are reported on that
    text), then fixing tasks.py edits people.py (the commit guard adds a line): the report
    says people.py:16 and :18 while the file now has them at 17 and 19 (a from-scratch
    ``check`` says so).
    RIGHT: what ``--fix`` reports for every file equals a from-scratch check of the files it
    leaves on disk (re-check a file another file's fix changed)."""
    root = _project(tmp_path, UNFIXABLE_AFTER_THE_HELPERS)
    select = ("--select", "LIME201,LIME203,LIME204")
    fixed = _cli(root, "--fix", "--unsafe-fixes", *select, "acme")
    assert "Fixed" in fixed.stdout and "unit_of_work=None" in (root / "acme" / "people.py").read_text(encoding="utf-8")
    again = _cli(root, *select, "acme")
    reported = sorted(line.split(" ")[0] for line in fixed.stdout.splitlines() if line.startswith("acme/"))
    now = sorted(line.split(" ")[0] for line in again.stdout.splitlines() if line.startswith("acme/"))
    assert reported == now


# --- BREAK: the edited def is only the fallback of an import ------------------------------------------------

FALLBACK_DEFS = '''\
from lime_filter import EqualsOperator, Filter

try:
    from acme_fast import find_person, save_ticket
except ImportError:
    def find_person(app, email):
        for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
            return person
        return None

    def save_ticket(app, code):
        uow = app.unit_of_work()
        uow.add(app.limetypes.ticket(code=code, status="open"))
        uow.commit()
'''

#: The accelerated module production installs: same behaviour, same signatures.
ACME_FAST = PEOPLE


def test_helper_defined_as_the_fallback_of_an_import(tmp_path):
    """WRONG: people.py binds ``find_person``/``save_ticket`` from ``acme_fast`` when it is
    installed and defines them only in ``except ImportError``; the fix edits the fallback
    ``def``s, so wherever ``acme_fast`` is installed the fixed caller passes
    ``person_by_email=``/``unit_of_work=`` to functions without them: TypeError.
    RIGHT: no fix when the helper's name is also bound otherwise (an import, an assignment,
    a second ``def``) in its module."""
    root = _project(tmp_path, FALLBACK_DEFS)
    _fix(root, "acme/tasks.py")
    _same_behaviour(root, FALLBACK_DEFS, extra={"acme_fast": ACME_FAST}, refused_because="not a plain function")


# --- HOLDS (guards): inputs that were tried and were handled right --------------------------------------

PEOPLE_WITH_OWN_LOOPS = PEOPLE + '''

def people_names(app, emails):
    out = []
    for email in emails:
        out.append(find_person(app, email))
    return out


def many_tickets(app, codes):
    for code in codes:
        save_ticket(app, code)
'''


def test_holds_diff_then_patch_equals_fix_with_the_helper_file_between_two_callers(tmp_path):
    """HOLDS: ``--diff`` of a run where the helper file is itself a target with its own fixes
    and sits between two callers in the run order (b_ before, z_ after a_people), applied
    with ``patch -p1``, gives exactly the files ``--fix`` writes; each file's diff is printed
    once and the helper gains each keyword once."""
    import shutil

    if shutil.which("patch") is None:
        import pytest
        pytest.skip("no patch program")
    files = {"acme/__init__.py": "", "acme/a_people.py": PEOPLE_WITH_OWN_LOOPS,
             "acme/b_tasks.py": TASKS.replace("acme.people", "acme.a_people"),
             "acme/z_tasks.py": TASKS.replace("acme.people", "acme.a_people")}
    roots = []
    for name in ("diffed", "fixed"):
        root = tmp_path / name
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        (root / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
        roots.append(root)
    diffed, fixed = roots
    diff = _cli(diffed, "--diff", "--unsafe-fixes", "--select", "LIME201,LIME203", "acme")
    assert diff.stdout.count("--- a/acme/a_people.py") == 1, diff.stdout
    patched = subprocess.run(["patch", "-p1"], cwd=diffed, input=diff.stdout, capture_output=True, text=True)
    assert patched.returncode == 0, patched.stdout + patched.stderr
    _fix(fixed, "acme")
    for rel in files:
        assert (diffed / rel).read_text(encoding="utf-8") == (fixed / rel).read_text(encoding="utf-8"), rel
    people = (fixed / "acme" / "a_people.py").read_text(encoding="utf-8")
    assert people.count("person_by_email=None") == 1 and people.count("unit_of_work=None") == 1


def test_holds_aliased_imports_of_the_helper_run_the_same(tmp_path):
    """HOLDS: ``import acme.people as p; p.find_person(...)`` and
    ``from .people import find_person as fp`` are resolved to people.py, both files are
    edited, and the fixed tasks and the other caller behave as before."""
    for n, tasks in enumerate((
            TASKS.replace("from acme.people import find_person, save_ticket", "import acme.people as p")
                 .replace("find_person(app", "p.find_person(app").replace("save_ticket(app", "p.save_ticket(app"),
            TASKS.replace("from acme.people import find_person, save_ticket",
                          "from .people import find_person as fp, save_ticket as st")
                 .replace("find_person(app", "fp(app").replace("save_ticket(app", "st(app"))):
        root = _project(tmp_path / str(n), PEOPLE, tasks)
        _fix(root, "acme/tasks.py")
        tasks_after = (root / "acme" / "tasks.py").read_text(encoding="utf-8")
        assert "person_by_email=person_by_email" in tasks_after and "unit_of_work=uow" in tasks_after
        if n == 0:  # the relative import needs a package the fake loader does not build
            _same_behaviour(root, PEOPLE, tasks)
