"""Fix-all reuses, between passes, the findings of the components the previous
pass left alone; the result must be exactly that of analysing the whole text
every pass.  It also tells the workspace the text of every pass."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from lime_task_lint.edits import Edit
from lime_task_lint.fixer import _OffsetMap, fix_text
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "rules").glob("*.py"))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


def signature(result):
    return (result.text, result.applied,
            [(v.code, v.start, v.end, v.message, repr(sorted(v.data.items())),
              v.fix and (v.fix.title, v.fix.applicability, v.fix.edits)) for v in result.remaining])


@pytest.mark.parametrize("unsafe", [False, True])
@pytest.mark.parametrize("path", EXAMPLES + FIXTURES, ids=lambda p: p.name)
def test_reusing_passes_equal_whole_file_passes(path: Path, unsafe: bool):
    text = path.read_text(encoding="utf-8")
    codes = None
    match = re.match(r"(LIME\d+)", path.name)
    for selection in (None, {match.group(1)} if match else None):
        codes = selection
        reused = fix_text(text, Settings(), path=str(path), unsafe=unsafe, codes=codes)
        whole = fix_text(text, Settings(), path=str(path), unsafe=unsafe, codes=codes, reuse=False)
        assert signature(reused) == signature(whole)


def test_generated_module_reuses_and_equals(monkeypatch):
    import lime_task_lint.fixer as fixer

    text = generate(1000)
    seen = []
    original = fixer._Passes.check

    def check(self, text, previous):
        result = original(self, text, previous)
        seen.append((self.reused, self.analysed))
        return result

    monkeypatch.setattr(fixer._Passes, "check", check)
    reused = fix_text(text, Settings(), path="tasks.py", unsafe=True)
    whole = fix_text(text, Settings(), path="tasks.py", unsafe=True, reuse=False)
    assert signature(reused) == signature(whole)
    assert sum(reused.applied.values()) > 20
    assert len(seen) >= 2 and seen[-1][0] > 0  # later passes reused components


COPY = """
for n in range(1):
    def helper():
        try:
            n.go()
        except Exception:
            logger.error("failed")
        logger.info({message})

"""


def test_identical_copies_do_not_take_each_others_findings():
    """Two units with the same text are distinct components (``key#1``, ``key#2``).
    When an edit makes the first equal to the second, the second's cached findings
    must not be handed to the first (they would sit at the second's place)."""
    from lime_task_lint.checker import check
    from lime_task_lint.document import SourceDocument
    from lime_task_lint.fixer import _Passes

    head = "import logging\n\nlogger = logging.getLogger(__name__)\n\n"
    before = head + COPY.format(message='"count {n}"') + COPY.format(message='"count %s", n')
    after = head + COPY.format(message='"count %s", n') + COPY.format(message='"count %s", n')
    old = '"count {n}"'
    start = before.index(old)
    edits = [Edit(start, start + len(old), '"count %s", n')]
    codes = {"LIME301", "LIME303"}
    passes = _Passes(Settings(), None, None, None, codes)
    first = passes.check(before, None)
    assert sorted(v.code for v in first.violations) == ["LIME301", "LIME301", "LIME303"]
    second = passes.check(after, (before, edits))
    expected = check(SourceDocument(after), Settings(), codes=codes)
    assert [(v.code, v.start, v.end) for v in second.violations] == \
        [(v.code, v.start, v.end) for v in expected.violations]
    assert passes.reused == 0 and passes.analysed == 2  # neither copy reused: the first moved in


def test_offset_map():
    moved = _OffsetMap([Edit(10, 12, "abcd"), Edit(2, 2, "x"), Edit(20, 25, "")])
    assert moved(0) == 0 and moved(1) == 1
    assert moved(2) is None  # at an insertion: ambiguous
    assert moved(3) == 4
    assert moved(9) == 10
    assert moved(10) is None and moved(11) is None and moved(12) is None
    assert moved(13) == 16
    assert moved(19) == 22
    assert moved(22) is None and moved(25) is None
    assert moved(26) == 24


class RecordingWorkspace:
    """Only what fix_text uses: ``overlay`` and ``changed``."""

    def __init__(self, path: str, text: str) -> None:
        self.overlay = {path: text}
        self.calls: list[str | None] = []

    def changed(self, path, text=None):
        self.calls.append(text)
        if text is None:
            self.overlay.pop(str(Path(path).resolve()), None)
        else:
            self.overlay[str(Path(path).resolve())] = text

    def __getattr__(self, name):  # no jedi: every question "unknown"
        if name in ("callers", "resolve_call"):
            return lambda *args, **kwargs: None
        if name == "scheduled_task_names":
            return lambda path: set()
        raise AttributeError(name)


def test_workspace_is_told_every_pass_and_restored(tmp_path):
    path = tmp_path / "tasks.py"
    text = (ROOT / "examples" / "limepkg_acme" / "tasks" / "contacts.py").read_text()
    path.write_text(text)
    key = str(path.resolve())
    workspace = RecordingWorkspace(key, text)
    result = fix_text(text, Settings(), path=str(path), unsafe=True, workspace=workspace)
    assert result.text != text
    # every intermediate text, then back to the editor's text
    assert workspace.calls[-2] == result.text
    assert workspace.calls[-1] == text and workspace.overlay[key] == text
    assert all(call is not None for call in workspace.calls)


def test_real_workspace_sees_each_pass_and_keeps_its_generation(tmp_path):
    """With the real workspace, fix-all uses ``set_text``: questions about the file
    see each pass's text, other cached answers and the generation stay (other
    documents' incremental analyses remain valid), and the editor's text is back
    at the end."""
    from lime_task_lint.workspace import Workspace

    path = tmp_path / "tasks.py"
    text = (ROOT / "examples" / "limepkg_acme" / "tasks" / "reports.py").read_text()
    path.write_text(text)
    workspace = Workspace(tmp_path, time_budget=60)
    seen: list[str | None] = []
    original = workspace.set_text

    def set_text(p, t):
        seen.append(t)
        original(p, t)

    workspace.set_text = set_text
    try:
        key = str(path.resolve())
        workspace.overlay[key] = text
        workspace._answers[(workspace._generation, "callers", "/elsewhere.py", "f", 1)] = ["kept"]
        generation = workspace._generation
        result = fix_text(text, Settings(), path=str(path), unsafe=True, workspace=workspace)
        assert result.text != text and seen[-2] == result.text and seen[-1] == text
        assert workspace.overlay[key] == text
        assert workspace._generation == generation
        assert workspace._answers[(generation, "callers", "/elsewhere.py", "f", 1)] == ["kept"]
        assert signature(result) == signature(fix_text(text, Settings(), path=str(path), unsafe=True,
                                                       workspace=Workspace(tmp_path, time_budget=60)))
    finally:
        workspace.close()
