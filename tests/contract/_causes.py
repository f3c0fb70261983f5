"""Findings the spec itself causes, each recognised with the JSON pointer of its cause.

A finding is ours (a bug of the generator or the runtime) unless a rule here recognises
it as an inconsistency of the vendor's spec, or as a limit of the harness's own tools
(openapi-core, hypothesis-jsonschema). `explain` returns the rule's account, which quotes
the JSON pointer of the part of the spec at fault, or None. Every rule names a kind of
inconsistency and checks that the spec has it where the finding is; none names an
operation, so a rule cannot hide the next bug that looks like one it knows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final

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
    if not wrong:
        return None
    return f"the default of {param.name!r} is {default!r}, not a {kind} ({param.pointer}/schema)"


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
    if not routing and (about is None or about[1] not in names):
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
    if not (finding.cause.startswith("openapi-core") and finding.cause.endswith("body bytes")):
        return None
    if "not valid for schema of type string" not in finding.detail:
        return None
    return HARNESS + "openapi-core reads this media type as bytes and refuses them as a string"


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
    _query_in_path,
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
