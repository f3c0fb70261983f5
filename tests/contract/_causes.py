"""Findings the spec itself causes, each recognised with the JSON pointer of its cause.

A finding is ours (a bug of the generator or the runtime) unless a rule here recognises
it as an inconsistency of the vendor's spec, or as a limit of the harness's own tools
(openapi-core, hypothesis-jsonschema). `explain` returns the rule's account, which quotes
the JSON pointer of the part of the spec at fault, or None. Every rule names a kind of
inconsistency and checks that the spec has it where the finding is; none names an
operation, so a rule cannot hide the next bug that looks like one it knows.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import httpx

from ._harness import Finding
from ._schema import UnsupportedSchemaError
from ._spec import ContractSpec, SpecOperation, escape

Rule = Callable[[ContractSpec, SpecOperation, Finding], str | None]
HARNESS: Final = "harness limit: "  # the prefix of an account that is no spec problem


def _operation(spec: ContractSpec, finding: Finding) -> SpecOperation | None:
    for operation in spec.spec_operations:
        if operation.pointer == finding.pointer:
            return operation
    return None


def schema_nodes(spec: ContractSpec, op: SpecOperation) -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, schema) of every schema the operation reaches: its parameters, its
    request bodies and its success responses, through references (each target once)."""
    roots: list[tuple[str, Any]] = [(f"{p.pointer}/schema", p.schema) for p in op.parameters]
    for media_type, media in (op.body_content or {}).items():
        if isinstance(media, dict):
            pointer = f"{op.pointer}/requestBody/content/{escape(media_type)}/schema"
            roots.append((pointer, media.get("schema")))
    roots += [(f"{r.pointer}/schema", r.schema) for r in op.responses]
    seen: set[str] = set()
    stack = list(reversed(roots))
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = node["$ref"].partition("#")[2]
            if target in seen:
                continue
            seen.add(target)
            try:
                node = spec.converter.resolve(node["$ref"])
            except (UnsupportedSchemaError, KeyError, IndexError, TypeError):
                continue
            pointer = target
        if not isinstance(node, dict):
            continue
        yield pointer, node
        children: list[tuple[str, Any]] = []
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                children.append((f"{pointer}/{key}", node[key]))
        for key in ("allOf", "anyOf", "oneOf"):
            for index, sub in enumerate(node.get(key) or []):
                children.append((f"{pointer}/{key}/{index}", sub))
        for name, sub in (node.get("properties") or {}).items():
            children.append((f"{pointer}/properties/{escape(name)}", sub))
        stack.extend(reversed(children))


# -- the rules -----------------------------------------------------------------------------


def _read_only_parameter(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A parameter whose schema is readOnly: a value the client must send that the spec
    says only the server writes (openapi-core refuses it)."""
    if "Tried to write read-only property" not in finding.detail:
        return None
    found = re.match(r"(path|query|header|cookie) (\S+):", finding.detail)
    if found is None:
        return None
    param = op.parameter(found[2], found[1])
    schema = param.schema
    where = f"{param.pointer}/schema"
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        where = schema["$ref"].partition("#")[2]
    return f"the schema of {found[1]} parameter {found[2]!r} is readOnly ({where})"


def _dangling_discriminator(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A discriminator whose mapping names schemas that do not exist: no value of the
    union selects a branch, so none validates (and none can be drawn)."""
    telling = (
        "could not be resolved" in finding.detail
        or "infinitely deep" in finding.detail
        or finding.cause.startswith(("no instance", "harness error UnsupportedSchemaError"))
    )
    if not telling:
        return None
    for pointer, node in schema_nodes(spec, op):
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict):
            continue
        missing = []
        for value, target in (discriminator.get("mapping") or {}).items():
            ref = target if "#" in str(target) else f"#/components/schemas/{target}"
            try:
                if not str(ref).startswith("#"):
                    raise KeyError(ref)
                spec.converter.resolve(str(ref))
            except (UnsupportedSchemaError, KeyError, IndexError, TypeError):
                missing.append(f"{value} -> {target}")
        if missing:
            return (
                f"the discriminator mapping at {pointer}/discriminator/mapping names schemas "
                f"that do not exist: {', '.join(missing[:3])}"
            )
    return None


def _path_parameter_outside_template(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """A path parameter the path does not name (often written percent-encoded,
    ``/items/%7Bid%7D``): nothing on the wire can carry it."""
    telling = finding.cause == "path parameter not in the path template" or (
        finding.cause.startswith("openapi-core MissingRequiredParameter: path")
    )
    if not telling:
        return None
    name = finding.detail.partition(":")[0].removeprefix("path ")
    if "{" + name + "}" in op.path or "{+" + name + "}" in op.path:
        return None
    param = op.parameter(name, "path")
    return f"path parameter {name!r} ({param.pointer}) is not in the path {op.path!r}"


def _binary_body_with_object_schema(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """A binary or text media type (application/octet-stream, message/rfc822) whose
    schema is an object: no byte string is an instance of it (Google's media uploads put
    the file's metadata there)."""
    if not finding.cause.startswith("openapi-core") or not finding.cause.endswith(
        ("body bytes", "body text")
    ):
        return None
    for media_type, media in (op.body_content or {}).items():
        if not isinstance(media, dict):
            continue
        schema = spec.converter.deref(media.get("schema") or {})
        kind = schema.get("type") if isinstance(schema, dict) else None
        objectish = kind is None and isinstance(schema, dict) and "properties" in schema
        if kind not in (None, "string") or objectish:
            pointer = f"{op.pointer}/requestBody/content/{escape(media_type)}/schema"
            return f"the {media_type} body's schema is an object, not bytes ({pointer})"
    return None


def _paging_parameter(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """What the connector's paginator sends (connector.yaml's pagination) and the spec
    does not declare or allow: the definition and the spec disagree."""
    if not finding.cause.startswith("paginator"):
        return None
    found = re.match(r"query ([^:]+):", finding.detail)
    name = found[1] if found else "?"
    declared = next((p for p in op.parameters if p.location == "query" and p.name == name), None)
    if declared is None:
        return f"connector.yaml pages with query parameter {name!r}, undeclared at {op.pointer}"
    return f"connector.yaml's paginator sends {name!r}, which {declared.pointer} does not allow"


def _drawing_tool(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """hypothesis-jsonschema failing inside itself on a valid schema (an assertion of its
    canonicaliser, a pattern Python's re does not read): no value of that schema was
    drawn; a limit of the harness's tools, not of the spec or of the connector."""
    if finding.stage != "harness":
        return None
    markers = ("_canonicalise.py", "_from_schema.py", "bad escape", "unterminated", "re.error")
    if any(marker in finding.detail for marker in markers):
        return HARNESS + f"hypothesis-jsonschema cannot draw this schema: {finding.detail[:120]}"
    # Every drawn value refused by the harness's own filters (what a location can carry,
    # a non-empty body), or a collection of a schema hypothesis-jsonschema draws nothing of.
    starved = ("Unable to satisfy assumptions", "no elements can be drawn")
    if any(marker in finding.detail for marker in starved):
        return HARNESS + f"no value of this part could be drawn: {finding.detail[:120]}"
    return None


def _dangling_reference(spec: ContractSpec, finding: Finding) -> str | None:
    """A $ref to nothing: the part of the spec it should describe has no schema. (In a
    trimmed spec whose source has the target, the trim lost it: ours, not the spec's.)"""
    found = re.search(r"the reference '([^']+)' leads nowhere", finding.detail)
    if found is None:
        return None
    if spec.source is not None:
        from ._schema import SchemaConverter

        try:
            SchemaConverter(spec.source_document()).resolve(found[1])
        except UnsupportedSchemaError:
            pass
        else:
            return None  # the vendor's spec has it: the trim dropped it
    return f"{finding.pointer} refers to {found[1]!r}, which the spec does not have"


def _closed_beside_all_of(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """``additionalProperties: false`` next to an allOf (or in one of its parts) closes
    the object to every property its own ``properties`` do not list, those of the other
    parts included: JSON Schema allows no instance that has the properties the parts
    require. Nothing can be drawn (and no real answer validates)."""
    if finding.stage != "harness" or not (
        "no value could be drawn" in finding.cause or "nothing()" in finding.detail
    ):
        return None
    for pointer, node in schema_nodes(spec, op):
        if node.get("additionalProperties") is False:
            own = set(node.get("properties") or {})
            undeclared = sorted(set(node.get("required") or ()) - own)
            if undeclared and not node.get("allOf"):
                return (
                    f"{pointer} requires {', '.join(undeclared[:4])}, which its properties do "
                    "not declare, and allows no other property (additionalProperties: false)"
                )
            for key in ("oneOf", "anyOf"):
                for index, branch in enumerate(node.get(key) or []):
                    resolved = spec.converter.deref(branch)
                    needed = (
                        set(resolved.get("required") or ()) if isinstance(resolved, dict) else set()
                    )
                    if needed - own:
                        return (
                            f"{pointer} sets additionalProperties: false beside a {key}, which "
                            f"forbids what its branch {index} requires "
                            f"({', '.join(sorted(needed - own)[:4])})"
                        )
        parts = node.get("allOf")
        if not isinstance(parts, list):
            continue
        resolved = [spec.converter.deref(part) for part in parts]
        resolved = [part for part in resolved if isinstance(part, dict)]
        for index, part in enumerate([node, *resolved]):
            if part.get("additionalProperties") is not False:
                continue
            own = set(part.get("properties") or {})
            wanted: set[str] = set()
            for other in [node, *resolved]:
                if other is not part:
                    wanted |= set(other.get("required") or ()) | set(other.get("properties") or {})
            forbidden = sorted(wanted - own)
            if forbidden:
                where = pointer if index == 0 else f"{pointer}/allOf/{index - 1}"
                return (
                    f"{where} sets additionalProperties: false beside an allOf, which forbids "
                    f"the properties the other parts declare ({', '.join(forbidden[:4])})"
                )
    return None


_JSON_TYPES: Final = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


def _bad_default(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A parameter's ``default`` of another type than its schema's (``"false"`` for a
    boolean): openapi-core validates the default when the parameter is not sent."""
    found = re.match(r"(query|header|cookie) ([^:]+):", finding.detail)
    if not finding.cause.startswith("openapi-core") or found is None:
        return None
    param = op.parameter(found[2], found[1])
    schema = spec.converter.deref(param.schema or {})
    if not isinstance(schema, dict) or "default" not in schema:
        return None
    kind = schema.get("type")
    allowed = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
    default = schema["default"]
    wrong = allowed is not None and (
        not isinstance(default, allowed) or (kind != "boolean" and isinstance(default, bool))
    )
    if wrong:
        return (
            f"the default of {param.name!r} is {default!r}, not a {kind} ({param.pointer}/schema)"
        )
    check = _FORMAT_CHECKS.get(str(schema.get("format")))
    if check is not None and isinstance(default, str):
        try:
            check(default)
        except ValueError:  # SendGrid's start_date: format date, default ""
            return (
                f"the default of {param.name!r}, {default!r}, is no {schema['format']} "
                f"({param.pointer}/schema)"
            )
    return None


def _overlapping_one_of(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A oneOf whose branches overlap: a value valid under two of them is no instance of
    it (what the connector sent is, under each branch alone), and where they overlap
    wholly (one branch's instances are the other's) nothing is one."""
    sent = "is valid under each of" in finding.detail
    drawn = finding.cause == "no value could be drawn" and _drawable_as_any_of(spec, op, finding)
    if not (sent or drawn):
        return None
    for pointer, node in schema_nodes(spec, op):
        if isinstance(node.get("oneOf"), list) and len(node["oneOf"]) > 1:
            return f"the branches of the oneOf at {pointer} overlap: a value can match several"
    return None


def _drawable_as_any_of(spec: ContractSpec, op: SpecOperation, finding: Finding) -> bool:
    """Whether the undrawable part of `finding` draws once its oneOfs read as anyOf."""
    from hypothesis import HealthCheck, Verbosity, find, settings
    from hypothesis.errors import HypothesisException

    from ._strategies import StrategyCompiler

    found = re.match(r"the response (\S+) (\S+):", finding.detail)
    schema: Any = None
    direction = "response"
    if found is not None:
        response = next(
            (r for r in op.responses if r.status == found[1] and r.media_type == found[2]),
            None,
        )
        schema = response.schema if response is not None else None
    elif finding.detail.startswith("the request body:"):
        direction = "request"
        for media in (op.body_content or {}).values():
            if isinstance(media, dict) and media.get("schema") is not None:
                schema = media["schema"]
                break
    if schema is None:
        return False

    def any_of(node: Any) -> Any:
        if isinstance(node, dict):
            return {("anyOf" if k == "oneOf" else k): any_of(v) for k, v in node.items()}
        if isinstance(node, list):
            return [any_of(v) for v in node]
        return node

    relaxed = any_of(spec.converter.to_json_schema(schema, direction=direction))
    quiet = settings(
        max_examples=20,
        database=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    try:
        find(StrategyCompiler().compile(relaxed), lambda value: True, settings=quiet)
    except HypothesisException:
        return False
    return True


def _parameter_admits_nothing(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """A required parameter whose schema leaves nothing to send: an object whose every
    property is readOnly (Jellyfin's Version path parameter), so only ``{}``, which a
    path or query cannot carry."""
    found = re.match(r"(path|query|header|cookie) parameter '([^']+)'", finding.detail)
    if finding.cause != "no value could be drawn" or found is None:
        return None
    param = op.parameter(found[2], found[1])
    schema = spec.converter.deref(param.schema or {})
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if (
        isinstance(properties, dict)
        and properties
        and all(spec.converter.deref(sub).get("readOnly") is True for sub in properties.values())
    ):
        return f"every property of {found[1]} parameter {found[2]!r} is readOnly ({param.pointer})"
    return None


def _enum_of_another_type(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """An ``enum`` none of whose values is of the schema's ``type`` (strings listed for
    an array): no value is both, nothing can be drawn (nor sent, nor received)."""
    if finding.stage != "harness":
        return None
    for pointer, node in schema_nodes(spec, op):
        kind, values = node.get("type"), node.get("enum")
        allowed = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
        if allowed is None or not isinstance(values, list) or not values:
            continue
        fitting = [
            v
            for v in values
            if isinstance(v, allowed) and not (kind != "boolean" and isinstance(v, bool))
        ]
        if not fitting and not (node.get("nullable") and None in values):
            return f"the enum at {pointer} lists no {kind} ({values[:3]!r}...)"
    return None


_FORMAT_CHECKS: Final[dict[str, Callable[[str], object]]] = {
    "date-time": lambda text: _dt.datetime.fromisoformat(text.replace("Z", "+00:00")),
    "date": _dt.date.fromisoformat,
}


def _enum_against_its_format(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """An ``enum`` of strings none of which has the schema's own ``format`` (SendGrid's
    send_at: ``enum: [now]``, ``format: date-time``): every value the enum allows fails
    the format, so a validator refuses whatever is sent."""
    if not finding.cause.startswith("openapi-core"):
        return None
    for pointer, node in schema_nodes(spec, op):
        check = _FORMAT_CHECKS.get(str(node.get("format")))
        values = node.get("enum")
        if check is None or not isinstance(values, list) or not values:
            continue
        failing = []
        for value in values:
            try:
                check(str(value))
            except ValueError:
                failing.append(value)
        if len(failing) == len(values) and repr(values[0]) in finding.detail:
            return f"every value of the enum at {pointer} fails its format {node['format']!r}"
    return None


def _nullable_in_3_1(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """``nullable: true`` in an OpenAPI 3.1 document (Codat's): 3.1 dropped the keyword
    for ``type: [..., "null"]``, so a validator reading 3.1 refuses the null the schema's
    author meant to allow, and which the connector (lenient) sends and accepts."""
    if not str(spec.document.get("openapi", "")).startswith("3.1"):
        return None
    if not finding.cause.startswith("openapi-core") or "None is not of type" not in finding.detail:
        return None
    for pointer, node in schema_nodes(spec, op):
        if node.get("nullable") is True:
            return f"the OpenAPI 3.1 document uses 3.0's nullable (e.g. at {pointer})"
    return None


def _query_in_path(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A path key that carries a query string (``/rest?method=flickr.x``, used to tell
    apart operations on one path): a path template cannot; the query part goes on the
    wire as a query, not a path."""
    if "?" not in op.path:
        return None
    query = op.path.partition("?")[2]
    names = set(re.findall(r"\{([^{}]+)\}", query)) | set(re.findall(r"(?:^|&)([^=&]+)=", query))
    routing = finding.cause == "path does not match its template" or finding.cause.startswith(
        (
            "openapi-core PathNotFound",
            "openapi-core OperationNotFound",
            "openapi-core ServerNotFound",
        )
    )
    about = re.match(r"(?:path|query) ([^:]+):", finding.detail)
    # A key that is itself a placeholder (``?{search}=1``): the key sent is a value.
    templated_key = re.search(r"(?:^|&)\{[^{}]+\}=", query) is not None
    undeclared = finding.cause == "undeclared query parameter" and templated_key
    if not routing and not undeclared and (about is None or about[1] not in names):
        return None
    return f"the path key {op.path!r} holds a query string ({op.pointer})"


def _core_read_only_required(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """openapi-core requiring, in a request, a property whose schema is readOnly: OpenAPI
    3.0 says such a ``required`` holds for responses only (a limit of the validator)."""
    found = re.search(r"'([^']+)' is a required property", finding.detail)
    if not finding.cause.startswith("openapi-core") or found is None:
        return None
    name = found[1]
    for pointer, node in schema_nodes(spec, op):
        if name in (node.get("required") or ()) and name in (node.get("properties") or {}):
            prop = node["properties"][name]
            raw_flag = isinstance(prop, dict) and prop.get("readOnly") is True
            if raw_flag or spec.converter.deref(prop).get("readOnly") is True:
                return HARNESS + (
                    f"openapi-core requires {name!r} in a request though its schema is "
                    f"readOnly ({pointer}/properties/{escape(name)})"
                )
    return None


def _core_text_as_bytes(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """openapi-core reading a body of a media type it does not know (application/x-ndjson)
    as bytes, which a ``type: string`` schema then refuses (a limit of the validator)."""
    if not (
        finding.cause.startswith("openapi-core")
        and finding.cause.endswith(("body bytes", "body text"))
    ):
        return None
    if not any(
        phrase in finding.detail
        for phrase in ("not valid for schema of type string", "is not of type 'string'")
    ):
        return None
    return HARNESS + "openapi-core reads this media type as bytes and refuses them as a string"


def _core_multipart_parts_as_bytes(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """openapi-core reading the parts of a multipart body as bytes (``chat_id: b'0'``),
    which a part's own schema (an integer, a oneOf, a JSON object) then refuses: a limit
    of the validator, whatever was sent."""
    if not (finding.cause.startswith("openapi-core") and finding.cause.endswith("body multipart")):
        return None
    if not re.search(r"\bb['\"]", finding.detail):
        return None
    return HARNESS + "openapi-core reads multipart parts as bytes, which their schemas refuse"


def _core_regex_format(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A ``format: regex`` string that hypothesis-jsonschema draws without making it a
    regular expression, which openapi-core then checks (a limit of the drawing tool)."""
    if finding.cause.startswith("openapi-core") and "is not a 'regex'" in finding.detail:
        return HARNESS + "hypothesis-jsonschema draws format: regex strings that are no regex"
    return None


def _content_parameter_any_type(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """A parameter serialised as a media type of any kind (``content: {*/*: ...}``): what
    it holds on the wire is not defined, so it cannot be read back."""
    found = re.match(r"(path|query|header|cookie) ([^:]+):", finding.detail)
    if found is None or "cannot be read back" not in finding.detail:
        return None
    param = op.parameter(found[2], found[1])
    if param.media_type in ("*/*", "application/octet-stream"):
        where = f"{found[1]} parameter {found[2]!r}"
        return f"{where} has the media type {param.media_type} ({param.pointer})"
    return None


def _quote_in_path(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A path key with a stray quote in it (Loket's ``.../dossier"``): sent
    percent-encoded, which the path template's literal quote matches in no router."""
    if '"' not in op.path or finding.cause != "path does not match its template":
        return None
    return f"the path key {op.path!r} holds a quote ({op.pointer})"


def _enum_of_another_type_on_the_wire(
    spec: ContractSpec, op: SpecOperation, finding: Finding
) -> str | None:
    """A string parameter whose enum lists numbers (Zoom's report ``type``: ``type:
    string, enum: [1, 3]``): the text sent is never one of them."""
    found = re.match(r"(path|query|header|cookie) ([^:]+):", finding.detail)
    if found is None or "is not one of" not in finding.detail:
        return None
    param = op.parameter(found[2], found[1])
    schema = spec.converter.deref(param.schema or {})
    values = schema.get("enum") if isinstance(schema, dict) else None
    if (
        schema.get("type") == "string"
        and isinstance(values, list)
        and values
        and not any(isinstance(v, str) for v in values)
    ):
        return f"the string parameter's enum lists no string ({param.pointer}/schema)"
    return None


def _required_undeclared(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A ``required`` name the schema has no property for (Box's token revocation requires
    ``grant_type`` and declares only client_id, client_secret and token): no model field
    takes it, so a body built from the declared properties never has it."""
    found = re.search(r"'([^']+)' is a required property", finding.detail)
    if not finding.cause.startswith("openapi-core") or found is None:
        return None
    name = found[1]
    for pointer, node in schema_nodes(spec, op):
        properties = node.get("properties")
        required = name in (node.get("required") or ())
        if required and isinstance(properties, dict) and name not in properties:
            return f"{pointer} requires {name!r}, which it declares no property for"
    return None


def _page_without_items(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A listing's success response that holds no list where the items go: another
    status with a schema of its own (Visma's 202 job object beside the 200 array), or a
    response left untyped, for which the harness draws any JSON (a number, a string). The
    pager rightly raises `PaginationError` rather than read such a body as a page."""
    found = re.search(r"no list of items at (?:'([^']*)'|the top)", finding.detail)
    listing = finding.cause.startswith("PaginationError: page 1 has no list of items")
    if finding.stage != "call" or not listing or found is None:
        return None
    from ._paging import can_hold_list

    items_path = found[1]
    for response in op.responses:
        if f"{response.status} {response.media_type or '(no content)'}" != finding.variant:
            continue
        if response.schema is None or response.schema == {}:
            return HARNESS + f"the response {finding.variant} is untyped: any JSON is drawn for it"
        converted = spec.converter.to_json_schema(response.schema)
        if not can_hold_list(converted, items_path):
            where = f"at {items_path!r}" if items_path else "as the body"
            return f"the {finding.variant} response ({response.pointer}) has no list {where}"
    return None


def _token_endpoint(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """The operation is the OAuth token endpoint of the connector's own auth scheme
    (Slack's oauth.access, Square's obtain_token): the fake vendor answers that URL as a
    token endpoint, with a token, so the operation's own request and answer are never
    seen (a limit of the harness)."""
    if finding.stage != "call":
        return None
    for url in spec.token_urls():
        if "{" not in op.path and httpx.URL(url).path.rstrip("/").endswith(op.path.rstrip("/")):
            return HARNESS + f"{op.path} is the connector's OAuth token endpoint ({url})"
    return None


def _read_only_items(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A writable array whose items are readOnly (OSF's ``copyright_holders``): a request
    may only send it empty, which openapi-core enforces and the schema's author did not
    mean."""
    if "Tried to write read-only property" not in finding.detail:
        return None
    for pointer, node in schema_nodes(spec, op):
        items = node.get("items")
        read_only_items = isinstance(items, dict) and items.get("readOnly") is True
        if read_only_items and node.get("readOnly") is not True:
            return f"the items of the writable array at {pointer} are readOnly"
    return None


def _pattern_not_text(spec: ContractSpec, op: SpecOperation, finding: Finding) -> str | None:
    """A ``pattern`` that is no string (api.video's timecode: ``pattern: 0``): no regular
    expression, so nothing can be drawn or checked against it."""
    if finding.stage != "harness":
        return None
    for pointer, node in schema_nodes(spec, op):
        if "pattern" in node and not isinstance(node["pattern"], str):
            return f"the pattern at {pointer}/pattern is {node['pattern']!r}, not a string"
    return None


RULES: Final[tuple[Rule, ...]] = (
    _core_read_only_required,
    _core_text_as_bytes,
    _read_only_parameter,
    _dangling_discriminator,
    _path_parameter_outside_template,
    _binary_body_with_object_schema,
    _paging_parameter,
    _drawing_tool,
    _closed_beside_all_of,
    _bad_default,
    _overlapping_one_of,
    _parameter_admits_nothing,
    _enum_of_another_type,
    _enum_against_its_format,
    _nullable_in_3_1,
    _query_in_path,
    _core_multipart_parts_as_bytes,
    _core_regex_format,
    _content_parameter_any_type,
    _quote_in_path,
    _enum_of_another_type_on_the_wire,
    _required_undeclared,
    _page_without_items,
    _token_endpoint,
    _read_only_items,
    _pattern_not_text,
)


def explain(spec: ContractSpec, finding: Finding) -> str | None:
    """The spec inconsistency (or harness limit) behind `finding`; None: ours."""
    dangling = _dangling_reference(spec, finding)
    if dangling is not None:
        return dangling
    op = _operation(spec, finding)
    if op is None:
        return None
    for rule in RULES:
        try:
            account = rule(spec, op, finding)
        except (KeyError, LookupError, TypeError, ValueError):
            account = None
        if account is not None:
            return account
    return None
