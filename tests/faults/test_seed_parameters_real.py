"""The seed's generic access sends every kind of parameter where its operation takes it,
as a real server receives it: header parameters (a tenant id) as headers, the fields of a
POST listing in its JSON body, a header change cursor as that header, on resume too."""

from __future__ import annotations

import json
from typing import Any

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    IncrementalCursor,
    Resource,
    UniversalConnectorFactory,
)
from tests.servers import RecorderSpec, run_server

TOKEN = "seed-params-token-7"


class _Data(BaseDataService):
    RESOURCES = (
        Resource(
            name="invoices",
            list_path="/invoices",
            get_path="/invoices/{id}",
            items_path="items",
            list_headers={"tenant_id": "Tenant-Id", "if_modified_since": "If-Modified-Since"},
            get_headers={"tenant_id": "Tenant-Id"},
            incremental=IncrementalCursor(
                param="If-Modified-Since", field="updated", in_header=True
            ),
        ),
        Resource(
            name="sources",
            list_path="/sources/list",
            list_method="POST",
            items_path="items",
            list_body={"limit": 50},
            list_in_body=True,
            list_query=frozenset({"region"}),
        ),
    )


def _connector(url: str) -> BaseConnectorService:
    config = ConnectorConfig(
        connector_type="seed_params",
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=url,
        retry={"attempts": 1},
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "seed_params", BaseConnectorService, BaseAuthenticationService, _Data, config
    )
    connector = factory.create_connector("seed_params")
    connector.use_credentials({"access_token": TOKEN})
    return connector


async def test_header_parameters_go_as_headers_by_keyword_or_by_name() -> None:
    with run_server(RecorderSpec()) as server:
        async with _connector(server.url) as connector:
            data = connector.data_service
            await data.list_items("/invoices", tenant_id="t-1", status="open")
            await data.list_items("/invoices", **{"Tenant-Id": "t-2"})
            await data.list_items("/invoices", tenant_id=None)
            await data.get_item_metadata("inv 9", "invoices", tenant_id="t-3")
        first, by_name, unset, get = server.recording().arrivals
    assert first.headers.get("tenant-id") == "t-1"
    assert dict(first.query) == {"status": "open"}  # the header is not also a query key
    assert by_name.headers.get("tenant-id") == "t-2"
    assert "tenant-id" not in unset.headers
    assert dict(unset.query) == {}
    assert get.headers.get("tenant-id") == "t-3"
    assert get.path == "/invoices/inv%209"
    assert dict(get.query) == {}


async def test_a_post_listing_takes_its_keywords_in_the_body_but_its_query_ones() -> None:
    with run_server(RecorderSpec()) as server:
        async with _connector(server.url) as connector:
            await connector.data_service.list_items(
                "/sources", workspaceIds=["w1", "w2"], region="eu"
            )
        (arrival,) = server.recording().arrivals
    assert arrival.method == "POST"
    assert json.loads(arrival.body) == {"limit": 50, "workspaceIds": ["w1", "w2"]}
    assert dict(arrival.query) == {"region": "eu"}


async def test_a_header_change_cursor_is_sent_as_that_header() -> None:
    with run_server(RecorderSpec()) as server:
        async with _connector(server.url) as connector:
            changes: Any = connector.data_service.changes(
                "/invoices", since="2026-11-30T00:00:00Z", tenant_id="t-4"
            )
            assert [item async for item in changes] == []
        (arrival,) = server.recording().arrivals
    assert arrival.headers.get("if-modified-since") == "2026-11-30T00:00:00Z"
    assert arrival.headers.get("tenant-id") == "t-4"
    assert "If-Modified-Since" not in dict(arrival.query)
