"""The seed's usage examples, run as written against hand-written connectors and a real
local HTTP server (see tests/fake_vendors.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from connectory.core import (
    AuthenticationError,
    AuthenticationType,
    BaseErrorHandlingService,
    ConnectorBuilder,
    ConnectorConfig,
    ConnectorManager,
    ConnectorType,
    IConnectorService,
    UniversalConnectorFactory,
)
from tests import fake_vendors as fv
from tests.local_server import LocalServer

logger = logging.getLogger("tests.seed")


@pytest.fixture
def factory(server: LocalServer) -> UniversalConnectorFactory:
    """Step 5 of the seed: register the connectors at application start-up."""
    factory = UniversalConnectorFactory(logger)
    factory.register_connector_implementation(
        connector_type=ConnectorType.GOOGLE_DRIVE,
        connector_class=fv.GoogleDriveConnector,
        auth_service_class=fv.GoogleDriveAuthenticationService,
        data_service_class=fv.GoogleDriveDataService,
        config=fv.drive_config(server.url),
    )
    factory.register_connector_implementation(
        connector_type=ConnectorType.SLACK,
        connector_class=fv.SlackConnector,
        auth_service_class=fv.SlackAuthenticationService,
        data_service_class=fv.SlackDataService,
        config=fv.chat_config(server.url),
    )
    return factory


@pytest.fixture
def google_credentials() -> dict[str, str]:
    return {
        "access_token": fv.DRIVE_ACCESS_TOKEN,
        "refresh_token": fv.DRIVE_REFRESH_TOKEN,
        "client_id": "drive-client-id",
        "client_secret": fv.DRIVE_CLIENT_SECRET,
    }


async def test_step_1_configuration_as_written() -> None:
    notion_config = ConnectorConfig(
        connector_type=ConnectorType.NOTION,
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url="https://api.notion.com/v1",
        api_version="v1",
        rate_limits={
            "requests_per_second": 3,
            "requests_per_minute": 180,
            "requests_per_day": 100000,
        },
        scopes=["read", "write"],
        webhook_support=True,
        batch_operations=False,
        real_time_sync=True,
    )
    assert notion_config.rate_limits.windows() == ((1.0, 3), (60.0, 180), (86_400.0, 100_000))
    assert notion_config.scopes == ("read", "write")
    assert notion_config.credential_fields == ("access_token",)


async def test_basic_usage(
    server: LocalServer, factory: UniversalConnectorFactory, google_credentials: dict[str, str]
) -> None:
    google_drive_config = fv.drive_config(server.url)

    # Create connector
    connector = factory.create_connector(ConnectorType.GOOGLE_DRIVE, google_drive_config)

    # Connect
    credentials = google_credentials
    found: list[dict[str, Any]] = []
    if await connector.connect(credentials):
        # List items
        items = await connector.data_service.list_items()
        found = items
        print(f"Found {len(items)} items")

    assert [item["name"] for item in found] == ["files"]
    files = await connector.data_service.list_items("/files")
    assert files == fv.FILES
    page_sizes = [r.query.get("pageSize") for r in server.received if r.path.endswith("/files")]
    assert page_sizes == ["3", "3", "3"]
    await connector.close()


async def test_builder_pattern(server: LocalServer, factory: UniversalConnectorFactory) -> None:
    slack_config = fv.chat_config(server.url)
    seen: list[str] = []

    class RecordingErrorService(BaseErrorHandlingService):
        def handle_api_error(self, error: Exception, context: Mapping[str, Any]) -> Exception:
            seen.append(str(context.get("operation")))
            return super().handle_api_error(error, context)

    custom_error_service = RecordingErrorService()

    # Use builder for custom configuration
    builder = ConnectorBuilder(factory)
    connector = (
        builder.for_connector_type(ConnectorType.SLACK)
        .with_config(slack_config)
        .with_custom_error_service(custom_error_service)
        .build()
    )

    await connector.connect({"bot_token": fv.CHAT_BOT_TOKEN})

    assert connector.error_service is custom_error_service
    channels = await connector.data_service.list_items("/conversations")
    assert channels == fv.CHANNELS
    assert await connector.data_service.get_item_metadata("C3", resource="conversations") == {
        "id": "C3",
        "name": "channel-3",
    }
    assert await connector.data_service.get_item_metadata("/users/U9") is None
    assert seen == ["get_users"]  # the 404 went through the custom error service
    await connector.close()


async def test_manager_pattern(
    factory: UniversalConnectorFactory, google_credentials: dict[str, str]
) -> None:
    slack_credentials = {"bot_token": fv.CHAT_BOT_TOKEN}

    # Manage multiple connectors
    manager = ConnectorManager(factory)

    # Create multiple connectors
    google_connector = await manager.create_and_connect(
        ConnectorType.GOOGLE_DRIVE, google_credentials
    )

    slack_connector = await manager.create_and_connect(ConnectorType.SLACK, slack_credentials)

    # Get all active connectors
    active_connectors = manager.get_active_connectors()

    assert active_connectors == [google_connector, slack_connector]
    await manager.close_all()
    assert manager.get_active_connectors() == []
    assert not google_connector.connected


async def test_manager_refuses_and_closes_a_connector_that_cannot_connect(
    factory: UniversalConnectorFactory,
) -> None:
    manager = ConnectorManager(factory)
    with pytest.raises(AuthenticationError):
        await manager.create_and_connect(ConnectorType.SLACK, {"bot_token": "xoxb-wrong"})
    assert manager.get_active_connectors() == []


async def test_liskov_any_connector_through_the_interface(
    factory: UniversalConnectorFactory, google_credentials: dict[str, str]
) -> None:
    async def process_connector(
        connector: IConnectorService, credentials: dict[str, str]
    ) -> list[dict[str, Any]]:
        await connector.connect(credentials)
        items = await connector.data_service.list_items()
        await connector.close()
        return items

    drive = await process_connector(
        factory.create_connector(ConnectorType.GOOGLE_DRIVE), google_credentials
    )
    chat = await process_connector(
        factory.create_connector(ConnectorType.SLACK), {"bot_token": fv.CHAT_BOT_TOKEN}
    )
    assert [r["name"] for r in drive] == ["files"]
    assert [r["name"] for r in chat] == ["conversations", "users"]


async def test_rate_limiting_best_practice(factory: UniversalConnectorFactory) -> None:
    connector = factory.create_connector(ConnectorType.SLACK)
    calls = 0
    # Always respect rate limits
    for _ in range(3):
        async with connector.rate_limiter.acquire_permission("operation"):
            calls += 1  # Make API call
    assert calls == 3
    # Each permit counted against the configured per-minute window (50).
    waits_before = connector.rate_limiter.waits
    assert waits_before == 0
    await connector.close()


async def test_metrics_and_health(
    factory: UniversalConnectorFactory, google_credentials: dict[str, str]
) -> None:
    connector = factory.create_connector(ConnectorType.GOOGLE_DRIVE)
    await connector.connect(google_credentials)
    monitoring_service = connector.monitoring_service

    # Automatic metric collection
    monitoring_service.record_metric("api_calls", 1, {"connector": "google_drive"})
    monitoring_service.record_event("connector_connected", {"connector_type": "slack"})

    # Health status for each connector
    health_status = await connector.monitoring_service.get_health_status()

    assert health_status["status"] == "healthy"
    assert health_status["connected"] is True
    assert health_status["requests_total"] == 1  # the connection test
    snapshot = monitoring_service.metrics_snapshot()
    assert snapshot["metrics"] == [
        {"name": "api_calls", "tags": {"connector": "google_drive"}, "value": 1.0}
    ]
    assert snapshot["operations"]["test_connection"]["requests"] == 1
    assert [e["event"] for e in monitoring_service.events] == [
        "connector_connected",
        "connector_connected",
    ]
    await connector.close()


async def test_error_handling_best_practice(
    factory: UniversalConnectorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    connector = factory.create_connector(ConnectorType.SLACK)
    context = {"connector": "slack", "channel": "C1"}
    caplog.set_level(logging.WARNING, logger="connectory")
    try:
        raise ValueError("something broke")
    except ValueError as e:
        # Always use the error service
        connector.error_service.log_error(e, "operation_name", context)
    assert "operation_name failed: something broke" in caplog.text
    await connector.close()


async def test_testing_section_auth_service_alone(server: LocalServer) -> None:
    config = fv.drive_config(server.url)
    credentials = {"access_token": fv.DRIVE_ACCESS_TOKEN}
    auth_service = fv.GoogleDriveAuthenticationService(logger, config)
    result = await auth_service.authenticate(credentials)
    assert result == True  # noqa: E712 - the seed's own assertion
    assert auth_service.get_auth_headers() == {"authorization": f"Bearer {fv.DRIVE_ACCESS_TOKEN}"}


async def test_expired_drive_token_is_refreshed_transparently(
    server: LocalServer, factory: UniversalConnectorFactory, google_credentials: dict[str, str]
) -> None:
    stored: list[str | None] = []
    connector = factory.create_connector(
        ConnectorType.GOOGLE_DRIVE, token_store=lambda token: stored.append(token.access_token)
    )
    expired = {**google_credentials, "access_token": "ya29.expired", "expires_at": "1"}
    assert await connector.connect(expired)
    assert stored == [fv.DRIVE_REFRESHED_TOKEN]
    token_requests = [r for r in server.received if r.path == "/token"]
    assert len(token_requests) == 1
    assert token_requests[0].form()["grant_type"] == "refresh_token"
    await connector.close()
