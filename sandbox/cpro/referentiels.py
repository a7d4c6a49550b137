"""Transverses référentiels: the fixed lists of ``/cpro/transverses/v1/recuperer/...``.

Enumerations come from ``sandbox/vocabulary.py`` (the values the public clients and
the references attest). The labelled lists (VAT rates, exemption and refusal
reasons, attachment types) are not published anywhere we could read: their codes
and labels are the sandbox's own, except the VAT rate ``TVA1`` "Art 293B
(FranchiseEnBase)" seen in Pastell's tests (docs/decisions.md). The operations
that read structures live in ``referentiels_structures.py``.
"""

from __future__ import annotations

from sandbox.cpro import errors
from sandbox.cpro import referentiels_schemas as rs
from sandbox.cpro.api import Context, operation
from sandbox.cpro.schemas import Vide
from sandbox.vocabulary import (
    MOTIFS_REFUS,
    CadreFacturation,
    FormatFlux,
    ModeDepot,
    ModePaiement,
    StatutFacture,
    SyntaxeFlux,
    TypeDemandePaiement,
    TypeFactureTravaux,
    TypeObjetPieceJointe,
)

BASE = "/cpro/transverses/v1"
TAG = "Transverses"

# (code, French label, English label, rate in %). TVA1 as in Pastell's tests.
TAUX_TVA = (
    ("TVA1", "Art 293B(FranchiseEnBase)", "Art 293B (basic exemption)", 0.0),
    ("TVA2", "Taux normal 20 %", "Standard rate 20%", 20.0),
    ("TVA3", "Taux intermédiaire 10 %", "Intermediate rate 10%", 10.0),
    ("TVA4", "Taux réduit 5,5 %", "Reduced rate 5.5%", 5.5),
    ("TVA5", "Taux particulier 2,1 %", "Special rate 2.1%", 2.1),
    ("TVA6", "Taux normal DOM 8,5 %", "Overseas standard rate 8.5%", 8.5),
    ("TVA7", "Taux réduit DOM 1,05 %", "Overseas reduced rate 1.05%", 1.05),
    ("TVA8", "Taux exonéré 0 %", "Exempt 0%", 0.0),
)

MOTIFS_EXONERATION = (
    ("ART_261_CGI", "Exonération article 261 du CGI", "Exemption, article 261 CGI"),
    ("ART_262_CGI", "Exonération article 262 du CGI (exportations)", "Exemption, article 262 CGI"),
    (
        "ART_262_TER_CGI",
        "Livraison intracommunautaire, article 262 ter I du CGI",
        "Intra-community supply, article 262 ter I CGI",
    ),
    ("ART_283_CGI", "Autoliquidation, article 283 du CGI", "Reverse charge, article 283 CGI"),
    (
        "ART_293_B_CGI",
        "TVA non applicable, article 293 B du CGI",
        "VAT not applicable, article 293 B CGI",
    ),
    ("AUTRE", "Autre motif d'exonération", "Other exemption reason"),
)

# Attachment types (id, code, French label, English label, typeObjet).
TYPES_PJ = (
    (1, "BON_COMMANDE", "Bon de commande", "Purchase order", TypeObjetPieceJointe.FACTURE),
    (2, "BON_LIVRAISON", "Bon de livraison", "Delivery note", TypeObjetPieceJointe.FACTURE),
    (3, "DEVIS", "Devis", "Quotation", TypeObjetPieceJointe.FACTURE),
    (4, "CONTRAT", "Contrat", "Contract", TypeObjetPieceJointe.FACTURE),
    (
        5,
        "PROCES_VERBAL",
        "Procès-verbal de réception",
        "Acceptance report",
        TypeObjetPieceJointe.FACTURE_TRAVAUX,
    ),
    (6, "DECOMPTE", "Décompte", "Statement of works", TypeObjetPieceJointe.FACTURE_TRAVAUX),
    (7, "RIB", "Relevé d'identité bancaire", "Bank details", TypeObjetPieceJointe.CB),
    (8, "KBIS", "Extrait Kbis", "Certificate of incorporation", TypeObjetPieceJointe.STRUCTURE),
    (9, "MANDAT", "Mandat de facturation", "Billing mandate", TypeObjetPieceJointe.MANDAT),
    (
        10,
        "PIECE_SOLLICITATION",
        "Pièce jointe de sollicitation",
        "Request attachment",
        TypeObjetPieceJointe.SOLLICITATION,
    ),
    (11, "AUTRE", "Autre", "Other", TypeObjetPieceJointe.FACTURE),
)

# Cadres de facturation per type of demande de paiement: A1, A2, A9, A12 for plain
# invoices (piste-gouv-fr ICodeCadreFacturation), A3 for mémoires, the rest for works.
CADRES_FACTURE = ("A1_", "A2_", "A9_", "A12_")
CADRES_MEMOIRE = ("A3_",)
CADRES_HORS_TRAVAUX = CADRES_FACTURE + CADRES_MEMOIRE + ("A21_",)

# syntaxeFlux by formatFlux (factures-reference.md 7.1: E1 structured, E2 mixed/Factur-X).
FORMAT_DE_SYNTAXE = {
    SyntaxeFlux.IN_DP_E2_CII_FACTURX: FormatFlux.IN_DP_E2_FACTURX,
}


def format_of(syntaxe: SyntaxeFlux) -> FormatFlux:
    """The formatFlux a syntaxeFlux belongs to."""
    if syntaxe in FORMAT_DE_SYNTAXE:
        return FORMAT_DE_SYNTAXE[syntaxe]
    return FormatFlux.IN_DP_E1_STRUCT if "_E1_" in syntaxe else FormatFlux.IN_DP_E2_MIXTE


def english(code_langue: str | None) -> bool:
    """codeLangue: any case; empty or unknown means the default, French."""
    return (code_langue or "").strip().upper() == "EN"


def ok(libelle: str = errors.LIBELLE_RECHERCHE_OK, **fields) -> dict:  # noqa: ANN003
    return {"codeRetour": 0, "libelle": libelle, **fields}


def paged(items: list, **fields) -> dict:  # noqa: ANN003
    """An unpaged list, with the top-level paging fields its Swagger declares."""
    size = max(len(items), 1)
    return ok(
        nbResultatsParPage=size, pageCourante=1, pages=1 if items else 0, total=len(items), **fields
    )


def post_op(path: str, operation_id: str, summary: str, request_model, response_model):  # noqa: ANN001, ANN202
    """Register a Transverses POST operation (``@operation`` with this API's base and tag)."""
    return operation(
        "POST",
        f"{BASE}/{path}",
        operation_id=operation_id,
        summary=summary,
        tag=TAG,
        request_model=request_model,
        response_model=response_model,
    )


@post_op(
    "recuperer/tauxtva", "recupererTauxTva", "VAT rates", rs.LangueParam, rs.RecupererTauxTvaRetour
)
def taux_tva(ctx: Context, p: rs.LangueParam) -> dict:
    """`valeurTauxTva` is a number (percent). Codes and labels are the sandbox's own,
    except TVA1 (seen in Pastell's tests)."""
    en = english(p.codeLangue)
    return ok(
        listeTauxTva=[
            {
                "codeTauxTva": code,
                "libelleTauxTva": label_en if en else label_fr,
                "valeurTauxTva": rate,
            }
            for code, label_fr, label_en, rate in TAUX_TVA
        ]
    )


@post_op(
    "recuperer/modereglements",
    "recupererModesReglement",
    "Payment methods",
    Vide,
    rs.RecupererModesReglementRetour,
)
def modes_reglement(ctx: Context, _p: Vide) -> dict:
    """The six modes of piste-gouv-fr's IModePaiement."""
    return ok(
        errors.LIBELLE_CONSULTATION_OK,
        listeModePaiement=[{"modePaiement": m} for m in ModePaiement],
    )


@post_op(
    "recuperer/cadrefacturation",
    "recupererCadreFacturation",
    "Cadres de facturation",
    rs.TypeDemandePaiementParam,
    rs.RecupererCadresFacturationRetour,
)
def cadres_facturation(ctx: Context, p: rs.TypeDemandePaiementParam) -> dict:
    """All 25 cadres; `typeDemandePaiement` FACTURE gives A1, A2, A9, A12, MEMOIRE A3,
    FACTURE_TRAVAUX the works frameworks."""
    cadres = list(CadreFacturation)
    kind = p.typeDemandePaiement
    if kind == TypeDemandePaiement.FACTURE:
        cadres = [c for c in cadres if c.startswith(CADRES_FACTURE)]
    elif kind == TypeDemandePaiement.MEMOIRE:
        cadres = [c for c in cadres if c.startswith(CADRES_MEMOIRE)]
    elif kind == TypeDemandePaiement.FACTURE_TRAVAUX:
        cadres = [c for c in cadres if not c.startswith(CADRES_HORS_TRAVAUX)]
    return ok(listeCadreFacturation=[{"codeCadreFacturation": c} for c in cadres])


@post_op(
    "recuperer/modedepot",
    "recupererModeDepot",
    "Modes of deposit or entry of an invoice",
    Vide,
    rs.RecupererModesDepotRetour,
)
def modes_depot(ctx: Context, _p: Vide) -> dict:
    """piste-gouv-fr IModeDepot's fifteen values."""
    return paged(list(ModeDepot), listeModeDepot=[{"modeDepot": m} for m in ModeDepot])


@post_op(
    "recuperer/formatflux",
    "recupererFormatFlux",
    "Formats of a deposited flux",
    Vide,
    rs.RecupererFormatFluxRetour,
)
def formats_flux(ctx: Context, _p: Vide) -> dict:
    """IN_DP_E1_STRUCT, IN_DP_E2_MIXTE, IN_DP_E2_FACTURX."""
    return paged(list(FormatFlux), listeFormatFlux=[{"formatFlux": f} for f in FormatFlux])


@post_op(
    "recuperer/syntaxeflux",
    "recupererSyntaxeFlux",
    "Syntaxes of a deposited flux",
    rs.SyntaxeFluxParam,
    rs.RecupererSyntaxeFluxRetour,
)
def syntaxes_flux(ctx: Context, p: rs.SyntaxeFluxParam) -> dict:
    """The 13 syntaxeFlux of deposer/flux, each with its formatFlux; `formatFlux`
    restricts them. (Answer field names are the sandbox's: no public client reads them.)"""
    items = [{"syntaxeFlux": s, "formatFlux": format_of(s)} for s in SyntaxeFlux]
    if p.formatFlux is not None:
        items = [i for i in items if i["formatFlux"] == p.formatFlux]
    return ok(listeSyntaxeFlux=items)


@post_op(
    "recuperer/typedp",
    "recupererTypeDemandePaiement",
    "Types of demande de paiement",
    Vide,
    rs.RecupererTypesDpRetour,
)
def types_dp(ctx: Context, _p: Vide) -> dict:
    """FACTURE, FACTURE_TRAVAUX, MEMOIRE."""
    return ok(
        errors.LIBELLE_CONSULTATION_OK,
        listeTypeDemandePaiement=[{"typeDemandePaiement": t} for t in TypeDemandePaiement],
    )


@post_op(
    "recuperer/etat/typedp",
    "recupererEtatParTypeDemandePaiement",
    "Statuses a demande de paiement can take",
    rs.TypeDemandePaiementParam,
    rs.RecupererEtatsDpRetour,
)
def etats_dp(ctx: Context, p: rs.TypeDemandePaiementParam) -> dict:
    """The invoice statuses in the official order (the same list for every type)."""
    return ok(listeEtatDemandePaiement=[{"etatDemandePaiement": e} for e in StatutFacture])


@post_op(
    "recuperer/typefacturetravaux",
    "recupererTypeFactureTravaux",
    "Types of works invoices",
    Vide,
    rs.RecupererTypesFactureTravauxRetour,
)
def types_facture_travaux(ctx: Context, _p: Vide) -> dict:
    """piste-gouv-fr ITypeFactureTravaux's eleven values."""
    return ok(listeTypeFactureTravaux=[{"typeFactureTravaux": t} for t in TypeFactureTravaux])


@post_op(
    "recuperer/typespj",
    "recupererTypePieceJointe",
    "Types of attachments",
    rs.TypesPieceJointeParam,
    rs.RecupererTypesPieceJointeRetour,
)
def types_pj(ctx: Context, p: rs.TypesPieceJointeParam) -> dict:
    """`typeObjet` restricts the list; labels in French (default) or English."""
    en = english(p.codeLangue)
    return ok(
        listeTypePieceJointe=[
            {
                "idTypePieceJointe": i,
                "codeTypePieceJointe": code,
                "libelleTypePieceJointe": label_en if en else label_fr,
                "typeObjet": objet,
            }
            for i, code, label_fr, label_en, objet in TYPES_PJ
            if p.typeObjet is None or objet == p.typeObjet
        ]
    )


@post_op(
    "recuperer/motifs/exonerationtva",
    "recupererMotifsExonerationTva",
    "VAT exemption reasons",
    rs.LangueParam,
    rs.RecupererMotifsExonerationRetour,
)
def motifs_exoneration(ctx: Context, p: rs.LangueParam) -> dict:
    """Codes and labels are the sandbox's (articles of the CGI)."""
    en = english(p.codeLangue)
    items = [
        {
            "codeMotifExonerationTva": code,
            "libelleMotifExonerationTva": label_en if en else label_fr,
        }
        for code, label_fr, label_en in MOTIFS_EXONERATION
    ]
    return paged(items, listeMotifsExonerationTva=items)


@post_op(
    "recuperer/motifs/refus/Facture/AValider",
    "recupererMotifsRefusFactureAValider",
    "Reasons to refuse a facture à valider",
    rs.MotifsRefusParam,
    rs.RecupererMotifsRefusRetour,
)
def motifs_refus(ctx: Context, p: rs.MotifsRefusParam) -> dict:
    """The same reasons whatever `codeCadreFacturationAValider` (the sandbox's own list)."""
    return ok(
        listeMotifRefusFactureAValider=[
            {"idMotif": i, "codeMotif": code, "libelleMotif": label}
            for i, code, label in MOTIFS_REFUS
        ]
    )
