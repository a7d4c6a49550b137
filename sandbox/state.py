"""Run-time controls shared by every process: the clock offset (and faults).

They live in the single row of ``sandbox_state``. Each request reads that row once
(a primary-key lookup) and applies it to this process, so a change made through
any worker is seen by the next request of every worker.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sandbox import clock, db
from sandbox.models import SandboxState


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


def refresh() -> SandboxState:
    """Read the shared state and apply the clock offset to this process.

    Every request pays this read, so it is one Core SELECT on a pooled connection
    (no ORM session); the answer is a detached ``SandboxState`` to read, not to change.
    """
    with db.engine().connect() as conn:
        values = conn.execute(_STATE_ROW).mappings().first()
    if values is None:  # first start: create the row
        with db.new_session() as s:
            row = load(s)
            s.expunge(row)
    else:
        row = SandboxState(**values)
    clock.set_offset(row.clock_offset_seconds)
    return row


def set_clock_offset(seconds: float) -> None:
    """Persist a new clock offset for every process."""
    with db.transaction() as s:
        row = load(s)
        row.clock_offset_seconds = float(seconds)
        row.version = (row.version or 0) + 1
    clock.set_offset(seconds)


def init_app(app: Flask) -> None:
    """Refresh the shared state at the start of every request."""
    with app.app_context():
        refresh()

    @app.before_request
    def _refresh_state() -> None:
        g.sandbox_state = refresh()
