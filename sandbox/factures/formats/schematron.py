"""The stricter judgement's engine: the official EN 16931 and BR-FR validation XSLT
(vendored in ``sandbox/factures/schematron/``, see its VERSIONS.md) run by SaxonC-HE.

``saxonche`` is the ``strict`` extra: without it ``available()`` is False and
``validate`` raises ``StrictUnavailable`` naming the extra. The four stylesheets are
compiled once per process, at the first strict check (5-6 s), never per request; one
lock serialises the transformations (the engine is native code: no concurrent use of
one compiled stylesheet is assumed safe). Each SVRL ``failed-assert`` or
``successful-report`` becomes an ``Assert`` with its rule id, flag, text and the element
it is about (the SVRL location, rewritten to an XPath lxml evaluates on the deposited
file's tree, so the caller can give its line and column).

Pure reading: no database, no HTTP.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from lxml import etree

EXTRA = "strict"
PACKAGE = "chorus-pro-sandbox"
ARTEFACTS = Path(__file__).resolve().parent.parent / "schematron"
SVRL = "http://purl.oclc.org/dsdl/svrl"
# (rule of rules/table.py, stylesheet) per syntax, in the order they run.
SHEETS: dict[str, tuple[tuple[str, str], ...]] = {
    "ubl": (
        ("STR-EN16931", "en16931/EN16931-UBL-validation.xslt"),
        ("STR-BR-FR", "france-rfe/BR-FR-Flux2-Schematron-UBL.xslt"),
    ),
    "cii": (
        ("STR-EN16931", "en16931/EN16931-CII-validation.xslt"),
        ("STR-BR-FR", "france-rfe/BR-FR-Flux2-Schematron-CII.xslt"),
    ),
}
FATAL = frozenset({"fatal", "error", ""})

_lock = threading.Lock()
_state: dict[str, Any] = {}


class StrictUnavailable(RuntimeError):
    """The stricter judgement was asked for and cannot run here."""


def missing_extra_message() -> str:
    return (
        f"the stricter judgement needs the '{EXTRA}' extra (saxonche, SaxonC-HE, is not "
        f"installed): pip install '{PACKAGE}[{EXTRA}]'"
    )


def available() -> bool:
    """Whether saxonche can be imported here."""
    return find_spec("saxonche") is not None


@dataclass
class Assert:
    """One failed assertion (or report) of an artefact."""

    rule: str  # STR-EN16931 or STR-BR-FR
    id: str  # the artefact's id: BR-CO-10, BR-FR-08_BT-23...
    flag: str  # fatal, warning...
    text: str
    location: str
    node: etree._Element | None = None

    @property
    def fatal(self) -> bool:
        return self.flag.lower() in FATAL


def _compiled() -> dict[str, list[tuple[str, Any]]]:
    """The processor and the compiled stylesheets (once per process; under ``_lock``)."""
    if "sheets" not in _state:
        if not available():
            raise StrictUnavailable(missing_extra_message())
        # why: saxonche is an optional extra (105 MB, native): imported only when the
        # stricter judgement is switched on
        from saxonche import PySaxonProcessor

        processor = PySaxonProcessor(license=False)
        xslt = processor.new_xslt30_processor()
        _state["processor"] = processor
        _state["sheets"] = {
            syntax: [(rule, xslt.compile_stylesheet(stylesheet_file=str(ARTEFACTS / path)))
                     for rule, path in sheets]
            for syntax, sheets in SHEETS.items()
        }
    return _state["sheets"]


def _lxml_path(location: str) -> str:
    """An SVRL location (``/*:Invoice[namespace-uri()='u'][1]/...`` or ``/Q{u}Invoice[1]``)
    as an XPath 1.0 lxml evaluates."""
    loc = re.sub(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]",
                 r"*[local-name()='\1' and namespace-uri()='\2']", location)
    return re.sub(r"Q\{([^}]*)\}([\w.-]+)", r"*[local-name()='\2' and namespace-uri()='\1']", loc)


def _node(root: etree._Element, location: str) -> etree._Element | None:
    try:
        found = root.getroottree().xpath(_lxml_path(location))
    except (etree.XPathError, TypeError):
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def validate(kind: str, root: etree._Element) -> list[Assert]:
    """Every failed assert of the artefacts of ``kind`` ("ubl" or "cii") on ``root`` (the
    deposited file's parsed tree), fatal or not, in the artefacts' order."""
    found: list[Assert] = []
    with _lock:
        sheets = _compiled()[kind]
        # The root element only: no DOCTYPE reaches the engine (a flux is untrusted input).
        text = etree.tostring(root, encoding="unicode")
        document = _state["processor"].parse_xml(xml_text=text)
        reports = [(rule, sheet.transform_to_string(xdm_node=document)) for rule, sheet in sheets]
    for rule, svrl in reports:
        report = etree.fromstring(svrl.encode("utf-8"), etree.XMLParser(resolve_entities=False))
        for item in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            message = item.find(f"{{{SVRL}}}text")
            words = " ".join("".join(message.itertext()).split()) if message is not None else ""
            location = item.get("location") or ""
            found.append(Assert(rule, item.get("id") or "", item.get("flag") or "", words,
                                location, _node(root, location)))
    return found
