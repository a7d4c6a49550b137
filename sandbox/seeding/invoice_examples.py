"""Example invoices in the formats real clients deposit: UBL 2.1, CII D16B, Factur-X.

One ``Example`` (supplier and recipient SIRETs, service code, EJ, cadre, payment
means, lines) renders as a UBL Invoice or CreditNote, a CII D16B
``CrossIndustryInvoice`` or a Factur-X PDF/A-3 (an fpdf2 page, the CII embedded by the
``factur-x`` library). The committed files of ``fixtures/factures/`` are these renderings
for the default seed (``python -m sandbox.seeding.invoice_cases``); tests, the load
test and the seed render the same templates with their own parties.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Line:
    reference: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal = Decimal("20")

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


DEFAULT_LINES = (
    Line("PRESTA-01", "Prestation de conseil", Decimal("5"), Decimal("450.00")),
    Line("FOURN-02", "Fournitures de bureau", Decimal("12"), Decimal("8.50")),
)


@dataclass(frozen=True)
class Example:
    """The data of one example invoice (values as they go into the XML)."""

    numero: str
    fournisseur: str  # supplier SIRET
    destinataire: str  # recipient SIRET
    service: str | None = None  # code service exécutant (BuyerReference)
    engagement: str | None = None  # EJ (OrderReference / BuyerOrderReferencedDocument)
    cadre: str | None = "A1"  # BT-23
    moyen_paiement: str | None = "30"  # credit transfer
    type_code: str = "380"
    date_facture: date = date(2024, 1, 15)
    facture_origine: str | None = None  # credit notes
    fournisseur_nom: str = "Demo Fournisseur SAS"
    destinataire_nom: str = "Destinataire"
    lines: tuple[Line, ...] = field(default=DEFAULT_LINES)
    iban: str = "FR7630001007941234567890185"
    amount_override: str | None = None  # a raw (possibly invalid) TaxExclusiveAmount
    codes_tva: bool = True  # CII: VAT TypeCode/CategoryCode on every ApplicableTradeTax
    # CII: a gross price on each line, with ("remise") or without ("sans-remise") the
    # AppliedTradeAllowanceCharge/ActualAmount the platform requires (#504).
    prix_brut: str | None = None
    code_routage: str | None = None  # the service code as BT-46 with schemeID 0224

    def with_(self, **changes) -> Example:
        return replace(self, **changes)

    @property
    def ht(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    def vat_groups(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, tax) per VAT rate."""
        groups: dict[Decimal, Decimal] = {}
        for line in self.lines:
            groups[line.vat_rate] = groups.get(line.vat_rate, Decimal("0")) + line.total
        return [
            (rate, base, (base * rate / 100).quantize(Decimal("0.01")))
            for rate, base in sorted(groups.items())
        ]

    @property
    def tva(self) -> Decimal:
        return sum((tax for _, _, tax in self.vat_groups()), Decimal("0"))

    @property
    def ttc(self) -> Decimal:
        return self.ht + self.tva


def _x(value: object) -> str:
    return escape(str(value))


def _opt(template: str, value: object | None) -> str:
    return template.format(_x(value)) if value else ""


# --- UBL 2.1 ------------------------------------------------------------------------

_UBL_NS = (
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)


def _ubl_party(siret: str, name: str) -> str:
    return (
        "<cac:Party>"
        f'<cac:PartyIdentification><cbc:ID schemeName="1">{_x(siret)}</cbc:ID></cac:PartyIdentification>'
        f"<cac:PartyName><cbc:Name>{_x(name)}</cbc:Name></cac:PartyName>"
        "<cac:PostalAddress><cbc:StreetName>1 rue de la Paix</cbc:StreetName>"
        "<cbc:CityName>Paris</cbc:CityName><cbc:PostalZone>75002</cbc:PostalZone>"
        "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>"
        "</cac:PostalAddress>"
        f"<cac:PartyLegalEntity><cbc:RegistrationName>{_x(name)}</cbc:RegistrationName>"
        "</cac:PartyLegalEntity>"
        "</cac:Party>"
    )


def _ubl_tax_category(rate: Decimal) -> str:
    return (
        f"<cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
    )


def ubl(e: Example) -> bytes:
    """A UBL 2.1 Invoice, or a CreditNote when ``type_code`` is 381."""
    credit = e.type_code == "381"
    root = "CreditNote" if credit else "Invoice"
    line_tag, qty_tag = (
        ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    )
    type_tag = "CreditNoteTypeCode" if credit else "InvoiceTypeCode"
    subtotals = "".join(
        f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{base}</cbc:TaxableAmount>'
        f'<cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>'
        f"<cac:TaxCategory>{_ubl_tax_category(rate)}</cac:TaxCategory></cac:TaxSubtotal>"
        for rate, base, tax in e.vat_groups()
    )
    lines = "".join(
        f"<cac:{line_tag}><cbc:ID>{i}</cbc:ID>"
        f'<cbc:{qty_tag} unitCode="C62">{line.quantity}</cbc:{qty_tag}>'
        f'<cbc:LineExtensionAmount currencyID="EUR">{line.total}</cbc:LineExtensionAmount>'
        f"<cac:Item><cbc:Name>{_x(line.name)}</cbc:Name>"
        f"<cac:SellersItemIdentification><cbc:ID>{_x(line.reference)}</cbc:ID></cac:SellersItemIdentification>"
        f"<cac:ClassifiedTaxCategory>{_ubl_tax_category(line.vat_rate)}</cac:ClassifiedTaxCategory></cac:Item>"
        f'<cac:Price><cbc:PriceAmount currencyID="EUR">{line.unit_price}</cbc:PriceAmount></cac:Price>'
        f"</cac:{line_tag}>"
        for i, line in enumerate(e.lines, start=1)
    )
    payment = (
        "<cac:PaymentMeans>"
        f"<cbc:PaymentMeansCode>{_x(e.moyen_paiement)}</cbc:PaymentMeansCode>"
        f"<cac:PayeeFinancialAccount><cbc:ID>{_x(e.iban)}</cbc:ID></cac:PayeeFinancialAccount>"
        "</cac:PaymentMeans>"
        if e.moyen_paiement and not credit
        else ""
    )
    billing = _opt(
        "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{}</cbc:ID>"
        "</cac:InvoiceDocumentReference></cac:BillingReference>",
        e.facture_origine,
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" {_UBL_NS}>'
        "<cbc:UBLVersionID>2.1</cbc:UBLVersionID>"
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"
        f"{_opt('<cbc:ProfileID>{}</cbc:ProfileID>', e.cadre)}"
        f"<cbc:ID>{_x(e.numero)}</cbc:ID>"
        f"<cbc:IssueDate>{e.date_facture.isoformat()}</cbc:IssueDate>"
        f"<cbc:{type_tag}>{_x(e.type_code)}</cbc:{type_tag}>"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"{_opt('<cbc:BuyerReference>{}</cbc:BuyerReference>', e.service)}"
        f"{_opt('<cac:OrderReference><cbc:ID>{}</cbc:ID></cac:OrderReference>', e.engagement)}"
        f"{billing}"
        f"<cac:AccountingSupplierParty>{_ubl_party(e.fournisseur, e.fournisseur_nom)}</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{_ubl_party(e.destinataire, e.destinataire_nom)}</cac:AccountingCustomerParty>"
        f"{payment}"
        f'<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{e.tva}</cbc:TaxAmount>{subtotals}</cac:TaxTotal>'
        "<cac:LegalMonetaryTotal>"
        f'<cbc:LineExtensionAmount currencyID="EUR">{e.ht}</cbc:LineExtensionAmount>'
        f'<cbc:TaxExclusiveAmount currencyID="EUR">{e.amount_override or e.ht}</cbc:TaxExclusiveAmount>'
        f'<cbc:TaxInclusiveAmount currencyID="EUR">{e.ttc}</cbc:TaxInclusiveAmount>'
        f'<cbc:PayableAmount currencyID="EUR">{e.ttc}</cbc:PayableAmount>'
        "</cac:LegalMonetaryTotal>"
        f"{lines}"
        f"</{root}>\n"
    )
    return xml.encode("utf-8")


# --- CII D16B --------------------------------------------------------------------------

_CII_NS = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def _cii_party(tag: str, siret: str, name: str, routage: str | None = None) -> str:
    global_id = f'<ram:GlobalID schemeID="0224">{_x(routage)}</ram:GlobalID>' if routage else ""
    return (
        f"<ram:{tag}>{global_id}<ram:Name>{_x(name)}</ram:Name>"
        f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{_x(siret)}</ram:ID>'
        "</ram:SpecifiedLegalOrganization>"
        "<ram:PostalTradeAddress><ram:PostcodeCode>75002</ram:PostcodeCode>"
        "<ram:LineOne>1 rue de la Paix</ram:LineOne><ram:CityName>Paris</ram:CityName>"
        "<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>"
        f"</ram:{tag}>"
    )


def _cii_date(moment: date) -> str:
    return f'<udt:DateTimeString format="102">{moment.strftime("%Y%m%d")}</udt:DateTimeString>'


def _cii_gross(e: Example, line: Line) -> str:
    if e.prix_brut is None:
        return ""
    remise = (
        "<ram:AppliedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false"
        "</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>0.00</ram:ActualAmount>"
        "</ram:AppliedTradeAllowanceCharge>"
        if e.prix_brut == "remise"
        else ""
    )
    return (
        f"<ram:GrossPriceProductTradePrice><ram:ChargeAmount>{line.unit_price}</ram:ChargeAmount>"
        f"{remise}</ram:GrossPriceProductTradePrice>"
    )


def _cii_vat_codes(e: Example) -> tuple[str, str]:
    if not e.codes_tva:
        return "", ""
    return "<ram:TypeCode>VAT</ram:TypeCode>", "<ram:CategoryCode>S</ram:CategoryCode>"


def cii(e: Example) -> bytes:
    """A UN/CEFACT CII D16B CrossIndustryInvoice (EN 16931 profile, Chorus cadre in BT-23)."""
    type_code, category = _cii_vat_codes(e)
    items = "".join(
        "<ram:IncludedSupplyChainTradeLineItem>"
        f"<ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID></ram:AssociatedDocumentLineDocument>"
        f"<ram:SpecifiedTradeProduct><ram:SellerAssignedID>{_x(line.reference)}</ram:SellerAssignedID>"
        f"<ram:Name>{_x(line.name)}</ram:Name></ram:SpecifiedTradeProduct>"
        f"<ram:SpecifiedLineTradeAgreement>{_cii_gross(e, line)}<ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{line.unit_price}</ram:ChargeAmount></ram:NetPriceProductTradePrice>"
        "</ram:SpecifiedLineTradeAgreement>"
        f'<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">{line.quantity}'
        "</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>"
        f"<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax>{type_code}"
        f"{category}<ram:RateApplicablePercent>{line.vat_rate}"
        "</ram:RateApplicablePercent></ram:ApplicableTradeTax>"
        "<ram:SpecifiedTradeSettlementLineMonetarySummation>"
        f"<ram:LineTotalAmount>{line.total}</ram:LineTotalAmount>"
        "</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
        "</ram:IncludedSupplyChainTradeLineItem>"
        for i, line in enumerate(e.lines, start=1)
    )
    taxes = "".join(
        f"<ram:ApplicableTradeTax><ram:CalculatedAmount>{tax}</ram:CalculatedAmount>"
        f"{type_code}<ram:BasisAmount>{base}</ram:BasisAmount>"
        f"{category}<ram:RateApplicablePercent>{rate}"
        "</ram:RateApplicablePercent></ram:ApplicableTradeTax>"
        for rate, base, tax in e.vat_groups()
    )
    payment = (
        "<ram:SpecifiedTradeSettlementPaymentMeans>"
        f"<ram:TypeCode>{_x(e.moyen_paiement)}</ram:TypeCode>"
        f"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{_x(e.iban)}</ram:IBANID>"
        "</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>"
        if e.moyen_paiement
        else ""
    )
    cadre = _opt(
        "<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>{}</ram:ID>"
        "</ram:BusinessProcessSpecifiedDocumentContextParameter>",
        e.cadre,
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<rsm:CrossIndustryInvoice {_CII_NS}>"
        f"<rsm:ExchangedDocumentContext>{cadre}"
        "<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>"
        "</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>"
        f"<rsm:ExchangedDocument><ram:ID>{_x(e.numero)}</ram:ID><ram:TypeCode>{_x(e.type_code)}</ram:TypeCode>"
        f"<ram:IssueDateTime>{_cii_date(e.date_facture)}</ram:IssueDateTime></rsm:ExchangedDocument>"
        f"<rsm:SupplyChainTradeTransaction>{items}"
        "<ram:ApplicableHeaderTradeAgreement>"
        f"{_opt('<ram:BuyerReference>{}</ram:BuyerReference>', e.service)}"
        f"{_cii_party('SellerTradeParty', e.fournisseur, e.fournisseur_nom)}"
        f"{_cii_party('BuyerTradeParty', e.destinataire, e.destinataire_nom, e.code_routage)}"
        f"{_opt('<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>', e.engagement)}"
        "</ram:ApplicableHeaderTradeAgreement>"
        "<ram:ApplicableHeaderTradeDelivery/>"
        "<ram:ApplicableHeaderTradeSettlement>"
        f"<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>{payment}{taxes}"
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"<ram:LineTotalAmount>{e.ht}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{e.amount_override or e.ht}</ram:TaxBasisTotalAmount>"
        f'<ram:TaxTotalAmount currencyID="EUR">{e.tva}</ram:TaxTotalAmount>'
        f"<ram:GrandTotalAmount>{e.ttc}</ram:GrandTotalAmount>"
        f"<ram:DuePayableAmount>{e.ttc}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"{_opt('<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>', e.facture_origine)}"
        "</ram:ApplicableHeaderTradeSettlement>"
        "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n"
    )
    return xml.encode("utf-8")


# --- Factur-X ------------------------------------------------------------------------------


def _visual_pdf(e: Example) -> bytes:
    from fpdf import FPDF  # imported on first use: it costs seconds at a worker's boot

    pdf = FPDF()
    pdf.set_creator("Chorus Pro Sandbox")
    pdf.set_title(f"Facture {e.numero}")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, f"Facture {e.numero}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for text in (
        f"Date : {e.date_facture.isoformat()}",
        f"Fournisseur : {e.fournisseur_nom} (SIRET {e.fournisseur})",
        f"Destinataire : {e.destinataire_nom} (SIRET {e.destinataire})",
        f"Service : {e.service or '-'}   Engagement : {e.engagement or '-'}",
        *(
            f"{line.reference} {line.name} : {line.quantity} x {line.unit_price} EUR HT"
            for line in e.lines
        ),
        f"Total HT {e.ht} EUR - TVA {e.tva} EUR - TTC {e.ttc} EUR",
    ):
        pdf.cell(
            0, 6, text.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())


def facturx(e: Example) -> bytes:
    """A Factur-X PDF/A-3: a one-page PDF with the CII XML embedded (``factur-x``)."""
    from facturx import generate_from_binary

    return generate_from_binary(
        _visual_pdf(e),
        cii(e),
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        pdf_metadata={
            "author": e.fournisseur_nom,
            "title": f"Facture {e.numero}",
            "subject": f"Facture {e.numero}",
            "keywords": "Factur-X",
        },
    )


# --- bundles ---------------------------------------------------------------------------------


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A deterministic .tar.gz of ``files`` (name -> bytes), as OCA sends several invoices."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1704067200, 0o644
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def zip_bundle(files: dict[str, bytes]) -> bytes:
    """A deterministic .zip of ``files``."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return raw.getvalue()
