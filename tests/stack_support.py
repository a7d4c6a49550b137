"""Private stacks and in-process apps for tests that must not touch the session stack.

The database engine is a per-process singleton (``sandbox.db``): whatever points it
elsewhere points it back to the session stack's database when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from sandbox import clock, create_app, db
from sandbox.testing.harness import RunningStack, start_stack

# Settings of every app built inside the test process: no background thread (the outbox
# dispatcher, the factures worker) and no Mailpit. A background thread of the test process
# would work on whatever database the process's engine is bound to at the moment (another
# stack's, later dropped) and log a traceback at every pass; on Python 3.11 < 3.11.8 a
# traceback formatted in a thread while the main thread parses an AST (pytest's assertion
# rewriting, its failure reports) ends the whole session with "SystemError: AST constructor
# recursion depth mismatch" (CPython gh-106905). tests/conftest.py fails a test that leaves
# such a thread running.
IN_PROCESS = {"mail_dispatcher": False, "factures_worker": False,
              "mailpit_url": "http://127.0.0.1:9"}


@contextmanager
def private_stack(
    workdir: Path, session_database_url: str, settings: dict[str, str]
) -> Iterator[RunningStack]:
    """Start a stack of its own; on exit stop it and rebind to the session's database."""
    stack = start_stack(workdir, settings=settings)
    try:
        yield stack
    finally:
        stack.stop()
        db.init_engine(session_database_url)


@contextmanager
def engine_bound_to(database_url: str, session_database_url: str) -> Iterator[None]:
    """Bind this process's engine to ``database_url`` for a block, then back."""
    db.init_engine(database_url)
    try:
        yield
    finally:
        db.init_engine(session_database_url)


@contextmanager
def app_factory(database_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build in-process apps on a temporary SQLite file (no dispatcher, no Mailpit);
    the process's engine and clock offset are put back afterwards."""
    previous_url = db._engine_url
    previous_offset = clock.offset()

    def make(**overrides: object) -> Flask:
        settings: dict[str, object] = {"database_url": f"sqlite:///{database_path}",
                                       **IN_PROCESS}
        settings.update(overrides)
        return create_app(settings)

    try:
        yield make
    finally:
        if previous_url is not None:
            db.init_engine(previous_url)
        clock.set_offset(previous_offset)
