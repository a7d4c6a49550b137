"""Helpers the unit tests import by name (a test module cannot import them from
``conftest``: which ``conftest`` module that name finds depends on the folders pytest was
given, e.g. ``pytest tests/unit tests/contract`` finds the contract one)."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.accounts.signup import SignupResult
from sandbox.seeding.identifiers import siren_from_body, siret_from


def new_siret() -> str:
    """A random SIRET with valid SIREN and SIRET keys (the seeding's own builders)."""
    siren = siren_from_body(str(uuid.uuid4().int % 10**8).zfill(8).replace("0", "1", 1))
    return siret_from(siren, str(uuid.uuid4().int % 10**4).zfill(4))


def signup_data(**overrides: Any) -> dict[str, Any]:
    values = {
        "login_email": f"u{uuid.uuid4().hex[:10]}@example.com",
        "prenom": "Zoé", "nom": "Lefèvre", "telephone": "", "email_contact": "",
        "type_identifiant": "SIRET", "identifiant": new_siret(), "type_structure": "PRIVEE",
        "structure_nom": "", "structure_prenom": "", "raison_sociale": "Atelier Lefèvre",
        "adresse": "12 rue des Lilas", "complement_adresse_1": "", "complement_adresse_2": "",
        "code_postal": "69003", "ville": "Lyon", "pays": "FR", "accepte_conditions": "y",
    }
    values.update(overrides)
    return values


def token_of(result: SignupResult | str) -> str:
    link = result if isinstance(result, str) else result.activation_link
    return link.rsplit("/", 1)[-1]
