"""The ``connectory`` command line."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated, Any

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


def _not_built(command: str, issue: str) -> None:
    errors.print(
        f"connectory {command}: not built yet ({issue}). Nothing was done.",
    )
    raise typer.Exit(EXIT_NOT_BUILT)


_PENDING = {
    "generate": ("Generate connector packages from OpenAPI specs.", "the generator issue"),
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
