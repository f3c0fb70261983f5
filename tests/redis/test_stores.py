"""The token and checkpoint stores, the same contract for the in-memory and Redis backends."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from connectory.core._auth import OAuth2Token
from connectory.core._redis import RedisStateBackend
from connectory.core.state import JSON, InMemoryStateBackend, RefreshFailure, StateBackend

pytestmark = pytest.mark.redis

MakeBackend = Callable[..., RedisStateBackend]
TOKEN = OAuth2Token(access_token="at-1", refresh_token="rt-1", expires_at=2_000_000_000.0)
NEWER = OAuth2Token(access_token="at-2", refresh_token="rt-2", expires_at=2_000_003_600.0)
REJECTED = RefreshFailure(
    "AuthenticationError", "token request rejected", "invalid_grant", 400, True
)


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> StateBackend:
    if request.param == "memory":
        return InMemoryStateBackend()
    make: MakeBackend = request.getfixturevalue("make_backend")
    return make()


# -- tokens ------------------------------------------------------------------------------


async def test_compare_and_swap_goes_by_version(state: StateBackend) -> None:
    tokens = state.tokens
    assert await tokens.load("cred") is None
    first = await tokens.compare_and_swap("cred", 0, TOKEN)
    assert (first.token, first.version) == (TOKEN, 1)
    stale = await tokens.compare_and_swap("cred", 0, NEWER)  # someone stored version 1
    assert (stale.token, stale.version) == (TOKEN, 1)
    second = await tokens.compare_and_swap("cred", 1, NEWER)
    assert (second.token, second.version) == (NEWER, 2)
    assert await tokens.load("cred") == second


async def test_a_lower_fence_cannot_store(state: StateBackend) -> None:
    tokens = state.tokens
    await tokens.compare_and_swap("cred", 0, TOKEN, fence=5)
    refused = await tokens.compare_and_swap("cred", 1, NEWER, fence=4)
    assert (refused.token, refused.version, refused.fence) == (TOKEN, 1, 5)
    stored = await tokens.compare_and_swap("cred", 1, NEWER, fence=6)
    assert (stored.version, stored.fence) == (2, 6)


async def test_failures_count_and_clear_when_a_token_is_stored(state: StateBackend) -> None:
    tokens = state.tokens
    await tokens.compare_and_swap("cred", 0, TOKEN)
    assert not await tokens.record_failure("cred", 7, REJECTED)  # not the version it read
    assert await tokens.record_failure("cred", 1, REJECTED)
    record = await tokens.load("cred")
    assert record is not None
    assert (record.failure, record.failures, record.version) == (REJECTED, 1, 1)
    put = await tokens.put("cred", NEWER)  # new credentials
    assert (put.failure, put.failures, put.version, put.token) == (None, 1, 2, NEWER)
    assert tokens.load_sync("cred") == put
    again = tokens.put_sync("cred", TOKEN)
    assert (again.version, again.token) == (3, TOKEN)


async def test_the_refresh_lock_fences_and_expires(state: StateBackend) -> None:
    tokens = state.tokens
    first = await tokens.acquire_lock("cred", 0.2)
    assert first is not None
    assert await tokens.acquire_lock("cred", 0.2) is None
    await tokens.release_lock("cred", first + 100)  # not the holder: nothing happens
    assert await tokens.acquire_lock("cred", 0.2) is None
    await tokens.release_lock("cred", first)
    second = await tokens.acquire_lock("cred", 0.2)
    assert second is not None
    assert second > first
    await asyncio.sleep(0.3)  # the holder died: the lock expires
    third = await tokens.acquire_lock("cred", 0.2)
    assert third is not None
    assert third > second


async def test_links_lead_to_the_record(state: StateBackend) -> None:
    assert await state.tokens.resolve("rotated") is None
    await state.tokens.link("rotated", "cred")
    assert await state.tokens.resolve("rotated") == "cred"


# -- checkpoints -------------------------------------------------------------------------


async def test_checkpoints_round_trip_json(state: StateBackend) -> None:
    store = state.checkpoints
    assert await store.get("hubspot:contacts") is None
    value: JSON = {
        "cursor": "abc",
        "seen": [1, 2.5, None],
        "done": False,
        "nested": {"b": 1, "a": 2},
    }
    await store.put("hubspot:contacts", value)
    assert await store.get("hubspot:contacts") == value
    assert store.get_sync("hubspot:contacts") == value
    await store.delete("hubspot:contacts")
    assert await store.get("hubspot:contacts") is None
    with pytest.raises(ValueError, match="None means absent"):
        await store.put("hubspot:contacts", None)


async def test_compare_and_set_compares_canonical_json(state: StateBackend) -> None:
    store = state.checkpoints
    assert await store.compare_and_set("k", None, {"a": 1, "b": 2})
    assert not await store.compare_and_set("k", None, {"a": 9})  # present now
    assert not await store.compare_and_set("k", {"a": 1}, {"a": 9})
    assert await store.compare_and_set("k", {"b": 2, "a": 1}, {"a": 3})  # key order is moot
    assert not store.compare_and_set_sync("k", {"a": 1}, {"a": 4})
    assert store.compare_and_set_sync("k", {"a": 3}, {"a": 4})
    store.put_sync("k", [1])
    assert await store.get("k") == [1]
    store.delete_sync("k")
    assert store.get_sync("k") is None


async def test_compare_and_set_counts_every_increment_once(state: StateBackend) -> None:
    """Tasks and threads race to increment one counter; none of their updates is lost."""
    store = state.checkpoints
    await store.put("counter", 0)

    async def bump() -> None:
        while True:
            current = await store.get("counter")
            assert isinstance(current, int)
            if await store.compare_and_set("counter", current, current + 1):
                return

    def bump_sync() -> None:
        for _ in range(10):
            while True:
                current = store.get_sync("counter")
                assert isinstance(current, int)
                if store.compare_and_set_sync("counter", current, current + 1):
                    break

    threads = [threading.Thread(target=bump_sync) for _ in range(3)]
    for thread in threads:
        thread.start()
    await asyncio.gather(*(bump() for _ in range(30)))
    for thread in threads:
        await asyncio.to_thread(thread.join)
    assert await store.get("counter") == 60
