"""CLI output formats: text, ruff-compatible JSON, SARIF 2.1.0, GitHub annotations,
GitLab Code Quality, and the ``--statistics`` summary."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .framework import Severity, Violation, all_rules
from .edits import LineIndex
from .files import current_text, shown_path
from .project import repository_url


@dataclass
class FileFindings:
    path: str
    index: LineIndex
    violations: list[Violation]


def _location(index: LineIndex, offset: int) -> dict:
    row, column = index.to_row_column(offset)
    return {"row": row, "column": column}


def _other_files(fix, indexes: dict[str, LineIndex | None]) -> list[tuple[str, LineIndex, tuple]] | None:
    """``(path, line index, edits)`` of each other file ``fix`` edits, or None when
    one no longer has the text the edits were computed on (the fix is then left
    out whole: it is applied whole or not at all)."""
    out = []
    for file_edits in fix.other_files:
        key = f"{file_edits.path}\0{file_edits.digest}"  # each fix is checked against its own text
        if key not in indexes:
            text = current_text(file_edits.path)
            indexes[key] = LineIndex(text) if file_edits.applies_to(text) else None
        index = indexes[key]
        if index is None:
            return None
        out.append((file_edits.path, index, file_edits.edits))
    return out


def to_json_records(files: list[FileFindings]) -> list[dict]:
    """The shape ruff's ``--output-format json`` prints, so tools built for ruff read it.
    An edit of another file than the finding's (a helper in another module)
    carries that file's absolute path as ``filename``."""
    registry = all_rules()
    records = []
    indexes: dict[str, LineIndex | None] = {}
    for found in files:
        for v in found.violations:
            rule = registry.get(v.code)
            fix = None
            others = _other_files(v.fix, indexes) if v.fix is not None else None
            if v.fix is not None and others is not None:
                fix = {
                    "applicability": v.fix.applicability.value,
                    "message": v.fix.title,
                    "edits": [
                        {"content": e.new_text, "location": _location(found.index, e.start),
                         "end_location": _location(found.index, e.end)}
                        for e in v.fix.edits
                    ] + [
                        {"content": e.new_text, "location": _location(index, e.start),
                         "end_location": _location(index, e.end), "filename": path}
                        for path, index, edits in others for e in edits
                    ],
                }
            records.append({
                "cell": None,
                "code": v.code,
                "message": v.message,
                "filename": str(Path(found.path).resolve()) if found.path != "-" else "-",
                "location": _location(found.index, v.start),
                "end_location": _location(found.index, v.end),
                "fix": fix,
                "noqa_row": found.index.to_row_column(v.start)[0],
                "url": rule.url() if rule else None,
                "severity": (v.severity or Severity.WARNING).value,
            })
    return records


def format_json(files: list[FileFindings]) -> str:
    return json.dumps(to_json_records(files), indent=2, ensure_ascii=False)


def format_text(files: list[FileFindings], *, show_fixes: bool = True) -> str:
    lines = []
    fixable = 0
    total = 0
    for found in files:
        for v in found.violations:
            row, column = found.index.to_row_column(v.start)
            marker = ""
            if v.fix is not None and v.fix.applicability.value != "display-only":
                marker = " [*]" if v.fix.is_safe else " [unsafe fix]"
                fixable += v.fix.is_safe
            total += 1
            lines.append(f"{found.path}:{row}:{column}: {v.code}{marker} {v.message}")
            if show_fixes and v.fix is not None:
                lines.append(f"    fix ({v.fix.applicability.value}): {v.fix.title}")
    if total:
        lines.append(f"Found {total} problem{'s' if total != 1 else ''}"
                     + (f" ({fixable} fixable with `--fix`)." if fixable else "."))
    return "\n".join(lines)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                Severity.INFORMATION: "note", Severity.HINT: "note"}


def format_sarif(files: list[FileFindings]) -> str:
    registry = all_rules()
    rules = []
    for rule in registry:
        docs = rule.docs()
        summary = docs.splitlines()[0] if docs else rule.name
        rules.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": summary},
            "fullDescription": {"text": docs or summary},
            "helpUri": rule.url(),
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        })
    codes = [r["id"] for r in rules]
    results = []
    indexes: dict[str, LineIndex | None] = {}
    for found in files:
        uri = Path(found.path).as_posix()
        for v in found.violations:
            start_row, start_col = found.index.to_row_column(v.start)
            end_row, end_col = found.index.to_row_column(v.end)
            result = {
                "ruleId": v.code,
                "level": _SARIF_LEVEL[v.severity or Severity.WARNING],
                "message": {"text": v.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": start_row, "startColumn": start_col,
                               "endLine": end_row, "endColumn": end_col},
                }}],
            }
            if v.code in codes:
                result["ruleIndex"] = codes.index(v.code)
            others = _other_files(v.fix, indexes) if v.fix is not None else None
            if v.fix is not None and v.fix.applicability.value != "display-only" and others is not None:
                changes = [(uri, found.index, v.fix.edits)] + [(shown_path(path), index, edits)
                                                             for path, index, edits in others]
                result["fixes"] = [{
                    "description": {"text": v.fix.title},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": changed},
                        "replacements": [{
                            "deletedRegion": _sarif_region(index, e.start, e.end),
                            "insertedContent": {"text": e.new_text},
                        } for e in edits],
                    } for changed, index, edits in changes],
                }]
            results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lime-task-lint",
                "version": __version__,
                "informationUri": repository_url(),
                "rules": rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _sarif_region(index: LineIndex, start: int, end: int) -> dict:
    start_row, start_col = index.to_row_column(start)
    end_row, end_col = index.to_row_column(end)
    return {"startLine": start_row, "startColumn": start_col, "endLine": end_row, "endColumn": end_col}


def _escape_github(value: str, property_: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(files: list[FileFindings]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    lines = []
    for found in files:
        for v in found.violations:
            row, column = found.index.to_row_column(v.start)
            end_row, end_column = found.index.to_row_column(v.end)
            level = "error" if v.severity is Severity.ERROR else "warning" \
                if v.severity is Severity.WARNING else "notice"
            lines.append(
                f"::{level} title={_escape_github('lime-task-lint (' + v.code + ')', True)},"
                f"file={_escape_github(found.path, True)},line={row},col={column},"
                f"endLine={end_row},endColumn={end_column}::{_escape_github(v.code + ' ' + v.message)}"
            )
    return "\n".join(lines)


_GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor",
                    Severity.INFORMATION: "info", Severity.HINT: "info"}


def _relative_path(path: str) -> str:
    """``path`` relative to the working folder with ``/`` (the repository root in CI)."""
    if path == "-":
        return path
    relative = os.path.relpath(os.path.abspath(path))
    return Path(path).as_posix() if relative.startswith("..") else Path(relative).as_posix()


def format_gitlab(files: list[FileFindings]) -> str:
    """GitLab Code Quality report (a JSON list): ``description``, ``check_name``,
    ``fingerprint``, ``severity`` (info | minor | major), ``location.path`` (relative
    to the working folder) and ``location.lines.begin`` / ``end`` (1-based).

    The fingerprint hashes the path, the code, the message and the stripped text of
    the finding's line (plus a counter for repeats), not the line number, so a
    finding keeps its identity when code above it moves (GitLab compares it across
    merge requests)."""
    issues = []
    for found in files:
        path = _relative_path(found.path)
        repeats: dict[tuple[str, str, str], int] = {}
        for v in found.violations:
            begin, _ = found.index.to_row_column(v.start)
            end, _ = found.index.to_row_column(v.end)
            line_text = found.index.line_text(begin - 1).strip()
            key = (v.code, v.message, line_text)
            repeats[key] = repeats.get(key, 0) + 1
            fingerprint = hashlib.sha256("\0".join(
                (path, *key, str(repeats[key]))).encode("utf-8")).hexdigest()
            issues.append({
                "description": f"{v.code} {v.message}",
                "check_name": v.code,
                "fingerprint": fingerprint,
                "severity": _GITLAB_SEVERITY[v.severity or Severity.WARNING],
                "location": {"path": path, "lines": {"begin": begin, "end": end}},
            })
    return json.dumps(issues, indent=2, ensure_ascii=False)


def statistics(files: list[FileFindings]) -> list[dict]:
    """One record per code, most frequent first: ``code``, ``name``, ``count`` and
    ``fixable`` (how many have a fix ``--fix`` would apply: safe ones)."""
    registry = all_rules()
    counts: dict[str, list[int]] = {}
    for found in files:
        for v in found.violations:
            entry = counts.setdefault(v.code, [0, 0])
            entry[0] += 1
            entry[1] += bool(v.fix is not None and v.fix.is_safe)
    records = []
    for code, (count, fixable) in sorted(counts.items(), key=lambda item: (-item[1][0], item[0])):
        rule = registry.get(code)
        records.append({"code": code, "name": rule.name if rule else "", "count": count, "fixable": fixable})
    return records


def format_statistics(files: list[FileFindings], fmt: str = "text") -> str:
    """``--statistics``: a table (count, code, ``[*]`` when some are fixable, name), or
    the records as JSON with ``--format json``."""
    records = statistics(files)
    if fmt == "json":
        return json.dumps(records, indent=2)
    if not records:
        return ""
    width = max(len(str(r["count"])) for r in records)
    lines = [f"{r['count']:>{width}}\t{r['code']}\t{'[*]' if r['fixable'] else '   '} {r['name']}" for r in records]
    total = sum(r["count"] for r in records)
    fixable = sum(r["fixable"] for r in records)
    lines.append(f"Found {total} problem{'s' if total != 1 else ''}"
                 + (f" ({fixable} fixable with `--fix`)." if fixable else "."))
    return "\n".join(lines)


def format_fixed(applied: list[tuple[str, dict[str, int]]]) -> str:
    """``--show-fixes`` after ``--fix``: what was fixed, per file and code."""
    registry = all_rules()
    total = sum(sum(counts.values()) for _, counts in applied)
    if not total:
        return "No problems were fixed."
    lines = [f"Fixed {total} problem{'s' if total != 1 else ''}:"]
    for path, counts in applied:
        if not counts:
            continue
        lines.append(f"- {path}:")
        for code, count in sorted(counts.items()):
            rule = registry.get(code)
            lines.append(f"    {count} \u00d7 {code}" + (f" ({rule.name})" if rule else ""))
    return "\n".join(lines)


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github,
              "gitlab": format_gitlab}
