"""Who waits for whom (issue #22.4): ``GET /_sandbox/queues`` and the dashboard's panel.

Per actor, what waits for that actor's action, each item with the ways to act on it: the
portal page where that actor acts, and the control-plane move that does it at once.

* An invoice actor is one entry of ``INVOICE_QUEUES``: the lifecycle ``Actor``, the
  column naming the structure that acts, the portal page, its moves as the lifecycle's
  own tables give them (``lifecycle.TRANSITIONS``, ``travaux_cycle`` for works invoices:
  the statuses from which that actor has a move). The supplier, the validator, the MOE,
  the MOA and the recipient have one; another actor is one more entry.
* The gestionnaire's queue is the pending demandes de rattachement of the structures
  he manages (``GESTIONNAIRES``).

The dashboard acts through ``POST /_sandbox/dashboard/queues`` (a form; the same moves
as the JSON operations named in each item's ``actions``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, redirect, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sandbox import clock, db
from sandbox.accounts.errors import AccountError
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.control import schemas as sc
from sandbox.control.api import bp, operation
from sandbox.cpro.errors import BusinessError
from sandbox.factures.models import Facture, FactureTravaux
from sandbox.factures.rules import travaux_cycle
from sandbox.factures.rules.lifecycle import (
    MOTIF_REQUIRED,
    TRANSITIONS,
    Actor,
    move_invoice,
    targets_of,
)
from sandbox.models import Rattachement, Structure, User
from sandbox.vocabulary import Role, StatutRattachement

SHOWN = 50  # items per actor (``count`` is always the total)


@dataclass(frozen=True)
class InvoiceQueue:
    """An actor that moves invoices: who it is, which structure acts, where on the portal,
    and its moves (``statut -> targets``, from the lifecycle's tables)."""

    actor: Actor
    label: str
    structure: InstrumentedAttribute  # the column of the structure that acts
    portal: str  # the portal page where that actor acts
    moves: Mapping[str, tuple[str, ...]]
    via_travaux: bool = False  # the structure column is FactureTravaux's (the MOE)

    def waiting_statuses(self) -> list[str]:
        """The statuses from which this actor has a move."""
        return [statut for statut, targets in self.moves.items()
                if any(target != statut for target in targets)]


INVOICE_QUEUES: tuple[InvoiceQueue, ...] = (
    InvoiceQueue(Actor.SUPPLIER, "Fournisseur (supplier)", Facture.fournisseur_id,
                 "/factures/emises", {**TRANSITIONS[Actor.SUPPLIER], **travaux_cycle.SUPPLIER}),
    InvoiceQueue(Actor.VALIDATOR, "Valideur (validator)", Facture.valideur_structure_id,
                 "/factures/a-valider", TRANSITIONS[Actor.VALIDATOR]),
    InvoiceQueue(Actor.MOE, "Maîtrise d'œuvre (MOE, works invoices)",
                 FactureTravaux.moe_structure_id, "/factures/travaux", travaux_cycle.MOE,
                 via_travaux=True),
    InvoiceQueue(Actor.MOA, "Maître d'ouvrage (MOA, works invoices)", Facture.destinataire_id,
                 "/factures/travaux", travaux_cycle.MOA),
    InvoiceQueue(Actor.RECIPIENT, "Destinataire (recipient)", Facture.destinataire_id,
                 "/factures/recues", TRANSITIONS[Actor.RECIPIENT]),
)
GESTIONNAIRES = "GESTIONNAIRE"


def _structure(row: Structure) -> dict:
    return {"idStructure": row.id, "identifiant": row.identifiant,
            "raisonSociale": row.raison_sociale}


def _page(s: Session, query: Select, count_query: Select) -> tuple[int, list]:
    return (s.scalar(count_query) or 0), list(s.execute(query.limit(SHOWN)).all())


def _invoice_queue(s: Session, queue: InvoiceQueue) -> dict:
    statuses = queue.waiting_statuses()
    where = [Facture.statut.in_(statuses), queue.structure.is_not(None)]
    listed, counted = select(Facture, Structure), select(func.count()).select_from(Facture)
    if queue.via_travaux:
        listed = listed.join(FactureTravaux, FactureTravaux.facture_id == Facture.id)
        counted = counted.join(FactureTravaux, FactureTravaux.facture_id == Facture.id)
    count, rows = _page(
        s,
        listed.join(Structure, Structure.id == queue.structure).where(*where)
        .order_by(Facture.date_heure_etat_courant.desc(), Facture.id.desc()),
        counted.where(*where),
    )
    items = []
    for facture, structure in rows:
        moves = [t for t in targets_of(queue.actor, facture) if t != facture.statut]
        items.append({
            "kind": "facture",
            "idFacture": facture.id,
            "numeroFacture": facture.numero_facture,
            "statut": facture.statut,
            "depuis": clock.aware(facture.date_heure_etat_courant).isoformat(),
            "structure": _structure(structure),
            "actions": [
                {"label": "portail", "method": "GET", "href": queue.portal},
                *({"label": target, "method": "POST",
                   "href": f"/_sandbox/factures/{facture.id}/statut",
                   "body": {"statut": target},
                   "motifObligatoire": target in MOTIF_REQUIRED} for target in moves),
            ],
        })
    return {"actor": queue.actor.value, "label": queue.label, "statuts": statuses,
            "count": count, "items": items}


def _gestionnaire_queue(s: Session) -> dict:
    pending = Rattachement.statut == StatutRattachement.EN_COURS_DE_VALIDATION
    count, rows = _page(
        s,
        select(Rattachement, User, Structure)
        .join(User, User.id == Rattachement.user_id)
        .join(Structure, Structure.id == Rattachement.structure_id)
        .where(pending).order_by(Rattachement.created_at.desc(), Rattachement.id.desc()),
        select(func.count()).select_from(Rattachement).where(pending),
    )
    structure_ids = {structure.id for _r, _u, structure in rows}
    managers: dict[int, list[str]] = {}
    if structure_ids:
        for structure_id, login in s.execute(
            select(Rattachement.structure_id, User.login)
            .join(User, User.id == Rattachement.user_id)
            .where(Rattachement.structure_id.in_(structure_ids),
                   Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
                   Rattachement.statut == StatutRattachement.VALIDEE)
        ).all():
            managers.setdefault(structure_id, []).append(login)
    items = [{
        "kind": "rattachement",
        "idRattachementStructure": rattachement.id,
        "demandeur": user.login,
        "depuis": clock.aware(rattachement.created_at).isoformat()
        if rattachement.created_at else None,
        "structure": _structure(structure),
        "gestionnaires": sorted(managers.get(structure.id, [])),
        "actions": [
            {"label": "portail", "method": "GET", "href": "/gestionnaire/demandes"},
            *({"label": decision, "method": "POST",
               "href": f"/_sandbox/rattachements/{rattachement.id}/decision",
               "body": {"decision": decision}}
              for decision in (StatutRattachement.VALIDEE, StatutRattachement.REFUSEE)),
        ],
    } for rattachement, user, structure in rows]
    return {"actor": GESTIONNAIRES, "label": "Gestionnaire (demandes de rattachement)",
            "statuts": [StatutRattachement.EN_COURS_DE_VALIDATION.value], "count": count,
            "items": items}


def queues(s: Session) -> dict:
    """Every actor's queue (invoice actors first, then the gestionnaires)."""
    return {"now": clock.now().isoformat(),
            "actors": [*(_invoice_queue(s, q) for q in INVOICE_QUEUES), _gestionnaire_queue(s)]}


@operation("GET", "/queues", tag="Sandbox", answer=sc.QueuesView,
           summary="Who waits for whom: per actor, what waits for its action, with the "
           "links that act on it")
def get_queues() -> dict:
    """Per actor (supplier, recipient, gestionnaire...), what waits for its action: the
    invoices in a status from which it has a move, the pending demandes de rattachement;
    each item with the portal page where the actor acts and the control-plane moves."""
    return queues(db.session())


# --- the dashboard's buttons -----------------------------------------------------------


def _act_on_invoice(identifier: int, value: str) -> str:
    with db.transaction() as s:
        move_invoice(s, identifier, value)
    return f"Invoice {identifier} moved to {value}."


def _act_on_rattachement(identifier: int, value: str) -> str:
    s = db.session(write=True)
    try:
        decide_rattachement(s, current_app.config["SANDBOX"], identifier, value)
        s.commit()
    except Exception:
        s.rollback()
        raise
    return f"Demande de rattachement {identifier}: {value}."


ACTS: dict[str, Callable[[int, str], str]] = {
    "facture": _act_on_invoice,
    "rattachement": _act_on_rattachement,
}


@bp.post("/dashboard/queues")
def dashboard_queues() -> Any:
    """The queues panel's buttons: one move of an invoice or one decision on a demande."""
    kind, identifier = request.form.get("kind", ""), request.form.get("id", "")
    value = request.form.get("value", "")
    act = ACTS.get(kind)
    try:
        if act is None or not identifier.isdigit():
            raise ValueError(f"nothing to act on ({kind[:20]!r} {identifier[:20]!r})")
        notice = act(int(identifier), value)
    except (ValueError, AccountError) as problem:
        notice = f"Unchanged: {getattr(problem, 'message', None) or problem}"
    except BusinessError as refusal:
        notice = f"Unchanged: {refusal.libelle}"
    return redirect(url_for("control.dashboard", notice=notice, _anchor="queues"), 303)
