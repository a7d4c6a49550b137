"""``transverses/v1/recuperer/etats/traitement``: read from the lifecycle table, the one
``traiter/recue`` applies (factures-reference.md §6.2)."""

from __future__ import annotations

from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, operation
from sandbox.factures import errors
from sandbox.factures.rules.lifecycle import Actor, allowed_targets
from sandbox.factures.schemas.transverses import (
    RecupererEtatsTraitementParam,
    RecupererEtatsTraitementRetour,
)


@operation(
    "POST",
    "/cpro/transverses/v1/recuperer/etats/traitement",
    operation_id="recupererEtatsPossiblesPourTraitement",
    summary="The statuses a recipient may give an invoice in a given status",
    tag="Transverses",
    request_model=RecupererEtatsTraitementParam,
    response_model=RecupererEtatsTraitementRetour,
)
def etats_traitement(ctx: Context, p: RecupererEtatsTraitementParam) -> dict:
    """Read from the lifecycle table (the one `traiter/recue` applies): from
    `MISE_A_DISPOSITION` the official list, then `SERVICE_FAIT`. A status the recipient
    cannot act on gives an empty list."""
    if p.statutCourant is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : statutCourant.")
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_RECHERCHE_OK,
        "listeStatutsPossiblesPourTraitement": [
            {"statutPossiblePourTraitement": t}
            for t in allowed_targets(Actor.RECIPIENT, p.statutCourant)
        ],
    }
