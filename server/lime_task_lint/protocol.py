"""The JSON-RPC edge of the language server: framing, decoding and the LSP life
cycle, where pygls 2.1's defaults lose the session, messages or memory.

What is replaced, and why (each with the upstream thread where there is one):

* **Framing** (:class:`FrameReader`, :func:`serve_stdio`).  pygls's stdio loop
  (``pygls.io_.run_async``) matches ``^Content-Length: (\\d+)\\r\\n$`` only at
  the start of a line and then reads exactly that many bytes.  A length counted
  in characters instead of UTF-8 bytes (the mistake pygls itself is reported
  for as a sender, openlawlibrary/pygls#604) glues the unread tail of a body to
  the next header, which then never matches again: the server stays alive and
  answers nothing for the rest of the session.  A huge length
  (``Content-Length: 1000000000000``) makes ``read(n)`` allocate it at once and
  the ``MemoryError`` ends the process.  Here a frame larger than
  :data:`MAX_BODY_BYTES` is dropped without reading its body, a header is found
  anywhere in the stream (in any letter case, with CR LF or bare LF), and the
  bytes before it are skipped and logged: the reader always finds the next
  message.  pygls#80 fixed the opposite problem (a body that *mentions*
  ``Content-Length``); that cannot confuse this reader either, see
  :data:`_HEADER`.
* **Bodies that do not decode** (:meth:`LimeProtocol.handle_body`).  pygls
  logs and drops them, so a client waiting for the answer hangs.  JSON nested
  deeper than the decoder's recursion limit, params that do not fit the method,
  and bodies cut short are answered with an error for the request's id
  whenever the id can be read from the top level of the body.
* **Notification futures** (:meth:`LimeProtocol._execute_handler`).  pygls
  keeps the Future of every notification handler and of every step of its
  built-in generator handlers in ``_request_futures`` under a fresh uuid
  (pygls#611 is about the uuid's cost) and only requests ever remove theirs:
  about 2 kB stays behind per ``didChange``.  Here every entry is removed once
  its future is done.
* **Shutdown** (:meth:`LimeProtocol.handle_message`).  After ``shutdown``
  pygls drops every message but ``exit`` without an answer; the LSP spec says
  requests must fail with ``InvalidRequest`` (-32600), and the client's
  answers to the server's own earlier requests must still be delivered
  (pygls#605).  ``exit`` ends the process with status 0 only after
  ``shutdown`` (:attr:`LimeProtocol.exit_code`).
* **A late answer to a cancelled request** (pygls#621): settling a cancelled
  future raised ``InvalidStateError`` in the reader loop; it is now ignored.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import sys
import threading
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)

#: The largest message body read, in bytes.  The biggest message an editor sends
#: is a ``didOpen`` with the whole file, JSON-escaped: a 50,000-line task module
#: is about 3 MB.  Past this limit a frame is dropped unread, so a corrupt or
#: hostile length can neither exhaust memory nor stall the reader.
MAX_BODY_BYTES = 64 * 1024 * 1024

#: A ``Content-Length`` header line, anywhere in the stream.  It cannot occur
#: inside a JSON body: the letters could only be inside a string, and a JSON
#: string holds no raw line break, which this pattern requires after the digits.
_HEADER = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
#: Any other header line (``Content-Type: ...``), or a stray blank line.
_OTHER_HEADER = re.compile(rb"[A-Za-z0-9-]+[ \t]*:[^\r\n]*\r?\n")
_ONLY_HEADERS = re.compile(rb"(?:[A-Za-z0-9-]+[ \t]*:[^\r\n]*\r?\n|[ \t]*\r?\n)*")
#: Bytes kept when no header is in the buffer: a header split between two reads
#: is still found (a real header line is about 25 bytes).
_OVERLAP = 64
#: A header line longer than this is not one.
_MAX_HEADER_LINE = 8192


class FrameReader:
    """Splits a byte stream into JSON-RPC message bodies, recovering from bad
    frames instead of losing the stream.

    ``stream`` is a binary file (``sys.stdin.buffer``); its ``read1`` is used
    when it has one, so a frame that declares more bytes than were sent is
    noticed when the next header arrives instead of waiting for bytes that never
    come.  Nothing is allocated ahead of the bytes actually received.
    """

    def __init__(self, stream: BinaryIO, max_body: int = MAX_BODY_BYTES, chunk_size: int = 1 << 16) -> None:
        self._read = getattr(stream, "read1", None) or stream.read
        self._buffer = bytearray()
        self._max_body = max_body
        self._chunk_size = chunk_size
        #: Bytes skipped since the last good header (logged once a header is found).
        self._skipped = 0
        #: Frames dropped so far (for tests and logs).
        self.dropped = 0

    def read_body(self) -> bytes | None:
        """The body of the next well-framed message; ``None`` at the end of the stream.

        Blocks until a whole body has arrived.  Bad frames are dropped and logged:
        a ``Content-Length`` over the limit, a header block holding a line that is
        no header, a body that holds the next message's header (the length
        counted too many bytes, or the one before too few)."""
        while True:
            match = self._next_header()
            if match is None:
                return None
            length = int(match.group(1))
            self._report_skipped(match.start())
            del self._buffer[:match.end()]
            body_start = self._end_of_headers()
            if body_start is None:
                return None
            if body_start < 0:
                self._drop("its header block holds a line that is not a header")
                continue
            del self._buffer[:body_start]
            if length > self._max_body:
                # Its body, if any, is skipped like any bytes before the next header.
                self._drop(f"it declares {length} bytes (the limit is {self._max_body})")
                continue
            body = self._take(length)
            if body is None:
                return None
            if body is _DROPPED:
                continue
            return body

    # -- the steps --------------------------------------------------------------------
    def _fill(self) -> bool:
        """Read what the stream has (at least one byte); False at its end."""
        chunk = self._read(self._chunk_size)
        if not chunk:
            if self._buffer.strip():
                log.error("the client's stream ended inside a message (%d bytes dropped)", len(self._buffer))
            return False
        self._buffer += chunk
        return True

    def _next_header(self) -> re.Match | None:
        while True:
            match = _HEADER.search(self._buffer)
            if match is not None:
                return match
            if len(self._buffer) > _OVERLAP:
                cut = len(self._buffer) - _OVERLAP
                if not _ONLY_HEADERS.fullmatch(self._buffer, 0, cut):
                    self._skipped += cut
                del self._buffer[:cut]
            if not self._fill():
                return None

    def _report_skipped(self, before_header: int) -> None:
        if before_header and not _ONLY_HEADERS.fullmatch(self._buffer, 0, before_header):
            self._skipped += before_header
        if self._skipped:
            log.error("skipped %d bytes of the client's stream that were not a message, up to the next "
                      "Content-Length header", self._skipped)
            self._skipped = 0

    def _end_of_headers(self) -> int | None:
        """Where the body starts after the other header lines; -1 when a line in
        the header block is no header; None at the end of the stream."""
        position = 0
        while True:
            rest = self._buffer[position:position + 2]
            if rest[:1] == b"\n":
                return position + 1
            if rest == b"\r\n":
                return position + 2
            header = _OTHER_HEADER.match(self._buffer, position)
            if header is not None:
                position = header.end()
                continue
            pending = self._buffer[position:position + _MAX_HEADER_LINE]
            if rest == b"\r" or (b"\n" not in pending and len(pending) < _MAX_HEADER_LINE
                                 and re.fullmatch(rb"[A-Za-z0-9-]*(?:[ \t]*:[^\r\n]*)?", pending)):
                if not self._fill():  # the line is still arriving
                    return None
                continue
            return -1

    def _take(self, length: int) -> bytes | object | None:
        """The next ``length`` bytes, or ``_DROPPED`` when a header turns up inside
        them (the frame declared more bytes than it had); None at the end of the stream."""
        searched = 0
        while True:
            header = _HEADER.search(self._buffer, max(0, searched - _OVERLAP),
                                    min(len(self._buffer), length + _OVERLAP))
            if header is not None and header.start() < length:
                self._drop(f"the next header came {header.start()} bytes into a body declared as {length}")
                del self._buffer[:header.start()]
                return _DROPPED
            if len(self._buffer) >= length:
                body = bytes(self._buffer[:length])
                del self._buffer[:length]
                return body
            searched = len(self._buffer)
            if not self._fill():
                return None

    def _drop(self, why: str) -> None:
        self.dropped += 1
        log.error("dropped a frame from the client: %s; reading on from the next Content-Length header", why)


_DROPPED = object()


class LimeProtocol(LanguageServerProtocol):
    """pygls's LSP protocol with the fixes listed in this module's docstring."""

    @property
    def exit_code(self) -> int:
        """The process's exit status: 0 when the client asked for ``shutdown`` first, else 1 (LSP ``exit``)."""
        return 0 if self._shutdown else 1

    # -- decoding -----------------------------------------------------------------------
    def handle_body(self, body: bytes) -> None:
        """Decode one message body and handle it.  A body that does not decode is
        logged (its size, never its text: it may hold a document and its secrets)
        and, when it is a request whose id can be read, answered with an error."""
        try:
            message = json.loads(body, object_hook=self.structure_message)
        except RecursionError:
            self._refuse(body, JsonRpcInvalidRequest(
                "the message is nested more deeply than the server's JSON decoder can read"))
            return
        except JsonRpcException as error:  # structure_message: params that do not fit the method
            detail = f"{error.message}: {error.__cause__}" if error.__cause__ else error.message
            self._refuse(body, type(error)(message=detail[:500]))
            return
        except ValueError as error:  # not JSON, not UTF-8, or cut short
            self._refuse(body, JsonRpcParseError(f"the message is not valid JSON ({error})"[:500]))
            return
        try:
            self.handle_message(message)
        except Exception:  # one message must not end the session
            log.exception("could not handle a message from the client")

    def _refuse(self, body: bytes, error: JsonRpcException) -> None:
        members = top_level_members(body, ("id", "method"))
        msg_id, method = members.get("id"), members.get("method")
        log.error("could not decode a message of %d bytes (%s%s): %s", len(body),
                  f"method {method!r}" if isinstance(method, str) else "no method",
                  f", id {msg_id!r}" if msg_id is not None else "", error.message)
        if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool):
            return  # a notification, or no id to answer: nobody waits for an answer
        if isinstance(method, str):
            self._send_response(msg_id, error=error.to_response_error())
        elif msg_id in self._request_futures:  # the client's answer to one of our requests
            self._handle_response(msg_id, None, error.to_response_error())

    # -- encoding -----------------------------------------------------------------------
    def notify_json(self, method: str, params_json: str) -> None:
        """Send a notification whose params are JSON text already.  For
        ``publishDiagnostics`` of thousands of findings, lsprotocol objects and
        their unstructuring cost more than re-analysing the keystroke did (about
        60-150 ms for 3,500 findings); the JSON is the same.  Written as pygls's
        ``_send_data`` writes (its headers; a closed pipe is logged, not raised)."""
        if self.writer is None:
            log.error("cannot send %s: no transport", method)
            return
        body = f'{{"jsonrpc": "{self.VERSION}", "method": {json.dumps(method)}, "params": {params_json}}}'
        payload = body.encode(self.CHARSET)
        if self._include_headers:
            payload = (f"Content-Length: {len(payload)}\r\n"
                       f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n").encode("ascii") + payload
        try:
            written = self.writer.write(payload)
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            log.error("cannot send %s: the client closed the connection", method)
        except Exception:
            log.exception("cannot send %s", method)

    # -- life cycle ---------------------------------------------------------------------
    def handle_message(self, message: Any) -> None:
        if self._shutdown and getattr(message, "jsonrpc", None) == self.VERSION:
            method = getattr(message, "method", None)
            if method is None:
                # The client's answer to a request sent before shutdown: its
                # future must still be settled (pygls drops it, pygls#605).
                self._handle_response(message.id, getattr(message, "result", None), getattr(message, "error", None))
                return
            if method != lsp.EXIT and getattr(message, "id", None) is not None:
                log.warning("refused request %r after shutdown", method)
                self._send_response(message.id, error=JsonRpcInvalidRequest(
                    f"the server is shutting down: {method} is not accepted after shutdown").to_response_error())
                return
        super().handle_message(message)

    @lsp_method(lsp.SHUTDOWN)
    def lsp_shutdown(self, *args):
        """pygls's shutdown, cancelling the pending futures from a copy of the
        table: a cancelled future's callback now removes its own entry."""
        if (user_handler := self.fm.features.get(lsp.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def _handle_response(self, msg_id, result=None, error=None) -> None:
        future = self._request_futures.get(msg_id)
        if future is not None and future.cancelled():
            # Whoever asked stopped waiting; settling it would raise (pygls#621).
            self._request_futures.pop(msg_id, None)
            return
        super()._handle_response(msg_id, result, error)

    # -- bookkeeping --------------------------------------------------------------------
    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None) -> None:
        def settle(future, _callback=callback, _msg_id=msg_id):
            try:
                _callback(future)
            finally:
                # Requests pop their own entry when they answer; notifications and
                # the steps of generator handlers never did (see the module docstring).
                if self._request_futures.get(_msg_id) is future:
                    self._request_futures.pop(_msg_id, None)

        super()._execute_handler(msg_id, handler, settle, args, kwargs)


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]', re.DOTALL)


def top_level_members(body: bytes, names: tuple[str, ...]) -> dict[str, Any]:
    """The values of the top-level members ``names`` of a JSON object, read
    without decoding the rest: for bodies ``json.loads`` refuses (nested too
    deeply, cut short).  Members whose value is not a scalar, or does not
    decode, are left out.  Linear in the body's size; no recursion."""
    text = body.decode("utf-8", "replace")
    found: dict[str, Any] = {}
    depth = 0
    key: str | None = None
    expecting_key = False
    value_start: int | None = None
    for token in _TOKEN.finditer(text):
        kind = token.group()
        if depth == 1 and value_start is not None and kind in (",", "}"):
            if key in names:
                try:
                    value = json.loads(text[value_start:token.start()])
                except (ValueError, RecursionError):
                    value = None
                if value is not None and not isinstance(value, (dict, list)):
                    found[key] = value
            value_start = None
        if kind in ("{", "["):
            depth += 1
            if depth == 1:
                if kind != "{":
                    return found  # a batch or a scalar: no members
                expecting_key = True
        elif kind in ("}", "]"):
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1:
            if kind == ",":
                expecting_key = True
            elif kind == ":":
                value_start = token.end()
            elif expecting_key:
                try:
                    key = json.loads(kind)
                except ValueError:
                    key = None
                expecting_key = False
    if depth == 1 and value_start is not None and key in names:  # cut short after a scalar
        try:
            value = json.loads(text[value_start:].strip().rstrip(","))
        except (ValueError, RecursionError):
            value = None
        if value is not None and not isinstance(value, (dict, list)):
            found[key] = value
    return found


async def _read_loop(server, frames: FrameReader) -> None:
    loop = asyncio.get_running_loop()
    while not server._stop_event.is_set():
        body = await loop.run_in_executor(server.thread_pool, frames.read_body)
        if body is None:
            break
        server.protocol.handle_body(body)


def serve_stdio(server, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """Serve ``server`` (a pygls ``LanguageServer`` whose protocol is a
    :class:`LimeProtocol`) over stdio until the client exits or the stream ends.

    The same steps as pygls's ``start_io``, with :class:`FrameReader` instead of
    pygls's reader loop.  Returns normally after ``exit``; the process's exit
    status is then ``server.protocol.exit_code``."""
    server._stop_event = threading.Event()
    frames = FrameReader(stdin or sys.stdin.buffer)
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(_read_loop(server, frames))
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
