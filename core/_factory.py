"""The seed's factory, builder and manager, over a plain registry dict keyed by name.

Connectors installed as packages announce themselves in the ``connectory.connectors``
entry-point group (name: the connector's name; object: a `ConnectorRegistration`); the
factory loads one only when it is first asked for. Naming the connector class (or its
typed registration) instead of a `ConnectorType` gives back the precise connector type::

    github = factory.create_connector(GitHubConnector)        # GitHubConnector
    slack = factory.create_connector(ConnectorType.SLACK)     # BaseConnectorService
"""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Unpack, overload

import attrs
import httpx
from typing_extensions import TypeVar  # `default=` (PEP 696) before Python 3.13

from ._auth import TokenStore
from ._auth_service import BaseAuthenticationService
from ._config import ConnectorConfig, connector_key
from ._connector import BaseConnectorService, ConnectorOptions, assemble
from ._data_service import BaseDataService
from ._errors import ConfigurationError, ConnectorError
from ._interfaces import IConnectorFactory, IErrorHandlingService
from ._monitoring import MonitoringService
from ._ratelimit import RateLimitBackend, RateLimiter
from ._redact import get_logger, install_log_redaction

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "connectory.connectors"

# The connector a registration or builder makes; an unparametrised `ConnectorBuilder(factory)`
# makes the base class until `for_connector_type` names one.
C = TypeVar("C", bound=BaseConnectorService, default=BaseConnectorService)
C2 = TypeVar("C2", bound=BaseConnectorService)


@attrs.frozen(kw_only=True)
class ConnectorRegistration(Generic[C]):
    """What the factory needs to build one kind of connector.

    ``connector_type`` is its registry key (a `ConnectorType` member or any connector
    name). A generated connector's registration is typed with its class, so the factory
    hands back that class.
    """

    connector_type: str = attrs.field(converter=connector_key)
    connector_class: type[C]
    config: ConnectorConfig
    auth_service_class: type[BaseAuthenticationService] = BaseAuthenticationService
    data_service_class: type[BaseDataService] = BaseDataService

    @property
    def name(self) -> str:
        return str(self.connector_type)

    def build(self, config: ConnectorConfig | None = None, **options: Any) -> C:
        """A new connector; the keyword options are those of `ConnectorOptions`."""
        config = config or self.config
        cls = self.connector_class
        if cls.keyword_constructor:
            return cls(config=config, **options)
        parts = assemble(
            config,
            auth_service_class=self.auth_service_class,
            data_service_class=self.data_service_class,
            **options,
        )
        connector = cls(
            parts.logger,
            self.connector_type,
            parts.config,
            parts.auth_service,
            parts.data_service,
            error_service=parts.error_service,
            monitoring_service=parts.monitoring_service,
            rate_limiter=parts.rate_limiter,
            http=parts.http,
        )
        # Set afterwards: the seed's constructors have no parameter for it.
        connector._webhook_verifier = parts.webhook_verifier
        return connector


def _installed_entry_points() -> dict[str, EntryPoint]:
    from importlib.metadata import entry_points  # slow to import: only when discovering

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _generated_packages() -> dict[str, EntryPoint]:
    """Connector packages under ``connectory.connectors``, registered or not: a connector
    generated a moment ago is usable before the project is reinstalled."""
    from importlib.metadata import EntryPoint

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


ConnectorSpecifier = str | type[BaseConnectorService] | ConnectorRegistration[Any]


class UniversalConnectorFactory(IConnectorFactory):
    """Creates any registered connector, wired to its http client, limiter and monitor."""

    def __init__(self, logger: logging.Logger | None = None, *, discover: bool = True) -> None:
        install_log_redaction()
        self.logger = logger or get_logger("connectory.factory")
        self._registry: dict[str, ConnectorRegistration[Any]] = {}
        self._entry_points: dict[str, EntryPoint] = {}
        if discover:
            self._entry_points = {**_generated_packages(), **_installed_entry_points()}

    def __repr__(self) -> str:
        return f"UniversalConnectorFactory({len(self.available())} connectors)"

    def register_connector_implementation(
        self,
        connector_type: str,
        connector_class: type[BaseConnectorService],
        auth_service_class: type[BaseAuthenticationService],
        data_service_class: type[BaseDataService],
        config: ConnectorConfig,
    ) -> None:
        """Register (or replace) the implementation of `connector_type` (the seed's form)."""
        self.register(
            ConnectorRegistration(
                connector_type=connector_type,
                connector_class=connector_class,
                auth_service_class=auth_service_class,
                data_service_class=data_service_class,
                config=config,
            )
        )

    def register(self, registration: ConnectorRegistration[Any]) -> None:
        self._registry[registration.name] = registration

    def available(self) -> list[str]:
        """Names of every connector this factory can create, registered or installed."""
        return sorted(set(self._registry) | set(self._entry_points))

    def registration(self, connector: ConnectorSpecifier) -> ConnectorRegistration[Any]:
        """The registration of a connector named by key, class or registration."""
        if isinstance(connector, ConnectorRegistration):
            return connector
        if isinstance(connector, type):
            return self._registration_of_class(connector)
        name = str(connector)
        found = self._registry.get(name)
        if found is not None:
            return found
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

    def _registration_of_class(self, cls: type[BaseConnectorService]) -> ConnectorRegistration[Any]:
        for registration in self._registry.values():
            if registration.connector_class is cls:
                return registration
        if cls.connector_name is not None and cls.default_config is not None:
            registration = ConnectorRegistration(
                connector_type=cls.connector_name, connector_class=cls, config=cls.default_config
            )
            self.register(registration)
            return registration
        raise ConfigurationError(
            f"{cls.__name__} is not registered with this factory; register it first"
        )

    @overload
    def create_connector(
        self,
        connector_type: type[C],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> C: ...
    @overload
    def create_connector(
        self,
        connector_type: ConnectorRegistration[C],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> C: ...
    @overload
    def create_connector(
        self,
        connector_type: str,
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> BaseConnectorService: ...
    def create_connector(
        self,
        connector_type: ConnectorSpecifier,
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> BaseConnectorService:
        """Build a connector, with `config` or its registered one.

        `connector_type` is a `ConnectorType` member or name (the seed's form), a
        generated connector class, or its typed registration.
        """
        connector: BaseConnectorService = self.registration(connector_type).build(config, **options)
        return connector


@attrs.frozen
class ConnectorBuilder(Generic[C]):
    """Fluent, immutable construction: every step returns a new builder.

    ``ConnectorBuilder(factory).for_connector_type(ConnectorType.SLACK).with_config(cfg)
    .with_custom_error_service(svc).build()``; naming a connector class
    (``.for_connector_type(GitHubConnector)``) makes `build` return that class.
    """

    factory: UniversalConnectorFactory
    connector_type: ConnectorSpecifier | None = None
    config: ConnectorConfig | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)

    @overload
    def for_connector_type(self, connector_type: type[C2]) -> ConnectorBuilder[C2]: ...
    @overload
    def for_connector_type(
        self, connector_type: ConnectorRegistration[C2]
    ) -> ConnectorBuilder[C2]: ...
    @overload
    def for_connector_type(self, connector_type: str) -> ConnectorBuilder[BaseConnectorService]: ...
    def for_connector_type(self, connector_type: ConnectorSpecifier) -> ConnectorBuilder[Any]:
        return attrs.evolve(self, connector_type=connector_type)

    def with_config(self, config: ConnectorConfig) -> ConnectorBuilder[C]:
        return attrs.evolve(self, config=config)

    def _with(self, **option: Any) -> ConnectorBuilder[C]:
        return attrs.evolve(self, options={**self.options, **option})

    def with_custom_error_service(
        self, error_service: IErrorHandlingService
    ) -> ConnectorBuilder[C]:
        return self._with(error_service=error_service)

    def with_monitoring_service(self, monitoring_service: MonitoringService) -> ConnectorBuilder[C]:
        return self._with(monitoring_service=monitoring_service)

    def with_rate_limiter(self, rate_limiter: RateLimiter) -> ConnectorBuilder[C]:
        return self._with(rate_limiter=rate_limiter)

    def with_rate_limit_backend(self, backend: RateLimitBackend) -> ConnectorBuilder[C]:
        return self._with(rate_limit_backend=backend)

    def with_transport(self, transport: httpx.AsyncBaseTransport) -> ConnectorBuilder[C]:
        """Send requests through `transport` (a MockTransport in tests, a proxy, ...)."""
        return self._with(transport=transport)

    def with_token_store(self, token_store: TokenStore) -> ConnectorBuilder[C]:
        return self._with(token_store=token_store)

    def with_options(self, **options: Unpack[ConnectorOptions]) -> ConnectorBuilder[C]:
        return self._with(**options)

    def build(self) -> C:
        if self.connector_type is None:
            raise ConfigurationError("ConnectorBuilder: call for_connector_type() before build()")
        return self.factory.create_connector(  # type: ignore[return-value]
            self.connector_type,
            self.config,
            **self.options,
        )


class ConnectorManager:
    """Keeps the connectors an application has opened, and closes them together."""

    def __init__(self, factory: UniversalConnectorFactory) -> None:
        self.factory = factory
        self._active: list[BaseConnectorService] = []

    def __repr__(self) -> str:
        return f"ConnectorManager({len(self._active)} active)"

    @overload
    async def create_and_connect(
        self,
        connector_type: type[C],
        credentials: Mapping[str, Any],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> C: ...
    @overload
    async def create_and_connect(
        self,
        connector_type: ConnectorRegistration[C],
        credentials: Mapping[str, Any],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> C: ...
    @overload
    async def create_and_connect(
        self,
        connector_type: str,
        credentials: Mapping[str, Any],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
    ) -> BaseConnectorService: ...
    async def create_and_connect(
        self,
        connector_type: ConnectorSpecifier,
        credentials: Mapping[str, Any],
        config: ConnectorConfig | None = None,
        **options: Unpack[ConnectorOptions],
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
