"""``POST /cpro/factures/v1/deposer/flux``: the envelope, checked synchronously.

The answer carries only ``numeroFluxDepot``, ``dateDepot`` and the echoed
``syntaxeFlux`` (factures-reference.md §3.2); the file itself is read later by the
integration worker (``worker.py``), after ``SANDBOX_FACTURES_INTEGRATION_DELAY``
seconds of the sandbox clock. The rules (envelope checks, the new flux) are
``rules/deposit.py``'s; this module decodes the base64 and renders the answer.
"""

from __future__ import annotations

import base64
import binascii

from flask import Flask, current_app, request

from sandbox import clock
from sandbox.config import Settings
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import PARIS
from sandbox.factures import errors, worker
from sandbox.factures.rules import deposit
from sandbox.factures.schemas.flux import DeposerFluxParam, DeposerFluxRetour

TAG = "Factures"
PATH = "/cpro/factures/v1/deposer/flux"


def decode_file(encoded: str) -> bytes:
    """The file's bytes from strict base64, or the business error."""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise errors.FichierNonBase64() from None


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
    deposit.check_name(p.nomFichier)  # before decoding, as the platform answers
    content = decode_file(p.fichierFlux)
    deposit.check_envelope(ctx.settings, p.nomFichier, content)
    flux = deposit.create_flux(ctx.s, ctx.settings, ctx.caller.user, p.syntaxeFlux,
                               p.nomFichier, content, bool(p.avecSignature))
    worker.wake()
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_DEPOT_OK,
        "numeroFluxDepot": flux.numero_flux_depot,
        "dateDepot": clock.aware(flux.date_depot).astimezone(PARIS).date().isoformat(),
        "syntaxeFlux": str(p.syntaxeFlux),
    }


def max_request_bytes(settings: Settings) -> int:
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
