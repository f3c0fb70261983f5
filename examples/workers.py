"""Worker processes that share one rate limit through Redis.

A small local API (a thread in this process) stamps every request it receives; worker
processes (plain ``multiprocessing``) call it as fast as their connectors let them. Each
connector is built with ``state=`` the Redis URL, so the limit is counted once for all of
them, and the API never sees more than the limit in any one-second window. Run::

    redis-server --port 6379 --save '' --daemonize yes
    python examples/workers.py [--state redis://127.0.0.1:6379/0] [--workers 4]
                               [--limit 20] [--seconds 5]

``CONNECTORY_STATE_URL`` works too: a connector given no ``state=`` reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectory.core import (
    AuthenticationType,
    BaseConnectorService,
    ConnectorConfig,
    ConnectorRegistration,
)

TASKS_PER_WORKER = 10


def registration(base_url: str, limit: int) -> ConnectorRegistration[BaseConnectorService]:
    """The example API's connector: no auth, `limit` requests per second."""
    config = ConnectorConfig(
        connector_type="example",
        authentication_type=AuthenticationType.NONE,
        base_url=base_url,
        rate_limits={"requests_per_second": limit},
    )
    return ConnectorRegistration(
        connector_type="example", connector_class=BaseConnectorService, config=config
    )


def work(base_url: str, state_url: str, limit: int, until: float) -> int:
    """One worker process: requests until `until` (``time.monotonic()``); returns how many."""
    return asyncio.run(_work(base_url, state_url, limit, until))


async def _work(base_url: str, state_url: str, limit: int, until: float) -> int:
    connector = registration(base_url, limit).build(state=state_url)
    sent = 0
    async with connector:
        await connector.connect({})  # an unreachable Redis fails here, naming its URL

        async def task() -> None:
            nonlocal sent
            while time.monotonic() < until:
                await connector.request("GET", "/ping")
                sent += 1

        await asyncio.gather(*(task() for _ in range(TASKS_PER_WORKER)))
    return sent


class _Stamps(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.arrivals: list[float] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Stamps
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
        body = b'{"pong": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve() -> Iterator[_Stamps]:
    server = _Stamps()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def busiest_second(times: list[float]) -> int:
    """The most arrivals in any one-second interval."""
    ordered, best, start = sorted(times), 0, 0
    for end, arrival in enumerate(ordered):
        while arrival - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with serve() as server:
        host, port = server.server_address[:2]
        base_url = f"http://{host!s}:{port}"
        # time.monotonic() is one clock for every process on the machine (Linux, macOS).
        until = time.monotonic() + 2.0 + args.seconds  # workers take a moment to start
        jobs = [(base_url, args.state, args.limit, until)] * args.workers
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            sent = pool.starmap(work, jobs)
        arrivals = list(server.arrivals)
    first = min(arrivals)
    per_second = [sum(first + s <= t < first + s + 1 for t in arrivals) for s in range(5)]
    print(f"{args.workers} workers sharing {args.limit} requests/second through {args.state}")
    print(f"requests per worker: {sent}")
    print(f"arrivals in each of the first seconds: {per_second}")
    print(f"busiest one-second window at the API: {busiest_second(arrivals)}")


if __name__ == "__main__":
    main()
