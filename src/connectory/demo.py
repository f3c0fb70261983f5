"""The embedded demo: a hand-written connector for a small "tasks" service, and that
service itself, served over real HTTP on 127.0.0.1 so the demo needs no account,
no credentials and no network.

The service pages projects with a body cursor and tasks with a Link header, requires a
bearer token, and fails once with 503 and once with 429 so the run shows retries.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from connectory.core import (
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    ConnectorRegistration,
    ConnectorType,
    CursorInBody,
    LinkHeader,
    Resource,
)

if TYPE_CHECKING:
    from rich.console import Console

DEMO_TOKEN = "demo-token-not-a-secret"  # the local fake service's only token

PROJECTS = [{"id": f"p{i}", "name": f"Project {i}", "archived": i % 4 == 0} for i in range(1, 8)]
TASKS = [
    {"id": i, "project_id": f"p{1 + i % 7}", "title": f"Task {i}", "done": i % 3 == 0}
    for i in range(1, 24)
]

DEMO_CONFIG = ConnectorConfig(
    connector_type=ConnectorType.DEMO,
    authentication_type=AuthenticationType.BEARER_TOKEN,
    base_url="http://127.0.0.1:9/v1",  # replaced by the running server's address
    api_version="v1",
    rate_limits={"requests_per_second": 50, "requests_per_minute": 1000},
    credential_fields=("access_token",),
    display_name="Demo tasks service",
    health_check_path="me",
    retry={"wait_initial": 0.05, "wait_max": 0.2, "wait_jitter": 0.05},
    batch_operations=True,  # projects and tasks can be fetched by id
)


class DemoAuthenticationService(BaseAuthenticationService):
    """Bearer token auth; the base class does all of it."""


class DemoDataService(BaseDataService):
    RESOURCES = (
        Resource(
            name="projects",
            list_path="projects",
            get_path="projects/{id}",
            items_path="projects",
            paginator=CursorInBody(cursor_path="next_cursor", cursor_param="cursor"),
            description="Projects, paged with a cursor in the body",
        ),
        Resource(
            name="tasks",
            list_path="tasks",
            get_path="tasks/{id}",
            paginator=LinkHeader(),
            description="Tasks, paged with a Link header",
        ),
    )


class DemoConnector(BaseConnectorService):
    """The demo service's connector."""


REGISTRATION = ConnectorRegistration(
    connector_type=ConnectorType.DEMO,
    connector_class=DemoConnector,
    auth_service_class=DemoAuthenticationService,
    data_service_class=DemoDataService,
    config=DEMO_CONFIG,
)


class _Handler(BaseHTTPRequestHandler):
    server: _DemoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo's output clean."""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        state = self.server
        with state.lock:
            state.requests += 1
            count = state.requests
        if self.headers.get("Authorization") != f"Bearer {DEMO_TOKEN}":
            self._send(401, {"error": "invalid_token"})
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p][1:]  # drop the "v1" prefix
        if state.flaky and count in (3, 6):
            # One 503 and one 429: the connector retries both and the caller never sees them.
            if count == 3:
                self._send(503, {"error": "temporarily unavailable"})
            else:
                self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
            return
        if parts == ["me"]:
            self._send(200, {"id": "u1", "name": "Demo User"})
        elif parts == ["projects"]:
            start = int(query.get("cursor", "0"))
            page = PROJECTS[start : start + 3]
            nxt = start + 3 if start + 3 < len(PROJECTS) else None
            self._send(200, {"projects": page, "next_cursor": str(nxt) if nxt else None})
        elif parts == ["tasks"]:
            page_no = int(query.get("page", "1"))
            size = 10
            page = TASKS[(page_no - 1) * size : page_no * size]
            headers = {}
            if page_no * size < len(TASKS):
                base = f"http://{self.headers['Host']}/v1/tasks"
                headers["Link"] = f'<{base}?page={page_no + 1}>; rel="next"'
            self._send(200, page, headers)
        elif len(parts) == 2 and parts[0] in ("projects", "tasks"):
            items = PROJECTS if parts[0] == "projects" else TASKS
            found = [item for item in items if str(item["id"]) == parts[1]]
            if found:
                self._send(200, found[0])
            else:
                self._send(404, {"error": "not found"})
        else:
            self._send(404, {"error": "no such endpoint"})


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, flaky: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests = 0
        self.flaky = flaky


@contextmanager
def serve_demo(*, flaky: bool = True) -> Iterator[str]:
    """Run the demo service on a free local port; yields its base URL."""
    server = _DemoServer(flaky=flaky)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="connectory-demo", daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def run_demo(console: Console) -> None:
    """The demo the command line runs: the seed's factory, builder and services against
    the local service, with metrics and health at the end."""
    import time

    from rich.table import Table

    from connectory.core import ConnectorBuilder, UniversalConnectorFactory

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
            _print_metrics(console, connector.monitoring_service.metrics_snapshot())
            health = await connector.monitoring_service.get_health_status()
            console.print(f"health: [bold]{health['status']}[/] {health}")
        console.print(f"done in {time.perf_counter() - started:.2f} s")


def _print_metrics(console: Console, snapshot: dict[str, Any]) -> None:
    from rich.table import Table

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
