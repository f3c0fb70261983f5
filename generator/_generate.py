"""Generating connector packages: from a connector.yaml, or from any spec file."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from connectory.core import AuthenticationType

from ._checks import check_definition
from ._definition import NO_PAGINATION, ConnectorDefinition, included_operations, load_definition
from ._errors import DefinitionError
from ._loader import Resolver, load_openapi
from ._model import Api
from ._naming import pascal
from ._parse import ApiBuilder
from ._render import connector_types, render
from ._report import GenerationReport, build_report
from ._write import format_tree, read_tree, write_file, write_package

REPOSITORY = Path(__file__).resolve().parent.parent
CONNECTOR_TYPES = Path("core") / "_connector_types.py"


@attrs.frozen
class GenerationResult:
    name: str
    out: Path
    report: GenerationReport
    files: int


def build_api(spec: Path, definition: ConnectorDefinition | None = None) -> Api:
    """The model of `spec`, cut to `definition`'s operations; the definition is checked
    against the spec first, and nothing is built when it names what the spec lacks."""
    document, _ = load_openapi(spec)
    if definition is not None and definition.spec_patches:
        document = apply_patches(document, definition.spec_patches, definition.path)
    resolver = Resolver(document, spec)
    include = included_operations(definition) if definition else None
    if definition is not None:
        problems = check_definition(definition.raw, document, resolver)
        if problems:
            listed = "\n  ".join(str(p) for p in problems)
            raise DefinitionError(f"{definition.path}: {len(problems)} problem(s):\n  {listed}")
    api = ApiBuilder(document, resolver, include=include, definition=definition).build()
    if include is not None:
        missing = sorted(include - {op.operation_id for op in api.operations})
        if missing:
            assert definition is not None
            raise DefinitionError(
                f"{definition.path}: operations not in {spec.name}: {', '.join(missing)}"
            )
    return api


def apply_patches(
    document: dict[str, Any], patches: Iterable[tuple[str, Any]], source: Path
) -> dict[str, Any]:
    """`document` with each RFC 7386 merge patch applied at its JSON pointer (a type fix for
    a vendor's wrong spec, kept in connector.yaml so it survives a new upstream spec).

    A pointer ending in ``/-`` (RFC 6901's end of an array) appends instead: the patch is
    a list of entries added to the array there (made if absent), such as query parameters
    the vendor's API takes and its spec leaves out. A ``*`` segment stands for every key
    (or entry) at its level, for a fix the vendor's spec needs everywhere
    (``/components/schemas/*``); it must match something.
    """
    import copy

    from ._loader import _pointer_parts

    patched = copy.deepcopy(document)
    for pointer, patch in patches:
        where = f"{source}: overrides.spec_patches: {pointer}"
        parts = _pointer_parts(pointer)
        append = bool(parts) and parts[-1] == "-"
        if append:
            parts = parts[:-1]
        if not parts:
            raise DefinitionError(f"{where}: patch a part of the spec, not the whole")
        parents = _walk(patched, parts[:-1], where)
        last = parts[-1]
        targets = [(node, key) for node in parents for key in _keys(node, last) if _has(node, key)]
        if append:
            if last == "*" or not isinstance(patch, list):
                raise DefinitionError(f"{where}: '-' appends a list of entries to an array")
            for node in parents:
                if not isinstance(node, dict):
                    raise DefinitionError(f"{where}: '-' appends a list of entries to an array")
                current = node.get(last, [])
                if not isinstance(current, list):
                    raise DefinitionError(f"{where}: {last!r} is not an array")
                node[last] = [*current, *patch]
            continue
        if not targets:
            raise DefinitionError(f"{where} is not in the spec")
        for node, key in targets:
            node[key] = _merge(node[key], patch)
    return patched


def _keys(node: Any, part: str) -> list[Any]:
    """The keys (or indices) `part` names in `node`: all of them for ``*``."""
    if part != "*":
        return [int(part)] if isinstance(node, list) and part.isdigit() else [part]
    return list(range(len(node))) if isinstance(node, list) else list(_mapping(node))


def _mapping(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and key < len(node)
    return isinstance(node, dict) and key in node


def _walk(document: Any, parts: list[str], where: str) -> list[Any]:
    """The nodes `parts` lead to from `document` (several through a ``*``)."""
    nodes = [document]
    for part in parts:
        found: list[Any] = []
        for node in nodes:
            if isinstance(node, list):
                if part == "*":
                    found += node
                elif part.isdigit() and int(part) < len(node):
                    found.append(node[int(part)])  # an array entry, such as a parameter
            elif isinstance(node, dict):
                if part == "*":
                    found += node.values()
                elif part in node:
                    found.append(node[part])
        if not found:
            raise DefinitionError(f"{where} is not in the spec")
        nodes = found
    return nodes


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def generate(
    definition: ConnectorDefinition,
    out: Path,
    *,
    report: Path | None = None,
    templates: Path | None = None,
) -> GenerationResult:
    """Generate the package of `definition` into `out` (atomically)."""
    api = build_api(definition.spec, definition)
    files = render(api, definition, templates=templates)
    summary = build_report(api, name=definition.name, spec=str(definition.spec.name))
    write_package(files, out)
    if report is not None:
        text = json.dumps(summary.to_json(), indent=2, sort_keys=True) + "\n"
        write_file(report, text)
    return GenerationResult(definition.name, out, summary, len(files))


def definition_for_spec(spec: Path, name: str) -> ConnectorDefinition:
    """A definition made from the spec alone: its first server, its first security scheme."""
    if not name.isidentifier() or name != name.lower():
        raise DefinitionError(f"--name: {name!r} is not a lower-case Python identifier")
    document, _ = load_openapi(spec)
    api = ApiBuilder(document, Resolver(document, spec), include=set()).build()
    auth = _auth_from_schemes(api)
    return ConnectorDefinition(
        name=name,
        display_name=str((document.get("info") or {}).get("title") or name),
        class_prefix=pascal(name),
        category="Other business apps",
        spec=spec,
        source_spec=None,
        notes=None,
        base_url=_base_url(document),
        url_variables=(),
        api_version=None,
        default_headers=(),
        auth=(auth,),
        health_check=None,
        rate_limits={},
        pagination=NO_PAGINATION,
        items_path=None,
        resources=(),
        operations=None,
        overrides={},
        webhooks=None,
        spec_gaps={},
        reserved_path_params=frozenset(),
        code=None,
        spec_patches=(),
        raw={"auth": auth},
        path=spec,
    )


def _base_url(document: dict[str, Any]) -> str:
    for server in document.get("servers") or []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for key, variable in (server.get("variables") or {}).items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + key + "}", str(variable["default"]))
        url = re.sub(r"\{[^}]*\}", "x", url)
        if url.startswith(("http://", "https://")):
            return url
        if url.startswith("/"):
            return f"https://localhost{url}"
    return "https://localhost"


def _auth_from_schemes(api: Api) -> dict[str, Any]:
    for scheme in api.security_schemes:
        kind = scheme.type.lower()
        http_scheme = (scheme.scheme or "").lower()
        if kind == "http" and http_scheme == "bearer":
            return {"type": AuthenticationType.BEARER_TOKEN.value}
        if kind == "http" and http_scheme == "basic":
            return {"type": AuthenticationType.BASIC.value}
        if (
            kind == "apikey"
            and scheme.location in ("header", "query", "cookie")
            and scheme.param_name
        ):
            return {
                "type": AuthenticationType.API_KEY.value,
                "api_key": {"name": scheme.param_name, "in": scheme.location},
            }
        if kind == "oauth2" and scheme.token_url and scheme.token_url.startswith("http"):
            return {"type": AuthenticationType.OAUTH2.value, "token_url": scheme.token_url}
        if kind in ("oauth2", "openidconnect"):
            return {"type": AuthenticationType.BEARER_TOKEN.value}
    return {"type": AuthenticationType.NONE.value}


def generate_spec(
    spec: Path,
    name: str,
    out: Path,
    *,
    report: Path | None = None,
    templates: Path | None = None,
) -> GenerationResult:
    """`connectory generate --spec`: any spec file, no connector.yaml."""
    return generate(definition_for_spec(spec, name), out, report=report, templates=templates)


def find_definitions(specs_dir: Path) -> dict[str, Path]:
    """connector.yaml files below `specs_dir`, by connector name (the folder)."""
    return {path.parent.name: path for path in sorted(specs_dir.glob("*/connector.yaml"))}


def write_connector_types(root: Path, names: Iterable[str]) -> bool:
    """Rewrite core/_connector_types.py for `names`; True when it changed."""
    target = root / CONNECTOR_TYPES
    text = connector_types(names)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    write_file(target, text)
    return True


def check(
    definitions: Iterable[ConnectorDefinition],
    generated_dir: Path,
    *,
    templates: Path | None = None,
) -> list[str]:
    """Files under `generated_dir` that differ from what the generator writes today."""
    differing: list[str] = []
    with tempfile.TemporaryDirectory(prefix="connectory-check-") as scratch:
        for definition in definitions:
            api = build_api(definition.spec, definition)
            staging = Path(scratch) / definition.name
            for relative, text in render(api, definition, templates=templates).items():
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            format_tree(staging)
            expected = read_tree(staging)
            actual = read_tree(generated_dir / definition.name)
            for relative in sorted(expected.keys() | actual.keys()):
                if expected.get(relative) != actual.get(relative):
                    differing.append(f"{definition.name}/{relative}")
    return differing


def check_connector_types(root: Path, names: Iterable[str]) -> bool:
    """True when core/_connector_types.py matches `names`."""
    target = root / CONNECTOR_TYPES
    return target.exists() and target.read_text(encoding="utf-8") == connector_types(names)


__all__ = [
    "REPOSITORY",
    "GenerationResult",
    "build_api",
    "check",
    "check_connector_types",
    "definition_for_spec",
    "find_definitions",
    "generate",
    "generate_spec",
    "load_definition",
    "write_connector_types",
]
