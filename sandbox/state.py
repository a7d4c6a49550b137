"""Run-time controls shared by every process (clock offset, faults, maintenance), and the
"has the database changed?" check that lets every per-process cache stay correct.

The controls live in the single row of ``sandbox_state``. A change made through any
worker (or by any other process writing the database: the CLI, a test) must be seen
by the next request of every worker. Reading that row on every request cost about
30 % of the cheapest request's CPU, so each request first asks the database a much
cheaper question — *has anything been committed since I last looked?* — and reads
the row only when the answer is yes:

* SQLite: ``PRAGMA data_version`` on a connection per thread that never writes
  (its value changes whenever another connection commits a change to the file);
* PostgreSQL: ``pg_current_snapshot()`` (its text changes whenever a transaction
  that wrote completes).

Each change bumps this process's ``generation()``. The caches of the API's read path
(bearer token -> client, ``cpro-account`` -> caller: ``sandbox/piste/gateway.py``) keep
entries tagged with the generation they were read at and drop them when it moves:
a reset, a revoked token, a changed password, a lock, a clock move — any commit —
is seen at once by every worker. Coarse (any commit invalidates everything) but
exact, with no trigger and nothing to forget to bump; the read mix commits almost
never, so the caches hold there. Documented in docs/performance.md.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask, g
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.models import ResetEpoch, SandboxState


def load(s) -> SandboxState:
    """Return the state row, creating it if missing."""
    row = s.get(SandboxState, 1)
    if row is None:
        db.begin_write(s)
        row = s.get(SandboxState, 1)
        if row is None:
            row = SandboxState(id=1, clock_offset_seconds=0.0, faults={}, maintenance=False)
            s.add(row)
            try:
                s.commit()
            except IntegrityError:  # another process created it first (PostgreSQL)
                s.rollback()
                row = s.get(SandboxState, 1)
    return row


_STATE_ROW = select(SandboxState.__table__).where(SandboxState.id == 1)


class ChangeWatch:
    """Tells each thread whether anything was committed since that thread last asked.

    One watch connection per thread (no lock on the request path; a look is a few µs),
    opened on first use and reopened after a fork or a change of database.
    ``changed()`` answers None when the database cannot be watched (an in-memory
    SQLite): every request then reads the state row.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @staticmethod
    def _open(url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if not database or database == ":memory:" or not os.path.exists(database):
                return None, ""
            conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False,
                                   timeout=30)
            return conn, "PRAGMA data_version"
        if parsed.get_backend_name() == "postgresql":
            import psycopg

            dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            return psycopg.connect(dsn, autocommit=True), "SELECT pg_current_snapshot()::text"
        return None, ""

    def changed(self) -> bool | None:
        local = self._local
        key = (os.getpid(), db.engine().url)
        try:
            if getattr(local, "key", None) != key:
                self._close()
                local.conn, local.query = self._open(key[1].render_as_string(
                    hide_password=False))
                local.key, local.last = key, None
            if local.conn is None:
                return None
            marker = local.conn.execute(local.query).fetchone()[0]
        except Exception:
            self._close()
            return None
        seen, local.last = local.last, marker
        return None if seen is None else marker != seen

    def close(self) -> None:
        """Close the calling thread's watch connection."""
        self._close()

    def _close(self) -> None:
        local = self._local
        conn, key = getattr(local, "conn", None), getattr(local, "key", None)
        if conn is not None and key is not None and key[0] == os.getpid():
            try:
                conn.close()
            except Exception:
                pass
        local.conn, local.key, local.last = None, None, None


_watch = ChangeWatch()
_seen: dict = {"row": None, "row_generation": 0, "generation": 0}
_seen_lock = threading.Lock()


def generation() -> int:
    """This process's count of database changes seen; caches tag entries with it."""
    return _seen["generation"]


def changed() -> None:
    """Forget what this process knows (its own write, say): caches and state are read again."""
    with _seen_lock:
        _seen["row"] = None
        _seen["generation"] += 1


def refresh() -> SandboxState:
    """Return the shared state (read again only if the database changed) and apply
    the clock offset to this process. The answer is a detached ``SandboxState`` to
    read, not to change; it may be shared by concurrent requests."""
    cached = _seen["row"]
    if _watch.changed() is False and cached is not None:
        return cached
    with _seen_lock:  # before the read: what is read now is at least this new
        _seen["generation"] += 1
        mine = _seen["generation"]
    with db.read_engine().connect() as conn:  # autocommit: no BEGIN, no ROLLBACK
        values = conn.execute(_STATE_ROW).mappings().first()
    if values is None:  # first start: create the row
        with db.new_session() as s:
            row = load(s)
            s.expunge(row)
    else:
        row = SandboxState(**values)
    with _seen_lock:  # a slower, older read never replaces a newer one
        if mine >= _seen["row_generation"]:
            _seen["row"], _seen["row_generation"] = row, mine
            clock.set_offset(*clock_setting(row))
    return row


def clock_setting(row: SandboxState) -> tuple[float, float, float]:
    """The row's clock: (offset at the anchor, rate, anchor epoch seconds)."""
    return (row.clock_offset_seconds or 0.0, row.clock_rate or 1.0, row.clock_anchor or 0.0)


def set_clock(seconds: float | None = None, rate: float | None = None) -> None:
    """Persist a new clock for every process: ``seconds`` of offset from now (None: the
    offset in force now, the clock does not jump) running at ``rate`` (None: the rate in
    force). Read and written in one transaction: two concurrent moves never lose one."""
    with db.transaction() as s:
        row = load(s)
        real = time.time()
        if seconds is None:
            seconds = clock.offset_at(real, clock_setting(row))
        row.clock_offset_seconds = float(seconds)
        row.clock_rate = float(rate if rate is not None else (row.clock_rate or 1.0))
        row.clock_anchor = real
        row.version = (row.version or 0) + 1
        applied = clock_setting(row)
    clock.set_offset(*applied)
    changed()


def set_clock_offset(seconds: float) -> None:
    """Persist a new clock offset for every process (the rate in force is kept)."""
    set_clock(seconds)


def init_app(app: Flask) -> None:
    """Refresh the shared state at the start of every request."""
    with app.app_context():
        changed()
        refresh()

    @app.before_request
    def _refresh_state() -> None:
        g.sandbox_state = refresh()


# --- the reset barrier (issue #23, Deliver 3) ------------------------------------------
#
# A reset bumps ``sandbox_epoch`` as the first statement of the transaction that replaces
# the data (and puts the clock, the faults and the policies back). Each background pass
# (the factures worker, the lifecycle policies, the mail dispatcher) reads the epoch
# before it reads anything else, and each of its write transactions starts with
# ``fence``: the row read with a share lock (PostgreSQL: a reset's UPDATE waits for the
# writers that hold it, and a writer that comes after a reset's UPDATE waits for its
# commit and then reads the new number; SQLite: write transactions are serial, so the
# read is already under the write lock). A pass whose epoch is not the current one writes
# nothing: whatever it read belongs to the world before the reset.


def ensure_epoch_row(s: Session) -> None:
    """Create the epoch row if missing (at schema creation; the caller commits)."""
    if s.get(ResetEpoch, 1) is None:
        s.add(ResetEpoch(id=1, epoch=0))


_EPOCH = select(ResetEpoch.epoch).where(ResetEpoch.id == 1)  # built once: a pass reads it
_EPOCH_SHARED = _EPOCH.with_for_update(read=True)  # the fence of each background write


def reset_epoch() -> int:
    """The number of resets so far: read it before a background pass reads anything."""
    with db.read_engine().connect() as conn:  # autocommit: no BEGIN, no ROLLBACK
        value = conn.execute(_EPOCH).scalar()
    return value or 0


def fence(s: Session | Connection, epoch: int) -> bool:
    """First statement of a background writer's transaction: whether no reset committed
    since ``epoch`` was read. While the transaction lasts, no reset can commit."""
    current = s.execute(_EPOCH_SHARED).scalar()
    return (current or 0) == epoch


def bump_epoch(s: Session) -> None:
    """First statement of a reset's transaction: the passes of before write no more."""
    bumped = db.changed_rows(
        s, update(ResetEpoch).where(ResetEpoch.id == 1).values(epoch=ResetEpoch.epoch + 1)
    )
    if bumped == 0:
        s.execute(insert(ResetEpoch).values(id=1, epoch=1))
