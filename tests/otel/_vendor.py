"""A fake vendor for the telemetry tests, served on 127.0.0.1, and connectors for it.

The vendor checks credentials sent four ways (bearer, basic, API key in the query, OAuth2
with a token endpoint) and echoes what it received in its error bodies, so a span that
recorded a body or a header would carry the secret. Routes under ``/v1/items/``: ``flaky``
answers 503 once, then 200; ``moved`` redirects to ``/v1/items/1`` (same query); ``missing`` is 404;
anything else is 200.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Unpack
from urllib.parse import urlencode

import attrs

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    ConnectorOptions,
    RetryPolicy,
    UniversalConnectorFactory,
)
from connectory.core.resources import APIResource, RequestOptions, operation, sync_twin
from tests.local_server import Received, Reply

CONNECTOR = "otel"
TOKEN_PATH = "/oauth/token"

BEARER = "bearer-SECRET-4f1d2c"
USERNAME = "alice"
PASSWORD = "pass/SECRET+42 ="  # characters that URL-encoding and base64 change
QUERY_KEY = "qk-SECRET/777+x"
CLIENT_ID = "client-id-public"
CLIENT_SECRET = "client-SECRET-999"
OLD_ACCESS = "access-SECRET-old-111"
NEW_ACCESS = "access-SECRET-new-222"
REFRESH = "refresh-SECRET-xyz"
ROTATED_REFRESH = "refresh-SECRET-rotated-555"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@attrs.frozen
class Kind:
    """One way of authenticating: the config fields, the credentials, and how the vendor
    recognises them."""

    auth: AuthenticationType
    credentials: dict[str, str]
    valid: Callable[[Received], bool]
    secrets: tuple[str, ...]
    fields: dict[str, Any] = attrs.field(factory=dict)


def _header_is(name: str, value: str) -> Callable[[Received], bool]:
    return lambda received: received.headers.get(name) == value


KINDS = {
    "bearer": Kind(
        AuthenticationType.BEARER_TOKEN,
        {"access_token": BEARER},
        _header_is("authorization", f"Bearer {BEARER}"),
        (BEARER,),
    ),
    "basic": Kind(
        AuthenticationType.BASIC,
        {"username": USERNAME, "password": PASSWORD},
        _header_is("authorization", f"Basic {b64(f'{USERNAME}:{PASSWORD}')}"),
        (PASSWORD, b64(f"{USERNAME}:{PASSWORD}")),
    ),
    "api-key-in-query": Kind(
        AuthenticationType.API_KEY,
        {"api_key": QUERY_KEY},
        lambda received: received.query.get("acct_code") == QUERY_KEY,
        (QUERY_KEY,),
        {"api_key_location": ApiKeyLocation.QUERY, "api_key_name": "acct_code"},
    ),
    # The access token given is stale: the first request gets a 401, the connector
    # refreshes at the token endpoint and sends the request again.
    "oauth2": Kind(
        AuthenticationType.OAUTH2,
        {
            "access_token": OLD_ACCESS,
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        _header_is("authorization", f"Bearer {NEW_ACCESS}"),
        (
            OLD_ACCESS,
            NEW_ACCESS,
            REFRESH,
            ROTATED_REFRESH,
            CLIENT_SECRET,
            b64(f"{CLIENT_ID}:{CLIENT_SECRET}"),
        ),
        {"client_auth": "basic"},
    ),
}


class Vendor:
    """The route of the local server (see the module docstring)."""

    def __init__(self, valid: Callable[[Received], bool]) -> None:
        self.valid = valid
        self.calls: Counter[str] = Counter()
        self.received: list[Received] = []
        self._lock = threading.Lock()

    def __call__(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            self.calls[received.path] += 1
            count = self.calls[received.path]
        echo = {"error": "echo", "headers": received.headers, "query": received.query}
        if received.path == TOKEN_PATH:
            return Reply(
                200,
                {
                    "access_token": NEW_ACCESS,
                    "refresh_token": ROTATED_REFRESH,
                    "expires_in": 3600,
                    "token_type": "Bearer",
                    "echo": received.body.decode(),
                },
            )
        if not self.valid(received):
            return Reply(401, echo)
        item = received.path.removeprefix("/v1/items/")
        if item == "flaky" and count == 1:
            return Reply(503, echo)
        if item == "moved":  # keeps the query, where an API key may travel
            query = f"?{urlencode(received.query)}" if received.query else ""
            return Reply(302, echo, {"Location": f"/v1/items/1{query}"})
        if item == "missing":
            return Reply(404, echo)
        return Reply(200, {"id": item})


class Items(APIResource):
    label = "items"

    @operation
    async def get(self, item_id: str, **options: Unpack[RequestOptions]) -> Any:
        return await self._call(
            "GET", "/items/{id}", path={"id": item_id}, returns=Any, options=options
        )

    get_sync = sync_twin(get)


class Connector(BaseConnectorService):
    @property
    def items(self) -> Items:
        return Items(self)


def config(origin: str, kind: Kind | None = None) -> ConnectorConfig:
    """A connector of the vendor at `origin`; retries without waiting."""
    auth = kind.auth if kind is not None else AuthenticationType.NONE
    fields = dict(kind.fields) if kind is not None else {}
    if auth is AuthenticationType.OAUTH2:
        fields["token_url"] = f"{origin}{TOKEN_PATH}"
    return ConnectorConfig(
        connector_type="custom",
        name=CONNECTOR,
        authentication_type=auth,
        base_url=f"{origin}/v1/",
        retry=RetryPolicy(attempts=3, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0),
        **fields,
    )


def connector(
    origin: str, kind: Kind | None = None, **options: Unpack[ConnectorOptions]
) -> Connector:
    """A connector built the way users build them (the factory), credentials set."""
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "custom", Connector, BaseAuthenticationService, BaseDataService, config(origin, kind)
    )
    built = factory.create_connector("custom", **options)
    assert isinstance(built, Connector)
    if kind is not None:
        built.use_credentials(kind.credentials)
    return built
