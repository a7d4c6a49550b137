"""The account rules called in-process: signup, activation links, rattachement
decisions, login lock-out (fresh SQLite per test, see conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from unit_support import token_of

from sandbox import clock
from sandbox.accounts import activation, errors, login, rattachements
from sandbox.models import OutboxMail, Rattachement, Structure, User
from sandbox.vocabulary import Role, StatutRattachement, StatutUtilisateur

PASSWORD = "R5sVGpM8D0volkY@"


def test_signup_with_a_new_siret_creates_the_structure_and_its_gestionnaire(session, sign_up):
    result = sign_up()
    assert result.created_structure
    assert session.query(Structure).count() == 1
    assert result.rattachement.role == Role.GESTIONNAIRE_PRINCIPAL
    assert result.rattachement.statut == StatutRattachement.VALIDEE
    assert result.user.statut == StatutUtilisateur.EN_ATTENTE_ACTIVATION


def test_signup_rows_are_the_sessions_objects_with_their_defaults(session, sign_up):
    # The signup INSERTs its rows by Core statements (db.insert_row), not by a flush: each
    # object is still the session's own, and holds what its row holds (defaults included).
    result = sign_up()
    for obj in (result.user, result.structure, result.rattachement):
        assert sa_inspect(obj).persistent
        # no column left to reload
        assert not sa_inspect(obj).unloaded & set(type(obj).__table__.c.keys())
        assert session.get(type(obj), obj.id) is obj
        row = session.execute(select(type(obj).__table__).where(
            type(obj).__table__.c.id == obj.id)).mappings().one()
        assert {key: getattr(obj, key) for key in row.keys()} == dict(row)
    assert result.user.failed_logins == 0 and result.user.password_hash is None
    assert result.structure.est_moa is False and result.structure.type_structure == "PRIVEE"
    mails = session.scalars(select(OutboxMail).where(OutboxMail.to_addr == result.user.login)
                            .order_by(OutboxMail.id)).all()
    assert [(m.kind, m.state, m.attempts) for m in mails] == [
        ("inscription", "queued", 0), ("activation", "queued", 0)]


def test_signup_with_a_known_siret_asks_a_rattachement(session, sign_up):
    first = sign_up()
    second = sign_up(identifiant=first.structure.identifiant)
    assert not second.created_structure
    assert second.structure.id == first.structure.id
    assert second.rattachement.statut == StatutRattachement.EN_COURS_DE_VALIDATION
    assert session.query(Structure).count() == 1


def test_a_refused_signup_changes_nothing(session, sign_up):
    with pytest.raises(errors.ValidationErrors) as caught:
        sign_up(identifiant="12345678901234")  # bad Luhn key
    assert "identifiant" in caught.value.errors
    assert session.query(User).count() == 0 and session.query(Structure).count() == 0


def test_activation_link_activates_once(session, settings, sign_up):
    token = token_of(sign_up())
    user = activation.activate(session, settings, token, PASSWORD)
    assert user.statut == StatutUtilisateur.ACTIF
    with pytest.raises(errors.UsedLinkError):
        activation.activate(session, settings, token, PASSWORD)


def test_an_expired_link_is_refused(session, settings, sign_up):
    token = token_of(sign_up())
    clock.set_offset((timedelta(hours=settings.activation_link_hours) + timedelta(minutes=1))
                     .total_seconds())
    with pytest.raises(errors.ExpiredLinkError):
        activation.activate(session, settings, token, PASSWORD)


def test_a_replaced_link_is_revoked_and_the_new_one_works(session, settings, sign_up):
    old = token_of(sign_up())
    new = token_of(activation.reissue_activation_link(session, settings, old))
    with pytest.raises(errors.RevokedLinkError):
        activation.activate(session, settings, old, PASSWORD)
    assert activation.activate(session, settings, new, PASSWORD).statut == StatutUtilisateur.ACTIF


def test_one_rattachement_decision_wins(session, settings, sign_up):
    first = sign_up()
    demande = sign_up(identifiant=first.structure.identifiant).rattachement
    with pytest.raises(errors.RattachementPendingError):
        activation.check_rattachements(session, demande.user)
    rattachements.decide_rattachement(session, settings, demande.id,
                                      StatutRattachement.REFUSEE, "Inconnu", first.user)
    with pytest.raises(errors.RattachementAlreadyDecidedError):
        rattachements.decide_rattachement(session, settings, demande.id,
                                          StatutRattachement.VALIDEE, None, first.user)
    assert session.get(Rattachement, demande.id).statut == StatutRattachement.REFUSEE


def test_only_the_gestionnaire_principal_decides(session, settings, sign_up):
    first = sign_up()
    demande = sign_up(identifiant=first.structure.identifiant).rattachement
    other = sign_up()
    with pytest.raises(errors.NotGestionnaireError):
        rattachements.decide_rattachement(session, settings, demande.id,
                                          StatutRattachement.VALIDEE, None, other.user)
    session.refresh(demande)
    assert demande.statut == StatutRattachement.EN_COURS_DE_VALIDATION


def test_wrong_passwords_lock_the_account(session, settings, sign_up):
    result = sign_up()
    activation.activate(session, settings, token_of(result), PASSWORD)
    for _ in range(settings.login_max_failures - 1):
        with pytest.raises(errors.InvalidCredentialsError):
            login.authenticate(session, settings, result.user.login, "wrong")
    with pytest.raises(errors.AccountLockedError):
        login.authenticate(session, settings, result.user.login, "wrong")
    with pytest.raises(errors.AccountLockedError):  # even the right password
        login.authenticate(session, settings, result.user.login, PASSWORD)
    clock.set_offset(timedelta(minutes=settings.login_lock_minutes + 1).total_seconds())
    assert login.authenticate(session, settings, result.user.login, PASSWORD).id == result.user.id


def _last_code(session, login: str) -> str:
    import re

    from sandbox.models import OutboxMail

    mail = (session.query(OutboxMail)
            .filter(OutboxMail.to_addr == login, OutboxMail.kind == "code_connexion")
            .order_by(OutboxMail.id.desc()).first())
    assert mail is not None, "no login code was mailed"
    return re.search(r"\b(\d{6})\b", mail.body_text).group(1)


def test_second_factor_code_works_once_and_a_new_one_replaces_it(session, settings, sign_up):
    from sandbox.accounts import second_factor

    result = sign_up()
    user = activation.activate(session, settings, token_of(result), PASSWORD)
    second_factor.start_second_factor(session, settings, user.id)
    first = _last_code(session, user.login)
    second_factor.start_second_factor(session, settings, user.id)
    latest = _last_code(session, user.login)
    if latest != first:  # the earlier code was revoked by the new one
        with pytest.raises(errors.InvalidCodeError):
            second_factor.verify_second_factor(session, settings, user.id, first)
    assert second_factor.verify_second_factor(session, settings, user.id, latest).id == user.id
    with pytest.raises(errors.InvalidCodeError):  # single use
        second_factor.verify_second_factor(session, settings, user.id, latest)


def test_wrong_second_factor_codes_lock_the_account(session, settings, sign_up):
    from sandbox.accounts import second_factor

    result = sign_up()
    user = activation.activate(session, settings, token_of(result), PASSWORD)
    second_factor.start_second_factor(session, settings, user.id)
    good = _last_code(session, user.login)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(settings.login_max_failures - 1):
        with pytest.raises(errors.InvalidCodeError):
            second_factor.verify_second_factor(session, settings, user.id, wrong)
    with pytest.raises(errors.AccountLockedError):
        second_factor.verify_second_factor(session, settings, user.id, wrong)
    with pytest.raises(errors.AccountLockedError):  # even the right code, while locked
        second_factor.verify_second_factor(session, settings, user.id, good)
