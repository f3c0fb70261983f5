"""Connector configuration: the seed's `ConnectorConfig` and the values it holds.

Everything is validated at construction, so a bad value fails where it is written,
with a message naming the field, instead of at the first request.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs
import httpx

from ._connector_types import ConnectorType
from ._errors import ConfigurationError


class AuthenticationType(enum.StrEnum):
    """How a connector proves who it is."""

    NONE = "none"
    API_KEY = "api_key"
    BEARER_TOKEN = "bearer_token"
    BASIC = "basic"
    OAUTH2 = "oauth2"
    OAUTH2_CLIENT_CREDENTIALS = "oauth2_client_credentials"


class ApiKeyLocation(enum.StrEnum):
    HEADER = "header"
    QUERY = "query"
    COOKIE = "cookie"


_E = TypeVar("_E", bound=enum.StrEnum)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _to_enum(enum_type: type[_E], field: str, value: Any) -> _E:
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise ConfigurationError(
            f"{field}: unknown value {value!r}; expected one of: {allowed}"
        ) from None


def _to_webhook_scheme(value: Any) -> str | None:
    """A `connectory.core.webhooks` scheme name (``github``, ``stripe``...), or None."""
    from .webhooks import WEBHOOK_SCHEMES  # imported on use: few configs name a scheme

    if value is None:
        return None
    name = value.strip().lower() if isinstance(value, str) else None
    if name not in WEBHOOK_SCHEMES:
        valid = ", ".join(sorted(WEBHOOK_SCHEMES))
        raise ConfigurationError(
            f"webhook_scheme: unknown scheme {value!r}; expected one of: {valid}"
        )
    return name


def connector_key(value: Any) -> str:
    """A connector's registry key: a `ConnectorType` member when connectory ships that
    connector, else the plain name (a connector generated from any spec)."""
    if isinstance(value, ConnectorType):
        return value
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigurationError(
            f"connector_type: {value!r} is not a connector name (lower-case letters, digits "
            "and underscores, starting with a letter)"
        )
    try:
        return ConnectorType(value)
    except ValueError:
        return value


def _to_authentication_type(value: Any) -> AuthenticationType:
    return _to_enum(AuthenticationType, "authentication_type", value)


def _to_api_key_location(value: Any) -> ApiKeyLocation:
    return _to_enum(ApiKeyLocation, "api_key_location", value)


def _number_check(field: str) -> Any:
    def check(_: Any, __: Any, value: float | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"{field}: expected a number, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"{field}: must be a positive number, got {value!r}")

    return check


def _to_windows(value: Any) -> tuple[tuple[float, int], ...]:
    """Extra windows as (seconds, requests) pairs, from pairs or {seconds, requests} maps."""
    windows: list[tuple[float, int]] = []
    for index, item in enumerate(value or ()):
        where = f"rate_limits.windows[{index}]"
        if isinstance(item, Mapping):
            unknown = sorted(set(item) - {"seconds", "requests"})
            if unknown:
                raise ConfigurationError(f"{where}: unknown key {unknown[0]!r}")
            pair = (item.get("seconds"), item.get("requests"))
        elif isinstance(item, Sequence) and len(item) == 2:
            pair = (item[0], item[1])
        else:
            raise ConfigurationError(f"{where}: expected {{seconds: N, requests: M}}")
        for name, number in zip(("seconds", "requests"), pair, strict=True):
            _number_check(f"{where}.{name}")(None, None, number)
        windows.append((float(pair[0]), int(pair[1])))  # type: ignore[arg-type]
    return tuple(windows)


@attrs.frozen(kw_only=True)
class RateLimits:
    """Requests allowed per second, minute, hour and day, plus windows of any length.

    None means no limit on that window. Each limit holds for every interval of its
    length, as the vendor's server counts arrivals (see `RateLimiter`).
    """

    requests_per_second: float | None = attrs.field(
        default=None, validator=_number_check("rate_limits.requests_per_second")
    )
    requests_per_minute: float | None = attrs.field(
        default=None, validator=_number_check("rate_limits.requests_per_minute")
    )
    requests_per_hour: float | None = attrs.field(
        default=None, validator=_number_check("rate_limits.requests_per_hour")
    )
    requests_per_day: float | None = attrs.field(
        default=None, validator=_number_check("rate_limits.requests_per_day")
    )
    extra_windows: tuple[tuple[float, int], ...] = attrs.field(default=(), converter=_to_windows)

    def windows(self) -> tuple[tuple[float, int], ...]:
        """(window length in seconds, requests allowed) for each limited window."""
        pairs = (
            (1.0, self.requests_per_second),
            (60.0, self.requests_per_minute),
            (3_600.0, self.requests_per_hour),
            (86_400.0, self.requests_per_day),
        )
        named = tuple(
            (seconds, max(1, math.floor(limit))) for seconds, limit in pairs if limit is not None
        )
        return tuple(sorted({*named, *self.extra_windows}))


_RATE_KEYS = {
    "requests_per_second",
    "requests_per_minute",
    "requests_per_hour",
    "requests_per_day",
    "windows",
    "extra_windows",
}


def _to_rate_limits(value: Any) -> RateLimits:
    if value is None:
        return RateLimits()
    if isinstance(value, RateLimits):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"rate_limits: expected a mapping, got {type(value).__name__}")
    unknown = sorted(str(key) for key in value if key not in _RATE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"rate_limits: unknown key {unknown[0]!r}; expected "
            f"{', '.join(sorted(_RATE_KEYS - {'extra_windows'}))}"
        )
    values = {k: v for k, v in value.items() if v is not None}
    if "windows" in values:
        values["extra_windows"] = values.pop("windows")
    return RateLimits(**values)


def _positive(field: str) -> Any:
    def check(_: Any, __: Any, value: float) -> None:
        if not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"{field}: must be a positive number, got {value!r}")

    return check


def _non_negative(field: str) -> Any:
    def check(_: Any, __: Any, value: float) -> None:
        if not math.isfinite(value) or value < 0:
            raise ConfigurationError(f"{field}: must be zero or more, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to retry a failed request.

    Connection errors, 408, 429 and 5xx are retried with exponential backoff and jitter,
    for idempotent methods only (POST and PATCH only with an ``Idempotency-Key`` header),
    bounded by `attempts` and by `timeout` seconds in all. A ``Retry-After`` up to
    `retry_after_cap` seconds is obeyed; a longer one is not waited for: the error is raised.
    ``unsafe_after_429=True`` also resends a request without a key after a 429, which
    refuses a request before the server acts on it (by default such a request is sent once,
    whatever the answer).
    """

    attempts: int = attrs.field(default=4)
    timeout: float = attrs.field(default=60.0, validator=_positive("retry.timeout"))
    wait_initial: float = attrs.field(default=0.2, validator=_non_negative("retry.wait_initial"))
    wait_max: float = attrs.field(default=10.0, validator=_non_negative("retry.wait_max"))
    wait_jitter: float = attrs.field(default=0.5, validator=_non_negative("retry.wait_jitter"))
    retry_after_cap: float = attrs.field(
        default=60.0, validator=_non_negative("retry.retry_after_cap")
    )
    unsafe_after_429: bool = attrs.field(default=False)

    @attempts.validator
    def _check_attempts(self, _: Any, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"retry.attempts: must be an integer >= 1, got {value!r}")


def _to_retry_policy(value: Any) -> RetryPolicy:
    if value is None:
        return RetryPolicy()
    if isinstance(value, RetryPolicy):
        return value
    if isinstance(value, Mapping):
        known = {field.name for field in attrs.fields(RetryPolicy)}
        unknown = sorted(str(key) for key in value if key not in known)
        if unknown:
            raise ConfigurationError(f"retry: unknown key {unknown[0]!r}")
        return RetryPolicy(**value)
    raise ConfigurationError(f"retry: expected a RetryPolicy or mapping, got {value!r}")


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def check_url(field: str, value: str) -> None:
    """An absolute http(s) URL (``{name}`` placeholders allowed), or `ConfigurationError`
    naming `field`."""
    try:
        url = httpx.URL(_PLACEHOLDER.sub("x", value))
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"{field}: not a URL: {value!r} ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"{field}: expected an absolute http(s) URL, got {value!r}")


def _check_base_url(_: Any, __: Any, value: str) -> None:
    check_url("base_url", value)


def _check_names(field: str) -> Any:
    def check(_: Any, __: Any, value: tuple[str, ...]) -> None:
        for name in value:
            if not isinstance(name, str) or not name:
                raise ConfigurationError(f"{field}: expected non-empty strings, got {name!r}")

    return check


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value or ())


def _checked_headers(value: Any) -> Mapping[str, str]:
    headers = dict(value or {})
    for name, text in headers.items():
        check_header_value(f"default_headers[{name!r}]", str(name), str(text))
    return headers


def check_header_value(field: str, name: str, value: str) -> None:
    """Refuse a header that would split the request (CR or LF) before anything is sent.

    The message names the field, never the value: a header value may be a credential.
    """
    if any(c in name for c in "\r\n:") or not name.strip():
        raise ConfigurationError(f"{field}: invalid header name")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ConfigurationError(f"{field}: header value contains CR, LF or NUL")


_MIN_CREDENTIAL_FIELDS: dict[AuthenticationType, int] = {
    AuthenticationType.NONE: 0,
    AuthenticationType.API_KEY: 1,
    AuthenticationType.BEARER_TOKEN: 1,
    AuthenticationType.BASIC: 2,
    AuthenticationType.OAUTH2: 0,
    AuthenticationType.OAUTH2_CLIENT_CREDENTIALS: 0,
}


def _to_extra(value: Any) -> tuple[tuple[str, str, str], ...]:
    extra: list[tuple[str, str, str]] = []
    for index, item in enumerate(value or ()):
        where = f"extra_credentials[{index}]"
        if isinstance(item, Mapping):
            item = (item.get("field"), item.get("in", "header"), item.get("name"))
        if not (
            isinstance(item, Sequence) and len(item) == 3 and all(isinstance(x, str) for x in item)
        ):
            raise ConfigurationError(f"{where}: expected {{field: F, in: header|query, name: N}}")
        field, location, name = item
        if location not in ("header", "query"):
            raise ConfigurationError(f"{where}.in: expected header or query, got {location!r}")
        extra.append((field, location, name))
    return tuple(extra)


@attrs.frozen(kw_only=True)
class AuthScheme:
    """One way a connector can authenticate: its kind, credential fields and details."""

    type: AuthenticationType = attrs.field(converter=_to_authentication_type)
    credential_fields: tuple[str, ...] = attrs.field(
        default=attrs.Factory(lambda self: default_credential_fields(self.type), takes_self=True),
        converter=_str_tuple,
        validator=_check_names("credential_fields"),
    )
    api_key_name: str = "X-API-Key"
    api_key_location: ApiKeyLocation = attrs.field(
        default=ApiKeyLocation.HEADER, converter=_to_api_key_location
    )
    api_key_prefix: str | None = None
    token_url: str | None = None
    authorization_url: str | None = None
    scopes: tuple[str, ...] = attrs.field(factory=tuple, converter=_str_tuple)
    # How the client id and secret reach the token endpoint: form fields or HTTP Basic.
    client_auth: Literal["body", "basic"] = "body"
    # Credentials sent beside the scheme's own: (credential field, header|query, name).
    extra_credentials: tuple[tuple[str, str, str], ...] = attrs.field(
        default=(), converter=_to_extra
    )

    def __attrs_post_init__(self) -> None:
        needed = _MIN_CREDENTIAL_FIELDS[self.type]
        if len(self.credential_fields) < needed:
            raise ConfigurationError(
                f"credential_fields: authentication_type {self.type.value} "
                f"needs at least {needed} field(s), got {list(self.credential_fields)}"
            )
        oauth = (AuthenticationType.OAUTH2, AuthenticationType.OAUTH2_CLIENT_CREDENTIALS)
        if self.type is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS and self.token_url is None:
            raise ConfigurationError(
                "token_url: required for authentication_type oauth2_client_credentials"
            )
        if self.type in oauth and self.token_url is not None:
            check_url("token_url", self.token_url)
        for credential, _, _ in self.extra_credentials:
            if credential not in self.credential_fields:
                raise ConfigurationError(
                    f"extra_credentials: {credential!r} is not one of the credential_fields "
                    f"{list(self.credential_fields)}"
                )
        if self.client_auth not in ("body", "basic"):
            raise ConfigurationError(
                f"client_auth: expected 'body' or 'basic', got {self.client_auth!r}"
            )


# Credential keys a scheme accepts when its config names none. For API key and bearer
# auth the first field holds the key or token; for basic auth the first two are user name
# and password (Jira's are email and API token). OAuth2's names are the RFC 6749 ones.
DEFAULT_CREDENTIAL_FIELDS: dict[AuthenticationType, tuple[str, ...]] = {
    AuthenticationType.NONE: (),
    AuthenticationType.API_KEY: ("api_key",),
    AuthenticationType.BEARER_TOKEN: ("access_token",),
    AuthenticationType.BASIC: ("username", "password"),
    AuthenticationType.OAUTH2: (
        "access_token",
        "refresh_token",
        "client_id",
        "client_secret",
        "expires_at",
    ),
    AuthenticationType.OAUTH2_CLIENT_CREDENTIALS: ("client_id", "client_secret"),
}


def default_credential_fields(kind: AuthenticationType) -> tuple[str, ...]:
    return DEFAULT_CREDENTIAL_FIELDS[kind]


def _to_schemes(value: Any) -> tuple[AuthScheme, ...]:
    schemes: list[AuthScheme] = []
    for index, item in enumerate(value or ()):
        if isinstance(item, AuthScheme):
            schemes.append(item)
        elif isinstance(item, Mapping):
            try:
                schemes.append(AuthScheme(**item))
            except TypeError as exc:
                raise ConfigurationError(f"alternative_auth[{index}]: {exc}") from None
        else:
            raise ConfigurationError(f"alternative_auth[{index}]: expected an AuthScheme")
    return tuple(schemes)


@attrs.frozen(kw_only=True)
class ConnectorConfig:
    """Everything about a connector that is not a credential.

    The seed's fields, plus the credential fields the connector accepts, the details of
    its auth scheme (and of alternative schemes), and the settings the core's retry,
    rate-limit and decoding parts read.
    """

    connector_type: str = attrs.field(converter=connector_key)
    authentication_type: AuthenticationType = attrs.field(converter=_to_authentication_type)
    base_url: str = attrs.field(validator=_check_base_url)
    api_version: str | None = None
    rate_limits: RateLimits = attrs.field(factory=RateLimits, converter=_to_rate_limits)
    scopes: tuple[str, ...] = attrs.field(factory=tuple, converter=_str_tuple)
    webhook_support: bool = False
    # How the vendor signs webhook deliveries (a `connectory.core.webhooks` scheme name);
    # setting it sets `webhook_support` too.
    webhook_scheme: str | None = attrs.field(default=None, converter=_to_webhook_scheme)
    batch_operations: bool = False
    real_time_sync: bool = False
    credential_fields: tuple[str, ...] = attrs.field(
        default=attrs.Factory(
            lambda self: default_credential_fields(self.authentication_type), takes_self=True
        ),
        converter=_str_tuple,
        validator=_check_names("credential_fields"),
    )
    # Details of the auth scheme
    api_key_name: str = "X-API-Key"
    api_key_location: ApiKeyLocation = attrs.field(
        default=ApiKeyLocation.HEADER, converter=_to_api_key_location
    )
    api_key_prefix: str | None = None
    token_url: str | None = attrs.field(default=None)
    authorization_url: str | None = None
    client_auth: Literal["body", "basic"] = "body"
    extra_credentials: tuple[tuple[str, str, str], ...] = attrs.field(
        default=(), converter=_to_extra
    )
    alternative_auth: tuple[AuthScheme, ...] = attrs.field(default=(), converter=_to_schemes)
    # Per-tenant hosts: base_url_template names {variables} the caller fills
    base_url_template: str | None = None
    url_variables: tuple[str, ...] = attrs.field(factory=tuple, converter=_str_tuple)
    # Transport
    name: str | None = None
    display_name: str | None = None
    timeout: float = attrs.field(default=30.0, validator=_positive("timeout"))
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, converter=_to_retry_policy)
    default_headers: Mapping[str, str] = attrs.field(factory=dict, converter=_checked_headers)
    health_check_path: str | None = None
    idempotency_header: str = "Idempotency-Key"
    strict_decoding: bool = False

    def __attrs_post_init__(self) -> None:
        self.auth_schemes  # noqa: B018 - validates the primary scheme now, naming the field
        if self.webhook_scheme is not None and not self.webhook_support:
            object.__setattr__(self, "webhook_support", True)  # frozen: set once, here

    @property
    def auth_schemes(self) -> tuple[AuthScheme, ...]:
        """The primary scheme (the seed's flat fields), then the alternatives."""
        primary = AuthScheme(
            type=self.authentication_type,
            credential_fields=self.credential_fields,
            api_key_name=self.api_key_name,
            api_key_location=self.api_key_location,
            api_key_prefix=self.api_key_prefix,
            token_url=self.token_url,
            authorization_url=self.authorization_url,
            scopes=self.scopes,
            client_auth=self.client_auth,
            extra_credentials=self.extra_credentials,
        )
        return (primary, *self.alternative_auth)

    @property
    def slug(self) -> str:
        """The connector's name: `name` if set, else the connector type's value."""
        return self.name or str(self.connector_type)

    def evolve(self, **changes: Any) -> ConnectorConfig:
        """A copy with some fields changed, validated again."""
        return attrs.evolve(self, **changes)

    def with_url_variables(self, values: Mapping[str, str]) -> ConnectorConfig:
        """The config with `base_url` built from its template and `values`."""
        if self.base_url_template is None:
            raise ConfigurationError(f"{self.slug}: base URL has no variables to fill")
        missing = [name for name in self.url_variables if not values.get(name)]
        if missing:
            raise ConfigurationError(f"{self.slug}: missing URL variable {missing[0]!r}")
        for name in self.url_variables:
            text = str(values[name])
            if not re.fullmatch(r"[A-Za-z0-9.\-_:]+", text) or text in (".", ".."):
                raise ConfigurationError(
                    f"{self.slug}: URL variable {name!r} must be a host name, host label or "
                    "path segment (letters, digits, '.', '-', '_', ':')"
                )

        def fill(url: str | None) -> str | None:
            if url is None:
                return None
            for name in self.url_variables:
                url = url.replace("{" + name + "}", str(values[name]))
            return url

        alternatives = tuple(
            attrs.evolve(
                scheme,
                token_url=fill(scheme.token_url),
                authorization_url=fill(scheme.authorization_url),
            )
            for scheme in self.alternative_auth
        )
        return self.evolve(
            base_url=fill(self.base_url_template),
            token_url=fill(self.token_url),
            authorization_url=fill(self.authorization_url),
            alternative_auth=alternatives,
        )
