"""The API's per-process caches (bearer -> client, cpro-account -> caller and the rights it
carries) never serve a stale answer: a revoked token, a changed password, a lock, a clock
move, a reset and a changed rattachement are seen at once by every worker.

A stack of its own (2 gunicorn workers, a high lock-out limit so that bursts of old
passwords are refused, not locked). Each check is a burst of concurrent calls on fresh
connections, spread over both workers by the kernel; the caches are warmed by such a
burst first, and after the change every call of the next burst must see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import delete, select, update

from sandbox import clock, db, security
from sandbox.accounts import rights
from sandbox.factures.models import Facture
from sandbox.models import AccessToken, Rattachement, Structure, User
from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import start_stack
from sandbox.vocabulary import Role, StatutRattachement, TypeStructure

HEALTH = "/cpro/transverses/v1/health-check"
BURST = 24


@pytest.fixture(scope="module")
def own(tmp_path_factory, chorus_sandbox) -> Iterator[SandboxClient]:
    stack = start_stack(tmp_path_factory.mktemp("read-cache"), workers=2,
                        settings={"login_max_failures": "1000",
                                  "password_hash_method": "scrypt:1024:8:1"})
    db.init_engine(stack.database_url)
    try:
        yield SandboxClient(stack.url, stack.mailpit_url)
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def _burst(url: str, headers: dict) -> list[requests.Response]:
    def call(_: int) -> requests.Response:
        with requests.Session() as fresh:  # a new connection: any worker may take it
            return fresh.get(f"{url}{HEALTH}", headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(call, range(BURST)))


def _post_burst(url: str, headers: dict, path: str, body: dict) -> list[requests.Response]:
    def call(_: int) -> requests.Response:
        with requests.Session() as fresh:
            return fresh.post(f"{url}{path}", headers=headers, json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(call, range(BURST)))


def _codes(answers: list[requests.Response]) -> set:
    return {(a.status_code, a.json().get("codeRetour")) for a in answers}


def _errors(answers: list[requests.Response]) -> set:
    return {(a.status_code, a.json().get("error")) for a in answers}


def _headers(api) -> dict:
    return {k: v for k, v in api.headers.items() if k in ("Authorization", "cpro-account")}


def test_a_revoked_token_is_refused_by_every_worker(own):
    headers = _headers(own.technical_client())
    assert _errors(_burst(own.url, headers)) == {(200, None)}
    token = headers["Authorization"].split(" ", 1)[1]
    with db.new_session() as s:  # revocation: the token row is gone
        s.execute(delete(AccessToken).where(AccessToken.token_hash == security.token_hash(token)))
        s.commit()
    assert _errors(_burst(own.url, headers)) == {(401, "invalid_token")}


def test_a_changed_password_is_seen_by_every_worker(own):
    creds = own.credentials()["technical_account"]
    old = _headers(own.technical_client())
    assert _errors(_burst(own.url, old)) == {(200, None)}
    new_password = security.generate_password(16)
    with db.new_session() as s:
        s.execute(update(User).where(User.login == creds["login"].lower()).values(
            password_hash=security.hash_password(new_password, "scrypt:1024:8:1")))
        s.commit()
    try:
        assert _errors(_burst(own.url, old)) == {(401, "invalid_cpro_account")}
        new = _headers(own.technical_client(password=new_password))
        assert _errors(_burst(own.url, new)) == {(200, None)}
    finally:
        own.reset()


def test_a_lock_and_an_unlock_are_seen_by_every_worker(own):
    creds = own.credentials()["technical_account"]
    headers = _headers(own.technical_client())
    assert _errors(_burst(own.url, headers)) == {(200, None)}
    own.control.put(f"accounts/{creds['login']}/state", json={"state": "locked"})
    assert _errors(_burst(own.url, headers)) == {(401, "locked_cpro_account")}
    own.control.put(f"accounts/{creds['login']}/state", json={"state": "active"})
    assert _errors(_burst(own.url, headers)) == {(200, None)}


def test_a_clock_move_expires_tokens_on_every_worker(own):
    headers = _headers(own.technical_client())
    assert _errors(_burst(own.url, headers)) == {(200, None)}
    own.set_clock(advance="2h")
    try:
        assert _errors(_burst(own.url, headers)) == {(401, "invalid_token")}
    finally:
        own.set_clock(0)


def test_a_reset_is_seen_by_every_worker(own):
    headers = _headers(own.technical_client())
    assert _errors(_burst(own.url, headers)) == {(200, None)}
    own.reset()
    assert _errors(_burst(own.url, headers)) == {(401, "invalid_token")}
    assert _errors(_burst(own.url, _headers(own.technical_client()))) == {(200, None)}


def test_a_rattachement_is_seen_by_the_next_read_of_every_worker(own):
    # The factures reads answer from the rights the cached caller carries (issue #24): a
    # validator's invoice moved to a structure the account's gestionnaire is not attached
    # to is refused (20001), then read again as soon as a rattachement to it is validated.
    api = own.technical_client()
    headers = _headers(api) | {"Content-Type": "application/json"}
    found = api.post("/cpro/factures/v1/rechercher/valideur", json={
        "statutCourant": ["A_VALIDER_1"]}).json()
    facture_id = found["listeFactures"][0]["idFacture"]
    body = {"identifiantFactureCPP": facture_id}
    path = "/cpro/factures/v1/consulter/valideur"
    assert _codes(_post_burst(own.url, headers, path, body)) == {(200, 0)}  # warm
    technical = own.credentials()["technical_account"]["login"].lower()
    try:
        with db.new_session() as s:
            account = s.scalars(select(User).where(User.login == technical)).one()
            gestionnaire = rights.rights_user_id(s, account)
            assert gestionnaire is not None
            mine = rights.usable_structure_ids(s, account)
            other = s.scalars(select(Structure.id).where(
                Structure.type_structure == TypeStructure.PUBLIQUE,
                Structure.id.not_in(mine)).order_by(Structure.id).limit(1)).one()
            s.execute(update(Facture).where(Facture.id == facture_id).values(
                valideur_structure_id=other))
            s.commit()
        assert _codes(_post_burst(own.url, headers, path, body)) == {(200, 20001)}
        with db.new_session() as s:
            s.add(Rattachement(user_id=gestionnaire, structure_id=other, role=Role.UTILISATEUR,
                               statut=StatutRattachement.VALIDEE,
                               created_at=clock.utcnow_naive()))
            s.commit()
        assert _codes(_post_burst(own.url, headers, path, body)) == {(200, 0)}
    finally:
        own.reset()
