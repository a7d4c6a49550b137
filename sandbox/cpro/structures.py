"""Structures API: ``/cpro/structures/v1/...`` (reference section 3.1).

Why this size (over ~400 lines): The six operations of the official Structures Swagger stay
together, one handler each, as the Swagger groups them; paging and shared look-ups live in
cpro.paging and cpro.common.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)

from sandbox import db
from sandbox.accounts import rights
from sandbox.cpro import errors, paging
from sandbox.cpro import schemas as sc
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import (
    adresse,
    date_iso,
    date_minute,
    designation,
    find_structure,
    readable_structure,
    required,
    rows_by_id,
    statut_sortie,
    type_structure_column,
    visibility,
)
from sandbox.models import NAME_SEARCH_PUBLIC as PUBLIC_NAMES
from sandbox.models import NAME_SEARCH_TABLE as NAMES
from sandbox.models import PUBLIC_TALLY_TABLE as TALLY
from sandbox.models import Espace, Rattachement, RattachementService, Service, Structure, User
from sandbox.models import has_public_tally as tally_kept
from sandbox.vocabulary import StatutService, TypeStructure

BASE = "/cpro/structures/v1"
TAG = "Structures"


_SEARCH_COLUMNS = (
    Structure.id,
    Structure.identifiant,
    Structure.raison_sociale,
    Structure.prenom,
    Structure.nom,
    Structure.type_identifiant,
    Structure.statut,
)


# The raison sociale search (docs/api.md, "Search semantics"): a substring, any case.
# SQLite: 3 characters or more through the FTS5 trigram table (rowid = structures.id);
# shorter, a LIKE on ``structures``. PostgreSQL: always a LIKE on the narrow side table of
# the same name (rowid, lower-case name, type_structure; pg_trgm GIN indexes).
_NAMES = table(NAMES, column("rowid"), column("type_structure"), column("raison_sociale"))
_PUBLIC_NAMES = table(PUBLIC_NAMES, column("rowid"))
_TALLY = table(TALLY, column("type_structure"), column("n"))
NAME_SEARCH_MIN = 3  # a trigram index cannot serve fewer characters
# A name search counts at most this many matches and pages through at most these:
# ``total`` (and ``pages``) say "this many or more"; refine the search to see the rest.
NAME_SEARCH_MAX = 1000


def name_search_params(value: str, dialect: str) -> dict:
    """The bound values of a raison sociale search for ``value``, taken literally."""
    if dialect == "sqlite" and len(value) >= NAME_SEARCH_MIN:
        return {"rs_match": '"' + value.replace('"', '""') + '"'}  # one FTS5 string
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return {"rs_like": f"%{escaped}%"}


@lru_cache(maxsize=4096)
def _search_statements(
    names: tuple[str, ...], type_structure: str | None, selective: bool, tri: str | None,
    descending: bool, has_ids: bool, dialect: str, everyone: bool = False,
) -> tuple[Select, Select]:
    """The page and count statements of one shape of ``rechercher`` (which criteria,
    type, order), values bound at run time: built once per process and shape.
    ``everyone`` (``restreindreStructuresPrivees: false``): private structures match
    whoever asks."""
    where = [getattr(Structure, name) == bindparam(name) for name in names
             if name not in ("rs_match", "rs_like", "ids")]
    if "rs_match" in names or ("rs_like" in names and dialect == "postgresql"):
        return _name_statements(where, type_structure, tri, descending, has_ids, everyone,
                                dialect)
    if "rs_like" in names:  # SQLite's LIKE ignores the case of ASCII letters
        where.append(Structure.raison_sociale.like(bindparam("rs_like"), escape="/"))
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    count_base = None
    if everyone and type_structure != TypeStructure.PUBLIQUE:
        # Every structure may match (restreindreStructuresPrivees false): no visibility.
        if type_structure == TypeStructure.PRIVEE:
            where.append(Structure.type_structure == TypeStructure.PRIVEE)
        stmt = select(*_SEARCH_COLUMNS).where(*where)
    elif type_structure == TypeStructure.PRIVEE:
        # Only the caller's own private structures can match: look them up by id.
        where += [Structure.id.in_(ids), Structure.type_structure == TypeStructure.PRIVEE]
        stmt = select(*_SEARCH_COLUMNS).where(*where)
    elif type_structure == TypeStructure.PUBLIQUE:
        # Public structures are visible to all: no visibility clause needed.
        ordered_scan = selective or tri is None
        stmt = select(*_SEARCH_COLUMNS).where(
            type_structure_column(ordered_scan) == TypeStructure.PUBLIQUE, *where
        )
        if not selective:
            count_base = select(Structure.id).where(
                Structure.type_structure == TypeStructure.PUBLIQUE, *where
            )
    else:
        # With a selective filter, its index serves page and count. Without one, the
        # default (id) order walks the primary key and stops after a page (public
        # structures are spread over the ids), the count uses the type_structure index;
        # other orders sort the visible rows (walking another index in order may cross
        # hundreds of thousands of private rows before the first public one).
        ordered_scan = selective or tri is None
        stmt = select(*_SEARCH_COLUMNS).where(visibility(ordered_scan, ids, has_ids), *where)
        if not selective:
            count_base = select(Structure.id).where(visibility(False, ids, has_ids), *where)
    bound = NAME_SEARCH_MAX if "rs_like" in names else None
    page = paging.ordered_page(stmt, paging.STRUCTURES.order(tri), descending)
    if not where and not everyone and tally_kept(dialect) and (
            type_structure == TypeStructure.PUBLIQUE or type_structure is None):
        return page, _tallied_count(type_structure is None)
    return page, paging.count_of(count_base if count_base is not None else stmt, bound)


def _tallied_count(with_own: bool) -> Select:
    """The count of the public list (no criterion but the type) read from the maintained
    tally (``models.install_public_tally``) instead of counting 125,000 rows at 1,000,000
    structures; exact, so that clients page through every public structure. Without a
    type, the caller's private structures are added (counted by id)."""
    public = select(_TALLY.c.n).where(
        _TALLY.c.type_structure == TypeStructure.PUBLIQUE).scalar_subquery()
    if not with_own:
        return select(func.coalesce(public, 0))
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    own = select(func.count()).where(
        Structure.id.in_(ids), Structure.type_structure == TypeStructure.PRIVEE).scalar_subquery()
    return select(func.coalesce(public, 0) + own)


def _name_statements(
    where: list, type_structure: str | None, tri: str | None, descending: bool, has_ids: bool,
    everyone: bool = False, dialect: str = "sqlite",
) -> tuple[Select, Select]:
    """``_search_statements`` for a raison sociale served by the name search table (SQLite:
    FTS5; PostgreSQL: the narrow side table and its trigram indexes, ``models``): it
    drives the join, hands its rowids in the id order (the page stops after its rows) and
    answers the visibility test from its own small rows (``type_structure`` rides along);
    only the structures that pass are read. Without other criteria the count reads the
    name search table alone: the public matches (SQLite: the public-only table;
    PostgreSQL: the partial index of the public rows), up to the bound, plus the caller's
    private ones by id."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    kind, rowid = _NAMES.c.type_structure, _NAMES.c.rowid
    visible: list
    if everyone and type_structure == TypeStructure.PRIVEE:
        visible = [kind == TypeStructure.PRIVEE]
    elif everyone and type_structure is None:
        visible = []
    elif type_structure == TypeStructure.PRIVEE:
        visible = [kind == TypeStructure.PRIVEE, rowid.in_(ids)]
    elif type_structure == TypeStructure.PUBLIQUE or not has_ids:
        visible = [kind == TypeStructure.PUBLIQUE]
    else:
        visible = [or_(kind == TypeStructure.PUBLIQUE, rowid.in_(ids))]
    if dialect == "postgresql":  # the side table holds the name in lower case
        matches: ColumnElement[bool] = _NAMES.c.raison_sociale.like(
            func.lower(bindparam("rs_like")), escape="/")
    else:
        matches = literal_column(NAMES).op("MATCH")(bindparam("rs_match"))
    match = [matches, *visible]
    stmt = select(*_SEARCH_COLUMNS).select_from(
        _NAMES.join(Structure, Structure.id == rowid)).where(*match, *where)
    order = [rowid] if tri is None else paging.STRUCTURES.order(tri)
    page = paging.ordered_page(stmt, order, descending)
    if where or type_structure == TypeStructure.PRIVEE or (everyone and type_structure is None):
        return page, paging.count_of(stmt, NAME_SEARCH_MAX)
    if dialect == "postgresql":  # the type inline: the partial index's predicate, proven
        # by the planner in a generic (prepared) plan too, where a bound value would not be
        public = select(rowid).where(
            matches, kind == literal(TypeStructure.PUBLIQUE.value, literal_execute=True))
    else:
        public = select(_PUBLIC_NAMES.c.rowid).where(
            literal_column(PUBLIC_NAMES).op("MATCH")(bindparam("rs_match")))
    public = public.limit(NAME_SEARCH_MAX)
    total: ColumnElement[int] = select(func.count()).select_from(
        public.subquery()).scalar_subquery()
    if type_structure is None and has_ids:
        total = total + select(func.count()).select_from(_NAMES).where(
            match[0], kind == TypeStructure.PRIVEE, rowid.in_(ids)).scalar_subquery()
    smaller = func.least if dialect == "postgresql" else func.min  # SQLite's scalar min
    return page, select(smaller(total, NAME_SEARCH_MAX))


@operation(
    "POST",
    f"{BASE}/rechercher",
    operation_id="rechercherStructure",
    summary="Search structures (public ones, and the caller's private ones)",
    tag=TAG,
    request_model=sc.RechercherStructureParam,
    response_model=sc.RechercherStructureRetour,
    read_only=True,
)
def rechercher(ctx: Context, p: sc.RechercherStructureParam) -> dict:
    """Every criterion is optional and they combine with AND. Identifier, postcode, city,
    libellé, nom, prénom and country are exact matches; the raison sociale matches
    anywhere in the name, whatever the case (at most 1,000 matches counted and paged).
    ``restreindreStructuresPrivees`` absent, null, blank or true: public structures and
    the private ones the caller is attached to; false: public and private structures alike
    (the specification Pastell quotes; facturation_electronique resolves a private
    supplier's idStructureCPP by SIRET this way)."""
    c = p.structure or sc.StructureCriteres()
    name = c.raisonSocialeStructure
    dialect = ctx.s.get_bind().dialect.name
    selective = any((c.identifiantStructure, c.adresseCodePostal, c.adresseVille)) or bool(
        name and len(name) >= NAME_SEARCH_MIN)
    values: dict[str, object] = {
        "identifiant": c.identifiantStructure,
        "type_identifiant": c.typeIdentifiantStructure,
        "libelle": c.libelleStructure,
        "nom": c.nomStructure,
        "prenom": c.prenomStructure,
        "code_postal": c.adresseCodePostal,
        "ville": c.adresseVille,
        "pays": c.adresseCodePays.upper() if c.adresseCodePays else None,
        "statut": c.statutStructure,
        "est_moa": c.estMOA,
        "est_moa_uniquement": c.estMOAUniquement,
    }
    params = {name: value for name, value in values.items() if value is not None}
    if name:
        params.update(name_search_params(name, dialect))
    if name and "\x00" in name:  # no name holds one (and SQLite's LIKE would stop there)
        _, retour = paging.empty_page(p.parametres)
        return {"codeRetour": 0, "libelle": errors.LIBELLE_RECHERCHE_OK, "listeStructures": [],
                "parametresRetour": retour}
    everyone = p.restreindreStructuresPrivees is False
    ids = ctx.caller.structure_ids(ctx.s)
    if c.typeStructure != TypeStructure.PUBLIQUE and not everyone:
        params["ids"] = sorted(ids)
    tri = paging.tri_colonne(p.parametres)
    descending = paging.page_request(p.parametres)[2]
    page_stmt, count_stmt = _search_statements(
        tuple(sorted(params)), c.typeStructure, selective, tri, descending, bool(ids), dialect,
        everyone)
    rows, retour = paging.run_prepared(ctx.s, page_stmt, count_stmt, params, p.parametres,
                                       bound=NAME_SEARCH_MAX if name else None)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeStructures": [
            {
                "idStructureCPP": r.id,
                "identifiantStructure": r.identifiant,
                "designationStructure": designation(r),
                "typeIdentifiantStructure": r.type_identifiant,
                "statut": statut_sortie(r.statut),
            }
            for r in rows
        ],
        "parametresRetour": retour,
    }


# Built once (building a statement costs more CPU than running it).
_TECH_EXPIRY = select(User.password_expires_at).where(
    User.technical_structure_id == bindparam("structure_id"), User.is_technical
)
_DUPLIQUEES = (
    select(Structure.id)
    .where(Structure.id_structure_origine == bindparam("structure_id"))
    .order_by(Structure.id)
)


@operation(
    "POST",
    f"{BASE}/consulter",
    operation_id="consulterStructure",
    summary="Read a structure (public, or private and attached)",
    tag=TAG,
    request_model=sc.ConsulterStructureParam,
    response_model=sc.ConsulterStructureRetour,
    read_only=True,
)
def consulter(ctx: Context, p: sc.ConsulterStructureParam) -> dict:
    """Address, general information (`informationGenerales`, no "s") and parameters of a
    structure: any public structure, or a private one the caller is attached to."""
    st = readable_structure(ctx, p.idStructureCPP, "idStructureCPP")
    tech_expiry = db.core(ctx.s, _TECH_EXPIRY, {"structure_id": st.id}).scalar()
    dupliquees = db.core(ctx.s, _DUPLIQUEES, {"structure_id": st.id}).scalars().all()
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CONSULTATION_OK,
        "adressePostaleDuSiege": adresse(st),
        "informationGenerales": {
            "dateExpirationMotPasseCompteTech": date_iso(tech_expiry),
            "emailStructure": st.email,
            "estValideurDeleguee": st.est_valideur_delegue,
            "idStructureCPP": st.id,
            "idStructureOrigine": st.id_structure_origine,
            "identifiantStructure": st.identifiant,
            "libelleStructure": st.libelle,
            "listeStructureDupliquees": [{"structureDupliquee": i} for i in dupliquees],
            "nomStructure": st.nom,
            "numeroRcsStructure": st.numero_rcs,
            "numeroTVA": st.numero_tva,
            "prenomStructure": st.prenom,
            "raisonSocialeStructure": st.raison_sociale,
            "structurePriveePublique": st.type_structure,
            "typeIdentifiantStructure": st.type_identifiant,
        },
        "parametres": {
            "codeServiceDoitEtreRenseigne": st.code_service_doit_etre_renseigne,
            "connexionEDI": st.connexion_edi,
            "estMoaUniquement": st.est_moa_uniquement,
            "estValideurDelegue": st.est_valideur_delegue,
            "gestionNumeroEJOuCodeService": st.gestion_numero_ej_ou_code_service,
            "getaMoa": st.est_moa,
            "nonDiffusibleInsee": st.non_diffusible_insee,
            "numeroEJDoitEtreRenseigne": st.numero_ej_doit_etre_renseigne,
            "recevoirDonneesViaEDI": st.recevoir_donnees_via_edi,
            "statutMiseEnPaiementNestPasRemonte": st.statut_mise_en_paiement_nest_pas_remonte,
        },
    }


# The columns ``rechercher/services`` reads (``service_resume``): id, code, libellé,
# active, start and end dates.
_ServiceColumns: TypeAlias = tuple[int, str, str, bool, datetime | None, datetime | None]


@lru_cache(maxsize=64)
def _services_statements(
    tri: str | None, descending: bool,
) -> tuple[Select[*_ServiceColumns], Select]:
    """Page and count statements of ``rechercher/services`` (Core rows: what
    ``service_resume`` reads), built once per order."""
    stmt = select(Service.id, Service.code, Service.libelle, Service.est_actif,
                  Service.date_debut, Service.date_fin).where(
        Service.structure_id == bindparam("structure_id"))
    return paging.ordered_page(stmt, paging.SERVICES.order(tri), descending), \
        paging.count_of(stmt)


def service_resume(sv: Row[*_ServiceColumns]) -> dict:
    return {
        "idService": sv.id,
        "codeService": sv.code,
        "libelleService": sv.libelle,
        "estActif": sv.est_actif,
        "statutService": StatutService.ACTIF if sv.est_actif else StatutService.INACTIF,
        "dateDbtService": date_minute(sv.date_debut),
        "dateFinService": date_minute(sv.date_fin),
    }


@operation(
    "POST",
    f"{BASE}/rechercher/services",
    operation_id="rechercherServicesStructure",
    summary="List the services of a structure",
    tag=TAG,
    request_model=sc.RechercherServicesStructureParam,
    response_model=sc.RechercherServicesStructureRetour,
    read_only=True,
)
def rechercher_services(ctx: Context, p: sc.RechercherServicesStructureParam) -> dict:
    """Every service of the structure (active or not: see `estActif`), paged."""
    st = readable_structure(ctx, p.idStructure)
    params = p.parametresRechercherServicesStructure
    page_stmt, count_stmt = _services_statements(
        paging.tri_colonne(params), paging.page_request(params)[2])
    rows, retour = paging.run_prepared(
        ctx.s, page_stmt, count_stmt, {"structure_id": st.id}, params)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeServices": [service_resume(r) for r in rows],
        "parametresRetour": retour,
    }


def service_of(ctx: Context, structure_id: int, service_id: int) -> Row[Any]:
    """The service's row (its columns), if it belongs to the structure."""
    sv = rows_by_id(ctx.s, Service, (service_id,)).get(service_id)
    if sv is None or sv.structure_id != structure_id:
        raise errors.ServiceInconnu()
    return sv


@operation(
    "POST",
    f"{BASE}/consulter/service",
    operation_id="consulterServiceStructure",
    summary="Read one service of a structure",
    tag=TAG,
    request_model=sc.ConsulterServiceStructureParam,
    response_model=sc.ConsulterServiceStructureRetour,
    read_only=True,
)
def consulter_service(ctx: Context, p: sc.ConsulterServiceStructureParam) -> dict:
    """Address, general information (`informationsGenerales`, with "s") and parameters of a
    service; the service must belong to the structure."""
    st = readable_structure(ctx, p.idStructure)
    sv = service_of(ctx, st.id, required(p.idService, "idService"))
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CONSULTATION_OK,
        "adressePostale": adresse(sv),
        "informationsGenerales": {
            "codeService": sv.code,
            "descriptionService": sv.description,
            "nomService": sv.libelle,
        },
        "parametres": {
            "dateCreation": date_iso(sv.created_at),
            "dateDebutValidite": date_iso(sv.date_debut),
            "dateFinValidite": date_iso(sv.date_fin),
            "dateModification": date_iso(sv.updated_at),
            "miseEnPaiement": sv.mise_en_paiement,
            "numeroEngagement": sv.numero_engagement,
        },
        # The Swagger's WsRetourConsulterServiceStructure lists these too: one page, one item.
        "nbResultatsParPage": 1,
        "pageCourante": 1,
        "pages": 1,
        "total": 1,
    }


def _is_gestionnaire(ctx: Context, structure_id: int) -> bool:
    if ctx.caller.user.technical_structure_id == structure_id:
        return True
    rid = ctx.caller.rights_user_id(ctx.s)
    if rid is None:
        return False
    return rights.is_gestionnaire_principal(ctx.s, rid, structure_id)


@operation(
    "POST",
    f"{BASE}/lister/rattachementsutilisateur",
    operation_id="listerRattachementsStructureUtilisateur",
    summary="A user's attachment requests to a structure and its services (gestionnaire)",
    tag=TAG,
    request_model=sc.ListerRattachementsStructureUtilisateurParam,
    response_model=sc.ListerRattachementsStructureUtilisateurRetour,
    read_only=True,
)
def lister_rattachements(ctx: Context, p: sc.ListerRattachementsStructureUtilisateurParam) -> dict:
    """For the gestionnaire principal of the structure (or its technical account): the
    user's per-service attachments on that structure."""
    st = find_structure(ctx, p.idStructure, p.identifiantStructure, p.typeIdentifiantStructure)
    if not _is_gestionnaire(ctx, st.id):
        raise errors.GestionnaireRequis()
    if p.idUtilisateur is not None:
        user = ctx.s.get(User, p.idUtilisateur)
    elif p.adresseEmailConnexionUtilisateur:
        login = p.adresseEmailConnexionUtilisateur.strip().lower()
        user = ctx.s.scalars(select(User).where(User.login == login)).first()
    else:
        raise errors.ParametreManquant(
            "Paramètre obligatoire manquant : idUtilisateur ou adresseEmailConnexionUtilisateur."
        )
    if user is None:
        raise errors.UtilisateurInconnu()
    ratt_id = ctx.s.scalar(
        select(Rattachement.id).where(
            Rattachement.user_id == user.id, Rattachement.structure_id == st.id
        )
    )
    if ratt_id is None:
        raise errors.RattachementInconnu()
    stmt = (
        select(RattachementService, Service)
        .join(Service, Service.id == RattachementService.service_id)
        .where(RattachementService.rattachement_id == ratt_id)
    )
    rows, retour = paging.paged(
        ctx.s,
        stmt,
        p.parametresListerRattachementsStructureUtilisateur,
        paging.RATTACHEMENTS_SERVICES,
    )
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "idStructure": st.id,
        "identifiantStructure": st.identifiant,
        "designationStructure": designation(st),
        "premierService": retour["total"] == 0,
        "listeServices": [
            {
                "idRattachement": rs.id,
                "idService": sv.id,
                "codeService": sv.code,
                "nomService": sv.libelle,
                "statutRattachement": rs.statut,
                "dateDebut": date_iso(rs.date_debut),
                "dateFin": date_iso(rs.date_fin),
                "commentaire": rs.commentaire,
            }
            for rs, sv in rows
        ],
        "parametresRetour": retour,
    }


@operation(
    "POST",
    f"{BASE}/rechercher/espaces",
    operation_id="rechercherEspaces",
    summary="List the espaces opened on a structure or on one of its services",
    tag=TAG,
    request_model=sc.RechercherEspacesParam,
    response_model=sc.RechercherEspacesRetour,
    read_only=True,
)
def rechercher_espaces(ctx: Context, p: sc.RechercherEspacesParam) -> dict:
    """The structure is named by `idStructure` or `identifiantStructure` (+ type, SIRET by
    default); with `idService`, only that service's espaces."""
    ref = p.structure or sc.StructureRef()
    st = find_structure(
        ctx, ref.idStructure, ref.identifiantStructure, ref.typeIdentifiantStructure
    )
    where = [Espace.structure_id == st.id]
    if p.idService is not None:
        service_of(ctx, st.id, p.idService)
        where.append(Espace.service_id == p.idService)
    stmt = (
        select(Espace, Service.code, Service.libelle)
        .outerjoin(Service, Service.id == Espace.service_id)
        .where(*where)
    )
    rows, retour = paging.paged(ctx.s, stmt, p.parametresRechercherEspaces, paging.ESPACES)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeEspace": [
            {
                "idEspaceFo": e.id,
                "codeEspace": e.code,
                "libelleEspace": e.libelle,
                "idService": e.service_id,
                "codeService": code,
                "libelleService": libelle,
                "etatCourant": e.etat,
                "typeHabilitation": e.type_habilitation,
            }
            for e, code, libelle in rows
        ],
        "parametresRetour": retour,
    }
