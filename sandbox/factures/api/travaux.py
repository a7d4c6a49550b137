"""The Factures travaux API (``/cpro/facturesTravaux/v1``): every operation of
factures-rules-and-apis-reference.md §2.2 — rechercher (Pastell's body: paging inside
``parametresRetour``, no hit = 20007 ``GFT_MSG_01.075``), rechercher/atraiter, consulter,
consulter/dossierfacturation, soumettre, the actors' moves (refuser, recycler, completer,
completermoe, demander/recyclage, suspendre/demander/completer/factureTravaux,
prendreEnCompte, corriger/valideur) and the refusal motifs. Paths not attested on PISTE
are the pre-PISTE ones mapped the same way (docs/decisions.md). The rules are
``rules/travaux.py``; a works document is an invoice, so ``factures/v1/consulter/historique``,
``telecharger/groupe`` and ``traiter/recue`` work on it too.

Why this size (over ~400 lines): the fourteen operations of one API, each a thin handler
over ``rules/travaux.py``, with the one answer item they share (``resumes``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import date_iso, designation, rows_by_id
from sandbox.cpro.paging import (
    Where,
    count_of,
    ordered_page,
    page_request,
    run_prepared,
    tri_colonne,
)
from sandbox.factures import errors
from sandbox.factures.api.common import caller_structures, criteria, matching_into, windows_into
from sandbox.factures.api.soumettre import date_facture
from sandbox.factures.documents import day
from sandbox.factures.models import Facture, FactureStatut, FactureTravaux
from sandbox.factures.rules import travaux
from sandbox.factures.rules.travaux_cycle import (
    CADRES_TRAVAUX,
    MOTIFS_REFUS,
    WAITING,
    is_travaux,
    type_travaux,
)
from sandbox.factures.schemas import travaux as sc
from sandbox.models import Service, Structure
from sandbox.vocabulary import RoleUtilisateur as Role
from sandbox.vocabulary import StatutFacture

BASE = "/cpro/facturesTravaux/v1"
TAG = "Factures travaux"
OK = cpro_errors.LIBELLE_RECHERCHE_OK  # TRA_MSG_00.000, the official samples'
# Compared as given, in this order (api/common.CRITERIA).
CRITERIA = criteria(
    sc.RechercherFactureTravauxParam, "idStructureFournisseur", "idServiceFournisseur",
    "idStructureMoe", "idServiceMoe", "idStructureMoa", "idServiceMoa", "idDestinataire",
    "idServiceExecutant", "idStructureValideur", "cadreFacturation", "numeroFactureTravaux",
    "numeroMarche", "numeroBonCommande", "modeDepot", "listeStatutCourant",
)


# --- answers ---------------------------------------------------------------------------


def resumes(s: Session, rows: Sequence[tuple[Any, Any]]) -> list[dict]:
    """The list items of works documents (one query for their structures and services):
    (invoice, works row or None) pairs, ORM objects or ``travaux.WORKS_COLUMNS`` rows."""
    structure_ids = {x for f, ft in rows for x in (
        f.fournisseur_id, f.destinataire_id, ft.moe_structure_id if ft else None) if x}
    service_ids = {x for f, ft in rows for x in (
        f.fournisseur_service_id, f.destinataire_service_id, ft.moe_service_id if ft else None)
        if x}
    structures = rows_by_id(s, Structure, structure_ids)
    services = rows_by_id(s, Service, service_ids)
    out = []
    for f, ft in rows:
        four, moa = structures[f.fournisseur_id], structures[f.destinataire_id]
        moe = structures.get(ft.moe_structure_id) if ft and ft.moe_structure_id else None
        sv_four = services.get(f.fournisseur_service_id or 0)
        sv_moa = services.get(f.destinataire_service_id or 0)
        sv_moe = services.get(ft.moe_service_id or 0) if ft else None
        out.append({
            "idFactureTravaux": f.id,
            "numeroFactureTravaux": f.numero_facture,
            "typeDemandePaiement": "FACTURE_TRAVAUX",
            "typeFactureTravaux": type_travaux(f.cadre_facturation),
            "cadreFacturation": f.cadre_facturation,
            "statutFactureTravaux": f.statut,
            "dateDepot": day(f.date_depot),
            "dateFactureTravaux": day(f.date_facture),
            "dateHeureEtatCourant": date_iso(f.date_heure_etat_courant),
            "idFournisseur": four.id,
            "identifiantFournisseur": four.identifiant,
            "typeIdentifiantFournisseur": four.type_identifiant,
            "designationFournisseur": designation(four),
            "idServiceFournisseur": sv_four.id if sv_four else None,
            "codeServiceFournisseur": sv_four.code if sv_four else None,
            "idDestinataire": moa.id,
            "identifiantDestinataire": moa.identifiant,
            "designationDestinataire": designation(moa),
            "idServiceExecutant": sv_moa.id if sv_moa else None,
            "codeServiceExecutant": f.code_service_executant,
            "identifiantServiceExecutant": f.code_service_executant,
            "idStructureMoe": moe.id if moe else None,
            "identifiantMoe": moe.identifiant if moe else None,
            "designationMoe": designation(moe) if moe else None,
            "idServiceMoe": sv_moe.id if sv_moe else None,
            "codeServiceMoe": sv_moe.code if sv_moe else None,
            "idStructureMoa": moa.id,
            "identifiantMoa": moa.identifiant,
            "designationMoa": designation(moa),
            "idServiceMoa": sv_moa.id if sv_moa else None,
            "codeServiceMoa": sv_moa.code if sv_moa else None,
            "idStructureValideur": f.valideur_structure_id,
            "numeroMarche": f.numero_marche,
            "numeroBonCommande": f.numero_engagement,
            "montantHT": float(f.montant_ht or 0),
            "montantTTC": float(f.montant_ttc or 0),
            "montantAPayer": float(f.montant_a_payer or 0),
            "devise": f.devise,
            "factureTelechargeeParDestinataire": bool(f.telechargee_par_destinataire),
            "idFactureTravauxPrecedente": ft.precedente_id if ft else None,
            "idDossierFacturation": ft.dossier_id if ft else f.id,
        })
    return out


_HISTORIQUE = (select(FactureStatut.facture_id, FactureStatut.statut,
                      FactureStatut.date_passage, FactureStatut.commentaire)
               .where(FactureStatut.facture_id.in_(bindparam("ids", expanding=True)))
               .order_by(FactureStatut.date_passage, FactureStatut.id))


def _historique(s: Session, factures: Sequence) -> list[dict]:
    numbers = {f.id: f.numero_facture for f in factures}
    return [{
        "idFactureTravaux": h.facture_id,
        "numeroFactureTravaux": numbers[h.facture_id],
        "histoStatutCode": h.statut,
        "histoStatutDatePassage": date_iso(h.date_passage),
        "histoStatutCommentaire": h.commentaire,
    } for h in db.core(s, _HISTORIQUE, {"ids": list(numbers)})]


def _moved(facture: Facture, **extra: object) -> dict:
    return {"codeRetour": 0, "libelle": OK, "idFactureTravaux": facture.id,
            "numeroFactureTravaux": facture.numero_facture,
            "statutFactureTravaux": facture.statut, **extra}


# --- searches --------------------------------------------------------------------------


_USABLE: BindParameter[list[int]] = bindparam("usable", expanding=True)
_SANS_SUIVANTE = Facture.id.not_in(select(FactureTravaux.precedente_id).where(
    FactureTravaux.precedente_id.is_not(None)))


def _criteria(ctx: Context, p: sc.RechercherFactureTravauxParam, atraiter: bool) -> Where | None:
    """The search's criteria as a shape and its values (``Where``); None when nothing can
    match."""
    usable = caller_structures(ctx)
    if not usable:
        return None
    role = p.roleUtilisateur
    where = Where().sql(("role", role), usable=sorted(usable))
    if atraiter:
        where.sql(("atraiter", role))
    matching_into(where, p, CRITERIA)
    if p.listeTypeFactureTravaux:
        wanted = {str(t) for t in p.listeTypeFactureTravaux}
        where.add("in", Facture.cadre_facturation,
                  [c for c in CADRES_TRAVAUX if type_travaux(c) in wanted])
    if p.flagTelecharge:
        where.sql("telechargee")
    if p.avecSansService in ("AVEC_SERVICE", "SANS_SERVICE"):
        where.sql(p.avecSansService)
    if p.uniquementSansPieceSuivante:
        where.sql("sans_suivante")
    if p.numeroFluxDepot is not None:
        return None  # a works document keyed in or seeded belongs to no flux
    windows_into(
        where,
        (Facture.date_depot, p.periodeDateDepotDu, p.periodeDateDepotAu, "periodeDateDepot"),
        (Facture.date_facture, p.periodeDateFactureTravauxDu, p.periodeDateFactureTravauxAu,
         "periodeDateFactureTravaux"),
        (Facture.date_heure_etat_courant, p.periodeDateHeureEtatCourantDu,
         p.periodeDateHeureEtatCourantAu, "periodeDateHeureEtatCourant"),
    )
    where.between(Facture.montant_ht, p.montantHTMin, p.montantHTMax)
    where.between(Facture.montant_ttc, p.montantTTCMin, p.montantTTCMax)
    where.between(Facture.montant_a_payer, p.montantAPayerMin, p.montantAPayerMax)
    return where


def _token(token: object) -> ColumnElement[bool]:
    """The SQL of the search's own criteria (``_criteria``'s ``Where.sql`` tokens)."""
    if token == "telechargee":
        return Facture.telechargee_par_destinataire.is_(True)
    if token == "AVEC_SERVICE":
        return Facture.destinataire_service_id.is_not(None)
    if token == "SANS_SERVICE":
        return Facture.destinataire_service_id.is_(None)
    if token == "sans_suivante":
        return _SANS_SUIVANTE
    kind: str = token[0]  # type: ignore[index]
    role: Role | None = token[1]  # type: ignore[index]
    if kind == "role":
        return travaux.role_clause(_USABLE, role)
    acting = [role] if role in WAITING else list(WAITING)
    return or_(*(travaux.role_clause(_USABLE, r) & Facture.statut.in_(WAITING[r])
                 for r in acting))


@lru_cache(maxsize=1024)
def _statements(shape: tuple, tri: str | None, descending: bool) -> tuple[Select, Select]:
    """The page and count statements of one shape of search, built once (issue #24)."""
    stmt = travaux.works_select().where(*Where.clauses(shape, _token))
    return ordered_page(stmt, sc.TRAVAUX.order(tri), descending), count_of(stmt)


def _search(ctx: Context, p: sc.RechercherFactureTravauxParam, atraiter: bool) -> dict:
    where = _criteria(ctx, p, atraiter)
    if where is None:
        raise errors.RechercheTravauxVide()
    paging = p.rechercheFactureTravaux
    page, count = _statements(where.key, tri_colonne(paging), page_request(paging)[2])
    rows, retour = run_prepared(ctx.s, page, count, where.params, paging)
    if retour["total"] == 0 or not rows:
        raise errors.RechercheTravauxVide()
    return {"codeRetour": 0, "libelle": OK, "parametresRetour": retour,
            "listeFacturesTravaux": resumes(ctx.s, [travaux.split(r) for r in rows])}


@operation("POST", f"{BASE}/rechercher", operation_id="rechercherFactureTravaux",
           summary="Search the works invoices the caller sees in a role (FOURNISSEUR, MOE, MOA)",
           tag=TAG, request_model=sc.RechercherFactureTravauxParam,
           response_model=sc.RechercherFactureTravauxRetour, read_only=True)
def rechercher(ctx: Context, p: sc.RechercherFactureTravauxParam) -> dict:
    """The works documents of the caller's structures in `roleUtilisateur` (absent: any
    role), filtered by every criterion (AND). Paging **inside `parametresRetour`**
    (`pageCourante`, `pages`, `nbResultatsParPage`, `total`) from `rechercheFactureTravaux`.
    **No hit: codeRetour 20007 "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat"**
    (what Pastell's loop stops on)."""
    return _search(ctx, p, atraiter=False)


@operation("POST", f"{BASE}/rechercher/atraiter", operation_id="rechercherFactureTravauxATraiter",
           summary="Search the works invoices waiting for the caller's action",
           tag=TAG, request_model=sc.RechercherFactureTravauxParam,
           response_model=sc.RechercherFactureTravauxRetour, read_only=True)
def rechercher_atraiter(ctx: Context, p: sc.RechercherFactureTravauxParam) -> dict:
    """As `rechercher`, restricted to the documents in a status where the role acts: MOE
    `A_ASSOCIER_MOE`, `MISE_A_DISPOSITION_MOE`, `PRISE_EN_COMPTE_MOE`; MOA `A_ASSOCIER_MOA`,
    `MISE_A_DISPOSITION`; FOURNISSEUR `A_ASSOCIER_FOURNISSEUR`, `A_COMPLETER`, `A_RECYCLER`,
    `ERREUR_DE_MOE`, `ERREUR_DE_MOA`, `SUSPENDUE`."""
    return _search(ctx, p, atraiter=True)


# --- consultations ---------------------------------------------------------------------


@operation("POST", f"{BASE}/consulter", operation_id="consulterFactureTravaux",
           summary="Read a works invoice", tag=TAG, request_model=sc.IdFactureTravauxParam,
           response_model=sc.ConsulterFactureTravauxRetour, read_only=True)
def consulter(ctx: Context, p: sc.IdFactureTravauxParam) -> dict:
    """`factureTravaux`: the search item's fields, plus `montantTVA`, `modeDepot`,
    `commentaire` and the status history. Unknown: 20000; seen in no role: 20001."""
    facture, ft, _ = travaux.visible(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                     read=travaux.works_row)
    detail = resumes(ctx.s, [(facture, ft)])[0]
    detail.update(montantTVA=float(facture.montant_tva or 0), modeDepot=facture.mode_depot,
                  commentaire=facture.commentaire, historique=_historique(ctx.s, [facture]))
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
            "factureTravaux": detail}


@operation("POST", f"{BASE}/consulter/dossierfacturation",
           operation_id="consulterDossierDeFacturation",
           summary="Read the dossier de facturation of a works invoice", tag=TAG,
           request_model=sc.ConsulterDossierParam, response_model=sc.ConsulterDossierRetour,
           read_only=True)
def consulter_dossier(ctx: Context, p: sc.ConsulterDossierParam) -> dict:
    """The documents of the dossier (`listeFactureTravaux`, in deposit order) and their
    merged status history (`historiqueDemandePaiement`)."""
    facture, ft, _ = travaux.visible(ctx.s, ctx.caller.user,
                                     p.idFactureTravaux or p.idDossierFacturation,
                                     read=travaux.works_row)
    factures = travaux.dossier_rows(ctx.s, facture, ft)
    rows = [travaux.split(f) for f in factures]
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
            "idDossierFacturation": ft.dossier_id if ft else facture.id,
            "listeFactureTravaux": resumes(ctx.s, rows),
            "historiqueDemandePaiement": _historique(ctx.s, factures)}


@operation("POST", f"{BASE}/recuperer/motifs/refus",
           operation_id="recupererMotifsRefusFactureTravaux",
           summary="The refusal motifs of a works invoice", tag=TAG,
           request_model=sc.MotifsRefusParam, response_model=sc.MotifsRefusRetour)
def motifs_refus(ctx: Context, p: sc.MotifsRefusParam) -> dict:
    """The official sample's five motifs (for any works cadre, as the sample for A15)."""
    if p.codeCadreFacturationTravaux is not None and not is_travaux(
            p.codeCadreFacturationTravaux):
        raise errors.DonneesFactureInvalides(
            f"Le cadre {p.codeCadreFacturationTravaux} n'est pas un cadre de facture de travaux.")
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
            "listeMotifRefusFactureTravaux": [
                {"codeMotif": code, "idMotif": id_, "libelleMotif": libelle}
                for id_, code, libelle in MOTIFS_REFUS]}


# --- deposit ---------------------------------------------------------------------------


def _amount(value: float | None) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


@operation("POST", f"{BASE}/soumettre", operation_id="soumettreFactureTravaux",
           summary="Deposit a works invoice (by the titulaire, the MOE or the MOA)", tag=TAG,
           request_model=sc.SoumettreFactureTravauxParam,
           response_model=sc.FactureTravauxRetour)
def soumettre(ctx: Context, p: sc.SoumettreFactureTravauxParam) -> dict:
    """The actor the cadre names deposits its document; `idFactureTravauxPrecedente`
    associates the document it answers (→ `ASSOCIEE`). Routed at once to the cadre's
    first status (A4 `A_ASSOCIER_MOE`, A15 `A_ASSOCIER_MOA`, A19 `MISE_A_DISPOSITION`...).
    Errors: 20001, 2050x, 20530 (MOE), 20531 (previous document)."""
    cadre = p.cadreDeFacturation.codeCadreFacturation if p.cadreDeFacturation else None
    if cadre is None:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : cadreDeFacturation.codeCadreFacturation.")
    four, dest = p.fournisseur, p.destinataire
    refs, m = p.references, p.montantTotal
    ht, tva = _amount(m.montantHtTotal if m else None), _amount(m.montantTVA if m else None)
    ttc = _amount(m.montantTtcTotal) if m and m.montantTtcTotal is not None else ht + tva
    depot = travaux.Depot(
        cadre=cadre, numero=p.numeroFactureTravaux,
        id_fournisseur=four.idFournisseur if four else None,
        id_service_fournisseur=four.idServiceFournisseur if four else None,
        code_destinataire=dest.codeDestinataire if dest else None,
        code_service_executant=dest.codeServiceExecutant if dest else None,
        id_moe=p.idStructureMoe, identifiant_moe=p.identifiantStructureMoe,
        id_service_moe=p.idServiceMoe, id_precedente=p.idFactureTravauxPrecedente,
        numero_marche=refs.numeroMarche if refs else None,
        numero_bon_commande=refs.numeroBonCommande if refs else None,
        date_facture=date_facture(p.dateFactureTravaux), commentaire=p.commentaire,
        montant_ht=ht, montant_tva=tva, montant_ttc=ttc,
        montant_a_payer=_amount(m.montantAPayer) if m and m.montantAPayer is not None else None,
        devise=((refs.deviseFacture if refs else None) or "EUR").upper(),
        mode_depot=p.modeDepot or "SAISIE_API",
    )
    with db.unit_of_work(ctx.s):
        facture = travaux.deposer(ctx.s, ctx.caller.user, depot,
                                  check_ej=ctx.settings.factures_ej_check)
        ft = ctx.s.get_one(FactureTravaux, facture.id)
        answer = _moved(facture, dateDepotFactureTravaux=date_iso(facture.date_depot),
                        idDossierFacturation=ft.dossier_id)
    return answer


# --- the actors' moves -----------------------------------------------------------------


def _action(path: str, operation_id: str, summary: str,
            model: type[BaseModel]) -> Callable[[Callable], Callable]:
    """One of the actors' moves: its answer is the moved document's id, number, status."""
    return operation("POST", f"{BASE}/{path}", operation_id=operation_id, summary=summary,
                     tag=TAG, request_model=model, response_model=sc.FactureTravauxRetour)


@_action("refuser", "refuserFactureTravaux", "Refuse a works invoice (MOE, MOA or titulaire)",
         sc.RefuserFactureTravauxParam)
def refuser(ctx: Context, p: sc.RefuserFactureTravauxParam) -> dict:
    """The actor the document waits for refuses it: `REFUSEE_MOE`, `REFUSEE_MOA`,
    `REFUSEE_FOURNISSEUR`; with `motifRefus` `MAUVAISE_MOE`/`MAUVAISE_MOA` the document
    goes to `ERREUR_DE_MOE`/`ERREUR_DE_MOA` (the supplier corrects it). A motif or a
    commentaire is required (20501)."""
    with db.unit_of_work(ctx.s):
        facture = travaux.refuser(ctx.s, ctx.caller.user, p.idFactureTravaux, p.motifRefus,
                                  p.commentaire)
        return _moved(facture)


@_action("suspendre/demander/completer/factureTravaux",
         "suspendreOuDemanderCompleterFactureTravaux",
         "Ask the supplier to complete a works invoice (MOE or MOA)", sc.CommentaireParam)
def suspendre(ctx: Context, p: sc.CommentaireParam) -> dict:
    """`{idFactureTravaux, commentaire}` (the official sample) → `A_COMPLETER`; the
    commentaire is required."""
    with db.unit_of_work(ctx.s):
        facture = travaux.demander(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                   StatutFacture.A_COMPLETER, p.commentaire)
        return _moved(facture)


@_action("completer", "completerFactureTravaux",
         "Complete a works invoice asked to be completed (titulaire)", sc.CommentaireParam)
def completer(ctx: Context, p: sc.CommentaireParam) -> dict:
    """From `A_COMPLETER` back to the status it was asked from."""
    with db.unit_of_work(ctx.s):
        facture = travaux.completer(ctx.s, ctx.caller.user, p.idFactureTravaux, p.commentaire)
        return _moved(facture)


@_action("demander/recyclage", "demanderRecyclagePiecePrecedente",
         "Ask for the previous document to be recycled (MOE or MOA)", sc.CommentaireParam)
def demander_recyclage(ctx: Context, p: sc.CommentaireParam) -> dict:
    """The MOE or MOA sends the document back for its routing data → `A_RECYCLER`."""
    with db.unit_of_work(ctx.s):
        facture = travaux.demander(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                   StatutFacture.A_RECYCLER, p.commentaire)
        return _moved(facture)


@_action("recycler", "recyclerFactureTravaux",
         "Recycle a works invoice with new routing data (titulaire)",
         sc.RecyclerFactureTravauxParam)
def recycler(ctx: Context, p: sc.RecyclerFactureTravauxParam) -> dict:
    """From `A_RECYCLER` or `ERREUR_DE_MOA`: new `identifiantDestinataire`,
    `codeServiceExecutant`, `numeroBonCommande`; routed anew. The answer's
    `statutFactureTravaux` is the status it was recycled from (the official sample:
    `A_RECYCLER`) and `dateDepotFactureTravaux` its deposit."""
    with db.unit_of_work(ctx.s):
        facture, before = travaux.recycler(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                           p.identifiantDestinataire, p.codeServiceExecutant,
                                           p.numeroBonCommande,
                                           check_ej=ctx.settings.factures_ej_check)
        return {**_moved(facture), "statutFactureTravaux": before,
                "dateDepotFactureTravaux": date_iso(facture.date_depot)}


@_action("completermoe", "completerMoe", "Name the right MOE of a works invoice (titulaire)",
         sc.CompleterMoeParam)
def completer_moe(ctx: Context, p: sc.CompleterMoeParam) -> dict:
    """From `ERREUR_DE_MOE` (refused for a wrong MOE): `idStructureMoe` or
    `identifiantStructureMoe` (and `idServiceMoe`); routed anew to the MOE."""
    with db.unit_of_work(ctx.s):
        facture = travaux.completer_moe(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                        p.idStructureMoe, p.identifiantStructureMoe,
                                        p.idServiceMoe)
        return _moved(facture)


@_action("prendreEnCompte", "prendreEnCompteFactureTravaux",
         "Take a sub-contractor's works invoice in hand (MOE)", sc.IdFactureTravauxParam)
def prendre_en_compte(ctx: Context, p: sc.IdFactureTravauxParam) -> dict:
    """`MISE_A_DISPOSITION_MOE` → `PRISE_EN_COMPTE_MOE`."""
    with db.unit_of_work(ctx.s):
        facture = travaux.prendre_en_compte(ctx.s, ctx.caller.user, p.idFactureTravaux)
        return _moved(facture)


@_action("corriger/valideur", "corrigerValideurFactureTravaux",
         "Correct the validator of a works invoice (titulaire)", sc.CorrigerValideurParam)
def corriger_valideur(ctx: Context, p: sc.CorrigerValideurParam) -> dict:
    """`idStructure` or `identifiantStructure` of the new validator (the names of
    `factures/v1/corriger/valideur/facture`); no status change."""
    with db.unit_of_work(ctx.s):
        facture = travaux.corriger_valideur(ctx.s, ctx.caller.user, p.idFactureTravaux,
                                            p.idStructure, p.identifiantStructure)
        return _moved(facture)

