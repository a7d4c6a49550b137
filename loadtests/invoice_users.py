"""The invoice user: an ERP connector that deposits invoices and follows them.

Each cycle does what OCA's and Tryton's connectors do: ``deposer/flux`` of a UBL
invoice (a fresh number each time), poll ``consulterCRDetaille`` until the flux is
terminal, find the invoice with ``rechercher/fournisseur`` and read its history. The
time from the deposit to ``IN_INTEGRE`` is reported as a request of type ``FLUX``
(name ``deposer/flux → IN_INTEGRE``), so its p95 sits in the stats with the HTTP rows.
Every acknowledged deposit goes to the ledger: the post-run check counts, in the
database, one flux per deposit, integrated exactly once, and one invoice per number
(``sandbox/loadtesting/checks.py``).

The load profile sets ``SANDBOX_FACTURES_INTEGRATION_DELAY=0`` for these runs: the
measured delay is then the worker's own (poll interval, queue, integration).
"""

from __future__ import annotations

import base64
import itertools
import os
import time
import uuid

import common
from api_users import ApiUser
from locust import FastHttpUser

from sandbox.seeding.invoice_examples import Example, ubl

RECIPIENT, SERVICE = "11000201100044", "SFACETAT"  # the permanent "Destinataire Etat"
TERMINAL = {"IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_INCIDENTE"}
POLL_SECONDS = 0.2
FLUX_TIMEOUT = 120.0
_SEQUENCE = itertools.count(1)
_RUN = uuid.uuid4().hex[:6].upper()


class InvoiceUser(FastHttpUser):
    """deposer/flux -> consulterCRDetaille until terminal -> rechercher/fournisseur ->
    consulter/historique."""

    weight = 2
    wait_time = common.think_time
    # The integrator's token and call handling (not its read-mix tasks).
    refresh_token = ApiUser.refresh_token
    headers = ApiUser.headers
    _request = ApiUser._request
    call = ApiUser.call

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        account = f"{opts.tech_login}:{opts.tech_password}".encode()
        self.cpro_account = base64.b64encode(account).decode("ascii")
        self.token = None
        self.token_expires = 0.0
        # The technical account TECH_1_<SIRET>@cpro.fr deposits for its own structure.
        self.siret = opts.tech_login.split("_")[-1].split("@")[0]
        self.refresh_token()

    def _number(self) -> str:
        return f"LD{_RUN}{os.getpid() % 1000:03d}{next(_SEQUENCE):06d}"  # 17 characters

    def deposit_cycle(self) -> None:
        numero = self._number()
        content = ubl(Example(numero, self.siret, RECIPIENT, service=SERVICE))
        started = time.time()
        answer = self.call(
            "/cpro/factures/v1/deposer/flux",
            {"fichierFlux": base64.b64encode(content).decode("ascii"),
             "nomFichier": f"{numero}.xml", "syntaxeFlux": "IN_DP_E1_UBL_INVOICE",
             "avecSignature": False},
        )
        if not answer:
            return
        flux = answer["numeroFluxDepot"]
        common.LEDGER.write(self.environment, "deposit", flux=flux, numero=numero)
        etat = self._wait(flux, started)
        if etat != "IN_INTEGRE":
            return
        found = self.call("/cpro/factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux})
        factures = (found or {}).get("listeFactures") or []
        if factures:
            self.call("/cpro/factures/v1/consulter/historique",
                      {"idFacture": factures[0]["identifiantFactureCPP"]})

    def _wait(self, flux: str, started: float) -> str | None:
        deadline = started + FLUX_TIMEOUT
        while time.time() < deadline:
            cr = self.call("/cpro/transverses/v1/consulterCRDetaille", {"numeroFluxDepot": flux},
                           name="/cpro/transverses/v1/consulterCRDetaille [poll]")
            etat = (cr or {}).get("etatCourantDepotFlux")
            if etat in TERMINAL:
                self._metric(started, None if etat == "IN_INTEGRE" else RuntimeError(etat))
                common.LEDGER.write(self.environment, "flux", flux=flux, etat=etat)
                return etat
            time.sleep(POLL_SECONDS)  # gevent-patched: yields to the other users
        self._metric(started, TimeoutError(f"{flux} not terminal after {FLUX_TIMEOUT:.0f}s"))
        return None

    def _metric(self, started: float, error: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="FLUX", name="deposer/flux → IN_INTEGRE",
            response_time=(time.time() - started) * 1000, response_length=0,
            exception=error, context={},
        )

    tasks = [deposit_cycle]
