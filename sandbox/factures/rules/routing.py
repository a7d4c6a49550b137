"""Routing checks shared by ``soumettre`` and ``recycler``: the recipient, its service
exécutant and legal commitment (EJ) according to its flags, the invoice number's
uniqueness per supplier (factures-reference.md §7.3 points 2-6, §8 permanent recipients).

Each raises the Factures business error that says why (French ``libelle``). The rules
are those of a deposited flux (``rules/table.py``: GES-04/05 recipient, GES-06..11
service and EJ, GES-19 unknown EJ, GES-18 duplicate); only the answer's shape differs
(codeRetour).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.cpro.errors import BusinessError
from sandbox.factures import errors
from sandbox.factures.models import Facture
from sandbox.factures.rules.checks import service_rules
from sandbox.models import Service, Structure
from sandbox.vocabulary import StatutStructure


def recipient(s: Session, code_destinataire: str | None) -> Structure:
    """The active structure whose identifier is ``code_destinataire`` (full SIRET)."""
    if not code_destinataire:
        raise errors.DestinataireInvalide(
            "Le destinataire (destinataire.codeDestinataire) est obligatoire."
        )
    structure = s.scalars(
        select(Structure).where(Structure.identifiant == code_destinataire.strip())
    ).first()
    if structure is None:
        raise errors.DestinataireInvalide(
            f"Le destinataire {code_destinataire} n'est pas référencé dans Chorus Pro "
            "(identifiant SIRET complet attendu, 14 chiffres)."
        )
    if structure.statut != StatutStructure.ACTIF:
        raise errors.DestinataireInvalide(f"Le destinataire {code_destinataire} est inactif.")
    return structure


def service_and_ej(
    s: Session, structure: Structure, code_service: str | None, numero_ej: str | None,
    *, check_ej: bool = True,
) -> Service | None:
    """The recipient's service named ``code_service`` (or None), after the recipient's
    rules, the same as a flux's (``checks.service_rules``: GES-06..11 of the table): the
    first that fails raises its business error."""
    code_service = (code_service or "").strip() or None
    numero_ej = (numero_ej or "").strip() or None
    service, failed = service_rules(s, structure, code_service, numero_ej, check_ej=check_ej)
    if not failed:
        return service
    if failed[0] == "GES-19":
        raise errors.EngagementJuridiqueInconnu(
            f"L'engagement juridique {numero_ej} n'est pas un engagement du destinataire "
            f"{structure.identifiant}.")
    raise _REFUSALS[failed[0]](structure, code_service)


_REFUSALS: dict[str, Callable[[Structure, str | None], BusinessError]] = {
    "GES-06": lambda st, code: errors.ServiceExecutantInvalide(
        f"Le code service exécutant est obligatoire pour le destinataire {st.identifiant}."),
    "GES-07": lambda st, code: errors.EngagementObligatoire(
        "Le numéro d'engagement juridique est obligatoire pour le destinataire "
        f"{st.identifiant}."),
    "GES-08": lambda st, code: errors.EngagementObligatoire(
        "Le numéro d'engagement juridique ou le code service exécutant est obligatoire pour le "
        f"destinataire {st.identifiant}."),
    "GES-09": lambda st, code: errors.ServiceExecutantInvalide(
        f"Le service exécutant {code} n'existe pas pour le destinataire {st.identifiant}."),
    "GES-10": lambda st, code: errors.EngagementObligatoire(
        f"Le numéro d'engagement juridique est obligatoire pour le service {code}."),
    "GES-11": lambda st, code: errors.ServiceExecutantInvalide(
        f"Le service exécutant {code} du destinataire {st.identifiant} est inactif."),
}


def numero_unique(s: Session, fournisseur_id: int, numero: str) -> None:
    """One invoice number per supplier structure (the schema enforces it too)."""
    taken = s.scalar(
        select(Facture.id).where(
            Facture.fournisseur_id == fournisseur_id, Facture.numero_facture == numero
        )
    )
    if taken is not None:
        raise errors.NumeroFactureExistant(
            f"Le numéro de facture {numero} est déjà utilisé par ce fournisseur (facture {taken})."
        )
