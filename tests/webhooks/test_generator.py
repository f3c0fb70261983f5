"""connector.yaml's ``webhooks:`` in the generator: definition checks, trim, typed events."""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from connectory.core.models import deviations
from connectory.core.webhooks import InvalidPayloadError, UnknownWebhookEvent
from connectory.generator import DefinitionError, SpecError, generate, load_definition
from connectory.generator._definition import included_operations
from connectory.generator._generate import build_api
from connectory.generator._trim import trim
from tests.generator._support import REPOSITORY, forget_package, unique_name
from tests.webhooks._deliveries import awkward_secret, github_headers


def _body(schema: Any) -> dict[str, Any]:
    return {
        "post": {
            "x-github": {"subcategory": "thing", "category": "webhooks"},
            "description": "Prose that trim drops.",
            "requestBody": {"content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok"}},
        }
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


WEBHOOKS: dict[str, Any] = {
    "thing-created": _body(_ref("ThingCreated")),
    "thing-deleted": _body(
        {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"type": "string", "enum": ["deleted"]},
                "thing": _ref("Thing"),
            },
        }
    ),
    # the action is fixed in every branch of a oneOf: still a route condition
    "thing-moved": _body(
        {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"action": {"const": "moved"}, "to": {"type": "string"}},
                },
                {
                    "type": "object",
                    "properties": {"action": {"const": "moved"}, "to": {"type": "integer"}},
                },
            ]
        }
    ),
    "ping": {"post": {**_body(_ref("Ping"))["post"], "x-github": {"subcategory": "ping"}}},
}
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Hooks", "version": "1"},
    "servers": [{"url": "https://hooks.example.test"}],
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": _ref("Thing")}
                            }
                        },
                    }
                },
            }
        }
    },
    "webhooks": WEBHOOKS,
    "components": {
        "schemas": {
            "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
            "ThingCreated": {
                "type": "object",
                "required": ["action", "thing"],
                "properties": {"action": {"const": "created"}, "thing": _ref("Thing")},
            },
            "Ping": {"type": "object", "properties": {"zen": {"type": "string"}}},
            "Envelope": {
                "type": "object",
                "required": ["kind"],
                "properties": {"kind": {"type": "string"}, "data": _ref("Payload")},
            },
            "Payload": {"type": "object", "properties": {"size": {"type": "integer"}}},
            "Unused": {"type": "object", "properties": {"never": {"type": "string"}}},
            "Scalar": {"type": "string"},
        }
    },
}
TYPED: dict[str, Any] = {
    "scheme": "github",
    "event_header": "X-GitHub-Event",
    "events": ["thing-created", "thing-deleted", "thing-moved", "ping"],
    "event": "Envelope",
}


def write_connector(
    folder: Path, webhooks: Any, *, spec: dict[str, Any] | None = None, name: str = "hooks"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "openapi.json").write_text(json.dumps(spec or SPEC), encoding="utf-8")
    raw = {
        "name": name,
        "base_url": "https://hooks.example.test",
        "auth": {"type": "none"},
        "spec": "openapi.json",
        "operations": ["listThings"],
        "webhooks": webhooks,
    }
    path = folder / "connector.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, webhooks: Any, spec: dict[str, Any] | None = None) -> str:
    definition = load_definition(write_connector(tmp_path, webhooks, spec=spec))
    with pytest.raises(DefinitionError) as caught:
        build_api(definition.spec, definition)
    return str(caught.value)


# -- the definition ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("webhooks", "message"),
    [
        ({"scheme": "github", "evnts": []}, r"webhooks\.evnts: unknown key \(closest: events"),
        (
            {"scheme": "gihub"},
            r"webhooks\.scheme: unknown scheme 'gihub'; expected one of: .*github",
        ),
        ("github", r"webhooks: expected a mapping"),
        ({"scheme": "github", "events": "push"}, r"webhooks\.events: expected a list"),
        ({"scheme": "github", "events": ["a", "a"]}, r"webhooks\.events: 'a' is listed twice"),
        ({"scheme": "github", "event": ""}, r"webhooks\.event: expected a name"),
        ({"scheme": "github", "event_header": "X-Event"}, r"webhooks\.event_header: only used"),
    ],
)
def test_malformed_webhooks_name_the_file_and_the_field(
    tmp_path: Path, webhooks: Any, message: str
) -> None:
    path = write_connector(tmp_path, webhooks)
    with pytest.raises(DefinitionError, match=message) as caught:
        load_definition(path)
    assert str(caught.value).startswith(str(path))


def test_a_scheme_alone_configures_an_untyped_connector(tmp_path: Path) -> None:
    definition = load_definition(write_connector(tmp_path, {"scheme": "Slack"}))
    assert (definition.webhooks, definition.webhook_events) == ("slack", None)
    assert definition.config_kwargs()["webhook_scheme"] == "slack"


def test_unknown_webhooks_and_schemas_are_reported_with_the_closest_names(tmp_path: Path) -> None:
    text = problems_of(
        tmp_path,
        {**TYPED, "events": ["thing-creatd", "thing-deleted"], "event": "Envelop"},
    )
    assert "webhooks.events[0]: the spec has no webhook 'thing-creatd' in webhooks" in text
    assert "(closest: thing-created" in text
    assert (
        "webhooks.event: schema 'Envelop' is not in components/schemas (closest: Envelope" in text
    )
    assert str(tmp_path / "connector.yaml") in text


def test_a_spec_without_webhooks_says_so(tmp_path: Path) -> None:
    spec = {k: v for k, v in SPEC.items() if k != "webhooks"}
    text = problems_of(tmp_path, {**TYPED, "events": ["ping"]}, spec=spec)
    assert (
        "webhooks.events[0]: the spec has no webhooks (OpenAPI 3.1 webhooks, or x-webhooks)" in text
    )


def test_webhooks_nothing_tells_apart_are_refused(tmp_path: Path) -> None:
    # Without the event header, ping (no fixed body value) would match every delivery.
    text = problems_of(tmp_path, {"scheme": "github", "events": ["thing-created", "ping"]})
    assert "'thing-created' and 'ping' cannot be told apart" in text
    same = copy.deepcopy(SPEC)
    same["webhooks"]["thing-again"] = same["webhooks"]["thing-created"]
    text = problems_of(tmp_path, {**TYPED, "events": ["thing-created", "thing-again"]}, spec=same)
    assert "both are X-GitHub-Event 'thing' events" in text


def test_an_event_schema_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    text = problems_of(tmp_path, {"scheme": "github", "event": "Scalar"})
    assert (
        "webhooks.event: the schema at /components/schemas/Scalar is not an object schema" in text
    )


# -- trim -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["webhooks", "x-webhooks"])
def test_trim_keeps_the_selected_webhooks_the_event_schema_and_what_they_reference(
    tmp_path: Path, field: str
) -> None:
    spec = copy.deepcopy(SPEC)
    spec[field] = spec.pop("webhooks")
    if field == "x-webhooks":
        spec["openapi"] = "3.0.3"
    definition = load_definition(write_connector(tmp_path, TYPED, spec=spec))
    trimmed = trim(
        definition.spec, included_operations(definition), webhooks=definition.webhook_events
    )
    assert sorted(trimmed[field]) == sorted(TYPED["events"])
    operation = trimmed[field]["thing-created"]["post"]
    assert operation["x-github"] == {"subcategory": "thing"}  # the event's name, nothing else
    assert "description" not in operation
    assert set(trimmed["components"]["schemas"]) == {
        "Envelope",
        "Payload",
        "Ping",
        "Thing",
        "ThingCreated",
    }
    without = trim(definition.spec, included_operations(definition))
    assert field not in without
    assert set(without["components"]["schemas"]) == {"Thing"}


def test_trim_refuses_webhooks_the_spec_lacks(tmp_path: Path) -> None:
    definition = load_definition(write_connector(tmp_path, TYPED))
    assert definition.webhook_events is not None
    missing = attrs.evolve(definition.webhook_events, events=("nope",))
    with pytest.raises(SpecError, match="webhooks not found in webhooks: nope"):
        trim(definition.spec, None, webhooks=missing)


def test_the_shipped_github_spec_keeps_its_webhooks_and_their_event_names() -> None:
    spec = json.loads(
        (REPOSITORY / "openapi_specs/github/openapi.json").read_text(encoding="utf-8")
    )
    events = {
        name: item["post"]["x-github"]["subcategory"] for name, item in spec["x-webhooks"].items()
    }
    assert events == {
        "ping": "ping",
        "push": "push",
        "issues-opened": "issues",
        "issues-closed": "issues",
    }
    assert "webhook-push" in spec["components"]["schemas"]


# -- the generated package -------------------------------------------------------------------


@pytest.fixture
def hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    name = unique_name("hooks")
    definition = load_definition(write_connector(tmp_path / "spec", TYPED, name=name))
    generate(definition, tmp_path / "packages" / name)
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    importlib.invalidate_caches()
    yield importlib.import_module(name)
    forget_package(name)


def test_the_generated_connector_dispatches_each_delivery_to_its_model(hooks: Any) -> None:
    secret = awkward_secret("hooks")
    connector = hooks.REGISTRATION.connector_class(webhook_secret=secret)
    assert hooks.CONFIG.webhook_scheme == "github"
    models = hooks.models

    def deliver(payload: Any, event: str | None) -> Any:
        body = json.dumps(payload).encode()
        return connector.webhooks.unwrap(github_headers(secret, body, event), body)

    created = deliver({"action": "created", "thing": {"id": "t1"}}, "thing")
    assert type(created) is models.ThingCreated
    assert created.thing.id == "t1"
    deleted = deliver({"action": "deleted"}, "THING")
    assert type(deleted) is models.WebhookThingDeleted
    moved = deliver({"action": "moved", "to": "b"}, "thing")
    assert type(moved).__name__.startswith("WebhookThingMoved")
    assert type(deliver({"zen": "Be brief."}, "ping")) is models.Ping
    # No route: the event schema every delivery is, leniently (a deviation, not a loss).
    archived = deliver({"action": "archived", "data": {"size": 3}}, "thing")
    assert type(archived) is models.Envelope
    assert archived.data.size == 3
    assert [d.path for d in deviations(archived)] == ["$.kind"]
    with pytest.raises(InvalidPayloadError):
        deliver(["not", "an", "object"], "ping")
    source = (Path(hooks.__file__).parent / "webhooks.py").read_text(encoding="utf-8")
    assert 'WebhookRoute(m.ThingCreated, event="thing", match={"action": ("created",)})' in source
    assert "fallback=m.Envelope" in source


def test_without_an_event_schema_unrouted_deliveries_stay_parsed_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = unique_name("hooks")
    webhooks = {k: v for k, v in TYPED.items() if k != "event"}
    definition = load_definition(write_connector(tmp_path / "spec", webhooks, name=name))
    generate(definition, tmp_path / "packages" / name)
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    importlib.invalidate_caches()
    try:
        package = importlib.import_module(name)
        secret = awkward_secret("hooks")
        connector = package.REGISTRATION.connector_class(webhook_secret=secret)
        body = json.dumps({"action": "archived"}).encode()
        event = connector.webhooks.unwrap(github_headers(secret, body, "thing"), body)
        assert event == UnknownWebhookEvent("thing", {"action": "archived"})
        assert "UnknownWebhookEvent" in package.webhooks.__annotations__.get(
            "WebhookEvent", ""
        ) or (UnknownWebhookEvent in package.webhooks.WebhookEvent.__args__)
    finally:
        forget_package(name)
