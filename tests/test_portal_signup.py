"""Portal, "Créer un compte": the whole HTTP path, every field's bad input, captcha."""

from __future__ import annotations

import threading

import pytest
import requests
from portal_support import (
    PASSWORD,
    activation_link,
    address,
    field_error,
    field_value,
    new_siret,
    signup_values,
    visitor,
)
from sqlalchemy import func, select
from stack_support import IN_PROCESS

from sandbox.models import Rattachement, Structure, User
from sandbox.testing.portal import find_form


def _users(s, login: str) -> int:
    s.rollback()  # a fresh snapshot: see what the server committed since
    return s.scalar(select(func.count()).select_from(User).where(User.login == login.lower()))


def test_new_user_signs_up_activates_logs_in_and_sees_mon_compte(base_url, mailpit, db_session):
    portal = visitor(base_url)
    values = signup_values(raison_sociale='Atelier <b>"Lefèvre"</b> & fils')
    login = values["login_email"]

    answer = portal.signup(values)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/creer-un-compte/confirmation")
    confirmation = portal.get("/creer-un-compte/confirmation")
    assert "lien d'activation" in confirmation.text
    assert login in confirmation.text
    # What the user typed is escaped on output.
    assert "Atelier &lt;b&gt;&#34;Lefèvre&#34;&lt;/b&gt; &amp; fils" in confirmation.text
    assert "<b>" not in confirmation.text.split("<main", 1)[1]

    summary = mailpit.wait_for_message(recipient=login, subject="Création de votre compte")
    assert "gestionnaire principal de cette nouvelle structure" in summary.text
    assert values["identifiant"] in summary.text
    link = activation_link(mailpit, login)
    assert link.startswith(base_url + "/activation/")

    structure = db_session.scalar(
        select(Structure).where(Structure.identifiant == values["identifiant"])
    )
    assert structure.type_structure == "PRIVEE" and structure.code_postal == "69003"
    user = db_session.scalar(select(User).where(User.login == login))
    assert user.statut == "EN_ATTENTE_ACTIVATION" and user.password_hash is None
    assert user.email_contact == login  # pre-filled with the login address

    # GET never activates (mail scanners pre-fetch links).
    page = portal.get(link)
    assert page.status_code == 200 and "Choisissez votre mot de passe" in page.text
    assert "au moins 12 caractères" in page.text
    db_session.expire_all()
    assert db_session.get(User, user.id).statut == "EN_ATTENTE_ACTIVATION"

    done = portal.activate(link, PASSWORD)
    assert done.status_code == 303 and "/connexion" in done.headers["Location"]
    assert portal.login(login, PASSWORD).status_code == 303
    account = portal.get("/mon-compte")
    assert account.status_code == 200
    assert login in account.text
    assert "Gestionnaire principal" in account.text and "Validée" in account.text
    assert "Atelier &lt;b&gt;&#34;Lefèvre&#34;&lt;/b&gt; &amp; fils" in account.text
    # The gestionnaire reaches the structure's technical account and the other areas.
    assert f"/gestionnaire/structures/{structure.id}/compte-technique" in account.text
    assert 'href="/raccordements"' in account.text
    assert 'href="/qualification/jeu-de-donnees"' in account.text

    portal.logout()
    gone = portal.get("/mon-compte", allow_redirects=False)
    assert gone.status_code == 302 and "/connexion" in gone.headers["Location"]


BAD_INPUT = [
    ("login_email", "", "obligatoire"),
    ("login_email", "pas-une-adresse", "mal formée"),
    ("login_email", "a@b", "mal formée"),
    ("login_email", "x" * 250 + "@example.com", "mal formée"),
    ("prenom", "", "obligatoire"),
    ("prenom", "Zoé42", "lettres"),
    ("prenom", "Z" * 51, "50 caractères"),
    ("nom", "", "obligatoire"),
    ("nom", "<script>", "lettres"),
    ("telephone", "12ab", "téléphone invalide"),
    ("telephone", "0" * 21, "20 caractères"),
    ("email_contact", "contact@", "mal formée"),
    ("type_identifiant", "", "obligatoire"),
    ("type_identifiant", "SIREN", "inconnu"),
    ("identifiant", "", "obligatoire"),
    ("identifiant", "1234567890123", "14 chiffres"),
    ("identifiant", "12345678901234", "clé de contrôle"),
    ("type_structure", "PUBLIQUE", "structure publique"),
    ("type_structure", "MIXTE", "inconnu"),
    ("raison_sociale", "", "obligatoire"),
    ("raison_sociale", "R" * 101, "100 caractères"),
    ("adresse", "", "obligatoire"),
    ("adresse", "A" * 101, "100 caractères"),
    ("complement_adresse_1", "C" * 101, "100 caractères"),
    ("complement_adresse_2", "bad\x07bell", "non autorisés"),
    ("code_postal", "", "obligatoire"),
    ("code_postal", "7500", "5 chiffres"),
    ("code_postal", "75 001", "5 chiffres"),
    ("ville", "", "obligatoire"),
    ("ville", "V" * 51, "50 caractères"),
    ("pays", "XX", "Pays inconnu"),
    ("accepte_conditions", "", "accepter les conditions"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_INPUT,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_INPUT)])
def test_bad_input_is_refused_beside_its_field_keeping_values(
    base_url, db_session, name, value, expected
):
    portal = visitor(base_url)
    values = signup_values(**{name: value})
    answer = portal.signup(values)
    assert answer.status_code == 400
    error = field_error(answer.text, name)
    assert error is not None, f"no error shown beside {name}"
    assert expected in error
    # Only the broken field is reported; the other fields keep what was typed.
    assert field_error(answer.text, "prenom" if name != "prenom" else "nom") is None
    if name != "login_email":
        assert field_value(answer.text, "login_email") == values["login_email"]
    assert field_value(answer.text, "ville") == values["ville"]
    assert "Aucun compte n&#39;a été créé" in answer.text or "Aucun compte n'a été créé" in (
        answer.text
    )
    login = values["login_email"] if name != "login_email" else None
    if login:
        assert _users(db_session, login) == 0
    if name != "identifiant":
        db_session.rollback()
        assert db_session.scalar(
            select(func.count()).select_from(Structure)
            .where(Structure.identifiant == values["identifiant"])
        ) == 0


def test_identifier_formats_per_type_are_checked(base_url, db_session):
    portal = visitor(base_url)
    cases = [
        ("UE_HORS_FRANCE", "DE123", "TVA intracommunautaire invalide"),
        ("UE_HORS_FRANCE", "FR40303265045", "choisissez le type d'identifiant SIRET"),
        ("RIDET", "12.34", "Format attendu"),
        ("TAHITI", "AB1234", "Format attendu"),
        ("HORS_UE", "#?", "Format attendu"),
        ("AUTRE", "é", "Format attendu"),
        ("PARTICULIER", "X", "Format attendu"),
    ]
    for kind, identifiant, expected in cases:
        answer = portal.signup(signup_values(type_identifiant=kind, identifiant=identifiant))
        assert answer.status_code == 400, kind
        assert expected in (field_error(answer.text, "identifiant") or ""), kind


def test_particulier_needs_nom_and_prenom_and_no_raison_sociale(base_url, mailpit, db_session):
    portal = visitor(base_url)
    ident = f"PART-{address()[7:15].upper()}"
    values = signup_values(type_identifiant="PARTICULIER", identifiant=ident, raison_sociale="")
    answer = portal.signup(values)
    assert answer.status_code == 400
    assert "obligatoire" in field_error(answer.text, "structure_nom")
    assert "obligatoire" in field_error(answer.text, "structure_prenom")
    assert field_error(answer.text, "raison_sociale") is None
    values.update(structure_nom="Martin", structure_prenom="Léa")
    assert portal.signup(values).status_code == 303
    db_session.rollback()
    structure = db_session.scalar(select(Structure).where(Structure.identifiant == ident))
    assert structure.designation == "Léa Martin"


def test_other_identifier_types_and_foreign_postcodes_are_accepted(base_url, db_session):
    portal = visitor(base_url)
    suffix = address()[7:13]
    accepted = [
        ("HORS_UE", f"EIN 12-{suffix}", "US", "NY 10001"),
        ("RIDET", f"{int(suffix, 16) % 10_000_000:07d}.001", "NC", "98800"),
    ]
    for kind, identifiant, pays, code_postal in accepted:
        values = signup_values(type_identifiant=kind, identifiant=identifiant, pays=pays,
                               code_postal=code_postal)
        answer = portal.signup(values)
        assert answer.status_code == 303, (kind, answer.text[-3000:])
        db_session.rollback()
        assert db_session.scalar(
            select(Structure.pays).where(Structure.type_identifiant == kind,
                                         Structure.identifiant == identifiant.upper())
        ) == pays


def test_duplicate_login_is_refused_whatever_its_case(base_url, mailpit, db_session):
    login = address()
    assert visitor(base_url).signup(signup_values(login)).status_code == 303
    again = visitor(base_url).signup(signup_values(login.upper()))
    assert again.status_code == 400
    assert "existe déjà" in field_error(again.text, "login_email")
    assert _users(db_session, login) == 1


def test_wrong_captcha_creates_nothing_and_keeps_values(base_url, db_session):
    portal = visitor(base_url)
    values = signup_values(captcha="ZZZZZZ")
    answer = portal.signup(values)
    assert answer.status_code == 400
    assert "ne correspondent pas" in field_error(answer.text, "captcha")
    assert field_value(answer.text, "login_email") == values["login_email"]
    assert field_value(answer.text, "captcha") == ""
    assert _users(db_session, values["login_email"]) == 0


def test_a_captcha_serves_once(base_url, db_session):
    portal = visitor(base_url)
    page = portal.get("/creer-un-compte")
    form = find_form(page.text, "/creer-un-compte")
    captcha_id = form.fields["captcha_id"]
    image = portal.get(f"/captcha/{captcha_id}.png")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    answer = portal.captcha_answer(captcha_id)
    first = dict(form.fields, **signup_values(), captcha=answer)
    second = dict(first, **signup_values(), captcha=answer)
    assert portal.http.post(portal.url("/creer-un-compte"), data=first,
                            allow_redirects=False).status_code == 303
    replay = portal.http.post(portal.url("/creer-un-compte"), data=second, allow_redirects=False)
    assert replay.status_code == 400
    assert field_error(replay.text, "captcha")
    assert _users(db_session, second["login_email"]) == 0
    assert portal.get(f"/captcha/{captcha_id}.png").status_code == 404


def test_la_poste_siret_follows_its_own_rule(base_url, db_session):
    # SIREN 356000000: the sum of the SIRET's digits is a multiple of 5 (no Luhn).
    import random

    while True:
        nic = f"{random.randint(0, 9999):04d}"
        partial = "356000000" + nic
        last = (-sum(map(int, partial))) % 5 + 5 * random.randint(0, 1)
        siret = partial + str(last)
        if not db_session.scalar(select(Structure.id).where(Structure.identifiant == siret)):
            break
    bad = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    refused = visitor(base_url).signup(signup_values(identifiant=bad))
    db_session.rollback()
    if not db_session.scalar(select(Structure.id).where(Structure.identifiant == bad)):
        assert refused.status_code == 400
        assert "clé de contrôle" in field_error(refused.text, "identifiant")
    assert visitor(base_url).signup(signup_values(identifiant=siret)).status_code == 303


def test_existing_structure_siret_is_accepted_whatever_its_key(base_url, mailpit, db_session):
    # A data-set structure: its SIRET fails Luhn, as in the real qualification data sets.
    from sandbox import clock, db

    bad_key = new_siret()
    bad_key = bad_key[:-1] + str((int(bad_key[-1]) + 1) % 10)
    with db.transaction() as s:
        now = clock.utcnow_naive()
        s.add(Structure(type_identifiant="SIRET", identifiant=bad_key, raison_sociale="Valideur",
                        type_structure="PRIVEE", statut="ACTIF", created_at=now, updated_at=now))
    values = signup_values(identifiant=bad_key[:5] + " " + bad_key[5:], raison_sociale="")
    answer = visitor(base_url).signup(values)
    assert answer.status_code == 303
    db_session.rollback()
    user = db_session.scalar(select(User).where(User.login == values["login_email"]))
    rattachement = db_session.scalar(select(Rattachement).where(Rattachement.user_id == user.id))
    assert rattachement.statut == "EN_COURS_DE_VALIDATION"
    assert rattachement.role == "UTILISATEUR"
    # The same key on an unknown SIRET is refused.
    unknown = new_siret()
    unknown = unknown[:-1] + str((int(unknown[-1]) + 1) % 10)
    refused = visitor(base_url).signup(signup_values(identifiant=unknown))
    assert refused.status_code == 400


def test_forms_need_their_csrf_token_and_pages_carry_security_headers(base_url, db_session):
    values = signup_values()
    posted = requests.post(f"{base_url}/creer-un-compte", data=values, timeout=10,
                           allow_redirects=False)
    assert posted.status_code == 400
    assert "n&#39;a pas pu être vérifié" in posted.text or "n'a pas pu être vérifié" in posted.text
    assert _users(db_session, values["login_email"]) == 0
    home = requests.get(f"{base_url}/", timeout=10)
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Frame-Options"] == "DENY"
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"] == "same-origin"
    assert "unsafe-inline" not in home.headers["Content-Security-Policy"]
    # Swagger UI configures itself inline: only its page may run inline script.
    docs = requests.get(f"{base_url}/docs/api/", timeout=10)
    assert docs.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in docs.headers["Content-Security-Policy"]
    for tile in ("Marché", "Commande", "Facturation", "Organisation", "Raccords", "Outils"):
        assert tile in home.text
    assert "QUALIFICATION" in home.text and "Créer un compte" in home.text
    cookie = requests.get(f"{base_url}/creer-un-compte", timeout=10).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_french_error_pages(base_url):
    missing = requests.get(f"{base_url}/pas-de-page-ici", timeout=10)
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    assert missing.headers["Content-Type"].startswith("text/html")
    huge = requests.post(f"{base_url}/connexion", data={"login": "x" * 2_000_000}, timeout=30)
    assert huge.status_code == 413 and "trop volumineux" in huge.text


def test_captcha_mode_off_removes_the_captcha(tmp_path, chorus_sandbox):
    """The load profile's setting: no captcha on the form, signup still validated."""
    from sandbox import create_app, db

    app = create_app({"database_url": f"sqlite:///{tmp_path / 'off.db'}",
                      "captcha_mode": "off", **IN_PROCESS})
    try:
        client = app.test_client()
        page = client.get("/creer-un-compte")
        form = find_form(page.text, "/creer-un-compte")
        assert "captcha_id" not in form.fields and 'id="captcha"' not in page.text
        values = dict(form.fields, **signup_values())
        assert client.post("/creer-un-compte", data=values).status_code == 303
        refused = client.post("/creer-un-compte", data=dict(values, nom=""))
        assert refused.status_code == 400 and field_error(refused.text, "nom")
    finally:
        db.init_engine(chorus_sandbox.database_url)  # this process's engine, back


def test_one_account_per_login_under_concurrent_signups(base_url, db_session):
    login = address("race")
    visitors = [visitor(base_url) for _ in range(4)]
    forms = []
    for portal in visitors:
        page = portal.get("/creer-un-compte")
        form = find_form(page.text, "/creer-un-compte").fields
        form.update(signup_values(login), captcha=portal.captcha_answer(form["captcha_id"]))
        forms.append(form)
    statuses: list[int] = []

    def post(portal, form) -> None:
        answer = portal.http.post(portal.url("/creer-un-compte"), data=form,
                                  allow_redirects=False, timeout=30)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(visitors, forms,
                                                                        strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 400, 400, 400]
    assert _users(db_session, login) == 1
