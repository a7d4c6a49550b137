"""The works circuit as data (rules/travaux_cycle.py) and its place in the lifecycle:
checked against lists written here from the reference, not from the code's own tables
(factures-reference §6.5, §8; factures-rules-and-apis-reference §2.1)."""

from __future__ import annotations

import pytest

from sandbox.factures.rules import lifecycle, travaux_cycle
from sandbox.factures.rules.lifecycle import Actor
from sandbox.factures.rules.table import CADRES_FLUX
from sandbox.vocabulary import CadreFacturation

# The qualification data set's statuses per works cadre (reference §8), as first statuses.
DATA_SET = {
    "A4": "A_ASSOCIER_MOE", "A7": "A_ASSOCIER_MOE", "A13": "A_ASSOCIER_MOE",
    "A14": "A_ASSOCIER_MOE", "A5": "A_ASSOCIER_MOA", "A18": "A_ASSOCIER_FOURNISSEUR",
    "A10": "MISE_A_DISPOSITION_MOE", "A6": "MISE_A_DISPOSITION", "A8": "MISE_A_DISPOSITION",
    "A16": "MISE_A_DISPOSITION", "A17": "MISE_A_DISPOSITION", "A19": "MISE_A_DISPOSITION",
    "A22": "MISE_A_DISPOSITION", "A23": "MISE_A_DISPOSITION", "A24": "MISE_A_DISPOSITION",
    "A25": "MISE_A_DISPOSITION",
}
PLAIN = ("A1", "A2", "A3", "A9", "A12", "A21")


def _cadre(short: str) -> str:
    return next(c.value for c in CadreFacturation if c.value.split("_", 1)[0] == short)


@pytest.mark.parametrize(("short", "first"), sorted(DATA_SET.items()))
def test_each_works_cadre_is_routed_where_the_data_set_shows_it(short, first):
    cadre = _cadre(short)
    assert travaux_cycle.is_travaux(cadre)
    assert travaux_cycle.first_status(cadre) == first
    assert lifecycle.path_to("DEPOSEE", first, cadre) == ["EN_COURS_ACHEMINEMENT", first]


@pytest.mark.parametrize("short", PLAIN)
def test_plain_cadres_keep_the_plain_lifecycle(short):
    cadre = _cadre(short)
    assert not travaux_cycle.is_travaux(cadre)
    assert travaux_cycle.first_status(cadre) == "MISE_A_DISPOSITION"
    assert lifecycle.path_to("MISE_A_DISPOSITION", "A_ASSOCIER_MOE", cadre) is None
    assert lifecycle.allowed_targets(Actor.MOE, "A_ASSOCIER_MOE", cadre) == ()


def test_the_cadre_names_who_deposits_it():
    by_suffix = {"_MOE": "MOE", "_MOA": "MOA"}  # A25: ..._MOE_PROCEDURE_TACITE
    for cadre in travaux_cycle.CADRES_TRAVAUX:
        role = travaux_cycle.depositor(cadre)
        expected = next((r for s, r in by_suffix.items() if s in cadre), "FOURNISSEUR")
        assert role == expected, cadre


def test_a_flux_carries_the_works_cadres_without_moe_only():
    assert sorted(CADRES_FLUX, key=lambda c: int(c[1:])) == [
        "A1", "A2", "A5", "A6", "A8", "A9", "A12", "A22", "A23"]


def test_a_works_document_waiting_for_the_moe_never_reaches_payment_by_the_plain_route():
    a4 = _cadre("A4")
    # Only its own circuit: association, refusal, send-backs; never the recipient's moves.
    assert lifecycle.path_to("A_ASSOCIER_MOE", "MANDATEE", a4) is None
    assert lifecycle.path_to("A_ASSOCIER_MOE", "ASSOCIEE", a4) == ["ASSOCIEE"]
    assert "MISE_EN_PAIEMENT" not in lifecycle.allowed_targets(Actor.CONTROL, "A_ASSOCIER_MOE", a4)
    # The MOA's validated état d'acompte is paid as any invoice.
    a19 = _cadre("A19")
    assert lifecycle.path_to("DEPOSEE", "MISE_EN_PAIEMENT", a19) == [
        "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"]
    assert lifecycle.is_allowed(Actor.RECIPIENT, "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT", a19)


def test_refusing_or_asking_needs_a_motif():
    for statut in ("REFUSEE_MOE", "REFUSEE_MOA", "REFUSEE_FOURNISSEUR", "A_COMPLETER"):
        assert statut in lifecycle.MOTIF_REQUIRED
