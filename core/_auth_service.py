"""The seed's authentication service: credentials in, the right `httpx.Auth` out."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

import httpx

from ._auth import OAuth2Auth, TokenStore, restore_credentials
from ._auth_kinds import AUTH_KINDS, build_auth, choose_scheme, secret_values
from ._config import AuthenticationType, AuthScheme, ConnectorConfig
from ._errors import AuthenticationError, ConfigurationError
from ._interfaces import Credentials, IAuthenticationService
from ._redact import get_logger, register_secrets, unregister_secrets


class _CurrentAuth(httpx.Auth):
    """What the connector's client authenticates with: whatever scheme the service holds
    now (none before credentials are given). Handing the client this object at
    construction lets credentials change later without touching the client."""

    def __init__(self, service: BaseAuthenticationService) -> None:
        self._service = service

    def __repr__(self) -> str:
        return f"<auth of {self._service!r}>"

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        auth = self._service.auth
        if auth is None:
            yield request
            return
        flow = auth.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()  # a scheme waiting on a token request must learn it ended

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        auth = self._service.auth
        if auth is None:
            yield request
            return
        yield from auth.sync_auth_flow(request)

    def restore_credentials(self, request: httpx.Request) -> None:
        restore_credentials(self._service.auth, request)


class BaseAuthenticationService(IAuthenticationService):
    """Turns a connector's credentials into an `httpx.Auth`, validating them first.

    Subclasses (generated ones included) usually change nothing; a vendor with an unusual
    scheme overrides `build_auth`. `transport` sends explicit token refreshes through the
    connector's pipeline (limits, retries, metrics).
    """

    def __init__(
        self,
        logger: logging.Logger | None,
        config: ConnectorConfig,
        *,
        token_store: TokenStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.logger = logger or get_logger(config.slug)
        self.config = config
        self.token_store = token_store
        self.auth: httpx.Auth | None = None
        self.scheme: AuthScheme | None = None
        self.httpx_auth: httpx.Auth = _CurrentAuth(self)
        self._transport = transport
        self._secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        state = "authenticated" if self.auth is not None else "not authenticated"
        return f"{type(self).__name__}({self.config.slug!r}, {state})"

    @property
    def accepted_fields(self) -> tuple[str, ...]:
        """Every credential field some auth scheme of the connector takes."""
        fields: dict[str, None] = {}
        for scheme in self.config.auth_schemes:
            fields.update(dict.fromkeys(scheme.credential_fields))
        return tuple(fields)

    def validate_credentials(self, credentials: Credentials) -> dict[str, str]:
        """Check the keys and value types; raise `ConfigurationError` naming the field."""
        slug = self.config.slug
        if not isinstance(credentials, Mapping):
            raise ConfigurationError(
                f"{slug}: credentials must be a mapping, got {type(credentials).__name__}"
            )
        accepted = self.accepted_fields
        values: dict[str, str] = {}
        for key, value in credentials.items():
            if key not in accepted:
                raise ConfigurationError(
                    f"{slug}: unknown credential field {key!r}; "
                    f"accepted: {', '.join(accepted) or 'none'}"
                )
            if value is None:
                continue
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ConfigurationError(f"{slug}: credential field {key!r} must be a string")
            text = str(value)
            if any(c in text for c in "\r\n\x00"):
                # It would split the request it is sent in; the value is never echoed.
                raise ConfigurationError(f"{slug}: credential field {key!r} contains CR, LF or NUL")
            values[key] = text
        scheme = choose_scheme(self.config.auth_schemes, values)
        for key in self.required_fields(values, scheme):
            if not values.get(key):
                raise ConfigurationError(f"{slug}: missing credential field {key!r}")
        return values

    def required_fields(
        self, values: Mapping[str, str], scheme: AuthScheme | None = None
    ) -> tuple[str, ...]:
        chosen = scheme or choose_scheme(self.config.auth_schemes, values)
        return AUTH_KINDS[chosen.type].required(chosen, values)

    def build_auth(self, values: Mapping[str, str], scheme: AuthScheme) -> httpx.Auth | None:
        """The `httpx.Auth` for `values` under `scheme` (override for unusual vendors)."""
        try:
            return build_auth(scheme, values, self.token_store)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{self.config.slug}: {exc.message}") from None

    def set_credentials(self, credentials: Credentials) -> None:
        """Validate `credentials` and use them from the next request on. Sends nothing."""
        values = self.validate_credentials(credentials)
        scheme = choose_scheme(self.config.auth_schemes, values)
        self.forget()
        self._secrets = secret_values(values)
        register_secrets(self._secrets)
        self.auth = self.build_auth(values, scheme)
        self.scheme = scheme

    async def authenticate(self, credentials: Credentials) -> bool:
        """The seed's form of `set_credentials`: validate and prepare. Makes no request."""
        self.set_credentials(credentials)
        return True

    async def refresh_token(self, refresh_token: str) -> dict[str, Any]:
        """Exchange `refresh_token` for a new token now; returns the token response fields."""
        auth = self.auth
        if not isinstance(auth, OAuth2Auth):
            raise AuthenticationError(f"{self.config.slug}: not an authenticated OAuth2 connector")
        transport = self._transport or httpx.AsyncHTTPTransport()

        async def send(request: httpx.Request) -> httpx.Response:
            response = await transport.handle_async_request(request)
            await response.aread()
            response.request = request
            return response

        auth.use_refresh_token(refresh_token)
        try:
            token = await auth.refresh(send)
        finally:
            if self._transport is None:
                await transport.aclose()
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_at": token.expires_at,
            "token_type": token.token_type,
            "scope": token.scope,
        }

    def get_auth_headers(self) -> dict[str, str]:
        """Headers the auth scheme would add to a request to the base URL."""
        if self.auth is None:
            return {}
        if isinstance(self.auth, OAuth2Auth):
            # Running its flow could start a token request; report the token held now.
            token = self.auth.token.access_token
            return {"authorization": f"Bearer {token}"} if token else {}
        request = httpx.Request("GET", self.config.base_url)
        flow = self.auth.sync_auth_flow(request)
        authed = next(flow)
        flow.close()
        return {k: v for k, v in authed.headers.items() if k.lower() != "host"}

    @property
    def needs_credentials(self) -> bool:
        return self.auth is None and self.config.authentication_type is not AuthenticationType.NONE

    def forget(self) -> None:
        """Drop the credentials (on close)."""
        if isinstance(self.auth, OAuth2Auth):
            self.auth.forget()
        unregister_secrets(self._secrets)
        self._secrets = ()
        self.auth = None
        self.scheme = None
