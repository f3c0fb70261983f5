"""The command line: help, version, list, demo, and the console script without its extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import connectory
from connectory.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"connectory {connectory.__version__}"


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("list", "demo", "generate", "trim", "diff", "sync", "new"):
        assert command in result.output
    assert "not built yet" not in result.output


def test_list_shows_installed_connectors() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "bearer_token" in result.output


def test_list_json_describes_every_connector() -> None:
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    rows = {row["name"]: row for row in json.loads(result.output)}
    generated = Path(__file__).resolve().parents[1] / "generated"
    shipped = {p.name for p in generated.iterdir() if (p / "connector.py").exists()}
    assert shipped <= set(rows)
    github = rows["github"]
    assert github["auth"] == ["bearer_token"]
    assert "issues" in github["resources"]
    assert github["operations"] > 0
    assert github["category"]
    assert set(github) >= {"webhooks", "batch_operations", "real_time_sync", "spec_source"}


def test_the_console_script_without_the_generator_extra_says_what_to_install(
    tmp_path: Path,
) -> None:
    """`pip install connectory` alone has no typer: the command says so, no traceback."""
    blocker = tmp_path / "typer.py"
    blocker.write_text("raise ModuleNotFoundError('No module named typer', name='typer')\n")
    completed = subprocess.run(
        [sys.executable, "-c", "from connectory._entry import main; main()", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert completed.returncode == 2
    assert "pip install 'connectory[generator]'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_demo_runs_end_to_end_in_a_subprocess() -> None:
    """The README's main job, as a user runs it: a real process, a real local server."""
    completed = subprocess.run(
        [sys.executable, "-m", "connectory", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "connect(): True" in out
    assert 'list_items("/projects"): 7 items' in out
    assert 'list_items("/tasks"): 23 items' in out
    assert 'get_item_metadata("/tasks/999"): None' in out
    assert "503x1" in out
    assert "429x1" in out
    assert completed.stderr == ""
