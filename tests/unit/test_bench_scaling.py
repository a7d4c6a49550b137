"""The scaling part of `make bench` (issue 24.6): its rows, the growth with server
processes, a failed check named, PostgreSQL missing said as such; the CLI's counts."""

from __future__ import annotations

import click
import pytest

from sandbox.cli.load import _counts
from sandbox.loadtesting.benchreport import scaling_lines


def _run(kind: str, processes: int, workers: int, rate: float, **extra) -> dict:
    run = {"kind": kind, "at": "2026-12-07 21:38:24", "load": [7.33, 6.41, 4.74],
           "processes": processes, "locust_workers": workers, "users": 50, "rps": rate,
           "p95": 900.0, "failures": 0, "server_ms": 5.0, "postgres_ms": 1.5,
           "server_idle_ms_per_s": 30.0, "server_cores": 0.5, "locust_cores": 0.1,
           "machine_cores": 2.0, "cores": 2, "workers_ran": workers, "checks_ok": True,
           "checks_failed": []}
    if kind == "flows":
        run.update(flows_per_s=rate / 6, server_ms_per_flow=80.0, postgres_ms_per_flow=20.0)
    run.update(extra)
    return run


def test_each_run_is_a_row_and_the_rate_is_compared_with_one_process():
    runs = [_run("api", 1, 1, 100.0), _run("api", 2, 1, 150.0), _run("api", 4, 1, 120.0),
            _run("flows", 1, 1, 60.0),
            _run("flows", 2, 1, 30.0, checks_ok=False, checks_failed=["no 5xx"])]
    results = {"server": {"kind": "granian"},
               "scaling": {"runs": runs, "locust_workers": [1], "threads": 4}}
    text = "\n".join(scaling_lines(results))
    assert text.count("| 2026-12-07 21:38:24 (7.33, 6.41, 4.74) |") == 5
    assert "1 p. 1.00× → 2 p. 1.50× → 4 p. 1.20×" in text
    assert "1 p. 1.00× → 2 p. 0.50×" in text  # flows: 10 → 5 flows/s
    assert "**80.0** per flow (5.00 per request); PostgreSQL 20.0" in text
    assert "**FAILED** no 5xx" in text
    assert "0.50 / 0.10 / 2.00 of 2" in text


def test_no_postgresql_is_said_not_skipped():
    text = "\n".join(scaling_lines({"scaling": {"unavailable": "initdb not found",
                                                "runs": []}}))
    assert "not measured (initdb not found)" in text


def test_process_counts_are_checked():
    assert _counts("1, 2,4", "--server-processes") == (1, 2, 4)
    for bad in ("", "0,2", "two", "65"):
        with pytest.raises(click.BadParameter):
            _counts(bad, "--server-processes")
