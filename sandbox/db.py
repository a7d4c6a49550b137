"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL.

One engine per process, created by ``init_engine``; ``session()`` gives a
SQLAlchemy session bound to the current Flask request (closed at teardown) or, out
of a request, a new one that the caller must close (``with new_session() as s``).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from flask import Flask, g, has_app_context
from sqlalchemy import Connection, CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None
_engine_url: str | None = None
_engine_pid: int | None = None
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin), as its docs advise.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A deferred transaction that reads then writes cannot wait for another
    # process's write lock (SQLite answers "database is locked" at once); a unit
    # of work that writes therefore begins IMMEDIATE and waits (busy_timeout).
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings this sandbox relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def init_engine(url: str) -> Engine:
    """Create (once per process and URL) the engine and session factory."""
    global _engine, _factory, _engine_url, _engine_pid
    with _lock:
        if _engine is None or _engine_url != url or _engine_pid != os.getpid():
            if _engine is not None and _engine_pid == os.getpid():
                _engine.dispose()
            _engine = build_engine(url)
            _factory = sessionmaker(bind=_engine, expire_on_commit=False)
            _engine_url = url
            _engine_pid = os.getpid()
        return _engine


def engine() -> Engine:
    """Return this process's engine."""
    if _engine is None or _engine_pid != os.getpid():
        raise RuntimeError("database engine not initialised (call init_engine)")
    return _engine


def new_session() -> Session:
    """Open a session the caller owns."""
    if _factory is None or _engine_pid != os.getpid():
        raise RuntimeError("database engine not initialised (call init_engine)")
    return _factory()


@contextmanager
def peek(url: str) -> Iterator[Session | None]:
    """A read-only look at the database at ``url`` without rebinding this process.

    Uses this process's engine when it is bound to ``url``, else a temporary engine;
    yields ``None`` for a SQLite file that does not exist (nothing is created).
    """
    if _engine is not None and _engine_url == url and _engine_pid == os.getpid():
        with new_session() as s:
            yield s
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or not os.path.exists(database):
            yield None
            return
    temporary = create_engine(url, poolclass=NullPool)
    try:
        with Session(temporary) as s:
            yield s
    finally:
        temporary.dispose()


def begin_write(s: Session) -> Session:
    """Make ``s``'s transaction a writing one (SQLite: BEGIN IMMEDIATE).

    Call it before the first statement of a unit of work that will write. A
    read-only transaction already open is committed first, so what was read
    before must be read again under the write lock when it matters.
    """
    if s.in_transaction():
        if s.connection().get_execution_options().get("sqlite_immediate"):
            return s
        s.commit()
    s.connection(execution_options={"sqlite_immediate": True})
    return s


def session(write: bool = False) -> Session:
    """Return the request's session (opened on first use, closed at teardown).

    ``write=True`` before the first statement of a unit of work that writes.
    """
    if not has_app_context():
        raise RuntimeError("session() needs an app context; use new_session() elsewhere")
    if "db_session" not in g:
        g.db_session = new_session()
    s = g.db_session
    if write:
        begin_write(s)
    return s


@contextmanager
def transaction(write: bool = True) -> Iterator[Session]:
    """Run a block in its own session, committed at the end or rolled back."""
    with new_session() as s, unit_of_work(s, write=write):
        yield s


@contextmanager
def write_connection() -> Iterator[Connection]:
    """A Core connection in a writing transaction (SQLite: BEGIN IMMEDIATE, as
    ``begin_write``), committed when the block ends, rolled back if it raises: for a few
    statements built once (the mail dispatcher's), without a Session's bookkeeping."""
    with engine().connect() as conn:
        conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn


def changed_rows(
    s: Session, statement: Executable, params: Mapping[str, Any] | None = None,
) -> int:
    """Run an UPDATE or DELETE (without RETURNING) in ``s`` and return how many rows it
    matched. ``Session.execute`` is typed as returning a ``Result``; for such a statement
    it is a ``CursorResult``, the one that has a ``rowcount``."""
    return cast(CursorResult[Any], s.execute(statement, params)).rowcount


T = TypeVar("T")

# PostgreSQL's "deadlock detected" and "could not serialize": the transaction was chosen
# as the victim of a conflict and rolled back; running it again is the remedy.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` is a transaction rolled back by a conflict (worth a retry)."""
    return isinstance(error, OperationalError) and (
        getattr(error.orig, "sqlstate", None) in CONFLICT_SQLSTATES)


def retry_on_conflict(work: Callable[[], T], attempts: int = 5) -> T:
    """Run ``work`` (a whole transaction) again when PostgreSQL rolled it back as the
    victim of a deadlock or a serialization conflict; other errors pass through.

    A reset deletes every row while the background loops update some (a lifecycle
    policy moves invoices, the dispatcher claims mails): their locks may be taken in
    opposite orders, and PostgreSQL then aborts one of the two transactions."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as error:
            if attempt == attempts or not is_conflict(error):
                raise
    raise AssertionError("unreachable")


def init_app(app: Flask) -> None:
    """Bind the engine to the app and close request sessions at teardown."""
    init_engine(app.config["SANDBOX"].database_url)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        s = g.pop("db_session", None)
        if s is not None:
            s.close()


@contextmanager
def unit_of_work(s: Session, *, write: bool = True) -> Iterator[Session]:
    """Run a block as one unit of work on ``s``: begin it as a writing transaction
    (``begin_write``, unless ``write=False``), commit when the block ends, roll back
    if it raises.

    What the block must keep although it then raises (a failed login counted) is
    decided inside, committed by the block's end, and raised after it.
    """
    if write:
        begin_write(s)
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


# The read path: sessions that never open a transaction ------------------------------

_read: dict = {"key": None, "factory": None}


def core(s: Session, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
    """Run a Core statement (table columns, no ORM entity) on the connection of ``s``: the
    rows ``s.execute`` gives, without the ORM's work per statement (its execution context,
    loading the rows as a result of entities: ~0.1 CPU-ms; issue #24). No autoflush, as
    for any Core statement."""
    return s.connection().execute(statement, params)


def read_session() -> Session:
    """A new session for read-only work, that the caller closes: no BEGIN, no ROLLBACK.

    Its own engine on the same database, in autocommit (each statement reads the latest
    committed data; SQLite gets no ``BEGIN``) and without the pool's reset on return (no
    rollback per request). Never write through it: ``before_flush`` refuses.
    """
    return _read_factory()()


def read_engine() -> Engine:
    """The engine of ``read_session`` (autocommit, no reset on return) for a Core read;
    this process's engine for an in-memory SQLite (another connection would see another
    database)."""
    main = engine()
    if main.dialect.name == "sqlite" and main.url.database in (None, "", ":memory:"):
        return main
    return _read_factory().kw["bind"]


def _read_factory() -> sessionmaker[Session]:
    key = (os.getpid(), _engine_url)
    if _read["key"] != key:
        with _lock:
            if _read["key"] != key:
                previous = _read["factory"]
                if previous is not None and _read["key"][0] == os.getpid():
                    previous.kw["bind"].dispose()  # its pooled connections, closed now
                main = engine()
                autocommit = create_engine(
                    main.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                    **({"connect_args": {"timeout": 30, "check_same_thread": False},
                        "pool_size": 20, "max_overflow": 20}
                       if main.dialect.name == "sqlite" else
                       {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}))
                if main.dialect.name == "sqlite":
                    event.listen(autocommit, "connect", _sqlite_pragmas)
                factory = sessionmaker(bind=autocommit, expire_on_commit=False)
                event.listen(factory, "before_flush", _refuse_flush)
                _read.update(key=key, factory=factory)
    return _read["factory"]


def _refuse_flush(session: Session, _context, _instances) -> None:
    raise RuntimeError("a read-only session (db.read_session) cannot write")


@atexit.register
def _dispose_engines() -> None:
    """Close this process's pooled connections at exit (no unclosed-connection warning)."""
    if _read["factory"] is not None and _read["key"][0] == os.getpid():
        _read["factory"].kw["bind"].dispose()
    if _engine is not None and _engine_pid == os.getpid():
        _engine.dispose()
