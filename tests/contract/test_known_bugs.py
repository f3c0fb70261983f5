"""Deterministic reproductions of what the contract harness found in shipped connectors.

B1-B8 were found by the harness and are fixed; their reproductions stay as regression
tests, written for the connectors' present shape (``connector.<group>.<op>``). A bug found
and not yet fixed gets a test here marked ``xfail(strict=True)`` and an entry in
_known_bugs.py: fixing it turns the test into an unexpected pass, the signal to drop both.
What the corpus run found and is fixed is pinned on a spec of our own in
tests/generator/test_wire.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from connectory.core import ConnectorError, NotFoundError, PaginationError, RateLimits, testing

from ._fake import FakeVendor, Reply
from ._harness import route, validation_problems
from ._schema import UnsupportedSchemaError
from ._spec import ContractSpec, shipped
from ._types import conformance

pytestmark = pytest.mark.contract


def _run(spec: ContractSpec, vendor: FakeVendor, action: Callable[[Any], Any]) -> Any:
    async def go() -> Any:
        connector = spec.connector(vendor.transport, rate_limits=RateLimits())
        try:
            return await action(connector)
        finally:
            await connector.close()

    with testing.no_waiting():
        return asyncio.run(go())


def _valid(spec: ContractSpec, name: str, request: httpx.Request) -> None:
    """The request is one of operation `name` and openapi-core finds nothing wrong."""
    operation = spec.spec_operation(spec.operation(name))
    raw, problems = route(spec, operation, request)
    assert raw is not None, problems
    problems = validation_problems(spec, operation, request, raw, {}, None)
    assert problems == [], problems


def test_b1_form_body_nested_object_arrives_as_deep_object() -> None:
    """B1: a nested object in a form body is sent as the spec's encoding says (Stripe:
    deepObject), not as its Python repr."""
    spec = shipped("stripe")
    vendor = FakeVendor()
    vendor.reply = Reply.json(
        200, {"id": "cus_1", "object": "customer", "created": 0, "livemode": False}
    )
    body = spec.package.models.PostCustomersBody(metadata={"order": "42"}, name="Ada")
    _run(spec, vendor, lambda c: c.customers.create(body=body))
    (request,) = vendor.requests
    _valid(spec, "customers.create", request)
    assert sorted(parse_qsl(request.content.decode("ascii"))) == [
        ("metadata[order]", "42"),
        ("name", "Ada"),
    ]


def test_b2_deep_object_query_parameter_arrives_in_brackets() -> None:
    """B2: a deepObject query parameter given a model is sent as name[key]=value."""
    spec = shipped("stripe")
    vendor = FakeVendor()
    vendor.reply = Reply.json(
        200, {"data": [], "has_more": False, "object": "list", "url": "/v1/charges"}
    )
    created = spec.package.models.GetChargesCreatedOption1(gt=1, lte=5)
    _run(spec, vendor, lambda c: c.charges.list(created=created).first_page())
    (request,) = vendor.requests
    created_pairs = [(k, v) for k, v in request.url.params.multi_items() if k.startswith("created")]
    assert sorted(created_pairs) == [("created[gt]", "1"), ("created[lte]", "5")]


def test_b3_union_response_decodes_as_the_member_it_validates_against() -> None:
    """B3: the body is valid under SearchResultsWithSharedLinks only."""
    spec = shipped("box")
    vendor = FakeVendor()
    vendor.reply = Reply.json(
        200,
        {
            "entries": [
                {"type": "search_result", "accessible_via_shared_link": "https://example.com/s/1"}
            ]
        },
    )
    result = _run(spec, vendor, lambda c: c.search.list(query="report"))
    models = spec.package.models
    assert isinstance(result, models.SearchResultsWithSharedLinks), type(result).__name__
    assert conformance(result, models.SearchResultsWithSharedLinks) == []


def test_b4_no_parameter_without_a_name() -> None:
    """B4: a spec parameter without a name (Notion retrieveAPage's header) is left out of
    the method and of OPERATIONS, and reported as degraded."""
    spec = shipped("notion")
    info = spec.operation("pages.retrieve_a_page")
    assert all(parameter.name.strip() for parameter in info.parameters)
    assert any("without a name" in note for note in info.degraded)
    for other in spec.operations:
        assert all(parameter.name.strip() for parameter in other.parameters), other.name


@pytest.mark.parametrize("via", ["method", "get_item_metadata"])
def test_b5_dot_segments_stay_path_parameters(via: str) -> None:
    """B5: '.' and '..' path parameters are escaped, not normalised away."""
    spec = shipped("github")
    vendor = FakeVendor()
    vendor.reply = Reply.json(404, {"message": "Not Found"})

    async def action(connector: Any) -> Any:
        if via == "method":
            with pytest.raises(NotFoundError):
                await connector.repos.get("octo", "..")
            return None
        return await connector.data_service.get_item_metadata("..", resource="repos", owner="octo")

    try:
        assert _run(spec, vendor, action) is None
    except ConnectorError as error:
        pytest.fail(repr(error))
    (request,) = vendor.requests
    assert request.url.raw_path == b"/repos/octo/%2E%2E"


def test_b6_an_empty_answer_is_a_result_not_a_crash() -> None:
    """B6: a 200 without content, as Trello's spec allows, reads as None (the generated
    method) or a ConnectorError (get_item_metadata), never a bare JSONDecodeError."""
    spec = shipped("trello")
    vendor = FakeVendor()
    vendor.reply = Reply(200)

    async def action(connector: Any) -> Any:
        try:
            item = await connector.data_service.get_item_metadata(
                "c1", resource="checklists", token="t"
            )
        except ConnectorError:
            item = None
        method = await connector.checklists.get_by_id(id_checklist="c1", key="k", token="t")
        return item, method

    assert _run(spec, vendor, action) == (None, None)
    assert len(vendor.requests) == 2


def test_b7_a_page_without_its_optional_items_field_is_empty() -> None:
    """B7: a listing page that leaves out its (optional) items field holds no items."""
    spec = shipped("airflow")
    vendor = FakeVendor()
    vendor.reply = Reply.json(200, {"total_entries": 0})
    try:
        page = _run(spec, vendor, lambda c: c.connections.list().first_page())
    except PaginationError as error:
        pytest.fail(f"{error}")
    assert page.items == []


@pytest.mark.parametrize("connector", ["brexio", "codat"])
def test_b8_a_trimmed_spec_keeps_what_its_references_point_at(connector: str) -> None:
    """B8: every $ref of a trimmed spec leads somewhere."""
    spec = shipped(connector)
    document = json.dumps(spec.document)
    dangling = []
    for ref in sorted(set(re.findall(r'"\$ref": ?"(#[^"]+)"', document))):
        try:
            spec.converter.resolve(ref)
        except UnsupportedSchemaError:
            dangling.append(ref)
    assert dangling == []
