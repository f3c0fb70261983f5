"""The fast path of decoding: msgspec, against mirrors of the models.

Data that matches its schema exactly, the common case, is validated and built in C by
msgspec against a mirror `msgspec.Struct` of each model (the same fields, JSON names and
types, no unknown field allowed), then copied into the models. Anything the lenient
decoder of `connectory.core.models` would record as a deviation (a missing required
field, another type, null where not nullable, an unknown field or enum value, a date
msgspec does not read) makes msgspec raise instead, and the caller decodes the same data
with the lenient decoder, which keeps and records it. The result is the same model either
way; the fast path skips the Python work per field when there is nothing to record.
The copy is one compiled function per model (its conversions inlined), and the cyclic
garbage collector is paused while a response is decoded (`_CollectorPause` says why).

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
import gc
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
            with _COLLECTOR_PAUSE:
                return self.convert(self.decoder.decode(content))
        except (msgspec.ValidationError, msgspec.DecodeError, DecodeError, ValueError):
            raise Miss from None

    def from_python(self, data: Any) -> Any:
        try:
            with _COLLECTOR_PAUSE:
                return self.convert(msgspec.convert(data, self.mirror))
        except (msgspec.ValidationError, DecodeError, ValueError):
            raise Miss from None


class _CollectorPause:
    """The cyclic garbage collector paused while a response is decoded.

    Decoding a page builds thousands of model objects, all tracked by the collector and
    none in a cycle (a decoded document is a tree). Left running, the collector would
    scan them again and again as they are made, and count them towards its costly
    older-generation passes; paused, they are scanned once, after. The pause covers
    decoding only (milliseconds, no code of the caller), nests across threads (the
    collector is enabled again when the last decoder leaves), and leaves a collector the
    application had disabled before alone (one it disables from another thread while a
    response decodes is enabled again when that decode ends).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._resume = gc.isenabled()
                if self._resume:
                    gc.disable()
            self._inside += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._resume:
                gc.enable()


_COLLECTOR_PAUSE: Final = _CollectorPause()


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
    if convert is None:
        return Fast(mirror, _identity, decoder)
    return Fast(mirror, builder.function("value", convert("value", 0)), decoder)


# A conversion, as code: given the name of a variable holding a mirror value (and the
# nesting depth, for the names of comprehension variables), the expression turning it
# into the model's value. Inlined into one function per model, a page is converted with
# one call per model object, not one per field.
Code = Callable[[str, int], str]


class _Builder:
    """Mirrors of one type and the compiled functions copying mirrors into models."""

    def __init__(self) -> None:
        self.building: set[type] = set()
        self.models: dict[type, tuple[Any, Code]] = {}
        self.namespace: dict[str, Any] = {
            "new": object.__new__,
            "UNSET": UNSET,
            "MUNSET": msgspec.UNSET,
        }

    def name(self, value: Any) -> str:
        """A global name for `value` in the compiled functions."""
        name = f"g{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def function(self, argument: str, body: str | list[str]) -> Convert:
        """Compile ``def f(argument): ...`` (a body of lines, or an expression returned)."""
        name = f"f{len(self.namespace)}"
        lines = body if isinstance(body, list) else [f"    return {body}"]
        source = "\n".join([f"def {name}({argument}):", *lines]) + "\n"
        convert: Convert = _compile(source, name, self.namespace)
        return convert

    def part(self, tp: Any) -> tuple[Any, Code | None]:
        """The mirror of a field or an item; one without a mirror (a union of models, a
        recursive model) is taken as plain JSON and decoded by the lenient decoder,
        strictly: a deviation there is a `DecodeError`, so the whole value falls back."""
        try:
            return self.mirror(tp)
        except _NoMirror:
            strict = _call(self.name(_strict(tp)))
            if typing.get_origin(tp) in (typing.Union, types.UnionType) and (
                type(None) in typing.get_args(tp)
            ):
                return Any, _or_none(strict)  # null needs no decoding
            return Any, strict

    def mirror(self, tp: Any) -> tuple[Any, Code | None]:
        """The mirror of `tp` and the code converting its values (None: none needed)."""
        if tp in _SCALARS:
            return tp, None
        if tp is _dt.datetime or tp is _dt.date:
            # Text, parsed as the lenient decoder parses it (msgspec rounds a 7-digit
            # fraction and takes a lower-case "t", where fromisoformat does not); a
            # ValueError is a miss.
            return str, _call(self.name(tp.fromisoformat))
        if tp is Any or tp is object:
            return Any, None
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            return self._union(typing.get_args(tp))
        if origin is list or tp is list:
            (item,) = typing.get_args(tp) or (Any,)
            inner, code = self.part(item)
            if code is None:
                return list[inner], None  # type: ignore[valid-type]
            return list[inner], _list_of(code)  # type: ignore[valid-type]
        if origin is dict or tp is dict:
            key, value = typing.get_args(tp) or (str, Any)
            if key is not str:
                raise _NoMirror(tp)
            inner, code = self.part(value)
            if code is None:
                return dict[str, inner], None  # type: ignore[valid-type]
            return dict[str, inner], _dict_of(code)  # type: ignore[valid-type]
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp, None
        if isinstance(tp, type) and issubclass(tp, Model):
            return self._model(tp)
        raise _NoMirror(tp)  # Annotated (discriminated unions), Unset alone, others

    def _union(self, members: tuple[Any, ...]) -> tuple[Any, Code | None]:
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
            struct, model = self._model(models[0])
            inner: Any = str | struct
            code: Code | None = _expandable(model, self.name(struct))
        elif len(rest) == 1:
            inner, code = self.mirror(rest[0])
        else:
            raise _NoMirror(members)
        mirror: Any = inner
        if nullable:
            mirror = mirror | None
            code = None if code is None else _or_none(code)
        if unset:
            mirror = mirror | msgspec.UnsetType
            code = _or_unset(code)
        return mirror, code

    def _model(self, cls: type[Model]) -> tuple[Any, Code]:
        found = self.models.get(cls)
        if found is not None:
            return found
        if cls in self.building:
            raise _NoMirror(cls)  # recursive: msgspec would need forward references
        self.building.add(cls)
        spec = _spec(cls)
        fields: list[tuple[str, Any, Any]] = []
        lines = [f"    o = new({self.name(cls)})"]
        for f in spec.fields:
            present, code = self.part(_without_unset(f.type))
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
            if code is None:
                lines.append(f"    o.{f.name} = s.{f.name}")
            elif f.optional:
                lines.append(f"    x = s.{f.name}")
                lines.append(f"    o.{f.name} = UNSET if x is UNSET else {code('x', 1)}")
            else:
                lines.append(f"    x = s.{f.name}")
                lines.append(f"    o.{f.name} = {code('x', 1)}")
        lines += ["    o.additional_properties = {}", "    return o"]
        mirror = msgspec.defstruct(
            f"{cls.__name__}Mirror{next(_names)}",
            fields,
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,  # short-lived and acyclic: no work for the cyclic collector
        )
        convert = self.name(self.function("s", lines))
        self.building.discard(cls)
        self.models[cls] = found = (mirror, _call(convert))
        return found


def _strict(tp: Any) -> Convert:
    decode = decoder_for(tp)

    def convert_strictly(value: Any) -> Any:
        return decode(value, None, _Context(strict=True))

    return convert_strictly


def _call(function: str) -> Code:
    return lambda v, _: f"{function}({v})"


def _or_none(present: Code) -> Code:
    return lambda v, d: f"(None if {v} is None else {present(v, d)})"


def _or_unset(present: Code | None) -> Code:
    if present is None:
        return lambda v, _: f"(UNSET if {v} is MUNSET else {v})"
    return lambda v, d: f"(UNSET if {v} is MUNSET else {present(v, d)})"


def _expandable(model: Code, struct: str) -> Code:
    """An id, or the object it names (Stripe's expandable ``str | Customer``)."""
    return lambda v, d: f"({model(v, d)} if {v}.__class__ is {struct} else {v})"


def _list_of(item: Code) -> Code:
    return lambda v, d: f"[{item(f'v{d}', d + 1)} for v{d} in {v}]"


def _dict_of(item: Code) -> Code:
    return lambda v, d: f"{{k{d}: {item(f'v{d}', d + 1)} for k{d}, v{d} in {v}.items()}}"
