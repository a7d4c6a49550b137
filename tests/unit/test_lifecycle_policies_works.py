"""Lifecycle policies on works invoices (sandbox/factures/rules/policies.py, issue #22.2):
which invoices a policy reads by cadre (a works move only works invoices; a move to
``ASSOCIEE`` only the cadres whose next document the waiting actor deposits), the next
document each actor deposits (``travaux_cycle.FOLLOW_UP``) against the reference's
circuit, and a worker pass that carries an A4 along the works scenario recipient's
script, MOE -> MOA -> paid, each move dated when it was due.

Expected values are written here from the reference (factures-reference §6.5, §8), not
read from the code's tables."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from factures_support import build_scene, make_facture
from sqlalchemy import select

from sandbox.factures.models import Facture, FactureStatut, FactureTravaux
from sandbox.factures.rules import travaux_cycle
from sandbox.factures.rules.policies import (
    PolicyError,
    apply_policies,
    eligible,
    set_policy,
    works_cadres,
)
from sandbox.factures.rules.scenarios import SCENARIOS, install_script
from sandbox.vocabulary import CadreFacturation
from sandbox.vocabulary import StatutFacture as F

T0 = datetime(2026, 3, 2, 9, 0)
HOUR = timedelta(hours=1)


def _cadre(short: str) -> str:
    return next(c.value for c in CadreFacturation if c.value.split("_", 1)[0] == short)


# Who carries each waiting document on, with which document (reference §6.5: the MOE turns a
# projet de décompte into its état d'acompte or projet de décompte général; the MOA answers
# an état d'acompte with its état d'acompte validé; the titulaire signs the MOE's décompte
# général).
NEXT = {"A4": "A15", "A13": "A15", "A10": "A15", "A7": "A17", "A14": "A17", "A11": "A17",
        "A5": "A19", "A15": "A19", "A18": "A8"}
MOE_WAITS = {"A4", "A7", "A10", "A11", "A13", "A14"}


def test_the_next_document_of_each_waiting_cadre():
    assert {c.split("_", 1)[0]: n.split("_", 1)[0]
            for c, n in travaux_cycle.FOLLOW_UP.items()} == NEXT


@pytest.mark.parametrize(("previous", "following"), sorted(NEXT.items()))
def test_the_next_document_is_deposited_by_the_actor_the_previous_one_waits_for(
        previous, following):
    role = travaux_cycle.depositor(_cadre(following))
    assert travaux_cycle.first_status(_cadre(previous)) in travaux_cycle.ASSOCIABLE[role]


@pytest.mark.parametrize(("start", "end", "cadres"), [
    (F.A_ASSOCIER_MOE, F.ASSOCIEE, MOE_WAITS),
    (F.MISE_A_DISPOSITION_MOE, F.ASSOCIEE, MOE_WAITS),
    (F.PRISE_EN_COMPTE_MOE, F.ASSOCIEE, MOE_WAITS),
    (F.A_ASSOCIER_MOA, F.ASSOCIEE, {"A5", "A15"}),
    (F.A_ASSOCIER_FOURNISSEUR, F.ASSOCIEE, {"A18"}),
    (F.A_VALIDER_1, F.REFUSEE_1, set()),  # the validation stage: plain invoices only
])
def test_which_works_cadres_a_policy_reads(start, end, cadres):
    assert {c.split("_", 1)[0] for c in works_cadres(start, end)} == cadres


def test_a_recipients_move_reads_every_invoice_and_a_works_move_only_works_ones():
    assert eligible(F.MISE_A_DISPOSITION, F.MANDATEE) is None  # plain and works alike
    works = str(eligible(F.A_ASSOCIER_MOE, F.REFUSEE_MOE))
    assert "cadre_facturation IN" in works and "valideur" not in works
    validation = str(eligible(F.A_VALIDER_1, F.REFUSEE_1))
    assert "valideur_structure_id IS NOT NULL" in validation


def test_a_works_move_from_a_status_no_works_invoice_has_is_refused(rules_session, module_scene):
    with pytest.raises(PolicyError, match="not an allowed move"):
        set_policy(rules_session, destinataire_id=module_scene.recipient.structure_id,
                   from_statut=F.MISE_A_DISPOSITION, to_statut=F.ASSOCIEE, delay_seconds=0)


def _history(s, facture_id: int) -> list[tuple[str, datetime]]:
    return [(r.statut, r.date_passage) for r in s.scalars(
        select(FactureStatut).where(FactureStatut.facture_id == facture_id)
        .order_by(FactureStatut.id))]


def test_the_works_script_carries_an_a4_moe_then_moa_then_paid(session):
    s = session
    scene = build_scene(s)
    a4 = make_facture(s, scene.supplier, scene.recipient, F.A_ASSOCIER_MOE,
                      cadre_facturation=_cadre("A4"))
    a4.date_heure_etat_courant = T0
    s.add(FactureTravaux(facture_id=a4.id, moe_structure_id=scene.outsider.structure_id,
                         dossier_id=a4.id))
    plain = make_facture(s, scene.supplier, scene.recipient, F.MISE_A_DISPOSITION)
    plain.date_heure_etat_courant = T0
    (works,) = [sc for sc in SCENARIOS if sc.key == "travaux"]
    install_script(s, works, scene.recipient.structure_id)
    s.commit()
    assert apply_policies(T0 + HOUR - timedelta(seconds=1)) == 0
    # The MOE's step, the MOA's, the mandate and the payment of the A19; the plain
    # invoice's mandate and payment.
    assert apply_policies(T0 + 4 * HOUR) == 6
    s.commit()
    s.expire_all()  # the pass committed in sessions of its own
    dossier = list(s.scalars(select(Facture).join(
        FactureTravaux, FactureTravaux.facture_id == Facture.id)
        .where(FactureTravaux.dossier_id == a4.id).order_by(Facture.id)))
    assert [(f.cadre_facturation.split("_", 1)[0], f.statut) for f in dossier] == [
        ("A4", F.ASSOCIEE), ("A15", F.ASSOCIEE), ("A19", F.MISE_EN_PAIEMENT)]
    _, a15, a19 = dossier
    assert (a15.numero_facture, a19.numero_facture) == (f"SBX-MOE-{a4.id}", f"SBX-MOA-{a15.id}")
    assert a19.montant_ttc == a4.montant_ttc and a19.destinataire_id == a4.destinataire_id
    assert s.get(FactureTravaux, a19.id).moe_structure_id == scene.outsider.structure_id
    assert _history(s, a4.id)[-1] == (F.ASSOCIEE, T0 + HOUR)
    assert _history(s, a15.id) == [
        (F.DEPOSEE, T0 + HOUR), (F.EN_COURS_ACHEMINEMENT, T0 + HOUR),
        (F.A_ASSOCIER_MOA, T0 + HOUR), (F.ASSOCIEE, T0 + 2 * HOUR)]
    assert _history(s, a19.id)[-3:] == [(F.MISE_A_DISPOSITION, T0 + 2 * HOUR),
                                        (F.MANDATEE, T0 + 3 * HOUR),
                                        (F.MISE_EN_PAIEMENT, T0 + 4 * HOUR)]
    assert _history(s, plain.id)[-1] == (F.MISE_EN_PAIEMENT, T0 + 2 * HOUR)
    assert apply_policies(T0 + 30 * 24 * HOUR) == 0  # the end of the script


def test_a_number_the_supplier_already_used_gets_a_suffix(session):
    """The supplier's own numbering took ``SBX-MOE-<id>``: the MOE's document is
    ``SBX-MOE-<id>-2``, and the pass does not fail on the unique number."""
    s = session
    scene = build_scene(s)
    a7 = make_facture(s, scene.supplier, scene.recipient, F.A_ASSOCIER_MOE,
                      cadre_facturation=_cadre("A7"))
    a7.date_heure_etat_courant = T0
    make_facture(s, scene.supplier, scene.recipient, numero=f"SBX-MOE-{a7.id}")
    set_policy(s, destinataire_id=scene.recipient.structure_id, from_statut=F.A_ASSOCIER_MOE,
               to_statut=F.ASSOCIEE, delay_seconds=0)
    s.commit()
    assert apply_policies(T0) == 1
    s.expire_all()
    (a17,) = s.scalars(select(Facture).join(
        FactureTravaux, FactureTravaux.facture_id == Facture.id)
        .where(FactureTravaux.precedente_id == a7.id))
    assert (a17.numero_facture, a17.cadre_facturation, a17.statut) == (
        f"SBX-MOE-{a7.id}-2", _cadre("A17"), F.MISE_A_DISPOSITION)
    assert s.get(Facture, a7.id).statut == F.ASSOCIEE
