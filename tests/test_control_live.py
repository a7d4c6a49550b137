"""Control plane on the session's real stack (gunicorn, two workers, Mailpit).

Every global change (clock, faults, maintenance) is undone in a ``finally``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from sandbox import db
from sandbox.mail.outbox import enqueue
from sandbox.stack import wait_until


@pytest.fixture
def control(base_url) -> Iterator[str]:
    """The control plane's URL; faults and clock are put back afterwards."""
    url = f"{base_url}/_sandbox"
    try:
        yield url
    finally:
        requests.delete(f"{url}/faults", timeout=10)
        requests.put(f"{url}/clock", json={"offsetSeconds": 0}, timeout=10)


def test_dropped_connection_and_latency_on_one_route_only(control, base_url):
    marker = uuid.uuid4().hex[:8]
    rules = {"rules": [
        {"method": "GET", "path": f"/essai/drop-{marker}", "error": {"drop": True}},
        {"pathRegex": f"/essai/slow-{marker}/[0-9]+", "latency": {"minMs": 20, "maxMs": 40}},
    ]}
    assert requests.put(f"{control}/faults", json=rules, timeout=10).status_code == 200
    for _ in range(4):  # whichever worker answers
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base_url}/essai/drop-{marker}", timeout=10)
    assert requests.post(f"{base_url}/essai/drop-{marker}", timeout=10).status_code != 503
    assert requests.get(f"{base_url}/essai/slow-{marker}/1", timeout=10).status_code == 404
    journal = requests.get(f"{control}/requests", params={"path": f"/essai/*{marker}*"},
                           timeout=10).json()["requests"]
    dropped = [e for e in journal if e["path"] == f"/essai/drop-{marker}" and e["method"] == "GET"]
    assert len(dropped) == 4 and all(e["status"] is None and e["fault"] == "drop"
                                     for e in dropped)
    slow = [e for e in journal if e["path"].startswith(f"/essai/slow-{marker}")]
    assert slow and slow[0]["fault"].startswith("latency:")
    assert slow[0]["durationMs"] >= 20  # the server's own measure includes the delay


def test_maintenance_and_clock_are_shared_by_every_worker(control, base_url):
    assert requests.put(f"{control}/maintenance", json={"enabled": True},
                        timeout=10).status_code == 200
    try:
        # Many requests over fresh connections reach both workers.
        answers = [requests.get(f"{base_url}/connexion", timeout=10) for _ in range(12)]
        assert {a.status_code for a in answers} == {503}
        assert "maintenance" in answers[0].text
        api = requests.post(f"{base_url}/cpro/structures/v1/rechercher", json={}, timeout=10)
        assert api.status_code == 503 and api.json()["error"] == "service_unavailable"
        assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
    finally:
        requests.put(f"{control}/maintenance", json={"enabled": False}, timeout=10)
    assert requests.get(f"{base_url}/connexion", timeout=10).status_code != 503
    moved = requests.put(f"{control}/clock", json={"advance": "25h"}, timeout=10).json()
    assert moved["offsetSeconds"] == 90000
    offsets = {requests.get(f"{base_url}/health", timeout=10).json()["clockOffsetSeconds"]
               for _ in range(12)}
    assert offsets == {90000}


def test_journal_merges_every_worker(control, base_url):
    marker = uuid.uuid4().hex[:8]
    for i in range(10):
        requests.get(f"{base_url}/essai/j-{marker}/{i}", timeout=10)
    entries = requests.get(f"{control}/requests", params={"path": f"/essai/j-{marker}/*"},
                           timeout=10).json()["requests"]
    assert [e["path"] for e in entries] == [f"/essai/j-{marker}/{i}" for i in range(10)]
    assert len({e["id"].split("-")[0] for e in entries}) >= 1


def test_mails_lists_what_was_sent_with_state_and_link(control, stack_db, mailpit):
    to = f"ctl-{uuid.uuid4().hex[:10]}@example.com"
    link = f"http://127.0.0.1/activation/{uuid.uuid4().hex}"
    with db.transaction() as s:
        enqueue(s, "activation", to, {"prenom": "Anne", "nom": "Roux", "login": to,
                                      "link": link, "validity": "24 heures"}, link=link)
    mailpit.wait_for_message(recipient=to)

    def delivered() -> bool:
        mails = requests.get(f"{control}/mails", params={"to": to}, timeout=10).json()["mails"]
        return bool(mails) and mails[0]["state"] == "delivered"

    wait_until(delivered, 30, "the mail marked delivered")
    mails = requests.get(f"{control}/mails", params={"to": to}, timeout=10).json()["mails"]
    assert len(mails) == 1
    assert mails[0]["kind"] == "activation" and mails[0]["link"] == link
    assert mails[0]["subject"].startswith("Chorus Pro")
    assert requests.get(f"{control}/mails", params={"to": "nobody-" + to},
                        timeout=10).json()["mails"] == []


def test_dashboard_shows_a_live_sandbox(control, base_url):
    requests.put(f"{control}/clock", json={"offset": "3h"}, timeout=10)
    page = requests.get(f"{control}/", timeout=10)
    assert page.status_code == 200
    assert "structures" in page.text and "10800.0" in page.text
    notice = requests.post(f"{control}/dashboard/clock", data={"action": "real"}, timeout=10)
    assert notice.status_code == 200 and "Clock back to real time" in notice.text
    assert requests.get(f"{control}/clock", timeout=10).json()["offsetSeconds"] == 0
    forged = requests.post(f"{control}/dashboard/clock", data={"advance": "1d"},
                           headers={"Origin": "http://evil.example"}, timeout=10)
    assert forged.status_code == 403
    assert 'href="/_sandbox/static/dashboard.css"' in page.text
    assert requests.get(f"{control}/static/dashboard.css", timeout=10).status_code == 200
    unknown = requests.get(f"{control}/no-such-control", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"]
    spec = requests.get(f"{control}/openapi.json", timeout=10).json()
    assert {"/reset", "/clock", "/faults", "/requests", "/mails",
            "/captcha/{captchaId}"} <= set(spec["paths"])


def test_dataset_route_generates_a_qualification_data_set(control, chorus_sandbox):
    from sandbox.config import load_settings
    from sandbox.seeding import default_credentials

    settings = load_settings(environ=chorus_sandbox.env)
    requester = default_credentials(settings)["gestionnaire"]["login"]
    before = requests.get(f"{control}/mails", params={"to": requester}, timeout=10).json()["count"]
    answer = requests.post(f"{control}/dataset", json={"requester": requester}, timeout=60)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body["entities"]) >= {
        "Fournisseur", "Valideur", "MOE", "Destinataire", "Destinataire 2", "MOA"
    }
    assert body["csv"].splitlines()[0] == "Entite;Libelle;Valeur"
    fournisseur = body["entities"]["Fournisseur"]
    siret = fournisseur["SIRET Structure"]
    assert fournisseur["Login compte GP"] == f"GEST_PRIVE_1_{siret}@cpro.fr"
    # The data set's accounts exist and are active.
    account = requests.get(f"{control}/accounts/{fournisseur['Login compte GP']}", timeout=10)
    assert account.status_code == 200 and account.json()["statut"] == "ACTIF"
    # The requester is told by mail.
    wait_until(
        lambda: requests.get(f"{control}/mails", params={"to": requester}, timeout=10)
        .json()["count"] == before + 1,
        30, "the data-set mail",
    )
    assert requests.post(f"{control}/dataset", json={"requester": "nobody@example.com"},
                         timeout=10).status_code == 404
    assert requests.post(f"{control}/dataset", json=[1], timeout=10).status_code == 400
