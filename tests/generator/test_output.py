"""The written package: deterministic, atomic, and clean for ruff and mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectory.generator import GeneratorError, _write, generate_spec
from connectory.generator._write import read_tree
from tests.generator._support import FIXTURES, REPOSITORY, Generated

DETERMINISM_SPECS = ("models.yaml", "operations.json", "names.yaml", "refs/main.yaml")

_GENERATE_ALL = """
import sys
from pathlib import Path
from connectory.generator import generate_spec
fixtures, out = Path(sys.argv[1]), Path(sys.argv[2])
for index, spec in enumerate(sys.argv[3:]):
    generate_spec(fixtures / spec, f"pkg{index}", out / f"pkg{index}")
"""


def _generate_in_subprocess(out: Path, hash_seed: str, cwd: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    completed = subprocess.run(
        [sys.executable, "-c", _GENERATE_ALL, str(FIXTURES), str(out), *DETERMINISM_SPECS],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr


def test_generation_is_deterministic_across_runs_hash_seeds_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_process = tmp_path / "a"
    monkeypatch.chdir(REPOSITORY)
    for index, spec in enumerate(DETERMINISM_SPECS):
        generate_spec(FIXTURES / spec, f"pkg{index}", in_process / f"pkg{index}")
    _generate_in_subprocess(tmp_path / "b", "1", cwd=REPOSITORY)
    # elsewhere than the repository (import sorting once depended on the working directory)
    _generate_in_subprocess(tmp_path / "c", "2", cwd=tmp_path)
    first = read_tree(in_process)
    assert len(first) > 40
    assert read_tree(tmp_path / "b") == first
    assert read_tree(tmp_path / "c") == first


def test_generating_again_in_place_gives_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    generate_spec(FIXTURES / "models.yaml", "pkg", out)
    before = read_tree(out)
    generate_spec(FIXTURES / "models.yaml", "pkg", out)
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def _fail_formatting(root: Path) -> None:
    raise GeneratorError(f"formatting failed on purpose in {root}")


def test_a_failed_run_leaves_the_previous_package_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pkg"
    generate_spec(FIXTURES / "openapi31.yaml", "pkg", out)
    before = read_tree(out)
    monkeypatch.setattr(_write, "format_tree", _fail_formatting)
    with pytest.raises(GeneratorError, match="formatting failed on purpose"):
        generate_spec(FIXTURES / "models.yaml", "pkg", out)
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]  # no staging folder left


def test_a_failed_first_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_write, "format_tree", _fail_formatting)
    with pytest.raises(GeneratorError):
        generate_spec(FIXTURES / "models.yaml", "pkg", tmp_path / "pkg")
    assert list(tmp_path.iterdir()) == []


def test_regenerating_replaces_the_whole_package(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    generate_spec(FIXTURES / "models.yaml", "pkg", out)
    assert (out / "models" / "_pet.py").exists()
    generate_spec(FIXTURES / "openapi31.yaml", "pkg", out)
    fresh = tmp_path / "fresh" / "pkg"
    generate_spec(FIXTURES / "openapi31.yaml", "pkg", fresh)
    assert read_tree(out) == read_tree(fresh)  # nothing stale from the first run survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "pkg"]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def every_package(
    models_pkg: Generated,
    operations_pkg: Generated,
    refs_pkg: Generated,
    names_pkg: Generated,
    modern_pkg: Generated,
) -> list[Generated]:
    return [models_pkg, operations_pkg, refs_pkg, names_pkg, modern_pkg]


def test_generated_code_passes_ruff(packages_root: Path, every_package: list[Generated]) -> None:
    config = str(REPOSITORY / "pyproject.toml")
    ruff = [sys.executable, "-m", "ruff"]
    paths = [str(package.path) for package in every_package]
    _run([*ruff, "format", "--check", "--config", config, *paths], packages_root)
    _run([*ruff, "check", "--config", config, "--select", "F,E9", *paths], packages_root)


def test_generated_code_passes_mypy_strict(
    packages_root: Path, every_package: list[Generated], tmp_path: Path
) -> None:
    """One mypy run over every fixture package (together they use every feature)."""
    modules = [arg for package in every_package for arg in ("-p", package.name)]
    env = {**os.environ, "MYPYPATH": str(REPOSITORY)}
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache")]
    _run([*command, *modules], packages_root, env)
