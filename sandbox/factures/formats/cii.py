"""UN/CEFACT CII D16B (and the CII of a Factur-X): the data the platform checks.

Paths named in the CR follow the attested libellés (reference §4.4:
"FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement.
SpecifiedTradeSettlementPaymentMeans.TypeCode.value").
"""

from __future__ import annotations

from lxml import etree

from sandbox.factures.formats.model import GrossPrice, InvoiceData, TaxBlock
from sandbox.factures.formats.xpaths import Reader, amount, iso_date, number

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TX = "rsm:SupplyChainTradeTransaction"
AGREEMENT = f"{TX}/ram:ApplicableHeaderTradeAgreement"
SETTLEMENT = f"{TX}/ram:ApplicableHeaderTradeSettlement"
P_AGREEMENT = "SupplyChainTradeTransaction.ApplicableHeaderTradeAgreement"
P_SETTLEMENT = "SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement"
P_LINE = "SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem"
ROUTAGE = "0224"  # schemeID of the 2026 routing code (BT-46, BR-FR-CPRO-11/13)
NOT_ROUTAGE = f"[not(@schemeID='{ROUTAGE}')]"


def _party(r: Reader, role: str, path_role: str):
    base = f"{AGREEMENT}/ram:{role}"
    return r.value(
        f"{P_AGREEMENT}.{path_role}.SpecifiedLegalOrganization.ID",
        f"{base}/ram:SpecifiedLegalOrganization/ram:ID",
        f"{base}/ram:ID{NOT_ROUTAGE}",
        f"{base}/ram:GlobalID{NOT_ROUTAGE}",
    )


def _taxes(r: Reader) -> list[TaxBlock]:
    """Every line's and the header's ApplicableTradeTax, in document order."""
    blocks = []
    line_path = f"{P_LINE}.SpecifiedLineTradeSettlement.ApplicableTradeTax"
    header_path = f"{P_SETTLEMENT}.ApplicableTradeTax"
    header = set(r.nodes(f"{SETTLEMENT}/ram:ApplicableTradeTax"))
    found = r.nodes(
        f"{TX}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/"
        f"ram:ApplicableTradeTax | {SETTLEMENT}/ram:ApplicableTradeTax"
    )
    for tax in found:
        blocks.append(
            TaxBlock(
                header_path if tax in header else line_path,
                tax,
                r.first("ram:TypeCode", node=tax),
                r.first("ram:CategoryCode", node=tax),
            )
        )
    return blocks


def _gross_prices(r: Reader) -> list[GrossPrice]:
    return [
        GrossPrice(
            price,
            r.first("ram:AppliedTradeAllowanceCharge/ram:ActualAmount", node=price),
        )
        for price in r.nodes(
            f"{TX}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeAgreement/"
            "ram:GrossPriceProductTradePrice"
        )
    ]


def read(root: etree._Element, fichier: str) -> InvoiceData:
    """Read an XSD-valid CrossIndustryInvoice."""
    r = Reader(root, NS)
    total = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    lignes = []
    for item in r.nodes(f"{TX}/ram:IncludedSupplyChainTradeLineItem"):
        quantity = r.nodes("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", item)
        lignes.append(
            {
                "lignePosteNumero": r.first(
                    "ram:AssociatedDocumentLineDocument/ram:LineID", node=item
                ),
                "lignePosteReference": r.first(
                    "ram:SpecifiedTradeProduct/ram:SellerAssignedID", node=item
                ),
                "lignePosteDenomination": r.first("ram:SpecifiedTradeProduct/ram:Name", node=item),
                "lignePosteQuantite": number(quantity[0].text if quantity else None),
                "lignePosteUnite": quantity[0].get("unitCode") if quantity else None,
                "lignePosteMontantUnitaireHT": number(
                    r.first(
                        "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                        node=item,
                    )
                ),
                "lignePosteMontantRemiseHT": None,
                "lignePosteTauxTva": None,
                "lignePosteTauxTvaManuel": number(
                    r.first(
                        "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                        node=item,
                    )
                ),
            }
        )
    lignes_tva = [
        {
            "ligneTvaTaux": None,
            "ligneTvaTauxManuel": number(r.first("ram:RateApplicablePercent", node=tax)),
            "ligneTvaMontantBaseHtParTaux": number(r.first("ram:BasisAmount", node=tax)),
            "ligneTvaMontantTvaParTaux": number(r.first("ram:CalculatedAmount", node=tax)),
        }
        for tax in r.nodes(f"{SETTLEMENT}/ram:ApplicableTradeTax")
    ]
    return InvoiceData(
        fichier=fichier,
        syntax="cii",
        numero=r.value("ExchangedDocument.ID", "rsm:ExchangedDocument/ram:ID"),
        type_code=r.first("rsm:ExchangedDocument/ram:TypeCode"),
        date_facture=iso_date(
            r.first("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
        ),
        devise=r.first(f"{SETTLEMENT}/ram:InvoiceCurrencyCode") or "EUR",
        fournisseur=_party(r, "SellerTradeParty", "SellerTradeParty"),
        destinataire=_party(r, "BuyerTradeParty", "BuyerTradeParty"),
        code_service=r.value(f"{P_AGREEMENT}.BuyerReference", f"{AGREEMENT}/ram:BuyerReference"),
        code_routage=r.value(
            f"{P_AGREEMENT}.BuyerTradeParty.GlobalID",
            f"{AGREEMENT}/ram:BuyerTradeParty/ram:GlobalID[@schemeID='{ROUTAGE}']",
            f"{AGREEMENT}/ram:BuyerTradeParty/ram:ID[@schemeID='{ROUTAGE}']",
        ),
        engagement=r.value(
            f"{P_AGREEMENT}.BuyerOrderReferencedDocument.IssuerAssignedID",
            f"{AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
        ),
        cadre=r.value(
            "ExchangedDocumentContext.BusinessProcessSpecifiedDocumentContextParameter.ID",
            "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
        ),
        moyen_paiement=r.value(
            f"{P_SETTLEMENT}.SpecifiedTradeSettlementPaymentMeans.TypeCode",
            f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
        ),
        numero_marche=r.first(f"{AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID"),
        numero_facture_origine=r.first(
            f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
        ),
        montant_ht=amount(r.first(f"{total}/ram:TaxBasisTotalAmount")),
        montant_tva=amount(r.first(f"{total}/ram:TaxTotalAmount")),
        montant_ttc=amount(r.first(f"{total}/ram:GrandTotalAmount")),
        montant_a_payer=amount(r.first(f"{total}/ram:DuePayableAmount")),
        lignes=lignes,
        lignes_tva=lignes_tva,
        taxes=_taxes(r),
        prix_bruts=_gross_prices(r),
    )
