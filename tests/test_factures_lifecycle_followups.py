"""The supplier's follow-ups over HTTP: completer, recycler, traiterRejet — and the round
trips they make with the recipient's traiter/recue."""

from __future__ import annotations

import base64
import re

import pytest
from factures_support import build_scene, make_facture, make_party
from sqlalchemy import select

from sandbox import db
from sandbox.factures.models import Facture, FactureAction, FactureStatut, PieceJointe

FAC = "/cpro/factures/v1"
TRA = "/cpro/transverses/v1"


@pytest.fixture(scope="module")
def scene(stack_db):  # noqa: ANN001, ANN201
    with db.new_session() as s:
        scene = build_scene(s)
        scene.second = make_party(s, public=True, code_service_doit_etre_renseigne=True)
        s.commit()
        return scene


@pytest.fixture(scope="module")
def supplier(base_url, scene):  # noqa: ANN001, ANN201
    return scene.api(base_url, scene.supplier)


@pytest.fixture(scope="module")
def recipient(base_url, scene):  # noqa: ANN001, ANN201
    return scene.api(base_url, scene.recipient)


def _invoice(scene, statut: str, **fields) -> int:  # noqa: ANN001
    with db.new_session() as s:
        facture = make_facture(s, scene.supplier, scene.recipient, statut, **fields)
        s.commit()
        return facture.id


def _history(facture_id: int) -> list[tuple[str, str | None]]:
    with db.new_session() as s:
        return [
            (r.statut, r.commentaire)
            for r in s.execute(
                select(FactureStatut.statut, FactureStatut.commentaire)
                .where(FactureStatut.facture_id == facture_id)
                .order_by(FactureStatut.id)
            )
        ]


def test_suspend_complete_then_mandate_round_trip(scene, supplier, recipient):
    facture_id = _invoice(scene, "MISE_A_DISPOSITION")
    suspended = recipient.call(
        f"{FAC}/traiter/recue",
        {
            "idFacture": facture_id,
            "nouveauStatut": "SUSPENDUE",
            "motif": "Bon de livraison manquant",
        },
    )
    assert suspended["codeRetour"] == 0
    pj = supplier.call(
        f"{TRA}/ajouter/fichier",
        {"pieceJointeFichier": base64.b64encode(b"BL 42").decode(), "pieceJointeNom": "bl.txt"},
    )["pieceJointeId"]
    answer = supplier.call(
        f"{FAC}/completer",
        {
            "identifiantFactureCPP": facture_id,
            "commentaire": "BL joint",
            "pieceJointeComplementaire": [
                {
                    "pieceJointeComplementaireId": pj,
                    "pieceJointeComplementaireDesignation": "Bon de livraison",
                    "pieceJointeComplementaireType": "BON_LIVRAISON",
                }
            ],
        },
    )
    assert answer["codeRetour"] == 0, answer
    assert answer["identifiantFactureCPP"] == facture_id and answer["numeroFacture"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", answer["dateTraitement"])
    with db.new_session() as s:
        attached = s.get(PieceJointe, pj)
        assert (attached.facture_id, attached.role, attached.designation) == (
            facture_id,
            "complementaire",
            "Bon de livraison",
        )
    etats = recipient.call(f"{TRA}/recuperer/etats/traitement", {"statutCourant": "COMPLETEE"})
    assert "MANDATEE" in [
        x["statutPossiblePourTraitement"] for x in etats["listeStatutsPossiblesPourTraitement"]
    ]
    mandated = recipient.call(
        f"{FAC}/traiter/recue", {"idFacture": facture_id, "nouveauStatut": "MANDATEE"}
    )
    assert mandated["codeRetour"] == 0
    assert [h[0] for h in _history(facture_id)][-3:] == ["SUSPENDUE", "COMPLETEE", "MANDATEE"]
    assert _history(facture_id)[-3][1] == "Bon de livraison manquant"
    assert _history(facture_id)[-2][1] == "BL joint"
    consulted = recipient.call(
        f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": facture_id}
    )
    pjs = consulted["facture"]["listeDesPiecesJointes"]["pieceJointe"]
    assert [p["pieceJointeId"] for p in pjs] == [pj]


@pytest.mark.parametrize(
    "statut", ["MISE_A_DISPOSITION", "COMPLETEE", "REJETEE", "A_RECYCLER", "MANDATEE"]
)
def test_completer_only_from_suspendue(scene, supplier, statut):
    facture_id = _invoice(scene, statut)
    answer = supplier.call(
        f"{FAC}/completer", {"identifiantFactureCPP": facture_id, "commentaire": "x"}
    )
    assert answer["codeRetour"] == 20002 and "GDP_MSG_11.033" in answer["libelle"]
    assert _history(facture_id)[-1][0] == statut


def test_completer_errors(base_url, scene, supplier, recipient):
    facture_id = _invoice(scene, "SUSPENDUE")
    unknown = supplier.call(f"{FAC}/completer", {"identifiantFactureCPP": 2**62})
    assert (unknown["codeRetour"], unknown["libelle"]) == (
        20000,
        "GDP_MSG_11.008 - La demande de paiement n'existe pas.",
    )
    not_mine = recipient.call(f"{FAC}/completer", {"identifiantFactureCPP": facture_id})
    assert not_mine["codeRetour"] == 20001 and "GDP_MSG_11.005" in not_mine["libelle"]
    others_pj = recipient.call(
        f"{TRA}/ajouter/fichier",
        {"pieceJointeFichier": base64.b64encode(b"x").decode(), "pieceJointeNom": "x.txt"},
    )["pieceJointeId"]
    stolen = supplier.call(
        f"{FAC}/completer",
        {
            "identifiantFactureCPP": facture_id,
            "pieceJointeComplementaire": {"pieceJointeComplementaireId": others_pj},
        },
    )
    assert stolen["codeRetour"] == 20508
    assert _history(facture_id)[-1][0] == "SUSPENDUE"
    assert supplier.call(f"{FAC}/completer", {})["codeRetour"] == 20511
    assert supplier.post(f"{FAC}/completer", {"identifiantFactureCPP": "abc"}).status_code == 400


def test_recycler_reroutes_to_a_new_recipient(scene, supplier, recipient):
    facture_id = _invoice(scene, "MISE_A_DISPOSITION")
    assert (
        recipient.call(
            f"{FAC}/traiter/recue", {"idFacture": facture_id, "nouveauStatut": "A_RECYCLER"}
        )["codeRetour"]
        == 0
    )
    answer = supplier.call(
        f"{FAC}/recycler",
        {
            "identifiantFactureCPP": facture_id,
            "commentaire": "Nouveau service",
            "destinataire": {
                "codeDestinataire": scene.second.identifiant,
                "codeServiceExecutant": scene.second.service_codes[0],
            },
        },
    )
    assert answer["codeRetour"] == 0, answer
    assert answer["statutFacture"] == "DEPOSEE" and answer["identifiantFactureCPP"] == facture_id
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", answer["dateDepot"])
    assert [h[0] for h in _history(facture_id)][-4:] == [
        "A_RECYCLER",
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
    ]
    with db.new_session() as s:
        f = s.get(Facture, facture_id)
        assert (f.destinataire_id, f.code_service_executant) == (
            scene.second.structure_id,
            scene.second.service_codes[0],
        )
    # the old recipient no longer receives it; the new one does
    assert (
        recipient.call(f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": facture_id})[
            "codeRetour"
        ]
        == 20001
    )
    second = scene.api(supplier.base_url, scene.second)
    assert (
        second.call(f"{FAC}/consulter/recipiendaire", {"identifiantFactureCPP": facture_id})[
            "codeRetour"
        ]
        == 0
    )


def test_recycler_keeps_the_routing_when_none_is_given(scene, supplier):
    facture_id = _invoice(scene, "A_RECYCLER", via=())
    answer = supplier.call(f"{FAC}/recycler", {"identifiantFactureCPP": facture_id})
    assert answer["codeRetour"] == 0
    with db.new_session() as s:
        assert s.get(Facture, facture_id).destinataire_id == scene.recipient.structure_id


@pytest.mark.parametrize(
    ("statut", "destinataire", "code"),
    [
        ("MISE_A_DISPOSITION", None, 20500),
        ("SUSPENDUE", None, 20500),
        ("A_RECYCLER", {"codeDestinataire": "99999999999999"}, 20503),
        ("A_RECYCLER", "second-without-service", 20504),
    ],
)
def test_recycler_refusals_change_nothing(scene, supplier, statut, destinataire, code):
    facture_id = _invoice(scene, statut)
    if destinataire == "second-without-service":
        destinataire = {"codeDestinataire": scene.second.identifiant}
    body = {"identifiantFactureCPP": facture_id}
    if destinataire:
        body["destinataire"] = destinataire
    before = _history(facture_id)
    assert supplier.call(f"{FAC}/recycler", body)["codeRetour"] == code
    assert _history(facture_id) == before


def test_traiter_rejet_marks_rejections_handled(scene, supplier, recipient):
    ids = [_invoice(scene, "MISE_A_DISPOSITION") for _ in range(2)]
    for facture_id in ids:
        assert (
            recipient.call(
                f"{FAC}/traiter/recue",
                {"idFacture": facture_id, "nouveauStatut": "REJETEE", "motif": "Montant faux"},
            )["codeRetour"]
            == 0
        )
    answer = supplier.call(
        f"{FAC}/traiterRejet",
        {
            "listeDemandePaiement": [{"idDemandePaiement": i} for i in ids],
            "motifRejet": "vu",
            "cpltInfos": "",
        },
    )
    assert answer == {"codeRetour": 0, "libelle": "GCU_MSG_01_000"}
    with db.new_session() as s:
        assert all(s.get(Facture, i).rejet_traite for i in ids)
        codes = s.scalars(select(FactureAction.code).where(FactureAction.facture_id.in_(ids))).all()
        assert codes == ["TRAITEMENT_REJET", "TRAITEMENT_REJET"]


def test_traiter_rejet_all_or_nothing(scene, supplier, recipient):
    rejected = _invoice(scene, "REJETEE")
    available = _invoice(scene, "MISE_A_DISPOSITION")
    answer = supplier.call(
        f"{FAC}/traiterRejet",
        {
            "listeDemandePaiement": [
                {"idDemandePaiement": rejected},
                {"idDemandePaiement": available},
            ]
        },
    )
    assert answer["codeRetour"] == 20500 and str(available) in answer["libelle"]
    with db.new_session() as s:
        assert s.get(Facture, rejected).rejet_traite is False
    assert supplier.call(f"{FAC}/traiterRejet", {"listeDemandePaiement": []})["codeRetour"] == 20511
    assert (
        recipient.call(
            f"{FAC}/traiterRejet", {"listeDemandePaiement": [{"idDemandePaiement": rejected}]}
        )["codeRetour"]
        == 20001
    )
