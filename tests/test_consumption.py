"""Consumption analysis (is a value consumed exactly once, by iteration?) and the
LIME102 decision across files, with callers found by jedi."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from lime_task_lint.checker import check
from lime_task_lint.consumption import expression_use, laziness, name_consumption
from lime_task_lint.effects import effects_for_tree
from lime_task_lint.semantic import syntax_index
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Applicability
from lime_task_lint.settings import Settings
from lime_task_lint.workspace import Workspace


def _consumption(body: str, allow_len: bool = False):
    source = "def f(app, other):\n    xs = make()\n" + textwrap.indent(textwrap.dedent(body), "    ")
    func = ast.parse(source).body[0]
    binding = func.body[0]
    return name_consumption("xs", binding, func, syntax_index(func), allow_len=allow_len)


@pytest.mark.parametrize("body", [
    "for x in xs:\n    print(x)\n",
    "total = sum(xs)\n",
    "print(any(x > 1 for x in xs))\n",
    "names = [x.name for x in xs]\n",
    "found = set(xs)\n",
    "text = ', '.join(xs)\n",
    "for i, x in enumerate(xs):\n    print(i, x)\n",
    "for x, y in zip(xs, other):\n    print(x, y)\n",
    "by_id = dict(xs)\n",
    "best = max(xs, key=len)\n",
])
def test_consumed_once(body):
    result = _consumption(body)
    assert result.once, result.reason
    assert result.consumer is not None


@pytest.mark.parametrize("body, reason", [
    ("print(len(xs))\nfor x in xs:\n    pass\n", "len()"),
    ("print(xs[0])\n", "indexed"),
    ("print(xs[1:])\n", "sliced"),
    ("if xs:\n    pass\n", "truthiness"),
    ("if 3 in xs:\n    pass\n", "`in`"),
    ("for x in xs:\n    pass\nfor x in xs:\n    pass\n", "more than once"),
    ("for y in other:\n    for x in xs:\n        pass\n", "second pass"),
    ("for y in other:\n    print([x for x in xs])\n", "second pass"),
    ("app.cache = xs\n", "attribute"),
    ("return xs\n", "returned"),
    ("store(xs)\n", "store"),
    ("xs.sort()\n", ".sort"),
    ("ys = xs\n", "copied"),
    ("f = lambda: xs\n", "lambda"),
    ("xs = []\n", "assigned more than once"),
    ("print(*xs)\n", "unpacked"),
    ("pass\n", "never used"),
    ("print(not xs)\n", "truthiness"),
    ("print(xs + [1])\n", "arithmetic"),
])
def test_not_consumed_once(body, reason):
    result = _consumption(body)
    assert not result.once
    assert reason in result.reason


def test_len_allowed_for_the_count_fix():
    result = _consumption("for x in xs:\n    pass\nprint(len(xs), len(xs))\n", allow_len=True)
    assert result.once and len(result.len_calls) == 2
    assert not _consumption("print(len(xs))\n", allow_len=True).once


def test_a_loop_around_both_binding_and_use_is_one_pass():
    source = textwrap.dedent("""
        def f(groups):
            for group in groups:
                xs = list(group)
                for x in xs:
                    print(x)
    """)
    func = ast.parse(source).body[0]
    binding = func.body[0].body[0]
    assert name_consumption("xs", binding, func, syntax_index(func)).once


def _hazard(source: str) -> str | None:
    tree = ast.parse(textwrap.dedent(source))
    func = tree.body[0]
    produced = next(n for n in ast.walk(func) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "list")
    consumer = next(n for n in ast.walk(func) if isinstance(n, ast.For))
    verdict = laziness(produced, consumer, func, effects_for_tree(tree))
    return verdict.blocker or verdict.hazard or None


def test_hazards():
    assert _hazard("""
        def f(read):
            xs = list(read)
            for x in xs:
                print(x)
    """) is None
    assert "outside its `try`" in _hazard("""
        def f(read):
            try:
                xs = list(read)
            except ValueError:
                raise
            for x in xs:
                print(x)
    """)
    assert "after code that writes" in _hazard("""
        def f(read, uow):
            xs = list(read)
            uow.commit()
            for x in xs:
                print(x)
    """)
    assert "the loop body writes" in _hazard("""
        def f(read, uow):
            xs = list(read)
            for x in xs:
                uow.commit()
    """)
    # Both inside the same try: nothing moves out of it.
    assert _hazard("""
        def f(read):
            try:
                xs = list(read)
                for x in xs:
                    print(x)
            except ValueError:
                raise
    """) is None


def test_expression_use_of_a_call_in_a_for():
    tree = ast.parse("for x in helper(app):\n    pass\n")
    call = tree.body[0].iter
    assert expression_use(call, syntax_index(tree)).kind == "iteration"


# -- LIME102 across files (jedi) ----------------------------------------------------
HELPERS = '''
def active_names(app):
    names = []
    for person in app.limetypes.person.get_all():
        names.append(person.properties.name.value)
    return names
'''

ITERATES = '''
from lime_task import task

from .helpers import active_names


@task
def report(app):
    count = 0
    for name in active_names(app):
        count += 1
    return f"{count}"
'''

NEEDS_LIST = '''
from lime_task import task

from .helpers import active_names


@task
def report2(app):
    names = active_names(app)
    return f"{len(names)} names"
'''

PASSES_VALUE = '''
from .helpers import active_names

CALLBACKS = {"names": active_names}
'''


def _lime102(tmp_path: Path, others: dict[str, str]):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(HELPERS)
    for name, text in others.items():
        (package / name).write_text(text)
    workspace = Workspace(tmp_path, time_budget=60)
    try:
        path = package / "helpers.py"
        result = check(SourceDocument(HELPERS, str(path)), Settings(), workspace=workspace, codes={"LIME102"})
    finally:
        workspace.close()
    [violation] = result.violations
    return violation


def test_lime102_safe_when_every_caller_in_the_workspace_iterates_once(tmp_path):
    violation = _lime102(tmp_path, {"tasks.py": ITERATES})
    assert violation.fix is not None and violation.fix.applicability is Applicability.SAFE


def test_lime102_no_fix_when_a_caller_in_another_file_needs_a_list(tmp_path):
    violation = _lime102(tmp_path, {"tasks.py": ITERATES, "other.py": NEEDS_LIST})
    assert violation.fix is None
    assert "other.py" in violation.message and "len()" in violation.message


def test_lime102_unsafe_when_the_function_is_passed_as_a_value(tmp_path):
    violation = _lime102(tmp_path, {"tasks.py": ITERATES, "registry.py": PASSES_VALUE})
    assert violation.fix is not None and violation.fix.applicability is Applicability.UNSAFE
    assert "cannot all be found" in violation.fix.title


def test_lime102_unsafe_when_no_caller_is_found(tmp_path):
    violation = _lime102(tmp_path, {})
    assert violation.fix is not None and violation.fix.applicability is Applicability.UNSAFE
    assert "no caller" in violation.fix.title


# -- the example workspace ----------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TASKS = EXAMPLES / "limepkg_acme" / "tasks"


def _memory_findings(path: Path, workspace) -> list[tuple[int, str, str | None]]:
    from lime_task_lint.settings import resolve_settings

    settings, _, _ = resolve_settings(path)
    text = path.read_text(encoding="utf-8")
    result = check(SourceDocument(text, str(path)), settings, workspace=workspace,
                   codes={"LIME101", "LIME102", "LIME103"})
    assert not [n for n in result.notes if "failed" in n], result.notes
    index = result.document.index
    return [(index.to_row_column(v.start)[0], v.code, v.fix.applicability.value if v.fix else None)
            for v in result.violations]


def test_examples_memory_findings():
    workspace = Workspace(EXAMPLES, time_budget=60)
    try:
        # The clean examples: any finding is a false positive.
        assert _memory_findings(TASKS / "clean.py", workspace) == []
        assert _memory_findings(EXAMPLES / "limepkg_acme" / "erp.py", workspace) == []
        contacts = _memory_findings(TASKS / "contacts.py", workspace)
        assert [(c, f) for _, c, f in contacts] == [("LIME101", "safe"), ("LIME103", "display-only")]
        # The only caller (person_report) iterates the helper's result once: jedi proves it, so safe.
        assert [(c, f) for _, c, f in _memory_findings(TASKS / "reports.py", workspace)] == [("LIME102", "safe")]
    finally:
        workspace.close()
