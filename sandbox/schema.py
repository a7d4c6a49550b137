"""The database schema: every table of every area, created where it is missing.

The one module that imports every models module (``sandbox.models`` and each area's
``models``), so that ``db`` stays the engine layer below the tables. Called by
``create_app``, the CLI's ``init-db``, ``stack.prepare_database`` and the tests.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from sandbox import db, state
from sandbox.factures import models as factures_models
from sandbox.models import Base, install_name_search

# Every table registers on ``Base.metadata`` when its module is imported.
MODELS = (factures_models,)


def create_schema() -> None:
    """Create every table that is missing."""
    Base.metadata.create_all(db.engine())
    # The raison sociale search index is no SQLAlchemy Index (an FTS5 table and triggers on
    # SQLite, a pg_trgm GIN index on PostgreSQL): created here on new and older databases.
    with db.engine().connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            install_name_search(conn)
    try:
        with db.transaction() as s:
            state.ensure_epoch_row(s)
    except IntegrityError:  # another process created it first
        pass
