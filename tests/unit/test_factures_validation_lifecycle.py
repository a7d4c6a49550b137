"""The validation stage of the invoice lifecycle (cadres A9, A12), in-process: the tables
(``rules/lifecycle.py``) checked against the reference's statuses, and the moves on a
fresh SQLite database (see conftest)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from unit_support import new_siret

from sandbox import clock
from sandbox.builders import add_structure
from sandbox.factures import errors
from sandbox.factures.models import Facture, FactureStatut
from sandbox.factures.rules import lifecycle
from sandbox.factures.rules.lifecycle import Actor
from sandbox.vocabulary import StatutFacture as F

# From the reference (factures-reference.md §6.3), not from the code: the statuses of the
# first validator.
FIRST_VALIDATOR = {
    "A_VALIDER_1",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR",
    "REFUSEE_1",
    "VALIDEE_1",
    "ABSENCE_VALIDATION_1_HORS_DELAI",
}
EVERY_STATUS = [x.value for x in F]


def test_the_validation_stage_is_the_reference_first_validator_statuses():
    assert set(lifecycle.VALIDATION) == FIRST_VALIDATOR


def test_a_validator_validates_refuses_or_rejects_and_nothing_else():
    assert set(lifecycle.allowed_targets(Actor.VALIDATOR, "A_VALIDER_1", validator=True)) == {
        "VALIDEE_1", "REFUSEE_1", "ERREUR_FOURNISSEUR_SUR_VALIDEUR"}
    for statut in EVERY_STATUS:
        if statut != "A_VALIDER_1":
            assert lifecycle.allowed_targets(Actor.VALIDATOR, statut, validator=True) == ()


@pytest.mark.parametrize("statut", EVERY_STATUS)
def test_no_invoice_without_a_validator_enters_the_validation_stage(statut):
    for actor in Actor:
        assert not set(lifecycle.allowed_targets(actor, statut)) & FIRST_VALIDATOR


def test_the_recipient_sees_nothing_of_the_validation_stage():
    assert FIRST_VALIDATOR <= lifecycle.NOT_YET_RECEIVED
    for statut in FIRST_VALIDATOR:
        assert lifecycle.allowed_targets(Actor.RECIPIENT, statut, validator=True) == ()


def test_a_refused_invoice_is_final():
    assert "REFUSEE_1" in lifecycle.FINAL
    assert lifecycle.allowed_targets(Actor.CONTROL, "REFUSEE_1", validator=True) == ()
    assert {"REFUSEE_1", "ERREUR_FOURNISSEUR_SUR_VALIDEUR"} <= lifecycle.MOTIF_REQUIRED


def test_paths_go_through_the_validator_only_for_an_invoice_that_has_one():
    assert lifecycle.path_to("A_VALIDER_1", "MISE_EN_PAIEMENT", validator=True) == [
        "VALIDEE_1", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"]
    assert lifecycle.path_to("ERREUR_FOURNISSEUR_SUR_VALIDEUR", "VALIDEE_1", validator=True) == [
        "A_VALIDER_1", "VALIDEE_1"]
    assert lifecycle.path_to("A_VALIDER_1", "MISE_A_DISPOSITION") is None
    assert lifecycle.path_to("DEPOSEE", "A_VALIDER_1") is None


def _facture(s, *, validator: bool) -> Facture:
    supplier = add_structure(s, identifiant=new_siret(), raison_sociale="Sous-traitant")
    recipient = add_structure(s, identifiant=new_siret(), raison_sociale="Mairie",
                              type_structure="PUBLIQUE")
    titulaire = add_structure(s, identifiant=new_siret(), raison_sociale="Titulaire")
    now = clock.utcnow_naive()
    facture = Facture(
        numero_facture="A9-1", fournisseur_id=supplier.id, destinataire_id=recipient.id,
        valideur_structure_id=titulaire.id if validator else None, mode_depot="SAISIE_API",
        cadre_facturation="A9_FACTURE_SOUSTRAITANT" if validator else "A1_FACTURE_FOURNISSEUR",
        montant_ht=Decimal("100"), montant_tva=Decimal("20"), montant_ttc=Decimal("120"),
        montant_a_payer=Decimal("120"), date_depot=now, date_heure_etat_courant=now,
        statut=F.DEPOSEE, lignes=[], lignes_tva=[],
    )
    s.add(facture)
    s.flush()
    return facture


def _history(s, facture: Facture) -> list[tuple[str, str | None]]:
    rows = s.execute(select(FactureStatut.statut, FactureStatut.commentaire)
                     .where(FactureStatut.facture_id == facture.id)
                     .order_by(FactureStatut.id)).all()
    return [(r.statut, r.commentaire) for r in rows]


def test_a_new_invoice_with_a_validator_waits_for_it(session):
    facture = _facture(session, validator=True)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    assert facture.statut == "A_VALIDER_1"
    assert [st for st, _ in _history(session, facture)] == ["DEPOSEE", "A_VALIDER_1"]


def test_a_new_invoice_without_a_validator_is_routed_at_once(session):
    facture = _facture(session, validator=False)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    assert facture.statut == "MISE_A_DISPOSITION"


def test_validated_then_routed(session):
    facture = _facture(session, validator=True)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    lifecycle.transition(session, facture, "VALIDEE_1", actor=Actor.VALIDATOR)
    lifecycle.route(session, facture)
    assert [st for st, _ in _history(session, facture)] == [
        "DEPOSEE", "A_VALIDER_1", "VALIDEE_1", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION"]


def test_a_refusal_needs_a_motif_and_changes_nothing_without_one(session):
    facture = _facture(session, validator=True)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    with pytest.raises(errors.MotifObligatoire):
        lifecycle.transition(session, facture, "REFUSEE_1", actor=Actor.VALIDATOR)
    assert facture.statut == "A_VALIDER_1"
    lifecycle.transition(session, facture, "REFUSEE_1", actor=Actor.VALIDATOR, motif="Montant")
    assert _history(session, facture)[-1] == ("REFUSEE_1", "Montant")


def test_the_recipient_cannot_act_for_the_validator(session):
    facture = _facture(session, validator=True)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    with pytest.raises(errors.TransitionInterdite):
        lifecycle.transition(session, facture, "VALIDEE_1", actor=Actor.RECIPIENT)
    with pytest.raises(errors.TransitionInterdite):
        lifecycle.transition(session, facture, "MISE_EN_PAIEMENT", actor=Actor.RECIPIENT)
    assert facture.statut == "A_VALIDER_1"


def test_the_control_plane_moves_an_invoice_through_its_validator(session):
    facture = _facture(session, validator=True)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    steps = lifecycle.move_invoice(session, facture.id, "MISE_EN_PAIEMENT")
    assert steps == ["VALIDEE_1", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION",
                     "MISE_EN_PAIEMENT"]


def test_the_control_plane_cannot_send_a_plain_invoice_to_a_validator(session):
    facture = _facture(session, validator=False)
    lifecycle.enter_deposee_and_route(session, facture, at=datetime(2026, 12, 1, 10, 0))
    with pytest.raises(errors.TransitionInterdite):
        lifecycle.move_invoice(session, facture.id, "A_VALIDER_1")
    assert facture.statut == "MISE_A_DISPOSITION"
    assert not set(lifecycle.targets_of(Actor.CONTROL, facture)) & FIRST_VALIDATOR
