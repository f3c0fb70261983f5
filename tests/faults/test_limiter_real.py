"""The rate limiter against a real server: the limit holds as the server counts arrivals,
and the rate reached is close to it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    UniversalConnectorFactory,
)
from tests.servers import PingSpec, max_in_window, rate, run_server

LIMIT = 20
TASKS = 200
SECONDS = 10.0


@pytest.mark.slow
async def test_200_tasks_at_20_per_second_never_exceed_the_limit_at_the_server(
    figures: dict[str, Any],
) -> None:
    with run_server(PingSpec()) as server:
        config = ConnectorConfig(
            connector_type="limit_probe",
            authentication_type=AuthenticationType.NONE,
            base_url=server.url,
            rate_limits={"requests_per_second": LIMIT},
        )
        factory = UniversalConnectorFactory(discover=False)
        factory.register_connector_implementation(
            "limit_probe", BaseConnectorService, BaseAuthenticationService, BaseDataService, config
        )
        deadline = time.monotonic() + SECONDS

        async def task(connector: BaseConnectorService) -> int:
            sent = 0
            while time.monotonic() < deadline:
                await connector.request("GET", "/ping")
                sent += 1
            return sent

        async with factory.create_connector("limit_probe") as connector:
            sent = await asyncio.gather(*(task(connector) for _ in range(TASKS)))
        times = server.recording().times(path="/ping")
    busiest = max_in_window(times, 1.0)
    achieved = rate(times)
    assert len(times) == sum(sent)
    assert busiest <= LIMIT
    assert achieved >= 0.9 * LIMIT
    figures["limiter_20_per_second"] = {
        "limit": LIMIT,
        "tasks": TASKS,
        "seconds": SECONDS,
        "requests": len(times),
        "busiest_second": busiest,
        "achieved_rate": round(achieved, 2),
    }
