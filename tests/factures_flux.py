"""Helpers of the flux tests: deposit through HTTP, move the sandbox clock, poll the CR.

A client does what OCA or Tryton do: ``deposer/flux``, then ``consulterCRDetaille``
until the flux state is terminal. The integration delay is on the sandbox clock, so
the tests advance the clock (``PUT /_sandbox/clock``) instead of waiting for it.
"""

from __future__ import annotations

import base64
import time

import requests
from api_factories import ApiClient

from sandbox.vocabulary import ETATS_FLUX_TERMINAUX

DEPOSER = "/cpro/factures/v1/deposer/flux"
CR = "/cpro/transverses/v1/consulterCR"
CR_DETAILLE = "/cpro/transverses/v1/consulterCRDetaille"
RECHERCHER = "/cpro/factures/v1/rechercher/fournisseur"
CONSULTER = "/cpro/factures/v1/consulter/fournisseur"
HISTORIQUE = "/cpro/factures/v1/consulter/historique"


def deposit(api: ApiClient, content: bytes, nom: str, syntaxe: str) -> dict:
    body = api.call(
        DEPOSER,
        {"fichierFlux": base64.b64encode(content).decode("ascii"), "nomFichier": nom,
         "syntaxeFlux": str(syntaxe), "avecSignature": False},
    )
    assert body["codeRetour"] == 0, body
    return body


def advance_clock(base_url: str, seconds: float) -> None:
    answer = requests.put(f"{base_url}/_sandbox/clock", json={"advance": f"{seconds}s"},
                          timeout=30)
    assert answer.status_code == 200, answer.text


def wait_terminal(api: ApiClient, numero: str, timeout: float = 60.0) -> dict:
    """Poll consulterCRDetaille until the flux is integrated, partly integrated or rejected."""
    deadline = time.monotonic() + timeout
    while True:
        body = api.call(CR_DETAILLE, {"numeroFluxDepot": numero})
        assert body["codeRetour"] == 0, body
        if body["etatCourantDepotFlux"] in ETATS_FLUX_TERMINAUX:
            return body
        assert time.monotonic() < deadline, f"flux {numero} still {body['etatCourantDepotFlux']}"
        time.sleep(0.2)


def deposit_and_integrate(
    api: ApiClient, base_url: str, content: bytes, nom: str, syntaxe: str, delay: float
) -> tuple[dict, dict]:
    """Deposit, move the sandbox clock ``delay`` seconds on, wait for a terminal state; the
    clock is put back. Returns the deposit's answer and the final CR."""
    before = requests.get(f"{base_url}/_sandbox/clock", timeout=30).json()["offsetSeconds"]
    answer = deposit(api, content, nom, syntaxe)
    try:
        advance_clock(base_url, delay)
        cr = wait_terminal(api, answer["numeroFluxDepot"])
    finally:
        requests.put(f"{base_url}/_sandbox/clock", json={"offsetSeconds": before}, timeout=30)
    return answer, cr


def invoices_of(api: ApiClient, numero: str, page_size: int | None = None) -> list[dict]:
    """Every invoice of a flux, page after page (as OCA does since its issue #571)."""
    found, page = [], 1
    while True:
        criteria = {"numeroFluxDepot": numero,
                    "rechercheFactureParFournisseur": {"pageResultatDemandee": page}}
        if page_size:
            criteria["rechercheFactureParFournisseur"]["nbResultatsParPage"] = page_size
        body = api.call(RECHERCHER, criteria)
        if body["codeRetour"] != 0:
            return found
        found.extend(body["listeFactures"])
        if page >= body["parametresRetour"]["pages"]:
            return found
        page += 1
