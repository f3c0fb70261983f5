"""Factory registry and entry-point discovery, the immutable builder, the manager."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from connectory.core import (
    ENTRY_POINT_GROUP,
    BaseErrorHandlingService,
    ConfigurationError,
    ConnectorBuilder,
    ConnectorError,
    ConnectorManager,
    ConnectorRegistration,
    ConnectorType,
    MonitoringService,
    NotFoundError,
    RateLimiter,
    RateLimits,
    UniversalConnectorFactory,
)
from connectory.demo import DEMO_TOKEN, REGISTRATION, serve_demo
from tests import fake_vendors as fv


def test_installed_connectors_are_discovered_through_entry_points() -> None:
    factory = UniversalConnectorFactory()
    assert "demo" in factory.available()
    registration = factory.registration("demo")
    assert registration is REGISTRATION
    assert ENTRY_POINT_GROUP == "connectory.connectors"


async def test_discovered_connector_works_end_to_end() -> None:
    factory = UniversalConnectorFactory()
    with serve_demo(flaky=False) as base_url:
        config = factory.registration(ConnectorType.DEMO).config.evolve(base_url=base_url)
        async with factory.create_connector(ConnectorType.DEMO, config) as connector:
            assert await connector.connect({"access_token": DEMO_TOKEN})
            tasks = await connector.data_service.list_items("/tasks")
            assert [task["id"] for task in tasks] == list(range(1, 24))


def test_unknown_connector_type_names_what_is_available(factory: UniversalConnectorFactory) -> None:
    with pytest.raises(ConfigurationError, match="no connector registered for 'github'") as caught:
        factory.create_connector(ConnectorType.GITHUB)
    assert "available: slack" in str(caught.value)
    with pytest.raises(ConfigurationError, match="'nope'"):
        factory.create_connector("nope")


def test_created_connector_is_wired_together(factory: UniversalConnectorFactory) -> None:
    monitor = MonitoringService("custom")
    limiter = RateLimiter(RateLimits(requests_per_second=1))
    connector = factory.create_connector(
        ConnectorType.SLACK, monitoring_service=monitor, rate_limiter=limiter
    )
    assert connector.monitoring_service is monitor
    assert connector.rate_limiter is limiter
    assert connector.data_service.http is connector.http
    assert connector.http.limiter is limiter
    # The client authenticates through the auth service, whatever credentials it holds.
    assert connector.http._client.auth is connector.auth_service.httpx_auth
    assert connector.connector_type is ConnectorType.SLACK


def test_builder_steps_return_new_builders(factory: UniversalConnectorFactory) -> None:
    base = ConnectorBuilder(factory)
    slack = base.for_connector_type(ConnectorType.SLACK)
    with_errors = slack.with_custom_error_service(BaseErrorHandlingService())
    assert base.connector_type is None
    assert slack.options == {}
    assert "error_service" in with_errors.options
    with pytest.raises(ConfigurationError, match="for_connector_type"):
        base.build()


async def test_builder_with_transport_sends_through_it(factory: UniversalConnectorFactory) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"ok": True})

    connector = (
        ConnectorBuilder(factory)
        .for_connector_type(ConnectorType.SLACK)
        .with_transport(httpx.MockTransport(handler))
        .build()
    )
    assert await connector.connect({"bot_token": fv.CHAT_BOT_TOKEN})
    assert seen == ["/chat/api/auth.test"]
    await connector.close()


async def test_manager_close_all_closes_everything_even_when_one_fails(
    factory: UniversalConnectorFactory,
) -> None:
    manager = ConnectorManager(factory)
    first = await manager.create_and_connect(ConnectorType.SLACK, {"bot_token": fv.CHAT_BOT_TOKEN})
    second = await manager.create_and_connect(ConnectorType.SLACK, {"bot_token": fv.CHAT_BOT_TOKEN})
    closed: list[str] = []
    original_close = first.close

    async def failing_close() -> None:
        await original_close()
        closed.append("first")
        raise ConnectorError("close failed")

    first.close = failing_close  # type: ignore[method-assign]
    with pytest.raises(ConnectorError, match="close failed"):
        await manager.close_all()
    assert closed == ["first"]
    assert not second.connected
    assert manager.get_active_connectors() == []


async def test_manager_raises_when_the_connection_test_fails() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "down"})

    factory = UniversalConnectorFactory(discover=False)
    factory.register(
        ConnectorRegistration(
            connector_type=ConnectorType.SLACK,
            connector_class=fv.SlackConnector,
            auth_service_class=fv.SlackAuthenticationService,
            data_service_class=fv.SlackDataService,
            config=fv.chat_config("http://127.0.0.1:1").evolve(retry={"attempts": 1}),
        )
    )
    manager = ConnectorManager(factory)
    with pytest.raises(ConnectorError, match="connection test failed"):
        await manager.create_and_connect(
            ConnectorType.SLACK,
            {"bot_token": fv.CHAT_BOT_TOKEN},
            transport=httpx.MockTransport(handler),
        )
    assert manager.get_active_connectors() == []


async def test_http_stream_hands_back_an_unread_body_and_maps_errors(
    factory: UniversalConnectorFactory,
) -> None:
    chunks = [b"part-1;", b"part-2;", b"part-3"]

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/missing"):
            return httpx.Response(404, json={"error": "nope"})
        return httpx.Response(200, content=body())

    connector = factory.create_connector(
        ConnectorType.SLACK, transport=httpx.MockTransport(handler)
    )
    await connector.connect({"bot_token": fv.CHAT_BOT_TOKEN})
    response = await connector.http.stream("GET", "files/big", operation="download")
    try:
        assert not response.is_stream_consumed
        received = [chunk async for chunk in response.aiter_bytes()]
    finally:
        await response.aclose()
    assert b"".join(received) == b"".join(chunks)
    with pytest.raises(NotFoundError) as caught:
        await connector.http.stream("GET", "files/missing", operation="download")
    assert caught.value.body_excerpt == '{"error":"nope"}'
    assert connector.monitoring_service.operations["download"].requests == 2
    await connector.close()
