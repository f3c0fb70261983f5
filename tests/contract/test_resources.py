"""The seed's generic data access of every shipped connector: resources, listings, items.

``list_items("/")`` must list the resources of connector.yaml, bound to the operations it
names. ``list_items("/<resource>")`` must walk a listing of several pages served in the
resource's own paging style (every page request valid for the spec, the paging parameters
included) and return the items of every page. ``get_item_metadata`` must return the item
of the get operation's response, or None on a 404, the id sent where the spec puts it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectory.core import ConfigurationError, ConnectorError, RateLimits, Resource, testing
from connectory.core._pagination import get_path
from connectory.core.models import encode

from ._fake import FakeVendor, Reply
from ._harness import parameter_strategy, route, undeclared_query, validation_problems
from ._known_bugs import HARNESS_LIMITS, RESOURCE_MISMATCHES
from ._paging import PagePlan, list_status, plan_pages, response_strategy, sent_params
from ._settings import CONTRACT
from ._spec import SHIPPED_SPECS, ContractSpec, SpecOperation, shipped, shipped_names
from ._types import compare_json
from ._wire import text_of

pytestmark = pytest.mark.contract

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _yaml(connector: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (SHIPPED_SPECS / connector / "connector.yaml").read_text(encoding="utf-8")
    )
    return loaded


def _resources(connector: str) -> tuple[Resource, ...]:
    return tuple(shipped(connector).registration.data_service_class.RESOURCES)


def _resource(connector: str, name: str) -> Resource:
    for resource in _resources(connector):
        if resource.name == name:
            return resource
    raise LookupError(f"{connector} has no resource {name!r}")


def _cases(*, with_get: bool | None = None, check: str | None = None) -> list[Any]:
    cases = []
    for connector in shipped_names():
        for resource in _resources(connector):
            if with_get is not None and (resource.get_path is not None) is not with_get:
                continue
            reason = RESOURCE_MISMATCHES.get((check, connector, resource.name)) if check else None
            strict = reason not in HARNESS_LIMITS
            marks = [pytest.mark.xfail(strict=strict, reason=reason)] if reason else []
            cases.append(
                pytest.param(
                    connector, resource.name, id=f"{connector}-{resource.name}", marks=marks
                )
            )
    return cases


def _operation(spec: ContractSpec, method: str, template: str) -> SpecOperation:
    for operation in spec.spec_operations:
        if operation.method == method.upper() and operation.template == template:
            return operation
    raise LookupError(f"{spec.name}: no {method} {template} in the spec")


def _run(spec: ContractSpec, vendor: FakeVendor, action: Callable[[Any], Any]) -> Any:
    """`action(connector)` on a fresh connector of `spec` talking to `vendor`."""

    async def go() -> Any:
        connector = spec.connector(vendor.transport, rate_limits=RateLimits())
        try:
            return await action(connector)
        finally:
            await connector.close()

    with testing.no_waiting():
        return asyncio.run(go())


def _values(
    spec: ContractSpec,
    operation: SpecOperation,
    draw: Any,
    *,
    names: list[str],
    location: str,
) -> dict[str, Any]:
    values = {}
    for name in names:
        param = operation.parameter(name, location)
        # The seed sends a list as repeated query keys (form, exploded): only such a
        # parameter can take one (YouTube's required part).
        takes_list = location == "query" and param.style == "form" and param.explode
        wanted = _scalar_list if takes_list else _scalar
        values[name] = draw(parameter_strategy(spec, operation, param).filter(wanted))
    return values


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _scalar_list(value: Any) -> bool:
    """A scalar, or a non-empty list of scalars."""
    if isinstance(value, list):
        return bool(value) and all(_scalar(item) for item in value)
    return _scalar(value)


def _texts(value: Any) -> list[str]:
    """How a drawn query value reads back: one text per repeated key."""
    return [text_of(v) for v in value] if isinstance(value, list) else [text_of(value)]


def _required_query(
    spec: ContractSpec, operation: SpecOperation, draw: Any, *, but: frozenset[str]
) -> dict[str, Any]:
    """Values for the operation's required query parameters (Trello's ``token``), but
    those the auth scheme or the paginator sets."""
    owned = spec.auth_params()
    names = [
        p.name
        for p in operation.parameters
        if p.location == "query"
        and p.required
        and p.name not in but
        and ("query", p.name.lower()) not in owned
    ]
    return _values(spec, operation, draw, names=names, location="query")


def _required_headers(
    spec: ContractSpec, operation: SpecOperation, draw: Any, declared: dict[str, str]
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """Keyword arguments for the operation's required header parameters (Xero's tenant
    id), by the keywords the resource declares, and the values as drawn per header."""
    owned = spec.auth_params()
    keyword = {name.lower(): key for key, name in declared.items()}
    kwargs: dict[str, Any] = {}
    drawn: dict[tuple[str, str], Any] = {}
    for param in operation.parameters:
        if param.location != "header" or not param.required:
            continue
        if ("header", param.name.lower()) in owned:
            continue
        assert param.name.lower() in keyword, f"{param.name}: no keyword for this header"
        value = draw(parameter_strategy(spec, operation, param).filter(_scalar))
        kwargs[keyword[param.name.lower()]] = value
        drawn[("header", param.name)] = value
    return kwargs, drawn


def _body_fields(
    spec: ContractSpec, operation: SpecOperation, resource: Resource, draw: Any
) -> dict[str, Any]:
    """Keyword arguments that fill the JSON body of a listing that takes one (Airbyte's
    workspace ids), drawn from its schema, but the paging fields the paginator sets."""
    if not resource.list_in_body or not operation.body_required:
        return {}
    schema = (operation.body_content or {}).get("application/json", {}).get("schema")
    if schema is None:
        return {}
    body = draw(
        spec.strategy(("list body", operation.pointer), schema, direction="request").filter(
            lambda value: isinstance(value, dict)
        ),
        label="list body",
    )
    paging = _paging_params(resource)
    return {key: value for key, value in body.items() if key not in paging}


def _paging_params(resource: Resource) -> frozenset[str]:
    names = {
        getattr(resource.paginator, attribute, None)
        for attribute in ("cursor_param", "limit_param", "offset_param", "page_param", "size_param")
    }
    return frozenset(name for name in names if isinstance(name, str))


def _request_problems(
    spec: ContractSpec,
    operation: SpecOperation,
    request: httpx.Request,
    drawn: dict[tuple[str, str], Any],
) -> list[str]:
    raw, problems = route(spec, operation, request)
    if raw is None:
        return [f"{m.where}: {m.detail}" for m in problems]
    problems += validation_problems(spec, operation, request, raw, drawn, None)
    problems += undeclared_query(operation, drawn, request, spec.auth_params())
    return [f"{m.cause} {m.where}: {m.detail}" for m in problems]


@pytest.mark.parametrize("connector", shipped_names())
def test_resources_are_listed_as_connector_yaml_declares(connector: str) -> None:
    spec = shipped(connector)
    declared = _yaml(connector).get("resources") or {}
    vendor = FakeVendor(spec.token_urls())
    listed = _run(spec, vendor, lambda c: c.data_service.list_items("/"))
    assert vendor.requests == []
    assert [entry["name"] for entry in listed] == list(declared)
    by_id = {info.operation_id: info for info in spec.operations}
    for entry, resource in zip(listed, _resources(connector), strict=True):
        config = declared[resource.name]
        assert entry["list"] == f"{resource.list_method} {resource.list_path}"
        listing = by_id[config["list"]]
        assert resource.list_operation == listing.name
        assert (listing.method, listing.path) == (resource.list_method, resource.list_path)
        if "get" in config:
            getter = by_id[config["get"]]
            assert resource.get_operation == getter.name
            assert (getter.method, getter.path) == ("GET", resource.get_path)
        else:
            assert resource.get_path is None
        assert resource.items_path == config.get("items_path")
        assert resource.item_path == config.get("item_path")


@pytest.mark.parametrize(("connector", "name"), _cases(check="list"))
@CONTRACT
@given(data=st.data())
def test_list_items_walks_every_page(connector: str, name: str, data: st.DataObject) -> None:
    spec = shipped(connector)
    resource = _resource(connector, name)
    operation = _operation(spec, resource.list_method, resource.list_path)
    path_names = _PLACEHOLDER.findall(resource.list_path)
    path_values = _values(spec, operation, data.draw, names=path_names, location="path")
    query = _required_query(spec, operation, data.draw, but=_paging_params(resource))
    headers, drawn_headers = _required_headers(
        spec, operation, data.draw, dict(resource.list_headers)
    )
    fields = _body_fields(spec, operation, resource, data.draw)
    plan: PagePlan = plan_pages(spec, resource, operation, data.draw)
    vendor = FakeVendor(spec.token_urls())
    vendor.respond = plan.respond

    async def walk(connector_service: Any) -> Any:
        return await connector_service.data_service.list_items(
            f"/{name}", **path_values, **query, **headers, **fields
        )

    try:
        items = _run(spec, vendor, walk)
    except ConnectorError as error:
        pytest.fail(f"list_items raised {error!r} after {len(vendor.requests)} request(s)")
    assert len(vendor.requests) == len(plan.bodies)
    drawn = (
        {("path", k): v for k, v in path_values.items()}
        | {("query", k): v for k, v in query.items()}
        | drawn_headers
    )
    for request in vendor.requests:
        problems = _request_problems(spec, operation, request, drawn)
        assert not problems, "\n".join(problems)
        for key, value in query.items():
            assert request.url.params.get_list(key) == _texts(value), key
        for (_, header), value in drawn_headers.items():
            assert request.headers.get(header) == text_of(value), header
        if fields:
            sent = json.loads(request.content)
            assert compare_json(fields, {key: sent.get(key) for key in fields}) == []
    expected = plan.items
    assert compare_json(expected, encode(items)) == []
    if len(plan.bodies) > 1:
        carried = sent_params(vendor.requests[1], plan.next_in_body)
        for key, value in plan.expected_next.items():
            assert carried.get(key) == value, f"page 2 request: {key}={carried.get(key)!r}"


@pytest.mark.parametrize(("connector", "name"), _cases(with_get=True, check="get"))
@CONTRACT
@given(data=st.data())
def test_get_item_metadata_returns_the_item(connector: str, name: str, data: st.DataObject) -> None:
    spec = shipped(connector)
    resource = _resource(connector, name)
    assert resource.get_path is not None
    operation = _operation(spec, "GET", resource.get_path)
    id_param = next(p for p in operation.parameters if p.name == resource.id_param)
    item_id = text_of(data.draw(parameter_strategy(spec, operation, id_param).filter(_scalar)))
    others = [n for n in _PLACEHOLDER.findall(resource.get_path) if n != resource.id_param]
    path_values = _values(spec, operation, data.draw, names=others, location="path")
    query = _required_query(spec, operation, data.draw, but=frozenset({resource.id_param}))
    headers, drawn_headers = _required_headers(
        spec, operation, data.draw, dict(resource.get_headers)
    )
    exists = data.draw(st.booleans(), label="exists")
    body = data.draw(response_strategy(spec, operation)) if exists else None
    vendor = FakeVendor(spec.token_urls())
    vendor.reply = (
        Reply.json(list_status(operation), body) if exists else Reply.json(404, {"error": "none"})
    )

    async def get(connector_service: Any) -> Any:
        return await connector_service.data_service.get_item_metadata(
            item_id, resource=name, raw=True, **path_values, **query, **headers
        )

    try:
        item = _run(spec, vendor, get)
    except ConnectorError as error:
        pytest.fail(f"get_item_metadata raised {error!r}")
    (request,) = vendor.requests
    drawn = (
        {("path", k): v for k, v in path_values.items()}
        | {("query", k): v for k, v in query.items()}
        | drawn_headers
    )
    drawn[(id_param.location, id_param.name)] = item_id
    problems = _request_problems(spec, operation, request, drawn)
    assert not problems, "\n".join(problems)
    for (_, header), value in drawn_headers.items():
        assert request.headers.get(header) == text_of(value), header
    if id_param.location == "path":
        raw, _ = route(spec, operation, request)
        assert raw is not None
        assert httpx.URL("/" + raw[resource.id_param]).path == "/" + item_id
    else:
        assert request.url.params.get(resource.id_param) == item_id
    if not exists:
        assert item is None
        return
    expected = get_path(body, resource.item_path)
    assert item == (
        expected if isinstance(expected, dict) or expected is None else {"value": expected}
    )


@pytest.mark.parametrize(("connector", "name"), _cases(with_get=False))
def test_get_item_metadata_without_a_get_operation_says_so(connector: str, name: str) -> None:
    spec = shipped(connector)
    vendor = FakeVendor(spec.token_urls())
    with pytest.raises(ConfigurationError, match="has no get operation"):
        _run(spec, vendor, lambda c: c.data_service.get_item_metadata("1", resource=name))
    assert vendor.requests == []
