"""The seed's data service: generic list and get over a connector's declared resources."""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from . import _batch
from ._batch import DEFAULT_BATCH_CONCURRENCY, BatchEndpoint, BatchResult
from ._config import ConnectorConfig
from ._errors import ConfigurationError, ConnectorError, DecodeError, NotFoundError
from ._http import ConnectorHttpClient
from ._incremental import (
    Changes,
    Checkpoint,
    Cursor,
    IncrementalCursor,
    IncrementalSync,
    starting_checkpoint,
)
from ._interfaces import IAuthenticationService, IDataService
from ._pagination import NoPagination, Page, PageRequest, Paginator, get_path
from ._ratelimit import RateLimiter
from ._redact import get_logger
from .models import decode_with_deviations, encode
from .resources import AsyncPager, encode_query, header_value, parse_json, path_value

if TYPE_CHECKING:
    from .state import CheckpointStore


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
    # keyword -> header name of the header parameters the list and get operations take
    # (a tenant or API-version id): list_items / get_item_metadata send them as headers
    list_headers: Mapping[str, str] = attrs.field(factory=dict)
    get_headers: Mapping[str, str] = attrs.field(factory=dict)
    # a listing that takes a JSON body (a POST search): keywords other than its path,
    # header and `list_query` parameters are fields of that body, over `list_body`
    list_in_body: bool = False
    list_query: frozenset[str] = frozenset()
    description: str | None = None
    item: Callable[[], Any] | None = None  # the item model, looked up on first use
    batch: BatchEndpoint | None = None  # the vendor's own batch read, if it has one
    incremental: IncrementalCursor | None = None  # how to list only what changed


_CONTROL = ("max_pages", "max_items", "raw")


class BaseDataService(IDataService):
    """The seed's generic data access, bound to the connector's declared `RESOURCES`.

    ``list_items("/")`` lists the resources; ``list_items("/<resource>")`` lists that
    resource's items (all pages); `iter_items` streams them page by page. Items decode into
    the resource's model when it has one; ``raw=True`` gives the JSON objects the seed
    promised. ``max_pages`` and ``max_items`` bound a walk; every other keyword is a
    parameter of the list operation (path parameters fill its path).

    `batch_get_metadata` fetches many items by id (see ``connectory.core._batch``);
    `changes` and `sync` list what changed since a checkpoint, for resources that declare
    an `IncrementalCursor` (see ``connectory.core._incremental``).
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
        /,
        *,
        max_pages: int | None = None,
        max_items: int | None = None,
        raw: bool = False,
        **params: Any,
    ) -> AsyncPager[Any]:
        """The listing of a resource as a pager (items typed unless ``raw``)."""
        resource = self._resource_for_path(path)
        request = self._list_request(resource, params)
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

    @staticmethod
    def _headers(declared: Mapping[str, str], params: dict[str, Any]) -> dict[str, str]:
        """Take the operation's header parameters out of `params` (by keyword, or by the
        header's own name), as the headers to send; None and UNSET values are left out."""
        if not declared:
            return {}
        by_key = {**declared, **{name: name for name in declared.values()}}
        headers: dict[str, str] = {}
        for key in [key for key in params if key in by_key]:
            text = header_value(params.pop(key))
            if text is not None:
                headers[by_key[key]] = text
        return headers

    def _list_request(self, resource: Resource, params: Mapping[str, Any]) -> PageRequest:
        query = dict(params)
        headers = self._headers(resource.list_headers, query)
        url = self._fill(resource.list_path, query)
        body = dict(resource.list_body) if resource.list_body is not None else None
        if resource.list_in_body:  # always a JSON body, {} at least
            fields = {k: query.pop(k) for k in list(query) if k not in resource.list_query}
            body = {**(body or {}), **encode(fields)}
        grouped: dict[str, Any] = {}
        for key, value in encode_query(query):
            grouped.setdefault(key, []).append(value)
        return PageRequest(
            method=resource.list_method,
            url=url,
            params={k: v[0] if len(v) == 1 else v for k, v in grouped.items()},
            json=body,
            headers=headers,
        )

    async def iter_pages(self, path: str, **params: Any) -> AsyncIterator[Page[Any]]:
        async for page in self.pager(path, **params).pages():
            yield page

    def iter_items(self, path: str, /, **params: Any) -> AsyncIterator[Any]:
        """Every item of a resource, fetched lazily page by page.

        With ``since=`` (a `Checkpoint`, a cursor value, or None for everything), only the
        items changed since, as `changes` lists them; the result is then a `Changes`,
        whose ``checkpoint`` is where the next listing starts.
        """
        if "since" in params:
            return self.changes(path, **params)
        return aiter(self.pager(path, **params))

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

    async def list_items(self, path: str = "/", /, **params: Any) -> list[Any]:
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
        try:
            return await self._get_one(target, item_id, params, raw=raw)
        except NotFoundError:
            return None

    async def _get_one(
        self, target: Resource, item_id: str, params: Mapping[str, Any], *, raw: bool
    ) -> Any | None:
        """One item by the resource's get operation; raises `NotFoundError` for none."""
        assert target.get_path is not None
        query = dict(params)
        headers = self._headers(target.get_headers, query)
        query[target.id_param] = item_id
        url = self._fill(target.get_path, query)
        response = await self.http.request(
            "GET",
            url,
            params=encode_query(query) or None,
            headers=headers or None,
            operation=target.get_operation or f"get_{target.name}",
        )
        item = get_path(parse_json(response.content), target.item_path)
        if target.item is not None and not raw and isinstance(item, dict):
            decoded, _ = decode_with_deviations(
                target.item(), item, strict=self.config.strict_decoding
            )
            return decoded
        # An empty body (some specs allow one) reads as None.
        return item if isinstance(item, dict) or item is None else {"value": item}

    # -- many items by id

    def _batch_target(self, resource: str | None) -> Resource:
        if resource is not None:
            target = self.resource(resource.strip("/"))
            if target.get_path is None and target.batch is None:
                raise ConfigurationError(
                    f"{self.config.slug}: resource {target.name!r} has no get operation "
                    "and no batch endpoint"
                )
            return target
        for candidate in self._resources.values():
            if candidate.get_path or candidate.batch:
                return candidate
        raise ConfigurationError(f"{self.config.slug}: no resource supports get or a batch read")

    async def batch_get_metadata(
        self,
        item_ids: Iterable[str],
        resource: str | None = None,
        *,
        concurrency: int = DEFAULT_BATCH_CONCURRENCY,
        use_batch_endpoint: bool = True,
        raw: bool = False,
        **params: Any,
    ) -> list[BatchResult[Any]]:
        """Many items of one resource by id: one `BatchResult` per id, in input order.

        Each id's failure (`NotFoundError`, `ServerError` after retries, ...) is in its
        result, never raised for the lot. At most `concurrency` requests are under way at
        once, each through the connector's auth, rate limiter, retries and metrics. A
        resource with a vendor batch endpoint uses it, chunked to its maximum size, unless
        ``use_batch_endpoint=False``; `params` then go to the endpoint's body (or query),
        else to each get request. Repeated ids are fetched once. After an
        `AuthenticationError`, the ids not yet sent fail with it unsent.
        """
        _batch.check_concurrency(concurrency)
        ids = _batch.check_ids(item_ids)
        target = self._batch_target(resource)
        distinct = list(dict.fromkeys(ids))
        outcomes = _batch.Outcomes()
        if target.batch is not None and (use_batch_endpoint or target.get_path is None):
            await self._batch_via_endpoint(
                target, target.batch, distinct, params, raw, outcomes, concurrency
            )
        else:
            await self._batch_via_gets(target, distinct, params, raw, outcomes, concurrency)
        return outcomes.in_order(ids)

    async def _batch_via_gets(
        self,
        target: Resource,
        ids: Sequence[str],
        params: Mapping[str, Any],
        raw: bool,
        outcomes: _batch.Outcomes,
        concurrency: int,
    ) -> None:
        assert target.get_path is not None
        self._fill(target.get_path, {**params, target.id_param: "-"})  # bad input: raise now
        operation = target.get_operation or f"get_{target.name}"

        async def fetch(item_id: str) -> None:
            if outcomes.fatal is not None:
                outcomes.failed(item_id, outcomes.fatal)
                return
            try:
                item = await self._get_one(target, item_id, params, raw=raw)
            except ConnectorError as exc:
                outcomes.failed(item_id, exc)
                return
            if item is None:
                outcomes.failed(
                    item_id,
                    DecodeError(
                        f"{item_id!r}: the answer has no item",
                        connector=self.config.slug,
                        operation=operation,
                    ),
                )
            else:
                outcomes.succeeded(item_id, item)

        await _batch.run_bounded(ids, fetch, concurrency)

    async def _batch_via_endpoint(
        self,
        target: Resource,
        endpoint: BatchEndpoint,
        ids: Sequence[str],
        params: Mapping[str, Any],
        raw: bool,
        outcomes: _batch.Outcomes,
        concurrency: int,
    ) -> None:
        extra = dict(params)
        url = self._fill(endpoint.path, extra)
        operation = endpoint.operation or f"batch_{target.name}"
        model = target.item() if target.item is not None and not raw else None
        slug = self.config.slug

        async def read(chunk: Sequence[str]) -> None:
            if outcomes.fatal is not None:
                for item_id in chunk:
                    outcomes.failed(item_id, outcomes.fatal)
                return
            sent = [
                item_id if endpoint.id_key is None else {endpoint.id_key: item_id}
                for item_id in chunk
            ]
            body: dict[str, Any] | None = None
            query: list[tuple[str, str]] = []
            if endpoint.location == "query":
                query = [(endpoint.ids_param, ",".join(chunk)), *encode_query(extra)]
                body = dict(endpoint.body) if endpoint.body else None
            else:
                body = {**(endpoint.body or {}), **extra, endpoint.ids_param: sent}
            try:
                response = await self.http.request(
                    endpoint.method,
                    url,
                    params=query or None,
                    json=body,
                    operation=operation,
                    safe=True,  # a read, whatever its method: retried like a GET
                )
                data = parse_json(response.content)
            except ConnectorError as exc:
                for item_id in chunk:
                    outcomes.failed(item_id, exc)
                return
            results = get_path(data, endpoint.results_path)
            if not isinstance(results, list):
                where = repr(endpoint.results_path) if endpoint.results_path else "the top level"
                error = DecodeError(
                    f"the batch answer has no list of items at {where}",
                    connector=slug,
                    operation=operation,
                )
                for item_id in chunk:
                    outcomes.failed(item_id, error)
                return
            found: dict[str, Any] = {}
            for entry in results:
                value = get_path(entry, target.id_field)
                if isinstance(entry, dict) and value is not None:
                    found.setdefault(str(value), entry)
            messages = (
                _batch.error_messages(get_path(data, endpoint.errors_path))
                if endpoint.errors_path
                else {}
            )
            for item_id in chunk:
                entry = found.get(item_id)
                if entry is None:
                    outcomes.failed(
                        item_id,
                        _batch.missing(
                            item_id, messages.get(item_id), connector=slug, operation=operation
                        ),
                    )
                    continue
                if model is None:
                    outcomes.succeeded(item_id, entry)
                    continue
                try:
                    decoded, _ = decode_with_deviations(
                        model, entry, strict=self.config.strict_decoding
                    )
                except ConnectorError as exc:
                    outcomes.failed(item_id, exc)
                else:
                    outcomes.succeeded(item_id, decoded)

        await _batch.run_bounded(_batch.chunks(ids, endpoint.max_size), read, concurrency)

    # -- what changed since a checkpoint

    def _incremental_target(self, path: str) -> tuple[Resource, IncrementalCursor]:
        target = self._resource_for_path(path)
        if target.incremental is None:
            with_cursor = [r.name for r in self._resources.values() if r.incremental] or ["none"]
            raise ConfigurationError(
                f"{self.config.slug}: resource {target.name!r} declares no incremental cursor; "
                f"resources that do: {', '.join(with_cursor)}"
            )
        return target, target.incremental

    def changes(
        self,
        path: str,
        /,
        *,
        since: Checkpoint | Cursor | _dt.datetime | _dt.date | None = None,
        raw: bool = False,
        max_pages: int | None = None,
        max_items: int | None = None,
        **params: Any,
    ) -> Changes[Any]:
        """The items of a resource changed since `since`, typed unless ``raw``.

        `since`: a `Checkpoint` (from an earlier listing's ``checkpoint``), a cursor value
        or sync token to start from, or None for everything. Iterate it (items, or
        ``.pages()``), then read ``.checkpoint`` for where the next listing starts; it
        covers exactly the items handed out so far. Other keywords are parameters of the
        list operation, as for `iter_items`.
        """
        target, cursor = self._incremental_target(path)
        request = self._list_request(target, params)
        return Changes(
            http=self.http,
            resource=target.name,
            cursor=cursor,
            request=request,
            paginator=target.paginator,
            items_path=target.items_path,
            id_field=target.id_field,
            item=target.item() if target.item is not None and not raw else Any,
            strict=self.config.strict_decoding,
            since=starting_checkpoint(since, cursor.kind),
            operation=target.list_operation or f"list_{target.name}",
            hidden_params=getattr(self.http.transport, "_credential_params", ()),
            max_pages=max_pages,
            max_items=max_items,
        )

    def sync(
        self,
        path: str,
        /,
        *,
        key: str | None = None,
        store: CheckpointStore | str | None = None,
        raw: bool = False,
        max_pages: int | None = None,
        max_items: int | None = None,
        **params: Any,
    ) -> IncrementalSync[Any]:
        """An incremental sync of a resource that resumes from its stored checkpoint.

        `key` names the checkpoint (default: the resource's name; give each listing with
        other parameters a key of its own); it is stored as ``sync:<connector>:<key>``.
        `store`: a `CheckpointStore`, or a state URL (``file:///dir``, ``redis://...``,
        ``memory://``); default: the connector's ``state``. See `IncrementalSync`.
        """
        target, _ = self._incremental_target(path)
        checkpoints = self._checkpoint_store(store)
        name = key if key is not None else target.name
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"sync: key: expected a non-empty string, got {name!r}")

        def open_changes(checkpoint: Checkpoint | None) -> Changes[Any]:
            return self.changes(
                path,
                since=checkpoint,
                raw=raw,
                max_pages=max_pages,
                max_items=max_items,
                **params,
            )

        open_changes(None)  # bad parameters fail here, before anything is read
        return IncrementalSync(
            open_changes=open_changes,
            store=checkpoints,
            key=f"sync:{self.config.slug}:{name}",
            runner=self.http.sync,
        )

    def _checkpoint_store(self, store: CheckpointStore | str | None) -> CheckpointStore:
        from .state import state_backend_from_url

        if isinstance(store, str):
            return state_backend_from_url(store).checkpoints
        if store is not None:
            return store
        state = self.http.state
        if state is None:
            raise ConfigurationError(
                f"{self.config.slug}: sync needs a checkpoint store: pass store= (a "
                "CheckpointStore or a URL such as file:///var/lib/app/checkpoints), or give "
                "the connector state="
            )
        return state.checkpoints

    # sync twins

    def list_items_sync(self, path: str = "/", /, **params: Any) -> list[Any]:
        return self.http.sync.run(self.list_items(path, **params))

    def get_item_metadata_sync(
        self, item_id: str, resource: str | None = None, **params: Any
    ) -> Any | None:
        return self.http.sync.run(self.get_item_metadata(item_id, resource, **params))

    def iter_items_sync(self, path: str, /, **params: Any) -> Iterator[Any]:
        return self.http.sync.iterate(aiter(self.iter_items(path, **params)))

    def batch_get_metadata_sync(
        self, item_ids: Iterable[str], resource: str | None = None, **params: Any
    ) -> list[BatchResult[Any]]:
        return self.http.sync.run(self.batch_get_metadata(item_ids, resource, **params))
