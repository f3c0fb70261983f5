"""Every operation of every shipped connector (generated/) against the spec it came from.

Checking every operation of all shipped connectors takes about half an hour on two cores,
so each run checks those of `_run.select_shipped` (a dozen connectors, the next dozen the
next day; ``CONTRACT_DAY=<n>`` picks a day) and ``CONTRACT_OPERATIONS=all`` checks them all.
Every run lists and gets through every connector's resources (test_resources.py).

Each operation is checked by `_harness.check_operation`: requests validated by openapi-core
against ``openapi_specs/<name>/`` (spec patches applied) and read back value by value,
every declared success response decoded strictly and encoded back. A finding fails the
test unless `_causes` traces it to the spec itself. The table of operations and the
blocking twins are checked against the spec and the methods too.
"""

from __future__ import annotations

import importlib
import inspect
import os
import warnings
from collections.abc import Sequence
from typing import Any

import pytest
import yaml

from ._causes import explain
from ._harness import Session, check_operation
from ._known_bugs import OPERATION_MISMATCHES, open_bug
from ._run import select_shipped, today
from ._settings import MAX_EXAMPLES
from ._spec import SHIPPED_SPECS, shipped, shipped_names

pytestmark = pytest.mark.contract


def _checked_today() -> list[Any]:
    names: Sequence[str] = shipped_names()
    if os.environ.get("CONTRACT_OPERATIONS") != "all":
        names = select_shipped(int(os.environ.get("CONTRACT_DAY", today())), names)
    return [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=False, reason=OPERATION_MISMATCHES[name])]
            if name in OPERATION_MISMATCHES
            else [],
        )
        for name in names
    ]


@pytest.mark.parametrize("connector", _checked_today())
def test_every_operation_meets_its_contract(connector: str) -> None:
    """One test per connector (a session of its own: a connector, an event loop), every
    operation checked in it; the failure lists each finding of ours."""
    spec = shipped(connector)
    ours: list[str] = []
    with warnings.catch_warnings(), Session(spec) as session:
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecated operations warn
        for info in spec.operations:
            report = check_operation(session, info, examples=MAX_EXAMPLES)
            unaccounted = [
                f"{info.name} [{f.stage}] {f.cause} {f.variant}: {f.detail}"
                for f in report.findings.values()
                if explain(spec, f) is None and open_bug(f) is None
            ]
            if not report.requests and not report.findings:
                unaccounted.append(f"{info.name}: no request was checked")
            ours += unaccounted
    assert not ours, f"{len(ours)} finding(s) of ours:\n" + "\n".join(ours[:30])


@pytest.mark.parametrize("connector", shipped_names())
def test_operation_table_matches_the_spec(connector: str) -> None:
    """OPERATIONS lists the operations connector.yaml asks for, each as the spec has it:
    method, path, parameters (name, location, required), body and response media types."""
    spec = shipped(connector)
    definition = yaml.safe_load((SHIPPED_SPECS / connector / "connector.yaml").read_text())
    listed = {info.operation_id for info in spec.operations}
    wanted = definition.get("operations", "all")
    if wanted != "all":
        resources = (definition.get("resources") or {}).values()
        assert listed == {
            *wanted,
            *(r["list"] for r in resources),
            *(r["get"] for r in resources if "get" in r),
        }
    for info in spec.operations:
        if (info.method, info.path) in spec.unreadable:
            continue  # a reference of it leads nowhere (see _known_bugs.B8)
        operation = spec.spec_operation(info)
        assert (info.method, info.path) == (operation.method, operation.template)
        named = {(p.name, p.location) for p in operation.parameters}
        for parameter in info.parameters:
            assert (parameter.name, parameter.location) in named or parameter.location == "path"
        bodies = set(operation.body_content or {})
        assert (info.body_content_type in bodies) if info.body_content_type else True
        responses = {r.media_type for r in operation.responses}
        if info.response_content_type is not None and operation.responses:
            assert info.response_content_type in responses, info.name


@pytest.mark.parametrize("connector", shipped_names())
def test_every_operation_has_a_blocking_twin(connector: str) -> None:
    spec = shipped(connector)
    for info in spec.operations:
        group, _, name = info.name.partition(".")
        module = importlib.import_module(f"{spec.package.__name__}.resources.{group}")
        cls = _resource_class(module, group)
        twin = cls.__dict__[f"{name}_sync"]
        assert twin._op is cls.__dict__[name], info.name
        fn = spec.function(info)
        assert inspect.signature(fn).parameters, info.name


def _resource_class(module: Any, group: str) -> Any:
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "label", None) == group:
            return value
    raise LookupError(group)
