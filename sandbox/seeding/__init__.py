"""Seed data: the deterministic world, the qualification data set, scenario fixtures.

Public functions (the contract in docs/architecture.md):
``ensure_seeded(settings)``, ``reset(settings, seed=None)``, ``default_credentials()``,
``default_credentials_text()``, ``generate_dataset(s, settings, requester=None)``,
``load_fixture(path, settings=None)``.
"""

from __future__ import annotations

from flask import Flask

from sandbox.seeding.credentials import default_credentials, default_credentials_text
from sandbox.seeding.dataset import generate_dataset
from sandbox.seeding.fixtures import load_fixture
from sandbox.seeding.store import canonical_dump, ensure_seeded, reset, seed_world
from sandbox.seeding.views import bp

__all__ = [
    "canonical_dump",
    "default_credentials",
    "default_credentials_text",
    "ensure_seeded",
    "generate_dataset",
    "load_fixture",
    "reset",
    "seed_world",
]


def init_app(app: Flask) -> None:
    """Register the data-set portal page (it uses the portal's login and layout)."""
    app.register_blueprint(bp)
