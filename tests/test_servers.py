"""Self-tests of the fault-injecting servers in `tests.servers`, driven by plain httpx.

Each test starts a real server process on 127.0.0.1 and checks, from the client's side
and from the server's recording, that a scenario does what its docstring promises.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.servers import (
    CLIENT_ABORTED,
    LINK_STYLES,
    OK,
    OVER_LIMIT,
    REFRESH_REJECTED,
    SERVER_BUG,
    TOKEN_PATH,
    Action,
    Fault,
    FaultStormSpec,
    OAuthSpec,
    PaginationSpec,
    PagingMode,
    PingSpec,
    RecorderSpec,
    Request,
    RunningServer,
    Scenario,
    ServerStartError,
    json_reply,
    max_in_window,
    rate,
    run_server,
)

# -- sliding windows -------------------------------------------------------------------------


def test_max_in_window_on_hand_computed_examples() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([5.0], 1.0) == 1
    # Windows [0, 1) and [0.5, 1.5) hold three each; 1.5 - 0.5 is a whole window apart.
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert max_in_window([0.0, 1.0, 2.0, 3.0], 1.0) == 1  # exactly a window apart
    assert max_in_window([0.0, 1.0, 2.0, 3.0], 1.0001) == 2
    assert max_in_window([3.0, 0.0, 0.2, 2.9, 0.4], 0.5) == 3  # unsorted input
    assert max_in_window([7.0, 7.0, 7.0], 1e-9) == 3  # simultaneous arrivals
    with pytest.raises(ValueError):
        max_in_window([1.0], 0.0)


@given(
    times=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=60),
    window=st.floats(min_value=1e-3, max_value=50),
)
def test_max_in_window_matches_brute_force(times: list[float], window: float) -> None:
    # Every window worth checking opens at an arrival.
    brute = max(
        (sum(1 for later in times if start <= later and later - start < window) for start in times),
        default=0,
    )
    assert max_in_window(times, window) == brute


def test_rate_is_intervals_over_span() -> None:
    assert rate([]) == 0.0
    assert rate([3.0]) == 0.0
    assert rate([0.0, 0.5]) == 2.0
    assert rate([2.0, 0.0, 1.0]) == 1.0
    assert rate([1.0, 1.0]) == float("inf")


# -- the server process and its recording -------------------------------------------------


@pytest.fixture(scope="module")
def ping_server() -> Iterator[RunningServer]:
    with run_server(PingSpec()) as server:
        yield server


@pytest.fixture
def ping(ping_server: RunningServer) -> RunningServer:
    ping_server.reset()
    return ping_server


async def test_every_request_arrives_once_and_is_recorded(ping: RunningServer) -> None:
    limits = httpx.Limits(max_connections=10)
    async with httpx.AsyncClient(base_url=ping.url, limits=limits) as client:
        calls = (client.get("/ping", params={"n": n}) for n in range(100))
        responses = await asyncio.gather(*calls)
    recording = await ping.arecording()

    assert [response.status_code for response in responses] == [200] * 100
    assert len(recording.arrivals) == 100
    assert sorted(int(arrival.query["n"]) for arrival in recording.arrivals) == list(range(100))
    # Each answer names the arrival it answered, and no two share one.
    answered = sorted(response.json()["seq"] for response in responses)
    assert answered == [arrival.seq for arrival in recording.arrivals]
    stamps = recording.times()
    assert stamps == sorted(stamps)
    assert recording.fault_counts == {OK: 100}
    assert 1 <= recording.connections <= 10
    assert 1 <= recording.max_in_flight <= 10


def test_arrival_records_what_was_sent(ping: RunningServer) -> None:
    with httpx.Client(base_url=ping.url) as client:
        client.post(
            "/ping?x=1&x=2&empty=",
            content=b"\x00binary\xff",
            headers={"X-Custom": "Value", "Authorization": "Bearer t0k3n"},
        )
        client.get("/ping")
        client.get("/ping", headers={"Connection": "close"})
        client.get("/ping")
    first, second, third, fourth = ping.recording().arrivals

    assert (first.method, first.path, first.target) == ("POST", "/ping", "/ping?x=1&x=2&empty=")
    assert first.query == {"x": "2", "empty": ""}
    assert first.query_string == "x=1&x=2&empty="
    assert first.body == b"\x00binary\xff"
    assert first.headers["x-custom"] == "Value"
    assert first.header("X-CUSTOM") == "Value"
    assert first.credentials == {"header:authorization": "Bearer t0k3n"}
    assert first.contains("t0k3n")
    assert not second.contains("t0k3n")
    # Keep-alive until the client asks to close.
    assert first.connection == second.connection == third.connection != fourth.connection


def test_arrival_is_stamped_before_the_response_is_written() -> None:
    with run_server(PingSpec(delay=0.3)) as server, httpx.Client(base_url=server.url) as client:
        sent = time.monotonic()
        client.get("/ping")
        received = time.monotonic()
        (arrival,) = server.recording().arrivals
    # CLOCK_MONOTONIC is shared between processes, so both stamps are on one timeline.
    assert sent <= arrival.at < sent + 0.25
    assert received >= arrival.at + 0.3


def test_control_routes_are_not_on_the_api_port(ping: RunningServer) -> None:
    with httpx.Client(base_url=ping.url) as client:
        response = client.get("/_control/recording")
    assert response.status_code == 404
    recording = ping.recording()
    assert [arrival.path for arrival in recording.arrivals] == ["/_control/recording"]
    ping.reset()
    assert ping.recording().arrivals == ()


def test_server_process_is_gone_after_the_block() -> None:
    with run_server(RecorderSpec()) as server:
        pid, port = server.pid, server.port
        assert pid is not None
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        leaving = time.monotonic()
    # A graceful stop (stdin closed) is quick; termination waits for a 3 s grace period.
    assert time.monotonic() - leaving < 2.0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@attrs.frozen
class _BrokenSpec:
    def build(self, origin: str) -> Scenario:
        raise RuntimeError("no scenario for you")


@attrs.frozen
class _HangingSpec:
    def build(self, origin: str) -> Scenario:
        time.sleep(60)
        raise AssertionError("unreachable")


@attrs.frozen
class _BuggySpec:
    def build(self, origin: str) -> Scenario:
        return _BuggyScenario()


class _BuggyScenario:
    def respond(self, request: Request) -> Action:
        return json_reply({"half": 1 / int(request.query.get("n", "0"))})

    def state(self) -> dict[str, Any]:
        return {}


def test_a_bug_in_a_scenario_is_a_500_not_a_dropped_call() -> None:
    with run_server(_BuggySpec()) as server, httpx.Client(base_url=server.url) as client:
        broken = client.get("/", params={"n": 0})
        fine = client.get("/", params={"n": 2})
        recording = server.recording()
    assert broken.status_code == 500
    assert "ZeroDivisionError" in broken.text
    assert fine.json() == {"half": 0.5}
    assert recording.fault_counts == {SERVER_BUG: 1, OK: 1}


def test_a_client_that_leaves_mid_body_is_recorded(ping: RunningServer) -> None:
    with socket.create_connection((ping.host, ping.port), timeout=2) as raw:
        raw.sendall(b"POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
    deadline = time.monotonic() + 2.0
    while not (arrivals := ping.recording().arrivals) and time.monotonic() < deadline:
        time.sleep(0.02)
    (arrival,) = arrivals
    assert (arrival.fault, arrival.body) == (CLIENT_ABORTED, b"short")


def test_a_server_that_fails_to_start_says_why() -> None:
    with pytest.raises(ServerStartError, match="no scenario for you"), run_server(_BrokenSpec()):
        pass


def test_a_server_that_hangs_at_start_times_out_and_is_killed() -> None:
    started = time.monotonic()
    with (
        pytest.raises(ServerStartError, match=r"within 1\.0 s"),
        run_server(_HangingSpec(), startup_timeout=1.0),
    ):
        pass
    assert time.monotonic() - started < 4.0


# -- fault storm -------------------------------------------------------------------------------


def _get_item_5(client: httpx.Client) -> httpx.Response:
    return client.get("/items/5")


Check = Callable[[httpx.Client], None]


def _raises(error: type[Exception]) -> Check:
    def check(client: httpx.Client) -> None:
        with pytest.raises(error):
            _get_item_5(client)

    return check


def _status(code: int, retry_after: str | None) -> Check:
    def check(client: httpx.Client) -> None:
        response = _get_item_5(client)
        assert response.status_code == code
        assert response.headers.get("retry-after") == retry_after

    return check


def _invalid_json(client: httpx.Client) -> None:
    response = _get_item_5(client)
    assert response.status_code == 200
    assert response.content.startswith(b'{"id":5')
    with pytest.raises(json.JSONDecodeError):
        response.json()


def _empty_200(client: httpx.Client) -> None:
    response = _get_item_5(client)
    assert (response.status_code, response.content) == (200, b"")


def _slow_but_right(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.get("/items/5", timeout=5.0)
    assert time.monotonic() - started >= 0.3
    assert response.json() == {"id": 5, "name": "item-5"}


def _stall_then_close(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.get("/items/5", timeout=5.0)


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (Fault.RATE_LIMITED, _status(429, None)),
        (Fault.RATE_LIMITED_RETRY_NOW, _status(429, "0")),
        (Fault.RATE_LIMITED_RETRY_LATER, _status(429, "3")),
        (Fault.INTERNAL_ERROR, _status(500, None)),
        (Fault.BAD_GATEWAY, _status(502, None)),
        (Fault.UNAVAILABLE, _status(503, None)),
        (Fault.RESET, _raises(httpx.ReadError)),
        (Fault.STALL, _raises(httpx.ReadTimeout)),
        (Fault.STALL, _stall_then_close),
        (Fault.SLOW, _raises(httpx.ReadTimeout)),
        (Fault.SLOW, _slow_but_right),
        (Fault.TRUNCATED, _raises(httpx.RemoteProtocolError)),
        (Fault.INVALID_JSON, _invalid_json),
        (Fault.EMPTY_200, _empty_200),
    ],
)
def test_each_fault_reaches_httpx_as_promised(fault: Fault, check: Check) -> None:
    spec = FaultStormSpec(script=(fault, None), slow_seconds=0.3, retry_after_seconds=3)
    with run_server(spec) as server, httpx.Client(base_url=server.url, timeout=0.1) as client:
        check(client)
        # The connection survives or is replaced; the next request is served normally.
        assert client.get("/items/6", timeout=5.0).json() == {"id": 6, "name": "item-6"}
        recording = server.recording()
    assert [arrival.fault for arrival in recording.arrivals] == [fault.value, None]
    assert recording.fault_counts == {fault.value: 1, OK: 1}


def test_successful_answers_carry_checkable_data() -> None:
    with (
        run_server(FaultStormSpec(total_items=40)) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        for item_id in (1, 17, 40):
            assert c.get(f"/items/{item_id}").json() == {"id": item_id, "name": f"item-{item_id}"}
        page = c.get("/items", params={"page": 3, "per_page": 7}).json()
        last = c.get("/items", params={"page": 6, "limit": 7}).json()
        assert c.get("/items/41").status_code == 404
        assert c.get("/items/x").status_code == 400
    assert [entry["id"] for entry in page["items"]] == list(range(15, 22))
    assert (page["page"], page["per_page"], page["total"], page["has_more"]) == (3, 7, 40, True)
    assert [entry["id"] for entry in last["items"]] == list(range(36, 41))
    assert last["has_more"] is False


def _faults_seen(server: RunningServer, count: int) -> list[str | None]:
    with httpx.Client(base_url=server.url, timeout=2.0) as client:
        for item_id in range(1, count + 1):
            with contextlib.suppress(httpx.TransportError):  # The reset faults.
                client.get(f"/items/{item_id}")
    return [arrival.fault for arrival in server.recording().arrivals]


def test_faults_are_drawn_from_the_seed_and_repeat_exactly() -> None:
    mix = {Fault.RESET: 0.15, Fault.UNAVAILABLE: 0.2, Fault.EMPTY_200: 0.15}
    spec = FaultStormSpec(faults=mix, seed=42)
    with run_server(spec) as server:
        first = _faults_seen(server, 80)
        server.reset()
        again = _faults_seen(server, 80)
    expected = [spec.draw(f"GET /items/{item_id}", 0) for item_id in range(1, 81)]
    assert first == again == [None if fault is None else fault.value for fault in expected]
    # 80 draws at 50% faults: far from none and far from all.
    assert 20 <= sum(fault is not None for fault in first) <= 60
    assert {Fault.RESET.value, Fault.UNAVAILABLE.value, Fault.EMPTY_200.value} <= set(first)
    assert [FaultStormSpec(faults=mix, seed=43).draw(f"GET /items/{i}", 0) for i in range(80)] != [
        spec.draw(f"GET /items/{i}", 0) for i in range(80)
    ]


def test_a_retry_is_a_fresh_draw_and_streaks_can_be_capped() -> None:
    spec = FaultStormSpec(faults={Fault.UNAVAILABLE: 1.0}, max_consecutive_faults=2)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        statuses = [client.get("/items/3").status_code for _ in range(4)]
        other = client.get("/items/4").status_code
        recording = server.recording()
    # Two faults, then one success that ends the streak, then faults again.
    assert statuses == [503, 503, 200, 503]
    assert other == 503
    assert recording.state["attempts"] == {"GET /items/3": 4, "GET /items/4": 1}


def test_post_creates_items_and_honours_idempotency_keys() -> None:
    with (
        run_server(FaultStormSpec(total_items=100)) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        created = [
            c.post("/items", json={"name": f"n{k}"}, headers={"Idempotency-Key": f"key-{k}"})
            for k in range(3)
        ]
        replayed = c.post("/items", json={"name": "other"}, headers={"Idempotency-Key": "key-1"})
        keyless = c.post("/items", json={})
        fetched = c.get("/items/101").json()
        recording = server.recording()

    assert [response.status_code for response in created] == [201, 201, 201]
    assert [response.json() for response in created] == [
        {"id": 101 + k, "name": f"n{k}", "idempotency_key": f"key-{k}"} for k in range(3)
    ]
    assert created[0].headers["location"] == "/items/101"
    assert replayed.json() == created[1].json()
    assert replayed.headers["idempotent-replayed"] == "true"
    assert keyless.json() == {"id": 104, "name": "item-104", "idempotency_key": None}
    assert fetched == {"id": 101, "name": "n0"}
    items = recording.created_items
    assert [(entry.id, entry.idempotency_key, entry.replays) for entry in items] == [
        (101, "key-0", 0),
        (102, "key-1", 1),
        (103, "key-2", 0),
        (104, None, 0),
    ]
    assert [arrival.header("idempotency-key") for arrival in recording.select(method="POST")] == [
        "key-0",
        "key-1",
        "key-2",
        "key-1",
        None,
    ]


@pytest.mark.parametrize(
    ("fault", "creates"), [(Fault.UNAVAILABLE, False), (Fault.EMPTY_200, True)]
)
def test_a_spoilt_response_has_still_created_its_item(fault: Fault, creates: bool) -> None:
    assert fault.processed is creates
    for honour in (True, False):
        spec = FaultStormSpec(script=(fault, None), honor_idempotency_key=honour)
        with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
            for _ in range(2):  # A call and its retry, with the same key.
                client.post("/items", json={"name": "x"}, headers={"Idempotency-Key": "k"})
            items = server.recording().created_items
        duplicated = creates and not honour
        assert len(items) == (2 if duplicated else 1)
        assert {entry.idempotency_key for entry in items} == {"k"}


def test_fault_mix_is_validated() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        FaultStormSpec(faults={Fault.RESET: 0.7, "503": 0.5})
    with pytest.raises(ValueError):
        FaultStormSpec(faults={"no-such-fault": 0.1})
    assert FaultStormSpec(script=["reset", None]).script == (Fault.RESET, None)


# -- OAuth2 ----------------------------------------------------------------------------------


def _token(
    client: httpx.Client, form: dict[str, str], *, basic: tuple[str, str] | None = None
) -> httpx.Response:
    if basic is None:
        return client.post(TOKEN_PATH, data=form)
    return client.post(TOKEN_PATH, data=form, auth=httpx.BasicAuth(*basic))


_CLIENT = {"client_id": "client-1", "client_secret": "secret-1"}
_CLIENT_CREDENTIALS = {"grant_type": "client_credentials", **_CLIENT}


def _refresh_form(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, **_CLIENT}


def test_client_credentials_in_the_body_or_basic() -> None:
    with run_server(OAuthSpec(expires_in=30)) as server, httpx.Client(base_url=server.url) as c:
        in_body = _token(c, _CLIENT_CREDENTIALS)
        in_basic = _token(c, {"grant_type": "client_credentials"}, basic=("client-1", "secret-1"))
        wrong = _token(c, {"grant_type": "client_credentials"}, basic=("client-1", "nope"))
        both = _token(c, _CLIENT_CREDENTIALS, basic=("client-1", "x"))
        unsupported = _token(c, {"grant_type": "password", **_CLIENT})
        me = c.get("/me", headers={"Authorization": f"Bearer {in_basic.json()['access_token']}"})
        requests = server.recording().token_requests

    token = in_body.json()
    assert in_body.status_code == 200
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 30)
    assert "refresh_token" not in token
    assert in_basic.status_code == 200
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert (both.status_code, both.json()["error"]) == (400, "invalid_request")
    assert (unsupported.status_code, unsupported.json()["error"]) == (400, "unsupported_grant_type")
    assert me.json() == {"id": "user-1", "name": "Test User", "token_number": 2}
    assert [(r.client_auth, r.outcome) for r in requests] == [
        ("body", "granted"),
        ("basic", "granted"),
        ("basic", "invalid_client"),
        ("both", "invalid_request"),
        ("body", "unsupported_grant_type"),
    ]


def test_refresh_tokens_rotate_and_work_once() -> None:
    with run_server(OAuthSpec()) as server, httpx.Client(base_url=server.url) as client:

        def refresh(token: str) -> httpx.Response:
            return _token(client, _refresh_form(token))

        first = refresh("refresh-initial")
        reused = refresh("refresh-initial")
        second = refresh(first.json()["refresh_token"])
        unknown = refresh("refresh-made-up")
        requests = server.recording().token_requests

    rotated = first.json()["refresh_token"]
    assert first.status_code == second.status_code == 200
    assert rotated != "refresh-initial"
    assert second.json()["refresh_token"] not in (rotated, "refresh-initial")
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    assert [(r.refresh_token, r.outcome, r.reason) for r in requests] == [
        ("refresh-initial", "granted", None),
        ("refresh-initial", "invalid_grant", "reused"),
        (rotated, "granted", None),
        ("refresh-made-up", "invalid_grant", "unknown"),
    ]
    assert [r.new_refresh_token for r in requests if r.granted] == [
        rotated,
        second.json()["refresh_token"],
    ]


def test_reject_mode_refuses_every_refresh() -> None:
    with (
        run_server(OAuthSpec(reject_refresh=True)) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        refreshes = [_token(c, _refresh_form("refresh-initial")) for _ in range(2)]
        other_grant = _token(c, _CLIENT_CREDENTIALS)
        recording = server.recording()
    assert [(r.status_code, r.json()["error"]) for r in refreshes] == [(400, "invalid_grant")] * 2
    assert other_grant.status_code == 200
    assert recording.fault_counts == {REFRESH_REJECTED: 2, OK: 1}
    assert [r.reason for r in recording.token_requests] == ["rejected", "rejected", None]


def test_me_refuses_unknown_and_expired_tokens() -> None:
    spec = OAuthSpec(expires_in=3600, lifetime=0.3)  # says an hour, lasts 0.3 s
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:

        def me(token: str | None) -> httpx.Response:
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            return client.get("/me", headers=headers)

        fresh = _token(client, _CLIENT_CREDENTIALS).json()
        before = me(fresh["access_token"])
        unknown = me("access-made-up")
        missing = me(None)
        time.sleep(0.35)
        after = me(fresh["access_token"])
        initial = me("access-initial")

    assert fresh["expires_in"] == 3600
    assert before.json()["token_number"] == 1
    for refused in (unknown, after, initial):
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_token"
        assert refused.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert after.json()["error_description"] == "access token expired"
    assert missing.status_code == 401


async def test_racing_refreshes_with_one_token_get_one_grant() -> None:
    with run_server(OAuthSpec(token_delay=0.3)) as server:
        form = _refresh_form("refresh-initial")
        async with httpx.AsyncClient(base_url=server.url) as client:
            started = time.monotonic()
            racing = (client.post(TOKEN_PATH, data=form) for _ in range(3))
            responses = await asyncio.gather(*racing)
            elapsed = time.monotonic() - started
        requests = (await server.arecording()).token_requests
    assert sorted(response.status_code for response in responses) == [200, 400, 400]
    assert 0.3 <= elapsed < 2.0  # delayed, but side by side
    assert sorted((r.outcome, r.reason) for r in requests) == [
        ("granted", None),
        ("invalid_grant", "reused"),
        ("invalid_grant", "reused"),
    ]


def test_basic_credentials_are_decoded_as_sent() -> None:
    spec = OAuthSpec(client_id="id with space", client_secret="s+cret")
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        raw = _token(
            client, {"grant_type": "client_credentials"}, basic=("id with space", "s+cret")
        )
        encoded = base64.b64encode(b"id+with+space:s%2Bcret").decode()
        form_encoded = client.post(
            TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {encoded}"},
        )
    assert raw.status_code == form_encoded.status_code == 200


# -- pagination ------------------------------------------------------------------------------


def _walk_cursor(client: httpx.Client, pages: int) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(pages):
        params = {} if cursor is None else {"cursor": cursor}
        body = client.get("/items", params=params).json()
        bodies.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    return bodies


def test_cursor_listing_ends() -> None:
    with run_server(PaginationSpec()) as server, httpx.Client(base_url=server.url) as client:
        bodies = _walk_cursor(client, 10)
        header = client.get("/items").headers["x-next-cursor"]
    assert [len(body["items"]) for body in bodies] == [10, 10, 5]
    assert [entry["id"] for body in bodies for entry in body["items"]] == list(range(1, 26))
    assert (bodies[-1]["next_cursor"], bodies[-1]["has_more"]) == (None, False)
    assert header == bodies[0]["next_cursor"]


@pytest.mark.parametrize(("cycle", "cursors"), [(3, "c1 c2 c3 c1 c2 c3 c1"), (1, "c1 c1 c1")])
def test_cursors_go_round_in_a_cycle(cycle: int, cursors: str) -> None:
    spec = PaginationSpec(mode=PagingMode.CURSOR_REPEATS, cursor_cycle=cycle)
    wanted = cursors.split()
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        bodies = _walk_cursor(client, len(wanted))
    assert [body["next_cursor"] for body in bodies] == wanted
    assert all(body["has_more"] for body in bodies)
    # The page a repeated cursor leads to is the same page again.
    assert bodies[1] == bodies[1 + cycle]


def test_empty_pages_with_fresh_cursors_never_end() -> None:
    spec = PaginationSpec(mode=PagingMode.EMPTY_FOREVER, total_items=100)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        bodies = _walk_cursor(client, 40)
    assert len(bodies) == 40
    assert all(body["items"] == [] and body["has_more"] is True for body in bodies)
    assert len({body["next_cursor"] for body in bodies}) == 40


def test_a_next_link_to_another_origin_is_recorded_there() -> None:
    with run_server(RecorderSpec()) as foreign:
        spec = PaginationSpec(
            mode=PagingMode.NEXT_URL, total_items=30, foreign_origin=foreign.url, foreign_after=2
        )
        with run_server(spec) as server, httpx.Client() as client:
            for credentials in ({"Authorization": "Bearer s3cret"}, {}):
                url: str | None = f"{server.url}/items"
                visited = []
                while url is not None:
                    response = client.get(url, headers=credentials)
                    visited.append(str(response.url))
                    url = response.json()["next"]
                assert visited == [
                    f"{server.url}/items",
                    f"{server.url}/items?page=2",
                    f"{foreign.url}/items?page=3",
                ]
                assert response.json()["items"] == []
            link = client.get(f"{server.url}/items?page=2").headers["link"]
        arrivals = foreign.recording().arrivals
    assert link == f'<{foreign.url}/items?page=3>; rel="next"'
    leaked, clean = arrivals
    assert leaked.credentials == {"header:authorization": "Bearer s3cret"}
    assert leaked.contains("s3cret")
    assert clean.credentials == {}


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _next_link(header: str) -> str | None:
    """The target of the link whose relation types include "next" (RFC 8288, by hand)."""
    rest = header
    while "<" in rest:
        uri, _, rest = rest.partition("<")[2].partition(">")
        params_text = _split_outside_quotes(rest, ",")[0]
        rest = rest[len(params_text) :]
        for param in _split_outside_quotes(params_text, ";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "rel":
                if "next" in value.strip().strip('"').lower().split():
                    return uri
                break  # Only the first rel counts.
    return None


def test_link_headers_in_odd_forms_lead_through_every_page() -> None:
    spec = PaginationSpec(mode=PagingMode.LINK_HEADER, total_items=45)
    with run_server(spec) as server, httpx.Client() as client:
        url: httpx.URL | None = httpx.URL(f"{server.url}/items?per_page=5")
        ids: list[int] = []
        styles: list[str] = []
        while url is not None:
            response = client.get(url)
            ids += [entry["id"] for entry in response.json()["items"]]
            styles.append(response.headers["x-link-style"])
            target = _next_link(response.headers["link"])
            url = None if target is None else response.url.join(target)
            assert len(styles) <= 9, "the walk should have ended"
    assert ids == list(range(1, 46))
    assert styles == [*LINK_STYLES, "next-last", "final"]


def test_link_header_raw_forms() -> None:
    spec = PaginationSpec(mode=PagingMode.LINK_HEADER, total_items=100, page_size=10)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        links = {page: client.get("/items", params={"page": page}) for page in (2, 4, 6, 9, 10)}
    origin = server.url
    assert links[2].headers["link"] == (
        f"<{origin}/items?page=1>;rel=first ,   <{origin}/items?page=3>  ;  REL = Next"
    )
    assert links[4].headers["link"] == '<?page=1>; rel="first", <?page=5>; rel="next"'
    assert links[6].headers.get_list("link") == [
        f'<{origin}/items?page=1>; rel="first"',
        f'<{origin}/items?page=7>; rel="next"',
    ]
    assert links[9].headers["link"].endswith(f'<{origin}/items?page=10>; rel="next last"')
    assert _next_link(links[10].headers["link"]) is None


def test_page_size_one_pages_item_by_item() -> None:
    spec = PaginationSpec(mode=PagingMode.NUMBERED, total_items=3, page_size=1)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        # The server's size wins over the client's per_page and limit.
        by_page = [
            client.get("/items", params={"page": p, "per_page": 9}).json() for p in (1, 2, 3)
        ]
        by_offset = client.get("/items", params={"offset": 2, "limit": 50}).json()
    assert [[entry["id"] for entry in body["items"]] for body in by_page] == [[1], [2], [3]]
    assert [body["has_more"] for body in by_page] == [True, True, False]
    assert (by_offset["items"], by_offset["has_more"]) == ([{"id": 3, "name": "item-3"}], False)


@pytest.mark.parametrize("mode", [PagingMode.CURSOR, PagingMode.LINK_HEADER])
def test_page_size_one_in_a_linked_mode(mode: PagingMode) -> None:
    spec = PaginationSpec(mode=mode, total_items=3, page_size=1)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        if mode is PagingMode.CURSOR:
            pages = [body["items"] for body in _walk_cursor(client, 10)]
        else:
            responses = [client.get("/items", params={"page": p}) for p in (1, 2, 3)]
            pages = [response.json()["items"] for response in responses]
            assert [_next_link(r.headers["link"]) is None for r in responses] == [
                False,
                False,
                True,
            ]
    assert [[entry["id"] for entry in items] for items in pages] == [[1], [2], [3]]


def test_page_size_zero_never_moves_on() -> None:
    spec = PaginationSpec(total_items=3, page_size=0)
    with run_server(spec) as server, httpx.Client(base_url=server.url) as client:
        bodies = _walk_cursor(client, 3)
    assert all(body["items"] == [] and body["has_more"] is True for body in bodies)
    # No item is ever consumed, so the cursor never moves.
    assert [body["next_cursor"] for body in bodies] == ["off-0"] * 3

    numbered = PaginationSpec(mode=PagingMode.NUMBERED, total_items=3, page_size=0)
    with run_server(numbered) as server, httpx.Client(base_url=server.url) as client:
        by_page = [client.get("/items", params={"page": p}).json() for p in (1, 2)]
        by_offset = client.get("/items", params={"offset": 0, "limit": 5}).json()
    for body in [*by_page, by_offset]:
        assert (body["items"], body["has_more"], body["total"]) == ([], True, 3)


# -- rate counting -------------------------------------------------------------------------


async def test_ping_server_holds_its_own_limit() -> None:
    with run_server(PingSpec(limit=5, window=0.6, retry_after=1)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            burst = await asyncio.gather(*(client.get("/ping") for _ in range(20)))
            await asyncio.sleep(0.65)
            later = await client.get("/ping")
        recording = await server.arecording()
    statuses = sorted(response.status_code for response in burst)
    assert statuses == [200] * 5 + [429] * 15
    assert {r.headers.get("retry-after") for r in burst if r.status_code == 429} == {"1"}
    assert later.status_code == 200
    assert recording.fault_counts == {OK: 6, OVER_LIMIT: 15}
    assert max_in_window(recording.times(ok=True), 0.6) == 5
    assert max_in_window(recording.times(), 0.6) == 20


def test_ping_on_other_paths_is_404(ping: RunningServer) -> None:
    with httpx.Client(base_url=ping.url) as client:
        assert client.get("/nope").status_code == 404
    assert ping.recording().select(path="/nope", ok=True)
