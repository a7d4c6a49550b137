"""SQLite's writers of one process queue on ``db.WriterLock`` (sandbox/db.py): every unit of
work still commits or rolls back as before, and the lock is free once each has ended —
committed, rolled back, raised inside, or a writing session closed without a commit."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from sandbox import db


@pytest.fixture
def engine(tmp_path):
    engine = db.build_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def test_concurrent_writers_all_commit_and_leave_the_lock_free(engine):
    writers = engine.dialect.sandbox_writers
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for i in range(40):
                with engine.connect() as conn:
                    conn.execution_options(sqlite_immediate=True)
                    with conn.begin():
                        conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": number * 100 + i})
                with pytest.raises(ValueError), engine.connect() as conn:  # noqa: PT012
                    conn.execution_options(sqlite_immediate=True)
                    with conn.begin():
                        conn.execute(text("INSERT INTO t VALUES (-1)"))
                        raise ValueError("rolled back")
                conn = engine.connect()  # a writing transaction never ended by its owner
                conn.execution_options(sqlite_immediate=True)
                conn.begin()
                conn.execute(text("SELECT 1"))
                conn.close()  # back to the pool: rolled back, the lock released
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert not writers._lock.locked()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT x FROM t ORDER BY x")).scalars().all()
    assert rows == sorted(n * 100 + i for n in range(6) for i in range(40))  # none of -1


def test_a_failed_begin_leaves_the_lock_free(engine, monkeypatch):
    writers = engine.dialect.sandbox_writers
    conn = engine.connect()
    conn.execution_options(sqlite_immediate=True)

    def refuse(*_args, **_kwargs):
        raise RuntimeError("no BEGIN")

    monkeypatch.setattr(conn, "exec_driver_sql", refuse)
    with pytest.raises(RuntimeError, match="no BEGIN"):
        conn.begin()
        conn.execute(text("SELECT 1"))
    assert not writers._lock.locked()
    conn.close()
