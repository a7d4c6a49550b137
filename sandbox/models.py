"""The sandbox's tables: structures, services, users, rattachements, tokens, mail.

State and constraints only: no HTTP, no business rules beyond what the schema
itself guarantees (uniqueness, one gestionnaire principal per structure). Column
names are English; the API's French names are produced by the renderers.
Datetimes are stored as naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sandbox import vocabulary as v
from sandbox.vocabulary import (
    EtatEspace,
    MailState,
    Role,
    StatutRattachement,
    StatutStructure,
    StatutUtilisateur,
    TypeHabilitation,
    TypeStructure,
)

# The enumerations live in sandbox/vocabulary.py; these tuples of their values are for
# the callers that iterate them (form choices, validation).
TYPES_IDENTIFIANT = v.values(v.TypeIdentifiant)
TYPES_STRUCTURE = v.values(v.TypeStructure)
STATUTS_STRUCTURE = v.values(v.StatutStructure)  # rendered ACTIVE/INACTIVE by the API
STATUTS_RATTACHEMENT = v.values(v.StatutRattachement)
ROLES = v.values(v.Role)
STATUTS_UTILISATEUR = v.values(v.StatutUtilisateur)
TYPES_HABILITATION = v.values(v.TypeHabilitation)
ETATS_ESPACE = v.values(v.EtatEspace)
MAIL_STATES = v.values(v.MailState)
TOKEN_PURPOSES = v.values(v.TokenPurpose)

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base class of every table."""


class Structure(Base):
    """An organisation identified by (typeIdentifiantStructure, identifiantStructure)."""

    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("type_identifiant", "identifiant", name="uq_structure_identifiant"),
        Index("ix_structures_identifiant", "identifiant"),
        Index("ix_structures_raison_sociale", "raison_sociale"),
        Index("ix_structures_type_structure", "type_structure", "id"),
        Index("ix_structures_code_postal", "code_postal"),
        Index("ix_structures_ville", "ville"),  # API: exact city filters
        Index("ix_structures_origine", "id_structure_origine"),  # API: listeStructureDupliquees
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idStructureCPP
    type_identifiant: Mapped[str] = mapped_column(String(20))
    identifiant: Mapped[str] = mapped_column(String(80))
    type_structure: Mapped[str] = mapped_column(String(10), default=TypeStructure.PRIVEE)
    statut: Mapped[str] = mapped_column(String(10), default=StatutStructure.ACTIF)
    raison_sociale: Mapped[str] = mapped_column(String(255), default="")
    libelle: Mapped[str | None] = mapped_column(String(255))
    nom: Mapped[str | None] = mapped_column(String(100))
    prenom: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255))
    numero_rcs: Mapped[str | None] = mapped_column(String(60))
    numero_tva: Mapped[str | None] = mapped_column(String(30))
    adresse: Mapped[str | None] = mapped_column(String(255))
    complement_adresse_1: Mapped[str | None] = mapped_column(String(255))
    complement_adresse_2: Mapped[str | None] = mapped_column(String(255))
    code_postal: Mapped[str | None] = mapped_column(String(20))
    ville: Mapped[str | None] = mapped_column(String(100))
    pays: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    telephone: Mapped[str | None] = mapped_column(String(30))
    indicatif_telephone: Mapped[str | None] = mapped_column(String(6))
    fax: Mapped[str | None] = mapped_column(String(30))
    indicatif_fax: Mapped[str | None] = mapped_column(String(6))
    id_structure_origine: Mapped[int | None] = mapped_column(BigId)
    # parametres (consulterStructure)
    code_service_doit_etre_renseigne: Mapped[bool] = mapped_column(Boolean, default=False)
    numero_ej_doit_etre_renseigne: Mapped[bool] = mapped_column(Boolean, default=False)
    gestion_numero_ej_ou_code_service: Mapped[bool] = mapped_column(Boolean, default=False)
    connexion_edi: Mapped[bool] = mapped_column(Boolean, default=False)
    recevoir_donnees_via_edi: Mapped[bool] = mapped_column(Boolean, default=False)
    est_moa: Mapped[bool] = mapped_column(Boolean, default=False)
    est_moa_uniquement: Mapped[bool] = mapped_column(Boolean, default=False)
    est_valideur_delegue: Mapped[bool] = mapped_column(Boolean, default=False)
    non_diffusible_insee: Mapped[bool] = mapped_column(Boolean, default=False)
    statut_mise_en_paiement_nest_pas_remonte: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    services: Mapped[list[Service]] = relationship(back_populates="structure")

    @property
    def designation(self) -> str:
        """designationStructure: raison sociale, or "Prénom Nom" for a Particulier."""
        return designation_of(self)


def designation_of(row: Any) -> str:
    """A structure's designationStructure, from its ORM object or its row (the columns):
    the raison sociale, or "Prénom Nom" for a Particulier."""
    return row.raison_sociale or " ".join(p for p in (row.prenom, row.nom) if p)


class Service(Base):
    """A service of a structure (codeService unique within it)."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("structure_id", "code", name="uq_service_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idService
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    libelle: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(500))
    est_actif: Mapped[bool] = mapped_column(Boolean, default=True)
    date_debut: Mapped[datetime | None] = mapped_column(DateTime)
    date_fin: Mapped[datetime | None] = mapped_column(DateTime)
    numero_engagement: Mapped[bool] = mapped_column(Boolean, default=False)
    mise_en_paiement: Mapped[bool] = mapped_column(Boolean, default=False)
    adresse: Mapped[str | None] = mapped_column(String(255))
    complement_adresse_1: Mapped[str | None] = mapped_column(String(255))
    complement_adresse_2: Mapped[str | None] = mapped_column(String(255))
    code_postal: Mapped[str | None] = mapped_column(String(20))
    ville: Mapped[str | None] = mapped_column(String(100))
    pays: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    structure: Mapped[Structure] = relationship(back_populates="services")


class EngagementJuridique(Base):
    """A legal commitment (EJ): a public buyer's order (``emetteur``: the structure that
    requires it on its invoices, and its service exécutant) given to a supplier
    (``recepteur``). The numbers are unique on the platform (``consulterDetail`` takes
    only the number). Read by the Factures rules (GES-19) and the EJ API
    (``sandbox/engagements/``), which is why the table is here and not in that area."""

    __tablename__ = "engagements_juridiques"
    __table_args__ = (
        UniqueConstraint("numero", name="uq_engagement_numero"),
        Index("ix_engagements_emetteur", "emetteur_structure_id", "numero"),
        Index("ix_engagements_recepteur", "recepteur_structure_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idEngagementJuridique
    numero: Mapped[str] = mapped_column(String(50))  # numeroEngagementJuridique (10 digits)
    type_engagement: Mapped[str] = mapped_column(
        String(30), default=v.TypeEngagementJuridique.BON_DE_COMMANDE)
    etat: Mapped[str] = mapped_column(String(20), default=v.EtatEngagementJuridique.COMMANDE)
    emetteur_structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"))
    emetteur_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"))
    recepteur_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL"))
    numero_marche: Mapped[str | None] = mapped_column(String(50))
    montant_ttc: Mapped[float] = mapped_column(Float, default=0.0)
    devise: Mapped[str | None] = mapped_column(String(3))
    date_notification: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)  # DateCreationEJ

    postes: Mapped[list[EngagementPoste]] = relationship(
        back_populates="engagement", order_by="EngagementPoste.numero",
        cascade="all, delete-orphan")


class EngagementPoste(Base):
    """A line (poste) of a legal commitment: lignePoste {numeroDePoste, montantTtcPoste,
    statutPoste}."""

    __tablename__ = "engagement_postes"
    __table_args__ = (UniqueConstraint("engagement_id", "numero", name="uq_engagement_poste"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagements_juridiques.id", ondelete="CASCADE"))
    numero: Mapped[int] = mapped_column(Integer)  # numeroDePoste
    montant_ttc: Mapped[float] = mapped_column(Float, default=0.0)
    statut: Mapped[str] = mapped_column(String(20), default=v.EtatEngagementJuridique.COMMANDE)

    engagement: Mapped[EngagementJuridique] = relationship(back_populates="postes")


class User(Base):
    """A portal account (or a technical account, which cannot log in to the portal)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("login", name="uq_user_login"),
        Index("ix_users_technical_structure", "technical_structure_id"),  # API: tech account
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idUtilisateur
    login: Mapped[str] = mapped_column(String(254))  # stored lower-cased
    prenom: Mapped[str] = mapped_column(String(100), default="")
    nom: Mapped[str] = mapped_column(String(100), default="")
    telephone: Mapped[str | None] = mapped_column(String(30))
    email_contact: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    statut: Mapped[str] = mapped_column(String(30), default=StatutUtilisateur.EN_ATTENTE_ACTIVATION)
    is_technical: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a technical account: the structure it was created on.
    technical_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE")
    )
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)

    rattachements: Mapped[list[Rattachement]] = relationship(
        back_populates="user", foreign_keys="Rattachement.user_id"
    )


class Rattachement(Base):
    """A user's attachment to a structure, with its role and status."""

    __tablename__ = "rattachements"
    __table_args__ = (
        UniqueConstraint("user_id", "structure_id", name="uq_rattachement_user_structure"),
        # At most one gestionnaire principal per structure.
        Index(
            "uq_one_gestionnaire_principal",
            "structure_id",
            unique=True,
            # Role.GESTIONNAIRE_PRINCIPAL, written out: DDL is a literal, never a format.
            sqlite_where=text("role = 'GESTIONNAIRE_PRINCIPAL'"),
            postgresql_where=text("role = 'GESTIONNAIRE_PRINCIPAL'"),
        ),
        Index("ix_rattachements_structure_statut", "structure_id", "statut"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idRattachementStructure
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(30), default=Role.UTILISATEUR)
    statut: Mapped[str] = mapped_column(
        String(30), default=StatutRattachement.EN_COURS_DE_VALIDATION
    )
    commentaire: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="rattachements", foreign_keys=[user_id])
    structure: Mapped[Structure] = relationship()
    services: Mapped[list[RattachementService]] = relationship(back_populates="rattachement")


class RattachementService(Base):
    """A rattachement's per-service attachment."""

    __tablename__ = "rattachement_services"
    __table_args__ = (
        UniqueConstraint("rattachement_id", "service_id", name="uq_rattachement_service"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idRattachementService
    rattachement_id: Mapped[int] = mapped_column(
        ForeignKey("rattachements.id", ondelete="CASCADE")
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    statut: Mapped[str] = mapped_column(
        String(30), default=StatutRattachement.EN_COURS_DE_VALIDATION
    )
    commentaire: Mapped[str | None] = mapped_column(String(1000))
    date_debut: Mapped[datetime | None] = mapped_column(DateTime)
    date_fin: Mapped[datetime | None] = mapped_column(DateTime)

    rattachement: Mapped[Rattachement] = relationship(back_populates="services")
    service: Mapped[Service] = relationship()


class Espace(Base):
    """An espace (group of features) opened on a structure or one of its services."""

    __tablename__ = "espaces"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # idEspaceFo
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    code: Mapped[int] = mapped_column(Integer)  # codeEspace
    libelle: Mapped[str] = mapped_column(String(100))
    etat: Mapped[str] = mapped_column(String(10), default=EtatEspace.ACTIVE)
    type_habilitation: Mapped[str] = mapped_column(
        String(30), default=TypeHabilitation.MODIFICATION
    )

    __table_args__ = (Index("ix_espaces_structure", "structure_id"),)


class PortalSession(Base):
    """A portal login, kept server-side so that logging out ends it for every copy of
    the cookie (issue #14.8): the signed cookie carries only ``id`` and the user's id;
    a session is valid while its row exists with ``ended_at`` NULL."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's sid
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class ActionToken(Base):
    """A single-use token sent by e-mail (activation, password reset, second factor).

    Only a hash of the token is stored. ``used_at`` is set by a conditional update
    (``WHERE used_at IS NULL``), which makes use single even under concurrency.
    """

    __tablename__ = "action_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_action_token_hash"),
        Index("ix_action_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)  # superseded by a newer one


class Captcha(Base):
    """A captcha challenge shown on the signup form."""

    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class OAuthClient(Base):
    """A PISTE application: client_id and client_secret for the token endpoint."""

    __tablename__ = "oauth_clients"
    __table_args__ = (UniqueConstraint("client_id", name="uq_oauth_client_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    client_secret: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AccessToken(Base):
    """A bearer token issued by the token endpoint (hash stored)."""

    __tablename__ = "access_tokens"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_access_token_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class PisteSubscription(Base):
    """The Chorus Pro APIs a PISTE application subscribes to (``apis``: comma-separated
    ``vocabulary.ApiPiste`` values, possibly none). **No row: every API**, the state of
    every application until someone narrows it (portal, control plane), so applications
    seeded or created before subscriptions existed keep answering (issue #21.6)."""

    __tablename__ = "piste_subscriptions"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), primary_key=True
    )
    apis: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Dataset(Base):
    """A generated qualification data set ("matelas de données") and its CSV."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requester_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    csv: Mapped[str] = mapped_column(Text)


class OutboxMail(Base):
    """A mail promised to someone, written in the transaction that caused it.

    The dispatcher claims rows with a lease (conditional update, renewed while it
    works), sends them by SMTP, then marks them delivered; an orphaned claim (a
    crash between "sent" and "marked") is checked in Mailpit before a resend
    (sandbox/mail/dispatcher.py).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_to", "to_addr"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255))
    link: Mapped[str | None] = mapped_column(String(500))  # the action link, if any
    created_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(10), default=MailState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


class SandboxState(Base):
    """The single row of run-time controls shared by every process (clock, faults)."""

    __tablename__ = "sandbox_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    clock_offset_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # the running clock (sandbox.clock): rate, and the real epoch second the offset was
    # measured at; NULL (a database of an older version): 1.0 and irrelevant
    clock_rate: Mapped[float | None] = mapped_column(Float, default=1.0)
    clock_anchor: Mapped[float | None] = mapped_column(Float, default=0.0)
    faults: Mapped[dict] = mapped_column(JSON, default=dict)
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ResetEpoch(Base):
    """How many resets the database has seen: the barrier between a reset and the
    background passes (``state.reset_epoch``, ``state.fence``). Its single row is kept by
    a reset (only bumped), so a number is never seen twice."""

    __tablename__ = "sandbox_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    epoch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class FaultRuleUse(Base):
    """How many requests a fault or override rule with ``times`` has answered (shared by
    every worker; one conditional UPDATE per use). ``rule_key`` identifies the rule by
    its content (``sandbox.control.faults.rule_keys``)."""

    __tablename__ = "fault_rule_uses"

    rule_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    uses: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


# --- the raison sociale search index (issue #13.5) -----------------------------------
#
# ``rechercher`` matches raisonSocialeStructure anywhere in the name, case-insensitively.
# SQLite: an FTS5 table with the ``trigram`` tokenizer (case-insensitive by default, SQLite
# >= 3.34) holds a copy of each name under the structure's id as its rowid; triggers keep it
# in step with every write to ``structures`` (ORM, the seeder's bulk inserts, reset, raw SQL
# alike). PostgreSQL: a narrow table of the same name (rowid = structures.id, the name in
# lower case, type_structure) with ``pg_trgm`` GIN indexes serving ``LIKE '%…%'`` (all rows,
# and the public ones alone), kept by triggers in the same transaction (issue #24.5: the
# former GIN index on ``structures`` itself rechecked up to 1,000 wide rows spread over a
# 2.5 GB table per count at 1,000,000 structures). Neither can be declared as a SQLAlchemy
# ``Index``: ``install_name_search`` creates them, on a new database as on one created
# before they existed (``create_schema``).

NAME_SEARCH_TABLE = "structures_rs"  # SQLite: FTS5; PostgreSQL: (rowid, raison_sociale, type)
NAME_SEARCH_PUBLIC = "structures_rs_public"  # SQLite: the same, public structures only
NAME_SEARCH_INDEX = "ix_structures_rs_trgm"  # PostgreSQL: GIN (pg_trgm) on the side table
NAME_SEARCH_FORMER_INDEX = "ix_structures_raison_sociale_trgm"  # PostgreSQL, before #24.5

# ``type_structure`` rides along, not indexed: the visibility test (public, or one of the
# caller's) is then answered from the FTS table's own small rows, and only the structures
# that pass it are read from the wide ``structures`` rows. A second table holds the public
# structures alone: the bounded count walks their matches only, not the thousands of private
# ones a common surname has at 1,000,000 structures (the caller's few are counted by id).
_T, _P = NAME_SEARCH_TABLE, NAME_SEARCH_PUBLIC
_SQLITE_NAME_SEARCH = (
    f"CREATE VIRTUAL TABLE {_T} "
    "USING fts5(raison_sociale, type_structure UNINDEXED, tokenize='trigram')",
    f"CREATE VIRTUAL TABLE {_P} USING fts5(raison_sociale, tokenize='trigram')",
    f"INSERT INTO {_T} (rowid, raison_sociale, type_structure) "
    "SELECT id, raison_sociale, type_structure FROM structures",
    f"INSERT INTO {_P} (rowid, raison_sociale) "
    "SELECT id, raison_sociale FROM structures WHERE type_structure = 'PUBLIQUE'",
    f"CREATE TRIGGER {_T}_insert AFTER INSERT ON structures BEGIN "
    f"INSERT INTO {_T} (rowid, raison_sociale, type_structure) "
    "VALUES (new.id, new.raison_sociale, new.type_structure); "
    f"INSERT INTO {_P} (rowid, raison_sociale) "
    "SELECT new.id, new.raison_sociale WHERE new.type_structure = 'PUBLIQUE'; END",
    f"CREATE TRIGGER {_T}_delete AFTER DELETE ON structures BEGIN "
    f"DELETE FROM {_T} WHERE rowid = old.id; DELETE FROM {_P} WHERE rowid = old.id; END",
    f"CREATE TRIGGER {_T}_update "
    "AFTER UPDATE OF id, raison_sociale, type_structure ON structures BEGIN "
    f"DELETE FROM {_T} WHERE rowid = old.id; DELETE FROM {_P} WHERE rowid = old.id; "
    f"INSERT INTO {_T} (rowid, raison_sociale, type_structure) "
    "VALUES (new.id, new.raison_sociale, new.type_structure); "
    f"INSERT INTO {_P} (rowid, raison_sociale) "
    "SELECT new.id, new.raison_sociale WHERE new.type_structure = 'PUBLIQUE'; END",
)
_SQLITE_DROP_NAME_SEARCH = (
    *(f"DROP TRIGGER IF EXISTS {_T}_{name}" for name in ("insert", "delete", "update")),
    f"DROP TABLE IF EXISTS {_T}",
    f"DROP TABLE IF EXISTS {_P}",
)
_SQLITE_NAME_SEARCH_PRESENT = (
    f"SELECT count(*) FROM sqlite_master WHERE name IN ('{_T}', '{_P}', '{_T}_insert', "
    f"'{_T}_delete', '{_T}_update')")
# PostgreSQL: row triggers (``UPDATE OF`` a column list is not allowed with statement
# triggers' transition tables) plus one on TRUNCATE (a reset above 1,000 structures), which
# fires no row trigger. The side table holds no foreign key: TRUNCATE of ``structures``
# alone stays possible and the trigger empties it in the same transaction.
_PG_RS_ROW = "(NEW.id, lower(NEW.raison_sociale), NEW.type_structure)"
_POSTGRESQL_NAME_SEARCH = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"DROP INDEX IF EXISTS {NAME_SEARCH_FORMER_INDEX}",
    f"DROP TABLE IF EXISTS {_T}",
    f"CREATE TABLE {_T} (rowid BIGINT PRIMARY KEY, raison_sociale TEXT, "
    "type_structure VARCHAR(10))",
    f"INSERT INTO {_T} (rowid, raison_sociale, type_structure) "
    "SELECT id, lower(raison_sociale), type_structure FROM structures",
    f"CREATE INDEX {NAME_SEARCH_INDEX} ON {_T} USING gin (raison_sociale gin_trgm_ops)",
    f"CREATE INDEX {NAME_SEARCH_INDEX}_public ON {_T} USING gin (raison_sociale gin_trgm_ops) "
    "WHERE type_structure = 'PUBLIQUE'",
    f"CREATE OR REPLACE FUNCTION {_T}_step() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'TRUNCATE' THEN TRUNCATE {_T}; "
    f"ELSIF TG_OP = 'INSERT' THEN INSERT INTO {_T} (rowid, raison_sociale, type_structure) "
    f"VALUES {_PG_RS_ROW}; "
    f"ELSIF TG_OP = 'DELETE' THEN DELETE FROM {_T} WHERE rowid = OLD.id; "
    f"ELSE UPDATE {_T} SET (rowid, raison_sociale, type_structure) = {_PG_RS_ROW} "
    "WHERE rowid = OLD.id; END IF; RETURN NULL; END $$",
    f"CREATE OR REPLACE TRIGGER {_T} AFTER INSERT OR DELETE "
    f"OR UPDATE OF id, raison_sociale, type_structure ON structures "
    f"FOR EACH ROW EXECUTE FUNCTION {_T}_step()",
    f"CREATE OR REPLACE TRIGGER {_T}_truncate AFTER TRUNCATE ON structures "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {_T}_step()",
    f"ANALYZE {_T}",
)
_POSTGRESQL_NAME_SEARCH_PRESENT = (
    "SELECT count(*) FROM pg_trigger WHERE tgname IN (%(row)s, %(truncate)s) "
    "AND NOT tgisinternal")


def install_name_search(conn: Connection) -> bool:
    """Create the raison sociale search index if it is missing (filled from the rows
    already there); return whether it was created. ``conn`` is in a transaction that the
    caller commits (on SQLite a writing one, so that two processes cannot both fill it)."""
    statements: tuple[str, ...]
    if conn.dialect.name == "sqlite":
        if conn.exec_driver_sql(_SQLITE_NAME_SEARCH_PRESENT).scalar() == 5:
            return False
        # Missing, or only in part (an older layout): rebuilt whole from the rows.
        statements = _SQLITE_DROP_NAME_SEARCH + _SQLITE_NAME_SEARCH
    elif conn.dialect.name == "postgresql":
        names = {"row": _T, "truncate": f"{_T}_truncate"}
        if conn.exec_driver_sql(_POSTGRESQL_NAME_SEARCH_PRESENT, names).scalar() == 2:
            return False
        # One process builds it (the workers of a stack may start together); looked at
        # again under the lock. Missing, or the former layout: built whole from the rows.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(name)s))", {"name": _T})
        if conn.exec_driver_sql(_POSTGRESQL_NAME_SEARCH_PRESENT, names).scalar() == 2:
            return False
        statements = _POSTGRESQL_NAME_SEARCH
    else:  # another database: rechercher falls back to a scan
        return False
    for statement in statements:
        conn.exec_driver_sql(statement)
    return True


def drop_name_search(conn: Connection) -> None:
    """SQLite: drop the search table and its triggers before a bulk load, so that
    ``install_name_search`` fills it in one statement afterwards instead of a trigger per
    row (a database left without it, e.g. by an interrupted seed, gets it back from its
    rows at the next start). PostgreSQL keeps its index: dropping it would lock
    ``structures`` against readers until the load commits."""
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_DROP_NAME_SEARCH:
            conn.exec_driver_sql(statement)


# --- the public structures' tally (issue #24.5) --------------------------------------
#
# ``rechercher`` with ``typeStructure`` PUBLIQUE and no other criterion (the public list a
# client pages through, e.g. CHORUSPAY) answers an exact ``total``; counting 125,000 rows on
# every call grew with the base. The number of public structures is kept in a one-row table
# by triggers, in the same transaction as each write to ``structures`` (ORM, bulk inserts,
# raw SQL alike), and recomputed from the rows after a bulk load (``refresh_public_tally``:
# a reset may TRUNCATE, which fires no row trigger). Not an ORM table: ``clear`` and the
# canonical dump leave it alone, like the name search tables.

PUBLIC_TALLY_TABLE = "structures_tally"  # (type_structure PRIMARY KEY, n): one row, PUBLIQUE
_PUBLIC = "'PUBLIQUE'"
_TALLY_REFRESH = (
    f"DELETE FROM {PUBLIC_TALLY_TABLE}",
    f"INSERT INTO {PUBLIC_TALLY_TABLE} (type_structure, n) SELECT {_PUBLIC}, count(*) "
    f"FROM structures WHERE type_structure = {_PUBLIC}",
)
_TALLY_STEP = f"UPDATE {PUBLIC_TALLY_TABLE} SET n = n %s 1 WHERE type_structure = {_PUBLIC}"
_SQLITE_TALLY = (
    f"CREATE TABLE IF NOT EXISTS {PUBLIC_TALLY_TABLE} "
    "(type_structure VARCHAR(16) PRIMARY KEY, n INTEGER NOT NULL)",
    *(f"DROP TRIGGER IF EXISTS {PUBLIC_TALLY_TABLE}_{name}"
      for name in ("insert", "delete", "update")),
    f"CREATE TRIGGER {PUBLIC_TALLY_TABLE}_insert AFTER INSERT ON structures "
    f"WHEN new.type_structure = {_PUBLIC} BEGIN {_TALLY_STEP % '+'}; END",
    f"CREATE TRIGGER {PUBLIC_TALLY_TABLE}_delete AFTER DELETE ON structures "
    f"WHEN old.type_structure = {_PUBLIC} BEGIN {_TALLY_STEP % '-'}; END",
    f"CREATE TRIGGER {PUBLIC_TALLY_TABLE}_update AFTER UPDATE OF type_structure ON structures "
    f"WHEN (old.type_structure = {_PUBLIC}) <> (new.type_structure = {_PUBLIC}) BEGIN "
    f"UPDATE {PUBLIC_TALLY_TABLE} SET n = n + (CASE WHEN new.type_structure = {_PUBLIC} "
    f"THEN 1 ELSE -1 END) WHERE type_structure = {_PUBLIC}; END",
    *_TALLY_REFRESH,
)
_SQLITE_TALLY_PRESENT = (
    f"SELECT count(*) FROM sqlite_master WHERE name IN ('{PUBLIC_TALLY_TABLE}', "
    f"'{PUBLIC_TALLY_TABLE}_insert', '{PUBLIC_TALLY_TABLE}_delete', "
    f"'{PUBLIC_TALLY_TABLE}_update')")
_POSTGRESQL_TALLY = (
    f"CREATE TABLE IF NOT EXISTS {PUBLIC_TALLY_TABLE} "
    "(type_structure VARCHAR(16) PRIMARY KEY, n BIGINT NOT NULL)",
    f"CREATE OR REPLACE FUNCTION {PUBLIC_TALLY_TABLE}_step() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' AND OLD.type_structure = {_PUBLIC} THEN {_TALLY_STEP % '-'}; "
    "END IF; "
    f"IF TG_OP <> 'DELETE' AND NEW.type_structure = {_PUBLIC} THEN {_TALLY_STEP % '+'}; "
    "END IF; RETURN NULL; END $$",
    f"CREATE OR REPLACE TRIGGER {PUBLIC_TALLY_TABLE} "
    "AFTER INSERT OR DELETE OR UPDATE OF type_structure ON structures "
    f"FOR EACH ROW EXECUTE FUNCTION {PUBLIC_TALLY_TABLE}_step()",
    *_TALLY_REFRESH,
)
_POSTGRESQL_TALLY_PRESENT = (
    "SELECT count(*) FROM pg_trigger WHERE tgname = %(name)s AND NOT tgisinternal")


# The databases that keep the tally, with the statements that install it.
_TALLY_DDL = {"sqlite": _SQLITE_TALLY, "postgresql": _POSTGRESQL_TALLY}


def install_public_tally(conn: Connection) -> bool:
    """Create the public structures' tally and its triggers if they are missing (the tally
    counted from the rows already there); return whether they were created. Same
    transaction rules as ``install_name_search``."""
    if conn.dialect.name == "sqlite":
        if conn.exec_driver_sql(_SQLITE_TALLY_PRESENT).scalar() == 4:
            return False
    elif conn.dialect.name == "postgresql":
        if conn.exec_driver_sql(_POSTGRESQL_TALLY_PRESENT,
                                {"name": PUBLIC_TALLY_TABLE}).scalar():
            return False
    else:  # another database: the public list is counted
        return False
    for statement in _TALLY_DDL[conn.dialect.name]:
        conn.exec_driver_sql(statement)
    return True


def refresh_public_tally(conn: Connection) -> None:
    """Count the public structures again into the tally (after a bulk load)."""
    if not install_public_tally(conn) and has_public_tally(conn.dialect.name):
        for statement in _TALLY_REFRESH:
            conn.exec_driver_sql(statement)


def has_public_tally(dialect: str) -> bool:
    """Whether the public structures' tally is kept on this database."""
    return dialect in _TALLY_DDL
