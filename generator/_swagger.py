"""Swagger 2.0 -> OpenAPI 3.0, so older specs go through the same pipeline.

Covers what a connector needs: servers from host/basePath/schemes, definitions, shared
parameters and responses as components, body and formData parameters as request bodies,
response schemas as content, security definitions, collectionFormat as style/explode,
``x-nullable``. Written here rather than taken from a library: the converters on PyPI are
either unmaintained or call out to a web service.
"""

from __future__ import annotations

import copy
from typing import Any

_REF_PREFIXES = {
    "#/definitions/": "#/components/schemas/",
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_COLLECTION = {
    "csv": ("form", False),
    "multi": ("form", True),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    # OpenAPI 3 has no tab-delimited style; connectory's runtime knows it by this name.
    "tsv": ("tabDelimited", False),
}
_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
)
_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}


def _rewrite(node: Any) -> Any:
    """Refs to 2.0 locations become refs to components; x-nullable becomes nullable;
    type file becomes a binary string."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                for old, new in _REF_PREFIXES.items():
                    if value.startswith(old):
                        value = new + value[len(old) :]
                        break
                out[key] = value
            elif key == "x-nullable":
                out["nullable"] = bool(value)
            elif key == "type" and value == "file":
                out["type"] = "string"
                out["format"] = "binary"
            else:
                out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {k: _rewrite(param[k]) for k in _SCHEMA_KEYS if k in param}
    if param.get("x-nullable"):
        schema["nullable"] = True
    if schema.get("type") == "file":
        schema.update(type="string", format="binary")
    return schema


def _resolve_param(param: Any, document: dict[str, Any]) -> Any:
    ref = param.get("$ref") if isinstance(param, dict) else None
    if isinstance(ref, str) and ref.startswith("#/parameters/"):
        target = (document.get("parameters") or {}).get(ref[len("#/parameters/") :])
        if isinstance(target, dict):
            return target
    return param


def _convert_parameter(param: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: param[k] for k in ("name", "in", "required", "description", "deprecated") if k in param
    }
    out["schema"] = _param_schema(param)
    fmt = param.get("collectionFormat")
    if param.get("type") == "array" and fmt in _COLLECTION:
        out["style"], out["explode"] = _COLLECTION[fmt]
    return out


def _operation(
    op: dict[str, Any], path_params: list[Any], document: dict[str, Any]
) -> dict[str, Any]:
    out = {
        k: copy.deepcopy(v)
        for k, v in op.items()
        if k not in ("parameters", "responses", "consumes", "produces")
    }
    consumes = op.get("consumes") or document.get("consumes") or ["application/json"]
    produces = op.get("produces") or document.get("produces") or ["application/json"]
    parameters: list[dict[str, Any]] = []
    form: dict[str, Any] = {}
    form_encoding: dict[str, Any] = {}
    form_required: list[str] = []
    has_file = False
    body: dict[str, Any] | None = None
    merged: dict[tuple[str, str], Any] = {}
    for raw in [*path_params, *(op.get("parameters") or [])]:
        param = _resolve_param(raw, document)
        if isinstance(param, dict) and "name" in param and "in" in param:
            merged[(param["name"], param["in"])] = (raw, param)
    for raw, param in merged.values():
        where = param["in"]
        if where == "body":
            body = {
                "content": {ct: {"schema": _rewrite(param.get("schema") or {})} for ct in consumes},
                "required": bool(param.get("required")),
            }
        elif where == "formData":
            form[param["name"]] = _param_schema(param)
            fmt = param.get("collectionFormat")
            if param.get("type") == "array" and fmt in _COLLECTION:
                style, explode = _COLLECTION[fmt]
                form_encoding[param["name"]] = {"style": style, "explode": explode}
            has_file = has_file or param.get("type") == "file"
            if param.get("required"):
                form_required.append(param["name"])
        elif raw is not param and isinstance(raw, dict):
            parameters.append(_rewrite(raw))  # a shared parameter: keep the reference
        else:
            parameters.append(_convert_parameter(param))
    if form:
        media = (
            "multipart/form-data"
            if has_file or "multipart/form-data" in consumes
            else ("application/x-www-form-urlencoded")
        )
        schema: dict[str, Any] = {"type": "object", "properties": form}
        if form_required:
            schema["required"] = form_required
        content: dict[str, Any] = {"schema": schema}
        if form_encoding:
            content["encoding"] = form_encoding
        body = {"content": {media: content}, "required": bool(form_required)}
    if parameters:
        out["parameters"] = parameters
    if body is not None:
        out["requestBody"] = body
    out["responses"] = {
        str(status): _response(response, produces)
        for status, response in (op.get("responses") or {}).items()
    }
    return out


def _response(response: Any, produces: list[str]) -> Any:
    if not isinstance(response, dict) or "$ref" in response:
        return _rewrite(response)
    out: dict[str, Any] = {"description": response.get("description", "")}
    if "schema" in response:
        out["content"] = {ct: {"schema": _rewrite(response["schema"])} for ct in produces}
    if isinstance(response.get("headers"), dict):
        out["headers"] = {
            name: {"schema": _param_schema(header)}
            for name, header in response["headers"].items()
            if isinstance(header, dict)
        }
    return out


def _security_scheme(definition: dict[str, Any]) -> dict[str, Any]:
    kind = definition.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if kind == "apiKey":
        return {"type": "apiKey", "name": definition.get("name"), "in": definition.get("in")}
    if kind == "oauth2":
        flow_name = _FLOWS.get(str(definition.get("flow")), "clientCredentials")
        flow: dict[str, Any] = {"scopes": definition.get("scopes") or {}}
        if "authorizationUrl" in definition:
            flow["authorizationUrl"] = definition["authorizationUrl"]
        if "tokenUrl" in definition:
            flow["tokenUrl"] = definition["tokenUrl"]
        return {"type": "oauth2", "flows": {flow_name: flow}}
    return dict(definition)


def convert(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0 equivalent of a Swagger 2.0 document."""
    schemes = document.get("schemes") or ["https"]
    host = document.get("host")
    base_path = document.get("basePath") or ""
    servers = (
        [{"url": f"{scheme}://{host}{base_path}"} for scheme in schemes]
        if host
        else ([{"url": base_path}] if base_path else [])
    )
    paths: dict[str, Any] = {}
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        path_params = item.get("parameters") or []
        converted: dict[str, Any] = {}
        for method in _HTTP_METHODS:
            if isinstance(item.get(method), dict):
                converted[method] = _operation(item[method], path_params, document)
        paths[path] = converted
    components: dict[str, Any] = {}
    if document.get("definitions"):
        components["schemas"] = _rewrite(document["definitions"])
    shared = {
        name: _convert_parameter(p)
        for name, p in (document.get("parameters") or {}).items()
        if isinstance(p, dict) and p.get("in") not in ("body", "formData")
    }
    if shared:
        components["parameters"] = shared
    if document.get("responses"):
        produces = document.get("produces") or ["application/json"]
        components["responses"] = {
            name: _response(r, produces) for name, r in document["responses"].items()
        }
    if document.get("securityDefinitions"):
        components["securitySchemes"] = {
            name: _security_scheme(d)
            for name, d in document["securityDefinitions"].items()
            if isinstance(d, dict)
        }
    out: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": document.get("info") or {"title": "", "version": ""},
        "servers": servers,
        "paths": paths,
    }
    if components:
        out["components"] = components
    if document.get("security"):
        out["security"] = document["security"]
    return out
