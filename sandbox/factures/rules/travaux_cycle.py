"""The works-invoice (factures de travaux) circuit, as data: which actor deposits which
cadre, what type of document it is, where the platform routes it, and who may move it
from which status to which (factures-rules-and-apis-reference.md §2.1; factures-reference
§6.5, §8; the choices the reference leaves open are in docs/decisions.md).

Actors: the **fournisseur** (titulaire, sous-traitant, cotraitant), the **MOE** (maîtrise
d'œuvre) and the **MOA** (maître d'ouvrage, the recipient). A document is deposited by
the actor its cadre names; the next actor *associates* its own document to it (the
deposit names the previous one: ``idFactureTravauxPrecedente``), which moves the previous
one to ``ASSOCIEE``; together they form the dossier de facturation. The documents routed
``MISE_A_DISPOSITION`` are the MOA's to pay: from there the recipient's plain lifecycle
applies (``traiter/recue`` up to ``MISE_EN_PAIEMENT``).

The first status of each cadre is the one the qualification data set shows it in
(reference §8: A4/A7/A13/A14 ``A_ASSOCIER_MOE``, A5 ``A_ASSOCIER_MOA``, A18
``A_ASSOCIER_FOURNISSEUR``, A10 ``MISE_A_DISPOSITION_MOE``, the others
``MISE_A_DISPOSITION``).

A rules module: data only, no Flask, no database.
"""

from __future__ import annotations

from sandbox.vocabulary import CadreFacturation as C
from sandbox.vocabulary import RoleUtilisateur as Role
from sandbox.vocabulary import StatutFacture as F
from sandbox.vocabulary import TypeFactureTravaux as T

# cadre -> (the actor who deposits it, typeFactureTravaux, first status after routing)
CADRES: dict[str, tuple[Role, T, F]] = {
    C.A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR: (Role.FOURNISSEUR, T.PROJET_DECOMPTE_MENSUEL,
                                               F.A_ASSOCIER_MOE),
    C.A5_ETAT_ACOMPTE_FOURNISSEUR: (Role.FOURNISSEUR, T.ETAT_ACOMPTE, F.A_ASSOCIER_MOA),
    C.A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR: (Role.FOURNISSEUR, T.ETAT_ACOMPTE_VALIDE,
                                           F.MISE_A_DISPOSITION),
    C.A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR: (Role.FOURNISSEUR, T.PROJET_DECOMPTE_FINAL,
                                             F.A_ASSOCIER_MOE),
    C.A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR: (Role.FOURNISSEUR, T.DECOMPTE_GENERAL_SIGNE,
                                                  F.MISE_A_DISPOSITION),
    C.A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT: (Role.FOURNISSEUR, T.DP_DE_SOUSTRAITANT_TRAVAUX,
                                                 F.MISE_A_DISPOSITION_MOE),
    C.A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT: (Role.FOURNISSEUR, T.DP_DE_SOUSTRAITANT_TRAVAUX,
                                               F.MISE_A_DISPOSITION_MOE),
    C.A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT: (Role.FOURNISSEUR, T.PROJET_DECOMPTE_MENSUEL,
                                               F.A_ASSOCIER_MOE),
    C.A14_PROJET_DECOMPTE_FINAL_COTRAITANT: (Role.FOURNISSEUR, T.PROJET_DECOMPTE_FINAL,
                                             F.A_ASSOCIER_MOE),
    C.A15_ETAT_ACOMPTE_MOE: (Role.MOE, T.ETAT_ACOMPTE, F.A_ASSOCIER_MOA),
    C.A16_ETAT_ACOMPTE_VALIDE_MOE: (Role.MOE, T.ETAT_ACOMPTE_VALIDE, F.MISE_A_DISPOSITION),
    C.A17_PROJET_DECOMPTE_GENERAL_MOE: (Role.MOE, T.PROJET_DECOMPTE_GENERAL, F.MISE_A_DISPOSITION),
    C.A18_DECOMPTE_GENERAL_MOE: (Role.MOE, T.DECOMPTE_GENERAL, F.A_ASSOCIER_FOURNISSEUR),
    C.A19_ETAT_ACOMPTE_VALIDE_MOA: (Role.MOA, T.ETAT_ACOMPTE_VALIDE, F.MISE_A_DISPOSITION),
    C.A20_DECOMPTE_GENERAL_MOA: (Role.MOA, T.DECOMPTE_GENERAL, F.MISE_A_DISPOSITION),
    C.A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE: (
        Role.FOURNISSEUR, T.PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE, F.MISE_A_DISPOSITION),
    C.A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR: (
        Role.FOURNISSEUR, T.DECOMPTE_GENERAL_DEFINITIF_TACITE, F.MISE_A_DISPOSITION),
    C.A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE: (
        Role.MOE, T.DECOMPTE_GENERAL_DEFINITIF_TACITE, F.MISE_A_DISPOSITION),
    C.A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE: (
        Role.MOE, T.DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE, F.MISE_A_DISPOSITION),
}
CADRES_TRAVAUX = tuple(CADRES)
# The statuses in which a document waits for a MOE (its circuit names one).
AT_MOE = (F.A_ASSOCIER_MOE, F.MISE_A_DISPOSITION_MOE, F.PRISE_EN_COMPTE_MOE)
# Still in the MOE's hands (or refused there): not yet the MOA's to see.
MOE_STAGE = (*AT_MOE, F.REFUSEE_MOE, F.ERREUR_DE_MOE)
# The supplier's cadres a flux or a plain soumettre may carry: those whose circuit needs no
# MOE (a flux and factures/v1/soumettre have nowhere to name one).
SANS_MOE = tuple(
    c for c, (role, _, first) in CADRES.items() if role is Role.FOURNISSEUR and first not in AT_MOE
)

# Who may move a works document from which status to which (the actor's own moves; the
# platform routes each cadre to its first status, and the recipient's plain lifecycle
# applies from MISE_A_DISPOSITION on: lifecycle.py).
_MOE_ACTS = (F.ASSOCIEE, F.REFUSEE_MOE, F.ERREUR_DE_MOE, F.A_COMPLETER, F.A_RECYCLER)
MOE: dict[str, tuple[str, ...]] = {
    F.A_ASSOCIER_MOE: _MOE_ACTS,
    F.MISE_A_DISPOSITION_MOE: (F.PRISE_EN_COMPTE_MOE, *_MOE_ACTS),
    F.PRISE_EN_COMPTE_MOE: _MOE_ACTS,
}
MOA: dict[str, tuple[str, ...]] = {
    F.A_ASSOCIER_MOA: (F.ASSOCIEE, F.REFUSEE_MOA, F.ERREUR_DE_MOA, F.A_COMPLETER, F.A_RECYCLER),
}
# The statuses a document waits in, per actor (rechercher/atraiter, the portal).
WAITING: dict[Role, tuple[str, ...]] = {
    Role.MOE: tuple(MOE),
    Role.MOA: (*MOA, F.MISE_A_DISPOSITION),
    Role.FOURNISSEUR: (F.A_ASSOCIER_FOURNISSEUR, F.A_COMPLETER, F.A_RECYCLER, F.ERREUR_DE_MOE,
                       F.ERREUR_DE_MOA, F.SUSPENDUE),
}
SUPPLIER: dict[str, tuple[str, ...]] = {
    F.A_ASSOCIER_FOURNISSEUR: (F.ASSOCIEE, F.REFUSEE_FOURNISSEUR),
    # completer: back to the status it was asked from (the rule reads the history).
    F.A_COMPLETER: (*AT_MOE, F.A_ASSOCIER_MOA),
    # recycler (routing data, MOA) and completermoe (MOE): routed again.
    F.A_RECYCLER: (F.DEPOSEE,),
    F.ERREUR_DE_MOA: (F.DEPOSEE,),
    F.ERREUR_DE_MOE: (F.DEPOSEE,),
}
MOTIF_REQUIRED = frozenset({F.REFUSEE_MOE, F.REFUSEE_MOA, F.REFUSEE_FOURNISSEUR, F.A_COMPLETER,
                            F.ERREUR_DE_MOE, F.ERREUR_DE_MOA})
FINAL = frozenset({F.ASSOCIEE, F.REFUSEE_MOE, F.REFUSEE_MOA, F.REFUSEE_FOURNISSEUR})

# recupererMotifsRefusFactureTravaux: the official sample's five motifs (COMM-TRAVAUX), and
# the status a refusal for each leads to (a wrong MOE/MOA is an error of routing the
# supplier corrects; the others refuse the document).
MOTIFS_REFUS: tuple[tuple[int, str, str], ...] = (
    (116, "AUTRE", "Autre"),
    (117, "MAUVAIS_VALIDEUR", "Mauvais valideur"),
    (114, "MAUVAISE_MOE", "Mauvaise maîtrise d'oeuvre"),
    (115, "MAUVAISE_MOA", "Mauvaise maîtrise d'ouvrage"),
    (5650, "REF_FAC_TRAVAUX", "motif rejet facture de travaux saisie en BO"),
)
REFUS_ERREUR = {"MAUVAISE_MOE": F.ERREUR_DE_MOE, "MAUVAISE_MOA": F.ERREUR_DE_MOA}
REFUS = {Role.MOE: F.REFUSEE_MOE, Role.MOA: F.REFUSEE_MOA, Role.FOURNISSEUR: F.REFUSEE_FOURNISSEUR}

# Which previous document each actor's deposit may associate, by its status.
ASSOCIABLE: dict[Role, tuple[str, ...]] = {
    Role.MOE: AT_MOE,
    Role.MOA: (F.A_ASSOCIER_MOA,),
    Role.FOURNISSEUR: (F.A_ASSOCIER_FOURNISSEUR,),
}

# A lifecycle policy's works step (``policies.py``, ``... -> ASSOCIEE``): the document the
# actor a document waits for deposits to carry it on, by the waiting document's cadre (the
# MOE's état d'acompte on a projet de décompte mensuel, its projet de décompte général on a
# final one; the MOA's état d'acompte validé on an état d'acompte; the titulaire's signed
# décompte général on the MOE's). Each next cadre's depositor is the actor who associates
# in its previous cadre's first status (tests/unit/test_factures_policy_tables.py).
FOLLOW_UP: dict[str, str] = {
    C.A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR: C.A15_ETAT_ACOMPTE_MOE,
    C.A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT: C.A15_ETAT_ACOMPTE_MOE,
    C.A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT: C.A15_ETAT_ACOMPTE_MOE,
    C.A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR: C.A17_PROJET_DECOMPTE_GENERAL_MOE,
    C.A14_PROJET_DECOMPTE_FINAL_COTRAITANT: C.A17_PROJET_DECOMPTE_GENERAL_MOE,
    C.A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT: C.A17_PROJET_DECOMPTE_GENERAL_MOE,
    C.A5_ETAT_ACOMPTE_FOURNISSEUR: C.A19_ETAT_ACOMPTE_VALIDE_MOA,
    C.A15_ETAT_ACOMPTE_MOE: C.A19_ETAT_ACOMPTE_VALIDE_MOA,
    C.A18_DECOMPTE_GENERAL_MOE: C.A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR,
}


def is_travaux(cadre: str | None) -> bool:
    """True for a works framework (A4-A8, A10, A11, A13-A20, A22-A25)."""
    return cadre in CADRES


def first_status(cadre: str) -> str:
    """Where the platform routes a new document of ``cadre`` (plain: MISE_A_DISPOSITION)."""
    return CADRES[cadre][2] if cadre in CADRES else F.MISE_A_DISPOSITION


def depositor(cadre: str) -> Role:
    return CADRES[cadre][0]


def type_travaux(cadre: str) -> str | None:
    return CADRES[cadre][1] if cadre in CADRES else None


def type_demande_paiement(cadre: str | None) -> str:
    """typeDemandePaiement of an invoice of ``cadre``: FACTURE_TRAVAUX or FACTURE."""
    return "FACTURE_TRAVAUX" if is_travaux(cadre) else "FACTURE"
