"""Without opentelemetry-api a connector works as before and nothing imports it; with it
installed, importing the core or using a connector with ``telemetry=False`` imports
nothing of it either. Each case runs in a fresh interpreter against a real local server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from tests.local_server import LocalServer
from tests.otel._vendor import Vendor

# Makes every ``opentelemetry`` module unimportable, as if the package were not installed.
BLOCK = """
import sys

class BlockOpenTelemetry:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, BlockOpenTelemetry())
try:
    import opentelemetry.trace
except ImportError:
    pass
else:
    raise SystemExit("the block did not work")
"""

USE_A_CONNECTOR = """
import asyncio, json, sys
from connectory.core import (
    AuthenticationType, BaseAuthenticationService, BaseConnectorService, BaseDataService,
    ConnectorConfig, RetryPolicy, UniversalConnectorFactory,
)

config = ConnectorConfig(
    connector_type="custom",
    name="plain",
    authentication_type=AuthenticationType.BEARER_TOKEN,
    base_url=BASE_URL + "/v1/",
    retry=RetryPolicy(attempts=3, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0),
)
factory = UniversalConnectorFactory(discover=False)
factory.register_connector_implementation(
    "custom", BaseConnectorService, BaseAuthenticationService, BaseDataService, config
)

async def main():
    async with factory.create_connector("custom", **OPTIONS) as connector:
        connector.use_credentials({"access_token": "bearer-SECRET-4f1d2c"})
        body = await connector.request("GET", "/items/flaky")
        connector.monitoring_service.record_metric("synced", 1)
        stats = connector.monitoring_service.metrics_snapshot()["operations"]["request"]
        return body, stats["requests"], stats["retries"]

body, requests, retries = asyncio.run(main())
print(json.dumps({
    "body": body,
    "requests": requests,
    "retries": retries,
    "otel": sorted(name for name in sys.modules if name.startswith("opentelemetry")),
}))
"""


def _run(source: str) -> dict[str, Any]:
    program = textwrap.dedent(source)
    completed = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _connector_program(server: LocalServer, options: str = "{}") -> str:
    return f"BASE_URL = {server.url!r}\nOPTIONS = {options}\n{USE_A_CONNECTOR}"


def test_a_connector_works_without_opentelemetry_and_imports_none_of_it(
    server: LocalServer, vendor: Vendor
) -> None:
    result = _run(BLOCK + _connector_program(server))
    assert result == {"body": {"id": "flaky"}, "requests": 2, "retries": 1, "otel": []}
    assert vendor.calls["/v1/items/flaky"] == 2


def test_telemetry_false_imports_no_opentelemetry_even_when_installed(
    server: LocalServer,
) -> None:
    result = _run(_connector_program(server, '{"telemetry": False}'))
    assert result["body"] == {"id": "flaky"}
    assert result["otel"] == []


def test_importing_the_core_imports_no_opentelemetry() -> None:
    result = _run(
        """
        import json, sys
        import connectory.core, connectory.core.resources, connectory.core.testing
        import connectory.core._otel
        print(json.dumps({"otel": [m for m in sys.modules if m.startswith("opentelemetry")]}))
        """
    )
    assert result == {"otel": []}


def test_a_connector_imports_opentelemetry_when_it_is_installed(server: LocalServer) -> None:
    """The counterpart of the tests above: they would pass vacuously if it never did."""
    result = _run(_connector_program(server))
    assert result["body"] == {"id": "flaky"}
    assert "opentelemetry.trace" in result["otel"]
    assert "opentelemetry.metrics" in result["otel"]


SDK_INSTALLED_LATER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

async def two_calls():
    async with factory.create_connector("custom") as connector:
        connector.use_credentials({"access_token": "bearer-SECRET-4f1d2c"})
        await connector.request("GET", "/items/one")  # no SDK yet: the API records nothing
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        await connector.request("GET", "/items/two")

exporter = InMemorySpanExporter()
asyncio.run(two_calls())
spans = exporter.get_finished_spans()
print(json.dumps({"spans": sorted(f"{s.kind.name} {s.attributes['url.full']}" for s in spans)}))
"""


def test_an_sdk_installed_after_the_connector_was_built_gets_its_spans(
    server: LocalServer,
) -> None:
    """Until an SDK is installed the API's spans record nothing, so none are built; a
    provider installed later is used from the next call on."""
    program = _connector_program(server).split("body, requests, retries")[0]
    result = _run(program + SDK_INSTALLED_LATER)
    url = f"{server.url}/v1/items/two"
    assert result == {"spans": [f"CLIENT {url}", f"INTERNAL {url}"]}
