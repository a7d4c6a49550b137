"""The recipient side over HTTP: rechercher/consulter recipiendaire, telecharger/groupe."""

from __future__ import annotations

import base64
import io
import zipfile
from xml.etree import ElementTree as ET

import pytest
from factures_support import build_scene, make_facture, make_party
from sqlalchemy import select

from sandbox import db
from sandbox.factures.models import Facture, FactureAction
from sandbox.factures.schemas.recipient import (
    ConsulterFactureRecipiendaireRetour,
    RechercherFactureParRecipiendaireRetour,
)

FAC = "/cpro/factures/v1"
EMPTY = "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat"
N = 23


@pytest.fixture(scope="module")
def scene(stack_db):
    """A recipient with 23 received invoices (numbers R00..R22), 2 not yet routed, and
    3 received by the outsider; a second supplier sent R20..R22."""
    with db.new_session() as s:
        scene = build_scene(s)
        other = make_party(s, public=False)
        for i in range(N):
            make_facture(
                s,
                other if i >= 20 else scene.supplier,
                scene.recipient,
                "MANDATEE" if i % 5 == 0 else "MISE_A_DISPOSITION",
                numero=f"R{i:02d}-{scene.recipient.identifiant}",
            )
        make_facture(
            s,
            scene.supplier,
            scene.recipient,
            "DEPOSEE",
            numero=f"D1-{scene.recipient.identifiant}",
        )
        make_facture(
            s,
            scene.supplier,
            scene.recipient,
            "EN_COURS_ACHEMINEMENT",
            numero=f"D2-{scene.recipient.identifiant}",
        )
        for i in range(3):
            make_facture(
                s, scene.supplier, scene.outsider, numero=f"O{i}-{scene.outsider.identifiant}"
            )
        s.commit()
        scene.other = other
        return scene


@pytest.fixture(scope="module")
def recipient(base_url, scene):
    return scene.api(base_url, scene.recipient)


def _search(api, **body) -> dict:
    answer = api.call(f"{FAC}/rechercher/recipiendaire", body)
    RechercherFactureParRecipiendaireRetour.model_validate(answer)
    return answer


def _numbers(answer: dict) -> list[str]:
    return [f["numeroFacture"].split("-")[0] for f in answer["listeFactures"]]


def test_default_page_is_ten_with_paging_at_top_level(recipient):
    answer = _search(recipient)
    assert answer["codeRetour"] == 0 and answer["libelle"] == "TRA_MSG_00.000"
    assert (
        answer["pageCourante"],
        answer["pages"],
        answer["nbResultatsParPage"],
        answer["total"],
    ) == (
        1,
        3,
        10,
        N,
    )
    assert "parametresRetour" not in answer
    assert _numbers(answer) == [f"R{i:02d}" for i in range(10)]
    item = answer["listeFactures"][0]
    assert isinstance(item["idFacture"], int) and "identifiantFactureCPP" not in item
    assert item["statut"] == "MANDATEE" and item["typeDemandePaiement"] == "FACTURE"
    assert item["montantTTC"] == 120.0 and item["factureTelechargeeParDestinataire"] is False


def test_pages_and_sorting(recipient):
    last = _search(recipient, paramRecherche={"pageResultatDemandee": 3})
    assert last["pageCourante"] == 3 and _numbers(last) == ["R20", "R21", "R22"]
    beyond = recipient.call(
        f"{FAC}/rechercher/recipiendaire", {"paramRecherche": {"pageResultatDemandee": 4}}
    )
    assert beyond["codeRetour"] == 0 and beyond["listeFactures"] == [] and beyond["total"] == N
    five = _search(
        recipient,
        paramRecherche={
            "nbResultatsParPage": 5,
            "triColonne": "NumeroFacture",
            "triSense": "Descendant",
        },
    )
    assert five["pages"] == 5 and _numbers(five) == ["R22", "R21", "R20", "R19", "R18"]


def test_pastell_body_pages_through_everything(recipient):
    seen, page = [], 0
    while True:
        page += 1
        answer = recipient.call(
            f"{FAC}/rechercher/recipiendaire",
            {
                "typeDemandePaiement": "FACTURE",
                "paramRecherche": {
                    "nbResultatsParPage": 7,
                    "pageResultatDemandee": page,
                    "nbResultatsMaximum": 999999,
                },
            },
        )
        seen += _numbers(answer)
        if answer["pageCourante"] >= answer["pages"]:
            break
    assert sorted(seen) == [f"R{i:02d}" for i in range(N)]
    travaux = recipient.call(
        f"{FAC}/rechercher/recipiendaire", {"typeDemandePaiement": "FACTURE_TRAVAUX"}
    )
    assert (travaux["codeRetour"], travaux["libelle"]) == (20000, EMPTY)


def test_filters(scene, recipient):
    mandated = _search(recipient, statutCourant="MANDATEE")
    assert _numbers(mandated) == ["R00", "R05", "R10", "R15", "R20"]
    listed = _search(recipient, statutCourant=["MANDATEE", "MISE_A_DISPOSITION"])
    assert listed["total"] == N
    from_other = _search(recipient, listeFournisseurs=[{"idFournisseur": scene.other.structure_id}])
    assert _numbers(from_other) == ["R20", "R21", "R22"]
    one = _search(recipient, numeroFacture=f"R07-{scene.recipient.identifiant}")
    assert one["total"] == 1 and one["listeFactures"][0]["numeroFacture"].startswith("R07")
    by_service = _search(recipient, idServiceExecutant=scene.recipient.service_ids[0])
    assert by_service["total"] == N
    by_amount = recipient.call(f"{FAC}/rechercher/recipiendaire", {"montantTTCMin": 121})
    assert by_amount["codeRetour"] == 20000


def test_go_client_zero_values_are_no_criteria(recipient):
    body = {
        "cadreFacturation": "",
        "factureTelechargeeParDestinataire": False,
        "idDestinataire": 0,
        "idServiceExecutant": 0,
        "idStructureValideur": 0,
        "idUtilisateurCourant": 0,
        "montantApayerMax": 0,
        "montantHTMin": 0,
        "numeroFacture": "",
        "statutCourant": [],
        "typeDemandePaiement": "",
        "listeTypeFacture": [],
        "rechercheSirenFournisseur": False,
    }
    assert _search(recipient, **body)["total"] == N


@pytest.mark.parametrize(
    "body",
    [
        {"numeroFacture": "NOPE"},
        {"statutCourant": "REJETEE"},
        {"idDestinataire": 1},  # not one of the caller's structures
    ],
)
def test_empty_result_is_code_20000(recipient, body):
    answer = recipient.call(f"{FAC}/rechercher/recipiendaire", body)
    assert answer["codeRetour"] == 20000 and answer["libelle"] == EMPTY
    assert answer.get("listeFactures", []) == []


def test_not_yet_routed_and_other_recipients_invoices_are_not_listed(base_url, scene, recipient):
    numbers = {
        f["numeroFacture"]
        for f in _search(recipient, paramRecherche={"nbResultatsParPage": 100})["listeFactures"]
    }
    assert not any(n.startswith(("D1", "D2", "O")) for n in numbers)
    outsider = scene.api(base_url, scene.outsider)
    assert _search(outsider)["total"] == 3
    supplier = scene.api(base_url, scene.supplier)
    assert supplier.call(f"{FAC}/rechercher/recipiendaire", {})["codeRetour"] == 20000


@pytest.mark.parametrize(
    "body",
    [
        {"statutCourant": "PAYEE"},
        {"paramRecherche": {"nbResultatsParPage": 10001}},
        {"paramRecherche": {"triColonne": "Nimporte"}},
        {"idDestinataire": "abc"},
        {"periodeDateDepotDu": 5},
    ],
)
def test_bad_search_input_is_a_400(recipient, body):
    answer = recipient.post(f"{FAC}/rechercher/recipiendaire", body)
    assert answer.status_code == 400 and answer.json()["codeRetour"] == 10002


def test_bad_date_is_a_business_error(recipient):
    answer = recipient.call(f"{FAC}/rechercher/recipiendaire", {"periodeDateDepotDu": "01/02/2026"})
    assert answer["codeRetour"] == 20511 and "periodeDateDepotDu" in answer["libelle"]


def test_date_range_of_deposit(recipient):
    assert (
        _search(recipient, periodeDateDepotDu="2000-01-01", periodeDateDepotAu="2999-12-31")[
            "total"
        ]
        == N
    )
    assert (
        recipient.call(f"{FAC}/rechercher/recipiendaire", {"periodeDateDepotAu": "2000-01-01"})[
            "codeRetour"
        ]
        == 20000
    )


def _first_id(recipient, numero: str) -> int:
    answer = _search(recipient, numeroFacture=numero)
    return answer["listeFactures"][0]["idFacture"]


def test_consulter_recipiendaire(base_url, scene, recipient):
    facture_id = _first_id(recipient, f"R03-{scene.recipient.identifiant}")
    answer = recipient.call(f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": facture_id})
    ConsulterFactureRecipiendaireRetour.model_validate(answer)
    facture = answer["facture"]
    assert answer["codeRetour"] == 0 and facture["identifiantFactureCPP"] == facture_id
    assert facture["statutFacture"] == "MISE_A_DISPOSITION"
    assert facture["destinataire"]["codeDestinataire"] == scene.recipient.identifiant
    assert facture["destinataire"]["codeServiceExecutant"] == scene.recipient.service_codes[0]
    assert facture["fournisseur"]["codeFournisseur"] == scene.supplier.identifiant
    assert facture["montantTotal"]["montantTtcTotal"] == 120.0
    assert facture["references"]["typeFacture"] == "FACTURE"
    outsider = scene.api(base_url, scene.outsider)
    assert (
        outsider.call(f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": facture_id})[
            "codeRetour"
        ]
        == 20001
    )
    assert (
        recipient.call(f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": 2**62})[
            "codeRetour"
        ]
        == 20000
    )
    assert recipient.call(f"{FAC}/consulter/recipiendaire", {})["codeRetour"] == 20511


def test_telecharger_one_pdf_marks_it_downloaded(scene, recipient):
    facture_id = _first_id(recipient, f"R04-{scene.recipient.identifiant}")
    # Other tests of the module download other invoices of the scene, in any order.
    before = {f["idFacture"] for f in _search(
        recipient, factureTelechargeeParDestinataire=True).get("listeFactures") or []}
    assert facture_id not in before
    answer = recipient.call(
        f"{FAC}/telecharger/groupe", {"format": "PDF", "listeFacture": [{"idFacture": facture_id}]}
    )
    assert answer["codeRetour"] == 0
    pdf = base64.b64decode(answer["fichierResultat"])
    assert pdf.startswith(b"%PDF")
    downloaded = _search(recipient, factureTelechargeeParDestinataire=True)
    assert {f["idFacture"] for f in downloaded["listeFactures"]} == before | {facture_id}
    with db.new_session() as s:
        actions = s.scalars(
            select(FactureAction.code).where(FactureAction.facture_id == facture_id)
        ).all()
        assert actions == ["TELECHARGEMENT_FACTURE"]


def test_telecharger_several_gives_a_zip_and_pivot_an_xml(base_url, scene, recipient):
    ids = [_first_id(recipient, f"R{i:02d}-{scene.recipient.identifiant}") for i in (1, 2)]
    answer = recipient.call(
        f"{FAC}/telecharger/groupe", {"listeFacture": [{"idFacture": i} for i in ids]}
    )
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(answer["fichierResultat"])))
    folders = {name.split("/")[0] for name in archive.namelist()}
    assert len(folders) == 2 and all(n.endswith(".pdf") for n in archive.namelist())
    assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    pivot = recipient.call(
        f"{FAC}/telecharger/groupe",
        {"format": "PIVOT", "listeFacture": [{"idFacture": i} for i in ids]},
    )
    root = ET.fromstring(base64.b64decode(pivot["fichierResultat"]))
    assert sorted(int(el.get("idFacture")) for el in root) == sorted(ids)


def test_supplier_download_does_not_mark_it_downloaded(base_url, scene, recipient):
    facture_id = _first_id(recipient, f"R06-{scene.recipient.identifiant}")
    supplier = scene.api(base_url, scene.supplier)
    answer = supplier.call(
        f"{FAC}/telecharger/groupe", {"listeFacture": [{"idFacture": facture_id}]}
    )
    assert answer["codeRetour"] == 0
    with db.new_session() as s:
        assert s.get(Facture, facture_id).telechargee_par_destinataire is False


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, 20511), ({"listeFacture": []}, 20511), ({"listeFacture": [{"idFacture": 2**62}]}, 20000)],
)
def test_telecharger_errors(recipient, body, code):
    assert recipient.call(f"{FAC}/telecharger/groupe", body)["codeRetour"] == code


def test_telecharger_someone_elses_invoice(base_url, scene):
    with db.new_session() as s:
        facture_id = s.scalar(
            select(Facture.id).where(Facture.destinataire_id == scene.outsider.structure_id)
        )
    api = scene.api(base_url, scene.recipient)
    answer = api.call(f"{FAC}/telecharger/groupe", {"listeFacture": [{"idFacture": facture_id}]})
    assert answer["codeRetour"] == 20001
    assert api.post(f"{FAC}/telecharger/groupe", {"format": "XML"}).status_code == 400
