"""The running clock (issue #22.3): ``PUT /_sandbox/clock {"rate": N}`` makes sandbox time
run N times real time from now, in every worker; offsets and jumps keep working with it;
token expiry follows it; bad rates change nothing; a reset puts rate 1 back.

Nothing here sleeps to let time pass: each test waits on a condition (``wait_until``)
and measures the elapsed times it compares, both read from the sandbox's own answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import pytest
import requests

from sandbox.stack import wait_until

CLI = [sys.executable, "-c", "from sandbox.cli import main; main()"]


def _clock(base_url: str) -> dict:
    answer = requests.get(f"{base_url}/_sandbox/clock", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _put(base_url: str, body) -> requests.Response:
    return requests.put(f"{base_url}/_sandbox/clock", json=body, timeout=10)


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture
def running(base_url: str):
    """Put the clock back to real time (offset 0, rate 1) however the test ends."""
    yield base_url
    assert _put(base_url, {"offsetSeconds": 0, "rate": 1}).status_code == 200


def _readings_after(base_url: str, real_seconds: float) -> tuple[dict, dict]:
    """Two readings of the clock at least ``real_seconds`` of real time apart."""
    first = _clock(base_url)
    later: dict = {}

    def apart() -> bool:
        later.update(_clock(base_url))
        return _seconds(later["realNow"]) - _seconds(first["realNow"]) >= real_seconds

    wait_until(apart, 30, f"{real_seconds}s of real time")
    return first, later


def _elapsed(first: dict, later: dict) -> tuple[float, float]:
    """(sandbox seconds, real seconds) between two readings."""
    return (_seconds(later["now"]) - _seconds(first["now"]),
            _seconds(later["realNow"]) - _seconds(first["realNow"]))


def test_a_rate_makes_sandbox_time_run_faster_from_now(running):
    before = _clock(running)
    assert before["rate"] == 1
    answer = _put(running, {"rate": 600})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rate"] == 600
    # the clock does not jump when only the rate changes
    assert abs(_seconds(answer.json()["now"]) - _seconds(before["now"])) < 600 * 5
    first, later = _readings_after(running, 0.5)
    sandbox, real = _elapsed(first, later)
    assert sandbox >= 0.9 * 600 * real, (sandbox, real)
    assert sandbox <= 1.1 * 600 * real, (sandbox, real)
    assert later["rate"] == 600


def test_every_worker_runs_the_same_clock(running):
    """Readings served by any worker lie on one line: offset = base + (rate - 1) * real."""
    assert _put(running, {"rate": 3600}).status_code == 200
    readings = [_clock(running) for _ in range(24)]
    first = readings[0]
    for reading in readings[1:]:
        sandbox, real = _elapsed(first, reading)
        assert abs(sandbox - 3600 * real) <= 3600 * 0.05, (sandbox, real)  # 50 ms of jitter


def test_advance_and_jump_keep_working_while_the_clock_runs(running):
    assert _put(running, {"rate": 60}).status_code == 200
    start = _clock(running)
    advanced = _put(running, {"advance": "2d"})
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["rate"] == 60
    gained = _seconds(advanced.json()["now"]) - _seconds(start["now"])
    assert 2 * 86400 <= gained <= 2 * 86400 + 60 * 10, gained
    jumped = _put(running, {"now": "2031-03-01T08:00:00Z"})
    assert jumped.status_code == 200, jumped.text
    assert jumped.json()["now"].startswith("2031-03-01T08:0")
    first, later = _readings_after(running, 0.3)  # still running, from the new instant
    sandbox, real = _elapsed(first, later)
    assert sandbox >= 0.9 * 60 * real, (sandbox, real)
    both = _put(running, {"offset": "1h", "rate": 2})
    assert both.status_code == 200, both.text
    assert both.json()["rate"] == 2 and 3600 <= both.json()["offsetSeconds"] < 3600 + 60


@pytest.mark.parametrize("body", [
    {"rate": 0}, {"rate": -5}, {"rate": 1e9}, {"rate": "60"}, {"rate": True},
    {"rate": None}, {}, {"rate": 60, "advance": "1h", "offset": "2h"},
])
def test_a_bad_rate_is_refused_and_changes_nothing(running, body):
    assert _put(running, {"offsetSeconds": 0, "rate": 1}).status_code == 200
    answer = _put(running, body)
    assert answer.status_code == 400, answer.text
    assert "rate" in answer.text or "exactly one" in answer.text, answer.text
    after = _clock(running)
    assert after["rate"] == 1 and after["offsetSeconds"] == 0


def test_token_expiry_follows_the_running_clock(chorus, running):
    api = chorus.technical_client()
    assert api.get("/cpro/transverses/v1/health-check").status_code == 200
    assert _put(running, {"rate": 7200}).status_code == 200  # the hour of a token in 0.5 s
    wait_until(lambda: api.get("/cpro/transverses/v1/health-check").status_code == 401, 60,
               "the token to expire on the running clock")


def test_reset_restores_rate_one(chorus, running):
    assert _put(running, {"rate": 120}).status_code == 200
    chorus.reset()
    after = _clock(running)
    assert after["rate"] == 1 and after["offsetSeconds"] == 0


def test_cli_sets_and_clears_the_rate(running):
    done = subprocess.run([*CLI, "clock", "rate", "30", "--url", running],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rate"] == 30
    bad = subprocess.run([*CLI, "clock", "rate", "fast", "--url", running],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "not a number" in bad.stderr
    assert _clock(running)["rate"] == 30
    done = subprocess.run([*CLI, "clock", "real", "--url", running],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rate"] == 1
