"""Connector configuration: the seed's `ConnectorConfig` and the enums it names.

Everything is validated at construction, so a bad value fails where it is written,
with a message naming the field, instead of at the first request.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import httpx

from ._errors import ConfigurationError


class ConnectorType(enum.StrEnum):
    """Every business app connectory has, or is building, a connector for."""

    # File storage and collaboration
    GOOGLE_DRIVE = "google_drive"
    ONEDRIVE = "onedrive"
    DROPBOX = "dropbox"
    BOX = "box"
    NOTION = "notion"
    CONFLUENCE = "confluence"
    # Communication and messaging
    SLACK = "slack"
    MICROSOFT_TEAMS = "microsoft_teams"
    DISCORD = "discord"
    ZOOM = "zoom"
    # Project management
    JIRA = "jira"
    TRELLO = "trello"
    ASANA = "asana"
    CLICKUP = "clickup"
    LINEAR = "linear"
    SHORTCUT = "shortcut"
    # Design and development
    FIGMA = "figma"
    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    GITEA = "gitea"
    CIRCLECI = "circleci"
    AZURE_DEVOPS = "azure_devops"
    # CRM and sales
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"
    ZENDESK = "zendesk"
    INTERCOM = "intercom"
    SALESLOFT = "salesloft"
    APIDECK_CRM = "apideck_crm"
    # Data and analytics
    CLICKHOUSE = "clickhouse"
    SNOWFLAKE = "snowflake"
    DATABRICKS = "databricks"
    BIGQUERY = "bigquery"
    AIRBYTE = "airbyte"
    AIRFLOW = "airflow"
    INFLUXDB = "influxdb"
    # Payments and finance
    STRIPE = "stripe"
    SQUARE = "square"
    PLAID = "plaid"
    BREX = "brex"
    XERO = "xero"
    ZUORA = "zuora"
    INCREASE = "increase"
    # Google Workspace
    GMAIL = "gmail"
    GOOGLE_CALENDAR = "google_calendar"
    GOOGLE_SHEETS = "google_sheets"
    GOOGLE_DOCS = "google_docs"
    GOOGLE_ADMIN = "google_admin"
    GOOGLE_CHAT = "google_chat"
    GOOGLE_FORMS = "google_forms"
    GOOGLE_PEOPLE = "google_people"
    GOOGLE_TASKS = "google_tasks"
    YOUTUBE = "youtube"
    # Microsoft
    MICROSOFT_GRAPH = "microsoft_graph"
    # Email, marketing and messaging platforms
    MAILCHIMP = "mailchimp"
    SENDGRID = "sendgrid"
    POSTMARK = "postmark"
    MANDRILL = "mandrill"
    TWILIO = "twilio"
    TELNYX = "telnyx"
    CLICKSEND = "clicksend"
    BRAZE = "braze"
    # Infrastructure and operations
    DIGITALOCEAN = "digitalocean"
    LINODE = "linode"
    HETZNER = "hetzner"
    KUBERNETES = "kubernetes"
    NETLIFY = "netlify"
    VERCEL = "vercel"
    VICTOROPS = "victorops"
    LAUNCHDARKLY = "launchdarkly"
    SNYK = "snyk"
    KEYCLOAK = "keycloak"
    OKTA = "okta"
    # Commerce and other business apps
    SHOPIFY = "shopify"
    MAGENTO = "magento"
    DOCUSIGN = "docusign"
    SPOTIFY = "spotify"
    TWITTER = "twitter"
    OPENAI = "openai"
    # The embedded demo (a local fake "tasks" service), and connectors defined elsewhere
    DEMO = "demo"
    CUSTOM = "custom"


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


def _to_connector_type(value: Any) -> ConnectorType:
    return _to_enum(ConnectorType, "connector_type", value)


def _to_authentication_type(value: Any) -> AuthenticationType:
    return _to_enum(AuthenticationType, "authentication_type", value)


def _to_api_key_location(value: Any) -> ApiKeyLocation:
    return _to_enum(ApiKeyLocation, "api_key_location", value)


def _optional_rate(field: str) -> Any:
    def check(_: Any, __: Any, value: float | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"{field}: expected a number, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"{field}: must be a positive number, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class RateLimits:
    """Requests allowed per second, minute and day; None means no limit on that window."""

    requests_per_second: float | None = attrs.field(
        default=None, validator=_optional_rate("rate_limits.requests_per_second")
    )
    requests_per_minute: float | None = attrs.field(
        default=None, validator=_optional_rate("rate_limits.requests_per_minute")
    )
    requests_per_day: float | None = attrs.field(
        default=None, validator=_optional_rate("rate_limits.requests_per_day")
    )

    def windows(self) -> tuple[tuple[float, int], ...]:
        """(window length in seconds, requests allowed) for each limited window."""
        pairs = (
            (1.0, self.requests_per_second),
            (60.0, self.requests_per_minute),
            (86_400.0, self.requests_per_day),
        )
        return tuple(
            (seconds, max(1, math.floor(limit))) for seconds, limit in pairs if limit is not None
        )


def _to_rate_limits(value: Any) -> RateLimits:
    if value is None:
        return RateLimits()
    if isinstance(value, RateLimits):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"rate_limits: expected a mapping, got {type(value).__name__}")
    known = {field.name for field in attrs.fields(RateLimits)}
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise ConfigurationError(
            f"rate_limits: unknown key {unknown[0]!r}; expected {', '.join(sorted(known))}"
        )
    return RateLimits(**value)


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
    """

    attempts: int = attrs.field(default=4)
    timeout: float = attrs.field(default=60.0, validator=_positive("retry.timeout"))
    wait_initial: float = attrs.field(default=0.2, validator=_non_negative("retry.wait_initial"))
    wait_max: float = attrs.field(default=10.0, validator=_non_negative("retry.wait_max"))
    wait_jitter: float = attrs.field(default=0.5, validator=_non_negative("retry.wait_jitter"))
    retry_after_cap: float = attrs.field(
        default=60.0, validator=_non_negative("retry.retry_after_cap")
    )

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


def _check_base_url(_: Any, __: Any, value: str) -> None:
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"base_url: not a URL: {value!r} ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"base_url: expected an absolute http(s) URL, got {value!r}")


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


def _frozen_headers(value: Any) -> Mapping[str, str]:
    return dict(value or {})


@attrs.frozen(kw_only=True)
class ConnectorConfig:
    """Everything about a connector that is not a credential.

    The seed's fields, plus `credential_fields` (the credential keys the connector accepts;
    the first ones listed as `required_credentials` must be present) and the settings the
    core's auth, retry and rate-limit parts read.
    """

    connector_type: ConnectorType = attrs.field(converter=_to_connector_type)
    authentication_type: AuthenticationType = attrs.field(converter=_to_authentication_type)
    base_url: str = attrs.field(validator=_check_base_url)
    api_version: str | None = None
    rate_limits: RateLimits = attrs.field(factory=RateLimits, converter=_to_rate_limits)
    scopes: tuple[str, ...] = attrs.field(factory=tuple, converter=_str_tuple)
    webhook_support: bool = False
    batch_operations: bool = False
    real_time_sync: bool = False
    credential_fields: tuple[str, ...] = attrs.field(
        default=attrs.Factory(
            lambda self: DEFAULT_CREDENTIAL_FIELDS[self.authentication_type], takes_self=True
        ),
        converter=_str_tuple,
        validator=_check_names("credential_fields"),
    )
    # Auth details
    api_key_name: str = "X-API-Key"
    api_key_location: ApiKeyLocation = attrs.field(
        default=ApiKeyLocation.HEADER, converter=_to_api_key_location
    )
    api_key_prefix: str | None = None
    token_url: str | None = attrs.field(default=None)
    authorization_url: str | None = None
    # Transport
    name: str | None = None
    display_name: str | None = None
    timeout: float = attrs.field(default=30.0, validator=_positive("timeout"))
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, converter=_to_retry_policy)
    default_headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_headers)
    health_check_path: str | None = None

    @credential_fields.validator
    def _check_enough_fields(self, _: Any, value: tuple[str, ...]) -> None:
        needed = _MIN_CREDENTIAL_FIELDS[self.authentication_type]
        if len(value) < needed:
            raise ConfigurationError(
                f"credential_fields: authentication_type {self.authentication_type.value} "
                f"needs at least {needed} field(s), got {list(value)}"
            )

    @token_url.validator
    def _check_token_url(self, _: Any, value: str | None) -> None:
        oauth = (AuthenticationType.OAUTH2, AuthenticationType.OAUTH2_CLIENT_CREDENTIALS)
        if value is None:
            if self.authentication_type is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS:
                raise ConfigurationError(
                    "token_url: required for authentication_type oauth2_client_credentials"
                )
            return
        if self.authentication_type in oauth and not value.startswith(("http://", "https://")):
            raise ConfigurationError(f"token_url: expected an absolute URL, got {value!r}")

    @property
    def slug(self) -> str:
        """The connector's name: `name` if set, else the connector type's value."""
        return self.name or self.connector_type.value

    def evolve(self, **changes: Any) -> ConnectorConfig:
        """A copy with some fields changed, validated again."""
        return attrs.evolve(self, **changes)


# Credential keys a connector accepts when its config names none. For API key and bearer
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
_MIN_CREDENTIAL_FIELDS: dict[AuthenticationType, int] = {
    AuthenticationType.NONE: 0,
    AuthenticationType.API_KEY: 1,
    AuthenticationType.BEARER_TOKEN: 1,
    AuthenticationType.BASIC: 2,
    AuthenticationType.OAUTH2: 0,
    AuthenticationType.OAUTH2_CLIENT_CREDENTIALS: 0,
}
