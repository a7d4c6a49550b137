"""Validation of the signup form's fields: formats, lengths, French messages.

Pure functions (no database): ``clean_signup`` normalises what was typed and
returns the cleaned values (a frozen ``SignupData``) and the errors per field. Rules
that need the database (login already used, identifier of an existing structure)
live in ``sandbox.accounts.signup``. The formats are documented in docs/portal.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

import pycountry
from stdnum.eu import vat as eu_vat
from stdnum.fr import siret as fr_siret

from sandbox.vocabulary import TypeIdentifiant, TypeStructure

# Labels shown in the portal, per API value (reference §1.5).
LIBELLES_TYPE_IDENTIFIANT: dict[str, str] = {
    TypeIdentifiant.SIRET: "SIRET",
    TypeIdentifiant.UE_HORS_FRANCE: "Structure européenne hors France",
    TypeIdentifiant.HORS_UE: "Structure hors UE",
    TypeIdentifiant.RIDET: "RIDET (Nouvelle-Calédonie)",
    TypeIdentifiant.TAHITI: "Numéro TAHITI (Polynésie française)",
    TypeIdentifiant.AUTRE: "En cours d'immatriculation",
    TypeIdentifiant.PARTICULIER: "Particulier",
}

# The format hint shown under "Identifiant" for each type.
FORMATS_IDENTIFIANT: dict[str, str] = {
    TypeIdentifiant.SIRET: (
        "14 chiffres (SIREN + NIC), espaces acceptés, clé de contrôle valide. "
        "Exemple : 356 000 000 49837"
    ),
    TypeIdentifiant.UE_HORS_FRANCE: (
        "Numéro de TVA intracommunautaire d'un autre État membre, préfixe pays "
        "compris. Exemple : DE136695976"
    ),
    TypeIdentifiant.HORS_UE: (
        "De 3 à 30 caractères : lettres, chiffres, espace, point, tiret ou barre "
        "oblique. Exemple : EIN 12-3456789"
    ),
    TypeIdentifiant.RIDET: (
        "Numéro d'entreprise (6 ou 7 chiffres) suivi du numéro d'établissement "
        "(3 chiffres), point facultatif. Exemple : 1234567.001"
    ),
    TypeIdentifiant.TAHITI: (
        "Une lettre ou un chiffre suivi de 5 chiffres, numéro d'établissement "
        "(3 chiffres) facultatif. Exemple : A12345 ou A12345001"
    ),
    TypeIdentifiant.AUTRE: (
        "De 3 à 30 caractères : lettres, chiffres, point ou tiret (référence de la "
        "demande d'immatriculation). Exemple : IMMAT-2024-001"
    ),
    TypeIdentifiant.PARTICULIER: (
        "De 3 à 30 caractères : lettres, chiffres, point ou tiret (identifiant "
        "choisi par le particulier). Exemple : DUPONT-JEAN-1980"
    ),
}

LIBELLES_TYPE_STRUCTURE: dict[str, str] = {
    TypeStructure.PRIVEE: "Privée",
    TypeStructure.PUBLIQUE: "Publique",
}

# Bounds of each text field (characters), also used as maxlength in the form.
MAX_LENGTHS = {
    "login_email": 254,
    "email_contact": 254,
    "prenom": 50,
    "nom": 50,
    "telephone": 20,
    "identifiant": 30,
    "structure_nom": 50,
    "structure_prenom": 50,
    "raison_sociale": 100,
    "adresse": 100,
    "complement_adresse_1": 100,
    "complement_adresse_2": 100,
    "code_postal": 10,
    "ville": 50,
    "pays": 2,
}

REQUIRED = "Ce champ est obligatoire."

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Letters (any script), spaces, apostrophes, hyphens, dots.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?$")
_PHONE = re.compile(r"^\+?[0-9](?:[ .-]?[0-9]){5,16}$")
_FREE_ID = re.compile(r"^[A-Z0-9](?:[A-Z0-9 ./-]*[A-Z0-9])?$")
_SIMPLE_ID = re.compile(r"^[A-Z0-9](?:[A-Z0-9.-]*[A-Z0-9])?$")
_RIDET = re.compile(r"^(\d{6,7})\.?(\d{3})$")
_TAHITI = re.compile(r"^[A-Z0-9]\d{5}(?:\d{3})?$")
_POSTCODE_FR = re.compile(r"^\d{5}$")
_POSTCODE_OTHER = re.compile(r"^[A-Z0-9](?:[A-Z0-9 -]{0,8}[A-Z0-9])?$")
# Control characters, and lone surrogates (JSON can carry them; no database stores them).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

EU_MEMBER_VAT_PREFIXES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}

COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)


MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds


def valid_id(value: Any) -> bool:
    """Whether ``value`` can be a row id (a positive 64-bit integer)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def has_forbidden_characters(value: str) -> bool:
    """Whether ``value`` holds control characters or lone surrogates."""
    return bool(_CONTROL.search(value))


def truthy(value: Any) -> bool:
    """A checkbox's value: 'y', 'on', 'true', '1' or True."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"y", "yes", "on", "true", "1", "oui"}


def text(value: Any) -> str:
    """A field's value as text, trimmed and NFC-normalised."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def is_email(value: str) -> bool:
    """Whether ``value`` is a well-formed e-mail address (local@domain.tld)."""
    if len(value) > 254 or "@" not in value:
        return False
    local = value.rsplit("@", 1)[0]
    if len(local) > 64 or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return bool(_EMAIL.match(value))


def normalise_identifiant(type_identifiant: str, value: str) -> str:
    """Canonical form of an identifier (how it is stored and looked up)."""
    value = text(value).upper()
    if type_identifiant == TypeIdentifiant.SIRET:
        return re.sub(r"[ .-]", "", value)
    if type_identifiant == TypeIdentifiant.UE_HORS_FRANCE:
        return re.sub(r"[ .-]", "", value)
    if type_identifiant == TypeIdentifiant.RIDET:
        match = _RIDET.match(value.replace(" ", ""))
        return f"{match.group(1)}.{match.group(2)}" if match else value
    if type_identifiant == TypeIdentifiant.TAHITI:
        return value.replace(" ", "")
    return re.sub(r"\s+", " ", value)


def identifiant_format_error(type_identifiant: str, identifiant: str) -> str | None:
    """The format error of a normalised identifier, or None.

    For a SIRET only the shape (14 digits) is checked here; the key is checked by
    ``siret_key_error`` because existing structures' SIRETs pass whatever their key.
    """
    hint = FORMATS_IDENTIFIANT[type_identifiant]
    if type_identifiant == TypeIdentifiant.SIRET:
        if not re.fullmatch(r"\d{14}", identifiant):
            return "Un SIRET est composé de 14 chiffres."
        return None
    if type_identifiant == TypeIdentifiant.UE_HORS_FRANCE:
        prefix = identifiant[:2]
        if prefix == "FR":
            return "Pour une structure française, choisissez le type d'identifiant SIRET."
        if prefix not in EU_MEMBER_VAT_PREFIXES or not eu_vat.is_valid(identifiant):
            return f"Numéro de TVA intracommunautaire invalide. Format attendu : {hint}"
        return None
    patterns: dict[str, re.Pattern[str]] = {  # a StrEnum member is its str
        TypeIdentifiant.HORS_UE: _FREE_ID,
        TypeIdentifiant.RIDET: _RIDET,
        TypeIdentifiant.TAHITI: _TAHITI,
        TypeIdentifiant.AUTRE: _SIMPLE_ID,
        TypeIdentifiant.PARTICULIER: _SIMPLE_ID,
    }
    pattern = patterns[type_identifiant]
    too_short = (
        type_identifiant
        in {TypeIdentifiant.HORS_UE, TypeIdentifiant.AUTRE, TypeIdentifiant.PARTICULIER}
        and len(identifiant) < 3
    )
    if too_short or not pattern.match(identifiant):
        return f"Identifiant invalide. Format attendu : {hint}"
    return None


def siret_key_error(siret: str) -> str | None:
    """The error of a 14-digit SIRET's control key (Luhn; La Poste: sum of digits % 5)."""
    if fr_siret.is_valid(siret):
        return None
    return "Ce SIRET n'est pas valide : sa clé de contrôle est incorrecte."


@dataclass(frozen=True)
class SignupData:
    """The signup form's fields, trimmed and normalised (what ``signup`` stores)."""

    login_email: str
    prenom: str
    nom: str
    telephone: str
    email_contact: str
    type_identifiant: str
    identifiant: str
    type_structure: str
    structure_nom: str
    structure_prenom: str
    raison_sociale: str
    adresse: str
    complement_adresse_1: str
    complement_adresse_2: str
    code_postal: str
    ville: str
    pays: str
    accepte_conditions: bool


@dataclass(frozen=True)
class CleanSignup:
    """Cleaned signup values and the errors found (field -> French message)."""

    values: SignupData
    errors: Mapping[str, str]


def _check_length(errors: dict[str, str], values: dict[str, Any], name: str) -> None:
    limit = MAX_LENGTHS.get(name)
    value = values.get(name) or ""
    if name in errors:
        return
    if _CONTROL.search(value):
        errors[name] = "Ce champ contient des caractères non autorisés."
    elif limit and len(value) > limit:
        errors[name] = f"Ce champ ne doit pas dépasser {limit} caractères."


def _check_name(errors: dict[str, str], values: dict[str, Any], name: str, required: bool) -> None:
    value = values[name]
    if not value:
        if required:
            errors[name] = REQUIRED
        return
    _check_length(errors, values, name)
    if name not in errors and not _NAME.match(value):
        errors[name] = "Utilisez uniquement des lettres, espaces, apostrophes et tirets."


def clean_signup(data: dict[str, Any]) -> CleanSignup:
    """Normalise and check every field of the signup form (no database access)."""
    v: dict[str, Any] = {name: text(data.get(name)) for name in MAX_LENGTHS}
    v["type_identifiant"] = text(data.get("type_identifiant")).upper()
    v["type_structure"] = text(data.get("type_structure")).upper()
    v["accepte_conditions"] = truthy(data.get("accepte_conditions"))
    errors: dict[str, str] = {}

    # Informations personnelles
    v["login_email"] = v["login_email"].lower()
    if not v["login_email"]:
        errors["login_email"] = REQUIRED
    elif not is_email(v["login_email"]):
        errors["login_email"] = (
            "Adresse électronique mal formée (format attendu : nom@domaine.fr)."
        )
    _check_name(errors, v, "prenom", required=True)
    _check_name(errors, v, "nom", required=True)
    if v["telephone"]:
        _check_length(errors, v, "telephone")
        if "telephone" not in errors and not _PHONE.match(v["telephone"]):
            errors["telephone"] = (
                "Numéro de téléphone invalide : de 6 à 17 chiffres, « + » initial, espaces, "
                "points ou tirets acceptés (exemple : 01 23 45 67 89 ou +33 1 23 45 67 89)."
            )
    if not v["email_contact"] and "login_email" not in errors:
        v["email_contact"] = v["login_email"]  # pre-filled with the login address
    if not v["email_contact"]:
        errors["email_contact"] = REQUIRED
    elif not is_email(v["email_contact"]):
        errors["email_contact"] = (
            "Adresse électronique mal formée (format attendu : nom@domaine.fr)."
        )
    else:
        v["email_contact"] = v["email_contact"].lower()

    # Informations sur la structure: identifier
    kind = v["type_identifiant"]
    if not kind:
        errors["type_identifiant"] = REQUIRED
    elif kind not in set(TypeIdentifiant):
        errors["type_identifiant"] = "Type d'identifiant inconnu."
    if not v["identifiant"]:
        errors["identifiant"] = REQUIRED
    elif "type_identifiant" not in errors:
        _check_length(errors, v, "identifiant")
        if "identifiant" not in errors:
            v["identifiant"] = normalise_identifiant(kind, v["identifiant"])
            problem = identifiant_format_error(kind, v["identifiant"])
            if problem:
                errors["identifiant"] = problem

    if not v["accepte_conditions"]:
        errors["accepte_conditions"] = "Vous devez accepter les conditions pour créer un compte."
    # The structure's address, in the form it is checked and stored in.
    v["pays"] = (v["pays"] or "FR").upper()
    v["code_postal"] = v["code_postal"].upper()
    return CleanSignup(values=SignupData(**v), errors=MappingProxyType(errors))


def structure_errors(data: SignupData) -> dict[str, str]:
    """Errors of the structure fields, checked when a new structure is created."""
    v = asdict(data)
    errors: dict[str, str] = {}
    kind = v["type_identifiant"]
    if not v["type_structure"]:
        errors["type_structure"] = REQUIRED
    elif v["type_structure"] not in set(TypeStructure):
        errors["type_structure"] = "Type de structure inconnu."
    elif v["type_structure"] == TypeStructure.PUBLIQUE:
        errors["type_structure"] = (
            "Une structure publique ne peut pas être créée depuis le portail : elle est "
            "créée par la DGFiP. Choisissez « Privée »."
        )
    if kind == TypeIdentifiant.PARTICULIER:
        _check_name(errors, v, "structure_nom", required=True)
        _check_name(errors, v, "structure_prenom", required=True)
    elif not v["raison_sociale"]:
        errors["raison_sociale"] = REQUIRED
    for name in ("raison_sociale", "complement_adresse_1", "complement_adresse_2"):
        _check_length(errors, v, name)
    if not v["adresse"]:
        errors["adresse"] = REQUIRED
    _check_length(errors, v, "adresse")
    if v["pays"] not in COUNTRY_CODES:
        errors["pays"] = "Pays inconnu (code ISO 3166 à deux lettres, exemple : FR)."
    if not v["code_postal"]:
        errors["code_postal"] = REQUIRED
    elif v["pays"] == "FR":
        if not _POSTCODE_FR.match(v["code_postal"]):
            errors["code_postal"] = "En France, le code postal est composé de 5 chiffres."
    else:
        _check_length(errors, v, "code_postal")
        if "code_postal" not in errors and not _POSTCODE_OTHER.match(v["code_postal"]):
            errors["code_postal"] = "Code postal invalide (lettres, chiffres, espace ou tiret)."
    if not v["ville"]:
        errors["ville"] = REQUIRED
    _check_length(errors, v, "ville")
    return errors


PASSWORD_SPECIALS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
PASSWORD_MAX_LENGTH = 128


def password_rules(min_length: int) -> list[str]:
    """The password policy, one French sentence per rule (shown on the page)."""
    return [
        f"au moins {min_length} caractères (et au plus {PASSWORD_MAX_LENGTH}) ;",
        "au moins une lettre minuscule et une lettre majuscule ;",
        "au moins un chiffre ;",
        f"au moins un caractère spécial parmi {PASSWORD_SPECIALS} ;",
        "ne pas contenir votre adresse électronique de connexion (avant le « @ »).",
    ]


def password_problems(password: str, login: str, min_length: int) -> list[str]:
    """The rules of the policy that ``password`` breaks (empty if it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Il doit contenir au moins {min_length} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"Il doit contenir au plus {PASSWORD_MAX_LENGTH} caractères.")
    if not any(c.islower() for c in password) or not any(c.isupper() for c in password):
        problems.append("Il doit contenir une lettre minuscule et une lettre majuscule.")
    if not any(c.isdigit() for c in password):
        problems.append("Il doit contenir un chiffre.")
    if not any(c in PASSWORD_SPECIALS for c in password):
        problems.append("Il doit contenir un caractère spécial.")
    local = login.split("@", 1)[0].lower()
    if len(local) >= 3 and local in password.lower():
        problems.append("Il ne doit pas contenir votre adresse électronique de connexion.")
    if _CONTROL.search(password):
        problems.append("Il ne doit pas contenir de caractère de contrôle.")
    return problems
