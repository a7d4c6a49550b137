"""Who may act on a structure: the gestionnaire principal, and the attached users.

One room for the two questions every surface asks (portal, PISTE pages, the API, the
fixtures, the factures area): "who is the gestionnaire principal of this structure?" and
"which structures is this user attached to?". Only *validated* rattachements give rights;
a technical account has the rights of its structure's validated gestionnaire principal
(docs/architecture.md).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sandbox.models import Rattachement, Structure, User
from sandbox.vocabulary import Role, StatutRattachement


def _gestionnaire_rows(structure_id: int, *, validated: bool = True) -> Select[Any]:
    query = select(Rattachement.user_id).where(
        Rattachement.structure_id == structure_id,
        Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
    )
    if validated:
        query = query.where(Rattachement.statut == StatutRattachement.VALIDEE)
    return query


def gestionnaire_principal_id(
    s: Session, structure_id: int, *, validated: bool = True
) -> int | None:
    """Return the id of the structure's gestionnaire principal (validated by default)."""
    user_id: int | None = s.scalar(_gestionnaire_rows(structure_id, validated=validated))
    return user_id


def gestionnaire_principal(
    s: Session, structure_id: int, *, validated: bool = True
) -> User | None:
    """Return the structure's gestionnaire principal (validated by default)."""
    user_id = gestionnaire_principal_id(s, structure_id, validated=validated)
    return None if user_id is None else s.get(User, user_id)


def is_gestionnaire_principal(s: Session, user_id: int, structure_id: int) -> bool:
    """Tell whether ``user_id`` is the validated gestionnaire principal of the structure."""
    return gestionnaire_principal_id(s, structure_id) == user_id


def managed_structure_ids(s: Session, user_id: int) -> list[int]:
    """Return the ids of the structures the user is the validated gestionnaire principal of."""
    return list(
        s.scalars(
            select(Rattachement.structure_id)
            .where(
                Rattachement.user_id == user_id,
                Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
                Rattachement.statut == StatutRattachement.VALIDEE,
            )
            .order_by(Rattachement.structure_id)
        )
    )


def managed_structures(s: Session, user_id: int) -> list[Structure]:
    """Return the structures the user is the validated gestionnaire principal of."""
    return list(
        s.scalars(
            select(Structure)
            .join(Rattachement, Rattachement.structure_id == Structure.id)
            .where(
                Rattachement.user_id == user_id,
                Rattachement.role == Role.GESTIONNAIRE_PRINCIPAL,
                Rattachement.statut == StatutRattachement.VALIDEE,
            )
            .order_by(Structure.id)
        )
    )


def attached_structure_ids(s: Session, user_id: int) -> set[int]:
    """Return the ids of the structures the user has a validated rattachement to."""
    return set(
        s.scalars(
            select(Rattachement.structure_id).where(
                Rattachement.user_id == user_id,
                Rattachement.statut == StatutRattachement.VALIDEE,
            )
        )
    )


class Resolved(NamedTuple):
    """An account's rights, read once: ``rights_user_id`` and ``usable_structure_ids``."""

    rights_user_id: int | None
    usable: frozenset[int]


class Account(Protocol):
    """What the rights of an account depend on: a ``User`` row, or the PISTE gateway's
    cached copy of one (``piste.gateway.Account``). The gateway's copy carries its rights
    as read in the database generation it is cached for (``resolved``; the cache drops it
    at the next commit, ``sandbox/state.py``): the two functions below answer from them,
    without a query (issue #24: ~0.4 CPU-ms per API call)."""

    @property
    def id(self) -> int: ...
    @property
    def is_technical(self) -> bool: ...
    @property
    def technical_structure_id(self) -> int | None: ...


def _resolved(user: Account) -> Resolved | None:
    """The rights the gateway already read for ``user`` (a ``User`` row has none)."""
    known = getattr(user, "resolved", None)
    return known if isinstance(known, Resolved) else None


def rights_user_id(s: Session, user: Account) -> int | None:
    """Return the user whose rights ``user`` has: itself, or for a technical account the
    validated gestionnaire principal of its structure (None if there is none)."""
    known = _resolved(user)
    if known is not None:
        return known.rights_user_id
    if not user.is_technical:
        return user.id
    if user.technical_structure_id is None:
        return None
    return gestionnaire_principal_id(s, user.technical_structure_id)


def usable_structure_ids(s: Session, user: Account) -> set[int]:
    """Return the structures ``user`` may act for: its validated rattachements (through its
    gestionnaire for a technical account) plus a technical account's own structure."""
    known = _resolved(user)
    if known is not None:
        return set(known.usable)
    return _usable(s, user, rights_user_id(s, user))


def resolve(s: Session, user: Account) -> Resolved:
    """Both rights of ``user`` (``rights_user_id``, ``usable_structure_ids``): those the
    gateway already read, else read in ``s``."""
    known = _resolved(user)
    if known is not None:
        return known
    rights = rights_user_id(s, user)
    return Resolved(rights, frozenset(_usable(s, user, rights)))


def _usable(s: Session, user: Account, rights: int | None) -> set[int]:
    ids: set[int] = set()
    if rights is not None:
        ids |= attached_structure_ids(s, rights)
    if user.technical_structure_id is not None:
        ids.add(user.technical_structure_id)
    return ids
