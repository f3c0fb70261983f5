"""The generic data access of every connector: its resources, their listings and items.

``list_items("/")`` must list the resources of connector.yaml, bound to the spec
operations the yaml names. ``list_items("/<resource>")`` must walk a two-page listing
served in the resource's own paging style (and send requests the spec accepts, the page
parameters included), returning the items of both pages. ``get_item_metadata`` must
return the item of the get operation's response, or None on a 404.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectory.core import ConfigurationError, ConnectorError, Resource
from connectory.core._pagination import get_path

from ._fake import NO_BODY, Exchange, Reply
from ._harness import connected, expected_query, parameter_strategy, scalar
from ._known_bugs import LISTING_MISMATCHES
from ._paging import plan_pages, sent_params
from ._settings import CONTRACT
from ._spec import (
    CONNECTORS,
    ROOT,
    ConnectorSpec,
    SpecOperation,
    auth_query_params,
    connector_spec,
)

pytestmark = pytest.mark.contract

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _yaml(connector: str) -> dict[str, Any]:
    path = ROOT / "openapi_specs" / connector / "connector.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _resource(connector: str, name: str) -> Resource:
    for resource in connector_spec(connector).resources:
        if resource.name == name:
            return resource
    raise LookupError(f"{connector} has no resource {name!r}")


def _cases(*, with_get: bool | None = None, mismatches: bool = False) -> list[Any]:
    cases = []
    for name in CONNECTORS:
        for resource in connector_spec(name).resources:
            if with_get is not None and (resource.get_path is not None) is not with_get:
                continue
            reason = LISTING_MISMATCHES.get((name, resource.name)) if mismatches else None
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(
                pytest.param(name, resource.name, id=f"{name}-{resource.name}", marks=marks)
            )
    return cases


def _method_name(spec: ConnectorSpec, operation_id: str) -> str:
    return next(info.name for info in spec.operations if info.operation_id == operation_id)


def _path_values(
    spec: ConnectorSpec, operation: SpecOperation, template: str, draw: Any, *, but: str = ""
) -> dict[str, Any]:
    """Values for the ``{placeholders}`` of a resource path, from the operation's spec."""
    values = {}
    for name in _PLACEHOLDER.findall(template):
        if name != but:
            param = operation.parameter(name, "path")
            values[name] = draw(parameter_strategy(spec, operation, param))
    return values


def _required_query(
    spec: ConnectorSpec, operation: SpecOperation, draw: Any, *, but: frozenset[str]
) -> dict[str, Any]:
    """Values for the operation's required query parameters (Trello's ``token``), but
    those the auth scheme or the paginator sets."""
    values = {}
    for param in operation.parameters:
        skip = param.name in but or param.name in auth_query_params(spec)
        if param.location == "query" and param.required and not skip:
            values[param.name] = draw(parameter_strategy(spec, operation, param))
    return values


def _query_problems(
    operation: SpecOperation, exchange: Exchange, values: dict[str, Any]
) -> list[str]:
    received = list(exchange.request.url.params.multi_items())
    problems = []
    for name, value in values.items():
        want = expected_query(operation.parameter(name, "query"), value)
        got = [(k, v) for k, v in received if k == name or k.startswith(name + "[")]
        if want is not None and got != want:
            problems.append(f"query {name}: sent {got!r}, want {want!r}")
    return problems


def _paging_params(resource: Resource) -> frozenset[str]:
    names = {
        getattr(resource.paginator, attribute, None)
        for attribute in ("cursor_param", "limit_param", "offset_param", "page_param", "size_param")
    }
    return frozenset(name for name in names if isinstance(name, str))


@pytest.mark.parametrize("connector", CONNECTORS)
async def test_resources_are_listed_as_connector_yaml_declares(connector: str) -> None:
    spec = connector_spec(connector)
    declared = _yaml(connector)["resources"]
    async with connected(spec, lambda strategy: pytest.fail("nothing to draw")) as (
        service,
        fake,
    ):
        listed = await service.data_service.list_items("/")
    assert fake.exchanges == []
    assert [entry["name"] for entry in listed] == list(declared)
    for entry, resource in zip(listed, spec.resources, strict=True):
        config = declared[resource.name]
        assert entry == {
            "name": resource.name,
            "path": f"/{resource.name}",
            "list": f"{resource.list_method} {resource.list_path}",
            "get": f"GET {resource.get_path}" if resource.get_path else None,
            "description": config.get("description"),
        }
        listing = spec.operation_for_path(resource.list_method, resource.list_path)
        assert listing.operation_id == config["list"]
        assert resource.list_operation == _method_name(spec, config["list"])
        if "get" in config:
            assert resource.get_path is not None
            getter = spec.operation_for_path("GET", resource.get_path)
            assert getter.operation_id == config["get"]
            assert resource.get_operation == _method_name(spec, config["get"])
            assert resource.id_param == config.get("id_param", "id")
        else:
            assert resource.get_path is None
        assert resource.items_path == config.get("items_path")
        assert resource.item_path == config.get("item_path")


@pytest.mark.parametrize(("connector", "name"), _cases(mismatches=True))
@CONTRACT
@given(data=st.data())
async def test_list_items_walks_every_page(connector: str, name: str, data: st.DataObject) -> None:
    spec = connector_spec(connector)
    resource = _resource(connector, name)
    operation = spec.operation_for_path(resource.list_method, resource.list_path)
    path_values = _path_values(spec, operation, resource.list_path, data.draw)
    query = _required_query(spec, operation, data.draw, but=_paging_params(resource))
    plan = plan_pages(spec, resource, operation, data.draw)
    async with connected(spec, data.draw) as (service, fake):
        fake.responders[operation.operation_id] = plan.respond
        try:
            items = await service.data_service.list_items(f"/{name}", **path_values, **query)
        except ConnectorError as error:
            pytest.fail(f"list_items raised {error!r}; the vendor saw:\n{fake.report()}")
    assert len(fake.exchanges) == len(plan.bodies), fake.report()
    for exchange in fake.exchanges:
        assert exchange.operation_id == operation.operation_id, fake.report()
        assert not exchange.errors, fake.report()
        assert exchange.path_params == {k: scalar(v) for k, v in path_values.items()}
        problems = _query_problems(operation, exchange, query)
        assert not problems, "\n".join(problems)
    assert items == plan.items
    if len(plan.bodies) > 1:
        carried = sent_params(fake.exchanges[1], plan.next_in_body)
        for key, value in plan.expected_next.items():
            assert carried.get(key) == value, f"page 2 request: {key}={carried.get(key)!r}"


@pytest.mark.parametrize(("connector", "name"), _cases(with_get=True))
@CONTRACT
@given(data=st.data())
async def test_get_item_metadata_returns_the_item(
    connector: str, name: str, data: st.DataObject
) -> None:
    spec = connector_spec(connector)
    resource = _resource(connector, name)
    assert resource.get_path is not None
    operation = spec.operation_for_path("GET", resource.get_path)
    id_param = next(p for p in operation.parameters if p.name == resource.id_param)
    item_id = scalar(data.draw(parameter_strategy(spec, operation, id_param)))
    path_values = _path_values(spec, operation, resource.get_path, data.draw, but=resource.id_param)
    query = _required_query(spec, operation, data.draw, but=frozenset({resource.id_param}))
    exists = data.draw(st.booleans(), label="exists")
    async with connected(spec, data.draw) as (service, fake):
        if not exists:
            fake.responders[operation.operation_id] = lambda _: Reply(404, {"error": "none"})
        try:
            item = await service.data_service.get_item_metadata(
                item_id, resource=name, **path_values, **query
            )
        except ConnectorError as error:
            pytest.fail(f"get_item_metadata raised {error!r}; the vendor saw:\n{fake.report()}")
    assert len(fake.exchanges) == 1, fake.report()
    (exchange,) = fake.exchanges
    assert exchange.operation_id == operation.operation_id, fake.report()
    assert not exchange.errors, fake.report()
    problems = _query_problems(operation, exchange, query)
    assert not problems, "\n".join(problems)
    if id_param.location == "path":
        assert exchange.path_params[resource.id_param] == item_id
    else:
        assert exchange.request.url.params.get(resource.id_param) == item_id
    if not exists:
        assert item is None
        return
    answered = None if exchange.body is NO_BODY else exchange.body  # empty reads as None
    expected = get_path(answered, resource.item_path)
    assert item == (expected if isinstance(expected, dict) else {"value": expected})


@pytest.mark.parametrize(("connector", "name"), _cases(with_get=False))
async def test_get_item_metadata_without_a_get_operation_says_so(connector: str, name: str) -> None:
    spec = connector_spec(connector)
    async with connected(spec, lambda strategy: pytest.fail("nothing to draw")) as (
        service,
        fake,
    ):
        with pytest.raises(ConfigurationError, match="has no get operation"):
            await service.data_service.get_item_metadata("1", resource=name)
    assert fake.exchanges == []
