"""The connector's HTTP client: one httpx.AsyncClient over the transport pipeline.

Everything a connector sends goes through `ConnectorHttpClient.request` (or `stream`): it
applies per-call options, refuses header values that would split a request before anything
is sent, and maps any failure to a `ConnectorError`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import httpx

from ._auth import OPERATION_EXTENSION, restore_credentials
from ._config import ConnectorConfig, check_header_value
from ._errors import ConfigurationError, ConnectorError
from ._interfaces import IErrorHandlingService
from ._monitoring import MonitoringService
from ._pagination import PageRequest
from ._ratelimit import RateLimiter
from ._sync import SyncRunner
from ._transport import (
    ATTEMPTS_EXTENSION,
    SAFE_EXTENSION,
    STREAM_EXTENSION,
    ConnectorTransport,
)

if TYPE_CHECKING:
    from .state import StateBackend


@functools.cache
def _user_agent() -> str:
    """``connectory/<version>``, read once, when the first client is built (importing
    importlib.metadata takes longer than importing a connector)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"connectory/{version('connectory')}"
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "connectory"


class RequestOptions(TypedDict, total=False):
    """Per-call options every operation takes as keyword arguments.

    ``timeout``: seconds (or an `httpx.Timeout`) for this call; ``extra_headers`` and
    ``extra_query``: sent as well (they win over the operation's own); ``idempotency_key``:
    sent in the connector's idempotency header, which also makes a POST safe to retry;
    ``max_retries``: 0 turns retries off for this call; ``strict``: raise `DecodeError` on
    a response that deviates from its schema instead of recording the deviation.
    """

    timeout: float | httpx.Timeout | None
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    idempotency_key: str
    max_retries: int
    strict: bool


_OPTION_NAMES = frozenset(RequestOptions.__annotations__)


def check_options(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - _OPTION_NAMES)
    if unknown:
        raise ConfigurationError(
            f"unknown option {unknown[0]!r}; options: {', '.join(sorted(_OPTION_NAMES))}"
        )


class ConnectorHttpClient:
    """Sends a connector's requests: auth, limits, retries, metrics, error mapping."""

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        transport: ConnectorTransport,
        auth: httpx.Auth | None,
        error_service: IErrorHandlingService,
        monitor: MonitoringService | None = None,
        limiter: RateLimiter | None = None,
        state: StateBackend | None = None,
    ) -> None:
        self.config = config
        self.error_service = error_service
        self.monitor = monitor
        self.limiter = limiter
        self.state = state  # shared with other processes: limits, tokens, checkpoints
        self.transport = transport
        self.sync = SyncRunner(config.slug)
        headers = {"User-Agent": _user_agent(), "Accept": "application/json"}
        headers.update(config.default_headers)
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            auth=auth,
            timeout=config.timeout,
            headers=headers,
            follow_redirects=True,
            event_hooks={"request": [self._on_request]},
        )
        self._auth = auth
        base = self._client.base_url
        self._origin = (base.scheme, base.host, base.port)
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"ConnectorHttpClient(base_url={self.config.base_url!r})"

    async def _on_request(self, request: httpx.Request) -> None:
        """Each request httpx sends, redirect hops included: a hop within the API's origin
        gets back the query and cookie credentials httpx left behind."""
        url = request.url
        if (url.scheme, url.host, url.port) == self._origin:
            restore_credentials(self._auth, request)

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise ConnectorError(
                f"{self.config.slug}: this connector is already in use on another event loop; "
                "create one connector per event loop (sync *_sync methods run on their own)"
            )

    def build(
        self,
        method: str,
        url: str,
        *,
        operation: str = "request",
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
        stream: bool = False,
        safe: bool = False,
    ) -> httpx.Request:
        """The request `request` would send, with the per-call `options` applied. `safe`:
        a read whatever its method, so retried as a GET would be."""
        extensions: dict[str, Any] = {OPERATION_EXTENSION: operation}
        if stream:
            extensions[STREAM_EXTENSION] = True
        if safe:
            extensions[SAFE_EXTENSION] = True
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        all_headers: dict[str, str] = dict(headers or {})
        if options:
            check_options(options)
            if "timeout" in options:
                timeout = options["timeout"]
            if options.get("extra_headers"):
                all_headers.update(options["extra_headers"])
            if options.get("idempotency_key"):
                all_headers[self.config.idempotency_header] = str(options["idempotency_key"])
            if "max_retries" in options:
                extensions[ATTEMPTS_EXTENSION] = max(0, int(options["max_retries"])) + 1
            extra_query = options.get("extra_query")
            if extra_query:
                params = _merged_query(params, extra_query)
        for name, value in all_headers.items():
            check_header_value(f"header {name!r}", name, value)
        return self._client.build_request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            files=files,
            content=content,
            headers=all_headers or None,
            timeout=timeout,
            extensions=extensions,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        operation: str = "request",
        params: Any = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
        safe: bool = False,
    ) -> httpx.Response:
        """Send one request and return its successful response (body read); raise a
        `ConnectorError` for anything else."""
        request = self.build(
            method,
            url,
            operation=operation,
            params=params,
            json=json,
            data=data,
            files=files,
            content=content,
            headers=headers,
            options=options,
            safe=safe,
        )
        return await self.send(request, operation=operation)

    async def send(
        self, request: httpx.Request, *, operation: str, stream: bool = False
    ) -> httpx.Response:
        if self._loop is not asyncio.get_running_loop():
            self._check_loop()
        try:
            response = await self._deliver(request, operation, stream)
        except (httpx.TransportError, ConnectorError) as exc:
            # ConnectorError: raised by an auth scheme (a refused token refresh).
            raise self._fail(exc, operation, request.method, str(request.url)) from exc
        if response.status_code >= 400:
            if stream:
                await response.aread()
            raise self._fail_response(response, operation)
        return response

    async def _deliver(
        self, request: httpx.Request, operation: str, stream: bool
    ) -> httpx.Response:
        """Send through httpx (auth, redirects, the transport's retries): one span, if traced."""
        tracing = self.transport.tracing
        if tracing is None or not tracing.recording:
            return await self._client.send(request, stream=stream)
        with tracing.call(request, operation) as call:
            response = await self._client.send(request, stream=stream)
            call.answered(response)
            return response

    async def stream(
        self,
        method: str,
        url: str,
        *,
        operation: str = "request",
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Like `request`, but the body is not read: iterate it, then `aclose()` it."""
        request = self.build(
            method,
            url,
            operation=operation,
            params=params,
            headers=headers,
            options=options,
            stream=True,
        )
        return await self.send(request, operation=operation, stream=True)

    async def send_page(self, page: PageRequest, *, operation: str) -> httpx.Response:
        """The `send` function the paginators use."""
        return await self.request(
            page.method,
            page.url,
            operation=operation,
            params=page.params or None,
            json=page.json,
            headers=page.headers or None,
            options=page.options or None,
        )

    async def send_raw(self, request: httpx.Request) -> httpx.Response:
        """Send a prepared request without the client's auth (token grants); body read."""
        try:
            return await self._client.send(request, auth=None)
        except httpx.TransportError as exc:
            raise self._fail(exc, "oauth2_token", request.method, str(request.url)) from exc

    def _fail(self, exc: Exception, operation: str, method: str, url: str) -> Exception:
        error = self.error_service.handle_api_error(
            exc,
            {"connector": self.config.slug, "operation": operation, "method": method, "url": url},
        )
        if self.monitor is not None:
            self.monitor.record_error(error)
        return error

    def _fail_response(self, response: httpx.Response, operation: str) -> Exception:
        failure = httpx.HTTPStatusError(
            f"HTTP {response.status_code}", request=response.request, response=response
        )
        return self._fail(failure, operation, response.request.method, str(response.url))

    async def aclose(self) -> None:
        await self._client.aclose()


def _merged_query(params: Any, extra: Mapping[str, Any]) -> Any:
    merged = httpx.QueryParams(params) if params is not None else httpx.QueryParams()
    for key, value in extra.items():
        merged = (
            merged.set(key, value)
            if not isinstance(value, list)
            else merged.remove(key).merge({key: value})
        )
    return merged
