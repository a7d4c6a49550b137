"""The control plane's JSON operations: ping, reset, clock, faults, journal, mails,
captcha answers, credentials and data sets (the state shortcuts are in shortcuts.py)."""

from __future__ import annotations

import difflib

from flask import current_app, g, request
from pydantic import ValidationError
from sqlalchemy import select

from sandbox import clock, db, seeding
from sandbox.control import journal, matching, operations
from sandbox.control import schemas as sc
from sandbox.control.api import ControlError, describe, operation
from sandbox.control.timeparse import parse_duration, parse_instant
from sandbox.cpro.api import registry as api_registry
from sandbox.models import OutboxMail, User
from sandbox.portal import captcha
from sandbox.seeding.dataset import parse_dataset_csv


def _settings():
    return current_app.config["SANDBOX"]


@operation("GET", "/ping", summary="The cheapest answer (server benchmarks)", tag="Sandbox",
           answer=sc.Pong)
def ping() -> dict:
    """The cheapest answer of the sandbox (benchmarks of the server itself)."""
    return {"pong": True}


@operation("POST", "/reset", tag="Sandbox", body=sc.ResetRequest, answer=sc.ResetReport,
           errors=(400,), summary="Back to the seeded baseline; empties the outbox, clears "
           "clock, faults and journal")
def reset(body: sc.ResetRequest) -> dict:
    """Back to the seeded baseline (optionally with a new seed and an empty Mailpit)."""
    return operations.reset(_settings(), body.seed, body.clearMailpit)


# --- clock ------------------------------------------------------------------------


@operation("GET", "/clock", summary="The sandbox's time", tag="Clock", answer=sc.ClockView)
def get_clock() -> dict:
    """The sandbox's time and its offset from real time."""
    return operations.clock_view()


@operation("PUT", "/clock", tag="Clock", body=sc.ClockChange, answer=sc.ClockView,
           errors=(400,), summary="Set an offset, advance, or jump to an instant; and/or make "
           "the clock run N times real time")
def put_clock(body: sc.ClockChange) -> dict:
    """Set the offset, advance by a duration, or jump to an instant (at most one of them),
    and/or set the rate: sandbox seconds per real second from now on."""
    try:
        seconds: float | None
        if body.offsetSeconds is not None:
            seconds = body.offsetSeconds
        elif body.offset is not None:
            seconds = parse_duration(body.offset)
        elif body.advance is not None:
            seconds = clock.offset() + parse_duration(body.advance)
        elif body.now is not None:
            target = parse_instant(body.now)
            seconds = clock.offset() + (target - clock.now()).total_seconds()
        else:
            seconds = None
        return operations.set_offset(seconds, body.rate)
    except (ValueError, OverflowError) as problem:
        raise ControlError(str(problem)) from None


# --- faults -----------------------------------------------------------------------


@operation("GET", "/faults", summary="Faults in force", tag="Faults", answer=sc.FaultsView)
def get_faults() -> dict:
    """The fault rules and the maintenance switch in force."""
    return operations.faults_view(g.sandbox_state, _settings().seed)


@operation("PUT", "/faults", summary="Replace the fault rules", tag="Faults",
           body=sc.FaultDocument, answer=sc.FaultsView, errors=(400,))
def put_faults(body: sc.FaultDocument) -> dict:
    """Replace the fault rules (and optionally set maintenance)."""
    return operations.set_faults(_settings(), body)


@operation("DELETE", "/faults", summary="Clear every fault and maintenance", tag="Faults",
           status=204)
def delete_faults() -> None:
    """Remove every fault and leave maintenance."""
    operations.clear_faults()


@operation("PUT", "/maintenance", summary="Switch maintenance mode (portal and API answer 503)",
           tag="Faults", body=sc.MaintenanceSwitch, answer=sc.MaintenanceView, errors=(400,))
def put_maintenance(body: sc.MaintenanceSwitch) -> dict:
    """Switch maintenance on or off: {"enabled": true}."""
    operations.set_maintenance(body.enabled)
    return {"maintenance": body.enabled}


# --- journal ----------------------------------------------------------------------


@operation("GET", "/requests", summary="Journal of the last requests (oldest first)",
           tag="Journal", query=sc.JournalQuery, answer=sc.JournalView, errors=(400,))
def get_requests(query: sc.JournalQuery) -> dict:
    """The last requests received, oldest first, filtered."""
    settings = _settings()
    folder = current_app.config["SANDBOX_JOURNAL_DIR"]
    filters = query.model_dump(exclude_none=True, exclude={"limit"})
    items = journal.select(journal.entries(folder, settings.journal_size), filters)
    if query.limit is not None:
        items = items[-query.limit:] if query.limit else []
    return {"size": settings.journal_size, "count": len(items), "requests": items}


@operation("POST", "/requests/verify", tag="Journal", body=sc.RequestMatcher,
           answer=sc.VerifyView, errors=(400,),
           summary="How many journaled requests match (method, path, query, headers, body)")
def verify_requests(body: sc.RequestMatcher) -> dict:
    """Count the journaled requests that match, return the newest of them and the near
    misses (the other requests closest to the matcher, with what differs), as WireMock's
    ``POST /__admin/requests/count`` and near misses do."""
    settings = _settings()
    entries = journal.entries(current_app.config["SANDBOX_JOURNAL_DIR"], settings.journal_size)
    return matching.verify(body, entries)


@operation("GET", "/requests/verify", tag="Journal", query=sc.VerifyQuery,
           answer=sc.VerifyView, errors=(400,),
           summary="The GET form of verify: the matcher in the query string (for a browser, "
           "curl, a client that only reads)")
def verify_requests_get(query: sc.VerifyQuery) -> dict:
    """``POST /requests/verify`` with the matcher in the query string: ``method`` (may
    repeat), ``path``, ``pathGlob``, ``pathRegex``, ``status``, ``clientId``, ``account``,
    ``since``, ``limit``; ``query.NAME=value`` and ``header.NAME=value`` (equal to);
    ``bodyPartial`` and ``bodyEqual`` as JSON text."""
    try:
        body = sc.RequestMatcher.model_validate(sc.matcher_from_query(request.args))
    except ValidationError as problem:
        raise ControlError(describe(problem)) from None
    except ValueError as problem:
        raise ControlError(str(problem)) from None
    return verify_requests(body)


@operation("GET", "/requests/unmatched", tag="Journal", answer=sc.UnmatchedView,
           summary="Journaled requests that matched no route (404/405, API route_inconnue)")
def get_unmatched() -> dict:
    """The journaled requests no route answered: no portal page or API path (404), a
    method the path does not take (405), an API call of no operation (403
    ``route_inconnue``). Each names the closest API routes."""
    settings = _settings()
    entries = journal.entries(current_app.config["SANDBOX_JOURNAL_DIR"], settings.journal_size)
    routes = [f"{op.method} {op.path}" for op in api_registry()]
    found = [{**entry, "closest": difflib.get_close_matches(
                 f"{entry['method']} {entry['path']}", routes, n=3, cutoff=0.6)}
             for entry in entries if entry.get("unmatched")]
    return {"count": len(found), "requests": found}


@operation("DELETE", "/requests", summary="Clear the journal", tag="Journal", status=204)
def delete_requests() -> None:
    """Forget every journaled request (every worker)."""
    journal.clear(current_app.config["SANDBOX_JOURNAL_DIR"])


# --- mails, captcha, credentials, data sets -----------------------------------------


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


@operation("GET", "/mails", summary="Mails the sandbox sent (outbox), newest first",
           tag="Mails", query=sc.MailQuery, answer=sc.MailsView, errors=(400,))
def get_mails(query: sc.MailQuery) -> dict:
    """What the sandbox sent (its outbox), newest first: ?to=ADDRESS&kind=KIND&limit=N."""
    s = db.session()
    select_mails = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(query.limit)
    if query.kind:
        select_mails = select_mails.where(OutboxMail.kind == query.kind)
    if query.state:
        select_mails = select_mails.where(OutboxMail.state == query.state)
    mails = s.scalars(select_mails.where(OutboxMail.to_addr == query.to.strip().lower())
                      if query.to else select_mails).all()
    if query.to and not mails:
        # Addresses are stored as typed by the caller of enqueue(); try that too.
        mails = s.scalars(select_mails.where(OutboxMail.to_addr == query.to.strip())).all()
    return {"count": len(mails), "mails": [mail_view(m) for m in mails]}


@operation("GET", "/captcha/<captchaId>", summary="The answer of a captcha challenge",
           tag="Mails", answer=sc.CaptchaAnswer, errors=(404,))
def get_captcha(captchaId: str) -> dict:
    """The answer of a captcha challenge shown by the portal."""
    answer = captcha.answer_of(captchaId)
    if answer is None:
        raise ControlError(f"no captcha {captchaId[:80]!r} (unknown or expired)", 404)
    return {"captchaId": captchaId, "answer": answer}


@operation("GET", "/credentials", tag="Sandbox", summary="The seeded default accounts "
           "(gestionnaire, technical account, OAuth client)")
def get_credentials() -> dict:
    """The seeded default accounts: gestionnaire, technical account, OAuth client
    (``sandbox.seeding.default_credentials()``)."""
    return seeding.default_credentials(_settings())


@operation("POST", "/dataset", tag="Sandbox", body=sc.DatasetRequest, answer=sc.DatasetView,
           status=201, errors=(400, 404), summary="Generate a qualification data set "
           "(Fournisseur, Valideur, MOE, Destinataire, Destinataire 2, MOA)")
def post_dataset(body: sc.DatasetRequest) -> dict:
    """Generate a qualification data set (as the portal's button does); return its CSV.
    The optional requester login is mailed, as on the portal."""
    s = db.session(write=True)
    requester = None
    if body.requester:
        requester = s.scalar(select(User).where(User.login == body.requester.strip().lower()))
        if requester is None:
            raise ControlError(f"no account {body.requester!r}", 404)
    dataset = seeding.generate_dataset(s, _settings(), requester=requester)
    s.commit()
    return {
        "id": dataset.id,
        "createdAt": clock.aware(dataset.created_at).isoformat(),
        "requester": requester.login if requester else None,
        "entities": parse_dataset_csv(dataset.csv),
        "csv": dataset.csv,
    }
