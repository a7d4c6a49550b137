"""UBL 2.1 Invoice / CreditNote: the data the platform checks and stores.

Paths named in the CR are those of the attested libellés
("AccountingSupplierParty.Party.PartyIdentification.ID.value", reference §4.2).
"""

from __future__ import annotations

from lxml import etree

from sandbox.factures.formats.model import InvoiceData
from sandbox.factures.formats.xpaths import Reader, amount, iso_date, number

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
ROUTAGE = "0224"  # schemeID of the 2026 routing code (BT-46, BR-FR-CPRO-11/13)
NOT_ROUTAGE = f"[not(@schemeID='{ROUTAGE}')]"


def read(root: etree._Element, fichier: str) -> InvoiceData:
    """Read an XSD-valid UBL Invoice or CreditNote."""
    r = Reader(root, NS)
    credit = etree.QName(root).localname == "CreditNote"
    supplier = "cac:AccountingSupplierParty/cac:Party"
    customer = "cac:AccountingCustomerParty/cac:Party"
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    quantity_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    lignes = []
    for line in r.nodes(line_tag):
        quantity = r.nodes(quantity_tag, line)
        lignes.append(
            {
                "lignePosteNumero": r.first("cbc:ID", node=line),
                "lignePosteReference": r.first(
                    "cac:Item/cac:SellersItemIdentification/cbc:ID", node=line
                ),
                "lignePosteDenomination": r.first("cac:Item/cbc:Name", node=line),
                "lignePosteQuantite": number(quantity[0].text if quantity else None),
                "lignePosteUnite": quantity[0].get("unitCode") if quantity else None,
                "lignePosteMontantUnitaireHT": number(
                    r.first("cac:Price/cbc:PriceAmount", node=line)
                ),
                "lignePosteMontantRemiseHT": None,
                "lignePosteTauxTva": None,
                "lignePosteTauxTvaManuel": number(
                    r.first("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", node=line)
                ),
            }
        )
    lignes_tva = [
        {
            "ligneTvaTaux": None,
            "ligneTvaTauxManuel": number(r.first("cac:TaxCategory/cbc:Percent", node=sub)),
            "ligneTvaMontantBaseHtParTaux": number(r.first("cbc:TaxableAmount", node=sub)),
            "ligneTvaMontantTvaParTaux": number(r.first("cbc:TaxAmount", node=sub)),
        }
        for sub in r.nodes("cac:TaxTotal/cac:TaxSubtotal")
    ]
    type_code = r.first("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    return InvoiceData(
        fichier=fichier,
        syntax="ubl",
        numero=r.value("ID", "cbc:ID"),
        type_code=type_code or ("381" if credit else "380"),
        date_facture=iso_date(r.first("cbc:IssueDate")),
        devise=r.first("cbc:DocumentCurrencyCode") or "EUR",
        fournisseur=r.value(
            "AccountingSupplierParty.Party.PartyIdentification.ID",
            f"{supplier}/cac:PartyIdentification/cbc:ID",
            f"{supplier}/cac:PartyLegalEntity/cbc:CompanyID",
        ),
        destinataire=r.value(
            "AccountingCustomerParty.Party.PartyIdentification.ID",
            f"{customer}/cac:PartyIdentification/cbc:ID{NOT_ROUTAGE}",
            f"{customer}/cac:PartyLegalEntity/cbc:CompanyID",
        ),
        code_service=r.value("BuyerReference", "cbc:BuyerReference"),
        code_routage=r.value(
            "AccountingCustomerParty.Party.PartyIdentification.ID",
            f"{customer}/cac:PartyIdentification/cbc:ID[@schemeID='{ROUTAGE}']",
        ),
        contact_service=r.value(
            "AccountingCustomerParty.Party.Contact.ID", f"{customer}/cac:Contact/cbc:ID"
        ),
        engagement=r.value("OrderReference.ID", "cac:OrderReference/cbc:ID"),
        cadre=r.value("ProfileID", "cbc:ProfileID"),
        cadre_extension=r.value(
            "UBLExtensions.UBLExtension.ExtensionContent.CategoryCode",
            "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/*[local-name()='CategoryCode']",
        ),
        piece_jointe=r.value(
            "AdditionalDocumentReference.Attachment.EmbeddedDocumentBinaryObject",
            "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
        ),
        moyen_paiement=r.value(
            "PaymentMeans.PaymentMeansCode", "cac:PaymentMeans/cbc:PaymentMeansCode"
        ),
        numero_marche=r.first("cac:ContractDocumentReference/cbc:ID"),
        numero_facture_origine=r.first("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        montant_ht=amount(r.first("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")),
        montant_tva=amount(r.first("cac:TaxTotal/cbc:TaxAmount")),
        montant_ttc=amount(r.first("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
        montant_a_payer=amount(r.first("cac:LegalMonetaryTotal/cbc:PayableAmount")),
        lignes=lignes,
        lignes_tva=lignes_tva,
    )
