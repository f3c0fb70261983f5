"""Scaffolding a new connector: the copier template's jinja extension, and ``connectory new``.

The copier template ``templates/new-connector`` asks for a connector's name, spec, base URL,
auth, rate limits, resources and category, and writes ``openapi_specs/<name>/``. Its
defaults come from the spec: `ProposalExtension`, loaded by copier through the template's
``_jinja_extensions``, gives the template filters that read a spec (a path or an http(s)
URL) once per process, propose answers with `connectory.generator._propose`, check answers
against the spec with the checks ``connectory generate`` runs (`_checks`), and render the
trimmed spec (`_trim`). Every filter returns plain data, so copier's sandboxed jinja can use
it; every ``..._problem`` filter returns an error message or ``""``, which is what copier's
question ``validator`` expects.

`scaffold` is ``connectory new``: it runs the same template with copier's Python API into a
staging folder next to ``openapi_specs/<name>``, generates the connector from it, and only
then moves the folder into place, so a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import importlib.resources
import json
import keyword
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml
from jinja2 import Environment
from jinja2.ext import Extension

from ._checks import SpecIndex, check_definition, closest
from ._definition import RESOURCE_KEYS, _pagination
from ._errors import DefinitionError, GeneratorError, SpecError
from ._loader import Resolver, load_openapi
from ._propose import AuthProposal, Proposal, propose
from ._trim import trim

__all__ = [
    "CORPUS",
    "TEMPLATE",
    "ProposalExtension",
    "ScaffoldError",
    "ScaffoldResult",
    "name_problem",
    "parse_data",
    "scaffold",
    "template_path",
]

TEMPLATE = "new-connector"
# Where `connectory trim` reads full vendor specs from, relative to the project root; a spec
# found there is recorded by its file name, as the shipped connectors record theirs.
CORPUS = Path("..") / "shared" / "specs" / "business"
ANSWERS_FILE = ".copier-answers.yml"
# Path segments of cheap GET operations that tell who the credentials belong to: the best
# health check, since it fails exactly when the credentials do.
_IDENTITY_SEGMENTS = (
    "me",
    "user",
    "whoami",
    "self",
    "myself",
    "current_user",
    "currentuser",
    "auth.test",
    "account",
    "users.me",
)
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# What spec titles add to a vendor's name: "Slack Web API", "GitHub v3 REST API".
_TITLE_NOISE = re.compile(
    r"(\s+(rest|web|http|public|open|api|endpoints|reference|v\d[\w.]*))+$", re.I
)


class ScaffoldError(GeneratorError):
    """Answers, a spec or a destination that a new connector cannot be made from."""


# -- specs, read once per process -----------------------------------------------------------


@attrs.frozen(eq=False)
class LoadedSpec:
    """A spec as the template's answer names it, and the local file it was read from."""

    source: str
    path: Path
    document: dict[str, Any]

    @property
    def resolver(self) -> Resolver:
        return Resolver(self.document, self.path)


_LOADED: dict[tuple[str, ...], LoadedSpec] = {}
_PROPOSALS: dict[int, dict[str, Any]] = {}
_DOWNLOADS: list[Path] = []


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def _download(url: str) -> Path:
    """The spec at `url`, saved for the rest of the process: the loader, its resolver and
    `trim` read files."""
    import httpx

    try:
        response = httpx.get(url, follow_redirects=True, timeout=60)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SpecError(f"cannot fetch: {exc}", source=url) from None
    if not _DOWNLOADS:
        folder = Path(tempfile.mkdtemp(prefix="connectory-specs-"))
        _DOWNLOADS.append(folder)
        atexit.register(shutil.rmtree, folder, True)
    suffix = Path(httpx.URL(url).path).suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        suffix = ".json" if response.content.lstrip().startswith(b"{") else ".yaml"
    target = _DOWNLOADS[0] / f"spec-{len(list(_DOWNLOADS[0].iterdir()))}{suffix}"
    target.write_bytes(response.content)
    return target


def load_spec(spec: str) -> LoadedSpec:
    """The spec named by `spec`: an http(s) URL, or a path (relative to the current
    directory, the project root). Read again only when a local file changed."""
    spec = str(spec).strip()
    if not spec:
        raise SpecError("no spec given: a path or an http(s) URL of an OpenAPI document")
    if is_url(spec):
        key: tuple[str, ...] = (spec,)
        path = None
    else:
        path = Path(spec).expanduser().resolve()
        try:
            stat = path.stat()
        except OSError as exc:
            raise SpecError(f"cannot read: {exc.strerror or exc}", source=spec) from None
        key = (str(path), str(stat.st_mtime_ns), str(stat.st_size))
    found = _LOADED.get(key)
    if found is None:
        local = path if path is not None else _download(spec)
        document, _ = load_openapi(local)
        found = LoadedSpec(spec, local, document)
        _LOADED[key] = found
    return found


def source_spec(spec: str) -> str:
    """What connector.yaml records as ``source_spec``: the file name of a spec in the
    corpus `connectory trim` reads by default, else the URL or the absolute path."""
    spec = str(spec).strip()
    if is_url(spec):
        return spec
    path = Path(spec).expanduser().resolve()
    if path.parent == (Path.cwd() / CORPUS).resolve():
        return path.name
    return str(path)


# -- proposals --------------------------------------------------------------------------------


def _display_name(document: Mapping[str, Any]) -> str:
    info = document.get("info")
    title = str(info.get("title") or "") if isinstance(info, dict) else ""
    return _TITLE_NOISE.sub("", " ".join(title.split())).strip() or title


def _auth_fields(auth: AuthProposal) -> dict[str, Any]:
    return {
        "type": auth.type,
        "api_key_name": auth.api_key.name if auth.api_key else "",
        "api_key_in": auth.api_key.location if auth.api_key else "header",
        "api_key_prefix": (auth.api_key.prefix or "") if auth.api_key else "",
        "token_url": auth.token_url or "",
        "authorization_url": auth.authorization_url or "",
        "scopes": list(auth.scopes),
    }


def propose_health_check(loaded: LoadedSpec, proposal: Proposal) -> str | None:
    """A GET without path parameters or required query parameters that needs credentials:
    one that names the credentials' owner (``GET /user``), else the first proposed
    listing that qualifies."""
    index = SpecIndex(loaded.document, loaded.resolver)
    public_default = loaded.document.get("security") == []

    def cheap(op_id: str) -> bool:
        op = index.operations.get(op_id)
        if op is None or op.method != "GET" or "path" in op.parameters.values():
            return False
        if op.node.get("security") == [] or (public_default and "security" not in op.node):
            return False
        for raw in op.node.get("parameters") or []:
            node, _, _ = loaded.resolver.deref(raw, op.base)
            if isinstance(node, dict) and node.get("in") == "query" and node.get("required"):
                return False
        return True

    candidates = [op_id for op_id in index.operations if cheap(op_id)]
    for segment in _IDENTITY_SEGMENTS:
        for op_id in candidates:
            last = index.operations[op_id].path.rstrip("/").rsplit("/", 1)[-1].lower()
            if last == segment:
                return op_id
    return next((r.list_operation for r in proposal.resources if cheap(r.list_operation)), None)


def _passing(
    loaded: LoadedSpec, resources: dict[str, dict[str, Any]], pagination: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The proposed resources, changed until ``connectory generate``'s checks pass.

    The proposal reads schemas more leniently than the checks: a resource whose paging
    fields the checks do not find in its response pages with ``none`` instead (a paging
    field the API has but its spec omits belongs under ``spec_gaps``, which only the user
    can vouch for); one that still fails is left out. Each change is said in the notes.
    """
    resources = copy.deepcopy(resources)
    notes: list[str] = []

    def problems() -> dict[str, list[str]]:
        raw = {"resources": resources, "pagination": pagination}
        found: dict[str, list[str]] = {}
        for problem in check_definition(raw, loaded.document, loaded.resolver):
            _, name, field = [*problem.key.split("."), "", ""][:3]
            if problem.key.startswith("resources.") and name in resources:
                found.setdefault(name, []).append(f"{field}: {problem}")
        return found

    for name, found in problems().items():
        if all(f.startswith("pagination:") for f in found):
            resources[name]["pagination"] = {"style": "none"}
            notes.append(f"{name} pages with none: {'; '.join(found)}")
    for name, found in problems().items():
        del resources[name]
        notes.append(f"{name} left out: {'; '.join(found)}")
    return resources, notes


def proposal_for(spec: str) -> dict[str, Any]:
    """What the template offers as defaults for `spec`, with the reasons behind them."""
    loaded = load_spec(spec)
    cached = _PROPOSALS.get(id(loaded))
    if cached is not None:
        return cached
    proposal = propose(loaded.document, loaded.resolver)
    pagination = proposal.pagination.to_yaml_dict()
    resources, notes = _passing(
        loaded,
        {r.name: r.to_yaml_dict(proposal.pagination) for r in proposal.resources},
        pagination,
    )
    reasons = [f"{r.name}: {r.reasons}" for r in proposal.resources if r.name in resources]
    alternatives = {a.type: a for a in reversed(proposal.auth.alternatives)}
    alternatives[proposal.auth.type] = proposal.auth
    info = loaded.document.get("info")
    result = {
        "display_name": _display_name(loaded.document),
        "spec_version": str(info.get("version") or "") if isinstance(info, dict) else "",
        "base_url": proposal.base_url.url,
        "base_url_reasons": proposal.base_url.reasons,
        "auth_type": proposal.auth.type,
        "auth_reasons": proposal.auth.reasons,
        "auth": {kind: _auth_fields(option) for kind, option in alternatives.items()},
        "pagination": pagination,
        "pagination_reasons": proposal.pagination.reasons,
        "resources": resources,
        "resource_reasons": "\n".join([*reasons, *notes]),
        "resource_notes": notes,
        "health_check": propose_health_check(loaded, proposal) or "",
    }
    _PROPOSALS[id(loaded)] = result
    return result


def auth_default(spec: str, auth_type: str, field: str) -> Any:
    """The proposed value of one auth detail for the chosen `auth_type` (the spec's scheme
    of that type, where it has one)."""
    options = proposal_for(spec)["auth"]
    chosen = options.get(auth_type) or _auth_fields(AuthProposal(type=auth_type))
    return chosen[field]


# -- rendering --------------------------------------------------------------------------------


# The order connector.yaml's keys are written in wherever they occur (answers typed in a
# terminal come back sorted); other keys keep their order, after these.
_KEY_ORDER = {
    key: position
    for position, key in enumerate(
        [
            *("type", "style", "list", "get", "id_param", "id_field", "items_path"),
            *("item_path", "pagination", "incremental", "description"),
        ]
    )
}


def _ordered(value: Any) -> Any:
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: _KEY_ORDER.get(str(k), len(_KEY_ORDER)))
        return {key: _ordered(value[key]) for key in keys}
    if isinstance(value, list):
        return [_ordered(item) for item in value]
    return value


def to_yaml(value: Any, indent: int = 0) -> str:
    """`value` as block YAML, every line but the first indented by `indent` spaces (for
    ``key:\\n  {{ value | connectory_yaml(2) }}``)."""
    text = yaml.safe_dump(
        _ordered(value),
        sort_keys=False,
        default_flow_style=False if value else None,
        allow_unicode=True,
        width=100,
    )
    # A lone scalar is dumped as a document of its own, with an end marker to drop.
    text = text.removesuffix("\n").removesuffix("\n...").rstrip("\n")
    return ("\n" + " " * indent).join(text.splitlines())


def operations_of(resources: Any, health_check: Any) -> list[str]:
    """The operationIds a new connector starts with: its resources' list and get
    operations and the health check, in the order the answers give them."""
    found: list[str] = []
    if isinstance(resources, Mapping):
        for resource in resources.values():
            if isinstance(resource, Mapping):
                found += [str(resource[k]) for k in ("list", "get") if resource.get(k)]
    if health_check:
        found.append(str(health_check))
    return list(dict.fromkeys(found))


def trimmed_spec(spec: str, operation_ids: Iterable[str]) -> str:
    """The spec cut to `operation_ids`, as ``connectory trim`` writes it."""
    loaded = load_spec(spec)
    document = trim(loaded.path, list(operation_ids))
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def url_variables(base_url: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\{([^{}]+)\}", str(base_url))))


def auth_mapping(
    auth_type: str,
    api_key_name: str = "",
    api_key_in: str = "header",
    api_key_prefix: str = "",
    token_url: str = "",
    authorization_url: str = "",
    scopes: Any = None,
) -> dict[str, Any]:
    """connector.yaml's ``auth`` from the answers (the details of other types dropped)."""
    result: dict[str, Any] = {"type": auth_type}
    if auth_type == "api_key":
        result["api_key"] = {
            "name": api_key_name,
            "in": api_key_in,
            "prefix": api_key_prefix or None,
        }
    if auth_type in ("oauth2", "oauth2_client_credentials"):
        result["token_url"] = token_url
        if auth_type == "oauth2" and authorization_url:
            result["authorization_url"] = authorization_url
        if scopes:
            result["scopes"] = [str(scope) for scope in scopes]
    return result


def rate_limits(**windows: Any) -> dict[str, int]:
    """The non-blank rate limit answers as integers."""
    return {key: int(value) for key, value in windows.items() if str(value or "").strip()}


# -- answer checks (copier validators: a message, or "" when the answer is good) ----------------


def name_problem(name: Any, destination: Any = None) -> str:
    """Why `name` cannot name a new connector in `destination` (its folder), or ""."""
    name = str(name or "")
    if not _NAME.fullmatch(name):
        return (
            f"{name!r} is not a lower-case Python identifier: use lower-case letters, digits"
            " and underscores, starting with a letter (acme_crm)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword: it cannot name a package"
    if destination is not None and str(destination):
        folder = Path(str(destination))
        if folder.name != name:
            return (
                f"the destination folder is {folder.name!r}: a connector lives in a folder of"
                f" its name (openapi_specs/{name})"
            )
        if (folder / "connector.yaml").exists() and not (folder / ANSWERS_FILE).exists():
            return f"{folder} already holds a connector.yaml: choose another name"
    return ""


def spec_problem(spec: Any) -> str:
    try:
        load_spec(str(spec or ""))
    except GeneratorError as exc:
        return str(exc)
    return ""


def base_url_problem(url: Any) -> str:
    text = str(url or "")
    if not re.match(r"https?://[^/\s]+", text) or any(c.isspace() for c in text):
        return f"{text!r} is not an absolute http(s) URL (https://api.example.com/v1)"
    return ""


def rate_problem(value: Any) -> str:
    text = str(value if value is not None else "").strip()
    if text and not (text.isascii() and text.isdigit() and int(text) > 0):
        return f"{text!r}: give a whole number of requests above 0, or leave it blank"
    return ""


def scopes_problem(scopes: Any) -> str:
    if scopes is None or (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        return ""
    return "give the scopes as a YAML list of strings ([read, write]) or []"


def health_check_problem(operation_id: Any, spec: Any) -> str:
    if not operation_id:
        return ""
    loaded = load_spec(str(spec))
    index = SpecIndex(loaded.document, loaded.resolver)
    op = index.operations.get(str(operation_id))
    if op is None:
        hint = closest(str(operation_id), index.operations)
        return f"operation {operation_id!r} is not in the spec{hint}"
    if op.method != "GET" or "path" in op.parameters.values():
        return f"{operation_id} must be a GET operation without path parameters"
    return ""


def pagination_problem(pagination: Any) -> str:
    if pagination is None:
        return ""
    try:
        _pagination(pagination, Path("answers"), "pagination")
    except DefinitionError as exc:
        return str(exc).removeprefix("answers: ")
    return ""


def resources_problem(resources: Any, spec: Any, pagination: Any = None) -> str:
    """Problems of the resources answer: its shape, and what it names against the spec."""
    if resources is None:
        return ""
    if not isinstance(resources, Mapping):
        return "expected a YAML mapping of resource names to {list: operationId, get: ...}"
    problems: list[str] = []
    for name, resource in resources.items():
        if not _NAME.fullmatch(str(name)) or keyword.iskeyword(str(name)):
            problems.append(f"{name}: a resource name is a lower-case Python identifier")
        elif not isinstance(resource, Mapping) or not resource.get("list"):
            problems.append(f"{name}: expected a mapping with a 'list' operationId")
        else:
            unknown = sorted(str(k) for k in resource if k not in RESOURCE_KEYS)
            if unknown:
                problems.append(f"{name}: unknown keys {', '.join(unknown)}")
            elif "pagination" in resource:
                problem = pagination_problem(resource["pagination"])
                if problem:
                    problems.append(f"{name}.{problem}")
    if not problems:
        loaded = load_spec(str(spec))
        raw = {"resources": dict(resources), "pagination": pagination}
        problems = [str(p) for p in check_definition(raw, loaded.document, loaded.resolver)]
    return "; ".join(problems)


class ProposalExtension(Extension):
    """The template's filters: proposals, answer checks and the trimmed spec."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            {
                "connectory_proposal": proposal_for,
                "connectory_auth_default": auth_default,
                "connectory_yaml": to_yaml,
                "connectory_operations": operations_of,
                "connectory_trimmed_spec": trimmed_spec,
                "connectory_source_spec": source_spec,
                "connectory_url_variables": url_variables,
                "connectory_name_problem": name_problem,
                "connectory_spec_problem": spec_problem,
                "connectory_base_url_problem": base_url_problem,
                "connectory_rate_problem": rate_problem,
                "connectory_scopes_problem": scopes_problem,
                "connectory_health_check_problem": health_check_problem,
                "connectory_pagination_problem": pagination_problem,
                "connectory_resources_problem": resources_problem,
            }
        )
        environment.globals.update(
            {"connectory_auth": auth_mapping, "connectory_rate_limits": rate_limits}
        )


# -- connectory new ------------------------------------------------------------------------------


@attrs.frozen
class ScaffoldResult:
    name: str
    folder: Path  # openapi_specs/<name>
    package: Path | None  # generated/<name>, when generated
    files: tuple[str, ...]  # written into `folder`, relative to it
    notes: tuple[str, ...] = ()  # how the proposed resources were changed to pass the checks


def template_path() -> Path:
    """The copier template as installed with connectory (a folder of the package)."""
    folder = importlib.resources.files("connectory.templates") / TEMPLATE
    if not isinstance(folder, Path) or not (folder / "copier.yml").is_file():
        raise ScaffoldError(f"the {TEMPLATE} template is not installed as a folder: {folder}")
    return folder


def parse_data(pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` pairs (copier's ``--data`` form) as a mapping."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScaffoldError(f"--data {pair!r}: expected key=value")
        data[key.strip()] = value
    return data


def _copier_message(exc: BaseException) -> str:
    """Copier's message, its question named the way connector.yaml names keys."""
    text = str(exc).strip() or type(exc).__name__
    return re.sub(r"^Validation error for question '([^']+)': ", r"\1: ", text)


def scaffold(
    root: Path,
    name: str,
    *,
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    template: str | Path | None = None,
    generate_package: bool = True,
    quiet: bool = False,
) -> ScaffoldResult:
    """Make ``root/openapi_specs/<name>`` from the copier template, then generate
    ``root/generated/<name>`` from it; nothing is left behind when a step fails.

    `data` answers questions (a spec path relative to the current directory is made
    relative to `root`, where copier runs); `defaults` takes the proposal for every other
    one, else copier asks in the terminal.
    """
    import copier
    from copier.errors import CopierError
    from jinja2 import TemplateError

    from ._definition import load_definition
    from ._generate import generate

    problem = name_problem(name)
    if problem:
        raise ScaffoldError(problem)
    specs = root / "openapi_specs"
    folder = specs / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists: choose another name")
    answers: dict[str, Any] = {**(data or {}), "name": name}
    spec = answers.get("spec")
    if isinstance(spec, str) and spec and not is_url(spec):
        # Kept relative to the project, links unresolved, so that `copier update` (run from
        # the project root) finds it on another machine with the same layout.
        absolute = os.path.abspath(Path(spec).expanduser())
        answers["spec"] = os.path.relpath(absolute, os.path.abspath(root))
    source = str(template) if template is not None else str(template_path())
    specs.mkdir(parents=True, exist_ok=True)
    staging_parent = Path(tempfile.mkdtemp(prefix=f".new-{name}-", dir=specs))
    staging = staging_parent / name
    package = root / "generated" / name
    try:
        with contextlib.chdir(root):
            try:
                worker = copier.run_copy(
                    source,
                    staging,
                    data=answers,
                    defaults=defaults,
                    unsafe=True,  # the template's jinja extension is connectory's own
                    quiet=quiet,
                )
            except ValueError as exc:
                if not str(exc).startswith(("Validation error", "Question ")):
                    raise
                raise ScaffoldError(_copier_message(exc)) from None
            except (CopierError, GeneratorError, TemplateError) as exc:
                raise ScaffoldError(_copier_message(exc)) from None
            files = tuple(
                sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
            )
            chosen = worker.answers.combined
            notes = () if "resources" in answers else proposal_for(chosen["spec"])["resource_notes"]
            if generate_package:
                try:
                    generate(load_definition(staging / "connector.yaml"), package)
                except GeneratorError as exc:
                    raise ScaffoldError(f"generating {name}: {exc}") from None
        os.chmod(staging, 0o755)  # noqa: S103 - mkdtemp's 0o700 is too private for a project
        try:
            os.replace(staging, folder)
        except OSError:
            if generate_package:
                shutil.rmtree(package, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging_parent, ignore_errors=True)
    return ScaffoldResult(name, folder, package if generate_package else None, files, tuple(notes))
