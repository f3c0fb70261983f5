"""Every generated operation against a fake vendor built from the connector's spec.

Typed operations: the request must validate against the spec and carry the arguments as
the spec's parameter styles encode them; the result must be of the declared type all the
way down and encode back (``to_dict``) to exactly the JSON the vendor sent, unknown
fields included. Untyped operations (no usable response schema) must return the parsed
JSON the vendor sent.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectory.core import ConnectorError, OperationInfo

from ._fake import NO_BODY
from ._harness import connected, draw_call, request_problems
from ._settings import CONTRACT
from ._spec import CONNECTORS, ROOT, connector_spec
from ._types import conformance, encoded, is_json, resolve

pytestmark = pytest.mark.contract


def _info(connector: str, name: str) -> OperationInfo:
    for info in connector_spec(connector).operations:
        if info.name == name:
            return info
    raise LookupError(f"{connector} has no operation {name!r}")


def _cases(typed: bool) -> list[Any]:
    return [
        pytest.param(name, info.name, id=f"{name}-{info.name}")
        for name in CONNECTORS
        for info in connector_spec(name).operations
        if info.typed is typed
    ]


async def _exercise(connector: str, name: str, data: st.DataObject) -> tuple[Any, Any]:
    """Call the operation once; return its result and the body the vendor answered."""
    spec = connector_spec(connector)
    info = _info(connector, name)
    async with connected(spec, data.draw) as (service, fake):
        call = draw_call(spec, info, data.draw)
        method = getattr(service.data_service, info.name)
        try:
            result = await method(**call.kwargs)
        except ConnectorError as error:
            pytest.fail(f"{info.name} raised {error!r}; the vendor saw:\n{fake.report()}")
    assert len(fake.exchanges) == 1, fake.report()
    (exchange,) = fake.exchanges
    assert exchange.operation_id == info.operation_id, fake.report()
    assert exchange.request.method == info.method
    assert not exchange.errors, fake.report()
    problems = request_problems(spec, info, call, exchange.request, exchange.path_params)
    assert not problems, "\n".join(problems)
    return result, exchange.body


def _check_result(connector: str, name: str, result: Any, body: Any) -> None:
    """The result is of the declared type all the way down and encodes back to `body`."""
    spec = connector_spec(connector)
    info = _info(connector, name)
    declared = resolve(info.response_type, spec.models)
    assert typing.get_type_hints(getattr(spec.data_service, name))["return"] == declared
    if body is NO_BODY:
        assert result is None
        return
    if declared is Any:
        assert result == body
        return
    problems = conformance(result, declared)
    assert not problems, "\n".join(problems)
    again = encoded(result)
    assert is_json(again)
    assert again == body


@pytest.mark.parametrize(("connector", "name"), _cases(typed=True))
@CONTRACT
@given(data=st.data())
async def test_typed_operation(connector: str, name: str, data: st.DataObject) -> None:
    result, body = await _exercise(connector, name, data)
    _check_result(connector, name, result, body)


@pytest.mark.parametrize(("connector", "name"), _cases(typed=False))
@CONTRACT
@given(data=st.data())
async def test_untyped_operation(connector: str, name: str, data: st.DataObject) -> None:
    """typed=False: a part the generator or the spec left untyped (mostly the response,
    returned as the parsed JSON); whatever is declared must still hold."""
    result, body = await _exercise(connector, name, data)
    _check_result(connector, name, result, body)


@pytest.mark.parametrize("connector", CONNECTORS)
def test_operation_table_matches_the_spec(connector: str) -> None:
    """OPERATIONS lists the operations connector.yaml asks for, each as the spec has it:
    method, path, parameters (name, location, required), body and response media types."""
    spec = connector_spec(connector)
    definition = yaml.safe_load((ROOT / "openapi_specs" / connector / "connector.yaml").read_text())
    listed = {info.operation_id for info in spec.operations}
    wanted = definition.get("operations", "all")
    if wanted == "all":
        assert listed == {operation.operation_id for operation in spec.spec_operations}
    else:
        resources = definition["resources"].values()
        assert listed == {
            *wanted,
            *(r["list"] for r in resources),
            *(r["get"] for r in resources if "get" in r),
        }
    for info in spec.operations:
        operation = spec.spec_operation(info.operation_id)
        assert (info.method, info.path) == (operation.method, operation.path)
        named = {(p.name, p.location, p.required) for p in operation.parameters if p.name}
        assert {(p.name, p.location, p.required) for p in info.parameters} == named, info.name
        bodies = set(operation.body_content or {})
        assert (info.body_content_type in bodies) if bodies else info.body_content_type is None
        responses = set(operation.response_content or {})
        if info.response_content_type is not None:
            assert info.response_content_type in responses, info.name


@pytest.mark.parametrize("connector", CONNECTORS)
def test_every_operation_has_a_blocking_twin(connector: str) -> None:
    spec = connector_spec(connector)
    for info in spec.operations:
        method = getattr(spec.data_service, info.name)
        twin = getattr(spec.data_service, f"{info.name}_sync")
        assert inspect.iscoroutinefunction(method)
        assert not inspect.iscoroutinefunction(twin)
        assert inspect.signature(twin) == inspect.signature(method), info.name
