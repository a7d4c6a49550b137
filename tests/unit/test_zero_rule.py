"""The one zero rule (``sandbox/cpro/zero.py``), in-process: null, blank text and the zero
value of the field's own type mean absent; a zero of another type is a wrong type."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from sandbox.cpro.zero import Maybe, MaybeAmount, MaybeBool, MaybeFlag, MaybeId, MaybeInt
from sandbox.vocabulary import INT64_MAX, StatutFacture


class Body(BaseModel):
    text: Maybe[str] = None
    statut: Maybe[StatutFacture] = None
    id: MaybeId = None
    number: MaybeInt = None
    amount: MaybeAmount = None
    flag: MaybeFlag = None
    boolean: MaybeBool = None


def read(field: str, value: object) -> object:
    return getattr(Body.model_validate_json(json.dumps({field: value})), field)


@pytest.mark.parametrize("field", list(Body.model_fields))
@pytest.mark.parametrize("value", [None, "", "   "])
def test_null_and_blank_text_are_absent_for_every_type(field, value):
    assert read(field, value) is None


@pytest.mark.parametrize(
    ("field", "zero"),
    [("text", ""), ("statut", ""), ("id", 0), ("number", 0), ("amount", 0), ("amount", 0.0),
     ("flag", False), ("flag", 0), ("flag", "false")],
)
def test_the_zero_of_the_fields_own_type_is_absent(field, zero):
    assert read(field, zero) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("text", "x", "x"), ("statut", "REJETEE", StatutFacture.REJETEE), ("id", 7, 7),
     ("id", INT64_MAX, INT64_MAX), ("number", -3, -3), ("amount", 12.5, 12.5),
     ("flag", True, True), ("boolean", False, False), ("boolean", True, True)],
)
def test_other_values_are_read_as_given(field, value, expected):
    assert read(field, value) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", False), ("id", True), ("number", False), ("amount", False), ("amount", True),
     ("text", 0), ("text", False), ("statut", 0), ("statut", False), ("id", -1),
     ("id", INT64_MAX + 1)],
)
def test_a_zero_or_value_of_another_type_is_a_wrong_type(field, value):
    with pytest.raises(ValidationError):
        read(field, value)
