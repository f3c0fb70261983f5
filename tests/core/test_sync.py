"""Sync use, for code that runs no event loop."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectory.core import ConnectorError, ConnectorType, UniversalConnectorFactory
from tests import fake_vendors as fv
from tests.local_server import LocalServer


def test_sync_twins_work_without_an_event_loop(
    factory: UniversalConnectorFactory, server: LocalServer
) -> None:
    with factory.create_connector(ConnectorType.SLACK) as connector:
        assert connector.connect_sync({"bot_token": fv.CHAT_BOT_TOKEN})
        data = connector.data_service
        assert data.list_items_sync("/users") == fv.USERS
        assert data.get_item_metadata_sync("U1", resource="users") == fv.USERS[1]
        assert connector.test_connection_sync()


def test_sync_iteration_is_lazy(factory: UniversalConnectorFactory, server: LocalServer) -> None:
    with factory.create_connector(ConnectorType.SLACK) as connector:
        connector.connect_sync({"bot_token": fv.CHAT_BOT_TOKEN})
        before = len(server.received)
        items = connector.data_service.iter_items_sync("/conversations")
        first = next(items)
        assert first == fv.CHANNELS[0]
        assert len(server.received) == before + 1  # one page fetched, not all three
        assert [first, *items] == fv.CHANNELS


async def test_sync_call_inside_a_running_loop_is_refused(
    factory: UniversalConnectorFactory,
) -> None:
    connector = factory.create_connector(ConnectorType.SLACK)
    with pytest.raises(RuntimeError, match="await the async method"):
        connector.connect_sync({"bot_token": fv.CHAT_BOT_TOKEN})
    await connector.close()


def test_one_connector_on_two_event_loops_is_refused(factory: UniversalConnectorFactory) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "members": []})

    connector = factory.create_connector(
        ConnectorType.SLACK, transport=httpx.MockTransport(handler)
    )
    asyncio.run(connector.connect({"bot_token": fv.CHAT_BOT_TOKEN}))
    with pytest.raises(ConnectorError, match="another event loop"):
        asyncio.run(connector.data_service.list_items("/users"))
