"""Scenario recipients and flux markers (issue #22.2): outcomes for clients that cannot
call ``/_sandbox`` (an ERP clicked through its UI, a QA engineer in a browser).

* **Scenario recipients**: seeded public structures (each with one service) whose
  invoices the sandbox moves along a fixed script. A script *is* lifecycle policies
  (``policies.py``): one policy per step, scoped to the recipient, seeded with it and put
  back by every reset; the factures worker plays them on the sandbox clock as it plays
  any policy (a running clock, ``PUT /_sandbox/clock {"rate": 60}``, plays them while a
  person watches). ``SCENARIOS`` is the one list: the seeding, the data-set page, the
  credentials and the qualification CSV read it.
* **The incident recipient**: a flux holding an invoice addressed to it ends
  ``IN_INCIDENTE``, as a flux the platform could not process.
* **Markers**: ``SBX-INCIDENT`` or ``SBX-REJET`` in the file name (``nomFichier``) or in an
  invoice number selects the flux's outcome (``IN_INCIDENTE``, or ``IN_REJETE`` with the
  forced-rejection error), whatever the recipient.

* **The works recipient**: a works invoice addressed to it (``facturesTravaux/v1``, cadre
  A4/A7/A10/A11/A13/A14 naming a MOE, or a flux of cadre A5) is carried MOE -> MOA -> paid:
  its script's works steps (policies to ``ASSOCIEE``) play the MOE and then the MOA, who
  each deposit their next document (``travaux.play_next_actor``); the plain steps then pay
  the MOA's document. The structure may be named as the MOE too (any MOE is played).

A rules module: no Flask, no registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sandbox.factures.formats import ReadFlux
from sandbox.factures.rules import policies
from sandbox.vocabulary import EtatFlux
from sandbox.vocabulary import StatutFacture as F

HOUR = 3600.0


@dataclass(frozen=True)
class Step:
    """One policy of a script: ``from_statut`` -> ``to_statut`` after ``delay`` seconds."""

    from_statut: str
    to_statut: str
    delay: float = HOUR
    motif: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A scenario recipient: a public structure, its service, its script."""

    key: str
    identifiant: str  # SIRET
    raison_sociale: str
    service: tuple[str, str]  # (code, libellé)
    summary: str  # French: shown on the portal and in the CSV
    steps: tuple[Step, ...] = ()
    flux_outcome: str | None = None  # an EtatFlux: every flux to it ends so

    @property
    def end(self) -> str:
        """Where the script ends: the last step's status, or the flux state."""
        return self.steps[-1].to_statut if self.steps else str(self.flux_outcome)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "payee", "13009900500014", "Scénario Destinataire payée",
        ("SCENARIO_PAYEE", "Service scénario payée"),
        "Mandatée 1 h après la mise à disposition, mise en paiement 1 h après.",
        (Step(F.MISE_A_DISPOSITION, F.MANDATEE), Step(F.MANDATEE, F.MISE_EN_PAIEMENT)),
    ),
    Scenario(
        "suspendue", "13009900500022", "Scénario Destinataire suspendue puis complétée",
        ("SCENARIO_SUSPENDUE", "Service scénario suspendue"),
        "Suspendue 1 h après la mise à disposition (pièce manquante), complétée 1 h après, "
        "mise en paiement 1 h après.",
        (Step(F.MISE_A_DISPOSITION, F.SUSPENDUE,
              motif="Pièce justificative manquante : bon de livraison (scénario du bac à "
                    "sable)"),
         Step(F.SUSPENDUE, F.COMPLETEE, motif="Bon de livraison ajouté (scénario du bac à "
                                              "sable)"),
         Step(F.COMPLETEE, F.MISE_EN_PAIEMENT)),
    ),
    Scenario(
        "rejetee", "13009900500030", "Scénario Destinataire rejetée",
        ("SCENARIO_REJETEE", "Service scénario rejetée"),
        "Rejetée 1 h après la mise à disposition, avec un motif.",
        (Step(F.MISE_A_DISPOSITION, F.REJETEE,
              motif="Numéro d'engagement inconnu de nos services (scénario du bac à sable)"),),
    ),
    Scenario(
        "incident", "13009900500048", "Scénario Destinataire flux en incident",
        ("SCENARIO_INCIDENT", "Service scénario incident"),
        "Tout flux contenant une facture qui lui est adressée finit IN_INCIDENTE.",
        flux_outcome=EtatFlux.IN_INCIDENTE,
    ),
    Scenario(
        "refus-valideur", "13009900500055", "Scénario Destinataire refus du valideur",
        ("SCENARIO_REFUS_VALIDEUR", "Service scénario refus du valideur"),
        "Une facture avec valideur (cadres A9, A12) est refusée par son valideur 1 h après "
        "son dépôt, avec un motif.",
        (Step(F.A_VALIDER_1, F.REFUSEE_1,
              motif="Refus du valideur : travaux non conformes au bon de commande (scénario "
                    "du bac à sable)"),),
    ),
    Scenario(
        "travaux", "13009900500063", "Scénario Destinataire travaux MOE puis MOA",
        ("SCENARIO_TRAVAUX", "Service scénario travaux"),
        "Facture de travaux (API facturesTravaux/v1 : cadre A4, A7, A13 ou A14 avec cette "
        "structure comme MOA et comme MOE, ou flux de cadre A5) : la MOE associe son "
        "document 1 h après (état d'acompte A15, projet de décompte général A17 pour un "
        "projet final), la MOA son état d'acompte validé (A19) 1 h après, mandaté 1 h après, "
        "mis en paiement 1 h après.",
        (Step(F.A_ASSOCIER_MOE, F.ASSOCIEE),
         Step(F.MISE_A_DISPOSITION_MOE, F.PRISE_EN_COMPTE_MOE),  # a sub-contractor's (A10)
         Step(F.PRISE_EN_COMPTE_MOE, F.ASSOCIEE),
         Step(F.A_ASSOCIER_MOA, F.ASSOCIEE),
         Step(F.MISE_A_DISPOSITION, F.MANDATEE),
         Step(F.MANDATEE, F.MISE_EN_PAIEMENT)),
    ),
)
SCENARIO_SIRETS = tuple(s.identifiant for s in SCENARIOS)
INCIDENT_SIRETS = frozenset(s.identifiant for s in SCENARIOS
                            if s.flux_outcome == EtatFlux.IN_INCIDENTE)
# Documented markers (docs/factures.md): in nomFichier or in an invoice number.
MARKERS: dict[str, str] = {
    "SBX-INCIDENT": EtatFlux.IN_INCIDENTE,
    "SBX-REJET": EtatFlux.IN_REJETE,
}


def install_script(s: Session, scenario: Scenario, structure_id: int) -> int:
    """Write ``scenario``'s script as the recipient's lifecycle policies (a policy per
    step, replacing any it had for that status); return how many. The caller commits."""
    for step in scenario.steps:
        policies.set_policy(s, destinataire_id=structure_id, from_statut=step.from_statut,
                            to_statut=step.to_statut, delay_seconds=step.delay,
                            motif=step.motif)
    return len(scenario.steps)


def flux_outcome(nom_fichier: str, read: ReadFlux | None) -> str | None:
    """The outcome a marker or the incident recipient selects for a flux, if any: an
    ``EtatFlux`` (``IN_INCIDENTE`` wins over ``IN_REJETE``)."""
    names = [nom_fichier.upper()]
    recipients: set[str] = set()
    for invoice in read.invoices if read is not None else []:
        names.append((invoice.numero.text or "").upper())
        recipients.add((invoice.destinataire.text or "").strip())
    found = {etat for marker, etat in MARKERS.items() if any(marker in n for n in names)}
    if recipients & INCIDENT_SIRETS:
        found.add(EtatFlux.IN_INCIDENTE)
    for etat in (EtatFlux.IN_INCIDENTE, EtatFlux.IN_REJETE):
        if etat in found:
            return etat
    return None
