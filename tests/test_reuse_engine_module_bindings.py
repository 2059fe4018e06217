"""The reuse engine and names a function binds at module level.

``global logger`` followed by ``del logger`` (or ``logger = None``) in one
function makes the module's ``logger`` unusable by a fix in any other function,
although no text links them: the task that prints does not name ``logger``,
and the function never calls the task.  The same for ``global logging`` /
``del logging``: a fix then imports ``logging as _logging``.  Found when the
editor kept (or freshly built on a document without that function) a
``logger.info(...)`` fix that a from-scratch analysis does not offer.

Invariant: after every edit, the editor's result equals a from-scratch analysis
(``signature`` of tests/test_incremental.py), whichever side of the pair
(the function with ``global``, or the printing task) the edit touched.
"""

from __future__ import annotations

import logging

import pytest

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


def _module(reset_body: str, count: int = 1, logger_line: str = "logger = logging.getLogger(__name__)") -> str:
    return f'''import logging
from lime_task import task

{logger_line}


def reset():
{reset_body}


@task
def first(app):
    print("rows", {count})
    return 1


@task
def second(app):
    print("more", 2)
    return 2
'''


def _same_as_full(*texts: str) -> None:
    # chunk_lines=1: the first version too is analysed in batches of one component
    # (the server's from-scratch path), each on a reduced document.
    for chunk_lines in (2000, 1):
        _compare(IncrementalAnalyser(chunk_lines=chunk_lines), texts)


def _compare(analyser, texts) -> None:
    for version, text in enumerate(texts):
        got = analyser.analyse("u", text, SETTINGS, version=version)
        assert signature(got) == signature(analyse("u", text, SETTINGS)), f"version {version}"


RESETS = {
    "deletes the logger": "    global logger\n    del logger",
    "rebinds the logger to None": "    global logger\n    logger = None",
    "keeps a logger": "    global logger\n    logger = logging.getLogger('other')",
    "deletes logging": "    global logging\n    del logging",
    "imports logging under another name": "    import json as logging\n    return logging",
    "does nothing global": "    return 0",
}


@pytest.mark.parametrize("name", sorted(RESETS))
def test_an_edit_in_a_task_is_judged_with_the_other_functions_module_bindings(name):
    """The edit changes the printing task only; ``reset`` is reused (blanked)."""
    _same_as_full(_module(RESETS[name]), _module(RESETS[name], count=2))


@pytest.mark.parametrize("before,after", [
    ("does nothing global", "deletes the logger"),
    ("keeps a logger", "deletes the logger"),
    ("rebinds the logger to None", "keeps a logger"),
    ("does nothing global", "deletes logging"),
    ("does nothing global", "imports logging under another name"),
])
def test_an_edit_in_the_function_with_global_reaches_the_reused_tasks(before, after):
    """The edit changes ``reset`` only: the tasks' findings, reused until then,
    depend on what ``reset`` does to the module's names."""
    _same_as_full(_module(RESETS[before]), _module(RESETS[after]))


@pytest.mark.parametrize("name", sorted(RESETS))
def test_without_a_module_logger_too(name):
    _same_as_full(_module(RESETS[name], logger_line="LIMIT = 1"), _module(RESETS[name], count=3, logger_line="LIMIT = 1"))


@pytest.mark.parametrize("name", sorted(RESETS))
def test_fix_all_with_reuse_gives_the_text_without_it(name):
    text = _module(RESETS[name])
    assert fix_text(text, SETTINGS, unsafe=True, reuse=True).text == \
        fix_text(text, SETTINGS, unsafe=True, reuse=False).text
