"""The exception hierarchy and the one function that maps a response to it."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from ._redact import excerpt, redact, redact_url


class ConnectorError(Exception):
    """Base of every error connectory raises.

    Carries what is needed to act on the failure without leaking secrets: the HTTP
    status, method and URL (redacted), and a short redacted excerpt of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body_excerpt: str | None = None,
        connector: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status_code = status_code
        self.method = method
        self.url = redact_url(url) if url else None
        self.body_excerpt = body_excerpt
        self.connector = connector
        self.operation = operation
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.method and self.url:
            where = f"{self.method} {self.url}"
            parts.append(f"({where} -> {self.status_code})" if self.status_code else f"({where})")
        if self.body_excerpt:
            parts.append(f": {self.body_excerpt}")
        return " ".join(parts[:2]) + (parts[2] if len(parts) > 2 else "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[ConnectorError], message: str, state: dict[str, Any]) -> ConnectorError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigurationError(ConnectorError, ValueError):
    """Invalid configuration or credentials input, raised before any request is made."""


class AuthenticationError(ConnectorError):
    """The vendor rejected the credentials (401, or a failed token grant). Never retried."""


class PermissionDeniedError(ConnectorError):
    """Authenticated, but not allowed (403)."""


class NotFoundError(ConnectorError):
    """The resource does not exist (404, 410)."""


class ConflictError(ConnectorError):
    """The request conflicts with the resource's state (409, 412)."""


class ValidationError(ConnectorError):
    """The vendor rejected the request's content (400, 422)."""


class RateLimitError(ConnectorError):
    """Too many requests (429, or a 403 that says the quota is spent)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ConnectorError):
    """The vendor failed (5xx)."""


class TransportError(ConnectorError):
    """No HTTP response: connection refused or reset, DNS failure, timeout."""


class DecodeError(ConnectorError):
    """A response body does not have the shape its spec promised (strict decoding), or a
    body is not the JSON it claims to be. ``path`` is the JSON path where it differs."""

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.path = path


class PaginationError(ConnectorError):
    """A paginated listing misbehaved: a repeated cursor or a next link to another origin."""


_BY_STATUS: dict[int, tuple[type[ConnectorError], str]] = {
    400: (ValidationError, "bad request"),
    401: (AuthenticationError, "authentication failed"),
    403: (PermissionDeniedError, "permission denied"),
    404: (NotFoundError, "not found"),
    408: (ServerError, "request timeout"),
    409: (ConflictError, "conflict"),
    410: (NotFoundError, "gone"),
    412: (ConflictError, "precondition failed"),
    422: (ValidationError, "unprocessable entity"),
    429: (RateLimitError, "rate limit exceeded"),
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _quota_spent(response: httpx.Response) -> bool:
    headers = response.headers
    remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
    return (remaining is not None and remaining.strip() == "0") or "retry-after" in headers


def error_for_response(
    response: httpx.Response,
    *,
    connector: str | None = None,
    operation: str | None = None,
) -> ConnectorError:
    """Map an error response (status >= 400) to the matching typed exception."""
    status = response.status_code
    cls, reason = _BY_STATUS.get(status, (ConnectorError, f"HTTP {status}"))
    if status >= 500:
        cls, reason = ServerError, f"server error {status}"
    elif status == 403 and _quota_spent(response):
        cls, reason = RateLimitError, "rate limit exceeded"
    try:
        body = excerpt(response.text) if response.is_stream_consumed or response.is_closed else ""
    except (httpx.ResponseNotRead, UnicodeDecodeError, LookupError):
        body = ""
    request = response.request
    kwargs: dict[str, Any] = {
        "status_code": status,
        "method": request.method,
        "url": str(request.url),
        "body_excerpt": body or None,
        "connector": connector,
        "operation": operation,
    }
    message = f"{connector}: {reason}" if connector else reason
    if cls is RateLimitError:
        return RateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs
        )
    return cls(message, **kwargs)


def error_for_exception(
    exc: httpx.TransportError,
    *,
    connector: str | None = None,
    operation: str | None = None,
) -> TransportError:
    """Map an httpx transport failure to `TransportError`."""
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:
        request = None
    label = f"{connector}: " if connector else ""
    return TransportError(
        f"{label}{type(exc).__name__}: {exc}",
        method=request.method if request else None,
        url=str(request.url) if request else None,
        connector=connector,
        operation=operation,
    )
