"""Reading specs: JSON and YAML, clear errors for bad input, OpenAPI 3.0 and 3.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectory.core.models import UNSET
from connectory.generator import SpecError, build_api, generate_spec
from connectory.generator._loader import check_version, read_document
from tests.generator._support import FIXTURES, Generated, field_types

MINIMAL: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Minimal", "version": "1"},
    "paths": {
        "/ping": {"get": {"operationId": "ping", "responses": {"204": {"description": "ok"}}}}
    },
}


def test_json_and_yaml_spellings_of_a_document_read_the_same(tmp_path: Path) -> None:
    as_json = tmp_path / "spec.json"
    as_yaml = tmp_path / "spec.yaml"
    as_json.write_text(json.dumps(MINIMAL), encoding="utf-8")
    as_yaml.write_text(yaml.safe_dump(MINIMAL), encoding="utf-8")
    assert read_document(as_json) == MINIMAL
    assert read_document(as_yaml) == MINIMAL
    assert [op.operation_id for op in build_api(as_yaml).operations] == ["ping"]
    assert [op.operation_id for op in build_api(as_json).operations] == ["ping"]


def test_fixture_specs_in_both_formats_load() -> None:
    assert build_api(FIXTURES / "operations.json").title == "Operations Fixture"
    assert build_api(FIXTURES / "models.yaml").title == "Models Fixture"


def test_invalid_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "openapi": "3.0.3",\n  "info": {,\n  "paths": {}\n}\n', encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        read_document(path)
    assert str(caught.value).startswith(f"{path}: invalid JSON at line 3 column 12:")
    assert caught.value.source == str(path)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("openapi: 3.0.3\ninfo:\n  title: Broken: yes\npaths: {}\n", "line 3 column 16"),
        ('openapi: 3.0.3\ninfo:\n  title: Broken\n  version: "1"\n  - item\n', "line 5 column 3"),
    ],
)
def test_invalid_yaml_names_the_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        read_document(path)
    assert str(caught.value).startswith(f"{path}: invalid YAML at {where}:")


def test_an_unreadable_file_is_a_spec_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(SpecError, match="cannot read") as caught:
        read_document(path)
    assert str(caught.value).startswith(str(path))


def test_swagger_1_is_refused_naming_the_version(tmp_path: Path) -> None:
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps({"swagger": "1.2", "info": {}, "paths": {}}), encoding="utf-8")
    out = tmp_path / "out" / "pkg"
    with pytest.raises(SpecError) as caught:
        generate_spec(path, "pkg", out)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "Swagger 1.2 is not supported" in message
    assert "OpenAPI 3" in message
    assert not out.exists()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"info": {}, "paths": {}}, "no 'openapi' version field"),
        ({"openapi": 3.0, "paths": {}}, "no 'openapi' version field"),
        ({"openapi": "2.0", "paths": {}}, "OpenAPI 2.0 is not supported (supported: 3.0, 3.1)"),
        ({"openapi": "4.0.0", "paths": {}}, "OpenAPI 4.0.0 is not supported"),
        ({"openapi": "3.0.0", "paths": ["/x"]}, "'paths' must be a mapping"),
        (["openapi", "3.0.0"], "the document is not a mapping"),
    ],
)
def test_documents_that_are_not_openapi_3_are_refused(document: Any, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        check_version(document, "spec.json")
    assert str(caught.value).startswith("spec.json")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("version", "expected"), [("3.0.0", "3.0"), ("3.0.3", "3.0"), ("3.1.0", "3.1")]
)
def test_openapi_3_0_and_3_1_are_accepted(version: str, expected: str) -> None:
    assert check_version({"openapi": version, "paths": {}}, "spec.json") == expected


def test_openapi_3_1_type_arrays_and_const_are_typed(modern_pkg: Generated) -> None:
    assert modern_pkg.report["openapi"] == "3.1"
    assert modern_pkg.report["operations_degraded"] == []
    thing = modern_pkg.models.Thing
    assert field_types(thing) == {
        "id": "int",
        "kind": "m.ThingKind | str",
        "label": "str | None",
        "amount": "int | str | Unset",
        "ratio": "float | Unset | None",
        "tags": "list[str] | Unset | None",
    }
    kind = modern_pkg.models.ThingKind
    assert [(member.name, member.value) for member in kind] == [("THING", "thing")]


def test_openapi_3_1_values_decode(modern_pkg: Generated) -> None:
    thing_type = modern_pkg.models.Thing
    thing = thing_type.from_dict(
        {"id": 1, "kind": "thing", "label": None, "amount": "12", "ratio": 2, "tags": None}
    )
    assert thing.kind is modern_pkg.models.ThingKind.THING
    assert thing.label is None
    assert thing.amount == "12"
    assert thing.ratio == 2.0
    assert isinstance(thing.ratio, float)
    assert thing.tags is None
    other = thing_type.from_dict({"id": 2, "kind": "gadget", "label": "x", "amount": 12})
    assert other.kind == "gadget"
    assert not isinstance(other.kind, modern_pkg.models.ThingKind)
    assert other.amount == 12
    assert other.ratio is UNSET
    assert other.to_dict() == {"id": 2, "kind": "gadget", "label": "x", "amount": 12}


def test_a_relative_server_url_becomes_an_absolute_base_url(modern_pkg: Generated) -> None:
    assert modern_pkg.module.CONFIG.base_url == "https://localhost/api/v3"
