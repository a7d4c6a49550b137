"""Control plane driving real flows on the session's stack, observed through the portal
and the API: the clock expires links and tokens, shortcuts set states, the journal
names the caller, mails show their link. Clock and faults are restored by ``chorus``."""

from __future__ import annotations

import uuid

import pytest
import requests

from sandbox.stack import wait_until
from sandbox.testing.client import SandboxError

# Needs the portal, the seeding and the PISTE areas (they land on main progressively).
for _area in ("sandbox.accounts", "sandbox.testing.portal", "sandbox.seeding", "sandbox.piste"):
    pytest.importorskip(_area)



def test_clock_expires_an_activation_link(chorus, base_url):
    pending = chorus.signup(activate=False)
    assert requests.get(pending.activation_link, timeout=10).status_code == 200
    chorus.set_clock(advance="25h")
    assert requests.get(pending.activation_link, timeout=10).status_code == 410
    chorus.set_clock(0)
    chorus.activate(pending.activation_link, pending.password)  # still valid in real time


def test_clock_expires_an_oauth_token(chorus, base_url):
    api = chorus.technical_client()
    assert api.get("/cpro/transverses/v1/health-check").status_code == 200
    chorus.set_clock(advance="59m")
    assert api.get("/cpro/transverses/v1/health-check").status_code == 200
    chorus.set_clock(advance="2m")
    expired = api.get("/cpro/transverses/v1/health-check")
    assert expired.status_code == 401


def test_fault_on_one_api_route_only(chorus):
    api = chorus.technical_client()
    chorus.inject_fault("/cpro/transverses/v1/health-check", method="GET", status=503,
                        probability=0.5, seed=3)
    outcomes = [api.get("/cpro/transverses/v1/health-check").status_code for _ in range(60)]
    assert set(outcomes) == {200, 503}
    assert 12 <= outcomes.count(503) <= 48
    other = api.post("/cpro/structures/v1/rechercher", json={"structure": {}})
    assert all(api.post("/cpro/structures/v1/rechercher", json={"structure": {}}).status_code
               == other.status_code for _ in range(10))
    assert other.status_code == 200


def test_journal_names_the_client_and_the_account(chorus):
    api = chorus.technical_client()
    credentials = chorus.credentials()
    marker = uuid.uuid4().hex[:6]
    api.post("/cpro/structures/v1/rechercher",
             json={"structure": {"raisonSocialeStructure": marker}})
    entries = chorus.requests_journal(path="/cpro/structures/v1/rechercher", method="POST")
    last = entries[-1]
    assert last["status"] == 200
    assert last["clientId"] == credentials["oauth_client"]["client_id"]
    assert last["account"].lower() == credentials["technical_account"]["login"].lower()
    token_calls = chorus.requests_journal(path="/api/oauth/token")
    assert token_calls[-1]["clientId"] == credentials["oauth_client"]["client_id"]


def test_shortcuts_expired_link_states_and_rattachement(chorus, base_url):
    pending = chorus.signup(activate=False)
    minted = chorus.control.post(f"accounts/{pending.login}/activation-link",
                                 json={"expired": True})
    assert minted.status_code == 201
    assert requests.get(minted.json()["link"], timeout=10).status_code == 410
    # The older link was revoked by the new one.
    assert requests.get(pending.activation_link, timeout=10).status_code == 410

    active = chorus.control.put(f"accounts/{pending.login}/state",
                                json={"state": "active", "password": pending.password})
    assert active.status_code == 200 and active.json()["statut"] == "ACTIF"
    visitor = chorus.portal()
    assert visitor.login(pending.login, pending.password).status_code == 303
    locked = chorus.control.put(f"accounts/{pending.login}/state", json={"state": "locked"})
    assert locked.json()["locked"] is True
    assert chorus.portal().login(pending.login, pending.password).status_code == 423
    assert chorus.control.put(f"accounts/{pending.login}/state",
                              json={"state": "frozen"}).status_code == 400
    assert chorus.control.put("accounts/nobody@example.com/state",
                              json={"state": "active"}).status_code == 404

    # A second person asks to join the structure: a demande de rattachement.
    joiner = chorus.signup(activate=False, identifiant=pending.identifiant)
    account = chorus.control.get(f"accounts/{joiner.login}").json()
    demande = account["rattachements"][0]
    assert demande["statut"] == "EN_COURS_DE_VALIDATION"
    with_pending = chorus.portal()
    assert with_pending.get(joiner.activation_link).status_code == 403
    decided = chorus.control.post(
        f"rattachements/{demande['idRattachementStructure']}/decision",
        json={"decision": "VALIDEE"})
    assert decided.status_code == 200 and decided.json()["statut"] == "VALIDEE"
    again = chorus.control.post(
        f"rattachements/{demande['idRattachementStructure']}/decision",
        json={"decision": "REFUSEE"})
    assert again.status_code == 409
    chorus.activate(joiner.activation_link, joiner.password)


def test_mails_show_the_activation_link_of_a_real_signup(chorus):
    account = chorus.signup(activate=False)
    mails = chorus.mails(account.login)
    activation = [m for m in mails if m["link"] == account.activation_link]
    assert len(activation) == 1 and activation[0]["kind"]
    wait_until(lambda: chorus.mails(account.login)[0]["state"] == "delivered", 30,
               "the signup's mails delivered")


def test_refused_control_call_raises_with_the_answer(chorus):
    try:
        chorus.set_clock(advance="soon")
    except SandboxError as problem:
        assert "invalid duration" in str(problem)
    else:
        raise AssertionError("a bad duration was accepted")
