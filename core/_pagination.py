"""Paginated listings as async iterators that fetch one page at a time.

The module has no HTTP client of its own: the caller passes `send`, a coroutine function
that turns a `PageRequest` into an `httpx.Response` (and adds auth, retries, rate limits).
A *paginator* strategy only says how to ask for the first page and how to derive the next
request from a page; `iterate_pages` does the walking and owns the safety rules, so every
strategy, including one written by a connector author, gets them for free:

* a request that repeats one already sent (a cursor or next link the server hands out
  twice) raises `PaginationError` instead of looping forever;
* a page whose body repeats the previous page word for word raises too: the server is
  ignoring the paging parameters, typically because they are misnamed;
* a request leaving the origin of ``base_url`` is never sent, because `send` attaches the
  connector's credentials to whatever it is given;
* ``max_pages`` bounds the walk; without it, a walk that goes past `DEFAULT_PAGE_BUDGET`
  pages, or gets `EMPTY_PAGE_LIMIT` empty pages in a row that still point to a next one
  (a cursor that is new on every page of nothing), raises instead of running forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import json as jsonlib
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import attrs
import httpx

from ._errors import DecodeError, PaginationError, error_for_response
from ._redact import redact_url

T = TypeVar("T")

__all__ = [
    "CursorInBody",
    "CursorInHeader",
    "LastItemCursor",
    "LinkHeader",
    "NextUrlInBody",
    "NoPagination",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "Paginator",
    "Send",
    "get_path",
    "iterate_items",
    "iterate_pages",
]


@attrs.frozen
class PageRequest:
    """What to send for one page; `send` turns it into an HTTP request.

    ``url`` is a path relative to the connector's base URL (joined the way
    ``httpx.AsyncClient(base_url=...)`` joins it) or an absolute URL, such as a next link
    taken from a response. The strategies put every query parameter in ``params``, the
    next link's own included, so a `send` that hands them to httpx as ``params=`` is right.
    """

    method: str = "GET"
    url: str = ""
    params: Mapping[str, Any] = attrs.field(factory=dict)
    json: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    options: Mapping[str, Any] = attrs.field(factory=dict)  # per-call options


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its items, the response they came from, its 1-based number,
    and where its items deviated from their schema (see `connectory.core.models`)."""

    items: list[T]
    response: httpx.Response
    number: int
    deviations: tuple[Any, ...] = ()


# Sends one page request with the connector's client (auth, retries, rate limits included)
# and returns the response with its body read.
Send: TypeAlias = Callable[[PageRequest], Awaitable[httpx.Response]]


class Paginator(Protocol):
    """How a listing pages: the first request, then each next one from the page before."""

    def first_request(self, request: PageRequest) -> PageRequest:
        """The caller's request, completed with what the first page needs (a limit, a page)."""
        ...

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        """The request for the page after `response`, or None when the listing is over."""
        ...


def get_path(data: Any, path: str | None) -> Any:
    """The value at a dotted `path` in decoded JSON, None where it does not exist.

    None or "" means `data` itself. At each level the longest prefix of the remaining path
    that is literally a key wins, so keys that contain dots (``"@odata.nextLink"``) resolve
    as written; a decimal segment indexes into a list (``"data.0.id"``).
    """
    if not path:
        return data
    if isinstance(data, Mapping):
        end = len(path)
        while end != -1:
            if path[:end] in data:
                return get_path(data[path[:end]], path[end + 1 :])
            end = path.rfind(".", 0, end)
        return None
    if isinstance(data, list):
        head, _, rest = path.partition(".")
        if head.isascii() and head.isdigit() and int(head) < len(data):
            return get_path(data[int(head)], rest)
    return None


def _json(response: httpx.Response) -> Any:
    """The parsed body, None when it is empty or not JSON (then no next page is found)."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _with_param(request: PageRequest, name: str, value: Any) -> PageRequest:
    return attrs.evolve(request, params={**request.params, name: value})


def _with_body_field(request: PageRequest, name: str, value: Any) -> PageRequest:
    body = {} if request.json is None else request.json
    if not isinstance(body, Mapping):
        raise PaginationError(
            f"cannot put {name!r} in a JSON body that is not an object",
            method=request.method,
            url=request.url,
        )
    return attrs.evolve(request, json={**body, name: value})


def _as_int(value: Any) -> int | None:
    """An integer from a count in a body; some APIs send counts as strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _positive(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    """A page size below 1 would make every page count as full, so no short page ends a walk."""
    if value is not None and value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, not {value}")


def _page_link(request: PageRequest, response: httpx.Response, link: str) -> PageRequest:
    """The request that follows a next link taken from `response`.

    The link is resolved against the URL of the page it came from (RFC 3986, as RFC 8288
    prescribes for ``Link``), so "?page=2" and "/v2/items?page=2" land where the server
    meant. Its query string replaces the original params rather than joining them: a next
    link carries the whole query (GitHub keeps ``per_page`` and filters in it, OData its
    ``$filter`` and ``$skiptoken``), and merging the originals back in could override the
    server's values. The query travels in ``params``, not in ``url``, because httpx drops a
    URL's query string as soon as it is given ``params``, even empty ones.
    """
    try:
        target = httpx.URL(link)
    except httpx.InvalidURL:
        # A next link with control characters or an unparseable authority: a broken page,
        # reported as one (never echoing the link: it may carry a token).
        raise PaginationError(
            "the next-page link of a page is not a valid URL",
            method=request.method,
            url=redact_url(str(request.url)),
        ) from None
    # A hand-made response has no request: its link is then left to be joined to base_url.
    if not target.is_absolute_url:
        with contextlib.suppress(RuntimeError):
            target = response.request.url.join(target)
    grouped: dict[str, list[str]] = {}
    for key, value in target.params.multi_items():
        grouped.setdefault(key, []).append(value)
    params = {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}
    url = str(target.copy_with(query=None, fragment=None))
    return attrs.evolve(request, url=url, params=params)


@attrs.frozen(kw_only=True)
class CursorInBody:
    """An opaque cursor read from the body, sent back as a query param or a body field.

    Slack: ``cursor_path="response_metadata.next_cursor"``. Notion's ``POST /search``:
    ``has_more_path="has_more"``, ``in_body=True``, ``limit_param="page_size"``.
    """

    cursor_path: str = "next_cursor"
    cursor_param: str = "cursor"
    in_body: bool = False
    has_more_path: str | None = None
    limit_param: str | None = None
    page_size: int | None = attrs.field(default=None, validator=_positive)

    def _with(self, request: PageRequest, name: str, value: Any) -> PageRequest:
        if self.in_body:
            return _with_body_field(request, name, value)
        return _with_param(request, name, value)

    def first_request(self, request: PageRequest) -> PageRequest:
        if self.limit_param is None or self.page_size is None:
            return request
        sent = request.json if self.in_body and isinstance(request.json, dict) else request.params
        if self.limit_param in sent:
            return request  # the caller chose a size
        return self._with(request, self.limit_param, self.page_size)

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        body = _json(response)
        if self.has_more_path is not None and not get_path(body, self.has_more_path):
            return None
        cursor = get_path(body, self.cursor_path)
        if cursor is None or cursor == "":
            return None
        return self._with(request, self.cursor_param, cursor)


@attrs.frozen(kw_only=True)
class LastItemCursor:
    """The last item's id is the cursor of the next page (Stripe's ``starting_after``).

    Ends when `has_more_path` says so, or on an empty page.
    """

    id_field: str = "id"
    cursor_param: str = "starting_after"
    has_more_path: str | None = "has_more"
    limit_param: str | None = None
    page_size: int | None = attrs.field(default=None, validator=_positive)

    def first_request(self, request: PageRequest) -> PageRequest:
        if self.limit_param is None or self.page_size is None or self.limit_param in request.params:
            return request
        return _with_param(request, self.limit_param, self.page_size)

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        if not items:
            return None
        if self.has_more_path is not None and not get_path(_json(response), self.has_more_path):
            return None
        cursor = get_path(items[-1], self.id_field)
        if cursor is None or cursor == "":
            return None
        return _with_param(request, self.cursor_param, cursor)


@attrs.frozen(kw_only=True)
class CursorInHeader:
    """An opaque cursor read from a response header, sent back as a query param."""

    header: str = "X-Next-Cursor"
    cursor_param: str = "cursor"

    def first_request(self, request: PageRequest) -> PageRequest:
        return request

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        cursor = response.headers.get(self.header, "").strip()
        return _with_param(request, self.cursor_param, cursor) if cursor else None


@attrs.frozen(kw_only=True)
class OffsetLimit:
    """``offset`` and ``limit`` query params; the offset advances by the items received.

    Ends on an empty or short page, or once the offset reaches the total found at
    ``total_path``, which saves the extra request for an empty page after a full last one.
    An offset the caller already put in the params is where the listing starts.
    """

    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = attrs.field(default=100, validator=_positive)
    total_path: str | None = None

    def first_request(self, request: PageRequest) -> PageRequest:
        offset = request.params.get(self.offset_param, 0)
        limit = request.params.get(self.limit_param, self.page_size)  # the caller's wins
        return attrs.evolve(
            request,
            params={**request.params, self.offset_param: offset, self.limit_param: limit},
        )

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        size = _as_int(request.params.get(self.limit_param)) or self.page_size
        if len(items) < size:
            return None
        offset = int(request.params.get(self.offset_param, 0)) + len(items)
        if self.total_path is not None:
            total = _as_int(get_path(_json(response), self.total_path))
            if total is not None and offset >= total:
                return None
        return _with_param(request, self.offset_param, offset)


@attrs.frozen(kw_only=True)
class PageNumber:
    """A page number query param counting from ``start``, with an optional page size param.

    Ends on an empty page, a short page (when ``page_size`` is known) or after the page
    count found at ``total_pages_path``. Leave ``size_param`` None for APIs that take no
    size; set ``page_size`` to None too if their fixed size is unknown, so that only an
    empty page ends the listing.
    """

    page_param: str = "page"
    start: int = 1
    size_param: str | None = "per_page"
    page_size: int | None = attrs.field(default=100, validator=_positive)
    total_pages_path: str | None = None

    def first_request(self, request: PageRequest) -> PageRequest:
        page = request.params.get(self.page_param, self.start)
        params = {**request.params, self.page_param: page}
        if self.size_param is not None and self.page_size is not None:
            params.setdefault(self.size_param, self.page_size)  # the caller's size wins
        return attrs.evolve(request, params=params)

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        size = self.page_size
        if self.size_param is not None:
            size = _as_int(request.params.get(self.size_param)) or size
        if not items or (size is not None and len(items) < size):
            return None
        page = int(request.params.get(self.page_param, self.start))
        if self.total_pages_path is not None:
            total = _as_int(get_path(_json(response), self.total_pages_path))
            if total is not None and page - self.start + 1 >= total:
                return None
        return _with_param(request, self.page_param, page + 1)


# One link-value of a Link header: <URI-Reference> then its parameters up to the next "<"
# outside a quoted string.
_LINK_VALUE = re.compile(r'<(?P<uri>[^>]*)>(?P<params>(?:[^<"]|"(?:[^"\\]|\\.)*")*)')
# One parameter of a link-value; matching whole quoted strings keeps a ";" or "rel=" inside
# one from being read as a parameter of its own.
_LINK_PARAM = re.compile(
    r';\s*(?P<name>[^\s=;,]+)\s*(?:=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^\s;,]*)))?'
)


def _relations(params: str) -> list[str]:
    """The relation types of a link-value, lowercased; only its first ``rel`` counts."""
    for param in _LINK_PARAM.finditer(params):
        if param["name"].lower() == "rel":
            return (param["quoted"] or param["token"] or "").lower().split()
    return []


@attrs.frozen(kw_only=True)
class LinkHeader:
    """The RFC 8288 ``Link`` response header (GitHub, GitLab, many JSON:API servers).

    Parsed here rather than with ``httpx.Response.links``, which keys links by the whole
    ``rel`` string, so it misses ``rel="next last"`` and ``rel=Next`` (relation types are
    case-insensitive, and a link may have several), and splits a URI at its first ";".
    """

    rel: str = "next"

    def first_request(self, request: PageRequest) -> PageRequest:
        return request

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        wanted = self.rel.lower()
        for link in _LINK_VALUE.finditer(response.headers.get("link", "")):
            if wanted in _relations(link["params"]):
                uri = link["uri"].strip()
                return _page_link(request, response, uri) if uri else None
        return None


@attrs.frozen(kw_only=True)
class NextUrlInBody:
    """A next-page URL, absolute or relative, at a dotted path in the body.

    ``"next"``, ``"links.next"`` (JSON:API), ``"paging.next.link"`` (HubSpot),
    ``"@odata.nextLink"`` (Microsoft Graph). A missing, null or empty value ends the listing.
    """

    next_path: str = "next"

    def first_request(self, request: PageRequest) -> PageRequest:
        return request

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        link = get_path(_json(response), self.next_path)
        if not isinstance(link, str) or not link.strip():
            return None
        return _page_link(request, response, link.strip())


@attrs.frozen
class NoPagination:
    """A listing that comes in one response."""

    def first_request(self, request: PageRequest) -> PageRequest:
        return request

    def next_request(
        self, request: PageRequest, response: httpx.Response, items: Sequence[Any]
    ) -> PageRequest | None:
        return None


def _target(base_url: httpx.URL, request: PageRequest) -> httpx.URL:
    """The absolute URL `request` goes to, params included, as an httpx client sends it.

    A relative path is appended to ``base_url`` as ``httpx.AsyncClient(base_url=...)`` does.
    httpx also calls "//host/path" and "javascript:..." relative; here they are resolved as
    RFC 3986 says, so such a link cannot slip past the origin check by looking relative.
    """
    url = httpx.URL(request.url)
    if not url.scheme and not url.host:
        prefix = base_url.raw_path if base_url.raw_path.endswith(b"/") else base_url.raw_path + b"/"
        url = base_url.copy_with(raw_path=prefix + url.raw_path.lstrip(b"/"))
    elif not url.is_absolute_url:
        url = base_url.join(url)
    return url.copy_merge_params(request.params) if request.params else url


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


_Fingerprint: TypeAlias = tuple[object, ...]


def _fingerprint(request: PageRequest, url: httpx.URL | None) -> _Fingerprint:
    """What makes two page requests the same one, insensitive to query and key order.
    `url` None: the request's URL is a plain path on the base URL (see `_plain_path`)."""
    if request.json is None:
        body = ""
    else:
        try:
            body = jsonlib.dumps(request.json, sort_keys=True, separators=(",", ":"), default=str)
        except (TypeError, ValueError):  # Keys of mixed types cannot be sorted.
            body = repr(request.json)
    headers = tuple(sorted((name.lower(), value) for name, value in request.headers.items()))
    if url is None:
        query = tuple(sorted(httpx.QueryParams(request.params).multi_items()))
        return request.method.upper(), None, request.url, query, body, headers
    path = url.raw_path.partition(b"?")[0]
    query = tuple(sorted(url.params.multi_items()))
    return request.method.upper(), _origin(url), path, query, body, headers


def _plain_path(url: str) -> bool:
    """Whether `url` is a path on the base URL with nothing that could move it elsewhere
    (no scheme, no "//" authority, no query of its own). The operations' own requests are;
    next links from a response are checked in full (`_target`). Parsing an `httpx.URL`
    costs more than the rest of a page's bookkeeping, so the common case skips it."""
    if not url or "?" in url or url.startswith("//") or "\\" in url:
        return False
    return ":" not in url.split("/", 1)[0]


def _holds(data: Any, path: str | None) -> bool:
    """Whether `path` leads somewhere in `data` (to a null, perhaps): an absent field is a
    misnamed items path, not an empty page."""
    if not path:
        return True
    if isinstance(data, Mapping):
        end = len(path)
        while end != -1:
            if path[:end] in data:
                rest = path[end + 1 :]
                return not rest or data[path[:end]] is None or _holds(data[path[:end]], rest)
            end = path.rfind(".", 0, end)
    return False


DEFAULT_PAGE_BUDGET = 10_000
EMPTY_PAGE_LIMIT = 10


def _items(
    response: httpx.Response,
    items_path: str | None,
    number: int,
    method: str,
    url: httpx.URL | str,
    *,
    optional: bool = False,
) -> list[Any]:
    where = f"at {items_path!r}" if items_path else "at the top level"
    if response.status_code == 204:
        return []  # No Content: a page of nothing, by definition
    if not response.content.strip():
        if optional and "content-type" not in response.headers:
            return []  # no content and no media type: a page of nothing, as a spec may say
        # An empty body labelled JSON is a broken page: ending the walk there could
        # silently drop the rest.
        raise PaginationError(f"page {number} has an empty body", method=method, url=str(url))
    from .resources import parse_json  # that module builds on this one

    try:
        body = parse_json(response.content)  # orjson, and every digit of wide integers
    except (ValueError, DecodeError):
        raise PaginationError(f"page {number} is not JSON", method=method, url=str(url)) from None
    items = get_path(body, items_path)
    if items is None and (body is None or _holds(body, items_path)):
        return []  # null where the items go: a page of nothing
    if items is None and optional:
        if isinstance(body, list):
            # A bare list where the schema has an object around the items (Vimeo's
            # spec and API disagree so): the list is the page's items, kept whole.
            return body
        if isinstance(body, dict):
            return []  # the schema lets a page leave its items field out
    if not isinstance(items, list):
        raise PaginationError(
            f"page {number} has no list of items {where} of its body"
            f" (found {type(items).__name__})",
            method=method,
            url=str(url),
        )
    return items


async def iterate_pages(
    send: Send,
    request: PageRequest,
    paginator: Paginator,
    *,
    base_url: str | httpx.URL,
    items_path: str | None = None,
    max_pages: int | None = None,
    page_budget: int = DEFAULT_PAGE_BUDGET,
    empty_page_limit: int = EMPTY_PAGE_LIMIT,
    items_optional: bool = False,
) -> AsyncGenerator[Page[Any], None]:
    """Yield the pages of a listing, fetching each only when the consumer asks for it.

    Items are the list at `items_path` in each JSON body (None: the body is the list);
    a 204 is a page of no items, and so, in generated pagers, is an empty body without a
    Content-Type; one that claims a media type raises. A JSON object without that field raises
    `PaginationError` (the path may be misspelt) unless `items_optional` says the path
    is the listing schema's, as in generated pagers (checked when they were generated):
    then an object without the field is a page of no items, and a bare list body is the
    items themselves.
    Error responses raise the matching `ConnectorError`, in case `send` does not raise
    them itself. Raises `PaginationError` before sending a request that leaves the origin
    of `base_url` or repeats an earlier one, and on a page that repeats the previous page.
    Stops quietly after `max_pages` pages (the caller's bound); raises `PaginationError`
    past `page_budget` pages or after `empty_page_limit` empty pages in a row that still
    lead on (the safety bounds). The result is an async generator, so a consumer that
    stops early can ``aclose()`` it.
    """
    if max_pages is not None and max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, not {max_pages}")
    base = base_url if isinstance(base_url, httpx.URL) else httpx.URL(base_url)
    if not base.is_absolute_url:
        raise ValueError(f"base_url must be an absolute URL, not {redact_url(base)!r}")
    # 16-byte digests of the requests sent: a long walk keeps little (10,000 pages: 0.5 MB)
    sent: set[bytes] = set()
    previous_body: bytes | None = None
    number = 0
    empty_run = 0
    pending: PageRequest | None = paginator.first_request(request)
    while pending is not None:
        current, number = pending, number + 1
        checked: httpx.URL | None = None if _plain_path(current.url) else _target(base, current)
        url: httpx.URL | str = current.url if checked is None else checked
        if max_pages is None and number > page_budget:
            raise PaginationError(
                f"more than {page_budget} pages: stopped (pass max_pages to walk further)",
                method=current.method,
                url=str(url),
            )
        if checked is not None and _origin(checked) != _origin(base):
            raise PaginationError(
                f"page {number} is on another origin than {redact_url(base)}; not sent",
                method=current.method,
                url=str(url),
            )
        fingerprint = hashlib.blake2b(
            repr(_fingerprint(current, checked)).encode(), digest_size=16
        ).digest()
        if fingerprint in sent:
            raise PaginationError(
                f"repeated cursor: the request for page {number} repeats an earlier one",
                method=current.method,
                url=str(url),
            )
        sent.add(fingerprint)
        response = await send(current)
        if response.is_error:
            raise error_for_response(response)
        items = _items(response, items_path, number, current.method, url, optional=items_optional)
        if items and response.content == previous_body:
            raise PaginationError(
                f"page {number} repeats page {number - 1}: the server ignores the paging params",
                method=current.method,
                url=str(url),
            )
        previous_body = response.content
        yield Page(items=items, response=response, number=number)
        if number == max_pages:
            return
        pending = paginator.next_request(current, response, items)
        empty_run = empty_run + 1 if not items else 0
        if pending is not None and empty_run >= empty_page_limit:
            raise PaginationError(
                f"{empty_run} empty pages in a row, each pointing to another: stopped",
                method=current.method,
                url=str(url),
            )


async def iterate_items(
    send: Send,
    request: PageRequest,
    paginator: Paginator,
    *,
    base_url: str | httpx.URL,
    items_path: str | None = None,
    max_pages: int | None = None,
    max_items: int | None = None,
) -> AsyncGenerator[Any, None]:
    """The items of `iterate_pages`, flattened; still fetched a page at a time. Stops
    quietly after `max_items` items."""
    if max_items is not None and max_items < 0:
        raise ValueError(f"max_items must be at least 0, not {max_items}")
    if max_items == 0:
        return
    pages = iterate_pages(
        send, request, paginator, base_url=base_url, items_path=items_path, max_pages=max_pages
    )
    count = 0
    async with contextlib.aclosing(pages):
        async for page in pages:
            for item in page.items:
                yield item
                count += 1
                if count == max_items:
                    return
