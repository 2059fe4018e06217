"""The ``lime-task-lint.fixAll`` command: apply every safe fix of a document
(and the unsafe ones when ``unsafe-fixes`` is on) as one workspace edit."""

from __future__ import annotations

from ..extensions import CommandAPI, command
from ..fixer import fix_all_edits


@command("lime-task-lint.fixAll")
def fix_all(api: CommandAPI, arguments: list) -> dict:
    uri = _uri_argument(arguments)
    analysis = api.analysis_for(uri)
    if analysis is None:
        raise ValueError(f"{uri} is not open")
    edits = fix_all_edits(analysis.document, analysis.settings, root=analysis.root, workspace=analysis.workspace)
    if not edits:
        return {"applied": False, "message": "nothing to fix"}
    applied = api.apply_edits(uri, edits, "Lime Task Lint: fix all")
    return {"applied": applied}


def _uri_argument(arguments: list) -> str:
    if not arguments:
        raise ValueError("expected the document URI as the first argument")
    first = arguments[0]
    if isinstance(first, dict):
        first = first.get("uri") or first.get("external")
    if not isinstance(first, str):
        raise ValueError("expected the document URI as the first argument")
    return first
