"""Reading deposited flux: containers, XSD validation, UBL and CII invoice data.

``read_flux(syntaxe, nom_fichier, content)`` turns the bytes of one ``deposer/flux``
into a ``ReadFlux``: either technical errors (the whole flux is inadmissible, as on
the platform: ``listeErreurTechnique``) or one ``InvoiceData`` per invoice of the
file (a bundle carries several). The business checks are ``integration``'s.

Supported syntaxes (docs/api.md): UBL 2.1 Invoice/CreditNote
(``IN_DP_E1_UBL_INVOICE``, ``IN_DP_E2_UBL_INVOICE_MIN``,
``IN_DP_PDFARCHIVE_UBL_INVOICE_MUG``), CII D16B (``IN_DP_E1_CII_16B``,
``IN_DP_E2_CII_MIN_16B``, ``IN_DP_E2_CII_MIN``, ``IN_DP_E1_CII``,
``IN_DP_PDFARCHIVE_CII_MUG``), Factur-X (``IN_DP_E2_CII_FACTURX``: a PDF/A-3 with
its embedded CII); each alone or in a zip / tar(.gz) bundle. PES, xCBL and the
"CPP facture minimal" format are refused with a technical error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.factures.formats import containers, xmlread
from sandbox.factures.formats.model import InvoiceData, TechnicalError
from sandbox.vocabulary import SyntaxeFlux

UBL_SYNTAXES = frozenset(
    {
        SyntaxeFlux.IN_DP_E1_UBL_INVOICE,
        SyntaxeFlux.IN_DP_E2_UBL_INVOICE_MIN,
        SyntaxeFlux.IN_DP_PDFARCHIVE_UBL_INVOICE_MUG,
    }
)
CII_SYNTAXES = frozenset(
    {
        SyntaxeFlux.IN_DP_E1_CII_16B,
        SyntaxeFlux.IN_DP_E2_CII_MIN_16B,
        SyntaxeFlux.IN_DP_E2_CII_MIN,
        SyntaxeFlux.IN_DP_E1_CII,
        SyntaxeFlux.IN_DP_PDFARCHIVE_CII_MUG,
    }
)
FACTURX_SYNTAXES = frozenset({SyntaxeFlux.IN_DP_E2_CII_FACTURX})
SUPPORTED_SYNTAXES = UBL_SYNTAXES | CII_SYNTAXES | FACTURX_SYNTAXES


@dataclass
class ReadFlux:
    """What a flux holds: its invoices, or why it is inadmissible."""

    invoices: list[InvoiceData] = field(default_factory=list)
    errors: list[TechnicalError] = field(default_factory=list)


def read_flux(syntaxe: str, nom_fichier: str, content: bytes) -> ReadFlux:
    """Read every invoice of a deposited file (see the module docstring)."""
    if syntaxe not in SUPPORTED_SYNTAXES:
        return ReadFlux(errors=[TechnicalError.syntaxe_non_prise_en_charge(syntaxe)])
    entries, errors = containers.unpack(nom_fichier, content)
    if errors:
        return ReadFlux(errors=errors)
    result = ReadFlux()
    budget = xmlread.ElementBudget()  # elements built across the flux's files
    for entry in entries:
        if syntaxe in FACTURX_SYNTAXES:
            xml, pdf, problem = containers.facturx_xml(entry)
            if problem is not None:
                result.errors.append(problem)
                continue
        else:
            xml, pdf = entry.data, None
        kind = "ubl" if syntaxe in UBL_SYNTAXES else "cii"
        invoice, problems = xmlread.read_invoice(kind, xml, entry.name, budget)
        if problems:
            result.errors.extend(problems)
            continue
        assert invoice is not None
        invoice.pdf = pdf
        invoice.syntaxe = str(syntaxe)
        result.invoices.append(invoice)
    if result.errors:  # "TEC-06": one inadmissible file makes the whole flux inadmissible
        result.invoices = []
    return result
