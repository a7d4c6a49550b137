"""The storage layer keeps its promises on the database the suite runs on.

``make test`` runs the suite twice: on SQLite, then with SANDBOX_TEST_DATABASE_URL
naming a throw-away PostgreSQL server (scripts/postgres.sh), where each stack gets
its own database.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from sandbox import db, state
from sandbox.models import ActionToken, SandboxState, User
from sandbox.testing.harness import suite_database_server


def _expected_dialect() -> str:
    server = suite_database_server()
    return make_url(server).get_backend_name() if server else "sqlite"


def test_stack_runs_on_the_database_the_suite_asked_for(base_url, chorus_sandbox):
    body = requests.get(f"{base_url}/health", timeout=10).json()
    assert body["storage"] == {"status": "ok", "dialect": _expected_dialect()}
    assert make_url(chorus_sandbox.database_url).get_backend_name() == _expected_dialect()
    if suite_database_server():
        # A database of its own, not the server's default one.
        assert make_url(chorus_sandbox.database_url).database != "postgres"


def _new_user(s, login: str) -> User:
    from sandbox import clock

    user = User(login=login, prenom="Élise", nom="Durand", email_contact=login,
                created_at=clock.utcnow_naive())
    s.add(user)
    return user


def test_login_uniqueness_is_enforced_by_the_schema(stack_db):
    login = f"uniq-{uuid.uuid4().hex[:10]}@example.com"
    with db.transaction() as s:
        _new_user(s, login)
    with pytest.raises(IntegrityError), db.transaction() as s:
        _new_user(s, login)
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.login == login)) == 1


def test_conditional_update_has_one_winner_among_threads(stack_db):
    """The single-use rule of tokens (``WHERE used_at IS NULL``) under a race."""
    from sandbox import clock

    login = f"race-{uuid.uuid4().hex[:10]}@example.com"
    with db.transaction() as s:
        user = _new_user(s, login)
        s.flush()
        token = ActionToken(token_hash=uuid.uuid4().hex, purpose="activation", user_id=user.id,
                            created_at=clock.utcnow_naive(), expires_at=clock.utcnow_naive())
        s.add(token)
        s.flush()
        token_id = token.id
    barrier = threading.Barrier(12)
    wins: list[int] = []
    errors: list[BaseException] = []

    def use() -> None:
        try:
            barrier.wait(timeout=30)
            with db.transaction() as s:
                result = s.execute(
                    update(ActionToken)
                    .where(ActionToken.id == token_id, ActionToken.used_at.is_(None))
                    .values(used_at=clock.utcnow_naive())
                )
                if result.rowcount == 1:
                    wins.append(1)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=use) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(wins) == 1


def test_rolled_back_unit_of_work_leaves_nothing(stack_db):
    login = f"rb-{uuid.uuid4().hex[:10]}@example.com"
    with pytest.raises(RuntimeError), db.transaction() as s:
        _new_user(s, login)
        s.flush()
        raise RuntimeError("abandon")
    with db.new_session() as s:
        assert s.scalars(select(User).where(User.login == login)).all() == []


def test_state_row_is_created_once_even_when_processes_race(stack_db):
    # Every worker calls state.load() at start; on PostgreSQL two may insert at once.
    rows: list[SandboxState] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            with db.new_session() as s:
                rows.append(state.load(s))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and len(rows) == 8
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(SandboxState)) == 1
