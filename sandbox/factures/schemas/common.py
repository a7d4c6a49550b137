"""What the Factures request and response models share (pydantic v2).

Optional request fields follow the API's one zero rule (``sandbox/cpro/zero.py``: null,
blank text and the zero value of the field's own type mean absent). Nested answer
objects forbid unknown fields (``Out``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sandbox.cpro.schemas import Request
from sandbox.cpro.zero import Maybe, MaybeId, MaybeInt, blank_to_none
from sandbox.vocabulary import INT64_MAX, CadreFacturation


def _cadre(value: Any) -> Any:
    """A billing-framework criterion: its code, or the Swagger's ``CadreDeFacturation``
    object that go-choruspro marshals (``{"codeCadreFacturation": ...}``, ``{}`` when
    unset); a blank code or an empty object means no criterion."""
    if isinstance(value, dict):
        value = value.get("codeCadreFacturation")
    return blank_to_none(value)


CadreCritere = Annotated[CadreFacturation | None, BeforeValidator(_cadre)]


CadreCritereTexte = Annotated[str | None, BeforeValidator(_cadre)]


# Optional texts of at most so many characters (blank = absent).
Text2000 = Maybe[Annotated[str, Field(max_length=2000)]]
Text200 = Maybe[Annotated[str, Field(max_length=200)]]
Text50 = Maybe[Annotated[str, Field(max_length=50)]]
Text40 = Maybe[Annotated[str, Field(max_length=40)]]


def as_list(value: Any) -> Any:
    """One item or a list of them (blank = absent)."""
    value = blank_to_none(value)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# An id inside a list criterion: any 64-bit value (one that matches nothing is no error),
# never a number the database cannot bind.
ListId = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]


# Attachments named by a soumettre or a completer (pieceJointeComplementaire).
class PieceJointeComplementaireItem(Request):
    pieceJointeComplementaireId: MaybeId = None
    pieceJointeComplementaireDesignation: Maybe[str] = None
    pieceJointeComplementaireType: Maybe[str] = None
    pieceJointeComplementaireNumeroLigneFacture: MaybeInt = None
    pieceJointeComplementaireIdLiaison: MaybeInt = None
