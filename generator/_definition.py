"""connector.yaml: our definition of a connector (see docs/connector-yaml.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from connectory.core import (
    AuthenticationType,
    ConfigurationError,
    ConnectorConfig,
    ConnectorType,
    CursorInBody,
    CursorInHeader,
    LastItemCursor,
    LinkHeader,
    NextUrlInBody,
    NoPagination,
    OffsetLimit,
    PageNumber,
)

from ._errors import DefinitionError
from ._loader import read_document
from ._naming import pascal

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


@attrs.frozen
class Pagination:
    style: str
    settings: tuple[tuple[str, Any], ...]

    def expression(self) -> str:
        """The paginator as Python source, e.g. ``LinkHeader(rel='next')``."""
        cls = PAGINATION_STYLES[self.style].__name__
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings)
        return f"{cls}({args})"


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
    description: str | None


@attrs.frozen
class ConnectorDefinition:
    name: str
    display_name: str
    connector_type: ConnectorType
    class_prefix: str
    spec: Path
    source_spec: str | None
    base_url: str
    api_version: str | None
    default_headers: tuple[tuple[str, str], ...]
    auth: Mapping[str, Any]
    health_check: str | None
    rate_limits: Mapping[str, Any]
    resources: tuple[ResourceDef, ...]
    operations: tuple[str, ...] | None  # None: all
    renames: Mapping[str, str]
    path: Path

    def config_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the connector's `ConnectorConfig` (health check excluded)."""
        auth = self.auth
        kwargs: dict[str, Any] = {
            "connector_type": self.connector_type,
            "authentication_type": AuthenticationType(auth["type"]),
            "base_url": self.base_url,
            "name": self.name,
            "display_name": self.display_name,
        }
        if self.api_version:
            kwargs["api_version"] = self.api_version
        if self.rate_limits:
            kwargs["rate_limits"] = dict(self.rate_limits)
        if auth.get("credential_fields"):
            kwargs["credential_fields"] = tuple(auth["credential_fields"])
        if auth.get("scopes"):
            kwargs["scopes"] = tuple(auth["scopes"])
        api_key = auth.get("api_key") or {}
        if api_key.get("name"):
            kwargs["api_key_name"] = api_key["name"]
        if api_key.get("in"):
            kwargs["api_key_location"] = api_key["in"]
        if api_key.get("prefix"):
            kwargs["api_key_prefix"] = api_key["prefix"]
        for key in ("token_url", "authorization_url"):
            if auth.get(key):
                kwargs[key] = auth[key]
        if self.default_headers:
            kwargs["default_headers"] = dict(self.default_headers)
        return kwargs


def _fail(path: Path, field: str, message: str) -> DefinitionError:
    return DefinitionError(f"{path}: {field}: {message}")


def _pagination(raw: Any, path: Path, field: str) -> Pagination:
    if raw is None:
        return Pagination("none", ())
    if not isinstance(raw, Mapping) or "style" not in raw:
        raise _fail(path, field, "expected a mapping with a 'style'")
    style = raw["style"]
    if style not in PAGINATION_STYLES:
        raise _fail(
            path,
            f"{field}.style",
            f"unknown style {style!r}; expected one of {', '.join(PAGINATION_STYLES)}",
        )
    settings = {k: v for k, v in raw.items() if k != "style"}
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
    return Pagination(style, tuple(sorted(settings.items())))


def load_definition(path: Path) -> ConnectorDefinition:
    """Read and validate a connector.yaml; errors name the file and the field."""
    raw = read_document(path)
    if not isinstance(raw, Mapping):
        raise _fail(path, "(top)", "expected a mapping")
    for required in ("name", "connector_type", "base_url", "auth"):
        if required not in raw:
            raise _fail(path, required, "missing")
    name = str(raw["name"])
    if not name.isidentifier() or name != name.lower():
        raise _fail(path, "name", f"{name!r} is not a lower-case Python identifier")
    try:
        connector_type = ConnectorType(raw["connector_type"])
    except ValueError:
        raise _fail(
            path, "connector_type", f"{raw['connector_type']!r} is not a ConnectorType value"
        ) from None
    auth = raw["auth"]
    if not isinstance(auth, Mapping) or "type" not in auth:
        raise _fail(path, "auth", "expected a mapping with a 'type'")
    try:
        AuthenticationType(auth["type"])
    except ValueError:
        raise _fail(path, "auth.type", f"unknown value {auth['type']!r}") from None
    default = _pagination(raw.get("pagination"), path, "pagination")
    resources: list[ResourceDef] = []
    for res_name, res in (raw.get("resources") or {}).items():
        field = f"resources.{res_name}"
        if not isinstance(res, Mapping) or "list" not in res:
            raise _fail(path, field, "expected a mapping with a 'list' operation")
        resources.append(
            ResourceDef(
                name=str(res_name),
                list_op=str(res["list"]),
                get_op=str(res["get"]) if res.get("get") else None,
                id_param=str(res["id_param"]) if res.get("id_param") else None,
                id_field=str(res.get("id_field") or "id"),
                items_path=res.get("items_path"),
                item_path=res.get("item_path"),
                pagination=_pagination(res["pagination"], path, f"{field}.pagination")
                if "pagination" in res
                else default,
                description=res.get("description"),
            )
        )
    operations = raw.get("operations", "all")
    if operations == "all":
        ops: tuple[str, ...] | None = None
    elif isinstance(operations, list) and all(isinstance(o, str) for o in operations):
        ops = tuple(operations)
    else:
        raise _fail(path, "operations", "expected 'all' or a list of operationIds")
    renames = {
        str(op): str(v["name"])
        for op, v in ((raw.get("overrides") or {}).get("operations") or {}).items()
        if isinstance(v, Mapping) and v.get("name")
    }
    definition = ConnectorDefinition(
        name=name,
        display_name=str(raw.get("display_name") or name),
        connector_type=connector_type,
        class_prefix=str(raw.get("class_prefix") or pascal(name)),
        spec=(path.parent / str(raw.get("spec") or "openapi.json")),
        source_spec=raw.get("source_spec"),
        base_url=str(raw["base_url"]),
        api_version=str(raw["api_version"]) if raw.get("api_version") else None,
        default_headers=tuple(
            sorted((str(k), str(v)) for k, v in (raw.get("default_headers") or {}).items())
        ),
        auth=dict(auth),
        health_check=raw.get("health_check"),
        rate_limits={k: v for k, v in (raw.get("rate_limits") or {}).items() if v is not None},
        resources=tuple(resources),
        operations=ops,
        renames=renames,
        path=path,
    )
    try:
        ConnectorConfig(**definition.config_kwargs())
    except ConfigurationError as exc:
        raise _fail(path, "config", str(exc)) from None
    return definition


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
    if definition.health_check:
        wanted.add(definition.health_check)
    return wanted
