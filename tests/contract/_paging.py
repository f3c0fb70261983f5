"""Two-page listings for a resource's paginator, drawn from its list response schema.

Each plan serves a first page that asks for more in the resource's own way (a cursor in
the body or a header, ``has_more``, a full page of ``page_size`` items with a total, a
``Link`` header) and a last page that ends the listing, and says what the second request
must carry. A resource without pagination gets one page. The pages are response bodies
drawn from the spec, with only the paging fields set.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Final

import attrs
import httpx
from hypothesis import strategies as st

from connectory.core import (
    CursorInBody,
    CursorInHeader,
    LastItemCursor,
    LinkHeader,
    NextUrlInBody,
    NoPagination,
    OffsetLimit,
    PageNumber,
    Resource,
)
from connectory.core._pagination import get_path

from ._fake import Draw, Reply
from ._spec import ContractSpec, SpecOperation

CURSOR: Final = "contract-cursor-2"
LAST_ID: Final = "contract-last-id"


def set_path(data: Any, path: str, value: Any) -> None:
    """Set a dotted path in a JSON object, making the objects on the way."""
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = value


def clear_path(data: Any, path: str) -> None:
    """Null a dotted path where it exists (a missing one already reads as None); a key
    holding the dots itself (OData's ``@odata.nextLink``) is that key."""
    if isinstance(data, dict) and path in data:
        data[path] = None
        return
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and leaf in node:
        node[leaf] = None


def items_of(body: Any, items_path: str | None) -> list[Any]:
    """The items of a page as a generated pager reads them: none where the body leaves
    its items field out, the body itself where it is a bare list."""
    items = get_path(body, items_path)
    if items is None:
        return body if isinstance(body, list) else []
    assert isinstance(items, list)
    return items


def _with_items(body: Any, items_path: str | None, items: list[Any]) -> Any:
    if items_path is None:
        return items
    set_path(body, items_path, items)
    return body


def list_schema(operation: SpecOperation) -> Any:
    """The schema of the listing's JSON success response; None when it declares none."""
    for response in operation.responses:
        media = (response.media_type or "").split(";")[0].strip().lower()
        if media == "application/json" or media.endswith("+json"):
            return response.schema if response.schema is not None else {}
    return None


def list_status(operation: SpecOperation) -> int:
    statuses = [r.status for r in operation.responses if r.status.isdigit()]
    return int(statuses[0]) if statuses else 200


def response_strategy(spec: ContractSpec, operation: SpecOperation) -> st.SearchStrategy[Any]:
    """Bodies of the operation's JSON success response (any JSON where it declares none)."""
    schema = list_schema(operation)
    if schema is None:
        return spec.any_json()
    return spec.strategy(("list", operation.pointer), schema, direction="response")


@attrs.define
class PagePlan:
    """The pages of one listing and what the request for the second must carry."""

    operation: SpecOperation
    paginator: Any
    items_path: str | None
    bodies: list[Any]
    headers: list[dict[str, str]]
    next_link: str | None = None  # LinkHeader / NextUrlInBody: the query param to add
    expected_next: dict[str, str] = attrs.field(factory=dict)
    next_in_body: bool = False
    served: int = 0

    @property
    def items(self) -> list[Any]:
        return [item for body in self.bodies for item in items_of(body, self.items_path)]

    def respond(self, request: httpx.Request) -> Reply:
        index, self.served = self.served, self.served + 1
        if index >= len(self.bodies):
            return Reply.json(500, {"error": f"the plan has {len(self.bodies)} pages only"})
        body, headers = self.bodies[index], dict(self.headers[index])
        if index == 0 and self.next_link is not None and len(self.bodies) > 1:
            url = request.url.copy_merge_params({self.next_link: "2"})
            self.expected_next = dict(url.params.multi_items())
            if isinstance(self.paginator, LinkHeader):
                headers["link"] = f'<{url}>; rel="{self.paginator.rel}"'
            else:
                set_path(body, self.paginator.next_path, str(url))
        reply = Reply.json(list_status(self.operation), body)
        return attrs.evolve(reply, headers=(*reply.headers, *headers.items()))


def page_strategy(
    spec: ContractSpec, operation: SpecOperation, items_path: str | None, *, min_items: int
) -> st.SearchStrategy[Any]:
    """List responses of `operation` with at least `min_items` items at `items_path`."""
    if _untyped(list_schema(operation)):
        # Any JSON goes: an object holding a list of anything where the items go.
        items = st.lists(spec.any_json(), min_size=min_items, max_size=3)
        return items.map(lambda drawn: _with_items({}, items_path, drawn))

    item_schema = _item_schema(spec, list_schema(operation), items_path)
    if item_schema is not None:
        # The items drawn on their own and put where they go: a filter on whole pages
        # rejects too many of the big listings (YouTube's).
        items = st.lists(
            spec.strategy(
                ("page items", operation.pointer, items_path), item_schema, direction="response"
            ),
            min_size=min_items,
            max_size=3,
        )
        if items_path is None:
            return items
        bodies = response_strategy(spec, operation).filter(lambda b: isinstance(b, dict))
        return st.tuples(bodies, items).map(lambda pair: _with_items(pair[0], items_path, pair[1]))

    def enough(body: Any) -> bool:
        items = get_path(body, items_path)
        return isinstance(items, list) and len(items) >= min_items

    return response_strategy(spec, operation).filter(enough)


def _item_schema(spec: ContractSpec, schema: Any, path: str | None) -> Any:
    """The schema of one item of the array at the dotted `path` of a response schema
    (properties followed through $refs and allOf), or None where it cannot be told."""
    converter = spec.converter
    node = converter.deref(schema)
    for part in path.split(".") if path else ():
        node = _property(converter, node, part)
        if node is None:
            return None
    if not isinstance(node, dict) or node.get("type") not in ("array", ["array"]):
        return None
    items = node.get("items")
    return items if isinstance(items, dict) else None


def _property(converter: Any, node: Any, name: str) -> Any:
    if not isinstance(node, dict):
        return None
    properties = node.get("properties")
    if isinstance(properties, dict) and name in properties:
        return converter.deref(properties[name])
    for member in node.get("allOf") or ():
        found = _property(converter, converter.deref(member), name)
        if found is not None:
            return found
    return None


def _untyped(schema: Any) -> bool:
    """Whether a response schema leaves the body untyped (none at all, or ``{}``)."""
    return schema is None or schema == {}


def can_hold_list(schema: Any, path: str | None) -> bool:
    """Whether instances of a converted schema can have a list at the dotted `path`."""
    if not isinstance(schema, dict):
        return schema is True
    branches = [*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    if any(can_hold_list(branch, path) for branch in branches):
        return True
    if not path:
        kind = schema.get("type")
        return kind is None or kind == "array" or (isinstance(kind, list) and "array" in kind)
    head, _, rest = path.partition(".")
    properties = schema.get("properties", {})
    if head in properties:
        return can_hold_list(properties[head], rest or None)
    return False


def cursor_value(spec: ContractSpec, operation: SpecOperation, name: str) -> Any:
    """A next-page cursor of the type the spec gives the query parameter that takes it: a
    number, a date-time or date, or an opaque text (the parameter undeclared or a string)."""
    schema: Any = None
    for param in operation.parameters:
        if param.location == "query" and param.name == name:
            schema = spec.converter.to_json_schema(param.schema) if param.schema else None
    if not isinstance(schema, dict):
        return CURSOR
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if kinds & {"integer", "number"}:
        return 2
    if schema.get("format") == "date-time":
        return "2026-01-02T03:04:05Z"
    if schema.get("format") == "date":
        return "2026-01-02"
    return CURSOR


def body_cursor(spec: ContractSpec, operation: SpecOperation, path: str, draw: Draw[Any]) -> Any:
    """A next-page cursor sent back in the body: drawn from the schema the response gives
    it where that is an object or an array (SIGNL4's continuationToken, a few keys the
    client returns as they came), an opaque text otherwise."""
    schema = list_schema(operation)
    node = spec.converter.deref(schema) if schema is not None else None
    for part in path.split("."):
        node = _property(spec.converter, node, part)
    kind = node.get("type") if isinstance(node, dict) else None
    if kind not in ("object", "array", ["object"], ["array"]):
        return CURSOR
    strategy = spec.strategy(("cursor", operation.pointer, path), node, direction="response")
    return draw(strategy.filter(bool))


def as_sent(value: Any) -> str:
    """A paging value as the harness compares it: text as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def plan_pages(
    spec: ContractSpec, resource: Resource, operation: SpecOperation, draw: Draw[Any]
) -> PagePlan:
    paginator = resource.paginator
    path = resource.items_path
    schema = list_schema(operation)
    if not _untyped(schema) and not can_hold_list(spec.converter.to_json_schema(schema), path):
        # The spec leaves no room for the items where the resource looks for them: serve
        # what the spec says and let list_items show what it makes of it.
        return PagePlan(
            operation, NoPagination(), path, [draw(response_strategy(spec, operation))], [{}]
        )

    def page(min_items: int = 0) -> Any:
        return draw(page_strategy(spec, operation, path, min_items=min_items))

    if isinstance(paginator, NoPagination):
        plan = PagePlan(operation, paginator, path, [page()], [{}])
    elif isinstance(paginator, CursorInBody):
        first, last = page(), page()
        cursor: Any = (
            body_cursor(spec, operation, paginator.cursor_path, draw)
            if paginator.in_body
            else cursor_value(spec, operation, paginator.cursor_param)
        )
        set_path(first, paginator.cursor_path, cursor)
        if paginator.has_more_path is not None:
            set_path(first, paginator.has_more_path, True)
            set_path(last, paginator.has_more_path, False)
        else:
            clear_path(last, paginator.cursor_path)
        plan = PagePlan(operation, paginator, path, [first, last], [{}, {}])
        plan.expected_next = {paginator.cursor_param: as_sent(cursor)}
        plan.next_in_body = paginator.in_body
    elif isinstance(paginator, LastItemCursor):
        first = draw(
            page_strategy(spec, operation, path, min_items=1).filter(
                lambda body: isinstance(items_of(body, path)[-1], dict)
            )
        )
        last_id = cursor_value(spec, operation, paginator.cursor_param)
        last_id = LAST_ID if last_id == CURSOR else last_id
        set_path(items_of(first, path)[-1], paginator.id_field, last_id)
        last = page()
        if paginator.has_more_path is not None:
            set_path(first, paginator.has_more_path, True)
            set_path(last, paginator.has_more_path, False)
        else:
            last = _with_items(last, path, [])
        plan = PagePlan(operation, paginator, path, [first, last], [{}, {}])
        plan.expected_next = {paginator.cursor_param: str(last_id)}
    elif isinstance(paginator, OffsetLimit | PageNumber):
        size = paginator.page_size
        first = page(min_items=1)
        # With a total, a full first page and an empty second one make a total of one
        # page size, and the listing rightly ends without asking for the second page.
        totals = isinstance(paginator, OffsetLimit) and paginator.total_path is not None
        last = page(min_items=1 if totals else 0)
        if size is None:  # PageNumber with an unknown size: an empty page ends it
            last = _with_items(last, path, [])
        else:
            full = list(itertools.islice(itertools.cycle(items_of(first, path)), size))
            first = _with_items(first, path, full)
            last = _with_items(last, path, items_of(last, path)[: size - 1])
        if isinstance(paginator, OffsetLimit):
            if paginator.total_path is not None and size is not None:
                total = size + len(items_of(last, path))
                set_path(first, paginator.total_path, total)
                set_path(last, paginator.total_path, total)
            expected = {paginator.offset_param: str(size), paginator.limit_param: str(size)}
        else:
            if paginator.total_pages_path is not None:
                set_path(first, paginator.total_pages_path, 2)
                set_path(last, paginator.total_pages_path, 2)
            expected = {paginator.page_param: str(paginator.start + 1)}
        plan = PagePlan(operation, paginator, path, [first, last], [{}, {}])
        plan.expected_next = expected
    elif isinstance(paginator, LinkHeader | NextUrlInBody):
        declared = {p.name for p in operation.parameters if p.location == "query"}
        if "page" in declared:
            first = page()
            # A second page equal to the first is refused by iterate_pages (it means the
            # server ignores the paging params), so the pages differ.
            last = draw(
                page_strategy(spec, operation, path, min_items=0).filter(lambda b: b != first)
            )
            plan = PagePlan(operation, paginator, path, [first, last], [{}, {}], next_link="page")
        else:
            last = page()
            plan = PagePlan(operation, paginator, path, [last], [{}])
        if isinstance(paginator, NextUrlInBody):
            # The last page links nowhere: a drawn next link would be text no vendor sends.
            clear_path(last, paginator.next_path)
    elif isinstance(paginator, CursorInHeader):
        cursor = cursor_value(spec, operation, paginator.cursor_param)
        plan = PagePlan(
            operation, paginator, path, [page(), page()], [{paginator.header: str(cursor)}, {}]
        )
        plan.expected_next = {paginator.cursor_param: str(cursor)}
    else:
        raise NotImplementedError(f"no page plan for {paginator!r}")
    return plan


def sent_params(request: httpx.Request, in_body: bool) -> dict[str, str]:
    """The query params of a page request (or the fields of its JSON body), as strings."""
    if in_body:
        body = json.loads(request.content or b"{}")
        return {key: as_sent(value) for key, value in body.items()}
    return dict(request.url.params.multi_items())
