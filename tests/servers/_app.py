"""The server process: one scenario on an API port, its recording on a control port.

A scenario is built from its spec once the API port is known (absolute links need the
origin). Every request to the API port is recorded; the control port, which the client
under test is never told about, serves that recording as JSON and can reset it, so the
API port never sees a request of the test's own bookkeeping.

Control endpoints: ``GET /_control/recording`` (see `Recording.to_json`),
``POST /_control/reset`` (forget the arrivals and rebuild the scenario from its spec),
``GET /_control/ping`` (readiness).
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from ._http import Action, HttpServer, Reply, Request, json_reply
from ._records import Arrival, Recording

__all__ = ["HOST", "Scenario", "ServerSpec", "serve"]

HOST = "127.0.0.1"


class Scenario(Protocol):
    """The behaviour of one test server; runs on the server's event loop."""

    def respond(self, request: Request) -> Action:
        """Decide the action for `request`; must not block."""
        ...

    def state(self) -> dict[str, Any]:
        """JSON-ready scenario state for the recording (token grants, created items...)."""
        ...


class ServerSpec(Protocol):
    """A picklable description of a server; builds its scenario in the server process."""

    def build(self, origin: str) -> Scenario:
        """The scenario, given the server's own origin (``http://127.0.0.1:PORT``)."""
        ...


class _App:
    def __init__(self, spec: ServerSpec) -> None:
        self._spec = spec
        self._origin = ""
        self._scenario: Scenario | None = None
        self._arrivals: list[Arrival] = []
        self.api = HttpServer(self._respond, observe=self._observe)
        self.control = HttpServer(self._control)

    async def start(self) -> tuple[int, int]:
        port = await self.api.start(HOST)
        self._origin = f"http://{HOST}:{port}"
        self._scenario = self._spec.build(self._origin)
        control_port = await self.control.start(HOST)
        return port, control_port

    async def close(self) -> None:
        await self.api.close()
        await self.control.close()

    def _respond(self, request: Request) -> Action:
        if self._scenario is None:
            return Reply(503, b"starting")
        return self._scenario.respond(request)

    def _observe(self, request: Request, fault: str | None) -> None:
        self._arrivals.append(Arrival.from_request(request, fault))

    def _recording(self) -> Recording:
        # Appended when a request's body was in; ordered by when its head arrived.
        arrivals = tuple(sorted(self._arrivals, key=lambda arrival: arrival.seq))
        return Recording(
            arrivals=arrivals,
            connections=self.api.connections,
            max_in_flight=self.api.max_in_flight,
            fault_counts=Recording.count_faults(arrivals),
            state=self._scenario.state() if self._scenario is not None else {},
        )

    def _control(self, request: Request) -> Action:
        route = (request.method, request.path)
        if route == ("GET", "/_control/ping"):
            return json_reply({"ok": True})
        if route == ("GET", "/_control/recording"):
            return json_reply(self._recording().to_json())
        if route == ("POST", "/_control/reset"):
            self._arrivals.clear()
            self.api.reset_counters()
            self._scenario = self._spec.build(self._origin)
            return Reply(204)
        return json_reply({"error": f"no control route {request.method} {request.path}"}, 404)


async def serve(spec: ServerSpec, announce: Callable[[dict[str, Any]], None]) -> None:
    """Run `spec`'s server until stdin closes; `announce` its ports (or its failure) first.

    Stdin closing means stop: the parent closes it, and so does the parent's death.
    """
    app = _App(spec)
    try:
        port, control_port = await app.start()
    except Exception:
        announce({"error": traceback.format_exc()})
        await app.close()
        return
    announce({"port": port, "control_port": control_port})

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stdin = sys.stdin.fileno()

    def on_stdin() -> None:
        # The parent writes nothing after the spec; an empty read means stdin was closed.
        if not os.read(stdin, 4096):
            stop.set()

    loop.add_reader(stdin, on_stdin)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(stdin)
        await app.close()
