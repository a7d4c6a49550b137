"""``POST /cpro/factures/v1/deposer/flux``: the envelope, checked synchronously.

The answer carries only ``numeroFluxDepot``, ``dateDepot`` and the echoed
``syntaxeFlux`` (factures-reference.md §3.2); the file itself is read later by the
integration worker (``worker.py``), after ``SANDBOX_FACTURES_INTEGRATION_DELAY``
seconds of the sandbox clock. A refused envelope stores nothing; a file that turns
out invalid is a flux with a compte rendu, never an HTTP error.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import timedelta

from flask import Flask, current_app, request

from sandbox import clock, db
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import PARIS
from sandbox.factures import flux_errors as errors
from sandbox.factures.api_models import DeposerFluxParam, DeposerFluxRetour
from sandbox.factures.models import FLUX_COUNTER_BASE, Flux, numero_flux_depot
from sandbox.vocabulary import EtatFlux

TAG = "Factures"
PATH = "/cpro/factures/v1/deposer/flux"
# A file name: something, a dot, an extension of letters/digits (".tar.gz" included).
_NAME = re.compile(r"[^/\\]*[^./\\]\.[A-Za-z0-9]{1,10}")


def decode_file(encoded: str) -> bytes:
    """The file's bytes from strict base64, or the business error."""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise errors.FichierNonBase64() from None


def check_envelope(ctx: Context, p: DeposerFluxParam) -> bytes:
    """Check what the platform checks at once; return the decoded file."""
    if not _NAME.fullmatch(p.nomFichier.strip()):
        raise errors.NomFichierInvalide()
    content = decode_file(p.fichierFlux)
    if not content:
        raise errors.FichierVide()
    limit = ctx.settings.factures_max_file_bytes
    if len(content) > limit:
        raise errors.FichierTropVolumineux(
            f"Le fichier du flux ({len(content)} octets) dépasse la taille maximale "
            f"autorisée ({limit} octets)."
        )
    return content


def create_flux(
    ctx: Context, syntaxe: str, nom_fichier: str, content: bytes, avec_signature: bool
) -> Flux:
    """Store a new flux waiting for integration and give it its number (committed)."""
    now = clock.utcnow_naive()
    user = ctx.caller.user
    s = db.begin_write(ctx.s)
    flux = Flux(
        syntaxe_flux=str(syntaxe),
        nom_fichier=nom_fichier,
        avec_signature=avec_signature,
        etat=EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP,
        date_depot=now,
        date_etat_courant=now,
        depositor_user_id=user.id,
        technical_user_id=user.id if user.is_technical else None,
        depositor_structure_id=user.technical_structure_id,
        content=content,
        size=len(content),
        integrate_after=now + timedelta(seconds=ctx.settings.factures_integration_delay),
        attempts=0,
        erreurs_dp=[],
        erreurs_techniques=[],
    )
    s.add(flux)
    s.flush()
    flux.numero_flux_depot = numero_flux_depot(syntaxe, FLUX_COUNTER_BASE + flux.id)
    s.commit()
    from sandbox.factures import worker

    worker.wake()
    return flux


@operation(
    "POST",
    PATH,
    operation_id="deposerFluxFacture",
    summary="Déposer un flux de factures (UBL, CII, Factur-X, lot zip/tar.gz)",
    tag=TAG,
    request_model=DeposerFluxParam,
    response_model=DeposerFluxRetour,
)
def deposer_flux(ctx: Context, p: DeposerFluxParam) -> dict:
    """Deposit a file of invoices; integration follows asynchronously (poll consulterCR)."""
    content = check_envelope(ctx, p)
    flux = create_flux(ctx, p.syntaxeFlux, p.nomFichier.strip(), content, bool(p.avecSignature))
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_DEPOT_OK,
        "numeroFluxDepot": flux.numero_flux_depot,
        "dateDepot": clock.aware(flux.date_depot).astimezone(PARIS).date().isoformat(),
        "syntaxeFlux": str(p.syntaxeFlux),
    }


def max_request_bytes(settings) -> int:  # noqa: ANN001
    """The body a deposit may need: the file in base64 (4/3) plus the JSON around it."""
    return settings.factures_max_file_bytes * 4 // 3 + 64 * 1024


def init_app(app: Flask) -> None:
    """Let deposer/flux bodies be as large as a 30 Mo file in base64 (the app's
    limit stays the general one for every other route)."""

    def _larger_body_for_deposits() -> None:
        if request.path.rstrip("/") == PATH:
            request.max_content_length = max_request_bytes(current_app.config["SANDBOX"])

    # First in line: no hook may read the body before its limit is raised.
    app.before_request_funcs.setdefault(None, []).insert(0, _larger_body_for_deposits)
