"""Supplier side: ``rechercher/fournisseur``, ``consulter/fournisseur``, ``consulter/historique``.

factures-reference.md §6.1. A supplier sees the invoices of the structures it may act
for (``accounts.rights.usable_structure_ids``); ``consulter/historique`` also answers
the recipient's accounts (the real ``idEspace`` default is "factures reçues"). Paging
is the API's (default 10 per page, ``parametresRetour``): a flux of more than 10
invoices needs several pages, as OCA learnt (issue #571). An empty search answers
20000 "TRA_MSG_00.015", as ``rechercher/recipiendaire`` does (docs/decisions.md).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import date_iso, designation
from sandbox.cpro.errors import LIBELLE_CONSULTATION_OK, LIBELLE_RECHERCHE_OK
from sandbox.cpro.paging import page_request, parametres_retour, run_paged
from sandbox.factures import errors
from sandbox.factures.api.common import (
    between,
    caller_structures,
    criteria,
    matching,
    periodes,
)
from sandbox.factures.documents import day, facture_detail
from sandbox.factures.models import Facture, FactureAction, FactureStatut, Flux
from sandbox.factures.rules.travaux_cycle import type_demande_paiement
from sandbox.factures.schemas.supplier import (
    ConsulterFactureParFournisseurParam,
    ConsulterFactureParFournisseurRetour,
    ConsulterHistoriqueParam,
    ConsulterHistoriqueRetour,
    RechercherFactureParFournisseurParam,
    RechercherFactureParFournisseurRetour,
)
from sandbox.models import Structure, User

TAG = "Factures"
SORTS = {
    "identifiantfacturecpp": Facture.id,
    "numerofacture": Facture.numero_facture,
    "datedepot": Facture.date_depot,
    "datefacture": Facture.date_facture,
    "montantttc": Facture.montant_ttc,
    "statut": Facture.statut,
}
# Compared as given, in this order (api/common.CRITERIA).
CRITERIA = criteria(
    RechercherFactureParFournisseurParam, "numeroFacture", "numeroFactureOrigine",
    "numeroBonCommande", "numeroMarche", "idServiceFournisseur", "cadreFacturation",
    "modeDepot", "typeFacture", "statutCourant",
)


def _criteria(
    ctx: Context, p: RechercherFactureParFournisseurParam
) -> list[ColumnElement[bool]] | None:
    """WHERE clauses of the search; None when nothing can match."""
    ids = caller_structures(ctx)
    if p.idFournisseur is not None:
        ids = ids & {p.idFournisseur}
    if not ids:
        return None
    c: list[ColumnElement[bool]] = [Facture.fournisseur_id.in_(ids)]
    if p.numeroFluxDepot:
        flux_id = ctx.s.scalar(
            select(Flux.id).where(Flux.numero_flux_depot == p.numeroFluxDepot.strip())
        )
        if flux_id is None:
            return None
        c.append(Facture.flux_id == flux_id)
    c += matching(p, CRITERIA)
    if p.rejetTraite is not None:
        c.append(Facture.rejet_traite.is_(p.rejetTraite))
    if p.idUtilisateurCreateur:
        c.append(Facture.createur_user_id.in_(p.idUtilisateurCreateur))
    destinataires = [d.idDestinataire for d in (p.listeDestinataire or []) if d.idDestinataire]
    if destinataires:
        c.append(Facture.destinataire_id.in_(destinataires))
    c += between(Facture.montant_ht, p.montantHTMin, p.montantHTMax)
    c += between(Facture.montant_ttc, p.montantTTCMin, p.montantTTCMax)
    c += between(Facture.montant_a_payer, p.montantApayerMin, p.montantApayerMax)
    return c + periodes(p)


def _resume(s: Session, factures: list[Facture]) -> list[dict]:
    structure_ids = {f.destinataire_id for f in factures} | {f.fournisseur_id for f in factures}
    structures = {
        st.id: st for st in s.scalars(select(Structure).where(Structure.id.in_(structure_ids)))
    }
    flux_ids = {f.flux_id for f in factures if f.flux_id}
    numeros = (
        dict(s.execute(select(Flux.id, Flux.numero_flux_depot).where(Flux.id.in_(flux_ids))).all())
        if flux_ids
        else {}
    )
    creators = {f.createur_user_id for f in factures if f.createur_user_id}
    users = (
        {u.id: u for u in s.scalars(select(User).where(User.id.in_(creators)))} if creators else {}
    )
    items = []
    for f in factures:
        four, dest = structures.get(f.fournisseur_id), structures.get(f.destinataire_id)
        creator = users.get(f.createur_user_id) if f.createur_user_id is not None else None
        items.append(
            {
                "identifiantFactureCPP": f.id,
                "numeroFacture": f.numero_facture,
                "statut": f.statut,
                "numeroFluxDepot": numeros.get(f.flux_id) if f.flux_id is not None else None,
                "modeDepot": f.mode_depot,
                "dateDepot": day(f.date_depot),
                "dateFacture": day(f.date_facture),
                "dateHeureEtatCourant": date_iso(f.date_heure_etat_courant),
                "typeFacture": f.type_facture,
                "typeDemandePaiement": type_demande_paiement(f.cadre_facturation),
                "cadreFacturation": f.cadre_facturation,
                "codeFournisseur": four.identifiant if four else None,
                "typeIdentifiantFournisseur": four.type_identifiant if four else None,
                "designationFournisseur": designation(four) if four else None,
                "idFournisseur": f.fournisseur_id,
                "idServiceFournisseur": f.fournisseur_service_id,
                "idDestinataire": f.destinataire_id,
                "codeDestinataire": dest.identifiant if dest else None,
                "designationDestinataire": designation(dest) if dest else None,
                "codeServiceExecutant": f.code_service_executant,
                "numeroBonCommande": f.numero_engagement,
                "numeroMarche": f.numero_marche,
                "montantHT": float(f.montant_ht or 0),
                "montantTTC": float(f.montant_ttc or 0),
                "montantAPayer": float(f.montant_a_payer or 0),
                "devise": f.devise,
                "rejetTraite": bool(f.rejet_traite),
                "taille": len(f.source_pdf or f.source_xml or b""),
                "nomPrenomUtilisateurCreateur": (
                    f"{creator.nom} {creator.prenom}".strip() if creator else None
                ),
            }
        )
    return items


@operation(
    "POST",
    "/cpro/factures/v1/rechercher/fournisseur",
    operation_id="rechercherFactureParFournisseur",
    summary="Rechercher les factures émises (par numéro de flux, numéro, statut...)",
    tag=TAG,
    request_model=RechercherFactureParFournisseurParam,
    response_model=RechercherFactureParFournisseurRetour,
)
def rechercher_fournisseur(ctx: Context, p: RechercherFactureParFournisseurParam) -> dict:
    """The caller's issued invoices matching every criterion given, one page at a time."""
    page, size, descending = page_request(p.rechercheFactureParFournisseur)
    column = SORTS.get(
        ((p.rechercheFactureParFournisseur and p.rechercheFactureParFournisseur.triColonne) or "")
        .strip()
        .lower(),
        Facture.id,
    )
    clauses = _criteria(ctx, p)
    if clauses is None:
        raise errors.RechercheVide()
    rows, retour = run_paged(
        ctx.s, select(Facture).where(*clauses), [column, Facture.id], page, size, descending
    )
    if retour["total"] == 0:
        raise errors.RechercheVide()
    return {
        "codeRetour": 0,
        "libelle": LIBELLE_RECHERCHE_OK,
        "listeFactures": _resume(ctx.s, [row[0] for row in rows]),
        "parametresRetour": retour,
    }


def _readable(ctx: Context, facture_id: int, *, recipient_too: bool) -> Facture:
    facture = ctx.s.get(Facture, facture_id)
    ids = caller_structures(ctx)
    if facture is None:
        raise errors.DemandePaiementInconnue()
    if facture.fournisseur_id in ids or (recipient_too and facture.destinataire_id in ids):
        return facture
    raise errors.DemandePaiementInconnue()


@operation(
    "POST",
    "/cpro/factures/v1/consulter/fournisseur",
    operation_id="consulterFactureParFournisseur",
    summary="Consulter une facture émise",
    tag=TAG,
    request_model=ConsulterFactureParFournisseurParam,
    response_model=ConsulterFactureParFournisseurRetour,
)
def consulter_fournisseur(ctx: Context, p: ConsulterFactureParFournisseurParam) -> dict:
    """One issued invoice, in full (lines, VAT breakdown, attachments)."""
    facture = _readable(ctx, p.identifiantFactureCPP, recipient_too=False)
    return {
        "codeRetour": 0,
        "libelle": LIBELLE_CONSULTATION_OK,
        "facture": facture_detail(ctx.s, facture),
    }


def _histo_statut(row: FactureStatut) -> dict:
    return {
        "histoStatutId": row.id,
        "histoStatutCode": row.statut,
        "histoStatutDatePassage": date_iso(row.date_passage),
        "histoStatutCommentaire": row.commentaire,
        "histoStatutUtilisateurNom": row.user_nom,
        "histoStatutUtilisateurPrenom": row.user_prenom,
        "histoStatutUtilisateurEmail": row.user_email,
        "histoStatutUtilisateurTelephone": row.user_telephone,
    }


def _histo_action(row: FactureAction) -> dict:
    return {
        "histoActionId": row.id,
        "histoActionCode": row.code,
        "histoActionDateHeure": date_iso(row.date_heure),
        "histoActionUtilisateurNom": row.user_nom,
        "histoActionUtilisateurPrenom": row.user_prenom,
        "histoActionUtilisateurEmail": row.user_email,
    }


@operation(
    "POST",
    "/cpro/factures/v1/consulter/historique",
    operation_id="consulterHistoriqueFacture",
    summary="Consulter l'historique des statuts d'une facture",
    tag=TAG,
    request_model=ConsulterHistoriqueParam,
    response_model=ConsulterHistoriqueRetour,
)
def consulter_historique(ctx: Context, p: ConsulterHistoriqueParam) -> dict:
    """The invoice's current status and its status history, most recent first."""
    facture = _readable(ctx, p.idFacture, recipient_too=True)
    limit = p.nbResultatsMaximum or None
    statuts = list(
        ctx.s.scalars(
            select(FactureStatut)
            .where(FactureStatut.facture_id == facture.id)
            .order_by(FactureStatut.date_passage.desc(), FactureStatut.id.desc())
        )
    )
    actions = list(
        ctx.s.scalars(
            select(FactureAction)
            .where(FactureAction.facture_id == facture.id)
            .order_by(FactureAction.date_heure.desc(), FactureAction.id.desc())
        )
    )
    shown_statuts = statuts[:limit] if limit else statuts
    shown_actions = actions[:limit] if limit else actions
    last = actions[0] if actions else None
    return {
        "codeRetour": 0,
        "libelle": LIBELLE_RECHERCHE_OK,
        "idFacture": facture.id,
        "numeroFacture": facture.numero_facture,
        "modeDepot": facture.mode_depot,
        "statutCourantCode": facture.statut,
        "derniereAction": {
            "derniereActionCode": last.code if last else None,
            "derniereActionId": last.id if last else None,
        },
        "historiquesDesStatuts": {
            "histoStatut": [_histo_statut(r) for r in shown_statuts],
            "pagination": parametres_retour(1, max(len(shown_statuts), 1), len(statuts)),
        },
        "historiquesDesActionsUtilisateurs": {
            "histoAction": [_histo_action(r) for r in shown_actions],
            "pagination": parametres_retour(1, max(len(shown_actions), 1), len(actions)),
        },
        "historiquesDesEvenementsComplementaires": {"evenement": [], "pagination": None},
    }
