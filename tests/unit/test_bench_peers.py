"""The peers of `make bench` (issue 24): their figures in bench.md, and a peer that cannot
be had reported with its cause rather than skipped."""

from __future__ import annotations

import pytest

from sandbox.config import user_cache_dir
from sandbox.loadtesting.benchreport import peer_lines
from sandbox.loadtesting.peers import WIREMOCK, PeerUnavailable, wiremock_jar
from sandbox.mail.binary import user_cache_bin


def _cpu(ms: float) -> dict:
    return {"server_ms": ms, "mailpit_ms": 0.0, "locust_ms": 0.5}


def _results(peers: dict) -> dict:
    return {
        "ceiling": {"path": "/_sandbox/ping", "rps": 1000.0, "cpu": _cpu(0.5)},
        "api": {"rps": 400.0, "cpu": _cpu(1.5)},
        "flows": {"load-profile": {"flows_per_s": 20.0, "cpu": _cpu(40.0)}},
        "peers": peers,
    }


def test_ratios_of_the_same_run_are_printed_with_their_verdicts():
    wiremock = {"version": "3.13.2", "stubs": 87, "pool": 10,
                "ceiling": {"rps": 2000.0, "cpu": _cpu(0.25), "failures": 0, "requests": 1},
                "api": {"rps": 1600.0, "cpu": _cpu(0.25), "failures": 3, "requests": 4000}}
    moto = {"version": "5.2.6", "users": 30, "flows_per_s": 50.0, "failures": 0,
            "cpu": _cpu(10.0)}
    text = "\n".join(peer_lines(_results({"wiremock": wiremock, "moto": moto})))
    assert "rate 0.50×, CPU 2.00×" in text  # ceiling: 1000 / 2000 req/s, 0.5 / 0.25 ms
    assert "rate 0.25×, CPU 6.00×" in text  # API mix: 400 / 1600, 1.5 / 0.25
    assert "(3 unmatched or failed of 4000)" in text
    assert "rate 0.40×, CPU 4.00×" in text  # flows: 20 / 50 flows/s, 40 / 10 ms
    assert text.count("**missed**") == 2  # 1.5 ms > 1.0 and 6× > 5×; 40 ms > 30, 0.4 < 0.5


def test_a_peer_that_could_not_be_had_is_reported_with_its_cause():
    text = "\n".join(peer_lines(_results({"wiremock": {"unavailable": "no java on PATH"},
                                          "moto": {"unavailable": "pip install failed"}})))
    assert "| WireMock | | **not measured**: no java on PATH |" in text
    assert "| moto | | **not measured**: pip install failed |" in text


def test_no_peer_part_no_peer_table():
    assert peer_lines({"flows": {}}) == []


def test_without_maven_the_wiremock_jar_is_unavailable_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no jar cached there
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no mvn
    with pytest.raises(PeerUnavailable, match="Maven"):
        wiremock_jar()


def test_mailpit_and_the_peers_share_one_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no mvn: only a cached jar answers
    root = tmp_path / "cache" / "chorus-pro-sandbox"
    assert user_cache_dir() == root
    assert user_cache_bin() == root / "bin"
    _, artifact, version = WIREMOCK.split(":")
    jar = root / "wiremock" / f"{artifact}-{version}.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"PK")
    assert wiremock_jar() == jar


def test_without_xdg_cache_home_the_cache_is_under_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path / ".cache" / "chorus-pro-sandbox"
    assert user_cache_bin() == tmp_path / ".cache" / "chorus-pro-sandbox" / "bin"
