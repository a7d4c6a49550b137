"""Portal, activation links and rattachements: expired, used, unknown and resent
links; activation refused until the demande is validated; one decision wins."""

from __future__ import annotations

import threading

import requests
from portal_support import (
    PASSWORD,
    activation_link,
    address,
    signup_values,
    visitor,
)
from sqlalchemy import select

from sandbox import db
from sandbox.accounts import errors
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.config import load_settings
from sandbox.models import ActionToken, Rattachement, User


def _user(s, login: str) -> User:
    s.rollback()
    return s.scalar(select(User).where(User.login == login))


def _signed_up(base_url, mailpit, **overrides):
    portal = visitor(base_url)
    values = signup_values(**overrides)
    assert portal.signup(values).status_code == 303
    return portal, values, activation_link(mailpit, values["login_email"])


def test_used_link_has_its_own_page(base_url, mailpit):
    portal, values, link = _signed_up(base_url, mailpit)
    assert portal.activate(link, PASSWORD).status_code == 303
    again = portal.get(link)
    assert again.status_code == 410
    assert "Lien d'activation déjà utilisé" in again.text
    assert "/connexion" in again.text
    replay = portal.post(link[len(base_url):],
                         {"password": PASSWORD, "password_confirm": PASSWORD})
    assert replay.status_code == 410


def test_unknown_link_has_its_own_page_with_a_new_link_form(base_url):
    page = requests.get(f"{base_url}/activation/pas-un-vrai-jeton", timeout=10)
    assert page.status_code == 404
    assert "Lien d'activation inconnu" in page.text
    assert 'action="/activation/nouveau-lien"' in page.text


def test_expired_link_page_sends_a_new_link_that_revokes_the_old(
    base_url, mailpit, chorus
):
    portal, values, old = _signed_up(base_url, mailpit)
    login = values["login_email"]
    chorus.set_clock(25 * 3600)  # past the 24 h lifetime
    expired = portal.get(old)
    assert expired.status_code == 410 and "Lien d'activation expiré" in expired.text
    resent = portal.submit(old[len(base_url):], {}, action_contains="/nouveau-lien")
    assert resent.status_code == 200 and "nouveau lien" in resent.text
    chorus.set_clock(0)
    first, second = mailpit.wait_for_messages(2, recipient=login, subject="Activation")
    new = second.link(contains="/activation/")
    assert new != old and first.link(contains="/activation/") == old
    replaced = portal.get(old)
    assert replaced.status_code == 410 and "Lien d'activation remplacé" in replaced.text
    assert portal.activate(new, PASSWORD).status_code == 303
    assert portal.login(login, PASSWORD).status_code == 303


def test_resend_by_login_revokes_the_old_link(base_url, mailpit, db_session):
    portal, values, old = _signed_up(base_url, mailpit)
    login = values["login_email"]
    answer = portal.submit("/activation/nouveau-lien", {"login": login.upper()})
    assert answer.status_code == 200
    _, second = mailpit.wait_for_messages(2, recipient=login, subject="Activation")
    new = second.link(contains="/activation/")
    # The old link no longer activates anything.
    refused = portal.activate(old, PASSWORD)
    assert refused.status_code == 410 and "remplacé" in refused.text
    assert _user(db_session, login).statut == "EN_ATTENTE_ACTIVATION"
    assert portal.activate(new, PASSWORD).status_code == 303
    # Unknown logins get the same answer and no mail.
    nobody = address("nobody")
    same = portal.submit("/activation/nouveau-lien", {"login": nobody})
    assert same.status_code == 200 and "Si un compte en attente" in same.text
    mailpit.assert_no_message(recipient=nobody, within=1.0)


def test_password_policy_and_confirmation_are_enforced(base_url, mailpit, db_session):
    portal, values, link = _signed_up(base_url, mailpit)
    login = values["login_email"]
    for password, confirm, expected in [
        ("court1!A", None, "au moins 12 caractères"),
        ("tout-en-minuscules-1", None, "une lettre majuscule"),
        ("Sans-Chiffre-Du-Tout", None, "un chiffre"),
        ("SansSpecial12345", None, "caractère spécial"),
        (login.split("@")[0] + "A1!", None, "adresse électronique"),
        (PASSWORD, PASSWORD + "x", "différents"),
    ]:
        answer = portal.activate(link, password, confirm)
        assert answer.status_code == 400, password
        assert expected in answer.text, password
    assert _user(db_session, login).statut == "EN_ATTENTE_ACTIVATION"
    assert portal.activate(link, PASSWORD).status_code == 303


def test_a_link_activates_once_under_concurrency(base_url, mailpit, db_session):
    portal, values, link = _signed_up(base_url, mailpit)
    form = portal.get(link)
    csrf = form.text.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    statuses: list[int] = []

    def post() -> None:
        answer = portal.http.post(
            link, data={"csrf_token": csrf, "password": PASSWORD, "password_confirm": PASSWORD},
            allow_redirects=False, timeout=30,
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 410, 410, 410]
    db_session.rollback()
    user = _user(db_session, values["login_email"])
    used = db_session.scalars(
        select(ActionToken).where(ActionToken.user_id == user.id,
                                  ActionToken.used_at.is_not(None))
    ).all()
    assert len(used) == 1


def _gestionnaire_and_requester(base_url, mailpit):
    """A gestionnaire (activated, logged in) and a second signup on the same SIRET."""
    gp, gp_values, gp_link = _signed_up(base_url, mailpit)
    assert gp.activate(gp_link, PASSWORD).status_code == 303
    assert gp.login(gp_values["login_email"], PASSWORD).status_code == 303
    requester = visitor(base_url)
    values = signup_values(identifiant=gp_values["identifiant"], raison_sociale="")
    assert requester.signup(values).status_code == 303
    confirmation = requester.get("/creer-un-compte/confirmation")
    assert "demande de rattachement" in confirmation.text
    assert "gestionnaire principal en a été informé" in confirmation.text
    notice = mailpit.wait_for_message(recipient=gp_values["login_email"],
                                      subject="demande de rattachement")
    assert values["login_email"] in notice.text
    summary = mailpit.wait_for_message(recipient=values["login_email"], subject="Création")
    assert "en cours de validation" in summary.text
    link = activation_link(mailpit, values["login_email"])
    return gp, gp_values, requester, values, link


def _demande_id(db_session, login: str) -> int:
    user = _user(db_session, login)
    return db_session.scalar(select(Rattachement.id).where(Rattachement.user_id == user.id))


def test_rattachement_validated_then_activation_works(base_url, mailpit, db_session):
    gp, gp_values, requester, values, link = _gestionnaire_and_requester(base_url, mailpit)
    login = values["login_email"]
    blocked = requester.get(link)
    assert blocked.status_code == 403 and "en cours de validation" in blocked.text
    refused = requester.post(link[len(base_url):],
                             {"password": PASSWORD, "password_confirm": PASSWORD})
    assert refused.status_code == 403
    assert _user(db_session, login).statut == "EN_ATTENTE_ACTIVATION"

    page = gp.get("/gestionnaire/demandes")
    assert login in page.text
    demande = _demande_id(db_session, login)
    decided = gp.submit("/gestionnaire/demandes", {"commentaire": "Bienvenue"},
                        action_contains=f"/demandes/{demande}/valider")
    assert decided.status_code == 303
    mail = mailpit.wait_for_message(recipient=login, subject="validée")
    assert "Bienvenue" in mail.text
    assert login not in gp.get("/gestionnaire/demandes").text

    assert requester.activate(link, PASSWORD).status_code == 303
    assert requester.login(login, PASSWORD).status_code == 303
    account = requester.get("/mon-compte").text
    assert "Utilisateur" in account and "Validée" in account


def test_rattachement_refused_blocks_activation_with_the_reason(base_url, mailpit, db_session):
    gp, gp_values, requester, values, link = _gestionnaire_and_requester(base_url, mailpit)
    login = values["login_email"]
    demande = _demande_id(db_session, login)
    reason = "Inconnu <du> service"
    decided = gp.submit("/gestionnaire/demandes", {"commentaire": reason},
                        action_contains=f"/demandes/{demande}/refuser")
    assert decided.status_code == 303
    mail = mailpit.wait_for_message(recipient=login, subject="refusée")
    assert reason in mail.text
    assert "Inconnu &lt;du&gt; service" in mail.html
    page = requester.get(link)
    assert page.status_code == 403 and "refusée" in page.text
    assert "Inconnu &lt;du&gt; service" in page.text
    assert requester.activate(link, PASSWORD).status_code == 403
    assert _user(db_session, login).statut == "EN_ATTENTE_ACTIVATION"
    # A second decision on the same demande changes nothing.
    again = gp.post(f"/gestionnaire/demandes/{demande}/valider", {})
    assert again.status_code == 303
    assert "déjà été traitée" in gp.get("/gestionnaire/demandes").text
    db_session.rollback()
    assert db_session.get(Rattachement, demande).statut == "REFUSEE"


def test_only_the_gestionnaire_principal_decides(base_url, mailpit, db_session):
    gp, gp_values, requester, values, link = _gestionnaire_and_requester(base_url, mailpit)
    demande = _demande_id(db_session, values["login_email"])
    outsider, outsider_values, outsider_link = _signed_up(base_url, mailpit)
    assert outsider.activate(outsider_link, PASSWORD).status_code == 303
    assert outsider.login(outsider_values["login_email"], PASSWORD).status_code == 303
    assert "Aucune demande" in outsider.get("/gestionnaire/demandes").text
    answer = outsider.post(f"/gestionnaire/demandes/{demande}/valider", {})
    assert answer.status_code == 403
    db_session.rollback()
    assert db_session.get(Rattachement, demande).statut == "EN_COURS_DE_VALIDATION"


def test_one_decision_wins_under_concurrency(base_url, mailpit, db_session):
    _, _, _, values, _ = _gestionnaire_and_requester(base_url, mailpit)
    settings = load_settings({"public_base_url": base_url}, environ={})
    with db.new_session() as s:
        demande = _demande_id(s, values["login_email"])
    outcomes: list[str] = []

    def decide(decision: str) -> None:
        with db.new_session() as s:
            try:
                decide_rattachement(s, settings, demande, decision)
                outcomes.append(decision)
            except errors.RattachementAlreadyDecidedError:
                outcomes.append("lost")

    threads = [threading.Thread(target=decide, args=(d,))
               for d in ("VALIDEE", "REFUSEE", "VALIDEE", "REFUSEE")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("lost") == 3
    [winner] = [o for o in outcomes if o != "lost"]
    with db.new_session() as s:
        assert s.get(Rattachement, demande).statut == winner
    subject = "validée" if winner == "VALIDEE" else "refusée"
    mailpit.wait_for_message(recipient=values["login_email"], subject=subject)
    other = "refusée" if winner == "VALIDEE" else "validée"
    mailpit.assert_no_message(recipient=values["login_email"], subject=other, within=1.0)


def test_walkthrough_with_the_default_gestionnaire(base_url, mailpit, chorus_credentials):
    """docs/portal.md's walk-through: a demande on the default structure, validated by
    the seeded gestionnaire."""
    defaults = chorus_credentials
    requester = visitor(base_url)
    values = signup_values(identifiant=defaults["structure"]["identifiant"], raison_sociale="")
    assert requester.signup(values).status_code == 303
    gp = visitor(base_url)
    gp_login = defaults["gestionnaire"]["login"]
    notice = mailpit.wait_for_message(recipient=gp_login, query=values["login_email"])
    assert "demande" in notice.subject
    assert gp.login(gp_login, defaults["gestionnaire"]["password"]).status_code == 303
    page = gp.get("/gestionnaire/demandes").text
    assert values["login_email"] in page
    demande = page.split(f'data-login="{values["login_email"]}"')[0].rsplit('id="demande-', 1)[1]
    demande_id = int(demande.split('"', 1)[0])
    assert gp.post(f"/gestionnaire/demandes/{demande_id}/valider", {}).status_code == 303
    mailpit.wait_for_message(recipient=values["login_email"], subject="validée")
    link = activation_link(mailpit, values["login_email"])
    assert requester.activate(link, PASSWORD).status_code == 303
