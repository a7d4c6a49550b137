"""The accounts to use right away: default gestionnaire, technical account, OAuth client.

They are derived from the seed alone (no database read is needed to know them), so
they are the same on every restart with the same seed, and ``make run`` and
``chorus-sandbox credentials`` print the same values.
"""

from __future__ import annotations

from sandbox import db
from sandbox.config import Settings, load_settings
from sandbox.factures.rules.scenarios import MARKERS, SCENARIOS
from sandbox.models import SandboxState
from sandbox.seeding.generator import (
    DEFAULT_GP_LOGIN,
    DEFAULT_STRUCTURE_NAME,
    WorldGenerator,
    default_oauth_client,
    default_passwords,
    default_structure_siret,
)


def _current_seed(settings: Settings) -> int:
    """The seed of the configured database if it records one, else the setting."""
    try:
        with db.peek(settings.database_url) as s:
            row = s.get(SandboxState, 1) if s is not None else None
            if row is not None and row.seed is not None:
                return row.seed
    except Exception:
        pass
    return settings.seed


def default_credentials(settings: Settings | None = None, seed: int | None = None) -> dict:
    """The default gestionnaire, technical account and OAuth client of the seeded world."""
    settings = settings or load_settings()
    seed = _current_seed(settings) if seed is None else seed
    gp_password, tech_password = default_passwords(seed)
    siret = default_structure_siret(seed)
    client_id, client_secret = default_oauth_client(seed)
    return {
        "seed": seed,
        "structure": {"identifiant": siret, "raison_sociale": DEFAULT_STRUCTURE_NAME},
        "gestionnaire": {"login": DEFAULT_GP_LOGIN, "password": gp_password},
        "technical_account": {"login": f"TECH_1_{siret}@cpro.fr", "password": tech_password},
        "oauth_client": {"client_id": client_id, "client_secret": client_secret},
        "generated_users_password": WorldGenerator(seed, 0).users_password,
        "scenario_recipients": scenario_recipients(),
        "flux_markers": dict(MARKERS),
    }


def scenario_recipients() -> list[dict]:
    """The scenario recipients (``factures.rules.scenarios``): whom to address an invoice
    for each scripted outcome, with the script's steps."""
    return [{
        "identifiant": sc.identifiant,
        "raison_sociale": sc.raison_sociale,
        "code_service": sc.service[0],
        "scenario": sc.summary,
        "fin": sc.end,
        "etapes": [{"statutDepart": step.from_statut, "statutArrivee": step.to_statut,
                    "delaiSecondes": step.delay, "motif": step.motif} for step in sc.steps],
    } for sc in SCENARIOS]


def default_credentials_text(settings: Settings | None = None) -> str:
    """The default credentials as a few aligned lines (``make run``'s banner)."""
    c = default_credentials(settings)
    lines = [
        f"Default accounts (seed {c['seed']})",
        f"  Structure             {c['structure']['raison_sociale']}"
        f" (SIRET {c['structure']['identifiant']})",
        f"  Gestionnaire          {c['gestionnaire']['login']} / {c['gestionnaire']['password']}",
        f"  Technical account     {c['technical_account']['login']}"
        f" / {c['technical_account']['password']}",
        f"  OAuth client_id       {c['oauth_client']['client_id']}",
        f"  OAuth client_secret   {c['oauth_client']['client_secret']}",
        f"  Other seeded users    password {c['generated_users_password']}",
        "Scenario recipients (invoices moved by the sandbox itself; docs/factures.md)",
        *(f"  {r['identifiant']}  {r['code_service']:<20} -> {r['fin']}"
          for r in c["scenario_recipients"]),
        f"  Markers in nomFichier or numeroFacture: "
        f"{', '.join(f'{k} -> {v}' for k, v in c['flux_markers'].items())}",
    ]
    return "\n".join(lines)
