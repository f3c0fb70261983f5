"""The rate-limit scripts on a real redis-server, with a clock the test controls.

The backend takes its time from the test (instead of Redis ``TIME``), so windows, leases
and blocks are exact. The main check is differential: any sequence of reserve, complete,
block and time passing gets the same answers from the Redis backend as from the in-memory
one, whose proof of the limit is in ``connectory.core._ratelimit``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectory.core._config import RateLimits
from connectory.core._ratelimit import InMemoryRateLimitBackend, RateLimiter, Window
from connectory.core._redis import RedisStateBackend

pytestmark = pytest.mark.redis

START = 1_000.0


class FakeClock:
    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


MakeBackend = Callable[..., RedisStateBackend]


# -- the same answers as the in-memory backend ---------------------------------------------

operations = st.lists(
    st.one_of(
        st.just(("reserve", 0.0)),
        st.tuples(st.just("complete"), st.integers(0, 50).map(float)),
        st.tuples(st.just("advance"), st.sampled_from([0.001, 0.1, 0.25, 0.5, 1.0, 2.5, 7.0])),
        st.tuples(st.just("block"), st.sampled_from([0.2, 1.0, 3.0])),
    ),
    min_size=1,
    max_size=40,
)
window_sets = st.sampled_from(
    [((1.0, 1),), ((1.0, 3),), ((1.0, 3), (5.0, 7)), ((0.5, 2), (2.0, 4), (60.0, 10))]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, windows=window_sets, lease=st.sampled_from([0.3, 2.0, 30.0]))
def test_redis_answers_as_the_in_memory_backend_does(
    redis_url: str,
    prefix: str,
    ops: list[tuple[str, float]],
    windows: tuple[Window, ...],
    lease: float,
) -> None:
    asyncio.run(_compare(redis_url, prefix, ops, windows, lease))


async def _compare(
    url: str, prefix: str, ops: list[tuple[str, float]], windows: tuple[Window, ...], lease: float
) -> None:
    clock = FakeClock()
    memory = InMemoryRateLimitBackend(clock=clock)
    shared = RedisStateBackend(url, prefix=prefix, clock=clock, restart_hold=0)
    key = f"diff:{uuid.uuid4().hex}"
    outstanding: list[tuple[int, int]] = []  # (in-memory permit, Redis permit)
    try:
        for step, (name, value) in enumerate(ops):
            where = f"step {step} ({name} {value}) of {ops}"
            if name == "reserve":
                expected = memory.reserve_now(key, windows, lease)
                got = await shared.rate_limits.reserve(key, windows, lease)
                assert type(got) is type(expected), where
                if isinstance(expected, int):
                    assert isinstance(got, int)
                    outstanding.append((expected, got))
                else:
                    assert got == pytest.approx(expected, abs=1e-9), where
            elif name == "complete" and outstanding:
                mine, theirs = outstanding.pop(int(value) % len(outstanding))
                memory.complete_now(key, mine)
                await shared.rate_limits.complete(key, theirs)
            elif name == "advance":
                clock.now += value
            elif name == "block":
                await memory.block(key, value)
                await shared.rate_limits.block(key, value)
            expected_block = await memory.blocked_for(key)
            assert await shared.rate_limits.blocked_for(key) == pytest.approx(expected_block), where
    finally:
        await shared.aclose()


# -- the rules, one at a time --------------------------------------------------------------


def limiter(
    backend: RedisStateBackend, clock: FakeClock, limits: RateLimits, **kw: float
) -> RateLimiter:
    return RateLimiter(limits, key="demo", backend=backend.rate_limits, sleep=clock.sleep, **kw)


async def test_a_permit_counts_until_its_response_and_one_window_more(
    make_backend: MakeBackend,
) -> None:
    clock = FakeClock()
    backend = make_backend(clock=clock, restart_hold=0)
    rl = backend.rate_limits
    windows = ((1.0, 2),)
    first, second = await rl.reserve("demo", windows, 60.0), await rl.reserve("demo", windows, 60.0)
    assert isinstance(first, int)
    assert isinstance(second, int)
    clock.now += 5.0  # in flight for five seconds: still counted
    assert await rl.reserve("demo", windows, 60.0) == pytest.approx(1.0)
    await rl.complete("demo", first)
    clock.now += 0.4
    assert await rl.reserve("demo", windows, 60.0) == pytest.approx(0.6 + 1e-6)
    clock.now += 0.6 + 2e-6
    assert isinstance(await rl.reserve("demo", windows, 60.0), int)


async def test_an_hour_window_is_exact(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    backend = make_backend(clock=clock, restart_hold=0)
    hourly = limiter(backend, clock, RateLimits(requests_per_hour=3, requests_per_second=2))
    admitted = []
    for _ in range(4):
        permit = await hourly.acquire()
        admitted.append(clock.now)
        await hourly.release(permit)
    # Two in the first second, the third a second later, the fourth an hour after the first.
    assert admitted[:3] == [START, START, pytest.approx(START + 1.0, abs=1e-5)]
    assert admitted[3] == pytest.approx(START + 3600.0, abs=1e-5)


async def test_a_holder_that_died_frees_its_permit_after_lease_and_window(
    make_backend: MakeBackend,
) -> None:
    clock = FakeClock()
    dead, alive = make_backend(clock=clock, restart_hold=0), make_backend(clock=clock)
    windows = ((1.0, 1),)
    assert isinstance(await dead.rate_limits.reserve("demo", windows, 2.0), int)
    # Never completed. Until the lease ends (2 s) and one window after it, nothing else goes.
    assert await alive.rate_limits.reserve("demo", windows, 2.0) == pytest.approx(1.0)
    clock.now += 2.5
    assert await alive.rate_limits.reserve("demo", windows, 2.0) == pytest.approx(0.5 + 1e-6)
    clock.now += 0.5 + 2e-6
    assert isinstance(await alive.rate_limits.reserve("demo", windows, 2.0), int)


async def test_completing_after_the_lease_ran_out_does_not_count_twice(
    make_backend: MakeBackend, raw_redis: redis.Redis
) -> None:
    clock = FakeClock()
    backend = make_backend(clock=clock, restart_hold=0)
    rl = backend.rate_limits
    windows = ((1.0, 2),)
    late = await rl.reserve("demo", windows, 0.5)
    assert isinstance(late, int)
    clock.now += 3.0
    assert isinstance(await rl.reserve("demo", windows, 0.5), int)  # expires `late`, at 1000.5
    await rl.complete("demo", late)  # its response, long after its lease
    _, _, done = rl.redis_keys("demo")
    assert raw_redis.zcard(done) == 0  # counted at 1000.5 and forgotten a window later
    assert isinstance(await rl.reserve("demo", windows, 0.5), int)


async def test_a_block_holds_for_every_process(make_backend: MakeBackend) -> None:
    clock = FakeClock()
    one, other = make_backend(clock=clock, restart_hold=0), make_backend(clock=clock)
    windows = ((1.0, 100),)
    await one.rate_limits.block("demo", 30.0)
    assert await other.rate_limits.blocked_for("demo") == pytest.approx(30.0)
    assert await other.rate_limits.reserve("demo", windows, 60.0) == pytest.approx(30.0)
    await other.rate_limits.block("demo", 5.0)  # a shorter block never shortens a longer one
    assert await one.rate_limits.blocked_for("demo") == pytest.approx(30.0)
    clock.now += 30.0
    assert isinstance(await other.rate_limits.reserve("demo", windows, 60.0), int)


async def test_the_keys_name_the_connector_and_a_digest_never_the_credential(
    make_backend: MakeBackend, prefix: str, raw_redis: redis.Redis
) -> None:
    backend = make_backend(restart_hold=0)
    rl = backend.rate_limits
    assert rl.redis_keys("github")[0] == f"{prefix}:rl:{{github:app}}:m"
    secret_key = "github:ghp_SECRETSECRET"
    permit = await rl.reserve(secret_key, ((1.0, 5),), 60.0)
    assert isinstance(permit, int)
    await rl.complete(secret_key, permit)
    names = [name.decode() for name in raw_redis.scan_iter(match=f"{prefix}:*")]
    # The meta hash and the finished set (the in-flight set emptied, so Redis dropped it).
    assert sorted(names) == sorted(rl.redis_keys(secret_key)[::2])
    assert all(name.startswith(f"{prefix}:rl:{{github:") for name in names)
    assert not any("SECRET" in name for name in names)
    # Keys expire on their own once nothing can count any more (lease + window + 1 s).
    assert all(0 < raw_redis.pttl(name) <= 62_000 for name in names)


async def test_a_flushed_script_cache_is_refilled_with_eval(
    make_backend: MakeBackend, raw_redis: redis.Redis
) -> None:
    backend = make_backend(restart_hold=0)
    assert isinstance(await backend.rate_limits.reserve("demo", ((1.0, 5),), 60.0), int)
    raw_redis.script_flush()
    assert isinstance(await backend.rate_limits.reserve("demo", ((1.0, 5),), 60.0), int)


async def test_a_lost_state_is_restored_from_each_process_journal(
    make_backend: MakeBackend, raw_redis: redis.Redis
) -> None:
    clock = FakeClock()
    # A lease longer than the server's uptime makes the server count as just restarted.
    lease = 10.0**9
    busy = make_backend(clock=clock, restart_hold=0.5)
    fresh = make_backend(clock=clock, restart_hold=0.5)
    windows = ((1.0, 3),)
    first = await busy.rate_limits.reserve("demo", windows, lease)
    assert first == pytest.approx(0.5)  # the first use of a key in a new server holds
    clock.now += 0.5
    granted = [await busy.rate_limits.reserve("demo", windows, lease) for _ in range(3)]
    permits = [p for p in granted if isinstance(p, int)]
    assert len(permits) == 3
    await busy.rate_limits.complete("demo", permits[0])
    await busy.rate_limits.complete("demo", permits[1])

    raw_redis.delete(*busy.rate_limits.redis_keys("demo"))  # what a restart does

    # The first process to come back holds the key; the busy one writes its journal back.
    assert await fresh.rate_limits.reserve("demo", windows, lease) == pytest.approx(0.5)
    # Restored: two finished just now, one in flight; a window from now before a third.
    assert await busy.rate_limits.reserve("demo", windows, lease) == pytest.approx(1.0 + 1e-6)
    clock.now += 0.5
    # Two finished 0.5 s ago (until 1 s after them) and one still in flight: full.
    assert await fresh.rate_limits.reserve("demo", windows, lease) == pytest.approx(0.5 + 1e-6)
    clock.now += 0.5 + 2e-6
    assert isinstance(await fresh.rate_limits.reserve("demo", windows, lease), int)
    assert await fresh.rate_limits.reserve("demo", windows, lease) > 0


async def test_without_a_restart_a_new_key_is_not_held(
    make_backend: MakeBackend, raw_redis: redis.Redis
) -> None:
    # The server counts its uptime in whole seconds: one started for this session may
    # still be in its first, which is indistinguishable from a restart.
    uptime = int(raw_redis.info("server")["uptime_in_seconds"])
    if uptime < 1:
        await asyncio.sleep(1.05)
    assert int(raw_redis.info("server")["uptime_in_seconds"]) >= 1
    clock = FakeClock()
    backend = make_backend(clock=clock, restart_hold=5.0)
    # A server up for longer than lease + window cannot have lost permits that still count.
    assert isinstance(await backend.rate_limits.reserve("demo", ((0.001, 5),), 0.0), int)
