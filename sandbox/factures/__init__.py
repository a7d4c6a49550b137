"""Factures: deposited flux, their compte rendu, invoices and their lifecycle (issue #11).

The area's rooms (docs/architecture.md says what each may import):

* ``models.py`` — the tables (flux, invoices, their history, attachments, policies);
* ``errors.py`` — every business error of the area (``codeRetour``/``libelle``);
* ``rules/`` — the platform's rules, no Flask, no registry, no request context: they take
  a session, settings, a user, bytes (``lifecycle``, ``policies``, ``flux``, ``deposit``,
  ``integration``, ``routing``, ``visibility``, ``pdf_reading``);
* ``formats/`` — reading deposited files (containers, XSD, UBL, CII, Factur-X), pure;
* ``documents.py`` — what a consultation or a download shows of an invoice (dict, PDF, PIVOT);
* ``api/`` — the PISTE handlers, registered in the cpro registry; ``schemas/`` — their
  request and response models, one module per handler module, by the same name;
* ``worker.py`` — the integration worker (and the automatic lifecycle policies);
* ``pages.py`` — the portal's pages ("Factures émises", "Déposer", "Factures reçues").

The control plane's routes of the area are ``sandbox/control/factures.py``; its seed and
example invoices are ``sandbox/seeding/invoices.py``, ``invoice_examples.py`` and
``invoice_cases.py``.
"""

from __future__ import annotations

from flask import Flask

from sandbox.config import Settings
from sandbox.factures.formats import schematron
from sandbox.factures.rules.flux import MODES


def check_settings(settings: Settings) -> None:
    """Refuse, at start, a flux-states mode that does not exist or the stricter judgement
    without its extra (one line that says what to do)."""
    if settings.factures_flux_states not in MODES:
        raise ValueError(
            f"SANDBOX_FACTURES_FLUX_STATES: {settings.factures_flux_states!r} is not one of "
            f"{', '.join(MODES)}"
        )
    if settings.factures_strict and not schematron.available():
        raise ValueError(f"SANDBOX_FACTURES_STRICT: {schematron.missing_extra_message()}")


def init_app(app: Flask) -> None:
    """Declare the Factures operations (importing ``api``), register the portal pages and
    the operations' body limits, and start this process's integration worker when
    ``SANDBOX_FACTURES_WORKER`` is on."""
    # why: assembled here by name, as create_app does (flaskr): importing a rules module
    # or the tables (the schema, the seeding) must not load the API and its pages
    from sandbox.factures import api, pages, worker

    settings = app.config["SANDBOX"]
    check_settings(settings)
    api.flux.init_app(app)
    app.register_blueprint(pages.bp)
    api.pieces_jointes.init_app(app)
    if settings.factures_worker:
        worker.start(settings)
