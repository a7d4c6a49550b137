"""Who is logged in to the portal: ``current_user()``, ``@login_required``.

The session cookie (signed, HttpOnly, SameSite=Lax) holds the user's id; the user
is read once per request. Other areas' portal pages use these two names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from sandbox import db
from sandbox.models import User

F = TypeVar("F", bound=Callable[..., Any])
_SESSION_KEY = "uid"


def current_user() -> User | None:
    """The logged-in, active portal user of this request, or None."""
    if "portal_user" in g:
        return g.portal_user
    user = None
    user_id = session.get(_SESSION_KEY)
    if user_id is not None:
        candidate = db.session().get(User, user_id)
        if candidate is not None and candidate.statut == "ACTIF" and not candidate.is_technical:
            user = candidate
        else:
            session.pop(_SESSION_KEY, None)
    g.portal_user = user
    return user


def login_user(user: User) -> None:
    """Open a portal session for ``user`` (a fresh session: nothing carried over)."""
    session.clear()
    session[_SESSION_KEY] = user.id
    g.portal_user = user


def logout_user() -> None:
    """Close the portal session."""
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
