"""Every fix is checked not to add a syntax error, at a cost that follows the
fix, not the file: also while the file does not parse (the usual state while
typing), where the whole-file check is a recovering parse of the whole file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st

from lime_task_lint import checker, document as document_module
from lime_task_lint.checker import _checked_fix, adds_no_broken_statement_locally, check, fix_parses_locally
from lime_task_lint.document import SourceDocument
from lime_task_lint.edits import Edit, Fix, apply_edits, count_syntax_errors
from lime_task_lint.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

HEADER = "import logging\n\nfrom lime_task import task\n\nlog = logging.getLogger(__name__)\n"


def _task(number: int) -> str:
    return (f"\n\n@task\ndef tally_{number}(app):\n"
            f"    deals = len(list(app.limetypes.deal.get_all()))\n"
            f"    return deals\n")


def _module(tasks: int, broken_after: int | None = None) -> str:
    parts = [HEADER]
    for number in range(tasks):
        parts.append(_task(number))
        if number == broken_after:
            parts.append("\n\ndef unfinished(app):\n    log.info('typing %s', \n")
    return "".join(parts)


def _edit_replacing(text: str, old: str, new: str, occurrence: int = 0) -> Edit:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(old, start + 1)
    return Edit(start, start + len(old), new)


def test_a_fix_that_breaks_syntax_is_refused_in_a_file_that_does_not_parse():
    text = _module(6, broken_after=2)
    document = SourceDocument(text, "tasks.py")
    assert document.recovered.error is not None
    # Far from the broken statement: in the fifth task.
    breaking = Fix("drop a bracket", (_edit_replacing(text, "get_all()))", "get_all())", 4),))
    assert not fix_parses_locally(document, breaking.edits)
    assert _checked_fix(document, breaking) is None
    assert count_syntax_errors(apply_edits(text, breaking.edits)) > count_syntax_errors(text)


def test_a_fix_that_keeps_syntax_is_kept_in_a_file_that_does_not_parse_without_the_whole_file_check():
    text = _module(6, broken_after=2)
    document = SourceDocument(text, "tasks.py")
    harmless = Fix("count", (_edit_replacing(text, "len(list(app.limetypes.deal.get_all()))",
                                             "app.limetypes.deal.count()", 4),))
    assert fix_parses_locally(document, harmless.edits)
    kept = _checked_fix(document, harmless)
    assert kept is not None and apply_edits(text, kept.edits) == apply_edits(text, harmless.edits)


def test_a_fix_right_after_a_broken_statement_gets_the_whole_file_check():
    # The recovering parser reads the unclosed call on into the next task's
    # decorator: what is directly after a broken statement is not proven locally.
    text = _module(6, broken_after=2)
    document = SourceDocument(text, "tasks.py")
    after_broken = Fix("count", (_edit_replacing(text, "len(list(app.limetypes.deal.get_all()))",
                                                 "app.limetypes.deal.count()", 3),))
    assert not fix_parses_locally(document, after_broken.edits)
    assert adds_no_broken_statement_locally(document, after_broken.edits) is True
    kept = _checked_fix(document, after_broken)
    assert kept is not None and apply_edits(text, kept.edits) == apply_edits(text, after_broken.edits)
    breaking = Fix("open a bracket", (_edit_replacing(text, "return deals", "return (deals", 3),))
    assert adds_no_broken_statement_locally(document, breaking.edits) is not True
    assert _checked_fix(document, breaking) is None


def test_a_fix_touching_a_broken_statement_gets_the_whole_file_check():
    text = _module(3, broken_after=1)
    document = SourceDocument(text, "tasks.py")
    closing = Fix("close the call", (_edit_replacing(text, "'typing %s', \n", "'typing %s')\n"),))
    assert not fix_parses_locally(document, closing.edits)
    kept = _checked_fix(document, closing)  # it repairs the file: fewer errors
    assert kept is not None and apply_edits(text, kept.edits) == apply_edits(text, closing.edits)


def test_checking_fixes_in_a_broken_file_does_not_parse_the_whole_file_per_fix(monkeypatch):
    calls = []
    recover = document_module.recover_module

    def counting(text):
        calls.append(len(text))
        return recover(text)

    monkeypatch.setattr(document_module, "recover_module", counting)
    text = _module(40, broken_after=20)
    result = check(SourceDocument(text, "tasks.py"), Settings(select=("ALL",)))
    fixes = [v for v in result.violations if v.fix is not None]
    assert len(fixes) >= 40
    whole_file = [n for n in calls if n >= len(text) - 200]
    # The document's own parse only: fixes near the broken statement are counted
    # on a window of lines around it, the others proven on their own statements.
    assert len(whole_file) == 1


def _inputs() -> list[tuple[str, str]]:
    files = sorted((ROOT / "tests" / "fixtures" / "rules").glob("*.py"))
    files += sorted((ROOT / "examples").rglob("*.py"))
    return [(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in files]


def _broken_variants(text: str) -> list[str]:
    """The text with an unclosed call typed at the start, middle and end (inside
    a function when the line there is indented)."""
    lines = text.splitlines(keepends=True)
    variants = []
    for at in (1, len(lines) // 2, max(0, len(lines) - 2)):
        line = lines[at] if at < len(lines) else ""
        indent = line[:len(line) - len(line.lstrip())] if line.strip() else ""
        variants.append("".join(lines[:at] + [f"{indent}log_it('x=%s', \n"] + lines[at:]))
    return variants


@pytest.mark.parametrize(("name", "text"), _inputs(), ids=[name for name, _ in _inputs()])
def test_fixes_in_broken_files_are_those_of_the_whole_file_check(monkeypatch, name, text):
    """The local proof keeps exactly the fixes the whole-file check keeps."""
    settings = Settings(select=("ALL",), unsafe_fixes=True)

    def findings(source: str):
        result = check(SourceDocument(source, name), settings)
        return [(v.code, v.start, v.end, v.message, v.fix) for v in result.violations]

    variants = [v for v in _broken_variants(text) if SourceDocument(v).recovered.error is not None]
    assert variants  # (a line typed inside a string literal leaves the file valid)
    for broken in variants:
        local = findings(broken)
        with monkeypatch.context() as patch:
            patch.setattr(checker, "fix_parses_locally", lambda document, edits: False)
            patch.setattr(checker, "adds_no_broken_statement_locally", lambda document, edits: None)
            whole = findings(broken)
        assert local == whole


@pytest.mark.parametrize(("name", "text"), _inputs()[::3], ids=[name for name, _ in _inputs()[::3]])
def test_the_window_count_agrees_with_the_whole_file_count(name, text):
    """Edits that break, keep or repair statements near a broken one: the
    window's verdict, when it has one, is the whole-file recovery's."""
    for broken in _broken_variants(text):
        document = SourceDocument(broken, name)
        if document.recovered.error is None:
            continue
        original = count_syntax_errors(broken)
        edits = []
        for needle, replacement in ((")\n", "\n"), ("(", "(("), (":\n", "\n"), ("'x=%s', \n", "'x=%s')\n")):
            start = broken.find(needle)
            while start != -1 and len(edits) < 40:
                edits.append(Edit(start, start + len(needle), replacement))
                start = broken.find(needle, start + 1)
        for edit in edits:
            verdict = adds_no_broken_statement_locally(document, (edit,))
            if verdict is not None:
                whole = count_syntax_errors(apply_edits(broken, [edit])) <= original
                assert verdict == whole, (name, edit)


# -- the window verdict against the whole-file count, on generated broken files -----------
#: Top-level pieces of a generated file: functions, the blank lines a reduced
#: document leaves of the units it reuses, and text being typed (broken).
_PIECES = [
    "@task\ndef job(app, rows):\n    for row in rows:\n        uow = app.unit_of_work()\n        uow.commit()\n",
    "def helper(app):\n    return len(list(app.limetypes.deal.get_all()))\n",
    "class Box:\n    def get(self):\n        return 1\n",
    "if ready:\n    go()\nelse:\n    stop()\n",
    "x = [\n    1,\n    2,\n]\n",
    "# a comment\n",
    "\n",
    "        log.info('x=%s', \n",
    "def unfinished(app):\n    log.info('typing %s', \n",
    "y = (\n",
    "total = 1 + \\\n",
    "@task\n",
    "else:\n    pass\n",
    "s = '''open\n",
]
#: What a fix inserts: whole lines at a line's start, or text within a line.
_LINE_TEXTS = ["    y = 1\n", "y = 1\n", "        pass\n", "\n", "@task\n", "    ids = {o.id: o for o in rows}\n",
               "total = 1 + \\\n", "        log.info('x=%s', \n", "def later(app):\n", "    return (\n"]
_INLINE_TEXTS = ["", "(", ")", "x", ":", "'''", "\\", " ", ", ", "[o for o in rows]"]


@st.composite
def _broken_file_and_fix(draw):
    parts = []
    for piece in draw(st.lists(st.sampled_from(_PIECES + ["blank"] * 6), min_size=2, max_size=12)):
        if piece == "blank":  # a blanked unit: lines of spaces
            widths = draw(st.lists(st.integers(0, 12), min_size=1, max_size=30))
            piece = "".join(" " * width + "\n" for width in widths)
        parts.append(piece)
    text = "".join(parts)
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        line = draw(st.integers(0, len(starts) - 1))
        if draw(st.booleans()):
            edits.append(Edit(starts[line], starts[line], draw(st.sampled_from(_LINE_TEXTS))))
            continue
        line_end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
        start = starts[line] + draw(st.integers(0, line_end - starts[line]))
        end = min(line_end, start + draw(st.sampled_from([0, 0, 1, 2, 5])))
        edits.append(Edit(start, end, draw(st.sampled_from(_INLINE_TEXTS))))
    edits.sort(key=lambda e: (e.start, e.end))
    kept = [edits[0]]
    for edit in edits[1:]:  # a fix's edits do not overlap
        if edit.start >= kept[-1].end and edit.start != kept[-1].start:
            kept.append(edit)
    return text, tuple(kept)


@settings(derandomize=os.environ.get("LIME_FUZZ_RANDOM") != "1", deadline=None, database=None,
          max_examples=int(os.environ.get("LIME_FUZZ_EXAMPLES", "500")))
@given(_broken_file_and_fix())
def test_the_window_verdict_is_the_whole_file_count_on_generated_files(case):
    """Fixes of one or several edits (merged windows, windows whose blank lines
    before the closing statement are left out): the window's verdict, when it
    has one, is the whole-file recovery's."""
    text, edits = case
    document = SourceDocument(text, "tasks.py")
    assume(document.recovered.broken_ranges)
    verdict = adds_no_broken_statement_locally(document, edits)
    if verdict is not None:
        assert verdict == (count_syntax_errors(apply_edits(text, edits)) <= count_syntax_errors(text))


def test_windows_of_two_edits_in_one_function_are_counted_together():
    """A fix with two edits in the function after the broken text (a hoisted
    dictionary and its use) is proven on one window, not the whole file."""
    text = _module(6, broken_after=2)
    document = SourceDocument(text, "tasks.py")
    statement = _edit_replacing(text, "    deals = len(", "    deals = len(", 3)
    hoist = Fix("hoist", (Edit(statement.start, statement.start, "    every = 1\n"),
                          _edit_replacing(text, "return deals", "return deals + every", 3)))
    assert adds_no_broken_statement_locally(document, hoist.edits) is True
    breaking = Fix("hoist badly", (hoist.edits[0], _edit_replacing(text, "return deals", "return deals)", 3)))
    assert adds_no_broken_statement_locally(document, breaking.edits) is False
    assert _checked_fix(document, breaking) is None


def test_blank_lines_before_the_closing_statement_are_left_out_of_the_window(monkeypatch):
    """A reduced document: hundreds of blank lines between the function after the
    broken text and the next statement are not parsed, and the verdicts stay."""
    text = _module(6, broken_after=2)
    third = text.index("\n\n@task\ndef tally_4")
    text = text[:third] + "\n" + (" " * 40 + "\n") * 500 + text[third:]
    document = SourceDocument(text, "tasks.py")
    assert document.recovered.broken_ranges  # the document's own parse, before counting the others
    parsed = []
    recover = document_module.recover_module

    def recording(source):
        parsed.append(source)
        return recover(source)

    monkeypatch.setattr(checker, "recover_module", recording)
    monkeypatch.setattr(document_module, "recover_module", recording)
    keeps = Fix("count", (_edit_replacing(text, "len(list(app.limetypes.deal.get_all()))",
                                          "app.limetypes.deal.count()", 3),))
    breaks = Fix("close a bracket twice", (_edit_replacing(text, "return deals", "return deals)", 3),))
    assert adds_no_broken_statement_locally(document, keeps.edits) is True
    assert adds_no_broken_statement_locally(document, breaks.edits) is False
    assert parsed and all(source.count("\n") < 40 for source in parsed)
    for fix in (keeps, breaks):
        assert adds_no_broken_statement_locally(document, fix.edits) == \
            (count_syntax_errors(apply_edits(text, fix.edits)) <= count_syntax_errors(text))


def test_blank_lines_after_a_backslash_stay_in_the_window():
    text = _module(6, broken_after=2)
    fourth = text.index("\n\n@task\ndef tally_4")
    text = text[:fourth] + "\n" + "    " + "\n" * 3 + text[fourth:]
    document = SourceDocument(text, "tasks.py")
    continued = Fix("continue", (_edit_replacing(text, "return deals\n", "return deals + \\\n", 3),))
    assert adds_no_broken_statement_locally(document, continued.edits) in (None, False)
    assert _checked_fix(document, continued) is None
