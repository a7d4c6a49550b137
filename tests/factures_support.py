"""Data for the Factures lifecycle/recipient tests: a supplier and a public recipient,
each with its gestionnaire principal and a real technical account, and invoices put
straight into a given status (the set-up; every move under test goes over HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from api_factories import (
    ApiClient,
    attach,
    make_client,
    make_service,
    make_structure,
    make_technical,
    make_user,
    tag,
    unique_digits,
)
from sqlalchemy.orm import Session

from sandbox import clock
from sandbox.factures.models import Facture, append_status
from sandbox.factures.rules.lifecycle import VALIDATION
from sandbox.models import Service, Structure
from sandbox.vocabulary import StatutFacture as F

ROUTE = (F.DEPOSEE, F.EN_COURS_ACHEMINEMENT, F.MISE_A_DISPOSITION)
# An invoice with a validator (cadres A9, A12): validated, then routed.
VALIDATED_ROUTE = (F.DEPOSEE, F.A_VALIDER_1, F.VALIDEE_1, *ROUTE[1:])


@dataclass
class Party:
    structure_id: int
    identifiant: str
    login: str
    password: str
    service_ids: list[int]
    service_codes: list[str]


@dataclass
class Scene:
    client_id: str
    client_secret: str
    supplier: Party
    recipient: Party
    outsider: Party  # another public structure with its own technical account

    def api(self, base_url: str, party: Party) -> ApiClient:
        return ApiClient(base_url, self.client_id, self.client_secret, party.login, party.password)


def make_party(s: Session, *, public: bool, **fields) -> Party:
    structure = make_structure(
        s,
        type_structure="PUBLIQUE" if public else "PRIVEE",
        raison_sociale=f"{'Mairie' if public else 'Fournisseur'} {tag()}",
        **fields,
    )
    gp, _ = make_user(s, prenom="Gisèle", nom="Gestionnaire")
    attach(s, gp, structure, role="GESTIONNAIRE_PRINCIPAL")
    services: list[Service] = [
        make_service(s, structure, code=f"SF_{tag()}", libelle="Service facturier"),
        make_service(s, structure, code=f"OFF_{tag()}", libelle="Service fermé", est_actif=False),
    ]
    tech, password = make_technical(s, structure, gp)
    return Party(
        structure.id,
        structure.identifiant,
        tech.login,
        password,
        [sv.id for sv in services],
        [sv.code for sv in services],
    )


def build_scene(s: Session) -> Scene:
    supplier = make_party(s, public=False)
    recipient = make_party(s, public=True)
    outsider = make_party(s, public=True)
    client = make_client(s)
    s.commit()
    return Scene(client.client_id, client.client_secret, supplier, recipient, outsider)


def make_facture(
    s: Session,
    supplier: Party,
    recipient: Party,
    statut: str = F.MISE_A_DISPOSITION,
    *,
    numero: str | None = None,
    via: tuple[str, ...] = (),
    validator: Party | None = None,
    **fields,
) -> Facture:
    """An invoice routed to ``recipient`` (history DEPOSEE -> ... -> MISE_A_DISPOSITION),
    then put in ``statut`` (through the statuses ``via`` first). Not committed.

    With a ``validator``: an A9 invoice naming it, whose history goes through its
    validation (DEPOSEE -> A_VALIDER_1 -> VALIDEE_1 -> ... -> MISE_A_DISPOSITION), or
    stops in the validation stage (DEPOSEE -> A_VALIDER_1 -> ``statut``)."""
    now = clock.utcnow_naive() - timedelta(minutes=5)
    values = dict(
        numero_facture=numero or f"F{unique_digits(12)}",
        fournisseur_id=supplier.structure_id,
        destinataire_id=recipient.structure_id,
        destinataire_service_id=recipient.service_ids[0],
        code_service_executant=recipient.service_codes[0],
        mode_depot="SAISIE_API",
        type_facture="FACTURE",
        cadre_facturation="A1_FACTURE_FOURNISSEUR",
        montant_ht=Decimal("100"),
        montant_tva=Decimal("20"),
        montant_ttc=Decimal("120"),
        montant_a_payer=Decimal("120"),
        devise="EUR",
        date_facture=now,
        date_depot=now,
        statut=F.DEPOSEE,
        date_heure_etat_courant=now,
        lignes=[],
        lignes_tva=[],
    )
    route = ROUTE
    if validator is not None:
        values.update(valideur_structure_id=validator.structure_id,
                      cadre_facturation="A9_FACTURE_SOUSTRAITANT")
        route = VALIDATED_ROUTE
    values.update(fields)
    facture = Facture(**values)
    s.add(facture)
    s.flush()
    if statut in route:
        chain = list(route[: route.index(statut) + 1])
    elif validator is not None and statut in VALIDATION:  # stopped with its validator
        chain = [*route[:2], *via, statut]
    else:
        chain = [*route, *via, statut]
    for step in chain:
        append_status(s, facture, step, at=now)
    return facture


def structure_of(s: Session, party: Party) -> Structure:
    return s.get(Structure, party.structure_id)


# The keyed-in parts of a soumettre body that tests do not vary (one line, 1,000 € HT at 20 %).
SOUMETTRE_LINES = {
    "references": {"deviseFacture": "EUR", "typeFacture": "FACTURE",
                   "typeTva": "TVA_SUR_DEBIT", "modePaiement": "VIREMENT"},
    "lignePoste": [{"lignePosteNumero": 1, "lignePosteDenomination": "Lot électricité",
                    "lignePosteQuantite": 1.0, "lignePosteMontantUnitaireHT": 1000.0,
                    "lignePosteTauxTva": "TVA20"}],
    "ligneTva": [{"ligneTvaTaux": "TVA20", "ligneTvaMontantBaseHtParTaux": 1000.0,
                  "ligneTvaMontantTvaParTaux": 200.0}],
    "montantTotal": {"montantHtTotal": 1000.0, "montantTVA": 200.0,
                     "montantTtcTotal": 1200.0, "montantAPayer": 1200.0},
}
