"""The one vocabulary: every enumeration of the real API, as `StrEnum`s.

Models store these values, pydantic schemas declare them (a `StrEnum` field renders
as an `enum` in `/openapi.json`), fixtures and seeding use them. Values are verbatim
from ../shared/docs/chorus-pro-reference.md (section 5) and factures-reference.md;
where the reference is silent, docs/decisions.md says what we chose.

Because they are `StrEnum`s, `TypeIdentifiant.SIRET == "SIRET"` and they bind to
SQL as plain strings: no migration, no conversion at the edges.

It holds the ids' domain too: ``INT64_MAX``, the one 64-bit bound, and ``Id64``, an id
in a request body.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """Return the enum's values in declaration order (for CHECKs, selects, docs)."""
    return tuple(member.value for member in enum)


# --- Ids --------------------------------------------------------------------------

# The largest integer a BIGINT column holds: the bound of every id (and of every integer
# a request may carry to the database). A larger one names nothing and could not be bound.
INT64_MAX = 2**63 - 1

# An id in a request body (pydantic): 1 to INT64_MAX; no Chorus id is 0 or negative.
Id64 = Annotated[int, Field(ge=1, le=INT64_MAX)]


# --- Structures -------------------------------------------------------------------


class TypeIdentifiant(StrEnum):
    """typeIdentifiantStructure, in the order recuperer/typeidentifiant/structure gives."""

    SIRET = "SIRET"
    UE_HORS_FRANCE = "UE_HORS_FRANCE"
    HORS_UE = "HORS_UE"
    RIDET = "RIDET"
    TAHITI = "TAHITI"
    AUTRE = "AUTRE"
    PARTICULIER = "PARTICULIER"


class TypeStructure(StrEnum):
    """typeStructure / structurePriveePublique."""

    PRIVEE = "PRIVEE"
    PUBLIQUE = "PUBLIQUE"


class StatutStructure(StrEnum):
    """statutStructure as searched and stored (the answers render ACTIVE/INACTIVE)."""

    ACTIF = "ACTIF"
    INACTIF = "INACTIF"


class StatutService(StrEnum):
    """statutService (derived from estActif)."""

    ACTIF = "ACTIF"
    INACTIF = "INACTIF"


class StatutStructureSortie(StrEnum):
    """statut in search answers."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


# --- Users and rattachements ------------------------------------------------------


class StatutRattachement(StrEnum):
    """statutRattachement."""

    EN_COURS_DE_VALIDATION = "EN_COURS_DE_VALIDATION"
    REFUSEE = "REFUSEE"
    VALIDEE = "VALIDEE"
    DESACTIVEE = "DESACTIVEE"
    SUPPRIMEE = "SUPPRIMEE"


class Role(StrEnum):
    """roleUtilisateur on a structure (new portal: two roles)."""

    GESTIONNAIRE_PRINCIPAL = "GESTIONNAIRE_PRINCIPAL"
    UTILISATEUR = "UTILISATEUR"


class StatutUtilisateur(StrEnum):
    """statutUtilisateur (the real value set is undocumented: docs/decisions.md)."""

    EN_ATTENTE_ACTIVATION = "EN_ATTENTE_ACTIVATION"
    ACTIF = "ACTIF"
    INACTIF = "INACTIF"


class TypeHabilitation(StrEnum):
    """typeHabilitation of an espace subscription."""

    CONSULTATION_UNIQUEMENT = "CONSULTATION_UNIQUEMENT"
    MODIFICATION = "MODIFICATION"


class EtatEspace(StrEnum):
    """etatCourant of an espace."""

    ACTIVE = "ACTIVE"
    SUPPRIME = "SUPPRIME"


class TriSens(StrEnum):
    """triSens of every paged search."""

    ASCENDANT = "Ascendant"
    DESCENDANT = "Descendant"


class CodeLangue(StrEnum):
    """codeLangue of consulter* and recuperer/pays, recuperer/devises."""

    FR = "FR"
    EN = "EN"


# --- Infrastructure (not API vocabulary) -----------------------------------------


class MailState(StrEnum):
    """State of an outbox row."""

    QUEUED = "queued"
    RETRYING = "retrying"
    DELIVERED = "delivered"


class TokenPurpose(StrEnum):
    """What a one-time token is for."""

    ACTIVATION = "activation"
    PASSWORD_RESET = "password_reset"
    SECOND_FACTOR = "second_factor"


# --- Factures ---------------------------------------------------------------------


class SyntaxeFlux(StrEnum):
    """syntaxeFlux of deposer/flux: the 13 values of the Swagger enum."""

    IN_DP_E1_UBL_INVOICE = "IN_DP_E1_UBL_INVOICE"
    IN_DP_E1_CII_16B = "IN_DP_E1_CII_16B"
    IN_DP_E2_CII_FACTURX = "IN_DP_E2_CII_FACTURX"
    IN_DP_E2_UBL_INVOICE_MIN = "IN_DP_E2_UBL_INVOICE_MIN"
    IN_DP_E2_CPP_FACTURE_MIN = "IN_DP_E2_CPP_FACTURE_MIN"
    IN_DP_E2_CII_MIN_16B = "IN_DP_E2_CII_MIN_16B"
    IN_DP_E2_CII_MIN = "IN_DP_E2_CII_MIN"
    IN_DP_E1_CII = "IN_DP_E1_CII"
    IN_DP_E1_PES_FACTURE = "IN_DP_E1_PES_FACTURE"
    IN_DP_E2_PES_FACTURE_MIN = "IN_DP_E2_PES_FACTURE_MIN"
    IN_DP_E1_XCBL = "IN_DP_E1_XCBL"
    IN_DP_PDFARCHIVE_UBL_INVOICE_MUG = "IN_DP_PDFARCHIVE_UBL_INVOICE_MUG"
    IN_DP_PDFARCHIVE_CII_MUG = "IN_DP_PDFARCHIVE_CII_MUG"


class EtatFlux(StrEnum):
    """etatCourantFlux / etatCourantDepotFlux (the Swagger declares no enum)."""

    IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
    IN_RECU = "IN_RECU"
    IN_TRAITE_SE_CPP = "IN_TRAITE_SE_CPP"
    IN_EN_ATTENTE_TRAITEMENT_CPP = "IN_EN_ATTENTE_TRAITEMENT_CPP"
    IN_EN_COURS_TRAITEMENT_CPP = "IN_EN_COURS_TRAITEMENT_CPP"
    IN_EN_ATTENTE_RETRAITEMENT_CPP = "IN_EN_ATTENTE_RETRAITEMENT_CPP"
    IN_INCIDENTE = "IN_INCIDENTE"
    IN_REJETE = "IN_REJETE"
    IN_INTEGRE = "IN_INTEGRE"
    IN_INTEGRE_PARTIEL = "IN_INTEGRE_PARTIEL"


ETATS_FLUX_TERMINAUX = frozenset(
    {EtatFlux.IN_INCIDENTE, EtatFlux.IN_REJETE, EtatFlux.IN_INTEGRE, EtatFlux.IN_INTEGRE_PARTIEL}
)


class StatutFacture(StrEnum):
    """Invoice statuses (recuperer/etat/typedp for FACTURE, in the official order)."""

    BROUILLON = "BROUILLON"
    A_VALIDER_1 = "A_VALIDER_1"
    ERREUR_FOURNISSEUR_SUR_VALIDEUR = "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
    REFUSEE_1 = "REFUSEE_1"
    VALIDEE_1 = "VALIDEE_1"
    ABSENCE_VALIDATION_1_HORS_DELAI = "ABSENCE_VALIDATION_1_HORS_DELAI"
    A_VALIDER_2 = "A_VALIDER_2"
    ERREUR_COTRAITANT_SUR_VALIDEUR = "ERREUR_COTRAITANT_SUR_VALIDEUR"
    REFUSEE_2 = "REFUSEE_2"
    VALIDEE_2 = "VALIDEE_2"
    ABSENCE_VALIDATION_2_HORS_DELAI = "ABSENCE_VALIDATION_2_HORS_DELAI"
    DEPOSEE = "DEPOSEE"
    ERREUR_FOURNISSEUR_SUR_MOE = "ERREUR_FOURNISSEUR_SUR_MOE"
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT"
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
    A_RECYCLER = "A_RECYCLER"
    SUSPENDUE = "SUSPENDUE"
    REJETEE = "REJETEE"
    MANDATEE = "MANDATEE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"
    COMPTABILISEE = "COMPTABILISEE"
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
    ABANDONNEE = "ABANDONNEE"
    SUPPRIMEE = "SUPPRIMEE"
    ASSOCIEE = "ASSOCIEE"
    EN_COURS_TRAITEMENT_PIVOT_S = "EN_COURS_TRAITEMENT_PIVOT_S"
    A_VALIDER_MOE = "A_VALIDER_MOE"
    REFUSEE_MOE = "REFUSEE_MOE"
    EN_ATTENTE_RECYCLAGE_FOURNISSEUR = "EN_ATTENTE_RECYCLAGE_FOURNISSEUR"
    ERREUR_MOE_SUR_FOURNISSEUR = "ERREUR_MOE_SUR_FOURNISSEUR"
    ERREUR_MOA_SUR_FOURNISSEUR = "ERREUR_MOA_SUR_FOURNISSEUR"
    INTERPRETEE_OCR = "INTERPRETEE_OCR"
    COMPLETEE = "COMPLETEE"
    ERREUR_FOURNISSEUR_SUR_MOA = "ERREUR_FOURNISSEUR_SUR_MOA"
    ERREUR_MOE_SUR_MOA = "ERREUR_MOE_SUR_MOA"
    ERREUR_DESTINATAIRE_PD = "ERREUR_DESTINATAIRE_PD"
    ERREUR_DESTINATAIRE_EA = "ERREUR_DESTINATAIRE_EA"
    SERVICE_FAIT = "SERVICE_FAIT"
    NON_CONFORME = "NON_CONFORME"
    A_ASSOCIER_MOE = "A_ASSOCIER_MOE"
    ERREUR_DE_MOE = "ERREUR_DE_MOE"
    MISE_A_DISPOSITION_MOE = "MISE_A_DISPOSITION_MOE"
    PRISE_EN_COMPTE_MOE = "PRISE_EN_COMPTE_MOE"
    A_ASSOCIER_MOA = "A_ASSOCIER_MOA"
    ERREUR_DE_MOA = "ERREUR_DE_MOA"
    REFUSEE_MOA = "REFUSEE_MOA"
    A_ASSOCIER_FOURNISSEUR = "A_ASSOCIER_FOURNISSEUR"
    REFUSEE_FOURNISSEUR = "REFUSEE_FOURNISSEUR"
    A_COMPLETER = "A_COMPLETER"
    TRANSMISE_MOA = "TRANSMISE_MOA"
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"
    REMPLACEE_PAR_A22 = "REMPLACEE_PAR_A22"
    DUPLIQUE_APRES_REFUS = "DUPLIQUE_APRES_REFUS"
    MISE_A_DISPOSITION_MOA = "MISE_A_DISPOSITION_MOA"
    PRISE_EN_COMPTE_MOA = "PRISE_EN_COMPTE_MOA"
    ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE = "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE"
    TECHNIQUE_INCONNU = "TECHNIQUE_INCONNU"


class CadreFacturation(StrEnum):
    """codeCadreFacturation (A1..A25)."""

    A1_FACTURE_FOURNISSEUR = "A1_FACTURE_FOURNISSEUR"
    A2_FACTURE_FOURNISSEUR_DEJA_PAYEE = "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"
    A3_MEMOIRE_JUSTICE = "A3_MEMOIRE_JUSTICE"
    A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR = "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"
    A5_ETAT_ACOMPTE_FOURNISSEUR = "A5_ETAT_ACOMPTE_FOURNISSEUR"
    A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR = "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR"
    A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR = "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR"
    A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR = "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR"
    A9_FACTURE_SOUSTRAITANT = "A9_FACTURE_SOUSTRAITANT"
    A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT = "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT"
    A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT = "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT"
    A12_FACTURE_COTRAITANT = "A12_FACTURE_COTRAITANT"
    A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT = "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT"
    A14_PROJET_DECOMPTE_FINAL_COTRAITANT = "A14_PROJET_DECOMPTE_FINAL_COTRAITANT"
    A15_ETAT_ACOMPTE_MOE = "A15_ETAT_ACOMPTE_MOE"
    A16_ETAT_ACOMPTE_VALIDE_MOE = "A16_ETAT_ACOMPTE_VALIDE_MOE"
    A17_PROJET_DECOMPTE_GENERAL_MOE = "A17_PROJET_DECOMPTE_GENERAL_MOE"
    A18_DECOMPTE_GENERAL_MOE = "A18_DECOMPTE_GENERAL_MOE"
    A19_ETAT_ACOMPTE_VALIDE_MOA = "A19_ETAT_ACOMPTE_VALIDE_MOA"
    A20_DECOMPTE_GENERAL_MOA = "A20_DECOMPTE_GENERAL_MOA"
    A21_DEMANDE_REMBOURSEMENT_TIC = "A21_DEMANDE_REMBOURSEMENT_TIC"
    A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE = (
        "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE"
    )
    A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR = (
        "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR"
    )
    A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE = "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE"
    A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE = (
        "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE"
    )


class ModeDepot(StrEnum):
    """modeDepot (recuperer/modedepot vocabulary)."""

    SAISIE_API = "SAISIE_API"
    DEPOT_PDF_API = "DEPOT_PDF_API"
    DEPOT_PDF_SIGNE_API = "DEPOT_PDF_SIGNE_API"
    SAISIE_WEB = "SAISIE_WEB"
    PORTAIL_PDF = "PORTAIL_PDF"
    EDI_XML_STRUCT = "EDI_XML_STRUCT"
    EDI_MIXTE = "EDI_MIXTE"
    EDI_PDF_ARCHIVE = "EDI_PDF_ARCHIVE"
    SAISIE_PORTAIL = "SAISIE_PORTAIL"
    DEPOT_PDF_PORTAIL = "DEPOT_PDF_PORTAIL"
    DEPOT_PDF_SIGNE_PORTAIL = "DEPOT_PDF_SIGNE_PORTAIL"
    EDI = "EDI"
    UPLOAD_PORTAIL = "UPLOAD_PORTAIL"
    UPLOAD_API = "UPLOAD_API"
    EDI_NUMERISATION = "EDI_NUMERISATION"


class TypeFacture(StrEnum):
    """typeFacture."""

    FACTURE = "FACTURE"
    AVOIR = "AVOIR"
    ACOMPTE = "ACOMPTE"


class TypeTva(StrEnum):
    """typeTva."""

    TVA_SUR_DEBIT = "TVA_SUR_DEBIT"
    TVA_SUR_ENCAISSEMENT = "TVA_SUR_ENCAISSEMENT"
    EXONERATION = "EXONERATION"
    SANS_TVA = "SANS_TVA"


class ModePaiement(StrEnum):
    """modePaiement (recuperer/modereglements)."""

    CHEQUE = "CHEQUE"
    PRELEVEMENT = "PRELEVEMENT"
    VIREMENT = "VIREMENT"
    ESPECE = "ESPECE"
    AUTRE = "AUTRE"
    REPORT = "REPORT"


# --- Transverses référentiels (sandbox/cpro/referentiels.py) -----------------------


class TypeDemandePaiement(StrEnum):
    """typeDemandePaiement (recuperer/typedp). Attested: FACTURE, FACTURE_TRAVAUX
    (Pastell, go-choruspro); MEMOIRE is named by the reference as "also seen"."""

    FACTURE = "FACTURE"
    FACTURE_TRAVAUX = "FACTURE_TRAVAUX"
    MEMOIRE = "MEMOIRE"


class FormatFlux(StrEnum):
    """formatFlux (recuperer/formatflux; input of recuperer/syntaxeflux)."""

    IN_DP_E1_STRUCT = "IN_DP_E1_STRUCT"
    IN_DP_E2_MIXTE = "IN_DP_E2_MIXTE"
    IN_DP_E2_FACTURX = "IN_DP_E2_FACTURX"


class TypeFactureTravaux(StrEnum):
    """typeFactureTravaux (recuperer/typefacturetravaux), piste-gouv-fr ITypeFactureTravaux."""

    DP_DE_SOUSTRAITANT_TRAVAUX = "DP_DE_SOUSTRAITANT_TRAVAUX"
    PROJET_DECOMPTE_MENSUEL = "PROJET_DECOMPTE_MENSUEL"
    ETAT_ACOMPTE = "ETAT_ACOMPTE"
    ETAT_ACOMPTE_VALIDE = "ETAT_ACOMPTE_VALIDE"
    PROJET_DECOMPTE_FINAL = "PROJET_DECOMPTE_FINAL"
    PROJET_DECOMPTE_GENERAL = "PROJET_DECOMPTE_GENERAL"
    PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE = "PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE"
    DECOMPTE_GENERAL = "DECOMPTE_GENERAL"
    DECOMPTE_GENERAL_SIGNE = "DECOMPTE_GENERAL_SIGNE"
    DECOMPTE_GENERAL_DEFINITIF_TACITE = "DECOMPTE_GENERAL_DEFINITIF_TACITE"
    DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE = "DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE"


class RoleUtilisateur(StrEnum):
    """roleUtilisateur of the works-invoice searches (factures-reference §6.5, go-choruspro)."""

    FOURNISSEUR = "FOURNISSEUR"
    MOE = "MOE"
    MOA = "MOA"
    VALIDATEUR = "VALIDATEUR"
    DESTINATAIRE = "DESTINATAIRE"


class TypeObjetPieceJointe(StrEnum):
    """typeObjet of recuperer/typespj (go-choruspro TypeObjet constants)."""

    STRUCTURE = "STRUCTURE"
    UTILISATEUR = "UTILISATEUR"
    CB = "CB"
    MANDAT = "MANDAT"
    FICHE_RACCORDEMENT = "FICHE_RACCORDEMENT"
    EJ = "EJ"
    MEMOIRE = "MEMOIRE"
    DMD_RBST = "DMD_RBST"
    TRANSVERSE = "TRANSVERSE"
    FACTURE_TRAVAUX = "FACTURE_TRAVAUX"
    FACTURE = "FACTURE"
    DMDE_CPTE_DEV_SI_EXT = "DMDE_CPTE_DEV_SI_EXT"
    SOLLICITATION = "SOLLICITATION"
    CERTIFICAT = "CERTIFICAT"
    PJ_REJET_EDI = "PJ_REJET_EDI"
class ActionFacture(StrEnum):
    """histoActionCode: user actions on an invoice (piste-gouv-fr IActionCode)."""

    TELECHARGEMENT_FACTURE = "TELECHARGEMENT_FACTURE"
    ACQUITTEMENT_REJET = "ACQUITTEMENT_REJET"
    ACQUITTEMENT_SUSPENSION = "ACQUITTEMENT_SUSPENSION"
    TRAITEMENT_REJET = "TRAITEMENT_REJET"


class ActionValideur(StrEnum):
    """action of traiter/factureAValider (go-choruspro ActionFacture); a validator's own
    actions are VALIDATION, REFUS and REJET (docs/decisions.md)."""

    REFUS = "REFUS"
    VALIDATION = "VALIDATION"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"
    MISE_EN_RECYCLAGE = "MISE_EN_RECYCLAGE"
    SUSPENSION = "SUSPENSION"
    REJET = "REJET"


# Refusal reasons of a facture à valider (idMotif, codeMotif, libelleMotif):
# recuperer/motifs/refus/Facture/AValider, and what traiter/factureAValider accepts as
# motifRefus. The sandbox's own list; MAUVAIS_VALIDEUR's code and label are those of the
# works invoices' official sample (factures-rules-and-apis-reference.md §2.4).
MOTIF_MAUVAIS_VALIDEUR = "MAUVAIS_VALIDEUR"
MOTIFS_REFUS = (
    (1, "MONTANT_ERRONE", "Montant erroné"),
    (2, "PRESTATION_NON_CONFORME", "Prestation non conforme à la commande"),
    (3, "ENGAGEMENT_ABSENT", "Numéro d'engagement absent ou erroné"),
    (4, "DOUBLON", "Facture déjà reçue (doublon)"),
    (5, "PIECE_MANQUANTE", "Pièce justificative manquante"),
    (6, "AUTRE", "Autre motif"),
    (7, MOTIF_MAUVAIS_VALIDEUR, "Mauvais valideur"),
)


class FormatTelechargement(StrEnum):
    """format of telecharger/groupe."""

    PDF = "PDF"
    PIVOT = "PIVOT"


# --- Engagements juridiques (sandbox/engagements/) -----------------------------------


class EtatEngagementJuridique(StrEnum):
    """etatCourantEngagementJuridique / libelleEtatCourantEJ: the attested values only
    (COMMANDE: OCA's search and the official samples; A_TRAITER: the qualification EJ
    report, factures-reference.md §8)."""

    COMMANDE = "COMMANDE"
    A_TRAITER = "A_TRAITER"


class TypeEngagementJuridique(StrEnum):
    """libelleTypeEngagementJuridique (the official rechercher sample)."""

    BON_DE_COMMANDE = "BON_DE_COMMANDE"


# --- PISTE subscriptions and the Référentiel des Organisations ---------------------


class ApiPiste(StrEnum):
    """The Chorus Pro APIs a PISTE application subscribes to, by their path segment
    (``/cpro/<segment>/v1/...``); PISTE lists each one with its own CGU
    (chorus-pro-reference.md §2.5)."""

    STRUCTURES = "structures"
    UTILISATEURS = "utilisateurs"
    TRANSVERSES = "transverses"
    FACTURES = "factures"
    FACTURES_TRAVAUX = "facturesTravaux"
    ENGAGEMENTS_JURIDIQUES = "engagementsJuridiques"
    ORGANISATIONS = "organisations"


class TypeOrganisation(StrEnum):
    """typeOrganisation of the Référentiel des Organisations (piste-gouv-fr's enum and
    its live test against qualification: lower case)."""

    PUBLIC = "public"
    PRIVATE = "private"


class StatusOrganisation(StrEnum):
    """status of a structure in the Référentiel des Organisations (piste-gouv-fr)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ACTIVATION_IN_PROGRESS = "activation in progress"


class EtatServiceOrganisation(StrEnum):
    """etatService of a service in the Référentiel des Organisations (piste-gouv-fr)."""

    ACTIF = "ACTIF"
    INACTIF = "INACTIF"
    SUPPRIME = "SUPPRIME"
