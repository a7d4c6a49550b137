"""The invoice data read from a file, and the technical errors of a flux."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

NATURE_BLOQUANTE = "BLOQUANTE"  # natureErreur: the real values are not attested


@dataclass
class TechnicalError:
    """One ``listeErreurTechnique`` entry, with the rule of ``rules/table.py`` that found it
    and, where there is one, its place in the deposited file (not part of the wire)."""

    code: str
    libelle: str
    nature: str = NATURE_BLOQUANTE
    regle: str = "TEC-05"
    fichier: str | None = None
    ligne: int | None = None
    colonne: int | None = None

    def wire(self) -> dict:
        return {"codeErreur": self.code, "libelleErreur": self.libelle, "natureErreur": self.nature}

    @classmethod
    def xsd(
        cls, message: str, line: int, column: int, fichier: str | None = None
    ) -> TechnicalError:
        # The platform's shape (reference §4.4); ``fichier`` (a bundle's member) is
        # not part of it and is kept beside, for the explanation.
        return cls(
            "ERR_XSD_001",
            f"IRRECEVABILITE: {message} - ligne: {line} - position: {column}",
            regle="TEC-05",
            fichier=fichier,
            ligne=line or None,
            colonne=column or None,
        )

    @classmethod
    def not_well_formed(
        cls, message: str, line: int, column: int, fichier: str | None = None
    ) -> TechnicalError:
        error = cls.xsd(message, line, column, fichier)
        error.regle = "TEC-04"
        return error

    @classmethod
    def format(
        cls, message: str, regle: str = "TEC-02", fichier: str | None = None
    ) -> TechnicalError:
        return cls("ERR_FORMAT_001", f"IRRECEVABILITE: {message}", regle=regle, fichier=fichier)

    @classmethod
    def syntaxe_non_prise_en_charge(cls, syntaxe: str) -> TechnicalError:
        return cls(
            "ERR_SYNTAXE_001",
            f"IRRECEVABILITE: la syntaxe {syntaxe} n'est pas simulee par le bac a sable "
            "(syntaxes simulees : UBL 2.1, CII D16B, Factur-X).",
            regle="TEC-01",
        )


@dataclass
class Value:
    """A value read from the XML and the path of its element, for the CR's libellés; the
    element itself (``node``) or, when it is absent, the deepest element of its path that
    is there (``anchor``), to say where in the file a rule looked."""

    text: str | None
    path: str
    node: etree._Element | None = None
    anchor: etree._Element | None = None

    @property
    def where(self) -> etree._Element | None:
        return self.node if self.node is not None else self.anchor


@dataclass
class TaxBlock:
    """One CII ``ApplicableTradeTax`` (a line's or the header's) and its VAT codes."""

    path: str  # dotted, without FichierXml. (...ApplicableHeaderTradeSettlement.ApplicableTradeTax)
    node: etree._Element
    type_code: str | None
    category_code: str | None


@dataclass
class GrossPrice:
    """One CII line's ``GrossPriceProductTradePrice`` and whether it carries the allowance
    amount (``AppliedTradeAllowanceCharge/ActualAmount``)."""

    node: etree._Element
    actual_amount: str | None


@dataclass
class InvoiceData:
    """One invoice (demande de paiement) as read from its XML."""

    fichier: str
    syntax: str  # "ubl" or "cii"
    numero: Value
    type_code: str | None
    date_facture: date | None
    devise: str
    fournisseur: Value
    destinataire: Value
    code_service: Value  # BT-10 BuyerReference
    engagement: Value
    cadre: Value  # BT-23: CII BusinessProcess...ID, UBL ProfileID
    moyen_paiement: Value
    # BT-46 with schemeID 0224 (the 2026 "code de routage", BR-FR-CPRO-11/13).
    code_routage: Value = field(default_factory=lambda: Value(None, ""))
    # UBL AccountingCustomerParty/Party/Contact/ID, where OCA writes the service code.
    contact_service: Value = field(default_factory=lambda: Value(None, ""))
    # UBL UBLExtensions/.../ExtensionContent/CategoryCode (the E2 UBL minimal template's cadre).
    cadre_extension: Value = field(default_factory=lambda: Value(None, ""))
    # UBL AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject (E2 UBL minimal).
    piece_jointe: Value = field(default_factory=lambda: Value(None, ""))
    taxes: list[TaxBlock] = field(default_factory=list)  # CII only
    prix_bruts: list[GrossPrice] = field(default_factory=list)  # CII only
    syntaxe: str = ""  # the flux's syntaxeFlux
    numero_marche: str | None = None
    numero_facture_origine: str | None = None
    montant_ht: Decimal = Decimal("0")
    montant_tva: Decimal = Decimal("0")
    montant_ttc: Decimal = Decimal("0")
    montant_a_payer: Decimal = Decimal("0")
    lignes: list[dict] = field(default_factory=list)
    lignes_tva: list[dict] = field(default_factory=list)
    xml: bytes = b""
    pdf: bytes | None = None
    root: etree._Element | None = None  # the parsed file (positions, the stricter judgement)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_CODES


# UNTDID 1001: 381 credit note, 261/262/296/308/396/420/458/532 credit-type documents.
CREDIT_NOTE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
