"""Calls of generated methods with arguments drawn from the spec, and what must arrive.

`draw_call` draws every required parameter of an operation and some optional ones from
their spec schemas, and a body from the request body schema; it keeps the JSON values
next to the Python arguments they became (models, enum members), because the request the
fake receives must carry those JSON values, encoded as the spec's parameter styles say.
`request_problems` compares the two.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import typing
from collections.abc import AsyncIterator
from typing import Any, Final
from urllib.parse import parse_qsl

import attrs
import httpx
from hypothesis import strategies as st

from connectory.core import (
    AuthenticationType,
    BaseConnectorService,
    OperationInfo,
    UniversalConnectorFactory,
)

from ._fake import Draw, FakeVendor
from ._spec import ConnectorSpec, SpecOperation, SpecParameter, auth_query_params
from ._types import to_argument

# Strings a header can carry as they are (no whitespace at the ends, no control chars).
_HEADER_TEXT: Final = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=24
)
_BINARY_MEDIA: Final = ("application/octet-stream",)
FORM: Final = "application/x-www-form-urlencoded"


def credentials(spec: ConnectorSpec) -> dict[str, str]:
    """Made-up credentials of the right shape (an access token for OAuth2)."""
    config = spec.config
    fields = config.credential_fields
    kind = config.authentication_type
    if kind is AuthenticationType.NONE:
        return {}
    if kind is AuthenticationType.BASIC:
        return {fields[0]: "contract-user", fields[1]: "contract-password"}
    if kind in (AuthenticationType.OAUTH2, AuthenticationType.OAUTH2_CLIENT_CREDENTIALS):
        return {"access_token": "contract-access-token"}
    return {fields[0]: "contract-secret"}


@contextlib.asynccontextmanager
async def connected(
    spec: ConnectorSpec, draw: Draw[Any]
) -> AsyncIterator[tuple[BaseConnectorService, FakeVendor]]:
    """A connector of `spec`, authenticated, talking to a fresh fake vendor."""
    fake = FakeVendor(spec, draw)
    factory = UniversalConnectorFactory(discover=False)
    factory.register(spec.registration)
    connector = factory.create_connector(spec.registration.connector_type, transport=fake.transport)
    try:
        await connector.auth_service.authenticate(credentials(spec))
        yield connector, fake
    finally:
        await connector.close()


@attrs.frozen
class Call:
    """The keyword arguments of one method call and the JSON they were made from."""

    kwargs: dict[str, Any]
    sent: dict[tuple[str, str], Any]  # (location, name) -> JSON value
    body: Any = None  # JSON (or bytes) value of the body; None: no body
    has_body: bool = False


def parameter_strategy(
    spec: ConnectorSpec, operation: SpecOperation, param: SpecParameter
) -> st.SearchStrategy[Any]:
    """Values of a parameter that its location can carry.

    A header cannot carry control characters or whitespace at its ends, a path segment
    cannot be empty, an empty query value
    is refused unless ``allowEmptyValue`` (openapi-core), a non-exploded array cannot be
    empty (``name=`` reads back as ``[""]``) nor hold an item with a comma, and OpenAPI
    defines no query serialization for arrays of objects or nested objects. Those are
    the caller's limits, not the connector's.
    """
    schema = param.schema
    if param.location == "header" and _plain_string(schema):
        return _HEADER_TEXT
    base = spec.strategy(
        ("parameter", operation.operation_id, param.location, param.name),
        schema,
        direction="request",
    )
    return base.filter(lambda value: _carriable(param, value))


def _plain_string(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and not ({"enum", "pattern", "format"} & schema.keys())
    )


def _carriable(param: SpecParameter, value: Any) -> bool:
    if param.location == "path":
        return not (isinstance(value, str) and not value)
    if param.location == "header":
        text = scalar(value) if not isinstance(value, list | dict) else ""
        return text == text.strip() and text.isprintable() and text.isascii()
    if param.location == "query":
        if value == "" and not param.allow_empty:
            return False
        if isinstance(value, list):
            if any(isinstance(v, dict | list) for v in value):
                return False  # arrays of objects have no query serialization
            if not param.explode:
                # [] would be "name=", read back as [""]; items cannot contain the comma
                return bool(value) and all("," not in scalar(v) for v in value)
        if isinstance(value, dict):
            return not any(isinstance(v, dict | list) for v in value.values())
    return True


def draw_call(
    spec: ConnectorSpec,
    info: OperationInfo,
    draw: Draw[Any],
    *,
    skip: frozenset[str] = frozenset(),
) -> Call:
    """Arguments for `info`: required ones always, optional ones sometimes.

    `skip` names optional arguments never to pass (a known bug they trigger is tested
    on its own).
    """
    operation = spec.spec_operation(info.operation_id)
    method = getattr(spec.data_service, info.name)
    hints = typing.get_type_hints(method)
    signature = inspect.signature(method)

    def choose() -> bool:
        return bool(draw(st.booleans()))

    kwargs: dict[str, Any] = {}
    sent: dict[tuple[str, str], Any] = {}
    for parameter in info.parameters:
        param = operation.parameter(parameter.name, parameter.location)
        if parameter.py_name in skip:
            assert not parameter.required, f"cannot leave out {parameter.py_name}"
            continue
        if not parameter.required and not choose():
            continue
        value = draw(parameter_strategy(spec, operation, param))
        kwargs[parameter.py_name] = to_argument(value, hints[parameter.py_name], choose)
        sent[(parameter.location, parameter.name)] = value
    if info.body_type is None or "body" in skip:
        return Call(kwargs, sent)
    required = signature.parameters["body"].default is inspect.Parameter.empty
    if not required and not choose():
        return Call(kwargs, sent)
    media_type = info.body_content_type or ""
    if media_type in _BINARY_MEDIA:
        body: Any = draw(st.binary(max_size=64))
        kwargs["body"] = body
        return Call(kwargs, sent, body, has_body=True)
    assert operation.body_content is not None
    schema = operation.body_content[media_type].get("schema", {})
    body = draw(
        spec.strategy(("body", operation.operation_id, media_type), schema, direction="request")
    )
    kwargs["body"] = to_argument(body, hints["body"], choose)
    return Call(kwargs, sent, body, has_body=body is not None)


# -- what must arrive -----------------------------------------------------------------


def scalar(value: Any) -> str:
    """A primitive as a URL or header carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def expected_query(param: SpecParameter, value: Any) -> list[tuple[str, str]] | None:
    """The query pairs `value` must become under the parameter's style; None where the
    style does not define one (deepObject arrays, nested objects)."""
    name, style, explode = param.name, param.style, param.explode
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            return None
        items = [scalar(v) for v in value]
        if style == "form":
            return [(name, item) for item in items] if explode else [(name, ",".join(items))]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style)
        return None if separator is None else [(name, separator.join(items))]
    if isinstance(value, dict):
        if any(isinstance(v, dict | list) for v in value.values()):
            return None
        if style == "deepObject":
            return [(f"{name}[{k}]", scalar(v)) for k, v in value.items()]
        if style == "form" and explode:
            return [(k, scalar(v)) for k, v in value.items()]
        if style == "form":
            return [(name, ",".join(f"{k},{scalar(v)}" for k, v in value.items()))]
        return None
    return [(name, scalar(value))]


def expected_simple(value: Any) -> str | None:
    """A path or header value under style simple (explode false)."""
    if isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            return None
        return ",".join(scalar(v) for v in value)
    if isinstance(value, dict):
        return None
    return scalar(value)


def expected_form(content: dict[str, Any], value: Any) -> tuple[list[tuple[str, str]], set[str]]:
    """The pairs an ``application/x-www-form-urlencoded`` body must become, and the
    properties whose serialization OpenAPI leaves undefined (not compared)."""
    encoding: dict[str, Any] = content.get("encoding", {}) or {}
    pairs: list[tuple[str, str]] = []
    undefined: set[str] = set()
    for name, item in value.items():
        if item is None:  # no form serialization of null; the connector leaves it out
            undefined.add(name)
            continue
        rule = encoding.get(name, {})
        style = rule.get("style", "form")
        param = SpecParameter(
            name=name,
            location="query",
            required=False,
            schema=None,
            style=style,
            explode=bool(rule.get("explode", style == "form")),
            allow_empty=True,
        )
        expected = expected_query(param, item)
        if expected is None:
            undefined.add(name)
        else:
            pairs += expected
    return pairs, undefined


def request_problems(
    spec: ConnectorSpec,
    info: OperationInfo,
    call: Call,
    request: httpx.Request,
    path: dict[str, str],
) -> list[str]:
    """Where the request that arrived differs from what the call's arguments must send."""
    operation = spec.spec_operation(info.operation_id)
    problems: list[str] = []
    received = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
    for param in operation.parameters:
        value = call.sent.get((param.location, param.name), _ABSENT)
        if param.location == "path":
            problems += _path_problems(param, value, path)
        elif param.location == "query":
            got = [(k, v) for k, v in received if _belongs(k, param.name)]
            problems += _query_problems(spec, param, value, got)
        elif param.location == "header":
            problems += _header_problems(param, value, request)
    problems += _body_problems(operation, info, call, request)
    return problems


def _path_problems(param: SpecParameter, value: Any, path: dict[str, str]) -> list[str]:
    want = None if value is _ABSENT else expected_simple(value)
    if want is None or path.get(param.name) == want:
        return []
    return [f"path {param.name}: sent {path.get(param.name)!r}, want {want!r}"]


def _query_problems(
    spec: ConnectorSpec, param: SpecParameter, value: Any, got: list[tuple[str, str]]
) -> list[str]:
    if param.name in auth_query_params(spec):
        # The auth scheme owns this parameter: the credential replaces any argument.
        credential = credentials(spec)[spec.config.credential_fields[0]]
        ok = got == [(param.name, credential)]
        return [] if ok else [f"query {param.name}: sent {got!r}, not the credential"]
    if value is _ABSENT or value is None:  # null: not sent, like an unset argument
        return [f"query {param.name}: sent {got!r} though not given"] if got else []
    want = expected_query(param, value)
    if want is None or same_pairs(got, want):
        return []
    return [f"query {param.name}: sent {got!r}, want {want!r}"]


def _header_problems(param: SpecParameter, value: Any, request: httpx.Request) -> list[str]:
    if value is _ABSENT:
        return []
    got = request.headers.get(param.name)
    if value is None:  # null: not sent, like an unset argument
        return [] if got is None else [f"header {param.name}: sent {got!r} for None"]
    want = expected_simple(value)
    if want is None or got == want:
        return []
    return [f"header {param.name}: sent {got!r}, want {want!r}"]


_ABSENT: Final = object()


def same_pairs(got: list[tuple[str, str]], want: list[tuple[str, str]]) -> bool:
    """Equal as query pairs: the values of each key in order, keys in any order (the
    properties of an object have no order on the wire; repeated array items do)."""

    def grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in pairs:
            out.setdefault(key, []).append(value)
        return out

    return grouped(got) == grouped(want)


def _belongs(key: str, name: str) -> bool:
    return key == name or key.startswith(name + "[")


def _body_problems(
    operation: SpecOperation, info: OperationInfo, call: Call, request: httpx.Request
) -> list[str]:
    media_type = info.body_content_type or ""
    content = request.content
    if not call.has_body:
        return [f"a body was sent though none was given: {content[:80]!r}"] if content else []
    if media_type == FORM:
        assert operation.body_content is not None
        return _form_problems(dict(operation.body_content[media_type]), call.body, request)
    sent_type = request.headers.get("content-type", "").split(";")[0].strip()
    if sent_type != media_type:
        return [f"body sent as {sent_type!r}, the spec says {media_type!r}"]
    if media_type in _BINARY_MEDIA:
        return [] if content == call.body else ["the binary body arrived changed"]
    if media_type == "application/json" or media_type.endswith("+json"):
        got = json.loads(content)
        return [] if got == call.body else [f"JSON body: sent {got!r}, want {call.body!r}"]
    return []


def _form_problems(content: dict[str, Any], body: Any, request: httpx.Request) -> list[str]:
    if not isinstance(body, dict):
        return [f"a form body must be an object, the harness drew {body!r}"]
    want, undefined = expected_form(content, body)
    if not request.content:  # an empty form is an empty body (httpx then sends no type)
        return [] if not want else [f"form body: sent nothing, want {want!r}"]
    sent_type = request.headers.get("content-type", "").split(";")[0].strip()
    if sent_type != FORM:
        return [f"form body sent as {sent_type!r}"]
    got = [
        (key, value)
        for key, value in parse_qsl(request.content.decode("ascii"), keep_blank_values=True)
        if not any(_belongs(key, name) for name in undefined)
    ]
    return [] if same_pairs(got, want) else [f"form body: sent {got!r}, want {want!r}"]
