"""Scenario fixtures: declarative YAML files of exact structures, users and rattachements.

A fixture is validated as a whole before anything is written (pydantic models,
extra fields forbidden); an error names the file, the line and the field. Loading
is an upsert on natural keys (structure identifiant, service code, user login,
rattachement user+structure, OAuth client_id) in one transaction, so loading the
same file twice changes nothing the second time. The format is in docs/seeding.md.

Why this size (over ~400 lines): The fixture file's schema (pydantic) and its idempotent
loader are one contract: each model sits beside the code that applies it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.fr import tva as fr_tva

from sandbox import clock, db, schema
from sandbox.accounts import rights
from sandbox.builders import new_structure
from sandbox.config import Settings, load_settings
from sandbox.models import (
    Espace,
    OAuthClient,
    Rattachement,
    RattachementService,
    Service,
    Structure,
    User,
)
from sandbox.seeding.generator import ESPACES, FAR_FUTURE, seeded_hash
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

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"

class FixtureError(ValueError):
    """A fixture file is invalid: ``problems`` lists (line, field, message)."""

    def __init__(self, file: str, problems: list[tuple[int | None, str, str]]) -> None:
        self.file = file
        self.problems = problems
        lines = [
            f"{file}:{line if line is not None else '?'}: {field_}: {message}"
            for line, field_, message in problems
        ]
        super().__init__("invalid fixture\n" + "\n".join(lines))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Parametres(_Spec):
    """The structure's ``parametres`` (all false unless given)."""

    code_service_doit_etre_renseigne: bool = False
    numero_ej_doit_etre_renseigne: bool = False
    gestion_numero_ej_ou_code_service: bool = False
    connexion_edi: bool = False
    recevoir_donnees_via_edi: bool = False
    est_moa: bool = False
    est_moa_uniquement: bool = False
    est_valideur_delegue: bool = False
    non_diffusible_insee: bool = False
    statut_mise_en_paiement_nest_pas_remonte: bool = False


class ServiceSpec(_Spec):
    code: str = Field(min_length=1, max_length=100)
    libelle: str = Field(min_length=1, max_length=255)
    description: str | None = None
    est_actif: bool = True
    numero_engagement: bool = False
    mise_en_paiement: bool = False


class StructureSpec(_Spec):
    type_identifiant: TypeIdentifiant = TypeIdentifiant.SIRET
    identifiant: str = Field(min_length=1, max_length=80)
    type_structure: TypeStructure = TypeStructure.PRIVEE
    statut: StatutStructure = StatutStructure.ACTIF
    raison_sociale: str = ""
    libelle: str | None = None
    nom: str | None = None
    prenom: str | None = None
    email: str | None = None
    numero_rcs: str | None = None
    numero_tva: str | None = None
    adresse: str | None = None
    code_postal: str | None = None
    ville: str | None = None
    pays: str = Field(default="FR", pattern=r"^[A-Z]{2}$")
    telephone: str | None = None
    parametres: Parametres = Parametres()
    services: list[ServiceSpec] = []
    espaces: list[int] = []

    @field_validator("espaces")
    @classmethod
    def _known_espaces(cls, value: list[int]) -> list[int]:
        unknown = [code for code in value if code not in ESPACES]
        if unknown:
            raise ValueError(f"unknown codeEspace {unknown}; known: {sorted(ESPACES)}")
        return value

    @field_validator("numero_tva")
    @classmethod
    def _valid_tva(cls, value: str | None) -> str | None:
        if value and value.upper().startswith("FR") and not fr_tva.is_valid(value):
            raise ValueError(f"{value!r} is not a valid French VAT number")
        return value

    @field_validator("identifiant")
    @classmethod
    def _identifiant_format(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("type_identifiant") == TypeIdentifiant.SIRET and not (
            value.isdigit() and len(value) == 14
        ):
            raise ValueError(f"{value!r}: a SIRET has 14 digits")
        return value

    @model_validator(mode="after")
    def _unique_service_codes(self) -> StructureSpec:
        codes = [s.code for s in self.services]
        if len(codes) != len(set(codes)):
            raise ValueError("two services have the same code")
        return self


class UserSpec(_Spec):
    login: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    prenom: str = ""
    nom: str = ""
    telephone: str | None = None
    email_contact: str | None = None
    password: str | None = None
    state: Literal["pending", "active", "locked", "inactive"] = "active"
    technical_structure: str | None = None  # identifiant: makes it a technical account

    @model_validator(mode="after")
    def _password_matches_state(self) -> UserSpec:
        if self.state == "pending" and self.password:
            raise ValueError("a pending account has no password yet (remove 'password')")
        if self.state != "pending" and not self.password:
            raise ValueError(f"an account in state {self.state!r} needs a 'password'")
        return self


class RattachementSpec(_Spec):
    user: str
    structure: str  # identifiant
    role: Role = Role.UTILISATEUR
    statut: StatutRattachement = StatutRattachement.EN_COURS_DE_VALIDATION
    commentaire: str | None = None
    services: list[str] = []


class OAuthClientSpec(_Spec):
    client_id: str = Field(min_length=8, max_length=64)
    client_secret: str = Field(min_length=8, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    owner: str | None = None  # login


class FixtureSpec(_Spec):
    description: str = Field(min_length=1)
    structures: list[StructureSpec] = []
    users: list[UserSpec] = []
    rattachements: list[RattachementSpec] = []
    oauth_clients: list[OAuthClientSpec] = []


# --------------------------------------------------------------- reading YAML
def _to_python(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    """Turn a composed YAML node into Python data, recording each path's line."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            result[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def resolve_path(name: str | Path) -> Path:
    """A fixture path, or a name (with or without .yaml) from the fixtures/ folder."""
    path = Path(name)
    if path.is_file():
        return path
    for candidate in (FIXTURES_DIR / path.name, FIXTURES_DIR / f"{path.name}.yaml"):
        if candidate.is_file():
            return candidate
    raise FixtureError(str(name), [(None, "(file)", "no such fixture file")])


def read_fixture(path: str | Path) -> tuple[FixtureSpec, dict[tuple, int]]:
    """Parse and validate a fixture file; raise ``FixtureError`` naming line and field."""
    path = resolve_path(path)
    label = str(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise FixtureError(label, [(line, "(syntax)", f"YAML error: {problem}")]) from None
    if node is None:
        raise FixtureError(label, [(1, "(document)", "the file is empty")])
    lines: dict[tuple, int] = {}
    data = _to_python(node, (), lines)
    try:
        return FixtureSpec.model_validate(data), lines
    except ValidationError as error:
        problems = [
            (_line_of(tuple(e["loc"]), lines), _field(tuple(e["loc"])), e["msg"])
            for e in error.errors()
        ]
        raise FixtureError(label, problems) from None


# -------------------------------------------------------------------- loading
def _set(obj: Any, values: dict[str, Any], changed: set[int]) -> None:
    """Set the attributes that differ; remember ``obj`` in ``changed`` if any did."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.add(id(obj))


def _apply(s: Session, spec: FixtureSpec, lines: dict, label: str, settings: Settings) -> dict:
    now = clock.utcnow_naive()
    created = 0
    problems: list[tuple[int | None, str, str]] = []
    changed: set[int] = set()

    def fail(loc: tuple, message: str) -> None:
        problems.append((_line_of(loc, lines), _field(loc), message))

    structures: dict[str, Structure] = {}
    services: dict[tuple[str, str], Service] = {}
    for st in spec.structures:
        structure_row = s.scalar(
            select(Structure).where(
                Structure.type_identifiant == st.type_identifiant,
                Structure.identifiant == st.identifiant,
            )
        )
        structure_values = st.model_dump(exclude={"parametres", "services", "espaces"})
        structure_values.update(st.parametres.model_dump())
        if structure_row is None:
            structure_row = new_structure(now=now, **structure_values)
            s.add(structure_row)
            s.flush()
            created += 1
        else:
            _set(structure_row, structure_values, changed)
        structures[st.identifiant] = structure_row
        for sv in st.services:
            svc = s.scalar(select(Service).where(
                Service.structure_id == structure_row.id, Service.code == sv.code))
            if svc is None:
                svc = Service(structure_id=structure_row.id, created_at=now, updated_at=now,
                              date_debut=now, **sv.model_dump())
                s.add(svc)
                s.flush()
                created += 1
            else:
                _set(svc, sv.model_dump(), changed)
            services[(st.identifiant, sv.code)] = svc
        existing = set(s.scalars(
            select(Espace.code).where(Espace.structure_id == structure_row.id)))
        for espace_code in st.espaces:
            if espace_code not in existing:
                s.add(Espace(structure_id=structure_row.id, code=espace_code,
                             libelle=ESPACES[espace_code],
                             etat=EtatEspace.ACTIVE,
                             type_habilitation=TypeHabilitation.MODIFICATION))
                created += 1

    def find_structure(identifiant: str, loc: tuple) -> Structure | None:
        if identifiant in structures:
            return structures[identifiant]
        found = s.scalar(select(Structure).where(Structure.identifiant == identifiant))
        if found is None:
            fail(loc, f"no structure with identifiant {identifiant!r} in the fixture or database")
        return found

    users: dict[str, User] = {}
    for i, us in enumerate(spec.users):
        login = us.login.lower()
        tech = None
        if us.technical_structure:
            tech = find_structure(us.technical_structure, ("users", i, "technical_structure"))
        user_values: dict[str, Any] = {
            "prenom": us.prenom,
            "nom": us.nom,
            "telephone": us.telephone,
            "email_contact": (us.email_contact or login).lower(),
            "password_hash": seeded_hash(0, f"fixture:{login}", us.password)
            if us.password else None,
            "statut": {
                "pending": StatutUtilisateur.EN_ATTENTE_ACTIVATION,
                "inactive": StatutUtilisateur.INACTIF,
            }.get(us.state, StatutUtilisateur.ACTIF),
            "failed_logins": 5 if us.state == "locked" else 0,
            "locked_until": FAR_FUTURE if us.state == "locked" else None,
            "is_technical": tech is not None,
            "technical_structure_id": tech.id if tech is not None else None,
        }
        user_row = s.scalar(select(User).where(User.login == login))
        if user_row is None:
            user_row = User(login=login, created_at=now,
                            activated_at=None if us.state == "pending" else now, **user_values)
            if tech is not None:
                user_row.password_expires_at = now + timedelta(days=settings.tech_password_days)
            s.add(user_row)
            s.flush()
            created += 1
        else:
            _set(user_row, user_values, changed)
        users[login] = user_row

    def find_user(login: str, loc: tuple) -> User | None:
        login = login.lower()
        if login in users:
            return users[login]
        found = s.scalar(select(User).where(User.login == login))
        if found is None:
            fail(loc, f"no user with login {login!r} in the fixture or database")
        return found

    for i, ra in enumerate(spec.rattachements):
        user = find_user(ra.user, ("rattachements", i, "user"))
        structure = find_structure(ra.structure, ("rattachements", i, "structure"))
        if user is None or structure is None:
            continue
        if ra.role == Role.GESTIONNAIRE_PRINCIPAL:
            # Whatever its status: the schema allows one gestionnaire principal row.
            other = rights.gestionnaire_principal_id(s, structure.id, validated=False)
            if other is not None and other != user.id:
                fail(("rattachements", i, "role"),
                     f"structure {ra.structure!r} already has another gestionnaire principal")
                continue
        decided = ra.statut != StatutRattachement.EN_COURS_DE_VALIDATION
        rattachement_values = {
            "role": ra.role, "statut": ra.statut, "commentaire": ra.commentaire}
        rattachement = s.scalar(
            select(Rattachement).where(
                Rattachement.user_id == user.id, Rattachement.structure_id == structure.id
            )
        )
        if rattachement is None:
            rattachement = Rattachement(
                user_id=user.id, structure_id=structure.id, created_at=now,
                decided_at=now if decided else None, **rattachement_values)
            s.add(rattachement)
            s.flush()
            created += 1
        else:
            _set(rattachement, rattachement_values, changed)
        for j, service_code in enumerate(ra.services):
            svc = services.get((ra.structure, service_code)) or s.scalar(
                select(Service).where(Service.structure_id == structure.id,
                                      Service.code == service_code)
            )
            if svc is None:
                fail(("rattachements", i, "services", j),
                     f"structure {ra.structure!r} has no service {service_code!r}")
                continue
            link = s.scalar(
                select(RattachementService).where(
                    RattachementService.rattachement_id == rattachement.id,
                    RattachementService.service_id == svc.id,
                )
            )
            if link is None:
                s.add(RattachementService(rattachement_id=rattachement.id, service_id=svc.id,
                                          statut=ra.statut, date_debut=now if decided else None))
                created += 1
            else:
                _set(link, {"statut": ra.statut}, changed)

    for i, oc in enumerate(spec.oauth_clients):
        owner = find_user(oc.owner, ("oauth_clients", i, "owner")) if oc.owner else None
        client_values = {"client_secret": oc.client_secret, "name": oc.name,
                         "owner_user_id": owner.id if owner is not None else None}
        client = s.scalar(select(OAuthClient).where(OAuthClient.client_id == oc.client_id))
        if client is None:
            s.add(OAuthClient(client_id=oc.client_id, created_at=now, **client_values))
            created += 1
        else:
            _set(client, client_values, changed)

    if problems:
        raise FixtureError(label, problems)
    updated = len(changed)
    return {"file": label, "description": spec.description, "created": created,
            "updated": updated}


def load_fixture(path: str | Path, settings: Settings | None = None) -> dict:
    """Validate then load a fixture into the configured database, all or nothing.

    Returns ``{"file", "description", "created", "updated"}``; a second load of the
    same file reports ``created == updated == 0``.
    """
    settings = settings or load_settings()
    spec, lines = read_fixture(path)
    label = str(resolve_path(path))
    db.init_engine(settings.database_url)
    schema.create_schema()
    with db.transaction() as s:
        return _apply(s, spec, lines, label, settings)


def shipped_fixtures() -> list[Path]:
    """The scenario files that ship in fixtures/."""
    return sorted(FIXTURES_DIR.glob("*.yaml"))
