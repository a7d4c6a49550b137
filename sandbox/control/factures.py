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
  (and, beyond the platform, the explanation of each error: rule, element, line, column,
  why, how to fix) and the status history, filtered;
* ``POST /factures/check``: what the platform would say of a file, without depositing it
  (the worker's own reading and rules, ``rules/checks.judge``; nothing is written);
* ``PUT /factures/flux/<numeroFluxDepot>/etats`` and ``GET/PUT/DELETE
  /factures/options/<identifiant>``: the intermediate flux states a flux or a supplier's
  deposits play, and the stricter judgement of a supplier's invoices (issue #20).

Operations are registered on the control plane's registry (``control.api``), so they are
in ``/_sandbox/openapi.json``; bad input answers 400 JSON and changes nothing.

Why this size (over ~400 lines): Every control-plane route of the factures area (moves,
policies, forced outcomes, listings) with its request model; declarative for the most part.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from flask import Flask, current_app, request
from pydantic import Field, Strict, model_validator
from sqlalchemy import select

from sandbox import clock, db
from sandbox.control.api import ControlError, operation
from sandbox.control.listing import Listing, ListQuery, newest, structure
from sandbox.control.schemas import Answer, Request, Text
from sandbox.control.timeparse import parse_duration
from sandbox.cpro.errors import BusinessError
from sandbox.factures import errors, worker
from sandbox.factures.api.flux import decode_file, max_request_bytes
from sandbox.factures.formats import schematron
from sandbox.factures.models import (
    Facture,
    FactureStatut,
    Flux,
    FluxRapport,
    OptionsFournisseur,
)
from sandbox.factures.rules import checks, deposit, policies
from sandbox.factures.rules import flux as flux_rules
from sandbox.factures.rules.flux import MODES, NOT_TERMINAL, WAITING
from sandbox.factures.rules.lifecycle import Actor, move_invoice, targets_of
from sandbox.models import Structure, User
from sandbox.vocabulary import EtatFlux, StatutFacture, SyntaxeFlux

TAG = "Factures"
Limit = Annotated[int, Field(ge=1, le=500)]
Statut = Annotated[StatutFacture, Strict(False)]  # enum values from JSON strings
Syntaxe = Annotated[SyntaxeFlux, Strict(False)]
Mode = Literal["observe", "pipeline", "recu-avant-rejet", "retraitement"]
assert set(get_args(Mode)) == set(MODES), "Mode lists rules/flux.py's MODES"
CHECK_PATH = "/_sandbox/factures/check"


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


class PoliciesQuery(ListQuery):
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


class CheckRequest(Request):
    fichierFlux: Annotated[str, Field(min_length=1)] = Field(
        description="The file, in base64 (as deposer/flux takes it)"
    )
    nomFichier: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Its name, with its extension (facture.xml, lot.tar.gz, facture.pdf)"
    )
    syntaxeFlux: Syntaxe
    strict: bool | None = Field(
        None, description="Also the official EN 16931 and BR-FR artefacts (the 'strict' "
        "extra); null: each supplier's option, else SANDBOX_FACTURES_STRICT"
    )
    compte: Annotated[Text, Field(max_length=254)] | None = Field(
        None, description="Login of the depositing account (GES-02 is checked for it); "
        "none: GES-02 is not applied"
    )


class CheckAnswer(Answer):
    etatCourantDepotFlux: str
    listeErreurTechnique: list[dict]
    factures: list[dict]
    strict: bool | None
    compte: str | None


class EtatsRequest(Request):
    mode: Mode = Field(description="Intermediate states this flux plays (docs/factures.md)")


class OptionsRequest(Request):
    etatsFlux: Mode | None = Field(
        None, description="Intermediate states of the supplier's deposits (null: the setting)"
    )
    strict: bool | None = Field(
        None, description="The stricter judgement on its invoices (null: the setting)"
    )


class OptionsView(Answer):
    fournisseur: str
    etatsFlux: str | None
    strict: bool | None


class FluxQuery(ListQuery):
    etat: EtatFlux | None = None
    syntaxeFlux: Annotated[Text, Field(max_length=40)] | None = None
    numeroFluxDepot: Annotated[Text, Field(max_length=25)] | None = None
    limit: Limit = 50


class FactureQuery(ListQuery):
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


class FluxList(Listing):
    flux: list[dict]


class FactureList(Listing):
    factures: list[dict]


# --- views of rows -------------------------------------------------------------------


def _iso(value) -> str | None:
    return clock.aware(value).isoformat() if value is not None else None


def flux_view(flux: Flux, facture_ids: list[int], report: FluxRapport | None = None) -> dict:
    """A flux with its compte rendu, as the control plane shows it, and what the sandbox
    adds: each error explained, the defaults applied, the states played."""
    return {
        "numeroFluxDepot": flux.numero_flux_depot,
        "syntaxeFlux": flux.syntaxe_flux,
        "nomFichier": flux.nom_fichier,
        "etatCourantFlux": flux.etat,
        "dateDepot": _iso(flux.date_depot),
        "dateHeureEtatCourantFlux": _iso(flux.date_etat_courant),
        "integrationPrevue": _iso(flux.integrate_after) if flux.etat in NOT_TERMINAL else None,
        "resultatForce": flux.forced_outcome,
        "tentatives": flux.attempts,
        "listeErreurDP": list(flux.erreurs_dp or []),
        "listeErreurTechnique": list(flux.erreurs_techniques or []),
        "idFactures": facture_ids,
        "explications": [_english(e) for e in (report.explications if report else [])],
        "notes": [_english(e) for e in (report.notes if report else [])],
        "etatsVus": list(report.etats or []) if report else [],
        "modeEtats": report.mode_etats if report else None,
        "strict": report.strict if report else False,
    }


def _english(explanation: dict) -> dict:
    """An explanation as the control plane shows it (the portal shows the French one)."""
    return {k: v for k, v in explanation.items() if k not in ("pourquoi", "correction")}


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
        "cadreFacturation": f.cadre_facturation,
        "codeServiceExecutant": f.code_service_executant,
        "montantTTC": str(f.montant_ttc),
        "statut": f.statut,
        "dateHeureEtatCourant": _iso(f.date_heure_etat_courant),
        "statutsPossibles": [t for t in targets_of(Actor.CONTROL, f) if t != f.statut],
        "historique": [
            {"statut": h.statut, "datePassage": _iso(h.date_passage), "commentaire": h.commentaire}
            for h in history
        ],
    }


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
            moved = s.get_one(Facture, idFacture)  # move_invoice found it
            statut, possibles = moved.statut, targets_of(Actor.CONTROL, moved)
    except errors.DemandePaiementInconnue:
        raise ControlError(f"no invoice {idFacture}", 404) from None
    except (errors.TransitionInterdite, errors.MotifObligatoire) as refusal:
        raise ControlError(refusal.libelle, 409) from None
    return {
        "idFacture": idFacture,
        "statut": statut,
        "etapes": steps,
        "statutsPossibles": [t for t in possibles if t != statut],
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
    rows, total = newest(s, Facture, where, query.limit)
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
    rows, total = newest(s, Flux, where, query.limit)
    return {"count": len(rows), "total": total, "flux": flux_views(s, rows)}


def flux_views(s, rows: list[Flux]) -> list[dict]:
    ids = [f.id for f in rows]
    factures: dict[int, list[int]] = {}
    reports: dict[int, FluxRapport] = {}
    if ids:
        for flux_id, facture_id in s.execute(
            select(Facture.flux_id, Facture.id).where(Facture.flux_id.in_(ids)).order_by(Facture.id)
        ):
            factures.setdefault(flux_id, []).append(facture_id)
        reports = {r.flux_id: r for r in s.scalars(
            select(FluxRapport).where(FluxRapport.flux_id.in_(ids)))}
    return [flux_view(f, factures.get(f.id, []), reports.get(f.id)) for f in rows]


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
        return flux_view(flux, [], s.get(FluxRapport, flux.id))


@operation(
    "PUT",
    "/factures/flux/<numeroFluxDepot>/etats",
    tag=TAG,
    body=EtatsRequest,
    errors=(400, 404, 409),
    summary="The intermediate states a waiting flux plays",
)
def set_flux_states(numeroFluxDepot: str, body: EtatsRequest) -> dict:
    """Before its integration starts, a flux may be given its own intermediate-states mode
    (observe, pipeline, recu-avant-rejet, retraitement; docs/factures.md). 409 once the
    worker has started on it."""
    with db.transaction() as s:
        flux = s.scalars(
            select(Flux).where(Flux.numero_flux_depot == numeroFluxDepot.strip())
        ).first()
        if flux is None:
            raise ControlError(f"no flux {numeroFluxDepot!r}", 404)
        report = flux_rules.rapport(s, flux)
        if flux.etat != WAITING or report.plan is not None:
            raise ControlError(
                f"flux {numeroFluxDepot} is no longer waiting ({flux.etat}): its states are "
                "already decided", 409)
        report.mode_etats = body.mode
        s.flush()
        return flux_view(flux, [], report)


# --- the check without deposit ----------------------------------------------------------


@operation(
    "POST",
    "/factures/check",
    tag=TAG,
    body=CheckRequest,
    answer=CheckAnswer,
    errors=(400, 404),
    summary="What the platform would say of a file, without depositing it",
)
def check_file(body: CheckRequest) -> dict:
    """The verdict the integration worker would reach on this file now (same reading, same
    rules: the duplicate rule sees the invoices already integrated), with each error
    explained; nothing is stored. The file is bounded as deposer/flux's."""
    settings = current_app.config["SANDBOX"]
    try:
        deposit.check_name(body.nomFichier)
        content = decode_file(body.fichierFlux)
        deposit.check_envelope(settings, body.nomFichier, content)
    except BusinessError as refusal:
        raise ControlError(f"fichierFlux: {refusal.libelle}", 400,
                           codeRetour=refusal.code) from None
    if body.strict and not schematron.available():
        raise ControlError(f"strict: {schematron.missing_extra_message()}", 400)
    s = db.read_session()
    try:
        user = None
        if body.compte:
            user = s.scalars(select(User).where(User.login == body.compte.strip().lower())).first()
            if user is None:
                raise ControlError(f"no account {body.compte!r}", 404)
        verdict = checks.judge(s, settings, user, body.syntaxeFlux, body.nomFichier, content,
                               strict=body.strict)
    finally:
        s.close()
    answer = verdict.wire()
    for facture in answer["factures"]:
        facture["explications"] = [_english(e) for e in facture["explications"]]
        facture["notes"] = [_english(e) for e in facture["notes"]]
    for error in answer["listeErreurTechnique"]:
        error["explication"] = _english(error["explication"])
    return {**answer, "strict": body.strict, "compte": body.compte}


def init_app(app: Flask) -> None:
    """Let a check's body be as large as a deposit's (30 Mo in base64)."""

    def _larger_body_for_checks() -> None:
        if request.path.rstrip("/") == CHECK_PATH:
            request.max_content_length = max_request_bytes(current_app.config["SANDBOX"])

    app.before_request_funcs.setdefault(None, []).insert(0, _larger_body_for_checks)


# --- per-supplier options ----------------------------------------------------------------


def _options_view(identifiant: str, option: OptionsFournisseur | None) -> dict:
    return {
        "fournisseur": identifiant,
        "etatsFlux": option.mode_etats if option else None,
        "strict": option.strict if option else None,
    }


@operation(
    "GET",
    "/factures/options/<identifiant>",
    tag=TAG,
    answer=OptionsView,
    errors=(404,),
    summary="A supplier's flux-states and stricter-judgement options",
)
def get_options(identifiant: str) -> dict:
    """The supplier's options (null: the settings' SANDBOX_FACTURES_FLUX_STATES,
    SANDBOX_FACTURES_STRICT)."""
    s = db.session()
    return _options_view(identifiant, s.get(OptionsFournisseur, structure(s, identifiant).id))


@operation(
    "PUT",
    "/factures/options/<identifiant>",
    tag=TAG,
    body=OptionsRequest,
    answer=OptionsView,
    errors=(400, 404),
    summary="Set a supplier's flux-states and stricter-judgement options",
)
def put_options(identifiant: str, body: OptionsRequest) -> dict:
    """Intermediate states of the supplier's deposits (``etatsFlux``) and the stricter
    judgement of its invoices (``strict``; 400 without the 'strict' extra). A reset clears
    them."""
    if body.strict and not schematron.available():
        raise ControlError(f"strict: {schematron.missing_extra_message()}", 400)
    with db.transaction() as s:
        structure_id = structure(s, identifiant).id
        option = s.get(OptionsFournisseur, structure_id)
        if option is None:
            option = OptionsFournisseur(structure_id=structure_id)
            s.add(option)
        option.mode_etats = body.etatsFlux
        option.strict = body.strict
        s.flush()
        return _options_view(identifiant, option)


@operation(
    "DELETE",
    "/factures/options/<identifiant>",
    tag=TAG,
    status=204,
    errors=(404,),
    summary="Remove a supplier's options (back to the settings)",
)
def delete_options(identifiant: str) -> None:
    """Back to the settings for this supplier."""
    with db.transaction() as s:
        option = s.get(OptionsFournisseur, structure(s, identifiant).id)
        if option is not None:
            s.delete(option)


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
    structure_id = structure(s, query.destinataire).id if query.destinataire else None
    rows = policies.list_policies(s, structure_id)
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
        structure_id = (
            None if body.destinataire.strip() == "*" else structure(s, body.destinataire).id
        )
        try:
            policy = policies.set_policy(
                s,
                destinataire_id=structure_id,
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
