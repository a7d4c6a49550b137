"""The one rule for optional request fields: a typed client's zero value means absent.

Clients generated from typed structs send every field they do not set at its zero value
(go-choruspro: ``""``, ``0``, ``false`` where a field has no ``omitempty``); PHP clients
send ``""``. The real API reads them as absent. So an optional request field declared
with one of the types below reads as absent (``None``):

- ``null``, and blank text (``""`` or only spaces) whatever the field's type: what
  untyped clients send for anything they leave unset;
- the zero value of the field's own type: ``0`` for an id, an integer or an amount;
  ``false`` for a flag, a boolean whose ``false`` has no meaning of its own (``estMOA``:
  "not only MOA" is no filter), however pydantic reads it (``false``, ``0``, ``"false"``).

A zero of another type is no zero of the field: a boolean where a number is expected is
a 400 (pydantic would read ``false`` as ``0``, a criterion nobody asked for), and so is a
number where a text is expected (pydantic refuses it). One ``BeforeValidator`` (and one
``AfterValidator`` for flags) per type, no per-field code:

- ``Maybe[T]``: text, enumerations, lists, objects: blank means absent.
- ``MaybeBool``: a boolean whose ``false`` counts (``actif``: false = inactive ones).
- ``MaybeFlag``: a boolean whose ``false`` means absent.
- ``MaybeId`` (1 to ``INT64_MAX``), ``MaybeInt``, ``MaybeAmount`` (a float): ``0`` means
  absent; ``MaybeNumber[T]`` for another number type (``T`` with its own bounds).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from sandbox.vocabulary import Id64

T = TypeVar("T")


def blank_to_none(value: Any) -> Any:
    """``None`` for ``""``/spaces; the value otherwise."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def zero_to_none(value: Any) -> Any:
    """For a number: ``None`` for blank text and for ``0``; a boolean is refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not a boolean")
    value = blank_to_none(value)
    if isinstance(value, int | float) and value == 0:
        return None
    return value


def false_to_none(value: bool | None) -> bool | None:
    """For a flag, once read as a boolean: ``None`` for ``false``."""
    return value or None


Maybe = Annotated[T | None, BeforeValidator(blank_to_none)]
MaybeNumber = Annotated[T | None, BeforeValidator(zero_to_none)]
MaybeId = MaybeNumber[Id64]
MaybeInt = MaybeNumber[int]
MaybeAmount = MaybeNumber[float]
MaybeFlag = Annotated[bool | None, BeforeValidator(blank_to_none), AfterValidator(false_to_none)]
MaybeBool = Annotated[bool | None, BeforeValidator(blank_to_none)]
