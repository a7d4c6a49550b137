"""Seed the scenario recipients (``sandbox.factures.rules.scenarios``): their structures
and services after every other seeded row (no seeded id moves: they take the next ids),
and their scripts as lifecycle policies. Idempotent: what is there is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from sandbox.factures.models import LifecyclePolicy
from sandbox.factures.rules.scenarios import SCENARIO_SIRETS, SCENARIOS, install_script
from sandbox.models import Service, Structure
from sandbox.seeding.generator import WorldGenerator
from sandbox.vocabulary import TypeIdentifiant, TypeStructure

CREATED = datetime(2017, 1, 1)


def seed_scenarios(s: Session, seed: int) -> int:
    """Add the missing scenario recipients and the scripts of those without a policy;
    return how many recipients were added. The caller commits (and fixes sequences)."""
    present = dict(s.execute(
        select(Structure.identifiant, Structure.id).where(
            Structure.type_identifiant == TypeIdentifiant.SIRET,
            Structure.identifiant.in_(SCENARIO_SIRETS))).all())
    next_structure = (s.scalar(select(func.max(Structure.id))) or 0) + 1
    next_service = (s.scalar(select(func.max(Service.id))) or 0) + 1
    generator = WorldGenerator(seed, 0)
    added = 0
    for scenario in SCENARIOS:
        structure_id = present.get(scenario.identifiant)
        if structure_id is None:
            row = generator.structure_row(
                identifiant=scenario.identifiant, type_structure=TypeStructure.PUBLIQUE,
                raison_sociale=scenario.raison_sociale, adresse="1 rue de la Qualification",
                code_postal="75012", ville="Paris", created_at=CREATED)
            row["id"] = structure_id = next_structure
            next_structure += 1
            service = generator.service_row(row, *scenario.service)
            service["id"] = next_service
            next_service += 1
            s.execute(insert(Structure), [row])
            s.execute(insert(Service), [service])
            added += 1
        has_script = s.scalar(select(func.count()).select_from(LifecyclePolicy)
                              .where(LifecyclePolicy.destinataire_id == structure_id))
        if not has_script:
            install_script(s, scenario, structure_id)
            s.execute(update(LifecyclePolicy)  # dated as the seed, not as the run
                      .where(LifecyclePolicy.destinataire_id == structure_id)
                      .values(created_at=CREATED))
    s.flush()
    return added
