"""A transaction PostgreSQL rolls back as the victim of a deadlock is run again.

A reset deletes every row while the background loops (lifecycle policies, the
dispatcher) update some: their row locks may be taken in opposite orders, and
PostgreSQL then aborts one transaction ("deadlock detected", SQLSTATE 40P01). Seen as a
503 on ``POST /_sandbox/reset`` in a full PostgreSQL run; ``db.retry_on_conflict`` runs
the reset's transaction again. Here a real deadlock is made on the test database.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sandbox import db


@pytest.fixture
def pg_engine(chorus_sandbox):
    if make_url(chorus_sandbox.database_url).get_backend_name() != "postgresql":
        pytest.skip("a deadlock needs PostgreSQL (SQLite has one writer at a time)")
    engine = create_engine(chorus_sandbox.database_url)
    table = f"conflict_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY, v int NOT NULL)"))
        conn.execute(text(f"INSERT INTO {table} VALUES (1, 0), (2, 0)"))
    try:
        yield engine, table
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))
        engine.dispose()


def _deadlock(engine, table, victim_work):
    """Run ``victim_work`` against a transaction locking rows 2 then 1 while the
    victim locks 1 then 2; the victim detects the deadlock first (shorter timeout)."""
    both_hold_one = threading.Barrier(2, timeout=30)
    other_error: list[BaseException] = []

    def other() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL deadlock_timeout = '10s'"))
                conn.execute(text(f"UPDATE {table} SET v = v + 10 WHERE id = 2"))
                both_hold_one.wait()
                conn.execute(text(f"UPDATE {table} SET v = v + 10 WHERE id = 1"))
        except BaseException as error:  # reported to the test's thread
            other_error.append(error)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        return victim_work(both_hold_one)
    finally:
        thread.join(60)
        assert not thread.is_alive() and not other_error, other_error


def _victim(engine, table, attempts: list[int]):
    def work(both_hold_one) -> None:
        attempts.append(1)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL deadlock_timeout = '100ms'"))
            conn.execute(text(f"UPDATE {table} SET v = v + 1 WHERE id = 1"))
            if len(attempts) == 1:
                both_hold_one.wait()
            conn.execute(text(f"UPDATE {table} SET v = v + 1 WHERE id = 2"))

    return work


def test_the_victim_of_a_deadlock_is_run_again_and_both_commit(pg_engine):
    engine, table = pg_engine
    attempts: list[int] = []
    work = _victim(engine, table, attempts)
    _deadlock(engine, table, lambda barrier: db.retry_on_conflict(lambda: work(barrier)))
    assert len(attempts) == 2  # aborted once as the victim, then committed
    with engine.connect() as conn:
        values = dict(conn.execute(text(f"SELECT id, v FROM {table}")).all())
    assert values == {1: 11, 2: 11}  # each transaction's two updates, once


def test_without_the_retry_the_victim_fails_with_the_conflict(pg_engine):
    engine, table = pg_engine
    attempts: list[int] = []
    work = _victim(engine, table, attempts)
    with pytest.raises(OperationalError) as raised:
        _deadlock(engine, table, work)
    assert db.is_conflict(raised.value)
    assert len(attempts) == 1
