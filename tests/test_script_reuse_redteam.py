"""Red-team tests of the kept ``jedi.Script``.  First version (2285684): every
workspace kept one Script per file text and spared their trees in its own trims
of parso's cache; five of these tests broke it (KeyErrors from parso's cache, a
stale helper, a tree kept after a hover).  Now Scripts are kept only inside an
analysis (``Workspace.analysis_scope``, entered by ``checker.check``), and
parso's cache, one per process, is trimmed only when no question runs and no
workspace keeps a Script (``workspace._trim_if_idle``).

A kept Script keeps jedi's inference state: the modules it loaded, and jedi's
filters look each module's tree up in parso's process-wide cache
(``jedi.parser_utils.get_parso_cache_node``, a KeyError when the tree is gone).
Before the commit every question had a new Script, so none of this could be
stale or missing.  Each test says its input and what it expects; the ones that
fail are breaks of the commit (see the docstrings), the others are coverage.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

import lime_task_lint.workspace as workspace_module
from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings
from lime_task_lint.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, generate_scheduled  # noqa: E402

HELPERS = (
    "def fetch(app, key):\n    return app.limetypes.person.get(key)\n\n\n"
    "def store(app, key):\n    return app.limetypes.company.get(key)\n"
)
#: Enough functions to make a file longer than the patched PARSO_CACHE_MAX_LINES.
PADDING = "".join(f"\n\ndef pad{n}():\n    return {n}\n" for n in range(20))


def _calls(text: str, name: str) -> list[ast.Call]:
    """The calls of ``name`` (``name(...)`` or ``x.name(...)``) in ``text``, in source order."""
    found = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)
             and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)]
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "limepkg_redteam"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    return package


def _parso_cached(under: Path) -> list[str]:
    import parso.cache

    return sorted(str(path) for grammar in parso.cache.parser_cache.values() for path in grammar
                  if str(path).startswith(str(under)))


@pytest.fixture
def jedi_failures(monkeypatch):
    """Every exception a jedi question raised but jedi's own deletion race
    (``_asking_jedi`` asks again after one, so the answer may still come; the
    failure itself is what is recorded)."""
    failures: list[BaseException] = []
    original = workspace_module._asking_jedi

    def recording(compute, what, *args, **kwargs):
        def watched():
            try:
                return compute()
            except Exception as exc:
                # jedi's subprocess deletion race (a queued deletion of a freed inference
                # state, left by earlier tests) is jedi's own, whatever Script is asked.
                if not workspace_module._is_jedi_deletion_race(exc):
                    failures.append(exc)
                raise

        return original(watched, what, *args, **kwargs)

    monkeypatch.setattr(workspace_module, "_asking_jedi", recording)
    return failures


@pytest.fixture
def short_parso_limit(monkeypatch):
    """Files over 10 lines count as long: their parso trees are trimmed after each question."""
    monkeypatch.setattr(workspace_module, "PARSO_CACHE_MAX_LINES", 10)


# -- KeyError from parso's cache: a kept Script whose trees were trimmed ---------------------
def test_kept_script_answers_a_second_question_about_a_long_imported_module(tmp_path, short_parso_limit,
                                                                             jedi_failures):
    """Input: ``jobs.py`` (short) does ``from . import helpers`` and calls
    ``helpers.fetch(...)`` then ``helpers.store(...)``; ``helpers.py`` is long
    (over ``PARSO_CACHE_MAX_LINES``).  Two ``resolve_call`` questions, CLI mode.

    Expected: both resolve to helpers.py, and jedi raises nothing on the way.

    BREAK: the first question loads helpers.py into the kept Script's inference
    state, then the trim drops helpers.py's tree (only jobs.py is spared).  The
    second question, asked of the same Script, builds a filter on its cached
    helpers module: ``get_parso_cache_node`` raises ``KeyError(helpers.py)``.
    ``_asking_jedi`` hides it by asking again with a new Script (the whole file
    parsed again: the reuse the commit is for is lost on every second question
    into a long module, and one more transient failure loses the answer)."""
    text = "from . import helpers\n\n\ndef job(app):\n    helpers.fetch(app, 1)\n    helpers.store(app, 2)\n"
    package = _package(tmp_path, {"helpers.py": HELPERS + PADDING, "jobs.py": text})
    workspace = Workspace(tmp_path, time_budget=None)
    try:
        path = str(package / "jobs.py")
        with workspace.analysis_scope():  # where Scripts are kept
            first = workspace.resolve_call(path, _calls(text, "fetch")[0])
            second = workspace.resolve_call(path, _calls(text, "store")[0])
        assert first is not None and first[1].name == "fetch"
        assert second is not None and second[1].name == "store"
        assert jedi_failures == []
    finally:
        workspace.close()


def test_another_workspace_trimming_parso_cache_does_not_break_a_kept_script(tmp_path, short_parso_limit,
                                                                              jedi_failures):
    """Input: two workspaces (the server keeps one per folder; parso's cache is
    one per process).  W2 asks about the first call in its long ``jobs.py``
    (its Script is kept, its tree spared by W2's trims), then W1 answers any
    question, then W2 asks about the second call of the same text.

    Expected: W2's second question answers without jedi failing.

    BREAK: W1's trim spares only W1's kept files, so it drops W2's jobs.py
    tree while W2 still holds that Script; W2's next question raises
    ``KeyError(jobs.py)`` in ``get_parso_cache_node`` (hidden by a retry with a
    new Script).  With two folders open, each with its own jedi thread, this
    also happens in the middle of a question."""
    text = ("from .helpers import fetch, store\n\n\ndef job(app):\n    fetch(app, 1)\n"
            + "".join(f"    x{n} = {n}\n" for n in range(30)) + "    store(app, 2)\n")
    first_root, second_root = tmp_path / "one", tmp_path / "two"
    first_package = _package(first_root, {"helpers.py": HELPERS, "jobs.py": text})
    second_package = _package(second_root, {"helpers.py": HELPERS, "jobs.py": text})
    first, second = Workspace(first_root, time_budget=None), Workspace(second_root, time_budget=None)
    try:
        with second.analysis_scope():
            assert second.resolve_call(str(second_package / "jobs.py"), _calls(text, "fetch")[0]) is not None
            with first.analysis_scope():
                assert first.resolve_call(str(first_package / "jobs.py"), _calls(text, "fetch")[0]) is not None
            found = second.resolve_call(str(second_package / "jobs.py"), _calls(text, "store")[0])
        assert found is not None and found[1].name == "store"
        assert jedi_failures == []
    finally:
        first.close()
        second.close()


def test_an_analysis_ending_while_another_thread_asks_jedi_trims_nothing_it_reads(tmp_path, monkeypatch,
                                                                                  short_parso_limit, jedi_failures):
    """Input (the server analyses up to three documents at once): analysis thread
    B asks about the long ``jobs.py`` outside any analysis (a hover's question:
    its Script is kept by nobody) and is held inside jedi's answer (an event, no
    sleep) while analysis thread A's ``analysis_scope`` ends, which trims
    parso's cache when the process is idle.

    Expected: A's end trims nothing while B's question runs (B's Script reads
    jobs.py's tree from parso's cache), B answers without jedi failing, and the
    tree is trimmed once B is done.

    The first version's trim spared only the files its own workspace kept, read
    before B's Script existed: B's goto raised ``KeyError(jobs.py)`` in
    ``get_parso_cache_node`` (hidden by a retry that parsed the file again)."""
    text = ("from .helpers import fetch\n\n\ndef job(app):\n"
            + "".join(f"    x{n} = {n}\n" for n in range(30)) + "    fetch(app, 1)\n")
    package = _package(tmp_path, {"helpers.py": HELPERS, "jobs.py": text})
    path = str(package / "jobs.py")
    workspace, other = Workspace(tmp_path, time_budget=None), Workspace(tmp_path, time_budget=None)
    built, go = threading.Event(), threading.Event()
    original_goto = Workspace._goto_with
    answers: list = []

    def goto_with(self, script, line, column):
        if self is workspace and not built.is_set():
            built.set()  # B's Script is made and parsed; now it answers
            assert go.wait(30)
        return original_goto(self, script, line, column)

    monkeypatch.setattr(Workspace, "_goto_with", goto_with)
    thread = threading.Thread(target=lambda: answers.append(workspace.resolve_call(path, _calls(text, "fetch")[0])))
    try:
        thread.start()
        assert built.wait(30)
        with other.analysis_scope():  # thread A: an analysis begins and ends
            pass
        assert any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))  # B still reads it
        go.set()
        thread.join(30)
        assert answers and answers[0] is not None and answers[0][1].name == "fetch"
        assert jedi_failures == []
        assert not any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))  # trimmed once B is done
    finally:
        go.set()
        workspace.close()
        other.close()


# -- stale answers ----------------------------------------------------------------------------
def test_helper_moved_on_disk_between_two_questions_of_one_text(tmp_path, jedi_failures):
    """(Outside an analysis, as a hover asks.  Inside one, a file saved in the
    middle of the analysis without ``changed()`` is seen by its next analysis,
    as the answers cached per generation are.)

    Input: ``jobs.py`` imports ``fetch`` and ``store`` from ``helpers.py``.
    CLI mode: ``resolve_call`` of the ``fetch(...)`` call; then helpers.py is
    saved on disk as ``from .other import fetch, store`` (both now live in
    other.py; its mtime moves on), without ``changed()`` (a save arriving while
    the analysis runs, before the editor's notification; the CLI, which
    writes fixed files and never calls ``changed``); then ``resolve_call`` of
    the ``store(...)`` call, a question not asked before.

    Expected: the answer a fresh Workspace gives on the same files:
    ``other.py:store`` (the Workspace reads files by their stamp, and before
    the commit each question's new Script read helpers.py again).

    BREAK: jobs.py's text did not change, so the kept Script answers, with
    helpers.py as it loaded it: ``helpers.py:store``, a function that no longer
    exists there, so ``resolve_call`` answers None ("not a workspace helper").
    (Order matters: had another Script parsed the new helpers.py into parso's
    cache first, the kept one would have found it: the answer depends on what
    else jedi did meanwhile.)"""
    text = "from .helpers import fetch, store\n\n\ndef job(app):\n    fetch(app, 1)\n    store(app, 2)\n"
    package = _package(tmp_path, {"helpers.py": HELPERS, "other.py": HELPERS, "jobs.py": text})
    path = str(package / "jobs.py")
    workspace = Workspace(tmp_path, time_budget=None)
    fresh = None
    try:
        first = workspace.resolve_call(path, _calls(text, "fetch")[0])
        assert first is not None and Path(first[0]).name == "helpers.py"
        helpers = package / "helpers.py"
        before = os.stat(helpers).st_mtime_ns
        helpers.write_text("from .other import fetch, store\n", encoding="utf-8")
        os.utime(helpers, ns=(before + 5_000_000_000, before + 5_000_000_000))
        found = workspace.resolve_call(path, _calls(text, "store")[0])
        fresh = Workspace(tmp_path, time_budget=None)
        expected = fresh.resolve_call(path, _calls(text, "store")[0])
        assert expected is not None and Path(expected[0]).name == "other.py"
        assert found is not None and (found[0], found[1].name) == (expected[0], expected[1].name)
    finally:
        workspace.close()
        if fresh is not None:
            fresh.close()


def test_scheduled_names_follow_a_changed_target_module(tmp_path):
    """Input: ``tasks/__init__.py`` schedules ``task=alias.run`` through an
    alias our trees cannot follow (jedi answers); ``changed()`` after the
    target module renames ``run`` to ``run_all`` and the schedule follows.

    Expected: ``scheduled_task_names`` of the target first has ``run``, then
    ``run_all`` and no ``run``, as a fresh Workspace says (the kept Scripts are
    dropped by ``changed``)."""
    package = _package(tmp_path, {
        "jobs.py": "def run(app):\n    return 1\n",
        "schedule.py": ("from lime_task.schedule import ScheduledTask\nfrom . import jobs\n\nalias = jobs\n\n\n"
                        "def tasks():\n    return [ScheduledTask(task=alias.run)]\n"),
    })
    target = str(package / "jobs.py")
    workspace = Workspace(tmp_path, time_budget=None)
    try:
        with workspace.analysis_scope():
            assert "run" in workspace.scheduled_task_names(target)
        (package / "jobs.py").write_text("def run_all(app):\n    return 1\n", encoding="utf-8")
        schedule = package / "schedule.py"
        schedule.write_text(schedule.read_text(encoding="utf-8").replace("alias.run)", "alias.run_all)"),
                            encoding="utf-8")
        workspace.changed(str(package / "jobs.py"))
        workspace.changed(str(schedule))
        fresh = Workspace(tmp_path, time_budget=None)
        try:
            expected = fresh.scheduled_task_names(target)
        finally:
            fresh.close()
        assert expected == {"run_all"}
        assert workspace.scheduled_task_names(target) == expected
    finally:
        workspace.close()


# -- memory -----------------------------------------------------------------------------------
def test_question_outside_an_analysis_keeps_no_long_tree(tmp_path, short_parso_limit):
    """Input: a ``resolve_call`` question about a long file asked outside
    ``checker.check`` (the memory hover and the budget command reach
    ``Workspace.resolve_call`` through ``collections_model._resolve`` after
    the analysis returned; any caller of the public API does).

    Expected (as before the commit): once the question is answered, parso's
    cache holds no tree of the long file and the Workspace keeps no Script.

    BREAK: the Script stays kept, and with it its tree (spared by every
    trim) until some later ``checker.check`` of that workspace ends: in the
    server the 200 MB tree of a 50,000-line file stays after a hover."""
    text = "from .helpers import fetch\n\n\ndef job(app):\n    fetch(app, 1)\n" + PADDING
    package = _package(tmp_path, {"helpers.py": HELPERS, "jobs.py": text})
    workspace = Workspace(tmp_path, time_budget=None)
    try:
        found = workspace.resolve_call(str(package / "jobs.py"), _calls(text, "fetch")[0])
        assert found is not None and found[1].name == "fetch"
        assert not any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))
        assert not getattr(workspace, "_scripts", None)
    finally:
        workspace.close()


def _list_builder_package(root: Path) -> tuple[Path, str]:
    """A long ``jobs.py`` whose list builder is called from ``other.py``
    (LIME102 asks jedi for its callers) and that calls an imported helper."""
    text = ("from .helpers import fetch\n\n\ndef names(app):\n    out = []\n"
            "    for person in app.limetypes.person.get_all():\n        out.append(person.properties.name.value)\n"
            "    return out\n\n\ndef job(app):\n    fetch(app, 1)\n    return names(app)\n" + PADDING)
    package = _package(root, {
        "helpers.py": HELPERS, "jobs.py": text,
        "other.py": "from .jobs import names\n\n\ndef report(app):\n    return len(names(app))\n",
    })
    return package, text


@pytest.mark.parametrize("budget", [None, 0.0], ids=["cli", "editor-budget-spent"])
def test_no_script_or_long_tree_kept_once_the_analysis_and_its_questions_are_done(tmp_path, short_parso_limit,
                                                                                   budget, monkeypatch):
    """Input: ``checker.check`` of a long ``jobs.py`` whose questions go to
    jedi, in CLI mode (no budget) and in editor mode with a budget of 0
    (every question outlives it and keeps running on the jedi thread; the
    release is left to that thread; the editor analyses again once they are
    answered: four analyses, each followed by its pending questions).

    Expected: once ``check`` returned and every pending question finished,
    no Script is kept and parso's cache holds no tree of jobs.py."""
    import jedi

    made: list[str] = []

    class CountingScript(jedi.Script):
        def __init__(self, *args, **kwargs):
            made.append(str(kwargs.get("path")))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(jedi, "Script", CountingScript)
    package, text = _list_builder_package(tmp_path)
    workspace = Workspace(tmp_path, time_budget=budget)
    try:
        document = SourceDocument(text, str(package / "jobs.py"))
        for _ in range(4):  # the editor analyses again once the pending answers came
            check(document, Settings(), workspace=workspace)
            for future in workspace.pending_answers():
                future.result(timeout=120)
        assert made  # jedi was asked
        assert not workspace._scripts
        assert not any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))
    finally:
        workspace.close()


# -- a reused Workspace answers as a fresh one ------------------------------------------------
def _project(tmp_path: Path) -> Path:
    """The examples plus generated modules: a long one, a scheduled one, and one
    that calls the long one's helpers (imports, a module attribute, a list)."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root)
    generated = root / "limepkg_acme" / "generated"
    generated.mkdir()
    (generated / "__init__.py").write_text("", encoding="utf-8")
    (generated / "big.py").write_text(generate(700), encoding="utf-8")
    (generated / "scheduled.py").write_text(generate_scheduled(200), encoding="utf-8")
    (generated / "user.py").write_text(
        "from lime_task import task\n\nfrom . import big\nfrom .big import company_persons_11, deal_totals_8, "
        "save_company_4\nfrom ..people import find_person_by_email\n\n\n@task\ndef run(app, rows):\n"
        "    for row in rows:\n        deal_totals_8(app, row)\n        save_company_4(app, row)\n"
        "        big.deal_totals_8(app, row)\n        find_person_by_email(app, row)\n"
        "    return [company_persons_11(c) for c in rows]\n", encoding="utf-8")
    return root


def _findings(root: Path, workspace_for) -> dict[str, list[tuple]]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        result = check(SourceDocument(text, str(path)), Settings(), workspace=workspace_for())
        found[str(path.relative_to(root))] = [
            (v.code, v.start, v.end, v.message, None if v.fix is None else (v.fix.applicability.value, v.fix.title))
            for v in result.violations]
    return found


class _JediAlways(Workspace):
    """Every question goes to jedi (no shortcut): more Scripts to reuse."""

    def _mentioned_elsewhere(self, path, name):
        return True

    def _outside_workspace(self, path, name):
        return False


@pytest.mark.parametrize("kind", [Workspace, _JediAlways], ids=["workspace", "jedi-always"])
def test_one_workspace_reused_across_files_finds_what_fresh_ones_find(tmp_path, monkeypatch, kind):
    """Input: every module of examples/ plus generated ones, checked in CLI
    mode with one fresh Workspace per file and with one Workspace reused for
    all files in sequence; then helpers (people.py, big.py) edited on disk and
    ``changed`` called on the reused one, and both compared again.  The parso
    limit is lowered so the long files' trees are trimmed and spared.

    Expected: identical findings (codes, ranges, messages, fix safety) in
    every pass, and the edits change some findings."""
    monkeypatch.setattr(workspace_module, "PARSO_CACHE_MAX_LINES", 50)
    root = _project(tmp_path)
    opened: list[Workspace] = []

    def fresh():
        opened.append(kind(root, time_budget=None))
        return opened[-1]

    shared = kind(root, time_budget=None)
    opened.append(shared)
    try:
        first = _findings(root, fresh)
        assert _findings(root, lambda: shared) == first
        people = root / "limepkg_acme" / "people.py"
        people.write_text(people.read_text(encoding="utf-8").replace(
            "    uow.commit()\n", "    uow.commit()\n    uow.commit()\n"), encoding="utf-8")
        big = root / "limepkg_acme" / "generated" / "big.py"
        big.write_text(big.read_text(encoding="utf-8").replace("def deal_totals_8(", "def deal_totals_old_8(")
                       .replace("def save_company_4(app, company):",
                                "def save_company_4(app, company):\n    app.unit_of_work().commit()"),
                       encoding="utf-8")
        shared.changed(str(people))
        shared.changed(str(big))
        second = _findings(root, fresh)
        assert second != first
        assert _findings(root, lambda: shared) == second
        assert not shared._scripts
    finally:
        for workspace in opened:
            workspace.close()


def test_a_question_that_outlives_its_analysis_keeps_its_tree_until_it_is_done(tmp_path, short_parso_limit):
    """Input (editor mode, budget 0): inside an analysis a question about the long
    ``jobs.py`` makes its Script and is held on the jedi thread (an event, no
    sleep), a second question waits behind it; the analysis ends while both are
    pending, then ``set_text`` of jobs.py cancels the queued one.

    Expected: the ended analysis keeps no Script, but jobs.py's tree stays in
    parso's cache while the held question runs (it still reads it); once it is
    done, the tree is trimmed with no further call."""
    text = "from .helpers import fetch\n\n\ndef job(app):\n    fetch(app, 1)\n" + PADDING
    package = _package(tmp_path, {"helpers.py": HELPERS, "jobs.py": text})
    path = str((package / "jobs.py").resolve())
    workspace = Workspace(tmp_path, time_budget=0)
    started, release = threading.Event(), threading.Event()

    def held():
        workspace._script(path)
        started.set()
        assert release.wait(30)
        return "held"

    try:
        with workspace.analysis_scope():
            assert workspace._bounded(("held", path), held) is None
            assert started.wait(30)
            assert path in workspace._scripts
            assert workspace._bounded(("queued", path), lambda: "queued") is None
            futures = workspace.pending_answers()
        assert not workspace._scripts  # the analysis ended
        assert any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))
        workspace.set_text(path, text + "\n")  # drops the queued question about jobs.py
        release.set()
        for future in futures:
            if not future.cancelled():
                assert future.result(timeout=30) == "held"
        assert not any(p.endswith("jobs.py") for p in _parso_cached(tmp_path))
    finally:
        release.set()
        workspace.close()
