"""The connector's HTTP client: one httpx.AsyncClient over the transport pipeline.

Generated data services call `request()` with an operation name; it returns the response
of a successful call and raises the mapped `ConnectorError` for any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from ._auth import OPERATION_EXTENSION
from ._codec import UNSET
from ._config import ApiKeyLocation, AuthenticationType, ConnectorConfig
from ._errors import ConnectorError
from ._monitoring import MonitoringService
from ._pagination import PageRequest
from ._ratelimit import RateLimiter
from ._services import IErrorHandlingService
from ._sync import SyncRunner
from ._transport import ConnectorTransport, origin_of

try:
    from importlib.metadata import version as _version

    _USER_AGENT = f"connectory/{_version('connectory')}"
except Exception:  # pragma: no cover - running from a source tree without metadata
    _USER_AGENT = "connectory"


class ConnectorHttpClient:
    """Sends a connector's requests: auth, limits, retries, metrics, error mapping."""

    def __init__(
        self,
        config: ConnectorConfig,
        *,
        error_service: IErrorHandlingService,
        monitor: MonitoringService | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.error_service = error_service
        self.monitor = monitor
        self.limiter = limiter
        self.sync = SyncRunner(config.slug)
        trusted = [origin_of(config.base_url)]
        if config.token_url:
            trusted.append(origin_of(config.token_url))
        credential_headers = ["authorization", "cookie"]
        credential_params: list[str] = []
        if config.authentication_type is AuthenticationType.API_KEY:
            if config.api_key_location is ApiKeyLocation.HEADER:
                credential_headers.append(config.api_key_name.lower())
            elif config.api_key_location is ApiKeyLocation.QUERY:
                credential_params.append(config.api_key_name)
        self._transport = ConnectorTransport(
            transport or httpx.AsyncHTTPTransport(),
            retry=config.retry,
            limiter=limiter,
            monitor=monitor,
            trusted_origins=tuple(trusted),
            credential_headers=tuple(credential_headers),
            credential_params=tuple(credential_params),
        )
        headers = {"User-Agent": _USER_AGENT, "Accept": "application/json"}
        headers.update(config.default_headers)
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=self._transport,
            timeout=config.timeout,
            headers=headers,
            follow_redirects=True,
        )
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"ConnectorHttpClient(base_url={self.config.base_url!r})"

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    def set_auth(self, auth: httpx.Auth | None) -> None:
        self._client.auth = auth  # type: ignore[assignment]  # httpx accepts None here

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise ConnectorError(
                f"{self.config.slug}: this connector is already in use on another event loop; "
                "create one connector per event loop (sync *_sync methods run on their own)"
            )

    async def request(
        self,
        method: str,
        url: str,
        *,
        operation: str = "request",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request and return its successful response; raise a `ConnectorError`."""
        if self._loop is not asyncio.get_running_loop():
            self._check_loop()
        try:
            response = await self._client.request(
                method,
                url,
                params=_query(params),
                json=json,
                data=data,
                files=files,
                content=content,
                headers=headers,
                extensions={OPERATION_EXTENSION: operation},
            )
        except httpx.TransportError as exc:
            raise self._fail(exc, operation, method, url) from exc
        if response.status_code >= 400:
            raise self._fail_response(response, operation)
        return response

    async def stream(
        self,
        method: str,
        url: str,
        *,
        operation: str = "request",
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Like `request`, but the body is not read: iterate it, then `aclose()` it."""
        if self._loop is not asyncio.get_running_loop():
            self._check_loop()
        request = self._client.build_request(
            method,
            url,
            params=_query(params),
            headers=headers,
            extensions={OPERATION_EXTENSION: operation},
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._fail(exc, operation, method, url) from exc
        if response.status_code >= 400:
            await response.aread()
            raise self._fail_response(response, operation)
        return response

    async def send_page(self, page: PageRequest, *, operation: str) -> httpx.Response:
        """The `send` function the paginators use."""
        return await self.request(
            page.method,
            page.url,
            operation=operation,
            params=page.params,
            json=page.json,
            headers=page.headers or None,
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


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters as httpx wants them: no Nones, booleans as true/false."""
    if not params:
        return None
    query: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value is UNSET:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = value
    return query
