"""Portal races as real concurrent HTTP requests through the gunicorn workers (#14.2, #14.3).

Each request is prepared first (page fetched, CSRF token taken), then the threads
wait on a barrier and post at the same moment. Run on SQLite by ``make test`` and on
PostgreSQL by ``make test-postgres``.
"""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select
from test_reliability_concurrency import _race

from sandbox.models import User

ROUNDS = 6
ASKERS = 6


def test_new_link_requests_racing_an_activation_never_answer_500(chorus, db_session):
    """``POST /activation/nouveau-lien`` while the account is being activated (#14.2):
    each asker keeps asking until the activation has answered, then asks once more."""
    statuses: Counter = Counter()
    for _ in range(ROUNDS):
        account = chorus.signup(activate=False)
        # The activation is the control plane's (PUT .../state active): the link-based
        # one cannot win against askers that revoke its link with each new one.
        askers = [chorus.portal() for _ in range(ASKERS)]
        tokens = [asker.csrf_token() for asker in askers]
        activated = threading.Event()

        def activate(login=account.login, password=account.password,  # noqa: ANN001, ANN202
                     event=activated):
            try:
                return chorus.control.put(f"accounts/{login}/state", timeout=120,
                                          json={"state": "active", "password": password})
            finally:
                event.set()

        def ask(v, token, login=account.login, event=activated):  # noqa: ANN001, ANN202
            # Keep asking while the activation is under way, then once more.
            while True:
                done = event.is_set()
                answer = v.http.post(v.url("/activation/nouveau-lien"),
                                     data={"csrf_token": token, "login": login},
                                     allow_redirects=False, timeout=120)
                if answer.status_code >= 500 or done:
                    return answer
                statuses[answer.status_code] += 1

        pairs = zip(askers, tokens, strict=True)
        posts = [activate, *[lambda v=v, t=t: ask(v, t) for v, t in pairs]]
        round_statuses = _race(posts, [a.http for a in askers])
        statuses.update(round_statuses[1:])
        assert round_statuses[0] == 200, round_statuses
        assert set(round_statuses[1:]) == {200}, round_statuses
    db_session.rollback()
    assert statuses[200] >= ROUNDS * ASKERS
    assert set(statuses) == {200}, statuses


WRONG = 12
LIMIT = 5  # login_max_failures of the test stack


def test_twelve_wrong_passwords_and_the_right_one_at_once_lock_the_account(chorus, db_session):
    """#14.3: the count, the lock decision and the check are atomic; at most LIMIT wrong
    passwords are checked before the lock (a success in between restarts the count);
    a concurrent success never clears the lock."""
    from sandbox import clock

    for _ in range(3):
        account = chorus.signup()
        visitors = [chorus.portal() for _ in range(WRONG + 1)]
        tokens = [v.csrf_token() for v in visitors]
        passwords = [f"Mauvais-{i:02d}-Mot!" for i in range(WRONG)] + [account.password]
        triples = zip(visitors, tokens, passwords, strict=True)
        posts = [lambda v=v, t=t, p=p, login=account.login: v.http.post(
            v.url("/connexion"), data={"csrf_token": t, "login": login, "password": p},
            allow_redirects=False, timeout=120) for v, t, p in triples]
        statuses = _race(posts, [v.http for v in visitors])
        wrong, right = Counter(statuses[:-1]), statuses[-1]
        assert set(wrong) <= {401, 423}, statuses
        assert right in {303, 423}, statuses
        # Wrong passwords answered "incorrect" (checked, not locking): LIMIT - 1 at most,
        # twice that if the right one came in between and restarted the count.
        assert wrong[401] <= (LIMIT - 1) * (2 if right == 303 else 1), statuses
        db_session.rollback()  # a new snapshot (SQLite keeps the old one)
        user = db_session.scalar(select(User).where(User.login == account.login))
        if right == 303:  # the right one came first: a fresh count, the lock may not be reached
            continue
        assert user.locked_until is not None and user.locked_until > clock.utcnow_naive(), (
            statuses, user.failed_logins)
        assert user.failed_logins == 0
        after = chorus.portal().login(account.login, account.password)
        assert after.status_code == 423 and "bloqué" in after.text
