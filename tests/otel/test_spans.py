"""Every call a connector makes is one INTERNAL span; each request on the wire under it is a
CLIENT span with the stable HTTP semantic-convention attributes (resends counted)."""

from __future__ import annotations

import socket

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from connectory.core import NotFoundError, TransportError
from connectory.core._otel import error_type, instrument_name, url_full
from connectory.core._redact import register_secrets, unregister_secrets
from tests.local_server import LocalServer, serve
from tests.otel._vendor import CONNECTOR, KINDS, TOKEN_PATH, Vendor, connector
from tests.otel.conftest import Telemetry

BEARER = KINDS["bearer"]


def _port(server: LocalServer) -> int:
    port = httpx.URL(server.url).port
    assert port is not None
    return port


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


async def test_a_call_retried_after_503_is_one_call_span_over_two_request_spans(
    telemetry: Telemetry, server: LocalServer, vendor: Vendor
) -> None:
    async with connector(server.url, BEARER) as otel:
        assert await otel.items.get("flaky") == {"id": "flaky"}

    assert vendor.calls["/v1/items/flaky"] == 2
    [call] = telemetry.calls()
    url = f"{server.url}/v1/items/flaky"
    common = {
        "connectory.connector": CONNECTOR,
        "connectory.operation": "items.get",
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": _port(server),
        "url.full": url,
    }
    assert call.name == f"{CONNECTOR} items.get"
    assert dict(call.attributes or {}) == {
        **common,
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
        "connectory.attempts": 2,
        "http.request.resend_count": 1,
    }
    assert call.status.status_code is StatusCode.UNSET
    assert _parent_id(call) is None

    first, second = telemetry.attempts()
    assert [first.name, second.name] == ["GET", "GET"]
    assert _parent_id(first) == _parent_id(second) == _span_id(call)
    assert dict(first.attributes or {}) == {
        **common,
        "http.response.status_code": 503,
        "network.protocol.version": "1.1",
        "error.type": "503",
    }
    assert first.status.status_code is StatusCode.ERROR
    assert first.status.description is None
    assert dict(second.attributes or {}) == {
        **common,
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
        "http.request.resend_count": 1,
    }
    assert second.status.status_code is StatusCode.UNSET


async def test_a_redirect_is_a_resend_within_the_same_call(
    telemetry: Telemetry, server: LocalServer
) -> None:
    async with connector(server.url, BEARER) as otel:
        assert await otel.items.get("moved") == {"id": "1"}

    [call] = telemetry.calls()
    assert call.attributes is not None
    assert call.attributes["url.full"] == f"{server.url}/v1/items/moved"  # as asked for
    assert call.attributes["connectory.attempts"] == 2
    assert call.attributes["http.request.resend_count"] == 1
    hop, landed = telemetry.attempts()
    assert hop.attributes is not None
    assert landed.attributes is not None
    assert hop.attributes["http.response.status_code"] == 302
    assert "error.type" not in hop.attributes
    assert landed.attributes["url.full"] == f"{server.url}/v1/items/1"
    assert landed.attributes["http.request.resend_count"] == 1


async def test_a_token_refresh_is_its_own_request_and_the_resend_is_counted(
    telemetry: Telemetry,
) -> None:
    oauth2 = KINDS["oauth2"]
    with serve(Vendor(oauth2.valid)) as server:
        async with connector(server.url, oauth2) as otel:
            assert await otel.items.get("7") == {"id": "7"}

    [call] = telemetry.calls()
    rejected, token, accepted = telemetry.attempts()
    assert {_parent_id(s) for s in (rejected, token, accepted)} == {_span_id(call)}
    assert rejected.attributes is not None
    assert token.attributes is not None
    assert accepted.attributes is not None
    assert rejected.attributes["http.response.status_code"] == 401
    assert rejected.attributes["error.type"] == "401"
    assert token.name == "POST"
    assert token.attributes["connectory.operation"] == "oauth2_token"
    assert token.attributes["url.full"] == f"{server.url}{TOKEN_PATH}"
    assert "http.request.resend_count" not in token.attributes  # not a resend of the call
    assert accepted.attributes["http.request.resend_count"] == 1
    assert call.attributes is not None
    assert call.attributes["connectory.attempts"] == 2
    assert call.attributes["http.response.status_code"] == 200


async def test_a_failed_call_records_its_error_type_and_no_message(
    telemetry: Telemetry, server: LocalServer
) -> None:
    async with connector(server.url, BEARER) as otel:
        with pytest.raises(NotFoundError):
            await otel.items.get("missing")

    [call] = telemetry.calls()
    [attempt] = telemetry.attempts()
    for span in (call, attempt):
        assert span.attributes is not None
        assert span.attributes["http.response.status_code"] == 404
        assert span.attributes["error.type"] == "404"
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description is None
        assert list(span.events) == []  # no exception event: its message could echo secrets


async def test_a_request_that_gets_no_answer_records_the_exception_class(
    telemetry: Telemetry,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with connector(f"http://127.0.0.1:{port}", BEARER) as otel:
        with pytest.raises(TransportError):
            await otel.items.get("1", max_retries=0)

    [call] = telemetry.calls()
    [attempt] = telemetry.attempts()
    for span in (call, attempt):
        assert span.attributes is not None
        assert span.attributes["error.type"] == "httpx.ConnectError"
        assert "http.response.status_code" not in span.attributes
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description is None
        assert list(span.events) == []


def test_a_sync_call_belongs_to_the_callers_trace(
    telemetry: Telemetry, server: LocalServer
) -> None:
    otel = connector(server.url, BEARER)
    try:
        with trace.get_tracer("tests").start_as_current_span("job") as job:
            assert otel.items.get_sync("1") == {"id": "1"}
    finally:
        otel.close_sync()

    [call] = telemetry.calls()
    assert _parent_id(call) == job.get_span_context().span_id
    assert call.context is not None
    assert call.context.trace_id == job.get_span_context().trace_id


async def test_telemetry_false_records_no_spans_and_no_metrics(
    telemetry: Telemetry, server: LocalServer
) -> None:
    async with connector(server.url, BEARER, telemetry=False) as otel:
        assert await otel.items.get("flaky") == {"id": "flaky"}
        otel.monitoring_service.record_metric("synced", 1)
        assert (
            otel.monitoring_service.metrics_snapshot()["operations"]["items.get"]["requests"] == 2
        )

    assert telemetry.spans() == []
    assert telemetry.metrics() == {}


def test_url_full_has_no_query_fragment_or_user_info() -> None:
    url = httpx.URL("https://user:pw@API.example.com:8443/v1/a%2Fb?api_key=K&x=1#frag")
    assert url_full(url) == "https://api.example.com:8443/v1/a%2Fb"
    assert url_full(httpx.URL("http://127.0.0.1/")) == "http://127.0.0.1/"


def test_url_full_masks_a_credential_in_use_in_the_path() -> None:
    url = httpx.URL("https://api.example.com/bot-SECRET-in-path-55/getMe")
    assert url_full(url) == "https://api.example.com/bot-SECRET-in-path-55/getMe"
    register_secrets(["bot-SECRET-in-path-55"])
    try:
        assert url_full(url) == "https://api.example.com/***/getMe"
    finally:
        unregister_secrets(["bot-SECRET-in-path-55"])


def test_error_types_name_the_class_users_import() -> None:
    assert error_type(httpx.ReadTimeout("slow")) == "httpx.ReadTimeout"
    assert error_type(NotFoundError("gone")) == "connectory.core.NotFoundError"
    assert error_type(ValueError("x")) == "ValueError"


def test_custom_metric_names_are_made_valid_instrument_names() -> None:
    assert instrument_name("records.synced") == "records.synced"
    assert instrument_name("rows synced (ok)") == "rows_synced__ok_"
    assert instrument_name("9lives") == "metric_9lives"
    assert instrument_name("é") == "metric__"
    assert len(instrument_name("x" * 400)) == 255
