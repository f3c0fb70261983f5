"""The Python API of a generated connector before and after its spec changed, each change
tied to the spec change(s) that caused it.

`diff_packages(old, new)` loads two generated packages of one connector with griffe (static
analysis: nothing is imported) and lists what changed in what callers see: resource groups,
methods and their parameters (name, kind, default, type) and return types, models and their
fields (name, type, required), enums and their members, named unions. `link(changes, ...)`
then ties each change to the `Change`s of the spec-level diff (`_diff`) that explain it: a
method by its operation (method and path, matched by shape like `_diff` does), a parameter
by its name in the spec, a model by the JSON pointer of the schema it was generated from, a
field by that pointer's ``properties/<name>``.

griffe's `find_breaking_changes` is the first source: whatever it reports is kept as it
reports it (``found_by == "griffe"``). Our own comparison of the two packages adds what it
does not report, for reasons of its design rather than of ours:

- additions of any kind (methods, models, fields, parameters, enum members): griffe looks
  for breakages only, and a connector's changelog needs the additions too;
- annotation changes: griffe does not compare the types of parameters, return values or
  attributes, and for a generated connector they are most of what a spec change does
  (a path parameter becoming a string, a property becoming nullable);
- fields of attrs models becoming required or optional: to griffe they are class
  attributes whose value changed, which it does not compare;
- keyword-only parameters removed from a method that also takes ``**options``: griffe
  counts them as absorbed by the ``**kwargs``; our methods' ``**options`` is a closed
  ``Unpack[RequestOptions]``, so a removed keyword is an error for every caller;
- enum members added (not a breakage for griffe).

Each change names its owner (the Python class), member (method, field, enum member, group)
and parameter, so a type checker's message about user code can be matched to it
(`_check_code`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import attrs
import griffe

from ._diff_render import Change, ChangeKind, Direction, SpecDiff
from ._loader import escape_pointer_token
from ._model import Api, split_top
from ._parse import HTTP_METHODS

__all__ = [
    "ApiChange",
    "ApiChangeKind",
    "SpecSide",
    "Surface",
    "diff_packages",
    "link",
    "load_surface",
]


class ApiChangeKind(StrEnum):
    """What changed in the generated Python API."""

    GROUP_REMOVED = "group_removed"
    GROUP_ADDED = "group_added"
    METHOD_REMOVED = "method_removed"
    METHOD_ADDED = "method_added"
    PARAMETER_REMOVED = "parameter_removed"
    PARAMETER_ADDED = "parameter_added"
    PARAMETER_REQUIRED = "parameter_required"
    PARAMETER_OPTIONAL = "parameter_optional"
    PARAMETER_KIND_CHANGED = "parameter_kind_changed"
    PARAMETER_MOVED = "parameter_moved"
    PARAMETER_DEFAULT_CHANGED = "parameter_default_changed"
    PARAMETER_TYPE_CHANGED = "parameter_type_changed"
    RETURN_TYPE_CHANGED = "return_type_changed"
    MODEL_REMOVED = "model_removed"
    MODEL_ADDED = "model_added"
    MODEL_KIND_CHANGED = "model_kind_changed"
    FIELD_REMOVED = "field_removed"
    FIELD_ADDED = "field_added"
    FIELD_TYPE_CHANGED = "field_type_changed"
    FIELD_REQUIRED = "field_required"
    FIELD_OPTIONAL = "field_optional"
    ENUM_MEMBER_REMOVED = "enum_member_removed"
    ENUM_MEMBER_ADDED = "enum_member_added"
    ALIAS_CHANGED = "alias_changed"
    OTHER = "other"


K = ApiChangeKind
# Kinds that only add to the API: what a minor version is made of.
ADDITIONS = frozenset(
    {K.GROUP_ADDED, K.METHOD_ADDED, K.PARAMETER_ADDED, K.MODEL_ADDED, K.FIELD_ADDED}
    | {K.ENUM_MEMBER_ADDED, K.PARAMETER_OPTIONAL}
)
FoundBy = Literal["griffe", "connectory"]


@attrs.frozen
class ApiChange:
    """One change of the generated Python API.

    `path` is how a caller reaches it (``books.list_books(author)``, ``models.Book.isbn``);
    `owner` is the Python class (``Books``, ``Book``, ``ShelfConnector``; ``models`` for a
    model itself), `member` the method, field, enum member, model or group, `parameter` the
    parameter. `position` is a positional parameter's place in the old signature (1 for the
    first after ``self``). `causes` are the spec changes it was traced to.
    """

    kind: ApiChangeKind
    breaking: bool
    path: str
    owner: str
    member: str
    message: str
    parameter: str | None = None
    group: str | None = None
    position: int | None = None
    old: str | None = None
    new: str | None = None
    found_by: FoundBy = "connectory"
    causes: tuple[Change, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind.value, self.owner, self.member, self.parameter or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "breaking": self.breaking,
            "path": self.path,
            "message": self.message,
            "old": self.old,
            "new": self.new,
            "found_by": self.found_by,
            "caused_by": [_cause_json(c) for c in self.causes],
        }


def _cause_json(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind.value,
        "pointer": change.pointer,
        "pointer_in": change.pointer_in,
        "message": change.message,
    }


# -- the surface of one package ---------------------------------------------------------


@attrs.frozen
class Param:
    name: str
    kind: str  # griffe's ParameterKind value: "positional or keyword", "keyword-only", ...
    annotation: str
    default: str | None  # None: the parameter is required
    position: int | None  # among positional parameters after self, from 1


@attrs.frozen
class Method:
    owner: str
    name: str
    group: str | None  # the connector attribute of its resource; None on the connector
    params: tuple[Param, ...]
    returns: str

    @property
    def path(self) -> str:
        return f"{self.group or self.owner}.{self.name}"


Shape = Literal["model", "enum", "alias"]


@attrs.frozen
class Named:
    """A model, enum or named union of the ``models`` package."""

    name: str
    shape: Shape
    fields: Mapping[str, tuple[str, bool]]  # model: field -> (annotation, required)
    members: Mapping[str, str]  # enum: member -> value
    alias: str  # named union: its type


# What a griffe path is in our terms: ("group"|"method"|"twin"|"model"|"field"|"member",
# owner, member).
Place = tuple[str, str, str]


@attrs.frozen
class Surface:
    """What callers of one generated package see."""

    package: str
    module: griffe.Module
    connector: str  # the connector class's name
    groups: Mapping[str, str]  # connector attribute -> resource class
    methods: Mapping[tuple[str, str], Method]  # (class, method)
    named: Mapping[str, Named]
    places: Mapping[str, Place]  # griffe path (canonical or alias) -> what it is


def load_surface(package: Path) -> Surface:
    """The public surface of the generated package in folder `package` (not imported)."""
    loader = griffe.GriffeLoader(search_paths=[str(package.parent)])
    module = loader.load(package.name)
    if not isinstance(module, griffe.Module):  # pragma: no cover - a folder loads as one
        raise TypeError(f"{package} is not a package")
    places: dict[str, Place] = {}
    groups: dict[str, str] = {}
    methods: dict[tuple[str, str], Method] = {}
    resources = _member(module, "resources")
    for resource_module in _modules(resources):
        for cls in _classes(resource_module):
            label = cls.members.get("label")
            if not isinstance(label, griffe.Attribute) or label.value is None:
                continue
            group = _literal(label.value)
            groups[group] = cls.name
            for path in (resource_module.path, cls.path, f"{resources.path}.{cls.name}"):
                places[path] = ("group", "", group)
            _collect_methods(cls, group, methods, places)
    connector_name = ""
    connector_module = module.members.get("connector")
    if isinstance(connector_module, griffe.Module):
        for cls in _classes(connector_module):
            if any(str(base).endswith("BaseConnectorService") for base in cls.bases):
                connector_name = cls.name
                _collect_methods(cls, None, methods, places, include_init=True)
                for group in groups:
                    places[f"{cls.path}.{group}"] = ("group", "", group)
    named: dict[str, Named] = {}
    models = module.members.get("models")
    if isinstance(models, griffe.Module):
        for name, member in models.members.items():
            if not member.is_alias or not member.is_public or name.startswith("_"):
                continue
            target = _target(member)
            if target is None or not target.path.startswith(f"{models.path}."):
                continue  # an import of something else, not a model of this package
            named[name] = _named(name, target)
            places[member.path] = places[target.path] = ("model", "models", name)
            if isinstance(target, griffe.Class):
                for field in target.members.values():
                    what = "member" if named[name].shape == "enum" else "field"
                    places[field.path] = (what, name, field.name)
    return Surface(
        package=package.name,
        module=module,
        connector=connector_name,
        groups=groups,
        methods=methods,
        named=named,
        places=places,
    )


def _member(module: griffe.Module, name: str) -> griffe.Module:
    found = module.members.get(name)
    if isinstance(found, griffe.Module):
        return found
    raise ValueError(f"{module.filepath}: not a generated connector package (no {name})")


def _modules(module: griffe.Module) -> Iterator[griffe.Module]:
    for name, member in sorted(module.members.items()):
        if isinstance(member, griffe.Module) and not name.startswith("_"):
            yield member


def _classes(module: griffe.Module) -> Iterator[griffe.Class]:
    for member in module.members.values():
        if isinstance(member, griffe.Class):
            yield member


def _target(alias: griffe.Object | griffe.Alias) -> griffe.Object | None:
    if not isinstance(alias, griffe.Alias):
        return alias
    try:
        target = alias.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return target if isinstance(target, griffe.Object) else None


def _literal(value: Any) -> str:
    text = str(value)
    try:
        return str(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _collect_methods(
    cls: griffe.Class,
    group: str | None,
    methods: dict[tuple[str, str], Method],
    places: dict[str, Place],
    *,
    include_init: bool = False,
) -> None:
    functions = {
        name: member
        for name, member in cls.members.items()
        if isinstance(member, griffe.Function)
        and (not name.startswith("_") or (include_init and name == "__init__"))
    }
    for name, function in functions.items():
        params: list[Param] = []
        position = 0
        for index, parameter in enumerate(function.parameters):
            if index == 0 and parameter.name in ("self", "cls"):
                continue
            kind = parameter.kind.value if parameter.kind else "positional or keyword"
            if kind in ("positional-only", "positional or keyword"):
                position += 1
            params.append(
                Param(
                    name=parameter.name,
                    kind=kind,
                    annotation=_text(parameter.annotation),
                    default=None if parameter.default is None else str(parameter.default),
                    position=position
                    if kind in ("positional-only", "positional or keyword")
                    else None,
                )
            )
        methods[(cls.name, name)] = Method(
            cls.name, name, group, tuple(params), _text(function.returns)
        )
        places[function.path] = ("method", cls.name, name)
        twin = cls.members.get(f"{name}_sync")
        if twin is not None:
            places[twin.path] = ("twin", cls.name, name)


def _named(name: str, target: griffe.Object) -> Named:
    if isinstance(target, griffe.Class):
        if any(str(base).endswith("Enum") for base in target.bases):
            members = {
                n: _text(m.value)
                for n, m in target.members.items()
                if isinstance(m, griffe.Attribute) and not n.startswith("_")
            }
            return Named(name, "enum", {}, members, "")
        fields = {
            n: (_text(m.annotation), _required(m.value))
            for n, m in target.members.items()
            if isinstance(m, griffe.Attribute)
            and m.annotation is not None
            and not n.startswith("_")
        }
        return Named(name, "model", fields, {}, "")
    value = target.value if isinstance(target, griffe.Attribute) else None
    return Named(name, "alias", {}, {}, _text(value))


def _required(value: Any) -> bool:
    """Whether an attrs field declared with `value` must be given (it has no default)."""
    if value is None:
        return True
    text = str(value)
    is_field_call = text.startswith(("field(", "attrs.field("))
    return is_field_call and "default=" not in text and "factory=" not in text


# -- comparing two surfaces --------------------------------------------------------------


def diff_packages(old: Path, new: Path) -> tuple[ApiChange, ...]:
    """Every change of the Python API from the package at `old` to the one at `new`."""
    return diff_surfaces(load_surface(old), load_surface(new))


def diff_surfaces(old: Surface, new: Surface) -> tuple[ApiChange, ...]:
    """griffe's breakages, then what our own comparison adds (see the module docstring)."""
    changes: dict[tuple[str, str, str, str], ApiChange] = {}
    for breakage in griffe.find_breaking_changes(old.module, new.module):
        change = _from_griffe(breakage, old, new)
        if change is not None:
            changes.setdefault(change.key, change)
    for change in _compare(old, new):
        changes.setdefault(change.key, change)
    return tuple(sorted(changes.values(), key=_order))


def _order(change: ApiChange) -> tuple[str, str, str]:
    return (change.path, change.kind.value, change.parameter or "")


def _method_path(surface: Surface, owner: str, name: str) -> tuple[str, str | None]:
    method = surface.methods.get((owner, name))
    group = method.group if method else None
    return f"{group or owner}.{name}", group


def _from_griffe(breakage: griffe.Breakage, old: Surface, new: Surface) -> ApiChange | None:
    kind = breakage.kind
    obj = breakage.obj
    path = obj.path
    kinds = griffe.BreakageKind
    if kind is kinds.OBJECT_REMOVED:
        place = old.places.get(path) or old.places.get(getattr(obj, "canonical_path", path))
        return _removed(place, path, old)
    place = new.places.get(path) or old.places.get(path)
    if place is not None and place[0] == "method" and kind in _PARAMETER_BREAKAGES:
        _, owner, name = place
        value = breakage.old_value if breakage.old_value is not None else breakage.new_value
        parameter = str(getattr(value, "name", value))
        method_path, group = _method_path(old, owner, name)
        old_method = old.methods.get((owner, name))
        old_param = _param(old_method, parameter)
        new_param = _param(new.methods.get((owner, name)), parameter)
        ours = _PARAMETER_BREAKAGES[kind]
        old_text, new_text = _parameter_values(ours, old_param, new_param)
        facts = {"which": "required"} if ours is K.PARAMETER_ADDED else {}
        return _change(
            ours,
            True,
            f"{method_path}({parameter})",
            owner,
            name,
            parameter=parameter,
            group=group,
            position=old_param.position if old_param else None,
            old=old_text,
            new=new_text,
            found_by="griffe",
            method=method_path,
            **facts,
        )
    if place is not None and place[0] == "method" and kind is kinds.RETURN_CHANGED_TYPE:
        _, owner, name = place
        method_path, group = _method_path(old, owner, name)
        return _change(
            K.RETURN_TYPE_CHANGED,
            True,
            method_path,
            owner,
            name,
            group=group,
            old=_text(breakage.old_value),
            new=_text(breakage.new_value),
            found_by="griffe",
            method=method_path,
        )
    if place is not None and place[0] == "model" and kind is kinds.OBJECT_CHANGED_KIND:
        name = place[2]
        return _change(
            K.MODEL_KIND_CHANGED,
            True,
            f"models.{name}",
            "models",
            name,
            old=_shape(old, name),
            new=_shape(new, name),
            found_by="griffe",
            name=name,
        )
    explained = breakage.explain(griffe.ExplanationStyle.ONE_LINE)
    text = explained.split(": ", 1)[1] if ": " in explained else explained
    relative = path.removeprefix(f"{old.package}.")
    return _change(K.OTHER, True, relative, "", relative, found_by="griffe", detail=text)


_PARAMETER_BREAKAGES: dict[griffe.BreakageKind, ApiChangeKind] = {
    griffe.BreakageKind.PARAMETER_REMOVED: K.PARAMETER_REMOVED,
    griffe.BreakageKind.PARAMETER_ADDED_REQUIRED: K.PARAMETER_ADDED,
    griffe.BreakageKind.PARAMETER_CHANGED_REQUIRED: K.PARAMETER_REQUIRED,
    griffe.BreakageKind.PARAMETER_CHANGED_KIND: K.PARAMETER_KIND_CHANGED,
    griffe.BreakageKind.PARAMETER_MOVED: K.PARAMETER_MOVED,
    griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT: K.PARAMETER_DEFAULT_CHANGED,
}


def _shape(surface: Surface, name: str) -> str | None:
    found = surface.named.get(name)
    return found.shape if found else None


def _param(method: Method | None, name: str) -> Param | None:
    if method is None:
        return None
    return next((p for p in method.params if p.name == name), None)


def _parameter_values(
    kind: ApiChangeKind, old: Param | None, new: Param | None
) -> tuple[str | None, str | None]:
    if kind is K.PARAMETER_KIND_CHANGED:
        return (old.kind if old else None), (new.kind if new else None)
    if kind is K.PARAMETER_MOVED:
        return (
            str(old.position) if old and old.position else None,
            str(new.position) if new and new.position else None,
        )
    if kind is K.PARAMETER_DEFAULT_CHANGED:
        return (old.default if old else None), (new.default if new else None)
    if kind is K.PARAMETER_ADDED:
        return None, new.annotation if new else None
    return (old.annotation if old else None), (new.annotation if new else None)


def _removed(place: Place | None, path: str, old: Surface) -> ApiChange | None:
    if place is None:
        relative = path.removeprefix(f"{old.package}.")
        return _change(K.OTHER, True, relative, "", relative, found_by="griffe", detail="removed")
    what, owner, member = place
    if what == "twin":
        return None  # reported with its method
    if what == "group":
        return _change(
            K.GROUP_REMOVED, True, member, old.connector, member, group=member, found_by="griffe"
        )
    if what == "method":
        method_path, group = _method_path(old, owner, member)
        return _change(
            K.METHOD_REMOVED,
            True,
            method_path,
            owner,
            member,
            group=group,
            found_by="griffe",
            method=method_path,
        )
    if what == "model":
        shape = _shape(old, member) or "model"
        return _change(
            K.MODEL_REMOVED,
            True,
            f"models.{member}",
            "models",
            member,
            found_by="griffe",
            name=member,
            shape=shape,
        )
    kind = K.FIELD_REMOVED if what == "field" else K.ENUM_MEMBER_REMOVED
    return _change(
        kind,
        True,
        f"models.{owner}.{member}",
        owner,
        member,
        found_by="griffe",
        name=owner,
        field=member,
    )


_MESSAGES: dict[ApiChangeKind, str] = {
    K.GROUP_REMOVED: "resource group {path} was removed",
    K.GROUP_ADDED: "resource group {path} was added",
    K.METHOD_REMOVED: "method {method} was removed (with its _sync twin)",
    K.METHOD_ADDED: "method {method} was added",
    K.PARAMETER_REMOVED: "parameter '{parameter}' of {method} was removed",
    K.PARAMETER_ADDED: "parameter '{parameter}' was added to {method} ({which})",
    K.PARAMETER_REQUIRED: "parameter '{parameter}' of {method} is now required",
    K.PARAMETER_OPTIONAL: "parameter '{parameter}' of {method} is now optional",
    K.PARAMETER_KIND_CHANGED: "parameter '{parameter}' of {method} changed from {old} to {new}",
    K.PARAMETER_MOVED: (
        "parameter '{parameter}' of {method} moved from position {old} to position {new}"
    ),
    K.PARAMETER_DEFAULT_CHANGED: (
        "the default of parameter '{parameter}' of {method} changed from {old} to {new}"
    ),
    K.PARAMETER_TYPE_CHANGED: (
        "the type of parameter '{parameter}' of {method} changed from {old} to {new}"
    ),
    K.RETURN_TYPE_CHANGED: "the return type of {method} changed from {old} to {new}",
    K.MODEL_REMOVED: "{shape} {name} was removed",
    K.MODEL_ADDED: "{shape} {name} was added",
    K.MODEL_KIND_CHANGED: "{name} changed from a {old} to a {new}",
    K.FIELD_REMOVED: "field '{field}' of {name} was removed",
    K.FIELD_ADDED: "field '{field}' was added to {name} ({which})",
    K.FIELD_TYPE_CHANGED: "the type of field '{field}' of {name} changed from {old} to {new}",
    K.FIELD_REQUIRED: "field '{field}' of {name} is now required",
    K.FIELD_OPTIONAL: "field '{field}' of {name} is now optional (it may be UNSET)",
    K.ENUM_MEMBER_REMOVED: "value {field} was removed from {name}",
    K.ENUM_MEMBER_ADDED: "value {field} was added to {name}",
    K.ALIAS_CHANGED: "{name} changed from {old} to {new}",
    K.OTHER: "{path}: {detail}",
}


def _change(
    kind: ApiChangeKind,
    breaking: bool,
    path: str,
    owner: str,
    member: str,
    *,
    parameter: str | None = None,
    group: str | None = None,
    position: int | None = None,
    old: str | None = None,
    new: str | None = None,
    found_by: FoundBy = "connectory",
    **facts: str,
) -> ApiChange:
    values = {"path": path, "parameter": parameter, "old": old, "new": new, **facts}
    message = _MESSAGES[kind].format(**values)
    return ApiChange(
        kind=kind,
        breaking=breaking,
        path=path,
        owner=owner,
        member=member,
        message=f"{message[0].upper()}{message[1:]}.",
        parameter=parameter,
        group=group,
        position=position,
        old=old,
        new=new,
        found_by=found_by,
    )


def _parts(annotation: str) -> set[str]:
    return set(split_top(annotation)) if annotation else set()


def _compare(old: Surface, new: Surface) -> Iterator[ApiChange]:
    gone_groups = old.groups.keys() - new.groups.keys()
    came_groups = new.groups.keys() - old.groups.keys()
    for group in sorted(gone_groups):
        yield _change(K.GROUP_REMOVED, True, group, old.connector, group, group=group)
    for group in sorted(came_groups):
        yield _change(K.GROUP_ADDED, False, group, new.connector, group, group=group)
    for key in sorted(old.methods.keys() | new.methods.keys()):
        before, after = old.methods.get(key), new.methods.get(key)
        if before is not None and after is not None:
            yield from _compare_methods(before, after)
        elif before is not None and before.group not in gone_groups:
            yield _change(
                K.METHOD_REMOVED,
                True,
                before.path,
                before.owner,
                before.name,
                group=before.group,
                method=before.path,
            )
        elif after is not None and after.group not in came_groups:
            yield _change(
                K.METHOD_ADDED,
                False,
                after.path,
                after.owner,
                after.name,
                group=after.group,
                method=after.path,
            )
    for name in sorted(old.named.keys() | new.named.keys()):
        was, now = old.named.get(name), new.named.get(name)
        path = f"models.{name}"
        if was is None and now is not None:
            yield _change(K.MODEL_ADDED, False, path, "models", name, name=name, shape=now.shape)
        elif now is None and was is not None:
            yield _change(K.MODEL_REMOVED, True, path, "models", name, name=name, shape=was.shape)
        elif was is None or now is None:
            continue
        elif was.shape != now.shape:
            yield _change(
                K.MODEL_KIND_CHANGED,
                True,
                f"models.{name}",
                "models",
                name,
                old=was.shape,
                new=now.shape,
                name=name,
            )
        else:
            yield from _compare_named(was, now)


def _compare_methods(old: Method, new: Method) -> Iterator[ApiChange]:
    method = old.path
    old_params = {p.name: p for p in old.params if "variadic" not in p.kind}
    new_params = {p.name: p for p in new.params if "variadic" not in p.kind}

    def change(kind: ApiChangeKind, breaking: bool, param: Param, **values: Any) -> ApiChange:
        return _change(
            kind,
            breaking,
            f"{method}({param.name})",
            old.owner,
            old.name,
            parameter=param.name,
            position=old_params[param.name].position if param.name in old_params else None,
            group=old.group,
            method=method,
            **values,
        )

    for name in sorted(old_params.keys() - new_params.keys()):
        yield change(K.PARAMETER_REMOVED, True, old_params[name], old=old_params[name].annotation)
    for name in sorted(new_params.keys() - old_params.keys()):
        param = new_params[name]
        required = param.default is None
        which = "required" if required else "optional"
        yield change(K.PARAMETER_ADDED, required, param, new=param.annotation, which=which)
    for name in sorted(old_params.keys() & new_params.keys()):
        before, after = old_params[name], new_params[name]
        if (before.default is None) != (after.default is None):
            kind = K.PARAMETER_REQUIRED if after.default is None else K.PARAMETER_OPTIONAL
            yield change(kind, after.default is None, after)
        elif before.default != after.default:
            yield change(
                K.PARAMETER_DEFAULT_CHANGED, True, after, old=before.default, new=after.default
            )
        if before.kind != after.kind:
            # only a keyword-only or positional-only parameter becoming "either" keeps calls
            widened = after.kind == "positional or keyword"
            yield change(
                K.PARAMETER_KIND_CHANGED, not widened, after, old=before.kind, new=after.kind
            )
        elif before.position != after.position and before.position and after.position:
            yield change(
                K.PARAMETER_MOVED, True, after, old=str(before.position), new=str(after.position)
            )
        if before.annotation != after.annotation:
            widened = _parts(before.annotation) <= _parts(after.annotation)
            yield change(
                K.PARAMETER_TYPE_CHANGED,
                not widened,
                after,
                old=before.annotation,
                new=after.annotation,
            )
    if old.returns != new.returns:
        narrowed = _parts(new.returns) <= _parts(old.returns)
        yield _change(
            K.RETURN_TYPE_CHANGED,
            not narrowed,
            method,
            old.owner,
            old.name,
            old=old.returns,
            new=new.returns,
            group=old.group,
            method=method,
        )


def _compare_named(old: Named, new: Named) -> Iterator[ApiChange]:
    name = old.name
    if old.shape == "alias":
        if old.alias != new.alias:
            yield _change(
                K.ALIAS_CHANGED,
                True,
                f"models.{name}",
                "models",
                name,
                old=old.alias,
                new=new.alias,
                name=name,
            )
        return

    def change(kind: ApiChangeKind, breaking: bool, field: str, **values: Any) -> ApiChange:
        path = f"models.{name}.{field}"
        return _change(kind, breaking, path, name, field, name=name, field=field, **values)

    if old.shape == "enum":
        for member in sorted(old.members.keys() - new.members.keys()):
            yield change(K.ENUM_MEMBER_REMOVED, True, member, old=old.members[member])
        for member in sorted(new.members.keys() - old.members.keys()):
            yield change(K.ENUM_MEMBER_ADDED, False, member, new=new.members[member])
        return
    for field in sorted(old.fields.keys() - new.fields.keys()):
        yield change(K.FIELD_REMOVED, True, field, old=old.fields[field][0])
    for field in sorted(new.fields.keys() - old.fields.keys()):
        annotation, required = new.fields[field]
        which = "required" if required else "optional"
        # a new required field breaks code that builds the model
        yield change(K.FIELD_ADDED, required, field, new=annotation, which=which)
    for field in sorted(old.fields.keys() & new.fields.keys()):
        (old_type, was), (new_type, now) = old.fields[field], new.fields[field]
        if old_type != new_type:
            # models are read from responses and built for requests: any change can break
            yield change(K.FIELD_TYPE_CHANGED, True, field, old=old_type, new=new_type)
        if was != now:
            yield change(K.FIELD_REQUIRED if now else K.FIELD_OPTIONAL, True, field)


# -- tying Python changes to spec changes -------------------------------------------------


@attrs.frozen
class SpecSide:
    """One side of the comparison: the generator's model and the (patched) document."""

    api: Api
    document: Mapping[str, Any]


_TEMPLATE = re.compile(r"\{[^}/]*\}")
_OPERATION_KINDS = frozenset(
    {ChangeKind.OPERATION_REMOVED, ChangeKind.OPERATION_ADDED, ChangeKind.OPERATION_ID_CHANGED}
)
_RETURN_KINDS = frozenset(
    {
        ChangeKind.SCHEMA_TYPE_CHANGED,
        ChangeKind.NULLABLE_ADDED,
        ChangeKind.NULLABLE_REMOVED,
        ChangeKind.BRANCH_ADDED,
        ChangeKind.BRANCH_REMOVED,
        ChangeKind.FORMAT_CHANGED,
        ChangeKind.ENUM_VALUE_ADDED,
        ChangeKind.ENUM_VALUE_REMOVED,
    }
)


def _shape_of(label: str) -> str:
    """``GET /items/{id}`` and ``GET /items/{item_id}`` are one operation to `_diff` too."""
    return _TEMPLATE.sub("{}", label)


def _within(pointer: str, prefix: str) -> bool:
    return pointer == prefix or pointer.startswith(f"{prefix}/")


def _local(source: str) -> str:
    """A generator source ("file#/pointer") as the pointer `_diff` reports it."""
    return source.partition("#")[2] if "#" in source else source


class _Side:
    """Look-ups into one version of the spec and the generator's model of it."""

    def __init__(self, side: SpecSide) -> None:
        self.document = side.document
        labels: dict[str, str] = {}
        for path, item in (side.document.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    op_id = str(op.get("operationId") or f"{method}:{path}")
                    labels[op_id] = f"{method.upper()} {path}"
        self.operations: dict[tuple[str, str], str] = {}  # (group, method) -> label shape
        self.parameters: dict[tuple[str, str, str], str] = {}  # (group, method, py) -> name
        self.groups: dict[str, set[str]] = {}
        for op in side.api.operations:
            label = _shape_of(labels.get(op.operation_id, f"{op.http_method} {op.path}"))
            self.operations[(op.group, op.method_name)] = label
            self.groups.setdefault(op.group, set()).add(label)
            for parameter in op.parameters:
                self.parameters[(op.group, op.method_name, parameter.py_name)] = parameter.name
        self.sources: dict[str, str] = {}
        self.json_names: dict[tuple[str, str], str] = {}
        for model in side.api.models:
            self.sources[model.name] = _local(model.source)
            for field in model.fields:
                self.json_names[(model.name, field.name)] = field.json_name
        for enum in side.api.enums:
            self.sources[enum.name] = _local(enum.source)
        for alias in side.api.aliases:
            self.sources[alias.name] = _local(alias.source)

    def parameter_name_at(self, pointer: str) -> str | None:
        """The name of the parameter object at or above `pointer`, following its $ref."""
        node: Any = self.document
        found: str | None = None
        for token in pointer.split("/")[1:]:
            node = self._deref(node)
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, dict) and key in node:
                node = node[key]
            else:
                break
            resolved = self._deref(node)
            if (
                isinstance(resolved, dict)
                and isinstance(resolved.get("name"), str)
                and isinstance(resolved.get("in"), str)
            ):
                found = resolved["name"]
        return found

    def _deref(self, node: Any) -> Any:
        for _ in range(8):  # a short chain of local $refs; a loop ends here
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return node
            target: Any = self.document
            for token in ref[2:].split("/"):
                key = token.replace("~1", "/").replace("~0", "~")
                target = target.get(key) if isinstance(target, dict) else None
            node = target
        return node


def link(
    changes: Iterable[ApiChange], spec: SpecDiff, old: SpecSide, new: SpecSide
) -> tuple[ApiChange, ...]:
    """`changes`, each with the spec changes of `spec` that explain it (where traceable)."""
    linker = _Linker(spec.changes, _Side(old), _Side(new))
    return tuple(attrs.evolve(c, causes=linker.causes(c)) for c in changes)


class _Linker:
    def __init__(self, spec: Sequence[Change], old: _Side, new: _Side) -> None:
        self.spec = spec
        self.old = old
        self.new = new

    def _side(self, pointer_in: str) -> _Side:
        return self.old if pointer_in == "old" else self.new

    def causes(self, change: ApiChange) -> tuple[Change, ...]:
        kind = change.kind
        if kind in (K.GROUP_REMOVED, K.GROUP_ADDED):
            group = change.group or change.member
            labels = self.old.groups.get(group, set()) | self.new.groups.get(group, set())
            return self._select(lambda c: c.kind in _OPERATION_KINDS and self._reaches(c, labels))
        if change.group is None and kind not in _MODEL_KINDS:
            return ()  # the connector's own constructor: auth comes from connector.yaml
        if kind in (K.METHOD_REMOVED, K.METHOD_ADDED):
            labels = self._labels(change)
            return self._select(lambda c: c.kind in _OPERATION_KINDS and self._reaches(c, labels))
        if change.parameter is not None:
            return self._parameter_causes(change)
        if kind is K.RETURN_TYPE_CHANGED:
            labels = self._labels(change)
            answers = self._select(
                lambda c: self._reaches(c, labels) and c.direction is Direction.RESPONSE
            )
            whole = tuple(
                c
                for c in answers
                if c.kind.value.startswith("response_") or c.kind in _RETURN_KINDS
            )
            # a response that now refers to another schema shows only as property changes
            return whole or answers
        if kind in (K.MODEL_REMOVED, K.MODEL_ADDED, K.MODEL_KIND_CHANGED, K.ALIAS_CHANGED):
            return self._model_causes(change)
        if kind in _FIELD_KINDS:
            return self._field_causes(change)
        return ()

    def _select(self, keep: Any) -> tuple[Change, ...]:
        return tuple(c for c in self.spec if keep(c))

    def _labels(self, change: ApiChange) -> set[str]:
        key = (change.group or "", change.member)
        return {s.operations[key] for s in (self.old, self.new) if key in s.operations}

    @staticmethod
    def _reaches(change: Change, labels: set[str]) -> bool:
        return any(_shape_of(op) in labels for op in change.operations)

    def _parameter_causes(self, change: ApiChange) -> tuple[Change, ...]:
        labels = self._labels(change)
        parameter = change.parameter or ""
        if parameter == "body":
            return self._select(
                lambda c: (
                    self._reaches(c, labels)
                    and c.kind.value.startswith(("request_body", "request_content_type"))
                )
            )
        key = (change.group or "", change.member, parameter)
        names = {s.parameters[key] for s in (self.old, self.new) if key in s.parameters}

        def named(c: Change) -> bool:
            if not (self._reaches(c, labels) and c.kind.value.startswith("parameter_")):
                return False
            if c.old in names or c.new in names:
                return True
            return self._side(c.pointer_in).parameter_name_at(c.pointer) in names

        return self._select(named)

    def _model_causes(self, change: ApiChange) -> tuple[Change, ...]:
        name = change.member
        sources = {
            side: side.sources[name] for side in (self.old, self.new) if name in side.sources
        }

        def about(c: Change) -> bool:
            source = sources.get(self._side(c.pointer_in))
            if source is None:
                return False
            if change.kind is K.MODEL_REMOVED or change.kind is K.MODEL_ADDED:
                return _within(source, c.pointer)  # the schema, or the operation it was in
            return _within(c.pointer, source)

        return self._select(about)

    def _field_causes(self, change: ApiChange) -> tuple[Change, ...]:
        model, field = change.owner, change.member
        if change.kind in (K.ENUM_MEMBER_ADDED, K.ENUM_MEMBER_REMOVED):
            enum_kinds = {ChangeKind.ENUM_VALUE_ADDED, ChangeKind.ENUM_VALUE_REMOVED}
            return self._select(
                lambda c: (
                    c.kind in enum_kinds
                    and c.pointer == self._side(c.pointer_in).sources.get(model)
                )
            )
        where: dict[_Side, str] = {}
        endings: set[str] = set()
        for side in (self.old, self.new):
            json_name = side.json_names.get((model, field))
            if json_name is not None and model in side.sources:
                ending = f"/properties/{escape_pointer_token(json_name)}"
                where[side] = f"{side.sources[model]}{ending}"
                endings.add(ending)
        wanted = _FIELD_CAUSES.get(change.kind)

        def fits(c: Change) -> bool:
            return wanted is None or c.kind in wanted

        found = self._select(
            lambda c: (
                (at := where.get(self._side(c.pointer_in))) is not None and _within(c.pointer, at)
            )
        )
        if found:
            return tuple(c for c in found if fits(c)) or found
        # a property inherited through allOf lives under another schema's pointer
        return self._select(
            lambda c: (
                c.kind.value.startswith("property_")
                and fits(c)
                and any(c.pointer.endswith(e) for e in endings)
            )
        )


_MODEL_KINDS = frozenset(
    {
        K.MODEL_REMOVED,
        K.MODEL_ADDED,
        K.MODEL_KIND_CHANGED,
        K.ALIAS_CHANGED,
        K.FIELD_REMOVED,
        K.FIELD_ADDED,
        K.FIELD_TYPE_CHANGED,
        K.FIELD_REQUIRED,
        K.FIELD_OPTIONAL,
        K.ENUM_MEMBER_REMOVED,
        K.ENUM_MEMBER_ADDED,
    }
)
# The spec changes that explain each kind of field change, when several are at the field.
_FIELD_CAUSES: dict[ApiChangeKind, frozenset[ChangeKind]] = {
    K.FIELD_REMOVED: frozenset({ChangeKind.PROPERTY_REMOVED}),
    K.FIELD_ADDED: frozenset({ChangeKind.PROPERTY_ADDED}),
    K.FIELD_REQUIRED: frozenset({ChangeKind.PROPERTY_REQUIRED}),
    K.FIELD_OPTIONAL: frozenset({ChangeKind.PROPERTY_OPTIONAL}),
    K.FIELD_TYPE_CHANGED: frozenset(ChangeKind)
    - {
        ChangeKind.PROPERTY_REMOVED,
        ChangeKind.PROPERTY_ADDED,
        ChangeKind.PROPERTY_REQUIRED,
        ChangeKind.PROPERTY_OPTIONAL,
    },
}
_FIELD_KINDS = _MODEL_KINDS - {
    K.MODEL_REMOVED,
    K.MODEL_ADDED,
    K.MODEL_KIND_CHANGED,
    K.ALIAS_CHANGED,
}
