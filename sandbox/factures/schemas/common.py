"""What the Factures request and response models share (pydantic v2).

Typed clients (go-choruspro) send ``""``, ``0`` and ``false`` for every field they do not
set: optional criteria read those as absent (``Blank``), like the rest of the API.
Nested answer objects forbid unknown fields (``Out``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sandbox.cpro.schemas import Request
from sandbox.vocabulary import CadreFacturation, StatutFacture


def _blank(value: Any) -> Any:
    """Absent, ``""`` (blank), ``0`` and ``false`` mean "not given"."""
    if value is None or value is False or value == 0 or value == "":
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


Blank = BeforeValidator(_blank)


OptId = Annotated[Annotated[int, Field(ge=1, le=2**63 - 1)] | None, Blank]


OptStr = Annotated[str | None, Blank]


OptStatut = Annotated[StatutFacture | None, Blank]


def _cadre(value: Any) -> Any:
    """A billing-framework criterion: its code, or the Swagger's ``CadreDeFacturation``
    object that go-choruspro marshals (``{"codeCadreFacturation": ...}``, ``{}`` when
    unset); a blank code or an empty object means no criterion."""
    if isinstance(value, dict):
        value = value.get("codeCadreFacturation")
    return _blank(value)


CadreCritere = Annotated[CadreFacturation | None, BeforeValidator(_cadre)]


CadreCritereTexte = Annotated[str | None, BeforeValidator(_cadre)]


def opt_text(max_length: int):
    """An optional text of at most ``max_length`` characters (blank = absent)."""
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, Blank]


Text2000 = opt_text(2000)


Text50 = opt_text(50)


def as_list(value: Any) -> Any:
    value = _blank(value)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# An id inside a list criterion: any 64-bit value (one that matches nothing is no error),
# never a number the database cannot bind.
ListId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


OptAmount = Annotated[float | None, Blank]


OptBool = Annotated[bool | None, Blank]


# Attachments named by a soumettre or a completer (pieceJointeComplementaire).
class PieceJointeComplementaireItem(Request):
    pieceJointeComplementaireId: OptId = None
    pieceJointeComplementaireDesignation: OptStr = None
    pieceJointeComplementaireType: OptStr = None
    pieceJointeComplementaireNumeroLigneFacture: Annotated[int | None, Blank] = None
    pieceJointeComplementaireIdLiaison: Annotated[int | None, Blank] = None
