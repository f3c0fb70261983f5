"""Model -> source files. Views are computed here; templates only print them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import jinja2

from ._definition import PAGINATION_STYLES, ConnectorDefinition, Pagination
from ._errors import DefinitionError
from ._model import (
    Api,
    EnumDef,
    Field,
    ModelDef,
    Operation,
    Parameter,
    annotation,
    decoder,
    model_names,
    with_unset,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "connector"
MODELS = "m."


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # noqa: S701 - Python source, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["py"] = repr
    return env


# -- models ---------------------------------------------------------------------------


@attrs.frozen
class FieldView:
    name: str
    json_name: str
    annotation: str
    required: bool
    decode: str


@attrs.frozen
class ModelView:
    name: str
    fields: tuple[FieldView, ...]
    extra_annotation: str
    extra_decode: str
    uses_models: bool
    uses_unset: bool


def field_annotation(f: Field) -> str:
    text = annotation(f.type, models_prefix=MODELS)
    return text if f.required else with_unset(text)


def model_view(model: ModelDef) -> ModelView:
    views: list[FieldView] = []
    for f in model.fields:
        if f.required:
            decode = decoder(f.type, f"data[{f.json_name!r}]", models_prefix=MODELS)
        else:
            inner = decoder(f.type, "v", models_prefix=MODELS)
            decode = (
                f"_c.UNSET if (v := data.get({f.json_name!r}, _c.UNSET)) is _c.UNSET else {inner}"
            )
        views.append(FieldView(f.name, f.json_name, field_annotation(f), f.required, decode))
    mentioned = set().union(*(model_names(f.type) for f in model.fields)) if model.fields else set()
    extra = annotation(model.extra, models_prefix=MODELS) if model.extra is not None else "Any"
    mentioned |= model_names(model.extra) if model.extra is not None else set()
    # Unknown fields are decoded as what `additionalProperties` says they are (a model, a
    # float...), so that they match their annotation.
    extra_decode = "_c.unknown_fields(data, cls.KNOWN_FIELDS)"
    if model.extra is not None and (item := decoder(model.extra, "x", models_prefix=MODELS)) != "x":
        extra_decode = f"{{k: {item} for k, x in {extra_decode}.items()}}"
    return ModelView(
        name=model.name,
        fields=tuple(views),
        extra_annotation=extra,
        extra_decode=extra_decode,
        uses_models=bool(mentioned),
        uses_unset=any(not f.required for f in model.fields),
    )


@attrs.frozen
class EnumView:
    name: str
    base: str
    bases: str
    members: tuple[tuple[str, Any], ...]


def enum_view(enum: EnumDef) -> EnumView:
    bases = {"str": "enum.StrEnum", "int": "enum.IntEnum", "float": "float, enum.Enum"}[enum.base]
    return EnumView(enum.name, enum.base, bases, enum.members)


# -- operations -----------------------------------------------------------------------


@attrs.frozen
class ArgView:
    name: str
    value: str


@attrs.frozen
class OperationView:
    name: str
    method: str
    signature: str
    returns: str
    doc: str
    path_expr: str
    params: tuple[ArgView, ...]
    headers: tuple[ArgView, ...]
    body_kwarg: str | None
    return_block: str
    call_args: str


def _doc(text: str | None, fallback: str) -> str:
    doc = " ".join((text or fallback).split())
    doc = doc.replace("\\", "\\\\").replace('"""', "'''")
    if doc.endswith('"'):
        doc += " "
    if doc and not doc.endswith((".", "!", "?")):
        doc += "."
    return doc


def _param_annotation(p: Parameter) -> str:
    text = annotation(p.type, models_prefix=MODELS)
    return text if p.required else with_unset(text)


def _path_expr(op: Operation) -> str:
    by_name = {p.name: p for p in op.parameters if p.location == "path"}
    pieces: list[str] = []
    rest = op.path
    while "{" in rest and "}" in rest[rest.index("{") :]:
        start = rest.index("{")
        end = rest.index("}", start)
        if rest[:start]:
            pieces.append(repr(rest[:start]))
        param = by_name[rest[start + 1 : end]]
        pieces.append(f"_c.path_segment({param.py_name})")
        rest = rest[end + 1 :]
    if rest:
        pieces.append(repr(rest))
    return " + ".join(pieces) if pieces else "''"


def operation_view(op: Operation) -> OperationView:
    positional = [p for p in op.parameters if p.location == "path"]
    keyword = [p for p in op.parameters if p.location != "path"]
    parts = ["self"]
    parts.extend(f"{p.py_name}: {_param_annotation(p)}" for p in positional)
    call = [p.py_name for p in positional]
    body = op.body
    kw_parts: list[str] = []
    if body is not None:
        body_type = annotation(body.type, models_prefix=MODELS)
        if body.kind in ("form", "multipart"):
            body_type = "dict[str, Any]"
        kw_parts.append(
            f"body: {body_type}" if body.required else f"body: {with_unset(body_type)} = UNSET"
        )
        call.append("body=body")
    for p in sorted(keyword, key=lambda p: not p.required):
        default = "" if p.required else " = UNSET"
        kw_parts.append(f"{p.py_name}: {_param_annotation(p)}{default}")
        call.append(f"{p.py_name}={p.py_name}")
    if kw_parts:
        parts.append("*")
        parts.extend(kw_parts)
    params = tuple(
        ArgView(
            p.name,
            f"_c.query_value({p.py_name}, explode={p.explode}"
            + (f", style={p.style!r})" if p.style and p.style != "form" else ")"),
        )
        for p in op.parameters
        if p.location == "query"
    )
    headers = tuple(ArgView(p.name, p.py_name) for p in op.parameters if p.location == "header")
    cookies = [p for p in op.parameters if p.location == "cookie"]
    if cookies:
        cookie = " + '; ' + ".join(f"{p.name + '='!r} + str({p.py_name})" for p in cookies)
        headers = (*headers, ArgView("Cookie", cookie))
    body_kwarg = None
    if body is not None:
        unless_unset = "" if body.required else "None if body is UNSET else "
        if body.kind == "json":
            body_kwarg = f"json={unless_unset}_c.encode(body)"
        elif body.kind == "form":
            body_kwarg = f"data={unless_unset}_c.form(body)"
        elif body.kind == "multipart":
            body_kwarg = "**_c.multipart_kwargs(body)"
        elif body.kind == "text":
            body_kwarg = f"content={unless_unset}body.encode()"
        else:
            body_kwarg = f"content={unless_unset}body"
        if body.kind in ("text", "bytes"):
            headers = (*headers, ArgView("Content-Type", repr(body.content_type)))
    success = op.success
    if success.kind == "empty":
        returns, block = "None", ""
    elif success.kind == "text":
        returns, block = "str", "        return response.text"
    elif success.kind == "bytes":
        returns, block = "bytes", "        return response.content"
    else:
        returns = annotation(success.type, models_prefix=MODELS)
        decode = decoder(success.type, "payload", models_prefix=MODELS)
        block = (
            "        payload = _c.json_body(response)\n"
            f"        result: {returns} = {decode}\n"
            "        return result"
        )
    return OperationView(
        name=op.method_name,
        method=op.http_method,
        signature=", ".join(parts),
        returns=returns,
        doc=_doc(op.summary, f"{op.http_method} {op.path}"),
        path_expr=_path_expr(op),
        params=params,
        headers=headers,
        body_kwarg=body_kwarg,
        return_block=block,
        call_args=", ".join(call),
    )


# -- resources and config -------------------------------------------------------------


@attrs.frozen
class ResourceView:
    name: str
    list_path: str
    get_path: str | None
    list_method: str
    list_operation: str
    get_operation: str | None
    id_param: str
    id_field: str
    items_path: str | None
    item_path: str | None
    paginator: str
    description: str | None


def resource_views(api: Api, definition: ConnectorDefinition) -> list[ResourceView]:
    by_id = {op.operation_id: op for op in api.operations}
    views: list[ResourceView] = []
    for resource in definition.resources:
        list_op = by_id.get(resource.list_op)
        if list_op is None:
            raise DefinitionError(
                f"{definition.path}: resources.{resource.name}.list: operation "
                f"{resource.list_op!r} is not in the spec"
            )
        get_op = by_id.get(resource.get_op) if resource.get_op else None
        if resource.get_op and get_op is None:
            raise DefinitionError(
                f"{definition.path}: resources.{resource.name}.get: operation "
                f"{resource.get_op!r} is not in the spec"
            )
        id_param = resource.id_param or "id"
        if get_op is not None and resource.id_param is None:
            path_params = [p.name for p in get_op.parameters if p.location == "path"]
            id_param = path_params[-1] if path_params else "id"
        views.append(
            ResourceView(
                name=resource.name,
                list_path=list_op.path,
                get_path=get_op.path if get_op else None,
                list_method=list_op.http_method,
                list_operation=list_op.method_name,
                get_operation=get_op.method_name if get_op else None,
                id_param=id_param,
                id_field=resource.id_field,
                items_path=resource.items_path,
                item_path=resource.item_path,
                paginator=resource.pagination.expression(),
                description=resource.description,
            )
        )
    return views


def _paginator_imports(paginations: Iterable[Pagination]) -> list[str]:
    return sorted({PAGINATION_STYLES[p.style].__name__ for p in paginations})


def config_items(api: Api, definition: ConnectorDefinition) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in definition.config_kwargs().items():
        if key == "connector_type":
            items.append((key, f"ConnectorType.{value.name}"))
        elif key == "authentication_type":
            items.append((key, f"AuthenticationType.{value.name}"))
        else:
            items.append((key, repr(value)))
    if definition.health_check:
        op = next((o for o in api.operations if o.operation_id == definition.health_check), None)
        if (
            op is None
            or op.http_method != "GET"
            or any(p.location == "path" for p in op.parameters)
        ):
            raise DefinitionError(
                f"{definition.path}: health_check: {definition.health_check!r} must be a GET "
                "operation of the spec without path parameters"
            )
        items.append(("health_check_path", repr(op.path)))
    return items


# -- all files ------------------------------------------------------------------------


def render(api: Api, definition: ConnectorDefinition) -> dict[str, str]:
    """Every file of the connector package, by relative path."""
    env = _environment()
    common = {"display_name": definition.display_name, "prefix": definition.class_prefix}
    files: dict[str, str] = {}
    model_template = env.get_template("model.py.jinja")
    enum_template = env.get_template("enum.py.jinja")
    exports: list[tuple[str, str]] = []
    for model in api.models:
        files[f"models/{model.module}.py"] = model_template.render(
            model=model_view(model), **common
        )
        exports.append((model.name, model.module))
    for enum in api.enums:
        files[f"models/{enum.module}.py"] = enum_template.render(enum=enum_view(enum), **common)
        exports.append((enum.name, enum.module))
    exports.sort()
    files["models/__init__.py"] = env.get_template("models_init.py.jinja").render(
        exports=exports, **common
    )
    resources = resource_views(api, definition)
    files["data.py"] = env.get_template("data.py.jinja").render(
        operations=[operation_view(op) for op in api.operations],
        resources=resources,
        paginator_imports=_paginator_imports(r.pagination for r in definition.resources),
        **common,
    )
    auth = definition.auth
    fields = ", ".join(auth.get("credential_fields") or []) or "as the auth type requires"
    files["auth.py"] = env.get_template("auth.py.jinja").render(
        auth_summary=str(auth["type"]).replace("_", " "), credential_fields=fields, **common
    )
    files["connector.py"] = env.get_template("connector.py.jinja").render(
        config=config_items(api, definition),
        connector_type=definition.connector_type.name,
        **common,
    )
    files["operations.py"] = env.get_template("operations.py.jinja").render(
        operations=[_operation_info(op) for op in api.operations], **common
    )
    files["__init__.py"] = env.get_template("package_init.py.jinja").render(**common)
    files["py.typed"] = ""
    return files


def _operation_info(op: Operation) -> dict[str, Any]:
    body = op.body
    return {
        "name": op.method_name,
        "operation_id": op.operation_id,
        "method": op.http_method,
        "path": op.path,
        "parameters": [
            {
                "name": p.name,
                "py_name": p.py_name,
                "location": p.location,
                "required": p.required,
                "type": annotation(p.type),
            }
            for p in op.parameters
        ],
        "body_content_type": body.content_type if body else None,
        "body_type": annotation(body.type) if body else None,
        "response_content_type": op.success.content_type,
        "response_type": annotation(op.success.type)
        if op.success.kind == "json"
        else {"text": "str", "bytes": "bytes", "empty": "None"}.get(op.success.kind, "Any"),
        "typed": op.typed,
        "degraded": op.degraded,
        "untyped": op.untyped,
    }


__all__ = ["render"]
