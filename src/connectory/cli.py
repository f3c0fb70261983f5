"""The ``connectory`` command line.

Commands live in small modules that register on `app`: this one has ``list``, ``demo``,
``generate`` and ``trim``; `connectory._cli_regen` has ``diff`` and ``sync``;
`connectory._cli_new` has ``new``. The command line needs the generator extra
(``pip install 'connectory[generator]'``); without it ``main`` says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

import connectory

app = typer.Typer(
    name="connectory",
    help="Typed connectors for business-app APIs, generated from their OpenAPI specs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _version(value: bool) -> None:
    if value:
        console.print(f"connectory {connectory.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Typed connectors for business-app APIs, generated from their OpenAPI specs."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` as an error on stderr and exit with `code`."""
    errors.print(f"[red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def connector_rows() -> list[dict[str, Any]]:
    """One row per installed connector: what `connectory list` shows."""
    import importlib

    from connectory.core import UniversalConnectorFactory

    factory = UniversalConnectorFactory()
    rows: list[dict[str, Any]] = []
    for name in factory.available():
        try:
            registration = factory.registration(name)
        except Exception as exc:  # a broken third-party entry point must not hide the rest
            errors.print(f"[yellow]warning:[/] connector {name!r} cannot be loaded: {exc}")
            continue
        config = registration.config
        resources = [r.name for r in registration.data_service_class.RESOURCES]
        module = registration.connector_class.__module__.rpartition(".")[0]
        info = None
        operations: int | None = None
        try:
            ops = importlib.import_module(f"{module}.operations")
            info = getattr(ops, "INFO", None)
            operations = len(ops.OPERATIONS)
        except ImportError:
            pass  # a hand-registered connector without an operations table
        rows.append(
            {
                "name": name,
                "display_name": config.display_name or name,
                "category": info.category if info else None,
                "auth": [s.type.value for s in config.auth_schemes],
                "base_url": config.base_url,
                "resources": resources,
                "operations": operations,
                "webhooks": config.webhook_support,
                "batch_operations": config.batch_operations,
                "real_time_sync": config.real_time_sync,
                "spec_source": info.spec_source if info else None,
                "spec_version": info.spec_version if info else None,
            }
        )
    return rows


@app.command("list")
def list_connectors(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the connectors installed in this environment."""
    rows = connector_rows()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(
        title=f"{len(rows)} connectors",
        caption="capabilities: webhooks (signed deliveries verified), batch "
        "(batch_get_metadata), sync (incremental changes since a checkpoint)",
    )
    table.add_column("name", no_wrap=True)
    table.add_column("auth", overflow="fold")  # one scheme a line
    table.add_column("resources")
    table.add_column("operations", justify="right")
    table.add_column("capabilities")
    for row in rows:
        resources = row["resources"]
        shown = ", ".join(resources[:3]) + (f" +{len(resources) - 3}" if len(resources) > 3 else "")
        table.add_row(
            row["name"],
            "\n".join(row["auth"]),
            shown or "-",
            str(row["operations"] if row["operations"] is not None else "-"),
            " ".join(_capabilities(row)) or "-",
        )
    console.print(table)


_CAPABILITIES = (
    ("webhooks", "webhooks"),
    ("batch_operations", "batch"),
    ("real_time_sync", "sync"),
)


def _capabilities(row: dict[str, Any]) -> list[str]:
    """The capability flags of a `connector_rows` row that are set, by their short names."""
    return [label for key, label in _CAPABILITIES if row[key]]


@app.command()
def demo() -> None:
    """Run a connector end to end against the embedded local demo service."""
    # The demo's retries show in its metrics table; stamina's per-retry warnings would
    # only repeat them on stderr.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    asyncio.run(_demo())


async def _demo() -> None:
    from connectory.demo import run_demo

    await run_demo(console)


def project_root() -> Path:
    """The project whose openapi_specs/ and generated/ the commands work on: the current
    directory if it has openapi_specs/, else the connectory source tree."""
    from connectory.generator._generate import REPOSITORY

    cwd = Path.cwd()
    return cwd if (cwd / "openapi_specs").is_dir() else REPOSITORY


def select(names: list[str] | None, all_: bool, specs_dir: Path) -> dict[str, Path]:
    from connectory.generator import find_definitions

    available = find_definitions(specs_dir)
    if all_:
        if names:
            fail("give connector names or --all, not both", EXIT_BAD_INPUT)
        return available
    if not names:
        fail("name the connectors to work on, or pass --all", EXIT_BAD_INPUT)
    unknown = [n for n in names if n not in available]
    if unknown:
        fail(
            f"no connector.yaml for {', '.join(unknown)} in {specs_dir}; "
            f"available: {', '.join(available) or 'none'}",
            EXIT_BAD_INPUT,
        )
    return {n: available[n] for n in names}


TemplatesOption = Annotated[
    Path | None,
    typer.Option(help="A folder of templates that override connectory's own, file by file."),
]


@app.command()
def generate(
    names: Annotated[list[str] | None, typer.Argument(help="Connectors to generate.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every connector in openapi_specs/.")] = False,
    spec: Annotated[
        Path | None, typer.Option(help="Generate from this spec file instead (with --name, --out).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Package name, with --spec.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="With --spec: the folder to write the package <name>/ into."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the coverage report (JSON) here.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if generated/ differs from a fresh run.")
    ] = False,
    templates: TemplatesOption = None,
) -> None:
    """Generate typed connector packages from OpenAPI specs."""
    from connectory.generator import GeneratorError

    try:
        if spec is not None:
            if names or all_ or check:
                fail("--spec takes no connector names, --all or --check", EXIT_BAD_INPUT)
            if name is None or out is None:
                fail("--spec needs --name and --out", EXIT_BAD_INPUT)
            _generate_spec(spec, name, out, report, templates)
            return
        root = project_root()
        selected = select(names, all_ or (check and not names), root / "openapi_specs")
        if check:
            _check(selected, root, templates)
            return
        if report is not None and len(selected) != 1:
            fail("--report goes with one connector; reports of many are in generated/", 2)
        _generate_many(selected, root, report, templates, everything=all_)
    except GeneratorError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def _generate_spec(
    spec: Path, name: str, out: Path, report: Path | None, templates: Path | None
) -> None:
    from connectory.generator import generate_spec

    started = time.perf_counter()
    result = generate_spec(spec, name, out / name, report=report, templates=templates)
    _print_reports([result.report.to_json()], time.perf_counter() - started)


def _generate_many(
    selected: dict[str, Path],
    root: Path,
    report: Path | None,
    templates: Path | None,
    *,
    everything: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from connectory.generator import (
        GeneratorError,
        find_definitions,
        generate,
        load_definition,
        write_connector_types,
    )
    from connectory.generator._catalog import write_catalog

    started = time.perf_counter()
    reports = []
    failed: list[str] = []
    columns = (
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("generating", total=len(selected))
        for connector, path in selected.items():
            progress.update(task, description=f"generating {connector}")
            try:
                definition = load_definition(path)
                result = generate(
                    definition,
                    root / "generated" / definition.name,
                    report=report,
                    templates=templates,
                )
            except GeneratorError as exc:
                # One bad definition does not stop the others; each package is written
                # whole or not at all, and the run fails at the end.
                errors.print(f"[red]error:[/] {exc}", highlight=False)
                failed.append(connector)
            else:
                reports.append(result.report.to_json())
            progress.advance(task)
    all_names = sorted(find_definitions(root / "openapi_specs"))
    if (root / "core").is_dir() and write_connector_types(root, all_names):
        errors.print("core/_connector_types.py: ConnectorType updated")
    if everything and (root / "generated").is_dir():
        write_catalog(root)
    _print_reports(reports, time.perf_counter() - started)
    if failed:
        fail(f"{len(failed)} connector(s) not generated: {', '.join(failed)}", EXIT_BAD_INPUT)


def _print_reports(reports: list[dict[str, Any]], seconds: float) -> None:
    table = Table(title=f"generated in {seconds:.2f} s")
    for column in ("connector", "operations", "typed", "untyped (spec)", "degraded", "models"):
        table.add_column(column)
    for item in reports:
        table.add_row(
            item["connector"],
            str(item["operations_total"]),
            str(item["operations_typed"]),
            str(len(item["operations_untyped"])),
            str(len(item["operations_degraded"])),
            str(item["models_generated"] + item["enums_generated"] + item["aliases_generated"]),
        )
    console.print(table)


def _check(selected: dict[str, Path], root: Path, templates: Path | None) -> None:
    from connectory.generator import check as check_tree
    from connectory.generator import check_connector_types, find_definitions, load_definition
    from connectory.generator._catalog import catalog_text

    definitions = [load_definition(path) for path in selected.values()]
    differing = check_tree(definitions, root / "generated", templates=templates)
    all_names = sorted(find_definitions(root / "openapi_specs"))
    if (root / "core").is_dir() and not check_connector_types(root, all_names):
        differing.append("core/_connector_types.py")
    catalog = root / "CONNECTORS.md"
    if catalog.exists() and catalog.read_text(encoding="utf-8") != catalog_text(root):
        differing.append("CONNECTORS.md")
    if differing:
        errors.print("generated code differs from what the generator writes today:")
        for item in differing:
            errors.print(f"  {item}", highlight=False, markup=False)
        errors.print("run: connectory generate --all")
        raise typer.Exit(1)
    console.print(f"generated/ is up to date ({len(definitions)} connectors)")


@app.command()
def trim(
    names: Annotated[list[str] | None, typer.Argument(help="Connectors to trim.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every connector in openapi_specs/.")] = False,
    source_dir: Annotated[Path, typer.Option(help="Where the full vendor specs are.")] = Path(
        "../shared/specs/business"
    ),
) -> None:
    """Cut vendor specs down to what each connector.yaml uses, without vendor prose."""
    from connectory.generator import GeneratorError, load_definition
    from connectory.generator._definition import included_operations
    from connectory.generator._trim import trim as trim_spec
    from connectory.generator._trim import write_trimmed

    root = project_root()
    selected = select(names, all_, root / "openapi_specs")
    try:
        for connector, path in selected.items():
            definition = load_definition(path)
            if not definition.source_spec:
                if all_:
                    continue  # a spec of our own: nothing to cut
                fail(f"{path}: source_spec: missing, so there is nothing to trim", 2)
            source = source_dir / definition.source_spec
            document = trim_spec(
                source, included_operations(definition), webhooks=definition.webhook_events
            )
            write_trimmed(document, definition.spec)
            console.print(
                f"{connector}: {len(document['paths'])} paths -> {definition.spec}",
                highlight=False,
            )
    except GeneratorError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def _register_commands() -> None:
    """Import the modules whose commands register on `app`."""
    from . import _cli_new, _cli_regen  # noqa: F401


_register_commands()


def main() -> None:
    app()
