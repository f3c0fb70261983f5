"""Incremental listings against a real local server: what changed since a checkpoint, ties
at page boundaries with an inclusive filter, commits mid-page, interrupted runs, tokens."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from connectory.core import (
    Changes,
    Checkpoint,
    ConfigurationError,
    ConflictError,
    FileCheckpointStore,
    IncrementalSync,
    NotFoundError,
)
from connectory.core._incremental import comparable, cursor_key
from connectory.core.state import InMemoryCheckpointStore
from tests.capabilities._probe import Task, probe_connector
from tests.capabilities._servers import ChangesSpec, stamp
from tests.servers import run_server

Pair = tuple[str, str]
KEY = "sync:capability_probe:tasks"


def _pairs(tasks: list[Task]) -> list[Pair]:
    return [(t.id, t.updated_at) for t in tasks]


def _check_exactly_once(delivered: list[Pair], state: Mapping[str, Any]) -> None:
    counts = Counter(delivered)
    assert {pair: n for pair, n in counts.items() if n > 1} == {}, "repeated"
    current = set(state["now"].items())
    assert current - set(counts) == set(), "lost"
    assert all(s in state["versions"][t] for t, s in counts), "invented"


# -- cursor values and checkpoints ---------------------------------------------------------


def test_cursor_values_compare_as_what_they_are() -> None:
    def key(value: Any) -> Any:
        found = cursor_key(value)
        assert found is not None
        return found

    assert key("9") < key("10") < key(11)
    assert key("1.5") < key(2)
    assert key("2024-01-01T00:00:00Z") == key("2024-01-01T00:00:00.000+00:00")
    assert key("2024-01-01T10:00:00+02:00") == key("2024-01-01T08:00:00Z")
    assert key("2024-01-01") < key("2024-01-01T00:00:01Z")
    assert key("2024-01-01T00:00:00.1234567Z") > key("2024-01-01T00:00:00.123455Z")
    assert key("Tue, 02 Jan 2024 00:00:00 GMT") > key("2024-01-01T23:59:59Z")
    assert key("abc") < key("abd")
    assert cursor_key(None) is None
    assert cursor_key(True) is None
    assert cursor_key({}) is None
    assert not comparable(key("abc"), key("2024-01-01"))


def test_a_checkpoint_round_trips_through_json() -> None:
    checkpoint = Checkpoint(
        since="2024-01-01T00:00:05Z",
        skip=("t1", "t2"),
        high="2024-01-01T00:00:09Z",
        at_high=("t9",),
        sequence=4,
        scope="abc",
    )
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    assert checkpoint.value == "2024-01-01T00:00:09Z"
    assert not checkpoint.in_listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a JSON object"),
        ({"version": 2, "kind": "updated_at"}, "version: expected 1"),
        ({"version": 1, "kind": "clock"}, "kind: expected one of"),
        ({"version": 1, "kind": "updated_at", "skip": [1]}, "skip: expected a list of id"),
        ({"version": 1, "kind": "updated_at", "since": {}}, "since: expected a string or"),
        ({"version": 1, "kind": "updated_at", "sequence": -1}, "sequence: expected an integer"),
        ({"version": 1, "kind": "token", "position": {"method": "GET"}}, "position: method"),
    ],
)
def test_a_malformed_checkpoint_is_named(data: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"checkpoint 'k': {message}"):
        Checkpoint.from_json(data, where="checkpoint 'k'")


# -- listings -------------------------------------------------------------------------------


async def test_changes_start_after_a_checkpoint_and_hand_back_the_next_one() -> None:
    spec = ChangesSpec(count=30, per_stamp=4, changes=((3, ("t001", "t020")),))
    with run_server(spec) as server:
        async with probe_connector(server.url) as connector:
            first = connector.data_service.changes("/tasks")
            everything = _pairs([t async for t in first])
            assert first.checkpoint.since == first.checkpoint.high == stamp(8)
            assert set(first.checkpoint.skip) == {"t001", "t020"}
            second = connector.data_service.changes("/tasks", since=first.checkpoint)
            again = _pairs(await second.to_list())
            # t001 and t020 changed during the first listing: seen there at their new time
            assert again == []
            assert second.checkpoint == first.checkpoint
            state = (await server.arecording()).state
            tasks = server.recording().select(path="/tasks")
    # t001 changed after it was handed out (both versions come), t020 before (one comes)
    assert len(everything) == 31
    _check_exactly_once(everything, state)
    # the second listing asked for what changed at or after the newest time seen
    assert tasks[-1].query["updated_since"] == stamp(8)


async def test_ties_at_page_boundaries_with_an_inclusive_filter_come_once(tmp_path: Path) -> None:
    # five tasks per timestamp, pages of three: every page boundary cuts a tie; between
    # runs, tasks change to the newest timestamp, which the next run asks for again (>=)
    spec = ChangesSpec(
        count=40,
        per_stamp=5,
        page_size=3,
        changes=((3, ("t000", "t039")), (16, ("t005",)), (17, ("t006", "t030")), (19, ("t007",))),
    )
    store = InMemoryCheckpointStore()
    delivered: list[Pair] = []
    runs = 0
    with run_server(spec) as server:
        while runs < 20:
            runs += 1
            async with probe_connector(server.url) as connector:
                sync = connector.data_service.sync("/tasks", store=store, max_pages=4, limit=3)
                async with sync:
                    found = 0
                    async for page in sync.pages():
                        delivered += _pairs(page.items)
                        found += len(page.items)
                        await sync.commit()
            requests = server.recording().state["list_requests"]
            if not found and not sync.pending.in_listing and requests >= 19:
                break
        state = server.recording().state
    assert runs > 4
    _check_exactly_once(delivered, state)


async def test_a_commit_mid_page_resumes_after_the_last_item_handed_out() -> None:
    store = InMemoryCheckpointStore()
    delivered: list[Pair] = []
    with run_server(ChangesSpec(count=30, per_stamp=3, page_size=7)) as server:
        for stop_after in (10, 6, 100):
            async with (
                probe_connector(server.url) as connector,
                connector.data_service.sync("/tasks", store=store) as sync,
            ):
                handed = 0
                async for task in sync:
                    delivered.append((task.id, task.updated_at))
                    await sync.commit()
                    handed += 1
                    if handed == stop_after:
                        break
                if handed == stop_after:
                    position = sync.committed.position if sync.committed else None
                    assert position is not None
                    assert position.done  # stopped mid-page
        state = server.recording().state
    assert len(delivered) == 30
    _check_exactly_once(delivered, state)


async def test_a_crash_between_sink_and_commit_hands_that_page_out_again() -> None:
    """At least once: the uncommitted page comes again; a sink that keeps only lines
    tagged up to the committed sequence holds each item once."""
    store = InMemoryCheckpointStore()
    sink: list[tuple[int, list[Pair]]] = []

    class Crash(Exception):
        pass

    async def run(crash_on_page: int | None) -> None:
        async with (
            probe_connector(server.url) as connector,
            connector.data_service.sync("/tasks", store=store) as sync,
        ):
            committed = sync.committed.sequence if sync.committed else 0
            sink[:] = [line for line in sink if line[0] <= committed]
            number = 0
            async for page in sync.pages():
                number += 1
                sink.append((sync.pending.sequence, _pairs(page.items)))
                if number == crash_on_page:
                    raise Crash
                await sync.commit()

    with run_server(ChangesSpec(count=40, per_stamp=2, page_size=7)) as server:
        with pytest.raises(Crash):
            await run(crash_on_page=3)
        written = [pair for _, pairs in sink for pair in pairs]
        assert len(written) == 21  # three pages, the third not committed
        third_page = sink[-1][1]
        await run(crash_on_page=None)
        state = server.recording().state
    kept = [pair for _, pairs in sink for pair in pairs]
    _check_exactly_once(kept, state)
    assert len(kept) == 40
    # what a sink without the sequence check would have had: the third page twice
    assert Counter(written + kept[14:])[third_page[0]] == 2


async def test_resuming_does_not_need_a_listing_sorted_by_the_cursor() -> None:
    spec = ChangesSpec(count=35, per_stamp=1, page_size=5, order="id", changes=((3, ("t001",)),))
    store = InMemoryCheckpointStore()
    delivered: list[Pair] = []
    with run_server(spec) as server:
        for _ in range(6):
            async with probe_connector(server.url) as connector:
                sync = connector.data_service.sync("/tasks", store=store, max_pages=2)
                async with sync:
                    async for page in sync.pages():
                        delivered += _pairs(page.items)
                        await sync.commit()
        state = server.recording().state
    _check_exactly_once(delivered, state)
    assert ("t001", stamp(35)) in delivered  # changed after it was passed: its new version


async def test_a_sync_token_resource_lists_everything_then_what_changed() -> None:
    spec = ChangesSpec(count=20, page_size=6, changes=((5, ("t003", "t011")),))
    store = InMemoryCheckpointStore()
    delivered: list[Pair] = []
    with run_server(spec) as server:
        for _ in range(4):
            async with probe_connector(server.url) as connector:
                sync = connector.data_service.sync("/events", store=store, max_pages=2)
                async with sync:
                    async for page in sync.pages():
                        delivered += _pairs(page.items)
                        await sync.commit()
        final = await store.get("sync:capability_probe:events")
        state = server.recording().state
        events = server.recording().select(path="/events")
    _check_exactly_once(delivered, state)
    assert len(delivered) == 22
    checkpoint = Checkpoint.from_json(final)
    assert checkpoint.kind == "token"
    assert isinstance(checkpoint.value, str)
    assert checkpoint.value.startswith("s")
    assert "syncToken" in events[-1].query


async def test_an_expired_sync_token_is_a_not_found_error() -> None:
    with run_server(ChangesSpec(count=5)) as server:
        async with probe_connector(server.url) as connector:
            changes = connector.data_service.changes("/events", since="s-expired")
            with pytest.raises(NotFoundError):
                await changes.to_list()


async def test_a_start_value_lists_from_there_including_ties() -> None:
    with run_server(ChangesSpec(count=20, per_stamp=4)) as server:
        async with probe_connector(server.url) as connector:
            since = dt.datetime(2024, 1, 1, 0, 0, 3, tzinfo=dt.UTC)
            items = await connector.data_service.changes("/tasks", since=since).to_list()
    assert [t.id for t in items] == ["t012", "t013", "t014", "t015", "t016", "t017", "t018", "t019"]


async def test_iter_items_with_since_is_an_incremental_listing() -> None:
    with run_server(ChangesSpec(count=10, per_stamp=2)) as server:
        async with probe_connector(server.url) as connector:
            listing = connector.data_service.iter_items("/tasks", since=stamp(3))
            assert isinstance(listing, Changes)
            ids = [task.id async for task in listing]
            assert listing.checkpoint.value == stamp(4)
            everything = [t async for t in connector.data_service.iter_items("/tasks")]
    assert ids == ["t006", "t007", "t008", "t009"]
    assert len(everything) == 10


async def test_two_syncs_under_one_key_cannot_both_commit() -> None:
    store = InMemoryCheckpointStore()
    with run_server(ChangesSpec(count=10)) as server:
        async with probe_connector(server.url) as connector:
            first = connector.data_service.sync("/tasks", store=store)
            second = connector.data_service.sync("/tasks", store=store)
            await first.load()
            await second.load()
            assert len([t async for t in first]) == 10
            assert len([t async for t in second]) == 10
            await first.commit()
            with pytest.raises(ConflictError, match="another sync under the same key"):
                await second.commit()


async def test_a_checkpoint_is_not_applied_to_another_listing() -> None:
    store = InMemoryCheckpointStore()
    with run_server(ChangesSpec(count=10)) as server:
        async with probe_connector(server.url) as connector:
            async with connector.data_service.sync("/tasks", store=store) as sync:
                assert len([t async for t in sync]) == 10
                await sync.commit()
            other = connector.data_service.sync("/tasks", store=store, limit=3)
            with pytest.raises(ConfigurationError, match="made for another listing"):
                await other.load()
            separate = connector.data_service.sync("/tasks", store=store, key="small", limit=3)
            async with separate:
                assert len([t async for t in separate]) == 10


async def test_misuse_is_refused_with_what_to_do() -> None:
    with run_server(ChangesSpec(count=3)) as server:
        async with probe_connector(server.url) as connector:
            data = connector.data_service
            with pytest.raises(ConfigurationError, match="needs a checkpoint store: pass store="):
                data.sync("/tasks")
            with pytest.raises(ConfigurationError, match="'items' declares no incremental"):
                data.changes("/items")
            with pytest.raises(ConfigurationError, match="as since=, not as the parameter"):
                data.changes("/tasks", updated_since=stamp(1))
            with pytest.raises(ConfigurationError, match="since: expected a Checkpoint"):
                data.changes("/tasks", since=[1])  # type: ignore[arg-type]
            with pytest.raises(ConfigurationError, match="kind 'token' given to a resource"):
                data.changes("/tasks", since=Checkpoint(kind="token"))
            with pytest.raises(ConfigurationError, match="not loaded"):
                _ = data.sync("/tasks", store="memory://").pending
        assert server.recording().arrivals == ()


async def test_the_connector_state_holds_checkpoints_in_files(tmp_path: Path) -> None:
    state = f"file://{tmp_path}"
    with run_server(ChangesSpec(count=8)) as server:
        async with probe_connector(server.url, state=state) as connector:
            sync = connector.data_service.sync("/tasks")
            assert isinstance(sync, IncrementalSync)
            async with sync:
                assert len([t async for t in sync]) == 8
                await sync.commit()
    files = FileCheckpointStore(tmp_path)
    assert files.path_of(KEY).name == "sync%3Acapability_probe%3Atasks.json"
    assert Checkpoint.from_json(await files.get(KEY)).value == stamp(1)


def test_the_blocking_twin_syncs_too(tmp_path: Path) -> None:
    store = f"file://{tmp_path}"
    with (
        run_server(ChangesSpec(count=9, per_stamp=3)) as server,
        probe_connector(server.url) as connector,
    ):
        with connector.data_service.sync("/tasks", store=store) as sync:
            ids = [task.id for task in sync]
            sync.commit_sync()
        with connector.data_service.sync("/tasks", store=store) as again:
            assert [task.id for task in again] == []
            assert again.committed is not None
            assert again.committed.value == stamp(2)
    assert len(ids) == 9


def test_a_checkpoint_never_keeps_credential_parameters() -> None:
    """A next link that echoes an API key (some vendors do) is stored without it."""
    from connectory.core import (
        AuthenticationType,
        BaseAuthenticationService,
        BaseConnectorService,
        ConnectorConfig,
        PageRequest,
        UniversalConnectorFactory,
    )
    from tests.capabilities._probe import ProbeDataService

    config = ConnectorConfig(
        connector_type="keyed_probe",
        authentication_type=AuthenticationType.API_KEY,
        api_key_name="api_key",
        api_key_location="query",
        base_url="https://vendor.example.test",
    )
    factory = UniversalConnectorFactory(discover=False)
    factory.register_connector_implementation(
        "keyed_probe", BaseConnectorService, BaseAuthenticationService, ProbeDataService, config
    )
    with factory.create_connector("keyed_probe") as connector:
        changes = connector.data_service.changes("/tasks")
        echoed = PageRequest(url="/tasks", params={"api_key": "SECRET-key", "cursor": "c2"})
        position = changes._stored(echoed, ())
    assert dict(position.params) == {"cursor": "c2"}
    assert "SECRET" not in str(Checkpoint(position=position).to_json())
