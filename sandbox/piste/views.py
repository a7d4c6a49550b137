"""Portal pages about API access (French): Raccordements (PISTE applications, the APIs each
subscribes to) and the gestionnaire's technical-account page (create, reset; the password
is shown once)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Length, Optional

from sandbox import clock, db
from sandbox.accounts import rights, technical
from sandbox.models import OAuthClient, Structure
from sandbox.piste import subscriptions
from sandbox.piste.oauth import create_oauth_client
from sandbox.portal import auth
from sandbox.portal.forms import PostForm
from sandbox.portal.pages import CSRF_MESSAGE, csrf_failed, no_store

bp = Blueprint("piste_portal", __name__, template_folder="templates")



class ApplicationForm(FlaskForm):
    """Créer une application PISTE (raccordement API)."""

    nom = StringField("Nom de l'application", validators=[Optional(), Length(max=200)])


bp.after_request(no_store)  # these pages show secrets and passwords


def _api_urls() -> dict:
    base = current_app.config["SANDBOX"].public_base_url.rstrip("/")
    return {"token_url": f"{base}/api/oauth/token", "api_url": base}


def _render_raccordements(form: ApplicationForm, status: int = 200):
    user = auth.logged_in_user()
    clients = (
        db.session()
        .scalars(
            select(OAuthClient).where(OAuthClient.owner_user_id == user.id).order_by(OAuthClient.id)
        )
        .all()
    )
    s = db.session()
    return (
        render_template(
            "piste/raccordements.html",
            clients=clients,
            apis={c.id: subscriptions.subscribed(s, c) for c in clients},
            catalogue=subscriptions.LABELS,
            structures=rights.managed_structures(db.session(), user.id),
            form=form,
            **_api_urls(),
        ),
        status,
    )


@bp.get("/raccordements")
@auth.login_required
def raccordements():
    """The user's PISTE applications (client id and secret) and how to call the API."""
    return _render_raccordements(ApplicationForm(formdata=None))


@bp.post("/raccordements")
@auth.login_required
def creer_application():
    """Create a PISTE application for the logged-in user."""
    form = ApplicationForm()
    if not form.validate_on_submit():
        if csrf_failed(form):
            flash(CSRF_MESSAGE, "error")
        return _render_raccordements(form, 400)
    user = auth.logged_in_user()
    name = (form.nom.data or "").strip() or f"APP_SANDBOX_{user.login}"
    s = db.session(write=True)
    client = create_oauth_client(s, name, user)
    s.commit()
    flash(f"L'application « {client.name} » a été créée.", "success")
    return redirect(url_for("piste_portal.raccordements"), 303)


@bp.post("/raccordements/<client_id>/api")
@auth.login_required
def souscrire(client_id: str):
    """Subscribe one of the user's applications to the APIs ticked (none ticked: none)."""
    user = auth.logged_in_user()
    s = db.session(write=True)
    client = s.scalars(select(OAuthClient).where(
        OAuthClient.client_id == client_id, OAuthClient.owner_user_id == user.id)).first()
    if client is None:
        return render_template(
            "portal/message.html", title="Application introuvable",
            message="Cette application n'existe pas ou ne vous appartient pas."), 404
    if not PostForm().validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return redirect(url_for("piste_portal.raccordements"), 303)
    try:
        apis = subscriptions.set_apis(s, client, request.form.getlist("apis"))
    except subscriptions.UnknownApi:
        s.rollback()
        flash("Une des API choisies n'existe pas : cochez les API dans la liste proposée.",
              "error")
        return redirect(url_for("piste_portal.raccordements"), 303)
    s.commit()
    if apis is None:
        what = "toutes les API"
    elif apis:
        what = ", ".join(subscriptions.LABELS[api] for api in subscriptions.ALL if api in apis)
    else:
        what = "aucune API : tous ses appels seront refusés (403)"
    flash(f"L'application « {client.name} » est souscrite à {what}.", "success")
    return redirect(url_for("piste_portal.raccordements"), 303)


def _structure_for_gestionnaire(structure_id: int):
    """The structure if the logged-in user is its gestionnaire principal, else an error page."""
    user = auth.logged_in_user()
    structure = db.session().get(Structure, structure_id)
    if structure is None:
        return None, (
            render_template(
                "portal/message.html",
                title="Structure introuvable",
                message="Cette structure n'existe pas.",
            ),
            404,
        )
    if not rights.is_gestionnaire_principal(db.session(), user.id, structure.id):
        return None, (
            render_template(
                "portal/message.html",
                title="Action non autorisée",
                message="Seul le gestionnaire principal de la structure peut gérer son "
                "compte technique.",
            ),
            403,
        )
    return structure, None


def _render_compte_technique(
    structure: Structure, password: str | None = None, action: str | None = None
):
    account = technical.find_technical_account(db.session(), structure.id)
    expired = (
        account is not None
        and account.password_expires_at is not None
        and account.password_expires_at <= clock.utcnow_naive()
    )
    return render_template(
        "piste/compte_technique.html",
        structure=structure,
        account=account,
        login=technical.technical_login(structure),
        expired=expired,
        password=password,
        action=action,
        form=PostForm(formdata=None),
        **_api_urls(),
    )


@bp.get("/gestionnaire/structures/<int:structure_id>/compte-technique")
@auth.login_required
def compte_technique(structure_id: int):
    """The structure's technical account: login, expiry, create or reset."""
    structure, refusal = _structure_for_gestionnaire(structure_id)
    if refusal:
        return refusal
    return _render_compte_technique(structure)


def _change(structure_id: int, action: str):
    structure, refusal = _structure_for_gestionnaire(structure_id)
    if refusal:
        return refusal
    if not PostForm().validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return redirect(url_for("piste_portal.compte_technique", structure_id=structure_id), 303)
    s = db.session()
    settings = current_app.config["SANDBOX"]
    operation = (
        technical.create_technical_account
        if action == "created"
        else technical.reset_technical_password
    )
    try:
        # Not db.unit_of_work: the password is hashed before the write lock is taken.
        _, password = operation(s, settings, structure, auth.logged_in_user())
        s.commit()
    except technical.TechnicalAccountRuleError as error:
        s.rollback()
        flash(str(error), "error")
        return redirect(url_for("piste_portal.compte_technique", structure_id=structure_id), 303)
    return _render_compte_technique(structure, password=password, action=action)


@bp.post("/gestionnaire/structures/<int:structure_id>/compte-technique/creer")
@auth.login_required
def creer_compte_technique(structure_id: int):
    """Create the technical account; its password is shown on this answer only."""
    return _change(structure_id, "created")


@bp.post("/gestionnaire/structures/<int:structure_id>/compte-technique/reinitialiser")
@auth.login_required
def reinitialiser_compte_technique(structure_id: int):
    """Give the technical account a new password, shown on this answer only."""
    return _change(structure_id, "reset")
