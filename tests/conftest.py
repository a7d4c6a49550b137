"""Shared fixtures: one real stack (Mailpit + sandbox under gunicorn) per session.

The stack itself comes from the project's pytest plugin (``chorus_sandbox``);
pytest-mailpit's fixtures are pointed at its Mailpit here.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest
from pytest_mailpit.config import MailpitConfig, SMTPServer

from sandbox import db


@pytest.fixture(scope="session")
def mailpit_config(pytestconfig: pytest.Config, chorus_sandbox) -> MailpitConfig:
    """pytest-mailpit's settings, aimed at the session's own Mailpit."""
    from pytest_mailpit.plugin import _CONFIG

    base = pytestconfig.stash[_CONFIG]
    return dataclasses.replace(
        base,
        url=chorus_sandbox.mailpit_url + "/",
        smtp=SMTPServer("127.0.0.1", chorus_sandbox.smtp_port),
        wait_timeout=30.0,
        poll_interval=0.2,
        domain="example.com",
    )


# Names of the sandbox's background threads (sandbox.mail.dispatcher, sandbox.factures.worker).
BACKGROUND_THREADS = {"outbox", "factures"}


@pytest.fixture(autouse=True)
def no_background_thread_in_the_test_process() -> Iterator[None]:
    """Fail a test that leaves a sandbox background thread running in this process.

    Stacks run in their own processes; an app built in the test process must be built
    with ``stack_support.IN_PROCESS`` (why: that constant's comment).
    """
    yield
    leaked = sorted(t.name for t in threading.enumerate() if t.name in BACKGROUND_THREADS)
    if leaked:
        from sandbox.factures import worker
        from sandbox.mail import dispatcher

        worker.stop()
        dispatcher.stop()
        pytest.fail(f"background thread(s) {leaked} left running in the test process: "
                    "build in-process apps with stack_support.IN_PROCESS")


@pytest.fixture(scope="session")
def base_url(chorus_sandbox) -> str:
    """The sandbox's base URL."""
    return chorus_sandbox.url


@pytest.fixture(scope="session", autouse=True)
def stack_db(chorus_sandbox) -> None:
    """Bind this test process's engine to the session stack's database.

    The engine is a per-process singleton: a test or module fixture that points it
    at another stack or app must point it back here when it ends.
    """
    db.init_engine(chorus_sandbox.database_url)


@pytest.fixture(scope="module")
def world(stack_db):
    """The API tests' own structures, users, technical accounts and OAuth client,
    built once per module on the session stack's database (tests/api_factories.py)."""
    from api_factories import build_world

    with db.new_session() as s:
        return build_world(s)


@pytest.fixture
def db_session(stack_db) -> Iterator:
    """A session on the stack's database, for checks the API cannot show."""
    with db.new_session() as s:
        yield s


@pytest.fixture
def clock_restored(stack_db):
    """Restore the shared clock offset (and rate 1) however the test ends."""
    from sandbox import clock, state

    # The shared offset as it is now: refreshed first (this process's clock is only what
    # it last refreshed: restoring that stale value left the clock moved for later tests).
    state.refresh()
    previous = clock.offset()
    try:
        yield
    finally:
        state.set_clock(previous, 1.0)
