"""The Factures control plane over HTTP against the session's stack: move an invoice,
automatic lifecycle policies on the sandbox clock, forced flux outcomes, the listings,
bad input, the OpenAPI document and the reset. Deposits go through ``deposer/flux`` with
the seeded technical account (the plugin's ``deposit_invoice``/``wait_flux``)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.invoice_cases import ETAT
from sandbox.stack import wait_until

CONTROL = "/_sandbox/factures"


@pytest.fixture
def api(chorus):
    yield chorus.technical_client()
    requests.delete(f"{chorus.url}{CONTROL}/policies", timeout=10)


def _invoice_file(chorus) -> tuple[str, bytes]:
    numero = f"CTL-{uuid.uuid4().hex[:10].upper()}"
    supplier = chorus.credentials()["structure"]["identifiant"]
    example = ex.Example(numero, supplier, ETAT, service="SFACETAT",
                         destinataire_nom="Destinataire Etat")
    return numero, ex.cii(example)


def _deposit(chorus, api, *, wait: bool = True) -> tuple[str, str]:
    numero, content = _invoice_file(chorus)
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    if wait:
        cr = chorus.wait_flux(api, flux)
        assert cr["etatCourantDepotFlux"] == "IN_INTEGRE", cr
    return numero, flux


def _facture(chorus, numero: str) -> dict:
    answer = requests.get(f"{chorus.url}{CONTROL}/factures", params={"numeroFacture": numero},
                          timeout=10)
    assert answer.status_code == 200, answer.text
    (facture,) = answer.json()["factures"]
    return facture


def test_listings_show_flux_with_their_cr_and_invoices_with_history(chorus, api):
    numero, flux = _deposit(chorus, api)
    listed = requests.get(f"{chorus.url}{CONTROL}/flux", params={"numeroFluxDepot": flux},
                          timeout=10).json()
    assert listed["count"] == 1
    (row,) = listed["flux"]
    assert row["etatCourantFlux"] == "IN_INTEGRE"
    assert row["listeErreurDP"] == [] and len(row["idFactures"]) == 1
    facture = _facture(chorus, numero)
    assert facture["idFacture"] == row["idFactures"][0]
    assert facture["numeroFluxDepot"] == flux and facture["destinataire"] == ETAT
    assert facture["statut"] == "MISE_A_DISPOSITION"
    assert [h["statut"] for h in facture["historique"]] == [
        "DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]
    by_state = requests.get(f"{chorus.url}{CONTROL}/flux", params={"etat": "IN_REJETE",
                            "limit": 500}, timeout=10).json()
    assert flux not in [f["numeroFluxDepot"] for f in by_state["flux"]]


def test_move_an_invoice_along_allowed_transitions(chorus, api):
    numero, _ = _deposit(chorus, api)
    facture_id = _facture(chorus, numero)["idFacture"]
    moved = requests.post(f"{chorus.url}{CONTROL}/{facture_id}/statut",
                          json={"statut": "MISE_EN_PAIEMENT"}, timeout=10)
    assert moved.status_code == 200, moved.text
    assert moved.json()["etapes"] == ["MISE_EN_PAIEMENT"]
    # The supplier sees it through the real API.
    history = api.post("/cpro/factures/v1/consulter/historique",
                       json={"idFacture": facture_id}).json()
    assert history["codeRetour"] == 0, history
    assert "MISE_EN_PAIEMENT" in str(history)
    # Final: nothing further, and nothing changed.
    refused = requests.post(f"{chorus.url}{CONTROL}/{facture_id}/statut",
                            json={"statut": "SUSPENDUE"}, timeout=10)
    assert refused.status_code == 409 and "atteignable" in refused.json()["error"]
    assert _facture(chorus, numero)["statut"] == "MISE_EN_PAIEMENT"


def test_move_to_rejected_records_the_motif(chorus, api):
    numero, _ = _deposit(chorus, api)
    facture_id = _facture(chorus, numero)["idFacture"]
    moved = chorus.move_invoice(facture_id, "REJETEE", motif="Montant erroné")  # the plugin
    assert moved["statut"] == "REJETEE" and moved["statutsPossibles"] == []
    last = _facture(chorus, numero)["historique"][-1]
    assert last == {**last, "statut": "REJETEE", "commentaire": "Montant erroné"}


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/999999999999/statut", {"statut": "REJETEE"}, 404),
    ("/1/statut", {"statut": "PAS_UN_STATUT"}, 400),
    ("/1/statut", {"statut": "REJETEE", "autre": 1}, 400),
    ("/1/statut", {"statut": 3}, 400),
    ("/policies", {"destinataire": "*", "statutDepart": "MISE_A_DISPOSITION",
                   "statutArrivee": "DEPOSEE", "delai": "2d"}, 400),
    ("/policies", {"destinataire": "*", "statutDepart": "MISE_A_DISPOSITION",
                   "statutArrivee": "MISE_EN_PAIEMENT"}, 400),
    ("/policies", {"destinataire": "*", "statutDepart": "MISE_A_DISPOSITION",
                   "statutArrivee": "MISE_EN_PAIEMENT", "delai": "deux jours"}, 400),
    ("/policies", {"destinataire": "99999999999999", "statutDepart": "MISE_A_DISPOSITION",
                   "statutArrivee": "MISE_EN_PAIEMENT", "delai": "2d"}, 404),
    ("/flux/FLUX_INCONNU/resultat", {"etat": "IN_REJETE"}, 404),
    ("/flux/X/resultat", {"etat": "IN_INTEGRE"}, 400),
])
def test_bad_input_is_a_4xx_json_and_changes_nothing(chorus, api, path, body, status):
    method = requests.put if path == "/policies" else requests.post
    before = requests.get(f"{chorus.url}{CONTROL}/policies", timeout=10).json()
    answer = method(f"{chorus.url}{CONTROL}{path}", json=body, timeout=10)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]
    assert requests.get(f"{chorus.url}{CONTROL}/policies", timeout=10).json() == before


def test_bad_query_and_not_json(chorus):
    assert requests.get(f"{chorus.url}{CONTROL}/flux", params={"etat": "NIMPORTE"},
                        timeout=10).status_code == 400
    assert requests.get(f"{chorus.url}{CONTROL}/factures", params={"limit": "0"},
                        timeout=10).status_code == 400
    garbage = requests.post(f"{chorus.url}{CONTROL}/1/statut", data=b"\xff{",
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert garbage.status_code == 400 and "JSON" in garbage.json()["error"]


def test_a_policy_moves_invoices_when_the_clock_advances(chorus, api):
    put = requests.put(f"{chorus.url}{CONTROL}/policies", json={
        "destinataire": ETAT, "statutDepart": "MISE_A_DISPOSITION",
        "statutArrivee": "MISE_EN_PAIEMENT", "delai": "2d"}, timeout=10)
    assert put.status_code == 200, put.text
    assert put.json()["delaiSecondes"] == 172800
    listed = requests.get(f"{chorus.url}{CONTROL}/policies", params={"destinataire": ETAT},
                          timeout=10).json()
    assert [p["statutArrivee"] for p in listed["policies"]] == ["MISE_EN_PAIEMENT"]
    numero, _ = _deposit(chorus, api)
    chorus.set_clock(advance="1d")
    assert _facture(chorus, numero)["statut"] == "MISE_A_DISPOSITION"
    chorus.set_clock(advance="1d1h")
    wait_until(lambda: _facture(chorus, numero)["statut"] == "MISE_EN_PAIEMENT", 30,
               "the policy moved the invoice", interval=0.2)
    assert _facture(chorus, numero)["historique"][-1]["statut"] == "MISE_EN_PAIEMENT"
    policy_id = listed["policies"][0]["id"]
    assert requests.delete(f"{chorus.url}{CONTROL}/policies/{policy_id}",
                           timeout=10).status_code == 204
    assert requests.delete(f"{chorus.url}{CONTROL}/policies/{policy_id}",
                           timeout=10).status_code == 404


def test_force_a_flux_before_integration(chorus, api):
    _, flux = _deposit(chorus, api, wait=False)
    errors = [{"numeroDP": "X1", "libelleErreurDP": "Rejet voulu par le test",
               "identifiantFournisseur": None, "identifiantDestinataire": ETAT}]
    forced = requests.post(f"{chorus.url}{CONTROL}/flux/{flux}/resultat",
                           json={"etat": "IN_REJETE", "listeErreurDP": errors}, timeout=10)
    assert forced.status_code == 200, forced.text
    cr = chorus.wait_flux(api, flux)
    assert cr["etatCourantDepotFlux"] == "IN_REJETE"
    assert cr["listeErreurDP"] == errors


def test_force_a_flux_to_incident_after_integration(chorus, api):
    numero, flux = _deposit(chorus, api)
    forced = requests.post(f"{chorus.url}{CONTROL}/flux/{flux}/resultat",
                           json={"etat": "IN_INCIDENTE"}, timeout=10)
    assert forced.status_code == 200, forced.text
    cr = api.post("/cpro/transverses/v1/consulterCRDetaille",
                  json={"numeroFluxDepot": flux}).json()
    assert cr["etatCourantDepotFlux"] == "IN_INCIDENTE"
    assert cr["listeErreurTechnique"][0]["codeErreur"] == "ERR_TECHNIQUE_001"
    assert requests.get(f"{chorus.url}{CONTROL}/factures", params={"numeroFacture": numero},
                        timeout=10).json()["count"] == 0


def test_the_routes_are_in_the_openapi_document(chorus):
    paths = requests.get(f"{chorus.url}/_sandbox/openapi.json", timeout=10).json()["paths"]
    assert set(paths["/factures/policies"]) == {"get", "put", "delete"}
    for path in ("/factures/{idFacture}/statut", "/factures/flux/{numeroFluxDepot}/resultat",
                 "/factures/flux", "/factures/factures", "/factures/policies/{policyId}",
                 "/factures/check", "/factures/flux/{numeroFluxDepot}/etats"):
        assert path in paths, path
    assert set(paths["/factures/options/{identifiant}"]) == {"get", "put", "delete"}
    check = paths["/factures/check"]["post"]["requestBody"]["content"]["application/json"]
    assert "syntaxeFlux" in json.dumps(check) or "$ref" in json.dumps(check)


def test_reset_clears_the_policies(chorus_reset):
    """A reset removes the policies set over HTTP and puts back the seeded ones (the
    scenario recipients' scripts), even after they were deleted."""
    seeded = requests.get(f"{chorus_reset.url}{CONTROL}/policies", timeout=10).json()
    assert seeded["count"] > 0 and all(p["destinataire"] != "*" for p in seeded["policies"])
    put = requests.put(f"{chorus_reset.url}{CONTROL}/policies", json={
        "destinataire": "*", "statutDepart": "MISE_A_DISPOSITION",
        "statutArrivee": "SERVICE_FAIT", "delaiSecondes": 60}, timeout=10)
    assert put.status_code == 200, put.text
    assert requests.delete(f"{chorus_reset.url}{CONTROL}/policies/"
                           f"{seeded['policies'][0]['id']}", timeout=10).status_code == 204
    chorus_reset.reset()
    after = requests.get(f"{chorus_reset.url}{CONTROL}/policies", timeout=10).json()
    strip = [{k: v for k, v in p.items() if k != "id"} for p in after["policies"]]
    assert strip == [{k: v for k, v in p.items() if k != "id"} for p in seeded["policies"]]


def test_the_dashboard_shows_the_latest_flux_and_invoices(chorus, api):  # noqa: ANN001
    numero, flux = _deposit(chorus, api)
    html = requests.get(f"{chorus.url}/_sandbox/", timeout=10).text
    panel = html.split('id="latest-flux"', 1)[1]
    assert flux in panel and numero in panel and "MISE_A_DISPOSITION" in panel


def test_the_dashboard_explains_a_rejection(chorus, api):  # noqa: ANN001
    siret = chorus.credentials()["structure"]["identifiant"]
    numero = f"DSH{uuid.uuid4().hex[:8].upper()}"
    content = ex.cii(ex.Example(numero, siret, ETAT, service="SFACETAT", codes_tva=False))
    flux = chorus.deposit_invoice(api, content, f"{numero}.xml", "IN_DP_E1_CII_16B")
    cr = chorus.wait_flux(api, flux)
    assert cr["etatCourantDepotFlux"] == "IN_REJETE"
    html = requests.get(f"{chorus.url}/_sandbox/", timeout=10).text
    row = html.split(f'<tr data-flux="{flux}">', 1)[1].split("</tr>", 1)[0]
    assert row.count('data-rule="GES-15"') == 6  # two lines and one VAT group, two codes each
    assert "why: This tax block has no TypeCode" in row and "fix: Give each" in row
