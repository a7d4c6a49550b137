"""Request and response models of ``consulterCR`` and ``consulterCRDetaille``
(factures-reference.md §4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import Maybe
from sandbox.factures.schemas.common import Out
from sandbox.vocabulary import (
    EtatFlux,
)


class ConsulterCRParam(Request):
    numeroFluxDepot: Annotated[str, Field(min_length=1, max_length=50)]
    syntaxeFlux: Maybe[str] = None
    dateDepot: Maybe[str] = None


class ConsulterCRRetour(Response):
    numeroFluxDepot: str | None = None
    dateDepotFlux: str | None = None
    dateHeureEtatCourantFlux: str | None = None
    etatCourantFlux: EtatFlux | None = None
    codeInterfaceFlux: str | None = None
    codeAppliPartenaire: str | None = None
    designationPartenaire: str | None = None
    nomFichierFlux: str | None = None
    fichierCR: str | None = Field(None, description="The compte rendu as a PDF, in base64.")


class ConsulterCRDetailleParam(Request):
    numeroFluxDepot: Annotated[str, Field(min_length=1, max_length=50)]
    syntaxeFlux: Maybe[str] = None


class ErreurDP(Out):
    identifiantDestinataire: str | None = None
    identifiantFournisseur: str | None = None
    libelleErreurDP: str
    numeroDP: str | None = None


class ErreurTechnique(Out):
    codeErreur: str
    libelleErreur: str
    natureErreur: str | None = None


class ConsulterCRDetailleRetour(Response):
    codeInterfaceDepotFlux: str | None = None
    dateDepotFlux: str | None = None
    dateHeureEtatCourantFlux: str | None = None
    etatCourantDepotFlux: EtatFlux | None = None
    nomFichier: str | None = None
    listeErreurDP: list[ErreurDP] = Field(default_factory=list)
    listeErreurTechnique: list[ErreurTechnique] = Field(default_factory=list)
