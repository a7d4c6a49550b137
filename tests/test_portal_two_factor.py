"""Portal with ``two_factor`` on: after the password, a code e-mailed to the login
address (the real portal requires one since 2024)."""

from __future__ import annotations

import pytest
from portal_support import PASSWORD, activation_link, signup_values
from pytest_mailpit.client import MailpitClient

from sandbox import db
from sandbox.testing.harness import start_stack
from sandbox.testing.portal import PortalClient


@pytest.fixture(scope="module")
def two_factor_stack(tmp_path_factory, chorus_sandbox):
    """A stack of its own with two_factor on (the session's stack keeps it off)."""
    stack = start_stack(tmp_path_factory.mktemp("two-factor"),
                        settings={"two_factor": "on", "seed_structures": "5",
                                  "password_hash_method": "scrypt:1024:8:1"},
                        workers=1, threads=4)
    try:
        yield stack
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def test_login_asks_for_the_emailed_code(two_factor_stack):
    stack = two_factor_stack
    mailpit = MailpitClient(stack.mailpit_url + "/", wait_timeout=30)
    portal = PortalClient(stack.url)
    values = signup_values()
    login = values["login_email"]
    assert portal.signup(values).status_code == 303
    assert portal.activate(activation_link(mailpit, login), PASSWORD).status_code == 303

    step = portal.login(login, PASSWORD)
    assert step.status_code == 303 and step.headers["Location"].endswith("/connexion/code")
    # Not logged in yet.
    assert portal.get("/mon-compte", allow_redirects=False).status_code == 302
    first = mailpit.wait_for_message(recipient=login, subject="code de connexion")
    code = first.codes()[0]
    wrong = "000000" if code != "000000" else "111111"
    refused = portal.submit("/connexion/code", {"code": wrong})
    assert refused.status_code == 401 and "incorrect" in refused.text
    accepted = portal.submit("/connexion/code", {"code": code})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/mon-compte"
    assert login in portal.get("/mon-compte").text

    # A code serves once: a new login needs a new code.
    portal.logout()
    assert portal.login(login, PASSWORD).status_code == 303
    again = portal.submit("/connexion/code", {"code": code})
    second = mailpit.wait_for_messages(2, recipient=login, subject="code de connexion")[-1]
    if second.codes()[0] != code:
        assert again.status_code == 401
    mailpit.close()
