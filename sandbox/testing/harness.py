"""Start a throw-away stack (Mailpit + sandbox) on free ports, for tests and tools."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.stack import Mailpit, SandboxServer, find_mailpit, free_port, prepare_database


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

    def restart_server(self, kill: bool = False) -> None:
        """Stop (or SIGKILL) the sandbox and start it again on the same port."""
        if kill:
            self.server.kill()
        else:
            self.server.stop()
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.mailpit.stop()


def start_stack(
    workdir: str | os.PathLike | None = None,
    settings: dict[str, str] | None = None,
    workers: int = 2,
    threads: int = 4,
    mailpit_bin: str | None = None,
) -> RunningStack:
    """Start Mailpit and the sandbox on free loopback ports; return how to reach them.

    ``settings`` are SANDBOX_* variables (without the prefix, lower or upper case).
    The database is a fresh SQLite file in ``workdir`` unless ``database_url`` is given.
    """
    work = Path(workdir or tempfile.mkdtemp(prefix="chorus-sandbox-"))
    work.mkdir(parents=True, exist_ok=True)
    smtp_port, http_port, port = free_port(), free_port(), free_port()
    mailpit = Mailpit(
        find_mailpit(mailpit_bin),
        smtp_port=smtp_port,
        http_port=http_port,
        database=str(work / "mailpit.db"),
        log_path=str(work / "mailpit.log"),
    ).start()
    env = {
        "SANDBOX_DATABASE_URL": f"sqlite:///{work / 'sandbox.db'}",
        "SANDBOX_SMTP_HOST": "127.0.0.1",
        "SANDBOX_SMTP_PORT": str(smtp_port),
        "SANDBOX_MAILPIT_URL": mailpit.url,
        "SANDBOX_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    for key, value in (settings or {}).items():
        env[f"SANDBOX_{key.upper()}"] = str(value)
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
    )
