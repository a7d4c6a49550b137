"""The Factures area's API handlers: each module registers its operations in the cpro
registry (``sandbox/cpro/api.py``) when imported; this package imports every one by name.

* ``flux``: ``deposer/flux`` (and the larger body it may have);
* ``cr``: ``transverses/v1/consulterCR``, ``consulterCRDetaille``;
* ``supplier``: ``rechercher/fournisseur``, ``consulter/fournisseur``, ``consulter/historique``;
* ``recipient``: ``rechercher/recipiendaire``, ``consulter/recipiendaire``,
  ``telecharger/groupe``, ``traiter/recue``;
* ``followups``: ``completer``, ``recycler``, ``traiter/rejet``;
* ``soumettre``: ``soumettre``;
* ``pieces_jointes``: ``deposer/pdf``, ``transverses/v1/ajouter/fichier`` and the pièces
  jointes operations;
* ``transverses``: ``transverses/v1/recuperer/etats/traitement``;
* ``demande_paiement``: ``rechercher/demandePaiement`` (fails, as on qualification);
* ``travaux``: the Factures travaux API (``/cpro/facturesTravaux/v1``);
* ``valideur``: ``rechercher/valideur``, ``consulter/valideur``,
  ``traiter/factureAValider``, ``recuperer/statutsFactureVisibles/valideur``,
  ``corriger/valideur/facture``.

Each handler module's request and response models are in ``schemas/`` under the same
name; ``common`` holds what the handlers share.
"""

from __future__ import annotations

from sandbox.factures.api import (  # noqa: F401 (each module declares its operations)
    cr,
    demande_paiement,
    flux,
    followups,
    pieces_jointes,
    recipient,
    soumettre,
    supplier,
    transverses,
    travaux,
    valideur,
)
