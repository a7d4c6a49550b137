"""The dashboard at /_sandbox/ (HTML, in English: it is a developer tool)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import requests
from flask import Response, current_app, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import func, select

from sandbox import clock, db
from sandbox.control import factures, journal, operations, queues
from sandbox.control.api import bp, describe, operation
from sandbox.control.schemas import FaultDocument
from sandbox.control.timeparse import parse_duration
from sandbox.models import OutboxMail, Rattachement, Structure, User
from sandbox.vocabulary import MailState, StatutRattachement

log = logging.getLogger("sandbox.control")


def counts() -> dict:
    """Structures, users by state, pending rattachements, mails by state."""
    s = db.session()
    now = clock.utcnow_naive()
    users = dict(
        s.execute(
            select(User.statut, func.count()).where(User.is_technical.is_(False))
            .group_by(User.statut)
        ).all()
    )
    locked = s.scalar(
        select(func.count()).select_from(User).where(User.locked_until > now)
    ) or 0
    mails = dict(s.execute(select(OutboxMail.state, func.count()).group_by(OutboxMail.state)).all())
    return {
        "structures": s.scalar(select(func.count()).select_from(Structure)) or 0,
        "users": users,
        "lockedUsers": locked,
        "technicalUsers": s.scalar(
            select(func.count()).select_from(User).where(User.is_technical.is_(True))
        ) or 0,
        "pendingRattachements": s.scalar(
            select(func.count()).select_from(Rattachement)
            .where(Rattachement.statut == StatutRattachement.EN_COURS_DE_VALIDATION)
        ) or 0,
        "mails": {state.value: mails.get(state, 0) for state in MailState},
    }


def latest_mailpit_messages(mailpit_url: str, limit: int = 10) -> tuple[list[dict], str | None]:
    """The newest messages in Mailpit, each with its page in Mailpit's web UI
    (``/view/{ID}``, when this Mailpit serves its UI) and its HTML body (``/view/{ID}.html``)."""
    try:
        answer = requests.get(
            f"{mailpit_url}/api/v1/messages", params={"limit": limit}, timeout=2
        )
        answer.raise_for_status()
        messages = answer.json().get("messages", [])
    except (requests.RequestException, ValueError) as problem:
        return [], str(problem)[:200]
    ui = bool(messages) and mailpit_serves_ui(mailpit_url)
    return [
        {
            "subject": m.get("Subject"),
            "to": ", ".join(t.get("Address", "") for t in m.get("To") or []),
            "created": m.get("Created"),
            "url": f"{mailpit_url}/view/{m.get('ID')}" if ui else None,
            "html": f"{mailpit_url}/view/{m.get('ID')}.html",
        }
        for m in messages
    ], None


def mailpit_serves_ui(mailpit_url: str) -> bool:
    """Whether this Mailpit has its web UI bundle (a Mailpit built without it has none)."""
    try:
        return requests.head(f"{mailpit_url}/dist/app.css", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@operation("GET", "/", summary="Dashboard (HTML)", tag="Sandbox", html=True)
def dashboard() -> Response:
    """Show the sandbox at a glance, with reset and clock buttons."""
    settings = current_app.config["SANDBOX"]
    folder = current_app.config["SANDBOX_JOURNAL_DIR"]
    entries = journal.entries(folder, settings.journal_size)
    recent = entries[-20:][::-1]
    unmatched = [e for e in entries if e.get("unmatched")][-10:][::-1]
    messages, mailpit_error = latest_mailpit_messages(settings.mailpit_url)
    return Response(render_template(
        "control/dashboard.html",
        counts=counts(),
        clock=operations.clock_view(),
        faults=operations.faults_view(g.sandbox_state, settings.seed),
        recent=recent,
        unmatched=unmatched,
        rule_example=RULE_EXAMPLE,
        journal_size=settings.journal_size,
        messages=messages,
        mailpit_error=mailpit_error,
        mailpit_url=settings.mailpit_url,
        notice=request.args.get("notice"),
        factures=factures.dashboard_panel(),
        queues=queues.queues(db.session()),
    ), mimetype="text/html")


@bp.post("/dashboard/reset")
def dashboard_reset():
    """The dashboard's reset button (a form post; same-origin only)."""
    report = operations.reset(current_app.config["SANDBOX"],
                              clear_mail=request.form.get("clear_mailpit") == "y")
    notice = f"Reset done in {report['durationMs']} ms (seed {report['seed']})."
    return redirect(url_for("control.dashboard", notice=notice), 303)


@bp.post("/dashboard/clock")
def dashboard_clock():
    """The dashboard's clock buttons: advance by a duration, run at a rate, or back to
    real time."""
    try:
        action = request.form.get("action")
        if action == "real":
            operations.set_offset(0.0, 1.0)
            notice = "Clock back to real time."
        elif action == "rate":
            text = request.form.get("rate", "").strip()
            try:
                rate = float(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a number (e.g. 60)") from None
            operations.set_offset(None, rate)
            notice = f"Clock running at {rate:g}× real time."
        else:
            seconds = parse_duration(request.form.get("advance", ""))
            operations.set_offset(clock.offset() + seconds)
            notice = f"Clock advanced by {request.form.get('advance')}."
    except ValueError as problem:
        notice = f"Clock unchanged: {problem}"
    return redirect(url_for("control.dashboard", notice=notice), 303)



RULE_EXAMPLE = json.dumps({
    "method": "POST", "path": "/cpro/factures/v1/deposer/flux", "times": 1,
    "response": {"status": 200, "body": {"codeRetour": 20001, "libelle": "Flux introuvable"}},
}, ensure_ascii=False)


def _change_rules(change: Callable[[list], list]) -> str:
    """Apply ``change`` to the rules in force and store them (validated as a PUT is)."""
    settings = current_app.config["SANDBOX"]
    current = operations.faults_view(g.sandbox_state, settings.seed)
    rules = change(list(current["rules"]))
    try:
        document = FaultDocument.model_validate({"seed": current["seed"], "rules": rules})
    except ValidationError as problem:
        raise ValueError(describe(problem)) from None
    operations.set_faults(settings, document)
    return f"{len(rules)} rule(s) in force."


@bp.post("/dashboard/faults")
def dashboard_faults():
    """The dashboard's fault and override editor: add a rule (JSON), remove one, clear."""
    action = request.form.get("action", "")
    revision = request.form.get("revision") or None
    try:
        if revision != (g.sandbox_state.faults or {}).get("revision"):
            raise ValueError("the rules changed meanwhile; look again")
        if action == "add":
            try:
                rule = json.loads(request.form.get("rule", ""))
            except (ValueError, RecursionError) as problem:
                raise ValueError(f"the rule is not JSON ({problem})"[:300]) from None
            notice = "Rule added. " + _change_rules(lambda rules: [*rules, rule])
        elif action == "remove":
            index = request.form.get("index", "")
            if not index.isdigit():
                raise ValueError("no rule to remove")
            notice = "Rule removed. " + _change_rules(
                lambda rules: [r for i, r in enumerate(rules) if i != int(index)])
        elif action == "clear":
            operations.clear_faults()
            notice = "Every rule removed, maintenance off."
        else:
            raise ValueError(f"unknown action {action[:40]!r}")
    except ValueError as problem:
        notice = f"Rules unchanged: {problem}"
    return redirect(url_for("control.dashboard", notice=notice), 303)
