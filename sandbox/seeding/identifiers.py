"""French company identifiers: SIREN, SIRET, TVA intracommunautaire, RCS.

Check digits come from python-stdnum (``stdnum.luhn``), the same library that
validates them elsewhere, so generated and validated numbers agree by construction.
Uniqueness at scale comes from an affine permutation of the row index (a bijection
of ``range(M)``), never from retrying random draws.
"""

from __future__ import annotations

import math
import random

from stdnum import luhn

# The shared permanent recipients of the qualification environment (reference §4.3).
PERMANENT_SIRENS = frozenset({"110002011", "123456782"})

# SIREN prefixes of public bodies (first two digits), as INSEE allocates them.
PUBLIC_PREFIXES = {
    "commune": "21",
    "departement": "22",
    "hopital": "26",
    "etablissement": "19",
}
_PRIVATE_LOW = 30_000_000  # private SIREN bodies (8 digits) start at 3xxxxxxx
_PRIVATE_SPAN = 70_000_000
_PUBLIC_SPAN = 1_000_000  # 6 digits after the two-digit prefix


def siren_from_body(body: str) -> str:
    """Append the Luhn check digit to an 8-digit SIREN body."""
    return body + luhn.calc_check_digit(body)


def siret_from(siren: str, nic_body: str) -> str:
    """Build a Luhn-valid SIRET from a SIREN and a 4-digit NIC body."""
    partial = siren + nic_body
    return partial + luhn.calc_check_digit(partial)


def tva_from_siren(siren: str) -> str:
    """The French VAT number of a SIREN: ``FR`` + key ``(12 + 3 × (SIREN mod 97)) mod 97``."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def rcs_from_siren(siren: str, ville: str) -> str:
    """The RCS registration as written on invoices: ``RCS <Ville> 123 456 789``."""
    return f"RCS {ville} {siren[:3]} {siren[3:6]} {siren[6:]}"


class Permutation:
    """A bijection of ``range(span)``: ``i -> (a*i + b) mod span`` with ``gcd(a, span) = 1``."""

    def __init__(self, span: int, rng: random.Random) -> None:
        self.span = span
        while True:
            a = rng.randrange(span // 3, span)
            if math.gcd(a, span) == 1:
                break
        self.a = a
        self.b = rng.randrange(span)

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.span:
            raise OverflowError(f"identifier space exhausted ({self.span} values)")
        return (self.a * index + self.b) % self.span


class SiretFactory:
    """Unique, Luhn-valid SIRETs for generated private and public structures."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._private = Permutation(_PRIVATE_SPAN, rng)
        self._public = {kind: Permutation(_PUBLIC_SPAN, rng) for kind in PUBLIC_PREFIXES}
        self._next_private = 0
        self._next_public = dict.fromkeys(PUBLIC_PREFIXES, 0)

    def private(self) -> tuple[str, str]:
        """Return (siren, siret) of the next private company."""
        body = f"{_PRIVATE_LOW + self._private(self._next_private):08d}"
        self._next_private += 1
        return self._finish(body)

    def public(self, kind: str) -> tuple[str, str]:
        """Return (siren, siret) of the next public body of ``kind``."""
        index = self._next_public[kind]
        self._next_public[kind] = index + 1
        body = PUBLIC_PREFIXES[kind] + f"{self._public[kind](index):06d}"
        return self._finish(body)

    def _finish(self, body: str) -> tuple[str, str]:
        siren = siren_from_body(body)
        if siren in PERMANENT_SIRENS:  # never shadow a permanent recipient
            return self.private()
        nic = f"{self._rng.randrange(1, 10_000):04d}"
        return siren, siret_from(siren, nic)


def random_non_luhn_siret(rng: random.Random) -> str:
    """A random 14-digit SIRET that fails Luhn, like the real data sets' ones (§1.5)."""
    while True:
        candidate = f"{rng.randrange(10**13, 10**14):014d}"
        if not luhn.is_valid(candidate):
            return candidate
