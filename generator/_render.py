"""Model -> source files. Views are computed here; templates only print them.

Templates are read from the package (``connectory.templates``) with `importlib.resources`;
a folder given by the user is searched first, so single templates can be overridden.
"""

from __future__ import annotations

import enum
import importlib.resources
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jinja2

from ._definition import PAGINATION_STYLES, ConnectorDefinition, Pagination
from ._errors import DefinitionError
from ._model import (
    AliasDef,
    Api,
    EnumDef,
    Field,
    ModelDef,
    Operation,
    Parameter,
    ResponseDef,
    TypeExpr,
    annotation,
    with_unset,
)

MODELS = "m."
_STYLE_DEFAULT_EXPLODE = {"form": True, "deepObject": True}


def environment(templates: Path | None = None) -> jinja2.Environment:
    """The template environment: the user's folder first (if any), then ours."""
    package = importlib.resources.files("connectory.templates") / "connector"
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise DefinitionError(f"--templates: {templates} is not a folder")
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(package)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,  # noqa: S701 - Python source, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["py"] = repr
    return env


def _text(value: str | None) -> str:
    """Spec text made safe inside a docstring."""
    text = " ".join((value or "").split()).replace("\\", "\\\\").replace('"""', "'''")
    if text.endswith('"'):
        text += " "
    return text


def _sentence(value: str | None, fallback: str) -> str:
    text = _text(value) or fallback
    return text if text.endswith((".", "!", "?")) else text + "."


def _schema_name(source: str) -> str:
    return source.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


# -- models -------------------------------------------------------------------------------


@attrs.frozen
class FieldView:
    name: str
    annotation: str
    default: str | None  # source after "=", or None for a required field
    comment: str


@attrs.frozen
class ModelView:
    name: str
    doc: str
    fields: tuple[FieldView, ...]
    extra_annotation: str | None  # typed additional properties
    closed: bool


def _field_view(f: Field) -> FieldView:
    text = annotation(f.type, models_prefix=MODELS)
    renamed = f.name != f.json_name
    if f.required:
        default = f"field({f.json_name!r})" if renamed else None
    else:
        text = with_unset(text)
        default = f"field({f.json_name!r}, default=UNSET)" if renamed else "UNSET"
    return FieldView(f.name, text, default, "  # deprecated" if f.deprecated else "")


def model_view(model: ModelDef, display_name: str) -> ModelView:
    extra = None
    if model.extra is not None and (text := annotation(model.extra, models_prefix=MODELS)) != "Any":
        extra = text
    return ModelView(
        name=model.name,
        doc=f"Schema ``{_text(_schema_name(model.source))}`` of the {display_name} API.",
        fields=tuple(_field_view(f) for f in model.fields),
        extra_annotation=extra,
        closed=model.extra is None,
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


@attrs.frozen
class AliasView:
    name: str
    union: str
    discriminator: str
    mapping: tuple[tuple[str, str], ...]


def alias_view(alias: AliasDef) -> AliasView:
    parts = [annotation(o, models_prefix=MODELS) for o in alias.options]
    return AliasView(alias.name, " | ".join(parts), alias.discriminator, alias.mapping)


# -- operations ---------------------------------------------------------------------------


@attrs.frozen
class OperationView:
    name: str
    paged: bool
    signature: tuple[str, ...]  # parameter declarations after self
    returns: str
    doc: tuple[str, ...]  # docstring lines
    call: str  # "_call" or "_pager"
    args: tuple[str, ...]  # keyword arguments of the call, as source
    deprecated: str | None  # the label to warn about


def _param_annotation(p: Parameter) -> str:
    text = annotation(p.type, models_prefix=MODELS)
    return text if p.required else with_unset(text)


def _value(p: Parameter) -> str:
    """The argument as the call passes it: styled when the spec says so."""
    if p.reserved:
        return f"style({p.py_name}, 'simple', reserved=True)"
    if p.style is None and p.explode is None:
        return p.py_name
    style = p.style or ("form" if p.location in ("query", "cookie") else "simple")
    explode = "" if p.explode is None else f", explode={p.explode}"
    return f"style({p.py_name}, {style!r}{explode})"


def _sent_content_type(declared: str) -> str | None:
    """The Content-Type a body of the declared media type is sent with; None: the
    runtime's default for its kind (JSON, octet-stream). A media range (``*/*``,
    ``application/*``) says what the API accepts, and is no Content-Type: a request
    sent with one is refused (415) by servers that check."""
    media = declared.split(";")[0].strip().lower()
    if media == "text/*":
        return "text/plain"
    if "*" in media:
        return None
    return declared


def _mapping(params: Iterable[Parameter]) -> str:
    items = ", ".join(f"{p.name!r}: {_value(p)}" for p in params)
    return "{" + items + "}"


def _response_type(responses: tuple[ResponseDef, ...]) -> tuple[str, list[str]]:
    """The return annotation and the call arguments that decode the answer."""
    first = responses[0]
    if first.kind == "empty":
        kinds = {r.kind for r in responses}
        if kinds == {"empty"}:
            return "None", []
    if first.kind == "text":
        return "str", ["returns=str", "kind='text'"]
    if first.kind == "bytes":
        return "bytes", ["returns=bytes", "kind='bytes'"]
    json_responses = [r for r in responses if r.kind in ("json", "empty")]
    types: list[str] = []
    for r in json_responses:
        text = "None" if r.kind == "empty" else annotation(r.type, models_prefix=MODELS)
        if text not in types:
            types.append(text)
    from ._model import union_text

    returns = union_text([part for t in types for part in [t]])
    if len(types) == 1:
        return returns, [f"returns={_runtime(types[0])}"]

    def runtime_of(response: ResponseDef) -> str:
        if response.kind == "empty":
            return "None"
        return _runtime(annotation(response.type, models_prefix=MODELS))

    mapping = ", ".join(f"{r.status!r}: {runtime_of(r)}" for r in json_responses)
    return returns, [f"returns={_runtime(returns)}", f"responses={{{mapping}}}"]


def _accept(responses: tuple[ResponseDef, ...]) -> str | None:
    """The Accept header of an operation whose answers are not all plain JSON: the media
    types it decodes, so that a server which negotiates sends one of them (the client
    otherwise asks for application/json, and gets a 406 for a file or a CSV)."""
    declared = list(dict.fromkeys(r.content_type for r in responses if r.content_type))
    if all(_json_admits(media) for media in declared):
        return None
    return ", ".join(declared)


def _json_admits(content_type: str) -> bool:
    """Whether ``Accept: application/json`` admits an answer of this declared type."""
    media = content_type.split(";")[0].strip().lower()
    return media in ("application/json", "*/*", "application/*")


def _runtime(annotation_text: str) -> str:
    """An annotation as a runtime expression (``m.A | str`` works at run time too)."""
    return annotation_text


_BUILTIN_TYPES = ("list", "dict", "str", "int", "float", "bool", "bytes")


def unshadow(text: str, shadowed: frozenset[str]) -> str:
    """`text` with builtin type names a method of the class shadows written as
    ``builtins.<name>`` (a method called ``list`` hides ``list[...]`` in signatures)."""
    for name in shadowed:
        text = re.sub(rf"(?<![\w.]){name}\b", f"builtins.{name}", text)
    return text


def operation_view(
    op: Operation, display_name: str, shadowed: frozenset[str] = frozenset()
) -> OperationView:
    view = _operation_view(op, display_name)
    if not shadowed:
        return view
    return attrs.evolve(
        view,
        signature=tuple(unshadow(part, shadowed) for part in view.signature),
        returns=unshadow(view.returns, shadowed),
    )


def _operation_view(op: Operation, display_name: str) -> OperationView:
    positional = [p for p in op.parameters if p.location == "path"]
    keyword = [p for p in op.parameters if p.location != "path"]
    signature: list[str] = [f"{p.py_name}: {_param_annotation(p)}" for p in positional]
    body = op.body
    kw: list[str] = []
    if body is not None:
        body_type = annotation(body.type, models_prefix=MODELS)
        kw.append(
            f"body: {body_type}" if body.required else f"body: {with_unset(body_type)} = UNSET"
        )
    for p in sorted(keyword, key=lambda p: not p.required):
        kw.append(f"{p.py_name}: {_param_annotation(p)}" + ("" if p.required else " = UNSET"))
    if kw:
        signature.append("*")
        signature.extend(kw)
    paged = op.paging is not None
    signature.append(f"**options: Unpack[{'PagerOptions' if paged else 'RequestOptions'}]")

    args: list[str] = [repr(op.http_method), repr(op.path)]
    if paged:
        assert op.paging is not None
        item = annotation(op.paging.item, models_prefix=MODELS)
        args.append(f"item={item}")
        args.append(f"paginator={_PAGINATORS.name(op.paging.expression)}")
        if op.paging.items_path:
            args.append(f"items_path={op.paging.items_path!r}")
        returns = f"AsyncPager[{item}]"
    else:
        returns, decode_args = _response_type(op.success)
    if positional:
        args.append(f"path={_mapping(positional)}")
    for location, keyword_name in (
        ("query", "query"),
        ("header", "headers"),
        ("cookie", "cookies"),
    ):
        located = [p for p in op.parameters if p.location == location]
        if located and not (paged and location == "cookie"):
            args.append(f"{keyword_name}={_mapping(located)}")
    if body is not None:
        sent_type = _sent_content_type(body.content_type)
        if body.kind == "json":
            args.append("json=body")
            if (
                sent_type is not None
                and sent_type.split(";")[0].strip().lower() != "application/json"
            ):
                args.append(f"content_type={sent_type!r}")
        elif body.kind == "form":
            args.append("form=body")
            if body.encoding:
                encoding = ", ".join(
                    f"{prop!r}: ({style!r}, {explode})" for prop, style, explode in body.encoding
                )
                args.append(f"form_encoding={{{encoding}}}")
        elif body.kind == "multipart":
            args.append("multipart=body")
        else:
            args.append("content=body")
            if sent_type is not None:
                args.append(f"content_type={sent_type!r}")
    if not paged:
        args.extend(decode_args)
        accept = _accept(op.success)
        if accept is not None:
            args.append(f"accept={accept!r}")
    args.append("options=options")

    doc = [_sentence(op.summary, f"{op.http_method} {op.path}"), ""]
    doc.append(f"``{op.http_method} {op.path}`` (operation ``{_text(op.operation_id)}``).")
    if paged:
        assert op.paging is not None
        doc.append(f"Pages by {op.paging.style.replace('_', ' ')}: iterating the result walks")
        doc.append("every page; `AsyncPager` also gives the pages themselves.")
    if op.deprecated:
        doc += ["", ".. deprecated:: The API marks this operation deprecated."]
    described = [*positional, *sorted(keyword, key=lambda p: not p.required)]
    if described or body is not None:
        doc += ["", "Args:"]
        for p in positional:
            doc.append(f"    {p.py_name}: path parameter ``{_text(p.name)}``.")
        if body is not None:
            doc.append(f"    body: the request body ({body.content_type}).")
        for p in sorted(keyword, key=lambda p: not p.required):
            flags = "" if p.required else ", optional"
            dep = ", deprecated" if p.deprecated else ""
            doc.append(f"    {p.py_name}: {p.location} parameter ``{_text(p.name)}``{flags}{dep}.")
    doc += ["", "Returns:"]
    if paged:
        assert op.paging is not None
        item = annotation(op.paging.item).replace(MODELS, "")
        what = "item (the spec leaves its type open)" if item == "Any" else item
        doc.append(f"    every {what} of every page, fetched as iterated.")
    else:
        doc.append(f"    {returns.replace(MODELS, '')}." if returns != "None" else "    nothing.")
    return OperationView(
        name=op.method_name,
        paged=paged,
        signature=tuple(signature),
        returns=returns,
        doc=tuple(doc),
        call="_pager" if paged else "_call",
        args=tuple(args),
        deprecated=f"{op.group}.{op.method_name}" if op.deprecated else None,
    )


class _PaginatorNames:
    """Module-level names of the paginator objects a resource module uses."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def reset(self) -> None:
        self.names = {}

    def name(self, expression: str) -> str:
        if expression not in self.names:
            suffix = "" if not self.names else str(len(self.names) + 1)
            self.names[expression] = f"_PAGES{suffix}"
        return self.names[expression]


_PAGINATORS = _PaginatorNames()


@attrs.frozen
class GroupView:
    name: str  # attribute on the connector
    class_name: str
    module: str
    operations: tuple[OperationView, ...]
    paginators: tuple[tuple[str, str], ...]  # (name, expression)
    paginator_classes: tuple[str, ...]


def group_views(api: Api, display_name: str) -> list[GroupView]:
    from ._naming import pascal

    groups: dict[str, list[Operation]] = {}
    for op in api.operations:
        groups.setdefault(op.group, []).append(op)
    class_names: set[str] = set()
    views: list[GroupView] = []
    for group in sorted(groups):
        _PAGINATORS.reset()
        shadowed = frozenset(_BUILTIN_TYPES) & {op.method_name for op in groups[group]}
        operations = tuple(operation_view(op, display_name, shadowed) for op in groups[group])
        class_name = pascal(group)
        while class_name in class_names or class_name in ("APIResource", "Any"):
            class_name += "Resource"
        class_names.add(class_name)
        paginators = tuple((name, expr) for expr, name in _PAGINATORS.names.items())
        classes = sorted({expr.split("(", 1)[0] for _, expr in paginators})
        views.append(GroupView(group, class_name, group, operations, paginators, tuple(classes)))
    return views


# -- resources (the seed's listings) and config ------------------------------------------


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
    item: str | None  # the item model, as source
    list_body: Mapping[str, Any] | None
    list_headers: Mapping[str, str] = attrs.field(factory=dict)  # keyword -> header name
    get_headers: Mapping[str, str] = attrs.field(factory=dict)
    list_in_body: bool = False  # the listing takes a JSON body: keywords are its fields
    list_query: tuple[str, ...] = ()  # ... but for these query parameters
    batch: str | None = None  # the vendor batch read (a BatchEndpoint), as source
    incremental: str | None = None  # the change cursor (an IncrementalCursor), as source


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
        item: str | None = None
        if list_op.paging is not None:
            text = annotation(list_op.paging.item, models_prefix=MODELS)
            item = None if text == "Any" else text
        batch: str | None = None
        if resource.batch is not None:
            batch_op = by_id.get(resource.batch.operation)
            if batch_op is None:
                raise DefinitionError(
                    f"{definition.path}: resources.{resource.name}.batch.operation: operation "
                    f"{resource.batch.operation!r} is not in the spec"
                )
            batch = resource.batch.expression(
                batch_op.path, batch_op.http_method, f"{batch_op.group}.{batch_op.method_name}"
            )
        in_body = list_op.body is not None and list_op.body.kind == "json"
        views.append(
            ResourceView(
                name=resource.name,
                list_path=list_op.path,
                get_path=get_op.path if get_op else None,
                list_method=list_op.http_method,
                list_operation=f"{list_op.group}.{list_op.method_name}",
                get_operation=f"{get_op.group}.{get_op.method_name}" if get_op else None,
                id_param=id_param,
                id_field=resource.id_field,
                items_path=resource.items_path,
                item_path=resource.item_path,
                paginator=resource.pagination.expression(),
                description=resource.description,
                item=item,
                list_body=resource.list_body,
                list_headers=_header_params(list_op),
                get_headers=_header_params(get_op) if get_op else {},
                list_in_body=in_body,
                list_query=tuple(
                    p.name for p in list_op.parameters if p.location == "query" and in_body
                ),
                batch=batch,
                incremental=(
                    resource.incremental.expression(
                        in_header=resource.incremental.param in _header_params(list_op).values()
                    )
                    if resource.incremental
                    else None
                ),
            )
        )
    return views


def _header_params(operation: Operation) -> dict[str, str]:
    """Keyword -> header name of an operation's header parameters, as its method takes them."""
    return {p.py_name: p.name for p in operation.parameters if p.location == "header"}


def _paginator_imports(paginations: Iterable[Pagination]) -> list[str]:
    return sorted({PAGINATION_STYLES[p.style].__name__ for p in paginations})


def _config_value(key: str, value: Any) -> str:
    from connectory.core import AuthenticationType, AuthScheme, ConnectorType, RateLimits

    if isinstance(value, ConnectorType):
        return f"ConnectorType.{value.name}"
    if isinstance(value, AuthenticationType):
        return f"AuthenticationType.{value.name}"
    if isinstance(value, RateLimits):
        defaults = RateLimits()
        parts = [
            f"{f.name}={getattr(value, f.name)!r}"
            for f in attrs.fields(RateLimits)
            if getattr(value, f.name) != getattr(defaults, f.name)
        ]
        return f"RateLimits({', '.join(parts)})"
    if isinstance(value, tuple) and value and isinstance(value[0], AuthScheme):
        return "(" + "".join(_scheme_source(s) + ", " for s in value) + ")"
    if isinstance(value, enum.Enum):
        return repr(value.value)
    return repr(value)


def _scheme_source(scheme: Any) -> str:
    from ._definition import scheme_settings

    parts = [f"type=AuthenticationType.{scheme.type.name}"]
    for name, value in scheme_settings(scheme).items():
        parts.append(f"{name}={_config_value(name, value)}")
    return f"AuthScheme({', '.join(parts)})"


def config_items(api: Api, definition: ConnectorDefinition) -> list[tuple[str, str]]:
    from connectory.core import ConnectorType

    items: list[tuple[str, str]] = []
    for key, value in definition.config_kwargs().items():
        if key == "connector_type":
            try:
                items.append((key, f"ConnectorType.{ConnectorType(value).name}"))
            except ValueError:
                items.append((key, repr(value)))
        else:
            items.append((key, _config_value(key, value)))
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


@attrs.frozen
class CredentialView:
    name: str  # keyword argument
    key: str  # credential field
    annotation: str


def credential_views(definition: ConnectorDefinition) -> list[CredentialView]:
    from ._naming import safe_field

    seen: dict[str, CredentialView] = {}
    for auth in definition.auth:
        scheme = definition.auth_scheme(auth)
        for field_name in scheme.credential_fields:
            if field_name not in seen:
                kind = "str | float | None" if field_name == "expires_at" else "str | None"
                seen[field_name] = CredentialView(safe_field(field_name), field_name, kind)
    return list(seen.values())


# -- all files ---------------------------------------------------------------------------


def render(
    api: Api, definition: ConnectorDefinition, *, templates: Path | None = None
) -> dict[str, str]:
    """Every file of the connector package, by relative path."""
    env = environment(templates)
    display = definition.display_name
    common = {"display_name": display, "prefix": definition.class_prefix, "name": definition.name}
    files: dict[str, str] = {}
    exports: list[tuple[str, str]] = []
    model_template = env.get_template("model.py.jinja")
    for model in api.models:
        files[f"models/{model.module}.py"] = model_template.render(
            model=model_view(model, display), **common
        )
        exports.append((model.name, model.module))
    enum_template = env.get_template("enum.py.jinja")
    for enum_def in api.enums:
        files[f"models/{enum_def.module}.py"] = enum_template.render(
            enum=enum_view(enum_def), **common
        )
        exports.append((enum_def.name, enum_def.module))
    alias_template = env.get_template("alias.py.jinja")
    for alias in api.aliases:
        files[f"models/{alias.module}.py"] = alias_template.render(
            alias=alias_view(alias), **common
        )
        exports.append((alias.name, alias.module))
    exports.sort()
    files["models/__init__.py"] = env.get_template("models_init.py.jinja").render(
        exports=exports, **common
    )
    groups = group_views(api, display)
    resource_template = env.get_template("resource.py.jinja")
    mixins = dict(definition.code.resources) if definition.code else {}
    unknown = sorted(set(mixins) - {g.name for g in groups})
    if unknown:
        raise DefinitionError(
            f"{definition.path}: overrides.code.resources: no resource group {unknown[0]!r}; "
            f"groups: {', '.join(g.name for g in groups)}"
        )
    for group in groups:
        files[f"resources/{group.module}.py"] = resource_template.render(
            group=group,
            mixin=mixins.get(group.name),
            code_module=definition.code.module_name if definition.code else None,
            **common,
        )
    files["resources/__init__.py"] = env.get_template("resources_init.py.jinja").render(
        groups=groups, **common
    )
    resources = resource_views(api, definition)
    typed = [r for r in resources if r.item is not None]
    files["data.py"] = env.get_template("data.py.jinja").render(
        resources=resources,
        typed=typed,
        typed_gets=[r for r in typed if r.get_path],
        typed_batch=[r for r in typed if r.get_path or r.batch],
        typed_incremental=[r for r in typed if r.incremental],
        paginator_imports=sorted(
            {
                *_paginator_imports(r.pagination for r in definition.resources),
                *(["BatchEndpoint"] if any(r.batch for r in resources) else []),
                *(["IncrementalCursor"] if any(r.incremental for r in resources) else []),
            }
        ),
        **common,
    )
    from ._webhooks import render_webhooks

    webhook_files, webhooks = render_webhooks(api, definition, env, common)
    files.update(webhook_files)
    files["connector.py"] = env.get_template("connector.py.jinja").render(
        webhooks=webhooks,
        config=config_items(api, definition),
        groups=groups,
        credentials=credential_views(definition),
        url_variables=[name for name, _ in definition.url_variables],
        notes=_text(definition.notes) if definition.notes else None,
        example=_example(api, definition, groups),
        code=definition.code,
        **common,
    )
    info = {
        "name": definition.name,
        "display_name": display,
        "category": definition.category,
        "spec_source": definition.source_spec or "own",
        "spec_title": api.title,
        "spec_version": api.version,
        "operations": len(api.operations),
        "notes": definition.notes,
    }
    files["operations.py"] = env.get_template("operations.py.jinja").render(
        operations=[_operation_info(op, definition.spec.parent) for op in api.operations],
        info=info,
        **common,
    )
    files["__init__.py"] = env.get_template("package_init.py.jinja").render(**common)
    files["py.typed"] = ""
    if definition.code is not None:
        files[definition.code.module.name] = definition.code.module.read_text(encoding="utf-8")
    return files


def _example(api: Api, definition: ConnectorDefinition, groups: list[GroupView]) -> str:
    """A one-line usage example for the connector's docstring."""
    credentials = credential_views(definition)
    args = [f'{c.name}="..."' for c in credentials[:1]]
    args += [f'{name}="..."' for name, _ in definition.url_variables]
    name = definition.name
    call = ""
    for op in api.operations:
        if not any(p.required for p in op.parameters) and op.body is None:
            call = f"{name}.{op.group}.{op.method_name}()"
            break
    lines = [f"{name} = {definition.class_prefix}Connector({', '.join(args)})"]
    if call:
        lines.append(f"result = await {call}")
    return "\n".join(lines)


def _portable(problem: object, spec_dir: Path) -> str:
    """A problem's text with the spec's folder left out of file paths, so that generated
    code does not depend on where the project was checked out."""
    folder = str(spec_dir.resolve())
    return str(problem).replace(folder + "/", "").replace(folder, ".")


def _operation_info(op: Operation, spec_dir: Path) -> dict[str, Any]:
    body = op.body
    return {
        "name": f"{op.group}.{op.method_name}",
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
        "response_content_type": op.result.content_type,
        "response_type": _info_type(op),
        "paged": op.paging is not None,
        "deprecated": op.deprecated,
        "typed": op.typed,
        "degraded": tuple(_portable(p, spec_dir) for p in op.degraded),
        "untyped": tuple(_portable(p, spec_dir) for p in op.untyped),
    }


def _info_type(op: Operation) -> str:
    if op.paging is not None:
        return f"AsyncPager[{annotation(op.paging.item)}]"
    result = op.result
    if result.kind == "json":
        return annotation(result.type)
    return {"text": "str", "bytes": "bytes", "empty": "None"}.get(result.kind, "Any")


def connector_types(names: Iterable[str]) -> str:
    """core/_connector_types.py for the connectors `names` (the demo included)."""
    env = environment()
    members = sorted({*names, "demo"})
    return env.get_template("connector_types.py.jinja").render(
        members=[(n.upper(), n) for n in members]
    )


__all__ = ["connector_types", "environment", "render"]


def _unused(value: Mapping[str, Any], t: TypeExpr) -> None:  # pragma: no cover
    del value, t
