"""The Python-API diff: two packages generated from two versions of a small spec, every
change of what callers see, each tied to the spec change behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import griffe
import pytest

from connectory.generator import build_api, generate_spec
from connectory.generator._api_diff import (
    ApiChange,
    ApiChangeKind,
    SpecSide,
    diff_packages,
    link,
)
from connectory.generator._diff import diff_files
from connectory.generator._loader import load_openapi
from tests.generator._sync_project import V1, V2, load_spec, write_spec

K = ApiChangeKind


def _side(spec: Path) -> SpecSide:
    return SpecSide(build_api(spec), load_openapi(spec)[0])


def _generate(spec: Path, folder: Path) -> Path:
    package = folder / "shelf"
    generate_spec(spec, "shelf", package)
    return package


def _linked(old_spec: Path, new_spec: Path, old: Path, new: Path) -> tuple[ApiChange, ...]:
    changes = diff_packages(old, new)
    return link(changes, diff_files(old_spec, new_spec), _side(old_spec), _side(new_spec))


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("api-diff")
    return {"v1": _generate(V1, root / "v1"), "v2": _generate(V2, root / "v2")}


@pytest.fixture(scope="module")
def forward(packages: dict[str, Path]) -> tuple[ApiChange, ...]:
    return _linked(V1, V2, packages["v1"], packages["v2"])


def _one(changes: tuple[ApiChange, ...], kind: ApiChangeKind, path: str) -> ApiChange:
    found = [c for c in changes if c.kind is kind and c.path == path]
    assert len(found) == 1, f"{kind} {path}: {[(c.kind, c.path) for c in changes]}"
    return found[0]


def _causes(change: ApiChange) -> list[tuple[str, str, str]]:
    return sorted((c.kind.value, c.pointer, c.pointer_in) for c in change.causes)


def test_every_change_between_the_versions_is_listed_once(forward: tuple[ApiChange, ...]) -> None:
    listed = sorted((c.kind.value, c.path, c.breaking) for c in forward)
    assert listed == [
        ("enum_member_added", "models.BookFormat.AUDIOBOOK", False),
        ("field_removed", "models.Book.isbn", True),
        ("field_type_changed", "models.Book.pages", True),
        ("method_added", "books.create_review", False),
        ("method_removed", "authors.list_authors", True),
        ("model_added", "models.Review", False),
        ("parameter_added", "books.list_books(author_name)", False),
        ("parameter_removed", "books.list_books(author)", True),
        ("parameter_type_changed", "books.get_book(book_id)", True),
    ]
    assert all(change.causes for change in forward), "a change not traced to the spec"


def test_a_removed_method_is_found_by_griffe_and_traced_to_its_operation(
    forward: tuple[ApiChange, ...],
) -> None:
    change = _one(forward, K.METHOD_REMOVED, "authors.list_authors")
    assert (change.owner, change.member, change.group) == ("Authors", "list_authors", "authors")
    assert change.found_by == "griffe"
    assert _causes(change) == [("operation_removed", "/paths/~1authors/get", "old")]


def test_an_added_method_and_its_body_model_are_additions_traced_to_the_new_operation(
    forward: tuple[ApiChange, ...],
) -> None:
    method = _one(forward, K.METHOD_ADDED, "books.create_review")
    assert not method.breaking
    assert _causes(method) == [("operation_added", "/paths/~1books~1{bookId}~1reviews/post", "new")]
    model = _one(forward, K.MODEL_ADDED, "models.Review")
    assert _causes(model) == [("schema_added", "/components/schemas/Review", "new")]


def test_a_renamed_parameter_is_a_removal_and_an_addition_both_traced_to_the_rename(
    forward: tuple[ApiChange, ...], packages: dict[str, Path]
) -> None:
    removed = _one(forward, K.PARAMETER_REMOVED, "books.list_books(author)")
    added = _one(forward, K.PARAMETER_ADDED, "books.list_books(author_name)")
    assert removed.breaking
    assert not added.breaking  # an optional keyword
    rename = [("parameter_renamed", "/paths/~1books/get/parameters/0", "new")]
    assert _causes(removed) == _causes(added) == rename
    # griffe takes the keyword as swallowed by **options; our own comparison finds it
    assert removed.found_by == "connectory"
    old, new = (griffe.load("shelf", search_paths=[str(packages[v].parent)]) for v in ("v1", "v2"))
    assert not [b for b in griffe.find_breaking_changes(old, new) if "list_books" in b.obj.path]


def test_a_parameter_type_change_keeps_its_position(forward: tuple[ApiChange, ...]) -> None:
    change = _one(forward, K.PARAMETER_TYPE_CHANGED, "books.get_book(book_id)")
    assert (change.old, change.new, change.position) == ("int", "str", 1)
    assert change.breaking  # str does not take the ints callers pass
    assert _causes(change) == [
        ("parameter_type_changed", "/paths/~1books~1{bookId}/get/parameters/0/schema", "new")
    ]


def test_model_fields_removed_or_retyped_are_traced_to_their_properties(
    forward: tuple[ApiChange, ...],
) -> None:
    removed = _one(forward, K.FIELD_REMOVED, "models.Book.isbn")
    assert removed.found_by == "griffe"
    assert _causes(removed) == [
        ("property_removed", "/components/schemas/Book/properties/isbn", "old")
    ]
    retyped = _one(forward, K.FIELD_TYPE_CHANGED, "models.Book.pages")
    assert (retyped.old, retyped.new) == ("int | Unset", "str | Unset")
    assert _causes(retyped) == [
        ("property_type_changed", "/components/schemas/Book/properties/pages", "new")
    ]


def test_an_enum_member_added_is_an_addition_traced_to_the_enum(
    forward: tuple[ApiChange, ...],
) -> None:
    change = _one(forward, K.ENUM_MEMBER_ADDED, "models.BookFormat.AUDIOBOOK")
    assert not change.breaking
    assert change.new == "'audiobook'"
    # the enum is read in responses and sent in requests: one spec change each way
    assert {c.direction for c in change.causes} == {"request", "response"}
    assert _causes(change)[0][:2] == ("enum_value_added", "/components/schemas/BookFormat")


def test_the_reverse_change_turns_additions_into_breaking_removals(
    packages: dict[str, Path],
) -> None:
    backward = _linked(V2, V1, packages["v2"], packages["v1"])
    listed = sorted((c.kind.value, c.path, c.breaking) for c in backward)
    assert listed == [
        ("enum_member_removed", "models.BookFormat.AUDIOBOOK", True),
        ("field_added", "models.Book.isbn", False),
        ("field_type_changed", "models.Book.pages", True),
        ("method_added", "authors.list_authors", False),
        ("method_removed", "books.create_review", True),
        ("model_removed", "models.Review", True),
        ("parameter_added", "books.list_books(author)", False),
        ("parameter_removed", "books.list_books(author_name)", True),
        ("parameter_type_changed", "books.get_book(book_id)", True),
    ]
    assert all(change.causes for change in backward)


def test_the_same_package_twice_has_no_changes(packages: dict[str, Path]) -> None:
    assert diff_packages(packages["v1"], packages["v1"]) == ()


def _tightened(document: Any) -> Any:
    books = document["paths"]["/books"]["get"]
    books["parameters"][1]["required"] = True  # limit
    document["components"]["schemas"]["Book"]["required"].append("subtitle")
    document["components"]["schemas"]["Book"]["required"].remove("title")
    author = document["paths"]["/authors/{authorId}"]["get"]["responses"]["200"]
    author["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Book"}
    return document


def test_required_parameters_and_fields_and_a_new_return_type(tmp_path: Path) -> None:
    tightened = write_spec(tmp_path / "tightened.yaml", _tightened(load_spec(V1)))
    changes = _linked(
        V1,
        tightened,
        _generate(V1, tmp_path / "v1"),
        _generate(tightened, tmp_path / "tightened"),
    )
    limit = _one(changes, K.PARAMETER_REQUIRED, "books.list_books(limit)")
    assert limit.breaking
    assert limit.found_by == "griffe"
    assert _causes(limit) == [("parameter_required", "/paths/~1books/get/parameters/1", "new")]
    subtitle = _one(changes, K.FIELD_REQUIRED, "models.Book.subtitle")
    assert _causes(subtitle) == [
        ("property_required", "/components/schemas/Book/properties/subtitle", "new")
    ]
    title = _one(changes, K.FIELD_OPTIONAL, "models.Book.title")
    assert title.breaking  # readers may now get UNSET
    returns = _one(changes, K.RETURN_TYPE_CHANGED, "authors.get_author")
    assert (returns.old, returns.new) == ("m.Author", "m.Book")
    assert returns.breaking
    assert returns.causes
    assert all("GET /authors/{authorId}" in c.operations for c in returns.causes)
