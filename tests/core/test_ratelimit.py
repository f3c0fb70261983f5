"""The rate limiter on a fake clock: the sliding-window guarantee, vendor back-off headers,
and the testing switch that turns waiting off.

Every limiter here gets a `FakeClock`: the backend reads the time from it and the limiter's
`sleep` advances it, so a wait of an hour costs nothing and admission times are exact.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
import pytest
import stamina
from hypothesis import given, settings
from hypothesis import strategies as st

from connectory.core import testing
from connectory.core._config import RateLimits
from connectory.core._errors import RateLimitError
from connectory.core._ratelimit import InMemoryRateLimitBackend, RateLimiter

START = 1_000.0
# A limiter that must wait sleeps at least 1 ms (see `_MIN_WAIT`), so an admission may come
# up to that much after the exact instant the window frees up, never before it.
SLACK = 0.001 + 1e-9


class Starved(AssertionError):
    """The limiter kept asking to wait far beyond what any admission needs."""


class FakeClock:
    """A clock that moves only when the limiter sleeps or the test advances it."""

    def __init__(self, start: float = START, *, max_sleeps: int = 2_000) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._max_sleeps = max_sleeps

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            raise AssertionError(f"the limiter asked to sleep {seconds!r} seconds")
        if len(self.sleeps) >= self._max_sleeps:
            raise Starved(f"{len(self.sleeps)} sleeps without admission; last {self.sleeps[-3:]}")
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other acquirers run, as a real sleep would

    def advance_to(self, when: float) -> None:
        self.now = max(self.now, when)


def limiter_on(
    clock: FakeClock, limits: RateLimits | None = None, *, max_block: float = 3600.0
) -> RateLimiter:
    return RateLimiter(
        limits,
        backend=InMemoryRateLimitBackend(clock=clock),
        sleep=clock.sleep,
        max_block=max_block,
    )


def waited(clock: FakeClock) -> float:
    """Fake seconds elapsed since the clock started."""
    return clock.now - START


def in_window(admitted: Sequence[float], end: float, length: float) -> int:
    """How many admissions fall in the half-open interval (end - length, end]."""
    return sum(1 for t in admitted if end - length < t <= end)


def assert_windows_respected(
    admitted: Sequence[float], windows: Sequence[tuple[float, int]]
) -> None:
    for length, limit in windows:
        for t in admitted:
            count = in_window(admitted, t, length)
            assert count <= limit, f"{count} admissions in ({t - length}, {t}], limit {limit}"


def earliest_admission(
    admitted: Sequence[float], windows: Sequence[tuple[float, int]], start: float
) -> float:
    """When an exact sliding log must admit a request that starts waiting at `start`.

    A window (W, N) that already holds N admissions frees up once the N-th most recent of
    them is W seconds old.
    """
    ready = start
    for length, limit in windows:
        if len(admitted) >= limit:
            ready = max(ready, admitted[-limit] + length)
    return ready


# --- Property: the sliding window -------------------------------------------------------

optional_rate = st.one_of(st.none(), st.integers(min_value=1, max_value=20))
limits_strategy = st.builds(
    RateLimits,
    requests_per_second=optional_rate,
    requests_per_minute=optional_rate,
    requests_per_day=st.one_of(st.none(), st.integers(min_value=5, max_value=40)),
)
gap_strategy = st.one_of(
    st.just(0.0),
    st.sampled_from([0.001, 0.1, 0.25, 0.5, 1.0, 2.0, 60.0]),
    st.floats(min_value=0.0, max_value=3.0, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(limits=limits_strategy, gaps=st.lists(gap_strategy, min_size=1, max_size=45))
def test_sequential_admissions_follow_the_sliding_log(
    limits: RateLimits, gaps: list[float]
) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, limits)
    windows = limits.windows()
    admitted: list[float] = []

    async def run() -> None:
        arrival = clock.now
        for gap in gaps:
            arrival += gap
            clock.advance_to(arrival)
            start = clock.now
            expected = earliest_admission(admitted, windows, start)
            sleeps_before = len(clock.sleeps)
            await limiter.acquire("op")
            admitted.append(clock.now)
            if expected == start:
                # Room in every window: admitted at once. Exactly on a window's edge,
                # float rounding may leave the oldest entry a hair inside its window; the
                # limiter then errs on the safe side with its one minimum wait (1 ms).
                assert start <= clock.now <= start + SLACK
                assert len(clock.sleeps) - sleeps_before <= 1
                if clock.now > start:
                    assert clock.sleeps[-1] == pytest.approx(0.001)
            else:
                # Full: admitted as soon as the oldest blocking admission leaves its
                # window, not (noticeably) later.
                assert expected - 1e-9 <= clock.now <= expected + SLACK

    asyncio.run(run())

    assert len(admitted) == len(gaps)  # nobody starved
    assert_windows_respected(admitted, windows)
    assert limiter.waits == len(clock.sleeps)
    assert limiter.waited_seconds == pytest.approx(sum(clock.sleeps))


@settings(max_examples=60, deadline=None)
@given(
    limits=limits_strategy,
    tasks=st.integers(min_value=1, max_value=6),
    per_task=st.integers(min_value=1, max_value=8),
)
def test_concurrent_acquirers_never_overfill_a_window(
    limits: RateLimits, tasks: int, per_task: int
) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, limits)
    admitted: list[float] = []

    async def client() -> None:
        for _ in range(per_task):
            await limiter.acquire("op")
            admitted.append(clock.now)

    async def run() -> None:
        await asyncio.gather(*(client() for _ in range(tasks)))

    asyncio.run(run())

    assert len(admitted) == tasks * per_task
    assert_windows_respected(sorted(admitted), limits.windows())


def test_window_frees_exactly_when_the_oldest_admission_expires() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=2))

    async def run() -> list[float]:
        times = []
        for offset in (0.0, 0.3, 0.3, 0.1):
            clock.advance_to(clock.now + offset)
            await limiter.acquire()
            times.append(clock.now - START)
        return times

    times = asyncio.run(run())

    # 0 and 0.3 fill the window; the third (at 0.6) must wait until 0 is a second old, the
    # fourth (at 1.1) until 0.3 is.
    assert times == pytest.approx([0.0, 0.3, 1.0, 1.3], abs=SLACK)
    assert clock.sleeps == pytest.approx([0.4, 0.2], abs=SLACK)


def test_unlimited_limiter_never_waits() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock)

    async def run() -> None:
        for _ in range(500):
            await limiter.acquire()

    asyncio.run(run())

    assert clock.sleeps == []
    assert clock.now == START


def test_limiters_on_different_keys_do_not_share_a_log() -> None:
    clock = FakeClock()
    backend = InMemoryRateLimitBackend(clock=clock)
    limits = RateLimits(requests_per_second=1)
    first = RateLimiter(limits, key="tenant-a", backend=backend, sleep=clock.sleep)
    second = RateLimiter(limits, key="tenant-b", backend=backend, sleep=clock.sleep)
    same = RateLimiter(limits, key="tenant-a", backend=backend, sleep=clock.sleep)

    async def run() -> None:
        await first.acquire()
        await second.acquire()
        assert clock.sleeps == []
        await same.acquire()

    asyncio.run(run())

    assert clock.sleeps == pytest.approx([1.0], abs=SLACK)


# --- acquire_permission -------------------------------------------------------------------


async def test_acquire_permission_is_an_async_context_manager() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=1))
    entered: list[float] = []

    async with limiter.acquire_permission("list_repos"):
        entered.append(clock.now)
    async with limiter.acquire_permission("list_repos"):
        entered.append(clock.now)

    # The body runs only once the request is admitted: the second a full second later.
    assert [t - START for t in entered] == pytest.approx([0.0, 1.0], abs=SLACK)
    assert limiter.waits == 1


async def test_acquire_permission_lets_exceptions_through() -> None:
    limiter = limiter_on(FakeClock())

    with pytest.raises(KeyError):
        async with limiter.acquire_permission("op"):
            raise KeyError("from the body")


# --- observe(): the vendor's back-off headers --------------------------------------------


def response(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize("acquired_first", [False, True], ids=["fresh", "after-acquire"])
@pytest.mark.parametrize(
    "limits", [RateLimits(), RateLimits(requests_per_second=10)], ids=["unlimited", "limited"]
)
async def test_retry_after_blocks_the_next_acquire(
    limits: RateLimits, acquired_first: bool
) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, limits)
    if acquired_first:
        await limiter.acquire()

    pause = await limiter.observe(response(429, {"Retry-After": "2"}))

    assert pause == 2.0
    assert await limiter.blocked_for() == pytest.approx(2.0)
    await limiter.acquire()
    assert waited(clock) == pytest.approx(2.0, abs=SLACK)
    assert await limiter.blocked_for() == 0.0
    # The block is over: the next request goes at once.
    sleeps = len(clock.sleeps)
    await limiter.acquire()
    assert len(clock.sleeps) == sleeps


@pytest.mark.parametrize(
    ("remaining", "reset"),
    [("x-ratelimit-remaining", "x-ratelimit-reset"), ("ratelimit-remaining", "ratelimit-reset")],
)
async def test_exhausted_quota_with_reset_in_epoch_seconds(remaining: str, reset: str) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=5))
    reset_at = int(time.time()) + 30  # GitHub: the Unix time the quota comes back

    pause = await limiter.observe(response(200, {remaining: "0", reset: str(reset_at)}))

    assert pause is not None
    assert 28.0 <= pause <= 31.0
    await limiter.acquire()
    assert waited(clock) == pytest.approx(pause, abs=SLACK)


async def test_exhausted_quota_with_reset_in_delta_seconds() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock)

    pause = await limiter.observe(
        response(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5"})
    )

    assert pause == 5.0
    await limiter.acquire()
    assert waited(clock) == pytest.approx(5.0, abs=SLACK)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "5"},
        {"X-RateLimit-Remaining": "0"},  # no reset time: nothing to wait for
        {"X-RateLimit-Limit": "100"},
        {"Retry-After": "0"},
        {},
    ],
    ids=["remaining", "no-reset", "limit-only", "retry-after-zero", "none"],
)
async def test_headers_that_ask_for_no_pause_do_not_block(headers: dict[str, str]) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock)

    assert await limiter.observe(response(200, headers)) is None

    assert await limiter.blocked_for() == 0.0
    await limiter.acquire()
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "999999"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "999999"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 10**7)},
    ],
    ids=["retry-after", "reset-delta", "reset-epoch"],
)
async def test_huge_pause_is_capped_by_max_block(headers: dict[str, str]) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, max_block=10.0)

    assert await limiter.observe(response(429, headers)) == 10.0

    await limiter.acquire()
    assert waited(clock) == pytest.approx(10.0, abs=SLACK)


async def test_a_shorter_pause_does_not_shorten_a_longer_block() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock)

    await limiter.observe(response(429, {"Retry-After": "5"}))
    await limiter.observe(response(429, {"Retry-After": "1"}))

    await limiter.acquire()
    assert waited(clock) == pytest.approx(5.0, abs=SLACK)


# --- testing.no_waiting() -----------------------------------------------------------------


async def test_no_waiting_admits_at_once_and_restores_waiting() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=1, requests_per_minute=1))
    await limiter.acquire()  # the window is now full
    await limiter.observe(response(429, {"Retry-After": "30"}))

    with testing.no_waiting():
        assert testing.waiting_disabled()
        assert stamina.is_testing()
        for _ in range(5):
            await limiter.acquire()
        async with limiter.acquire_permission("op"):
            pass

    assert clock.sleeps == []
    assert clock.now == START
    assert not testing.waiting_disabled()
    assert not stamina.is_testing()
    # Waiting is back: the next request waits out the block and the minute window.
    await limiter.acquire()
    assert waited(clock) == pytest.approx(60.0, abs=SLACK)


def test_no_waiting_restores_the_previous_state_even_on_error() -> None:
    testing.set_no_waiting(True)
    try:
        with pytest.raises(RuntimeError), testing.no_waiting():
            raise RuntimeError("inside")
        assert testing.waiting_disabled()  # it was on before: still on
    finally:
        testing.set_no_waiting(False)
    assert not testing.waiting_disabled()
    assert not stamina.is_testing()


async def test_a_wait_longer_than_max_wait_raises_instead_of_stalling() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimits(requests_per_minute=1),
        backend=InMemoryRateLimitBackend(clock=clock),
        sleep=clock.sleep,
        max_wait=30.0,
    )
    await limiter.acquire("list")
    with pytest.raises(RateLimitError) as caught:
        await limiter.acquire("list")  # the next slot is 60 s away
    assert caught.value.retry_after == pytest.approx(60.0)
    assert caught.value.operation == "list"
    assert clock.sleeps == []  # it did not wait at all

    await limiter.observe(response(429, {"Retry-After": "20"}))
    clock.advance_to(clock.now + 60)  # the minute window is free again; the block is over
    await limiter.acquire("list")
    await limiter.observe(response(429, {"Retry-After": "10"}))
    with pytest.raises(RateLimitError):
        await limiter.acquire("list")  # 60 s for the window beats the 10 s block
