"""Mailpit with its web UI (sandbox/mail/build.py): the Mailpit the stack starts serves the
inbox page and its bundle when its build record says UI (and none when it says no UI), the
dashboard links to the UI's message page, and a build whose npm fails gives a working
Mailpit without UI that says so."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import requests

from sandbox.mail.binary import read_build_record
from sandbox.stack import Mailpit, free_port
from sandbox.testing.harness import suite_database_server


def _record(chorus_sandbox) -> dict:
    mailpit = getattr(chorus_sandbox, "mailpit", None)
    if mailpit is None:
        pytest.skip("an external sandbox: which Mailpit binary it runs is not known here")
    return read_build_record(mailpit.binary)


def _with_ui(chorus_sandbox) -> dict:
    record = _record(chorus_sandbox)
    if record["ui"] is not True:
        pytest.skip(f"this Mailpit's build record says ui={record['ui']}: {record['note']}")
    return record


def _get(url: str) -> requests.Response:
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
    return answer


def test_the_inbox_page_and_its_bundle_are_served_when_built_with_the_ui(chorus_sandbox):
    record = _with_ui(chorus_sandbox)
    base = chorus_sandbox.mailpit_url
    page = _get(f"{base}/")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<title>Mailpit</title>" in page.text and 'id="app"' in page.text
    assert f'data-version="{record["version"]}"' in page.text
    css_path = re.search(r'<link rel=stylesheet href="([^"]+)"', page.text).group(1)
    js_path = re.search(r'<script src="([^"]+)"', page.text).group(1)
    css = _get(base + css_path)
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--bs-primary" in css.text and len(css.content) > 100_000  # Bootstrap, compiled
    js = _get(base + js_path)
    assert js.headers["Content-Type"].startswith("application/javascript")
    assert len(js.content) > 100_000 and "dataset.webroot" in js.text  # the app's own code
    # The icon font the stylesheet names is in the bundle too.
    font = re.search(r"url\(\"?\./(bootstrap-icons-[A-Z0-9]+\.woff2)", css.text).group(1)
    woff2 = _get(f"{base}/dist/{font}")
    assert woff2.headers["Content-Type"] == "font/woff2" and woff2.content[:4] == b"wOF2"
    # The API documentation page and its script (rapidoc).
    docs = _get(f"{base}/api/v1/")
    assert "<rapi-doc" in docs.text
    docs_js = _get(f"{base}/dist/docs.js")
    assert "rapi-doc" in docs_js.text


def test_a_mailpit_built_without_the_ui_serves_no_bundle(chorus_sandbox):
    record = _record(chorus_sandbox)
    if record["ui"] is not False:
        pytest.skip(f"this Mailpit's build record says ui={record['ui']}: {record['note']}")
    answer = requests.get(f"{chorus_sandbox.mailpit_url}/dist/app.js", timeout=30)
    assert answer.status_code == 404


def test_the_dashboard_links_each_mail_to_its_page_in_the_web_ui(chorus, chorus_sandbox):
    _with_ui(chorus_sandbox)
    account = chorus.signup(activate=False)
    found = requests.get(f"{chorus_sandbox.mailpit_url}/api/v1/search",
                         params={"query": f'to:"{account.login}"'}, timeout=30).json()
    ids = [m["ID"] for m in found["messages"]]
    assert ids
    dashboard = _get(f"{chorus_sandbox.url}/_sandbox/").text
    for message_id in ids:
        assert f'href="{chorus_sandbox.mailpit_url}/view/{message_id}"' in dashboard
        assert f'href="{chorus_sandbox.mailpit_url}/view/{message_id}.html"' in dashboard
    page = _get(f"{chorus_sandbox.mailpit_url}/view/{ids[0]}")
    assert 'id="app"' in page.text  # the UI's own message view (a client-side route)
    body = _get(f"{chorus_sandbox.mailpit_url}/view/{ids[0]}.html")
    assert "/activation/" in body.text


def test_when_npm_fails_the_build_gives_a_working_mailpit_without_ui_and_says_so(tmp_path):
    """The real build with a real npm that cannot reach its registry (a closed loopback
    port, an empty cache): the fallback is the same `go build` without the bundle (its
    packages come from the Go build cache, so this costs a compile of one package and a
    link, not a Mailpit build). No database in it: the SQLite pass of `make test` runs it."""
    if suite_database_server():
        pytest.skip("database-independent; run by the SQLite pass")
    target = tmp_path / "bin"
    env = dict(os.environ, npm_config_registry=f"http://127.0.0.1:{free_port()}/",
               npm_config_cache=str(tmp_path / "npm-cache"), npm_config_fetch_retries="0")
    done = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "install-mailpit", "--dir", str(target)],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # (A machine without npm at all takes the same way, for another reason.)
    reason = "`npm install` failed (exit 1)" if shutil.which("npm") else "`npm` is not installed"
    assert f"The web UI could not be built ({reason})" in done.stdout
    assert f"built WITHOUT its web UI: {target / 'mailpit'}" in done.stdout
    record = json.loads((target / "mailpit.build").read_text())
    assert record["ui"] is False
    assert record["note"].startswith(f"no web UI: {reason}; see ")
    assert read_build_record(target / "mailpit")["ui"] is False
    if shutil.which("npm"):
        assert "ECONNREFUSED" in (target / "mailpit.build.log").read_text()
        assert record["packageJsonChanges"]["dependencies"] == {"rapidoc": "^12.0.0 -> 9.3.8"}
    mailpit = Mailpit(str(target / "mailpit"), smtp_port=free_port(), http_port=free_port(),
                      log_path=str(tmp_path / "mailpit.log"))
    try:
        mailpit.start()
        assert _get(f"{mailpit.url}/api/v1/messages").json()["total"] == 0
        assert requests.get(f"{mailpit.url}/dist/app.js", timeout=30).status_code == 404
        info = _get(f"{mailpit.url}/api/v1/info").json()
        assert info["Version"] == record["version"]
    finally:
        mailpit.stop()
