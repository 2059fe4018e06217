"""Every fix is checked not to add a syntax error, at a cost that follows the
fix, not the file: also while the file does not parse (the usual state while
typing), where the whole-file check is a recovering parse of the whole file."""

from __future__ import annotations

from pathlib import Path

import pytest

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
