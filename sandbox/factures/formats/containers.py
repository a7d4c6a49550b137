"""The file of a flux: a single XML or PDF, or a zip / tar(.gz) bundle of several.

Bundles are read with the standard library, defensively: regular members only, at
most ``MAX_MEMBERS`` of them, each and all together bounded in size (a "zip bomb"
becomes a technical error, not a full disk). Members other than ``.xml`` / ``.pdf``
(an AIFE stylesheet, a README) are ignored, as the platform ignores them.
"""

from __future__ import annotations

import io
import logging
import tarfile
import zipfile
from dataclasses import dataclass

from sandbox.factures.formats.model import TechnicalError

MAX_MEMBERS = 500  # one structured flux carries at most 500 invoices (reference §3.1)
MAX_UNPACKED_BYTES = 200_000_000
KEPT_EXTENSIONS = (".xml", ".pdf")

log = logging.getLogger("sandbox.factures")


@dataclass
class Entry:
    """One file of the flux."""

    name: str
    data: bytes


def _is_zip(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def _is_tar(content: bytes) -> bool:
    if content[:2] == b"\x1f\x8b":  # gzip: a .tar.gz (or a gzipped single file)
        return True
    return len(content) > 262 and content[257:262] == b"ustar"


def _from_zip(content: bytes) -> list[Entry]:
    entries, total = [], 0
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(KEPT_EXTENSIONS):
                continue
            total += info.file_size
            if len(entries) >= MAX_MEMBERS or total > MAX_UNPACKED_BYTES:
                raise ValueError("archive trop volumineuse")
            entries.append(Entry(info.filename, archive.read(info)))
    return entries


def _from_tar(content: bytes) -> list[Entry]:
    entries, total = [], 0
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as archive:
        for member in archive:
            if not member.isreg() or not member.name.lower().endswith(KEPT_EXTENSIONS):
                continue
            total += member.size
            if len(entries) >= MAX_MEMBERS or total > MAX_UNPACKED_BYTES:
                raise ValueError("archive trop volumineuse")
            handle = archive.extractfile(member)
            if handle is not None:
                entries.append(Entry(member.name, handle.read()))
    return entries


def unpack(nom_fichier: str, content: bytes) -> tuple[list[Entry], list[TechnicalError]]:
    """The files of a flux (one, or a bundle's members), or why it cannot be read."""
    if not (_is_zip(content) or _is_tar(content)):
        return [Entry(nom_fichier, content)], []
    try:
        entries = _from_zip(content) if _is_zip(content) else _from_tar(content)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as error:
        return [], [TechnicalError.format(f"l'archive {nom_fichier} est illisible ({error}).")]
    if not entries:
        return [], [
            TechnicalError.format(
                f"l'archive {nom_fichier} ne contient aucun fichier .xml ou .pdf."
            )
        ]
    return entries, []


def facturx_xml(entry: Entry) -> tuple[bytes, bytes | None, TechnicalError | None]:
    """The CII XML embedded in a Factur-X PDF (with the ``factur-x`` library)."""
    if not entry.data.startswith(b"%PDF"):
        return b"", None, TechnicalError.format(
            f"le fichier {entry.name} n'est pas un PDF Factur-X (PDF/A-3 avec XML CII embarque).",
            "TEC-03",
            entry.name,
        )
    from facturx import get_xml_from_pdf

    try:
        # XSD is checked by the caller against the official CII D16B schema.
        _name, xml = get_xml_from_pdf(io.BytesIO(entry.data), check_xsd=False)
    except Exception as error:
        log.info("Factur-X extraction failed for %s: %s", entry.name, error)
        xml = None
    if not xml:
        return b"", None, TechnicalError.format(
            f"le PDF {entry.name} ne contient pas de fichier XML Factur-X embarque "
            "(factur-x.xml ou zugferd-invoice.xml).",
            "TEC-03",
            entry.name,
        )
    return xml, entry.data, None
