"""Transverses API: ``/cpro/transverses/v1/...`` (reference section 3.3).

Countries and currencies come from ``pycountry`` (ISO 3166-1 and ISO 4217, kept
up to date by its maintainers) with French names from its gettext catalogues.

Why this size (over ~400 lines): the Transverses operations of the first landing stay
together, one handler each, as the Swagger groups them; the référentiels, services
exécutants and sollicitations live in cpro.referentiels*.
"""

from __future__ import annotations

import base64
import csv
import gettext
import io
import zipfile
from functools import lru_cache

import pycountry
from sqlalchemy import and_, bindparam, exists, not_, or_, select

from sandbox.cpro import errors, paging
from sandbox.cpro import schemas as sc
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import (
    designation,
    prefix,
    type_structure_column,
    visible_clause,
)
from sandbox.models import Espace, Structure
from sandbox.vocabulary import EtatEspace, StatutStructure, TypeIdentifiant, TypeStructure

BASE = "/cpro/transverses/v1"
TAG = "Transverses"

# codeEspace of the espaces that recuperer/structures/actives/* look for. A structure
# that has no espace row at all is treated as having every default espace open.
ESPACE_FACTURES_EMISES = 1
ESPACE_FACTURES_RECUES = 2
ESPACE_FACTURES_TRAVAUX = 3
ESPACES_PAR_DEFAUT = {
    ESPACE_FACTURES_EMISES: "Factures émises",
    ESPACE_FACTURES_RECUES: "Factures reçues",
    ESPACE_FACTURES_TRAVAUX: "Factures de travaux",
}

HEALTH_BODY = "L'API CPRO est actuellement disponible et fonctionnel."
ANNUAIRE_CSV = "annuaire_destinataires.csv"


@operation(
    "GET",
    f"{BASE}/health-check",
    operation_id="healthCheck",
    summary="Is the API available?",
    tag=TAG,
    request_model=None,
    response_model=sc.HealthCheckRetour,
    read_only=True,
)
def health_check(ctx: Context, _p: None) -> dict:
    """Answers like the real API (and goes through the same gateway checks)."""
    return {"body": HEALTH_BODY, "statusCodeValue": 200, "statusCode": "OK"}


@operation(
    "POST",
    f"{BASE}/recuperer/typeidentifiant/structure",
    operation_id="recupererTypeIdentifiantStructure",
    summary="The identifier types of structures",
    tag=TAG,
    request_model=sc.Vide,
    response_model=sc.RecupererTypeIdentifiantRetour,
    read_only=True,
)
def type_identifiant(ctx: Context, _p: sc.Vide) -> dict:
    """The seven values, in the real order."""
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeTypeIdentifiant": [{"typeIdentifiantStructure": t} for t in TypeIdentifiant],
    }


@lru_cache(maxsize=4)
def _pays(langue: str) -> tuple[tuple[str, str], ...]:
    translate = _translator("iso3166-1", langue)
    items = [(c.alpha_2, translate(c.name)) for c in pycountry.countries]
    return tuple(sorted(items))


@lru_cache(maxsize=4)
def _devises(langue: str) -> tuple[tuple[str, str], ...]:
    translate = _translator("iso4217", langue)
    return tuple(sorted((c.alpha_3, translate(c.name)) for c in pycountry.currencies))


def _translator(domain: str, langue: str):
    if langue == "EN":
        return lambda text: text
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["fr"]).gettext


@operation(
    "POST",
    f"{BASE}/recuperer/pays",
    operation_id="recupererPays",
    summary="Countries (ISO 3166-1), names in French or English",
    tag=TAG,
    request_model=sc.CodeLangueParam,
    response_model=sc.RecupererPaysRetour,
    read_only=True,
)
def pays(ctx: Context, p: sc.CodeLangueParam) -> dict:
    """`codeLangue` FR (default) or EN; lower case accepted."""
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listePays": [
            {"codePays": code, "libellePays": nom} for code, nom in _pays(p.codeLangue or "FR")
        ],
    }


@operation(
    "POST",
    f"{BASE}/recuperer/devises",
    operation_id="recupererDevises",
    summary="Currencies (ISO 4217), names in French or English",
    tag=TAG,
    request_model=sc.CodeLangueParam,
    response_model=sc.RecupererDevisesRetour,
    read_only=True,
)
def devises(ctx: Context, p: sc.CodeLangueParam) -> dict:
    """`codeLangue` FR (default) or EN; lower case accepted."""
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeDevises": [
            {"codeDevise": code, "libelleDevise": nom}
            for code, nom in _devises(p.codeLangue or "FR")
        ],
    }


@operation(
    "POST",
    f"{BASE}/rechercher/destinataire",
    operation_id="rechercherDestinataire",
    summary="Search invoice recipients (active structures the caller may see)",
    tag=TAG,
    request_model=sc.RechercherDestinataireParam,
    response_model=sc.RechercherDestinataireRetour,
    read_only=True,
)
def rechercher_destinataire(ctx: Context, p: sc.RechercherDestinataireParam) -> dict:
    """Active structures: public ones, and private ones the caller is attached to.
    `nomVilleCodePostal`: digits match the beginning of the postcode, other text the
    beginning of the name or the exact city."""
    text = (p.nomVilleCodePostal or "").strip()
    selective = bool(p.identifiant or text)
    where = [Structure.statut == StatutStructure.ACTIF]
    if p.identifiant:
        where.append(Structure.identifiant == p.identifiant.strip())
    if p.typeStructure:
        where.append(type_structure_column(True) == p.typeStructure)
    if text.isdigit():
        where.append(and_(Structure.code_postal >= text, Structure.code_postal < text + ":"))
    elif text:
        where.append(
            or_(
                prefix(Structure.raison_sociale, text),
                Structure.ville == text,
                Structure.ville == text.upper(),
            )
        )
    sorted_by_id = paging.tri_colonne(p.parametresRecherche) is None
    stmt = select(
        Structure.id,
        Structure.identifiant,
        Structure.raison_sociale,
        Structure.prenom,
        Structure.nom,
        Structure.code_postal,
        Structure.ville,
    ).where(visible_clause(ctx, selective or sorted_by_id), *where)
    # As in structures.rechercher: a selective filter's index, else the primary key
    # in id order; the count uses the type_structure index when nothing is selective.
    count_stmt = None if selective else select(Structure.id).where(visible_clause(ctx), *where)
    rows, retour = paging.paged(
        ctx.s, stmt, p.parametresRecherche, paging.DESTINATAIRES, count_stmt
    )
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_RECHERCHE_OK,
        "listeDestinataires": [
            {
                "idStructureCPP": r.id,
                "siret": r.identifiant,
                "nomDestinataire": designation(r),
                "adresseCodePostal": r.code_postal,
                "adresseVille": r.ville,
            }
            for r in rows
        ],
        "parametresRetour": retour,
    }


ANNUAIRE_COLUMNS = [
    "IDENTIFIANT",
    "TYPE_IDENTIFIANT",
    "RAISON_SOCIALE",
    "ADRESSE",
    "CODE_POSTAL",
    "VILLE",
    "PAYS",
    "CODE_SERVICE_OBLIGATOIRE",
    "NUMERO_EJ_OBLIGATOIRE",
    "EJ_OU_CODE_SERVICE_OBLIGATOIRE",
]


ANNUAIRE_BATCH = 5000


def annuaire_zip(ctx: Context) -> bytes:
    """The public directory (active public structures) as a ZIP holding one CSV.

    Read in keyset batches (``id > last``): constant memory at any size, and no
    server-side cursor, which PostgreSQL refuses outside a transaction (the read path
    runs in autocommit, db.read_session)."""
    stmt = (
        select(
            Structure.id,
            Structure.identifiant,
            Structure.type_identifiant,
            Structure.raison_sociale,
            Structure.adresse,
            Structure.code_postal,
            Structure.ville,
            Structure.pays,
            Structure.code_service_doit_etre_renseigne,
            Structure.numero_ej_doit_etre_renseigne,
            Structure.gestion_numero_ej_ou_code_service,
        )
        .where(
            Structure.type_structure == TypeStructure.PUBLIQUE,
            Structure.statut == StatutStructure.ACTIF,
            Structure.id > bindparam("last"),
        )
        .order_by(Structure.id)
        .limit(ANNUAIRE_BATCH)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(ANNUAIRE_CSV, "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text, delimiter=";")
            writer.writerow(ANNUAIRE_COLUMNS)
            last = 0
            while True:
                rows = ctx.s.execute(stmt, {"last": last}).all()
                for row in rows:
                    writer.writerow(
                        [
                            *("" if v is None else v for v in row[1:8]),
                            *("1" if v else "0" for v in row[8:]),
                        ]
                    )
                if len(rows) < ANNUAIRE_BATCH:
                    break
                last = rows[-1][0]
            text.flush()
            text.detach()
    return buffer.getvalue()


@operation(
    "POST",
    f"{BASE}/telecharger/annuaire/destinataire",
    operation_id="telechargerAnnuaireDestinataire",
    summary="Download the directory of public recipients (base64 ZIP of a CSV)",
    tag=TAG,
    request_model=sc.Vide,
    response_model=sc.TelechargerAnnuaireRetour,
    read_only=True,
)
def telecharger_annuaire(ctx: Context, _p: sc.Vide) -> dict:
    """`fichierResultat` is a base64 ZIP holding `annuaire_destinataires.csv` (`;`-separated,
    UTF-8, one line per active public structure)."""
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CONSULTATION_OK,
        "fichierResultat": base64.b64encode(annuaire_zip(ctx)).decode("ascii"),
    }


@operation(
    "POST",
    f"{BASE}/consulter/information/siret",
    operation_id="consulterInformationSiret",
    summary="INSEE information of a SIRET (fails on qualification, as the real one)",
    tag=TAG,
    request_model=sc.ConsulterInformationSiretParam,
    response_model=sc.ConsulterInformationSiretRetour,
    read_only=True,
)
def consulter_siret(ctx: Context, p: sc.ConsulterInformationSiretParam) -> dict:
    """Fails (codeRetour 20200) while the setting `qualification_siret_lookup_fails` is on
    (default), as on the real qualification environment. Otherwise answers from the
    sandbox's own structures (SIRET identifiers)."""
    if ctx.settings.qualification_siret_lookup_fails:
        raise errors.SiretIndisponible()
    siret = p.siretStructure.strip()
    st = ctx.s.scalars(
        select(Structure).where(
            Structure.identifiant == siret, Structure.type_identifiant == TypeIdentifiant.SIRET
        )
    ).first()
    if st is None:
        raise errors.SiretInconnu()
    address = " ".join(x for x in (st.adresse, st.code_postal, st.ville) if x) or None
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CONSULTATION_OK,
        "siret": st.identifiant,
        "siren": st.identifiant[:9],
        "raisonSociale": st.designation,
        "adresse": None if st.non_diffusible_insee else address,
        "categorieEntreprise": None,
        "categorieJuridique": None,
        "civilite": None,
        "dateCreationEntreprise": None,
        "dateCreationEtablissement": st.created_at.date().isoformat() if st.created_at else None,
        "dateReactivationEtablissement": None,
        "estActif": st.statut == StatutStructure.ACTIF,
        "localisationSiege": None,
        "nonDiffusibleInsee": st.non_diffusible_insee,
        "numeroInterneClassement": None,
        "siege": True,
        "siretPredecesseurSuccesseur": None,
    }


def _structures_actives(ctx: Context, code_espace: int) -> dict:
    ids = ctx.caller.structure_ids(ctx.s)
    liste = []
    if ids:
        has_espace = exists().where(
            Espace.structure_id == Structure.id,
            Espace.code == code_espace,
            Espace.etat == EtatEspace.ACTIVE,
        )
        has_none = not_(exists().where(Espace.structure_id == Structure.id))
        rows = ctx.s.execute(
            select(
                Structure.id,
                Structure.identifiant,
                Structure.raison_sociale,
                Structure.prenom,
                Structure.nom,
            )
            .where(
                Structure.id.in_(ids),
                Structure.statut == StatutStructure.ACTIF,
                or_(has_espace, has_none),
            )
            .order_by(Structure.id)
        ).all()
        liste = [
            {
                "idStructureCPP": r.id,
                "identifiant": r.identifiant,
                "designationStructure": designation(r),
            }
            for r in rows
        ]
    return {"codeRetour": 0, "libelle": errors.LIBELLE_RECHERCHE_OK, "listeStructures": liste}


@operation(
    "POST",
    f"{BASE}/recuperer/structures/actives/fournisseur",
    operation_id="recupererStructuresActivesFournisseur",
    summary="The caller's active structures with the espace 'Factures émises'",
    tag=TAG,
    request_model=sc.Vide,
    response_model=sc.RecupererStructuresActivesRetour,
    read_only=True,
)
def actives_fournisseur(ctx: Context, _p: sc.Vide) -> dict:
    """Structures the caller is attached to, active, with espace code 1 (Factures émises)
    open — or with no espace recorded at all (every default espace open)."""
    return _structures_actives(ctx, ESPACE_FACTURES_EMISES)


@operation(
    "POST",
    f"{BASE}/recuperer/structures/actives/destinataire",
    operation_id="recupererStructuresActivesDestinataire",
    summary="The caller's active structures with the espace 'Factures reçues'",
    tag=TAG,
    request_model=sc.Vide,
    response_model=sc.RecupererStructuresActivesRetour,
    read_only=True,
)
def actives_destinataire(ctx: Context, _p: sc.Vide) -> dict:
    """Structures the caller is attached to, active, with espace code 2 (Factures reçues)
    open — or with no espace recorded at all."""
    return _structures_actives(ctx, ESPACE_FACTURES_RECUES)
