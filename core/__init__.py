"""connectory's hand-written runtime: the seed's public names over httpx's extension points.

What users touch is exported here (a test pins the list); the modules behind it are
private. Public submodules: ``connectory.core.models`` (models and decoding) and
``connectory.core.resources`` (typed operations and pagers), which generated connectors
are made of, ``connectory.core.testing`` (the switch that turns off all waiting) and
``connectory.core.webhooks`` (verifying signed webhook deliveries).
"""

from ._auth import ApiKeyAuth, BasicAuth, BearerAuth, OAuth2Auth, OAuth2Token, TokenStore
from ._auth_service import BaseAuthenticationService
from ._config import (
    ApiKeyLocation,
    AuthenticationType,
    AuthScheme,
    ConnectorConfig,
    RateLimits,
    RetryPolicy,
)
from ._connector import BaseConnectorService, ConnectorOptions
from ._connector_types import ConnectorType
from ._data_service import BaseDataService, Resource
from ._error_service import BaseErrorHandlingService
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConnectorError,
    DecodeError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    error_for_response,
)
from ._factory import (
    ENTRY_POINT_GROUP,
    ConnectorBuilder,
    ConnectorManager,
    ConnectorRegistration,
    UniversalConnectorFactory,
)
from ._http import RequestOptions
from ._interfaces import (
    IAuthenticationService,
    IConnectorFactory,
    IConnectorService,
    IDataService,
    IErrorHandlingService,
    IMonitoringService,
)
from ._monitoring import MonitoringService
from ._operations import ConnectorInfo, OperationInfo, ParameterInfo
from ._pagination import (
    CursorInBody,
    CursorInHeader,
    LastItemCursor,
    LinkHeader,
    NextUrlInBody,
    NoPagination,
    OffsetLimit,
    Page,
    PageNumber,
    PageRequest,
    Paginator,
    iterate_items,
    iterate_pages,
)
from ._ratelimit import InMemoryRateLimitBackend, Permit, RateLimitBackend, RateLimiter
from ._redact import redact
from .models import UNSET, Deviation, Model, Unset, deviations
from .resources import AsyncPager, RawResponse, SyncPager

__all__ = [
    "ENTRY_POINT_GROUP",
    "UNSET",
    "ApiKeyAuth",
    "ApiKeyLocation",
    "AsyncPager",
    "AuthScheme",
    "AuthenticationError",
    "AuthenticationType",
    "BaseAuthenticationService",
    "BaseConnectorService",
    "BaseDataService",
    "BaseErrorHandlingService",
    "BasicAuth",
    "BearerAuth",
    "ConfigurationError",
    "ConflictError",
    "ConnectorBuilder",
    "ConnectorConfig",
    "ConnectorError",
    "ConnectorInfo",
    "ConnectorManager",
    "ConnectorOptions",
    "ConnectorRegistration",
    "ConnectorType",
    "CursorInBody",
    "CursorInHeader",
    "DecodeError",
    "Deviation",
    "IAuthenticationService",
    "IConnectorFactory",
    "IConnectorService",
    "IDataService",
    "IErrorHandlingService",
    "IMonitoringService",
    "InMemoryRateLimitBackend",
    "LastItemCursor",
    "LinkHeader",
    "Model",
    "MonitoringService",
    "NextUrlInBody",
    "NoPagination",
    "NotFoundError",
    "OAuth2Auth",
    "OAuth2Token",
    "OffsetLimit",
    "OperationInfo",
    "Page",
    "PageNumber",
    "PageRequest",
    "PaginationError",
    "Paginator",
    "ParameterInfo",
    "PermissionDeniedError",
    "Permit",
    "RateLimitBackend",
    "RateLimitError",
    "RateLimiter",
    "RateLimits",
    "RawResponse",
    "RequestOptions",
    "Resource",
    "RetryPolicy",
    "ServerError",
    "SyncPager",
    "TokenStore",
    "TransportError",
    "UniversalConnectorFactory",
    "Unset",
    "ValidationError",
    "deviations",
    "error_for_response",
    "iterate_items",
    "iterate_pages",
    "redact",
]
