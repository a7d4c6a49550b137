"""``/cpro/engagementsJuridiques/v1``: ``rechercher`` (OCA's EJ check) and
``consulterDetail`` (factures-rules-and-apis-reference.md §3), in the cpro registry: the
cpro dispatcher runs the gateway checks, the body's validation and these handlers.

``consulterDetail``'s PISTE path is the pre-PISTE one mapped as ``rechercher``'s is
(UNCONFIRMED in the reference; docs/decisions.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import designation, rows_by_id
from sandbox.engagements import errors, rules
from sandbox.engagements import schemas as sc
from sandbox.formatting import PARIS
from sandbox.models import Service, Structure
from sandbox.portal.countries import name as country_name

BASE = "/cpro/engagementsJuridiques/v1"
TAG = "Engagements juridiques"


def date_notification(moment: datetime | None) -> str | None:
    """``2015-07-03T00:00:00+02:00``: ISO 8601 in Paris time, no fraction (the sample's)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(PARIS).isoformat(timespec="seconds")


def resume(ej: Any, recepteur: Any, service: Any) -> dict:
    """One item of ``listeEngagementJuridique`` (the EJ's, its receiving structure's and its
    service's rows; either of the last two may be None)."""
    return {
        "idEngagementJuridique": ej.id,
        "libelleTypeEngagementJuridique": ej.type_engagement,
        "numeroEngagementJuridique": ej.numero,
        "structureReceptrice": designation(recepteur) if recepteur else None,
        "identifiantStructureReceptrice": recepteur.identifiant if recepteur else None,
        "libelleStructureReceptrice": recepteur.libelle if recepteur else None,
        "codeServiceExecutant": service.code if service else None,
        "libelleServiceExecutant": service.libelle if service else None,
        "dateNotificationEJ": date_notification(ej.date_notification),
        "libelleEtatCourantEJ": ej.etat,
        "montantTotalTtc": ej.montant_ttc,
        "deviseEngagement": ej.devise,
        "taillePJ": None,
    }


@operation(
    "POST",
    f"{BASE}/rechercher",
    operation_id="rechercherEngagementJuridique",
    summary="Search the legal commitments (EJ) the caller's structures issued or received",
    tag=TAG,
    request_model=sc.RechercherEngagementJuridiqueParam,
    response_model=sc.RechercherEngagementJuridiqueRetour,
    read_only=True,
)
def rechercher(ctx: Context, p: sc.RechercherEngagementJuridiqueParam) -> dict:
    """Every criterion is optional and they combine with AND, exact matches but the
    notification period and the amounts. ``structureReceptriceEngagementJuridique`` is the
    supplier's idStructureCPP (OCA) or SIRET. The caller sees the EJs its structures issued
    (a public buyer) or received (a supplier). No hit: 20000 ``TRA_MSG_00.015`` with an
    empty ``listeEngagementJuridique``."""
    criteres = rules.Criteres(
        numero=p.numeroEngagementJuridique.strip() if p.numeroEngagementJuridique else None,
        type_engagement=p.codeEngagementJuridique,
        numero_marche=p.numeroMarcheEngagementJuridique,
        structure_receptrice=p.structureReceptriceEngagementJuridique,
        etat=p.etatCourantEngagementJuridique,
        notification_du=rules.parse_day(p.periodeDateNotificationEJDu,
                                        "periodeDateNotificationEJDu"),
        notification_au=rules.parse_day(p.periodeDateNotificationEJAu,
                                        "periodeDateNotificationEJAu"),
        montant_min=p.montantTTCMin,
        montant_max=p.montantTTCMax,
    )
    rows, retour = rules.search(ctx.s, ctx.caller.structure_ids(ctx.s), criteres,
                                p.parametresRecherche)
    empty = not rows
    return {
        "codeRetour": errors.RechercheVide.code if empty else 0,
        "libelle": errors.RechercheVide.libelle if empty else errors.LIBELLE_OK,
        "listeEngagementJuridique": [resume(ej, recepteur, service)
                                     for ej, recepteur, service in rows],
        "parametresRetour": retour,
    }


def _demande(f: Any) -> dict:
    return {
        "dateFournisseur": f.date_facture.date().isoformat() if f.date_facture else None,
        "etatCourantDemandePaiement": f.statut,
        "idDemandePaiement": f.id,
        "montantTtcDemandePaiement": float(f.montant_ttc),
        "numeroDemandePaiement": f.numero_facture,
        "sousType": f.type_facture,
        "typeDemandePaiement": "FACTURE",
    }


@operation(
    "POST",
    f"{BASE}/consulterDetail",
    operation_id="consulterDetailEngagementJuridique",
    summary="Read a legal commitment: issuer, receiver, lines, the invoices citing it",
    tag=TAG,
    request_model=sc.ConsulterDetailEngagementJuridiqueParam,
    response_model=sc.ConsulterDetailEngagementJuridiqueRetour,
    read_only=True,
)
def consulter_detail(ctx: Context, p: sc.ConsulterDetailEngagementJuridiqueParam) -> dict:
    """The EJ ``numeroEngagementJuridique`` if one of the caller's structures issued or
    received it (else 20600): its issuer and service exécutant (``emetteur``), the supplier
    it was given to (``recepteur``), its lines (``lignePoste``) and the invoices to the
    issuer that cite it (``demandePaiement``)."""
    if not p.numeroEngagementJuridique:
        raise errors.ParametreManquant(
            "Paramètre obligatoire manquant : numeroEngagementJuridique.")
    ej = rules.visible(ctx.s, ctx.caller.structure_ids(ctx.s), p.numeroEngagementJuridique)
    structures = rows_by_id(ctx.s, Structure, (ej.emetteur_structure_id,
                                              ej.recepteur_structure_id))
    emetteur = structures[ej.emetteur_structure_id]
    service = rows_by_id(ctx.s, Service, (ej.emetteur_service_id,)).get(
        ej.emetteur_service_id or 0)
    recepteur = structures.get(ej.recepteur_structure_id or 0)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_OK,
        "demandePaiement": [_demande(f) for f in rules.invoices_citing(ctx.s, ej)],
        "emetteur": {
            "codeServiceExecutant": service.code if service else None,
            "idServiceExecutant": service.id if service else None,
            "idStructureEmettrice": emetteur.id,
            "identifiantStructureEmettrice": emetteur.identifiant,
            "nomServiceExecutant": service.libelle if service else None,
            "raisonSocialeStructureEmettrice": designation(emetteur),
        },
        "etatCourantEngagement": ej.etat,
        "idEngagement": ej.id,
        "lignePoste": [{"montantTtcPoste": poste.montant_ttc, "numeroDePoste": poste.numero,
                        "statutPoste": poste.statut} for poste in rules.postes(ctx.s, ej)],
        "numeroEngagementJuridique": ej.numero,
        "recepteur": None if recepteur is None else {
            "adresseStructureReceptrice": {
                "CodePays": recepteur.pays,
                "CodePostal": recepteur.code_postal,
                "Complement1": recepteur.complement_adresse_1,
                "Complement2": recepteur.complement_adresse_2,
                "Detail": recepteur.adresse,
                "LibellePays": country_name(recepteur.pays) or None,
                "Ville": recepteur.ville,
            },
            "designationStructureReceptrice": designation(recepteur),
            "idStructureReceptrice": recepteur.id,
            "identifiantStructureReceptrice": recepteur.identifiant,
        },
    }
