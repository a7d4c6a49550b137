"""PISTE's OAuth2 token endpoint (client_credentials) and the OAuth clients behind it.

``POST /api/oauth/token`` takes a form-encoded body (``grant_type=client_credentials``,
``client_id``, ``client_secret``, ``scope=openid``); HTTP Basic client
authentication is accepted too (RFC 6749 2.3.1). Tokens are random; only their
SHA-256 is stored, with an expiry computed on the sandbox clock.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import clock, db, security
from sandbox.accounts.validation import has_forbidden_characters
from sandbox.models import AccessToken, OAuthClient, User

bp = Blueprint("piste_oauth", __name__)

# Scopes a PISTE client may ask for; the answer always says "openid" as PISTE does.
KNOWN_SCOPES = {"openid", "profile", "resource.READ"}
CLIENT_ID_MAX = 64  # OAuthClient.client_id's column


def create_oauth_client(
    s: Session,
    name: str,
    owner: User | None = None,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> OAuthClient:
    """Add a PISTE application (client id: a UUID, as on PISTE). The caller commits."""
    now = clock.utcnow_naive()
    client = OAuthClient(
        client_id=client_id or str(uuid.uuid4()),
        client_secret=client_secret or security.token_urlsafe(32),
        name=name,
        owner_user_id=owner.id if owner is not None else None,
        created_at=now,
    )
    s.add(client)
    s.flush()
    return client


def _error(code: str, description: str, status: int = 400):
    answer = jsonify({"error": code, "error_description": description})
    answer.status_code = status
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Pragma"] = "no-cache"
    return answer


def _client_credentials() -> tuple[str, str]:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        return auth.username, auth.password or ""
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


@bp.post("/api/oauth/token")
def token():
    """Issue an access token for a PISTE application (client_credentials grant)."""
    settings = current_app.config["SANDBOX"]
    if request.mimetype != "application/x-www-form-urlencoded":
        return _error(
            "invalid_request",
            "The token request must be form-encoded "
            "(Content-Type: application/x-www-form-urlencoded).",
        )
    grant_type = request.form.get("grant_type", "")
    if not grant_type:
        return _error("invalid_request", "Missing parameter: grant_type.")
    if grant_type != "client_credentials":
        return _error(
            "unsupported_grant_type",
            f"Unsupported grant_type {grant_type!r}: use client_credentials.",
        )
    scopes = set(request.form.get("scope", "openid").split())
    if scopes and not scopes <= KNOWN_SCOPES:
        unknown = ", ".join(sorted(scopes - KNOWN_SCOPES))
        return _error("invalid_scope", f"Unknown scope: {unknown}. Use scope=openid.")
    client_id, client_secret = _client_credentials()
    g.piste_client_id = client_id  # the control plane's journal shows it
    if not client_id or not client_secret:
        return _error("invalid_request", "Missing parameter: client_id and client_secret.")
    if len(client_id) > CLIENT_ID_MAX or has_forbidden_characters(client_id):
        # No client has such an id (a NUL would even be refused by PostgreSQL).
        return _error("invalid_client", "Bad client credentials")
    s = db.session()
    row = s.execute(
        select(OAuthClient.id, OAuthClient.client_secret).where(OAuthClient.client_id == client_id)
    ).first()
    if row is None or not security.constant_time_equals(row.client_secret, client_secret):
        return _error("invalid_client", "Bad client credentials")
    access_token = security.token_urlsafe(32)
    now = clock.utcnow_naive()
    s = db.session(write=True)
    s.add(
        AccessToken(
            token_hash=security.token_hash(access_token),
            client_id=row.id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.oauth_token_seconds),
        )
    )
    s.commit()
    answer = jsonify(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": settings.oauth_token_seconds,
            "scope": "openid",
        }
    )
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Pragma"] = "no-cache"
    return answer
