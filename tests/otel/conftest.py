"""The OpenTelemetry SDK's in-memory span exporter and metric reader, installed as the
global providers (once per process, as an application would) for this package's tests.

Metrics are read as deltas, so each test sees only what it recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider, UpDownCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.local_server import LocalServer, serve
from tests.otel._vendor import KINDS, Vendor


@attrs.frozen
class Point:
    """One data point of a metric: its attributes and its value (a histogram's count)."""

    attributes: dict[str, Any]
    value: float


@attrs.frozen
class Telemetry:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, oldest first."""
        return sorted(self.exporter.get_finished_spans(), key=lambda s: s.start_time or 0)

    def ours(self, kind: SpanKind) -> list[ReadableSpan]:
        return [
            s
            for s in self.spans()
            if s.kind is kind
            and s.instrumentation_scope is not None
            and s.instrumentation_scope.name == "connectory"
        ]

    def calls(self) -> list[ReadableSpan]:
        return self.ours(SpanKind.INTERNAL)

    def attempts(self) -> list[ReadableSpan]:
        return self.ours(SpanKind.CLIENT)

    def metrics(self) -> dict[str, list[Point]]:
        """Data points recorded since the last read, by instrument, of connectory's meter."""
        found: dict[str, list[Point]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                if scope.scope.name != "connectory":
                    continue
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        if isinstance(point, NumberDataPoint):
                            value: float = point.value
                        else:  # a histogram: how many values it holds
                            value = point.count
                        found.setdefault(metric.name, []).append(
                            Point(dict(point.attributes or {}), value)
                        )
        return found

    def reset(self) -> None:
        self.exporter.clear()
        self.reader.get_metrics_data()


@pytest.fixture(scope="package")
def _providers() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    delta = AggregationTemporality.DELTA
    reader = InMemoryMetricReader(
        preferred_temporality={Counter: delta, UpDownCounter: delta, Histogram: delta}
    )
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    assert trace.get_tracer_provider() is tracer_provider, "a tracer provider was set before"
    assert metrics.get_meter_provider() is meter_provider, "a meter provider was set before"
    yield Telemetry(exporter, reader)
    # Later tests in this process still make spans: the stopped exporter drops them
    # (shutting the provider down instead would log a warning for each one).
    exporter.shutdown()


@pytest.fixture
def telemetry(_providers: Telemetry) -> Telemetry:
    """What the tests' connectors export, starting empty."""
    _providers.reset()
    return _providers


@pytest.fixture
def vendor() -> Vendor:
    return Vendor(KINDS["bearer"].valid)


@pytest.fixture
def server(vendor: Vendor) -> Iterator[LocalServer]:
    with serve(vendor) as running:
        yield running
