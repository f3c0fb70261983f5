"""connector.yaml's ``batch:`` and ``incremental:``: validated with the file and field named,
checked against the spec, carried into the generated ``Resource(...)``, and the capability
flags of ConnectorConfig derived from them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectory.connectors.google_tasks import CONFIG as TASKS_CONFIG
from connectory.connectors.google_tasks.data import GoogleTasksDataService
from connectory.connectors.hubspot import CONFIG as HUBSPOT_CONFIG
from connectory.connectors.hubspot.data import HubSpotDataService
from connectory.core import BatchEndpoint, IncrementalCursor
from connectory.generator import DefinitionError, build_api, load_definition
from connectory.generator._render import render

SPECS = Path(__file__).resolve().parents[2] / "openapi_specs"


def _definition(tmp_path: Path, name: str, change: Any = None) -> Path:
    """The connector.yaml of `name`, changed by `change(raw)`, written next to nothing:
    its spec is referred to where it lives."""
    source = SPECS / name / "connector.yaml"
    raw = yaml.safe_load(source.read_text())
    raw["spec"] = str(SPECS / name / raw.get("spec", "openapi.json"))
    (raw.get("overrides") or {}).pop("code", None)  # hand-written code stays behind
    if change is not None:
        change(raw)
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _batch(raw: dict[str, Any]) -> dict[str, Any]:
    batch: dict[str, Any] = raw["resources"]["contacts"]["batch"]
    return batch


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda b: b.pop("max_size"), "resources.contacts.batch.max_size", "missing"),
        (lambda b: b.update(max_size=0), "resources.contacts.batch.max_size", "integer >= 1"),
        (lambda b: b.update(ids="x"), "resources.contacts.batch.ids", "unknown key"),
        (lambda b: b.update({"in": "header"}), "resources.contacts.batch.in", "body or query"),
        (lambda b: b.update(body=[1]), "resources.contacts.batch.body", "fixed body fields"),
        (
            lambda b: b.update({"in": "query"}),
            "resources.contacts.batch.id_key",
            "only used with in: body",
        ),
    ],
)
def test_a_malformed_batch_field_is_named(
    tmp_path: Path, change: Any, field: str, message: str
) -> None:
    path = _definition(tmp_path, "hubspot", lambda raw: change(_batch(raw)))
    with pytest.raises(DefinitionError, match=f"{path}: {field}: .*{message}"):
        load_definition(path)


@pytest.mark.parametrize(
    ("incremental", "field", "message"),
    [
        ({"field": "updated"}, "resources.tasks.incremental", "expected {param"),
        ({"param": "x", "kind": "clock"}, "resources.tasks.incremental.kind", "expected one of"),
        ({"param": "x", "kind": "token"}, "resources.tasks.incremental.token_path", "missing"),
        (
            {"param": "x", "kind": "token", "token_path": "t", "field": "f"},
            "resources.tasks.incremental.field",
            "not used with kind: token",
        ),
        ({"param": "x", "token_path": "t"}, "resources.tasks.incremental.token_path", "only"),
        ({"param": "x", "since": "t"}, "resources.tasks.incremental.since", "unknown key"),
    ],
)
def test_a_malformed_incremental_field_is_named(
    tmp_path: Path, incremental: Any, field: str, message: str
) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["resources"]["tasks"]["incremental"] = incremental

    path = _definition(tmp_path, "google_tasks", change)
    with pytest.raises(DefinitionError, match=f"{path}: {field}: .*{message}"):
        load_definition(path)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda b: b.update(operation="batchReadContact"), "batch.operation", "closest"),
        (lambda b: b.update(ids_param="ids"), "batch.ids_param", "no JSON body field 'ids'"),
        (lambda b: b.update(id_key="contactId"), "batch.id_key", "have no field 'contactId'"),
        (lambda b: b.update(max_size=500), "batch.max_size", "at most 100"),
        (lambda b: b.update(results_path="items"), "batch.results_path", "no field 'items'"),
        (lambda b: b.update(errors_path="failures"), "batch.errors_path", "no field"),
    ],
)
def test_a_batch_the_spec_does_not_have_is_a_problem(
    tmp_path: Path, change: Any, key: str, message: str
) -> None:
    path = _definition(tmp_path, "hubspot", lambda raw: change(_batch(raw)))
    definition = load_definition(path)
    with pytest.raises(DefinitionError, match=f"resources.contacts.{key}: .*{message}"):
        build_api(definition.spec, definition)


def test_a_token_path_the_spec_does_not_have_is_a_problem(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["resources"]["tasks"]["incremental"] = {
            "param": "updatedMin",
            "kind": "token",
            "token_path": "nextToken",
        }

    definition = load_definition(_definition(tmp_path, "google_tasks", change))
    with pytest.raises(DefinitionError, match=r"resources\.tasks\.incremental\.token_path"):
        build_api(definition.spec, definition)


def test_the_generated_resources_carry_batch_and_incremental() -> None:
    contacts = {r.name: r for r in HubSpotDataService.RESOURCES}["contacts"]
    assert contacts.batch == BatchEndpoint(
        path="/crm/v3/objects/contacts/batch/read",
        method="POST",
        ids_param="inputs",
        location="body",
        id_key="id",
        max_size=100,
        results_path="results",
        errors_path="errors",
        body={"properties": []},
        operation=contacts.batch.operation if contacts.batch else None,
    )
    tasks = {r.name: r for r in GoogleTasksDataService.RESOURCES}["tasks"]
    assert tasks.incremental == IncrementalCursor(param="updatedMin", field="updated")
    assert HUBSPOT_CONFIG.batch_operations
    assert HUBSPOT_CONFIG.webhook_support
    assert TASKS_CONFIG.real_time_sync
    assert TASKS_CONFIG.batch_operations


def test_a_token_cursor_is_rendered(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["resources"]["events"]["incremental"] = {
            "param": "syncToken",
            "kind": "token",
            "token_path": "nextSyncToken",
        }

    definition = load_definition(_definition(tmp_path, "google_calendar", change))
    files = render(build_api(definition.spec, definition), definition)
    expected = "IncrementalCursor(param='syncToken', kind='token', token_path='nextSyncToken')"
    assert expected in files["data.py"]
    assert "def sync(" in files["data.py"]


def test_batch_operations_is_derived_from_the_resources(tmp_path: Path) -> None:
    def without_gets(raw: dict[str, Any]) -> None:
        for resource in raw["resources"].values():
            resource.pop("get", None)
            resource.pop("id_param", None)
            resource.pop("batch", None)

    def batch_only(raw: dict[str, Any]) -> None:
        without_gets(raw)
        raw["resources"]["contacts"]["batch"] = copy.deepcopy(
            yaml.safe_load((SPECS / "hubspot" / "connector.yaml").read_text())["resources"][
                "contacts"
            ]["batch"]
        )

    def kwargs(change: Any) -> dict[str, Any]:
        return load_definition(_definition(tmp_path, "hubspot", change)).config_kwargs()

    assert kwargs(None)["batch_operations"] is True
    assert "batch_operations" not in kwargs(without_gets)  # nothing can be fetched by id
    assert kwargs(batch_only)["batch_operations"] is True
    assert "real_time_sync" not in kwargs(None)  # no resource declares incremental
