"""Invalid configuration fails at construction, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from connectory.core import (
    ApiKeyLocation,
    AuthenticationType,
    ConfigurationError,
    ConnectorConfig,
    ConnectorType,
    RateLimits,
    RetryPolicy,
)

BASE: dict[str, Any] = {
    "connector_type": ConnectorType.GITHUB,
    "authentication_type": AuthenticationType.BEARER_TOKEN,
    "base_url": "https://api.github.com",
}


def make(**changes: Any) -> ConnectorConfig:
    return ConnectorConfig(**{**BASE, **changes})


def test_strings_are_accepted_for_enums() -> None:
    config = make(connector_type="slack", authentication_type="api_key", api_key_location="query")
    assert config.connector_type is ConnectorType.SLACK
    assert config.authentication_type is AuthenticationType.API_KEY
    assert config.api_key_location is ApiKeyLocation.QUERY
    assert config.slug == "slack"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate_limits": {"requests_per_second": -1}}, "rate_limits.requests_per_second"),
        ({"rate_limits": {"requests_per_minute": 0}}, "rate_limits.requests_per_minute"),
        ({"rate_limits": {"requests_per_day": float("nan")}}, "rate_limits.requests_per_day"),
        ({"rate_limits": {"requests_per_second": "10"}}, "rate_limits.requests_per_second"),
        (
            {"rate_limits": {"requests_per_week": 10}},
            "rate_limits: unknown key 'requests_per_week'",
        ),
        ({"rate_limits": [1, 2]}, "rate_limits: expected a mapping"),
        ({"authentication_type": "kerberos"}, "authentication_type: unknown value 'kerberos'"),
        ({"connector_type": "Not A Name"}, "connector_type: 'Not A Name' is not a connector name"),
        ({"api_key_location": "body"}, "api_key_location: unknown value 'body'"),
        ({"base_url": "api.github.com"}, "base_url"),
        ({"base_url": "ftp://files.example.com"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"retry": {"attempts": 0}}, "retry.attempts"),
        ({"retry": {"timeout": -5}}, "retry.timeout"),
        ({"retry": {"retry_after_cap": -1}}, "retry.retry_after_cap"),
        ({"retry": {"tries": 3}}, "retry: unknown key 'tries'"),
        ({"credential_fields": ("",)}, "credential_fields"),
        (
            {"authentication_type": "basic", "credential_fields": ("username",)},
            "credential_fields: authentication_type basic needs at least 2",
        ),
        (
            {"authentication_type": "oauth2_client_credentials"},
            "token_url: required for authentication_type oauth2_client_credentials",
        ),
        ({"authentication_type": "oauth2", "token_url": "/token"}, "token_url"),
    ],
)
def test_invalid_config_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(**changes)
    assert field in str(caught.value)
    assert isinstance(caught.value, ValueError)  # usable where a ValueError is expected


def test_rate_limit_windows() -> None:
    limits = RateLimits(requests_per_second=2.5, requests_per_day=1000)
    assert limits.windows() == ((1.0, 2), (86_400.0, 1000))
    assert RateLimits().windows() == ()


def test_default_credential_fields_follow_the_auth_type() -> None:
    assert make().credential_fields == ("access_token",)
    assert make(authentication_type="basic").credential_fields == ("username", "password")
    assert make(authentication_type="api_key").credential_fields == ("api_key",)
    assert make(credential_fields="bot_token").credential_fields == ("bot_token",)


def test_config_is_frozen_and_evolve_revalidates() -> None:
    config = make(retry=RetryPolicy(attempts=2))
    with pytest.raises(AttributeError):
        config.base_url = "https://elsewhere.example"  # type: ignore[misc]
    moved = config.evolve(base_url="http://127.0.0.1:8080/api")
    assert moved.base_url == "http://127.0.0.1:8080/api"
    assert moved.retry.attempts == 2
    with pytest.raises(ConfigurationError, match="base_url"):
        config.evolve(base_url="not a url")


def test_windows_of_any_length() -> None:
    limits = RateLimits(
        requests_per_minute=100,
        requests_per_hour=5000,
        extra_windows=[{"seconds": 10, "requests": 30}],
    )
    assert limits.windows() == ((10.0, 30), (60.0, 100), (3_600.0, 5000))
    config = make(rate_limits={"requests_per_hour": 5000, "windows": [[600, 1000]]})
    assert config.rate_limits.windows() == ((600.0, 1000), (3_600.0, 5000))


def test_a_connector_outside_the_enum_keeps_its_own_name() -> None:
    assert make(connector_type="acme").connector_type == "acme"
    assert make(connector_type="slack").connector_type is ConnectorType.SLACK


def test_url_variables_fill_base_and_token_urls() -> None:
    config = make(
        authentication_type="oauth2",
        base_url="https://your-domain.example/api",
        base_url_template="https://{site}.example/api",
        token_url="https://{site}.example/oauth/token",
        url_variables=("site",),
    )
    filled = config.with_url_variables({"site": "acme"})
    assert filled.base_url == "https://acme.example/api"
    assert filled.token_url == "https://acme.example/oauth/token"
    with pytest.raises(ConfigurationError, match="URL variable 'site'"):
        config.with_url_variables({"site": "evil.example/x?"})
    with pytest.raises(ConfigurationError, match="missing URL variable 'site'"):
        config.with_url_variables({})


def test_extra_credentials_must_name_a_credential_field() -> None:
    with pytest.raises(ConfigurationError, match="extra_credentials: 'tenant'"):
        make(
            authentication_type="api_key",
            credential_fields=("api_key",),
            extra_credentials=[{"field": "tenant", "in": "header", "name": "X-Tenant"}],
        )
    config = make(
        authentication_type="api_key",
        credential_fields=("api_key", "tenant"),
        extra_credentials=[{"field": "tenant", "in": "header", "name": "X-Tenant"}],
    )
    assert config.auth_schemes[0].extra_credentials == (("tenant", "header", "X-Tenant"),)
