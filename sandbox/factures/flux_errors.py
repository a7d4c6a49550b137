"""Business errors of the flux services (deposer/flux, consulterCR, consulterCRDetaille).

HTTP 200 with ``codeRetour`` != 0. "Flux introuvable" is attested verbatim
(factures-reference.md §4.4); the ``deposer/flux`` envelope codes (20400-20403) are
the sandbox's choice, the reference having none (docs/decisions.md). The invoice
errors (unknown invoice, empty search...) live in ``sandbox.factures.errors``.
"""

from __future__ import annotations

from sandbox.cpro.errors import BusinessError

LIBELLE_DEPOT_OK = "GCU_MSG_01_000"
LIBELLE_CR_OK = "TRA_MSG_00.000"


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


class FichierTropVolumineux(BusinessError):
    code = 20403
    libelle = "Le fichier du flux dépasse la taille maximale autorisée."


ALL = [FluxIntrouvable, FichierNonBase64, FichierVide, NomFichierInvalide, FichierTropVolumineux]
