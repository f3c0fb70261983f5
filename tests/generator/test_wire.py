"""What generated code puts on the wire and makes of what comes back, case by case.

Each test pins one way a request or a response went wrong before (the old behaviour is
named in its docstring), on a small spec of our own (fixtures/wire/): the exact bytes of
the request, or the exact value and deviations of the result. The last tests run the
contract harness of tests/contract over every operation of those specs: each request
validated by openapi-core and read back value by value, each response drawn from its
schema decoded strictly and encoded back.
"""

from __future__ import annotations

import email.parser
import email.policy
import inspect
import json
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from connectory.core import DecodeError
from connectory.core.models import decode, deviations
from connectory.generator._parse import RESERVED_GROUPS
from tests.contract._harness import Session, check_operation
from tests.contract._spec import ContractSpec
from tests.generator._support import (
    FIXTURES,
    Generated,
    Recorder,
    forget_package,
    generate_and_import,
)

WIRE = FIXTURES / "wire" / "wire.yaml"
WIRE31 = FIXTURES / "wire" / "wire31.yaml"


@pytest.fixture(scope="module")
def wire(packages_root: Path) -> Iterator[Generated]:
    package = generate_and_import(WIRE, "wire", packages_root)
    yield package
    forget_package(package.name)


@pytest.fixture(scope="module")
def wire31(packages_root: Path) -> Iterator[Generated]:
    package = generate_and_import(WIRE31, "wire31", packages_root)
    yield package
    forget_package(package.name)


def _answer(
    status: int = 200, content: bytes = b"", content_type: str = "application/json"
) -> Recorder:
    def respond(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": content_type} if content else {}
        return httpx.Response(status, content=content, headers=headers)

    return Recorder(respond)


def _json(value: Any, status: int = 200) -> Recorder:
    return _answer(status, json.dumps(value).encode())


async def _call(
    package: Generated, recorder: Recorder, name: str, *args: Any, **kwargs: Any
) -> Any:
    """``connector.<group>.<method>(...)`` of the operation called `name` in OPERATIONS."""
    group, _, method = name.partition(".")
    async with package.connector(recorder) as connector:
        return await getattr(getattr(connector, group), method)(*args, **kwargs)


async def _raw(package: Generated, recorder: Recorder, name: str, **kwargs: Any) -> Any:
    group, _, method = name.partition(".")
    async with package.connector(recorder) as connector:
        return await getattr(getattr(connector, group), method).raw(**kwargs)


def _query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)


def _parts(request: httpx.Request) -> list[tuple[str, str | None, str, bytes]]:
    """(name, filename, content type, payload) of each part of a multipart body."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    parts = []
    for part in message.iter_parts():
        params = dict(part.get_params(header="content-disposition") or [])
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        parts.append((params["name"], params.get("filename"), part.get_content_type(), payload))
    return parts


# -- parameters ----------------------------------------------------------------------------


async def test_an_omitted_optional_cookie_is_not_sent(wire: Generated) -> None:
    """Before: ``Cookie: session=Unset.UNSET`` when the optional cookie was left out."""
    recorder = _json({"ok": True})
    await _call(wire, recorder, "wire.optional_cookie", q="x")
    assert "cookie" not in recorder.last.headers
    await _call(wire, recorder, "wire.optional_cookie", session="a b;c")
    assert recorder.last.headers["cookie"] == "session=a%20b%3Bc"


async def test_delimited_query_arrays_use_their_own_delimiter(wire: Generated) -> None:
    """Before: pipeDelimited, spaceDelimited and tabDelimited arrays joined with commas."""
    recorder = _json({"ok": True})
    await _call(wire, recorder, "wire.delimited", pipes=["a", "b"], spaces=[1, 2], tabs=["x", "y"])
    assert _query(recorder.last) == [("pipes", "a|b"), ("spaces", "1 2"), ("tabs", "x\ty")]


async def test_empty_arrays_are_not_sent(wire: Generated) -> None:
    """An empty array is undefined (RFC 6570): no ``pipes=`` with an empty value, no
    empty header."""
    recorder = _json({"ok": True})
    await _call(wire, recorder, "wire.delimited", pipes=[], spaces=[1], tabs=[])
    assert _query(recorder.last) == [("spaces", "1")]
    headers = _answer(204)
    await _call(wire, headers, "wire.header_styles", x_tags=[])
    assert "x-tags" not in headers.last.headers


async def test_path_arrays_and_objects_follow_their_style(wire: Generated) -> None:
    """Before: array and object path parameters went out as their Python repr."""
    point = wire.models.Point(x=1, y="p q")
    recorder = _answer(204)
    await _call(
        wire,
        recorder,
        "wire.path_styles",
        sa=["a", "b/c"],
        la=[1, 2],
        ma=["x", "y"],
        so=point,
        lo=point,
        mo=point,
    )
    segments = recorder.last.url.raw_path.decode("ascii").split("/")[-6:]
    assert segments == [
        "a,b%2Fc",  # simple: items joined by commas, each percent-encoded
        ".1.2",  # label, exploded
        ";ma=x,y",  # matrix
        "x=1,y=p%20q",  # simple object, exploded
        ".x,1,y,p%20q",  # label object
        ";x=1;y=p%20q",  # matrix object, exploded
    ]


async def test_header_arrays_and_objects_follow_the_simple_style(wire: Generated) -> None:
    """Before: array and object header parameters went out as their Python repr."""
    recorder = _answer(204)
    point = wire.models.Point(x=3, y="z")
    await _call(wire, recorder, "wire.header_styles", x_tags=["a", "b"], x_point=point)
    assert recorder.last.headers["x-tags"] == "a,b"
    assert recorder.last.headers["x-point"] == "x=3,y=z"


async def test_arrays_of_objects_in_the_query_are_json(wire: Generated) -> None:
    """Before: an array of objects in a query parameter went out as its repr; OpenAPI
    defines no serialisation for it, JSON is the documented choice. deepObject: brackets."""
    recorder = _answer(204)
    points = [wire.models.Point(x=1, y="a"), wire.models.Point(x=2, y="b")]
    await _call(wire, recorder, "wire.query_objects", filters=points, where=points[0])
    query = _query(recorder.last)
    assert query[0][0] == "filters"
    assert json.loads(query[0][1]) == [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}]
    assert query[1:] == [("where[x]", "1"), ("where[y]", "a")]


async def test_header_parameters_the_client_sets_are_no_arguments(wire: Generated) -> None:
    """Before: header parameters named Authorization, Content-Type or Accept (which
    OpenAPI says to ignore) became arguments, required ones too: a caller had to pass an
    Authorization by hand, and it overrode the connector's auth."""
    info = wire.operation("wire/client_headers")
    assert [p.name for p in info.parameters] == ["X-Trace"]
    recorder = _answer(204)
    await _call(wire, recorder, "wire.client_headers", x_trace="t-1")
    assert recorder.last.headers["x-trace"] == "t-1"
    assert recorder.last.headers["accept"] == "application/json"


def test_a_non_boolean_required_is_reported(wire: Generated) -> None:
    """Before: ``required: "yes"`` was read as true without a word."""
    info = wire.operation("wire/bad_required")
    assert info.parameters[0].required is False
    assert any("'required' is 'yes', not a boolean" in note for note in info.degraded)


# -- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("wire.merge_patch", "application/merge-patch+json"),
        ("wire.apply_patch", "application/apply-patch+yaml"),
    ],
)
async def test_json_bodies_keep_their_media_type(
    wire: Generated, name: str, content_type: str
) -> None:
    """Before: merge-patch+json (and apply-patch+yaml) bodies were sent as application/json."""
    recorder = _json({"id": "t1"})
    thing = wire.models.Thing(id="t1", size=2.5)
    await _call(wire, recorder, name, "t1", body=thing)
    assert recorder.last.headers["content-type"] == content_type
    assert json.loads(recorder.last.content) == {"id": "t1", "size": 2.5}


async def test_a_json_patch_body_keeps_its_media_type(wire: Generated) -> None:
    recorder = _answer(204)
    operation = wire.models.WireJsonPatchBodyItem(op="replace", path="/name", value="n")
    await _call(wire, recorder, "wire.json_patch", "t1", body=[operation])
    assert recorder.last.headers["content-type"] == "application/json-patch+json"
    assert json.loads(recorder.last.content) == [{"op": "replace", "path": "/name", "value": "n"}]


async def test_a_media_range_body_is_sent_as_json(wire: Generated) -> None:
    """Before: a body declared under ``*/*`` went out with ``Content-Type: */*``, which is
    no media type (servers that check answer 415)."""
    recorder = _answer(204)
    await _call(wire, recorder, "wire.send_anything", body=wire.models.Thing(id="t"))
    assert recorder.last.headers["content-type"] == "application/json"
    assert json.loads(recorder.last.content) == {"id": "t"}


def test_form_and_multipart_bodies_are_typed(wire: Generated) -> None:
    """Before: form and multipart bodies were typed ``dict[str, Any]``."""
    for operation_id in ("wire/form_nested", "wire/multipart_fields", "wire/multipart_files"):
        body_type = wire.operation(operation_id).body_type
        assert body_type is not None, operation_id
        assert hasattr(wire.models, body_type), body_type


async def test_a_multipart_body_without_a_file_is_multipart(wire: Generated) -> None:
    """Before: a multipart body without a file part was sent urlencoded; nested objects
    in it as their repr."""
    recorder = _answer(204)
    body = wire.models.WireMultipartFieldsBody(
        title="t", count=2, meta=wire.models.Point(x=1, y="y"), labels=["a", "b"]
    )
    await _call(wire, recorder, "wire.multipart_fields", body=body)
    assert recorder.last.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert _parts(recorder.last) == [
        ("title", None, "text/plain", b"t"),
        ("count", None, "text/plain", b"2"),
        ("meta", None, "application/json", b'{"x":1,"y":"y"}'),
        ("labels", None, "text/plain", b"a"),
        ("labels", None, "text/plain", b"b"),
    ]


async def test_a_list_of_files_is_sent_as_file_parts(wire: Generated) -> None:
    """Before: a list of files went out as plain fields."""
    recorder = _answer(204)
    body = wire.models.WireMultipartFilesBody(
        doc=b"%PDF", attachments=[b"one", ("b.txt", b"two", "text/plain")]
    )
    await _call(wire, recorder, "wire.multipart_files", body=body)
    parts = _parts(recorder.last)
    assert [(name, payload) for name, _, _, payload in parts] == [
        ("doc", b"%PDF"),
        ("attachments", b"one"),
        ("attachments", b"two"),
    ]
    assert all(filename for _, filename, _, _ in parts)
    assert parts[2][1:3] == ("b.txt", "text/plain")


async def test_nested_objects_in_a_form_body_go_in_brackets(wire: Generated) -> None:
    """Before: a nested object in a form body went out as its repr."""
    recorder = _answer(204)
    body = wire.models.WireFormNestedBody(
        name="n", metadata={"order": "42"}, point=wire.models.Point(x=1, y="p"), tags=["x", "y"]
    )
    await _call(wire, recorder, "wire.form_nested", body=body)
    assert recorder.last.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(recorder.last.content.decode("ascii")) == [
        ("name", "n"),
        ("metadata[order]", "42"),
        ("point[x]", "1"),
        ("point[y]", "p"),
        ("tags", "x"),
        ("tags", "y"),
    ]


async def test_a_required_field_that_never_came_is_not_sent(wire: Generated) -> None:
    """Before: a model decoded without one of its required fields (a deviation, the field
    UNSET) encoded it as the string "UNSET", and sent that (DigitalOcean's create_record
    went out with ``"name": "UNSET"``)."""
    thing = wire.models.Thing.from_dict({"name": "n"})  # no "id"
    assert [d.kind for d in deviations(thing)] == ["missing"]
    assert thing.to_dict() == {"name": "n"}
    recorder = _json({"id": "t1"})
    await _call(wire, recorder, "wire.merge_patch", "t1", body=thing)
    assert json.loads(recorder.last.content) == {"name": "n"}


async def test_an_empty_multipart_body_is_still_a_body(wire: Generated) -> None:
    """Before: a multipart body without any field set went out as no body at all (httpx
    sends nothing for no parts), which the API reads as its required body missing."""
    recorder = _answer(204)
    await _call(
        wire, recorder, "wire.multipart_optional", body=wire.models.WireMultipartOptionalBody()
    )
    content_type = recorder.last.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.partition("boundary=")[2]
    assert recorder.last.content == f"--{boundary}--\r\n".encode()


async def test_integers_past_64_bits_keep_every_digit(wire: Generated) -> None:
    """Before: a body with an integer past 64 bits raised TypeError (orjson), and such an
    integer in a response came back as a float, its last digits changed."""
    wide = 2**70 + 1
    recorder = _answer(200, b'{"id": %d}' % (wide + 2))
    result = await _call(wire, recorder, "wire.big_numbers", body=wire.models.Big(id=wide))
    assert json.loads(recorder.last.content) == {"id": wide}
    assert result.id == wide + 2


# -- responses -----------------------------------------------------------------------------


async def test_a_discriminator_mapping_may_name_schemas(wire: Generated) -> None:
    """Before: a mapping written with schema names (``dog: Dog``) instead of $refs was
    not resolved, and the first branch that fitted won."""
    recorder = _json({"kind": "dog", "purrs": True, "barks": True})
    pet = await _call(wire, recorder, "wire.pet", "p1")
    assert type(pet) is wire.models.Dog
    assert pet.additional_properties == {"purrs": True}


async def test_an_all_of_member_that_is_a_one_of_is_distributed(wire: Generated) -> None:
    """Before: allOf(Base, oneOf(Circle, Square)) lost either the base or the union."""
    recorder = _json({"id": "s1", "side": 2.0})
    shape = await _call(wire, recorder, "wire.shape", "s1")
    assert (shape.id, shape.side) == ("s1", 2.0)
    assert deviations(shape) == ()


async def test_properties_beside_a_one_of_belong_to_every_branch(wire: Generated) -> None:
    """Before: the properties next to a oneOf were dropped from its branches."""
    recorder = _json({"id": "v1", "gears": 3})
    vehicle = await _call(wire, recorder, "wire.vehicle", "v1")
    assert (vehicle.id, vehicle.gears) == ("v1", 3)
    assert vehicle.additional_properties == {}


async def test_a_one_of_beside_an_all_of_is_one_more_member_of_it(wire: Generated) -> None:
    """Before: allOf(QuoteOptions) with oneOf(ByCarrier, ByCarriers) beside it (ShipEngine's
    rate estimate) typed the body as QuoteOptions alone: no carrier could be set, and the
    schema's own required ``origin`` was optional."""
    by_carrier, by_carriers = wire.models.QuoteOption1, wire.models.QuoteOption2
    with pytest.raises(TypeError, match="origin"):
        by_carrier(carrier_id="c1")
    recorder = _json({"price": 9.5})
    quote = await _call(wire, recorder, "wire.quote", body=by_carrier(origin="DE", carrier_id="c1"))
    assert json.loads(recorder.last.content) == {"origin": "DE", "carrier_id": "c1"}
    assert quote.price == 9.5
    await _call(wire, recorder, "wire.quote", body=by_carriers(origin="DE", carrier_ids=["a"]))
    assert json.loads(recorder.last.content) == {"origin": "DE", "carrier_ids": ["a"]}


async def test_read_only_and_write_only_fields_are_required_one_way(wire: Generated) -> None:
    """Before: a request model demanded the readOnly ``id``, and a response without the
    writeOnly ``password`` decoded with a deviation (raising in strict mode)."""
    account = wire.models.Account(email="e@example.com", password="secret")  # no id
    recorder = _json({"id": "a1", "email": "e@example.com"}, status=201)
    raw = await _raw(wire, recorder, "wire.create_account", body=account, strict=True)
    assert json.loads(recorder.last.content) == {"email": "e@example.com", "password": "secret"}
    assert (raw.parsed.id, raw.deviations) == ("a1", ())


async def test_each_success_status_decodes_into_its_own_type(wire: Generated) -> None:
    """Before: a 202 with another schema than the 200 was decoded as the 200's type."""
    done = await _call(wire, _json({"id": "j", "result": "r"}), "wire.start_job")
    accepted = await _call(
        wire, _json({"ticket": "t", "poll_after": 5}, status=202), "wire.start_job"
    )
    assert type(done) is wire.models.Job
    assert type(accepted) is wire.models.Ticket
    assert deviations(accepted) == ()


async def test_a_binary_schema_under_any_media_type_is_bytes(wire: Generated) -> None:
    """Before: ``*/*`` with ``format: binary`` was parsed as JSON."""
    payload = b"\x89PNG\r\n\x00{not json"
    result = await _call(wire, _answer(200, payload, "image/png"), "wire.download")
    assert result == payload


async def test_a_text_response_asks_for_its_media_type(wire: Generated) -> None:
    """Before: every request said ``Accept: application/json``, a CSV download too."""
    recorder = _answer(200, b"a,b\n1,2\n", "text/csv")
    assert await _call(wire, recorder, "wire.report") == "a,b\n1,2\n"
    assert recorder.last.headers["accept"] == "text/csv"
    await _call(wire, _json({"ok": True}), "wire.optional_cookie")


async def test_a_null_schema_response_is_none(wire31: Generated) -> None:
    """Before: a response schema ``type: "null"`` made a method that failed on null."""
    raw = await _raw(wire31, _answer(200, b"null"), "wire.delete_nothing", strict=True)
    assert (raw.parsed, raw.deviations) == (None, ())
    maybe = await _raw(wire31, _json({"name": None}), "wire.maybe", strict=True)
    assert (maybe.parsed.name, maybe.deviations) == (None, ())


async def test_items_without_a_type_keep_the_value_as_it_came(wire: Generated) -> None:
    """Before: a schema with ``items`` but no ``type`` was read as an array, so an object
    became the list of its keys and a string the list of its characters (Slack's
    ``conversations_info(...).channel``)."""
    body = {"ok": True, "channel": {"id": "C1", "name": "general"}, "topic": "hello"}
    raw = await _raw(wire, _json(body), "wire.conversation", strict=True)
    assert raw.parsed.channel == {"id": "C1", "name": "general"}
    assert raw.parsed.topic == "hello"
    assert raw.deviations == ()


@pytest.mark.parametrize("content", [b"", b"null"])
async def test_an_empty_or_null_list_answer_is_an_empty_list(
    wire: Generated, content: bytes
) -> None:
    """Before: an empty 200 body, or JSON null, for a list operation raised TypeError."""
    raw = await _raw(wire, _answer(200, content), "wire.list_things")
    assert raw.parsed == []
    assert [d.kind for d in raw.deviations] == ["null"]


async def test_a_wrong_scalar_type_is_a_deviation_and_strict_raises(wire: Generated) -> None:
    """Before: a string where an integer was declared passed without a word."""
    raw = await _raw(wire, _json({"count": "3"}), "wire.counted")
    assert raw.parsed.count == "3"  # kept as sent
    assert [(d.path, d.kind) for d in raw.deviations] == [("$.count", "type")]
    with pytest.raises(DecodeError, match=r"\$\.count"):
        await _raw(wire, _json({"count": "3"}), "wire.counted", strict=True)


async def test_a_deprecated_operation_warns_and_says_so(wire: Generated) -> None:
    """Before: ``deprecated: true`` left no trace in the method."""
    group = wire.module.resources.Wire
    assert ".. deprecated::" in (group.old.__doc__ or "")
    with pytest.warns(DeprecationWarning, match=r"wire\.old is deprecated"):
        await _call(wire, _answer(204), "wire.old")


def test_the_fast_paths_of_union_decoding_choose_as_scoring_does(wire: Generated) -> None:
    """Unions decoded without scoring every member where the class of the value decides
    (an enum or its plain value; null or a string beside models) choose what scoring
    chooses: a model still wins an object it fits over a free-form dict."""
    point_type = wire.models.Point
    status = wire.models.WireJsonPatchBodyItemOp
    expandable = str | point_type | None
    assert decode(expandable, None) is None
    assert decode(expandable, "pt_1") == "pt_1"
    assert type(decode(expandable, {"x": 1, "y": "a"})) is point_type
    assert type(decode(dict[str, Any] | point_type, {"x": 1, "y": "a"})) is point_type
    assert decode(dict[str, Any] | point_type, {"z": 1}) == {"z": 1}
    assert decode(status | str, "add") is status.ADD
    assert decode(status | str, "move") == "move"  # a value the API added later, kept
    with pytest.raises(DecodeError):
        decode(status | str, 3, strict=True)


# -- names ---------------------------------------------------------------------------------


async def test_a_group_named_like_a_connector_attribute_is_renamed(wire: Generated) -> None:
    """Before: a tag ``state`` made a group the connector's ``state`` attribute hid."""
    assert wire.operation("state/get").name == "state_api.get"
    assert (await _call(wire, _json({"ok": True}), "state_api.get")).ok is True


async def test_a_method_name_that_is_a_keyword_is_escaped(wire: Generated) -> None:
    """Before: ``globalStats`` on /stats made ``def global(...)``, a syntax error that
    stopped generation (and ``import`` for Linode's domains)."""
    assert wire.operation("globalStats").name == "stats.global_"
    assert (await _call(wire, _json({"ok": False}), "stats.global_")).ok is False


def test_every_public_connector_attribute_is_reserved(wire: Generated) -> None:
    """A resource group must not take the name of anything a connector has (a cached
    property would be hidden by an instance attribute of that name)."""
    connector = wire.connector(lambda request: httpx.Response(204))
    groups = {info.name.partition(".")[0] for info in wire.module.OPERATIONS}
    public = {n for n in [*vars(connector), *dir(type(connector))] if not n.startswith("_")}
    assert public - groups - RESERVED_GROUPS == set()


# -- the contract harness over both fixtures -----------------------------------------------


@pytest.mark.parametrize("fixture", [WIRE, WIRE31], ids=["openapi30", "openapi31"])
def test_every_operation_meets_its_contract(fixture: Path, packages_root: Path) -> None:
    """Every operation: requests valid for openapi-core and carrying what was drawn,
    responses decoding strictly and encoding back (see tests/contract/_harness.py)."""
    spec = ContractSpec.generated(fixture, f"wire_contract_{fixture.stem}", packages_root)
    found = []
    try:
        with warnings.catch_warnings(), Session(spec) as session:
            warnings.simplefilter("ignore", DeprecationWarning)
            for info in spec.operations:
                report = check_operation(session, info, examples=15)
                assert report.requests, info.name
                found += [
                    f"{info.name} [{f.stage}] {f.cause}: {f.detail}"
                    for f in report.findings.values()
                ]
    finally:
        spec.forget()
    assert found == []


def test_methods_take_the_types_their_signature_states(wire: Generated) -> None:
    """Every annotation of every generated method resolves (the harness relies on it)."""
    for group in {info.name.partition(".")[0] for info in wire.module.OPERATIONS}:
        cls = getattr(wire.module.resources, "".join(p.title() for p in group.split("_")))
        for name, member in vars(cls).items():
            fn = getattr(member, "_fn", None)
            if fn is not None:
                hints = typing.get_type_hints(fn)
                assert "return" in hints, name
                assert set(inspect.signature(fn).parameters) - {"self"} <= set(hints), name
