"""Worker processes sharing limits and tokens through a real redis-server, as the real test
servers count arrivals.

Every check is made on what the server recorded: its arrival stamps (``time.monotonic()``
taken between reading the request and answering it) and its token requests. The limit
is checked with no slack: by the proof in ``connectory.core._ratelimit``, no one-second
interval of arrivals may hold more than the limit, however the network delays requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from connectory.core._redis import RedisStateBackend
from tests.redis.conftest import PrivateRedis
from tests.servers import OAuthSpec, PingSpec, RunningServer, max_in_window, rate, run_server

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 5.0  # seconds the workers get to start before they all begin at once


def spawn(settings: dict[str, Any]) -> subprocess.Popen[str]:
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.redis._worker", json.dumps(settings)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": python_path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outcome(worker: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    try:
        out, err = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, err = worker.communicate()
        pytest.fail(f"a worker did not finish in {timeout} s:\n{err[-3000:]}")
    assert worker.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def arrivals_between(server: RunningServer, start: float, stop: float) -> list[float]:
    return [t for t in server.recording().times(path="/ping") if start <= t <= stop]


def test_four_workers_share_fifty_requests_per_second(redis_url: str, prefix: str) -> None:
    limit, duration = 50, 10.0
    with run_server(PingSpec()) as server:
        start = time.monotonic() + STARTUP
        settings = {
            "mode": "ping",
            "server": server.url,
            "state": f"{redis_url}?prefix={prefix}",
            "tasks": 25,
            "limit": limit,
            "start_at": start,
            "stop_at": start + duration,
        }
        workers = [spawn(settings) for _ in range(4)]
        results = [outcome(worker, STARTUP + duration + 30) for worker in workers]
        times = arrivals_between(server, start, start + duration + 5)
    busiest = max_in_window(times, 1.0)
    # The rate over eight whole seconds from the first arrival (admission comes in bursts:
    # a window's permits free together).
    first = min(times)
    achieved = sum(first <= t < first + 8.0 for t in times) / 8.0
    print(
        f"\n4 workers x 25 tasks, limit {limit}/s: {len(times)} arrivals, "
        f"{achieved:.2f}/s over 8 s ({rate(times):.2f}/s first to last), busiest one-second "
        f"window {busiest}, per worker {[r['sent'] for r in results]}"
    )
    assert all(not r["failures"] for r in results), results
    assert sum(r["sent"] for r in results) == len(times)
    assert all(r["sent"] > 0 for r in results)  # every worker took part in the sharing
    assert busiest <= limit
    assert achieved >= 0.9 * limit


def test_an_expired_token_shared_by_four_workers_is_refreshed_once(
    redis_url: str, prefix: str
) -> None:
    with run_server(OAuthSpec(expires_in=3600, token_delay=0.3)) as server:
        settings = {
            "mode": "oauth",
            "server": server.url,
            "state": f"{redis_url}?prefix={prefix}",
            "tasks": 25,
            "calls": 2,
            "start_at": time.monotonic() + STARTUP,
        }
        workers = [spawn(settings) for _ in range(4)]
        results = [outcome(worker, STARTUP + 30) for worker in workers]
        recording = server.recording()
    print(f"\n4 workers x 25 tasks x 2 calls: {len(recording.token_requests)} token request(s)")
    assert all(not r["failures"] for r in results), results
    assert sum(r["statuses"].get("200", 0) for r in results) == 200
    assert [t.outcome for t in recording.token_requests] == ["granted"]


def test_a_killed_worker_frees_its_permits_after_lease_and_window(
    redis_url: str, prefix: str, raw_redis: redis.Redis
) -> None:
    limit, lease, window = 5, 2.0, 1.0
    state_url = f"{redis_url}?prefix={prefix}"
    backend = RedisStateBackend(state_url, restart_hold=0)
    _, in_flight, _ = backend.rate_limits.redis_keys("pingtest")
    # The server never answers in time: the worker's five permits stay in flight.
    with run_server(PingSpec(delay=60.0)) as server:
        worker = spawn(
            {
                "mode": "hold",
                "server": server.url,
                "state": state_url,
                "tasks": 10,
                "limit": limit,
                "lease": lease,
                "timeout": 120.0,
            }
        )
        try:
            deadline = time.monotonic() + 30
            while len(server.recording().times(path="/ping")) < limit:
                assert time.monotonic() < deadline, "the worker never sent its requests"
                time.sleep(0.05)
            # Each permit's lease deadline, on the Redis clock (admission + lease).
            entries = cast(
                list[tuple[bytes, float]], raw_redis.zrange(in_flight, 0, -1, withscores=True)
            )
            leases = sorted(score for _, score in entries)
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.kill()
            worker.communicate()  # reaps it and closes its pipes
        killed = redis_time(raw_redis)
        assert len(server.recording().times(path="/ping")) == limit  # the limit held
    assert len(leases) == limit

    async def take_all() -> list[tuple[float, float]]:
        """Reserve until all permits are this process's; the Redis time around each grant."""
        windows = ((window, limit),)
        granted: list[tuple[float, float]] = []
        try:
            while len(granted) < limit:
                before = redis_time(raw_redis)
                answer = await backend.rate_limits.reserve("pingtest", windows, 60.0)
                if isinstance(answer, int):
                    granted.append((before, redis_time(raw_redis)))
                else:
                    await asyncio.sleep(min(answer, 0.01))
            # Holding all of them again: the limit still stands.
            assert isinstance(await backend.rate_limits.reserve("pingtest", windows, 60.0), float)
        finally:
            await backend.aclose()
        return granted

    granted = asyncio.run(take_all())
    print(
        f"\nkilled {killed - (leases[0] - lease):.2f} s after the first admission; permits "
        f"back {granted[0][1] - leases[0]:.3f} to {granted[-1][1] - leases[-1]:.3f} s after "
        f"their leases ended (window {window} s)"
    )
    for free_at, (before, after) in zip((d + window for d in leases), granted, strict=True):
        assert after > free_at  # a permit counts until its lease ends, then one window more
        assert before <= free_at + 0.25  # and not longer (polls every 10 ms, plus load)


def redis_time(client: redis.Redis) -> float:
    seconds, microseconds = client.time()
    return seconds + microseconds / 1_000_000


def test_a_redis_restart_mid_run_keeps_requests_flowing_within_the_limit(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """Two workers run; Redis restarts just after a burst (its window full), and a third
    worker starts at once: with the lost state alone, it would send a second burst."""
    limit, duration = 20, 9.0
    go_file = tmp_path / "go"
    with run_server(PingSpec()) as server:
        start = time.monotonic() + STARTUP
        settings = {
            "mode": "ping",
            "server": server.url,
            "state": private_redis.url,
            "tasks": 10,
            "limit": limit,
            "start_at": start,
            "stop_at": start + duration,
        }
        workers = [spawn(settings) for _ in range(2)]
        workers.append(spawn({**settings, "go_file": str(go_file)}))
        time.sleep(max(0.0, start + 3.0 - time.monotonic()))
        latest = start + 5.0  # on a loaded machine bursts smear: restart anyway by then
        while time.monotonic() < latest and recent_arrivals(server, 0.1) < limit // 2:
            time.sleep(0.005)
        down = time.monotonic()
        private_redis.restart()
        up = time.monotonic()
        go_file.touch()
        results = [outcome(worker, STARTUP + duration + 60) for worker in workers]
        times = arrivals_between(server, start, start + duration + 5)
    before = [t for t in times if t < down]
    after = [t for t in times if t > up]
    busiest = max_in_window(times, 1.0)
    print(
        f"\nredis restarted at +{down - start:.2f} s (down {up - down:.2f} s): "
        f"{len(before)} arrivals before, {len(after)} after, busiest one-second window "
        f"{busiest} (limit {limit})"
    )
    assert all(not r["failures"] for r in results), results
    assert results[2]["sent"] > 0
    # A new server holds each key for restart_hold (1 s) at first use, at the start too.
    assert len(before) >= (down - start - 1.0) * limit * 0.9
    assert len(after) >= (start + duration - up - 2.0) * limit * 0.9  # flowing again
    assert len(after) >= limit
    assert busiest <= limit


def recent_arrivals(server: RunningServer, seconds: float) -> int:
    since = time.monotonic() - seconds
    return sum(t > since for t in server.recording().times())
