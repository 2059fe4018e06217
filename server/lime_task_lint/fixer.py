"""Applying fixes to a whole document: CLI ``--fix``, fix-all in the editor, tests.

Fixes are applied in passes: in each pass every fix that does not overlap an
earlier one is applied, the document is analysed again, and the loop stops when
nothing applicable is left (or after a bounded number of passes, so two fixes
that undo each other cannot loop forever).
"""

from __future__ import annotations

import ast

import bisect
from dataclasses import dataclass, replace
from pathlib import Path

from .checker import CheckResult, check
from .document import SourceDocument
from .edits import Applicability, Edit, Fix, apply_edits, edits_overlap, parses
from .framework import RuleContext, Violation
from .semantic import syntax_index
from .incremental import (_FILE_NOQA, _blank_lines, _component_keys, _environment_key, _hash, _indent_unit_of,
                          _Budget, _lines_text, _owner, _provisional, _RecordingWorkspace, _split_statements, _Statement,
                          _touches, statement_facts)
from .settings import Settings

MAX_PASSES = 40


def applicable(violation: Violation, unsafe: bool) -> bool:
    fix = violation.fix
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    return fix.applicability is Applicability.SAFE or unsafe


@dataclass
class FixResult:
    text: str
    applied: dict[str, int]  # code -> number of fixes applied
    remaining: list[Violation]


def fix_text(text: str, settings: Settings, *, path: str | None = None, unsafe: bool | None = None,
             root: Path | None = None, workspace=None, codes: set[str] | None = None,
             reuse: bool = True) -> FixResult:
    """Apply every applicable fix, pass after pass, and return the final text with
    the findings that remain.

    Each pass after the first re-runs the rules only on the components (see
    ``incremental``) the previous pass changed and reuses the other findings,
    moved past the applied edits (``reuse=False``: analyse the whole text every
    pass; the results are the same).  With a ``workspace``, it is told the text
    of every pass (``workspace.set_text``, else ``workspace.changed``) so
    cross-file answers (jedi) see the text the rules see; its previous text for
    ``path`` is restored at the end."""
    unsafe = settings.unsafe_fixes if unsafe is None else unsafe
    applied: dict[str, int] = {}
    was_valid = parses(text)
    passes = _Passes(settings, path, root, workspace, codes) if reuse else None
    # Tell the workspace each pass's text: set_text keeps other documents' cached
    # answers (as typing does); a workspace without it is told with changed().
    announce = path is not None and workspace is not None and (
        callable(getattr(workspace, "set_text", None)) or callable(getattr(workspace, "changed", None)))
    if announce:
        tell = workspace.set_text if callable(getattr(workspace, "set_text", None)) else workspace.changed
        key = str(Path(path).resolve())
        overlay = getattr(workspace, "overlay", {})
        restore = overlay.get(key) if isinstance(overlay, dict) else None
    try:
        previous: tuple[str, list[Edit]] | None = None
        for _ in range(MAX_PASSES):
            if passes is not None:
                result = passes.check(text, previous)
            else:
                result = check(SourceDocument(text, path), settings, root=root, workspace=workspace, codes=codes)
            chosen: list[Edit] = []
            chosen_codes: list[str] = []
            owner_of = _function_owner(result)
            fixed_functions: set[int] = set()
            for violation in result.violations:
                if not applicable(violation, unsafe):
                    continue
                edits = violation.fix.edits  # type: ignore[union-attr]
                if edits_overlap(chosen, edits):
                    continue
                # Two fixes computed on the same text of one function may break each
                # other (one makes a name lazy, the other iterates it once more): one
                # fix per function per pass, the next pass re-analyses the result.
                owner = owner_of(violation.start)
                if owner is not None and owner in fixed_functions:
                    continue
                if owner is not None:
                    fixed_functions.add(owner)
                chosen.extend(edits)
                chosen_codes.append(violation.code)
            if not chosen:
                return FixResult(text, applied, result.violations)
            new_text = apply_edits(text, chosen)
            if was_valid and not parses(new_text):
                # Fixes that are fine alone but clash together: apply the first only.
                first = next(v for v in result.violations if applicable(v, unsafe))
                chosen = list(first.fix.edits)  # type: ignore[union-attr]
                new_text = apply_edits(text, chosen)
                chosen_codes = [first.code]
            for code in chosen_codes:
                applied[code] = applied.get(code, 0) + 1
            if new_text == text:
                break
            previous = (text, chosen)
            text = new_text
            if announce:
                tell(path, text)
        final = check(SourceDocument(text, path), settings, root=root, workspace=workspace, codes=codes)
        return FixResult(text, applied, final.violations)
    finally:
        if announce and previous is not None:
            tell(path, restore)  # None: back to the file on disk


def _function_owner(result):
    """offset -> the start offset of the innermost function holding it (None:
    module level), from the pass's syntax tree."""
    document = result.document
    spans = [document.node_range(node) for node in syntax_index(document.tree).functions]

    def owner(offset: int) -> int | None:
        best = None
        for start, end in spans:
            if start <= offset < end and (best is None or start > best[0]):
                best = (start, end)
        return best[0] if best is not None else None

    return owner


class _Passes:
    """The findings of the last pass by component, to reuse those of components
    the applied edits left alone (the same checks as ``IncrementalAnalyser``:
    any doubt means a whole-file analysis)."""

    def __init__(self, settings: Settings, path, root, workspace, codes) -> None:
        self.settings, self.path, self.root, self.workspace, self.codes = settings, path, root, workspace, codes
        self.environment = _hash(_environment_key(settings, path, root, None),
                                 repr(sorted(codes)) if codes is not None else "all")
        #: component key -> (statement start offsets, findings), offsets into ``self.text``
        self.components: dict[str, tuple[list[int], list[Violation]]] = {}
        self.text: str | None = None
        self.reused = 0
        self.analysed = 0

    def check(self, text: str, previous: tuple[str, list[Edit]] | None) -> CheckResult:
        document = SourceDocument(text, self.path)
        if previous is not None and self.components and previous[0] == self.text:
            try:
                result = self._reusing(document, previous[1])
            except RecursionError:
                result = None
            if result is not None:
                return result
        return self._whole(document)

    def _whole(self, document: SourceDocument) -> CheckResult:
        recorder = self._recorder()
        result = check(document, self.settings, root=self.root, workspace=recorder, codes=self.codes)
        result.context.workspace = self.workspace
        self.components, self.text = {}, None
        if document.recovered.error is not None or _FILE_NOQA.search(document.text) \
                or any(not note.startswith("syntax error") for note in result.notes):
            return result
        text, index = document.text, document.index
        statements = []
        for stmt in document.tree.body:
            first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))]) - 1
            last = (stmt.end_lineno or stmt.lineno) - 1
            statements.append(_Statement(first, last, _lines_text(text, index.line_starts, first, last),
                                         statement_facts(stmt)))
        self._remember(document, statements, result.violations, recorder)
        return result

    def _remember(self, document: SourceDocument, statements, violations, recorder) -> None:
        index = document.index
        context_key = self._context_key(document, statements)
        unit_keys = _component_keys(statements, context_key)
        components: dict[str, tuple[list[int], list[Violation]]] = {}
        for i, key in unit_keys.items():
            components.setdefault(key, ([], []))[0].append(index.line_starts[statements[i].first])
        starts = [(st.first, i) for i, st in enumerate(statements)]
        for violation in violations:
            owner = _owner(statements, starts, index.line_of(violation.start))
            if owner is not None and owner in unit_keys:
                components[unit_keys[owner]][1].append(violation)
        for key in _provisional(statements, unit_keys, recorder):
            components.pop(key, None)
        self.components, self.text = components, document.text

    def _recorder(self):
        """The workspace, noting which answers were still unknown (jedi busy) so
        those components are not reused; no budget beyond the workspace's own."""
        if self.workspace is None:
            return None
        return _RecordingWorkspace(self.workspace, _Budget(float("inf")))

    def _context_key(self, document: SourceDocument, statements) -> str:
        return _hash("context", self.environment, _indent_unit_of(statements), document.newline,
                     *(st.text for st in statements if not st.facts.unit))

    def _reusing(self, document: SourceDocument, edits: list[Edit]) -> CheckResult | None:
        text, index = document.text, document.index
        if _FILE_NOQA.search(text):
            return None
        statements = _split_statements(text, index, 2000)
        if statements is None:
            return None
        context_key = self._context_key(document, statements)
        unit_keys = _component_keys(statements, context_key)
        moved = _OffsetMap(edits)
        members: dict[str, list[int]] = {}
        for i, key in unit_keys.items():
            members.setdefault(key, []).append(i)
        reuse: dict[str, list[Violation]] = {}
        for key, positions in members.items():
            cached = self.components.get(key)
            if cached is None:
                continue
            old_starts, findings = cached
            new_starts = [index.line_starts[statements[i].first] for i in positions]
            if [moved(o) for o in old_starts] != new_starts:
                continue  # the same text elsewhere (a copy): not this component's findings
            shifted = [_moved_violation(v, moved) for v in findings]
            if any(v is None for v in shifted):
                continue
            reuse[key] = shifted  # type: ignore[assignment]
        blanked = [(st.first, st.last) for i, st in enumerate(statements) if unit_keys.get(i) in reuse]
        kept = [st for i, st in enumerate(statements) if unit_keys.get(i) not in reuse]
        if _indent_unit_of(kept) != _indent_unit_of(statements):
            return None
        reduced = SourceDocument(_blank_lines(text, index, blanked), self.path)
        recorder = self._recorder()
        result = check(reduced, self.settings, root=self.root, workspace=recorder, codes=self.codes)
        if reduced.recovered.error is not None:
            return None
        if any(not note.startswith("syntax error") for note in result.notes):
            return None
        blank_ranges = [(index.line_starts[f], index.line_starts[l + 1] if l + 1 < index.line_count else len(text))
                        for f, l in blanked]
        for violation in result.violations:
            if _touches(violation, blank_ranges):
                return None
        violations = [v for group in reuse.values() for v in group] + result.violations
        violations.sort(key=lambda v: (v.start, v.code, v.end))
        self.reused += len(reuse)
        self.analysed += len(members) - len(reuse)
        self._remember(document, statements, violations, recorder)
        context = RuleContext(document, self.settings, self.workspace)
        return CheckResult(document, context, violations, list(result.notes))


class _OffsetMap:
    """Old offset -> new offset across non-overlapping applied edits; None for an
    offset inside or at either end of an edit (where it went is ambiguous)."""

    def __init__(self, edits: list[Edit]) -> None:
        self.edits = sorted(edits, key=lambda e: (e.start, e.end))
        self.starts = [e.start for e in self.edits]
        self.shifts = [0]
        for edit in self.edits:
            self.shifts.append(self.shifts[-1] + len(edit.new_text) - (edit.end - edit.start))

    def __call__(self, offset: int) -> int | None:
        position = bisect.bisect_right(self.starts, offset)  # edits starting at or before offset
        if position and offset <= self.edits[position - 1].end:
            return None
        return offset + self.shifts[position]


def _moved_violation(violation: Violation, moved: _OffsetMap) -> Violation | None:
    start, end = moved(violation.start), moved(violation.end)
    if start is None or end is None:
        return None
    fix = violation.fix
    if fix is not None:
        new_edits = []
        for edit in fix.edits:
            a, b = moved(edit.start), moved(edit.end)
            if a is None or b is None:
                return None
            new_edits.append(Edit(a, b, edit.new_text))
        fix = Fix(fix.title, tuple(new_edits), fix.applicability)
    return replace(violation, start=start, end=end, fix=fix)


def fix_all_edits(document: SourceDocument, settings: Settings, *, unsafe: bool | None = None,
                  root: Path | None = None, workspace=None) -> list[Edit]:
    """Fix-all as one edit of the document (the smallest replacement span)."""
    result = fix_text(document.text, settings, path=document.path, unsafe=unsafe, root=root, workspace=workspace)
    if result.text == document.text:
        return []
    old, new = document.text, result.text
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return [Edit(prefix, len(old) - suffix, new[prefix:len(new) - suffix])]


__all__ = ["FixResult", "applicable", "fix_all_edits", "fix_text", "replace"]
