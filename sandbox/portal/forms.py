"""Portal forms (Flask-WTF): fields, CSRF and rendering.

The accounts service is the one place that validates business input; the forms
only carry the fields, their bounds (``maxlength``) and the CSRF token, so the
server checks everything even without JavaScript.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)

from sandbox.accounts.validation import (
    LIBELLES_TYPE_IDENTIFIANT,
    LIBELLES_TYPE_STRUCTURE,
    MAX_LENGTHS,
)
from sandbox.models import TYPES_IDENTIFIANT, TYPES_STRUCTURE

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: str):
    """A select option in the form the installed WTForms prefers."""
    return SelectChoice(value, label) if SelectChoice else (value, label)


def _bounded(label: str, name: str, **kwargs) -> StringField:
    render_kw = {"maxlength": MAX_LENGTHS[name], **kwargs.pop("render_kw", {})}
    return StringField(label, render_kw=render_kw, **kwargs)


class SignupForm(FlaskForm):
    """Créer un compte (the field names are the contract's)."""

    login_email = _bounded(
        "Adresse électronique de connexion", "login_email",
        render_kw={"type": "email", "autocomplete": "email"},
    )
    prenom = _bounded("Prénom", "prenom", render_kw={"autocomplete": "given-name"})
    nom = _bounded("Nom", "nom", render_kw={"autocomplete": "family-name"})
    telephone = _bounded("Téléphone", "telephone", render_kw={"type": "tel"})
    email_contact = _bounded("E-mail du contact", "email_contact", render_kw={"type": "email"})
    type_identifiant = SelectField(
        "Type d'identifiant",
        choices=[choice("", "Sélectionnez un type")]
        + [choice(t, LIBELLES_TYPE_IDENTIFIANT[t]) for t in TYPES_IDENTIFIANT],
        validate_choice=False,
    )
    identifiant = _bounded("Identifiant", "identifiant")
    type_structure = SelectField(
        "Type de structure",
        choices=[choice(t, LIBELLES_TYPE_STRUCTURE[t]) for t in TYPES_STRUCTURE],
        default="PRIVEE",
        validate_choice=False,
    )
    structure_nom = _bounded("Nom", "structure_nom")
    structure_prenom = _bounded("Prénom", "structure_prenom")
    raison_sociale = _bounded("Libellé de l'organisation (raison sociale)", "raison_sociale")
    adresse = _bounded("Adresse", "adresse")
    complement_adresse_1 = _bounded("Complément d'adresse 1", "complement_adresse_1")
    complement_adresse_2 = _bounded("Complément d'adresse 2", "complement_adresse_2")
    code_postal = _bounded("Code postal", "code_postal")
    ville = _bounded("Ville", "ville")
    pays = SelectField("Pays", default="FR", validate_choice=False)
    accepte_conditions = BooleanField(
        "J'accepte que mes données personnelles soient transmises au ministre chargé du "
        "budget pour la gestion de mon compte Chorus Pro."
    )
    captcha_id = HiddenField()
    captcha = StringField(
        "Recopiez les caractères de l'image",
        render_kw={"maxlength": 10, "autocomplete": "off", "autocapitalize": "characters"},
    )


class ActivationForm(FlaskForm):
    """Choisir son mot de passe."""

    password = PasswordField(
        "Mot de passe", render_kw={"autocomplete": "new-password", "maxlength": 128}
    )
    password_confirm = PasswordField(
        "Confirmation du mot de passe",
        render_kw={"autocomplete": "new-password", "maxlength": 128},
    )


class NewLinkForm(FlaskForm):
    """Demander un nouveau lien d'activation."""

    login = StringField(
        "Adresse électronique de connexion",
        render_kw={"type": "email", "maxlength": 254, "autocomplete": "email"},
    )


class LoginForm(FlaskForm):
    """Se connecter."""

    login = StringField(
        "Adresse électronique de connexion",
        render_kw={"type": "email", "maxlength": 254, "autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe", render_kw={"autocomplete": "current-password", "maxlength": 128}
    )


class CodeForm(FlaskForm):
    """Code de connexion reçu par e-mail."""

    code = StringField(
        "Code reçu par e-mail",
        render_kw={"maxlength": 8, "autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PostForm(FlaskForm):
    """A button-only form (CSRF token only): déconnexion, nouveau lien."""


class DecisionForm(FlaskForm):
    """Valider ou refuser une demande de rattachement."""

    commentaire = TextAreaField("Commentaire (facultatif)", render_kw={"maxlength": 1000})
