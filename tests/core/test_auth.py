"""Authentication schemes as `httpx.Auth`s, OAuth2 refresh under concurrency, and the
credential checks of `BaseAuthenticationService`.

The fake servers are plain handler functions over `httpx.MockTransport` that record every
request they receive, so each test checks what went out on the wire: which headers, query
parameters and form fields, and how many token requests.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from connectory.core import (
    ApiKeyAuth,
    AuthenticationError,
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    BasicAuth,
    BearerAuth,
    ConfigurationError,
    ConnectorConfig,
    OAuth2Auth,
    OAuth2Token,
    Resource,
    RetryPolicy,
    UniversalConnectorFactory,
)

API = "https://api.example.com/v1/"
TOKEN_URL = "https://auth.example.com/oauth/token"
NO_WAIT_RETRY: dict[str, Any] = {"wait_initial": 0.0, "wait_max": 0.0, "wait_jitter": 0.0}


# -- fakes ------------------------------------------------------------------------------


class Recorder:
    """A handler that answers 200 and keeps every request it was sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"ok": True})

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request reached the server"
        return self.requests[-1]


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def form_of(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


class Provider:
    """A fake OAuth2 provider and API on one handler.

    The token endpoint answers from `token_responses` in order (status, JSON body); the API
    answers 200 to a bearer token in `accepted` and 401 to anything else.
    """

    def __init__(
        self,
        token_responses: list[tuple[int, dict[str, Any]]] | None = None,
        *,
        accepted: set[str] | None = None,
        token_delay: float = 0.0,
    ) -> None:
        self.token_responses = list(token_responses or [])
        self.accepted = accepted if accepted is not None else set()
        self.token_delay = token_delay
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        # httpx replays the same Request object, so headers are copied as they arrive.
        self.api_auth: list[str | None] = []
        self.api_gate: asyncio.Event | None = None
        self.on_token_request: Callable[[], None] | None = None

    @property
    def token_forms(self) -> list[dict[str, str]]:
        return [form_of(r) for r in self.token_requests]

    def api_tokens(self) -> list[str | None]:
        return list(self.api_auth)

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            self.token_requests.append(request)
            if not self.token_responses:
                return httpx.Response(500, json={"error": "unexpected token request"})
            status, body = self.token_responses.pop(0)
            return httpx.Response(status, json=body)
        self.api_requests.append(request)
        self.api_auth.append(request.headers.get("authorization"))
        header = request.headers.get("authorization", "")
        if header.removeprefix("Bearer ") in self.accepted:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(401, json={"error": "invalid_token"})

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            if self.api_gate is not None:
                await asyncio.wait_for(self.api_gate.wait(), timeout=5)
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            if self.on_token_request is not None:
                self.on_token_request()
        else:
            await asyncio.sleep(0)  # let concurrent requests interleave
        return self.respond(request)


def token_body(access: str, *, refresh: str | None = None, expires_in: int | None = 3600) -> Any:
    body: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
    if refresh is not None:
        body["refresh_token"] = refresh
    if expires_in is not None:
        body["expires_in"] = expires_in
    return body


@pytest.fixture
def make_oauth() -> Iterator[Callable[..., OAuth2Auth]]:
    """Builds OAuth2Auths and forgets their secrets afterwards (the registry is global)."""
    made: list[OAuth2Auth] = []

    def make(**kwargs: Any) -> OAuth2Auth:
        kwargs.setdefault("token_url", TOKEN_URL)
        auth = OAuth2Auth(**kwargs)
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.forget()


def client(handler: Any, auth: httpx.Auth) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth)


# -- API key, bearer, basic -------------------------------------------------------------


async def test_api_key_in_a_custom_header() -> None:
    server = Recorder()
    async with client(server, ApiKeyAuth("key-123", name="X-Custom-Key")) as http:
        await http.get(API + "me")
    assert server.last.headers["X-Custom-Key"] == "key-123"
    assert "authorization" not in server.last.headers
    assert "key-123" not in str(server.last.url)


async def test_api_key_in_a_header_with_prefix() -> None:
    server = Recorder()
    auth = ApiKeyAuth("key-123", name="Authorization", prefix="Token")
    async with client(server, auth) as http:
        await http.get(API + "me")
    assert server.last.headers["Authorization"] == "Token key-123"


async def test_api_key_in_query_is_merged_with_existing_params() -> None:
    server = Recorder()
    auth = ApiKeyAuth("key-123", name="api_key", location="query")
    async with client(server, auth) as http:
        await http.get(API + "items", params={"page": "2", "tag": ["a", "b"]})
        await http.get(API + "items?fixed=1&sort=name")
    first, second = (request.url.params for request in server.requests)
    assert sorted(first.multi_items()) == [
        ("api_key", "key-123"),
        ("page", "2"),
        ("tag", "a"),
        ("tag", "b"),
    ]
    assert sorted(second.multi_items()) == [
        ("api_key", "key-123"),
        ("fixed", "1"),
        ("sort", "name"),
    ]
    assert "api_key" not in {k.lower() for k in server.last.headers}


async def test_api_key_in_cookie_alone_and_merged_with_an_existing_cookie() -> None:
    server = Recorder()
    auth = ApiKeyAuth("key-123", name="sid_key", location="cookie")
    async with client(server, auth) as http:
        await http.get(API + "me")
        await http.get(API + "me", headers={"Cookie": "session=s1"})
    first, second = server.requests
    assert first.headers["cookie"] == "sid_key=key-123"
    assert second.headers["cookie"] == "session=s1; sid_key=key-123"


async def test_bearer_auth_sets_the_authorization_header() -> None:
    server = Recorder()
    async with client(server, BearerAuth("tok-123")) as http:
        await http.get(API + "me")
    assert server.last.headers["Authorization"] == "Bearer tok-123"


async def test_basic_auth_sets_the_authorization_header() -> None:
    server = Recorder()
    async with client(server, BasicAuth("alice", "pw-123")) as http:
        await http.get(API + "me")
    expected = base64.b64encode(b"alice:pw-123").decode()
    assert server.last.headers["Authorization"] == f"Basic {expected}"


def _reprs(obj: object) -> list[str]:
    return [repr(obj), str(obj), f"{obj!r}", repr([obj]), repr({"auth": obj})]


@pytest.mark.parametrize(
    ("auth", "secret", "shown"),
    [
        (ApiKeyAuth("ak-hidden-1", name="X-Key"), "ak-hidden-1", "X-Key"),
        (
            ApiKeyAuth("ak-hidden-1", name="Authorization", prefix="Tok"),
            "ak-hidden-1",
            "Authorization",
        ),
        (ApiKeyAuth("ak-hidden-1", name="k", location="query"), "ak-hidden-1", "query"),
        (ApiKeyAuth("ak-hidden-1", name="k", location="cookie"), "ak-hidden-1", "cookie"),
        (BearerAuth("bt-hidden-2"), "bt-hidden-2", "BearerAuth"),
        (BasicAuth("alice", "pw-hidden-3"), "pw-hidden-3", "alice"),
    ],
)
def test_reprs_show_no_secret(auth: httpx.Auth, secret: str, shown: str) -> None:
    for text in _reprs(auth):
        assert secret not in text
    assert shown in repr(auth)  # still says what it is


def test_oauth2_reprs_show_no_secret(make_oauth: Callable[..., OAuth2Auth]) -> None:
    token = OAuth2Token(
        access_token="at-hidden-4", refresh_token="rt-hidden-5", expires_at=12.0, scope="read"
    )
    auth = make_oauth(client_id="cid-shown", client_secret="cs-hidden-6", token=token)
    texts = _reprs(auth) + _reprs(token) + _reprs(auth.token)
    for text in texts:
        for secret in ("at-hidden-4", "rt-hidden-5", "cs-hidden-6"):
            assert secret not in text
    assert "cid-shown" in repr(auth)
    assert "expires_at=12.0" in repr(token)


# -- OAuth2: refresh-token grant ------------------------------------------------------


async def test_token_expiring_within_the_margin_is_refreshed_before_the_request(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    provider = Provider([(200, token_body("at-new"))], accepted={"at-new"})
    auth = make_oauth(
        client_id="cid",
        client_secret="cs",
        token=OAuth2Token("at-old", "rt-1", expires_at=clock.now + 30),
        refresh_margin=60,
        clock=clock,
    )
    async with client(provider.handle, auth) as http:
        response = await http.get(API + "me")
    assert response.status_code == 200
    assert len(provider.token_requests) == 1
    assert provider.api_tokens() == ["Bearer at-new"]
    form = provider.token_forms[0]
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "cid",
        "client_secret": "cs",
    }
    assert provider.token_requests[0].headers["content-type"] == (
        "application/x-www-form-urlencoded"
    )


async def test_token_valid_beyond_the_margin_is_not_refreshed(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    provider = Provider([(200, token_body("at-new"))], accepted={"at-old"})
    auth = make_oauth(
        token=OAuth2Token("at-old", "rt-1", expires_at=clock.now + 120),
        refresh_margin=60,
        clock=clock,
    )
    async with client(provider.handle, auth) as http:
        response = await http.get(API + "me")
    assert response.status_code == 200
    assert provider.token_requests == []
    assert provider.api_tokens() == ["Bearer at-old"]


async def test_a_401_causes_one_refresh_and_one_replay(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider([(200, token_body("at-new"))], accepted={"at-new"})
    auth = make_oauth(token=OAuth2Token("at-old", "rt-1"))
    async with client(provider.handle, auth) as http:
        response = await http.get(API + "me")
    assert response.status_code == 200
    assert provider.api_tokens() == ["Bearer at-old", "Bearer at-new"]
    assert len(provider.token_requests) == 1
    assert auth.refresh_count == 1


async def test_a_second_401_after_the_refresh_is_returned_not_looped(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider(
        [(200, token_body("at-new")), (200, token_body("at-newer"))], accepted=set()
    )
    auth = make_oauth(token=OAuth2Token("at-old", "rt-1"))
    async with client(provider.handle, auth) as http:
        response = await http.get(API + "me")
    assert response.status_code == 401
    assert provider.api_tokens() == ["Bearer at-old", "Bearer at-new"]
    assert len(provider.token_requests) == 1


async def test_a_401_without_a_way_to_refresh_is_returned_as_is(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider(accepted=set())
    auth = make_oauth(token_url=None, token=OAuth2Token("at-only"))
    async with client(provider.handle, auth) as http:
        response = await http.get(API + "me")
    assert response.status_code == 401
    assert len(provider.api_requests) == 1
    assert provider.token_requests == []


@pytest.mark.parametrize("store_kind", ["sync", "async"])
async def test_rotated_refresh_token_is_stored_and_used_next_time(
    make_oauth: Callable[..., OAuth2Auth], store_kind: str
) -> None:
    clock = Clock()
    stored: list[OAuth2Token] = []

    def sync_store(token: OAuth2Token) -> None:
        stored.append(token)

    async def async_store(token: OAuth2Token) -> None:
        await asyncio.sleep(0)
        stored.append(token)

    provider = Provider(
        [
            (200, token_body("at-2", refresh="rt-2", expires_in=3600)),
            (200, token_body("at-3", refresh="rt-3", expires_in=3600)),
        ],
        accepted={"at-2", "at-3"},
    )
    auth = make_oauth(
        token=OAuth2Token("at-1", "rt-1", expires_at=clock.now - 1),
        token_store=sync_store if store_kind == "sync" else async_store,
        clock=clock,
    )
    async with client(provider.handle, auth) as http:
        await http.get(API + "me")
        clock.now += 3600  # the second token expires
        await http.get(API + "me")
    assert [f["refresh_token"] for f in provider.token_forms] == ["rt-1", "rt-2"]
    assert [(t.access_token, t.refresh_token) for t in stored] == [
        ("at-2", "rt-2"),
        ("at-3", "rt-3"),
    ]
    assert provider.api_tokens() == ["Bearer at-2", "Bearer at-3"]
    assert auth.token.refresh_token == "rt-3"


async def test_response_without_refresh_token_keeps_the_old_one(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    stored: list[OAuth2Token] = []
    provider = Provider(
        [(200, token_body("at-2")), (200, token_body("at-3"))], accepted={"at-2", "at-3"}
    )
    auth = make_oauth(
        token=OAuth2Token("at-1", "rt-keep", expires_at=clock.now - 1),
        token_store=stored.append,
        clock=clock,
    )
    async with client(provider.handle, auth) as http:
        await http.get(API + "me")
        clock.now += 3600
        await http.get(API + "me")
    assert [f["refresh_token"] for f in provider.token_forms] == ["rt-keep", "rt-keep"]
    assert [t.refresh_token for t in stored] == ["rt-keep", "rt-keep"]


async def test_expires_in_sets_expires_at_from_the_clock(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock(5_000.0)
    provider = Provider(
        [(200, {**token_body("at-2", expires_in=None), "expires_in": "1800", "scope": "a b"})],
        accepted={"at-2"},
    )
    auth = make_oauth(token=OAuth2Token("at-1", "rt-1", expires_at=0.0), clock=clock)
    async with client(provider.handle, auth) as http:
        await http.get(API + "me")
    assert auth.token.expires_at == 6_800.0
    assert auth.token.scope == "a b"


async def test_no_expires_in_means_no_expiry(make_oauth: Callable[..., OAuth2Auth]) -> None:
    clock = Clock()
    provider = Provider([(200, token_body("at-2", expires_in=None))], accepted={"at-2"})
    auth = make_oauth(token=OAuth2Token("at-1", "rt-1", expires_at=0.0), clock=clock)
    async with client(provider.handle, auth) as http:
        await http.get(API + "me")
        clock.now += 10**9
        await http.get(API + "me")
    assert auth.token.expires_at is None
    assert len(provider.token_requests) == 1


# -- OAuth2: concurrency --------------------------------------------------------------


async def test_100_concurrent_requests_on_an_expired_token_make_one_token_request(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    provider = Provider([(200, token_body("at-new"))], accepted={"at-new"}, token_delay=0.01)
    started = 0
    started_when_token_answered: list[int] = []
    provider.on_token_request = lambda: started_when_token_answered.append(started)
    auth = make_oauth(token=OAuth2Token("at-old", "rt-1", expires_at=clock.now - 5), clock=clock)

    async with client(provider.handle, auth) as http:

        async def one(i: int) -> httpx.Response:
            nonlocal started
            started += 1
            return await http.get(API + f"items/{i}")

        responses = await asyncio.gather(*(one(i) for i in range(100)))

    assert [r.status_code for r in responses] == [200] * 100
    assert len(provider.token_requests) == 1
    assert provider.api_tokens() == ["Bearer at-new"] * 100
    # All 100 had started before the token endpoint answered, so the other 99 really
    # waited for the refresh in flight.
    assert started_when_token_answered == [100]


async def test_100_concurrent_401s_make_one_refresh(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider([(200, token_body("at-new"))], accepted={"at-new"})
    gate = asyncio.Event()
    provider.api_gate = gate  # the token endpoint answers once all 100 were rejected
    auth = make_oauth(token=OAuth2Token("at-old", "rt-1"))
    real_respond = provider.respond

    def respond(request: httpx.Request) -> httpx.Response:
        response = real_respond(request)
        if sum(1 for t in provider.api_tokens() if t == "Bearer at-old") == 100:
            gate.set()
        return response

    provider.respond = respond  # type: ignore[method-assign]
    async with client(provider.handle, auth) as http:
        responses = await asyncio.gather(*(http.get(API + f"items/{i}") for i in range(100)))

    assert [r.status_code for r in responses] == [200] * 100
    assert len(provider.token_requests) == 1
    tokens = provider.api_tokens()
    assert tokens.count("Bearer at-old") == 100
    assert tokens.count("Bearer at-new") == 100
    assert auth.refresh_count == 1


# -- OAuth2: client-credentials grant --------------------------------------------------


async def test_client_credentials_fetches_a_token_with_the_secret_in_the_body(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    provider = Provider(
        [(200, token_body("cc-1", expires_in=600)), (200, token_body("cc-2", expires_in=600))],
        accepted={"cc-1", "cc-2"},
    )
    auth = make_oauth(
        grant="client_credentials",
        client_id="cid",
        client_secret="csec",
        scopes=("read:items", "write:items"),
        clock=clock,
    )
    async with client(provider.handle, auth) as http:
        await http.get(API + "a")
        await http.get(API + "b")  # reuses the token
        assert len(provider.token_requests) == 1
        clock.now += 600  # expired now
        await http.get(API + "c")
    assert (
        provider.token_forms
        == [
            {
                "grant_type": "client_credentials",
                "scope": "read:items write:items",
                "client_id": "cid",
                "client_secret": "csec",
            }
        ]
        * 2
    )
    assert "authorization" not in provider.token_requests[0].headers
    assert provider.api_tokens() == ["Bearer cc-1", "Bearer cc-1", "Bearer cc-2"]


async def test_client_credentials_with_basic_client_auth(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider([(200, token_body("cc-1"))], accepted={"cc-1"})
    auth = make_oauth(
        grant="client_credentials",
        client_id="cid",
        client_secret="csec",
        scopes=("read",),
        client_auth="basic",
    )
    async with client(provider.handle, auth) as http:
        await http.get(API + "a")
    request = provider.token_requests[0]
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csec").decode()
    assert form_of(request) == {"grant_type": "client_credentials", "scope": "read"}
    assert provider.api_tokens() == ["Bearer cc-1"]


# -- wrong credentials ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "refresh token rt-WRONG-1 revoked"}),
        (401, {"error": "invalid_client", "error_description": "bad client cs-WRONG-2"}),
    ],
)
async def test_rejected_refresh_raises_authentication_error_at_once(
    make_oauth: Callable[..., OAuth2Auth], status: int, body: dict[str, Any]
) -> None:
    provider = Provider([(status, body)] * 5, accepted=set())
    auth = make_oauth(
        client_id="cid",
        client_secret="cs-WRONG-2",
        token=OAuth2Token("at-WRONG-0", "rt-WRONG-1", expires_at=0.0),
    )
    async with client(provider.handle, auth) as http:
        with pytest.raises(AuthenticationError) as caught:
            await http.get(API + "me")
    error = caught.value
    assert error.status_code == status
    assert len(provider.token_requests) == 1
    assert provider.api_requests == []
    texts = [str(error), repr(error), error.message, str(error.args), str(error.body_excerpt)]
    for text in texts:
        for secret in ("rt-WRONG-1", "cs-WRONG-2", "at-WRONG-0"):
            assert secret not in text


async def test_rejected_refresh_after_a_401_raises_without_a_replay(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider([(400, {"error": "invalid_grant"})] * 3, accepted=set())
    auth = make_oauth(token=OAuth2Token("at-old", "rt-bad"))
    async with client(provider.handle, auth) as http:
        with pytest.raises(AuthenticationError):
            await http.get(API + "me")
    assert len(provider.api_requests) == 1
    assert len(provider.token_requests) == 1


async def test_token_endpoint_without_access_token_is_an_authentication_error(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    provider = Provider([(200, {"token_type": "Bearer"})], accepted=set())
    auth = make_oauth(token=OAuth2Token(None, "rt-1"))
    async with client(provider.handle, auth) as http:
        with pytest.raises(AuthenticationError, match="access_token"):
            await http.get(API + "me")
    assert provider.api_requests == []


# -- through a full connector ---------------------------------------------------------


class _Data(BaseDataService):
    RESOURCES = (Resource(name="items", list_path="items", get_path="items/{id}"),)


class _Connector(BaseConnectorService):
    pass


class _Auth(BaseAuthenticationService):
    pass


def make_connector(
    config: ConnectorConfig, handler: Callable[[httpx.Request], Any]
) -> BaseConnectorService:
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        config.connector_type, _Connector, _Auth, _Data, config
    )
    return factory.create_connector(config.connector_type, transport=httpx.MockTransport(handler))


async def test_connect_with_a_wrong_token_fails_after_one_request() -> None:
    config = ConnectorConfig(
        connector_type="custom",
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=API,
        health_check_path="me",
        retry=RetryPolicy(attempts=5, **NO_WAIT_RETRY),
    )
    provider = Provider(accepted={"right-token"})
    connector = make_connector(config, provider.handle)
    async with connector:
        with pytest.raises(AuthenticationError) as caught:
            await connector.connect({"access_token": "wrong-token-123"})
        assert not connector.connected
    assert provider.api_tokens() == ["Bearer wrong-token-123"]
    assert "wrong-token-123" not in str(caught.value)
    assert "wrong-token-123" not in repr(caught.value)


async def test_connect_with_the_right_token_succeeds() -> None:
    config = ConnectorConfig(
        connector_type="custom",
        authentication_type=AuthenticationType.BEARER_TOKEN,
        base_url=API,
        health_check_path="me",
        retry=RetryPolicy(attempts=5, **NO_WAIT_RETRY),
    )
    provider = Provider(accepted={"right-token"})
    connector = make_connector(config, provider.handle)
    async with connector:
        assert await connector.connect({"access_token": "right-token"}) is True
    assert [r.url.path for r in provider.api_requests] == ["/v1/me"]


async def test_connect_with_a_revoked_refresh_token_fails_after_one_token_request() -> None:
    config = ConnectorConfig(
        connector_type="custom",
        authentication_type=AuthenticationType.OAUTH2,
        base_url=API,
        token_url=TOKEN_URL,
        health_check_path="me",
        retry=RetryPolicy(attempts=5, **NO_WAIT_RETRY),
    )
    echo = {"error": "invalid_grant", "error_description": "rt-REVOKED-9 / cs-REAL-8 rejected"}
    provider = Provider([(400, echo)] * 5, accepted=set())
    connector = make_connector(config, provider.handle)
    async with connector:
        with pytest.raises(AuthenticationError) as caught:
            await connector.connect(
                {
                    "access_token": "at-OLD-7",
                    "refresh_token": "rt-REVOKED-9",
                    "client_id": "cid",
                    "client_secret": "cs-REAL-8",
                }
            )
    assert len(provider.api_requests) == 1
    assert len(provider.token_requests) == 1
    text = str(caught.value) + repr(caught.value)
    for secret in ("rt-REVOKED-9", "cs-REAL-8", "at-OLD-7"):
        assert secret not in text


# -- BaseAuthenticationService --------------------------------------------------------


def _config(kind: AuthenticationType, **changes: Any) -> ConnectorConfig:
    if kind is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS:
        changes.setdefault("token_url", TOKEN_URL)
    return ConnectorConfig(
        connector_type="custom", authentication_type=kind, base_url=API, **changes
    )


@pytest.fixture
def services() -> Iterator[Callable[[ConnectorConfig], BaseAuthenticationService]]:
    made: list[BaseAuthenticationService] = []

    def make(config: ConnectorConfig) -> BaseAuthenticationService:
        service = BaseAuthenticationService(None, config)
        made.append(service)
        return service

    yield make
    for service in made:
        service.forget()


def test_unknown_credential_key_is_named(
    services: Callable[[ConnectorConfig], BaseAuthenticationService],
) -> None:
    service = services(_config(AuthenticationType.API_KEY))
    with pytest.raises(ConfigurationError, match="'api_kee'") as caught:
        service.validate_credentials({"api_kee": "typo-value-123"})
    assert "api_key" in str(caught.value)  # says what is accepted
    assert "typo-value-123" not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "credentials", "missing"),
    [
        (AuthenticationType.API_KEY, {}, "api_key"),
        (AuthenticationType.BEARER_TOKEN, {"access_token": ""}, "access_token"),
        (AuthenticationType.BASIC, {"password": "pw-12345"}, "username"),
        (AuthenticationType.OAUTH2_CLIENT_CREDENTIALS, {"client_id": "cid"}, "client_secret"),
        (AuthenticationType.OAUTH2, {"refresh_token": "rt-1"}, "client_id"),
        (AuthenticationType.OAUTH2, {}, "access_token"),
    ],
)
def test_missing_required_credential_is_named(
    services: Callable[[ConnectorConfig], BaseAuthenticationService],
    kind: AuthenticationType,
    credentials: dict[str, str],
    missing: str,
) -> None:
    service = services(_config(kind))
    with pytest.raises(ConfigurationError, match=f"missing credential field '{missing}'"):
        service.validate_credentials(credentials)


@pytest.mark.parametrize("value", [["nested-secret-1"], {"k": "nested-secret-1"}, True, b"raw"])
def test_non_string_credential_is_rejected(
    services: Callable[[ConnectorConfig], BaseAuthenticationService], value: object
) -> None:
    service = services(_config(AuthenticationType.API_KEY))
    with pytest.raises(ConfigurationError, match="'api_key' must be a string") as caught:
        service.validate_credentials({"api_key": value})
    assert "nested-secret-1" not in str(caught.value)


def test_valid_credentials_are_returned_as_strings(
    services: Callable[[ConnectorConfig], BaseAuthenticationService],
) -> None:
    service = services(_config(AuthenticationType.BASIC))
    assert service.validate_credentials({"username": "alice", "password": 1234}) == {
        "username": "alice",
        "password": "1234",
    }


async def test_connect_with_malformed_credentials_sends_nothing() -> None:
    config = _config(AuthenticationType.API_KEY, health_check_path="me")
    server = Recorder()
    connector = make_connector(config, server)
    async with connector:
        with pytest.raises(ConfigurationError, match="'token'"):
            await connector.connect({"token": "abc-123"})
        with pytest.raises(ConfigurationError, match="'api_key'"):
            await connector.connect({})
        with pytest.raises(ConfigurationError, match="must be a string"):
            await connector.connect({"api_key": 12.5j})
    assert server.requests == []
    assert connector.auth_service.auth is None


async def test_get_auth_headers_for_header_schemes(
    services: Callable[[ConnectorConfig], BaseAuthenticationService],
) -> None:
    api_key = services(_config(AuthenticationType.API_KEY, api_key_name="X-Vendor-Key"))
    await api_key.authenticate({"api_key": "k-1"})
    assert api_key.get_auth_headers() == {"x-vendor-key": "k-1"}

    prefixed = services(
        _config(AuthenticationType.API_KEY, api_key_name="Authorization", api_key_prefix="Token")
    )
    await prefixed.authenticate({"api_key": "k-2"})
    assert prefixed.get_auth_headers() == {"authorization": "Token k-2"}

    bearer = services(_config(AuthenticationType.BEARER_TOKEN))
    await bearer.authenticate({"access_token": "t-3"})
    assert bearer.get_auth_headers() == {"authorization": "Bearer t-3"}

    basic = services(_config(AuthenticationType.BASIC))
    await basic.authenticate({"username": "bob", "password": "p-4"})
    assert basic.get_auth_headers() == {
        "authorization": "Basic " + base64.b64encode(b"bob:p-4").decode()
    }

    # APIs that take a key as the user name (Stripe-style) send an empty password
    key_only = services(_config(AuthenticationType.BASIC))
    await key_only.authenticate({"username": "sk_test_1"})
    assert key_only.get_auth_headers() == {
        "authorization": "Basic " + base64.b64encode(b"sk_test_1:").decode()
    }

    oauth = services(_config(AuthenticationType.OAUTH2))
    await oauth.authenticate({"access_token": "t-5"})
    assert oauth.get_auth_headers() == {"authorization": "Bearer t-5"}

    query = services(_config(AuthenticationType.API_KEY, api_key_location="query"))
    await query.authenticate({"api_key": "k-6"})
    assert query.get_auth_headers() == {}

    none = services(_config(AuthenticationType.NONE))
    await none.authenticate({})
    assert none.get_auth_headers() == {}


async def test_get_auth_headers_for_an_expired_oauth2_token(
    services: Callable[[ConnectorConfig], BaseAuthenticationService],
) -> None:
    oauth = services(_config(AuthenticationType.OAUTH2, token_url=TOKEN_URL))
    await oauth.authenticate(
        {"access_token": "t-7", "refresh_token": "rt-7", "client_id": "cid", "expires_at": "1"}
    )
    headers = oauth.get_auth_headers()
    assert headers == {"authorization": "Bearer t-7"}


# -- sync flow ------------------------------------------------------------------------


def test_sync_client_refreshes_an_expired_token_and_after_a_401(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    clock = Clock()
    provider = Provider(
        [(200, token_body("at-2", refresh="rt-2")), (200, token_body("at-3"))],
        accepted={"at-2"},
    )
    stored: list[OAuth2Token] = []
    auth = make_oauth(
        client_id="cid",
        token=OAuth2Token("at-1", "rt-1", expires_at=clock.now - 1),
        token_store=stored.append,
        clock=clock,
    )
    with httpx.Client(transport=httpx.MockTransport(provider.respond), auth=auth) as http:
        assert http.get(API + "me").status_code == 200
        provider.accepted = {"at-3"}  # the server revokes at-2: the next call sees a 401
        assert http.get(API + "me").status_code == 200
    assert [f["refresh_token"] for f in provider.token_forms] == ["rt-1", "rt-2"]
    assert provider.api_tokens() == ["Bearer at-2", "Bearer at-2", "Bearer at-3"]
    assert [t.access_token for t in stored] == ["at-2", "at-3"]
    assert auth.token.refresh_token == "rt-2"


def test_sync_client_with_an_async_token_store_is_refused(
    make_oauth: Callable[..., OAuth2Auth],
) -> None:
    async def store(token: OAuth2Token) -> None:
        return None

    provider = Provider([(200, token_body("at-2"))], accepted={"at-2"})
    auth = make_oauth(token=OAuth2Token("at-1", "rt-1", expires_at=0.0), token_store=store)
    with (
        httpx.Client(transport=httpx.MockTransport(provider.respond), auth=auth) as http,
        pytest.raises(TypeError, match="async client"),
    ):
        http.get(API + "me")


async def test_explicit_refresh_token_call_exchanges_and_stores_the_token() -> None:
    issued: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        issued.append(form)
        return httpx.Response(200, json={"access_token": "at-new", "refresh_token": "rt-next"})

    config = _config(AuthenticationType.OAUTH2, token_url=TOKEN_URL)
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        config.connector_type,
        BaseConnectorService,
        BaseAuthenticationService,
        BaseDataService,
        config,
    )
    stored: list[OAuth2Token] = []
    connector = factory.create_connector(
        config.connector_type, transport=httpx.MockTransport(handler), token_store=stored.append
    )
    await connector.auth_service.authenticate({"access_token": "at-old", "client_id": "cid"})
    fields = await connector.auth_service.refresh_token("rt-given")
    assert issued == [
        {"grant_type": "refresh_token", "refresh_token": "rt-given", "client_id": "cid"}
    ]
    assert fields["access_token"] == "at-new"
    assert fields["refresh_token"] == "rt-next"
    assert [t.access_token for t in stored] == ["at-new"]
    assert connector.auth_service.get_auth_headers() == {"authorization": "Bearer at-new"}
    await connector.close()
