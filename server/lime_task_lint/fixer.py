"""Applying fixes to a whole document: CLI ``--fix``, fix-all in the editor, tests.

Fixes are applied in passes: in each pass every fix that does not overlap an
earlier one is applied, the document is analysed again, and the loop stops when
nothing applicable is left (or after a bounded number of passes, so two fixes
that undo each other cannot loop forever).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .checker import check
from .document import SourceDocument
from .edits import Applicability, Edit, apply_edits, edits_overlap, parses
from .framework import Violation
from .settings import Settings

MAX_PASSES = 10


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
             root: Path | None = None, workspace=None, codes: set[str] | None = None) -> FixResult:
    unsafe = settings.unsafe_fixes if unsafe is None else unsafe
    applied: dict[str, int] = {}
    was_valid = parses(text)
    for _ in range(MAX_PASSES):
        document = SourceDocument(text, path)
        result = check(document, settings, root=root, workspace=workspace, codes=codes)
        chosen: list[Edit] = []
        chosen_codes: list[str] = []
        for violation in result.violations:
            if not applicable(violation, unsafe):
                continue
            edits = violation.fix.edits  # type: ignore[union-attr]
            if edits_overlap(chosen, edits):
                continue
            chosen.extend(edits)
            chosen_codes.append(violation.code)
        if not chosen:
            return FixResult(text, applied, result.violations)
        new_text = apply_edits(text, chosen)
        if was_valid and not parses(new_text):
            # Fixes that are fine alone but clash together: apply the first only.
            first = next(v for v in result.violations if applicable(v, unsafe))
            new_text = apply_edits(text, first.fix.edits)  # type: ignore[union-attr]
            chosen_codes = [first.code]
        for code in chosen_codes:
            applied[code] = applied.get(code, 0) + 1
        if new_text == text:
            break
        text = new_text
    final = check(SourceDocument(text, path), settings, root=root, workspace=workspace, codes=codes)
    return FixResult(text, applied, final.violations)


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
