"""Figures the capability tests measure, printed at the end of the run (``-rA`` not needed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

_FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """Measured figures by test; printed in the terminal summary."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("capability figures")
        for name, values in sorted(_FIGURES.items()):
            terminalreporter.write_line(f"{name}: {json.dumps(values, sort_keys=True)}")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A reachable redis-server: ``CONNECTORY_TEST_REDIS_URL``, else one on 6379, else a
    private one this fixture starts on a free port (and stops); skips without any."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("CONNECTORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        client.ping()
    except redis.RedisError:
        pass
    else:
        yield url
        return
    finally:
        client.close()
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(f"no redis-server at {url}, and none installed to start")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    pytest.skip(f"the redis-server started on port {port} does not answer")
                time.sleep(0.05)
            finally:
                client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
