"""``chorus-sandbox reset | clock | fault | override | maintenance | mails | requests | verify
| credentials --url`` drive a running sandbox over its control plane (#15.2, #15.3), as a
shell user types them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import requests

CLI = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def _ok(*args: str) -> str:
    done = _cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_clock_moves_and_comes_back(base_url: str, clock_restored) -> None:
    # Other tests of the session leave the clock ahead (deposits skip the integration
    # delay): the move is measured from where the clock stands.
    before = json.loads(_ok("clock", "--url", base_url))["offsetSeconds"]
    try:
        moved = json.loads(_ok("clock", "advance", "25h", "--url", base_url))
        assert moved["offsetSeconds"] == before + 25 * 3600
        shown = json.loads(_ok("clock", "--url", base_url))
        assert shown["offsetSeconds"] == before + 25 * 3600
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
    rows = [
        json.loads(line)
        for line in _ok("requests", "--path", "/connexion", "--url", base_url).splitlines()
    ]
    assert rows and all(row["path"] == "/connexion" for row in rows)
    creds = json.loads(_ok("credentials", "--url", base_url))
    login = creds["gestionnaire"]["login"]
    assert login and "client_id" in creds["oauth_client"]
    assert _cli("mails", "--to", "nobody-cli@example.test", "--url", base_url).returncode == 0


def test_override_add_list_remove(base_url: str) -> None:
    marker = uuid.uuid4().hex[:10]
    try:
        name = _ok("override", "add", "--method", "GET", "--path", f"/essai-{marker}",
                   "--status", "202", "--body", '{"codeRetour": 20001}', "--header",
                   "X-Essai: oui", "--times", "1", "--url", base_url).strip()
        assert name.startswith("override-")
        first = requests.get(f"{base_url}/essai-{marker}", timeout=10)
        assert (first.status_code, first.json(), first.headers["X-Essai"]) == (
            202, {"codeRetour": 20001}, "oui")
        assert requests.get(f"{base_url}/essai-{marker}", timeout=10).status_code == 404
        listed = [json.loads(line) for line in _ok("override", "list", "--url",
                                                   base_url).splitlines()]
        assert [(r["name"], r["used"]) for r in listed] == [(name, 1)]
        assert _ok("override", "remove", name, "--url", base_url).strip() == (
            f"override {name} removed")
        assert _ok("override", "list", "--url", base_url).strip() == ""
        bad = _cli("override", "add", "--body", "{nope", "--url", base_url)
        assert bad.returncode == 2 and "not JSON" in bad.stderr
    finally:
        _ok("fault", "clear", "--url", base_url)


def test_verify_counts_and_names_near_misses(base_url: str) -> None:
    marker = uuid.uuid4().hex[:10]
    since = str(time.time() - 1)
    requests.post(f"{base_url}/connexion", data={"login": marker}, timeout=10)
    ok = _ok("verify", "--method", "POST", "--path", "/connexion", "--body-partial",
             json.dumps({"login": marker}), "--since", since, "--count", "1", "--url", base_url)
    assert ok.strip() == "1 request(s) match, as expected"
    wrong = _cli("verify", "--path", "/connexion", "--body-partial",
                 json.dumps({"login": marker + "x"}), "--since", since, "--count", "1",
                 "--url", base_url)
    assert wrong.returncode == 1
    assert "received 0" in wrong.stderr and "near miss: POST /connexion" in wrong.stderr
    requests.get(f"{base_url}/nulle-part-{marker}", timeout=10)
    rows = [json.loads(line) for line in _ok("requests", "--unmatched", "--url",
                                             base_url).splitlines()]
    assert f"/nulle-part-{marker}" in {row["path"] for row in rows}


def test_reset_puts_the_baseline_back(base_url: str) -> None:
    _ok("clock", "advance", "3h", "--url", base_url)
    answer = json.loads(_ok("reset", "--url", base_url))
    assert answer["seed"] == 2024 and answer["seeding"]
    assert json.loads(_ok("clock", "--url", base_url))["offsetSeconds"] == 0


def test_no_sandbox_is_one_clear_line() -> None:
    for args in (
        ["reset"],
        ["clock"],
        ["fault", "list"],
        ["maintenance", "on"],
        ["mails", "--to", "a@b.c"],
        ["requests"],
        ["override", "list"],
        ["verify"],
        ["credentials"],
    ):
        done = _cli(*args, "--url", "http://127.0.0.1:9")
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.strip() == (
            "Error: no sandbox answers at http://127.0.0.1:9 "
            "(start one with `make run`, or give --url)"
        ), args
