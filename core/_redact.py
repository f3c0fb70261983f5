"""Keeping secrets out of log lines, exception messages, reprs and metric labels.

Every credential value an auth scheme holds is registered here while it is in use.
`redact()` replaces registered values and the values of well-known sensitive keys
(``"access_token": "..."``, ``api_key=...``) with ``***``; the logging filter applies it to
every record of the loggers that can see requests (ours, httpx's, httpcore's, stamina's).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

import httpx

MASK = "***"

# Names whose values are secrets wherever they appear: JSON keys, form fields, query
# parameters. Query strings add a few short names that are secrets there (Google's
# ``key=``, signed URLs' ``sig=``) but ordinary data in a JSON body (Jira's issue "key").
SENSITIVE_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "passwd",
    "secret",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "token",
    "authorization",
    "private_token",
    "private-token",
)
SENSITIVE_QUERY_NAMES = (*SENSITIVE_NAMES, "key", "sig", "signature")


def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


# "name": "value"  (JSON)
_JSON_PAIR = re.compile(
    rf'("(?:{_alternation(SENSITIVE_NAMES)})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE
)
# name=value  (query strings and form bodies)
_FORM_PAIR = re.compile(
    rf"(?<![\w-])((?:{_alternation(SENSITIVE_QUERY_NAMES)})=)[^&\s\"']+", re.IGNORECASE
)
# "Bearer <token>" / "Basic <credentials>" as in an Authorization header. Case-sensitive,
# and the value must look like a credential (8+ characters, with a digit or a symbol), so
# prose such as "basic needs" or "Bearer authentication" stays readable.
_AUTH_HEADER = re.compile(
    r"\b(Bearer|Basic|Token|bearer|basic|token)\s+"
    r"(?=[A-Za-z0-9\-._~+/=]*[0-9\-._~+/=])[A-Za-z0-9\-._~+/=]{8,}"
)
# Whatever follows an Authorization header name, in "Authorization: x" or a dict's repr.
_AUTH_FIELD = re.compile(
    r"""(authorization['"]?\s*[:=,]\s*['"]?(?:(?:Bearer|Basic|Token|Digest)\s+)?)[^\s'",;]+""",
    re.IGNORECASE,
)

# Values shorter than this are not registered: masking "a" everywhere would garble text
# while protecting nothing.
_MIN_SECRET_LENGTH = 4


def _forms(value: str) -> set[str]:
    """A secret as it may be printed: raw, and escaped the ways text around it escapes it
    (JSON, Python repr, URL encoding), so an error body that echoes it is masked too."""
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        quote(value),
    }
    # A JSON string inside a JSON string (an echoed error embedded in another body).
    forms.add(json.dumps(json.dumps(value)[1:-1])[1:-1])
    return {form for form in forms if len(form) >= _MIN_SECRET_LENGTH}


class SecretRegistry:
    """Process-wide, reference-counted set of secret values currently in use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if len(value) < _MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._counts[value] += 1
            self._pattern = None

    def discard(self, value: str) -> None:
        with self._lock:
            if self._counts.get(value, 0) <= 0:
                return
            self._counts[value] -= 1
            if self._counts[value] == 0:
                del self._counts[value]
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        pattern = self._pattern
        if pattern is None and self._counts:
            with self._lock:
                forms = {form for value in list(self._counts) for form in _forms(value)}
                values = sorted(forms, key=len, reverse=True)
                pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None
                self._pattern = pattern
        return pattern

    def __repr__(self) -> str:
        return f"<SecretRegistry with {len(self._counts)} secrets>"


SECRETS = SecretRegistry()


def register_secrets(values: Iterable[str]) -> None:
    for value in values:
        SECRETS.add(value)


def unregister_secrets(values: Iterable[str]) -> None:
    for value in values:
        SECRETS.discard(value)


def redact(text: str) -> str:
    """Return `text` with every registered secret and sensitive key's value masked."""
    pattern = SECRETS.pattern()
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _JSON_PAIR.sub(rf'\1"{MASK}"', text)
    text = _FORM_PAIR.sub(rf"\1{MASK}", text)
    text = _AUTH_FIELD.sub(rf"\1{MASK}", text)
    return _AUTH_HEADER.sub(rf"\1 {MASK}", text)


def redact_url(url: httpx.URL | str) -> str:
    """A URL safe to print: no user info, sensitive query values masked."""
    parsed = httpx.URL(url)
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    return redact(str(parsed))


def excerpt(text: str, limit: int = 200) -> str:
    """A short, single-line, redacted excerpt of a response body."""
    collapsed = " ".join(text.split())
    redacted = redact(collapsed[: limit * 4])
    return redacted if len(redacted) <= limit else redacted[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()
# Loggers that see URLs, headers or bodies. A filter on a logger applies only to records
# created on that very logger, so each one that logs is named.
_LOGGERS = (
    "connectory",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "stamina",
)


def install_log_redaction() -> None:
    """Attach the redacting filter to every logger that can see a request.

    Also gives ``connectory`` a NullHandler, as libraries should: an application that
    configured no logging does not get our warnings on stderr.
    """
    library = logging.getLogger("connectory")
    if not any(isinstance(h, logging.NullHandler) for h in library.handlers):
        library.addHandler(logging.NullHandler())
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    """A `connectory.*` logger whose records are redacted."""
    logger = logging.getLogger(name if name.startswith("connectory") else f"connectory.{name}")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
