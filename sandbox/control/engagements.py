"""The legal commitments part of the control plane, ``/_sandbox/engagements``: create an
EJ for a test (a public buyer's, given to a supplier) and list them. The rules are the
area's (``sandbox/engagements/rules.py``); bad input answers 400 JSON and changes nothing.

What the qualification environment cannot do: there, EJs come from the buyers' financial
systems (Chorus Coeur) and an integrator has the data set's report; here a test makes the
EJ its invoice cites (rule GES-19) or OCA's check finds.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlalchemy import select

from sandbox import clock, db
from sandbox.control.api import ControlError, operation
from sandbox.control.listing import Listing, ListQuery, newest, structure
from sandbox.control.schemas import Answer, Request, Text
from sandbox.engagements import errors, rules
from sandbox.models import EngagementJuridique, Service, Structure
from sandbox.vocabulary import EtatEngagementJuridique

TAG = "Engagements juridiques"
Identifiant = Annotated[Text, Field(min_length=1, max_length=80)]
Amount = Annotated[float, Field(ge=0, le=1e13)]


class EngagementRequest(Request):
    destinataire: Identifiant = Field(
        description="The issuing public buyer's identifiantStructure (SIRET): the recipient "
        "whose invoices cite the EJ")
    fournisseur: Identifiant | None = Field(
        None, description="The supplier it is given to (identifiantStructure); none: nobody "
        "finds it with rechercher, invoices may still cite it")
    codeServiceExecutant: Annotated[Text, Field(max_length=100)] | None = None
    numeroEngagementJuridique: Annotated[Text, Field(pattern=r"^\d{10}$")] | None = Field(
        None, description="10 digits; absent: a free number is drawn")
    etat: EtatEngagementJuridique = EtatEngagementJuridique.COMMANDE
    montantTTC: Amount | None = Field(None, description="Default: the lines' sum")
    postes: Annotated[list[Amount], Field(max_length=100)] | None = Field(
        None, description="The lines' TTC amounts (default: one line of montantTTC)")
    numeroMarche: Annotated[Text, Field(max_length=50)] | None = None


class EngagementQuery(ListQuery):
    destinataire: Annotated[Text, Field(max_length=80)] | None = Field(
        None, description="The issuer's identifiantStructure")
    fournisseur: Annotated[Text, Field(max_length=80)] | None = Field(
        None, description="The supplier's identifiantStructure")
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class Poste(Answer):
    numeroDePoste: int
    montantTtcPoste: float
    statutPoste: str


class EngagementView(Answer):
    idEngagementJuridique: int
    numeroEngagementJuridique: str
    etat: str
    destinataire: str
    idDestinataire: int
    codeServiceExecutant: str | None
    fournisseur: str | None
    idFournisseur: int | None
    montantTTC: float
    numeroMarche: str | None
    dateNotification: str | None
    postes: list[Poste]


class EngagementList(Listing):
    engagements: list[EngagementView]


def view(s, ej: EngagementJuridique) -> dict:
    emetteur = s.get_one(Structure, ej.emetteur_structure_id)
    recepteur = s.get(Structure, ej.recepteur_structure_id) if ej.recepteur_structure_id else None
    service = s.get(Service, ej.emetteur_service_id) if ej.emetteur_service_id else None
    return {
        "idEngagementJuridique": ej.id,
        "numeroEngagementJuridique": ej.numero,
        "etat": ej.etat,
        "destinataire": emetteur.identifiant,
        "idDestinataire": emetteur.id,
        "codeServiceExecutant": service.code if service else None,
        "fournisseur": recepteur.identifiant if recepteur else None,
        "idFournisseur": recepteur.id if recepteur else None,
        "montantTTC": ej.montant_ttc,
        "numeroMarche": ej.numero_marche,
        "dateNotification": ej.date_notification.date().isoformat()
        if ej.date_notification else None,
        "postes": [{"numeroDePoste": p.numero, "montantTtcPoste": p.montant_ttc,
                    "statutPoste": p.statut} for p in ej.postes],
    }


@operation(
    "POST",
    "/engagements",
    tag=TAG,
    body=EngagementRequest,
    answer=EngagementView,
    status=201,
    errors=(400, 404, 409),
    summary="Create a legal commitment (EJ) of a recipient, given to a supplier",
)
def create_engagement(body: EngagementRequest) -> dict:
    """A new EJ issued by ``destinataire`` (its service ``codeServiceExecutant``) to
    ``fournisseur``, dated now on the sandbox clock. 404 unknown structure; 400 unknown
    service; 409 number taken. A reset removes it."""
    with db.transaction() as s:
        emetteur = structure(s, body.destinataire)
        recepteur = structure(s, body.fournisseur) if body.fournisseur else None
        numero = body.numeroEngagementJuridique
        if numero is not None and s.scalar(
                select(EngagementJuridique.id).where(EngagementJuridique.numero == numero)):
            raise ControlError(f"the EJ {numero} exists already", 409)
        try:
            ej = rules.create(
                s, emetteur=emetteur, recepteur=recepteur, now=clock.utcnow_naive(),
                code_service=body.codeServiceExecutant, numero=numero, etat=body.etat,
                montant_ttc=body.montantTTC, postes=body.postes or (),
                numero_marche=body.numeroMarche,
            )
        except errors.EngagementInvalide as refusal:
            raise ControlError(refusal.libelle, 400) from None
        return view(s, ej)


@operation(
    "GET",
    "/engagements",
    tag=TAG,
    query=EngagementQuery,
    answer=EngagementList,
    errors=(400, 404),
    summary="Legal commitments, newest first",
)
def list_engagements(query: EngagementQuery) -> dict:
    """EJs, newest first: ?destinataire= (issuer) &fournisseur= (supplier) &limit=."""
    s = db.session()
    where = []
    if query.destinataire:
        where.append(EngagementJuridique.emetteur_structure_id
                     == structure(s, query.destinataire).id)
    if query.fournisseur:
        where.append(EngagementJuridique.recepteur_structure_id
                     == structure(s, query.fournisseur).id)
    rows, total = newest(s, EngagementJuridique, where, query.limit)
    return {"count": len(rows), "total": total, "engagements": [view(s, ej) for ej in rows]}
