"""Hypothesis strategies for the JSON Schemas of `_schema`, compiled once per schema.

hypothesis-jsonschema generates every leaf: strings with their formats, patterns and
lengths, numbers and integers with their bounds, booleans, null, enums, and anything this
module does not assemble itself (``not``, ``minProperties``, ``allOf`` over non-objects).
Objects, arrays and unions are assembled here from `st.fixed_dictionaries`, `st.lists`
and `st.one_of`. The reason is cost: hypothesis-jsonschema resolves and canonicalises an
object's property schemas again at every draw, which for vendor objects with a hundred
properties (a GitHub pull request embeds two repositories) takes about half a second per
example, far beyond the harness's time budget. Here that work happens once.

``allOf`` over object schemas is merged (properties united, a property declared twice
takes both schemas, required lists united, ``type`` intersected); an ``allOf`` with a union
inside is distributed over the union's branches. Arrays are kept to a few items and
objects get at most two undeclared properties; every instance still validates against
the schema it came from.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

import jsonschema
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from ._schema import CUSTOM_FORMATS, EXTRAS, JSONSchema

MAX_ITEMS: Final = 3
MAX_EXTRAS: Final = 2

_TYPES: Final = ("null", "boolean", "integer", "number", "string", "array", "object")
_OBJECT_KEYS: Final = frozenset({"type", "properties", "required", "additionalProperties", EXTRAS})
_UNSUPPORTED: Final = frozenset(
    {"not", "minProperties", "maxProperties", "patternProperties", "dependencies"}
)
_EXTRA_NAMES: Final = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).map(
    "x_{}".format
)
_EXTRA_VALUES: Final = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12)
)


class StrategyCompiler:
    """Strategies for the schemas of one connector, memoized by schema identity."""

    def __init__(self) -> None:
        self._memo: dict[int, st.SearchStrategy[Any]] = {}
        # Schemas made here (merges) stay referenced, so their ids are never reused.
        self._made: list[Any] = []
        self._leaves: dict[str, st.SearchStrategy[Any]] = {}

    def compile(self, schema: JSONSchema) -> st.SearchStrategy[Any]:
        key = id(schema)
        if key not in self._memo:
            self._made.append(schema)
            self._memo[key] = self._build(schema)
        return self._memo[key]

    def _build(self, schema: JSONSchema) -> st.SearchStrategy[Any]:
        if schema is False:
            return st.nothing()
        if schema is True or not schema:
            return self._leaf(True)
        if not isinstance(schema, dict):
            raise TypeError(f"not a schema: {schema!r}")
        if _UNSUPPORTED & schema.keys():
            return self._leaf(schema)
        if "allOf" in schema:
            merged = self._merge_all_of(schema)
            return self._leaf(schema) if merged is None else self.compile(merged)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return self._union(schema, keyword)
        kind = schema.get("type")
        if isinstance(kind, list):
            return st.one_of([self.compile(self._keep({**schema, "type": t})) for t in kind])
        if "enum" in schema or "const" in schema:
            return self._leaf(schema)
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema)
        return self._leaf(schema)

    def _keep(self, schema: dict[str, Any]) -> dict[str, Any]:
        self._made.append(schema)
        return schema

    def _leaf(self, schema: JSONSchema) -> st.SearchStrategy[Any]:
        clean = _strip_markers(schema)
        key = json.dumps(clean, sort_keys=True)
        if key not in self._leaves:
            sized = _sized_pattern(clean)
            self._leaves[key] = (
                sized if sized is not None else from_schema(clean, custom_formats=CUSTOM_FORMATS)
            )
        return self._leaves[key]

    def _union(self, schema: dict[str, Any], keyword: str) -> st.SearchStrategy[Any]:
        base = {k: v for k, v in schema.items() if k != keyword}
        branches: list[st.SearchStrategy[Any]] = []
        for branch in schema[keyword]:
            if set(base) <= {EXTRAS}:
                combined: JSONSchema = branch
                if base and isinstance(branch, dict):
                    combined = self._keep({**branch, **base})
            else:
                combined = self._keep({"allOf": [base, branch]})
            branches.append(self.compile(combined))
        strategy = st.one_of(branches)
        if keyword == "oneOf":
            validator = jsonschema.Draft7Validator(_strip_markers(schema))
            strategy = strategy.filter(validator.is_valid)
        return strategy

    def _merge_all_of(self, schema: dict[str, Any]) -> JSONSchema | None:
        """One schema equivalent to an allOf of object schemas; None if not that simple."""
        outer = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [outer, *schema["allOf"]]
        flat: list[dict[str, Any]] = []
        while parts:
            part = parts.pop(0)
            if part is True:
                continue
            if part is False:
                return False
            if "allOf" in part:
                parts[:0] = [{k: v for k, v in part.items() if k != "allOf"}, *part["allOf"]]
                continue
            flat.append(part)
        for index, part in enumerate(flat):
            for keyword in ("anyOf", "oneOf"):
                if keyword in part:
                    # allOf(A, anyOf(B, C)) == anyOf(allOf(A, B), allOf(A, C))
                    others = flat[:index] + flat[index + 1 :]
                    rest = {k: v for k, v in part.items() if k != keyword}
                    return self._keep(
                        {"anyOf": [{"allOf": [*others, rest, branch]} for branch in part[keyword]]}
                    )
        allowed = set(_TYPES)
        for part in flat:
            kind = part.get("type")
            if kind is not None:
                allowed &= {kind} if isinstance(kind, str) else set(kind)
        if not allowed:
            return False
        if all(set(part) <= _OBJECT_KEYS for part in flat) and "object" in allowed:
            merged = self._merge_objects(flat)
            if "null" in allowed:
                return self._keep({"anyOf": [{"type": "null"}, merged]})
            return merged
        # Anything else merges only when no keyword but `type` appears twice.
        union: dict[str, Any] = {}
        for part in flat:
            for key, value in part.items():
                if key in union and key not in ("type", EXTRAS):
                    return None
                union[key] = value
        union.pop(EXTRAS, None)
        if any("type" in part for part in flat):
            union["type"] = sorted(allowed) if len(allowed) > 1 else allowed.pop()
        return self._keep(union)

    def _merge_objects(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in parts:
            for name, sub in part.get("properties", {}).items():
                properties[name] = (
                    sub if name not in properties else {"allOf": [properties[name], sub]}
                )
            required += [name for name in part.get("required", ()) if name not in required]
        closed = False
        for part in parts:
            additional = part.get("additionalProperties", True)
            if additional is True:
                continue
            closed = True
            declared = part.get("properties", {})
            for name in [*properties, *required]:
                if name not in declared:
                    current = properties.get(name, True)
                    properties[name] = (
                        additional if current is True else {"allOf": [current, additional]}
                    )
        merged: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if closed:
            merged["additionalProperties"] = False
        elif any(part.get(EXTRAS) for part in parts):
            merged[EXTRAS] = True
        return self._keep(merged)

    def _object(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        required: dict[str, st.SearchStrategy[Any]] = {}
        for name in schema.get("required", ()):
            sub = properties.get(name, True if additional is None else additional)
            required[name] = self.compile(sub)
        optional = {
            name: self.compile(sub)
            for name, sub in properties.items()
            if name not in required and sub is not False
        }
        fixed = st.fixed_dictionaries(required, optional=optional)
        if isinstance(additional, dict) and additional:
            values = self.compile(additional)
        elif schema.get(EXTRAS) and additional is None:
            values = _EXTRA_VALUES
        else:
            return fixed
        names = (_EXTRA_NAMES | st.text(min_size=1, max_size=8)).filter(
            lambda name: name not in properties
        )
        extras = st.dictionaries(names, values, max_size=MAX_EXTRAS)
        return st.tuples(fixed, extras).map(lambda pair: {**pair[1], **pair[0]})

    def _array(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", math.inf), max(low, MAX_ITEMS))
        if high == 0:
            return st.just([])
        items = self.compile(schema.get("items", True))
        if schema.get("uniqueItems"):
            return st.lists(items, min_size=low, max_size=int(high), unique_by=_canonical)
        return st.lists(items, min_size=low, max_size=int(high))


# A pattern that repeats one character class over the whole string: ^[0-9a-f]+$, ^\d*$.
_REPEATED_CLASS: Final = re.compile(
    r"\^?(\[(?:\\.|[^\]\\])+\]|\\[dw]|\.)([+*]|\{\d+(?:,\d*)?\})\$?"
)


def _sized_pattern(schema: Any) -> st.SearchStrategy[str] | None:
    """Strings of a repeated character class with a length: hypothesis-jsonschema draws
    the pattern and then filters on the length, which fails for a fixed length of 40 hex
    digits (a commit SHA) almost every time. Here the length is drawn first."""
    if not isinstance(schema, dict) or schema.get("type") != "string" or "format" in schema:
        return None
    pattern = schema.get("pattern")
    if not isinstance(pattern, str) or not ({"minLength", "maxLength"} & schema.keys()):
        return None
    found = _REPEATED_CLASS.fullmatch(pattern)
    if found is None or set(schema) - {"type", "pattern", "minLength", "maxLength"}:
        return None
    char_class, repeat = found.groups()
    low, high = (1, None) if repeat == "+" else (0, None)
    if repeat.startswith("{"):
        bounds = repeat[1:-1].split(",")
        low = int(bounds[0])
        high = int(bounds[1]) if len(bounds) == 2 and bounds[1] else None
        if len(bounds) == 1:
            high = low
    low = max(low, schema.get("minLength", 0))
    limits = [h for h in (high, schema.get("maxLength")) if h is not None]
    top = min(limits) if limits else low + 8
    if top < low:
        return None
    alphabet = st.from_regex(f"^{char_class}$", fullmatch=True).filter(lambda c: len(c) == 1)
    return st.text(alphabet=alphabet, min_size=low, max_size=min(top, low + 40))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _strip_markers(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {k: _strip_markers(v) for k, v in schema.items() if k != EXTRAS}
    if isinstance(schema, list):
        return [_strip_markers(v) for v in schema]
    return schema
