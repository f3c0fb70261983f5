"""connector.yaml: each malformed field is a DefinitionError naming the file and the field."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from connectory.core import UniversalConnectorFactory
from connectory.generator import (
    DefinitionError,
    build_api,
    definition_for_spec,
    generate,
    load_definition,
)
from tests.generator._support import FIXTURES, Recorder, forget_package, unique_name

SPEC = FIXTURES / "operations.json"

VALID: dict[str, Any] = {
    "name": "ops",
    "display_name": "Ops",
    "spec": str(SPEC),
    "base_url": "https://ops.example.test/api",
    "auth": {"type": "api_key", "api_key": {"name": "X-Api-Key", "in": "header"}},
    "health_check": "listItems",
    "pagination": {"style": "offset_limit", "page_size": 2},
    "resources": {
        "items": {
            "list": "listItems",
            "get": "getItem",
            "description": "Items",
        },
    },
    "operations": ["createItem"],
    "overrides": {"operations": {"getItem": {"name": "fetch_one"}}},
    # The fixture's listItems declares no offset and limit: as with a real vendor whose spec
    # leaves out what its API takes, connector.yaml says so.
    "spec_gaps": {
        "resources.items.pagination.offset_param": "the API pages with offset",
        "resources.items.pagination.limit_param": "the API takes limit",
    },
}


def _write(tmp_path: Path, raw: Any) -> Path:
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _variant(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            del raw[key]
        else:
            raw[key] = value
    return raw


def test_a_valid_definition_loads(tmp_path: Path) -> None:
    definition = load_definition(_write(tmp_path, VALID))
    assert definition.name == "ops"
    assert definition.spec == SPEC
    assert definition.class_prefix == "Ops"
    assert [r.name for r in definition.resources] == ["items"]
    assert definition.resources[0].pagination.expression() == "OffsetLimit(page_size=2)"
    assert definition.renames == {"getItem": "fetch_one"}
    assert definition.operations == ("createItem",)


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (
            _variant(pagination={"style": "telepathy"}),
            "pagination.style",
            "unknown style 'telepathy'",
        ),
        (
            _variant(pagination={"style": "link_header", "page_size": 5}),
            "pagination.page_size",
            "not a setting of link_header",
        ),
        (
            _variant(
                resources={"items": {"list": "listItems", "pagination": {"style": "none", "x": 1}}}
            ),
            "resources.items.pagination.x",
            "not a setting of none",
        ),
        (
            _variant(pagination={"style": "offset_limit", "page_size": 0}),
            "pagination",
            "page_size must be at least 1, not 0",
        ),
        (_variant(auth={"type": "carrier_pigeon"}), "auth.type", "unknown value 'carrier_pigeon'"),
        (_variant(auth="token"), "auth", "expected a mapping with a 'type'"),
        (_variant(name="Bad-Name"), "name", "'Bad-Name' is not a lower-case Python identifier"),
        (_variant(connector_type="myspace"), "connector_type", "must equal the name 'ops'"),
        (_variant(colour="blue"), "colour", "unknown key"),
        (
            _variant(auth={"type": "api_key", "api_kee": {}}),
            "auth.api_kee",
            "unknown key (did you mean api_key?)",
        ),
        (
            _variant(resources={"items": {"list": "listItems", "get_op": "x"}}),
            "resources.items.get_op",
            "unknown key",
        ),
        (
            _variant(resources={"items": {"get": "getItem"}}),
            "resources.items",
            "expected a mapping with a 'list' operation",
        ),
        (_variant(base_url=None), "base_url", "missing"),
        (_variant(operations="some"), "operations", "expected 'all' or a list of operationIds"),
        (
            _variant(base_url="ftp://ops.example.test"),
            "config",
            "base_url: expected an absolute http(s) URL",
        ),
    ],
)
def test_malformed_fields_are_named(tmp_path: Path, raw: Any, field: str, message: str) -> None:
    path = _write(tmp_path, raw)
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert str(caught.value).startswith(f"{path}: {field}: {message}")


def test_a_definition_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, ["name", "ops"])
    with pytest.raises(DefinitionError, match=r": \(top\): expected a mapping$"):
        load_definition(path)


def test_operations_not_in_the_spec_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, _variant(operations=["createItem", "nope", "alsoNope"]))
    definition = load_definition(path)
    with pytest.raises(DefinitionError) as caught:
        build_api(SPEC, definition)
    assert str(caught.value) == (
        f"{path}: 2 problem(s):\n"
        "  operations[1]: operation 'nope' is not in the spec (closest: noSchema)\n"
        "  operations[2]: operation 'alsoNope' is not in the spec"
    )


def test_a_resource_operation_missing_from_the_spec_is_named(tmp_path: Path) -> None:
    raw = _variant(operations=None, resources={"things": {"list": "listThings"}})
    definition = load_definition(_write(tmp_path, raw))
    with pytest.raises(DefinitionError, match=r"resources\.things\.list: operation 'listThings'"):
        generate(definition, tmp_path / "out" / "ops")
    assert not (tmp_path / "out" / "ops").exists()


def test_a_health_check_with_path_parameters_is_refused(tmp_path: Path) -> None:
    definition = load_definition(_write(tmp_path, _variant(health_check="getItem")))
    with pytest.raises(DefinitionError, match=r"health_check: 'getItem' must be a GET operation"):
        generate(definition, tmp_path / "out" / "ops")


async def test_a_definition_generates_resources_config_and_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique_name("ops")
    definition = load_definition(_write(tmp_path, _variant(name=name)))
    result = generate(definition, tmp_path / name)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        package = importlib.import_module(name)
        config = package.CONFIG
        service = package.REGISTRATION.data_service_class
        items_resource = package.resources.Items
        # only the listed operations, the resources' and the health check's
        assert sorted(op.operation_id for op in package.OPERATIONS) == [
            "createItem",
            "getItem",
            "listItems",
        ]
        assert result.report.operations_total == 3
        assert hasattr(items_resource, "fetch_one")
        assert not hasattr(items_resource, "get")
        (resource,) = service.RESOURCES
        assert (resource.list_path, resource.get_path) == ("/items", "/items/{item_id}")
        assert (resource.id_param, resource.get_operation) == ("item_id", "items.fetch_one")
        assert config.health_check_path == "/items"
        assert (config.api_key_name, config.base_url) == (
            "X-Api-Key",
            "https://ops.example.test/api",
        )

        pages = {"0": [{"id": "a"}, {"id": "b"}], "2": [{"id": "c"}]}

        def respond(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=pages.get(request.url.params.get("offset", "0"), []))

        recorder = Recorder(respond)
        factory = UniversalConnectorFactory(discover=False)
        factory.register(package.REGISTRATION)
        transport = httpx.MockTransport(recorder)
        async with factory.create_connector(
            package.REGISTRATION.connector_type, config, transport=transport
        ) as connector:
            assert await connector.connect({"api_key": "k"})
            items = await connector.data_service.list_items("/items")
            paged = [item async for item in connector.items.list()]
    finally:
        forget_package(name)
    assert [item.id for item in items] == ["a", "b", "c"]  # typed: the resource's model
    assert [item.id for item in paged] == ["a", "b", "c"]
    assert recorder.requests[0].url.path == "/api/items"  # the health check
    offsets = [r.url.params.get("offset") for r in recorder.requests[1:]]
    assert offsets == ["0", "2", "0", "2"]
    assert {r.url.params.get("limit") for r in recorder.requests[1:]} == {"2"}


# -- a definition made from the spec alone (generate --spec) ---------------------------


@pytest.mark.parametrize(
    ("schemes", "auth"),
    [
        ({}, {"type": "none"}),
        ({"t": {"type": "http", "scheme": "bearer"}}, {"type": "bearer_token"}),
        ({"b": {"type": "http", "scheme": "Basic"}}, {"type": "basic"}),
        (
            {"k": {"type": "apiKey", "in": "query", "name": "key"}},
            {"type": "api_key", "api_key": {"name": "key", "in": "query"}},
        ),
        (
            {
                "o": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "https://id.test/token"}},
                }
            },
            {"type": "oauth2", "token_url": "https://id.test/token"},
        ),
        (
            {"o": {"type": "openIdConnect", "openIdConnectUrl": "https://id.test"}},
            {"type": "bearer_token"},
        ),
    ],
)
def test_auth_is_inferred_from_the_security_schemes(
    tmp_path: Path, schemes: dict[str, Any], auth: dict[str, Any]
) -> None:
    spec = tmp_path / "spec.yaml"
    document = {"openapi": "3.0.3", "info": {"title": "T"}, "paths": {}}
    if schemes:
        document["components"] = {"securitySchemes": schemes}
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert dict(definition_for_spec(spec, "t").auth[0]) == auth


def test_base_url_comes_from_the_first_server_with_its_variables(tmp_path: Path) -> None:
    definition = definition_for_spec(SPEC, "ops")
    assert definition.base_url == "https://eu.ops.example.test/api"
    assert (definition.display_name, definition.class_prefix) == ("Operations Fixture", "Ops")


def test_spec_patches_merge_append_and_reach_array_entries(tmp_path: Path) -> None:
    from connectory.generator._errors import DefinitionError
    from connectory.generator._generate import apply_patches

    document = {
        "paths": {
            "/servers": {
                "get": {"parameters": [{"name": "sort", "in": "query", "schema": {}}]},
            }
        }
    }
    per_page = {"name": "per_page", "in": "query", "schema": {"type": "integer"}}
    patched = apply_patches(
        document,
        [
            ("/paths/~1servers/get/parameters/-", [per_page]),
            ("/paths/~1servers/get/parameters/0/schema", {"type": "string"}),
        ],
        tmp_path / "connector.yaml",
    )
    parameters = patched["paths"]["/servers"]["get"]["parameters"]
    assert parameters == [{"name": "sort", "in": "query", "schema": {"type": "string"}}, per_page]
    assert document["paths"]["/servers"]["get"]["parameters"][0]["schema"] == {}  # a copy
    with pytest.raises(DefinitionError, match=r"/paths/~1servers/post/parameters/- is not in"):
        # no POST on the path: nothing to append to
        apply_patches(
            document, [("/paths/~1servers/post/parameters/-", [per_page])], tmp_path / "c.yaml"
        )
    with pytest.raises(DefinitionError, match="appends a list of entries"):
        apply_patches(
            document, [("/paths/~1servers/get/parameters/-", per_page)], tmp_path / "c.yaml"
        )


def test_a_star_in_a_spec_patch_pointer_patches_every_key_at_its_level(tmp_path: Path) -> None:
    from connectory.generator._errors import DefinitionError
    from connectory.generator._generate import apply_patches

    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Label": {"type": "object", "additionalProperties": False},
                "Error": {"type": "object", "additionalProperties": False, "required": ["code"]},
                "Pet": {"type": "object", "properties": {"tags": {"type": "array"}}},
            }
        }
    }
    patched = apply_patches(
        document,
        [
            ("/components/schemas/*", {"additionalProperties": None}),
            ("/components/schemas/*/properties/tags", {"maxItems": 5}),
        ],
        tmp_path / "connector.yaml",
    )
    assert patched["components"]["schemas"] == {
        "Label": {"type": "object"},
        "Error": {"type": "object", "required": ["code"]},
        "Pet": {"type": "object", "properties": {"tags": {"type": "array", "maxItems": 5}}},
    }
    assert document["components"]["schemas"]["Label"]["additionalProperties"] is False  # a copy
    branches = {"oneOf": [{"type": "object"}, {"type": "object", "required": ["envs"]}]}
    patched = apply_patches(
        {"components": {"schemas": {"Page": branches}}},
        [
            ("/components/schemas/Page/oneOf/0", {"required": ["id"]}),  # an entry, last
            ("/components/schemas/Page/oneOf/*", {"additionalProperties": False}),
        ],
        tmp_path / "connector.yaml",
    )
    assert patched["components"]["schemas"]["Page"]["oneOf"] == [
        {"type": "object", "required": ["id"], "additionalProperties": False},
        {"type": "object", "required": ["envs"], "additionalProperties": False},
    ]
    with pytest.raises(DefinitionError, match=r"/components/schemas/Page/oneOf/2 is not in"):
        apply_patches(
            {"components": {"schemas": {"Page": branches}}},
            [("/components/schemas/Page/oneOf/2", {"required": ["id"]})],
            tmp_path / "c.yaml",
        )
    with pytest.raises(DefinitionError, match=r"/components/examples/\* is not in the spec"):
        apply_patches(document, [("/components/examples/*", {"x": 1})], tmp_path / "c.yaml")
    with pytest.raises(DefinitionError, match=r"/components/schemas/\*/items is not in the spec"):
        apply_patches(document, [("/components/schemas/*/items", {"x": 1})], tmp_path / "c.yaml")
