"""Python names from API names: fields, methods and parameters that would clash."""

from __future__ import annotations

import keyword

import pytest

from connectory.core import BaseConnectorService
from connectory.core.resources import operation, sync_operation
from tests.generator._support import Generated, Recorder, attribute_names, json_answer

AWKWARD = {
    "class": "c",
    "from": "f",
    "type": "t",
    "id": 4,
    "self": "s",
    "to_dict": "td",
    "additional_properties": "ap",
    "1st": "one",
    "2nd-place": "two",
    "foo-bar": "dash",
    "foo_bar": 2,
    "fooBar": True,
    "str": "text",
    "int": 1,
    "list": ["x"],
    "attrs": "a",
    "m": "em",
    "frozenset": "fs",
}


def test_every_field_name_is_a_usable_distinct_identifier(names_pkg: Generated) -> None:
    names = attribute_names(names_pkg.models.Awkward)
    assert set(names) == {*AWKWARD, "child"}
    for python_name in names.values():
        assert python_name.isidentifier()
        assert not keyword.iskeyword(python_name)
    assert len(set(names.values())) == len(names)


@pytest.mark.parametrize(
    ("json_name", "python_name"),
    [
        ("class", "class_"),
        ("from", "from_"),
        ("self", "self_"),
        ("to_dict", "to_dict_"),
        ("additional_properties", "additional_properties_"),
        ("1st", "n1st"),
        ("2nd-place", "n2nd_place"),
        # names the model's class body uses itself
        ("str", "str_"),
        ("list", "list_"),
        ("attrs", "attrs_"),
        ("m", "m_"),
        ("frozenset", "frozenset"),  # no longer used by a model's class body
    ],
)
def test_clashing_field_names_are_escaped(
    names_pkg: Generated, json_name: str, python_name: str
) -> None:
    assert attribute_names(names_pkg.models.Awkward)[json_name] == python_name


def test_names_differing_only_in_punctuation_or_case_stay_apart(names_pkg: Generated) -> None:
    names = attribute_names(names_pkg.models.Awkward)
    spellings = {names["foo-bar"], names["foo_bar"], names["fooBar"]}
    assert len(spellings) == 3
    assert all(name.startswith("foo_bar") for name in spellings)
    value = names_pkg.models.Awkward.from_dict(AWKWARD)
    assert getattr(value, names["foo-bar"]) == "dash"
    assert getattr(value, names["foo_bar"]) == 2
    assert getattr(value, names["fooBar"]) is True


def test_awkward_names_round_trip_and_the_model_keeps_its_methods(names_pkg: Generated) -> None:
    awkward = names_pkg.models.Awkward
    data = {**AWKWARD, "child": {"class": "inner", "to_dict": "x"}, "unlisted": 1}
    value = awkward.from_dict(data)
    names = attribute_names(awkward)
    assert getattr(value, names["class"]) == "c"
    assert getattr(value, names["type"]) == "t"
    assert getattr(value, names["id"]) == 4
    assert getattr(value, names["attrs"]) == "a"
    assert value.additional_properties == {"unlisted": 1}
    assert type(getattr(value, names["child"])) is awkward
    assert value.to_dict() == data


def test_missing_operation_ids_get_a_name_from_method_and_path(operations_pkg: Generated) -> None:
    info = operations_pkg.operation("get:/things/{thing_id}")
    assert info.name == "things.get"
    resource = operations_pkg.module.resources.Things
    assert isinstance(resource.get, operation)
    assert isinstance(resource.get_sync, sync_operation)


def test_operation_ids_in_camel_case_become_snake_case(operations_pkg: Generated) -> None:
    names = {op.operation_id: op.name for op in operations_pkg.module.OPERATIONS}
    # grouped by the path's first segment; the group's own word is not repeated
    assert names["getItem"] == "items.get"
    assert names["createItem"] == "items.create"
    assert names["listItems"] == "items.list"
    assert names["submitForm"] == "forms.submit"
    assert names["noContent"] == "degraded.no_content"


def test_duplicate_operation_ids_get_distinct_methods(operations_pkg: Generated) -> None:
    duplicates = [
        (op.path, op.name)
        for op in operations_pkg.module.OPERATIONS
        if op.operation_id == "fetchHTTPStatusCode"
    ]
    assert duplicates == [
        ("/dup/a", "dup.fetch_http_status_code"),
        ("/dup/b", "dup.fetch_http_status_code2"),
    ]


def test_a_method_may_be_called_list_its_signatures_say_builtins_list(
    names_pkg: Generated,
) -> None:
    names = {op.operation_id: op.name for op in names_pkg.module.OPERATIONS}
    assert names["list"] == "list.list"
    source = (names_pkg.path / "resources" / "list.py").read_text()
    # In the class body the method `list` hides the builtin: annotations name it in full.
    assert "-> builtins.list[str]" in source


def test_resource_groups_never_shadow_the_connectors_attributes(operations_pkg: Generated) -> None:
    groups = {op.name.partition(".")[0] for op in operations_pkg.module.OPERATIONS}
    for group in groups:
        assert not hasattr(BaseConnectorService, group)


async def test_parameters_named_like_the_methods_locals_are_renamed_and_sent(
    operations_pkg: Generated,
) -> None:
    params = {p.name: p.py_name for p in operations_pkg.operation("listItems").parameters}
    assert params["response"] == "response"  # not a name the generated method uses
    assert params["body"] not in {"body", "self"}
    assert params["self"] not in {"body", "self"}
    recorder = Recorder(json_answer([]))
    async with operations_pkg.connector(recorder) as connector:
        assert await connector.connect({"api_key": "k"})
        method = operations_pkg.method(connector, "listItems")
        result = await method(**{params["response"]: "r", params["body"]: "b", params["self"]: "s"})
    assert result == []
    assert dict(recorder.last.url.params) == {"response": "r", "body": "b", "self": "s"}


async def test_parameters_named_like_builtins_and_module_names_work(names_pkg: Generated) -> None:
    info = names_pkg.operation("list")
    params = {p.name: p.py_name for p in info.parameters}
    assert set(params) == {"str", "m", "payload", "data"}
    assert all(name.isidentifier() for name in params.values())
    assert params["m"] != "m"
    assert params["str"] != "str"  # the method's body decodes into `list[str]`
    assert params["payload"] == "payload"
    assert params["data"] == "data"
    recorder = Recorder(json_answer(["a", "b"]))
    async with names_pkg.connector(recorder) as connector:
        assert await connector.connect({})
        method = names_pkg.method(connector, "list")
        result = await method(
            **{params["str"]: "s", params["m"]: "mm", params["payload"]: "p", params["data"]: "d"}
        )
    assert result == ["a", "b"]
    assert dict(recorder.last.url.params) == {"str": "s", "m": "mm", "payload": "p"}
    assert recorder.last.headers["data"] == "d"
