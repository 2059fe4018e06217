"""Applying fixes to a whole document: CLI ``--fix``, fix-all in the editor, tests.

Fixes are applied in passes: in each pass every fix that does not overlap an
earlier one is applied, the document is analysed again, and the loop stops when
nothing applicable is left (or after a bounded number of passes, so two fixes
that undo each other cannot loop forever).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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


def applicable(violation: Violation, unsafe: bool, other_files: bool = False) -> bool:
    """Whether fix-all applies ``violation``'s fix: safe (or ``unsafe`` allowed),
    and editing no other file unless ``other_files``."""
    fix = violation.fix
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return False
    if fix.other_files and not other_files:
        return False
    return fix.applicability is Applicability.SAFE or unsafe


@dataclass
class FixResult:
    text: str
    applied: dict[str, int]  # code -> number of fixes applied
    remaining: list[Violation]
    #: Other files the applied fixes changed: absolute path -> their new text
    #: (``fix_text(other_files=True)`` only; the caller writes them).
    other_texts: dict[str, str] = field(default_factory=dict)


def fix_text(text: str, settings: Settings, *, path: str | None = None, unsafe: bool | None = None,
             root: Path | None = None, workspace=None, codes: set[str] | None = None,
             reuse: bool = True, other_files: bool = False) -> FixResult:
    """Apply every applicable fix, pass after pass, and return the final text with
    the findings that remain.

    ``other_files``: also apply fixes that edit other files of the workspace
    (a helper in another module); each is applied only while every other file
    it edits still has the text it was computed on (``FileEdits.applies_to``),
    at most one per other file per pass, and the workspace is told the new text
    so the next pass sees it.  The new texts are returned in
    ``FixResult.other_texts`` (the workspace forgets them at the end).

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
    others = _OtherFiles(workspace, path) if other_files else None
    told = False
    try:
        previous: tuple[str, list[Edit]] | None = None
        for _ in range(MAX_PASSES):
            if passes is not None:
                result = passes.check(text, previous)
            else:
                result = check(SourceDocument(text, path), settings, root=root, workspace=workspace, codes=codes)
            chosen: list[Edit] = []
            chosen_codes: list[str] = []
            chosen_fixes: list[Fix] = []
            owner_of = _function_owner(result)
            fixed_functions: set[int] = set()
            for violation in result.violations:
                if not applicable(violation, unsafe, other_files):
                    continue
                edits = violation.fix.edits  # type: ignore[union-attr]
                if edits_overlap(chosen, edits):
                    continue
                if violation.fix.other_files and not others.can_take(violation.fix, chosen_fixes):  # type: ignore
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
                chosen_fixes.append(violation.fix)  # type: ignore[arg-type]
            if not chosen and not any(f.other_files for f in chosen_fixes):
                return FixResult(text, applied, result.violations, others.changed() if others else {})
            new_text = apply_edits(text, chosen)
            if was_valid and not parses(new_text):
                # Fixes that are fine alone but clash together: apply the first only.
                first = chosen_fixes[0]
                chosen = list(first.edits)
                new_text = apply_edits(text, chosen)
                chosen_codes, chosen_fixes = chosen_codes[:1], [first]
            for code in chosen_codes:
                applied[code] = applied.get(code, 0) + 1
            if others is not None:
                others.apply(chosen_fixes)
            if new_text == text and not any(f.other_files for f in chosen_fixes):
                break
            # Another file changed: findings this pass reused may rest on its old
            # text, so the next pass analyses the whole document.
            previous = None if any(f.other_files for f in chosen_fixes) else (text, chosen)
            text = new_text
            if announce:
                tell(path, text)
                told = True
        final = check(SourceDocument(text, path), settings, root=root, workspace=workspace, codes=codes)
        return FixResult(text, applied, final.violations, others.changed() if others else {})
    finally:
        if told:
            tell(path, restore)  # None: back to the file on disk
        if others is not None:
            others.forget()


class _OtherFiles:
    """The texts of other files that fixes of one document change, as the passes go."""

    def __init__(self, workspace, path: str | None) -> None:
        from .files import current_text

        self.workspace = workspace
        self.own = str(Path(path).resolve()) if path else None
        self.texts: dict[str, str] = {}
        self._read = current_text
        overlay = getattr(workspace, "overlay", None)
        self._overlay = overlay if isinstance(overlay, dict) else None
        self._restore: dict[str, str | None] = {}
        self._originals: dict[str, str] = {}

    def text(self, path: str) -> str | None:
        return self.texts[path] if path in self.texts else self._read(path, self.workspace)

    def can_take(self, fix: Fix, chosen: list[Fix]) -> bool:
        """Every file ``fix`` edits has the text its edits were computed on, no fix
        already chosen this pass edits it, and it is not the fixed document."""
        taken = {f.path for c in chosen for f in c.other_files}
        return all(f.path != self.own and f.path not in taken and f.applies_to(self.text(f.path))
                   for f in fix.other_files)

    def changed(self) -> dict[str, str]:
        """path -> new text, for the files whose text the applied fixes changed (a fix
        whose helper already had its keyword edits nothing there)."""
        return {path: text for path, text in self.texts.items() if text != self._originals.get(path)}

    def apply(self, fixes: list[Fix]) -> None:
        for fix in fixes:
            for file_edits in fix.other_files:
                old = self.text(file_edits.path) or ""
                self._originals.setdefault(file_edits.path, old)
                new = apply_edits(old, file_edits.edits)
                self.texts[file_edits.path] = new
                if file_edits.path not in self._restore:  # None: back to the file on disk
                    self._restore[file_edits.path] = self._overlay.get(file_edits.path) if self._overlay else None
                tell = getattr(self.workspace, "set_text", None)
                if callable(tell):
                    tell(file_edits.path, new)  # the next pass's analysis sees the helper as fixed

    def forget(self) -> None:
        tell = getattr(self.workspace, "set_text", None)
        if callable(tell):
            for path, before in self._restore.items():
                tell(path, before)


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
