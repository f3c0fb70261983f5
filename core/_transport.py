"""The transport pipeline under the httpx client: rate limiter -> retry -> metrics -> network.

Each attempt takes a permit from the limiter and gives it back when its response has
arrived, so retries count against the vendor's limits like any other request and the limit
holds as the server counts. Retries use stamina; the first attempt runs outside it, so a
request that succeeds pays nothing for the retry machinery.

Unless a request is streamed, its body is read inside the attempt: a body cut short by the
peer (a reset, fewer bytes than its Content-Length) then fails the attempt as a transport
error, and an idempotent request is retried instead of handing a broken body upward.
"""

from __future__ import annotations

import logging
import time

import httpx

from ._auth import OPERATION_EXTENSION
from ._config import RetryPolicy
from ._errors import parse_retry_after
from ._monitoring import MonitoringService
from ._otel import Tracing
from ._ratelimit import RateLimiter

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Raised before a single byte reached the server: safe to retry whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Request extensions the pipeline reads.
STREAM_EXTENSION = "connectory.stream"  # True: leave the body unread for the caller
ATTEMPTS_EXTENSION = "connectory.attempts"  # per-call cap on attempts (1: no retries)
# True: a read sent with a method that usually is not one (a vendor's batch read or search
# by POST), so safe to send again after a 5xx or a broken connection.
SAFE_EXTENSION = "connectory.safe"

# stamina logs each scheduled retry as a warning on its own logger. A library must not
# print on the stderr of an application that configured no logging, so the logger gets a
# NullHandler; an application that configures logging still receives the records.
logging.getLogger("stamina").addHandler(logging.NullHandler())


class _RetryableResponse(Exception):
    """An attempt answered with a status worth retrying; carries the (read) response."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def is_idempotent(request: httpx.Request) -> bool:
    return (
        request.method in IDEMPOTENT_METHODS
        or "idempotency-key" in request.headers
        or request.extensions.get(SAFE_EXTENSION) is True
    )


def _safe_to_repeat(request: httpx.Request, response: httpx.Response, policy: RetryPolicy) -> bool:
    """Idempotent requests may be repeated after any retryable answer. Others (a POST
    without an idempotency key) are sent once, unless the policy allows them again after
    a 429, which refuses a request before the server acts on it."""
    if is_idempotent(request):
        return True
    return policy.unsafe_after_429 and response.status_code == 429


def _replayable(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises if the body is a one-shot stream
    except httpx.RequestNotRead:
        return False
    return True


class ConnectorTransport(httpx.AsyncBaseTransport):
    """Wraps the network transport with limits, retries, metrics and credential hygiene."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        retry: RetryPolicy,
        limiter: RateLimiter | None = None,
        monitor: MonitoringService | None = None,
        tracing: Tracing | None = None,
        trusted_origins: tuple[str, ...] = (),
        credential_headers: tuple[str, ...] = ("authorization",),
        credential_params: tuple[str, ...] = (),
    ) -> None:
        self._inner = inner
        self._retry = retry
        self._limiter = limiter
        self._monitor = monitor
        self.tracing = tracing  # OpenTelemetry spans (core/_otel.py); None: off
        self._trusted = frozenset(trusted_origins)
        self._credential_headers = credential_headers
        self._credential_params = credential_params

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._trusted:
            self._strip_credentials_off_origin(request)
        extensions = request.extensions
        operation = extensions.get(OPERATION_EXTENSION, "request")
        attempts = min(extensions.get(ATTEMPTS_EXTENSION) or self._retry.attempts, 1_000)
        try:
            return await self._attempt(request, operation, retry=False)
        except _RetryableResponse as exc:
            if attempts < 2 or not (
                _safe_to_repeat(request, exc.response, self._retry) and _replayable(request)
            ):
                return exc.response
            first: Exception = exc
        except _NOT_SENT as exc:
            if attempts < 2 or not _replayable(request):
                raise
            first = exc
        except httpx.LocalProtocolError:
            raise  # our own request is malformed: no retry will fix it
        except httpx.TransportError as exc:
            if attempts < 2 or not (is_idempotent(request) and _replayable(request)):
                raise
            first = exc
        return await self._retry_after_failure(request, operation, first, attempts)

    async def _retry_after_failure(
        self, request: httpx.Request, operation: str, first: Exception, attempts: int
    ) -> httpx.Response:
        import stamina  # loaded on the first retry: a process that never retries never pays

        policy = self._retry
        deadline = time.monotonic() + policy.timeout

        idempotent = is_idempotent(request)

        def backoff(exc: Exception) -> bool | float:
            if isinstance(exc, _RetryableResponse):
                if not _safe_to_repeat(request, exc.response, policy):
                    return False
                delay = parse_retry_after(exc.response.headers.get("retry-after"))
                if delay is None:
                    return True
                if delay > policy.retry_after_cap or time.monotonic() + delay > deadline:
                    return False  # the vendor wants a longer pause than we may wait
                return delay
            if isinstance(exc, _NOT_SENT):
                return True
            if isinstance(exc, httpx.LocalProtocolError):
                return False
            return idempotent and isinstance(exc, httpx.TransportError)

        pending: Exception | None = first
        try:
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=attempts,
                timeout=policy.timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    if pending is not None:
                        # Replay the first attempt's failure so stamina schedules the backoff.
                        failure, pending = pending, None
                        raise failure
                    return await self._attempt(request, operation, retry=True)
        except _RetryableResponse as exc:
            return exc.response
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    async def _attempt(
        self, request: httpx.Request, operation: str, *, retry: bool
    ) -> httpx.Response:
        limiter = self._limiter
        permit = await limiter.acquire(operation) if limiter is not None else None
        monitor = self._monitor
        start = time.perf_counter()
        try:
            response = await self._send(request, operation)
        except httpx.TransportError:
            if monitor is not None:
                monitor.record_request(operation, None, time.perf_counter() - start, retry=retry)
            raise
        finally:
            if permit is not None:
                # The response (or the failure) is here: the request reached the server,
                # or never will.
                await limiter.release(permit)  # type: ignore[union-attr]
        status = response.status_code
        if monitor is not None:
            monitor.record_request(operation, status, time.perf_counter() - start, retry=retry)
        if limiter is not None:
            await limiter.observe(response)
        if status in RETRY_STATUSES:
            await _read(response)
            raise _RetryableResponse(response)
        if not request.extensions.get(STREAM_EXTENSION):
            await _read(response)
        return response

    async def _send(self, request: httpx.Request, operation: str) -> httpx.Response:
        """One request on the wire; a CLIENT span when tracing is on."""
        if self.tracing is None or not self.tracing.recording:
            return await self._inner.handle_async_request(request)
        with self.tracing.attempt(request, operation) as exchange:
            response = await self._inner.handle_async_request(request)
            exchange.answered(response)
            return response

    def _strip_credentials_off_origin(self, request: httpx.Request) -> None:
        """Never send credentials to an origin the connector does not trust (redirects)."""
        url = request.url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin in self._trusted:
            return
        for name in self._credential_headers:
            request.headers.pop(name, None)
        if self._credential_params and url.query:
            params = url.params
            for name in self._credential_params:
                params = params.remove(name)
            request.url = url.copy_with(params=params)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __repr__(self) -> str:
        return f"ConnectorTransport(retry={self._retry!r}, limiter={self._limiter!r})"


async def _read(response: httpx.Response) -> None:
    """Read the body; a transfer cut short closes the response and fails the attempt."""
    try:
        await response.aread()
    except BaseException:
        await response.aclose()
        raise


def origin_of(url: str | httpx.URL) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
