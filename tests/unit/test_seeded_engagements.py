"""The seeded legal commitments (EJ): what a reset writes, what a database seeded before
them gains at the next start (``ensure_seeded``), in-process on a fresh SQLite file."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from sandbox import db
from sandbox.models import EngagementJuridique, EngagementPoste, Structure
from sandbox.seeding import store
from sandbox.seeding.engagements import PERMANENT
from sandbox.seeding.generator import default_structure_siret


def test_a_reset_seeds_the_permanent_recipients_ejs_given_to_the_default_supplier(
    settings, session
):  # session: bound to a new database, the engine put back after
    settings = settings.replace(seed_structures=200)
    store.reset(settings)
    with db.new_session() as s:
        supplier = s.scalar(select(Structure.id).where(
            Structure.identifiant == default_structure_siret(settings.seed)))
        rows = {ej.numero: ej for ej in s.scalars(select(EngagementJuridique))}
        for siret, _code, numero, etat in PERMANENT:
            ej = rows[numero]
            assert ej.etat == etat and ej.recepteur_structure_id == supplier
            assert s.get_one(Structure, ej.emetteur_structure_id).identifiant == siret
            assert ej.postes and round(sum(p.montant_ttc for p in ej.postes), 2) == ej.montant_ttc
        # the generated structures that require an EJ have two each
        requiring = s.scalars(select(Structure.id).where(
            Structure.numero_ej_doit_etre_renseigne.is_(True),
            Structure.identifiant.not_in([p[0] for p in PERMANENT]))).all()
        assert requiring  # 200 structures: some public ones require an EJ
        for structure_id in requiring:
            assert s.scalar(select(func.count()).select_from(EngagementJuridique).where(
                EngagementJuridique.emetteur_structure_id == structure_id)) == 2


def test_a_database_seeded_before_the_ejs_gains_them_at_the_next_start(settings, session):
    settings = settings.replace(seed_structures=20)
    store.reset(settings)
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(EngagementJuridique))
        s.execute(delete(EngagementPoste))
        s.execute(delete(EngagementJuridique))
    assert store.ensure_seeded(settings) == {"engagements_added": before}
    assert store.ensure_seeded(settings) == {}  # once only: a table with EJs is left alone
