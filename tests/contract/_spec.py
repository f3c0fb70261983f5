"""A generated package next to the OpenAPI document it is checked against.

`ContractSpec` is one subject of the contract harness: a shipped connector
(``connectory.connectors.<name>`` and ``openapi_specs/<name>/``, its spec patches applied,
since the generated code follows the patched spec) or a package generated from a full
vendor spec of the corpus into a temporary folder. It finds the spec operation behind each
entry of ``OPERATIONS``, holds the schema converter and strategy compiler shared by the
operation's checks, builds connectors that talk to an `httpx.MockTransport`, and gives
openapi-core a copy of the document it can validate requests with (see `validation_copy`).
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import json
import re
import sys
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import attrs
import httpx
from hypothesis import strategies as st
from openapi_core import Config, OpenAPI

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    BaseConnectorService,
    ConnectorConfig,
    OperationInfo,
)

from ._schema import SOFT_DEPTH, SchemaConverter, UnsupportedSchemaError
from ._strategies import StrategyCompiler

ROOT: Final = Path(__file__).resolve().parents[2]
SHIPPED_SPECS: Final = ROOT / "openapi_specs"
GENERATED: Final = ROOT / "generated"
CORPUS: Final = ROOT.parent / "shared" / "specs" / "business"
METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DEFAULT_STYLE: Final = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
# Header names OpenAPI says a parameter cannot define (the client or auth owns them).
IGNORED_HEADERS: Final = frozenset({"accept", "content-type", "authorization"})
# Headers the HTTP client sets on every request whatever the spec declares (httpx:
# content coding, framing, the connector's User-Agent): a declared parameter of that name
# is checked when it is given, and not read as "sent though not given" otherwise.
TRANSPORT_HEADERS: Final = frozenset(
    {"accept-encoding", "user-agent", "host", "content-length", "connection", "transfer-encoding"}
)
_TEMPLATE: Final = re.compile(r"\{([^{}]+)\}")


def escape(token: str) -> str:
    """A JSON pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


@attrs.frozen
class SpecParameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: Any  # the OpenAPI schema (of the media type, for a `content` parameter)
    style: str
    explode: bool
    allow_empty: bool
    pointer: str  # where the parameter is declared
    media_type: str | None = None  # a `content` parameter: serialised as this media type
    allow_reserved: bool = False


@attrs.frozen
class SpecResponse:
    """One success response variant: a status and one of its media types (or none)."""

    status: str
    media_type: str | None
    schema: Any
    pointer: str


@attrs.frozen
class SpecOperation:
    """One operation of the spec, references resolved where the harness needs them."""

    operation_id: str | None
    method: str  # upper case
    path: str  # the template as the spec writes it
    pointer: str  # /paths/<path>/<method>
    parameters: tuple[SpecParameter, ...]
    body_content: Mapping[str, Any] | None  # media type -> media type object
    body_required: bool
    responses: tuple[SpecResponse, ...]  # every 2xx (status x media type)
    own_servers: bool  # the path or operation declares servers of its own

    def parameter(self, name: str, location: str) -> SpecParameter:
        for parameter in self.parameters:
            if parameter.name == name and parameter.location == location:
                return parameter
        raise KeyError(f"{self.pointer}: no {location} parameter {name!r}")

    @property
    def template(self) -> str:
        """The path template with RFC 6570 ``{+name}`` written ``{name}`` (as generated)."""
        return self.path.replace("{+", "{")


def _status_order(status: str) -> tuple[int, str]:
    return (0 if status.isdigit() else 1, status)


class ContractSpec:
    """A generated package and the document that is its contract."""

    def __init__(
        self,
        name: str,
        package: ModuleType,
        document: dict[str, Any],
        source: Path | None = None,
    ) -> None:
        self.name = name
        self.package = package
        self.document = document
        self.source = source  # the vendor's whole spec a trimmed one was made from
        self._source_document: dict[str, Any] | None = None
        self.config: ConnectorConfig = package.CONFIG
        self.operations: tuple[OperationInfo, ...] = package.OPERATIONS
        self.registration = package.REGISTRATION
        self.converter = SchemaConverter(document)
        self.compiler = StrategyCompiler()
        self._strategies: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {}
        self._by_route: dict[tuple[str, str], SpecOperation] = {}
        self.unreadable: dict[tuple[str, str], str] = {}  # (method, template) -> why
        for operation in self._read_operations():
            self._by_route.setdefault((operation.method, operation.template), operation)

    def __repr__(self) -> str:
        return f"ContractSpec({self.name!r})"

    # -- constructors -----------------------------------------------------------------

    @classmethod
    def shipped(cls, name: str) -> ContractSpec:
        """A connector of generated/ against its spec in openapi_specs/ (patches applied)."""
        from connectory.generator._definition import load_definition
        from connectory.generator._generate import apply_patches
        from connectory.generator._loader import load_openapi

        definition = load_definition(SHIPPED_SPECS / name / "connector.yaml")
        document, _ = load_openapi(definition.spec)
        if definition.spec_patches:
            document = apply_patches(document, definition.spec_patches, definition.path)
        package = importlib.import_module(f"connectory.connectors.{name}")
        source = CORPUS / definition.source_spec if definition.source_spec else None
        return cls(name, package, document, source if source and source.is_file() else None)

    @classmethod
    def generated(cls, spec: Path, package_name: str, root: Path) -> ContractSpec:
        """The package `generate_spec` makes from the whole of `spec`, in `root` (which is
        put on sys.path), imported under `package_name`, against that same whole spec."""
        from connectory.generator import generate_spec
        from connectory.generator._loader import load_openapi

        generate_spec(spec, package_name, root / package_name)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        importlib.invalidate_caches()
        package = importlib.import_module(package_name)
        document, _ = load_openapi(spec)
        return cls(spec.stem, package, document)

    def source_document(self) -> dict[str, Any]:
        """The vendor's whole spec (for a shipped connector with a trimmed one)."""
        if self._source_document is None:
            assert self.source is not None
            self._source_document = json.loads(self.source.read_text(encoding="utf-8"))
        return self._source_document

    def forget(self) -> None:
        """Drop the package's modules from the import cache (a corpus run holds many)."""
        name = self.package.__name__
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]

    # -- the spec ---------------------------------------------------------------------

    def _read_operations(self) -> Iterator[SpecOperation]:
        paths = self.document.get("paths") or {}
        for path, raw_item in paths.items():
            try:
                item = self.converter.deref(raw_item)
            except (UnsupportedSchemaError, KeyError):
                continue
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    try:
                        yield self._read_operation(path, method, operation, item)
                    except (UnsupportedSchemaError, KeyError, IndexError, TypeError) as error:
                        # a reference that leads nowhere: the operation's checks say so
                        key = (method.upper(), path.replace("{+", "{"))
                        self.unreadable[key] = f"{type(error).__name__}: {error}"

    def _read_operation(
        self, path: str, method: str, operation: Mapping[str, Any], item: Mapping[str, Any]
    ) -> SpecOperation:
        pointer = f"/paths/{escape(path)}/{method}"
        parameters: dict[tuple[str, str], SpecParameter] = {}
        sources = [
            (f"/paths/{escape(path)}/parameters", item.get("parameters") or []),
            (f"{pointer}/parameters", operation.get("parameters") or []),
        ]
        for base, raws in sources:
            for index, raw in enumerate(raws):
                param = self._parameter(raw, f"{base}/{index}")
                if param is not None:
                    parameters[(param.name, param.location)] = param
        body_content = None
        body_required = False
        if "requestBody" in operation:
            body = self.converter.deref(operation["requestBody"])
            if isinstance(body, dict):
                body_content = body.get("content") or None
                body_required = body.get("required") is True
        responses: list[SpecResponse] = []
        # YAML reads an unquoted status as an integer
        raw_responses = {str(k): v for k, v in (operation.get("responses") or {}).items()}
        for status in sorted(raw_responses, key=_status_order):
            if not status.startswith("2"):
                continue
            status_pointer = f"{pointer}/responses/{escape(status)}"
            response = self.converter.deref(raw_responses[status])
            content = response.get("content") if isinstance(response, dict) else None
            if not content:
                responses.append(SpecResponse(status, None, None, status_pointer))
                continue
            for media_type, media in content.items():
                schema = media.get("schema") if isinstance(media, dict) else None
                media_pointer = f"{status_pointer}/content/{escape(media_type)}"
                responses.append(SpecResponse(status, media_type, schema, media_pointer))
        return SpecOperation(
            operation_id=operation.get("operationId"),
            method=method.upper(),
            path=path,
            pointer=pointer,
            parameters=tuple(parameters.values()),
            body_content=body_content,
            body_required=body_required,
            responses=tuple(responses),
            own_servers=bool(operation.get("servers") or item.get("servers")),
        )

    def _parameter(self, raw: Any, pointer: str) -> SpecParameter | None:
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            pointer = raw["$ref"].partition("#")[2] or pointer
        param = self.converter.deref(raw)
        if not isinstance(param, dict) or "name" not in param or "in" not in param:
            return None
        location = str(param["in"])
        if location not in DEFAULT_STYLE or not str(param["name"]).strip():
            return None
        schema = param.get("schema")
        media_type = None
        content = param.get("content")
        if schema is None and isinstance(content, dict) and content:
            media_type, media = next(iter(content.items()))
            schema = media.get("schema") if isinstance(media, dict) else None
        style = param.get("style") or DEFAULT_STYLE[location]
        explode = param.get("explode")
        return SpecParameter(
            name=str(param["name"]),
            location=location,
            required=param.get("required") is True or location == "path",
            schema=schema,
            style=str(style),
            explode=explode if isinstance(explode, bool) else style in ("form", "deepObject"),
            allow_empty=param.get("allowEmptyValue") is True,
            pointer=pointer,
            media_type=media_type,
            allow_reserved=param.get("allowReserved") is True,
        )

    def spec_operation(self, info: OperationInfo) -> SpecOperation:
        """The spec operation an entry of OPERATIONS was generated from."""
        return self._by_route[(info.method, info.path)]

    @property
    def spec_operations(self) -> tuple[SpecOperation, ...]:
        return tuple(self._by_route.values())

    def operation(self, name: str) -> OperationInfo:
        """The OPERATIONS entry called `name` (``group.method``)."""
        for info in self.operations:
            if info.name == name:
                return info
        raise LookupError(f"{self.name} has no operation {name!r}")

    # -- openapi-core -------------------------------------------------------------------

    def validation_copy(self, base_url: str) -> tuple[dict[str, Any], dict[str, str]]:
        """The document openapi-core validates requests with, and the parameters it
        leaves to the harness (``"<op pointer> <location> <name>"`` -> why).

        * Every ``servers`` (document, path, operation) becomes `base_url`, the URL the
          connector calls (the spec's may be relative, templated, or another host).
        * Security requirements are removed: auth is not part of these contracts (the
          core's auth schemes have their own tests).
        * Parameters openapi-core cannot deserialise although OpenAPI defines their
          serialisation are removed from its copy; the harness decodes them itself
          (`_wire`): ``deepObject`` on anything but a flat object (one bracket level is
          all openapi-core reads), ``form``-exploded objects (openapi-core looks for the
          parameter's own name, which an exploded object never sends), and ``content``
          parameters that are not JSON. Form-body ``encoding`` entries it cannot read fall
          back to its default.
        """
        document = copy.deepcopy(self.document)
        document["servers"] = [{"url": base_url}]
        document.pop("security", None)
        left: dict[str, str] = {}
        _inline_path_references(document)
        within = SchemaConverter(document)
        for path, item in (document.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            item.pop("servers", None)
            item_pointer = f"/paths/{escape(path)}"
            item["parameters"] = self._readable(
                within, item.get("parameters") or [], item_pointer, left
            )
            for method in METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                operation.pop("servers", None)
                operation.pop("security", None)
                op_pointer = f"{item_pointer}/{method}"
                operation["parameters"] = self._readable(
                    within, operation.get("parameters") or [], op_pointer, left
                )
                body = within.deref(operation.get("requestBody") or {})
                _bare_media_types(body)
                for media_type, media_object in (body.get("content") or {}).items():
                    if isinstance(media_object, dict):
                        self._drop_unreadable_encodings(within, media_type, media_object)
        return document, left

    def _readable(
        self,
        within: SchemaConverter,
        parameters: list[Any],
        pointer: str,
        left: dict[str, str],
    ) -> list[Any]:
        kept = []
        for raw in parameters:
            param = within.deref(raw)
            reason = self._unreadable(within, param) if isinstance(param, dict) else None
            if reason is None:
                kept.append(raw)
            else:
                left[f"{pointer} {param.get('in')} {param.get('name')}"] = reason
        return kept

    def _unreadable(self, within: SchemaConverter, param: dict[str, Any]) -> str | None:
        location = param.get("in")
        style = param.get("style") or DEFAULT_STYLE.get(str(location), "form")
        if location == "header" and str(param.get("name")).lower() in IGNORED_HEADERS:
            return "a header OpenAPI says to ignore (openapi-core checks it)"
        if location == "header" and str(param.get("name")).lower() in TRANSPORT_HEADERS:
            return "a header the HTTP client sets itself"
        if style not in _CORE_STYLES:
            return f"style {style}, which openapi-core does not know"
        if style == "deepObject" and "explode" not in param:
            # OpenAPI defines deepObject for explode=true only; left unsaid, it is what
            # the spec means (and what the connector sends), openapi-core reads false.
            param["explode"] = True
        schema = within.deref(param.get("schema") or {})
        kind = _kind(schema)
        explode = param.get("explode", style in ("form", "deepObject"))
        if "content" in param and "schema" not in param:
            media = next(iter(param["content"]), "")
            if "json" not in media:
                return f"a {media} content parameter"
            return None
        if style == "deepObject" and not self._flat_object(within, schema):
            return "deepObject over more than one level of scalars"
        if style != "deepObject" and self._nested(within, schema):
            return "a nested value, which no style serialises (sent as JSON)"
        if location in ("query", "cookie") and style == "form" and explode and kind == "object":
            return "an exploded form object"
        if style in ("spaceDelimited", "pipeDelimited", "tabDelimited") and kind != "array":
            return f"{style} on a {kind or 'untyped'} value"
        if kind is None and style != "form":
            return f"{style} on a schema without a type"
        return None

    @staticmethod
    def _flat_object(within: SchemaConverter, schema: Any) -> bool:
        node = within.deref(schema or {})
        if _kind(node) != "object":
            return False
        values = list((node.get("properties") or {}).values())
        if isinstance(node.get("additionalProperties"), dict):
            values.append(node["additionalProperties"])
        return all(_kind(within.deref(value)) in _SCALARS for value in values)

    @staticmethod
    def _nested(within: SchemaConverter, schema: Any) -> bool:
        """An array or object that holds arrays or objects (or may: untyped items)."""
        node = within.deref(schema or {})
        kind = _kind(node)
        if kind == "array":
            return _kind(within.deref(node.get("items") or {})) in ("array", "object", None)
        if kind == "object":
            values = list((node.get("properties") or {}).values())
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                values.append(extra)
            return any(_kind(within.deref(v)) in ("array", "object") for v in values)
        return False

    def _drop_unreadable_encodings(
        self, within: SchemaConverter, media_type: str, media_object: dict[str, Any]
    ) -> None:
        """In a form body, the properties openapi-core cannot read (objects and arrays of
        objects in brackets, deepObject beyond one level) are made optional and free-form
        in its copy; the harness reads them back itself."""
        if media_of(media_type).startswith("multipart/"):
            # OpenAPI 3.0 applies an encoding's style to urlencoded bodies only;
            # openapi-core applies it to multipart ones too (and fails on deepObject).
            for rule in (media_object.get("encoding") or {}).values():
                if isinstance(rule, dict):
                    rule.pop("style", None)
                    rule.pop("explode", None)
            self._relax_multipart(within, media_object)
            return
        if media_of(media_type) != "application/x-www-form-urlencoded":
            return
        schema = within.deref(media_object.get("schema") or {})
        if not isinstance(schema, dict):
            return
        properties = dict(schema.get("properties") or {})
        encoding = media_object.get("encoding") or {}
        unreadable = set()
        for name, sub in properties.items():
            rule = encoding.get(name)
            style = rule.get("style") if isinstance(rule, dict) else None
            node = within.deref(sub)
            kind = _kind(node)
            if style == "deepObject" and self._flat_object(within, node):
                continue
            if (
                kind == "object"
                or self._nested(within, node)
                or style == "deepObject"
                or (
                    kind is None
                    and isinstance(node, dict)
                    and {"oneOf", "anyOf", "allOf"} & node.keys()
                )
            ):
                unreadable.add(name)
        if not unreadable:
            return
        for name in unreadable:
            properties[name] = {}
            encoding.pop(name, None)
        relaxed = {**schema, "properties": properties}
        if isinstance(schema.get("required"), list):
            relaxed["required"] = [r for r in schema["required"] if r not in unreadable]
        media_object["schema"] = relaxed

    @staticmethod
    def _relax_multipart(within: SchemaConverter, media_object: dict[str, Any]) -> None:
        """openapi-core reads every text part of a multipart body as a string (it does
        not cast them by their schema) and file parts as bytes, which its 3.1 validator
        refuses as strings: in its copy, such properties take any value."""
        schema = within.deref(media_object.get("schema") or {})
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            return
        properties: dict[str, Any] = {}
        for name, sub in schema["properties"].items():
            node = within.deref(sub)
            kind = _kind(node)
            items = within.deref(node.get("items") or {}) if kind == "array" else {}
            binary = isinstance(node, dict) and node.get("format") == "binary"
            if (
                kind in ("integer", "number", "boolean")
                or binary
                or _kind(items)
                in (
                    "integer",
                    "number",
                    "boolean",
                )
                or (isinstance(items, dict) and items.get("format") == "binary")
            ):
                properties[name] = {}
            else:
                properties[name] = sub
        media_object["schema"] = {**schema, "properties": properties}

    @functools.cached_property
    def validation(self) -> tuple[OpenAPI, dict[str, str]]:
        """openapi-core over `validation_copy` for the connector's base URL (a path of
        ``//host``, from a protocol-relative server, written with one slash: openapi-core
        joins URLs, which would read it as a host), and `validation_path` for its paths."""
        document, left = self.validation_copy(self.validation_base)
        # openapi-core reads JSON only as application/json and one vendor type; every other
        # JSON type (merge-patch+json, json-patch+json), and YAML sent as JSON, the same way.
        extra: dict[str, Callable[[Any], Any]] = {
            media_type: _json_loads
            for media_type in _media_types(document)
            if media_of(media_type) != "application/json"
            and (
                "+json" in media_of(media_type) or media_of(media_type).endswith(("/json", "+yaml"))
            )
        }
        # A range (*/*) is read as its bytes by default; the JSON the connector sends for
        # a JSON schema under it is read as JSON.
        extra.update(
            {
                media_type: _json_or_bytes
                for media_type in _media_types(document)
                if "*" in media_type
            }
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # None skips openapi-core's check of the spec itself: vendor specs break rules
            # (missing descriptions, odd formats) that say nothing about their requests.
            config = Config(
                spec_validator_cls=None,  # type: ignore[arg-type]
                extra_media_type_deserializers=extra,
            )
            return OpenAPI.from_dict(document, config=config), left

    @functools.cached_property
    def validation_base(self) -> str:
        url = httpx.URL(self.base_url)
        path = re.sub("/{2,}", "/", url.raw_path.decode("ascii"))
        return str(url.copy_with(raw_path=path.encode("ascii"))).rstrip("/")

    def validation_path(self, raw_path: str) -> str:
        return re.sub("/{2,}", "/", raw_path)

    # -- strategies -------------------------------------------------------------------

    def strategy(
        self,
        key: tuple[Any, ...],
        schema: Any,
        *,
        direction: str,
        soft_depth: int = SOFT_DEPTH,
        without_null: bool = False,
    ) -> st.SearchStrategy[Any]:
        """Instances of an OpenAPI schema of this spec; compiled once per `key`.
        `without_null`: the top-level value is never null (a parameter's)."""
        key = (direction, without_null, *key)
        if key not in self._strategies:
            converted = self.converter.to_json_schema(
                schema, direction=direction, soft_depth=soft_depth
            )
            if without_null:
                converted = _not_null(converted)
            self._strategies[key] = self.compiler.compile(converted)
        return self._strategies[key]

    def any_json(self) -> st.SearchStrategy[Any]:
        return self.strategy(("any",), {}, direction="response")

    # -- connectors -------------------------------------------------------------------

    @functools.cached_property
    def connector_class(self) -> type[BaseConnectorService]:
        cls: type[BaseConnectorService] = self.registration.connector_class
        return cls

    def constructor_arguments(self) -> dict[str, str]:
        """Made-up credentials (those of the connector's first auth scheme: a connector
        with several takes one set) and URL variables for the keyword constructor."""
        arguments: dict[str, str] = {}
        signature = inspect.signature(self.connector_class.__init__)
        wanted = set(self.config.url_variables) | set(self.config.credential_fields)
        for name, parameter in signature.parameters.items():
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY or name not in wanted:
                continue
            if name in self.config.url_variables:
                arguments[name] = "contract"
            elif name != "expires_at":
                arguments[name] = f"contract-{name.replace('_', '-')}"
        return arguments

    def connector(
        self, transport: httpx.AsyncBaseTransport, **options: Any
    ) -> BaseConnectorService:
        """A connector of this package whose requests go to `transport`, retries off."""
        cls: Callable[..., BaseConnectorService] = self.connector_class
        return cls(
            **self.constructor_arguments(),
            transport=transport,
            retry={"attempts": 1},
            **options,
        )

    @functools.cached_property
    def base_url(self) -> str:
        """The URL the connector calls (URL variables filled as `connector` fills them)."""
        connector = self.connector(httpx.MockTransport(lambda request: httpx.Response(500)))
        return str(connector.http.base_url).rstrip("/")

    def token_urls(self) -> tuple[str, ...]:
        """The token endpoints the connector's auth schemes may ask."""
        urls = [self.config.token_url] + [
            getattr(scheme, "token_url", None) for scheme in self.config.alternative_auth
        ]
        return tuple(url for url in urls if isinstance(url, str))

    def auth_params(self) -> frozenset[tuple[str, str]]:
        """(location, lower-case name) of what the auth scheme sets itself."""
        config = self.config
        found: set[tuple[str, str]] = {("header", "authorization")}
        if config.authentication_type is AuthenticationType.API_KEY:
            location = config.api_key_location
            name = config.api_key_name
            if location is ApiKeyLocation.QUERY:
                found.add(("query", name.lower()))
            elif location is ApiKeyLocation.HEADER:
                found.add(("header", name.lower()))
            else:
                found.add(("cookie", name.lower()))
        for scheme in config.alternative_auth:
            scheme_name = getattr(scheme, "api_key_name", None)
            scheme_location = getattr(scheme, "api_key_location", None)
            if isinstance(scheme_name, str) and scheme_location is not None:
                found.add(
                    (str(getattr(scheme_location, "value", scheme_location)), scheme_name.lower())
                )
        for key in config.default_headers:
            found.add(("header", key.lower()))
        return frozenset(found)

    # -- methods ----------------------------------------------------------------------

    def method(self, connector: BaseConnectorService, info: OperationInfo) -> Any:
        """``connector.<group>.<method>`` of an OPERATIONS entry."""
        group, _, name = info.name.partition(".")
        return getattr(getattr(connector, group), name)

    def function(self, info: OperationInfo) -> Callable[..., Any]:
        """The undecorated function of an operation (for its signature and hints)."""
        group, _, name = info.name.partition(".")
        module = importlib.import_module(f"{self.package.__name__}.resources.{group}")
        for value in vars(module).values():
            if isinstance(value, type) and getattr(value, "label", None) == group:
                fn: Callable[..., Any] = value.__dict__[name]._fn
                return fn
        raise LookupError(f"{self.name}: no resource class for {group!r}")

    def hints(self, info: OperationInfo) -> dict[str, Any]:
        return typing.get_type_hints(self.function(info))


def _bare_media_types(body: Any) -> None:
    """``application/json; charset=utf-8`` as a content key written ``application/json``
    (unless both are there): openapi-core looks the request's media type up without its
    parameters, and a JSON body carries no charset (it is UTF-8 by definition)."""
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return
    for media_type in list(content):
        bare = media_of(media_type)
        if bare != media_type and bare not in content:
            content[bare] = content.pop(media_type)


def _inline_path_references(document: dict[str, Any]) -> None:
    """Replace every reference into ``#/paths`` (DigitalOcean points one operation's
    parameters at another's) by a copy of its target, so that parameters can be taken out
    of the copy without moving what such a reference points at."""
    original = SchemaConverter(copy.deepcopy(document))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/paths/"):
                try:
                    return walk(copy.deepcopy(original.deref(node)))
                except (UnsupportedSchemaError, KeyError, IndexError, TypeError):
                    return node
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    document["paths"] = walk(document.get("paths") or {})


def _not_null(schema: Any) -> Any:
    """A converted JSON Schema that does not admit null at its top level."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, list) and "null" in kind:
        kinds = [k for k in kind if k != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if isinstance(out.get("enum"), list) and None in out["enum"]:
        out["enum"] = [v for v in out["enum"] if v is not None]
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            branches = [
                _not_null(b)
                for b in out[key]
                if not (isinstance(b, dict) and b.get("type") == "null")
            ]
            out[key] = branches or out[key]
    return out


def media_of(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _json_loads(value: bytes | str) -> Any:
    return json.loads(value)


def _json_or_bytes(value: bytes | str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return value


def _media_types(document: Any) -> set[str]:
    """Every media type named under a ``content`` of the document."""
    found: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            content = node.get("content")
            if isinstance(content, dict):
                found.update(str(k) for k in content)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


# The styles openapi-core deserialises.
_CORE_STYLES: Final = frozenset(
    {"form", "simple", "label", "matrix", "spaceDelimited", "pipeDelimited", "deepObject"}
)
_SCALARS: Final = frozenset({"string", "integer", "number", "boolean"})


def _kind(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None and ("properties" in schema or "additionalProperties" in schema):
        return "object"
    return kind if isinstance(kind, str) else None


def shipped_names() -> tuple[str, ...]:
    """The connectors of generated/ that have a definition in openapi_specs/."""
    return tuple(
        sorted(
            path.parent.name
            for path in GENERATED.glob("*/operations.py")
            if (SHIPPED_SPECS / path.parent.name / "connector.yaml").is_file()
        )
    )


@functools.cache
def shipped(name: str) -> ContractSpec:
    """One `ContractSpec` per shipped connector for the whole session."""
    return ContractSpec.shipped(name)


def matching_template(
    template: str, raw_path: str, patterns: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The raw (still percent-encoded) value of each ``{name}`` of `template` in
    `raw_path`, or None when the path does not have the template's shape. A value never
    spans a '/' (the runtime percent-encodes slashes) unless the template is reserved
    (``{+name}``), which takes the rest of the path. `patterns`: what a parameter's value
    can be (its enum), which tells apart two parameters in one segment (``{id}{ext}``)."""
    regex = ""
    names: list[str] = []
    position = 0
    for found in _TEMPLATE.finditer(template):
        regex += re.escape(template[position : found.start()])
        name = found.group(1)
        if name.startswith("+"):
            names.append(name[1:])
            regex += f"(?P<p{len(names)}>.+)"
        else:
            names.append(name)
            regex += f"(?P<p{len(names)}>{(patterns or {}).get(name, '[^/]*')})"
        position = found.end()
    regex += re.escape(template[position:])
    matched = re.fullmatch(regex, raw_path)
    if matched is None:
        return None
    return {name: matched[f"p{index + 1}"] for index, name in enumerate(names)}
