"""Redaction of registered secrets and of sensitive keys' values."""

from __future__ import annotations

import logging

import pytest

from connectory.core._redact import (
    get_logger,
    install_log_redaction,
    redact,
    redact_url,
    register_secrets,
    unregister_secrets,
)


def test_registered_secret_is_masked_until_unregistered() -> None:
    secret = "plain-SECRET-value-77"
    register_secrets([secret])
    try:
        assert redact(f"token is {secret}!") == "token is ***!"
    finally:
        unregister_secrets([secret])
    assert redact(f"token is {secret}!") == f"token is {secret}!"


def test_reference_counting_keeps_a_secret_shared_by_two_users() -> None:
    secret = "shared-SECRET-1"
    register_secrets([secret])
    register_secrets([secret])
    unregister_secrets([secret])
    try:
        assert secret not in redact(secret)
    finally:
        unregister_secrets([secret])
    assert redact(secret) == secret


def test_too_short_values_are_not_registered() -> None:
    register_secrets(["ab"])
    assert redact("abcab") == "abcab"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ('{"access_token": "eyJabc.def"}', "eyJabc.def"),
        ('{"client_secret":"cs-1"}', "cs-1"),
        ("grant_type=refresh_token&refresh_token=rt-42&client_id=x", "rt-42"),
        ("https://api.example.com/x?api_key=k-99&page=2", "k-99"),
        ("Authorization: Bearer abcdef123456", "abcdef123456"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ],
)
def test_sensitive_keys_are_masked(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


def test_ordinary_text_is_untouched() -> None:
    text = "GET /repos/octocat/hello?page=2&per_page=30 returned 200"
    assert redact(text) == text


def test_redact_url_drops_user_info() -> None:
    assert redact_url("https://user:pw-123@api.example.com/x") == "https://api.example.com/x"


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    secret = "log-SECRET-abc"
    register_secrets([secret])
    try:
        caplog.set_level(logging.DEBUG)
        get_logger("tests").warning("sending %s to %s", secret, "https://x.example/?token=t1234")
        logging.getLogger("httpx").info("HTTP Request: GET https://x.example/?api_key=%s", secret)
    finally:
        unregister_secrets([secret])
    assert secret not in caplog.text
    assert "t1234" not in caplog.text
    assert "sending *** to" in caplog.text
