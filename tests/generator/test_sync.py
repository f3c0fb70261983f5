"""``connectory sync`` and ``connectory diff --connector``: a connector regenerated from a
new upstream spec, reported on two levels, written with its trimmed spec and a changelog
entry; hand-written overrides and spec patches kept; bad input refused with nothing written.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from connectory.cli import app
from connectory.generator import check, load_definition
from connectory.generator._definition import included_operations
from connectory.generator._sync import regenerate
from connectory.generator._trim import trim
from tests.generator._support import REPOSITORY, forget_package
from tests.generator._sync_project import (
    OVERRIDES,
    SYNC_FIXTURES,
    V1,
    V2,
    load_spec,
    make_project,
    snapshot,
    write_spec,
)
from tests.local_server import Received, Reply, serve

runner = CliRunner()

USER_CODE = '''\
"""Our code that lists the Shelf catalogue."""

from connectory.connectors.shelf import ShelfConnector


async def everything(shelf: ShelfConnector) -> list[str]:
    authors = await shelf.authors.list_authors()
    books = await shelf.books.list_books(author="Le Guin")
    return [a.name for a in authors] + [b.title for b in books]
'''


def squeezed(result: Result) -> str:
    """The output without whitespace: rich wraps long error lines wherever it likes."""
    return "".join(result.output.split())


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the commands' temporary folders go, to see that none is left behind."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch: Path) -> Path:
    """The Shelf connector generated from v1, as the current project."""
    root = tmp_path / "project"
    monkeypatch.setenv("RUFF_CACHE_DIR", str(tmp_path / "ruff-cache"))
    make_project(root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def shelf_package(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """generated/ on sys.path, and the `shelf` package forgotten afterwards."""
    monkeypatch.syspath_prepend(str(project / "generated"))
    importlib.invalidate_caches()
    yield
    forget_package("shelf")


def _sync(*args: str) -> Result:
    return runner.invoke(app, ["sync", "shelf", *args])


def test_sync_to_a_changed_spec_names_the_broken_lines_and_keeps_the_overrides(
    project: Path, shelf_package: None
) -> None:
    overrides = project / "openapi_specs" / "shelf" / OVERRIDES.name
    overrides_before = overrides.read_bytes()
    (project / "app").mkdir()
    (project / "app" / "catalogue.py").write_text(USER_CODE, encoding="utf-8")

    checked = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--check-code", "app"]
    )
    assert checked.exit_code == 1, checked.output
    code_report = checked.output.split("against the regenerated connector")[1]
    removed_at = f"app/catalogue.py:{line_of(USER_CODE, 'list_authors')}:"
    renamed_at = f"app/catalogue.py:{line_of(USER_CODE, 'author=')}:"
    entries = {chunk.split(" ", 1)[0]: chunk for chunk in code_report.split("\n- ")[1:]}
    assert sorted(entries) == sorted([removed_at, renamed_at])
    assert "spec: operation_removed: Operation GET /authors was removed." in entries[removed_at]
    assert (
        "spec: parameter_renamed [request]: Query parameter 'author' was renamed to "
        "'author_name'." in entries[renamed_at]
    )

    synced = _sync("--spec", str(V2))
    assert synced.exit_code == 0, synced.output
    assert overrides.read_bytes() == overrides_before
    # the regenerated package still inherits the hand-written classes
    shelf = importlib.import_module("shelf")
    connector = shelf.ShelfConnector(access_token="t")
    assert connector.catalogue_name() == "shelf"
    assert connector.books.cover_url("7") == "https://covers.shelf.example/7.jpg"
    assert [c.__name__ for c in type(connector).__mro__[:2]] == ["ShelfConnector", "ShelfExtras"]
    # the spec patch is applied again (the committed spec stays as the vendor wrote it)
    book = (project / "generated" / "shelf" / "models" / "_book.py").read_text(encoding="utf-8")
    assert "subtitle: str | Unset | None = UNSET" in book
    spec = json.loads((project / "openapi_specs" / "shelf" / "openapi.json").read_text())
    assert spec["components"]["schemas"]["Book"]["properties"]["subtitle"] == {"type": "string"}
    # and what sync wrote is exactly what `connectory generate` makes of it
    definition = load_definition(project / "openapi_specs" / "shelf" / "connector.yaml")
    assert check([definition], project / "generated") == []


def test_sync_writes_the_trimmed_spec_the_package_and_a_changelog_entry(
    project: Path, scratch: Path
) -> None:
    result = _sync("--spec", str(V2))
    assert result.exit_code == 0, result.output
    assert "Python API changes" in result.output
    assert "Suggested version bump: major." in result.output
    definition = load_definition(project / "openapi_specs" / "shelf" / "connector.yaml")
    written = json.loads(definition.spec.read_text(encoding="utf-8"))
    assert written == trim(V2, included_operations(definition))
    assert "description" not in definition.spec.read_text(encoding="utf-8")
    books = (project / "generated" / "shelf" / "resources" / "books.py").read_text()
    assert "author_name: str | Unset = UNSET" in books
    assert "async def create_review(" in books
    log = (project / "openapi_specs" / "shelf" / "CHANGELOG.md").read_text(encoding="utf-8")
    today = dt.date.today().isoformat()
    assert f"## {today}: spec 1.0.0 -> 2.0.0" in log
    assert "Synced from `shelf_v2.yaml`. Suggested version bump: **major**." in log
    assert "| spec | 9 | 6 |" in log
    assert "| Python API | 9 | 5 |" in log
    assert (
        "- `operation_removed` at `/paths/~1authors/get`: Operation GET /authors was removed."
        in log
    )
    assert (
        "- `books.list_books(author)`: Parameter 'author' of books.list_books was removed." in log
    )
    assert list(scratch.iterdir()) == []

    again = _sync("--spec", str(V2))
    assert again.exit_code == 0, again.output
    assert "nothing to write" in again.output
    assert (project / "openapi_specs" / "shelf" / "CHANGELOG.md").read_text() == log

    v3 = load_spec(V2)
    v3["info"]["version"] = "2.1.0"
    v3["paths"]["/authors/{authorId}/books"] = {
        "get": {
            "operationId": "authors/list-books-by-author",
            "parameters": v3["paths"]["/authors/{authorId}"]["get"]["parameters"],
            "responses": v3["paths"]["/books"]["get"]["responses"],
        }
    }
    later = _sync("--spec", str(write_spec(project.parent / "v3.yaml", v3)))
    assert later.exit_code == 0, later.output
    entries = (project / "openapi_specs" / "shelf" / "CHANGELOG.md").read_text().split("\n## ")
    headings = [entry.splitlines()[0] for entry in entries[1:]]
    assert headings == [f"{today}: spec 1.0.0 -> 2.0.0", f"{today}: spec 2.0.0 -> 2.1.0"]
    assert "Suggested version bump: **minor**." in entries[2]
    assert "No breaking changes." in entries[2]


def test_a_dry_run_prints_the_report_and_a_diff_and_writes_nothing(
    project: Path, scratch: Path
) -> None:
    before = snapshot(project)
    result = _sync("--spec", str(V2), "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(project) == before
    assert list(scratch.iterdir()) == []
    out = result.output
    assert "Breaking changes (5):" in out  # the Python API's
    assert "--dry-run: nothing written" in out
    assert "--- a/openapi_specs/shelf/openapi.json\n+++ b/openapi_specs/shelf/openapi.json" in out
    assert '-      "name": "author",\n+      "name": "author_name",' in out
    assert "--- /dev/null\n+++ b/generated/shelf/models/_review.py" in out
    assert "--- /dev/null\n+++ b/openapi_specs/shelf/CHANGELOG.md" in out
    assert "+## " in out
    assert "shelf_extras.py" not in out  # the overrides module is the same


def test_sync_reads_the_new_spec_from_a_url(project: Path) -> None:
    document = load_spec(V2)

    def route(request: Received) -> Reply:
        return Reply(200, document) if request.path == "/shelf.json" else Reply(404)

    with serve(route) as server:
        url = f"{server.url}/shelf.json"
        result = _sync("--spec", url)
    assert result.exit_code == 0, result.output
    assert f"-> {url})" in result.output
    log = (project / "openapi_specs" / "shelf" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"Synced from `{url}`." in log


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _bad_inputs(root: Path) -> dict[str, tuple[list[str], str]]:
    broken = root / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {/books: [\n", encoding="utf-8")
    not_openapi = write_spec(root / "list.yaml", {"books": ["a", "b"]})
    return {
        "a spec that does not parse": (["shelf", "--spec", str(broken)], "invalidYAMLatline"),
        "a document that is not OpenAPI": (["shelf", "--spec", str(not_openapi)], "list.yaml:"),
        "a file that does not exist": (["shelf", "--spec", str(root / "none.yaml")], "nosuchfile"),
        "a URL nobody answers": (
            ["shelf", "--spec", f"http://127.0.0.1:{_closed_port()}/spec.json"],
            "cannotfetch",
        ),
        "a connector that does not exist": (
            ["nope", "--spec", str(V2)],
            "noconnector.yamlfornope",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "a spec that does not parse",
        "a document that is not OpenAPI",
        "a file that does not exist",
        "a URL nobody answers",
        "a connector that does not exist",
    ],
)
@pytest.mark.parametrize("command", ["sync", "sync --dry-run", "diff"])
def test_bad_input_exits_2_and_writes_nothing(
    project: Path, scratch: Path, case: str, command: str
) -> None:
    arguments, message = _bad_inputs(project.parent)[case]
    before = snapshot(project)
    if command == "diff":
        name, spec = arguments[0], arguments[2]
        result = runner.invoke(app, ["diff", "--connector", name, "--spec", spec])
    else:
        result = runner.invoke(app, [*command.split(), *arguments])
    assert result.exit_code == 2, result.output
    assert message in squeezed(result)
    assert snapshot(project) == before
    assert list(scratch.iterdir()) == []


def test_a_url_answering_404_is_bad_input(project: Path, scratch: Path) -> None:
    before = snapshot(project)
    with serve(lambda request: Reply(404)) as server:
        result = _sync("--spec", f"{server.url}/gone.json")
    assert result.exit_code == 2
    assert "theserveranswered404NotFound" in squeezed(result)
    assert snapshot(project) == before
    assert list(scratch.iterdir()) == []


def test_a_spec_patch_the_new_spec_cannot_take_is_bad_input(project: Path) -> None:
    document = load_spec(V2)
    del document["components"]["schemas"]["Book"]["properties"]["subtitle"]
    spec = write_spec(project.parent / "no-subtitle.yaml", document)
    before = snapshot(project)
    result = _sync("--spec", str(spec))
    assert result.exit_code == 2
    assert "overrides.spec_patches:/components/schemas/Book/properties/subtitleisnotinthespec" in (
        squeezed(result)
    )
    assert snapshot(project) == before


def test_operations_connector_yaml_names_and_the_new_spec_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch: Path
) -> None:
    root = tmp_path / "listed"
    monkeypatch.setenv("RUFF_CACHE_DIR", str(tmp_path / "ruff-cache"))
    make_project(
        root,
        operations=["books/create-book", "authors/list-authors", "authors/get-author"],
    )
    monkeypatch.chdir(root)
    before = snapshot(root)
    # diff shows what the connector would lose ...
    shown = runner.invoke(app, ["diff", "--connector", "shelf", "--spec", str(V2)])
    assert shown.exit_code == 0, shown.output
    assert "operationsthenewspecdoesnothave:authors/list-authors" in squeezed(shown)
    assert "method_removed: Method authors.list_authors was removed" in shown.output
    # ... and sync refuses to write a connector its connector.yaml contradicts
    refused = _sync("--spec", str(V2))
    assert refused.exit_code == 2
    assert "namesoperationsthenewspecdoesnothave:authors/list-authors" in squeezed(refused)
    assert snapshot(root) == before


def test_the_version_bump_follows_the_kind_of_change(project: Path, tmp_path: Path) -> None:
    added = load_spec(V1)
    added["paths"]["/books/{bookId}/reviews"] = load_spec(V2)["paths"]["/books/{bookId}/reviews"]
    added["components"]["schemas"]["Review"] = load_spec(V2)["components"]["schemas"]["Review"]
    deprecated = load_spec(V1)
    deprecated["paths"]["/authors"]["get"]["deprecated"] = True
    bumps = {}
    for name, document in (("added", added), ("deprecated", deprecated)):
        spec = write_spec(tmp_path / f"{name}.yaml", document)
        bumps[name] = regenerate(project, "shelf", str(spec), tmp_path / f"work-{name}").bump
    bumps["breaking"] = regenerate(project, "shelf", str(V2), tmp_path / "work-v2").bump
    assert bumps == {"added": "minor", "deprecated": "patch", "breaking": "major"}


def test_diff_of_a_connector_in_json_and_markdown(project: Path) -> None:
    result = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    assert report["spec_versions"] == {"old": "1.0.0", "new": "2.0.0"}
    assert report["bump"] == "major"
    assert report["spec"]["summary"]["breaking"] == 6
    removed = [c for c in report["python"]["changes"] if c["kind"] == "method_removed"]
    assert removed[0]["caused_by"][0]["pointer"] == "/paths/~1authors/get"
    markdown = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--format", "markdown"]
    )
    assert markdown.exit_code == 0
    assert "## Python API changes" in markdown.output
    assert "| method_removed | yes | `authors.list_authors` |" in markdown.output


def test_diff_fails_on_breaking_changes_when_asked(project: Path) -> None:
    command = ["diff", "--connector", "shelf", "--spec", str(V2), "--fail-on"]
    assert runner.invoke(app, [*command, "breaking"]).exit_code == 1
    assert runner.invoke(app, [*command, "any"]).exit_code == 1
    same = ["diff", "--connector", "shelf", "--spec", str(V1), "--fail-on", "any"]
    assert runner.invoke(app, same).exit_code == 0


def test_diff_of_two_spec_files_still_works_and_mixing_modes_is_refused(project: Path) -> None:
    result = runner.invoke(app, ["diff", str(V1), str(V2), "--fail-on", "breaking"])
    assert result.exit_code == 1
    assert "9 changes, 6 breaking." in result.output
    mixed = runner.invoke(app, ["diff", str(V1), str(V2), "--connector", "shelf"])
    assert mixed.exit_code == 2
    alone = runner.invoke(app, ["diff", "--connector", "shelf"])
    assert alone.exit_code == 2
    assert "--connectorand--specgotogether" in squeezed(alone)


GHES = REPOSITORY.parent / "shared" / "specs" / "versions" / "github"


@pytest.mark.corpus
def test_github_enterprise_3_0_to_3_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (GHES / "ghes-3.0.json").is_file() or not (GHES / "ghes-3.4.json").is_file():
        pytest.skip(f"the GitHub Enterprise specs are not in {GHES}")
    from connectory.generator import generate
    from connectory.generator._trim import write_trimmed

    root = tmp_path / "project"
    folder = root / "openapi_specs" / "github"
    folder.mkdir(parents=True)
    (folder / "connector.yaml").write_bytes((SYNC_FIXTURES / "github_ghes.yaml").read_bytes())
    monkeypatch.setenv("RUFF_CACHE_DIR", str(tmp_path / "ruff-cache"))
    definition = load_definition(folder / "connector.yaml")
    write_trimmed(trim(GHES / "ghes-3.0.json", included_operations(definition)), definition.spec)
    generate(definition, root / "generated" / "github")
    regeneration = regenerate(root, "github", str(GHES / "ghes-3.4.json"), tmp_path / "work")
    changes = {(c.kind.value, c.path): c for c in regeneration.api_changes}
    removed = changes["field_removed", "models.MinimalRepository.template_repository"]
    assert [(c.kind.value, c.pointer) for c in removed.causes] == [
        (
            "property_removed",
            "/components/schemas/minimal-repository/properties/template_repository",
        )
    ]
    assert ("field_added", "models.Issue.state_reason") in changes
    assert regeneration.spec_diff.breaking
    assert regeneration.bump == "major"
    untraced = [c.path for c in regeneration.api_changes if not c.causes]
    assert untraced == []


def test_a_spec_of_our_own_is_taken_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch: Path
) -> None:
    root = tmp_path / "own"
    monkeypatch.setenv("RUFF_CACHE_DIR", str(tmp_path / "ruff-cache"))
    folder = make_project(root, source_spec=None, spec="openapi.yaml")
    monkeypatch.chdir(root)
    result = _sync("--spec", str(V2))
    assert result.exit_code == 0, result.output
    assert (folder / "openapi.yaml").read_bytes() == V2.read_bytes()
    assert list(scratch.iterdir()) == []


def test_a_resource_operation_gone_with_operations_all(
    project: Path, tmp_path: Path, scratch: Path
) -> None:
    document = load_spec(V2)
    del document["paths"]["/books/{bookId}"]  # the books resource's get operation
    spec = write_spec(tmp_path / "no-get.yaml", document)
    shown = runner.invoke(app, ["diff", "--connector", "shelf", "--spec", str(spec)])
    assert shown.exit_code == 0, shown.output
    assert "method_removed: Method books.get_book was removed" in shown.output
    before = snapshot(project)
    refused = _sync("--spec", str(spec))
    assert refused.exit_code == 2
    assert "namesoperationsthenewspecdoesnothave:books/get-book" in squeezed(refused)
    assert snapshot(project) == before
