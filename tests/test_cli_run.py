"""`chorus-sandbox run` (what `make run` calls): starts both, Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests

from sandbox.stack import free_port, wait_until


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_starts_mailpit_and_sandbox_and_ctrl_c_stops_both(tmp_path):
    port, smtp_port, http_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.pop("SANDBOX_DATABASE_URL", None)
    env.update(SANDBOX_SEED_STRUCTURES="5", SANDBOX_WORKERS="1", SANDBOX_THREADS="2")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "sandbox.cli", "run",
            "--port", str(port),
            "--var-dir", str(tmp_path / "var"),
            "--mailpit-smtp-port", str(smtp_port),
            "--mailpit-http-port", str(http_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: _port_open(port), 90, "the sandbox port")
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
        assert health["status"] == "ok"
        assert health["smtp"]["target"] == f"127.0.0.1:{smtp_port}"
        ready = requests.get(f"http://127.0.0.1:{http_port}/readyz", timeout=10)
        assert ready.status_code == 200
        assert (tmp_path / "var" / "sandbox.db").exists()
        assert (tmp_path / "var" / "mailpit.db").exists()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopped." in output
    assert not _port_open(port)
    assert not _port_open(http_port)
    assert not _port_open(smtp_port)
