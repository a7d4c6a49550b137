"""The flux compte rendu: ``transverses/v1/consulterCR`` and ``consulterCRDetaille``.

factures-reference.md §4: the two services name the same facts differently
(``etatCourantFlux`` / ``etatCourantDepotFlux``, ``codeInterfaceFlux`` /
``codeInterfaceDepotFlux``, ``nomFichierFlux`` / ``nomFichier``); ``consulterCR``
carries the report as a PDF (``fichierCR``), ``consulterCRDetaille`` the error
lists; dates are ISO 8601 with milliseconds and the Paris offset. A flux the caller
did not deposit (nor an account of its structures) is "introuvable", like an
unknown one.
"""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import or_, select

from sandbox import clock
from sandbox.cpro.api import Context, operation
from sandbox.cpro.common import date_iso
from sandbox.factures import errors
from sandbox.factures.models import Flux, code_interface_flux
from sandbox.factures.schemas.cr import (
    ConsulterCRDetailleParam,
    ConsulterCRDetailleRetour,
    ConsulterCRParam,
    ConsulterCRRetour,
)
from sandbox.models import Structure

TAG = "Transverses"


def visible_flux(ctx: Context, numero: str) -> Flux:
    """The caller's flux numbered ``numero``, or "Flux introuvable"."""
    structures = ctx.caller.structure_ids(ctx.s)
    owner = Flux.depositor_user_id == ctx.caller.user.id
    if structures:
        owner = or_(owner, Flux.depositor_structure_id.in_(structures))
    flux = ctx.s.scalars(
        select(Flux).where(Flux.numero_flux_depot == numero.strip(), owner)
    ).first()
    if flux is None:
        raise errors.FluxIntrouvable()
    window = timedelta(seconds=ctx.settings.factures_cr_unknown_seconds)
    if window and clock.utcnow_naive() < flux.date_depot + window:
        raise errors.FluxIntrouvable()  # not yet known to the CR service (reference §4.4)
    return flux


def nom_fichier_cr(flux: Flux) -> str:
    """``<codeInterface>_CPP001_<numeroFluxDepot>`` (reference §3.2)."""
    return f"{code_interface_flux(flux.syntaxe_flux)}_CPP001_{flux.numero_flux_depot}"


def _latin1(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def cr_pdf(flux: Flux, partenaire: str | None) -> bytes:
    """A one-page PDF of the compte rendu (what the portal's "Suivi des flux" shows)."""
    from fpdf import FPDF  # imported on first use: it costs seconds at a worker's boot

    pdf = FPDF()
    pdf.set_creator("Chorus Pro Sandbox")
    pdf.set_title(f"Compte rendu du flux {flux.numero_flux_depot}")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 10, _latin1("Compte rendu de traitement du flux"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    rows = [
        ("Numéro de flux", flux.numero_flux_depot),
        ("Fichier déposé", flux.nom_fichier),
        ("Syntaxe", flux.syntaxe_flux),
        ("Interface", code_interface_flux(flux.syntaxe_flux)),
        ("Déposant", partenaire or ""),
        ("Date de dépôt", date_iso(flux.date_depot)),
        ("État", flux.etat),
        ("Date de l'état", date_iso(flux.date_etat_courant)),
    ]
    for label, value in rows:
        pdf.cell(0, 6, _latin1(f"{label} : {value}"), new_x="LMARGIN", new_y="NEXT")
    errors_dp = flux.erreurs_dp or []
    errors_tech = flux.erreurs_techniques or []
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(
        0,
        7,
        _latin1(f"Erreurs ({len(errors_dp) + len(errors_tech)})"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("helvetica", size=9)
    for e in errors_tech:
        pdf.multi_cell(
            0,
            5,
            _latin1(f"{e.get('codeErreur')} : {e.get('libelleErreur')}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for e in errors_dp:
        pdf.multi_cell(
            0,
            5,
            _latin1(f"Facture {e.get('numeroDP')} : {e.get('libelleErreurDP')}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def _partenaire(ctx: Context, flux: Flux) -> str | None:
    if flux.depositor_structure_id is None:
        return None
    structure = ctx.s.get(Structure, flux.depositor_structure_id)
    return structure.designation if structure is not None else None


@operation(
    "POST",
    "/cpro/transverses/v1/consulterCR",
    operation_id="consulterCR",
    summary="Consulter le compte rendu d'un flux (état et CR au format PDF)",
    tag=TAG,
    request_model=ConsulterCRParam,
    response_model=ConsulterCRRetour,
)
def consulter_cr(ctx: Context, p: ConsulterCRParam) -> dict:
    """The state of a deposited flux and its compte rendu as a PDF (fichierCR)."""
    flux = visible_flux(ctx, p.numeroFluxDepot)
    partenaire = _partenaire(ctx, flux)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CR_OK,
        "numeroFluxDepot": flux.numero_flux_depot,
        "dateDepotFlux": date_iso(flux.date_depot),
        "dateHeureEtatCourantFlux": date_iso(flux.date_etat_courant),
        "etatCourantFlux": flux.etat,
        "codeInterfaceFlux": code_interface_flux(flux.syntaxe_flux),
        "codeAppliPartenaire": None,
        "designationPartenaire": partenaire,
        "nomFichierFlux": nom_fichier_cr(flux),
        "fichierCR": base64.b64encode(cr_pdf(flux, partenaire)).decode("ascii"),
    }


@operation(
    "POST",
    "/cpro/transverses/v1/consulterCRDetaille",
    operation_id="consulterCRDetaille",
    summary="Consulter le compte rendu détaillé d'un flux (erreurs par demande de paiement)",
    tag=TAG,
    request_model=ConsulterCRDetailleParam,
    response_model=ConsulterCRDetailleRetour,
)
def consulter_cr_detaille(ctx: Context, p: ConsulterCRDetailleParam) -> dict:
    """The integration state of a flux, with the errors found (listeErreurDP/Technique)."""
    flux = visible_flux(ctx, p.numeroFluxDepot)
    return {
        "codeRetour": 0,
        "libelle": errors.LIBELLE_CR_OK,
        "codeInterfaceDepotFlux": code_interface_flux(flux.syntaxe_flux),
        "dateDepotFlux": date_iso(flux.date_depot),
        "dateHeureEtatCourantFlux": date_iso(flux.date_etat_courant),
        "etatCourantDepotFlux": flux.etat,
        "nomFichier": nom_fichier_cr(flux),
        "listeErreurDP": list(flux.erreurs_dp or []),
        "listeErreurTechnique": list(flux.erreurs_techniques or []),
    }
