"""A small HTTP/1.1 server on asyncio streams that can misbehave at the socket level.

Test servers built on it decide, for each request, an *action*: a normal `Reply` (perhaps
late), or a fault that no well-behaved server library would let us produce: `Reset` (the
connection is aborted with a TCP reset and no response), `Stall` (no answer at all, then
the connection is closed), `Truncate` (a body shorter than its Content-Length, then the
connection is closed). That is why it is hand-written over raw streams rather than built
on a server framework or on h11, which refuse to emit broken messages; what it has to
parse is only the request forms an HTTP client sends: a request line, headers, and a
Content-Length body (chunked request bodies are answered 501), with keep-alive.

Every request is stamped and numbered the moment its head has been read, before any of
its body and before any response byte is written; `observe` hears of it once the body is
in and the action chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

import attrs

__all__ = [
    "CLIENT_ABORTED",
    "SERVER_BUG",
    "Action",
    "HttpServer",
    "Reply",
    "Request",
    "Reset",
    "Stall",
    "Truncate",
    "json_reply",
]

# The longest request head accepted; a longer one is answered 431.
_HEAD_LIMIT = 64 * 1024


@attrs.frozen
class Request:
    """One request as it arrived, with where and when.

    ``arrived_at`` is ``time.monotonic()`` taken as soon as the request line and headers
    were read. Header names are lower-cased; repeated headers are joined with ", ".
    ``path`` is the raw path as sent (not percent-decoded); ``query`` keeps the last value
    of a repeated parameter, ``query_string`` has them all.
    """

    seq: int
    arrived_at: float
    method: str
    target: str
    path: str
    query_string: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    connection: int

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, str]:
        """The body as an ``application/x-www-form-urlencoded`` form (last value wins)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


HeaderPairs: TypeAlias = tuple[tuple[str, str], ...]


def _header_pairs(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> HeaderPairs:
    """Headers as ordered pairs, so that one name can be sent on several lines."""
    if isinstance(value, Mapping):
        return tuple((str(name), str(text)) for name, text in value.items())
    return tuple((str(name), str(text)) for name, text in value)


@attrs.frozen
class Reply:
    """A complete response, written after ``delay`` seconds (a slow server)."""

    status: int = 200
    body: bytes = b""
    headers: HeaderPairs = attrs.field(default=(), converter=_header_pairs)
    delay: float = 0.0
    fault: str | None = None


@attrs.frozen
class Reset:
    """Abort the connection with a TCP reset after ``delay`` seconds; no response at all."""

    delay: float = 0.0
    fault: str | None = "reset"


@attrs.frozen
class Stall:
    """Say nothing for ``seconds``, then close the connection without a response."""

    seconds: float
    fault: str | None = "stall"


@attrs.frozen
class Truncate:
    """Announce ``len(body)`` in Content-Length, send only ``sent`` bytes, then close."""

    body: bytes
    sent: int
    status: int = 200
    headers: HeaderPairs = attrs.field(default=(), converter=_header_pairs)
    fault: str | None = "truncated"


Action: TypeAlias = Reply | Reset | Stall | Truncate

# Chooses what to do with a request; runs on the server's event loop, so it must not block.
Respond: TypeAlias = Callable[[Request], Action]
# Hears of every request once its body is read, with the fault label of the chosen action
# ("client-aborted" when the client went away before sending the whole body).
Observe: TypeAlias = Callable[[Request, str | None], None]

CLIENT_ABORTED = "client-aborted"
# The fault label of a request whose `respond` raised: answered 500 with the error.
SERVER_BUG = "server-bug"


def json_reply(
    payload: Any,
    status: int = 200,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    *,
    delay: float = 0.0,
    fault: str | None = None,
) -> Reply:
    """A `Reply` with `payload` as its JSON body."""
    pairs = _header_pairs(headers)
    if not any(name.lower() == "content-type" for name, _ in pairs):
        pairs = (("Content-Type", "application/json"), *pairs)
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status=status, body=body, headers=pairs, delay=delay, fault=fault)


class _BadRequest(Exception):
    """The request head cannot be parsed; answered 400 and the connection closed."""


class HttpServer:
    """Serves `respond`'s actions on one listening socket, keeping per-connection counts.

    ``connections`` counts accepted connections; ``max_in_flight`` is the most requests
    that had arrived and not yet been answered (or faulted) at any one moment.
    """

    def __init__(self, respond: Respond, *, observe: Observe | None = None) -> None:
        self._respond = respond
        self._observe = observe
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._next_seq = 0
        self._next_connection = 0
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on `host`; port 0 lets the OS choose. Returns the port."""
        self._server = await asyncio.start_server(
            self._serve_connection, host, port, limit=_HEAD_LIMIT
        )
        bound: tuple[str, int] = self._server.sockets[0].getsockname()[:2]
        return bound[1]

    def reset_counters(self) -> None:
        self.connections = 0
        self.max_in_flight = self.in_flight

    async def close(self) -> None:
        """Stop listening and drop every open connection (stalled ones included)."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connection = self._next_connection
        self._next_connection += 1
        self.connections += 1
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer, connection):
                pass
        except (ConnectionError, TimeoutError):
            pass  # The client went away; nothing to answer.
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> bool:
        """Serve one request; True when the connection stays open for another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # Closed between requests (or mid-head): nothing arrived.
        except asyncio.LimitOverrunError:
            await _write_and_drain(writer, _plain(431, "request head too large"), close=True)
            return False
        # The arrival stamp: head read, body not yet, nothing written. A client's rate limit
        # must hold against these stamps, so they are taken before any server-side work.
        arrived_at = time.monotonic()
        seq = self._next_seq
        self._next_seq += 1
        try:
            method, target, version, headers = _parse_head(head)
            length = _content_length(headers)
        except _BadRequest as error:
            await _write_and_drain(writer, _plain(400, str(error)), close=True)
            return False
        if "transfer-encoding" in headers:
            await _write_and_drain(writer, _plain(501, "chunked bodies unsupported"), close=True)
            return False

        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            aborted = False
            try:
                body = await reader.readexactly(length)
            except asyncio.IncompleteReadError as error:
                body, aborted = error.partial, True
            url = urlsplit(target)
            request = Request(
                seq=seq,
                arrived_at=arrived_at,
                method=method,
                target=target,
                path=url.path,
                query_string=url.query,
                query=dict(parse_qsl(url.query, keep_blank_values=True)),
                headers=headers,
                body=body,
                connection=connection,
            )
            if aborted:
                self._notify(request, CLIENT_ABORTED)
                return False
            action = self._decide(request)
            self._notify(request, action.fault)
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            return await _perform(action, writer, keep_alive=keep_alive)
        finally:
            self.in_flight -= 1

    def _decide(self, request: Request) -> Action:
        try:
            return self._respond(request)
        except Exception as error:
            # A bug in a test server must show as such, not as a mysterious dropped call.
            traceback.print_exc()
            text = f"test server bug: {type(error).__name__}: {error}"
            return Reply(500, text.encode(), {"Content-Type": "text/plain"}, fault=SERVER_BUG)

    def _notify(self, request: Request, fault: str | None) -> None:
        if self._observe is not None:
            self._observe(request, fault)


async def _perform(action: Action, writer: asyncio.StreamWriter, *, keep_alive: bool) -> bool:
    """Carry out `action` on the connection; True when it may serve another request."""
    if isinstance(action, Reply):
        if action.delay > 0:
            await asyncio.sleep(action.delay)
        head = _response_head(action.status, action.headers, len(action.body), keep_alive)
        await _write_and_drain(writer, head + action.body, close=not keep_alive)
        return keep_alive
    if isinstance(action, Reset):
        if action.delay > 0:
            await asyncio.sleep(action.delay)
        # Linger 0 makes the close send RST instead of FIN: the client sees a reset.
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False
    if isinstance(action, Stall):
        await asyncio.sleep(action.seconds)
        return False
    head = _response_head(action.status, action.headers, len(action.body), keep_alive=False)
    await _write_and_drain(writer, head + action.body[: action.sent], close=True)
    return False


async def _write_and_drain(writer: asyncio.StreamWriter, data: bytes, *, close: bool) -> None:
    writer.write(data)
    await writer.drain()
    if close:
        writer.close()


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    while lines and not lines[0]:
        lines.pop(0)  # Empty lines before a request line are to be ignored.
    if not lines:
        raise _BadRequest("empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(f"bad request line {lines[0]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise _BadRequest(f"bad header line {line!r}")
        key, value = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return method, target, version, headers


def _content_length(headers: Mapping[str, str]) -> int:
    text = headers.get("content-length", "0")
    if not text.isdigit():
        raise _BadRequest(f"bad Content-Length {text!r}")
    return int(text)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _response_head(status: int, headers: HeaderPairs, length: int, keep_alive: bool) -> bytes:
    """Status line and headers; Content-Length and Connection are always ours to set."""
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [
        f"{name}: {value}"
        for name, value in headers
        if name.lower() not in ("content-length", "connection")
    ]
    lines.append(f"Content-Length: {length}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _plain(status: int, text: str) -> bytes:
    body = text.encode()
    head = _response_head(status, (("Content-Type", "text/plain"),), len(body), False)
    return head + body
