"""Who may use the control plane: loopback clients, or anyone with the admin token;
changes sent by a browser from another site are refused. (The ``Host`` allow-list,
checked before this for every surface, is in hosts.py.)"""

from __future__ import annotations

import hmac

from flask import Response, current_app, request

from sandbox.control import hosts
from sandbox.control.api import bp, error


def _same_origin() -> bool:
    """Whether a browser sent this request from the sandbox's own pages (or no browser):
    its ``Origin`` (else its ``Referer``'s origin) is exactly one of ours."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True
    return hosts.same_origin(origin, current_app.config["SANDBOX"])


@bp.before_request
def guard() -> tuple[Response, int] | None:
    """Loopback only, unless an admin token is configured; then the token is required.

    Changes sent by a browser from another site are refused too, so a web page cannot
    drive a developer's local sandbox (forms need no CORS preflight).
    """
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        return error("cross-site request refused by the control plane", 403)
    token = current_app.config["SANDBOX"].admin_token
    if token:
        given = request.headers.get("X-Sandbox-Token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error("the control plane requires the X-Sandbox-Token header", 401)
        return None
    if not hosts.is_loopback_name(request.remote_addr or ""):
        return error(
            "the control plane answers only to loopback clients "
            "(set SANDBOX_ADMIN_TOKEN to allow others with the X-Sandbox-Token header)",
            403,
        )
    return None
