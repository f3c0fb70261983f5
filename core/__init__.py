"""connectory's hand-written runtime: the seed's public names over httpx's extension points.

What users touch is exported here (a test pins the list); the modules behind it are
private. Public submodules: ``connectory.core.models`` (models and decoding) and
``connectory.core.resources`` (typed operations and pagers), which generated connectors
are made of, ``connectory.core.state`` (limits, tokens and checkpoints shared across
processes: in memory, in a file, in Redis), ``connectory.core.testing`` (the switch that
turns off all waiting) and ``connectory.core.webhooks`` (verifying signed webhook
deliveries).

Names are imported on first use (a connector that needs few of them loads few
modules); type checkers see them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._auth import ApiKeyAuth as ApiKeyAuth
    from ._auth import BasicAuth as BasicAuth
    from ._auth import BearerAuth as BearerAuth
    from ._auth import OAuth2Auth as OAuth2Auth
    from ._auth import OAuth2Token as OAuth2Token
    from ._auth import TokenStore as TokenStore
    from ._auth_service import BaseAuthenticationService as BaseAuthenticationService
    from ._batch import BatchEndpoint as BatchEndpoint
    from ._batch import BatchResult as BatchResult
    from ._config import ApiKeyLocation as ApiKeyLocation
    from ._config import AuthenticationType as AuthenticationType
    from ._config import AuthScheme as AuthScheme
    from ._config import ConnectorConfig as ConnectorConfig
    from ._config import RateLimits as RateLimits
    from ._config import RetryPolicy as RetryPolicy
    from ._connector import BaseConnectorService as BaseConnectorService
    from ._connector import ConnectorOptions as ConnectorOptions
    from ._connector_types import ConnectorType as ConnectorType
    from ._data_service import BaseDataService as BaseDataService
    from ._data_service import Resource as Resource
    from ._error_service import BaseErrorHandlingService as BaseErrorHandlingService
    from ._errors import AuthenticationError as AuthenticationError
    from ._errors import ConfigurationError as ConfigurationError
    from ._errors import ConflictError as ConflictError
    from ._errors import ConnectorError as ConnectorError
    from ._errors import DecodeError as DecodeError
    from ._errors import NotFoundError as NotFoundError
    from ._errors import PaginationError as PaginationError
    from ._errors import PermissionDeniedError as PermissionDeniedError
    from ._errors import RateLimitError as RateLimitError
    from ._errors import ServerError as ServerError
    from ._errors import TransportError as TransportError
    from ._errors import ValidationError as ValidationError
    from ._errors import error_for_response as error_for_response
    from ._factory import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
    from ._factory import ConnectorBuilder as ConnectorBuilder
    from ._factory import ConnectorManager as ConnectorManager
    from ._factory import ConnectorRegistration as ConnectorRegistration
    from ._factory import UniversalConnectorFactory as UniversalConnectorFactory
    from ._filestate import FileCheckpointStore as FileCheckpointStore
    from ._http import RequestOptions as RequestOptions
    from ._incremental import ChangePage as ChangePage
    from ._incremental import Changes as Changes
    from ._incremental import Checkpoint as Checkpoint
    from ._incremental import IncrementalCursor as IncrementalCursor
    from ._incremental import IncrementalSync as IncrementalSync
    from ._interfaces import IAuthenticationService as IAuthenticationService
    from ._interfaces import IConnectorFactory as IConnectorFactory
    from ._interfaces import IConnectorService as IConnectorService
    from ._interfaces import IDataService as IDataService
    from ._interfaces import IErrorHandlingService as IErrorHandlingService
    from ._interfaces import IMonitoringService as IMonitoringService
    from ._monitoring import MonitoringService as MonitoringService
    from ._operations import ConnectorInfo as ConnectorInfo
    from ._operations import OperationInfo as OperationInfo
    from ._operations import ParameterInfo as ParameterInfo
    from ._pagination import CursorInBody as CursorInBody
    from ._pagination import CursorInHeader as CursorInHeader
    from ._pagination import LastItemCursor as LastItemCursor
    from ._pagination import LinkHeader as LinkHeader
    from ._pagination import NextUrlInBody as NextUrlInBody
    from ._pagination import NoPagination as NoPagination
    from ._pagination import OffsetLimit as OffsetLimit
    from ._pagination import Page as Page
    from ._pagination import PageNumber as PageNumber
    from ._pagination import PageRequest as PageRequest
    from ._pagination import Paginator as Paginator
    from ._pagination import iterate_items as iterate_items
    from ._pagination import iterate_pages as iterate_pages
    from ._ratelimit import InMemoryRateLimitBackend as InMemoryRateLimitBackend
    from ._ratelimit import Permit as Permit
    from ._ratelimit import RateLimitBackend as RateLimitBackend
    from ._ratelimit import RateLimiter as RateLimiter
    from ._redact import redact as redact
    from .models import UNSET as UNSET
    from .models import Deviation as Deviation
    from .models import Model as Model
    from .models import Unset as Unset
    from .models import deviations as deviations
    from .resources import AsyncPager as AsyncPager
    from .resources import RawResponse as RawResponse
    from .resources import SyncPager as SyncPager

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "ApiKeyAuth": "._auth",
    "BasicAuth": "._auth",
    "BearerAuth": "._auth",
    "OAuth2Auth": "._auth",
    "OAuth2Token": "._auth",
    "TokenStore": "._auth",
    "BaseAuthenticationService": "._auth_service",
    "BatchEndpoint": "._batch",
    "BatchResult": "._batch",
    "ApiKeyLocation": "._config",
    "AuthScheme": "._config",
    "AuthenticationType": "._config",
    "ConnectorConfig": "._config",
    "RateLimits": "._config",
    "RetryPolicy": "._config",
    "BaseConnectorService": "._connector",
    "ConnectorOptions": "._connector",
    "ConnectorType": "._connector_types",
    "BaseDataService": "._data_service",
    "Resource": "._data_service",
    "BaseErrorHandlingService": "._error_service",
    "AuthenticationError": "._errors",
    "ConfigurationError": "._errors",
    "ConflictError": "._errors",
    "ConnectorError": "._errors",
    "DecodeError": "._errors",
    "NotFoundError": "._errors",
    "PaginationError": "._errors",
    "PermissionDeniedError": "._errors",
    "RateLimitError": "._errors",
    "ServerError": "._errors",
    "TransportError": "._errors",
    "ValidationError": "._errors",
    "error_for_response": "._errors",
    "ConnectorBuilder": "._factory",
    "ConnectorManager": "._factory",
    "ConnectorRegistration": "._factory",
    "ENTRY_POINT_GROUP": "._factory",
    "UniversalConnectorFactory": "._factory",
    "FileCheckpointStore": "._filestate",
    "RequestOptions": "._http",
    "ChangePage": "._incremental",
    "Changes": "._incremental",
    "Checkpoint": "._incremental",
    "IncrementalCursor": "._incremental",
    "IncrementalSync": "._incremental",
    "IAuthenticationService": "._interfaces",
    "IConnectorFactory": "._interfaces",
    "IConnectorService": "._interfaces",
    "IDataService": "._interfaces",
    "IErrorHandlingService": "._interfaces",
    "IMonitoringService": "._interfaces",
    "MonitoringService": "._monitoring",
    "ConnectorInfo": "._operations",
    "OperationInfo": "._operations",
    "ParameterInfo": "._operations",
    "CursorInBody": "._pagination",
    "CursorInHeader": "._pagination",
    "LastItemCursor": "._pagination",
    "LinkHeader": "._pagination",
    "NextUrlInBody": "._pagination",
    "NoPagination": "._pagination",
    "OffsetLimit": "._pagination",
    "Page": "._pagination",
    "PageNumber": "._pagination",
    "PageRequest": "._pagination",
    "Paginator": "._pagination",
    "iterate_items": "._pagination",
    "iterate_pages": "._pagination",
    "InMemoryRateLimitBackend": "._ratelimit",
    "Permit": "._ratelimit",
    "RateLimitBackend": "._ratelimit",
    "RateLimiter": "._ratelimit",
    "redact": "._redact",
    "Deviation": ".models",
    "Model": ".models",
    "UNSET": ".models",
    "Unset": ".models",
    "deviations": ".models",
    "AsyncPager": ".resources",
    "RawResponse": ".resources",
    "SyncPager": ".resources",
}

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
    "BatchEndpoint",
    "BatchResult",
    "BearerAuth",
    "ChangePage",
    "Changes",
    "Checkpoint",
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
    "FileCheckpointStore",
    "IAuthenticationService",
    "IConnectorFactory",
    "IConnectorService",
    "IDataService",
    "IErrorHandlingService",
    "IMonitoringService",
    "InMemoryRateLimitBackend",
    "IncrementalCursor",
    "IncrementalSync",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
