"""The scale part of `make bench` on each database (issue 24.5): its rows in bench.md, the
largest size against the smallest, and a prepared database's seed time."""

from __future__ import annotations

import os
import time

from sandbox.loadtesting import scaledb
from sandbox.loadtesting.benchreport import scale_lines


def _run(p95: float, prepared: bool = False, seed: float | None = None) -> dict:
    return {"prepared_db": prepared, "seed_seconds": seed, "start_seconds": 2.0,
            "rechercher_p95": p95, "consulter_p95": p95, "raison_sociale_p95": p95,
            "rps": 500.0, "reset_seconds": None if prepared else 1.5, "rss_mib": 250.0,
            "operations": {"/cpro/structures/v1/rechercher [public list]": {"p95": p95},
                           "/cpro/structures/v1/consulter": {"p95": p95 * 2}},
            "lookups_rechercher_p95": p95, "lookups_consulter_p95": p95}


def test_postgresql_rows_name_the_database_and_the_seed_time():
    text = "\n".join(scale_lines({10_000: _run(20.0), 1_000_000: _run(25.0, True, 812.4)},
                                 "postgresql"))
    assert "| Scale 1,000,000 structures on postgresql (prepared db) |" in text
    assert "(prepared db: seeded once in 812 s)" in text
    assert "(seed included)" in text  # the 10 k run seeds at start
    assert "p95 at 1M / at 10k on postgresql, full mix | 1.25×" in text
    # consulter: 40 → 50 ms, the public list 20 → 25 ms: both 1.25×, within 1.5×.
    assert "full mix (worst 1.25×)" in text and "**missed**" not in text


def test_the_largest_size_is_compared_with_the_smallest():
    text = "\n".join(scale_lines({"10000": _run(20.0), "250000": _run(40.0, True)}, "sqlite"))
    assert "p95 at 250k / at 10k, full mix | 2.00×" in text
    assert "seed time not recorded" in text
    assert "**missed**" in text
    assert "on sqlite" not in text  # SQLite's rows keep their former wording


def test_a_warmed_up_run_says_so_and_an_older_one_does_not():
    warmed = dict(_run(20.0), warm_up="10s")
    text = "\n".join(scale_lines({10_000: warmed, 1_000_000: dict(_run(25.0, True), warm_up="10s")},
                                 "sqlite"))
    assert text.count("(10 users, after a 10s unmeasured warm-up)") == 2
    older = "\n".join(scale_lines({10_000: _run(20.0)}, "sqlite"))  # bench.json of before
    assert "(10 users)" in older and "warm-up" not in older


def test_a_scale_db_being_seeded_is_awaited_and_a_stale_one_is_not(tmp_path, monkeypatch):
    """Two benches must not seed the same file: a fresh partial file is another seed under
    way (waited for until the database appears); one left by an interrupted seed is not."""
    path, partial = tmp_path / "scale-5.db", tmp_path / "scale-5.partial.db"
    naps: list[float] = []

    def nap(seconds: float) -> None:  # the other seed finishes while we wait
        naps.append(seconds)
        path.write_bytes(b"done")

    monkeypatch.setattr(scaledb.time, "sleep", nap)
    scaledb._await_other_seed(path, partial)  # no partial file: nobody seeds
    assert naps == []
    partial.write_bytes(b"")
    scaledb._await_other_seed(path, partial)
    assert naps == [10] and path.exists()
    path.unlink()
    old = time.time() - scaledb.SEED_ALIVE_SECONDS - 60
    os.utime(partial, (old, old))
    scaledb._await_other_seed(path, partial)  # stale: seeded again by the caller
    assert naps == [10] and not path.exists()


def test_a_scale_run_on_postgresql_alone_has_its_server_line_and_table_header():
    """`bench --parts scale --scale-on postgresql`: no SQLite part ran; its entry still
    names the server and heads its table (the rows came out headless before)."""
    from sandbox.loadtesting.benchreport import markdown

    machine = {"cpu": "x", "cores": 2, "memory": "1 GiB", "os": "Linux", "python": "3.11",
               "versions": {}, "load1": 1.0}
    text = markdown({"machine": machine, "duration": "30s", "profile": {"journal_size": 0},
                     "server": {"kind": "granian", "workers": 2, "threads": 4},
                     "flows": {}, "scale": {},
                     "scale_postgresql": {10_000: _run(20.0), 1_000_000: _run(25.0, True)}})
    lines = text.splitlines()
    server = next(line for line in lines if line.startswith("Server: "))
    assert "PostgreSQL (scale)" in server and "SQLite" not in server
    header = lines.index(
        "| Measure | Figure | Server CPU-ms (Mailpit, Locust) | Target | Verdict |")
    assert lines[header + 2].startswith("| Scale 10,000 structures on postgresql |")
