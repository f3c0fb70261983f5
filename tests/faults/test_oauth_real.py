"""OAuth2 against a real token server with rotating refresh tokens, counted at the server.

Each refresh token works once at this server, so a second concurrent refresh would show
up as an ``invalid_grant`` there: one token request per expiry is what must arrive.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from connectory.core import (
    AuthenticationError,
    AuthenticationType,
    BaseConnectorService,
    ConnectorConfig,
    OAuth2Token,
    UniversalConnectorFactory,
)
from tests.servers import TOKEN_PATH, OAuthSpec, run_server

TASKS = 100


def _connector(url: str, store: list[OAuth2Token]) -> BaseConnectorService:
    config = ConnectorConfig(
        connector_type="oauth_probe",
        authentication_type=AuthenticationType.OAUTH2,
        base_url=url,
        token_url=f"{url}{TOKEN_PATH}",
        rate_limits={"requests_per_second": 1000},
        retry={"wait_initial": 0.01, "wait_max": 0.05, "wait_jitter": 0.01},
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "oauth_probe", BaseConnectorService, *_services(), config
    )
    return factory.create_connector("oauth_probe", token_store=store.append)


def _services() -> tuple[Any, Any]:
    from connectory.core import BaseAuthenticationService, BaseDataService

    return BaseAuthenticationService, BaseDataService


def _expired_credentials() -> dict[str, str]:
    return {
        "access_token": "access-initial",
        "refresh_token": "refresh-initial",
        "client_id": "client-1",
        "client_secret": "secret-1",
        "expires_at": "1",  # long past: the first request must refresh
    }


async def test_concurrent_requests_on_an_expired_token_refresh_once(
    figures: dict[str, Any],
) -> None:
    stored: list[OAuth2Token] = []
    with run_server(OAuthSpec(expires_in=3600, token_delay=0.2)) as server:
        connector = _connector(server.url, stored)
        async with connector:
            connector.use_credentials(_expired_credentials())
            answers = await asyncio.gather(*(connector.request("GET", "/me") for _ in range(TASKS)))
        recording = server.recording()
    assert len(answers) == TASKS
    grants = recording.token_requests
    assert [g.outcome for g in grants] == ["granted"]
    assert grants[0].refresh_token == "refresh-initial"
    # the rotated refresh token reached the store, once
    assert [t.refresh_token for t in stored] == [grants[0].new_refresh_token]
    me = [a for a in recording.arrivals if a.path == "/me"]
    assert all(a.header("authorization") == f"Bearer {grants[0].access_token}" for a in me)
    figures.setdefault("oauth", {})["concurrent_expired"] = {
        "requests": TASKS,
        "token_requests": len(grants),
        "tokens_stored": len(stored),
    }


async def test_a_rejected_refresh_is_one_request_and_one_error_for_every_waiter(
    figures: dict[str, Any],
) -> None:
    stored: list[OAuth2Token] = []
    with run_server(OAuthSpec(reject_refresh=True, token_delay=0.2)) as server:
        connector = _connector(server.url, stored)
        async with connector:
            connector.use_credentials(_expired_credentials())
            results = await asyncio.gather(
                *(connector.request("GET", "/me") for _ in range(TASKS)), return_exceptions=True
            )
            # invalid_grant is final: later calls fail at once, without a token request
            with pytest.raises(AuthenticationError, match="invalid_grant"):
                await connector.request("GET", "/me")
        recording = server.recording()
    assert all(isinstance(r, AuthenticationError) for r in results), {
        type(r).__name__ for r in results
    }
    assert len(recording.token_requests) == 1
    assert recording.token_requests[0].outcome == "invalid_grant"
    assert [a for a in recording.arrivals if a.path == "/me"] == []
    assert stored == []
    figures.setdefault("oauth", {})["rejected_refresh"] = {
        "requests": TASKS + 1,
        "token_requests": len(recording.token_requests),
        "authentication_errors": sum(isinstance(r, AuthenticationError) for r in results) + 1,
    }


async def test_a_401_right_after_a_fresh_token_does_not_cycle() -> None:
    # The server issues tokens that die at once: every request with one gets a 401.
    with run_server(OAuthSpec(expires_in=3600, lifetime=0.0)) as server:
        connector = _connector(server.url, [])
        async with connector:
            connector.use_credentials(_expired_credentials())
            with pytest.raises(AuthenticationError):
                await connector.request("GET", "/me")
        recording = server.recording()
    # one refresh (the token was stale), one request, its 401, and no refresh loop
    assert len(recording.token_requests) == 1
    assert len([a for a in recording.arrivals if a.path == "/me"]) == 1


async def test_a_401_refreshes_once_and_the_request_succeeds() -> None:
    # The access token the client holds is unknown to the server: the first answer is 401.
    stored: list[OAuth2Token] = []
    with run_server(OAuthSpec(expires_in=3600, initial_access_token=None)) as server:
        connector = _connector(server.url, stored)
        async with connector:
            credentials = {**_expired_credentials(), "expires_at": str(time.time() + 3600)}
            connector.use_credentials(credentials)
            answers = await asyncio.gather(*(connector.request("GET", "/me") for _ in range(20)))
        recording = server.recording()
    assert len(answers) == 20
    assert [g.outcome for g in recording.token_requests] == ["granted"]
    assert len(stored) == 1
