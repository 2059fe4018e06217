"""The workspace answers some cross-file questions without jedi (same-file
callers from our own syntax tree when no other file mentions the function;
calls of modules that cannot be in the workspace); the findings must be exactly
those of asking jedi every time."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.document import SourceDocument
from lime_task_lint.settings import Settings
from lime_task_lint.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402


class JediAlways(Workspace):
    """The workspace without its shortcuts: every question goes to jedi."""

    def _mentioned_elsewhere(self, path, name):
        return True

    def _outside_workspace(self, path, name):
        return False


class Counting(Workspace):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jedi_questions = 0

    def _script(self, path):
        self.jedi_questions += 1
        return super()._script(path)


def _findings(workspace, path: Path):
    result = check(SourceDocument(path.read_text(), str(path)), Settings(), workspace=workspace)
    return [(v.code, v.start, v.end, v.message, v.data,
             v.fix and (v.fix.applicability, v.fix.edits)) for v in result.violations]


def _compare(root: Path) -> Counting:
    files = sorted(p for p in root.rglob("*.py"))
    fast, slow = Counting(root, time_budget=120), JediAlways(root, time_budget=120)
    try:
        for path in files:
            assert _findings(fast, path) == _findings(slow, path), path
    finally:
        fast.close()
        slow.close()
    return fast


def test_examples_same_findings_as_jedi_everywhere(tmp_path):
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    _compare(root)


def test_generated_module_same_findings_and_no_jedi(tmp_path):
    (tmp_path / "tasks.py").write_text(generate(1000))
    fast = _compare(tmp_path)
    # Nothing in the generated module needs another file: jedi never parses it.
    assert fast.jedi_questions == 0


def test_same_file_callers_come_from_the_tree(tmp_path):
    text = ("def _helper(xs):\n    return [x for x in xs]\n\n\n"
            "def task(app):\n    for row in _helper(app.rows):\n        print(row)\n    _helper([])\n")
    path = tmp_path / "tasks.py"
    path.write_text(text)
    document = SourceDocument(text, str(path))
    function = document.tree.body[0]
    workspace = Counting(tmp_path, time_budget=60)
    try:
        sites = workspace.callers(str(path), function, tree=document.tree)
        assert [(s.call.lineno, s.call.col_offset) for s in sites] == [(6, 15), (8, 4)]
        assert all(s.tree is document.tree for s in sites)
        assert workspace.jedi_questions == 0
        # Another file mentions the name: jedi is asked (and finds the same calls here).
        (tmp_path / "other.py").write_text("from tasks import _helper\n")
        workspace.changed()
        sites = workspace.callers(str(path), function, tree=document.tree)
        assert workspace.jedi_questions == 1
        assert [(s.call.lineno, s.call.col_offset) for s in sites] == [(6, 15), (8, 4)]
    finally:
        workspace.close()


@pytest.mark.parametrize("source, expected", [
    ("import requests\n\ndef f():\n    requests.post('x')\n", True),
    ("import requests\n\ndef f(requests):\n    requests.post('x')\n", False),  # a parameter shadows it
    ("from . import requests\n\ndef f():\n    requests.post('x')\n", False),  # relative: a workspace module
    ("import helpers\n\ndef f():\n    helpers.post('x')\n", False),  # helpers.py is in the workspace
    ("from requests import (\n    post,\n)\n\ndef f():\n    post('x')\n", False),  # not a one-line import
])
def test_outside_workspace_is_conservative(tmp_path, source, expected):
    (tmp_path / "helpers.py").write_text("def post(x):\n    return x\n")
    path = tmp_path / "tasks.py"
    path.write_text(source)
    workspace = Workspace(tmp_path)
    try:
        name = "post" if "(\n" in source else ("helpers" if "helpers" in source else "requests")
        assert workspace._outside_workspace(str(path), name) is expected
    finally:
        workspace.close()


def test_same_names_in_unrelated_files_do_not_need_jedi(tmp_path):
    """Copies of the same functions in files that do not import each other (the
    benchmark's generated files side by side): no other file can reach the module."""
    text = generate(1000)
    (tmp_path / "tasks_a.py").write_text(text)
    (tmp_path / "tasks_b.py").write_text(text)
    fast = _compare(tmp_path)
    assert fast.jedi_questions == 0


def test_reexported_helper_is_asked_to_jedi(tmp_path):
    """`from .a import *` in one file and the name in another: jedi must look."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    a = ("def _rows(app):\n    out = []\n    for o in app.limetypes.company.get_all():\n"
         "        out.append(o)\n    return out\n")
    (package / "a.py").write_text(a)
    (package / "c.py").write_text("from .a import *\nfrom .a import _rows\n")
    (package / "b.py").write_text("from .c import _rows\n\ndef g(app):\n    return len(_rows(app))\n")
    workspace = Counting(tmp_path, time_budget=60)
    try:
        document = SourceDocument(a, str(package / "a.py"))
        workspace.callers(str(package / "a.py"), document.tree.body[0], tree=document.tree)
        assert workspace.jedi_questions == 1
    finally:
        workspace.close()
    _compare(tmp_path)


def test_parso_keeps_no_tree_of_a_long_file(tmp_path, monkeypatch):
    """jedi's parser cache is trimmed after each question: the tree of a long file
    is not kept (it is what made the server large)."""
    import parso.cache

    import lime_task_lint.workspace as workspace_module

    monkeypatch.setattr(workspace_module, "PARSO_CACHE_MAX_LINES", 50)
    long_text = "".join(f"def f{n}(x):\n    return x\n\n\n" for n in range(30)) + "print(f1(2))\n"
    path = tmp_path / "long.py"
    path.write_text(long_text)
    (tmp_path / "other.py").write_text("from long import f1\nf1(3)\n")
    workspace = Counting(tmp_path, time_budget=60)
    try:
        document = SourceDocument(long_text, str(path))
        sites = workspace.callers(str(path), document.tree.body[1], tree=document.tree)
        assert sites is not None and workspace.jedi_questions == 1  # other.py names f1 and long
        cached = [p for grammar in parso.cache.parser_cache.values() for p in grammar]
        assert not any(str(p).endswith("long.py") for p in cached)
    finally:
        workspace.close()


def test_folders_without_python_files_are_not_modules(tmp_path):
    """A bytecode cache folder mirroring the standard library (PYTHONPYCACHEPREFIX
    inside the project) holds no module jedi could go to."""
    cache = tmp_path / ".pycache" / "usr" / "lib" / "python3.11" / "traceback_dir"
    cache.mkdir(parents=True)
    (cache.parent / "traceback.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "mod.py").write_text("def f():\n    pass\n")
    path = tmp_path / "tasks.py"
    path.write_text("import traceback\nimport pkg\n\ndef f():\n    traceback.print_exc()\n    pkg.sub.mod.f()\n")
    workspace = Workspace(tmp_path)
    try:
        assert workspace._outside_workspace(str(path), "traceback") is True
        assert workspace._outside_workspace(str(path), "pkg") is False
        assert {"pkg", "sub", "mod", "tasks"} <= workspace._top_level_names()
    finally:
        workspace.close()
