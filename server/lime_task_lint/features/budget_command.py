"""The ``lime-task-lint.budgetReport`` command: ``[uri]`` -> ``{"html": ...}``, the
task budget report of one open document (every task, before and after every
available fix, with the memory chart), for the client's webview."""

from __future__ import annotations

from pathlib import Path

from ..budget import file_budgets
from ..extensions import CommandAPI, command
from ..report import render_html
from .fix_all import _uri_argument


@command("lime-task-lint.budgetReport")
def budget_report(api: CommandAPI, arguments: list) -> dict:
    uri = _uri_argument(arguments)
    analysis = api.analysis_for(uri)
    if analysis is None:
        raise ValueError(f"{uri} is not open")
    document = analysis.document
    budget = file_budgets(document.text, analysis.settings, path=document.path, root=analysis.root,
                          workspace=analysis.workspace, with_fixes=True, curve=True, model=analysis.model,
                          document=document)
    name = Path(document.path).name if document.path else uri.rsplit("/", 1)[-1]
    return {"html": render_html([budget], title=f"Task budget: {name}"), "tasks": len(budget.tasks)}
