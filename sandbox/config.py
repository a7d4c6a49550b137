"""Every setting of the sandbox, its default and its meaning.

Defaults live here; environment variables named ``SANDBOX_<NAME>`` override them
(``SANDBOX_DATABASE_URL=postgresql+psycopg://...``); a mapping passed to
``create_app`` overrides both (tests). ``python -m sandbox.config`` prints the table
that the README shows.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

CACHE_FOLDER = "chorus-pro-sandbox"  # the distribution's name (pip install chorus-pro-sandbox)


def user_cache_dir() -> Path:
    """The one per-user cache of the sandbox's tools (not a setting of the server): Mailpit
    built on first use (``bin/``), the bench peers (WireMock's jar and Maven repository,
    moto's virtualenv). ``$XDG_CACHE_HOME/chorus-pro-sandbox``, default
    ``~/.cache/chorus-pro-sandbox``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / CACHE_FOLDER


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    """The sandbox's settings (one attribute per setting)."""

    database_url: str = _setting(
        "sqlite:///var/sandbox.db",
        "SQLAlchemy URL of the database (SQLite by default; postgresql+psycopg://... works).",
    )
    public_base_url: str = _setting(
        "http://127.0.0.1:8080", "Base URL used in links sent by e-mail."
    )
    host: str = _setting("127.0.0.1", "Address the sandbox listens on.")
    allowed_hosts: str = _setting(
        "",
        "Host names (comma-separated) the sandbox answers to besides loopback and the public "
        "base URL's host; '*' accepts any (DNS-rebinding guard, docs/reliability.md).",
    )
    port: int = _setting(8080, "Port of the sandbox (portal, API and control plane).")
    workers: int = _setting(2, "Server worker processes.")
    threads: int = _setting(4, "Threads per worker (gunicorn gthread; granian blocking threads).")
    server: str = _setting(
        "granian",
        "WSGI server of `chorus-sandbox run`, the test stacks and the bench: granian (Rust, "
        "the default) or gunicorn (gthread).",
    )
    secret_key: str = _setting(
        "chorus-sandbox-not-secret", "Flask secret key (sessions, CSRF, signed tokens)."
    )
    seed: int = _setting(2024, "Seed of the deterministic Faker data and every random choice.")
    seed_structures: int = _setting(200, "Private and public structures seeded on first start.")
    seed_on_start: bool = _setting(True, "Seed an empty database when the sandbox starts.")
    smtp_host: str = _setting("127.0.0.1", "SMTP server the outbox delivers to (Mailpit).")
    smtp_port: int = _setting(1025, "Port of that SMTP server.")
    smtp_timeout: float = _setting(5.0, "Seconds before an SMTP attempt is abandoned.")
    smtp_data_timeout: float = _setting(
        120.0,
        "Seconds to wait for the server's answer to a mail's content (RFC 5321: 10 min); "
        "giving up sooner could send a mail twice.",
    )
    mailpit_url: str = _setting("http://127.0.0.1:8025", "Mailpit's HTTP API (health, links).")
    supervisor_state: str = _setting(
        "", "JSON file where `chorus-sandbox run` reports Mailpit's state (set by it; /health)."
    )
    mail_sender: str = _setting(
        "choruspro.notification.aife@finances.gouv.fr", "From address of every e-mail."
    )
    mail_sender_name: str = _setting("Chorus Pro (qualification)", "From display name.")
    mail_dispatcher: bool = _setting(True, "Run the outbox dispatcher inside the server.")
    mail_poll_interval: float = _setting(
        1.0, "Seconds between outbox scans (new mails are also pushed at once)."
    )
    mail_retry_max_backoff: float = _setting(30.0, "Longest wait between two delivery attempts.")
    mail_batch_size: int = _setting(50, "Mails one dispatcher claims at a time.")
    mail_lease_seconds: float = _setting(
        60.0,
        "How long a claimed mail is reserved to one dispatcher before another may retry it "
        "(renewed every third of it while its holder works).",
    )
    activation_link_hours: float = _setting(
        24.0, "Lifetime of an activation link (guide: 24 h; current real portal: 1 h)."
    )
    password_hash_method: str = _setting(
        "scrypt:32768:8:1",
        "Werkzeug password hash method and cost (lower it for load runs: 'scrypt:1024:8:1').",
    )
    password_min_length: int = _setting(12, "Minimum length of a portal password.")
    login_max_failures: int = _setting(5, "Wrong passwords before an account is locked.")
    login_lock_minutes: float = _setting(60.0, "How long a locked account stays locked.")
    two_factor: bool = _setting(False, "Ask for an e-mailed code at login (real portal: on).")
    captcha_mode: str = _setting(
        "image",
        "Captcha: 'image' (a person reads it; tests use /_sandbox/captcha/<id>) or 'off'.",
    )
    oauth_token_seconds: int = _setting(3600, "Lifetime of a PISTE access token.")
    tech_password_days: int = _setting(424, "Lifetime of a technical account's password.")
    qualification_siret_lookup_fails: bool = _setting(
        True, "consulter/information/siret fails, as on the real qualification environment."
    )
    journal_size: int = _setting(1000, "Requests kept in the control-plane journal (0 = off).")
    journal_bodies: bool = _setting(False, "Keep request bodies in the journal.")
    journal_match_bytes: int = _setting(
        1_048_576,
        "Largest request body kept in the journal, parsed and with secrets masked, for "
        "verification (POST /_sandbox/requests/verify); 0 = none.",
    )
    admin_token: str = _setting(
        "", "If set, the control plane requires it (header X-Sandbox-Token) from any address."
    )
    max_body_bytes: int = _setting(1_048_576, "Largest request body accepted (HTTP 413 above).")
    factures_integration_delay: float = _setting(
        5.0,
        "Seconds of the sandbox clock between a deposer/flux and its integration "
        "(tests advance the clock instead of waiting).",
    )
    factures_cr_unknown_seconds: float = _setting(
        0.0,
        "Seconds (sandbox clock) after a deposit during which its CR still answers 'Flux "
        "introuvable' (20001), as a real poll right after a deposit may.",
    )
    factures_max_file_bytes: int = _setting(
        30_000_000, "Largest decoded fichierFlux of deposer/flux (the real XML batch cap: 30 Mo)."
    )
    factures_worker: bool = _setting(True, "Run the flux integration worker inside the server.")
    factures_poll_interval: float = _setting(
        0.5, "Seconds between two scans of the flux waiting for integration."
    )
    factures_lease_seconds: float = _setting(
        60.0, "How long a claimed flux is reserved to one worker before another may take it."
    )
    factures_max_attempts: int = _setting(
        3, "Integration attempts of a flux before it is set IN_INCIDENTE."
    )
    factures_flux_states: str = _setting(
        "observe",
        "Intermediate flux states every deposit plays (observe = none, as on qualification; "
        "pipeline, recu-avant-rejet, retraitement: docs/factures.md); per supplier or per "
        "flux from the control plane.",
    )
    factures_flux_state_seconds: float = _setting(
        10.0, "Seconds (sandbox clock) each intermediate flux state lasts (a client polling "
        "every few seconds sees each; tests advance the clock)."
    )
    factures_strict: bool = _setting(
        False,
        "Judge every deposited invoice also by the official EN 16931 and BR-FR artefacts "
        "(needs the 'strict' extra; per supplier from the control plane).",
    )
    factures_ej_check: bool = _setting(
        True,
        "Reject an invoice citing an EJ that is not one of the recipient's legal commitments "
        "(rule GES-19), for recipients that manage EJs.",
    )
    log_level: str = _setting("INFO", "Log level of the sandbox's own logger.")

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def _coerce(raw: str, kind: Any, name: str) -> Any:
    kind = {"int": int, "float": float, "bool": bool, "str": str}.get(kind, kind)
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"SANDBOX_{name.upper()}: expected a boolean, got {raw!r}")
    try:
        return kind(raw)
    except ValueError as error:
        raise ValueError(f"SANDBOX_{name.upper()}: {error}") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings: defaults, then SANDBOX_* variables, then ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for item in fields(Settings):
        env_name = f"SANDBOX_{item.name.upper()}"
        if env_name in environ:
            values[item.name] = _coerce(environ[env_name], item.type, item.name)
    unknown = set(overrides or {}) - {item.name for item in fields(Settings)}
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    values.update(overrides or {})
    return Settings(**values)


def settings_table() -> str:
    """Render every setting as a Markdown table (for the README)."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for item in fields(Settings):
        default = item.default
        shown = f"`{default}`" if default != "" else "(empty)"
        rows.append(f"| `SANDBOX_{item.name.upper()}` | {shown} | {item.metadata['doc']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
