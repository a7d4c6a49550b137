"""The invoice data read from a file, and the technical errors of a flux."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

NATURE_BLOQUANTE = "BLOQUANTE"  # natureErreur: the real values are not attested


@dataclass
class TechnicalError:
    """One ``listeErreurTechnique`` entry."""

    code: str
    libelle: str
    nature: str = NATURE_BLOQUANTE

    def wire(self) -> dict:
        return {"codeErreur": self.code, "libelleErreur": self.libelle, "natureErreur": self.nature}

    @classmethod
    def xsd(
        cls, message: str, line: int, column: int, fichier: str | None = None
    ) -> TechnicalError:
        # The platform's shape (reference §4.4); ``fichier`` (a bundle's member) is
        # not part of it and is left out.
        return cls("ERR_XSD_001", f"IRRECEVABILITE: {message} - ligne: {line} - position: {column}")

    @classmethod
    def format(cls, message: str) -> TechnicalError:
        return cls("ERR_FORMAT_001", f"IRRECEVABILITE: {message}")

    @classmethod
    def syntaxe_non_prise_en_charge(cls, syntaxe: str) -> TechnicalError:
        return cls(
            "ERR_SYNTAXE_001",
            f"IRRECEVABILITE: la syntaxe {syntaxe} n'est pas simulee par le bac a sable "
            "(syntaxes simulees : UBL 2.1, CII D16B, Factur-X).",
        )


@dataclass
class Value:
    """A value read from the XML and the path of its element, for the CR's libellés."""

    text: str | None
    path: str


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
    code_service: Value
    engagement: Value
    cadre: Value
    moyen_paiement: Value
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

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_CODES


# UNTDID 1001: 381 credit note, 261/262/296/308/396/420/458/532 credit-type documents.
CREDIT_NOTE_CODES = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
