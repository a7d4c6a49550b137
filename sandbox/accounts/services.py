"""The business rules of portal accounts (the contract in docs/architecture.md).

Used by the portal views, the control plane, the seeding and the pytest plugin.
Each public function is one unit of work on the session ``s`` it is given: it
takes the write lock when it writes (``db.begin_write``), commits on success and
rolls back on error, so callers need not commit. Expensive work (password
hashing) is done before the write lock is taken, and every "only once" rule
(single-use links, one decision per demande) is a conditional UPDATE whose row
count says who won.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.accounts import validation
from sandbox.accounts.errors import (
    AccountLockedError,
    AccountNotActivatedError,
    AlreadyActiveError,
    AuthenticationError,
    ExpiredLinkError,
    InvalidCodeError,
    InvalidCredentialsError,
    NotGestionnaireError,
    RattachementAlreadyDecidedError,
    RattachementNotFoundError,
    RattachementPendingError,
    RattachementRefusedError,
    RevokedLinkError,
    TechnicalAccountError,
    UnknownLinkError,
    UsedLinkError,
    ValidationErrors,
    WeakPasswordError,
)
from sandbox.config import Settings
from sandbox.mail import enqueue
from sandbox.models import ActionToken, Rattachement, Structure, User

PARIS = ZoneInfo("Europe/Paris")
SECOND_FACTOR_MINUTES = 10  # lifetime of an e-mailed login code
DECISIONS = ("VALIDEE", "REFUSEE")
ACCOUNT_STATES = ("pending", "active", "locked")
COMMENTAIRE_MAX = 1000

__all__ = [
    "SignupResult",
    "activate",
    "activation_url",
    "authenticate",
    "decide_rattachement",
    "issue_activation_link",
    "password_policy",
    "check_activation_link",
    "check_rattachements",
    "reissue_activation_link",
    "request_new_activation_link",
    "set_account_state",
    "signup",
    "start_second_factor",
    "verify_second_factor",
]


@dataclass
class SignupResult:
    """What a signup created and which mails it sent (kinds, in order)."""

    user: User
    structure: Structure
    rattachement: Rattachement
    created_structure: bool
    mails: list[str] = field(default_factory=list)
    activation_link: str = ""


# Helpers ---------------------------------------------------------------------


def paris_time(moment: datetime) -> str:
    """A stored naive-UTC time as French local text: '26/11/2026 à 15:04'."""
    local = clock.aware(moment).astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %H:%M")


def duration_text(delta: timedelta) -> str:
    """'24 heures', '1 heure', '30 minutes' (mails and pages)."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure{'s' if hours > 1 else ''}"
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _lifetime(settings: Settings, lifetime: timedelta | float | None) -> timedelta:
    if lifetime is None:
        return timedelta(hours=settings.activation_link_hours)
    if isinstance(lifetime, timedelta):
        return lifetime
    return timedelta(seconds=float(lifetime))


def activation_url(settings: Settings, token: str) -> str:
    """The activation link of ``token``."""
    return f"{settings.public_base_url.rstrip('/')}/activation/{token}"


def password_policy(settings: Settings) -> list[str]:
    """The password rules shown on the activation page."""
    return validation.password_rules(settings.password_min_length)


def _user(s: Session, user: User | int) -> User:
    # Always this session's copy: callers may pass a User from another session.
    user_id = user.id if isinstance(user, User) else int(user)
    found = s.get(User, user_id) if validation.valid_id(user_id) else None
    if found is None:
        raise LookupError(f"no user {user}")
    return found


def _gestionnaire_principal(s: Session, structure_id: int) -> User | None:
    return s.scalar(
        select(User)
        .join(Rattachement, Rattachement.user_id == User.id)
        .where(
            Rattachement.structure_id == structure_id,
            Rattachement.role == "GESTIONNAIRE_PRINCIPAL",
        )
    )


def _mail_context(user: User, **extra: Any) -> dict[str, Any]:
    return {"prenom": user.prenom, "nom": user.nom, "login": user.login, **extra}


# Signup ----------------------------------------------------------------------


def signup(s: Session, settings: Settings, data: dict[str, Any]) -> SignupResult:
    """Create a pending account and its structure, or its demande de rattachement.

    Raises ``ValidationErrors`` (a French message per field) and changes nothing
    when the input is not acceptable.
    """
    for attempt in range(2):
        try:
            return _signup_once(s, settings, data)
        except IntegrityError:
            # Lost a race (same login or same new identifier on PostgreSQL):
            # the second attempt sees the winner's rows and answers accordingly.
            s.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _signup_once(s: Session, settings: Settings, data: dict[str, Any]) -> SignupResult:
    cleaned = validation.clean_signup(data)
    v, errors = cleaned.values, dict(cleaned.errors)
    db.begin_write(s)
    try:
        if "login_email" not in errors and s.scalar(
            select(User.id).where(User.login == v["login_email"])
        ):
            errors["login_email"] = (
                "Un compte existe déjà avec cette adresse électronique de connexion."
            )
        structure: Structure | None = None
        identified = "identifiant" not in errors and "type_identifiant" not in errors
        if identified:
            structure = s.scalar(
                select(Structure).where(
                    Structure.type_identifiant == v["type_identifiant"],
                    Structure.identifiant == v["identifiant"],
                )
            )
        if structure is None:
            if identified and v["type_identifiant"] == "SIRET":
                # Existing (data-set) SIRETs pass whatever their key; new ones need it.
                problem = validation.siret_key_error(v["identifiant"])
                if problem:
                    errors["identifiant"] = problem
            for name, message in validation.structure_errors(v).items():
                errors.setdefault(name, message)
        elif structure.statut != "ACTIF":
            errors["identifiant"] = (
                "Cette structure est inactive : aucune demande de rattachement n'est possible."
            )
        if errors:
            raise ValidationErrors(errors)

        now = clock.utcnow_naive()
        user = User(
            login=v["login_email"],
            prenom=v["prenom"],
            nom=v["nom"],
            telephone=v["telephone"] or None,
            email_contact=v["email_contact"],
            statut="EN_ATTENTE_ACTIVATION",
            is_technical=False,
            failed_logins=0,
            created_at=now,
        )
        s.add(user)
        created = structure is None
        gestionnaire: User | None = None
        if created:
            particulier = v["type_identifiant"] == "PARTICULIER"
            structure = Structure(
                type_identifiant=v["type_identifiant"],
                identifiant=v["identifiant"],
                type_structure="PRIVEE",
                statut="ACTIF",
                raison_sociale="" if particulier else v["raison_sociale"],
                libelle=None if particulier else v["raison_sociale"],
                nom=v["structure_nom"] if particulier else None,
                prenom=v["structure_prenom"] if particulier else None,
                email=v["email_contact"],
                adresse=v["adresse"],
                complement_adresse_1=v["complement_adresse_1"] or None,
                complement_adresse_2=v["complement_adresse_2"] or None,
                code_postal=v["code_postal"],
                ville=v["ville"],
                pays=v["pays"],
                created_at=now,
                updated_at=now,
            )
            s.add(structure)
            s.flush()
            rattachement = Rattachement(
                user_id=user.id,
                structure_id=structure.id,
                role="GESTIONNAIRE_PRINCIPAL",
                statut="VALIDEE",
                created_at=now,
                decided_at=now,
            )
        else:
            s.flush()
            gestionnaire = _gestionnaire_principal(s, structure.id)
            rattachement = Rattachement(
                user_id=user.id,
                structure_id=structure.id,
                role="UTILISATEUR",
                statut="EN_COURS_DE_VALIDATION",
                created_at=now,
            )
        s.add(rattachement)
        s.flush()

        lifetime = _lifetime(settings, None)
        mails = ["inscription"]
        enqueue(
            s,
            "inscription",
            user.login,
            _mail_context(
                user,
                email_contact=user.email_contact,
                telephone=user.telephone or "",
                structure=structure.designation,
                type_identifiant=validation.LIBELLES_TYPE_IDENTIFIANT[structure.type_identifiant],
                identifiant=structure.identifiant,
                created_structure=created,
                gestionnaire_informe=gestionnaire is not None,
                validity=duration_text(lifetime),
                portal_url=settings.public_base_url.rstrip("/"),
            ),
        )
        link = _new_activation_link(s, settings, user, lifetime)
        mails.append("activation")
        if gestionnaire is not None:
            enqueue(
                s,
                "rattachement_demande",
                gestionnaire.email_contact or gestionnaire.login,
                _mail_context(
                    gestionnaire,
                    demandeur=f"{user.prenom} {user.nom}",
                    demandeur_login=user.login,
                    structure=structure.designation,
                    identifiant=structure.identifiant,
                    link=f"{settings.public_base_url.rstrip('/')}/gestionnaire/demandes",
                ),
                link=f"{settings.public_base_url.rstrip('/')}/gestionnaire/demandes",
            )
            mails.append("rattachement_demande")
        s.commit()
    except BaseException:
        s.rollback()
        raise
    return SignupResult(
        user=user,
        structure=structure,
        rattachement=rattachement,
        created_structure=created,
        mails=mails,
        activation_link=link,
    )


# Activation links --------------------------------------------------------------


def _revoke_live_tokens(s: Session, user_id: int, purpose: str, now: datetime) -> None:
    s.execute(
        update(ActionToken)
        .where(
            ActionToken.user_id == user_id,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
            ActionToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def _new_activation_link(
    s: Session, settings: Settings, user: User, lifetime: timedelta
) -> str:
    """Revoke the user's live activation links, create one and mail it (no commit)."""
    now = clock.utcnow_naive()
    _revoke_live_tokens(s, user.id, "activation", now)
    token = security.token_urlsafe(32)
    s.add(
        ActionToken(
            token_hash=security.token_hash(token),
            purpose="activation",
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    link = activation_url(settings, token)
    enqueue(
        s,
        "activation",
        user.login,
        _mail_context(user, link=link, validity=duration_text(lifetime)),
        link=link,
    )
    return link


def issue_activation_link(
    s: Session,
    settings: Settings,
    user: User | int,
    lifetime: timedelta | float | None = None,
) -> str:
    """Send a new activation link (URL returned); the previous ones stop working.

    ``lifetime``: a timedelta or seconds (default: ``activation_link_hours``).
    Raises ``AlreadyActiveError`` for an account already activated.
    """
    db.begin_write(s)
    try:
        user = _user(s, user)
        s.refresh(user)
        if user.statut != "EN_ATTENTE_ACTIVATION":
            raise AlreadyActiveError()
        link = _new_activation_link(s, settings, user, _lifetime(settings, lifetime))
        s.commit()
        return link
    except BaseException:
        s.rollback()
        raise


def reissue_activation_link(s: Session, settings: Settings, token: str) -> str:
    """Send a new link to the owner of ``token`` (expired, superseded or live).

    Raises ``UnknownLinkError`` for a token never issued and ``AlreadyActiveError``
    once the account is active.
    """
    user_id = s.scalar(
        select(ActionToken.user_id).where(
            ActionToken.token_hash == security.token_hash(token),
            ActionToken.purpose == "activation",
        )
    )
    s.rollback()
    if user_id is None:
        raise UnknownLinkError()
    return issue_activation_link(s, settings, user_id)


def request_new_activation_link(s: Session, settings: Settings, login: str) -> bool:
    """Send a new link to the pending account ``login``; False if there is none.

    The portal answers the same either way (no account enumeration).
    """
    login = validation.text(login).lower()
    if validation.has_forbidden_characters(login) or len(login) > 254:
        return False
    user = s.scalar(select(User).where(User.login == login, User.is_technical.is_(False)))
    if user is None or user.statut != "EN_ATTENTE_ACTIVATION":
        s.rollback()
        return False
    issue_activation_link(s, settings, user)
    return True


def _check_link(row: ActionToken | None, now: datetime) -> ActionToken:
    if row is None:
        raise UnknownLinkError()
    if row.revoked_at is not None:
        raise RevokedLinkError(row.user_id)
    if row.used_at is not None:
        raise UsedLinkError(row.user_id)
    if row.expires_at <= now:
        raise ExpiredLinkError(row.user_id)
    return row


def check_activation_link(s: Session, token: str) -> User:
    """The user of a usable activation link, or the link's error (read only)."""
    row = s.scalar(
        select(ActionToken).where(
            ActionToken.token_hash == security.token_hash(token),
            ActionToken.purpose == "activation",
        )
    )
    row = _check_link(row, clock.utcnow_naive())
    user = s.get(User, row.user_id)
    if user.statut != "EN_ATTENTE_ACTIVATION":
        raise UsedLinkError(user.id)
    return user


def check_rattachements(s: Session, user: User) -> None:
    """Raise if the user's rattachement is not validated (pending or refused)."""
    statuts = s.execute(
        select(Rattachement.statut, Rattachement.commentaire)
        .where(Rattachement.user_id == user.id)
        .order_by(Rattachement.id)
    ).all()
    if not statuts or any(statut == "VALIDEE" for statut, _ in statuts):
        return
    if any(statut == "EN_COURS_DE_VALIDATION" for statut, _ in statuts):
        raise RattachementPendingError()
    refused = [comment for statut, comment in statuts if statut == "REFUSEE"]
    if refused:
        raise RattachementRefusedError(refused[-1])


def activate(s: Session, settings: Settings, token: str, password: str) -> User:
    """Set the password and activate the account of a valid, unused activation link.

    Raises ``UnknownLinkError``, ``ExpiredLinkError``, ``UsedLinkError`` (its
    subclass ``RevokedLinkError`` for a superseded link), ``RattachementPendingError``
    / ``RattachementRefusedError`` and ``WeakPasswordError``.
    """
    try:
        user = check_activation_link(s, token)
        check_rattachements(s, user)
        problems = validation.password_problems(
            password, user.login, settings.password_min_length
        )
        if problems:
            raise WeakPasswordError(problems)
        s.rollback()  # end the read transaction: hashing takes a while
    except BaseException:
        s.rollback()
        raise
    password_hash = security.hash_password(password, settings.password_hash_method)
    db.begin_write(s)
    try:
        now = clock.utcnow_naive()
        won = s.execute(
            update(ActionToken)
            .where(
                ActionToken.token_hash == security.token_hash(token),
                ActionToken.purpose == "activation",
                ActionToken.used_at.is_(None),
                ActionToken.revoked_at.is_(None),
                ActionToken.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            s.rollback()
            check_activation_link(s, token)  # raises the precise error
            raise UsedLinkError(user.id)
        check_rattachements(s, user)  # a refusal may have raced us
        activated = s.execute(
            update(User)
            .where(User.id == user.id, User.statut == "EN_ATTENTE_ACTIVATION")
            .values(
                password_hash=password_hash,
                statut="ACTIF",
                activated_at=now,
                failed_logins=0,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if activated != 1:
            raise UsedLinkError(user.id)
        s.commit()
    except BaseException:
        s.rollback()
        raise
    s.refresh(user)
    s.commit()
    return user


# Rattachements ---------------------------------------------------------------


def decide_rattachement(
    s: Session,
    settings: Settings,
    rattachement_id: int,
    decision: str,
    commentaire: str | None = None,
    decided_by: User | int | None = None,
) -> Rattachement:
    """Validate or refuse a pending demande de rattachement and mail the requester.

    Only one decision wins (conditional update from ``EN_COURS_DE_VALIDATION``);
    a later one raises ``RattachementAlreadyDecidedError``. When ``decided_by`` is
    given it must be the structure's gestionnaire principal.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    commentaire = validation.text(commentaire) or None
    if commentaire and len(commentaire) > COMMENTAIRE_MAX:
        raise ValidationErrors(
            {"commentaire": f"Le commentaire ne doit pas dépasser {COMMENTAIRE_MAX} caractères."}
        )
    if commentaire and validation.has_forbidden_characters(commentaire.replace("\n", "")
                                                           .replace("\r", "").replace("\t", "")):
        raise ValidationErrors({"commentaire": "Le commentaire contient des caractères non "
                                               "autorisés."})
    if not validation.valid_id(rattachement_id):
        raise RattachementNotFoundError()
    db.begin_write(s)
    try:
        rattachement = s.get(Rattachement, int(rattachement_id))
        if rattachement is None:
            raise RattachementNotFoundError()
        s.refresh(rattachement)
        decider_id = None
        if decided_by is not None:
            decider = _user(s, decided_by)
            decider_id = decider.id
            gp = _gestionnaire_principal(s, rattachement.structure_id)
            if gp is None or gp.id != decider.id:
                raise NotGestionnaireError()
        now = clock.utcnow_naive()
        won = s.execute(
            update(Rattachement)
            .where(
                Rattachement.id == rattachement.id,
                Rattachement.statut == "EN_COURS_DE_VALIDATION",
            )
            .values(
                statut=decision,
                commentaire=commentaire,
                decided_at=now,
                decided_by_id=decider_id,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise RattachementAlreadyDecidedError()
        s.refresh(rattachement)
        requester = s.get(User, rattachement.user_id)
        structure = s.get(Structure, rattachement.structure_id)
        base = settings.public_base_url.rstrip("/")
        kind = "rattachement_validee" if decision == "VALIDEE" else "rattachement_refusee"
        enqueue(
            s,
            kind,
            requester.login,
            _mail_context(
                requester,
                structure=structure.designation,
                identifiant=structure.identifiant,
                commentaire=commentaire or "",
                pending=requester.statut == "EN_ATTENTE_ACTIVATION",
                new_link_url=f"{base}/activation/nouveau-lien",
                login_url=f"{base}/connexion",
            ),
        )
        s.commit()
        return rattachement
    except BaseException:
        s.rollback()
        raise


# Account state and login ------------------------------------------------------


def set_account_state(
    s: Session,
    settings: Settings,
    user: User | int,
    state: str,
    password: str | None = None,
) -> User:
    """Force an account's state: ``pending``, ``active`` or ``locked``.

    ``pending`` forgets the password (a new activation is needed); ``active``
    clears any lock (and sets ``password`` if given); ``locked`` locks the
    account as ``login_max_failures`` wrong passwords would.
    """
    if state not in ACCOUNT_STATES:
        raise ValueError("state must be one of pending, active, locked")
    password_hash = (
        security.hash_password(password, settings.password_hash_method) if password else None
    )
    db.begin_write(s)
    try:
        user = _user(s, user)
        s.refresh(user)
        now = clock.utcnow_naive()
        if state == "pending":
            user.statut = "EN_ATTENTE_ACTIVATION"
            user.password_hash = None
            user.activated_at = None
            user.failed_logins = 0
            user.locked_until = None
        elif state == "active":
            user.statut = "ACTIF"
            user.activated_at = user.activated_at or now
            user.failed_logins = 0
            user.locked_until = None
            if password_hash:
                user.password_hash = password_hash
        else:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
        s.commit()
        return user
    except BaseException:
        s.rollback()
        raise


def authenticate(s: Session, settings: Settings, login: str, password: str) -> User:
    """Check a login and password; count failures and lock the account at the limit.

    Raises ``InvalidCredentialsError``, ``AccountLockedError``,
    ``AccountNotActivatedError``, ``TechnicalAccountError``. A failed attempt is
    committed before the error is raised.
    """
    login = validation.text(login).lower()
    if validation.has_forbidden_characters(login) or len(login) > 254:
        login = ""  # no account has such a login
    try:
        user = s.scalar(select(User).where(User.login == login)) if login else None
        if user is None:
            raise InvalidCredentialsError()
        s.refresh(user)
        if user.is_technical:
            raise TechnicalAccountError()
        now = clock.utcnow_naive()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLockedError(paris_time(user.locked_until))
        if user.statut == "EN_ATTENTE_ACTIVATION" or not user.password_hash:
            raise AccountNotActivatedError()
        if user.statut != "ACTIF":
            raise AuthenticationError("Ce compte est désactivé.")
        s.rollback()
    except BaseException:
        s.rollback()
        raise
    password = password or ""
    ok = not validation.has_forbidden_characters(password) and security.verify_password(
        user.password_hash, password
    )
    db.begin_write(s)
    try:
        now = clock.utcnow_naive()
        if ok:
            s.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=0, locked_until=None)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            s.refresh(user)
            s.commit()
            return user
        failures = s.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        if failures >= settings.login_max_failures:
            until = now + timedelta(minutes=settings.login_lock_minutes)
            s.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=0, locked_until=until)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            raise AccountLockedError(paris_time(until))
        s.commit()
        left = settings.login_max_failures - failures
        raise InvalidCredentialsError(
            InvalidCredentialsError.message
            + f" Après {left} nouvelle{'s' if left > 1 else ''} erreur{'s' if left > 1 else ''},"
            " votre compte sera bloqué."
        )
    except AuthenticationError:
        raise
    except BaseException:
        s.rollback()
        raise


def _code_hash(user_id: int, created_at: datetime, code: str) -> str:
    return security.token_hash(f"second-factor:{user_id}:{created_at.isoformat()}:{code}")


def start_second_factor(s: Session, settings: Settings, user: User | int) -> None:
    """E-mail a 6-digit login code to the user (previous codes stop working)."""
    import secrets

    db.begin_write(s)
    try:
        user = _user(s, user)
        now = clock.utcnow_naive()
        _revoke_live_tokens(s, user.id, "second_factor", now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        s.add(
            ActionToken(
                token_hash=_code_hash(user.id, now, code),
                purpose="second_factor",
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(minutes=SECOND_FACTOR_MINUTES),
            )
        )
        enqueue(
            s,
            "code_connexion",
            user.login,
            _mail_context(user, code=code, validity=f"{SECOND_FACTOR_MINUTES} minutes"),
        )
        s.commit()
    except BaseException:
        s.rollback()
        raise


def verify_second_factor(s: Session, settings: Settings, user: User | int, code: str) -> User:
    """Check an e-mailed login code (single use); a wrong one counts as a failed login."""
    code = validation.text(code).replace(" ", "")
    if validation.has_forbidden_characters(code):
        code = ""  # never a valid code (and not encodable)
    db.begin_write(s)
    try:
        user = _user(s, user)
        s.refresh(user)
        now = clock.utcnow_naive()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLockedError(paris_time(user.locked_until))
        row = s.scalar(
            select(ActionToken)
            .where(
                ActionToken.user_id == user.id,
                ActionToken.purpose == "second_factor",
                ActionToken.used_at.is_(None),
                ActionToken.revoked_at.is_(None),
            )
            .order_by(ActionToken.id.desc())
        )
        good = (
            row is not None
            and row.expires_at > now
            and security.constant_time_equals(
                row.token_hash, _code_hash(user.id, row.created_at, code)
            )
        )
        if good:
            won = s.execute(
                update(ActionToken)
                .where(ActionToken.id == row.id, ActionToken.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            good = won == 1
        if good:
            user.failed_logins = 0
            s.commit()
            return user
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= settings.login_max_failures:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
            until = user.locked_until
            s.commit()
            raise AccountLockedError(paris_time(until))
        s.commit()
        raise InvalidCodeError()
    except AuthenticationError:
        raise
    except BaseException:
        s.rollback()
        raise
