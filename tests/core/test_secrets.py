"""No secret ever appears in a log line, an exception message, a repr or a metric label.

Each test drives full connectors (factory + `httpx.MockTransport`) against a fake vendor
that echoes every credential it receives in its error bodies, captures everything the
connector lets out (log records at DEBUG, including httpx's and stamina's; raised
exceptions and their chains; reprs; metrics, health and events as JSON), and scans all
of it for the secret values and their encodings.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import pickle
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx
import pytest

from connectory.core import (
    ApiKeyLocation,
    AuthenticationError,
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    ConnectorError,
    OAuth2Auth,
    OAuth2Token,
    PermissionDeniedError,
    RateLimitError,
    Resource,
    RetryPolicy,
    ServerError,
    TransportError,
    UniversalConnectorFactory,
    redact,
)

API = "https://api.example.com/v1/"
TOKEN_URL = "https://auth.example.com/oauth/token"

BEARER = "sk_live_SECRET_abc123"
REFRESH = "refresh-SECRET-xyz"
ROTATED_REFRESH = "refresh-SECRET-rotated-555"
CLIENT_ID = "client-id-public"
CLIENT_SECRET = "client-SECRET-999"
USERNAME = "alice"
PASSWORD = "pass-SECRET-42"
QUERY_KEY = "qk-SECRET-777"
OLD_ACCESS = "access-SECRET-old-111"
NEW_ACCESS = "access-SECRET-new-222"
CC_ACCESS = "cc-access-SECRET-333"

SECRET_VALUES = (
    BEARER,
    REFRESH,
    ROTATED_REFRESH,
    CLIENT_SECRET,
    PASSWORD,
    QUERY_KEY,
    OLD_ACCESS,
    NEW_ACCESS,
    CC_ACCESS,
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# The same secrets as they travel: inside a Basic header, and the marker every secret
# carries (so a partly masked or truncated value is caught too).
NEEDLES = (
    *SECRET_VALUES,
    _b64(f"{USERNAME}:{PASSWORD}"),
    _b64(f"{CLIENT_ID}:{CLIENT_SECRET}"),
    "SECRET",
)


def find_leaks(texts: Iterable[tuple[str, str]]) -> list[str]:
    """Every (where, needle) pair where a secret shows."""
    return [
        f"{where}: {needle!r} in {text[:300]!r}"
        for where, text in texts
        for needle in NEEDLES
        if needle in text
    ]


# -- capturing everything -------------------------------------------------------------

_FORMATTER = logging.Formatter(
    "%(asctime)s %(levelname)s %(name)s %(module)s:%(lineno)d %(message)s args=%(args)s"
)


class Capture:
    """Text the connector let out, each piece labelled with where it came from."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: object) -> None:
        self.texts.append((where, text if isinstance(text, str) else str(text)))

    def reprs(self, where: str, *objects: object) -> None:
        for obj in objects:
            self.add(f"repr {where} {type(obj).__name__}", repr(obj))
            self.add(f"str {where} {type(obj).__name__}", str(obj))

    def exception(self, where: str, error: BaseException) -> None:
        self.add(f"traceback {where}", "".join(traceback.format_exception(error)))
        seen: set[int] = set()
        chain: list[BaseException] = [error]
        while chain:
            current = chain.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            label = f"{where} {type(current).__name__}"
            self.add(f"str {label}", str(current))
            self.add(f"repr {label}", repr(current))
            self.add(f"args {label}", repr(current.args))
            if isinstance(current, ConnectorError):
                self.add(f"vars {label}", repr(vars(current)))
                # Our own error, pickled and loaded in this process: nothing untrusted.
                revived = pickle.loads(pickle.dumps(current))  # noqa: S301
                self.add(f"unpickled {label}", repr(vars(revived)))
            chain.extend(e for e in (current.__cause__, current.__context__) if e is not None)

    def logs(self, caplog: pytest.LogCaptureFixture) -> None:
        for record in caplog.records:
            where = f"log {record.name}:{record.levelname}"
            self.add(f"{where} message", record.getMessage())
            self.add(f"{where} formatted", _FORMATTER.format(record))
            self.add(f"{where} record", repr(vars(record)))  # extras, args, exc_info
        self.add("caplog.text", caplog.text)

    async def connector(self, connector: BaseConnectorService) -> None:
        auth_service = connector.auth_service
        self.reprs(
            "connector",
            connector,
            auth_service,
            connector.data_service,
            connector.http,
            connector.error_service,
            connector.monitoring_service,
            connector.rate_limiter,
            connector.config,
            auth_service.auth,
        )
        if isinstance(auth_service.auth, OAuth2Auth):
            self.reprs("token", auth_service.auth.token)
        monitor = connector.monitoring_service
        self.add("metrics_snapshot", json.dumps(monitor.metrics_snapshot(), default=str))
        self.add("health", json.dumps(await monitor.get_health_status(), default=str))
        self.add("events", json.dumps(list(monitor.events), default=str))
        self.add("last_error", str(monitor.last_error))


# -- the fake vendor ------------------------------------------------------------------


class Vendor:
    """An API plus OAuth2 token endpoint that echo every credential they receive.

    Routes under the API: ``me`` (the health check), ``items`` (a list), ``items/<id>``
    where the id picks the behaviour: a status code, ``flaky`` (500 once, then 200),
    ``limited`` (429 with Retry-After: 0 once, then 200) or ``down`` (connection refused).
    """

    def __init__(
        self,
        valid: Callable[[httpx.Request], bool],
        *,
        token_failure: int | None = None,
        token_down: bool = False,
    ) -> None:
        self.valid = valid
        self.token_failure = token_failure
        self.token_down = token_down
        self.calls: Counter[str] = Counter()
        self.received: list[str] = []  # every credential-bearing part of every request

    def credentials_in(self, request: httpx.Request) -> str:
        parts = [
            request.headers.get("authorization", ""),
            request.headers.get("x-api-key", ""),
            request.headers.get("cookie", ""),
            str(request.url),
            request.content.decode(errors="replace"),
        ]
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            parts.append(base64.b64decode(header.removeprefix("Basic ")).decode())
        return " ".join(p for p in parts if p)

    def echo(self, request: httpx.Request, error: str) -> dict[str, Any]:
        seen = self.credentials_in(request)
        header = request.headers.get("authorization", "")
        return {
            "error": f"{error}: bad token {seen}",
            "access_token": header.removeprefix("Bearer "),
            "authorization": header,
            "request_url": str(request.url),
        }

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        self.received.append(self.credentials_in(request))
        if request.url.host == "auth.example.com":
            return self.token_endpoint(request)
        path = request.url.path.removeprefix("/v1/")
        self.calls[path] += 1
        if path.endswith("/down"):
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if not self.valid(request):
            return httpx.Response(401, json=self.echo(request, "invalid_token"))
        if path == "me":
            return httpx.Response(200, json={"id": "u1", "name": "Alice"})
        if path == "items":
            return httpx.Response(200, json=[{"id": "1"}, {"id": "2"}])
        item = path.removeprefix("items/")
        if item == "flaky" and self.calls[path] == 1:
            return httpx.Response(500, json=self.echo(request, "server_error"))
        if item == "limited" and self.calls[path] == 1:
            return httpx.Response(
                429, json=self.echo(request, "slow_down"), headers={"Retry-After": "0"}
            )
        if item.isdigit():  # 429 and 500 are retried, then raised
            return httpx.Response(int(item), json=self.echo(request, "failed"))
        return httpx.Response(200, json={"id": item})

    def token_endpoint(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        if self.token_down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if self.token_failure is not None:
            return httpx.Response(
                self.token_failure,
                json={
                    "error": "invalid_grant",
                    "error_description": (
                        f"refresh token {form.get('refresh_token')} revoked for client "
                        f"{form.get('client_id')} / {form.get('client_secret')}"
                    ),
                    "echo": request.content.decode(),
                    "refresh_token": form.get("refresh_token", ""),
                },
            )
        if form.get("grant_type") == "client_credentials":
            return httpx.Response(
                200, json={"access_token": CC_ACCESS, "expires_in": 3600, "token_type": "Bearer"}
            )
        return httpx.Response(
            200,
            json={
                "access_token": NEW_ACCESS,
                "refresh_token": ROTATED_REFRESH,
                "expires_in": 3600,
                "token_type": "Bearer",
            },
        )


# -- connectors -----------------------------------------------------------------------


class _Data(BaseDataService):
    RESOURCES = (Resource(name="items", list_path="items", get_path="items/{id}"),)


class _Connector(BaseConnectorService):
    pass


class _Auth(BaseAuthenticationService):
    pass


@attrs.frozen
class Scenario:
    auth: AuthenticationType
    credentials: dict[str, str]
    valid: Callable[[httpx.Request], bool]
    secrets: tuple[str, ...]
    options: dict[str, Any] = attrs.field(factory=dict)

    def config(self, name: str) -> ConnectorConfig:
        return ConnectorConfig(
            connector_type="custom",
            name=name,
            authentication_type=self.auth,
            base_url=API,
            health_check_path="me",
            retry=RetryPolicy(attempts=3, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0),
            **self.options,
        )


def _header_is(name: str, value: str) -> Callable[[httpx.Request], bool]:
    return lambda request: request.headers.get(name) == value


def _query_is(name: str, value: str) -> Callable[[httpx.Request], bool]:
    return lambda request: request.url.params.get(name) == value


SCENARIOS = {
    "bearer": Scenario(
        AuthenticationType.BEARER_TOKEN,
        {"access_token": BEARER},
        _header_is("authorization", f"Bearer {BEARER}"),
        (BEARER,),
    ),
    "basic": Scenario(
        AuthenticationType.BASIC,
        {"username": USERNAME, "password": PASSWORD},
        _header_is("authorization", f"Basic {_b64(f'{USERNAME}:{PASSWORD}')}"),
        (PASSWORD,),
    ),
    "api-key-in-query": Scenario(
        AuthenticationType.API_KEY,
        {"api_key": QUERY_KEY},
        _query_is("api_key", QUERY_KEY),
        (QUERY_KEY,),
        {"api_key_location": ApiKeyLocation.QUERY, "api_key_name": "api_key"},
    ),
    # A parameter name no redaction pattern knows: only the registry can mask it.
    "api-key-in-query-odd-name": Scenario(
        AuthenticationType.API_KEY,
        {"api_key": QUERY_KEY},
        _query_is("acct_code", QUERY_KEY),
        (QUERY_KEY,),
        {"api_key_location": ApiKeyLocation.QUERY, "api_key_name": "acct_code"},
    ),
    "api-key-in-header": Scenario(
        AuthenticationType.API_KEY,
        {"api_key": QUERY_KEY},
        _header_is("x-api-key", QUERY_KEY),
        (QUERY_KEY,),
    ),
    "api-key-in-cookie": Scenario(
        AuthenticationType.API_KEY,
        {"api_key": QUERY_KEY},
        _header_is("cookie", f"vendor_key={QUERY_KEY}"),
        (QUERY_KEY,),
        {"api_key_location": ApiKeyLocation.COOKIE, "api_key_name": "vendor_key"},
    ),
    "oauth2-refresh": Scenario(
        AuthenticationType.OAUTH2,
        {
            "access_token": OLD_ACCESS,
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        _header_is("authorization", f"Bearer {NEW_ACCESS}"),
        (OLD_ACCESS, REFRESH, CLIENT_SECRET, NEW_ACCESS, ROTATED_REFRESH),
        {"token_url": TOKEN_URL},
    ),
    "oauth2-client-credentials": Scenario(
        AuthenticationType.OAUTH2_CLIENT_CREDENTIALS,
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        _header_is("authorization", f"Bearer {CC_ACCESS}"),
        (CLIENT_SECRET, CC_ACCESS),
        {"token_url": TOKEN_URL, "scopes": ("read", "write")},
    ),
}


def make_connector(
    config: ConnectorConfig, vendor: Vendor, stored: list[OAuth2Token] | None = None
) -> BaseConnectorService:
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        config.connector_type, _Connector, _Auth, _Data, config
    )
    if stored is None:
        return factory.create_connector(
            config.connector_type, transport=httpx.MockTransport(vendor)
        )
    return factory.create_connector(
        config.connector_type, transport=httpx.MockTransport(vendor), token_store=stored.append
    )


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture) -> Capture:
    caplog.set_level(logging.DEBUG)
    return Capture()


def assert_no_leaks(capture: Capture) -> None:
    assert capture.texts, "nothing was captured"
    leaks = find_leaks(capture.texts)
    assert leaks == [], "\n".join(leaks)


def assert_released(secrets: Iterable[str]) -> None:
    """After close the connector no longer holds its values as secrets in use."""
    for secret in secrets:
        assert redact(f"value {secret} here") == f"value {secret} here"


# -- the tests ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SCENARIOS))
async def test_no_secret_leaks_from_a_working_connector_and_its_failures(
    kind: str, capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS[kind]
    vendor = Vendor(scenario.valid)
    stored: list[OAuth2Token] = []
    connector = make_connector(scenario.config(f"vendor-{kind}"), vendor, stored)
    data = connector.data_service
    async with connector:
        assert await connector.connect(scenario.credentials) is True
        assert await data.list_items("/items") == [{"id": "1"}, {"id": "2"}]
        # Retried and then successful: a 500 and a 429 with Retry-After: 0.
        assert await data.get_item_metadata("flaky", resource="items") == {"id": "flaky"}
        assert await data.get_item_metadata("limited", resource="items") == {"id": "limited"}
        assert await data.get_item_metadata("404", resource="items") is None
        failures: list[tuple[str, type[ConnectorError]]] = [
            ("401", AuthenticationError),
            ("403", PermissionDeniedError),
            ("429", RateLimitError),
            ("500", ServerError),
            ("down", TransportError),
        ]
        for item, error_type in failures:
            with pytest.raises(error_type) as caught:
                await data.get_item_metadata(item, resource="items")
            capture.exception(f"get {item}", caught.value)

        monitor = connector.monitoring_service
        for secret in scenario.secrets:
            monitor.record_metric("vendor.calls", 1, {"token": secret, "account": "acme"})
            monitor.record_metric(f"vendor.{secret}", 1, {secret: "as-a-label-name"})
            monitor.record_event("vendor.note", {"detail": f"called with {secret}"})
            mapped = connector.error_service.handle_api_error(
                RuntimeError(f"boom near {secret}"),
                {"connector": connector.config.slug, "operation": "custom"},
            )
            capture.exception("handle_api_error", mapped)
        await capture.connector(connector)
        capture.reprs("stored token", *stored)
        capture.logs(caplog)

        # The scenario really exercised what it scans: the secrets went over the wire,
        # httpx logged the requests, stamina the retries and the connector the failures.
        wire = " ".join(vendor.received)
        assert all(secret in wire for secret in scenario.secrets if secret != PASSWORD)
        messages = [(r.name, r.getMessage()) for r in caplog.records]
        assert any(name == "httpx" and "HTTP Request: GET" in m for name, m in messages)
        assert any(name == "stamina" for name, _ in messages)
        failed = [m for name, m in messages if name.startswith("connectory") and "failed" in m]
        assert any("-> 403" in m and "***" in m for m in failed), failed
        assert monitor.metrics_snapshot()["metrics"], "metrics were recorded"

    assert not connector.connected
    assert_no_leaks(capture)
    assert_released(scenario.secrets)


async def test_no_secret_leaks_when_the_oauth2_refresh_is_rejected(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS["oauth2-refresh"]
    vendor = Vendor(scenario.valid, token_failure=400)
    connector = make_connector(scenario.config("vendor-refresh-rejected"), vendor)
    async with connector:
        with pytest.raises(AuthenticationError) as caught:
            await connector.connect(scenario.credentials)
        capture.exception("connect", caught.value)
        # An explicit refresh with another token is rejected as well.
        with pytest.raises(AuthenticationError) as caught:
            await connector.auth_service.refresh_token(ROTATED_REFRESH)
        capture.exception("refresh_token()", caught.value)
        assert caught.value.status_code == 400
        await capture.connector(connector)
        capture.logs(caplog)
    assert REFRESH in " ".join(vendor.received)
    assert_no_leaks(capture)
    assert_released((OLD_ACCESS, REFRESH, CLIENT_SECRET, ROTATED_REFRESH))


@pytest.mark.parametrize("status", [400, 401])
async def test_no_secret_leaks_when_client_credentials_are_rejected(
    status: int, capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS["oauth2-client-credentials"]
    vendor = Vendor(scenario.valid, token_failure=status)
    connector = make_connector(scenario.config("vendor-cc-rejected"), vendor)
    async with connector:
        with pytest.raises(AuthenticationError) as caught:
            await connector.connect(scenario.credentials)
        capture.exception("connect", caught.value)
        await capture.connector(connector)
        capture.logs(caplog)
    assert CLIENT_SECRET in " ".join(vendor.received)
    assert_no_leaks(capture)


async def test_no_secret_leaks_when_the_token_endpoint_is_unreachable(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS["oauth2-refresh"]
    vendor = Vendor(scenario.valid, token_down=True)
    connector = make_connector(scenario.config("vendor-token-down"), vendor)
    async with connector:
        # The health check's 401 leads to a refresh that cannot connect: not connected.
        assert await connector.connect(scenario.credentials) is False
        with pytest.raises(TransportError) as caught:
            await connector.data_service.list_items("/items")
        capture.exception("list", caught.value)
        await capture.connector(connector)
        capture.logs(caplog)
    assert any("failed" in r.getMessage() for r in caplog.records)
    assert_no_leaks(capture)


def test_no_secret_leaks_through_the_sync_api(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = SCENARIOS["api-key-in-query"]
    vendor = Vendor(scenario.valid)
    connector = make_connector(scenario.config("vendor-sync"), vendor)
    with connector:
        assert connector.connect_sync(scenario.credentials) is True
        assert connector.data_service.list_items_sync("/items") == [{"id": "1"}, {"id": "2"}]
        with pytest.raises(ServerError) as caught:
            connector.data_service.get_item_metadata_sync("500", resource="items")
        capture.exception("get 500", caught.value)
        capture.reprs("sync connector", connector, connector.auth_service.auth)
        capture.logs(caplog)
    assert any(QUERY_KEY in received for received in vendor.received)
    assert any("api_key=***" in r.getMessage() for r in caplog.records if r.name == "httpx")
    assert_no_leaks(capture)


# -- the scanner itself can fail ------------------------------------------------------


@pytest.mark.parametrize("needle", NEEDLES)
def test_scanner_finds_every_secret_form(needle: str) -> None:
    leaks = find_leaks([("control", f"prefix {needle} suffix")])
    assert leaks, f"the scanner missed {needle!r}"
    assert find_leaks([("control", "prefix *** suffix")]) == []


def test_scanner_catches_a_secret_that_bypasses_redaction(
    capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    # A logger outside the redacted ones, an exception we raise ourselves and a plain
    # object's repr: all captured the same way as in the tests above, all found.
    logging.getLogger("tests.unredacted").debug("token is %s", BEARER)
    try:
        raise RuntimeError("wrapped") from ValueError(f"password {PASSWORD}")
    except RuntimeError as error:
        capture.exception("control", error)
    capture.reprs("control", {"key": QUERY_KEY})
    capture.logs(caplog)
    leaks = find_leaks(capture.texts)
    assert any(BEARER in leak and leak.startswith("log tests.unredacted") for leak in leaks)
    assert any(PASSWORD in leak and "ValueError" in leak for leak in leaks)
    assert any(QUERY_KEY in leak and leak.startswith("repr control") for leak in leaks)
    with pytest.raises(AssertionError, match="sk_live_SECRET_abc123"):
        assert_no_leaks(capture)
