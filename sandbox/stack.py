"""Start and stop the whole stack: a real Mailpit and the sandbox under gunicorn.

Used by ``chorus-sandbox run`` (``make run``), by the test suite, by the pytest
plugin and by the load runner, so that all of them run the same thing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sandbox.mail.binary import find_mailpit  # the binary's search order lives there

MAILPIT_VERSION = "v1.33.1"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05) -> None:  # noqa: ANN001
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def _http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Mailpit:
    """A Mailpit process bound to loopback."""

    binary: str
    smtp_port: int
    http_port: int
    database: str | None = None
    host: str = "127.0.0.1"
    extra_args: list[str] = field(default_factory=list)
    log_path: str | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def command(self) -> list[str]:
        args = [
            self.binary,
            "--smtp", f"{self.host}:{self.smtp_port}",
            "--listen", f"{self.host}:{self.http_port}",
            "--max", "0",
            "--smtp-disable-rdns",
            "--disable-version-check",
            "--ignore-duplicate-ids",
            "--enable-chaos",
        ]
        if self.database:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            args += ["--database", self.database]
        return args + list(self.extra_args)

    def start(self, timeout: float = 30) -> Mailpit:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(lambda: self._ready(), timeout, f"Mailpit on {self.url}/readyz")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"Mailpit exited with code {self.process.returncode}")
        return _http_ok(f"{self.url}/readyz")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


@dataclass
class SandboxServer:
    """The sandbox under gunicorn (gthread workers)."""

    env: Mapping[str, str]
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    threads: int = 4
    log_path: str | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn",
            "--worker-class", "gthread",
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--bind", f"{self.host}:{self.port}",
            "--graceful-timeout", "10",
            "--timeout", "120",
            "--keep-alive", "5",
            "sandbox.wsgi:app",
        ]

    def start(self, timeout: float = 60) -> SandboxServer:
        env = dict(os.environ)
        env.update(self.env)
        env["SANDBOX_HOST"] = self.host
        env["SANDBOX_PORT"] = str(self.port)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(self._ready, timeout, f"the sandbox on {self.url}/health")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"the sandbox exited with code {self.process.returncode}"
                + (f" (see {self.log_path})" if self.log_path else "")
            )
        try:
            return requests.get(f"{self.url}/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """SIGKILL the server and its workers (crash tests)."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


def _terminate(process: subprocess.Popen | None, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def prepare_database(env: Mapping[str, str]) -> dict:
    """Create the schema and seed an empty database, before workers start.

    Returns what seeding reported (empty if the database was seeded already).
    """
    from sandbox import db
    from sandbox.config import load_settings

    merged = dict(os.environ)
    merged.update(env)
    settings = load_settings(environ=merged)
    db.init_engine(settings.database_url)
    db.create_schema()
    if not settings.seed_on_start:
        return {}
    try:
        from sandbox.seeding import ensure_seeded
    except ImportError:
        return {}
    return ensure_seeded(settings) or {}
