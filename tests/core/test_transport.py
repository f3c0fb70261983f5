"""The transport pipeline: which failures are retried and how often, rate-limit permits and
metrics per attempt, and credentials kept off untrusted origins.

Each test drives a real `httpx.AsyncClient` over `ConnectorTransport`, which wraps an
`httpx.MockTransport` playing a scripted server that records every request it receives.
Retries run under `testing.no_waiting()` (no backoff sleeps) except where a test checks
the waiting itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest
import stamina

from connectory.core import testing
from connectory.core._auth import OPERATION_EXTENSION
from connectory.core._config import RateLimits, RetryPolicy
from connectory.core._monitoring import MonitoringService
from connectory.core._ratelimit import InMemoryRateLimitBackend, RateLimiter, Window
from connectory.core._transport import ConnectorTransport

BASE = "https://api.example.com"
OTHER = "https://cdn.other.example"

Step = int | tuple[int, dict[str, str]] | type[httpx.TransportError]
"""What the scripted server does for one request: a status, a status with headers, or an
httpx transport exception to raise (as the network layer would)."""

NO_BACKOFF: dict[str, Any] = {"wait_initial": 0.0, "wait_max": 0.0, "wait_jitter": 0.0}


class Script:
    """A fake server answering request i with step i (the last step repeats)."""

    def __init__(self, *steps: Step) -> None:
        assert steps
        self.steps = steps
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, int):
            return httpx.Response(step, json={"n": len(self.requests)})
        if isinstance(step, tuple):
            status, headers = step
            return httpx.Response(status, headers=headers, json={"n": len(self.requests)})
        raise step("scripted failure", request=request)

    @property
    def count(self) -> int:
        return len(self.requests)

    def next_step(self) -> Step:
        return self.steps[min(len(self.requests), len(self.steps) - 1)]


class NetworkLike(httpx.AsyncBaseTransport):
    """Consumes a request body the way the network transport does, without keeping it.

    (`httpx.MockTransport` reads and caches every body, which would make a one-shot stream
    look replayable.)
    """

    def __init__(self, server: Script) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if isinstance(self.server.next_step(), type):
            return self.server(request)  # raises, as a failed connect does: nothing read
        assert isinstance(request.stream, httpx.AsyncByteStream)
        body = b"".join([chunk async for chunk in request.stream])
        self.server.bodies.append(body)
        return self.server(request)


def client_for(
    handler: Script,
    *,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    monitor: MonitoringService | None = None,
    trusted_origins: tuple[str, ...] = (),
    credential_headers: tuple[str, ...] = ("authorization",),
    credential_params: tuple[str, ...] = (),
    follow_redirects: bool = False,
) -> httpx.AsyncClient:
    transport = ConnectorTransport(
        httpx.MockTransport(handler),
        retry=retry or RetryPolicy(attempts=4),
        limiter=limiter,
        monitor=monitor,
        trusted_origins=trusted_origins,
        credential_headers=credential_headers,
        credential_params=credential_params,
    )
    return httpx.AsyncClient(transport=transport, base_url=BASE, follow_redirects=follow_redirects)


@pytest.fixture
def no_wait() -> Iterator[None]:
    with testing.no_waiting():
        yield


# --- Which responses and errors are retried ----------------------------------------------


@pytest.mark.usefixtures("no_wait")
class TestRetries:
    async def test_503_then_200_is_retried_once(self) -> None:
        server = Script(503, 200)
        async with client_for(server) as client:
            response = await client.get("/items")

        assert response.status_code == 200
        assert response.json() == {"n": 2}
        assert server.count == 2

    @pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
    async def test_transient_statuses_are_retried(self, status: int) -> None:
        server = Script(status, 200)
        async with client_for(server) as client:
            response = await client.get("/items")

        assert response.status_code == 200
        assert server.count == 2

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
    async def test_client_errors_are_not_retried(self, status: int) -> None:
        server = Script(status, 200)
        async with client_for(server) as client:
            response = await client.get("/items")

        assert response.status_code == status
        assert server.count == 1

    @pytest.mark.parametrize("attempts", [1, 2, 3, 5])
    async def test_attempts_bound_the_requests_and_the_last_response_is_returned(
        self, attempts: int
    ) -> None:
        server = Script(503)
        async with client_for(server, retry=RetryPolicy(attempts=attempts)) as client:
            response = await client.get("/items")

        assert server.count == attempts
        assert response.status_code == 503
        assert response.json() == {"n": attempts}  # the final attempt's response

    async def test_post_is_not_retried_on_503(self) -> None:
        server = Script(503, 201)
        async with client_for(server) as client:
            response = await client.post("/items", json={"name": "x"})

        assert response.status_code == 503
        assert server.count == 1

    async def test_post_without_a_key_is_sent_once_even_after_a_429(self) -> None:
        server = Script(429, 201)
        async with client_for(server) as client:
            response = await client.post("/items", json={"name": "x"})

        assert response.status_code == 429
        assert server.count == 1

    async def test_post_is_retried_after_a_429_when_the_policy_allows_it(self) -> None:
        # A 429 refuses the request before acting on it: sending it again cannot repeat it.
        server = Script(429, 201)
        policy = RetryPolicy(attempts=4, unsafe_after_429=True)
        async with client_for(server, retry=policy) as client:
            response = await client.post("/items", json={"name": "x"})

        assert response.status_code == 201
        assert server.count == 2
        assert {r.content for r in server.requests} == {b'{"name":"x"}'}

    async def test_post_is_not_retried_on_a_read_error(self) -> None:
        server = Script(httpx.ReadError, 201)
        async with client_for(server) as client:
            with pytest.raises(httpx.ReadError):
                await client.post("/items", json={"name": "x"})

        assert server.count == 1

    async def test_post_with_an_idempotency_key_is_retried(self) -> None:
        server = Script(503, httpx.ReadError, 201)
        async with client_for(server) as client:
            response = await client.post(
                "/items", json={"name": "x"}, headers={"Idempotency-Key": "k-1"}
            )

        assert response.status_code == 201
        assert server.count == 3
        # The same body went out every time.
        assert {r.content for r in server.requests} == {b'{"name":"x"}'}

    @pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout])
    async def test_post_is_retried_when_nothing_was_sent(
        self, error: type[httpx.TransportError]
    ) -> None:
        server = Script(error, 201)
        async with client_for(server) as client:
            response = await client.post("/items", json={"name": "x"})

        assert response.status_code == 201
        assert server.count == 2

    async def test_post_is_not_retried_on_a_read_error_after_a_connect_error(self) -> None:
        server = Script(httpx.ConnectError, httpx.ReadError, 201)
        async with client_for(server) as client:
            with pytest.raises(httpx.ReadError):
                await client.post("/items", json={"name": "x"})

        assert server.count == 2

    @pytest.mark.parametrize(("streamed", "expected_count"), [(True, 1), (False, 2)])
    async def test_a_one_shot_streamed_body_is_not_replayed(
        self, streamed: bool, expected_count: int
    ) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"chunk"

        server = Script(503, 201)
        transport = ConnectorTransport(NetworkLike(server), retry=RetryPolicy(attempts=4))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            response = await client.post(
                "/upload",
                content=body() if streamed else b"chunk",
                headers={"Idempotency-Key": "k-2"},
            )

        assert server.count == expected_count
        assert response.status_code == (503 if streamed else 201)
        assert server.bodies == [b"chunk"] * expected_count

    async def test_a_one_shot_streamed_body_is_not_replayed_even_after_a_connect_error(
        self,
    ) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"chunk"

        server = Script(httpx.ConnectError, 201)
        transport = ConnectorTransport(NetworkLike(server), retry=RetryPolicy(attempts=4))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            with pytest.raises(httpx.ConnectError):
                await client.post("/upload", content=body())

        assert server.count == 1

    @pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectError, httpx.ReadError])
    async def test_get_is_retried_on_transport_errors(
        self, error: type[httpx.TransportError]
    ) -> None:
        server = Script(error, error, 200)
        async with client_for(server) as client:
            response = await client.get("/items")

        assert response.status_code == 200
        assert server.count == 3

    @pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectError])
    async def test_the_transport_error_propagates_once_attempts_are_spent(
        self, error: type[httpx.TransportError]
    ) -> None:
        server = Script(error)
        async with client_for(server, retry=RetryPolicy(attempts=3)) as client:
            with pytest.raises(error):
                await client.get("/items")

        assert server.count == 3

    @pytest.mark.parametrize("status", [429, 503])
    async def test_retry_after_beyond_the_cap_is_not_waited_for(self, status: int) -> None:
        server = Script((status, {"Retry-After": "30"}), 200)
        retry = RetryPolicy(attempts=4, retry_after_cap=5.0)
        async with client_for(server, retry=retry) as client:
            response = await client.get("/items")

        assert response.status_code == status
        assert response.headers["retry-after"] == "30"
        assert server.count == 1

    async def test_retry_after_beyond_the_overall_timeout_is_not_waited_for(self) -> None:
        server = Script((503, {"Retry-After": "5"}), 200)
        retry = RetryPolicy(attempts=4, retry_after_cap=10.0, timeout=1.0)
        async with client_for(server, retry=retry) as client:
            response = await client.get("/items")

        assert response.status_code == 503
        assert server.count == 1

    async def test_retry_after_within_the_cap_is_retried(self) -> None:
        server = Script((429, {"Retry-After": "5"}), 200)
        retry = RetryPolicy(attempts=4, retry_after_cap=5.0)
        async with client_for(server, retry=retry) as client:
            response = await client.get("/items")

        assert response.status_code == 200
        assert server.count == 2


async def test_retry_after_within_the_cap_is_waited_for() -> None:
    # Real waiting, so the stamina testing mode must be off; the policy itself adds no
    # backoff, so the only pause can come from Retry-After.
    assert not stamina.is_testing()
    assert not testing.waiting_disabled()
    server = Script((503, {"Retry-After": "0.05"}), 200)
    retry = RetryPolicy(attempts=3, retry_after_cap=1.0, **NO_BACKOFF)
    async with client_for(server, retry=retry) as client:
        response = await client.get("/items")

    assert response.status_code == 200
    assert server.count == 2
    assert server.times[1] - server.times[0] >= 0.04


# --- A permit and a metric per attempt ----------------------------------------------------


class FakeClock:
    """Time for the limiter only: its sleeps advance it, nothing else does."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds
        await asyncio.sleep(0)


class CountingBackend(InMemoryRateLimitBackend):
    """The in-memory backend, counting the permits it grants."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.granted = 0
        self.refused = 0

    async def reserve(self, key: str, windows: Sequence[Window], lease: float) -> int | float:
        granted = await super().reserve(key, windows, lease)
        if isinstance(granted, int):
            self.granted += 1
        else:
            self.refused += 1
        return granted


async def test_every_attempt_takes_a_permit_and_waits_for_the_window() -> None:
    clock = FakeClock()
    backend = CountingBackend(clock)
    limiter = RateLimiter(RateLimits(requests_per_second=2), backend=backend, sleep=clock.sleep)
    monitor = MonitoringService("demo")
    server = Script(503)
    retry = RetryPolicy(attempts=3, **NO_BACKOFF)
    async with client_for(server, retry=retry, limiter=limiter, monitor=monitor) as client:
        response = await client.get("/items")

    assert response.status_code == 503
    assert server.count == 3
    assert backend.granted == 3
    # Two permits per second: the third attempt had to wait for the first to age out.
    assert limiter.waits == 1
    assert clock.slept == pytest.approx(1.0, abs=0.0011)
    stats = monitor.operations["request"]
    assert (stats.requests, stats.retries, stats.statuses) == (3, 2, {503: 3})


async def test_a_retry_after_blocks_the_limiter_before_the_retry() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimits(requests_per_second=100),
        backend=InMemoryRateLimitBackend(clock=clock),
        sleep=clock.sleep,
    )
    server = Script((429, {"Retry-After": "2"}), 200)
    # stamina's own backoff off; the limiter keeps waiting (on the fake clock).
    with stamina.set_testing(True, attempts=10, cap=True):
        async with client_for(server, limiter=limiter) as client:
            response = await client.get("/items")

    assert response.status_code == 200
    assert server.count == 2
    assert clock.slept == pytest.approx(2.0, abs=0.0011)


@pytest.mark.usefixtures("no_wait")
class TestMonitoring:
    async def test_each_attempt_is_recorded_with_its_status(self) -> None:
        monitor = MonitoringService("demo")
        server = Script(503, 502, 200)
        async with client_for(server, monitor=monitor) as client:
            await client.get("/items")

        stats = monitor.operations["request"]
        assert stats.requests == 3
        assert stats.retries == 2
        assert stats.errors == 2
        assert stats.statuses == {200: 1, 502: 1, 503: 1}
        assert len(stats.latencies) == 3

    async def test_a_transport_error_is_recorded_without_a_status(self) -> None:
        monitor = MonitoringService("demo")
        server = Script(httpx.ConnectError, 200)
        async with client_for(server, monitor=monitor) as client:
            await client.get("/items")

        stats = monitor.operations["request"]
        assert (stats.requests, stats.retries, stats.errors) == (2, 1, 1)
        assert stats.statuses == {200: 1}

    async def test_the_operation_extension_names_the_stats(self) -> None:
        monitor = MonitoringService("demo")
        server = Script(503, 200)
        async with client_for(server, monitor=monitor) as client:
            await client.get("/repos", extensions={OPERATION_EXTENSION: "list_repos"})
            await client.get("/user")

        assert set(monitor.operations) == {"list_repos", "request"}
        listed = monitor.operations["list_repos"]
        assert (listed.requests, listed.retries, listed.statuses) == (2, 1, {200: 1, 503: 1})
        assert monitor.operations["request"].requests == 1
        snapshot = monitor.metrics_snapshot()
        assert snapshot["operations"]["list_repos"]["requests"] == 2


# --- Credentials never leave the trusted origins -----------------------------------------

CREDENTIAL_HEADERS = {"Authorization": "Bearer tok-123456", "X-API-Key": "key-123456"}


def hygienic_client(server: Script, *, follow_redirects: bool = False) -> httpx.AsyncClient:
    return client_for(
        server,
        trusted_origins=("https://api.example.com",),
        credential_headers=("authorization", "x-api-key"),
        credential_params=("api_key",),
        follow_redirects=follow_redirects,
    )


@pytest.mark.parametrize(
    "url",
    [
        f"{OTHER}/file",
        "https://api.example.com:8443/file",  # another port is another origin
        "http://api.example.com/file",  # and so is another scheme
        "https://evil.api.example.com/file",
    ],
)
async def test_credentials_are_stripped_off_untrusted_origins(url: str) -> None:
    server = Script(200)
    async with hygienic_client(server) as client:
        await client.get(
            url,
            params={"api_key": "SECRET", "x": "1"},
            headers={**CREDENTIAL_HEADERS, "X-Trace": "t-1"},
        )

    (sent,) = server.requests
    assert "authorization" not in sent.headers
    assert "x-api-key" not in sent.headers
    assert sent.headers["x-trace"] == "t-1"
    assert dict(sent.url.params) == {"x": "1"}
    assert "SECRET" not in str(sent.url)
    assert sent.url.path == "/file"


async def test_credentials_reach_the_trusted_origin() -> None:
    server = Script(200)
    async with hygienic_client(server) as client:
        await client.get(
            "https://api.example.com/v1/items?api_key=SECRET&x=1", headers=CREDENTIAL_HEADERS
        )

    (sent,) = server.requests
    assert sent.headers["authorization"] == "Bearer tok-123456"
    assert sent.headers["x-api-key"] == "key-123456"
    assert dict(sent.url.params) == {"api_key": "SECRET", "x": "1"}


async def test_a_redirect_to_another_origin_carries_no_credential() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example.com":
            return httpx.Response(302, headers={"Location": f"{OTHER}/file?api_key=SECRET&x=1"})
        return httpx.Response(200, text="file body")

    transport = ConnectorTransport(
        httpx.MockTransport(handler),
        retry=RetryPolicy(),
        trusted_origins=("https://api.example.com",),
        credential_headers=("authorization", "x-api-key"),
        credential_params=("api_key",),
    )
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE, follow_redirects=True, headers=CREDENTIAL_HEADERS
    ) as client:
        response = await client.get("/download", extensions={OPERATION_EXTENSION: "download"})

    assert response.status_code == 200
    assert response.text == "file body"
    trusted, other = seen
    assert trusted.headers["x-api-key"] == "key-123456"  # the trusted hop had them
    assert other.url.host == "cdn.other.example"
    assert "authorization" not in other.headers
    assert "x-api-key" not in other.headers
    assert dict(other.url.params) == {"x": "1"}
    assert "SECRET" not in str(other.url)
