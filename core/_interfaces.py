"""The seed's service interfaces.

They are kept because the seed promised them and tests fake them; behind them the work is
done by small parts: `httpx.Auth` schemes, the transport pipeline, paginators.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import ConnectorConfig
    from ._monitoring import MonitoringService
    from ._ratelimit import RateLimiter

Credentials = Mapping[str, Any]


class IAuthenticationService(ABC):
    @abstractmethod
    async def authenticate(self, credentials: Credentials) -> bool: ...

    @abstractmethod
    async def refresh_token(self, refresh_token: str) -> dict[str, Any]: ...


class IDataService(ABC):
    @abstractmethod
    async def list_items(self, path: str = "/", /, **params: Any) -> list[Any]: ...

    @abstractmethod
    async def get_item_metadata(self, item_id: str, **params: Any) -> Any | None: ...


class IErrorHandlingService(ABC):
    @abstractmethod
    def handle_api_error(self, error: Exception, context: Mapping[str, Any]) -> Exception: ...

    @abstractmethod
    def log_error(
        self, error: Exception, operation: str, context: Mapping[str, Any] | None = None
    ) -> None: ...


class IMonitoringService(ABC):
    @abstractmethod
    def record_metric(
        self, name: str, value: float, tags: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    def record_event(self, name: str, data: Mapping[str, Any] | None = None) -> None: ...

    @abstractmethod
    async def get_health_status(self) -> dict[str, Any]: ...


class IConnectorService(ABC):
    """A connector: what the seed's code reaches through ``connector.<service>``."""

    config: ConnectorConfig
    auth_service: IAuthenticationService
    data_service: IDataService
    error_service: IErrorHandlingService
    monitoring_service: MonitoringService
    rate_limiter: RateLimiter

    @abstractmethod
    async def connect(self, credentials: Credentials) -> bool: ...

    @abstractmethod
    async def test_connection(self) -> bool: ...

    @abstractmethod
    async def close(self) -> None: ...


class IConnectorFactory(ABC):
    @abstractmethod
    def create_connector(
        self, connector_type: Any, config: ConnectorConfig | None = None
    ) -> IConnectorService: ...
