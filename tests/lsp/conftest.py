"""End-to-end fixtures: the real server over stdio, with VS Code's client capabilities."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from .helpers import answer_registrations

ROOT = Path(__file__).resolve().parents[2]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "lime_task_lint"]),
)
async def client(lsp_client: LanguageClient, tmp_path):
    # Zero debounce so tests do not wait; the rest are the defaults.
    lsp_client.set_configuration({"debounceMs": 0}, section="limeTaskLint")
    answer_registrations(lsp_client)
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        initialization_options={"globalSettings": {"debounceMs": 0}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()
