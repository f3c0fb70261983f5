"""The generator's model of an API: frozen attrs classes, decisions already made.

Everything a template needs is decided here (Python names, type annotations, how a JSON
value is decoded), so templates only print. The same model serves the coverage report and,
later, the spec differ.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

# -- types ----------------------------------------------------------------------------


@attrs.frozen
class Prim:
    """A primitive Python type: str, int, float, bool, bytes, None, or Any."""

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
class UnionOf:
    options: tuple[TypeExpr, ...]
    discriminator: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()  # discriminator value -> model name


@attrs.frozen
class Nullable:
    inner: TypeExpr


TypeExpr = Prim | ListOf | DictOf | ModelRef | EnumRef | UnionOf | Nullable

ANY = Prim("Any")
NONE = Prim("None")
BYTES = Prim("bytes")
STR = Prim("str")


def annotation(t: TypeExpr, *, models_prefix: str = "") -> str:
    """The Python annotation of `t`; model and enum names get `models_prefix`."""
    match t:
        case Prim(name):
            return name
        case ListOf(item):
            return f"list[{annotation(item, models_prefix=models_prefix)}]"
        case DictOf(value):
            return f"dict[str, {annotation(value, models_prefix=models_prefix)}]"
        case ModelRef(name):
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


def decoder(t: TypeExpr, value: str, *, models_prefix: str = "") -> str:
    """A Python expression turning the JSON value `value` into `t`."""
    match t:
        case Prim(name):
            return f"_c.to_float({value})" if name == "float" else value
        case ListOf(item):
            inner = decoder(item, "x", models_prefix=models_prefix)
            return f"list({value})" if inner == "x" else f"[{inner} for x in {value}]"
        case DictOf(inner_type):
            inner = decoder(inner_type, "x", models_prefix=models_prefix)
            return (
                f"dict({value})" if inner == "x" else f"{{k: {inner} for k, x in {value}.items()}}"
            )
        case ModelRef(name):
            return f"{models_prefix}{name}.from_dict({value})"
        case EnumRef(name):
            return f"_c.enum_value({models_prefix}{name}, {value})"
        case UnionOf(options, discriminator, mapping):
            choices = ", ".join(_union_choice(o, models_prefix) for o in options)
            if discriminator and mapping:
                table = ", ".join(f"{k!r}: {models_prefix}{v}" for k, v in mapping)
                return (
                    f"_c.decode_discriminated({value}, {discriminator!r}, "
                    f"{{{table}}}, ({choices},))"
                )
            return f"_c.decode_union({value}, ({choices},))"
        case Nullable(inner):
            decoded = decoder(inner, value, models_prefix=models_prefix)
            return decoded if decoded == value else f"None if {value} is None else {decoded}"
    raise AssertionError(t)  # pragma: no cover


def _union_choice(t: TypeExpr, models_prefix: str) -> str:
    """One candidate of a union, as ``_c.Choice`` (a check plus a decoder)."""
    match t:
        case ModelRef(name):
            return f"_c.model_choice({models_prefix}{name})"
        case Prim(name) if name in ("str", "int", "float", "bool", "None"):
            return f"_c.prim_choice({name if name != 'None' else 'type(None)'})"
        case ListOf():
            return (
                f"_c.Choice(_c.is_list, lambda x: {decoder(t, 'x', models_prefix=models_prefix)})"
            )
        case DictOf():
            return (
                f"_c.Choice(_c.is_dict, lambda x: {decoder(t, 'x', models_prefix=models_prefix)})"
            )
        case EnumRef(name, _, base):
            return f"_c.Choice(_c.is_{base}, lambda x: _c.enum_value({models_prefix}{name}, x))"
        case Nullable(inner):
            return _union_choice(inner, models_prefix)
    return "_c.ANY_CHOICE"


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
    """Names of the models and enums `t` mentions."""
    match t:
        case ModelRef(name) | EnumRef(name):
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


# -- schemas --------------------------------------------------------------------------


@attrs.frozen
class Field:
    json_name: str
    name: str
    type: TypeExpr
    required: bool
    read_only: bool = False
    write_only: bool = False
    description: str | None = None


@attrs.frozen
class ModelDef:
    name: str
    module: str
    fields: tuple[Field, ...]
    extra: TypeExpr | None  # type of additional properties' values; None: not allowed
    source: str  # JSON pointer (or target) it came from
    description: str | None = None


@attrs.frozen
class EnumDef:
    name: str
    module: str
    base: str  # str, int or float
    members: tuple[tuple[str, Any], ...]
    source: str


# -- operations -----------------------------------------------------------------------

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
    explode: bool = True
    style: str | None = None


@attrs.frozen
class Body:
    content_type: str
    kind: BodyKind
    type: TypeExpr
    required: bool


@attrs.frozen
class ResponseDef:
    status: str
    content_type: str | None
    kind: ResponseKind
    type: TypeExpr


@attrs.frozen
class Operation:
    operation_id: str
    method_name: str
    http_method: str
    path: str
    summary: str | None
    parameters: tuple[Parameter, ...]
    body: Body | None
    success: ResponseDef
    responses: tuple[ResponseDef, ...]
    deprecated: bool = False
    # one reason per part the generator could not type although the spec describes it
    degraded: tuple[str, ...] = ()
    # one reason per part the spec itself gives no type (kept as parsed JSON)
    untyped: tuple[str, ...] = ()

    @property
    def typed(self) -> bool:
        """Request and success response fully typed."""
        return not self.degraded and not self.untyped


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
    security_schemes: tuple[SecurityScheme, ...]
    schemas_total: int
