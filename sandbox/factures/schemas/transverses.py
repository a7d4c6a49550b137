"""Request and response models of ``transverses/v1/recuperer/etats/traitement``."""

from __future__ import annotations

from pydantic import Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import Maybe
from sandbox.factures.schemas.common import Out
from sandbox.vocabulary import (
    StatutFacture,
)


class RecupererEtatsTraitementParam(Request):
    """Input of recupererEtatsPossiblesPourTraitement."""

    statutCourant: Maybe[StatutFacture] = Field(None, description="Current status of the invoice.")


class StatutPossible(Out):
    statutPossiblePourTraitement: StatutFacture


class RecupererEtatsTraitementRetour(Response):
    listeStatutsPossiblesPourTraitement: list[StatutPossible] = []
