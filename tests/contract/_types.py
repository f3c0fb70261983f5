"""Generated annotations read back as types, drawn JSON turned into arguments, JSON compared.

`to_argument` turns a JSON value drawn from a spec schema into what a generated method
takes (`Model.from_dict` for objects, enum members, dates, bytes for files).
`conformance` walks a decoded value along its declared type through the models'
attributes. `compare_json` compares what was sent with what came back, allowing only the
documented normalisations (`NORMALISATIONS`).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import types
import typing
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

import attrs

from connectory.core.models import Model, Unset, model_fields

NoneType = type(None)

NORMALISATIONS: Final = {
    "number": "an integer-valued number written as an integer or as a float (5 / 5.0)",
    "date-time": "a date-time written differently for the same instant "
    "(Z / +00:00, fraction digits: Python's isoformat)",
    "date": "a date written differently for the same day",
}


def json_bytes(value: Any) -> bytes:
    """JSON text as a vendor sends it (integers past 64 bits included)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def members(hint: Any) -> tuple[Any, ...]:
    """The members of a union (``X | Y``, ``Optional``), or the hint itself."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return members(typing.get_args(hint)[0])
    if origin in (typing.Union, types.UnionType):
        return tuple(m for arg in typing.get_args(hint) for m in members(arg))
    return (hint,)


def is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Model)


_HINTS: dict[type, dict[str, Any]] = {}


def model_hints(model: type) -> dict[str, Any]:
    """The resolved annotations of a generated model's attributes (cached per class)."""
    if model not in _HINTS:
        _HINTS[model] = typing.get_type_hints(model, include_extras=True)
    return _HINTS[model]


def _takes_bytes(hint: Any) -> bool:
    options = members(hint)
    return bytes in options and str not in options


# -- arguments ------------------------------------------------------------------------


def to_argument(value: Any, hint: Any, choose: Callable[[], bool]) -> Any:
    """A JSON value drawn from a spec schema as the argument a method annotated `hint`
    takes: objects become models (`from_dict`; field by field where a field is a file),
    strings become enum members (sometimes, when `choose()` says so and the annotation
    also takes the plain value), dates and date-times become `datetime` objects, strings
    for binary values become bytes; lists and dicts are converted item by item."""
    options = [m for m in members(hint) if m is not Unset]
    if value is None:
        return None
    if isinstance(value, dict):
        for option in options:
            if is_model(option):
                return _model(option, value, choose)
        for option in options:
            if typing.get_origin(option) is dict:
                item = typing.get_args(option)[1]
                return {k: to_argument(v, item, choose) for k, v in value.items()}
        return value
    if isinstance(value, list):
        for option in options:
            if typing.get_origin(option) is list:
                (item,) = typing.get_args(option) or (Any,)
                return [to_argument(v, item, choose) for v in value]
        return value
    if isinstance(value, str):
        if _takes_bytes(hint):
            return value.encode("utf-8")
        enums = [o for o in options if isinstance(o, type) and issubclass(o, enum.Enum)]
        for option in enums:
            if value in {member.value for member in option} and (str not in options or choose()):
                return option(value)
        if dt.datetime in options and str not in options:
            return dt.datetime.fromisoformat(value)
        if dt.date in options and str not in options:
            return dt.date.fromisoformat(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        enums = [o for o in options if isinstance(o, type) and issubclass(o, enum.Enum)]
        for option in enums:
            values = {member.value for member in option}
            plain = int in options or float in options
            if value in values and (not plain or choose()):
                return option(value)
    return value


def _model(model: type[Model], value: dict[str, Any], choose: Callable[[], bool]) -> Model:
    hints = model_hints(model)
    fields = list(model_fields(model))
    if not any(
        _takes_bytes(hints[attribute]) or _file_list(hints[attribute]) for attribute, *_ in fields
    ):
        return model.from_dict(value)
    # A multipart body with files: files have no JSON form, so `from_dict` cannot take
    # them; the model is built from its fields, as a caller does.
    known = {json_name for _, json_name, _, _ in fields}
    kwargs = {
        attribute: to_argument(value[json_name], hints[attribute], choose)
        for attribute, json_name, _, _ in fields
        if json_name in value
    }
    extras = {k: v for k, v in value.items() if k not in known}
    return model(**kwargs, additional_properties=extras)


def _file_list(hint: Any) -> bool:
    return any(
        typing.get_origin(option) is list and _takes_bytes(typing.get_args(option)[0])
        for option in members(hint)
    )


def wire_value(value: Any, hint: Any) -> Any:
    """What a drawn JSON value must arrive as when passed for `hint`: bytes for files,
    the JSON value otherwise."""
    if isinstance(value, str) and _takes_bytes(hint):
        return value.encode("utf-8")
    if isinstance(value, list):
        for option in members(hint):
            if typing.get_origin(option) is list:
                (item,) = typing.get_args(option) or (Any,)
                return [wire_value(v, item) for v in value]
    if isinstance(value, dict):
        for option in members(hint):
            if is_model(option):
                hints = model_hints(option)
                names = {
                    json_name: attribute for attribute, json_name, _, _ in model_fields(option)
                }
                return {
                    k: wire_value(v, hints[names[k]]) if k in names else v for k, v in value.items()
                }
    return value


# -- results --------------------------------------------------------------------------


def conformance(value: Any, hint: Any, where: str = "result") -> list[str]:
    """Where `value` is not of type `hint` (empty when it conforms)."""
    if hint is Any or hint is object:
        return []
    options = members(hint)
    if len(options) > 1:
        found = [conformance(value, option, where) for option in options]
        if any(not problems for problems in found):
            return []
        names = " | ".join(_name(o) for o in options)
        return [f"{where}: {_show(value)} is none of {names}"]
    return _conforms_to(value, options[0], where)


def _conforms_to(value: Any, hint: Any, where: str) -> list[str]:
    origin = typing.get_origin(hint)
    if hint is NoneType or hint is None:
        return [] if value is None else [f"{where}: expected None, got {_show(value)}"]
    if hint is Unset:
        return [] if isinstance(value, Unset) else [f"{where}: expected UNSET"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {_show(value)}"]
        (item,) = typing.get_args(hint) or (Any,)
        return [p for i, v in enumerate(value) for p in conformance(v, item, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected a dict, got {_show(value)}"]
        _, item = typing.get_args(hint) or (str, Any)
        return [p for k, v in value.items() for p in conformance(v, item, f"{where}[{k!r}]")]
    if is_model(hint):
        if not isinstance(value, hint):
            return [f"{where}: expected a {hint.__name__}, got {_show(value)}"]
        hints = model_hints(hint)
        problems = []
        for field in attrs.fields(hint):
            attr = getattr(value, field.name)
            problems += conformance(attr, hints[field.name], f"{where}.{field.name}")
        return problems
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [] if isinstance(value, hint) else [f"{where}: expected {hint.__name__}"]
    if hint is float:
        ok = isinstance(value, float)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(hint, type):
        ok = isinstance(value, hint)
    else:
        return []  # IO[bytes], tuples of a file part: request-only types
    return [] if ok else [f"{where}: expected {_name(hint)}, got {_show(value)}"]


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or repr(hint)


def _show(value: Any) -> str:
    return f"{type(value).__name__} {repr(value)[:80]}"


# -- comparing JSON -------------------------------------------------------------------


def _instant(text: str) -> dt.datetime | None:
    if "T" not in text and "t" not in text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def same_instant(left: str, right: str) -> bool:
    first, second = _instant(left), _instant(right)
    if first is None or second is None:
        return False
    try:
        return first == second
    except OverflowError:  # offsets near year 1 or 9999: compare the local times shifted
        zero = dt.timedelta(0)
        shift = (first.utcoffset() or zero) - (second.utcoffset() or zero)
        return first.replace(tzinfo=None) == second.replace(tzinfo=None) + shift


def same_day(left: str, right: str) -> bool:
    try:
        return dt.date.fromisoformat(left) == dt.date.fromisoformat(right)
    except ValueError:
        return False


def compare_json(
    sent: Any, got: Any, notes: Counter[str] | None = None, where: str = "$"
) -> list[str]:
    """Where `got` differs from `sent` as JSON, booleans kept apart from numbers; the
    normalisations of `NORMALISATIONS` are allowed and counted in `notes`."""
    if isinstance(sent, bool) or isinstance(got, bool):
        return [] if sent is got else [f"{where}: sent {_brief(sent)}, got {_brief(got)}"]
    if isinstance(sent, int | float) and isinstance(got, int | float):
        if sent == got and type(sent) is type(got):
            return []
        if sent == got or (
            isinstance(sent, float) and math.isclose(sent, got, rel_tol=0, abs_tol=0)
        ):
            if notes is not None:
                notes["number"] += 1
            return []
        return [f"{where}: sent {_brief(sent)}, got {_brief(got)}"]
    if isinstance(sent, str) and isinstance(got, str):
        if sent == got:
            return []
        for kind, same in (("date-time", same_instant), ("date", same_day)):
            if same(sent, got):
                if notes is not None:
                    notes[kind] += 1
                return []
        return [f"{where}: sent {_brief(sent)}, got {_brief(got)}"]
    if isinstance(sent, dict) and isinstance(got, dict):
        problems: list[str] = []
        for key in sent.keys() | got.keys():
            if key not in got:
                problems.append(f"{where}.{key}: sent {_brief(sent[key])}, missing")
            elif key not in sent:
                problems.append(f"{where}.{key}: not sent, got {_brief(got[key])}")
            else:
                problems += compare_json(sent[key], got[key], notes, f"{where}.{key}")
        return problems
    if isinstance(sent, list) and isinstance(got, list):
        if len(sent) != len(got):
            return [f"{where}: sent {len(sent)} items, got {len(got)}"]
        return [
            p
            for index, (a, b) in enumerate(zip(sent, got, strict=True))
            for p in compare_json(a, b, notes, f"{where}[{index}]")
        ]
    if sent is None and got is None:
        return []
    return [f"{where}: sent {_brief(sent)}, got {_brief(got)}"]


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
