"""MonitoringService: request counters and latency percentiles, the health status derived
from recent failures, aggregated metrics with secrets kept out of their labels, and the
bounded event log."""

from __future__ import annotations

from typing import Any

import pytest

from connectory.core._monitoring import MonitoringService
from connectory.core._redact import MASK, register_secrets, unregister_secrets


def fixed_clock() -> float:
    return 1_700_000_000.0


def monitor() -> MonitoringService:
    return MonitoringService("demo", clock=fixed_clock)


# --- record_request -----------------------------------------------------------------------


def test_requests_are_counted_per_operation() -> None:
    service = monitor()
    service.record_request("list_repos", 200, 0.010)
    service.record_request("list_repos", 503, 0.020)
    service.record_request("list_repos", 200, 0.030, retry=True)
    service.record_request("get_user", 404, 0.005)
    service.record_request("get_user", None, 0.001, retry=True)

    repos = service.operations["list_repos"]
    assert (repos.requests, repos.errors, repos.retries) == (3, 1, 1)
    assert repos.statuses == {200: 2, 503: 1}
    assert repos.seconds_total == pytest.approx(0.060)
    user = service.operations["get_user"]
    # A 404 is an error of the call; a transport error has no status to count.
    assert (user.requests, user.errors, user.retries) == (2, 2, 1)
    assert user.statuses == {404: 1}


def test_snapshot_reports_latency_percentiles() -> None:
    service = monitor()
    samples = [i / 1000 for i in range(101)]  # 0 ms .. 100 ms
    for seconds in reversed(samples):  # recorded out of order on purpose
        service.record_request("op", 200, seconds)

    snapshot = service.metrics_snapshot()

    assert snapshot["connector"] == "demo"
    latency = snapshot["operations"]["op"]["latency_ms"]
    assert latency == {"mean": 50.0, "p50": 50.0, "p95": 95.0, "max": 100.0}
    assert snapshot["operations"]["op"]["requests"] == 101
    assert snapshot["operations"]["op"]["statuses"] == {200: 101}


def test_snapshot_of_a_single_sample() -> None:
    service = monitor()
    service.record_request("op", 201, 0.25)

    latency = service.metrics_snapshot()["operations"]["op"]["latency_ms"]

    assert latency == {"mean": 250.0, "p50": 250.0, "p95": 250.0, "max": 250.0}


def test_p95_sees_a_slow_tail_that_p50_does_not() -> None:
    service = monitor()
    for i in range(100):
        service.record_request("op", 200, 0.5 if i % 10 == 0 else 0.001)  # 10% slow

    latency = service.metrics_snapshot()["operations"]["op"]["latency_ms"]

    assert latency["p50"] == 1.0
    assert latency["p95"] == 500.0
    assert latency["max"] == 500.0
    assert latency["mean"] == pytest.approx(50.9)


def test_percentiles_follow_recent_samples_only() -> None:
    service = monitor()
    for _ in range(50):
        service.record_request("op", 200, 9.0)  # an old slow spell
    for _ in range(2000):
        service.record_request("op", 200, 0.001)

    latency = service.metrics_snapshot()["operations"]["op"]["latency_ms"]

    assert latency["max"] == 1.0
    assert latency["p95"] == 1.0
    assert service.operations["op"].requests == 2050


def test_successes_and_failures_stamp_the_times() -> None:
    service = monitor()
    service.record_request("op", 500, 0.1)
    assert service.last_success_at is None
    service.record_request("op", 200, 0.1)
    assert service.last_success_at == fixed_clock()


def test_record_error_redacts_the_message() -> None:
    service = monitor()
    service.record_error(ValueError("token refused: api_key=abcd1234 at /v1"))

    assert service.last_error is not None
    assert service.last_error.startswith("ValueError: token refused")
    assert "abcd1234" not in service.last_error
    assert service.last_error_at == fixed_clock()


# --- get_health_status --------------------------------------------------------------------


async def test_no_traffic_is_healthy() -> None:
    health = await monitor().get_health_status()

    assert health["status"] == "healthy"
    assert health["requests_total"] == 0
    assert health["recent_failure_rate"] == 0.0


@pytest.mark.parametrize(
    ("failures", "successes", "status"),
    [
        (0, 20, "healthy"),
        (1, 19, "healthy"),  # 5%
        (2, 18, "degraded"),  # 10%: the degraded threshold itself
        (9, 11, "degraded"),  # 45%
        (10, 10, "unhealthy"),  # 50%: the unhealthy threshold itself
        (19, 1, "unhealthy"),
        (20, 0, "unhealthy"),
    ],
)
async def test_health_follows_the_recent_failure_rate(
    failures: int, successes: int, status: str
) -> None:
    service = monitor()
    for i in range(failures):
        service.record_request("op", (500, 502, 503, 429, None)[i % 5], 0.01)
    for _ in range(successes):
        service.record_request("op", 200, 0.01)

    health = await service.get_health_status()

    assert health["status"] == status
    assert health["recent_failure_rate"] == pytest.approx(failures / (failures + successes))
    assert health["requests_total"] == failures + successes
    assert health["connector"] == "demo"


async def test_client_errors_do_not_make_the_connector_unhealthy() -> None:
    service = monitor()
    for status in (400, 401, 403, 404, 409, 422) * 5:
        service.record_request("op", status, 0.01)

    health = await service.get_health_status()

    assert health["status"] == "healthy"
    assert health["errors_total"] == 30


async def test_health_looks_at_recent_requests_only() -> None:
    service = monitor()
    for _ in range(300):
        service.record_request("op", 503, 0.01)
    assert (await service.get_health_status())["status"] == "unhealthy"

    for _ in range(200):
        service.record_request("op", 200, 0.01)

    health = await service.get_health_status()
    assert health["status"] == "healthy"
    assert health["errors_total"] == 300  # the totals still remember


# --- record_metric ------------------------------------------------------------------------


def test_metrics_aggregate_by_name_and_tags() -> None:
    service = monitor()
    service.record_metric("items_synced", 10, {"resource": "tasks", "page": 1})
    service.record_metric("items_synced", 5, {"page": 1, "resource": "tasks"})  # same tags
    service.record_metric("items_synced", 2, {"resource": "users", "page": 1})
    service.record_metric("items_synced", 1)
    service.record_metric("bytes", 0.5, {"resource": "tasks", "page": 1})

    assert service.metrics_snapshot()["metrics"] == [
        {"name": "bytes", "tags": {"page": "1", "resource": "tasks"}, "value": 0.5},
        {"name": "items_synced", "tags": {}, "value": 1.0},
        {"name": "items_synced", "tags": {"page": "1", "resource": "tasks"}, "value": 15.0},
        {"name": "items_synced", "tags": {"page": "1", "resource": "users"}, "value": 2.0},
    ]


@pytest.mark.parametrize(
    "tags",
    [
        {"token": "abc"},
        {"api_key": "k-98765"},
        {"Authorization": "Bearer zyxwvut"},
        {"password": "hunter2"},
        {"client_secret": "cs-5555"},
    ],
)
def test_secret_looking_tag_values_are_redacted(tags: dict[str, str]) -> None:
    service = monitor()
    service.record_metric("calls", 1, {**tags, "resource": "tasks"})
    service.record_metric("calls", 1, {**tags, "resource": "tasks"})

    (secret,) = tags.values()
    (metric,) = service.metrics_snapshot()["metrics"]
    assert secret not in repr(service.metrics)
    assert secret.split()[-1] not in repr(metric)
    (key,) = tags
    assert metric["tags"] == {key: MASK, "resource": "tasks"}
    assert metric["value"] == 2.0


def test_registered_secrets_never_reach_metric_names_or_labels() -> None:
    secret = "sk_live_0123456789"
    register_secrets([secret])
    try:
        service = monitor()
        service.record_metric(f"calls_{secret}", 1, {"account": secret, "note": f"via {secret}"})
        dump = repr(service.metrics_snapshot())
    finally:
        unregister_secrets([secret])

    assert secret not in dump
    assert MASK in dump
    assert "account" in dump


def test_ordinary_tags_are_kept_verbatim() -> None:
    service = monitor()
    service.record_metric("calls", 1, {"resource": "tasks", "region": "eu-west-1"})

    (metric,) = service.metrics_snapshot()["metrics"]

    assert metric["tags"] == {"region": "eu-west-1", "resource": "tasks"}


# --- record_event -------------------------------------------------------------------------


def test_events_are_stamped_and_redacted() -> None:
    service = monitor()
    service.record_event("token_refreshed", {"password": "hunter2", "user": "ada", "n": 3})

    (event,) = service.events
    assert event["event"] == "token_refreshed"
    assert event["at"] == fixed_clock()
    assert event["data"]["user"] == "ada"
    assert event["data"]["n"] == "3"
    assert "hunter2" not in repr(event)


def test_registered_secrets_never_reach_events() -> None:
    secret = "refresh-abcdef123"
    register_secrets([secret])
    try:
        service = monitor()
        service.record_event(f"rotated {secret}", {"detail": f"new token {secret}"})
        dump = repr(list(service.events))
    finally:
        unregister_secrets([secret])

    assert secret not in dump


def test_the_event_log_is_bounded_and_keeps_the_newest() -> None:
    service = monitor()
    for i in range(600):
        service.record_event(f"e{i}", {"i": i})

    events: list[dict[str, Any]] = list(service.events)
    assert len(events) == 500
    assert events[0]["event"] == "e100"
    assert events[-1]["event"] == "e599"
