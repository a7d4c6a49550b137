"""Request and response models of the supplier's follow-ups: ``completer``, ``recycler``,
``traiter/rejet`` (factures-reference.md §6.1, §6.4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import Maybe, MaybeId
from sandbox.factures.schemas.common import (
    PieceJointeComplementaireItem,
    Text2000,
    as_list,
)
from sandbox.vocabulary import (
    StatutFacture,
)


class CompleterFactureParam(Request):
    identifiantFactureCPP: MaybeId = None
    commentaire: Text2000 = None
    pieceJointeComplementaire: Annotated[
        list[PieceJointeComplementaireItem] | None, BeforeValidator(as_list)
    ] = None


class CompleterFactureRetour(Response):
    identifiantFactureCPP: int | None = None
    numeroFacture: str | None = None
    dateTraitement: str | None = Field(None, description="YYYY-MM-DD HH:MM")


class RecyclerDestinataire(Request):
    codeDestinataire: Maybe[str] = None
    codeServiceExecutant: Maybe[str] = None


class RecyclerReference(Request):
    numeroBonCommande: Maybe[str] = None
    numeroMarche: Maybe[str] = None


class RecyclerFactureParam(Request):
    identifiantFactureCPP: MaybeId = None
    destinataire: RecyclerDestinataire | None = None
    reference: RecyclerReference | None = None
    commentaire: Text2000 = None


class RecyclerFactureRetour(Response):
    dateDepot: str | None = Field(None, description="YYYY-MM-DD HH:MM")
    identifiantFactureCPP: int | None = None
    numeroFacture: str | None = None
    statutFacture: StatutFacture | None = None


class DemandePaiementItem(Request):
    idDemandePaiement: MaybeId = None


class TraiterRejetParam(Request):
    listeDemandePaiement: Annotated[list[DemandePaiementItem] | None, BeforeValidator(as_list)] = (
        None
    )
    motifRejet: Text2000 = None
    cpltInfos: Text2000 = None


class TraiterRejetRetour(Response):
    pass
