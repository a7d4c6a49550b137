"""Engagements juridiques (``/cpro/engagementsJuridiques/v1``): the legal commitments (EJ)
a public buyer gives its suppliers, which invoices to a recipient that manages EJs must
cite (issue #21.3; factures-rules-and-apis-reference.md §3).

Its rooms (docs/architecture.md says what each may import):

* ``rules.py`` — who sees which EJ, the search, a new EJ (the control plane's), no HTTP;
* ``errors.py`` — the area's business errors (``codeRetour``/``libelle``);
* ``schemas.py`` — the request and response models (``/openapi.json``);
* ``api.py`` — ``rechercher`` and ``consulterDetail``, declared in the cpro registry (the
  same RPC wire format as Factures: the cpro dispatcher serves them).

The tables (``EngagementJuridique``, ``EngagementPoste``) are in ``sandbox/models.py``:
the Factures rules read them (GES-19) and this area reads the invoices that cite an EJ
(``factures.models``), so they cannot live here without a loop between the two areas.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Declare the operations (importing ``api`` registers them in the cpro registry)."""
    # why: assembled here by name, as create_app does (flaskr): the control plane imports
    # the rules and must not load the handlers with them
    from sandbox.engagements import api  # noqa: F401
