"""Runs the enabled rules on one document: the single entry point for the CLI,
the language server, the report and the tests."""

from __future__ import annotations

import bisect
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .trees import release_tree_caches, tree_cache  # noqa: F401 (tree_cache: rules import it from here)
from .document import SourceDocument, parse_module, recover_module
from .edits import BOM, apply_edits, fix_is_acceptable, minimal_edit, parses
from .edits import Edit, Fix
from .framework import RuleContext, Severity, Violation, all_rules
from .noqa import parse_suppressions
from .settings import Settings, per_file_ignored_codes

log = logging.getLogger(__name__)


def _match_length(code: str, prefixes: tuple[str, ...]) -> int:
    best = -1
    for prefix in prefixes:
        if prefix == "ALL":
            best = max(best, 0)
        elif code.startswith(prefix):
            best = max(best, len(prefix))
    return best


def is_enabled(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """ruff's rule: the most specific of select and ignore wins; ignore wins a tie."""
    selected = _match_length(code, select)
    ignored = _match_length(code, ignore)
    return selected >= 0 and selected > ignored


def ignored_for_file(path: str | None, settings: Settings, root: Path | None) -> tuple[str, ...]:
    """The codes ``per-file-ignores`` turn off for ``path`` (the settings module's one matcher)."""
    return per_file_ignored_codes(path, settings, root)


@dataclass
class CheckResult:
    document: SourceDocument
    context: RuleContext
    violations: list[Violation] = field(default_factory=list)
    #: Messages about problems in the analysis itself (a rule that failed, a file that does not parse).
    notes: list[str] = field(default_factory=list)


def check(document: SourceDocument, settings: Settings, *, root: Path | None = None,
          workspace=None, codes: set[str] | None = None) -> CheckResult:
    """Every finding of the enabled rules, suppressions applied, sorted by position.

    The analysis runs in the workspace's ``analysis_scope`` (when it has one): its
    jedi questions share one Script per file, dropped when it ends, and the
    workspace reads the document's own file from its syntax tree."""
    scope = getattr(workspace, "analysis_scope", None)
    with scope(document) if callable(scope) else nullcontext():
        return _check(document, settings, root=root, workspace=workspace, codes=codes)


def _check(document: SourceDocument, settings: Settings, *, root: Path | None, workspace,
           codes: set[str] | None) -> CheckResult:
    context = RuleContext(document, settings, workspace)
    result = CheckResult(document, context)
    if document.recovered.error is None:  # tokenize only the statements that mention noqa
        suppressions = parse_suppressions(document.text, document.index.line_starts,
                                          document_statement_lines(document))
    else:
        suppressions = parse_suppressions(document.text)
    if suppressions.file_all:
        return result
    if document.recovered.error:
        result.notes.append(f"syntax error: {document.recovered.error}; "
                            "only the statements that parse were analysed")
    extra_ignores = ignored_for_file(document.path, settings, root)
    ignore = settings.ignore + extra_ignores
    for rule_class in all_rules():
        if codes is not None and rule_class.code not in codes:
            continue
        if not is_enabled(rule_class.code, settings.select, ignore):
            continue
        rule = rule_class()
        try:
            found = list(rule.check(context))
        except Exception as exc:  # one broken rule must not take the others down
            log.exception("%s failed on %s", rule_class.code, document.path)
            result.notes.append(f"{rule_class.code} failed: {type(exc).__name__}: {exc}")
            continue
        for violation in found:
            line = document.index.line_of(violation.start)
            if suppressions.suppresses(violation.code, line):
                continue
            configured = settings.severity_for(violation.code)  # the `severity` table wins
            if configured is not None:
                violation.severity = Severity(configured)
            elif violation.severity is None:
                violation.severity = rule_class.severity
            violation.fix = _checked_fix(document, violation.fix)
            result.violations.append(violation)
    result.violations.sort(key=lambda v: (v.start, v.code, v.end))
    release_tree_caches(document.recovered.tree)
    return result


def _checked_fix(document: SourceDocument, fix: Fix | None) -> Fix | None:
    """Minimise a fix's edits and drop it when the result would not parse."""
    if fix is None:
        return None
    text = document.text
    edits = tuple(minimal_edit(text, e) for e in fix.edits)
    edits = tuple(e for e in edits if e.start != e.end or e.new_text)
    checked = replace(fix, edits=edits)
    if edits and fix_parses_locally(document, edits):
        return checked
    verdict = adds_no_broken_statement_locally(document, edits) if edits else None
    if verdict is True:
        return checked
    if verdict is False or not edits or \
            not fix_is_acceptable(text, checked, original_errors=document_syntax_errors(document)):
        log.warning("dropped fix %r: its result does not parse", fix.title)
        return None
    return checked


def document_syntax_errors(document: SourceDocument) -> int:
    """``edits.count_syntax_errors`` of the document's text, counted once per document
    (every fix of a broken file is compared with it)."""
    count = document.__dict__.get("_syntax_errors")
    if count is None:
        recovered = document.recovered  # the same recovery count_syntax_errors runs, already made
        count = 0 if recovered.error is None or parses(document.text) else max(1, len(recovered.broken_ranges))
        document.__dict__["_syntax_errors"] = count
    return count


def fix_parses_locally(document: SourceDocument, edits: tuple[Edit, ...]) -> bool:
    """True when the fix certainly leaves a module that parses (or, in a file that
    does not parse, adds no broken statement), checked by parsing only the
    top-level statements it touches (whole lines), not the whole file.

    A module is a sequence of top-level statements: when every touched group of
    statements, edited, still parses as a module on its own, the edited file
    parses too.  This keeps the check proportional to the fix instead of the
    file (a 10,000-line file with 200 fixes made the full re-parse quadratic;
    a 1,700-line file being typed in, with the whole-file recovery run twice per
    fix, took 19 s per keystroke).

    In a file that does not parse, a group qualifies only when it holds no line
    of a broken statement and does not follow one directly: the recovering
    parser reads a broken statement's unclosed bracket on into the next lines
    (up to a ``def``/``class``/``import``...), so only text after a statement
    that parsed is read the same way whatever it holds.  The edited group then
    replaces balanced statements by balanced statements and the broken ones stay
    as they were.
    False means "not proven": the caller falls back to the whole-file check.
    """
    if any("__future__" in e.new_text for e in edits):
        return False
    spans = document_statement_lines(document)
    broken = _broken_lines(document)
    index = document.index
    text = document.text
    groups: list[list[int]] = []  # [first line, last line] (0-based), merged
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.end < edit.start or edit.end > len(text):
            return False
        first, last = index.line_of(edit.start), index.line_of(edit.end)
        first, last = _expand_to_statements(spans, first, last)
        if groups and first <= groups[-1][1] + 1:
            groups[-1][1] = max(groups[-1][1], last)
            continue
        groups.append([first, last])
    starts = index.line_starts
    for first, last in groups:
        if broken and not _clear_of_broken(spans, broken, first, last, text, index.line_starts):
            return False
        begin = starts[first]
        end = starts[last + 1] if last + 1 < len(starts) else len(text)
        inside = [Edit(e.start - begin, e.end - begin, e.new_text) for e in edits if begin <= e.start and e.end <= end]
        try:
            segment = apply_edits(text[begin:end], inside)
            parse_module(segment.lstrip(BOM) if begin == 0 else segment)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def adds_no_broken_statement_locally(document: SourceDocument, edits: tuple[Edit, ...]) -> bool | None:
    """In a file that does not parse: does the fix keep the number of broken
    top-level statements from growing?  Counted on a window of lines around each
    touched group instead of the whole file; None when the window cannot tell.

    The window starts at the last statement before the group (or holding its
    start) where the recovering parser starts afresh (``_starts_afresh``: a
    ``def``, ``class`` or decorator that parsed) and ends with the first such
    statement after the group.  When that last statement still comes out as a
    statement of its own in the edited window, the parser is back in step there,
    the rest of the file is read as before, and the whole file's count changes
    exactly as the window's does.
    """
    broken = _broken_lines(document)
    if not broken or any("__future__" in e.new_text for e in edits):
        return None
    spans = document_statement_lines(document)
    items = sorted([(first, last, False) for first, last in spans] + [(first, last, True) for first, last in broken])
    index, text = document.index, document.text
    starts = index.line_starts
    #: [first line, last line, line of the closing statement or -1, first line of the gap before it]
    windows: list[list[int]] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.end < edit.start or edit.end > len(text):
            return None
        first, last = index.line_of(edit.start), index.line_of(edit.end)
        position = 0
        while position < len(items) and items[position][1] < first:
            position += 1
        # The window starts where the parser starts afresh whatever the edits do:
        # at a statement that parsed, starts with ``def``, ``class`` or a decorator
        # (see ``_starts_afresh``) and keeps that first word (text typed at its
        # very start, or in the blank lines after it, can continue the statement
        # before it: an indented line), or at the start of the file.
        begin = position if position < len(items) and items[position][0] <= first else position - 1
        while begin >= 0 and (items[begin][2] or edit.start <= _afresh_until(text, starts, items[begin][0])):
            begin -= 1
        first = items[begin][0] if begin >= 0 else 0
        while position < len(items) and (items[position][0] <= last or items[position][2]
                                         or not _starts_afresh(text, starts, items[position][0])):
            last = max(last, items[position][1])
            position += 1
        closing = gap = -1
        if position < len(items):
            closing, gap = items[position][0], last + 1
            last = items[position][1]
        if windows and first <= windows[-1][1]:
            # Edits whose windows meet (two edits of one fix in one function): one
            # window from the earlier's start to the later closing statement, which
            # starts and ends where the parser is in step just as each did.
            if last > windows[-1][1]:
                windows[-1][1:] = [last, closing, gap]
            continue
        windows.append([first, last, closing, gap])
    # Broken statements in the windows, before and after the edits: the rest of the
    # file keeps its own.  Counted as pieces, not as ``count_syntax_errors`` (at
    # least 1 for text that does not parse): a window can fail to parse and still
    # keep every statement (an indented first line), and the file has a broken one.
    before_total = after_total = 0
    for first, last, closing, gap in windows:
        begin = starts[first]
        # With no closing statement the window runs to the very end of the file: its
        # trailing lines (spaces, a lone CR) change how a broken last statement is read.
        end = whole_end = starts[last + 1] if last + 1 < len(starts) and closing >= 0 else len(text)
        if begin == 0 and end == len(text):
            return None  # the window is the whole file: the whole-file check is the same work
        inside = [Edit(e.start - begin, e.end - begin, e.new_text) for e in edits if begin <= e.start and e.end <= end]
        window, dropped_lines = _window_text(document, begin, end, closing, gap, inside)
        try:
            edited = apply_edits(window, inside)
        except ValueError:
            return None
        if dropped_lines or end < whole_end:
            # Lines of spaces were left out, before the closing statement or at the
            # end: a backslash the edits put right before them would join them.
            cut = starts[gap] - begin + len(edited) - len(window) if dropped_lines else len(edited)
            if edited[:cut].rstrip("\r\n").endswith("\\"):
                return None
        before_total += _read_window(window)[0]
        pieces, first_lines, last_broken = _read_window(edited)
        after_total += pieces
        if closing >= 0:
            line = closing - dropped_lines - first + 1 + (edited.count("\n") - window.count("\n"))
            in_step = line in first_lines and last_broken < line
            if not in_step or "\r" in window + edited:
                return None
    return after_total <= before_total


_AFRESH = re.compile(r"(?:def|class)\b|@")


def _afresh_until(text: str, starts: list[int], line: int) -> int:
    """The end of the word that makes the statement on ``line`` start afresh
    (see ``_starts_afresh``), or the end of the text when nothing does."""
    match = _AFRESH.match(text, starts[line])
    return len(text) if match is None else match.end()


def _starts_afresh(text: str, starts: list[int], line: int) -> bool:
    """True when the statement on ``line`` starts with ``def``, ``class`` or a
    decorator: where the recovering parser starts afresh whatever comes after.

    Text after an unclosed bracket is read as part of it until such a keyword
    (parso's tokenizer leaves the brackets there), so any other statement can
    come out whole in a window that ends with it and still be swallowed in the
    file, by what follows it (``if``...``else`` then a decorator).  A decorator
    read inside brackets leaves the statement starting at its ``def``, which the
    window's check sees."""
    return _AFRESH.match(text, starts[line]) is not None




_BLANK_LINES = re.compile(r"(?:[ \t]*\n)+")


def _window_text(document: SourceDocument, begin: int, end: int, closing: int, gap: int,
                 edits: list[Edit]) -> tuple[str, int]:
    """The text of a window, ``text[begin:end]``, without the lines of spaces and
    tabs between its last statement and its closing one (in a reduced document,
    the blanked units: hundreds of lines the recovering parser would read for
    nothing), and how many lines were left out.  ``edits``: the fix's, relative
    to ``begin``; lines are left out only after all of them.

    Both parsers skip such lines (they hold no token), so the window reads the
    same without them, line numbers apart; not so after a line that ends in a
    backslash (it would join the closing statement instead): then nothing is
    left out."""
    text, starts = document.text, document.index.line_starts
    if closing < 0 or gap >= closing:
        return text[begin:end], 0
    gap_begin, gap_end = starts[gap], starts[closing]
    if any(e.end >= gap_begin - begin for e in edits) or _BLANK_LINES.fullmatch(text, gap_begin, gap_end) is None \
            or text[starts[gap - 1]:gap_begin].rstrip("\r\n").endswith("\\"):
        return text[begin:end], 0
    return text[begin:gap_begin] + text[gap_end:end], closing - gap


def _read_window(source: str) -> tuple[int, frozenset[int], int]:
    """How the recovering parser reads a window: (its broken statements, the first
    lines of the statements it keeps, the last line of a broken one or 0)."""
    recovered = recover_module(source)
    return (len(recovered.broken_ranges), frozenset(_first_line(stmt) for stmt in recovered.tree.body),
            max((last for _, last in recovered.broken_ranges), default=0))


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])


def _broken_lines(document: SourceDocument) -> list[tuple[int, int]]:
    """(first, last) 0-based lines of the statements that did not parse, in order."""
    return sorted((first - 1, last - 1) for first, last in document.recovered.broken_ranges)


def _clear_of_broken(spans: list[tuple[int, int]], broken: list[tuple[int, int]], first: int, last: int,
                     text: str, starts: list[int]) -> bool:
    """True when lines [first, last] hold no broken line and, between the last broken
    statement before them and them, a statement that parsed starts afresh (a
    ``def``, ``class`` or decorator: ``_starts_afresh``).  A statement of any other
    kind there is no proof: the recovering parser can read it, and the lines after
    it, into the broken text (trailing spaces, an open f-string before a decorator)."""
    position = bisect.bisect_right(broken, (last, float("inf"))) - 1
    if position < 0:
        return True
    broken_first, broken_last = broken[position]
    if broken_last >= first:
        return False  # overlaps (or holds) a broken statement
    low = bisect.bisect_right(spans, (broken_last, float("inf")))
    high = bisect.bisect_left(spans, (first, -1))
    return any(_starts_afresh(text, starts, spans[i][0]) for i in range(low, high))


def document_statement_lines(document: SourceDocument) -> list[tuple[int, int]]:
    """(first, last) 0-based lines of each top-level statement, decorators included (cached)."""
    spans = document.__dict__.get("_statement_lines")
    if spans is None:
        spans = []
        for stmt in document.tree.body:
            first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
            spans.append((first - 1, (stmt.end_lineno or stmt.lineno) - 1))
        document.__dict__["_statement_lines"] = spans
    return spans


def _expand_to_statements(spans: list[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    """Grow [first, last] until it holds every statement it touches in full."""
    while True:
        # Statements are in order and only share lines as in ``a; b``.
        position = bisect.bisect_right(spans, (last, float("inf"))) - 1
        new_first, new_last = first, last
        while position >= 0 and spans[position][1] >= first:
            new_first = min(new_first, spans[position][0])
            new_last = max(new_last, spans[position][1])
            position -= 1
        if (new_first, new_last) == (first, last):
            return first, last
        first, last = new_first, new_last
