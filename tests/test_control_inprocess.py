"""Control plane on an in-process app (temporary SQLite): input checks, security,
seeded faults, maintenance, journal bound. Observed through HTTP answers only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack_support import app_factory


@pytest.fixture
def make_app(tmp_path) -> Iterator:
    """Build apps on a temporary SQLite database; put the process's engine and clock back."""
    with app_factory(tmp_path / "control.db") as make:
        yield make


def test_non_loopback_client_is_refused_without_token(make_app):
    client = make_app().test_client()
    outside = {"REMOTE_ADDR": "10.1.2.3"}
    answer = client.get("/_sandbox/clock", environ_base=outside)
    assert answer.status_code == 403
    assert "loopback" in answer.json["error"]
    assert client.put("/_sandbox/clock", json={"advance": "1h"},
                      environ_base=outside).status_code == 403
    assert client.get("/_sandbox/clock").status_code == 200  # loopback
    assert client.get("/_sandbox/clock", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # A page of another site cannot drive it through the visitor's browser either.
    for evil in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}):
        assert client.put("/_sandbox/clock", json={"advance": "1h"},
                          headers=evil).status_code == 403
        assert client.post("/_sandbox/reset", headers=evil).status_code == 403
    assert client.put("/_sandbox/clock", json={"offset": "0s"},
                      headers={"Origin": "http://localhost"}).status_code == 200
    # Refused changes changed nothing.
    assert client.get("/_sandbox/clock").json["offsetSeconds"] == 0.0
    # The simulated surfaces are not restricted.
    assert client.get("/health", environ_base=outside).status_code in (200, 503)


def test_ping_answers_loopback_only_and_is_never_faulted(make_app):
    client = make_app().test_client()
    client.put("/_sandbox/faults", json={"rules": [{"error": {"status": 500}}]})
    assert client.get("/_sandbox/ping").json == {"pong": True}
    assert client.get("/essai").status_code == 500  # the global rule hits everything else
    assert client.get("/_sandbox/ping", environ_base={"REMOTE_ADDR": "10.1.2.3"}
                      ).status_code == 403


def test_admin_token_is_required_from_everywhere_once_set(make_app):
    client = make_app(admin_token="s3cret").test_client()
    outside = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/_sandbox/clock").status_code == 401
    assert client.get("/_sandbox/clock", headers={"X-Sandbox-Token": "nope"},
                      environ_base=outside).status_code == 401
    answer = client.get("/_sandbox/clock", headers={"X-Sandbox-Token": "s3cret"},
                        environ_base=outside)
    assert answer.status_code == 200 and "now" in answer.json


def test_clock_set_advance_jump_and_bad_input(make_app):
    client = make_app().test_client()
    assert client.put("/_sandbox/clock", json={"offset": "2d"}).json["offsetSeconds"] == 172800
    assert client.put("/_sandbox/clock", json={"advance": "-1h30m"}).json[
        "offsetSeconds"] == 172800 - 5400
    jumped = client.put("/_sandbox/clock", json={"now": "2030-01-01T00:00:00Z"}).json
    assert jumped["now"].startswith("2030-01-01T00:00")
    before = client.get("/_sandbox/clock").json["offsetSeconds"]
    for bad in ({"advance": "25 hours"}, {"advance": 3}, {"offsetSeconds": "1"},
                {"advance": "1h", "offset": "2h"}, {}, {"now": "tomorrow"}, [1]):
        answer = client.put("/_sandbox/clock", json=bad)
        assert answer.status_code == 400, bad
        assert answer.json["error"]
    assert client.get("/_sandbox/clock").json["offsetSeconds"] == before
    assert client.put("/_sandbox/clock", json={"offsetSeconds": 0}).json["offsetSeconds"] == 0


def test_bad_fault_document_is_refused_and_changes_nothing(make_app):
    client = make_app().test_client()
    good = {"rules": [{"path": "/cpro/*", "error": {"status": 503}}]}
    assert client.put("/_sandbox/faults", json=good).status_code == 200
    for bad in (
        {"rules": [{"path": "/x", "error": {"status": 200}}]},
        {"rules": [{"path": "/x"}]},
        {"rules": [{"pathRegex": "(", "error": {"drop": True}}]},
        {"rules": [{"path": "/x", "probability": 2, "error": {"status": 503}}]},
        {"rules": [{"path": "/x", "latency": {"minMs": 50, "maxMs": 10}}]},
        {"rules": [{"method": "FETCH", "path": "/x", "error": {"status": 503}}]},
        {"rules": [{"path": "/x", "error": {"status": 503}, "colour": "red"}]},
        {"rules": "all"},
    ):
        answer = client.put("/_sandbox/faults", json=bad)
        assert answer.status_code == 400, bad
        assert answer.json["error"]
    assert client.get("/_sandbox/faults").json["rules"] == good["rules"]
    assert client.delete("/_sandbox/faults").status_code == 204
    assert client.get("/_sandbox/faults").json["rules"] == []


def _outcomes(client, n: int) -> list[int]:
    return [client.get(f"/essai/anything/{i}").status_code for i in range(n)]


def test_seeded_fault_probability_targets_only_its_route_and_repeats(make_app):
    client = make_app().test_client()
    rules = {"seed": 7, "rules": [
        {"method": "GET", "path": "/essai/anything/*", "probability": 0.3,
         "error": {"status": 503}}]}
    client.put("/_sandbox/faults", json=rules)
    first = _outcomes(client, 200)
    failures = first.count(503)
    assert 30 <= failures <= 90  # 0.3 of 200, well within binomial bounds
    assert set(first) == {503, 404}  # the route itself does not exist: 404 otherwise
    # Other methods and paths are untouched.
    assert all(client.post(f"/essai/anything/{i}").status_code != 503 for i in range(30))
    assert all(client.get(f"/essai/other/{i}").status_code != 503 for i in range(30))
    # The same seed gives the same sequence again; another seed another one.
    client.put("/_sandbox/faults", json=rules)
    assert _outcomes(client, 200) == first
    client.put("/_sandbox/faults", json={**rules, "seed": 8})
    assert _outcomes(client, 200) != first


def test_maintenance_answers_portal_in_french_and_api_in_json(make_app):
    client = make_app().test_client()
    assert client.put("/_sandbox/maintenance", json={"enabled": True}).status_code == 200
    page = client.get("/connexion")
    assert page.status_code == 503
    assert "maintenance" in page.get_data(as_text=True)
    assert '<html lang="fr">' in page.get_data(as_text=True)
    api = client.post("/cpro/structures/v1/rechercher", json={})
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.json["error"] == "service_unavailable"
    token = client.post("/api/oauth/token", data={"grant_type": "client_credentials"})
    assert token.status_code == 503
    # Never the control plane nor the health check.
    assert client.get("/_sandbox/faults").json["maintenance"] is True
    assert client.get("/health").status_code != 503 or client.get("/health").json
    assert client.put("/_sandbox/maintenance", json={"enabled": "yes"}).status_code == 400
    client.put("/_sandbox/maintenance", json={"enabled": False})
    assert client.get("/connexion").status_code != 503


def test_journal_keeps_the_last_n_requests_and_filters(make_app):
    client = make_app(journal_size=5).test_client()
    client.delete("/_sandbox/requests")
    for i in range(8):
        client.get(f"/essai/journal/{i}")
    client.post("/essai/journal/post")
    answer = client.get("/_sandbox/requests").json
    assert answer["size"] == 5 and answer["count"] == 5
    paths = [entry["path"] for entry in answer["requests"]]
    assert paths == ["/essai/journal/4", "/essai/journal/5", "/essai/journal/6",
                     "/essai/journal/7", "/essai/journal/post"]
    entry = answer["requests"][0]
    assert entry["method"] == "GET" and entry["status"] == 404 and entry["durationMs"] >= 0
    posted = client.get("/_sandbox/requests?method=post").json["requests"]
    assert [e["path"] for e in posted] == ["/essai/journal/post"]
    assert client.get("/_sandbox/requests?path=/essai/journal/[56]").json["count"] == 2
    assert client.delete("/_sandbox/requests").status_code == 204
    assert client.get("/_sandbox/requests").json["count"] == 0


def test_journal_off_and_bodies_scrubbed(make_app, tmp_path):
    off = make_app(journal_size=0).test_client()
    off.get("/cpro/x")
    assert off.get("/_sandbox/requests").json["requests"] == []
    bodies = make_app(journal_bodies=True,
                      database_url=f"sqlite:///{tmp_path / 'b.db'}").test_client()
    bodies.delete("/_sandbox/requests")
    bodies.post("/api/oauth/token", data={"client_id": "abc", "client_secret": "hush"})
    entry = bodies.get("/_sandbox/requests").json["requests"][-1]
    assert "client_id=abc" in entry["requestBody"]
    assert "hush" not in entry["requestBody"]


def test_journal_files_of_finished_processes_are_pruned_at_start(make_app, tmp_path):
    import json
    import time

    from sandbox.control import journal

    url = f"sqlite:///{tmp_path / 'prune.db'}"
    folder = journal.directory(url)
    stale = folder / "journal-4194000.jsonl"  # a worker of an earlier run, long gone
    stale.write_text(json.dumps({"id": "4194000-1", "t": time.time(), "method": "GET",
                                 "path": "/from-an-earlier-run", "status": 200}) + "\n")
    client = make_app(database_url=url).test_client()
    paths = [e["path"] for e in client.get("/_sandbox/requests").json["requests"]]
    assert "/from-an-earlier-run" not in paths
    assert not stale.exists()


def test_reset_checks_its_input_and_reports_an_absent_mailpit(make_app):
    pytest.importorskip("sandbox.seeding")
    client = make_app(seed_structures=5).test_client()
    client.put("/_sandbox/clock", json={"offset": "1d"})
    for bad in ({"seed": "7"}, {"clearMailpit": "yes"}, [1]):
        assert client.post("/_sandbox/reset", json=bad).status_code == 400
    assert client.get("/_sandbox/clock").json["offsetSeconds"] == 86400  # nothing done
    answer = client.post("/_sandbox/reset", json={"seed": 5, "clearMailpit": True})
    assert answer.status_code == 200
    body = answer.json
    assert body["seed"] == 5 and body["mailpitCleared"] is False
    assert "127.0.0.1:9" in body["mailpitError"]
    assert client.get("/_sandbox/clock").json["offsetSeconds"] == 0
