"""Models of generated connectors, and how JSON becomes models and models become JSON.

A generated model is an attrs class that states each field once::

    @model
    class SimpleUser(Model):
        login: str
        id: int
        name: str | None | Unset = UNSET
        from_: str | Unset = field("from", default=UNSET)   # JSON name differs

Everything else is derived from that declaration the first time the class is decoded:
the known and required fields, and a decoder compiled for the class (Python source made
from the fields and their types, run through ``exec``, as attrs does for ``__init__``).

Decoding policy: nothing the vendor sent is lost. A response that deviates from its
schema (a missing required field, a wrong scalar type, ``null`` where the field is not
nullable, an unknown enum value, an object where a list was declared or the reverse, an
unparseable date, a field a closed schema does not allow) still decodes: the value is kept
as sent, unknown fields go to ``additional_properties``, and each deviation is recorded
with its JSON path (see `deviations`). ``strict=True`` raises `DecodeError` at the first
deviation instead. A decoder never changes the shape of a value it was not built for.

The lenient decoder is written here rather than taken from cattrs or msgspec: both raise
(or drop the value) where the policy above keeps it and records a deviation, msgspec drops
unknown fields, and neither records where data deviated. msgspec does decode data that
matches its schema exactly, the common case, against mirrors of the models
(``connectory.core._fastpath``); whatever it refuses comes here.
"""

from __future__ import annotations

import datetime as _dt
import enum
import itertools
import logging
import threading
import types
import typing
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeVar, dataclass_transform, overload

import attrs

from ._errors import DecodeError

__all__ = [
    "UNSET",
    "DecodeError",
    "Deviation",
    "Discriminator",
    "Model",
    "Unset",
    "decode",
    "deviations",
    "encode",
    "field",
    "model",
]

T = TypeVar("T")
M = TypeVar("M", bound="Model")

_log = logging.getLogger("connectory.decode")


class Unset(enum.Enum):
    """The type of `UNSET`: a field or argument that was not given (distinct from None)."""

    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET

_MISSING: Final = object()  # a key absent from a JSON object (UNSET is a field's default)


def field(json: str, *, default: Any = attrs.NOTHING) -> Any:
    """A field whose JSON name is not its Python name (``from_`` for ``"from"``)."""
    return attrs.field(default=default, metadata={"json": json})


@dataclass_transform(kw_only_default=True, field_specifiers=(attrs.field, field))
def model(cls: type[T]) -> type[T]:
    """Make `cls` a model: a slotted attrs class with keyword-only fields."""
    return attrs.define(kw_only=True, repr=False)(cls)


@attrs.define(kw_only=True, repr=False)
class Model:
    """Base of every generated model.

    ``additional_properties`` holds the fields the schema does not declare, so a model
    carries everything the vendor sent; `to_dict` gives it all back.
    """

    additional_properties: dict[str, Any] = attrs.field(factory=dict)

    # A schema with ``additionalProperties: false``: an unknown field is a deviation.
    __connectory_closed__: typing.ClassVar[bool] = False

    @classmethod
    def from_dict(cls: type[M], data: Any, *, strict: bool = False) -> M:
        """Decode `data` (parsed JSON) into this model; see the module's decoding policy."""
        result = decode(cls, data, strict=strict)
        if not isinstance(result, cls):
            # Lenient decoding kept a value that is not an object: for a model's own
            # constructor there is nothing to return but an error.
            raise DecodeError(f"{cls.__name__}: expected a JSON object, got {_kind(data)}")
        return result

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this model stands for: unset fields left out, extras kept."""
        return _encoder(type(self))(self)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        parts = [
            f"{f.name}={getattr(self, f.name, UNSET)!r}"
            for f in attrs.fields(type(self))
            if f.name != "additional_properties" and getattr(self, f.name, UNSET) is not UNSET
        ]
        if self.additional_properties:
            parts.append(f"additional_properties={self.additional_properties!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _pairs(value: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple(dict(value).items())


@attrs.frozen
class Discriminator:
    """Marks a union whose branch is chosen by a property: ``Annotated[A | B,
    Discriminator("type", {"a": A, "b": B})]``. Mapping values may be classes or class
    names (resolved among the union's members)."""

    property: str
    mapping: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=_pairs)


@attrs.frozen
class Deviation:
    """One place where a response differs from its schema, and what was kept there."""

    path: str  # JSON path from the body's root: $.items[3].owner.login
    kind: str  # missing | null | type | enum | format | unknown_field
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# -- deviations kept beside the objects they concern ----------------------------------
# Models compare by value (unhashable), so the side table is keyed by id() and emptied by
# a weakref callback when the model goes away. Only objects that deviated are entered.

_DEVIATIONS: dict[int, tuple[weakref.ref[Any], tuple[Deviation, ...]]] = {}
_DEVIATIONS_LOCK = threading.Lock()


def _attach(obj: Any, found: Sequence[Deviation]) -> None:
    key = id(obj)

    def forget(_: object, key: int = key) -> None:
        with _DEVIATIONS_LOCK:
            _DEVIATIONS.pop(key, None)

    try:
        ref = weakref.ref(obj, forget)
    except TypeError:  # not weak-referenceable (a list): the caller keeps the tuple
        return
    with _DEVIATIONS_LOCK:
        previous = _DEVIATIONS.get(key)
        kept = previous[1] if previous is not None and previous[0]() is obj else ()
        _DEVIATIONS[key] = (ref, (*kept, *found))


def deviations(obj: Any) -> tuple[Deviation, ...]:
    """The deviations recorded when `obj` (a decoded model) and the models inside it were
    decoded; empty when the data matched its schema."""
    found: list[Deviation] = []
    seen: set[int] = set()

    def walk(value: Any) -> None:
        if id(value) in seen:
            return
        if isinstance(value, Model):
            seen.add(id(value))
            entry = _DEVIATIONS.get(id(value))
            if entry is not None and entry[0]() is value:
                found.extend(entry[1])
            for f in attrs.fields(type(value)):
                walk(getattr(value, f.name, None))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(obj)
    return tuple(dict.fromkeys(found))


# -- paths ------------------------------------------------------------------------------

Path = tuple[Any, Any] | None  # (parent path, key): built only as deep as the data goes


def render_path(path: Path) -> str:
    keys: list[Any] = []
    while path is not None:
        path, key = path
        keys.append(key)
    text = "$"
    for key in reversed(keys):
        text += f"[{key}]" if isinstance(key, int) else f".{key}"
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class _Context:
    """One decoding run: strict or lenient, and the deviations found so far."""

    __slots__ = ("deviations", "strict")

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.deviations: list[Deviation] = []

    def deviate(self, value: Any, path: Path, kind: str, message: str) -> Any:
        """Record a deviation and keep `value` (or raise, when strict)."""
        where = render_path(path)
        if self.strict:
            raise DecodeError(f"{where}: {message}", path=where)
        self.deviations.append(Deviation(where, kind, message))
        return value

    def mismatch(self, value: Any, path: Path, expected: str) -> Any:
        if value is None:
            return self.deviate(None, path, "null", f"null where {expected} was declared")
        return self.deviate(value, path, "type", f"expected {expected}, got {_kind(value)}")


Decoder = Callable[[Any, Path, _Context], Any]


# -- decoders by type ---------------------------------------------------------------------

_DECODERS: dict[Any, Decoder] = {}
_ENCODERS: dict[type, Callable[[Any], Any]] = {}
_COMPILE_LOCK = threading.RLock()


def _any(value: Any, path: Path, ctx: _Context) -> Any:
    return value


def _str(value: Any, path: Path, ctx: _Context) -> Any:
    return value if value.__class__ is str else ctx.mismatch(value, path, "a string")


def _bool(value: Any, path: Path, ctx: _Context) -> Any:
    return value if value.__class__ is bool else ctx.mismatch(value, path, "a boolean")


def _int(value: Any, path: Path, ctx: _Context) -> Any:
    if value.__class__ is int:
        return value
    if value.__class__ is float and value.is_integer():
        return int(value)  # 1.0 is an integer in JSON Schema
    return ctx.mismatch(value, path, "an integer")


def _float(value: Any, path: Path, ctx: _Context) -> Any:
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    return ctx.mismatch(value, path, "a number")


def _none(value: Any, path: Path, ctx: _Context) -> Any:
    return None if value is None else ctx.mismatch(value, path, "null")


def _datetime(value: Any, path: Path, ctx: _Context) -> Any:
    if value.__class__ is str:
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            return ctx.deviate(value, path, "format", f"not a date-time: {value[:40]!r}")
    return ctx.mismatch(value, path, "a date-time string")


def _date(value: Any, path: Path, ctx: _Context) -> Any:
    if value.__class__ is str:
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return ctx.deviate(value, path, "format", f"not a date: {value[:40]!r}")
    return ctx.mismatch(value, path, "a date string")


_SIMPLE: dict[Any, Decoder] = {
    Any: _any,
    object: _any,
    str: _str,
    bool: _bool,
    int: _int,
    float: _float,
    type(None): _none,
    _dt.datetime: _datetime,
    _dt.date: _date,
}

# The inline fast-path test of a field of this type (anything else goes to its decoder).
_INLINE_CHECK: dict[Any, str] = {
    str: "x.__class__ is str",
    bool: "x.__class__ is bool",
    int: "x.__class__ is int",
    float: "x.__class__ is float",
}


def _enum_decoder(enum_type: type[enum.Enum]) -> Decoder:
    members = enum_type._value2member_map_
    name = enum_type.__name__

    def decode_enum(value: Any, path: Path, ctx: _Context) -> Any:
        try:
            member = members.get(value)
        except TypeError:  # unhashable: an object or a list
            member = None
        if member is not None:
            return member
        if value is None or isinstance(value, dict | list):
            return ctx.mismatch(value, path, f"a {name} value")
        return ctx.deviate(value, path, "enum", f"{value!r} is not a known {name} value")

    return decode_enum


def _list_decoder(item: Any) -> Decoder:
    decode_item = decoder_for(item)
    check = _INLINE_CHECK.get(item)
    if decode_item is _any:

        def decode_any_list(value: Any, path: Path, ctx: _Context) -> Any:
            if value.__class__ is list:
                return value
            return ctx.mismatch(value, path, "an array")

        return decode_any_list
    if check is not None:
        source = (
            "def decode_list(value, path, ctx):\n"
            "    if value.__class__ is not list:\n"
            "        return ctx.mismatch(value, path, 'an array')\n"
            f"    return [x if {check} else item(x, (path, i), ctx)"
            " for i, x in enumerate(value)]\n"
        )
        compiled: Decoder = _compile(source, "decode_list", {"item": decode_item})
        return compiled

    def decode_list(value: Any, path: Path, ctx: _Context) -> Any:
        if value.__class__ is not list:
            return ctx.mismatch(value, path, "an array")
        return [decode_item(x, (path, i), ctx) for i, x in enumerate(value)]

    return decode_list


def _dict_decoder(value_type: Any) -> Decoder:
    decode_value = decoder_for(value_type)

    def decode_dict(value: Any, path: Path, ctx: _Context) -> Any:
        if value.__class__ is not dict:
            return ctx.mismatch(value, path, "an object")
        if decode_value is _any:
            return value
        return {k: decode_value(v, (path, k), ctx) for k, v in value.items()}

    return decode_dict


def _union_members(tp: Any) -> tuple[Any, ...]:
    return tuple(typing.get_args(tp))


_COMPLETE = 1_000_000  # a model score for objects that carry all its required fields


_SCORERS: dict[Any, Callable[[Any], int]] = {}


def _scorer(member: Any) -> Callable[[Any], int]:
    """The (cached) scoring function of a union member: how well a value fits it before
    decoding (0: not at all; higher is better), the member's kind worked out once rather
    than at every value."""
    found = _SCORERS.get(member)
    if found is None:
        found = _SCORERS[member] = _build_scorer(member)
    return found


def _build_scorer(member: Any) -> Callable[[Any], int]:
    origin = typing.get_origin(member) or member
    if origin is typing.Annotated:
        return _scorer(typing.get_args(member)[0])
    if isinstance(origin, type) and issubclass(origin, Model):
        model = origin

        def score_model(value: Any) -> int:
            if value.__class__ is not dict:
                return 0
            spec = _spec(model)
            overlap = len(spec.known & value.keys())
            if spec.required <= value.keys():
                return _COMPLETE + overlap
            # A model whose required fields are not all there still beats raw data when
            # the object shares fields with it: it decodes, the missing fields deviate.
            return overlap

        return score_model
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        values = origin._value2member_map_

        def score_enum(value: Any) -> int:
            try:
                return 2 if value in values else 0
            except TypeError:
                return 0

        return score_enum
    classes: tuple[type, ...] | None = {
        list: (list,),
        dict: (dict,),
        bool: (bool,),
        int: (int,),
        float: (int, float),
        str: (str,),
        _dt.datetime: (str,),
        _dt.date: (str,),
    }.get(origin)
    if classes is not None:
        return lambda value: 1 if value.__class__ in classes else 0
    if origin is type(None):
        return lambda value: 1 if value is None else 0
    if member is Any or member is object:
        return lambda value: 1
    return lambda value: 0


def _typed_depth(value: Any) -> int:
    """How many models a decoded value holds: a deeper match decodes more of the data."""
    if isinstance(value, Model):
        return 1 + sum(_typed_depth(getattr(value, f.name)) for f in attrs.fields(type(value)))
    if isinstance(value, list):
        return sum(_typed_depth(v) for v in value)
    if isinstance(value, dict):
        return sum(_typed_depth(v) for v in value.values())
    return 0


def _union_decoder(members: tuple[Any, ...], discriminator: Discriminator | None) -> Decoder:
    members = tuple(m for m in members if m is not Unset)
    if len(members) == 1:
        return decoder_for(members[0])
    non_null = tuple(m for m in members if m is not type(None))
    if len(non_null) == 1 and discriminator is None:
        inner = decoder_for(non_null[0])

        def decode_nullable(value: Any, path: Path, ctx: _Context) -> Any:
            return None if value is None else inner(value, path, ctx)

        return decode_nullable
    plain = _enum_or_plain(non_null) if discriminator is None else None
    if plain is not None:
        if len(non_null) == len(members):
            return plain

        def decode_nullable_enum(value: Any, path: Path, ctx: _Context) -> Any:
            return None if value is None else plain(value, path, ctx)

        return decode_nullable_enum
    decoders = [(m, decoder_for(m)) for m in members]
    scorers = [_scorer(m) for m in members]
    by_name = {getattr(m, "__name__", None): m for m in members}
    mapping: dict[str, Any] = {}
    if discriminator is not None:
        for key, target in discriminator.mapping:
            resolved = by_name.get(target) if isinstance(target, str) else target
            if resolved is not None:
                mapping[str(key)] = decoder_for(resolved)
    expected = " or ".join(_describe(m) for m in members)
    direct = _direct_dispatch(members, decoders) if not mapping else {}

    def decode_union(value: Any, path: Path, ctx: _Context) -> Any:
        only = direct.get(value.__class__)
        if only is not None:
            return only(value, path, ctx)
        if mapping and value.__class__ is dict:
            chosen = mapping.get(str(value.get(discriminator.property)))  # type: ignore[union-attr]
            if chosen is not None:
                return chosen(value, path, ctx)
        scored = [(score(value), i) for i, score in enumerate(scorers)]
        best = max(score for score, _ in scored)
        if best == 0:
            return ctx.mismatch(value, path, expected)
        tied = [decoders[i][1] for score, i in scored if score == best]
        if len(tied) == 1:
            return tied[0](value, path, ctx)
        # Several shapes fit the top level: decode each quietly and keep the one that
        # turns most of the data into models without deviating.
        results: list[tuple[int, int, int, Any, list[Deviation]]] = []
        for order, candidate in enumerate(tied):
            trial = _Context(strict=False)
            result = candidate(value, path, trial)
            results.append(
                (-len(trial.deviations), _typed_depth(result), -order, result, trial.deviations)
            )
        best_result = max(results, key=lambda r: r[:3])
        found = best_result[4]
        if found and ctx.strict:
            raise DecodeError(f"{found[0].path}: {found[0].message}", path=found[0].path)
        ctx.deviations.extend(found)
        return best_result[3]

    return decode_union


# What a union member accepts by the class of the value alone (its score never depends on
# the value itself); models and enums look inside, so they are not here.
_ACCEPTS_BY_CLASS: dict[Any, tuple[type, ...]] = {
    list: (list,),
    dict: (dict,),
    bool: (bool,),
    int: (int,),
    float: (int, float),
    str: (str,),
    _dt.datetime: (str,),
    _dt.date: (str,),
    type(None): (type(None),),
}
_JSON_CLASSES = (type(None), bool, int, float, str, list, dict)


def _direct_dispatch(
    members: tuple[Any, ...], decoders: list[tuple[Any, Decoder]]
) -> dict[type, Decoder]:
    """For each JSON class that exactly one member of a union can take, that member's
    decoder, when the member decides by class alone: what the scoring would choose,
    without scoring (``str | Card | None`` with null or a string, Stripe's expandables)."""
    direct: dict[type, Decoder] = {}
    takes = [_classes_taken(member) for member in members]
    for cls in _JSON_CLASSES:
        candidates = [index for index, classes in enumerate(takes) if cls in classes]
        if len(candidates) != 1:
            continue
        member = members[candidates[0]]
        origin = typing.get_origin(member) or member
        if origin in _ACCEPTS_BY_CLASS:
            direct[cls] = decoders[candidates[0]][1]
    return direct


def _classes_taken(member: Any) -> frozenset[type]:
    """Every JSON class a union member can score above 0 for (`_build_scorer`)."""
    origin = typing.get_origin(member) or member
    if origin is typing.Annotated:
        return _classes_taken(typing.get_args(member)[0])
    if member is Any or member is object:
        return frozenset(_JSON_CLASSES)
    if isinstance(origin, type) and issubclass(origin, Model):
        return frozenset({dict})
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        kinds = {type(v) for v in origin._value2member_map_}
        if kinds & {int, float}:
            kinds |= {int, float, bool}  # 1 == 1.0 == True as keys
        return frozenset(kinds)
    return frozenset(_ACCEPTS_BY_CLASS.get(origin, ()))


def _enum_or_plain(members: tuple[Any, ...]) -> Decoder | None:
    """The decoder of ``SomeEnum | str`` (how generated code types an enum field, so that a
    value the API adds later is kept as its plain value), or None for any other union.
    It decides as the general union decoder would (a member wins over the plain value,
    a plain value of another kind is a mismatch), without scoring every member."""
    if len(members) != 2:
        return None
    enums = [m for m in members if isinstance(m, type) and issubclass(m, enum.Enum)]
    if len(enums) != 1:
        return None
    (enum_type,) = enums
    (plain_type,) = [m for m in members if m is not enum_type]
    if plain_type not in (str, int, float):
        return None
    values = enum_type._value2member_map_
    decode_plain = decoder_for(plain_type)
    accepted = (int, float) if plain_type is float else (plain_type,)
    expected = f"{enum_type.__name__} or {plain_type.__name__}"

    def decode_enum_or_plain(value: Any, path: Path, ctx: _Context) -> Any:
        try:
            member = values.get(value)
        except TypeError:  # unhashable: an object or a list
            member = None
        if member is not None:
            return member
        if value.__class__ in accepted:
            return decode_plain(value, path, ctx)
        return ctx.mismatch(value, path, expected)

    return decode_enum_or_plain


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return "an array"
    if origin is dict:
        return "an object"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def decoder_for(tp: Any) -> Decoder:
    """The (cached) decoder of a type annotation."""
    found = _DECODERS.get(tp)
    if found is not None:
        return found
    with _COMPILE_LOCK:
        found = _DECODERS.get(tp)
        if found is None:
            found = _build_decoder(tp)
            _DECODERS[tp] = found
        return found


def _build_decoder(tp: Any) -> Decoder:
    simple = _SIMPLE.get(tp)
    if simple is not None:
        return simple
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        inner, *extras = typing.get_args(tp)
        discriminator = next((e for e in extras if isinstance(e, Discriminator)), None)
        if discriminator is not None:
            members = _union_members(inner) or (inner,)
            return _union_decoder(members, discriminator)
        return decoder_for(inner)
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(_union_members(tp), None)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return _list_decoder(item)
    if origin is dict:
        args = typing.get_args(tp)
        return _dict_decoder(args[1] if len(args) == 2 else Any)
    if tp is list:
        return _list_decoder(Any)
    if tp is dict:
        return _dict_decoder(Any)
    if isinstance(tp, type) and issubclass(tp, Model):
        return _model_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_decoder(tp)
    if tp is Unset:
        return _any
    raise TypeError(f"connectory cannot decode values of type {tp!r}")


# -- models -------------------------------------------------------------------------------


@attrs.frozen
class _FieldSpec:
    name: str
    json: str
    type: Any
    required: bool
    optional: bool  # defaults to UNSET when absent
    default: Any


@attrs.frozen
class _ModelSpec:
    fields: tuple[_FieldSpec, ...]
    known: frozenset[str]
    required: frozenset[str]
    extra: Any  # type of additional_properties' values


_SPECS: dict[type, _ModelSpec] = {}


def _spec(cls: type[Model]) -> _ModelSpec:
    found = _SPECS.get(cls)
    if found is not None:
        return found
    hints = typing.get_type_hints(cls, include_extras=True)
    specs: list[_FieldSpec] = []
    for f in attrs.fields(cls):
        if f.name == "additional_properties":
            continue
        json_name = f.metadata.get("json", f.name)
        specs.append(
            _FieldSpec(
                name=f.name,
                json=json_name,
                type=hints[f.name],
                required=f.default is attrs.NOTHING,
                optional=f.default is UNSET,
                default=f.default,
            )
        )
    extra_type = hints.get("additional_properties", dict[str, Any])
    extra_args = typing.get_args(extra_type)
    found = _ModelSpec(
        fields=tuple(specs),
        known=frozenset(s.json for s in specs),
        required=frozenset(s.json for s in specs if s.required),
        extra=extra_args[1] if len(extra_args) == 2 else Any,
    )
    _SPECS[cls] = found
    return found


def _without_unset(tp: Any) -> Any:
    """The type of a field's value when it is present (``X | Unset`` -> ``X``)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = tuple(m for m in typing.get_args(tp) if m is not Unset)
        if len(members) == 1:
            return members[0]
        return typing.Union[members]  # noqa: UP007 - built from a runtime tuple
    return tp


_counter = itertools.count()


def _compile(source: str, name: str, namespace: dict[str, Any]) -> Any:
    filename = f"<connectory decoder {next(_counter)}>"
    code = compile(source, filename, "exec")
    exec(code, namespace)  # noqa: S102 - our own generated source, as attrs does
    return namespace[name]


def _model_decoder(cls: type[Model]) -> Decoder:
    # A recursive model reaches itself while its decoder is being compiled: that inner
    # use goes through this trampoline, which finds the finished decoder at call time.
    def trampoline(value: Any, path: Path, ctx: _Context) -> Any:
        return _DECODERS[cls](value, path, ctx)

    _DECODERS[cls] = trampoline
    try:
        return _compile_model_decoder(cls)
    except BaseException:
        del _DECODERS[cls]
        raise


def _compile_model_decoder(cls: type[Model]) -> Decoder:
    spec = _spec(cls)
    namespace: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "MISSING": _MISSING,
        "UNSET": UNSET,
        "KNOWN": spec.known,
        "attach": _attach,
        "extras": _extras_decoder(cls, spec),
    }
    lines = [
        "def decode_model(value, path, ctx):",
        "    if value.__class__ is not dict:",
        f"        return ctx.mismatch(value, path, {'a ' + cls.__name__ + ' object'!r})",
        "    before = len(ctx.deviations)",
        "    obj = new(cls)",
        "    get = value.get",
    ]
    for index, f in enumerate(spec.fields):
        present_type = _without_unset(f.type)
        decode_field = decoder_for(present_type)
        namespace[f"d{index}"] = decode_field
        namespace[f"missing{index}"] = _missing_field(cls.__name__, f)
        absent = "UNSET" if f.optional else "MISSING"
        check = "x is not MISSING" if decode_field is _any else _INLINE_CHECK.get(present_type)
        # ``str | None`` and the like: the value and null tested inline too (most fields
        # of vendor objects are nullable scalars), the decoder called for anything else.
        inner = _nullable_inner(present_type)
        if check is None and inner is not None:
            check = _INLINE_CHECK.get(inner)
        if inner is not None:
            namespace[f"d{index}"] = decoder_for(inner)  # null never reaches it
        branches: list[str] = []
        if check is not None:
            branches.append(f"if {check}: obj.{f.name} = x")
        if inner is not None:
            branches.append(f"if x is None: obj.{f.name} = None")
        if f.optional:
            branches.append(f"if x is UNSET: obj.{f.name} = UNSET")
        else:
            branches.append(f"if x is MISSING: obj.{f.name} = missing{index}(path, ctx)")
        lines.append(f"    x = get({f.json!r}, {absent})")
        lines.append(f"    {branches[0]}")
        lines.extend(f"    el{branch}" for branch in branches[1:])
        lines.append(f"    else: obj.{f.name} = d{index}(x, (path, {f.json!r}), ctx)")
    lines += [
        "    if value.keys() <= KNOWN:",
        "        obj.additional_properties = {}",
        "    else:",
        "        obj.additional_properties = extras(value, path, ctx)",
        "    if len(ctx.deviations) != before:",
        "        attach(obj, ctx.deviations[before:])",
        "    return obj",
    ]
    return _compile("\n".join(lines) + "\n", "decode_model", namespace)  # type: ignore[no-any-return]


def _nullable_inner(tp: Any) -> Any:
    """X when `tp` is ``X | None`` (X not itself a union), else None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    members = typing.get_args(tp)
    if len(members) != 2 or type(None) not in members:
        return None
    return members[0] if members[1] is type(None) else members[1]


def _missing_field(model_name: str, f: _FieldSpec) -> Callable[[Path, _Context], Any]:
    """What an absent field becomes: its default, or UNSET and a deviation if required."""

    def missing(path: Path, ctx: _Context) -> Any:
        if not f.required:
            default = f.default
            return default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
        ctx.deviate(None, (path, f.json), "missing", f"{model_name}: required field missing")
        return UNSET

    return missing


def _extras_decoder(
    cls: type[Model], spec: _ModelSpec
) -> Callable[[dict[str, Any], Path, _Context], dict[str, Any]]:
    decode_extra = decoder_for(spec.extra)
    closed = cls.__connectory_closed__
    known = spec.known

    def extras(value: dict[str, Any], path: Path, ctx: _Context) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in known:
                continue
            if closed:
                ctx.deviate(
                    item, (path, key), "unknown_field", f"{cls.__name__} allows no field {key!r}"
                )
            out[key] = item if decode_extra is _any else decode_extra(item, (path, key), ctx)
        return out

    return extras


# -- public entry points -------------------------------------------------------------------


@overload
def decode(tp: type[T], data: Any, *, strict: bool = False) -> T: ...
@overload
def decode(tp: Any, data: Any, *, strict: bool = False) -> Any: ...
def decode(tp: Any, data: Any, *, strict: bool = False) -> Any:
    """Decode parsed JSON into `tp` (a model, ``list[Model]``, a union, ...).

    Lenient by default (see the module docstring); ``strict=True`` raises `DecodeError`
    naming the JSON path of the first deviation.
    """
    return decode_with_deviations(tp, data, strict=strict)[0]


def decode_with_deviations(
    tp: Any, data: Any, *, strict: bool = False, fast: bool = True
) -> tuple[Any, tuple[Deviation, ...]]:
    """`decode`, also returning every deviation found (for responses and logs).

    Data that matches its type exactly takes msgspec's fast path (``_fastpath``); the
    rest, and ``fast=False``, the lenient decoder. Both give the same result."""
    if fast:
        from ._fastpath import Miss, fast_path  # built on this module

        path = fast_path(tp)
        if path is not None:
            try:
                return path.from_python(data), ()
            except Miss:
                pass
    ctx = _Context(strict)
    result = decoder_for(tp)(data, None, ctx)
    found = tuple(ctx.deviations)
    if found and _log.isEnabledFor(logging.DEBUG):
        _log.debug(
            "decoded %s with %d deviation(s) from its schema: %s",
            getattr(tp, "__name__", tp),
            len(found),
            "; ".join(str(d) for d in found[:5]),
        )
    return result, found


def encode(value: Any) -> Any:
    """`value` as JSON-ready data: models as objects (unset fields left out), enums as
    their values, dates in ISO 8601, lists and dicts item by item."""
    cls = value.__class__
    if cls in (str, int, float, bool) or value is None or value is UNSET:
        return value
    if isinstance(value, Model):
        return _encoder(cls)(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items() if v is not UNSET}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


_PLAIN = (str, int, float, bool, type(None))


def _encoder(cls: type[Model]) -> Callable[[Any], Any]:
    found = _ENCODERS.get(cls)
    if found is not None:
        return found
    spec = _spec(cls)
    namespace: dict[str, Any] = {"UNSET": UNSET, "encode": encode, "PLAIN": _PLAIN}
    lines = ["def encode_model(obj):", "    out = {}"]
    for f in spec.fields:
        lines.append(f"    x = obj.{f.name}")
        target = f"out[{f.json!r}]"
        plain = _without_unset(f.type) in _PLAIN
        value = "x" if plain else "encode(x)"
        # A required field holds UNSET only when the value was missing from a decoded
        # response (a deviation): left out, never sent as the enum's value "UNSET".
        lines.append(f"    if x is not UNSET: {target} = {value}")
    lines += [
        "    extra = obj.additional_properties",
        "    if extra:",
        "        for k, v in extra.items():",
        "            if k not in out: out[k] = encode(v)",
        "    return out",
    ]
    found = _compile("\n".join(lines) + "\n", "encode_model", namespace)
    _ENCODERS[cls] = found
    return found  # type: ignore[no-any-return]


def model_fields(cls: type[Model]) -> Iterator[tuple[str, str, Any, bool]]:
    """(attribute, JSON name, type, required) of each declared field, for tools."""
    for f in _spec(cls).fields:
        yield f.name, f.json, f.type, f.required
