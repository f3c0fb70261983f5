"""Fixtures of the fault suite: a connector generated for the test servers' API, and the
figures each test records for docs/reliability.md (written when
``CONNECTORY_RELIABILITY_FIGURES`` names a file; see tests/faults/report.py)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from connectory.generator import generate, load_definition

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def storm_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The connector generated from fixtures/storm (the fault storm's API), imported."""
    root = tmp_path_factory.mktemp("storm")
    name = f"storm_{uuid.uuid4().hex[:8]}"
    definition_dir = root / "definition"
    shutil.copytree(FIXTURES / "storm", definition_dir)
    raw = yaml.safe_load((definition_dir / "connector.yaml").read_text())
    raw["name"] = name
    (definition_dir / "connector.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    generate(load_definition(definition_dir / "connector.yaml"), root / "packages" / name)
    sys.path.insert(0, str(root / "packages"))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(root / "packages"))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """Figures for docs/reliability.md, by section."""
    return _FIGURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("CONNECTORY_RELIABILITY_FIGURES")
    if target and _FIGURES:
        Path(target).write_text(json.dumps(_FIGURES, indent=2, sort_keys=True) + "\n")
