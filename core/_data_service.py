"""The seed's data service: generic list and get over a connector's declared resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import attrs

from ._config import ConnectorConfig
from ._errors import ConfigurationError, NotFoundError
from ._http import ConnectorHttpClient
from ._interfaces import IAuthenticationService, IDataService
from ._pagination import NoPagination, Page, PageRequest, Paginator, get_path
from ._ratelimit import RateLimiter
from ._redact import get_logger
from .models import decode_with_deviations
from .resources import AsyncPager, encode_query, parse_json, path_value


@attrs.frozen(kw_only=True)
class Resource:
    """A listable kind of item: where its list and get operations are, how it pages, and
    (for generated connectors) the model its items decode into."""

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
    item: Callable[[], Any] | None = None  # the item model, looked up on first use


_CONTROL = ("max_pages", "max_items", "raw")


class BaseDataService(IDataService):
    """The seed's generic data access, bound to the connector's declared `RESOURCES`.

    ``list_items("/")`` lists the resources; ``list_items("/<resource>")`` lists that
    resource's items (all pages); `iter_items` streams them page by page. Items decode into
    the resource's model when it has one; ``raw=True`` gives the JSON objects the seed
    promised. ``max_pages`` and ``max_items`` bound a walk; every other keyword is a
    parameter of the list operation (path parameters fill its path).
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
                path = path.replace(token, path_value(key, params.pop(key)))
        if "{" in path:
            missing = path[path.index("{") + 1 : path.index("}")]
            raise ConfigurationError(f"missing path parameter {missing!r} for {template!r}")
        return path

    def pager(
        self,
        path: str,
        *,
        max_pages: int | None = None,
        max_items: int | None = None,
        raw: bool = False,
        **params: Any,
    ) -> AsyncPager[Any]:
        """The listing of a resource as a pager (items typed unless ``raw``)."""
        resource = self._resource_for_path(path)
        query = dict(params)
        url = self._fill(resource.list_path, query)
        grouped: dict[str, Any] = {}
        for key, value in encode_query(query):
            grouped.setdefault(key, []).append(value)
        request = PageRequest(
            method=resource.list_method,
            url=url,
            params={k: v[0] if len(v) == 1 else v for k, v in grouped.items()},
            json=dict(resource.list_body) if resource.list_body is not None else None,
        )
        item = resource.item() if resource.item is not None and not raw else Any
        return AsyncPager(
            self.http,
            request,
            item=item,
            paginator=resource.paginator,
            items_path=resource.items_path,
            strict=self.config.strict_decoding,
            max_pages=max_pages,
            max_items=max_items,
            operation=resource.list_operation or f"list_{resource.name}",
        )

    async def iter_pages(self, path: str, **params: Any) -> AsyncIterator[Page[Any]]:
        async for page in self.pager(path, **params).pages():
            yield page

    async def iter_items(self, path: str, **params: Any) -> AsyncIterator[Any]:
        """Every item of a resource, fetched lazily page by page."""
        async for item in self.pager(path, **params):
            yield item

    def describe_resources(self) -> list[dict[str, Any]]:
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

    async def list_items(self, path: str = "/", **params: Any) -> list[Any]:
        if path.strip("/") == "":
            return self.describe_resources()
        return await self.pager(path, **params).to_list()

    async def get_item_metadata(
        self, item_id: str, resource: str | None = None, *, raw: bool = False, **params: Any
    ) -> Any | None:
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
                "GET",
                url,
                params=encode_query(query) or None,
                operation=target.get_operation or f"get_{target.name}",
            )
        except NotFoundError:
            return None
        item = get_path(parse_json(response.content), target.item_path)
        if target.item is not None and not raw and isinstance(item, dict):
            decoded, _ = decode_with_deviations(
                target.item(), item, strict=self.config.strict_decoding
            )
            return decoded
        # An empty body (some specs allow one) reads as None.
        return item if isinstance(item, dict) or item is None else {"value": item}

    # sync twins

    def list_items_sync(self, path: str = "/", **params: Any) -> list[Any]:
        return self.http.sync.run(self.list_items(path, **params))

    def get_item_metadata_sync(
        self, item_id: str, resource: str | None = None, **params: Any
    ) -> Any | None:
        return self.http.sync.run(self.get_item_metadata(item_id, resource, **params))

    def iter_items_sync(self, path: str, **params: Any) -> Iterator[Any]:
        return self.http.sync.iterate(self.iter_items(path, **params))
