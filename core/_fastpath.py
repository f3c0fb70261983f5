"""The fast path of decoding: msgspec, against mirrors of the models.

Data that matches its schema exactly, the common case, is validated and built in C by
msgspec against a mirror `msgspec.Struct` of each model (the same fields, JSON names and
types, no unknown field allowed), then copied into the models. Anything the lenient
decoder of `connectory.core.models` would record as a deviation (a missing required
field, another type, null where not nullable, an unknown field or enum value, a date
msgspec does not read) makes msgspec raise instead, and the caller decodes the same data
with the lenient decoder, which keeps and records it. The result is the same model either
way; the fast path skips the Python work per field when there is nothing to record.

A type without a mirror (a union other than ``X | None``, ``X | Unset``, an open enum
``Status | str`` and an expandable reference ``str | Customer``, which the lenient decoder
tells apart by scoring; a discriminated union;
a recursive model; a dict with other than string keys) is taken as plain JSON where it
sits inside a mirrored model, and decoded there by the lenient decoder, strictly (a
deviation falls back for the whole value); at the top level it takes the lenient path.
"""

from __future__ import annotations

import datetime as _dt
import enum
import itertools
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, Final

import attrs
import msgspec

from ._errors import DecodeError
from .models import UNSET, Model, Unset, _compile, _Context, _spec, _without_unset, decoder_for

__all__ = ["Fast", "Miss", "fast_path"]

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_LOCK = threading.RLock()
_names = itertools.count()


class Miss(Exception):
    """The data is not an exact instance of its type: decode it leniently."""


class _NoMirror(Exception):
    """The type has no msgspec mirror."""


Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


@attrs.frozen
class Fast:
    """A type's msgspec mirror: decode from JSON bytes or from parsed JSON, or `Miss`."""

    mirror: Any
    convert: Convert
    decoder: msgspec.json.Decoder[Any]

    def from_json(self, content: bytes) -> Any:
        try:
            return self.convert(self.decoder.decode(content))
        except (msgspec.ValidationError, msgspec.DecodeError, DecodeError):
            raise Miss from None

    def from_python(self, data: Any) -> Any:
        try:
            return self.convert(msgspec.convert(data, self.mirror))
        except (msgspec.ValidationError, DecodeError):
            raise Miss from None


_FAST: dict[Any, Fast | None] = {}


def fast_path(tp: Any) -> Fast | None:
    """The fast path of a type annotation (cached); None when it has no mirror."""
    try:
        return _FAST[tp]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation
        return None
    with _LOCK:
        if tp not in _FAST:
            _FAST[tp] = _build(tp)
        return _FAST[tp]


def _build(tp: Any) -> Fast | None:
    builder = _Builder()
    try:
        mirror, convert = builder.mirror(tp)  # the top level itself: mirrored, or none
        decoder = msgspec.json.Decoder(mirror)
        msgspec.convert([], list[mirror])  # type: ignore[valid-type]  # refused only when used
    except (_NoMirror, TypeError, ValueError):
        return None
    return Fast(mirror, convert or _identity, decoder)


class _Builder:
    """Mirrors of one type and the functions copying mirrors into models."""

    def __init__(self) -> None:
        self.building: set[type] = set()
        self.models: dict[type, tuple[Any, Convert]] = {}

    def part(self, tp: Any) -> tuple[Any, Convert | None]:
        """The mirror of a field or an item; one without a mirror (a union of models, a
        recursive model) is taken as plain JSON and decoded by the lenient decoder,
        strictly: a deviation there is a `DecodeError`, so the whole value falls back."""
        try:
            return self.mirror(tp)
        except _NoMirror:
            return Any, _strict(tp)

    def mirror(self, tp: Any) -> tuple[Any, Convert | None]:
        """The mirror of `tp` and the conversion of its values (None: none needed)."""
        if tp in _SCALARS:
            return tp, None
        if tp is _dt.datetime or tp is _dt.date:
            # Text, parsed as the lenient decoder parses it (msgspec rounds a 7-digit
            # fraction and takes a lower-case "t", where fromisoformat does not).
            return str, _parse_with(tp.fromisoformat)
        if tp is Any or tp is object:
            return Any, None
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            return self._union(typing.get_args(tp))
        if origin is list or tp is list:
            (item,) = typing.get_args(tp) or (Any,)
            inner, convert = self.part(item)
            if convert is None:
                return list[inner], None  # type: ignore[valid-type]
            return list[inner], _list_of(convert)  # type: ignore[valid-type]
        if origin is dict or tp is dict:
            key, value = typing.get_args(tp) or (str, Any)
            if key is not str:
                raise _NoMirror(tp)
            inner, convert = self.part(value)
            if convert is None:
                return dict[str, inner], None  # type: ignore[valid-type]
            return dict[str, inner], _dict_of(convert)  # type: ignore[valid-type]
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp, None
        if isinstance(tp, type) and issubclass(tp, Model):
            return self._model(tp)
        raise _NoMirror(tp)  # Annotated (discriminated unions), Unset alone, others

    def _union(self, members: tuple[Any, ...]) -> tuple[Any, Convert | None]:
        nullable = type(None) in members
        unset = Unset in members
        rest = [m for m in members if m is not type(None) and m is not Unset]
        enums = [m for m in rest if isinstance(m, type) and issubclass(m, enum.Enum)]
        if len(enums) == 1 and len(rest) == 2 and str in rest:
            # An open enum (``Status | str``): its known values here, another goes the
            # lenient way (kept as text), as msgspec takes one string-like member only.
            rest = enums
        models = [m for m in rest if isinstance(m, type) and issubclass(m, Model)]
        if len(rest) == 2 and str in rest and len(models) == 1:
            # An expandable reference (Stripe's ``str | Customer``): an id, or the object.
            return self._text_or_model(models[0], nullable=nullable, unset=unset)
        if len(rest) != 1:
            raise _NoMirror(members)
        inner, convert = self.mirror(rest[0])
        mirror: Any = inner
        if nullable:
            mirror = mirror | None
        if unset:
            mirror = mirror | msgspec.UnsetType
        if convert is None and not unset:
            return mirror, None
        inner_convert = convert or _identity

        def convert_member(value: Any) -> Any:
            if value is None:
                return None
            if value is msgspec.UNSET:
                return UNSET
            return inner_convert(value)

        return mirror, convert_member

    def _text_or_model(
        self, cls: type[Model], *, nullable: bool, unset: bool
    ) -> tuple[Any, Convert]:
        struct, convert_model = self._model(cls)
        mirror: Any = str | struct
        if nullable:
            mirror = mirror | None
        if unset:
            mirror = mirror | msgspec.UnsetType

        def convert_member(value: Any) -> Any:
            if value.__class__ is struct:
                return convert_model(value)
            return UNSET if value is msgspec.UNSET else value  # text, or None

        return mirror, convert_member

    def _model(self, cls: type[Model]) -> tuple[Any, Convert]:
        found = self.models.get(cls)
        if found is not None:
            return found
        if cls in self.building:
            raise _NoMirror(cls)  # recursive: msgspec would need forward references
        self.building.add(cls)
        spec = _spec(cls)
        fields: list[tuple[str, Any, Any]] = []
        namespace: dict[str, Any] = {
            "cls": cls,
            "new": object.__new__,
            "UNSET": UNSET,
            "MUNSET": msgspec.UNSET,
        }
        lines = ["def convert_model(s):", "    o = new(cls)"]
        for index, f in enumerate(spec.fields):
            present, convert = self.part(_without_unset(f.type))
            if f.optional:
                # absent: the model's own UNSET, set by msgspec (it checks no default)
                fields.append((f.name, present, msgspec.field(default=UNSET, name=f.json)))
            elif f.required:
                fields.append((f.name, present, msgspec.field(name=f.json)))
            elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
                factory = f.default.factory
                fields.append(
                    (f.name, present, msgspec.field(default_factory=factory, name=f.json))
                )
            else:
                fields.append((f.name, present, msgspec.field(default=f.default, name=f.json)))
            value = f"s.{f.name}"
            if convert is not None:
                namespace[f"c{index}"] = convert
                value = f"c{index}({value})"
            if f.optional and convert is not None:
                lines.append(f"    x = s.{f.name}")
                lines.append(f"    o.{f.name} = UNSET if x is UNSET else c{index}(x)")
            else:
                lines.append(f"    o.{f.name} = {value}")
        lines += ["    o.additional_properties = {}", "    return o"]
        mirror = msgspec.defstruct(
            f"{cls.__name__}Mirror{next(_names)}",
            fields,
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,  # short-lived and acyclic: no work for the cyclic collector
        )
        convert_model: Convert = _compile("\n".join(lines) + "\n", "convert_model", namespace)
        self.building.discard(cls)
        self.models[cls] = (mirror, convert_model)
        return mirror, convert_model


def _parse_with(parse: Callable[[str], Any]) -> Convert:
    def parse_text(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            raise DecodeError("not a date or date-time: the lenient decoder records it") from None

    return parse_text


def _strict(tp: Any) -> Convert:
    decode = decoder_for(tp)

    def convert_strictly(value: Any) -> Any:
        return decode(value, None, _Context(strict=True))

    return convert_strictly


def _list_of(convert: Convert) -> Convert:
    def convert_list(values: list[Any]) -> list[Any]:
        return [convert(value) for value in values]

    return convert_list


def _dict_of(convert: Convert) -> Convert:
    def convert_dict(values: dict[str, Any]) -> dict[str, Any]:
        return {key: convert(value) for key, value in values.items()}

    return convert_dict
