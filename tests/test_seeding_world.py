"""The seeded world: determinism, realistic identifiers, permanent recipients, reset."""

from __future__ import annotations

import re

from click.testing import CliRunner
from seeding_support import private_db  # noqa: F401  (fixture)
from sqlalchemy import delete, func, select
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva

from sandbox import db
from sandbox.factures.rules.scenarios import SCENARIO_SIRETS
from sandbox.models import (
    OAuthClient,
    OutboxMail,
    Rattachement,
    Service,
    Structure,
    User,
)
from sandbox.security import verify_password
from sandbox.seeding import (
    canonical_dump,
    default_credentials,
    default_credentials_text,
    ensure_seeded,
    reset,
    seed_world,
    store,
)
from sandbox.seeding.generator import PERMANENT_RECIPIENTS, SEED_EPOCH

PERMANENT = {
    "11000201100044": ({}, {"SFACETAT"}),
    "12345678200028": ({"code_service_doit_etre_renseigne"}, {"SERVICE_DEST_SERV_OBL"}),
    "12345678200036": ({"numero_ej_doit_etre_renseigne"}, set()),
    "12345678200044": ({"gestion_numero_ej_ou_code_service"}, {"SERVICE_DEST_EJ_OU_SERV_OBL"}),
    "12345678200051": ({}, set()),
}
FLAGS = ("code_service_doit_etre_renseigne", "numero_ej_doit_etre_renseigne",
         "gestion_numero_ej_ou_code_service")


def _dump() -> str:
    with db.new_session() as s:
        return canonical_dump(s)


def _assert_permanent_recipients() -> None:
    with db.new_session() as s:
        for siret, (flags, codes) in PERMANENT.items():
            structure = s.scalar(select(Structure).where(Structure.identifiant == siret))
            assert structure is not None, siret
            assert structure.type_structure == "PUBLIQUE"
            assert {f for f in FLAGS if getattr(structure, f)} == set(flags), siret
            assert {svc.code for svc in structure.services} == codes, siret


def test_same_seed_gives_the_same_database_and_another_seed_another(private_db):  # noqa: F811
    settings = private_db.replace(seed_structures=60)
    reset(settings, seed=11)
    first = _dump()
    reset(settings, seed=12)
    other = _dump()
    # Rebuild from scratch (no cached baseline), streamed in small batches.
    store._cache.clear()
    seed_world(settings, 11, 60, batch_size=7)
    again = _dump()
    assert first == again
    assert first != other
    assert len(first.splitlines()) > 300


def test_generated_sirets_tva_and_rcs_are_valid(private_db):  # noqa: F811
    reset(private_db, seed=3)
    with db.new_session() as s:
        rows = s.execute(
            select(Structure.identifiant, Structure.numero_tva, Structure.numero_rcs,
                   Structure.type_structure)
            .where(Structure.type_identifiant == "SIRET")
        ).all()
    assert len(rows) > 150
    sirets = [r.identifiant for r in rows]
    assert len(set(sirets)) == len(sirets)
    for siret, tva, rcs, kind in rows:
        assert fr_siret.is_valid(siret), siret
        assert fr_siren.is_valid(siret[:9]), siret
        if kind == "PRIVEE":
            assert fr_tva.is_valid(tva), tva
            assert tva[4:] == siret[:9]
            assert rcs.replace(" ", "").endswith(siret[:9])
    # Public bodies carry the SIREN prefixes of their category.
    public = {r.identifiant[:2] for r in rows if r.type_structure == "PUBLIQUE"}
    assert {"21", "26"} <= public


def test_world_has_every_state_and_status(private_db):  # noqa: F811
    reset(private_db, seed=5)
    with db.new_session() as s:
        statuts = set(s.scalars(select(User.statut).where(User.is_technical.is_(False))))
        assert statuts == {"EN_ATTENTE_ACTIVATION", "ACTIF", "INACTIF"}
        assert s.scalar(select(func.count()).where(User.locked_until.is_not(None))) > 0
        assert set(s.scalars(select(Rattachement.statut))) == {
            "EN_COURS_DE_VALIDATION", "REFUSEE", "VALIDEE", "DESACTIVEE", "SUPPRIMEE"
        }
        # One gestionnaire principal on (nearly) every generated structure.
        gps = s.scalar(select(func.count()).where(Rattachement.role == "GESTIONNAIRE_PRINCIPAL"))
        assert gps >= 200
        # Pending users have no password; the others' seeded hashes are cheap scrypt.
        assert s.scalar(select(func.count()).where(
            User.statut == "EN_ATTENTE_ACTIVATION", User.password_hash.is_not(None))) == 0
        # Technical accounts: TECH_1_<SIRET of their structure>@cpro.fr.
        techs = s.execute(
            select(User.login, Structure.identifiant, User.password_expires_at)
            .join(Structure, Structure.id == User.technical_structure_id)
            .where(User.is_technical.is_(True))
        ).all()
        assert len(techs) >= 2
        for login, siret, expires in techs:
            assert login == f"tech_1_{siret}@cpro.fr"
            assert expires is not None
        assert s.scalar(select(func.count()).select_from(OAuthClient)) >= 2
        # Every public structure has FACTURES_PUBLIQUES.
        public_ids = set(s.scalars(select(Structure.id).where(
            Structure.type_structure == "PUBLIQUE",
            Structure.identifiant.not_in([*PERMANENT, *SCENARIO_SIRETS]))))
        with_fp = set(s.scalars(select(Service.structure_id).where(
            Service.code == "FACTURES_PUBLIQUES")))
        assert public_ids and public_ids <= with_fp


def test_permanent_recipients_after_seed_reset_and_restart(private_db):  # noqa: F811
    assert ensure_seeded(private_db)["structures"] >= 205
    _assert_permanent_recipients()
    assert ensure_seeded(private_db) == {}  # already seeded: nothing to do
    reset(private_db, seed=99)
    _assert_permanent_recipients()
    # A recipient deleted by hand comes back at the next start.
    with db.transaction() as s:
        s.execute(delete(Structure).where(Structure.identifiant == "12345678200028"))
    assert ensure_seeded(private_db) == {"permanent_recipients_restored": 1}
    _assert_permanent_recipients()
    assert len(PERMANENT_RECIPIENTS) == len(PERMANENT)


def test_reset_restores_the_baseline_and_empties_the_outbox(private_db):  # noqa: F811
    reset(private_db)
    baseline = _dump()
    with db.transaction() as s:
        s.execute(delete(User).where(User.login == "gestionnaire.demo@example.com"))
        s.add(Structure(type_identifiant="SIRET", identifiant="29900001800018",
                        raison_sociale="Ajout", created_at=SEED_EPOCH, updated_at=SEED_EPOCH))
        from sandbox.mail.outbox import enqueue

        enqueue(s, "activation", "x@example.com",
                {"prenom": "A", "nom": "B", "login": "x", "link": "http://l", "validity": "1 h"})
    assert _dump() != baseline
    report = reset(private_db)
    assert report["structures"] >= 205
    assert _dump() == baseline
    with db.new_session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_default_credentials_work_against_the_seeded_rows(private_db):  # noqa: F811
    reset(private_db, seed=42)
    creds = default_credentials(private_db)
    assert creds["seed"] == 42  # read back from the database
    assert creds == default_credentials(private_db)  # stable
    assert default_credentials(private_db, seed=43)["gestionnaire"]["password"] != (
        creds["gestionnaire"]["password"])
    with db.new_session() as s:
        gp = s.scalar(select(User).where(User.login == creds["gestionnaire"]["login"]))
        assert verify_password(gp.password_hash, creds["gestionnaire"]["password"])
        tech = s.scalar(select(User).where(
            User.login == creds["technical_account"]["login"].lower()))
        assert tech.is_technical
        assert verify_password(tech.password_hash, creds["technical_account"]["password"])
        structure = s.get(Structure, tech.technical_structure_id)
        assert structure.identifiant == creds["structure"]["identifiant"]
        assert s.scalar(select(func.count()).where(
            Rattachement.user_id == gp.id, Rattachement.structure_id == structure.id,
            Rattachement.role == "GESTIONNAIRE_PRINCIPAL", Rattachement.statut == "VALIDEE")) == 1
        client = s.scalar(select(OAuthClient).where(
            OAuthClient.client_id == creds["oauth_client"]["client_id"]))
        assert client.client_secret == creds["oauth_client"]["client_secret"]
        # Generated users share one seeded password.
        some = s.scalar(select(User).where(
            User.statut == "ACTIF", User.is_technical.is_(False), User.id != gp.id).limit(1))
        assert verify_password(some.password_hash, creds["generated_users_password"])
    text = default_credentials_text(private_db)
    assert creds["gestionnaire"]["password"] in text
    assert creds["oauth_client"]["client_secret"] in text


def test_cli_seed_and_credentials(private_db):  # noqa: F811
    from sandbox.cli import main

    env = {"SANDBOX_DATABASE_URL": private_db.database_url}
    result = CliRunner().invoke(main, ["seed", "--seed", "8", "--structures", "25",
                                       "--users", "40", "--batch-size", "10"], env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"Done: 31 structures", result.output), result.output
    assert "structures/s" in result.output and "peak RSS" in result.output
    with db.new_session() as s:
        # and the scenario recipients, after them
        assert s.scalar(select(func.count()).select_from(Structure)) == 31 + len(SCENARIO_SIRETS)
    result = CliRunner().invoke(main, ["credentials"], env=env)
    assert result.exit_code == 0
    assert "(seed 8)" in result.output
    assert default_credentials(private_db, seed=8)["gestionnaire"]["password"] in result.output


def test_siret_factory_is_unique_and_valid_at_scale():
    import random

    from stdnum import luhn

    from sandbox.seeding.identifiers import (
        PUBLIC_PREFIXES,
        SiretFactory,
        random_non_luhn_siret,
    )

    factory = SiretFactory(random.Random(1))
    sirets = [factory.private()[1] for _ in range(50_000)]
    sirets += [factory.public(kind)[1] for kind in PUBLIC_PREFIXES for _ in range(2_000)]
    assert len(set(s[:9] for s in sirets)) == len(sirets)  # one SIREN each
    assert all(fr_siret.is_valid(s) for s in sirets)
    assert not {s[:9] for s in sirets} & {"110002011", "123456782"}
    rng = random.Random(2)
    assert not any(luhn.is_valid(random_non_luhn_siret(rng)) for _ in range(1_000))
