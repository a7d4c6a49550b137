"""Seeded credentials and data-set accounts work against the PISTE API as given."""

from __future__ import annotations

import requests
from api_factories import ApiClient
from seeding_support import check_dataset_csv

from sandbox import db
from sandbox.config import load_settings
from sandbox.seeding import generate_dataset

S = "/cpro/structures/v1"


def _credentials(base_url: str) -> dict:
    answer = requests.get(f"{base_url}/_sandbox/credentials", timeout=30)
    assert answer.status_code == 200
    return answer.json()


def _search(api: ApiClient, identifiant: str) -> list[dict]:
    answer = api.call(f"{S}/rechercher", {
        "structure": {"identifiantStructure": identifiant, "typeIdentifiantStructure": "SIRET"}
    })
    assert answer["codeRetour"] == 0, answer
    return answer["listeStructures"]


def test_default_credentials_reach_the_api(base_url):
    creds = _credentials(base_url)
    api = ApiClient(base_url, creds["oauth_client"]["client_id"],
                    creds["oauth_client"]["client_secret"],
                    creds["technical_account"]["login"], creds["technical_account"]["password"])
    own = _search(api, creds["structure"]["identifiant"])
    assert [s["designationStructure"] for s in own] == ["Démo Fournisseur SAS"]
    consulted = api.call(f"{S}/consulter", {"idStructureCPP": own[0]["idStructureCPP"],
                                            "codeLangue": "fr"})
    assert consulted["codeRetour"] == 0
    # The permanent recipients are searchable by every integrator.
    for siret in ("11000201100044", "12345678200028", "12345678200036", "12345678200044",
                  "12345678200051"):
        assert [s["identifiantStructure"] for s in _search(api, siret)] == [siret]


def test_data_set_technical_account_reaches_the_api(base_url, chorus_sandbox, stack_db):
    settings = load_settings({"database_url": chorus_sandbox.database_url,
                              "public_base_url": base_url})
    with db.transaction() as s:
        csv_text = generate_dataset(s, settings).csv
    content = check_dataset_csv(csv_text)["Fournisseur"]
    creds = _credentials(base_url)
    api = ApiClient(base_url, creds["oauth_client"]["client_id"],
                    creds["oauth_client"]["client_secret"],
                    content["Login compte technique"], content["Mot de passe compte technique"])
    found = _search(api, content["SIRET Structure"])
    assert [s["designationStructure"] for s in found] == [content["Raison sociale"]]
