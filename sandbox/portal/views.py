"""The portal's pages: parse the form, call the account rules (sandbox/accounts/), render
French HTML.

Why this size (over ~400 lines): Every page of the account flow (signup, activation, login,
second factor, demandes), each a few lines over the account rules; the rules themselves are
in sandbox/accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.accounts import errors, rights, validation
from sandbox.accounts.activation import (
    activate,
    check_activation_link,
    check_rattachements,
    password_policy,
    reissue_activation_link,
    request_new_activation_link,
)
from sandbox.accounts.login import authenticate
from sandbox.accounts.rattachements import decide_rattachement
from sandbox.accounts.second_factor import start_second_factor, verify_second_factor
from sandbox.accounts.signup import signup
from sandbox.models import Rattachement, Structure, User
from sandbox.portal import auth, captcha
from sandbox.portal.forms import (
    ActivationForm,
    CodeForm,
    DecisionForm,
    LoginForm,
    NewLinkForm,
    PostForm,
    SignupForm,
)
from sandbox.portal.pages import CSRF_MESSAGE, no_store
from sandbox.portal.pages import csrf_failed as _csrf_failed
from sandbox.vocabulary import Role, StatutRattachement

bp = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/portal-static",
)

# Keyed by the enums, looked up by the column's str (a StrEnum member is its str).
LIBELLES_STATUT_RATTACHEMENT: dict[str, str] = {
    StatutRattachement.EN_COURS_DE_VALIDATION: "En cours de validation",
    StatutRattachement.VALIDEE: "Validée",
    StatutRattachement.REFUSEE: "Refusée",
    StatutRattachement.DESACTIVEE: "Désactivée",
    StatutRattachement.SUPPRIMEE: "Supprimée",
}
LIBELLES_ROLE: dict[str, str] = {Role.GESTIONNAIRE_PRINCIPAL: "Gestionnaire principal",
                 Role.UTILISATEUR: "Utilisateur"}

# (name, description, endpoint of the page it opens once logged in)
DOMAINES = [
    ("Marché", "Passation", "portal.mon_compte"),
    ("Commande", "Engagements, cessions", "portal.mon_compte"),
    ("Facturation", "Factures, factures de travaux, frais de justice, remboursement de taxes",
     "portal.mon_compte"),
    ("Organisation", "Structures, habilitations, annuaire", "portal.mon_compte"),
    ("Raccords", "Raccords EDI, API", "piste_portal.raccordements"),
    ("Outils", "Signature", "portal.mon_compte"),
]


def _settings():
    return current_app.config["SANDBOX"]


@bp.app_template_filter("statut_rattachement")
def _statut_rattachement(value: str) -> str:
    return LIBELLES_STATUT_RATTACHEMENT.get(value, value)


@bp.app_template_filter("role")
def _role(value: str) -> str:
    return LIBELLES_ROLE.get(value, value)


bp.after_request(no_store)  # pages carry personal data and one-time links

# Every error of the account rules has a French page (title, HTTP status). A view
# handles the errors it expects where it can do better (a form shown again, a link
# page); whatever escapes a view ends here, never as a 500. tests/test_portal_errors.py
# checks that each class of sandbox.accounts.errors has its own row.
ERROR_PAGES: dict[type[Exception], tuple[str, int]] = {
    errors.AccountError: ("Action impossible", 400),
    errors.ValidationErrors: ("Formulaire incorrect", 400),
    errors.LinkError: ("Lien d'activation inutilisable", 400),
    errors.UnknownLinkError: ("Lien d'activation inconnu", 404),
    errors.ExpiredLinkError: ("Lien d'activation expiré", 410),
    errors.UsedLinkError: ("Lien d'activation déjà utilisé", 410),
    errors.RevokedLinkError: ("Lien d'activation remplacé", 410),
    errors.RattachementPendingError: ("Rattachement en cours de validation", 403),
    errors.RattachementRefusedError: ("Rattachement refusé", 403),
    errors.WeakPasswordError: ("Mot de passe refusé", 400),
    errors.AlreadyActiveError: ("Compte déjà activé", 409),
    errors.AuthenticationError: ("Connexion impossible", 401),
    errors.InvalidCredentialsError: ("Connexion impossible", 401),
    errors.AccountNotActivatedError: ("Compte non activé", 403),
    errors.AccountLockedError: ("Compte bloqué", 423),
    errors.TechnicalAccountLoginError: ("Compte technique", 403),
    errors.InvalidCodeError: ("Code de vérification incorrect", 401),
    errors.RattachementNotFoundError: ("Demande introuvable", 404),
    errors.RattachementAlreadyDecidedError: ("Demande déjà traitée", 409),
    errors.NotGestionnaireError: ("Action non autorisée", 403),
}
LOGIN_LINK_ERRORS = (errors.AlreadyActiveError, errors.UsedLinkError, errors.AccountLockedError)


def error_page(error: errors.AccountError):
    """The French page of an account-rule error (the nearest class's row of ERROR_PAGES)."""
    title, status = next(ERROR_PAGES[kind] for kind in type(error).__mro__
                         if kind in ERROR_PAGES)
    return render_template("portal/message.html", title=title, message=error.message,
                           login_link=isinstance(error, LOGIN_LINK_ERRORS)), status


bp.register_error_handler(errors.AccountError, error_page)


# Accueil ---------------------------------------------------------------------


@bp.get("/")
def accueil():
    """Home page: domain tiles, "Créer un compte" and "Se connecter"."""
    return render_template("portal/accueil.html", domaines=DOMAINES)


# Créer un compte ---------------------------------------------------------------


def _render_signup(form: SignupForm, field_errors: dict[str, str], status: int = 200):
    settings = _settings()
    captcha_id = None
    if settings.captcha_mode != "off":
        captcha_id = captcha.new_challenge()
        form.captcha_id.data = captcha_id
        form.captcha.data = ""
    chosen = (form.type_identifiant.data or "").upper()
    return (
        render_template(
            "portal/creer_un_compte.html",
            form=form,
            field_errors=field_errors,
            captcha_id=captcha_id,
            formats=validation.FORMATS_IDENTIFIANT,
            libelles_types=validation.LIBELLES_TYPE_IDENTIFIANT,
            chosen_format=validation.FORMATS_IDENTIFIANT.get(chosen),
        ),
        status,
    )


@bp.route("/creer-un-compte", methods=["GET", "POST"])
def creer_un_compte():
    """Créer un compte: personal block, structure block, conditions, captcha."""
    form = SignupForm()
    if request.method == "GET":
        return _render_signup(form, {})
    if not form.validate_on_submit():
        if _csrf_failed(form):
            flash(CSRF_MESSAGE, "error")
        return _render_signup(form, {}, 400)
    settings = _settings()
    field_errors: dict[str, str] = {}
    s = db.session()
    captcha_ok = True
    if settings.captcha_mode != "off":
        captcha_ok = captcha.check(s, form.captcha_id.data or "", form.captcha.data or "")
        if not captcha_ok:
            field_errors["captcha"] = (
                "Les caractères saisis ne correspondent pas à l'image. Recopiez la nouvelle image."
            )
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    data["accepte_conditions"] = "y" if form.accepte_conditions.data else ""
    if captcha_ok:
        try:
            result = signup(db.session(write=True), settings, data)
        except errors.ValidationErrors as error:
            field_errors.update(error.errors)
        else:
            session["signup"] = {
                "login": result.user.login,
                "mails": result.mails,
                "created_structure": result.created_structure,
                "structure": result.structure.designation,
                "identifiant": result.structure.identifiant,
            }
            return redirect(url_for("portal.confirmation"), 303)
    else:
        # Show every other problem too, without creating anything.
        cleaned = validation.clean_signup(data)
        field_errors.update({k: v for k, v in cleaned.errors.items() if k not in field_errors})
    return _render_signup(form, field_errors, 400)


@bp.get("/creer-un-compte/confirmation")
def confirmation():
    """After "Créer mon compte": which e-mails were sent to whom."""
    summary = session.get("signup")
    if not summary:
        return redirect(url_for("portal.creer_un_compte"))
    return render_template("portal/confirmation.html", summary=summary)


@bp.get("/captcha/<captcha_id>.png")
def captcha_image(captcha_id: str):
    """The captcha's image (404 once used or expired)."""
    png = captcha.image_png(db.session(), captcha_id)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


# Activation ------------------------------------------------------------------


def _link_error_page(error: errors.AccountError, token: str | None = None):
    """A distinct page per kind of unusable link, each offering a new link."""
    if isinstance(error, errors.UnknownLinkError):
        kind, status = "inconnu", 404
    elif isinstance(error, errors.RevokedLinkError):
        kind, status = "remplace", 410
    elif isinstance(error, errors.UsedLinkError):
        kind, status = "utilise", 410
    elif isinstance(error, errors.ExpiredLinkError):
        kind, status = "expire", 410
    elif isinstance(error, errors.RattachementPendingError):
        kind, status = "rattachement_en_cours", 403
    elif isinstance(error, errors.RattachementRefusedError):
        kind, status = "rattachement_refuse", 403
    else:
        kind, status = "autre", 400
    return (
        render_template(
            "portal/lien_activation.html",
            kind=kind,
            error=error,
            token=token,
            form=PostForm(),
            new_link_form=NewLinkForm(formdata=None),
        ),
        status,
    )


def _render_activation(token: str, user: User, form: ActivationForm, problems: list[str],
                       status: int = 200):
    return (
        render_template(
            "portal/activation.html",
            form=form,
            token=token,
            user=user,
            problems=problems,
            rules=password_policy(_settings()),
        ),
        status,
    )


@bp.route("/activation/<token>", methods=["GET", "POST"])
def activation(token: str):
    """GET shows the password form (never activates); POST activates."""
    settings = _settings()
    s = db.session()
    token = token[:100]
    try:
        user = check_activation_link(s, token)
        check_rattachements(s, user)
    except (errors.LinkError, errors.RattachementPendingError,
            errors.RattachementRefusedError) as error:
        return _link_error_page(error, token)
    form = ActivationForm()
    if request.method == "GET":
        return _render_activation(token, user, form, [])
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return _render_activation(token, user, form, [], 400)
    password = form.password.data or ""
    if password != (form.password_confirm.data or ""):
        return _render_activation(
            token, user, form, ["Les deux mots de passe saisis sont différents."], 400
        )
    try:
        user = activate(s, settings, token, password, checked=user)
    except errors.WeakPasswordError as error:
        return _render_activation(token, user, form, error.problems, 400)
    except (errors.LinkError, errors.RattachementPendingError,
            errors.RattachementRefusedError) as error:
        return _link_error_page(error, token)
    flash(
        "Votre compte est activé. Vous pouvez maintenant vous connecter avec votre adresse "
        "électronique de connexion et votre mot de passe.",
        "success",
    )
    return redirect(url_for("portal.connexion", login=user.login), 303)


@bp.post("/activation/<token>/nouveau-lien")
def nouveau_lien_depuis_lien(token: str):
    """Send a new link to the owner of an expired or superseded link."""
    form = PostForm()
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return redirect(url_for("portal.activation", token=token), 303)
    try:
        reissue_activation_link(db.session(), _settings(), token[:100])
    except errors.UnknownLinkError as error:
        return _link_error_page(error)
    except errors.AlreadyActiveError as error:
        return error_page(error)
    return render_template("portal/nouveau_lien_envoye.html")


@bp.route("/activation/nouveau-lien", methods=["GET", "POST"])
def nouveau_lien():
    """Ask for a new activation link by login address (same answer either way)."""
    form = NewLinkForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(CSRF_MESSAGE, "error")
        else:
            login = (form.login.data or "").strip()
            if not validation.is_email(login.lower()):
                return render_template("portal/nouveau_lien.html", form=form, error=(
                    "Adresse électronique mal formée (format attendu : nom@domaine.fr)."
                )), 400
            request_new_activation_link(db.session(), _settings(), login)
            return render_template("portal/nouveau_lien_envoye.html", login=login)
    return render_template("portal/nouveau_lien.html", form=form, error=None)


# Connexion -------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("portal.mon_compte")


@bp.route("/connexion", methods=["GET", "POST"])
def connexion():
    """Se connecter (login address and password; an e-mailed code if two_factor)."""
    form = LoginForm()
    if request.method == "GET":
        if not form.login.data and request.args.get("login"):
            form.login.data = request.args.get("login", "")[:254]
        return render_template("portal/connexion.html", form=form, error=None,
                               next=request.args.get("next", ""))
    next_url = request.form.get("next", "")
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return render_template("portal/connexion.html", form=form, error=None,
                               next=next_url), 400
    settings = _settings()
    s = db.session()
    opened: list[str] = []  # the portal session's id, written with the login's settlement

    def open_session(session_: Session, user_: User) -> None:
        opened.append(auth.add_session_row(session_, user_))

    try:
        user = authenticate(s, settings, form.login.data or "", form.password.data or "",
                            on_success=None if settings.two_factor else open_session)
    except errors.AuthenticationError as error:
        status = 423 if isinstance(error, errors.AccountLockedError) else 401
        return render_template("portal/connexion.html", form=form, error=error.message,
                               not_activated=isinstance(error, errors.AccountNotActivatedError),
                               next=next_url), status
    if settings.two_factor:
        start_second_factor(s, settings, user)
        session.clear()
        session["2fa_uid"] = user.id
        session["2fa_next"] = _safe_next(next_url)
        return redirect(url_for("portal.code_connexion"), 303)
    auth.login_user(user, opened[0] if opened else None)
    return redirect(_safe_next(next_url), 303)


@bp.route("/connexion/code", methods=["GET", "POST"])
def code_connexion():
    """Second step of the login when ``two_factor`` is on: the e-mailed code."""
    user_id = session.get("2fa_uid")
    if user_id is None:
        return redirect(url_for("portal.connexion"))
    form = CodeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(CSRF_MESSAGE, "error")
        else:
            try:
                user = verify_second_factor(
                    db.session(), _settings(), user_id, form.code.data or ""
                )
            except errors.AuthenticationError as error:
                if isinstance(error, errors.AccountLockedError):
                    session.clear()
                return render_template("portal/code.html", form=form,
                                       error=error.message), 401
            target = session.get("2fa_next") or url_for("portal.mon_compte")
            auth.login_user(user)
            return redirect(_safe_next(target), 303)
    return render_template("portal/code.html", form=form, error=None)


@bp.post("/deconnexion")
def deconnexion():
    """Se déconnecter."""
    form = PostForm()
    if form.validate_on_submit():
        auth.logout_user()
        flash("Vous êtes déconnecté.", "success")
    else:
        flash(CSRF_MESSAGE, "error")
    return redirect(url_for("portal.accueil"), 303)


# Mon compte ------------------------------------------------------------------


_MES_RATTACHEMENTS = (  # built once, the user bound at each request
    select(Rattachement, Structure)
    .join(Structure, Structure.id == Rattachement.structure_id)
    .where(Rattachement.user_id == bindparam("user_id"))
    .order_by(Rattachement.id)
)


@bp.get("/mon-compte")
@auth.login_required
def mon_compte():
    """The user's details and rattachements (role and status)."""
    user = auth.logged_in_user()
    rows = db.session().execute(_MES_RATTACHEMENTS, {"user_id": user.id}).all()
    return render_template("portal/mon_compte.html", user=user, rattachements=rows,
                           libelles_types=validation.LIBELLES_TYPE_IDENTIFIANT)


# Gestionnaire ----------------------------------------------------------------


@bp.get("/gestionnaire/demandes")
@auth.login_required
def demandes():
    """The pending demandes de rattachement of the structures the user manages."""
    user = auth.logged_in_user()
    managed = rights.managed_structure_ids(db.session(), user.id)
    rows: Sequence[Row[Rattachement, User, Structure]] = []
    if managed:
        rows = db.session().execute(
            select(Rattachement, User, Structure)
            .join(User, User.id == Rattachement.user_id)
            .join(Structure, Structure.id == Rattachement.structure_id)
            .where(
                Rattachement.structure_id.in_(managed),
                Rattachement.statut == StatutRattachement.EN_COURS_DE_VALIDATION,
            )
            .order_by(Rattachement.created_at, Rattachement.id)
        ).all()
    return render_template("portal/demandes.html", demandes=rows, managed=bool(managed),
                           form=DecisionForm(formdata=None))


def _decide(rattachement_id: int, decision: str):
    user = auth.logged_in_user()
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return redirect(url_for("portal.demandes"), 303)
    try:
        rattachement = decide_rattachement(
            db.session(), _settings(), rattachement_id, decision,
            commentaire=form.commentaire.data, decided_by=user,
        )
    except (errors.NotGestionnaireError, errors.RattachementNotFoundError) as error:
        return error_page(error)
    except errors.RattachementAlreadyDecidedError as error:
        flash(error.message, "error")
        return redirect(url_for("portal.demandes"), 303)
    except errors.ValidationErrors as error:
        flash(error.errors.get("commentaire", error.message), "error")
        return redirect(url_for("portal.demandes"), 303)
    requester = db.session().get(User, rattachement.user_id)
    verb = "validée" if decision == StatutRattachement.VALIDEE else "refusée"
    # The requester was mailed in the decision's transaction; deleted since (a reset of
    # the sandbox meanwhile), the message names no one.
    demande = f"La demande de {requester.prenom} {requester.nom}" if requester else "La demande"
    flash(f"{demande} a été {verb} ; un e-mail l'en informe.", "success")
    return redirect(url_for("portal.demandes"), 303)


@bp.post("/gestionnaire/demandes/<int:rattachement_id>/valider")
@auth.login_required
def valider(rattachement_id: int):
    """Validate a demande de rattachement."""
    return _decide(rattachement_id, StatutRattachement.VALIDEE)


@bp.post("/gestionnaire/demandes/<int:rattachement_id>/refuser")
@auth.login_required
def refuser(rattachement_id: int):
    """Refuse a demande de rattachement (optional comment)."""
    return _decide(rattachement_id, StatutRattachement.REFUSEE)
