"""What a test server recorded, in the form tests read it.

The server process keeps these records and sends them as JSON over its control port;
`Recording.from_json` rebuilds them in the test process. Both ends use the classes here,
so the wire format has one definition.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

import attrs

from ._http import Request

__all__ = [
    "CREDENTIAL_HEADERS",
    "CREDENTIAL_PARAMS",
    "OK",
    "Arrival",
    "CreatedItem",
    "Recording",
    "TokenRequest",
]

# The fault label counted for a request served without a fault.
OK = "ok"

# Header and query parameter names that carry credentials in the APIs we generate for;
# `Arrival.credentials` looks for these (a test that knows its secret should also check
# `Arrival.contains(secret)`, which finds it anywhere).
CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "private-token",
    "x-access-token",
)
CREDENTIAL_PARAMS = (
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "client_secret",
    "auth",
)


@attrs.frozen
class Arrival:
    """One request as the server received it, and the fault it was served (None: none).

    ``at`` is the server's ``time.monotonic()`` when the request head had been read; on
    Linux that clock is shared by all processes, so it compares with the client's own.
    """

    seq: int
    at: float
    method: str
    target: str
    path: str
    query_string: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    connection: int
    fault: str | None

    @classmethod
    def from_request(cls, request: Request, fault: str | None) -> Arrival:
        return cls(
            seq=request.seq,
            at=request.arrived_at,
            method=request.method,
            target=request.target,
            path=request.path,
            query_string=request.query_string,
            query=request.query,
            headers=request.headers,
            body=request.body,
            connection=request.connection,
            fault=fault,
        )

    @property
    def ok(self) -> bool:
        """Served without an injected fault (an ordinary 4xx answer still counts as ok)."""
        return self.fault is None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def credentials(self) -> dict[str, str]:
        """Credential-looking headers and query params, as ``header:NAME`` / ``query:NAME``."""
        found = {f"header:{n}": self.headers[n] for n in CREDENTIAL_HEADERS if n in self.headers}
        found |= {f"query:{n}": v for n, v in self.query.items() if n.lower() in CREDENTIAL_PARAMS}
        return found

    def contains(self, secret: str) -> bool:
        """Whether `secret` appears anywhere in the request: target, headers or body."""
        if not secret:
            raise ValueError("an empty secret is in everything")
        if secret in self.target or secret.encode() in self.body:
            return True
        return any(secret in value for value in self.headers.values())

    def to_json(self) -> dict[str, Any]:
        fields = attrs.asdict(self)
        fields["body"] = base64.b64encode(self.body).decode("ascii")
        return fields

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Arrival:
        return cls(**{**data, "body": base64.b64decode(data["body"])})


@attrs.frozen
class TokenRequest:
    """One call to an OAuth2 token endpoint and what came of it.

    ``client_auth`` is how the client authenticated: "body", "basic", "both" or "none".
    ``outcome`` is "granted" or the OAuth2 error code answered ("invalid_grant",
    "invalid_client", ...); ``reason`` says why a grant failed ("reused", "unknown",
    "rejected" when the server is set to reject every refresh).
    """

    seq: int
    grant_type: str | None
    client_auth: str
    client_id: str | None
    refresh_token: str | None
    outcome: str
    reason: str | None = None
    access_token: str | None = None
    new_refresh_token: str | None = None

    @property
    def granted(self) -> bool:
        return self.outcome == "granted"


@attrs.frozen
class CreatedItem:
    """An item a POST created, with the Idempotency-Key it came with.

    ``replays`` counts later requests with the same key that were answered with this same
    item instead of creating another.
    """

    id: int
    name: str
    idempotency_key: str | None
    seq: int
    replays: int = 0


@attrs.frozen
class Recording:
    """Everything one server recorded since it started (or was last reset).

    ``fault_counts`` maps each fault label to its number of arrivals, with ``"ok"`` for
    those served normally. ``state`` is the scenario's raw state; ``token_requests`` and
    ``created_items`` are the typed views of the parts of it tests check most.
    """

    arrivals: tuple[Arrival, ...]
    connections: int
    max_in_flight: int
    fault_counts: Mapping[str, int]
    state: Mapping[str, Any]

    @property
    def token_requests(self) -> tuple[TokenRequest, ...]:
        return tuple(TokenRequest(**entry) for entry in self.state.get("token_requests", ()))

    @property
    def created_items(self) -> tuple[CreatedItem, ...]:
        return tuple(CreatedItem(**entry) for entry in self.state.get("created_items", ()))

    def select(
        self, *, method: str | None = None, path: str | None = None, ok: bool | None = None
    ) -> list[Arrival]:
        """The arrivals with this method, path and fault-or-not (None: any)."""
        return [
            arrival
            for arrival in self.arrivals
            if (method is None or arrival.method == method.upper())
            and (path is None or arrival.path == path)
            and (ok is None or arrival.ok == ok)
        ]

    def times(
        self, *, method: str | None = None, path: str | None = None, ok: bool | None = None
    ) -> list[float]:
        """Arrival stamps of `select`'s arrivals, in arrival order (for `max_in_window`)."""
        return [arrival.at for arrival in self.select(method=method, path=path, ok=ok)]

    @staticmethod
    def count_faults(arrivals: Sequence[Arrival]) -> dict[str, int]:
        return dict(Counter(arrival.fault or OK for arrival in arrivals))

    def to_json(self) -> dict[str, Any]:
        return {
            "arrivals": [arrival.to_json() for arrival in self.arrivals],
            "connections": self.connections,
            "max_in_flight": self.max_in_flight,
            "counts": dict(self.fault_counts),
            "state": dict(self.state),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recording:
        return cls(
            arrivals=tuple(Arrival.from_json(entry) for entry in data["arrivals"]),
            connections=data["connections"],
            max_in_flight=data["max_in_flight"],
            fault_counts=data["counts"],
            state=data["state"],
        )
