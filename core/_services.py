"""The seed's service interfaces and their base implementations.

The interfaces are kept because the seed promised them and tests fake them; behind them
the work is done by small parts: `httpx.Auth` schemes, the transport pipeline, paginators.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import httpx

from ._auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    OAuth2Auth,
    OAuth2Token,
    TokenStore,
)
from ._codec import json_body, path_segment
from ._config import AuthenticationType, ConnectorConfig, ConnectorType
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectorError,
    NotFoundError,
    PermissionDeniedError,
    error_for_exception,
    error_for_response,
)
from ._monitoring import MonitoringService
from ._pagination import NoPagination, Page, PageRequest, Paginator, get_path, iterate_pages
from ._ratelimit import RateLimiter
from ._redact import get_logger, redact, register_secrets, unregister_secrets

if TYPE_CHECKING:
    from ._http import ConnectorHttpClient

Credentials = Mapping[str, Any]


# -- interfaces (the seed's public names) ---------------------------------------------


class IAuthenticationService(ABC):
    @abstractmethod
    async def authenticate(self, credentials: Credentials) -> bool: ...

    @abstractmethod
    async def refresh_token(self, refresh_token: str) -> dict[str, Any]: ...


class IDataService(ABC):
    @abstractmethod
    async def list_items(self, path: str = "/", **params: Any) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def get_item_metadata(self, item_id: str, **params: Any) -> dict[str, Any] | None: ...


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
        self, connector_type: ConnectorType, config: ConnectorConfig | None = None
    ) -> IConnectorService: ...


IMonitoringService.register(MonitoringService)


# -- authentication -------------------------------------------------------------------

# Credential keys whose values identify rather than authenticate.
_NOT_SECRET = frozenset({"client_id", "username", "email", "user", "expires_at", "expires_in"})


class BaseAuthenticationService(IAuthenticationService):
    """Turns a connector's credentials into an `httpx.Auth`, validating them first.

    Subclasses (generated ones included) usually change nothing; a vendor with an unusual
    scheme overrides `build_auth`.
    """

    def __init__(
        self,
        logger: logging.Logger | None,
        config: ConnectorConfig,
        *,
        token_store: TokenStore | None = None,
    ) -> None:
        self.logger = logger or get_logger(config.slug)
        self.config = config
        self.token_store = token_store
        self.auth: httpx.Auth | None = None
        self.http: ConnectorHttpClient | None = None
        self._secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        state = "authenticated" if self.auth is not None else "not authenticated"
        return f"{type(self).__name__}({self.config.slug!r}, {state})"

    def validate_credentials(self, credentials: Credentials) -> dict[str, str]:
        """Check the keys and value types; raise `ConfigurationError` naming the field."""
        if not isinstance(credentials, Mapping):
            raise ConfigurationError(
                f"{self.config.slug}: credentials must be a mapping, got "
                f"{type(credentials).__name__}"
            )
        accepted = self.config.credential_fields
        values: dict[str, str] = {}
        for key, value in credentials.items():
            if key not in accepted:
                raise ConfigurationError(
                    f"{self.config.slug}: unknown credential field {key!r}; "
                    f"accepted: {', '.join(accepted) or 'none'}"
                )
            if value is None:
                continue
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ConfigurationError(
                    f"{self.config.slug}: credential field {key!r} must be a string"
                )
            values[key] = str(value)
        for key in self.required_fields(values):
            if not values.get(key):
                raise ConfigurationError(f"{self.config.slug}: missing credential field {key!r}")
        return values

    def required_fields(self, values: Mapping[str, str]) -> tuple[str, ...]:
        fields = self.config.credential_fields
        kind = self.config.authentication_type
        if kind in (AuthenticationType.API_KEY, AuthenticationType.BEARER_TOKEN):
            return fields[:1]
        if kind is AuthenticationType.BASIC:
            return fields[:2]
        if kind is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS:
            return ("client_id", "client_secret")
        if kind is AuthenticationType.OAUTH2:
            if values.get("refresh_token"):
                return ("refresh_token", "client_id")
            return ("access_token",)
        return ()

    def build_auth(self, values: Mapping[str, str]) -> httpx.Auth | None:
        config = self.config
        fields = config.credential_fields
        kind = config.authentication_type
        if kind is AuthenticationType.NONE:
            return None
        if kind is AuthenticationType.API_KEY:
            return ApiKeyAuth(
                values[fields[0]],
                name=config.api_key_name,
                location=config.api_key_location,
                prefix=config.api_key_prefix,
            )
        if kind is AuthenticationType.BEARER_TOKEN:
            return BearerAuth(values[fields[0]])
        if kind is AuthenticationType.BASIC:
            return BasicAuth(values[fields[0]], values[fields[1]])
        if (
            kind is AuthenticationType.OAUTH2
            and values.get("refresh_token")
            and not config.token_url
        ):
            raise ConfigurationError(f"{config.slug}: token_url is needed to use a refresh_token")
        expires_at = values.get("expires_at")
        token = OAuth2Token(
            access_token=values.get("access_token"),
            refresh_token=values.get("refresh_token"),
            expires_at=float(expires_at) if expires_at else None,
        )
        return OAuth2Auth(
            token_url=config.token_url,
            client_id=values.get("client_id"),
            client_secret=values.get("client_secret"),
            token=token,
            grant="client_credentials"
            if kind is AuthenticationType.OAUTH2_CLIENT_CREDENTIALS
            else "refresh_token",
            scopes=config.scopes,
            token_store=self.token_store,
        )

    async def authenticate(self, credentials: Credentials) -> bool:
        """Validate `credentials` and prepare the auth scheme. Makes no request."""
        values = self.validate_credentials(credentials)
        self.forget()
        self._secrets = tuple(v for k, v in values.items() if k not in _NOT_SECRET)
        register_secrets(self._secrets)
        self.auth = self.build_auth(values)
        if self.http is not None:
            self.http.set_auth(self.auth)
        return True

    async def refresh_token(self, refresh_token: str) -> dict[str, Any]:
        """Exchange `refresh_token` for a new token now; returns the token response fields."""
        auth = self.auth
        if not isinstance(auth, OAuth2Auth) or self.http is None:
            raise AuthenticationError(f"{self.config.slug}: not an authenticated OAuth2 connector")
        auth.use_refresh_token(refresh_token)
        token = await auth.refresh(self.http.send_raw)
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_at": token.expires_at,
            "token_type": token.token_type,
            "scope": token.scope,
        }

    def get_auth_headers(self) -> dict[str, str]:
        """Headers the auth scheme would add to a request to the base URL."""
        if self.auth is None:
            return {}
        if isinstance(self.auth, OAuth2Auth):
            # Running its flow could start a token request; report the token held now.
            token = self.auth.token.access_token
            return {"authorization": f"Bearer {token}"} if token else {}
        request = httpx.Request("GET", self.config.base_url)
        flow = self.auth.sync_auth_flow(request)
        authed = next(flow)
        flow.close()
        return {k: v for k, v in authed.headers.items() if k.lower() != "host"}

    def forget(self) -> None:
        """Drop the credentials (on close)."""
        if isinstance(self.auth, OAuth2Auth):
            self.auth.forget()
        unregister_secrets(self._secrets)
        self._secrets = ()
        self.auth = None


# -- errors ---------------------------------------------------------------------------


class BaseErrorHandlingService(IErrorHandlingService):
    """Maps failures to typed `ConnectorError`s and logs them, redacted."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or get_logger("connectory.errors")

    def handle_api_error(self, error: Exception, context: Mapping[str, Any]) -> Exception:
        connector = context.get("connector")
        operation = context.get("operation")
        if isinstance(error, ConnectorError):
            mapped = error
        elif isinstance(error, httpx.HTTPStatusError):
            mapped = error_for_response(error.response, connector=connector, operation=operation)
        elif isinstance(error, httpx.TransportError):
            mapped = error_for_exception(error, connector=connector, operation=operation)
        else:
            mapped = ConnectorError(
                f"{type(error).__name__}: {error}", connector=connector, operation=operation
            )
        self.log_error(mapped, str(operation or "request"), context)
        return mapped

    def log_error(
        self, error: Exception, operation: str, context: Mapping[str, Any] | None = None
    ) -> None:
        extra = {
            "connector": (context or {}).get("connector"),
            "operation": operation,
            "error_type": type(error).__name__,
        }
        self.logger.warning(
            "%s failed: %s", operation, redact(str(error)), extra={"connectory": extra}
        )


# -- data -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Resource:
    """A listable kind of item: where its list and get operations are, how it pages."""

    name: str
    list_path: str
    get_path: str | None = None
    list_method: str = "GET"
    list_operation: str | None = None
    get_operation: str | None = None
    id_param: str = "id"
    id_field: str = "id"
    items_path: str | None = None
    item_path: str | None = None
    paginator: Paginator = attrs.field(factory=NoPagination)
    list_body: Mapping[str, Any] | None = None
    description: str | None = None


class BaseDataService(IDataService):
    """The seed's generic data access, bound to the connector's declared `RESOURCES`.

    ``list_items("/")`` lists the resources; ``list_items("/<resource>")`` lists that
    resource's items (all pages); `iter_items` streams them page by page.
    """

    RESOURCES: ClassVar[Sequence[Resource]] = ()

    def __init__(
        self,
        logger: logging.Logger | None,
        config: ConnectorConfig,
        auth_service: IAuthenticationService,
        http: ConnectorHttpClient,
    ) -> None:
        self.logger = logger or get_logger(config.slug)
        self.config = config
        self.auth_service = auth_service
        self.http = http
        self._resources = {resource.name: resource for resource in self.RESOURCES}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config.slug!r})"

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The connector's limiter, for hand-written methods (``acquire_permission``)."""
        return self.http.limiter

    @property
    def resources(self) -> Mapping[str, Resource]:
        return self._resources

    def resource(self, name: str) -> Resource:
        try:
            return self._resources[name]
        except KeyError:
            known = ", ".join(self._resources) or "none"
            raise ConfigurationError(
                f"{self.config.slug}: unknown resource {name!r}; known resources: {known}"
            ) from None

    def _resource_for_path(self, path: str) -> Resource:
        name = path.strip("/")
        if not name or "/" in name:
            raise ConfigurationError(
                f"{self.config.slug}: path must be '/' or '/<resource>', got {path!r}"
            )
        return self.resource(name)

    @staticmethod
    def _fill(template: str, params: dict[str, Any]) -> str:
        """Substitute ``{name}`` path parameters, taking them out of `params`."""
        if "{" not in template:
            return template
        path = template
        for key in list(params):
            token = "{" + key + "}"
            if token in path:
                path = path.replace(token, path_segment(params.pop(key)))
        if "{" in path:
            missing = path[path.index("{") + 1 : path.index("}")]
            raise ConfigurationError(f"missing path parameter {missing!r} for {template!r}")
        return path

    async def iter_pages(self, path: str, **params: Any) -> AsyncIterator[Page]:
        resource = self._resource_for_path(path)
        query = dict(params)
        url = self._fill(resource.list_path, query)
        body = dict(resource.list_body) if resource.list_body is not None else None
        request = PageRequest(method=resource.list_method, url=url, params=query, json=body)
        operation = resource.list_operation or f"list_{resource.name}"

        async def send(page: PageRequest) -> httpx.Response:
            return await self.http.send_page(page, operation=operation)

        async for page in iterate_pages(
            send,
            request,
            resource.paginator,
            base_url=self.http.base_url,
            items_path=resource.items_path,
        ):
            yield page

    async def iter_items(self, path: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a resource, fetched lazily page by page."""
        async for page in self.iter_pages(path, **params):
            for item in page.items:
                yield item

    async def list_items(self, path: str = "/", **params: Any) -> list[dict[str, Any]]:
        if path.strip("/") == "":
            return [
                {
                    "name": r.name,
                    "path": f"/{r.name}",
                    "list": f"{r.list_method} {r.list_path}",
                    "get": f"GET {r.get_path}" if r.get_path else None,
                    "description": r.description,
                }
                for r in self._resources.values()
            ]
        return [item async for item in self.iter_items(path, **params)]

    async def get_item_metadata(
        self, item_id: str, resource: str | None = None, **params: Any
    ) -> dict[str, Any] | None:
        """One item by id (``"/<resource>/<id>"`` also works); None if it does not exist."""
        if resource is None and item_id.startswith("/"):
            resource, _, item_id = item_id.lstrip("/").partition("/")
        if resource is None:
            with_get = [r for r in self._resources.values() if r.get_path]
            if not with_get:
                raise ConfigurationError(f"{self.config.slug}: no resource supports get")
            target = with_get[0]
        else:
            target = self.resource(resource)
        if target.get_path is None:
            raise ConfigurationError(
                f"{self.config.slug}: resource {target.name!r} has no get operation"
            )
        query = dict(params)
        query[target.id_param] = item_id
        url = self._fill(target.get_path, query)
        try:
            response = await self.http.request(
                "GET", url, params=query, operation=target.get_operation or f"get_{target.name}"
            )
        except NotFoundError:
            return None
        # An empty body (some specs allow one) reads as None, like the generated methods.
        item = get_path(json_body(response), target.item_path)
        return item if isinstance(item, dict) else {"value": item}

    # sync twins

    def list_items_sync(self, path: str = "/", **params: Any) -> list[dict[str, Any]]:
        return self.http.sync.run(self.list_items(path, **params))

    def get_item_metadata_sync(
        self, item_id: str, resource: str | None = None, **params: Any
    ) -> dict[str, Any] | None:
        return self.http.sync.run(self.get_item_metadata(item_id, resource, **params))

    def iter_items_sync(self, path: str, **params: Any) -> Any:
        return self.http.sync.iterate(self.iter_items(path, **params))


# -- connector ------------------------------------------------------------------------


class BaseConnectorService(IConnectorService):
    """A connector: config plus its auth, data, error and monitoring services."""

    auth_service: BaseAuthenticationService
    data_service: BaseDataService

    def __init__(
        self,
        logger: logging.Logger | None,
        connector_type: ConnectorType,
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
        self.connected = False

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"{type(self).__name__}({self.config.slug!r}, {state})"

    async def connect(self, credentials: Credentials) -> bool:
        """Authenticate and test the connection.

        Returns True when connected and False when the service answered but is not
        usable (e.g. it failed); raises `AuthenticationError` / `PermissionDeniedError`
        at once when the vendor rejects the credentials, and `ConfigurationError` for
        malformed credentials.
        """
        await self.auth_service.authenticate(credentials)
        self.connected = await self.test_connection()
        self.monitoring_service.connected = self.connected
        self.monitoring_service.record_event(
            "connector_connected" if self.connected else "connector_connect_failed",
            {"connector_type": self.connector_type.value},
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

    async def close(self) -> None:
        await self.http.aclose()
        self.auth_service.forget()
        if self.connected:
            self.monitoring_service.record_event(
                "connector_closed", {"connector_type": self.connector_type.value}
            )
        self.connected = self.monitoring_service.connected = False

    async def __aenter__(self) -> BaseConnectorService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # sync twins, for code without an event loop

    def connect_sync(self, credentials: Credentials) -> bool:
        return self.http.sync.run(self.connect(credentials))

    def test_connection_sync(self) -> bool:
        return self.http.sync.run(self.test_connection())

    def close_sync(self) -> None:
        if self.http.sync.started:
            self.http.sync.run(self.close())
        self.http.sync.close()
        self.auth_service.forget()

    def __enter__(self) -> BaseConnectorService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_sync()
