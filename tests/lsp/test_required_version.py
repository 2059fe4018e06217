"""Issue 19: a project's ``required-version`` that the running server does not
satisfy is reported once per configuration file -- in the log, and to the VS Code
client (which declares it can take it) as its own notification, not as a pop-up."""

from __future__ import annotations

import asyncio
import sys

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lime_task_lint import __version__

from .helpers import answer_registrations, next_diagnostics, open_document, record_diagnostics

TALLY = '''from lime_task import task


@task
def tally_deals(app):
    """Tally the deals."""
    return len(list(app.limetypes.deal.get_all()))
'''

NOTIFICATION = "limeTaskLint/requiredVersionMismatch"


def _version_warnings(client: LanguageClient) -> list[lsp.LogMessageParams]:
    # Warnings only: the start-up log's "settings in force" line names every key.
    return [m for m in client.log_messages if m.type == lsp.MessageType.Warning and "required-version" in m.message]


async def _settled(client: LanguageClient, uris: list[str], mark: int) -> None:
    for uri in uris:
        await next_diagnostics(client, uri, after=mark)
    await asyncio.sleep(0.3)  # anything the analyses still log has arrived


async def test_unsatisfied_required_version_is_logged_once_per_config_file(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.lime-task-lint]\nrequired-version = ">=99"\n')
    (tmp_path / "tasks").mkdir()
    mark = len(record_diagnostics(client))
    first = open_document(client, tmp_path / "tasks" / "deals.py", TALLY)
    second = open_document(client, tmp_path / "tasks" / "companies.py", TALLY.replace("deal", "company"))
    third = open_document(client, tmp_path / "loose.py", TALLY)
    await _settled(client, [first, second, third], mark)
    warnings = _version_warnings(client)
    assert len(warnings) == 1, [w.message for w in warnings]
    (warning,) = warnings
    assert warning.type == lsp.MessageType.Warning
    assert "'>=99'" in warning.message and str(tmp_path / "pyproject.toml") in warning.message
    assert __version__ in warning.message
    # Linting goes on, with the project's settings.
    assert client.diagnostics[first]
    # No pop-up: showNotifications is off by default.
    assert not [m for m in client.messages if "required-version" in m.message]


async def test_each_config_file_is_reported_and_a_satisfied_one_is_not(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.lime-task-lint]\nrequired-version = ">=99"\n')
    nested = tmp_path / "legacy"
    nested.mkdir()
    (nested / "lime-task-lint.toml").write_text('required-version = "<0.0.1"\n')
    satisfied = tmp_path / "current"
    satisfied.mkdir()
    (satisfied / "lime-task-lint.toml").write_text(f'required-version = "=={__version__}"\n')
    mark = len(record_diagnostics(client))
    uris = [open_document(client, folder / "deals.py", TALLY) for folder in (tmp_path, nested, satisfied)]
    await _settled(client, uris, mark)
    messages = sorted(w.message for w in _version_warnings(client))
    assert len(messages) == 2, messages
    assert "'<0.0.1'" in messages[0] and str(nested / "lime-task-lint.toml") in messages[0]
    assert "'>=99'" in messages[1] and str(tmp_path / "pyproject.toml") in messages[1]


async def test_show_notifications_on_warning_pops_the_warning_up_once(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.lime-task-lint]\nrequired-version = ">=99"\n')
    client.set_configuration({"debounceMs": 0, "showNotifications": "onWarning"}, section="limeTaskLint")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.3)
    mark = len(record_diagnostics(client))
    uris = [open_document(client, tmp_path / name, TALLY) for name in ("a.py", "b.py")]
    await _settled(client, uris, mark)
    popups = [m for m in client.messages if "required-version" in m.message]
    assert len(popups) == 1 and popups[0].type == lsp.MessageType.Warning


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "lime_task_lint"]))
async def vscode_client(lsp_client: LanguageClient, tmp_path):
    """A client that declares it shows the required-version warning itself."""
    lsp_client.set_configuration({"debounceMs": 0, "showNotifications": "always"}, section="limeTaskLint")
    answer_registrations(lsp_client)
    lsp_client.mismatches = []

    @lsp_client.feature(NOTIFICATION)
    def mismatch(params) -> None:
        lsp_client.mismatches.append(params)

    capabilities = client_capabilities("visual-studio-code")
    capabilities.experimental = {"limeTaskLint": {"requiredVersionNotification": True}}
    lsp_client.initialize_result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        initialization_options={"globalSettings": {"debounceMs": 0, "showNotifications": "always"}}))
    yield
    await lsp_client.shutdown_session()


async def test_a_client_that_asks_gets_the_mismatch_as_a_notification(vscode_client: LanguageClient, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.lime-task-lint]\nrequired-version = ">=99"\n')
    mark = len(record_diagnostics(vscode_client))
    uris = [open_document(vscode_client, tmp_path / name, TALLY) for name in ("a.py", "b.py")]
    await _settled(vscode_client, uris, mark)
    assert len(vscode_client.mismatches) == 1
    (params,) = vscode_client.mismatches
    get = params.get if isinstance(params, dict) else lambda key: getattr(params, key)
    assert get("requiredVersion") == ">=99"
    assert get("serverVersion") == __version__
    assert get("configFile") == str(config)
    assert get("uri") in uris
    # The client shows it (or not): the server pops nothing up, even with showNotifications "always".
    assert not [m for m in vscode_client.messages if "required-version" in m.message]
    assert len(_version_warnings(vscode_client)) == 1


def test_server_info_carries_the_version_the_client_compares(vscode_client: LanguageClient):
    info = vscode_client.initialize_result.server_info
    assert info is not None and info.name == "lime-task-lint" and info.version == __version__


async def test_import_strategy_is_the_clients_setting_not_an_unknown_one(client: LanguageClient, tmp_path):
    client.set_configuration({"debounceMs": 0, "importStrategy": "fromEnvironment", "notAThing": 1},
                             section="limeTaskLint")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    mark = len(record_diagnostics(client))
    uri = open_document(client, tmp_path / "deals.py", TALLY)
    await _settled(client, [uri], mark)
    unknown = [m.message for m in client.log_messages if "unknown setting" in m.message]
    assert any("notAThing" in m for m in unknown), unknown  # the check runs ...
    assert not any("importStrategy" in m for m in unknown), unknown  # ... and lets the client's key through
