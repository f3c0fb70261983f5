"""One table entry per kind of authentication: everything the rest of the core asks of it.

For each `AuthenticationType`: the credential fields a connector accepts by default, which
of them are required for the values given, which headers and query parameters carry a
secret (so they are stripped before a request leaves the connector's origins), and how
its `httpx.Auth` is built. Nothing else in the core branches on the kind.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import TYPE_CHECKING

import attrs
import httpx

from ._auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    OAuth2Auth,
    OAuth2Token,
    TokenStore,
    restore_credentials,
)
from ._config import DEFAULT_CREDENTIAL_FIELDS, ApiKeyLocation, AuthenticationType
from ._errors import ConfigurationError

if TYPE_CHECKING:
    from ._config import AuthScheme

Values = Mapping[str, str]

# Credential keys whose values identify rather than authenticate: never masked.
NOT_SECRET = frozenset({"client_id", "username", "email", "user", "expires_at", "expires_in"})


@attrs.frozen
class AuthKind:
    required: Callable[[AuthScheme, Values], tuple[str, ...]]
    build: Callable[[AuthScheme, Values, TokenStore | None], httpx.Auth | None]

    def credential_headers(self, scheme: AuthScheme) -> tuple[str, ...]:
        headers = ["authorization", "cookie"]
        if scheme.type is AuthenticationType.API_KEY and (
            scheme.api_key_location is ApiKeyLocation.HEADER
        ):
            headers.append(scheme.api_key_name.lower())
        headers.extend(
            name.lower() for _, where, name in scheme.extra_credentials if where == "header"
        )
        return tuple(headers)

    def credential_params(self, scheme: AuthScheme) -> tuple[str, ...]:
        params = [name for _, where, name in scheme.extra_credentials if where == "query"]
        if scheme.type is AuthenticationType.API_KEY and (
            scheme.api_key_location is ApiKeyLocation.QUERY
        ):
            params.insert(0, scheme.api_key_name)
        return tuple(params)


def _first(scheme: AuthScheme, values: Values) -> tuple[str, ...]:
    return scheme.credential_fields[:1]


def _oauth2_required(scheme: AuthScheme, values: Values) -> tuple[str, ...]:
    if values.get("refresh_token"):
        return ("refresh_token", "client_id")
    return ("access_token",)


def _client_credentials_required(scheme: AuthScheme, values: Values) -> tuple[str, ...]:
    return ("client_id", "client_secret")


def _nothing(scheme: AuthScheme, values: Values) -> tuple[str, ...]:
    return ()


def _build_none(scheme: AuthScheme, values: Values, store: TokenStore | None) -> None:
    return None


def _build_api_key(scheme: AuthScheme, values: Values, store: TokenStore | None) -> httpx.Auth:
    return ApiKeyAuth(
        values[scheme.credential_fields[0]],
        name=scheme.api_key_name,
        location=scheme.api_key_location,
        prefix=scheme.api_key_prefix,
    )


def _build_bearer(scheme: AuthScheme, values: Values, store: TokenStore | None) -> httpx.Auth:
    return BearerAuth(values[scheme.credential_fields[0]])


def _build_basic(scheme: AuthScheme, values: Values, store: TokenStore | None) -> httpx.Auth:
    user, password = scheme.credential_fields[:2]
    # Some vendors take an API key as the user name and no password (ReadMe, Mailchimp).
    return BasicAuth(values[user], values.get(password, ""))


def _build_oauth2(scheme: AuthScheme, values: Values, store: TokenStore | None) -> httpx.Auth:
    client_credentials = scheme.type is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS
    if not client_credentials and values.get("refresh_token") and not scheme.token_url:
        raise ConfigurationError("token_url is needed to use a refresh_token")
    expires_at = values.get("expires_at")
    try:
        expiry = float(expires_at) if expires_at else None
    except ValueError:
        raise ConfigurationError("credential field 'expires_at' must be a number") from None
    return OAuth2Auth(
        token_url=scheme.token_url,
        client_id=values.get("client_id"),
        client_secret=values.get("client_secret"),
        token=OAuth2Token(
            access_token=values.get("access_token"),
            refresh_token=values.get("refresh_token"),
            expires_at=expiry,
        ),
        grant="client_credentials" if client_credentials else "refresh_token",
        scopes=scheme.scopes,
        client_auth=scheme.client_auth,
        token_store=store,
    )


AUTH_KINDS: dict[AuthenticationType, AuthKind] = {
    AuthenticationType.NONE: AuthKind(_nothing, _build_none),
    AuthenticationType.API_KEY: AuthKind(_first, _build_api_key),
    AuthenticationType.BEARER_TOKEN: AuthKind(_first, _build_bearer),
    AuthenticationType.BASIC: AuthKind(_first, _build_basic),
    AuthenticationType.OAUTH2: AuthKind(_oauth2_required, _build_oauth2),
    AuthenticationType.OAUTH2_CLIENT_CREDENTIALS: AuthKind(
        _client_credentials_required, _build_oauth2
    ),
}
assert AUTH_KINDS.keys() == DEFAULT_CREDENTIAL_FIELDS.keys()


class ExtraCredentialsAuth(httpx.Auth):
    """Adds credentials a vendor wants beside the main scheme (a second header, a tenant
    id, a user name next to an API key), then runs the main scheme."""

    def __init__(self, inner: httpx.Auth | None, extra: tuple[tuple[str, str, str], ...]) -> None:
        self._inner = inner
        self._extra = extra  # (location, name, value)

    def __repr__(self) -> str:
        names = ", ".join(f"{loc}:{name}" for loc, name, _ in self._extra)
        return f"ExtraCredentialsAuth({self._inner!r}, {names})"

    def _add(self, request: httpx.Request) -> None:
        for location, name, value in self._extra:
            if location == "header":
                request.headers[name] = value
            else:
                request.url = request.url.copy_merge_params({name: value})

    def restore_credentials(self, request: httpx.Request) -> None:
        """Put query credentials back after a redirect (see `restore_credentials`)."""
        for location, name, value in self._extra:
            if location == "query" and name not in request.url.params:
                request.url = request.url.copy_merge_params({name: value})
        restore_credentials(self._inner, request)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        self._add(request)
        if self._inner is None:
            yield request
            return
        yield from self._inner.sync_auth_flow(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        self._add(request)
        if self._inner is None:
            yield request
            return
        flow = self._inner.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()


def build_auth(scheme: AuthScheme, values: Values, store: TokenStore | None) -> httpx.Auth | None:
    """The `httpx.Auth` of `scheme` for `values`, with the scheme's extra credentials."""
    auth = AUTH_KINDS[scheme.type].build(scheme, values, store)
    extra = tuple(
        (location, name, values[field])
        for field, location, name in scheme.extra_credentials
        if values.get(field)
    )
    return ExtraCredentialsAuth(auth, extra) if extra else auth


def secret_values(values: Values) -> tuple[str, ...]:
    return tuple(v for k, v in values.items() if k not in NOT_SECRET)


def choose_scheme(schemes: tuple[AuthScheme, ...], values: Values) -> AuthScheme:
    """The first scheme whose fields take every credential given and whose required
    fields are all there; with one scheme, that one (its checks name what is missing)."""
    if len(schemes) == 1:
        return schemes[0]
    for scheme in schemes:
        fields = set(scheme.credential_fields)
        required = AUTH_KINDS[scheme.type].required(scheme, values)
        if set(values) <= fields and all(values.get(name) for name in required):
            return scheme
    accepted = " or ".join(
        "{" + ", ".join(s.credential_fields) + "}" for s in schemes if s.credential_fields
    )
    raise ConfigurationError(
        f"credentials fit none of the connector's auth schemes; give one of: {accepted}"
    )
