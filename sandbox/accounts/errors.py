"""Errors raised by the account rules (``sandbox.accounts.*``), each with a French message
for the portal."""

from __future__ import annotations


class AccountError(Exception):
    """Base class: ``message`` is French and safe to show to the user."""

    message = "Une erreur est survenue."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class ValidationErrors(AccountError):
    """Invalid input: one French message per field (nothing was created)."""

    message = "Le formulaire contient des erreurs."

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(self.message)


# Activation links -----------------------------------------------------------


class LinkError(AccountError):
    """An activation link that cannot be used."""


class UnknownLinkError(LinkError):
    message = "Ce lien d'activation est inconnu. Vérifiez qu'il a été copié en entier."


class ExpiredLinkError(LinkError):
    message = "Ce lien d'activation a expiré."

    def __init__(self, user_id: int, message: str | None = None) -> None:
        self.user_id = user_id
        super().__init__(message)


class UsedLinkError(LinkError):
    message = "Ce lien d'activation a déjà été utilisé : votre compte est activé."

    def __init__(self, user_id: int, message: str | None = None) -> None:
        self.user_id = user_id
        super().__init__(message)


class RevokedLinkError(UsedLinkError):
    """Superseded by a newer link (a kind of "used" link)."""

    message = (
        "Ce lien d'activation n'est plus valable : un lien plus récent vous a été envoyé. "
        "Utilisez le dernier e-mail reçu."
    )


class RattachementPendingError(AccountError):
    message = (
        "Votre demande de rattachement à la structure est en cours de validation par son "
        "gestionnaire principal. Vous pourrez finaliser l'activation de votre compte dès "
        "qu'elle aura été validée ; un e-mail vous en informera."
    )


class RattachementRefusedError(AccountError):
    message = (
        "Votre demande de rattachement à la structure a été refusée par son gestionnaire "
        "principal : l'activation de votre compte est impossible."
    )

    def __init__(self, commentaire: str | None = None) -> None:
        self.commentaire = commentaire
        super().__init__()


class WeakPasswordError(AccountError):
    """The chosen password breaks the policy (``problems`` lists each rule broken)."""

    message = "Le mot de passe ne respecte pas la politique de sécurité."

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(self.message + " " + " ".join(problems))


class AlreadyActiveError(AccountError):
    message = "Ce compte est déjà activé : connectez-vous avec votre mot de passe."


# Login ----------------------------------------------------------------------


class AuthenticationError(AccountError):
    message = "Adresse électronique de connexion ou mot de passe incorrect."


class InvalidCredentialsError(AuthenticationError):
    """A wrong password or an unknown login: the same words either way."""

    def __init__(self, limit: int = 5, minutes: float = 60) -> None:
        super().__init__(
            f"{AuthenticationError.message} Après {limit} erreurs consécutives, le compte "
            f"est bloqué pendant {minutes:g} minutes."
        )


class AccountNotActivatedError(AuthenticationError):
    message = (
        "Votre compte n'est pas encore activé : suivez le lien d'activation reçu par e-mail "
        "pour choisir votre mot de passe."
    )


class AccountLockedError(AuthenticationError):
    def __init__(self, until_text: str) -> None:
        self.until_text = until_text
        super().__init__(
            "Votre compte est bloqué à la suite de plusieurs erreurs de mot de passe. "
            f"Réessayez après {until_text} (heure de Paris)."
        )


class TechnicalAccountLoginError(AuthenticationError):
    """A technical account tried to log in to the portal (it only calls the API).

    Not to be confused with ``accounts.technical.TechnicalAccountRuleError``: a
    technical account that cannot be created or reset."""

    message = "Un compte technique ne peut pas se connecter au portail Chorus Pro."


class InvalidCodeError(AuthenticationError):
    message = "Code de vérification incorrect ou expiré."


# Rattachements --------------------------------------------------------------


class RattachementNotFoundError(AccountError):
    message = "Cette demande de rattachement n'existe pas."


class RattachementAlreadyDecidedError(AccountError):
    message = "Cette demande de rattachement a déjà été traitée."


class NotGestionnaireError(AccountError):
    message = "Seul le gestionnaire principal de la structure peut traiter cette demande."
