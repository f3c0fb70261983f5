"""Per-request cost of shared rate limiting in Redis against the in-memory backend.

Each iteration is one `RateLimiter.acquire` plus `release` (what every request pays),
under limits high enough never to wait but with three windows active. Each repeat times
every iteration and keeps the median; the table shows the median of those medians and
their range over the repeats. Backends alternate per repeat so machine noise hits both.
Without ``--url`` it starts a private redis-server on a free port (and stops it); without
an installed redis-server the result says so.

    python bench/bench_state.py [--url redis://...] [--iterations 2000] [--repeats 7]
                                [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
import uuid

import redis
from bench_ratelimit import start_redis

from connectory.core import ConnectorError, RateLimiter, RateLimits
from connectory.core._ratelimit import InMemoryRateLimitBackend, RateLimitBackend
from connectory.core._redis import RedisStateBackend

LIMITS = RateLimits(
    requests_per_second=1_000_000, requests_per_minute=10_000_000, requests_per_day=100_000_000
)


async def median_us(backend: RateLimitBackend, iterations: int) -> float:
    limiter = RateLimiter(LIMITS, key="bench", backend=backend)
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(iterations):
        start = clock()
        await limiter.release(await limiter.acquire())
        samples.append(clock() - start)
    return statistics.median(samples) * 1e6


async def run(url: str, iterations: int, repeats: int) -> dict[str, object]:
    prefix = f"connectory-bench-{uuid.uuid4().hex[:8]}"
    shared = RedisStateBackend(url, prefix=prefix, restart_hold=0)
    backends: dict[str, RateLimitBackend] = {
        "in-memory": InMemoryRateLimitBackend(),
        "redis": shared.rate_limits,
    }
    results: dict[str, list[float]] = {name: [] for name in backends}
    try:
        await shared.check()
        for backend in backends.values():  # warm up: connections, script cache
            await median_us(backend, 200)
        for _ in range(repeats):
            for name, backend in backends.items():
                results[name].append(await median_us(backend, iterations))
    finally:
        await shared.aclose()
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        server = client.info("server")
        client.close()
    summary = {
        name: {
            "median_us": round(statistics.median(values), 1),
            "min_us": round(min(values), 1),
            "max_us": round(max(values), 1),
        }
        for name, values in results.items()
    }
    return {
        "iterations": iterations,
        "repeats": repeats,
        "backends": summary,
        "redis_overhead_us": round(
            summary["redis"]["median_us"] - summary["in-memory"]["median_us"], 1
        ),
        "redis_server": server.get("redis_version"),
        "redis_py": redis.__version__,
        "python": platform.python_version(),
    }


def table(result: dict[str, object]) -> str:
    backends = result["backends"]
    assert isinstance(backends, dict)
    lines = [
        f"acquire + release, median of {result['iterations']} per repeat, "
        f"{result['repeats']} repeats",
        f"{'backend':<10} {'median us':>10} {'min-max us':>16}",
    ]
    for name, figures in backends.items():
        span = f"{figures['min_us']}-{figures['max_us']}"
        lines.append(f"{name:<10} {figures['median_us']:>10} {span:>16}")
    lines.append(
        f"redis adds {result['redis_overhead_us']} us per request "
        f"(redis-server {result['redis_server']}, redis-py {result['redis_py']})"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a Redis to use (default: a private one)")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if args.smoke:
        args.iterations, args.repeats = 50, 1
    private = None
    url = args.url
    if url is None:
        private = start_redis()
        if private is None:
            result: dict[str, object] = {"skipped": "redis-server is not installed"}
            print(result["skipped"])
            _write(args.json, result)
            return
        url = private[1]
    try:
        result = asyncio.run(run(url, args.iterations, args.repeats))
    except ConnectorError as error:
        print(f"{error}; give a reachable one with --url")
        sys.exit(2)
    finally:
        if private is not None:
            private[0].terminate()
            private[0].wait()
    print(table(result))
    _write(args.json, result)


def _write(path: str | None, result: dict[str, object]) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
