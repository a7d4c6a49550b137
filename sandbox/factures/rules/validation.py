"""Invoices with a validator (cadres A9 sous-traitant, A12 cotraitant): who validates,
what the validator may do, how the supplier names another validator.

factures-reference.md §6.2/§6.3, factures-rules-and-apis-reference.md §4 (go-choruspro's
``traiter/factureAValider``, ``corriger/valideur/facture``). The invoice waits in
``A_VALIDER_1`` for its validator structure (``cadreDeFacturation.codeStructureValideur``
at deposit); the validator

* validates (``VALIDATION``): ``VALIDEE_1``, then the platform routes it to the recipient
  at once (``EN_COURS_ACHEMINEMENT`` -> ``MISE_A_DISPOSITION``);
* refuses (``REFUS``, a ``motifRefus`` of ``recuperer/motifs/refus/Facture/AValider``):
  ``REFUSEE_1``, final, back to the supplier with the reason in the history;
* rejects as not its invoice (``REJET``, or ``REFUS`` with the motif ``MAUVAIS_VALIDEUR``):
  ``ERREUR_FOURNISSEUR_SUR_VALIDEUR``; the supplier then names the right validator
  (``corriger_valideur``) and the invoice waits for it in ``A_VALIDER_1``.

The other actions of go-choruspro's ``ActionFacture`` are not a validator's (20500).
Choices the reference leaves open: docs/decisions.md. A rules module: no Flask, no
registry, no request context; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.accounts.rights import Account, usable_structure_ids
from sandbox.factures import errors
from sandbox.factures.models import Facture
from sandbox.factures.rules import visibility
from sandbox.factures.rules.lifecycle import Actor, route, transition
from sandbox.models import Service, Structure
from sandbox.vocabulary import (
    MOTIF_MAUVAIS_VALIDEUR,
    MOTIFS_REFUS,
    ActionValideur,
    CadreFacturation,
    StatutStructure,
)
from sandbox.vocabulary import StatutFacture as F

# The cadres whose invoices go to a validator first.
WITH_VALIDATOR = (CadreFacturation.A9_FACTURE_SOUSTRAITANT, CadreFacturation.A12_FACTURE_COTRAITANT)
# recuperer/statutsFactureVisibles/valideur: the statuses of the validation stage.
STATUTS_VISIBLES = (
    F.A_VALIDER_1,
    F.VALIDEE_1,
    F.REFUSEE_1,
    F.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
    F.ABSENCE_VALIDATION_1_HORS_DELAI,
)
HISTORY_COMMENT_MAX = 2000  # facture_statuts.commentaire
_ACTIONS = {
    ActionValideur.VALIDATION: F.VALIDEE_1,
    ActionValideur.REFUS: F.REFUSEE_1,
    ActionValideur.REJET: F.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
}


@dataclass(frozen=True)
class Validator:
    structure: Structure
    service: Service | None


def designate(
    s: Session, identifiant: str | None, code_service: str | None, fournisseur_id: int
) -> Validator:
    """The validator an invoice names: an active structure other than the supplier (full
    identifier), and its active service ``code_service`` when one is given.

    Raises ``DonneesFactureInvalides`` (20507) saying which."""
    identifiant = (identifiant or "").strip()
    if not identifiant:
        raise errors.DonneesFactureInvalides(
            "La structure valideur (cadreDeFacturation.codeStructureValideur) est obligatoire "
            "pour les cadres de facturation A9 et A12."
        )
    structure = s.scalars(
        select(Structure).where(Structure.identifiant == identifiant).order_by(Structure.id)
    ).first()
    if structure is None or structure.statut != StatutStructure.ACTIF:
        raise errors.DonneesFactureInvalides(
            f"La structure valideur {identifiant} est inconnue ou inactive."
        )
    if structure.id == fournisseur_id:
        raise errors.DonneesFactureInvalides(
            "La structure valideur doit être différente de la structure du fournisseur."
        )
    code_service = (code_service or "").strip()
    if not code_service:
        return Validator(structure, None)
    service = s.scalars(
        select(Service).where(Service.structure_id == structure.id, Service.code == code_service)
    ).first()
    if service is None or not service.est_actif:
        raise errors.DonneesFactureInvalides(
            f"Le service {code_service} n'est pas un service actif de la structure valideur "
            f"{identifiant} (cadreDeFacturation.codeServiceValideur)."
        )
    return Validator(structure, service)


def motif_refus(text: str | None) -> tuple[str, str] | None:
    """``(codeMotif, libelleMotif)`` of a ``motifRefus`` given as a code or an ``idMotif``
    (None when absent). Raises ``DonneesFactureInvalides`` for an unknown one."""
    text = (text or "").strip()
    if not text:
        return None
    for id_motif, code, libelle in MOTIFS_REFUS:
        if text.upper() == code or text == str(id_motif):
            return code, libelle
    codes = ", ".join(code for _, code, _ in MOTIFS_REFUS)
    raise errors.DonneesFactureInvalides(
        f"Le motif de refus {text!r} est inconnu (recuperer/motifs/refus/Facture/AValider : "
        f"{codes})."
    )


def traiter(
    s: Session,
    user: Account,
    facture_id: int | None,
    action: str | None,
    *,
    motif: str | None = None,
    complement: str | None = None,
    id_valideur: int | None = None,
    at: datetime | None = None,
) -> tuple[Facture, str]:
    """The validator's decision on ``facture_id``; returns the invoice and the status the
    decision gave it (``VALIDEE_1``: the invoice itself is then with its recipient).

    Raises ``ParametreFactureManquant``, ``DemandePaiementInconnue``,
    ``HabilitationInsuffisante`` (another validator; or ``idValideur`` not the invoice's),
    ``TransitionInterdite`` (not a validator's action; not waiting for validation),
    ``MotifObligatoire`` (refusal without a motif), ``DonneesFactureInvalides`` (unknown
    motif)."""
    if action is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : action.")
    facture = visibility.validator_invoice(s, user, facture_id)
    if id_valideur is not None and id_valideur != facture.valideur_structure_id:
        raise errors.HabilitationInsuffisante(
            f"GDP_MSG_11.005 - La structure {id_valideur} n'est pas le valideur de cette facture."
        )
    target = _ACTIONS.get(ActionValideur(action))
    if target is None:
        raise errors.TransitionInterdite(
            f"L'action {action} n'est pas une action de valideur (VALIDATION, REFUS ou REJET)."
        )
    resolved = motif_refus(motif)
    if resolved is not None and resolved[0] == MOTIF_MAUVAIS_VALIDEUR:
        target = F.ERREUR_FOURNISSEUR_SUR_VALIDEUR
    commentaire = None
    if resolved is not None or complement:
        parts = [resolved[1] if resolved else None, (complement or "").strip() or None]
        commentaire = " : ".join(p for p in parts if p)[:HISTORY_COMMENT_MAX]
    if target != F.VALIDEE_1 and resolved is None:
        raise errors.MotifObligatoire(
            f"Le motif de refus (motifRefus) est obligatoire pour l'action {action}."
        )
    at = at or clock.utcnow_naive()
    transition(s, facture, target, actor=Actor.VALIDATOR, motif=commentaire, user=user, at=at)
    if target == F.VALIDEE_1:
        route(s, facture, at=at)
    return facture, target


def corriger_valideur(
    s: Session,
    user: Account,
    facture_id: int | None,
    *,
    id_structure: int | None,
    identifiant: str | None,
    at: datetime | None = None,
) -> Facture:
    """The supplier names another validator for an invoice its validator rejected as not
    its own (``ERREUR_FOURNISSEUR_SUR_VALIDEUR``): back to ``A_VALIDER_1`` for the new one.

    The validator by ``idStructure``, else by ``identifiantStructure``. Raises
    ``ParametreFactureManquant``, ``DemandePaiementInconnue``, ``HabilitationInsuffisante``
    (not the caller's invoice), ``TransitionInterdite`` (not in
    ``ERREUR_FOURNISSEUR_SUR_VALIDEUR``), ``DonneesFactureInvalides`` (validator)."""
    if facture_id is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : idFacture.")
    facture = s.get(Facture, facture_id)
    if facture is None:
        raise errors.DemandePaiementInconnue()
    if facture.fournisseur_id not in usable_structure_ids(s, user):
        raise errors.HabilitationInsuffisante()
    if id_structure is not None:
        structure = s.get(Structure, id_structure)
        if structure is None:
            raise errors.DonneesFactureInvalides(
                f"La structure valideur {id_structure} est inconnue."
            )
        identifiant = structure.identifiant
    if not (identifiant or "").strip():
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : idStructure ou identifiantStructure."
        )
    if facture.statut != F.ERREUR_FOURNISSEUR_SUR_VALIDEUR:
        raise errors.TransitionInterdite(
            f"Le valideur ne peut être corrigé que sur une facture au statut "
            f"{F.ERREUR_FOURNISSEUR_SUR_VALIDEUR} (statut courant {facture.statut})."
        )
    validator = designate(s, identifiant, None, facture.fournisseur_id)
    facture.valideur_structure_id = validator.structure.id
    facture.valideur_service_id = None
    transition(
        s, facture, F.A_VALIDER_1, actor=Actor.SUPPLIER, user=user, at=at or clock.utcnow_naive(),
        motif=f"Valideur corrigé : {validator.structure.identifiant}",
    )
    return facture
