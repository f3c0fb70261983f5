"""batch_get_metadata against a real local server: every id answered in input order, each
failure typed and kept with its item, the rate limit held as the server counts arrivals."""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

import pytest

from connectory.connectors.hubspot import HubSpotConnector
from connectory.connectors.hubspot import models as hs
from connectory.core import (
    AuthenticationError,
    BatchResult,
    ConfigurationError,
    NotFoundError,
    ServerError,
)
from tests.capabilities._probe import Item, probe_connector
from tests.capabilities._servers import TOKEN, ItemsSpec
from tests.servers import max_in_window, run_server

LIMIT = 20  # requests per second, the connector's limit in these tests
ATTEMPTS = 3  # the probe connector's retry attempts (a failing id arrives this often)


def _per_clock_second(times: list[float]) -> int:
    """The most arrivals in one whole second counted from the first arrival."""
    start = min(times)
    return max(Counter(int(t - start) for t in times).values())


async def _batch_with_failures(count: int, figures: dict[str, Any], name: str) -> None:
    rng = random.Random(count)
    ids = [str(i) for i in range(count)]
    bad = rng.sample(ids, count // 20)  # 5%
    missing, failing = frozenset(bad[::2]), frozenset(bad[1::2])
    rng.shuffle(ids)  # the answer must follow the input order, not the ids' own
    with run_server(ItemsSpec(count=count, missing=missing, failing=failing)) as server:
        async with probe_connector(server.url, per_second=LIMIT) as connector:
            started = time.monotonic()
            results = await connector.data_service.batch_get_metadata(ids, "items")
            wall = time.monotonic() - started
            stats = connector.monitoring_service.operations["get_items"]
        recording = server.recording()

    assert [r.item_id for r in results] == ids
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    assert len(ok) == count - len(bad)
    assert len(failed) == len(bad)
    for result in ok:
        assert isinstance(result.value, Item)
        assert result.value.id == result.item_id
        assert result.error is None
    for result in failed:
        expected = NotFoundError if result.item_id in missing else ServerError
        assert isinstance(result.error, expected), result
        assert result.item is None
        with pytest.raises(expected):
            _ = result.value

    times = recording.times()
    arrivals = Counter(a.path.rsplit("/", 1)[-1] for a in recording.arrivals)
    # each id went through the pipeline: once, or (5xx) once per retry attempt
    assert arrivals == {i: ATTEMPTS if i in failing else 1 for i in ids}
    assert all(a.header("authorization") == f"Bearer {TOKEN}" for a in recording.arrivals)
    assert stats.requests == len(times)  # the metrics saw every attempt
    busiest = max_in_window(times, 1.0)
    assert busiest <= LIMIT
    assert _per_clock_second(times) <= LIMIT
    figures[name] = {
        "ids": count,
        "items": len(ok),
        "errors": len(failed),
        "not_found": len(missing),
        "server_errors": len(failing),
        "requests_at_server": len(times),
        "max_arrivals_in_any_1s_window": busiest,
        "limit_per_second": LIMIT,
        "wall_seconds": round(wall, 2),
    }


@pytest.mark.slow
async def test_500_ids_with_5_percent_failing_at_20_per_second(figures: dict[str, Any]) -> None:
    await _batch_with_failures(500, figures, "batch_500_ids_20_per_second")


async def test_60_ids_with_5_percent_failing_at_20_per_second(figures: dict[str, Any]) -> None:
    await _batch_with_failures(60, figures, "batch_60_ids_20_per_second")


async def test_no_more_requests_in_flight_than_the_concurrency() -> None:
    with run_server(ItemsSpec(count=40)) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(
                [str(i) for i in range(40)], "items", concurrency=3
            )
        recording = server.recording()
    assert all(r.ok for r in results)
    assert len(recording.arrivals) == 40
    assert recording.max_in_flight <= 3


async def test_repeated_ids_are_fetched_once_and_answered_at_each_place() -> None:
    ids = ["4", "2", "4", "9", "2"]
    with run_server(ItemsSpec(count=10, missing=frozenset({"9"}))) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(ids, "items")
        recording = server.recording()
    assert [r.item_id for r in results] == ids
    assert [r.ok for r in results] == [True, True, True, False, True]
    assert results[0] is results[2]
    assert sorted(a.path for a in recording.arrivals) == ["/items/2", "/items/4", "/items/9"]


async def test_the_vendor_batch_endpoint_is_used_in_chunks_of_its_maximum() -> None:
    ids = [str(i) for i in range(250)]
    missing = frozenset({"7", "150"})
    with run_server(ItemsSpec(count=240, missing=missing, max_batch=100)) as server:
        async with probe_connector(server.url, per_second=LIMIT) as connector:
            results = await connector.data_service.batch_get_metadata(ids, "batch_items")
        recording = server.recording()
    posts = recording.select(method="POST", path="/items/batch/read")
    assert len(recording.arrivals) == len(posts) == 3
    sizes = sorted(len(a.json()["inputs"]) for a in posts)
    assert sizes == [50, 100, 100]
    sent = [entry["id"] for a in posts for entry in a.json()["inputs"]]
    assert sorted(sent) == sorted(ids)
    assert [r.item_id for r in results] == ids
    absent = {r.item_id for r in results if not r.ok}
    assert absent == missing | {str(i) for i in range(240, 250)}
    for result in results:
        if result.ok:
            assert isinstance(result.value, Item)
            assert result.value.id == result.item_id
        else:
            assert isinstance(result.error, NotFoundError)
            assert "Could not get some objects" in str(result.error)  # the vendor's message


async def test_a_failing_batch_call_fails_only_the_ids_it_carried() -> None:
    ids = [str(i) for i in range(150)]
    with run_server(ItemsSpec(count=150, batch_failing=frozenset({"120"}))) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(ids, "batch_items")
    assert [r.ok for r in results] == [True] * 100 + [False] * 50
    assert all(isinstance(r.error, ServerError) for r in results[100:])


async def test_a_batch_read_is_a_read_and_retried_after_a_503() -> None:
    # The vendor's batch read is a POST, but it changes nothing: retried as a GET would be.
    with run_server(ItemsSpec(count=5, batch_unavailable=1)) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(["1", "3"], "batch_items")
        recording = server.recording()
    assert [r.ok for r in results] == [True, True]
    assert len(recording.select(method="POST", path="/items/batch/read")) == 2


async def test_per_id_gets_can_be_chosen_over_the_batch_endpoint() -> None:
    with run_server(ItemsSpec(count=5)) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(
                ["1", "3"], "batch_items", use_batch_endpoint=False
            )
        recording = server.recording()
    assert [r.value.id for r in results] == ["1", "3"]
    assert {a.path for a in recording.arrivals} == {"/items/1", "/items/3"}


async def test_rejected_credentials_stop_the_batch_after_the_first_answers() -> None:
    with run_server(ItemsSpec(count=200)) as server:
        async with probe_connector(server.url) as connector:
            connector.use_credentials({"access_token": "wrong"})
            results = await connector.data_service.batch_get_metadata(
                [str(i) for i in range(200)], "items", concurrency=4
            )
        recording = server.recording()
    assert len(results) == 200
    assert all(isinstance(r.error, AuthenticationError) for r in results)
    assert len(recording.arrivals) <= 4  # the requests already under way, no more
    assert "wrong" not in repr(results)


async def test_raw_items_are_the_vendor_json() -> None:
    with run_server(ItemsSpec(count=3)) as server:
        async with probe_connector(server.url) as connector:
            results = await connector.data_service.batch_get_metadata(["2"], "items", raw=True)
    assert results[0].value == {"id": "2", "name": "item 2", "size": 20}


def test_the_blocking_twin_answers_the_same() -> None:
    with (
        run_server(ItemsSpec(count=5, missing=frozenset({"1"}))) as server,
        probe_connector(server.url) as connector,
    ):
        results = connector.data_service.batch_get_metadata_sync(["0", "1"], "items")
    assert [r.ok for r in results] == [True, False]
    assert isinstance(results[0].value, Item)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"item_ids": "123", "resource": "items"}, "item_ids: expected a list of ids"),
        ({"item_ids": ["1", None], "resource": "items"}, "item_ids[1]: expected a string"),
        ({"item_ids": ["1", ""], "resource": "items"}, "item_ids[1]: an id cannot be empty"),
        ({"item_ids": ["1"], "resource": "nope"}, "unknown resource 'nope'"),
        ({"item_ids": ["1"], "resource": "tasks"}, "has no get operation and no batch endpoint"),
        ({"item_ids": ["1"], "resource": "items", "concurrency": 0}, "concurrency: must be"),
    ],
)
async def test_bad_input_is_refused_before_anything_is_sent(
    call: dict[str, Any], message: str
) -> None:
    with run_server(ItemsSpec(count=5)) as server:
        async with probe_connector(server.url) as connector:
            with pytest.raises(
                ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")
            ):
                await connector.data_service.batch_get_metadata(**call)
        assert server.recording().arrivals == ()


def test_a_batch_result_says_what_it_holds() -> None:
    good: BatchResult[int] = BatchResult("a", 1)
    bad: BatchResult[int] = BatchResult("b", None, NotFoundError("gone", status_code=404))
    assert good.ok
    assert good.value == 1
    assert good.error is None
    assert good.value_or(0) == 1
    assert not bad.ok
    assert bad.value_or(0) == 0
    assert isinstance(bad.error, NotFoundError)
    with pytest.raises(NotFoundError):
        _ = bad.value
    assert repr(good) == "BatchResult('a', ok)"
    assert "NotFoundError" in repr(bad)


async def test_the_generated_hubspot_connector_uses_its_batch_read() -> None:
    ids = [str(i) for i in range(130)]
    spec = ItemsSpec(
        count=128,
        missing=frozenset({"5"}),
        prefix="/crm/v3/objects/contacts",
        shape="hubspot",
    )
    with run_server(spec) as server:
        async with HubSpotConnector(private_app_token=TOKEN, base_url=server.url) as hubspot:
            assert hubspot.config.batch_operations
            results = await hubspot.data_service.batch_get_metadata(ids, "contacts")
        recording = server.recording()
    posts = recording.select(method="POST", path="/crm/v3/objects/contacts/batch/read")
    assert len(posts) == len(recording.arrivals) == 2
    assert posts[0].json()["properties"] == []
    assert {"id": "0"} in posts[0].json()["inputs"]
    assert [r.item_id for r in results] == ids
    assert {r.item_id for r in results if not r.ok} == {"5", "128", "129"}
    contact = results[0].value
    assert isinstance(contact, hs.Contact)
    assert contact.properties.email == "c0@example.test"
