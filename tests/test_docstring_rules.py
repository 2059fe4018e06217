"""LIME401-LIME403, LIME501, the "Generate docstring" action and the complexity
hover, on documents (the engine itself is tested in test_docstrings.py).

Every edit here goes through the same code as the LSP quick fixes and code
actions, so the before/after pairs below are what a user gets: the style from
the `docstring-style` setting, the file's indentation, line endings and quotes.
"""

from __future__ import annotations

import ast
import textwrap
import time
from pathlib import Path

import pytest
from lime_task_lint.analysis import analyse
from lime_task_lint.checker import check
from lime_task_lint.docstrings import docstring_node, stale_reasons
from lime_task_lint.docstrings.editing import is_tasks_module
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import apply_edits, parses
from lime_task_lint.extensions import hover_markdown, provided_actions
from lime_task_lint.features import complexity_hover
from lime_task_lint.fixer import fix_text
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TASKS_PATH = "/repo/limepkg_x/tasks/sync.py"
STYLES = ["google", "numpy", "sphinx"]


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings(text: str, code: str, path: str | None = TASKS_PATH, **settings) -> list:
    return [v for v in check(SourceDocument(text, path), Settings(**settings), codes={code}).violations]


def fixed(text: str, code: str, path: str | None = TASKS_PATH, **settings) -> str:
    result = fix_text(text, Settings(**settings), path=path, unsafe=True, codes={code}).text
    assert parses(result)
    return result


def generate(text: str, needle: str, style: str = "google", path: str = TASKS_PATH) -> str | None:
    """The text after the 'Generate docstring' action with the cursor at ``needle``."""
    analysis = analyse("file:///t.py", text, Settings(docstring_style=style), path=path)
    offset = text.index(needle)
    actions = [a for a in provided_actions(analysis, offset, offset) if "docstring" in a.title]
    if not actions:
        return None
    [action] = actions
    assert action.kind == "refactor.rewrite"
    result = apply_edits(text, action.edits)
    assert parses(result)
    return result


# --------------------------------------------------------------------------
# Which functions LIME401 asks a docstring of
# --------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    ("/repo/limepkg_x/tasks/sync.py", True),
    ("/repo/limepkg_x/tasks/__init__.py", True),
    ("C:\\repo\\solution_y\\tasks\\nightly.py", True),
    ("/repo/limepkg_x/tasks/test_sync.py", False),
    ("/repo/limepkg_x/tasks/sync_test.py", False),
    ("/repo/limepkg_x/tasks/conftest.py", False),
    ("/repo/limepkg_x/tasks.py", False),
    ("/repo/limepkg_x/endpoints/api.py", False),
    ("tasks.py", False),
    (None, False),
])
def test_tasks_module_is_a_module_of_a_tasks_package(path, expected):
    assert is_tasks_module(path) is expected


MODULE = src('''
    from lime_task import task


    def public_helper(rows):
        return rows


    def _private_helper(rows):
        return rows


    class Importer:
        def run(self, rows):
            return rows


    def outer(rows):
        """Documented."""
        def inner(x):
            return x
        return inner(rows)


    @task
    def job(app):
        return "done"
    ''')


def test_lime401_public_functions_only_in_a_tasks_module():
    in_tasks = {v.data["function"] for v in findings(MODULE, "LIME401")}
    assert in_tasks == {"public_helper", "job"}
    elsewhere = {v.data["function"] for v in findings(MODULE, "LIME401", path="/repo/limepkg_x/helpers.py")}
    assert elsewhere == {"job"}
    assert {v.data["function"] for v in findings(MODULE, "LIME401", path=None)} == {"job"}
    [job] = [v for v in findings(MODULE, "LIME401") if v.data["function"] == "job"]
    assert MODULE[job.start:job.end] == "job" and job.message.startswith("task `job` has no docstring")


# --------------------------------------------------------------------------
# Generated docstrings, as edits on documents
# --------------------------------------------------------------------------

TASK = src('''
    import functools

    from lime_task import task


    class SyncError(Exception):
        pass


    def _check(row):
        if "id" not in row:
            raise SyncError(row)


    @task
    @functools.wraps(print)
    async def sync(
        app,
        rows: list[dict],
        /,
        since=datetime.date(2024, 1, 1),
        *,
        batch_size: int = max(1, 50),
        when=Options(),
    ) -> str:
        # The rows come from the ERP.
        for row in rows:
            _check(row)

        def nested():
            raise KeyError("belongs to nested")

        return "done"
    ''')

EXPECTED = {
    "google": '''\
    """TODO: Summarise what sync does.

    Args:
        app: The Lime application.
        rows (list[dict]): Rows to process.
        since (optional): Since.
        batch_size (int, optional): Batch size.
        when (Options, optional): When.

    Returns:
        str: The task's summary: a short result stored in the task status.

    Raises:
        SyncError: Raised by `_check`.
    """
''',
    "numpy": '''\
    """TODO: Summarise what sync does.

    Parameters
    ----------
    app
        The Lime application.
    rows : list[dict]
        Rows to process.
    since : optional
        Since.
    batch_size : int, optional
        Batch size.
    when : Options, optional
        When.

    Returns
    -------
    str
        The task's summary: a short result stored in the task status.

    Raises
    ------
    SyncError
        Raised by `_check`.
    """
''',
    "sphinx": '''\
    """TODO: Summarise what sync does.

    :param app: The Lime application.
    :param rows: Rows to process.
    :type rows: list[dict]
    :param since: Since.
    :type since: optional
    :param batch_size: Batch size.
    :type batch_size: int, optional
    :param when: When.
    :type when: Options, optional
    :returns: The task's summary: a short result stored in the task status.
    :rtype: str
    :raises SyncError: Raised by `_check`.
    """
''',
}


@pytest.mark.parametrize("style", STYLES)
def test_lime401_fix_before_after_in_every_style(style):
    """Async, decorated, positional-only and keyword-only parameters, defaults
    that are calls, a comment opening the body, helper raises, and a nested
    function whose raise stays its own."""
    header_end = TASK.index(") -> str:\n") + len(") -> str:\n")
    expected = TASK[:header_end] + EXPECTED[style] + TASK[header_end:]
    assert fixed(TASK, "LIME401", docstring_style=style) == expected
    # The action on the def line gives the same text.
    assert generate(TASK, "async def sync", style) == expected
    # Idempotent: nothing stale, no finding, no action left.
    assert not findings(expected, "LIME401") and not findings(expected, "LIME403")
    assert generate(expected, "async def sync", style) is None


def test_generate_follows_crlf_tabs_and_quotes():
    text = "'''Module docstring in single quotes.'''\r\nfrom lime_task import task\r\n\r\n\r\n@task\r\n" \
           "def job(app, n=1):\r\n\t\"\"\"Old.\"\"\"\r\n\treturn n\r\n\r\n\r\ndef helper(x):\r\n\treturn x\r\n"
    result = generate(text, "def helper")
    assert result == text.replace(
        "def helper(x):\r\n",
        "def helper(x):\r\n\t'''TODO: Summarise what helper does.\r\n\r\n\tArgs:\r\n\t\tx: X.\r\n"
        "\r\n\tReturns:\r\n\t\tTODO: Describe the return value.\r\n\t'''\r\n")
    assert "\n" not in result.replace("\r\n", "")


def test_generate_quotes_follow_the_class_not_other_functions():
    """Without a module docstring, a method follows its class's docstrings; a
    top-level function gets the default, whatever other functions use (so a
    fix never depends on an unrelated function's text)."""
    methods = "def other():\n    '''Other.'''\n\n\nclass Importer:\n    '''Imports.'''\n\n" \
              "    def run(self, rows):\n        return rows\n\n\ndef plain(x):\n    return x\n"
    assert "        '''TODO: Summarise what run does." in generate(methods, "def run")
    assert '    """TODO: Summarise what plain does.' in generate(methods, "def plain")


def test_generate_one_liner_moves_the_body_under_the_docstring():
    text = "from lime_task import task\n\n\n@task\ndef job(app): return 1  # trailing\n"
    assert fixed(text, "LIME401") == (
        'from lime_task import task\n\n\n@task\ndef job(app):\n    """TODO: Summarise what job does.\n\n'
        "    Args:\n        app: The Lime application.\n\n    Returns:\n        int: The task's summary: a short "
        'result stored in the task status.\n    """\n    return 1  # trailing\n')


def test_generate_on_methods_skips_self_and_cls():
    text = src('''
        class Importer:
            def run(self, rows, *args, **kwargs):
                return rows

            @classmethod
            def create(cls, app):
                return cls()

            @staticmethod
            def parse(text):
                return text.split()
        ''')
    run = ast.get_docstring(ast.parse(generate(text, "def run")).body[0].body[0])
    assert "self" not in run and "*args: Extra positional arguments." in run
    assert "**kwargs: Extra keyword arguments." in run
    create = ast.get_docstring(ast.parse(generate(text, "create(cls")).body[0].body[1])
    # `app` holds the application (a Lime name for it): described, not left as a TODO.
    assert "cls" not in create and "app: The Lime application." in create
    parse = ast.get_docstring(ast.parse(generate(text, "parse(text")).body[0].body[2])
    assert "text: Text." in parse


def test_generate_on_a_second_method_of_the_same_name_skips_self():
    """A property's setter shares its getter's name (the model keeps the first):
    it is still a method, found by its parent in the syntax index."""
    text = src('''
        class Deal:
            @property
            def title(self):
                return self._title

            @title.setter
            def title(self, value):
                self._title = value
        ''')
    setter = ast.get_docstring(ast.parse(generate(text, "title(self, value")).body[0].body[1])
    assert "self" not in setter and "value: Value." in setter


def test_action_is_offered_on_the_def_line_and_signature_only():
    text = src('''
        def helper(
            rows,
            limit=10,
        ):
            total = 0
            return rows[:limit]
        ''')
    for needle in ("def helper", "helper(", "rows,", "limit=10", "):"):
        assert generate(text, needle) is not None, needle
    assert generate(text, "total = 0") is None
    # Nested functions: the innermost header wins, and its raise is its own.
    nested = src('''
        def outer(x):
            def inner(y):
                raise KeyError(y)
            return inner
        ''')
    outer_doc = ast.get_docstring(ast.parse(generate(nested, "def outer")).body[0])
    assert "KeyError" not in outer_doc
    inner = ast.parse(generate(nested, "def inner")).body[0].body[0]
    assert "KeyError: TODO" in ast.get_docstring(inner)


def test_action_updates_a_stale_docstring_and_keeps_the_authors_text():
    text = src('''
        def helper(rows, limit):
            """Pick the first rows.

            Args:
                rows: The rows, newest first.
            """
            return rows[:limit]
        ''')
    analysis = analyse("file:///t.py", text, Settings(), path=None)
    [action] = [a for a in provided_actions(analysis, 4, 4) if "docstring" in a.title]
    assert action.title == "Update the docstring of `helper`"
    result = apply_edits(text, action.edits)
    assert "rows: The rows, newest first." in result and "limit: Limit." in result
    assert generate(result, "def helper") is None


# --------------------------------------------------------------------------
# LIME403 and LIME402
# --------------------------------------------------------------------------

@pytest.mark.parametrize("style", STYLES)
def test_lime403_fix_is_idempotent_in_every_style(style):
    text = (ROOT / "tests" / "fixtures" / "rules" / "LIME403.py").read_text(encoding="utf-8")
    once = fixed(text, "LIME403", docstring_style=style)
    assert not findings(once, "LIME403")
    assert fixed(once, "LIME403", docstring_style=style) == once
    module = ast.parse(once)
    for func in ast.walk(module):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and docstring_node(func) is not None:
            in_class = any(isinstance(c, ast.ClassDef) and func in c.body for c in module.body)
            assert stale_reasons(func, module, is_method=in_class, prune_raises=False) == [] or \
                func.name == "summary_only", func.name


def test_lime403_keeps_exceptions_documented_from_elsewhere():
    text = src('''
        def save(uow):
            """Commit.

            Args:
                uow: The unit of work.

            Raises:
                LimeError: When the commit fails (raised inside Lime).
            """
            uow.commit()
        ''')
    assert not findings(text, "LIME403")


def test_lime402_names_what_is_missing():
    text = src('''
        from lime_task import task


        @task
        def job(app, year: int, *rows, key=None, **opts):
            """Doc."""
            return year
        ''')
    [finding] = findings(text, "LIME402")
    assert finding.data["missing"] == ["app", "*rows", "key", "**opts", "the return value"]
    assert text[finding.start:finding.end] == "job"
    assert finding.fix is None
    assert check(SourceDocument(text), Settings(), codes={"LIME402"}).violations[0].code == "LIME402"


# --------------------------------------------------------------------------
# LIME501 and the complexity hover
# --------------------------------------------------------------------------

BRANCHY = src('''
    from lime_task import task


    def helper(row):
        if row == 1:
            return 1
        if row == 2:
            return 2
        if row == 3:
            return 3
        return 0


    @task
    def job(app, rows):
        """Doc."""
        for row in rows:
            if row:
                helper(row)
        return "done"
    ''')


def test_lime501_threshold_is_configurable_and_covers_helpers():
    assert not findings(BRANCHY, "LIME501")
    got = {v.data["function"]: v.data["complexity"] for v in findings(BRANCHY, "LIME501", max_complexity=2)}
    assert got == {"helper": 4, "job": 3}
    [helper] = [v for v in findings(BRANCHY, "LIME501", max_complexity=3)]
    assert "called from task `job`" in helper.message and BRANCHY[helper.start:helper.end] == "helper"


def test_complexity_hover_and_maintainability_index(tmp_path):
    path = tmp_path / "h.py"
    path.write_text(BRANCHY, encoding="utf-8")
    analysis = analyse(path.as_uri(), BRANCHY, Settings(), path=str(path), version=1)
    offset = BRANCHY.index("def helper") + 5
    text = hover_markdown(analysis, offset)
    assert "**Cyclomatic complexity** of `helper`: 4 (rank A; limit 10)" in text
    from radon.metrics import mi_visit

    assert f"Maintainability index of the module: {mi_visit(BRANCHY, True):.0f}" in text
    assert "Cyclomatic complexity" not in (hover_markdown(analysis, BRANCHY.index("row == 1")) or "")


def _timed_hover(view, offset: int) -> tuple[str, float]:
    started = time.perf_counter()
    markdown = complexity_hover.complexity_hover(view, offset)
    return markdown, time.perf_counter() - started


def test_complexity_hover_is_fast_on_a_10000_line_file(tmp_path):
    """The maintainability index of a long file is measured off the hover's path:
    the first hover says it is being measured, later ones show it, and after an
    edit the previous value is shown (marked) until the new one is ready."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate as generate_file
    finally:
        sys.path.remove(str(ROOT / "bench"))
    text = generate_file(10_000)
    from lime_task_lint.incremental import IncrementalAnalyser

    big = tmp_path / "big.py"
    big.write_text(text, encoding="utf-8", newline="")  # the saved file: where a view's real text comes from
    analyser = IncrementalAnalyser()
    uri = big.as_uri()
    analysis = analyser.analyse(uri, text, Settings(), path=str(big), version=1)
    offset = text.index("def deal_summary_") + 5
    view = analyser.view(analysis, offset)
    assert len(view.document.text) == len(text) and view.document.text != text  # a view: others blanked
    markdown, elapsed = _timed_hover(view, offset)
    assert "Cyclomatic complexity" in markdown and "being measured" in markdown
    assert elapsed < 0.05, f"hover took {elapsed * 1000:.1f} ms"
    deadline = time.monotonic() + 30
    while "being measured" in markdown and time.monotonic() < deadline:
        time.sleep(0.05)
        markdown, elapsed = _timed_hover(view, offset)
    assert elapsed < 0.05, f"hover took {elapsed * 1000:.1f} ms"
    # Measured on the real text (the saved file agrees with the view), not the blanked view.
    from radon.metrics import mi_visit

    assert f"Maintainability index of the module: {mi_visit(text, True):.0f} (rank" in markdown
    edited = text.replace("def deal_summary_", "def deal_summary2_", 1)
    big.write_text(edited, encoding="utf-8", newline="")
    analysis = analyser.analyse(uri, edited, Settings(), path=str(big), version=2)
    view = analyser.view(analysis, offset)
    markdown, elapsed = _timed_hover(view, offset)
    assert "before the last edit; being measured again" in markdown
    assert elapsed < 0.05, f"hover took {elapsed * 1000:.1f} ms"


def test_maintainability_index_needs_the_real_text(tmp_path):
    path = tmp_path / "short.py"
    path.write_text(BRANCHY, encoding="utf-8")
    analysis = analyse(path.as_uri(), BRANCHY, Settings(), path=str(path), version=7)
    value, current, known = complexity_hover.maintainability_index(analysis)
    from radon.metrics import mi_visit

    assert current and known and value == pytest.approx(mi_visit(BRANCHY, True))
    # A text that disagrees with the saved file (unsaved edits, no server): not measured.
    edited = BRANCHY.replace("row == 1", "row == 9")
    unsaved = analyse(path.as_uri(), edited, Settings(), path=str(path), version=8)
    assert complexity_hover.maintainability_index(unsaved) == (None, True, False)
    hover = hover_markdown(unsaved, edited.index("def helper") + 5)
    assert "Cyclomatic complexity" in hover and "Maintainability" not in hover
    # A view-like text (other lines blanked) of the saved file: the saved file's index.
    blanked = "".join(" " * len(line.rstrip("\n")) + "\n" if line.startswith("    return") else line
                      for line in BRANCHY.splitlines(True))
    view = analyse(path.as_uri(), blanked, Settings(), path=str(path), version=9)
    assert complexity_hover.maintainability_index(view).value == pytest.approx(mi_visit(BRANCHY, True))
    path.write_text("def f(:\n", encoding="utf-8")
    broken = analyse(path.as_uri(), "def f(:\n", Settings(), path=str(path), version=10)
    assert complexity_hover.maintainability_index(broken) == (None, True, True)


# --------------------------------------------------------------------------
# The example workspace
# --------------------------------------------------------------------------

def test_generating_every_example_docstring_gives_complete_parsing_docstrings():
    """The action on each function of the example workspace: the result parses,
    only the summary (and descriptions) are left to write, and updating again
    changes nothing."""
    changed = set()
    for path in sorted(EXAMPLES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for func in ast.walk(ast.parse(text)):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            needle = f"def {func.name}("
            result = generate(text, needle, path=str(path))
            if result is None:
                continue  # already up to date
            changed.add(func.name)
            assert generate(result, needle, path=str(path)) is None, (path.name, func.name)
            new_doc = ast.get_docstring(next(n for n in ast.walk(ast.parse(result))
                                             if getattr(n, "name", None) == func.name))
            if "app" in [a.arg for a in func.args.args]:
                # The application parameter of a task, or of a helper a task passes it to.
                assert "app: The Lime application." in new_doc, func.name
        assert not findings(text, "LIME401", path=str(path)) or path.name != "clean.py"
    # The undocumented ones and the stale one (deal_summary's `currency`); the rest are complete.
    assert changed == {"_get_page", "active_person_names", "person_report", "deal_summary"}


def test_lime403_leaves_docstrings_without_signature_sections_alone():
    """A property documented with a summary and a `Note:` (seen in limepkg-getaccept
    and limepkg-scrive) has no Args/Returns to go stale."""
    text = src('''
        class Config:
            @property
            def name(self):
                """The name of the plugin

                Note:
                    The name is used as the key when persisting the config.
                """
                return "limepkg_x"

            def get(self, key: str) -> str:
                """Read a value.

                Returns:
                    LimeObject: The value.
                """
                return key
        ''')
    [finding] = findings(text, "LIME403")
    assert finding.data["function"] == "Config.get"
    assert "documented as LimeObject but annotated str" in finding.message


@pytest.mark.parametrize("style", STYLES)
def test_generate_yields_for_generators_in_every_style(style):
    text = src('''
        from typing import Iterator


        def pages(api, size: int = 100) -> Iterator[list[dict]]:
            while True:
                page = api.fetch(size)
                if not page:
                    return
                yield page
        ''')
    result = generate(text, "def pages", style)
    doc = ast.get_docstring(ast.parse(result).body[1])
    header = {"google": "Yields:", "numpy": "Yields\n------", "sphinx": ":Yields:"}[style]
    if style == "sphinx":
        assert ":returns:" not in doc and ":yields: Each page." in doc
    else:
        assert header in doc and "Returns" not in doc and "Each page." in doc
    assert "list[dict]" in doc
    assert generate(result, "def pages", style) is None
    assert not findings(result, "LIME403", docstring_style=style)


def test_update_of_a_docstring_after_a_comment_keeps_the_comment():
    """A comment before the first string does not stop it being the docstring:
    LIME403 reads it and its fix updates it in place."""
    text = src('''
        def helper(rows, limit):
            # Kept: the comment above the docstring.
            """Pick rows.

            Args:
                rows: The rows.
            """
            return rows[:limit]
        ''')
    [finding] = findings(text, "LIME403")
    assert text[finding.start:finding.end] == '"""Pick rows.'
    result = fixed(text, "LIME403")
    assert result == text.replace("        rows: The rows.\n",
                                  "        rows: The rows.\n        limit: Limit.\n\n"
                                  "    Returns:\n        TODO: Describe the return value.\n")
    assert "# Kept: the comment above the docstring." in result
