"""The protocol's edges: frames whose Content-Length lies, bodies that do not
decode, the shutdown/exit life cycle and what notifications leave behind.

The framing is tested twice: :class:`FrameReader` on byte streams (every way a
frame can be wrong, fast), and the real server over stdio (it keeps serving
after each).  See ``server/lime_task_lint/protocol.py`` for the pygls defaults
these replace."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from fuzz.rawlsp import RawServer
from lime_task_lint.protocol import FrameReader, LimeProtocol, top_level_members

INVALID_REQUEST = -32600

TASK = '''from lime_task import task


@task
def tally_deals(app: LimeApplication) -> int:
    """Tally deals."""
    return len(list(app.limetypes.deal.get_all()))
'''


def frame(body: bytes, length: int | None = None, header: bytes = b"Content-Length: %d\r\n\r\n") -> bytes:
    return header % (len(body) if length is None else length) + body


def bodies(data: bytes, **options) -> tuple[list[bytes], int]:
    """Every body FrameReader finds in ``data`` (read 5 bytes at a time, so frames
    also arrive in pieces), and how many frames it dropped."""
    reader = FrameReader(io.BytesIO(data), chunk_size=5, **options)
    found = []
    while (body := reader.read_body()) is not None:
        found.append(body)
    return found, reader.dropped


PING = b'{"jsonrpc": "2.0", "method": "ping"}'
NORDIC = '{"jsonrpc": "2.0", "method": "note", "params": {"text": "Åke Ölund"}}'.encode("utf-8")


# -- framing, on byte streams --------------------------------------------------------------
def test_good_frames_and_header_variants_are_read():
    data = (frame(PING) + frame(NORDIC)
            + frame(PING, header=b"content-length:%d\n\n")  # lower case, no space, bare LF
            + frame(PING, header=b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n")
            + b"Content-Type: application/vscode-jsonrpc\r\n" + frame(PING))  # Content-Type first
    assert bodies(data) == ([PING, NORDIC, PING, PING, PING], 0)


def test_a_length_counted_in_characters_loses_only_that_frame():
    short = len(NORDIC.decode("utf-8"))  # two letters of two bytes each: 2 bytes short
    found, _ = bodies(frame(NORDIC, short) + frame(PING) + frame(PING))
    assert found[1:] == [PING, PING]  # the cut body is returned (and fails to decode); the rest is intact


def test_a_length_too_long_is_dropped_when_the_next_header_arrives():
    found, dropped = bodies(frame(NORDIC, len(NORDIC) + 500) + frame(PING) + frame(PING))
    assert (found, dropped) == ([PING, PING], 1)


@pytest.mark.parametrize("length", [10**12, 10**30, 2 * 1024 * 1024 * 1024])
def test_a_length_over_the_limit_is_dropped_unread(length):
    found, dropped = bodies(frame(b"{}", length) + frame(PING), max_body=1 << 20)
    assert (found, dropped) == ([PING], 1)


def test_garbage_between_frames_and_a_broken_header_block_are_skipped():
    data = b"\x00\xffnoise" + frame(PING) + b"}}tail of something" + frame(PING) \
        + b"Content-Length: 9\r\nthis is no header {\r\n" + frame(PING)
    found, dropped = bodies(data)
    assert (found, dropped) == ([PING, PING, PING], 1)


def test_a_body_that_mentions_content_length_is_not_split():
    body = json.dumps({"jsonrpc": "2.0", "method": "m",
                       "params": {"text": "Content-Length: 12\r\n\r\nnot a frame"}}).encode()
    assert bodies(frame(body) + frame(PING)) == ([body, PING], 0)


def test_the_stream_ending_inside_a_frame_ends_reading():
    assert bodies(frame(PING) + frame(PING)[:-3]) == ([PING], 0)
    assert bodies(b"Content-Len") == ([], 0)


def test_top_level_members_of_bodies_json_refuses():
    deep = b'{"jsonrpc": "2.0", "params": {"x": ' + b"[" * 20000 + b"]" * 20000 + b'}, "id": "r-7", "method": "m"}'
    assert top_level_members(deep, ("id", "method")) == {"id": "r-7", "method": "m"}
    cut = b'{"jsonrpc": "2.0", "id": 41, "method": "textDocument/hover", "params": {"text": "unfinish'
    assert top_level_members(cut, ("id", "method")) == {"id": 41, "method": "textDocument/hover"}
    nested_only = b'{"params": {"id": 3, "method": "inner"}}'
    assert top_level_members(nested_only, ("id", "method")) == {}
    assert top_level_members(b"[1, 2]", ("id",)) == {}


# -- the protocol, in process --------------------------------------------------------------
class _Capture:
    def __init__(self):
        self.messages: list[dict] = []

    def write(self, data: bytes) -> None:
        header, _, body = data.partition(b"\r\n\r\n")
        self.messages.append(json.loads(body))

    def close(self) -> None:
        pass


def _server_with_capture():
    server = LanguageServer("edges", "0", protocol_cls=LimeProtocol)
    capture = _Capture()
    server.protocol.set_writer(capture)
    return server, capture


def _body(message: dict) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **message}).encode()


def test_notifications_leave_no_futures_behind():
    """pygls keeps a Future per notification (and per step of its generator
    handlers); 500 didChange must leave none, whichever kind of handler runs."""
    server, _ = _server_with_capture()
    seen = []

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def changed(ls, params):
        seen.append(params.text_document.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def saved(ls, params):
        seen.append("saved")

    async def session():
        protocol = server.protocol
        protocol.handle_body(_body({"id": 1, "method": "initialize", "params": {"capabilities": {}}}))
        protocol.handle_body(_body({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file:///w/a.py", "languageId": "python", "version": 1, "text": "x = 1\n"}}}))
        for version in range(2, 502):
            protocol.handle_body(_body({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": "file:///w/a.py", "version": version},
                "contentChanges": [{"text": f"x = {version}\n"}]}}))
        protocol.handle_body(_body({"method": "textDocument/didSave", "params": {
            "textDocument": {"uri": "file:///w/a.py"}}}))
        for _ in range(5):
            await asyncio.sleep(0)
        return protocol

    protocol = asyncio.run(session())
    assert len(seen) == 501
    assert protocol._request_futures == {}


def test_undecodable_requests_are_answered_and_notifications_only_logged():
    server, capture = _server_with_capture()
    protocol = server.protocol
    too_deep = b'{"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": ' \
        + b"[" * 100_000 + b"]" * 100_000 + b"}"
    protocol.handle_body(too_deep)
    protocol.handle_body(b'{"jsonrpc": "2.0", "id": 6, "method": "textDocument/hover", "params": {"textDoc')
    protocol.handle_body(b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDoc')
    protocol.handle_body(_body({"id": 8, "method": "textDocument/hover",
                                "params": {"textDocument": {"uri": 5}, "position": {"line": "x"}}}))
    errors = {m["id"]: m["error"]["code"] for m in capture.messages}
    assert errors == {5: INVALID_REQUEST, 6: -32700, 8: -32602}
    assert all("traceback" not in json.dumps(m) for m in capture.messages)


def test_after_shutdown_requests_fail_and_late_answers_are_dropped():
    server, capture = _server_with_capture()
    protocol = server.protocol

    async def session():
        protocol.handle_body(_body({"id": 1, "method": "initialize", "params": {"capabilities": {}}}))
        asked = protocol.send_request("workspace/configuration", {"items": []}, msg_id="ask-1")
        protocol.handle_body(_body({"id": 2, "method": "shutdown"}))
        await asyncio.sleep(0)
        protocol.handle_body(_body({"id": 3, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": "file:///w/a.py"}, "position": {"line": 0, "character": 0}}}))
        protocol.handle_body(_body({"id": "ask-1", "result": [{"debounceMs": 0}]}))
        return asked

    asked = asyncio.run(session())
    answers = {m.get("id"): m for m in capture.messages if "method" not in m}
    assert answers[2].get("result", "missing") is None  # shutdown itself succeeds
    assert answers[3]["error"]["code"] == INVALID_REQUEST
    assert protocol.exit_code == 0
    # shutdown cancelled the pending request; its late answer is dropped quietly
    assert asked.cancelled() and "ask-1" not in protocol._request_futures


def test_exit_code_without_shutdown_is_one():
    server, _ = _server_with_capture()
    assert server.protocol.exit_code == 1


def test_a_late_answer_to_a_cancelled_request_is_ignored():
    server, _ = _server_with_capture()
    protocol = server.protocol
    asked = protocol.send_request("workspace/configuration", {"items": []}, msg_id="late")
    asked.cancel()
    protocol.handle_body(_body({"id": "late", "result": [{}]}))  # pygls raised InvalidStateError here
    assert "late" not in protocol._request_futures


# -- the real server over stdio ------------------------------------------------------------
@pytest.fixture
def server(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    raw = RawServer(workspace, tmp_path / "stderr.log")
    raw.initialize(workspace)
    raw.workspace = workspace
    yield raw
    raw.shutdown()


def _open(server, name: str, text: str = TASK) -> str:
    mark = server.mark()
    uri = server.open(server.workspace / name, text)
    assert [d["code"] for d in server.diagnostics(uri, mark)["diagnostics"]] == ["LIME104"]
    return uri


def _still_serving(server, uri: str, name: str) -> None:
    assert "result" in server.hover(uri, 6, 30)
    _open(server, name)  # a new document is analysed and published
    assert server.alive()


def test_server_survives_a_huge_content_length(server):
    uri = _open(server, "first.py")
    server.send_bytes(b'{"jsonrpc": "2.0"}', header=b"Content-Length: 99999999999999\r\n\r\n")
    _still_serving(server, uri, "after_huge.py")
    assert "dropped a frame" in server.stderr_text()


def test_server_survives_a_length_counted_in_characters(server):
    uri = _open(server, "first.py")
    body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": (server.workspace / "nordic.py").as_uri(), "languageId": "python", "version": 1,
        "text": "# Ärende för Örebro\n" + TASK}}}, ensure_ascii=False)
    server.send_bytes(body.encode("utf-8"), header=b"Content-Length: %d\r\n\r\n" % len(body))
    _still_serving(server, uri, "after_short.py")


def test_server_survives_a_length_too_long(server):
    uri = _open(server, "first.py")
    body = json.dumps({"jsonrpc": "2.0", "method": "$/noise", "params": {}}).encode()
    server.send_bytes(body, header=b"Content-Length: %d\r\n\r\n" % (len(body) + 4000))
    _still_serving(server, uri, "after_long.py")


def test_server_answers_a_request_nested_too_deeply(server):
    uri = _open(server, "first.py")
    for depth in (1_000, 30_000):
        nested = '{"k": ' * depth + "0" + "}" * depth
        body = ('{"jsonrpc": "2.0", "id": "deep-%d", "method": "textDocument/hover", "params": {"textDocument": '
                '{"uri": "%s"}, "position": {"line": 6, "character": 30}, "padding": %s}}' % (depth, uri, nested))
        server.send_bytes(body.encode())
        response = server.wait_response(f"deep-{depth}", timeout=10)
        assert "error" in response or "result" in response
    _still_serving(server, uri, "after_deep.py")


def test_requests_after_shutdown_get_invalid_request(tmp_path):
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        assert "result" in raw.request("shutdown")
        response = raw.request("textDocument/hover", {"textDocument": {"uri": (tmp_path / "x.py").as_uri()},
                                                      "position": {"line": 0, "character": 0}}, timeout=5)
        assert response["error"]["code"] == INVALID_REQUEST
        raw.notify("exit")
        assert raw.process.wait(5) == 0
    finally:
        raw.kill()


def test_exit_without_shutdown_exits_with_status_one(tmp_path):
    raw = RawServer(tmp_path, tmp_path / "stderr.log")
    try:
        raw.initialize(tmp_path)
        raw.notify("exit")
        assert raw.process.wait(5) == 1
    finally:
        raw.kill()


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_memory_stays_flat_over_many_did_change(tmp_path):
    """Only the notification plumbing runs (analysis is debounced away): before
    the fix each didChange left ~2 kB behind, 40 MB over this run."""
    raw = RawServer(tmp_path, tmp_path / "stderr.log", extra_settings={"debounceMs": 600_000})
    try:
        raw.initialize(tmp_path)
        uri = raw.open(tmp_path / "typing.py", "total = 0\n")

        def edits(first: int, count: int) -> None:
            for version in range(first, first + count):
                raw.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                      "contentChanges": [{"range": {
                                                          "start": {"line": 0, "character": 9},
                                                          "end": {"line": 0, "character": 10}},
                                                          "text": str(version % 10)}]})
            assert "result" in raw.hover(uri, 0, 0)  # every change before it has been handled

        edits(2, 2_000)  # warm up: caches and allocator pools fill
        before = _rss_kb(raw.process.pid)
        edits(2_002, 20_000)
        grown = _rss_kb(raw.process.pid) - before
        assert grown < 8_000, f"RSS grew {grown} kB over 20,000 didChange"
    finally:
        raw.shutdown()
