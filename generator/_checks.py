"""Checking a connector.yaml against its spec before anything is generated.

A definition names operations, parameters and response fields of the spec; a typo there
would otherwise surface as a connector that fails at run time. Each problem names the key
of connector.yaml and, where there is one, the closest valid names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._errors import SpecError
from ._loader import Resolver

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The request parameters each paging style sends, by setting name.
_REQUEST_SETTINGS = {
    "cursor_in_body": ("cursor_param", "limit_param"),
    "cursor_in_header": ("cursor_param",),
    "last_item_cursor": ("cursor_param", "limit_param"),
    "offset_limit": ("offset_param", "limit_param"),
    "page_number": ("page_param", "size_param"),
}
# The response fields each paging style reads, by setting name.
_RESPONSE_SETTINGS = {
    "cursor_in_body": ("cursor_path", "has_more_path"),
    "last_item_cursor": ("has_more_path",),
    "offset_limit": ("total_path",),
    "page_number": ("total_pages_path",),
    "next_url_in_body": ("next_path",),
}
# Defaults of those settings in connectory.core's paginators.
_DEFAULTS = {
    ("cursor_in_body", "cursor_param"): "cursor",
    ("cursor_in_body", "cursor_path"): "next_cursor",
    ("cursor_in_header", "cursor_param"): "cursor",
    ("last_item_cursor", "cursor_param"): "starting_after",
    ("last_item_cursor", "has_more_path"): "has_more",
    ("offset_limit", "offset_param"): "offset",
    ("offset_limit", "limit_param"): "limit",
    ("page_number", "page_param"): "page",
    ("page_number", "size_param"): "per_page",
    ("next_url_in_body", "next_path"): "next",
}


@attrs.frozen
class Problem:
    key: str  # dotted key in connector.yaml
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def closest(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """' (closest: a, b)' or '' when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=n, cutoff=0.5)
    return f" (closest: {', '.join(matches)})" if matches else ""


@attrs.frozen
class SpecOperation:
    operation_id: str
    method: str
    path: str
    node: Mapping[str, Any]
    parameters: Mapping[str, str]  # name -> location
    base: str


class SpecIndex:
    """The operations of a raw OpenAPI document and the schemas they answer with."""

    def __init__(self, document: Mapping[str, Any], resolver: Resolver) -> None:
        self.document = document
        self.resolver = resolver
        self.operations: dict[str, SpecOperation] = {}
        base = resolver.root_key
        for path, raw_item in (document.get("paths") or {}).items():
            item, _, item_base = resolver.deref(raw_item, base)
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                op_id = str(op.get("operationId") or f"{method}:{path}")
                params: dict[str, str] = {}
                for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
                    try:
                        node, _, _ = resolver.deref(raw, item_base)
                    except SpecError:
                        continue  # the generator reports it on the operation
                    if isinstance(node, dict) and "name" in node:
                        params[str(node["name"])] = str(node.get("in"))
                for segment in _path_params(path):
                    params.setdefault(segment, "path")
                self.operations[op_id] = SpecOperation(
                    op_id, method.upper(), path, op, params, item_base
                )

    def security_kinds(self) -> set[str]:
        """Kinds of the spec's security schemes: api_key/<in>, http/<scheme>, oauth2, ..."""
        schemes = (self.document.get("components") or {}).get("securitySchemes") or {}
        kinds: set[str] = set()
        for raw in schemes.values():
            node, _, _ = self.resolver.deref(raw, self.resolver.root_key)
            if not isinstance(node, dict):
                continue
            kind = str(node.get("type", "")).lower()
            if kind == "apikey":
                kinds.add(f"api_key/{node.get('in')}/{str(node.get('name', '')).lower()}")
            elif kind == "http":
                kinds.add(f"http/{str(node.get('scheme', '')).lower()}")
            else:
                kinds.add(kind)
        return kinds

    def success_schema(self, op: SpecOperation) -> tuple[Any, str] | None:
        """The JSON schema of the first 2xx response (resolved), with its base."""
        responses = op.node.get("responses") or {}
        for status in sorted(responses, key=str):
            if not str(status).startswith("2"):
                continue
            node, _, base = self.resolver.deref(responses[status], op.base)
            content = node.get("content") if isinstance(node, dict) else None
            for media, value in (content or {}).items():
                if "json" in media or media == "*/*":
                    schema = value.get("schema") if isinstance(value, dict) else None
                    if schema is not None:
                        return self.resolve(schema, base)
        return None

    def request_schema(self, op: SpecOperation) -> tuple[Any, str] | None:
        """The JSON schema of the operation's request body (resolved), with its base."""
        body = op.node.get("requestBody")
        if body is None:
            return None
        node, _, base = self.resolver.deref(body, op.base)
        content = node.get("content") if isinstance(node, dict) else None
        for media, value in (content or {}).items():
            if "json" in media:
                schema = value.get("schema") if isinstance(value, dict) else None
                if schema is not None:
                    return self.resolve(schema, base)
        return None

    def resolve(self, schema: Any, base: str) -> tuple[Any, str]:
        node, _, node_base = self.resolver.deref(schema, base)
        return node, node_base

    def properties(self, schema: Any, base: str, depth: int = 0) -> dict[str, tuple[Any, str]]:
        """Properties of an object schema, merged through allOf (and the branches of
        oneOf/anyOf, any of which may carry the field)."""
        node, node_base = self.resolve(schema, base)
        if not isinstance(node, dict) or depth > 20:
            return {}
        found: dict[str, tuple[Any, str]] = {}
        for key in ("allOf", "oneOf", "anyOf"):
            for member in node.get(key) or []:
                found.update(self.properties(member, node_base, depth + 1))
        for name, prop in (node.get("properties") or {}).items():
            found[str(name)] = (prop, node_base)
        return found

    def at_path(self, schema: Any, base: str, path: str | None) -> tuple[Any, str] | str:
        """The schema at a dotted path, or a message saying where the path breaks."""
        current = self.resolve(schema, base)
        if not path:
            return current
        walked: list[str] = []
        remaining = path
        while remaining:
            head, _, rest = remaining.partition(".")
            if head.isdigit() and self.is_array(current[0]):
                # a numeric segment picks an item of a list (Xero's Invoices.0)
                current = self.resolve(current[0].get("items", {}), current[1])
                walked.append(head)
                remaining = rest
                continue
            props = self.properties(*current)
            # keys may themselves contain dots ("@odata.nextLink"): longest match first
            for end in range(len(remaining), 0, -1):
                head = remaining[:end]
                if head in props and (end == len(remaining) or remaining[end] == "."):
                    break
            else:
                where = ".".join(walked) or "the top level"
                head = remaining.split(".")[0]
                return f"no field {head!r} at {where}{closest(head, props)}"
            walked.append(head)
            current = self.resolve(*props[head])
            remaining = remaining[len(head) + 1 :]
            if isinstance(current[0], dict) and current[0].get("type") == "array" and remaining:
                current = self.resolve(current[0].get("items", {}), current[1])
        return current

    @staticmethod
    def is_array(schema: Any) -> bool:
        return isinstance(schema, dict) and (
            schema.get("type") == "array" or ("items" in schema and "type" not in schema)
        )


def _path_params(path: str) -> Iterator[str]:
    rest = path
    while "{" in rest and "}" in rest[rest.index("{") :]:
        start = rest.index("{")
        end = rest.index("}", start)
        yield rest[start + 1 : end].lstrip("+")  # {+name}: reserved expansion
        rest = rest[end + 1 :]


def _operation(
    index: SpecIndex, key: str, op_id: Any, problems: list[Problem]
) -> SpecOperation | None:
    if not isinstance(op_id, str):
        problems.append(Problem(key, f"expected an operationId, got {op_id!r}"))
        return None
    op = index.operations.get(op_id)
    if op is None:
        problems.append(
            Problem(
                key, f"operation {op_id!r} is not in the spec{closest(op_id, index.operations)}"
            )
        )
    return op


def check_pagination(
    index: SpecIndex,
    key: str,
    pagination: Mapping[str, Any] | None,
    op: SpecOperation,
    problems: list[Problem],
) -> None:
    if not pagination:
        return
    style = str(pagination.get("style"))
    for setting in _REQUEST_SETTINGS.get(style, ()):
        name = pagination.get(setting, _DEFAULTS.get((style, setting)))
        if name is None:
            continue
        if style == "cursor_in_body" and pagination.get("in_body"):
            continue  # sent in the JSON body, not as a parameter
        if name not in op.parameters:
            problems.append(
                Problem(
                    f"{key}.{setting}",
                    f"{op.operation_id} has no parameter {name!r}{closest(name, op.parameters)}",
                )
            )
    success = index.success_schema(op)
    if success is None:
        return
    for setting in _RESPONSE_SETTINGS.get(style, ()):
        path = pagination.get(setting, _DEFAULTS.get((style, setting)))
        if not path:
            continue
        found = index.at_path(success[0], success[1], str(path))
        if isinstance(found, str):
            problems.append(Problem(f"{key}.{setting}", f"{op.operation_id} response: {found}"))


def check_resource(
    index: SpecIndex,
    name: str,
    resource: Mapping[str, Any],
    default_pagination: Mapping[str, Any] | None,
    default_items_path: str | None,
    problems: list[Problem],
) -> None:
    key = f"resources.{name}"
    list_op = _operation(index, f"{key}.list", resource.get("list"), problems)
    get_op = (
        _operation(index, f"{key}.get", resource.get("get"), problems)
        if resource.get("get")
        else None
    )
    items_path = resource.get("items_path", default_items_path)
    item_schema: tuple[Any, str] | None = None
    if list_op is not None:
        success = index.success_schema(list_op)
        if success is not None:
            found = index.at_path(success[0], success[1], items_path)
            if isinstance(found, str):
                problems.append(Problem(f"{key}.items_path", f"{list_op.operation_id}: {found}"))
            elif not index.is_array(found[0]):
                arrays = sorted(
                    prop
                    for prop, (schema, base) in index.properties(*found).items()
                    if index.is_array(index.resolve(schema, base)[0])
                )
                hint = f"; its arrays: {', '.join(arrays)}" if arrays else ""
                where = repr(items_path) if items_path else "the top level"
                problems.append(
                    Problem(
                        f"{key}.items_path",
                        f"{list_op.operation_id} answers no list at {where}{hint}",
                    )
                )
            else:
                item_schema = index.resolve(found[0].get("items", {}), found[1])
        pagination = resource.get("pagination", default_pagination)
        check_pagination(index, f"{key}.pagination", pagination, list_op, problems)
        incremental = resource.get("incremental")
        if isinstance(incremental, Mapping) and incremental.get("param"):
            param = str(incremental["param"])
            if param not in list_op.parameters:
                problems.append(
                    Problem(
                        f"{key}.incremental.param",
                        f"{list_op.operation_id} has no parameter {param!r}"
                        f"{closest(param, list_op.parameters)}",
                    )
                )
            token_path = incremental.get("token_path")
            if incremental.get("kind") == "token" and token_path and success is not None:
                found = index.at_path(success[0], success[1], str(token_path))
                if isinstance(found, str):
                    problems.append(
                        Problem(f"{key}.incremental.token_path", f"{list_op.operation_id}: {found}")
                    )
    if get_op is not None:
        id_param = resource.get("id_param")
        if id_param is not None and id_param not in get_op.parameters:
            problems.append(
                Problem(
                    f"{key}.id_param",
                    f"{get_op.operation_id} has no parameter {id_param!r}"
                    f"{closest(str(id_param), get_op.parameters)}",
                )
            )
        item_path = resource.get("item_path")
        success = index.success_schema(get_op)
        if item_path and success is not None:
            found = index.at_path(success[0], success[1], str(item_path))
            if isinstance(found, str):
                problems.append(Problem(f"{key}.item_path", f"{get_op.operation_id}: {found}"))
    batch = resource.get("batch")
    if isinstance(batch, Mapping) and batch.get("operation"):
        check_batch(index, f"{key}.batch", batch, problems)
    id_field = str(resource.get("id_field") or "id")
    if item_schema is not None and index.properties(*item_schema):
        found = index.at_path(item_schema[0], item_schema[1], id_field)
        if isinstance(found, str):
            problems.append(Problem(f"{key}.id_field", f"the items have {found}"))


def check_batch(
    index: SpecIndex, key: str, batch: Mapping[str, Any], problems: list[Problem]
) -> None:
    """A vendor batch read: its operation, where the ids go, its size and its answer."""
    op = _operation(index, f"{key}.operation", batch.get("operation"), problems)
    if op is None:
        return
    ids_param = str(batch.get("ids_param"))
    if batch.get("in", "body") == "query":
        if ids_param not in op.parameters:
            problems.append(
                Problem(
                    f"{key}.ids_param",
                    f"{op.operation_id} has no parameter {ids_param!r}"
                    f"{closest(ids_param, op.parameters)}",
                )
            )
    else:
        request = index.request_schema(op)
        fields = index.properties(*request) if request is not None else {}
        if ids_param not in fields:
            problems.append(
                Problem(
                    f"{key}.ids_param",
                    f"{op.operation_id} takes no JSON body field {ids_param!r}"
                    f"{closest(ids_param, fields)}",
                )
            )
        else:
            ids, base = index.resolve(*fields[ids_param])
            limit = ids.get("maxItems") if isinstance(ids, dict) else None
            size = batch.get("max_size")
            if isinstance(limit, int) and isinstance(size, int) and size > limit:
                problems.append(
                    Problem(
                        f"{key}.max_size",
                        f"{op.operation_id} takes at most {limit} in {ids_param!r}",
                    )
                )
            id_key = batch.get("id_key")
            if id_key and isinstance(ids, dict):
                entry = index.properties(ids.get("items", {}), base)
                if str(id_key) not in entry:
                    problems.append(
                        Problem(
                            f"{key}.id_key",
                            f"the entries of {ids_param!r} have no field {id_key!r}"
                            f"{closest(str(id_key), entry)}",
                        )
                    )
    success = index.success_schema(op)
    if success is None:
        return
    results_path = batch.get("results_path", "results")
    found = index.at_path(success[0], success[1], results_path)
    if isinstance(found, str):
        problems.append(Problem(f"{key}.results_path", f"{op.operation_id}: {found}"))
    elif not index.is_array(found[0]):
        where = repr(results_path) if results_path else "the top level"
        problems.append(
            Problem(f"{key}.results_path", f"{op.operation_id} answers no list at {where}")
        )
    errors_path = batch.get("errors_path")
    if errors_path:
        found = index.at_path(success[0], success[1], str(errors_path))
        if isinstance(found, str):
            problems.append(Problem(f"{key}.errors_path", f"{op.operation_id}: {found}"))


_AUTH_KINDS = {
    "none": (),
    "basic": ("http/basic",),
    "bearer_token": ("http/bearer", "oauth2", "openidconnect", "api_key/header/authorization"),
    "oauth2": ("oauth2", "openidconnect", "http/bearer"),
    "oauth2_client_credentials": ("oauth2", "openidconnect", "http/bearer"),
}


def check_auth(
    index: SpecIndex, key: str, auth: Mapping[str, Any], problems: list[Problem]
) -> None:
    """When the spec declares security schemes, the connector's scheme must be one of them."""
    declared = index.security_kinds()
    if not declared:
        return
    kind = str(auth.get("type"))
    if kind == "api_key":
        api_key = auth.get("api_key") or {}
        wanted = f"api_key/{api_key.get('in', 'header')}/{str(api_key.get('name', '')).lower()}"
        if wanted not in declared:
            keys = sorted(d for d in declared if d.startswith("api_key/"))
            problems.append(
                Problem(
                    f"{key}.api_key",
                    f"the spec declares no API key {wanted.split('/', 1)[1]!r}; "
                    f"it declares: {', '.join(sorted(declared))}{closest(wanted, keys)}",
                )
            )
        return
    accepted = _AUTH_KINDS.get(kind, ())
    if accepted and not declared & set(accepted):
        problems.append(
            Problem(
                f"{key}.type",
                f"{kind} matches none of the spec's security schemes: "
                f"{', '.join(sorted(declared))}",
            )
        )


def check_definition(
    raw: Mapping[str, Any], document: Mapping[str, Any], resolver: Resolver
) -> list[Problem]:
    """Every problem of the raw connector.yaml mapping `raw` against the spec `document`."""
    problems: list[Problem] = []
    try:
        index = SpecIndex(document, resolver)
    except SpecError as exc:
        return [Problem("spec", str(exc))]
    for position, op_id in enumerate(raw.get("operations") or []):
        if raw.get("operations") == "all":
            break
        _operation(index, f"operations[{position}]", op_id, problems)
    if raw.get("health_check"):
        op = _operation(index, "health_check", raw["health_check"], problems)
        if op is not None and op.method != "GET":
            problems.append(Problem("health_check", f"{op.operation_id} is not a GET operation"))
    for op_id in (raw.get("overrides") or {}).get("operations") or {}:
        _operation(index, f"overrides.operations.{op_id}", op_id, problems)
    pagination = raw.get("pagination")
    default_items_path = pagination.get("items_path") if isinstance(pagination, Mapping) else None
    default_pagination = (
        {k: v for k, v in pagination.items() if k != "items_path"}
        if isinstance(pagination, Mapping)
        else None
    )
    for name, resource in (raw.get("resources") or {}).items():
        if isinstance(resource, Mapping):
            check_resource(
                index, str(name), resource, default_pagination, default_items_path, problems
            )
    auth = raw.get("auth")
    schemes = auth if isinstance(auth, list) else [auth]
    for position, scheme in enumerate(schemes):
        if isinstance(scheme, Mapping):
            key = "auth" if not isinstance(auth, list) else f"auth[{position}]"
            check_auth(index, key, scheme, problems)
    from ._webhooks import check_webhooks  # it builds on this module's Problem

    problems.extend(check_webhooks(raw.get("webhooks"), document, resolver))
    return _without_known_gaps(problems, raw.get("spec_gaps") or {})


def _without_known_gaps(problems: list[Problem], gaps: Mapping[str, Any]) -> list[Problem]:
    """Drop the problems connector.yaml acknowledges under ``spec_gaps`` (a key and the
    reason: the vendor's API has what its spec leaves out); an acknowledged gap that no
    longer occurs is a problem of its own, so the list stays true."""
    kept = [p for p in problems if p.key not in gaps]
    occurring = {p.key for p in problems}
    kept.extend(
        Problem(f"spec_gaps.{key}", "no such problem any more: remove this entry")
        for key in gaps
        if key not in occurring
    )
    return kept
