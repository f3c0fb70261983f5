"""What generated resource classes are made of: typed operations, pagers, raw responses.

A generated resource groups a vendor's operations (``github.repos``); each operation is a
method that states its HTTP method, path template and parameters, and hands them to
`APIResource._call` (or `_pager` for listings that page)::

    class Repos(APIResource):
        @operation
        async def get(
            self, owner: str, repo: str, **options: Unpack[RequestOptions]
        ) -> m.FullRepository:
            return await self._call(
                "GET", "/repos/{owner}/{repo}", path={"owner": owner, "repo": repo},
                returns=m.FullRepository, options=options,
            )

        get_sync = sync_twin(get)

``await github.repos.get("octocat", "hello")`` returns the model;
``await github.repos.get.raw(...)`` returns a `RawResponse` with the status, headers and
`httpx.Response` as well; ``github.repos.get_sync(...)`` blocks. Parameters are serialised
as their OpenAPI ``style`` and ``explode`` say (`style`), bodies as their media type says.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import enum
import json as _json
import re
import secrets
import typing
import warnings
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator, Mapping
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Self,
    TypeVar,
    overload,
)
from urllib.parse import quote, urlencode

import attrs
import httpx
import orjson

from ._errors import ConfigurationError, DecodeError
from ._http import RequestOptions
from ._pagination import NoPagination, Page, PageRequest, Paginator, iterate_pages
from .models import UNSET, Deviation, Model, decode_with_deviations, encode

if TYPE_CHECKING:
    from ._connector import BaseConnectorService
    from ._http import ConnectorHttpClient
    from ._sync import SyncRunner

__all__ = [
    "APIResource",
    "AsyncPager",
    "FileTypes",
    "Page",
    "PagerOptions",
    "RawResponse",
    "RequestOptions",
    "Styled",
    "SyncPager",
    "operation",
    "paged",
    "style",
    "sync_twin",
    "warn_deprecated",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S", bound="APIResource")

FileContent = bytes | IO[bytes]
FileTypes = FileContent | tuple[str | None, FileContent] | tuple[str | None, FileContent, str]
"""A file part of a multipart body: content, or (filename, content[, content type])."""


class PagerOptions(RequestOptions, total=False):
    """`RequestOptions`, plus bounds of a walk through pages."""

    max_pages: int
    max_items: int


_OPERATION: contextvars.ContextVar[str] = contextvars.ContextVar(
    "connectory_operation", default="request"
)
_CAPTURE = "__connectory_capture__"  # options key through which `.raw` gets the response


def warn_deprecated(label: str) -> None:
    """Warn that the API marks the operation `label` deprecated."""
    warnings.warn(f"{label} is deprecated by the API it calls", DeprecationWarning, stacklevel=3)


# -- parameter serialisation (OpenAPI 3 styles) ----------------------------------------


@attrs.frozen(slots=True)
class Styled:
    """A parameter value with the ``style``/``explode`` its spec declares."""

    value: Any
    style: str
    explode: bool
    reserved: bool = False


def style(value: Any, style: str, *, explode: bool | None = None, reserved: bool = False) -> Any:
    """Mark `value` for serialisation in `style` (``form``, ``spaceDelimited``,
    ``pipeDelimited``, ``tabDelimited``, ``deepObject``, ``simple``, ``label``,
    ``matrix``). ``explode`` defaults as OpenAPI says: true for form and deepObject.
    ``reserved``: a path parameter whose value is itself a path (``spaces/AAA``), sent
    with its slashes (RFC 6570 reserved expansion, ``{+name}``)."""
    if value is UNSET or value is None:
        return value
    if explode is None:
        explode = style in ("form", "deepObject")
    return Styled(value, style, explode, reserved)


_RESERVED_SAFE = "/:@!$&'()*+,;=~"


def _reserved_path(name: str, text: str) -> str:
    """A path-valued parameter: slashes kept, everything else percent-encoded; dot
    segments refused, since they would move the request to another path."""
    if any(segment in (".", "..") for segment in text.split("/")):
        raise ConfigurationError(f"path parameter {name!r} must not contain '.' or '..' segments")
    return quote(text, safe=_RESERVED_SAFE)


def _text(value: Any) -> str:
    """A scalar as it goes into a URL, header or form field."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return _text(value.value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _nested(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, dict | list) for v in items)


def json_bytes(value: Any) -> bytes:
    """JSON-ready data as compact JSON text. orjson refuses integers past 64 bits (JSON has
    no such limit; vendors' IDs and amounts can be larger): those go through `json`."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return _json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _json_text(value: Any) -> str:
    return json_bytes(value).decode()


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|", "tabDelimited": "\t"}


def _brackets(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    """``prefix[key][sub]=value`` pairs (deepObject, and nested form fields)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _brackets(f"{prefix}[{key}]", item, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _brackets(f"{prefix}[{index}]", item, out)
    elif value is not UNSET:
        out.append((prefix, _text(value)))


def query_pairs(name: str, raw: Any) -> list[tuple[str, str]]:
    """The query pairs of one parameter, as its style says."""
    if isinstance(raw, Styled):
        kind, explode, value = raw.style, raw.explode, encode(raw.value)
    else:
        kind, explode, value = "form", True, encode(raw)
    if value is UNSET or value is None or value == [] or value == {}:
        return []  # an empty array or object is undefined (RFC 6570): nothing is sent
    if kind == "deepObject":
        out: list[tuple[str, str]] = []
        _brackets(name, value, out)
        return out
    delimiter = _DELIMITERS.get(kind, ",")
    if isinstance(value, dict):
        if _nested(value):
            return [(name, _json_text(value))]  # no style defines nested objects: JSON
        if explode:
            return [(str(k), _text(v)) for k, v in value.items()]
        return [(name, delimiter.join(f"{k}{delimiter}{_text(v)}" for k, v in value.items()))]
    if isinstance(value, list):
        if _nested(value):
            return [(name, _json_text(value))]  # arrays of objects: JSON, never a repr
        if explode:
            return [(name, _text(v)) for v in value]
        return [(name, delimiter.join(_text(v) for v in value))]
    return [(name, _text(value))]


def encode_query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        pairs.extend(query_pairs(name, value))
    return pairs


def _segment(text: str) -> str:
    """One percent-encoded piece of a path: '/' stays inside it, '.' and '..' (which URL
    normalisation would remove) are sent as %2E."""
    if text in (".", ".."):
        return text.replace(".", "%2E")
    return quote(text, safe="")


def path_value(name: str, raw: Any) -> str:
    """A path parameter, as its style (simple, label or matrix) says, percent-encoded."""
    if isinstance(raw, Styled) and raw.reserved:
        return _reserved_path(name, _text(encode(raw.value)))
    if isinstance(raw, Styled):
        kind, explode, value = raw.style, raw.explode, encode(raw.value)
    else:
        kind, explode, value = "simple", False, encode(raw)
    if isinstance(value, dict | list) and _nested(value):
        value = _json_text(value)
    if isinstance(value, dict):
        pairs = [(_segment(str(k)), _segment(_text(v))) for k, v in value.items()]
        if kind == "matrix":
            if explode:
                return "".join(f";{k}={v}" for k, v in pairs)
            return f";{_segment(name)}=" + ",".join(f"{k},{v}" for k, v in pairs)
        joined = (
            ("." if kind == "label" else ",").join(f"{k}={v}" for k, v in pairs)
            if explode
            else ",".join(f"{k},{v}" for k, v in pairs)
        )
        return f".{joined}" if kind == "label" else joined
    if isinstance(value, list):
        items = [_segment(_text(v)) for v in value]
        if kind == "matrix":
            if explode:
                return "".join(f";{_segment(name)}={v}" for v in items)
            return f";{_segment(name)}=" + ",".join(items)
        if kind == "label":
            return "." + ("." if explode else ",").join(items)
        return ",".join(items)
    text = _segment(_text(value))
    if kind == "matrix":
        return f";{_segment(name)}={text}"
    if kind == "label":
        return f".{text}"
    return text


def expand_path(template: str, values: Mapping[str, Any]) -> str:
    """`template` with each ``{name}`` replaced by its serialised value."""
    if "{" not in template:
        return template
    out: list[str] = []
    rest = template
    while "{" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        out.append(rest[:start])
        name = rest[start + 1 : end]
        if name not in values:
            raise ConfigurationError(f"missing path parameter {name!r} for {template!r}")
        value = values[name]
        if value is UNSET or value is None:
            raise ConfigurationError(f"path parameter {name!r} of {template!r} is required")
        out.append(path_value(name, value))
        rest = rest[end + 1 :]
    out.append(rest)
    return "".join(out)


def header_value(raw: Any) -> str | None:
    """A header parameter (simple style); None when unset."""
    if isinstance(raw, Styled):
        explode, value = raw.explode, encode(raw.value)
    else:
        explode, value = False, encode(raw)
    if value is UNSET or value is None or value == [] or value == {}:
        return None  # an empty array or object is undefined (RFC 6570): no header
    if isinstance(value, dict | list) and _nested(value):
        return _json_text(value)
    if isinstance(value, dict):
        if explode:
            return ",".join(f"{k}={_text(v)}" for k, v in value.items())
        return ",".join(f"{k},{_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return _text(value)


_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"


def cookie_header(cookies: Mapping[str, Any]) -> str | None:
    """A Cookie header from cookie parameters (form style); unset ones left out."""
    parts: list[str] = []
    for name, raw in cookies.items():
        if isinstance(raw, Styled):
            explode, value = raw.explode, encode(raw.value)
        else:
            explode, value = True, encode(raw)
        if value is UNSET or value is None:
            continue
        if isinstance(value, dict | list) and _nested(value):
            value = _json_text(value)
        if isinstance(value, dict):
            if explode:
                parts.extend(f"{k}={quote(_text(v), safe=_COOKIE_SAFE)}" for k, v in value.items())
                continue
            value = ",".join(f"{k},{_text(v)}" for k, v in value.items())
        elif isinstance(value, list):
            if explode:
                parts.extend(f"{name}={quote(_text(v), safe=_COOKIE_SAFE)}" for v in value)
                continue
            value = ",".join(_text(v) for v in value)
        parts.append(f"{name}={quote(_text(value), safe=_COOKIE_SAFE)}")
    return "; ".join(parts) or None


# -- bodies ------------------------------------------------------------------------------


def _is_file(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "read")


def form_body(body: Any, encoding: Mapping[str, tuple[str, bool]] | None = None) -> bytes:
    """An ``application/x-www-form-urlencoded`` body. Each property is serialised as its
    ``encoding`` entry says; without one, objects and arrays of objects in bracket
    notation (``metadata[order]=42``, ``items[0][price]=p``) and arrays of scalars as
    repeated fields."""
    data = encode(body)
    if not isinstance(data, dict):
        raise ConfigurationError(f"a form body must be an object, got {type(data).__name__}")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if value is None:
            continue
        declared = (encoding or {}).get(name)
        if declared is not None and declared[0] != "deepObject":
            pairs.extend(query_pairs(name, Styled(value, declared[0], declared[1])))
        elif isinstance(value, dict) or (isinstance(value, list) and _nested(value)):
            _brackets(name, value, pairs)
        elif isinstance(value, list):
            if declared is not None:
                _brackets(name, value, pairs)
            else:
                pairs.extend((name, _text(v)) for v in value)
        else:
            pairs.append((name, _text(value)))
    return urlencode(pairs).encode("ascii")


def multipart_files(body: Any) -> list[tuple[str, Any]]:
    """The parts of a ``multipart/form-data`` body, as httpx's ``files`` takes them: one
    part per property (every part goes through ``files``, so the body is multipart even
    without a file); files as file parts, objects as JSON parts, scalars as text parts,
    and an array as several parts of one name, an item each."""
    if body is UNSET or body is None:
        return []
    if isinstance(body, Model):
        fields: Mapping[str, Any] = {
            json_name: getattr(body, attribute)
            for attribute, json_name in _model_json_names(type(body))
        }
        fields = {**body.additional_properties, **fields}
    elif isinstance(body, Mapping):
        fields = body
    else:
        raise ConfigurationError(f"a multipart body must be an object, got {type(body).__name__}")
    parts: list[tuple[str, Any]] = []
    for name, value in fields.items():
        if value is UNSET or value is None:
            continue
        if _is_file(value) or isinstance(value, tuple):
            parts.append((name, value if isinstance(value, tuple) else ("upload", value)))
        elif (
            isinstance(value, list)
            and value
            and all(_is_file(v) or isinstance(v, tuple) for v in value)
        ):
            parts.extend((name, v if isinstance(v, tuple) else ("upload", v)) for v in value)
        else:
            plain = encode(value)
            # An array is one part per item, each as its own type says: objects (and
            # arrays) as JSON, scalars as text (OpenAPI's default part encodings).
            for item in plain if isinstance(plain, list) else [plain]:
                if isinstance(item, dict | list):
                    parts.append((name, (None, _json_text(item), "application/json")))
                else:
                    parts.append((name, (None, _text(item))))
    return parts


def _model_json_names(cls: type[Model]) -> list[tuple[str, str]]:
    from .models import model_fields

    return [(attribute, json_name) for attribute, json_name, _, _ in model_fields(cls)]


# -- responses ---------------------------------------------------------------------------


# An integer orjson would read as a float, losing digits: 2**64 and above, below -2**63.
# (A 20-digit run inside a string or a long fraction also matches: `json` reads those the
# same, only slower.)
_WIDE_INTEGER = re.compile(rb"-[0-9]{19}|[0-9]{20}")
# The regex above scans slowly (about 25 µs per KB); any match needs a run of 19 digits,
# which `bytes.translate` plus a substring search rules out 20 times faster.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_DIGIT_RUN = b"0" * 19


def parse_json(content: bytes) -> Any:
    """JSON bytes to Python values; empty -> None. Raises `DecodeError` for invalid JSON."""
    if not content.strip():
        return None
    if _DIGIT_RUN in content.translate(_DIGITS_ONLY) and _WIDE_INTEGER.search(content) is not None:
        try:  # orjson reads integers past 64 bits as floats: `json` keeps every digit
            return _json.loads(content)
        except ValueError:
            raise DecodeError(
                f"the response body is not valid JSON ({len(content)} bytes)"
            ) from None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        try:  # NaN and Infinity, which orjson refuses
            return _json.loads(content)
        except ValueError:
            raise DecodeError(
                f"the response body is not valid JSON ({len(content)} bytes)"
            ) from None


def _expects_list(tp: Any) -> bool:
    return typing.get_origin(tp) is list or tp is list


def _allows_none(tp: Any) -> bool:
    if tp is Any or tp is None or tp is type(None):
        return True
    return type(None) in typing.get_args(tp)


@attrs.frozen
class RawResponse(Generic[R]):
    """A response with everything about it: the parsed result, status, headers, the
    `httpx.Response` itself, and where the body deviated from its schema."""

    parsed: R
    http_response: httpx.Response
    deviations: tuple[Deviation, ...] = ()

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers


@attrs.define
class _Capture:
    response: httpx.Response | None = None
    deviations: tuple[Deviation, ...] = ()


def decode_body(
    response: httpx.Response, kind: str, tp: Any, *, strict: bool
) -> tuple[Any, tuple[Deviation, ...]]:
    """The typed result of a successful response, with its deviations."""
    if kind == "empty" or tp is None:
        return None, ()
    if kind == "bytes":
        return response.content, ()
    if kind == "text":
        return response.text, ()
    from ._fastpath import Miss, fast_path  # msgspec, imported on the first response

    content = response.content
    path = fast_path(tp) if content else None
    if path is not None:
        try:
            return path.from_json(content), ()  # bytes to models in one pass
        except Miss:
            pass  # a deviation, or not JSON: as below
    try:
        payload = parse_json(content)
    except DecodeError:
        if strict or "json" in response.headers.get("content-type", "json"):
            raise
        # Declared as "anything" (*/*) and answered with text: the text, as it came.
        return response.text, (Deviation("$", "type", "a body that is not JSON, kept as text"),)
    if payload is None and _expects_list(tp):
        # An empty body (or null) where a list was declared: a list of nothing (a listing
        # with no items, as vendors answer it), recorded as a deviation.
        message = "an empty body or null where an array was declared"
        if strict:
            raise DecodeError(f"$: {message}", path="$")
        return [], (Deviation("$", "null", message),)
    if not response.content.strip() and not _allows_none(tp):
        # Nothing came where an object was declared: no value to keep, none to return.
        raise DecodeError(
            f"the response body is empty where {getattr(tp, '__name__', tp)} was declared",
            status_code=response.status_code,
        )
    return decode_with_deviations(tp, payload, strict=strict, fast=path is None)


# -- operations ----------------------------------------------------------------------------


class APIResource:
    """Base of generated resource classes: one per group of operations."""

    def __init__(self, connector: BaseConnectorService) -> None:
        self._connector = connector
        self._http = connector.http

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._connector!r}>"

    @property
    def _sync(self) -> SyncRunner:
        return self._http.sync

    def _request_parts(
        self,
        path_template: str,
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, Any] | None,
        cookies: Mapping[str, Any] | None,
    ) -> tuple[str, list[tuple[str, str]] | None, dict[str, str]]:
        url = expand_path(path_template, path or {})
        params = encode_query(query) if query else None
        sent: dict[str, str] = {}
        for name, raw in (headers or {}).items():
            text = header_value(raw)
            if text is not None:
                sent[name] = text
        cookie = cookie_header(cookies) if cookies else None
        if cookie is not None:
            sent["Cookie"] = cookie
        return url, params or None, sent

    async def _call(
        self,
        method: str,
        path_template: str,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        cookies: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        form: Any = UNSET,
        form_encoding: Mapping[str, tuple[str, bool]] | None = None,
        multipart: Any = UNSET,
        content: Any = UNSET,
        content_type: str | None = None,
        returns: Any = None,
        kind: str = "json",
        responses: Mapping[str, Any] | None = None,
        accept: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one operation and decode its answer. `returns` is the success type
        (None: no body); `responses` maps status codes to types when 2xx answers differ;
        `kind` is json, text, bytes or empty; `accept`: the Accept header, where the
        answer is not plain JSON (the client's default asks for application/json)."""
        opts = dict(options or {})
        capture: _Capture | None = opts.pop(_CAPTURE, None)
        strict = bool(opts.pop("strict", self._connector.config.strict_decoding))
        url, params, sent = self._request_parts(path_template, path, query, headers, cookies)
        if accept is not None:
            sent["Accept"] = accept
        body: bytes | None = None
        files: list[tuple[str, Any]] | None = None
        if json is not UNSET:
            body = json_bytes(encode(json))
            sent["Content-Type"] = content_type or "application/json"
        elif form is not UNSET:
            body = form_body(form, form_encoding)
            sent["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        elif multipart is not UNSET:
            files = multipart_files(multipart)
            if not files:
                # A body without any field is still a multipart body: httpx sends nothing
                # for no parts, which a server reads as a missing (required) body.
                boundary = secrets.token_hex(16)
                body = f"--{boundary}--\r\n".encode("ascii")
                sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
                files = None
        elif content is not UNSET:
            body = content.encode() if isinstance(content, str) else content
            sent["Content-Type"] = content_type or "application/octet-stream"
        operation = _OPERATION.get()
        response = await self._http.request(
            method,
            url,
            operation=operation,
            params=params,
            content=body,
            files=files,
            headers=sent or None,
            options=opts,
        )
        tp = responses.get(str(response.status_code), returns) if responses else returns
        result, found = decode_body(
            response, kind if tp is not None else "empty", tp, strict=strict
        )
        if capture is not None:
            capture.response, capture.deviations = response, found
        return result

    def _pager(
        self,
        method: str,
        path_template: str,
        *,
        item: Any,
        paginator: Paginator | None = None,
        items_path: str | None = None,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        json: Any = UNSET,
        options: Mapping[str, Any] | None = None,
    ) -> AsyncPager[Any]:
        """A lazy listing of `item`s; nothing is sent until it is iterated."""
        url, params, sent = self._request_parts(path_template, path, query, headers, None)
        opts = dict(options or {})
        max_pages = opts.pop("max_pages", None)
        max_items = opts.pop("max_items", None)
        strict = bool(opts.pop("strict", self._connector.config.strict_decoding))
        grouped: dict[str, Any] = {}
        for key, value in params or ():
            grouped.setdefault(key, []).append(value)
        request = PageRequest(
            method=method,
            url=url,
            params={k: v[0] if len(v) == 1 else v for k, v in grouped.items()},
            json=encode(json) if json is not UNSET else None,
            headers=sent,
            options=opts,
        )
        return AsyncPager(
            self._http,
            request,
            item=item,
            paginator=paginator or NoPagination(),
            items_path=items_path,
            strict=strict,
            max_pages=max_pages,
            max_items=max_items,
        )


class AsyncPager(Generic[T]):
    """A listing that pages: ``async for item in pager`` walks every page lazily.

    ``pager.pages()`` yields whole `Page`s (items, response, deviations);
    ``await pager.first_page()`` fetches only the first; ``await pager.to_list()``
    collects every item. ``max_pages`` / ``max_items`` (per-call options) bound a walk.
    """

    def __init__(
        self,
        http: ConnectorHttpClient,
        request: PageRequest,
        *,
        item: Any,
        paginator: Paginator,
        items_path: str | None,
        strict: bool = False,
        max_pages: int | None = None,
        max_items: int | None = None,
        operation: str | None = None,
    ) -> None:
        self._http = http
        self._request = request
        self._item = item
        self._list_type: Any = list[item]
        self._paginator = paginator
        self._items_path = items_path
        self._strict = strict
        self.max_pages = max_pages
        self.max_items = max_items
        self.operation = operation or _OPERATION.get()

    def __repr__(self) -> str:
        return f"AsyncPager({self._request.method} {self._request.url!r}, {self.operation!r})"

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Every page, fetched when asked for, items decoded into their model."""
        http = self._http
        operation = self.operation

        async def send(page: PageRequest) -> httpx.Response:
            return await http.send_page(page, operation=operation)

        pages = iterate_pages(
            send,
            self._request,
            self._paginator,
            base_url=http.base_url,
            items_path=self._items_path,
            max_pages=self.max_pages,
            items_optional=True,  # generated: the items path is the schema's
        )
        try:
            async for page in pages:
                items, found = decode_with_deviations(
                    self._list_type, page.items, strict=self._strict
                )
                yield Page(
                    items=items, response=page.response, number=page.number, deviations=found
                )
        finally:
            await pages.aclose()

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        count = 0
        limit = self.max_items
        if limit == 0:
            return
        pages = self.pages()
        try:
            async for page in pages:
                for item in page.items:
                    yield item
                    count += 1
                    if count == limit:
                        return
        finally:
            await pages.aclose()

    async def first_page(self) -> Page[T]:
        pages = self.pages()
        try:
            async for page in pages:
                return page
        finally:
            await pages.aclose()
        raise AssertionError("unreachable: a listing has a first page")  # pragma: no cover

    async def to_list(self) -> list[T]:
        return [item async for item in self]

    def sync(self) -> SyncPager[T]:
        """This listing for code without an event loop."""
        return SyncPager(self, self._http.sync)


class SyncPager(Generic[T]):
    """The blocking form of `AsyncPager`: ``for item in pager``, ``pager.pages()``,
    ``pager.first_page()``, ``pager.to_list()``."""

    def __init__(self, pager: AsyncPager[T], runner: SyncRunner) -> None:
        self._pager = pager
        self._runner = runner

    def __repr__(self) -> str:
        return f"Sync{self._pager!r}"

    def __iter__(self) -> Iterator[T]:
        return self._runner.iterate(self._pager.__aiter__())

    def pages(self) -> Iterator[Page[T]]:
        return self._runner.iterate(self._pager.pages())

    def first_page(self) -> Page[T]:
        return self._runner.run(self._pager.first_page())

    def to_list(self) -> list[T]:
        return self._runner.run(self._pager.to_list())


class BoundOperation(Generic[P, R]):
    """An operation bound to its resource: call it, or ``.raw(...)`` it."""

    __slots__ = ("_fn", "_name", "_resource")

    def __init__(self, resource: Any, fn: Callable[..., Coroutine[Any, Any, R]], name: str) -> None:
        self._resource = resource
        self._fn = fn
        self._name = name

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        token = _OPERATION.set(self._name)
        try:
            return await self._fn(self._resource, *args, **kwargs)
        finally:
            _OPERATION.reset(token)

    async def raw(self, *args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        """The result with its status, headers, `httpx.Response` and deviations."""
        capture = _Capture()
        kwargs[_CAPTURE] = capture
        parsed = await self(*args, **kwargs)
        assert capture.response is not None
        return RawResponse(parsed, capture.response, capture.deviations)


class operation(Generic[S, P, R]):  # noqa: N801 - used as a decorator, like property
    """Decorator of a generated async operation method (see the module docstring)."""

    def __init__(self, fn: Callable[Concatenate[S, P], Coroutine[Any, Any, R]]) -> None:
        self._fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self._label = fn.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._label = f"{getattr(owner, 'label', owner.__name__)}.{name}"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: S, owner: type[Any]) -> BoundOperation[P, R]: ...
    def __get__(self, instance: S | None, owner: type[Any]) -> Self | BoundOperation[P, R]:
        if instance is None:
            return self
        return BoundOperation(instance, self._fn, self._label)


class BoundSyncOperation(Generic[P, R]):
    """A blocking twin bound to its resource: call it, or ``.raw(...)`` it."""

    __slots__ = ("_bound", "_runner")

    def __init__(self, bound: BoundOperation[P, R], runner: SyncRunner) -> None:
        self._bound = bound
        self._runner = runner

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._runner.run(self._bound(*args, **kwargs))

    def raw(self, *args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        return self._runner.run(self._bound.raw(*args, **kwargs))


class sync_operation(Generic[S, P, R]):  # noqa: N801 - a descriptor made by sync_twin
    def __init__(self, async_op: operation[S, P, R]) -> None:
        self._op = async_op
        self.__doc__ = f"Blocking twin of `{async_op.__name__}`."

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: S, owner: type[Any]) -> BoundSyncOperation[P, R]: ...
    def __get__(self, instance: S | None, owner: type[Any]) -> Self | BoundSyncOperation[P, R]:
        if instance is None:
            return self
        return BoundSyncOperation(self._op.__get__(instance, owner), instance._sync)


class paged(Generic[S, P, T]):  # noqa: N801 - used as a decorator, like property
    """Decorator of a generated listing method that returns an `AsyncPager`."""

    def __init__(self, fn: Callable[Concatenate[S, P], AsyncPager[T]]) -> None:
        self._fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__
        self._label = fn.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._label = f"{getattr(owner, 'label', owner.__name__)}.{name}"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: S, owner: type[Any]) -> Callable[P, AsyncPager[T]]: ...
    def __get__(self, instance: S | None, owner: type[Any]) -> Self | Callable[P, AsyncPager[T]]:
        if instance is None:
            return self
        fn, label = self._fn, self._label

        def bound(*args: P.args, **kwargs: P.kwargs) -> AsyncPager[T]:
            pager = fn(instance, *args, **kwargs)
            pager.operation = label
            return pager

        return bound


class sync_paged(Generic[S, P, T]):  # noqa: N801 - a descriptor made by sync_twin
    def __init__(self, async_op: paged[S, P, T]) -> None:
        self._op = async_op
        self.__doc__ = f"Blocking twin of `{async_op.__name__}`."

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: S, owner: type[Any]) -> Callable[P, SyncPager[T]]: ...
    def __get__(self, instance: S | None, owner: type[Any]) -> Self | Callable[P, SyncPager[T]]:
        if instance is None:
            return self
        make = self._op.__get__(instance, owner)

        def bound(*args: P.args, **kwargs: P.kwargs) -> SyncPager[T]:
            return make(*args, **kwargs).sync()

        return bound


@overload
def sync_twin(op: operation[S, P, R]) -> sync_operation[S, P, R]: ...
@overload
def sync_twin(op: paged[S, P, T]) -> sync_paged[S, P, T]: ...
def sync_twin(op: Any) -> Any:
    """The blocking twin of an operation (``get_sync = sync_twin(get)``)."""
    if isinstance(op, operation):
        return sync_operation(op)
    if isinstance(op, paged):
        return sync_paged(op)
    raise TypeError(f"sync_twin takes an @operation or @paged method, got {op!r}")
