"""Integration of a read flux: the platform's checks (``checks.py``, in its order, one
table: ``table.py``), then the invoices that pass.

factures-reference.md §7.3 and §10.8: XSD (done by ``formats``: the whole flux is
inadmissible) -> supplier known and usable by the depositor -> recipient known and
active (full SIRET) -> service code / EJ according to the recipient's flags (and a
service that requires an EJ) -> service known and active -> mandatory elements
(number, payment means, cadre BT-23, VAT codes, gross price) -> duplicate number per
supplier -> (under the switch) the stricter judgement. Every failing invoice is
rejected alone with a ``listeErreurDP`` entry whose libellé is in the platform's words:
accents stripped, XML path named, several problems of one invoice joined by ``|``; the
sandbox keeps beside it the explanation of each (``Outcome.explications``). The flux
ends ``IN_INTEGRE``, ``IN_INTEGRE_PARTIEL`` or ``IN_REJETE``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox.accounts import rights
from sandbox.config import Settings
from sandbox.factures.formats import ReadFlux
from sandbox.factures.formats.model import InvoiceData
from sandbox.factures.models import Facture, Flux
from sandbox.factures.rules import lifecycle
from sandbox.factures.rules.checks import (
    Checked,
    check_invoice,
    duplicate,
    erreur_dp,
    explain_technical,
)
from sandbox.factures.rules.flux import Outcome
from sandbox.models import User
from sandbox.vocabulary import EtatFlux, ModeDepot, TypeFacture

ACOMPTE_CODES = frozenset({"386"})
MODE_DEPOT_FLUX = ModeDepot.UPLOAD_API  # docs/decisions.md


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
        code_service_executant=c.code_service.text if c.code_service else None,
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


def integrate(
    s: Session, flux: Flux, read: ReadFlux, at: datetime, settings: Settings | None = None
) -> Outcome:
    """Check and store the invoices of ``flux`` in ``s`` (the caller commits)."""
    if read.errors:
        return Outcome(EtatFlux.IN_REJETE, erreurs_techniques=[e.wire() for e in read.errors],
                       explications=[explain_technical(e) for e in read.errors])
    depositor = s.get(User, flux.depositor_user_id) if flux.depositor_user_id else None
    usable = rights.usable_structure_ids(s, depositor) if depositor is not None else set()
    outcome = Outcome(EtatFlux.IN_REJETE)
    seen: set[tuple[int, str]] = set()
    for inv in read.invoices:
        c = check_invoice(s, inv, usable, seen, settings=settings)
        outcome.strict = outcome.strict or c.strict
        outcome.notes += [{**f.explain(inv), "libelle": f.libelle} for f in c.notes]
        if c.findings:
            _reject(outcome, inv, c)
            continue
        facture = _facture(flux, inv, c, depositor, at)
        try:
            with s.begin_nested():  # a concurrent soumettre may have taken the number
                s.add(facture)
                s.flush()
        except IntegrityError:
            _reject(outcome, inv, Checked(findings=[duplicate(inv)]))
            continue
        seen.add((facture.fournisseur_id, facture.numero_facture))
        # DEPOSEE -> EN_COURS_ACHEMINEMENT -> MISE_A_DISPOSITION
        lifecycle.enter_deposee_and_route(s, facture, at=at, user=depositor)
        outcome.factures.append(facture)
    if outcome.factures:
        outcome.etat = EtatFlux.IN_INTEGRE_PARTIEL if outcome.erreurs_dp else EtatFlux.IN_INTEGRE
    return outcome


def _reject(outcome: Outcome, inv: InvoiceData, c: Checked) -> None:
    outcome.erreurs_dp.append(erreur_dp(inv, c.findings))
    outcome.explications += [f.explain(inv) for f in c.findings]
