"""``connectory diff`` and ``connectory sync``: what changes when a vendor's spec does.

``diff OLD NEW`` compares two spec files. ``diff --connector NAME --spec NEW`` regenerates
the connector from the new spec in a scratch folder and compares both the spec and the
generated Python API with what the project has; ``--check-code PATH`` type-checks the
user's code against both. ``sync NAME --spec NEW`` writes the regenerated connector, its
trimmed spec and a changelog entry (``--dry-run``: only shows them). The work itself is in
`connectory.generator._sync` and `connectory.generator._check_code`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import typer

from .cli import EXIT_BAD_INPUT, app, console, errors, fail, project_root


def _emit(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True, emoji=False, end="")


# A folder to keep mypy's cache in between `diff --check-code` runs (faster after the first).
MYPY_CACHE_VARIABLE = "CONNECTORY_MYPY_CACHE_DIR"
FailOn = Literal["breaking", "any"]
Format = Literal["text", "markdown", "json"]


def _check_options(format: str, fail_on: str | None) -> tuple[Format, FailOn | None]:
    formats: dict[str, Format] = {"text": "text", "markdown": "markdown", "json": "json"}
    modes: dict[str | None, FailOn | None] = {None: None, "breaking": "breaking", "any": "any"}
    if format not in formats:
        fail(f"--format: expected text, markdown or json, got {format!r}", EXIT_BAD_INPUT)
    if fail_on not in modes:
        fail(f"--fail-on: expected breaking or any, got {fail_on!r}", EXIT_BAD_INPUT)
    return formats[format], modes[fail_on]


@app.command()
def diff(
    old: Annotated[
        Path | None, typer.Argument(help="The spec as it was (to compare two spec files).")
    ] = None,
    new: Annotated[Path | None, typer.Argument(help="The spec as it is now.")] = None,
    connector: Annotated[
        str | None,
        typer.Option(
            "--connector", help="Regenerate this connector from --spec and compare its API."
        ),
    ] = None,
    spec: Annotated[
        str | None,
        typer.Option("--spec", help="With --connector: the new spec, a file or an http(s) URL."),
    ] = None,
    check_code: Annotated[
        Path | None,
        typer.Option(
            "--check-code",
            help="With --connector: type-check this file or folder against the regenerated "
            f"connector and report the errors the change causes (${MYPY_CACHE_VARIABLE}: "
            "a folder to keep mypy's cache in).",
        ),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="text, markdown or json.")] = "text",
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 on any 'breaking' change, or on 'any' change."),
    ] = None,
) -> None:
    """Report every change between two versions of a spec, or what a new spec changes in a
    connector's Python API (and in your code)."""
    chosen, mode = _check_options(format, fail_on)
    if connector is None and spec is None and check_code is None:
        if old is None or new is None:
            fail("give two spec files, or --connector NAME --spec NEW_SPEC", EXIT_BAD_INPUT)
        _diff_specs(old, new, chosen, mode)
    if old is not None or new is not None:
        fail("give two spec files or --connector/--spec, not both", EXIT_BAD_INPUT)
    if connector is None or spec is None:
        fail("--connector and --spec go together", EXIT_BAD_INPUT)
    _diff_connector(connector, spec, check_code, chosen, mode)


def _diff_specs(old: Path, new: Path, format: Format, mode: FailOn | None) -> None:
    from connectory.generator import SpecError
    from connectory.generator._diff import (
        diff_files,
        exit_status,
        render_json,
        render_markdown,
        render_text,
    )

    renderers = {"text": render_text, "markdown": render_markdown, "json": render_json}
    try:
        result = diff_files(old, new)
    except SpecError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    _emit(renderers[format](result))
    raise typer.Exit(exit_status(result, mode))


def _diff_connector(
    name: str,
    spec: str,
    check_code: Path | None,
    format: Format,
    mode: FailOn | None,
) -> None:
    from connectory.generator import GeneratorError
    from connectory.generator._check_code import check_code as run_check
    from connectory.generator._sync import regenerate, render_report

    root = project_root()
    with tempfile.TemporaryDirectory(prefix="connectory-diff-") as scratch:
        work = Path(scratch)
        try:
            regeneration = regenerate(root, name, spec, work)
            code = None
            if check_code is not None:
                code = run_check(
                    check_code,
                    regeneration.name,
                    regeneration.old_package,
                    regeneration.new_package,
                    regeneration.api_changes,
                    work / "check",
                    cache=Path(cache) if (cache := os.environ.get(MYPY_CACHE_VARIABLE)) else None,
                )
        except GeneratorError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        _emit(render_report(regeneration, format, code))
    status = 0
    if mode == "breaking" and regeneration.breaking:
        status = 1
    if mode == "any" and regeneration.changed:
        status = 1
    if code is not None and code.new:
        status = 1
    raise typer.Exit(status)


@app.command()
def sync(
    name: Annotated[str, typer.Argument(help="The connector to regenerate.")],
    spec: Annotated[
        str, typer.Option("--spec", help="The new upstream spec: a file or an http(s) URL.")
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the report and the diff of every file; write nothing."
        ),
    ] = False,
) -> None:
    """Regenerate a connector from a new upstream spec: report, trimmed spec, package,
    changelog entry."""
    from connectory.generator import GeneratorError
    from connectory.generator._sync import (
        apply,
        planned_files,
        regenerate,
        render_report,
        unified_diff,
    )

    root = project_root()
    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="connectory-sync-") as scratch:
        try:
            regeneration = regenerate(root, name, spec, Path(scratch), keep_missing=False)
            planned = planned_files(regeneration, today)
        except GeneratorError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        _emit(render_report(regeneration))
        if not planned:
            _emit(f"\n{name} is up to date with {spec}: nothing to write.\n")
            return
        if dry_run:
            _emit(f"\nWould change {len(planned)} files (--dry-run: nothing written):\n\n")
            _emit(unified_diff(regeneration, planned))
            return
        try:
            written = apply(regeneration, today)
        except GeneratorError as exc:
            fail(str(exc))
    shown = ", ".join(_relative(path, root) for path in written)
    _emit(f"\nWrote {shown}.\nSuggested version bump: {regeneration.bump}.\n")
    if regeneration.breaking:
        errors.print(
            f"{name}: breaking changes; see {_relative(regeneration.definition.path.parent, root)}"
            "/CHANGELOG.md",
            highlight=False,
            markup=False,
        )


def _relative(path: Path, root: Path) -> str:
    resolved, base = path.resolve(), root.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)
