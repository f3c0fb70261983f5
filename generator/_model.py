"""The generator's model of an API: frozen attrs classes, decisions already made.

Everything a template needs is decided here or in the parser (Python names, type
annotations, pagination), so templates only print. The same model serves the coverage
report and the Python-API differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from ._webhooks import WebhookEvents

# -- problems ---------------------------------------------------------------------------


@attrs.frozen
class Problem:
    """Something the generator could not represent faithfully, where and why."""

    pointer: str  # JSON pointer into the spec
    message: str

    def __str__(self) -> str:
        return f"{self.message} (at {self.pointer})" if self.pointer else self.message


# -- types ------------------------------------------------------------------------------


@attrs.frozen
class Prim:
    """A Python type written by name: str, int, float, bool, None, Any, bytes,
    dt.datetime, dt.date, FileTypes."""

    name: str


@attrs.frozen
class ListOf:
    item: TypeExpr


@attrs.frozen
class DictOf:
    value: TypeExpr


@attrs.frozen
class ModelRef:
    name: str
    module: str


@attrs.frozen
class EnumRef:
    name: str
    module: str
    base: str  # str, int or float: the type an unknown value keeps


@attrs.frozen
class AliasRef:
    """A named union (a discriminated oneOf): ``m.Pet``."""

    name: str
    module: str


@attrs.frozen
class UnionOf:
    options: tuple[TypeExpr, ...]


@attrs.frozen
class Nullable:
    inner: TypeExpr


TypeExpr = Prim | ListOf | DictOf | ModelRef | EnumRef | AliasRef | UnionOf | Nullable

ANY = Prim("Any")
NONE = Prim("None")
BYTES = Prim("bytes")
STR = Prim("str")
DATETIME = Prim("dt.datetime")
DATE = Prim("dt.date")
FILE = Prim("FileTypes")


def annotation(t: TypeExpr, *, models_prefix: str = "") -> str:
    """The Python annotation of `t`; model and enum names get `models_prefix`."""
    match t:
        case Prim(name):
            return name
        case ListOf(item):
            return f"list[{annotation(item, models_prefix=models_prefix)}]"
        case DictOf(value):
            return f"dict[str, {annotation(value, models_prefix=models_prefix)}]"
        case ModelRef(name) | AliasRef(name):
            return f"{models_prefix}{name}"
        case EnumRef(name, _, base):
            return f"{models_prefix}{name} | {base}"
        case UnionOf(options):
            parts: list[str] = []
            for option in options:
                for part in split_top(annotation(option, models_prefix=models_prefix)):
                    if part not in parts:
                        parts.append(part)
            return union_text(parts)
        case Nullable(inner):
            text = annotation(inner, models_prefix=models_prefix)
            return text if text == "Any" or text.endswith("None") else f"{text} | None"
    raise AssertionError(t)  # pragma: no cover


def union_text(parts: list[str]) -> str:
    """Join annotation parts, Any absorbing the rest and None last (as ruff prefers)."""
    if "Any" in parts:
        return "Any"
    ordered = [p for p in parts if p != "None"] + (["None"] if "None" in parts else [])
    return " | ".join(ordered)


def split_top(text: str) -> list[str]:
    """The members of a union annotation, not splitting inside brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


def with_unset(text: str) -> str:
    """`text` | Unset, keeping None last."""
    return union_text([*split_top(text), "Unset"]) if text != "Any" else "Any | Unset"


def is_untyped(t: TypeExpr) -> bool:
    """True when `t` (or a part of it that carries data) fell back to Any."""
    match t:
        case Prim(name):
            return name == "Any"
        case ListOf(item):
            return is_untyped(item)
        case DictOf():
            return False  # a free-form object is typed as what the spec says it is
        case UnionOf(options):
            return any(is_untyped(o) for o in options)
        case Nullable(inner):
            return is_untyped(inner)
    return False


def model_names(t: TypeExpr) -> set[str]:
    """Names of the models, enums and aliases `t` mentions."""
    match t:
        case ModelRef(name) | EnumRef(name) | AliasRef(name):
            return {name}
        case ListOf(item):
            return model_names(item)
        case DictOf(value):
            return model_names(value)
        case UnionOf(options):
            return set().union(*(model_names(o) for o in options)) if options else set()
        case Nullable(inner):
            return model_names(inner)
    return set()


def mentions(t: TypeExpr, name: str) -> bool:
    match t:
        case Prim(prim):
            return prim == name
        case ListOf(item):
            return mentions(item, name)
        case DictOf(value):
            return mentions(value, name)
        case UnionOf(options):
            return any(mentions(o, name) for o in options)
        case Nullable(inner):
            return mentions(inner, name)
    return False


def list_item(t: TypeExpr) -> TypeExpr | None:
    """The item type when `t` is a list (possibly nullable), else None."""
    match t:
        case ListOf(item):
            return item
        case Nullable(ListOf(item)):
            return item
    return None


# -- schemas ----------------------------------------------------------------------------


@attrs.frozen
class Field:
    json_name: str
    name: str
    type: TypeExpr
    required: bool  # required to build the model and in every response
    deprecated: bool = False


@attrs.frozen
class ModelDef:
    name: str
    module: str
    fields: tuple[Field, ...]
    extra: TypeExpr | None  # type of additional properties' values; None: not allowed
    source: str  # JSON pointer (or target) it came from


@attrs.frozen
class EnumDef:
    name: str
    module: str
    base: str  # str, int or float
    members: tuple[tuple[str, Any], ...]
    source: str


@attrs.frozen
class AliasDef:
    """A discriminated union with a name of its own."""

    name: str
    module: str
    options: tuple[TypeExpr, ...]
    discriminator: str
    mapping: tuple[tuple[str, str], ...]  # discriminator value -> model name
    source: str


# -- operations -------------------------------------------------------------------------

Location = Literal["path", "query", "header", "cookie"]
BodyKind = Literal["json", "form", "multipart", "bytes", "text"]
ResponseKind = Literal["json", "text", "bytes", "empty"]


@attrs.frozen
class Parameter:
    name: str  # as the API spells it
    py_name: str
    location: Location
    required: bool
    type: TypeExpr
    style: str | None = None  # None: the location's default style
    explode: bool | None = None  # None: the style's default
    deprecated: bool = False
    reserved: bool = False  # a path parameter whose value is a path, sent with its slashes


@attrs.frozen
class Body:
    content_type: str
    kind: BodyKind
    type: TypeExpr
    required: bool
    encoding: tuple[tuple[str, str, bool], ...] = ()  # (property, style, explode)


@attrs.frozen
class ResponseDef:
    status: str
    content_type: str | None
    kind: ResponseKind
    type: TypeExpr


@attrs.frozen
class Paging:
    """How a list operation pages, as connector.yaml says."""

    expression: str  # the paginator as Python source
    style: str
    items_path: str | None
    item: TypeExpr


@attrs.frozen
class Operation:
    operation_id: str
    group: str
    method_name: str
    http_method: str
    path: str
    summary: str | None
    parameters: tuple[Parameter, ...]
    body: Body | None
    success: tuple[ResponseDef, ...]  # every 2xx (or the fallback the parser chose)
    responses: tuple[ResponseDef, ...]
    deprecated: bool = False
    paging: Paging | None = None
    # parts the generator could not type although the spec describes them
    degraded: tuple[Problem, ...] = ()
    # parts the spec itself gives no type (kept as parsed JSON)
    untyped: tuple[Problem, ...] = ()

    @property
    def typed(self) -> bool:
        """Request and success response fully typed."""
        return not self.degraded and not self.untyped

    @property
    def result(self) -> ResponseDef:
        """The first success response: the one that decides the result's kind."""
        return self.success[0]


@attrs.frozen
class SecurityScheme:
    name: str
    type: str
    scheme: str | None = None
    location: str | None = None
    param_name: str | None = None
    token_url: str | None = None
    authorization_url: str | None = None


@attrs.frozen
class Api:
    title: str
    version: str
    openapi: str
    servers: tuple[str, ...]
    operations: tuple[Operation, ...]
    models: tuple[ModelDef, ...]
    enums: tuple[EnumDef, ...]
    aliases: tuple[AliasDef, ...]
    security_schemes: tuple[SecurityScheme, ...]
    schemas_total: int
    webhook_events: WebhookEvents | None = None  # what webhook deliveries decode into
