"""The stricter judgement (issue #20.1): off by default and never the legacy platform's
verdict; on request (a check's ``strict``, a supplier's option) the official EN 16931 and
BR-FR artefacts run through SaxonC-HE (the ``strict`` extra, installed by ``make install``)
and each fatal assert rejects the invoice with its rule id and place."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest
import requests

from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT

pytest.importorskip("saxonche", reason="the 'strict' extra (make install installs it)")

TRYTON = (Path(__file__).resolve().parent.parent / "fixtures" / "factures" / "erp" / "tryton"
          / "tryton-16b-cii-avec-codes-unece.xml")
COMPILE = 300  # the first strict check of a process compiles four stylesheets (seconds)


def _check(chorus, content: bytes, name: str, syntaxe: str, **extra) -> dict:
    answer = requests.post(f"{chorus.url}/_sandbox/factures/check", timeout=COMPILE, json={
        "fichierFlux": base64.b64encode(content).decode(), "nomFichier": name,
        "syntaxeFlux": syntaxe, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_tryton_integrates_and_fails_the_stricter_judgement(chorus):
    # Tryton's file under a number of its own (the ERP test may have deposited the original).
    content = TRYTON.read_bytes().replace(b"TRY-CII-2026-0001",
                                          f"TRY{uuid.uuid4().hex[:12].upper()}".encode())
    plain = _check(chorus, content, TRYTON.name, "IN_DP_E1_CII_16B")
    assert plain["factures"][0]["strict"] is False
    strict = _check(chorus, content, TRYTON.name, "IN_DP_E1_CII_16B", strict=True)
    assert strict["etatCourantDepotFlux"] == "IN_REJETE"
    (facture,) = strict["factures"]
    assert facture["strict"] is True
    explained = facture["explications"]
    rules = {e["regle"] for e in explained}
    assert rules <= {"STR-EN16931", "STR-BR-FR"} and "STR-EN16931" in rules
    br01 = next(e for e in explained if e["libelle"].startswith("BR-01 :"))
    assert "Specification identifier (BT-24)" in br01["why"]
    assert br01["ligne"] == 2  # the rule's context: the root element
    assert "BR-01 : [BR-01]-An Invoice shall have a Specification identifier" in facture[
        "erreurDP"]["libelleErreurDP"]


def test_a_supplier_option_judges_its_deposits_strictly(chorus):
    api = chorus.technical_client()
    siret = chorus.credentials()["structure"]["identifiant"]

    def deposit() -> dict:
        numero = f"STR{uuid.uuid4().hex[:10].upper()}"
        content = ex.cii(ex.Example(numero, siret, ETAT, service="SFACETAT"))
        flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
        return chorus.wait_flux(api, flux, timeout=COMPILE)

    assert deposit()["etatCourantDepotFlux"] == "IN_INTEGRE"
    chorus.set_supplier_options(siret, strict=True)
    try:
        cr = deposit()
    finally:
        requests.delete(f"{chorus.url}/_sandbox/factures/options/{siret}", timeout=30)
    assert cr["etatCourantDepotFlux"] == "IN_REJETE"
    assert "BR-FR-" in cr["listeErreurDP"][0]["libelleErreurDP"]
