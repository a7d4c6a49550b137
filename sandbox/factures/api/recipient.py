"""The recipient side of the Factures API (factures-reference.md §6.2).

``rechercher/recipiendaire``, ``consulter/recipiendaire``, ``telecharger/groupe`` and
``traiter/recue``. The caller acts for the structures it may use
(``accounts.rights.usable_structure_ids``: a technical account, those of its
structure's gestionnaire principal); an invoice is *received* by its destinataire once
the platform made it available (any status but ``DEPOSEE``/``EN_COURS_ACHEMINEMENT``/...).
"""

from __future__ import annotations

import base64

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, RequestError, operation
from sandbox.cpro.common import date_iso, designation
from sandbox.cpro.paging import paged
from sandbox.factures import errors
from sandbox.factures.api.common import (
    between,
    caller_structures,
    criteria,
    matching,
    periodes,
)
from sandbox.factures.documents import (
    day,
    facture_detail,
    invoice_pdf,
    pieces_jointes,
    pivot_xml,
    zip_bytes,
)
from sandbox.factures.models import Facture
from sandbox.factures.rules import visibility
from sandbox.factures.rules.lifecycle import (
    MOTIF_REQUIRED,
    Actor,
    record_action,
    transition,
)
from sandbox.factures.rules.travaux_cycle import CADRES_TRAVAUX, type_demande_paiement
from sandbox.factures.schemas import recipient as sc
from sandbox.models import Service, Structure
from sandbox.vocabulary import ActionFacture, FormatTelechargement

BASE = "/cpro/factures/v1"
TAG = "Factures"
MAX_DOSSIER_BYTES = 120 * 1024 * 1024  # a billing folder: 120 Mo (413 beyond)
# Compared as given, in this order (api/common.CRITERIA).
CRITERIA = criteria(
    sc.RechercherFactureParRecipiendaireParam, "idServiceExecutant", "numeroFacture",
    "cadreFacturation", "numeroMarche", "numeroBonCommande", "statutCourant", "listeTypeFacture",
)


def received_invoice(ctx: Context, facture_id: int | None) -> Facture:
    """The invoice ``facture_id`` as received by one of the caller's structures."""
    return visibility.received_invoice(ctx.s, ctx.caller.user, facture_id)


def _criteria(ctx: Context, p: sc.RechercherFactureParRecipiendaireParam) -> list | None:
    """The WHERE clauses; None when nothing can match."""
    ids = caller_structures(ctx)
    if p.idDestinataire is not None:
        ids = ids & {p.idDestinataire}
    if not ids:
        return None
    where = visibility.received_by(ids)
    if p.typeDemandePaiement == "FACTURE_TRAVAUX":  # works invoices (Pastell asks for both)
        where.append(Facture.cadre_facturation.in_(CADRES_TRAVAUX))
    elif p.typeDemandePaiement == "FACTURE":
        where.append(Facture.cadre_facturation.not_in(CADRES_TRAVAUX))
    where += matching(p, CRITERIA)
    if p.factureTelechargeeParDestinataire:
        where.append(Facture.telechargee_par_destinataire.is_(True))
    if p.listeFournisseurs:
        alternatives = []
        for four in p.listeFournisseurs:
            if four.idFournisseur is None:
                continue
            clause = Facture.fournisseur_id == four.idFournisseur
            if four.listeIdService:
                clause = clause & Facture.fournisseur_service_id.in_(four.listeIdService)
            alternatives.append(clause)
        if alternatives:
            where.append(or_(*alternatives))
    where += periodes(p)
    where += between(Facture.montant_ht, p.montantHTMin, p.montantHTMax)
    where += between(Facture.montant_ttc, p.montantTTCMin, p.montantTTCMax)
    return where


def _resume(s: Session, factures: list[Facture]) -> list[dict]:
    structure_ids = {f.destinataire_id for f in factures} | {f.fournisseur_id for f in factures}
    service_ids = {
        x for f in factures for x in (f.destinataire_service_id, f.fournisseur_service_id) if x
    }
    structures = {
        st.id: st for st in s.scalars(select(Structure).where(Structure.id.in_(structure_ids)))
    }
    services = (
        {sv.id: sv for sv in s.scalars(select(Service).where(Service.id.in_(service_ids)))}
        if service_ids
        else {}
    )
    out = []
    for f in factures:
        dest, four = structures[f.destinataire_id], structures[f.fournisseur_id]
        sv = services.get(f.destinataire_service_id) if f.destinataire_service_id else None
        four_sv = services.get(f.fournisseur_service_id) if f.fournisseur_service_id else None
        out.append(
            {
                "idFacture": f.id,
                "numeroFacture": f.numero_facture,
                "statut": f.statut,
                "typeDemandePaiement": type_demande_paiement(f.cadre_facturation),
                "typeFacture": f.type_facture,
                "cadreFacturation": f.cadre_facturation,
                "dateDepot": day(f.date_depot),
                "dateFacture": day(f.date_facture),
                "dateHeureEtatCourant": date_iso(f.date_heure_etat_courant),
                "commentaireEtatCourant": None,
                "codeFournisseur": four.identifiant,
                "typeIdentifiantFournisseur": four.type_identifiant,
                "designationFournisseur": designation(four),
                "codeServiceFournisseur": four_sv.code if four_sv else None,
                "nomServiceFournisseur": four_sv.libelle if four_sv else None,
                "idDestinataire": dest.id,
                "codeDestinataire": dest.identifiant,
                "designationDestinataire": designation(dest),
                "idServiceExecutant": sv.id if sv else None,
                "codeServiceExecutant": f.code_service_executant,
                "nomServiceExecutant": sv.libelle if sv else None,
                "numeroBonCommande": f.numero_engagement,
                "numeroMarche": f.numero_marche,
                "montantHT": float(f.montant_ht or 0),
                "montantTTC": float(f.montant_ttc or 0),
                "montantAPayer": float(f.montant_a_payer or 0),
                "devise": f.devise,
                "factureTelechargeeParDestinataire": bool(f.telechargee_par_destinataire),
                "taille": len(f.source_pdf or b"") + len(f.source_xml or b""),
            }
        )
    return out


@operation(
    "POST",
    f"{BASE}/rechercher/recipiendaire",
    operation_id="rechercherFactureParRecipiendaire",
    summary="Search the invoices received by the caller's structures",
    tag=TAG,
    request_model=sc.RechercherFactureParRecipiendaireParam,
    response_model=sc.RechercherFactureParRecipiendaireRetour,
)
def rechercher(ctx: Context, p: sc.RechercherFactureParRecipiendaireParam) -> dict:
    """Invoices made available to a structure the caller may use, filtered by every
    criterion given (AND). Paging at top level (`pageCourante`, `pages`,
    `nbResultatsParPage`, `total`); items carry `idFacture`. **No result: codeRetour
    20000** "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat", as the real API."""
    where = _criteria(ctx, p)
    if where is None:
        raise errors.RechercheVide()
    rows, retour = paged(ctx.s, select(Facture).where(*where), p.paramRecherche, sc.RECIPIENDAIRE)
    if retour["total"] == 0:
        raise errors.RechercheVide()
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_RECHERCHE_OK,
        **retour,
        "listeFactures": _resume(ctx.s, [r[0] for r in rows]),
    }


@operation(
    "POST",
    f"{BASE}/consulter/recipiendaire",
    operation_id="consulterFactureParRecipiendaire",
    summary="Read an invoice received by one of the caller's structures",
    tag=TAG,
    request_model=sc.ConsulterFactureRecipiendaireParam,
    response_model=sc.ConsulterFactureRecipiendaireRetour,
)
def consulter(ctx: Context, p: sc.ConsulterFactureRecipiendaireParam) -> dict:
    """The `facture` object (same shape as `consulter/fournisseur`). Unknown or not yet
    available: 20000; received by a structure the caller may not use: 20001."""
    facture = received_invoice(ctx, p.identifiantFactureCPP or p.idFacture)
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "facture": facture_detail(ctx.s, facture),
    }


@operation(
    "POST",
    f"{BASE}/telecharger/groupe",
    operation_id="telechargerGroupeFacture",
    summary="Download one or several invoices (PDF, or a ZIP of them; or one PIVOT file)",
    tag=TAG,
    request_model=sc.TelechargerGroupeFactureParam,
    response_model=sc.TelechargerGroupeFactureRetour,
)
def telecharger(ctx: Context, p: sc.TelechargerGroupeFactureParam) -> dict:
    """`format` PDF (default): one invoice gives its PDF, several a ZIP with one folder
    per invoice (and its complementary attachments when `avecPiecesJointesComplementaires`
    is OUI). PIVOT: one XML file with every invoice and its attachments. Invoices emitted,
    received or to validate ("émises, reçues ou à valider", go-choruspro) by the caller's
    structures; a download by the recipient sets
    `factureTelechargeeParDestinataire` and records a `TELECHARGEMENT_FACTURE` action.
    Over 120 Mo: HTTP 413."""
    ids = [item.idFacture for item in p.listeFacture or [] if item.idFacture is not None]
    if not ids:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : listeFacture.")
    with db.unit_of_work(ctx.s):
        mine = caller_structures(ctx)
        factures: list[Facture] = []
        for facture_id in dict.fromkeys(ids):
            facture = ctx.s.get(Facture, facture_id)
            if facture is None:
                raise errors.DemandePaiementInconnue(
                    f"GDP_MSG_11.008 - La demande de paiement {facture_id} n'existe pas."
                )
            received = facture.destinataire_id in mine and visibility.is_received(facture)
            validator = visibility.seen_by_validator(facture, mine)
            if not received and not validator and facture.fournisseur_id not in mine:
                raise errors.HabilitationInsuffisante()
            factures.append(facture)
        with_pj = (p.avecPiecesJointesComplementaires or "").strip().upper() == "OUI"
        if p.format == FormatTelechargement.PIVOT:
            content = pivot_xml(ctx.s, factures)
        elif len(factures) == 1 and not with_pj:
            content = invoice_pdf(ctx.s, factures[0])
        else:
            entries = []
            for f in factures:
                folder = f"{f.numero_facture}_{f.id}"
                entries.append((f"{folder}/{f.numero_facture}.pdf", invoice_pdf(ctx.s, f)))
                if with_pj:
                    entries += [
                        (f"{folder}/{pj.id}_{pj.nom}", pj.content)
                        for pj in pieces_jointes(ctx.s, f)
                        if pj.role != "principale"
                    ]
            content = zip_bytes(entries)
        if len(content) > MAX_DOSSIER_BYTES:
            raise RequestError(
                413, 20003, "Le dossier téléchargé dépasse la taille maximale (120 Mo)."
            )
        for f in factures:
            if f.destinataire_id in mine and visibility.is_received(f):
                f.telechargee_par_destinataire = True
                record_action(ctx.s, f, ActionFacture.TELECHARGEMENT_FACTURE, ctx.caller.user)
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "fichierResultat": base64.b64encode(content).decode("ascii"),
    }


@operation(
    "POST",
    f"{BASE}/traiter/recue",
    operation_id="traiterFactureRecue",
    summary="Give a received invoice a new status (recipient)",
    tag=TAG,
    request_model=sc.TraiterFactureRecueParam,
    response_model=sc.TraiterFactureRecueRetour,
)
def traiter(ctx: Context, p: sc.TraiterFactureRecueParam) -> dict:
    """Only the moves `recuperer/etats/traitement` lists for the current status (else
    20400); `motif` compulsory for `REJETEE` and `SUSPENDUE` (else 20401). `numeroDPMandat`
    (or `NumeroDPMandat`) is kept in the status history's comment."""
    if p.nouveauStatut is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : nouveauStatut.")
    with db.unit_of_work(ctx.s):
        facture = received_invoice(ctx, p.idFacture)
        commentaire = p.motif
        if p.numeroDPMandat:
            mandat = f"Numéro de DP mandat : {p.numeroDPMandat}"
            commentaire = f"{commentaire} ({mandat})" if commentaire else mandat
        if p.motif is None and p.nouveauStatut in MOTIF_REQUIRED:
            commentaire = None  # the motif rule applies to the motif itself
        now = clock.utcnow_naive()
        transition(
            ctx.s,
            facture,
            p.nouveauStatut,
            actor=Actor.RECIPIENT,
            motif=commentaire,
            user=ctx.caller.user,
            at=now,
        )
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "dateTraitement": day(now),
        "idFacture": facture.id,
        "nouveauStatut": facture.statut,
        "numeroFacture": facture.numero_facture,
    }
