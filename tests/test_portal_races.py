"""Portal races as real concurrent HTTP requests through the gunicorn workers (#14.2, #14.3).

Each request is prepared first (page fetched, CSRF token taken), then the threads
wait on a barrier and post at the same moment. Run on SQLite by ``make test`` and on
PostgreSQL by ``make test-postgres``.
"""

from __future__ import annotations

import threading
from collections import Counter

from test_reliability_concurrency import _race


ROUNDS = 6
ASKERS = 6


def test_new_link_requests_racing_an_activation_never_answer_500(chorus, db_session):
    """``POST /activation/nouveau-lien`` while the account is being activated (#14.2):
    each asker keeps asking until the activation has answered, then asks once more."""
    statuses: Counter = Counter()
    for _ in range(ROUNDS):
        account = chorus.signup(activate=False)
        path = "/" + account.activation_link.split("://", 1)[1].split("/", 1)[1]
        # The activation is the control plane's (PUT .../state active): the link-based
        # one cannot win against askers that revoke its link with each new one.
        askers = [chorus.portal() for _ in range(ASKERS)]
        tokens = [asker.csrf_token() for asker in askers]
        activated = threading.Event()

        def activate(login=account.login, password=account.password):  # noqa: ANN001, ANN202
            try:
                return chorus.control.put(f"accounts/{login}/state", timeout=120,
                                          json={"state": "active", "password": password})
            finally:
                activated.set()

        def ask(v, token, login=account.login):  # noqa: ANN001, ANN202
            # Keep asking while the activation is under way, then once more.
            while True:
                done = activated.is_set()
                answer = v.http.post(v.url("/activation/nouveau-lien"),
                                     data={"csrf_token": token, "login": login},
                                     allow_redirects=False, timeout=120)
                if answer.status_code >= 500 or done:
                    return answer
                statuses[answer.status_code] += 1

        posts = [activate, *[lambda v=v, t=t: ask(v, t) for v, t in zip(askers, tokens)]]
        round_statuses = _race(posts)
        statuses.update(round_statuses[1:])
        assert round_statuses[0] == 200, round_statuses
        assert set(round_statuses[1:]) == {200}, round_statuses
    db_session.rollback()
    assert statuses[200] >= ROUNDS * ASKERS
    assert set(statuses) == {200}, statuses
