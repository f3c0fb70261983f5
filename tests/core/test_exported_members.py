"""The public names of connectory.core, pinned: adding or removing one is a visible change."""

from __future__ import annotations

import connectory.core

EXPECTED = {
    # auth
    "ApiKeyAuth",
    "ApiKeyLocation",
    "AuthScheme",
    "AuthenticationType",
    "BaseAuthenticationService",
    "BasicAuth",
    "BearerAuth",
    "OAuth2Auth",
    "OAuth2Token",
    "TokenStore",
    # the connector and its services
    "BaseConnectorService",
    "BaseDataService",
    "BaseErrorHandlingService",
    "ConnectorConfig",
    "ConnectorInfo",
    "ConnectorOptions",
    "ConnectorType",
    "MonitoringService",
    "OperationInfo",
    "ParameterInfo",
    "RequestOptions",
    "Resource",
    "RetryPolicy",
    # factory
    "ENTRY_POINT_GROUP",
    "ConnectorBuilder",
    "ConnectorManager",
    "ConnectorRegistration",
    "UniversalConnectorFactory",
    # the seed's interfaces
    "IAuthenticationService",
    "IConnectorFactory",
    "IConnectorService",
    "IDataService",
    "IErrorHandlingService",
    "IMonitoringService",
    # errors
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConnectorError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "error_for_response",
    "redact",
    # pagination
    "AsyncPager",
    "CursorInBody",
    "CursorInHeader",
    "LastItemCursor",
    "LinkHeader",
    "NextUrlInBody",
    "NoPagination",
    "OffsetLimit",
    "Page",
    "PageNumber",
    "PageRequest",
    "Paginator",
    "SyncPager",
    "iterate_items",
    "iterate_pages",
    # rate limits
    "InMemoryRateLimitBackend",
    "Permit",
    "RateLimitBackend",
    "RateLimiter",
    "RateLimits",
    # models and raw responses
    "UNSET",
    "Deviation",
    "Model",
    "RawResponse",
    "Unset",
    "deviations",
    # batch reads and incremental sync
    "BatchEndpoint",
    "BatchResult",
    "ChangePage",
    "Changes",
    "Checkpoint",
    "FileCheckpointStore",
    "IncrementalCursor",
    "IncrementalSync",
}


def test_the_public_names_are_exactly_these() -> None:
    assert set(connectory.core.__all__) == EXPECTED
    assert len(connectory.core.__all__) == len(EXPECTED)  # no name listed twice


def test_every_public_name_exists() -> None:
    for name in connectory.core.__all__:
        assert hasattr(connectory.core, name), name
