"""Helpers for the generator's tests: generate a fixture spec, import the package, call it.

Every generated package is imported under a unique top-level name, so two tests never share
a cached module; `forget_package` removes it from `sys.modules` afterwards.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx

from connectory.core import BaseConnectorService, UniversalConnectorFactory
from connectory.core.models import model_fields
from connectory.generator import GenerationResult, generate_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPOSITORY = Path(__file__).resolve().parents[2]

Respond = Callable[[httpx.Request], httpx.Response]


def unique_name(stem: str) -> str:
    """A fresh package name (a lower-case identifier) for one generated package."""
    return f"{stem}_{uuid.uuid4().hex[:10]}"


def forget_package(name: str) -> None:
    """Drop the package `name` and its submodules from the import cache."""
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


@dataclass(frozen=True)
class Generated:
    """A package generated from a spec, imported (its folder's parent is on sys.path)."""

    module: ModuleType
    path: Path
    result: GenerationResult

    @property
    def name(self) -> str:
        return self.module.__name__

    @property
    def models(self) -> Any:
        return self.module.models

    @property
    def report(self) -> dict[str, Any]:
        return self.result.report.to_json()

    @property
    def data_service_class(self) -> Any:
        return self.module.REGISTRATION.data_service_class

    def operation(self, operation_id: str) -> Any:
        """The `OperationInfo` of `operation_id` in the package's OPERATIONS."""
        matches = [op for op in self.module.OPERATIONS if op.operation_id == operation_id]
        assert len(matches) == 1, f"{operation_id}: {len(matches)} operations"
        return matches[0]

    def connector(self, respond: Respond) -> BaseConnectorService:
        """A connector of this package whose requests `respond` answers."""
        factory = UniversalConnectorFactory(discover=False)
        registration = self.module.REGISTRATION
        factory.register(registration)
        connector: BaseConnectorService = factory.create_connector(
            registration.connector_type,
            self.module.CONFIG,
            transport=httpx.MockTransport(respond),
        )
        return connector

    def method(self, connector: BaseConnectorService, operation_id: str) -> Any:
        """The bound method of `operation_id` on `connector` (``connector.<group>.<name>``)."""
        group, _, name = self.operation(operation_id).name.partition(".")
        return getattr(getattr(connector, group), name)


def generate_and_import(spec: Path, stem: str, root: Path) -> Generated:
    """Generate `spec` into `root/<unique name>` and import it; `root` must be on sys.path."""
    name = unique_name(stem)
    result = generate_spec(spec, name, root / name)
    importlib.invalidate_caches()
    return Generated(importlib.import_module(name), root / name, result)


@dataclass
class Recorder:
    """An httpx.MockTransport handler that keeps every request it answers."""

    respond: Respond
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]


def json_answer(payload: Any, status: int = 200) -> Respond:
    """A responder that answers every request with `payload` as JSON."""

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=payload)

    return respond


def field_types(model: type) -> dict[str, str]:
    """A generated model's attribute annotations (as written), by JSON name."""
    by_attribute = {attr.name: attr.type for attr in attrs.fields(model)}
    return {json_name: str(by_attribute[name]) for name, json_name, _, _ in model_fields(model)}


def attribute_names(model: type) -> dict[str, str]:
    """A generated model's attribute name for each JSON field name."""
    return {json_name: name for name, json_name, _, _ in model_fields(model)}


def count_operations(document: dict[str, Any]) -> int:
    """How many operations an OpenAPI document declares."""
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(1 for item in document["paths"].values() for key in item if key in methods)
