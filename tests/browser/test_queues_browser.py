"""Who waits for whom (issue #22.4), in Chromium: the dashboard's queues panel lists a
pending demande de rattachement under the gestionnaire and a received invoice under the
recipient; its portal links lead to the page where each acts, and its buttons act: the
demande is validated, the invoice suspended (it then waits for the supplier), completed
(back to the recipient), paid (it waits for no one). ``GET /_sandbox/queues`` says the
same in JSON."""

from __future__ import annotations

import uuid

import pytest
import requests
from test_portal_browser import browser, page_factory  # noqa: F401 (fixtures)

from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until

pytestmark = pytest.mark.browser


def _queues(base_url: str) -> dict[str, dict]:
    answer = requests.get(f"{base_url}/_sandbox/queues", timeout=10)
    assert answer.status_code == 200, answer.text
    return {q["actor"]: q for q in answer.json()["actors"]}


def _item(queue: dict, key: str, value) -> dict | None:  # noqa: ANN001
    return next((it for it in queue["items"] if it.get(key) == value), None)


def _received_invoice(chorus, tmp_path) -> tuple[str, int]:  # noqa: ANN001
    """An invoice deposited by the seeded supplier to the seeded État recipient."""
    credentials = chorus.credentials()
    numero = f"QUE-{uuid.uuid4().hex[:10].upper()}"
    xml = ex.cii(ex.Example(numero, credentials["structure"]["identifiant"], ETAT,
                            service="SFACETAT", destinataire_nom="Destinataire Etat"))
    api = chorus.technical_client()
    flux = chorus.deposit_invoice(api, xml, f"{numero}.xml", "IN_DP_E1_CII_16B")
    assert chorus.wait_flux(api, flux)["etatCourantDepotFlux"] == "IN_INTEGRE"
    found: dict = {}

    def waits_for_the_recipient() -> bool:
        found.update(_item(_queues(chorus.url)["RECIPIENT"], "numeroFacture", numero) or {})
        return bool(found)

    wait_until(waits_for_the_recipient, 30, "the invoice in the recipient's queue")
    return numero, found["idFacture"]


def test_the_queues_panel_lists_and_acts(chorus, page_factory, base_url, tmp_path):  # noqa: ANN001, F811
    gestionnaire = chorus.signup()
    joiner = chorus.signup(activate=False, identifiant=gestionnaire.identifiant)
    numero, facture_id = _received_invoice(chorus, tmp_path)

    queues = _queues(base_url)
    demande = _item(queues["GESTIONNAIRE"], "demandeur", joiner.login)
    assert demande is not None and demande["gestionnaires"] == [gestionnaire.login]
    assert demande["structure"]["identifiant"] == gestionnaire.identifiant
    invoice = _item(queues["RECIPIENT"], "idFacture", facture_id)
    assert invoice is not None and invoice["statut"] == "MISE_A_DISPOSITION"
    assert {a["label"] for a in invoice["actions"]} >= {"portail", "SUSPENDUE", "REJETEE"}
    assert _item(queues["SUPPLIER"], "idFacture", facture_id) is None

    page = page_factory(javascript=False)
    page.goto("/_sandbox/")
    gestion = page.locator(f'section[data-actor="GESTIONNAIRE"] tr[data-kind="rattachement"]'
                           f'[data-id="{demande["idRattachementStructure"]}"]')
    recipient = page.locator(f'section[data-actor="RECIPIENT"] tr[data-id="{facture_id}"]')
    assert joiner.login in gestion.inner_text()
    assert numero in recipient.inner_text()

    # The portal links lead to the pages where each actor acts (the login first).
    gestion.get_by_role("link", name="portal page").click()
    page.wait_for_url("**/connexion**")
    assert "gestionnaire/demandes" in page.url
    page.goto("/_sandbox/")
    recipient.get_by_role("link", name="portal page").click()
    page.wait_for_url("**/connexion**")
    assert "factures/recues" in page.url
    page.goto("/_sandbox/")

    # The buttons act: the demande is validated.
    gestion.get_by_role("button", name="VALIDEE").click()
    page.wait_for_url("**/_sandbox/?notice=*")
    assert gestion.count() == 0
    account = requests.get(f"{base_url}/_sandbox/accounts/{joiner.login}", timeout=10).json()
    assert account["rattachements"][0]["statut"] == "VALIDEE"

    # The invoice suspended waits for the supplier, completed for the recipient again.
    recipient.get_by_role("button", name="SUSPENDUE").click()
    page.wait_for_url("**/_sandbox/?notice=*")
    supplier = page.locator(f'section[data-actor="SUPPLIER"] tr[data-id="{facture_id}"]')
    assert recipient.count() == 0 and "SUSPENDUE" in supplier.inner_text()
    supplier.get_by_role("button", name="COMPLETEE").click()
    page.wait_for_url("**/_sandbox/?notice=*")
    assert supplier.count() == 0 and "COMPLETEE" in recipient.inner_text()
    recipient.get_by_role("button", name="MISE_EN_PAIEMENT").click()
    page.wait_for_url("**/_sandbox/?notice=*")
    assert recipient.count() == 0 and supplier.count() == 0
    final = _queues(base_url)
    assert all(_item(q, "idFacture", facture_id) is None for q in final.values())
    listed = requests.get(f"{base_url}/_sandbox/factures/factures",
                          params={"numeroFacture": numero}, timeout=10)
    assert listed.status_code == 200 and "MISE_EN_PAIEMENT" in listed.text


def test_a_refused_action_changes_nothing(chorus, page_factory, base_url):  # noqa: ANN001, F811
    page = page_factory(javascript=False)
    page.goto("/_sandbox/")
    answer = page.request.post("/_sandbox/dashboard/queues",
                               form={"kind": "facture", "id": "1", "value": "NOPE"})
    assert answer.ok and "Unchanged" in answer.text()
    answer = page.request.post("/_sandbox/dashboard/queues", form={"kind": "x", "id": "y"})
    assert answer.ok and "Unchanged: nothing to act on" in answer.text()
