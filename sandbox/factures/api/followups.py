"""The supplier's follow-ups of an invoice (factures-reference.md §6.1, §6.4).

* ``completer``: a ``SUSPENDUE`` invoice gets a comment and attachments and becomes
  ``COMPLETEE`` (20000 unknown, 20001 not the caller's, 20002 not suspended).
* ``recycler``: an ``A_RECYCLER`` invoice gets new routing data and is deposited again:
  ``DEPOSEE``, routed at once to ``MISE_A_DISPOSITION``; the answer says ``DEPOSEE`` as
  the official sample does.
* ``traiterRejet``: the supplier acknowledges ``REJETEE`` invoices (``rejetTraite``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts.rights import Account
from sandbox.cpro import errors as cpro_errors
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import date_minute
from sandbox.factures import errors
from sandbox.factures.models import Facture, PieceJointe
from sandbox.factures.rules import routing as checks
from sandbox.factures.rules import visibility
from sandbox.factures.rules.lifecycle import Actor, record_action, route, transition
from sandbox.factures.schemas import followups as sc
from sandbox.models import Structure
from sandbox.vocabulary import ActionFacture
from sandbox.vocabulary import StatutFacture as F

BASE = "/cpro/factures/v1"
TAG = "Factures"


def supplier_invoice(ctx: Context, facture_id: int | None) -> Facture:
    """The invoice ``facture_id`` issued by a structure the caller may use."""
    return visibility.supplier_invoice(ctx.s, ctx.caller.user, facture_id)


def attach_pieces(
    s: Session, facture: Facture, user: Account, items: list[sc.PieceJointeComplementaireItem]
) -> None:
    """Tie uploaded attachments (ajouter/fichier) of ``user`` to ``facture``."""
    for item in items:
        if item.pieceJointeComplementaireId is None:
            continue
        pj = s.get(PieceJointe, item.pieceJointeComplementaireId)
        if pj is None or pj.owner_user_id != user.id:
            raise errors.PieceJointeInconnue(
                f"La pièce jointe {item.pieceJointeComplementaireId} n'existe pas ou "
                "n'appartient pas à l'utilisateur."
            )
        if pj.facture_id is not None and pj.facture_id != facture.id:
            raise errors.PieceJointeInvalide(
                f"La pièce jointe {pj.id} est déjà rattachée à une autre facture."
            )
        pj.facture_id = facture.id
        pj.role = "complementaire"
        pj.designation = item.pieceJointeComplementaireDesignation or pj.nom
        pj.type_piece = item.pieceJointeComplementaireType
        pj.numero_ligne = item.pieceJointeComplementaireNumeroLigneFacture


@operation(
    "POST",
    f"{BASE}/completer",
    operation_id="completerFacture",
    summary="Complete a suspended invoice (supplier)",
    tag=TAG,
    request_model=sc.CompleterFactureParam,
    response_model=sc.CompleterFactureRetour,
)
def completer(ctx: Context, p: sc.CompleterFactureParam) -> dict:
    """Only from `SUSPENDUE` (else 20002 GDP_MSG_11.033): adds the comment and the
    complementary attachments (ids from `transverses/v1/ajouter/fichier`) and moves the
    invoice to `COMPLETEE`, back in the recipient's hands."""
    with db.unit_of_work(ctx.s):
        facture = supplier_invoice(ctx, p.identifiantFactureCPP)
        if facture.statut != F.SUSPENDUE:
            raise errors.StatutNonSuspendue(
                f"GDP_MSG_11.033 - Le statut de la demande de paiement n'est pas « Suspendue » "
                f"(statut courant : {facture.statut})."
            )
        attach_pieces(ctx.s, facture, ctx.caller.user, p.pieceJointeComplementaire or [])
        if p.commentaire:
            facture.commentaire = p.commentaire
        now = clock.utcnow_naive()
        transition(
            ctx.s,
            facture,
            F.COMPLETEE,
            actor=Actor.SUPPLIER,
            motif=p.commentaire,
            user=ctx.caller.user,
            at=now,
        )
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "identifiantFactureCPP": facture.id,
        "numeroFacture": facture.numero_facture,
        "dateTraitement": date_minute(now),
    }


@operation(
    "POST",
    f"{BASE}/recycler",
    operation_id="recyclerFacture",
    summary="Send an invoice to recycle again with new routing data (supplier)",
    tag=TAG,
    request_model=sc.RecyclerFactureParam,
    response_model=sc.RecyclerFactureRetour,
)
def recycler(ctx: Context, p: sc.RecyclerFactureParam) -> dict:
    """Only from `A_RECYCLER` (else 20500). The new recipient and service exécutant
    (optional: the current ones are kept) pass the same checks as a deposit; the invoice
    becomes `DEPOSEE` and is routed at once to `MISE_A_DISPOSITION`."""
    with db.unit_of_work(ctx.s):
        facture = supplier_invoice(ctx, p.identifiantFactureCPP)
        if facture.statut != F.A_RECYCLER:
            raise errors.TransitionInterdite(
                f"Seule une facture au statut A_RECYCLER peut être recyclée (statut courant : "
                f"{facture.statut})."
            )
        dest = p.destinataire or sc.RecyclerDestinataire()
        ref = p.reference or sc.RecyclerReference()
        structure = checks.recipient(
            ctx.s, dest.codeDestinataire or _identifiant(ctx, facture.destinataire_id)
        )
        code_service = dest.codeServiceExecutant
        if code_service is None and structure.id == facture.destinataire_id:
            code_service = facture.code_service_executant
        numero_ej = ref.numeroBonCommande or facture.numero_engagement
        service = checks.service_and_ej(ctx.s, structure, code_service, numero_ej,
                                         check_ej=ctx.settings.factures_ej_check)
        facture.destinataire_id = structure.id
        facture.destinataire_service_id = service.id if service else None
        facture.code_service_executant = service.code if service else None
        facture.numero_engagement = numero_ej
        if ref.numeroMarche:
            facture.numero_marche = ref.numeroMarche
        now = clock.utcnow_naive()
        transition(
            ctx.s,
            facture,
            F.DEPOSEE,
            actor=Actor.SUPPLIER,
            motif=p.commentaire,
            user=ctx.caller.user,
            at=now,
        )
        route(ctx.s, facture, at=now)
    return {
        "codeRetour": 0,
        "libelle": cpro_errors.LIBELLE_CONSULTATION_OK,
        "dateDepot": date_minute(now),
        "identifiantFactureCPP": facture.id,
        "numeroFacture": facture.numero_facture,
        "statutFacture": F.DEPOSEE,
    }


def _identifiant(ctx: Context, structure_id: int) -> str:
    """The identifiant of an invoice's party (it exists while the invoice does)."""
    return ctx.s.get_one(Structure, structure_id).identifiant


@operation(
    "POST",
    f"{BASE}/traiterRejet",
    operation_id="traiterFacturesRejetees",
    summary="Acknowledge rejected invoices (supplier)",
    tag=TAG,
    request_model=sc.TraiterRejetParam,
    response_model=sc.TraiterRejetRetour,
)
def traiter_rejet(ctx: Context, p: sc.TraiterRejetParam) -> dict:
    """Every listed invoice must be the caller's and `REJETEE` (else nothing changes and
    the answer names the first one that is not); each gets `rejetTraite` true and a
    `TRAITEMENT_REJET` action in its history."""
    ids = [d.idDemandePaiement for d in p.listeDemandePaiement or [] if d.idDemandePaiement]
    if not ids:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : listeDemandePaiement."
        )
    with db.unit_of_work(ctx.s):
        factures = [supplier_invoice(ctx, facture_id) for facture_id in dict.fromkeys(ids)]
        for facture in factures:
            if facture.statut != F.REJETEE:
                raise errors.TransitionInterdite(
                    f"La facture {facture.id} n'est pas rejetée "
                    f"(statut courant : {facture.statut})."
                )
        now = clock.utcnow_naive()
        user = ctx.caller.user
        for facture in factures:
            facture.rejet_traite = True
            record_action(ctx.s, facture, ActionFacture.TRAITEMENT_REJET, user, at=now)
    return {"codeRetour": 0, "libelle": cpro_errors.LIBELLE_CONSULTATION_OK}
