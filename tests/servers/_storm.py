"""The fault storm: a small JSON API whose requests meet faults at a chosen rate.

Resources: ``GET /items?page=N&per_page=M`` (also ``limit=M``), ``GET /items/{id}``,
``POST /items`` and ``GET /ping``. Item ``i`` is ``{"id": i, "name": "item-i"}``, so a
client can check every answer it got is the data it asked for.

Which request meets which fault is decided by a hash of (seed, request, attempt number
of that same request), not by a random stream: the same client requests get the same
faults whatever order concurrent requests arrive in, and a retry is a fresh draw.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from ._http import Action, Reply, Request, Reset, Stall, Truncate, json_reply
from ._records import CreatedItem

__all__ = ["Fault", "FaultStormSpec", "item"]


class Fault(StrEnum):
    """A fault the storm can serve; its value is the label recorded on the arrival."""

    RATE_LIMITED = "429"  # no Retry-After
    RATE_LIMITED_RETRY_NOW = "429-retry-after-0"
    RATE_LIMITED_RETRY_LATER = "429-retry-after-n"  # Retry-After: retry_after_seconds
    INTERNAL_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    RESET = "reset"  # TCP reset, no response
    STALL = "stall"  # no response for slow_seconds, then the connection closes
    SLOW = "slow"  # the right response, after slow_seconds
    TRUNCATED = "truncated"  # half the body, then the connection closes
    INVALID_JSON = "invalid-json"  # half the body, with a matching Content-Length
    EMPTY_200 = "empty-200"  # status 200, no body

    @property
    def processed(self) -> bool:
        """Whether the server did the work before the fault (a POST created its item).

        Status faults, resets and stalls turn the request away first; the others spoil
        only the response, which is how a retried POST ends up creating a duplicate.
        """
        return self in (Fault.SLOW, Fault.TRUNCATED, Fault.INVALID_JSON, Fault.EMPTY_200)


def _fault_mix(value: Mapping[Fault, float] | Mapping[str, float]) -> dict[Fault, float]:
    return {Fault(name): float(probability) for name, probability in value.items()}


def _fault_script(value: Iterable[Fault | str | None]) -> tuple[Fault | None, ...]:
    return tuple(None if fault is None else Fault(fault) for fault in value)


def _check_mix(
    instance: object, attribute: attrs.Attribute[Any], value: dict[Fault, float]
) -> None:
    if any(not 0.0 <= probability <= 1.0 for probability in value.values()):
        raise ValueError(f"fault probabilities must be within [0, 1]: {value}")
    if math.fsum(value.values()) > 1.0 + 1e-9:
        raise ValueError(f"fault probabilities add up to more than 1: {value}")


def item(item_id: int, name: str | None = None) -> dict[str, Any]:
    """The storm's representation of item `item_id`."""
    return {"id": item_id, "name": name if name is not None else f"item-{item_id}"}


@attrs.frozen
class FaultStormSpec:
    """A JSON API with faults.

    ``faults`` maps a `Fault` (or its label) to the probability that a request meets it;
    the rest are served normally. The first ``len(script)`` arrivals, in arrival order,
    get the scripted fault instead (None: none), for exact sequences. With
    ``max_consecutive_faults`` set, a request that met that many faults in a row is
    served normally, so a client with a larger retry budget always gets through.

    ``POST /items`` takes ``{"name": ...}`` and answers 201 with a new item (ids follow
    ``total_items``) plus the ``idempotency_key`` it came with. When
    ``honor_idempotency_key`` is on, a key seen before gets the first item back (header
    ``Idempotent-Replayed: true``) instead of creating another.

    ``slow_seconds`` is how late a SLOW response comes and how long a STALL lasts: set
    the client's timeout below it. The recording's state holds ``created_items`` (see
    `Recording.created_items`) and ``attempts``, the arrivals per `request_key`.
    """

    faults: dict[Fault, float] = attrs.field(
        factory=dict, converter=_fault_mix, validator=_check_mix
    )
    seed: int = 0
    script: tuple[Fault | None, ...] = attrs.field(default=(), converter=_fault_script)
    max_consecutive_faults: int | None = None
    retry_after_seconds: int = 1
    slow_seconds: float = 2.0
    total_items: int = 1000
    page_size: int = 10
    honor_idempotency_key: bool = True

    def build(self, origin: str) -> _Storm:
        return _Storm(self)

    @staticmethod
    def request_key(request: Request) -> str:
        """What makes two arrivals "the same request" for fault draws and attempt counts.

        Method and target, plus the Idempotency-Key or, lacking one, a digest of the body.
        """
        key = f"{request.method} {request.target}"
        idempotency_key = request.header("idempotency-key")
        if idempotency_key is not None:
            return f"{key} key={idempotency_key}"
        if request.body:
            return f"{key} body={hashlib.blake2b(request.body, digest_size=8).hexdigest()}"
        return key

    def draw(self, key: str, attempt: int) -> Fault | None:
        """The fault the `attempt`-th arrival (from 0) of request `key` meets, by chance."""
        seed = f"{self.seed}\0{key}\0{attempt}".encode()
        digest = hashlib.blake2b(seed, digest_size=8).digest()
        chance = int.from_bytes(digest, "big") / 2**64
        threshold = 0.0
        for fault in Fault:  # Enum order, so the mapping's order does not matter.
            threshold += self.faults.get(fault, 0.0)
            if chance < threshold:
                return fault
        return None


_ITEM_PATH = re.compile(r"/items/(?P<id>[^/]+)")


class _BadInput(Exception):
    """A client error in the request: answered 400."""


class _Storm:
    def __init__(self, spec: FaultStormSpec) -> None:
        self._spec = spec
        self._arrivals = 0
        self._attempts: Counter[str] = Counter()
        self._streaks: Counter[str] = Counter()
        self._created: dict[int, dict[str, Any]] = {}
        self._created_by_key: dict[str, int] = {}
        self._next_id = spec.total_items + 1

    def state(self) -> dict[str, Any]:
        return {"created_items": list(self._created.values()), "attempts": dict(self._attempts)}

    def respond(self, request: Request) -> Action:
        fault = self._choose_fault(request)
        if fault is not None and not fault.processed:
            return self._turn_away(fault)
        try:
            reply = self._route(request)
        except _BadInput as error:
            reply = json_reply({"error": "bad_request", "detail": str(error)}, 400)
        return reply if fault is None else self._spoil(fault, reply)

    def _choose_fault(self, request: Request) -> Fault | None:
        spec = self._spec
        number, self._arrivals = self._arrivals, self._arrivals + 1
        key = spec.request_key(request)
        attempt = self._attempts[key]
        self._attempts[key] += 1
        fault: Fault | None
        if number < len(spec.script):
            fault = spec.script[number]
        elif (
            spec.max_consecutive_faults is not None
            and self._streaks[key] >= spec.max_consecutive_faults
        ):
            fault = None
        else:
            fault = spec.draw(key, attempt)
        self._streaks[key] = self._streaks[key] + 1 if fault is not None else 0
        return fault

    def _turn_away(self, fault: Fault) -> Action:
        if fault is Fault.RESET:
            return Reset(fault=fault)
        if fault is Fault.STALL:
            return Stall(self._spec.slow_seconds, fault=fault)
        if fault is Fault.RATE_LIMITED:
            return json_reply({"error": "rate_limited"}, 429, fault=fault)
        if fault is Fault.RATE_LIMITED_RETRY_NOW:
            return json_reply({"error": "rate_limited"}, 429, {"Retry-After": "0"}, fault=fault)
        if fault is Fault.RATE_LIMITED_RETRY_LATER:
            retry_after = {"Retry-After": str(self._spec.retry_after_seconds)}
            return json_reply({"error": "rate_limited"}, 429, retry_after, fault=fault)
        return json_reply({"error": f"injected {fault.value}"}, int(fault.value), fault=fault)

    def _spoil(self, fault: Fault, reply: Reply) -> Action:
        half = len(reply.body) // 2
        if fault is Fault.SLOW:
            return attrs.evolve(reply, delay=self._spec.slow_seconds, fault=fault)
        if fault is Fault.TRUNCATED:
            return Truncate(reply.body, half, reply.status, reply.headers, fault=fault)
        if fault is Fault.INVALID_JSON:
            # Half of a JSON object never parses: its braces do not balance.
            return attrs.evolve(reply, body=reply.body[:half], fault=fault)
        return Reply(200, b"", {"Content-Type": "application/json"}, fault=fault)

    def _route(self, request: Request) -> Reply:
        if request.path == "/ping" and request.method == "GET":
            return json_reply({"pong": True, "seq": request.seq})
        if request.path == "/items":
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return self._create(request)
            return json_reply({"error": "method_not_allowed"}, 405)
        match = _ITEM_PATH.fullmatch(request.path)
        if match is not None and request.method == "GET":
            return self._get(_int(match["id"], "item id"))
        return json_reply({"error": "not_found", "path": request.path}, 404)

    def _list(self, request: Request) -> Reply:
        total = self._spec.total_items
        page = _int(request.query.get("page", "1"), "page")
        size_text = request.query.get("per_page", request.query.get("limit"))
        size = self._spec.page_size if size_text is None else _int(size_text, "per_page")
        if page < 1 or size < 1:
            raise _BadInput("page and per_page must be at least 1")
        first = (page - 1) * size + 1
        last = min(first + size - 1, total)
        return json_reply(
            {
                "items": [item(i) for i in range(first, last + 1)],
                "page": page,
                "per_page": size,
                "total": total,
                "has_more": last < total,
            }
        )

    def _get(self, item_id: int) -> Reply:
        if 1 <= item_id <= self._spec.total_items:
            return json_reply(item(item_id))
        created = self._created.get(item_id)
        if created is not None:
            return json_reply(item(item_id, created["name"]))
        return json_reply({"error": "not_found", "id": item_id}, 404)

    def _create(self, request: Request) -> Reply:
        try:
            payload = request.json()
        except ValueError as error:
            raise _BadInput(f"body is not JSON: {error}") from None
        if payload is not None and not isinstance(payload, dict):
            raise _BadInput("body must be a JSON object")
        name = (payload or {}).get("name")
        key = request.header("idempotency-key")
        if self._spec.honor_idempotency_key and key is not None and key in self._created_by_key:
            created = self._created[self._created_by_key[key]]
            created["replays"] += 1
            return json_reply(_created_body(created), 201, {"Idempotent-Replayed": "true"})
        item_id, self._next_id = self._next_id, self._next_id + 1
        name = str(name) if name is not None else f"item-{item_id}"
        created = attrs.asdict(CreatedItem(item_id, name, key, request.seq))
        self._created[item_id] = created
        if key is not None:
            self._created_by_key.setdefault(key, item_id)
        return json_reply(_created_body(created), 201, {"Location": f"/items/{item_id}"})


def _created_body(created: dict[str, Any]) -> dict[str, Any]:
    return {**item(created["id"], created["name"]), "idempotency_key": created["idempotency_key"]}


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _BadInput(f"{what} must be an integer, not {text!r}") from None
