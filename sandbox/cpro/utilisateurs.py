"""Utilisateurs API: ``/cpro/utilisateurs/v1/...`` (reference section 3.2)."""

from __future__ import annotations

from sqlalchemy import select

from sandbox.cpro import errors, paging
from sandbox.cpro import schemas as sc
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import date_minute
from sandbox.models import Rattachement, RattachementService, Service, Structure
from sandbox.vocabulary import StatutRattachement, StatutService

BASE = "/cpro/utilisateurs/v1"


@operation(
    "POST",
    f"{BASE}/monCompte/recuperer/rattachements",
    operation_id="recupererRattachementsMonCompteUtilisateur",
    summary="The structures the caller has a validated attachment to, with their services",
    tag="Utilisateurs",
    request_model=sc.RecupererRattachementsParam,
    response_model=sc.RecupererRattachementsRetour,
    read_only=True,
)
def recuperer_rattachements(ctx: Context, p: sc.RecupererRattachementsParam) -> dict:
    """For a technical account: the attachments of the structure's gestionnaire principal
    (whose rights it has). Only validated (`VALIDEE`) attachments are listed."""
    rid = ctx.caller.rights_user_id(ctx.s)
    if rid is None:
        return _answer(*paging.empty_page(p.parametresRecherche))
    # The rows themselves, not rights.attached_structure_ids: the answer lists each
    # rattachement with its role and status, paged and sorted in SQL.
    stmt = (
        select(Rattachement, Structure)
        .join(Structure, Structure.id == Rattachement.structure_id)
        .where(Rattachement.user_id == rid, Rattachement.statut == StatutRattachement.VALIDEE)
    )
    rows, retour = paging.paged(ctx.s, stmt, p.parametresRecherche, paging.RATTACHEMENTS)
    services: dict[int, list[dict]] = {}
    if rows:
        for rs, sv in ctx.s.execute(
            select(RattachementService, Service)
            .join(Service, Service.id == RattachementService.service_id)
            .where(RattachementService.rattachement_id.in_([r.id for r, _ in rows]))
            .order_by(RattachementService.id)
        ).all():
            services.setdefault(rs.rattachement_id, []).append(
                {
                    "idRattachementService": rs.id,
                    "idService": sv.id,
                    "codeService": sv.code,
                    "libelleService": sv.libelle,
                    "estActif": sv.est_actif,
                    "statutService": (
                        StatutService.ACTIF if sv.est_actif else StatutService.INACTIF
                    ),
                    "statutRattachementService": rs.statut,
                    "dateDbtService": date_minute(sv.date_debut),
                    "dateFinService": date_minute(sv.date_fin),
                }
            )
    statut_utilisateur = ctx.caller.user.statut
    liste = [
        {
            "idRattachementStructure": r.id,
            "idStructure": st.id,
            "identifiantStructure": st.identifiant,
            "designationStructure": st.designation,
            "typeIdentifiantStructure": st.type_identifiant,
            "roleUtilisateur": r.role,
            "statutUtilisateur": statut_utilisateur,
            "statutRattachementStructure": r.statut,
            "listeServicesRattache": services.get(r.id, []),
        }
        for r, st in rows
    ]
    return _answer(liste, retour)


def _answer(liste: list, retour: dict) -> dict:
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeStructureRattachement": liste,
        "parametresRetour": retour,
    }
