"""Small helpers to read values from an lxml tree by XPath, with the element's path."""

from __future__ import annotations

import re
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

    def value(self, path: str, *xpaths: str, node: etree._Element | None = None) -> Value:
        """A ``Value``: the text, the dotted path named in the CR's libellés, the element
        found (or, when none is, the deepest existing element of the first xpath)."""
        base = self.root if node is None else node
        for xpath in xpaths:
            for found in base.xpath(xpath, namespaces=self.ns):
                if isinstance(found, etree._Element) and found.text and found.text.strip():
                    return Value(found.text.strip(), path, node=found)
        return Value(None, path, anchor=self.anchor(xpaths[0], base) if xpaths else None)

    def anchor(self, xpath: str, base: etree._Element) -> etree._Element:
        """The deepest element that exists along ``xpath`` (a path of child steps)."""
        steps = xpath.split("/")
        for end in range(len(steps) - 1, 0, -1):
            try:
                found = base.xpath("/".join(steps[:end]), namespaces=self.ns)
            except etree.XPathError:
                continue
            if found and isinstance(found[0], etree._Element):
                return found[0]
        return base

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


def position(xml: bytes, node: etree._Element) -> tuple[int | None, int | None]:
    """The line and column (1-based, in characters) of ``node``'s start tag in ``xml``.

    libxml2 keeps only the line (``sourceline``); the column is found on that line: the
    k-th ``<prefix:Name`` there, k being how many elements of the same name start on the
    same line before ``node`` (a file written on one line has many).
    """
    line = node.sourceline
    if not line:
        return None, None
    tag = etree.QName(node).localname
    qname = f"{node.prefix}:{tag}" if node.prefix else tag
    before = 0
    for other in node.getroottree().getroot().iter(node.tag):
        if other is node:
            break
        if other.sourceline == line and other.prefix == node.prefix:
            before += 1
    lines = xml.split(b"\n")
    if line > len(lines):
        return line, None
    text = lines[line - 1].decode("utf-8", "replace")
    starts = [m.start() for m in re.finditer(rf"<{re.escape(qname)}(?=[\s/>])", text)]
    return line, (starts[before] + 1 if before < len(starts) else None)
