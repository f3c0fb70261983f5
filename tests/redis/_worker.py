"""A worker process for the multi-process tests: ``python -m tests.redis._worker CONFIG``.

CONFIG is JSON: ``mode`` ("ping": GET /ping until ``stop_at``; "oauth": GET /me ``calls``
times per task; "hold": GET /ping until killed, with a short lease), ``server`` (the test
server's URL), ``state`` (the state URL), ``tasks`` (concurrent tasks), ``limit`` (requests
per second), ``start_at`` / ``stop_at`` (``time.monotonic()`` values, which every process
on the machine shares), ``go_file`` (begin once this file exists). It prints one JSON
line: what it sent and what failed.

A fresh interpreter rather than multiprocessing, for the reasons given in
``tests/servers/_run.py``; and so a test can kill it with SIGKILL like any process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, Unpack

from connectory.core import (
    AuthenticationType,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    ConnectorError,
    ConnectorOptions,
    RateLimiter,
    RateLimits,
)
from connectory.core.state import state_backend_from_url


class WorkerConnector(BaseConnectorService):
    """The smallest keyword-built connector: the escape hatch is all the tests call."""

    keyword_constructor = True

    def __init__(
        self,
        *,
        config: ConnectorConfig,
        credentials: Mapping[str, str | None] | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> None:
        self._build(config, BaseDataService, credentials or {}, {}, options)


def build(settings: dict[str, Any]) -> WorkerConnector:
    mode = settings["mode"]
    limits = RateLimits(requests_per_second=settings.get("limit"))
    if mode == "oauth":
        config = ConnectorConfig(
            connector_type="custom",
            name="oauthtest",
            authentication_type=AuthenticationType.OAUTH2,
            base_url=settings["server"],
            token_url=settings["server"] + "/oauth/token",
            retry={"attempts": 1},
        )
        expired = {
            "access_token": "access-initial",
            "refresh_token": "refresh-initial",
            "client_id": "client-1",
            "client_secret": "secret-1",
            "expires_at": "1",
        }
        return WorkerConnector(config=config, credentials=expired, state=settings["state"])
    config = ConnectorConfig(
        connector_type="custom",
        name="pingtest",
        authentication_type=AuthenticationType.NONE,
        base_url=settings["server"],
        rate_limits=limits,
        timeout=settings.get("timeout", 10.0),
        retry={"attempts": 1},
    )
    if mode == "hold":
        state = state_backend_from_url(settings["state"])
        limiter = RateLimiter(
            limits, key=config.slug, backend=state.rate_limits, lease=settings["lease"]
        )
        return WorkerConnector(config=config, rate_limiter=limiter, state=state)
    return WorkerConnector(config=config, state=settings["state"])


async def run(settings: dict[str, Any]) -> dict[str, Any]:
    connector = build(settings)
    sent = 0
    failures: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    mode = settings["mode"]
    try:
        if connector.state is not None:
            await connector.state.check()
        await asyncio.sleep(max(0.0, settings.get("start_at", 0.0) - time.monotonic()))
        stop_at = settings.get("stop_at", float("inf"))

        async def task() -> None:
            nonlocal sent
            calls = settings.get("calls", 1) if mode == "oauth" else None
            while time.monotonic() < stop_at and (calls is None or calls > 0):
                try:
                    if mode == "oauth":
                        body = await connector.request("GET", "/me")
                        statuses[200 if body.get("id") else 0] += 1
                        calls = (calls or 1) - 1
                    else:
                        await connector.request("GET", "/ping")
                    sent += 1
                except ConnectorError as error:
                    failures[f"{type(error).__name__}: {error.message}"] += 1
                    if mode == "oauth":
                        calls = (calls or 1) - 1

        await asyncio.gather(*(task() for _ in range(settings["tasks"])))
    finally:
        await connector.close()
    return {"sent": sent, "failures": dict(failures), "statuses": dict(statuses)}


def main() -> None:
    settings = json.loads(sys.argv[1])
    go_file = settings.get("go_file")
    while go_file is not None and not os.path.exists(go_file):
        time.sleep(0.005)
    result = asyncio.run(run(settings))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
