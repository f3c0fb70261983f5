"""What `MonitoringService` records reaches OpenTelemetry instruments on the global
MeterProvider: requests, their durations, errors and custom metrics."""

from __future__ import annotations

import pytest

from connectory.core import MonitoringService, NotFoundError
from tests.local_server import LocalServer
from tests.otel._vendor import CONNECTOR, KINDS, connector
from tests.otel.conftest import Telemetry


async def test_requests_durations_and_errors_are_exported(
    telemetry: Telemetry, server: LocalServer
) -> None:
    async with connector(server.url, KINDS["bearer"]) as otel:
        await otel.items.get("flaky")  # 503, then 200
        with pytest.raises(NotFoundError):
            await otel.items.get("missing")

    found = telemetry.metrics()
    base = {"connectory.connector": CONNECTOR, "connectory.operation": "items.get"}
    expected = [
        {**base, "connectory.retry": False, "http.response.status_code": 503, "error.type": "503"},
        {**base, "connectory.retry": True, "http.response.status_code": 200},
        {**base, "connectory.retry": False, "http.response.status_code": 404, "error.type": "404"},
    ]
    key = repr
    for name in ("connectory.requests", "connectory.request.duration"):
        points = found[name]
        assert sorted(map(key, (p.attributes for p in points))) == sorted(map(key, expected))
        assert all(p.value == 1 for p in points)  # one request / one duration sample each
    [error] = found["connectory.errors"]
    assert error.attributes == {
        "connectory.connector": CONNECTOR,
        "connectory.operation": "items.get",
        "error.type": "connectory.core.NotFoundError",
        "http.response.status_code": 404,
    }
    assert error.value == 1


async def test_record_metric_is_exported_with_its_redacted_labels(
    telemetry: Telemetry, server: LocalServer
) -> None:
    async with connector(server.url, KINDS["bearer"]) as otel:
        monitor = otel.monitoring_service
        monitor.record_metric("records.synced", 5, {"stream": "users", "token": "t0k3n-value"})
        monitor.record_metric("records.synced", -2, {"stream": "users", "token": "t0k3n-value"})
        monitor.record_metric("rows synced", 1)

    found = telemetry.metrics()
    [synced] = found["records.synced"]
    assert synced.attributes == {
        "stream": "users",
        "token": "***",
        "connectory.connector": CONNECTOR,
    }
    assert synced.value == 3
    [rows] = found["rows_synced"]
    assert rows.attributes == {"connectory.connector": CONNECTOR}
    assert rows.value == 1


def test_a_monitoring_service_without_telemetry_exports_nothing(telemetry: Telemetry) -> None:
    monitor = MonitoringService("quiet", telemetry=False)
    monitor.record_request("op", 200, 0.01)
    monitor.record_error(RuntimeError("boom"))
    monitor.record_metric("quiet.metric", 1)
    assert monitor.metrics_snapshot()["operations"]["op"]["requests"] == 1
    assert telemetry.metrics() == {}

    exported = MonitoringService("loud")
    exported.record_request("op", None, 0.01, retry=True)
    exported.record_error(RuntimeError("boom"))
    found = telemetry.metrics()
    [request] = found["connectory.requests"]
    assert request.attributes == {
        "connectory.connector": "loud",
        "connectory.operation": "op",
        "connectory.retry": True,
        "error.type": "no_response",
    }
    [error] = found["connectory.errors"]
    assert error.attributes == {"connectory.connector": "loud", "error.type": "RuntimeError"}
