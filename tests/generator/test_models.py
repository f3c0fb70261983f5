"""Generated models: allOf, unions, enums, additional properties, nullability, decoding."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest

from connectory.core.models import UNSET, DecodeError, deviations, model_fields
from connectory.generator import build_api
from tests.generator._support import FIXTURES, Generated, field_types

PET = {"id": 1, "name": "Rex", "owner": "ann"}


# -- allOf ----------------------------------------------------------------------------


def test_all_of_merges_parts_and_a_later_part_overrides_a_property(models_pkg: Generated) -> None:
    extended = models_pkg.models.Extended
    assert field_types(extended) == {"id": "str", "flag": "bool", "label": "int | Unset"}
    assert {json for _, json, _, required in model_fields(extended) if required} == {"id", "flag"}
    value = extended.from_dict({"id": "e1", "flag": True, "label": 3})
    assert (value.id, value.flag, value.label) == ("e1", True, 3)
    assert value.to_dict() == {"id": "e1", "flag": True, "label": 3}


def test_all_of_keeps_required_fields_of_every_part(models_pkg: Generated) -> None:
    with pytest.raises(DecodeError, match=r"^\$\.id: Extended: required field missing$"):
        models_pkg.models.Extended.from_dict({"flag": False}, strict=True)
    with pytest.raises(DecodeError, match=r"^\$\.flag: Extended: required field missing$"):
        models_pkg.models.Extended.from_dict({"id": "e1"}, strict=True)
    lenient = models_pkg.models.Extended.from_dict({"id": "e1"})
    assert [d.path for d in deviations(lenient)] == ["$.flag"]


# -- oneOf / anyOf --------------------------------------------------------------------


def _everything(models_pkg: Generated, **fields: Any) -> Any:
    return models_pkg.models.Everything.from_dict(fields)


def test_discriminator_mapping_picks_the_mapped_model(models_pkg: Generated) -> None:
    cat, dog = models_pkg.models.Cat, models_pkg.models.Dog
    # Both models' required fields are present: only the mapping tells them apart.
    both = {"meows": True, "barks": True}
    assert type(_everything(models_pkg, mapped={"pet_type": "doggo", **both}).mapped) is dog
    assert type(_everything(models_pkg, mapped={"pet_type": "kitty", **both}).mapped) is cat
    # A discriminated union has a name of its own, which carries the mapping.
    assert field_types(models_pkg.models.Everything)["mapped"] == "m.MappedAnimal | Unset"


def test_discriminator_without_mapping_uses_the_model_names(models_pkg: Generated) -> None:
    cat, dog = models_pkg.models.Cat, models_pkg.models.Dog
    both = {"meows": True, "barks": True}
    assert type(_everything(models_pkg, implicit={"pet_type": "Dog", **both}).implicit) is dog
    assert type(_everything(models_pkg, implicit={"pet_type": "Cat", **both}).implicit) is cat


def test_unknown_discriminator_value_falls_back_to_the_best_match(models_pkg: Generated) -> None:
    decoded = _everything(models_pkg, mapped={"pet_type": "hamster", "barks": False}).mapped
    assert type(decoded) is models_pkg.models.Dog
    assert decoded.barks is False


def test_union_without_discriminator_picks_by_required_fields(models_pkg: Generated) -> None:
    circle, square = models_pkg.models.Circle, models_pkg.models.Square
    as_square = _everything(models_pkg, shape={"side": 2}).shape
    assert type(as_square) is square
    assert as_square.side == 2.0
    assert type(_everything(models_pkg, shape={"radius": 1.5, "name": "c"}).shape) is circle
    # nothing matches: the value is kept as it came
    assert _everything(models_pkg, shape={"corners": 3}).shape == {"corners": 3}


def test_union_of_primitives_and_a_model(models_pkg: Generated) -> None:
    circle = models_pkg.models.Circle
    assert _everything(models_pkg, scalarish="abc").scalarish == "abc"
    assert _everything(models_pkg, scalarish=7).scalarish == 7
    decoded = _everything(models_pkg, scalarish={"radius": 2}).scalarish
    assert type(decoded) is circle
    assert decoded.radius == 2.0
    assert field_types(models_pkg.models.Everything)["scalarish"] == "str | int | m.Circle | Unset"


def test_union_values_encode_back(models_pkg: Generated) -> None:
    data = {"mapped": {"pet_type": "kitty", "meows": True}, "shape": {"side": 2.0}, "scalarish": 7}
    assert models_pkg.models.Everything.from_dict(data).to_dict() == data


# -- enums ----------------------------------------------------------------------------


def test_string_enum(models_pkg: Generated) -> None:
    status = models_pkg.models.Status
    assert issubclass(status, enum.StrEnum)
    assert [(s.name, s.value) for s in status] == [
        ("AVAILABLE", "available"),
        ("PENDING", "pending"),
        ("SOLD", "sold"),
    ]
    pet = models_pkg.models.Pet.from_dict({**PET, "status": "sold"})
    assert pet.status is status.SOLD
    assert pet.to_dict()["status"] == "sold"


def test_integer_enum(models_pkg: Generated) -> None:
    priority = models_pkg.models.Priority
    assert issubclass(priority, enum.IntEnum)
    assert [p.value for p in priority] == [1, 2, 3]
    pet = models_pkg.models.Pet.from_dict({**PET, "priority": 2})
    assert pet.priority is priority(2)
    assert pet.to_dict()["priority"] == 2


def test_mixed_enum_values_are_kept_as_plain_values(models_pkg: Generated) -> None:
    assert field_types(models_pkg.models.Pet)["mixed"] == "Any | Unset"
    for value in ("auto", 1, 2.5):
        pet = models_pkg.models.Pet.from_dict({**PET, "mixed": value})
        assert pet.mixed == value
        assert type(pet.mixed) is type(value)


def test_enum_with_null(models_pkg: Generated) -> None:
    color = models_pkg.models.Color
    assert [c.value for c in color] == ["red", "green"]
    assert field_types(models_pkg.models.Pet)["color"] == "m.Color | str | Unset | None"
    pet_type = models_pkg.models.Pet
    assert pet_type.from_dict({**PET, "color": None}).color is None
    assert pet_type.from_dict({**PET, "color": "red"}).color is color.RED
    assert pet_type.from_dict({**PET, "color": None}).to_dict()["color"] is None


def test_enum_values_differing_only_in_case_are_distinct_members(models_pkg: Generated) -> None:
    casing = models_pkg.models.Casing
    members = {member.value: member.name for member in casing}
    assert set(members) == {"active", "Active", "ACTIVE"}
    assert len(set(members.values())) == 3
    decoded = models_pkg.models.Pet.from_dict({**PET, "casing": "Active"}).casing
    assert decoded is casing("Active")
    assert decoded is not casing("active")
    assert decoded.value == "Active"


@pytest.mark.parametrize(("field", "value"), [("status", "adopted"), ("priority", 9)])
def test_unknown_enum_value_is_kept_as_a_plain_value(
    models_pkg: Generated, field: str, value: Any
) -> None:
    pet = models_pkg.models.Pet.from_dict({**PET, field: value})
    decoded = getattr(pet, field)
    assert decoded == value
    assert type(decoded) is type(value)
    assert pet.to_dict()[field] == value


# -- additionalProperties -------------------------------------------------------------


def test_additional_properties_at_top_level(models_pkg: Generated) -> None:
    types = field_types(models_pkg.models.Everything)
    assert types["free"] == "dict[str, Any] | Unset"
    assert types["counts"] == "dict[str, int] | Unset"
    assert types["closed"] == "m.Closed | Unset"
    assert types["circle_map"] == "m.CircleMap | Unset"
    value = _everything(models_pkg, free={"a": [1]}, counts={"x": 2})
    assert value.free == {"a": [1]}
    assert value.counts == {"x": 2}


def test_additional_properties_false_still_keeps_what_the_api_sends(models_pkg: Generated) -> None:
    closed = models_pkg.models.Closed.from_dict({"a": "x", "surprise": 1})
    assert closed.a == "x"
    assert closed.additional_properties == {"surprise": 1}
    assert closed.to_dict() == {"a": "x", "surprise": 1}


def test_additional_properties_schema_decodes_the_extra_values(models_pkg: Generated) -> None:
    circle = models_pkg.models.Circle
    circle_map = models_pkg.models.CircleMap
    value = circle_map.from_dict({"title": "t", "one": {"radius": 1}})
    assert value.title == "t"
    assert type(value.additional_properties["one"]) is circle
    assert value.additional_properties["one"].radius == 1.0
    assert value.to_dict() == {"title": "t", "one": {"radius": 1.0}}


def test_additional_properties_inside_properties(models_pkg: Generated) -> None:
    types = field_types(models_pkg.models.Holder)
    assert types == {
        "free": "dict[str, Any] | Unset",
        "counts": "dict[str, int] | Unset",
        "closed": "m.HolderClosed | Unset",
        "circles": "dict[str, m.Circle] | Unset",
    }
    holder = models_pkg.models.Holder.from_dict(
        {
            "free": {"k": None},
            "counts": {"n": 1},
            "closed": {"x": 5},
            "circles": {"c": {"radius": 3}},
        }
    )
    assert holder.free == {"k": None}
    assert holder.closed.x == 5
    assert type(holder.circles["c"]) is models_pkg.models.Circle
    assert holder.circles["c"].radius == 3.0
    assert holder.to_dict()["circles"] == {"c": {"radius": 3.0}}


# -- required, nullable, unknown fields -----------------------------------------------


def test_nullable_and_optional_are_distinguished(models_pkg: Generated) -> None:
    pet_type = models_pkg.models.Pet
    types = field_types(pet_type)
    assert types["owner"] == "str | None"  # required, nullable
    assert types["tag"] == "str | Unset | None"  # optional, nullable
    assert types["nickname"] == "str | Unset"  # optional
    absent = pet_type.from_dict({**PET, "owner": None})
    assert absent.owner is None
    assert absent.tag is UNSET
    assert absent.nickname is UNSET
    explicit = pet_type.from_dict({**PET, "tag": None})
    assert explicit.tag is None
    assert absent.to_dict() == {"id": 1, "name": "Rex", "owner": None}
    assert explicit.to_dict() == {**PET, "tag": None}


def test_models_built_in_code_leave_unset_fields_out(models_pkg: Generated) -> None:
    pet = models_pkg.models.Pet(id=3, name="Tom", owner=None, tag=None)
    assert pet.to_dict() == {"id": 3, "name": "Tom", "owner": None, "tag": None}


def test_unknown_fields_are_kept_and_written_back(models_pkg: Generated) -> None:
    data = {**PET, "weight": 4.5, "extra": {"deep": [1, 2]}, "flag": False}
    pet = models_pkg.models.Pet.from_dict(data)
    assert pet.additional_properties == {"extra": {"deep": [1, 2]}, "flag": False}
    assert pet.to_dict() == data


def test_numbers_declared_as_number_decode_as_float(models_pkg: Generated) -> None:
    pet = models_pkg.models.Pet.from_dict({**PET, "weight": 3})
    assert pet.weight == 3.0
    assert isinstance(pet.weight, float)


def test_missing_required_field_is_a_deviation_or_in_strict_mode_an_error(
    models_pkg: Generated,
) -> None:
    pet = models_pkg.models.Pet.from_dict({"id": 1, "name": "Rex"})
    assert pet.owner is UNSET
    assert [(d.path, d.kind) for d in deviations(pet)] == [("$.owner", "missing")]
    with pytest.raises(DecodeError, match=r"^\$\.owner: Pet: required field missing$"):
        models_pkg.models.Pet.from_dict({"id": 1, "name": "Rex"}, strict=True)


def test_a_non_object_is_a_decode_error_naming_the_model(models_pkg: Generated) -> None:
    with pytest.raises(DecodeError, match=r"^Pet: expected a JSON object, got array$"):
        models_pkg.models.Pet.from_dict([PET])


def test_read_only_fields_are_optional_to_send_and_decode_as_dates(models_pkg: Generated) -> None:
    api = build_api(FIXTURES / "models.yaml")
    pet = next(model for model in api.models if model.name == "Pet")
    assert not next(f for f in pet.fields if f.json_name == "created_at").required
    decoded = models_pkg.models.Pet.from_dict({**PET, "created_at": "2024-01-02T03:04:05Z"})
    assert decoded.created_at == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert decoded.to_dict()["created_at"] == "2024-01-02T03:04:05+00:00"
    # a request body can be built without the server-assigned field
    assert "created_at" not in models_pkg.models.Pet(id=1, name="a", owner=None).to_dict()
