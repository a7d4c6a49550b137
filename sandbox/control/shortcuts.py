"""State shortcuts for tests that start in the middle of a flow.

Each calls the account rules (sandbox/accounts/: login, activation, rattachements,
technical), so the business rules and the mails are the portal's own.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify, request
from sqlalchemy import func, select

from sandbox import clock, db
from sandbox.accounts import technical
from sandbox.accounts.activation import issue_activation_link
from sandbox.accounts.errors import AccountError
from sandbox.accounts.login import set_account_state
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.control.views import bp, error
from sandbox.models import Rattachement, User

STATES = ("pending", "active", "locked")


def _user(s, login: str) -> User | None:  # noqa: ANN001
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


def _run(s, action):  # noqa: ANN001, ANN202
    """Run a service call and commit; a business rule's refusal becomes a 409."""
    try:
        result = action()
        s.commit()
    except Exception as problem:
        s.rollback()
        if not isinstance(problem, AccountError | ValueError):
            raise  # a bug, not a business refusal
        return None, error(getattr(problem, "message", str(problem)), 409,
                           kind=type(problem).__name__)
    return result, None


def _on_account(login: str, call):  # noqa: ANN001, ANN202
    """Find the account and run ``call(s, settings, user)`` in a write unit."""
    settings = current_app.config["SANDBOX"]
    s = db.session(write=True)
    user = _user(s, login)
    if user is None:
        return None, None, error(f"no account {login!r}", 404)
    result, refused = _run(s, lambda: call(s, settings, user))
    return user, result, refused


@bp.get("/accounts/<path:login>")
def get_account(login: str):
    """An account's state (pending, active, locked)."""
    user = _user(db.session(), login)
    if user is None:
        return error(f"no account {login!r}", 404)
    return jsonify(account_view(user))


@bp.put("/accounts/<path:login>/state")
def put_account_state(login: str):
    """Put an account in a state: {"state": "pending" | "active" | "locked"}."""
    body = request.get_json(silent=True)
    state = body.get("state") if isinstance(body, dict) else None
    if state not in STATES:
        return error(f"state: one of {', '.join(STATES)}")
    password = body.get("password")
    if password is not None and (state != "active" or not isinstance(password, str)):
        return error("password: a string, only with state 'active'")
    user, _, refused = _on_account(
        login, lambda s, settings, user: set_account_state(
            s, settings, user, state, password=password))
    return refused or jsonify(account_view(user))


MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600  # ten years: dates stay representable


@bp.post("/accounts/<path:login>/activation-link")
def post_activation_link(login: str):
    """Mint an activation link: {"expired": true} or {"lifetimeSeconds": N}."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        return error("expected a JSON object")
    lifetime = None
    if body.get("expired") is True:
        lifetime = timedelta(seconds=-60)
    elif "lifetimeSeconds" in body:
        value = body["lifetimeSeconds"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return error("lifetimeSeconds: expected a number")
        if not abs(value) <= MAX_LIFETIME_SECONDS:  # also refuses NaN and infinities
            return error(f"lifetimeSeconds: a number between -{MAX_LIFETIME_SECONDS} "
                         f"and {MAX_LIFETIME_SECONDS}")
        lifetime = timedelta(seconds=value)
    user, link, refused = _on_account(
        login, lambda s, settings, user: issue_activation_link(
            s, settings, user, lifetime=lifetime))
    if refused:
        return refused
    return jsonify({"login": user.login, "link": link, "expired": lifetime is not None
                    and lifetime.total_seconds() <= 0}), 201


@bp.post("/rattachements/<int:rattachement_id>/decision")
def post_decision(rattachement_id: int):
    """Decide a demande de rattachement: {"decision": "VALIDEE" | "REFUSEE", "commentaire"}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("decision") not in ("VALIDEE", "REFUSEE"):
        return error('decision: "VALIDEE" or "REFUSEE"')
    commentaire = body.get("commentaire")
    if commentaire is not None and not isinstance(commentaire, str):
        return error("commentaire: expected a string")
    settings = current_app.config["SANDBOX"]
    s = db.session(write=True)
    if rattachement_id > 2**63 - 1 or s.get(Rattachement, rattachement_id) is None:
        return error(f"no rattachement {rattachement_id}", 404)
    _, refused = _run(s, lambda: decide_rattachement(
        s, settings, rattachement_id, body["decision"], commentaire))
    if refused:
        return refused
    row = s.get(Rattachement, rattachement_id)
    s.refresh(row)
    return jsonify({"idRattachementStructure": row.id, "statut": row.statut,
                    "commentaire": row.commentaire})


@bp.post("/accounts/<path:login>/technical-account")
def post_technical_account(login: str):
    """The gestionnaire principal creates (or renews) his structure's technical account.

    Body (optional): {"identifiant": "<identifiantStructure>"} when he manages several.
    Answers the technical login and its clear password, as the portal shows them once.
    """
    body = request.get_json(silent=True) or {}
    identifiant = body.get("identifiant") if isinstance(body, dict) else None
    settings = current_app.config["SANDBOX"]
    s = db.session(write=True)
    user = _user(s, login)
    if user is None:
        return error(f"no account {login!r}", 404)
    managed = [r.structure for r in user.rattachements
               if r.role == "GESTIONNAIRE_PRINCIPAL" and r.statut == "VALIDEE"
               and (identifiant is None or r.structure.identifiant == identifiant)]
    if len(managed) != 1:
        return error("the account must be the validated gestionnaire principal of exactly one "
                     "structure (give 'identifiant' to choose)", 409)
    structure = managed[0]
    try:
        if technical.find_technical_account(s, structure.id) is None:
            account, password = technical.create_technical_account(s, settings, structure, user)
        else:
            account, password = technical.reset_technical_password(s, settings, structure, user)
        s.commit()
    except technical.TechnicalAccountRuleError as problem:
        s.rollback()
        return error(str(problem), 409)
    return jsonify({"login": account.login, "password": password,
                    "idStructureCPP": structure.id,
                    "identifiantStructure": structure.identifiant}), 201
