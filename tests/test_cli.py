"""The command line: help, version, list, demo, and honest stubs."""

from __future__ import annotations

import subprocess
import sys

import pytest
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
    for command in ("list", "demo", "generate", "trim", "diff", "sync", "new", "check"):
        assert command in result.output


def test_list_shows_installed_connectors() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "bearer_token" in result.output


@pytest.mark.parametrize("command", ["diff", "sync", "new", "check"])
def test_commands_not_built_yet_say_so_and_exit_2(command: str) -> None:
    result = runner.invoke(app, [command, "github"])
    assert result.exit_code == 2
    assert "not built yet" in result.output


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
