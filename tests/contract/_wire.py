"""What arrived, read back: a request's parameters and body decoded and compared with the
values the call was made with.

openapi-core says whether a request is valid; this module says whether it carries what it
was asked to carry (a valid request can still be wrong: a value's repr is a valid string).
Each location is decoded as OpenAPI defines its style (RFC 6570 for path, simple for
headers, form and the delimited styles for query and cookies, ``deepObject`` brackets), the
media type of a body as its type says, and the result is compared with the drawn JSON.

Where OpenAPI defines no serialisation, the runtime's documented choice is what is read
back: a nested value (an array of objects, an object holding objects or arrays) is JSON
text in a query, path, header or cookie value; in a form body, objects and nested arrays
go in brackets (``meta[a][0]=x``) and arrays of scalars as repeated fields unless an
``encoding`` entry says otherwise; in a multipart body, objects and nested arrays are JSON
parts, arrays of scalars repeated text parts, files file parts.

Written here (not taken from a library): decoding OpenAPI's styles back is what the
harness checks the runtime's encoder against, so it must not share code with it.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

import attrs
import httpx

from ._fake import cookie_pairs
from ._spec import SpecParameter
from ._types import compare_json, same_day, same_instant

ABSENT: Final = object()
DELIMITERS: Final = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|", "tabDelimited": "\t"}


@attrs.frozen
class Mismatch:
    """A value that did not arrive as drawn."""

    where: str  # "query tags", "body", "path id"
    cause: str  # what kind of value in what style: the figure it is counted under
    detail: str


class Undecodable(ValueError):
    """The wire holds something the style cannot be read back from."""


@attrs.frozen
class Json:
    """A value read back from JSON text (compared as JSON, not as text)."""

    value: Any


def shape(value: Any) -> str:
    """scalar, array, object, or nested (an array or object holding arrays or objects)."""
    if isinstance(value, list):
        return "nested" if any(isinstance(v, dict | list) for v in value) else "array"
    if isinstance(value, dict):
        return "nested" if any(isinstance(v, dict | list) for v in value.values()) else "object"
    return "scalar"


def describe(param: SpecParameter, value: Any) -> str:
    """The figure a parameter is counted under: location, style, explode, shape."""
    if param.media_type is not None:
        return f"{param.location} {param.media_type} content"
    explode = " explode" if param.explode else ""
    return f"{param.location} {param.style}{explode} {shape(value)}"


# -- comparing ---------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """How the harness expects a drawn scalar to read as text."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def same_text(text: str, drawn: Any, notes: Counter[str]) -> bool:
    """Whether the text read back stands for the drawn scalar."""
    if isinstance(drawn, bool) or drawn is None or isinstance(drawn, int):
        return text == text_of(drawn)
    if isinstance(drawn, float):
        try:
            return float(text) == drawn
        except ValueError:
            return False
    if isinstance(drawn, str):
        if text == drawn:
            return True
        for kind, same in (("date-time", same_instant), ("date", same_day)):
            if same(drawn, text):
                notes[kind] += 1
                return True
        return False
    return False


def same(decoded: Any, drawn: Any, notes: Counter[str], where: str = "") -> list[str]:
    """Where a decoded value (text leaves, or `Json`) differs from the drawn one."""
    if isinstance(decoded, Json):
        return compare_json(drawn, decoded.value, notes, where or "$")
    if isinstance(decoded, str):
        if isinstance(drawn, bytes):
            return [f"{where or '$'}: a file sent as a text field"]
        if isinstance(drawn, dict | list):
            return [f"{where or '$'}: got text {decoded[:60]!r}, drawn {drawn!r:.60}"]
        if same_text(decoded, drawn, notes):
            return []
        return [f"{where or '$'}: got {decoded[:80]!r}, drawn {drawn!r:.80}"]
    if isinstance(decoded, bytes):
        return [] if decoded == drawn else [f"{where or '$'}: the bytes arrived changed"]
    indexes = [str(i) for i in range(len(drawn))] if isinstance(drawn, list) else []
    if isinstance(decoded, dict) and isinstance(drawn, list) and sorted(decoded) == indexes:
        # brackets: name[0], name[1] read back as a mapping of indexes
        decoded = [decoded[index] for index in indexes]
    if isinstance(decoded, list) and isinstance(drawn, list):
        if len(decoded) != len(drawn):
            return [
                f"{where or '$'}: got {len(decoded)} items {decoded!r:.60}, drawn {drawn!r:.60}"
            ]
        return [
            p
            for i, (a, b) in enumerate(zip(decoded, drawn, strict=True))
            for p in same(a, b, notes, f"{where}[{i}]")
        ]
    if isinstance(decoded, dict) and isinstance(drawn, dict):
        problems = []
        for key in decoded.keys() | drawn.keys():
            if key not in decoded:
                if not _empty(drawn[key]):
                    problems.append(f"{where}.{key}: drawn {drawn[key]!r:.60}, not sent")
            elif key not in drawn:
                problems.append(f"{where}.{key}: sent {decoded[key]!r:.60}, not drawn")
            else:
                problems += same(decoded[key], drawn[key], notes, f"{where}.{key}")
        return problems
    return [f"{where or '$'}: got {decoded!r:.80}, drawn {drawn!r:.80}"]


def _empty(value: Any) -> bool:
    """A value the wire cannot tell from absence in brackets and repeated fields."""
    return value is None or value == [] or value == {}


# -- parameters --------------------------------------------------------------------------


def _split(text: str, delimiter: str) -> list[str]:
    return text.split(delimiter)


def _pairs_to_object(items: list[str]) -> dict[str, str]:
    if len(items) % 2:
        raise Undecodable(f"an odd number of key/value items: {items!r:.80}")
    return dict(zip(items[::2], items[1::2], strict=True))


def _assignments(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise Undecodable(f"{item!r} is not key=value")
        out[key] = value
    return out


def _brackets(prefix: str, pairs: list[tuple[str, str]]) -> Any:
    """``prefix[a][b]=v`` pairs as nested mappings (indexes stay strings)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        rest = key[len(prefix) :]
        keys: list[str] = []
        while rest:
            if not rest.startswith("[") or "]" not in rest:
                raise Undecodable(f"{key!r} is not in bracket notation")
            end = rest.index("]")
            keys.append(rest[1:end])
            rest = rest[end + 1 :]
        if not keys:
            raise Undecodable(f"{key!r} has no brackets")
        node = out
        for part in keys[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise Undecodable(f"{key!r} clashes with a scalar")
        node[keys[-1]] = value
    return out


def decode_query(
    pairs: list[tuple[str, str]], param: SpecParameter, drawn: Any, others: frozenset[str]
) -> Any:
    """The value of `param` in decoded query pairs (ABSENT: nothing sent for it).
    `others`: the names of the operation's other query parameters."""
    name = param.name
    own = [(k, v) for k, v in pairs if k == name]
    if param.media_type is not None:
        return Json(json.loads(_single(own, name))) if own else ABSENT
    kind = shape(drawn)
    if param.style == "deepObject":
        bracketed = [(k, v) for k, v in pairs if k.startswith(name + "[")]
        if own and kind in ("scalar",):
            return _single(own, name)
        return _brackets(name, bracketed) if bracketed else ABSENT
    if kind == "nested":
        return Json(json.loads(_single(own, name))) if own else ABSENT
    delimiter = DELIMITERS.get(param.style, ",")
    if kind == "array":
        if param.explode:
            return [v for _, v in own] if own else ABSENT
        return _split(_single(own, name), delimiter) if own else ABSENT
    if kind == "object":
        if param.explode and param.style == "form":
            keys = set(drawn) - others
            return {k: v for k, v in pairs if k in keys} or ABSENT
        return _pairs_to_object(_split(_single(own, name), delimiter)) if own else ABSENT
    return _single(own, name) if own else ABSENT


def _single(own: list[tuple[str, str]], name: str) -> str:
    if len(own) != 1:
        raise Undecodable(f"{name!r} sent {len(own)} times: {own!r:.80}")
    return own[0][1]


def decode_path(raw: str, param: SpecParameter, drawn: Any) -> Any:
    """The value of a path parameter from its raw (percent-encoded) part of the path."""
    name = param.name
    if param.allow_reserved:
        return unquote(raw)
    style, explode = param.style, param.explode
    kind = shape(drawn)
    text = raw
    if style == "label":
        if not text.startswith("."):
            raise Undecodable(f"a label value must start with '.': {raw!r}")
        text = text[1:]
    elif style == "matrix":
        if kind in ("array", "object") and explode:
            return _matrix_exploded(raw, name, kind)
        prefix = f";{name}="
        if not text.startswith(prefix):
            raise Undecodable(f"a matrix value must start with {prefix!r}: {raw!r}")
        text = text[len(prefix) :]
    if param.media_type is not None or kind == "nested":
        return Json(json.loads(unquote(text)))
    if kind == "array":
        delimiter = "." if style == "label" and explode else ","
        return [unquote(item) for item in text.split(delimiter)]
    if kind == "object":
        if explode:
            delimiter = "." if style == "label" else ","
            return {unquote(k): unquote(v) for k, v in _assignments(text.split(delimiter)).items()}
        return {unquote(k): unquote(v) for k, v in _pairs_to_object(text.split(",")).items()}
    return unquote(text)


def _matrix_exploded(raw: str, name: str, kind: str) -> Any:
    if not raw.startswith(";"):
        raise Undecodable(f"a matrix value must start with ';': {raw!r}")
    items = _assignments(raw[1:].split(";")) if kind == "object" else None
    if items is not None:
        return {unquote(k): unquote(v) for k, v in items.items()}
    values = []
    for part in raw[1:].split(";"):
        key, sep, value = part.partition("=")
        if not sep or unquote(key) != name:
            raise Undecodable(f"{part!r} is not {name}=value")
        values.append(unquote(value))
    return values


def decode_header(text: str | None, param: SpecParameter, drawn: Any) -> Any:
    """The value of a header parameter (simple style)."""
    if text is None:
        return ABSENT
    if param.media_type is not None or shape(drawn) == "nested":
        return Json(json.loads(text))
    kind = shape(drawn)
    if kind == "array":
        return text.split(",")
    if kind == "object":
        items = text.split(",")
        return _assignments(items) if param.explode else _pairs_to_object(items)
    return text


def decode_cookie(header: str, param: SpecParameter, drawn: Any) -> Any:
    """The value of a cookie parameter (form style) in a Cookie header."""
    pairs = cookie_pairs(header)
    name = param.name
    own = [(k, v) for k, v in pairs if k == name]
    kind = shape(drawn)
    if param.media_type is not None or kind == "nested":
        return Json(json.loads(_single(own, name))) if own else ABSENT
    if kind == "array":
        if param.explode:
            return [v for _, v in own] if own else ABSENT
        return _single(own, name).split(",") if own else ABSENT
    if kind == "object":
        if param.explode:
            return {k: v for k, v in pairs if k in drawn} or ABSENT
        return _pairs_to_object(_single(own, name).split(",")) if own else ABSENT
    return _single(own, name) if own else ABSENT


def check_parameter(
    param: SpecParameter,
    drawn: Any,
    request: httpx.Request,
    raw_path: Mapping[str, str],
    others: frozenset[str],
    notes: Counter[str],
) -> list[Mismatch]:
    """Whether `param` arrived as `drawn` (ABSENT: not given, so nothing must arrive)."""
    where = f"{param.location} {param.name}"
    cause = describe(param, drawn)
    try:
        if param.location == "path":
            if param.name not in raw_path:
                return [
                    Mismatch(where, "path parameter not in the path template", f"{drawn!r:.60}")
                ]
            decoded = decode_path(raw_path[param.name], param, drawn)
        elif param.location == "query":
            pairs = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
            decoded = decode_query(pairs, param, drawn, others)
        elif param.location == "header":
            decoded = decode_header(request.headers.get(param.name), param, drawn)
        else:
            decoded = decode_cookie(request.headers.get("cookie", ""), param, drawn)
    except (Undecodable, ValueError) as error:
        return [Mismatch(where, cause, f"cannot be read back: {error}")]
    if drawn is ABSENT:
        if decoded is ABSENT:
            return []
        return [Mismatch(where, f"{param.location} sent though not given", f"{decoded!r:.80}")]
    if decoded is ABSENT:
        if _empty(drawn):
            return []
        return [Mismatch(where, cause, f"not sent; drawn {drawn!r:.80}")]
    problems = same(decoded, drawn, notes)
    return [Mismatch(where, cause, "; ".join(problems[:3]))] if problems else []


# -- bodies ------------------------------------------------------------------------------


def media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def check_body(
    media_type: str,
    drawn: Any,
    request: httpx.Request,
    encoding: Mapping[str, Any],
    notes: Counter[str],
    paging: frozenset[str] = frozenset(),
) -> list[Mismatch]:
    """Whether the body arrived as `drawn` (ABSENT: no body given, none must arrive).
    `paging`: fields a paginator puts in a JSON body (``page_size``), not compared."""
    content = request.content
    sent_type = media(request.headers.get("content-type", ""))
    declared = media(media_type)
    if paging and content and body_kind(declared or sent_type) == "json":
        received = json.loads(content)
        if isinstance(received, dict):
            kept = {
                k: v
                for k, v in received.items()
                if k not in paging or (isinstance(drawn, dict) and k in drawn)
            }
            content = json.dumps(kept).encode() if kept or drawn is not ABSENT else b""
    if drawn is ABSENT:
        if content:
            return [Mismatch("body", "body sent though not given", f"{content[:60]!r}")]
        return []
    kind = body_kind(declared)
    cause = f"body {kind}"
    if not _type_fits(sent_type, declared) and not (kind == "form" and not content):
        return [
            Mismatch(
                "body", f"{cause}: Content-Type", f"sent as {sent_type!r}, declared {declared!r}"
            )
        ]
    try:
        if kind == "json":
            problems = compare_json(drawn, json.loads(content), notes)
        elif kind == "form":
            pairs = parse_qsl(content.decode("ascii"), keep_blank_values=True)
            problems = same(decode_form(pairs, drawn, encoding), drawn, notes)
        elif kind == "multipart":
            problems = same(decode_multipart(request, drawn), drawn, notes)
        elif kind == "text":
            problems = [] if content.decode("utf-8") == drawn else ["the text arrived changed"]
        else:
            problems = [] if content == drawn else ["the bytes arrived changed"]
    except (Undecodable, ValueError) as error:
        return [Mismatch("body", cause, f"cannot be read back: {error}")]
    return [Mismatch("body", cause, "; ".join(problems[:3]))] if problems else []


def body_kind(media_type: str) -> str:
    declared = media(media_type)
    if declared in ("*/*", "application/*", "application/json") or declared.endswith(
        ("+json", "/json")
    ):
        return "json"
    if declared == "application/x-www-form-urlencoded":
        return "form"
    if declared.startswith("multipart/"):
        return "multipart"
    if declared.endswith("+yaml"):
        return "json"  # YAML media with an object schema: JSON is YAML
    if (
        declared.startswith("text/")
        or declared.endswith("+xml")
        or declared
        in (
            "application/xml",
            "application/javascript",
            "application/yaml",
        )
    ):
        return "text"
    return "bytes"


def _type_fits(sent: str, declared: str) -> bool:
    if "*" in sent:
        return False  # a media range is no Content-Type
    if declared in ("*/*", ""):
        return bool(sent)
    if declared.endswith("/*"):
        return sent.startswith(declared[:-1])
    return sent == declared


def decode_form(
    pairs: list[tuple[str, str]], drawn: Any, encoding: Mapping[str, Any]
) -> dict[str, Any]:
    """An urlencoded body as an object, each property read as its encoding says."""
    if not isinstance(drawn, dict):
        raise Undecodable(f"a form body stands for an object, drawn {drawn!r:.60}")
    out: dict[str, Any] = {}
    for name, value in drawn.items():
        rule = encoding.get(name) or {}
        style = rule.get("style") if isinstance(rule, dict) else None
        own = [(k, v) for k, v in pairs if k == name]
        bracketed = [(k, v) for k, v in pairs if k.startswith(name + "[")]
        kind = shape(value)
        if style is not None and style != "deepObject":
            explode = rule.get("explode", style == "form")
            param = SpecParameter(name, "query", False, None, style, bool(explode), True, "")
            decoded = decode_query(pairs, param, value, frozenset(set(drawn) - {name}))
        elif kind in ("object", "nested") or (style == "deepObject" and kind == "array"):
            decoded = _brackets(name, bracketed) if bracketed else ABSENT
        elif kind == "array":
            decoded = [v for _, v in own] if own else ABSENT
        else:
            decoded = _single(own, name) if own else ABSENT
        if decoded is not ABSENT:
            out[name] = decoded
    known = set(drawn)
    for key, _ in pairs:
        if key.partition("[")[0] not in known and key not in out:
            out[key] = "(undrawn field)"
    return out


def decode_multipart(request: httpx.Request, drawn: Any) -> dict[str, Any]:
    """A multipart/form-data body as an object: file parts as bytes, JSON parts as
    `Json`, text parts as text; the parts of a name drawn as an array (or sent several
    times) as a list."""
    # an array goes as one part per item, objects ones too (as JSON parts)
    arrays = (
        {k for k, v in drawn.items() if isinstance(v, list)} if isinstance(drawn, dict) else set()
    )
    content_type = request.headers.get("content-type", "")
    boundary = content_type.partition("boundary=")[2].strip('"')
    if boundary and request.content.strip() == f"--{boundary}--".encode():
        return {}  # no part at all (the email parser wants one)
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    if not message.is_multipart():
        raise Undecodable("not a multipart body")
    out: dict[str, list[Any]] = {}
    for part in message.iter_parts():
        disposition = part.get("content-disposition", "")
        params = dict(part.get_params(header="content-disposition") or [])
        name = params.get("name")
        if name is None:
            raise Undecodable(f"a part without a name: {disposition!r}")
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if "filename" in params:
            value: Any = payload
        elif part.get_content_type() == "application/json":
            value = Json(json.loads(payload))
        else:
            value = payload.decode("utf-8")
        out.setdefault(name, []).append(value)
    return {
        name: values if name in arrays or len(values) > 1 else values[0]
        for name, values in out.items()
    }
