"""Security promises, checked on the real stack (or on an in-process app where the
client address must be one that no loopback test can have).

CSRF on every portal form; session cookie HttpOnly, SameSite (Secure behind HTTPS);
security headers on every kind of answer; markup typed by users escaped in pages
and e-mails; tokens single-use, bound to their purpose and account, expiring; lock
after repeated failures; the technical account refused on the portal; no SQL built
from strings; the control plane refused off loopback without its token.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from _figures import record
from sqlalchemy import select
from stack_support import app_factory

from sandbox import clock, db, security
from sandbox.models import ActionToken, User
from sandbox.testing.portal import find_form, parse_forms

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = "<script>alert('xss')</script><b onmouseover=alert(1)>\"&'"
MACHINE_PREFIXES = ("/_sandbox", "/api/", "/cpro", "/health", "/openapi.json", "/docs/api",
                    "/static", "/portal-static")


@pytest.fixture
def inprocess_app(tmp_path) -> Iterator:
    """Build apps on a temporary SQLite database; put the process's engine and clock back."""
    with app_factory(tmp_path / "security.db") as make:
        yield make


def _sample_path(rule) -> str:
    """A concrete URL for a Flask rule (each variable filled with a plausible value)."""
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        value = "1" if "Integer" in converter else "abc"
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


# --- control plane ---------------------------------------------------------------


def test_every_control_plane_route_is_refused_off_loopback(inprocess_app):
    app = inprocess_app()
    client = app.test_client()
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/_sandbox")]
    assert len(rules) >= 10
    checked = 0
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(_sample_path(rule), method=method, json={},
                                 environ_base=outside)
            assert answer.status_code == 403, (method, rule.rule, answer.status_code)
            # A proxy header does not make a remote client local.
            answer = client.open(_sample_path(rule), method=method, json={},
                                 environ_base=outside,
                                 headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "::1"})
            assert answer.status_code == 403, (method, rule.rule, answer.status_code)
            checked += 1
    token_app = inprocess_app(admin_token="s3cret-token")
    token_client = token_app.test_client()
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"X-Sandbox-Token": "wrong"}, {"X-Sandbox-Token": ""}):
                answer = token_client.open(_sample_path(rule), method=method, json={},
                                           headers=headers)  # from loopback
                assert answer.status_code == 401, (method, rule.rule, headers)
    assert token_client.get("/_sandbox/clock",
                            headers={"X-Sandbox-Token": "s3cret-token"},
                            environ_base=outside).status_code == 200
    assert checked >= 10


# --- no SQL from strings -----------------------------------------------------------


def _sql_from_strings(tree: ast.AST) -> list[int]:
    """Lines where text()/exec_driver_sql()/execute() get an f-string, a % or a +."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", "")
        if name not in {"text", "exec_driver_sql", "execute", "executescript"}:
            continue
        first = node.args[0]
        built = isinstance(first, ast.JoinedStr) or (
            isinstance(first, ast.BinOp) and isinstance(first.op, (ast.Add, ast.Mod))) or (
            isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute)
            and first.func.attr == "format")
        if built:
            found.append(node.lineno)
    return found


def test_no_sql_is_built_from_strings_in_the_application():
    # sandbox/testing creates and drops whole test databases (generated names only).
    offenders = []
    for path in sorted((ROOT / "sandbox").rglob("*.py")):
        if "testing" in path.relative_to(ROOT / "sandbox").parts:
            continue
        lines = _sql_from_strings(ast.parse(path.read_text(), str(path)))
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in lines]
    assert not offenders, "SQL built from strings: " + ", ".join(offenders)
    # The scanner does see such code.
    assert _sql_from_strings(ast.parse('s.execute(text(f"SELECT {x}"))'))


# --- portal: headers, cookies, CSRF -----------------------------------------------------


def test_security_headers_on_every_kind_of_answer(base_url):
    answers = {
        "page": requests.get(f"{base_url}/", timeout=30),
        "form": requests.get(f"{base_url}/creer-un-compte", timeout=30),
        "404 page": requests.get(f"{base_url}/pas-de-page-{uuid.uuid4().hex}", timeout=30),
        "health": requests.get(f"{base_url}/health", timeout=30),
        "api error": requests.post(f"{base_url}/cpro/structures/v1/rechercher", json={},
                                   timeout=30),
    }
    for what, answer in answers.items():
        headers = answer.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, what
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, what
        assert headers.get("X-Frame-Options") == "DENY", what
        assert headers.get("X-Content-Type-Options") == "nosniff", what
        assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer",
                                                  "strict-origin-when-cross-origin"}, what


def _portal_post_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and not rule.rule.startswith(MACHINE_PREFIXES)]


def test_every_portal_form_refuses_a_post_without_its_csrf_token(chorus, base_url,
                                                                  inprocess_app):
    rules = _portal_post_rules(inprocess_app())
    assert {"/creer-un-compte", "/connexion"} <= {rule.rule for rule in rules}
    account = chorus.signup()
    portal = chorus.portal()
    assert portal.login(account.login, account.password).status_code == 303
    visitor = portal.http  # logged in: the forms behind the login are reached too
    checked = 0
    for rule in rules:
        path = _sample_path(rule)
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
            answer = visitor.post(f"{base_url}{path}", data=data, allow_redirects=False,
                                  timeout=30)
            assert answer.status_code in (200, 302, 303, 400, 403, 404), (
                path, data, answer.status_code)
            if answer.status_code in (302, 303):  # sent back to a page, with the reason
                location = answer.headers["Location"]
                answer = visitor.get(requests.compat.urljoin(f"{base_url}{path}", location),
                                     timeout=30)
                if path == "/connexion/code" and "/connexion" in location:
                    continue  # no login waiting for a code: nothing to protect
            if answer.status_code != 404:
                assert "formulaire a expiré" in answer.text, (path, data)
                checked += 1
    # Still logged in: none of the posts above (logout included) was carried out.
    assert visitor.get(f"{base_url}/mon-compte", allow_redirects=False,
                       timeout=30).status_code == 200
    record({"csrf_forms_checked": len(rules), "csrf_forged_posts": checked})


def test_signup_without_csrf_creates_nothing(chorus, db_session):
    login = f"csrf-{uuid.uuid4().hex[:10]}@example.com"
    fields = chorus._signup_fields(login, {})
    visitor = chorus.portal()
    page = visitor.get("/creer-un-compte")
    form = find_form(page.text, "/creer-un-compte")
    data = {**form.fields, **fields}
    data.pop("csrf_token")
    if data.get("captcha_id"):
        data["captcha"] = chorus.captcha_answer(data["captcha_id"])
    answer = visitor.http.post(visitor.url("/creer-un-compte"), data=data,
                               allow_redirects=False, timeout=30)
    assert answer.status_code in (400, 403, 200) and answer.status_code != 303
    assert db_session.scalar(select(User).where(User.login == login)) is None


def test_session_cookie_is_httponly_and_samesite(chorus):
    visitor = chorus.portal()
    answer = visitor.get("/connexion")
    cookies = answer.raw.headers.getlist("Set-Cookie")
    session_cookies = [c for c in cookies if c.lower().startswith("session=")]
    assert session_cookies, cookies
    for cookie in session_cookies:
        attributes = cookie.lower()
        assert "httponly" in attributes
        assert "samesite=lax" in attributes or "samesite=strict" in attributes
        assert "secure" not in attributes.split(";")[1:]  # plain HTTP here


def test_session_cookie_is_secure_behind_https(inprocess_app):
    app = inprocess_app(public_base_url="https://sandbox.example.test")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    answer = app.test_client().get("/connexion", base_url="https://sandbox.example.test")
    cookies = answer.headers.getlist("Set-Cookie")
    session_cookies = [c for c in cookies if c.lower().startswith("session=")]
    assert session_cookies and all("Secure" in c for c in session_cookies)


# --- escaping ------------------------------------------------------------------------


def _raw_markup_in(text: str) -> bool:
    return "<script>alert('xss')" in text or "<b onmouseover" in text


def test_markup_in_every_signup_field_is_escaped_in_pages_and_mails(chorus, chorus_mailpit):
    login = f"xss-{uuid.uuid4().hex[:10]}@example.com"
    # Free-text fields take the markup as typed; names refuse it (checked below).
    fields = {name: f"{PAYLOAD} {name}" for name in (
        "raison_sociale", "adresse", "complement_adresse_1", "complement_adresse_2")}
    account = chorus.signup(login=login, **fields)
    visitor = chorus.portal()
    visitor.login(account.login, account.password)
    for page in ("/mon-compte", "/creer-un-compte/confirmation", "/raccordements"):
        answer = visitor.get(page)
        if answer.status_code == 404:
            continue
        assert not _raw_markup_in(answer.text), page
    mon_compte = visitor.get("/mon-compte").text
    assert "&lt;script&gt;" in mon_compte
    messages = chorus_mailpit.search_all(f"to:{login}")
    assert messages
    for summary in messages:
        message = chorus_mailpit.get_message(summary.id)
        assert not _raw_markup_in(message.html), message.subject
        assert "&lt;script&gt;" in message.html or PAYLOAD not in message.text
    # A refused form shows the markup back escaped too, in every field.
    refused = {name: PAYLOAD for name in ("prenom", "nom", "ville", "telephone",
                                          "login_email", "email_contact", "code_postal",
                                          "identifiant", "raison_sociale", "adresse")}
    page = chorus.portal().signup({**chorus._signup_fields(
        f"bad-{uuid.uuid4().hex[:6]}@example.com", {}), **refused})
    assert page.status_code == 400 and not _raw_markup_in(page.text)
    assert "&lt;script&gt;" in page.text


# --- tokens, lock, technical account ------------------------------------------------


def test_activation_link_is_single_use_and_bound_to_its_account(chorus, db_session):
    first = chorus.signup(activate=False)
    second = chorus.signup(activate=False)
    chorus.activate(first.activation_link, first.password)
    # Used once: refused the second time, by GET and by POST.
    page = chorus.portal().get(first.activation_link)
    assert page.status_code < 500
    assert "password" not in {name for form in parse_forms(page.text) for name in form.fields}
    with pytest.raises(AssertionError):
        chorus.activate(first.activation_link, "Another-Passw0rd!xyz")
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    users = {u.login: u for u in db_session.scalars(
        select(User).where(User.login.in_([first.login, second.login])))}
    assert users[first.login].statut == "ACTIF"
    assert users[second.login].statut == "EN_ATTENTE_ACTIVATION"  # not activated by it
    assert security.verify_password(users[first.login].password_hash, first.password)


def test_a_token_of_another_purpose_does_not_activate(chorus, db_session):
    account = chorus.signup(activate=False)
    user = db_session.scalar(select(User).where(User.login == account.login))
    raw = security.token_urlsafe()
    now = clock.utcnow_naive()
    with db.transaction() as s:
        s.add(ActionToken(token_hash=security.token_hash(raw), purpose="password_reset",
                          user_id=user.id, created_at=now, expires_at=now + timedelta(hours=1)))
    link = account.activation_link.rsplit("/", 1)[0] + "/" + raw
    with pytest.raises(AssertionError):
        chorus.activate(link, "Some-Strong-Passw0rd!")
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    assert db_session.get(User, user.id).statut == "EN_ATTENTE_ACTIVATION"


def test_activation_link_expires(chorus, db_session):
    account = chorus.signup(activate=False)
    try:
        chorus.set_clock(advance="25h")
        with pytest.raises(AssertionError):
            chorus.activate(account.activation_link, account.password)
    finally:
        chorus.set_clock(offset=0)
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    user = db_session.scalar(select(User).where(User.login == account.login))
    assert user.statut == "EN_ATTENTE_ACTIVATION"


def test_password_hash_uses_the_configured_tunable_method(chorus, db_session):
    account = chorus.signup()
    user = db_session.scalar(select(User).where(User.login == account.login))
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert account.password not in user.password_hash


def _login(chorus, login: str, password: str) -> requests.Response:
    return chorus.portal().submit("/connexion", {"login": login, "password": password},
                                  action_contains="/connexion")


def test_account_locks_after_repeated_failures(chorus):
    account = chorus.signup()
    for _ in range(5):
        assert _login(chorus, account.login, "wrong-password").status_code != 303
    answer = _login(chorus, account.login, account.password)
    assert answer.status_code != 303, "the right password opened a locked account"


def test_technical_account_is_refused_on_the_portal(chorus):
    technical = chorus.credentials()["technical_account"]
    answer = _login(chorus, technical["login"], technical["password"])
    assert answer.status_code != 303
    assert answer.status_code < 500


# --- API: private structures ---------------------------------------------------------


def test_api_never_shows_another_users_private_structure(chorus, db_session, base_url):
    if requests.get(f"{base_url}/openapi.json", timeout=30).status_code != 200:
        pytest.skip("the PISTE API is not installed")
    from sandbox.models import Structure

    other = chorus.signup()  # a new private structure, not the caller's
    db_session.rollback()  # a new snapshot (SQLite keeps the old one)
    private = db_session.scalar(select(Structure).where(
        Structure.identifiant == other.identifiant))
    public = db_session.scalar(select(Structure).where(Structure.type_structure == "PUBLIQUE")
                               .order_by(Structure.id).limit(1))
    assert private.type_structure == "PRIVEE" and public is not None
    api = chorus.technical_client()  # the seeded technical account of another structure
    control = api.post("/cpro/structures/v1/consulter", json={"idStructureCPP": public.id})
    assert control.status_code == 200 and control.json()["codeRetour"] == 0
    attempts = [
        api.post("/cpro/structures/v1/consulter", json={"idStructureCPP": private.id}),
        api.post("/cpro/structures/v1/rechercher",
                 json={"structure": {"identifiantStructure": other.identifiant}}),
        api.post("/cpro/structures/v1/rechercher",
                 json={"structure": {"raisonSocialeStructure": other.raison_sociale}}),
        api.post("/cpro/structures/v1/rechercher", json={"structure": {"typeStructure": "PRIVEE"},
                 "parametres": {"nbResultatsParPage": 500}}),
    ]
    for answer in attempts:
        assert answer.status_code < 500
        assert other.identifiant not in answer.text
        assert other.raison_sociale not in answer.text
        assert f'"idStructureCPP":{private.id}' not in answer.text.replace(" ", "")
