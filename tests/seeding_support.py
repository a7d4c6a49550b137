"""Helpers of the seeding tests: a private database per test.

Seeding replaces every row of its database, so these tests never touch the
shared stack's database: each gets an empty SQLite file, or a new PostgreSQL
database when the suite runs on PostgreSQL (``SANDBOX_TEST_DATABASE_URL``); the
process's engine is pointed back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import db
from sandbox.config import Settings, load_settings
from sandbox.testing.harness import create_database, drop_database, suite_database_server


@pytest.fixture
def private_db(tmp_path) -> Iterator[Settings]:  # noqa: ANN001
    """Settings aimed at an empty database of this test (engine restored after)."""
    previous = db._engine_url
    server = suite_database_server()
    url = create_database(server, "sandbox_seed") if server else f"sqlite:///{tmp_path / 'seed.db'}"
    settings = load_settings({"database_url": url})
    db.init_engine(settings.database_url)
    db.create_schema()
    try:
        yield settings
    finally:
        if previous is not None:
            db.init_engine(previous)
        else:
            db.engine().dispose()
        if server:
            drop_database(url)
