"""Incremental sync: list only what changed since a checkpoint, and resume where one stopped.

A resource declares its change cursor (`IncrementalCursor`, ``incremental:`` in
connector.yaml) in one of two kinds:

* ``updated_at``: the list operation takes a parameter (``updated_since``, ``modifiedAtMin``,
  ``since_id``) and each item has a field (``updated_at``, ``id``) whose highest value is
  where the next listing starts. Values compare as numbers (numeric strings too), as
  instants (ISO 8601 and RFC 2822 dates, a date-only value counting as midnight UTC), or
  else as text; the value sent back is the item's own, so the vendor reads its own format.
* ``token``: the vendor answers a sync token (Google's ``nextSyncToken``) at ``token_path``
  on the last page of a listing, and takes it back in ``param`` to list what changed since.

A `Checkpoint` covers exactly the items handed to the consumer so far, and it can be taken
between any two items, mid-page included:

* between listings, it holds where the next listing starts: the highest cursor value
  delivered, with the ids delivered at that value (or the token);
* inside a listing, it also holds the request of the page being read and the items of that
  page already delivered, so a resumed sync refetches that page, skips those, and goes on
  from there. Resuming does not depend on the listing being sorted by the cursor; it does
  depend on the vendor's paging being stable (keyset cursors and next links are; offsets
  into a list that changes meanwhile are not, for any client). Starting the next listing
  from the highest value is exact when the vendor lists oldest change first; in another
  order, an item changed mid-listing after its page was read can fall below it.

Ties and inclusive filters: a listing started from value V may answer again the items
whose value is V (filters that mean ``>=``, or dates without a time). The ids delivered at
V are in the checkpoint, and those items are skipped, as are items below V; an item at V
that was not delivered yet is delivered. With a filter that means ``>``, an item that
appears later with a value equal to V cannot be seen by any client; prefer ``>=``.

`Changes` walks one listing from a checkpoint (``data_service.changes(...)``, also
``iter_items(..., since=...)``); `IncrementalSync` adds a `CheckpointStore`: it loads the
last committed checkpoint and `commit()` stores the current one with compare-and-set, so
two syncs under one key cannot both commit. Delivery is at least once: what was handed out
after the last commit comes again after a crash, and nothing committed comes again. A
consumer that writes its sink and the checkpoint in one transaction (``page.checkpoint``)
or tags what it writes with ``sync.pending.sequence`` and drops the tags above
``sync.committed.sequence`` on start gets each item into its sink exactly once; see
docs/capabilities.md.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

import attrs
import httpx
import orjson

from ._errors import ConfigurationError, ConflictError, PaginationError
from ._pagination import PageRequest, Paginator, get_path, iterate_pages
from ._redact import get_logger
from .models import decode_with_deviations

if TYPE_CHECKING:
    from types import TracebackType

    from ._http import ConnectorHttpClient
    from ._sync import SyncRunner
    from .state import JSON, CheckpointStore

T = TypeVar("T")

__all__ = [
    "ChangePage",
    "Changes",
    "Checkpoint",
    "Cursor",
    "IncrementalCursor",
    "IncrementalSync",
    "PagePosition",
    "cursor_key",
]

Cursor: TypeAlias = str | int | float
"""A cursor value as the vendor sent it (or a sync token)."""

KINDS = ("updated_at", "token")
CHECKPOINT_VERSION = 1

logger = get_logger("connectory.incremental")


# -- the resource's declaration -------------------------------------------------------------


def _kind(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in KINDS:
        raise ConfigurationError(
            f"incremental.kind: expected one of {', '.join(KINDS)}, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class IncrementalCursor:
    """How a resource lists only what changed: the parameter that takes the checkpoint, and
    where the next checkpoint comes from (the item field `field`, or for ``kind="token"``
    the response field `token_path`)."""

    param: str
    field: str = "updated_at"
    kind: Literal["updated_at", "token"] = attrs.field(default="updated_at", validator=_kind)
    token_path: str | None = None
    in_header: bool = False  # `param` is a header (Xero's If-Modified-Since), not a query key

    def __attrs_post_init__(self) -> None:
        if self.kind == "token" and not self.token_path:
            raise ConfigurationError("incremental: kind 'token' needs token_path")


# -- comparing cursor values ----------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")  # .NET's 7-digit fractions: datetime reads 6

CursorKey: TypeAlias = tuple[int, Any]


def cursor_key(value: Any) -> CursorKey | None:
    """How a cursor value orders: ``(0, number)``, ``(1, aware datetime)`` or ``(2, text)``.

    Keys of different ranks are not comparable for skipping (see `Changes`); None for a
    value that is no cursor (absent, an object, a list, a boolean).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (0, value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _INTEGER.fullmatch(text):
        return (0, int(text))
    if _DECIMAL.fullmatch(text):
        import decimal  # here, not at import: most cursors are integers or instants

        return (0, decimal.Decimal(text))
    instant = _instant(text)
    if instant is not None:
        return (1, instant)
    return (2, text)


def _instant(text: str) -> _dt.datetime | None:
    parsed: _dt.datetime | None = None
    if text[:4].isdigit():
        try:
            parsed = _dt.datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", text))
        except ValueError:
            parsed = None
    if parsed is None and "," in text:
        import email.utils  # RFC 2822 dates are rare: the email package loads when met

        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            parsed = None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.UTC)


def comparable(a: CursorKey | None, b: CursorKey | None) -> bool:
    return a is not None and b is not None and a[0] == b[0]


def item_identity(raw: Any, id_field: str) -> str:
    """An item's id as text; for an item without one, a digest of its content."""
    value = get_path(raw, id_field)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    return "sha256:" + hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _scalar(value: Any) -> Cursor | None:
    """`value` if it can be stored as a cursor (JSON scalar), else None."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    return None


# -- checkpoints ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PagePosition:
    """A listing in progress: the page being read and the items of it already delivered
    (id and cursor value); a resumed listing refetches the page and skips those."""

    method: str
    url: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    json: Any = None
    done: tuple[tuple[str, Cursor | None], ...] = ()

    def request(self) -> PageRequest:
        return PageRequest(
            method=self.method, url=self.url, params=dict(self.params), json=self.json
        )


@attrs.frozen(kw_only=True)
class Checkpoint:
    """Where an incremental sync stands; JSON-ready with `to_json` / `from_json`.

    ``since`` and ``skip``: where the current (or next) listing starts, the cursor value or
    token sent in the resource's parameter, and the ids already delivered at that value.
    ``high`` and ``at_high``: the highest cursor value delivered, and the ids delivered at
    it. ``position``: set while a listing is under way (see `PagePosition`). ``sequence``:
    how many times the checkpoint was committed. ``scope``: a digest of the resource and
    parameters it belongs to, so it is not applied to another listing by mistake.
    """

    kind: Literal["updated_at", "token"] = "updated_at"
    since: Cursor | None = None
    skip: tuple[str, ...] = ()
    high: Cursor | None = None
    at_high: tuple[str, ...] = ()
    position: PagePosition | None = None
    sequence: int = 0
    scope: str | None = None

    @property
    def value(self) -> Cursor | None:
        """The highest cursor value delivered (``updated_at``), or the token a finished
        listing answered (``token``; the token it started from while one is under way)."""
        return self.since if self.kind == "token" else self.high

    @property
    def in_listing(self) -> bool:
        """Whether a listing is under way (the next run resumes it mid-way)."""
        return self.position is not None

    def to_json(self) -> dict[str, JSON]:
        position: JSON = None
        if self.position is not None:
            p = self.position
            position = {
                "method": p.method,
                "url": p.url,
                "params": _json_value(p.params),
                "json": _json_value(p.json),
                "done": [[item_id, cursor] for item_id, cursor in p.done],
            }
        return {
            "version": CHECKPOINT_VERSION,
            "kind": self.kind,
            "since": self.since,
            "skip": list(self.skip),
            "high": self.high,
            "at_high": list(self.at_high),
            "position": position,
            "sequence": self.sequence,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str = "checkpoint") -> Checkpoint:
        """Rebuild a checkpoint; a malformed one raises `ConfigurationError` naming `where`
        and the field."""
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{where}: expected a JSON object, got {type(data).__name__}")
        version = data.get("version")
        if version != CHECKPOINT_VERSION:
            raise ConfigurationError(
                f"{where}: version: expected {CHECKPOINT_VERSION}, got {version!r}"
            )
        kind = data.get("kind")
        if kind not in KINDS:
            raise ConfigurationError(
                f"{where}: kind: expected one of {', '.join(KINDS)}, got {kind!r}"
            )
        position = data.get("position")
        return cls(
            kind=kind,
            since=_cursor_field(data, "since", where),
            skip=_ids_field(data, "skip", where),
            high=_cursor_field(data, "high", where),
            at_high=_ids_field(data, "at_high", where),
            position=None if position is None else _position(position, f"{where}: position"),
            sequence=_int_field(data, "sequence", where),
            scope=_optional_str(data, "scope", where),
        )


def _json_value(value: Any) -> JSON:
    result: JSON = orjson.loads(orjson.dumps(value))
    return result


def _cursor_field(data: Mapping[str, Any], name: str, where: str) -> Cursor | None:
    value = data.get(name)
    if value is not None and _scalar(value) is None:
        raise ConfigurationError(
            f"{where}: {name}: expected a string or a number, got {type(value).__name__}"
        )
    return _scalar(value)


def _ids_field(data: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{where}: {name}: expected a list of id strings")
    return tuple(value)


def _int_field(data: Mapping[str, Any], name: str, where: str) -> int:
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{where}: {name}: expected an integer >= 0, got {value!r}")
    return value


def _optional_str(data: Mapping[str, Any], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ConfigurationError(f"{where}: {name}: expected a string, got {type(value).__name__}")
    return value


def _position(data: Any, where: str) -> PagePosition:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where}: expected a JSON object")
    method, url, params = data.get("method"), data.get("url"), data.get("params") or {}
    if not isinstance(method, str) or not isinstance(url, str) or not url:
        raise ConfigurationError(f"{where}: method and url: expected strings")
    if not isinstance(params, Mapping):
        raise ConfigurationError(f"{where}: params: expected a JSON object")
    done: list[tuple[str, Cursor | None]] = []
    for entry in data.get("done") or []:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], str)
            or (entry[1] is not None and _scalar(entry[1]) is None)
        ):
            raise ConfigurationError(f"{where}: done: expected [id, cursor] pairs")
        done.append((entry[0], _scalar(entry[1])))
    return PagePosition(
        method=method, url=url, params=dict(params), json=data.get("json"), done=tuple(done)
    )


def starting_checkpoint(
    since: Checkpoint | Cursor | _dt.datetime | _dt.date | None, kind: str
) -> Checkpoint:
    """The checkpoint a listing starts from, given what the caller passed as ``since``."""
    if isinstance(since, Checkpoint):
        if since.kind != kind:
            raise ConfigurationError(
                f"since: a checkpoint of kind {since.kind!r} given to a resource whose "
                f"cursor is of kind {kind!r}"
            )
        return since
    if since is None:
        return Checkpoint(kind="token" if kind == "token" else "updated_at")
    if isinstance(since, _dt.datetime | _dt.date):
        since = since.isoformat()
    if _scalar(since) is None:
        raise ConfigurationError(
            f"since: expected a Checkpoint, a cursor value (string or number) or a datetime, "
            f"got {type(since).__name__}"
        )
    if kind == "token":
        if not isinstance(since, str):
            raise ConfigurationError("since: a sync token is a string")
        return Checkpoint(kind="token", since=since)
    return Checkpoint(kind="updated_at", since=since, high=since)


def scope_of(resource: str, cursor: IncrementalCursor, request: PageRequest) -> str:
    """A digest of what a checkpoint belongs to: resource, cursor and the listing's request."""
    described = {
        "resource": resource,
        "cursor": [cursor.kind, cursor.param, cursor.field, cursor.token_path],
        "method": request.method,
        "url": request.url,
        "params": _json_value(request.params),
        "json": _json_value(request.json),
    }
    return hashlib.sha256(orjson.dumps(described, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


# -- one listing ----------------------------------------------------------------------------


@attrs.frozen
class ChangePage(Generic[T]):
    """The changed items of one page (already-delivered ones left out), the page's number
    in this walk, its response, and the checkpoint that covers it and everything before."""

    items: list[T]
    raw: list[Any]
    number: int
    response: httpx.Response
    checkpoint: Checkpoint


@attrs.frozen
class _Walked:
    chosen: list[Any]
    items: list[Any]
    number: int
    response: httpx.Response


class Changes(Generic[T]):
    """The items of a resource changed since a checkpoint, walked once, a page at a time.

    ``async for item in changes`` or ``async for page in changes.pages()``; `checkpoint`
    covers every item handed out so far (after the last one: where the next listing
    starts). Built by ``data_service.changes(path, since=...)``.
    """

    def __init__(
        self,
        *,
        http: ConnectorHttpClient,
        resource: str,
        cursor: IncrementalCursor,
        request: PageRequest,
        paginator: Paginator,
        items_path: str | None,
        id_field: str,
        item: Any,
        strict: bool,
        since: Checkpoint,
        operation: str,
        hidden_params: Sequence[str] = (),
        max_pages: int | None = None,
        max_items: int | None = None,
    ) -> None:
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must be at least 0, not {max_items}")
        if cursor.param in request.params:
            raise ConfigurationError(
                f"{resource}: pass where to start as since=, not as the parameter {cursor.param!r}"
            )
        scope = scope_of(resource, cursor, request)
        if since.scope is not None and since.scope != scope:
            raise ConfigurationError(
                f"{resource}: the checkpoint was made for another listing (other resource, "
                "parameters or cursor); use a checkpoint key of its own for this one, or "
                "start over"
            )
        self._http = http
        self._resource = resource
        self._cursor = cursor
        self._request = request
        self._paginator = paginator
        self._items_path = items_path
        self._id_field = id_field
        self._list_type: Any = None if item is Any else list[item]
        self._strict = strict
        self._operation = operation
        self._hidden = frozenset(hidden_params)
        self.max_pages = max_pages
        self.max_items = max_items
        self._started = False
        # Where this listing started: the cursor sent and the ids already delivered at it.
        self._start = attrs.evolve(since, scope=scope)
        self._since_key = cursor_key(since.since) if cursor.kind == "updated_at" else None
        self._skip = frozenset(since.skip)
        # Progress over everything delivered so far.
        self._high = since.high
        self._high_key = cursor_key(since.high)
        self._at_high: list[str] = list(since.at_high)
        self._at_high_set = set(self._at_high)
        self._token: str | None = None  # the token this listing answered, once seen
        self._position = since.position
        self._page_request: PageRequest | None = None
        self._following: PageRequest | None = None
        self._page_done: list[tuple[str, Cursor | None]] = []
        self._remaining = 0
        self._finished = False
        self._items: AsyncGenerator[T, None] | None = None

    def __repr__(self) -> str:
        return f"Changes({self._resource!r}, since={self._start.value!r})"

    # -- the checkpoint

    @property
    def checkpoint(self) -> Checkpoint:
        """The checkpoint that covers every item handed out so far."""
        start = self._start
        if self._finished:
            if self._cursor.kind == "token":
                return attrs.evolve(start, since=self._token, skip=(), position=None)
            return attrs.evolve(
                start,
                since=self._high,
                skip=tuple(self._at_high),
                high=self._high,
                at_high=tuple(self._at_high),
                position=None,
            )
        position = self._position
        if self._page_request is not None:
            if self._remaining == 0:
                assert self._following is not None  # no following page: finished
                position = self._stored(self._following, ())
            else:
                position = self._stored(self._page_request, tuple(self._page_done))
        return attrs.evolve(start, high=self._high, at_high=tuple(self._at_high), position=position)

    def _stored(
        self, request: PageRequest, done: tuple[tuple[str, Cursor | None], ...]
    ) -> PagePosition:
        """A page request as a checkpoint keeps it: never with credentials in it."""
        params = {k: v for k, v in request.params.items() if k not in self._hidden}
        return PagePosition(
            method=request.method, url=request.url, params=params, json=request.json, done=done
        )

    # -- walking

    def _first_request(self) -> PageRequest:
        since = self._start.since
        if self._position is not None:
            # The caller's headers (a tenant id) are not in the checkpoint; nor is a
            # header cursor, which is the listing's `since`.
            resumed = attrs.evolve(self._position.request(), headers=self._request.headers)
            return self._with_header_cursor(resumed, since)
        if since is None:
            return self._request
        if self._cursor.in_header:
            return self._with_header_cursor(self._request, since)
        return attrs.evolve(
            self._request, params={**self._request.params, self._cursor.param: since}
        )

    def _with_header_cursor(self, request: PageRequest, since: Cursor | None) -> PageRequest:
        if not self._cursor.in_header or since is None:
            return request
        return attrs.evolve(request, headers={**request.headers, self._cursor.param: str(since)})

    def _wanted(self, raw: Any, done: frozenset[tuple[str, CursorKey | None]]) -> bool:
        ident = item_identity(raw, self._id_field)
        key = (
            cursor_key(get_path(raw, self._cursor.field))
            if self._cursor.kind == "updated_at"
            else None
        )
        if (ident, key) in done:
            return False
        since = self._since_key
        if key is not None and since is not None and comparable(key, since):
            if key < since:
                return False  # before where this listing starts: delivered long ago
            if key == since and ident in self._skip:
                return False  # at the boundary, and delivered already
        return True

    def _deliver(self, raw: Any) -> None:
        ident = item_identity(raw, self._id_field)
        value: Cursor | None = None
        if self._cursor.kind == "updated_at":
            found = get_path(raw, self._cursor.field)
            value = _scalar(found)
            key = cursor_key(value)
            if key is None:
                if found is not None:
                    logger.warning(
                        "%s: item %s has no usable %r (%s); it does not move the checkpoint",
                        self._resource,
                        ident,
                        self._cursor.field,
                        type(found).__name__,
                    )
            elif (
                self._high_key is None
                or not comparable(key, self._high_key)
                or key > self._high_key
            ):
                self._high, self._high_key = value, key
                self._at_high, self._at_high_set = [ident], {ident}
            elif key == self._high_key and ident not in self._at_high_set:
                self._at_high.append(ident)
                self._at_high_set.add(ident)
        self._page_done.append((ident, value))
        self._remaining -= 1
        if self._remaining == 0 and self._following is None:
            self._finished = True

    async def _walk(self) -> AsyncGenerator[_Walked, None]:
        if self._started:
            raise ConfigurationError(f"{self._resource}: a Changes listing can be walked once")
        self._started = True
        http = self._http
        operation = self._operation
        last: list[PageRequest] = []

        async def send(page: PageRequest) -> httpx.Response:
            last[:] = [page]
            return await http.send_page(page, operation=operation)

        resumed = self._position.done if self._position is not None else ()
        done = frozenset((ident, cursor_key(value)) for ident, value in resumed)
        carried = list(resumed)
        pages = iterate_pages(
            send,
            self._first_request(),
            self._paginator,
            base_url=http.base_url,
            items_path=self._items_path,
            max_pages=self.max_pages,
            items_optional=True,  # generated: the items path is the schema's
        )
        try:
            async for page in pages:
                current = last[0]
                following = self._paginator.next_request(current, page.response, page.items)
                if self._cursor.kind == "token":
                    token = get_path(_body(page.response), self._cursor.token_path)
                    if isinstance(token, str) and token:
                        self._token = token
                    if following is None and self._token is None:
                        raise PaginationError(
                            f"{self._resource}: the listing ended without a sync token at "
                            f"{self._cursor.token_path!r}",
                            method=current.method,
                            url=current.url,
                        )
                chosen = [raw for raw in page.items if self._wanted(raw, done)]
                self._page_request, self._following = current, following
                self._page_done, self._remaining = carried, len(chosen)
                done, carried = frozenset(), []
                if not chosen and following is None:
                    self._finished = True
                items = chosen
                if self._list_type is not None and chosen:
                    items, _ = decode_with_deviations(self._list_type, chosen, strict=self._strict)
                yield _Walked(chosen, items, page.number, page.response)
        finally:
            await pages.aclose()

    async def pages(self) -> AsyncGenerator[ChangePage[T], None]:
        """The changed items a page at a time; each page's checkpoint covers it."""
        walk = self._walk()
        try:
            async for walked in walk:
                for raw in walked.chosen:
                    self._deliver(raw)
                yield ChangePage(
                    walked.items, walked.chosen, walked.number, walked.response, self.checkpoint
                )
        finally:
            await walk.aclose()

    def __aiter__(self) -> Changes[T]:
        return self

    async def __anext__(self) -> T:
        if self._items is None:
            self._items = self._each()
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Stop the listing early (its open page request, if any, is closed)."""
        if self._items is not None:
            await self._items.aclose()

    async def _each(self) -> AsyncGenerator[T, None]:
        if self.max_items == 0:
            return
        count = 0
        walk = self._walk()
        try:
            async for walked in walk:
                for raw, item in zip(walked.chosen, walked.items, strict=True):
                    self._deliver(raw)
                    yield item
                    count += 1
                    if count == self.max_items:
                        return
        finally:
            await walk.aclose()

    async def to_list(self) -> list[T]:
        return [item async for item in self]


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# -- a sync that remembers where it stopped ------------------------------------------------


class IncrementalSync(Generic[T]):
    """An incremental sync of one resource whose checkpoint lives in a `CheckpointStore`.

    ::

        async with data_service.sync("/tasks", key="tasks", store="file:///var/lib/app") as sync:
            async for page in sync.pages():
                write(page.items)
                await sync.commit()

    Entering loads the last committed checkpoint (none: everything is listed). `commit()`
    stores `pending` (every item handed out so far) with compare-and-set against what was
    loaded or last committed: a `ConflictError` says another sync under the same key
    committed meanwhile. Leaving the block does not commit. Blocking code uses ``with``,
    ``for``, `pages_sync` and `commit_sync`.
    """

    def __init__(
        self,
        *,
        open_changes: Callable[[Checkpoint | None], Changes[T]],
        store: CheckpointStore,
        key: str,
        runner: SyncRunner,
    ) -> None:
        self._open = open_changes
        self.store = store
        self.key = key
        self._runner = runner
        self._loaded = False
        self._stored: JSON | None = None
        self._committed: Checkpoint | None = None
        self._changes: Changes[T] | None = None

    def __repr__(self) -> str:
        return f"IncrementalSync(key={self.key!r}, store={type(self.store).__name__})"

    @property
    def committed(self) -> Checkpoint | None:
        """The checkpoint last loaded or committed (None: none stored yet)."""
        return self._committed

    @property
    def pending(self) -> Checkpoint:
        """The checkpoint `commit` would store: every item handed out so far. Its
        ``sequence`` is the committed one plus one."""
        changes = self._require()
        sequence = (self._committed.sequence if self._committed else 0) + 1
        return attrs.evolve(changes.checkpoint, sequence=sequence)

    def _require(self) -> Changes[T]:
        if self._changes is None:
            raise ConfigurationError(
                f"sync {self.key!r}: not loaded; use `async with` (or `with`), or call load()"
            )
        return self._changes

    async def load(self) -> Checkpoint | None:
        """Read the committed checkpoint and prepare the listing from it."""
        stored = await self.store.get(self.key)
        checkpoint = (
            None
            if stored is None
            else Checkpoint.from_json(stored, where=f"checkpoint {self.key!r}")
        )
        self._stored, self._committed = stored, checkpoint
        self._changes = self._open(checkpoint)
        self._loaded = True
        return checkpoint

    async def commit(self) -> Checkpoint:
        """Store `pending` (every commit stores, and adds one to ``sequence``); returns it.
        Raises `ConflictError` if the stored checkpoint changed since it was loaded or last
        committed here."""
        pending = self.pending
        encoded = pending.to_json()
        if not await self.store.compare_and_set(self.key, self._stored, encoded):
            raise ConflictError(
                f"checkpoint {self.key!r} changed in the store since this sync read it: "
                "another sync under the same key is running, or it was reset"
            )
        self._stored, self._committed = encoded, pending
        return pending

    async def reset(self) -> None:
        """Forget the stored checkpoint, so the next sync lists everything again."""
        await self.store.delete(self.key)
        self._stored = self._committed = None
        self._changes = self._open(None)

    async def __aenter__(self) -> IncrementalSync[T]:
        await self.load()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        if not self._loaded:
            await self.load()
        async for item in self._require():
            yield item

    async def pages(self) -> AsyncGenerator[ChangePage[T], None]:
        if not self._loaded:
            await self.load()
        pages = self._require().pages()
        try:
            async for page in pages:
                yield attrs.evolve(page, checkpoint=self.pending)
        finally:
            await pages.aclose()

    # blocking twins

    def __enter__(self) -> IncrementalSync[T]:
        self._runner.run(self.load())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def __iter__(self) -> Iterator[T]:
        return self._runner.iterate(self.__aiter__())

    def pages_sync(self) -> Iterator[ChangePage[T]]:
        return self._runner.iterate(self.pages())

    def load_sync(self) -> Checkpoint | None:
        return self._runner.run(self.load())

    def commit_sync(self) -> Checkpoint:
        return self._runner.run(self.commit())

    def reset_sync(self) -> None:
        self._runner.run(self.reset())
