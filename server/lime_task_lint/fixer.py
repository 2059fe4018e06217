"""Applying fixes to a whole document: CLI ``--fix``, fix-all in the editor, tests.

Fixes are applied in passes: in each pass every fix that does not overlap an
earlier one is applied, the document is analysed again, and the loop stops when
nothing applicable is left (or after a bounded number of passes, so two fixes
that undo each other cannot loop forever).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .checker import CheckResult, check
from .document import SourceDocument
from .edits import Applicability, Edit, Fix, apply_edits, edits_overlap, parses
from .framework import RuleContext, Violation
from .semantic import syntax_index
from .incremental import (Update, _Budget, _environment_key, _hash, _OffsetMap, _RecordingWorkspace, reanalyse,
                          state_of)
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
    """Fix-all's passes on the reuse engine (``incremental.reanalyse``): each pass
    after the first re-runs the rules only on the components the previous pass's
    edits can matter to and moves the other findings past them; any doubt means a
    whole-file analysis."""

    def __init__(self, settings: Settings, path, root, workspace, codes) -> None:
        self.settings, self.path, self.root, self.workspace, self.codes = settings, path, root, workspace, codes
        self.environment = _hash(_environment_key(settings, path, root, None),
                                 repr(sorted(codes)) if codes is not None else "all")
        self.state = None
        self.reused = 0
        self.analysed = 0

    def check(self, text: str, previous: tuple[str, list[Edit]] | None) -> CheckResult:
        document = SourceDocument(text, self.path)
        state, self.state = self.state, None
        if previous is not None and state is not None and previous[0] == state.text:
            try:
                update = reanalyse(state, document, previous[1], self.settings, root=self.root,
                                   workspace=self.workspace, context_extra=self.environment,
                                   budget=_Budget(float("inf")), codes=self.codes)
            except RecursionError:
                update = None
            if isinstance(update, Update):
                self.state = update.state
                self.reused += update.reused
                self.analysed += update.analysed
                return CheckResult(document, RuleContext(document, self.settings, self.workspace),
                                   update.violations, update.notes)
        # The workspace, noting which answers were still unknown (jedi busy) so those
        # components are not reused; no budget beyond the workspace's own.
        recorder = _RecordingWorkspace(self.workspace, _Budget(float("inf"))) if self.workspace is not None else None
        result = check(document, self.settings, root=self.root, workspace=recorder, codes=self.codes)
        result.context.workspace = self.workspace
        self.state = state_of(document, result.violations, result.notes, self.environment, recorder)
        return result


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


__all__ = ["FixResult", "applicable", "fix_all_edits", "fix_text", "replace", "_OffsetMap"]
