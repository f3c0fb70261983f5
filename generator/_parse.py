"""OpenAPI document -> `Api` model.

Nothing is dropped: a part that cannot be typed becomes `Any` (or bytes, or text) and a
`Problem` on its operation, which the coverage report counts. What the spec itself leaves
untyped (no schema, a schema that allows anything) is kept apart from what the generator
could not represent.
"""

from __future__ import annotations

import hashlib
import keyword
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import SpecError
from ._loader import Resolver, check_version, escape_pointer_token, load_openapi
from ._model import (
    ANY,
    BYTES,
    DATE,
    DATETIME,
    FILE,
    NONE,
    STR,
    AliasDef,
    AliasRef,
    Api,
    Body,
    DictOf,
    EnumDef,
    EnumRef,
    Field,
    ListOf,
    ModelDef,
    ModelRef,
    Nullable,
    Operation,
    Paging,
    Parameter,
    Prim,
    Problem,
    ResponseDef,
    ResponseKind,
    SecurityScheme,
    TypeExpr,
    UnionOf,
    is_untyped,
    list_item,
)
from ._naming import NameRegistry, enum_member, group_and_method, pascal, safe_field, snake

if TYPE_CHECKING:
    from ._definition import ConnectorDefinition, Pagination

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Names a resource class already has: generated methods must not shadow them.
RESERVED_METHODS = frozenset({"label", "m", "dt", "builtins", "style"})
# Attributes of a connector: a resource group must not shadow them.
RESERVED_GROUPS = frozenset(
    {
        "auth_service",
        "close",
        "close_sync",
        "config",
        "connect",
        "connect_sync",
        "connected",
        "connector_name",
        "connector_type",
        "data_service",
        "default_config",
        "error_service",
        "http",
        "keyword_constructor",
        "logger",
        "models",
        "monitoring_service",
        "rate_limiter",
        "request",
        "request_sync",
        "state",  # the connector's shared state backend (BaseConnectorService.state)
        "test_connection",
        "test_connection_sync",
        "use_credentials",
        "webhooks",
    }
)
# Names a model's class body uses (annotations, `attrs.field`): a field must not shadow them.
CLASS_SCOPE_NAMES = frozenset(
    {"attrs", "m", "dt", "str", "int", "float", "bool", "bytes", "list", "dict", "field"}
)
# Names a generated method's body uses (its decoding types are evaluated at run time, inside
# the method): a parameter must not shadow them.
METHOD_SCOPE_NAMES = frozenset(
    {
        "self",
        "body",
        "options",
        "m",
        "dt",
        "builtins",
        "UNSET",
        "Unset",
        "Any",
        "FileTypes",
        "style",
        "warn_deprecated",
        # the per-call options every method takes as keyword arguments
        "timeout",
        "extra_headers",
        "extra_query",
        "idempotency_key",
        "max_retries",
        "strict",
        "max_pages",
        "max_items",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "list",
        "dict",
    }
)
_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_STYLES = frozenset(
    {
        "form",
        "simple",
        "label",
        "matrix",
        "spaceDelimited",
        "pipeDelimited",
        "deepObject",
        "tabDelimited",
    }
)
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
# Header parameters OpenAPI says to ignore: the client sets these itself.
_CLIENT_HEADERS = frozenset({"accept", "content-type", "authorization"})


def media_kind(content_type: str) -> str:
    """How a body of this media type is handled: json, form, multipart, text or bytes."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith(("+json", "/json")):
        return "json"
    if media in ("*/*", "application/*"):
        return "json"  # APIs that say "anything" answer JSON (a binary schema says bytes)
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media.startswith("multipart/"):
        return "multipart"
    if (
        media.startswith("text/")
        or media in ("application/xml", "application/javascript", "application/yaml")
        or media.endswith(("+xml", "+yaml"))
    ):
        return "text"
    return "bytes"


_KIND_RANK = {"json": 0, "form": 1, "multipart": 2, "text": 3, "bytes": 4}


def _pick_media(content: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The media type used from a content map: plain JSON first, then +json types, then
    forms, text and bytes, in the order listed."""
    if not content:
        return None

    def rank(item: tuple[str, Any]) -> tuple[int, int]:
        media = item[0].split(";")[0].strip().lower()
        return (_KIND_RANK[media_kind(item[0])], 0 if media == "application/json" else 1)

    return sorted(content.items(), key=rank)[0]


def _is_binary(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("format") == "binary"


def _flag(node: Mapping[str, Any], key: str, pointer: str, problems: list[Problem]) -> bool:
    """A boolean field of the spec; anything but a boolean is reported, never guessed."""
    value = node.get(key, False)
    if isinstance(value, bool):
        return value
    problems.append(Problem(pointer, f"'{key}' is {value!r}, not a boolean: read as false"))
    return False


# A name past this many characters (as a snake_case module) is cut, with a digest of the
# whole to keep it unique: file systems refuse names past 255 bytes, and a schema nested in
# itself (additionalProperties through allOf) grows its hint at every level.
_MAX_MODULE_NAME = 200


def _bounded(name: str) -> str:
    if len(snake(name)) <= _MAX_MODULE_NAME:
        return name
    digest = hashlib.blake2s(name.encode(), digest_size=4).hexdigest()
    return f"{name[:120]}H{digest}"


def _json_kind(value: Any) -> str:
    """What a JSON value is, for messages: "an object", "a number", ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else "a string"


class SchemaBuilder:
    """Turns schemas into type expressions, declaring models, enums and aliases."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._by_target: dict[str, TypeExpr] = {}
        # Targets being built right now. A model is cached before its fields, so recursion
        # through a model ends at its name; recursion through an alias (a union or an array
        # that contains itself) ends here, as Any: a JSON value of that shape.
        self._building: set[str] = set()
        # Names a model module imports: a model must not be called like them.
        self._class_names = NameRegistry(
            {"Model", "Unset", "Any", "FileTypes", "Discriminator", "TypeAlias", "Annotated"}
        )
        self._module_names = NameRegistry({"_base"})
        self.models: dict[str, ModelDef] = {}
        self.enums: dict[str, EnumDef] = {}
        self.aliases: dict[str, AliasDef] = {}
        self.problems: list[Problem] = []

    def peek(self, schema: Any, base: str) -> dict[str, Any] | None:
        """The schema a node resolves to, None when it is not an object or cannot be
        resolved (building its type reports why)."""
        try:
            node, _, _ = self.resolver.deref(schema, base)
        except SpecError:
            return None
        return node if isinstance(node, dict) else None

    def _declare(self, hint: str) -> tuple[str, str]:
        name = self._class_names.claim(_bounded(pascal(hint)))
        module = self._module_names.claim(f"_{snake(name)}")
        return name, module

    # entry points

    def type_of(self, schema: Any, base: str, hint: str, pointer: str) -> TypeExpr:
        try:
            return self._type_of(schema, base, hint, pointer)
        except SpecError as exc:
            self.problems.append(Problem(exc.pointer or pointer, str(exc)))
            return ANY
        except RecursionError:
            self.problems.append(Problem(pointer, "schema nested too deeply"))
            return ANY

    def _type_of(self, schema: Any, base: str, hint: str, pointer: str) -> TypeExpr:
        if schema is True or schema is None:
            return ANY
        if schema is False:
            return NONE
        if not isinstance(schema, dict):
            raise SpecError(
                f"schema must be an object, got {type(schema).__name__}", pointer=pointer
            )
        if isinstance(schema.get("$ref"), str):
            return self._referenced(schema, base, pointer)
        return self._build(schema, base, hint, pointer, target=None)

    def _referenced(self, schema: dict[str, Any], base: str, pointer: str) -> TypeExpr:
        target = self.resolver.target(schema["$ref"], base)
        cached = self._by_target.get(target)
        if cached is not None:
            return cached
        node, final_target, node_base = self.resolver.deref(schema, base)
        assert final_target is not None
        if final_target != target and final_target in self._by_target:
            result = self._by_target[final_target]
        elif final_target in self._building:
            return ANY
        else:
            hint = final_target.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            self._building.add(final_target)
            try:
                result = self._build(node, node_base, hint, final_target, target=final_target)
            finally:
                self._building.discard(final_target)
        self._by_target[target] = result
        return result

    # building

    def _build(
        self, schema: Any, base: str, hint: str, pointer: str, *, target: str | None
    ) -> TypeExpr:
        if not isinstance(schema, dict):
            return self._type_of(schema, base, hint, pointer)
        nullable = schema.get("nullable") is True
        types = schema.get("type")
        if isinstance(types, list):  # OpenAPI 3.1: type arrays
            nullable = nullable or "null" in types
            types = [t for t in types if t != "null"]
            if len(types) == 1:
                types = types[0]
            elif not types:
                types = "null"
        result = self._build_inner(schema, types, base, hint, pointer, target)
        if nullable and result not in (NONE, ANY) and not isinstance(result, Nullable):
            return self._store(target, Nullable(result))
        return result

    def _build_inner(
        self,
        schema: dict[str, Any],
        types: Any,
        base: str,
        hint: str,
        pointer: str,
        target: str | None,
    ) -> TypeExpr:
        if "const" in schema:
            return self._enum(
                [schema["const"]], base_type=types, hint=hint, pointer=pointer, target=target
            )
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(
                schema["enum"], base_type=types, hint=hint, pointer=pointer, target=target
            )
        if isinstance(schema.get("allOf"), list):
            return self._all_of(schema, base, hint, pointer, target)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._union(schema, key, base, hint, pointer, target)
        if isinstance(types, list):  # several non-null types
            options = tuple(
                self._build(
                    {**schema, "type": t}, base, f"{hint}{pascal(str(t))}", pointer, target=None
                )
                for t in types
            )
            return self._store(target, UnionOf(options))
        if types == "array":
            item = self.type_of(schema.get("items", True), base, f"{hint}Item", f"{pointer}/items")
            return self._store(target, ListOf(item))
        if types == "object" or (
            types is None and ("properties" in schema or "additionalProperties" in schema)
        ):
            return self._object(schema, base, hint, pointer, target)
        if isinstance(types, str):
            if types in _PRIMITIVES:
                if types == "string":
                    fmt = schema.get("format")
                    if fmt == "date-time":
                        return DATETIME
                    if fmt == "date":
                        return DATE
                return Prim(_PRIMITIVES[types])
            if types == "null":
                return NONE
            raise SpecError(f"unknown schema type {types!r}", pointer=pointer)
        if types is not None:
            raise SpecError(
                f"'type' is {_json_kind(types)}, not the name of a type", pointer=f"{pointer}/type"
            )
        # No type: `items` alone does not make an array (JSON Schema applies it only to
        # values that are arrays), so the value may be anything.
        return ANY

    def _object(
        self, schema: dict[str, Any], base: str, hint: str, pointer: str, target: str | None
    ) -> TypeExpr:
        properties = schema.get("properties") or {}
        additional = schema.get("additionalProperties", True)
        if not isinstance(properties, dict):
            raise SpecError("'properties' must be a mapping", pointer=f"{pointer}/properties")
        if not properties:
            if additional is False:
                return self._store(target, DictOf(ANY))
            value = (
                ANY
                if additional in (True, None, {})
                else self.type_of(
                    additional, base, f"{hint}Value", f"{pointer}/additionalProperties"
                )
            )
            return self._store(target, DictOf(value))
        return self._model(hint, pointer, target, parts=[(schema, base, pointer)])

    def _store(self, target: str | None, result: TypeExpr) -> TypeExpr:
        if target is not None:
            self._by_target[target] = result
        return result

    def _collect(
        self, schema: Any, base: str, pointer: str, seen: set[str]
    ) -> list[tuple[dict[str, Any], str, str]]:
        """Object parts of an allOf, flattened through $refs and nested allOfs."""
        node, target, node_base = self.resolver.deref(schema, base)
        if target is not None:
            if target in seen:
                return []
            seen = seen | {target}
            pointer = target
        if not isinstance(node, dict):
            return []
        parts: list[tuple[dict[str, Any], str, str]] = []
        for index, sub in enumerate(node.get("allOf") or []):
            parts.extend(self._collect(sub, node_base, f"{pointer}/allOf/{index}", seen))
        if node.get("properties") or node.get("type") == "object" or "additionalProperties" in node:
            parts.append((node, node_base, pointer))
        elif isinstance(node.get("required"), list):
            parts.append(({"required": node["required"]}, node_base, pointer))
        return parts

    def _union_member(self, schema: Any, base: str) -> tuple[str, list[Any], str, Any] | None:
        """(key, branches, base, node) when `schema` is a oneOf/anyOf with 2+ branches."""
        node, _, node_base = self.resolver.deref(schema, base)
        if not isinstance(node, dict):
            return None
        for key in ("oneOf", "anyOf"):
            branches = [b for b in node.get(key) or [] if not _constraint_only(b)]
            if len(branches) >= 2:
                return key, branches, node_base, node
        return None

    def _all_of(
        self, schema: dict[str, Any], base: str, hint: str, pointer: str, target: str | None
    ) -> TypeExpr:
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                # A union beside the allOf (ShipEngine's rate estimate: allOf(options),
                # oneOf(by carrier id, by carrier ids)) is one more member of it.
                union = {key: schema[key]}
                if "discriminator" in schema:
                    union["discriminator"] = schema["discriminator"]
                rest = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
                schema = {**rest, "allOf": [*schema["allOf"], union]}
        # Members that only annotate ({readOnly: true} beside a $ref) constrain nothing:
        # allOf(nullable X, {readOnly: true}) is a nullable X, as a validator reads it.
        members = [m for m in schema["allOf"] if m not in ({}, True) and not _annotation(m)]
        own_props = bool(schema.get("properties"))
        if len(members) == 1 and not own_props:
            only = self.type_of(members[0], base, hint, f"{pointer}/allOf/0")
            return self._store(target, only)
        unions = [
            (index, found)
            for index, member in enumerate(members)
            if (found := self._union_member(member, base)) is not None
        ]
        if unions:
            plain = [m for i, m in enumerate(members) if i not in {u[0] for u in unions}]
            if len(unions) > 1:
                self.problems.append(
                    Problem(
                        pointer,
                        f"allOf with {len(unions)} oneOf/anyOf members: only the first is "
                        "represented (each branch merged with the object parts)",
                    )
                )
            _, (key, branches, union_base, union_node) = unions[0]
            own = {k: v for k, v in schema.items() if k != "allOf"}
            # The schema's own properties and required names hold in every branch.
            shared = [*plain, own] if own_props or own.get("required") else plain
            # allOf(A, oneOf(B, C)) is oneOf(allOf(A, B), allOf(A, C)).
            distributed = {key: [{"allOf": [*shared, b]} for b in branches]}
            if isinstance(union_node.get("discriminator"), dict):
                distributed["discriminator"] = union_node["discriminator"]
            return self._union(
                distributed, key, union_base, hint, pointer, target, sources=branches
            )
        parts = self._collect(schema, base, pointer, {target} if target else set())
        if not any(p.get("properties") or p.get("type") == "object" for p, _, _ in parts):
            # allOf of non-objects (e.g. a string with extra constraints): the first member
            return self._store(
                target,
                self.type_of(members[0], base, hint, f"{pointer}/allOf/0") if members else ANY,
            )
        return self._model(hint, pointer, target, parts=parts)

    def _union(
        self,
        schema: dict[str, Any],
        key: str,
        base: str,
        hint: str,
        pointer: str,
        target: str | None,
        *,
        sources: list[Any] | None = None,
    ) -> TypeExpr:
        """A oneOf/anyOf. `sources` are the schemas the branches were made from when they
        are merged forms of others (allOf distributed over a oneOf): a discriminator's
        mapping names those."""
        # Branches that only add constraints ({"required": [...]}) describe no type of
        # their own: the schema's own properties are the type.
        branches = [b for b in schema[key] if not _constraint_only(b)]
        if not branches:
            own = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
            return self._build(own, base, hint, pointer, target=target)
        own_props = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
        merge_own = bool(schema.get("properties"))
        if merge_own and sources is None:
            sources = branches
        options: list[TypeExpr] = []
        origins: dict[str, TypeExpr] = {}  # source $ref target -> the option made from it
        for index, branch in enumerate(branches):
            branch_hint = f"{hint}{self._branch_name(branch, base, index)}"
            branch_pointer = f"{pointer}/{key}/{index}"
            if merge_own:
                # Properties beside oneOf belong to every branch.
                option = self.type_of(
                    {"allOf": [own_props, branch]}, base, branch_hint, branch_pointer
                )
            else:
                option = self.type_of(branch, base, branch_hint, branch_pointer)
            source = sources[index] if sources is not None and index < len(sources) else None
            if isinstance(source, dict) and isinstance(source.get("$ref"), str):
                origins[self.resolver.target(source["$ref"], base)] = option
            if option not in options:
                options.append(option)
        nullable = NONE in options
        options = [o for o in options if o != NONE]
        if not options:
            return self._store(target, NONE)
        if len(options) == 1:
            single = options[0]
            return self._store(target, Nullable(single) if nullable else single)
        result: TypeExpr = UnionOf(tuple(options))
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            result = self._alias(discriminator, options, origins, base, hint, pointer, target)
        return self._store(target, Nullable(result) if nullable else result)

    def _branch_name(self, branch: Any, base: str, index: int) -> str:
        if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
            return pascal(branch["$ref"].rsplit("/", 1)[-1])
        return f"Option{index + 1}"

    def _alias(
        self,
        discriminator: dict[str, Any],
        options: list[TypeExpr],
        origins: Mapping[str, TypeExpr],
        base: str,
        hint: str,
        pointer: str,
        target: str | None,
    ) -> TypeExpr:
        """A discriminated union gets a name (``m.Pet``) carrying its mapping."""
        prop = str(discriminator["propertyName"])
        members = list(options)
        pairs: list[tuple[str, str]] = []
        for value, ref in sorted((discriminator.get("mapping") or {}).items()):
            if not isinstance(ref, str):
                continue
            # A mapping value is a $ref, or (as OpenAPI allows) a bare schema name.
            full = (
                ref
                if ("#" in ref or "/" in ref or ref.endswith((".json", ".yaml")))
                else (f"#/components/schemas/{ref}")
            )
            try:
                mapped = origins.get(self.resolver.target(full, base)) or self._referenced(
                    {"$ref": full}, base, pointer
                )
            except SpecError as exc:
                self.problems.append(
                    Problem(f"{pointer}/discriminator/mapping", f"mapping {value!r}: {exc}")
                )
                continue
            if isinstance(mapped, ModelRef):
                pairs.append((str(value), mapped.name))
                if mapped not in members:
                    members.append(mapped)
        if not pairs:
            pairs = [(o.name, o.name) for o in members if isinstance(o, ModelRef)]
        name, module = self._declare(hint if target else f"{hint}Union")
        self.aliases[name] = AliasDef(
            name, module, tuple(members), prop, tuple(pairs), target or pointer
        )
        return AliasRef(name, module)

    def _enum(
        self, values: list[Any], *, base_type: Any, hint: str, pointer: str, target: str | None
    ) -> TypeExpr:
        nullable = None in values
        concrete = [v for v in values if v is not None]
        kinds = {type(v) for v in concrete}
        if not concrete:
            return self._store(target, NONE)
        if kinds == {str}:
            base = "str"
        elif kinds <= {int} and bool not in kinds:
            base = "int"
        elif kinds <= {int, float} and bool not in kinds:
            base = "float"
        else:
            # booleans, objects or mixed kinds: the values stay plain JSON values
            mixed: TypeExpr = (
                ANY
                if len(kinds) > 1 or kinds & {dict, list}
                else Prim(_PRIMITIVES.get(str(base_type), "bool" if kinds == {bool} else "Any"))
            )
            return self._store(target, Nullable(mixed) if nullable else mixed)
        name, module = self._declare(hint)
        members: list[tuple[str, Any]] = []
        member_names = NameRegistry({"name", "value"})  # Enum's own attributes
        seen_values: set[Any] = set()
        for value in concrete:
            key = (type(value), value)
            if key in seen_values:
                continue
            seen_values.add(key)
            members.append((member_names.claim(enum_member(value)), value))
        self.enums[name] = EnumDef(name, module, base, tuple(members), target or pointer)
        ref: TypeExpr = EnumRef(name, module, base)
        if nullable:
            ref = Nullable(ref)
        return self._store(target, ref)

    def _model(
        self,
        hint: str,
        pointer: str,
        target: str | None,
        *,
        parts: list[tuple[dict[str, Any], str, str]],
        files: bool = False,
    ) -> TypeExpr:
        """A model from object `parts` (later parts override earlier ones). With `files`,
        a binary property is a file to upload (multipart bodies)."""
        name, module = self._declare(hint)
        ref = ModelRef(name, module)
        if target is not None:
            self._by_target[target] = ref  # before the fields: recursive schemas end here
        properties: dict[str, tuple[Any, str, str]] = {}
        required: set[str] = set()
        extra: TypeExpr | None = ANY
        for part, part_base, part_pointer in parts:
            for prop, prop_schema in (part.get("properties") or {}).items():
                properties.pop(prop, None)
                properties[prop] = (
                    prop_schema,
                    part_base,
                    f"{part_pointer}/properties/{escape_pointer_token(prop)}",
                )
            if isinstance(part.get("required"), list):
                required.update(str(r) for r in part["required"])
            additional = part.get("additionalProperties", True)
            if additional is False:
                extra = None
            elif isinstance(additional, dict) and additional:
                extra = self.type_of(
                    additional, part_base, f"{name}Value", f"{part_pointer}/additionalProperties"
                )
        field_names = NameRegistry()
        fields: list[Field] = []
        for prop, (prop_schema, prop_base, prop_pointer) in properties.items():
            resolved = self.peek(prop_schema, prop_base) or {}
            if files and _is_binary(resolved):
                prop_type: TypeExpr = FILE
            elif (
                files
                and resolved.get("type") == "array"
                and _is_binary(self.peek(resolved.get("items"), prop_base))
            ):
                prop_type = ListOf(FILE)
            else:
                prop_type = self.type_of(
                    prop_schema, prop_base, f"{name}{pascal(prop)}", prop_pointer
                )
            field_name = safe_field(prop)
            if field_name in CLASS_SCOPE_NAMES:
                field_name += "_"
            # readOnly fields are never sent, writeOnly fields never come back: neither is
            # required in both directions, so neither is required to build or to decode.
            directional = any(
                part.get("readOnly") is True or part.get("writeOnly") is True
                for part in (resolved, *_annotations_of(resolved))
            )
            fields.append(
                Field(
                    json_name=prop,
                    name=field_names.claim(field_name),
                    type=prop_type,
                    required=prop in required and not directional,
                    deprecated=resolved.get("deprecated") is True,
                )
            )
        fields.sort(key=lambda f: not f.required)
        self.models[name] = ModelDef(name, module, tuple(fields), extra, target or pointer)
        return ref


_TYPE_KEYS = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "items",
        "enum",
        "const",
        "allOf",
        "oneOf",
        "anyOf",
        "additionalProperties",
        "nullable",
    }
)


_ANNOTATIONS = frozenset(
    {
        "readOnly",
        "writeOnly",
        "description",
        "title",
        "deprecated",
        "example",
        "examples",
        "default",
        "externalDocs",
        "xml",
    }
)


def _annotation(schema: Any) -> bool:
    """A schema of annotations only (``{readOnly: true}``): it accepts every value."""
    return (
        isinstance(schema, dict)
        and bool(schema)
        and all(key in _ANNOTATIONS or key.startswith("x-") for key in schema)
    )


def _annotations_of(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The annotation-only members of a schema's allOf."""
    members = schema.get("allOf")
    return [m for m in members if _annotation(m)] if isinstance(members, list) else []


def _constraint_only(schema: Any) -> bool:
    """A schema that narrows another (required, min/max, pattern) without a type."""
    return isinstance(schema, dict) and bool(schema) and not (_TYPE_KEYS & schema.keys())


def _merge_parameters(
    path_level: Iterable[Any] | None,
    op_level: Iterable[Any] | None,
    resolver: Resolver,
    base: str,
) -> list[tuple[dict[str, Any], str, str]]:
    merged: dict[tuple[str, str], tuple[dict[str, Any], str, str]] = {}
    for source, items in (("path", path_level), ("operation", op_level)):
        for index, raw in enumerate(items or []):
            node, target, node_base = resolver.deref(raw, base)
            if not isinstance(node, dict) or "name" not in node or "in" not in node:
                raise SpecError(f"{source}-level parameter {index} has no name or location")
            merged[(str(node["name"]), str(node["in"]))] = (node, node_base, target or "")
    return list(merged.values())


class ApiBuilder:
    """Walks the paths of a document and builds the `Api`."""

    def __init__(
        self,
        document: dict[str, Any],
        resolver: Resolver,
        *,
        include: set[str] | None = None,
        definition: ConnectorDefinition | None = None,
    ) -> None:
        self.document = document
        self.resolver = resolver
        self.schemas = SchemaBuilder(resolver)
        self.include = include
        self.definition = definition
        self._groups = NameRegistry(set(RESERVED_GROUPS))
        self._group_names: dict[str, str] = {}
        self._methods: dict[str, NameRegistry] = {}

    def build(self) -> Api:
        openapi = check_version(self.document, self.resolver.root_key)
        operations: list[Operation] = []
        paths = self.document.get("paths") or {}
        base = self.resolver.root_key
        for path, raw_item in paths.items():
            try:
                item, _, item_base = self.resolver.deref(raw_item, base)
            except SpecError as exc:
                self.schemas.problems.append(
                    Problem(f"/paths/{escape_pointer_token(path)}", str(exc))
                )
                continue
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                raw_op = item.get(method)
                if not isinstance(raw_op, dict):
                    continue
                operation_id = str(raw_op.get("operationId") or f"{method}:{path}")
                if self.include is not None and operation_id not in self.include:
                    continue
                operations.append(
                    self._operation(path, method, raw_op, item, item_base, operation_id)
                )
        from ._webhooks import build_webhook_events  # before the models are collected

        webhook_events = build_webhook_events(self)
        schemas_total = len(((self.document.get("components") or {}).get("schemas")) or {})
        servers = tuple(
            str(s.get("url")) for s in self.document.get("servers") or [] if isinstance(s, dict)
        )
        info = self.document.get("info") or {}
        return Api(
            title=str(info.get("title") or ""),
            version=str(info.get("version") or ""),
            openapi=openapi,
            servers=servers,
            operations=tuple(operations),
            models=tuple(self.schemas.models[name] for name in sorted(self.schemas.models)),
            enums=tuple(self.schemas.enums[name] for name in sorted(self.schemas.enums)),
            aliases=tuple(self.schemas.aliases[name] for name in sorted(self.schemas.aliases)),
            security_schemes=self._security(),
            schemas_total=schemas_total,
            webhook_events=webhook_events,
        )

    def _security(self) -> tuple[SecurityScheme, ...]:
        raw = ((self.document.get("components") or {}).get("securitySchemes")) or {}
        schemes: list[SecurityScheme] = []
        for name, node in sorted(raw.items()):
            try:
                scheme, _, _ = self.resolver.deref(node, self.resolver.root_key)
            except SpecError:
                continue
            if not isinstance(scheme, dict):
                continue
            flows = scheme.get("flows") or {}
            token_url = authorization_url = None
            for flow in flows.values() if isinstance(flows, dict) else []:
                if isinstance(flow, dict):
                    token_url = token_url or flow.get("tokenUrl")
                    authorization_url = authorization_url or flow.get("authorizationUrl")
            schemes.append(
                SecurityScheme(
                    name=str(name),
                    type=str(scheme.get("type")),
                    scheme=scheme.get("scheme"),
                    location=scheme.get("in"),
                    param_name=scheme.get("name"),
                    token_url=token_url,
                    authorization_url=authorization_url,
                )
            )
        return tuple(schemes)

    def _name(self, operation_id: str, method: str, path: str) -> tuple[str, str]:
        """The operation's group (claimed once per group) and method name in it."""
        override = self.definition.overrides.get(operation_id) if self.definition else None
        group, name = group_and_method(operation_id, method, path)
        if override is not None:
            group = snake(override.group) if override.group else group
            name = snake(override.name) if override.name else name
        # A name made of the id's words can be a keyword (``globalStats`` on /stats is
        # stats.global, Linode's domains.import): a method or attribute cannot be.
        group = f"{group}_" if keyword.iskeyword(group) else group
        name = f"{name}_" if keyword.iskeyword(name) else name
        if group not in self._group_names:
            self._group_names[group] = self._groups.claim(
                group if group not in RESERVED_GROUPS else f"{group}_api"
            )
        group = self._group_names[group]
        registry = self._methods.setdefault(group, NameRegistry(set(RESERVED_METHODS)))
        wanted, counter = name, 2
        while wanted in registry or f"{wanted}_sync" in registry:
            wanted, counter = f"{name}{counter}", counter + 1
        registry.claim(f"{wanted}_sync")
        return group, registry.claim(wanted)

    def _operation(
        self,
        path: str,
        method: str,
        raw: dict[str, Any],
        item: dict[str, Any],
        base: str,
        operation_id: str,
    ) -> Operation:
        pointer = f"/paths/{escape_pointer_token(path)}/{method}"
        # RFC 6570 reserved expansion ({+name}): the value is a path, slashes kept.
        reserved = {name[1:] for name in _path_params(path) if name.startswith("+")}
        path = path.replace("{+", "{")
        if self.definition is not None:
            reserved |= self.definition.reserved_path_params
        hint = pascal(operation_id)
        degraded: list[Problem] = []
        problems_before = len(self.schemas.problems)
        group, method_name = self._name(operation_id, method, path)

        parameters: list[Parameter] = []
        param_names = NameRegistry(set(METHOD_SCOPE_NAMES))
        try:
            raw_params = _merge_parameters(
                item.get("parameters"), raw.get("parameters"), self.resolver, base
            )
        except SpecError as exc:
            degraded.append(Problem(f"{pointer}/parameters", str(exc)))
            raw_params = []
        for index, (node, node_base, _) in enumerate(raw_params):
            param_pointer = f"{pointer}/parameters/{index}"
            location = str(node["in"])
            if not str(node["name"]).strip():
                degraded.append(
                    Problem(param_pointer, f"parameter in {location} without a name: left out")
                )
                continue
            if location not in ("path", "query", "header", "cookie"):
                degraded.append(
                    Problem(
                        param_pointer, f"parameter {node['name']!r}: unknown location {location!r}"
                    )
                )
                continue
            if location == "header" and str(node["name"]).lower() in _CLIENT_HEADERS:
                # OpenAPI: such a parameter "SHALL be ignored". The body's media type, the
                # answer's and the auth scheme set them; as required arguments they made
                # callers pass a Content-Type or an Authorization by hand.
                continue
            schema = node.get("schema")
            if schema is None and isinstance(node.get("content"), dict) and node["content"]:
                schema = next(iter(node["content"].values())).get("schema")
            param_type = self.schemas.type_of(
                schema, node_base, f"{hint}{pascal(str(node['name']))}", param_pointer
            )
            style = node.get("style")
            if style is not None and style not in _STYLES:
                degraded.append(
                    Problem(
                        param_pointer,
                        f"unknown style {style!r}: sent as {_DEFAULT_STYLE[location]}",
                    )
                )
                style = None
            if style == _DEFAULT_STYLE[location]:
                style = None
            explode = node.get("explode")
            default_explode = (style or _DEFAULT_STYLE[location]) in ("form", "deepObject")
            if not isinstance(explode, bool) or explode == default_explode:
                explode = None
            py_name = safe_field(str(node["name"]))
            required = _flag(node, "required", f"{param_pointer}/required", degraded)
            parameters.append(
                Parameter(
                    name=str(node["name"]),
                    py_name=param_names.claim(
                        py_name if py_name not in param_names else f"{py_name}_"
                    ),
                    location=location,  # type: ignore[arg-type]
                    required=required or location == "path",
                    type=param_type,
                    style=style,
                    explode=explode,
                    deprecated=node.get("deprecated") is True,
                    reserved=location == "path"
                    and (str(node["name"]) in reserved or node.get("allowReserved") is True),
                )
            )
        # path parameters the template names but nobody declared: still required strings
        for segment in _path_params(path):
            if not any(p.location == "path" and p.name == segment for p in parameters):
                parameters.append(
                    Parameter(
                        segment,
                        param_names.claim(safe_field(segment)),
                        "path",
                        True,
                        STR,
                        reserved=segment in reserved,
                    )
                )
        path_order = _path_params(path)
        parameters.sort(
            key=lambda p: (
                p.location != "path",
                not p.required,
                path_order.index(p.name) if p.location == "path" and p.name in path_order else 0,
            )
        )

        body = self._body(raw.get("requestBody"), base, hint, pointer, degraded, param_names)
        untyped: list[Problem] = []
        responses, success = self._responses(
            raw.get("responses"), base, hint, pointer, degraded, untyped
        )

        degraded.extend(self.schemas.problems[problems_before:])
        # What the spec itself leaves untyped (no schema, or one that allows any value) is
        # kept as parsed JSON and listed apart from the generator's own fallbacks.
        if not degraded:
            if body is not None and is_untyped(body.type) and body.kind == "json":
                untyped.append(
                    Problem(f"{pointer}/requestBody", "the spec gives no schema (sent as given)")
                )
            first = success[0]
            if first.kind == "json" and is_untyped(first.type) and not untyped:
                untyped.append(
                    Problem(
                        f"{pointer}/responses/{first.status}",
                        "the spec gives no schema (returned as parsed JSON)",
                    )
                )
        summary = raw.get("summary")
        operation = Operation(
            operation_id=operation_id,
            group=group,
            method_name=method_name,
            http_method=method.upper(),
            path=path,
            summary=" ".join(str(summary).split()) if summary else None,
            parameters=tuple(parameters),
            body=body,
            success=tuple(success),
            responses=tuple(responses),
            deprecated=_flag(raw, "deprecated", f"{pointer}/deprecated", degraded),
            degraded=tuple(dict.fromkeys(degraded)),
            untyped=tuple(dict.fromkeys(untyped)),
        )
        # A listing sends its paging in the query or a JSON body. One that requires another
        # kind of body is a plain call, so that its body is sent; an optional one is left
        # out of the listing (Stripe's GET listings declare an empty form body).
        paging = (
            self._paging(operation)
            if body is None or body.kind == "json" or not body.required
            else None
        )
        if paging is not None:
            import attrs

            if body is not None and body.kind != "json":
                # Not sent by a pager: said in the report, and not offered as an argument.
                left_out = Problem(
                    f"{pointer}/requestBody",
                    f"a listing's optional {body.content_type} body is not sent",
                )
                operation = attrs.evolve(
                    operation, body=None, degraded=(*operation.degraded, left_out)
                )
            operation = attrs.evolve(operation, paging=paging)
        return operation

    # -- bodies ---------------------------------------------------------------------------

    def _body(
        self,
        raw: Any,
        base: str,
        hint: str,
        pointer: str,
        degraded: list[Problem],
        param_names: NameRegistry,
    ) -> Body | None:
        if raw is None:
            return None
        try:
            node, _, node_base = self.resolver.deref(raw, base)
        except SpecError as exc:
            degraded.append(Problem(f"{pointer}/requestBody", str(exc)))
            return Body("application/json", "json", ANY, False)
        if not isinstance(node, dict):
            return None
        picked = _pick_media(node.get("content") or {})
        if picked is None:
            return None
        content_type, media = picked
        kind: str = media_kind(content_type)
        media = media if isinstance(media, dict) else {}
        schema = media.get("schema")
        body_pointer = f"{pointer}/requestBody/content/{escape_pointer_token(content_type)}"
        body_type: TypeExpr
        encoding: list[tuple[str, str, bool]] = []
        if kind == "text" and content_type.split(";")[0].strip().endswith("+yaml"):
            # YAML media with an object schema (Kubernetes' apply-patch): JSON is YAML, so
            # the body is encoded as JSON and sent with its own content type.
            kind = "json"
        if kind == "json":
            body_type = self.schemas.type_of(
                schema, node_base, f"{hint}Body", f"{body_pointer}/schema"
            )
        elif kind in ("form", "multipart"):
            body_type = self._form_type(
                schema,
                node_base,
                f"{hint}Body",
                f"{body_pointer}/schema",
                files=kind == "multipart",
            )
            for prop, spec in (media.get("encoding") or {}).items():
                if isinstance(spec, dict) and (spec.get("style") or "explode" in spec):
                    style = str(spec.get("style") or "form")
                    explode = spec.get("explode", style in ("form", "deepObject"))
                    encoding.append((str(prop), style, bool(explode)))
        elif kind == "text":
            body_type = STR
        else:
            body_type = BYTES
        return Body(
            content_type,
            kind,  # type: ignore[arg-type]
            body_type,
            _flag(node, "required", f"{pointer}/requestBody/required", degraded),
            tuple(sorted(encoding)),
        )

    def _form_type(
        self, schema: Any, base: str, hint: str, pointer: str, *, files: bool
    ) -> TypeExpr:
        """The type of a form or multipart body: a model of its properties."""
        try:
            node, target, node_base = self.resolver.deref(schema, base)
        except SpecError as exc:
            self.schemas.problems.append(Problem(pointer, str(exc)))
            return DictOf(ANY)
        if not isinstance(node, dict):
            return DictOf(ANY)
        if not files:
            return self.schemas.type_of(schema, base, hint, pointer)
        parts = self.schemas._collect(node, node_base, target or pointer, set())
        if not parts or not any(p.get("properties") for p, _, _ in parts):
            return self.schemas.type_of(schema, base, hint, pointer)
        return self.schemas._model(hint, target or pointer, None, parts=parts, files=True)

    # -- responses ----------------------------------------------------------------------

    def _responses(
        self,
        raw: Any,
        base: str,
        hint: str,
        pointer: str,
        degraded: list[Problem],
        untyped: list[Problem],
    ) -> tuple[list[ResponseDef], list[ResponseDef]]:
        no_content: set[str] = set()
        responses: list[ResponseDef] = []
        if not isinstance(raw, dict):
            raw = {}
        for status in sorted(raw, key=_status_rank):
            status_pointer = f"{pointer}/responses/{escape_pointer_token(str(status))}"
            try:
                node, _, node_base = self.resolver.deref(raw[status], base)
            except SpecError as exc:
                degraded.append(Problem(status_pointer, str(exc)))
                responses.append(ResponseDef(str(status), None, "json", ANY))
                continue
            content = node.get("content") if isinstance(node, dict) else None
            picked = _pick_media(content or {})
            if picked is None:
                if str(status) in ("204", "205", "304") or not str(status).startswith("2"):
                    responses.append(ResponseDef(str(status), None, "empty", NONE))
                else:
                    # A success the spec gives no content: the body (if any) is still
                    # returned, as parsed JSON, rather than thrown away.
                    no_content.add(str(status))
                    responses.append(ResponseDef(str(status), None, "json", ANY))
                continue
            content_type, media = picked
            kind = media_kind(content_type)
            schema = media.get("schema") if isinstance(media, dict) else None
            resolved = self.schemas.peek(schema, node_base)
            response_kind: ResponseKind
            response_type: TypeExpr
            if kind == "json" and _is_binary(resolved):
                # */* (or JSON) declared with a binary schema: the bytes, untouched.
                response_kind, response_type = "bytes", BYTES
            elif kind == "json":
                response_kind = "json"
                suffix = "" if str(status).startswith("2") else pascal(str(status))
                response_type = self.schemas.type_of(
                    schema, node_base, f"{hint}Response{suffix}", f"{status_pointer}/content"
                )
                if response_type == NONE:
                    response_kind = "empty"
            elif kind == "text":
                response_kind, response_type = "text", STR
            else:
                response_kind, response_type = "bytes", BYTES
            responses.append(ResponseDef(str(status), content_type, response_kind, response_type))
        success = [r for r in responses if r.status.startswith("2")]
        if not success and any(r.status.startswith("3") for r in responses):
            # Only a redirect is declared (downloads): the client follows it, and what it
            # gets there is a file.
            success = [ResponseDef("200", "application/octet-stream", "bytes", BYTES)]
        if not success:
            success = [r for r in responses if r.status == "default"]
        if not success:
            success = [ResponseDef("200", None, "json", ANY)]
            if not responses:
                untyped.append(
                    Problem(
                        f"{pointer}/responses",
                        "the spec declares no response (returned as parsed JSON)",
                    )
                )
        elif success[0].status in no_content:
            untyped.append(
                Problem(
                    f"{pointer}/responses/{success[0].status}",
                    "the spec declares no content (returned as parsed JSON)",
                )
            )
        return responses, success

    # -- paging -------------------------------------------------------------------------

    def _paging(self, op: Operation) -> Paging | None:
        """How `op` pages: as its resource or override says, or by the connector's
        default style when the operation takes that style's paging parameter."""
        definition = self.definition
        if definition is None:
            return None
        override = definition.overrides.get(op.operation_id)
        resource = next((r for r in definition.resources if r.list_op == op.operation_id), None)
        pagination: Pagination | None
        if override is not None and override.pagination is not None:
            pagination = override.pagination
            items_path = (
                override.items_path if override.items_path is not None else definition.items_path
            )
        elif resource is not None:
            pagination, items_path = resource.pagination, resource.items_path
        else:
            pagination = definition.pagination
            items_path = (
                override.items_path
                if override is not None and override.items_path is not None
                else definition.items_path
            )
            if op.http_method != "GET" or not _takes_paging(pagination, op, self):
                return None
        if pagination.style == "none":
            return None
        result = op.result
        item = self._item_at(result.type, items_path) if result.kind == "json" else None
        if item is None:
            if resource is None:
                return None
            item = ANY  # a resource's listing pages even where its spec misdescribes it
        return Paging(pagination.expression(), pagination.style, items_path, item)

    def _item_at(self, t: TypeExpr, path: str | None) -> TypeExpr | None:
        """The item type of the list at dotted `path` inside `t`, or None."""
        if isinstance(t, Nullable):
            t = t.inner
        if not path:
            return list_item(t)
        if isinstance(t, ModelRef):
            model = self.schemas.models.get(t.name)
            if model is None:
                return None
            by_json = {f.json_name: f for f in model.fields}
            for end in range(len(path), 0, -1):
                head = path[:end]
                if head in by_json and (end == len(path) or path[end] == "."):
                    return self._item_at(by_json[head].type, path[end + 1 :] or None)
        return None


def _takes_paging(pagination: Pagination, op: Operation, builder: ApiBuilder) -> bool:
    """Whether `op` takes the request parameter (or answers the field) by which
    `pagination`'s style pages."""
    params = {p.name for p in op.parameters if p.location in ("query", "header")}
    style = pagination.style
    if style == "link_header":
        return bool(params & {"page", "per_page", "page_size", "limit", "cursor", "after"})
    if style == "next_url_in_body":
        path = str(pagination.setting("next_path"))
        result = op.result
        return (
            result.kind == "json"
            and builder._item_at(result.type, None) is None
            and _has_field(builder, result.type, path)
        )
    names = {
        "cursor_in_body": "cursor_param",
        "cursor_in_header": "cursor_param",
        "last_item_cursor": "cursor_param",
        "offset_limit": "offset_param",
        "page_number": "page_param",
    }
    setting = names.get(style)
    return setting is not None and pagination.setting(setting) in params


def _has_field(builder: ApiBuilder, t: TypeExpr, path: str) -> bool:
    if isinstance(t, Nullable):
        t = t.inner
    if not isinstance(t, ModelRef):
        return False
    model = builder.schemas.models.get(t.name)
    return model is not None and path.split(".")[0] in {f.json_name for f in model.fields}


def _status_rank(status: Any) -> tuple[int, str]:
    text = str(status)
    if text[:1].isdigit():
        return (int(text[0]), text)
    return (9, text)


def _path_params(path: str) -> list[str]:
    names: list[str] = []
    rest = path
    while "{" in rest and "}" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        names.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return names


def load_api(
    path: Path,
    *,
    include: set[str] | None = None,
    definition: ConnectorDefinition | None = None,
) -> Api:
    """Read the spec at `path` and build its model."""
    document, _ = load_openapi(path)
    resolver = Resolver(document, path)
    return ApiBuilder(document, resolver, include=include, definition=definition).build()


__all__ = ["AliasRef", "ApiBuilder", "SchemaBuilder", "load_api", "media_kind"]
