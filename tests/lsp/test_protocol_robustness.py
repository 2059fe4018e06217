"""The server over stdio, fed what a well-behaved client never sends.

A raw JSON-RPC client (``tests/fuzz/rawlsp.py``) writes the frames by hand.
Every bad message must get an error response, or be logged and ignored, and
the server must answer the next request normally; when the client goes away
the server process must exit within a few seconds.
"""

from __future__ import annotations

import time

import pytest

from fuzz.rawlsp import RawServer

TASK = '''from lime_task import task


@task
def count_companies(app: LimeApplication) -> int:
    """Count companies."""
    return len(list(app.limetypes.company.get_all()))
'''

INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, PARSE_ERROR = -32600, -32601, -32602, -32700


@pytest.fixture
def server(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    raw = RawServer(workspace, tmp_path / "stderr.log")
    raw.initialize(workspace)
    raw.workspace = workspace
    yield raw
    raw.shutdown()


def _open_task(server, name="tasks.py", text=TASK):
    mark = server.mark()
    uri = server.open(server.workspace / name, text)
    params = server.diagnostics(uri, mark)
    assert [d["code"] for d in params["diagnostics"]] == ["LIME104"]
    return uri


def assert_still_serving(server, uri):
    """A normal request still gets a normal answer."""
    response = server.hover(uri, 6, 20)
    assert "result" in response, response
    assert server.alive()


def test_malformed_json_is_answered_or_ignored(server):
    uri = _open_task(server)
    for body in [b"{not json", b"", b"[1, 2", b"\xff\xfe garbage", b"null", b"42", b'"text"', b"{}",
                 b'{"jsonrpc": "2.0"}', b'{"jsonrpc": "2.0", "id": 99, "method": 7}']:
        server.send_bytes(body)
        assert_still_serving(server, uri)


def test_unknown_methods(server):
    uri = _open_task(server)
    response = server.request("lime/doesNotExist", {"x": 1})
    assert response["error"]["code"] == METHOD_NOT_FOUND
    server.notify("lime/unknownNotification", {"x": 1})
    server.notify("$/someClientExtension", {})
    assert_still_serving(server, uri)


@pytest.mark.parametrize("params", [
    None, {}, {"textDocument": {}}, {"textDocument": {"uri": 5}, "position": {"line": 0, "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": -1, "character": -5}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "ten", "character": None}},
])
def test_invalid_params_get_an_error_or_are_logged_and_dropped(server, params):
    """pygls validates params while decoding the frame; when they do not validate
    it logs the error and drops the request without answering (a pygls
    limitation, see docs/reliability.md).  Either way the server keeps serving."""
    uri = _open_task(server)
    try:
        response = server.request("textDocument/hover", params, timeout=3)
    except TimeoutError:
        assert "Invalid Params" in server.stderr_text() or "JsonRpcInvalidParams" in server.stderr_text()
    else:
        assert "error" in response or response.get("result") is None, response
    assert_still_serving(server, uri)


def test_positions_past_the_end(server):
    uri = _open_task(server)
    for line, character in [(10_000, 0), (6, 10_000), (10_000, 10_000), (0, 2**31 - 1)]:
        response = server.hover(uri, line, character)
        assert "result" in response, response
        response = server.request("textDocument/codeAction", {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": line, "character": character},
                      "end": {"line": line + 5, "character": character}},
            "context": {"diagnostics": []}})
        assert "result" in response, response
    # A range that ends before it starts.
    response = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 6, "character": 30}, "end": {"line": 1, "character": 0}},
        "context": {"diagnostics": []}})
    assert "result" in response, response
    assert_still_serving(server, uri)


def test_requests_for_documents_never_opened(server):
    uri = _open_task(server)
    ghost = (server.workspace / "ghost.py").as_uri()
    assert server.hover(ghost, 0, 0).get("result") is None
    response = server.request("textDocument/codeAction", {
        "textDocument": {"uri": ghost}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []}})
    assert "error" not in response or response["error"]["code"] != METHOD_NOT_FOUND
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": ghost, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                            "text": "x = 1\n"}]})
    server.notify("textDocument/didClose", {"textDocument": {"uri": ghost}})
    server.notify("textDocument/didSave", {"textDocument": {"uri": ghost}})
    assert_still_serving(server, uri)


def test_stale_and_out_of_range_changes(server):
    uri = _open_task(server)
    # A full-text change to version 5, then a stale version 3: neither may crash the server.
    for version, text in [(5, TASK.replace("count_companies", "renamed")), (3, TASK)]:
        mark = server.mark()
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": text}]})
        server.diagnostics(uri, mark, version=version)
    # An incremental change whose range lies past the end of the document.
    mark = server.mark()
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 6}, "contentChanges": [
        {"range": {"start": {"line": 500, "character": 3}, "end": {"line": 900, "character": 0}}, "text": "# tail\n"}]})
    assert_still_serving(server, uri)
    # Whatever the server made of it, a fresh full change is analysed and published.
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 7},
                                             "contentChanges": [{"text": TASK}]})
    params = server.diagnostics(uri, mark, version=7)
    assert [d["code"] for d in params["diagnostics"]] == ["LIME104"]


def test_garbage_in_diagnostic_data_and_resolve(server):
    uri = _open_task(server)
    diagnostic = {"range": {"start": {"line": 6, "character": 11}, "end": {"line": 6, "character": 53}},
                  "message": "m", "code": "LIME104", "source": "lime-task-lint"}
    for data in [None, 5, "x", {"version": 1, "fix": {"bad": 1}}, {"version": 1, "fix": "nonsense"},
                 {"version": 1, "fix": {"title": "t", "applicability": "safe",
                                        "edits": [{"start": -5, "end": 10**9, "new_text": "x"}]}},
                 {"version": 1, "fix": {"title": "t", "applicability": "???", "edits": []}}]:
        response = server.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": diagnostic["range"],
            "context": {"diagnostics": [{**diagnostic, "data": data}]}})
        assert "result" in response, (data, response)
    for data in [None, {"fixAll": True, "uri": 5}, {"fixAll": True, "uri": uri, "version": "x"}, [1, 2]]:
        response = server.request("codeAction/resolve", {"title": "t", "data": data})
        assert "result" in response or "error" in response
    assert_still_serving(server, uri)


def test_commands_with_bad_arguments(server):
    uri = _open_task(server)
    for arguments in [None, [], [5], [{"uri": 7}], ["file:///never/opened.py"]]:
        params = {"command": "lime-task-lint.fixAll"}
        if arguments is not None:
            params["arguments"] = arguments
        response = server.request("workspace/executeCommand", params)
        assert "error" in response or "result" in response
    response = server.request("workspace/executeCommand", {"command": "lime-task-lint.noSuchCommand"})
    assert "error" in response
    assert_still_serving(server, uri)


def test_lone_surrogates_and_nul_in_the_document(server):
    """JSON can carry text no Python file holds; the server must still answer."""
    uri = server.workspace.joinpath("odd.py").as_uri()
    body = ('{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "%s", '
            '"languageId": "python", "version": 1, "text": "x = \'\\ud800\\u0000\'\\n"}}}' % uri).encode()
    mark = server.mark()
    server.send_bytes(body)
    server.diagnostics(uri, mark)
    assert_still_serving(server, uri)


def test_request_before_initialize_then_normal_session(tmp_path):
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        response = raw.request("textDocument/hover", {"textDocument": {"uri": "file:///x.py"},
                                                      "position": {"line": 0, "character": 0}})
        assert "error" in response or response.get("result") is None
        raw.initialize(tmp_path)
        raw.workspace = tmp_path
        _open_task(raw)
    finally:
        raw.shutdown()


def _wait_exit(raw, seconds: float) -> float:
    start = time.monotonic()
    try:
        raw.process.wait(seconds)
    except Exception:
        pass
    return time.monotonic() - start


def test_server_exits_when_stdin_closes(tmp_path):
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        raw.workspace = tmp_path
        _open_task(raw)
        raw.process.stdin.close()
        took = _wait_exit(raw, 10)
        assert not raw.alive(), "the server outlived its client"
        assert took < 5, f"the server took {took:.1f}s to exit"
    finally:
        raw.kill()


def test_server_exits_when_client_vanishes_mid_analysis(tmp_path):
    """The client dies while a big analysis runs in the worker thread: no orphan process."""
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        big = TASK + "".join(f"value_{i} = {i}\n" for i in range(60_000)) + "def broken(:\n"
        raw.open(tmp_path / "big.py", big)
        time.sleep(0.3)  # the analysis is under way
        raw.process.stdin.close()
        raw.process.stdout.close()
        took = _wait_exit(raw, 15)
        assert not raw.alive(), "the server outlived its client"
        assert took < 5, f"the server took {took:.1f}s to exit"
    finally:
        raw.kill()


def test_shutdown_and_exit(tmp_path):
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        assert "result" in raw.request("shutdown")
        raw.notify("exit")
        assert raw.process.wait(5) == 0
    finally:
        raw.kill()
