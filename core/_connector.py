"""The connector: config plus its auth, data, error and monitoring services, built once.

`assemble` builds every part a connector needs, each given what it uses when it is made
(no part is wired to another afterwards): limiter and monitor, then the transport pipeline,
then the auth service (which sends explicit token refreshes through that pipeline), then
the HTTP client (which authenticates through the auth service), then the data service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypedDict, TypeVar, Unpack, overload

import attrs
import httpx

from ._auth import TokenStore
from ._auth_kinds import AUTH_KINDS
from ._auth_service import BaseAuthenticationService
from ._config import AuthenticationType, ConnectorConfig, RateLimits, RetryPolicy
from ._data_service import BaseDataService
from ._error_service import BaseErrorHandlingService
from ._errors import AuthenticationError, ConfigurationError, ConnectorError, PermissionDeniedError
from ._http import ConnectorHttpClient, RequestOptions
from ._interfaces import Credentials, IConnectorService, IErrorHandlingService
from ._monitoring import MonitoringService
from ._otel import connector_tracing
from ._ratelimit import RateLimitBackend, RateLimiter
from ._redact import get_logger, install_log_redaction
from ._transport import ConnectorTransport, origin_of
from .models import UNSET
from .resources import APIResource
from .state import StateBackend, coordinated_token_store, resolve_state

if TYPE_CHECKING:
    from .webhooks import ConnectorWebhooks, ReplayGuard, WebhookSecret, WebhookVerifier

T = TypeVar("T")
E = TypeVar("E")
C = TypeVar("C", bound="BaseConnectorService")


class ConnectorOptions(TypedDict, total=False):
    """Keyword options of every connector's constructor and of the factory.

    ``transport``: any httpx transport (a MockTransport in tests, a proxy);
    ``rate_limits``: replaces the connector's published limits; ``rate_limiter`` /
    ``rate_limit_backend``: share admission state with other connectors or processes;
    ``token_store``: called with every new OAuth2 token; ``base_url``, ``timeout``,
    ``retry``, ``strict_decoding``: override the config's; the services replace the
    defaults the seed names. ``state``: where rate limits and OAuth2 tokens are shared
    with other processes, a URL (``redis://...``) or a `connectory.core.state` backend;
    without it, the ``CONNECTORY_STATE_URL`` environment variable, else this connector's
    own memory. ``state_fallback="memory"``: use memory, with a warning, when the state's
    server cannot be reached. ``telemetry=False``: no OpenTelemetry spans or metrics from
    this connector (docs/observability.md). ``webhook_secret``: the secret (Box: the two
    keys, a tuple) that ``connector.webhooks`` verifies deliveries with, a credential kept
    out of logs; ``webhook_replay_guard``: where accepted deliveries are remembered (a
    `connectory.core.webhooks.ReplayGuard` shared by the processes behind one endpoint,
    or False); see docs/webhooks.md.
    """

    logger: logging.Logger
    transport: httpx.AsyncBaseTransport
    rate_limits: RateLimits | Mapping[str, Any]
    rate_limiter: RateLimiter
    rate_limit_backend: RateLimitBackend
    token_store: TokenStore
    error_service: IErrorHandlingService
    monitoring_service: MonitoringService
    base_url: str
    timeout: float
    retry: RetryPolicy | Mapping[str, Any]
    strict_decoding: bool
    state: str | StateBackend
    state_fallback: Literal["memory"]
    telemetry: bool
    webhook_secret: WebhookSecret
    webhook_replay_guard: ReplayGuard | bool


_CONFIG_OPTIONS = ("rate_limits", "base_url", "timeout", "retry", "strict_decoding")


@attrs.frozen
class Parts:
    """Everything a connector is made of, built by `assemble`."""

    logger: logging.Logger
    config: ConnectorConfig
    auth_service: BaseAuthenticationService
    data_service: BaseDataService
    error_service: IErrorHandlingService
    monitoring_service: MonitoringService
    rate_limiter: RateLimiter
    http: ConnectorHttpClient
    state: StateBackend | None = None
    webhook_verifier: WebhookVerifier | None = None


def configured(config: ConnectorConfig, options: Mapping[str, Any]) -> ConnectorConfig:
    """`config` with the options that change it applied."""
    changes = {key: options[key] for key in _CONFIG_OPTIONS if key in options}
    return config.evolve(**changes) if changes else config


def assemble(
    config: ConnectorConfig,
    *,
    auth_service_class: type[BaseAuthenticationService] = BaseAuthenticationService,
    data_service_class: type[BaseDataService] = BaseDataService,
    **options: Unpack[ConnectorOptions],
) -> Parts:
    """Build every part of a connector for `config` (see the module docstring)."""
    unknown = sorted(set(options) - set(ConnectorOptions.__annotations__))
    if unknown:
        raise ConfigurationError(
            f"unknown connector option {unknown[0]!r}; options: "
            f"{', '.join(sorted(ConnectorOptions.__annotations__))}"
        )
    install_log_redaction()
    config = configured(config, options)
    webhook_verifier = _webhook_verifier(config, options)
    slug = config.slug
    logger = options.get("logger") or get_logger(f"connectory.{slug}")
    errors = options.get("error_service") or BaseErrorHandlingService(logger)
    telemetry = options.get("telemetry", True)
    monitor = options.get("monitoring_service") or MonitoringService(slug, telemetry=telemetry)
    state = _shared_state(options)
    limiter = options.get("rate_limiter") or RateLimiter(
        config.rate_limits,
        key=slug,
        backend=options.get("rate_limit_backend") or (state.rate_limits if state else None),
        max_wait=config.retry.retry_after_cap,
        lease=config.timeout * config.retry.attempts + 60.0,
    )
    trusted = [origin_of(config.base_url)]
    headers: dict[str, None] = {}
    params: dict[str, None] = {}
    for scheme in config.auth_schemes:
        if scheme.token_url:
            trusted.append(origin_of(scheme.token_url))
        kind = AUTH_KINDS[scheme.type]
        headers.update(dict.fromkeys(kind.credential_headers(scheme)))
        params.update(dict.fromkeys(kind.credential_params(scheme)))
    transport = ConnectorTransport(
        options.get("transport") or httpx.AsyncHTTPTransport(),
        retry=config.retry,
        limiter=limiter,
        monitor=monitor,
        tracing=connector_tracing(slug) if telemetry else None,
        trusted_origins=tuple(trusted),
        credential_headers=tuple(headers),
        credential_params=tuple(params),
    )
    token_store = options.get("token_store")
    if state is not None:
        token_store = coordinated_token_store(state, token_store)
    auth = auth_service_class(logger, config, token_store=token_store, transport=transport)
    http = ConnectorHttpClient(
        config,
        transport=transport,
        auth=auth.httpx_auth,
        error_service=errors,
        monitor=monitor,
        limiter=limiter,
        state=state,
    )
    data = data_service_class(logger, config, auth, http)
    return Parts(
        logger, config, auth, data, errors, monitor, limiter, http, state, webhook_verifier
    )


def _webhook_verifier(
    config: ConnectorConfig, options: Mapping[str, Any]
) -> WebhookVerifier | None:
    """The verifier of the ``webhook_secret`` option, or None; built (and its secret checked
    and registered for redaction) with the connector, so a bad secret fails here."""
    if options.get("webhook_secret") is None:
        return None
    from .webhooks import connector_verifier, webhook_secret_values

    secret = webhook_secret_values(config, options["webhook_secret"])
    assert secret is not None
    return connector_verifier(
        config, secret, replay_guard=options.get("webhook_replay_guard", True)
    )


def _shared_state(options: Mapping[str, Any]) -> StateBackend | None:
    """The `state` option, else the one ``CONNECTORY_STATE_URL`` names, else None."""
    return resolve_state(options.get("state"), fallback=options.get("state_fallback"))


class _EscapeHatch(APIResource):
    label = "request"


class BaseConnectorService(IConnectorService):
    """A connector: config plus its auth, data, error and monitoring services.

    Built the seed's way from its services (``NotionConnector(logger, type, config,
    auth_service, data_service, ...)``); generated connectors add a keyword constructor
    (``GitHubConnector(access_token=...)``) that builds them with `assemble`.
    """

    auth_service: BaseAuthenticationService
    data_service: BaseDataService
    # True for connectors whose constructor takes keyword options (generated ones).
    keyword_constructor: ClassVar[bool] = False
    # The registry key and default config of a generated connector.
    connector_name: ClassVar[str | None] = None
    default_config: ClassVar[ConnectorConfig | None] = None
    # Where limits and tokens are shared with other processes (the `state` option).
    state: StateBackend | None = None
    # What verifies webhook deliveries (from the `webhook_secret` option).
    _webhook_verifier: WebhookVerifier | None = None

    def __init__(
        self,
        logger: logging.Logger | None,
        connector_type: Any,
        config: ConnectorConfig,
        auth_service: BaseAuthenticationService,
        data_service: BaseDataService,
        error_service: IErrorHandlingService | None = None,
        monitoring_service: MonitoringService | None = None,
        rate_limiter: RateLimiter | None = None,
        http: ConnectorHttpClient | None = None,
    ) -> None:
        self.logger = logger or get_logger(config.slug)
        self.connector_type = connector_type
        self.config = config
        self.auth_service = auth_service
        self.data_service = data_service
        self.http = http or data_service.http
        self.error_service = error_service or self.http.error_service
        self.monitoring_service = (
            monitoring_service or self.http.monitor or MonitoringService(config.slug)
        )
        self.rate_limiter = rate_limiter or self.http.limiter or RateLimiter(config.rate_limits)
        self.state = self.http.state
        self.connected = False
        self._hatch = _EscapeHatch(self)

    def _build(
        self,
        config: ConnectorConfig,
        data_service_class: type[BaseDataService],
        credentials: Mapping[str, str | None],
        url_variables: Mapping[str, str | None],
        options: Mapping[str, Any],
    ) -> None:
        """The keyword constructor of generated connectors: assemble, then take the
        credentials given (if any) without sending anything."""
        given_variables = {k: v for k, v in url_variables.items() if v is not None}
        if given_variables and "base_url" not in options:
            config = config.with_url_variables(given_variables)
        elif config.url_variables and "base_url" not in options:
            names = ", ".join(f"{name}=" for name in config.url_variables)
            raise ConfigurationError(
                f"{config.slug}: the API's host differs per account: pass {names} or base_url="
            )
        parts = assemble(config, data_service_class=data_service_class, **options)
        BaseConnectorService.__init__(
            self,
            parts.logger,
            parts.config.connector_type,
            parts.config,
            parts.auth_service,
            parts.data_service,
            error_service=parts.error_service,
            monitoring_service=parts.monitoring_service,
            rate_limiter=parts.rate_limiter,
            http=parts.http,
        )
        self._webhook_verifier = parts.webhook_verifier
        given = {k: v for k, v in credentials.items() if v is not None}
        if given:
            self.auth_service.set_credentials(given)

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"{type(self).__name__}({self.config.slug!r}, {state})"

    @cached_property
    def webhooks(self) -> ConnectorWebhooks[Any]:
        """This connector's webhook deliveries, verified with its vendor's scheme and the
        ``webhook_secret`` option::

            event = connector.webhooks.unwrap(headers, body)

        Here `unwrap` returns the parsed JSON; generated connectors whose definition names
        event schemas return their models. Raises `ConfigurationError` when the connector
        has no webhook scheme or was built without ``webhook_secret``.
        """
        from .webhooks import parsed_json

        return self._webhooks(parsed_json)

    def _webhooks(self, events: Callable[[httpx.Headers, Any], E]) -> ConnectorWebhooks[E]:
        """`webhooks` with `events` deciding the type of each delivery."""
        from .webhooks import ConnectorWebhooks

        slug = self.config.slug
        if self.config.webhook_scheme is None:
            raise ConfigurationError(
                f"{slug}: the connector has no webhook scheme (ConnectorConfig.webhook_scheme), "
                "so connector.webhooks cannot verify deliveries"
            )
        if self._webhook_verifier is None:
            raise ConfigurationError(
                f"{slug}: connector.webhooks needs the webhook_secret option: pass "
                f"webhook_secret=... when building the connector ({self.config.webhook_scheme} "
                "scheme)"
            )
        return ConnectorWebhooks(self._webhook_verifier, events)

    def use_credentials(self, credentials: Credentials) -> None:
        """Authenticate every later request with `credentials` (validated now, not sent)."""
        self.auth_service.set_credentials(credentials)

    async def connect(self, credentials: Credentials) -> bool:
        """Authenticate and test the connection.

        Returns True when connected and False when the service answered but is not
        usable (e.g. it failed); raises `AuthenticationError` / `PermissionDeniedError`
        at once when the vendor rejects the credentials, and `ConfigurationError` for
        malformed credentials.
        """
        if self.state is not None:
            await self.state.check()  # a state server that is down fails here, by its URL
        await self.auth_service.authenticate(credentials)
        self.connected = await self.test_connection()
        self.monitoring_service.connected = self.connected
        self.monitoring_service.record_event(
            "connector_connected" if self.connected else "connector_connect_failed",
            {"connector_type": str(self.connector_type)},
        )
        return self.connected

    async def test_connection(self) -> bool:
        """GET the config's `health_check_path`; True when it succeeds."""
        path = self.config.health_check_path
        if path is None:
            return self.auth_service.auth is not None or (
                self.config.authentication_type is AuthenticationType.NONE
            )
        try:
            await self.http.request("GET", path, operation="test_connection")
        except (AuthenticationError, PermissionDeniedError):
            raise
        except ConnectorError as exc:
            self.error_service.log_error(exc, "test_connection", {"connector": self.config.slug})
            return False
        return True

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[T],
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        form: Any = UNSET,
        content: bytes | str | Any = UNSET,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> T: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        form: Any = UNSET,
        content: bytes | str | Any = UNSET,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Any: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: Any = None,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        form: Any = UNSET,
        content: bytes | str | Any = UNSET,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Any:
        """Any operation, including those the connector does not ship, through the whole
        pipeline (auth, limits, retries, errors, metrics).

        `path` is relative to the base URL (``{name}`` placeholders are filled from
        `path_params`, percent-encoded); `params` go to the query. The answer is decoded
        into `cast_to` (a model, ``list[Model]``, ...) when given, returned as
        `httpx.Response` when `cast_to` is `httpx.Response`, else as parsed JSON.
        """
        if cast_to is httpx.Response:
            template = path if path_params else path.replace("{", "%7B").replace("}", "%7D")
            url, query, sent = self._hatch._request_parts(
                template, path_params, params, headers, None
            )
            return await self.http.request(
                method,
                url,
                operation="request",
                params=query,
                headers=sent or None,
                json=None if json is UNSET else json,
                options=options,
            )
        return await self._hatch._call(
            method,
            path if path_params else path.replace("{", "%7B").replace("}", "%7D"),
            path=path_params,
            query=params,
            headers=headers,
            json=json,
            form=form,
            content=content,
            content_type=content_type,
            returns=Any if cast_to is None else cast_to,
            options=options,
        )

    async def close(self) -> None:
        await self.http.aclose()
        self.auth_service.forget()
        if self.state is not None:
            await self.state.aclose()
        if self.connected:
            self.monitoring_service.record_event(
                "connector_closed", {"connector_type": str(self.connector_type)}
            )
        self.connected = self.monitoring_service.connected = False

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # sync twins, for code without an event loop

    def connect_sync(self, credentials: Credentials) -> bool:
        return self.http.sync.run(self.connect(credentials))

    def test_connection_sync(self) -> bool:
        return self.http.sync.run(self.test_connection())

    def request_sync(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.http.sync.run(self.request(method, path, **kwargs))

    def close_sync(self) -> None:
        if self.http.sync.started:
            self.http.sync.run(self.close())
        self.http.sync.close()
        self.auth_service.forget()

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_sync()
