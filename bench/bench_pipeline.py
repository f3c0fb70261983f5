"""Per-request cost of connectory's full core pipeline against a bare httpx.AsyncClient.

Both clients send the same GET with a query parameter through the same
`httpx.MockTransport` and decode the same JSON body, so the difference is the pipeline:
auth (bearer) + rate limiter (three windows) + retry wrapper + metrics + error mapping.

Rounds alternate between the two so machine noise hits both alike; the figure is the
median over rounds of microseconds per request, and their ratio.

    python bench/bench_pipeline.py [--requests 5000] [--rounds 9] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from connectory.core import (
    AuthenticationType,
    BaseErrorHandlingService,
    ConnectorConfig,
    ConnectorHttpClient,
    ConnectorType,
    MonitoringService,
    RateLimiter,
)
from connectory.core._services import BaseAuthenticationService

BASE_URL = "https://api.example.com/v1"
BODY = {"id": 1, "name": "item", "tags": ["a", "b"], "owner": {"login": "octocat"}}


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=BODY)


async def timed(send: Callable[[], Awaitable[object]], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        await send()
    return (time.perf_counter() - start) / requests * 1e6


async def run(requests: int, rounds: int) -> dict[str, object]:
    transport = httpx.MockTransport(handler)
    bare = httpx.AsyncClient(base_url=BASE_URL, transport=transport)

    config = ConnectorConfig(
        connector_type=ConnectorType.DEMO,
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=BASE_URL,
        # Limits high enough never to make the benchmark wait, but all three windows active.
        rate_limits={
            "requests_per_second": 1_000_000,
            "requests_per_minute": 10_000_000,
            "requests_per_day": 100_000_000,
        },
    )
    monitor = MonitoringService("bench")
    http = ConnectorHttpClient(
        config,
        error_service=BaseErrorHandlingService(),
        monitor=monitor,
        limiter=RateLimiter(config.rate_limits, key="bench"),
        transport=transport,
    )
    auth = BaseAuthenticationService(None, config)
    auth.http = http
    await auth.authenticate({"access_token": "bench-token-123456"})

    async def send_bare() -> object:
        response = await bare.get("/items/1", params={"fields": "all"})
        response.raise_for_status()
        return response.json()

    async def send_pipeline() -> object:
        response = await http.request(
            "GET", "/items/1", params={"fields": "all"}, operation="get_item"
        )
        return response.json()

    for send in (send_bare, send_pipeline):  # warm up both paths
        await timed(send, 1000)
    bare_us: list[float] = []
    pipeline_us: list[float] = []
    for _ in range(rounds):
        bare_us.append(await timed(send_bare, requests))
        pipeline_us.append(await timed(send_pipeline, requests))
    await bare.aclose()
    await http.aclose()
    auth.forget()
    bare_median = statistics.median(bare_us)
    pipeline_median = statistics.median(pipeline_us)
    counted = monitor.operations["get_item"].requests
    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "bare_httpx_median_us": round(bare_median, 1),
        "connectory_median_us": round(pipeline_median, 1),
        "overhead_us": round(pipeline_median - bare_median, 1),
        "ratio": round(pipeline_median / bare_median, 3),
        "pipeline_requests_counted_by_metrics": counted,
        "python": platform.python_version(),
        "httpx": httpx.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    result = asyncio.run(run(args.requests, args.rounds))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    sys.exit(0)


if __name__ == "__main__":
    main()
