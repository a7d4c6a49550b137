"""The file of a flux: a single XML or PDF, or a zip / tar(.gz) bundle of several.

Bundles are read with the standard library, defensively: regular members only, at
most ``MAX_MEMBERS`` of them. Every byte inflated counts against ``MAX_UNPACKED_BYTES``,
whether its member is kept or not: a gzip stream is inflated once, as a stream, through
a counter (skipping an ignored tar member inflates it too), and a zip member is read in
chunks that are counted as they come, whatever its header declares. A "zip bomb" becomes
a technical error after at most ``MAX_UNPACKED_BYTES`` of work, not a full disk nor
minutes of CPU (docs/reliability.md, "Bounded cost per deposit"). Members other than
``.xml`` / ``.pdf`` (an AIFE stylesheet, a README) are ignored, as the platform ignores
them. An encrypted member, or one compressed with a method the platform does not read
(deflate64, …), makes the flux inadmissible (a format error), like a corrupt archive.
"""

from __future__ import annotations

import gzip
import io
import logging
import lzma
import tarfile
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree
from pypdf import PdfReader

from sandbox.factures.formats import xmlread
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


CHUNK = 1 << 16
# The zip compression methods read (the standard library's); deflate64, PPMd, … are not.
ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}


class ArchiveRefused(ValueError):
    """An archive the platform cannot read (its message is the error's)."""


class _Budget:
    """The bytes inflated so far for one flux, kept or not, against MAX_UNPACKED_BYTES."""

    def __init__(self, limit: int = MAX_UNPACKED_BYTES) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise ArchiveRefused(
                f"archive trop volumineuse (plus de {self.limit} octets une fois decompressee)"
            )


class _Inflating(io.RawIOBase):
    """A gzip stream read forward only, each inflated byte spent from a budget."""

    def __init__(self, content: bytes, budget: _Budget) -> None:
        self._gzip = gzip.GzipFile(fileobj=io.BytesIO(content))
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._gzip.read(CHUNK if size is None or size < 0 else min(size, CHUNK * 16))
        self._budget.spend(len(data))
        return data


def _read_counted(handle, budget: _Budget) -> bytes:
    parts = []
    while chunk := handle.read(CHUNK):
        budget.spend(len(chunk))
        parts.append(chunk)
    return b"".join(parts)


def _from_zip(content: bytes) -> list[Entry]:
    entries: list[Entry] = []
    budget = _Budget()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(KEPT_EXTENSIONS):
                continue  # never opened: nothing inflated
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"le fichier {info.filename} est chiffre")
            if info.compress_type not in ZIP_METHODS:
                raise ArchiveRefused(
                    f"le fichier {info.filename} est compresse par une methode non prise en "
                    f"charge (methode {info.compress_type}; lues : "
                    f"{', '.join(ZIP_METHODS.values())})"
                )
            if len(entries) >= MAX_MEMBERS:
                raise ArchiveRefused(f"archive trop volumineuse (plus de {MAX_MEMBERS} fichiers)")
            with archive.open(info) as handle:
                entries.append(Entry(info.filename, _read_counted(handle, budget)))
    return entries


def _from_tar(content: bytes) -> list[Entry]:
    entries: list[Entry] = []
    budget = _Budget()
    stream = _Inflating(content, budget) if content[:2] == b"\x1f\x8b" else io.BytesIO(content)
    # "r|": read forward as a stream, so skipping a member reads (and counts) its bytes.
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            if not member.isreg() or not member.name.lower().endswith(KEPT_EXTENSIONS):
                continue
            if len(entries) >= MAX_MEMBERS:
                raise ArchiveRefused(f"archive trop volumineuse (plus de {MAX_MEMBERS} fichiers)")
            handle = archive.extractfile(member)
            if handle is not None:
                entries.append(Entry(member.name, _read_counted(handle, budget)))
    return entries


def unpack(nom_fichier: str, content: bytes) -> tuple[list[Entry], list[TechnicalError]]:
    """The files of a flux (one, or a bundle's members), or why it cannot be read."""
    if not (_is_zip(content) or _is_tar(content)):
        return [Entry(nom_fichier, content)], []
    try:
        entries = _from_zip(content) if _is_zip(content) else _from_tar(content)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, zlib.error,
            lzma.LZMAError, RuntimeError, NotImplementedError) as error:
        # RuntimeError / NotImplementedError: what zipfile raises for what it cannot read
        # (a password, a compression method) past the checks above.
        return [], [TechnicalError.format(f"l'archive {nom_fichier} est illisible ({error}).")]
    if not entries:
        return [], [
            TechnicalError.format(
                f"l'archive {nom_fichier} ne contient aucun fichier .xml ou .pdf."
            )
        ]
    return entries, []


def _embedded_xml_refused(entry: Entry) -> TechnicalError | None:
    """The embedded XML files checked by the bounded parser (``xmlread.parse``: elements,
    depth, no DOCTYPE) before the ``factur-x`` library parses them with lxml's defaults,
    which bound neither elements nor entities (docs/reliability.md)."""
    try:
        attachments = list(PdfReader(io.BytesIO(entry.data)).attachment_list)
    except Exception:  # an unreadable PDF: factur-x says so below
        return None
    for attachment in attachments:
        if not attachment.name.lower().endswith(".xml"):
            continue  # factur-x reads every .xml attachment, and only those
        try:
            xmlread.parse(attachment.content)
        except xmlread.Refused as refused:
            return TechnicalError.not_well_formed(
                refused.message, refused.line, refused.column, entry.name)
        except etree.XMLSyntaxError:
            continue  # not XML (a billion laughs is not either): factur-x skips it too
    return None


def facturx_xml(entry: Entry) -> tuple[bytes, bytes | None, TechnicalError | None]:
    """The CII XML embedded in a Factur-X PDF (with the ``factur-x`` library)."""
    if not entry.data.startswith(b"%PDF"):
        return b"", None, TechnicalError.format(
            f"le fichier {entry.name} n'est pas un PDF Factur-X (PDF/A-3 avec XML CII embarque).",
            "TEC-03",
            entry.name,
        )
    refused = _embedded_xml_refused(entry)
    if refused is not None:
        return b"", None, refused
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
