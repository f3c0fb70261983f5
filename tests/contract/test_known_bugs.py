"""Deterministic reproductions of what the contract harness found in generated and core code.

An open bug is marked ``xfail(strict=True)``: fixing it makes the test pass, which fails
the suite until the mark (and the avoidance in _known_bugs.py) goes. B1-B6 are fixed;
their reproductions stay as regression tests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from connectory.core import ConnectorError, NotFoundError

from ._fake import Exchange, Reply
from ._harness import connected
from ._spec import connector_spec
from ._types import conformance

pytestmark = pytest.mark.contract


def _no_draws(strategy: Any) -> Any:
    raise AssertionError("these tests answer with fixed bodies")


def _answer(status: int, body: Any) -> Any:
    def respond(exchange: Exchange) -> Reply:
        return Reply(status, body)

    return respond


async def test_b1_form_body_nested_object_arrives_as_deep_object() -> None:
    """B1 (fixed): a nested object in a form body is sent as the spec's encoding says
    (Stripe: deepObject), not as its Python repr."""
    spec = connector_spec("stripe")
    customer = {"id": "cus_1", "object": "customer", "created": 0, "livemode": False}
    async with connected(spec, _no_draws) as (service, fake):
        fake.responders["PostCustomers"] = _answer(200, customer)
        data = service.data_service
        await data.post_customers(body={"metadata": {"order": "42"}, "name": "Ada"})  # type: ignore[attr-defined]
    (exchange,) = fake.exchanges
    assert not exchange.errors, fake.report()
    pairs = parse_qsl(exchange.request.content.decode("ascii"))
    assert sorted(pairs) == [("metadata[order]", "42"), ("name", "Ada")]


async def test_b2_deep_object_query_parameter_arrives_in_brackets() -> None:
    """B2 (fixed): a deepObject query parameter given a model is sent as name[key]=value."""
    spec = connector_spec("stripe")
    listing = {"data": [], "has_more": False, "object": "list", "url": "/v1/charges"}
    created = spec.models.GetChargesCreatedOption1(gt=1, lte=5)
    async with connected(spec, _no_draws) as (service, fake):
        fake.responders["GetCharges"] = _answer(200, listing)
        await service.data_service.get_charges(created=created)  # type: ignore[attr-defined]
    (exchange,) = fake.exchanges
    assert not exchange.errors, fake.report()
    assert sorted(exchange.request.url.params.multi_items()) == [
        ("created[gt]", "1"),
        ("created[lte]", "5"),
    ]


async def test_b3_union_response_decodes_as_the_member_it_validates_against() -> None:
    """B3 (fixed): the body is valid under SearchResultsWithSharedLinks only."""
    spec = connector_spec("box")
    body = {
        "entries": [
            {"type": "search_result", "accessible_via_shared_link": "https://example.com/s/1"}
        ]
    }
    async with connected(spec, _no_draws) as (service, fake):
        fake.responders["get_search"] = _answer(200, body)
        result = await service.data_service.get_search(query="report")  # type: ignore[attr-defined]
    (exchange,) = fake.exchanges
    assert not exchange.errors, fake.report()
    assert isinstance(result, spec.models.SearchResultsWithSharedLinks), type(result).__name__
    assert conformance(result, spec.models.SearchResultsWithSharedLinks) == []


async def test_b6_get_item_metadata_reads_an_empty_answer() -> None:
    """B6 (fixed): a 200 without content, as Trello's spec allows, is a result (like the
    generated methods' None) or a ConnectorError, never a bare JSONDecodeError."""
    spec = connector_spec("trello")
    async with connected(spec, _no_draws) as (service, fake):
        fake.responders["getChecklistsByIdChecklist"] = lambda exchange: Reply(200)
        data = service.data_service
        try:
            item = await data.get_item_metadata("c1", resource="checklists", token="t")
        except ConnectorError:
            item = {"value": None}
        # the generated twin reads the same answer as None
        generated: Any = data
        assert (
            await generated.get_checklists_by_id_checklist(id_checklist="c1", key="k", token="t")
            is None
        )
    assert item in ({"value": None}, None)
    assert [exchange.errors for exchange in fake.exchanges] == [[], []], fake.report()


def test_b4_no_parameter_without_a_name() -> None:
    """B4 (fixed): a spec parameter without a name (Notion retrieveAPage's header) is left
    out of the method and of OPERATIONS, and reported as degraded."""
    spec = connector_spec("notion")
    (info,) = [info for info in spec.operations if info.name == "retrieve_a_page"]
    assert all(parameter.name for parameter in info.parameters)
    assert any("without a name" in note for note in info.degraded)
    for info in spec.operations:
        assert all(parameter.name.strip() for parameter in info.parameters), info.name


@pytest.mark.parametrize("via", ["method", "get_item_metadata"])
async def test_b5_dot_segments_stay_path_parameters(via: str) -> None:
    """B5 (fixed): '.' and '..' path parameters are escaped, not normalised away."""
    spec = connector_spec("github")
    async with connected(spec, _no_draws) as (service, fake):
        fake.responders["repos/get"] = _answer(404, {"message": "Not Found"})
        data = service.data_service
        if via == "method":
            with pytest.raises(NotFoundError):
                await data.repos_get(owner="octo", repo="..")  # type: ignore[attr-defined]
        else:
            try:
                assert await data.get_item_metadata("..", resource="repos", owner="octo") is None
            except ConnectorError as error:
                pytest.fail(f"{error!r}; the vendor saw:\n{fake.report()}")
    (exchange,) = fake.exchanges
    assert exchange.operation_id == "repos/get", fake.report()
    assert exchange.path_params == {"owner": "octo", "repo": ".."}
