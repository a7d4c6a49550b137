"""Short load runs of each Locust user class, through Locust as a subprocess.

Not benchmarks: a few users for a few seconds, asserting on Locust's JSON output
(via the runner's summary) and on the post-run correctness checks. The stack is
this module's own, in the load profile (cheap hashing, journal off), with short
OAuth tokens so that the API user has to refresh its token during the run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sandbox import db
from sandbox.loadtesting.checks import run_checks
from sandbox.loadtesting.runner import (
    LOADTESTS,
    REPO,
    LoadOptions,
    profile_settings,
    run_load,
)
from sandbox.testing.harness import start_stack

TOKEN_SECONDS = 3


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# Until the portal and the API are on main, the journeys that need them are skipped.
needs_portal = pytest.mark.skipif(not _present("sandbox.portal"), reason="portal not landed yet")
needs_api = pytest.mark.skipif(not _present("sandbox.cpro"), reason="API not landed yet")


@pytest.fixture(scope="module")
def load_stack(tmp_path_factory, chorus_sandbox):
    stack = start_stack(
        tmp_path_factory.mktemp("load-stack"),
        settings=profile_settings({"oauth_token_seconds": str(TOKEN_SECONDS)}),
    )
    try:
        yield stack
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)  # tests here bind the load stack's


def smoke(stack, tmp_path, **kwargs) -> dict:
    options = dict(users=2, spawn_rate=2, duration="6s", stop_timeout=20,
                   reports_dir=str(tmp_path), label="smoke", max_p95_ms=10_000,
                   max_mail_p95_ms=20_000)
    options.update(kwargs)
    return run_load(LoadOptions(**options), stack=stack, out=tmp_path)


def by_name(summary: dict) -> dict[str, dict]:
    return {row["name"]: row for row in summary["stats"]}


def assert_checks_passed(summary: dict) -> None:
    failed = [c for c in summary["checks"] if not c["ok"]]
    assert not failed, failed
    assert {c["name"] for c in summary["checks"]} >= {
        "outbox drained", "one account per acknowledged signup",
        "one activation mail in Mailpit per acknowledged signup",
        "every completed activation is active", "no 5xx"}


@needs_portal
def test_signup_user_completes_flows_and_checks_pass(load_stack, tmp_path) -> None:
    summary = smoke(load_stack, tmp_path, mix="signup=1", duration="6s")
    assert summary["locust"]["exitCode"] == 0, (tmp_path / "locust.log").read_text()[-2000:]
    assert summary["totals"]["failures"] == 0
    rows = by_name(summary)
    mail = rows["submitted → activation mail readable"]
    assert mail["type"] == "EMAIL" and mail["requests"] >= 1
    for name in ("/creer-un-compte", "/creer-un-compte [structure]", "/activation/[token]",
                 "/activation/[token] (POST)", "/connexion (POST)", "/mon-compte"):
        assert rows[name]["requests"] >= 1, name
    assert summary["ledger"]["signups"] >= 1
    assert summary["ledger"]["activations"] >= 1
    assert_checks_passed(summary)
    assert summary["passed"]
    assert (tmp_path / "report.html").stat().st_size > 0
    assert (tmp_path / "locust_stats.csv").read_text().startswith("Type,Name")


@needs_portal
def test_rattachement_user_is_validated_and_activates(load_stack, tmp_path) -> None:
    summary = smoke(load_stack, tmp_path, mix="rattachement=1", users=1, spawn_rate=1,
                    duration="10s")
    assert summary["totals"]["failures"] == 0, (tmp_path / "locust.log").read_text()[-2000:]
    rows = by_name(summary)
    assert rows["/gestionnaire/demandes/[id]/valider"]["requests"] >= 1
    assert summary["ledger"]["signupsByKind"].get("rattachement", 0) >= 1
    # The gestionnaire's own activation, then at least one requester's.
    assert summary["ledger"]["activations"] >= 2
    assert_checks_passed(summary)
    assert summary["passed"]


@needs_api
def test_api_user_reads_and_refreshes_its_token(load_stack, tmp_path) -> None:
    summary = smoke(load_stack, tmp_path, mix="api=1", users=3, spawn_rate=3,
                    duration=f"{TOKEN_SECONDS * 3}s")
    assert summary["totals"]["failures"] == 0, (tmp_path / "locust.log").read_text()[-2000:]
    rows = by_name(summary)
    for name in ("/cpro/structures/v1/rechercher [identifiant]", "/cpro/structures/v1/consulter",
                 "/cpro/structures/v1/rechercher/services", "/cpro/transverses/v1/health-check",
                 "/cpro/organisations/v1/structures/recherche [identifiant]"):
        assert rows[name]["requests"] >= 1, name
    # Three users, tokens living 3 s, a 9 s run: more tokens than users.
    assert rows["/api/oauth/token"]["requests"] > 3
    assert summary["passed"]


@needs_api
def test_threshold_breach_fails_the_cli_run(tmp_path) -> None:
    """`chorus-sandbox load` (make load) exits non-zero when a threshold fails."""
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "load", "-u", "2", "-r", "2", "-t", "3s",
         "--mix", "api=1", "--max-p95-ms", "0.001", "--reports-dir", str(tmp_path),
         "--label", "breach"],
        capture_output=True, text=True, timeout=180, cwd=REPO,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[FAIL] p95 of every HTTP row" in result.stdout
    summary = json.loads(next(tmp_path.glob("*-breach/summary.json")).read_text())
    assert summary["passed"] is False
    assert summary["serverSettings"]["journal_size"] == "0"
    assert summary["serverSettings"]["password_hash_method"] == "scrypt:1024:8:1"


@needs_api
@needs_portal
def test_distributed_mode_runs_a_master_and_worker_processes(load_stack, tmp_path) -> None:
    """`load --distributed 2` (LoadOptions.distributed): Locust's own --master and two
    separate --worker processes, each started with the command another host would run; the
    report and the post-run checks come out as for one process."""
    summary = smoke(load_stack, tmp_path, mix="signup=1,api=1", duration="6s", distributed=2)
    assert summary["locust"]["exitCode"] == 0, (tmp_path / "locust.log").read_text()[-2000:]
    command = summary["locust"]["command"]
    assert "--master" in command and command[command.index("--expect-workers") + 1] == "2"
    workers = summary["locust"]["workers"]
    assert len(workers) == 2 and {w["exitCode"] for w in workers} == {0}, workers
    assert all("--worker" in w["command"] and "--master-port" in w["command"] for w in workers)
    # A master runs no users: both workers made requests (each wrote its own timeline).
    assert all(w["timeline"] for w in workers), workers
    rows = by_name(summary)
    assert rows["/cpro/structures/v1/consulter"]["requests"] >= 1
    assert rows["submitted → activation mail readable"]["requests"] >= 1
    assert summary["totals"]["failures"] == 0
    assert_checks_passed(summary)
    assert summary["passed"]
    assert (tmp_path / "report.html").stat().st_size > 0
    # The same checks from the gathered ledgers, as after workers on other hosts.
    again = load_checks(load_stack, tmp_path / "ledger")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "[ok] one activation mail in Mailpit per acknowledged signup" in again.stdout


def load_checks(stack, folder) -> subprocess.CompletedProcess:
    """`chorus-sandbox load-checks FOLDER` against ``stack``'s database and Mailpit."""
    env = dict(os.environ, SANDBOX_DATABASE_URL=stack.database_url)
    return subprocess.run([str(Path(sys.executable).parent / "chorus-sandbox"), "load-checks",
                           str(folder), "--mailpit-url", stack.mailpit_url,
                           "--drain-timeout", "10"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)


def test_checks_catch_a_signup_without_account_or_mail_and_a_5xx(load_stack, tmp_path) -> None:
    """The post-run checks fail when the ledger claims what the sandbox did not do."""
    db.init_engine(load_stack.database_url)
    ghost = f"ghost-{uuid.uuid4().hex}@load.example.com"
    (tmp_path / "ledger-test-1.jsonl").write_text(
        json.dumps({"e": "signup", "email": ghost, "kind": "structure", "t": 0}) + "\n"
        + json.dumps({"e": "activated", "email": ghost, "t": 0}) + "\n"
        + json.dumps({"e": "5xx", "name": "/creer-un-compte [structure]", "status": 500,
                      "t": 0}) + "\n")
    checks = {c.name: c for c in run_checks(tmp_path, load_stack.mailpit_url, drain_timeout=10)}
    assert checks["outbox drained"].ok
    for name in ("one account per acknowledged signup",
                 "one activation mail in Mailpit per acknowledged signup",
                 "every completed activation is active", "no 5xx"):
        assert not checks[name].ok, name
    accounts = checks["one account per acknowledged signup"]
    assert any(ghost in example for example in accounts.examples)
    assert checks["no 5xx"].examples == ["500 /creer-un-compte [structure]"]
    refused = load_checks(load_stack, tmp_path)  # the CLI says the same, and exits 1
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "[FAIL] one account per acknowledged signup" in refused.stdout


def test_shapes_give_the_documented_user_counts() -> None:
    """Ramp, step and spike over a run of 20 users (in a subprocess: Locust patches gevent)."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import shapes\n"
        "points = [0.0, 0.3, 0.5, 0.7, 0.99]\n"
        "print(json.dumps({name: [getattr(shapes, name)().users_at(f, 20) for f in points]\n"
        "                  for name in ('Steady', 'Ramp', 'Step', 'Spike')}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(LOADTESTS)], capture_output=True,
                            text=True, timeout=60, check=True)
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["Steady"] == [20, 20, 20, 20, 20]
    assert counts["Ramp"] == [1, 7, 10, 14, 20]
    assert counts["Step"] == [5, 10, 15, 15, 20]
    assert counts["Spike"] == [4, 4, 20, 4, 4]


PLOT_SECTIONS = ("throughput", "latency", "async", "cpu", "queues")


@needs_portal
@needs_api
def test_run_draws_a_self_contained_page_of_plots(load_stack, tmp_path) -> None:
    """plots.html beside Locust's report: five inline SVG plots drawn from real series."""
    summary = smoke(load_stack, tmp_path, mix="signup=1,api=1", users=2, duration="6s")
    assert summary["passed"], (tmp_path / "locust.log").read_text()[-2000:]
    page_path = tmp_path / "plots.html"
    assert summary["reports"]["plots"] == str(page_path)
    page = page_path.read_text(encoding="utf-8")

    # Self-contained: no URL leaves the page, no script runs, the one link is relative.
    assert "http://" not in page and "https://" not in page
    assert re.search(r"\bsrc\s*=", page) is None
    assert re.search(r"<script(?![^>]*application/json)", page) is None
    assert "@import" not in page and re.search(r"url\((?!#)", page) is None  # url(#clip)
    hrefs = set(re.findall(r'href="([^"]*)"', page))
    assert {h for h in hrefs if not h.startswith("#")} == {"report.html"}

    # Each plot is an SVG with its legend's series in it.
    sections = dict(re.findall(r'<section id="(\w+)">(.*?)</section>', page, re.DOTALL))
    assert tuple(sections) == PLOT_SECTIONS
    for key, body in sections.items():
        assert body.count("<svg") == 1 and "line2d_" in body, key
    assert "p95 all HTTP" in sections["latency"]
    assert "p95 POST /creer-un-compte [structure]" in sections["latency"]
    assert "p95 submitted → activation mail readable" in sections["async"]
    assert "server (gunicorn master + workers)" in sections["cpu"]
    assert "outbox: queued mails" in sections["queues"]

    # The embedded series hold the run's data, not placeholders.
    data = json.loads(re.search(r'<script type="application/json" id="series">(.*?)</script>',
                                page, re.DOTALL).group(1))
    rows = by_name(summary)
    assert sum(data["http"]["count"]) == summary["totals"]["httpRequests"]
    mail = data["async"]["submitted → activation mail readable"]
    assert sum(mail["count"]) == rows["submitted → activation mail readable"]["requests"] >= 1
    assert all(p95 > 0 for p95 in mail["p95"])
    consulter = data["endpoints"]["POST /cpro/structures/v1/consulter"]
    assert sum(consulter["count"]) == rows["/cpro/structures/v1/consulter"]["requests"]
    assert all(p50 <= p95 <= p99 for p50, p95, p99 in
               zip(consulter["p50"], consulter["p95"], consulter["p99"], strict=True))
    assert max(data["users"]["count"]) == 2  # Locust's user count, from its stats history
    assert max(v for v in data["cpu"]["server"] if v is not None) > 0
    assert max(v for v in data["cpu"]["locust"] if v is not None) > 0
    queues = data["queues"]
    assert len(queues["x"]) >= 5 and None not in queues["queued"] + queues["flux"]
    assert summary["sampler"]["samples"] == len(queues["x"])
    assert summary["sampler"]["errors"] == []
