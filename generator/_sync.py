"""Regenerating a connector from a new version of its vendor's spec: ``connectory diff
--connector`` and ``connectory sync`` (docs/regeneration.md).

`regenerate` does everything that needs no writing, in a folder the caller provides and
removes: it fetches the new spec (a file, or an http(s) URL read with httpx), trims it to
the operations connector.yaml uses (or takes it whole when the spec is our own), generates
the connector from it, and compares both levels with what the project has now: the spec
(`_diff`, both sides with connector.yaml's spec patches applied, since that is what the
generator reads) and the generated Python API (`_api_diff`), each Python change tied to
the spec changes behind it. `render_report` prints the result; `changelog_entry`,
`planned_files`, `unified_diff` and `apply` are the rest of ``sync``.

Nothing in the project is written before everything has been generated and compared, and
then each file is replaced atomically: bad input (a spec that does not parse, a URL that
cannot be fetched, an unknown connector) leaves the project as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import attrs
import httpx
import yaml

from ._api_diff import ADDITIONS, ApiChange, SpecSide, diff_packages, link
from ._catalog import catalog_text, write_catalog
from ._check_code import CodeCheck, render_code_markdown, render_code_text
from ._definition import ConnectorDefinition, included_operations, load_definition
from ._diff import diff_documents
from ._diff_render import Change, SpecDiff, render_json, render_markdown, render_text
from ._errors import GeneratorError, SpecError
from ._generate import apply_patches, build_api, find_definitions, generate
from ._loader import load_openapi, read_document
from ._parse import HTTP_METHODS
from ._trim import trim, write_trimmed
from ._write import read_tree, write_file, write_package

__all__ = [
    "Regeneration",
    "SyncError",
    "apply",
    "changelog_entry",
    "fetch_spec",
    "planned_files",
    "regenerate",
    "render_report",
    "unified_diff",
]

Format = Literal["text", "markdown", "json"]
Bump = Literal["major", "minor", "patch"]
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CHANGELOG = "CHANGELOG.md"


class SyncError(GeneratorError):
    """Input a regeneration cannot use: an unknown connector, a spec that cannot be fetched."""


@attrs.frozen
class Upstream:
    """The new spec: a local file (downloaded first when given as a URL)."""

    path: Path
    label: str  # as it was given: the path or the URL


def fetch_spec(source: str, into: Path) -> Upstream:
    """The spec at `source` (a path, or an http(s) URL downloaded into folder `into`)."""
    if urlsplit(source).scheme not in ("http", "https"):
        path = Path(source)
        if not path.is_file():
            raise SyncError(f"{source}: no such file")
        return Upstream(path, source)
    try:
        response = httpx.get(source, follow_redirects=True, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise SyncError(
            f"{source}: the server answered {exc.response.status_code} {exc.response.reason_phrase}"
        ) from None
    except httpx.HTTPError as exc:
        raise SyncError(f"{source}: cannot fetch: {exc or type(exc).__name__}") from None
    suffix = Path(urlsplit(source).path).suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        suffix = ".json" if response.text.lstrip().startswith("{") else ".yaml"
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"upstream{suffix}"
    path.write_bytes(response.content)
    return Upstream(path, source)


@attrs.frozen
class Regeneration:
    """A connector regenerated from a new spec into a scratch folder, compared with now."""

    root: Path
    definition: ConnectorDefinition  # as connector.yaml says today
    preview: ConnectorDefinition  # the same, reading the new spec
    upstream: Upstream
    new_spec: Path  # what would replace definition.spec
    old_version: str
    new_version: str
    spec_diff: SpecDiff
    api_changes: tuple[ApiChange, ...]
    old_package: Path
    new_package: Path
    # operations connector.yaml names that the new spec does not have (left out here)
    dropped: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def api_breaking(self) -> tuple[ApiChange, ...]:
        return tuple(c for c in self.api_changes if c.breaking)

    @property
    def breaking(self) -> bool:
        return bool(self.spec_diff.breaking or self.api_breaking)

    @property
    def changed(self) -> bool:
        return bool(self.spec_diff.changes or self.api_changes)

    @property
    def bump(self) -> Bump:
        """major for any breaking change, minor for additions, patch otherwise."""
        if self.breaking:
            return "major"
        if any(c.kind in ADDITIONS for c in self.api_changes) or any(
            c.kind.value.endswith("_added") for c in self.spec_diff.changes
        ):
            return "minor"
        return "patch"


def regenerate(
    root: Path, name: str, source: str, work: Path, *, keep_missing: bool = True
) -> Regeneration:
    """Regenerate connector `name` of project `root` from the spec at `source` into `work`.

    With `keep_missing` False, operations named by connector.yaml and absent from the new
    spec are an error (`sync` cannot write a connector its connector.yaml contradicts);
    with True they are left out of the regenerated connector and listed in `dropped`.
    Raises `GeneratorError` (SpecError, DefinitionError, SyncError) for bad input.
    """
    definitions = find_definitions(root / "openapi_specs")
    if name not in definitions:
        known = ", ".join(definitions) or "none"
        raise SyncError(
            f"no connector.yaml for {name} in {root / 'openapi_specs'}; available: {known}"
        )
    definition = load_definition(definitions[name])
    old_package = root / "generated" / definition.name
    if not (old_package / "__init__.py").is_file():
        raise SyncError(f"{old_package}: not generated yet; run: connectory generate {name}")
    if not definition.spec.is_file():
        raise SyncError(f"{definition.spec}: the connector's spec is missing")
    upstream = fetch_spec(source, work / "upstream")
    document, _ = load_openapi(upstream.path)
    wanted = included_operations(definition)
    dropped = tuple(sorted(_named_operations(definition) - _operation_ids(document)))
    if dropped and not keep_missing:
        raise SyncError(
            f"{definition.path} names operations the new spec does not have: "
            f"{', '.join(dropped)}. Take them out of connector.yaml (operations, resources, "
            f"health_check, overrides) and sync again; `connectory diff --connector {name} "
            f"--spec {source}` shows what the connector loses."
        )
    new_spec = work / "spec" / definition.spec.name
    new_spec.parent.mkdir(parents=True, exist_ok=True)
    if definition.source_spec:
        kept = None if wanted is None else wanted - set(dropped)
        write_trimmed(trim(upstream.path, kept, webhooks=definition.webhook_events), new_spec)
    else:
        _copy_spec(upstream.path, new_spec)
    preview = _without(attrs.evolve(definition, spec=new_spec), set(dropped))
    new_package = work / "package" / definition.name
    with _ruff_cache_in(work / "ruff-cache"):
        generate(preview, new_package)
    old_document = _patched(definition.spec, definition)
    new_document = _patched(new_spec, preview)
    spec_diff = diff_documents(
        old_document,
        new_document,
        old_path=definition.spec,
        new_path=new_spec,
        old_source=_shown(definition.spec, root),
        new_source=upstream.label,
    )
    changes = diff_packages(old_package, new_package)
    linked = link(
        changes,
        spec_diff,
        SpecSide(build_api(definition.spec, definition), old_document),
        SpecSide(build_api(new_spec, preview), new_document),
    )
    return Regeneration(
        root=root,
        definition=definition,
        preview=preview,
        upstream=upstream,
        new_spec=new_spec,
        old_version=_version(old_document),
        new_version=_version(new_document),
        spec_diff=spec_diff,
        api_changes=linked,
        old_package=old_package,
        new_package=new_package,
        dropped=dropped,
    )


@contextlib.contextmanager
def _ruff_cache_in(folder: Path) -> Iterator[None]:
    """Point ruff's cache at `folder` while generating: left alone, ruff (which formats the
    generated code) keeps it in the current folder, the project a dry run must not touch."""
    before = os.environ.get("RUFF_CACHE_DIR")
    os.environ["RUFF_CACHE_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RUFF_CACHE_DIR", None)
        else:
            os.environ["RUFF_CACHE_DIR"] = before


def _shown(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return (
        resolved.relative_to(root.resolve()).as_posix()
        if resolved.is_relative_to(root.resolve())
        else str(path)
    )


def _named_operations(definition: ConnectorDefinition) -> set[str]:
    """Every operationId connector.yaml names, with `operations: all` too."""
    named = set(included_operations(definition) or ())
    for resource in definition.resources:
        named.update(op for op in (resource.list_op, resource.get_op) if op)
    if definition.health_check:
        named.add(definition.health_check)
    return named | set(definition.overrides)


def _operation_ids(document: Mapping[str, Any]) -> set[str]:
    """Every operationId of `document`, named the way `trim` and the generator name them."""
    found: set[str] = set()
    for path, item in (document.get("paths") or {}).items():
        if isinstance(item, dict):
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict):
                    found.add(str(op.get("operationId") or f"{method}:{path}"))
    return found


def _copy_spec(source: Path, target: Path) -> None:
    """A spec of our own, as it is; converted when the connector keeps the other format."""
    wants_json = target.suffix.lower() == ".json"
    is_json = source.suffix.lower() == ".json"
    if wants_json == is_json:
        shutil.copyfile(source, target)
        return
    document = read_document(source)
    if wants_json:
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        target.write_text(text, encoding="utf-8")


def _without(definition: ConnectorDefinition, dropped: set[str]) -> ConnectorDefinition:
    """`definition` with the operations in `dropped`, and what names them, taken out."""
    if not dropped:
        return definition
    raw = dict(definition.raw)
    gone_resources = {
        r.name for r in definition.resources if r.list_op in dropped or r.get_op in dropped
    }
    if isinstance(raw.get("operations"), list):
        raw["operations"] = [op for op in raw["operations"] if op not in dropped]
    if isinstance(raw.get("resources"), Mapping):
        raw["resources"] = {k: v for k, v in raw["resources"].items() if k not in gone_resources}
    if raw.get("health_check") in dropped:
        raw.pop("health_check")
    overrides = raw.get("overrides")
    if isinstance(overrides, Mapping) and isinstance(overrides.get("operations"), Mapping):
        kept = {k: v for k, v in overrides["operations"].items() if k not in dropped}
        raw["overrides"] = {**overrides, "operations": kept}
    return attrs.evolve(
        definition,
        operations=tuple(op for op in definition.operations or () if op not in dropped)
        if definition.operations is not None
        else None,
        resources=tuple(r for r in definition.resources if r.name not in gone_resources),
        health_check=None if definition.health_check in dropped else definition.health_check,
        overrides={k: v for k, v in definition.overrides.items() if k not in dropped},
        raw=raw,
    )


def _patched(spec: Path, definition: ConnectorDefinition) -> dict[str, Any]:
    document, _ = load_openapi(spec)
    if not isinstance(document, dict):  # pragma: no cover - load_openapi checks it
        raise SpecError("the document is not a mapping", source=str(spec))
    if definition.spec_patches:
        return apply_patches(document, definition.spec_patches, definition.path)
    return document


def _version(document: Mapping[str, Any]) -> str:
    info = document.get("info")
    version = info.get("version") if isinstance(info, Mapping) else None
    return str(version) if version not in (None, "") else "unversioned"


# -- reports ---------------------------------------------------------------------------------


def _headline(regeneration: Regeneration) -> str:
    return (
        f"Connector {regeneration.name}: spec {regeneration.old_version} -> "
        f"{regeneration.new_version} ({regeneration.spec_diff.old_source} -> "
        f"{regeneration.upstream.label})"
    )


def _dropped_note(regeneration: Regeneration) -> str:
    return (
        f"connector.yaml names operations the new spec does not have: "
        f"{', '.join(regeneration.dropped)}. They are left out here; take them out of "
        f"connector.yaml before `connectory sync`."
    )


def _cause_line(change: Change) -> str:
    direction = f" [{change.direction}]" if change.direction else ""
    return f"{change.kind}{direction}: {change.message} (at {change.pointer}, {change.pointer_in})"


def _api_summary(changes: Sequence[ApiChange]) -> str:
    return f"{len(changes)} changes, {sum(c.breaking for c in changes)} breaking."


def render_report(
    regeneration: Regeneration, format: Format = "text", code: CodeCheck | None = None
) -> str:
    """Both levels of the report; `code` is a `_check_code.CodeCheck` to add, if any."""
    if format == "json":
        return _render_json(regeneration, code)
    if format == "markdown":
        return _render_markdown(regeneration, code)
    return _render_text(regeneration, code)


def _render_text(regeneration: Regeneration, code: CodeCheck | None) -> str:
    lines = [_headline(regeneration), f"Suggested version bump: {regeneration.bump}."]
    if regeneration.dropped:
        lines += ["", f"Note: {_dropped_note(regeneration)}"]
    lines += ["", "Spec changes", "============", render_text(regeneration.spec_diff).rstrip()]
    changes = regeneration.api_changes
    lines += ["", "Python API changes", "==================", _api_summary(changes)]
    sections = (
        ("Breaking changes", [c for c in changes if c.breaking]),
        ("Other changes", [c for c in changes if not c.breaking]),
    )
    for title, listed in sections:
        if not listed:
            continue
        lines += ["", f"{title} ({len(listed)}):"]
        for change in listed:
            lines.append(f"- {change.kind}: {change.message}")
            lines.append(f"    at {change.path}")
            for cause in change.causes:
                lines.append(f"    caused by {_cause_line(cause)}")
            if not change.causes:
                lines.append("    caused by: not traced to one spec change")
    if code is not None:
        lines += ["", render_code_text(code).rstrip()]
    return "\n".join(lines) + "\n"


def _render_markdown(regeneration: Regeneration, code: CodeCheck | None) -> str:
    lines = [
        f"# {_headline(regeneration)}",
        "",
        f"Suggested version bump: **{regeneration.bump}**.",
    ]
    if regeneration.dropped:
        lines += ["", f"> {_dropped_note(regeneration)}"]
    spec = render_markdown(regeneration.spec_diff).rstrip().splitlines()
    lines += ["", *(f"#{line}" if line.startswith("#") else line for line in spec)]
    changes = regeneration.api_changes
    lines += ["", "## Python API changes", "", _api_summary(changes)]
    if changes:
        lines += ["", "| kind | breaking | where | change | caused by |", "|---|---|---|---|---|"]
        for change in changes:
            causes = "; ".join(f"{c.kind} at `{c.pointer}`" for c in change.causes) or "-"
            lines.append(
                f"| {change.kind} | {'yes' if change.breaking else 'no'} | `{change.path}` "
                f"| {_cell(change.message)} | {_cell(causes)} |"
            )
    if code is not None:
        lines += ["", render_code_markdown(code).rstrip()]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _render_json(regeneration: Regeneration, code: CodeCheck | None) -> str:
    changes = regeneration.api_changes
    document: dict[str, Any] = {
        "connector": regeneration.name,
        "spec_versions": {"old": regeneration.old_version, "new": regeneration.new_version},
        "bump": regeneration.bump,
        "dropped_operations": list(regeneration.dropped),
        "spec": json.loads(render_json(regeneration.spec_diff)),
        "python": {
            "summary": {
                "changes": len(changes),
                "breaking": sum(c.breaking for c in changes),
            },
            "changes": [c.to_json() for c in changes],
        },
    }
    if code is not None:
        document["code"] = code.to_json()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- the changelog and the files a sync writes ------------------------------------------------


def changelog_entry(regeneration: Regeneration, today: dt.date) -> str:
    """The CHANGELOG.md entry of this sync: date, versions, counts, breaking changes, bump."""
    spec, changes = regeneration.spec_diff, regeneration.api_changes
    api_breaking = regeneration.api_breaking
    source = regeneration.upstream.label
    if urlsplit(source).scheme not in ("http", "https"):
        source = Path(source).name
    lines = [
        f"## {today.isoformat()}: spec {regeneration.old_version} -> {regeneration.new_version}",
        "",
        f"Synced from `{source}`. Suggested version bump: **{regeneration.bump}**.",
        "",
        "| | changes | breaking |",
        "|---|---:|---:|",
        f"| spec | {len(spec.changes)} | {len(spec.breaking)} |",
        f"| Python API | {len(changes)} | {len(api_breaking)} |",
    ]
    if spec.breaking:
        lines += ["", "Breaking spec changes:", ""]
        lines += [
            f"- `{c.kind}`{f' [{c.direction}]' if c.direction else ''} at `{c.pointer}`: "
            f"{c.message}"
            for c in spec.breaking
        ]
    if api_breaking:
        lines += ["", "Breaking Python API changes:", ""]
        for change in api_breaking:
            causes = ", ".join(sorted({str(c.kind) for c in change.causes}))
            why = f" (spec: {causes})" if causes else ""
            lines.append(f"- `{change.path}`: {change.message}{why}")
    if not spec.breaking and not api_breaking:
        lines += ["", "No breaking changes."]
    return "\n".join(lines) + "\n"


def _changelog_path(regeneration: Regeneration) -> Path:
    return regeneration.definition.path.parent / CHANGELOG


def _changelog_text(regeneration: Regeneration, today: dt.date) -> tuple[str | None, str]:
    path = _changelog_path(regeneration)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    head = (
        old
        if old is not None
        else (
            f"# {regeneration.definition.display_name} connector: spec changes\n\n"
            "One entry per `connectory sync`, oldest first: the spec versions, what changed\n"
            "and the version bump it calls for.\n"
        )
    )
    return old, f"{head.rstrip()}\n\n{changelog_entry(regeneration, today)}"


@attrs.frozen
class PlannedFile:
    path: Path  # in the project
    old: bytes | None  # None: the file is new
    new: bytes | None  # None: the file goes away


def planned_files(regeneration: Regeneration, today: dt.date) -> list[PlannedFile]:
    """Every project file a sync changes, with its content now and after."""
    planned: list[PlannedFile] = []
    old_spec = regeneration.definition.spec.read_bytes()
    new_spec = regeneration.new_spec.read_bytes()
    if old_spec != new_spec:
        planned.append(PlannedFile(regeneration.definition.spec, old_spec, new_spec))
    before = read_tree(regeneration.old_package)
    after = read_tree(regeneration.new_package)
    for relative in sorted(before.keys() | after.keys()):
        if before.get(relative) != after.get(relative):
            path = regeneration.old_package / relative
            planned.append(PlannedFile(path, before.get(relative), after.get(relative)))
    if not planned:
        return planned  # nothing changed: no changelog entry either
    old_log, new_log = _changelog_text(regeneration, today)
    planned.append(
        PlannedFile(
            _changelog_path(regeneration),
            old_log.encode() if old_log is not None else None,
            new_log.encode(),
        )
    )
    catalog = regeneration.root / "CONNECTORS.md"
    if catalog.is_file():
        new_catalog = _catalog_after(regeneration)
        old_catalog = catalog.read_bytes()
        if new_catalog != old_catalog:
            planned.append(PlannedFile(catalog, old_catalog, new_catalog))
    return planned


def _catalog_after(regeneration: Regeneration) -> bytes:
    """CONNECTORS.md as it will read once the regenerated package is in place."""
    scratch = regeneration.new_package.parent.parent / "catalog"
    generated = scratch / "generated"
    generated.mkdir(parents=True, exist_ok=True)
    for package in (regeneration.root / "generated").iterdir():
        # hidden folders are other writers' staging areas, not packages
        if (
            package.is_dir()
            and package.name not in (regeneration.name, "__pycache__")
            and not package.name.startswith(".")
        ):
            (generated / package.name).symlink_to(package.resolve(), target_is_directory=True)
    (generated / regeneration.name).symlink_to(
        regeneration.new_package.resolve(), target_is_directory=True
    )
    return catalog_text(scratch).encode()


def unified_diff(regeneration: Regeneration, planned: Sequence[PlannedFile]) -> str:
    """The planned changes as one unified diff, paths relative to the project."""
    root = regeneration.root.resolve()
    out: list[str] = []
    for item in planned:
        name = item.path.resolve().relative_to(root).as_posix()
        old_name = f"a/{name}" if item.old is not None else "/dev/null"
        new_name = f"b/{name}" if item.new is not None else "/dev/null"
        try:
            old_lines = (item.old or b"").decode().splitlines(keepends=True)
            new_lines = (item.new or b"").decode().splitlines(keepends=True)
        except UnicodeDecodeError:
            out.append(f"Binary files {old_name} and {new_name} differ\n")
            continue
        for line in difflib.unified_diff(old_lines, new_lines, old_name, new_name):
            out.append(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n")
    return "".join(out)


def apply(regeneration: Regeneration, today: dt.date) -> list[Path]:
    """Write the regenerated connector into the project; the files written, in order."""
    planned = planned_files(regeneration, today)
    if not planned:
        return []
    files = {
        relative: content.decode("utf-8")
        for relative, content in read_tree(regeneration.new_package).items()
    }
    write_package(files, regeneration.old_package)
    written = [regeneration.old_package]
    spec_text = regeneration.new_spec.read_text(encoding="utf-8")
    if regeneration.definition.spec.read_text(encoding="utf-8") != spec_text:
        write_file(regeneration.definition.spec, spec_text)
        written.append(regeneration.definition.spec)
    _, log = _changelog_text(regeneration, today)
    write_file(_changelog_path(regeneration), log)
    written.append(_changelog_path(regeneration))
    catalog = regeneration.root / "CONNECTORS.md"
    if catalog.is_file() and write_catalog(regeneration.root):
        written.append(catalog)
    return written
