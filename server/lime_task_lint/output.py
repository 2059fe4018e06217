"""CLI output formats: text, ruff-compatible JSON, SARIF 2.1.0 and GitHub annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .framework import Severity, Violation, all_rules
from .edits import LineIndex


@dataclass
class FileFindings:
    path: str
    index: LineIndex
    violations: list[Violation]


def _location(index: LineIndex, offset: int) -> dict:
    row, column = index.to_row_column(offset)
    return {"row": row, "column": column}


def to_json_records(files: list[FileFindings]) -> list[dict]:
    """The shape ruff's ``--output-format json`` prints, so tools built for ruff read it."""
    registry = all_rules()
    records = []
    for found in files:
        for v in found.violations:
            rule = registry.get(v.code)
            fix = None
            if v.fix is not None:
                fix = {
                    "applicability": v.fix.applicability.value,
                    "message": v.fix.title,
                    "edits": [
                        {"content": e.new_text, "location": _location(found.index, e.start),
                         "end_location": _location(found.index, e.end)}
                        for e in v.fix.edits
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
            if v.fix is not None and v.fix.applicability.value != "display-only":
                result["fixes"] = [{
                    "description": {"text": v.fix.title},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": uri},
                        "replacements": [{
                            "deletedRegion": _sarif_region(found.index, e.start, e.end),
                            "insertedContent": {"text": e.new_text},
                        } for e in v.fix.edits],
                    }],
                }]
            results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lime-task-lint",
                "version": __version__,
                "informationUri": "https://github.com/lime-task-lint/lime-task-lint",
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


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}
