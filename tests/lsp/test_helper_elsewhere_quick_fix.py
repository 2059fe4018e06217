"""The quick fix for a helper of another module, over stdio: one WorkspaceEdit
that edits the caller (at its open version) and the helper's file (at its open
version when open, else version null on its text on disk), in UTF-16 positions
of each file's own text; the result is what ``check --fix --unsafe-fixes``
writes.  The server never offers edits computed on a text the other file no
longer has."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability, Edit, FileEdits, Fix, text_digest
from lime_task_lint.fixer import fix_text
from lime_task_lint.server import fix_workspace_edit
from lime_task_lint.settings import resolve_settings
from lime_task_lint.workspace import Workspace

from .helpers import apply_text_edits, next_diagnostics

PEOPLE = '''\
"""Personer — Åsa's helpers."""
from lime_filter import EqualsOperator, Filter


def find_person(app, email, label="Åsa 😀"):
    """The first person with this email, or None."""
    for person in app.limetypes.person.get_all(filter=Filter(EqualsOperator("email", email))):
        return person
    return None
'''

TASKS = '''\
"""Tasks."""
from lime_task import task

from acme.people import find_person


@task
def names(app, emails: list):
    """Names of the senders (😀 in a comment keeps UTF-16 honest)."""
    out = []
    for email in emails:
        person = find_person(app, email)
        out.append(person.properties.name.value if person else None)
    return out
'''


def _project(root: Path) -> tuple[Path, Path]:
    package = root / "kund å" / "acme"
    package.mkdir(parents=True)
    (root / "kund å" / "pyproject.toml").write_text("[tool.lime-task-lint]\n", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "people.py").write_text(PEOPLE, encoding="utf-8")
    (package / "tasks.py").write_text(TASKS, encoding="utf-8")
    return package / "tasks.py", package / "people.py"


async def _prefetch_action(client: LanguageClient, uri: str, after: int | None = None) -> lsp.CodeAction | None:
    diagnostics = (await next_diagnostics(client, uri, after=after)).diagnostics
    read = next(d for d in diagnostics if d.code == "LIME203")
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri), range=read.range,
        context=lsp.CodeActionContext(diagnostics=[read])))
    return next((a for a in actions or [] if a.title.startswith("Pre-fetch")), None)


def _expected(tasks: Path, people_text: str) -> tuple[str, str]:
    """What ``--fix --unsafe-fixes`` makes of the two files (LIME203 only)."""
    settings, _, _ = resolve_settings(tasks)
    workspace = Workspace(tasks.parents[1], time_budget=None)
    workspace.set_text(str(tasks.parent / "people.py"), people_text)
    result = fix_text(TASKS, settings, path=str(tasks), unsafe=True, workspace=workspace, codes={"LIME203"},
                      other_files=True)
    return result.text, result.other_texts[str((tasks.parent / "people.py").resolve())]


async def test_quick_fix_edits_the_helpers_file_too(client: LanguageClient, tmp_path):
    tasks, people = _project(tmp_path)
    tasks_uri = tasks.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=tasks_uri, language_id="python", version=3, text=TASKS)))
    action = await _prefetch_action(client, tasks_uri)
    assert action is not None and action.title.endswith("(unsafe)") and "in people.py" in action.title
    changes = {c.text_document.uri: c for c in action.edit.document_changes}
    assert set(changes) == {tasks_uri, people.as_uri()}
    assert changes[tasks_uri].text_document.version == 3
    assert changes[people.as_uri()].text_document.version is None  # not open: its text on disk
    new_tasks = apply_text_edits(TASKS, changes[tasks_uri].edits)
    new_people = apply_text_edits(PEOPLE, changes[people.as_uri()].edits)
    assert 'label="Åsa 😀", person_by_email=None)' in new_people
    assert (new_tasks, new_people) == _expected(tasks, PEOPLE)

    # The helper's file opened with unsaved text that moves the helper: the fix follows
    # that text and its version.
    unsaved = "# unsaved line\n" + PEOPLE
    published = len(client.published)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=people.as_uri(), language_id="python", version=7, text=unsaved)))
    action = await _prefetch_action(client, tasks_uri, after=published)
    assert action is not None
    changes = {c.text_document.uri: c for c in action.edit.document_changes}
    assert changes[people.as_uri()].text_document.version == 7
    assert apply_text_edits(unsaved, changes[people.as_uri()].edits) == _expected(tasks, unsaved)[1]


def test_no_edit_for_a_text_the_other_file_no_longer_has(tmp_path):
    tasks, people = _project(tmp_path)
    fix = Fix("Pre-fetch", (Edit(0, 0, "# caller\n"),), Applicability.UNSAFE,
              (FileEdits(str(people.resolve()), text_digest(PEOPLE), (Edit(0, 0, "# helper\n"),)),))
    analysis = SimpleNamespace(uri=tasks.as_uri(), version=1, document=SourceDocument(TASKS, str(tasks)))
    server = SimpleNamespace(documents=[])
    edit = fix_workspace_edit(server, analysis, fix, "utf-16")
    assert edit is not None and len(edit.document_changes) == 2
    people.write_text("x = 1\n" + PEOPLE, encoding="utf-8")  # changed on disk since
    assert fix_workspace_edit(server, analysis, fix, "utf-16") is None
    # Open with the text the fix was computed on: offered again, at the open version.
    opened = SimpleNamespace(uri=people.as_uri(), source=PEOPLE, version=4)
    edit = fix_workspace_edit(SimpleNamespace(documents=[opened]), analysis, fix, "utf-16")
    assert edit is not None and edit.document_changes[1].text_document.version == 4
