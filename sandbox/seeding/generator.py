"""The deterministic world: permanent recipients, default accounts, Faker structures.

Everything is derived from one seed: a ``Faker("fr_FR")`` instance seeded with
``seed_instance`` for names and addresses, ``random.Random`` instances seeded from
it for every other choice, and fixed-epoch timestamps. Rows are plain dicts (one
per table row, every column present) produced in batches, so the same generator
feeds the cached baseline of ``reset`` (a few thousand rows) and the streamed
million-structure seed (never all in memory).

Why this size (over ~400 lines): The deterministic generation of the seeded world in one
pass over one random stream: moving parts out would change the draw order and so every
seeded value.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TypedDict

from faker import Faker

from sandbox.security import SEED_HASH_METHOD, generate_password, hash_password
from sandbox.seeding.identifiers import SiretFactory, rcs_from_siren, tva_from_siren
from sandbox.vocabulary import (
    EtatEspace,
    Role,
    StatutRattachement,
    StatutStructure,
    StatutUtilisateur,
    TypeHabilitation,
    TypeIdentifiant,
    TypeStructure,
)

# Seeded timestamps count back from this instant, so that a dump does not depend on
# the day it was made.
SEED_EPOCH = datetime(2024, 1, 2, 9, 0, 0)
# Seeded lock-outs and technical passwords end here: far enough for any test run.
FAR_FUTURE = datetime(2099, 12, 31, 23, 59, 59)

# First ids, in the ranges the real platform shows (reference §4.3 and §5).
ID_BASES = {
    "structures": 26_149_301,
    "services": 10_519_953,
    "users": 26_370_601,
    "rattachements": 4_200_001,
    "rattachement_services": 7_300_001,
    "espaces": 900_001,
    "oauth_clients": 1,
}
TABLES = tuple(ID_BASES)  # insertion order (parents first)

# codeEspace and libellé of the espaces the reference names (§1.6).
ESPACES = {
    1: "Factures émises",
    2: "Factures reçues",
    3: "Factures de travaux",
    4: "Sollicitations émises",
    5: "Activités du gestionnaire",
    6: "Mon compte",
    7: "Raccordements EDI/API",
}
PRIVATE_ESPACES = (1, 4, 5, 6)
PUBLIC_ESPACES = (2, 3, 5, 6)

class PermanentRecipient(TypedDict):
    identifiant: str
    raison_sociale: str
    parametres: dict[str, bool]  # Structure columns
    services: list[tuple[str, str]]  # (code, libellé)


# The shared permanent recipients of the qualification environment (reference §4.3).
PERMANENT_RECIPIENTS: tuple[PermanentRecipient, ...] = (
    {
        "identifiant": "11000201100044",
        "raison_sociale": "Destinataire Etat",
        "parametres": {},
        "services": [("SFACETAT", "Service facturier de l'Etat")],
    },
    {
        "identifiant": "12345678200028",
        "raison_sociale": "Destinataire avec service obligatoire",
        "parametres": {"code_service_doit_etre_renseigne": True},
        "services": [("SERVICE_DEST_SERV_OBL", "Service destinataire obligatoire")],
    },
    {
        "identifiant": "12345678200036",
        "raison_sociale": "Destinataire avec EJ obligatoire",
        "parametres": {"numero_ej_doit_etre_renseigne": True},
        "services": [],
    },
    {
        "identifiant": "12345678200044",
        "raison_sociale": "Destinataire avec EJ ou service obligatoire",
        "parametres": {"gestion_numero_ej_ou_code_service": True},
        "services": [("SERVICE_DEST_EJ_OU_SERV_OBL", "Service destinataire EJ ou service")],
    },
    {
        "identifiant": "12345678200051",
        "raison_sociale": "Destinataire sans paramètre",
        "parametres": {},
        "services": [],
    },
)
PERMANENT_SIRETS = tuple(r["identifiant"] for r in PERMANENT_RECIPIENTS)

DEFAULT_GP_LOGIN = "gestionnaire.demo@example.com"
DEFAULT_STRUCTURE_NAME = "Démo Fournisseur SAS"

PARAMETRES = (
    "code_service_doit_etre_renseigne",
    "numero_ej_doit_etre_renseigne",
    "gestion_numero_ej_ou_code_service",
    "connexion_edi",
    "recevoir_donnees_via_edi",
    "est_moa",
    "est_moa_uniquement",
    "est_valideur_delegue",
    "non_diffusible_insee",
    "statut_mise_en_paiement_nest_pas_remonte",
)

PRIVATE_SERVICES = (
    ("SERVICE_COMPTABILITE", "Service comptabilité"),
    ("DIRECTION_FINANCIERE", "Direction financière"),
    ("SERVICE_CLIENTS", "Service clients"),
    ("AGENCE_NORD", "Agence Nord"),
    ("AGENCE_SUD", "Agence Sud"),
)
PUBLIC_SERVICES = (
    ("SERVICE_FINANCIER", "Service financier"),
    ("SERVICES_TECHNIQUES", "Services techniques"),
    ("DIRECTION_ACHATS", "Direction des achats"),
    ("RESSOURCES_HUMAINES", "Ressources humaines"),
    ("AFFAIRES_SCOLAIRES", "Affaires scolaires"),
    ("VOIRIE", "Voirie et réseaux"),
)
PUBLIC_KINDS = (("commune", 50), ("etablissement", 30), ("hopital", 15), ("departement", 5))
FOREIGN = (("BE", "BE0"), ("DE", "DE"), ("IT", "IT"), ("ES", "ESB"))


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def ascii_slug(text: str, sep: str = ".") -> str:
    """Lower-case ASCII of ``text`` for e-mail local parts and domains."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return sep.join(words) or "x"


def seed_salt(seed: int, purpose: str) -> str:
    """The salt of a seeded password hash: fixed by the seed and the account."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"chorus-sandbox:{seed}:{purpose}").hex[:16]


def seeded_password(seed: int, purpose: str) -> str:
    """A generated password fixed by the seed (same seed, same password)."""
    return generate_password(16, rng=random.Random(f"password:{seed}:{purpose}"))  # type: ignore[arg-type]


def seeded_hash(seed: int, purpose: str, password: str) -> str:
    """The reproducible hash of a seeded password (cheap method, derived salt)."""
    return hash_password(password, SEED_HASH_METHOD, salt=seed_salt(seed, purpose))


@dataclass
class Batch:
    """Rows of every seeded table, ready for a bulk insert."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def count(self) -> dict[str, int]:
        return {t: len(r) for t, r in self.rows.items()}

    def extend(self, other: Batch) -> None:
        for table, rows in other.rows.items():
            self.rows[table].extend(rows)


class Ids:
    """Sequential ids per table, from ``ID_BASES`` (or from given starts)."""

    def __init__(self, starts: dict[str, int] | None = None) -> None:
        self.next = dict(starts or ID_BASES)

    def __call__(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class WorldGenerator:
    """Generate the seeded world of ``seed``: fixed part, then ``structures`` more."""

    def __init__(self, seed: int, structures: int, users: int | None = None) -> None:
        if structures < 0:
            raise ValueError("structures must be >= 0")
        self.seed = seed
        self.structures = structures
        self.users = 2 * structures if users is None else users
        if self.users < 0:
            raise ValueError("users must be >= 0")
        self.rng = random.Random(f"world:{seed}")
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(seed)
        self.sirets = SiretFactory(random.Random(f"siret:{seed}"))
        self.ids = Ids()
        self.generated = 0  # structures generated so far

    # ----------------------------------------------------------- credentials
    @cached_property
    def users_password(self) -> str:
        """The password of every generated (Faker) user and technical account."""
        return seeded_password(self.seed, "generated-users")

    @cached_property
    def users_hash(self) -> str:
        return seeded_hash(self.seed, "generated-users", self.users_password)

    # ------------------------------------------------------------ row makers
    def _moment(self, max_days: int = 900) -> datetime:
        return SEED_EPOCH - timedelta(
            days=self.rng.randrange(1, max_days), seconds=self.rng.randrange(86_400)
        )

    def _structure(self, **values) -> dict:
        created = values.pop("created_at", None) or self._moment()
        row = {
            "id": self.ids("structures"),
            "type_identifiant": TypeIdentifiant.SIRET,
            "identifiant": "",
            "type_structure": TypeStructure.PRIVEE,
            "statut": StatutStructure.ACTIF,
            "raison_sociale": "",
            "libelle": None,
            "nom": None,
            "prenom": None,
            "email": None,
            "numero_rcs": None,
            "numero_tva": None,
            "adresse": None,
            "complement_adresse_1": None,
            "complement_adresse_2": None,
            "code_postal": None,
            "ville": None,
            "pays": "FR",
            "telephone": None,
            "indicatif_telephone": "+33",
            "fax": None,
            "indicatif_fax": None,
            "id_structure_origine": None,
            "created_at": created,
            "updated_at": created,
        }
        row.update(dict.fromkeys(PARAMETRES, False))
        parametres = values.pop("parametres", {})
        row.update(values)
        row.update(parametres)
        return row

    def structure_row(self, **values) -> dict:
        """A structure row of this world (its id: the next one, or the caller's)."""
        return self._structure(**values)

    def service_row(self, structure: dict, code: str, libelle: str, **values) -> dict:
        """A service row of ``structure`` (its id: the next one, or the caller's)."""
        return self._service(structure, code, libelle, **values)

    def _service(self, structure: dict, code: str, libelle: str, **values) -> dict:
        row = {
            "id": self.ids("services"),
            "structure_id": structure["id"],
            "code": code,
            "libelle": libelle,
            "description": None,
            "est_actif": True,
            "date_debut": structure["created_at"],
            "date_fin": None,
            "numero_engagement": bool(structure["numero_ej_doit_etre_renseigne"]),
            "mise_en_paiement": False,
            "adresse": structure["adresse"],
            "complement_adresse_1": None,
            "complement_adresse_2": None,
            "code_postal": structure["code_postal"],
            "ville": structure["ville"],
            "pays": structure["pays"],
            "created_at": structure["created_at"],
            "updated_at": structure["created_at"],
        }
        row.update(values)
        return row

    def _user(self, login: str, state: str, created: datetime, **values) -> dict:
        """A user row; ``state`` is pending, active, locked or inactive."""
        row = {
            "id": values.pop("id", None) or self.ids("users"),
            "login": login.lower(),
            "prenom": "",
            "nom": "",
            "telephone": None,
            "email_contact": login.lower(),
            "password_hash": self.users_hash,
            "statut": StatutUtilisateur.ACTIF,
            "is_technical": False,
            "technical_structure_id": None,
            "password_expires_at": None,
            "failed_logins": 0,
            "locked_until": None,
            "created_at": created,
            "activated_at": created + timedelta(minutes=7),
        }
        if state == "pending":
            row.update(
                statut=StatutUtilisateur.EN_ATTENTE_ACTIVATION,
                password_hash=None,
                activated_at=None,
            )
        elif state == "locked":
            row.update(failed_logins=5, locked_until=FAR_FUTURE)
        elif state == "inactive":
            row.update(statut=StatutUtilisateur.INACTIF)
        elif state != "active":
            raise ValueError(f"unknown user state {state!r}")
        row.update(values)
        return row

    def _rattachement(self, user: dict, structure: dict, role: str, statut: str) -> dict:
        created = max(user["created_at"], structure["created_at"])
        decided = statut != StatutRattachement.EN_COURS_DE_VALIDATION
        return {
            "id": self.ids("rattachements"),
            "user_id": user["id"],
            "structure_id": structure["id"],
            "role": role,
            "statut": statut,
            "commentaire": (
                "Demande non justifiée" if statut == StatutRattachement.REFUSEE else None
            ),
            "created_at": created,
            "decided_at": created + timedelta(hours=3) if decided else None,
            "decided_by_id": None,
        }

    def _rattachement_service(self, rattachement: dict, service: dict) -> dict:
        return {
            "id": self.ids("rattachement_services"),
            "rattachement_id": rattachement["id"],
            "service_id": service["id"],
            "statut": rattachement["statut"],
            "commentaire": None,
            "date_debut": rattachement["decided_at"],
            "date_fin": None,
        }

    def _espace(self, structure: dict, code: int, etat: str = EtatEspace.ACTIVE) -> dict:
        return {
            "id": self.ids("espaces"),
            "structure_id": structure["id"],
            "service_id": None,
            "code": code,
            "libelle": ESPACES[code],
            "etat": etat,
            "type_habilitation": TypeHabilitation.MODIFICATION,
        }

    def _technical(self, structure: dict, gp: dict, password_hash: str) -> dict:
        """A technical account, row for row as ``sandbox.accounts.technical`` makes them
        (a bulk insert cannot call it per account)."""
        created = structure["created_at"] + timedelta(days=1)
        return self._user(
            f"TECH_1_{structure['identifiant']}@cpro.fr",
            "active",
            created,
            prenom="Compte",
            nom="technique",
            email_contact=gp["email_contact"],
            password_hash=password_hash,
            is_technical=True,
            technical_structure_id=structure["id"],
            password_expires_at=FAR_FUTURE,
        )

    def _oauth_client(self, name: str, owner: dict | None, rng: random.Random) -> dict:
        return {
            "id": self.ids("oauth_clients"),
            "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "client_secret": "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                for _ in range(48)
            ),
            "name": name,
            "owner_user_id": owner["id"] if owner else None,
            "created_at": owner["created_at"] if owner else SEED_EPOCH,
        }

    # --------------------------------------------------------- fixed world
    def fixed(self) -> Batch:
        """The permanent recipients and the default accounts (always present)."""
        batch = Batch()
        for recipient in PERMANENT_RECIPIENTS:
            structure = self._structure(
                identifiant=recipient["identifiant"],
                type_structure=TypeStructure.PUBLIQUE,
                raison_sociale=recipient["raison_sociale"],
                adresse="1 rue de la Qualification",
                code_postal="75012",
                ville="Paris",
                parametres=recipient["parametres"],
                created_at=datetime(2017, 1, 1, 0, 0, 0),
            )
            batch.rows["structures"].append(structure)
            for code, libelle in recipient["services"]:
                batch.rows["services"].append(self._service(structure, code, libelle))
        batch.extend(self._default_world())
        return batch

    def _default_world(self) -> Batch:
        batch = Batch()
        siren, siret = self.sirets.private()
        created = SEED_EPOCH - timedelta(days=30)
        structure = self._structure(
            identifiant=siret,
            raison_sociale=DEFAULT_STRUCTURE_NAME,
            email="contact@demo-fournisseur.example.com",
            numero_tva=tva_from_siren(siren),
            numero_rcs=rcs_from_siren(siren, "Paris"),
            adresse="10 rue de la Démo",
            code_postal="75002",
            ville="Paris",
            telephone="0102030405",
            created_at=created,
        )
        batch.rows["structures"].append(structure)
        service = self._service(structure, "FACTURATION", "Service facturation")
        batch.rows["services"].append(service)
        gp = self._user(
            DEFAULT_GP_LOGIN,
            "active",
            created,
            prenom="Camille",
            nom="Démo",
            telephone="0102030405",
            password_hash=seeded_hash(self.seed, "default-gp", default_passwords(self.seed)[0]),
        )
        batch.rows["users"].append(gp)
        batch.rows["rattachements"].append(
            self._rattachement(
                gp, structure, Role.GESTIONNAIRE_PRINCIPAL, StatutRattachement.VALIDEE
            )
        )
        tech_password = default_passwords(self.seed)[1]
        batch.rows["users"].append(
            self._technical(structure, gp, seeded_hash(self.seed, "default-tech", tech_password))
        )
        batch.rows["oauth_clients"].append(
            self._oauth_client(
                f"APP_SANDBOX_{DEFAULT_GP_LOGIN}", gp, random.Random(f"oauth:{self.seed}")
            )
        )
        for code in PRIVATE_ESPACES + (7,):
            batch.rows["espaces"].append(self._espace(structure, code))
        return batch

    # ----------------------------------------------------- generated world
    def batches(self, size: int = 2000) -> Iterator[Batch]:
        """Yield the generated structures (and their rows) ``size`` structures at a time."""
        while self.generated < self.structures:
            batch = Batch()
            for _ in range(min(size, self.structures - self.generated)):
                self._one_structure(batch, self.generated)
                self.generated += 1
            yield batch

    def _share(self, index: int, total: int) -> int:
        """How many of ``total`` items structure ``index`` gets (spread evenly)."""
        n = self.structures
        return (index + 1) * total // n - index * total // n

    def _one_structure(self, batch: Batch, index: int) -> None:
        rng, fk = self.rng, self.faker
        public = rng.random() < 0.15
        ville = fk.city()
        values: dict = {
            "adresse": fk.street_address(),
            "code_postal": fk.postcode(),
            "ville": ville,
            "telephone": fk.phone_number(),
            "statut": StatutStructure.ACTIF if rng.random() < 0.97 else StatutStructure.INACTIF,
        }
        if public:
            kind = _weighted(rng, PUBLIC_KINDS)
            _, siret = self.sirets.public(kind)
            if kind == "commune":
                name = f"COMMUNE DE {ville.upper()}"
            elif kind == "departement":
                name = f"DEPARTEMENT {fk.department_name().upper()}"
            elif kind == "hopital":
                name = f"CENTRE HOSPITALIER DE {ville.upper()}"
            else:
                name = rng.choice(
                    (f"LYCEE {fk.last_name().upper()}", f"COLLEGE {fk.last_name().upper()}",
                     f"UNIVERSITE DE {ville.upper()}", f"CCAS DE {ville.upper()}")
                )
            draw = rng.random()
            parametres = {
                "code_service_doit_etre_renseigne": draw < 0.35,
                "numero_ej_doit_etre_renseigne": 0.35 <= draw < 0.55,
                "gestion_numero_ej_ou_code_service": 0.55 <= draw < 0.65,
                "est_moa": rng.random() < 0.2,
                "connexion_edi": rng.random() < 0.1,
                "statut_mise_en_paiement_nest_pas_remonte": rng.random() < 0.05,
            }
            structure = self._structure(
                identifiant=siret,
                type_structure=TypeStructure.PUBLIQUE,
                raison_sociale=name,
                email=f"factures@{ascii_slug(ville, '-')}.example.fr",
                parametres=parametres,
                **values,
            )
        elif rng.random() < 0.01:
            pays, prefix = rng.choice(FOREIGN)
            identifiant = prefix + f"{rng.randrange(10**8, 10**9)}"
            structure = self._structure(
                type_identifiant="UE_HORS_FRANCE",
                identifiant=identifiant,
                raison_sociale=fk.company(),
                numero_tva=identifiant,
                **{**values, "pays": pays, "indicatif_telephone": None},
            )
        else:
            siren, siret = self.sirets.private()
            name = fk.company()
            structure = self._structure(
                identifiant=siret,
                raison_sociale=name,
                email=f"contact@{ascii_slug(name, '-')}.example.fr",
                numero_tva=tva_from_siren(siren),
                numero_rcs=rcs_from_siren(siren, ville),
                parametres={
                    "connexion_edi": rng.random() < 0.05,
                    "non_diffusible_insee": rng.random() < 0.02,
                    "est_valideur_delegue": rng.random() < 0.02,
                },
                **values,
            )
        rows = batch.rows
        rows["structures"].append(structure)

        # Services: FACTURES_PUBLIQUES on every public structure (reference [OCA-ISSUES] #178).
        services: list[dict] = []
        if public:
            services.append(self._service(structure, "FACTURES_PUBLIQUES", "Factures publiques"))
            extra = rng.sample(PUBLIC_SERVICES, rng.randrange(0, 4))
        else:
            extra = rng.sample(PRIVATE_SERVICES, rng.choice((0, 0, 0, 1, 1, 2)))
        for code, libelle in extra:
            services.append(
                self._service(
                    structure,
                    code,
                    libelle,
                    est_actif=rng.random() < 0.95,
                    mise_en_paiement=public and rng.random() < 0.3,
                )
            )
        rows["services"].extend(services)

        for espace_code in PUBLIC_ESPACES if public else PRIVATE_ESPACES:
            if espace_code == 3 and rng.random() < 0.7:
                continue
            etat = EtatEspace.SUPPRIME if rng.random() < 0.03 else EtatEspace.ACTIVE
            rows["espaces"].append(self._espace(structure, espace_code, etat))

        # Users: a gestionnaire principal, then the structure's share of the others.
        gps = min(self.users, self.structures)
        gp = None
        if self._share(index, gps):
            state = _weighted(
                rng, (("active", 88), ("pending", 6), ("locked", 4), ("inactive", 2))
            )
            gp = self._faker_user(structure, state)
            rows["users"].append(gp)
            rows["rattachements"].append(
                self._rattachement(
                    gp, structure, Role.GESTIONNAIRE_PRINCIPAL, StatutRattachement.VALIDEE
                )
            )
        for _ in range(self._share(index, self.users - gps)):
            statut = _weighted(
                rng,
                (
                    (StatutRattachement.VALIDEE, 60),
                    (StatutRattachement.EN_COURS_DE_VALIDATION, 20),
                    (StatutRattachement.REFUSEE, 8),
                    (StatutRattachement.DESACTIVEE, 7),
                    (StatutRattachement.SUPPRIMEE, 5),
                ),
            )
            if statut == StatutRattachement.EN_COURS_DE_VALIDATION:
                state = "pending" if rng.random() < 0.7 else "active"
            elif statut == StatutRattachement.VALIDEE:
                state = _weighted(rng, (("active", 90), ("locked", 5), ("pending", 5)))
            else:
                state = "active"
            user = self._faker_user(structure, state)
            rows["users"].append(user)
            rattachement = self._rattachement(user, structure, Role.UTILISATEUR, statut)
            if gp is not None and rattachement["decided_at"] is not None:
                rattachement["decided_by_id"] = gp["id"]
            rows["rattachements"].append(rattachement)
            if services:
                rows["rattachement_services"].append(
                    self._rattachement_service(rattachement, rng.choice(services))
                )

        # Technical accounts and PISTE applications of integrating companies.
        active_gp = gp is not None and gp["statut"] == StatutUtilisateur.ACTIF
        if not public and gp is not None and active_gp and rng.random() < 0.08:
            if structure["type_identifiant"] == TypeIdentifiant.SIRET:
                rows["users"].append(self._technical(structure, gp, self.users_hash))
                rows["oauth_clients"].append(
                    self._oauth_client(f"APP_SANDBOX_{gp['login']}", gp, rng)
                )

    def _faker_user(self, structure: dict, state: str) -> dict:
        fk = self.faker
        prenom, nom = fk.first_name(), fk.last_name()
        uid = self.ids("users")
        public = structure["type_structure"] == TypeStructure.PUBLIQUE or not structure["email"]
        if public or self.rng.random() < 0.5:
            domain = fk.free_email_domain()
        else:
            domain = structure["email"].split("@", 1)[1]
        login = f"{ascii_slug(prenom)}.{ascii_slug(nom)}{uid}@{domain}"
        return self._user(
            login,
            state,
            max(structure["created_at"], self._moment()),
            id=uid,
            prenom=prenom,
            nom=nom,
            telephone=fk.phone_number() if self.rng.random() < 0.6 else None,
        )


def default_passwords(seed: int) -> tuple[str, str]:
    """Passwords of the default gestionnaire and technical account for ``seed``."""
    return seeded_password(seed, "default-gp"), seeded_password(seed, "default-tech")


def default_oauth_client(seed: int) -> tuple[str, str]:
    """(client_id, client_secret) of the default OAuth client for ``seed``."""
    generator = WorldGenerator(seed, 0)
    return _default_oauth_ids(generator)


def _default_oauth_ids(generator: WorldGenerator) -> tuple[str, str]:
    row = generator._oauth_client("x", None, random.Random(f"oauth:{generator.seed}"))
    return row["client_id"], row["client_secret"]


def default_structure_siret(seed: int) -> str:
    """SIRET of the default structure for ``seed`` (its first private SIRET)."""
    return SiretFactory(random.Random(f"siret:{seed}")).private()[1]
