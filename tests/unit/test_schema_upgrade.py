"""A database kept from an older version gains the nullable columns a newer one added
(``schema.add_missing_columns``), on a real SQLite file: the column is dropped as an older
version never had it, then put back by the start-up step, twice without harm."""

from __future__ import annotations

from sqlalchemy import inspect

from sandbox import db, schema
from sandbox.models import Base


def _nullable_columns() -> list[tuple[str, str]]:
    indexed = {(t.name, c.name) for t in Base.metadata.sorted_tables
               for i in [*t.indexes, *t.constraints] for c in getattr(i, "columns", ())}
    return [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns
            if c.nullable and not c.primary_key and not c.foreign_keys and not c.index
            and not c.unique and (t.name, c.name) not in indexed]


def test_a_missing_nullable_column_is_added_at_start(session) -> None:  # a new database
    candidates = _nullable_columns()
    assert candidates
    # Drop a few (one per table at most): the "older version" of those tables.
    dropped = list({table: (table, column) for table, column in candidates}.values())[:5]
    with db.engine().begin() as conn:
        for table, column in dropped:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    for table, column in dropped:
        assert column not in {c["name"] for c in inspect(db.engine()).get_columns(table)}
    schema.add_missing_columns()
    schema.add_missing_columns()  # nothing left to add: no error
    for table, column in dropped:
        assert column in {c["name"] for c in inspect(db.engine()).get_columns(table)}, (
            table, column)
