"""The breaking-change report: every change between two specs, by kind, pointer and direction."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectory.generator import SpecError
from connectory.generator._diff import (
    ChangeKind,
    SpecDiff,
    diff_documents,
    diff_files,
    exit_status,
    render_json,
    render_markdown,
    render_text,
)
from connectory.generator._loader import read_document

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DIFF_FIXTURES = FIXTURES / "diff"
REPOSITORY = Path(__file__).resolve().parents[2]
VERSIONS = REPOSITORY.parent / "shared" / "specs" / "versions" / "github"

# (kind, "old"/"new" + " " + pointer, breaking, direction, operations)
Row = tuple[str, str, bool, str | None, tuple[str, ...]]


def rows(diff: SpecDiff) -> list[Row]:
    return [
        (
            c.kind.value,
            f"{c.pointer_in} {c.pointer}",
            c.breaking,
            c.direction.value if c.direction else None,
            c.operations,
        )
        for c in diff.changes
    ]


def fixture_diff(group: str) -> SpecDiff:
    return diff_files(DIFF_FIXTURES / group / "old.yaml", DIFF_FIXTURES / group / "new.yaml")


def assert_rows(diff: SpecDiff, expected: list[Row]) -> None:
    actual = rows(diff)
    assert len(actual) == len(set(actual)), "a change is reported twice"
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    assert (missing, unexpected) == ([], []), "expected changes missing, or unexpected ones"


def test_operations_removed_added_renamed_and_path_templates_matched_by_shape() -> None:
    diff = fixture_diff("operations")
    assert_rows(
        diff,
        [
            ("operation_removed", "old /paths/~1legacy/get", True, None, ("GET /legacy",)),
            ("operation_added", "new /paths/~1archive/post", False, None, ("POST /archive",)),
            (
                "operation_id_changed",
                "new /paths/~1items/get/operationId",
                True,
                None,
                ("GET /items",),
            ),
            (
                "operation_deprecated",
                "new /paths/~1items/get/deprecated",
                False,
                None,
                ("GET /items",),
            ),
            # /items/{id} -> /items/{item_id}: the same operations, their parameter renamed
            (
                "parameter_renamed",
                "new /paths/~1items~1{item_id}/get/parameters/0",
                True,
                "request",
                ("GET /items/{item_id}",),
            ),
            (
                "parameter_renamed",
                "new /paths/~1items~1{item_id}/delete/parameters/0",
                True,
                "request",
                ("DELETE /items/{item_id}",),
            ),
        ],
    )
    renamed = next(c for c in diff.changes if c.kind is ChangeKind.OPERATION_ID_CHANGED)
    assert (renamed.old, renamed.new) == ("listItems", "listAllItems")


def test_parameters() -> None:
    get = ("GET /search",)
    both = ("GET /search", "POST /search")
    at = "new /paths/~1search/get/parameters"
    diff = fixture_diff("parameters")
    assert_rows(
        diff,
        [
            # a path-level parameter: one change for both methods
            ("parameter_required", "new /paths/~1search/parameters/0", True, "request", both),
            ("parameter_renamed", f"{at}/0", True, "request", get),
            ("parameter_type_changed", f"{at}/1/schema", True, "request", get),
            # a format dropped from a request accepts more: not breaking
            ("format_changed", f"{at}/1/schema", False, "request", get),
            ("enum_value_removed", f"{at}/2/schema", True, "request", get),
            ("enum_value_added", f"{at}/2/schema", False, "request", get),
            ("parameter_style_changed", f"{at}/3", True, "request", get),
            ("parameter_explode_changed", f"{at}/3", True, "request", get),
            ("parameter_removed", "old /paths/~1search/get/parameters/4", True, "request", get),
            ("parameter_required", f"{at}/4", True, "request", get),
            ("parameter_location_changed", f"{at}/5", True, "request", get),
            ("parameter_optional", f"{at}/7", False, "request", get),
            ("parameter_added", f"{at}/8", False, "request", get),
            ("parameter_added", f"{at}/9", True, "request", get),
            # a shared parameter: reported once, at its own pointer; integer -> number widens
            (
                "parameter_type_changed",
                "new /components/parameters/Page/schema",
                False,
                "request",
                both,
            ),
        ],
    )
    by_pointer = {(c.kind, c.pointer): c for c in diff.changes}
    rename = by_pointer[ChangeKind.PARAMETER_RENAMED, "/paths/~1search/get/parameters/0"]
    assert (rename.old, rename.new) == ("q", "query")
    enum_removed = by_pointer[
        ChangeKind.ENUM_VALUE_REMOVED, "/paths/~1search/get/parameters/2/schema"
    ]
    assert enum_removed.old == ("desc",)
    location = by_pointer[ChangeKind.PARAMETER_LOCATION_CHANGED, "/paths/~1search/get/parameters/5"]
    assert (location.old, location.new) == ("query", "header")


def test_request_bodies_judged_for_callers() -> None:
    post = ("POST /pets",)
    body = "/paths/~1pets/post/requestBody"
    schema = f"{body}/content/application~1json/schema/properties"
    diff = fixture_diff("bodies")
    assert_rows(
        diff,
        [
            ("request_body_required", f"new {body}", True, "request", post),
            (
                "request_content_type_removed",
                f"old {body}/content/application~1xml",
                True,
                "request",
                post,
            ),
            (
                "request_content_type_added",
                f"new {body}/content/text~1plain",
                False,
                "request",
                post,
            ),
            ("property_removed", f"old {schema}/tag", True, "request", post),
            ("property_required", f"new {schema}/age", True, "request", post),
            ("property_type_changed", f"new {schema}/age", False, "request", post),
            ("enum_value_removed", f"new {schema}/status", True, "request", post),
            ("enum_value_added", f"new {schema}/status", False, "request", post),
            ("nullable_removed", f"new {schema}/owner_id", True, "request", post),
            ("nullable_added", f"new {schema}/notes", False, "request", post),
            ("property_added", f"new {schema}/species", True, "request", post),
            ("property_added", f"new {schema}/color", False, "request", post),
            # read-only created_at is required, but callers never send it: not reported
            (
                "request_body_added",
                "new /paths/~1pets~1{id}/put/requestBody",
                True,
                "request",
                ("PUT /pets/{id}",),
            ),
            (
                "request_body_required",
                "new /paths/~1pets~1{id}/patch/requestBody",
                True,
                "request",
                ("PATCH /pets/{id}",),
            ),
            (
                "request_body_removed",
                "old /paths/~1pets~1{id}/delete/requestBody",
                True,
                "request",
                ("DELETE /pets/{id}",),
            ),
        ],
    )


def test_responses_judged_for_readers() -> None:
    get = ("GET /pets/{id}",)
    ok = "/paths/~1pets~1{id}/get/responses/200"
    schema = f"{ok}/content/application~1json/schema/properties"
    diff = fixture_diff("responses")
    assert_rows(
        diff,
        [
            (
                "response_status_removed",
                "old /paths/~1pets/get/responses/200",
                True,
                "response",
                ("GET /pets",),
            ),
            (
                "response_status_added",
                "new /paths/~1pets/get/responses/2XX",
                True,
                "response",
                ("GET /pets",),
            ),
            (
                "response_status_added",
                "new /paths/~1pets~1{id}/get/responses/202",
                True,
                "response",
                get,
            ),
            (
                "response_status_added",
                "new /paths/~1pets~1{id}/get/responses/429",
                False,
                "response",
                get,
            ),
            (
                "response_status_removed",
                "old /paths/~1pets~1{id}/get/responses/410",
                False,
                "response",
                get,
            ),
            (
                "response_content_type_removed",
                f"old {ok}/content/application~1xml",
                True,
                "response",
                get,
            ),
            ("response_content_type_added", f"new {ok}/content/text~1csv", False, "response", get),
            ("property_type_changed", f"new {schema}/id", True, "response", get),
            ("nullable_added", f"new {schema}/name", True, "response", get),
            ("property_optional", f"new {schema}/nickname", True, "response", get),
            ("property_removed", f"old {schema}/legacy", True, "response", get),
            # number -> integer narrows what readers get: not breaking
            ("property_type_changed", f"new {schema}/weight", False, "response", get),
            ("format_changed", f"new {schema}/birthday", True, "response", get),
            ("enum_value_added", f"new {schema}/kind", True, "response", get),
            ("enum_value_removed", f"new {schema}/kind", False, "response", get),
            ("property_required", f"new {schema}/color", False, "response", get),
            ("property_added", f"new {schema}/age", False, "response", get),
            # write-only 'secret' never reaches readers: its removal is not reported
        ],
    )


def test_a_change_in_a_shared_schema_is_reported_once_per_direction_with_every_operation() -> None:
    diff = fixture_diff("shared")
    author = "/components/schemas/Commit/properties/author"
    email = "/components/schemas/Person/properties/email"
    readers = ("GET /commits", "GET /commits/{sha}", "POST /commits")
    assert_rows(
        diff,
        [
            # made required: breaks callers who omit it, not readers
            ("property_required", f"new {author}", True, "request", ("POST /commits",)),
            ("property_required", f"new {author}", False, "response", readers),
            # Person is reached through Commit.author and directly by GET /people
            ("nullable_added", f"new {email}", False, "request", ("POST /commits",)),
            (
                "nullable_added",
                f"new {email}",
                True,
                "response",
                (*readers[:2], "GET /people", readers[2]),
            ),
            # Tree -> entries -> TreeEntry -> allOf Tree -> ...: recursion through allOf
            (
                "property_type_changed",
                "new /components/schemas/TreeEntry/allOf/1/properties/mode",
                True,
                "response",
                ("GET /trees/{sha}",),
            ),
        ],
    )
    assert sum(1 for c in diff.changes if c.pointer == author) == 2  # once per direction


def _tree_spec(leaf_type: str) -> dict[str, Any]:
    """Mutually recursive schemas, a self-including allOf, and a leaf deep inside."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "recursion", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/{name}"}
                                }
                            },
                        }
                    }
                }
            }
            for path, name in (("/nodes", "Node"), ("/edges", "Edge"), ("/loops", "Loop"))
        },
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "edges": {"type": "array", "items": {"$ref": "#/components/schemas/Edge"}},
                        "parent": {"$ref": "#/components/schemas/Node"},
                        "value": {"type": leaf_type},
                    },
                },
                "Edge": {
                    "type": "object",
                    "properties": {"to": {"$ref": "#/components/schemas/Node"}},
                },
                "Loop": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Loop"},
                        {
                            "type": "object",
                            "properties": {"next": {"$ref": "#/components/schemas/Loop"}},
                        },
                    ]
                },
            }
        },
    }


def test_recursive_schemas_terminate_and_report_the_change_once() -> None:
    diff = diff_documents(_tree_spec("string"), _tree_spec("integer"))
    assert rows(diff) == [
        (
            "property_type_changed",
            "new /components/schemas/Node/properties/value",
            True,
            "response",
            ("GET /edges", "GET /nodes"),
        )
    ]
    assert diff_documents(_tree_spec("string"), _tree_spec("string")).changes == ()


def test_references_that_lead_nowhere_are_compared_as_written() -> None:
    def spec(leaf_type: str) -> dict[str, Any]:
        document = _tree_spec(leaf_type)
        schemas = document["components"]["schemas"]
        schemas["Edge"] = {"$ref": "#/components/schemas/Bounce"}
        schemas["Bounce"] = {"$ref": "#/components/schemas/Edge"}
        schemas["Node"]["properties"]["missing"] = {"$ref": "#/components/schemas/Nowhere"}
        return document

    diff = diff_documents(spec("string"), spec("integer"))
    assert rows(diff) == [
        (
            "property_type_changed",
            "new /components/schemas/Node/properties/value",
            True,
            "response",
            ("GET /nodes",),
        )
    ]


def test_all_of_merged_and_one_of_branches_judged_by_direction() -> None:
    shape = ("POST /shapes",)
    diff = fixture_diff("composition")
    assert_rows(
        diff,
        [
            # Square gone: breaks callers who send squares, not readers
            ("branch_removed", "old /components/schemas/Shape/oneOf/1", True, "request", shape),
            ("branch_removed", "old /components/schemas/Shape/oneOf/1", False, "response", shape),
            # Triangle new: readers may get one they cannot handle
            ("branch_added", "new /components/schemas/Shape/oneOf/1", False, "request", shape),
            ("branch_added", "new /components/schemas/Shape/oneOf/1", True, "response", shape),
            # the constraint-only anyOf branch is no type; Label's moved property is no change
            (
                "branch_added",
                "new /paths/~1values/get/responses/200/content/application~1json/schema"
                "/properties/value/anyOf/2",
                True,
                "response",
                ("GET /values",),
            ),
        ],
    )
    removed = next(c for c in diff.changes if c.kind is ChangeKind.BRANCH_REMOVED)
    assert removed.old == "Square"


def test_components_security_and_servers() -> None:
    schemes = "/components/securitySchemes"
    flow = f"{schemes}/oauth/flows/authorizationCode"
    diff = fixture_diff("components")
    assert_rows(
        diff,
        [
            ("schema_removed", "old /components/schemas/Gone", True, None, ()),
            ("schema_added", "new /components/schemas/Fresh", False, None, ()),
            ("security_scheme_removed", f"old {schemes}/basic", True, None, ()),
            ("security_scheme_added", f"new {schemes}/token", False, None, ()),
            ("security_scheme_changed", f"new {schemes}/key/in", True, None, ()),
            ("security_scheme_changed", f"new {schemes}/oauth/flows", False, None, ()),
            ("security_scheme_changed", f"new {flow}/tokenUrl", True, None, ()),
            ("security_scope_removed", f"new {flow}/scopes", True, None, ()),
            ("security_scope_added", f"new {flow}/scopes", False, None, ()),
            ("server_removed", "old /servers/1", True, None, ()),
            ("server_added", "new /servers/0", False, None, ()),
            ("default_server_changed", "new /servers/0", True, None, ()),
            # one more way in: not breaking
            ("security_requirement_added", "new /security", False, None, ()),
            # a key now needed where anybody could call
            (
                "security_requirement_added",
                "new /paths/~1public/get/security",
                True,
                None,
                ("GET /public",),
            ),
        ],
    )
    scopes = next(c for c in diff.changes if c.kind is ChangeKind.SECURITY_SCOPE_REMOVED)
    assert scopes.old == ("admin",)


def test_external_file_refs_report_pointers_in_that_file(tmp_path: Path) -> None:
    for version, size in (("old", "integer"), ("new", "string")):
        folder = tmp_path / version
        folder.mkdir()
        widget = {"Widget": {"type": "object", "properties": {"size": {"type": size}}}}
        (folder / "common.yaml").write_text(yaml.safe_dump(widget), encoding="utf-8")
        main = yaml.safe_load((DIFF_FIXTURES / "shared" / "old.yaml").read_text("utf-8"))
        main["paths"]["/people"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ] = {"$ref": "common.yaml#/Widget"}
        (folder / "main.yaml").write_text(yaml.safe_dump(main), encoding="utf-8")
    diff = diff_files(tmp_path / "old" / "main.yaml", tmp_path / "new" / "main.yaml")
    assert rows(diff) == [
        (
            "property_type_changed",
            "new common.yaml#/Widget/properties/size",
            True,
            "response",
            ("GET /people",),
        )
    ]


SAME_SPECS = [
    *(
        DIFF_FIXTURES / group / side
        for group in sorted(p.name for p in DIFF_FIXTURES.iterdir())
        for side in ("old.yaml", "new.yaml")
    ),
    FIXTURES / "swagger2.yaml",
    FIXTURES / "refs" / "main.yaml",
    FIXTURES / "openapi31.yaml",
]


@pytest.mark.parametrize("spec", SAME_SPECS, ids=lambda p: "/".join(p.parts[-2:]))
def test_a_spec_compared_with_itself_has_no_changes(spec: Path) -> None:
    assert diff_files(spec, spec).changes == ()


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@pytest.mark.parametrize("group", ["parameters", "bodies", "shared", "components"])
def test_the_report_does_not_depend_on_key_order(group: str) -> None:
    old = read_document(DIFF_FIXTURES / group / "old.yaml")
    new = read_document(DIFF_FIXTURES / group / "new.yaml")
    forward = render_json(diff_documents(old, new))
    backward = render_json(diff_documents(_reversed_keys(old), _reversed_keys(new)))
    assert forward == backward
    assert json.loads(forward)["changes"]


def test_json_report_is_complete_sorted_and_stable() -> None:
    diff = fixture_diff("parameters")
    text = render_json(diff)
    assert text == render_json(fixture_diff("parameters"))
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert document["summary"]["changes"] == len(diff.changes) == 15
    assert document["summary"]["breaking"] == len(diff.breaking) == 10
    assert document["summary"]["by_kind"]["parameter_added"] == 2
    assert document["summary"]["breaking_by_kind"]["parameter_added"] == 1
    enum_removed = [c for c in document["changes"] if c["kind"] == "enum_value_removed"]
    assert enum_removed == [
        {
            "breaking": True,
            "direction": "request",
            "kind": "enum_value_removed",
            "message": "Values \"desc\" were removed from query parameter 'sort'.",
            "new": None,
            "old": ["desc"],
            "operations": ["GET /search"],
            "pointer": "/paths/~1search/get/parameters/2/schema",
            "pointer_in": "new",
        }
    ]


def test_text_and_markdown_reports_list_breaking_changes_first() -> None:
    diff = fixture_diff("shared")
    text = render_text(diff)
    assert text.index("Breaking changes (3):") < text.index("Other changes (2):")
    assert (
        "- nullable_added [response]: Property 'email' of schema 'Person' may now be null." in text
    )
    assert "    at /components/schemas/Person/properties/email (new)" in text
    assert "GET /commits, GET /commits/{sha}, GET /people, POST /commits" in text
    markdown = render_markdown(diff)
    assert "| property_required | 2 | 1 |" in markdown
    assert (
        "| property_required | response | `/components/schemas/Commit/properties/author` (new) "
        "| Property 'author' of schema 'Commit' is now required. "
        "| GET /commits, GET /commits/{sha}, POST /commits |"
    ) in markdown
    assert render_text(diff_documents({}, {})).splitlines()[1] == "0 changes, 0 breaking."


def test_long_operation_lists_are_cut_in_text_but_kept_in_json() -> None:
    spec = _tree_spec("string")
    for index in range(8):
        spec["paths"][f"/more/{index}"] = spec["paths"]["/nodes"]
    changed = json.loads(json.dumps(spec))
    changed["components"]["schemas"]["Node"]["properties"]["value"]["type"] = "integer"
    diff = diff_documents(spec, changed)
    assert len(diff.changes[0].operations) == 10
    assert "and 5 more" in render_text(diff)
    assert len(json.loads(render_json(diff))["changes"][0]["operations"]) == 10


def test_exit_status() -> None:
    breaking = fixture_diff("operations")
    harmless = diff_documents(
        {"paths": {}}, {"paths": {"/new": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    )
    nothing = diff_documents({}, {})
    assert [exit_status(breaking, f) for f in ("breaking", "any", None)] == [1, 1, 0]
    assert [exit_status(harmless, f) for f in ("breaking", "any", None)] == [0, 1, 0]
    assert [exit_status(nothing, f) for f in ("breaking", "any", None)] == [0, 0, 0]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.json", '{"openapi": "3.0.3", "paths": {', "invalid JSON"),
        ("broken.yaml", "openapi: 3.0.3\npaths: [unclosed\n", "invalid YAML"),
        ("notes.yaml", "just: some notes\n", "not an OpenAPI document"),
    ],
)
def test_unreadable_input_is_a_spec_error_naming_the_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    good = DIFF_FIXTURES / "operations" / "old.yaml"
    for old, new in ((bad, good), (good, bad)):
        with pytest.raises(SpecError, match=message) as error:
            diff_files(old, new)
        assert str(bad) in str(error.value)
    with pytest.raises(SpecError, match="cannot read") as missing:
        diff_files(good, tmp_path / "absent.json")
    assert "absent.json" in str(missing.value)


def test_the_docs_explain_every_kind() -> None:
    docs = (REPOSITORY / "docs" / "diff.md").read_text(encoding="utf-8")
    undocumented = [kind.value for kind in ChangeKind if f"`{kind.value}`" not in docs]
    assert not undocumented


# -- two real releases of one API ------------------------------------------------------------

requires_versions = pytest.mark.skipif(
    not VERSIONS.is_dir(),
    reason=f"{VERSIONS} is absent: the GitHub release diff needs the shared vendor specs",
)


@pytest.fixture(scope="module")
def ghes() -> tuple[SpecDiff, float]:
    started = time.perf_counter()
    diff = diff_files(VERSIONS / "ghes-3.0.json", VERSIONS / "ghes-3.4.json")
    return diff, time.perf_counter() - started


def _one(diff: SpecDiff, kind: str, pointer: str, direction: str | None = None) -> Any:
    found = [
        c
        for c in diff.changes
        if c.kind.value == kind
        and c.pointer == pointer
        and (c.direction.value if c.direction else None) == direction
    ]
    assert len(found) == 1, f"{kind} at {pointer}: {len(found)} changes"
    return found[0]


@requires_versions
def test_ghes_operations_and_schemas_match_the_hand_count(ghes: tuple[SpecDiff, float]) -> None:
    diff, _ = ghes
    # counted by hand from the two files' `paths` and `components.schemas` keys
    removed = {c.operations for c in diff.changes if c.kind is ChangeKind.OPERATION_REMOVED}
    assert removed == {
        ("DELETE /applications/{client_id}/grants/{access_token}",),
        ("DELETE /applications/{client_id}/tokens/{access_token}",),
        ("GET /applications/{client_id}/tokens/{access_token}",),
        ("POST /applications/{client_id}/tokens/{access_token}",),
        ("POST /repos/{owner}/{repo}/content_references/{content_reference_id}/attachments",),
    }
    assert diff.counts[ChangeKind.OPERATION_ADDED] == 96
    assert not any(c.kind is ChangeKind.OPERATION_ID_CHANGED for c in diff.changes)
    schemas = {c.old for c in diff.changes if c.kind is ChangeKind.SCHEMA_REMOVED}
    assert schemas == {
        "author_association",
        "code-scanning-alert-dismissed-at",
        "content-reference-attachment",
        "nullable-authorization",
    }
    assert diff.counts[ChangeKind.SCHEMA_ADDED] == 40


@requires_versions
def test_ghes_hand_checked_changes(ghes: tuple[SpecDiff, float]) -> None:
    diff, _ = ghes
    comments = "/paths/~1repos~1{owner}~1{repo}~1pulls~1{pull_number}~1comments/post"
    for name in ("commit_id", "path", "line"):
        change = _one(
            diff,
            "property_required",
            f"{comments}/requestBody/content/application~1json/schema/properties/{name}",
            "request",
        )
        assert change.breaking
        assert change.operations == ("POST /repos/{owner}/{repo}/pulls/{pull_number}/comments",)

    scopes = _one(
        diff,
        "property_required",
        "/paths/~1admin~1users~1{username}~1authorizations/post/requestBody/content"
        "/application~1json/schema/properties/scopes",
        "request",
    )
    assert scopes.breaking

    matching_refs = "/paths/~1repos~1{owner}~1{repo}~1git~1matching-refs~1{ref}/get/parameters"
    for index, name in ((3, "per_page"), (4, "page")):
        gone = _one(diff, "parameter_removed", f"{matching_refs}/{index}", "request")
        assert (gone.breaking, gone.pointer_in, gone.old) == (True, "old", name)

    commit_id = _one(
        diff,
        "nullable_added",
        "/components/schemas/pull-request-review/properties/commit_id",
        "response",
    )
    assert commit_id.breaking
    # the operations whose responses reach pull-request-review, listed by hand
    assert commit_id.operations == (
        "DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/events",
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
    )

    last_used = _one(
        diff,
        "property_removed",
        "/components/schemas/public-key-full/properties/last_used",
        "response",
    )
    assert (last_used.breaking, last_used.pointer_in, last_used.operations) == (
        True,
        "old",
        ("GET /admin/keys",),
    )

    pending = _one(
        diff, "enum_value_added", "/components/parameters/workflow-run-status/schema", "request"
    )
    assert (pending.breaking, pending.new) == (False, ("pending",))
    assert pending.operations == (
        "GET /repos/{owner}/{repo}/actions/runs",
        "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    )

    hook_config = _one(
        diff, "request_body_required", "/paths/~1app~1hook~1config/patch/requestBody", "request"
    )
    assert hook_config.breaking

    event = _one(
        diff,
        "enum_constraint_added",
        "/paths/~1repos~1{owner}~1{repo}~1pulls~1{pull_number}~1reviews~1{review_id}~1dismissals"
        "/put/requestBody/content/application~1json/schema/properties/event",
        "request",
    )
    assert (event.breaking, event.new) == (True, ("DISMISS",))

    server = _one(diff, "default_server_changed", "/servers/0")
    assert (server.breaking, server.new) == (True, "https://github.com/")


@requires_versions
def test_ghes_renamed_but_equal_components_are_no_change(ghes: tuple[SpecDiff, float]) -> None:
    diff, _ = ghes
    # author_association became author-association with the same content: references
    # to it changed, what they accept did not
    renamed = ("/components/schemas/author-association", "/components/schemas/author_association")
    assert not [
        c
        for c in diff.changes
        if c.pointer.startswith(renamed)
        and c.kind not in (ChangeKind.SCHEMA_REMOVED, ChangeKind.SCHEMA_ADDED)
    ]
    assert not [c for c in diff.changes if "/properties/author_association" in c.pointer]
