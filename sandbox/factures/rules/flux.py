"""A flux's own states and outcomes: what waits, how a flux ends, what the control plane
forces (factures-reference.md §4.3).

A rules module: no Flask, no registry, no request context; the caller gives the session
and owns the transaction. The worker (``worker.py``) ends the flux it integrated with
``end``; the control plane forces an outcome with ``force`` (before the integration: kept
in ``Flux.forced_outcome`` and applied by the worker instead of the checks; after it: the
CR is rewritten at once and the invoices the flux created are withdrawn, a rejected or
incident flux having none, docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.factures.models import Facture, Flux
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, EtatFlux

# The state of a deposited flux until the worker integrates it.
WAITING = EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP
TERMINAL = ETATS_FLUX_TERMINAUX

# The CR of a flux the exchange system could not process (after its attempts, or forced).
INCIDENT = {
    "codeErreur": "ERR_TECHNIQUE_001",
    "libelleErreur": "Le flux n'a pas pu etre traite par le systeme d'echange : "
    "il doit etre depose a nouveau.",
    "natureErreur": "BLOQUANTE",
}
# The CR of a rejection forced by the control plane without errors of its own.
FORCED_REJECTION = {
    "codeErreur": "ERR_SANDBOX_001",
    "libelleErreur": "Flux rejeté par le plan de contrôle du bac à sable.",
    "natureErreur": "BLOQUANTE",
}


@dataclass
class Outcome:
    """How a flux ends: its state, its CR errors, the invoices it created."""

    etat: str
    erreurs_dp: list[dict] = field(default_factory=list)
    erreurs_techniques: list[dict] = field(default_factory=list)
    factures: list[Facture] = field(default_factory=list)


def incident() -> Outcome:
    """The outcome of a flux that could not be processed."""
    return Outcome(EtatFlux.IN_INCIDENTE, erreurs_techniques=[INCIDENT])


def forced_outcome(flux: Flux) -> Outcome | None:
    """The outcome the control plane forced on ``flux`` before its integration, if any."""
    forced = flux.forced_outcome or {}
    etat = forced.get("etat")
    if etat == EtatFlux.IN_INCIDENTE:
        return incident()
    if etat == EtatFlux.IN_REJETE:
        return Outcome(
            EtatFlux.IN_REJETE,
            erreurs_dp=list(forced.get("listeErreurDP") or []),
            erreurs_techniques=list(forced.get("listeErreurTechnique") or []),
        )
    return None


def end(flux: Flux, outcome: Outcome, at: datetime) -> None:
    """Write ``outcome`` as the flux's state and CR, at ``at``; its claim is over."""
    flux.etat = outcome.etat
    flux.erreurs_dp = outcome.erreurs_dp
    flux.erreurs_techniques = outcome.erreurs_techniques
    flux.date_etat_courant = at
    flux.integrated_at = at
    flux.lease_until = None
    flux.last_error = None


def force(
    s: Session,
    numero_flux_depot: str,
    etat: str,
    *,
    erreurs_dp: list[dict] | None = None,
    erreurs_techniques: list[dict] | None = None,
) -> Flux | None:
    """Force the flux ``numero_flux_depot`` to ``IN_INCIDENTE`` or ``IN_REJETE`` (with these
    CR errors; a default one when a rejection has none); None for an unknown flux.

    A waiting flux keeps the outcome for the worker; an integrated one is rewritten now
    and its invoices withdrawn. The caller commits.
    """
    outcome: dict = {"etat": etat}
    if etat == EtatFlux.IN_REJETE:
        outcome["listeErreurDP"] = erreurs_dp or []
        outcome["listeErreurTechnique"] = erreurs_techniques or (
            [] if erreurs_dp else [FORCED_REJECTION]
        )
    flux = s.scalars(select(Flux).where(Flux.numero_flux_depot == numero_flux_depot)).first()
    if flux is None:
        return None
    flux.forced_outcome = outcome
    if flux.etat != WAITING:
        s.execute(delete(Facture).where(Facture.flux_id == flux.id))
        flux.etat = etat
        flux.erreurs_dp = outcome.get("listeErreurDP", [])
        flux.erreurs_techniques = outcome.get("listeErreurTechnique", [INCIDENT])
        flux.date_etat_courant = clock.utcnow_naive()
    s.flush()
    return flux
