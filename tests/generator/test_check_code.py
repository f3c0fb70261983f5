"""Checking a user's code against a regenerated connector: mypy run twice, the new errors
named by file and line and tied to the API and spec changes behind them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectory.cli import app
from connectory.generator._api_diff import ApiChange, ApiChangeKind
from connectory.generator._check_code import (
    CodeCheckError,
    TypeCheckError,
    check_code,
    match_changes,
)
from connectory.generator._sync import regenerate
from tests.generator._sync_project import V2, make_project, snapshot

K = ApiChangeKind
runner = CliRunner()

USER_CODE = '''\
"""Our code that reads the Shelf catalogue."""

from connectory.connectors.shelf import ShelfConnector


async def titles(shelf: ShelfConnector) -> list[str]:
    authors = await shelf.authors.list_authors()
    books = await shelf.books.list_books(author="Le Guin", limit=5)
    first: int = "not a number"
    book = await shelf.books.get_book(7)
    return [a.name for a in authors] + [b.title for b in books] + [book.title, str(first)]


def name(shelf: ShelfConnector) -> str:
    return shelf.catalogue_name()
'''


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the module's checks: the installed packages are checked once."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mypy_cache: Path) -> Path:
    """The Shelf project as the current folder, with our code in app/reader.py."""
    root = tmp_path / "project"
    monkeypatch.setenv("RUFF_CACHE_DIR", str(tmp_path / "ruff-cache"))
    monkeypatch.setenv("CONNECTORY_MYPY_CACHE_DIR", str(mypy_cache))
    make_project(root)
    (root / "app").mkdir()
    (root / "app" / "reader.py").write_text(USER_CODE, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _change(
    kind: ApiChangeKind,
    owner: str,
    member: str,
    *,
    parameter: str | None = None,
    group: str | None = None,
    position: int | None = None,
) -> ApiChange:
    return ApiChange(
        kind,
        True,
        f"{owner}.{member}",
        owner,
        member,
        "a change",
        parameter=parameter,
        group=group,
        position=position,
    )


def _error(message: str, line: int = 3, column: int = 0, end_column: int = -1) -> TypeCheckError:
    return TypeCheckError("app.py", line, column, line, end_column, message, "x")


REMOVED = _change(K.METHOD_REMOVED, "Authors", "list_authors", group="authors")
RENAMED = _change(K.PARAMETER_REMOVED, "Books", "list_books", parameter="author", group="books")
ADDED = _change(K.PARAMETER_ADDED, "Books", "list_books", parameter="author_name", group="books")
RETYPED = _change(
    K.PARAMETER_TYPE_CHANGED, "Books", "get_book", parameter="book_id", position=1, group="books"
)
FIELD = _change(K.FIELD_REMOVED, "Book", "isbn")
ALL = (REMOVED, RENAMED, ADDED, RETYPED, FIELD)


def test_a_missing_attribute_names_the_method_and_its_class() -> None:
    error = _error('"Authors" has no attribute "list_authors"  [attr-defined]')
    assert match_changes(error, ALL, "shelf.authors.list_authors") == (REMOVED,)


def test_a_bad_keyword_is_matched_through_the_call_it_is_in() -> None:
    # our methods are descriptors: mypy names BoundOperation.__call__, not the method
    error = _error('Unexpected keyword argument "author" for "__call__" of "BoundOperation"')
    span = 'shelf.books.list_books(author="Le Guin", limit=5)'
    assert match_changes(error, ALL, span) == (RENAMED,)


def test_an_argument_error_is_matched_by_its_line_and_position() -> None:
    line = "    book = await shelf.books.get_book(7)"
    error = _error(
        'Argument 1 to "__call__" of "BoundOperation" has incompatible type "int"; expected "str"',
        column=line.index("7"),
        end_column=line.index("7") + 1,
    )
    assert match_changes(error, ALL, "7", line) == (RETYPED,)


def test_a_removed_field_is_matched_and_an_unrelated_error_is_not() -> None:
    assert match_changes(_error('"Book" has no attribute "isbn"'), ALL, "book.isbn") == (FIELD,)
    unrelated = _error('Incompatible types in assignment (expression has type "str")')
    assert match_changes(unrelated, ALL, '"not a number"', 'first: int = "not a number"') == ()


def test_only_the_errors_the_new_spec_causes_are_reported_and_traced(
    project: Path, mypy_cache: Path
) -> None:
    before = snapshot(project)
    work = project.parent / "work"
    regeneration = regenerate(project, "shelf", str(V2), work)
    checked = check_code(
        Path("app"),
        "shelf",
        regeneration.old_package,
        regeneration.new_package,
        regeneration.api_changes,
        work / "check",
        cache=mypy_cache,
    )
    found = {new.error.where: new for new in checked.new}
    removed_at = f"app/reader.py:{line_of(USER_CODE, 'list_authors')}"
    renamed_at = f"app/reader.py:{line_of(USER_CODE, 'author=')}"
    retyped_at = f"app/reader.py:{line_of(USER_CODE, 'get_book(7)')}"
    assert sorted(found) == sorted([removed_at, renamed_at, retyped_at])
    assert [c.kind for c in found[removed_at].changes] == [K.METHOD_REMOVED]
    assert [c.kind.value for c in found[removed_at].changes[0].causes] == ["operation_removed"]
    assert [c.path for c in found[renamed_at].changes] == ["books.list_books(author)"]
    assert [c.kind.value for c in found[renamed_at].changes[0].causes] == ["parameter_renamed"]
    assert [c.path for c in found[retyped_at].changes] == ["books.get_book(book_id)"]
    # the error our code had already (line "first: int = ...") is in both runs, not new
    assert checked.errors_before == 1
    assert checked.errors_after == 4
    assert snapshot(project) == before


def test_diff_check_code_exits_1_and_names_each_line(project: Path) -> None:
    result = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--check-code", "app"]
    )
    assert result.exit_code == 1, result.output
    report = result.output.split("Your code (app) against the regenerated connector")[1]
    entries = {chunk.split(":", 2)[1]: chunk for chunk in report.split("\n- app/reader.py")[1:]}
    removed = entries[str(line_of(USER_CODE, "list_authors"))]
    assert '"Authors" has no attribute "list_authors"' in removed
    assert "method_removed" in removed
    assert "spec: operation_removed" in removed
    assert "/paths/~1authors/get" in removed
    renamed = entries[str(line_of(USER_CODE, "author="))]
    assert "parameter_removed" in renamed
    assert "spec: parameter_renamed" in renamed
    assert "'author' was renamed to 'author_name'" in renamed


def test_code_that_the_change_does_not_touch_exits_0(project: Path) -> None:
    (project / "app" / "reader.py").write_text(
        USER_CODE.split("async def titles")[0]
        + "def name(shelf: ShelfConnector) -> str:\n    return shelf.catalogue_name()\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--check-code", "app"]
    )
    assert result.exit_code == 0, result.output
    assert "mypy: 0 new errors" in result.output


def test_checking_a_path_that_does_not_exist_is_bad_input(project: Path) -> None:
    with pytest.raises(CodeCheckError, match="no such file"):
        check_code(Path("nowhere"), "shelf", project, project, (), project.parent / "work")
    result = runner.invoke(
        app, ["diff", "--connector", "shelf", "--spec", str(V2), "--check-code", "nowhere"]
    )
    assert result.exit_code == 2
    assert "nowhere: no such file or folder" in result.output
