"""Red team of the reuse engine after 5a66f41 ("link every spelling of a fetched
relation, only fetched relations, and re-analyse a component whose text names a
line that moved").

The invariant under attack: ``IncrementalAnalyser().analyse(...)`` after edits
gives what a from-scratch ``analysis.analyse(...)`` of the same text gives
(``signature`` of tests/test_incremental.py: messages, ranges, fix titles and
edits), and a line added near the top of a task-dense file keeps reusing the
components whose texts name no moved line.

The relation links and the moved-line check of 5a66f41 held against
hypothesis-style random edits (fetch / read / look-up / attach lines in both
spellings, blank lines added and removed, LF and CR LF files).  What breaks is
elsewhere: module-wide facts the model collects from *every* function's nodes
(``global`` names, imports) and names bound by parameters, none of which a
component link or the names digest captures; a line-number check that counts
digits inside identifiers; and the statements of a multi-edit pass that splits
one CR LF and joins another.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from lime_task_lint.analysis import analyse
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Edit, apply_edits
from lime_task_lint.incremental import IncrementalAnalyser, Update, _environment_key, reanalyse, state_of
from lime_task_lint.settings import Settings

from test_incremental import signature

SETTINGS = Settings()


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _incremental_after(texts: list[str]) -> tuple[IncrementalAnalyser, object]:
    analyser = IncrementalAnalyser()
    result = None
    for version, text in enumerate(texts):
        result = analyser.analyse("u", text, SETTINGS, version=version)
    return analyser, result


# -- module-wide facts no link captures ---------------------------------------------
GLOBAL_MODULE = '''from lime_task import task

IDS = [1, 2, 3]


def reset():
    global IDS
    IDS = list(range(100000))


@task
def report(app):
    uow = app.unit_of_work()
    for i in IDS:
        deal = app.limetypes.deal.get(i)
        uow.add(deal)
        uow.commit()
    return 1
'''


def test_a_global_declaration_in_an_unlinked_function_is_kept_when_that_function_is_reused():
    """Input: ``IDS = [1, 2, 3]`` at module level, ``reset()`` declaring
    ``global IDS`` and rebinding it, and a task ``report`` looping over ``IDS``
    with a ``get`` and a ``commit`` per item; then ``return 1`` -> ``return 2``
    in ``report``.

    Expected: the findings of a from-scratch analysis.  The model treats ``IDS``
    as a constant only when no function declares it ``global``
    (``model._module_constants(tree, rebound)``), so from scratch the loop's size
    is unknown and LIME203 and LIME201 report it.  ``reset`` mentions ``IDS``
    but defines no function of that name, so it is a component of its own; it is
    reused and blanked, the reduced document has no ``global IDS``, the loop is
    three items, and both findings vanish from the editor."""
    _edit_elsewhere_matches_from_scratch(GLOBAL_MODULE, {"LIME203", "LIME201"})


TRY_IMPORT_MODULE = '''try:
    from lime_query import execute_query
    from lime_task import task
except ImportError:  # outside Lime: the module still imports
    execute_query = None

    def task(function):
        return function


def totals(app, deal_ids):
    out = []
    for deal_id in deal_ids:
        rows = execute_query({"limetype": "deal", "filter": {"key": "id", "op": "=", "exp": deal_id}}, app)
        out.append(rows)
    return out
'''


def test_an_import_inside_a_top_level_try_that_defines_a_fallback_is_kept_when_it_is_reused():
    """Input: a top-level ``try: from lime_query import execute_query ... except
    ImportError: def task(...)`` (a unit, since it defines ``task``) and a helper
    ``totals`` calling ``execute_query(...)`` once per item; then ``return out``
    -> ``return list(out)`` in ``totals``.

    Expected: from scratch, LIME203 reports the query per item (the model reads
    the module's imports from every node of the tree, the try block's included).
    ``totals`` does not use ``task``, so the try block is another component;
    reused and blanked, its import is gone from the reduced document,
    ``execute_query`` is no longer ``lime_query.execute_query`` and the N+1
    finding disappears."""
    edited = TRY_IMPORT_MODULE.replace("return out", "return list(out)")
    analyser, result = _incremental_after([TRY_IMPORT_MODULE, edited])
    assert analyser.stats.last_mode == "incremental"
    expected = analyse("u", edited, SETTINGS, version=1)
    assert any(v.code == "LIME203" for v in expected.violations)
    assert signature(result) == signature(expected)


LOCAL_IMPORT_MODULE = '''import lime_task


def setup():
    from lime_task import task
    return task


@task
def report(app):
    return 1
'''


def test_a_function_local_import_is_kept_when_its_function_is_reused():
    """Input: ``setup()`` importing ``task`` inside its body, and ``report``
    decorated ``@task``; then ``return 1`` -> ``return 2`` in ``report``.

    Expected: from scratch ``report`` is a task (``model._imports_of`` collects
    every import node of the tree, the one inside ``setup`` too) and gets LIME401
    and LIME402.  ``setup`` mentions ``task`` but defines nothing named so: not
    linked; reused and blanked, ``report`` is no task in the reduced document and
    both findings are lost."""
    _edit_elsewhere_matches_from_scratch(LOCAL_IMPORT_MODULE, {"LIME401", "LIME402"})


# -- names bound by parameters: the names a new module-level logger avoids ------------
PARAMETER_MODULE = '''from lime_task import task


def helper(logger):
    return 1


@task
def report(app):
    """Report.

    Args:
        app: The app.

    Returns:
        A number.
    """
    print("hi")
    return 7
'''


def test_a_fresh_fix_does_not_take_a_name_that_only_a_reused_functions_parameter_binds():
    """Input: ``helper(logger)`` and a task that calls ``print``; then ``return 7``
    -> ``return 8`` in the task.

    Expected: from scratch LIME304's fix adds ``_logger = logging.getLogger(...)``
    (``logger`` is in use: ``helper``'s parameter).  With ``helper`` reused and
    blanked the rule sees ``logger`` free and names the new logger ``logger``.
    ``_names_hidden_by_blanking`` should send this to a from-scratch run, but it
    only knows ``ast.Name`` uses (``StatementFacts.refs``), not parameters."""
    edited = PARAMETER_MODULE.replace("return 7", "return 8")
    analyser, result = _incremental_after([PARAMETER_MODULE, edited])
    expected = analyse("u", edited, SETTINGS, version=1)
    assert any(v.fix is not None and v.fix.title == "Use `_logger.info(...)`" for v in expected.violations)
    assert signature(result) == signature(expected)


def test_renaming_a_parameter_that_blocked_the_logger_name_reanalyses_the_reaching_fix():
    """Input: the same module; then ``helper(logger)`` -> ``helper(lg)``.

    Expected: from scratch the fix now adds ``logger`` (free again).  The task's
    component is reaching (its fix edits outside it), and is re-analysed only
    when the names digest changes (``_names_key``), which hashes
    ``refs | defines`` and so misses parameter names: the stale fix adding
    ``_logger`` is reused."""
    edited = PARAMETER_MODULE.replace("def helper(logger)", "def helper(lg)")
    analyser, result = _incremental_after([PARAMETER_MODULE, edited])
    expected = analyse("u", edited, SETTINGS, version=1)
    assert any(v.fix is not None and v.fix.title == "Use `logger.info(...)`" for v in expected.violations)
    assert signature(result) == signature(expected)


# -- the moved-line check: digits inside identifiers ----------------------------------
def _dense_with_a_table() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        from generate import DENSE_HEADER, DENSE_TASK
    finally:
        sys.path.pop(0)
    tasks = [DENSE_TASK.replace("__N__", str(n)) for n in range(500)]
    table = "\n\nCOLUMNS = [\n" + "".join(f'    "column_{n}",\n' for n in range(400)) + "]\n"
    return DENSE_HEADER + "".join(tasks[:20]) + table + "".join(tasks[20:])


def test_a_line_added_at_the_top_of_a_dense_file_keeps_reusing_tasks_whose_names_hold_digits():
    """Input: ``bench/generate.py``'s 500 dense tasks ``job_0`` .. ``job_499``
    (LIME401 says "task `job_250` has no docstring...") with a 400-line module
    constant ``COLUMNS = [...]`` after ``job_19`` (a context statement at about
    lines 207-608); then a line added inside ``job_0``.

    Expected: the other tasks are reused (the edit changes one component; no
    finding names a line).  ``_NUMBER`` reads the ``250`` of ``job_250`` as a
    number (its look-behind excludes digits, commas and dots, not letters or
    ``_``), 250 is a line of the context, at or after the moved line, so about
    290 tasks are analysed again on every keystroke that adds a line above them
    (1.4 s instead of 0.1 s here).  Digits inside an identifier never name a
    line."""
    text = _dense_with_a_table()
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    edited = text.replace("def job_0(app, rows):\n", "def job_0(app, rows):\n    x = 1\n", 1)
    reused = analyser.stats.reused_components
    analyser.analyse("u", edited, SETTINGS)
    assert analyser.stats.last_mode == "incremental"
    assert analyser.stats.reused_components - reused >= 495


# -- a fix-all pass that splits one CR LF and joins another ---------------------------
FETCHER = (
    "@task\n"
    "def report(app, deals):\n"
    "    names = []\n"
    "    for deal in deals:\n"
    "        company = deal.properties.customer.fetch()\n"
    "        names.append(company.properties.name.value)\n"
    "    return names\n"
)
PROVIDER = (
    "def owner_of(app, deal):\n"
    "    return app.limetypes.company.get(deal.properties.customer.value)\n"
)


def test_a_pass_that_splits_one_cr_lf_and_joins_another_keeps_the_statements_lines():
    """Input (``reanalyse`` with two edits, as fix-all's passes call it): a CR LF
    file whose tasks sit between a comment line ``# one`` and a later
    ``# two<CR>#<LF>``; edit 1 inserts ``#`` between the CR and the LF after
    ``# one`` (a new line, but no line break in either slice), edit 2 deletes the
    ``#`` between ``# two<CR>`` and ``<LF>`` (a line less, same).

    Expected: the state describes the new text: its statements' lines equal
    those of a from-scratch state (the next pass blanks and reuses by them, the
    moved-line check reads spans from them).  ``_first_moved_line`` returns
    None (no slice changes its breaks and the line count is unchanged) and
    ``_reread``'s guard (``shift != line_count`` difference) passes for the same
    reason: the tasks between the edits keep the line numbers of the old text,
    one line too high.  Observed consequences on the next pass from that state
    (a comment line added above the tasks): the span check reads the provider at
    lines 14-15 instead of 15-16, so "as used at line 16" is not seen as naming
    a line; the component is reused and its units are blanked one line off,
    which only the "reduced document is not read as the statements" guard
    catches (a from-scratch fallback).  A one-line unit (``def f(): ...``) would
    stay visible after such a blanking with no parse error to catch it.  Lower
    severity than the tests above: only fix-all's multi-edit passes reach it,
    and only with mixed CR / CR LF line endings."""
    text = ("from lime_task import task\n# one\n\n\n" + FETCHER + "\n\n" + PROVIDER + "\n\n# two\n#\n# three\n")
    text = text.replace("\n", "\r\n").replace("# two\r\n#\r\n", "# two\r#\n")
    analyser = IncrementalAnalyser()
    analyser.analyse("u", text, SETTINGS)
    state = analyser._states["u"]
    split = text.index("# one\r\n") + len("# one\r")
    join = text.index("# two\r#") + len("# two\r")
    edits = [Edit(split, split, "#"), Edit(join, join + 1, "")]
    new = apply_edits(text, edits)
    update = reanalyse(state, SourceDocument(new, None, 1), edits, SETTINGS,
                       context_extra=_environment_key(SETTINGS, None, None, None))
    assert isinstance(update, Update)
    fresh = analyse("u", new, SETTINGS, version=1)
    scratch = state_of(fresh.document, fresh.violations, fresh.result.notes,
                       _environment_key(SETTINGS, None, None, None))
    assert [(s.first, s.last) for s in update.state.statements] == \
        [(s.first, s.last) for s in scratch.statements]


def _edit_elsewhere_matches_from_scratch(module: str, codes: set[str]) -> None:
    """Edit ``return 1`` to ``return 2`` in ``module``: the incremental result equals a
    from-scratch analysis, which reports at least ``codes``."""
    edited = module.replace("return 1", "return 2")
    analyser, result = _incremental_after([module, edited])
    assert analyser.stats.last_mode == "incremental"
    expected = analyse("u", edited, SETTINGS, version=1)
    assert {v.code for v in expected.violations} >= codes
    assert signature(result) == signature(expected)
