"""The README states facts the code decides: keep them from drifting apart."""

from __future__ import annotations

from pathlib import Path

from sandbox.config import load_settings, settings_table
from sandbox.seeding import default_credentials

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_settings_table_is_the_one_config_py_renders():
    assert settings_table() in README.read_text(encoding="utf-8"), (
        "README's settings table is stale: paste `chorus-sandbox settings` into it"
    )


def test_readme_default_credentials_are_the_seeded_ones():
    text = README.read_text(encoding="utf-8")
    credentials = default_credentials(load_settings(environ={}))
    for value in (
        credentials["gestionnaire"]["login"],
        credentials["gestionnaire"]["password"],
        credentials["technical_account"]["login"],
        credentials["technical_account"]["password"],
        credentials["oauth_client"]["client_id"],
        credentials["oauth_client"]["client_secret"],
        credentials["structure"]["identifiant"],
    ):
        assert value in text, f"README does not show the default credential {value!r}"
