"""The error bodies of the Référentiel des Organisations: HTTP 4xx with a JSON **array**
``[{"error", "message", "detail"?}]`` (piste-gouv-fr's live tests against qualification),
never a ``codeRetour``.

Attested verbatim: ``ParamsInvalidUuidStructures`` (a structure reference that is neither a
uuid, a SIRET nor a VAT number) and ``NotFoundReference`` ("Aucun Services trouvé" with its
detail). The other names (``ParamsMissing``, ``ParamsInvalid``, ``Forbidden``,
``AlreadyExists``, ``UnsupportedMediaType``) follow them; docs/decisions.md says so.
The cpro-account refusal (``{"ErrorCode": "401", "Description": "[invalid field]"}``) is
the dispatcher's (``api.py``).
"""

from __future__ import annotations

MAX_ECHO = 100  # characters of a caller's reference echoed in a detail


def echo(reference: str) -> str:
    """A reference as it can be written back: no control character, no lone surrogate,
    at most ``MAX_ECHO`` characters."""
    text = reference.encode("utf-8", "replace").decode("utf-8")
    text = "".join(c if c.isprintable() else "\ufffd" for c in text)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"


class OrganisationError(Exception):
    """A refusal of the Référentiel des Organisations: ``status`` and one error item."""

    def __init__(self, error: str, message: str, detail: str | None = None,
                 status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.detail = detail
        self.status = status

    def body(self) -> list[dict[str, str]]:
        item = {"error": self.error, "message": self.message}
        if self.detail is not None:
            item["detail"] = self.detail
        return [item]


def invalid_structure_reference() -> OrganisationError:
    """A structure reference that is neither a uuid, a SIRET nor a VAT number (verbatim)."""
    return OrganisationError(
        "ParamsInvalidUuidStructures",
        "L'identifiant passé en paramètre n'est ni un UUID, ni un SIRET, ni un numéro de "
        "TVA Intracommunautaire.",
    )


def not_found(type_name: str, reference: str) -> OrganisationError:
    """Nothing of ``type_name`` (``Structures``, ``Services``, ``PiecesJointes``) under
    ``reference`` (attested for Services: message and detail)."""
    return OrganisationError(
        "NotFoundReference",
        f"Aucun {type_name} trouvé",
        f"Aucune donnée de type {type_name} n'a pu être trouvée avec la référence "
        f"{echo(reference)}",
    )


def params_missing() -> OrganisationError:
    """A search without any criterion (facturation_electronique's docstring sentence)."""
    return OrganisationError(
        "ParamsMissing", "Un attribut de la structure doit être renseigné pour la recherche."
    )


def params_invalid(message: str) -> OrganisationError:
    """A body the API cannot use (JSON, field, operator, value)."""
    return OrganisationError("ParamsInvalid", message)


def forbidden(message: str) -> OrganisationError:
    """HTTP 403: the caller may not change this structure (attested status, our body)."""
    return OrganisationError("Forbidden", message, status=403)


def already_exists(message: str) -> OrganisationError:
    """HTTP 409: a service with that code already exists on the structure."""
    return OrganisationError("AlreadyExists", message, status=409)


def unsupported_media_type(received: str) -> OrganisationError:
    """HTTP 415: a body that is not JSON."""
    return OrganisationError(
        "UnsupportedMediaType",
        "Format de la requête non supporté : le corps doit être du JSON "
        f"(Content-Type: application/json), reçu {echo(received) or 'aucun Content-Type'}.",
        status=415,
    )
