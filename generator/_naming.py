"""Python names from API names: snake_case methods, PascalCase classes, never a keyword."""

from __future__ import annotations

import builtins
import keyword
import re

_BUILTINS = frozenset(dir(builtins))
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")
# Names a generated attrs model must not use for a field: they would shadow its methods.
RESERVED_FIELDS = frozenset({"from_dict", "to_dict", "additional_properties", "self", "cls"})


def words(name: str) -> list[str]:
    """Split on punctuation and case changes: 'repos/list-for-org' -> [repos, list, for, org]."""
    spaced = _WORD_BOUNDARY.sub(" ", name)
    return [w for w in _NON_WORD.split(spaced) if w]


def snake(name: str) -> str:
    """A valid snake_case identifier: not a keyword, not starting with a digit."""
    result = "_".join(w.lower() for w in words(name)) or "value"
    if result[0].isdigit():
        result = f"n{result}"
    if keyword.iskeyword(result) or keyword.issoftkeyword(result):
        result += "_"
    return result


def safe_field(name: str) -> str:
    """A snake_case name usable as an attribute or parameter.

    Builtins are fine as attribute and parameter names (``user.id``, ``type="all"``); only
    keywords and the names generated code itself relies on are escaped with a trailing
    underscore (the caller's name registry reserves the latter).
    """
    result = snake(name)
    if result in RESERVED_FIELDS:
        result += "_"
    return result


def pascal(name: str) -> str:
    """A valid PascalCase class name."""
    parts = words(name)
    result = "".join(w[:1].upper() + w[1:] for w in parts) or "Model"
    if result[0].isdigit():
        result = f"M{result}"
    if keyword.iskeyword(result) or result in _BUILTINS:
        result += "_"
    return result


def enum_member(value: object) -> str:
    """An UPPER_SNAKE member name for an enum value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None:
        return "NONE"
    text = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"VALUE_{text}".replace("-", "MINUS_").replace(".", "_")
    name = "_".join(w.upper() for w in words(text))
    if not name:
        name = "EMPTY" if text == "" else "VALUE"
    if name[0].isdigit():
        name = f"VALUE_{name}"
    if keyword.iskeyword(name):
        name += "_"
    return name


class NameRegistry:
    """Hands out unique names in one namespace, deterministically (first come, plain name)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def claim(self, wanted: str) -> str:
        name = wanted
        counter = 2
        while name in self._taken:
            name = f"{wanted}{counter}"
            counter += 1
        self._taken.add(name)
        return name

    def __contains__(self, name: str) -> bool:
        return name in self._taken


# -- resource groups and method names -----------------------------------------------------

_VERBS = frozenset(
    {
        "get",
        "list",
        "create",
        "update",
        "delete",
        "post",
        "put",
        "patch",
        "remove",
        "add",
        "set",
        "search",
        "find",
        "fetch",
        "retrieve",
        "replace",
        "upload",
        "download",
        "send",
        "check",
        "query",
        "read",
        "write",
        "cancel",
        "start",
        "stop",
        "run",
        "archive",
    }
)
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "trace"})
_VERSION = re.compile(r"^(v\d+(\.\d+)*[a-z]*|\d+(\.\d+)*|api|rest|latest|beta|alpha|public)$")


def static_segments(path: str) -> list[str]:
    """The path's literal segments after version-like prefixes (v1, api, rest, 3)."""
    segments = [s for s in path.split("/") if s]
    while segments and "{" not in segments[0] and _VERSION.match(segments[0].lower()):
        segments.pop(0)
    return segments


def path_group(path: str) -> str:
    """The resource group a path belongs to: its first meaningful literal segment."""
    for segment in static_segments(path):
        if "{" in segment:
            continue
        name = snake(segment.split(".")[0].split(":")[0])
        if name and name != "value":
            return name
    return "api"


def _shape_name(method: str, path: str, group: str) -> str:
    """list/get/create/update/delete named by method and path shape, plus the literal
    segments after the group (``list_sources`` for GET /customers/{id}/sources)."""
    segments = static_segments(path)
    last_is_param = bool(segments) and segments[-1].startswith("{")
    literals = [snake(s) for s in segments if not s.startswith("{")]
    if literals and literals[0] == group:
        literals = literals[1:]
    verb = {
        "GET": "get" if last_is_param else "list",
        "POST": "update" if last_is_param else "create",
        "PUT": "replace" if last_is_param else "put",
        "PATCH": "update",
        "DELETE": "delete",
    }.get(method.upper(), method.lower())
    return "_".join([verb, *literals])


def group_and_method(operation_id: str, method: str, path: str) -> tuple[str, str]:
    """The resource group and method name of an operation, before clashes are resolved.

    ``repos/list-for-org`` -> (repos, list_for_org); ``drive.files.list`` -> (files,
    list); Slack's ``conversations_list`` -> (conversations, list); ids made mechanically
    from method and path (Stripe's ``GetCustomersCustomer``, or none at all) -> named by
    path shape (customers, get); anything else -> the path's first segment and the id.
    """
    group = path_group(path)
    if ":" in operation_id:  # no operationId: the parser named it "get:/path"
        return group, _shape_name(method, path, group)
    for separator in ("/", "."):
        if separator in operation_id:
            parts = [p for p in operation_id.split(separator) if p]
            if len(parts) >= 2:
                return snake(parts[-2]), snake(parts[-1])
    tokens = snake(operation_id).split("_")
    if "_" in operation_id:
        head, _, rest = operation_id.partition("_")
        if head and head == head.lower() and head not in _VERBS and rest:
            return snake(head), snake(rest)
    path_words = set()
    for segment in static_segments(path):
        path_words.update(snake(segment.strip("{}")).split("_"))
    meaningful = {t for t in tokens[1:] if not _VERSION.match(t)}
    if tokens and tokens[0] in _HTTP_VERBS and meaningful <= path_words:
        return group, _shape_name(method, path, group)
    # The group's own words add nothing after the verb: items.create, not
    # items.create_item (but databases.query_a_database keeps its noun).
    group_words = set(group.split("_")) | {w[:-1] for w in group.split("_") if w.endswith("s")}
    remaining = tokens[:1] + [
        t
        for i, t in enumerate(tokens[1:], start=1)
        if t not in group_words or tokens[i - 1] in ("a", "an", "the")
    ]
    if remaining == [group] or not remaining:
        return group, _shape_name(method, path, group)
    return group, "_".join(remaining)
