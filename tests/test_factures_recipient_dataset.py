"""End to end with a generated qualification data set, as an integrator plays both sides:
the Fournisseur's technical account submits an invoice to the Destinataire, whose
gestionnaire (a portal account, accepted on the API: docs/api.md) finds it, suspends it,
sees it completed, and sets it paid."""

from __future__ import annotations

import requests
from api_factories import ApiClient, make_client

from sandbox import db
from sandbox.models import Structure

FAC = "/cpro/factures/v1"


def test_data_set_supplier_to_recipient_round_trip(base_url, stack_db):  # noqa: ANN001
    answer = requests.post(f"{base_url}/_sandbox/dataset", json={}, timeout=60)
    assert answer.status_code == 201, answer.text
    entities = answer.json()["entities"]
    four, dest = entities["Fournisseur"], entities["Destinataire"]
    with db.new_session() as s:
        client = make_client(s)
        s.commit()
        supplier_id = s.query(Structure.id).filter_by(identifiant=four["SIRET Structure"]).scalar()
    supplier = ApiClient(
        base_url,
        client.client_id,
        client.client_secret,
        four["Login compte technique"],
        four["Mot de passe compte technique"],
    )
    recipient = ApiClient(
        base_url,
        client.client_id,
        client.client_secret,
        dest["Login compte GP"],
        dest["Mot de passe Compte GP"],
    )
    submitted = supplier.call(
        f"{FAC}/soumettre",
        {
            "modeDepot": "SAISIE_API",
            "numeroFactureSaisi": "QUAL-0001",
            "destinataire": {
                "codeDestinataire": dest["SIRET Structure"],
                "codeServiceExecutant": dest["Code du service"],
            },
            "fournisseur": {"idFournisseur": supplier_id},
            "references": {
                "deviseFacture": "EUR",
                "typeFacture": "FACTURE",
                "typeTva": "TVA_SUR_DEBIT",
            },
            "lignePoste": [
                {
                    "lignePosteDenomination": "Prestation",
                    "lignePosteQuantite": 1,
                    "lignePosteMontantUnitaireHT": 500,
                    "lignePosteTauxTva": "TVA20",
                }
            ],
            "ligneTva": [
                {
                    "ligneTvaTaux": "TVA20",
                    "ligneTvaMontantBaseHtParTaux": 500,
                    "ligneTvaMontantTvaParTaux": 100,
                }
            ],
        },
    )
    assert submitted["codeRetour"] == 0, submitted
    facture_id = submitted["identifiantFactureCPP"]
    found = recipient.call(f"{FAC}/rechercher/recipiendaire", {"numeroFacture": "QUAL-0001"})
    assert [f["idFacture"] for f in found["listeFactures"]] == [facture_id]
    assert found["listeFactures"][0]["montantTTC"] == 600.0
    steps = [
        (
            recipient,
            "traiter/recue",
            {"idFacture": facture_id, "nouveauStatut": "SUSPENDUE", "motif": "Pièce manquante"},
        ),
        (supplier, "completer", {"identifiantFactureCPP": facture_id, "commentaire": "Voici"}),
        (
            recipient,
            "traiter/recue",
            {"idFacture": facture_id, "nouveauStatut": "MISE_EN_PAIEMENT"},
        ),
    ]
    for api, path, body in steps:
        assert api.call(f"{FAC}/{path}", body)["codeRetour"] == 0, (path, body)
    final = recipient.call(f"{FAC}/rechercher/recipiendaire", {"numeroFacture": "QUAL-0001"})
    assert final["listeFactures"][0]["statut"] == "MISE_EN_PAIEMENT"
