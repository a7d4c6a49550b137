"""Finding an account: the caller's session's own copy of a user, by object or id.

The account rules take ``User | int`` (the portal passes an id from its cookie, the
control plane a ``User`` read in another session) and always work on the row of
the session they were given.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.accounts import validation
from sandbox.models import User


def session_user(s: Session, user: User | int) -> User:
    """Return ``s``'s copy of ``user`` (a ``User`` or an id); ``LookupError`` if none."""
    user_id = user.id if isinstance(user, User) else int(user)
    found = s.get(User, user_id) if validation.valid_id(user_id) else None
    if found is None:
        raise LookupError(f"no user {user}")
    return found
