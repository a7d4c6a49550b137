"""Works invoices (factures de travaux): the deposit of a document by its actor, who sees
which document in which role, and each actor's moves (factures-rules-and-apis-reference.md
§2; the circuit as data: ``travaux_cycle.py``; the open choices: docs/decisions.md).

A works document is a ``Facture`` of a works cadre (so the Factures operations a client
reuses on it, ``consulter/historique``, ``telecharger/groupe``, ``traiter/recue``, work),
with its ``FactureTravaux`` row: the MOE, the previous document, the dossier.

A rules module: no Flask, no registry, no request context; the caller gives the session,
the user, and owns the transaction.

Why this size (over ~400 lines): the deposit (three actors, the previous document, the
MOE) and the eight moves of the works API share the same visibility and acting-role
checks; split, each half would import the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts.rights import Account, usable_structure_ids
from sandbox.factures import errors
from sandbox.factures.models import (
    SUMMARY_COLUMNS,
    WITHOUT_CONTENT,
    Facture,
    FactureStatut,
    FactureTravaux,
)
from sandbox.factures.rules import lifecycle, routing, visibility
from sandbox.factures.rules.table import NUMERO
from sandbox.factures.rules.travaux_cycle import (
    ASSOCIABLE,
    AT_MOE,
    CADRES_TRAVAUX,
    FINAL,
    FOLLOW_UP,
    MOA,
    MOE,
    REFUS,
    REFUS_ERREUR,
    SUPPLIER,
    depositor,
    first_status,
    is_travaux,
)
from sandbox.models import Service, Structure
from sandbox.vocabulary import ModeDepot, StatutStructure
from sandbox.vocabulary import RoleUtilisateur as Role
from sandbox.vocabulary import StatutFacture as F

ACTORS = {Role.FOURNISSEUR: lifecycle.Actor.SUPPLIER, Role.MOE: lifecycle.Actor.MOE,
          Role.MOA: lifecycle.Actor.MOA}
# Who the sandbox plays in a works step (history and the document's comment, French).
ROLES_FR = {Role.FOURNISSEUR: "le titulaire", Role.MOE: "la maîtrise d'œuvre (MOE)",
            Role.MOA: "la maîtrise d'ouvrage (MOA)"}
NUMERO_TAG = {Role.FOURNISSEUR: "TIT", Role.MOE: "MOE", Role.MOA: "MOA"}
# The moves each acting role makes from the statuses it acts in.
_ACTS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.MOE: MOE, Role.MOA: MOA, Role.FOURNISSEUR: SUPPLIER,
}


@dataclass
class Depot:
    """A works document as its actor deposits it (``facturesTravaux/v1/soumettre``)."""

    cadre: str
    numero: str | None
    id_fournisseur: int | None = None
    id_service_fournisseur: int | None = None
    code_destinataire: str | None = None  # the MOA (recipient), full SIRET
    code_service_executant: str | None = None
    id_moe: int | None = None
    identifiant_moe: str | None = None
    id_service_moe: int | None = None
    id_precedente: int | None = None
    numero_marche: str | None = None
    numero_bon_commande: str | None = None
    date_facture: datetime | None = None
    commentaire: str | None = None
    montant_ht: Decimal = Decimal("0")
    montant_tva: Decimal = Decimal("0")
    montant_ttc: Decimal = Decimal("0")
    montant_a_payer: Decimal | None = None
    devise: str = "EUR"
    mode_depot: str = ModeDepot.SAISIE_API


# --- who sees what ---------------------------------------------------------------------


def roles(facture: Facture, ft: FactureTravaux | None, usable: set[int]) -> set[Role]:
    """The roles in which structures ``usable`` see ``facture``."""
    out = set()
    if facture.fournisseur_id in usable:
        out.add(Role.FOURNISSEUR)
    if ft is not None and ft.moe_structure_id in usable:
        out.add(Role.MOE)
    if facture.destinataire_id in usable and visibility.is_received(facture):
        out.add(Role.MOA)  # not while in the MOE's hands (lifecycle.NOT_YET_RECEIVED)
    if facture.valideur_structure_id in usable:
        out.add(Role.VALIDATEUR)
    return out


def works_rows(s: Session, facture_id: int | None) -> tuple[Facture, FactureTravaux | None]:
    """The works document ``facture_id`` and its row (``DemandePaiementInconnue`` if none)."""
    facture = s.get(Facture, _required(facture_id))
    if facture is None or not is_travaux(facture.cadre_facturation):
        raise _unknown()
    return facture, s.get(FactureTravaux, facture_id)


def _required(facture_id: int | None) -> int:
    if facture_id is None:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : idFactureTravaux.")
    return facture_id


def _unknown() -> errors.DemandePaiementInconnue:
    return errors.DemandePaiementInconnue("GDP_MSG_11.008 - La facture de travaux n'existe pas.")


# A reader's view of works documents: the invoice's columns but its content and its works
# row's, as one Core row (``WorksRow``: the ORM attributes' names; ``ft_facture_id`` None
# when the document has no works row). The statements are built once (issue #24).
WORKS_COLUMNS = (*SUMMARY_COLUMNS, FactureTravaux.facture_id.label("ft_facture_id"),
                 *(c for c in FactureTravaux.__table__.c if c.key != "facture_id"))
WorksRow = Any  # a Row of WORKS_COLUMNS: read like a Facture (and like its FactureTravaux)


def works_select() -> Select:
    """Every works document as ``WORKS_COLUMNS`` (outer join: the flux's have no row)."""
    return (select(*WORKS_COLUMNS)
            .outerjoin(FactureTravaux, FactureTravaux.facture_id == Facture.id)
            .where(Facture.cadre_facturation.in_(CADRES_TRAVAUX)))


def split(row: WorksRow) -> tuple[WorksRow, WorksRow | None]:
    """(the invoice, its works row or None) of a ``WORKS_COLUMNS`` row: the pair the ORM
    readers (``roles``, the list items) take."""
    return row, (row if row.ft_facture_id is not None else None)


_WORKS_BY_ID = works_select().where(Facture.id == bindparam("facture_id"))
_DOSSIER = works_select().where(or_(
    Facture.id.in_(select(FactureTravaux.facture_id).where(
        FactureTravaux.dossier_id == bindparam("dossier_id"))),
    Facture.id == bindparam("dossier_id"))).order_by(Facture.id)


def works_row(s: Session, facture_id: int | None) -> tuple[WorksRow, WorksRow | None]:
    """``works_rows`` for a reader: one Core row (statement built once), no ORM object."""
    row = db.core(s, _WORKS_BY_ID, {"facture_id": _required(facture_id)}).first()
    if row is None:
        raise _unknown()
    return split(row)


def visible(
    s: Session, user: Account, facture_id: int | None, read: Callable = works_rows,
) -> tuple[Any, Any, set[Role]]:
    """The works document ``facture_id`` and the caller's roles on it (at least one);
    ``read``: ``works_rows`` (the ORM objects, to change them) or ``works_row`` (a read)."""
    facture, ft = read(s, facture_id)
    mine = roles(facture, ft, usable_structure_ids(s, user))
    if not mine:
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires sur cette "
            "facture de travaux (ni fournisseur, ni MOE, ni MOA).")
    return facture, ft, mine


def base_query() -> Select[Facture, FactureTravaux]:
    """Every works document with its row (outer join: the flux's have none)."""
    return (
        select(Facture, FactureTravaux)
        .outerjoin(FactureTravaux, FactureTravaux.facture_id == Facture.id)
        .where(Facture.cadre_facturation.in_(CADRES_TRAVAUX))
        .options(*WITHOUT_CONTENT)
    )


def role_clause(usable: Iterable[int] | BindParameter, role: str | None) -> ColumnElement[bool]:
    """"Seen by ``usable`` in ``role``" (None: in any role); ``usable`` may be an expanding
    bind parameter (a statement built once)."""
    by_role: dict[str, ColumnElement[bool]] = {
        Role.FOURNISSEUR: Facture.fournisseur_id.in_(usable),
        Role.MOE: FactureTravaux.moe_structure_id.in_(usable),
        Role.MOA: and_(*visibility.received_by(usable)),
        Role.VALIDATEUR: Facture.valideur_structure_id.in_(usable),
    }
    by_role[Role.DESTINATAIRE] = by_role[Role.MOA]
    if role is None:
        return or_(*(by_role[r] for r in (Role.FOURNISSEUR, Role.MOE, Role.MOA, Role.VALIDATEUR)))
    return by_role[role]


def dossier(s: Session, facture: Facture, ft: FactureTravaux | None) -> list[Facture]:
    """The documents of ``facture``'s dossier de facturation, in deposit order."""
    if ft is None:
        return [facture]
    ids = select(FactureTravaux.facture_id).where(FactureTravaux.dossier_id == ft.dossier_id)
    return list(s.scalars(select(Facture).where(
        or_(Facture.id.in_(ids), Facture.id == ft.dossier_id)).order_by(Facture.id)
        .options(*WITHOUT_CONTENT)))


def dossier_rows(s: Session, facture: WorksRow, ft: WorksRow | None) -> list[WorksRow]:
    """``dossier`` for a reader: ``WORKS_COLUMNS`` rows (statement built once)."""
    if ft is None:
        return [facture]
    return list(db.core(s, _DOSSIER, {"dossier_id": ft.dossier_id}))


# --- deposit ---------------------------------------------------------------------------


def _active(s: Session, structure_id: int | None, identifiant: str | None) -> Structure | None:
    if structure_id is not None:
        structure = s.get(Structure, structure_id)
    elif identifiant:
        structure = s.scalars(
            select(Structure).where(Structure.identifiant == identifiant.strip())).first()
    else:
        return None
    return structure if structure is not None and structure.statut == StatutStructure.ACTIF \
        else None


def _service(s: Session, structure: Structure, service_id: int | None) -> Service | None:
    if service_id is None:
        return None
    service = s.get(Service, service_id)
    if service is None or service.structure_id != structure.id or not service.est_actif:
        raise errors.ServiceExecutantInvalide(
            f"Le service {service_id} n'est pas un service actif de la structure "
            f"{structure.identifiant}.")
    return service


def _precedente(
    s: Session, usable: set[int], role: Role, precedente_id: int
) -> tuple[Facture, FactureTravaux | None]:
    facture, ft = works_rows(s, precedente_id)
    if role not in roles(facture, ft, usable):
        raise errors.PieceNonAssociable(
            f"La pièce précédente {precedente_id} n'est pas adressée à une structure de "
            f"l'utilisateur en tant que {role}.")
    if facture.statut not in ASSOCIABLE[role]:
        raise errors.PieceNonAssociable(
            f"La pièce précédente {precedente_id} est au statut {facture.statut} : un "
            f"acteur {role} ne peut l'associer qu'aux statuts {', '.join(ASSOCIABLE[role])}.")
    return facture, ft


def deposer(
    s: Session, user: Account, d: Depot, *, at: datetime | None = None, check_ej: bool = True
) -> Facture:
    """Deposit a works document for the actor its cadre names, associating the previous
    document when one is given (it moves to ``ASSOCIEE``); the new one is routed to its
    cadre's first status at once (``check_ej``: GES-19, SANDBOX_FACTURES_EJ_CHECK). Raises
    the area's business errors; the caller commits."""
    if not is_travaux(d.cadre):
        raise errors.DonneesFactureInvalides(
            f"Le cadre de facturation {d.cadre} n'est pas un cadre de facture de travaux "
            "(A4 à A8, A10, A11, A13 à A20, A22 à A25).")
    role = depositor(d.cadre)
    usable = usable_structure_ids(s, user)
    prev, prev_ft = _precedente(s, usable, role, d.id_precedente) \
        if d.id_precedente is not None else (None, None)
    # The titulaire: the depositor itself, or the dossier's.
    fournisseur = _active(s, d.id_fournisseur, None) if d.id_fournisseur is not None else (
        s.get(Structure, prev.fournisseur_id) if prev is not None else None)
    if fournisseur is None:
        raise errors.FournisseurInvalide(
            "Le fournisseur (fournisseur.idFournisseur) est obligatoire, ou inconnu ou inactif.")
    if role is Role.FOURNISSEUR and fournisseur.id not in usable:
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires pour "
            f"déposer une facture de travaux pour le fournisseur {fournisseur.identifiant}.")
    service_fournisseur = _service(s, fournisseur, d.id_service_fournisseur)
    # The MOA (recipient): named, or the dossier's.
    if d.code_destinataire or prev is None:
        moa = routing.recipient(s, d.code_destinataire)
        service = routing.service_and_ej(s, moa, d.code_service_executant, d.numero_bon_commande,
                                         check_ej=check_ej)
    else:
        moa = s.get_one(Structure, prev.destinataire_id)
        service = s.get(Service, prev.destinataire_service_id) \
            if prev.destinataire_service_id else None
    if role is Role.MOA and moa.id not in usable:
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires sur la "
            f"maîtrise d'ouvrage {moa.identifiant}.")
    # The MOE: named, or the dossier's; required where the circuit goes through it.
    moe = _active(s, d.id_moe, d.identifiant_moe)
    if (d.id_moe is not None or d.identifiant_moe) and moe is None:
        raise errors.MoeInvalide(
            f"La maîtrise d'œuvre {d.id_moe or d.identifiant_moe} est inconnue ou inactive.")
    if moe is None and prev_ft is not None and prev_ft.moe_structure_id is not None:
        moe = s.get(Structure, prev_ft.moe_structure_id)
    if role is Role.MOE and (moe is None or moe.id not in usable):
        raise errors.MoeInvalide(
            "Le dépôt d'un document de la maîtrise d'œuvre demande une MOE dont l'utilisateur "
            "relève (idStructureMoe).")
    if moe is None and first_status(d.cadre) in AT_MOE:
        raise errors.MoeInvalide(
            f"Le cadre {d.cadre} passe par la maîtrise d'œuvre : idStructureMoe (ou "
            "identifiantStructureMoe) est obligatoire.")
    service_moe = _service(s, moe, d.id_service_moe) if moe is not None else None
    if d.numero is None or not NUMERO.fullmatch(d.numero):
        raise errors.DonneesFactureInvalides(
            f"Le numéro de facture de travaux {d.numero!r} est absent ou invalide (20 "
            "caractères au plus : lettres, chiffres, - _ / +).")
    routing.numero_unique(s, fournisseur.id, d.numero)
    if abs(d.montant_ttc - (d.montant_ht + d.montant_tva)) > Decimal("0.01"):
        raise errors.DonneesFactureInvalides(
            f"Le montant TTC ({d.montant_ttc}) n'est pas égal au montant HT ({d.montant_ht}) "
            f"plus la TVA ({d.montant_tva}).")
    at = at or clock.utcnow_naive()
    if prev is not None:
        lifecycle.transition(s, prev, F.ASSOCIEE, actor=ACTORS[role], user=user, at=at)
    return _new_document(
        s, d, fournisseur_id=fournisseur.id,
        fournisseur_service_id=service_fournisseur.id if service_fournisseur else None,
        destinataire_id=moa.id, service=service, moe_id=moe.id if moe else None,
        moe_service_id=service_moe.id if service_moe else None, prev=prev, prev_ft=prev_ft,
        user=user, at=at)


def _new_document(
    s: Session, d: Depot, *, fournisseur_id: int, fournisseur_service_id: int | None,
    destinataire_id: int, service: Service | None, moe_id: int | None,
    moe_service_id: int | None, prev: Facture | None, prev_ft: FactureTravaux | None,
    user: Account | None, at: datetime,
) -> Facture:
    """The new document ``d`` with its works row (dossier: ``prev``'s, or its own), routed
    to its cadre's first status at once."""
    facture = Facture(
        numero_facture=d.numero, fournisseur_id=fournisseur_id,
        fournisseur_service_id=fournisseur_service_id,
        destinataire_id=destinataire_id, destinataire_service_id=service.id if service else None,
        code_service_executant=service.code if service else None,
        createur_user_id=user.id if user is not None else None, mode_depot=d.mode_depot,
        type_facture="FACTURE", cadre_facturation=d.cadre,
        numero_engagement=d.numero_bon_commande, numero_marche=d.numero_marche,
        montant_ht=d.montant_ht, montant_tva=d.montant_tva, montant_ttc=d.montant_ttc,
        montant_a_payer=d.montant_ttc if d.montant_a_payer is None else d.montant_a_payer,
        devise=d.devise, date_facture=d.date_facture or at, date_depot=at,
        statut=F.DEPOSEE, date_heure_etat_courant=at, commentaire=d.commentaire,
        lignes=[], lignes_tva=[],
    )
    s.add(facture)
    s.flush()
    s.add(FactureTravaux(
        facture_id=facture.id, moe_structure_id=moe_id, moe_service_id=moe_service_id,
        precedente_id=prev.id if prev is not None else None,
        dossier_id=(prev_ft.dossier_id if prev_ft is not None else prev.id)
        if prev is not None else facture.id,
    ))
    lifecycle.enter_deposee_and_route(s, facture, at=at, user=user)
    return facture


def _free_numero(s: Session, fournisseur_id: int, numero: str) -> str:
    """``numero``, or ``numero-2``, ``-3``… if the supplier already has it (its own
    numbering may have used it): the sandbox's deposit never fails on the unique number."""
    taken = set(s.scalars(select(Facture.numero_facture).where(
        Facture.fournisseur_id == fournisseur_id, Facture.numero_facture.startswith(numero))))
    n, free = 1, numero
    while free in taken:
        n += 1
        free = f"{numero}-{n}"
    return free


def play_next_actor(s: Session, facture: Facture, *, at: datetime,
                    motif: str | None = None) -> Facture:
    """A lifecycle policy's works step (``policies.py``: a move to ``ASSOCIEE``): the sandbox
    plays the actor ``facture`` waits for (its MOE, its MOA or its titulaire, whoever they
    are): that actor deposits its next document of the dossier (``FOLLOW_UP``), numbered
    ``SBX-<MOE|MOA|TIT>-<id of facture>``, with ``facture``'s amounts and routing data; it
    associates ``facture`` (``ASSOCIEE``) and goes to its own cadre's first status. Raises
    ``TransitionInterdite`` (no next document for this cadre and status, or moved
    meanwhile); the caller commits."""
    cadre = FOLLOW_UP.get(facture.cadre_facturation or "")
    role = depositor(cadre) if cadre is not None else None
    if cadre is None or role is None or facture.statut not in ASSOCIABLE[role]:
        raise errors.TransitionInterdite(
            f"La facture de travaux {facture.id} ({facture.cadre_facturation}, statut "
            f"{facture.statut}) n'attend aucun document qu'un acteur associe.")
    ft = s.get(FactureTravaux, facture.id)
    numero = _free_numero(s, facture.fournisseur_id, f"SBX-{NUMERO_TAG[role]}-{facture.id}")
    lifecycle.transition(
        s, facture, F.ASSOCIEE, actor=ACTORS[role], at=at,
        motif=motif or f"Associée au document {numero} ({ROLES_FR[role]}, joué par le bac à "
                       "sable)")
    service = s.get(Service, facture.destinataire_service_id) \
        if facture.destinataire_service_id else None
    return _new_document(
        s, Depot(cadre=cadre, numero=numero, numero_marche=facture.numero_marche,
                 numero_bon_commande=facture.numero_engagement, montant_ht=facture.montant_ht,
                 montant_tva=facture.montant_tva, montant_ttc=facture.montant_ttc,
                 montant_a_payer=facture.montant_a_payer, devise=facture.devise,
                 commentaire=f"Déposé par le bac à sable pour {ROLES_FR[role]}"),
        fournisseur_id=facture.fournisseur_id,
        fournisseur_service_id=facture.fournisseur_service_id,
        destinataire_id=facture.destinataire_id, service=service,
        moe_id=ft.moe_structure_id if ft is not None else None,
        moe_service_id=ft.moe_service_id if ft is not None else None,
        prev=facture, prev_ft=ft, user=None, at=at)


# --- the actors' moves -----------------------------------------------------------------


def _acting(
    s: Session, user: Account, facture_id: int | None, target: str | None, allowed: tuple[Role, ...]
) -> tuple[Facture, FactureTravaux | None, Role]:
    """The document and the role in which the caller acts on it: one of ``allowed`` that it
    holds and whose table moves the document from its status (to ``target`` if given)."""
    facture, ft, mine = visible(s, user, facture_id)
    for role in allowed:
        moves = _ACTS[role].get(facture.statut, ())
        if role in mine and moves and (target is None or target in moves):
            return facture, ft, role
    held = [r for r in allowed if r in mine]
    if not held:
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - Cette action sur la facture de travaux revient à : "
            f"{', '.join(allowed)}.")
    raise errors.TransitionInterdite(
        f"La facture de travaux {facture.id} est au statut {facture.statut} : l'action n'est "
        f"pas possible pour l'acteur {held[0]}.")


def refuser(
    s: Session, user: Account, facture_id: int | None, code_motif: str | None,
    commentaire: str | None,
) -> Facture:
    """refuserFactureTravaux: the actor the document waits for refuses it; a wrong MOE or
    MOA (motif ``MAUVAISE_MOE``/``MAUVAISE_MOA``) is an error the supplier corrects."""
    facture, _, role = _acting(s, user, facture_id, None, (Role.MOE, Role.MOA, Role.FOURNISSEUR))
    target = REFUS_ERREUR.get(code_motif or "") if role is not Role.FOURNISSEUR else None
    motif = " - ".join(x for x in (code_motif, commentaire) if x) or None
    lifecycle.transition(s, facture, target or REFUS[role], actor=ACTORS[role], motif=motif,
                         user=user)
    return facture


def demander(
    s: Session, user: Account, facture_id: int | None, statut: str, commentaire: str | None
) -> Facture:
    """The MOE or MOA sends the document back: ``A_COMPLETER``
    (suspendreOuDemanderCompleterFactureTravaux) or ``A_RECYCLER``
    (demanderRecyclagePiecePrecedente, its routing data)."""
    facture, _, role = _acting(s, user, facture_id, statut, (Role.MOE, Role.MOA))
    lifecycle.transition(s, facture, statut, actor=ACTORS[role], motif=commentaire, user=user)
    return facture


def prendre_en_compte(s: Session, user: Account, facture_id: int | None) -> Facture:
    """prendreEnCompteFactureTravaux: the MOE takes a sub-contractor's document in hand."""
    facture, _, role = _acting(s, user, facture_id, F.PRISE_EN_COMPTE_MOE, (Role.MOE,))
    lifecycle.transition(s, facture, F.PRISE_EN_COMPTE_MOE, actor=ACTORS[role], user=user)
    return facture


def completer(
    s: Session, user: Account, facture_id: int | None, commentaire: str | None
) -> Facture:
    """completerFactureTravaux: the supplier answers ``A_COMPLETER``; the document goes
    back to the status it was asked from."""
    facture, _, _ = _acting(s, user, facture_id, None, (Role.FOURNISSEUR,))
    if facture.statut != F.A_COMPLETER:
        raise errors.TransitionInterdite(
            f"La facture de travaux {facture.id} n'est pas « A compléter » "
            f"(statut {facture.statut}).")
    before = s.scalars(
        select(FactureStatut.statut).where(
            FactureStatut.facture_id == facture.id, FactureStatut.statut != F.A_COMPLETER)
        .order_by(FactureStatut.id.desc())).first()
    lifecycle.transition(s, facture, before or F.A_ASSOCIER_MOA, actor=lifecycle.Actor.SUPPLIER,
                         motif=commentaire, user=user)
    return facture


def _reroute(s: Session, user: Account, facture: Facture) -> None:
    at = clock.utcnow_naive()
    lifecycle.transition(s, facture, F.DEPOSEE, actor=lifecycle.Actor.SUPPLIER, user=user, at=at)
    lifecycle.route(s, facture, at=at)


def recycler(
    s: Session, user: Account, facture_id: int | None, code_destinataire: str | None,
    code_service: str | None, numero_bon_commande: str | None, *, check_ej: bool = True,
) -> tuple[Facture, str]:
    """recyclerFactureTravaux: from ``A_RECYCLER`` or ``ERREUR_DE_MOA`` the supplier gives
    the routing data again; the document is routed anew. Returns it and the status it was
    recycled from (the official answer's ``statutFactureTravaux``)."""
    facture, _, _ = _acting(s, user, facture_id, F.DEPOSEE, (Role.FOURNISSEUR,))
    if facture.statut == F.ERREUR_DE_MOE:
        raise errors.TransitionInterdite(
            "Une erreur de maîtrise d'œuvre se corrige par completermoe.")
    moa = routing.recipient(s, code_destinataire) if code_destinataire else \
        s.get_one(Structure, facture.destinataire_id)
    service = routing.service_and_ej(s, moa, code_service or facture.code_service_executant,
                                     numero_bon_commande or facture.numero_engagement,
                                     check_ej=check_ej)
    before = facture.statut
    facture.destinataire_id = moa.id
    facture.destinataire_service_id = service.id if service else None
    facture.code_service_executant = service.code if service else None
    if numero_bon_commande:
        facture.numero_engagement = numero_bon_commande
    _reroute(s, user, facture)
    return facture, before


def completer_moe(
    s: Session, user: Account, facture_id: int | None, id_moe: int | None,
    identifiant_moe: str | None, id_service_moe: int | None,
) -> Facture:
    """completerMoe: the supplier names the right MOE of a document in ``ERREUR_DE_MOE``
    (refused for a wrong MOE); it is routed anew."""
    facture, ft, _ = _acting(s, user, facture_id, F.DEPOSEE, (Role.FOURNISSEUR,))
    if facture.statut != F.ERREUR_DE_MOE:
        raise errors.TransitionInterdite(
            f"La facture de travaux {facture.id} n'est pas en erreur de maîtrise d'œuvre "
            f"(statut {facture.statut}).")
    moe = _active(s, id_moe, identifiant_moe)
    if moe is None:
        raise errors.MoeInvalide(
            "La maîtrise d'œuvre (idStructureMoe ou identifiantStructureMoe) est obligatoire, "
            "connue et active.")
    service = _service(s, moe, id_service_moe)
    if ft is None:
        ft = FactureTravaux(facture_id=facture.id, dossier_id=facture.id)
        s.add(ft)
    ft.moe_structure_id, ft.moe_service_id = moe.id, service.id if service else None
    _reroute(s, user, facture)
    return facture


def corriger_valideur(
    s: Session, user: Account, facture_id: int | None, id_valideur: int | None,
    identifiant_valideur: str | None,
) -> Facture:
    """corrigerValideurFactureTravaux: the supplier of a sub-/co-contractor's document not
    yet associated names its validator again (no status change)."""
    facture, _, mine = visible(s, user, facture_id)
    if Role.FOURNISSEUR not in mine:
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - Seul le fournisseur corrige le valideur d'une facture de travaux.")
    if facture.statut in FINAL or facture.statut == F.MISE_EN_PAIEMENT:
        raise errors.TransitionInterdite(
            f"La facture de travaux {facture.id} est au statut final {facture.statut}.")
    valideur = _active(s, id_valideur, identifiant_valideur)
    if valideur is None:
        raise errors.FournisseurInvalide(
            "Le valideur (idStructure ou identifiantStructure) est inconnu ou inactif.")
    facture.valideur_structure_id = valideur.id
    return facture
