"""Authentication schemes, each an `httpx.Auth`.

API key (header, query or cookie), bearer token, basic, and OAuth2 with the refresh-token
and client-credentials grants. OAuth2 refreshes shortly before expiry and once on a 401,
with exactly one token request in flight per credential however many requests wait for it;
a new token (and a rotated refresh token) is handed to the `token_store` callback.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Literal

import attrs
import httpx

from ._config import ApiKeyLocation
from ._errors import AuthenticationError, ConnectorError, error_for_response
from ._redact import MASK, register_secrets, unregister_secrets

OPERATION_EXTENSION = "connectory.operation"
"""Request extension naming the operation, for metrics and errors."""


class ApiKeyAuth(httpx.Auth):
    """An API key sent in a header, a query parameter or a cookie."""

    def __init__(
        self,
        key: str,
        *,
        name: str = "X-API-Key",
        location: ApiKeyLocation | str = ApiKeyLocation.HEADER,
        prefix: str | None = None,
    ) -> None:
        self._key = key
        self.name = name
        self.location = ApiKeyLocation(location)
        self._value = f"{prefix} {key}" if prefix else key

    def __repr__(self) -> str:
        return f"ApiKeyAuth(name={self.name!r}, location={self.location.value!r}, key={MASK!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.location is ApiKeyLocation.HEADER:
            request.headers[self.name] = self._value
        elif self.location is ApiKeyLocation.QUERY:
            request.url = request.url.copy_merge_params({self.name: self._value})
        else:
            cookie = f"{self.name}={self._value}"
            existing = request.headers.get("cookie")
            request.headers["cookie"] = f"{existing}; {cookie}" if existing else cookie
        yield request


class BearerAuth(httpx.Auth):
    """A static bearer token (personal access tokens, bot tokens, integration tokens)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"BearerAuth(token={MASK!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class BasicAuth(httpx.BasicAuth):
    """HTTP basic auth with a repr that shows no credentials."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self.username = username

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password={MASK!r})"


@attrs.frozen
class OAuth2Token:
    """An OAuth2 access token and what came with it. Its repr shows no secret."""

    access_token: str | None = attrs.field(default=None, repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
    expires_at: float | None = None
    token_type: str = "Bearer"
    scope: str | None = None

    @classmethod
    def from_response(
        cls, payload: dict[str, Any], *, previous: OAuth2Token | None, now: float
    ) -> OAuth2Token:
        access_token = payload.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthenticationError("token endpoint answered without an access_token")
        expires_in = payload.get("expires_in")
        try:
            expires_at = now + float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            expires_at = None
        refresh = payload.get("refresh_token") or (previous.refresh_token if previous else None)
        scope = payload.get("scope")
        return cls(
            access_token=access_token,
            refresh_token=refresh if isinstance(refresh, str) else None,
            expires_at=expires_at,
            token_type=str(payload.get("token_type") or "Bearer"),
            scope=scope if isinstance(scope, str) else None,
        )

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.access_token, self.refresh_token) if v)


TokenStore = Callable[[OAuth2Token], Awaitable[None] | None]
"""Called with every new token; persist it (a rotated refresh token replaces the old one)."""


class OAuth2Auth(httpx.Auth):
    """OAuth2 bearer auth that keeps its access token fresh.

    With ``grant="refresh_token"`` it starts from the user's tokens and refreshes with the
    refresh token; with ``grant="client_credentials"`` it fetches tokens with the client's
    id and secret. The token request goes through the same client (so the same transport,
    limits and metrics) and is never sent more than once at a time.
    """

    def __init__(
        self,
        *,
        token_url: str | None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token: OAuth2Token | None = None,
        grant: Literal["refresh_token", "client_credentials"] = "refresh_token",
        scopes: tuple[str, ...] = (),
        client_auth: Literal["body", "basic"] = "body",
        token_store: TokenStore | None = None,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._token = token or OAuth2Token()
        self.grant = grant
        self.scopes = scopes
        self.client_auth = client_auth
        self.token_store = token_store
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._async_lock = asyncio.Lock()
        self._sync_lock = threading.Lock()
        self.refresh_count = 0
        # What this auth registered as secrets in use, so it releases exactly that even if
        # `_token` is replaced from outside. The client secret is included: token
        # endpoints echo it in their error bodies.
        self._held: tuple[str, ...] = ()
        self._hold(self._token)

    def __repr__(self) -> str:
        return (
            f"OAuth2Auth(grant={self.grant!r}, client_id={self.client_id!r}, token={self._token!r})"
        )

    @property
    def token(self) -> OAuth2Token:
        return self._token

    # -- decisions, shared by the sync and async flows ---------------------------------

    def can_refresh(self) -> bool:
        if self.token_url is None:
            return False
        if self.grant == "client_credentials":
            return self.client_id is not None
        return self._token.refresh_token is not None

    def _stale(self, token: OAuth2Token) -> bool:
        if token.access_token is None:
            return True
        if token.expires_at is None:
            return False
        return self._clock() >= token.expires_at - self.refresh_margin

    def build_token_request(self) -> httpx.Request:
        if self.token_url is None:
            raise AuthenticationError("access token expired and no token_url to refresh it")
        form: dict[str, str] = {"grant_type": self.grant}
        if self.grant == "refresh_token":
            if self._token.refresh_token is None:
                raise AuthenticationError("access token expired and no refresh_token was given")
            form["refresh_token"] = self._token.refresh_token
        elif self.scopes:
            form["scope"] = " ".join(self.scopes)
        headers = {"Accept": "application/json"}
        if self.client_auth == "basic" and self.client_id is not None:
            basic = httpx.BasicAuth(self.client_id, self._client_secret or "")
            request = httpx.Request("POST", self.token_url, data=form, headers=headers)
            request = next(basic.auth_flow(request))
        else:
            if self.client_id is not None:
                form["client_id"] = self.client_id
            if self._client_secret is not None:
                form["client_secret"] = self._client_secret
            request = httpx.Request("POST", self.token_url, data=form, headers=headers)
        request.extensions = {**request.extensions, OPERATION_EXTENSION: "oauth2_token"}
        return request

    def _accept(self, response: httpx.Response) -> OAuth2Token:
        if response.status_code >= 400:
            error = error_for_response(response, operation="oauth2_token")
            if response.status_code in (400, 401, 403):
                raise AuthenticationError(
                    f"token request rejected ({self.grant} grant)",
                    status_code=error.status_code,
                    method=error.method,
                    url=error.url,
                    body_excerpt=error.body_excerpt,
                    operation="oauth2_token",
                )
            raise error
        try:
            payload = response.json()
        except ValueError:
            raise ConnectorError(
                "token endpoint answered with a body that is not JSON",
                status_code=response.status_code,
            ) from None
        if not isinstance(payload, dict):
            raise AuthenticationError("token endpoint answered with a non-object JSON body")
        previous = self._token
        token = OAuth2Token.from_response(payload, previous=previous, now=self._clock())
        self._hold(token)
        self._token = token
        self.refresh_count += 1
        return token

    def _apply(self, request: httpx.Request, token: OAuth2Token) -> None:
        if token.access_token is None:
            raise AuthenticationError("no access token and no way to obtain one")
        request.headers["Authorization"] = f"Bearer {token.access_token}"

    def _hold(self, token: OAuth2Token) -> None:
        values = token.secrets() + ((self._client_secret,) if self._client_secret else ())
        register_secrets(values)  # before releasing the old ones: no unmasked moment
        unregister_secrets(self._held)
        self._held = values

    def use_refresh_token(self, refresh_token: str) -> None:
        """Refresh with `refresh_token` from now on (one issued outside this object)."""
        self._token = attrs.evolve(self._token, refresh_token=refresh_token)
        self._hold(self._token)

    async def refresh(
        self, send: Callable[[httpx.Request], Awaitable[httpx.Response]]
    ) -> OAuth2Token:
        """Obtain a new token now with `send` (the connector's client), under the lock."""
        async with self._async_lock:
            response = await send(self.build_token_request())
            await response.aread()
            token = self._accept(response)
            await self._store(token)
            return token

    def forget(self) -> None:
        """Stop treating this credential's values as in use (on connector close)."""
        unregister_secrets(self._held)
        self._held = ()

    # -- flows -----------------------------------------------------------------------

    async def _store(self, token: OAuth2Token) -> None:
        if self.token_store is not None:
            result = self.token_store(token)
            if inspect.isawaitable(result):
                await result

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._token
        if self._stale(token):
            async with self._async_lock:
                if self._token is token:  # nobody refreshed while we waited for the lock
                    response = yield self.build_token_request()
                    await response.aread()
                    await self._store(self._accept(response))
                token = self._token
        self._apply(request, token)
        response = yield request
        if response.status_code != 401 or not self.can_refresh():
            return
        async with self._async_lock:
            if self._token is token:
                await response.aclose()
                token_response = yield self.build_token_request()
                await token_response.aread()
                await self._store(self._accept(token_response))
            token = self._token
        self._apply(request, token)
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if self._stale(token):
            with self._sync_lock:
                if self._token is token:
                    response = yield self.build_token_request()
                    response.read()
                    self._store_sync(self._accept(response))
                token = self._token
        self._apply(request, token)
        response = yield request
        if response.status_code != 401 or not self.can_refresh():
            return
        with self._sync_lock:
            if self._token is token:
                response.close()
                token_response = yield self.build_token_request()
                token_response.read()
                self._store_sync(self._accept(token_response))
            token = self._token
        self._apply(request, token)
        yield request

    def _store_sync(self, token: OAuth2Token) -> None:
        if self.token_store is not None:
            result = self.token_store(token)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # never awaited: close it rather than leak a warning
                raise TypeError("an async token_store needs the async client")
