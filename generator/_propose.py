"""Proposed answers for a new connector.yaml, derived from an OpenAPI document.

`propose` reads a spec and suggests what `connectory new` asks for: the base URL, the
auth mapping, list/get resource pairs with their ids, and each listing's pagination in
the paginator vocabulary of `connectory.core`. Every decision carries a short reason a
scaffolding prompt can show; the user stays in charge of the answers.

The analysis is heuristic by nature (vendors name things freely) and written here: no
maintained library pairs list and get operations or maps listings onto pagination
strategies. It works from path shapes, response schemas and small name vocabularies:

* a *list* is a GET whose success body is an array of objects, or an object holding one
  (an envelope such as ``{"data": [...], "has_more": true}``), on a path that ends in a
  collection (``/v1/customers``) or an RPC list method (``/conversations.list``);
* its *get* returns one object, at ``<list path>/{id}`` (``/v1/customers/{customer}``), at
  the collection's top-level path for a scoped listing (``/user/orgs`` pairs with
  ``/orgs/{org}``), or as the RPC ``info``/``get`` method beside the list method;
* resources are ranked by whether they have a get, how many operations concern them, how
  many other operations filter by their id, how deep they sit, and whether their name is a
  common business entity; an API's top-level event feed is always kept;
* pagination is read from the list's query parameters, its response fields (three levels
  deep) and its declared response headers.

Schemas are read through the generator's `Resolver`, never inlined; a reference that
cannot be resolved leaves that part unknown instead of failing the proposal.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._definition import PAGINATION_STYLES
from ._errors import SpecError
from ._loader import Resolver, load_openapi
from ._naming import snake, words

__all__ = [
    "DEFAULT_MAX_RESOURCES",
    "ApiKeyProposal",
    "AuthProposal",
    "BaseUrlProposal",
    "PaginationProposal",
    "Proposal",
    "ResourceProposal",
    "propose",
    "propose_file",
]

DEFAULT_MAX_RESOURCES = 12

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _vocabulary(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# -- name vocabularies: lower-case; order is preference ------------------------------------

_CURSOR_PARAMS = _vocabulary(
    "cursor page_token pagetoken start_cursor startcursor next_page_token nextpagetoken"
    " next_cursor nextcursor next_token nexttoken continuation_token continuationtoken"
    " continuation page_cursor pagecursor marker scroll_id starting_token page[cursor]"
    " page[after]"
)
# Response fields holding the next page's cursor.
_CURSOR_FIELDS = frozenset(
    _vocabulary(
        "next_cursor nextcursor next_page_token nextpagetoken next_token nexttoken next_marker"
        " nextmarker continuation_token continuationtoken continuation next_page nextpage"
        " endcursor end_cursor scroll_id cursor"
    )
)
# Objects whose fields are the next page's parameters (Asana's next_page.offset,
# HubSpot's paging.next.after, the Graph API's paging.cursors.after).
_NEXT_HOLDERS = frozenset(_vocabulary("next next_page nextpage cursors pagination paging"))
_LAST_ITEM_PARAMS = _vocabulary("starting_after startingafter after after_id")
_HAS_MORE_FIELDS = frozenset(
    _vocabulary("has_more hasmore has_next hasnext hasnextpage has_next_page more")
)
_NEXT_URL_FIELDS = frozenset(
    _vocabulary(
        "next nextlink next_link @odata.nextlink odata.nextlink next_url nexturl next_page_url"
        " nextpageurl next_page_uri nextpageuri next_uri next_href"
    )
)
_URL_LEAVES = frozenset(_vocabulary("href link url uri"))
_LIMIT_PARAMS = _vocabulary(
    "limit page_size pagesize per_page perpage count maxresults max_results size max $top top"
    " take first page_limit num rows page[size] page[limit]"
)
_OFFSET_PARAMS = _vocabulary(
    "offset skip $skip start startat start_at startindex start_index page[offset]"
)
_PAGE_PARAMS = _vocabulary(
    "page page_number pagenumber page_no pageno page_index pageindex page[number]"
)
_TOTAL_FIELDS = frozenset(
    _vocabulary(
        "total total_count totalcount total_results totalresults total_size totalsize"
        " total_items totalitems total_records totalrecords recordstotal"
    )
)
_TOTAL_PAGES_FIELDS = frozenset(
    _vocabulary(
        "total_pages totalpages pages page_count pagecount num_pages numpages last_page lastpage"
    )
)
_CURSOR_HEADERS = _vocabulary("x-next-cursor next-cursor x-next-page-token x-continuation-token")
# Names of the array in a list envelope that say "these are the items" whatever the API.
_GENERIC_ITEMS = frozenset(
    _vocabulary(
        "data items results records entries values value elements objects nodes rows list"
        " content collection"
    )
)
# Names of the object wrapping a get response's item (Asana's {"data": {...}}).
_GENERIC_ITEM = frozenset(_vocabulary("data item result record object entity resource"))
# Item fields that identify an item, the most usual first.
_ID_FIELDS = _vocabulary("id gid uuid key number sid slug login name code handle username email")
# The last word of an id parameter's name and the item field it names.
_ID_SUFFIXES = {**{field: field for field in _ID_FIELDS}, "num": "number"}
_RPC_LIST_VERBS = frozenset(_vocabulary("list all"))
_RPC_GET_VERBS = frozenset(_vocabulary("info get read show retrieve fetch details"))
# Last segments of a listing that name what is done, not what is listed.
_ACTION_SEGMENTS = frozenset(_vocabulary("list search query find filter all lookup"))
# What business-app connectors are mostly for: people and organisations, sales and billing,
# work items, content and conversations. A collection named so ranks above an otherwise
# equal one (Stripe has forty top-level collections its structure cannot tell apart).
# Singular, without separators; "pull" is GitHub's path name for pull requests.
_COMMON_ENTITIES = frozenset(
    _vocabulary(
        "user member customer contact company account organization org team group employee"
        " lead deal order invoice payment charge refund subscription product price project task"
        " issue ticket repository repo pull pullrequest mergerequest event meeting message"
        " channel conversation file folder document page comment"
    )
)
# An API's event log: what an incremental sync, or the catch-up after missed webhooks,
# reads. One is always proposed when the API has it at the top level, though nothing else
# in a spec points at it.
_FEEDS = frozenset(_vocabulary("event activity auditlog auditevent"))
_UNCOUNTABLE = frozenset(
    _vocabulary(
        "data media info information metadata news feedback staff series history people children"
    )
)

_VERSION_SEGMENT = re.compile(
    r"^(v\d+(\.\d+)*[a-z]*|\d+(\.\d+)*|api|rest|\d{4}-\d{2}-\d{2})$", re.I
)
_PARAM_SEGMENT = re.compile(r"^\{([^{}]+)\}$")
_RPC_SEGMENT = re.compile(r"^(?P<prefix>[A-Za-z][\w.-]*)\.(?P<verb>[A-Za-z]+)$")
_NON_PRODUCTION = re.compile(
    r"sandbox|staging|localhost|127\.0\.0\.1|example|preview|playground|"
    r"\b(test|testing|dev|develop|development|stage|demo|mock|beta|qa|uat|int)\b"
)


# -- the proposals -------------------------------------------------------------------------


@attrs.frozen
class BaseUrlProposal:
    """The proposed ``base_url``, with server variables filled in from their defaults.

    A relative server URL becomes ``https://{host}/<path>`` with `needs_host` set; a
    variable without a default stays a ``{name}`` placeholder, listed in
    `unfilled_variables`. `alternatives` are the spec's other servers.
    """

    url: str
    needs_host: bool = False
    unfilled_variables: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    reasons: str = ""


@attrs.frozen
class ApiKeyProposal:
    """Where an API key goes: the header, query parameter or cookie `name`."""

    name: str
    location: str
    prefix: str | None = None

    def to_yaml_dict(self) -> dict[str, Any]:
        return {"name": self.name, "in": self.location, "prefix": self.prefix}


@attrs.frozen
class AuthProposal:
    """The proposed ``auth`` mapping, the security scheme it comes from, and alternatives."""

    type: str
    scheme: str | None = None
    api_key: ApiKeyProposal | None = None
    token_url: str | None = None
    authorization_url: str | None = None
    scopes: tuple[str, ...] = ()
    reasons: str = ""
    alternatives: tuple[AuthProposal, ...] = ()

    def to_yaml_dict(self) -> dict[str, Any]:
        """The connector.yaml ``auth`` mapping (the alternatives are for the prompt)."""
        result: dict[str, Any] = {"type": self.type}
        if self.api_key is not None:
            result["api_key"] = self.api_key.to_yaml_dict()
        if self.token_url:
            result["token_url"] = self.token_url
        if self.authorization_url:
            result["authorization_url"] = self.authorization_url
        if self.scopes:
            result["scopes"] = list(self.scopes)
        return result


@attrs.frozen
class PaginationProposal:
    """A pagination style and settings of its `connectory.core` paginator."""

    style: str
    settings: tuple[tuple[str, Any], ...] = ()
    reasons: str = ""

    def to_yaml_dict(self) -> dict[str, Any]:
        return {"style": self.style, **dict(self.settings)}

    def pages_like(self, other: PaginationProposal) -> bool:
        """Whether both page the same way (their reasons aside)."""
        return (self.style, self.settings) == (other.style, other.settings)


@attrs.frozen
class ResourceProposal:
    """One proposed resource: a list operation and, where the API has one, its get."""

    name: str
    list_operation: str
    get_operation: str | None
    id_param: str | None
    id_field: str
    items_path: str | None
    item_path: str | None
    pagination: PaginationProposal
    list_path: str
    get_path: str | None
    score: float
    reasons: str

    def to_yaml_dict(self, default_pagination: PaginationProposal | None = None) -> dict[str, Any]:
        """The mapping under ``resources.<name>``; ``pagination`` only where it differs
        from `default_pagination`."""
        result: dict[str, Any] = {"list": self.list_operation}
        if self.get_operation is not None:
            result["get"] = self.get_operation
            result["id_param"] = self.id_param
        result["id_field"] = self.id_field
        result["items_path"] = self.items_path
        if self.get_operation is not None:
            result["item_path"] = self.item_path
        if default_pagination is None or not self.pagination.pages_like(default_pagination):
            result["pagination"] = self.pagination.to_yaml_dict()
        return result


@attrs.frozen
class Proposal:
    """Everything proposed for one spec."""

    base_url: BaseUrlProposal
    auth: AuthProposal
    pagination: PaginationProposal
    resources: tuple[ResourceProposal, ...]

    def resource(self, name: str) -> ResourceProposal | None:
        return next((r for r in self.resources if r.name == name), None)

    def to_yaml_dict(self) -> dict[str, Any]:
        """The connector.yaml mappings the proposal fills in."""
        return {
            "base_url": self.base_url.url,
            "auth": self.auth.to_yaml_dict(),
            "pagination": self.pagination.to_yaml_dict(),
            "resources": {r.name: r.to_yaml_dict(self.pagination) for r in self.resources},
        }


# -- reading schemas -----------------------------------------------------------------------

_Node = tuple[Any, str]  # a raw schema and the document it is written in


@attrs.frozen(eq=False)
class _Shape:
    """What a schema looks like once ``$ref``, ``allOf`` and ``anyOf``/``oneOf`` are read."""

    kind: str  # object | array | scalar | unknown
    type: str | None = None
    format: str | None = None
    properties: tuple[tuple[str, _Node], ...] = ()
    required: frozenset[str] = frozenset()
    items: _Node | None = None
    identity: str | None = None  # the $ref target: two shapes with one identity are one schema

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.properties)

    @property
    def implicit_array(self) -> bool:
        """``items`` without a ``type``: how some specs (Slack's) wrap their objects."""
        return self.kind == "array" and self.type is None


_UNKNOWN = _Shape("unknown")


class _Schemas:
    """Reads schemas through the resolver, once per schema node."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._cache: dict[tuple[int, str], _Shape] = {}
        self._reading: set[tuple[int, str]] = set()

    def deref(self, node: Any, base: str) -> tuple[Any, str | None, str]:
        try:
            return self.resolver.deref(node, base)
        except (SpecError, OSError, RecursionError):
            return None, None, base

    def shape(self, node: _Node | None) -> _Shape:
        if node is None:
            return _UNKNOWN
        raw, target, base = self.deref(*node)
        if not isinstance(raw, dict):
            return _UNKNOWN
        key = (id(raw), base)  # the documents outlive the reader, so ids stay unique
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if key in self._reading:  # a schema made of itself: unknown below this point
            return _UNKNOWN
        self._reading.add(key)
        try:
            result = self._read(raw, base, target)
        finally:
            self._reading.discard(key)
        self._cache[key] = result
        return result

    def object_shape(self, node: _Node | None) -> _Shape:
        """`shape`, reading an untyped ``items`` wrapper as the object it wraps.

        JSON Schema applies ``items`` to arrays only, so a schema that has nothing else
        says nothing about an object; where an object is expected, the items are what the
        author meant.
        """
        shape = self.shape(node)
        return self.shape(shape.items) if shape.implicit_array else shape

    def _read(self, raw: dict[str, Any], base: str, target: str | None) -> _Shape:
        declared = _json_type(raw.get("type"))
        properties: dict[str, _Node] = {}
        required: set[str] = set()
        kind = "unknown"
        items: _Node | None = None
        identity = target
        parts = [self.shape((part, base)) for part in _list(raw.get("allOf"))]
        for part in parts:
            if part.kind == "object":
                kind = "object"
                properties.update(part.properties)
                required |= part.required
            elif part.kind == "array" and kind == "unknown":
                kind, items = "array", part.items
        if len(parts) == 1 and identity is None:
            identity = parts[0].identity  # allOf: [$ref] only wraps a schema
        if isinstance(raw.get("properties"), dict):
            kind = "object"
            properties.update((str(name), (prop, base)) for name, prop in raw["properties"].items())
        required |= {str(name) for name in _list(raw.get("required"))}
        if declared == "object":
            kind = "object"
        elif declared == "array" or (declared is None and "items" in raw and kind == "unknown"):
            kind = "array"
            items = (raw["items"], base) if raw.get("items") is not None else None
        elif declared is not None and kind == "unknown":
            kind = "scalar"
        if kind == "unknown" or (kind == "object" and not properties):
            # A union: read as its most telling branch, an object with fields first.
            branches = [
                self.shape((branch, base))
                for key in ("oneOf", "anyOf")
                for branch in _list(raw.get(key))
            ]
            chosen = next((b for b in branches if b.kind == "object" and b.properties), None)
            chosen = chosen or next((b for b in branches if b.kind in ("array", "scalar")), None)
            if chosen is not None:
                return chosen if target is None else attrs.evolve(chosen, identity=target)
        fmt = raw.get("format")
        return _Shape(
            kind=kind,
            type=declared,
            format=fmt if isinstance(fmt, str) else None,
            properties=tuple(properties.items()),
            required=frozenset(required),
            items=items,
            identity=identity,
        )

    def fields(
        self, shape: _Shape, *, skip: str | None, depth: int = 3
    ) -> list[tuple[str, _Shape]]:
        """(dotted path, shape) of every field up to `depth` levels deep, shallowest first;
        `skip` (the items) is not entered."""
        found: list[tuple[str, _Shape]] = []
        level: list[tuple[str, _Shape]] = [("", shape)]
        for _ in range(depth):
            deeper: list[tuple[str, _Shape]] = []
            for prefix, holder in level:
                for name, node in holder.properties:
                    path = f"{prefix}.{name}" if prefix else name
                    if path == skip:
                        continue
                    sub = self.object_shape(node)
                    found.append((path, sub))
                    if sub.kind == "object":
                        deeper.append((path, sub))
            level = deeper
        return found

    def field_types(self, shape: _Shape) -> dict[str, str | None]:
        """The JSON type of each of the object's fields (None where unknown)."""
        return {name: self.shape(node).type for name, node in shape.properties}


def _json_type(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAPI 3.1: ["string", "null"]
        return next((str(v) for v in value if v != "null"), None)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- reading operations --------------------------------------------------------------------

_Requirements = tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]


@attrs.frozen(eq=False)
class _Param:
    name: str
    location: str
    required: bool
    type: str | None
    maximum: int | None
    minimum: int | None
    default: Any


@attrs.frozen(eq=False)
class _Operation:
    operation_id: str
    method: str
    path: str
    segments: tuple[str, ...]
    params: tuple[_Param, ...]
    response: _Shape | None  # GETs only: the success body; None when it has no schema
    response_headers: frozenset[str]  # lower-case
    security: _Requirements | None  # None: the document's default applies

    @property
    def path_params(self) -> list[str]:
        return [m.group(1) for s in self.segments if (m := _PARAM_SEGMENT.match(s))]

    def query(self) -> dict[str, _Param]:
        """The query parameters by lower-case name."""
        return {p.name.lower(): p for p in self.params if p.location == "query"}


def _segments(path: str) -> tuple[str, ...]:
    """The path's segments; a ``.json``/``.xml`` ending is dropped (Twilio's ``Calls.json``)."""
    parts = [p for p in path.split("/") if p]
    if parts:
        parts[-1] = re.sub(r"\.(json|xml)$", "", parts[-1])
    return tuple(parts)


def _is_param(segment: str) -> bool:
    return _PARAM_SEGMENT.match(segment) is not None


def _shape_key(segments: Iterable[str]) -> tuple[str, ...]:
    """Segments compared by shape: parameter names do not matter, case does not either."""
    return tuple("{}" if _is_param(s) else s.lower() for s in segments)


class _Reader:
    """Every operation of a document, read once."""

    def __init__(self, document: Mapping[str, Any], resolver: Resolver) -> None:
        self.schemas = _Schemas(resolver)
        self.base = resolver.root_key
        self.operations: list[_Operation] = []
        paths = document.get("paths")
        for path, raw_item in (paths if isinstance(paths, dict) else {}).items():
            item, _, item_base = self.schemas.deref(raw_item, self.base)
            if not isinstance(item, dict):
                continue
            for method in _HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    self.operations.append(
                        self._operation(str(path), method, item[method], item, item_base)
                    )

    def _operation(
        self, path: str, method: str, raw: dict[str, Any], item: dict[str, Any], base: str
    ) -> _Operation:
        # The generator names an operation without an id the same way.
        operation_id = str(raw.get("operationId") or f"{method}:{path}")
        security = raw.get("security")
        params: dict[tuple[str, str], _Param] = {}
        for raw_param in [*_list(item.get("parameters")), *_list(raw.get("parameters"))]:
            param = self._param(raw_param, base)
            if param is not None:
                params[(param.name, param.location)] = param
        response: _Shape | None = None
        headers: frozenset[str] = frozenset()
        if method == "get":
            response, headers = self._response(raw.get("responses"), base)
        return _Operation(
            operation_id=operation_id,
            method=method,
            path=path,
            segments=_segments(path),
            params=tuple(params.values()),
            response=response,
            response_headers=headers,
            security=_requirements(security) if isinstance(security, list) else None,
        )

    def _param(self, raw: Any, base: str) -> _Param | None:
        node, _, node_base = self.schemas.deref(raw, base)
        if not isinstance(node, dict) or "name" not in node or "in" not in node:
            return None
        schema, _, _ = self.schemas.deref(node.get("schema"), node_base)
        schema = schema if isinstance(schema, dict) else node  # Swagger 2.0 style, inline
        return _Param(
            name=str(node["name"]),
            location=str(node["in"]),
            required=bool(node.get("required")),
            type=_json_type(schema.get("type")),
            maximum=_int_or_none(schema.get("maximum")),
            minimum=_int_or_none(schema.get("minimum")),
            default=schema.get("default"),
        )

    def _response(self, raw: Any, base: str) -> tuple[_Shape | None, frozenset[str]]:
        """The first success response's JSON body and header names."""
        if not isinstance(raw, dict):
            return None, frozenset()
        for status in sorted(str(s) for s in raw if str(s).startswith("2")):
            response, _, response_base = self.schemas.deref(raw[status], base)
            if not isinstance(response, dict):
                continue
            headers = response.get("headers")
            names = (
                frozenset(str(h).lower() for h in headers)
                if isinstance(headers, dict)
                else frozenset()
            )
            content = response.get("content")
            media = _json_media(content) if isinstance(content, dict) else None
            if media is None:
                return None, names
            return self.schemas.shape((media.get("schema"), response_base)), names
        return None, frozenset()


def _json_media(content: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON media type object of a ``content`` map: application/json, then any +json."""
    ranked = sorted(
        (0 if ct.split(";")[0].strip() == "application/json" else 1 if "json" in ct else 2, ct)
        for ct in content
        if "json" in ct or ct.startswith("*/*")
    )
    return next((content[ct] for _, ct in ranked if isinstance(content[ct], dict)), None)


def _requirements(raw: list[Any]) -> _Requirements:
    return tuple(
        tuple(
            (str(name), tuple(str(s) for s in _list(scopes)))
            for name, scopes in requirement.items()
        )
        for requirement in raw
        if isinstance(requirement, dict)
    )


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# -- base URL ------------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Server:
    url: str
    needs_host: bool
    unfilled: tuple[str, ...]
    description: str

    @property
    def looks_non_production(self) -> bool:
        description = self.description.lower()
        return bool(_NON_PRODUCTION.search(self.url.lower())) or (
            bool(_NON_PRODUCTION.search(description)) and "production" not in description
        )


def _propose_base_url(document: Mapping[str, Any]) -> BaseUrlProposal:
    servers: list[_Server] = []
    for server in _list(document.get("servers")):
        if (
            isinstance(server, dict)
            and isinstance(server.get("url"), str)
            and server["url"].strip()
        ):
            servers.append(_server(server))
    if not servers:
        return BaseUrlProposal(
            url="https://{host}",
            needs_host=True,
            reasons="The spec declares no server: enter the API's base URL.",
        )
    ordered = sorted(
        servers,
        key=lambda s: (
            s.needs_host,
            s.looks_non_production,
            not s.url.lower().startswith("https://"),
            len(s.unfilled),
        ),
    )  # sorted() is stable: the spec's order breaks ties
    chosen = ordered[0]
    reasons = []
    if len(servers) == 1:
        reasons.append("The spec's only server.")
    else:
        reasons.append(
            f"Chosen among {len(servers)} servers, https and production-looking first;"
            " the others are alternatives."
        )
    if chosen.looks_non_production:
        reasons.append("It looks like a test or sandbox server: check the production URL.")
    if chosen.needs_host:
        reasons.append("The server URL is relative: replace {host} with the API's host.")
    if chosen.unfilled:
        reasons.append(f"Server variables without a default: {', '.join(chosen.unfilled)}.")
    return BaseUrlProposal(
        url=chosen.url,
        needs_host=chosen.needs_host,
        unfilled_variables=chosen.unfilled,
        alternatives=tuple(dict.fromkeys(s.url for s in ordered[1:] if s.url != chosen.url)),
        reasons=" ".join(reasons),
    )


def _server(server: Mapping[str, Any]) -> _Server:
    url, unfilled = _fill_variables(server["url"].strip(), server.get("variables"))
    if url.startswith("//"):  # scheme-relative: the host is there
        url = "https:" + url
    needs_host = not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE)
    if needs_host:
        url = "https://{host}/" + url.lstrip("/")
    scheme, _, rest = url.partition("://")
    url = f"{scheme}://{re.sub('/{2,}', '/', rest)}".rstrip("/")
    return _Server(url, needs_host, unfilled, str(server.get("description") or ""))


def _fill_variables(url: str, variables: Any) -> tuple[str, tuple[str, ...]]:
    """`url` with each ``{variable}`` replaced by its default (else its first enum value)."""
    unfilled: list[str] = []

    def value(match: re.Match[str]) -> str:
        spec = variables.get(match[1]) if isinstance(variables, dict) else None
        if isinstance(spec, dict):
            if spec.get("default") not in (None, ""):
                return str(spec["default"])
            if _list(spec.get("enum")):
                return str(spec["enum"][0])
        unfilled.append(match[1])
        return match[0]

    return re.sub(r"\{([^{}]+)\}", value, url), tuple(dict.fromkeys(unfilled))


# -- auth ----------------------------------------------------------------------------------

# The first choice among schemes used equally often: delegated user authorisation, then a
# single token, then a key, then a user name and password.
_AUTH_PREFERENCE = {
    "oauth2": 0,
    "oauth2_client_credentials": 1,
    "bearer_token": 2,
    "api_key": 3,
    "basic": 4,
}


def _propose_auth(
    document: Mapping[str, Any],
    reader: _Reader,
    base_url: str,
    resource_operations: set[str],
) -> AuthProposal:
    components = document.get("components")
    declared = components.get("securitySchemes") if isinstance(components, dict) else None
    schemes: dict[str, dict[str, Any]] = {}
    for name, raw in (declared if isinstance(declared, dict) else {}).items():
        node, _, _ = reader.schemas.deref(raw, reader.base)
        if isinstance(node, dict):
            schemes[str(name)] = node
    if not schemes:
        return AuthProposal(
            type="none",
            reasons=(
                "The spec declares no security scheme, so it does not say how to"
                " authenticate: if the API needs credentials, pick the type its"
                " documentation gives."
            ),
        )
    root = document.get("security")
    default_requirements = _requirements(root) if isinstance(root, list) else ()
    usage: Counter[str] = Counter()
    scopes_used: dict[str, set[str]] = {}
    public = 0
    for operation in reader.operations:
        requirements = (
            operation.security if operation.security is not None else default_requirements
        )
        # No requirement, or an empty one among the alternatives: no credentials needed.
        public += not requirements or any(not requirement for requirement in requirements)
        for requirement in requirements:
            for name, scopes in requirement:
                usage[name] += 1
                if operation.operation_id in resource_operations:
                    scopes_used.setdefault(name, set()).update(scopes)
    ranked: list[tuple[tuple[int, int, int], AuthProposal]] = []
    for order, name in enumerate(sorted(schemes)):
        used = usage[name]
        note = (
            f" Required by {used} of {_count(len(reader.operations), 'operation')}."
            if used
            else " Declared, though no operation requires it."
        )
        for option in _scheme_options(name, schemes[name], base_url, scopes_used.get(name, set())):
            rank = (-used, _AUTH_PREFERENCE[option.type], order)
            ranked.append((rank, attrs.evolve(option, reasons=option.reasons + note)))
    if not ranked:
        kinds = ", ".join(sorted({str(s.get("type")) for s in schemes.values()}))
        return AuthProposal(
            type="none",
            reasons=f"No security scheme of a supported kind (the spec has: {kinds}).",
        )
    ranked.sort(key=lambda entry: entry[0])
    chosen = ranked[0][1]
    alternatives: list[AuthProposal] = []
    for _, option in ranked[1:]:
        if not any(_same_auth(option, other) for other in [chosen, *alternatives]):
            alternatives.append(option)
    reasons = chosen.reasons
    if public:
        reasons += f" Operations callable without credentials: {public}."
    if alternatives:
        reasons += " Alternatives: " + ", ".join(a.type for a in alternatives) + "."
    return attrs.evolve(chosen, reasons=reasons, alternatives=tuple(alternatives))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _same_auth(one: AuthProposal, other: AuthProposal) -> bool:
    return (one.type, one.api_key, one.token_url) == (other.type, other.api_key, other.token_url)


def _scheme_options(
    name: str, scheme: Mapping[str, Any], base_url: str, scopes: set[str]
) -> list[AuthProposal]:
    """The auth mappings one security scheme allows, the likeliest first."""
    kind = str(scheme.get("type") or "").lower()
    if kind == "http":
        http_scheme = str(scheme.get("scheme") or "").lower()
        if http_scheme in ("bearer", "basic"):
            auth_type = "bearer_token" if http_scheme == "bearer" else "basic"
            return [
                AuthProposal(
                    auth_type,
                    scheme=name,
                    reasons=f"'{name}' is HTTP {http_scheme} authentication.",
                )
            ]
        return []
    if kind == "apikey":
        location, key_name = scheme.get("in"), scheme.get("name")
        if location not in ("header", "query", "cookie") or not isinstance(key_name, str):
            return []
        prefix = _key_prefix(key_name, scheme.get("description"))
        reason = f"'{name}' is an API key in the {location} '{key_name}'"
        reason += f", after the word '{prefix}'." if prefix else "."
        api_key = ApiKeyProposal(key_name, str(location), prefix)
        return [AuthProposal("api_key", scheme=name, api_key=api_key, reasons=reason)]
    if kind == "oauth2":
        return _oauth_options(name, scheme.get("flows"), base_url, scopes)
    if kind == "openidconnect":
        return [
            AuthProposal(
                "bearer_token",
                scheme=name,
                reasons=f"'{name}' is OpenID Connect, whose access tokens are bearer tokens.",
            )
        ]
    return []


def _key_prefix(key_name: str, description: Any) -> str | None:
    """The word before the key in an ``Authorization`` header, from the scheme's text."""
    if key_name.lower() != "authorization" or not isinstance(description, str):
        return None
    for word in ("Bearer", "Token", "Bot", "Key", "Apikey"):
        if re.search(rf"\b{word}\s+[<{{\[\w]", description):
            return word
    return None


def _oauth_options(name: str, flows: Any, base_url: str, scopes: set[str]) -> list[AuthProposal]:
    flows = flows if isinstance(flows, dict) else {}
    options: list[AuthProposal] = []
    scope_note = "; scopes: those the proposed resources' operations require" if scopes else ""
    code = flows.get("authorizationCode")
    if isinstance(code, dict):
        options.append(
            AuthProposal(
                "oauth2",
                scheme=name,
                token_url=_absolute(code.get("tokenUrl"), base_url),
                authorization_url=_absolute(code.get("authorizationUrl"), base_url),
                scopes=tuple(sorted(scopes)),
                reasons=f"'{name}' is OAuth2 with the authorization-code flow{scope_note}.",
            )
        )
    client = flows.get("clientCredentials")
    token_url = _absolute(client.get("tokenUrl"), base_url) if isinstance(client, dict) else None
    if token_url is not None:
        options.append(
            AuthProposal(
                "oauth2_client_credentials",
                scheme=name,
                token_url=token_url,
                scopes=tuple(sorted(scopes)),
                reasons=f"'{name}' is OAuth2 with the client-credentials flow{scope_note}.",
            )
        )
    if flows:
        # A token obtained beforehand (an app's installation, a developer console, the
        # implicit or password flow) goes out as a bearer token.
        options.append(
            AuthProposal(
                "bearer_token",
                scheme=name,
                reasons=f"An access token of '{name}' obtained beforehand, sent as a bearer token.",
            )
        )
    return options


def _absolute(url: Any, base_url: str) -> str | None:
    """`url` made absolute against the base URL's origin (token URLs may be relative)."""
    text = url.strip() if isinstance(url, str) else ""
    if not text or re.match(r"^https?://", text, re.IGNORECASE):
        return text or None
    origin = re.match(r"^https?://[^/{}]+(?=/|$)", base_url)
    return f"{origin[0]}/{text.lstrip('/')}" if origin else None


# -- resources -----------------------------------------------------------------------------


@attrs.frozen(eq=False)
class _Listing:
    """A GET that lists a collection."""

    operation: _Operation
    items_path: str | None
    item: _Shape
    collection: str  # the name the path gives the items
    collection_index: int  # where that name is among the path's segments
    rpc_key: tuple[str, ...] | None  # an RPC list method's folder and method family
    action: bool  # a search or query rather than the plain listing
    # typed: the body is a list of objects; untyped: the spec gives the body no schema;
    # object: the spec declares one object on a plural path with a get below (GitLab's)
    evidence: str = "typed"


@attrs.frozen(eq=False)
class _Candidate:
    name: str
    listing: _Listing
    get: _Operation | None
    pairing: str  # exact | top | rpc | schema | "" without a get
    item_path: str | None
    id_param: str | None
    id_field: str
    id_reason: str
    score: float


class _ResourceFinder:
    """Finds the listings of a document, pairs each with its get and ranks the pairs."""

    def __init__(self, reader: _Reader) -> None:
        self.schemas = reader.schemas
        self.root = _common_root([op.segments for op in reader.operations])
        gets = [op for op in reader.operations if op.method == "get"]
        self.exact_gets: dict[tuple[str, ...], _Operation] = {}
        self.top_gets: dict[str, list[_Operation]] = {}
        self.rpc_gets: dict[tuple[str, ...], _Operation] = {}
        self.gets_by_schema: dict[str, list[_Operation]] = {}
        for op in gets:
            if op.response is None or op.response.kind == "object":
                self._index_get(op)
        for ops in [*self.top_gets.values(), *self.gets_by_schema.values()]:
            ops.sort(key=lambda op: (len(op.path_params), op.path))
        self.listings = [listing for op in gets if (listing := self._listing(op)) is not None]
        # Counts that keep the ranking linear in the number of operations (Microsoft
        # Graph has thousands of listings).
        self.prefix_counts: Counter[tuple[str, ...]] = Counter()
        self.rpc_families: Counter[str] = Counter()
        self.query_users: dict[str, set[str]] = {}
        for op in reader.operations:
            key = _shape_key(op.segments)
            self.prefix_counts.update(key[:length] for length in range(1, len(key) + 1))
            if op.segments and (match := _RPC_SEGMENT.match(op.segments[-1])):
                family = match["prefix"].lower().split(".")
                self.rpc_families.update(".".join(family[:n]) for n in range(1, len(family) + 1))
            for param in op.params:
                if param.location == "query":
                    self.query_users.setdefault(_normal(param.name), set()).add(op.operation_id)

    def _root_length(self, segments: tuple[str, ...]) -> int:
        """How many leading segments are the API's root (``/v1``, ``/rest/api/3``)."""
        length = 0
        for index, segment in enumerate(segments):
            in_root = index < len(self.root) and segment.lower() == self.root[index]
            if _is_param(segment) or not (in_root or _VERSION_SEGMENT.match(segment)):
                break
            length += 1
        return length

    def _index_get(self, op: _Operation) -> None:
        segments = op.segments
        if segments and _is_param(segments[-1]):
            self.exact_gets.setdefault(_shape_key(segments[:-1]), op)
            if op.response is not None and op.response.identity is not None:
                self.gets_by_schema.setdefault(op.response.identity, []).append(op)
            # /orgs/{org}, /repos/{owner}/{repo}: a collection's top-level get
            first_param = next(i for i, s in enumerate(segments) if _is_param(s))
            if first_param == self._root_length(segments) + 1 and all(
                _is_param(s) for s in segments[first_param:]
            ):
                self.top_gets.setdefault(segments[first_param - 1].lower(), []).append(op)
        elif (
            segments
            and (match := _RPC_SEGMENT.match(segments[-1]))
            and match["verb"].lower() in _RPC_GET_VERBS
        ):
            key = (*_shape_key(segments[:-1]), match["prefix"].lower())
            self.rpc_gets.setdefault(key, op)

    def _listing(self, op: _Operation) -> _Listing | None:
        segments = op.segments
        if not segments or _is_param(segments[-1]):
            return None
        last, index = segments[-1], len(segments) - 1
        rpc_key: tuple[str, ...] | None = None
        action = False
        match = _RPC_SEGMENT.match(last)
        verb = match["verb"].lower() if match else ""
        if match and verb in _RPC_GET_VERBS:
            return None
        if match and (verb in _RPC_LIST_VERBS or verb in _ACTION_SEGMENTS):
            collection = match["prefix"]
            if verb in _RPC_LIST_VERBS:
                rpc_key = (*_shape_key(segments[:-1]), collection.lower())
            else:
                action = True
        elif last.lower() in _ACTION_SEGMENTS:
            # /v1/customers/search: the customers, searched; /search: named by its items
            action = True
            root = self._root_length(segments)
            statics = [i for i in range(root, index) if not _is_param(segments[i])]
            index = statics[-1] if statics else index
            collection = segments[index] if statics else ""
        else:
            collection = last
        found = _find_items(self.schemas, op.response, _name_hints(collection))
        plural = _looks_plural(collection) or rpc_key is not None or action
        if found is not None:
            items_path, item = found
            if not collection and items_path:
                collection = items_path.rsplit(".", 1)[-1]
            # An object on a singular path (/me, /user) holding an array is one thing with
            # a list inside, unless the array is named as a list envelope's items are
            # (/issue/{key}/comment answers {"comments": [...]}).
            enveloped = op.response is not None and op.response.kind == "object"
            named = (items_path or "") in _GENERIC_ITEMS or _normal(items_path or "") in (
                _name_hints(collection)
            )
            if not collection or (enveloped and not plural and not named):
                return None
            return _Listing(op, items_path, item, collection, index, rpc_key, action)
        if match or action or not plural:
            return None
        if op.response is None or op.response.kind == "unknown":
            return _Listing(op, None, _UNKNOWN, collection, index, None, False, "untyped")
        if op.response.kind == "object" and op.response.properties:
            return _Listing(op, None, op.response, collection, index, None, False, "object")
        return None

    def candidates(self) -> list[_Candidate]:
        result = []
        for listing in self.listings:
            get, pairing = self._pair(listing)
            # A listing inferred from its path alone counts only with a get to vouch for it.
            if listing.evidence == "typed" or (
                get is not None and (listing.evidence == "untyped" or pairing == "exact")
            ):
                result.append(self._candidate(listing, get, pairing))
        return result

    def _pair(self, listing: _Listing) -> tuple[_Operation | None, str]:
        if listing.rpc_key is not None:
            get = self.rpc_gets.get(listing.rpc_key)
            return (get, "rpc") if get is not None else (None, "")
        collection = _shape_key(listing.operation.segments[: listing.collection_index + 1])
        exact = self.exact_gets.get(collection)
        if exact is not None and self._fits(listing, exact, strict=False):
            return exact, "exact"
        for get in self.top_gets.get(listing.collection.lower(), []):
            if get is not exact and self._fits(listing, get, strict=True):
                return get, "top"
        # /v1/blocks/{block_id}/children lists blocks: the get of a block returns one. Its
        # other parameters must come from the listing's own (not so /issues with
        # /repos/{owner}/{repo}/issues/{issue_number}).
        known = set(listing.operation.path_params)
        for get in self.gets_by_schema.get(listing.item.identity or "", []):
            if get is not exact and set(get.path_params[:-1]) <= known:
                return get, "schema"
        return None, ""

    def _fits(self, listing: _Listing, get: _Operation, *, strict: bool) -> bool:
        """Whether `get` returns the listing's items, judged by their schemas."""
        if listing.evidence == "untyped":
            # Nothing to compare: the path shape and the parameter's name are all there is.
            return _names_an_id(get.path_params[-1]) if get.path_params else False
        if get.response is None:
            return False
        _, item = self._get_item(get.response, listing.item, None)
        if listing.item.identity is not None and item.identity == listing.item.identity:
            return True
        mine, theirs = listing.item.names, item.names
        if not mine or not theirs:
            return not strict and listing.evidence == "typed"
        overlap = len(mine & theirs) / min(len(mine), len(theirs))
        return overlap >= (0.5 if strict or listing.evidence != "typed" else 0.2)

    def _get_item(
        self, shape: _Shape, list_item: _Shape, id_field: str | None
    ) -> tuple[str | None, _Shape]:
        """Where the item is in a get response: the body itself, or a wrapping field."""
        if list_item.identity is not None and shape.identity == list_item.identity:
            return None, shape
        wanted = id_field or next((f for f in _ID_FIELDS if f in list_item.names), "id")
        if wanted in shape.names:
            return None, shape
        wrappers: list[tuple[int, str, _Shape]] = []
        for name, node in shape.properties:
            sub = self.schemas.object_shape(node)
            if sub.kind != "object" or not sub.properties:
                continue
            same = list_item.identity is not None and sub.identity == list_item.identity
            if same or wanted in sub.names:
                wrappers.append(
                    (0 if same else 1 if name.lower() in _GENERIC_ITEM else 2, name, sub)
                )
        if wrappers:
            _, name, sub = min(wrappers, key=lambda wrapper: wrapper[0])
            return name, sub
        return None, shape

    def _candidate(self, listing: _Listing, get: _Operation | None, pairing: str) -> _Candidate:
        item = listing.item
        item_path: str | None = None
        id_param: str | None = None
        id_type: str | None = None
        if get is not None and get.response is not None:
            item_path, got = self._get_item(get.response, listing.item, None)
            if not item.properties:
                item = got  # an untyped listing: its get shows what an item holds
        if get is not None and pairing == "rpc":
            rpc_param = self._rpc_id_param(listing, get, item_path)
            if rpc_param is None:
                get, pairing, item_path = None, "", None  # no way to ask for one item
            else:
                id_param, id_type = rpc_param.name, rpc_param.type
        elif get is not None and get.path_params:
            id_param = get.path_params[-1]
            id_type = next(
                (p.type for p in get.params if p.name == id_param and p.location == "path"), None
            )
        id_field, id_reason = _id_field(
            self.schemas.field_types(item), id_param, id_type, listing.collection
        )
        if get is not None and get.response is not None:
            item_path, _ = self._get_item(get.response, listing.item, id_field)
        return _Candidate(
            name=_resource_name(listing.collection),
            listing=listing,
            get=get,
            pairing=pairing,
            item_path=item_path,
            id_param=id_param,
            id_field=id_field,
            id_reason=id_reason,
            score=self._score(listing, get),
        )

    def _rpc_id_param(
        self, listing: _Listing, get: _Operation, item_path: str | None
    ) -> _Param | None:
        """The query parameter of an RPC get method that takes the item's id: the one
        named like the item (Slack's ``conversations.info?channel=``), else the only id."""
        listed = {p.name for p in listing.operation.params}
        own = [p for p in get.params if p.location == "query" and p.name not in listed]
        singular = _entity(listing.collection)
        for wanted in [_normal(item_path or ""), singular, "id", f"{singular}id"]:
            match = next((p for p in own if wanted and _normal(p.name) == wanted), None)
            if match is not None:
                return match
        for chosen in (
            [p for p in own if _names_an_id(p.name)],
            [p for p in own if p.required],
        ):
            if len(chosen) == 1:
                return chosen[0]
        return None

    def _referrers(self, listing: _Listing, get: _Operation | None) -> int:
        """How many other operations take this resource's id as a query parameter: the
        hubs of an API's data (Stripe's customer) are what other listings filter by."""
        singular = _entity(listing.collection)
        own = {listing.operation.operation_id, get.operation_id if get else ""}
        users: set[str] = set()
        for name in (singular, f"{singular}id", f"{singular}gid", f"{singular}key"):
            users |= self.query_users.get(name, set())
        return len(users - own)

    def _score(self, listing: _Listing, get: _Operation | None) -> float:
        """How central a resource is: paired with a get, many operations about it, other
        listings filtering by it, near the top, named like a common business entity."""
        segments = listing.operation.segments
        collection = _shape_key(segments[: listing.collection_index + 1])
        prefixes = {collection}
        if get is not None and get.path_params:
            prefixes.add(_shape_key(get.segments[:-1]))
        # Paths below two prefixes are disjoint unless one prefix extends the other.
        outer = {p for p in prefixes if not any(q != p and p[: len(q)] == q for q in prefixes)}
        related = sum(self.prefix_counts[p] for p in outer)
        parents = namespaces = 0
        before = segments[self._root_length(segments) : listing.collection_index]
        for index, segment in enumerate(before):
            if _is_param(segment):
                # /repos/{owner}/{repo}/issues: one parent, however many params name it
                parents += index == 0 or not _is_param(before[index - 1])
            elif index + 1 == len(before) or not _is_param(before[index + 1]):
                namespaces += 1  # /v1/issuing/cards, /user/repos
        if listing.rpc_key is not None:
            related = self.rpc_families[listing.rpc_key[-1]]  # conversations.*
            namespaces += listing.rpc_key[-1].count(".")
        score = 4.0 if get is not None else 0.0
        score += math.log2(1 + related) + math.log2(1 + self._referrers(listing, get))
        score -= 1.5 * parents + 0.75 * namespaces
        score -= 3.0 if listing.action or listing.evidence != "typed" else 0.0
        score += 2.0 if _entity(listing.collection) in _COMMON_ENTITIES else 0.0
        return round(score, 3)


def _find_items(
    schemas: _Schemas, shape: _Shape | None, hints: set[str]
) -> tuple[str | None, _Shape] | None:
    """Where the items are in a list response: (dotted path or None, the item's shape)."""
    if shape is None:
        return None
    if shape.kind == "array":
        item = schemas.object_shape(shape.items)
        return (None, item) if item.kind == "object" and item.properties else None
    if shape.kind != "object":
        return None
    found = _arrays_of_objects(schemas, shape, "")
    if not found:  # one level down: {"_embedded": {"things": [...]}}
        for name, node in shape.properties:
            holder = schemas.object_shape(node)
            if holder.kind == "object" and len(holder.properties) <= 12:
                found += _arrays_of_objects(schemas, holder, f"{name}.")
    if not found:
        return None

    def preference(entry: tuple[str, _Shape, bool]) -> tuple[bool, bool, bool]:
        leaf = entry[0].rsplit(".", 1)[-1].lower().lstrip("_")
        return leaf not in _GENERIC_ITEMS, _normal(leaf) not in hints, not entry[2]

    best = min(found, key=preference)
    not_generic, not_hinted, optional = preference(best)
    telling = not (not_generic and not_hinted)
    # Many fields, an array among them: an item (an issue with its labels), not an
    # envelope. Several arrays, none named tellingly: no way to know which is the list.
    if len(shape.properties) > 15 and not telling:
        return None
    if len(found) > 1 and not telling and optional:
        return None
    return best[0], best[1]


def _arrays_of_objects(
    schemas: _Schemas, shape: _Shape, prefix: str
) -> list[tuple[str, _Shape, bool]]:
    """(path, item shape, required) of the object's fields that are arrays of objects."""
    found = []
    for name, node in shape.properties:
        sub = schemas.shape(node)
        if sub.kind == "array" and not sub.implicit_array:
            item = schemas.object_shape(sub.items)
            if item.kind == "object" and item.properties:
                found.append((prefix + name, item, name in shape.required))
    return found


def _id_field(
    field_types: Mapping[str, str | None],
    id_param: str | None,
    id_type: str | None,
    collection: str,
) -> tuple[str, str]:
    """The item field whose value fills `id_param`, and why it was chosen."""
    by_lower = {name.lower(): name for name in field_types}
    if id_param:
        if id_param.lower() in by_lower:
            return by_lower[id_param.lower()], f"named like the id parameter '{id_param}'"
        last = words(id_param)[-1].lower() if words(id_param) else ""
        if _ID_SUFFIXES.get(last) in by_lower:
            field = by_lower[_ID_SUFFIXES[last]]
            return field, f"the id parameter '{id_param}' names it"
    fitting = [
        by_lower[f]
        for f in _ID_FIELDS
        if f in by_lower and _types_fit(id_type, field_types[by_lower[f]])
    ]
    if fitting:
        if id_param and id_type:
            return fitting[0], f"the first id-like field whose type fits '{id_param}' ({id_type})"
        return fitting[0], "the item's first id-like field"
    singular = _entity(collection)
    for lower, name in sorted(by_lower.items()):
        if _normal(lower) in (f"{singular}id", f"{singular}key"):
            return name, f"named after the {singular}"
    return "id", "no id-like field in the item's schema, so 'id' is assumed"


def _types_fit(param_type: str | None, field_type: str | None) -> bool:
    """Whether a field of `field_type` can fill a parameter of `param_type`: the same type,
    or two numeric ones; an unknown type on either side fits (GitHub's ``org`` parameter is
    a string, so the organization's integer ``id`` does not fill it, its ``login`` does)."""
    if param_type is None or field_type is None or param_type == field_type:
        return True
    numeric = {"integer", "number"}
    return param_type in numeric and field_type in numeric


def _names_an_id(name: str) -> bool:
    """``idBoard``, ``user_id``, ``issueIdOrKey``: a parameter name with an id word in it."""
    return bool({w.lower() for w in words(name)} & _ID_SUFFIXES.keys())


def _common_root(all_segments: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The static segments every path starts with (``/v1``), lower-cased."""
    if not all_segments:
        return ()
    root: list[str] = []
    for column in zip(*all_segments, strict=False):
        if len({c.lower() for c in column}) != 1 or _is_param(column[0]):
            break
        root.append(column[0].lower())
    if root and len(root) == min(len(s) for s in all_segments):
        root.pop()  # a path that is the root itself: its last segment names something
    return tuple(root)


def _looks_plural(name: str) -> bool:
    lower = name.lower()
    return len(lower) > 2 and lower.endswith("s") and not lower.endswith("ss")


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _singular(word: str) -> str:
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if _looks_plural(word):
        return word[:-1]
    return word


def _plural(name: str) -> str:
    last = name.rsplit("_", 1)[-1]
    if last.endswith("s") or last in _UNCOUNTABLE or not last.isalpha() or "_of_" in name:
        return name
    if last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        return name[:-1] + "ies"
    if last.endswith(("x", "ch", "sh")):
        return name + "es"
    return name + "s"


def _entity(collection: str) -> str:
    """A collection's name as one singular word: ``payment_intents`` -> ``paymentintent``."""
    return _normal(_singular(collection.rsplit(".", 1)[-1]))


def _resource_name(collection: str) -> str:
    return _plural(snake(collection.replace(".", "_")))


def _name_hints(collection: str) -> set[str]:
    return {_normal(collection), _entity(collection), _normal(_resource_name(collection))}


# -- pagination ----------------------------------------------------------------------------


def _pagination(schemas: _Schemas, listing: _Listing, id_field: str) -> PaginationProposal:
    """How the listing pages, from its query parameters, response fields and headers."""
    op = listing.operation
    body = op.response
    fields = schemas.fields(body, skip=listing.items_path) if body is not None else []
    query = op.query()
    limit = next((query[n] for n in _LIMIT_PARAMS if n in query), None)
    has_more = _find_field(fields, _HAS_MORE_FIELDS, "boolean")

    if "link" in op.response_headers:
        return _paging("link_header", "the response declares a Link header", rel="next")

    cursor = _cursor_pair(fields, query)
    if cursor is not None:
        field, param = cursor
        return _paging(
            "cursor_in_body",
            f"the cursor in '{field}' goes back as '{param.name}'"
            + (f" while '{has_more}' is true" if has_more else "")
            + _limit_reason(limit),
            cursor_path=field,
            cursor_param=param.name,
            has_more_path=has_more,
            **_limit_settings(limit),
        )

    after = next((query[n] for n in _LAST_ITEM_PARAMS if n in query), None)
    # "after" alone may be a date filter (Bitbucket's); with has_more it pages.
    if after is not None and (
        has_more or after.name.lower() in ("starting_after", "startingafter")
    ):
        return _paging(
            "last_item_cursor",
            f"'{after.name}' takes the last item's '{id_field}'"
            + (f" while '{has_more}' is true" if has_more else ", until a page comes back empty")
            + _limit_reason(limit),
            id_field=id_field,
            cursor_param=after.name,
            has_more_path=has_more,
            **_limit_settings(limit),
        )

    next_url = _next_url_field(fields)
    if next_url is not None:
        return _paging(
            "next_url_in_body", f"the next page's URL is in '{next_url}'", next_path=next_url
        )

    offset = next((query[n] for n in _OFFSET_PARAMS if n in query), None)
    if offset is not None and limit is not None and offset.type in (None, "integer", "number"):
        size = _page_size(limit)
        total = _find_field(fields, _TOTAL_FIELDS, "integer")
        return _paging(
            "offset_limit",
            f"'{offset.name}' and '{limit.name}' parameters"
            + (f"; the total is in '{total}'" if total else "")
            + (
                f"; pages of {size}"
                if size
                else "; no page size declared, so pages of 100 are asked for: a smaller"
                " maximum on the API's side would end the listing early"
            ),
            offset_param=offset.name,
            limit_param=limit.name,
            page_size=size,
            total_path=total,
        )

    page = next((query[n] for n in _PAGE_PARAMS if n in query), None)
    if page is not None:
        total_pages = _find_field(fields, _TOTAL_PAGES_FIELDS, "integer")
        if limit is not None and limit.name.lower() in ("per_page", "perpage") and not total_pages:
            return _paging(
                "link_header",
                f"'{page.name}' and '{limit.name}' and no page count in the body: the GitHub"
                " convention, where the Link header leads to the next page (choose"
                " page_number if the API sends none)",
                rel="next",
            )
        size = _page_size(limit)
        start = 0 if 0 in (page.minimum, page.default) or "index" in page.name.lower() else 1
        return _paging(
            "page_number",
            f"a '{page.name}' number counting from {start}"
            + (f" and '{limit.name}'" if limit else "")
            + (f"; the page count is in '{total_pages}'" if total_pages else "")
            + (
                "; no page size declared, so only an empty page ends the listing"
                if size is None
                else ""
            ),
            page_param=page.name,
            start=start,
            size_param=limit.name if limit else None,
            page_size=size,
            total_pages_path=total_pages,
        )

    cursor_param = next((query[n] for n in _CURSOR_PARAMS if n in query), None)
    header = next((h for h in _CURSOR_HEADERS if h in op.response_headers), None)
    if cursor_param is not None and header is not None:
        return _paging(
            "cursor_in_header",
            f"the cursor comes in the '{header}' header and goes back as '{cursor_param.name}'",
            header=header,
            cursor_param=cursor_param.name,
        )
    if cursor_param is not None:
        return _paging(
            "none",
            f"a '{cursor_param.name}' parameter, but no response field or header declared to"
            " carry the next cursor",
        )
    return _paging("none", "no paging parameters or fields")


def _paging(style: str, reason: str, **settings: Any) -> PaginationProposal:
    """A proposal with the settings the style's paginator accepts, checked by building it.

    A None is kept where it overrides a default (LastItemCursor's ``has_more_path``:
    there is no such field), and dropped where it is the default or not allowed.
    """
    paginator = PAGINATION_STYLES[style]
    fields = {field.name: field for field in attrs.fields(paginator)}
    kept = {}
    for name, value in settings.items():
        field = fields[name]  # a KeyError here is a bug of this module: fail loudly
        if value is None and (field.default is None or "None" not in str(field.type)):
            continue
        kept[name] = value
    paginator(**kept)
    return PaginationProposal(
        style, tuple(sorted(kept.items())), reason[:1].upper() + reason[1:] + "."
    )


def _find_field(fields: list[tuple[str, _Shape]], names: frozenset[str], kind: str) -> str | None:
    """The shallowest scalar field named one of `names` whose type can be `kind`."""
    fitting = {kind, "number"} if kind == "integer" else {kind}
    for path, shape in fields:
        leaf = path.rsplit(".", 1)[-1].lower()
        if leaf in names and shape.kind in ("scalar", "unknown") and shape.type in (None, *fitting):
            return path
    return None


def _cursor_pair(
    fields: list[tuple[str, _Shape]], query: Mapping[str, _Param]
) -> tuple[str, _Param] | None:
    """A response field with the next cursor and the query parameter that takes it back."""
    for path, shape in fields:
        if shape.kind not in ("scalar", "unknown") or shape.type not in (None, "string"):
            continue
        if shape.format in ("uri", "url"):
            continue
        parts = path.lower().split(".")
        leaf = parts[-1]
        if leaf in _CURSOR_FIELDS:
            bare = re.sub(r"^next_?", "", leaf)  # next_cursor -> cursor, nextpagetoken -> pagetoken
            # Stripe's search: next_page goes back as page; elsewhere any cursor parameter.
            names = ["page"] if bare == "page" else [leaf, bare, *_CURSOR_PARAMS, "after"]
            param = next((query[n] for n in names if n in query), None)
            if param is not None and param.type in (None, "string"):
                return path, param
        elif (
            len(parts) > 1
            and parts[-2] in _NEXT_HOLDERS
            and leaf in query
            and leaf not in (*_URL_LEAVES, *_PAGE_PARAMS, *_LIMIT_PARAMS)
            and query[leaf].type in (None, "string")
        ):
            return path, query[leaf]  # next_page.offset -> offset, paging.next.after -> after
    return None


def _next_url_field(fields: list[tuple[str, _Shape]]) -> str | None:
    """A response field holding the next page's URL."""
    for path, shape in fields:
        if shape.kind not in ("scalar", "unknown") or shape.type not in (None, "string"):
            continue
        parts = path.lower().split(".")
        if parts[-1] in _NEXT_URL_FIELDS or path.lower() in _NEXT_URL_FIELDS:
            return path
        if len(parts) > 1 and parts[-1] in _URL_LEAVES and parts[-2] in ("next", "next_page"):
            return path  # links.next.href, paging.next.link
    return None


def _page_size(param: _Param | None) -> int | None:
    """The page size to ask for: the parameter's maximum, else its default."""
    if param is None:
        return None
    for value in (param.maximum, _int_or_none(param.default)):
        if value is not None and value >= 1:
            return value
    return None


def _limit_settings(limit: _Param | None) -> dict[str, Any]:
    """A cursor listing's page size: only worth sending when the maximum is declared."""
    if limit is None or limit.maximum is None or limit.maximum < 1:
        return {}
    return {"limit_param": limit.name, "page_size": limit.maximum}


def _limit_reason(limit: _Param | None) -> str:
    if limit is None:
        return ""
    if limit.maximum is not None:
        return f"; pages of {limit.maximum}, the maximum of '{limit.name}'"
    return f"; '{limit.name}' declares no maximum, so the API's default page size applies"


# -- choosing ------------------------------------------------------------------------------


def _select(candidates: list[_Candidate], max_resources: int) -> list[_Candidate]:
    """The best `max_resources` candidates, one per collection, an event feed among them."""
    ranked = _distinct(
        sorted(
            candidates,
            key=lambda c: (
                -c.score,
                c.get is None,
                c.pairing != "exact",
                c.listing.operation.path,
                c.listing.operation.operation_id,
            ),
        )
    )
    chosen = ranked[:max_resources]
    if max_resources > 1 and not any(_is_feed(c) for c in chosen):
        feed = next(
            (c for c in ranked if _is_feed(c) and not c.listing.operation.path_params), None
        )
        if feed is not None:
            chosen = [*chosen[: max_resources - 1], feed]
    return chosen


def _is_feed(candidate: _Candidate) -> bool:
    return not candidate.listing.action and _entity(candidate.listing.collection) in _FEEDS


def _distinct(ranked: list[_Candidate]) -> list[_Candidate]:
    """`ranked` without later listings of a collection already kept: listings that share a
    get (the user's repos, an org's repos) or list the same schema."""
    kept: list[_Candidate] = []
    names: set[str] = set()
    seen: set[str] = set()  # operationIds and item schemas already kept
    for candidate in ranked:
        keys = {candidate.listing.operation.operation_id}
        if candidate.get is not None:
            keys.add(candidate.get.operation_id)
        if candidate.listing.item.identity is not None:
            keys.add(candidate.listing.item.identity)
        if keys & seen:
            continue
        name = candidate.name if candidate.name not in names else _qualified_name(candidate)
        if name is None or name in names:
            continue
        names.add(name)
        seen |= keys
        kept.append(attrs.evolve(candidate, name=name))
    return kept


def _qualified_name(candidate: _Candidate) -> str | None:
    """The name prefixed with the segment before the collection (``repo_hooks``)."""
    segments = candidate.listing.operation.segments[: candidate.listing.collection_index]
    statics = [s for s in segments if not _is_param(s) and not _VERSION_SEGMENT.match(s)]
    return f"{snake(_singular(statics[-1]))}_{candidate.name}" if statics else None


def _resource(schemas: _Schemas, candidate: _Candidate) -> ResourceProposal:
    listing, get = candidate.listing, candidate.get
    op = listing.operation
    pagination = _pagination(schemas, listing, candidate.id_field)
    if listing.evidence == "untyped":
        found = (
            f"GET {op.path} declares no response schema; its path names a collection, so the"
            " body is taken for the list."
        )
    elif listing.evidence == "object":
        found = (
            f"GET {op.path} declares one object, but its path and its get say collection, so"
            " the body is taken for the list."
        )
    else:
        where = f"in '{listing.items_path}'" if listing.items_path else "as the body"
        found = f"GET {op.path} returns a list of objects {where}."
    reasons = [found]
    if get is not None:
        how = {
            "exact": "the item path below the list's",
            "top": f"the top-level path of '{listing.collection}'",
            "rpc": "the method beside the list method",
            "schema": "which returns the listed schema",
        }[candidate.pairing]
        reasons.append(f"Its get: GET {get.path}, {how}, taking '{candidate.id_param}'.")
        if candidate.item_path:
            reasons.append(f"The get wraps the item in '{candidate.item_path}'.")
    else:
        reasons.append("No get operation for one item was found.")
    reasons.append(f"id_field '{candidate.id_field}': {candidate.id_reason}.")
    reasons.append(f"Pagination {pagination.style}: {pagination.reasons}")
    return ResourceProposal(
        name=candidate.name,
        list_operation=op.operation_id,
        get_operation=get.operation_id if get is not None else None,
        id_param=candidate.id_param if get is not None else None,
        id_field=candidate.id_field,
        items_path=listing.items_path,
        item_path=candidate.item_path if get is not None else None,
        pagination=pagination,
        list_path=op.path,
        get_path=get.path if get is not None else None,
        score=candidate.score,
        reasons=" ".join(reasons),
    )


def _default_pagination(resources: tuple[ResourceProposal, ...]) -> PaginationProposal:
    """The style most paged resources share, with its most common settings; a listing
    that comes whole says so itself rather than deciding the default."""
    paged = [r.pagination for r in resources if r.pagination.style != "none"]
    if not paged:
        return PaginationProposal("none", (), "No proposed resource pages.")
    styles = Counter(p.style for p in paged)
    settings = Counter((p.style, p.settings) for p in paged)
    chosen = max(paged, key=lambda p: (styles[p.style], settings[(p.style, p.settings)]))
    return PaginationProposal(
        chosen.style,
        chosen.settings,
        f"{styles[chosen.style]} of {len(resources)} proposed resources page this way."
        f" {chosen.reasons}",
    )


def propose(
    document: Mapping[str, Any],
    resolver: Resolver | None = None,
    *,
    max_resources: int = DEFAULT_MAX_RESOURCES,
) -> Proposal:
    """Propose base URL, auth, resources and pagination for an OpenAPI 3 `document`.

    `resolver` resolves its ``$ref``s (default: the document alone, no other files). At
    most `max_resources` resources are proposed, the most central first.
    """
    if max_resources < 0:
        raise ValueError(f"max_resources must not be negative, not {max_resources}")
    reader = _Reader(document, resolver or Resolver(document, None))
    chosen = _select(_ResourceFinder(reader).candidates(), max_resources)
    resources = tuple(_resource(reader.schemas, candidate) for candidate in chosen)
    base_url = _propose_base_url(document)
    involved = {r.list_operation for r in resources}
    involved |= {r.get_operation for r in resources if r.get_operation is not None}
    return Proposal(
        base_url=base_url,
        auth=_propose_auth(document, reader, base_url.url, involved),
        pagination=_default_pagination(resources),
        resources=resources,
    )


def propose_file(path: Path, *, max_resources: int = DEFAULT_MAX_RESOURCES) -> Proposal:
    """`propose` for a spec file (JSON or YAML; Swagger 2.0 is converted first)."""
    document, _ = load_openapi(path)
    return propose(document, Resolver(document, path), max_resources=max_resources)
