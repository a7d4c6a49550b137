"""`chorus-sandbox run` (what `make run` calls): starts both, Ctrl-C stops both, Mailpit is
supervised (the sandbox keeps serving and Mailpit comes back), a dead gunicorn master stops it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests
from mail_support import copies_in_mailpit

from sandbox.mail.binary import read_build_record
from sandbox.stack import find_mailpit, free_port, wait_until
from sandbox.testing.client import SandboxClient


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Run:
    """A `chorus-sandbox run` subprocess on free ports, its output in a file."""

    def __init__(self, var: Path, **settings: str) -> None:
        self.var = var
        self.port, self.smtp_port, self.http_port = free_port(), free_port(), free_port()
        self.output_path = var.parent / "run-output.txt"
        env = dict(os.environ)
        env.pop("SANDBOX_DATABASE_URL", None)
        env.update(SANDBOX_SEED_STRUCTURES="5", SANDBOX_WORKERS="1", SANDBOX_THREADS="2")
        env.update({f"SANDBOX_{k.upper()}": v for k, v in settings.items()})
        self.url = f"http://127.0.0.1:{self.port}"
        self.mailpit_url = f"http://127.0.0.1:{self.http_port}"
        self._output = open(self.output_path, "w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "sandbox.cli", "run",
                "--port", str(self.port),
                "--var-dir", str(var),
                "--mailpit-smtp-port", str(self.smtp_port),
                "--mailpit-http-port", str(self.http_port),
                "--mailpit-restart-delay", "3",
            ],
            env=env, stdout=self._output, stderr=subprocess.STDOUT, text=True,
        )

    @property
    def output(self) -> str:
        return self.output_path.read_text()

    def health(self) -> dict:
        return requests.get(f"{self.url}/health", timeout=30).json()

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"run exited early:\n{self.output}")
            return "Press Ctrl-C to stop." in self.output

        wait_until(ready, 120, "the banner of a running sandbox")

    def close(self) -> None:
        """Stop `run` as Ctrl-C does (it stops Mailpit and gunicorn, which live in
        sessions of their own); SIGKILL only if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._output.close()


@contextmanager
def running(tmp_path: Path, **settings: str) -> Iterator[Run]:
    run = Run(tmp_path / "var", **settings)
    try:
        run.wait_ready()
        yield run
    finally:
        run.close()


def test_run_starts_mailpit_and_sandbox_and_ctrl_c_stops_both(tmp_path):
    with running(tmp_path) as run:
        health = run.health()
        assert health["status"] == "ok"
        assert health["smtp"]["target"] == f"127.0.0.1:{run.smtp_port}"
        assert health["mailpit"]["supervised"] is True
        assert health["mailpit"]["state"] == "running" and health["mailpit"]["restarts"] == 0
        ready = requests.get(f"{run.mailpit_url}/readyz", timeout=10)
        assert ready.status_code == 200
        # With or without its web UI, as the binary's build record says (banner, /health).
        record = read_build_record(find_mailpit())
        assert health["mailpit"]["build"]["ui"] == record["ui"]
        bundle = requests.get(f"{run.mailpit_url}/dist/app.js", timeout=10)
        if record["ui"]:
            assert health["mailpit"]["webUi"] == f"{run.mailpit_url}/"
            assert bundle.status_code == 200
            assert 'id="app"' in requests.get(f"{run.mailpit_url}/", timeout=10).text
        elif record["ui"] is False:
            assert health["mailpit"]["webUi"] is None and bundle.status_code == 404
        assert (run.var / "sandbox.db").exists()
        assert (run.var / "mailpit.db").exists()
        run.process.send_signal(signal.SIGINT)
        run.process.wait(timeout=60)
        output = run.output
    assert run.process.returncode == 0, output
    assert f"http://127.0.0.1:{run.port}/" in output
    if record["ui"]:
        assert f"Mailpit (web UI)  {run.mailpit_url}/\n" in output
    elif record["ui"] is False:
        assert f"Mailpit has no web UI here ({record['note']})" in output
    assert "Stopped." in output
    assert not _port_open(run.port)
    assert not _port_open(run.http_port)
    assert not _port_open(run.smtp_port)


def test_run_keeps_serving_while_mailpit_is_dead_and_restarts_it(tmp_path):
    with running(tmp_path, captcha_mode="off", password_hash_method="scrypt:1024:8:1",
                 mail_retry_max_backoff="1", mail_poll_interval="0.2") as run:
        client = SandboxClient(run.url, run.mailpit_url)
        pid = run.health()["mailpit"]["pid"]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not psutil.pid_exists(pid) or
                   psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, 30, "Mailpit dead")
        # During the outage (the first restart waits 3 s): signups, /health, an API call.
        tag = uuid.uuid4().hex[:10]
        logins = [f"outage-{tag}-{i}@example.com" for i in range(4)]
        during = run.health()
        assert during["smtp"]["status"] == "unreachable"
        for login in logins:
            answer = client.portal().signup(client._signup_fields(login, {}))
            assert answer.status_code == 303, answer.text[:300]
            assert requests.get(f"{run.url}/health", timeout=30).status_code == 200
            api = requests.get(f"{run.url}/openapi.json", timeout=30)
            assert api.status_code == 200
        first_attempts = {login: client.mails(login) for login in logins}
        # Mailpit comes back by itself, within the backoff.
        wait_until(lambda: run.health()["mailpit"]["restarts"] == 1, 60, "Mailpit restarted")
        health = run.health()
        assert health["mailpit"]["state"] == "running" and health["mailpit"]["pid"] != pid
        assert health["mailpit"]["lastExit"]["cause"] == "was killed by SIGKILL"

        def all_delivered() -> bool:
            return all(m["state"] == "delivered" for login in logins for m in client.mails(login))

        wait_until(all_delivered, 60, "the mails of the outage delivered")
        mails = [m for login in logins for m in client.mails(login)]
        copies = copies_in_mailpit(run.mailpit_url, [m["messageId"] for m in mails])
        output = run.output
    # Mail was refused while Mailpit was dead, then each one arrived once.
    assert any(m["attempts"] >= 1 and m["state"] != "delivered"
               for ms in first_attempts.values() for m in ms)
    assert {m["to"] for m in mails} == set(logins) and len(mails) >= len(logins)
    assert set(copies.values()) == {1}, copies
    log = tmp_path.joinpath("var", "mailpit.log").resolve()
    assert f"Mailpit was killed by SIGKILL; see {log}" in output
    assert "Mailpit restarted" in output
    assert "var/mailpit.log" not in output.replace(str(log), "")


def test_run_stops_with_the_cause_when_the_server_main_process_dies(tmp_path):
    with running(tmp_path) as run:  # granian's main process (gunicorn's master alike)
        masters = [child for child in psutil.Process(run.process.pid).children()
                   if {"granian", "gunicorn"} & set(child.cmdline())]
        assert len(masters) == 1
        master = masters[0]
        workers = master.children()
        master.send_signal(signal.SIGKILL)
        run.process.wait(timeout=60)
        output = run.output
    assert run.process.returncode != 0
    log = tmp_path.joinpath("var", "sandbox.log").resolve()
    assert f"pid {master.pid}) was killed by SIGKILL; see {log}" in output
    assert "Stopped." in output
    wait_until(lambda: not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE
                               for w in workers), 30, "the orphaned workers gone")
    assert not _port_open(run.port)
    assert not _port_open(run.smtp_port)
