"""Who sees which invoice: the one place that says it, for the API and the portal.

A supplier sees the invoices its structures issued; a recipient sees those addressed to its
structures once the platform has made them available (not while ``NOT_YET_RECEIVED``:
nor while with, or refused by, their validator); a validator sees the invoices that name
one of its structures as validator, from ``A_VALIDER_1`` on (``validated_by``).
"Its structures" are ``accounts.rights.usable_structure_ids``: a portal user's validated
rattachements, a technical account's through its structure's gestionnaire principal.

A rules module: no Flask, no registry, no request context.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BindParameter, ColumnElement
from sqlalchemy.orm import Session

from sandbox.accounts.rights import Account, usable_structure_ids
from sandbox.factures import errors
from sandbox.factures.models import Facture
from sandbox.factures.rules.lifecycle import NOT_YET_RECEIVED
from sandbox.vocabulary import StatutFacture as F

# Not yet with the validator: deposited, not routed.
NOT_YET_TO_VALIDATE = frozenset({F.BROUILLON, F.DEPOSEE, F.INTERPRETEE_OCR})


def is_received(facture: Facture) -> bool:
    """True once the platform has made the invoice available to its recipient."""
    return facture.statut not in NOT_YET_RECEIVED


def received_by(structure_ids: Iterable[int] | BindParameter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of "received by one of ``structure_ids``"."""
    return [Facture.destinataire_id.in_(structure_ids), Facture.statut.not_in(NOT_YET_RECEIVED)]


def received_invoice(s: Session, user: Account, facture_id: int | None) -> Facture:
    """The invoice ``facture_id`` as received by one of ``user``'s structures.

    Raises ``ParametreFactureManquant`` (no id), ``DemandePaiementInconnue`` (unknown or not
    yet received), ``HabilitationInsuffisante`` (addressed to another structure).
    """
    if facture_id is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : idFacture.")
    facture = s.get(Facture, facture_id)
    if facture is None or not is_received(facture):
        raise errors.DemandePaiementInconnue()
    if facture.destinataire_id not in usable_structure_ids(s, user):
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires sur la "
            "structure destinataire de cette facture."
        )
    return facture


def supplier_invoice(s: Session, user: Account, facture_id: int | None) -> Facture:
    """The invoice ``facture_id`` issued by a structure ``user`` may act for.

    Raises ``ParametreFactureManquant``, ``DemandePaiementInconnue``,
    ``HabilitationInsuffisante``.
    """
    if facture_id is None:
        raise errors.ParametreFactureManquant(
            "Paramètre obligatoire manquant : identifiantFactureCPP."
        )
    facture = s.get(Facture, facture_id)
    if facture is None:
        raise errors.DemandePaiementInconnue()
    if facture.fournisseur_id not in usable_structure_ids(s, user):
        raise errors.HabilitationInsuffisante()
    return facture


def validated_by(structure_ids: Iterable[int] | BindParameter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of "to be validated (or once validated) by one of ``structure_ids``"."""
    return [
        Facture.valideur_structure_id.in_(structure_ids),
        Facture.statut.not_in(NOT_YET_TO_VALIDATE),
    ]


def seen_by_validator(facture: Facture, structure_ids: set[int]) -> bool:
    """True when one of ``structure_ids`` validates ``facture`` and it reached it."""
    return (
        facture.valideur_structure_id in structure_ids
        and facture.statut not in NOT_YET_TO_VALIDATE
    )


def validator_invoice(s: Session, user: Account, facture_id: int | None) -> Facture:
    """The invoice ``facture_id`` as its validator sees it (one of ``user``'s structures).

    Raises ``ParametreFactureManquant`` (no id), ``DemandePaiementInconnue`` (unknown, no
    validator, or not with its validator yet), ``HabilitationInsuffisante`` (another
    structure validates it).
    """
    if facture_id is None:
        raise errors.ParametreFactureManquant("Paramètre obligatoire manquant : idFacture.")
    facture = s.get(Facture, facture_id)
    if (
        facture is None
        or facture.valideur_structure_id is None
        or facture.statut in NOT_YET_TO_VALIDATE
    ):
        raise errors.DemandePaiementInconnue()
    if facture.valideur_structure_id not in usable_structure_ids(s, user):
        raise errors.HabilitationInsuffisante(
            "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires sur la "
            "structure valideur de cette facture."
        )
    return facture
