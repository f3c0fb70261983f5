"""Listings whose next page is given in the ways that trip pagination code.

One listing, ``GET /items`` by default, of items ``{"id": i, "name": "item-i"}`` for
``i`` in ``1..total_items``, served in one `PagingMode`:

* ``cursor``: ``next_cursor`` and ``has_more`` in the body (and an ``X-Next-Cursor``
  header), sent back as ``?cursor=``; a finite, well-behaved listing.
* ``cursor-repeats``: the cursors go round a cycle of ``cursor_cycle`` (``c1 -> c2 ->
  c3 -> c1``...; a cycle of 1 hands out the cursor just used), ``has_more`` forever.
* ``empty-forever``: every page is empty, with a fresh cursor and ``has_more: true``.
* ``next-url``: an absolute ``next`` URL in the body (and in a ``Link`` header), by
  ``?page=``; with ``foreign_origin`` set, page ``foreign_after`` links to that origin.
* ``link-header``: only ``Link`` headers, by ``?page=``, written in a different odd but
  valid form on each page (see `LINK_STYLES`); the page before the last says
  ``rel="next last"``; the last page has no next.
* ``numbered``: ``?page=&per_page=`` or ``?offset=&limit=``, with ``total`` and
  ``has_more`` in the body and no link at all.

The page size is the client's ``per_page``, ``limit`` or ``page_size`` param (10 when
absent), or ``page_size`` from the spec when that is set; 0 is allowed and makes every
page empty while ``has_more`` stays true.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import attrs

from ._http import Action, Reply, Request, json_reply

__all__ = ["LINK_STYLES", "PaginationSpec", "PagingMode"]

_SIZE_PARAMS = ("per_page", "limit", "page_size")
_DEFAULT_SIZE = 10


class PagingMode(StrEnum):
    CURSOR = "cursor"
    CURSOR_REPEATS = "cursor-repeats"
    EMPTY_FOREVER = "empty-forever"
    NEXT_URL = "next-url"
    LINK_HEADER = "link-header"
    NUMBERED = "numbered"


@attrs.frozen
class PaginationSpec:
    """One listing and how it pages; see the module docstring for the modes."""

    mode: PagingMode = attrs.field(default=PagingMode.CURSOR, converter=PagingMode)
    total_items: int = 25
    page_size: int | None = None
    cursor_cycle: int = 3
    foreign_origin: str | None = None
    foreign_after: int = 1
    path: str = "/items"

    def build(self, origin: str) -> _Listing:
        return _Listing(self, origin)


@attrs.frozen
class _LinkTargets:
    """Where the links of one page point, as the query each would carry."""

    origin: str
    path: str
    page: int
    next: str
    first: str
    last: str | None  # None: the listing has no end (page size 0)

    def absolute(self, query: str) -> str:
        return f"{self.origin}{self.path}?{query}"


def _plain(t: _LinkTargets) -> list[str]:
    last = f', <{t.absolute(t.last)}>; rel="last"' if t.last else ""
    return [f'<{t.absolute(t.next)}>; rel="next"{last}']


def _odd_spacing(t: _LinkTargets) -> list[str]:
    # Whitespace around ";", "," and "=" is allowed; names and relation types ignore case.
    return [f"<{t.absolute(t.first)}>;rel=first ,   <{t.absolute(t.next)}>  ;  REL = Next"]


def _path_relative(t: _LinkTargets) -> list[str]:
    return [f"<{t.path}?{t.next}>; rel=next, <{t.path}?{t.first}>; rel=first"]


def _query_relative(t: _LinkTargets) -> list[str]:
    # "?page=N" resolves against the URL of the page it came from (RFC 3986, 5.2).
    return [f'<?{t.first}>; rel="first", <?{t.next}>; rel="next"']


def _quoted_trap(t: _LinkTargets) -> list[str]:
    # A quoted parameter holding ";", "," and "rel=next" must not be read as a relation.
    return [
        f'<{t.absolute(t.first)}>; title="start, rel=next; or not"; rel="first", '
        f'<{t.absolute(t.next)}>; type="application/json"; rel="next"'
    ]


def _two_lines(t: _LinkTargets) -> list[str]:
    # Two Link header lines; a client sees them joined with ", ".
    return [f'<{t.absolute(t.first)}>; rel="first"', f'<{t.absolute(t.next)}>; rel="next"']


def _odd_characters(t: _LinkTargets) -> list[str]:
    # ";" and "," inside the URI: only the angle brackets delimit it.
    return [f'<{t.absolute(t.next)}&filter=a,b;c>; rel="next"']


LinkStyle = Callable[[_LinkTargets], list[str]]

# The Link header forms of ``link-header`` mode, in the order pages use them; the page
# before the last always uses ``rel="next last"`` instead.
LINK_STYLES: dict[str, LinkStyle] = {
    "plain": _plain,
    "odd-spacing": _odd_spacing,
    "path-relative": _path_relative,
    "query-relative": _query_relative,
    "quoted-trap": _quoted_trap,
    "two-lines": _two_lines,
    "odd-characters": _odd_characters,
}


def _next_and_last(t: _LinkTargets) -> list[str]:
    return [f'<{t.absolute(t.first)}>; rel="first", <{t.absolute(t.next)}>; rel="next last"']


def _final(t: _LinkTargets, previous: str) -> list[str]:
    return [f'<{t.absolute(t.first)}>; rel="first", <{t.absolute(previous)}>; rel="prev"']


def link_style_for(page: int, last_page: int | None) -> str:
    """The name of the Link form page `page` uses ("next-last" on the one before the last)."""
    if last_page is not None and page == last_page - 1:
        return "next-last"
    if last_page is not None and page >= last_page:
        return "final"
    names = list(LINK_STYLES)
    return names[(page - 1) % len(names)]


class _BadInput(Exception):
    pass


class _Listing:
    def __init__(self, spec: PaginationSpec, origin: str) -> None:
        self._spec = spec
        self._origin = origin

    def state(self) -> dict[str, Any]:
        return {}

    def respond(self, request: Request) -> Action:
        if request.path != self._spec.path or request.method != "GET":
            return json_reply({"error": "not_found", "path": request.path}, 404)
        try:
            return self._page(request)
        except _BadInput as error:
            return json_reply({"error": "bad_request", "detail": str(error)}, 400)

    def _page(self, request: Request) -> Reply:
        mode = self._spec.mode
        if mode is PagingMode.CURSOR:
            return self._cursor_page(request)
        if mode is PagingMode.CURSOR_REPEATS:
            return self._cycling_page(request)
        if mode is PagingMode.EMPTY_FOREVER:
            return self._empty_page(request)
        if mode is PagingMode.NEXT_URL:
            return self._next_url_page(request)
        if mode is PagingMode.LINK_HEADER:
            return self._link_page(request)
        return self._numbered_page(request)

    # -- shared pieces ---------------------------------------------------------------------

    def _size(self, request: Request) -> int:
        if self._spec.page_size is not None:
            return self._spec.page_size
        for name in _SIZE_PARAMS:
            if name in request.query:
                size = _int(request.query[name], name)
                if size < 0:
                    raise _BadInput(f"{name} must not be negative")
                return size
        return _DEFAULT_SIZE

    def _items(self, offset: int, size: int) -> list[dict[str, Any]]:
        last = min(offset + size, self._spec.total_items)
        return [{"id": i, "name": f"item-{i}"} for i in range(offset + 1, last + 1)]

    def _more_after(self, offset: int, size: int) -> bool:
        """Whether items remain after this page; always, once the size is 0."""
        return offset + size < self._spec.total_items or size == 0

    def _page_query(self, request: Request, page: int) -> str:
        """``page=N``, plus the size param when the client sent one."""
        sizes = [f"{name}={request.query[name]}" for name in _SIZE_PARAMS if name in request.query]
        return "&".join([f"page={page}", *sizes])

    def _page_number(self, request: Request) -> int:
        page = _int(request.query.get("page", "1"), "page")
        if page < 1:
            raise _BadInput("page must be at least 1")
        return page

    # -- modes -----------------------------------------------------------------------------

    def _cursor_page(self, request: Request) -> Reply:
        cursor = request.query.get("cursor")
        offset = 0 if not cursor else _int(cursor.removeprefix("off-"), "cursor")
        size = self._size(request)
        more = self._more_after(offset, size)
        next_cursor = f"off-{offset + size}" if more else None
        return _cursor_reply(self._items(offset, size), next_cursor, more)

    def _cycling_page(self, request: Request) -> Reply:
        cursor = request.query.get("cursor")
        index = 0 if not cursor else _int(cursor.removeprefix("c"), "cursor")
        size = self._size(request)
        following = index % max(self._spec.cursor_cycle, 1) + 1
        return _cursor_reply(self._items(index * size, size), f"c{following}", True)

    def _empty_page(self, request: Request) -> Reply:
        cursor = request.query.get("cursor")
        index = 0 if not cursor else _int(cursor.removeprefix("e"), "cursor")
        return _cursor_reply([], f"e{index + 1}", True)

    def _next_url_page(self, request: Request) -> Reply:
        page = self._page_number(request)
        size = self._size(request)
        offset = (page - 1) * size
        next_url: str | None = None
        if self._more_after(offset, size):
            origin = self._origin
            spec = self._spec
            if spec.foreign_origin is not None and page == spec.foreign_after:
                origin = spec.foreign_origin.rstrip("/")
            next_url = f"{origin}{spec.path}?{self._page_query(request, page + 1)}"
        headers = {} if next_url is None else {"Link": f'<{next_url}>; rel="next"'}
        return json_reply({"items": self._items(offset, size), "next": next_url}, 200, headers)

    def _link_page(self, request: Request) -> Reply:
        page = self._page_number(request)
        size = self._size(request)
        total = self._spec.total_items
        last_page = None if size == 0 else max(1, -(-total // size))
        targets = _LinkTargets(
            origin=self._origin,
            path=self._spec.path,
            page=page,
            next=self._page_query(request, page + 1),
            first=self._page_query(request, 1),
            last=None if last_page is None else self._page_query(request, last_page),
        )
        style = link_style_for(page, last_page)
        if style == "final":
            lines = _final(targets, self._page_query(request, max(page - 1, 1)))
        elif style == "next-last":
            lines = _next_and_last(targets)
        else:
            lines = LINK_STYLES[style](targets)
        headers = [("Link", line) for line in lines] + [("X-Link-Style", style)]
        return json_reply({"items": self._items((page - 1) * size, size)}, 200, headers)

    def _numbered_page(self, request: Request) -> Reply:
        size = self._size(request)
        if "offset" in request.query:
            offset = _int(request.query["offset"], "offset")
            if offset < 0:
                raise _BadInput("offset must not be negative")
            page = offset // size + 1 if size else 1
        else:
            page = self._page_number(request)
            offset = (page - 1) * size
        body = {
            "items": self._items(offset, size),
            "total": self._spec.total_items,
            "page": page,
            "offset": offset,
            "has_more": self._more_after(offset, size),
        }
        return json_reply(body)


def _cursor_reply(items: list[dict[str, Any]], next_cursor: str | None, more: bool) -> Reply:
    headers = {} if next_cursor is None else {"X-Next-Cursor": next_cursor}
    body = {"items": items, "next_cursor": next_cursor, "has_more": more}
    return json_reply(body, 200, headers)


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _BadInput(f"{what} must be an integer, not {text!r}") from None
