"""Fetching many items by id: one result per id, in the order the ids were given.

`BaseDataService.batch_get_metadata` runs on what is here. Every request goes through the
connector's own client, so auth, the rate limiter, retries and metrics apply to each one;
the concurrency bound only says how many may be under way at once, the limiter still says
when each is sent. A failure belongs to its item (`BatchResult.error`), never to the batch.

Where the vendor has a batch read of its own (`BatchEndpoint`: HubSpot's
``POST /crm/v3/objects/contacts/batch/read``), the ids go to it in chunks of its maximum
size, and its per-id errors and missing ids come back as per-item `NotFoundError`\\s.

The worker pool is asyncio's own (a fixed number of tasks draining one iterator) rather
than a library's (anyio's task groups, aiometer): the core depends on httpx, attrs,
stamina and orjson only, and the pool is a dozen lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ._errors import AuthenticationError, ConfigurationError, ConnectorError, NotFoundError

T = TypeVar("T")
D = TypeVar("D")
K = TypeVar("K")

__all__ = ["DEFAULT_BATCH_CONCURRENCY", "BatchEndpoint", "BatchResult"]

DEFAULT_BATCH_CONCURRENCY = 8
"""Requests (or vendor batch calls) under way at once, unless the caller says otherwise."""


@attrs.frozen
class BatchResult(Generic[T]):
    """The outcome for one id of a batch: the item, or the error that item met.

    ``ok`` says which; ``value`` is the item (or raises the error), ``error`` the error
    (or None). `item` holds the item itself, None on failure.
    """

    item_id: str
    item: T | None = None
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def value(self) -> T:
        """The item; raises the item's `ConnectorError` when it failed."""
        if self.error is not None:
            raise self.error
        return self.item  # type: ignore[return-value]  # set whenever there is no error

    def value_or(self, default: D) -> T | D:
        """The item, or `default` when it failed."""
        return default if self.error is not None else self.item  # type: ignore[return-value]

    def __repr__(self) -> str:
        outcome = "ok" if self.error is None else repr(self.error)
        return f"BatchResult({self.item_id!r}, {outcome})"


def _positive_size(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{attribute.name}: must be an integer >= 1, got {value!r}")


def _location(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in ("body", "query"):
        raise ConfigurationError(f"{attribute.name}: expected 'body' or 'query', got {value!r}")


@attrs.frozen(kw_only=True)
class BatchEndpoint:
    """A vendor's own batch read: many ids in one request.

    The ids go in `ids_param`: a JSON body field (``location="body"``), each wrapped as
    ``{id_key: id}`` when `id_key` is set (HubSpot: ``{"inputs": [{"id": "1"}]}``), or a
    comma-separated query parameter (``location="query"``, Zendesk's ``show_many?ids=``).
    The items found are the list at `results_path`, matched to the ids by the resource's
    ``id_field``; an id with no item is a `NotFoundError`, with the message of the entry
    at `errors_path` that names it (by ``id``, ``ids`` or ``context.ids``) when there is
    one. `body` holds fixed body fields; `max_size` is the most ids one request may carry.
    """

    path: str
    ids_param: str
    method: str = "POST"
    location: str = attrs.field(default="body", validator=_location)
    id_key: str | None = None
    max_size: int = attrs.field(default=100, validator=_positive_size)
    results_path: str | None = "results"
    errors_path: str | None = None
    body: Mapping[str, Any] | None = None
    operation: str | None = None


def check_concurrency(concurrency: int) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency: must be an integer >= 1, got {concurrency!r}")
    return concurrency


def check_ids(item_ids: Iterable[Any]) -> list[str]:
    """The ids as strings; a bare string (which would iterate into characters) is refused."""
    if isinstance(item_ids, str | bytes):
        raise ConfigurationError(
            f"item_ids: expected a list of ids, got the single string {item_ids!r}"
        )
    ids: list[str] = []
    for position, item_id in enumerate(item_ids):
        if isinstance(item_id, bool) or not isinstance(item_id, str | int):
            raise ConfigurationError(
                f"item_ids[{position}]: expected a string or an integer id, "
                f"got {type(item_id).__name__}"
            )
        text = str(item_id)
        if not text:
            raise ConfigurationError(f"item_ids[{position}]: an id cannot be empty")
        ids.append(text)
    return ids


def chunks(items: Sequence[K], size: int) -> list[Sequence[K]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def run_bounded(
    keys: Sequence[K], work: Callable[[K], Awaitable[None]], concurrency: int
) -> None:
    """Run `work` for every key, at most `concurrency` at once.

    `work` records its own outcome; an exception out of it (a bug, a cancellation) stops
    the other workers and propagates.
    """
    if not keys:
        return
    pending = iter(keys)

    async def worker() -> None:
        for key in pending:  # one shared iterator: each key is taken by one worker
            await work(key)

    tasks = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(keys)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class Outcomes:
    """The result of each distinct id, filled by the workers; stops sending after an
    `AuthenticationError`, which every later request would meet as well."""

    def __init__(self) -> None:
        self.by_id: dict[str, BatchResult[Any]] = {}
        self.fatal: ConnectorError | None = None

    def succeeded(self, item_id: str, item: Any) -> None:
        self.by_id[item_id] = BatchResult(item_id, item, None)

    def failed(self, item_id: str, error: ConnectorError) -> None:
        if isinstance(error, AuthenticationError) and self.fatal is None:
            self.fatal = error
        self.by_id[item_id] = BatchResult(item_id, None, error)

    def in_order(self, ids: Sequence[str]) -> list[BatchResult[Any]]:
        return [self.by_id[item_id] for item_id in ids]


def error_messages(errors: Any) -> dict[str, str]:
    """The message of each id a vendor's batch errors name (``id``, ``ids``, ``context.ids``)."""
    found: dict[str, str] = {}
    if not isinstance(errors, list):
        return found
    for entry in errors:
        if not isinstance(entry, Mapping):
            continue
        message = str(entry.get("message") or entry.get("category") or "not found")
        named: list[Any] = []
        if entry.get("id") is not None:
            named.append(entry["id"])
        for holder in (entry, entry.get("context")):
            if isinstance(holder, Mapping) and isinstance(holder.get("ids"), list):
                named.extend(holder["ids"])
        for item_id in named:
            found.setdefault(str(item_id), message)
    return found


def missing(item_id: str, message: str | None, *, connector: str, operation: str) -> NotFoundError:
    return NotFoundError(
        f"{item_id!r}: {message}" if message else f"{item_id!r} is not in the batch answer",
        status_code=404,
        connector=connector,
        operation=operation,
    )
