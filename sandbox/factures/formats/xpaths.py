"""Small helpers to read values from an lxml tree by XPath, with the element's path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from sandbox.factures.formats.model import Value


class Reader:
    """XPath look-ups in one document with a fixed namespace map."""

    def __init__(self, root: etree._Element, namespaces: dict[str, str]) -> None:
        self.root = root
        self.ns = namespaces

    def first(self, *xpaths: str, node: etree._Element | None = None) -> str | None:
        """The stripped text of the first non-empty match of ``xpaths``."""
        base = self.root if node is None else node
        for xpath in xpaths:
            for found in base.xpath(xpath, namespaces=self.ns):
                value = found if isinstance(found, str) else found.text
                if value is not None and value.strip():
                    return value.strip()
        return None

    def value(self, path: str, *xpaths: str) -> Value:
        """A ``Value``: the text, and the dotted path named in the CR's libellés."""
        return Value(self.first(*xpaths), path)

    def nodes(self, xpath: str, node: etree._Element | None = None) -> list[etree._Element]:
        return list((self.root if node is None else node).xpath(xpath, namespaces=self.ns))


def amount(text: str | None) -> Decimal:
    """A decimal amount (0 when absent or unreadable: the XSD already checked types)."""
    if not text:
        return Decimal("0")
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("0")


def number(text: str | None) -> float | None:
    """A JSON number for the stored lines (the wire shape of soumettre)."""
    if not text:
        return None
    try:
        return float(Decimal(text))
    except InvalidOperation:
        return None


def iso_date(text: str | None) -> date | None:
    """``YYYY-MM-DD`` (UBL) or ``YYYYMMDD`` (CII format 102)."""
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    return None
