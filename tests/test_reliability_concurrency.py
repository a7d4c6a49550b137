"""Races decided once: the same signup, activation or decision sent 50 times at once.

Each request is prepared first (page fetched, CSRF token and captcha answered), then
every thread waits on a barrier and posts at the same moment, through the real
gunicorn workers, on SQLite and on PostgreSQL. The database is then asked what
happened: one account, one activation, one decision, one mail.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import requests
from _figures import record
from sqlalchemy import func, select

from sandbox.models import OutboxMail, Rattachement, Structure, User
from sandbox.testing.portal import find_form
from sandbox.testing.client import random_siret

RACERS = 50


def _race(posts: list[Callable[[], requests.Response]],
          sessions: list[requests.Session]) -> list[int]:
    """Run the prepared posts at once; return their status codes.

    The visitors' kept-alive connections are closed first: preparing 50 visitors on a
    busy box outlasts gunicorn's keep-alive, and a POST sent on a connection the server
    is closing fails with "Remote end closed connection" (requests does not retry a
    POST). Each racer opens a fresh connection at the barrier, as concurrent clients do.
    """
    for session in sessions:
        session.close()
    barrier = threading.Barrier(len(posts))
    statuses: list[int] = [0] * len(posts)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=120)
            statuses[index] = posts[index]().status_code
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[:3]
    assert all(statuses), "a racer did not finish"
    assert max(statuses) < 500, Counter(statuses)
    return statuses


def _mails_to(db_session, address: str) -> Counter:  # noqa: ANN001
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    return Counter(db_session.scalars(
        select(OutboxMail.kind).where(OutboxMail.to_addr == address)).all())


def test_fifty_simultaneous_signups_with_one_login_make_one_account(chorus, db_session):
    login = f"race-{uuid.uuid4().hex[:12]}@example.com"
    sirets = [random_siret() for _ in range(RACERS)]
    posts, sessions = [], []
    for siret in sirets:
        visitor = chorus.portal()
        sessions.append(visitor.http)
        form = find_form(visitor.get("/creer-un-compte").text, "/creer-un-compte")
        data = {**form.fields, **chorus._signup_fields(login, {"identifiant": siret})}  # noqa: SLF001
        if data.get("captcha_id"):
            data["captcha"] = chorus.captcha_answer(data["captcha_id"])
        posts.append(lambda v=visitor, d=data: v.http.post(
            v.url("/creer-un-compte"), data=d, allow_redirects=False, timeout=120))
    statuses = _race(posts, sessions)
    assert statuses.count(303) == 1, Counter(statuses)
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    assert db_session.scalar(
        select(func.count()).select_from(User).where(User.login == login)) == 1
    assert db_session.scalar(select(func.count()).select_from(Structure).where(
        Structure.identifiant.in_(sirets))) == 1
    chorus.wait_for_mail(login, contains="/activation/")
    assert _mails_to(db_session, login)["activation"] == 1
    record({"race_signups_sent": RACERS, "race_signups_accepted": statuses.count(303)})


def test_fifty_simultaneous_uses_of_one_activation_link_activate_once(chorus, db_session):
    account = chorus.signup(activate=False)
    path = account.activation_link.split("://", 1)[1].split("/", 1)[1]
    posts, sessions = [], []
    passwords = []
    for i in range(RACERS):
        visitor = chorus.portal()
        sessions.append(visitor.http)
        form = find_form(visitor.get("/" + path).text, "/activation/")
        password = f"Race-{i:02d}-{account.password}"
        passwords.append(password)
        data = {**form.fields, "password": password, "password_confirm": password}
        posts.append(lambda v=visitor, d=data, a=form.action or "/" + path: v.http.post(
            v.url(a), data=d, allow_redirects=False, timeout=120))
    statuses = _race(posts, sessions)
    assert statuses.count(303) == 1, Counter(statuses)
    winner = passwords[statuses.index(303)]
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    user = db_session.scalar(select(User).where(User.login == account.login))
    assert user.statut == "ACTIF"
    from sandbox import security

    assert security.verify_password(user.password_hash, winner)
    assert not any(security.verify_password(user.password_hash, p) for p in passwords[:5]
                   if p != winner)
    record({"race_activations_sent": RACERS, "race_activations_accepted": 1})


def test_simultaneous_validation_and_refusal_decide_one_demande_once(chorus, db_session):
    manager = chorus.signup()
    requester = chorus.signup(activate=False, identifiant=manager.identifiant,
                              raison_sociale=manager.raison_sociale)
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    demande = db_session.scalar(
        select(Rattachement).join(User, Rattachement.user_id == User.id)
        .where(User.login == requester.login, Rattachement.statut == "EN_COURS_DE_VALIDATION"))
    assert demande is not None, "the second signup did not ask to join the structure"
    before = sum(_mails_to(db_session, requester.login).values())
    posts, sessions = [], []
    for i in range(20):
        visitor = chorus.portal()
        sessions.append(visitor.http)
        assert visitor.login(manager.login, manager.password).status_code == 303
        token = visitor.csrf_token()
        action = "valider" if i % 2 == 0 else "refuser"
        data = {"csrf_token": token, "commentaire": f"décision {i}"}
        posts.append(lambda v=visitor, a=action, d=data: v.http.post(
            v.url(f"/gestionnaire/demandes/{demande.id}/{a}"), data=d,
            allow_redirects=False, timeout=120))
    _race(posts, sessions)
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    decided = db_session.get(Rattachement, demande.id)
    assert decided.statut in {"VALIDEE", "REFUSEE"}
    assert decided.decided_at is not None
    if decided.statut == "REFUSEE":
        assert decided.commentaire and decided.commentaire.startswith("décision ")
    # The requester hears of exactly one decision (mails are written with the decision).
    assert sum(_mails_to(db_session, requester.login).values()) == before + 1
    record({"race_decisions_sent": 20})
