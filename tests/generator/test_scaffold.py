"""Scaffolding new connectors: ``connectory new``, ``copier copy`` and ``copier update``
with the new-connector template (templates/new-connector, connectory.generator._scaffold).

Everything runs for real: projects are folders with an ``openapi_specs/`` in tmp_path,
copier runs through its Python API and as the ``copier`` command, ``copier update`` works
on real git repositories of the template and the project, the scaffolded contract test runs
in a pytest subprocess, and a spec URL is served by an HTTP server on 127.0.0.1. The spec
``fixtures/scaffold/notes.yaml`` is our own; the vendor specs (``../shared/specs``) are
used where present and their tests skip with a message where not.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from typer.testing import CliRunner

from connectory.cli import app
from connectory.generator import load_definition
from connectory.generator._checks import check_definition
from connectory.generator._definition import included_operations
from connectory.generator._loader import Resolver, load_openapi
from connectory.generator._scaffold import (
    proposal_for,
    scaffold,
    source_spec,
    template_path,
)
from connectory.generator._trim import trim, write_trimmed

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE = REPOSITORY / "templates" / "new-connector"
NOTES = Path(__file__).resolve().parent / "fixtures" / "scaffold" / "notes.yaml"
SPECS = REPOSITORY.parent / "shared" / "specs" / "business"
needs_specs = pytest.mark.skipif(
    not SPECS.is_dir(), reason=f"{SPECS} is absent: these tests read the shared vendor specs"
)
SCAFFOLDED = ("connector.yaml", "openapi.json", "CHANGELOG.md", ".copier-answers.yml")
GIT = shutil.which("git") or "git"
# Commits in the test repositories (and copier's own) must not read the user's git setup.
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "scaffold test",
    "GIT_AUTHOR_EMAIL": "scaffold@example.com",
    "GIT_COMMITTER_NAME": "scaffold test",
    "GIT_COMMITTER_EMAIL": "scaffold@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project, the current directory: its own spec copy under specs/."""
    root = tmp_path / "project"
    (root / "openapi_specs").mkdir(parents=True)
    (root / "specs").mkdir()
    shutil.copy(NOTES, root / "specs" / "notes.yaml")
    monkeypatch.chdir(root)
    return root


def new(*args: str) -> Any:
    return runner.invoke(app, ["new", *args])


def said(result: Any) -> str:
    """The command's output on one line (rich wraps it to the terminal's width)."""
    return " ".join(result.output.split())


def leftovers(root: Path) -> list[str]:
    """Anything a failed scaffold could leave: connector folders, staging, packages."""
    found = [p.name for p in (root / "openapi_specs").iterdir()]
    if (root / "generated").exists():
        found += [f"generated/{p.name}" for p in (root / "generated").iterdir()]
    return found


def run_contract_test(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The scaffolded contract test, as a user runs it (no ini file: its own settings)."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(folder), "-q", "-W", "error"),
            *("-p", "no:cacheprovider", "-p", "no:asyncio", "-c", os.devnull),
            *("--rootdir", str(folder), *args),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=folder.parent.parent,
    )


# -- connectory new, end to end ----------------------------------------------------------------


def test_new_scaffolds_generates_and_the_contract_test_passes(project: Path) -> None:
    result = new("notes", "--spec", "specs/notes.yaml", "--defaults")
    assert result.exit_code == 0, result.output
    folder = project / "openapi_specs" / "notes"
    for name in (*SCAFFOLDED, "test_notes_contract.py"):
        assert (folder / name).is_file(), name
    definition = load_definition(folder / "connector.yaml")
    assert [r.name for r in definition.resources] == ["folders", "notes"]
    assert (project / "generated" / "notes" / "connector.py").is_file()
    assert leftovers(project) == ["notes", "generated/notes"]
    tested = run_contract_test(folder)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # both resources: two-page walks raw and typed, gets of one item and of a missing one
    assert "9 passed" in tested.stdout, tested.stdout


def test_the_scaffolded_connector_yaml_is_the_proposal(project: Path) -> None:
    assert new("notes", "--spec", "specs/notes.yaml", "--defaults", "--no-generate").exit_code == 0
    written = yaml.safe_load((project / "openapi_specs/notes/connector.yaml").read_text())
    proposal = proposal_for(str(NOTES))
    assert written["base_url"] == "https://api.notes.example/v2" == proposal["base_url"]
    assert written["auth"] == {"type": "bearer_token"}
    assert written["health_check"] == "getMe"
    assert written["pagination"] == proposal["pagination"]
    assert written["resources"] == proposal["resources"]
    assert written["resources"]["notes"]["pagination"]["style"] == "cursor_in_body"
    assert written["pagination"]["style"] == "offset_limit"
    # the operations: the resources' list and get operations and the health check only
    assert written["operations"] == ["listFolders", "getFolder", "listNotes", "getNote", "getMe"]
    assert "rate_limits" not in written
    assert written["display_name"] == "Notes"
    assert not (project / "generated").exists()


def test_the_trimmed_spec_is_what_connectory_trim_writes(project: Path, tmp_path: Path) -> None:
    assert new("notes", "--spec", "specs/notes.yaml", "--defaults", "--no-generate").exit_code == 0
    folder = project / "openapi_specs" / "notes"
    definition = load_definition(folder / "connector.yaml")
    assert definition.source_spec == str(project / "specs" / "notes.yaml")
    trimmed = trim(Path(definition.source_spec), included_operations(definition))
    write_trimmed(trimmed, tmp_path / "again.json")
    assert (folder / "openapi.json").read_bytes() == (tmp_path / "again.json").read_bytes()
    assert sorted(trimmed["paths"]) == [
        "/folders",
        "/folders/{folder_id}",
        "/me",
        "/notes",
        "/notes/{note_id}",
    ]
    assert "post" not in trimmed["paths"]["/notes"]


def test_answers_given_with_data_win_over_the_proposal(project: Path) -> None:
    result = new(
        "notes",
        "--spec",
        "specs/notes.yaml",
        "--defaults",
        "--no-generate",
        "--data",
        "display_name=Notes Cloud",
        "-d",
        "requests_per_minute=600",
        "-d",
        "category=Productivity",
        "-d",
        "resources={notes: {list: listNotes, get: getNote, id_param: note_id, items_path: data,"
        " pagination: {style: cursor_in_body, cursor_path: next_cursor, has_more_path: has_more}}}",
        "-d",
        "auth_type=api_key",
        "-d",
        "api_key_name=X-Notes-Key",
    )
    assert result.exit_code == 0, result.output
    folder = project / "openapi_specs" / "notes"
    written = yaml.safe_load((folder / "connector.yaml").read_text())
    assert written["display_name"] == "Notes Cloud"
    assert written["category"] == "Productivity"
    assert written["rate_limits"] == {"requests_per_minute": 600}
    assert list(written["resources"]) == ["notes"]
    assert written["auth"] == {
        "type": "api_key",
        "api_key": {"name": "X-Notes-Key", "in": "header", "prefix": None},
    }
    answers = yaml.safe_load((folder / ".copier-answers.yml").read_text())
    assert answers["requests_per_minute"] == "600"
    assert answers["spec"] == "specs/notes.yaml"
    assert "token_url" not in answers  # a question its auth type does not ask
    load_definition(folder / "connector.yaml")


def test_the_contract_test_fails_when_the_connector_breaks_the_spec(project: Path) -> None:
    """The scaffolded test can fail: a connector that sends a paging parameter the spec
    does not declare is caught on the second page's request."""
    assert new("notes", "--spec", "specs/notes.yaml", "--defaults").exit_code == 0
    data = project / "generated" / "notes" / "data.py"
    text = data.read_text()
    assert text.count('cursor_param="cursor"') == 1
    data.write_text(text.replace('cursor_param="cursor"', 'cursor_param="page_token"'))
    folder = project / "openapi_specs" / "notes"
    tested = run_contract_test(folder, "-k", "walks_two_pages")
    assert tested.returncode == 1, tested.stdout
    assert "test_list_items_walks_two_pages[notes]" in tested.stdout
    assert "query parameter 'page_token' is not declared by listNotes" in tested.stdout
    assert "1 failed, 1 passed" in tested.stdout


@pytest.mark.slow
@needs_specs
def test_new_from_a_vendor_spec_generates_a_connector_whose_contract_test_passes(
    project: Path,
) -> None:
    """The acceptance run: a small business spec of the corpus, scaffolded without
    questions, generated, and its contract test green."""
    spec = SPECS / "google-tasks.json"
    result = new("google_tasks", "--spec", str(spec), "--defaults")
    assert result.exit_code == 0, result.output
    folder = project / "openapi_specs" / "google_tasks"
    written = yaml.safe_load((folder / "connector.yaml").read_text())
    assert set(written["resources"]) == {"tasks", "lists"}
    assert written["auth"]["type"] == "oauth2"
    assert written["pagination"]["style"] == "cursor_in_body"
    tested = run_contract_test(folder)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "9 passed" in tested.stdout, tested.stdout


# -- the proposals the scaffolded connector.yaml carries, for the shipped connectors ------------

SHIPPED = ("github", "slack", "stripe")


@needs_specs
@pytest.mark.parametrize("name", SHIPPED)
def test_scaffolded_connector_yaml_carries_the_shipped_resources(name: str, project: Path) -> None:
    """Scaffolded from the full vendor spec with every default, connector.yaml declares each
    resource of the shipped connector.yaml as it does (a value the shipped one declares a
    gap of the vendor's spec may differ), with its base URL, default paging and a health
    check; and the result passes the checks ``connectory generate`` runs."""
    shipped = yaml.safe_load((REPOSITORY / "openapi_specs" / name / "connector.yaml").read_text())
    spec = SPECS / shipped["source_spec"]
    result = scaffold(
        project, name, data={"spec": str(spec)}, defaults=True, generate_package=False, quiet=True
    )
    folder = project / "openapi_specs" / name
    written = yaml.safe_load((folder / "connector.yaml").read_text())
    assert written["base_url"] == shipped["base_url"]
    assert written["pagination"]["style"] == shipped["pagination"]["style"]
    assert written["source_spec"] == str(spec)
    gaps = set(shipped.get("spec_gaps") or {})
    by_list = {r["list"]: (n, r) for n, r in written["resources"].items()}
    for resource, declared in shipped["resources"].items():
        assert declared["list"] in by_list, f"{name}.{resource} is not scaffolded ({result.notes})"
        _, found = by_list[declared["list"]]
        for key in ("get", "id_param", "id_field", "items_path", "item_path", "pagination"):
            want = declared.get(key, "id" if key == "id_field" else None)
            got = found.get(key, "id" if key == "id_field" else None)
            if key == "pagination":
                want = (want or shipped["pagination"])["style"]
                got = (got or written["pagination"])["style"]
            gap = any(g.startswith(f"resources.{resource}.{key}") for g in gaps)
            assert got == want or gap, f"{name}.{resource}.{key}: {got!r}, shipped {want!r}"
    document, _ = load_openapi(folder / "openapi.json")
    assert written["health_check"] in {
        o.get("operationId") for p in document["paths"].values() for o in p.values()
    }
    if name != "stripe":  # Stripe's shipped check reads the balance; GET /v1/account does too
        assert written["health_check"] == shipped["health_check"]
    problems = check_definition(written, document, Resolver(document, folder / "openapi.json"))
    assert problems == []
    load_definition(folder / "connector.yaml")


# -- copier update ------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        [GIT, *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return completed.stdout


def copier_command(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``copier`` command line, as a user runs it from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_copier_update_brings_template_changes_and_keeps_the_users_edits(
    tmp_path: Path, project: Path
) -> None:
    template = tmp_path / "template"
    shutil.copytree(TEMPLATE, template, ignore=shutil.ignore_patterns("__pycache__"))
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "template v1")
    git(template, "tag", "v1")
    git(project, "init", "-q", "-b", "main")

    made = copier_command(
        project,
        "copy", "--trust", "--defaults", "--data", "spec=specs/notes.yaml",
        str(template), "openapi_specs/notes",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    folder = project / "openapi_specs" / "notes"
    answers = yaml.safe_load((folder / ".copier-answers.yml").read_text())
    assert (answers["_commit"], answers["_src_path"]) == ("v1", str(template))
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "notes connector")

    # The user's edits: another category, a rate limit found in the vendor's docs.
    connector_yaml = folder / "connector.yaml"
    edited = connector_yaml.read_text().replace(
        "category: Other business apps", "category: Productivity"
    )
    edited = edited.replace(
        "# rate_limits: the vendor's published limits, such as {requests_per_minute: 600}",
        "rate_limits:\n  requests_per_minute: 300   # from the vendor's docs",
    )
    connector_yaml.write_text(edited)
    spec_before = (folder / "openapi.json").read_bytes()
    git(project, "commit", "-q", "-am", "hand edits")

    # The template's next version: a new comment in connector.yaml and a new file.
    source = template / "connector.yaml.jinja"
    lines = source.read_text().splitlines(keepends=True)
    marker = next(i for i, line in enumerate(lines) if line.startswith("name: "))
    lines.insert(marker, "# Template v2: this line came with copier update.\n")
    source.write_text("".join(lines))
    (template / "NOTES.md.jinja").write_text("# Notes on the {{ display_name }} connector\n")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "template v2")
    git(template, "tag", "v2")

    updated = copier_command(project, "update", "--trust", "--defaults", "openapi_specs/notes")
    assert updated.returncode == 0, updated.stderr
    text = connector_yaml.read_text()
    assert "# Template v2: this line came with copier update.\n" in text
    assert "category: Productivity" in text
    assert "requests_per_minute: 300   # from the vendor's docs" in text
    assert (folder / "NOTES.md").read_text() == "# Notes on the Notes connector\n"
    assert (folder / "openapi.json").read_bytes() == spec_before
    assert yaml.safe_load((folder / ".copier-answers.yml").read_text())["_commit"] == "v2"
    assert not list(folder.glob("*.rej"))
    load_definition(connector_yaml)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Notes", "not a lower-case Python identifier"),
        ("notes-app", "not a lower-case Python identifier"),
        ("2notes", "not a lower-case Python identifier"),
        ("class", "Python keyword"),
    ],
)
def test_a_name_that_cannot_name_a_package_is_refused(
    project: Path, name: str, message: str
) -> None:
    result = new(name, "--spec", "specs/notes.yaml", "--defaults")
    assert result.exit_code == 2
    assert message in said(result)
    assert leftovers(project) == []


def test_an_existing_connector_is_not_overwritten(project: Path) -> None:
    (project / "openapi_specs" / "notes").mkdir()
    (project / "openapi_specs" / "notes" / "connector.yaml").write_text("name: notes\n")
    result = new("notes", "--spec", "specs/notes.yaml", "--defaults")
    assert result.exit_code == 2
    assert "already exists" in said(result)
    assert (project / "openapi_specs" / "notes" / "connector.yaml").read_text() == "name: notes\n"
    assert leftovers(project) == ["notes"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"openapi": "3.0.3", "paths": {', "invalid JSON at line 1"),
        ("openapi: [3.0\n  paths: x\n", "invalid YAML"),
        ('{"swagger": "1.2"}', "Swagger 1.2 is not supported"),
    ],
)
def test_a_spec_that_does_not_parse_is_refused(project: Path, content: str, message: str) -> None:
    suffix = ".json" if content.startswith("{") else ".yaml"
    (project / "specs" / f"broken{suffix}").write_text(content)
    result = new("notes", "--spec", f"specs/broken{suffix}", "--defaults")
    assert result.exit_code == 2
    assert message in said(result)
    assert leftovers(project) == []


def test_a_missing_spec_file_is_refused(project: Path) -> None:
    result = new("notes", "--spec", "specs/nowhere.json", "--defaults")
    assert result.exit_code == 2
    assert "cannot read" in said(result)
    assert leftovers(project) == []


def test_a_resource_naming_a_missing_operation_is_refused(project: Path) -> None:
    result = new(
        "notes",
        "--spec",
        "specs/notes.yaml",
        "--defaults",
        "--data",
        "resources={notes: {list: listNotez, get: getNote, id_param: note_id, items_path: data}}",
    )
    assert result.exit_code == 2
    assert "operation 'listNotez' is not in the spec (closest: listNotes" in said(result)
    assert leftovers(project) == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("health_check=createNote", "must be a GET operation"),
        ("base_url=api.notes.example", "not an absolute http(s) URL"),
        ("requests_per_second=fast", "give a whole number"),
        ("pagination={style: pages}", "unknown style 'pages'"),
        ("resources={notes: {list: listNotes, id_parm: note_id}}", "unknown keys id_parm"),
    ],
)
def test_other_bad_answers_are_refused(project: Path, answer: str, message: str) -> None:
    result = new("notes", "--spec", "specs/notes.yaml", "--defaults", "--data", answer)
    assert result.exit_code == 2
    assert message in said(result)
    assert leftovers(project) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--defaults"], "--defaults needs the spec"),
        (["--spec", "specs/notes.yaml", "--defaults", "--data", "display_name"], "key=value"),
        (["--spec", "specs/notes.yaml"], "--defaults"),  # no terminal to ask in
    ],
)
def test_incomplete_commands_are_refused(project: Path, args: list[str], message: str) -> None:
    result = new("notes", *args)
    assert result.exit_code == 2
    assert message in said(result)
    assert leftovers(project) == []


def test_plain_copier_refuses_bad_answers_and_leaves_no_folder(project: Path) -> None:
    (project / "specs" / "broken.json").write_text("{")
    target = project / "openapi_specs" / "notes"
    with pytest.raises(ValueError, match=r"spec.*invalid JSON"):
        copier.run_copy(
            str(TEMPLATE), target, data={"spec": "specs/broken.json"}, defaults=True,
            unsafe=True, quiet=True,
        )  # fmt: skip
    with pytest.raises(ValueError, match="a connector lives in a folder of its name"):
        copier.run_copy(
            str(TEMPLATE), target, data={"spec": "specs/notes.yaml", "name": "other"},
            defaults=True, unsafe=True, quiet=True,
        )  # fmt: skip
    assert leftovers(project) == []


def test_plain_copier_without_trust_says_why(project: Path) -> None:
    made = copier_command(
        project, "copy", "--defaults", "--data", "spec=specs/notes.yaml",
        str(TEMPLATE), "openapi_specs/notes",
    )  # fmt: skip
    assert made.returncode != 0
    assert "jinja_extensions" in made.stderr
    assert leftovers(project) == []


# -- spec URLs, corpus names, packaging --------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test output is not the place for an access log


@pytest.fixture
def served_specs(tmp_path: Path) -> Iterator[str]:
    """The fixture spec on a real HTTP server on 127.0.0.1; yields the base URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(NOTES, folder / "notes.yaml")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_spec_url_is_fetched_and_recorded(project: Path, served_specs: str) -> None:
    url = f"{served_specs}/notes.yaml"
    result = new("notes", "--spec", url, "--defaults", "--no-generate")
    assert result.exit_code == 0, result.output
    folder = project / "openapi_specs" / "notes"
    written = yaml.safe_load((folder / "connector.yaml").read_text())
    assert written["source_spec"] == url
    assert yaml.safe_load((folder / ".copier-answers.yml").read_text())["spec"] == url
    assert "/notes/{note_id}" in json.loads((folder / "openapi.json").read_text())["paths"]
    missing = new("other", "--spec", f"{served_specs}/missing.yaml", "--defaults")
    assert missing.exit_code == 2
    assert "cannot fetch" in said(missing)


@needs_specs
def test_a_spec_of_the_corpus_is_recorded_by_its_file_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPOSITORY)
    assert source_spec("../shared/specs/business/ynab.json") == "ynab.json"
    assert source_spec(str(SPECS / "ynab.json")) == "ynab.json"
    assert source_spec(str(NOTES)) == str(NOTES)


def test_every_template_file_ships_in_the_wheel() -> None:
    """Each file of the template matches a package-data glob of connectory.templates, and
    the installed template is found where `connectory new` looks."""
    settings = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    globs = settings["tool"]["setuptools"]["package-data"]["connectory.templates"]
    files = [p for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) >= 6
    for path in files:
        relative = path.relative_to(TEMPLATE.parent).as_posix()
        assert any(
            fnmatch(relative, glob.removeprefix("**/"))
            or fnmatch(path.name, glob.removeprefix("**/"))
            for glob in globs
        ), relative
    assert template_path().resolve() == TEMPLATE.resolve()
