"""The integration worker: deposited flux are integrated once, by one worker.

The same durable pattern as the mail outbox (``sandbox/mail/dispatcher.py``): any
number of workers (threads, gunicorn processes, machines sharing a PostgreSQL) scan
for due flux — waiting, ``integrate_after`` passed on the **sandbox clock** — and
claim each with a conditional UPDATE that only one can win, holding a lease (real
time) that expires if its holder dies. The integration itself is one write
transaction that starts by re-checking the claim (``claimed_by`` and the waiting
state): a worker whose lease was taken over, or a flux already integrated, changes
nothing. A restart loses nothing: unfinished claims are taken again when their
lease ends. A flux whose integration keeps failing (a bug, not a bad file) is set
``IN_INCIDENTE`` after ``factures_max_attempts`` tries, as the platform does when
its exchange system cannot process a flux.

A flux asked to play intermediate states (``rules/flux.py``'s modes) is judged at its
first pass without storing anything (a savepoint rolled back) to know how it will end,
then shows one state per pass, each due ``SANDBOX_FACTURES_FLUX_STATE_SECONDS`` later,
and is integrated for real at its last pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, case, func, or_, select, update

from sandbox import clock, db, state
from sandbox.background import BackgroundLoop, holder_name
from sandbox.config import Settings
from sandbox.factures.formats import ReadFlux, read_flux
from sandbox.factures.models import Flux, FluxRapport, OptionsFournisseur
from sandbox.factures.rules import flux as flux_rules
from sandbox.factures.rules import integration, policies, scenarios
from sandbox.factures.rules.flux import NOT_TERMINAL, OBSERVE
from sandbox.models import Structure

log = logging.getLogger("sandbox.factures")

BATCH = 20

_loop = BackgroundLoop("factures", log)


def wake() -> None:
    """Ask this process's worker to look for due flux now."""
    _loop.wake()


def _free_lease(now):
    return or_(Flux.lease_until.is_(None), Flux.lease_until < now)


_CANDIDATES: dict[int, Select] = {}


def _candidates(limit: int) -> Select:
    """The due flux's ids, at most ``limit``: built once (each worker looks twice a second;
    building a statement costs more CPU than running it, docs/performance.md)."""
    statement = _CANDIDATES.get(limit)
    if statement is None:
        statement = _CANDIDATES[limit] = (
            select(Flux.id)
            .where(Flux.etat.in_(NOT_TERMINAL), Flux.integrate_after <= bindparam("due"),
                   _free_lease(bindparam("real_now")))
            .order_by(Flux.integrate_after, Flux.id)
            .limit(limit)
        )
    return statement


# When the next flux may be claimed: the first integration due among the free ones (on the
# sandbox clock) and the first lease to end among the claimed ones (real time; its holder
# may die).
_NEXT_DUE = select(
    func.min(case((_free_lease(bindparam("real_now")), Flux.integrate_after))),
    func.min(case((Flux.lease_until >= bindparam("real_now"), Flux.lease_until))),
).where(Flux.etat.in_(NOT_TERMINAL))


def seconds_until_due() -> float | None:
    """Real seconds until a flux may be claimed (0: now; None: no flux to integrate)."""
    with db.read_engine().connect() as conn:  # autocommit: no BEGIN, no ROLLBACK
        row = conn.execute(_NEXT_DUE, {"real_now": clock.real_utcnow_naive()}).one()
    integrate: datetime | None = row[0]
    lease: datetime | None = row[1]
    return clock.soonest(clock.real_seconds_until(integrate), clock.seconds_until(lease))


def claim(
    settings: Settings, holder: str, limit: int = BATCH, due: datetime | None = None,
    epoch: int | None = None,
) -> list[int]:
    """Claim up to ``limit`` flux due at ``due`` (now on the sandbox clock) for ``holder``;
    return the ids won (none when a reset came after ``epoch``: ``state.fence``)."""
    real_now = clock.real_utcnow_naive()
    lease_end = real_now + timedelta(seconds=settings.factures_lease_seconds)
    due = due or clock.utcnow_naive()
    with db.read_engine().connect() as conn:  # autocommit: the claim re-checks under the lock
        ids: list[int] = list(conn.execute(_candidates(limit),
                                           {"due": due, "real_now": real_now}).scalars())
    if not ids:
        return []
    with db.new_session() as s:
        db.begin_write(s)
        if epoch is not None and not state.fence(s, epoch):
            s.rollback()
            return []
        won = []
        for flux_id in ids:
            claimed = db.changed_rows(
                s,
                update(Flux)
                .where(Flux.id == flux_id, Flux.etat.in_(NOT_TERMINAL), _free_lease(real_now))
                .values(claimed_by=holder, lease_until=lease_end, attempts=Flux.attempts + 1),
            )
            if claimed == 1:
                won.append(flux_id)
        s.commit()
        return won


def _finish(flux_id: int, holder: str, settings: Settings, read: ReadFlux | None,
            epoch: int | None = None) -> bool:
    """Integrate (or end) one claimed flux in one write transaction; False if lost (or
    a reset came after ``epoch``: what was read belongs to the world before it)."""
    with db.transaction() as s:
        if epoch is not None and not state.fence(s, epoch):
            return False
        still_ours = db.changed_rows(
            s,
            update(Flux)
            .where(Flux.id == flux_id, Flux.claimed_by == holder,
                   Flux.etat.in_(NOT_TERMINAL))
            .values(claimed_by=holder),
        )
        if still_ours != 1:
            return False
        flux = s.get(Flux, flux_id)
        assert flux is not None  # just updated under our claim
        at = clock.utcnow_naive()
        report = flux_rules.rapport(s, flux)
        if flux_rules.next_step(flux, report, at, settings.factures_flux_state_seconds):
            log.info("flux %s -> %s", flux_id, flux.etat)
            return True
        outcome = flux_rules.forced_outcome(flux)
        if outcome is None and (scripted := scenarios.flux_outcome(flux.nom_fichier, read)):
            outcome = flux_rules.outcome_of(scripted)  # a marker, the incident recipient
        if outcome is None and read is None:  # out of attempts
            outcome = flux_rules.incident()
        if report.plan is None:  # first pass: the intermediate states to play, if any
            states = flux_rules.plan(_mode(s, settings, flux, report, read),
                                     (outcome or _judged(s, flux, read, at, settings)).kind)
            if states:
                flux_rules.start_plan(flux, report, states, at,
                                      settings.factures_flux_state_seconds)
                log.info("flux %s -> %s", flux_id, flux.etat)
                return True
        if outcome is None:
            assert read is not None
            outcome = integration.integrate(s, flux, read, at, settings)
        flux_rules.end(flux, outcome, at, report)
    log.info("flux %s -> %s", flux_id, outcome.etat)
    return True


def _judged(s, flux: Flux, read: ReadFlux | None, at: datetime, settings: Settings):
    """How ``flux`` would end now, without storing anything (a savepoint rolled back)."""
    assert read is not None
    savepoint = s.begin_nested()
    try:
        return integration.integrate(s, flux, read, at, settings)
    finally:
        savepoint.rollback()


def _mode(s, settings: Settings, flux: Flux, report: FluxRapport, read: ReadFlux | None) -> str:
    """The flux's intermediate-states mode: its own (control plane), else its supplier's
    (the first invoice's supplier, else the depositing account's structure), else the
    setting."""
    if report.mode_etats:
        return report.mode_etats
    supplier_id = flux.depositor_structure_id
    if read is not None and read.invoices and read.invoices[0].fournisseur.text:
        found = s.scalars(select(Structure.id).where(
            Structure.identifiant == read.invoices[0].fournisseur.text).order_by(Structure.id)
        ).first()
        supplier_id = found or supplier_id
    option = s.get(OptionsFournisseur, supplier_id) if supplier_id else None
    if option is not None and option.mode_etats:
        return option.mode_etats
    return settings.factures_flux_states or OBSERVE


def _release(flux_id: int, holder: str, error: BaseException,
             epoch: int | None = None) -> None:
    with db.transaction() as s:
        if epoch is not None and not state.fence(s, epoch):
            return
        s.execute(
            update(Flux)
            .where(Flux.id == flux_id, Flux.claimed_by == holder)
            .values(lease_until=None, last_error=str(error)[:500])
        )


def process(flux_id: int, holder: str, settings: Settings, epoch: int | None = None) -> bool:
    """Read and integrate one claimed flux. True when this worker integrated it."""
    try:
        with db.new_session() as s:
            flux = s.get(Flux, flux_id)
            if flux is None or flux.claimed_by != holder or flux.etat not in NOT_TERMINAL:
                return False
            syntaxe, nom, content, attempts = (
                flux.syntaxe_flux, flux.nom_fichier, flux.content, flux.attempts
            )
            report = s.get(FluxRapport, flux_id)
            stepping = report is not None and bool(report.plan)
        if attempts > settings.factures_max_attempts:
            return _finish(flux_id, holder, settings, None, epoch)
        if stepping:  # an intermediate state to show: nothing to read
            return _finish(flux_id, holder, settings, None, epoch)
        read = read_flux(syntaxe, nom, content)  # CPU work, outside any transaction
        return _finish(flux_id, holder, settings, read, epoch)
    except Exception as error:  # a bug must not stop the worker, nor lose the flux
        log.exception("integration of flux %s failed (attempt will be retried)", flux_id)
        try:
            _release(flux_id, holder, error, epoch)
        except Exception:
            log.exception("could not release flux %s", flux_id)
        return False


def run_pass(settings: Settings, holder: str | None = None, epoch: int | None = None) -> int:
    """Claim and integrate what is due once; return how many flux this pass ended.

    ``epoch``: the reset epoch read before the pass read anything (read now if not
    given); every write of the pass is fenced by it (``state.fence``)."""
    holder = holder or holder_name()
    epoch = state.reset_epoch() if epoch is None else epoch
    done = 0
    for flux_id in claim(settings, holder, epoch=epoch):
        done += process(flux_id, holder, settings, epoch)
    return done


def start(settings: Settings) -> None:
    """Start this process's worker thread (once per process): it integrates the due flux,
    then runs the automatic lifecycle policies (``rules/policies.py``)."""
    holder = holder_name()

    def integrate_all() -> float | None:
        # The epoch first, then the clock: a pass of after a reset sees its clock too.
        epoch = state.reset_epoch()
        state.refresh()  # the sandbox clock may have moved (PUT /_sandbox/clock)
        while run_pass(settings, holder, epoch):
            pass
        moves_due = policies.apply_and_schedule(epoch=epoch)[1]
        # When the loop must look again by itself (a change of the database nudges it).
        return clock.soonest(seconds_until_due(), clock.real_seconds_until(moves_due))

    _loop.start(integrate_all, settings.factures_poll_interval, state.ChangeWatch)


def stop() -> None:
    """Stop this process's worker thread."""
    _loop.stop()
