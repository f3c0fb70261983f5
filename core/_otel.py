"""OpenTelemetry spans and metrics of what connectors send, when opentelemetry-api is installed.

Nothing here imports ``opentelemetry`` at import time. The first connector built tries it
once (`available`); without the package `connector_tracing` and `metric_instruments`
return None and the core runs exactly as before. With it, everything goes through the
global providers of the OpenTelemetry API, which are no-ops until the application
installs an SDK; ``telemetry=False`` (a connector option) turns one connector off.

Span layout. The stable HTTP semantic conventions ask a client for one CLIENT span per
request on the wire, each resend (a retry, a redirect, the resend after a token refresh)
carrying ``http.request.resend_count``, and no CLIENT span around them. A connector call
is more than its wire requests: an operation, its backoffs and rate-limit waits, a token
refresh. So each call is one INTERNAL span named ``{connector} {operation}`` with the
call's outcome and its number of attempts, and each request on the wire is a CLIENT span
under it named after its method. HTTP dashboards then count what the vendor saw; the call
span shows what the caller waited for. A CLIENT span ends when the response headers have
arrived; a body cut short after that shows on the call span (or on the retry that follows).

Never recorded: query strings (API keys travel there), user info, headers, bodies and
exception messages (a vendor's error may echo any of them). A failure is an Error status
without description and ``error.type``: the status code (``"503"``) or the exception's
class (``"httpx.ConnectError"``). The URL's path passes through `redact` as well.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

from ._redact import SECRETS, redact

if TYPE_CHECKING:
    from opentelemetry.metrics import UpDownCounter
    from opentelemetry.trace import Span
    from opentelemetry.util.types import AttributeValue

SCOPE = "connectory"  # the tracer's and the meter's name
CALL_EXTENSION = "connectory.call"  # request extension: the call the attempts belong to

# Attribute names: the stable HTTP semantic conventions, and ours.
CONNECTOR = "connectory.connector"
OPERATION = "connectory.operation"
ATTEMPTS = "connectory.attempts"
RETRY = "connectory.retry"
METHOD = "http.request.method"
STATUS_CODE = "http.response.status_code"
RESEND_COUNT = "http.request.resend_count"
URL_FULL = "url.full"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
PROTOCOL_VERSION = "network.protocol.version"

# Metric instruments.
REQUESTS = "connectory.requests"
DURATION = "connectory.request.duration"
ERRORS = "connectory.errors"
NO_RESPONSE = "no_response"  # error.type of an attempt that got no response at all

_KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The buckets the semantic conventions advise for http.client.request.duration.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_./-]")

Attributes = dict[str, "AttributeValue"]


@functools.cache
def available() -> bool:
    """Whether opentelemetry-api can be imported; tried once, when first asked."""
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


def connector_tracing(connector: str) -> Tracing | None:
    """The spans of one connector, or None without opentelemetry-api."""
    return Tracing(connector) if available() else None


@functools.cache
def metric_instruments() -> Instruments | None:
    """The process's metric instruments, or None without opentelemetry-api."""
    return Instruments() if available() else None


def error_type(error: BaseException) -> str:
    """The class of `error` by the name users import it under (``httpx.ReadTimeout``,
    ``connectory.core.NotFoundError``): low-cardinality and free of the message."""
    cls = type(error)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    if module.startswith("connectory.core._"):
        module = "connectory.core"
    return f"{module}.{cls.__qualname__}"


def url_full(url: httpx.URL) -> str:
    """`url` without query, fragment and user info; its path redacted."""
    return _URLS.get(url.scheme, url.netloc, url.raw_path)


class _UrlCache:
    """`url_full` of recent URLs (redacting is most of its cost), kept while the set of
    secrets in use stays the same: a change empties it, and no old secret is held."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._secrets: object = None
        self._urls: dict[tuple[str, bytes, bytes], str] = {}

    def get(self, scheme: str, netloc: bytes, raw_path: bytes) -> str:
        secrets = SECRETS.pattern()
        if secrets is not self._secrets or len(self._urls) >= self._size:
            self._urls = {}
            self._secrets = secrets
        key = (scheme, netloc, raw_path.split(b"?", 1)[0])  # never the query
        found = self._urls.get(key)
        if found is None:
            path = redact(key[2].decode("ascii", errors="replace"))
            found = f"{scheme}://{netloc.decode('ascii', errors='replace')}{path}"
            self._urls[key] = found
        return found


_URLS = _UrlCache()


def _method(request: httpx.Request) -> str:
    return request.method if request.method in _KNOWN_METHODS else "_OTHER"


def _fail(span: Span, kind: str) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute(ERROR_TYPE, kind)
    span.set_status(Status(StatusCode.ERROR))  # no description: error.type says it


class Exchange:
    """A span waiting for its response."""

    __slots__ = ("span",)

    def __init__(self, span: Span) -> None:
        self.span = span

    def answered(self, response: httpx.Response) -> None:
        status = response.status_code
        self.span.set_attribute(STATUS_CODE, status)
        version = response.extensions.get("http_version")  # b"HTTP/1.1", when known
        if isinstance(version, bytes) and version.startswith(b"HTTP/"):
            self.span.set_attribute(PROTOCOL_VERSION, version[5:].decode("ascii", "replace"))
        if status >= 400:
            _fail(self.span, str(status))


class Call(Exchange):
    """The span of one connector call; the transport counts its attempts here."""

    __slots__ = ("attempts",)

    def __init__(self, span: Span) -> None:
        super().__init__(span)
        self.attempts = 0


def _tracing_installed() -> bool:
    """Whether the application installed a tracer provider (an SDK): until it does, the
    API's global provider is a proxy whose spans record nothing, so building their
    attributes would be pure cost on every request."""
    from opentelemetry import trace

    return not isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    )


@functools.cache
def _placeholder_meter_providers() -> tuple[type, ...]:
    """The meter providers the API uses until an SDK is installed. The proxy's class is not
    public; should it move, every provider counts as installed (correct, only slower)."""
    from opentelemetry import metrics

    internal = getattr(metrics, "_internal", None)
    proxy = getattr(internal, "_ProxyMeterProvider", None)
    return (metrics.NoOpMeterProvider, *([proxy] if isinstance(proxy, type) else []))


def _metrics_installed() -> bool:
    """Whether the application installed a meter provider (see `_tracing_installed`)."""
    from opentelemetry import metrics

    return not isinstance(metrics.get_meter_provider(), _placeholder_meter_providers())


class Tracing:
    """Spans of one connector's calls and of their requests on the wire."""

    def __init__(self, connector: str) -> None:
        from opentelemetry import trace

        self.connector = connector
        self._tracer = trace.get_tracer(SCOPE)

    @property
    def recording(self) -> bool:
        """Whether spans go anywhere now (an SDK is installed): checked per call, since
        the application may install one after the connector was built."""
        return _tracing_installed()

    def __repr__(self) -> str:
        return f"Tracing(connector={self.connector!r})"

    def _attributes(self, request: httpx.Request, operation: str) -> Attributes:
        url = request.url
        attributes: Attributes = {
            CONNECTOR: self.connector,
            OPERATION: operation,
            METHOD: _method(request),
            SERVER_ADDRESS: url.host,
            URL_FULL: url_full(url),
        }
        port = url.port or _DEFAULT_PORTS.get(url.scheme)
        if port is not None:
            attributes[SERVER_PORT] = port
        return attributes

    @contextmanager
    def call(self, request: httpx.Request, operation: str) -> Iterator[Call]:
        """The INTERNAL span of a whole call, current while it runs."""
        from opentelemetry.trace import SpanKind, use_span

        span = self._tracer.start_span(
            f"{self.connector} {operation}",
            kind=SpanKind.INTERNAL,
            attributes=self._attributes(request, operation),
            record_exception=False,
            set_status_on_exception=False,
        )
        call = Call(span)
        request.extensions[CALL_EXTENSION] = call
        try:
            with use_span(span, record_exception=False, set_status_on_exception=False):
                yield call
        except BaseException as exc:
            _fail(span, error_type(exc))
            raise
        finally:
            span.set_attribute(ATTEMPTS, call.attempts)
            if call.attempts > 1:
                span.set_attribute(RESEND_COUNT, call.attempts - 1)
            span.end()

    @contextmanager
    def attempt(self, request: httpx.Request, operation: str) -> Iterator[Exchange]:
        """The CLIENT span of one request on the wire."""
        from opentelemetry.trace import SpanKind, use_span

        attributes = self._attributes(request, operation)
        call = request.extensions.get(CALL_EXTENSION)
        if isinstance(call, Call):
            if call.attempts:
                attributes[RESEND_COUNT] = call.attempts
            call.attempts += 1
        method = attributes[METHOD]
        span = self._tracer.start_span(
            "HTTP" if method == "_OTHER" else str(method),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        )
        try:
            with use_span(span, record_exception=False, set_status_on_exception=False):
                yield Exchange(span)
        except BaseException as exc:
            _fail(span, error_type(exc))
            raise
        finally:
            span.end()


def instrument_name(name: str) -> str:
    """`name` made a valid instrument name (a letter, then up to 254 of ``A-Za-z0-9_./-``)."""
    cleaned = _NOT_IN_NAME.sub("_", name)
    if not cleaned[:1].isalpha():
        cleaned = f"metric_{cleaned}"
    return cleaned[:255]


class Instruments:
    """The instruments `MonitoringService` records into, on the global MeterProvider."""

    def __init__(self) -> None:
        from opentelemetry import metrics

        self._meter = meter = metrics.get_meter(SCOPE)
        self.requests = meter.create_counter(
            REQUESTS, unit="{request}", description="Requests sent, one per attempt."
        )
        self.duration = meter.create_histogram(
            DURATION,
            unit="s",
            description="Time from sending a request to its response headers.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.errors = meter.create_counter(
            ERRORS, unit="{error}", description="Failed calls, as raised to the caller."
        )
        self._custom: dict[str, UpDownCounter] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Instruments({sorted(self._custom)!r})"

    @property
    def recording(self) -> bool:
        """Whether measurements go anywhere now (an SDK's meter provider is installed)."""
        return _metrics_installed()

    def request(
        self, connector: str, operation: str, status: int | None, seconds: float, *, retry: bool
    ) -> None:
        if not self.recording:
            return
        attributes: Attributes = {CONNECTOR: connector, OPERATION: operation, RETRY: retry}
        if status is None:
            attributes[ERROR_TYPE] = NO_RESPONSE
        else:
            attributes[STATUS_CODE] = status
            if status >= 400:
                attributes[ERROR_TYPE] = str(status)
        self.requests.add(1, attributes)
        self.duration.record(seconds, attributes)

    def error(self, connector: str, error: BaseException) -> None:
        if not self.recording:
            return
        attributes: Attributes = {CONNECTOR: connector, ERROR_TYPE: error_type(error)}
        operation = getattr(error, "operation", None)
        if isinstance(operation, str):
            attributes[OPERATION] = operation
        status = getattr(error, "status_code", None)
        if isinstance(status, int):
            attributes[STATUS_CODE] = status
        self.errors.add(1, attributes)

    def metric(self, connector: str, name: str, value: float, labels: Mapping[str, str]) -> None:
        """Add `value` to the custom metric `name` (an up-down counter: values may be
        negative). `name` and `labels` arrive redacted."""
        counter = self._custom.get(name)
        if counter is None:
            with self._lock:
                counter = self._custom.get(name)
                if counter is None:
                    counter = self._custom[name] = self._meter.create_up_down_counter(
                        instrument_name(name), description="Recorded with record_metric."
                    )
        counter.add(value, {**labels, CONNECTOR: connector})
