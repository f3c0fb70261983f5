"""Operations: parameters, request bodies, responses of every kind, and the report."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from connectory.core.resources import operation, paged, sync_operation, sync_paged
from tests.generator._support import (
    FIXTURES,
    Generated,
    Recorder,
    count_operations,
    json_answer,
)

API_KEY = "key-123"


def _spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "operations.json").read_text("utf-8"))
    return document


async def _call(
    package: Generated, recorder: Recorder, operation_id: str, *args: Any, **kwargs: Any
) -> Any:
    async with package.connector(recorder) as connector:
        assert await connector.connect({"api_key": API_KEY})
        return await package.method(connector, operation_id)(*args, **kwargs)


# -- parameters -----------------------------------------------------------------------


def test_path_and_operation_parameters_are_merged_the_operation_winning(
    operations_pkg: Generated,
) -> None:
    params = [
        (p.name, p.location, p.required, p.type)
        for p in operations_pkg.operation("getItem").parameters
    ]
    assert params == [
        ("item_id", "path", True, "str"),
        ("fields", "query", True, "list[str]"),  # the operation's, not the path item's str
        ("trace", "query", False, "bool"),  # only declared on the path item
        ("X-Request-Id", "header", False, "str"),
    ]
    # the other operation of the path item gets the path item's own version
    delete = {
        p.name: (p.required, p.type) for p in operations_pkg.operation("deleteItem").parameters
    }
    assert delete == {"item_id": (True, "str"), "fields": (False, "str"), "trace": (False, "bool")}


async def test_path_query_header_and_auth_are_sent(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer({"id": "a/b", "size": 3}))
    item = await _call(
        operations_pkg,
        recorder,
        "getItem",
        "a/b",
        fields=["x", "y"],
        trace=True,
        x_request_id="r-1",
    )
    request = recorder.last
    assert request.method == "GET"
    assert request.url.host == "eu.ops.example.test"  # server variable filled in
    assert request.url.raw_path == b"/api/items/a%2Fb?fields=x%2Cy&trace=true"
    assert request.headers["X-Request-Id"] == "r-1"
    assert request.headers["X-Api-Key"] == API_KEY
    assert type(item) is operations_pkg.models.Item
    assert (item.id, item.size) == ("a/b", 3)


async def test_unset_optional_parameters_are_not_sent(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer({"id": "1"}))
    await _call(operations_pkg, recorder, "getItem", "1", fields=["x"])
    assert dict(recorder.last.url.params) == {"fields": "x"}
    assert "X-Request-Id" not in recorder.last.headers


async def test_query_arrays_explode_or_join(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer([{"id": "1"}]))
    items = await _call(operations_pkg, recorder, "listItems", tag=["a", "b"], ids=[1, 2])
    query = parse_qs(recorder.last.url.query.decode())
    assert query == {"tag": ["a", "b"], "ids": ["1,2"]}
    assert [type(i) for i in items] == [operations_pkg.models.Item]


# -- request bodies -------------------------------------------------------------------


async def test_json_request_body(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer({"id": "new", "size": 1}, status=201))
    body = operations_pkg.models.Item(id="new", size=1)
    params = {p.name: p.py_name for p in operations_pkg.operation("createItem").parameters}
    created = await _call(
        operations_pkg, recorder, "createItem", body=body, **{params["response"]: "h"}
    )
    request = recorder.last
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"id": "new", "size": 1}
    assert request.headers["response"] == "h"
    assert created == body


async def test_form_request_body_and_text_response(operations_pkg: Generated) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, text="thanks"))
    body = operations_pkg.models.SubmitFormBody(name="n", count=2)
    answer = await _call(operations_pkg, recorder, "submitForm", body=body)
    request = recorder.last
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {"name": ["n"], "count": ["2"]}
    assert answer == "thanks"
    assert operations_pkg.operation("submitForm").response_type == "str"


async def test_form_body_is_optional_when_the_spec_says_so(operations_pkg: Generated) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, text=""))
    assert await _call(operations_pkg, recorder, "submitForm") == ""
    assert recorder.last.content == b""


async def test_multipart_request_body(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer({"stored": True}))
    body = operations_pkg.models.UploadFileBody(file=b"\x00PNG-bytes", note="hi")
    answer = await _call(operations_pkg, recorder, "uploadFile", body=body)
    request = recorder.last
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"' in request.content
    assert b"\x00PNG-bytes" in request.content
    assert b'name="note"' in request.content
    assert b"hi" in request.content
    assert answer == {"stored": True}  # */* is decoded as JSON


async def test_any_media_type_that_is_not_json_falls_back_to_text(
    operations_pkg: Generated,
) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, text="plain words"))
    body = operations_pkg.models.UploadFileBody(note="x")
    assert await _call(operations_pkg, recorder, "uploadFile", body=body) == "plain words"


async def test_octet_stream_body_and_image_response(operations_pkg: Generated) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\x01"
    recorder = Recorder(
        lambda request: httpx.Response(200, content=image, headers={"Content-Type": "image/png"})
    )
    answer = await _call(operations_pkg, recorder, "putRaw", body=b"raw\x00data")
    request = recorder.last
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.content == b"raw\x00data"
    assert answer == image
    assert operations_pkg.operation("putRaw").response_type == "bytes"


# -- responses ------------------------------------------------------------------------


async def test_vendor_json_media_type_is_decoded(operations_pkg: Generated) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        body = json.dumps([{"id": "v", "size": 2}]).encode()
        return httpx.Response(
            200, content=body, headers={"Content-Type": "application/vnd.ops.v2+json"}
        )

    items = await _call(operations_pkg, Recorder(respond), "listItems")
    assert [(type(i), i.id, i.size) for i in items] == [(operations_pkg.models.Item, "v", 2)]
    assert operations_pkg.operation("listItems").response_type == "list[Item]"


async def test_no_content_response_returns_none(operations_pkg: Generated) -> None:
    recorder = Recorder(lambda request: httpx.Response(204))
    assert await _call(operations_pkg, recorder, "deleteItem", "7") is None
    assert recorder.last.method == "DELETE"
    assert operations_pkg.operation("deleteItem").response_type == "None"


async def test_redirect_only_operation_returns_the_bytes_it_leads_to(
    operations_pkg: Generated,
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/downloads/7":
            return httpx.Response(302, headers={"Location": "https://files.example.test/blob/7"})
        return httpx.Response(200, content=b"file-content")

    recorder = Recorder(respond)
    answer = await _call(operations_pkg, recorder, "downloadFile", 7)
    assert answer == b"file-content"
    assert [str(r.url) for r in recorder.requests] == [
        "https://eu.ops.example.test/api/downloads/7",
        "https://files.example.test/blob/7",
    ]
    assert operations_pkg.operation("downloadFile").response_type == "bytes"


async def test_success_without_declared_content_returns_parsed_json(
    operations_pkg: Generated,
) -> None:
    recorder = Recorder(json_answer({"surprise": [1, 2]}))
    assert await _call(operations_pkg, recorder, "noContent") == {"surprise": [1, 2]}
    info = operations_pkg.operation("noContent")
    assert not info.typed
    assert info.degraded == ()  # nothing the generator failed at: the spec says nothing
    assert len(info.untyped) == 1
    assert info.untyped[0].startswith("the spec declares no content (returned as parsed JSON)")


def test_sync_twins_work_without_an_event_loop(operations_pkg: Generated) -> None:
    recorder = Recorder(json_answer({"id": "s"}))
    connector = operations_pkg.connector(recorder)
    try:
        assert connector.connect_sync({"api_key": API_KEY})
        item = connector.items.get_sync("s", fields=["a", "b"])  # type: ignore[attr-defined]
    finally:
        connector.close_sync()
    assert item.id == "s"
    assert recorder.last.url.params["fields"] == "a,b"


# -- nothing dropped, the report ------------------------------------------------------


def test_every_operation_is_generated(operations_pkg: Generated) -> None:
    spec = _spec()
    generated = operations_pkg.module.OPERATIONS
    assert len(generated) == count_operations(spec) == 14
    expected = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert {(op.path, op.method) for op in generated} == expected
    resources = operations_pkg.module.resources
    for op in generated:
        group, _, name = op.name.partition(".")
        resource = getattr(resources, group.title().replace("_", ""))
        assert isinstance(getattr(resource, name), operation | paged)
        assert isinstance(getattr(resource, f"{name}_sync"), sync_operation | sync_paged)


def test_report_counts(operations_pkg: Generated) -> None:
    report = operations_pkg.report
    assert report["operations_total"] == 14
    assert report["operations_typed"] == 10
    # the generator's own fallbacks...
    assert report["operations_degraded"] == [
        {
            "operation": "badLocation",
            "reason": "parameter 'payload': unknown location 'body'",
            "pointers": ["/paths/~1degraded~1bad-location/get/parameters/0"],
        },
    ]
    assert report["reasons"] == {"parameter 'payload'": 1}
    assert report["degraded_share"] == round(1 / 14, 4)
    # ...apart from what the spec leaves untyped
    no_schema = "the spec gives no schema (returned as parsed JSON)"
    untyped = {u["operation"]: (u["reason"], u["pointers"]) for u in report["operations_untyped"]}
    assert untyped == {
        "uploadFile": (no_schema, ["/paths/~1uploads/post/responses/200"]),
        "noContent": (
            "the spec declares no content (returned as parsed JSON)",
            ["/paths/~1degraded~1no-content/get/responses/200"],
        ),
        "noSchema": (no_schema, ["/paths/~1degraded~1no-schema/get/responses/200"]),
    }
    assert report["untyped_reasons"] == {
        "the spec declares no content (returned as parsed JSON)": 1,
        no_schema: 2,
    }
    assert report["untyped_share"] == round(3 / 14, 4)
    assert report["models_generated"] == 4  # Item, Thing, and the form and multipart bodies
    typed = [op for op in operations_pkg.module.OPERATIONS if op.typed]
    assert len(typed) == report["operations_typed"]


@pytest.mark.parametrize(
    ("operation_id", "content_type"),
    [
        ("submitForm", "application/x-www-form-urlencoded"),
        ("uploadFile", "multipart/form-data"),
        ("putRaw", "application/octet-stream"),
        ("createItem", "application/json"),
    ],
)
def test_operations_record_their_body_content_type(
    operations_pkg: Generated, operation_id: str, content_type: str
) -> None:
    assert operations_pkg.operation(operation_id).body_content_type == content_type
