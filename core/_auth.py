"""Authentication schemes, each an `httpx.Auth`.

API key (header, query or cookie), bearer token, basic, and OAuth2 with the refresh-token
and client-credentials grants. OAuth2 refreshes shortly before expiry and once on a 401,
with exactly one token request in flight per credential however many requests wait for
it; the outcome of that request, a new token or a failure, is shared by every request that
waited for it. A refresh the token endpoint rejects for good (``invalid_grant``, a bad
client) is final: later requests fail at once, without a token request, until new
credentials are given. A new token (and a rotated refresh token) is handed to the
`token_store` callback.

Across processes, an optional `TokenCoordinator` (``connectory.core.state`` builds one over
Redis) extends the same rules: the token is shared, one process refreshes while the others
wait for its outcome, and a final rejection is seen by all.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Literal, Protocol

import attrs
import httpx

from ._config import ApiKeyLocation
from ._errors import AuthenticationError, ConnectorError, TransportError, error_for_response
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
            _add_cookie(request, self.name, self._value)
        yield request

    def restore_credentials(self, request: httpx.Request) -> None:
        """Put the key back where httpx drops it on a redirect (query, cookie)."""
        if self.location is ApiKeyLocation.QUERY and self.name not in request.url.params:
            request.url = request.url.copy_merge_params({self.name: self._value})
        elif self.location is ApiKeyLocation.COOKIE and not _has_cookie(request, self.name):
            _add_cookie(request, self.name, self._value)


def _add_cookie(request: httpx.Request, name: str, value: str) -> None:
    cookie = f"{name}={value}"
    existing = request.headers.get("cookie")
    request.headers["cookie"] = f"{existing}; {cookie}" if existing else cookie


def _has_cookie(request: httpx.Request, name: str) -> bool:
    pairs = request.headers.get("cookie", "").split(";")
    return any(pair.strip().partition("=")[0] == name for pair in pairs)


def restore_credentials(auth: httpx.Auth | None, request: httpx.Request) -> None:
    """Credentials carried in the query or a cookie, put back on a redirected request.

    httpx follows a redirect by building a new request from ``Location``: headers are kept
    (``Authorization`` only within the origin), but the query is the new URL's and the
    ``Cookie`` header is dropped. Schemes that carry credentials there implement
    ``restore_credentials``; the client calls it for each request to its own origin.
    """
    restore = getattr(auth, "restore_credentials", None)
    if restore is not None:
        restore(request)


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


# -- coordination across processes (see connectory.core.state) ---------------------------


class RefreshTurn(Protocol):
    """This process's turn to refresh a shared token: it sends the token request with
    `base` (the newest token stored) and reports the outcome exactly once."""

    @property
    def base(self) -> OAuth2Token: ...

    async def succeeded(self, token: OAuth2Token) -> OAuth2Token:
        """Store `token`; returns the token everyone uses now (normally `token`)."""
        ...

    async def failed(self, error: ConnectorError, *, code: str | None, final: bool) -> None:
        """Record the failure for the processes that wait (and, if final, for all)."""
        ...


@attrs.frozen
class SharedFailure:
    """A refresh failed in another process: `error` applies here too."""

    error: ConnectorError
    final: bool


class TokenCoordinator(Protocol):
    """Shares one credential's token, and its refreshes, between processes."""

    async def load(self) -> OAuth2Token | None:
        """The token stored for this credential, if any (used before the first request)."""
        ...

    async def begin(self, current: OAuth2Token) -> OAuth2Token | RefreshTurn | SharedFailure:
        """`current` is stale or was refused. Returns a newer token another process got
        (possibly after waiting for its refresh), this process's turn to refresh, or the
        failure of the refresh it waited for (or of a final one)."""
        ...


@attrs.frozen
class CoordinatedTokenStore:
    """A `token_store` that also shares tokens between processes: an `OAuth2Auth` given
    one asks `coordinator_for` for its coordinator. Calling it calls `store`."""

    coordinator_for: Callable[[OAuth2Auth], TokenCoordinator | None]
    store: TokenStore | None = None

    def __call__(self, token: OAuth2Token) -> Awaitable[None] | None:
        return None if self.store is None else self.store(token)


# Token-endpoint error codes that no retry will cure (RFC 6749, section 5.2).
_FINAL_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "unsupported_grant_type"}
)


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
        coordinator: TokenCoordinator | None = None,
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
        self._async_lock: asyncio.Lock | None = None
        self._sync_lock = threading.Lock()
        self.refresh_count = 0
        # Every finished refresh attempt bumps `_attempts`; a request that waited for the
        # lock while one ran takes its outcome (`_failure` or the new token) instead of
        # sending a token request of its own.
        self._attempts = 0
        self._failure: AuthenticationError | ConnectorError | None = None
        # Set when the endpoint rejected the grant for good: every request fails at once.
        self._final: AuthenticationError | None = None
        # What this auth registered as secrets in use, so it releases exactly that even if
        # `_token` is replaced from outside. The client secret is included: token
        # endpoints echo it in their error bodies.
        self._held: tuple[str, ...] = ()
        self._hold(self._token)
        if coordinator is None and isinstance(token_store, CoordinatedTokenStore):
            coordinator = token_store.coordinator_for(self)
        self.coordinator = coordinator
        self._loaded = coordinator is None  # the shared token is read before the first request

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
        """The token a token-endpoint response carries; raises its failure otherwise."""
        if response.status_code >= 400:
            error = error_for_response(response, operation="oauth2_token")
            code = _error_code(response)
            if response.status_code in (400, 401, 403):
                rejected = AuthenticationError(
                    f"token request rejected ({self.grant} grant"
                    + (f", {code}" if code else "")
                    + ")",
                    status_code=error.status_code,
                    method=error.method,
                    url=error.url,
                    body_excerpt=error.body_excerpt,
                    operation="oauth2_token",
                )
                if code in _FINAL_ERRORS or response.status_code == 401:
                    self._final = rejected
                raise rejected
            raise error
        try:
            payload = response.json()
        except ValueError:
            raise ConnectorError(
                "token endpoint answered with a body that is not JSON",
                status_code=response.status_code,
                operation="oauth2_token",
            ) from None
        if not isinstance(payload, dict):
            raise AuthenticationError("token endpoint answered with a non-object JSON body")
        token = OAuth2Token.from_response(payload, previous=self._token, now=self._clock())
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

    def _check_final(self) -> None:
        if self._final is not None:
            raise AuthenticationError(
                f"{self._final.message}; give new credentials to continue",
                status_code=self._final.status_code,
                operation="oauth2_token",
            )

    def _outcome(self, attempts_seen: int, token: OAuth2Token) -> bool:
        """Under the lock: True if the token this request used was already replaced (by a
        refresh that finished while it waited, or from outside); raises the failure of a
        refresh that finished meanwhile; False if this request must refresh itself."""
        if self._token is not token:
            return True
        if self._attempts != attempts_seen and self._failure is not None:
            raise _copy_error(self._failure)
        self._check_final()
        return False

    def _record(self, failure: AuthenticationError | ConnectorError | None) -> None:
        self._attempts += 1
        self._failure = failure

    def _finish(self, response: httpx.Response) -> OAuth2Token:
        """Accept a token response, recording the outcome for the requests that wait."""
        try:
            token = self._accept(response)
        except ConnectorError as exc:
            self._record(exc)
            raise
        self._record(None)
        return token

    def use_refresh_token(self, refresh_token: str) -> None:
        """Refresh with `refresh_token` from now on (one issued outside this object)."""
        self._token = attrs.evolve(self._token, refresh_token=refresh_token)
        self._final = None
        self._hold(self._token)

    def _lock(self) -> asyncio.Lock:
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        return self._async_lock

    async def refresh(
        self, send: Callable[[httpx.Request], Awaitable[httpx.Response]]
    ) -> OAuth2Token:
        """Obtain a new token now with `send` (the connector's client), under the lock."""
        self._check_final()
        async with self._lock():
            try:
                response = await send(self.build_token_request())
                await response.aread()
            except ConnectorError as exc:
                self._record(exc)
                raise
            token = self._finish(response)
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
        self._check_final()
        if not self._loaded:
            await self._load_shared()
        seen = self._attempts
        token = self._token
        refresh = self._stale(token)
        for _ in range(2):  # at most one refresh after a 401, then the answer stands
            if refresh:
                async with self._lock():
                    if not self._outcome(seen, token):
                        turn = None if self.coordinator is None else await self._begin_shared()
                        if turn is not None or self.coordinator is None:
                            try:
                                response = yield self.build_token_request()
                            except GeneratorExit:  # httpx gave up on the token request
                                failure = TransportError("the token request got no answer")
                                self._record(failure)
                                if turn is not None:
                                    await turn.failed(failure, code=None, final=False)
                                raise
                            await response.aread()
                            await self._conclude(response, turn)
                seen, token = self._attempts, self._token
            self._apply(request, token)
            response = yield request
            if response.status_code != 401 or not self.can_refresh() or refresh:
                # The 401's body is left for httpx to read: closing it here would make
                # httpx's own read of it fail on a real connection.
                return
            refresh = True

    async def _conclude(self, response: httpx.Response, turn: RefreshTurn | None) -> None:
        """Take the token response; with a turn, share its outcome with other processes."""
        if turn is None:
            await self._store(self._finish(response))
            return
        try:
            token = self._finish(response)
        except ConnectorError as exc:
            await turn.failed(exc, code=_error_code(response), final=self._final is not None)
            raise
        shared = await turn.succeeded(token)
        if shared == token:
            await self._store(token)
        else:  # another process stored a token first: every process uses that one
            self._adopt(shared)

    # -- coordination across processes ---------------------------------------------------

    def _adopt(self, token: OAuth2Token) -> None:
        """Use a token another process obtained."""
        self._hold(token)
        self._token = token

    async def _load_shared(self) -> None:
        async with self._lock():
            if self._loaded or self.coordinator is None:
                return
            shared = await self.coordinator.load()
            if shared is not None and shared.access_token is not None:
                self._adopt(shared)
            self._loaded = True

    async def _begin_shared(self) -> RefreshTurn | None:
        """Under the lock: this process's turn to refresh, or None when another process's
        fresh token was adopted; raises the failure of the refresh this one waited for."""
        assert self.coordinator is not None
        current = self._token
        while True:
            outcome = await self.coordinator.begin(current)
            if isinstance(outcome, SharedFailure):
                if outcome.final and isinstance(outcome.error, AuthenticationError):
                    self._final = outcome.error
                self._record(outcome.error)
                raise _copy_error(outcome.error)
            if not isinstance(outcome, OAuth2Token):
                self._adopt(outcome.base)  # refresh with the newest refresh token stored
                return outcome
            self._adopt(outcome)
            if not self._stale(outcome):
                return None
            current = outcome  # newer but stale too: ask again, now for this one

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if self.coordinator is not None:
            raise TypeError("a shared token coordinator needs the async client")
        self._check_final()
        seen = self._attempts
        token = self._token
        refresh = self._stale(token)
        for _ in range(2):
            if refresh:
                with self._sync_lock:
                    if not self._outcome(seen, token):
                        try:
                            response = yield self.build_token_request()
                        except GeneratorExit:
                            self._record(TransportError("the token request got no answer"))
                            raise
                        response.read()
                        self._store_sync(self._finish(response))
                seen, token = self._attempts, self._token
            self._apply(request, token)
            response = yield request
            if response.status_code != 401 or not self.can_refresh() or refresh:
                return
            refresh = True

    def _store_sync(self, token: OAuth2Token) -> None:
        if self.token_store is not None:
            result = self.token_store(token)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # never awaited: close it rather than leak a warning
                raise TypeError("an async token_store needs the async client")


def _error_code(response: httpx.Response) -> str | None:
    try:
        payload = response.json()
    except (ValueError, httpx.ResponseNotRead):
        return None
    code = payload.get("error") if isinstance(payload, dict) else None
    return code if isinstance(code, str) else None


def _copy_error(error: ConnectorError) -> ConnectorError:
    """A fresh exception of the same kind for another waiter (tracebacks differ)."""
    copy = type(error).__new__(type(error))
    copy.__dict__.update(error.__dict__)
    Exception.__init__(copy, error.message)
    return copy
