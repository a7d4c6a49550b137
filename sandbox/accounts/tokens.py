"""Single-use action tokens (``action_tokens``): activation links and login codes.

Only a hash of a token is stored. A user has at most one live token per purpose:
issuing a new one revokes the others (``revoke_live_tokens``), and using one is a
conditional UPDATE on ``used_at IS NULL`` whose row count says who won.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from sandbox.models import ActionToken
from sandbox.vocabulary import TokenPurpose


def revoke_live_tokens(
    s: Session, user_id: int, purpose: TokenPurpose, now: datetime
) -> None:
    """Revoke the user's unused, unrevoked tokens of ``purpose`` (no commit)."""
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
