"""Swagger 2.0 input is converted to OpenAPI 3 and generated like any other spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectory.generator._loader import load_openapi
from tests.generator._support import FIXTURES, Generated, forget_package, generate_and_import

SPEC = FIXTURES / "swagger2.yaml"


@pytest.fixture(scope="module")
def pets(packages_root: Path) -> Iterator[Generated]:
    package = generate_and_import(SPEC, "pets", packages_root)
    yield package
    forget_package(package.name)


def test_conversion_maps_the_2_0_structure() -> None:
    document, version = load_openapi(SPEC)
    assert version == "3.0"
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "https://pets.example.com/v1"}]
    assert document["components"]["securitySchemes"]["key"] == {
        "type": "apiKey",
        "name": "X-Key",
        "in": "header",
    }
    pets = document["paths"]["/pets"]
    assert pets["get"]["parameters"][0] == {"$ref": "#/components/parameters/limit"}
    tags = pets["get"]["parameters"][1]
    assert (tags["style"], tags["explode"]) == ("form", False)  # collectionFormat: csv
    body = pets["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    upload = document["paths"]["/pets/{id}/photo"]["post"]["requestBody"]["content"]
    schema = upload["multipart/form-data"]["schema"]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert schema["required"] == ["file"]
    owner = document["components"]["schemas"]["Pet"]["properties"]["owner"]
    assert owner == {"type": "string", "nullable": True}
    ok = pets["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}


def test_every_operation_is_generated_and_typed(pets: Generated) -> None:
    assert pets.report["operations_total"] == 3
    assert pets.report["operations_degraded"] == []
    assert pets.operation("listPets").response_type == "list[Pet]"
    assert pets.operation("uploadPhoto").body_content_type == "multipart/form-data"
    assert pets.module.CONFIG.base_url == "https://pets.example.com/v1"
    assert pets.module.CONFIG.api_key_name == "X-Key"


async def test_generated_calls_send_what_the_2_0_spec_describes(pets: Generated) -> None:
    seen: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json=[{"id": 1, "name": "Rex", "owner": None}])
        if request.url.path.endswith("/photo"):
            return httpx.Response(204)
        return httpx.Response(201, json=json.loads(request.content))

    async with pets.connector(respond) as connector:
        assert await connector.connect({"api_key": "k-123456"})
        listed = await pets.method(connector, "listPets")(limit=5, tags=["a", "b"])
        assert [(p.id, p.name, p.owner) for p in listed] == [(1, "Rex", None)]
        created = await pets.method(connector, "createPet")(body=pets.models.Pet(id=2, name="Tom"))
        assert (created.id, created.name) == (2, "Tom")
        photo = pets.models.UploadPhotoBody(file=b"\x89PNG", caption="hi")
        await pets.method(connector, "uploadPhoto")("2", body=photo)
    listing, create, upload = seen
    assert listing.url.path == "/v1/pets"
    assert dict(listing.url.params) == {"limit": "5", "tags": "a,b"}
    assert listing.headers["X-Key"] == "k-123456"
    assert json.loads(create.content) == {"id": 2, "name": "Tom"}
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="caption"' in upload.content
    assert b"\x89PNG" in upload.content
