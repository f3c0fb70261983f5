"""Pagination against a real server that pages in awkward ways, counted at the server.

Every walk ends, with every item or with a typed error, and never sends a request (or a
credential) to an origin the connector does not trust.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    CursorInBody,
    LinkHeader,
    NextUrlInBody,
    PageNumber,
    PaginationError,
    Paginator,
    Resource,
    UniversalConnectorFactory,
)
from connectory.core._pagination import EMPTY_PAGE_LIMIT
from tests.servers import PaginationSpec, PagingMode, RecorderSpec, run_server

TOKEN = "paging-secret-token-42"
EVERY_ITEM = [{"id": i, "name": f"item-{i}"} for i in range(1, 26)]


def _connector(url: str, paginator: Paginator, items_path: str | None) -> BaseConnectorService:
    class Data(BaseDataService):
        RESOURCES = (
            Resource(name="items", list_path="items", items_path=items_path, paginator=paginator),
        )

    config = ConnectorConfig(
        connector_type="paging_probe",
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=url,
        retry={"attempts": 1},
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "paging_probe", BaseConnectorService, BaseAuthenticationService, Data, config
    )
    connector = factory.create_connector("paging_probe")
    connector.use_credentials({"access_token": TOKEN})
    return connector


WALKS: list[dict[str, Any]] = []


async def _walk(spec: PaginationSpec, paginator: Paginator, **params: Any) -> tuple[Any, int]:
    """The items (or the error) of a walk, and how many requests reached the server."""
    with run_server(spec) as server:
        async with _connector(server.url, paginator, "items") as connector:
            try:
                result: Any = await connector.data_service.list_items("/items", **params)
            except PaginationError as exc:
                result = exc
        requests = len(server.recording().arrivals)
    WALKS.append(
        {
            "mode": str(spec.mode),
            "page_size": spec.page_size,
            "requests": requests,
            "ended_with": type(result).__name__
            if isinstance(result, Exception)
            else f"{len(result)} items",
        }
    )
    return result, requests


@pytest.fixture(autouse=True)
def _record(figures: dict[str, Any]) -> None:
    figures["pagination"] = WALKS


CURSOR = CursorInBody(cursor_path="next_cursor", has_more_path="has_more")


@pytest.mark.parametrize("cycle", [1, 3])
async def test_a_repeated_cursor_ends_the_walk_with_an_error(cycle: int) -> None:
    result, requests = await _walk(
        PaginationSpec(mode=PagingMode.CURSOR_REPEATS, cursor_cycle=cycle), CURSOR
    )
    assert isinstance(result, PaginationError)
    assert "repeated cursor" in str(result)
    assert requests == cycle + 1  # the first page, the cycle, and nothing after


async def test_empty_pages_with_fresh_cursors_stop_at_the_budget() -> None:
    result, requests = await _walk(PaginationSpec(mode=PagingMode.EMPTY_FOREVER), CURSOR)
    assert isinstance(result, PaginationError)
    assert "empty pages in a row" in str(result)
    assert requests == EMPTY_PAGE_LIMIT


async def test_the_caller_bounds_a_walk_by_pages_and_items() -> None:
    spec = PaginationSpec(mode=PagingMode.EMPTY_FOREVER)
    result, requests = await _walk(spec, CURSOR, max_pages=3)
    assert (result, requests) == ([], 3)
    result, requests = await _walk(PaginationSpec(mode=PagingMode.CURSOR), CURSOR, max_items=12)
    assert [item["id"] for item in result] == list(range(1, 13))
    assert requests == 2  # 10 items a page: the second page had the 12th


async def test_a_next_link_to_another_origin_is_never_followed() -> None:
    with run_server(RecorderSpec()) as other:
        spec = PaginationSpec(mode=PagingMode.NEXT_URL, foreign_origin=other.url, foreign_after=1)
        result, requests = await _walk(spec, NextUrlInBody(next_path="next"))
        elsewhere = other.recording().arrivals
    assert isinstance(result, PaginationError)
    assert "another origin" in str(result)
    assert requests == 1
    assert elsewhere == ()  # nothing, so no credential, reached the other origin


async def test_link_headers_in_every_odd_form_are_followed_to_the_end() -> None:
    result, requests = await _walk(PaginationSpec(mode=PagingMode.LINK_HEADER), LinkHeader())
    assert result == EVERY_ITEM
    assert requests == 3


@pytest.mark.parametrize(
    ("size", "expected", "requests"), [(1, EVERY_ITEM, 26), (0, [], 1)], ids=["1", "0"]
)
async def test_page_sizes_of_one_and_zero(size: int, expected: Any, requests: int) -> None:
    spec = PaginationSpec(mode=PagingMode.NUMBERED, page_size=size)
    paginator = PageNumber(page_param="page", size_param="per_page", page_size=size or 1)
    result, sent = await _walk(spec, paginator)
    assert (result, sent) == (expected, requests)


async def test_a_page_size_of_zero_with_cursors_ends_with_an_error() -> None:
    result, requests = await _walk(PaginationSpec(mode=PagingMode.CURSOR, page_size=0), CURSOR)
    # The cursor of an empty page points where it was: seen twice, the walk stops.
    assert isinstance(result, PaginationError)
    assert "repeated cursor" in str(result)
    assert requests == 2
