"""Shared state in Redis: rate-limit admission, OAuth2 token records and sync checkpoints.

``redis`` is imported when a backend is first made, so the runtime does not depend on it
(``pip install connectory[redis]``). Every process keeps one connection pool per URL (and,
for asyncio, per event loop, as redis-py requires), made on first use.

Rate limits. The algorithm is the in-memory backend's (see ``connectory.core._ratelimit``):
a permit counts from admission until its response arrives and one window more; an
in-flight permit carries a lease, so a killed worker's permits count until lease + window
and no longer. Each limiter key has three Redis keys under one hash tag,
``connectory:rl:{<connector>:<credential-or-app>}``: ``:f``, a sorted set of in-flight
permits scored by lease deadline; ``:d``, a sorted set of finished permits scored by
finish time, which serves every window at once (each window counts the members within
its own length, so the longest one decides what is kept); and ``:m``, a hash with the
block a ``Retry-After`` set, the permit counter and the state's epoch. The credential part
is a digest of what follows the connector name in the limiter key (``app`` when nothing
does), so no secret reaches Redis. Each operation is one Lua script, run with EVALSHA and
sent whole with EVAL when the server answers NOSCRIPT (after a restart, say), and reads
the clock with Redis ``TIME``, so workers on several machines agree on it.

Why Lua of our own rather than the ``limits`` library: its strategies record a hit at the
moment it is taken and have no request in flight, while the limit here must hold at the
vendor's server, which needs permits that count until their response arrives and one
window more, leases for crashed holders, all windows checked and taken in one atomic step
(``limits`` hits each limit on its own), and blocks set from response headers and shared
by all workers. None of that fits its hit/test interface, and the scripts are short.

A Redis restart (or failover without persistence) loses the state while workers hold
permits. Each process therefore keeps a journal of what it put into each key (its
in-flight permits, its finishes within the longest window, its blocks); when a reply
shows a new epoch for a key, the process writes its journal back. The first script to
run on a key in a fresh server, if the server started less than lease + window ago, holds
admission on that key for ``restart_hold`` seconds (default 1 s, twice the longest
reconnect pause) so that every live worker can restore its journal before anything new
is admitted. A worker that makes no call through the hold restores its journal only at
its next call; until then its in-flight permits count from their responses and its recent
finishes not at all (``docs/shared-state.md`` says how to avoid that for long windows).

Tokens. One hash per credential record (``connectory:tok:{<id>}``: version, token JSON,
fence, failure, failures), a lock key with expiry holding the fencing token of its holder,
and links from rotated refresh tokens to the record. `connectory.core.state` builds the
single-flight refresh on these. Tokens are stored as they are: protect Redis (TLS with
``rediss://``, ACLs) as you would the tokens themselves.

Failures. Before the first successful call a backend fails at once with a
`ConnectorError` naming the URL (without credentials); afterwards it retries connection
errors for ``retry_for`` seconds (default 30) before raising, so a restart does not fail
requests. With ``state_fallback=memory`` it switches to in-process state instead, with a
logged warning: limits then hold per process only. Run the Redis that holds this state
with ``maxmemory-policy noeviction``: an evicted key is lost state.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from ._auth import OAuth2Token
from ._errors import ConfigurationError, ConnectorError
from ._ratelimit import InMemoryRateLimitBackend, Window
from .state import (
    JSON,
    InMemoryCheckpointStore,
    InMemoryStateBackend,
    InMemoryTokenStore,
    RefreshFailure,
    TokenRecord,
    encode_json,
    logger,
    safe_url,
    token_from_json,
    token_to_json,
)

if TYPE_CHECKING:
    from types import ModuleType

T = TypeVar("T")

# Parameters of ours in a state URL; the rest go to redis-py.
_OWN_PARAMETERS = ("state_fallback", "restart_hold", "retry_for", "prefix")
# redis-py waits 5 s by default; shared state on a slow link should fail sooner.
_DEFAULT_TIMEOUTS = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
_LONGEST_PAUSE = 0.5  # between reconnect attempts
_ALIAS_TTL = 30 * 86_400  # how long a rotated refresh token finds its record


def _redis_modules() -> tuple[ModuleType, ModuleType]:
    try:
        import redis
        import redis.asyncio
    except ImportError:  # pragma: no cover - the dev install has it
        raise ConfigurationError(
            "shared state in Redis needs the redis package: pip install 'connectory[redis]'"
        ) from None
    return redis, redis.asyncio


# -- Lua ---------------------------------------------------------------------------------

_PRELUDE = """
local function fmt(x) return string.format('%.17g', x) end
local function clock()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function extend(key, ms)
  local left = redis.call('PTTL', key)
  if left ~= -2 and left < ms then redis.call('PEXPIRE', key, ms) end
end
"""

# KEYS: meta, in flight, done. ARGV: now or '', lease, restart hold, window count, then
# (length, limit) per window. Returns {1, permit, epoch, now} or {0, wait, epoch, now}.
_RESERVE = """
local meta, flight, done = KEYS[1], KEYS[2], KEYS[3]
local now = clock()
local lease, hold, n = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local longest = 0
for i = 1, n do longest = math.max(longest, tonumber(ARGV[3 + 2 * i])) end
local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  -- A new state: first use, idle expiry, or a server that lost it. In a server that
  -- started within lease + window, hold admission so live workers can restore theirs.
  epoch = fmt(now)
  if hold > 0 then
    local up = tonumber(string.match(redis.call('INFO', 'server'), 'uptime_in_seconds:(%d+)'))
    local blocked = tonumber(redis.call('HGET', meta, 'blocked') or '0')
    if (up == nil or up <= lease + longest) and now + hold > blocked then
      redis.call('HSET', meta, 'blocked', fmt(now + hold))
    end
  end
  redis.call('HSET', meta, 'epoch', epoch)
  -- Permit ids start at the clock in microseconds: above any id of a lost state.
  redis.call('HSETNX', meta, 'seq', string.format('%d', math.floor(now * 1000000)))
end
local expired = redis.call('ZRANGEBYSCORE', flight, '-inf', '(' .. fmt(now), 'WITHSCORES')
for i = 1, #expired, 2 do redis.call('ZADD', done, expired[i + 1], expired[i]) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', flight, '-inf', '(' .. fmt(now)) end
redis.call('ZREMRANGEBYSCORE', done, '-inf', '(' .. fmt(now - longest))
local wait = tonumber(redis.call('HGET', meta, 'blocked') or '0') - now
local in_flight = redis.call('ZCARD', flight)
for i = 1, n do
  local length, limit = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  local horizon = now - length
  local finished = redis.call('ZCOUNT', done, fmt(horizon), '+inf')
  if in_flight + finished >= limit then
    if finished > 0 then
      local oldest = redis.call('ZRANGEBYSCORE', done, fmt(horizon), '+inf', 'WITHSCORES',
        'LIMIT', 0, 1)
      -- a finish exactly one window ago still counts: wait until just past it
      wait = math.max(wait, tonumber(oldest[2]) - horizon + 0.000001)
    else
      wait = math.max(wait, length)
    end
  end
end
local ttl = math.ceil((lease + longest) * 1000) + 1000
extend(meta, ttl)
if wait > 0 then return {0, fmt(wait), epoch, fmt(now)} end
local permit = redis.call('HINCRBY', meta, 'seq', 1)
redis.call('ZADD', flight, fmt(now + lease), permit)
extend(flight, ttl)
extend(done, ttl)
return {1, permit, epoch, fmt(now)}
"""

# KEYS: meta, in flight, done. ARGV: now or '', permit, ttl ms, the epoch the caller
# knows. Returns {epoch, now}.
_COMPLETE = """
local now = clock()
local permit = ARGV[2]
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ''
-- In flight: it counts from now. Gone in the state the caller knows: its lease ran out and
-- it was counted then. Gone from a state that was lost: count it from now, to be safe.
if redis.call('ZREM', KEYS[2], permit) == 1
    or (epoch ~= ARGV[4] and not redis.call('ZSCORE', KEYS[3], permit)) then
  redis.call('ZADD', KEYS[3], fmt(now), permit)
  if redis.call('PTTL', KEYS[3]) < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
end
return {epoch, fmt(now)}
"""

# KEYS: meta. ARGV: now or '', seconds, ttl ms. Returns the blocked-until time.
_BLOCK = """
local now = clock()
local seconds = tonumber(ARGV[2])
local blocked = math.max(tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0'), now + seconds)
redis.call('HSET', KEYS[1], 'blocked', fmt(blocked))
extend(KEYS[1], math.max(tonumber(ARGV[3]), math.ceil(seconds * 1000) + 1000))
return fmt(blocked)
"""

# KEYS: meta. ARGV: now or ''. Returns the seconds left of a block.
_BLOCKED_FOR = """
local now = clock()
return fmt(math.max(0, tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0') - now))
"""

# KEYS: meta, in flight, done. ARGV: now or '', ttl ms, blocked until, in-flight count,
# then (permit, lease deadline) pairs, then (permit, finish time) pairs.
_RESTORE = """
local now = clock()
local ttl = tonumber(ARGV[2])
local count = tonumber(ARGV[4])
local i = 5
for _ = 1, count do
  if tonumber(ARGV[i + 1]) >= now then
    redis.call('ZADD', KEYS[2], 'NX', ARGV[i + 1], ARGV[i])
  else
    redis.call('ZADD', KEYS[3], 'NX', ARGV[i + 1], ARGV[i])
  end
  i = i + 2
end
while i < #ARGV do
  redis.call('ZADD', KEYS[3], 'NX', ARGV[i + 1], ARGV[i])
  i = i + 2
end
local blocked = tonumber(ARGV[3])
if blocked > now and blocked > tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0') then
  redis.call('HSET', KEYS[1], 'blocked', ARGV[3])
end
extend(KEYS[1], ttl)
extend(KEYS[2], ttl)
extend(KEYS[3], ttl)
return 1
"""

# KEYS: record. ARGV: expected version, token JSON, fence. Returns the record's fields.
_TOKEN_CAS = """
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local fence = tonumber(ARGV[3])
if version == tonumber(ARGV[1]) and fence >= stored then
  redis.call('HSET', KEYS[1], 'version', version + 1, 'token', ARGV[2],
    'fence', math.max(stored, fence))
  redis.call('HDEL', KEYS[1], 'failure')
end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: record. ARGV: token JSON. Returns the record's fields.
_TOKEN_PUT = """
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'token', ARGV[1])
redis.call('HDEL', KEYS[1], 'failure')
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: record. ARGV: expected version, failure JSON. Returns 1 if recorded.
_TOKEN_FAIL = """
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'failure', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'failures', 1)
return 1
"""

# KEYS: lock, fence counter. ARGV: ttl ms. Returns the fencing token, or nil if held.
_LOCK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
return fence
"""

# KEYS: lock. ARGV: fencing token.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

# KEYS: key. ARGV: '1' if a value is expected (else absence), expected, new value.
_CHECKPOINT_CAS = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
"""


@attrs.frozen
class _Script:
    source: str
    sha: str

    @classmethod
    def of(cls, body: str, *, clocked: bool = False) -> _Script:
        source = _PRELUDE + body if clocked else body
        return cls(source, hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest())


RESERVE = _Script.of(_RESERVE, clocked=True)
COMPLETE = _Script.of(_COMPLETE, clocked=True)
BLOCK = _Script.of(_BLOCK, clocked=True)
BLOCKED_FOR = _Script.of(_BLOCKED_FOR, clocked=True)
RESTORE = _Script.of(_RESTORE, clocked=True)
TOKEN_CAS = _Script.of(_TOKEN_CAS)
TOKEN_PUT = _Script.of(_TOKEN_PUT)
TOKEN_FAIL = _Script.of(_TOKEN_FAIL)
LOCK = _Script.of(_LOCK)
UNLOCK = _Script.of(_UNLOCK)
CHECKPOINT_CAS = _Script.of(_CHECKPOINT_CAS)


# -- connections -----------------------------------------------------------------------


class _UseMemory(Exception):
    """Redis is unreachable and the backend was told to fall back to memory."""


_POOLS_LOCK = threading.Lock()
# One client (with its pool) per URL and event loop, and one sync client per URL.
_ASYNC_CLIENTS: dict[
    str, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, Any]]
] = {}
_SYNC_CLIENTS: dict[str, Any] = {}


class _Link:
    """Connections to one Redis URL, with the retry and fallback rules of the module."""

    def __init__(
        self, url: str, options: dict[str, Any], *, retry_for: float, fallback: bool
    ) -> None:
        self._url = url  # with credentials: never shown
        self._options = options
        self.safe_url = safe_url(url)
        self.retry_for = retry_for
        self.fallback = fallback
        self.fallen_back = False
        self._reached = False
        self._redis, self._aioredis = _redis_modules()
        # Connection trouble, and a replica promoted while this client still writes to
        # the old primary (failover): all pass once the server or its successor answers.
        self._transient = (
            self._redis.ConnectionError,
            self._redis.TimeoutError,
            self._redis.exceptions.ReadOnlyError,
        )

    def client(self) -> Any:
        """This event loop's client (redis-py's asyncio pools belong to one loop)."""
        loop = asyncio.get_running_loop()
        clients = _ASYNC_CLIENTS.get(self._url)
        entry = clients.get(loop) if clients is not None else None
        pid = os.getpid()
        if entry is None or entry[0] != pid:  # none yet, or the parent's before a fork
            with _POOLS_LOCK:
                clients = _ASYNC_CLIENTS.setdefault(self._url, weakref.WeakKeyDictionary())
                entry = clients.get(loop)
                if entry is None or entry[0] != pid:
                    pool = self._aioredis.ConnectionPool.from_url(self._url, **self._options)
                    entry = clients[loop] = (pid, self._aioredis.Redis(connection_pool=pool))
        return entry[1]

    def sync_client(self) -> Any:
        client = _SYNC_CLIENTS.get(self._url)
        if client is None:
            with _POOLS_LOCK:
                client = _SYNC_CLIENTS.get(self._url)
                if client is None:
                    # redis-py's sync pool notices a fork and reconnects in the child.
                    pool = self._redis.ConnectionPool.from_url(self._url, **self._options)
                    client = _SYNC_CLIENTS[self._url] = self._redis.Redis(connection_pool=pool)
        return client

    async def aclose(self) -> None:
        """Close this loop's idle connections; the pool stays (other users may hold some
        of its connections) and reconnects on next use."""
        clients = _ASYNC_CLIENTS.get(self._url)
        entry = clients.get(asyncio.get_running_loop()) if clients is not None else None
        if entry is not None and entry[0] == os.getpid():
            await entry[1].connection_pool.disconnect(inuse_connections=False)

    def _give_up(self, error: Exception) -> NoReturn:
        if self.fallback:
            if not self.fallen_back:
                self.fallen_back = True
                logger.warning(
                    "shared state at %s is unavailable (%s); falling back to this process's "
                    "memory: rate limits and tokens are no longer shared with other processes",
                    self.safe_url,
                    _describe(error),
                )
            raise _UseMemory from error
        raise ConnectorError(
            f"shared state at {self.safe_url} is unavailable: {_describe(error)}"
        ) from None

    def _retry_until(self, error: Exception, deadline: float | None) -> float:
        """After a connection error: the time to retry until, or give up now."""
        if not self._reached:
            self._give_up(error)  # never reached: a wrong URL or a server that is down
        now = time.monotonic()
        if deadline is None:
            return now + self.retry_for
        if now >= deadline:
            self._give_up(error)
        return deadline

    def _failed(self, error: Exception) -> ConnectorError:
        return ConnectorError(f"shared state at {self.safe_url}: {_describe(error)}")

    async def run(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        if self.fallen_back:
            raise _UseMemory
        deadline: float | None = None
        pause = 0.05
        while True:
            try:
                result = await operation(self.client())
            except self._transient as error:
                deadline = self._retry_until(error, deadline)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            except self._redis.RedisError as error:
                raise self._failed(error) from None
            self._reached = True
            return result

    def run_sync(self, operation: Callable[[Any], T]) -> T:
        if self.fallen_back:
            raise _UseMemory
        deadline: float | None = None
        pause = 0.05
        while True:
            try:
                result = operation(self.sync_client())
            except self._transient as error:
                deadline = self._retry_until(error, deadline)
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            except self._redis.RedisError as error:
                raise self._failed(error) from None
            self._reached = True
            return result

    async def script(self, script: _Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        no_script = self._redis.exceptions.NoScriptError

        async def call(client: Any) -> Any:
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except no_script:  # a new or restarted server: EVAL caches it again
                return await client.eval(script.source, len(keys), *keys, *args)

        return await self.run(call)

    def script_sync(self, script: _Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        no_script = self._redis.exceptions.NoScriptError

        def call(client: Any) -> Any:
            try:
                return client.evalsha(script.sha, len(keys), *keys, *args)
            except no_script:
                return client.eval(script.source, len(keys), *keys, *args)

        return self.run_sync(call)


def _describe(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(value: float) -> str:
    return repr(float(value))


# -- rate limits -------------------------------------------------------------------------


@attrs.define
class _Journal:
    """What this process put into one limiter key, to write back after a lost state."""

    epoch: str | None = None
    lease: float = 0.0
    longest: float = 0.0
    in_flight: dict[int, float] = attrs.Factory(dict)  # permit -> lease deadline
    done: deque[tuple[int, float]] = attrs.Factory(deque)  # (permit, finished at)
    blocked_until: float = 0.0

    def forget_before(self, horizon: float) -> None:
        while self.done and self.done[0][1] < horizon:
            self.done.popleft()

    def live(self, now: float) -> bool:
        self.forget_before(now - self.longest)
        return bool(self.in_flight or self.done) or self.blocked_until > now

    def restore_args(self) -> list[str]:
        ttl = math.ceil((self.lease + self.longest) * 1000) + 1000
        args = [str(ttl), _number(self.blocked_until), str(len(self.in_flight))]
        for permit, deadline in list(self.in_flight.items()):
            args += [str(permit), _number(deadline)]
        for permit, finished in list(self.done):
            args += [str(permit), _number(finished)]
        return args


class RedisRateLimitBackend:
    """`RateLimitBackend` in Redis, shared by every process that uses the same keys."""

    def __init__(
        self,
        link: _Link,
        *,
        prefix: str = "connectory",
        restart_hold: float = 1.0,
        clock: Callable[[], float] | None = None,
        memory: InMemoryRateLimitBackend | None = None,
    ) -> None:
        self._link = link
        self._prefix = prefix
        self.restart_hold = restart_hold
        self._clock = clock
        self._memory = memory or InMemoryRateLimitBackend()
        self._keys: dict[str, list[str]] = {}
        self._window_args: dict[tuple[Window, ...], list[str]] = {}
        self._journals: dict[str, _Journal] = {}
        self._mutex = threading.Lock()
        self._pid = os.getpid()

    def redis_keys(self, key: str) -> list[str]:
        """The meta, in-flight and done keys of limiter key `key`."""
        keys = self._keys.get(key)
        if keys is None:
            connector, _, rest = key.partition(":")
            holder = hashlib.sha256(rest.encode()).hexdigest()[:16] if rest else "app"
            base = f"{self._prefix}:rl:{{{connector}:{holder}}}"
            keys = self._keys[key] = [f"{base}:m", f"{base}:f", f"{base}:d"]
        return keys

    def _now(self) -> str:
        return "" if self._clock is None else _number(self._clock())

    def _journal(self, key: str) -> _Journal:
        pid = os.getpid()
        if pid != self._pid:  # a forked child: the parent's permits are not its own
            self._journals.clear()
            self._pid = pid
        journal = self._journals.get(key)
        if journal is None:
            with self._mutex:
                journal = self._journals.setdefault(key, _Journal())
        return journal

    def _windows(self, windows: Sequence[Window], lease: float) -> list[str]:
        window_args = self._window_args.get(tuple(windows))
        if window_args is None:
            window_args = [str(len(windows))]
            for length, limit in windows:
                window_args += [_number(length), str(int(limit))]
            self._window_args[tuple(windows)] = window_args
        return [_number(lease), _number(self.restart_hold), *window_args]

    async def reserve(self, key: str, windows: Sequence[Window], lease: float) -> int | float:
        if self._link.fallen_back:
            return await self._memory.reserve(key, windows, lease)
        keys = self.redis_keys(key)
        args = self._windows(windows, lease)
        journal = self._journal(key)
        journal.lease = lease
        journal.longest = max((length for length, _ in windows), default=0.0)
        while True:
            try:
                admitted, value, epoch, now = await self._link.script(
                    RESERVE, keys, [self._now(), *args]
                )
            except _UseMemory:
                return await self._memory.reserve(key, windows, lease)
            epoch, server_now = _text(epoch), float(now)
            if journal.epoch not in (None, epoch):
                journal.epoch = epoch
                if admitted:
                    # Admitted without counting what this process had: give it back (it
                    # counts a window, which errs on the safe side) and ask again.
                    await self._complete(key, keys, int(value), journal)
                with self._mutex:
                    live = journal.live(server_now)
                if live:
                    await self._restore(keys, journal)
                continue
            journal.epoch = epoch
            if not admitted:
                return float(value)
            permit = int(value)
            with self._mutex:
                journal.in_flight[permit] = server_now + lease
            return permit

    async def complete(self, key: str, permit: int) -> None:
        if self._link.fallen_back:
            await self._memory.complete(key, permit)
            return
        journal = self._journal(key)
        epoch = await self._complete(key, self.redis_keys(key), permit, journal)
        if epoch is not None and journal.epoch not in (None, epoch):
            journal.epoch = epoch or None
            await self._restore(self.redis_keys(key), journal)

    async def _complete(
        self, key: str, keys: list[str], permit: int, journal: _Journal
    ) -> str | None:
        with self._mutex:
            journal.in_flight.pop(permit, None)
        ttl = str(math.ceil(journal.longest * 1000) + 1000)
        try:
            epoch, now = await self._link.script(
                COMPLETE, keys, [self._now(), permit, ttl, journal.epoch or ""]
            )
        except _UseMemory:
            await self._memory.complete(key, permit)
            return None
        except ConnectorError as exc:
            # Not recorded: the permit counts until its lease runs out instead.
            logger.warning("could not record a finished request in shared state: %s", exc)
            return None
        finished = float(now)
        with self._mutex:
            journal.done.append((permit, finished))
            journal.forget_before(finished - journal.longest)
        return _text(epoch)

    async def _restore(self, keys: list[str], journal: _Journal) -> None:
        with self._mutex:
            args = journal.restore_args()
        try:
            await self._link.script(RESTORE, keys, [self._now(), *args])
        except _UseMemory:
            return
        logger.warning(
            "shared rate-limit state %s was lost (a Redis restart?); restored this "
            "process's permits",
            keys[0].removesuffix(":m"),
        )

    async def block(self, key: str, seconds: float) -> None:
        if self._link.fallen_back:
            await self._memory.block(key, seconds)
            return
        journal = self._journal(key)
        ttl = str(math.ceil((journal.lease + journal.longest) * 1000) + 1000)
        keys = self.redis_keys(key)[:1]
        try:
            until = await self._link.script(BLOCK, keys, [self._now(), _number(seconds), ttl])
        except _UseMemory:
            await self._memory.block(key, seconds)
            return
        journal.blocked_until = max(journal.blocked_until, float(until))

    async def blocked_for(self, key: str) -> float:
        if self._link.fallen_back:
            return await self._memory.blocked_for(key)
        try:
            left = await self._link.script(BLOCKED_FOR, self.redis_keys(key)[:1], [self._now()])
        except _UseMemory:
            return await self._memory.blocked_for(key)
        return float(left)


# -- tokens --------------------------------------------------------------------------------


def _record(reply: Sequence[Any]) -> TokenRecord | None:
    fields = {_text(reply[i]): reply[i + 1] for i in range(0, len(reply), 2)}
    token = fields.get("token")
    if token is None:
        return None
    failure = fields.get("failure")
    return TokenRecord(
        token=token_from_json(token),
        version=int(fields.get("version", 0)),
        fence=int(fields.get("fence", 0)),
        failure=None if failure is None else RefreshFailure.from_json(_json_object(failure)),
        failures=int(fields.get("failures", 0)),
    )


def _json_object(raw: Any) -> dict[str, Any]:
    import orjson

    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ConnectorError("shared state holds a malformed token failure record")
    return value


class RedisTokenStore:
    """`TokenStateStore` in Redis."""

    def __init__(self, link: _Link, *, prefix: str, memory: InMemoryTokenStore) -> None:
        self._link = link
        self._prefix = prefix
        self._memory = memory

    def _record_key(self, key: str) -> str:
        return f"{self._prefix}:tok:{{{key}}}"

    async def load(self, key: str) -> TokenRecord | None:
        name = self._record_key(key)
        try:
            reply = await self._link.run(lambda client: client.hgetall(name))
        except _UseMemory:
            return await self._memory.load(key)
        return _record([item for pair in reply.items() for item in pair])

    def load_sync(self, key: str) -> TokenRecord | None:
        name = self._record_key(key)
        try:
            reply = self._link.run_sync(lambda client: client.hgetall(name))
        except _UseMemory:
            return self._memory.load_sync(key)
        return _record([item for pair in reply.items() for item in pair])

    async def compare_and_swap(
        self, key: str, expected_version: int, token: OAuth2Token, *, fence: int = 0
    ) -> TokenRecord:
        args = [expected_version, token_to_json(token), fence]
        try:
            reply = await self._link.script(TOKEN_CAS, [self._record_key(key)], args)
        except _UseMemory:
            return await self._memory.compare_and_swap(key, expected_version, token, fence=fence)
        return _stored(reply)

    async def put(self, key: str, token: OAuth2Token) -> TokenRecord:
        try:
            reply = await self._link.script(
                TOKEN_PUT, [self._record_key(key)], [token_to_json(token)]
            )
        except _UseMemory:
            return await self._memory.put(key, token)
        return _stored(reply)

    def put_sync(self, key: str, token: OAuth2Token) -> TokenRecord:
        try:
            reply = self._link.script_sync(
                TOKEN_PUT, [self._record_key(key)], [token_to_json(token)]
            )
        except _UseMemory:
            return self._memory.put_sync(key, token)
        return _stored(reply)

    async def record_failure(
        self, key: str, expected_version: int, failure: RefreshFailure
    ) -> bool:
        import orjson

        args = [expected_version, orjson.dumps(failure.to_json())]
        try:
            done = await self._link.script(TOKEN_FAIL, [self._record_key(key)], args)
        except _UseMemory:
            return await self._memory.record_failure(key, expected_version, failure)
        return bool(int(done))

    async def acquire_lock(self, key: str, ttl: float) -> int | None:
        name = self._record_key(key)
        try:
            fence = await self._link.script(
                LOCK, [f"{name}:lock", f"{name}:fence"], [math.ceil(ttl * 1000)]
            )
        except _UseMemory:
            return await self._memory.acquire_lock(key, ttl)
        return None if fence is None else int(fence)

    async def release_lock(self, key: str, fence: int) -> None:
        try:
            await self._link.script(UNLOCK, [f"{self._record_key(key)}:lock"], [fence])
        except _UseMemory:
            await self._memory.release_lock(key, fence)

    async def resolve(self, alias: str) -> str | None:
        name = f"{self._prefix}:tok:alias:{alias}"
        try:
            value = await self._link.run(lambda client: client.get(name))
        except _UseMemory:
            return await self._memory.resolve(alias)
        return None if value is None else _text(value)

    async def link(self, alias: str, key: str) -> None:
        name = f"{self._prefix}:tok:alias:{alias}"
        try:
            await self._link.run(lambda client: client.set(name, key, ex=_ALIAS_TTL))
        except _UseMemory:
            await self._memory.link(alias, key)


def _stored(reply: Sequence[Any]) -> TokenRecord:
    record = _record(reply)
    if record is None:  # pragma: no cover - the scripts always leave a token
        raise ConnectorError("shared state lost a token record while storing it")
    return record


# -- checkpoints -------------------------------------------------------------------------


class RedisCheckpointStore:
    """`CheckpointStore` in Redis: one string key per checkpoint, JSON inside."""

    def __init__(self, link: _Link, *, prefix: str, memory: InMemoryCheckpointStore) -> None:
        self._link = link
        self._prefix = prefix
        self._memory = memory

    def _key(self, key: str) -> str:
        return f"{self._prefix}:kv:{key}"

    async def get(self, key: str) -> JSON | None:
        name = self._key(key)
        try:
            raw = await self._link.run(lambda client: client.get(name))
        except _UseMemory:
            return await self._memory.get(key)
        return _loads(raw)

    def get_sync(self, key: str) -> JSON | None:
        name = self._key(key)
        try:
            raw = self._link.run_sync(lambda client: client.get(name))
        except _UseMemory:
            return self._memory.get_sync(key)
        return _loads(raw)

    async def put(self, key: str, value: JSON) -> None:
        name, encoded = self._key(key), encode_json(value)
        try:
            await self._link.run(lambda client: client.set(name, encoded))
        except _UseMemory:
            await self._memory.put(key, value)

    def put_sync(self, key: str, value: JSON) -> None:
        name, encoded = self._key(key), encode_json(value)
        try:
            self._link.run_sync(lambda client: client.set(name, encoded))
        except _UseMemory:
            self._memory.put_sync(key, value)

    def _cas_args(self, expected: JSON | None, value: JSON) -> list[Any]:
        wanted = b"" if expected is None else encode_json(expected)
        return ["0" if expected is None else "1", wanted, encode_json(value)]

    async def compare_and_set(self, key: str, expected: JSON | None, value: JSON) -> bool:
        args = self._cas_args(expected, value)
        try:
            done = await self._link.script(CHECKPOINT_CAS, [self._key(key)], args)
        except _UseMemory:
            return await self._memory.compare_and_set(key, expected, value)
        return bool(int(done))

    def compare_and_set_sync(self, key: str, expected: JSON | None, value: JSON) -> bool:
        args = self._cas_args(expected, value)
        try:
            done = self._link.script_sync(CHECKPOINT_CAS, [self._key(key)], args)
        except _UseMemory:
            return self._memory.compare_and_set_sync(key, expected, value)
        return bool(int(done))

    async def delete(self, key: str) -> None:
        name = self._key(key)
        try:
            await self._link.run(lambda client: client.delete(name))
        except _UseMemory:
            await self._memory.delete(key)

    def delete_sync(self, key: str) -> None:
        name = self._key(key)
        try:
            self._link.run_sync(lambda client: client.delete(name))
        except _UseMemory:
            self._memory.delete_sync(key)


def _loads(raw: Any) -> JSON | None:
    if raw is None:
        return None
    import orjson

    value: JSON = orjson.loads(raw)
    return value


# -- the backend -------------------------------------------------------------------------


class RedisStateBackend:
    """`StateBackend` in Redis.

    ``RedisStateBackend("redis://:password@host:6379/0?state_fallback=memory")``; the
    keyword arguments override the URL's parameters of the same names. `clock` (seconds)
    replaces Redis ``TIME`` in the rate-limit scripts, for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        fallback: str | None = None,
        prefix: str | None = None,
        restart_hold: float | None = None,
        retry_for: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        redis_url, own = _split_url(url)
        fallback = fallback or own.get("state_fallback")
        if fallback not in (None, "memory"):
            raise ConfigurationError(
                f"state_fallback: expected 'memory', got {fallback!r} ({safe_url(url)})"
            )
        self._prefix = prefix or own.get("prefix") or "connectory"
        hold = _seconds(own, "restart_hold", restart_hold, 1.0, url)
        retry = _seconds(own, "retry_for", retry_for, 30.0, url)
        options = {k: v for k, v in _DEFAULT_TIMEOUTS.items() if k not in _query(redis_url)}
        self._link = _Link(redis_url, options, retry_for=retry, fallback=fallback == "memory")
        self.memory = InMemoryStateBackend(f"memory:// (fallback for {self._link.safe_url})")
        self._rate_limits = RedisRateLimitBackend(
            self._link,
            prefix=self._prefix,
            restart_hold=hold,
            clock=clock,
            memory=self.memory.rate_limits,
        )
        self._tokens = RedisTokenStore(self._link, prefix=self._prefix, memory=self.memory.tokens)
        self._checkpoints = RedisCheckpointStore(
            self._link, prefix=self._prefix, memory=self.memory.checkpoints
        )

    @classmethod
    def from_url(cls, url: str, *, fallback: str | None = None) -> RedisStateBackend:
        return cls(url, fallback=fallback)

    def __repr__(self) -> str:
        return f"RedisStateBackend({self.url!r}, prefix={self._prefix!r})"

    @property
    def url(self) -> str:
        return self._link.safe_url

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def fallen_back(self) -> bool:
        """True once Redis was unreachable and the in-memory fallback took over."""
        return self._link.fallen_back

    @property
    def rate_limits(self) -> RedisRateLimitBackend:
        return self._rate_limits

    @property
    def tokens(self) -> RedisTokenStore:
        return self._tokens

    @property
    def checkpoints(self) -> RedisCheckpointStore:
        return self._checkpoints

    async def check(self) -> None:
        try:
            await self._link.run(lambda client: client.ping())
        except _UseMemory:
            return

    async def aclose(self) -> None:
        await self._link.aclose()


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """redis-py's URL, and our own parameters taken out of it."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in pairs if k in _OWN_PARAMETERS}
    rest = [(k, v) for k, v in pairs if k not in _OWN_PARAMETERS]
    return urlunsplit(parts._replace(query=urlencode(rest))), own


def _query(url: str) -> set[str]:
    return {k for k, _ in parse_qsl(urlsplit(url).query)}


def _seconds(
    own: dict[str, str], name: str, given: float | None, default: float, url: str
) -> float:
    if given is not None:
        return float(given)
    text = own.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or math.isinf(value):
        raise ConfigurationError(
            f"{name}: expected a number of seconds >= 0, got {text!r} ({safe_url(url)})"
        )
    return value
