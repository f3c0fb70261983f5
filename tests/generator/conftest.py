"""Packages generated once per session from the fixture specs, imported under unique names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.generator._support import FIXTURES, Generated, forget_package, generate_and_import


@pytest.fixture(scope="session")
def packages_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder (on sys.path) holding every session package, so mypy can check them all."""
    root = tmp_path_factory.mktemp("packages")
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield root


def _session_package(root: Path, spec: str, stem: str) -> Iterator[Generated]:
    package = generate_and_import(FIXTURES / spec, stem, root)
    yield package
    forget_package(package.name)


@pytest.fixture(scope="session")
def models_pkg(packages_root: Path) -> Iterator[Generated]:
    yield from _session_package(packages_root, "models.yaml", "models")


@pytest.fixture(scope="session")
def operations_pkg(packages_root: Path) -> Iterator[Generated]:
    yield from _session_package(packages_root, "operations.json", "operations")


@pytest.fixture(scope="session")
def refs_pkg(packages_root: Path) -> Iterator[Generated]:
    yield from _session_package(packages_root, "refs/main.yaml", "refs")


@pytest.fixture(scope="session")
def names_pkg(packages_root: Path) -> Iterator[Generated]:
    yield from _session_package(packages_root, "names.yaml", "names")


@pytest.fixture(scope="session")
def modern_pkg(packages_root: Path) -> Iterator[Generated]:
    yield from _session_package(packages_root, "openapi31.yaml", "modern")
