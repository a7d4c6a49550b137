"""Accepting a flux: what the platform checks of an envelope at once, and the new flux.

``deposer/flux`` (``api/flux.py``) and the portal's "Déposer une facture" page
(``pages.py``) both call these two functions, with the file's bytes: the API decodes its
base64 first, the page reads the upload. A refused envelope stores nothing; a file that
turns out invalid is a flux with a compte rendu, read later by the worker
(``worker.py``), never an error here.

A rules module: no Flask, no registry, no request context.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts.rights import Account
from sandbox.config import Settings
from sandbox.factures import errors
from sandbox.factures.models import FLUX_COUNTER_BASE, Flux, numero_flux_depot
from sandbox.factures.rules.flux import WAITING

# A file name: something, a dot, an extension of letters/digits (".tar.gz" included).
_NAME = re.compile(r"[^/\\]*[^./\\]\.[A-Za-z0-9]{1,10}")
MAX_NAME = 200


def check_name(nom_fichier: str) -> None:
    """The file's name: at most 200 characters, with an extension (``NomFichierInvalide``
    otherwise)."""
    name = nom_fichier.strip()
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise errors.NomFichierInvalide()


def check_envelope(settings: Settings, nom_fichier: str, content: bytes) -> None:
    """Check what the platform checks at once: the file's name, that it is not empty and
    not over ``factures_max_file_bytes``; raise the business error otherwise."""
    check_name(nom_fichier)
    if not content:
        raise errors.FichierVide()
    limit = settings.factures_max_file_bytes
    if len(content) > limit:
        raise errors.FluxTropVolumineux(
            f"Le fichier du flux ({len(content)} octets) dépasse la taille maximale "
            f"autorisée ({limit} octets)."
        )


def create_flux(
    s: Session,
    settings: Settings,
    user: Account,
    syntaxe: str,
    nom_fichier: str,
    content: bytes,
    avec_signature: bool,
) -> Flux:
    """Store a new flux of ``user``, waiting for integration, and give it its number.

    One unit of work on ``s`` (committed here): the number is the flux's id, known once
    the row is flushed.
    """
    now = clock.utcnow_naive()
    with db.unit_of_work(s):
        flux = Flux(
            syntaxe_flux=str(syntaxe),
            nom_fichier=nom_fichier.strip(),
            avec_signature=avec_signature,
            etat=WAITING,
            date_depot=now,
            date_etat_courant=now,
            depositor_user_id=user.id,
            technical_user_id=user.id if user.is_technical else None,
            depositor_structure_id=user.technical_structure_id,
            content=content,
            size=len(content),
            integrate_after=now + timedelta(seconds=settings.factures_integration_delay),
            attempts=0,
            erreurs_dp=[],
            erreurs_techniques=[],
        )
        s.add(flux)
        s.flush()
        flux.numero_flux_depot = numero_flux_depot(syntaxe, FLUX_COUNTER_BASE + flux.id)
    return flux
