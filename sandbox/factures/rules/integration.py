"""Integration of a read flux: the platform's checks, in its order, then the invoices.

factures-reference.md §7.3 and §10.8: XSD (done by ``formats``: the whole flux is
inadmissible) -> supplier known and usable by the depositor -> recipient known and
active (full SIRET) -> service code / EJ according to the recipient's flags (and a
service that requires an EJ) -> service known and active -> mandatory elements
(payment means, cadre de facturation BT-23, number format) -> duplicate number per
supplier. Every failing invoice is rejected alone with a ``listeErreurDP`` entry whose
libellé is in the platform's words: accents stripped, XML path named, several
problems of one invoice joined by ``|``. The flux ends ``IN_INTEGRE``,
``IN_INTEGRE_PARTIEL`` or ``IN_REJETE``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox.accounts import rights
from sandbox.factures.formats import ReadFlux
from sandbox.factures.formats.model import InvoiceData, Value
from sandbox.factures.models import Facture, Flux
from sandbox.factures.rules import lifecycle
from sandbox.factures.rules.flux import Outcome
from sandbox.models import Service, Structure, User
from sandbox.vocabulary import (
    CadreFacturation,
    EtatFlux,
    ModeDepot,
    StatutStructure,
    TypeFacture,
)

# The cadres a flux deposit may use (the others are works invoices: FacturesTravaux).
CADRES_FLUX = {
    "A1": CadreFacturation.A1_FACTURE_FOURNISSEUR,
    "A2": CadreFacturation.A2_FACTURE_FOURNISSEUR_DEJA_PAYEE,
    "A9": CadreFacturation.A9_FACTURE_SOUSTRAITANT,
    "A12": CadreFacturation.A12_FACTURE_COTRAITANT,
}
# numeroFacture: varchar(20), letters, digits and - _ / + (reference §5.1).
NUMERO = re.compile(r"[A-Za-z0-9_/+\-]{1,20}")
ACOMPTE_CODES = frozenset({"386"})
MODE_DEPOT_FLUX = ModeDepot.UPLOAD_API  # docs/decisions.md


def platform_text(text: str) -> str:
    """The platform's libellés carry no accents ("reference", "systeme")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _tag(value: Value) -> str:
    return f"FichierXml.{value.path}.value"


@dataclass
class Checked:
    """What the checks found for one invoice."""

    problems: list[str] = field(default_factory=list)
    fournisseur: Structure | None = None
    destinataire: Structure | None = None
    service: Service | None = None
    cadre: str = CadreFacturation.A1_FACTURE_FOURNISSEUR


def _structure(s: Session, identifiant: str | None) -> Structure | None:
    if not identifiant:
        return None
    return s.scalars(
        select(Structure).where(Structure.identifiant == identifiant).order_by(Structure.id)
    ).first()


def _check_supplier(s: Session, inv: InvoiceData, usable: set[int], c: Checked) -> None:
    supplier = _structure(s, inv.fournisseur.text)
    tag = f"{inv.fournisseur.path}.value"
    if supplier is None:
        c.problems.append(
            "L'identifiant fournisseur de la demande de paiement (balise : "
            f"{tag}) n'est pas reference dans notre systeme."
        )
        return
    if supplier.id not in usable:
        c.problems.append(
            f"La structure (balise : {tag}) n'utilise pas le compte ayant depose le flux : "
            "le compte doit etre rattache a la structure fournisseur."
        )
        return
    if supplier.statut != StatutStructure.ACTIF:
        c.problems.append(f"La structure fournisseur (balise : {tag}) n'est pas active.")
        return
    c.fournisseur = supplier


def _check_recipient(s: Session, inv: InvoiceData, c: Checked) -> None:
    tag = f"{inv.destinataire.path}.value"
    recipient = _structure(s, inv.destinataire.text)
    if recipient is None:
        hint = ""
        if inv.destinataire.text and re.fullmatch(r"\d{9}", inv.destinataire.text):
            hint = " (un SIRET de 14 chiffres est attendu, pas un SIREN)"
        c.problems.append(
            "L'identifiant destinataire de la demande de paiement (balise : "
            f"{tag}) n'est pas reference dans notre systeme{hint}."
        )
        return
    if recipient.statut != StatutStructure.ACTIF:
        c.problems.append(f"Le destinataire (balise : {tag}) n'est pas actif.")
        return
    c.destinataire = recipient


def _check_routing(s: Session, inv: InvoiceData, c: Checked) -> None:
    """Service code and EJ per the recipient's flags, then the service itself."""
    recipient = c.destinataire
    assert recipient is not None
    code, ej = inv.code_service.text, inv.engagement.text
    if recipient.code_service_doit_etre_renseigne and not code:
        c.problems.append(f"L'element {_tag(inv.code_service)} est obligatoire.")
    if recipient.numero_ej_doit_etre_renseigne and not ej:
        c.problems.append(f"L'element {_tag(inv.engagement)} est obligatoire.")
    if recipient.gestion_numero_ej_ou_code_service and not code and not ej:
        c.problems.append(
            f"L'element {_tag(inv.engagement)} est obligatoire si l'element "
            f"{_tag(inv.code_service)} n'est pas renseigne."
        )
    if not code:
        return
    service = s.scalars(
        select(Service).where(Service.structure_id == recipient.id, Service.code == code)
    ).first()
    if service is None:
        c.problems.append(
            f"Le code service (balise : {_tag(inv.code_service)}) n'est pas reference "
            "pour ce destinataire."
        )
        return
    if service.numero_engagement and not ej:
        c.problems.append(
            f"L'element {_tag(inv.engagement)} est obligatoire pour le service {code}."
        )
    if not service.est_actif:
        c.problems.append(f"Le service (balise : {_tag(inv.code_service)}) n'est pas actif.")
        return
    c.service = service


def _check_elements(inv: InvoiceData, c: Checked) -> None:
    """Mandatory and formatted elements."""
    numero = inv.numero.text or ""
    if not NUMERO.fullmatch(numero):
        c.problems.append(
            f"La valeur de l'element {_tag(inv.numero)} n'est pas valide (20 caracteres au "
            "plus : lettres, chiffres, - _ / +)."
        )
    if not inv.is_credit_note and not inv.moyen_paiement.text:
        c.problems.append(f"L'element {_tag(inv.moyen_paiement)} est obligatoire.")
    cadre = (inv.cadre.text or "").strip()
    if not cadre and inv.syntax == "ubl":
        return  # UBL: ProfileID optional, A1 by default (docs/decisions.md)
    if not cadre:
        c.problems.append(f"L'element {_tag(inv.cadre)} est obligatoire.")
        return
    short = cadre.split("_", 1)[0].upper()
    if short not in CADRES_FLUX or (cadre != short and cadre != CADRES_FLUX[short]):
        c.problems.append(
            f"La valeur {platform_text(cadre)[:60]} de l'element {_tag(inv.cadre)} n'est pas "
            "un cadre de facturation valide (A1, A2, A9 ou A12)."
        )
        return
    c.cadre = CADRES_FLUX[short]


def _check_duplicate(s: Session, inv: InvoiceData, seen: set, c: Checked) -> None:
    if c.fournisseur is None or not inv.numero.text:
        return
    key = (c.fournisseur.id, inv.numero.text)
    taken = key in seen or s.scalar(
        select(Facture.id).where(Facture.fournisseur_id == key[0], Facture.numero_facture == key[1])
    )
    if taken:
        c.problems.append(_duplicate(inv))


def _duplicate(inv: InvoiceData) -> str:
    return (
        f"Le numero de facture (balise : {_tag(inv.numero)}) a deja ete utilise par ce "
        "fournisseur : la demande de paiement est un doublon."
    )


def check(s: Session, inv: InvoiceData, usable: set[int], seen: set) -> Checked:
    """Run every rule on one invoice, in the platform's order."""
    c = Checked()
    _check_supplier(s, inv, usable, c)
    _check_recipient(s, inv, c)
    if c.destinataire is not None:
        _check_routing(s, inv, c)
    _check_elements(inv, c)
    _check_duplicate(s, inv, seen, c)
    return c


def _type_facture(inv: InvoiceData) -> str:
    if inv.is_credit_note:
        return TypeFacture.AVOIR
    if inv.type_code in ACOMPTE_CODES:
        return TypeFacture.ACOMPTE
    return TypeFacture.FACTURE


def _facture(
    flux: Flux, inv: InvoiceData, c: Checked, depositor: User | None, at: datetime
) -> Facture:
    assert c.fournisseur is not None and c.destinataire is not None
    return Facture(
        flux_id=flux.id,
        numero_facture=inv.numero.text,
        fournisseur_id=c.fournisseur.id,
        destinataire_id=c.destinataire.id,
        destinataire_service_id=c.service.id if c.service else None,
        code_service_executant=inv.code_service.text,
        createur_user_id=depositor.id if depositor else None,
        mode_depot=MODE_DEPOT_FLUX,
        type_facture=_type_facture(inv),
        cadre_facturation=c.cadre,
        numero_engagement=inv.engagement.text,
        numero_marche=inv.numero_marche,
        numero_facture_origine=inv.numero_facture_origine,
        montant_ht=inv.montant_ht,
        montant_tva=inv.montant_tva,
        montant_ttc=inv.montant_ttc,
        montant_a_payer=inv.montant_a_payer,
        devise=inv.devise,
        date_facture=datetime.combine(inv.date_facture, datetime.min.time())
        if inv.date_facture
        else None,
        date_depot=flux.date_depot,
        date_heure_etat_courant=at,
        lignes=inv.lignes,
        lignes_tva=inv.lignes_tva,
        source_xml=inv.xml,
        source_pdf=inv.pdf,
        source_nom=inv.fichier,
    )


def _erreur_dp(inv: InvoiceData, problems: list[str]) -> dict:
    return {
        "identifiantDestinataire": inv.destinataire.text,
        "identifiantFournisseur": inv.fournisseur.text,
        "libelleErreurDP": platform_text("|".join(problems)),
        "numeroDP": inv.numero.text,
    }


def integrate(s: Session, flux: Flux, read: ReadFlux, at: datetime) -> Outcome:
    """Check and store the invoices of ``flux`` in ``s`` (the caller commits)."""
    if read.errors:
        return Outcome(EtatFlux.IN_REJETE, erreurs_techniques=[e.wire() for e in read.errors])
    depositor = s.get(User, flux.depositor_user_id) if flux.depositor_user_id else None
    usable = rights.usable_structure_ids(s, depositor) if depositor is not None else set()
    outcome = Outcome(EtatFlux.IN_REJETE)
    seen: set = set()
    for inv in read.invoices:
        c = check(s, inv, usable, seen)
        if c.problems:
            outcome.erreurs_dp.append(_erreur_dp(inv, c.problems))
            continue
        facture = _facture(flux, inv, c, depositor, at)
        try:
            with s.begin_nested():  # a concurrent soumettre may have taken the number
                s.add(facture)
                s.flush()
        except IntegrityError:
            outcome.erreurs_dp.append(_erreur_dp(inv, [_duplicate(inv)]))
            continue
        seen.add((facture.fournisseur_id, facture.numero_facture))
        # DEPOSEE -> EN_COURS_ACHEMINEMENT -> MISE_A_DISPOSITION
        lifecycle.enter_deposee_and_route(s, facture, at=at, user=depositor)
        outcome.factures.append(facture)
    if outcome.factures:
        outcome.etat = EtatFlux.IN_INTEGRE_PARTIEL if outcome.erreurs_dp else EtatFlux.IN_INTEGRE
    return outcome
