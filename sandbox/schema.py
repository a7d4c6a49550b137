"""The database schema: every table of every area, created where it is missing.

The one module that imports every models module (``sandbox.models`` and each area's
``models``), so that ``db`` stays the engine layer below the tables. Called by
``create_app``, the CLI's ``init-db``, ``stack.prepare_database`` and the tests.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import DDL, CreateColumn

from sandbox import db, state
from sandbox.factures import models as factures_models
from sandbox.models import Base, install_name_search, install_public_tally

# Every table registers on ``Base.metadata`` when its module is imported.
MODELS = (factures_models,)


def create_schema() -> None:
    """Create every table that is missing."""
    Base.metadata.create_all(db.engine())
    add_missing_columns()
    # The raison sociale search index is no SQLAlchemy Index (an FTS5 table and triggers on
    # SQLite, a pg_trgm GIN index on PostgreSQL): created here on new and older databases.
    with db.engine().connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            install_name_search(conn)
            install_public_tally(conn)  # the public list's total (models)
    try:
        with db.transaction() as s:
            state.ensure_epoch_row(s)
    except IntegrityError:  # another process created it first
        pass


def add_missing_columns() -> None:
    """Add the nullable columns a newer version gave to a table that already exists (a
    database kept from an older version: ``create_all`` never changes an existing table).
    Only nullable columns: the code reads their NULL as the column's default."""
    engine = db.engine()
    if not _missing_columns(inspect(engine)):
        return
    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():  # looked at again under the lock: another process may be first
            statement = _ADD_COLUMN.get(engine.dialect.name, _ADD_COLUMN[""])
            for table, column in _missing_columns(inspect(conn)):
                # The table's name quoted by SQLAlchemy (%(table)s), the column's definition
                # compiled from the model: nothing in it comes from outside.
                ddl = str(CreateColumn(column).compile(dialect=engine.dialect))
                conn.execute(DDL(statement, context={"column": ddl}).against(table))


# PostgreSQL: IF NOT EXISTS (another process may add it first); SQLite has no such guard
# and runs one writer at a time (the lock above).
_ADD_COLUMN = {
    "postgresql": "ALTER TABLE %(table)s ADD COLUMN IF NOT EXISTS %(column)s",
    "": "ALTER TABLE %(table)s ADD COLUMN %(column)s",
}


def _missing_columns(found) -> list:
    tables = set(found.get_table_names())
    return [(table, column) for table in Base.metadata.sorted_tables if table.name in tables
            for have in [{c["name"] for c in found.get_columns(table.name)}]
            for column in table.columns if column.name not in have and column.nullable]
