"""One builder for a ``Structure`` row, shared by the seeding, the signup and the tests.

A structure needs the same defaults wherever it is made (an active, private SIRET
structure in France, stamped with the sandbox clock): the fixtures, the qualification
data sets, the portal's signup and the test factories call ``new_structure`` instead
of each spelling them out. The bulk generator (``seeding.generator``) writes plain rows
for a million-structure seed and does not build ORM objects. It lives beside the models,
not in ``sandbox.seeding``: the signup imports it, and importing the seeding package
loads the portal, which imports the signup (a cycle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.models import Structure
from sandbox.vocabulary import StatutStructure, TypeIdentifiant, TypeStructure


def new_structure(
    *,
    identifiant: str,
    now: datetime | None = None,
    type_identifiant: str = TypeIdentifiant.SIRET,
    type_structure: str = TypeStructure.PRIVEE,
    statut: str = StatutStructure.ACTIF,
    pays: str = "FR",
    **fields: Any,
) -> Structure:
    """A new (not yet added) structure with the sandbox's defaults; ``fields`` override."""
    stamp = clock.utcnow_naive() if now is None else now
    return Structure(
        identifiant=identifiant,
        type_identifiant=type_identifiant,
        type_structure=type_structure,
        statut=statut,
        pays=pays,
        created_at=fields.pop("created_at", stamp),
        updated_at=fields.pop("updated_at", stamp),
        **fields,
    )


def add_structure(s: Session, **fields: Any) -> Structure:
    """``new_structure``, added to ``s`` and flushed (its id is known)."""
    structure = new_structure(**fields)
    s.add(structure)
    s.flush()
    return structure
