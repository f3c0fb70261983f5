"""State that connectors share across processes: rate limits, OAuth2 tokens, sync checkpoints.

A vendor counts requests per app or per credential, and an OAuth2 refresh token may be used
only once, however many workers (Celery, Ray, plain processes) call the API. A
`StateBackend` holds what those workers must agree on, in three stores:

- ``rate_limits``: admission for `RateLimiter` (the `RateLimitBackend` protocol: a permit
  counts from admission until its response, then one window more; leases free the permits
  of a crashed worker; ``Retry-After`` blocks apply to every worker).
- ``tokens``: one record per credential with a version for compare-and-swap, the failure
  of the last refresh, and a refresh lock with expiry and a fencing token.
  `SharedTokenCoordinator` builds single-flight refresh across processes on it: the process
  that takes the lock refreshes and stores the new token, the others wait and use it.
- ``checkpoints``: JSON values by key with compare-and-set, for incremental sync cursors.

Two implementations: `InMemoryStateBackend` (this process only, nothing to set up) and the
Redis one in ``connectory.core._redis`` (``pip install connectory[redis]``). A connector
takes ``state="redis://host:6379/0"`` (or a backend object), or reads the environment
variable ``CONNECTORY_STATE_URL``; `state_backend_from_url` makes one backend per URL and
process. Without either, every connector keeps its own in-process limiter, as before.

Written here rather than taken from a library: the stores are what the limiter and
`OAuth2Auth` need and no more, and the refresh lock needs a fencing token checked by the
same atomic step that stores the token, which redis-py's `Lock` (and the lock libraries
over it) do not provide.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import attrs
import orjson

from . import _errors
from ._auth import (
    CoordinatedTokenStore,
    OAuth2Auth,
    OAuth2Token,
    RefreshTurn,
    SharedFailure,
    TokenCoordinator,
    TokenStore,
)
from ._errors import ConfigurationError, ConnectorError, TransportError
from ._ratelimit import InMemoryRateLimitBackend, RateLimitBackend
from ._redact import get_logger

__all__ = [
    "STATE_URL_ENV",
    "JSON",
    "CheckpointStore",
    "InMemoryCheckpointStore",
    "InMemoryStateBackend",
    "InMemoryTokenStore",
    "RateLimitBackend",
    "RefreshFailure",
    "SharedTokenCoordinator",
    "StateBackend",
    "TokenRecord",
    "TokenStateStore",
    "coordinated_token_store",
    "oauth2_credential_id",
    "resolve_state",
    "safe_url",
    "state_backend_from_url",
]

STATE_URL_ENV = "CONNECTORY_STATE_URL"
"""The environment variable a connector reads its state URL from when given none."""

JSON = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None

logger = get_logger("connectory.state")


# -- records -------------------------------------------------------------------------------


@attrs.frozen
class RefreshFailure:
    """Why the last refresh of a shared token failed, as every process reads it.

    ``kind`` is the error class (``AuthenticationError``, ``TransportError``, ...), ``code``
    the OAuth2 error code when the token endpoint gave one (``invalid_grant``). A ``final``
    failure stands until a new token is stored; another one only fails the processes that
    waited for that refresh. No response body is kept: token endpoints echo secrets.
    """

    kind: str
    message: str
    code: str | None = None
    status_code: int | None = None
    final: bool = False

    @classmethod
    def of(cls, error: ConnectorError, *, code: str | None, final: bool) -> RefreshFailure:
        return cls(type(error).__name__, error.message, code, error.status_code, final)

    def error(self) -> ConnectorError:
        """The failure as an exception of its kind, for this process to raise."""
        kind = getattr(_errors, self.kind, None)
        if not (isinstance(kind, type) and issubclass(kind, ConnectorError)):
            kind = ConnectorError
        return kind(
            f"{self.message} (token refresh in another process)",
            status_code=self.status_code,
            operation="oauth2_token",
        )

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefreshFailure:
        return cls(**data)


@attrs.frozen
class TokenRecord:
    """A credential's shared token. ``version`` grows by one with every stored token;
    ``fence`` is the highest fencing token that stored one; ``failures`` counts the failed
    refreshes so far (a waiter sees it grow when the refresh it waited for failed)."""

    token: OAuth2Token
    version: int
    fence: int = 0
    failure: RefreshFailure | None = None
    failures: int = 0


def token_to_json(token: OAuth2Token) -> bytes:
    return orjson.dumps(
        {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_at": token.expires_at,
            "token_type": token.token_type,
            "scope": token.scope,
        }
    )


def token_from_json(data: bytes | str) -> OAuth2Token:
    fields = orjson.loads(data)
    return OAuth2Token(**fields)


def encode_json(value: JSON) -> bytes:
    """The one encoding of a checkpoint value: compare-and-set compares these bytes."""
    if value is None:
        raise ValueError("a checkpoint value cannot be None (None means absent: delete it)")
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# -- protocols -----------------------------------------------------------------------------


class TokenStateStore(Protocol):
    """Shared OAuth2 token records, a refresh lock per record, and aliases between records.

    Every call is atomic per key. Versions start at 1; 0 means "no record".
    """

    async def load(self, key: str) -> TokenRecord | None: ...

    async def compare_and_swap(
        self, key: str, expected_version: int, token: OAuth2Token, *, fence: int = 0
    ) -> TokenRecord:
        """Store `token` if the record is still at `expected_version` and no holder with a
        higher fencing token stored one since; clears the failure. Returns the record as it
        is afterwards (its version says whether the swap happened)."""
        ...

    async def put(self, key: str, token: OAuth2Token) -> TokenRecord:
        """Store `token` whatever is there (new credentials): clears a final failure."""
        ...

    async def record_failure(
        self, key: str, expected_version: int, failure: RefreshFailure
    ) -> bool:
        """Record `failure` if the record is still at `expected_version`."""
        ...

    async def acquire_lock(self, key: str, ttl: float) -> int | None:
        """Take the refresh lock for `ttl` seconds: its fencing token, or None if held."""
        ...

    async def release_lock(self, key: str, fence: int) -> None:
        """Release the lock if `fence` still holds it."""
        ...

    async def resolve(self, alias: str) -> str | None:
        """The record `alias` points to, if any."""
        ...

    async def link(self, alias: str, key: str) -> None:
        """Make `alias` point to record `key`."""
        ...

    def load_sync(self, key: str) -> TokenRecord | None: ...

    def put_sync(self, key: str, token: OAuth2Token) -> TokenRecord: ...


class CheckpointStore(Protocol):
    """JSON values by key, for incremental sync (cursors, high-water marks).

    Values compare by their canonical JSON encoding (sorted keys), so ``1`` and ``1.0``
    differ. None means absent; store None by deleting the key.
    """

    async def get(self, key: str) -> JSON | None: ...

    async def put(self, key: str, value: JSON) -> None: ...

    async def compare_and_set(self, key: str, expected: JSON | None, value: JSON) -> bool:
        """Store `value` if the key holds `expected` now (None: if it is absent)."""
        ...

    async def delete(self, key: str) -> None: ...

    def get_sync(self, key: str) -> JSON | None: ...

    def put_sync(self, key: str, value: JSON) -> None: ...

    def compare_and_set_sync(self, key: str, expected: JSON | None, value: JSON) -> bool: ...

    def delete_sync(self, key: str) -> None: ...


class StateBackend(Protocol):
    """Where connectors in many processes keep what they share."""

    @property
    def url(self) -> str:
        """Where the state lives, without credentials (for messages)."""
        ...

    @property
    def rate_limits(self) -> RateLimitBackend: ...

    @property
    def tokens(self) -> TokenStateStore: ...

    @property
    def checkpoints(self) -> CheckpointStore: ...

    async def check(self) -> None:
        """Raise `ConnectorError` naming `url` if the state cannot be reached."""
        ...

    async def aclose(self) -> None:
        """Close this event loop's connections (they reopen on next use)."""
        ...


# -- in memory -----------------------------------------------------------------------------


class InMemoryTokenStore:
    """`TokenStateStore` in this process's memory; thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._mutex = threading.Lock()
        self._records: dict[str, TokenRecord] = {}
        self._locks: dict[str, tuple[int, float]] = {}  # key -> (fence, expires at)
        self._fences: dict[str, int] = {}
        self._aliases: dict[str, str] = {}

    def load_sync(self, key: str) -> TokenRecord | None:
        with self._mutex:
            return self._records.get(key)

    def compare_and_swap_sync(
        self, key: str, expected_version: int, token: OAuth2Token, *, fence: int = 0
    ) -> TokenRecord:
        with self._mutex:
            record = self._records.get(key)
            version = record.version if record else 0
            stored_fence = record.fence if record else 0
            if version == expected_version and fence >= stored_fence:
                failures = record.failures if record else 0
                record = self._records[key] = TokenRecord(token, version + 1, fence, None, failures)
            assert record is not None  # a missing record matches expected_version 0
            return record

    def put_sync(self, key: str, token: OAuth2Token) -> TokenRecord:
        with self._mutex:
            record = self._records.get(key)
            version, fence, failures = (
                (record.version, record.fence, record.failures) if record else (0, 0, 0)
            )
            stored = self._records[key] = TokenRecord(token, version + 1, fence, None, failures)
            return stored

    async def load(self, key: str) -> TokenRecord | None:
        return self.load_sync(key)

    async def compare_and_swap(
        self, key: str, expected_version: int, token: OAuth2Token, *, fence: int = 0
    ) -> TokenRecord:
        return self.compare_and_swap_sync(key, expected_version, token, fence=fence)

    async def put(self, key: str, token: OAuth2Token) -> TokenRecord:
        return self.put_sync(key, token)

    async def record_failure(
        self, key: str, expected_version: int, failure: RefreshFailure
    ) -> bool:
        with self._mutex:
            record = self._records.get(key)
            if record is None or record.version != expected_version:
                return False
            self._records[key] = attrs.evolve(record, failure=failure, failures=record.failures + 1)
            return True

    async def acquire_lock(self, key: str, ttl: float) -> int | None:
        with self._mutex:
            now = self._clock()
            held = self._locks.get(key)
            if held is not None and held[1] > now:
                return None
            fence = self._fences[key] = self._fences.get(key, 0) + 1
            self._locks[key] = (fence, now + ttl)
            return fence

    async def release_lock(self, key: str, fence: int) -> None:
        with self._mutex:
            held = self._locks.get(key)
            if held is not None and held[0] == fence:
                del self._locks[key]

    async def resolve(self, alias: str) -> str | None:
        with self._mutex:
            return self._aliases.get(alias)

    async def link(self, alias: str, key: str) -> None:
        with self._mutex:
            self._aliases[alias] = key


class InMemoryCheckpointStore:
    """`CheckpointStore` in this process's memory; thread-safe."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._values: dict[str, bytes] = {}

    def get_sync(self, key: str) -> JSON | None:
        with self._mutex:
            raw = self._values.get(key)
        return None if raw is None else _decoded(raw)

    def put_sync(self, key: str, value: JSON) -> None:
        encoded = encode_json(value)
        with self._mutex:
            self._values[key] = encoded

    def compare_and_set_sync(self, key: str, expected: JSON | None, value: JSON) -> bool:
        wanted = None if expected is None else encode_json(expected)
        encoded = encode_json(value)
        with self._mutex:
            if self._values.get(key) != wanted:
                return False
            self._values[key] = encoded
            return True

    def delete_sync(self, key: str) -> None:
        with self._mutex:
            self._values.pop(key, None)

    async def get(self, key: str) -> JSON | None:
        return self.get_sync(key)

    async def put(self, key: str, value: JSON) -> None:
        self.put_sync(key, value)

    async def compare_and_set(self, key: str, expected: JSON | None, value: JSON) -> bool:
        return self.compare_and_set_sync(key, expected, value)

    async def delete(self, key: str) -> None:
        self.delete_sync(key)


def _decoded(raw: bytes) -> JSON:
    value: JSON = orjson.loads(raw)
    return value


class InMemoryStateBackend:
    """Shared state within one process (threads, several connectors, several loops)."""

    def __init__(self, url: str = "memory://") -> None:
        self._url = url
        self._rate_limits = InMemoryRateLimitBackend()
        self._tokens = InMemoryTokenStore()
        self._checkpoints = InMemoryCheckpointStore()

    def __repr__(self) -> str:
        return f"InMemoryStateBackend({self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    @property
    def rate_limits(self) -> InMemoryRateLimitBackend:
        return self._rate_limits

    @property
    def tokens(self) -> InMemoryTokenStore:
        return self._tokens

    @property
    def checkpoints(self) -> InMemoryCheckpointStore:
        return self._checkpoints

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


# -- single-flight refresh across processes -------------------------------------------------


def oauth2_credential_id(auth: OAuth2Auth) -> Callable[[str | None], str]:
    """The id of `auth`'s credential record, as a function of a refresh token.

    A digest, never a secret: the token URL, client id, grant and scopes, plus (refresh
    grant) the refresh token the process was given, or (client-credentials grant) the client
    secret, so new credentials start a record of their own. A rotated refresh token is
    linked to the record it came from, so a worker started later from a token the
    `token_store` saved finds the same record.
    """
    base = [auth.token_url or "", auth.client_id or "", auth.grant, " ".join(sorted(auth.scopes))]
    if auth.grant == "client_credentials":
        # The secret is private to OAuth2Auth; only its digest leaves this function.
        secret = auth._client_secret or ""

        def identity(refresh_token: str | None) -> str:
            return _digest("oauth2", *base, secret)

    else:

        def identity(refresh_token: str | None) -> str:
            return _digest("oauth2", *base, refresh_token or "")

    return identity


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


@attrs.define
class _Turn:
    """This process holds the refresh lock of `key` (fencing token `fence`)."""

    tokens: TokenStateStore
    identity: Callable[[str | None], str]
    key: str
    version: int
    fence: int
    base: OAuth2Token

    async def succeeded(self, token: OAuth2Token) -> OAuth2Token:
        try:
            record = await self.tokens.compare_and_swap(
                self.key, self.version, token, fence=self.fence
            )
            if record.version != self.version + 1 or record.token != token:
                return record.token  # another process stored one first: everyone uses that
            refresh = token.refresh_token
            if refresh is not None and refresh != self.base.refresh_token:
                alias = self.identity(refresh)
                if alias != self.key:
                    await self.tokens.link(alias, self.key)
            return token
        except ConnectorError as exc:
            # The token is good; only sharing it failed. The token_store still gets it.
            logger.warning("could not store the refreshed token in shared state: %s", exc)
            return token
        finally:
            await self._release()

    async def failed(self, error: ConnectorError, *, code: str | None, final: bool) -> None:
        try:
            failure = RefreshFailure.of(error, code=code, final=final)
            await self.tokens.record_failure(self.key, self.version, failure)
        except ConnectorError as exc:
            logger.warning("could not record the failed refresh in shared state: %s", exc)
        finally:
            await self._release()

    async def _release(self) -> None:
        try:
            await self.tokens.release_lock(self.key, self.fence)
        except ConnectorError as exc:  # it expires on its own
            logger.warning("could not release the token refresh lock: %s", exc)


class SharedTokenCoordinator:
    """`TokenCoordinator` over a `TokenStateStore`: one refresh at a time across processes.

    `begin` finds the stored token newer than the caller's (use it), or takes the refresh
    lock (refresh, then `succeeded` stores the token with compare-and-swap), or waits,
    polling, for the holder's outcome: its token, or its failure. A final failure answers
    every later `begin` until a new token is stored. The lock expires after `lock_ttl`
    seconds, so a holder that died only delays the others; it must outlast a token request
    with its retries. Waiting ends after `wait_timeout` seconds with a `TransportError`.
    """

    def __init__(
        self,
        tokens: TokenStateStore,
        identity: Callable[[str | None], str],
        initial_refresh_token: str | None,
        *,
        lock_ttl: float = 60.0,
        wait_timeout: float | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = tokens
        self._identity = identity
        self._given = identity(initial_refresh_token)
        self._key: str | None = None
        self.lock_ttl = lock_ttl
        self.wait_timeout = lock_ttl + 10.0 if wait_timeout is None else wait_timeout
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"SharedTokenCoordinator(key={self._key or self._given!r})"

    async def key(self) -> str:
        """The record this credential's token lives in (followed through a link once)."""
        if self._key is None:
            self._key = await self.tokens.resolve(self._given) or self._given
        return self._key

    async def load(self) -> OAuth2Token | None:
        record = await self.tokens.load(await self.key())
        return None if record is None else record.token

    async def begin(self, current: OAuth2Token) -> OAuth2Token | RefreshTurn | SharedFailure:
        key = await self.key()
        deadline = self._clock() + self.wait_timeout
        failures_seen: int | None = None  # set once this process starts waiting
        pause = 0.01
        while True:
            record = await self.tokens.load(key)
            if record is None:
                # Nothing stored yet (or the store lost it): this process's token is the
                # newest it knows of.
                record = await self.tokens.compare_and_swap(key, 0, current)
            failure = record.failure
            if failure is not None and (
                failure.final or (failures_seen is not None and record.failures > failures_seen)
            ):
                return SharedFailure(failure.error(), final=failure.final)
            if not _same_token(record.token, current):
                return record.token
            fence = await self.tokens.acquire_lock(key, self.lock_ttl)
            if fence is not None:
                latest = await self.tokens.load(key)
                if latest is not None and latest.version != record.version:
                    await self.tokens.release_lock(key, fence)  # stored meanwhile: look again
                    continue
                return _Turn(self.tokens, self._identity, key, record.version, fence, record.token)
            if failures_seen is None:
                failures_seen = record.failures
            if self._clock() >= deadline:
                return SharedFailure(
                    TransportError(
                        f"no token refresh finished within {self.wait_timeout:g} s in another "
                        "process",
                        operation="oauth2_token",
                    ),
                    final=False,
                )
            await self._sleep(pause)
            pause = min(pause * 2, 0.2)


def _same_token(a: OAuth2Token, b: OAuth2Token) -> bool:
    return a.access_token == b.access_token and a.refresh_token == b.refresh_token


def coordinated_token_store(
    state: StateBackend, store: TokenStore | None = None, *, lock_ttl: float = 60.0
) -> CoordinatedTokenStore:
    """A `token_store` for OAuth2Auth that shares its token through `state` and still
    hands every token this process obtains to `store` (so it survives a state restart)."""

    def coordinator_for(auth: OAuth2Auth) -> TokenCoordinator | None:
        if not auth.can_refresh():
            return None  # nothing to refresh, nothing to share
        return SharedTokenCoordinator(
            state.tokens,
            oauth2_credential_id(auth),
            auth.token.refresh_token,
            lock_ttl=lock_ttl,
        )

    return CoordinatedTokenStore(coordinator_for, store)


# -- choosing a backend --------------------------------------------------------------------

_BACKENDS: dict[tuple[str, str | None], StateBackend] = {}
_BACKENDS_LOCK = threading.Lock()
_FALLBACKS = ("memory",)


def safe_url(url: str) -> str:
    """`url` without user, password or query (which may carry a password)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def state_backend_from_url(url: str, *, fallback: str | None = None) -> StateBackend:
    """The backend for `url`, one per URL in each process.

    ``redis://``, ``rediss://`` (TLS) and ``unix://`` URLs take redis-py's parameters plus
    ``state_fallback=memory``, ``restart_hold``, ``retry_for`` and ``prefix`` (see
    ``connectory.core._redis``); ``memory://`` is a process-wide in-memory backend;
    ``file:///dir`` keeps checkpoints in files in that directory, the rest in memory.
    ``fallback="memory"`` (or ``state_fallback=memory`` in the URL) uses memory, with a
    logged warning, when Redis cannot be reached instead of raising.
    """
    if fallback is not None and fallback not in _FALLBACKS:
        raise ConfigurationError(
            f"state_fallback: expected one of {', '.join(_FALLBACKS)}, got {fallback!r}"
        )
    scheme = urlsplit(url).scheme.lower()
    key = (url, fallback)
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get(key)
        if backend is not None:
            return backend
        if scheme == "memory":
            backend = InMemoryStateBackend(safe_url(url))
        elif scheme in ("redis", "rediss", "unix"):
            from ._redis import RedisStateBackend

            backend = RedisStateBackend.from_url(url, fallback=fallback)
        elif scheme == "file":
            # Checkpoints in a directory, the rest in memory (connectory.core._filestate).
            from ._filestate import FileStateBackend

            backend = FileStateBackend.from_url(url)
        else:
            raise ConfigurationError(
                f"state: unsupported URL {safe_url(url)!r}; expected redis://, rediss://, "
                "unix://, memory:// or file:///dir"
            )
        _BACKENDS[key] = backend
        return backend


def resolve_state(
    state: str | StateBackend | None, *, fallback: str | None = None
) -> StateBackend | None:
    """The backend a connector uses: `state` as given, else ``CONNECTORY_STATE_URL``."""
    if state is None:
        state = os.environ.get(STATE_URL_ENV) or None
        if state is None:
            return None
    if isinstance(state, str):
        return state_backend_from_url(state, fallback=fallback)
    return state
