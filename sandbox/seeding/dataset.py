"""The qualification data set ("matelas de données"), in its real 2024 shape.

Reference §4.3: six structures with a random 14-digit SIRET each (not Luhn-valid,
as on the real platform), private ``Fournisseur``, ``Valideur``, ``MOE`` and public
``Destinataire``, ``Destinataire 2``, ``MOA``; per structure a service
``SERVICE_PRIVE_1_<SIRET>`` / ``SERVICE_PUBLIQUE_1_<SIRET>`` (and ``Acheteur`` on
public ones), a gestionnaire ``GEST_…_1_<SIRET>@cpro.fr``, a user
``USER_…_1_<SIRET>@cpro.fr`` (and a buyer ``USER_PUBLIQUE_ACHETEUR_1_<SIRET>@cpro.fr``
on public ones), and a technical account ``TECH_1_<SIRET>@cpro.fr`` (made by the PISTE area's
``create_technical_account``, without its mail: the data-set mail says it all). The result is
a CSV ``Entite;Libelle;Valeur`` kept in table ``datasets``.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts.technical import create_technical_account, technical_login
from sandbox.builders import new_structure
from sandbox.config import Settings
from sandbox.engagements import rules as engagements
from sandbox.factures.rules.scenarios import SCENARIOS
from sandbox.mail.senders import send_dataset_email
from sandbox.models import (
    Dataset,
    Espace,
    Rattachement,
    RattachementService,
    Service,
    Structure,
    User,
)
from sandbox.security import SEED_HASH_METHOD, generate_password, hash_password
from sandbox.seeding.generator import (
    ESPACES,
    PERMANENT_RECIPIENTS,
    PRIVATE_ESPACES,
    PUBLIC_ESPACES,
    PermanentRecipient,
)
from sandbox.seeding.identifiers import random_non_luhn_siret
from sandbox.vocabulary import (
    EtatEspace,
    Role,
    StatutRattachement,
    StatutUtilisateur,
    TypeHabilitation,
    TypeIdentifiant,
    TypeStructure,
)

# (entity, PRIVE|PUBLIQUE, parametres), in the order of the real CSV. The kind is the
# real data set's label (in logins and codes), not the TypeStructure value.
ENTITIES: tuple[tuple[str, str, dict[str, Any]], ...] = (  # parametres: Structure columns
    ("Fournisseur", "PRIVE", {}),
    ("Valideur", "PRIVE", {"est_valideur_delegue": True}),
    ("MOE", "PRIVE", {}),
    ("Destinataire", "PUBLIQUE", {}),
    ("Destinataire 2", "PUBLIQUE", {}),
    ("MOA", "PUBLIQUE", {"est_moa": True}),
)
TECHNICAL_ENTITY = "Fournisseur"
# The CSV line that gives, under a permanent recipient requiring an EJ, the legal commitment
# it issued to this data set's Fournisseur (the real data set comes with an EJ report).
ENGAGEMENT_LIBELLE = "Numéro d'engagement juridique"
HEADER = ("Entite", "Libelle", "Valeur")


@dataclass
class _Rows:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, entity: str, libelle: str, valeur: object) -> None:
        self.rows.append((entity, libelle, str(valeur)))

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(self.rows)
        return out.getvalue()


def parse_dataset_csv(text: str) -> dict[str, dict[str, str]]:
    """Read a data-set CSV back: ``{entity: {libelle: valeur}}``."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    header = next(reader, None)
    if tuple(header or ()) != HEADER:
        raise ValueError(f"not a data-set CSV: header {header!r}")
    result: dict[str, dict[str, str]] = {}
    for line, row in enumerate(reader, start=2):
        if len(row) != 3:
            raise ValueError(f"line {line}: expected 3 fields, got {len(row)}")
        result.setdefault(row[0], {})[row[1]] = row[2]
    return result


def _fresh_sirets(s: Session, rng: random.Random, n: int) -> list[str]:
    """``n`` distinct non-Luhn SIRETs that no structure uses yet."""
    while True:
        candidates = {random_non_luhn_siret(rng) for _ in range(n)}
        if len(candidates) < n:
            continue
        taken = s.scalars(
            select(Structure.identifiant).where(
                Structure.type_identifiant == TypeIdentifiant.SIRET,
                Structure.identifiant.in_(candidates),
            )
        ).all()
        if not taken:
            return sorted(candidates, key=lambda c: rng.random())


def generate_dataset(
    s: Session,
    settings: Settings,
    requester: User | None = None,
    rng: random.Random | None = None,
) -> Dataset:
    """Create a data set's structures and accounts in ``s``; mail ``requester`` if given.

    The caller commits (the mail is promised by the same transaction).
    """
    db.begin_write(s)  # the whole data set in one writing transaction
    rng = rng or random.Random()
    fake = Faker("fr_FR")
    fake.seed_instance(rng.getrandbits(64))
    now = clock.utcnow_naive()
    out = _Rows()

    def password() -> str:
        return generate_password(16, rng=rng)  # type: ignore[arg-type]

    def account(login: str, prenom: str, nom: str, pw: str) -> User:
        user = User(
            login=login.lower(),
            prenom=prenom,
            nom=nom,
            email_contact=login.lower(),
            password_hash=hash_password(pw, SEED_HASH_METHOD),
            statut=StatutUtilisateur.ACTIF,
            is_technical=False,
            failed_logins=0,
            created_at=now,
            activated_at=now,
        )
        s.add(user)
        return user

    def attach(user: User, structure: Structure, role: str, services: list[Service]) -> None:
        rattachement = Rattachement(
            user=user,
            structure=structure,
            role=role,
            statut=StatutRattachement.VALIDEE,
            created_at=now,
            decided_at=now,
        )
        s.add(rattachement)
        for service in services:
            s.add(
                RattachementService(
                    rattachement=rattachement,
                    service=service,
                    statut=StatutRattachement.VALIDEE,
                    date_debut=now,
                )
            )

    sirets = _fresh_sirets(s, rng, len(ENTITIES))
    fournisseur: Structure | None = None
    for (entity, kind, parametres), siret in zip(ENTITIES, sirets, strict=True):
        public = kind == "PUBLIQUE"
        structure = new_structure(
            identifiant=siret,
            now=now,
            type_structure=TypeStructure.PUBLIQUE if public else TypeStructure.PRIVEE,
            raison_sociale=f"{entity} {siret}",
            email=f"GEST_{kind}_1_{siret}@cpro.fr".lower(),
            adresse=fake.street_address(),
            code_postal=fake.postcode(),
            ville=fake.city(),
            **parametres,
        )
        s.add(structure)
        s.flush()  # its id, for the rows that reference it by column
        service = Service(
            structure=structure,
            code=f"SERVICE_{kind}_1_{siret}",
            libelle=f"Service {entity} {siret}",
            est_actif=True,
            date_debut=now,
            created_at=now,
            updated_at=now,
        )
        s.add(service)
        services = [service]
        buyer_service = None
        if public:
            buyer_service = Service(
                structure=structure, code="Acheteur", libelle="Acheteur", est_actif=True,
                date_debut=now, created_at=now, updated_at=now,
            )
            s.add(buyer_service)
            services.append(buyer_service)
        for espace_code in PUBLIC_ESPACES if public else PRIVATE_ESPACES:
            s.add(Espace(structure_id=structure.id, code=espace_code, libelle=ESPACES[espace_code],
                         etat=EtatEspace.ACTIVE,
                         type_habilitation=TypeHabilitation.MODIFICATION))

        gp_login, gp_pw = f"GEST_{kind}_1_{siret}@cpro.fr", password()
        us_login, us_pw = f"USER_{kind}_1_{siret}@cpro.fr", password()
        gestionnaire = account(gp_login, "Gestionnaire", entity, gp_pw)
        attach(gestionnaire, structure, Role.GESTIONNAIRE_PRINCIPAL, services)
        attach(account(us_login, "Utilisateur", entity, us_pw), structure,
               Role.UTILISATEUR, [service])
        out.add(entity, "SIRET Structure", siret)
        out.add(entity, "Raison sociale", structure.raison_sociale)
        out.add(entity, "Code du service", service.code)
        out.add(entity, "Login compte GP", gp_login)
        out.add(entity, "Mot de passe Compte GP", gp_pw)
        out.add(entity, "Login compte US", us_login)
        out.add(entity, "Mot de passe Compte US", us_pw)
        if buyer_service is not None:  # a public structure's
            buyer_login, buyer_pw = f"USER_PUBLIQUE_ACHETEUR_1_{siret}@cpro.fr", password()
            attach(account(buyer_login, "Acheteur", entity, buyer_pw), structure,
                   Role.UTILISATEUR, [buyer_service])
            out.add(entity, "Code du service Acheteur", buyer_service.code)
            out.add(entity, f"Label_Acheteur_{siret}", buyer_login)
            out.add(entity, f"Mot de passe Label_Acheteur_{siret}", buyer_pw)
        if entity == TECHNICAL_ENTITY:
            fournisseur = structure
            s.flush()  # the gestionnaire's rattachement, which the PISTE area checks
            tech_pw = password()
            create_technical_account(
                s, settings, structure, gestionnaire, password=tech_pw,
                hash_method=SEED_HASH_METHOD, notify=False,
            )
            tech_login = technical_login(structure)
            out.add(entity, "Login compte technique", tech_login)
            out.add(entity, "Mot de passe compte technique", tech_pw)

    for recipient in PERMANENT_RECIPIENTS:
        entity = recipient["raison_sociale"]
        out.add(entity, "SIRET Structure", recipient["identifiant"])
        for code, _ in recipient["services"]:
            out.add(entity, "Code du service", code)
        numero = _engagement(s, recipient, fournisseur, rng, now)
        if numero is not None:
            out.add(entity, ENGAGEMENT_LIBELLE, numero)
    for scenario in SCENARIOS:  # the sandbox's own, after the real data set's rows
        out.add(scenario.raison_sociale, "SIRET Structure", scenario.identifiant)
        out.add(scenario.raison_sociale, "Code du service", scenario.service[0])
        out.add(scenario.raison_sociale, "Scénario", scenario.summary)

    dataset = Dataset(
        requester_user_id=requester.id if requester is not None else None,
        created_at=now,
        csv=out.csv(),
    )
    s.add(dataset)
    s.flush()
    if requester is not None:
        send_dataset_email(
            s,
            settings,
            requester,
            dataset.id,
            dataset_url(settings, dataset.id),
            [f"{e} {siret}" for (e, _, _), siret in zip(ENTITIES, sirets, strict=True)],
        )
    return dataset


def _engagement(
    s: Session, recipient: PermanentRecipient, fournisseur: Structure | None,
    rng: random.Random, now: datetime,
) -> str | None:
    """A COMMANDE EJ of the permanent ``recipient`` given to ``fournisseur``, when the
    recipient requires EJs (and is in the database); its number."""
    parametres = recipient["parametres"]
    if fournisseur is None or not (parametres.get("numero_ej_doit_etre_renseigne")
                                   or parametres.get("gestion_numero_ej_ou_code_service")):
        return None
    emetteur = s.scalars(select(Structure).where(
        Structure.identifiant == recipient["identifiant"])).first()
    if emetteur is None:
        return None
    services = recipient["services"]
    ej = engagements.create(
        s, emetteur=emetteur, recepteur=fournisseur, now=now,
        numero=engagements.free_numero(s, rng), code_service=services[0][0] if services else None,
        postes=[round(rng.randrange(100_000, 5_000_000) / 100, 2)],
    )
    return ej.numero


def dataset_url(settings: Settings, dataset_id: int) -> str:
    """Where the data set's CSV is downloaded from (portal, login required)."""
    return f"{settings.public_base_url}/qualification/jeu-de-donnees/{dataset_id}.csv"
