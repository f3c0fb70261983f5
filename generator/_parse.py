"""OpenAPI document -> `Api` model.

Nothing is dropped: a part that cannot be typed becomes `Any` (or bytes, or text) and a
reason on its operation, which the coverage report counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ._errors import SpecError
from ._loader import Resolver, check_version, escape_pointer_token, load_openapi
from ._model import (
    ANY,
    BYTES,
    NONE,
    STR,
    Api,
    Body,
    BodyKind,
    DictOf,
    EnumDef,
    EnumRef,
    Field,
    ListOf,
    ModelDef,
    ModelRef,
    Nullable,
    Operation,
    Parameter,
    Prim,
    ResponseDef,
    ResponseKind,
    SecurityScheme,
    TypeExpr,
    UnionOf,
    is_untyped,
)
from ._naming import NameRegistry, enum_member, pascal, safe_field, snake

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Names BaseDataService already uses: generated methods must not shadow them.
RESERVED_METHODS = frozenset(
    {
        "list_items",
        "get_item_metadata",
        "iter_items",
        "iter_pages",
        "list_items_sync",
        "get_item_metadata_sync",
        "iter_items_sync",
        "resource",
        "resources",
        "rate_limiter",
        "http",
        "config",
        "logger",
        "auth_service",
        # names the class body's annotations use (`-> list[m.Item]`): a method called `list`
        # or `m` would shadow them for type checkers
        "m",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "list",
        "dict",
    }
)
# Names a model's class body uses (annotations, `attrs.field`): a field must not shadow them.
CLASS_SCOPE_NAMES = frozenset(
    {"attrs", "m", "str", "int", "float", "bool", "bytes", "list", "dict", "frozenset"}
)
_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def media_kind(content_type: str) -> str:
    """How a body of this media type is handled: json, form, multipart, text or bytes."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith(("+json", "/json")):
        return "json"
    if media in ("*/*", "application/*"):
        return "json"  # APIs that say "anything" answer JSON; decoding falls back to text
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media.startswith("multipart/"):
        return "multipart"
    if media.startswith("text/") or media in ("application/xml", "application/javascript"):
        return "text"
    return "bytes"


def _pick_media(content: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The media type we will use from a content map: JSON first, then the first listed."""
    if not content:
        return None
    ranked = sorted(
        content.items(),
        key=lambda item: {"json": 0, "form": 1, "multipart": 2, "text": 3, "bytes": 4}[
            media_kind(item[0])
        ],
    )
    return ranked[0]


class SchemaBuilder:
    """Turns schemas into type expressions, declaring models and enums as it goes."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._by_target: dict[str, TypeExpr] = {}
        # Targets being built right now. A model is cached before its fields, so recursion
        # through a model ends at its name; recursion through an alias (a union or an array
        # that contains itself) ends here, as Any: a JSON value of that shape.
        self._building: set[str] = set()
        self._class_names = NameRegistry()
        self._module_names = NameRegistry({"_base"})
        self.models: dict[str, ModelDef] = {}
        self.enums: dict[str, EnumDef] = {}
        self.problems: list[str] = []

    # names

    def _declare(self, hint: str) -> tuple[str, str]:
        name = self._class_names.claim(pascal(hint))
        module = self._module_names.claim(f"_{snake(name)}")
        return name, module

    # entry points

    def type_of(self, schema: Any, base: str, hint: str, pointer: str) -> TypeExpr:
        try:
            return self._type_of(schema, base, hint, pointer)
        except SpecError as exc:
            self.problems.append(str(exc))
            return ANY
        except RecursionError:
            self.problems.append(f"{pointer}: schema nested too deeply")
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
        nullable = bool(schema.get("nullable"))
        types = schema.get("type")
        if isinstance(types, list):  # OpenAPI 3.1: type arrays
            nullable = nullable or "null" in types
            types = [t for t in types if t != "null"]
            if len(types) == 1:
                types = types[0]
            elif not types:
                types = None
        result = self._build_inner(schema, types, base, hint, pointer, target)
        if nullable and result != NONE and not isinstance(result, Nullable):
            return Nullable(result)
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
            return UnionOf(options)
        if types == "array" or (types is None and "items" in schema):
            item = self.type_of(schema.get("items", True), base, f"{hint}Item", f"{pointer}/items")
            result: TypeExpr = ListOf(item)
            if target is not None:
                self._by_target[target] = result
            return result
        if types == "object" or (
            types is None and ("properties" in schema or "additionalProperties" in schema)
        ):
            return self._object(schema, base, hint, pointer, target)
        if isinstance(types, str):
            if types in _PRIMITIVES:
                if types == "string" and schema.get("format") == "binary":
                    return STR
                return Prim(_PRIMITIVES[types])
            if types == "null":
                return NONE
            raise SpecError(f"unknown schema type {types!r}", pointer=pointer)
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
                return DictOf(ANY) if target is None else self._store(target, DictOf(ANY))
            value = (
                ANY
                if additional in (True, None, {})
                else self.type_of(
                    additional, base, f"{hint}Value", f"{pointer}/additionalProperties"
                )
            )
            return self._store(target, DictOf(value))
        return self._model(
            hint,
            pointer,
            target,
            parts=[(schema, base, pointer)],
        )

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
        return parts

    def _all_of(
        self, schema: dict[str, Any], base: str, hint: str, pointer: str, target: str | None
    ) -> TypeExpr:
        members = [m for m in schema["allOf"] if m not in ({}, True)]
        own_props = bool(schema.get("properties"))
        if len(members) == 1 and not own_props:
            only = self.type_of(members[0], base, hint, f"{pointer}/allOf/0")
            return self._store(target, only)
        parts = self._collect(schema, base, pointer, {target} if target else set())
        if not parts:
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
    ) -> TypeExpr:
        # Branches that only add constraints ({"required": [...]}) describe no type of
        # their own: the schema's own properties are the type.
        branches = [b for b in schema[key] if not _constraint_only(b)]
        if not branches:
            own = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
            return self._build(own, base, hint, pointer, target=target)
        options: list[TypeExpr] = []
        for index, branch in enumerate(branches):
            option = self.type_of(
                branch, base, f"{hint}Option{index + 1}", f"{pointer}/{key}/{index}"
            )
            if option not in options:
                options.append(option)
        if schema.get("properties"):
            # Properties beside oneOf: the common part; keep it as its own model option.
            own = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
            options.insert(
                0, self._model(f"{hint}Common", pointer, None, parts=[(own, base, pointer)])
            )
        nullable = NONE in options
        options = [o for o in options if o != NONE]
        if not options:
            return self._store(target, NONE)
        if len(options) == 1:
            single = options[0]
            return self._store(target, Nullable(single) if nullable else single)
        discriminator = schema.get("discriminator")
        prop: str | None = None
        mapping: tuple[tuple[str, str], ...] = ()
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            prop = discriminator["propertyName"]
            pairs: list[tuple[str, str]] = []
            for value, ref in sorted((discriminator.get("mapping") or {}).items()):
                mapped = (
                    self._referenced({"$ref": ref}, base, pointer) if isinstance(ref, str) else None
                )
                if isinstance(mapped, ModelRef):
                    pairs.append((str(value), mapped.name))
            if not pairs:
                for option in options:
                    if isinstance(option, ModelRef):
                        pairs.append((option.name, option.name))
            mapping = tuple(pairs)
        result: TypeExpr = UnionOf(tuple(options), prop, mapping)
        return self._store(target, Nullable(result) if nullable else result)

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
    ) -> TypeExpr:
        name, module = self._declare(hint)
        ref = ModelRef(name, module)
        if target is not None:
            self._by_target[target] = ref  # before the fields: recursive schemas end here
        properties: dict[str, tuple[Any, str, str]] = {}
        required: set[str] = set()
        extra: TypeExpr | None = ANY
        for part, part_base, part_pointer in parts:
            for prop, prop_schema in (part.get("properties") or {}).items():
                # later parts override earlier ones (allOf overriding a property)
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
            prop_type = self.type_of(prop_schema, prop_base, f"{name}{pascal(prop)}", prop_pointer)
            resolved = prop_schema if isinstance(prop_schema, dict) else {}
            field_name = safe_field(prop)
            if field_name in CLASS_SCOPE_NAMES:
                field_name += "_"
            fields.append(
                Field(
                    json_name=prop,
                    name=field_names.claim(field_name),
                    type=prop_type,
                    required=prop in required,
                    read_only=bool(resolved.get("readOnly")),
                    write_only=bool(resolved.get("writeOnly")),
                )
            )
        # required fields first: attrs needs them before the defaulted ones
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
        renames: Mapping[str, str] | None = None,
    ) -> None:
        self.document = document
        self.resolver = resolver
        self.schemas = SchemaBuilder(resolver)
        self.include = include
        self.renames = dict(renames or {})
        self._method_names = NameRegistry(set(RESERVED_METHODS))

    def build(self) -> Api:
        openapi = check_version(self.document, self.resolver.root_key)
        operations: list[Operation] = []
        paths = self.document.get("paths") or {}
        base = self.resolver.root_key
        for path, raw_item in paths.items():
            try:
                item, _, item_base = self.resolver.deref(raw_item, base)
            except SpecError as exc:
                self.schemas.problems.append(str(exc))
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
            security_schemes=self._security(),
            schemas_total=schemas_total,
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

    def _claim_method(self, wanted: str) -> str:
        """A method name that is free together with its blocking twin ``<name>_sync``."""
        name, counter = wanted, 2
        while name in self._method_names or f"{name}_sync" in self._method_names:
            name, counter = f"{wanted}{counter}", counter + 1
        self._method_names.claim(f"{name}_sync")
        return self._method_names.claim(name)

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
        hint = pascal(operation_id)
        degraded: list[str] = []
        problems_before = len(self.schemas.problems)
        method_name = self._claim_method(self.renames.get(operation_id) or snake(operation_id))

        parameters: list[Parameter] = []
        # the generated method's own locals and module names must not be shadowed
        param_names = NameRegistry(
            {
                "self",
                "body",
                "data",
                "files",
                "content",
                "response",
                "payload",
                "result",
                "m",
                "_c",
                "UNSET",
                "Unset",
                "Any",
                "list",
                "dict",
                "str",
                "int",
                "float",
                "bool",
            }
        )
        try:
            raw_params = _merge_parameters(
                item.get("parameters"), raw.get("parameters"), self.resolver, base
            )
        except SpecError as exc:
            degraded.append(f"parameters: {exc}")
            raw_params = []
        for node, node_base, _ in raw_params:
            location = str(node["in"])
            if not str(node["name"]).strip():
                degraded.append(f"parameter in {location} without a name: left out")
                continue
            if location not in ("path", "query", "header", "cookie"):
                degraded.append(f"parameter {node['name']!r}: unknown location {location!r}")
                continue
            schema = node.get("schema")
            if schema is None and isinstance(node.get("content"), dict) and node["content"]:
                schema = next(iter(node["content"].values())).get("schema")
            param_type = self.schemas.type_of(
                schema, node_base, f"{hint}{pascal(str(node['name']))}", f"{pointer}/parameters"
            )
            style = node.get("style")
            explode = node.get("explode", style in (None, "form"))
            py_name = safe_field(str(node["name"]))
            parameters.append(
                Parameter(
                    name=str(node["name"]),
                    py_name=param_names.claim(
                        py_name if py_name not in param_names else f"{py_name}_"
                    ),
                    location=location,  # type: ignore[arg-type]
                    required=bool(node.get("required")) or location == "path",
                    type=param_type,
                    explode=bool(explode),
                    style=str(style) if style else None,
                )
            )
        # path parameters the template names but nobody declared: still required strings
        for segment in _path_params(path):
            if not any(p.location == "path" and p.name == segment for p in parameters):
                parameters.append(
                    Parameter(segment, param_names.claim(safe_field(segment)), "path", True, STR)
                )
        parameters.sort(key=lambda p: (not p.required, p.location != "path"))

        body = self._body(raw.get("requestBody"), base, hint, pointer, degraded)
        untyped: list[str] = []
        responses, success = self._responses(
            raw.get("responses"), base, hint, pointer, degraded, untyped
        )

        for problem in self.schemas.problems[problems_before:]:
            degraded.append(f"schema: {problem}")
        # What the spec itself leaves untyped (no schema, or one that allows any value) is
        # kept as parsed JSON and listed apart from the generator's own fallbacks.
        if not degraded:
            if body is not None and is_untyped(body.type) and body.kind == "json":
                untyped.append("request body: the spec gives no schema (sent as given)")
            if success.kind == "json" and is_untyped(success.type) and not untyped:
                untyped.append("response: the spec gives no schema (returned as parsed JSON)")
        summary = raw.get("summary")
        return Operation(
            operation_id=operation_id,
            method_name=method_name,
            http_method=method.upper(),
            path=path,
            summary=" ".join(str(summary).split()) if summary else None,
            parameters=tuple(parameters),
            body=body,
            success=success,
            responses=tuple(responses),
            deprecated=bool(raw.get("deprecated")),
            degraded=tuple(dict.fromkeys(degraded)),
            untyped=tuple(dict.fromkeys(untyped)),
        )

    def _body(
        self, raw: Any, base: str, hint: str, pointer: str, degraded: list[str]
    ) -> Body | None:
        if raw is None:
            return None
        try:
            node, _, node_base = self.resolver.deref(raw, base)
        except SpecError as exc:
            degraded.append(f"request body: {exc}")
            return Body("application/json", "json", ANY, False)
        if not isinstance(node, dict):
            return None
        picked = _pick_media(node.get("content") or {})
        if picked is None:
            return None
        content_type, media = picked
        kind: BodyKind = media_kind(content_type)  # type: ignore[assignment]
        schema = media.get("schema") if isinstance(media, dict) else None
        body_type: TypeExpr
        if kind == "json":
            body_type = self.schemas.type_of(
                schema, node_base, f"{hint}Body", f"{pointer}/requestBody"
            )
        elif kind in ("form", "multipart"):
            body_type = DictOf(ANY)
        elif kind == "text":
            body_type = STR
        else:
            body_type = BYTES
        return Body(content_type, kind, body_type, bool(node.get("required")))

    def _responses(
        self,
        raw: Any,
        base: str,
        hint: str,
        pointer: str,
        degraded: list[str],
        untyped: list[str],
    ) -> tuple[list[ResponseDef], ResponseDef]:
        no_content: set[str] = set()
        responses: list[ResponseDef] = []
        if not isinstance(raw, dict):
            raw = {}
        for status in sorted(raw, key=_status_rank):
            try:
                node, _, node_base = self.resolver.deref(raw[status], base)
            except SpecError as exc:
                degraded.append(f"response {status}: {exc}")
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
            response_kind: ResponseKind
            if kind == "json":
                response_kind = "json"
                schema = media.get("schema") if isinstance(media, dict) else None
                suffix = "" if str(status).startswith("2") else pascal(str(status))
                response_type = self.schemas.type_of(
                    schema, node_base, f"{hint}Response{suffix}", f"{pointer}/responses/{status}"
                )
            elif kind == "text":
                response_kind, response_type = "text", STR
            else:
                response_kind, response_type = "bytes", BYTES
            responses.append(ResponseDef(str(status), content_type, response_kind, response_type))
        success = next((r for r in responses if r.status.startswith("2")), None)
        if success is None and any(r.status.startswith("3") for r in responses):
            # Only a redirect is declared (downloads): the client follows it, and what it
            # gets there is a file.
            success = ResponseDef("200", "application/octet-stream", "bytes", BYTES)
        if success is None:
            success = next((r for r in responses if r.status == "default"), None)
        if success is None:
            success = ResponseDef("200", None, "json", ANY)
            if not responses:
                untyped.append("response: the spec declares no response (returned as parsed JSON)")
        elif success.status in no_content:
            untyped.append(
                f"response {success.status}: the spec declares no content (returned as parsed JSON)"
            )
        return responses, success


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
    renames: Mapping[str, str] | None = None,
) -> Api:
    """Read the spec at `path` and build its model."""
    document, _ = load_openapi(path)
    resolver = Resolver(document, path)
    return ApiBuilder(document, resolver, include=include, renames=renames).build()
