"""Zero values of typed clients mean "no criterion".

Clients generated from typed structs (go-choruspro's option structs have no
``omitempty`` on many fields) send ``""``, ``0`` and ``false`` for every criterion
they do not set; PHP clients send ``""`` for an unset string. The real API reads
them as absent, so an optional request field declared ``Maybe[T]`` here turns
``None``, ``""`` (blank), and the zero value its annotation names into ``None``
before pydantic validates the type: one ``BeforeValidator``, no per-field code.

- ``Maybe[T]``: absent, ``null`` and ``""`` (or only spaces) mean no criterion.
- ``MaybeId``: the same, and ``0`` too (no Chorus id is 0).
- ``MaybeFlag``: the same, and ``false`` too: for criteria where the reference
  gives ``false`` no meaning of its own (e.g. ``estMOA``: "not only MOA" is no filter).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field

T = TypeVar("T")

ID_MAX = 2**63 - 1


def blank_to_none(value: Any) -> Any:
    """``None`` for ``""``/spaces; the value otherwise."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def zero_to_none(value: Any) -> Any:
    """``None`` for ``""`` and ``0`` (not for ``false``: JSON booleans are not ids)."""
    value = blank_to_none(value)
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return None
    return value


def false_to_none(value: Any) -> Any:
    """``None`` for ``""`` and ``false``."""
    value = blank_to_none(value)
    return None if value is False else value


Maybe = Annotated[T | None, BeforeValidator(blank_to_none)]
MaybeId = Annotated[
    Annotated[int, Field(ge=1, le=ID_MAX)] | None, BeforeValidator(zero_to_none)
]
MaybeFlag = Annotated[bool | None, BeforeValidator(false_to_none)]
MaybeBool = Annotated[bool | None, BeforeValidator(blank_to_none)]
