"""The validator side of the Factures API, and the supplier's correction of a validator
(factures-rules-and-apis-reference.md §4; the rules: ``rules/validation.py``).

An invoice of cadre A9 (sous-traitant) or A12 (cotraitant) names its validator at deposit
(``cadreDeFacturation.codeStructureValideur``) and waits for it in ``A_VALIDER_1``; the
caller acts as validator for the structures it may use
(``accounts.rights.usable_structure_ids``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro import paging
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import designation, rows_by_id
from sandbox.cpro.paging import Where
from sandbox.factures import errors
from sandbox.factures.api.common import caller_structures, criteria, matching_into, windows_into
from sandbox.factures.documents import day, facture_detail
from sandbox.factures.models import SUMMARY_COLUMNS, Facture
from sandbox.factures.rules import validation, visibility
from sandbox.factures.schemas import valideur as sc
from sandbox.models import Service, Structure

BASE = "/cpro/factures/v1"
TAG = "Factures"
# Compared as given, in this order (api/common.CRITERIA).
CRITERIA = criteria(
    sc.RechercherFactureParValideurParam, "idDestinataire", "idFournisseur",
    "idServiceExecutant", "idServiceFournisseur", "numeroFacture", "numeroEngagement",
    "numeroMarche", "cadreFacturation", "statutCourant", "listeTypeFacture",
)


def _criteria(ctx: Context, p: sc.RechercherFactureParValideurParam) -> Where | None:
    """The criteria as a shape and its values (``Where``); None when nothing can match."""
    ids = caller_structures(ctx)
    if p.idStructureValideur is not None:
        ids = ids & {p.idStructureValideur}
    works = p.typeDemandePaiement == "FACTURE_TRAVAUX"
    if not ids or works or p.idStructureMoa is not None or p.idStructureMoe is not None:
        return None  # no works invoice has a validator here
    where = Where().sql("validated_by", ids=sorted(ids))
    matching_into(where, p, CRITERIA)
    windows_into(
        where,
        (Facture.date_depot, p.periodeDateDepotDu, p.periodeDateDepotAu, "periodeDateDepot"),
        (Facture.date_facture, p.periodeDateFactureDu, p.periodeDateFactureAu,
         "periodeDateFacture"),
    )
    where.between(Facture.montant_ht, p.montantHTMin, p.montantHTMax)
    where.between(Facture.montant_ttc, p.montantTTCMin, p.montantTTCMax)
    where.between(Facture.montant_a_payer, p.montantAPayerMin, p.montantAPayerMax)
    return where


_VALIDATED_BY = and_(*visibility.validated_by(bindparam("ids", expanding=True)))


@lru_cache(maxsize=1024)
def _statements(shape: tuple, tri: str | None, descending: bool) -> tuple[Select, Select]:
    """The page and count statements of one shape of search, built once (issue #24)."""
    stmt = select(*SUMMARY_COLUMNS).where(*Where.clauses(shape, lambda _: _VALIDATED_BY))
    return paging.ordered_page(stmt, sc.VALIDEUR.order(tri), descending), paging.count_of(stmt)


def _resume(s: Session, factures: Sequence[Any]) -> list[dict]:
    """The list items: ``SUMMARY_COLUMNS`` rows (or ORM invoices)."""
    structure_ids = {
        x for f in factures for x in (f.destinataire_id, f.fournisseur_id, f.valideur_structure_id)
    }
    service_ids = {
        x for f in factures for x in (f.destinataire_service_id, f.fournisseur_service_id) if x
    }
    structures = rows_by_id(s, Structure, structure_ids)
    services = rows_by_id(s, Service, service_ids)
    out = []
    for f in factures:
        dest, four = structures[f.destinataire_id], structures[f.fournisseur_id]
        val = structures[f.valideur_structure_id or 0]  # validated_by: never None
        sv = services.get(f.destinataire_service_id) if f.destinataire_service_id else None
        four_sv = services.get(f.fournisseur_service_id) if f.fournisseur_service_id else None
        out.append(
            {
                "idFacture": f.id,
                "numeroFacture": f.numero_facture,
                "statut": f.statut,
                "typeDemandePaiement": "FACTURE",
                "typeFacture": f.type_facture,
                "typeFactureTravaux": None,
                "dateDepot": day(f.date_depot),
                "dateFacture": day(f.date_facture),
                "devise": f.devise,
                "montantAPayer": float(f.montant_a_payer or 0),
                "montantHT": float(f.montant_ht or 0),
                "montantTTC": float(f.montant_ttc or 0),
                "numeroEngagement": f.numero_engagement,
                "numeroMarche": f.numero_marche,
                "idFournisseur": four.id,
                "identifiantFournisseur": four.identifiant,
                "typeIdentifiantFournisseur": four.type_identifiant,
                "designationFournisseur": designation(four),
                "codeServiceFournisseur": four_sv.code if four_sv else None,
                "nomServiceFournisseur": four_sv.libelle if four_sv else None,
                "idDestinataire": dest.id,
                "identifiantDestinataire": dest.identifiant,
                "typeIdentifiantDestinataire": dest.type_identifiant,
                "designationDestinataire": designation(dest),
                "idServiceExecutant": sv.id if sv else None,
                "codeServiceExecutant": f.code_service_executant,
                "nomServiceExecutant": sv.libelle if sv else None,
                "idValideur": val.id,
                "identifiantValideur": val.identifiant,
                "typeIdentifiantValideur": val.type_identifiant,
                "designationValideur": designation(val),
                **dict.fromkeys(
                    (
                        f"{k}{role}"
                        for role in ("Moa", "Moe")
                        for k in ("id", "identifiant", "typeIdentifiant", "designation",
                                  "idService", "codeService", "nomService")
                    ),
                    None,
                ),
            }
        )
    return out


@operation(
    "POST",
    f"{BASE}/rechercher/valideur",
    operation_id="rechercherFactureParValideur",
    summary="Search, as validator, the invoices to validate (cadres A9, A12)",
    tag=TAG,
    request_model=sc.RechercherFactureParValideurParam,
    response_model=sc.RechercherFactureParValideurRetour,
    read_only=True,
)
def rechercher(ctx: Context, p: sc.RechercherFactureParValideurParam) -> dict:
    """Invoices naming one of the caller's structures as validator, from `A_VALIDER_1` on
    (to validate, validated, refused...), filtered by every criterion given (AND); paging
    in `parametresRetour` (`pagination`: `nbResultatsParPage`, `pageResultatDemandee`,
    `triColonne`, `triSens`/`triSense`). No result: codeRetour 20000
    "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"."""
    where = _criteria(ctx, p)
    if where is None:
        raise errors.RechercheVide()
    page, count = _statements(where.key, paging.tri_colonne(p.pagination),
                              paging.page_request(p.pagination)[2])
    rows, retour = paging.run_prepared(ctx.s, page, count, where.params, p.pagination)
    if retour["total"] == 0:
        raise errors.RechercheVide()
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_RECHERCHE_OK,
        "listeFactures": _resume(ctx.s, rows),
        "parametresRetour": retour,
    }


@operation(
    "POST",
    f"{BASE}/consulter/valideur",
    operation_id="consulterFactureParValideur",
    summary="Read, as validator, an invoice to validate",
    tag=TAG,
    request_model=sc.ConsulterFactureValideurParam,
    response_model=sc.ConsulterFactureValideurRetour,
    read_only=True,
)
def consulter(ctx: Context, p: sc.ConsulterFactureValideurParam) -> dict:
    """The `facture` object (same shape as `consulter/fournisseur`), its
    `cadreDeFacturation` naming the validator. Unknown, without a validator or not with
    it yet: 20000; validated by a structure the caller may not use: 20001."""
    facture = visibility.validator_invoice(
        ctx.s, ctx.caller.user, p.identifiantFactureCPP or p.idFacture
    )
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "facture": facture_detail(ctx.s, facture),
    }


@operation(
    "POST",
    f"{BASE}/traiter/factureAValider",
    operation_id="traiterFactureAValider",
    summary="Validate or refuse an invoice to validate (validator)",
    tag=TAG,
    request_model=sc.TraiterFactureAValiderParam,
    response_model=sc.TraiterFactureAValiderRetour,
)
def traiter(ctx: Context, p: sc.TraiterFactureAValiderParam) -> dict:
    """From `A_VALIDER_1` only. `VALIDATION`: `VALIDEE_1`, and the platform routes the
    invoice to its recipient at once (`MISE_A_DISPOSITION`); `REFUS` (a `motifRefus` of
    `recuperer/motifs/refus/Facture/AValider`): `REFUSEE_1`, final, the reason in the
    supplier's history; `REJET`, or `REFUS` with `MAUVAIS_VALIDEUR`:
    `ERREUR_FOURNISSEUR_SUR_VALIDEUR` (the supplier names another validator with
    `corriger/valideur/facture`). Errors: 20000 unknown, 20001 not the caller's to validate,
    20500 not waiting for validation or not a validator's action, 20501 refusal without a
    motif, 20507 unknown motif, 20511 no action."""
    with db.unit_of_work(ctx.s):
        now = clock.utcnow_naive()
        facture, statut = validation.traiter(
            ctx.s,
            ctx.caller.user,
            p.idFacture,
            p.action,
            motif=p.motifRefus,
            complement=p.complementInfo,
            id_valideur=p.idValideur,
            at=now,
        )
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "dateTraitement": day(now),
        "idFacture": facture.id,
        "numeroFacture": facture.numero_facture,
        "statutFacture": statut,
    }


@operation(
    "POST",
    f"{BASE}/recuperer/statutsFactureVisibles/valideur",
    operation_id="recupererStatutsFactureVisiblesParValideur",
    summary="The statuses in which a validator finds invoices to process",
    tag=TAG,
    request_model=sc.StatutsVisiblesValideurParam,
    response_model=sc.StatutsVisiblesValideurRetour,
)
def statuts_visibles(ctx: Context, p: sc.StatutsVisiblesValideurParam) -> dict:
    """The validation stage's statuses: `A_VALIDER_1`, `VALIDEE_1`, `REFUSEE_1`,
    `ERREUR_FOURNISSEUR_SUR_VALIDEUR`, `ABSENCE_VALIDATION_1_HORS_DELAI`."""
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "listeStatutFacture": [
            {"codeStatutFacture": statut} for statut in validation.STATUTS_VISIBLES
        ],
    }


@operation(
    "POST",
    f"{BASE}/corriger/valideur/facture",
    operation_id="corrigerValideurFacture",
    summary="Name another validator for an invoice rejected for a wrong validator (supplier)",
    tag=TAG,
    request_model=sc.CorrigerValideurFactureParam,
    response_model=sc.CorrigerValideurFactureRetour,
)
def corriger(ctx: Context, p: sc.CorrigerValideurFactureParam) -> dict:
    """Only from `ERREUR_FOURNISSEUR_SUR_VALIDEUR` (20500 otherwise): the validator
    (`idStructure`, else `identifiantStructure`) becomes the invoice's and the invoice
    waits for it in `A_VALIDER_1`. Errors: 20000 unknown invoice, 20001 not the caller's,
    20507 unknown or inactive validator (or the supplier itself), 20511 no validator."""
    with db.unit_of_work(ctx.s):
        facture = validation.corriger_valideur(
            ctx.s,
            ctx.caller.user,
            p.idFacture,
            id_structure=p.idStructure,
            identifiant=p.identifiantStructure,
        )
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "idFacture": facture.id,
    }
