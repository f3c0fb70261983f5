"""Choosing the state, and what happens when its Redis is down, slow or restarted."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from connectory.core import AuthenticationType, ConnectorConfig, ConnectorError
from connectory.core._errors import ConfigurationError
from connectory.core._redis import RedisStateBackend
from connectory.core.state import (
    STATE_URL_ENV,
    InMemoryStateBackend,
    safe_url,
    state_backend_from_url,
)
from tests.redis._worker import WorkerConnector
from tests.redis.conftest import PrivateRedis, free_port
from tests.servers import PingSpec, RunningServer, run_server

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def ping_server() -> Iterator[RunningServer]:
    with run_server(PingSpec()) as server:
        yield server


def ping_config(server: RunningServer, per_second: int = 1000) -> ConnectorConfig:
    return ConnectorConfig(
        connector_type="custom",
        name="pingtest",
        authentication_type=AuthenticationType.NONE,
        base_url=server.url,
        rate_limits={"requests_per_second": per_second},
        retry={"attempts": 1},
    )


def test_the_message_names_the_url_without_credentials() -> None:
    url = "redis://admin:hunter2@cache.internal:6380/2?password=hunter3&socket_timeout=1"
    assert safe_url(url) == "redis://cache.internal:6380/2"
    assert safe_url("rediss://:pw@[::1]:6379/0") == "rediss://[::1]:6379/0"


async def test_an_unreachable_redis_fails_at_connect_naming_its_url(
    ping_server: RunningServer,
) -> None:
    url = f"redis://worker:hunter2@127.0.0.1:{free_port()}/0"
    connector = WorkerConnector(config=ping_config(ping_server), state=url)
    try:
        with pytest.raises(ConnectorError) as caught:
            await connector.connect({})
        text = str(caught.value)
        assert f"redis://127.0.0.1:{url.rsplit(':', 1)[1]}" in text
        assert "unavailable" in text
        assert "hunter2" not in text
        assert "worker" not in text
        # Without connect, the first request fails the same way: never unlimited.
        with pytest.raises(ConnectorError, match="unavailable"):
            await connector.request("GET", "/ping")
    finally:
        await connector.close()


async def test_a_redis_that_never_answers_fails_after_its_timeout(
    ping_server: RunningServer,
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, never answered
        port = silent.getsockname()[1]
        url = f"redis://127.0.0.1:{port}/0?socket_timeout=0.3"
        connector = WorkerConnector(config=ping_config(ping_server), state=url)
        try:
            with pytest.raises(ConnectorError, match=f"127.0.0.1:{port}/0 is unavailable"):
                await connector.connect({})
        finally:
            await connector.close()


async def test_fallback_to_memory_is_explicit_and_logged(
    ping_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    connector = WorkerConnector(
        config=ping_config(ping_server, per_second=2), state=url, state_fallback="memory"
    )
    try:
        with caplog.at_level(logging.WARNING, logger="connectory.state"):
            assert await connector.connect({})
            for _ in range(3):
                await connector.request("GET", "/ping")
        assert isinstance(connector.state, RedisStateBackend)
        assert connector.state.fallen_back
        assert [r.getMessage() for r in caplog.records if "falling back" in r.getMessage()]
        # Still limited, now per process: the third request waited for the window.
        assert connector.rate_limiter.waits >= 1
    finally:
        await connector.close()


def test_fallback_can_be_asked_for_in_the_url() -> None:
    backend = state_backend_from_url(f"redis://127.0.0.1:{free_port()}/0?state_fallback=memory")
    assert isinstance(backend, RedisStateBackend)
    assert backend.tokens.load_sync("nothing") is None  # answered by memory, with a warning
    assert backend.fallen_back


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:6379", "unsupported URL 'http://127.0.0.1:6379'"),
        ("redis://127.0.0.1:6379/0?state_fallback=disk", "state_fallback"),
        ("redis://127.0.0.1:6379/0?restart_hold=soon", "restart_hold"),
        ("redis://127.0.0.1:6379/0?retry_for=-1", "retry_for"),
    ],
)
def test_a_bad_state_url_is_a_configuration_error(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        state_backend_from_url(url)


async def test_the_environment_names_the_state_when_the_option_does_not(
    ping_server: RunningServer, redis_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = WorkerConnector(config=ping_config(ping_server))
    assert plain.state is None
    monkeypatch.setenv(STATE_URL_ENV, f"{redis_url}?prefix={prefix}")
    shared = WorkerConnector(config=ping_config(ping_server))
    memory = WorkerConnector(config=ping_config(ping_server), state=InMemoryStateBackend())
    try:
        assert isinstance(shared.state, RedisStateBackend)
        assert shared.state.prefix == prefix
        assert shared.rate_limiter.backend is shared.state.rate_limits
        assert isinstance(memory.state, InMemoryStateBackend)  # the option wins
        assert await shared.connect({})
        await shared.request("GET", "/ping")
    finally:
        for connector in (plain, shared, memory):
            await connector.close()


async def test_an_outage_longer_than_retry_for_fails_requests_then_recovers(
    private_redis: PrivateRedis, ping_server: RunningServer
) -> None:
    url = f"{private_redis.url}?retry_for=0.5&restart_hold=0"
    connector = WorkerConnector(config=ping_config(ping_server), state=url)
    try:
        assert await connector.connect({})
        await connector.request("GET", "/ping")
        private_redis.stop()
        with pytest.raises(ConnectorError, match="unavailable"):
            await connector.request("GET", "/ping")
        private_redis.start()
        await connector.request("GET", "/ping")  # reconnects on its own
    finally:
        await connector.close()
