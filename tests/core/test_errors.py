"""One function maps a response to a typed exception carrying status, method, URL, body."""

from __future__ import annotations

import pickle

import httpx
import pytest

from connectory.core import (
    AuthenticationError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_for_response,
)
from connectory.core._errors import error_for_exception, parse_retry_after


def response(status: int, body: bytes = b"", /, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", "https://api.example.com/v1/items/7?api_key=k-SECRET-1")
    return httpx.Response(status, content=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, NotFoundError),
        (412, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, ConnectorError),
    ],
)
def test_status_maps_to_type(status: int, error_type: type[ConnectorError]) -> None:
    error = error_for_response(response(status, b'{"message": "nope"}'), connector="demo")
    assert type(error) is error_type
    assert error.status_code == status
    assert error.method == "GET"
    assert error.url is not None
    assert "/v1/items/7" in error.url
    assert error.body_excerpt == '{"message": "nope"}'
    assert error.connector == "demo"


def test_url_and_body_are_redacted() -> None:
    body = b'{"error": "bad", "access_token": "tok-123456", "detail": "x"}'
    error = error_for_response(response(401, body))
    text = str(error)
    assert "k-SECRET-1" not in text
    assert "tok-123456" not in text
    assert "api_key=***" in text
    assert '"access_token": "***"' in text


def test_body_excerpt_is_short_and_single_line() -> None:
    error = error_for_response(response(500, b"line one\n\n   line two " + b"x" * 5000))
    assert error.body_excerpt is not None
    assert "\n" not in error.body_excerpt
    assert len(error.body_excerpt) <= 200


def test_rate_limit_carries_retry_after() -> None:
    error = error_for_response(response(429, **{"Retry-After": "17"}))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 17.0


def test_github_style_403_with_spent_quota_is_a_rate_limit() -> None:
    spent = response(403, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"})
    assert isinstance(error_for_response(spent), RateLimitError)
    assert type(error_for_response(response(403))) is PermissionDeniedError


def test_parse_retry_after_handles_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0


def test_transport_error_mapping() -> None:
    request = httpx.Request("GET", "https://api.example.com/x?token=t-SECRET-9")
    error = error_for_exception(httpx.ConnectError("refused", request=request), connector="c")
    assert error.method == "GET"
    assert "t-SECRET-9" not in str(error)
    assert "ConnectError" in str(error)


def test_errors_pickle_with_their_fields() -> None:
    error = error_for_response(response(429, **{"Retry-After": "5"}))
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert type(copy) is RateLimitError
    assert copy.retry_after == 5.0
    assert str(copy) == str(error)
