"""Client-side rate limiting: per-second/minute/day windows, tightened by the vendor's headers.

Each window is an exact sliding log: a request is admitted only if fewer than N requests
were admitted in the last W seconds, so no interval of W seconds ever holds more than N
(a fixed-window counter would allow 2N across a boundary). The state lives behind
`RateLimitBackend` so that a shared backend (Redis) can replace the in-memory one
without changing the limiter.

Written here rather than taken from a library: the hot path must cost a few microseconds,
waits must be awaited rather than polled, and limits must tighten at run time from
``Retry-After`` and ``X-RateLimit-*`` headers, which the usual libraries do not do.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import httpx

from ._config import RateLimits
from ._errors import RateLimitError, parse_retry_after
from .testing import waiting_disabled

Window = tuple[float, int]
"""(length in seconds, requests allowed in any interval of that length)."""


class RateLimitBackend(Protocol):
    """Where admission state lives. Implementations must make `reserve` atomic per key."""

    async def reserve(self, key: str, windows: Sequence[Window]) -> float:
        """Admit one request now (record it, return 0.0) or return the seconds to wait."""
        ...

    async def block(self, key: str, seconds: float) -> None:
        """Admit nothing on `key` for the next `seconds` (the vendor asked us to back off)."""
        ...

    async def blocked_for(self, key: str) -> float:
        """Seconds left of a block on `key`, 0.0 if none."""
        ...


class _KeyState:
    __slots__ = ("blocked_until", "logs")

    def __init__(self, windows: Sequence[Window]) -> None:
        self.logs: list[deque[float]] = [deque() for _ in windows]
        self.blocked_until = 0.0


class InMemoryRateLimitBackend:
    """Sliding logs in this process's memory; thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._states: dict[str, _KeyState] = {}
        self._lock = threading.Lock()

    async def reserve(self, key: str, windows: Sequence[Window]) -> float:
        return self.reserve_now(key, windows)

    def reserve_now(self, key: str, windows: Sequence[Window]) -> float:
        with self._lock:
            now = self._clock()
            state = self._states.get(key)
            if state is None or len(state.logs) != len(windows):
                blocked_until = state.blocked_until if state is not None else 0.0
                state = self._states[key] = _KeyState(windows)
                # A block set before the first request (observe() creates a log-less state)
                # must survive the logs being created.
                state.blocked_until = blocked_until
            wait = state.blocked_until - now
            for (length, limit), log in zip(windows, state.logs, strict=True):
                horizon = now - length
                while log and log[0] <= horizon:
                    log.popleft()
                if len(log) >= limit:
                    wait = max(wait, log[0] - horizon)
            if wait > 0:
                return wait
            for log in state.logs:
                log.append(now)
            return 0.0

    async def block(self, key: str, seconds: float) -> None:
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _KeyState(())
            state.blocked_until = max(state.blocked_until, self._clock() + seconds)

    async def blocked_for(self, key: str) -> float:
        state = self._states.get(key)
        return max(0.0, state.blocked_until - self._clock()) if state else 0.0


# The shortest sleep `RateLimiter.acquire` takes when it must wait at all.
_MIN_WAIT = 0.001

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
    """Admits requests within a connector's configured limits.

    ``async with limiter.acquire_permission("list_repos"): ...`` waits until a request
    may go out. `observe(response)` applies the vendor's own back-off headers. A wait longer
    than `max_wait` (the factory sets the retry policy's ``retry_after_cap``) is not taken:
    `RateLimitError` is raised with ``retry_after`` set, instead of a silent long stall.
    """

    def __init__(
        self,
        limits: RateLimits | None = None,
        *,
        key: str = "default",
        backend: RateLimitBackend | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_block: float = 3600.0,
        max_wait: float | None = None,
    ) -> None:
        self.limits = limits or RateLimits()
        self.key = key
        self.backend: RateLimitBackend = backend or InMemoryRateLimitBackend()
        self._windows = self.limits.windows()
        self._sleep = sleep
        self._max_block = max_block
        self.max_wait = max_wait
        self.waits = 0
        self.waited_seconds = 0.0

    def __repr__(self) -> str:
        return f"RateLimiter(key={self.key!r}, limits={self.limits!r})"

    async def acquire(self, operation: str = "request") -> None:
        """Wait until one more request may be sent, and count it."""
        if waiting_disabled():
            return
        while True:
            wait = await self.backend.reserve(self.key, self._windows)
            if wait <= 0:
                return
            # Float rounding can leave a residual wait smaller than the clock can advance
            # (1e-13 s at t=1000): sleeping it would not get past the horizon, and the loop
            # would spin. Never sleep less than a millisecond.
            wait = max(wait, _MIN_WAIT)
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

    @asynccontextmanager
    async def acquire_permission(self, operation: str = "request") -> AsyncIterator[None]:
        """The seed's form: ``async with limiter.acquire_permission("op"): ...``."""
        await self.acquire(operation)
        yield

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
