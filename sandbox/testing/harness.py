"""Start a throw-away stack (Mailpit + sandbox) on free ports, for tests and tools.

The database is a fresh SQLite file by default. When ``SANDBOX_TEST_DATABASE_URL``
names a PostgreSQL server (``postgresql+psycopg://user@host:port/db``, as printed by
``scripts/postgres.sh start``), each stack gets its own new database on that server,
dropped when the stack stops.
"""

from __future__ import annotations

import difflib
import os
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from sandbox.config import Settings
from sandbox.mail.provision import ensure_mailpit
from sandbox.stack import Mailpit, SandboxServer, free_port, prepare_database


@dataclass
class RunningStack:
    """A running Mailpit and sandbox, and how to reach them."""

    url: str
    mailpit_url: str
    smtp_port: int
    database_url: str
    workdir: Path
    env: dict[str, str]
    server: SandboxServer
    mailpit: Mailpit
    extra: dict = field(default_factory=dict)
    owns_database: bool = False

    def restart_server(self, kill: bool = False) -> None:
        """Stop (or SIGKILL) the sandbox and start it again on the same port."""
        if kill:
            self.server.kill()
        else:
            self.server.stop()
        self.server.start()

    def stop(self) -> None:
        try:
            self.server.stop()
            self.mailpit.stop()
        finally:
            if self.owns_database:
                drop_database(self.database_url)


TEST_DATABASE_ENV = "SANDBOX_TEST_DATABASE_URL"


def suite_database_server() -> str | None:
    """The server URL the suite should create its databases on, if any."""
    return os.environ.get(TEST_DATABASE_ENV) or None


def _admin_engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database(server_url: str, prefix: str = "sandbox_test") -> str:
    """Create a new, empty database on ``server_url``'s server; return its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    if server.get_backend_name() != "postgresql":
        raise ValueError(f"{TEST_DATABASE_ENV} must name a PostgreSQL server, got {server_url!r}")
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    engine = _admin_engine(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    finally:
        engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop a database made by ``create_database`` (its open connections are ended)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    target = make_url(database_url)
    admin_url = target.set(database="postgres").render_as_string(hide_password=False)
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def check_setting_names(settings: Mapping[str, object]) -> None:
    """Refuse a setting name that the sandbox does not have, naming the close ones."""
    known = {f.name for f in fields(Settings)}
    for name in settings:
        key = name.lower().removeprefix("sandbox_")
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"unknown sandbox setting {name!r}{hint}; `chorus-sandbox settings` lists them all"
            )


def start_stack(
    workdir: str | os.PathLike | None = None,
    settings: dict[str, str] | None = None,
    workers: int = 2,
    threads: int = 4,
    mailpit_bin: str | None = None,
    ignore_duplicate_ids: bool = True,
    echo: Callable[[str], object] = print,
) -> RunningStack:
    """Start Mailpit and the sandbox on free loopback ports; return how to reach them.

    ``settings`` are SANDBOX_* variables (without the prefix, lower or upper case).
    The database is a fresh SQLite file in ``workdir`` unless ``database_url`` is given,
    or a fresh PostgreSQL database when ``SANDBOX_TEST_DATABASE_URL`` names a server.
    ``ignore_duplicate_ids=False`` makes Mailpit store every copy of a Message-ID, so
    that what crossed SMTP can be counted. With no Mailpit anywhere, one is built into
    the user cache when Go is there (``mail.provision.ensure_mailpit``; ``echo`` says so).
    """
    check_setting_names(settings or {})
    work = Path(workdir or tempfile.mkdtemp(prefix="chorus-sandbox-"))
    work.mkdir(parents=True, exist_ok=True)
    smtp_port, http_port, port = free_port(), free_port(), free_port()
    given = {key.lower(): value for key, value in (settings or {}).items()}
    owns_database = False
    if "database_url" in given:
        database_url = str(given["database_url"])
    elif (database_server := suite_database_server()) is not None:
        database_url = create_database(database_server)
        owns_database = True
    else:
        database_url = f"sqlite:///{work / 'sandbox.db'}"
    mailpit = Mailpit(
        ensure_mailpit(mailpit_bin, echo=echo),
        smtp_port=smtp_port,
        http_port=http_port,
        database=str(work / "mailpit.db"),
        log_path=str(work / "mailpit.log"),
        ignore_duplicate_ids=ignore_duplicate_ids,
    ).start()
    env = {
        "SANDBOX_DATABASE_URL": database_url,
        "SANDBOX_SMTP_HOST": "127.0.0.1",
        "SANDBOX_SMTP_PORT": str(smtp_port),
        "SANDBOX_MAILPIT_URL": mailpit.url,
        "SANDBOX_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    for key, value in (settings or {}).items():
        env[f"SANDBOX_{key.upper().removeprefix('SANDBOX_')}"] = str(value)
    try:
        prepare_database(env)
        server = SandboxServer(
            env=env,
            port=port,
            workers=workers,
            threads=threads,
            log_path=str(work / "sandbox.log"),
        ).start()
    except BaseException:
        mailpit.stop()
        if owns_database:
            drop_database(database_url)
        raise
    return RunningStack(
        url=server.url,
        mailpit_url=mailpit.url,
        smtp_port=smtp_port,
        database_url=env["SANDBOX_DATABASE_URL"],
        workdir=work,
        env=env,
        server=server,
        mailpit=mailpit,
        owns_database=owns_database,
    )
