"""Helpers of the seeding tests: a private database per test.

Seeding replaces every row of its database, so these tests never touch the
shared stack's database: each gets an empty SQLite file, or a new PostgreSQL
database when the suite runs on PostgreSQL (``SANDBOX_TEST_DATABASE_URL``); the
process's engine is pointed back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stdnum import luhn

from sandbox import db, schema
from sandbox.config import Settings, load_settings
from sandbox.seeding.dataset import parse_dataset_csv
from sandbox.testing.harness import create_database, drop_database, suite_database_server


@pytest.fixture
def private_db(tmp_path) -> Iterator[Settings]:
    """Settings aimed at an empty database of this test (engine restored after)."""
    previous = db._engine_url
    server = suite_database_server()
    url = create_database(server, "sandbox_seed") if server else f"sqlite:///{tmp_path / 'seed.db'}"
    settings = load_settings({"database_url": url})
    db.init_engine(settings.database_url)
    schema.create_schema()
    try:
        yield settings
    finally:
        if previous is not None:
            db.init_engine(previous)
        else:
            db.engine().dispose()
        if server:
            drop_database(url)


PRIVATE = ("Fournisseur", "Valideur", "MOE")
PUBLIC = ("Destinataire", "Destinataire 2", "MOA")
PERMANENT = {
    "Destinataire Etat": ("11000201100044", "SFACETAT"),
    "Destinataire avec service obligatoire": ("12345678200028", "SERVICE_DEST_SERV_OBL"),
    "Destinataire avec EJ obligatoire": ("12345678200036", None),
    "Destinataire avec EJ ou service obligatoire": ("12345678200044",
                                                    "SERVICE_DEST_EJ_OU_SERV_OBL"),
    "Destinataire sans paramètre": ("12345678200051", None),
}

# The sandbox's scenario recipients (docs/factures.md), after the real data set's rows.
SCENARIO = {
    "Scénario Destinataire payée": ("13009900500014", "SCENARIO_PAYEE"),
    "Scénario Destinataire suspendue puis complétée": ("13009900500022", "SCENARIO_SUSPENDUE"),
    "Scénario Destinataire rejetée": ("13009900500030", "SCENARIO_REJETEE"),
    "Scénario Destinataire flux en incident": ("13009900500048", "SCENARIO_INCIDENT"),
    "Scénario Destinataire refus du valideur": ("13009900500055", "SCENARIO_REFUS_VALIDEUR"),
    "Scénario Destinataire travaux MOE puis MOA": ("13009900500063", "SCENARIO_TRAVAUX"),
}


def check_dataset_csv(text: str) -> dict[str, dict[str, str]]:
    """Assert the reference's 2024 layout; return the parsed content."""
    assert text.splitlines()[0] == "Entite;Libelle;Valeur"
    content = parse_dataset_csv(text)
    assert set(PRIVATE + PUBLIC + tuple(PERMANENT) + tuple(SCENARIO)) == set(content)
    for entity in PRIVATE + PUBLIC:
        rows = content[entity]
        siret = rows["SIRET Structure"]
        kind = "PRIVE" if entity in PRIVATE else "PUBLIQUE"
        assert len(siret) == 14 and siret.isdigit()
        assert not luhn.is_valid(siret)  # like the real data sets
        assert rows["Raison sociale"] == f"{entity} {siret}"
        assert rows["Code du service"] == f"SERVICE_{kind}_1_{siret}"
        assert rows["Login compte GP"] == f"GEST_{kind}_1_{siret}@cpro.fr"
        assert rows["Login compte US"] == f"USER_{kind}_1_{siret}@cpro.fr"
        assert len(rows["Mot de passe Compte GP"]) >= 12
        assert len(rows["Mot de passe Compte US"]) >= 12
        if kind == "PUBLIQUE":
            assert rows["Code du service Acheteur"] == "Acheteur"
            assert rows[f"Label_Acheteur_{siret}"] == f"USER_PUBLIQUE_ACHETEUR_1_{siret}@cpro.fr"
            assert rows[f"Mot de passe Label_Acheteur_{siret}"]
    fournisseur = content["Fournisseur"]
    assert fournisseur["Login compte technique"] == (
        f"TECH_1_{fournisseur['SIRET Structure']}@cpro.fr")
    for entity, (siret, code) in PERMANENT.items():
        assert content[entity]["SIRET Structure"] == siret
        assert content[entity].get("Code du service") == code
        numero = content[entity].get("Numéro d'engagement juridique")
        if siret in ("12345678200036", "12345678200044"):  # the EJ given to the Fournisseur
            assert numero is not None and len(numero) == 10 and numero.isdigit(), numero
        else:
            assert numero is None
    for entity, (siret, code) in SCENARIO.items():
        assert content[entity]["SIRET Structure"] == siret
        assert content[entity]["Code du service"] == code
        assert content[entity]["Scénario"]
    return content
