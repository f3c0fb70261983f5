"""Client-side rate limiting that holds as the vendor's server counts arrivals.

What counts is how many requests the server sees in each of its windows, and a request
arrives at the server some time after the client lets it go (connection set-up, TLS,
scheduling), by an amount the client cannot know. So a permit is held from the moment a
request is admitted until its response arrives (the request certainly reached the server
by then), and it keeps counting for one window length after that. A new request is admitted
only while fewer than N permits are in flight or finished within the last W seconds.

Why that is enough: take any W-second interval of the server's clock and, among the
requests that arrived in it, the one admitted last. When it was admitted, every other one
had been admitted before, and each either was still in flight or had finished at or after
the start of the interval, which is at most W seconds before that admission. All of them
were counted, and there were fewer than N, so the interval holds at most N arrivals,
however the network delayed them. The cost is throughput: a permit occupies W plus one
round trip, so the rate reaches N / (W + latency).

The state lives behind `RateLimitBackend` so a shared backend (Redis) can replace the
in-memory one without changing the limiter. Windows may have any length (GitHub counts an
hour); each is an exact log, so no interval ever holds more than N (a fixed-window counter
would allow 2N across a boundary).

Written here rather than taken from a library: the limit must hold at the server (permits
released on response, not on admission), waits must be awaited rather than polled, and
limits tighten at run time from ``Retry-After`` and ``X-RateLimit-*`` headers, which the
usual libraries do not do.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import attrs
import httpx

from ._config import RateLimits
from ._errors import RateLimitError, parse_retry_after
from .testing import waiting_disabled

# The shortest sleep `RateLimiter.acquire` takes when it must wait at all.
_MIN_WAIT = 0.001
# A finish exactly one window ago still counts: a full window asks to wait just past it.
_EPSILON = 1e-6

Window = tuple[float, int]
"""(length in seconds, requests allowed in any interval of that length)."""


@attrs.frozen
class Permit:
    """A request admitted by a limiter; give it back with `RateLimiter.release`."""

    key: str
    id: int


class RateLimitBackend(Protocol):
    """Where admission state lives. Implementations make each call atomic per key."""

    async def reserve(self, key: str, windows: Sequence[Window], lease: float) -> int | float:
        """Admit one request now and return its permit id (an int), or return the seconds
        to wait (a float) before asking again. An admitted request counts as in flight
        until `complete` is called, or until `lease` seconds pass (a crashed holder)."""
        ...

    async def complete(self, key: str, permit: int) -> None:
        """The response of permit's request arrived: it counts for one window from now."""
        ...

    async def block(self, key: str, seconds: float) -> None:
        """Admit nothing on `key` for the next `seconds` (the vendor asked us to back off)."""
        ...

    async def blocked_for(self, key: str) -> float:
        """Seconds left of a block on `key`, 0.0 if none."""
        ...


class _KeyState:
    __slots__ = ("blocked_until", "done", "in_flight", "windows")

    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows = tuple(windows)
        # Completion times per window, oldest first; one log per window because each
        # forgets at its own horizon.
        self.done: list[deque[float]] = [deque() for _ in self.windows]
        self.in_flight: dict[int, float] = {}  # permit id -> lease deadline
        self.blocked_until = 0.0


class InMemoryRateLimitBackend:
    """Admission state in this process's memory; thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, _KeyState] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def _state(self, key: str, windows: Sequence[Window]) -> _KeyState:
        state = self._states.get(key)
        if state is None or state.windows != tuple(windows):
            fresh = _KeyState(windows)
            if state is not None:
                fresh.blocked_until = state.blocked_until
                fresh.in_flight = state.in_flight
            state = self._states[key] = fresh
        return state

    def reserve_now(self, key: str, windows: Sequence[Window], lease: float) -> int | float:
        with self._lock:
            now = self._clock()
            state = self._state(key, windows)
            self._expire_leases(state, now)
            wait = state.blocked_until - now
            in_flight = len(state.in_flight)
            for (length, limit), done in zip(state.windows, state.done, strict=True):
                horizon = now - length
                while done and done[0] < horizon:
                    done.popleft()
                if in_flight + len(done) >= limit:
                    # The earliest moment this window can admit: just after its oldest
                    # finished request leaves it (a finish exactly one window ago still
                    # counts). Requests in flight finish no earlier than now, then count for
                    # a whole window.
                    wait = max(wait, (done[0] - horizon + _EPSILON) if done else length)
            if wait > 0:
                return float(wait)
            permit = next(self._ids)
            state.in_flight[permit] = now + lease
            return permit

    def _expire_leases(self, state: _KeyState, now: float) -> None:
        expired = [(pid, deadline) for pid, deadline in state.in_flight.items() if deadline < now]
        for pid, deadline in expired:
            del state.in_flight[pid]
            for done in state.done:
                bisect.insort(done, deadline)

    async def reserve(self, key: str, windows: Sequence[Window], lease: float) -> int | float:
        return self.reserve_now(key, windows, lease)

    def complete_now(self, key: str, permit: int) -> None:
        with self._lock:
            state = self._states.get(key)
            if state is None or state.in_flight.pop(permit, None) is None:
                return  # its lease expired already and was counted then
            now = self._clock()
            for done in state.done:
                if done and done[-1] > now:
                    bisect.insort(done, now)  # an expired lease was stamped in the future
                else:
                    done.append(now)

    async def complete(self, key: str, permit: int) -> None:
        self.complete_now(key, permit)

    async def block(self, key: str, seconds: float) -> None:
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _KeyState(())
            state.blocked_until = max(state.blocked_until, self._clock() + seconds)

    async def blocked_for(self, key: str) -> float:
        state = self._states.get(key)
        return max(0.0, state.blocked_until - self._clock()) if state else 0.0

    def in_flight(self, key: str) -> int:
        state = self._states.get(key)
        return len(state.in_flight) if state else 0


# Vendors disagree on X-RateLimit-Reset: GitHub sends epoch seconds, others seconds-to-go.
_EPOCH_THRESHOLD = 1_000_000_000


def backoff_from_headers(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds the vendor asks us to pause, from ``Retry-After`` or an exhausted quota."""
    retry_after = parse_retry_after(headers.get("retry-after"), now=now)
    if retry_after is not None:
        return retry_after
    remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
    if remaining is None or remaining.strip() not in ("0", "0.0"):
        return None
    reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset")
    if reset is None:
        return None
    try:
        value = float(reset)
    except ValueError:
        return None
    if value > _EPOCH_THRESHOLD:
        return max(0.0, value - (time.time() if now is None else now))
    return max(0.0, value)


class RateLimiter:
    """Admits requests within a connector's configured limits, as the server counts them.

    ``permit = await limiter.acquire("op")`` waits until a request may go out;
    ``await limiter.release(permit)`` when its response arrived. The seed's form,
    ``async with limiter.acquire_permission("op"): ...``, does both around the block.
    `observe(response)` applies the vendor's own back-off headers. A wait longer than
    `max_wait` (the factory sets the retry policy's ``retry_after_cap``) is not taken:
    `RateLimitError` is raised with ``retry_after`` set, instead of a silent long stall.
    Waiters queue in arrival order, so a burst of tasks is admitted first come, first served.
    """

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        key: str = "default",
        backend: RateLimitBackend | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_block: float = 86_400.0,
        max_wait: float | None = None,
        lease: float = 300.0,
    ) -> None:
        self.limits = limits or RateLimits()
        self.key = key
        self.backend: RateLimitBackend = backend or InMemoryRateLimitBackend()
        self._windows = self.limits.windows()
        self._sleep = sleep
        self._max_block = max_block
        self.max_wait = max_wait
        self.lease = lease
        # One waiting line per event loop (a limiter may be shared by connectors that
        # run on different loops, such as a sync twin's private loop).
        self._lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.waits = 0
        self.waited_seconds = 0.0

    def __repr__(self) -> str:
        return f"RateLimiter(key={self.key!r}, limits={self.limits!r})"

    @property
    def unlimited(self) -> bool:
        return not self._windows

    def _line(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        line = self._lines.get(loop)
        if line is None:
            line = self._lines[loop] = asyncio.Lock()
        return line

    async def acquire(self, operation: str = "request") -> Permit | None:
        """Wait until one more request may be sent; the permit to release on response.

        None when nothing is counted (no limits, or `testing.no_waiting` in force)."""
        if waiting_disabled():
            return None
        if not self._windows:
            blocked = await self.backend.blocked_for(self.key)
            if blocked <= 0:
                return None
        async with self._line():
            while True:
                granted = await self.backend.reserve(self.key, self._windows, self.lease)
                if isinstance(granted, int):
                    return Permit(self.key, granted)
                # Float rounding can leave a residual wait smaller than the clock can
                # advance (1e-13 s at t=1000): never sleep less than a millisecond.
                wait = max(granted, _MIN_WAIT)
                if self.max_wait is not None and wait > self.max_wait:
                    raise RateLimitError(
                        f"{self.key}: rate limited for {wait:.1f} s more, longer than the "
                        f"{self.max_wait:g} s this limiter may wait",
                        retry_after=wait,
                        operation=operation,
                    )
                self.waits += 1
                self.waited_seconds += wait
                await self._sleep(wait)

    async def release(self, permit: Permit | None) -> None:
        """The response of `permit`'s request arrived (or the request failed)."""
        if permit is not None:
            await self.backend.complete(permit.key, permit.id)

    @asynccontextmanager
    async def acquire_permission(self, operation: str = "request") -> AsyncIterator[None]:
        """The seed's form: ``async with limiter.acquire_permission("op"): ...``."""
        permit = await self.acquire(operation)
        try:
            yield
        finally:
            await self.release(permit)

    async def observe(self, response: httpx.Response) -> float | None:
        """Tighten the limits from a response's headers; returns the pause applied, if any."""
        headers = response.headers
        if (
            "retry-after" not in headers
            and "x-ratelimit-remaining" not in headers
            and "ratelimit-remaining" not in headers
        ):
            return None
        pause = backoff_from_headers(headers)
        if pause is None or pause <= 0:
            return None
        pause = min(pause, self._max_block)
        await self.backend.block(self.key, pause)
        return pause

    async def blocked_for(self) -> float:
        return await self.backend.blocked_for(self.key)
