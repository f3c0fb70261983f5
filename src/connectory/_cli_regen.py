"""``connectory diff`` and ``connectory sync``: what changes when a vendor's spec does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from .cli import EXIT_BAD_INPUT, app, console, fail


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The spec as it was.")],
    new: Annotated[Path, typer.Argument(help="The spec as it is now.")],
    format: Annotated[
        str, typer.Option("--format", help="text, markdown or json.")
    ] = "text",
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 on any 'breaking' change, or on 'any' change."),
    ] = None,
) -> None:
    """Report every change between two versions of a spec, breaking or not."""
    from connectory.generator import SpecError
    from connectory.generator._diff import (
        diff_files,
        exit_status,
        render_json,
        render_markdown,
        render_text,
    )

    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    if format not in renderers:
        fail(f"--format: expected text, markdown or json, got {format!r}", EXIT_BAD_INPUT)
    if fail_on not in (None, "breaking", "any"):
        fail(f"--fail-on: expected breaking or any, got {fail_on!r}", EXIT_BAD_INPUT)
    try:
        result = diff_files(old, new)
    except SpecError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    console.print(renderers[format](result), markup=False, highlight=False, soft_wrap=True)
    mode: Literal["breaking", "any"] | None = fail_on  # type: ignore[assignment]
    raise typer.Exit(exit_status(result, mode))
