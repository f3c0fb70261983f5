"""The breaking-change report's data (`Change`, `SpecDiff`) and its text, Markdown and JSON forms.

`connectory.generator._diff` computes a `SpecDiff`; this module only describes and prints
it, so a caller that wants its own output format needs nothing but the attributes here.
Every rendering is deterministic: changes keep the diff's order and JSON keys are sorted.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from typing import Any, Literal

import attrs


class ChangeKind(StrEnum):
    """What changed. The pointer says where; `Change.breaking` says whether it breaks."""

    OPERATION_REMOVED = "operation_removed"
    OPERATION_ADDED = "operation_added"
    OPERATION_ID_CHANGED = "operation_id_changed"
    OPERATION_DEPRECATED = "operation_deprecated"

    PARAMETER_REMOVED = "parameter_removed"
    PARAMETER_ADDED = "parameter_added"
    PARAMETER_RENAMED = "parameter_renamed"
    PARAMETER_REQUIRED = "parameter_required"
    PARAMETER_OPTIONAL = "parameter_optional"
    PARAMETER_LOCATION_CHANGED = "parameter_location_changed"
    PARAMETER_STYLE_CHANGED = "parameter_style_changed"
    PARAMETER_EXPLODE_CHANGED = "parameter_explode_changed"
    PARAMETER_TYPE_CHANGED = "parameter_type_changed"

    REQUEST_BODY_REMOVED = "request_body_removed"
    REQUEST_BODY_ADDED = "request_body_added"
    REQUEST_BODY_REQUIRED = "request_body_required"
    REQUEST_BODY_OPTIONAL = "request_body_optional"
    REQUEST_CONTENT_TYPE_REMOVED = "request_content_type_removed"
    REQUEST_CONTENT_TYPE_ADDED = "request_content_type_added"

    RESPONSE_STATUS_REMOVED = "response_status_removed"
    RESPONSE_STATUS_ADDED = "response_status_added"
    RESPONSE_CONTENT_TYPE_REMOVED = "response_content_type_removed"
    RESPONSE_CONTENT_TYPE_ADDED = "response_content_type_added"

    PROPERTY_REMOVED = "property_removed"
    PROPERTY_ADDED = "property_added"
    PROPERTY_REQUIRED = "property_required"
    PROPERTY_OPTIONAL = "property_optional"
    PROPERTY_TYPE_CHANGED = "property_type_changed"
    SCHEMA_TYPE_CHANGED = "schema_type_changed"
    FORMAT_CHANGED = "format_changed"
    NULLABLE_ADDED = "nullable_added"
    NULLABLE_REMOVED = "nullable_removed"
    ENUM_VALUE_ADDED = "enum_value_added"
    ENUM_VALUE_REMOVED = "enum_value_removed"
    ENUM_CONSTRAINT_ADDED = "enum_constraint_added"
    ENUM_CONSTRAINT_REMOVED = "enum_constraint_removed"
    BRANCH_ADDED = "branch_added"
    BRANCH_REMOVED = "branch_removed"

    SCHEMA_REMOVED = "schema_removed"
    SCHEMA_ADDED = "schema_added"
    SECURITY_SCHEME_REMOVED = "security_scheme_removed"
    SECURITY_SCHEME_ADDED = "security_scheme_added"
    SECURITY_SCHEME_CHANGED = "security_scheme_changed"
    SECURITY_SCOPE_REMOVED = "security_scope_removed"
    SECURITY_SCOPE_ADDED = "security_scope_added"
    SECURITY_REQUIREMENT_REMOVED = "security_requirement_removed"
    SECURITY_REQUIREMENT_ADDED = "security_requirement_added"
    SERVER_REMOVED = "server_removed"
    SERVER_ADDED = "server_added"
    DEFAULT_SERVER_CHANGED = "default_server_changed"


# One sentence per kind; `describe` fills in names and values, never text from the spec.
_MESSAGES: dict[ChangeKind, str] = {
    ChangeKind.OPERATION_REMOVED: "operation {operation} was removed",
    ChangeKind.OPERATION_ADDED: "operation {operation} was added",
    ChangeKind.OPERATION_ID_CHANGED: "the operationId of {operation} changed from {old} to {new}",
    ChangeKind.OPERATION_DEPRECATED: "operation {operation} is now deprecated",
    ChangeKind.PARAMETER_REMOVED: "{subject} was removed",
    ChangeKind.PARAMETER_ADDED: "{subject} was added ({which})",
    ChangeKind.PARAMETER_RENAMED: "{subject} was renamed to '{new}'",
    ChangeKind.PARAMETER_REQUIRED: "{subject} is now required",
    ChangeKind.PARAMETER_OPTIONAL: "{subject} is now optional",
    ChangeKind.PARAMETER_LOCATION_CHANGED: "parameter '{name}' moved from {old} to {new}",
    ChangeKind.PARAMETER_STYLE_CHANGED: "the style of {subject} changed from {old} to {new}",
    ChangeKind.PARAMETER_EXPLODE_CHANGED: "{subject} is {now} exploded",
    ChangeKind.PARAMETER_TYPE_CHANGED: "the type of {subject} changed from {old} to {new}",
    ChangeKind.REQUEST_BODY_REMOVED: "the request body was removed",
    ChangeKind.REQUEST_BODY_ADDED: "a request body was added ({which})",
    ChangeKind.REQUEST_BODY_REQUIRED: "the request body is now required",
    ChangeKind.REQUEST_BODY_OPTIONAL: "the request body is now optional",
    ChangeKind.REQUEST_CONTENT_TYPE_REMOVED: "request content type {old} was removed",
    ChangeKind.REQUEST_CONTENT_TYPE_ADDED: "request content type {new} was added",
    ChangeKind.RESPONSE_STATUS_REMOVED: "response {old} was removed",
    ChangeKind.RESPONSE_STATUS_ADDED: "response {new} was added",
    ChangeKind.RESPONSE_CONTENT_TYPE_REMOVED: "content type {old} of {subject} was removed",
    ChangeKind.RESPONSE_CONTENT_TYPE_ADDED: "content type {new} was added to {subject}",
    ChangeKind.PROPERTY_REMOVED: "property '{old}' of {subject} was removed",
    ChangeKind.PROPERTY_ADDED: "property '{new}' was added to {subject} ({which})",
    ChangeKind.PROPERTY_REQUIRED: "property '{name}' of {subject} is now required",
    ChangeKind.PROPERTY_OPTIONAL: "property '{name}' of {subject} is now optional",
    ChangeKind.PROPERTY_TYPE_CHANGED: "the type of {subject} changed from {old} to {new}",
    ChangeKind.SCHEMA_TYPE_CHANGED: "the type of {subject} changed from {old} to {new}",
    ChangeKind.FORMAT_CHANGED: "the format of {subject} changed from {old} to {new}",
    ChangeKind.NULLABLE_ADDED: "{subject} may now be null",
    ChangeKind.NULLABLE_REMOVED: "{subject} may no longer be null",
    ChangeKind.ENUM_VALUE_ADDED: "values {values} were added to {subject}",
    ChangeKind.ENUM_VALUE_REMOVED: "values {values} were removed from {subject}",
    ChangeKind.ENUM_CONSTRAINT_ADDED: "{subject} is now limited to the values {values}",
    ChangeKind.ENUM_CONSTRAINT_REMOVED: "{subject} is no longer limited to a list of values",
    ChangeKind.BRANCH_ADDED: "branch {new} was added to {subject}",
    ChangeKind.BRANCH_REMOVED: "branch {old} was removed from {subject}",
    ChangeKind.SCHEMA_REMOVED: "schema '{old}' was removed",
    ChangeKind.SCHEMA_ADDED: "schema '{new}' was added",
    ChangeKind.SECURITY_SCHEME_REMOVED: "security scheme '{old}' was removed",
    ChangeKind.SECURITY_SCHEME_ADDED: "security scheme '{new}' was added",
    ChangeKind.SECURITY_SCHEME_CHANGED: (
        "{what} of security scheme '{name}' changed from {old} to {new}"
    ),
    ChangeKind.SECURITY_SCOPE_REMOVED: (
        "scopes {values} were removed from {what} of security scheme '{name}'"
    ),
    ChangeKind.SECURITY_SCOPE_ADDED: (
        "scopes {values} were added to {what} of security scheme '{name}'"
    ),
    ChangeKind.SECURITY_REQUIREMENT_REMOVED: "security requirement {old} was removed{where}",
    ChangeKind.SECURITY_REQUIREMENT_ADDED: "security requirement {new} was added{where}",
    ChangeKind.SERVER_REMOVED: "server {old} was removed",
    ChangeKind.SERVER_ADDED: "server {new} was added",
    ChangeKind.DEFAULT_SERVER_CHANGED: "the default server changed from {old} to {new}",
}
_SHOWN_VALUES = 8


def show_values(values: Any) -> str:
    """Values as JSON, the first few of them: `"a", "b" and 3 more`."""
    shown = [json.dumps(v, ensure_ascii=False) for v in values]
    more = len(shown) - _SHOWN_VALUES
    text = ", ".join(shown[:_SHOWN_VALUES])
    return f"{text} and {more} more" if more > 0 else text


def _shown(value: Any) -> Any:
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or "none"
    return value


def describe(kind: ChangeKind, **facts: Any) -> str:
    """The one-sentence message of a change of `kind`."""
    shown = {k: _shown(v) for k, v in facts.items()}
    text = _MESSAGES[kind].format(**shown)
    return f"{text[0].upper()}{text[1:]}."


class Direction(StrEnum):
    """Which way the data flows: requests are judged for callers, responses for readers."""

    REQUEST = "request"
    RESPONSE = "response"


PointerIn = Literal["old", "new"]
FailOn = Literal["breaking", "any"]


@attrs.frozen
class Change:
    """One change between the two documents.

    `pointer` is a JSON pointer into the new document (`pointer_in == "new"`) for additions
    and changes, into the old one (`pointer_in == "old"`) for removals. A change inside a
    `$ref`-erenced component is reported once, at the component's own pointer, with every
    operation that reaches it in `direction`. `old` and `new` are small JSON values (a type
    name, a tuple of enum values, a flag); never whole schemas.
    """

    kind: ChangeKind
    breaking: bool
    pointer: str
    pointer_in: PointerIn
    message: str
    operations: tuple[str, ...] = ()
    direction: Direction | None = None
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (tuples become lists)."""
        return {
            "kind": self.kind.value,
            "breaking": self.breaking,
            "pointer": self.pointer,
            "pointer_in": self.pointer_in,
            "message": self.message,
            "operations": list(self.operations),
            "direction": self.direction.value if self.direction else None,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
        }


@attrs.frozen
class SpecDiff:
    """Every change from `old_source` to `new_source`, in a deterministic order."""

    old_source: str
    new_source: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def counts(self) -> dict[ChangeKind, int]:
        """How many changes of each kind, by kind name."""
        return dict(sorted(Counter(c.kind for c in self.changes).items()))

    @property
    def breaking_counts(self) -> dict[ChangeKind, int]:
        return dict(sorted(Counter(c.kind for c in self.breaking).items()))


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def exit_status(diff: SpecDiff, fail_on: FailOn | None) -> int:
    """1 when `fail_on` is met ("breaking": any breaking change; "any": any change), else 0."""
    if fail_on == "breaking":
        return 1 if diff.breaking else 0
    if fail_on == "any":
        return 1 if diff.changes else 0
    return 0


def render_json(diff: SpecDiff) -> str:
    """The whole diff as JSON: sorted keys, two-space indent, a final newline."""
    document = {
        "old": diff.old_source,
        "new": diff.new_source,
        "summary": {
            "changes": len(diff.changes),
            "breaking": len(diff.breaking),
            "by_kind": {k.value: n for k, n in diff.counts.items()},
            "breaking_by_kind": {k.value: n for k, n in diff.breaking_counts.items()},
        },
        "changes": [c.to_json() for c in diff.changes],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# Text and Markdown are read by people: long operation lists are cut, JSON keeps them all.
_SHOWN_OPERATIONS = 5


def _operations_line(operations: tuple[str, ...]) -> str:
    shown = ", ".join(operations[:_SHOWN_OPERATIONS])
    more = len(operations) - _SHOWN_OPERATIONS
    return f"{shown} and {more} more" if more > 0 else shown


def _where(change: Change) -> str:
    return f"{change.pointer} ({change.pointer_in})"


def _summary_line(diff: SpecDiff) -> str:
    return f"{len(diff.changes)} changes, {len(diff.breaking)} breaking."


def render_text(diff: SpecDiff) -> str:
    """A plain-text report: breaking changes first, then the others, then counts by kind."""
    lines = [f"API changes from {diff.old_source} to {diff.new_source}", _summary_line(diff)]
    sections = (
        ("Breaking changes", diff.breaking),
        ("Other changes", tuple(c for c in diff.changes if not c.breaking)),
    )
    for title, changes in sections:
        if not changes:
            continue
        lines += ["", f"{title} ({len(changes)}):"]
        for change in changes:
            direction = f" [{change.direction}]" if change.direction else ""
            lines.append(f"- {change.kind}{direction}: {change.message}")
            lines.append(f"    at {_where(change)}")
            if change.operations:
                lines.append(f"    operations: {_operations_line(change.operations)}")
    if diff.changes:
        lines += ["", "Counts by kind (total, breaking):"]
        breaking = diff.breaking_counts
        width = max(len(k) for k in diff.counts)
        for kind, count in diff.counts.items():
            lines.append(f"  {kind:<{width}}  {count:>5}  {breaking.get(kind, 0):>5}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else _cell(text)


def render_markdown(diff: SpecDiff) -> str:
    """A Markdown report: a summary table by kind, then one table per section."""
    lines = [
        f"# API changes from {_code(diff.old_source)} to {_code(diff.new_source)}",
        "",
        _summary_line(diff),
    ]
    if diff.changes:
        breaking = diff.breaking_counts
        lines += ["", "| kind | changes | breaking |", "|---|---:|---:|"]
        lines += [
            f"| {kind} | {count} | {breaking.get(kind, 0)} |" for kind, count in diff.counts.items()
        ]
    sections = (
        ("Breaking changes", diff.breaking),
        ("Other changes", tuple(c for c in diff.changes if not c.breaking)),
    )
    for title, changes in sections:
        if not changes:
            continue
        lines += [
            "",
            f"## {title} ({len(changes)})",
            "",
            "| kind | direction | where | change | operations |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {c.kind} | {c.direction or ''} | {_code(c.pointer)} ({c.pointer_in}) "
            f"| {_cell(c.message)} | {_cell(_operations_line(c.operations))} |"
            for c in changes
        ]
    return "\n".join(lines) + "\n"
