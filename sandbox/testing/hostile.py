"""Hostile deposit files, built in memory (issue #23): what ``tests/test_reliability_hostile.py``
sends over HTTP and ``scripts/deposit_costs.py`` measures in process.

Nothing here deposits or reads anything: each function returns the bytes of a file.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

UBL_ROOT = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'


def zip_of(name: str, data: bytes) -> bytes:
    """A zip of one deflated member ``name``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def many_elements(n: int) -> bytes:
    """A UBL root holding ``n`` empty elements (4 bytes each)."""
    return UBL_ROOT + b"<a/>" * n + b"</Invoice>"


class Zeros(io.RawIOBase):
    """``size`` zero bytes, read as a stream (a large member never held in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def tar_gz_with_ignored(size: int, invoice: bytes = b"<a></a>", compresslevel: int = 9) -> bytes:
    """A tar.gz: ``zeros.bin``, ``size`` zeros the platform ignores (not an invoice's
    extension), then ``facture.xml`` holding ``invoice``. Written as a stream: the zeros
    are never in memory, only their compressed bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=compresslevel) as packed, \
            tarfile.open(fileobj=packed, mode="w|") as archive:
        ignored = tarfile.TarInfo("zeros.bin")
        ignored.size = size
        archive.addfile(ignored, Zeros(size))
        member = tarfile.TarInfo("facture.xml")
        member.size = len(invoice)
        archive.addfile(member, io.BytesIO(invoice))
    return buffer.getvalue()
