"""The Factures part of the control plane, ``/_sandbox/factures/...`` (issue #11 §5): routes
only; the rules they drive are the area's (``factures/rules/``).

"Better than the real thing": what the qualification environment cannot do, a test can.

* ``POST /factures/<id>/statut``: move an invoice to any status reachable along the
  allowed transitions (``lifecycle.move_invoice``: one history row per step);
* ``GET/PUT/DELETE /factures/policies``: the per-recipient automatic lifecycle policies
  run by the worker on the sandbox clock (``policies.py``); a reset clears them;
* ``POST /factures/flux/<numeroFluxDepot>/resultat``: force a flux to ``IN_INCIDENTE``
  or to a given rejection, before its integration (``Flux.forced_outcome``, applied by
  the worker instead of the checks) or after it (the CR is rewritten at once and the
  invoices it created are withdrawn: a rejected flux has none — docs/decisions.md);
* ``GET /factures/flux`` and ``GET /factures/factures``: what was deposited, with the CR
  and the status history, filtered.

Operations are registered on the control plane's registry (``control.api``), so they are
in ``/_sandbox/openapi.json``; bad input answers 400 JSON and changes nothing.

Why this size (over ~400 lines): Every control-plane route of the factures area (moves,
policies, forced outcomes, listings) with its request model; declarative for the most part.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, model_validator
from sqlalchemy import func, select

from sandbox import clock, db
from sandbox.control.api import ControlError, operation
from sandbox.control.schemas import Answer, Request, Text
from sandbox.control.timeparse import parse_duration
from sandbox.factures import errors, worker
from sandbox.factures.models import Facture, FactureStatut, Flux
from sandbox.factures.rules import flux as flux_rules
from sandbox.factures.rules import policies
from sandbox.factures.rules.flux import WAITING
from sandbox.factures.rules.lifecycle import Actor, allowed_targets, move_invoice
from sandbox.models import Structure
from sandbox.vocabulary import EtatFlux, StatutFacture

TAG = "Factures"
Limit = Annotated[int, Field(ge=1, le=500)]
Statut = Annotated[StatutFacture, Strict(False)]  # enum values from JSON strings


# --- models --------------------------------------------------------------------------


class MoveRequest(Request):
    statut: Statut = Field(description="Target status (reached along allowed moves)")
    motif: Annotated[Text, Field(max_length=2000)] | None = Field(
        None, description="Motif of the moves that need one (a default one otherwise)"
    )


class MoveAnswer(Answer):
    idFacture: int
    statut: str
    etapes: list[str]
    statutsPossibles: list[str]


class PolicyRequest(Request):
    destinataire: Annotated[Text, Field(min_length=1, max_length=80)] = Field(
        description="The recipient's identifiantStructure (SIRET...), or '*' for every recipient"
    )
    statutDepart: Statut
    statutArrivee: Statut
    delai: Annotated[Text, Field(max_length=40)] | None = Field(
        None, description="Delay on the sandbox clock: '2d', '36h', '90m' (or delaiSecondes)"
    )
    delaiSecondes: Annotated[float, Field(ge=0, le=3650 * 86400)] | None = None
    motif: Annotated[Text, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_delay(self) -> PolicyRequest:
        if (self.delai is None) == (self.delaiSecondes is None):
            raise ValueError("give exactly one of delai ('2d') and delaiSecondes")
        return self


class Policy(Answer):
    id: int
    destinataire: str
    idDestinataire: int | None
    statutDepart: str
    statutArrivee: str
    delaiSecondes: float
    motif: str | None


class PoliciesQuery(Request):
    model_config = Request.model_config | {"strict": False}
    destinataire: Annotated[Text, Field(max_length=80)] | None = Field(
        None, description="Only the policies that apply to this recipient (identifiantStructure)"
    )


class PoliciesView(Answer):
    count: int
    policies: list[Policy]


class OutcomeRequest(Request):
    etat: Literal["IN_INCIDENTE", "IN_REJETE"]
    listeErreurDP: list[dict[str, Text | None]] | None = Field(
        None, max_length=100, description="CR errors per invoice (IN_REJETE)"
    )
    listeErreurTechnique: list[dict[str, Text | None]] | None = Field(
        None, max_length=100, description="CR technical errors (IN_REJETE; a default one if none)"
    )


class FluxQuery(Request):
    model_config = Request.model_config | {"strict": False}
    etat: EtatFlux | None = None
    syntaxeFlux: Annotated[Text, Field(max_length=40)] | None = None
    numeroFluxDepot: Annotated[Text, Field(max_length=25)] | None = None
    limit: Limit = 50


class FactureQuery(Request):
    model_config = Request.model_config | {"strict": False}
    statut: StatutFacture | None = None
    numeroFluxDepot: Annotated[Text, Field(max_length=25)] | None = None
    numeroFacture: Annotated[Text, Field(max_length=40)] | None = None
    fournisseur: Annotated[Text, Field(max_length=80)] | None = Field(
        None, description="Supplier's identifiantStructure"
    )
    destinataire: Annotated[Text, Field(max_length=80)] | None = Field(
        None, description="Recipient's identifiantStructure"
    )
    limit: Limit = 50


class Listing(Answer):
    count: int
    total: int


class FluxList(Listing):
    flux: list[dict]


class FactureList(Listing):
    factures: list[dict]


# --- views of rows -------------------------------------------------------------------


def _iso(value) -> str | None:
    return clock.aware(value).isoformat() if value is not None else None


def flux_view(flux: Flux, facture_ids: list[int]) -> dict:
    """A flux with its compte rendu, as the control plane shows it."""
    return {
        "numeroFluxDepot": flux.numero_flux_depot,
        "syntaxeFlux": flux.syntaxe_flux,
        "nomFichier": flux.nom_fichier,
        "etatCourantFlux": flux.etat,
        "dateDepot": _iso(flux.date_depot),
        "dateHeureEtatCourantFlux": _iso(flux.date_etat_courant),
        "integrationPrevue": _iso(flux.integrate_after) if flux.etat == WAITING else None,
        "resultatForce": flux.forced_outcome,
        "tentatives": flux.attempts,
        "listeErreurDP": list(flux.erreurs_dp or []),
        "listeErreurTechnique": list(flux.erreurs_techniques or []),
        "idFactures": facture_ids,
    }


def facture_view(
    f: Facture, identifiants: dict[int, str], numeros: dict[int, str], history: list[FactureStatut]
) -> dict:
    """An invoice with its status and history."""
    return {
        "idFacture": f.id,
        "numeroFacture": f.numero_facture,
        "numeroFluxDepot": numeros.get(f.flux_id) if f.flux_id is not None else None,
        "fournisseur": identifiants.get(f.fournisseur_id),
        "destinataire": identifiants.get(f.destinataire_id),
        "modeDepot": f.mode_depot,
        "montantTTC": str(f.montant_ttc),
        "statut": f.statut,
        "dateHeureEtatCourant": _iso(f.date_heure_etat_courant),
        "statutsPossibles": [t for t in allowed_targets(Actor.CONTROL, f.statut) if t != f.statut],
        "historique": [
            {"statut": h.statut, "datePassage": _iso(h.date_passage), "commentaire": h.commentaire}
            for h in history
        ],
    }


def _structure_id(s, identifiant: str) -> int:
    found = s.scalars(
        select(Structure.id)
        .where(Structure.identifiant == identifiant.strip())
        .order_by(Structure.id)
    ).first()
    if found is None:
        raise ControlError(f"no structure {identifiant!r}", 404)
    return found


# --- invoices ------------------------------------------------------------------------


@operation(
    "POST",
    "/factures/<int:idFacture>/statut",
    tag=TAG,
    body=MoveRequest,
    answer=MoveAnswer,
    errors=(400, 404, 409),
    summary="Move an invoice to a status (along allowed transitions)",
)
def move_facture(idFacture: int, body: MoveRequest) -> dict:
    """Move the invoice to ``statut`` through the allowed transitions, one history row per
    step (``motif``, or a default one where a motif is required). 409 when unreachable."""
    try:
        with db.transaction() as s:
            steps = move_invoice(s, idFacture, body.statut, motif=body.motif)
            statut = s.get_one(Facture, idFacture).statut  # move_invoice found it
    except errors.DemandePaiementInconnue:
        raise ControlError(f"no invoice {idFacture}", 404) from None
    except (errors.TransitionInterdite, errors.MotifObligatoire) as refusal:
        raise ControlError(refusal.libelle, 409) from None
    return {
        "idFacture": idFacture,
        "statut": statut,
        "etapes": steps,
        "statutsPossibles": [t for t in allowed_targets(Actor.CONTROL, statut) if t != statut],
    }


@operation(
    "GET",
    "/factures/factures",
    tag=TAG,
    query=FactureQuery,
    answer=FactureList,
    errors=(400,),
    summary="Invoices with their status and history, newest first",
)
def list_factures(query: FactureQuery) -> dict:
    """Invoices, newest first: ?statut=&numeroFluxDepot=&numeroFacture=&fournisseur=
    &destinataire=&limit=."""
    s = db.session()
    where = []
    if query.statut:
        where.append(Facture.statut == query.statut)
    if query.numeroFacture:
        where.append(Facture.numero_facture == query.numeroFacture.strip())
    if query.numeroFluxDepot:
        where.append(
            Facture.flux_id.in_(
                select(Flux.id).where(Flux.numero_flux_depot == query.numeroFluxDepot.strip())
            )
        )
    for column, identifiant in (
        (Facture.fournisseur_id, query.fournisseur),
        (Facture.destinataire_id, query.destinataire),
    ):
        if identifiant:
            where.append(
                column.in_(select(Structure.id).where(Structure.identifiant == identifiant.strip()))
            )
    total = s.scalar(select(func.count()).select_from(Facture).where(*where)) or 0
    rows = list(
        s.scalars(select(Facture).where(*where).order_by(Facture.id.desc()).limit(query.limit))
    )
    return {"count": len(rows), "total": total, "factures": factures_views(s, rows)}


def factures_views(s, rows: list[Facture]) -> list[dict]:
    """``facture_view`` of many rows with three queries."""
    ids = [f.id for f in rows]
    structures = {x for f in rows for x in (f.fournisseur_id, f.destinataire_id)}
    identifiants = (
        dict(
            s.execute(
                select(Structure.id, Structure.identifiant).where(Structure.id.in_(structures))
            ).all()
        )
        if rows
        else {}
    )
    flux_ids = {f.flux_id for f in rows if f.flux_id}
    numeros = (
        dict(s.execute(select(Flux.id, Flux.numero_flux_depot).where(Flux.id.in_(flux_ids))).all())
        if flux_ids
        else {}
    )
    history: dict[int, list[FactureStatut]] = {}
    if ids:
        for h in s.scalars(
            select(FactureStatut)
            .where(FactureStatut.facture_id.in_(ids))
            .order_by(FactureStatut.id)
        ):
            history.setdefault(h.facture_id, []).append(h)
    return [facture_view(f, identifiants, numeros, history.get(f.id, [])) for f in rows]


# --- flux ----------------------------------------------------------------------------


@operation(
    "GET",
    "/factures/flux",
    tag=TAG,
    query=FluxQuery,
    answer=FluxList,
    errors=(400,),
    summary="Deposited flux with their compte rendu, newest first",
)
def list_flux(query: FluxQuery) -> dict:
    """Flux, newest first, with their CR: ?etat=&syntaxeFlux=&numeroFluxDepot=&limit=."""
    s = db.session()
    where = []
    if query.etat:
        where.append(Flux.etat == query.etat)
    if query.syntaxeFlux:
        where.append(Flux.syntaxe_flux == query.syntaxeFlux.strip())
    if query.numeroFluxDepot:
        where.append(Flux.numero_flux_depot == query.numeroFluxDepot.strip())
    total = s.scalar(select(func.count()).select_from(Flux).where(*where)) or 0
    rows = list(s.scalars(select(Flux).where(*where).order_by(Flux.id.desc()).limit(query.limit)))
    return {"count": len(rows), "total": total, "flux": flux_views(s, rows)}


def flux_views(s, rows: list[Flux]) -> list[dict]:
    ids = [f.id for f in rows]
    factures: dict[int, list[int]] = {}
    if ids:
        for flux_id, facture_id in s.execute(
            select(Facture.flux_id, Facture.id).where(Facture.flux_id.in_(ids)).order_by(Facture.id)
        ):
            factures.setdefault(flux_id, []).append(facture_id)
    return [flux_view(f, factures.get(f.id, [])) for f in rows]


@operation(
    "POST",
    "/factures/flux/<numeroFluxDepot>/resultat",
    tag=TAG,
    body=OutcomeRequest,
    errors=(400, 404),
    summary="Force a flux to IN_INCIDENTE or to a given rejection",
)
def force_flux(numeroFluxDepot: str, body: OutcomeRequest) -> dict:
    """Before integration the outcome is kept and the worker applies it when the flux is due
    (instead of the checks); after it, the CR is rewritten now and the invoices the flux
    created are withdrawn (a rejected or incident flux has none)."""
    with db.transaction() as s:
        flux = flux_rules.force(
            s,
            numeroFluxDepot.strip(),
            body.etat,
            erreurs_dp=body.listeErreurDP,
            erreurs_techniques=body.listeErreurTechnique,
        )
        if flux is None:
            raise ControlError(f"no flux {numeroFluxDepot!r}", 404)
        return flux_view(flux, [])


# --- automatic lifecycle policies -------------------------------------------------------


@operation(
    "GET",
    "/factures/policies",
    tag=TAG,
    query=PoliciesQuery,
    answer=PoliciesView,
    errors=(400, 404),
    summary="Automatic lifecycle policies",
)
def get_policies(query: PoliciesQuery) -> dict:
    """Every policy, or those that apply to ``?destinataire=SIRET``."""
    s = db.session()
    structure = _structure_id(s, query.destinataire) if query.destinataire else None
    rows = policies.list_policies(s, structure)
    return {"count": len(rows), "policies": rows}


@operation(
    "PUT",
    "/factures/policies",
    tag=TAG,
    body=PolicyRequest,
    answer=Policy,
    errors=(400, 404),
    summary="Create or replace a recipient's policy for a status",
)
def put_policy(body: PolicyRequest) -> dict:
    """ "An invoice of ``destinataire`` in ``statutDepart`` for ``delai`` of the sandbox clock
    moves to ``statutArrivee``" (one allowed move; policies chain)."""
    try:
        seconds = body.delaiSecondes if body.delai is None else parse_duration(body.delai)
    except ValueError as problem:
        raise ControlError(f"delai: {problem}") from None
    if seconds is None:  # not reached: PolicyRequest takes exactly one of the two
        raise ControlError("give exactly one of delai ('2d') and delaiSecondes")
    if seconds < 0:
        raise ControlError("delai: the delay must be zero or positive")
    with db.transaction() as s:
        structure = (
            None if body.destinataire.strip() == "*" else _structure_id(s, body.destinataire)
        )
        try:
            policy = policies.set_policy(
                s,
                destinataire_id=structure,
                from_statut=body.statutDepart,
                to_statut=body.statutArrivee,
                delay_seconds=seconds,
                motif=body.motif,
            )
        except policies.PolicyError as problem:
            raise ControlError(str(problem)) from None
    worker.wake()
    return policy


@operation(
    "DELETE",
    "/factures/policies",
    tag=TAG,
    status=204,
    summary="Remove every automatic lifecycle policy",
)
def delete_policies() -> None:
    """Remove every policy (a reset does too)."""
    with db.transaction() as s:
        for p in policies.list_policies(s):
            policies.delete_policy(s, p["id"])


@operation(
    "DELETE",
    "/factures/policies/<int:policyId>",
    tag=TAG,
    status=204,
    errors=(404,),
    summary="Remove one automatic lifecycle policy",
)
def delete_policy(policyId: int) -> None:
    """Remove the policy ``policyId``."""
    with db.transaction() as s:
        if not policies.delete_policy(s, policyId):
            raise ControlError(f"no policy {policyId}", 404)


def dashboard_panel(limit: int = 10) -> dict:
    """The latest flux and invoices with their states (the dashboard's Factures panel)."""
    s = db.session()
    flux = list(s.scalars(select(Flux).order_by(Flux.id.desc()).limit(limit)))
    factures = list(s.scalars(select(Facture).order_by(Facture.id.desc()).limit(limit)))
    return {"flux": flux_views(s, flux), "factures": factures_views(s, factures)}
