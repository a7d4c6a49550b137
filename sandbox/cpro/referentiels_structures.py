"""Transverses référentiels that read the caller's structures and services.

``recuperer/coordbanc/valides`` answers from the structure itself: the sandbox
keeps no bank-details table; every structure has exactly one valid bank account
whose ``idCoordonneeBancaire`` is the structure's id and whose name is derived
from its designation (deterministic, nothing to seed; docs/decisions.md).
The sollicitation categories are a fixed list of the sandbox's own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from sandbox.cpro import errors
from sandbox.cpro import referentiels_schemas as rs
from sandbox.cpro.api import Context
from sandbox.cpro.common import date_iso, designation, prefix, readable_structure
from sandbox.cpro.paging import Tri, page_request, paged, parametres_retour
from sandbox.cpro.referentiels import ok, post_op
from sandbox.cpro.schemas import RecupererStructuresActivesRetour, Vide
from sandbox.cpro.transverses import ESPACE_FACTURES_TRAVAUX, _structures_actives
from sandbox.models import Espace, Service, Structure
from sandbox.vocabulary import StatutStructure


@post_op(
    "recuperer/structures/actives/facturetravaux",
    "recupererStructuresActivesFactureTravaux",
    "The caller's active structures with the espace 'Factures de travaux'",
    Vide,
    RecupererStructuresActivesRetour,
)
def actives_facture_travaux(ctx: Context, _p: Vide) -> dict:
    """Structures the caller is attached to, active, with espace code 3 (Factures de
    travaux) open — or with no espace recorded at all."""
    return _structures_actives(ctx, ESPACE_FACTURES_TRAVAUX)


@post_op(
    "recuperer/coordbanc/valides",
    "recupererCoordonneesBancairesValides",
    "Valid bank details of a structure the caller is attached to",
    rs.CoordonneesBancairesParam,
    rs.RecupererCoordonneesBancairesRetour,
)
def coordonnees_bancaires(ctx: Context, p: rs.CoordonneesBancairesParam) -> dict:
    """One valid bank account per structure (id = the structure's id). Missing
    `idStructure`: 20103; unknown: 20100; not attached (public or private): 20101."""
    if p.idStructure is None:
        raise errors.ParametreManquant("Paramètre obligatoire manquant : idStructure.")
    structure = ctx.s.get(Structure, p.idStructure)
    if structure is None:
        raise errors.StructureInconnue()
    if not ctx.caller.is_attached(ctx.s, structure.id):
        raise errors.StructureNonAutorisee()
    items = [
        {
            "idCoordonneeBancaire": structure.id,
            "nomCoordonneeBancaire": f"Compte principal {designation(structure)}"[:100],
        }
    ]
    return ok(
        nbResultatsParPage=10, pageCourante=1, pages=1, total=1, listeCoordonneeBancaire=items
    )


@post_op(
    "recuperer/structuresPourUtilisateur",
    "recupererStructuresPourUtilisateur",
    "The caller's structures (deprecated on the real API, still answered)",
    rs.StructuresPourUtilisateurParam,
    rs.RecupererStructuresPourUtilisateurRetour,
)
def structures_pour_utilisateur(ctx: Context, p: rs.StructuresPourUtilisateurParam) -> dict:
    """Active structures the caller is attached to; `espaceFo` (a codeEspace) keeps
    those with that espace open (or with no espace recorded)."""
    ids = ctx.caller.structure_ids(ctx.s)
    rows = []
    if ids:
        stmt = (
            select(Structure)
            .where(Structure.id.in_(ids), Structure.statut == StatutStructure.ACTIF)
            .order_by(Structure.id)
        )
        rows = list(ctx.s.scalars(stmt))
        if p.espaceFo is not None:
            espaces = ctx.s.execute(
                select(Espace.structure_id, Espace.code, Espace.etat).where(
                    Espace.structure_id.in_([r.id for r in rows])
                )
            ).all()
            recorded = {e.structure_id for e in espaces}
            open_ = {e.structure_id for e in espaces if e.code == p.espaceFo and e.etat == "ACTIVE"}
            rows = [r for r in rows if r.id in open_ or r.id not in recorded]
    return ok(
        listeStructures=[
            {
                "idStructure": r.id,
                "identifiantStructure": r.identifiant,
                "designationStructure": designation(r),
                "typeIdentifiantStructure": r.type_identifiant,
            }
            for r in rows
        ]
    )


SERVICES_EXECUTANTS = Tri(
    {"CodeServiceExecutant": Service.code, "NomServiceExecutant": Service.libelle}, Service.id
)


@post_op(
    "rechercher/serviceexecutant",
    "rechercherServiceExecutant",
    "Services exécutants of a destinataire",
    rs.RechercherServiceExecutantParam,
    rs.RechercherServiceExecutantRetour,
)
def rechercher_service_executant(ctx: Context, p: rs.RechercherServiceExecutantParam) -> dict:
    """Services of `idDestinataireCPP` (public, or attached): code and name match their
    beginning, `actif` filters on the state. Missing id: 20103."""
    if p.idDestinataireCPP is None:
        raise errors.ParametreManquant("Paramètre obligatoire manquant : idDestinataireCPP.")
    structure = readable_structure(ctx, p.idDestinataireCPP)
    where = [Service.structure_id == structure.id]
    if p.codeServiceExecutant:
        where.append(prefix(Service.code, p.codeServiceExecutant.strip()))
    if p.nomServiceExecutant:
        where.append(prefix(Service.libelle, p.nomServiceExecutant.strip()))
    if p.actif is not None:
        where.append(Service.est_actif == p.actif)
    stmt = select(Service.id, Service.code, Service.libelle).where(*where)
    rows, retour = paged(ctx.s, stmt, p.parametresRecherche, SERVICES_EXECUTANTS)
    return ok(
        listeServices=[
            {
                "idServicesCPP": r.id,
                "codeServiceExecutant": r.code,
                "nomServiceExecutant": r.libelle,
            }
            for r in rows
        ],
        parametresRetour=retour,
    )


# Sollicitation categories (the sandbox's own list): id, code, libellé, sub-categories.
CATEGORIES = (
    (
        1,
        "FACTURATION",
        "Facturation",
        ("DEPOT", "Dépôt d'une facture"),
        ("SUIVI", "Suivi d'une facture"),
    ),
    (
        2,
        "RACCORDEMENT",
        "Raccordement EDI et API",
        ("API", "Raccordement API (PISTE)"),
        ("EDI", "Raccordement EDI"),
    ),
    (
        3,
        "COMPTE",
        "Compte et structures",
        ("RATTACHEMENT", "Rattachement à une structure"),
        ("STRUCTURE", "Création ou modification d'une structure"),
    ),
    (
        4,
        "AUTRE",
        "Autre demande",
        ("AUTRE", "Autre"),
    ),
)
CATEGORIES_DATE = datetime(2017, 1, 1, tzinfo=UTC)


def _categorie(row: tuple) -> dict:
    return {"idTechniqueCategorie": row[0], "codeCategorie": row[1], "libelleCategorie": row[2]}


def _one_page(items: list, params) -> tuple[list, dict]:  # noqa: ANN001
    page, size, desc = page_request(params)
    items = items[::-1] if desc else items
    return items[(page - 1) * size : page * size], parametres_retour(page, size, len(items))


@post_op(
    "rechercher/categorieSollicitation",
    "rechercherCategorieSollicitation",
    "Sollicitation categories",
    rs.CategoriesSollicitationParam,
    rs.RechercherCategoriesRetour,
)
def categories(ctx: Context, p: rs.CategoriesSollicitationParam) -> dict:
    """Every category is active; `codeCategorie`/`libelleCategorie` match their beginning;
    `estActif: false` finds none."""
    rows = [
        c
        for c in CATEGORIES
        if (not p.codeCategorie or c[1].startswith(p.codeCategorie.strip()))
        and (not p.libelleCategorie or c[2].startswith(p.libelleCategorie.strip()))
        and p.estActif is not False
    ]
    chunk, retour = _one_page([_categorie(c) for c in rows], p.pagination)
    return ok(listeCategories=chunk, parametresRetour=retour)


@post_op(
    "rechercher/sousCategorieSollicitation",
    "rechercherSousCategorieSollicitation",
    "Sollicitation sub-categories, grouped by category",
    rs.SousCategoriesSollicitationParam,
    rs.RechercherSousCategoriesRetour,
)
def sous_categories(ctx: Context, p: rs.SousCategoriesSollicitationParam) -> dict:
    """One group per category: `categorie` [the category], `ssCategorie` its
    sub-categories (dates RFC 3339)."""
    stamp = date_iso(CATEGORIES_DATE)
    groups = []
    for cat in CATEGORIES:
        if p.idTechniqueCategorie is not None and cat[0] != p.idTechniqueCategorie:
            continue
        subs = [
            {
                "idTechniqueCategorie": cat[0],
                "code": code,
                "libelle": label,
                "estActif": True,
                "dateCreation": stamp,
                "dateDerniereModification": stamp,
            }
            for code, label in cat[3:]
            if (not p.code or code.startswith(p.code.strip()))
            and (not p.libelle or label.startswith(p.libelle.strip()))
            and p.estActif is not False
        ]
        if subs:
            groups.append({"categorie": [_categorie(cat)], "ssCategorie": subs})
    chunk, retour = _one_page(groups, p.pagination)
    return ok(listeSousCategories=chunk, parametresRetour=retour)
