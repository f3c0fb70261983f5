"""The vendor side of a contract check: a transport that records, a request validator.

`FakeVendor` is an `httpx.MockTransport` handler that keeps every request the connector
sends and answers with the `Reply` the check prepared (a body drawn from a response schema
of the spec). `OpenAPIRequest` presents an `httpx.Request` to openapi-core: openapi-core
has adapters for several web frameworks but none for httpx's client requests, and this one
also has to step round three of its quirks (see the class docstring). `validate` runs
openapi-core's request validation and returns its errors, each with the parameter it
concerns.
"""

from __future__ import annotations

import functools
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import attrs
import httpx
from hypothesis import strategies as st
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.paths import iterators as _path_iterators
from openapi_core.templating.paths.datatypes import Path as _TemplatePath
from openapi_core.templating.paths.parsers import PathParser
from openapi_core.templating.paths.util import template_path_len
from openapi_core.validation.request.exceptions import ParameterValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict


@functools.cache
def _path_parser(pattern: str) -> PathParser:
    return PathParser(pattern, post_expression="$")


# openapi-core finds a request's path by matching it against every path template, with a
# regex it keeps in a 4,096-entry cache per iterator: Microsoft Graph's 5,000-odd templates
# overflow it, and every request recompiled every template. One regex per template here.
setattr(  # noqa: B010 - replacing a method of theirs
    _path_iterators.TemplatePathsIterator,
    "_get_path_parser",
    lambda self, pattern: _path_parser(pattern),
)

_PATH_ITEMS: dict[int, tuple[Any, list[tuple[str, Any]]]] = {}


def _iterate_paths(self: Any, name: str, spec: Any, base_url: str | None = None) -> Any:
    """openapi-core's own walk over the path templates, with the list of templates read
    once per document instead of once per request (thousands of objects for Graph)."""
    kept = _PATH_ITEMS.get(id(spec))
    if kept is None or kept[0] is not spec:
        kept = (spec, list((spec / self.paths_part).str_items()))
        _PATH_ITEMS[id(spec)] = kept
    template_paths: list[Any] = []
    for path_pattern, path in kept[1]:
        if name.endswith(path_pattern):
            yield _TemplatePath(path, TemplateResult(path_pattern, {}))
        else:
            result = _path_parser(path_pattern).search(name)
            if result:
                found = TemplateResult(path_pattern, result.named)
                template_paths.append(_TemplatePath(path, found))
    yield from sorted(template_paths, key=template_path_len)


setattr(_path_iterators.TemplatePathsIterator, "__call__", _iterate_paths)  # noqa: B010

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[T]], T]


@attrs.frozen
class Reply:
    """What the fake answers: a status, headers and the body as bytes (b"": none)."""

    status: int
    content: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, body: Any, media_type: str = "application/json") -> Reply:
        from ._types import json_bytes

        return cls(status, json_bytes(body), (("content-type", media_type),))


class FakeVendor:
    """Records the requests of a connector and answers each with `reply` (or `respond`)."""

    def __init__(self, token_urls: tuple[str, ...] = ()) -> None:
        self.requests: list[httpx.Request] = []
        self.reply: Reply = Reply(204)
        self.respond: Callable[[httpx.Request], Reply] | None = None
        # An OAuth2 client-credentials connector asks its token endpoint first: answered
        # with a token here, kept apart from the operation's own requests.
        self.token_urls = frozenset(str(httpx.URL(url).copy_with(query=None)) for url in token_urls)
        self.token_requests: list[httpx.Request] = []

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if str(request.url.copy_with(query=None)) in self.token_urls:
            self.token_requests.append(request)
            token = {"access_token": "contract-token", "token_type": "bearer", "expires_in": 3600}
            return httpx.Response(200, json=token)
        self.requests.append(request)
        reply = self.respond(request) if self.respond is not None else self.reply
        return httpx.Response(reply.status, content=reply.content, headers=list(reply.headers))


class OpenAPIRequest:
    """An `httpx.Request` as openapi-core's request protocol, on a known path template.

    The operation is named by ``path_pattern`` (the template the request was generated
    from) and the path parameters are handed over decoded, so openapi-core does not have
    to find the path (the harness matches it itself, see `_spec.matching_template`).
    openapi-core's quirks met here:

    * it reads label and matrix path parameters under ``.name``/``;name`` keys (``*``
      appended when exploded), so each value is offered under every such key;
    * it splits spaceDelimited values on a literal ``%20``, after query decoding has
      turned it into a space, so those values are handed over re-encoded;
    * it reads only one value per query key unless it holds a multi-dict, so the query is
      one (`ImmutableMultiDict`).
    """

    def __init__(
        self,
        request: httpx.Request,
        *,
        host_url: str,
        path_pattern: str,
        path_params: dict[str, str],
        space_delimited: frozenset[str] = frozenset(),
    ) -> None:
        self._request = request
        self.host_url = host_url
        self.path_pattern = path_pattern
        self.path = path_pattern
        pairs = httpx.QueryParams(request.url.query.decode("ascii")).multi_items()
        query = [
            (key, quote(value, safe="") if key in space_delimited else value)
            for key, value in pairs
        ]
        path: dict[str, str] = {}
        for name, value in path_params.items():
            for key in (name, f".{name}", f".{name}*", f";{name}", f";{name}*"):
                path[key] = value
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(cookie_pairs(request.headers.get("cookie", ""))),
            path=path,
        )

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        # An empty form (every field optional, none given) is a body all the same: its
        # Content-Type says so. openapi-core reads b"" as an empty form, None as no body.
        if self._request.content or "content-type" in self._request.headers:
            return self._request.content
        return None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("content-type", "")).lower()


def cookie_pairs(header: str) -> list[tuple[str, str]]:
    """The (name, decoded value) pairs of a Cookie header, in order."""
    pairs = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            pairs.append((name, unquote(value)))
    return pairs


@attrs.frozen
class ValidationError:
    """One error openapi-core found in a request."""

    kind: str  # the exception's class name
    location: str | None  # parameter location, "body", or None
    name: str | None  # parameter name
    message: str


def validate(openapi: OpenAPI, request: OpenAPIRequest) -> list[ValidationError]:
    """openapi-core's verdict on `request`: every error, with what it concerns."""
    with warnings.catch_warnings():
        # openapi-core warns on every use of the (deprecated) allowEmptyValue, on
        # deprecated parameters and on styles it does not know: none is an error.
        warnings.simplefilter("ignore")
        try:
            found = list(openapi.iter_request_errors(request))
        except Exception as crash:  # its format checkers raise on some input (byte)
            where = traceback.extract_tb(crash.__traceback__)[-1]
            message = f"{crash!r:.200} in {where.filename.rsplit('/', 2)[-2]}/{where.name}"
            return [ValidationError(f"raised {type(crash).__name__}", None, None, message)]
    errors: list[ValidationError] = []
    for error in found:
        location: str | None
        name: str | None
        if isinstance(error, ParameterValidationError):
            location, name = error.location, error.name
        elif "Body" in type(error).__name__ or "MediaType" in type(error).__name__:
            location, name = "body", None
        else:
            location, name = None, None
        errors.append(ValidationError(type(error).__name__, location, name, describe(error)))
    return errors


def describe(error: BaseException) -> str:
    """An error and its causes, with the schema errors openapi-core attaches."""
    parts = [f"{type(error).__name__}: {error}"]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}")
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts += [
                f"at {list(getattr(e, 'absolute_path', []))}: {getattr(e, 'message', e)}"[:300]
                for e in schema_errors[:3]
            ]
        cause = cause.__cause__
    return " <- ".join(parts)
