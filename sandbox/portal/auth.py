"""Who is logged in to the portal: ``current_user()``, ``@login_required``.

The session cookie (signed, HttpOnly, SameSite=Lax) holds the user's id and a random
session id whose hash is a ``portal_sessions`` row: logging out ends that row, so a copy
of the cookie saved before logout opens nothing afterwards (#14.8). The user is read once
per request. Other areas' portal pages use these two names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.models import PortalSession, User
from sandbox.vocabulary import StatutUtilisateur

F = TypeVar("F", bound=Callable[..., Any])
_SESSION_KEY = "uid"
_SID_KEY = "sid"


# Built once (values bound at each request): building it cost about as much as running it.
_LIVE_USER = (
    select(User)
    .join(PortalSession, PortalSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        PortalSession.id == bindparam("sid_hash"),
        PortalSession.ended_at.is_(None),
    )
)


def _live_user(user_id: int, sid: str | None) -> User | None:
    """The user of a portal session that was not ended (one query), or None."""
    if not sid:
        return None
    return db.session().scalar(_LIVE_USER, {"user_id": user_id,
                                            "sid_hash": security.token_hash(sid)})


def current_user() -> User | None:
    """The logged-in, active portal user of this request, or None."""
    if "portal_user" in g:
        return g.portal_user
    user = None
    user_id = session.get(_SESSION_KEY)
    if user_id is not None:
        candidate = _live_user(user_id, session.get(_SID_KEY))
        if (
            candidate is not None
            and candidate.statut == StatutUtilisateur.ACTIF
            and not candidate.is_technical
        ):
            user = candidate
        else:
            session.pop(_SESSION_KEY, None)
            session.pop(_SID_KEY, None)
    g.portal_user = user
    return user


def logged_in_user() -> User:
    """The user of a ``@login_required`` page: ``current_user()``, which the decorator
    checked is not None (a page without the decorator is a bug: it raises)."""
    user = current_user()
    if user is None:
        raise RuntimeError("logged_in_user() on a page that is not @login_required")
    return user


def add_session_row(s: Session, user: User) -> str:
    """Add the ``portal_sessions`` row of a new login in ``s``'s transaction (the caller
    commits: the login's own write, see ``authenticate``'s ``on_success``); return its id."""
    sid = security.token_urlsafe()
    s.add(PortalSession(id=security.token_hash(sid), user_id=user.id,
                        created_at=clock.utcnow_naive()))
    return sid


def login_user(user: User, sid: str | None = None) -> None:
    """Open a portal session for ``user`` (a fresh session: nothing carried over).

    ``sid``: the id ``add_session_row`` gave, its row already committed; else the row
    is written here."""
    session.clear()
    if sid is None:
        s = db.session()
        with db.unit_of_work(s):
            sid = add_session_row(s, user)
    session[_SESSION_KEY] = user.id
    session[_SID_KEY] = sid
    g.portal_user = user


def logout_user() -> None:
    """Close the portal session, for every copy of its cookie."""
    sid = session.get(_SID_KEY)
    if sid:
        s = db.session()
        with db.unit_of_work(s):
            s.execute(
                update(PortalSession)
                .where(
                    PortalSession.id == security.token_hash(sid),
                    PortalSession.ended_at.is_(None),
                )
                .values(ended_at=clock.utcnow_naive())
            )
    session.clear()
    g.portal_user = None


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page, then back."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("portal.connexion", next=target))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
