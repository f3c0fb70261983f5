"""One connector under contract: its generated package and the spec it was generated from.

Everything here is read from the repository: ``openapi_specs/<name>/openapi.json`` (the
trimmed OpenAPI 3.0 spec, the contract) and the generated package
``connectory.connectors.<name>`` (what is checked against it).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final
from urllib.parse import unquote

import attrs
import httpx
from hypothesis import strategies as st
from openapi_core import Config, OpenAPI

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    BaseDataService,
    ConnectorConfig,
    ConnectorRegistration,
    OperationInfo,
    Resource,
)

from ._schema import SOFT_DEPTH, SchemaConverter
from ._strategies import StrategyCompiler

ROOT: Final = Path(__file__).resolve().parents[2]
CONNECTORS: Final = (
    "asana",
    "box",
    "github",
    "gitlab",
    "google_drive",
    "hubspot",
    "jira",
    "notion",
    "slack",
    "stripe",
    "trello",
    "zoom",
)
METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@attrs.frozen
class SpecParameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: Any  # the OpenAPI schema object (None with `content`)
    style: str
    explode: bool
    allow_empty: bool


@attrs.frozen
class SpecOperation:
    """One operation of the spec, references resolved where the harness needs them."""

    operation_id: str
    method: str  # upper case
    path: str  # the template, as in the spec
    parameters: tuple[SpecParameter, ...]
    body_content: Mapping[str, Any] | None  # media type -> media type object
    body_required: bool
    status: int  # the success response the fake answers with
    response_content: Mapping[str, Any] | None  # media type -> media type object

    def parameter(self, name: str, location: str) -> SpecParameter:
        for parameter in self.parameters:
            if parameter.name == name and parameter.location == location:
                return parameter
        raise KeyError(f"{self.operation_id}: no {location} parameter {name!r}")

    @property
    def response_schema(self) -> Any:
        """The JSON schema of the success response; None when it declares no JSON body."""
        if not self.response_content:
            return None
        for media_type, content in self.response_content.items():
            if _is_json(media_type):
                return content.get("schema", {})
        return None


def _is_json(media_type: str) -> bool:
    kind = media_type.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


_DEFAULT_STYLE: Final = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


_TEMPLATE: Final = re.compile(r"\{([^{}]+)\}")


class ConnectorSpec:
    """A connector's generated package next to its spec."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.package: ModuleType = importlib.import_module(f"connectory.connectors.{name}")
        self.models: ModuleType = importlib.import_module(f"connectory.connectors.{name}.models")
        self.registration: ConnectorRegistration = self.package.REGISTRATION
        self.config: ConnectorConfig = self.package.CONFIG
        self.operations: tuple[OperationInfo, ...] = self.package.OPERATIONS
        self.data_service: type[BaseDataService] = self.registration.data_service_class
        spec_path = ROOT / "openapi_specs" / name / "openapi.json"
        self.document: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
        self.converter = SchemaConverter(self.document)
        self.compiler = StrategyCompiler()
        self.base_url = httpx.URL(self.config.base_url)
        self.server_url = httpx.URL(self.document.get("servers", [{"url": "/"}])[0]["url"])
        self._by_id = {op.operation_id: op for op in self._read_operations()}
        self._strategies: dict[tuple[str, ...], st.SearchStrategy[Any]] = {}

    def __repr__(self) -> str:
        return f"ConnectorSpec({self.name!r})"

    # -- the spec -------------------------------------------------------------------------

    @functools.cached_property
    def openapi(self) -> OpenAPI:
        """openapi-core over the spec, with three changes.

        * Security requirements are removed: auth is not part of these contracts (the
          core's auth schemes are tested in tests/core).
        * openapi-core reads ``style: deepObject`` only on ``type: object`` schemas, one
          bracket level deep, and fails on any other one even when the parameter is
          absent (Stripe's ``expand`` arrays, ``created`` integer-or-range unions, nested
          ``cash_balance[settings][reconciliation_mode]``). Such parameters are left out
          of its copy, and such form-body ``encoding`` entries fall back to the default
          form style (which skips them); the harness compares what the connector sends
          for them itself where OpenAPI defines it (`_harness.expected_query`).
        * The spec itself is not validated: the trimmed specs leave out descriptions,
          which OpenAPI 3.0 requires on responses.
        """
        document = json.loads(json.dumps(self.document))
        document.pop("security", None)
        within = SchemaConverter(document)  # resolves references inside the copy
        for item in document["paths"].values():
            item["parameters"] = self._readable(item.get("parameters", []))
            for method in METHODS:
                if method in item:
                    operation = item[method]
                    operation.pop("security", None)
                    operation["parameters"] = self._readable(operation.get("parameters", []))
                    body = within.deref(operation.get("requestBody", {}))
                    for media in body.get("content", {}).values():
                        self._drop_deep_encodings(media)
        # None skips the spec check (openapi-core tests for it; its annotation omits it).
        no_check = Config(spec_validator_cls=None)  # type: ignore[arg-type]
        return OpenAPI.from_dict(document, config=no_check)

    def _flat_object(self, schema: Any) -> bool:
        """An object of scalars: all the deepObject openapi-core reads (one bracket level;
        OpenAPI leaves deeper nesting undefined)."""
        node = self.converter.deref(schema or {})
        if node.get("type") != "object":
            return False
        values = [*node.get("properties", {}).values()]
        if isinstance(node.get("additionalProperties"), dict):
            values.append(node["additionalProperties"])
        scalars = ("string", "integer", "number", "boolean")
        return all(self.converter.deref(value).get("type") in scalars for value in values)

    def _readable(self, parameters: list[Any]) -> list[Any]:
        """The parameters openapi-core can deserialize (see `openapi`)."""
        kept = []
        for raw in parameters:
            param = self.converter.deref(raw)
            if param.get("style") == "deepObject" and not self._flat_object(param.get("schema")):
                continue
            kept.append(raw)
        return kept

    def _drop_deep_encodings(self, media: dict[str, Any]) -> None:
        properties = self.converter.deref(media.get("schema", {})).get("properties", {})
        encoding = media.get("encoding") or {}
        for name in list(encoding):
            deep = encoding[name].get("style") == "deepObject"
            if deep and not self._flat_object(properties.get(name)):
                del encoding[name]

    def _read_operations(self) -> Iterator[SpecOperation]:
        for path, item in self.document["paths"].items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method in item:
                    yield self._read_operation(path, method, item[method], shared)

    def _read_operation(
        self, path: str, method: str, operation: Mapping[str, Any], shared: list[Any]
    ) -> SpecOperation:
        parameters: dict[tuple[str, str], SpecParameter] = {}
        for raw in [*shared, *operation.get("parameters", [])]:
            param = self.converter.deref(raw)
            location = param["in"]
            style = param.get("style", _DEFAULT_STYLE[location])
            parameters[(param["name"], location)] = SpecParameter(
                name=param["name"],
                location=location,
                required=bool(param.get("required", location == "path")),
                schema=param.get("schema"),
                style=style,
                explode=bool(param.get("explode", style == "form")),
                allow_empty=bool(param.get("allowEmptyValue", False)),
            )
        body = (
            self.converter.deref(operation["requestBody"]) if "requestBody" in operation else None
        )
        responses = operation.get("responses", {})
        codes = sorted(code for code in responses if code[0] == "2" and code.isdigit())
        code = codes[0] if codes else "200"
        response = self.converter.deref(responses.get(code, {}))
        return SpecOperation(
            operation_id=operation.get("operationId", f"{method} {path}"),
            method=method.upper(),
            path=path,
            parameters=tuple(parameters.values()),
            body_content=body.get("content") if body else None,
            body_required=bool(body.get("required", False)) if body else False,
            status=int(code),
            response_content=response.get("content"),
        )

    def spec_operation(self, operation_id: str) -> SpecOperation:
        return self._by_id[operation_id]

    @property
    def spec_operations(self) -> tuple[SpecOperation, ...]:
        return tuple(self._by_id.values())

    # -- strategies -----------------------------------------------------------------------

    def strategy(
        self,
        key: tuple[str, ...],
        schema: Any,
        *,
        direction: str = "response",
        soft_depth: int = SOFT_DEPTH,
    ) -> st.SearchStrategy[Any]:
        """Instances of an OpenAPI schema of this spec; compiled once per `key`."""
        key = (direction, *key)
        if key not in self._strategies:
            converted = self.converter.to_json_schema(
                schema, direction=direction, soft_depth=soft_depth
            )
            self._strategies[key] = self.compiler.compile(converted)
        return self._strategies[key]

    def response_strategy(self, operation: SpecOperation) -> st.SearchStrategy[Any]:
        return self.strategy(("response", operation.operation_id), operation.response_schema)

    def any_json(self) -> st.SearchStrategy[Any]:
        """Any JSON value (for responses whose spec declares no content)."""
        return self.strategy(("any",), {})

    # -- requests -------------------------------------------------------------------------

    def relative_path(self, url: httpx.URL) -> str | None:
        """The raw (still percent-encoded) path of `url` below the base URL, or None."""
        if (url.scheme, url.host, url.port) != (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        ):
            return None
        raw = url.raw_path.decode("ascii").partition("?")[0]
        prefix = self.base_url.raw_path.decode("ascii").rstrip("/")
        if not (raw == prefix or raw.startswith(prefix + "/")):
            return None
        return raw[len(prefix) :] or "/"

    def match(self, method: str, relative: str) -> tuple[SpecOperation, dict[str, str]] | None:
        """The spec operation for `method` and a raw relative path, with its path params.

        Literal segments beat templated ones (``/users/me`` over ``/users/{id}``).
        """
        segments = _segments(relative)
        best: tuple[int, SpecOperation, dict[str, str]] | None = None
        for operation in self._by_id.values():
            if operation.method != method.upper():
                continue
            found = _match_template(_segments(operation.path), segments)
            if found is None:
                continue
            literal, params = found
            if best is None or literal > best[0]:
                best = (literal, operation, params)
        return None if best is None else (best[1], best[2])

    def spec_url(self, relative: str) -> str:
        """`relative` on the spec's server (its host and path may differ from base_url)."""
        prefix = self.server_url.raw_path.decode("ascii").rstrip("/")
        return str(self.server_url.copy_with(raw_path=(prefix + relative).encode("ascii")))

    # -- data service ---------------------------------------------------------------------

    @property
    def resources(self) -> tuple[Resource, ...]:
        return tuple(self.data_service.RESOURCES)

    def operation_for_path(self, method: str, template: str) -> SpecOperation:
        """The spec operation whose path template is `template` (a Resource's list/get)."""
        wanted = _segments(template)
        for operation in self._by_id.values():
            if operation.method == method.upper() and _same_template(
                _segments(operation.path), wanted
            ):
                return operation
        raise KeyError(f"{self.name}: no {method} {template} in the spec")


def _match_template(template: list[str], segments: list[str]) -> tuple[int, dict[str, str]] | None:
    if len(template) != len(segments):
        return None
    params: dict[str, str] = {}
    literal = 0
    for pattern, segment in zip(template, segments, strict=True):
        names = _TEMPLATE.findall(pattern)
        if not names:
            if pattern != unquote(segment):
                return None
            literal += 1
            continue
        parts = [part for part in _TEMPLATE.split(pattern) if part]
        regex = "".join(
            f"(?P<p{i}>[^/]+)" if part in names else re.escape(part) for i, part in enumerate(parts)
        )
        found = re.fullmatch(regex, segment)
        if found is None:
            return None
        for i, part in enumerate(parts):
            if part in names:
                params[part] = unquote(found[f"p{i}"])
    return literal, params


def _same_template(left: list[str], right: list[str]) -> bool:
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        if _TEMPLATE.sub("{}", a) != _TEMPLATE.sub("{}", b):
            return False
    return True


def auth_query_params(spec: ConnectorSpec) -> frozenset[str]:
    """Query parameters the connector's auth scheme sets (Trello's ``key``)."""
    config = spec.config
    if (
        config.authentication_type is AuthenticationType.API_KEY
        and config.api_key_location is ApiKeyLocation.QUERY
    ):
        return frozenset({config.api_key_name})
    return frozenset()


@functools.cache
def connector_spec(name: str) -> ConnectorSpec:
    """One `ConnectorSpec` per connector for the whole session (strategies are cached)."""
    return ConnectorSpec(name)
