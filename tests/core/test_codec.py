"""The runtime helpers generated code calls: parameter and body encoding, decoding."""

from __future__ import annotations

import enum

import attrs
import pytest

from connectory.core import UNSET
from connectory.core import _codec as c


class Color(enum.StrEnum):
    RED = "red"


@attrs.define
class Range:
    gt: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"gt": self.gt}


def test_deep_object_query_parameters_use_brackets() -> None:
    params = c.query(
        {
            "created": c.query_value({"gt": 1, "lte": 5}, style="deepObject"),
            "range": c.query_value(Range(gt=3), style="deepObject"),
            "skipped": c.query_value(UNSET, style="deepObject"),
        }
    )
    assert params == {"created[gt]": 1, "created[lte]": 5, "range[gt]": 3}


def test_form_object_parameters_explode_or_join() -> None:
    assert c.query({"f": c.query_value({"x": 1, "y": True})}) == {"x": 1, "y": "true"}
    assert c.query({"f": c.query_value({"x": 1, "y": 2}, explode=False)}) == {"f": "x,1,y,2"}


def test_array_and_scalar_query_parameters() -> None:
    assert c.query_value(["a", Color.RED]) == ["a", "red"]
    assert c.query_value(["a", "b"], explode=False) == "a,b"
    assert c.query_value(False) == "false"
    assert c.query({"a": None, "b": UNSET, "c": 0}) == {"c": 0}


def test_form_bodies_encode_nested_objects_in_bracket_notation() -> None:
    body = {
        "metadata": {"order": "42"},
        "expand": ["a", "b"],
        "items": [{"price": "p1", "quantity": 2}],
        "flag": True,
        "color": Color.RED,
        "gone": None,
    }
    assert c.form(body) == {
        "metadata[order]": "42",
        "expand": ["a", "b"],
        "items[0][price]": "p1",
        "items[0][quantity]": 2,
        "flag": "true",
        "color": "red",
    }
    with pytest.raises(TypeError, match="must be an object"):
        c.form(["not", "an", "object"])


@pytest.mark.parametrize(
    ("value", "segment"),
    [("..", "%2E%2E"), (".", "%2E"), ("a/b", "a%2Fb"), ("x y", "x%20y"), (Color.RED, "red")],
)
def test_path_segments_stay_one_segment(value: object, segment: str) -> None:
    assert c.path_segment(value) == segment


def test_enum_values_tolerate_new_members() -> None:
    assert c.enum_value(Color, "red") is Color.RED
    assert c.enum_value(Color, "ultraviolet") == "ultraviolet"
