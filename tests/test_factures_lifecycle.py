"""The invoice lifecycle over HTTP: traiter/recue and recuperer/etats/traitement.

Every allowed move is tried twice over: from the code's table and from an independent
list written here from the reference (factures-reference.md §6.4 and the official
recuperer/etats/traitement sample), so a wrong table cannot pass by agreeing with itself.
Forbidden moves are refused with 20500 and change nothing.
"""

from __future__ import annotations

import threading

import pytest
from factures_support import build_scene, make_facture
from sqlalchemy import select

from sandbox import db
from sandbox.factures.models import Facture, FactureStatut
from sandbox.factures.rules import lifecycle
from sandbox.vocabulary import StatutFacture as F

FAC = "/cpro/factures/v1"
ETATS = "/cpro/transverses/v1/recuperer/etats/traitement"

# From the reference, not from the code: the official recuperer/etats/traitement answer
# for MISE_A_DISPOSITION (COMM-ETATS, in its order) ...
SAMPLE_FROM_MISE_A_DISPOSITION = [
    "MISE_A_DISPOSITION",
    "SUSPENDUE",
    "REJETEE",
    "MANDATEE",
    "MISE_EN_PAIEMENT",
    "COMPTABILISEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "A_RECYCLER",
]
# ... Pastell's targets (SERVICE_FAIT among them) from its acting statuses.
PASTELL_ACTING = ["MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "COMPLETEE"]
# Moves the reference's prose implies (§6.3, §6.4): forward along the optional steps.
REFERENCE_MOVES = [
    *[("MISE_A_DISPOSITION", t) for t in SAMPLE_FROM_MISE_A_DISPOSITION],
    ("MISE_A_DISPOSITION", "SERVICE_FAIT"),
    ("COMPLETEE", "MANDATEE"),
    ("COMPLETEE", "REJETEE"),
    ("SERVICE_FAIT", "MANDATEE"),
    ("MANDATEE", "MISE_EN_PAIEMENT"),
    ("MANDATEE", "MISE_A_DISPOSITION_COMPTABLE"),
    ("MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE"),
    ("COMPTABILISEE", "MISE_EN_PAIEMENT"),
]
# Final or supplier-side statuses: the recipient can do nothing from them.
REFERENCE_NO_RECIPIENT_MOVE = ["REJETEE", "MISE_EN_PAIEMENT", "SUSPENDUE", "A_RECYCLER"]
# The twelve statuses of a plain supplier invoice (§6.3).
PLAIN = [
    "DEPOSEE",
    "EN_COURS_ACHEMINEMENT",
    "MISE_A_DISPOSITION",
    "A_RECYCLER",
    "REJETEE",
    "SUSPENDUE",
    "COMPLETEE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
]
TABLE_MOVES = sorted(
    (src, dst) for src, targets in lifecycle.RECIPIENT_TRANSITIONS.items() for dst in targets
)
FORBIDDEN = sorted(
    (src, dst)
    for src in PLAIN
    if src not in ("DEPOSEE", "EN_COURS_ACHEMINEMENT")  # not received yet: see below
    for dst in PLAIN
    if dst not in lifecycle.RECIPIENT_TRANSITIONS.get(src, ())
)


@pytest.fixture(scope="module")
def scene(stack_db):
    with db.new_session() as s:
        return build_scene(s)


@pytest.fixture(scope="module")
def recipient(base_url, scene):
    return scene.api(base_url, scene.recipient)


def _invoice(scene, statut: str) -> int:
    with db.new_session() as s:
        facture = make_facture(s, scene.supplier, scene.recipient, statut)
        s.commit()
        return facture.id


def _history(facture_id: int) -> list[tuple[str, str | None]]:
    with db.new_session() as s:
        rows = s.execute(
            select(FactureStatut.statut, FactureStatut.commentaire)
            .where(FactureStatut.facture_id == facture_id)
            .order_by(FactureStatut.id)
        ).all()
        return [(r.statut, r.commentaire) for r in rows]


def _traiter(api, facture_id: int, statut: str, motif: str | None = "Motif de test") -> dict:
    body = {"idFacture": facture_id, "nouveauStatut": statut}
    if motif is not None:
        body["motif"] = motif
    return api.call(f"{FAC}/traiter/recue", body)


def _move_and_check(scene, recipient, src: str, dst: str) -> None:
    facture_id = _invoice(scene, src)
    before = _history(facture_id)
    answer = _traiter(recipient, facture_id, dst)
    assert answer["codeRetour"] == 0, answer
    assert answer["idFacture"] == facture_id and answer["nouveauStatut"] == dst
    assert len(answer["dateTraitement"]) == 10 and answer["numeroFacture"]
    after = _history(facture_id)
    assert after[: len(before)] == before  # the history only grows
    assert after[len(before) :] == [(dst, "Motif de test")]


@pytest.mark.parametrize(("src", "dst"), TABLE_MOVES)
def test_every_move_of_the_table_is_accepted(scene, recipient, src, dst):
    _move_and_check(scene, recipient, src, dst)


@pytest.mark.parametrize(("src", "dst"), REFERENCE_MOVES)
def test_every_move_the_reference_names_is_accepted(scene, recipient, src, dst):
    _move_and_check(scene, recipient, src, dst)


@pytest.mark.parametrize(("src", "dst"), FORBIDDEN)
def test_forbidden_moves_are_refused_and_change_nothing(scene, recipient, src, dst):
    facture_id = _invoice(scene, src)
    before = _history(facture_id)
    answer = _traiter(recipient, facture_id, dst)
    assert answer["codeRetour"] == 20500, answer
    assert src in answer["libelle"] and dst in answer["libelle"]
    assert _history(facture_id) == before


@pytest.mark.parametrize("src", REFERENCE_NO_RECIPIENT_MOVE)
def test_final_and_supplier_statuses_allow_no_recipient_move(scene, recipient, src):
    answer = recipient.call(ETATS, {"statutCourant": src})
    assert answer["codeRetour"] == 0
    assert answer["listeStatutsPossiblesPourTraitement"] == []
    facture_id = _invoice(scene, src)
    for dst in ("MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT", "REJETEE"):
        assert _traiter(recipient, facture_id, dst)["codeRetour"] == 20500


@pytest.mark.parametrize("src", ["DEPOSEE", "EN_COURS_ACHEMINEMENT"])
def test_an_invoice_not_yet_made_available_is_unknown_to_the_recipient(scene, recipient, src):
    facture_id = _invoice(scene, src)
    answer = _traiter(recipient, facture_id, "MANDATEE")
    assert answer["codeRetour"] == 20000
    assert "GDP_MSG_11.008" in answer["libelle"]


def test_etats_traitement_gives_the_official_sample_for_mise_a_disposition(recipient):
    answer = recipient.call(ETATS, {"statutCourant": "MISE_A_DISPOSITION"})
    assert answer["codeRetour"] == 0 and answer["libelle"] == "TRA_MSG_00.000"
    got = [x["statutPossiblePourTraitement"] for x in answer["listeStatutsPossiblesPourTraitement"]]
    assert got[: len(SAMPLE_FROM_MISE_A_DISPOSITION)] == SAMPLE_FROM_MISE_A_DISPOSITION
    assert "SERVICE_FAIT" in got


@pytest.mark.parametrize("src", PASTELL_ACTING)
def test_etats_traitement_lists_what_traiter_recue_accepts(recipient, src):
    answer = recipient.call(ETATS, {"statutCourant": src})
    got = [x["statutPossiblePourTraitement"] for x in answer["listeStatutsPossiblesPourTraitement"]]
    assert got and got == list(lifecycle.RECIPIENT_TRANSITIONS[src])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 200, 20511),
        ({"statutCourant": ""}, 200, 20511),
        ({"statutCourant": "PAYEE"}, 400, 10002),
        ({"statutCourant": 12}, 400, 10002),
    ],
)
def test_etats_traitement_bad_input(recipient, body, status, code):
    answer = recipient.post(ETATS, body)
    assert answer.status_code == status
    assert answer.json()["codeRetour"] == code


@pytest.mark.parametrize("statut", ["REJETEE", "SUSPENDUE"])
@pytest.mark.parametrize("motif", [None, "", "   "])
def test_rejecting_or_suspending_needs_a_motif(scene, recipient, statut, motif):
    facture_id = _invoice(scene, F.MISE_A_DISPOSITION)
    body = {"idFacture": facture_id, "nouveauStatut": statut, "numeroDPMandat": ""}
    if motif is not None:
        body["motif"] = motif
    answer = recipient.call(f"{FAC}/traiter/recue", body)
    assert answer["codeRetour"] == 20501, answer
    assert statut in answer["libelle"]
    assert _history(facture_id)[-1][0] == "MISE_A_DISPOSITION"


def test_mandate_number_in_either_spelling_is_kept(scene, recipient):
    for key in ("numeroDPMandat", "NumeroDPMandat"):
        facture_id = _invoice(scene, F.MISE_A_DISPOSITION)
        answer = recipient.call(
            f"{FAC}/traiter/recue",
            {"idFacture": facture_id, "nouveauStatut": "MANDATEE", key: "M-2026-42"},
        )
        assert answer["codeRetour"] == 0
        assert _history(facture_id)[-1] == ("MANDATEE", "Numéro de DP mandat : M-2026-42")


def test_traiter_recue_refuses_other_structures_and_unknown_ids(base_url, scene, recipient):
    facture_id = _invoice(scene, F.MISE_A_DISPOSITION)
    outsider = scene.api(base_url, scene.outsider)
    assert _traiter(outsider, facture_id, "MANDATEE")["codeRetour"] == 20001
    supplier = scene.api(base_url, scene.supplier)
    assert _traiter(supplier, facture_id, "MANDATEE")["codeRetour"] == 20001
    assert _traiter(recipient, 2**62, "MANDATEE")["codeRetour"] == 20000
    assert _history(facture_id)[-1][0] == "MISE_A_DISPOSITION"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"nouveauStatut": "MANDATEE"}, 200, 20511),
        ({"idFacture": 0, "nouveauStatut": "MANDATEE"}, 200, 20511),
        ({"idFacture": "x", "nouveauStatut": "MANDATEE"}, 400, 10002),
        ({"idFacture": -3, "nouveauStatut": "MANDATEE"}, 400, 10002),
        ({"idFacture": 1, "nouveauStatut": "PAYEE"}, 400, 10002),
        ({"idFacture": 1, "motif": "x" * 2001, "nouveauStatut": "REJETEE"}, 400, 10002),
    ],
)
def test_traiter_recue_bad_input_is_never_a_5xx(recipient, body, status, code):
    answer = recipient.post(f"{FAC}/traiter/recue", body)
    assert answer.status_code == status
    assert answer.json()["codeRetour"] == code


def test_idfacture_missing_with_a_status(scene, recipient):
    answer = recipient.call(f"{FAC}/traiter/recue", {"idFacture": _invoice(scene, "MANDATEE")})
    assert answer["codeRetour"] == 20511 and "nouveauStatut" in answer["libelle"]


def test_two_concurrent_decisions_only_one_wins(base_url, scene):
    facture_id = _invoice(scene, F.MISE_A_DISPOSITION)
    answers: dict[str, dict] = {}

    def decide(statut: str) -> None:
        api = scene.api(base_url, scene.recipient)
        answers[statut] = _traiter(api, facture_id, statut)

    threads = [threading.Thread(target=decide, args=(x,)) for x in ("REJETEE", "MISE_EN_PAIEMENT")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(a["codeRetour"] for a in answers.values())
    assert codes == [0, 20500], answers
    winner = next(k for k, a in answers.items() if a["codeRetour"] == 0)
    history = [h[0] for h in _history(facture_id)]
    assert (
        history[-1] == winner and history.count("MISE_EN_PAIEMENT") + history.count("REJETEE") == 1
    )
    with db.new_session() as s:
        assert s.get(Facture, facture_id).statut == winner
