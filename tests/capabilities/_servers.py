"""Fake vendors for the capability tests, run by `tests.servers.run_server` in a child process.

`ItemsSpec`: items by id (``GET /items/{id}``), some missing (404) or failing (500), behind
a bearer token, and a HubSpot-shaped batch read (``POST /items/batch/read``).

`ChangesSpec`: a listing that filters by an updated-since parameter (inclusive, ``>=``),
with many items sharing one timestamp, keyset paging, and items that change while syncs
run (after given numbers of list requests); plus a Google-shaped sync-token listing of the
same items (``GET /events``). Its state says what every item looks like now and every
version it ever had, so a test can check what a consumer received against it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from tests.servers import Action, Request, json_reply

__all__ = ["TOKEN", "ChangesSpec", "ItemsSpec", "stamp"]

TOKEN = "sk-capabilities-SECRET-token"
_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def stamp(second: int) -> str:
    """The ISO 8601 timestamp `second` seconds after the fake vendor's epoch."""
    return (_EPOCH + dt.timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unauthorized(request: Request) -> Action | None:
    if request.header("authorization") != f"Bearer {TOKEN}":
        return json_reply({"error": "unauthorized"}, 401)
    return None


@attrs.frozen
class ItemsSpec:
    """``count`` items ``"0"``.. at ``GET {prefix}/{id}``; ``missing`` ids answer 404 and
    ``failing`` ones 500 (on every attempt). The batch read, ``POST {prefix}/batch/read``,
    takes at most ``max_batch`` ids, answers the missing ones in ``errors`` (207), and fails
    whole (500) when it holds an id of ``batch_failing``; the first ``batch_unavailable``
    batch reads answer 503. ``shape="hubspot"``: items are
    HubSpot CRM objects (``properties``, ``createdAt``...)."""

    count: int
    missing: frozenset[str] = frozenset()
    failing: frozenset[str] = frozenset()
    batch_failing: frozenset[str] = frozenset()
    batch_unavailable: int = 0
    max_batch: int = 100
    prefix: str = "/items"
    shape: str = "plain"

    def build(self, origin: str) -> _Items:
        return _Items(self)


class _Items:
    def __init__(self, spec: ItemsSpec) -> None:
        self._spec = spec
        self._unavailable_left = spec.batch_unavailable

    def _item(self, item_id: str) -> dict[str, Any]:
        if self._spec.shape == "hubspot":
            return {
                "id": item_id,
                "properties": {"email": f"c{item_id}@example.test", "hs_object_id": item_id},
                "createdAt": "2024-01-01T00:00:00.000Z",
                "updatedAt": "2024-02-01T00:00:00.000Z",
                "archived": False,
            }
        return {"id": item_id, "name": f"item {item_id}", "size": int(item_id) * 10}

    def _exists(self, item_id: str) -> bool:
        return item_id.isdigit() and int(item_id) < self._spec.count

    def respond(self, request: Request) -> Action:
        refused = _unauthorized(request)
        if refused is not None:
            return refused
        spec = self._spec
        if request.method == "POST" and request.path == f"{spec.prefix}/batch/read":
            body = request.json()
            ids = [str(entry["id"]) for entry in body["inputs"]]
            if len(ids) > spec.max_batch:
                return json_reply({"message": f"at most {spec.max_batch} inputs"}, 400)
            if spec.batch_failing & set(ids):
                return json_reply({"message": "internal error"}, 500)
            if self._unavailable_left > 0:
                self._unavailable_left -= 1
                return json_reply({"message": "try again"}, 503)
            found = [self._item(i) for i in ids if self._exists(i) and i not in spec.missing]
            absent = [i for i in ids if not self._exists(i) or i in spec.missing]
            errors = (
                [
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": "Could not get some objects, they may be deleted",
                        "context": {"ids": absent},
                    }
                ]
                if absent
                else []
            )
            return json_reply(
                {"status": "COMPLETE", "results": found, "errors": errors},
                207 if absent else 200,
            )
        prefix = f"{spec.prefix}/"
        if request.method == "GET" and request.path.startswith(prefix):
            item_id = request.path[len(prefix) :]
            if item_id in spec.failing:
                return json_reply({"message": "internal error"}, 500)
            if item_id in spec.missing or not self._exists(item_id):
                return json_reply({"message": "not found"}, 404)
            return json_reply(self._item(item_id))
        return json_reply({"message": f"no route {request.method} {request.path}"}, 404)

    def state(self) -> dict[str, Any]:
        return {}


@attrs.frozen
class ChangesSpec:
    """``count`` tasks ``"t000"``.., ``per_stamp`` of them sharing each timestamp.

    ``GET /tasks?updated_since=&cursor=&limit=`` lists those updated at or after
    ``updated_since``, ordered by (updated_at, id) (``order="id"``: by id), ``limit`` (default
    ``page_size``) at a time, with ``next_cursor`` (a key past the last item) in the body.
    When the n-th list request arrives, for each ``(n, ids)`` in ``changes``, those tasks
    change: their ``updated_at`` becomes one second past the newest. ``delay``: seconds
    each list answer takes.

    ``GET /events?syncToken=&pageToken=`` lists every task (no token) or those changed
    after the token, and answers ``nextSyncToken`` on the last page; an unknown token is
    answered 410 as Google does.
    """

    count: int = 60
    per_stamp: int = 4
    page_size: int = 7
    changes: tuple[tuple[int, tuple[str, ...]], ...] = ()
    delay: float = 0.0
    order: str = "updated_at"

    def build(self, origin: str) -> _Changes:
        return _Changes(self)


class _Changes:
    def __init__(self, spec: ChangesSpec) -> None:
        self._spec = spec
        self._second: dict[str, int] = {}
        self._sequence: dict[str, int] = {}  # change-log position of each task's last change
        self._log = 0
        self._versions: dict[str, list[str]] = {}
        for index in range(spec.count):
            task = f"t{index:03d}"
            self._second[task] = index // spec.per_stamp
            self._log += 1
            self._sequence[task] = self._log
            self._versions[task] = [stamp(self._second[task])]
        self._list_requests = 0

    def _task(self, task: str) -> dict[str, Any]:
        return {
            "id": task,
            "title": f"task {task}",
            "updated_at": stamp(self._second[task]),
            "version": len(self._versions[task]),
        }

    def _apply_changes(self) -> None:
        self._list_requests += 1
        for at, tasks in self._spec.changes:
            if at == self._list_requests:
                newest = max(self._second.values())
                for task in tasks:
                    self._second[task] = newest + 1
                    self._log += 1
                    self._sequence[task] = self._log
                    self._versions[task].append(stamp(newest + 1))

    def respond(self, request: Request) -> Action:
        refused = _unauthorized(request)
        if refused is not None:
            return refused
        if request.method == "GET" and request.path == "/tasks":
            self._apply_changes()
            return self._tasks(request)
        if request.method == "GET" and request.path == "/events":
            self._apply_changes()
            return self._events(request)
        return json_reply({"message": f"no route {request.method} {request.path}"}, 404)

    def _tasks(self, request: Request) -> Action:
        spec = self._spec
        query = request.query
        limit = int(query.get("limit") or spec.page_size)
        since = query.get("updated_since")
        floor = -1
        if since is not None:
            moment = dt.datetime.fromisoformat(since)
            floor_seconds = (moment - _EPOCH).total_seconds()
            floor = (
                int(floor_seconds)
                if floor_seconds == int(floor_seconds)
                else int(floor_seconds) + 1
            )

        def key(task: str) -> tuple[Any, ...]:
            return (self._second[task], task) if spec.order == "updated_at" else (task,)

        chosen = sorted((t for t in self._second if self._second[t] >= floor), key=key)
        cursor = query.get("cursor")
        if cursor is not None:
            after = tuple(json.loads(cursor))
            chosen = [t for t in chosen if key(t) > after]
        page = chosen[:limit]
        next_cursor = json.dumps(list(key(page[-1]))) if len(chosen) > limit else None
        return json_reply(
            {"tasks": [self._task(t) for t in page], "next_cursor": next_cursor},
            delay=spec.delay,
        )

    def _events(self, request: Request) -> Action:
        spec = self._spec
        query = request.query
        page_token = query.get("pageToken")
        if page_token is not None:
            snapshot, after, floor = (int(part) for part in page_token.split(":"))
        else:
            snapshot, after = self._log, 0
            token = query.get("syncToken")
            if token is None:
                floor = 0
            elif token.startswith("s") and token[1:].isdigit() and int(token[1:]) <= self._log:
                floor = int(token[1:])
            else:
                return json_reply(
                    {"error": {"code": 410, "message": "Sync token is no longer valid"}}, 410
                )
        chosen = sorted(
            (t for t in self._sequence if floor < self._sequence[t] <= snapshot),
            key=lambda t: self._sequence[t],
        )
        chosen = [t for t in chosen if self._sequence[t] > after]
        page = chosen[: spec.page_size]
        body: dict[str, Any] = {"items": [self._task(t) for t in page]}
        if len(chosen) > spec.page_size:
            body["nextPageToken"] = f"{snapshot}:{self._sequence[page[-1]]}:{floor}"
        else:
            body["nextSyncToken"] = f"s{snapshot}"
        return json_reply(body, delay=spec.delay)

    def state(self) -> dict[str, Any]:
        return {
            "now": {task: stamp(second) for task, second in self._second.items()},
            "versions": self._versions,
            "list_requests": self._list_requests,
        }
