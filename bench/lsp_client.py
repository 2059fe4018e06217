"""A small JSON-RPC client for timing the language server over stdio.

Deliberately minimal (the end-to-end tests use pytest-lsp): it frames
messages with ``Content-Length``, reads the server's output on a thread,
answers the server's own requests with ``null`` and lets the benchmark wait
for a response id or a notification that matches a predicate.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import Any, Callable


class LspClient:
    def __init__(self, command: list[str], cwd: str | None = None) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=cwd)
        self._next_id = 0
        self._responses: dict[int, Any] = {}
        self._notifications: "queue.Queue[dict]" = queue.Queue()
        self._condition = threading.Condition()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    # -- wire --------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read_loop(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                with self._condition:
                    self._responses[message["id"]] = message
                    self._condition.notify_all()
            else:
                self._notifications.put(message)

    # -- API ---------------------------------------------------------------------
    def request_async(self, method: str, params: Any) -> int:
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    def wait_response(self, request_id: int, timeout: float = 600) -> Any:
        deadline = time.monotonic() + timeout
        with self._condition:
            while request_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to request {request_id}")
                self._condition.wait(left)
            message = self._responses.pop(request_id)
        if "error" in message:
            raise RuntimeError(f"server error: {message['error']}")
        return message.get("result")

    def request(self, method: str, params: Any, timeout: float = 600) -> Any:
        return self.wait_response(self.request_async(method, params), timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_notification(self, predicate: Callable[[dict], bool], timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching notification")
            try:
                message = self._notifications.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(message):
                return message

    def diagnostics_for(self, uri: str, version: int, timeout: float = 600) -> list[dict]:
        """Wait for the diagnostics the server publishes for ``uri`` at ``version``."""
        message = self.wait_notification(
            lambda m: m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri and m["params"].get("version") == version, timeout)
        return message["params"]["diagnostics"]

    def initialize(self, root_uri: str, options: dict | None = None) -> dict:
        result = self.request("initialize", {
            "processId": None,
            "rootUri": root_uri,
            "workspaceFolders": [{"uri": root_uri, "name": "bench"}],
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {
                    "publishDiagnostics": {"versionSupport": True},
                    "codeAction": {"resolveSupport": {"properties": ["edit"]},
                                   "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                                       "quickfix", "refactor", "refactor.rewrite", "source",
                                       "source.fixAll"]}}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                },
                "workspace": {"workspaceFolders": True},
            },
            "initializationOptions": options or {},
        })
        self.notify("initialized", {})
        return result

    def open_document(self, uri: str, text: str) -> tuple[list[dict], float]:
        """``didOpen`` at version 1; ``(its first diagnostics, seconds until they came)``."""
        started = time.perf_counter()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        diagnostics = self.diagnostics_for(uri, 1)
        return diagnostics, time.perf_counter() - started

    def vm_status(self) -> dict[str, int]:
        """VmHWM / VmRSS of the server process, in kB."""
        out: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmHWM", "VmRSS"):
                    out[name] = int(value.split()[0])
        return out

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.process.wait(timeout=30)
        except Exception:
            self.process.kill()
            self.process.wait()
