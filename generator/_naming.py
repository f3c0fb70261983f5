"""Python names from API names: snake_case methods, PascalCase classes, never a keyword."""

from __future__ import annotations

import builtins
import keyword
import re

_BUILTINS = frozenset(dir(builtins))
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")
# Names a generated attrs model must not use for a field: they would shadow its methods.
RESERVED_FIELDS = frozenset({"from_dict", "to_dict", "additional_properties", "self", "cls"})


def words(name: str) -> list[str]:
    """Split on punctuation and case changes: 'repos/list-for-org' -> [repos, list, for, org]."""
    spaced = _WORD_BOUNDARY.sub(" ", name)
    return [w for w in _NON_WORD.split(spaced) if w]


def snake(name: str) -> str:
    """A valid snake_case identifier: not a keyword, not starting with a digit."""
    result = "_".join(w.lower() for w in words(name)) or "value"
    if result[0].isdigit():
        result = f"n{result}"
    if keyword.iskeyword(result) or keyword.issoftkeyword(result):
        result += "_"
    return result


def safe_field(name: str) -> str:
    """A snake_case name usable as an attribute or parameter.

    Builtins are fine as attribute and parameter names (``user.id``, ``type="all"``); only
    keywords and the names generated code itself relies on are escaped with a trailing
    underscore (the caller's name registry reserves the latter).
    """
    result = snake(name)
    if result in RESERVED_FIELDS:
        result += "_"
    return result


def pascal(name: str) -> str:
    """A valid PascalCase class name."""
    parts = words(name)
    result = "".join(w[:1].upper() + w[1:] for w in parts) or "Model"
    if result[0].isdigit():
        result = f"M{result}"
    if keyword.iskeyword(result) or result in _BUILTINS:
        result += "_"
    return result


def enum_member(value: object) -> str:
    """An UPPER_SNAKE member name for an enum value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None:
        return "NONE"
    text = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"VALUE_{text}".replace("-", "MINUS_").replace(".", "_")
    name = "_".join(w.upper() for w in words(text))
    if not name:
        name = "EMPTY" if text == "" else "VALUE"
    if name[0].isdigit():
        name = f"VALUE_{name}"
    if keyword.iskeyword(name):
        name += "_"
    return name


class NameRegistry:
    """Hands out unique names in one namespace, deterministically (first come, plain name)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def claim(self, wanted: str) -> str:
        name = wanted
        counter = 2
        while name in self._taken:
            name = f"{wanted}{counter}"
            counter += 1
        self._taken.add(name)
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._taken
