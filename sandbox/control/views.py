"""The control plane's HTTP routes under /_sandbox/ (JSON, plus the dashboard)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select

from sandbox import clock, db
from sandbox.control import faults, journal, operations
from sandbox.control.timeparse import parse_duration, parse_instant
from sandbox.models import OutboxMail
from sandbox.portal import captcha

bp = Blueprint(
    "control", __name__, url_prefix="/_sandbox", template_folder="templates",
    static_folder="static",
)


def error(message: str, status: int = 400, **extra: Any) -> tuple[Response, int]:
    """A control-plane error answer."""
    return jsonify({"error": message, **extra}), status


def _settings():  # noqa: ANN202
    return current_app.config["SANDBOX"]


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _same_origin() -> bool:
    """Whether a browser sent this request from the sandbox's own pages (or no browser)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True
    return origin.rstrip("/").startswith(request.host_url.rstrip("/"))


@bp.before_request
def _guard() -> tuple[Response, int] | None:
    """Loopback only, unless an admin token is configured; then the token is required.

    Changes sent by a browser from another site are refused too, so a web page cannot
    drive a developer's local sandbox (forms need no CORS preflight).
    """
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        return error("cross-site request refused by the control plane", 403)
    token = _settings().admin_token
    if token:
        given = request.headers.get("X-Sandbox-Token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error("the control plane requires the X-Sandbox-Token header", 401)
        return None
    if not _is_loopback(request.remote_addr):
        return error(
            "the control plane answers only to loopback clients "
            "(set SANDBOX_ADMIN_TOKEN to allow others with the X-Sandbox-Token header)",
            403,
        )
    return None


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ValueError("the body must be JSON (Content-Type: application/json)")
    return {} if body is None else body


def _json_object() -> dict:
    """The body as a JSON object (an empty body is ``{}``); ValueError otherwise."""
    body = _json_body()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


@bp.get("/ping")
def ping():
    """The cheapest answer of the sandbox (benchmarks of the server itself)."""
    return jsonify({"pong": True})


# --- reset ------------------------------------------------------------------------


@bp.post("/reset")
def reset():
    """Back to the seeded baseline (optionally with a new seed and an empty Mailpit)."""
    try:
        body = _json_object()
    except ValueError as problem:
        return error(str(problem))
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return error("seed: expected an integer")
    clear_mail = body.get("clearMailpit", False)
    if not isinstance(clear_mail, bool):
        return error("clearMailpit: expected true or false")
    try:
        report = operations.reset(_settings(), seed, clear_mail)
    except operations.Unavailable as problem:
        return error(str(problem), 501)
    return jsonify(report)


# --- clock ------------------------------------------------------------------------


@bp.get("/clock")
def get_clock():
    """The sandbox's time and its offset from real time."""
    return jsonify(operations.clock_view())


@bp.put("/clock")
def put_clock():
    """Set the offset, advance by a duration, or jump to an instant."""
    try:
        body = _json_object()
        given = [k for k in ("offsetSeconds", "advance", "now", "offset") if k in body]
        unknown = set(body) - {"offsetSeconds", "advance", "now", "offset"}
        if unknown or len(given) != 1:
            raise ValueError(
                "give exactly one of offsetSeconds (number), offset ('25h'), "
                "advance ('25h', '-90m') or now (ISO 8601 instant)"
            )
        key = given[0]
        if key == "offsetSeconds":
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("offsetSeconds: expected a number")
            seconds = float(value)
        elif key == "offset":
            seconds = parse_duration(body[key])
        elif key == "advance":
            seconds = clock.offset() + parse_duration(body[key])
        else:
            target = parse_instant(body[key])
            seconds = clock.offset() + (target - clock.now()).total_seconds()
        return jsonify(operations.set_offset(seconds))
    except ValueError as problem:
        return error(str(problem))


# --- faults -----------------------------------------------------------------------


@bp.get("/faults")
def get_faults():
    """The fault rules and the maintenance switch in force."""
    return jsonify(operations.faults_view(g.sandbox_state, _settings().seed))


@bp.put("/faults")
def put_faults():
    """Replace the fault rules (and optionally set maintenance)."""
    try:
        body = _json_body()
        return jsonify(operations.set_faults(_settings(), body))
    except (ValueError, faults.FaultError) as problem:
        return error(str(problem))


@bp.delete("/faults")
def delete_faults():
    """Remove every fault and leave maintenance."""
    operations.clear_faults()
    return "", 204


@bp.put("/maintenance")
def put_maintenance():
    """Switch maintenance on or off: {"enabled": true}."""
    try:
        body = _json_body()
    except ValueError as problem:
        return error(str(problem))
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        return error('expected {"enabled": true} or {"enabled": false}')
    operations.set_maintenance(body["enabled"])
    return jsonify({"maintenance": body["enabled"]})


# --- journal ----------------------------------------------------------------------


@bp.get("/requests")
def get_requests():
    """The last requests received, oldest first, filtered."""
    settings = _settings()
    folder = current_app.config["SANDBOX_JOURNAL_DIR"]
    items = journal.select(journal.entries(folder, settings.journal_size), request.args)
    limit = request.args.get("limit")
    if limit is not None:
        if not limit.isdigit():
            return error("limit: expected a positive integer")
        items = items[-int(limit):] if int(limit) else []
    return jsonify(
        {"size": settings.journal_size, "count": len(items), "requests": items}
    )


@bp.delete("/requests")
def delete_requests():
    """Forget every journaled request (every worker)."""
    journal.clear(current_app.config["SANDBOX_JOURNAL_DIR"])
    return "", 204


# --- mails and captcha ------------------------------------------------------------


def mail_view(mail: OutboxMail) -> dict:
    """An outbox row as the control plane shows it."""
    return {
        "id": mail.id,
        "kind": mail.kind,
        "to": mail.to_addr,
        "subject": mail.subject,
        "state": mail.state,
        "attempts": mail.attempts,
        "link": mail.link,
        "messageId": mail.message_id,
        "createdAt": clock.aware(mail.created_at).isoformat(),
        "deliveredAt": clock.aware(mail.delivered_at).isoformat() if mail.delivered_at else None,
        "lastError": mail.last_error,
    }


@bp.get("/mails")
def get_mails():
    """What the sandbox sent (its outbox), newest first: ?to=ADDRESS&kind=KIND&limit=N."""
    limit = request.args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        return error("limit: an integer between 1 and 1000")
    query = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(int(limit))
    to = request.args.get("to")
    if to:
        query = query.where(OutboxMail.to_addr == to.strip().lower())
    if request.args.get("kind"):
        query = query.where(OutboxMail.kind == request.args["kind"])
    if request.args.get("state"):
        query = query.where(OutboxMail.state == request.args["state"])
    mails = db.session().scalars(query).all()
    if to and not mails:
        # Addresses are stored as typed by the caller of enqueue(); try that too.
        mails = db.session().scalars(
            select(OutboxMail).where(OutboxMail.to_addr == to.strip())
            .order_by(OutboxMail.id.desc()).limit(int(limit))
        ).all()
    return jsonify({"count": len(mails), "mails": [mail_view(m) for m in mails]})


@bp.get("/captcha/<captcha_id>")
def get_captcha(captcha_id: str):
    """The answer of a captcha challenge shown by the portal."""
    answer = captcha.answer_of(captcha_id)
    if answer is None:
        return error(f"no captcha {captcha_id[:80]!r} (unknown or expired)", 404)
    return jsonify({"captchaId": captcha_id, "answer": answer})


@bp.get("/credentials")
def get_credentials():
    """The seeded default accounts: gestionnaire, technical account, OAuth client."""
    try:
        from sandbox.seeding import default_credentials
    except ImportError:
        return error("seeding is not installed in this sandbox", 501)
    return jsonify(default_credentials(_settings()))


@bp.post("/dataset")
def post_dataset():
    """Generate a qualification data set (as the portal's button does); return its CSV."""
    import csv
    import io

    from sandbox.models import User
    from sandbox.seeding import generate_dataset

    try:
        body = _json_object()
    except ValueError as problem:
        return error(str(problem))
    login = body.get("requester")
    if login is not None and not isinstance(login, str):
        return error("requester: expected a login address")
    s = db.session(write=True)
    requester = None
    if login:
        requester = s.scalar(select(User).where(User.login == login.strip().lower()))
        if requester is None:
            return error(f"no account {login!r}", 404)
    dataset = generate_dataset(s, _settings(), requester=requester)
    s.commit()
    entities: dict[str, dict[str, str]] = {}
    rows = csv.reader(io.StringIO(dataset.csv), delimiter=";")
    next(rows, None)  # the header: Entite;Libelle;Valeur
    for row in rows:
        if len(row) == 3:
            entities.setdefault(row[0], {})[row[1]] = row[2]
    return jsonify({
        "id": dataset.id,
        "createdAt": clock.aware(dataset.created_at).isoformat(),
        "requester": requester.login if requester else None,
        "entities": entities,
        "csv": dataset.csv,
    }), 201


def register_csrf_exemption(app) -> None:  # noqa: ANN001
    """JSON routes carry no CSRF token: exempt them if the portal enabled CSRFProtect."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def register_error_renderer() -> None:
    """Answer the control plane's HTTP errors (404, 405, 413...) in JSON."""
    try:
        from sandbox import web
    except ImportError:
        return

    def render(problem):  # noqa: ANN001, ANN202
        return jsonify({"error": problem.description}), problem.code

    if not any(prefix == "/_sandbox" for prefix, _ in web._renderers):
        web.register_error_renderer("/_sandbox", render)
