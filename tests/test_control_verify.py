"""Verification, unmatched requests and response overrides (issue #15.3), over HTTP on
the session's real stack (gunicorn, two workers): what a WireMock user expects.

Each test marks its requests with a unique value and removes its rules in a
``finally``. Fresh connections (one ``requests.post`` each) let the kernel spread the
calls over both workers; the journal's ids (``<pid>-<n>``) show which worker served.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from sandbox.testing.client import BaseUrlSession, SandboxClient, SandboxError

SEARCH = "/cpro/structures/v1/rechercher"
SERVICES = "/cpro/structures/v1/rechercher/services"


@pytest.fixture
def chorus_client(chorus_sandbox) -> Iterator[SandboxClient]:
    client = SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url)
    try:
        yield client
    finally:
        client.clear_faults()


@pytest.fixture(scope="module")
def api_headers(chorus_sandbox) -> dict[str, str]:
    """The seeded technical account's headers (token, cpro-account, JSON)."""
    session = SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url).technical_client()
    return dict(session.headers)


def _search(base_url: str, headers: dict, marker: str) -> requests.Response:
    """A structures search over a fresh connection (either worker may serve it)."""
    return requests.post(f"{base_url}{SEARCH}", headers=headers, timeout=30,
                         json={"structure": {"raisonSocialeStructure": marker}})


def _start() -> float:
    """The ``since`` of a test's own requests: now. The journal dates a request when its
    answer is written, so every request of an earlier test is dated before it, and every
    request sent after it is dated after (one clock: the stack runs on this machine).
    ``now - 1`` counted the requests of the test that ran just before (in any order)."""
    return time.time()


def _pids(entries: list[dict]) -> set[str]:
    return {entry["id"].split("-", 1)[0] for entry in entries}


def _until_both_workers(send, served, limit: int = 60) -> int:  # noqa: ANN001
    """Call ``send()`` until ``served()`` (journal entries) comes from two processes;
    return the number of calls. The kernel spreads fresh connections; 60 is ample."""
    for sent in range(1, limit + 1):
        send()
        if sent >= 4 and len(_pids(served())) >= 2:
            return sent
    pytest.fail(f"{limit} fresh connections were all served by one worker")


def test_verify_counts_and_matches_bodies_across_both_workers(base_url, api_headers,
                                                               chorus_client):
    marker = f"verif-{uuid.uuid4().hex[:10]}"
    since = _start()

    def served() -> list[dict]:
        return chorus_client.verify("POST", SEARCH, body_partial={
            "structure": {"raisonSocialeStructure": marker}}, since=since)["requests"]

    sent = _until_both_workers(lambda: _search(base_url, api_headers, marker), served)
    _search(base_url, api_headers, f"{marker}-other")
    answer = chorus_client.verify("POST", SEARCH, since=since, body_partial={
        "structure": {"raisonSocialeStructure": marker}})
    assert answer["count"] == sent
    assert len(_pids(answer["requests"])) == 2
    first = answer["requests"][0]
    # Secrets are masked; their presence can still be verified.
    assert first["headers"]["authorization"] == "Bearer ***"
    assert first["headers"]["cpro-account"] == "***"
    assert first["account"].lower().startswith("tech_1_")
    assert chorus_client.verify(path=SEARCH, since=since, headers={
        "cpro-account": {"absent": False}, "Content-Type": {"contains": "json"},
        "X-Not-Sent": {"absent": True}})["count"] == sent + 1
    # Exact body, glob, regex, status, and a wrong method.
    assert chorus_client.verify(path_glob="/cpro/structures/*", since=since, body_equal={
        "structure": {"raisonSocialeStructure": f"{marker}-other"}})["count"] == 1
    assert chorus_client.verify(path_regex=r"/cpro/structures/v1/recherch[a-z]+", status=200,
                                since=since)["count"] == sent + 1
    assert chorus_client.verify("GET", SEARCH, since=since)["count"] == 0
    # The assertion helper passes on the right count and names the near misses otherwise.
    assert len(chorus_client.assert_received(sent, path=SEARCH, since=since, body_partial={
        "structure": {"raisonSocialeStructure": marker}})) == sent
    with pytest.raises(SandboxError) as refused:
        chorus_client.assert_received(1, method="POST", path=SEARCH, since=since,
                                      body_partial={"structure": {
                                          "raisonSocialeStructure": f"{marker}-typo"}})
    report = str(refused.value)
    assert "received 0" in report and "near miss: POST " + SEARCH in report
    assert f"expected '{marker}-typo', got '{marker}" in report


def test_verify_query_since_and_masked_form_bodies(base_url, chorus_client):
    marker = uuid.uuid4().hex[:10]
    before = _start()
    requests.get(f"{base_url}/connexion", params={"probe": marker, "n": "1"}, timeout=10)
    credentials = chorus_client.credentials()["oauth_client"]
    requests.post(f"{base_url}/api/oauth/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"], "scope": marker})
    assert chorus_client.verify("GET", "/connexion", since=before,
                                query={"probe": marker, "n": {"matches": "[0-9]+"}})["count"] == 1
    assert chorus_client.verify("GET", "/connexion", query={"probe": marker},
                                since=time.time() + 60)["count"] == 0
    token = chorus_client.assert_received(1, path="/api/oauth/token", since=before,
                                          body_partial={"scope": marker})
    assert token[0]["body"]["client_secret"] == "***"
    assert token[0]["body"]["client_id"] == credentials["client_id"]
    assert token[0]["clientId"] == credentials["client_id"]


def test_unmatched_lists_requests_no_route_answered(base_url, api_headers, chorus_client):
    marker = uuid.uuid4().hex[:10]
    assert requests.get(f"{base_url}/page-{marker}", timeout=10).status_code == 404
    assert requests.delete(f"{base_url}/connexion?m={marker}", timeout=10).status_code == 405
    unknown = requests.post(f"{base_url}{SEARCH}x?m={marker}", headers=api_headers, json={},
                            timeout=10)
    assert unknown.status_code == 403 and unknown.json()["error"] == "route_inconnue"
    _search(base_url, api_headers, marker)  # a real operation: not unmatched
    rows = [r for r in chorus_client.unmatched()
            if marker in r["path"] + (r["query"] or "") or marker in json.dumps(r.get("body"))]
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [
        ("GET", f"/page-{marker}", 404), ("DELETE", "/connexion", 405),
        ("POST", f"{SEARCH}x", 403)]
    assert rows[2]["closest"][0] == f"POST {SEARCH}"
    assert all(r["unmatched"] is True for r in rows)


def test_override_answers_one_operation_for_matching_bodies_only(base_url, api_headers,
                                                                 chorus_client):
    marker = f"ovr-{uuid.uuid4().hex[:10]}"
    rare = {"codeRetour": 20001, "libelle": "Structure introuvable (surcharge de test)"}
    with chorus_client.override(SEARCH, method="POST", body=rare, name=marker,
                                headers={"X-Essai": marker},
                                body_partial={"structure": {"raisonSocialeStructure": marker}}):
        since = _start()

        def overridden() -> list[dict]:
            return chorus_client.verify(path=SEARCH, since=since, status=200)["requests"]

        answers: list[requests.Response] = []
        _until_both_workers(lambda: answers.append(_search(base_url, api_headers, marker)),
                            lambda: [e for e in overridden() if e.get("override") == marker])
        for answer in answers:  # every worker answers the override
            assert answer.status_code == 200 and answer.json() == rare
            assert answer.headers["X-Sandbox-Override"] == marker
            assert answer.headers["X-Essai"] == marker
        other_body = _search(base_url, api_headers, f"{marker}-autre")
        assert other_body.json()["codeRetour"] == 0
        assert "X-Sandbox-Override" not in other_body.headers
        other_operation = requests.post(f"{base_url}{SERVICES}", headers=api_headers,
                                        json={"idStructure": 1}, timeout=30)
        assert "X-Sandbox-Override" not in other_operation.headers
        journal = chorus_client.verify(path=SEARCH, since=since, body_partial={
            "structure": {"raisonSocialeStructure": marker}})["requests"]
        assert {e["fault"] for e in journal} == {"override:200"}
    assert _search(base_url, api_headers, marker).json()["codeRetour"] == 0  # removed


def test_override_times_is_counted_across_workers(base_url, api_headers, chorus_client):
    marker = f"times-{uuid.uuid4().hex[:10]}"
    rule = chorus_client.override(SEARCH, method="POST", times=3, status=503,
                                  body={"codeRetour": 99, "libelle": "indisponible"},
                                  body_partial={"structure": {"raisonSocialeStructure": marker}})
    since = _start()
    statuses = [_search(base_url, api_headers, marker).status_code for _ in range(8)]
    assert statuses == [503, 503, 503, 200, 200, 200, 200, 200]
    assert rule.used() == 3
    served = chorus_client.verify(path=SEARCH, since=since, body_partial={
        "structure": {"raisonSocialeStructure": marker}})["requests"]
    assert len(_pids(served)) == 2 or len(served) == 8  # spread when the kernel did
    # Adding another rule keeps this one's count (its content is unchanged).
    chorus_client.inject_fault(f"/nothing-{marker}", status=500)
    assert rule.used() == 3
    assert _search(base_url, api_headers, marker).status_code == 200


@pytest.mark.parametrize("body", [
    {"rules": [{"path": "/x", "response": {"status": 100}}]},
    {"rules": [{"path": "/x", "response": {"status": 600}}]},
    {"rules": [{"path": "/x", "response": {"status": 204, "body": {"a": 1}}}]},
    {"rules": [{"path": "/x", "response": {"body": {"a": "x" * 70_000}}}]},
    {"rules": [{"path": "/x", "response": {"headers": {"Content-Length": "1"}}}]},
    {"rules": [{"path": "/x", "response": {"headers": {"X-A": "a\r\nSet-Cookie: x"}}}]},
    {"rules": [{"path": "/x", "response": {"headers": {"bad name": "1"}}}]},
    {"rules": [{"path": "/x", "response": {}, "error": {"status": 500}}]},
    {"rules": [{"path": "/x", "response": {}, "times": 0}]},
    {"rules": [{"path": "/x", "response": {}, "name": "é"}]},
    {"rules": [{"path": "/x", "response": {"body": "\u0000"}}]},
    {"rules": [{"path": "/x", "response": {"body": 2**70}}]},
    {"rules": [{"path": "/x", "response": {}, "bodyPartial": {"a": [[[[[[[[[[[[[[[[[[[[[[[[
        [[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]},
])
def test_bad_overrides_are_refused_and_change_nothing(chorus_client, body):
    before = chorus_client.faults()
    answer = chorus_client.control.put("faults", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert chorus_client.faults() == before


@pytest.mark.parametrize("body", [
    {"pathRegex": "("}, {"since": "yesterday"}, {"since": -1}, {"query": ["a"]},
    {"headers": {"a": {"equalTo": "x", "contains": "y"}}}, {"headers": {"a": {}}},
    {"path": "/a", "pathGlob": "/a*"}, {"method": "FETCH"}, {"limit": -1}, {"status": "200"},
    {"bodyPartial": {"a": "\ud800"}}, {"unknown": 1}, [],
])
def test_bad_matchers_are_refused(chorus_client, body):
    answer = chorus_client.control.post("requests/verify", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


def test_nan_in_a_matcher_body_is_refused(chorus_client):
    answer = chorus_client.control.post("requests/verify", data='{"bodyPartial": NaN}',
                                        headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "NaN" in answer.json()["error"]


def test_the_dashboard_adds_and_removes_an_override(base_url, chorus_client):
    marker = uuid.uuid4().hex[:10]
    dashboard = BaseUrlSession(f"{base_url}/_sandbox/")
    revision = chorus_client.faults()["revision"] or ""
    rule = {"path": f"/essai-{marker}", "response": {"status": 418, "body": {"m": marker}}}
    added = dashboard.post("dashboard/faults", allow_redirects=False, data={
        "action": "add", "revision": revision, "rule": json.dumps(rule)})
    assert added.status_code == 303 and "Rule+added" in added.headers["Location"]
    assert requests.get(f"{base_url}/essai-{marker}", timeout=10).json() == {"m": marker}
    page = dashboard.get("").text
    assert f"/essai-{marker}" in page and "override" in page
    refused = dashboard.post("dashboard/faults", allow_redirects=False, data={
        "action": "add", "revision": chorus_client.faults()["revision"],
        "rule": '{"path": "/x", "response": {"status": 99}}'})
    assert "Rules+unchanged" in refused.headers["Location"]
    index = [r.get("path") for r in chorus_client.faults()["rules"]].index(f"/essai-{marker}")
    removed = dashboard.post("dashboard/faults", allow_redirects=False, data={
        "action": "remove", "revision": chorus_client.faults()["revision"], "index": str(index)})
    assert "Rule+removed" in removed.headers["Location"]
    assert requests.get(f"{base_url}/essai-{marker}", timeout=10).status_code == 404


def test_the_dashboard_refuses_a_rule_nested_too_deeply(base_url, chorus_client):
    dashboard = BaseUrlSession(f"{base_url}/_sandbox/")
    refused = dashboard.post("dashboard/faults", allow_redirects=False, data={
        "action": "add", "revision": chorus_client.faults()["revision"] or "",
        "rule": "[" * 100_000 + "]" * 100_000})
    assert refused.status_code == 303 and "Rules+unchanged" in refused.headers["Location"]
    assert chorus_client.faults()["rules"] == []


def test_the_get_form_of_verify_counts_as_the_post_form(base_url, api_headers, chorus_client):
    marker = f"get-{uuid.uuid4().hex[:10]}"
    since = time.time() - 1
    for _ in range(3):
        _search(base_url, api_headers, marker)
    requests.get(f"{base_url}/connexion", params={"probe": marker}, timeout=10)
    body = json.dumps({"structure": {"raisonSocialeStructure": marker}})
    answer = requests.get(f"{base_url}/_sandbox/requests/verify", timeout=10, params={
        "method": "POST", "path": SEARCH, "since": str(since), "bodyPartial": body,
        "status": "200", "header.Content-Type": "application/json;charset=utf-8"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["count"] == 3
    posted = chorus_client.verify("POST", SEARCH, since=since, body_partial=json.loads(body))
    assert posted["count"] == answer.json()["count"]
    by_query = requests.get(f"{base_url}/_sandbox/requests/verify", timeout=10, params=[
        ("method", "GET"), ("method", "HEAD"), ("path", "/connexion"),
        ("query.probe", marker), ("since", str(since))])
    assert by_query.status_code == 200 and by_query.json()["count"] == 1, by_query.text
    for bad, named in (({"status": "two hundred"}, "status"), ({"bodyPartial": "{"}, "JSON"),
                       ({"colour": "blue"}, "colour"), ({"method": "FETCH"}, "method")):
        refused = requests.get(f"{base_url}/_sandbox/requests/verify", params=bad, timeout=10)
        assert refused.status_code == 400 and named in refused.json()["error"], refused.text
