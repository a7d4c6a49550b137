"""rechercher/fournisseur, consulter/fournisseur, consulter/historique over HTTP.

A bundle of 12 invoices is deposited and integrated once for the module: the search
pages it 10 by 10 as the real API does, filters it, and hides it from other accounts.
"""

from __future__ import annotations

import uuid

import pytest
from api_factories import build_world, tech_client, user_client
from factures_flux import (
    CONSULTER,
    HISTORIQUE,
    RECHERCHER,
    advance_clock,
    deposit,
    invoices_of,
    wait_terminal,
)

from sandbox import db
from sandbox.config import load_settings
from sandbox.seeding import invoice_examples as examples
from sandbox.seeding.invoice_cases import ETAT, SANS_PARAM
from sandbox.vocabulary import EtatFlux, SyntaxeFlux

COUNT = 12


@pytest.fixture(scope="module")
def api(base_url, world):
    return tech_client(base_url, world)


@pytest.fixture(scope="module")
def flux(base_url, api, world):
    """A tar.gz of 12 UBL invoices: 8 to the Etat recipient, 4 to the one without parameters."""
    prefix = f"P{uuid.uuid4().hex[:8]}"
    files = {}
    for i in range(COUNT):
        e = examples.Example(f"{prefix}-{i:02d}", world.own.identifiant, ETAT, service="SFACETAT")
        if i >= 8:
            e = e.with_(destinataire=SANS_PARAM, service=None, lines=e.lines[:1])
        files[f"f{i:02d}.xml"] = examples.ubl(e)
    answer = deposit(api, examples.tar_gz(files), "lot.tar.gz", SyntaxeFlux.IN_DP_E1_UBL_INVOICE)
    advance_clock(base_url, load_settings().factures_integration_delay + 1)
    cr = wait_terminal(api, answer["numeroFluxDepot"])
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_INTEGRE, cr
    return answer["numeroFluxDepot"], prefix


def _search(api, **criteria) -> dict:
    return api.call(RECHERCHER, criteria)


def test_the_search_pages_ten_by_ten_by_default(api, flux):
    numero, prefix = flux
    first = _search(api, numeroFluxDepot=numero)
    assert first["codeRetour"] == 0 and first["libelle"] == "TRA_MSG_00.000"
    assert len(first["listeFactures"]) == 10
    assert first["parametresRetour"] == {"pageCourante": 1, "pages": 2,
                                         "nbResultatsParPage": 10, "total": COUNT}
    second = _search(api, numeroFluxDepot=numero,
                     rechercheFactureParFournisseur={"pageResultatDemandee": 2})
    assert len(second["listeFactures"]) == 2
    everything = {f["numeroFacture"] for f in first["listeFactures"] + second["listeFactures"]}
    assert everything == {f"{prefix}-{i:02d}" for i in range(COUNT)}
    assert len(invoices_of(api, numero, page_size=5)) == COUNT


def test_sorting_and_the_items_fields(api, flux, world):
    numero, prefix = flux
    body = _search(api, numeroFluxDepot=numero, rechercheFactureParFournisseur={
        "triColonne": "NumeroFacture", "triSens": "Descendant", "nbResultatsParPage": 3})
    numbers = [f["numeroFacture"] for f in body["listeFactures"]]
    assert numbers == [f"{prefix}-11", f"{prefix}-10", f"{prefix}-09"]
    item = body["listeFactures"][0]
    assert item["codeFournisseur"] == world.own.identifiant
    assert item["codeDestinataire"] == SANS_PARAM
    assert item["montantTTC"] == 2700.0 and item["montantHT"] == 2250.0
    assert item["typeFacture"] == "FACTURE" and item["modeDepot"] == "UPLOAD_API"
    assert item["identifiantFactureCPP"] >= 4_900_000


@pytest.mark.parametrize(
    ("criteria", "count"),
    [
        ({"statutCourant": ["MISE_A_DISPOSITION"]}, COUNT),
        ({"statutCourant": ["REJETEE"]}, 0),
        ({"montantTTCMin": 2800}, 8),
        ({"montantTTCMax": 2800}, 4),
        ({"typeFacture": "AVOIR"}, 0),
        ({"cadreFacturation": "A1_FACTURE_FOURNISSEUR"}, COUNT),
        ({"cadreFacturation": "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"}, 0),
        # go-choruspro marshals the Swagger's CadreDeFacturation object ({} when unset).
        ({"cadreFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"}}, COUNT),
        ({"cadreFacturation": {"codeCadreFacturation": "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE"}}, 0),
        ({"cadreFacturation": {}}, COUNT),
        ({"periodeDateFactureDu": "2024-01-15", "periodeDateFactureAu": "2024-01-15"}, COUNT),
        ({"periodeDateFactureDu": "2024-01-16"}, 0),
        ({"rejetTraite": True}, 0),
        # The zero value of each field's own type is no criterion (sandbox/cpro/zero.py).
        ({"montantTTCMax": 0, "montantHTMin": 0.0, "idFournisseur": 0, "numeroFacture": "",
          "typeFacture": " ", "statutCourant": [""], "rejetTraite": False}, COUNT),
        ({"rejetTraite": 0}, COUNT),
        ({"rejetTraite": "false"}, COUNT),
    ],
)
def test_criteria_combine_with_the_flux_number(api, flux, criteria, count):
    numero, _ = flux
    body = _search(api, numeroFluxDepot=numero, **criteria)
    if count == 0:
        assert body == {"codeRetour": 20000,
                        "libelle": "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"}
    else:
        assert body["parametresRetour"]["total"] == count


@pytest.mark.parametrize(
    ("criteria", "champ"),
    [({"idFournisseur": False}, "idFournisseur"), ({"montantHTMax": False}, "montantHTMax"),
     ({"numeroFacture": 0}, "numeroFacture"), ({"statutCourant": [False]}, "statutCourant.0")],
)
def test_a_zero_of_another_type_is_a_wrong_type(api, flux, criteria, champ):
    """false is no number and 0 no text: a 400 that names the field, not "no criterion"."""
    numero, _ = flux
    answer = api.post(RECHERCHER, {"numeroFluxDepot": numero, **criteria})
    assert answer.status_code == 400, answer.text
    assert answer.json()["erreurs"][0]["champ"] == champ


def test_by_invoice_number_and_recipient(api, flux):
    numero, prefix = flux
    (one,) = _search(api, numeroFacture=f"{prefix}-03")["listeFactures"]
    assert one["numeroFluxDepot"] == numero
    by_recipient = _search(api, numeroFluxDepot=numero,
                           listeDestinataire=[{"idDestinataire": one["idDestinataire"]}])
    assert by_recipient["parametresRetour"]["total"] == 8


def test_other_accounts_see_nothing(base_url, api, flux):
    numero, prefix = flux
    with db.new_session() as s:
        stranger = tech_client(base_url, build_world(s))
    assert _search(stranger, numeroFluxDepot=numero)["codeRetour"] == 20000
    facture_id = _search(api, numeroFacture=f"{prefix}-00")["listeFactures"][0]
    for path, key in ((CONSULTER, "identifiantFactureCPP"), (HISTORIQUE, "idFacture")):
        body = stranger.call(path, {key: facture_id["identifiantFactureCPP"]})
        assert body["codeRetour"] == 20000, body
    assert stranger.call(CONSULTER, {"identifiantFactureCPP": 1})["codeRetour"] == 20000


def test_a_user_attached_to_the_supplier_sees_its_invoices(base_url, world, flux):
    numero, _ = flux
    body = user_client(base_url, world).call(RECHERCHER, {"numeroFluxDepot": numero})
    assert body["parametresRetour"]["total"] == COUNT


def test_consulter_fournisseur_gives_lines_and_amounts(api, flux):
    _, prefix = flux
    item = _search(api, numeroFacture=f"{prefix}-01")["listeFactures"][0]
    body = api.call(CONSULTER, {"identifiantFactureCPP": item["identifiantFactureCPP"]})
    assert body["codeRetour"] == 0
    facture = body["facture"]
    assert facture["identifiantFactureCPP"] == item["identifiantFactureCPP"]
    assert facture["statutFacture"] == "MISE_A_DISPOSITION"
    assert body == api.call(CONSULTER, {"identifiantFactureCPP": item["identifiantFactureCPP"]})


def test_history_limit_and_unknown_invoice(api, flux):
    _, prefix = flux
    item = _search(api, numeroFacture=f"{prefix}-02")["listeFactures"][0]
    body = api.call(HISTORIQUE, {"idFacture": item["identifiantFactureCPP"],
                                 "nbResultatsMaximum": 1})
    (last,) = body["historiquesDesStatuts"]["histoStatut"]
    assert last["histoStatutCode"] == "MISE_A_DISPOSITION"
    assert body["historiquesDesStatuts"]["pagination"]["total"] == 3
    assert api.call(HISTORIQUE, {"idFacture": 999_999_999})["codeRetour"] == 20000
