"""The integration worker: exactly once under concurrent workers, leases, restarts,
incidents; the checks that need data of their own (inactive service, a service that
requires an EJ); the append-only status history.

Flux created here for the worker-level tests are due in 2100 on the sandbox clock, so
the session stack's own workers leave them alone; the tests claim them "as of 2101".
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from api_factories import make_engagement, make_service, tech_client
from factures_flux import advance_clock, deposit, wait_terminal
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from sandbox import clock, db
from sandbox.config import load_settings
from sandbox.factures import worker
from sandbox.factures.models import (
    FLUX_COUNTER_BASE,
    Facture,
    FactureStatut,
    Flux,
    numero_flux_depot,
)
from sandbox.seeding import invoice_examples as examples
from sandbox.seeding.invoice_cases import ETAT
from sandbox.vocabulary import EtatFlux, SyntaxeFlux

FUTURE = datetime(2100, 1, 1)
AS_OF = datetime(2101, 1, 1)
SETTINGS = load_settings()


def _flux(s, world, content: bytes, **fields) -> Flux:
    now = clock.utcnow_naive()
    values = dict(
        syntaxe_flux=SyntaxeFlux.IN_DP_E1_UBL_INVOICE, nom_fichier=f"w-{uuid.uuid4().hex}.xml",
        etat=EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP, date_depot=now,
        date_etat_courant=now, depositor_user_id=world.gp.id,
        depositor_structure_id=world.own.id, content=content, size=len(content),
        integrate_after=FUTURE, attempts=0, erreurs_dp=[], erreurs_techniques=[],
    )
    values.update(fields)
    flux = Flux(**values)
    s.add(flux)
    s.flush()
    flux.numero_flux_depot = numero_flux_depot(flux.syntaxe_flux, FLUX_COUNTER_BASE + flux.id)
    return flux


def _invoice(world, numero: str) -> bytes:
    return examples.ubl(examples.Example(numero, world.own.identifiant, ETAT, service="SFACETAT"))


def _make(world, n: int, **fields) -> list[int]:
    with db.transaction() as s:
        return [
            _flux(s, world, _invoice(world, f"W{uuid.uuid4().hex[:12]}"), **fields).id
            for _ in range(n)
        ]


def _reload(flux_id: int) -> Flux:
    with db.new_session() as s:
        return s.get(Flux, flux_id)


def _history_counts(flux_ids: list[int]) -> dict[int, int]:
    with db.new_session() as s:
        rows = s.execute(
            select(Facture.flux_id, func.count(FactureStatut.id))
            .join(FactureStatut, FactureStatut.facture_id == Facture.id)
            .where(Facture.flux_id.in_(flux_ids))
            .group_by(Facture.flux_id)
        ).all()
        return dict(rows)


WORKER = """
import sys
from datetime import datetime
from sandbox import db
from sandbox.config import load_settings
from sandbox.factures import worker
url, ids = sys.argv[1], {int(i) for i in sys.argv[2].split(",")}
settings = load_settings({"database_url": url})
db.init_engine(url)
holder, won = worker.holder_name(), 0
while True:
    claimed = worker.claim(settings, holder, limit=3, due=datetime(2101, 1, 1))
    if not claimed:
        break
    assert set(claimed) <= ids, claimed
    won += sum(worker.process(i, holder, settings) for i in claimed)
print(won)
"""


def test_concurrent_worker_processes_integrate_each_flux_once(world, chorus_sandbox):
    ids = _make(world, 24)
    env = {**os.environ, "SANDBOX_LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, chorus_sandbox.database_url, ",".join(map(str, ids))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    assert sum(int(out.strip()) for out, _ in results) == len(ids)
    for flux_id in ids:
        assert _reload(flux_id).etat == EtatFlux.IN_INTEGRE
    # One invoice per flux, each with its three platform statuses exactly once.
    assert _history_counts(ids) == {flux_id: 3 for flux_id in ids}


def test_a_lost_lease_changes_nothing_and_the_new_holder_integrates(world):
    (flux_id,) = _make(world, 1)
    assert worker.claim(SETTINGS, "A", due=AS_OF) == [flux_id]
    assert worker.claim(SETTINGS, "B", due=AS_OF) == []  # leased to A
    with db.transaction() as s:  # A's lease runs out (A is stuck or dead)
        s.execute(update(Flux).where(Flux.id == flux_id)
                  .values(lease_until=clock.real_utcnow_naive() - timedelta(seconds=1)))
    assert worker.claim(SETTINGS, "B", due=AS_OF) == [flux_id]
    assert worker.process(flux_id, "A", SETTINGS) is False
    assert _reload(flux_id).etat == EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP
    assert worker.process(flux_id, "B", SETTINGS) is True
    assert worker.process(flux_id, "B", SETTINGS) is False  # never twice
    flux = _reload(flux_id)
    assert flux.etat == EtatFlux.IN_INTEGRE and flux.attempts == 2
    assert _history_counts([flux_id]) == {flux_id: 3}


def test_a_claim_of_a_dead_worker_is_taken_again(world):
    expired = clock.real_utcnow_naive() - timedelta(minutes=5)
    (flux_id,) = _make(world, 1, claimed_by="dead:1:x", lease_until=expired, attempts=1)
    assert worker.claim(SETTINGS, "C", due=AS_OF) == [flux_id]
    assert worker.process(flux_id, "C", SETTINGS) is True
    assert _reload(flux_id).etat == EtatFlux.IN_INTEGRE


def test_a_flux_out_of_attempts_or_forced_becomes_incidente(world):
    (tired,) = _make(world, 1, attempts=SETTINGS.factures_max_attempts)
    (forced,) = _make(world, 1, forced_outcome={"etat": "IN_INCIDENTE"})
    assert sorted(worker.claim(SETTINGS, "D", due=AS_OF)) == sorted([tired, forced])
    for flux_id in (tired, forced):
        assert worker.process(flux_id, "D", SETTINGS) is True
        flux = _reload(flux_id)
        assert flux.etat == EtatFlux.IN_INCIDENTE
        assert flux.erreurs_techniques[0]["codeErreur"] == "ERR_TECHNIQUE_001"
    assert _history_counts([tired, forced]) == {}


def test_the_status_history_only_appends(world):
    (flux_id,) = _make(world, 1)
    worker.claim(SETTINGS, "E", due=AS_OF)
    assert worker.process(flux_id, "E", SETTINGS)
    with db.new_session() as s:
        facture_id = s.scalar(select(Facture.id).where(Facture.flux_id == flux_id))
    with pytest.raises(DBAPIError, match="append-only"):
        with db.transaction() as s:
            s.execute(text("UPDATE facture_statuts SET statut = 'REJETEE' WHERE facture_id = :f"),
                      {"f": facture_id})
    with db.transaction() as s:  # deleting the invoice (reset) takes its history along
        s.execute(text("DELETE FROM factures WHERE id = :f"), {"f": facture_id})
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(FactureStatut)
                        .where(FactureStatut.facture_id == facture_id)) == 0


@pytest.fixture(scope="module")
def recipient_services(world):
    """On the world's public recipient: an inactive service, one that requires an EJ, and
    one of its legal commitments (the recipient manages EJs: GES-19)."""
    from sandbox.models import Structure

    with db.transaction() as s:
        public = s.get(Structure, world.public.id)
        inactive = make_service(s, public, est_actif=False)
        with_ej = make_service(s, public, numero_engagement=True)
        ej = make_engagement(s, public, recepteur=world.own, service=with_ej)
        return inactive.code, with_ej.code, ej.numero


@pytest.mark.parametrize(
    ("service_kind", "engagement", "expected"),
    [
        ("inactive", None, "n'est pas actif"),
        ("with_ej", None, "est obligatoire pour le service"),
        ("with_ej", "known", None),
        # GES-19: a number the recipient never issued
        ("with_ej", "0000000001", "n'est pas reference dans notre systeme pour ce destinataire"),
        (None, None, "est obligatoire si"),  # EJ or service (gestion_numero_ej_ou_code_service)
    ],
)
def test_recipient_service_rules(base_url, world, recipient_services, service_kind,
                                 engagement, expected):
    inactive, with_ej, known = recipient_services
    engagement = known if engagement == "known" else engagement
    service = {"inactive": inactive, "with_ej": with_ej, None: None}[service_kind]
    e = examples.Example(f"S{uuid.uuid4().hex[:12]}", world.own.identifiant,
                         world.public.identifiant, service=service, engagement=engagement)
    api = tech_client(base_url, world)
    answer = deposit(api, examples.ubl(e), "f.xml", SyntaxeFlux.IN_DP_E1_UBL_INVOICE)
    advance_clock(base_url, SETTINGS.factures_integration_delay + 1)
    cr = wait_terminal(api, answer["numeroFluxDepot"])
    if expected is None:
        assert cr["etatCourantDepotFlux"] == EtatFlux.IN_INTEGRE, cr
        return
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE
    assert expected in cr["listeErreurDP"][0]["libelleErreurDP"]


def test_every_failing_rule_of_one_invoice_is_listed_joined_by_a_bar(base_url, world):
    e = examples.Example(f"M{uuid.uuid4().hex[:12]}", world.own.identifiant, "12345678200028",
                         moyen_paiement=None, cadre="B7")
    api = tech_client(base_url, world)
    answer = deposit(api, examples.cii(e), "f.xml", SyntaxeFlux.IN_DP_E1_CII_16B)
    advance_clock(base_url, SETTINGS.factures_integration_delay + 1)
    (error,) = wait_terminal(api, answer["numeroFluxDepot"])["listeErreurDP"]
    parts = error["libelleErreurDP"].split("|")
    assert len(parts) == 3, parts
    assert "BuyerReference" in parts[0] and "TypeCode" in parts[1] and "B7" in parts[2]
    assert all(ord(ch) < 128 for ch in error["libelleErreurDP"])  # accents stripped


def test_a_cr_can_stay_introuvable_for_a_while_after_the_deposit(tmp_path, chorus_sandbox):
    """SANDBOX_FACTURES_CR_UNKNOWN_SECONDS: a poll right after the deposit gets 20001, as the
    C# sample expects on the real platform; once the window has passed, the CR answers."""
    from api_factories import build_world
    from factures_flux import CR_DETAILLE
    from stack_support import private_stack

    with private_stack(tmp_path, chorus_sandbox.database_url,
                       {"factures_cr_unknown_seconds": "30", "factures_integration_delay": "0",
                        "seed_structures": "5"}) as stack:
        db.init_engine(stack.database_url)
        with db.new_session() as s:
            own = build_world(s)
        api = tech_client(stack.url, own)
        e = examples.Example(f"U{uuid.uuid4().hex[:12]}", own.own.identifiant, ETAT,
                             service="SFACETAT")
        numero = deposit(api, examples.ubl(e), "f.xml", SyntaxeFlux.IN_DP_E1_UBL_INVOICE)[
            "numeroFluxDepot"]
        assert api.call(CR_DETAILLE, {"numeroFluxDepot": numero})["codeRetour"] == 20001
        advance_clock(stack.url, 31)
        assert wait_terminal(api, numero)["etatCourantDepotFlux"] == EtatFlux.IN_INTEGRE
