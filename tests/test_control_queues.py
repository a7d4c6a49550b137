"""``GET /_sandbox/queues`` (issue #22.4) over HTTP: the seeded invoices that wait for the
default structure as validator are listed under VALIDATOR, and the control-plane action an
item carries, sent as it is given, takes it out of that queue."""

from __future__ import annotations

import requests


def _queues(base_url: str) -> dict[str, dict]:
    answer = requests.get(f"{base_url}/_sandbox/queues", timeout=10)
    assert answer.status_code == 200, answer.text
    return {q["actor"]: q for q in answer.json()["actors"]}


def test_the_validator_queue_and_its_actions(chorus_reset, base_url):
    own = chorus_reset.credentials()["structure"]["identifiant"]
    queue = _queues(base_url)["VALIDATOR"]
    assert queue["statuts"] == ["A_VALIDER_1"]
    mine = [it for it in queue["items"] if it["structure"]["identifiant"] == own]
    assert mine and queue["count"] >= len(mine)
    item = mine[0]
    portal, *moves = item["actions"]
    assert portal == {"label": "portail", "method": "GET", "href": "/factures/a-valider"}
    assert {m["label"] for m in moves} >= {"VALIDEE_1", "REFUSEE_1"}
    validate = next(m for m in moves if m["label"] == "VALIDEE_1")
    done = requests.post(f"{base_url}{validate['href']}", json=validate["body"], timeout=10)
    assert done.status_code == 200, done.text
    after = _queues(base_url)
    assert all(it["idFacture"] != item["idFacture"] for it in after["VALIDATOR"]["items"])
    assert after["VALIDATOR"]["count"] == queue["count"] - 1


def test_every_actor_of_the_lifecycle_has_a_queue(chorus_reset, base_url):
    """Supplier, validator, MOE, MOA, recipient (their statuses from the lifecycle's own
    tables) and the gestionnaire; the seeded works dossiers wait for someone."""
    queues = _queues(base_url)
    assert set(queues) == {"SUPPLIER", "VALIDATOR", "MOE", "MOA", "RECIPIENT", "GESTIONNAIRE"}
    assert "SUSPENDUE" in queues["SUPPLIER"]["statuts"]
    assert "MISE_A_DISPOSITION" in queues["RECIPIENT"]["statuts"]
    assert queues["MOE"]["statuts"] and queues["MOA"]["statuts"]
    assert not set(queues["MOE"]["statuts"]) & set(queues["RECIPIENT"]["statuts"])
    for actor in ("MOE", "MOA"):
        for item in queues[actor]["items"]:
            assert item["actions"][0]["href"] == "/factures/travaux"
            assert len(item["actions"]) > 1, item  # at least one move
