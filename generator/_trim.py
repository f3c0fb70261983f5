"""`connectory trim`: a vendor spec cut down to the operations a connector uses.

Keeps the chosen operations, the webhooks and event schema its ``webhooks:`` names, and
everything they reference (transitively), and strips the
vendor's prose (descriptions, examples, external docs, tags) so the committed spec is
structure only. Map-like objects (``properties``, ``paths``, ``content``...) keep every key:
a schema property that happens to be called ``description`` is data, not prose.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import SpecError
from ._loader import Resolver, _pointer_parts, escape_pointer_token, load_openapi
from ._parse import HTTP_METHODS
from ._webhooks import EVENT_NAME_EXTENSIONS, spec_webhooks

if TYPE_CHECKING:
    from ._webhooks import WebhookEventsDef

# Keys dropped wherever they name a field of an OpenAPI object.
PROSE = frozenset(
    {
        "description",
        "example",
        "examples",
        "externalDocs",
        "tags",
        "termsOfService",
        "contact",
        "license",
        "x-github",
        "x-codeSamples",
        "x-code-samples",
        "x-readme",
    }
)
# Objects whose keys are names chosen by the API author, not OpenAPI fields.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "paths",
        "responses",
        "content",
        "headers",
        "links",
        "callbacks",
        "mapping",
        "variables",
        "encoding",
        "securitySchemes",
        "schemas",
        "parameters_map",
        "requestBodies",
        "examples_map",
        "definitions",
        "$defs",
    }
)
# Fields whose values are JSON data (a default, the allowed values), kept exactly as written.
LITERALS = frozenset({"default", "enum", "const"})


def _strip(node: Any, *, names: bool = False) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not names and (key in PROSE or (key.startswith("x-") and key != "x-nullable")):
                continue
            if not names and key in LITERALS:
                out[key] = value
                continue
            if not names and key == "scopes" and isinstance(value, dict):
                out[key] = dict.fromkeys(value, "")  # scope names only, not their prose
                continue
            out[key] = _strip(value, names=(not names and key in NAME_MAPS))
        return out
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _webhook_roots(
    document: dict[str, Any], webhooks: WebhookEventsDef | None, source: Path
) -> tuple[str, dict[str, Any], list[Any]]:
    """The spec's webhooks field, the selected entries (stripped, their event names kept),
    and the nodes whose references the trimmed spec must keep."""
    field, available = spec_webhooks(document)
    if webhooks is None:
        return field, {}, []
    roots: list[Any] = []
    if webhooks.event is not None:
        schemas = (document.get("components") or {}).get("schemas") or {}
        if webhooks.event not in schemas:
            raise SpecError(
                f"webhooks.event: schema {webhooks.event!r} not found", source=str(source)
            )
        roots.append({"$ref": f"#/components/schemas/{escape_pointer_token(webhooks.event)}"})
    missing = [name for name in webhooks.events if name not in available]
    if missing:
        raise SpecError(f"webhooks not found in {field}: {', '.join(missing)}", source=str(source))
    kept: dict[str, Any] = {}
    for name in webhooks.events:
        item = available[name]
        stripped = _strip(item)
        for method, operation in item.items() if isinstance(item, dict) else ():
            if not isinstance(operation, dict) or not isinstance(stripped.get(method), dict):
                continue
            for extension, key in EVENT_NAME_EXTENSIONS:
                value = operation.get(extension)
                if isinstance(value, dict) and key in value:
                    stripped[method][extension] = {key: value[key]}
        kept[name] = stripped
        roots.append(stripped)
    return field, kept, roots


def trim(
    source: Path,
    operation_ids: Iterable[str] | None,
    *,
    webhooks: WebhookEventsDef | None = None,
) -> dict[str, Any]:
    """The trimmed document: `operation_ids` (None: all), the webhooks and event schema
    of `webhooks`, and what they reference."""
    document, _ = load_openapi(source)
    webhooks_field, kept_webhooks, webhook_roots = _webhook_roots(document, webhooks, source)
    wanted = set(operation_ids) if operation_ids is not None else None
    paths: dict[str, Any] = {}
    found: set[str] = set()
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        kept = {k: v for k, v in item.items() if k not in HTTP_METHODS}
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            op_id = str(op.get("operationId") or f"{method}:{path}")
            if wanted is None or op_id in wanted:
                kept[method] = op
                found.add(op_id)
        if any(m in kept for m in HTTP_METHODS):
            paths[path] = kept
    if wanted is not None and wanted - found:
        raise SpecError(
            f"operations not found: {', '.join(sorted(wanted - found))}", source=str(source)
        )
    resolver = Resolver(document, source)
    root = resolver.root_key
    # Strip first, so references made only from prose (examples) are not followed.
    paths = _strip(paths, names=True)
    components: dict[str, dict[str, Any]] = {}
    elsewhere: list[tuple[list[str], Any]] = []
    pending: list[Any] = [paths, *webhook_roots]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = resolver.target(ref, root)
                if target not in seen:
                    seen.add(target)
                    key, _, pointer = target.partition("#")
                    parts = pointer.split("/")
                    if key != root:
                        raise SpecError(
                            f"$ref {ref!r}: trim keeps references within the document only",
                            source=str(source),
                        )
                    if len(parts) >= 4 and parts[1] == "components":
                        # The component itself (a pointer may reach inside it).
                        kind, name = parts[2], _pointer_parts("/" + parts[3])[0]
                        value = _strip(resolver.lookup(f"{root}#/components/{kind}/{parts[3]}"))
                        components.setdefault(kind, {})[name] = value
                    else:
                        # A reference into paths (or elsewhere): keep the top-level entry it
                        # is in (the whole operation, for a reference into one), so the
                        # reference resolves in the trimmed document as in the source.
                        entry = parts[1:4] if parts[1] == "paths" else parts[1:3]
                        kept = _strip(resolver.lookup(f"{root}#/" + "/".join(entry)))
                        elsewhere.append((entry, kept))
                        pending.append(kept)
                        continue
                    pending.append(value)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    schemes = (document.get("components") or {}).get("securitySchemes")
    if isinstance(schemes, dict) and schemes:
        components["securitySchemes"] = _strip(schemes, names=True)
    trimmed: dict[str, Any] = {
        "openapi": document["openapi"],
        "info": {
            "title": (document.get("info") or {}).get("title", ""),
            "version": (document.get("info") or {}).get("version", ""),
        },
        "servers": _strip(document.get("servers") or []),
        "paths": paths,
    }
    if document.get("security"):
        trimmed["security"] = document["security"]
    if kept_webhooks:
        trimmed[webhooks_field] = kept_webhooks
    if components:
        trimmed["components"] = {k: dict(sorted(v.items())) for k, v in sorted(components.items())}
    for parts, value in elsewhere:
        node = trimmed
        tokens = _pointer_parts("/" + "/".join(parts))
        for token in tokens[:-1]:
            node = node.setdefault(token, {})
        if isinstance(node, dict):
            node.setdefault(tokens[-1], value)
    return trimmed


def write_trimmed(document: dict[str, Any], out: Path) -> None:
    text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
