"""Factures: deposited flux, their compte rendu, invoices and their lifecycle (issue #11).

``models`` holds the tables. The operations register themselves in the cpro
operation registry (``sandbox/cpro/api.py``) when their modules are imported:
``init_app`` imports every module of ``OPERATION_MODULES`` (a missing one is
skipped), raises the body limit of ``deposer/flux`` and starts this process's
integration worker (``worker.py``) when ``SANDBOX_FACTURES_WORKER`` is on.
"""

from __future__ import annotations

import importlib

from flask import Flask

OPERATION_MODULES = (
    "deposit",
    "cr",
    "search",
    "lifecycle",
    "recipient",
    "followups",
    "soumettre",
    "pieces_jointes",
)


def register_operations() -> None:
    """Import the operation modules (each registers its operations once)."""
    for name in OPERATION_MODULES:
        module_name = f"{__name__}.{name}"
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise


def init_app(app: Flask) -> None:
    """Register the Factures operations and start the integration worker."""
    register_operations()
    # The control-plane routes register on the control blueprint, registered after us.
    from sandbox.factures import control, deposit, pieces_jointes, worker  # noqa: F401

    deposit.init_app(app)
    from sandbox.factures import portal

    app.register_blueprint(portal.bp)
    pieces_jointes.init_app(app)
    settings = app.config["SANDBOX"]
    if settings.factures_worker:
        worker.start(settings)
