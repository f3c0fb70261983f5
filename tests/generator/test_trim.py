"""`connectory trim`: the chosen operations and what they reference, without vendor prose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectory.generator import SpecError, build_api
from connectory.generator._trim import trim, write_trimmed
from tests.generator._support import FIXTURES

SOURCE = FIXTURES / "trim_source.yaml"
PROSE = {"description", "example", "examples", "externalDocs", "tags", "contact", "x-codeSamples"}
# Objects whose keys are names the API author chose (a property may be called "description").
NAME_MAPS = {"properties", "paths", "responses", "content", "headers", "schemas"}
# Fields whose values are data, not OpenAPI objects.
LITERALS = {"default", "enum", "const"}


def _keys_in_objects(node: Any, *, names: bool = False) -> Iterator[str]:
    """Every key of an OpenAPI object below `node` (not the keys of name maps)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not names:
                yield key
            if not names and key in LITERALS:
                continue
            yield from _keys_in_objects(value, names=not names and key in NAME_MAPS)
    elif isinstance(node, list):
        for item in node:
            yield from _keys_in_objects(item)


def test_keeps_the_named_operations_and_what_they_reference() -> None:
    trimmed = trim(SOURCE, ["listNotes"])
    assert list(trimmed["paths"]) == ["/notes"]
    assert [k for k in trimmed["paths"]["/notes"] if k in {"get", "post"}] == ["get"]
    components = trimmed["components"]
    assert sorted(components) == [
        "headers",
        "parameters",
        "responses",
        "schemas",
        "securitySchemes",
    ]
    assert sorted(components["schemas"]) == ["Author", "Badge", "Note"]  # transitively
    assert list(components["parameters"]) == ["Page"]  # from the path item
    assert list(components["responses"]) == ["NoteList"]
    assert list(components["headers"]) == ["RateLimit"]  # referenced from a response
    assert list(components["securitySchemes"]) == ["bearer"]
    assert trimmed["security"] == [{"bearer": []}]


def test_drops_operations_and_components_nobody_uses() -> None:
    trimmed = trim(SOURCE, ["getAuthor"])
    assert list(trimmed["paths"]) == ["/authors/{author_id}"]
    assert sorted(trimmed["components"]["schemas"]) == ["Author", "Badge"]
    assert "requestBodies" not in trimmed["components"]
    everything = trim(SOURCE, None)
    assert sorted(everything["components"]["schemas"]) == ["Author", "Badge", "Note", "NoteInput"]
    assert "Unused" not in everything["components"]["schemas"]
    assert "examples" not in everything["components"]  # referenced only from prose


def test_strips_prose_but_keeps_properties_named_like_prose() -> None:
    trimmed = trim(SOURCE, None)
    keys = set(_keys_in_objects(trimmed))
    assert keys & PROSE == set()
    assert not any(key.startswith("x-") for key in keys)
    note = trimmed["components"]["schemas"]["Note"]
    assert list(note["properties"]) == ["id", "description", "example", "author", "style"]
    assert note["properties"]["description"] == {"type": "string"}
    assert note["required"] == ["id", "description"]
    assert trimmed["info"] == {"title": "Trim Source", "version": "7"}
    assert trimmed["servers"] == [{"url": "https://trim.example.test"}]


def test_keeps_literal_values_exactly() -> None:
    schemas = trim(SOURCE, ["listNotes"])["components"]["schemas"]
    assert schemas["Note"]["properties"]["style"]["default"] == {"description": "plain", "size": 12}
    assert schemas["Badge"]["enum"] == ["gold", "silver"]


def test_unknown_operations_are_an_error_naming_them() -> None:
    with pytest.raises(SpecError) as caught:
        trim(SOURCE, ["listNotes", "nope", "gone"])
    assert str(caught.value) == f"{SOURCE}: operations not found: gone, nope"


def test_a_trimmed_spec_is_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    write_trimmed(trim(SOURCE, ["listNotes", "createNote"]), out)
    assert json.loads(out.read_text(encoding="utf-8"))["openapi"] == "3.0.3"
    assert not (tmp_path / "openapi.json.tmp").exists()
    api = build_api(out)
    assert [op.operation_id for op in api.operations] == ["listNotes", "createNote"]
    assert all(op.typed for op in api.operations)
    assert sorted(model.name for model in api.models) == ["Author", "Note", "NoteInput"]
    # the same operations from the untrimmed source give the same model
    assert build_api(SOURCE).operations[:2] == api.operations
