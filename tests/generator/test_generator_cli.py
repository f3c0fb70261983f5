"""The generator's commands: `generate --spec`, `generate --check`, `trim`."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from connectory.cli import app
from tests.generator._support import FIXTURES, REPOSITORY

runner = CliRunner()
CONNECTOR = "hubspot"  # the smallest connector of the repository


def _squeezed(result: Result) -> str:
    """The output without whitespace: rich wraps long lines wherever it likes."""
    return "".join(result.output.split())


def test_generate_from_a_spec_writes_the_package_and_the_report(tmp_path: Path) -> None:
    out, report = tmp_path / "out", tmp_path / "reports" / "ops.json"
    result = runner.invoke(
        app,
        [
            "generate",
            "--spec",
            str(FIXTURES / "operations.json"),
            "--name",
            "ops",
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    package = out / "ops"
    assert sorted(p.name for p in package.iterdir()) == [
        "__init__.py",
        "connector.py",
        "data.py",
        "models",
        "operations.py",
        "py.typed",
        "resources",
    ]
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["connector"] == "ops"
    assert summary["spec"] == "operations.json"
    assert (summary["operations_total"], summary["operations_typed"]) == (14, 10)
    assert "ops" in result.output


def test_generate_from_a_bad_spec_exits_2_with_the_reason(tmp_path: Path) -> None:
    spec = tmp_path / "swagger.yaml"
    spec.write_text(
        "swagger: '1.2'\ninfo: {title: Old, version: '1'}\npaths: {}\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["generate", "--spec", str(spec), "--name", "old", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert f"error:{spec}:Swagger1.2isnotsupported" in _squeezed(result)
    assert not (tmp_path / "out").exists()


def test_generate_with_a_bad_name_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            "--spec",
            str(FIXTURES / "models.yaml"),
            "--name",
            "Not-OK",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "--name:'Not-OK'isnotalower-casePythonidentifier" in _squeezed(result)


@pytest.mark.parametrize("missing", ["--name", "--out"])
def test_spec_without_name_or_out_exits_2(tmp_path: Path, missing: str) -> None:
    options = {"--name": "ops", "--out": str(tmp_path / "out")}
    del options[missing]
    arguments = [item for pair in options.items() for item in pair]
    result = runner.invoke(
        app, ["generate", "--spec", str(FIXTURES / "operations.json"), *arguments]
    )
    assert result.exit_code == 2
    assert "--spec needs --name and --out" in result.output
    assert not (tmp_path / "out").exists()


def _todays_connectors(count: int = 8) -> list[str]:
    """A rotating sample of the shipped connectors: a different `count` each day, every one
    within a fortnight. CI's own step (`connectory generate --check`) checks them all."""
    names = sorted(p.parent.name for p in (REPOSITORY / "openapi_specs").glob("*/connector.yaml"))
    day = datetime.date.today().toordinal()
    start = (day * count) % len(names)
    return [names[(start + i) % len(names)] for i in range(count)]


def test_check_passes_on_the_repository() -> None:
    names = _todays_connectors()
    result = runner.invoke(app, ["generate", "--check", *names])
    assert result.exit_code == 0, result.output
    assert f"generated/ is up to date ({len(names)} connectors)" in result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding one connector's definition, spec and generated package."""
    for folder in ("openapi_specs", "generated"):
        shutil.copytree(REPOSITORY / folder / CONNECTOR, tmp_path / folder / CONNECTOR)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_in_a_project_lists_the_files_that_differ(project: Path) -> None:
    clean = runner.invoke(app, ["generate", "--check", CONNECTOR])
    assert clean.exit_code == 0, clean.output
    assert "(1 connectors)" in clean.output

    data = project / "generated" / CONNECTOR / "data.py"
    data.write_text(data.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    (project / "generated" / CONNECTOR / "models" / "_stray.py").write_text("", encoding="utf-8")
    dirty = runner.invoke(app, ["generate", "--check", CONNECTOR])
    assert dirty.exit_code == 1
    listed = [line.strip() for line in dirty.output.splitlines() if line.startswith("  ")]
    assert listed == [f"{CONNECTOR}/data.py", f"{CONNECTOR}/models/_stray.py"]
    assert "run: connectory generate --all" in dirty.output


def test_check_of_an_unknown_connector_exits_2(project: Path) -> None:
    result = runner.invoke(app, ["generate", "--check", "nope"])
    assert result.exit_code == 2
    assert f"available:{CONNECTOR}" in _squeezed(result)


def test_trim_writes_the_connectors_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "openapi_specs" / "notes"
    specs.mkdir(parents=True)
    definition = {
        "name": "notes",
        "base_url": "https://trim.example.test",
        "source_spec": "trim_source.yaml",
        "auth": {"type": "bearer_token"},
        "resources": {"authors": {"list": "listNotes", "get": "getAuthor"}},
        "operations": [],
    }
    (specs / "connector.yaml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["trim", "notes", "--source-dir", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    trimmed = json.loads((specs / "openapi.json").read_text(encoding="utf-8"))
    assert sorted(trimmed["paths"]) == ["/authors/{author_id}", "/notes"]
    assert "post" not in trimmed["paths"]["/notes"]
    assert sorted(trimmed["components"]["schemas"]) == ["Author", "Badge", "Note"]
