"""A flux's own states and outcomes: what waits, the intermediate states it may play, how
a flux ends, what the control plane forces (factures-reference.md §4.3).

A rules module: no Flask, no registry, no request context; the caller gives the session
and owns the transaction. The worker (``worker.py``) ends the flux it integrated with
``end``; the control plane forces an outcome with ``force`` (before the integration: kept
in ``Flux.forced_outcome`` and applied by the worker instead of the checks; after it: the
CR is rewritten at once and the invoices the flux created are withdrawn, a rejected or
incident flux having none, docs/decisions.md).

Intermediate states (issue #20.3): by default a flux goes from
``IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP`` straight to its terminal state, as
observed on qualification. A mode (``MODES``: per flux or per supplier from the control
plane, else ``SANDBOX_FACTURES_FLUX_STATES``) makes it play the platform's other states
first, in the order the reference gives, one every ``SANDBOX_FACTURES_FLUX_STATE_SECONDS``
of the sandbox clock; the sequence depends on how the flux will end (``SEQUENCES``), so
the worker judges the flux first without storing anything, plays the states, and
integrates it for real at the end (``FluxRapport.plan`` holds the states still to play).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.factures.models import Facture, Flux, FluxRapport
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, EtatFlux

# The state of a deposited flux until the worker integrates it.
WAITING = EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP
TERMINAL = ETATS_FLUX_TERMINAUX
# Every state a flux may be in before its end (the worker's to move on).
NOT_TERMINAL = tuple(sorted(set(EtatFlux) - ETATS_FLUX_TERMINAUX))

# Intermediate states (states.md, from the reference's order §4.3/§6).
_R, _T = EtatFlux.IN_RECU, EtatFlux.IN_TRAITE_SE_CPP
_A, _C = EtatFlux.IN_EN_ATTENTE_TRAITEMENT_CPP, EtatFlux.IN_EN_COURS_TRAITEMENT_CPP
_RT = EtatFlux.IN_EN_ATTENTE_RETRAITEMENT_CPP
OBSERVE = "observe"
# How a flux ends: integrated (wholly or partly), rejected by the management rules,
# inadmissible (technical errors), incident.
KINDS = ("integre", "rejete", "irrecevable", "incident")
SEQUENCES: dict[str, dict[str, tuple[str, ...]]] = {
    # What qualification shows (the default).
    OBSERVE: {kind: () for kind in KINDS},
    # The IN_* vocabulary in order; IN_RECU / IN_TRAITE_SE_CPP only on a path that ends
    # integrated (Tryton counts them as success: a rejection after them would be read as
    # a success, which its live scenario rules out).
    "pipeline": {"integre": (_R, _T, _A, _C), "rejete": (_A, _C), "irrecevable": (),
                 "incident": (_A, _C)},
    # IN_RECU (and IN_TRAITE_SE_CPP) on every path: only on explicit request, to rehearse
    # what a client does when a "received" flux is rejected afterwards (Tryton marks the
    # flux done).
    "recu-avant-rejet": {"integre": (_R, _T, _A, _C), "rejete": (_R, _T, _A, _C),
                         "irrecevable": (_R,), "incident": (_R, _T, _A, _C)},
    # Blocked once, restarted (IN_EN_ATTENTE_RETRAITEMENT_CPP), then processed.
    "retraitement": {"integre": (_A, _C, _RT, _C), "rejete": (_A, _C, _RT, _C),
                     "irrecevable": (), "incident": (_A, _C, _RT)},
}
MODES = tuple(SEQUENCES)

# The CR of a flux the exchange system could not process (after its attempts, or forced):
# rule "TEC-07" of table.py.
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
    """How a flux ends: its state, its CR errors, the invoices it created, and what the
    sandbox adds (the explanation of each error, the defaults applied)."""

    etat: str
    erreurs_dp: list[dict] = field(default_factory=list)
    erreurs_techniques: list[dict] = field(default_factory=list)
    factures: list[Facture] = field(default_factory=list)
    explications: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    strict: bool = False

    @property
    def kind(self) -> str:
        """integre, rejete, irrecevable or incident (the key of ``SEQUENCES``)."""
        if self.etat == EtatFlux.IN_INCIDENTE:
            return "incident"
        if self.etat in (EtatFlux.IN_INTEGRE, EtatFlux.IN_INTEGRE_PARTIEL):
            return "integre"
        return "irrecevable" if self.erreurs_techniques and not self.erreurs_dp else "rejete"


def rapport(s: Session, flux: Flux) -> FluxRapport:
    """The sandbox's report of ``flux`` (created empty the first time)."""
    found = s.get(FluxRapport, flux.id)
    if found is None:
        found = FluxRapport(flux_id=flux.id, explications=[], notes=[], etats=[], strict=False)
        s.add(found)
    return found


def _seen(report: FluxRapport, etat: str, at: datetime) -> None:
    when = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    report.etats = [*(report.etats or []), {"etat": etat, "date": when.isoformat()}]


def plan(mode: str, kind: str) -> list[str]:
    """The intermediate states a flux that ends as ``kind`` plays in ``mode``."""
    return list(SEQUENCES.get(mode, SEQUENCES[OBSERVE])[kind])


def start_plan(flux: Flux, report: FluxRapport, states: list[str], at: datetime,
               step_seconds: float) -> None:
    """Enter the first intermediate state; the others wait in ``report.plan``."""
    report.plan = states[1:]
    step(flux, report, states[0], at, step_seconds)


def step(flux: Flux, report: FluxRapport, etat: str, at: datetime, step_seconds: float) -> None:
    """Show ``etat`` now and come back ``step_seconds`` later (sandbox clock); the claim is
    released so that any worker takes the next step."""
    flux.etat = etat
    flux.date_etat_courant = at
    flux.integrate_after = at + timedelta(seconds=step_seconds)
    flux.claimed_by = None
    flux.lease_until = None
    flux.attempts = 0  # a step is no failed attempt
    _seen(report, etat, at)


def next_step(flux: Flux, report: FluxRapport, at: datetime, step_seconds: float) -> bool:
    """Play the next planned state; False when none is left (integrate now)."""
    remaining = list(report.plan or [])
    if not remaining:
        return False
    report.plan = remaining[1:]
    step(flux, report, remaining[0], at, step_seconds)
    return True


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


def outcome_of(etat: str) -> Outcome:
    """The outcome a scenario marker selects (``rules/scenarios.py``): an incident, or the
    forced rejection."""
    if etat == EtatFlux.IN_INCIDENTE:
        return incident()
    return Outcome(EtatFlux.IN_REJETE, erreurs_techniques=[FORCED_REJECTION])


def end(flux: Flux, outcome: Outcome, at: datetime, report: FluxRapport | None = None) -> None:
    """Write ``outcome`` as the flux's state and CR, at ``at``; its claim is over. The
    explanations go to ``report`` (the sandbox's, beside the CR)."""
    if report is not None:
        report.explications = outcome.explications
        report.notes = outcome.notes
        report.strict = outcome.strict
        report.plan = []
        _seen(report, outcome.etat, at)
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
    if flux.etat in TERMINAL:
        s.execute(delete(Facture).where(Facture.flux_id == flux.id))
        flux.etat = etat
        flux.erreurs_dp = outcome.get("listeErreurDP", [])
        flux.erreurs_techniques = outcome.get("listeErreurTechnique", [INCIDENT])
        flux.date_etat_courant = clock.utcnow_naive()
        report = s.get(FluxRapport, flux.id)
        if report is not None:  # the explanations were of the checks' outcome
            report.explications, report.notes = [], []
    s.flush()
    return flux
