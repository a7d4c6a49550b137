"""Reset to the seeded baseline, on a stack of its own (a reset would wipe what other
tests of the session created). Observed through the API and the portal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox import db
from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import start_stack

# Needs the portal, the seeding and the PISTE areas (they land on main progressively).
for _area in ("sandbox.accounts", "sandbox.testing.portal", "sandbox.seeding", "sandbox.piste"):
    pytest.importorskip(_area)



@pytest.fixture(scope="module")
def own(tmp_path_factory, chorus_sandbox) -> Iterator[SandboxClient]:
    stack = start_stack(tmp_path_factory.mktemp("reset"),
                        settings={"seed_structures": "30",
                                  "password_hash_method": "scrypt:1024:8:1"})
    try:
        yield SandboxClient(stack.url, stack.mailpit_url)
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def _first_structures(sandbox: SandboxClient) -> list[tuple]:
    api = sandbox.technical_client()
    answer = api.post("/cpro/structures/v1/rechercher", json={
        "structure": {}, "parametres": {"nbResultatsParPage": 50, "pageResultatDemandee": 1,
                                        "triColonne": "IdentifiantStructure",
                                        "triSens": "Ascendant"}})
    assert answer.status_code == 200, answer.text
    return [(s["identifiantStructure"], s["designationStructure"])
            for s in answer.json()["listeStructures"]]


def _found(sandbox: SandboxClient, identifiant: str, account=None) -> int:
    api = sandbox.technical_client(account)
    answer = api.post("/cpro/structures/v1/rechercher",
                      json={"structure": {"identifiantStructure": identifiant}})
    return len(answer.json().get("listeStructures") or [])


def test_reset_restores_the_baseline_and_clears_controls(own):
    baseline = _first_structures(own)
    account = own.signup()
    assert _found(own, account.identifiant, account) == 1
    own.set_clock("5h")
    own.inject_fault("/cpro/nothing-here", status=500)
    gestionnaire = own.credentials()["gestionnaire"]
    own.control.put(f"accounts/{gestionnaire['login']}/state", json={"state": "locked"})
    assert own.portal().login(gestionnaire["login"], gestionnaire["password"]).status_code == 423

    report = own.reset(clear_mailpit=True)
    assert report["durationMs"] > 0 and report["mailpitCleared"] is True

    assert own.portal().login(account.login, account.password).status_code == 401
    assert own.control.get(f"accounts/{account.login}").status_code == 404
    assert _first_structures(own) == baseline
    assert own.portal().login(gestionnaire["login"], gestionnaire["password"]).status_code == 303
    assert own.clock()["offsetSeconds"] == 0
    assert own.faults()["rules"] == []
    assert own.mails(account.login) == []
    mailbox = requests.get(f"{own.mailpit_url}/api/v1/messages", timeout=10).json()
    assert mailbox["total"] == 0


def test_same_seed_same_data_other_seed_other_data(own):
    own.reset(seed=11)
    first = _first_structures(own)
    own.reset(seed=12)
    assert _first_structures(own) != first
    own.reset(seed=11)
    assert _first_structures(own) == first
    own.reset()


def test_reset_removes_overrides_and_their_counts(own):
    search = {"structure": {"identifiantStructure": "reset-probe"}}
    rare = {"codeRetour": 20100, "libelle": "essai"}

    def add() -> None:
        own.override("/cpro/structures/v1/rechercher", method="POST", times=2, body=rare,
                     body_partial=search, name="reset-probe")

    add()
    api = own.technical_client()
    assert api.post("/cpro/structures/v1/rechercher", json=search).json() == rare
    assert own.faults()["used"] == [1]
    own.reset()
    assert own.faults()["rules"] == [] and own.faults()["used"] == []
    api = own.technical_client()  # the reset revoked the tokens
    answer = api.post("/cpro/structures/v1/rechercher", json=search)
    assert answer.json()["codeRetour"] == 0 and "X-Sandbox-Override" not in answer.headers
    add()  # the same rule again: its count starts from zero
    assert own.faults()["used"] == [0]
    own.clear_faults()
