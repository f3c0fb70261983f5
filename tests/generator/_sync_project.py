"""A project of our own for the regeneration tests: the Shelf connector generated from
fixtures/sync/shelf_v1.yaml, laid out as `connectory trim` and `connectory generate` leave it
(openapi_specs/shelf/ with connector.yaml, the overrides module and the trimmed spec;
generated/shelf/)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from connectory.generator import generate, load_definition
from connectory.generator._definition import included_operations
from connectory.generator._trim import trim, write_trimmed

SYNC_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sync"
V1 = SYNC_FIXTURES / "shelf_v1.yaml"
V2 = SYNC_FIXTURES / "shelf_v2.yaml"
OVERRIDES = SYNC_FIXTURES / "shelf_extras.py"


def make_project(root: Path, **changes: Any) -> Path:
    """The Shelf connector generated from v1 in project `root`; `changes` replace keys of
    its connector.yaml. Returns the connector's folder under openapi_specs/."""
    folder = root / "openapi_specs" / "shelf"
    folder.mkdir(parents=True)
    definition_text = (SYNC_FIXTURES / "connector.yaml").read_text(encoding="utf-8")
    if changes:
        raw = yaml.safe_load(definition_text)
        raw.update(changes)
        definition_text = yaml.safe_dump(raw, sort_keys=False)
    (folder / "connector.yaml").write_text(definition_text, encoding="utf-8")
    shutil.copyfile(OVERRIDES, folder / OVERRIDES.name)
    definition = load_definition(folder / "connector.yaml")
    write_trimmed(trim(V1, included_operations(definition)), definition.spec)
    generate(definition, root / "generated" / "shelf")
    return folder


def write_spec(path: Path, document: Any) -> Path:
    """`document` as a YAML spec at `path`."""
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def load_spec(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by relative path: to prove nothing was written."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
