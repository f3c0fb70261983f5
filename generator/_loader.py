"""Reading OpenAPI documents (JSON or YAML) and resolving their ``$ref``s.

References are resolved lazily and never inlined: a reference is identified by its
canonical target ("file#/json/pointer"), which gives recursive schemas a stable name and
lets every part of the generator share one resolved node per target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from ._errors import SpecError

try:  # libyaml's loader is ten times faster on large specs
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _YamlLoader = yaml.SafeLoader

SUPPORTED = ("3.0", "3.1")


def read_document(path: Path) -> Any:
    """Parse a JSON or YAML file; errors name the file and the position."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    except UnicodeDecodeError:
        raise SpecError("not UTF-8 text", source=str(path)) from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                source=str(path),
            ) from None
    try:
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(f"invalid YAML{where}: {problem}", source=str(path)) from None


def check_version(document: Any, source: str) -> str:
    """The document's version ("2.0", "3.0" or "3.1"); a clear error for anything else."""
    if not isinstance(document, dict):
        raise SpecError("the document is not a mapping", source=source)
    if "swagger" in document:
        if str(document["swagger"]).startswith("2."):
            return "2.0"
        raise SpecError(
            f"Swagger {document['swagger']} is not supported (supported: 2.0, OpenAPI 3.0, 3.1)",
            source=source,
        )
    version = document.get("openapi")
    if not isinstance(version, str):
        raise SpecError("no 'openapi' version field: not an OpenAPI document", source=source)
    major_minor = ".".join(version.split(".")[:2])
    if major_minor not in SUPPORTED:
        raise SpecError(f"OpenAPI {version} is not supported (supported: 3.0, 3.1)", source=source)
    if not isinstance(document.get("paths", {}), dict):
        raise SpecError("'paths' must be a mapping", source=source, pointer="/paths")
    return major_minor


def load_openapi(path: Path) -> tuple[Any, str]:
    """Read a spec and bring it to OpenAPI 3: Swagger 2.0 is converted in memory."""
    document = read_document(path)
    version = check_version(document, str(path))
    if version == "2.0":
        from ._swagger import convert

        document = convert(document)
        version = "3.0"
    return document, version


def _pointer_parts(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(pointer)
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Resolver:
    """Resolves ``$ref`` against the root document and the files it references."""

    def __init__(self, root: Any, path: Path | None) -> None:
        self.root = root
        self.root_path = path.resolve() if path else None
        self._documents: dict[str, Any] = {self._key(self.root_path): root}

    @staticmethod
    def _key(path: Path | None) -> str:
        return str(path) if path else "<root>"

    @property
    def root_key(self) -> str:
        return self._key(self.root_path)

    def _document(self, key: str) -> Any:
        if key not in self._documents:
            self._documents[key] = read_document(Path(key))
        return self._documents[key]

    def target(self, ref: str, base: str) -> str:
        """The canonical "document#pointer" a ``$ref`` written in `base` points at."""
        file_part, _, pointer = ref.partition("#")
        if file_part:
            if file_part.startswith(("http://", "https://")):
                raise SpecError(f"remote $ref {ref!r} is not supported", source=base)
            base_dir = Path(base).parent if base != "<root>" else Path.cwd()
            key = str((base_dir / file_part).resolve())
        else:
            key = base
        return f"{key}#{pointer}"

    def lookup(self, target: str) -> Any:
        key, _, pointer = target.partition("#")
        node = self._document(key)
        try:
            parts = _pointer_parts(pointer)
        except ValueError:
            raise SpecError(f"malformed JSON pointer {pointer!r}", source=key) from None
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise SpecError("$ref target does not exist", source=key, pointer=pointer)
        return node

    def deref(self, node: Any, base: str) -> tuple[Any, str | None, str]:
        """Follow ``$ref`` chains from `node`: (resolved node, its target or None, its base)."""
        target: str | None = None
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = self.target(node["$ref"], base)
            if target in seen:
                raise SpecError(f"$ref cycle through {target}", source=base)
            seen.add(target)
            base = target.partition("#")[0]
            node = self.lookup(target)
        return node, target, base
