"""The qualification data set: entities, login patterns, CSV, mail, CLI."""

from __future__ import annotations

import random

from click.testing import CliRunner
from seeding_support import PRIVATE, PUBLIC, check_dataset_csv, private_db  # noqa: F401
from sqlalchemy import func, select

from sandbox import db
from sandbox.models import Dataset, OutboxMail, Rattachement, Service, Structure, User
from sandbox.security import verify_password
from sandbox.seeding import generate_dataset, reset
from sandbox.seeding.dataset import parse_dataset_csv


def test_dataset_creates_every_entity_and_account(private_db):  # noqa: F811
    reset(private_db)
    with db.transaction() as s:
        requester = s.scalar(select(User).where(User.login == "gestionnaire.demo@example.com"))
        dataset = generate_dataset(s, private_db, requester=requester)
        dataset_id = dataset.id
    with db.new_session() as s:
        stored = s.get(Dataset, dataset_id)
        content = check_dataset_csv(stored.csv)
        for entity in PRIVATE + PUBLIC:
            rows = content[entity]
            structure = s.scalar(select(Structure).where(
                Structure.identifiant == rows["SIRET Structure"]))
            assert structure.type_structure == ("PRIVEE" if entity in PRIVATE else "PUBLIQUE")
            codes = set(s.scalars(select(Service.code).where(
                Service.structure_id == structure.id)))
            assert rows["Code du service"] in codes
            accounts = [("Login compte GP", "Mot de passe Compte GP", "GESTIONNAIRE_PRINCIPAL"),
                        ("Login compte US", "Mot de passe Compte US", "UTILISATEUR")]
            if entity in PUBLIC:
                label = f"Label_Acheteur_{rows['SIRET Structure']}"
                accounts.append((label, f"Mot de passe {label}", "UTILISATEUR"))
            for login_key, password_key, role in accounts:
                user = s.scalar(select(User).where(User.login == rows[login_key].lower()))
                assert user.statut == "ACTIF"
                assert verify_password(user.password_hash, rows[password_key])
                assert s.scalar(select(func.count()).where(
                    Rattachement.user_id == user.id, Rattachement.structure_id == structure.id,
                    Rattachement.role == role, Rattachement.statut == "VALIDEE")) == 1
        tech = s.scalar(select(User).where(
            User.login == content["Fournisseur"]["Login compte technique"].lower()))
        assert tech.is_technical and tech.password_expires_at is not None
        assert verify_password(tech.password_hash,
                               content["Fournisseur"]["Mot de passe compte technique"])
        mail = s.scalar(select(OutboxMail).where(OutboxMail.kind == "jeu_de_donnees"))
        assert mail.to_addr == "gestionnaire.demo@example.com"
        assert mail.link.endswith(f"/qualification/jeu-de-donnees/{dataset_id}.csv")
        assert "jeu de données" in mail.subject


def test_two_datasets_never_share_a_siret(private_db):  # noqa: F811
    reset(private_db)
    sirets = set()
    with db.transaction() as s:
        for _ in range(2):  # the same draws twice: the second must avoid the first's SIRETs
            content = parse_dataset_csv(
                generate_dataset(s, private_db, rng=random.Random(1)).csv)
            sirets |= {content[e]["SIRET Structure"] for e in PRIVATE + PUBLIC}
    assert len(sirets) == 12


def test_cli_dataset_writes_the_csv(private_db, tmp_path):  # noqa: F811
    from sandbox.cli import main

    reset(private_db)
    env = {"SANDBOX_DATABASE_URL": private_db.database_url}
    out = tmp_path / "jeu.csv"
    result = CliRunner().invoke(main, ["dataset", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    check_dataset_csv(out.read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["dataset", "--requester", "nobody@example.com"], env=env)
    assert result.exit_code != 0 and "no user with login" in result.output
