"""Single-flight OAuth2 refresh across processes, against a real token endpoint.

Each "process" here is an `OAuth2Auth` with a state backend object of its own (so nothing
is shared through Python memory, only through Redis) and its own HTTP client. The token
endpoint (`OAuthSpec`) rotates refresh tokens and refuses a used one, so a second refresh
with the same refresh token would show as ``invalid_grant`` in its records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from connectory.core._auth import OAuth2Auth, OAuth2Token, TokenStore
from connectory.core._errors import AuthenticationError, ServerError
from connectory.core._redis import RedisStateBackend
from connectory.core.state import (
    InMemoryStateBackend,
    SharedTokenCoordinator,
    StateBackend,
    coordinated_token_store,
)
from tests.servers import TOKEN_PATH, OAuthSpec, RunningServer, run_server

pytestmark = pytest.mark.redis

MakeBackend = Callable[..., RedisStateBackend]
EXPIRED = OAuth2Token(
    access_token="access-initial", refresh_token="refresh-initial", expires_at=1.0
)


@pytest.fixture
def auths() -> Iterator[list[OAuth2Auth]]:
    made: list[OAuth2Auth] = []
    yield made
    for auth in made:
        auth.forget()


def make_auth(
    made: list[OAuth2Auth],
    token_url: str,
    state: StateBackend,
    token: OAuth2Token = EXPIRED,
    store: TokenStore | None = None,
) -> OAuth2Auth:
    auth = OAuth2Auth(
        token_url=token_url,
        client_id="client-1",
        client_secret="secret-1",
        token=token,
        token_store=coordinated_token_store(state, store),
    )
    made.append(auth)
    return auth


async def get_me(server: RunningServer, auth: OAuth2Auth, count: int = 1) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=server.url, auth=auth) as client:
        return await asyncio.gather(*(client.get("/me") for _ in range(count)))


def coordinator_of(auth: OAuth2Auth) -> SharedTokenCoordinator:
    assert isinstance(auth.coordinator, SharedTokenCoordinator)
    return auth.coordinator


async def test_an_expired_token_shared_by_many_processes_is_refreshed_once(
    make_backend: MakeBackend, auths: list[OAuth2Auth]
) -> None:
    with run_server(OAuthSpec(expires_in=3600, token_delay=0.3)) as server:
        token_url = server.url + TOKEN_PATH
        processes = [make_auth(auths, token_url, make_backend()) for _ in range(5)]
        answers = await asyncio.gather(*(get_me(server, auth, 10) for auth in processes))
        recording = await server.arecording()
    responses = [response for batch in answers for response in batch]
    assert [r.status_code for r in responses] == [200] * 50
    assert {r.json()["token_number"] for r in responses} == {1}
    assert [t.outcome for t in recording.token_requests] == ["granted"]
    assert sum(auth.refresh_count for auth in processes) == 1


async def test_a_final_rejection_is_seen_by_every_process_until_new_credentials(
    make_backend: MakeBackend, auths: list[OAuth2Auth]
) -> None:
    with run_server(OAuthSpec(expires_in=3600, reject_refresh=True)) as server:
        token_url = server.url + TOKEN_PATH
        first = make_auth(auths, token_url, make_backend())
        with pytest.raises(AuthenticationError, match="invalid_grant"):
            await get_me(server, first)
        later = make_auth(auths, token_url, make_backend())
        with pytest.raises(AuthenticationError, match="another process"):
            await get_me(server, later)
        assert len((await server.arecording()).token_requests) == 1

        # New credentials stored for this record: every process may go on.
        good = OAuth2Token("access-initial", "refresh-other", expires_at=time.time() + 3600)
        await make_backend().tokens.put(await coordinator_of(later).key(), good)
        fresh = make_auth(auths, token_url, make_backend())
        (response,) = await get_me(server, fresh)
        assert response.status_code == 200
        assert len((await server.arecording()).token_requests) == 1


async def test_a_failed_refresh_fails_only_the_processes_that_waited_for_it(
    auths: list[OAuth2Auth],
) -> None:
    token_requests: list[int] = []

    async def vendor(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            token_requests.append(1)
            if len(token_requests) == 1:
                await asyncio.sleep(0.3)
                return httpx.Response(503, json={"error": "temporarily_unavailable"})
            return httpx.Response(200, json={"access_token": "at-2", "expires_in": 3600})
        return httpx.Response(200, json={"auth": request.headers.get("authorization")})

    state = InMemoryStateBackend()  # two auths over one backend stand for two processes
    token_url = "https://vendor.test" + TOKEN_PATH
    one, other = make_auth(auths, token_url, state), make_auth(auths, token_url, state)

    async def call(auth: OAuth2Auth) -> httpx.Response:
        transport = httpx.MockTransport(vendor)
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            return await client.get("https://vendor.test/me")

    refreshing = asyncio.create_task(call(one))
    await asyncio.sleep(0.05)  # `one` holds the shared lock now
    with pytest.raises(ServerError, match="another process"):
        await call(other)
    with pytest.raises(ServerError):
        await refreshing
    assert len(token_requests) == 1
    # Not final: the next request refreshes again, and succeeds.
    assert (await call(other)).json() == {"auth": "Bearer at-2"}
    assert (await call(one)).json() == {"auth": "Bearer at-2"}
    assert len(token_requests) == 2


async def test_a_worker_started_from_a_rotated_refresh_token_finds_the_record(
    make_backend: MakeBackend, auths: list[OAuth2Auth]
) -> None:
    saved: list[OAuth2Token] = []
    with run_server(OAuthSpec(expires_in=3600)) as server:
        token_url = server.url + TOKEN_PATH
        first = make_auth(auths, token_url, make_backend(), store=saved.append)
        await get_me(server, first)
        assert len(saved) == 1  # the token_store still hears of every new token
        rotated = saved[0].refresh_token
        assert rotated is not None
        assert rotated != "refresh-initial"
        # A worker that starts from what the token_store saved: only the refresh token.
        later = make_auth(auths, token_url, make_backend(), token=OAuth2Token(None, rotated))
        (response,) = await get_me(server, later)
        recording = await server.arecording()
    assert response.status_code == 200
    assert response.json()["token_number"] == 1
    assert len(recording.token_requests) == 1


async def test_losing_the_shared_record_loses_no_token(
    make_backend: MakeBackend, auths: list[OAuth2Auth], redis_url: str, prefix: str
) -> None:
    import redis

    saved: list[OAuth2Token] = []
    # The server says an hour, but each token dies after 0.5 s: the next request gets 401.
    with run_server(OAuthSpec(expires_in=3600, lifetime=0.5)) as server:
        token_url = server.url + TOKEN_PATH
        auth = make_auth(auths, token_url, make_backend(), store=saved.append)
        await get_me(server, auth)
        client = redis.Redis.from_url(redis_url)
        try:
            client.delete(*client.keys(f"{prefix}:*"))  # what a Redis restart does
        finally:
            client.close()
        await asyncio.sleep(0.6)
        (response,) = await get_me(server, auth)
        recording = await server.arecording()
    assert response.status_code == 200
    first, second = recording.token_requests
    assert (first.outcome, second.outcome) == ("granted", "granted")
    assert second.refresh_token == first.new_refresh_token == saved[0].refresh_token
    assert [t.refresh_token for t in saved] == [first.new_refresh_token, second.new_refresh_token]
