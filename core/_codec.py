"""Runtime helpers for generated code: decoding JSON into models, encoding back, paths.

Generated models call these; they are small on purpose. Decoding is tolerant where APIs
drift (unknown enum values are kept as plain values, unknown fields kept in
``additional_properties``) and strict where data would be lost (a missing required field
raises `DecodeError` naming the model and field).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import quote as _quote

import attrs
import httpx

from ._errors import ConnectorError

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


class Unset(enum.Enum):
    """The type of `UNSET`: a field or argument that was not given (distinct from None)."""

    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


class DecodeError(ConnectorError):
    """A response body does not have the shape the spec promised."""


def to_float(value: Any) -> Any:
    """JSON numbers declared as `number` may arrive as ints; keep them as floats."""
    return float(value) if type(value) is int else value


def enum_value(enum_type: type[E], value: Any) -> E | Any:
    """The enum member for `value`, or `value` itself when the API added a new one."""
    try:
        return enum_type(value)
    except ValueError:
        return value


def expect_object(model: str, data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DecodeError(f"{model}: expected a JSON object, got {type(data).__name__}")
    return data


def missing(model: str, error: KeyError) -> DecodeError:
    return DecodeError(f"{model}: missing required field {error.args[0]!r}")


def unknown_fields(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The fields of `data` the model does not declare (kept, never dropped)."""
    return {k: v for k, v in data.items() if k not in known}


# -- unions ---------------------------------------------------------------------------


@attrs.frozen
class Choice:
    """One candidate type of a union: a check on the raw value and its decoder."""

    check: Callable[[Any], int]  # 0: no; higher: a better match
    decode: Callable[[Any], Any]


def is_list(value: Any) -> int:
    return int(isinstance(value, list))


def is_dict(value: Any) -> int:
    return int(isinstance(value, dict))


def is_str(value: Any) -> int:
    return int(isinstance(value, str))


def is_int(value: Any) -> int:
    return int(isinstance(value, int) and not isinstance(value, bool))


def is_float(value: Any) -> int:
    return int(isinstance(value, int | float) and not isinstance(value, bool))


def prim_choice(kind: type) -> Choice:
    if kind is bool:
        return Choice(lambda v: int(isinstance(v, bool)), lambda v: v)
    if kind is int:
        return Choice(is_int, lambda v: v)
    if kind is float:
        return Choice(is_float, to_float)
    return Choice(lambda v: int(isinstance(v, kind)), lambda v: v)


def model_choice(model: Any) -> Choice:
    """A model candidate: matches objects that have its required fields; more known
    fields make a better match."""
    required: frozenset[str] = getattr(model, "REQUIRED_FIELDS", frozenset())
    known: frozenset[str] = getattr(model, "KNOWN_FIELDS", frozenset())

    def check(value: Any) -> int:
        if not isinstance(value, dict) or not required <= value.keys():
            return 0
        return 1 + len(known & value.keys())

    return Choice(check, model.from_dict)


ANY_CHOICE: Final = Choice(lambda v: 1, lambda v: v)


def _typed_depth(value: Any) -> int:
    """How many models a decoded value holds: a deeper match decodes more of the data."""
    if attrs.has(type(value)):
        return 1 + sum(_typed_depth(getattr(value, f.name)) for f in attrs.fields(type(value)))
    if isinstance(value, list):
        return sum(_typed_depth(v) for v in value)
    if isinstance(value, dict):
        return sum(_typed_depth(v) for v in value.values())
    return 0


def decode_union(value: Any, choices: Sequence[Choice]) -> Any:
    """Decode `value` as the best-matching candidate; the raw value if none matches.

    Candidates are ranked on the top-level keys; when several tie, each is decoded and the
    one that turns more of the nested data into models wins (two shapes often differ only
    below the top level).
    """
    scored = [(choice.check(value), index, choice) for index, choice in enumerate(choices)]
    best_score = max((score for score, _, _ in scored), default=0)
    if best_score == 0:
        return value
    tied = [choice for score, _, choice in scored if score == best_score]
    decoded: list[tuple[int, int, Any]] = []
    for order, choice in enumerate(tied):
        try:
            result = choice.decode(value)
        except DecodeError:
            continue
        if len(tied) == 1:
            return result
        decoded.append((_typed_depth(result), -order, result))
    if not decoded:
        return value
    return max(decoded, key=lambda item: (item[0], item[1]))[2]


def decode_discriminated(
    value: Any, prop: str, mapping: Mapping[str, Any], choices: Sequence[Choice]
) -> Any:
    """A oneOf with a discriminator: the mapped model, else the best match."""
    if isinstance(value, dict):
        model = mapping.get(str(value.get(prop)))
        if model is not None:
            return model.from_dict(value)
    return decode_union(value, choices)


# -- encoding -------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A model, enum, list or dict as JSON-ready data; UNSET fields are left out."""
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and attrs.has(type(value)):
        return to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items() if v is not UNSET}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def encode_fields(
    obj: Any, fields: Sequence[tuple[str, str]], additional: Mapping[str, Any]
) -> dict[str, Any]:
    """`obj`'s attributes under their JSON names, skipping UNSET, plus the extra fields."""
    out: dict[str, Any] = {k: encode(v) for k, v in additional.items()}
    for attribute, json_name in fields:
        value = getattr(obj, attribute)
        if value is not UNSET:
            out[json_name] = encode(value)
    return out


# -- requests -------------------------------------------------------------------------


def path_segment(value: Any) -> str:
    """A path parameter, percent-encoded: a '/' stays inside its segment, and '.' or '..'
    (which URL normalisation would remove) are sent as %2E."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = str(value)
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return _quote(text, safe="")


class _Exploded(dict[str, Any]):
    """An object parameter sent as one query parameter per property (form, exploded)."""


class _DeepObject(dict[str, Any]):
    """An object parameter sent as ``name[key]=value`` pairs (deepObject)."""


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """``prefix[key][sub]=value`` pairs (deepObject and Rails-style form encoding)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}[{key}]", item, out)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _flatten(f"{prefix}[{index}]", item, out)
    else:
        out[prefix] = _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value


def query_value(value: Any, *, explode: bool = True, style: str | None = None) -> Any:
    """A query parameter as httpx takes it: enums as values, arrays joined unless exploded,
    objects expanded as their style says (``deepObject``: ``name[key]=value``; ``form``
    exploded: one parameter per property; not exploded: ``key,value,...``)."""
    if value is UNSET or value is None:
        return None
    if attrs.has(type(value)):
        value = encode(value)
    if isinstance(value, Mapping):
        if style == "deepObject":
            pairs = _DeepObject()
            _flatten("", value, pairs)
            return pairs
        if explode:
            return _Exploded({k: _scalar(v) for k, v in value.items()})
        return ",".join(f"{k},{_scalar(v)}" for k, v in value.items())
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        items = [query_value(v) for v in value]
        return items if explode else ",".join(str(v) for v in items)
    return value


def query(params: Mapping[str, Any]) -> dict[str, Any]:
    """The query of a request: unset arguments left out, expanded objects spread out."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is UNSET or value is None:
            continue
        if isinstance(value, _DeepObject):
            out.update({f"{name}{key}": item for key, item in value.items()})
        elif isinstance(value, _Exploded):
            out.update(value)
        else:
            out[name] = value
    return out


def form(body: Any) -> dict[str, Any]:
    """A form body (application/x-www-form-urlencoded): nested objects and arrays of
    objects in bracket notation (``metadata[order]=42``, ``items[0][price]=p``), arrays of
    scalars as repeated fields."""
    data = encode(body)
    if not isinstance(data, Mapping):
        raise TypeError(f"a form body must be an object, got {type(data).__name__}")
    out: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, list | tuple) and not any(
            isinstance(v, Mapping | list | tuple) for v in value
        ):
            out[name] = [_scalar(v) for v in value]
        else:
            _flatten(name, value, out)
    return out


def headers(values: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is UNSET or value is None:
            continue
        out[key] = str(query_value(value))
    return out


def json_body(response: httpx.Response) -> Any:
    """The parsed JSON body; None when empty; the text when it is not JSON after all."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def multipart_kwargs(body: Any) -> dict[str, Any]:
    """httpx keyword arguments (``data``, ``files``) for a multipart body."""
    if body is UNSET or not isinstance(body, Mapping):
        return {}
    data, files = multipart(body)
    return {"data": data, "files": files or None}


def multipart(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a multipart body into form fields and files (bytes or file-like values)."""
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for key, value in body.items():
        if value is UNSET:
            continue
        if isinstance(value, bytes | bytearray) or hasattr(value, "read"):
            files[key] = value
        else:
            data[key] = encode(value)
    return data, files
