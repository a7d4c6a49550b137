"""Routing checks shared by ``soumettre`` and ``recycler``: the recipient, its service
exécutant and legal commitment (EJ) according to its flags, the invoice number's
uniqueness per supplier (factures-reference.md §7.3 points 2-6, §8 permanent recipients).

Each raises the Factures business error that says why (French ``libelle``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.factures import errors
from sandbox.factures.models import Facture
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
    s: Session, structure: Structure, code_service: str | None, numero_ej: str | None
) -> Service | None:
    """The recipient's service named ``code_service`` (or None), after the recipient's
    rules: service mandatory, EJ mandatory, EJ or service, a service that requires an EJ;
    the service must exist and be active."""
    code_service = (code_service or "").strip() or None
    numero_ej = (numero_ej or "").strip() or None
    service = None
    if code_service is not None:
        service = s.scalars(
            select(Service).where(
                Service.structure_id == structure.id, Service.code == code_service
            )
        ).first()
        if service is None:
            raise errors.ServiceExecutantInvalide(
                f"Le service exécutant {code_service} n'existe pas pour le destinataire "
                f"{structure.identifiant}."
            )
        if not service.est_actif:
            raise errors.ServiceExecutantInvalide(
                f"Le service exécutant {code_service} du destinataire {structure.identifiant} "
                "est inactif."
            )
    if structure.code_service_doit_etre_renseigne and service is None:
        raise errors.ServiceExecutantInvalide(
            "Le code service exécutant est obligatoire pour le destinataire "
            f"{structure.identifiant}."
        )
    if structure.numero_ej_doit_etre_renseigne and numero_ej is None:
        raise errors.EngagementObligatoire(
            f"Le numéro d'engagement juridique est obligatoire pour le destinataire "
            f"{structure.identifiant}."
        )
    if structure.gestion_numero_ej_ou_code_service and service is None and numero_ej is None:
        raise errors.EngagementObligatoire(
            f"Le numéro d'engagement juridique ou le code service exécutant est obligatoire "
            f"pour le destinataire {structure.identifiant}."
        )
    if service is not None and service.numero_engagement and numero_ej is None:
        raise errors.EngagementObligatoire(
            f"Le numéro d'engagement juridique est obligatoire pour le service {service.code}."
        )
    return service


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
