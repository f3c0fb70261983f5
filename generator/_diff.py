"""Compares two versions of an OpenAPI document: every change, breaking or not, by JSON pointer.

`diff_files(old, new)` loads both files (JSON or YAML; Swagger 2.0 is converted to OpenAPI 3
first, so its pointers are those of the converted document) and returns a `SpecDiff`;
`_diff_render` prints it. docs/diff.md explains the report to its readers.

Operations are matched by method and path template with the path-parameter names left
out, so renaming ``{id}`` to ``{user_id}`` is a parameter rename, not a removed operation.

Each side is judged in its own direction. A request change breaks *callers* when it
rejects what they could send before; a response change breaks *readers* when it can
return what they could not receive before:

==============================  =========================  ==========================
change                          request (callers)          response (readers)
==============================  =========================  ==========================
property/parameter removed      breaking                   breaking
property/parameter added        breaking if required       not breaking
made required                   breaking                   not breaking
made optional                   not breaking               breaking
nullable added / removed        not breaking / breaking    breaking / not breaking
enum value added / removed      not breaking / breaking    breaking / not breaking
enum limit added / removed      breaking / not breaking    not breaking / breaking
type changed                    breaking unless widened    breaking unless narrowed
format changed                  breaking unless dropped    breaking unless added
oneOf/anyOf branch added        not breaking               breaking
oneOf/anyOf branch removed      breaking                   not breaking
content type removed / added    breaking / not breaking    breaking / not breaking
==============================  =========================  ==========================

Also breaking: an operation removed or its operationId changed (the generated method is
named after it); a parameter renamed, moved, or given another style or explode; a request
body removed, or added or made required; a success (2xx) status added or removed; a
component schema removed (its generated model class goes away); a security scheme removed
or changed, a flow or scope removed, a security requirement removed or one added where
none was needed; a server removed or the default (first) server changed. Everything else
is reported as not breaking.

`$ref`s are followed. Two compared schemas form one node of a graph keyed by both
canonical locations and the direction, so a change inside a shared component is found
once, at the component's own pointer, and lists every operation that reaches it in that
direction. A schema used by requests and by responses gets one change per direction, each
judged by its own rule. Recursive schemas terminate: each pair is compared once, whatever
the cycles. allOf members are merged before comparison; oneOf/anyOf branches are matched
by component name, inline ones by type.

Why our own code: the Python OpenAPI diff packages are small and little used, and none
judges requests and responses in their own directions the way a generated connector's
callers meet them; the widely used tool for this is a Go program, not a library.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ._diff_render import (
    Change,
    ChangeKind,
    Direction,
    FailOn,
    PointerIn,
    SpecDiff,
    describe,
    exit_status,
    render_json,
    render_markdown,
    render_text,
    show_values,
)
from ._errors import SpecError
from ._loader import Resolver, escape_pointer_token, load_openapi
from ._parse import HTTP_METHODS, _constraint_only

__all__ = [
    "Change",
    "ChangeKind",
    "Direction",
    "FailOn",
    "SpecDiff",
    "diff_documents",
    "diff_files",
    "exit_status",
    "render_json",
    "render_markdown",
    "render_text",
]

K = ChangeKind
REQUEST = Direction.REQUEST
RESPONSE = Direction.RESPONSE

# (document key, JSON pointer): where a node lives; the key tells external files apart.
Loc = tuple[str, str]
Role = Literal["schema", "property", "parameter"]
# One comparison of two schemas: both canonical locations, the direction, the node's role.
UnitKey = tuple[Loc, Loc, Direction, Role]
Requirement = tuple[tuple[str, tuple[str, ...]], ...]

_TEMPLATE_NAME = re.compile(r"\{[^}/]*\}")
_COMPONENT_SCHEMA = re.compile(r"^/components/schemas/([^/]+)$")
# Keys that describe a schema to people and never change what it accepts.
_PROSE_KEYS = frozenset({"description", "summary", "title", "example", "examples", "externalDocs"})
_TYPE_KIND: dict[Role, ChangeKind] = {
    "schema": K.SCHEMA_TYPE_CHANGED,
    "property": K.PROPERTY_TYPE_CHANGED,
    "parameter": K.PARAMETER_TYPE_CHANGED,
}


def diff_files(old: Path, new: Path) -> SpecDiff:
    """Every change from the spec at `old` to the one at `new`.

    Raises `SpecError`, naming the file, when either is unreadable or not OpenAPI.
    """
    old_document, _ = load_openapi(old)
    new_document, _ = load_openapi(new)
    return diff_documents(
        old_document,
        new_document,
        old_path=old,
        new_path=new,
        old_source=str(old),
        new_source=str(new),
    )


def diff_documents(
    old: Any,
    new: Any,
    *,
    old_path: Path | None = None,
    new_path: Path | None = None,
    old_source: str = "old",
    new_source: str = "new",
) -> SpecDiff:
    """Every change between two loaded OpenAPI 3 documents; paths locate external refs."""
    differ = _Differ(_Document(old, old_path), _Document(new, new_path))
    return SpecDiff(old_source=old_source, new_source=new_source, changes=differ.run())


def _child(loc: Loc, *tokens: str | int) -> Loc:
    return loc[0], loc[1] + "".join(f"/{escape_pointer_token(str(t))}" for t in tokens)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _component_name(loc: Loc) -> str | None:
    named = _COMPONENT_SCHEMA.match(loc[1])
    return named.group(1).replace("~1", "/").replace("~0", "~") if named else None


class _Document:
    """One side of the comparison: the document, its resolver, its pointers for display."""

    def __init__(self, document: Any, path: Path | None) -> None:
        self.root: Mapping[str, Any] = _mapping(document)
        self.resolver = Resolver(self.root, path)
        self.key = self.resolver.root_key
        self._folder = path.resolve().parent if path else None

    def resolve(self, node: Any, loc: Loc) -> tuple[Any, Loc, bool]:
        """`node` with its ``$ref`` chain followed, its canonical location, whether it was."""
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node, loc, False
        try:
            resolved, target, _ = self.resolver.deref(node, loc[0])
        except SpecError:
            # A reference to nothing (a missing target, a loop of bare $refs) constrains
            # nothing anyone can check: it is left as written, like the generator does.
            return node, loc, False
        key, _, pointer = (target or "").partition("#")
        return resolved, (key, pointer), True

    def display(self, loc: Loc) -> str:
        key, pointer = loc
        if key == self.key:
            return pointer
        name = Path(key)
        if self._folder is not None and name.is_relative_to(self._folder):
            name = name.relative_to(self._folder)
        return f"{name.as_posix()}#{pointer}"


class _Found(NamedTuple):
    """A change before the operations that reach it are known."""

    kind: ChangeKind
    breaking: bool
    pointer: str
    pointer_in: PointerIn
    message: str
    direction: Direction | None
    old: Any
    new: Any


class _Unit:
    """One compared pair of schemas: its own changes and the pairs it leads to."""

    __slots__ = ("changes", "children", "operations")

    def __init__(self) -> None:
        self.changes: list[tuple[_Found, Iterable[str]]] = []
        self.children: set[UnitKey] = set()
        self.operations: set[str] = set()


class _Operation(NamedTuple):
    path: str
    method: str
    node: Mapping[str, Any]
    loc: Loc
    item: Mapping[str, Any]
    item_loc: Loc

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


class _Parameter(NamedTuple):
    name: str
    location: str
    node: Mapping[str, Any]
    loc: Loc  # canonical: a shared parameter's own pointer
    entry: Loc  # where the operation lists it

    @property
    def title(self) -> str:
        return f"{self.location} parameter '{self.name}'"

    @property
    def required(self) -> bool:
        return self.location == "path" or self.node.get("required") is True

    @property
    def style(self) -> str:
        style = self.node.get("style")
        return str(style) if style else "form" if self.location in ("query", "cookie") else "simple"

    @property
    def explode(self) -> bool:
        explode = self.node.get("explode")
        return bool(explode) if explode is not None else self.style == "form"

    def schema(self) -> tuple[Any, Loc] | None:
        if "schema" in self.node:
            return self.node["schema"], _child(self.loc, "schema")
        for media, content in _mapping(self.node.get("content")).items():
            if isinstance(content, dict) and "schema" in content:
                return content["schema"], _child(self.loc, "content", media, "schema")
        return None


class _View:
    """What a schema accepts, with its allOf members merged in."""

    __slots__ = (
        "additional",
        "branches",
        "composite",
        "enum",
        "format",
        "items",
        "nullable",
        "properties",
        "required",
        "types",
    )

    def __init__(self) -> None:
        self.types: frozenset[str] | None = None
        self.format: str | None = None
        self.nullable = False
        self.enum: dict[str, Any] | None = None
        self.properties: dict[str, tuple[Any, Loc]] = {}
        self.required: set[str] = set()
        self.items: tuple[Any, Loc] | None = None
        self.additional: tuple[Any, Loc] | None = None
        self.composite: str | None = None
        self.branches: list[tuple[Any, Loc]] = []

    @property
    def type_label(self) -> str:
        return " | ".join(sorted(self.types)) if self.types else "any"


def _view(document: _Document, node: Any, loc: Loc, seen: frozenset[Loc]) -> _View:
    view = _View()
    if not isinstance(node, dict):
        return view
    declared = node.get("type")
    types = {declared} if isinstance(declared, str) else {str(t) for t in declared or ()}
    view.nullable = node.get("nullable") is True or ("null" in types and len(types) > 1)
    if len(types) > 1:
        types.discard("null")
    view.format = node.get("format") if isinstance(node.get("format"), str) else None
    if "const" in node:
        view.enum = {_canonical(node["const"]): node["const"]}
    elif isinstance(node.get("enum"), list):
        view.enum = {_canonical(v): v for v in node["enum"]}
    for name, raw in _mapping(node.get("properties")).items():
        view.properties[str(name)] = (raw, _child(loc, "properties", name))
    if isinstance(node.get("required"), list):
        view.required = {r for r in node["required"] if isinstance(r, str)}
    if isinstance(node.get("items"), dict):
        view.items = (node["items"], _child(loc, "items"))
    if isinstance(node.get("additionalProperties"), dict):
        view.additional = (node["additionalProperties"], _child(loc, "additionalProperties"))
    for keyword in ("oneOf", "anyOf"):
        for index, branch in enumerate(node.get(keyword) or ()):
            if isinstance(branch, dict) and branch.get("type") == "null":
                view.nullable = True  # how OpenAPI 3.1 often spells "nullable"
            # a branch that only adds constraints (e.g. which properties are required)
            # is no alternative type: the generator leaves it out too
            elif not _constraint_only(branch):
                view.branches.append((branch, _child(loc, keyword, index)))
        if view.branches:
            view.composite = keyword
            break
    merged: set[str] | None = types or None
    for index, member in enumerate(node.get("allOf") or ()):
        member_node, member_loc, _ = document.resolve(member, _child(loc, "allOf", index))
        if member_loc in seen:  # a member that includes itself adds nothing
            continue
        part = _view(document, member_node, member_loc, seen | {member_loc})
        if part.types:
            merged = set(part.types) if merged is None else merged & part.types
        view.format = view.format or part.format
        view.enum = view.enum if view.enum is not None else part.enum
        for name, entry in part.properties.items():
            view.properties.setdefault(name, entry)
        view.required |= part.required
        view.items = view.items or part.items
        view.additional = view.additional or part.additional
        if view.composite is None and part.composite:
            view.composite, view.branches = part.composite, part.branches
    if not merged and view.composite is None:
        merged = {"object"} if view.properties or view.additional else None
        merged = {"array"} if view.items and not merged else merged
    view.types = frozenset(merged) if merged else None
    return view


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    """Whether every value of type `narrow` is also of type `wide` (None: any value)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _strip_prose(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_prose(v)
            for k, v in value.items()
            if k not in _PROSE_KEYS and not str(k).startswith("x-")
        }
    if isinstance(value, list):
        return [_strip_prose(v) for v in value]
    return value


def _requirements(value: Any) -> set[Requirement]:
    """Security requirements as sets of (scheme, scopes): any one of them lets a caller in."""
    return {
        tuple(sorted((str(k), tuple(sorted(map(str, v or ())))) for k, v in r.items()))
        for r in (value if isinstance(value, list) else ())
        if isinstance(r, dict)
    }


def _requirement_label(requirement: Requirement) -> str:
    parts = [f"{name}[{', '.join(scopes)}]" if scopes else name for name, scopes in requirement]
    return " & ".join(parts) or "anonymous"


def _which(required: bool) -> str:
    return "required" if required else "optional"


class _Recorder:
    """Turns what was found into `_Found` records for some operations in one direction."""

    def __init__(
        self,
        old: _Document,
        new: _Document,
        sink: list[tuple[_Found, Iterable[str]]],
        ops: Iterable[str],
        direction: Direction | None,
        **facts: Any,
    ) -> None:
        self.old, self.new, self.sink = old, new, sink
        self.ops, self.direction, self.facts = ops, direction, facts

    def changed(
        self,
        kind: ChangeKind,
        breaking: bool,
        loc: Loc,
        *,
        old: Any = None,
        new: Any = None,
        **facts: Any,
    ) -> None:
        """An addition or a change: `loc` is in the new document."""
        self._add(kind, breaking, self.new.display(loc), "new", old, new, facts)

    def gone(
        self,
        kind: ChangeKind,
        breaking: bool,
        loc: Loc,
        *,
        old: Any = None,
        new: Any = None,
        **facts: Any,
    ) -> None:
        """A removal: `loc` is in the old document."""
        self._add(kind, breaking, self.old.display(loc), "old", old, new, facts)

    def _add(
        self,
        kind: ChangeKind,
        breaking: bool,
        pointer: str,
        pointer_in: PointerIn,
        old: Any,
        new: Any,
        facts: dict[str, Any],
    ) -> None:
        message = describe(kind, old=old, new=new, **{**self.facts, **facts})
        found = _Found(kind, breaking, pointer, pointer_in, message, self.direction, old, new)
        self.sink.append((found, self.ops))


class _Differ:
    """Walks both documents once and collects every change."""

    def __init__(self, old: _Document, new: _Document) -> None:
        self.old = old
        self.new = new
        self.units: dict[UnitKey, _Unit] = {}
        self.pending: list[tuple[UnitKey, Any, Any, str]] = []
        self.roots: dict[str, set[UnitKey]] = defaultdict(set)
        self.found: list[tuple[_Found, Iterable[str]]] = []

    def run(self) -> tuple[Change, ...]:
        self._paths()
        while self.pending:
            self._compare_schemas(*self.pending.pop())
        self._components()
        self._servers()
        old_security, new_security = self.old.root.get("security"), self.new.root.get("security")
        old_at, new_at = (self.old.key, "/security"), (self.new.key, "/security")
        self._security(old_security, old_at, new_security, new_at, self._recorder(()))
        return self._collect()

    def _recorder(self, ops: tuple[str, ...], direction: Direction | None = None) -> _Recorder:
        return _Recorder(self.old, self.new, self.found, ops, direction)

    # -- operations ----------------------------------------------------------------------

    def _operations(self, document: _Document) -> dict[tuple[str, str], _Operation]:
        result: dict[tuple[str, str], _Operation] = {}
        for path, raw_item in _mapping(document.root.get("paths")).items():
            path = str(path)
            node, item_loc, _ = document.resolve(raw_item, _child((document.key, "/paths"), path))
            item = _mapping(node)
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    loc = _child(item_loc, method)
                    key = (method.upper(), _TEMPLATE_NAME.sub("{}", path))
                    key = key if key not in result else (method.upper(), path)
                    result[key] = _Operation(path, method, item[method], loc, item, item_loc)
        return result

    def _paths(self) -> None:
        old_ops, new_ops = self._operations(self.old), self._operations(self.new)
        for key in sorted(old_ops.keys() - new_ops.keys()):
            op = old_ops[key]
            self._recorder((op.label,)).gone(K.OPERATION_REMOVED, True, op.loc, operation=op.label)
        for key in sorted(new_ops.keys() - old_ops.keys()):
            op = new_ops[key]
            self._recorder((op.label,)).changed(
                K.OPERATION_ADDED, False, op.loc, operation=op.label
            )
        for key in sorted(old_ops.keys() & new_ops.keys()):
            self._operation(old_ops[key], new_ops[key])

    def _operation(self, old: _Operation, new: _Operation) -> None:
        record = self._recorder((new.label,))
        old_id, new_id = old.node.get("operationId"), new.node.get("operationId")
        if old_id != new_id:
            at = _child(new.loc, "operationId")
            kind = K.OPERATION_ID_CHANGED
            record.changed(kind, True, at, old=old_id, new=new_id, operation=new.label)
        if new.node.get("deprecated") is True and old.node.get("deprecated") is not True:
            at = _child(new.loc, "deprecated")
            kind = K.OPERATION_DEPRECATED
            record.changed(kind, False, at, old=False, new=True, operation=new.label)
        self._parameters(old, new)
        self._request_body(old, new)
        self._responses(old, new)
        if "security" in old.node or "security" in new.node:
            old_security = old.node.get("security", self.old.root.get("security"))
            new_security = new.node.get("security", self.new.root.get("security"))
            old_at, new_at = _child(old.loc, "security"), _child(new.loc, "security")
            where = f" for {new.label}"
            self._security(old_security, old_at, new_security, new_at, record, where)

    # -- parameters ----------------------------------------------------------------------

    @staticmethod
    def _effective_parameters(
        document: _Document, op: _Operation
    ) -> dict[tuple[str, str], _Parameter]:
        """Path-level parameters overridden by the operation's own, by location and name."""
        result: dict[tuple[str, str], _Parameter] = {}
        for holder, holder_loc in ((op.item, op.item_loc), (op.node, op.loc)):
            listed = holder.get("parameters")
            for index, raw in enumerate(listed if isinstance(listed, list) else ()):
                entry = _child(holder_loc, "parameters", index)
                node, loc, _ = document.resolve(raw, entry)
                name, location = _mapping(node).get("name"), _mapping(node).get("in")
                if isinstance(name, str) and isinstance(location, str):
                    # header names are case-insensitive on the wire
                    key = (location, name.lower() if location == "header" else name)
                    result[key] = _Parameter(name, location, node, loc, entry)
        return result

    @staticmethod
    def _signature(document: _Document, parameter: _Parameter) -> tuple[str, str]:
        found = parameter.schema()
        schema = document.resolve(*found)[0] if found else {}
        return parameter.location, _canonical(_strip_prose(schema))

    def _parameters(self, old_op: _Operation, new_op: _Operation) -> None:
        record = self._recorder((new_op.label,), REQUEST)
        old = self._effective_parameters(self.old, old_op)
        new = self._effective_parameters(self.new, new_op)
        for key in sorted(old.keys() & new.keys()):
            self._parameter(old[key], new[key], new_op.label, record)
        removed = [old[k] for k in sorted(old.keys() - new.keys())]
        added = [new[k] for k in sorted(new.keys() - old.keys())]
        for gone in list(removed):
            moved = [p for p in added if p.name.lower() == gone.name.lower()]
            if len(moved) == 1:
                came, kind = moved[0], K.PARAMETER_LOCATION_CHANGED
                record.changed(
                    kind, True, came.entry, old=gone.location, new=came.location, name=came.name
                )
                removed.remove(gone)
                added.remove(came)
        # A rename: the only parameter removed and the only one added with one location
        # and schema; with more candidates than that, which is which would be a guess.
        gone_by: dict[tuple[str, str], list[_Parameter]] = defaultdict(list)
        came_by: dict[tuple[str, str], list[_Parameter]] = defaultdict(list)
        for p in removed:
            gone_by[self._signature(self.old, p)].append(p)
        for p in added:
            came_by[self._signature(self.new, p)].append(p)
        for signature, gone_list in gone_by.items():
            came_list = came_by.get(signature, [])
            if len(gone_list) == 1 and len(came_list) == 1:
                gone, came, kind = gone_list[0], came_list[0], K.PARAMETER_RENAMED
                record.changed(
                    kind, True, came.entry, old=gone.name, new=came.name, subject=gone.title
                )
                removed.remove(gone)
                added.remove(came)
        for gone in removed:
            record.gone(K.PARAMETER_REMOVED, True, gone.entry, old=gone.name, subject=gone.title)
        for came in added:
            facts = {"new": came.name, "subject": came.title, "which": _which(came.required)}
            record.changed(K.PARAMETER_ADDED, came.required, came.entry, **facts)

    def _parameter(self, old: _Parameter, new: _Parameter, label: str, record: _Recorder) -> None:
        subject = new.title
        if old.required != new.required:
            kind = K.PARAMETER_REQUIRED if new.required else K.PARAMETER_OPTIONAL
            record.changed(
                kind, new.required, new.loc, old=old.required, new=new.required, subject=subject
            )
        if old.style != new.style:
            kind = K.PARAMETER_STYLE_CHANGED
            record.changed(kind, True, new.loc, old=old.style, new=new.style, subject=subject)
        if old.explode != new.explode:
            facts = {"subject": subject, "now": "now" if new.explode else "no longer"}
            kind = K.PARAMETER_EXPLODE_CHANGED
            record.changed(kind, True, new.loc, old=old.explode, new=new.explode, **facts)
        old_schema, new_schema = old.schema(), new.schema()
        if old_schema is not None and new_schema is not None:
            key = self._schema_pair(old_schema, new_schema, REQUEST, "parameter", subject)
            self.roots[label].add(key)

    # -- bodies and responses ------------------------------------------------------------

    def _request_body(self, old_op: _Operation, new_op: _Operation) -> None:
        record = self._recorder((new_op.label,), REQUEST)
        old_raw, new_raw = old_op.node.get("requestBody"), new_op.node.get("requestBody")
        old_at, new_at = _child(old_op.loc, "requestBody"), _child(new_op.loc, "requestBody")
        if old_raw is None and new_raw is not None:
            required = _mapping(self.new.resolve(new_raw, new_at)[0]).get("required") is True
            record.changed(K.REQUEST_BODY_ADDED, required, new_at, which=_which(required))
        elif old_raw is not None and new_raw is None:
            record.gone(K.REQUEST_BODY_REMOVED, True, old_at)
        elif old_raw is not None and new_raw is not None:
            old_node, old_loc, _ = self.old.resolve(old_raw, old_at)
            new_node, new_loc, _ = self.new.resolve(new_raw, new_at)
            was = _mapping(old_node).get("required") is True
            now = _mapping(new_node).get("required") is True
            if was != now:
                kind = K.REQUEST_BODY_REQUIRED if now else K.REQUEST_BODY_OPTIONAL
                record.changed(kind, now, new_loc, old=was, new=now)
            old_body, new_body = (old_node, old_loc), (new_node, new_loc)
            self._content(old_body, new_body, record, "the request body", new_op.label)

    def _content(
        self,
        old: tuple[Any, Loc],
        new: tuple[Any, Loc],
        record: _Recorder,
        subject: str,
        label: str,
    ) -> None:
        (old_node, old_loc), (new_node, new_loc) = old, new
        old_content = _mapping(_mapping(old_node).get("content"))
        new_content = _mapping(_mapping(new_node).get("content"))
        old_types = {str(k).lower(): k for k in old_content}
        new_types = {str(k).lower(): k for k in new_content}
        request = record.direction is REQUEST
        removed_kind = (
            K.REQUEST_CONTENT_TYPE_REMOVED if request else K.RESPONSE_CONTENT_TYPE_REMOVED
        )
        added_kind = K.REQUEST_CONTENT_TYPE_ADDED if request else K.RESPONSE_CONTENT_TYPE_ADDED
        for media in sorted(old_types.keys() - new_types.keys()):
            at = _child(old_loc, "content", old_types[media])
            record.gone(removed_kind, True, at, old=media, subject=subject)
        for media in sorted(new_types.keys() - old_types.keys()):
            at = _child(new_loc, "content", new_types[media])
            record.changed(added_kind, False, at, new=media, subject=subject)
        for media in sorted(old_types.keys() & new_types.keys()):
            old_media = _mapping(old_content[old_types[media]])
            new_media = _mapping(new_content[new_types[media]])
            if "schema" in old_media and "schema" in new_media:
                old_at = _child(old_loc, "content", old_types[media], "schema")
                new_at = _child(new_loc, "content", new_types[media], "schema")
                direction = REQUEST if request else RESPONSE
                pair = (old_media["schema"], old_at), (new_media["schema"], new_at)
                self.roots[label].add(self._schema_pair(*pair, direction, "schema", subject))

    def _responses(self, old_op: _Operation, new_op: _Operation) -> None:
        record = self._recorder((new_op.label,), RESPONSE)
        old_responses = _mapping(old_op.node.get("responses"))
        new_responses = _mapping(new_op.node.get("responses"))
        # "2XX" and "2xx" are one status range
        old_codes = {str(k).upper(): k for k in old_responses}
        new_codes = {str(k).upper(): k for k in new_responses}
        old_loc, new_loc = _child(old_op.loc, "responses"), _child(new_op.loc, "responses")
        for code in sorted(old_codes.keys() - new_codes.keys()):
            at, status = _child(old_loc, old_codes[code]), str(old_codes[code])
            record.gone(K.RESPONSE_STATUS_REMOVED, code.startswith("2"), at, old=status)
        for code in sorted(new_codes.keys() - old_codes.keys()):
            at, status = _child(new_loc, new_codes[code]), str(new_codes[code])
            record.changed(K.RESPONSE_STATUS_ADDED, code.startswith("2"), at, new=status)
        for code in sorted(old_codes.keys() & new_codes.keys()):
            old_raw, new_raw = old_responses[old_codes[code]], new_responses[new_codes[code]]
            old = self.old.resolve(old_raw, _child(old_loc, old_codes[code]))
            new = self.new.resolve(new_raw, _child(new_loc, new_codes[code]))
            subject = f"response {new_codes[code]}"
            self._content(old[:2], new[:2], record, subject, new_op.label)

    # -- schemas -------------------------------------------------------------------------

    def _schema_pair(
        self,
        old: tuple[Any, Loc],
        new: tuple[Any, Loc],
        direction: Direction,
        role: Role,
        subject: str,
    ) -> UnitKey:
        """The comparison of two schemas, queued the first time it is asked for."""
        old_node, old_loc, old_ref = self.old.resolve(*old)
        new_node, new_loc, new_ref = self.new.resolve(*new)
        if old_ref or new_ref:  # reported at the referenced schema, whoever refers to it
            role = "schema"
            name = _component_name(new_loc)
            subject = f"schema '{name}'" if name else f"the schema at {self.new.display(new_loc)}"
        key: UnitKey = (old_loc, new_loc, direction, role)
        if key not in self.units:
            self.units[key] = _Unit()
            self.pending.append((key, old_node, new_node, subject))
        return key

    def _compare_schemas(self, key: UnitKey, old_node: Any, new_node: Any, subject: str) -> None:
        old_loc, new_loc, direction, role = key
        unit = self.units[key]
        request = direction is REQUEST
        # unit.operations is still empty: `_reach` fills it in before `_collect` reads it
        record = _Recorder(
            self.old, self.new, unit.changes, unit.operations, direction, subject=subject
        )
        old = _view(self.old, old_node, old_loc, frozenset({old_loc}))
        new = _view(self.new, new_node, new_loc, frozenset({new_loc}))

        def follow(
            old_pair: tuple[Any, Loc], new_pair: tuple[Any, Loc], role: Role, text: str
        ) -> None:
            unit.children.add(self._schema_pair(old_pair, new_pair, direction, role, text))

        if old.composite is None and new.composite is None and old.types != new.types:
            widened, narrowed = _covers(new.types, old.types), _covers(old.types, new.types)
            breaking = not widened if request else not narrowed
            record.changed(
                _TYPE_KIND[role], breaking, new_loc, old=old.type_label, new=new.type_label
            )
        if old.format != new.format:
            breaking = new.format is not None if request else old.format is not None
            record.changed(K.FORMAT_CHANGED, breaking, new_loc, old=old.format, new=new.format)
        if old.nullable != new.nullable:
            kind = K.NULLABLE_ADDED if new.nullable else K.NULLABLE_REMOVED
            breaking = new.nullable != request
            record.changed(kind, breaking, new_loc, old=old.nullable, new=new.nullable)
        self._compare_enums(old, new, request, record, new_loc)
        self._compare_properties(old, new, request, record, follow, subject)
        if old.items and new.items:
            follow(old.items, new.items, "schema", f"the items of {subject}")
        if old.additional and new.additional:
            follow(old.additional, new.additional, "schema", f"the values of {subject}")
        if old.composite or new.composite:
            # a plain schema facing a oneOf/anyOf is compared as a union of one branch
            old_listed = old.branches if old.composite else [(old_node, old_loc)]
            new_listed = new.branches if new.composite else [(new_node, new_loc)]
            old_branches = self._branches(self.old, old_listed)
            new_branches = self._branches(self.new, new_listed)
            for name in sorted(old_branches.keys() - new_branches.keys()):
                record.gone(K.BRANCH_REMOVED, request, old_branches[name][1], old=name)
            for name in sorted(new_branches.keys() - old_branches.keys()):
                record.changed(K.BRANCH_ADDED, not request, new_branches[name][1], new=name)
            for name in sorted(old_branches.keys() & new_branches.keys()):
                pair = old_branches[name], new_branches[name]
                if (pair[0][1], pair[1][1]) != (old_loc, new_loc):
                    follow(*pair, "schema", f"branch {name} of {subject}")

    @staticmethod
    def _compare_enums(old: _View, new: _View, request: bool, record: _Recorder, at: Loc) -> None:
        if old.enum is None and new.enum is not None:
            came = tuple(new.enum.values())
            record.changed(K.ENUM_CONSTRAINT_ADDED, request, at, new=came, values=show_values(came))
        elif old.enum is not None and new.enum is None:
            record.changed(K.ENUM_CONSTRAINT_REMOVED, not request, at, old=tuple(old.enum.values()))
        elif old.enum is not None and new.enum is not None:
            if gone := tuple(v for k, v in old.enum.items() if k not in new.enum):
                record.changed(
                    K.ENUM_VALUE_REMOVED, request, at, old=gone, values=show_values(gone)
                )
            if came := tuple(v for k, v in new.enum.items() if k not in old.enum):
                record.changed(
                    K.ENUM_VALUE_ADDED, not request, at, new=came, values=show_values(came)
                )

    def _compare_properties(
        self,
        old: _View,
        new: _View,
        request: bool,
        record: _Recorder,
        follow: Callable[[tuple[Any, Loc], tuple[Any, Loc], Role, str], None],
        subject: str,
    ) -> None:
        # Requests never carry readOnly properties, responses never carry writeOnly ones.
        hidden = "readOnly" if request else "writeOnly"
        for name in sorted(old.properties.keys() | new.properties.keys()):
            old_entry, new_entry = old.properties.get(name), new.properties.get(name)
            old_hidden = old_entry is None or self._flag(self.old, old_entry, hidden)
            new_hidden = new_entry is None or self._flag(self.new, new_entry, hidden)
            if old_hidden and new_hidden:
                continue
            if old_entry is not None and new_entry is not None:
                was, now = name in old.required, name in new.required
                if was != now:
                    kind = K.PROPERTY_REQUIRED if now else K.PROPERTY_OPTIONAL
                    record.changed(kind, now == request, new_entry[1], old=was, new=now, name=name)
                follow(old_entry, new_entry, "property", f"property '{name}' of {subject}")
            elif old_entry is not None:
                record.gone(K.PROPERTY_REMOVED, True, old_entry[1], old=name)
            elif new_entry is not None:
                required = name in new.required
                kind, which = K.PROPERTY_ADDED, _which(required)
                record.changed(kind, request and required, new_entry[1], new=name, which=which)

    @staticmethod
    def _flag(document: _Document, entry: tuple[Any, Loc], flag: str) -> bool:
        raw, loc = entry
        if isinstance(raw, dict) and raw.get(flag) is True:
            return True
        return _mapping(document.resolve(raw, loc)[0]).get(flag) is True

    @staticmethod
    def _branches(
        document: _Document, branches: list[tuple[Any, Loc]]
    ) -> dict[str, tuple[Any, Loc]]:
        """oneOf/anyOf branches by component name, or by type and rank for inline ones."""
        keyed: dict[str, tuple[Any, Loc]] = {}
        seen: Counter[str] = Counter()
        for raw, loc in branches:
            node, target, _ = document.resolve(raw, loc)
            name = _component_name(target) or _view(document, node, target, frozenset()).type_label
            seen[name] += 1
            keyed[name if seen[name] == 1 else f"{name} #{seen[name]}"] = (raw, loc)
        return keyed

    # -- document-wide parts -------------------------------------------------------------

    def _components(self) -> None:
        record = self._recorder(())
        old_components = _mapping(self.old.root.get("components"))
        new_components = _mapping(self.new.root.get("components"))
        for section, removed_kind, added_kind in (
            ("schemas", K.SCHEMA_REMOVED, K.SCHEMA_ADDED),
            ("securitySchemes", K.SECURITY_SCHEME_REMOVED, K.SECURITY_SCHEME_ADDED),
        ):
            old, new = _mapping(old_components.get(section)), _mapping(new_components.get(section))
            old_at = (self.old.key, f"/components/{section}")
            new_at = (self.new.key, f"/components/{section}")
            for name in sorted(old.keys() - new.keys()):
                record.gone(removed_kind, True, _child(old_at, name), old=name)
            for name in sorted(new.keys() - old.keys()):
                record.changed(added_kind, False, _child(new_at, name), new=name)
            if section == "securitySchemes":
                for name in sorted(old.keys() & new.keys()):
                    old_node, _, _ = self.old.resolve(old[name], _child(old_at, name))
                    new_node, new_loc, _ = self.new.resolve(new[name], _child(new_at, name))
                    self._security_scheme(name, _mapping(old_node), _mapping(new_node), new_loc)

    def _security_scheme(
        self, name: str, old: Mapping[str, Any], new: Mapping[str, Any], loc: Loc
    ) -> None:
        record = self._recorder(())

        def changed(what: str, at: Loc, before: Any, after: Any, breaking: bool = True) -> None:
            kind = K.SECURITY_SCHEME_CHANGED
            record.changed(kind, breaking, at, old=before, new=after, what=what, name=name)

        for field in ("type", "scheme", "in", "name", "openIdConnectUrl"):
            before, after = old.get(field), new.get(field)
            if field == "scheme":  # HTTP authentication scheme names ignore case
                before, after = str(before).lower(), str(after).lower()
            if before != after:
                changed(f"field '{field}'", _child(loc, field), before, after)
        old_flows, new_flows = _mapping(old.get("flows")), _mapping(new.get("flows"))
        if old_flows.keys() != new_flows.keys():
            before, after = tuple(sorted(old_flows)), tuple(sorted(new_flows))
            changed(
                "the flows", _child(loc, "flows"), before, after, bool(set(before) - set(after))
            )
        for flow in sorted(old_flows.keys() & new_flows.keys()):
            old_flow, new_flow = _mapping(old_flows[flow]), _mapping(new_flows[flow])
            flow_loc, what = _child(loc, "flows", flow), f"the {flow} flow"
            for field in ("authorizationUrl", "tokenUrl", "refreshUrl"):
                if old_flow.get(field) != new_flow.get(field):
                    at = _child(flow_loc, field)
                    before, after = old_flow.get(field), new_flow.get(field)
                    changed(f"the {field} of {what}", at, before, after)
            old_scopes = set(_mapping(old_flow.get("scopes")))
            new_scopes = set(_mapping(new_flow.get("scopes")))
            facts = {"what": what, "name": name}
            at = _child(flow_loc, "scopes")
            if gone := tuple(sorted(old_scopes - new_scopes)):
                kind = K.SECURITY_SCOPE_REMOVED
                record.changed(kind, True, at, old=gone, values=show_values(gone), **facts)
            if came := tuple(sorted(new_scopes - old_scopes)):
                kind = K.SECURITY_SCOPE_ADDED
                record.changed(kind, False, at, new=came, values=show_values(came), **facts)

    def _security(
        self,
        old_value: Any,
        old_loc: Loc,
        new_value: Any,
        new_loc: Loc,
        record: _Recorder,
        where: str = "",
    ) -> None:
        old, new = _requirements(old_value), _requirements(new_value)
        # open: no requirement at all, or the empty one that lets anybody in
        old_open, new_open = not old or () in old, not new or () in new
        for requirement in sorted(old - new):
            label, kind = _requirement_label(requirement), K.SECURITY_REQUIREMENT_REMOVED
            record.gone(kind, not new_open, old_loc, old=label, where=where)
        for requirement in sorted(new - old):
            label, kind = _requirement_label(requirement), K.SECURITY_REQUIREMENT_ADDED
            record.changed(kind, old_open and not new_open, new_loc, new=label, where=where)

    def _servers(self) -> None:
        record = self._recorder(())

        def urls(document: _Document) -> list[str]:
            servers = document.root.get("servers")
            listed = servers if isinstance(servers, list) else ()
            return [str(s["url"]) for s in listed if isinstance(_mapping(s).get("url"), str)]

        old, new = urls(self.old), urls(self.new)
        for index, url in enumerate(old):
            if url not in new:
                record.gone(K.SERVER_REMOVED, True, (self.old.key, f"/servers/{index}"), old=url)
        for index, url in enumerate(new):
            if url not in old:
                record.changed(K.SERVER_ADDED, False, (self.new.key, f"/servers/{index}"), new=url)
        if old and new and old[0] != new[0]:
            at = (self.new.key, "/servers/0")
            record.changed(K.DEFAULT_SERVER_CHANGED, True, at, old=old[0], new=new[0])

    # -- the result ----------------------------------------------------------------------

    def _reach(self) -> None:
        """Give every changed schema pair the operations that reach it."""
        parents: dict[UnitKey, list[UnitKey]] = defaultdict(list)
        for key, unit in self.units.items():
            for child in unit.children:
                parents[child].append(key)
        # Only pairs that lead to a change are worth walking into from each operation.
        relevant = {key for key, unit in self.units.items() if unit.changes}
        stack = list(relevant)
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in relevant:
                    relevant.add(parent)
                    stack.append(parent)
        for label, roots in self.roots.items():
            seen: set[UnitKey] = set()
            stack = [root for root in roots if root in relevant]
            while stack:
                key = stack.pop()
                if key in seen:
                    continue
                seen.add(key)
                unit = self.units[key]
                if unit.changes:
                    unit.operations.add(label)
                stack.extend(c for c in unit.children if c in relevant and c not in seen)

    def _collect(self) -> tuple[Change, ...]:
        self._reach()
        entries = list(self.found)
        for unit in self.units.values():
            entries.extend(unit.changes)
        # one change per kind, place, direction and values, whoever reached it
        merged: dict[tuple[Any, ...], tuple[_Found, set[str]]] = {}
        for found, operations in entries:
            key = (*found[:4], found.direction or "", _canonical(found.old), _canonical(found.new))
            merged.setdefault(key, (found, set()))[1].update(operations)
        changes = [
            Change(
                kind=found.kind,
                breaking=found.breaking,
                pointer=found.pointer,
                pointer_in=found.pointer_in,
                message=found.message,
                operations=tuple(sorted(operations)),
                direction=found.direction,
                old=found.old,
                new=found.new,
            )
            for found, operations in merged.values()
        ]
        changes.sort(key=_order)
        return tuple(changes)


def _order(change: Change) -> tuple[Any, ...]:
    return (
        change.pointer,
        change.kind.value,
        change.direction or "",
        change.pointer_in,
        change.breaking,
        _canonical(change.old),
        _canonical(change.new),
    )
