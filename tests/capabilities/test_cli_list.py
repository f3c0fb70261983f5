"""`connectory list` shows each connector's capabilities, derived from its CONFIG."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from connectory.cli import app


def _row_cells(output: str, name: str) -> list[str]:
    """The cells of the first table line of connector `name`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name!r} in:\n{output}")


def test_the_table_names_the_capabilities_of_each_connector() -> None:
    result = CliRunner().invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert _row_cells(result.output, "hubspot")[-1] == "webhooks batch"
    assert _row_cells(result.output, "google_tasks")[-1] == "batch sync"
    assert "sync (incremental changes since a checkpoint)" in " ".join(result.output.split())


def test_the_json_carries_the_three_flags() -> None:
    result = CliRunner().invoke(app, ["list", "--json"])
    rows = {row["name"]: row for row in json.loads(result.output)}
    flags = ("webhooks", "batch_operations", "real_time_sync")
    assert [rows["hubspot"][f] for f in flags] == [True, True, False]
    assert [rows["google_tasks"][f] for f in flags] == [False, True, True]
    assert [rows["demo"][f] for f in flags] == [False, True, False]
