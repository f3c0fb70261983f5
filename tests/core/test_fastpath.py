"""The msgspec fast path gives exactly what the lenient decoder gives, or stands aside.

Drawn data (valid, or deviating in every way the policy names) decodes to equal models
with equal deviations whichever path takes it; what the fast path refuses goes the
lenient way, so nothing the vendor sent is lost and every deviation is still recorded.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import gc
import json
import random
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from connectory.core._fastpath import Fast, Miss, fast_path
from connectory.core.models import (
    UNSET,
    DecodeError,
    Model,
    Unset,
    decode,
    decode_with_deviations,
    deviations,
    field,
    model,
)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@model
class Owner(Model):
    login: str
    id: int
    site_admin: bool | Unset = UNSET


@model
class Card(Model):
    object: str
    last4: str


@model
class Repo(Model):
    id: int
    name: str
    owner: Owner
    score: float
    created_at: dt.datetime
    due: dt.date | Unset | None = UNSET
    colour: Colour | str | Unset = UNSET
    topics: list[str] | Unset = UNSET
    forks: list[Repo] | Unset = UNSET  # recursive: plain JSON, decoded leniently
    source: str | Owner | Card | Unset | None = UNSET  # a union of models, the same
    sponsor: str | Owner | Unset | None = UNSET  # an id or the object (expandable)
    labels: dict[str, int] | Unset = UNSET
    from_: str | Unset = field("from", default=UNSET)
    anything: Any = None


VALID: dict[str, Any] = {
    "id": 7,
    "name": "spoon",
    "owner": {"login": "octo", "id": 1},
    "score": 1.5,
    "created_at": "2026-11-30T10:20:30Z",
    "due": "2026-12-24",
    "colour": "red",
    "topics": ["a", "b"],
    "forks": [
        {
            "id": 8,
            "name": "f",
            "owner": {"login": "o", "id": 2},
            "score": 2,
            "created_at": "2026-11-30T10:20:30+01:00",
        }
    ],
    "source": {"object": "card", "last4": "4242"},
    "sponsor": {"login": "hubot", "id": 3},
    "labels": {"bug": 3},
    "from": "elsewhere",
    "anything": {"nested": [1, 2.5, None, 123456789012345678901234567890]},
}


def test_seven_fraction_digits_read_as_the_lenient_decoder_reads_them() -> None:
    """.NET writes seven digits; msgspec would round them, fromisoformat cuts them."""
    data = copy.deepcopy(VALID)
    data["created_at"] = "2026-11-30T10:20:30.9999999Z"
    (fast_result, _), (lenient_result, _) = _both(Repo, data)
    assert fast_result.created_at == lenient_result.created_at
    assert fast_result.created_at.microsecond == 999999


def _both(tp: Any, data: Any) -> tuple[Any, Any]:
    fast = decode_with_deviations(tp, data)
    lenient = decode_with_deviations(tp, data, fast=False)
    return fast, lenient


def _refused_then_lenient(tp: Any, data: Any) -> tuple[Any, Any]:
    """`data` refused by the fast path, then decoded (and its deviations recorded) just as
    the lenient decoder alone decodes it: the result and the deviations."""
    path = fast_path(tp)
    assert path is not None
    with pytest.raises(Miss):
        path.from_python(data)
    (fast_result, fast_found), (lenient_result, lenient_found) = _both(tp, data)
    assert fast_result == lenient_result
    assert fast_found == lenient_found
    return fast_result, fast_found


def test_valid_data_takes_the_fast_path_and_equals_the_lenient_result() -> None:
    path = fast_path(list[Repo])
    assert path is not None
    text = (
        b'[{"id":7,"name":"spoon","owner":{"login":"octo","id":1},"score":1.5,'
        b'"created_at":"2026-11-30T10:20:30Z","anything":{"big":123456789012345678901234567890}}]'
    )
    fast = path.from_json(text)
    assert fast == decode(list[Repo], json.loads(text))
    assert fast[0].anything == {"big": 123456789012345678901234567890}  # every digit
    (fast_result, fast_found), (lenient_result, lenient_found) = _both(list[Repo], [VALID])
    assert fast_result == lenient_result
    assert fast_found == lenient_found == ()
    assert path.from_python([VALID]) == lenient_result
    repo = fast_result[0]
    assert repo.colour is Colour.RED
    assert repo.created_at == dt.datetime(2026, 11, 30, 10, 20, 30, tzinfo=dt.UTC)
    assert repo.due == dt.date(2026, 12, 24)
    assert isinstance(repo.forks[0], Repo)
    assert isinstance(repo.forks[0].score, float)  # 2 read as a number
    assert isinstance(repo.source, Card)
    assert isinstance(repo.sponsor, Owner)
    assert repo.from_ == "elsewhere"
    assert repo.additional_properties == {}


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda d: d.pop("name"), "missing"),
        (lambda d: d.update(id="seven"), "type"),
        (lambda d: d.update(score=None), "null"),
        (lambda d: d.update(unknown_field=1), None),  # kept in additional_properties
        (lambda d: d.update(colour="green"), None),  # an open enum keeps other text
        (lambda d: d.update(created_at="yesterday"), "format"),
        (lambda d: d.update(created_at="2026-11-30t10:20:30z"), "format"),  # msgspec takes it
        (lambda d: d.update(due="2026-12-24T00:00:00Z"), "format"),
        (lambda d: d["owner"].update(id=1.5), "type"),
        (lambda d: d["forks"][0].pop("owner"), "missing"),
        (lambda d: d.update(source={"object": "card"}), None),  # scored: no model fits
        (lambda d: d.update(topics={"a": 1}), "type"),
        (lambda d: d.update(sponsor={"login": "hubot"}), None),  # scored: the text or Owner
        (lambda d: d.update(sponsor=5), "type"),
    ],
)
def test_deviating_data_falls_back_and_records_the_same_deviations(
    change: Any, kind: str | None
) -> None:
    data = copy.deepcopy(VALID)
    change(data)
    fast_result, fast_found = _refused_then_lenient(Repo, data)
    assert deviations(fast_result) == fast_found
    if kind is not None:
        assert kind in {d.kind for d in fast_found}
        with pytest.raises(DecodeError):
            decode(Repo, data, strict=True)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
VALID_VALUES = {
    "id": st.integers(),
    "name": st.text(),
    "owner": st.fixed_dictionaries(
        {"login": st.text(), "id": st.integers()}, optional={"site_admin": st.booleans()}
    ),
    "score": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    "created_at": st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
    "due": st.dates().map(dt.date.isoformat) | st.none(),
    "colour": st.sampled_from(["red", "blue", "green"]),
    "topics": st.lists(st.text(), max_size=3),
    "labels": st.dictionaries(st.text(), st.integers(), max_size=3),
    "sponsor": st.text()
    | st.none()
    | st.fixed_dictionaries({"login": st.text(), "id": st.integers()}),
    "from": st.text(),
    "anything": JSON,
}
REQUIRED = ("id", "name", "owner", "score", "created_at")


def _mostly_valid(name: str) -> st.SearchStrategy[Any]:
    """The field's valid values, or now and then any JSON."""
    valid = VALID_VALUES[name]
    return st.one_of(*[valid] * 9, JSON)


OBJECTS = st.fixed_dictionaries(
    {name: _mostly_valid(name) for name in REQUIRED},
    optional={
        **{name: _mostly_valid(name) for name in VALID_VALUES if name not in REQUIRED},
        "extra": JSON,
    },
) | st.fixed_dictionaries({}, optional={name: _mostly_valid(name) for name in VALID_VALUES})


@settings(max_examples=400, deadline=None, derandomize=True)
@given(data=OBJECTS)
def test_fast_and_lenient_agree_on_anything(data: dict[str, Any]) -> None:
    (fast_result, fast_found), (lenient_result, lenient_found) = _both(Repo, data)
    assert fast_result == lenient_result
    assert fast_found == lenient_found
    text = json.dumps(data).encode()
    path = fast_path(Repo)
    assert path is not None
    try:
        from_bytes = path.from_json(text)
    except Miss:
        event("lenient")
        return
    event("fast")
    assert lenient_found == ()  # the fast path takes only what deviates nowhere
    assert from_bytes == lenient_result


def test_a_page_of_mostly_valid_objects_goes_part_fast_part_lenient() -> None:
    """The agreement above is worth something only where both paths take part: a page of
    objects each field of which is now and then dropped or spoiled goes both ways, and
    every object decodes the same whichever way it went."""
    rng = random.Random(20261201)
    junk: list[Any] = [None, "x", 1.5, [], {}, {"object": "card"}]

    def spoiled() -> dict[str, Any]:
        data = copy.deepcopy(VALID)
        for key in list(data):
            roll = rng.random()
            if roll < 0.02:
                del data[key]
            elif roll < 0.04:
                data[key] = rng.choice(junk)
        return data

    page = [spoiled() for _ in range(300)]
    path = fast_path(Repo)
    assert path is not None
    fast = 0
    for data in page:
        try:
            path.from_python(data)
        except Miss:
            pass
        else:
            fast += 1
        (fast_result, fast_found), (lenient_result, lenient_found) = _both(Repo, data)
        assert fast_result == lenient_result
        assert fast_found == lenient_found
    assert 30 <= fast <= 270, f"{fast} of {len(page)} took the fast path"
    whole, found = decode_with_deviations(list[Repo], page)
    assert whole == decode_with_deviations(list[Repo], page, fast=False)[0]
    assert found == decode_with_deviations(list[Repo], page, fast=False)[1]


@model
class Calendar(Model):
    grid: list[list[dt.date]]
    by_owner: dict[str, list[Owner | None]] | Unset = UNSET
    seen: list[dt.datetime | None] | Unset = UNSET
    rooms: dict[str, dict[str, Owner]] | Unset = UNSET


CALENDAR: dict[str, Any] = {
    "grid": [["2026-12-01", "2026-12-02"], [], ["2027-01-01"]],
    "by_owner": {"a": [{"login": "a", "id": 1}, None], "b": []},
    "seen": [None, "2026-12-01T08:00:00+02:00"],
    "rooms": {"x": {"y": {"login": "y", "id": 2, "site_admin": True}}},
}


@pytest.mark.parametrize(
    ("tp", "data"),
    [
        (Calendar, CALENDAR),
        (list[Calendar], [CALENDAR, {"grid": []}]),
        (dict[str, list[Owner]], {"team": [{"login": "a", "id": 1}], "none": []}),
        (list[list[dt.datetime]], [["2026-12-01T00:00:00Z"], []]),
        (dict[str, Owner | None], {"a": None, "b": {"login": "b", "id": 2}}),
    ],
)
def test_nested_containers_convert_fast_to_the_lenient_result(tp: Any, data: Any) -> None:
    path = fast_path(tp)
    assert path is not None
    fast = path.from_python(data)  # taken fast: a Miss would raise here
    assert fast == path.from_json(json.dumps(data).encode())
    (fast_result, _), (lenient_result, lenient_found) = _both(tp, data)
    assert fast == fast_result == lenient_result
    assert lenient_found == ()


def test_a_bad_date_deep_in_containers_falls_back_and_is_recorded() -> None:
    data = copy.deepcopy(CALENDAR)
    data["grid"][2][0] = "the first of January"
    fast_result, fast_found = _refused_then_lenient(Calendar, data)
    assert fast_result.grid[2][0] == "the first of January"  # kept as sent
    assert [d.path for d in fast_found] == ["$.grid[2][0]"]


def test_the_collector_is_paused_while_decoding_and_resumed_after() -> None:
    path = fast_path(Owner)
    assert path is not None
    seen: list[bool] = []

    def convert(value: Any) -> Any:
        seen.append(gc.isenabled())
        if len(seen) == 1:  # a decode inside a decode: the outer one resumes the collector
            inner.from_json(b'{"login": "b", "id": 2}')
            seen.append(gc.isenabled())
        return path.convert(value)

    inner = Fast(path.mirror, convert, path.decoder)
    assert gc.isenabled()
    owner = inner.from_json(b'{"login": "a", "id": 1}')
    assert owner == Owner(login="a", id=1)
    assert seen == [False, False, False]
    assert gc.isenabled()
    with pytest.raises(Miss):  # a miss resumes it too
        inner.from_json(b'{"login": "a"}')
    assert gc.isenabled()


def test_a_collector_the_application_disabled_stays_disabled() -> None:
    path = fast_path(list[Owner])
    assert path is not None
    gc.disable()
    try:
        assert path.from_json(b'[{"login": "a", "id": 1}]') == [Owner(login="a", id=1)]
        assert not gc.isenabled()
    finally:
        gc.enable()
