"""Budget code lenses and the ``lime-task-lint.budgetReport`` command over stdio,
on the example workspace (its pyproject.toml object counts apply)."""

from __future__ import annotations

import ast
import re
import sys

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .conftest import ROOT
from .helpers import answer_registrations, next_diagnostics

EXAMPLES = ROOT / "examples"
TASKS = EXAMPLES / "limepkg_acme" / "tasks"
LENS = re.compile(r"^≈ [\d,]+ reads? · [\d,]+ commits? · [\d.]+ (B|kB|MB|GB) \(\d+% of 200 MB\) · ~[\d.]+ (s|min|h)$")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "lime_task_lint"]))
async def examples_client(lsp_client: LanguageClient):
    lsp_client.set_configuration({"debounceMs": 0}, section="limeTaskLint")
    answer_registrations(lsp_client)
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=EXAMPLES.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=EXAMPLES.as_uri(), name="examples")],
        initialization_options={"globalSettings": {"debounceMs": 0}},
    )
    result = await lsp_client.initialize_session(params)
    lsp_client.initialize_result = result
    yield
    await lsp_client.shutdown_session()


def task_lines(text: str) -> list[tuple[str, int]]:
    """(name, 0-based first line incl. decorators) of every @task function."""
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and any(isinstance(d, ast.Name) and d.id == "task"
                                                     for d in node.decorator_list):
            out.append((node.name, min(d.lineno for d in node.decorator_list) - 1))
    return out


async def test_every_example_task_has_a_lens(examples_client: LanguageClient):
    client = examples_client
    assert "lime-task-lint.budgetReport" in client.initialize_result.capabilities.execute_command_provider.commands
    total = 0
    for path in sorted(TASKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        expected = task_lines(text)
        if not expected:
            continue
        uri = path.as_uri()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        await next_diagnostics(client, uri)
        lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(
            text_document=lsp.TextDocumentIdentifier(uri)))
        budget = [lens for lens in lenses or [] if lens.command and
                  lens.command.command == "limeTaskLint.showBudgetReport"]
        assert [lens.range.start.line for lens in budget] == [line for _, line in expected], path.name
        for lens in budget:
            assert LENS.match(lens.command.title), lens.command.title
            assert list(lens.command.arguments) == [uri]
        total += len(budget)
        if path.name == "contacts.py":
            titles = [lens.command.title for lens in budget]
            # flag_inactive_persons: 250,000 persons in a list, over the budget.
            assert titles[1] == "≈ 1 read · 0 commits · 258.1 MB (129% of 200 MB) · ~25 s"
    assert total == 18  # one lens per task of the example workspace


async def test_budget_report_command_returns_the_html(examples_client: LanguageClient):
    client = examples_client
    path = TASKS / "contracts.py"
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await next_diagnostics(client, uri)
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="lime-task-lint.budgetReport", arguments=[uri]))
    html = result["html"]
    assert result["tasks"] == 3
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    for name in ("import_contracts", "close_expired_deals", "refresh_company_names"):
        assert f'data-task="{name}"' in html
        assert f'id="line-before-{name}"' in html and f'id="line-after-{name}"' in html
    # Before and after figures of the N+1 import (100,000 rows by default, batches of 50).
    assert "100,000 reads × 5 ms + 100,000 commits × 25 ms" in html
    assert "1 read × 5 ms + 2,000 commits × 25 ms" in html
    # The document itself is unchanged by the report (the fixes are only simulated).
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(
        text_document=lsp.TextDocumentIdentifier(uri)))
    assert any(lens.command and "100,000 reads" in lens.command.title for lens in lenses)
