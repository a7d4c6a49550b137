"""The seeded legal commitments (EJ): what a reset writes, what a database seeded before
them gains at the next start (``ensure_seeded``), in-process on a fresh SQLite file."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from sandbox import db
from sandbox.models import EngagementJuridique, EngagementPoste, Structure
from sandbox.seeding import engagements, store
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


def test_past_its_share_the_default_supplier_receives_no_more_ejs(settings, session, monkeypatch):
    """A data set whose generated EJs outnumber ``DEFAULT_RECEIVES`` (at 1,000,000
    structures: 90,000) gives the rest to generated private structures, drawn from the
    seed; the first ones, their numbers and amounts are those of a smaller share."""
    settings = settings.replace(seed_structures=200)

    def seeded() -> tuple[int, list[tuple[str, int | None, float]], dict[int, str]]:
        store.reset(settings)
        with db.new_session() as s:
            supplier = s.scalar(select(Structure.id).where(
                Structure.identifiant == default_structure_siret(settings.seed)))
            rows = s.execute(select(EngagementJuridique.numero,
                                    EngagementJuridique.recepteur_structure_id,
                                    EngagementJuridique.montant_ttc)
                             .order_by(EngagementJuridique.id)).all()
            types = {i: t for i, t in s.execute(select(Structure.id, Structure.type_structure))}
        assert supplier is not None
        return supplier, [tuple(row) for row in rows], types

    supplier, whole, _ = seeded()
    generated = [row for row in whole if row[0] >= f"{engagements.FIRST_GENERATED_NUMBER:010d}"]
    assert len(generated) > 4 and all(row[1] == supplier for row in whole)

    monkeypatch.setattr(engagements, "DEFAULT_RECEIVES", 4)
    again, capped, types = seeded()
    assert again == supplier
    # same EJs, numbers and amounts; only the receiving structure of those past the share moved
    assert [(n, m) for n, _, m in capped] == [(n, m) for n, _, m in whole]
    receivers = {n: r for n, r, _ in capped}
    kept = [n for n, _, _ in generated[:4]]
    moved = [n for n, _, _ in generated[4:]]
    assert all(receivers[n] == supplier for n in kept)
    assert all(receivers[n] != supplier and types[receivers[n]] == "PRIVEE" for n in moved)
    assert len({receivers[n] for n in moved}) > 1  # spread, not all on one other supplier
    assert seeded()[1] == capped  # drawn from the seed: the same on every reset
