"""Typed webhook events: connector.yaml's ``webhooks:`` against the spec's webhooks.

A definition names how the vendor signs deliveries (``scheme``) and, optionally, what they
decode into: ``event``, one schema every delivery is (Stripe's ``event``), and ``events``,
entries of the spec's webhooks (OpenAPI 3.1 ``webhooks``, or the 3.0 ``x-webhooks``
extension GitHub uses), each with its own body schema.

The generated connector decides a delivery's type with a table (``webhooks.py`` of its
package, read by `connectory.core.webhooks.WebhookEvents`). Each selected entry is a route:

- its event name, compared with the ``event_header`` the definition names (GitHub:
  ``X-GitHub-Event``). The name is the entry's ``x-github.subcategory`` where the spec
  has one (GitHub's name for the event), else the entry's own name;
- the body properties its schema fixes to one value (``const``, a one-value ``enum``, or
  such a value in every branch of a oneOf): GitHub's ``action``, which tells
  ``issues-opened`` from ``issues-closed``.

The routes are checked here to be disjoint, so at most one matches a delivery; one that
matches none decodes into the ``event`` schema when there is one, else stays the parsed
JSON in an `UnknownWebhookEvent`. A delivery is never decoded into another event's model.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ._checks import Problem, closest
from ._errors import DefinitionError, SpecError
from ._loader import escape_pointer_token
from ._model import AliasRef, ModelRef, TypeExpr, UnionOf, annotation, split_top
from ._naming import pascal

if TYPE_CHECKING:
    import jinja2

    from ._definition import ConnectorDefinition
    from ._loader import Resolver
    from ._model import Api
    from ._parse import ApiBuilder

WEBHOOKS_KEYS = frozenset({"scheme", "event_header", "event", "events"})
# Where a spec keeps its webhooks: OpenAPI 3.1's own field, and the extension 3.0 specs use.
SPEC_FIELDS = ("webhooks", "x-webhooks")
# Vendor extensions on a webhook's operation that name its event (the event header's value),
# and the one field of each that does. `connectory trim` keeps them.
EVENT_NAME_EXTENSIONS = (("x-github", "subcategory"),)
_METHODS = ("post", "put", "patch", "get", "delete")

JsonScalar = str | int | float | bool | None
Match = tuple[tuple[str, tuple[JsonScalar, ...]], ...]


@attrs.frozen
class WebhookEventsDef:
    """The typed part of ``webhooks:`` (the scheme is `ConnectorDefinition.webhooks`)."""

    event_header: str | None = None
    event: str | None = None  # a schema of components/schemas
    events: tuple[str, ...] = ()  # names of the spec's webhooks

    @property
    def typed(self) -> bool:
        return self.event is not None or bool(self.events)


def load_webhooks(raw: Any, path: Path) -> tuple[str | None, WebhookEventsDef | None]:
    """``webhooks:`` of connector.yaml: the scheme, and the typed events if any are named."""
    from connectory.core.webhooks import WEBHOOK_SCHEMES

    def fail(key: str, message: str) -> DefinitionError:
        return DefinitionError(f"{path}: webhooks{key}: {message}")

    if raw is None:
        return None, None
    if not isinstance(raw, Mapping):
        raise fail("", "expected a mapping with a 'scheme'")
    for key in raw:
        if key not in WEBHOOKS_KEYS:
            raise fail(f".{key}", f"unknown key{closest(str(key), WEBHOOKS_KEYS)}")
    scheme = raw.get("scheme")
    if not isinstance(scheme, str) or scheme.strip().lower() not in WEBHOOK_SCHEMES:
        raise fail(
            ".scheme",
            f"unknown scheme {scheme!r}; expected one of: {', '.join(sorted(WEBHOOK_SCHEMES))}",
        )
    for key in ("event_header", "event"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise fail(f".{key}", f"expected a name, got {raw[key]!r}")
    events = raw.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, str) and e for e in events):
        raise fail(".events", "expected a list of the spec's webhook names")
    repeated = sorted({e for e in events if events.count(e) > 1})
    if repeated:
        raise fail(".events", f"{repeated[0]!r} is listed twice")
    if "event_header" in raw and not events:
        raise fail(".event_header", "only used with events: (it tells them apart)")
    typed = WebhookEventsDef(raw.get("event_header"), raw.get("event"), tuple(events))
    return scheme.strip().lower(), typed if typed.typed else None


# -- the spec's webhooks -------------------------------------------------------------------


def spec_webhooks(document: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The field holding the spec's webhooks and their map (empty when there is none)."""
    for field in SPEC_FIELDS:
        found = document.get(field)
        if isinstance(found, Mapping):
            return field, found
    return SPEC_FIELDS[0], {}


@attrs.frozen
class WebhookEntry:
    """A selected webhook of the spec: its body schema and the route to it."""

    name: str
    event: str | None  # the event header's value (None: the definition reads no header)
    match: Match  # body properties fixed to values, as the route checks them
    schema: Any
    base: str
    pointer: str  # of the schema


def _event_name(name: str, operation: Mapping[str, Any]) -> str:
    for extension, field in EVENT_NAME_EXTENSIONS:
        value = operation.get(extension)
        if isinstance(value, Mapping) and isinstance(value.get(field), str) and value[field]:
            return str(value[field])
    return name


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _fixed_value(resolver: Resolver, schema: Any, base: str) -> frozenset[Any] | None:
    """The values a property schema allows when it allows finitely few through ``const``
    or a one-value ``enum`` (also inside a single-member allOf); None otherwise."""
    node, _, node_base = resolver.deref(schema, base)
    if not isinstance(node, Mapping):
        return None
    if "const" in node and _scalar(node["const"]):
        return frozenset([(type(node["const"]), node["const"])])
    enum = node.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and _scalar(enum[0]):
        return frozenset([(type(enum[0]), enum[0])])
    members = [m for m in node.get("allOf") or [] if m not in ({}, True)]
    if len(members) == 1:
        return _fixed_value(resolver, members[0], node_base)
    return None


def _fixed_properties(
    resolver: Resolver, schema: Any, base: str, depth: int = 0
) -> dict[str, frozenset[Any]]:
    """Top-level body properties `schema` fixes, with their allowed (type, value) pairs."""
    node, _, node_base = resolver.deref(schema, base)
    if not isinstance(node, Mapping) or depth > 8:
        return {}
    fixed: dict[str, frozenset[Any]] = {}

    def narrow(found: Mapping[str, frozenset[Any]]) -> None:
        for name, values in found.items():
            fixed[name] = fixed[name] & values if name in fixed else values

    properties = node.get("properties")
    if isinstance(properties, Mapping):
        own = {}
        for name, sub in properties.items():
            values = _fixed_value(resolver, sub, node_base)
            if values is not None:
                own[str(name)] = values
        narrow(own)
    for member in node.get("allOf") or []:
        narrow(_fixed_properties(resolver, member, node_base, depth + 1))
    for key in ("oneOf", "anyOf"):
        branches = [
            _fixed_properties(resolver, branch, node_base, depth + 1)
            for branch in node.get(key) or []
        ]
        if branches:
            # fixed only when every branch fixes it; then any branch's value may come
            common = set.intersection(*(set(b) for b in branches))
            narrow({name: frozenset().union(*(b[name] for b in branches)) for name in common})
    return fixed


def _body_schema(
    resolver: Resolver, item: Any, base: str, pointer: str
) -> tuple[Mapping[str, Any], Any, str, str] | None:
    """(operation, JSON body schema, its base, its pointer) of a webhook's path item."""
    node, _, item_base = resolver.deref(item, base)
    if not isinstance(node, Mapping):
        return None
    for method in _METHODS:
        operation = node.get(method)
        if not isinstance(operation, Mapping):
            continue
        body, _, body_base = resolver.deref(operation.get("requestBody"), item_base)
        content = body.get("content") if isinstance(body, Mapping) else None
        for media, value in (content or {}).items():
            kind = str(media).split(";")[0].strip().lower()
            if (kind == "application/json" or kind.endswith("+json")) and isinstance(
                value, Mapping
            ):
                if value.get("schema") is None:
                    continue
                media_pointer = escape_pointer_token(str(media))
                where = f"{pointer}/{method}/requestBody/content/{media_pointer}/schema"
                return operation, value["schema"], body_base, where
    return None


def webhook_entries(
    document: Mapping[str, Any], resolver: Resolver, events: WebhookEventsDef
) -> tuple[list[WebhookEntry], list[Problem]]:
    """The entries `events` selects, and what is wrong with the selection."""
    field, webhooks = spec_webhooks(document)
    entries: list[WebhookEntry] = []
    problems: list[Problem] = []
    for position, name in enumerate(events.events):
        key = f"webhooks.events[{position}]"
        if name not in webhooks:
            where = "has no webhooks (OpenAPI 3.1 webhooks, or x-webhooks)"
            if webhooks:
                where = f"has no webhook {name!r} in {field}{closest(name, webhooks)}"
            problems.append(Problem(key, f"the spec {where}"))
            continue
        pointer = f"/{field}/{escape_pointer_token(name)}"
        try:
            found = _body_schema(resolver, webhooks[name], resolver.root_key, pointer)
            if found is None:
                problems.append(Problem(key, f"webhook {name!r} has no JSON request body schema"))
                continue
            operation, schema, base, schema_pointer = found
            fixed = _fixed_properties(resolver, schema, base)
        except SpecError as exc:
            problems.append(Problem(key, f"webhook {name!r}: {exc}"))
            continue
        match = tuple(
            (prop, tuple(value for _, value in sorted(values, key=repr)))
            for prop, values in sorted(fixed.items())
        )
        event = _event_name(name, operation) if events.event_header else None
        entries.append(WebhookEntry(name, event, match, schema, base, schema_pointer))
    problems.extend(_ambiguities(entries, events))
    return entries, problems


def _event_key(name: str | None) -> str | None:
    """As `connectory.core.webhooks` compares event names."""
    return None if name is None else name.strip().lower().replace("-", "_")


def _ambiguities(entries: list[WebhookEntry], events: WebhookEventsDef) -> list[Problem]:
    """Pairs of entries a single delivery could match: nothing would tell them apart."""
    problems: list[Problem] = []
    for index, first in enumerate(entries):
        for second in entries[index + 1 :]:
            if _event_key(first.event) != _event_key(second.event):
                continue
            mine = dict(first.match)
            if any(
                prop in mine
                and not {(type(v), v) for v in mine[prop]} & {(type(v), v) for v in values}
                for prop, values in second.match
            ):
                continue
            header = (
                f"both are {events.event_header} {first.event!r} events"
                if events.event_header
                else "no webhooks.event_header is read"
            )
            problems.append(
                Problem(
                    "webhooks.events",
                    f"{first.name!r} and {second.name!r} cannot be told apart: {header}, and "
                    "no body property their schemas fix to a value differs",
                )
            )
    return problems


def check_webhooks(raw: Any, document: Mapping[str, Any], resolver: Resolver) -> list[Problem]:
    """Problems of connector.yaml's ``webhooks:`` (already well-formed) against the spec."""
    if not isinstance(raw, Mapping):
        return []
    events = WebhookEventsDef(
        raw.get("event_header"), raw.get("event"), tuple(raw.get("events") or ())
    )
    problems: list[Problem] = []
    if events.event is not None:
        schemas = (document.get("components") or {}).get("schemas") or {}
        if events.event not in schemas:
            problems.append(
                Problem(
                    "webhooks.event",
                    f"schema {events.event!r} is not in components/schemas"
                    f"{closest(events.event, schemas)}",
                )
            )
    if events.events:
        problems.extend(webhook_entries(document, resolver, events)[1])
    return problems


# -- the model: built with the operations' schemas -----------------------------------------


@attrs.frozen
class EventRoute:
    name: str  # the webhook's name in the spec
    event: str | None
    match: Match
    model: TypeExpr  # a model, or a union of models (a oneOf body)


@attrs.frozen
class WebhookEvents:
    """What a generated connector's deliveries decode into."""

    event_header: str | None
    routes: tuple[EventRoute, ...]
    fallback: TypeExpr | None


def _is_object(t: TypeExpr) -> bool:
    """A model, a named union of models, or a union of those: what a JSON object decodes
    into (a body of any other type could not be told from a wrong one)."""
    if isinstance(t, UnionOf):
        return all(_is_object(option) for option in t.options)
    return isinstance(t, ModelRef | AliasRef)


def build_webhook_events(builder: ApiBuilder) -> WebhookEvents | None:
    """The typed events of the builder's definition; their models join the API's."""
    definition = builder.definition
    events = definition.webhook_events if definition is not None else None
    if definition is None or events is None:
        return None
    schemas = builder.schemas

    def model(schema: Any, base: str, hint: str, pointer: str, key: str) -> TypeExpr:
        found = schemas.type_of(schema, base, hint, pointer)
        if not _is_object(found):
            raise DefinitionError(
                f"{definition.path}: {key}: the schema at {pointer} is not an object schema "
                f"(it reads as {annotation(found)}), so no event model can be made of it"
            )
        return found

    fallback = None
    if events.event is not None:
        pointer = f"/components/schemas/{escape_pointer_token(events.event)}"
        ref = {"$ref": f"#{pointer}"}
        fallback = model(ref, builder.resolver.root_key, events.event, pointer, "webhooks.event")
    entries, problems = webhook_entries(builder.document, builder.resolver, events)
    if problems:  # checked before building; a spec patched in between could still differ
        raise DefinitionError(f"{definition.path}: {problems[0]}")
    routes = tuple(
        EventRoute(
            entry.name,
            entry.event,
            entry.match,
            model(
                entry.schema,
                entry.base,
                f"Webhook{pascal(entry.name)}",
                entry.pointer,
                f"webhooks.events ({entry.name})",
            ),
        )
        for entry in entries
    )
    return WebhookEvents(events.event_header, routes, fallback)


# -- rendering -------------------------------------------------------------------------------

MODELS = "m."
UNKNOWN = "UnknownWebhookEvent"


@attrs.frozen
class WebhooksView:
    """What templates print: the event type and the table's routes, as source."""

    event_type: str  # the annotation of what `unwrap` returns
    routes: tuple[str, ...]  # WebhookRoute(...) expressions
    event_header: str | None
    fallback: str | None
    doc: tuple[str, ...]  # the module docstring's lines after the first


def webhooks_view(events: WebhookEvents | None, scheme: str | None) -> WebhooksView | None:
    if events is None:
        return None
    types: list[str] = []
    routes: list[str] = []
    for route in events.routes:
        model = annotation(route.model, models_prefix=MODELS)
        types.extend(part for part in split_top(model) if part not in types)
        args = [model]
        if route.event is not None:
            args.append(f"event={route.event!r}")
        if route.match:
            match = ", ".join(f"{prop!r}: {values!r}" for prop, values in route.match)
            args.append(f"match={{{match}}}")
        routes.append(f"WebhookRoute({', '.join(args)})")
    fallback = None
    if events.fallback is not None:
        fallback = annotation(events.fallback, models_prefix=MODELS)
        types.extend(part for part in split_top(fallback) if part not in types)
    else:
        types.append(UNKNOWN)
    return WebhooksView(
        event_type=" | ".join(types),
        routes=tuple(routes),
        event_header=events.event_header,
        fallback=fallback,
        doc=_doc(events, scheme),
    )


def _doc(events: WebhookEvents, scheme: str | None) -> tuple[str, ...]:
    header = f" (the ``{events.event_header}`` header)" if events.event_header else ""
    other = (
        f"decodes into `{annotation(events.fallback)}`"
        if events.fallback is not None
        else "is an `UnknownWebhookEvent` holding the parsed JSON"
    )
    if events.routes:
        typing = (
            f"typed by `EVENTS`: the route whose event{header} and fixed body values match "
            f"decodes the body into its model; any other delivery {other}"
        )
    else:
        typing = f"every delivery {other}"
    text = (
        f"Deliveries are verified with the {scheme} scheme, then {typing}. Decoding is "
        "lenient: see `connectory.core.models.deviations`."
    )
    lines = ["", *textwrap.wrap(text, 92)]
    if events.routes:
        lines += ["", "Typed webhooks of the spec:", ""]
        lines += [f"- ``{route.name}``: `{annotation(route.model)}`" for route in events.routes]
    return tuple(lines)


def render_webhooks(
    api: Api, definition: ConnectorDefinition, env: jinja2.Environment, common: Mapping[str, Any]
) -> tuple[dict[str, str], WebhooksView | None]:
    """The package's ``webhooks.py`` (when the definition types its events) and the view
    the connector's template prints its ``webhooks`` property from."""
    view = webhooks_view(api.webhook_events, definition.webhooks)
    if view is None:
        return {}, None
    text = env.get_template("webhooks.py.jinja").render(webhooks=view, **common)
    return {"webhooks.py": text}, view


__all__ = [
    "EventRoute",
    "WebhookEvents",
    "WebhookEventsDef",
    "WebhooksView",
    "build_webhook_events",
    "check_webhooks",
    "load_webhooks",
    "render_webhooks",
    "spec_webhooks",
]
