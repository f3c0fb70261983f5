"""Pagination strategies against fake vendor servers, and the safety rules of the walk.

Each fake server is a plain handler over `httpx.MockTransport` that records what it was
asked, so the tests can check both what came out of the iterator and what went out on the
wire (how many requests, to which host).
"""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectory.core._errors import NotFoundError, PaginationError
from connectory.core._pagination import (
    CursorInBody,
    CursorInHeader,
    LinkHeader,
    NextUrlInBody,
    NoPagination,
    OffsetLimit,
    PageNumber,
    PageRequest,
    Paginator,
    Send,
    get_path,
    iterate_items,
    iterate_pages,
)

BASE = "https://api.example.com/v1"
Handler = Callable[[httpx.Request], httpx.Response]


def sender(client: httpx.AsyncClient) -> Send:
    async def send(request: PageRequest) -> httpx.Response:
        return await client.request(
            request.method,
            request.url,
            params=dict(request.params),
            json=request.json,
            headers=dict(request.headers),
        )

    return send


@attrs.define
class Recorder:
    """Wraps a handler and keeps every request it was sent."""

    handler: Handler
    requests: list[httpx.Request] = attrs.field(factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


async def fetch_items(
    server: Handler,
    request: PageRequest,
    paginator: Paginator,
    items_path: str | None,
    *,
    max_pages: int | None = None,
) -> list[Any]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), base_url=BASE) as client:
        return [
            item
            async for item in iterate_items(
                sender(client),
                request,
                paginator,
                base_url=BASE,
                items_path=items_path,
                max_pages=max_pages,
            )
        ]


async def fetch_until_error(
    server: Handler, request: PageRequest, paginator: Paginator, items_path: str | None
) -> tuple[list[Any], PaginationError]:
    """The items yielded before the walk raised, and the error it raised."""
    items: list[Any] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), base_url=BASE) as client:
        pages = iterate_pages(
            sender(client), request, paginator, base_url=BASE, items_path=items_path
        )

        async def drain() -> None:
            async for page in pages:
                items.extend(page.items)

        with pytest.raises(PaginationError) as caught:
            await drain()
    return items, caught.value


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    return int(base64.urlsafe_b64decode(cursor).decode().split(":")[1]) if cursor else 0


# --- Fake vendors -------------------------------------------------------------------------


def slack_like(data: list[Any]) -> Handler:
    """GET conversations.list?limit=&cursor=; cursor in response_metadata, "" at the end."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/conversations.list"
        start = decode_cursor(request.url.params.get("cursor"))
        chunk = data[start : start + int(request.url.params["limit"])]
        end = start + len(chunk)
        cursor = encode_cursor(end) if end < len(data) else ""
        body = {"ok": True, "channels": chunk, "response_metadata": {"next_cursor": cursor}}
        return httpx.Response(200, json=body)

    return handle


def notion_like(data: list[Any]) -> Handler:
    """POST search with start_cursor and page_size in the JSON body; has_more + next_cursor."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/v1/search"
        assert not request.url.query
        sent = httpx.Response(200, content=request.content).json()
        start = decode_cursor(sent.get("start_cursor"))
        chunk = data[start : start + sent["page_size"]]
        end = start + len(chunk)
        more = end < len(data)
        body = {
            "object": "list",
            "results": chunk,
            "next_cursor": encode_cursor(end) if more else None,
            "has_more": more,
        }
        return httpx.Response(200, json=body)

    return handle


def header_cursor(data: list[Any], size: int) -> Handler:
    """A bare list body; the next cursor in X-Next-Cursor, absent on the last page."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = decode_cursor(request.url.params.get("cursor"))
        chunk = data[start : start + size]
        end = start + len(chunk)
        headers = {"X-Next-Cursor": encode_cursor(end)} if end < len(data) else {}
        return httpx.Response(200, json=chunk, headers=headers)

    return handle


def offset_limit(data: list[Any]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        return httpx.Response(
            200, json={"items": data[offset : offset + limit], "total": len(data)}
        )

    return handle


def page_number(data: list[Any]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        size = int(request.url.params["per_page"])
        chunk = data[(page - 1) * size : page * size]
        meta = {"page": page, "total_pages": math.ceil(len(data) / size)}
        return httpx.Response(200, json={"tickets": chunk, "meta": meta})

    return handle


def github_like(data: list[Any]) -> Handler:
    """Bare list body; Link header with absolute URLs that carry every query param."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/repos/octo/hello/issues"
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params["per_page"])
        last = max(1, math.ceil(len(data) / size))
        links = []
        if page < last:
            links.append(f'<{request.url.copy_set_param("page", page + 1)}>; rel="next"')
            links.append(f'<{request.url.copy_set_param("page", last)}>; rel="last"')
        if page > 1:
            links.append(f'<{request.url.copy_set_param("page", 1)}>; rel="first"')
        headers = {"Link": ", ".join(links)} if links else {}
        return httpx.Response(200, json=data[(page - 1) * size : page * size], headers=headers)

    return handle


def odata_like(data: list[Any], size: int, *, relative: bool) -> Handler:
    """Microsoft Graph style: "value" and "@odata.nextLink" carrying $top and $skiptoken."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = decode_cursor(request.url.params.get("$skiptoken"))
        chunk = data[start : start + size]
        body: dict[str, Any] = {"@odata.context": "https://api.example.com/v1/$metadata#users"}
        body["value"] = chunk
        if start + len(chunk) < len(data):
            query = f"$top={size}&$skiptoken={encode_cursor(start + len(chunk))}"
            body["@odata.nextLink"] = (
                f"/v1/users?{query}" if relative else f"https://api.example.com/v1/users?{query}"
            )
        return httpx.Response(200, json=body)

    return handle


def whole_list(data: list[Any]) -> Handler:
    return lambda request: httpx.Response(200, json={"data": data})


# --- One realistic walk per strategy -----------------------------------------------------

DATA = [{"id": n} for n in range(7)]


async def test_cursor_in_body_slack() -> None:
    server = Recorder(slack_like(DATA))
    paginator = CursorInBody(
        cursor_path="response_metadata.next_cursor", limit_param="limit", page_size=3
    )
    request = PageRequest(url="conversations.list", params={"types": "public_channel"})
    assert await fetch_items(server, request, paginator, "channels") == DATA
    assert len(server.requests) == 3
    assert "cursor" not in server.requests[0].url.params
    assert all(r.url.params["types"] == "public_channel" for r in server.requests)


async def test_cursor_in_body_notion_post() -> None:
    server = Recorder(notion_like(DATA))
    paginator = CursorInBody(
        cursor_param="start_cursor",
        has_more_path="has_more",
        in_body=True,
        limit_param="page_size",
        page_size=4,
    )
    request = PageRequest(method="POST", url="/search", json={"query": "roadmap"})
    assert await fetch_items(server, request, paginator, "results") == DATA
    bodies = [httpx.Response(200, content=r.content).json() for r in server.requests]
    assert bodies[0] == {"query": "roadmap", "page_size": 4}
    assert bodies[1] == {"query": "roadmap", "page_size": 4, "start_cursor": encode_cursor(4)}


async def test_cursor_in_body_has_more_false_wins_over_a_cursor() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": [1], "has_more": False, "next_cursor": "c"})

    server = Recorder(handle)
    paginator = CursorInBody(has_more_path="has_more")
    assert await fetch_items(server, PageRequest(url="search"), paginator, "results") == [1]
    assert len(server.requests) == 1


async def test_cursor_in_header() -> None:
    server = Recorder(header_cursor(DATA, 2))
    assert await fetch_items(server, PageRequest(url="events"), CursorInHeader(), None) == DATA
    cursors = [r.url.params.get("cursor") for r in server.requests]
    assert cursors == [None, encode_cursor(2), encode_cursor(4), encode_cursor(6)]


async def test_offset_limit_stops_at_total_without_an_empty_page() -> None:
    server = Recorder(offset_limit(DATA[:6]))
    paginator = OffsetLimit(page_size=3, total_path="total")
    assert await fetch_items(server, PageRequest(url="contacts"), paginator, "items") == DATA[:6]
    assert [r.url.params["offset"] for r in server.requests] == ["0", "3"]


async def test_offset_limit_starts_at_the_callers_offset() -> None:
    server = Recorder(offset_limit(DATA))
    request = PageRequest(url="contacts", params={"offset": 2})
    assert await fetch_items(server, request, OffsetLimit(page_size=4), "items") == DATA[2:]


async def test_page_number_with_total_pages() -> None:
    server = Recorder(page_number(DATA[:6]))
    paginator = PageNumber(page_size=2, total_pages_path="meta.total_pages")
    assert await fetch_items(server, PageRequest(url="tickets"), paginator, "tickets") == DATA[:6]
    assert [r.url.params["page"] for r in server.requests] == ["1", "2", "3"]


async def test_link_header_github_does_not_duplicate_params() -> None:
    server = Recorder(github_like(DATA))
    request = PageRequest(url="/repos/octo/hello/issues", params={"state": "open", "per_page": 3})
    assert await fetch_items(server, request, LinkHeader(), None) == DATA
    assert [r.url.params.get("page") for r in server.requests] == [None, "2", "3"]
    for sent in server.requests:
        assert sent.url.params.get_list("per_page") == ["3"]
        assert sent.url.params.get_list("state") == ["open"]


@pytest.mark.parametrize("relative", [False, True])
async def test_next_url_in_body_odata(relative: bool) -> None:
    server = Recorder(odata_like(DATA, 3, relative=relative))
    request = PageRequest(url="users", params={"$top": 3})
    paginator = NextUrlInBody(next_path="@odata.nextLink")
    assert await fetch_items(server, request, paginator, "value") == DATA
    assert [r.url.params.get_list("$top") for r in server.requests] == [["3"]] * 3
    assert all(str(r.url).startswith("https://api.example.com/v1/users?") for r in server.requests)


@pytest.mark.parametrize("link", ["https://api.example.com/v1/users?p=\x0f", "http://[::1"])
async def test_a_next_link_that_is_no_url_is_a_pagination_error(link: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": [1], "@odata.nextLink": link})

    server = Recorder(handler)
    paginator = NextUrlInBody(next_path="@odata.nextLink")
    with pytest.raises(PaginationError, match="not a valid URL") as raised:
        await fetch_items(server, PageRequest(url="users"), paginator, "value")
    assert link not in str(raised.value)
    assert len(server.requests) == 1


async def test_no_pagination() -> None:
    server = Recorder(whole_list(DATA))
    assert await fetch_items(server, PageRequest(url="teams"), NoPagination(), "data") == DATA
    assert len(server.requests) == 1


# --- Properties: every strategy yields exactly the dataset --------------------------------

Scenario = Callable[[list[Any], int], tuple[Handler, PageRequest, Paginator, str | None]]

SCENARIOS: dict[str, Scenario] = {
    "cursor-query": lambda data, size: (
        slack_like(data),
        PageRequest(url="conversations.list"),
        CursorInBody(
            cursor_path="response_metadata.next_cursor", limit_param="limit", page_size=size
        ),
        "channels",
    ),
    "cursor-body": lambda data, size: (
        notion_like(data),
        PageRequest(method="POST", url="search"),
        CursorInBody(
            cursor_param="start_cursor",
            has_more_path="has_more",
            in_body=True,
            limit_param="page_size",
            page_size=size,
        ),
        "results",
    ),
    "cursor-header": lambda data, size: (
        header_cursor(data, size),
        PageRequest(url="events"),
        CursorInHeader(),
        None,
    ),
    "offset": lambda data, size: (
        offset_limit(data),
        PageRequest(url="contacts"),
        OffsetLimit(page_size=size),
        "items",
    ),
    "offset-total": lambda data, size: (
        offset_limit(data),
        PageRequest(url="contacts"),
        OffsetLimit(page_size=size, total_path="total"),
        "items",
    ),
    "page-number": lambda data, size: (
        page_number(data),
        PageRequest(url="tickets"),
        PageNumber(page_size=size),
        "tickets",
    ),
    "page-number-total": lambda data, size: (
        page_number(data),
        PageRequest(url="tickets"),
        PageNumber(page_size=size, total_pages_path="meta.total_pages"),
        "tickets",
    ),
    "link-header": lambda data, size: (
        github_like(data),
        PageRequest(url="repos/octo/hello/issues", params={"per_page": size}),
        LinkHeader(),
        None,
    ),
    "next-url-absolute": lambda data, size: (
        odata_like(data, size, relative=False),
        PageRequest(url="users"),
        NextUrlInBody(next_path="@odata.nextLink"),
        "value",
    ),
    "next-url-relative": lambda data, size: (
        odata_like(data, size, relative=True),
        PageRequest(url="users"),
        NextUrlInBody(next_path="@odata.nextLink"),
        "value",
    ),
    "none": lambda data, size: (whole_list(data), PageRequest(url="teams"), NoPagination(), "data"),
}


@st.composite
def listings(draw: st.DrawFn) -> tuple[int, int]:
    """A dataset size (0..300) and page size (1..50) spanning at most a dozen full pages.

    The boundaries that matter (empty, one short page, an exact multiple of the page size,
    one item over) all fit in a dozen pages; longer walks exercise nothing new, only time.
    """
    size = draw(st.integers(min_value=1, max_value=50))
    return draw(st.integers(min_value=0, max_value=min(300, 12 * size))), size


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@settings(max_examples=50, deadline=None)
@given(listing=listings())
def test_every_strategy_yields_the_dataset_exactly(name: str, listing: tuple[int, int]) -> None:
    count, size = listing
    data = [{"id": n} for n in range(count)]
    handler, request, paginator, items_path = SCENARIOS[name](data, size)
    server = Recorder(handler)
    assert asyncio.run(fetch_items(server, request, paginator, items_path)) == data
    assert len(server.requests) == expected_requests(name, count, size)


# Without a total or a next marker, a full last page can only be told from the others by
# asking for the page after it, which comes back empty.
STOPS_ON_SHORT_PAGE = {"offset", "page-number"}


def expected_requests(scenario: str, count: int, size: int) -> int:
    if scenario == "none":
        return 1
    if scenario in STOPS_ON_SHORT_PAGE:
        return count // size + 1
    return max(1, math.ceil(count / size))


# --- Misbehaving servers -----------------------------------------------------------------


async def test_repeated_cursor_raises_instead_of_looping() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [request.url.params.get("cursor")], "next": "c1"})

    server = Recorder(handle)
    paginator = CursorInBody(cursor_path="next")
    items, error = await fetch_until_error(server, PageRequest(url="things"), paginator, "items")
    assert "repeated cursor" in str(error)
    assert items == [None, "c1"]
    assert len(server.requests) == 2


async def test_cursor_cycle_raises() -> None:
    cycle = {"": "a", "a": "b", "b": "a"}

    def handle(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "")
        return httpx.Response(200, json={"items": [cursor], "next_cursor": cycle[cursor]})

    server = Recorder(handle)
    items, _ = await fetch_until_error(server, PageRequest(url="x"), CursorInBody(), "items")
    assert items == ["", "a", "b"]


@pytest.mark.parametrize(
    ("paginator", "headers", "body"),
    [
        (LinkHeader(), {"Link": f'<{BASE}/items?page=2>; rel="next"'}, {"items": [1]}),
        (NextUrlInBody(next_path="links.next"), {}, {"items": [1], "links": {"next": "?page=2"}}),
    ],
)
async def test_same_next_link_forever_raises(
    paginator: Paginator, headers: dict[str, str], body: dict[str, Any]
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**body, "url": str(request.url)}, headers=headers)

    server = Recorder(handle)
    request = PageRequest(url="items", params={"page": 1})
    _, error = await fetch_until_error(server, request, paginator, "items")
    assert "repeated cursor" in str(error)
    assert [str(r.url) for r in server.requests] == [f"{BASE}/items?page=1", f"{BASE}/items?page=2"]


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/v1/items?page=2",
        "//evil.example/v1/items?page=2",
        "http://api.example.com/v1/items?page=2",
        "https://api.example.com:8443/v1/items?page=2",
        "https://api.example.com.evil.example/v1/items?page=2",
        "javascript:alert(1)",
    ],
)
@pytest.mark.parametrize("via", ["link-header", "body"])
async def test_next_link_to_another_origin_is_never_sent(elsewhere: str, via: str) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if via == "link-header":
            return httpx.Response(200, json=[1], headers={"Link": f'<{elsewhere}>; rel="next"'})
        return httpx.Response(200, json={"items": [1], "next": elsewhere})

    server = Recorder(handle)
    paginator: Paginator = LinkHeader() if via == "link-header" else NextUrlInBody()
    items_path = None if via == "link-header" else "items"
    items, error = await fetch_until_error(server, PageRequest(url="items"), paginator, items_path)
    assert items == [1]
    assert "another origin" in str(error)
    assert [(r.url.scheme, r.url.host, r.url.port) for r in server.requests] == [
        ("https", "api.example.com", None)
    ]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("//api.example.com/v1/items", True),
        ("https://API.example.com:443/v1/items", True),
        ("//evil.example/v1/items", False),
        ("https://evil.example/v1/items", False),
    ],
)
async def test_the_first_request_is_held_to_the_origin_too(url: str, allowed: bool) -> None:
    server = Recorder(lambda request: httpx.Response(200, json=[]))
    walk = fetch_items(server, PageRequest(url=url), NoPagination(), None)
    if allowed:
        assert await walk == []
    else:
        with pytest.raises(PaginationError, match="another origin"):
            await walk
        assert server.requests == []


async def test_cross_origin_error_redacts_the_url() -> None:
    elsewhere = "https://evil.example/items?access_token=s3cr3t-value&page=2"

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [1], "next": elsewhere})

    _, error = await fetch_until_error(handle, PageRequest(url="items"), NextUrlInBody(), "items")
    assert "s3cr3t-value" not in str(error)
    assert error.url is not None
    assert error.url.startswith("https://evil.example/")


@pytest.mark.parametrize(
    ("body", "items_path", "mentioned"),
    [
        ({"data": [1, 2]}, "results", "'results'"),
        ({"data": {"rows": [1]}}, "data", "'data'"),
        ({"data": [1]}, None, "top level"),
    ],
)
async def test_items_not_a_list_at_the_path_raises(
    body: dict[str, Any], items_path: str | None, mentioned: str
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    _, error = await fetch_until_error(handle, PageRequest(url="x"), NoPagination(), items_path)
    assert mentioned in str(error)


async def test_body_that_is_not_json_raises() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    _, error = await fetch_until_error(handle, PageRequest(url="x"), NoPagination(), None)
    assert "not JSON" in str(error)


async def test_server_ignoring_the_page_param_raises() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        # The first page whatever the page number; empty after a while so the test can end.
        return httpx.Response(200, json={"data": [1, 2] if len(server.requests) < 5 else []})

    server = Recorder(handle)
    paginator = PageNumber(page_param="pg", size_param="size", page_size=2)
    items, error = await fetch_until_error(server, PageRequest(url="x"), paginator, "data")
    assert "repeats page 1" in str(error)
    assert items == [1, 2]


async def test_error_status_raises_the_matching_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(200, json=[1, 2])

    with pytest.raises(NotFoundError):
        await fetch_items(handle, PageRequest(url="x"), PageNumber(page_size=2), None)


# --- Bounds and laziness -----------------------------------------------------------------


def long_listing(request: httpx.Request) -> httpx.Response:
    """One item a page, for a hundred pages: a walk that ignores its bounds fails, not hangs."""
    cursor = int(request.url.params.get("cursor", "0"))
    following = str(cursor + 1) if cursor < 99 else None
    return httpx.Response(200, json={"items": [cursor], "next_cursor": following})


async def test_max_pages_stops_quietly() -> None:
    server = Recorder(long_listing)
    items = await fetch_items(server, PageRequest(url="x"), CursorInBody(), "items", max_pages=3)
    assert items == [0, 1, 2]
    assert len(server.requests) == 3


async def test_max_pages_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_pages"):
        await fetch_items(long_listing, PageRequest(url="x"), CursorInBody(), "items", max_pages=0)


async def test_pages_are_fetched_only_when_asked_for() -> None:
    server = Recorder(long_listing)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server), base_url=BASE) as client:
        items = iterate_items(
            sender(client), PageRequest(url="x"), CursorInBody(), base_url=BASE, items_path="items"
        )
        assert await anext(items) == 0
        assert len(server.requests) == 1
        pages = iterate_pages(
            sender(client), PageRequest(url="x"), CursorInBody(), base_url=BASE, items_path="items"
        )
        assert len(server.requests) == 1
        first = await anext(pages)
        assert (first.number, first.items, len(server.requests)) == (1, [0], 2)
        second = await anext(pages)
        assert (second.number, second.items, len(server.requests)) == (2, [1], 3)
        await items.aclose()
        await pages.aclose()


# --- Parsing helpers ---------------------------------------------------------------------


JSON = {
    "paging": {"next": {"link": "/p2"}},
    "@odata.nextLink": "odata",
    "a": {"b": {"c": "nested"}},
    "rows": [{"id": 10}, {"id": 20}],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("paging.next.link", "/p2"),
        ("@odata.nextLink", "odata"),
        ("a.b.c", "nested"),
        ("rows.1.id", 20),
        ("rows.2.id", None),
        ("rows.x", None),
        ("missing.path", None),
        ("paging.next.link.deeper", None),
    ],
)
def test_get_path(path: str, expected: Any) -> None:
    assert get_path(JSON, path) == expected


@pytest.mark.parametrize("path", [None, ""])
def test_get_path_of_nothing_is_the_data_itself(path: str | None) -> None:
    assert get_path(JSON, path) is JSON


def test_get_path_prefers_the_longest_literal_key() -> None:
    assert get_path({"a.b": {"c": 1}, "a": {"b": {"c": 2}}}, "a.b.c") == 1
    assert get_path({"a.b.c": 0, "a.b": {"c": 1}}, "a.b.c") == 0


def linked(header: str, url: str = f"{BASE}/items?page=1") -> httpx.Response:
    return httpx.Response(200, headers={"Link": header}, request=httpx.Request("GET", url))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f'<{BASE}/i?page=2>; rel="next", <{BASE}/i?page=9>; rel="last"', f"{BASE}/i?page=2"),
        (f'<{BASE}/i?page=9>; rel="last", <{BASE}/i?page=2>; rel=next', f"{BASE}/i?page=2"),
        (f'<{BASE}/i?page=2>; rel="next last"', f"{BASE}/i?page=2"),
        (f'<{BASE}/i?page=2>; REL="Next"', f"{BASE}/i?page=2"),
        (f'<{BASE}/i;v=2?page=2>; title="a, <b>; rel=prev"; rel="next"', f"{BASE}/i;v=2?page=2"),
        ('</v1/i?page=2>; rel="next"', f"{BASE}/i?page=2"),
        ('<?page=2>; rel="next"', f"{BASE}/items?page=2"),
        (f'<{BASE}/i?label=a&label=b&page=2>; rel="next"', f"{BASE}/i?label=a&label=b&page=2"),
        (f'<{BASE}/i?page=1>; rel="prev"', None),
        ('<>; rel="next"', None),
        ("", None),
    ],
)
def test_link_header_parsing(header: str, expected: str | None) -> None:
    request = PageRequest(url="items", params={"page": 1, "per_page": 5})
    following = LinkHeader().next_request(request, linked(header), [])
    assert (
        str(httpx.URL(following.url, params=following.params)) if following else None
    ) == expected


def test_link_from_a_response_without_request_is_left_for_send_to_join() -> None:
    response = httpx.Response(200, headers={"Link": '</v1/i?page=2>; rel="next"'})
    following = LinkHeader().next_request(PageRequest(url="i"), response, [])
    assert following == PageRequest(url="/v1/i", params={"page": "2"})


@pytest.mark.parametrize("link", ["users?page=2", "?page=2", "/v1/users?page=2"])
async def test_relative_next_url_resolves_against_the_page_url(link: str) -> None:
    """The base URL has a path (/v1) and no trailing slash: the link must stay under it."""

    def handle(request: httpx.Request) -> httpx.Response:
        following = None if request.url.query else link
        return httpx.Response(200, json={"items": [str(request.url)], "next": following})

    items = await fetch_items(handle, PageRequest(url="users"), NextUrlInBody(), "items")
    assert items == [f"{BASE}/users", f"{BASE}/users?page=2"]


def test_page_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="page_size"):
        OffsetLimit(page_size=0)
    with pytest.raises(ValueError, match="page_size"):
        CursorInBody(page_size=0)


async def _one_page(response: httpx.Response, items_path: str | None, optional: bool) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        return response

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url=BASE) as client:
        pages = iterate_pages(
            sender(client),
            PageRequest(url="x"),
            NoPagination(),
            base_url=BASE,
            items_path=items_path,
            items_optional=optional,
        )
        return [page.items async for page in pages]


@pytest.mark.parametrize("optional", [False, True])
async def test_a_204_is_a_page_of_no_items(optional: bool) -> None:
    assert await _one_page(httpx.Response(204), "data", optional) == [[]]


async def test_an_absent_items_field_is_an_empty_page_only_where_the_schema_allows() -> None:
    absent = httpx.Response(200, json={"total": 0})
    assert await _one_page(absent, "data.rows", optional=True) == [[]]
    with pytest.raises(PaginationError, match=r"no list of items at 'data\.rows'"):
        await _one_page(absent, "data.rows", optional=False)  # perhaps a misspelt path


async def test_a_bare_list_where_an_object_was_declared_is_the_items() -> None:
    bare = httpx.Response(200, json=[{"id": 1}, {"id": 2}])
    assert await _one_page(bare, "data", optional=True) == [[{"id": 1}, {"id": 2}]]
    with pytest.raises(PaginationError):
        await _one_page(bare, "data", optional=False)


async def test_a_present_non_list_is_still_an_error_in_a_generated_pager() -> None:
    with pytest.raises(PaginationError, match="found str"):
        await _one_page(httpx.Response(200, json={"data": "oops"}), "data", optional=True)


async def test_an_empty_body_is_a_page_of_nothing_only_without_a_media_type() -> None:
    bare = httpx.Response(200, content=b"")
    assert await _one_page(bare, "data", optional=True) == [[]]
    labelled = httpx.Response(200, content=b"", headers={"Content-Type": "application/json"})
    with pytest.raises(PaginationError, match="empty body"):
        await _one_page(labelled, "data", optional=True)  # a broken page, not the end
    with pytest.raises(PaginationError, match="empty body"):
        await _one_page(bare, "data", optional=False)


@pytest.mark.parametrize("in_body", [False, True])
def test_a_size_the_caller_chose_is_kept_where_the_paginator_sends_it(in_body: bool) -> None:
    paginator = CursorInBody(
        cursor_path="next",
        cursor_param="cursor",
        limit_param="limit",
        page_size=1000,
        in_body=in_body,
    )
    chosen = (
        PageRequest(method="POST", url="x", json={"limit": 7})
        if in_body
        else PageRequest(url="x", params={"limit": 7})
    )
    sent = paginator.first_request(chosen)
    assert (sent.json if in_body else sent.params) == {"limit": 7}
    default = paginator.first_request(PageRequest(method="POST", url="x", json={}))
    assert (default.json if in_body else default.params) == {"limit": 1000}
