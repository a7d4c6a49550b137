"""``rechercher/demandePaiement``: answered as on qualification, where it does not work
(go-choruspro's documentation: "service exposé ne fonctionnant pas sur l'espace de
qualification"; factures-rules-and-apis-reference.md §4). The body is validated as the
client's struct describes it; then the business refusal, HTTP 200 with ``codeRetour``
20540, as ``consulter/information/siret`` fails there (the real failure's shape is not
published: docs/decisions.md)."""

from __future__ import annotations

from sandbox.cpro.api import Context, operation
from sandbox.factures import errors
from sandbox.factures.schemas.demande_paiement import (
    RechercherDemandePaiementParam,
    RechercherDemandePaiementRetour,
)


@operation(
    "POST",
    "/cpro/factures/v1/rechercher/demandePaiement",
    operation_id="rechercherDemandePaiement",
    summary="Search payment requests, live and archived (does not work on qualification)",
    tag="Factures",
    request_model=RechercherDemandePaiementParam,
    response_model=RechercherDemandePaiementRetour,
    read_only=True,
)
def rechercher_demande_paiement(ctx: Context, p: RechercherDemandePaiementParam) -> dict:
    """On the qualification space this service does not work: every well-formed call
    answers 20540 (a malformed body still gets its 400)."""
    raise errors.DemandePaiementIndisponible()
