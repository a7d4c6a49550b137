"""Business errors of the ``/cpro/...`` API: HTTP 200, non-zero ``codeRetour``, ``libelle``.

The real codes of the Structures/Utilisateurs APIs are undocumented (reference
section 7, question 5); the sandbox's choice is listed (and justified) in
docs/api.md. Each class carries its wire code, in the 20xxx range that the real
Factures API uses for its business errors.
"""

from __future__ import annotations

# Success libellés seen on the real platform.
LIBELLE_RECHERCHE_OK = "TRA_MSG_00.000"
LIBELLE_CONSULTATION_OK = "GCU_MSG_01_000"


class BusinessError(Exception):
    """A refused business request."""

    code = 20000
    libelle = "Erreur"

    def __init__(self, libelle: str | None = None) -> None:
        super().__init__(libelle or self.libelle)
        if libelle:
            self.libelle = libelle

    def body(self) -> dict:
        return {"codeRetour": self.code, "libelle": self.libelle}


class StructureInconnue(BusinessError):
    code = 20100
    libelle = "La structure n'existe pas."


class StructureNonAutorisee(BusinessError):
    code = 20101
    libelle = (
        "L'utilisateur n'a pas les habilitations nécessaires sur cette structure "
        "(structure privée à laquelle il n'est pas rattaché)."
    )


class ServiceInconnu(BusinessError):
    code = 20102
    libelle = "Le service n'existe pas pour cette structure."


class ParametreManquant(BusinessError):
    code = 20103
    libelle = "Paramètre obligatoire manquant ou incohérent."


class UtilisateurInconnu(BusinessError):
    code = 20104
    libelle = "L'utilisateur n'existe pas."


class GestionnaireRequis(BusinessError):
    code = 20105
    libelle = "Seul un gestionnaire de la structure peut consulter ces rattachements."


class RattachementInconnu(BusinessError):
    code = 20106
    libelle = "L'utilisateur n'a pas de rattachement à cette structure."


class SiretIndisponible(BusinessError):
    code = 20200
    libelle = (
        "Le service de consultation des informations SIRET (INSEE) n'est pas disponible "
        "sur l'environnement de qualification."
    )


class SiretInconnu(BusinessError):
    code = 20201
    libelle = "Le SIRET est inconnu."


ALL = [
    StructureInconnue,
    StructureNonAutorisee,
    ServiceInconnu,
    ParametreManquant,
    UtilisateurInconnu,
    GestionnaireRequis,
    RattachementInconnu,
    SiretIndisponible,
    SiretInconnu,
]

# Request-level errors (HTTP 400/415), same body shape plus "erreurs".
CODE_JSON_MALFORME = 10001
CODE_SCHEMA = 10002
CODE_FORMAT_NON_SUPPORTE = 10003
