"""The uuids of the Référentiel des Organisations: stable, derived from the seed, stored
nowhere.

The real API names structures, services, users and attachments by 32 lowercase hex
digits without dashes (``006accaa8785cd10dd5fc80e8bbb35f4``: piste-gouv-fr's live tests
against qualification). The sandbox derives them from the row's id and the world's seed:

    uuid(kind, id) = sha256("chorus-sandbox:<seed>:<kind>:<id>")[:16 hex] + id as 16 hex

so a uuid is computed, not stored (no column, no table, rows created after the seed by
the portal or a data set get one as well), the same on every restart and reset with the
same seed, and different in a world seeded otherwise. Decoding reads the id from the last
16 digits and checks the first 16: a uuid of another kind (a service's uuid given as a
structure's), of another seed, or made up, names nothing. A developer can still read the
id in it (``…000000000000002a`` is id 42): the sandbox is for testing.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from sandbox.vocabulary import INT64_MAX

_HEX32 = re.compile(r"[0-9a-f]{32}")
_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Kind(StrEnum):
    """What a uuid names."""

    STRUCTURE = "structure"
    SERVICE = "service"
    UTILISATEUR = "utilisateur"
    PIECE_JOINTE = "piece_jointe"


def normalised(text: str) -> str | None:
    """``text`` as 32 lowercase hex digits if it is a uuid (with or without dashes, any
    case), else None."""
    lowered = text.lower()
    if _DASHED.fullmatch(lowered):
        lowered = lowered.replace("-", "")
    return lowered if _HEX32.fullmatch(lowered) else None


class Codec:
    """The uuids of one world (its seed)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _prefix(self, kind: Kind, row_id: int) -> str:
        text = f"chorus-sandbox:{self.seed}:{kind.value}:{row_id}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def encode(self, kind: Kind, row_id: int) -> str:
        """The uuid of row ``row_id`` of ``kind``."""
        return self._prefix(kind, row_id) + f"{row_id:016x}"

    def decode(self, kind: Kind, text: str) -> int | None:
        """The id a uuid of ``kind`` names, or None (not a uuid, another kind or seed)."""
        value = normalised(text)
        if value is None:
            return None
        row_id = int(value[16:], 16)
        if row_id > INT64_MAX or value[:16] != self._prefix(kind, row_id):
            return None
        return row_id

    def encode_optional(self, kind: Kind, row_id: int | None) -> str:
        """The uuid of ``row_id``, or ``""`` for none (as the API writes an empty link)."""
        return "" if row_id is None else self.encode(kind, row_id)
