"""plots.html's series from a Locust timeline and the sampler's samples, in process.

The timeline files are what ``loadtests/common.py: Timeline`` writes (one JSON line per
second, type and name, per Locust process); the samples are what ``Sampler`` records.
The end-to-end check (a real run drawing the page) is in tests/test_load_smoke.py.
"""

from __future__ import annotations

import json

from sandbox.loadtesting.plots import build_series, interval_seconds, nearest_rank, render_page

START = 1_700_000_000.0


def write_timeline(folder, name: str, rows: list[dict]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows))


def sample(t: float, server: float | None, machine: float = 0.0, queued: int | None = 0,
           locust: float | None = None, server_pid: int = 10) -> dict:
    return {"t": t, "machine": machine, "server": server, "mailpit": 0.5, "locust": locust,
            "queued": queued, "retrying": 0, "flux": 0,
            "pids": {"server": server_pid, "mailpit": 20, "locust": None}}


def test_nearest_rank_percentiles() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert nearest_rank(values, 0.50) == 50
    assert nearest_rank(values, 0.95) == 95
    assert nearest_rank(values, 1.0) == 100
    assert nearest_rank([7.0], 0.99) == 7


def test_interval_grows_with_the_run_to_keep_about_sixty_points() -> None:
    assert interval_seconds(6) == 1
    assert interval_seconds(120) == 2
    assert interval_seconds(3600) == 60


def test_processes_are_merged_per_second_and_metrics_kept_apart(tmp_path) -> None:
    folder = tmp_path / "timeline"
    second = int(START)
    write_timeline(folder, "timeline-a-1.jsonl", [
        {"t": second, "type": "GET", "name": "/a", "ms": [10, 20], "fail": 0},
        {"t": second + 1, "type": "GET", "name": "/a", "ms": [30], "fail": 1},
        {"t": second + 1, "type": "EMAIL", "name": "mail readable", "ms": [400], "fail": 0},
    ])
    write_timeline(folder, "timeline-b-2.jsonl", [
        {"t": second, "type": "GET", "name": "/a", "ms": [40], "fail": 0},
        {"t": second, "type": "POST", "name": "/b", "ms": [5], "fail": 0},
    ])
    sampled = {"startedAt": START, "interval": 1.0, "ownCpuMsPerS": 2.0, "dropped": 0,
               "errors": [], "samples": [sample(0, 1.0, 10.0), sample(1, 1.5, 11.0),
                                         sample(2, 1.5, 11.5, queued=3),
                                         sample(3, 1.7, 12.0, server_pid=11)]}
    series = build_series(folder, sampled, {"label": "unit", "cores": 2, "marks": [
        {"at": START + 1.25, "label": "mailpit-stop", "seconds": 2.0}]})

    assert series["interval"] == 1
    assert series["http"]["x"] == [0.5, 1.5]
    assert series["http"]["count"] == [4, 1]  # both processes' second 0, and /b
    assert series["http"]["failures"] == [0, 1]
    assert series["http"]["max"] == [40, 30]
    assert series["endpoints"]["GET /a"]["p50"] == [20, 30]
    assert series["endpoints"]["POST /b"]["count"] == [1]
    assert series["async"] == {"mail readable": {
        "x": [1.5], "count": [1], "failures": [0], "p50": [400], "p95": [400], "p99": [400],
        "max": [400]}}
    # CPU in % of one core per sampling interval; a tree not sampled yet, or replaced by
    # another process (a restarted Mailpit or server), is a gap.
    assert series["cpu"]["server"] == [50.0, 0.0, None]
    assert series["cpu"]["machine"] == [100.0, 50.0, 50.0]
    assert series["cpu"]["locust"] == [None, None, None]
    assert series["queues"]["queued"] == [0, 0, 3, 0]
    # The chaos run's faults: at their time since the start, named on the throughput plot.
    assert series["marks"] == [{"x": 1.25, "label": "mailpit-stop", "seconds": 2.0}]
    assert "mailpit-stop" in render_page(series)


def test_page_of_a_run_without_requests_still_draws_five_plots(tmp_path) -> None:
    """An API-less, signup-less or failed run: every plot says what it lacks."""
    sampled = {"startedAt": START, "samples": [sample(0, None, queued=None)]}
    page = render_page(build_series(tmp_path / "none", sampled, {"label": "empty"}))
    assert page.count("<svg") == 5
    assert "no HTTP request in this run" in page
    assert "no signup, deposit or other end-to-end metric in this mix" in page
    assert "http://" not in page and "https://" not in page
