"""What the control plane's lists share (``GET /factures/factures``, ``/factures/flux``,
``/engagements``): the query-string model, the newest rows with the count of every match,
the answer's ``count``/``total``, and the structure a query or a body names (404 when none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sandbox.control.api import ControlError
from sandbox.control.schemas import Answer, Request
from sandbox.models import Structure


class ListQuery(Request):
    """A query string: its values arrive as text, so ``"10"`` is a number (not strict)."""

    model_config = Request.model_config | {"strict": False}


class Listing(Answer):
    count: int
    total: int


Row = TypeVar("Row")  # a mapped class with an ``id`` column


def newest(
    s: Session, model: type[Row], where: Sequence[ColumnElement[bool]], limit: int
) -> tuple[list[Row], int]:
    """The rows of ``model`` that ``where`` keeps, newest (highest id) first, at most
    ``limit``, and how many it keeps."""
    table: Any = model  # a mapped class: selectable, with its id column
    total = s.scalar(select(func.count()).select_from(table).where(*where)) or 0
    rows: list[Row] = list(
        s.scalars(select(table).where(*where).order_by(table.id.desc()).limit(limit)))
    return rows, total


def structure(s: Session, identifiant: str) -> Structure:
    """The structure of ``identifiant`` (the first one made); 404 when there is none."""
    found = s.scalars(select(Structure).where(Structure.identifiant == identifiant.strip())
                      .order_by(Structure.id)).first()
    if found is None:
        raise ControlError(f"no structure {identifiant!r}", 404)
    return found
