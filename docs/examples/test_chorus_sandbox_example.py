"""An integrator's tests against Chorus Pro Sandbox, with its pytest plugin.

    pip install 'chorus-pro-sandbox[test]'   # the plugin registers itself (entry point)
    pytest docs/examples/ -p xdist -n 2      # one sandbox + Mailpit per xdist worker

``chorus`` drives the sandbox (control plane and whole user actions over HTTP);
the clock and faults a test changes are put back afterwards.
"""

import time

import pytest

from sandbox.testing.client import SandboxError


def test_signup_activate_then_find_my_structure_through_the_api(chorus):
    account = chorus.signup()  # form, captcha, activation mail, password: all over HTTP
    api = chorus.technical_client(account)  # its gestionnaire makes a technical account
    answer = api.post("/cpro/structures/v1/rechercher", json={
        "structure": {"identifiantStructure": account.identifiant,
                      "typeIdentifiantStructure": "SIRET"}})
    assert answer.status_code == 200
    assert answer.json()["listeStructures"][0]["identifiantStructure"] == account.identifiant


def test_my_client_sees_the_api_unavailable(chorus):
    api = chorus.technical_client()
    chorus.inject_fault("/cpro/transverses/v1/health-check", status=503)
    assert api.get("/cpro/transverses/v1/health-check").status_code == 503
    chorus.clear_faults()
    assert api.get("/cpro/transverses/v1/health-check").status_code == 200


def test_an_activation_link_is_dead_after_25_hours(chorus):
    pending = chorus.signup(activate=False)
    chorus.set_clock(advance="25h")
    with pytest.raises(SandboxError):
        chorus.activate(pending.activation_link, pending.password)


def test_my_client_polls_again_after_flux_introuvable(chorus):
    api = chorus.technical_client()
    introuvable = {"codeRetour": 20001, "libelle": "POQ_MSG_01.003 - Flux introuvable."}
    with chorus.override("/cpro/transverses/v1/consulterCRDetaille", method="POST",
                         body=introuvable, times=1,
                         body_partial={"numeroFluxDepot": "CPP-EXEMPLE-1"}) as rule:
        answer = api.post("/cpro/transverses/v1/consulterCRDetaille",
                          json={"numeroFluxDepot": "CPP-EXEMPLE-1"})
        assert answer.json() == introuvable  # what your client must handle
        assert rule.used() == 1
        again = api.post("/cpro/transverses/v1/consulterCRDetaille",
                         json={"numeroFluxDepot": "CPP-EXEMPLE-1"})
        assert "X-Sandbox-Override" not in again.headers  # used once: the real answer


def test_my_client_sent_one_search_with_the_right_body(chorus):
    started = time.time()
    api = chorus.technical_client()
    api.post("/cpro/structures/v1/rechercher",
             json={"structure": {"identifiantStructure": "46453052661656"}})
    found = chorus.assert_received(1, method="POST", path="/cpro/structures/v1/rechercher",
                                   body_partial={"structure": {
                                       "identifiantStructure": "46453052661656"}},
                                   since=started)
    assert found[0]["headers"]["cpro-account"] == "***"  # secrets are masked
    with pytest.raises(AssertionError, match="near miss"):  # names what was received
        chorus.assert_received(1, path="/cpro/structures/v1/rechercher", since=started,
                               body_partial={"structure": {"identifiantStructure": "1"}})
