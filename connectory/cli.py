"""The ``connectory`` command line."""

from __future__ import annotations

import asyncio
import logging
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

EXIT_NOT_BUILT = 2


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


@app.command("list")
def list_connectors() -> None:
    """List the connectors installed in this environment."""
    from connectory.core import UniversalConnectorFactory

    factory = UniversalConnectorFactory()
    table = Table(title="Installed connectors")
    for column in ("name", "display name", "auth", "base URL"):
        table.add_column(column)
    for name in factory.available():
        config = factory.registration(name).config
        table.add_row(
            name,
            config.display_name or name,
            config.authentication_type.value,
            config.base_url,
        )
    console.print(table)


@app.command()
def demo() -> None:
    """Run a connector end to end against the embedded local demo service."""
    # The demo's retries show in its metrics table; stamina's per-retry warnings would
    # only repeat them on stderr.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    asyncio.run(_demo())


async def _demo() -> None:
    from connectory.core import ConnectorBuilder, UniversalConnectorFactory
    from connectory.demo import DEMO_TOKEN, REGISTRATION, serve_demo

    factory = UniversalConnectorFactory()
    factory.register(REGISTRATION)
    with serve_demo() as base_url:
        config = REGISTRATION.config.evolve(base_url=base_url)
        console.print(f"[bold]Demo service[/] listening on {base_url}")
        started = time.perf_counter()
        connector = ConnectorBuilder(factory).for_connector_type("demo").with_config(config).build()
        async with connector:
            connected = await connector.connect({"access_token": DEMO_TOKEN})
            console.print(f"connect(): {connected}")
            data = connector.data_service
            resources = await data.list_items("/")
            table = Table(title='list_items("/")')
            for column in ("resource", "list", "get", "description"):
                table.add_column(column)
            for resource in resources:
                table.add_row(
                    resource["name"], resource["list"], resource["get"], resource["description"]
                )
            console.print(table)
            for path in ("/projects", "/tasks"):
                items = await data.list_items(path)
                console.print(f'list_items("{path}"): {len(items)} items, e.g. {items[0]}')
            console.print(f'get_item_metadata("p2"): {await data.get_item_metadata("p2")}')
            missing = await data.get_item_metadata("/tasks/999")
            console.print(f'get_item_metadata("/tasks/999"): {missing}')
            _print_metrics(connector.monitoring_service.metrics_snapshot())
            health = await connector.monitoring_service.get_health_status()
            console.print(f"health: [bold]{health['status']}[/] {health}")
        console.print(f"done in {time.perf_counter() - started:.2f} s")


def _print_metrics(snapshot: dict[str, Any]) -> None:
    table = Table(title=f"metrics of {snapshot['connector']}")
    for column in ("operation", "requests", "retries", "errors", "statuses", "p50 ms"):
        table.add_column(column)
    for operation, stats in snapshot["operations"].items():
        table.add_row(
            operation,
            str(stats["requests"]),
            str(stats["retries"]),
            str(stats["errors"]),
            ", ".join(f"{code}x{n}" for code, n in stats["statuses"].items()),
            f"{stats['latency_ms']['p50']:.2f}",
        )
    console.print(table)


def _project_root() -> Path:
    """The project whose openapi_specs/ and generated/ the commands work on: the current
    directory if it has openapi_specs/, else the connectory source tree."""
    from connectory.generator._generate import REPOSITORY

    cwd = Path.cwd()
    return cwd if (cwd / "openapi_specs").is_dir() else REPOSITORY


def _fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def _select(names: list[str] | None, all_: bool, specs_dir: Path) -> dict[str, Path]:
    from connectory.generator import find_definitions

    available = find_definitions(specs_dir)
    if all_:
        if names:
            _fail("give connector names or --all, not both", 2)
        return available
    if not names:
        _fail("name the connectors to work on, or pass --all", 2)
    unknown = [n for n in names if n not in available]
    if unknown:
        _fail(
            f"no connector.yaml for {', '.join(unknown)} in {specs_dir}; "
            f"available: {', '.join(available) or 'none'}",
            2,
        )
    return {n: available[n] for n in names}


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
) -> None:
    """Generate typed connector packages from OpenAPI specs."""
    from connectory.generator import GeneratorError

    try:
        if spec is not None:
            if names or all_ or check:
                _fail("--spec takes no connector names, --all or --check", 2)
            if name is None or out is None:
                _fail("--spec needs --name and --out", 2)
            _generate_spec(spec, name, out, report)
            return
        root = _project_root()
        selected = _select(names, all_ or (check and not names), root / "openapi_specs")
        if check:
            _check(selected, root)
            return
        if report is not None and len(selected) != 1:
            _fail("--report goes with one connector; reports of many are in generated/", 2)
        _generate_many(selected, root, report)
    except GeneratorError as exc:
        _fail(str(exc))


def _generate_spec(spec: Path, name: str, out: Path, report: Path | None) -> None:
    from connectory.generator import generate_spec

    started = time.perf_counter()
    result = generate_spec(spec, name, out / name, report=report)
    _print_reports([result.report], time.perf_counter() - started)


def _generate_many(selected: dict[str, Path], root: Path, report: Path | None) -> None:
    from rich.progress import Progress

    from connectory.generator import generate, load_definition, sync_entry_points

    started = time.perf_counter()
    reports = []
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("generating", total=len(selected))
        for connector, path in selected.items():
            progress.update(task, description=f"generating {connector}")
            definition = load_definition(path)
            result = generate(definition, root / "generated" / definition.name, report=report)
            reports.append(result.report)
            progress.advance(task)
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        generated = sorted(p.parent.name for p in (root / "generated").glob("*/connector.py"))
        if sync_entry_points(pyproject, generated):
            errors.print(
                "pyproject.toml: entry points updated; reinstall (pip install -e .) "
                "to register new connectors"
            )
    _print_reports(reports, time.perf_counter() - started)


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
            str(item["models_generated"] + item["enums_generated"]),
        )
    console.print(table)


def _check(selected: dict[str, Path], root: Path) -> None:
    from connectory.generator import check as check_tree
    from connectory.generator import load_definition
    from connectory.generator._generate import ENTRY_POINTS_HEADER, entry_point_lines

    definitions = [load_definition(path) for path in selected.values()]
    differing = check_tree(definitions, root / "generated")
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        text = pyproject.read_text(encoding="utf-8")
        table = text.partition(ENTRY_POINTS_HEADER + "\n")[2].partition("\n\n")[0]
        for line in entry_point_lines(d.name for d in definitions):
            if line not in table.splitlines():
                differing.append(f"pyproject.toml: missing entry point {line}")
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

    root = _project_root()
    selected = _select(names, all_, root / "openapi_specs")
    try:
        for connector, path in selected.items():
            definition = load_definition(path)
            if not definition.source_spec:
                _fail(f"{path}: source_spec: missing, so there is nothing to trim", 2)
            source = source_dir / definition.source_spec
            document = trim_spec(source, included_operations(definition))
            write_trimmed(document, definition.spec)
            console.print(
                f"{connector}: {len(document['paths'])} paths -> {definition.spec}",
                highlight=False,
            )
    except GeneratorError as exc:
        _fail(str(exc))


def _not_built(command: str, issue: str) -> None:
    errors.print(
        f"connectory {command}: not built yet ({issue}). Nothing was done.",
    )
    raise typer.Exit(EXIT_NOT_BUILT)


_PENDING = {
    "diff": ("Report breaking changes between two versions of a spec.", "the API-change issue"),
    "sync": ("Regenerate connectors whose vendor spec changed.", "the API-change issue"),
    "new": ("Scaffold a new connector definition with copier.", "the scaffolding issue"),
    "check": ("Verify connectors against their specs.", "the verification issue"),
}


def _register_pending(name: str, summary: str, issue: str) -> None:
    def command(
        args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    ) -> None:
        _not_built(name, issue)

    command.__doc__ = f"{summary} (not built yet)"
    app.command(name, context_settings={"ignore_unknown_options": True})(command)


for _name, (_summary, _issue) in _PENDING.items():
    _register_pending(_name, _summary, _issue)


def main() -> None:
    app()
