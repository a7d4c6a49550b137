"""Start-up errors name the setting to change (issue #22.5): a port already taken names
``--port``/``SANDBOX_PORT``, a database that cannot be used names ``SANDBOX_DATABASE_URL``
(its password hidden), a sandbox that does not answer at ``--chorus-url`` names it. Each
fails before anything is started, with one line and no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sandbox.stack import free_port

CLI = [sys.executable, "-m", "sandbox.cli"]


def _run(*args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_a_port_in_use_names_port_and_sandbox_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("run", "--no-mailpit", "--port", str(port), "--var-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"port {port}" in done.stderr and "--port or SANDBOX_PORT" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "sandbox.db").exists()  # nothing started


def test_a_mailpit_port_in_use_names_its_option(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("run", "--port", str(free_port()), "--mailpit-smtp-port", str(port),
                    "--var-dir", str(tmp_path))
    assert done.returncode == 1 and "--mailpit-smtp-port" in done.stderr, done.stderr


def test_an_unusable_database_names_sandbox_database_url(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    for url, cause in (
        ("nosuchdb://user:secret@host/db", "nosuchdb"),
        (f"sqlite:///{tmp_path}/a-file/sandbox.db", "a-file"),
        (f"postgresql+psycopg://user:secret@127.0.0.1:{free_port()}/db", "refused"),
    ):
        done = _run("run", "--no-mailpit", "--port", str(free_port()),
                    "--var-dir", str(tmp_path), env={"SANDBOX_DATABASE_URL": url})
        assert done.returncode == 1, done.stdout + done.stderr
        assert "set SANDBOX_DATABASE_URL" in done.stderr and cause in done.stderr, done.stderr
        assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_no_sandbox_at_chorus_url_names_the_option(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_one(chorus):\n    chorus.clock()\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--chorus-url=http://127.0.0.1:{free_port()}", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "no sandbox answers at" in done.stdout + done.stderr
    assert "--chorus-url" in done.stdout + done.stderr
