"""A hand-written connector over the fake vendors of `tests.capabilities._servers`."""

from __future__ import annotations

from typing import Any

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    BatchEndpoint,
    ConnectorConfig,
    CursorInBody,
    IncrementalCursor,
    Model,
    NoPagination,
    Resource,
    UniversalConnectorFactory,
)
from connectory.core.models import model
from tests.capabilities._servers import TOKEN

NAME = "capability_probe"


@model
class Item(Model):
    id: str
    name: str
    size: int


@model
class Task(Model):
    id: str
    title: str
    updated_at: str
    version: int


class ProbeDataService(BaseDataService):
    RESOURCES = (
        Resource(
            name="items",
            list_path="/items",
            get_path="/items/{id}",
            paginator=NoPagination(),
            item=lambda: Item,
        ),
        Resource(
            name="batch_items",
            list_path="/items",
            get_path="/items/{id}",
            paginator=NoPagination(),
            item=lambda: Item,
            batch=BatchEndpoint(
                path="/items/batch/read",
                ids_param="inputs",
                id_key="id",
                max_size=100,
                results_path="results",
                errors_path="errors",
            ),
        ),
        Resource(
            name="tasks",
            list_path="/tasks",
            items_path="tasks",
            paginator=CursorInBody(
                cursor_path="next_cursor", cursor_param="cursor", limit_param="limit", page_size=7
            ),
            item=lambda: Task,
            incremental=IncrementalCursor(param="updated_since", field="updated_at"),
        ),
        Resource(
            name="events",
            list_path="/events",
            items_path="items",
            paginator=CursorInBody(cursor_path="nextPageToken", cursor_param="pageToken"),
            item=lambda: Task,
            incremental=IncrementalCursor(
                param="syncToken", kind="token", token_path="nextSyncToken"
            ),
        ),
    )


def probe_config(base_url: str, *, per_second: int | None = None) -> ConnectorConfig:
    return ConnectorConfig(
        connector_type=NAME,
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=base_url,
        rate_limits={"requests_per_second": per_second} if per_second else {},
        retry={"attempts": 3, "wait_initial": 0.05, "wait_max": 0.2, "wait_jitter": 0.05},
    )


def probe_connector(
    base_url: str, *, per_second: int | None = None, **options: Any
) -> BaseConnectorService:
    """A connected-to-nothing connector for `base_url`, with the fake vendor's token."""
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        NAME,
        BaseConnectorService,
        BaseAuthenticationService,
        ProbeDataService,
        probe_config(base_url, per_second=per_second),
    )
    connector = factory.create_connector(NAME, **options)
    connector.use_credentials({"access_token": TOKEN})
    return connector
