"""A bare JSON-RPC client for the language server: it writes frames by hand, so
tests can send what a well-behaved client library never would (malformed JSON,
wrong params, requests for closed documents) and watch the process itself
(its stderr, its exit).

Requests the server sends to the client are answered automatically:
``workspace/configuration`` with ``debounceMs: 0`` (plus ``extra_settings``),
``workspace/applyEdit`` with ``applied: true`` (nothing is written), everything
else with ``null``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class RawServer:
    def __init__(self, cwd: Path, stderr_path: Path, extra_settings: dict | None = None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "server"), env.get("PYTHONPATH", "")])
        self.stderr_file = open(stderr_path, "wb")
        self.stderr_path = stderr_path
        self.settings = {"debounceMs": 0, **(extra_settings or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lime_task_lint"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr_file, cwd=cwd, env=env)
        self.messages: queue.Queue = queue.Queue()
        self.responses: dict = {}
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []
        self._lock = threading.Condition()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- wire ------------------------------------------------------------------------
    def send_bytes(self, body: bytes, header: bytes | None = None) -> None:
        if header is None:
            header = f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
        self.process.stdin.write(header + body)
        self.process.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8"))

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                self._answer(message)
                with self._lock:
                    self.server_requests.append(message)
                    self._lock.notify_all()
            elif "method" in message:
                with self._lock:
                    self.notifications.append(message)
                    self._lock.notify_all()
            else:
                with self._lock:
                    self.responses[message.get("id")] = message
                    self._lock.notify_all()

    def _answer(self, message: dict) -> None:
        result = None
        if message["method"] == "workspace/configuration":
            result = [dict(self.settings) for _ in message["params"]["items"]]
        elif message["method"] == "workspace/applyEdit":
            result = {"applied": True}  # recorded in server_requests; the files stay untouched
        try:
            self.send({"id": message["id"], "result": result})
        except (BrokenPipeError, ValueError, OSError):
            pass

    # -- requests and notifications ----------------------------------------------------
    def request(self, method: str, params=None, timeout: float = 20) -> dict:
        """Send a request; return the whole response message (result or error)."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.wait_response(ident, timeout)

    def wait_response(self, ident, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self.responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None and ident not in self.responses:
                    raise TimeoutError(f"no response to request {ident} (server alive: {self.process.poll() is None})")
                self._lock.wait(min(remaining, 0.2))
            return self.responses.pop(ident)

    def notify(self, method: str, params=None) -> None:
        message = {"method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def wait_notification(self, method: str, predicate=lambda params: True, timeout: float = 20,
                          after: int = 0) -> dict:
        """The first notification ``method`` (from position ``after`` on) whose params match."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for message in self.notifications[after:]:
                    if message["method"] == method and predicate(message.get("params")):
                        return message["params"]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {method} notification")
                self._lock.wait(min(remaining, 0.2))

    def mark(self) -> int:
        with self._lock:
            return len(self.notifications)

    # -- LSP conveniences ----------------------------------------------------------------
    def initialize(self, root: Path) -> dict:
        response = self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
            "capabilities": {
                "workspace": {"configuration": True, "applyEdit": True, "workspaceFolders": True},
                "textDocument": {"publishDiagnostics": {"versionSupport": True},
                                 "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                                     "quickfix", "refactor", "source"]}}}},
            },
            "initializationOptions": {"globalSettings": dict(self.settings)},
        })
        assert "result" in response, response
        self.notify("initialized", {})
        return response

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": text}})
        return uri

    def diagnostics(self, uri: str, after: int = 0, timeout: float = 20, version: int | None = None) -> dict:
        return self.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
            timeout, after)

    def hover(self, uri: str, line: int, character: int) -> dict:
        return self.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": {"line": line, "character": character}})

    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr_text(self) -> str:
        if not self.stderr_file.closed:
            self.stderr_file.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def shutdown(self, timeout: float = 10) -> int | None:
        try:
            if self.alive():
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
            return self.process.wait(timeout)
        except (BrokenPipeError, OSError, TimeoutError, subprocess.TimeoutExpired):
            return None
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr_file.close()
