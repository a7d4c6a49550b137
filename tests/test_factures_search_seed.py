"""The seeded qualification invoices: found by the default technical account, in the
data set's statuses, with their history; the same rows for the same seed."""

from __future__ import annotations

import pytest
from api_factories import ApiClient
from factures_flux import HISTORIQUE, RECHERCHER

from sandbox.seeding import invoices as seed
from sandbox.seeding.generator import default_structure_siret


@pytest.fixture(scope="module")
def default_api(base_url, chorus_credentials):
    c = chorus_credentials
    return ApiClient(base_url, c["oauth_client"]["client_id"], c["oauth_client"]["client_secret"],
                     c["technical_account"]["login"], c["technical_account"]["password"])


@pytest.mark.parametrize(
    ("numero", "statut", "history"),
    [
        ("QUAL_00000001110661", "MISE_A_DISPOSITION",
         ["MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]),
        ("QUAL_00000001110662", "MISE_EN_PAIEMENT",
         ["MISE_EN_PAIEMENT", "MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]),
        ("QUAL_00000001110669", "COMPLETEE",
         ["COMPLETEE", "SUSPENDUE", "MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]),
        ("QUAL_00000001110664", "A_ASSOCIER_MOE", ["A_ASSOCIER_MOE", "DEPOSEE"]),
        ("QUAL_00000001110687", "REJETEE",
         ["REJETEE", "MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]),
    ],
)
def test_seeded_invoices_in_the_data_set_statuses(default_api, numero, statut, history):
    (item,) = default_api.call(RECHERCHER, {"numeroFacture": numero})["listeFactures"]
    assert item["statut"] == statut
    assert 4_878_981 <= item["identifiantFactureCPP"] <= 4_879_045
    assert item["codeDestinataire"] == "11000201100044"
    body = default_api.call(HISTORIQUE, {"idFacture": item["identifiantFactureCPP"]})
    assert [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]] == history


def test_the_seeded_set_covers_every_cadre_and_is_deterministic(default_api):
    body = default_api.call(RECHERCHER, {"idFournisseur": None, "numeroFacture": None,
                                         "rechercheFactureParFournisseur":
                                         {"nbResultatsParPage": 100}})
    cadres = {f["cadreFacturation"] for f in body["listeFactures"]
              if f["numeroFacture"].startswith("QUAL_")}
    assert len(cadres) == 25
    a = seed.build_rows(7, default_structure_siret(7), 1, 2, 3, None)
    b = seed.build_rows(7, default_structure_siret(7), 1, 2, 3, None)
    c = seed.build_rows(8, default_structure_siret(8), 1, 2, 3, None)
    assert a == b and a != c
