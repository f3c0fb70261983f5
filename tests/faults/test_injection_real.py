"""Injection and leaks, against a real server that records what arrives.

Path parameters land in one segment whatever they hold; a header or credential that would
split the request is refused before anything is sent (and not retried); random secrets
never show, raw or escaped, in logs, exceptions, reprs, metrics, events or health.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.parse
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConfigurationError,
    ConnectorConfig,
    ConnectorError,
    UniversalConnectorFactory,
)
from tests.core.test_secrets import Capture
from tests.servers import RecorderSpec, Reply, Request, json_reply, run_server

SEGMENT_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("/.%?#&=;:@+ \\\r\n\t\"'<>[]{}|^`")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    min_size=1,
    max_size=24,
)


def _connector(
    url: str,
    *,
    kind: AuthenticationType = AuthenticationType.BEARER_TOKEN,
    headers: dict[str, str] | None = None,
    retry_attempts: int = 3,
    **config: Any,
) -> BaseConnectorService:
    settings_ = ConnectorConfig(
        connector_type="injection_probe",
        authentication_type=kind,
        base_url=url,
        default_headers=headers or {},
        retry={"attempts": retry_attempts, "wait_initial": 0.01, "wait_max": 0.02},
        **config,
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "injection_probe",
        BaseConnectorService,
        BaseAuthenticationService,
        BaseDataService,
        settings_,
    )
    return factory.create_connector("injection_probe")


async def test_path_parameters_stay_in_one_segment_whatever_they_hold(
    figures: dict[str, Any],
) -> None:
    values: list[str] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value=SEGMENT_TEXT)
    def collect(value: str) -> None:
        values.append(value)

    collect()
    values += ["..", ".", "a/b", "%2F", "?x=1", "#frag", "a\r\nX-Evil: 1", "ünï/cødé"]
    with run_server(RecorderSpec()) as server:
        async with _connector(server.url) as connector:
            connector.use_credentials({"access_token": "path-token-1234"})
            for value in values:
                await connector.request("GET", "/things/{name}/end", path_params={"name": value})
        arrivals = server.recording().arrivals
    assert len(arrivals) == len(values)
    for value, arrival in zip(values, arrivals, strict=True):
        raw = arrival.target.split("?")[0]
        parts = raw.split("/")
        assert len(parts) == 4, raw
        assert parts[:2] == ["", "things"], raw
        assert parts[-1] == "end", raw
        assert urllib.parse.unquote(parts[2]) == value
    figures.setdefault("injection", {})["path_values_sent"] = len(values)


@pytest.mark.parametrize(
    "case",
    ["bearer credential", "api key header", "basic password", "default header", "extra header"],
)
async def test_cr_or_lf_in_a_header_or_credential_is_refused_before_sending(
    case: str, figures: dict[str, Any]
) -> None:
    evil = "sekrit-9\r\nX-Injected: yes"
    with run_server(RecorderSpec()) as server:
        kind = AuthenticationType.BEARER_TOKEN
        credentials: dict[str, str] = {"access_token": "fine-token-1234"}
        headers: dict[str, str] = {}
        extra: dict[str, Any] = {}
        config: dict[str, Any] = {}
        if case == "bearer credential":
            credentials = {"access_token": evil}
        elif case == "api key header":
            kind = AuthenticationType.API_KEY
            config = {"api_key_name": "X-Key", "api_key_location": ApiKeyLocation.HEADER}
            credentials = {"api_key": evil}
        elif case == "basic password":
            kind = AuthenticationType.BASIC
            credentials = {"username": "ann", "password": evil}
        elif case == "default header":
            headers = {"X-Custom": evil}
        else:
            extra = {"extra_headers": {"X-Custom": evil}}

        async def attempt() -> None:
            connector = _connector(server.url, kind=kind, headers=headers, **config)
            async with connector:
                connector.use_credentials(credentials)
                await connector.request("GET", "/ping", **extra)

        with pytest.raises(ConfigurationError) as caught:
            await attempt()
        arrivals = server.recording().arrivals
    assert arrivals == ()  # nothing sent, so nothing retried
    assert "CR" in str(caught.value) or "LF" in str(caught.value)
    assert "X-Injected" not in str(caught.value)  # the value itself is never echoed
    assert "sekrit" not in str(caught.value)
    refused = figures.setdefault("injection", {}).setdefault("crlf_refused_before_sending", [])
    refused.append(case)


class EchoSpec:
    """A vendor that echoes every credential it gets back in its answers, failing often."""

    def build(self, origin: str) -> _Echo:
        return _Echo()


@attrs.define
class _Echo:
    count: int = 0

    def respond(self, request: Request) -> Reply:
        self.count += 1
        echoed = {
            "authorization": request.headers.get("authorization"),
            "key": request.headers.get("x-key"),
            "query": request.query,
            "token": request.headers.get("x-token"),
        }
        status = (200, 401, 403, 429, 500, 404)[self.count % 6]
        extra = {"Retry-After": "0"} if status == 429 else {}
        return json_reply({"error": "nope", "echo": echoed, "password": "x"}, status, extra)

    def state(self) -> dict[str, Any]:
        return {}


SECRETS = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="%"),
    min_size=12,
    max_size=40,
)


def _forms(secret: str) -> list[str]:
    """The secret and the ways it could travel or be printed: escaped, encoded."""
    return [
        secret,
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        repr(secret)[1:-1],
        base64.b64encode(f"ann:{secret}".encode()).decode(),
    ]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=SECRETS, location=st.sampled_from(["bearer", "header", "query", "basic"]))
def test_random_secrets_never_leak(secret: str, location: str) -> None:
    capture = Capture()
    handler = _ListHandler()
    loggers = ["connectory", "httpx", "httpcore", "stamina"]
    previous = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        asyncio.run(_exercise(secret, location, capture))
    finally:
        for name in loggers:
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(previous[name])
    for record in handler.records:
        capture.add(f"log {record.name}", handler.format(record))
    leaks = [
        f"{where}: {form!r}"
        for where, text in capture.texts
        for form in _forms(secret)
        if form and form in text
    ]
    assert leaks == []
    counts = SECRET_RUNS.setdefault(location, 0)
    SECRET_RUNS[location] = counts + 1


SECRET_RUNS: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _record(figures: dict[str, Any]) -> None:
    figures["secrets"] = {"random_secrets_by_location": SECRET_RUNS, "leaks": 0}


async def _exercise(secret: str, location: str, capture: Capture) -> None:
    cases: dict[str, tuple[AuthenticationType, dict[str, Any], dict[str, str]]] = {
        "bearer": (AuthenticationType.BEARER_TOKEN, {}, {"access_token": secret}),
        "header": (
            AuthenticationType.API_KEY,
            {"api_key_name": "X-Key", "api_key_location": ApiKeyLocation.HEADER},
            {"api_key": secret},
        ),
        "query": (
            AuthenticationType.API_KEY,
            {"api_key_name": "token", "api_key_location": ApiKeyLocation.QUERY},
            {"api_key": secret},
        ),
        "basic": (AuthenticationType.BASIC, {}, {"username": "ann", "password": secret}),
    }
    kind, config, credentials = cases[location]
    with run_server(EchoSpec()) as server:
        connector = _connector(server.url, kind=kind, retry_attempts=2, **config)
        async with connector:
            connector.use_credentials(credentials)
            for _ in range(6):
                try:
                    await connector.request("GET", "/anything")
                except ConnectorError as exc:
                    capture.exception("request", exc)
            capture.reprs("connector", connector, connector.auth_service, connector.http)
            capture.reprs("auth", connector.auth_service.auth)
            monitor = connector.monitoring_service
            capture.add("metrics", json.dumps(monitor.metrics_snapshot()))
            capture.add("events", json.dumps(list(monitor.events)))
            capture.add("health", json.dumps(await monitor.get_health_status()))


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s args=%(args)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
