"""Red-team inputs for the fix windows of a file that does not parse (checker.py:
``adds_no_broken_statement_locally``, ``_checked_fix``) and for the reuse engine
that moves its bookkeeping past each keystroke (incremental.py).

The bar: a quick fix in a broken file is kept exactly when the whole-file check
(``edits.fix_is_acceptable`` on the whole text) keeps it, and the editor's
incremental analysis equals a from-scratch ``checker.check`` without falling back
because of an exception.

Tests named ``test_break_*`` failed on the code they were written against
(1cbf8af; each says what is wrong and what is right) and are regression tests
now, except five reuse-engine divergences on lone CR, CR LF, BOM and tab input
that predate this session's changes: those are strict xfails naming the cause.
Tests named ``test_holds_*`` are guards that pass and must keep passing.  The inputs were found by random generation
(broken pieces, blank lines, CR/CRLF, BOM, f-strings, decorators) and then
shrunk by hand to the few characters that matter.
"""

from __future__ import annotations

import io
import logging
import random

import pytest
from lime_task_lint.analysis import analyse
from lime_task_lint.checker import _checked_fix, adds_no_broken_statement_locally
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Edit, Fix, LineIndex, apply_edits, fix_is_acceptable
from lime_task_lint.incremental import IncrementalAnalyser
from lime_task_lint.settings import Settings
from test_incremental import signature

SETTINGS = Settings()


def _kept(text: str, edits: list[Edit]) -> bool:
    """Whether the checker keeps a fix of ``edits`` on ``text`` (its real entry point)."""
    return _checked_fix(SourceDocument(text, "tasks.py"), Fix("fix", tuple(edits))) is not None


def _whole_file(text: str, edits: list[Edit]) -> bool:
    """The reference: the whole-file recovering-parse comparison."""
    return fix_is_acceptable(text, Fix("fix", tuple(edits)))


@pytest.fixture(autouse=True)
def _quiet_dropped_fixes():
    logging.getLogger("lime_task_lint.checker").setLevel(logging.ERROR)
    yield
    logging.getLogger("lime_task_lint.checker").setLevel(logging.NOTSET)


# -- 1. a window that runs to the end of the file ------------------------------------------
# ``adds_no_broken_statement_locally`` ends a window that has no closing statement at
# ``max(_end_of_last_line_with_text(...), max(e.end for e in edits))``: the trailing
# blank lines (and spaces after the last line break) are left out, on the assumption
# that they "change nothing".  They do change the recovering parse: a fix whose edit
# lands on (or reaches into) a trailing blank line is read without the rest of that
# line and its line break, and a broken last line reads differently without the
# spaces after it.  Then the window's verdict is not the whole file's.
#
# (text, edits, what the whole-file check decides)
_END_OF_FILE_CASES = {
    # "@task\nclass\n" has 2 broken pieces, the window "@task\nclass" (no line break) 1:
    # the fix adds a broken statement and is kept.  Right: refused.
    "keyword typed on the last blank line": ("@task\n\n", [Edit(6, 6, "class")], False),
    "keyword typed on a last line of spaces": ("@task\n  \n", [Edit(6, 6, "class ")], False),
    # The edit swallows the line break before the trailing " \n": the window stops at
    # the edit's end and never sees the " \n" that the whole file joins to "def ".
    "edit joins the trailing blank line": ("({\n)\n \n", [Edit(3, 5, "def ")], False),
    # A quote opened inside the window and one typed on the trailing blank line: the
    # window reads `"` at the very end, the whole file `" \n`.
    "quote typed on the trailing blank line": ("def d():\n (''''''\nwith()as f:\nfrom a import b\n \n",
                                              [Edit(20, 21, '"'), Edit(46, 46, '"')], False),
    # An edit replacing the trailing blank lines up to one of them (CRLF file).
    "edit over trailing CRLF blank lines": ("[ \r\n   \r\n\t\r\n@task\r\n     \r\n     \r\n \r\n       \n",
                                           [Edit(2, 42, ")")], False),
    "brace over trailing blank lines of an f-string": ('(f"{y\n \n   \n \n \n \n\n', [Edit(6, 18, "}")], False),
    # No edit at the end at all: the file ends in " " after its last line break, which the
    # window drops; "f'''{\nif y:()\nelse:()\n " is 1 broken piece, without the " " 2, so the
    # window counts 2 -> 2 where the file counts 1 -> 2.  Right: refused.
    "trailing spaces without a line break": ("f'''{\nif y:()\nelse:()\n ",
                                             [Edit(14, 14, "def f():\n    pass\n")], False),
    # The other direction: a fix the whole file accepts (2 -> 2) is refused because the
    # window leaves out the lone CR after the edit.  Right: kept.
    "lone CR after an edit over CRLF lines": ("f'''{\nif y:1\n \r\n   \r", [Edit(14, 19, '"')], True),
}


@pytest.mark.parametrize("name", list(_END_OF_FILE_CASES))
def test_break_window_to_the_end_of_the_file_drops_text_the_parse_depends_on(name):
    text, edits, whole = _END_OF_FILE_CASES[name]
    assert _whole_file(text, edits) is whole  # the reference, computed, not assumed
    document = SourceDocument(text, "tasks.py")
    assert document.recovered.broken_ranges
    verdict = adds_no_broken_statement_locally(document, tuple(edits))
    # Wrong: the window gives the opposite verdict (and the checker follows it).
    # Right: the window's verdict is the whole file's, or None (cannot tell).
    assert verdict in (whole, None), f"window says {verdict}, the whole file {whole}"
    assert _kept(text, edits) is whole


# -- 2. the older statement-group check (fix_parses_locally), reached first -----------------
# ``_checked_fix`` keeps a fix outright when ``fix_parses_locally`` says the touched
# statements still parse on their own.  In these files the fix's lines are read by the
# recovering parser as part of the broken text before them (no statement that parsed in
# between, by the recovering parse's reckoning), so "parses on its own" does not mean
# "adds no broken statement".  Present before the window change too (same verdicts at
# d0a2b25^1), but it is the same bar: the fix adds a syntax error and is kept.
_GROUP_CASES = {
    # 2 broken pieces before, 4 after; kept.  Right: refused.
    "list typed over the trailing blank lines": ("(:\n1\n\n  ", [Edit(5, 7, "[o for o in rows]")]),
    # 3 broken pieces before, 4 after; kept.  Right: refused.
    "function pasted after a broken indented line": ("    (,\ne=''\n ", [Edit(12, 12, "async def a():\n    pass\n")]),
    # A decorator added to the function after an f-string left open on its line: the
    # recovering parse reads "name = 'h'" to "def tail" as one broken piece once the
    # decorator is there (1 -> 2 broken pieces); kept.  Right: refused.
    "decorator added after an open f-string": ("s = f'''{x\nname = 'h'\n\n\ndef tail(app):\n    return 1\n",
                                               [Edit(24, 24, "@task\n")]),
}


@pytest.mark.parametrize("name", list(_GROUP_CASES))
def test_break_statement_group_check_keeps_a_fix_that_adds_a_broken_statement(name):
    text, edits = _GROUP_CASES[name]
    assert _whole_file(text, edits) is False
    # Wrong: kept.  Right: refused, as the whole-file check decides.
    assert _kept(text, edits) is False


# -- 3. the reuse engine after a keystroke that breaks the text above ----------------------
class _Logs:
    """What the incremental module logs at WARNING and above while in use."""

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.WARNING)
        self.logger = logging.getLogger("lime_task_lint.incremental")
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()


def _incremental_matches_scratch(versions: list[str]) -> None:
    analyser = IncrementalAnalyser()
    for number, text in enumerate(versions):
        with _Logs() as logs:
            incremental = analyser.analyse("file:///tasks.py", text, SETTINGS, path="tasks.py", version=number)
        assert "failed" not in logs.text, (number, logs.text)
        scratch = analyse("file:///tasks.py", text, SETTINGS, path="tasks.py", version=number)
        assert signature(incremental) == signature(scratch), (number, analyser.stats.last_mode,
                                                                analyser.stats.last_reason)


_BEFORE_TYPING = ("def sync_1(app, rows):\n    for row in rows:\n        deal = app.limetypes.deal.get(row['id'])\n"
                  "defined = [\n@task\nlogger.info(f\"row {row}\")\ndef sync_2(app, rows):\n        uow.commit()\n"
                  "@task\ndef sync_3(app, rows):\n        uow.add(deal)\n@task\n")


@pytest.mark.xfail(strict=True, reason="known, present before this session's changes: the reduced document's recovering parse built from known statements counts 4 broken pieces where a real parse counts 5 (typing at offset 0)")
def test_break_incremental_drops_a_fix_the_whole_file_keeps_after_typing_at_offset_0():
    """Typing ``defined = [`` at offset 0 of a broken file.  The N+1 finding in
    sync_1 (LIME203) has a fix that also inserts ``import lime_filter`` at offset 0.

    Wrong: the incremental analysis offers the finding without its fix.  The
    component is re-analysed on a reduced document (sync_2 blanked) whose
    ``recovered`` (built from the known statements) counts 4 broken pieces while
    a recovering parse of that same reduced text counts 5; the fallback compares
    the edited reduced text's real count (5) with 4 and drops the fix.
    Right: the fix is kept, as by ``checker.check`` of the text (the window and
    the whole-file check both keep it: 4 -> 4 broken pieces)."""
    typed = "defined = [\n" + _BEFORE_TYPING
    _incremental_matches_scratch([_BEFORE_TYPING, typed])


# The cases below were found by random keystroke sequences (mixed line ends, tabs,
# BOM, pasted and deleted tasks) and shrunk to the lines that matter.  They fail
# the same way on the code before the window change (d0a2b25^1): not introduced by
# it, but the same bar.
@pytest.mark.xfail(strict=True, reason="known, present before this session's changes: a statement read on its own with tab indentation parses where the whole file's recovery reads it into the broken text")
def test_break_incremental_reads_a_helper_the_whole_file_reads_as_broken_tabs_vs_spaces():
    """A helper pasted above a line indented with tabs (``\\t\\tuow = \\r...``): the
    recovering parse of the whole text reads the helper and that line as one broken
    piece ("inconsistent use of tabs and spaces"), so ``checker.check`` reports nothing.
    Wrong: the incremental analysis parses the helper on its own lines and reports
    its N+1 finding (LIME203).  Right: no finding, as from scratch."""
    before = ('import loging\nfrom lime_task import task\r'
              '\n\n\t\tuow = \rapp.unit_of_work()\n')
    typed = ('import loging\nfrom lime_task import task\r'
             '\ndef helper(app, rows):\n    for row in rows:\n'
             '        app.limetypes.company.get(row)\n\n\t\tuow = \r'
             'app.unit_of_work()\n')
    _incremental_matches_scratch([before, typed])


@pytest.mark.xfail(strict=True, reason="known, present before this session's changes: a backslash continuation before a lone CR joins the next task in the whole file but not in the re-read statements")
def test_break_incremental_reports_a_task_a_backslash_continuation_swallows_lone_cr():
    """A file with lone CR line ends; deleting a whole task leaves ``total = 1 + \\``
    right above ``@task``.  From scratch the continuation joins the decorator and
    ``sync_4`` is part of the broken text: no finding.
    Wrong: the incremental analysis reports LIME305, LIME401 and LIME402 for
    ``sync_4``.  Right: none of them."""
    before = ("from lime_task import task\rlogger = logging.getLogger(deal = app.limetypes.deal.get(row['id'])\r"
              '        uow.commit()\rtotal = 1 + \\\r@task\r'
              'def sync_3(app, rows):\r    for row in rows:\r'
              '        uow = app.unit_of_work()\r        deal = app.limetypes.\\\n'
              'deal.get(row[\'id\'])\r        logger.info(f"deal {deal.id} é𝄞")\r'
              '        uow._add(deal)\r        uow.commit()\r'
              '\r\r@task\rdef sync_4(app, rows):\r        uow.commit()\r')
    deleted = ("from lime_task import task\rlogger = logging.getLogger(deal = app.limetypes.deal.get(row['id'])\r"
               '        uow.commit()\rtotal = 1 + \\\r@task\r'
               'def sync_4(app, rows):\r        uow.commit()\r')
    _incremental_matches_scratch([before, deleted])


@pytest.mark.xfail(strict=True, reason="known, present before this session's changes: BOM plus lone CR line endings: the re-read statements and the whole-file recovery disagree")
def test_break_incremental_reports_a_log_finding_after_typing_in_an_import_bom_lone_cr():
    """BOM, lone CR line ends, a task whose body is indented with tabs; typing ``(``
    inside ``import`` (``from lime_task i(mport task``).  From scratch the task is
    read as broken: no LIME306.
    Wrong: the incremental analysis keeps reporting LIME306 (with its fix) for the
    f-string log call.  Right: no finding."""
    before = ('\ufeffimport logging\rfrom lime_task import task\r'
              'logger = logging.getLogger(__name__)\r@task\r'
              'def sync_3(app, rows):\r\t\tlogger.info(f"deal {deal.id} é𝄞")\r')
    typed = ('\ufeffimport logging\rfrom lime_task i(mport task\r'
             'logger = logging.getLogger(__name__)\r@task\r'
             'def sync_3(app, rows):\r\t\tlogger.info(f"deal {deal.id} é𝄞")\r')
    _incremental_matches_scratch([before, typed])


@pytest.mark.xfail(strict=True, reason="known, present before this session's changes: CR LF file: a fix of another task is judged on the reduced document's recovery, which differs from the whole file's")
def test_break_incremental_drops_a_fix_after_deleting_a_for_keyword_crlf():
    """A CRLF file (first line LF) broken at its top; deleting ``for `` in
    ``sync_424``.  The N+1 finding in ``sync_385`` has a fix that also inserts an
    import at offset 0.
    Wrong: the incremental analysis offers the finding without its fix (judged on
    the reduced document).  Right: with its fix, as from scratch."""
    before = ('defined = [\n        uow.commit()\r\n        uow.commit()\r'
              '\ndef sync_756(app, rows):\r\n        uow.commit()\r'
              '\n@task\r\ndef sync_1036(app, rows):\r\n        uow.commit()\r'
              '\ndef sync_424(app, rows):\r\n    for row in rows:\r'
              '\ndef sync_385(app, rows):\r\n    for row in rows:\r'
              "\n        deal = app.limetypes.deal.get(row['id'])\r"
              '\n    for row in rows:\r\n        uow.commit()\r'
              '\n')
    deleted = ('defined = [\n        uow.commit()\r\n        uow.commit()\r'
               '\ndef sync_756(app, rows):\r\n        uow.commit()\r'
               '\n@task\r\ndef sync_1036(app, rows):\r\n        uow.commit()\r'
               '\ndef sync_424(app, rows):\r\n    row in rows:\r'
               '\ndef sync_385(app, rows):\r\n    for row in rows:\r'
               "\n        deal = app.limetypes.deal.get(row['id'])\r"
               '\n    for row in rows:\r\n        uow.commit()\r'
               '\n')
    _incremental_matches_scratch([before, deleted])


# -- guards that hold -----------------------------------------------------------------------
_TAIL = "\n\n@task\ndef tail(app):\n    return 1\n"


def _at(text: str, marker: str, new: str, length: int = 0, after: bool = False) -> Edit:
    start = text.index(marker) + (len(marker) if after else 0)
    return Edit(start, start + length, new)


def _hand_cases() -> dict[str, tuple[str, list[Edit]]]:
    """The brief's shapes, each in a file whose windows close on a ``def``."""
    cases: dict[str, tuple[str, list[Edit]]] = {}
    top = "import os\n\n\ndef a(app):\n    return 1\n\n\nx = call(1, \n" + _TAIL
    cases["import at the top, break at the bottom"] = (top, [Edit(0, 0, "import logging\n")])
    cases["import at the top and an edit in the last function"] = (
        top, [Edit(0, 0, "import logging\n"), _at(top, "def tail(app):\n", "    x = 1\n", after=True)])
    split = "@task\nx = (\n@other\ndef job(app):\n    return 1\n" + _TAIL
    cases["decorators split by a broken line, edit keeps"] = (split, [_at(split, "return 1", "return 2", 8)])
    cases["decorators split by a broken line, edit opens"] = (split, [_at(split, "return 1", "return (1", 8)])
    slash = "x = (\n\n@task\ndef job(app):\n    y = 1 + \\\n        2\n    return y\n" + _TAIL
    cases["backslash continuation loses its line"] = (slash, [_at(slash, "        2\n", "", 10)])
    cases["backslash left dangling"] = (slash, [_at(slash, "    return y\n", "    return y \\\n", 13)])
    tabs = "x = (\n\n@task\ndef job(app):\n\tif app:\n\t\treturn 1\n" + _TAIL
    cases["tabs then spaces"] = (tabs, [_at(tabs, "\t\treturn 1", "        return 1", 10)])
    crlf = "x = (\r\n\r\n@task\r\ndef job(app):\r\n    return 1\r\n" + _TAIL.replace("\n", "\r\n")
    cases["CRLF, paren opened"] = (crlf, [_at(crlf, "return 1", "return (1", 8)])
    cases["CRLF joined to LF"] = (crlf, [_at(crlf, "return 1\r", "", 1, after=True)])
    bom = "\ufeffx = (\n\n@task\ndef job(app):\n    return 1\n" + _TAIL
    cases["BOM, insert at offset 0"] = (bom, [Edit(0, 0, "import logging\n")])
    cases["BOM, insert after it"] = (bom, [Edit(1, 1, "import logging\n")])
    feed = "x = (\n\f\n@task\ndef job(app):\n    return 'é𝄞'\n" + _TAIL
    cases["form feed and non-ASCII"] = (feed, [_at(feed, "'é𝄞'", "('é𝄞'", 5)])
    asynchronous = "x = (\n\n@task\nasync def job(app):\n    return 1\n" + _TAIL
    cases["async def, paren opened"] = (asynchronous, [_at(asynchronous, "return 1", "return (1", 8)])
    cases["async def, value changed"] = (asynchronous, [_at(asynchronous, "return 1", "return 2", 8)])
    nested = "x = (\n\nclass A:\n    class B:\n        def f(self):\n            return 1\n" + _TAIL
    cases["nested classes"] = (nested, [_at(nested, "return 1", "return (1", 8)])
    lookalike = "define = (\n\n@task\ndef job(app):\n    return 1\n" + _TAIL
    cases["a broken line that looks like a def"] = (lookalike, [_at(lookalike, "return 1", "return 2", 8)])
    cases["the look-alike becomes a def"] = (lookalike, [_at(lookalike, "define", "def", 6)])
    fstring = "x = (\n\n@task\ndef job(app):\n    s = f'''\n{app}\n'''\n    return s\n" + _TAIL
    cases["f-string over lines, brace opened"] = (fstring, [_at(fstring, "{app}", "{app", 5)])
    cases["f-string over lines, conversion added"] = (fstring, [_at(fstring, "{app}", "{app!r}", 5)])
    edge = "@task\ndef job(app):\n    return 1\nx = (\n" + _TAIL
    cases["two edits in two windows"] = (edge, [_at(edge, "return 1", "return 2", 8),
                                                _at(edge, "def tail(app)", "def tail(app, x)", 13)])
    cases["edit straddling the broken line"] = (edge, [_at(edge, "return 1\nx", "return 1\ny", 10)])
    cases["edit straddling the closing decorator"] = (edge, [_at(edge, "(\n\n\n@task\ndef", "(\n@task\ndef", 14)])
    cases["edit removing the closing decorator"] = (edge, [_at(edge, "@task\ndef tail", "", 6)])
    cases["edit inside the closing def keyword"] = (edge, [_at(edge, "def tail", "de f", 3)])
    cases["broken line typed before the closing def"] = (edge, [_at(edge, "def tail", "x = (\n")])
    cases["async typed before the closing def"] = (edge, [_at(edge, "def tail", "async ")])
    gap = "x = (\n\n@task\ndef job(app):\n    return 1\n    \n    \n    \n@task\ndef tail(app):\n    return 1\n"
    cases["backslash before the left-out blank lines"] = (gap, [_at(gap, "    return 1\n", "    return 1 \\\n", 13)])
    cases["paren before the left-out blank lines"] = (gap, [_at(gap, "    return 1\n", "    return (1\n", 13)])
    lone = "x = (\r\n@task\rdef job(app):\r    return 1\r\r\r@task\rdef tail(app):\r    return 1\r"
    cases["lone CR line ends"] = (lone, [_at(lone, "return 1", "return (1", 8)])
    backslash_line = "x = (\n\n@task\ndef job(app):\n    return 1\n\\\n\n@task\ndef tail(app):\n    return 1\n"
    cases["a line of one backslash before the gap"] = (backslash_line, [_at(backslash_line, "return 1", "return 2", 8)])
    broken_def = "def f(:\n    pass\n@task\ndef job(app):\n    return 1\n" + _TAIL
    cases["fix next to a broken def"] = (broken_def, [_at(broken_def, "return 1", "return (1)", 8)])
    cases["fix repairing the broken def"] = (broken_def, [_at(broken_def, "(:", "():", 2)])
    return cases


_HAND = _hand_cases()


@pytest.mark.parametrize("name", list(_HAND))
def test_holds_windows_closed_by_a_def_decide_like_the_whole_file(name):
    """HOLDS: when the window ends at a def, class or decorator that parsed, its
    verdict (when it has one) and the kept fix are the whole file's."""
    text, edits = _HAND[name]
    document = SourceDocument(text, "tasks.py")
    assert document.recovered.broken_ranges or document.recovered.error
    whole = _whole_file(text, edits)
    verdict = adds_no_broken_statement_locally(document, tuple(edits))
    assert verdict in (whole, None)
    assert _kept(text, edits) is whole


def test_holds_line_index_after_edits_equals_a_fresh_index():
    """HOLDS: ``LineIndex.after_edits`` gives the fresh index's line starts (or
    None) for edits that join or split CR LF, insert lone CRs, at offset 0, over
    a BOM and astral characters."""
    alphabet = ["a", "\n", "\r", "\r\n", "\ufeff", "é", "𝄞", " ", "\f", "\x0b", "\u2028", "\x85"]
    rng = random.Random(6)
    answered = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        edits, position = [], 0
        for _ in range(rng.randint(1, 3)):
            if position > len(text):
                break
            start = rng.randint(position, len(text))
            end = rng.randint(start, min(len(text), start + 3))
            edits.append(Edit(start, end, "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))))
            position = end + 1
        new = apply_edits(text, edits)
        index = LineIndex.after_edits(LineIndex(text), new, edits)
        if index is not None:
            answered += 1
            assert index.line_starts == LineIndex(new).line_starts, (text, edits)
    assert answered > 5000  # the fast path is exercised, not always refused


def _task(number: int, newline: str = "\n") -> str:
    return (f"{newline}{newline}@task{newline}def sync_{number}(app, rows):{newline}    for row in rows:{newline}"
            f"        uow = app.unit_of_work(){newline}"
            f"        deal = app.limetypes.deal.get(row['id']){newline}"
            f"        logger.info(f\"deal {{deal.id}} é𝄞\"){newline}        uow.add(deal){newline}"
            f"        uow.commit(){newline}")


_HEAD = "import logging\nfrom lime_task import task\n\nlogger = logging.getLogger(__name__)\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_holds_keystroke_sequences_match_from_scratch(newline):
    """HOLDS: typing at offset 0, pasting several tasks at once, deleting a whole
    task, opening a bracket above a decorated task, a backslash at a line's end
    and splitting a CR LF: each version's incremental analysis is the
    from-scratch one, with no exception on the incremental path."""
    text = (_HEAD + "".join(_task(n) for n in range(3))).replace("\n", newline)
    versions = [text]
    versions.append("x" + text)                                     # offset 0
    versions.append(text)                                           # and back
    pasted = "".join(_task(n) for n in range(10, 15)).replace("\n", newline)
    at = text.index("@task")
    versions.append(text[:at] + pasted.lstrip(newline) + newline + newline + text[at:])  # paste five tasks
    versions.append(text)
    second = text.index("@task", at + 1)
    versions.append(text[:at] + text[second:])                      # delete a whole task
    versions.append(text[:second] + "y = (" + newline + text[second:])  # an unclosed bracket above a task
    versions.append(text[:second] + "y = 1 + \\" + newline + text[second:])  # a backslash continuation
    if newline == "\r\n":
        cr = text.index("\r\n", second)
        versions.append(text[:cr + 1] + "z" + text[cr + 1:])        # a CR LF split into CR, z LF
    versions.append(text)
    _incremental_matches_scratch(versions)
