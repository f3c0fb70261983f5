"""The contract check of one operation: the request on the wire, the response decoded.

For an entry of ``OPERATIONS`` and its operation in the spec, `check_operation` runs
Hypothesis examples. Each draws arguments from the parameter and body schemas, turns them
into what the generated method takes (`_types.to_argument`), calls the method through a
connector whose transport is a `FakeVendor`, and checks the one request it sends:

* openapi-core validates it against the spec (`_fake.validate`);
* each value is read back from the wire as its style and media type say and compared with
  what was drawn (`_wire`), so a valid request that carries the wrong value is caught;
* nothing undeclared is sent (query parameters, a body where none was given);
* its ``Accept`` admits the media type the method decodes.

The vendor answers with a body drawn from one declared success response (each status and
media type in turn: a response *variant*); the result must decode with ``strict=True``
(no deviation from the schema), be of the declared type all the way down, and encode back
(`connectory.core.models.encode`) to the JSON that was sent, up to the normalisations of
`_types.NORMALISATIONS`.

Problems are not raised but collected as `Finding`s, so that a corpus run can count them
by cause; the pytest tests assert there are none (or only the spec's own, see `_causes`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import traceback
import typing
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Final
from urllib.parse import quote, unquote

import attrs
import httpx
from hypothesis import HealthCheck, Phase, Verbosity, find, given, seed, settings
from hypothesis import errors as hypothesis_errors
from hypothesis import strategies as st

from connectory.core import (
    BaseConnectorService,
    ConnectorError,
    DecodeError,
    OperationInfo,
    RateLimits,
)
from connectory.core.models import encode
from connectory.generator._parse import _is_binary, _pick_media, media_kind

from ._fake import FakeVendor, OpenAPIRequest, Reply, validate
from ._paging import items_of
from ._schema import UnsupportedSchemaError
from ._spec import (
    IGNORED_HEADERS,
    TRANSPORT_HEADERS,
    ContractSpec,
    SpecOperation,
    SpecParameter,
    SpecResponse,
    matching_template,
)
from ._types import compare_json, conformance, members, to_argument, wire_value
from ._wire import ABSENT, Mismatch, body_kind, check_body, check_parameter, describe, media

# Strings a header can carry as they are (no whitespace at the ends, no control chars).
HEADER_TEXT: Final = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=24
)
TEXT_BODY: Final = st.text(max_size=40)
BINARY_BODY: Final = st.binary(max_size=64)


@attrs.frozen
class Finding:
    """One thing wrong with an operation, and where it was seen."""

    spec: str
    operation: str  # group.method
    pointer: str  # the operation in the spec
    stage: str  # request, decode, round-trip, call, harness
    cause: str  # the figure it is counted under
    detail: str
    variant: str = ""  # the response variant ("200 application/json") where it applies


@attrs.define
class OperationReport:
    spec: str
    operation: str
    pointer: str
    examples: int = 0
    requests: int = 0
    variants: list[str] = attrs.field(factory=list)
    skipped: list[tuple[str, str]] = attrs.field(factory=list)  # (variant, why)
    findings: dict[tuple[str, str, str], Finding] = attrs.field(factory=dict)
    notes: Counter[str] = attrs.field(factory=Counter)
    seconds: float = 0.0

    def add(self, finding: Finding) -> None:
        # one finding per stage, cause and variant: the first example that shows it
        self.findings.setdefault((finding.stage, finding.cause, finding.variant), finding)


# -- drawing a call ---------------------------------------------------------------------


@attrs.frozen
class Call:
    """The keyword arguments of one call and what each must arrive as."""

    kwargs: dict[str, Any]
    drawn: dict[tuple[str, str], Any]  # (location, name) -> value as it must arrive
    body: Any = ABSENT


def carriable(param: SpecParameter, value: Any) -> bool:
    """Values a parameter's location can carry at all.

    ``null`` has no serialisation as a parameter, nor has an empty array or object (an
    exploded one is no pair at all, a non-exploded one ``name=`` reads back as one empty
    item). A path segment cannot be empty. A header carries printable ASCII without
    whitespace at its ends, and simple style has no escaping: no comma inside an array
    item, no ``=`` in an exploded object's key. Query and cookie values cannot be empty
    unless ``allowEmptyValue``; a non-exploded array or object cannot hold its style's
    delimiter (or a comma) inside an item. Those are the limits of OpenAPI's styles, not of
    the connector; whatever goes out percent-encoded item by item (path items, exploded
    query and cookie pairs) is not limited.
    """
    if value is None:
        return False
    if param.media_type is not None:
        return True  # JSON text
    if param.style == "deepObject":
        return (
            isinstance(value, dict)
            and bool(value)
            and not bracketed_keys(value)
            and not any(v is None or v == [] or v == {} for v in value.values())
        )
    if isinstance(value, list | dict):
        if not value:
            return False
        keys = list(value) if isinstance(value, dict) else []
        items = [*keys, *value.values()] if isinstance(value, dict) else list(value)
        if any(v is None for v in items):
            return False
        if any(isinstance(v, dict | list) for v in items):
            if param.location == "header":
                return _header_text(json.dumps(value, separators=(",", ":")))
            return True  # JSON text
        texts = [_plain(v) for v in items]
        if param.location == "path":
            # openapi-core splits the segment after percent-decoding it: an item holding
            # a delimiter of the style (",", "=", matrix's ";", label's ".") reads as two.
            delimiters = ",=;." if param.style == "label" else ",=;"
            return all(texts) and not any(set(t) & set(delimiters) for t in texts)
        if param.location == "header":
            return all(_header_text(t) and "," not in t for t in texts) and not any(
                "=" in k for k in keys
            )
        if param.location == "query" and not param.allow_empty and "" in texts:
            return False  # an empty item is an empty query value
        if param.explode and param.style == "form":
            if param.location == "cookie":
                return not any(set(k) & set("=; ,") or not k for k in keys)
            return all(keys) if keys else True
        delimiter = _STYLE_DELIMITERS.get(param.style, ",")
        return not any(delimiter in t or "," in t or "=" in t for t in texts)
    if param.location == "path":
        return not (isinstance(value, str) and not value)
    if param.location == "header":
        return _header_text(_plain(value))
    return not (value == "" and not param.allow_empty)


_STYLE_DELIMITERS: Final = {"spaceDelimited": " ", "pipeDelimited": "|", "tabDelimited": "\t"}


def _header_text(text: str) -> bool:
    return bool(text) and text == text.strip() and text.isprintable() and text.isascii()


def bracketed_keys(value: Any, *, top: bool = False) -> bool:
    """Whether an object below the top holds a key with a bracket in it."""
    if isinstance(value, dict):
        if not top and any("[" in k or "]" in k for k in value):
            return True
        return any(bracketed_keys(v) for v in value.values())
    if isinstance(value, list):
        return any(bracketed_keys(v) for v in value)
    return False


def _part_name(name: str) -> bool:
    return name.isprintable() and not ({'"', "\\", "%"} & set(name))


def empty_inside(value: Any, *, top: bool = False) -> bool:
    """Whether an empty object or array sits below the top of a value."""
    if isinstance(value, dict | list):
        if not value and not top:
            return True
        items = value.values() if isinstance(value, dict) else value
        return any(empty_inside(v) for v in items)
    return False


def _plain(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def parameter_strategy(
    spec: ContractSpec, op: SpecOperation, param: SpecParameter
) -> st.SearchStrategy[Any]:
    schema = param.schema
    if (
        param.location == "header"
        and isinstance(schema, dict)
        and schema.get("type") == "string"
        and not ({"enum", "pattern", "format", "$ref"} & schema.keys())
    ):
        return HEADER_TEXT
    base = spec.strategy(
        ("parameter", op.pointer, param.location, param.name),
        schema,
        direction="request",
        without_null=True,  # a parameter cannot carry null: none is drawn
    )
    return base.filter(lambda value: carriable(param, value))


def draw_call(
    spec: ContractSpec,
    info: OperationInfo,
    op: SpecOperation,
    draw: Callable[[st.SearchStrategy[Any]], Any],
) -> Call:
    """Arguments for `info`: required ones always, optional ones sometimes."""
    fn = spec.function(info)
    hints = spec.hints(info)
    signature = inspect.signature(fn)
    owned = spec.auth_params()

    def choose() -> bool:
        return bool(draw(st.booleans()))

    kwargs: dict[str, Any] = {}
    drawn: dict[tuple[str, str], Any] = {}
    for parameter in info.parameters:
        if (parameter.location, parameter.name.lower()) in owned or (
            parameter.location == "header" and parameter.name.lower() in IGNORED_HEADERS
        ):
            # the auth scheme (or the client) sets it; a signature that still requires
            # it gets a value, which the credential replaces on the wire
            if signature.parameters[parameter.py_name].default is inspect.Parameter.empty:
                kwargs[parameter.py_name] = "contract-value"
            continue
        try:
            param = op.parameter(parameter.name, parameter.location)
        except KeyError:  # a path template name the spec does not declare: a string
            param = SpecParameter(
                parameter.name, "path", True, {"type": "string"}, "simple", False, False, op.pointer
            )
        required = signature.parameters[parameter.py_name].default is inspect.Parameter.empty
        if not required and not choose():
            continue
        value = draw(parameter_strategy(spec, op, param))
        hint = hints[parameter.py_name]
        kwargs[parameter.py_name] = to_argument(value, hint, choose)
        drawn[(parameter.location, parameter.name)] = wire_value(value, hint)
    if info.body_content_type is None or "body" not in signature.parameters:
        return Call(kwargs, drawn)
    required = signature.parameters["body"].default is inspect.Parameter.empty
    if not required and not choose():
        return Call(kwargs, drawn)
    media_type = info.body_content_type
    kind = body_kind(media_type)
    hint = hints["body"]
    if kind == "bytes":
        value = draw(BINARY_BODY.filter(bool))  # no bytes at all would be no body
        kwargs["body"] = value
        return Call(kwargs, drawn, value)
    schema = (op.body_content or {}).get(media_type, {}).get("schema")
    if kind == "text" and str not in members(hint):
        kind = "json"  # a YAML or text type with an object schema: sent as JSON
    if kind == "text":
        resolved = _resolved(spec, schema)
        text = (
            spec.strategy(("text body", op.pointer), schema, direction="request")
            if isinstance(resolved, dict) and resolved.get("type") == "string"
            else TEXT_BODY
        )
        value = draw(text.filter(lambda t: isinstance(t, str) and bool(t)))
        kwargs["body"] = value
        return Call(kwargs, drawn, value)
    strategy = spec.strategy(("body", op.pointer, media_type), schema, direction="request")
    if kind == "form":
        # bracket notation cannot carry a key holding a bracket, nor an empty object or
        # array (it has nothing to write for them)
        strategy = strategy.filter(
            lambda v: (
                isinstance(v, dict)
                and not bracketed_keys(v, top=True)
                and not empty_inside(v, top=True)
            )
        )
    elif kind == "multipart":
        # a part's name goes in a quoted Content-Disposition parameter, where control
        # characters, quotes and backslashes are escaped (httpx percent-encodes them)
        # and an empty array has no part to stand for it
        strategy = strategy.filter(
            lambda v: (
                isinstance(v, dict)
                and all(_part_name(k) for k in v)
                and not any(item == [] for item in v.values())
            )
        )
    value = draw(strategy)
    kwargs["body"] = to_argument(value, hint, choose)
    return Call(kwargs, drawn, wire_value(value, hint))


# -- response variants --------------------------------------------------------------------


@attrs.frozen
class Variant:
    response: SpecResponse
    kind: str  # json, text, bytes, empty

    @property
    def label(self) -> str:
        return f"{self.response.status} {self.response.media_type or '(no content)'}"

    @property
    def status(self) -> int:
        status = self.response.status
        return int(status) if status.isdigit() else 200


def variants(spec: ContractSpec, op: SpecOperation) -> tuple[list[Variant], list[tuple[str, str]]]:
    """The response variants the method must decode, and those it never asks for (the
    other media types of a status: the method asks for one in its Accept header)."""
    chosen: list[Variant] = []
    skipped: list[tuple[str, str]] = []
    by_status: dict[str, list[SpecResponse]] = {}
    for response in op.responses:
        by_status.setdefault(response.status, []).append(response)
    for status, responses in by_status.items():
        content = {r.media_type: r for r in responses if r.media_type is not None}
        if not content:
            chosen.append(Variant(responses[0], "empty"))
            continue
        picked = _pick_media({k: {} for k in content})
        assert picked is not None
        primary = content[picked[0]]
        for response in content.values():
            if response is not primary:
                skipped.append(
                    (f"{status} {response.media_type}", f"the method asks for {primary.media_type}")
                )
        kind = media_kind(picked[0])
        binary = kind == "json" and _is_binary(_resolved(spec, primary.schema))
        if binary or kind in ("form", "multipart"):
            kind = "bytes"
        chosen.append(Variant(primary, kind))
    return chosen, skipped


def _resolved(spec: ContractSpec, schema: Any) -> Any:
    try:
        return spec.converter.deref(schema) if schema is not None else None
    except (UnsupportedSchemaError, KeyError):
        return None


def reply_strategy(spec: ContractSpec, variant: Variant) -> st.SearchStrategy[tuple[Reply, Any]]:
    """Replies of a variant, with the value each must decode to (as JSON, text or bytes)."""
    response = variant.response
    declared = response.media_type or ""
    concrete = "*" not in declared
    if variant.kind == "empty":
        return st.just((Reply(variant.status), None))
    if variant.kind == "text":
        headers = (("content-type", declared if concrete else "text/plain"),)
        return TEXT_BODY.map(lambda text: (Reply(variant.status, text.encode(), headers), text))
    if variant.kind == "bytes":
        headers = (("content-type", declared if concrete else "application/octet-stream"),)
        return BINARY_BODY.map(lambda data: (Reply(variant.status, data, headers), data))
    media_type = declared if concrete else "application/json"
    if response.schema is None:
        body = spec.any_json()
    else:
        body = spec.strategy(("response", response.pointer), response.schema, direction="response")
    return body.map(lambda value: (Reply.json(variant.status, value, media_type), value))


# -- one example ----------------------------------------------------------------------------


@attrs.define
class Context:
    """What one operation's examples share: the spec, a connector, its vendor, a loop."""

    spec: ContractSpec
    connector: BaseConnectorService
    vendor: FakeVendor
    runner: asyncio.Runner


@attrs.frozen
class Outcome:
    result: Any = None
    deviations: tuple[Any, ...] = ()
    error: BaseException | None = None
    items_path: str | None = None
    paging: frozenset[str] = frozenset()  # the query parameters the paginator sets


async def _invoke(ctx: Context, info: OperationInfo, call: Call, strict: bool) -> Outcome:
    bound = ctx.spec.method(ctx.connector, info)
    try:
        if info.paged:
            pager = bound(**call.kwargs, strict=strict)
            paging = paging_params(pager._paginator)
            try:
                page = await pager.first_page()
            except (ConnectorError, DecodeError) as error:
                return Outcome(error=error, paging=paging)
            return Outcome(page.items, page.deviations, items_path=pager._items_path, paging=paging)
        raw = await bound.raw(**call.kwargs, strict=strict)
        return Outcome(raw.parsed, raw.deviations)
    except (ConnectorError, DecodeError, TypeError, ValueError, AttributeError, KeyError) as error:
        return Outcome(error=error)


def paging_params(paginator: Any) -> frozenset[str]:
    """The request parameters a paginator sets itself (page, cursor, limit, ...)."""
    names = {
        getattr(paginator, attribute, None)
        for attribute in ("cursor_param", "limit_param", "offset_param", "page_param", "size_param")
    }
    return frozenset(name for name in names if isinstance(name, str))


def run_example(
    ctx: Context,
    info: OperationInfo,
    op: SpecOperation,
    variant: Variant | None,
    draw: Callable[[st.SearchStrategy[Any]], Any],
    report: OperationReport,
) -> None:
    """One example: draw, call, check the request and the decoded result."""
    call = draw_call(ctx.spec, info, op, draw)
    reply, expected = draw(reply_strategy(ctx.spec, variant)) if variant else (Reply(204), None)
    label = variant.label if variant else ""
    report.examples += 1
    ctx.vendor.requests.clear()
    ctx.vendor.reply = reply
    outcome = ctx.runner.run(_invoke(ctx, info, call, strict=True))
    requests = list(ctx.vendor.requests)
    if len(requests) != 1:
        detail = f"{len(requests)} requests; the call raised {outcome.error!r:.200}"
        report.add(
            _finding(report, "call", _error_cause(outcome.error, "no request"), detail, label)
        )
        return
    report.requests += 1
    checked = check_request(ctx.spec, info, op, call, requests[0], report.notes, outcome.paging)
    for mismatch in checked:
        location, _, name = mismatch.where.partition(" ")
        if location == "query" and name in outcome.paging:
            # what the paginator (connector.yaml's pagination) sends, not the method
            mismatch = attrs.evolve(mismatch, cause=f"paginator: {mismatch.cause}")
        report.add(
            _finding(report, "request", mismatch.cause, f"{mismatch.where}: {mismatch.detail}")
        )
    if variant is None:
        return
    accept = requests[0].headers.get("accept")
    declared = variant.response.media_type
    if declared is not None and not accepts(accept, declared):
        detail = f"Accept: {accept!r}, the response is {declared}"
        report.add(
            _finding(report, "request", "Accept excludes the response media type", detail, label)
        )
    if isinstance(outcome.error, DecodeError):
        report.add(
            _finding(report, "decode", "strict decoding raised", str(outcome.error)[:300], label)
        )
        ctx.vendor.requests.clear()
        outcome = ctx.runner.run(_invoke(ctx, info, call, strict=False))
    if outcome.error is not None:
        cause = _error_cause(outcome.error, "the call raised")
        report.add(_finding(report, "call", cause, f"{outcome.error!r:.300}", label))
        return
    for deviation in outcome.deviations:
        report.add(
            _finding(report, "decode", f"deviation: {deviation.kind}", str(deviation)[:300], label)
        )
    check_result(ctx.spec, info, variant, outcome, expected, report)


def accepts(accept: str | None, media_type: str) -> bool:
    """Whether an Accept header admits a media type (or range) the spec declares."""
    if not accept:
        return True
    wanted = media(media_type)
    kind, _, sub = wanted.partition("/")
    for item in accept.split(","):
        offered = media(item)
        if _json_family(offered) and _json_family(wanted):
            # application/vnd.github+json asks for JSON; an API declared as answering
            # application/json answers it (GitHub does, with application/json).
            return True
        offered_kind, _, offered_sub = offered.partition("/")
        if offered in ("*/*", wanted) or (
            "*" in (kind, sub) and (kind in ("*", offered_kind) and sub in ("*", offered_sub))
        ):
            return True
        if offered_sub == "*" and offered_kind == kind:
            return True
    return False


def _json_family(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _error_cause(error: BaseException | None, default: str) -> str:
    """The figure an exception is counted under: its type and message, names left out."""
    if error is None:
        return default
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", str(error)).split(" (")[0].split(":")[0]
    return f"{type(error).__name__}: {text[:70]}"


def _finding(
    report: OperationReport, stage: str, cause: str, detail: str, variant: str = ""
) -> Finding:
    return Finding(report.spec, report.operation, report.pointer, stage, cause, detail, variant)


def check_result(
    spec: ContractSpec,
    info: OperationInfo,
    variant: Variant,
    outcome: Outcome,
    expected: Any,
    report: OperationReport,
) -> None:
    """The result is of the declared type and encodes back to what was sent."""
    label = variant.label
    declared = spec.hints(info)["return"]
    result = outcome.result
    if info.paged:
        (item,) = typing.get_args(declared) or (Any,)
        declared = list[item]  # type: ignore[valid-type]
        expected = items_of(expected, outcome.items_path)  # as a generated pager reads it
    problems = conformance(result, declared)
    if problems:
        report.add(
            _finding(
                report, "decode", "result not of the declared type", "; ".join(problems[:3]), label
            )
        )
    if variant.kind in ("text", "bytes", "empty"):
        if variant.kind == "empty" and result in (None, b"", ""):
            return
        if result != expected:
            report.add(
                _finding(
                    report,
                    "round-trip",
                    f"{variant.kind} body",
                    f"sent {expected!r:.80}, got {result!r:.80}",
                    label,
                )
            )
        return
    if expected is None and result in (None, []):
        return
    differences = compare_json(expected, encode(result), report.notes)
    if differences:
        report.add(
            _finding(
                report,
                "round-trip",
                "encode() differs from the body",
                "; ".join(differences[:3]),
                label,
            )
        )


# -- the request ----------------------------------------------------------------------------


def check_request(
    spec: ContractSpec,
    info: OperationInfo,
    op: SpecOperation,
    call: Call,
    request: httpx.Request,
    notes: Counter[str],
    paging: frozenset[str] = frozenset(),
) -> list[Mismatch]:
    """Everything wrong with the request that arrived for `call` (`paging`: the query
    parameters the operation's paginator sets, which may arrive though not given)."""
    problems: list[Mismatch] = []
    if request.method != info.method:
        problems.append(
            Mismatch("method", "wrong HTTP method", f"{request.method} for {info.method}")
        )
    raw_params, routing = route(spec, op, request)
    if raw_params is None:
        return problems + routing
    problems += validation_problems(
        spec, op, request, raw_params, call.drawn, info.body_content_type
    )
    # the values, read back
    owned = spec.auth_params()
    query_names = frozenset(p.name for p in op.parameters if p.location == "query")
    for param in op.parameters:
        key = (param.location, param.name)
        if (param.location, param.name.lower()) in owned:
            continue
        if param.location == "header" and param.name.lower() in IGNORED_HEADERS:
            continue
        drawn = call.drawn.get(key, ABSENT)
        if drawn is ABSENT and param.location == "query" and param.name in paging:
            continue
        if (
            drawn is ABSENT
            and param.location == "header"
            and param.name.lower() in TRANSPORT_HEADERS
        ):
            continue
        others = query_names - {param.name}
        problems += check_parameter(param, drawn, request, raw_params, others, notes)
    problems += undeclared_query(op, call.drawn, request, owned)
    media_type = info.body_content_type or ""
    encoding: dict[str, Any] = {}
    if op.body_content and media_type in op.body_content:
        encoding = op.body_content[media_type].get("encoding") or {}
    problems += check_body(media_type, call.body, request, encoding, notes, paging)
    return problems


def route(
    spec: ContractSpec, op: SpecOperation, request: httpx.Request
) -> tuple[dict[str, str] | None, list[Mismatch]]:
    """The raw path parameters of a request for `op`, or None and why it is not one."""
    base = httpx.URL(spec.base_url)
    url = request.url
    raw_path = url.raw_path.decode("ascii").partition("?")[0]
    prefix = base.raw_path.decode("ascii").rstrip("/")
    if (url.scheme, url.host, url.port) != (
        base.scheme,
        base.host,
        base.port,
    ) or not raw_path.startswith(prefix):
        return None, [Mismatch("url", "outside the base URL", f"{url} is not below {base}")]
    # A fragment or a query in a spec path (``/files/{id}#copy``, ``/rest?method=x``: to
    # tell apart operations on one path) is no part of the path on the wire.
    template = op.path.partition("#")[0].partition("?")[0]
    patterns = {}
    for param in op.parameters:
        schema = spec.converter.deref(param.schema) if isinstance(param.schema, dict) else None
        values = schema.get("enum") if isinstance(schema, dict) else None
        if param.location == "path" and isinstance(values, list) and values:
            patterns[param.name] = "|".join(re.escape(quote(str(v), safe="")) for v in values)
    raw_params = matching_template(template, raw_path[len(prefix) :] or "/", patterns)
    if raw_params is None:
        return None, [
            Mismatch("path", "path does not match its template", f"{raw_path} for {op.path}")
        ]
    return raw_params, []


def validation_problems(
    spec: ContractSpec,
    op: SpecOperation,
    request: httpx.Request,
    raw_params: dict[str, str],
    drawn: dict[tuple[str, str], Any],
    body_media_type: str | None,
) -> list[Mismatch]:
    """openapi-core's errors on the request, each under the figure it is counted in."""
    openapi, _ = spec.validation
    core_base = httpx.URL(spec.validation_base)
    spaced = frozenset(
        p.name for p in op.parameters if p.location == "query" and p.style == "spaceDelimited"
    )
    adapter = OpenAPIRequest(
        request,
        host_url=f"{core_base.scheme}://{core_base.netloc.decode('ascii')}",
        path_pattern=core_base.raw_path.decode("ascii").rstrip("/") + op.path,
        path_params={name: unquote(value) for name, value in raw_params.items()},
        space_delimited=spaced,
    )
    owned = spec.auth_params()
    problems: list[Mismatch] = []
    for error in validate(openapi, adapter):
        if error.location is not None and error.name is not None:
            if (error.location, error.name.lower()) in owned:
                continue
            try:
                param = op.parameter(error.name, error.location)
            except KeyError:
                problems.append(
                    Mismatch(
                        f"{error.location} {error.name}",
                        f"openapi-core {error.kind}",
                        error.message,
                    )
                )
                continue
            value = drawn.get((param.location, param.name))
            problems.append(
                Mismatch(
                    f"{error.location} {error.name}",
                    f"openapi-core {error.kind}: {describe(param, value)}",
                    _brief(error.message),
                )
            )
        elif error.location == "body":
            kind = body_kind(body_media_type or "")
            problems.append(
                Mismatch("body", f"openapi-core {error.kind}: body {kind}", _brief(error.message))
            )
        else:
            problems.append(
                Mismatch("request", f"openapi-core {error.kind}", _brief(error.message))
            )
    return problems


def _brief(message: str, limit: int = 400) -> str:
    """An openapi-core message cut to `limit`, keeping its reasons (``<ValidationError:
    ...>``), which follow the whole value it refused."""
    if len(message) <= limit:
        return message
    reason = message.find("(<ValidationError")
    if reason == -1:
        return message[:limit]
    return f"{message[: limit // 3]} ... {message[reason : reason + limit - limit // 3]}"


def undeclared_query(
    op: SpecOperation,
    drawn: dict[tuple[str, str], Any],
    request: httpx.Request,
    owned: frozenset[tuple[str, str]],
) -> list[Mismatch]:
    declared = {p.name for p in op.parameters if p.location == "query"}
    for (location, _), value in drawn.items():
        if location == "query" and isinstance(value, dict):
            declared |= set(value)  # an exploded form object sends its own keys
    found = []
    for key in dict.fromkeys(request.url.params.keys()):
        name = key.partition("[")[0]
        if name not in declared and key not in declared and ("query", name.lower()) not in owned:
            found.append(
                Mismatch(f"query {key}", "undeclared query parameter", "sent, not declared")
            )
    return found


# -- an operation ---------------------------------------------------------------------------

_SETTINGS: Final[dict[str, Any]] = {
    "database": None,
    "deadline": None,
    "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": list(HealthCheck),
    "report_multiple_bugs": False,
}


@attrs.define
class Session:
    """A spec's connector, vendor and event loop, for checking its operations one by one."""

    spec: ContractSpec
    runner: asyncio.Runner = attrs.field(factory=asyncio.Runner)
    vendor: FakeVendor = attrs.field(
        default=attrs.Factory(lambda self: FakeVendor(self.spec.token_urls()), takes_self=True)
    )
    _connector: BaseConnectorService | None = None

    @property
    def context(self) -> Context:
        if self._connector is None:
            self._connector = self.spec.connector(self.vendor.transport, rate_limits=RateLimits())
        return Context(self.spec, self._connector, self.vendor, self.runner)

    def close(self) -> None:
        if self._connector is not None:
            self.runner.run(self._connector.close())
        self.runner.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _guarded(
    ctx: Context,
    info: OperationInfo,
    op: SpecOperation,
    variant: Variant | None,
    data: st.DataObject,
    report: OperationReport,
) -> None:
    try:
        run_example(ctx, info, op, variant, data.draw, report)
    except hypothesis_errors.HypothesisException:
        raise  # Hypothesis's own control flow (a draw it gave up on)
    except UnsupportedSchemaError as error:
        report.add(_finding(report, "harness", "no instance can be drawn", str(error)))
    except BaseException as error:
        if type(error).__module__.startswith("hypothesis"):
            raise
        # a fault of the harness: reported, the run goes on
        where = traceback.extract_tb(error.__traceback__)[-1]
        detail = f"{error!r:.200} at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}"
        report.add(_finding(report, "harness", f"harness error {type(error).__name__}", detail))


def undrawable(
    spec: ContractSpec, info: OperationInfo, op: SpecOperation, variant: Variant | None
) -> str | None:
    """Which part of an operation no value can be drawn for (a parameter, the body, the
    response), to say where the spec leaves no room; None when each part alone draws."""
    parts: list[tuple[str, st.SearchStrategy[Any]]] = [
        (f"{p.location} parameter {p.name!r}", parameter_strategy(spec, op, p))
        for p in op.parameters
        if p.required
    ]
    if info.body_content_type is not None and op.body_content:
        schema = (op.body_content.get(info.body_content_type) or {}).get("schema")
        parts.append(
            ("the request body", spec.strategy(("probe", op.pointer), schema, direction="request"))
        )
    if variant is not None:
        parts.append((f"the response {variant.label}", reply_strategy(spec, variant)))
    for label, strategy in parts:
        try:
            find(
                strategy,
                lambda value: True,
                settings=settings(max_examples=20, verbosity=Verbosity.quiet, **_SETTINGS),
            )
        except (hypothesis_errors.NoSuchExample, hypothesis_errors.Unsatisfiable):
            return label
        except Exception:  # noqa: S112 - another part may be the one
            continue
    return None


def check_operation(session: Session, info: OperationInfo, *, examples: int) -> OperationReport:
    """Every check of one operation, `examples` Hypothesis examples per response variant."""
    spec = session.spec
    started = time.perf_counter()
    try:
        op = spec.spec_operation(info)
    except KeyError:
        report = OperationReport(spec.name, info.name, f"{info.method} {info.path}")
        why = spec.unreadable.get((info.method, info.path))
        if why is not None:
            report.add(_finding(report, "harness", "the spec operation cannot be read", why))
        else:
            report.add(
                _finding(report, "harness", "no spec operation", f"{info.method} {info.path}")
            )
        return report
    report = OperationReport(spec.name, info.name, op.pointer)
    chosen, skipped = variants(spec, op)
    report.skipped.extend(skipped)
    ctx = session.context
    runs: list[Variant | None] = [*chosen] if chosen else [None]
    for variant in runs:
        if variant is not None:
            report.variants.append(variant.label)

        def make(variant: Variant | None) -> Callable[[st.DataObject], None]:
            def example(data: st.DataObject) -> None:
                _guarded(ctx, info, op, variant, data, report)

            return example

        test = given(st.data())(make(variant))
        test = settings(max_examples=examples, **_SETTINGS)(test)
        test = seed(zlib.crc32(f"{op.pointer} {variant and variant.label}".encode()))(test)
        try:
            with warnings.catch_warnings():
                # Hypothesis warns about what it is asked to draw (an overly large repr of a
                # vendor's schema); the harness reports on those draws itself.
                warnings.simplefilter("ignore", hypothesis_errors.HypothesisWarning)
                test()
        except (hypothesis_errors.Unsatisfiable, hypothesis_errors.FailedHealthCheck) as error:
            culprit = undrawable(spec, info, op, variant)
            detail = f"{culprit}: {str(error)[:200]}" if culprit else str(error)[:300]
            report.add(_finding(report, "harness", "no value could be drawn", detail))
        except (UnsupportedSchemaError, hypothesis_errors.InvalidArgument, RecursionError) as error:
            report.add(
                _finding(
                    report,
                    "harness",
                    f"schema not drawable: {type(error).__name__}",
                    str(error)[:300],
                )
            )
    report.seconds = time.perf_counter() - started
    return report


def operations_of(spec: ContractSpec) -> Iterator[OperationInfo]:
    yield from spec.operations
