"""Helpers of the seeding tests: a private SQLite database per test.

Seeding replaces every row of its database, so these tests never touch the
shared stack's database; the process's engine is pointed back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox import db
from sandbox.config import Settings, load_settings


@pytest.fixture
def private_db(tmp_path) -> Iterator[Settings]:  # noqa: ANN001
    """Settings aimed at an empty SQLite file of this test (engine restored after)."""
    previous = db._engine_url
    settings = load_settings({"database_url": f"sqlite:///{tmp_path / 'seed.db'}"})
    db.init_engine(settings.database_url)
    db.create_schema()
    try:
        yield settings
    finally:
        if previous is not None:
            db.init_engine(previous)
