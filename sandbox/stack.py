"""Start and stop the whole stack: a real Mailpit and the sandbox under granian (or gunicorn).

Used by ``chorus-sandbox run`` (``make run``), by the test suite, by the pytest
plugin and by the load runner, so that all of them run the same thing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import requests

# Re-exported: the binary's search order lives in sandbox.mail.binary.
from sandbox.config import load_settings
from sandbox.mail.binary import find_mailpit as find_mailpit
from sandbox.mail.binary import read_build_record

MAILPIT_VERSION = "v1.33.1"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SettingError(RuntimeError):
    """A start-up problem a setting fixes; the message names the setting to change."""


def check_port_free(host: str, port: int, setting: str) -> None:
    """Refuse a port some program already listens on, naming ``setting`` to change."""
    try:
        family, kind, _proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise SettingError(f"cannot listen on {host!r} ({error.strerror}): "
                           "set SANDBOX_HOST / --host to an address of this machine") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise SettingError(
                f"port {port} on {host} is not free ({error.strerror}; another sandbox or "
                f"program listening there?): choose another with {setting}") from None


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05) -> None:
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
    # With it, Mailpit drops a second copy of a Message-ID (a safety net); tests that
    # count what crossed SMTP turn it off, so that a duplicate send is stored and seen.
    ignore_duplicate_ids: bool = True

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
            "--enable-chaos",
        ]
        if self.ignore_duplicate_ids:
            args.append("--ignore-duplicate-ids")
        if self.database:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            args += ["--database", self.database]
        return args + list(self.extra_args)

    def start(self, timeout: float = 30) -> Mailpit:
        with _log_file(self.log_path) as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(lambda: self._ready(), timeout, f"Mailpit on {self.url}/readyz")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"Mailpit {exit_cause(self.process.returncode)}"
                + (f" (see {self.log_path})" if self.log_path else "")
            )
        return _http_ok(f"{self.url}/readyz")

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP Mailpit: it accepts connections (the kernel does) but never answers."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused Mailpit."""
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)


@dataclass
class SandboxServer:
    """The sandbox under granian (default) or gunicorn gthread: the `server` setting."""

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
        server = (self.env.get("SANDBOX_SERVER") or os.environ.get("SANDBOX_SERVER")
                  or "granian").strip().lower()
        if server not in ("granian", "gunicorn"):
            raise ValueError(f"SANDBOX_SERVER must be granian or gunicorn, not {server!r}")
        if server == "granian":  # the `server` setting (docs/performance.md)
            return [
                sys.executable, "-m", "granian", "--interface", "wsgi",
                "--workers", str(self.workers), "--blocking-threads", str(self.threads),
                "--host", self.host, "--port", str(self.port),
                "--respawn-failed-workers", "--workers-kill-timeout", "10",
                "--no-ws", "sandbox.wsgi:app",
            ]
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
        with _log_file(self.log_path) as log:
            self.process = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout, f"the sandbox on {self.url}/health")
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"the sandbox {exit_cause(self.process.returncode)}"
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
        if self.process is not None and self.process.poll() is not None:
            _end_group(self.process.pid)  # the master died: its workers may linger
        _terminate(self.process)
        self.process = None

    def worker_pids(self) -> list[int]:
        """The server's worker pids (children of the granian or gunicorn main process),
        for crash tests."""
        if self.process is None:
            return []
        import psutil

        try:
            return sorted(p.pid for p in psutil.Process(self.process.pid).children())
        except psutil.NoSuchProcess:
            return []


def exit_cause(returncode: int | None) -> str:
    """'exited with code 3' or 'was killed by SIGKILL' for a Popen return code."""
    if returncode is not None and returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _end_group(pgid: int, timeout: float = 15) -> None:
    """SIGTERM what is left of a process group whose leader is gone, then SIGKILL."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _log_file(path: str | None) -> AbstractContextManager[IO[bytes] | int]:
    """Where a child writes its output; the child holds its own descriptor, so ours is
    closed once it has started (no ResourceWarning, no descriptor per restart)."""
    return open(path, "ab") if path else nullcontext(subprocess.DEVNULL)


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


@dataclass
class MailpitSupervisor:
    """Keep Mailpit running under ``chorus-sandbox run``: restart it with backoff.

    The sandbox goes on serving while Mailpit is away (mail waits in the outbox).
    Each exit is logged with its cause and the log's path; the supervisor's view
    (state, pid, restarts, last exit, and what the binary's build record says: with or
    without its web UI) is written to ``state_path`` as JSON, which ``/health`` reports
    (``SANDBOX_SUPERVISOR_STATE``). The wait before a restart
    starts at ``initial_delay`` and doubles, up to ``max_delay``, while Mailpit keeps
    dying within ``steady_seconds`` of its start.
    """

    mailpit: Mailpit
    state_path: str
    echo: Callable[[str], None] = print
    initial_delay: float = 1.0
    max_delay: float = 30.0
    steady_seconds: float = 60.0
    state: str = "stopped"
    restarts: int = 0
    last_exit: dict | None = None
    delay: float = 0.0
    _restart_at: float = 0.0
    _started_at: float = 0.0
    build: dict = field(default_factory=dict)

    def start(self) -> None:
        self.build = read_build_record(self.mailpit.binary)
        self.mailpit.start()
        self._started_at = time.monotonic()
        self.delay = self.initial_delay
        self.state = "running"
        self.write()

    def check(self) -> None:
        """Notice an exit, or restart when its wait is over (call it every second or so)."""
        process = self.mailpit.process
        if self.state == "running" and process is not None and process.poll() is not None:
            if time.monotonic() - self._started_at >= self.steady_seconds:
                self.delay = self.initial_delay
            self.last_exit = {"code": process.returncode, "cause": exit_cause(process.returncode),
                              "at": datetime.now(UTC).isoformat(timespec="seconds")}
            self.mailpit.process = None
            self._schedule(f"Mailpit {self.last_exit['cause']}")
        elif self.state == "restarting" and time.monotonic() >= self._restart_at:
            try:
                self.mailpit.start()
            except (RuntimeError, TimeoutError, OSError) as error:
                self.mailpit.stop()
                self._schedule(f"Mailpit did not restart ({error})")
                return
            assert self.mailpit.process is not None  # start() set it
            self.restarts += 1
            self._started_at = time.monotonic()
            self.state = "running"
            self.echo(f"Mailpit restarted (pid {self.mailpit.process.pid}, "
                      f"restart {self.restarts})")
            self.write()

    def _schedule(self, why: str) -> None:
        self.state = "restarting"
        self._restart_at = time.monotonic() + self.delay
        self.echo(f"{why}; see {self.mailpit.log_path}. The sandbox keeps serving (mail waits "
                  f"in the outbox); restarting Mailpit in {self.delay:.0f}s")
        self.delay = min(self.max_delay, self.delay * 2)
        self.write()

    def view(self) -> dict:
        process = self.mailpit.process
        return {
            "supervised": True,
            "state": self.state,
            "pid": process.pid if process is not None and self.state == "running" else None,
            "restarts": self.restarts,
            "lastExit": self.last_exit,
            "nextRestartInSeconds": (round(max(0.0, self._restart_at - time.monotonic()), 1)
                                     if self.state == "restarting" else None),
            "log": self.mailpit.log_path,
            "build": self.build,
            "webUi": f"{self.mailpit.url}/" if self.build.get("ui") else None,
        }

    def write(self) -> None:
        path = Path(self.state_path)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.view()))
        tmp.replace(path)

    def stop(self) -> None:
        self.mailpit.stop()
        self.state = "stopped"
        self.write()


def prepare_database(env: Mapping[str, str]) -> dict:
    """Create the schema and seed an empty database, before workers start.

    Returns what seeding reported (empty if the database was seeded already).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, OperationalError

    from sandbox import db, schema, seeding  # why: every model loads (the plugin imports us)

    merged = dict(os.environ)
    merged.update(env)
    settings = load_settings(environ=merged)
    try:
        db.init_engine(settings.database_url)
        schema.create_schema()
    except (ArgumentError, OperationalError, ImportError, OSError) as error:
        try:
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = settings.database_url
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        raise SettingError(
            f"the database {shown!r} cannot be used ({first}): set SANDBOX_DATABASE_URL, "
            "e.g. sqlite:////absolute/path/sandbox.db or "
            "postgresql+psycopg://user:password@host:5432/dbname") from None
    if not settings.seed_on_start:
        return {}
    return seeding.ensure_seeded(settings) or {}
