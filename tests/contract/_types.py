"""The generated annotations, read back as types: to build arguments and check results.

`resolve` evaluates an annotation string of ``OPERATIONS`` (``"list[Repository]"``,
``"PrivateUser | PublicUser"``) in the connector's models namespace. `conformance` walks
a decoded value along its type, recursively through the models' attributes (their own
annotations resolved with `typing.get_type_hints`), and lists every place where the value
is not of the declared type.
"""

from __future__ import annotations

import enum
import functools
import json
import re
import types
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any

import attrs

from connectory.core.models import Unset

NoneType = type(None)


def resolve(annotation: str, models: ModuleType) -> Any:
    """The type an annotation string names, its names taken from a models package
    (whose models are imported on first attribute access)."""
    namespace: dict[str, Any] = {"Any": Any}
    for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", annotation):
        if name not in namespace and hasattr(models, name):
            namespace[name] = getattr(models, name)

    def probe() -> None: ...

    probe.__annotations__ = {"return": annotation}
    return typing.get_type_hints(probe, globalns=namespace)["return"]


def members(hint: Any) -> tuple[Any, ...]:
    """The members of a union (``X | Y``, ``Optional``), or the hint itself."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def is_model(hint: Any) -> bool:
    return isinstance(hint, type) and attrs.has(hint) and hasattr(hint, "from_dict")


@functools.cache
def model_hints(model: type) -> dict[str, Any]:
    """The resolved annotations of a generated model's attributes."""
    module = __import__(model.__module__, fromlist=["_"])
    return typing.get_type_hints(model, globalns=vars(module))


# -- arguments ------------------------------------------------------------------------


def to_argument(value: Any, hint: Any, choose: Callable[[], bool]) -> Any:
    """A JSON value generated from a spec schema, as the argument a method annotated
    `hint` takes: objects become models, strings become enum members (sometimes, when
    `choose()` says so: the methods accept both), lists are converted item by item."""
    options = [m for m in members(hint) if m is not Unset]
    if value is None:
        return None
    if isinstance(value, dict):
        for option in options:
            if is_model(option):
                return option.from_dict(value)
        return value
    if isinstance(value, list):
        for option in options:
            if typing.get_origin(option) is list:
                (item,) = typing.get_args(option) or (Any,)
                return [to_argument(v, item, choose) for v in value]
        return value
    if isinstance(value, str):
        enums = [o for o in options if isinstance(o, type) and issubclass(o, enum.Enum)]
        for option in enums:
            if value in {member.value for member in option} and (str not in options or choose()):
                return option(value)
    return value


# -- results --------------------------------------------------------------------------


def conformance(value: Any, hint: Any, where: str = "result") -> list[str]:
    """Where `value` is not of type `hint` (empty when it conforms)."""
    if hint is Any:
        return []
    options = members(hint)
    if len(options) > 1:
        found = [conformance(value, option, where) for option in options]
        if any(not problems for problems in found):
            return []
        names = " | ".join(_name(o) for o in options)
        return [f"{where}: {_show(value)} is none of {names}"] + [
            problem for problems in found for problem in problems[:2]
        ]
    return _conforms_to(value, hint, where)


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
            if field.name != "additional_properties":
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
        raise TypeError(f"{where}: cannot check against {hint!r}")
    return [] if ok else [f"{where}: expected {_name(hint)}, got {_show(value)}"]


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or repr(hint)


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}"


def is_json(value: Any) -> bool:
    """Whether `value` is plain JSON data (what `to_dict` must return)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def encoded(value: Any) -> Any:
    """A decoded result as JSON again: models through `to_dict`, lists item by item."""
    if attrs.has(type(value)) and hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [encoded(v) for v in value]
    if isinstance(value, dict):
        return {k: encoded(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value
