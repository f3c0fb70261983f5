"""The rate limiter on a fake clock: the limit as the server counts it, vendor back-off
headers, and the testing switch that turns waiting off.

Every limiter here gets a `FakeClock`: the backend reads the time from it and the limiter's
`sleep` advances it, so a wait of an hour costs nothing and admission times are exact. A
request is admitted at `a` and its response arrives at `e` (after the latency the test
draws); the server may have seen it arrive at any moment in [a, e]. What must hold: no
half-open interval of a window's length meets more than N of those [a, e] spans, however
the network placed the arrivals in them.
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
    clock: FakeClock,
    limits: RateLimits | None = None,
    *,
    max_block: float = 3600.0,
    lease: float = 300.0,
) -> RateLimiter:
    return RateLimiter(
        limits,
        backend=InMemoryRateLimitBackend(clock=clock),
        sleep=clock.sleep,
        max_block=max_block,
        lease=lease,
    )


def waited(clock: FakeClock) -> float:
    """Fake seconds elapsed since the clock started."""
    return clock.now - START


Span = tuple[float, float]  # (admitted, response arrived)


def most_in_any_window(spans: Sequence[Span], length: float) -> int:
    """The most spans that meet one half-open interval [t, t + length): where the server,
    counting arrivals, could have seen the most requests in one window."""
    best = 0
    for candidate in {end for _, end in spans}:  # the count is highest at some span's end
        count = sum(1 for a, e in spans if a < candidate + length and e >= candidate)
        best = max(best, count)
    return best


def assert_limits_hold(spans: Sequence[Span], windows: Sequence[tuple[float, int]]) -> None:
    for length, limit in windows:
        count = most_in_any_window(spans, length)
        assert count <= limit, f"{count} requests could arrive in {length} s, limit {limit}"


def earliest_admission(
    finished: Sequence[float], windows: Sequence[tuple[float, int]], start: float
) -> float:
    """When a request that starts waiting at `start`, with nothing in flight, must be
    admitted: just after the N-th most recent finish is one window old."""
    ready = start
    for length, limit in windows:
        recent = sorted(finished)
        if len(recent) >= limit:
            ready = max(ready, recent[-limit] + length)
    return ready


# --- Property: the limit holds as the server counts ---------------------------------------

optional_rate = st.one_of(st.none(), st.integers(min_value=1, max_value=20))
limits_strategy = st.builds(
    RateLimits,
    requests_per_second=optional_rate,
    requests_per_minute=optional_rate,
    requests_per_hour=st.one_of(st.none(), st.integers(min_value=5, max_value=60)),
)
gap_strategy = st.one_of(
    st.just(0.0),
    st.sampled_from([0.001, 0.1, 0.25, 0.5, 1.0, 2.0, 60.0]),
    st.floats(min_value=0.0, max_value=3.0, allow_nan=False, allow_infinity=False),
)
latency_strategy = st.one_of(
    st.just(0.0), st.floats(min_value=0.0, max_value=1.5, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=80, deadline=None)
@given(
    limits=limits_strategy,
    requests=st.lists(st.tuples(gap_strategy, latency_strategy), min_size=1, max_size=45),
)
def test_sequential_requests_hold_the_limit_and_wait_no_longer_than_needed(
    limits: RateLimits, requests: list[tuple[float, float]]
) -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, limits)
    windows = limits.windows()
    spans: list[Span] = []

    async def run() -> None:
        arrival = clock.now
        for gap, latency in requests:
            arrival += gap
            clock.advance_to(arrival)
            start = clock.now
            expected = earliest_admission([e for _, e in spans], windows, start)
            permit = await limiter.acquire("op")
            admitted = clock.now
            # Admitted as soon as a window frees up, not (noticeably) later; a wait takes
            # at least the minimum sleep.
            assert expected - 1e-9 <= admitted <= max(expected, start) + SLACK
            clock.advance_to(admitted + latency)
            await limiter.release(permit)
            spans.append((admitted, clock.now))

    asyncio.run(run())

    assert len(spans) == len(requests)  # nobody starved
    assert_limits_hold(spans, windows)
    assert limiter.waits == len(clock.sleeps)
    assert limiter.waited_seconds == pytest.approx(sum(clock.sleeps))


@settings(max_examples=60, deadline=None)
@given(
    limits=limits_strategy,
    tasks=st.integers(min_value=1, max_value=6),
    per_task=st.lists(latency_strategy, min_size=1, max_size=8),
)
def test_concurrent_requests_never_overfill_a_window_as_the_server_counts(
    limits: RateLimits, tasks: int, per_task: list[float]
) -> None:
    clock = FakeClock(max_sleeps=20_000)
    limiter = limiter_on(clock, limits)
    spans: list[Span] = []

    async def client() -> None:
        for latency in per_task:
            permit = await limiter.acquire("op")
            admitted = clock.now
            # The response takes `latency`: other tasks run (and sleep) meanwhile.
            target = admitted + latency
            while clock.now < target:
                await asyncio.sleep(0)
                clock.advance_to(min(target, clock.now + 0.05))
            await limiter.release(permit)
            spans.append((admitted, clock.now))

    async def run() -> None:
        await asyncio.gather(*(client() for _ in range(tasks)))

    asyncio.run(run())

    assert len(spans) == tasks * len(per_task)
    assert_limits_hold(spans, limits.windows())


def test_a_permit_counts_until_its_response_plus_one_window() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=2))

    async def run() -> list[float]:
        times = []
        slow = await limiter.acquire()  # in flight for 2 s
        times.append(waited(clock))
        quick = await limiter.acquire()
        times.append(waited(clock))
        clock.advance_to(START + 0.2)
        await limiter.release(quick)  # counts until 1.2
        third = await limiter.acquire()  # the slow one is still in flight: waits to 1.2+
        times.append(waited(clock))
        clock.advance_to(START + 2.0)
        await limiter.release(slow)
        await limiter.release(third)
        fourth = await limiter.acquire()  # two finished at 2.0: waits until 3.0
        times.append(waited(clock))
        await limiter.release(fourth)
        return times

    times = asyncio.run(run())

    assert times[:2] == [0.0, 0.0]
    assert 1.2 < times[2] <= 1.2 + 2 * SLACK
    assert 3.0 < times[3] <= 3.0 + 2 * SLACK


def test_an_unreleased_permit_expires_with_its_lease() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=1), lease=5.0)

    async def run() -> float:
        await limiter.acquire()  # its holder died: never released
        await limiter.acquire()
        return waited(clock)

    # The lost permit counts as finished when its lease ran out (5 s), then one window.
    assert 6.0 < asyncio.run(run()) <= 6.0 + 2 * SLACK


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
        await first.release(await first.acquire())
        await second.release(await second.acquire())
        assert clock.sleeps == []
        await same.release(await same.acquire())

    asyncio.run(run())

    assert sum(clock.sleeps) == pytest.approx(1.0, abs=SLACK)


# --- acquire_permission -------------------------------------------------------------------


async def test_acquire_permission_is_an_async_context_manager() -> None:
    clock = FakeClock()
    limiter = limiter_on(clock, RateLimits(requests_per_second=1))
    entered: list[float] = []

    async with limiter.acquire_permission("list_repos"):
        entered.append(clock.now)
    async with limiter.acquire_permission("list_repos"):
        entered.append(clock.now)

    # The body runs only once the request is admitted: the second a full second after
    # the first block ended.
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
    await limiter.release(await limiter.acquire())  # the window is now full
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
    assert waited(clock) == pytest.approx(60.0, abs=2 * SLACK)


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
    await limiter.release(await limiter.acquire("list"))
    with pytest.raises(RateLimitError) as caught:
        await limiter.acquire("list")  # the next slot is 60 s away
    assert caught.value.retry_after == pytest.approx(60.0, abs=SLACK)
    assert caught.value.operation == "list"
    assert clock.sleeps == []  # it did not wait at all

    await limiter.observe(response(429, {"Retry-After": "20"}))
    clock.advance_to(clock.now + 61)  # the minute window is free again; the block is over
    await limiter.release(await limiter.acquire("list"))
    await limiter.observe(response(429, {"Retry-After": "10"}))
    with pytest.raises(RateLimitError):
        await limiter.acquire("list")  # 60 s for the window beats the 10 s block
