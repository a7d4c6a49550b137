"""Business errors of the Engagements juridiques API (HTTP 200, ``codeRetour`` != 0).

No error of this API is published (factures-rules-and-apis-reference.md §3, §8). A search
with no hit answers as ``rechercher/recipiendaire`` does (20000 ``TRA_MSG_00.015``,
attested there); the other codes are the sandbox's, in a range of their own (206xx) so
they never collide with a real one (docs/decisions.md).
"""

from __future__ import annotations

from sandbox.cpro.errors import BusinessError

LIBELLE_OK = "TRA_MSG_00.000"  # the official rechercher and consulterDetail samples


class RechercheVide(BusinessError):
    code = 20000
    libelle = "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"


class EngagementInconnu(BusinessError):
    code = 20600
    libelle = "L'engagement juridique n'existe pas ou n'est pas visible par l'utilisateur."


class ParametreManquant(BusinessError):
    code = 20601
    libelle = "Paramètre obligatoire manquant ou invalide."


class EngagementInvalide(BusinessError):
    """The control plane's refusals of a new EJ (taken number, unknown structure...)."""

    code = 20602
    libelle = "L'engagement juridique est invalide."
