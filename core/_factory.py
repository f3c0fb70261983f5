"""The seed's factory, builder and manager, over a plain registry dict.

Connectors installed as packages announce themselves in the ``connectory.connectors``
entry-point group (name: the connector type's value; object: a `ConnectorRegistration`);
the factory loads one only when it is first asked for.
"""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import attrs
import httpx

from ._auth import TokenStore
from ._config import ConnectorConfig, ConnectorType
from ._errors import ConfigurationError, ConnectorError
from ._http import ConnectorHttpClient
from ._monitoring import MonitoringService
from ._ratelimit import RateLimitBackend, RateLimiter
from ._redact import get_logger, install_log_redaction
from ._services import (
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    BaseErrorHandlingService,
    IConnectorFactory,
    IErrorHandlingService,
)

ENTRY_POINT_GROUP = "connectory.connectors"


@attrs.frozen(kw_only=True)
class ConnectorRegistration:
    """What the factory needs to build one kind of connector."""

    connector_type: ConnectorType
    connector_class: type[BaseConnectorService]
    auth_service_class: type[BaseAuthenticationService]
    data_service_class: type[BaseDataService]
    config: ConnectorConfig


def _installed_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _generated_packages() -> dict[str, EntryPoint]:
    """Connector packages under ``connectory.connectors``, registered or not: a connector
    generated a moment ago is usable before the project is reinstalled."""
    try:
        import connectory.connectors as package
    except ImportError:  # pragma: no cover - a core installed without the connectors
        return {}
    return {
        module.name: EntryPoint(
            module.name,
            f"{package.__name__}.{module.name}.connector:REGISTRATION",
            ENTRY_POINT_GROUP,
        )
        for module in pkgutil.iter_modules(package.__path__)
        if module.ispkg
    }


class UniversalConnectorFactory(IConnectorFactory):
    """Creates any registered connector, wired to its http client, limiter and monitor."""

    def __init__(self, logger: logging.Logger | None = None, *, discover: bool = True) -> None:
        install_log_redaction()
        self.logger = logger or get_logger("connectory.factory")
        self._registry: dict[ConnectorType, ConnectorRegistration] = {}
        self._entry_points: dict[str, EntryPoint] = {}
        if discover:
            self._entry_points = {**_generated_packages(), **_installed_entry_points()}

    def __repr__(self) -> str:
        return f"UniversalConnectorFactory({len(self.available())} connectors)"

    def register_connector_implementation(
        self,
        connector_type: ConnectorType,
        connector_class: type[BaseConnectorService],
        auth_service_class: type[BaseAuthenticationService],
        data_service_class: type[BaseDataService],
        config: ConnectorConfig,
    ) -> None:
        """Register (or replace) the implementation of `connector_type`."""
        self.register(
            ConnectorRegistration(
                connector_type=ConnectorType(connector_type),
                connector_class=connector_class,
                auth_service_class=auth_service_class,
                data_service_class=data_service_class,
                config=config,
            )
        )

    def register(self, registration: ConnectorRegistration) -> None:
        self._registry[registration.connector_type] = registration

    def available(self) -> list[str]:
        """Names of every connector this factory can create, registered or installed."""
        return sorted({t.value for t in self._registry} | set(self._entry_points))

    def registration(self, connector_type: ConnectorType | str) -> ConnectorRegistration:
        try:
            kind = ConnectorType(connector_type)
        except ValueError:
            kind = None
        if kind is not None and kind in self._registry:
            return self._registry[kind]
        name = kind.value if kind is not None else str(connector_type)
        entry_point = self._entry_points.get(name)
        if entry_point is None:
            raise ConfigurationError(
                f"no connector registered for {name!r}; available: "
                f"{', '.join(self.available()) or 'none'}"
            )
        loaded = entry_point.load()
        if not isinstance(loaded, ConnectorRegistration):
            raise ConfigurationError(
                f"entry point {entry_point.value!r} is not a ConnectorRegistration"
            )
        self.register(loaded)
        return loaded

    def create_connector(
        self,
        connector_type: ConnectorType | str,
        config: ConnectorConfig | None = None,
        *,
        error_service: IErrorHandlingService | None = None,
        monitoring_service: MonitoringService | None = None,
        rate_limiter: RateLimiter | None = None,
        rate_limit_backend: RateLimitBackend | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        token_store: TokenStore | None = None,
    ) -> BaseConnectorService:
        """Build a connector of `connector_type`, with `config` or its registered one."""
        registration = self.registration(connector_type)
        config = config or registration.config
        slug = config.slug
        logger = get_logger(f"connectory.{slug}")
        errors = error_service or BaseErrorHandlingService(logger)
        monitor = monitoring_service or MonitoringService(slug)
        limiter = rate_limiter or RateLimiter(
            config.rate_limits,
            key=slug,
            backend=rate_limit_backend,
            max_wait=config.retry.retry_after_cap,
        )
        http = ConnectorHttpClient(
            config, error_service=errors, monitor=monitor, limiter=limiter, transport=transport
        )
        auth = registration.auth_service_class(logger, config, token_store=token_store)
        auth.http = http
        data = registration.data_service_class(logger, config, auth, http)
        return registration.connector_class(
            logger,
            registration.connector_type,
            config,
            auth,
            data,
            error_service=errors,
            monitoring_service=monitor,
            rate_limiter=limiter,
            http=http,
        )


@attrs.frozen
class ConnectorBuilder:
    """Fluent, immutable construction: every step returns a new builder.

    ``ConnectorBuilder(factory).for_connector_type(ConnectorType.SLACK).with_config(cfg)
    .with_custom_error_service(svc).build()``
    """

    factory: UniversalConnectorFactory
    connector_type: ConnectorType | str | None = None
    config: ConnectorConfig | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def for_connector_type(self, connector_type: ConnectorType | str) -> ConnectorBuilder:
        return attrs.evolve(self, connector_type=connector_type)

    def with_config(self, config: ConnectorConfig) -> ConnectorBuilder:
        return attrs.evolve(self, config=config)

    def _with(self, **option: Any) -> ConnectorBuilder:
        return attrs.evolve(self, options={**self.options, **option})

    def with_custom_error_service(self, error_service: IErrorHandlingService) -> ConnectorBuilder:
        return self._with(error_service=error_service)

    def with_monitoring_service(self, monitoring_service: MonitoringService) -> ConnectorBuilder:
        return self._with(monitoring_service=monitoring_service)

    def with_rate_limiter(self, rate_limiter: RateLimiter) -> ConnectorBuilder:
        return self._with(rate_limiter=rate_limiter)

    def with_rate_limit_backend(self, backend: RateLimitBackend) -> ConnectorBuilder:
        return self._with(rate_limit_backend=backend)

    def with_transport(self, transport: httpx.AsyncBaseTransport) -> ConnectorBuilder:
        """Send requests through `transport` (a MockTransport in tests, a proxy, ...)."""
        return self._with(transport=transport)

    def with_token_store(self, token_store: TokenStore) -> ConnectorBuilder:
        return self._with(token_store=token_store)

    def build(self) -> BaseConnectorService:
        if self.connector_type is None:
            raise ConfigurationError("ConnectorBuilder: call for_connector_type() before build()")
        return self.factory.create_connector(self.connector_type, self.config, **self.options)


class ConnectorManager:
    """Keeps the connectors an application has opened, and closes them together."""

    def __init__(self, factory: UniversalConnectorFactory) -> None:
        self.factory = factory
        self._active: list[BaseConnectorService] = []

    def __repr__(self) -> str:
        return f"ConnectorManager({len(self._active)} active)"

    async def create_and_connect(
        self,
        connector_type: ConnectorType | str,
        credentials: Mapping[str, Any],
        config: ConnectorConfig | None = None,
        **options: Any,
    ) -> BaseConnectorService:
        """Create a connector and connect it; raise if it cannot connect."""
        connector = self.factory.create_connector(connector_type, config, **options)
        try:
            if not await connector.connect(credentials):
                raise ConnectorError(f"{connector.config.slug}: connection test failed")
        except BaseException:
            await connector.close()
            raise
        self._active.append(connector)
        return connector

    def get_active_connectors(self) -> list[BaseConnectorService]:
        return [c for c in self._active if c.connected]

    async def close_all(self) -> None:
        """Close every connector, even if some fail to close; re-raise the first failure."""
        connectors, self._active = self._active, []
        failures: list[BaseException] = []
        for connector in connectors:
            try:
                await connector.close()
            except Exception as exc:  # keep closing the others
                failures.append(exc)
        if failures:
            raise failures[0]

    async def __aenter__(self) -> ConnectorManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close_all()
