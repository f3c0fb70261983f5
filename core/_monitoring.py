"""Request counts, errors and latency per connector and operation; events; health status."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from ._interfaces import IMonitoringService
from ._otel import Instruments, metric_instruments
from ._redact import MASK, SENSITIVE_NAMES, redact

_RECENT = 200  # requests the health status looks back over
_LATENCIES = 1024  # latency samples kept per operation for percentiles
_EVENTS = 500
_SENSITIVE = frozenset(name.lower() for name in SENSITIVE_NAMES)


def _redact_pair(key: Any, value: Any) -> tuple[str, str]:
    """A tag or event field, redacted. Key and value are redacted apart, so a sensitive key's
    value ({"token": "abc"}) would pass `redact` untouched: it is masked whole instead."""
    name = str(key)
    if name.lower() in _SENSITIVE:
        return redact(name), MASK
    return redact(name), redact(str(value))


class OperationStats:
    """Counters and recent latencies of one operation."""

    __slots__ = ("errors", "latencies", "requests", "retries", "seconds_total", "statuses")

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.retries = 0
        self.seconds_total = 0.0
        self.statuses: dict[int, int] = {}
        self.latencies: deque[float] = deque(maxlen=_LATENCIES)

    def snapshot(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "requests": self.requests,
            "errors": self.errors,
            "retries": self.retries,
            "statuses": dict(sorted(self.statuses.items())),
            "latency_ms": {
                "mean": round(1000 * self.seconds_total / self.requests, 3) if self.requests else 0,
                "p50": round(1000 * _percentile(ordered, 0.50), 3),
                "p95": round(1000 * _percentile(ordered, 0.95), 3),
                "max": round(1000 * ordered[-1], 3) if ordered else 0,
            },
        }


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class MonitoringService(IMonitoringService):
    """The seed's monitoring service, kept in memory per connector.

    The transport calls `record_request` for every attempt; users and services may record
    their own metrics and events. Labels and event data pass through redaction. With
    opentelemetry-api installed, requests, errors and metrics are also recorded into
    OpenTelemetry instruments (docs/observability.md); ``telemetry=False`` keeps them here.
    """

    _instruments: Instruments | None = None

    def __init__(
        self, connector: str = "connector", *, clock: Any = time.time, telemetry: bool = True
    ) -> None:
        self.connector = connector
        if telemetry:
            self._instruments = metric_instruments()
        self._clock = clock
        self.operations: dict[str, OperationStats] = {}
        self.metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.events: deque[dict[str, Any]] = deque(maxlen=_EVENTS)
        self._recent: deque[bool] = deque(maxlen=_RECENT)
        self.last_success_at: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.connected = False

    def __repr__(self) -> str:
        return f"MonitoringService(connector={self.connector!r})"

    def record_request(
        self, operation: str, status: int | None, seconds: float, *, retry: bool = False
    ) -> None:
        """Count one request attempt. `status` None means no response (a transport error)."""
        stats = self.operations.get(operation)
        if stats is None:
            stats = self.operations[operation] = OperationStats()
        stats.requests += 1
        stats.seconds_total += seconds
        stats.latencies.append(seconds)
        if retry:
            stats.retries += 1
        failed = status is None or status >= 500 or status == 429
        if status is not None:
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
        if failed or (status is not None and status >= 400):
            stats.errors += 1
        self._recent.append(failed)
        if not failed:
            self.last_success_at = self._clock()
        if self._instruments is not None:
            self._instruments.request(self.connector, operation, status, seconds, retry=retry)

    def record_error(self, error: BaseException) -> None:
        self.last_error = redact(f"{type(error).__name__}: {error}")[:300]
        self.last_error_at = self._clock()
        if self._instruments is not None:
            self._instruments.error(self.connector, error)

    def record_metric(self, name: str, value: float, tags: Mapping[str, Any] | None = None) -> None:
        """Add `value` to the metric `name` with the given tags (labels)."""
        labels = tuple(sorted(_redact_pair(k, v) for k, v in (tags or {}).items()))
        key = (redact(name), labels)
        self.metrics[key] = self.metrics.get(key, 0.0) + value
        if self._instruments is not None:
            self._instruments.metric(self.connector, key[0], value, dict(labels))

    def record_event(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        self.events.append(
            {
                "event": redact(name),
                "at": self._clock(),
                "data": dict(_redact_pair(k, v) for k, v in (data or {}).items()),
            }
        )

    def metrics_snapshot(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "operations": {op: s.snapshot() for op, s in sorted(self.operations.items())},
            "metrics": [
                {"name": name, "tags": dict(labels), "value": value}
                for (name, labels), value in sorted(self.metrics.items())
            ],
        }

    async def get_health_status(self) -> dict[str, Any]:
        """healthy, degraded or unhealthy, from the recent failure rate, with the figures."""
        recent = len(self._recent)
        failures = sum(self._recent)
        rate = failures / recent if recent else 0.0
        if recent and rate >= 0.5:
            status = "unhealthy"
        elif rate >= 0.1:
            status = "degraded"
        else:
            status = "healthy"
        totals = list(self.operations.values())
        return {
            "connector": self.connector,
            "status": status,
            "connected": self.connected,
            "requests_total": sum(s.requests for s in totals),
            "errors_total": sum(s.errors for s in totals),
            "recent_failure_rate": round(rate, 4),
            "last_success_at": self.last_success_at,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
        }
