"""The server's analysis scheduling, in process: no document waits for another
one's analysis, superseded runs never start, and a finding that needed a late
jedi answer is published when the answer arrives."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from lsprotocol import types as lsp

from lime_task_lint.documents import DocumentStore
from lime_task_lint.server import LimeServer
from lime_task_lint.workspace import Workspace

SMALL = '''from lime_task import task


@task
def tally(app):
    """Tally the deals."""
    return len(list(app.limetypes.deal.get_all()))
'''


def _server(root) -> tuple[LimeServer, list[lsp.PublishDiagnosticsParams]]:
    server = LimeServer()
    server._store = DocumentStore(root.as_uri())
    server.folder_uris[root.as_uri()] = root.as_uri()
    server.editor_settings[""] = {"debounceMs": 0}
    published: list[lsp.PublishDiagnosticsParams] = []

    def send(body: str) -> None:  # what the client would receive, as lsprotocol reads it
        published.append(server.protocol._converter.structure(json.loads(body), lsp.PublishDiagnosticsParams))

    server.send_diagnostics = send
    return server, published


def _open(server: LimeServer, path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    server.documents.open(uri, text, 1, "python")
    return uri


async def _until(predicate, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_small_document_is_analysed_while_a_big_ones_analysis_runs(tmp_path):
    server, _ = _server(tmp_path)
    big = _open(server, tmp_path / "big.py", SMALL * 3)
    small = _open(server, tmp_path / "small.py", SMALL)
    release = threading.Event()
    real = server._analyse_now

    def analyse(uri, *args):
        if uri == big:
            assert release.wait(30), "the test never released the big analysis"
        return real(uri, *args)

    server._analyse_now = analyse
    try:
        big_analysis = asyncio.ensure_future(server.analysis_async(big))
        await asyncio.sleep(0.1)  # the big analysis has started and blocks its thread
        analysis = await asyncio.wait_for(server.analysis_async(small), 20)
        assert [v.code for v in analysis.violations].count("LIME104") == 1
        assert not big_analysis.done()
    finally:
        release.set()
    assert (await asyncio.wait_for(big_analysis, 20)) is not None


async def test_superseded_runs_of_a_document_never_start(tmp_path):
    server, published = _server(tmp_path)
    server.editor_settings[""] = {"debounceMs": 50}
    uri = _open(server, tmp_path / "typed.py", SMALL)
    analysed: list[str] = []
    real = server._analyse_now

    def analyse(uri, text, *args):
        analysed.append(text)
        return real(uri, text, *args)

    server._analyse_now = analyse
    for number in range(5):  # five quick edits, each rescheduling the document
        server.documents.change(uri, number + 2, [lsp.TextDocumentContentChangeWholeDocument(
            text=SMALL + "\n" * number)])
        server.schedule(uri)
        await asyncio.sleep(0.005)
    await _until(lambda: published)
    await asyncio.sleep(0.2)
    assert analysed == [SMALL + "\n" * 4]
    assert [p.version for p in published] == [6]


JOB = '''def sweep(app, cutoff):
    print(cutoff)
    return app.limetypes.company.get_all().count
'''
SCHEDULE = '''from lime_task.schedule import ScheduledTask

from . import sweeper


def register_scheduled_tasks():
    return [ScheduledTask(task=sweeper.sweep)]
'''
#: Through a star import: our own import table does not follow it, jedi does (later).
SCHEDULE_INDIRECT = SCHEDULE.replace("from . import sweeper", "from .sweeper import *").replace(
    "task=sweeper.sweep", "task=sweep")


async def test_a_finding_that_needs_a_late_jedi_answer_is_published_when_it_arrives(tmp_path):
    server, published = _server(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n")
    package = tmp_path / "jobs"
    package.mkdir()
    (package / "__init__.py").write_text(SCHEDULE_INDIRECT)
    # No time for jedi at all: which functions are scheduled is known only after the first analysis.
    server.workspaces[str(tmp_path)] = Workspace(tmp_path, time_budget=0)
    uri = _open(server, package / "sweeper.py", JOB)
    server.schedule(uri, 0)
    await _until(lambda: any("LIME304" in {d.code for d in p.diagnostics} for p in published))
    first = {d.code for d in published[0].diagnostics}
    assert "LIME304" not in first, "the first publish could not know the schedule yet"
    assert all(p.version == 1 for p in published)


async def test_a_schedule_our_import_table_follows_is_known_at_the_first_publish(tmp_path):
    server, published = _server(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.lime-task-lint]\n")
    package = tmp_path / "jobs"
    package.mkdir()
    (package / "__init__.py").write_text(SCHEDULE)
    server.workspaces[str(tmp_path)] = Workspace(tmp_path, time_budget=0)  # jedi never answers in time
    uri = _open(server, package / "sweeper.py", JOB)
    server.schedule(uri, 0)
    await _until(lambda: published)
    assert "LIME304" in {d.code for d in published[0].diagnostics}


@pytest.mark.parametrize("path_parts, lint_library_files, linted", [
    ((".venv", "lib", "python3.11", "site-packages", "vendor", "mod.py"), False, False),
    (("env", "lib", "dist-packages", "vendor", "mod.py"), False, False),
    ((".venv", "lib", "python3.11", "site-packages", "vendor", "mod.py"), True, True),
    (("tasks", "mod.py"), False, True),
])
async def test_library_files_are_not_linted_unless_asked(tmp_path, path_parts, lint_library_files, linted):
    server, _ = _server(tmp_path)
    server.editor_settings[""] = {"debounceMs": 0, "lintLibraryFiles": lint_library_files}
    path = tmp_path.joinpath(*path_parts)
    path.parent.mkdir(parents=True)
    uri = _open(server, path, SMALL)
    assert (await server.analysis_async(uri) is not None) == linted


async def test_standard_library_files_are_not_linted(tmp_path):
    import json

    server, _ = _server(tmp_path)
    uri = json.__file__ and (__import__("pathlib").Path(json.__file__)).as_uri()
    server.documents.open(uri, SMALL, 1, "python")
    assert await server.analysis_async(uri) is None


async def test_the_full_garbage_collection_runs_when_idle_and_freezes_what_survives(tmp_path):
    """Python's full collection of a big file's objects (about 100 ms) must not land
    in a keystroke: the server runs it once nothing is to be analysed, and freezes
    the survivors so automatic collections scan only newer objects."""
    import gc

    server, published = _server(tmp_path)
    server.idle_collect_s = 0.05
    gc.unfreeze()
    try:
        blocker = asyncio.get_running_loop().create_future()
        server.pending["file:///elsewhere.py"] = blocker  # an analysis still to run elsewhere
        uri = _open(server, tmp_path / "tasks.py", SMALL)
        server.schedule(uri, 0)
        await _until(lambda: published)
        await asyncio.sleep(0.3)
        assert gc.get_freeze_count() == 0  # not while another analysis waits
        server.pending.pop("file:///elsewhere.py")
        blocker.cancel()
        await _until(lambda: gc.get_freeze_count() > 0, timeout=5)
    finally:
        gc.unfreeze()
        if server._idle_collect is not None:
            server._idle_collect.cancel()
