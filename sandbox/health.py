"""GET /health: the state of the sandbox, its storage, its SMTP target and Mailpit's supervisor."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from sandbox import clock, db
from sandbox.models import OutboxMail
from sandbox.version import __version__

bp = Blueprint("health", __name__)


def _check_smtp(host: str, port: int) -> dict:
    try:
        with socket.create_connection((host, port), timeout=1.0) as conn:
            banner = conn.recv(256).decode("ascii", "replace").strip()
        return {"status": "ok", "target": f"{host}:{port}", "banner": banner[:80]}
    except OSError as error:
        return {"status": "unreachable", "target": f"{host}:{port}", "error": str(error)}


@bp.get("/health")
def health():
    """Report the sandbox, its database and its SMTP target."""
    settings = current_app.config["SANDBOX"]
    storage: dict
    try:
        s = db.session()
        s.execute(text("SELECT 1"))
        states = dict(
            s.execute(select(OutboxMail.state, func.count()).group_by(OutboxMail.state)).all()
        )
        storage = {"status": "ok", "dialect": db.engine().dialect.name}
    except Exception as error:  # report, do not crash the health page
        storage = {"status": "error", "error": str(error)[:200]}
        states = {}
    smtp = _check_smtp(settings.smtp_host, settings.smtp_port)
    smtp["mailpitUrl"] = settings.mailpit_url  # where clients read the mails (pytest --chorus-url)
    # Under `chorus-sandbox run`, its supervisor's view of Mailpit (restarts, last exit).
    mailpit = (read_supervisor_state(settings.supervisor_state) if settings.supervisor_state
               else {"supervised": False})
    ok = storage["status"] == "ok"
    # Mail waits in the outbox while SMTP is away: the sandbox still works.
    status = "ok" if ok and smtp["status"] == "ok" else ("degraded" if ok else "error")
    body = {
        "status": status,
        "version": __version__,
        "time": clock.now().isoformat(),
        "clockOffsetSeconds": clock.offset(),
        "storage": storage,
        "smtp": smtp,
        "mailpit": mailpit,
        "outbox": {
            "queued": states.get("queued", 0),
            "retrying": states.get("retrying", 0),
            "delivered": states.get("delivered", 0),
        },
    }
    return jsonify(body), 200 if ok else 503


def read_supervisor_state(path: str) -> dict:
    """What ``MailpitSupervisor.write`` last wrote, or why it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        return {"supervised": True, "state": "unknown", "error": str(error)[:200]}
