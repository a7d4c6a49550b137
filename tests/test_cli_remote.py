"""``chorus-sandbox reset | clock | fault | maintenance | mails | requests | credentials
--url`` drive a running sandbox over its control plane (#15.2), as a shell user types them."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

CLI = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def _ok(*args: str) -> str:
    done = _cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_clock_moves_and_comes_back(base_url: str) -> None:
    try:
        moved = json.loads(_ok("clock", "advance", "25h", "--url", base_url))
        assert moved["offsetSeconds"] == 25 * 3600
        shown = json.loads(_ok("clock", "--url", base_url))
        assert shown["offsetSeconds"] == 25 * 3600
        set_to = json.loads(_ok("clock", "set", "2030-01-31T09:00:00Z", "--url", base_url))
        assert set_to["now"].startswith("2030-01-31T")
    finally:
        assert json.loads(_ok("clock", "real", "--url", base_url))["offsetSeconds"] == 0


def test_fault_add_is_served_then_cleared(base_url: str) -> None:
    try:
        _ok("fault", "add", "--path", "/connexion", "--status", "418", "--url", base_url)
        assert requests.get(f"{base_url}/connexion", timeout=10).status_code == 418
        rules = json.loads(_ok("fault", "list", "--url", base_url))["rules"]
        assert any(r.get("path") == "/connexion" for r in rules)
    finally:
        _ok("fault", "clear", "--url", base_url)
    assert requests.get(f"{base_url}/connexion", timeout=10).status_code == 200


def test_maintenance_on_and_off(base_url: str) -> None:
    try:
        assert _ok("maintenance", "on", "--url", base_url).strip() == "maintenance on"
        assert requests.get(f"{base_url}/", timeout=10).status_code == 503
    finally:
        _ok("maintenance", "off", "--url", base_url)
    assert requests.get(f"{base_url}/", timeout=10).status_code == 200


def test_requests_mails_and_credentials_read_the_running_sandbox(base_url: str) -> None:
    requests.get(f"{base_url}/connexion?cli-journal-probe=1", timeout=10)
    rows = [json.loads(line) for line in _ok("requests", "--path", "/connexion", "--url", base_url).splitlines()]
    assert rows and all(row["path"] == "/connexion" for row in rows)
    creds = json.loads(_ok("credentials", "--url", base_url))
    login = creds["gestionnaire"]["login"]
    assert login and "client_id" in creds["oauth_client"]
    assert _cli("mails", "--to", "nobody-cli@example.test", "--url", base_url).returncode == 0


def test_reset_puts_the_baseline_back(base_url: str) -> None:
    _ok("clock", "advance", "3h", "--url", base_url)
    answer = json.loads(_ok("reset", "--url", base_url))
    assert answer["seed"] == 2024 and answer["seeding"]
    assert json.loads(_ok("clock", "--url", base_url))["offsetSeconds"] == 0


def test_no_sandbox_is_one_clear_line() -> None:
    for args in (["reset"], ["clock"], ["fault", "list"], ["maintenance", "on"],
                 ["mails", "--to", "a@b.c"], ["requests"], ["credentials"]):
        done = _cli(*args, "--url", "http://127.0.0.1:9")
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.strip() == (
            "Error: no sandbox answers at http://127.0.0.1:9 (start one with `make run`, or give --url)"
        ), args
