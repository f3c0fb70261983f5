"""connectory's hand-written runtime: the seed's public names over httpx's extension points.

Everything a connector needs at run time is exported here; the modules behind it are
private. ``connectory.core.testing`` holds the switch that turns off all waiting.
"""

from ._auth import ApiKeyAuth, BasicAuth, BearerAuth, OAuth2Auth, OAuth2Token, TokenStore
from ._codec import UNSET, DecodeError, Unset
from ._config import (
    ApiKeyLocation,
    AuthenticationType,
    ConnectorConfig,
    ConnectorType,
    RateLimits,
    RetryPolicy,
)
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConnectorError,
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
from ._http import ConnectorHttpClient
from ._monitoring import MonitoringService
from ._operations import OperationInfo, ParameterInfo
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
from ._ratelimit import InMemoryRateLimitBackend, RateLimitBackend, RateLimiter
from ._redact import redact
from ._services import (
    BaseAuthenticationService,
    BaseConnectorService,
    BaseDataService,
    BaseErrorHandlingService,
    IAuthenticationService,
    IConnectorFactory,
    IConnectorService,
    IDataService,
    IErrorHandlingService,
    IMonitoringService,
    Resource,
)
from ._transport import ConnectorTransport

__all__ = [
    "ENTRY_POINT_GROUP",
    "ApiKeyAuth",
    "ApiKeyLocation",
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
    "ConnectorHttpClient",
    "ConnectorManager",
    "ConnectorRegistration",
    "ConnectorTransport",
    "DecodeError",
    "OperationInfo",
    "ParameterInfo",
    "UNSET",
    "Unset",
    "ConnectorType",
    "CursorInBody",
    "CursorInHeader",
    "IAuthenticationService",
    "IConnectorFactory",
    "IConnectorService",
    "IDataService",
    "IErrorHandlingService",
    "IMonitoringService",
    "InMemoryRateLimitBackend",
    "LastItemCursor",
    "LinkHeader",
    "MonitoringService",
    "NextUrlInBody",
    "NoPagination",
    "NotFoundError",
    "OAuth2Auth",
    "OAuth2Token",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "PaginationError",
    "Paginator",
    "PermissionDeniedError",
    "RateLimitBackend",
    "RateLimitError",
    "RateLimiter",
    "RateLimits",
    "Resource",
    "RetryPolicy",
    "ServerError",
    "TokenStore",
    "TransportError",
    "UniversalConnectorFactory",
    "ValidationError",
    "error_for_response",
    "iterate_items",
    "iterate_pages",
    "redact",
]
