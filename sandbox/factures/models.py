"""The Factures tables: deposited flux, invoices, their status history, attachments.

State and constraints only (the contract the Factures modules build on):

* ``Flux`` — one ``deposer/flux`` call: the file, its syntax, its state
  (``EtatFlux``) and CR errors, and the lease columns of the integration worker
  (same pattern as the mail outbox: a conditional UPDATE claims, a lease that
  expires if its holder dies).
* ``Facture`` — an integrated (or keyed-in) invoice; one ``numero_facture`` per
  supplier structure, enforced by the schema.
* ``FactureStatut`` — the status history; **append-only in the schema** (an UPDATE
  trigger aborts, on SQLite and PostgreSQL; DELETE stays possible for reset and
  cascades). ``append_status`` is the one way to change an invoice's status.
* ``FactureAction`` — the user actions of ``consulter/historique``
  (``TELECHARGEMENT_FACTURE``...).
* ``PieceJointe`` — attachments (``ajouter/fichier``, ``deposer/pdf``).

Datetimes are naive UTC on the sandbox clock (``sandbox.clock.utcnow_naive``),
except the lease, which is real time (like the outbox's).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, defer, mapped_column

from sandbox.accounts.rights import Account
from sandbox.models import Base, BigId, User
from sandbox.vocabulary import EtatFlux, StatutFacture, SyntaxeFlux

# numeroFluxDepot = "CPP001" + 4-digit interface number + 15-digit counter (25 chars).
# 1100/1106/1117/1110 are attested (factures-reference.md §3.2, §7.1); the others are
# our choice (docs/decisions.md).
INTERFACE_CODES: dict[str, str] = {
    SyntaxeFlux.IN_DP_E1_UBL_INVOICE: "1100",
    SyntaxeFlux.IN_DP_E1_PES_FACTURE: "1101",
    SyntaxeFlux.IN_DP_E2_UBL_INVOICE_MIN: "1102",
    SyntaxeFlux.IN_DP_E2_PES_FACTURE_MIN: "1103",
    SyntaxeFlux.IN_DP_E1_CII: "1104",
    SyntaxeFlux.IN_DP_E2_CII_MIN: "1105",
    SyntaxeFlux.IN_DP_E1_CII_16B: "1106",
    SyntaxeFlux.IN_DP_E2_CII_MIN_16B: "1107",
    SyntaxeFlux.IN_DP_E1_XCBL: "1108",
    SyntaxeFlux.IN_DP_E2_CPP_FACTURE_MIN: "1110",
    SyntaxeFlux.IN_DP_PDFARCHIVE_UBL_INVOICE_MUG: "1115",
    SyntaxeFlux.IN_DP_PDFARCHIVE_CII_MUG: "1116",
    SyntaxeFlux.IN_DP_E2_CII_FACTURX: "1117",
}
FLUX_NUMBER_PREFIX = "CPP001"
# The counter continues a realistic range (CPP0011117000000000414554 was seen live).
FLUX_COUNTER_BASE = 420_000
# identifiantFactureCPP: the qualification data set's invoices are ~4 878 981.
FACTURE_ID_START = 4_900_000
PIECE_JOINTE_ID_START = 7_300_000

Amount = Numeric(19, 6)


def interface_code(syntaxe: str) -> str:
    """The 4-digit interface number of a syntax (``1100`` for UBL...)."""
    return INTERFACE_CODES[syntaxe]


def code_interface_flux(syntaxe: str) -> str:
    """codeInterfaceFlux / codeInterfaceDepotFlux, e.g. ``FSO1100A``."""
    return f"FSO{interface_code(syntaxe)}A"


def numero_flux_depot(syntaxe: str, counter: int) -> str:
    """``CPP001`` + interface number + the 15-digit counter."""
    return f"{FLUX_NUMBER_PREFIX}{interface_code(syntaxe)}{counter:015d}"


class Flux(Base):
    """A deposited flux (one ``deposer/flux`` call) and its compte rendu."""

    __tablename__ = "factures_flux"
    __table_args__ = (
        UniqueConstraint("numero_flux_depot", name="uq_flux_numero"),
        Index("ix_flux_due", "etat", "integrate_after"),
        Index("ix_flux_depositor", "depositor_user_id", "id"),
        {"sqlite_autoincrement": True},  # a reset never hands out a flux number again
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Set right after the insert (from the id), in the same transaction.
    numero_flux_depot: Mapped[str | None] = mapped_column(String(25))
    syntaxe_flux: Mapped[str] = mapped_column(String(40))
    nom_fichier: Mapped[str] = mapped_column(String(200))
    avec_signature: Mapped[bool] = mapped_column(Boolean, default=False)
    etat: Mapped[str] = mapped_column(
        String(60), default=EtatFlux.IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP
    )
    date_depot: Mapped[datetime] = mapped_column(DateTime)  # sandbox clock
    date_etat_courant: Mapped[datetime] = mapped_column(DateTime)  # sandbox clock
    # Who deposited: the user the call acts for (idUtilisateurCourant or the
    # technical account) and the technical account itself.
    depositor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    technical_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # The technical account's structure: the flux is visible to its accounts.
    depositor_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL")
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # Integration worker: due when clock.now() >= integrate_after (sandbox clock);
    # the lease is real time, like the outbox's.
    integrate_after: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    integrated_at: Mapped[datetime | None] = mapped_column(DateTime)  # sandbox clock
    last_error: Mapped[str | None] = mapped_column(String(500))
    # CR: [{identifiantDestinataire, identifiantFournisseur, libelleErreurDP, numeroDP}]
    erreurs_dp: Mapped[list] = mapped_column(JSON, default=list)
    # CR: [{codeErreur, libelleErreur, natureErreur}]
    erreurs_techniques: Mapped[list] = mapped_column(JSON, default=list)
    # Control plane: {"etat": "IN_INCIDENTE"} or {"etat": "IN_REJETE", "erreurs": [...]}.
    forced_outcome: Mapped[dict | None] = mapped_column(JSON)


class Facture(Base):
    """An invoice (demande de paiement) known to the platform."""

    __tablename__ = "factures"
    __table_args__ = (
        UniqueConstraint("fournisseur_id", "numero_facture", name="uq_facture_numero_fournisseur"),
        Index("ix_factures_flux", "flux_id"),
        Index("ix_factures_fournisseur", "fournisseur_id", "id"),
        Index("ix_factures_destinataire", "destinataire_id", "id"),
        Index("ix_factures_statut", "statut"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(  # identifiantFactureCPP / idFacture
        BigId, Identity(start=FACTURE_ID_START), primary_key=True
    )
    flux_id: Mapped[int | None] = mapped_column(
        ForeignKey("factures_flux.id", ondelete="SET NULL")
    )
    numero_facture: Mapped[str] = mapped_column(String(40))
    fournisseur_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    fournisseur_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL")
    )
    destinataire_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    destinataire_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL")
    )
    code_service_executant: Mapped[str | None] = mapped_column(String(100))
    valideur_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL")
    )
    valideur_service_id: Mapped[int | None] = mapped_column(  # codeServiceValideur
        ForeignKey("services.id", ondelete="SET NULL")
    )
    createur_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    mode_depot: Mapped[str] = mapped_column(String(30))  # vocabulary.ModeDepot
    type_facture: Mapped[str] = mapped_column(String(10), default="FACTURE")
    type_tva: Mapped[str | None] = mapped_column(String(30))
    mode_paiement: Mapped[str | None] = mapped_column(String(20))
    cadre_facturation: Mapped[str] = mapped_column(String(70), default="A1_FACTURE_FOURNISSEUR")
    numero_engagement: Mapped[str | None] = mapped_column(String(50))  # EJ / numeroBonCommande
    numero_marche: Mapped[str | None] = mapped_column(String(50))
    numero_facture_origine: Mapped[str | None] = mapped_column(String(40))
    montant_ht: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0"))
    montant_tva: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0"))
    montant_ttc: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0"))
    montant_a_payer: Mapped[Decimal] = mapped_column(Amount, default=Decimal("0"))
    devise: Mapped[str] = mapped_column(String(3), default="EUR")
    date_facture: Mapped[datetime | None] = mapped_column(DateTime)
    date_depot: Mapped[datetime] = mapped_column(DateTime)
    statut: Mapped[str] = mapped_column(String(60), default=StatutFacture.DEPOSEE)
    date_heure_etat_courant: Mapped[datetime] = mapped_column(DateTime)
    commentaire: Mapped[str | None] = mapped_column(Text)
    rejet_traite: Mapped[bool] = mapped_column(Boolean, default=False)
    telechargee_par_destinataire: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lines and VAT breakdown as read from the file or keyed in (consulter/*).
    lignes: Mapped[list] = mapped_column(JSON, default=list)
    lignes_tva: Mapped[list] = mapped_column(JSON, default=list)
    source_xml: Mapped[bytes | None] = mapped_column(LargeBinary)
    source_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    source_nom: Mapped[str | None] = mapped_column(String(200))


# What a list of invoices never reads (the lines, the deposited file: JSON decoded and
# blobs copied per row): ``select(Facture).options(*WITHOUT_CONTENT)``; a deferred column is
# loaded on first access, should one be read (issue #24).
CONTENT = ("lignes", "lignes_tva", "source_xml", "source_pdf")
WITHOUT_CONTENT = tuple(defer(getattr(Facture, name)) for name in CONTENT)
# The same columns left out of a Core read (``select(*SUMMARY_COLUMNS)``: rows read by the
# ORM attributes' names, without the ORM's loading).
SUMMARY_COLUMNS = tuple(c for c in Facture.__table__.c if c.key not in CONTENT)


class FactureStatut(Base):
    """One passage of an invoice through a status (append-only: see the trigger)."""

    __tablename__ = "facture_statuts"
    __table_args__ = (Index("ix_facture_statuts_facture", "facture_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # histoStatutId
    facture_id: Mapped[int] = mapped_column(ForeignKey("factures.id", ondelete="CASCADE"))
    statut: Mapped[str] = mapped_column(String(60))
    date_passage: Mapped[datetime] = mapped_column(DateTime)
    commentaire: Mapped[str | None] = mapped_column(String(2000))
    # A snapshot of who did it (no foreign key: a history row is never rewritten).
    user_id: Mapped[int | None] = mapped_column(BigId)
    user_nom: Mapped[str | None] = mapped_column(String(100))
    user_prenom: Mapped[str | None] = mapped_column(String(100))
    user_email: Mapped[str | None] = mapped_column(String(254))
    user_telephone: Mapped[str | None] = mapped_column(String(30))


class FactureAction(Base):
    """A user action on an invoice (historiquesDesActionsUtilisateurs)."""

    __tablename__ = "facture_actions"
    __table_args__ = (Index("ix_facture_actions_facture", "facture_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # histoActionId
    facture_id: Mapped[int] = mapped_column(ForeignKey("factures.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))  # TELECHARGEMENT_FACTURE...
    date_heure: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(BigId)
    user_nom: Mapped[str | None] = mapped_column(String(100))
    user_prenom: Mapped[str | None] = mapped_column(String(100))
    user_email: Mapped[str | None] = mapped_column(String(254))


class PieceJointe(Base):
    """An attachment uploaded by a user (pieceJointeId), later tied to an invoice."""

    __tablename__ = "pieces_jointes"
    __table_args__ = (
        Index("ix_pieces_jointes_owner", "owner_user_id", "id"),
        Index("ix_pieces_jointes_facture", "facture_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(  # pieceJointeId
        BigId, Identity(start=PIECE_JOINTE_ID_START), primary_key=True
    )
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE")
    )
    nom: Mapped[str] = mapped_column(String(200))
    type_mime: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    facture_id: Mapped[int | None] = mapped_column(ForeignKey("factures.id", ondelete="CASCADE"))
    # "principale" or "complementaire" once tied to an invoice; free type code.
    role: Mapped[str | None] = mapped_column(String(20))
    type_piece: Mapped[str | None] = mapped_column(String(40))
    designation: Mapped[str | None] = mapped_column(String(200))
    numero_ligne: Mapped[int | None] = mapped_column(Integer)


# SQLite has no IDENTITY START: an AUTOINCREMENT table starts after sqlite_sequence.
for _table, _start in (("factures", FACTURE_ID_START), ("pieces_jointes", PIECE_JOINTE_ID_START)):
    event.listen(
        Base.metadata.tables[_table],
        "after_create",
        DDL(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('{_table}', {_start - 1})")
        .execute_if(dialect="sqlite"),
    )

# --- the status history only appends -------------------------------------------------

_APPEND_ONLY = "facture_statuts is append-only"
event.listen(
    FactureStatut.__table__,
    "after_create",
    DDL(
        "CREATE TRIGGER IF NOT EXISTS facture_statuts_append_only "
        "BEFORE UPDATE ON facture_statuts "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
    ).execute_if(dialect="sqlite"),
)
event.listen(
    FactureStatut.__table__,
    "after_create",
    DDL(
        "CREATE OR REPLACE FUNCTION facture_statuts_append_only() RETURNS trigger AS $fn$ "
        f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $fn$ LANGUAGE plpgsql"
    ).execute_if(dialect="postgresql"),
)
event.listen(
    FactureStatut.__table__,
    "after_create",
    DDL(
        "CREATE TRIGGER facture_statuts_append_only BEFORE UPDATE ON facture_statuts "
        "FOR EACH ROW EXECUTE FUNCTION facture_statuts_append_only()"
    ).execute_if(dialect="postgresql"),
)


def user_row(s: Session, user: Account | None) -> User | None:
    """The ``users`` row of ``user``: the gateway hands handlers a cached ``Account``
    snapshot (id, login, rights fields), not the row with the names history needs.
    None when there is no user, or no row any more (deleted since the gateway read it)."""
    if user is None or isinstance(user, User):
        return user
    return s.get(User, user.id)


def append_status(
    s: Session,
    facture: Facture,
    statut: str,
    *,
    at: datetime,
    commentaire: str | None = None,
    user: Account | None = None,
) -> FactureStatut:
    """Set ``facture``'s current status to ``statut`` at ``at`` and append the history row.

    ``at`` is a naive-UTC sandbox-clock datetime. The caller owns the transaction
    (and the transition rules: see ``sandbox.factures.rules.lifecycle``).
    """
    facture.statut = str(statut)
    facture.date_heure_etat_courant = at
    if facture.id is None:
        s.add(facture)
        s.flush()
    who = user_row(s, user)
    row = FactureStatut(
        facture_id=facture.id,
        statut=str(statut),
        date_passage=at,
        commentaire=commentaire,
        user_id=who.id if who is not None else None,
        user_nom=who.nom if who is not None else None,
        user_prenom=who.prenom if who is not None else None,
        user_email=(who.email_contact or who.login) if who is not None else None,
        user_telephone=who.telephone if who is not None else None,
    )
    s.add(row)
    return row


# The automatic lifecycle policies (rules: sandbox/factures/rules/policies.py).
ANY = "*"


class LifecyclePolicy(Base):
    """One automatic move: recipient (or ``*``), from status, to status, delay."""

    __tablename__ = "facture_policies"
    __table_args__ = (UniqueConstraint("scope", "from_statut", name="uq_facture_policy"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # "*" or the structure id
    destinataire_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE")
    )
    from_statut: Mapped[str] = mapped_column(String(60))
    to_statut: Mapped[str] = mapped_column(String(60))
    delay_seconds: Mapped[float] = mapped_column(Float)
    motif: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FluxRapport(Base):
    """What the sandbox adds to a flux beyond the real CR (issue #20.3, #20.4): the
    explanation of each error, the intermediate states it was asked to play and has
    played, whether the stricter judgement ran. A table of its own (no column added to
    ``factures_flux``: existing databases gain it on start)."""

    __tablename__ = "factures_flux_rapports"

    flux_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("factures_flux.id", ondelete="CASCADE"), primary_key=True
    )
    # [{regle, libelle, numeroDP, element, absent, fichier, ligne, colonne, why, fix,
    #   pourquoi, correction}] for every CR error; notes: what was accepted with a default.
    explications: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    # The intermediate states: the mode asked for this flux (control plane; None = the
    # supplier's or the setting's), those still to play (None = not planned yet) and
    # those played [{etat, date}].
    mode_etats: Mapped[str | None] = mapped_column(String(30))
    plan: Mapped[list | None] = mapped_column(JSON)
    etats: Mapped[list] = mapped_column(JSON, default=list)
    strict: Mapped[bool] = mapped_column(Boolean, default=False)


class OptionsFournisseur(Base):
    """A supplier structure's sandbox options (control plane): the intermediate flux states
    its deposits play and whether the stricter judgement runs on its invoices; None =
    the setting's."""

    __tablename__ = "factures_options_fournisseur"

    structure_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True
    )
    mode_etats: Mapped[str | None] = mapped_column(String(30))
    strict: Mapped[bool | None] = mapped_column(Boolean)


class FactureTravaux(Base):
    """What a works invoice (facture de travaux: a ``Facture`` of a works cadre) has beyond
    a plain one: its MOE (maîtrise d'œuvre), the MOA's service, the previous document it
    answers (``idFactureTravauxPrecedente``) and its dossier de facturation (the id of the
    dossier's first document). A table of its own (no column added to ``factures``); a
    works invoice without a row (deposited by flux, seeded) has no MOE and is its own
    dossier. Rules: ``sandbox/factures/rules/travaux.py``."""

    __tablename__ = "factures_travaux"
    __table_args__ = (
        Index("ix_factures_travaux_moe", "moe_structure_id"),
        Index("ix_factures_travaux_dossier", "dossier_id"),
        Index("ix_factures_travaux_precedente", "precedente_id"),
    )

    facture_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("factures.id", ondelete="CASCADE"), primary_key=True
    )
    moe_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="SET NULL")
    )
    moe_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL")
    )
    precedente_id: Mapped[int | None] = mapped_column(
        ForeignKey("factures.id", ondelete="SET NULL")
    )
    dossier_id: Mapped[int] = mapped_column(BigId)
