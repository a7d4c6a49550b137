"""``POST /cpro/factures/v1/soumettre``: an invoice keyed in as JSON (``SAISIE_API``) or
built on a PDF uploaded before (``DEPOT_PDF_API``/``DEPOT_PDF_SIGNE_API``: the PDF from
``deposer/pdf`` or ``transverses/v1/ajouter/fichier``), factures-reference.md §5.

Checks, in the platform's order (§7.3): mode de dépôt; supplier known, active and a
structure the caller may use (20001 otherwise); recipient known and active; service
exécutant and EJ according to the recipient's flags; cadre de facturation; the invoice
number (format, one per supplier: 20502, also enforced by the schema); lines and amounts;
attachments owned by the caller. The answer says ``DEPOSEE`` (the status at deposit);
the platform then routes the invoice at once, in the same transaction, to
``MISE_A_DISPOSITION`` (docs/decisions.md) — or, for the cadres A9 and A12, to its
validator (``codeStructureValideur``, ``codeServiceValideur``): ``A_VALIDER_1``
(``rules/validation.py``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from sandbox import clock, db
from sandbox.accounts.rights import usable_structure_ids
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, operation
from sandbox.factures import errors
from sandbox.factures.api.followups import attach_pieces
from sandbox.factures.documents import day
from sandbox.factures.models import Facture, PieceJointe
from sandbox.factures.rules import routing as checks
from sandbox.factures.rules.lifecycle import enter_deposee_and_route
from sandbox.factures.rules.table import CADRES_FLUX, NUMERO
from sandbox.factures.rules.validation import WITH_VALIDATOR, Validator, designate
from sandbox.factures.schemas import soumettre as sc
from sandbox.models import Service, Structure
from sandbox.vocabulary import CadreFacturation, ModeDepot, StatutFacture, StatutStructure

BASE = "/cpro/factures/v1"
API_MODES = (ModeDepot.SAISIE_API, ModeDepot.DEPOT_PDF_API, ModeDepot.DEPOT_PDF_SIGNE_API)
# Plain invoices and the works cadres without MOE; the other frameworks go through the
# FacturesTravaux API, which names the MOE (§6.5). The same as a flux's (rules/table.py
# GES-14, GES-12).
PLAIN_CADRES = tuple(CADRES_FLUX.values())
TOLERANCE = 0.01


def _supplier(ctx: Context, f: sc.SoumettreFournisseur | None) -> tuple[Structure, Service | None]:
    if f is None or f.idFournisseur is None:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : fournisseur.idFournisseur."
        )
    structure = ctx.s.get(Structure, f.idFournisseur)
    if structure is None or structure.statut != StatutStructure.ACTIF:
        raise errors.FournisseurInvalide(
            f"Le fournisseur {f.idFournisseur} est inconnu ou inactif."
        )
    if structure.id not in usable_structure_ids(ctx.s, ctx.caller.user):
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires pour "
            f"soumettre une facture pour le fournisseur {structure.identifiant}."
        )
    service = None
    if f.idServiceFournisseur is not None:
        service = ctx.s.get(Service, f.idServiceFournisseur)
        if service is None or service.structure_id != structure.id or not service.est_actif:
            raise errors.FournisseurInvalide(
                f"Le service {f.idServiceFournisseur} n'est pas un service actif du fournisseur."
            )
    return structure, service


def _cadre(
    ctx: Context, c: sc.SoumettreCadre | None, fournisseur_id: int
) -> tuple[str, Validator | None]:
    code = (c.codeCadreFacturation if c else None) or CadreFacturation.A1_FACTURE_FOURNISSEUR
    if code not in PLAIN_CADRES:
        raise errors.DonneesFactureInvalides(
            f"Le cadre de facturation {code} passe par une maîtrise d'œuvre ou est celui de la "
            "MOE ou de la MOA : il se dépose par facturesTravaux/v1/soumettre."
        )
    if code not in WITH_VALIDATOR:
        return code, None
    return code, designate(
        ctx.s, c.codeStructureValideur if c else None, c.codeServiceValideur if c else None,
        fournisseur_id,
    )


def date_facture(value: str | None) -> datetime:
    """A ``YYYY-MM-DD`` invoice date (absent: today on the sandbox clock)."""
    if value is None:
        return clock.utcnow_naive()
    try:
        return datetime.strptime(value.strip()[:10], "%Y-%m-%d")
    except ValueError:
        raise errors.DonneesFactureInvalides(
            f"La date de facture {value!r} est invalide (attendu AAAA-MM-JJ)."
        ) from None


def _lines(p: sc.SoumettreFactureParam, saisie: bool) -> tuple[list[dict], list[dict], dict]:
    """Lines, VAT lines (as stored) and the totals (given, else computed)."""
    lignes = [line.model_dump(exclude_none=True) for line in p.lignePoste or []]
    tva = [line.model_dump(exclude_none=True) for line in p.ligneTva or []]
    if saisie and not lignes:
        raise errors.DonneesFactureInvalides(
            "Au moins une ligne de poste (lignePoste) est obligatoire en mode SAISIE_API."
        )
    for i, line in enumerate(lignes, start=1):
        missing = [
            k
            for k in ("lignePosteDenomination", "lignePosteQuantite", "lignePosteMontantUnitaireHT")
            if k not in line
        ]
        if "lignePosteTauxTva" not in line and "lignePosteTauxTvaManuel" not in line:
            missing.append("lignePosteTauxTva")
        if missing:
            raise errors.DonneesFactureInvalides(
                f"Ligne de poste {i} : élément(s) obligatoire(s) manquant(s) : "
                f"{', '.join(missing)}."
            )
        line.setdefault("lignePosteNumero", i)
    m = p.montantTotal or sc.SoumettreMontantTotal()
    computed_ht = sum(
        line["lignePosteQuantite"] * line["lignePosteMontantUnitaireHT"]
        - line.get("lignePosteMontantRemiseHT", 0.0)
        for line in lignes
    )
    ht = m.montantHtTotal if m.montantHtTotal is not None else round(computed_ht, 2)
    vat = m.montantTVA
    if vat is None:
        vat = round(sum(x.get("ligneTvaMontantTvaParTaux", 0.0) for x in tva), 2)
    ttc = m.montantTtcTotal if m.montantTtcTotal is not None else round(ht + vat, 2)
    if abs(ttc - (ht + vat)) > TOLERANCE:
        raise errors.DonneesFactureInvalides(
            f"Le montant TTC ({ttc}) n'est pas égal au montant HT ({ht}) plus la TVA ({vat})."
        )
    if not saisie and ht == 0 and ttc == 0:
        raise errors.DonneesFactureInvalides(
            "Les montants (montantTotal.montantHtTotal, montantTtcTotal) sont obligatoires."
        )
    a_payer = m.montantAPayer if m.montantAPayer is not None else ttc
    return lignes, tva, {"ht": ht, "tva": vat, "ttc": ttc, "a_payer": a_payer}


def _principale(ctx: Context, p: sc.SoumettreFactureParam) -> PieceJointe:
    items = [x for x in p.pieceJointePrincipale or [] if x.pieceJointePrincipaleId is not None]
    if not items:
        raise errors.ParametreFactureManquant(
            "La pièce jointe principale (pieceJointePrincipale.pieceJointePrincipaleId) est "
            "obligatoire en dépôt PDF."
        )
    pj = ctx.s.get(PieceJointe, items[0].pieceJointePrincipaleId)
    if pj is None or pj.owner_user_id != ctx.caller.user.id:
        raise errors.PieceJointeInconnue(
            f"La pièce jointe {items[0].pieceJointePrincipaleId} n'existe pas ou n'appartient "
            "pas à l'utilisateur."
        )
    if pj.facture_id is not None:
        raise errors.PieceJointeInvalide(
            f"La pièce jointe {pj.id} est déjà rattachée à une facture."
        )
    if pj.extension.lower() != "pdf":
        raise errors.PieceJointeInvalide("La pièce jointe principale doit être un PDF.")
    pj.role = "principale"
    pj.designation = items[0].pieceJointePrincipaleDesignation or pj.nom
    return pj


def empreinte(facture: Facture, fournisseur: Structure, destinataire: Structure) -> str:
    """The deposit certificate's fingerprint: SHA-256 of what it certifies."""
    certified = {
        "identifiantFactureCPP": facture.id,
        "numeroFacture": facture.numero_facture,
        "fournisseur": fournisseur.identifiant,
        "destinataire": destinataire.identifiant,
        "montantTtcTotal": str(facture.montant_ttc),
        "dateDepot": facture.date_depot.isoformat(timespec="milliseconds"),
    }
    return hashlib.sha256(json.dumps(certified, sort_keys=True).encode()).hexdigest()


@operation(
    "POST",
    f"{BASE}/soumettre",
    operation_id="soumettreFacture",
    summary="Submit an invoice keyed in as JSON, or built on an uploaded PDF",
    tag="Factures",
    request_model=sc.SoumettreFactureParam,
    response_model=sc.SoumettreFactureRetour,
)
def soumettre(ctx: Context, p: sc.SoumettreFactureParam) -> dict:
    """Validated at once; the answer carries `identifiantFactureCPP`, `numeroFacture`,
    `statutFacture` `DEPOSEE`, `dateDepot`, `identifiantStructure` (the supplier's) and
    `empreinteCertificatDepot`. The invoice is then routed at once: `consulter/historique`
    shows DEPOSEE, EN_COURS_ACHEMINEMENT, MISE_A_DISPOSITION; an A9/A12 invoice waits for
    its validator (`cadreDeFacturation.codeStructureValideur`) in A_VALIDER_1. Errors: 20001
    (supplier not the caller's), 2050x (docs/api.md)."""
    if p.modeDepot is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : modeDepot.")
    if p.modeDepot not in API_MODES:
        raise errors.ModeDepotNonAutorise(
            f"Le mode de dépôt {p.modeDepot} n'est pas accepté par soumettre "
            "(SAISIE_API, DEPOT_PDF_API ou DEPOT_PDF_SIGNE_API)."
        )
    saisie = p.modeDepot == ModeDepot.SAISIE_API
    with db.unit_of_work(ctx.s):
        fournisseur, service_fournisseur = _supplier(ctx, p.fournisseur)
        dest = p.destinataire or sc.SoumettreDestinataire()
        refs = p.references or sc.SoumettreReferences()
        destinataire = checks.recipient(ctx.s, dest.codeDestinataire)
        service = checks.service_and_ej(
            ctx.s, destinataire, dest.codeServiceExecutant, refs.numeroBonCommande,
            check_ej=ctx.settings.factures_ej_check,
        )
        cadre, valideur = _cadre(ctx, p.cadreDeFacturation, fournisseur.id)
        numero = p.numeroFactureSaisi
        if numero is None and not saisie:
            raise errors.ParametreFactureManquant(
                "Le numéro de facture (numeroFactureSaisi) est obligatoire en dépôt PDF."
            )
        if numero is not None:
            if not NUMERO.fullmatch(numero):
                raise errors.DonneesFactureInvalides(
                    f"Le numéro de facture {numero!r} est invalide (20 caractères au plus : "
                    "lettres, chiffres, - _ / +)."
                )
            checks.numero_unique(ctx.s, fournisseur.id, numero)
        lignes, tva, montants = _lines(p, saisie)
        principale = None if saisie else _principale(ctx, p)
        now = clock.utcnow_naive()
        facture = Facture(
            numero_facture=numero or f"PENDING-{now.timestamp()}",
            fournisseur_id=fournisseur.id,
            fournisseur_service_id=service_fournisseur.id if service_fournisseur else None,
            destinataire_id=destinataire.id,
            destinataire_service_id=service.id if service else None,
            code_service_executant=service.code if service else None,
            valideur_structure_id=valideur.structure.id if valideur else None,
            valideur_service_id=valideur.service.id if valideur and valideur.service else None,
            createur_user_id=ctx.caller.user.id,
            mode_depot=p.modeDepot,
            type_facture=refs.typeFacture or "FACTURE",
            type_tva=refs.typeTva,
            mode_paiement=refs.modePaiement,
            cadre_facturation=cadre,
            numero_engagement=refs.numeroBonCommande,
            numero_marche=refs.numeroMarche,
            numero_facture_origine=refs.numeroFactureOrigine,
            montant_ht=montants["ht"],
            montant_tva=montants["tva"],
            montant_ttc=montants["ttc"],
            montant_a_payer=montants["a_payer"],
            devise=(refs.deviseFacture or "EUR").upper(),
            date_facture=date_facture(p.dateFacture),
            date_depot=now,
            statut=StatutFacture.DEPOSEE,
            date_heure_etat_courant=now,
            commentaire=p.commentaire,
            lignes=lignes,
            lignes_tva=tva,
        )
        try:
            ctx.s.add(facture)
            ctx.s.flush()
        except IntegrityError:  # the same number won by a concurrent call (schema constraint)
            ctx.s.rollback()
            raise errors.NumeroFactureExistant() from None
        if numero is None:
            facture.numero_facture = f"FCPP{facture.id}"  # the platform numbers it
        if principale is not None:
            principale.facture_id = facture.id
        attach_pieces(ctx.s, facture, ctx.caller.user, p.pieceJointeComplementaire or [])
        enter_deposee_and_route(ctx.s, facture, at=now, user=ctx.caller.user)
        fingerprint = empreinte(facture, fournisseur, destinataire)
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "dateDepot": day(now),
        "identifiantFactureCPP": facture.id,
        "identifiantStructure": fournisseur.identifiant,
        "numeroFacture": facture.numero_facture,
        "statutFacture": StatutFacture.DEPOSEE,
        "empreinteCertificatDepot": fingerprint,
    }
