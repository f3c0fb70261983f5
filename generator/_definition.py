"""connector.yaml: our definition of a connector (see docs/connector-yaml.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from connectory.core import (
    AuthenticationType,
    AuthScheme,
    ConfigurationError,
    ConnectorConfig,
    CursorInBody,
    CursorInHeader,
    LastItemCursor,
    LinkHeader,
    NextUrlInBody,
    NoPagination,
    OffsetLimit,
    PageNumber,
    RateLimits,
)

from ._errors import DefinitionError
from ._loader import read_document
from ._naming import pascal
from ._webhooks import WebhookEventsDef, load_webhooks

PAGINATION_STYLES: dict[str, type] = {
    "none": NoPagination,
    "link_header": LinkHeader,
    "cursor_in_body": CursorInBody,
    "cursor_in_header": CursorInHeader,
    "last_item_cursor": LastItemCursor,
    "offset_limit": OffsetLimit,
    "page_number": PageNumber,
    "next_url_in_body": NextUrlInBody,
}

TOP_LEVEL_KEYS = frozenset(
    {
        "name",
        "display_name",
        "connector_type",
        "class_prefix",
        "category",
        "spec",
        "source_spec",
        "notes",
        "base_url",
        "url_variables",
        "api_version",
        "default_headers",
        "auth",
        "health_check",
        "rate_limits",
        "pagination",
        "resources",
        "webhooks",
        "operations",
        "overrides",
        "spec_gaps",
        "reserved_path_params",
    }
)
AUTH_KEYS = frozenset(
    {
        "type",
        "extra",
        "credential_fields",
        "api_key",
        "token_url",
        "authorization_url",
        "scopes",
        "client_auth",
    }
)
RESOURCE_KEYS = frozenset(
    {
        "list_body",
        "list",
        "get",
        "id_param",
        "id_field",
        "items_path",
        "item_path",
        "pagination",
        "incremental",
        "batch",
        "description",
    }
)
INCREMENTAL_KEYS = frozenset({"param", "field", "kind", "token_path"})
INCREMENTAL_KINDS = ("updated_at", "token")
BATCH_KEYS = frozenset(
    {"operation", "ids_param", "id_key", "in", "max_size", "results_path", "errors_path", "body"}
)


@attrs.frozen
class Pagination:
    style: str
    settings: tuple[tuple[str, Any], ...]

    def expression(self) -> str:
        """The paginator as Python source, e.g. ``LinkHeader(rel='next')``."""
        cls = PAGINATION_STYLES[self.style].__name__
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings)
        return f"{cls}({args})"

    def setting(self, name: str) -> Any:
        """A setting's value, the paginator class's default when not given."""
        for key, value in self.settings:
            if key == name:
                return value
        for field in attrs.fields(PAGINATION_STYLES[self.style]):
            if field.name == name:
                return field.default
        return None


NO_PAGINATION = Pagination("none", ())


@attrs.frozen
class Incremental:
    param: str
    field: str
    kind: str = "updated_at"
    token_path: str | None = None

    def expression(self, *, in_header: bool = False) -> str:
        """The resource's `IncrementalCursor` as Python source (`in_header`: the listing
        takes `param` as a header)."""
        args = [f"param={self.param!r}"]
        if self.kind == "token":
            args += ["kind='token'", f"token_path={self.token_path!r}"]
        else:
            args.append(f"field={self.field!r}")
        if in_header:
            args.append("in_header=True")
        return f"IncrementalCursor({', '.join(args)})"


@attrs.frozen
class BatchRead:
    """A resource's vendor batch read (``batch:``); see `connectory.core.BatchEndpoint`."""

    operation: str
    ids_param: str
    max_size: int
    location: str = "body"
    id_key: str | None = None
    results_path: str | None = "results"
    errors_path: str | None = None
    body: Mapping[str, Any] | None = None

    def expression(self, path: str, method: str, operation: str) -> str:
        """The resource's `BatchEndpoint` as Python source, given the operation's path,
        HTTP method and generated name."""
        args = [
            f"path={path!r}",
            f"method={method!r}",
            f"ids_param={self.ids_param!r}",
            f"location={self.location!r}",
            f"id_key={self.id_key!r}",
            f"max_size={self.max_size!r}",
            f"results_path={self.results_path!r}",
            f"errors_path={self.errors_path!r}",
        ]
        if self.body is not None:
            args.append(f"body={dict(self.body)!r}")
        args.append(f"operation={operation!r}")
        return f"BatchEndpoint({', '.join(args)})"


@attrs.frozen
class ResourceDef:
    name: str
    list_op: str
    get_op: str | None
    id_param: str | None
    id_field: str
    items_path: str | None
    item_path: str | None
    pagination: Pagination
    incremental: Incremental | None
    description: str | None
    list_body: Mapping[str, Any] | None = None
    batch: BatchRead | None = None


@attrs.frozen
class OperationOverride:
    name: str | None = None
    group: str | None = None
    pagination: Pagination | None = None
    items_path: str | None = None


@attrs.frozen
class CodeOverrides:
    """Hand-written code a connector keeps across regenerations (see connector-yaml.md)."""

    module: Path  # the file next to connector.yaml, copied into the package as it is
    connector: str | None  # a class the connector inherits from
    resources: tuple[tuple[str, str], ...]  # (resource group, class it inherits from)

    @property
    def module_name(self) -> str:
        return self.module.stem


@attrs.frozen
class ConnectorDefinition:
    name: str
    display_name: str
    class_prefix: str
    category: str
    spec: Path
    source_spec: str | None
    notes: str | None
    base_url: str
    url_variables: tuple[tuple[str, str], ...]  # (name, example)
    api_version: str | None
    default_headers: tuple[tuple[str, str], ...]
    auth: tuple[Mapping[str, Any], ...]
    health_check: str | None
    rate_limits: Mapping[str, Any]
    pagination: Pagination
    items_path: str | None
    resources: tuple[ResourceDef, ...]
    operations: tuple[str, ...] | None  # None: all
    overrides: Mapping[str, OperationOverride]
    webhooks: str | None  # the scheme deliveries are signed with
    spec_gaps: Mapping[str, str]
    reserved_path_params: frozenset[str]
    code: CodeOverrides | None
    spec_patches: tuple[tuple[str, Any], ...]  # (JSON pointer, merge patch)
    raw: Mapping[str, Any]
    path: Path
    webhook_events: WebhookEventsDef | None = None  # the typed events of ``webhooks:``

    @property
    def renames(self) -> dict[str, str]:
        return {op: o.name for op, o in self.overrides.items() if o.name}

    def auth_scheme(self, auth: Mapping[str, Any]) -> AuthScheme:
        api_key = auth.get("api_key") or {}
        kwargs: dict[str, Any] = {"type": AuthenticationType(auth["type"])}
        if auth.get("credential_fields"):
            kwargs["credential_fields"] = tuple(auth["credential_fields"])
        if api_key.get("name"):
            kwargs["api_key_name"] = api_key["name"]
        if api_key.get("in"):
            kwargs["api_key_location"] = api_key["in"]
        if api_key.get("prefix"):
            kwargs["api_key_prefix"] = api_key["prefix"]
        for key in ("token_url", "authorization_url", "client_auth"):
            if auth.get(key):
                kwargs[key] = auth[key]
        if auth.get("extra"):
            kwargs["extra_credentials"] = tuple(
                (str(e["field"]), str(e.get("in", "header")), str(e["name"])) for e in auth["extra"]
            )
        if auth.get("scopes"):
            kwargs["scopes"] = tuple(auth["scopes"])
        return AuthScheme(**kwargs)

    def config_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the connector's `ConnectorConfig` (health check excluded)."""
        primary = self.auth_scheme(self.auth[0])
        kwargs: dict[str, Any] = {
            "connector_type": self.name,
            "authentication_type": primary.type,
            "base_url": self.example_base_url(),
            "name": self.name,
            "display_name": self.display_name,
        }
        if self.api_version:
            kwargs["api_version"] = self.api_version
        if self.rate_limits:
            kwargs["rate_limits"] = RateLimits(
                **{
                    ("extra_windows" if key == "windows" else key): value
                    for key, value in self.rate_limits.items()
                }
            )
        for name, value in scheme_settings(primary).items():
            kwargs[name] = value
        if len(self.auth) > 1:
            kwargs["alternative_auth"] = tuple(self.auth_scheme(a) for a in self.auth[1:])
        if self.url_variables:
            kwargs["base_url_template"] = self.base_url
            kwargs["url_variables"] = tuple(name for name, _ in self.url_variables)
        if self.default_headers:
            kwargs["default_headers"] = dict(self.default_headers)
        if self.webhooks:
            kwargs["webhook_scheme"] = self.webhooks  # sets webhook_support too
        if any(r.get_op or r.batch for r in self.resources):
            # batch_get_metadata works for any resource that can be fetched by id (through
            # concurrent gets, or the vendor's batch read where there is one).
            kwargs["batch_operations"] = True
        if any(r.incremental for r in self.resources):
            kwargs["real_time_sync"] = True
        return kwargs

    def example_base_url(self) -> str:
        """`base_url` with each URL variable replaced by its example."""
        url = self.base_url
        for name, example in self.url_variables:
            url = url.replace("{" + name + "}", example)
        return url


def scheme_settings(scheme: AuthScheme) -> dict[str, Any]:
    """The settings of `scheme` that differ from a bare scheme of its kind."""
    from connectory.core._config import default_credential_fields

    settings: dict[str, Any] = {}
    for field in attrs.fields(AuthScheme):
        if field.name == "type":
            continue
        value = getattr(scheme, field.name)
        if field.name == "credential_fields":
            default: Any = default_credential_fields(scheme.type)
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            factory: Any = field.default
            default = factory.factory()
        else:
            default = field.default
        if value != default:
            settings[field.name] = value
    return settings


def _fail(path: Path, field: str, message: str) -> DefinitionError:
    return DefinitionError(f"{path}: {field}: {message}")


def _closest(word: str, choices: frozenset[str] | set[str]) -> str:
    import difflib

    matches = difflib.get_close_matches(word, sorted(choices), n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(matches)}?)" if matches else ""


def _check_keys(path: Path, where: str, raw: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in raw:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise _fail(path, f"{prefix}{key}", f"unknown key{_closest(str(key), allowed)}")


def _pagination(raw: Any, path: Path, field: str) -> tuple[Pagination, str | None]:
    """A pagination mapping and the items_path it may carry."""
    if raw is None:
        return NO_PAGINATION, None
    if not isinstance(raw, Mapping) or "style" not in raw:
        raise _fail(path, field, "expected a mapping with a 'style'")
    style = raw["style"]
    if style not in PAGINATION_STYLES:
        raise _fail(
            path,
            f"{field}.style",
            f"unknown style {style!r}; expected one of {', '.join(PAGINATION_STYLES)}",
        )
    settings = {k: v for k, v in raw.items() if k not in ("style", "items_path")}
    allowed = {f.name for f in attrs.fields(PAGINATION_STYLES[style])}
    for key in settings:
        if key not in allowed:
            raise _fail(
                path,
                f"{field}.{key}",
                f"not a setting of {style} (settings: {', '.join(sorted(allowed)) or 'none'})",
            )
    try:
        PAGINATION_STYLES[style](**settings)
    except (TypeError, ValueError) as exc:
        raise _fail(path, field, str(exc)) from None
    return Pagination(style, tuple(sorted(settings.items()))), raw.get("items_path")


def _auth_list(raw: Any, path: Path) -> tuple[Mapping[str, Any], ...]:
    schemes = raw if isinstance(raw, list) else [raw]
    if not schemes:
        raise _fail(path, "auth", "expected a mapping or a non-empty list of mappings")
    out: list[Mapping[str, Any]] = []
    for index, scheme in enumerate(schemes):
        where = "auth" if not isinstance(raw, list) else f"auth[{index}]"
        if not isinstance(scheme, Mapping) or "type" not in scheme:
            raise _fail(path, where, "expected a mapping with a 'type'")
        _check_keys(path, where, scheme, AUTH_KEYS)
        try:
            AuthenticationType(scheme["type"])
        except ValueError:
            allowed = ", ".join(t.value for t in AuthenticationType)
            raise _fail(
                path, f"{where}.type", f"unknown value {scheme['type']!r}; expected {allowed}"
            ) from None
        out.append(dict(scheme))
    return tuple(out)


def load_definition(path: Path) -> ConnectorDefinition:
    """Read and validate a connector.yaml; errors name the file and the field."""
    raw = read_document(path)
    if not isinstance(raw, Mapping):
        raise _fail(path, "(top)", "expected a mapping")
    _check_keys(path, "", raw, TOP_LEVEL_KEYS)
    for required in ("name", "base_url", "auth"):
        if required not in raw:
            raise _fail(path, required, "missing")
    name = str(raw["name"])
    if not name.isidentifier() or name != name.lower():
        raise _fail(path, "name", f"{name!r} is not a lower-case Python identifier")
    if "connector_type" in raw and str(raw["connector_type"]) != name:
        raise _fail(path, "connector_type", f"must equal the name {name!r} (or be left out)")
    auth = _auth_list(raw["auth"], path)
    default, default_items = _pagination(raw.get("pagination"), path, "pagination")
    resources: list[ResourceDef] = []
    for res_name, res in (raw.get("resources") or {}).items():
        field = f"resources.{res_name}"
        if not isinstance(res, Mapping) or "list" not in res:
            raise _fail(path, field, "expected a mapping with a 'list' operation")
        _check_keys(path, field, res, RESOURCE_KEYS)
        pagination, _ = (
            _pagination(res["pagination"], path, f"{field}.pagination")
            if "pagination" in res
            else (default, None)
        )
        resources.append(
            ResourceDef(
                name=str(res_name),
                list_op=str(res["list"]),
                get_op=str(res["get"]) if res.get("get") else None,
                id_param=str(res["id_param"]) if res.get("id_param") else None,
                id_field=str(res.get("id_field") or "id"),
                items_path=res.get("items_path", default_items),
                item_path=res.get("item_path"),
                pagination=pagination,
                incremental=_incremental(res.get("incremental"), path, f"{field}.incremental"),
                description=res.get("description"),
                list_body=dict(res["list_body"])
                if isinstance(res.get("list_body"), Mapping)
                else None,
                batch=_batch(res.get("batch"), path, f"{field}.batch"),
            )
        )
    operations = raw.get("operations", "all")
    if operations == "all":
        ops: tuple[str, ...] | None = None
    elif isinstance(operations, list) and all(isinstance(o, str) for o in operations):
        ops = tuple(operations)
    else:
        raise _fail(path, "operations", "expected 'all' or a list of operationIds")
    raw_overrides = raw.get("overrides") or {}
    if not isinstance(raw_overrides, Mapping):
        raise _fail(path, "overrides", "expected a mapping")
    _check_keys(path, "overrides", raw_overrides, frozenset({"operations", "code", "spec_patches"}))
    code = _code_overrides(raw_overrides.get("code"), path)
    patches = raw_overrides.get("spec_patches") or {}
    if not isinstance(patches, Mapping) or not all(
        isinstance(k, str) and k.startswith("/") for k in patches
    ):
        raise _fail(
            path, "overrides.spec_patches", "expected a mapping of JSON pointers to patches"
        )
    overrides: dict[str, OperationOverride] = {}
    for op_id, spec in (raw_overrides.get("operations") or {}).items():
        where = f"overrides.operations.{op_id}"
        if not isinstance(spec, Mapping):
            raise _fail(path, where, "expected a mapping")
        _check_keys(path, where, spec, frozenset({"name", "group", "pagination", "items_path"}))
        op_pagination = (
            _pagination(spec["pagination"], path, f"{where}.pagination")[0]
            if spec.get("pagination")
            else None
        )
        overrides[str(op_id)] = OperationOverride(
            name=str(spec["name"]) if spec.get("name") else None,
            group=str(spec["group"]) if spec.get("group") else None,
            pagination=op_pagination,
            items_path=spec.get("items_path"),
        )
    url_variables = tuple(
        (str(k), str((v or {}).get("example") or k))
        for k, v in (raw.get("url_variables") or {}).items()
    )
    webhooks, webhook_events = load_webhooks(raw.get("webhooks"), path)
    definition = ConnectorDefinition(
        name=name,
        display_name=str(raw.get("display_name") or name),
        class_prefix=str(raw.get("class_prefix") or pascal(name)),
        category=str(raw.get("category") or "Other business apps"),
        spec=(path.parent / str(raw.get("spec") or "openapi.json")),
        source_spec=raw.get("source_spec"),
        notes=" ".join(str(raw["notes"]).split()) if raw.get("notes") else None,
        base_url=str(raw["base_url"]),
        url_variables=url_variables,
        api_version=str(raw["api_version"]) if raw.get("api_version") else None,
        default_headers=tuple(
            sorted((str(k), str(v)) for k, v in (raw.get("default_headers") or {}).items())
        ),
        auth=auth,
        health_check=raw.get("health_check"),
        rate_limits={k: v for k, v in (raw.get("rate_limits") or {}).items() if v is not None},
        pagination=default,
        items_path=default_items,
        resources=tuple(resources),
        operations=ops,
        overrides=overrides,
        webhooks=webhooks,
        spec_gaps=dict(raw.get("spec_gaps") or {}),
        reserved_path_params=frozenset(str(p) for p in raw.get("reserved_path_params") or ()),
        code=code,
        spec_patches=tuple(sorted(patches.items())),
        raw=raw,
        path=path,
        webhook_events=webhook_events,
    )
    try:
        ConnectorConfig(**definition.config_kwargs())
    except (ConfigurationError, TypeError) as exc:
        raise _fail(path, "config", str(exc)) from None
    return definition


def _incremental(raw: Any, path: Path, where: str) -> Incremental | None:
    """A resource's ``incremental:`` mapping (see docs/capabilities.md)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("param"), str) or not raw["param"]:
        raise _fail(path, where, "expected {param: NAME, field: NAME} (or kind: token)")
    _check_keys(path, where, raw, INCREMENTAL_KEYS)
    kind = raw.get("kind", "updated_at")
    if kind not in INCREMENTAL_KINDS:
        raise _fail(
            path, f"{where}.kind", f"expected one of {', '.join(INCREMENTAL_KINDS)}, got {kind!r}"
        )
    for key in ("field", "token_path"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key]):
            raise _fail(path, f"{where}.{key}", f"expected a dotted field name, got {raw[key]!r}")
    if kind == "token":
        if "token_path" not in raw:
            raise _fail(
                path,
                f"{where}.token_path",
                "missing: where the response carries the next sync token (kind: token)",
            )
        if "field" in raw:
            raise _fail(path, f"{where}.field", "not used with kind: token (the token is)")
        return Incremental(str(raw["param"]), "", "token", str(raw["token_path"]))
    if "token_path" in raw:
        raise _fail(path, f"{where}.token_path", "only used with kind: token")
    return Incremental(str(raw["param"]), str(raw.get("field") or "updated_at"))


def _batch(raw: Any, path: Path, where: str) -> BatchRead | None:
    """A resource's ``batch:`` mapping (see docs/connector-yaml.md)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _fail(path, where, "expected a mapping with operation, ids_param and max_size")
    _check_keys(path, where, raw, BATCH_KEYS)
    for key in ("operation", "ids_param", "max_size"):
        if key not in raw:
            raise _fail(path, f"{where}.{key}", "missing")
    for key in ("operation", "ids_param", "id_key", "results_path", "errors_path"):
        if key in raw and raw[key] is not None and (not isinstance(raw[key], str) or not raw[key]):
            raise _fail(path, f"{where}.{key}", f"expected a name, got {raw[key]!r}")
    size = raw["max_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise _fail(path, f"{where}.max_size", f"expected an integer >= 1, got {size!r}")
    location = raw.get("in", "body")
    if location not in ("body", "query"):
        raise _fail(path, f"{where}.in", f"expected body or query, got {location!r}")
    body = raw.get("body")
    if body is not None and not isinstance(body, Mapping):
        raise _fail(path, f"{where}.body", "expected a mapping of fixed body fields")
    if location == "query" and raw.get("id_key"):
        raise _fail(path, f"{where}.id_key", "only used with in: body")
    return BatchRead(
        operation=str(raw["operation"]),
        ids_param=str(raw["ids_param"]),
        max_size=size,
        location=str(location),
        id_key=str(raw["id_key"]) if raw.get("id_key") else None,
        results_path=raw.get("results_path", "results"),
        errors_path=raw.get("errors_path"),
        body=dict(body) if body is not None else None,
    )


def _code_overrides(raw: Any, path: Path) -> CodeOverrides | None:
    if raw is None:
        return None
    where = "overrides.code"
    if not isinstance(raw, Mapping) or not raw.get("module"):
        raise _fail(path, where, "expected a mapping with a 'module' file")
    _check_keys(path, where, raw, frozenset({"module", "connector", "resources"}))
    module = path.parent / str(raw["module"])
    if module.suffix != ".py" or not module.stem.isidentifier():
        raise _fail(path, f"{where}.module", f"{raw['module']!r} is not a Python module file")
    if not module.exists():
        raise _fail(path, f"{where}.module", f"{module} does not exist")
    names = [raw.get("connector"), *(raw.get("resources") or {}).values()]
    for name in names:
        if name is not None and not str(name).isidentifier():
            raise _fail(path, where, f"{name!r} is not a class name")
    return CodeOverrides(
        module=module,
        connector=str(raw["connector"]) if raw.get("connector") else None,
        resources=tuple(sorted((str(k), str(v)) for k, v in (raw.get("resources") or {}).items())),
    )


def included_operations(definition: ConnectorDefinition) -> set[str] | None:
    """The operationIds to generate: the list, plus every resource's list/get and the
    health check."""
    if definition.operations is None:
        return None
    wanted = set(definition.operations)
    for resource in definition.resources:
        wanted.add(resource.list_op)
        if resource.get_op:
            wanted.add(resource.get_op)
        if resource.batch:
            wanted.add(resource.batch.operation)
    if definition.health_check:
        wanted.add(definition.health_check)
    return wanted
