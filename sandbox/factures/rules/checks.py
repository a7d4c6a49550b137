"""The management rules (and, under the switch, the stricter judgement) of one invoice,
in the platform's order; ``table.py`` says what each is, ``integration.py`` stores what
passes, and ``judge`` answers "what would the platform say of this file" without storing
anything (``POST /_sandbox/factures/check``, ``chorus-sandbox check-invoice``). One copy
of each rule: the flux, the check without deposit and ``soumettre`` (``service_rules``)
all call these functions.

Every failing rule of an invoice is reported (a ``Finding``: its rule id, the CR's
libellé, the element it is about); the CR joins them with ``|``, accents stripped. Each
finding also explains itself (``explain``): where in the deposited file (line, column),
why, how to fix, beyond what the real platform says.

A rules module: it takes a session, settings, a user and bytes; no Flask, no registry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.accounts import rights
from sandbox.config import Settings
from sandbox.factures.formats import ReadFlux, read_flux, schematron
from sandbox.factures.formats.model import InvoiceData, TechnicalError, Value
from sandbox.factures.formats.xpaths import position
from sandbox.factures.models import Facture, OptionsFournisseur
from sandbox.factures.rules.table import (
    CADRE_PAR_DEFAUT,
    CADRES_FLUX,
    NUMERO,
    PROFILE_URI,
    element,
    rule,
)
from sandbox.models import EngagementJuridique, Service, Structure, User
from sandbox.vocabulary import EtatFlux, StatutStructure


def platform_text(text: str) -> str:
    """The platform's libellés carry no accents ("reference", "systeme")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, params: dict[str, Any]) -> str:
    return template.format_map(_Blank({k: "" if v is None else v for k, v in params.items()}))


@dataclass
class Finding:
    """One rule an invoice fails (or, in ``notes``, a default the platform applied)."""

    rule: str
    libelle: str
    value: Value | None = None  # the element it is about (or where it was looked for)
    params: dict[str, Any] = field(default_factory=dict)

    def explain(self, inv: InvoiceData | None) -> dict[str, Any]:
        """The explanation the sandbox gives beyond the platform's libellé."""
        r = rule(self.rule)
        where = self.value.where if self.value is not None else None
        line, column = position(inv.xml, where) if inv is not None and where is not None else (
            None, None)
        return {
            "regle": self.rule,
            "libelle": platform_text(self.libelle),
            "numeroDP": inv.numero.text if inv is not None else None,
            "element": self.value.path if self.value is not None and self.value.path else None,
            "absent": self.value is not None and self.value.node is None,
            "fichier": inv.fichier if inv is not None else None,
            "ligne": line,
            "colonne": column,
            "why": _fill(r.why, self.params),
            "fix": _fill(r.fix, self.params),
            "pourquoi": _fill(r.pourquoi, self.params),
            "correction": _fill(r.correction, self.params),
        }


def explain_technical(error: TechnicalError) -> dict[str, Any]:
    """The explanation of one ``listeErreurTechnique`` entry."""
    r = rule(error.regle)
    params = {"fichier": error.fichier}
    return {
        "regle": error.regle,
        "libelle": error.libelle,
        "numeroDP": None,
        "element": None,
        "absent": False,
        "fichier": error.fichier,
        "ligne": error.ligne,
        "colonne": error.colonne,
        "why": _fill(r.why, params),
        "fix": _fill(r.fix, params),
        "pourquoi": _fill(r.pourquoi, params),
        "correction": _fill(r.correction, params),
    }


@dataclass
class Checked:
    """What the rules found for one invoice."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    fournisseur: Structure | None = None
    destinataire: Structure | None = None
    service: Service | None = None
    code_service: Value | None = None
    cadre: str = CADRE_PAR_DEFAUT
    strict: bool = False

    @property
    def problems(self) -> list[str]:
        return [f.libelle for f in self.findings]

    def fail(self, rule_id: str, value: Value | None = None, **params: Any) -> None:
        params.setdefault("valeur", value.text if value is not None else None)
        label = _fill(rule(rule_id).label, {
            "balise": f"{value.path}.value" if value is not None else "",
            "element": element(value.path) if value is not None else "",
            **params,
        })
        self.findings.append(Finding(rule_id, label, value, params))


# --- the rules, in the platform's order ---------------------------------------------------


def _structure(s: Session, identifiant: str | None) -> Structure | None:
    if not identifiant:
        return None
    return s.scalars(
        select(Structure).where(Structure.identifiant == identifiant).order_by(Structure.id)
    ).first()


def check_supplier(s: Session, inv: InvoiceData, usable: set[int] | None, c: Checked) -> None:
    """GES-01..03; ``usable`` None: no depositing account (a check without deposit), GES-02
    is not applied."""
    supplier = _structure(s, inv.fournisseur.text)
    if supplier is None:
        c.fail("GES-01", inv.fournisseur)
        return
    if usable is not None and supplier.id not in usable:
        c.fail("GES-02", inv.fournisseur)
        return
    if supplier.statut != StatutStructure.ACTIF:
        c.fail("GES-03", inv.fournisseur)
        return
    c.fournisseur = supplier


def check_recipient(s: Session, inv: InvoiceData, c: Checked) -> None:
    """GES-04, GES-05."""
    recipient = _structure(s, inv.destinataire.text)
    if recipient is None:
        hint = ""
        if inv.destinataire.text and re.fullmatch(r"\d{9}", inv.destinataire.text):
            hint = " (un SIRET de 14 chiffres est attendu, pas un SIREN)"
        c.fail("GES-04", inv.destinataire, indice=hint)
        return
    if recipient.statut != StatutStructure.ACTIF:
        c.fail("GES-05", inv.destinataire)
        return
    c.destinataire = recipient


def service_value(inv: InvoiceData) -> Value:
    """The service code and where it was read: BT-10 BuyerReference, else BT-46 with
    schemeID 0224, else (UBL) AccountingCustomerParty/Party/Contact/ID; none: BT-10's path
    (the one the attested libellé names). docs/decisions.md."""
    for candidate in (inv.code_service, inv.code_routage, inv.contact_service):
        if candidate.text:
            return candidate
    return inv.code_service


def service_rules(
    s: Session, recipient: Structure, code: str | None, ej: str | None, *, check_ej: bool = True
) -> tuple[Service | None, list[str]]:
    """The recipient's service named ``code`` (when it is usable) and the rules it fails,
    in order: GES-06 service mandatory, GES-07 EJ mandatory, GES-08 EJ or service, GES-09
    unknown service, GES-10 service requiring an EJ, GES-11 inactive service, GES-19 EJ
    unknown to a recipient that manages EJs (``check_ej``: SANDBOX_FACTURES_EJ_CHECK).
    Shared by the flux and by ``soumettre``/``recycler`` (``routing.service_and_ej``)."""
    failed = []
    if recipient.code_service_doit_etre_renseigne and not code:
        failed.append("GES-06")
    if recipient.numero_ej_doit_etre_renseigne and not ej:
        failed.append("GES-07")
    if recipient.gestion_numero_ej_ou_code_service and not code and not ej:
        failed.append("GES-08")
    service = None
    if code:
        service = s.scalars(
            select(Service).where(Service.structure_id == recipient.id, Service.code == code)
        ).first()
        if service is None:
            failed.append("GES-09")
        else:
            if service.numero_engagement and not ej:
                failed.append("GES-10")
            if not service.est_actif:
                failed.append("GES-11")
    if check_ej and ej and ej_unknown(s, recipient, service, ej):
        failed.append("GES-19")
    usable = service is not None and service.est_actif
    return (service if usable else None), failed


def manages_ej(recipient: Structure, service: Service | None) -> bool:
    """Whether the recipient keeps legal commitments its invoices must cite: it requires an
    EJ (alone or instead of a service), or the service named requires one."""
    return bool(recipient.numero_ej_doit_etre_renseigne
                or recipient.gestion_numero_ej_ou_code_service
                or (service is not None and service.numero_engagement))


def ej_unknown(s: Session, recipient: Structure, service: Service | None, ej: str) -> bool:
    """GES-19: a recipient that manages EJs issued none numbered ``ej``."""
    if not manages_ej(recipient, service):
        return False
    return s.scalar(select(EngagementJuridique.id).where(
        EngagementJuridique.emetteur_structure_id == recipient.id,
        EngagementJuridique.numero == ej.strip())) is None


def check_routing(s: Session, inv: InvoiceData, c: Checked, *, check_ej: bool = True) -> None:
    """GES-06..11 (service code and EJ, by the recipient's flags and the service's), GES-19
    (the EJ is one of the recipient's)."""
    recipient = c.destinataire
    assert recipient is not None
    service_v = service_value(inv)
    c.code_service = service_v
    code, ej = service_v.text, inv.engagement.text
    service, failed = service_rules(s, recipient, code, ej, check_ej=check_ej)
    for rule_id in failed:
        if rule_id in ("GES-07", "GES-10"):
            c.fail(rule_id, inv.engagement, destinataire=recipient.identifiant,
                   ej=element(inv.engagement.path), code=code,
                   valeur=code if rule_id == "GES-10" else None)
        elif rule_id == "GES-08":
            c.fail(rule_id, inv.engagement, destinataire=recipient.identifiant,
                   ej=element(inv.engagement.path), service=element(service_v.path))
        elif rule_id == "GES-19":
            c.fail(rule_id, inv.engagement, destinataire=recipient.identifiant)
        else:
            c.fail(rule_id, service_v, destinataire=recipient.identifiant)
    c.service = service


def cadre_value(inv: InvoiceData) -> tuple[Value | None, list[Value]]:
    """BT-23 as the platform reads it, and the values set aside as profile identifiers: CII
    BusinessProcessSpecifiedDocumentContextParameter/ID; UBL ProfileID, else the
    UBLExtensions CategoryCode (the E2 UBL minimal template's). A URN or URL (Peppol's
    ProfileID, a specification) is no cadre."""
    candidates = [inv.cadre] + ([inv.cadre_extension] if inv.syntax == "ubl" else [])
    ignored = []
    for candidate in candidates:
        text = (candidate.text or "").strip()
        if not text:
            continue
        if PROFILE_URI.match(text):
            ignored.append(candidate)
            continue
        return candidate, ignored
    return None, ignored


def check_elements(inv: InvoiceData, c: Checked) -> None:
    """GES-12 number, GES-13 payment means, GES-14 cadre, GES-15 VAT codes, GES-16 gross
    price, GES-17 the E2 UBL minimal's PDF."""
    if not NUMERO.fullmatch(inv.numero.text or ""):
        c.fail("GES-12", inv.numero)
    if (not inv.is_credit_note and not inv.moyen_paiement.text
            and rule("GES-13").applies_to(inv.syntaxe)):
        c.fail("GES-13", inv.moyen_paiement)
    _check_cadre(inv, c)
    if rule("GES-15").applies_to(inv.syntaxe):
        for tax in inv.taxes:
            for code, text in (("TypeCode", tax.type_code), ("CategoryCode", tax.category_code)):
                if not text:
                    c.fail("GES-15", Value(None, f"{tax.path}.{code}", anchor=tax.node), code=code)
    if rule("GES-16").applies_to(inv.syntaxe):
        for price in inv.prix_bruts:
            if not price.actual_amount:
                c.fail("GES-16", Value(
                    None, "SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem."
                    "SpecifiedLineTradeAgreement.GrossPriceProductTradePrice."
                    "AppliedTradeAllowanceCharge.ActualAmount", anchor=price.node))
    if rule("GES-17").applies_to(inv.syntaxe) and not inv.piece_jointe.text:
        c.fail("GES-17", inv.piece_jointe)


def _check_cadre(inv: InvoiceData, c: Checked) -> None:
    found, ignored = cadre_value(inv)
    for profile in ignored:
        c.notes.append(Finding("GES-14", f"{profile.path} = {profile.text} : identifiant de "
                               "profil, pas un cadre de facturation (ignore).", profile))
    if found is None:
        c.notes.append(Finding("GES-14", f"Cadre de facturation absent : {CADRE_PAR_DEFAUT} "
                               "retenu par defaut.", inv.cadre))
        return
    text = (found.text or "").strip()
    short = text.split("_", 1)[0].upper()
    if short not in CADRES_FLUX or (text != short and text != CADRES_FLUX[short]):
        c.fail("GES-14", found, valeur=platform_text(text)[:60])
        return
    c.cadre = CADRES_FLUX[short]


def check_duplicate(s: Session, inv: InvoiceData, seen: set[tuple[int, str]], c: Checked) -> None:
    """GES-18: the number is new for this supplier (in the platform and in this flux)."""
    if c.fournisseur is None or not inv.numero.text:
        return
    key = (c.fournisseur.id, inv.numero.text)
    taken = key in seen or s.scalar(
        select(Facture.id).where(Facture.fournisseur_id == key[0], Facture.numero_facture == key[1])
    )
    if taken:
        c.fail("GES-18", inv.numero)


def duplicate(inv: InvoiceData) -> Finding:
    """GES-18's finding, for a number taken between the check and the insert."""
    c = Checked()
    c.fail("GES-18", inv.numero)
    return c.findings[0]


def check_strict(inv: InvoiceData, c: Checked) -> None:
    """STR-EN16931, STR-BR-FR: every fatal assert of the official artefacts (the switch)."""
    c.strict = True
    root = inv.root
    if root is None:
        return
    for found in schematron.validate(inv.syntax, root):
        if not found.fatal:
            continue
        # The element is given by its line and column (the SVRL location is an XPath).
        c.fail(found.rule, Value(found.id, "", node=found.node), id=found.id,
               texte=found.text[:400], valeur=found.id)


def check_invoice(
    s: Session,
    inv: InvoiceData,
    usable: set[int] | None,
    seen: set[tuple[int, str]],
    *,
    strict: bool | None = None,
    settings: Settings | None = None,
) -> Checked:
    """Every rule on one invoice, in the platform's order. ``strict`` None: the supplier's
    option, else the setting (``strict_for``)."""
    c = Checked()
    check_supplier(s, inv, usable, c)
    check_recipient(s, inv, c)
    if c.destinataire is not None:
        check_routing(s, inv, c, check_ej=settings.factures_ej_check if settings else True)
    else:
        c.code_service = service_value(inv)
    check_elements(inv, c)
    check_duplicate(s, inv, seen, c)
    if strict is None:
        strict = strict_for(s, settings, c.fournisseur)
    if strict:
        check_strict(inv, c)
    return c


def strict_for(s: Session, settings: Settings | None, supplier: Structure | None) -> bool:
    """Whether the stricter judgement runs on an invoice of ``supplier``: its option
    (control plane), else ``SANDBOX_FACTURES_STRICT``."""
    if supplier is not None:
        option = s.get(OptionsFournisseur, supplier.id)
        if option is not None and option.strict is not None:
            return option.strict
    return bool(settings.factures_strict) if settings is not None else False


# --- the check without deposit -------------------------------------------------------------


@dataclass
class Verdict:
    """What the platform would say of a file: the flux state and, per invoice, its CR."""

    etat: str
    erreurs_techniques: list[dict[str, Any]] = field(default_factory=list)
    factures: list[dict[str, Any]] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return {
            "etatCourantDepotFlux": self.etat,
            "listeErreurTechnique": self.erreurs_techniques,
            "factures": self.factures,
        }


def erreur_dp(inv: InvoiceData, findings: list[Finding]) -> dict[str, Any]:
    """One ``listeErreurDP`` entry: every failing rule of the invoice, ``|``-joined."""
    return {
        "identifiantDestinataire": inv.destinataire.text,
        "identifiantFournisseur": inv.fournisseur.text,
        "libelleErreurDP": platform_text("|".join(f.libelle for f in findings)),
        "numeroDP": inv.numero.text,
    }


def judge_read(
    s: Session,
    read: ReadFlux,
    usable: set[int] | None,
    *,
    strict: bool | None = None,
    settings: Settings | None = None,
) -> Verdict:
    """The verdict on a read flux, without storing anything."""
    if read.errors:
        return Verdict(EtatFlux.IN_REJETE, erreurs_techniques=[
            {**e.wire(), "explication": explain_technical(e)} for e in read.errors])
    verdict = Verdict(EtatFlux.IN_REJETE)
    seen: set[tuple[int, str]] = set()
    integrated = 0
    for inv in read.invoices:
        c = check_invoice(s, inv, usable, seen, strict=strict, settings=settings)
        if not c.findings and c.fournisseur is not None and inv.numero.text:
            seen.add((c.fournisseur.id, inv.numero.text))
            integrated += 1
        verdict.factures.append({
            "numeroFacture": inv.numero.text,
            "fichier": inv.fichier,
            "integree": not c.findings,
            "erreurDP": erreur_dp(inv, c.findings) if c.findings else None,
            "cadreFacturation": c.cadre if not c.findings else None,
            "codeServiceExecutant": c.code_service.text if c.code_service else None,
            "strict": c.strict,
            "explications": [f.explain(inv) for f in c.findings],
            "notes": [{**f.explain(inv), "libelle": f.libelle} for f in c.notes],
        })
    if integrated:
        partial = integrated < len(read.invoices)
        verdict.etat = EtatFlux.IN_INTEGRE_PARTIEL if partial else EtatFlux.IN_INTEGRE
    return verdict


def judge(
    s: Session,
    settings: Settings,
    user: User | None,
    syntaxe: str,
    nom_fichier: str,
    content: bytes,
    *,
    strict: bool | None = None,
) -> Verdict:
    """What the platform would say of ``content`` deposited by ``user`` (None: no account,
    GES-02 not applied) as ``syntaxe``: the same reading and rules as the worker, nothing
    stored. ``strict`` None: each supplier's option, else the setting."""
    if strict and not schematron.available():
        raise schematron.StrictUnavailable(schematron.missing_extra_message())
    usable = rights.usable_structure_ids(s, user) if user is not None else None
    return judge_read(s, read_flux(syntaxe, nom_fichier, content), usable, strict=strict,
                      settings=settings)
