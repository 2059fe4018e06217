"""Runs the enabled rules on one document: the single entry point for the CLI,
the language server, the report and the tests."""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .document import SourceDocument
from .edits import fix_is_acceptable, minimal_edit
from .edits import Fix
from .framework import RuleContext, Violation, all_rules
from .noqa import parse_suppressions
from .settings import Settings

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
    if not path or not settings.per_file_ignores:
        return ()
    candidates = {Path(path).name, Path(path).as_posix()}
    if root is not None:
        try:
            candidates.add(Path(path).resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    codes: list[str] = []
    for pattern, pattern_codes in settings.per_file_ignores.items():
        if any(fnmatch.fnmatch(c, pattern) for c in candidates):
            codes.extend(pattern_codes)
    return tuple(codes)


@dataclass
class CheckResult:
    document: SourceDocument
    context: RuleContext
    violations: list[Violation] = field(default_factory=list)
    #: Messages about problems in the analysis itself (a rule that failed, a file that does not parse).
    notes: list[str] = field(default_factory=list)


def check(document: SourceDocument, settings: Settings, *, root: Path | None = None,
          workspace=None, codes: set[str] | None = None) -> CheckResult:
    """Every finding of the enabled rules, suppressions applied, sorted by position."""
    context = RuleContext(document, settings, workspace)
    result = CheckResult(document, context)
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
            if violation.severity is None:
                violation.severity = rule_class.severity
            violation.fix = _checked_fix(document, violation.fix)
            result.violations.append(violation)
    result.violations.sort(key=lambda v: (v.start, v.code, v.end))
    return result


def _checked_fix(document: SourceDocument, fix: Fix | None) -> Fix | None:
    """Minimise a fix's edits and drop it when the result would not parse."""
    if fix is None:
        return None
    text = document.text
    edits = tuple(minimal_edit(text, e) for e in fix.edits)
    edits = tuple(e for e in edits if e.start != e.end or e.new_text)
    checked = Fix(fix.title, edits, fix.applicability)
    if not edits or not fix_is_acceptable(text, checked):
        log.warning("dropped fix %r: its result does not parse", fix.title)
        return None
    return checked
