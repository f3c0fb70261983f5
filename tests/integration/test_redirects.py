"""Redirects against a real local server: credentials follow a redirect within the API's
origin, wherever the scheme carries them, and never leave it.

httpx builds a redirected request from ``Location``: the query is the new URL's and the
``Cookie`` header is dropped, so an API key in the query or a cookie would be lost on the
second hop without the client putting it back.
"""

from __future__ import annotations

import pytest

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    ConnectorConfig,
    UniversalConnectorFactory,
)
from tests.local_server import Received, Reply, serve

SECRET = "key-5f1d9c0a"


def _connector(url: str, location: ApiKeyLocation) -> BaseConnectorService:
    config = ConnectorConfig(
        connector_type="redirect_probe",
        authentication_type=AuthenticationType.API_KEY,
        base_url=url,
        api_key_name="api_key",
        api_key_location=location,
        credential_fields=("api_key",),
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "redirect_probe", BaseConnectorService, BaseAuthenticationService, BaseDataService, config
    )
    connector = factory.create_connector("redirect_probe")
    connector.use_credentials({"api_key": SECRET})
    return connector


def _credential(received: Received, location: ApiKeyLocation) -> str | None:
    if location is ApiKeyLocation.QUERY:
        return received.query.get("api_key")
    if location is ApiKeyLocation.COOKIE:
        pairs = received.headers.get("cookie", "").split(";")
        cookies = dict(pair.strip().partition("=")[::2] for pair in pairs)
        return cookies.get("api_key")
    return received.headers.get("api_key")


@pytest.mark.parametrize("location", list(ApiKeyLocation))
async def test_the_key_follows_a_redirect_within_the_origin(location: ApiKeyLocation) -> None:
    def route(request: Received) -> Reply:
        if request.path == "/v1/old":
            return Reply(301, None, {"Location": "/v1/new?page=2"})
        if _credential(request, location) != SECRET:
            return Reply(401, {"error": "no key"})
        return Reply(200, {"ok": True})

    with serve(route) as server:
        async with _connector(f"{server.url}/v1", location) as connector:
            answer = await connector.request("GET", "/old")

    assert answer == {"ok": True}
    assert [r.path for r in server.received] == ["/v1/old", "/v1/new"]
    assert [_credential(r, location) for r in server.received] == [SECRET, SECRET]
    assert server.received[1].query.get("page") == "2"  # the new URL's own query is kept


@pytest.mark.parametrize("location", list(ApiKeyLocation))
async def test_the_key_never_follows_a_redirect_to_another_origin(
    location: ApiKeyLocation,
) -> None:
    with serve(lambda request: Reply(200, {"elsewhere": True})) as other:

        def route(request: Received) -> Reply:
            return Reply(302, None, {"Location": f"{other.url}/download?x=1"})

        with serve(route) as server:
            async with _connector(f"{server.url}/v1", location) as connector:
                await connector.request("GET", "/file")

        assert len(other.received) == 1
        arrived = other.received[0]
        assert _credential(arrived, location) is None
        assert SECRET not in str(arrived)
