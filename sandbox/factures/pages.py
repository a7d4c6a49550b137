"""The portal's Factures pages (French, issue #11 §6): "Factures émises" (the invoices of
the user's structures as supplier, with their history, and the user's deposits with
their compte rendu and, beyond the real portal, each error explained: rule, element,
line and column in the file, why, how to fix), "Déposer une facture" (the same envelope
checks and flux creation
as ``deposer/flux``: ``rules/deposit.py``, on the uploaded bytes) and "Factures reçues"
(the invoices of the user's structures as recipient, with the ``traiter`` moves the
lifecycle allows — ``lifecycle.transition``, the one function that changes a status),
"Factures à valider" (the invoices the user's structures validate, cadres A9/A12: valider,
refuser with a motif, or signal a wrong validator — ``rules/validation.py``, as
``traiter/factureAValider``) and "Factures de travaux" (the works documents of the user's
structures as titulaire, MOE or MOA, with each actor's moves and the association of its
own document: ``rules/travaux.py``, as ``facturesTravaux/v1``); who sees what is
``rules/visibility.py``'s, as for the API.

Plain forms with CSRF (Flask-WTF), no JavaScript needed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField
from wtforms.validators import Length

from sandbox import db
from sandbox.accounts.rights import usable_structure_ids
from sandbox.cpro.errors import BusinessError
from sandbox.factures import errors, worker
from sandbox.factures.models import Facture, FactureStatut, Flux, FluxRapport
from sandbox.factures.rules import deposit, travaux, travaux_cycle, validation, visibility
from sandbox.factures.rules.lifecycle import MOTIF_REQUIRED, Actor, allowed_targets, transition
from sandbox.models import Structure
from sandbox.portal.auth import logged_in_user, login_required
from sandbox.portal.pages import csrf_failed, form_expired, no_store
from sandbox.vocabulary import (
    MOTIFS_REFUS,
    ActionValideur,
    RoleUtilisateur,
    StatutFacture,
    SyntaxeFlux,
)

bp = Blueprint("factures_portal", __name__, template_folder="templates")
bp.after_request(no_store)
LIMIT = 100
SYNTAXES = [(s.value, s.value) for s in SyntaxeFlux]


class DepotForm(FlaskForm):
    fichier = FileField("Fichier de factures", validators=[FileRequired("Choisissez un fichier.")])
    syntaxe = SelectField("Syntaxe du flux", choices=SYNTAXES,
                          default=SyntaxeFlux.IN_DP_E1_UBL_INVOICE.value)


class TraiterForm(FlaskForm):
    nouveau_statut = SelectField("Nouveau statut", validate_choice=False)
    motif = StringField("Motif", validators=[Length(max=2000)])


class ValiderForm(FlaskForm):
    action = SelectField("Décision", validate_choice=False)
    motif = SelectField("Motif de refus", validate_choice=False)
    complement = StringField("Complément d'information", validators=[Length(max=2000)])


# The validator's decisions on the portal (traiter/factureAValider's actions).
DECISIONS = (
    (ActionValideur.VALIDATION.value, "Valider"),
    (ActionValideur.REFUS.value, "Refuser (motif obligatoire)"),
    (ActionValideur.REJET.value, "Je ne suis pas le valideur (motif obligatoire)"),
)


# The portal's French labels (the others: the code, de-underscored).
LIBELLES = {
    "DEPOSEE": "Déposée", "EN_COURS_ACHEMINEMENT": "En cours d'acheminement",
    "MISE_A_DISPOSITION": "Mise à disposition", "REJETEE": "Rejetée", "SUSPENDUE": "Suspendue",
    "COMPLETEE": "Complétée", "SERVICE_FAIT": "Service fait", "MANDATEE": "Mandatée",
    "MISE_EN_PAIEMENT": "Mise en paiement", "COMPTABILISEE": "Comptabilisée",
    "MISE_A_DISPOSITION_COMPTABLE": "Mise à disposition comptable", "A_RECYCLER": "À recycler",
    # works invoices
    "A_ASSOCIER_MOE": "À associer par la MOE", "A_ASSOCIER_MOA": "À associer par la MOA",
    "A_ASSOCIER_FOURNISSEUR": "À associer par le fournisseur", "ASSOCIEE": "Associée",
    "MISE_A_DISPOSITION_MOE": "Mise à disposition de la MOE",
    "PRISE_EN_COMPTE_MOE": "Prise en compte par la MOE", "A_COMPLETER": "À compléter",
    "REFUSEE_MOE": "Refusée par la MOE", "REFUSEE_MOA": "Refusée par la MOA",
    "REFUSEE_FOURNISSEUR": "Refusée par le fournisseur", "ERREUR_DE_MOE": "Erreur de MOE",
    "ERREUR_DE_MOA": "Erreur de MOA",
    "A_VALIDER_1": "À valider", "VALIDEE_1": "Validée", "REFUSEE_1": "Refusée par le valideur",
    "ERREUR_FOURNISSEUR_SUR_VALIDEUR": "Erreur du fournisseur sur le valideur",
    "ABSENCE_VALIDATION_1_HORS_DELAI": "Absence de validation dans le délai",
}


def _libelle(statut: str) -> str:
    return LIBELLES.get(statut, statut.replace("_", " ").capitalize())


bp.add_app_template_filter(_libelle, "libelle_statut")


def _history(s, ids: list[int]) -> dict[int, list[FactureStatut]]:
    rows: dict[int, list[FactureStatut]] = {}
    if ids:
        for h in s.scalars(select(FactureStatut).where(FactureStatut.facture_id.in_(ids))
                           .order_by(FactureStatut.id)):
            rows.setdefault(h.facture_id, []).append(h)
    return rows


def _names(s, factures: list[Facture]) -> dict[int, Structure]:
    ids = {x for f in factures for x in (f.fournisseur_id, f.destinataire_id)}
    ids |= {f.valideur_structure_id for f in factures if f.valideur_structure_id}
    if not ids:
        return {}
    return {st.id: st for st in s.scalars(select(Structure).where(Structure.id.in_(ids)))}


@bp.get("/factures/emises")
@login_required
def emises():
    """Factures émises: invoices of the user's structures as supplier, and his deposits."""
    user = logged_in_user()
    s = db.session()
    mine = usable_structure_ids(s, user)
    factures = list(s.scalars(select(Facture).where(Facture.fournisseur_id.in_(mine))
                              .order_by(Facture.id.desc()).limit(LIMIT))) if mine else []
    owner = Flux.depositor_user_id == user.id
    if mine:
        owner = or_(owner, Flux.depositor_structure_id.in_(mine))
    flux = list(s.scalars(select(Flux).where(owner).order_by(Flux.id.desc()).limit(LIMIT)))
    explications = {r.flux_id: r.explications or [] for r in s.scalars(
        select(FluxRapport).where(FluxRapport.flux_id.in_([x.id for x in flux])))} if flux else {}
    return render_template("factures/emises.html", factures=factures, flux=flux,
                           history=_history(s, [f.id for f in factures]),
                           structures=_names(s, factures), explications=explications)


@bp.route("/factures/deposer", methods=["GET", "POST"])
@login_required
def deposer():
    """Déposer une facture: a file and its syntax, checked as deposer/flux does."""
    form = DepotForm()
    if request.method == "POST":
        valid = form.validate()
        if csrf_failed(form):
            return form_expired()
        if valid:
            error = _deposit(form)
            if error is None:
                return redirect(url_for("factures_portal.emises"), 303)
            form.fichier.errors = [error]
        return render_template("factures/deposer.html", form=form), 400
    return render_template("factures/deposer.html", form=form)


def _deposit(form: DepotForm) -> str | None:
    """Create the flux; return the French error if the envelope is refused."""
    upload = form.fichier.data
    content = upload.read()
    nom = (upload.filename or "").strip() or "facture.xml"
    settings = current_app.config["SANDBOX"]
    try:
        deposit.check_envelope(settings, nom, content)
    except BusinessError as refusal:
        return refusal.libelle
    flux = deposit.create_flux(db.session(write=True), settings, logged_in_user(),
                               form.syntaxe.data, nom, content, False)
    worker.wake()
    flash(f"Flux {flux.numero_flux_depot} déposé : il est en attente de traitement.", "success")
    return None


def _listed(
    clauses: Callable[[set[int]], list[ColumnElement[bool]]],
) -> tuple[Session, list[Facture]]:
    """The latest invoices matching ``clauses`` of the logged-in user's structures."""
    s = db.session()
    mine = usable_structure_ids(s, logged_in_user())
    if not mine:
        return s, []
    query = select(Facture).where(*clauses(mine)).order_by(Facture.id.desc()).limit(LIMIT)
    return s, list(s.scalars(query))


@bp.get("/factures/recues")
@login_required
def recues():
    """Factures reçues: invoices of the user's structures as recipient, with their moves."""
    s, factures = _listed(visibility.received_by)
    targets = {f.id: [t for t in allowed_targets(Actor.RECIPIENT, f.statut, f.cadre_facturation)
                      if t != f.statut]
               for f in factures}
    return render_template("factures/recues.html", factures=factures, targets=targets,
                           history=_history(s, [f.id for f in factures]),
                           structures=_names(s, factures), motif_required=MOTIF_REQUIRED,
                           form=TraiterForm())


@bp.post("/factures/recues/<int:facture_id>/traiter")
@login_required
def traiter(facture_id: int):
    """Give a received invoice one of the statuses the lifecycle allows."""
    form = TraiterForm()
    if not form.validate() and csrf_failed(form):
        return form_expired()
    user = logged_in_user()
    s = db.session(write=True)
    try:
        facture = visibility.received_invoice(s, user, facture_id)
    except (errors.DemandePaiementInconnue, errors.HabilitationInsuffisante):
        flash("Cette facture n'existe pas ou ne vous est pas adressée.", "error")
        return redirect(url_for("factures_portal.recues"), 303)
    statut = form.nouveau_statut.data or ""

    def move() -> tuple[Facture, str]:
        if statut not in {x.value for x in StatutFacture}:
            raise errors.TransitionInterdite("Choisissez un nouveau statut dans la liste.")
        transition(s, facture, statut, actor=Actor.RECIPIENT, motif=form.motif.data, user=user)
        return facture, statut

    return _decide(s, move, "factures_portal.recues")


def _decide(s, decision: Callable[[], tuple[Facture, str]], page: str) -> ResponseReturnValue:
    """Apply a decision on an invoice (committed), flash its outcome in French and go back
    to ``page``; a refused one changes nothing."""
    try:
        facture, statut = decision()
        s.commit()
        flash(f"La facture {facture.numero_facture} est passée au statut "
              f"{_libelle(statut)}.", "success")
    except (errors.DemandePaiementInconnue, errors.HabilitationInsuffisante):
        s.rollback()
        flash("Cette facture n'existe pas ou ne vous concerne pas.", "error")
    except BusinessError as refusal:
        s.rollback()
        flash(refusal.libelle, "error")
    return redirect(url_for(page), 303)


# --- Factures de travaux ---------------------------------------------------------------

ROLES_FR = {"FOURNISSEUR": "Fournisseur (titulaire)", "MOE": "Maîtrise d'œuvre (MOE)",
            "MOA": "Maîtrise d'ouvrage (MOA)", "VALIDATEUR": "Valideur"}
# The moves each actor makes from the page: (action, label, the role, statuses).
ACTIONS_TRAVAUX = (
    ("prendre", "Prendre en compte", "MOE", (StatutFacture.MISE_A_DISPOSITION_MOE,)),
    ("refuser", "Refuser", "MOE", tuple(travaux_cycle.MOE)),
    ("completer_demande", "Demander un complément", "MOE", tuple(travaux_cycle.MOE)),
    ("recyclage", "Demander le recyclage", "MOE", tuple(travaux_cycle.MOE)),
    ("refuser", "Refuser", "MOA", tuple(travaux_cycle.MOA)),
    ("completer_demande", "Demander un complément", "MOA", tuple(travaux_cycle.MOA)),
    ("recyclage", "Demander le recyclage", "MOA", tuple(travaux_cycle.MOA)),
    ("completer", "Compléter", "FOURNISSEUR", (StatutFacture.A_COMPLETER,)),
    ("refuser", "Refuser", "FOURNISSEUR", (StatutFacture.A_ASSOCIER_FOURNISSEUR,)),
)
# The documents each actor associates from the page, by the cadres it deposits.
ASSOCIER = {role: [c for c, (r, _, _) in travaux_cycle.CADRES.items() if r == role]
            for role in (RoleUtilisateur.MOE, RoleUtilisateur.MOA, RoleUtilisateur.FOURNISSEUR)}


class TravauxForm(FlaskForm):
    action = StringField("Action")
    motif = StringField("Motif ou commentaire", validators=[Length(max=2000)])
    cadre = StringField("Cadre de facturation")
    numero = StringField("Numéro", validators=[Length(max=20)])
    montant_ht = StringField("Montant HT")
    montant_tva = StringField("Montant TVA")


@bp.get("/factures/travaux")
@login_required
def travaux_page():
    """Factures de travaux: the works documents of the user's structures, by role."""
    user = logged_in_user()
    s = db.session()
    mine = usable_structure_ids(s, user)
    rows = list(s.execute(travaux.base_query().where(travaux.role_clause(mine, None))
                          .order_by(Facture.id.desc()).limit(LIMIT)).tuples()) if mine else []
    entries = []
    for f, ft in rows:
        roles = travaux.roles(f, ft, mine)
        actions = [(code, label, role) for code, label, role, statuts in ACTIONS_TRAVAUX
                   if role in roles and f.statut in statuts]
        associer = [(c, role) for role in roles if role in travaux_cycle.ASSOCIABLE
                    and f.statut in travaux_cycle.ASSOCIABLE[role] for c in ASSOCIER[role]]
        entries.append({"f": f, "ft": ft, "roles": sorted(ROLES_FR[r] for r in roles),
                        "actions": actions, "associer": associer,
                        "type": travaux_cycle.type_travaux(f.cadre_facturation)})
    names = _names(s, [f for f, _ in rows])
    moe_ids = {ft.moe_structure_id for _, ft in rows if ft and ft.moe_structure_id}
    if moe_ids - set(names):
        names.update({st.id: st for st in s.scalars(
            select(Structure).where(Structure.id.in_(moe_ids - set(names))))})
    return render_template("factures/travaux.html", entries=entries, structures=names,
                           history=_history(s, [f.id for f, _ in rows]), form=TravauxForm())


def _amount(text: str | None) -> Decimal:
    try:
        return Decimal((text or "0").strip().replace(",", ".").replace(" ", "") or "0")
    except InvalidOperation:
        raise errors.DonneesFactureInvalides(
            f"Le montant « {text} » n'est pas un nombre (ex. 1200,50).") from None


@bp.post("/factures/travaux/<int:facture_id>/<action>")
@login_required
def travaux_action(facture_id: int, action: str):
    """One actor's move on a works document, or the association of its own document."""
    form = TravauxForm()
    if not form.validate() and csrf_failed(form):
        return form_expired()
    user = logged_in_user()
    s = db.session(write=True)
    motif = (form.motif.data or "").strip() or None
    try:
        if action == "associer":
            ht, tva = _amount(form.montant_ht.data), _amount(form.montant_tva.data)
            facture = travaux.deposer(s, user, travaux.Depot(
                cadre=form.cadre.data or "", numero=(form.numero.data or "").strip() or None,
                id_precedente=facture_id, montant_ht=ht, montant_tva=tva, montant_ttc=ht + tva,
                commentaire=motif),
                check_ej=current_app.config["SANDBOX"].factures_ej_check)
            message = (f"Le document {facture.numero_facture} est déposé "
                       f"({_libelle(facture.statut)}) ; la pièce précédente est associée.")
        else:
            moves = {
                "prendre": lambda: travaux.prendre_en_compte(s, user, facture_id),
                "refuser": lambda: travaux.refuser(s, user, facture_id, "AUTRE", motif),
                "completer_demande": lambda: travaux.demander(
                    s, user, facture_id, StatutFacture.A_COMPLETER, motif),
                "recyclage": lambda: travaux.demander(
                    s, user, facture_id, StatutFacture.A_RECYCLER, motif),
                "completer": lambda: travaux.completer(s, user, facture_id, motif),
            }
            if action not in moves:
                raise errors.TransitionInterdite("Cette action n'existe pas.")
            facture = moves[action]()
            message = (f"La facture de travaux {facture.numero_facture} est passée au statut "
                       f"{_libelle(facture.statut)}.")
        s.commit()
        flash(message, "success")
    except BusinessError as refusal:
        s.rollback()
        flash(refusal.libelle, "error")
    return redirect(url_for("factures_portal.travaux_page"), 303)


@bp.get("/factures/a-valider")
@login_required
def a_valider():
    """Factures à valider: invoices the user's structures validate (cadres A9, A12)."""
    s, factures = _listed(visibility.validated_by)
    return render_template("factures/a_valider.html", factures=factures,
                           history=_history(s, [f.id for f in factures]),
                           structures=_names(s, factures), decisions=DECISIONS,
                           motifs=MOTIFS_REFUS, a_valider=StatutFacture.A_VALIDER_1,
                           form=ValiderForm())


@bp.post("/factures/a-valider/<int:facture_id>/traiter")
@login_required
def valider(facture_id: int):
    """The validator's decision on one invoice (as traiter/factureAValider)."""
    form = ValiderForm()
    if not form.validate() and csrf_failed(form):
        return form_expired()
    s = db.session(write=True)
    action = form.action.data or ""

    def decide() -> tuple[Facture, str]:
        if action not in {x.value for x in ActionValideur}:
            raise errors.TransitionInterdite("Choisissez une décision dans la liste.")
        return validation.traiter(s, logged_in_user(), facture_id, action,
                                  motif=form.motif.data or None,
                                  complement=form.complement.data or None)

    return _decide(s, decide, "factures_portal.a_valider")
