"""PISTE subscriptions: the Chorus Pro APIs a PISTE application may call (issue #21.6).

On PISTE an application is subscribed API by API (each with its own CGU); a call to an
API outside its subscriptions answers **403 with an empty body** (OCA issue #410: the
route is right, the application is not subscribed). The sandbox keeps the set in
``piste_subscriptions`` (``sandbox.models.PisteSubscription``): no row means every API,
so nothing changes for applications nobody narrowed. The gateway reads the set with the
bearer token (``piste.gateway.check_bearer``, cached with it); the portal's
Raccordements page and the control plane change it through ``set_apis``.

Rules only: no HTTP. Each change is flushed in the caller's session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.models import OAuthClient, PisteSubscription
from sandbox.vocabulary import ApiPiste

ALL: tuple[ApiPiste, ...] = tuple(ApiPiste)
# As PISTE's catalogue names them (the portal's checkboxes).
LABELS: dict[ApiPiste, str] = {
    ApiPiste.STRUCTURES: "Chorus Pro : Structures",
    ApiPiste.UTILISATEURS: "Chorus Pro : Utilisateurs",
    ApiPiste.TRANSVERSES: "Chorus Pro : Transverses",
    ApiPiste.FACTURES: "Chorus Pro : Factures",
    ApiPiste.FACTURES_TRAVAUX: "Chorus Pro : Factures de travaux",
    ApiPiste.ENGAGEMENTS_JURIDIQUES: "Chorus Pro : Engagements juridiques",
    ApiPiste.ORGANISATIONS: "Chorus Pro : Référentiel des Organisations",
}
_BY_SEGMENT = {api.value: api for api in ALL}


class UnknownApi(ValueError):
    """A name that is not one of the Chorus Pro APIs (``ApiPiste``)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(names)
        super().__init__(
            f"unknown API(s) {self.names}; the APIs are {[api.value for api in ALL]}"
        )


def api_of(path: str) -> ApiPiste | None:
    """The API a ``/cpro/<segment>/...`` path belongs to (None: not a Chorus Pro API)."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[0] != "" or parts[1] != "cpro":
        return None
    return _BY_SEGMENT.get(parts[2])


def parse(stored: str) -> frozenset[ApiPiste]:
    """The APIs of a stored ``apis`` value (unknown names, from an older version, dropped)."""
    return frozenset(_BY_SEGMENT[name] for name in stored.split(",") if name in _BY_SEGMENT)


def checked(names: Iterable[str]) -> frozenset[ApiPiste]:
    """``names`` as APIs, or ``UnknownApi``."""
    wanted = set(names)
    unknown = wanted - _BY_SEGMENT.keys()
    if unknown:
        raise UnknownApi(unknown)
    return frozenset(_BY_SEGMENT[name] for name in wanted)


def subscribed(s: Session, client: OAuthClient) -> frozenset[ApiPiste] | None:
    """The APIs ``client`` subscribes to; None: every API (no row)."""
    stored = s.scalar(
        select(PisteSubscription.apis).where(PisteSubscription.client_id == client.id))
    return None if stored is None else parse(stored)


def set_apis(
    s: Session, client: OAuthClient, apis: Iterable[str] | None
) -> frozenset[ApiPiste] | None:
    """Subscribe ``client`` to exactly ``apis`` (None, or every API: back to "every API",
    including those added later). Raises ``UnknownApi``; the caller commits."""
    wanted = None if apis is None else checked(apis)
    s.execute(delete(PisteSubscription).where(PisteSubscription.client_id == client.id))
    if wanted is None or wanted == frozenset(ALL):
        s.flush()
        return None
    s.add(PisteSubscription(
        client_id=client.id,
        apis=",".join(api.value for api in ALL if api in wanted),  # catalogue order
        updated_at=clock.utcnow_naive(),
    ))
    s.flush()
    return wanted


def ordered(apis: frozenset[ApiPiste] | None) -> list[str]:
    """The API names of a subscription, in catalogue order (None: every API)."""
    return [api.value for api in ALL if apis is None or api in apis]
