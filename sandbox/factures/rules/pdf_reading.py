"""What ``deposer/pdf`` "reads" of an invoice PDF, standing in for the platform's OCR.

The PDF's text (pypdf) is searched for an invoice number, a date, SIRETs (the first is
taken as the supplier's, the second as the recipient's), amounts, an EJ, a service code
and the currency; whatever is not found is null (docs/decisions.md).
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from sandbox.factures import errors

FIELDS = (
    "numeroFacture",
    "dateFacture",
    "codeDestinataire",
    "codeServiceExecutant",
    "codeFournisseur",
    "codeDeviseFacture",
    "typeFacture",
    "typeTva",
    "numeroBonCommande",
    "montantTtcAvantRemiseGlobalTTC",
    "montantAPayer",
    "montantHtTotal",
    "montantTVA",
)

# Bounded cost (docs/reliability.md): the text is cut at MAX_TEXT_CHARS and every run of
# white space is one space before the scans, and no pattern has an unbounded repeat next
# to another that can match the same characters (``\s*\s*`` on a run of spaces was cubic:
# a 1 KB PDF held a worker for 50 s, issue #23 §1). Each pattern does bounded work at each
# start position, so a scan is linear in the text.
MAX_PAGES = 50
MAX_TEXT_CHARS = 200_000

_NUMERO = re.compile(
    r"factur\w{0,12} ?(?:n°|no|num[ée]ro|#)? ?[:°]? ?([A-Z0-9][A-Z0-9_/+\-]{1,19})", re.I
)
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{2})/(\d{2})/(\d{4})\b")
_SIRET = re.compile(r"\b(\d{14})\b")
_AMOUNT = r" ?[:=]? ?(-?\d[\d ]{0,30}(?:[.,]\d{1,6})?)"
_AMOUNTS = {
    "montantHtTotal": re.compile(r"(?:total|montant) ?HT" + _AMOUNT, re.I),
    "montantTVA": re.compile(r"(?:(?:total|montant) ?)?TVA" + _AMOUNT, re.I),
    "montantTtcAvantRemiseGlobalTTC": re.compile(r"(?:total|montant) ?TTC" + _AMOUNT, re.I),
    "montantAPayer": re.compile(r"(?:net|montant) ?[àa] ?payer" + _AMOUNT, re.I),
}
_EJ = re.compile(
    r"(?:engagement|bon de commande|EJ) ?(?:n°|no)? ?[:°]? ?([A-Z0-9\-]{3,50})", re.I
)
_SERVICE = re.compile(r"service ?(?:ex[ée]cutant)? ?: ?([A-Z0-9_\-]{2,100})", re.I)
_SPACES = re.compile(r"\s+")


def scan_text(text: str) -> str:
    """The text the patterns scan: at most MAX_TEXT_CHARS, each white-space run one space."""
    return _SPACES.sub(" ", text[:MAX_TEXT_CHARS])


def _number(text: str) -> float | None:
    try:
        return float(re.sub(r"\s", "", text).replace(",", "."))
    except ValueError:
        return None


def read_pdf(content: bytes) -> dict:
    """The fields an OCR would read from the PDF's text (None when not found)."""
    try:
        reader = PdfReader(io.BytesIO(content))
        pages = reader.pages[:MAX_PAGES]
        text = scan_text("\n".join((page.extract_text() or "") for page in pages))
    except (PyPdfError, ValueError, TypeError, KeyError, OSError):
        raise errors.PieceJointeInvalide("Le fichier n'est pas un PDF lisible.") from None
    found: dict = dict.fromkeys(FIELDS)
    if m := _NUMERO.search(text):
        found["numeroFacture"] = m.group(1)
    if m := _DATE.search(text):
        found["dateFacture"] = (
            f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
            if m.group(1)
            else f"{m.group(6)}-{m.group(5)}-{m.group(4)}"
        )
    sirets = _SIRET.findall(text)
    if sirets:
        found["codeFournisseur"] = sirets[0]
    if len(sirets) > 1:
        found["codeDestinataire"] = sirets[1]
    for key, pattern in _AMOUNTS.items():
        if m := pattern.search(text):
            found[key] = _number(m.group(1))
    if m := _EJ.search(text):
        found["numeroBonCommande"] = m.group(1)
    if m := _SERVICE.search(text):
        found["codeServiceExecutant"] = m.group(1)
    if "€" in text or re.search(r"\bEUR\b", text):
        found["codeDeviseFacture"] = "EUR"
    if re.search(r"\bavoir\b", text, re.I):
        found["typeFacture"] = "AVOIR"
    elif found["numeroFacture"]:
        found["typeFacture"] = "FACTURE"
    return found
