"""One invoice XML: well-formedness, the official XSD, then its data (UBL or CII).

The file is read by a streaming parse (``lxml.etree.iterparse``) that counts what it
builds, so its memory is bounded by elements, not by bytes (issue #23 §4: 40 MB of
``<a/>`` took a worker from 586 MB to 1,682 MB): at most ``MAX_ELEMENTS`` elements in one
file, ``MAX_FLUX_ELEMENTS`` in one flux (an ``ElementBudget``), nested at most
``MAX_DEPTH`` deep; past a limit the parse stops at once and the flux is inadmissible
(TEC-04). A document type declaration (``<!DOCTYPE``: a DTD, internal entities,
external ones) is refused as the platform's hardened XML parser refuses it (TEC-04,
docs/decisions.md): no entity is ever expanded or fetched, and none reaches the schema
validator (an entity reference node there was an "Internal error", then IN_INCIDENTE).
"""

from __future__ import annotations

import io

from lxml import etree

from sandbox.factures.formats import cii, ubl, xsd
from sandbox.factures.formats.model import InvoiceData, TechnicalError

ROOTS = {"ubl": ("Invoice", "CreditNote"), "cii": ("CrossIndustryInvoice",)}

MAX_ELEMENTS = 250_000  # one invoice of 1,000 lines is about 40,000 elements
MAX_FLUX_ELEMENTS = 1_000_000
MAX_DEPTH = 64  # UBL and CII invoices nest about 10 deep
# What a Java platform whose parser disallows DTDs (Xerces' feature) answers.
DOCTYPE_REFUSED = (
    'DOCTYPE is disallowed when the feature "http://apache.org/xml/features/'
    'disallow-doctype-decl" set to true.'
)


class ElementBudget:
    """The elements one flux may still build (shared by its files)."""

    def __init__(self, limit: int = MAX_FLUX_ELEMENTS) -> None:
        self.left = limit
        self.limit = limit


class Refused(Exception):
    """A file refused while parsing: a DOCTYPE, too many elements, too deep."""

    def __init__(self, message: str, line: int, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _doctype_position(xml: bytes) -> tuple[int, int]:
    at = xml.find(b"<!DOCTYPE")
    if at < 0:
        return 1, 1
    line = xml.count(b"\n", 0, at) + 1
    return line, at - (xml.rfind(b"\n", 0, at) + 1) + 1


def parse(xml: bytes, budget: ElementBudget | None = None) -> etree._Element:
    """The root of ``xml``, parsed within the limits; raises ``etree.XMLSyntaxError``
    (not well-formed) or ``Refused`` (a DOCTYPE, too many elements, too deep)."""
    budget = budget or ElementBudget()
    # No DTD, no entities, no network: a flux is untrusted input.
    events = etree.iterparse(
        io.BytesIO(xml), events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False,
    )
    count = depth = 0
    for event, element in events:
        if event == "end":
            depth -= 1
            continue
        if count == 0:
            docinfo = element.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise Refused(DOCTYPE_REFUSED, *_doctype_position(xml))
        count += 1
        depth += 1
        if count > MAX_ELEMENTS or count > budget.left:
            limit = min(MAX_ELEMENTS, budget.left + count - 1)
            raise Refused(
                f"le fichier compte plus de {limit} elements (limite du bac a sable : "
                f"{MAX_ELEMENTS} par fichier, {budget.limit} par flux).",
                element.sourceline or 0,
            )
        if depth > MAX_DEPTH:
            raise Refused(
                f"les elements sont imbriques sur plus de {MAX_DEPTH} niveaux (limite du bac "
                "a sable).",
                element.sourceline or 0,
            )
    budget.left -= count
    return events.root


def read_invoice(
    kind: str, xml: bytes, fichier: str, budget: ElementBudget | None = None
) -> tuple[InvoiceData | None, list[TechnicalError]]:
    """Read one invoice of syntax ``kind`` ("ubl" or "cii") from ``xml``."""
    try:
        root = parse(xml, budget)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (0, 0)
        return None, [TechnicalError.not_well_formed(error.msg, line, column, fichier)]
    except Refused as refused:
        return None, [
            TechnicalError.not_well_formed(refused.message, refused.line, refused.column, fichier)
        ]
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
