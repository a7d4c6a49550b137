"""Business errors of the Factures area (HTTP 200, ``codeRetour`` != 0, ``libelle``).

Real codes where the reference has them (factures-reference.md §5.2, §6.1, CPR §2.6):
20000 "La demande de paiement n'existe pas." (GDP_MSG_11.008), 20001 missing habilitation
(GDP_MSG_11.005), 20002 the invoice is not "Suspendue" (GDP_MSG_11.033), 20003 file over
10 Mo, 20000 "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat" for an empty
recipient search. The real codes of everything else (invalid transitions, soumettre's
20303-20305, recycler's 20004-20014) are unpublished: ours are in the 205xx range so they
never collide with a real one (docs/decisions.md).

The flux services (``deposer/flux``, ``consulterCR``, ``consulterCRDetaille``): "Flux
introuvable" is attested verbatim (factures-reference.md §4.4); the ``deposer/flux``
envelope codes (20400-20403) are the sandbox's choice, the reference having none.
"""

from __future__ import annotations

from sandbox.cpro.errors import BusinessError

LIBELLE_DEPOT_OK = "GCU_MSG_01_000"
LIBELLE_CR_OK = "TRA_MSG_00.000"


class DemandePaiementInconnue(BusinessError):
    code = 20000
    libelle = "GDP_MSG_11.008 - La demande de paiement n'existe pas."


class RechercheVide(BusinessError):
    code = 20000
    libelle = "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"


class HabilitationInsuffisante(BusinessError):
    code = 20001
    libelle = (
        "GDP_MSG_11.005 - L'utilisateur n'a pas les habilitations nécessaires pour "
        "soumettre la demande."
    )


class StatutNonSuspendue(BusinessError):
    code = 20002
    libelle = "GDP_MSG_11.033 - Le statut de la demande de paiement n'est pas « Suspendue »."


class FichierTropVolumineux(BusinessError):
    code = 20003
    libelle = "La pièce jointe dépasse la taille maximale autorisée (10 Mo)."


# --- ours (205xx) ------------------------------------------------------------------


class TransitionInterdite(BusinessError):
    code = 20500
    libelle = "Le nouveau statut n'est pas autorisé depuis le statut courant de la facture."


class MotifObligatoire(BusinessError):
    code = 20501
    libelle = "Le motif est obligatoire pour rejeter ou suspendre une facture."


class NumeroFactureExistant(BusinessError):
    code = 20502
    libelle = "Le numéro de facture est déjà utilisé par ce fournisseur."


class DestinataireInvalide(BusinessError):
    code = 20503
    libelle = "Le destinataire de la facture est inconnu ou inactif."


class ServiceExecutantInvalide(BusinessError):
    code = 20504
    libelle = "Le code service exécutant est obligatoire, inconnu ou inactif pour ce destinataire."


class EngagementObligatoire(BusinessError):
    code = 20505
    libelle = "Le numéro d'engagement juridique est obligatoire pour ce destinataire."


class FournisseurInvalide(BusinessError):
    code = 20506
    libelle = "Le fournisseur de la facture est inconnu ou inactif."


class DonneesFactureInvalides(BusinessError):
    code = 20507
    libelle = "Les données de la facture sont incomplètes ou incohérentes."


class PieceJointeInconnue(BusinessError):
    code = 20508
    libelle = "La pièce jointe n'existe pas ou n'appartient pas à l'utilisateur."


class PieceJointeInvalide(BusinessError):
    code = 20509
    libelle = "La pièce jointe est invalide (nom, extension ou contenu)."


class ModeDepotNonAutorise(BusinessError):
    code = 20510
    libelle = "Le mode de dépôt n'est pas autorisé pour ce service."


class ParametreFactureManquant(BusinessError):
    code = 20511
    libelle = "Paramètre obligatoire manquant."


class EngagementJuridiqueInconnu(BusinessError):
    """GES-19 (soumettre, recycler): the EJ is not one of the recipient's (engagements)."""

    code = 20530
    libelle = "L'engagement juridique n'est pas un engagement du destinataire."


class DemandePaiementIndisponible(BusinessError):
    """rechercher/demandePaiement: "not working on the qualification space" (go-choruspro)."""

    code = 20540
    libelle = (
        "Le service de recherche des demandes de paiement (base vivante et base archive) "
        "n'est pas disponible sur l'environnement de qualification."
    )


# --- the flux services (deposer/flux: 204xx, ours) -----------------------------------


class FluxIntrouvable(BusinessError):
    """consulterCR / consulterCRDetaille: unknown flux, or another account's."""

    code = 20001
    libelle = "POQ_MSG_01.003 - Flux introuvable."


class FichierNonBase64(BusinessError):
    code = 20400
    libelle = (
        "Le contenu du fichier (fichierFlux) n'est pas un encodage base64 valide "
        "(RFC 4648, sans espace ni retour à la ligne)."
    )


class FichierVide(BusinessError):
    code = 20401
    libelle = "Le fichier du flux (fichierFlux) est vide."


class NomFichierInvalide(BusinessError):
    code = 20402
    libelle = (
        "Le nom du fichier (nomFichier) doit comporter au plus 200 caractères et une "
        "extension (par exemple facture.xml, facture.pdf, lot.tar.gz)."
    )


class FluxTropVolumineux(BusinessError):
    """deposer/flux: the flux's file over ``factures_max_file_bytes``."""

    code = 20403
    libelle = "Le fichier du flux dépasse la taille maximale autorisée."


# --- factures de travaux (facturesTravaux/v1) -------------------------------------------


class RechercheTravauxVide(BusinessError):
    """rechercherFactureTravaux with no hit: 20007, as Pastell's code reads it."""

    code = 20007
    libelle = "GFT_MSG_01.075 - La recherche n'a retourné aucun résultat"


class MoeInvalide(BusinessError):
    code = 20530
    libelle = "La maîtrise d'œuvre (MOE) est obligatoire, inconnue ou inactive pour ce cadre."


class PieceNonAssociable(BusinessError):
    code = 20531
    libelle = "La pièce précédente n'existe pas ou ne peut pas être associée par cet acteur."
