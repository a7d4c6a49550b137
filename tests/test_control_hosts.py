"""DNS rebinding and Origin checks (issue #14.6), over HTTP against the session stack.

A rebinding page is served from the attacker's name, then that name resolves to
127.0.0.1: the browser's requests reach the sandbox from loopback with ``Host`` and
``Origin`` both naming the attacker. ``requests`` sends exactly those headers.
Every refusal here changes nothing; the clock is put back in any case.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from stack_support import app_factory

EVIL = "rebind.evil.example"


@pytest.fixture
def stack(base_url) -> Iterator[tuple[str, int]]:
    """(base URL, port) of the session stack; the clock and maintenance are put back."""
    try:
        yield base_url, urlsplit(base_url).port
    finally:
        requests.put(f"{base_url}/_sandbox/clock", json={"offsetSeconds": 0}, timeout=10)
        requests.put(f"{base_url}/_sandbox/maintenance", json={"enabled": False}, timeout=10)


def _offset(base_url: str) -> float:
    return requests.get(f"{base_url}/_sandbox/clock", timeout=10).json()["offsetSeconds"]


def test_a_rebinding_page_cannot_read_the_credentials(stack):
    base_url, port = stack
    rebinding = {"Host": f"{EVIL}:{port}", "Origin": f"http://{EVIL}:{port}"}
    answer = requests.get(f"{base_url}/_sandbox/credentials", headers=rebinding, timeout=10)
    assert answer.status_code == 403
    assert "not allowed" in answer.json()["error"] and "password" not in answer.text
    # Legit loopback use still reads them.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost"):
        legit = requests.get(f"{base_url}/_sandbox/credentials", headers={"Host": host},
                             timeout=10)
        assert legit.status_code == 200, host
        assert "password" in legit.text


def test_a_rebinding_page_cannot_drive_the_clock_nor_maintenance(stack):
    base_url, port = stack
    before = _offset(base_url)
    rebinding = {"Host": f"{EVIL}:{port}", "Origin": f"http://{EVIL}:{port}"}
    clock = requests.put(f"{base_url}/_sandbox/clock", json={"advance": "30d"},
                         headers=rebinding, timeout=10)
    assert clock.status_code == 403 and clock.json()["error"]
    maintenance = requests.put(f"{base_url}/_sandbox/maintenance", json={"enabled": True},
                               headers=rebinding, timeout=10)
    assert maintenance.status_code == 403
    assert _offset(base_url) == before
    assert requests.get(f"{base_url}/_sandbox/faults", timeout=10).json()["maintenance"] is False
    # The sandbox's own pages (Origin = the address used) still drive it.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        own = requests.put(f"{base_url}/_sandbox/clock", json={"offset": "1h"},
                           headers={"Host": host, "Origin": f"http://{host}"}, timeout=10)
        assert own.status_code == 200, host
    assert _offset(base_url) == 3600


def test_origin_is_compared_exactly_not_as_a_prefix(stack):
    base_url, port = stack
    before = _offset(base_url)
    for origin in ("http://127.0.0.1:93801", f"http://127.0.0.1:{port}1",
                   f"http://127.0.0.1:{port}.{EVIL}", f"https://127.0.0.1:{port}",
                   f"http://localhost:{port}", "null"):
        for header in ("Origin", "Referer"):
            answer = requests.put(f"{base_url}/_sandbox/clock", json={"advance": "1d"},
                                  headers={header: origin}, timeout=10)
            assert answer.status_code == 403, (header, origin)
            assert answer.json()["error"] == "cross-site request refused by the control plane"
    assert _offset(base_url) == before
    own = requests.put(f"{base_url}/_sandbox/clock", json={"offset": "2h"},
                       headers={"Origin": f"http://127.0.0.1:{port}",
                                "Referer": f"http://127.0.0.1:{port}/_sandbox/"}, timeout=10)
    assert own.status_code == 200


def test_every_surface_refuses_a_rebinding_host(stack):
    base_url, port = stack
    host = {"Host": f"{EVIL}:{port}"}
    page = requests.get(f"{base_url}/connexion", headers=host, timeout=10)
    assert page.status_code == 403 and '<html lang="fr">' in page.text
    assert "SANDBOX_ALLOWED_HOSTS" in page.text
    login = requests.post(f"{base_url}/connexion", data={"login": "x", "password": "y"},
                          headers=host, timeout=10)
    assert login.status_code == 403
    api = requests.post(f"{base_url}/api/oauth/token", data={"grant_type": "client_credentials"},
                        headers=host, timeout=10)
    assert api.status_code == 403 and api.json()["error"] == "host_not_allowed"
    assert requests.get(f"{base_url}/openapi.json", headers=host, timeout=10).status_code == 403
    # Probes keep working whatever name they use.
    assert requests.get(f"{base_url}/health", headers=host, timeout=10).status_code in (200, 503)


def test_redirects_do_not_name_the_host_header(stack):
    base_url, port = stack
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        for path in ("/_sandbox", "/docs/api"):
            answer = requests.get(f"{base_url}{path}", headers={"Host": host},
                                  allow_redirects=False, timeout=10)
            assert answer.status_code == 308
            assert answer.headers["Location"] == f"{path}/", (host, answer.headers["Location"])


def test_allowed_hosts_setting_and_public_base_url(tmp_path):
    with app_factory(tmp_path / "hosts.db") as make:
        named = make(allowed_hosts=" sandbox.internal , Other.Example ",
                     public_base_url="https://chorus.test:8443").test_client()
        for host in ("sandbox.internal:8080", "other.example", "chorus.test:8443",
                     "chorus.test", "localhost:1"):
            assert named.get("/_sandbox/clock", headers={"Host": host}).status_code == 200, host
        for host in (f"{EVIL}:8080", "internal", "sandbox.internal.evil.example"):
            assert named.get("/_sandbox/clock", headers={"Host": host}).status_code == 403, host
        # The public base URL's origin is one of the sandbox's own.
        assert named.put("/_sandbox/clock", json={"offset": "0s"},
                         headers={"Origin": "https://chorus.test:8443"}).status_code == 200
        assert named.put("/_sandbox/clock", json={"offset": "0s"},
                         headers={"Origin": "http://chorus.test:8443"}).status_code == 403
        anything = make(allowed_hosts="*").test_client()
        assert anything.get("/_sandbox/clock", headers={"Host": EVIL}).status_code == 200
