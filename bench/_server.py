"""A fast HTTP/1.1 server on 127.0.0.1 for the benchmarks, run in a child process.

It answers GitHub-shaped listings from the spec's own examples, stamps the arrival time
of every request (``time.monotonic()``, one clock for every process on the machine) and
hands the stamps over on ``GET /_arrivals``. Written on asyncio's protocol layer (keep-
alive, Content-Length bodies, no chunking) so that the server costs as little as possible
of the two cores the client shares with it.

Routes:

- ``GET /orgs/{org}/repos`` and ``GET /orgs/{org}/members``: a page of ``per_page`` items
  (MinimalRepository or SimpleUser examples, each with its own ``id``). An org named
  ``pages-N`` has N pages, linked by a ``Link: <...>; rel="next"`` header; others have one.
- ``GET /ping``: a small JSON object.
- ``GET /_arrivals``: the arrival stamps since the last ``GET /_reset`` (these two are not
  stamped).

Run ``python bench/_server.py SPEC``; it prints its port on the first line of stdout.
`LocalServer` does that from a parent.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
EXAMPLES = {"repos": "minimal-repository-items", "members": "simple-user-items"}
PING = b'{"pong":true}'


def templates(spec: Path) -> dict[str, bytes]:
    """Each route's example item as JSON bytes without its ``id`` and opening brace."""
    document = json.loads(spec.read_text(encoding="utf-8"))
    out: dict[str, bytes] = {}
    for route, example in EXAMPLES.items():
        item = dict(document["components"]["examples"][example]["value"][0])
        item.pop("id", None)
        out[route] = json.dumps(item, separators=(",", ":")).encode()[1:]
    return out


class Site:
    """The routes and the arrival log, shared by every connection."""

    def __init__(self, items: dict[str, bytes]) -> None:
        self.items = items
        self.arrivals: list[float] = []

    def page(
        self, route: str, org: str, query: dict[str, list[str]], host: str
    ) -> tuple[bytes, str]:
        per_page = int(query.get("per_page", ["30"])[0])
        number = int(query.get("page", ["1"])[0])
        pages = int(org.removeprefix("pages-")) if org.startswith("pages-") else 1
        rest = self.items[route]
        first = (number - 1) * per_page
        body = b"[" + b",".join(b'{"id":%d,' % (first + i) + rest for i in range(per_page)) + b"]"
        link = ""
        if number < pages:
            url = f"http://{host}/orgs/{org}/{route}?per_page={per_page}&page={number + 1}"
            link = f'Link: <{url}>; rel="next"\r\n'
        return body, link

    def respond(self, method: bytes, target: bytes, host: str) -> bytes:
        url = urlsplit(target.decode("latin-1"))
        path = url.path
        extra = ""
        if path == "/_arrivals":
            body = json.dumps(self.arrivals).encode()
        elif path == "/_reset":
            self.arrivals = []
            body = b"{}"
        else:
            self.arrivals.append(time.monotonic())
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "orgs" and parts[2] in self.items:
                body, extra = self.page(parts[2], parts[1], parse_qs(url.query), host)
            elif path == "/ping":
                body = PING
            else:
                return _head(404, b'{"message":"Not Found"}', "")
        return _head(200, body, extra)


def _head(status: int, body: bytes, extra: str) -> bytes:
    reason = "OK" if status == 200 else "Not Found"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body


class Connection(asyncio.Protocol):
    def __init__(self, site: Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].split(b"\r\n")
            length = 0
            host = "127.0.0.1"
            for line in head[1:]:
                name, _, value = line.partition(b":")
                lowered = name.strip().lower()
                if lowered == b"content-length":
                    length = int(value)
                elif lowered == b"host":
                    host = value.strip().decode("latin-1")
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            self.buffer = self.buffer[end + 4 + length :]
            method, target, _ = head[0].split(b" ", 2)
            assert self.transport is not None
            self.transport.write(self.site.respond(method, target, host))


async def serve(spec: Path) -> None:
    site = Site(templates(spec))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(site), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


class LocalServer:
    """The server in a child process: ``with LocalServer(spec) as server: server.url``."""

    def __init__(self, spec: Path) -> None:
        self.spec = spec
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> LocalServer:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(HERE / "_server.py"), str(self.spec)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.process.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{line}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def reset(self) -> None:
        self._get("/_reset")

    def arrivals(self) -> list[float]:
        stamps: list[float] = self._get("/_arrivals")
        return stamps


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
