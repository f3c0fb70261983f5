"""The OPERATIONS table every generated connector exports, for tools and tests."""

from __future__ import annotations

import attrs


@attrs.frozen
class ParameterInfo:
    name: str  # as the API spells it
    py_name: str  # the generated method's argument
    location: str  # path, query, header or cookie
    required: bool
    type: str  # the Python annotation


@attrs.frozen
class OperationInfo:
    """One operation of a generated connector: enough to call it or check it against a spec."""

    name: str  # "<resource>.<method>" (its sync twin is the method + "_sync")
    operation_id: str
    method: str
    path: str
    parameters: tuple[ParameterInfo, ...]
    body_content_type: str | None
    body_type: str | None
    response_content_type: str | None
    response_type: str
    paged: bool
    deprecated: bool
    typed: bool
    degraded: tuple[str, ...] = ()  # parts the generator could not type
    untyped: tuple[str, ...] = ()  # parts the spec gives no type


@attrs.frozen
class ConnectorInfo:
    """What a generated connector is: for `connectory list`, CONNECTORS.md and tools."""

    name: str
    display_name: str
    category: str
    spec_source: str  # the vendor spec it was trimmed from, or "own" for a spec of ours
    spec_title: str
    spec_version: str
    operations: int
    notes: str | None = None
