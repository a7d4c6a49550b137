"""Scenario fixtures: shipped files load idempotently; broken ones say where and why."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from seeding_support import private_db  # noqa: F401  (fixture)
from sqlalchemy import select

from sandbox import db
from sandbox.models import Rattachement, RattachementService, Structure, User
from sandbox.security import verify_password
from sandbox.seeding import canonical_dump, load_fixture, reset
from sandbox.seeding.fixtures import FixtureError, shipped_fixtures


def _dump() -> str:
    with db.new_session() as s:
        return canonical_dump(s)


def test_shipped_fixtures_load_and_reload_idempotently(private_db):  # noqa: F811
    reset(private_db)
    files = shipped_fixtures()
    assert len(files) >= 4
    for path in files:
        first = load_fixture(path, settings=private_db)
        assert first["created"] > 0, path
    loaded = _dump()
    for path in files:
        again = load_fixture(path, settings=private_db)
        assert (again["created"], again["updated"]) == (0, 0), path
    assert _dump() == loaded


def test_gestionnaire_with_one_pending_demande(private_db):  # noqa: F811
    load_fixture("gestionnaire-demande-en-attente", settings=private_db)
    with db.new_session() as s:
        structure = s.scalar(select(Structure).where(Structure.identifiant == "29900001800018"))
        rows = s.scalars(select(Rattachement).where(
            Rattachement.structure_id == structure.id)).all()
        by_role = {r.role: r for r in rows}
        gp = s.get(User, by_role["GESTIONNAIRE_PRINCIPAL"].user_id)
        assert gp.statut == "ACTIF"
        assert verify_password(gp.password_hash, "Scenario-Demande-2024!")
        pending = [r for r in rows if r.statut == "EN_COURS_DE_VALIDATION"]
        assert len(pending) == 1
        assert s.get(User, pending[0].user_id).statut == "EN_ATTENTE_ACTIVATION"
        assert len(s.scalars(select(RattachementService).where(
            RattachementService.rattachement_id == pending[0].id)).all()) == 1


def test_a_changed_fixture_updates_in_place(private_db, tmp_path):  # noqa: F811
    path = tmp_path / "f.yaml"
    text = ("description: d\nstructures:\n  - identifiant: \"29900001800018\"\n"
            "    raison_sociale: Avant\n")
    path.write_text(text)
    assert load_fixture(path, settings=private_db)["created"] == 1
    path.write_text(text.replace("Avant", "Après"))
    report = load_fixture(path, settings=private_db)
    assert (report["created"], report["updated"]) == (0, 1)
    with db.new_session() as s:
        names = s.scalars(select(Structure.raison_sociale).where(
            Structure.identifiant == "29900001800018")).all()
    assert names == ["Après"]


BROKEN = [
    # (content, line, field, words of the message)
    ("description: d\nusers:\n  - login: a@example.com\n    password: Passw0rd-long!\n"
     "    state: asleep\n", 5, "users[0].state", "pending"),
    ("description: d\nstructures:\n  - identifiant: \"29900001800018\"\n"
     "    raison_social: typo\n", 4, "structures[0].raison_social", "Extra inputs"),
    ("description: d\nstructures:\n  - identifiant: \"123\"\n", 3,
     "structures[0].identifiant", "14 digits"),
    ("description: d\nrattachements:\n  - user: nobody@example.com\n"
     "    structure: \"29900001800018\"\n", 3, "rattachements[0].user", "no user"),
    ("description: d\nusers: [\n", 3, "(syntax)", "YAML error"),
]


@pytest.mark.parametrize(("content", "line", "field", "words"), BROKEN)
def test_broken_fixture_names_file_line_and_field(private_db, tmp_path, content, line, field,  # noqa: F811
                                                  words):
    load_fixture("comptes-tous-etats", settings=private_db)
    before = _dump()
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    with pytest.raises(FixtureError) as caught:
        load_fixture(path, settings=private_db)
    message = str(caught.value)
    assert f"{path}:{line}: {field}: " in message, message
    assert words in message
    assert _dump() == before  # nothing written


def test_cli_load_fixture_reports_errors(private_db, tmp_path):  # noqa: F811
    from sandbox.cli import main

    env = {"SANDBOX_DATABASE_URL": private_db.database_url}
    result = CliRunner().invoke(main, ["load-fixture", "integrateur-api"], env=env)
    assert result.exit_code == 0, result.output
    assert "integrateur-api.yaml: 9 created, 0 updated" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: d\nusers:\n  - login: nope\n    password: x\n")
    result = CliRunner().invoke(main, ["load-fixture", str(bad)], env=env)
    assert result.exit_code != 0
    assert f"{bad}:3: users[0].login" in result.output
