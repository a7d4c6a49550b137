"""Bad input: fuzzing from the OpenAPI documents and of the portal forms, and hostile bodies.

The promise: whatever a client sends, the sandbox answers a clear 4xx (or a
success), never a 5xx, and what it answers conforms to its documents.

- schemathesis generates requests for every operation of ``/openapi.json`` (the
  PISTE API, with a valid token and ``cpro-account``); the answers are checked
  against the document (status code, content type, body schema); the control
  plane's own document is fuzzed by tests/test_control_input.py;
- hypothesis fills the signup form with arbitrary text (NUL bytes, accents,
  markup, very long values): no 5xx, and an account exists only when the portal
  said so;
- hand-written hostile requests: bodies over the limit, malformed JSON, wrong
  content types, invalid UTF-8, huge pagination values.

Fuzzing is bounded: ``SANDBOX_FUZZ_EXAMPLES`` cases per operation (default 15)
and ``SANDBOX_FUZZ_SECONDS`` per document (default 90), generation only (no
shrinking, no example database).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from _figures import record
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from stack_support import IN_PROCESS, engine_bound_to, private_stack

from sandbox import db
from sandbox.models import User
from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import RunningStack

FUZZ_EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "15"))
FUZZ_SECONDS = float(os.environ.get("SANDBOX_FUZZ_SECONDS", "90"))
FIGURES: dict[str, int] = {}


@pytest.fixture(scope="module")
def _fuzz_stack(tmp_path_factory, chorus_sandbox) -> Iterator[RunningStack]:
    """A private stack: fuzzing writes junk and changes the clock."""
    try:
        with private_stack(tmp_path_factory.mktemp("fuzz"), chorus_sandbox.database_url,
                           {"seed_structures": "20", "captcha_mode": "off",
                            "password_hash_method": "scrypt:1024:8:1"}) as stack:
            yield stack
    finally:
        record(FIGURES)


@pytest.fixture
def fuzz_stack(_fuzz_stack, stack_db, chorus_sandbox) -> Iterator[RunningStack]:
    """The private stack, with this process's engine bound to its database for the test
    (after conftest's ``stack_db`` bound it to the session stack)."""
    with engine_bound_to(_fuzz_stack.database_url, chorus_sandbox.database_url):
        yield _fuzz_stack


def _document(url: str) -> dict | None:
    answer = requests.get(url, timeout=30)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    return answer.json()


def _fuzz(schema, base_url: str, checks: list, headers: dict | None = None,
          skipped: set | frozenset = frozenset()) -> tuple[int, list[str]]:
    """Run every operation of ``schema``; return (cases sent, failures)."""
    sent = 0
    failures: list[str] = []
    deadline = time.monotonic() + FUZZ_SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in skipped:
            continue

        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def run(case) -> None:
            nonlocal sent
            if time.monotonic() > deadline:
                return
            sent += 1
            case.call_and_validate(base_url=base_url, headers=headers, checks=checks,
                                   timeout=30)

        try:
            run()
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    return sent, failures


def test_api_answers_conform_to_openapi_under_fuzzing(fuzz_stack):
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    document = _document(f"{fuzz_stack.url}/openapi.json")
    if document is None:
        pytest.skip("the PISTE API (/openapi.json) is not installed")
    client = SandboxClient(fuzz_stack.url, fuzz_stack.mailpit_url)
    api = client.technical_client()
    headers = {name: api.headers[name] for name in ("Authorization", "cpro-account")}
    schema = schemathesis.openapi.from_dict(document)
    sent, failures = _fuzz(
        schema, fuzz_stack.url,
        [not_a_server_error, status_code_conformance, content_type_conformance,
         response_schema_conformance],
        headers=headers,
    )
    FIGURES["fuzz_api_cases"] = sent
    FIGURES["fuzz_api_operations"] = len(document.get("paths", {}))
    assert sent > 0
    assert not failures, "\n\n".join(failures)


# --- portal forms -------------------------------------------------------------

SIGNUP_FIELDS = (
    "login_email", "prenom", "nom", "telephone", "email_contact", "type_identifiant",
    "identifiant", "type_structure", "structure_nom", "structure_prenom", "raison_sociale",
    "adresse", "complement_adresse_1", "complement_adresse_2", "code_postal", "ville", "pays",
    "accepte_conditions",
)
# Any Unicode text a browser can send (no lone surrogates), NUL and markup included.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
PLAUSIBLE = {
    "type_identifiant": st.sampled_from(["SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET",
                                         "TAHITI", "AUTRE", "PARTICULIER"]) | ANY_TEXT,
    "type_structure": st.sampled_from(["PRIVEE", "PUBLIQUE"]) | ANY_TEXT,
    "pays": st.sampled_from(["FR", "BE", "DE", "NC", "PF"]) | ANY_TEXT,
    "accepte_conditions": st.sampled_from(["y", ""]) | ANY_TEXT,
    "identifiant": st.from_regex(r"\A[0-9]{14}\Z") | ANY_TEXT,
    "login_email": st.emails() | ANY_TEXT,
    "email_contact": st.emails() | ANY_TEXT,
    "prenom": ANY_TEXT | st.text(max_size=3000),
}


def _portal_ready(url: str) -> bool:
    return requests.get(f"{url}/creer-un-compte", timeout=30).status_code == 200


def test_signup_form_never_answers_5xx_whatever_is_typed(fuzz_stack):
    if not _portal_ready(fuzz_stack.url):
        pytest.skip("the portal is not installed")
    from sandbox.testing.portal import find_form

    visitor = SandboxClient(fuzz_stack.url, fuzz_stack.mailpit_url).portal()
    page = visitor.get("/creer-un-compte")
    base = find_form(page.text, "/creer-un-compte").fields  # CSRF token (reusable) and ids
    outcomes = {"accepted": 0, "refused": 0}
    accepted: set[str] = set()
    client = SandboxClient(fuzz_stack.url, fuzz_stack.mailpit_url)
    valid = client._signup_fields(f"fuzz-{uuid.uuid4().hex[:10]}@example.com", {})

    @settings(max_examples=FUZZ_EXAMPLES * 4, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(values=st.fixed_dictionaries(
        {}, optional={name: PLAUSIBLE.get(name, ANY_TEXT) for name in SIGNUP_FIELDS}))
    @example(values=valid)
    def submit(values: dict[str, str]) -> None:
        answer = visitor.http.post(visitor.url("/creer-un-compte"), data={**base, **values},
                                   allow_redirects=False, timeout=30)
        assert answer.status_code < 500, (values, answer.status_code, answer.text[:500])
        login = (values.get("login_email") or "").strip().lower()
        with db.new_session() as s:
            exists = bool(login) and "\x00" not in login and s.scalar(
                select(func.count()).select_from(User).where(User.login == login)) > 0
        if answer.status_code == 303:
            outcomes["accepted"] += 1
            accepted.add(login)
            assert exists, f"signup acknowledged but no account for {login!r}"
        else:
            outcomes["refused"] += 1
            assert answer.status_code in (200, 400, 409, 422), answer.status_code
            assert not exists or login in accepted, f"refused signup left {login!r}"

    submit()
    assert outcomes["accepted"] >= 1  # the valid example went through
    FIGURES["fuzz_portal_signup_cases"] = outcomes["accepted"] + outcomes["refused"]
    FIGURES["fuzz_portal_signup_accepted"] = outcomes["accepted"]


# --- hostile requests -----------------------------------------------------------


def _api_session(stack: RunningStack) -> requests.Session | None:
    if _document(f"{stack.url}/openapi.json") is None:
        return None
    return SandboxClient(stack.url, stack.mailpit_url).technical_client()


def _first_post_operation(stack: RunningStack) -> str:
    document = _document(f"{stack.url}/openapi.json")
    for path, methods in document["paths"].items():
        if "post" in methods and path.startswith("/cpro/") and "{" not in path:
            return path
    raise AssertionError("no POST operation in /openapi.json")


def test_oversized_bodies_get_413_with_a_clear_message(fuzz_stack):
    limit = 1_048_576  # max_body_bytes default
    big = "x" * (limit + 10)
    page = requests.post(f"{fuzz_stack.url}/creer-un-compte", data={"prenom": big}, timeout=60)
    assert page.status_code == 413
    if _portal_ready(fuzz_stack.url):
        assert "trop volumineux" in page.text
    control = requests.put(f"{fuzz_stack.url}/_sandbox/clock",
                           data=b'{"offset": "' + big.encode() + b'"}',
                           headers={"Content-Type": "application/json"}, timeout=60)
    assert control.status_code == 413
    assert "larger than the limit" in control.json()["error"]
    api = _api_session(fuzz_stack)
    if api is None:
        return
    path = _first_post_operation(fuzz_stack)
    answer = api.post(path, data=b'{"x": "' + big.encode() + b'"}', timeout=60)
    assert answer.status_code == 413
    assert answer.headers["Content-Type"].startswith("application/json"), answer.text[:300]
    assert "trop volumineuse" in answer.json()["libelle"]
    FIGURES["oversized_bodies_refused"] = 3


def test_malformed_json_wrong_types_and_invalid_utf8_are_refused_cleanly(fuzz_stack):
    bodies = [
        (b"{", "application/json"),
        (b'{"a": [1, 2,', "application/json"),
        (b"\xff\xfe\xfa{}", "application/json"),
        (b'{"a": "\xc3\x28"}', "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (b"1e99999", "application/json"),
        (b'{"a": ' * 5000 + b"1" + b"}" * 5000, "application/json"),
        (b"<x/>", "application/xml"),
        (b"a=1&b=2", "application/x-www-form-urlencoded"),
        (b"", "text/plain"),
    ]
    sent = 0
    control = f"{fuzz_stack.url}/_sandbox/clock"
    for body, content_type in bodies:
        answer = requests.put(control, data=body, headers={"Content-Type": content_type},
                              timeout=30)
        sent += 1
        assert answer.status_code == 400, (body[:40], answer.status_code, answer.text[:300])
        assert answer.json()["error"]
    api = _api_session(fuzz_stack)
    if api is not None:
        path = _first_post_operation(fuzz_stack)
        for body, content_type in bodies:
            answer = api.post(path, data=body, headers={"Content-Type": content_type},
                              timeout=30)
            sent += 1
            expected = {415} if "json" not in content_type else {400}
            if body in (b"[]", b"null") or (content_type == "text/plain" and not body):
                expected = {200, 400, 415}
            assert answer.status_code in expected, (body[:40], content_type,
                                                    answer.status_code, answer.text[:300])
            assert answer.json()["libelle"]
    # The portal's forms: invalid UTF-8 and odd content types.
    form = "application/x-www-form-urlencoded"
    for body, content_type in [(b"login=%FF%FE&password=%C3%28", form),
                               (b"\xff\xfe", form),
                               (b'{"login": "x"}', "application/json"),
                               (b"--b\r\n", "multipart/form-data; boundary=b")]:
        answer = requests.post(f"{fuzz_stack.url}/connexion", data=body,
                               headers={"Content-Type": content_type}, timeout=30)
        sent += 1
        assert answer.status_code < 500, (body, answer.status_code)
    FIGURES["malformed_bodies_sent"] = sent


def test_huge_and_negative_pagination_values_are_refused_cleanly(fuzz_stack):
    api = _api_session(fuzz_stack)
    if api is None:
        pytest.skip("the PISTE API is not installed")
    document = _document(f"{fuzz_stack.url}/openapi.json")
    sent = 0
    for path, methods in document["paths"].items():
        if "post" not in methods or "rechercher" not in path:
            continue
        for size, page in [(10**30, 1), (2**63, 2**63), (-1, -1), (0, 0), (1, 10**12),
                           ("10", "abc"), (1.5, None)]:
            body = {"parametres": {"nbResultatsParPage": size, "pageResultatDemandee": page,
                                   "triColonne": "x" * 10_000, "triSens": "Nope"}}
            answer = api.post(path, json=body, timeout=30)
            sent += 1
            assert answer.status_code < 500, (path, size, page, answer.text[:300])
            assert answer.json()["libelle"]
    FIGURES["pagination_cases"] = sent
    assert sent > 0


def test_very_long_and_control_character_fields_change_nothing(fuzz_stack):
    if not _portal_ready(fuzz_stack.url):
        pytest.skip("the portal is not installed")
    login = f"long-{uuid.uuid4().hex[:8]}@example.com"
    client = SandboxClient(fuzz_stack.url, fuzz_stack.mailpit_url)
    for prenom in ["A" * 100_000, "Zo\x00é", "\u202eevil", "a\r\nBcc: x@example.com"]:
        visitor = client.portal()
        fields = client._signup_fields(login, {"prenom": prenom})
        answer = visitor.signup(fields)
        assert answer.status_code < 500, (prenom[:20], answer.status_code)
        with db.new_session() as s:
            user = s.scalar(select(User).where(User.login == login))
        if answer.status_code == 303:
            assert user is not None and "\x00" not in user.prenom
            login = f"long-{uuid.uuid4().hex[:8]}@example.com"
        else:
            assert user is None


def test_nul_characters_and_overlong_values_never_reach_the_database_as_a_500(fuzz_stack):
    # PostgreSQL refuses NUL in text and strings longer than their column (SQLite takes
    # both): either way the answer is a clear 4xx or a normal answer, never a 5xx.
    api = _api_session(fuzz_stack)
    if api is None:
        pytest.skip("the PISTE API is not installed")
    sent = 0
    for criteria in ({"identifiantStructure": "123\x00456"},
                     {"raisonSocialeStructure": "Soci\x00été"},
                     {"adresseVille": "Paris\x00"}):
        answer = api.post("/cpro/structures/v1/rechercher", json={"structure": criteria})
        sent += 1
        assert answer.status_code in (200, 400), (criteria, answer.status_code, answer.text)
        assert answer.json()["libelle"]
    control = requests.get(f"{fuzz_stack.url}/_sandbox/accounts/nul%00{uuid.uuid4().hex}",
                           timeout=30)
    sent += 1
    assert control.status_code in (400, 404), control.text
    FIGURES["nul_and_overlong_cases"] = sent


def test_ids_beyond_64_bits_in_urls_are_404_not_500(fuzz_stack, tmp_path):
    from sandbox import create_app

    app = create_app({"database_url": f"sqlite:///{tmp_path / 'rules.db'}", **IN_PROCESS})
    db.init_engine(fuzz_stack.database_url)  # create_app bound the engine to its own
    rules = [r for r in app.url_map.iter_rules()
             if any(type(c).__name__.endswith("IntegerConverter")
                    for c in r._converters.values())]
    assert rules
    sent = 0
    for rule in rules:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(2**70)).replace(f"<{name}>", "abc")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = requests.request(method, f"{fuzz_stack.url}{path}", json={},
                                      allow_redirects=False, timeout=30)
            sent += 1
            assert answer.status_code < 500, (method, path, answer.status_code)
    FIGURES["huge_url_ids_sent"] = sent
