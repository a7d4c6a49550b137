"""State shortcuts for tests that start in the middle of a flow.

Each calls the account rules (sandbox/accounts/: login, activation, rattachements,
technical), so the business rules and the mails are the portal's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts import rights, technical
from sandbox.accounts.activation import issue_activation_link
from sandbox.accounts.errors import AccountError
from sandbox.accounts.login import set_account_state
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.control import schemas as sc
from sandbox.control.api import ControlError, operation
from sandbox.models import Rattachement, User

T = TypeVar("T")


def _user(s: Session, login: str) -> User | None:
    return s.scalars(select(User).where(func.lower(User.login) == login.strip().lower())).first()


def account_view(user: User) -> dict:
    """An account as the control plane shows it."""
    locked = user.locked_until is not None and user.locked_until > clock.utcnow_naive()
    return {
        "idUtilisateur": user.id,
        "login": user.login,
        "statut": user.statut,
        "locked": locked,
        "lockedUntil": clock.aware(user.locked_until).isoformat() if user.locked_until else None,
        "failedLogins": user.failed_logins,
        "technical": user.is_technical,
        "rattachements": [
            {"idRattachementStructure": r.id, "idStructureCPP": r.structure_id,
             "role": r.role, "statut": r.statut}
            for r in sorted(user.rattachements, key=lambda r: r.id)
        ],
    }


def _run(s: Session, action: Callable[[], T]) -> T:
    """Run a service call and commit; a business rule's refusal becomes a 409."""
    try:
        result = action()
        s.commit()
    except (AccountError, ValueError) as problem:
        s.rollback()
        raise ControlError(getattr(problem, "message", str(problem)), 409,
                           kind=type(problem).__name__) from None
    except Exception:
        s.rollback()
        raise  # a bug, not a business refusal
    return result


def _account(s: Session, login: str) -> User:
    user = _user(s, login)
    if user is None:
        raise ControlError(f"no account {login!r}", 404)
    return user


@operation("GET", "/accounts/<path:login>", summary="An account's state", tag="Shortcuts",
           answer=sc.AccountView, errors=(404,))
def get_account(login: str) -> dict:
    """An account's state (pending, active, locked)."""
    return account_view(_account(db.session(), login))


@operation("PUT", "/accounts/<path:login>/state", summary="Put an account in a state",
           tag="Shortcuts", body=sc.AccountStateChange, answer=sc.AccountView,
           errors=(400, 404, 409))
def put_account_state(login: str, body: sc.AccountStateChange) -> dict:
    """Put an account in a state: {"state": "pending" | "active" | "locked"}
    (with "active", optionally its new password)."""
    s = db.session(write=True)
    user = _account(s, login)
    _run(s, lambda: set_account_state(
        s, current_app.config["SANDBOX"], user, body.state.value, password=body.password))
    return account_view(user)


@operation("POST", "/accounts/<path:login>/activation-link", tag="Shortcuts",
           summary="Mint an activation link (optionally already expired)",
           body=sc.ActivationLinkRequest, answer=sc.ActivationLinkView, status=201,
           errors=(400, 404, 409))
def post_activation_link(login: str, body: sc.ActivationLinkRequest) -> dict:
    """Mint an activation link: {"expired": true} or {"lifetimeSeconds": N}."""
    lifetime = None
    if body.expired:
        lifetime = timedelta(seconds=-60)
    elif body.lifetimeSeconds is not None:
        lifetime = timedelta(seconds=body.lifetimeSeconds)
    s = db.session(write=True)
    user = _account(s, login)
    link = _run(s, lambda: issue_activation_link(
        s, current_app.config["SANDBOX"], user, lifetime=lifetime))
    return {"login": user.login, "link": link,
            "expired": lifetime is not None and lifetime.total_seconds() <= 0}


@operation("POST", "/rattachements/<int:rattachementId>/decision", tag="Shortcuts",
           summary="Decide a demande de rattachement", body=sc.DecisionRequest,
           answer=sc.DecisionView, errors=(400, 404, 409))
def post_decision(rattachementId: int, body: sc.DecisionRequest) -> dict:
    """Decide a demande de rattachement: {"decision": "VALIDEE" | "REFUSEE", "commentaire"}."""
    s = db.session(write=True)
    if s.get(Rattachement, rattachementId) is None:  # ids beyond BIGINT: 404 by the route
        raise ControlError(f"no rattachement {rattachementId}", 404)
    row = _run(s, lambda: decide_rattachement(
        s, current_app.config["SANDBOX"], rattachementId, body.decision.value,
        body.commentaire))
    s.refresh(row)
    return {"idRattachementStructure": row.id, "statut": row.statut,
            "commentaire": row.commentaire}


@operation("POST", "/accounts/<path:login>/technical-account", tag="Shortcuts",
           summary="The gestionnaire principal creates (or renews) his structure's technical "
           "account; answers its login and clear password", body=sc.TechnicalAccountRequest,
           answer=sc.TechnicalAccountView, status=201, errors=(400, 404, 409))
def post_technical_account(login: str, body: sc.TechnicalAccountRequest) -> dict:
    """The gestionnaire principal creates (or renews) his structure's technical account.

    Body (optional): {"identifiant": "<identifiantStructure>"} when he manages several.
    Answers the technical login and its clear password, as the portal shows them once.
    """
    settings = current_app.config["SANDBOX"]
    # Not write=True: the operations hash the password before taking the write lock, and
    # a reset reads the password in place at the request's arrival (issue #23 §6).
    s = db.session()
    user = _account(s, login)
    managed = [structure for structure in rights.managed_structures(s, user.id)
               if body.identifiant is None or structure.identifiant == body.identifiant]
    if len(managed) != 1:
        raise ControlError("the account must be the validated gestionnaire principal of exactly "
                           "one structure (give 'identifiant' to choose)", 409)
    structure = managed[0]
    try:
        if technical.find_technical_account(s, structure.id) is None:
            account, password = technical.create_technical_account(s, settings, structure, user)
        else:
            account, password = technical.reset_technical_password(s, settings, structure, user)
        s.commit()
    except technical.TechnicalAccountRuleError as problem:
        s.rollback()
        raise ControlError(str(problem), 409) from None
    return {"login": account.login, "password": password, "idStructureCPP": structure.id,
            "identifiantStructure": structure.identifiant}
