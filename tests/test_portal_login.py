"""Portal, Se connecter: lock-out after repeated wrong passwords, refused accounts,
the account-state and second-factor rules of the account rules."""

from __future__ import annotations

import pytest
import requests
from portal_support import PASSWORD, activation_link, address, signup_values, visitor
from sqlalchemy import select

from sandbox import clock, db, security
from sandbox.accounts import errors
from sandbox.accounts.activation import issue_activation_link, request_new_activation_link
from sandbox.accounts.login import authenticate, set_account_state
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.accounts.second_factor import start_second_factor, verify_second_factor
from sandbox.config import load_settings
from sandbox.models import User


def _active_account(base_url, mailpit):
    portal = visitor(base_url)
    values = signup_values()
    assert portal.signup(values).status_code == 303
    link = activation_link(mailpit, values["login_email"])
    assert portal.activate(link, PASSWORD).status_code == 303
    return portal, values["login_email"]


def test_five_wrong_passwords_lock_the_account_for_an_hour(base_url, mailpit, chorus):
    portal, login = _active_account(base_url, mailpit)
    for attempt in range(1, 5):
        wrong = portal.login(login, f"Mauvais-{attempt}-mot!")
        assert wrong.status_code == 401
        assert "incorrect" in wrong.text
        assert "Après 5 erreurs consécutives" in wrong.text
    locked = portal.login(login, "Mauvais-5-mot!")
    assert locked.status_code == 423 and "bloqué" in locked.text
    # Even the right password is refused while locked.
    still = portal.login(login, PASSWORD)
    assert still.status_code == 423 and "bloqué" in still.text
    chorus.set_clock(59 * 60)
    assert portal.login(login, PASSWORD).status_code == 423
    chorus.set_clock(61 * 60)
    assert portal.login(login, PASSWORD).status_code == 303
    assert login in portal.get("/mon-compte").text


def test_a_good_password_resets_the_failure_count(base_url, mailpit):
    portal, login = _active_account(base_url, mailpit)
    for _ in range(4):
        assert portal.login(login, "Pas-le-bon-1!").status_code == 401
    assert portal.login(login, PASSWORD).status_code == 303
    for _ in range(4):
        assert portal.login(login, "Pas-le-bon-1!").status_code == 401
    assert portal.login(login, PASSWORD).status_code == 303


def test_unactivated_unknown_and_technical_accounts_are_refused(base_url, mailpit, db_session):
    portal = visitor(base_url)
    values = signup_values()
    assert portal.signup(values).status_code == 303
    pending = portal.login(values["login_email"], PASSWORD)
    assert pending.status_code == 401 and "pas encore activé" in pending.text
    assert "/activation/nouveau-lien" in pending.text
    unknown = portal.login(address(), PASSWORD)
    assert unknown.status_code == 401 and "incorrect" in unknown.text
    tech_login = f"TECH_1_{values['identifiant']}@cpro.fr".lower()
    with db.transaction() as s:
        s.add(User(login=tech_login, prenom="", nom="", email_contact=tech_login,
                   password_hash=security.hash_password(PASSWORD, security.SEED_HASH_METHOD),
                   statut="ACTIF", is_technical=True, failed_logins=0,
                   created_at=clock.utcnow_naive()))
    tech = portal.login(tech_login, PASSWORD)
    assert tech.status_code == 401 and "compte technique" in tech.text


def test_next_parameter_only_goes_to_local_paths(base_url, mailpit):
    portal, login = _active_account(base_url, mailpit)
    away = portal.submit("/connexion?next=//evil.example/x", {"login": login, "password": PASSWORD},
                         action_contains="/connexion")
    assert away.headers["Location"] == "/mon-compte"
    page = portal.get("/gestionnaire/demandes", allow_redirects=False)
    assert page.status_code == 200


def test_set_account_state_and_second_factor_service(base_url, mailpit, db_session):
    settings = load_settings({"public_base_url": base_url,
                              "password_hash_method": security.SEED_HASH_METHOD}, environ={})
    portal, login = _active_account(base_url, mailpit)
    with db.new_session() as s:
        user = s.scalar(select(User).where(User.login == login))
        set_account_state(s, settings, user, "locked")
        with pytest.raises(errors.AccountLockedError):
            authenticate(s, settings, login, PASSWORD)
        set_account_state(s, settings, user.id, "active")
        assert authenticate(s, settings, login, PASSWORD).id == user.id
        start_second_factor(s, settings, user)
    code = mailpit.wait_for_message(recipient=login, subject="code de connexion").codes()[0]
    with db.new_session() as s:
        with pytest.raises(errors.InvalidCodeError):
            verify_second_factor(s, settings, user.id, "000000" if code != "000000"
                                 else "111111")
        assert verify_second_factor(s, settings, user.id, code).id == user.id
        with pytest.raises(errors.InvalidCodeError):  # single use
            verify_second_factor(s, settings, user.id, code)
        set_account_state(s, settings, user, "pending")
        with pytest.raises(errors.AccountNotActivatedError):
            authenticate(s, settings, login, PASSWORD)
        link = issue_activation_link(s, settings, user, lifetime=600)
        assert link.startswith(base_url + "/activation/")
    mail = mailpit.wait_for_messages(2, recipient=login, subject="Activation")[-1]
    assert "10 minutes" in mail.text


def test_services_refuse_unstorable_input_without_failing(base_url, mailpit, db_session):
    """Lone surrogates (JSON can carry them) and ids beyond 64 bits are refused cleanly."""
    settings = load_settings({"public_base_url": base_url}, environ={})
    portal, login = _active_account(base_url, mailpit)
    with db.new_session() as s:
        with pytest.raises(errors.RattachementNotFoundError):
            decide_rattachement(s, settings, 2**70, "VALIDEE")
        with pytest.raises(errors.ValidationErrors):
            decide_rattachement(s, settings, 1, "REFUSEE", commentaire="a\ud8fdb")
        with pytest.raises(errors.InvalidCredentialsError):
            authenticate(s, settings, "x\udc43@example.com", PASSWORD)
        with pytest.raises(errors.InvalidCredentialsError):
            authenticate(s, settings, login, "Pass\ud8fd-1!")
        assert request_new_activation_link(s, settings, "\udc43") is False
    assert portal.login(login, PASSWORD).status_code == 303
    # Beyond 64 bits the URL names no row: the router answers the French 404 page.
    huge = portal.post(f"/gestionnaire/demandes/{2**70}/valider", {})
    assert huge.status_code == 404 and "Page introuvable" in huge.text


def test_unknown_login_and_wrong_password_say_the_same_thing(base_url, mailpit):
    import re

    portal, login = _active_account(base_url, mailpit)

    def words(answer):  # noqa: ANN001, ANN202
        return re.search(r'class="notice notice-error"[^>]*>([^<]*)<', answer.text).group(1)

    wrong = portal.login(login, "Pas-le-bon-1!")
    unknown = portal.login(address(), "Pas-le-bon-1!")
    assert wrong.status_code == unknown.status_code == 401
    assert words(wrong) == words(unknown)
    assert "incorrect" in words(wrong)


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(chorus):
    """#14.8: logging out ends the session server-side, for every copy of the cookie."""
    account = chorus.signup()
    visitor = chorus.portal()
    assert visitor.login(account.login, account.password).status_code == 303
    saved = requests.Session()
    saved.cookies.update(visitor.http.cookies)
    before = saved.get(visitor.url("/mon-compte"), allow_redirects=False, timeout=30)
    assert before.status_code == 200
    assert visitor.logout().status_code == 303
    again = saved.get(visitor.url("/mon-compte"), allow_redirects=False, timeout=30)
    assert again.status_code in (302, 303) and "/connexion" in again.headers["Location"]
    # A new login opens a new session; the old cookie stays dead.
    assert visitor.login(account.login, account.password).status_code == 303
    assert visitor.get("/mon-compte").status_code == 200
    dead = saved.get(visitor.url("/mon-compte"), allow_redirects=False, timeout=30)
    assert dead.status_code in (302, 303)
