"""Two plain servers: a fast ``/ping`` for rate-limit tests, and a recorder for leak tests."""

from __future__ import annotations

from collections import deque
from typing import Any

import attrs

from ._http import Action, Request, json_reply

__all__ = ["PingSpec", "RecorderSpec"]

# The fault label of a ping refused because the server's own limit was reached.
OVER_LIMIT = "over-limit"


@attrs.frozen
class PingSpec:
    """``GET /ping`` answers ``{"pong": true, "seq": N}`` after ``delay`` seconds.

    With ``limit`` set, the server enforces its own limit of ``limit`` accepted requests
    per sliding ``window`` seconds (by arrival stamp, the same rule as `max_in_window`) and
    answers the excess 429, fault "over-limit", with ``Retry-After: retry_after`` when that
    is set. Refused requests do not use up the allowance. Other paths answer 404.
    """

    limit: int | None = None
    window: float = 1.0
    retry_after: int | None = None
    delay: float = 0.0

    def build(self, origin: str) -> _Ping:
        return _Ping(self)


class _Ping:
    def __init__(self, spec: PingSpec) -> None:
        self._spec = spec
        self._accepted: deque[float] = deque()

    def respond(self, request: Request) -> Action:
        if request.path != "/ping":
            return json_reply({"error": "not_found", "path": request.path}, 404)
        spec = self._spec
        if spec.limit is not None:
            while self._accepted and request.arrived_at - self._accepted[0] >= spec.window:
                self._accepted.popleft()
            if len(self._accepted) >= spec.limit:
                headers = {} if spec.retry_after is None else {"Retry-After": str(spec.retry_after)}
                return json_reply({"error": "rate_limited"}, 429, headers, fault=OVER_LIMIT)
            self._accepted.append(request.arrived_at)
        return json_reply({"pong": True, "seq": request.seq}, delay=spec.delay)

    def state(self) -> dict[str, Any]:
        return {}


@attrs.frozen
class RecorderSpec:
    """Answers every request 200 with an empty, final page, and records it.

    Stands in for "another origin" that a next link points to: the body ends a listing in
    every pagination style (``items`` empty, ``next``/``next_cursor`` null,
    ``has_more`` false), and the recording shows what the client sent there
    (`Arrival.credentials`, `Arrival.contains`).
    """

    def build(self, origin: str) -> _Recorder:
        return _Recorder()


class _Recorder:
    def respond(self, request: Request) -> Action:
        return json_reply({"items": [], "next": None, "next_cursor": None, "has_more": False})

    def state(self) -> dict[str, Any]:
        return {}
