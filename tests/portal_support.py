"""Helpers of the portal tests: unique signup data and a scripted visitor.

Every test makes its own data (uuid-based addresses, random valid SIRETs), so
tests share the session's stack without seeing each other.
"""

from __future__ import annotations

import html as htmllib
import random
import re
import uuid

from stdnum import luhn

from sandbox.testing.portal import PortalClient

PASSWORD = "Qualif-Sandbox-2024!"


def address(tag: str = "portal") -> str:
    """A unique e-mail address."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def new_siret() -> str:
    """A random SIRET with valid SIREN and SIRET Luhn keys (not La Poste's)."""
    while True:
        siren = str(random.randint(10_000_000, 99_999_999))
        siren += luhn.calc_check_digit(siren)
        if siren != "356000000":
            break
    body = siren + f"{random.randint(0, 9999):04d}"
    return body + luhn.calc_check_digit(body)


def signup_values(login: str | None = None, **overrides: str) -> dict[str, str]:
    """A complete, valid "Créer un compte" form creating a new SIRET structure."""
    values = {
        "login_email": login or address(),
        "prenom": "Zoé",
        "nom": "Lefèvre",
        "telephone": "01 23 45 67 89",
        "email_contact": "",
        "type_identifiant": "SIRET",
        "identifiant": new_siret(),
        "type_structure": "PRIVEE",
        "structure_nom": "",
        "structure_prenom": "",
        "raison_sociale": "Atelier Lefèvre",
        "adresse": "12 rue des Lilas",
        "complement_adresse_1": "",
        "complement_adresse_2": "",
        "code_postal": "69003",
        "ville": "Lyon",
        "pays": "FR",
        "accepte_conditions": "y",
    }
    values.update(overrides)
    return values


def visitor(base_url: str) -> PortalClient:
    """A new visitor with its own cookies; it answers captchas the documented way
    (``GET /_sandbox/captcha/<captcha_id>`` on the control plane)."""
    return PortalClient(base_url)


def field_error(html: str, name: str) -> str | None:
    """The French error shown beside field ``name``, if any."""
    match = re.search(rf'id="erreur-{re.escape(name)}"[^>]*>([^<]*)<', html)
    return htmllib.unescape(match.group(1).strip()) if match else None


def field_value(html: str, name: str) -> str | None:
    """The value a text field shows (what the form kept)."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    if not match:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return htmllib.unescape(value.group(1)) if value else ""


def activation_link(mailpit, login: str) -> str:
    """Wait for the activation mail of ``login`` and return its link."""
    message = mailpit.wait_for_message(recipient=login, subject="Activation")
    return message.link(contains="/activation/")
