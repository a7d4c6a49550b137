"""One invoice XML: well-formedness, the official XSD, then its data (UBL or CII)."""

from __future__ import annotations

from lxml import etree

from sandbox.factures.formats import cii, ubl, xsd
from sandbox.factures.formats.model import InvoiceData, TechnicalError

ROOTS = {"ubl": ("Invoice", "CreditNote"), "cii": ("CrossIndustryInvoice",)}


def _parser() -> etree.XMLParser:
    # No DTD, no entities, no network: a flux is untrusted input.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )


def read_invoice(
    kind: str, xml: bytes, fichier: str
) -> tuple[InvoiceData | None, list[TechnicalError]]:
    """Read one invoice of syntax ``kind`` ("ubl" or "cii") from ``xml``."""
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (0, 0)
        return None, [TechnicalError.not_well_formed(error.msg, line, column, fichier)]
    name = etree.QName(root).localname
    expected = ROOTS[kind]
    # A root of another syntax is validated against the expected schema, which
    # reports it as the platform's validator would (no declaration for that root).
    problems = xsd.validate(root.getroottree(), name if name in expected else expected[0], fichier)
    if problems:
        return None, problems
    reader = ubl if kind == "ubl" else cii
    invoice = reader.read(root, fichier)
    invoice.xml = xml
    invoice.root = root
    return invoice, []
