"""A fake vendor built from a spec: validates each request, answers from the response schema.

The fake is an `httpx.MockTransport` handler. For each request it finds the spec operation
(method and path template, below the connector's base URL), validates the request against
the spec with openapi-core (path, query and header parameters, the body and its content
type; security requirements are not checked: the connectors' auth is tested in
tests/core), refuses query parameters the operation does not declare and header names a
real HTTP connection would refuse (MockTransport sends anything), records the exchange,
and answers with the operation's first success status and a body drawn from its response
schema.

A request that fails validation is answered with a 400 whose body lists the errors, so
the connector raises; the tests report the recorded errors, not the connector's error.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl

import attrs
import httpx
from hypothesis import strategies as st
from openapi_core.datatypes import RequestParameters
from openapi_core.unmarshalling.request.datatypes import RequestUnmarshalResult
from openapi_core.validation.request.exceptions import InvalidRequestBody
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ._known_bugs import response_filter
from ._spec import ConnectorSpec, SpecOperation, auth_query_params

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]

NO_BODY: Final = object()  # the fake answered without a body (204, or a 200 without content)
BINARY_MEDIA_TYPES: Final = ("application/octet-stream",)
# RFC 9110 field names (what h11, and so a real httpx connection, accepts).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class OpenAPIRequest:
    """An `httpx.Request` as openapi-core's request protocol, on the spec's own server.

    openapi-core finds the operation from ``host_url`` + ``path`` and the spec's
    ``servers``; the connector's base URL can differ from those (Trello's spec names
    trello.com, the API is api.trello.com), so the path below the base URL is moved onto
    the spec's server URL.
    """

    def __init__(self, request: httpx.Request, spec_url: str) -> None:
        target = httpx.URL(spec_url)
        self._request = request
        self._host_url = f"{target.scheme}://{target.netloc.decode('ascii')}"
        self._path = target.raw_path.decode("ascii").partition("?")[0]
        query = request.url.query.decode("ascii")
        cookies = _cookies(request.headers.get("cookie", ""))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(query, keep_blank_values=True)),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(cookies),
        )

    @property
    def host_url(self) -> str:
        return self._host_url

    @property
    def path(self) -> str:
        return self._path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("content-type", ""))


def _cookies(header: str) -> list[tuple[str, str]]:
    pairs = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            pairs.append((name, value))
    return pairs


@attrs.define
class Exchange:
    """One request the fake received and what it answered."""

    request: httpx.Request
    operation: SpecOperation | None
    path_params: dict[str, str]
    errors: list[str]
    unmarshalled: RequestUnmarshalResult | None = None
    status: int = 0
    body: Any = NO_BODY  # the JSON sent back (NO_BODY: none)
    headers: dict[str, str] = attrs.field(factory=dict)

    @property
    def operation_id(self) -> str | None:
        return None if self.operation is None else self.operation.operation_id

    def describe(self) -> str:
        where = f"{self.request.method} {self.request.url}"
        if not self.errors:
            return f"{where} -> {self.operation_id}: valid"
        return f"{where} -> {self.operation_id}:\n  " + "\n  ".join(self.errors)


@attrs.frozen
class Reply:
    """What a responder wants the fake to answer instead of the generated default."""

    status: int
    body: Any = NO_BODY
    headers: dict[str, str] = attrs.field(factory=dict)


Responder = Callable[[Exchange], Reply]


class FakeVendor:
    """The fake API of one connector, for one Hypothesis example."""

    def __init__(self, spec: ConnectorSpec, draw: Draw[Any]) -> None:
        self.spec = spec
        self.draw = draw
        self.exchanges: list[Exchange] = []
        self.responders: dict[str, Responder] = {}
        self._auth_params = auth_query_params(spec)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def invalid(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.errors]

    def report(self) -> str:
        return "\n".join(exchange.describe() for exchange in self.exchanges) or "no requests"

    # -- the handler ------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        exchange = self._receive(request)
        self.exchanges.append(exchange)
        if exchange.errors:
            exchange.status = 400
            exchange.body = {"contract_errors": exchange.errors}
            return httpx.Response(400, json=exchange.body)
        assert exchange.operation is not None
        responder = self.responders.get(exchange.operation.operation_id)
        reply = responder(exchange) if responder else self.default_reply(exchange.operation)
        exchange.status, exchange.body, exchange.headers = reply.status, reply.body, reply.headers
        if reply.body is NO_BODY:
            return httpx.Response(reply.status, headers=reply.headers)
        # Serialised here: httpx's json= treats None as "no body", not as JSON null.
        content = json.dumps(reply.body).encode()
        headers = {"content-type": "application/json", **reply.headers}
        return httpx.Response(reply.status, content=content, headers=headers)

    def _receive(self, request: httpx.Request) -> Exchange:
        relative = self.spec.relative_path(request.url)
        if relative is None:
            return Exchange(request, None, {}, [f"outside the base URL {self.spec.base_url}"])
        matched = self.spec.match(request.method, relative)
        if matched is None:
            error = f"no operation of the spec answers {request.method} {relative}"
            return Exchange(request, None, {}, [error])
        operation, path_params = matched
        openapi_request = OpenAPIRequest(request, self.spec.spec_url(relative))
        with warnings.catch_warnings():
            # openapi-core warns on every use of the (deprecated) allowEmptyValue.
            warnings.filterwarnings("ignore", "Use of allowEmptyValue", DeprecationWarning)
            result = self.spec.openapi.unmarshal_request(openapi_request)
        errors = [
            _describe_error(error)
            for error in result.errors
            if not self._binary_body_quirk(operation, error)
        ]
        errors += self._undeclared_query(request, operation)
        errors += [
            f"header name {name!r} is not a valid HTTP token"
            for name, _ in request.headers.multi_items()
            if not _TOKEN.fullmatch(name)
        ]
        return Exchange(request, operation, path_params, errors, unmarshalled=result)

    @staticmethod
    def _binary_body_quirk(operation: SpecOperation, error: Exception) -> bool:
        """A schema error on a binary body whose spec schema is not a string.

        Google Drive's spec puts the ``File`` metadata object under
        ``application/octet-stream`` (a media upload); no byte string can satisfy it, so
        only the media type of such bodies is checked.
        """
        if not isinstance(error, InvalidRequestBody):
            return False
        content = operation.body_content or {}
        for media_type, media in content.items():
            if media_type in BINARY_MEDIA_TYPES:
                schema = media.get("schema", {})
                if schema.get("type") != "string":
                    return True
        return False

    def _undeclared_query(self, request: httpx.Request, operation: SpecOperation) -> list[str]:
        declared = {p.name for p in operation.parameters if p.location == "query"}
        errors = []
        for key in dict.fromkeys(request.url.params.keys()):
            name = key.partition("[")[0]  # deepObject: name[key]
            if name not in declared and name not in self._auth_params:
                errors.append(f"query parameter {key!r} is not declared by the operation")
        return errors

    # -- default answers ----------------------------------------------------------------

    def default_reply(self, operation: SpecOperation) -> Reply:
        """The operation's success status with a body drawn from its response schema."""
        if operation.status == 204:
            return Reply(204)
        schema = operation.response_schema
        if schema is None:
            if operation.response_content:
                raise NotImplementedError(
                    f"{operation.operation_id}: only JSON responses are generated"
                )
            # No content declared (Trello's spec): an empty body meets the spec; the real
            # API answers JSON all the same.
            if self.draw(st.booleans()):
                return Reply(operation.status)
            return Reply(operation.status, self.draw(self.spec.any_json()))
        strategy = self.spec.response_strategy(operation)
        avoid = response_filter(self.spec, operation.operation_id)
        body = self.draw(strategy if avoid is None else strategy.filter(avoid))
        return Reply(operation.status, body)


def _describe_error(error: BaseException) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}")
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts += [
                f"at {list(getattr(e, 'absolute_path', []))}: {getattr(e, 'message', e)}"
                for e in schema_errors
            ]
        cause = cause.__cause__
    return " <- ".join(parts)
