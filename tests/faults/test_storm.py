"""The fault storm: thousands of calls through a generated connector against a real server
that injects every kind of failure, counted at the server.

What must hold: every call returns the right typed data or raises a `ConnectorError`
subclass (no other exception, no hang); a POST without an idempotency key is sent again
only after a 429, which refused it before the server did anything;
the configured rate limit holds in every window as the server counted arrivals.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from types import ModuleType
from typing import Any

import pytest

from connectory.core import ConnectorError, RetryPolicy
from tests.servers import Fault, FaultStormSpec, max_in_window, run_server

CALLS = 10_000
TASKS = 50
LIMIT_PER_SECOND = 500
FAULTS = {
    Fault.RATE_LIMITED: 0.02,
    Fault.RATE_LIMITED_RETRY_NOW: 0.02,
    Fault.RATE_LIMITED_RETRY_LATER: 0.0005,  # Retry-After: 1 pauses every worker
    Fault.INTERNAL_ERROR: 0.02,
    Fault.BAD_GATEWAY: 0.02,
    Fault.UNAVAILABLE: 0.02,
    Fault.RESET: 0.02,
    Fault.STALL: 0.003,
    Fault.SLOW: 0.003,
    Fault.TRUNCATED: 0.02,
    Fault.INVALID_JSON: 0.01,
    Fault.EMPTY_200: 0.01,
}
SLOW_SECONDS = 0.6
TIMEOUT = 0.25  # below SLOW_SECONDS: slow answers and stalls time out


@pytest.mark.slow
async def test_a_storm_of_faults_never_loses_a_call_nor_breaks_a_limit(
    storm_package: ModuleType, figures: dict[str, Any]
) -> None:
    spec = FaultStormSpec(
        faults=FAULTS,
        seed=20261201,
        max_consecutive_faults=3,
        retry_after_seconds=1,
        slow_seconds=SLOW_SECONDS,
        total_items=500,
    )
    outcomes: Counter[str] = Counter()
    foreign: list[str] = []
    wrong: list[str] = []
    unkeyed_posts = 0
    rng = random.Random(7)
    plan = [rng.random() for _ in range(CALLS)]
    with run_server(spec) as server:
        connector_class = storm_package.REGISTRATION.connector_class
        connector = connector_class(
            access_token="storm-token-0001",
            base_url=server.url,
            timeout=TIMEOUT,
            rate_limits={"requests_per_second": LIMIT_PER_SECOND},
            retry=RetryPolicy(attempts=5, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01),
        )
        queue = list(enumerate(plan))

        async def call(index: int, draw: float) -> None:
            nonlocal unkeyed_posts
            if draw < 0.75:
                wanted = 1 + index % 500
                got = await connector.items.get(wanted)
                if (got.id, got.name) != (wanted, f"item-{wanted}"):
                    wrong.append(f"get {wanted} -> {got!r}")
            elif draw < 0.90:
                page = 1 + index % 10
                listing = await connector.items.list(page=page, per_page=20).first_page()
                ids = [i.id for i in listing.items]
                if ids != list(range((page - 1) * 20 + 1, page * 20 + 1)):
                    wrong.append(f"list page {page} -> {ids}")
            elif draw < 0.95:
                body = storm_package.models.CreateItemBody(name=f"keyed-{index}")
                created = await connector.items.create(body=body, idempotency_key=f"k-{index}")
                if created.name != f"keyed-{index}":
                    wrong.append(f"create keyed-{index} -> {created!r}")
            else:
                unkeyed_posts += 1
                body = storm_package.models.CreateItemBody(name=f"plain-{index}")
                created = await connector.items.create(body=body)
                if created.name != f"plain-{index}":
                    wrong.append(f"create plain-{index} -> {created!r}")

        async def worker() -> None:
            while queue:
                index, draw = queue.pop()
                try:
                    await call(index, draw)
                except ConnectorError as exc:
                    outcomes[type(exc).__name__] += 1
                except Exception as exc:  # what must never happen
                    foreign.append(f"{type(exc).__name__}: {exc}")
                else:
                    outcomes["ok"] += 1

        started = time.monotonic()
        async with connector:
            # a hang would stop here; the whole storm has a hard deadline
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(TASKS))), 300)
        elapsed = time.monotonic() - started
        recording = server.recording()

    assert foreign == []
    assert wrong == []
    assert sum(outcomes.values()) == CALLS
    # Every non-retried failure the storm allows is typed (invalid or empty bodies, a POST
    # without a key that met a fault after the server did the work, ...).
    assert outcomes["ok"] >= CALLS * 0.95
    # A POST without an idempotency key is never sent twice, whatever fault it met (the
    # default policy; `unsafe_after_429` would resend it after a 429 only).
    plain = [c for c in recording.created_items if c.idempotency_key is None]
    plain_posts = [
        a for a in recording.arrivals if a.method == "POST" and a.header("idempotency-key") is None
    ]
    refused = {Fault.RATE_LIMITED, Fault.RATE_LIMITED_RETRY_NOW, Fault.RATE_LIMITED_RETRY_LATER}
    bodies = Counter(a.body for a in plain_posts)
    turned_away = Counter(a.body for a in plain_posts if a.fault in refused)
    repeated_unsafely = [b for b, n in bodies.items() if n - turned_away[b] > 1]
    assert repeated_unsafely == []
    assert max(bodies.values(), default=0) == 1  # not even after a 429
    assert len(plain) <= unkeyed_posts
    # The keyed POSTs each created one item, whatever was retried.
    keyed = Counter(c.idempotency_key for c in recording.created_items if c.idempotency_key)
    assert max(keyed.values(), default=0) == 1
    # The limit held as the server counted arrivals, in any second.
    times = recording.times()
    busiest_second = max_in_window(times, 1.0)
    busiest_minute = max_in_window(times, 60.0)
    assert busiest_second <= LIMIT_PER_SECOND
    figures["storm"] = {
        "calls": CALLS,
        "tasks": TASKS,
        "arrivals": len(recording.arrivals),
        "faults_injected": {k: v for k, v in sorted(recording.fault_counts.items()) if k != "ok"},
        "outcomes": dict(sorted(outcomes.items())),
        "wrong_data": len(wrong),
        "foreign_exceptions": len(foreign),
        "hangs": 0,
        "unkeyed_posts": unkeyed_posts,
        "unkeyed_posts_refused_by_429": sum(1 for b in bodies if turned_away[b]),
        "unkeyed_posts_arrived_twice": sum(1 for n in bodies.values() if n > 1),
        "limit_per_second": LIMIT_PER_SECOND,
        "busiest_second": busiest_second,
        "busiest_minute": busiest_minute,
        "seconds": round(elapsed, 1),
    }
