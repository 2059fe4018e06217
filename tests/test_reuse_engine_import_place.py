"""The reuse engine and the place of a new import.

A fix that adds ``import logging`` and a module ``logger`` (LIME304, LIME301...)
puts them after the last import of the module's *leading* import section
(``edits.import_section``): the section ends at the first statement that is not
an import, a top docstring or a ``try``/``if``.  Which statement ends it is a
matter of layout, not of text: a helper ``def`` between two imports ends it,
and the reuse engine blanks that helper when only a task below was edited.  In
the reduced document the second import then continues the section and the
fresh fix put the import after it, where a from-scratch analysis puts it after
the first: a fix-all with reuse gave another text than without.

Invariant tested: after any edit inside a task, the editor's incremental result
equals a from-scratch analysis (``signature`` of tests/test_incremental.py:
messages, ranges, fix titles and edits), and fix-all with reuse equals fix-all
without it, for layouts of the top of the module drawn by hypothesis.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from lime_task_lint.analysis import analyse
from lime_task_lint.fixer import fix_text
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.settings import Settings

from test_incremental import signature

SETTINGS = Settings()


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


HELPER = '''def helper_{n}(value):
    return value + {n}
'''
TASK = '''@task
def report_{n}(app):
    print("rows", {count})
    return json.dumps(os.sep)
'''
TOP_PIECES = {
    "import_os": "import os\n",
    "import_json": "import json\n",
    "import_task": "from lime_task import task\n",
    "docstring": '"""Reports."""\n',
    "string": '"""not the docstring unless first"""\n',
    "try_import": "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n",
    "if_def": "if os.sep:\n    def pick(x):\n        return x\n",
    "constant": "LIMIT = 10\n",
    "helper": None,  # a function the edit does not touch: blanked when reused
}


def _module(layout: list[str], tasks: int = 2, count: int = 1) -> str:
    parts = []
    helpers = 0
    for piece in layout:
        if piece == "helper":
            helpers += 1
            parts.append(HELPER.format(n=helpers))
        else:
            parts.append(TOP_PIECES[piece])
    # Every name the tasks need, after the layout (so the layout decides the place).
    parts.append("import os\nimport json\nfrom lime_task import task\n")
    for n in range(tasks):
        parts.append(TASK.format(n=n, count=count if n == tasks - 1 else 1))
    return "\n\n".join(parts)


def _incremental_equals_full(*texts: str) -> None:
    # chunk_lines=1: the first version too is analysed in batches of one component
    # (the server's from-scratch path), each on a reduced document.
    for chunk_lines in (2000, 1):
        _compare(IncrementalAnalyser(chunk_lines=chunk_lines), texts)


def _compare(analyser, texts) -> None:
    for version, text in enumerate(texts):
        got = analyser.analyse("u", text, SETTINGS, version=version)
        assert signature(got) == signature(analyse("u", text, SETTINGS)), f"version {version}"


def test_a_helper_between_two_imports_keeps_the_import_after_the_first():
    """Input: ``import os``, a helper, ``import json``, a task printing; the print's
    count changes.  Expected: ``import logging`` after ``import os`` as in a
    from-scratch run (it was put after ``import json``)."""
    before = _module(["import_os", "helper", "import_json", "import_task"], tasks=1)
    after = before.replace('"rows", 1', '"rows", 2')
    _incremental_equals_full(before, after)
    fixes = [v.fix for v in analyse("u", after, SETTINGS).violations if v.code == "LIME304"]
    assert fixes and fixes[0].edits[0].start == len("import os\n"), "the place itself: after the first import"


def test_a_function_above_a_string_keeps_that_string_from_becoming_the_docstring():
    """Input: a helper first, then a bare string, then the tasks; an edit in the last
    task.  Blanking the helper would make the string the module docstring (the
    import's place and every rule reading the docstring)."""
    before = _module(["helper", "string", "import_os"])
    after = before.replace('"rows", 1)\n    return json.dumps(os.sep)\n',
                           '"rows", 7)\n    return json.dumps(os.sep)\n')
    _incremental_equals_full(before, after)


def test_an_edit_that_ends_the_import_section_earlier_moves_the_reused_tasks_import():
    """Input: a docstring, ``if os.sep:`` around a ``def``, ``import os``, tasks whose
    fix adds ``import logging`` after ``import os``; the ``if`` line is removed
    and its ``def`` dedented.  That unit now ends the import section, so the
    import goes after the docstring, while the tasks' text, the names and the
    context statements are unchanged: the reused fixes' place was stale."""
    before = _module(["docstring", "if_def", "import_os"], tasks=3)
    after = before.replace(TOP_PIECES["if_def"], "def pick(x):\n    return x\n")
    assert after != before
    _incremental_equals_full(before, after)
    fixes = [v.fix for v in analyse("u", after, SETTINGS).violations if v.code == "LIME304"]
    assert fixes and fixes[0].edits[0].start == len('"""Reports."""\n'), "after the docstring"


@pytest.mark.parametrize("layout", [
    ["import_os", "helper", "import_json", "import_task"],
    ["docstring", "helper", "try_import", "import_os"],
    ["helper", "helper", "import_os", "helper", "import_json"],
    ["docstring", "if_def", "helper", "import_json"],
])
def test_fix_all_with_reuse_gives_the_text_without_it(layout):
    """Fix-all's later passes reuse the untouched components: the text must be the
    one that analysing every pass from scratch gives."""
    text = _module(layout, tasks=3)
    with_reuse = fix_text(text, SETTINGS, unsafe=True, reuse=True)
    without = fix_text(text, SETTINGS, unsafe=True, reuse=False)
    assert with_reuse.text == without.text
    assert with_reuse.text != text


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=st.lists(st.sampled_from(sorted(TOP_PIECES)), min_size=1, max_size=6),
       tasks=st.integers(1, 3), count=st.integers(2, 9))
def test_any_layout_of_the_module_top_reuses_as_a_full_analysis_reads(layout, tasks, count):
    before = _module(layout, tasks=tasks)
    after = _module(layout, tasks=tasks, count=count)
    _incremental_equals_full(before, after)
