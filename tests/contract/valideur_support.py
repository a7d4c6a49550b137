"""The validator side's placeholders for the contract bodies: the seeded invoices that
wait for the default structure's validation (sandbox/seeding/invoices.py, found through
``rechercher/valideur`` as an integrator would), and fresh ones for the bodies that change
a status (put straight into the database: the set-up, as tests/factures_support.py does)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from api_factories import ApiClient, unique_digits

from sandbox import clock, db
from sandbox.factures.models import Facture, append_status
from sandbox.vocabulary import StatutFacture as F

SEEDED_TO_VALIDATE = "QUALST_000001"


def _fresh(template: dict, *, supplier: int, validator: int, statuts: tuple[F, ...]) -> int:
    with db.new_session() as s:
        at = clock.utcnow_naive() - timedelta(minutes=1)
        facture = Facture(
            numero_facture=f"CT{unique_digits(12)}", fournisseur_id=supplier,
            destinataire_id=template["idDestinataire"], valideur_structure_id=validator,
            destinataire_service_id=template["idServiceExecutant"],
            code_service_executant=template["codeServiceExecutant"], mode_depot="SAISIE_API",
            cadre_facturation="A9_FACTURE_SOUSTRAITANT", montant_ht=Decimal("1000"),
            montant_tva=Decimal("200"), montant_ttc=Decimal("1200"),
            montant_a_payer=Decimal("1200"), date_facture=at, date_depot=at,
            date_heure_etat_courant=at, statut=F.DEPOSEE, lignes=[], lignes_tva=[],
        )
        s.add(facture)
        s.flush()
        for statut in (F.DEPOSEE, *statuts):
            append_status(s, facture, statut, at=at,
                          commentaire="Mauvais valideur"
                          if statut == F.ERREUR_FOURNISSEUR_SUR_VALIDEUR else None)
        s.commit()
        return facture.id


def validator_ids(client: ApiClient) -> dict[str, object]:
    found = client.call("/cpro/factures/v1/rechercher/valideur",
                        {"numeroFacture": SEEDED_TO_VALIDATE})
    [seeded] = found["listeFactures"]
    default, subcontractor = seeded["idValideur"], seeded["idFournisseur"]

    def to_validate() -> int:  # sub-contractor -> default structure, A_VALIDER_1
        return _fresh(seeded, supplier=subcontractor, validator=default,
                      statuts=(F.A_VALIDER_1,))

    def wrong_validator() -> int:  # default structure's own invoice, wrong validator
        return _fresh(seeded, supplier=default, validator=subcontractor,
                      statuts=(F.A_VALIDER_1, F.ERREUR_FOURNISSEUR_SUR_VALIDEUR))

    fresh: dict[str, Callable[[], int]] = {
        "$FACTURE_A_VALIDER": to_validate,
        "$FACTURE_ERREUR_VALIDEUR": wrong_validator,
    }
    return {
        "$ID_FACTURE_A_VALIDER": seeded["idFacture"],
        "$SIRET_SOUS_TRAITANT": seeded["identifiantFournisseur"],
        **fresh,
    }
