"""Lock-out on the API (issue 14.4): wrong ``cpro-account`` passwords count like the portal's,
atomically, and a locked account answers the same thing whatever the password.

Real HTTP against the session's gunicorn stack (2 workers), concurrent requests from real
threads; the state is read back from the database.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from api_factories import ApiClient, make_user, tech_client

from sandbox import clock, db, state
from sandbox.config import load_settings
from sandbox.models import User

HEALTH = "/cpro/transverses/v1/health-check"
ATTEMPTS = 30



def _answer(response: requests.Response) -> tuple:
    """Everything a client sees, but the Date header (it changes every second)."""
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() != "date")
    return response.status_code, response.content, headers


def _user_row(user_id: int) -> User:
    with db.new_session() as s:
        user = s.get(User, user_id)
        s.expunge(user)
        return user


def test_concurrent_wrong_passwords_lock_the_account_without_an_oracle(
    base_url, world, clock_restored
):
    settings = load_settings()
    with db.new_session() as s:
        user, password = make_user(s)
        s.commit()
    good = tech_client(base_url, world)
    good.login, good.password = user.login, password
    good.fetch_token()
    assert good.get(HEALTH).status_code == 200

    def wrong(i: int) -> requests.Response:
        client = ApiClient(base_url, world.client_id, world.client_secret, user.login,
                           f"wrong-{i}", token=good.token)
        return client.get(HEALTH)

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        answers = list(pool.map(wrong, range(ATTEMPTS)))

    errors = [a.json()["error"] for a in answers]
    assert {a.status_code for a in answers} == {401}
    # Exactly limit - 1 wrong passwords were told "wrong"; the one that reached the limit
    # and every later one were told "locked": the count never went past the limit.
    assert errors.count("invalid_cpro_account") == settings.login_max_failures - 1, errors
    assert errors.count("locked_cpro_account") == ATTEMPTS - settings.login_max_failures + 1
    row = _user_row(user.id)
    assert row.locked_until is not None and row.locked_until > clock.utcnow_naive()
    assert row.failed_logins == 0  # the lock restarts the count, as on the portal

    # Locked: the right password and a wrong one get byte-identical answers.
    right_answer = good.get(HEALTH)
    wrong_answer = wrong(99)
    assert right_answer.status_code == 401
    assert right_answer.json()["error"] == "locked_cpro_account"
    assert _answer(right_answer) == _answer(wrong_answer)
    locked = [_answer(a) for a in answers if a.json()["error"] == "locked_cpro_account"]
    assert all(seen == _answer(right_answer) for seen in locked)
    assert _user_row(user.id).locked_until == row.locked_until  # nothing counted meanwhile

    # After the lock time (the sandbox clock moves), the right password works again.
    state.set_clock_offset(state.refresh().clock_offset_seconds
                           + settings.login_lock_minutes * 60 + 1)
    good.fetch_token()  # the old token expired with the move
    answer = good.get(HEALTH)
    assert answer.status_code == 200, answer.text
    row = _user_row(user.id)
    assert row.failed_logins == 0
    assert row.locked_until is None


def test_a_right_password_resets_the_count(base_url, world):
    with db.new_session() as s:
        user, password = make_user(s)
        s.commit()
    client = tech_client(base_url, world)
    client.login, client.password = user.login, "wrong"
    for _ in range(2):
        assert client.get(HEALTH).json()["error"] == "invalid_cpro_account"
    assert _user_row(user.id).failed_logins == 2
    client.password = password
    assert client.get(HEALTH).status_code == 200
    assert _user_row(user.id).failed_logins == 0
