"""tests/unit starts nothing: no stack, no Mailpit, no server subprocess.

The root conftest binds every test to the session's stack (its autouse ``stack_db``,
which starts gunicorn and Mailpit through the plugin's ``chorus_sandbox``). Here both
are overridden: ``stack_db`` binds nothing, and ``chorus_sandbox`` (which every stack
fixture reaches: ``base_url``, ``mailpit_config``, ``chorus``...) fails the test that
asks for it. ``test_starts_nothing.py`` checks it.

The rules are called directly on a session bound to a fresh SQLite file with the schema
(``session``; mails stay in the outbox table, where the rules put them). The process's
engine and clock offset are put back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from factures_support import Scene, build_scene
from sqlalchemy.orm import Session
from unit_support import signup_data

from sandbox import clock, db, schema, security
from sandbox.accounts.signup import SignupResult, signup
from sandbox.config import Settings, load_settings


@pytest.fixture(scope="session", autouse=True)
def stack_db() -> None:
    """Overrides the root conftest's: a unit test is bound to no stack."""


@pytest.fixture(scope="session")
def chorus_sandbox() -> None:
    """Overrides the plugin's: a unit test that asks for a running sandbox fails."""
    pytest.fail("tests/unit starts nothing (no stack, no Mailpit): a test that needs the "
                "running sandbox belongs in tests/, beside the HTTP suites", pytrace=False)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(
        {"database_url": f"sqlite:///{tmp_path / 'unit.db'}",
         "password_hash_method": security.SEED_HASH_METHOD,
         "mail_dispatcher": False},
        environ={},
    )


@pytest.fixture(autouse=True)
def engine_left_as_found() -> Iterator[None]:
    """A unit test leaves this process's engine where it found it: the HTTP suites that
    run after it in the same process (an xdist worker) read and write through it. Bind
    with ``session``/``fresh_database``, which put it back."""
    before = db._engine_url
    yield
    after = db._engine_url
    if before is not None and after != before:
        db.init_engine(before)
        pytest.fail(f"this test left the process's engine on {after} (it was on {before}): "
                    "bind it with the session or fresh_database fixture")


@contextmanager
def fresh_database(url: str) -> Iterator[None]:
    """Bind this process's engine to a new database at ``url`` with the schema, the clock
    at offset 0; put the previous engine and offset back afterwards."""
    previous_url, previous_offset = db._engine_url, clock.offset()
    db.init_engine(url)
    schema.create_schema()
    clock.set_offset(0)
    try:
        yield
    finally:
        db.engine().dispose()
        if previous_url is not None:
            db.init_engine(previous_url)
        clock.set_offset(previous_offset)


@pytest.fixture
def session(settings) -> Iterator[Session]:
    """A session on a new database with the schema; the clock starts at offset 0."""
    with fresh_database(settings.database_url), db.new_session() as s:
        yield s


@pytest.fixture(scope="module")
def module_database(tmp_path_factory) -> Iterator[None]:
    """One new database for a module's table-driven tests (the schema costs ~0.1 s: not
    once per case). Each test makes its own rows, so no test depends on another's."""
    with fresh_database(f"sqlite:///{tmp_path_factory.mktemp('rules') / 'rules.db'}"):
        yield


@pytest.fixture(scope="module")
def module_scene(module_database) -> Scene:
    """A supplier, a public recipient and another public structure, each with its
    gestionnaire, services and technical account (tests/factures_support.py), committed
    on the module's database."""
    with db.new_session() as s:
        return build_scene(s)


@pytest.fixture
def rules_session(module_database) -> Iterator[Session]:
    """A session on the module's database; what the test left uncommitted is rolled back."""
    with db.new_session() as s:
        yield s
        s.rollback()


@pytest.fixture
def sign_up(session, settings):
    def make(**overrides: Any) -> SignupResult:
        return signup(session, settings, signup_data(**overrides))
    return make
