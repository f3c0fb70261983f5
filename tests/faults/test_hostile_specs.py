"""Hostile specs: every one generates code that imports and type-checks, or fails with the
documented error naming where; never a traceback, never a half-written output folder.

Hand-made hostile cases first, then fuzzing with OpenAPI documents drawn by hypothesis
(valid ones must generate, import and type-check; mutated ones must generate or raise a
`GeneratorError`). ``CONNECTORY_FUZZ_EXAMPLES`` raises the number of fuzz examples.
"""

from __future__ import annotations

import importlib
import json
import keyword
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from connectory.cli import app
from connectory.generator import GeneratorError, generate_spec

FUZZ_EXAMPLES = int(os.environ.get("CONNECTORY_FUZZ_EXAMPLES", "150"))
runner = CliRunner()


def _generate_cli(spec: Path, out: Path, name: str = "hostile") -> Any:
    return runner.invoke(app, ["generate", "--spec", str(spec), "--name", name, "--out", str(out)])


def _doc(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Hostile", "version": "1"},
        "servers": [{"url": "https://hostile.example.test"}],
        "paths": paths,
    }
    if schemas is not None:
        document["components"] = {"schemas": schemas}
    return document


def _get(schema: Any, operation_id: str = "getThing") -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": schema}}}
            },
        }
    }


@pytest.mark.parametrize(
    ("filename", "text", "where"),
    [
        ("spec.json", '{"openapi": "3.0.0", "paths": {', "invalid JSON at line 1"),
        ("spec.yaml", "openapi: 3.0.0\npaths:\n  /x: [unclosed\n", "invalid YAML at line"),
        ("spec.yaml", "- just\n- a list\n", "the document is not a mapping"),
        ("spec.json", '{"swagger": "1.2", "paths": {}}', "Swagger 1.2 is not supported"),
        ("spec.json", '{"openapi": "4.0.0", "paths": {}}', "OpenAPI 4.0.0 is not supported"),
        ("spec.json", '{"openapi": "3.0.0", "paths": []}', "'paths' must be a mapping"),
    ],
)
def test_unreadable_specs_fail_clearly_and_write_nothing(
    tmp_path: Path, filename: str, text: str, where: str
) -> None:
    spec = tmp_path / filename
    spec.write_text(text, encoding="utf-8")
    result = _generate_cli(spec, tmp_path / "out")
    assert result.exit_code == 2
    assert where in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_dangling_and_cyclic_refs_degrade_their_operation_naming_the_pointer(
    tmp_path: Path,
) -> None:
    document = _doc(
        {
            "/dangling": _get({"$ref": "#/components/schemas/Gone"}, "dangling"),
            "/cycle": _get({"$ref": "#/components/schemas/LoopA"}, "cycle"),
            "/fine": _get({"$ref": "#/components/schemas/Fine"}, "fine"),
        },
        {
            "LoopA": {"$ref": "#/components/schemas/LoopB"},
            "LoopB": {"$ref": "#/components/schemas/LoopA"},
            "Fine": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
    )
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    result = generate_spec(spec, "refs_hostile", tmp_path / "out" / "refs_hostile")
    degraded = {d.operation: d for d in result.report.degraded}
    assert set(degraded) == {"dangling", "cycle"}
    assert "#/components/schemas/Gone" in str(degraded["dangling"].problems[0])
    assert "$ref cycle" in str(degraded["cycle"].problems[0])
    # the generated code names the problem without the folder the spec was read from
    operations = (tmp_path / "out" / "refs_hostile" / "operations.py").read_text()
    assert "spec.json#/components/schemas/Gone" in operations
    assert str(tmp_path) not in operations
    _import_and_typecheck(tmp_path / "out", ["refs_hostile"])


def _deep_all_of(depth: int) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for level in range(depth):
        parts: list[Any] = [
            {"type": "object", "properties": {f"field{level}": {"type": "integer"}}}
        ]
        if level:
            parts.insert(0, {"$ref": f"#/components/schemas/Level{level - 1}"})
        schemas[f"Level{level}"] = {"allOf": parts}
    return schemas


def test_awkward_names_deep_all_of_and_colliding_ids_generate_working_code(
    tmp_path: Path,
) -> None:
    awkward_props = {
        name: {"type": "string"}
        for name in [
            *keyword.kwlist[:12],
            "list",
            "dict",
            "self",
            "cls",
            "1st",
            "2nd-place",
            "@odata.type",
            "$ref",
            "",
            "ünï",
            "from_",
            "additional_properties",
        ]
    }
    schemas = {
        **_deep_all_of(20),
        "Awkward": {"type": "object", "properties": awkward_props},
        "Shout": {"type": "string", "enum": ["a", "A", "a-", "A_", "", "1", "none", "None"]},
        "class": {"type": "object", "properties": {"x": {"type": "integer"}}},
    }
    paths: dict[str, Any] = {
        "/deep": _get({"$ref": "#/components/schemas/Level19"}, "deep"),
        "/awkward": _get({"$ref": "#/components/schemas/Awkward"}, "awkward"),
        "/shout": _get({"$ref": "#/components/schemas/Shout"}, "shout"),
        "/klass": _get({"$ref": "#/components/schemas/class"}, "klass"),
    }
    for index, operation_id in enumerate(["getItem", "get_item", "GetItem", "get-item", "2get"]):
        paths[f"/item{index}/{{id}}"] = {
            "get": {
                "operationId": operation_id,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "class", "in": "query", "schema": {"type": "string"}},
                    {"name": "self", "in": "header", "schema": {"type": "integer"}},
                ],
                "responses": {"204": {"description": "none"}},
            }
        }
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(_doc(paths, schemas)), encoding="utf-8")
    result = generate_spec(spec, "awkward_hostile", tmp_path / "out" / "awkward_hostile")
    assert result.report.degraded == ()
    module = _import_and_typecheck(tmp_path / "out", ["awkward_hostile"])[0]
    names = [op.name for op in module.OPERATIONS]
    assert len(set(names)) == len(names)  # colliding ids got distinct methods
    deep = module.models.Level19.from_dict({f"field{i}": i for i in range(20)})
    assert [getattr(deep, f"field{i}") for i in range(20)] == list(range(20))
    members = [m.value for m in module.models.Shout]
    assert members == ["a", "A", "a-", "A_", "", "1", "none", "None"]


def test_a_schema_nested_in_itself_through_all_of_gets_bounded_names(tmp_path: Path) -> None:
    # additionalProperties: allOf [string, $ref itself]: each level names its own model
    # after its parent's, a hint that grew past what a file name can hold.
    schemas = {
        "None": {
            "type": "object",
            "additionalProperties": {
                "allOf": [{"type": "string"}, {"$ref": "#/components/schemas/None"}]
            },
        }
    }
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_doc({"/p": _get({"$ref": "#/components/schemas/None"})}, schemas)))
    generate_spec(spec, "nested_hostile", tmp_path / "out" / "nested_hostile")
    modules = list((tmp_path / "out" / "nested_hostile" / "models").glob("*.py"))
    assert modules
    assert max(len(path.name) for path in modules) <= 210
    _import_and_typecheck(tmp_path / "out", ["nested_hostile"])


def test_a_50_mb_spec_generates(tmp_path: Path) -> None:
    filler = "x" * 200_000  # long descriptions, as real specs carry
    paths = {
        f"/things{i}/{{id}}": {
            "get": {
                "operationId": f"getThing{i}",
                "description": filler,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": filler,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    }
                },
            }
        }
        for i in range(130)
    }
    schemas = {
        "Thing": {
            "type": "object",
            "description": filler,
            "properties": {f"p{i}": {"type": "string", "description": "d"} for i in range(200)},
        }
    }
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps(_doc(paths, schemas)), encoding="utf-8")
    assert spec.stat().st_size > 50_000_000
    result = generate_spec(spec, "big_hostile", tmp_path / "out" / "big_hostile")
    assert result.report.operations_total == 130
    assert result.report.operations_typed == 130


# -- fuzzing ------------------------------------------------------------------------------

NAMES = st.one_of(
    st.sampled_from([*keyword.kwlist, "list", "dict", "str", "self", "m", "type", "id", "1x", "é"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,12}", fullmatch=True),
)


def _schemas(refs: list[str], depth: int = 2) -> st.SearchStrategy[Any]:
    """Schemas of every shape the generator must handle, nested `depth` levels."""
    scalar = st.one_of(
        st.builds(
            lambda t: {"type": t}, st.sampled_from(["string", "integer", "number", "boolean"])
        ),
        st.just({"type": "string", "format": "date-time"}),
        st.builds(lambda v: {"type": "string", "enum": v}, st.lists(NAMES, min_size=1, max_size=4)),
        st.builds(
            lambda v: {"type": "integer", "enum": v}, st.lists(st.integers(-5, 5), min_size=1)
        ),
        st.just({}),
        *([st.sampled_from([{"$ref": f"#/components/schemas/{r}"} for r in refs])] if refs else []),
    )
    if depth == 0:
        return scalar
    children = _schemas(refs, depth - 1)
    return st.one_of(
        scalar,
        st.builds(lambda item: {"type": "array", "items": item}, children),
        st.builds(
            lambda props, required, nullable: {
                "type": "object",
                "properties": props,
                "required": [k for k in props if required],
                "nullable": nullable,
            },
            st.dictionaries(NAMES, children, max_size=4),
            st.booleans(),
            st.booleans(),
        ),
        st.builds(lambda options: {"oneOf": options}, st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda options: {"anyOf": options}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda parts: {"allOf": parts}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda value: {"type": "object", "additionalProperties": value}, children),
    )


@st.composite
def openapi_documents(draw: st.DrawFn) -> dict[str, Any]:
    schema_names = draw(st.lists(NAMES, max_size=4, unique_by=str.lower))
    schemas = {name: draw(_schemas(schema_names)) for name in schema_names}
    paths: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 4))):
        param_name = draw(NAMES)
        location = draw(st.sampled_from(["query", "header", "path", "cookie"]))
        path = f"/p{index}" + ("/{" + param_name + "}" if location == "path" else "")
        parameter: dict[str, Any] = {
            "name": param_name,
            "in": location,
            "required": location == "path" or draw(st.booleans()),
            "schema": draw(_schemas(schema_names)),
        }
        if draw(st.booleans()):
            parameter["style"] = draw(
                st.sampled_from(
                    {
                        "query": ["form", "spaceDelimited", "pipeDelimited", "deepObject"],
                        "header": ["simple"],
                        "path": ["simple", "label", "matrix"],
                        "cookie": ["form"],
                    }[location]
                )
            )
            parameter["explode"] = draw(st.booleans())
        operation: dict[str, Any] = {
            "operationId": draw(st.one_of(NAMES, st.none())),
            "parameters": [parameter],
            "responses": {
                status: {
                    "description": "r",
                    "content": {media: {"schema": draw(_schemas(schema_names))}},
                }
                for status, media in draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(["200", "201", "202", "default"]),
                            st.sampled_from(["application/json", "*/*", "text/plain"]),
                        ),
                        min_size=1,
                        max_size=3,
                        unique_by=lambda pair: pair[0],
                    )
                )
            },
        }
        if operation["operationId"] is None:
            del operation["operationId"]
        method = draw(st.sampled_from(["get", "post", "put", "patch", "delete"]))
        if method != "get" and draw(st.booleans()):
            media = draw(
                st.sampled_from(
                    [
                        "application/json",
                        "application/merge-patch+json",
                        "application/x-www-form-urlencoded",
                        "multipart/form-data",
                        "application/octet-stream",
                    ]
                )
            )
            operation["requestBody"] = {
                "required": draw(st.booleans()),
                "content": {media: {"schema": draw(_schemas(schema_names))}},
            }
        paths[path] = {method: operation}
    return _doc(paths, schemas)


_FUZZED: list[tuple[Path, str]] = []
_FUZZ_ROOT = (
    Path(os.environ.get("CONNECTORY_FUZZ_DIR") or tempfile.gettempdir())
    / f"connectory-fuzz-{uuid.uuid4().hex[:8]}"
)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=openapi_documents())
def test_fuzzed_documents_generate_and_import(document: dict[str, Any]) -> None:
    name = f"fuzz_{uuid.uuid4().hex[:10]}"
    spec = _FUZZ_ROOT / "specs" / f"{name}.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps(document), encoding="utf-8")
    generate_spec(spec, name, _FUZZ_ROOT / "packages" / name)
    sys.path.insert(0, str(_FUZZ_ROOT / "packages"))
    try:
        module = importlib.import_module(name)
        for op in module.OPERATIONS:
            group, _, method = op.name.partition(".")
            assert hasattr(getattr(module.resources, _class_name(module, group)), method)
    finally:
        sys.path.remove(str(_FUZZ_ROOT / "packages"))
        for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[loaded]
    _FUZZED.append((_FUZZ_ROOT / "packages", name))


def _class_name(module: Any, group: str) -> str:
    for candidate in module.resources.__all__:
        resource = getattr(module.resources, candidate)
        if getattr(resource, "label", None) == group:
            return str(candidate)
    raise AssertionError(f"no resource class for group {group!r}")


def test_fuzzed_packages_type_check(figures: dict[str, Any]) -> None:
    if not _FUZZED:
        pytest.skip("runs after test_fuzzed_documents_generate_and_import")
    _typecheck(_FUZZED[0][0], [name for _, name in _FUZZED])
    figures.setdefault("fuzz", {})["valid_documents_generated_imported_type_checked"] = len(_FUZZED)


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    document: Any = draw(openapi_documents())
    kind = draw(st.integers(0, 5))
    if kind == 0:
        document["paths"] = draw(st.sampled_from([[], "x", 3]))
    elif kind == 1:
        next(iter(document["paths"].values()))["get"] = {
            "responses": draw(st.sampled_from([[], 3]))
        }
    elif kind == 2:
        document["openapi"] = draw(st.sampled_from(["2.9", "4.0", 3, None]))
    elif kind == 3:
        document.setdefault("components", {})["schemas"] = {"X": {"$ref": "#/nowhere/at/all"}}
        next(iter(document["paths"].values()))["get"] = _get({"$ref": "#/components/schemas/X"})
    elif kind == 4:
        document["paths"]["/q"] = {"get": {"parameters": [{"in": "query"}], "responses": {}}}
    else:
        document["paths"]["/t"] = _get({"type": "tuple"})
    return document


@settings(max_examples=max(FUZZ_EXAMPLES // 3, 20), deadline=None)
@given(document=mutated_documents())
def test_mutated_documents_generate_or_fail_with_the_documented_error(
    tmp_path_factory: pytest.TempPathFactory, document: Any
) -> None:
    root = tmp_path_factory.mktemp("mutated")
    spec = root / "spec.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    failure: GeneratorError | None = None
    try:
        generate_spec(spec, "mutated", root / "out" / "mutated")
    except GeneratorError as exc:
        failure = exc
    if failure is None:
        MUTATED["generated"] += 1
        return
    assert str(failure)  # a message, naming the file (and the pointer where there is one)
    assert not (root / "out" / "mutated").exists()
    MUTATED["refused with a GeneratorError"] += 1


MUTATED: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def _record(figures: dict[str, Any]) -> None:
    figures.setdefault("fuzz", {})["mutated_documents"] = MUTATED


def _import_and_typecheck(root: Path, names: list[str]) -> list[Any]:
    sys.path.insert(0, str(root))
    try:
        modules = [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(str(root))
    _typecheck(root, names)
    return modules


def _typecheck(root: Path, names: list[str]) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            *(str(root / name) for name in names),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root)},
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
