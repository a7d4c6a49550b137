"""Portal forms (Flask-WTF): fields, CSRF and rendering.

The accounts service is the one place that validates business input; the forms
only carry the fields, their bounds (``maxlength``) and the CSRF token, so the
server checks everything even without JavaScript.
"""

from __future__ import annotations

from functools import cache, lru_cache

import wtforms.widgets
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import Select, core
from wtforms.widgets.core import clean_key

from sandbox.accounts.validation import (
    LIBELLES_TYPE_IDENTIFIANT,
    LIBELLES_TYPE_STRUCTURE,
    MAX_LENGTHS,
)
from sandbox.models import TYPES_IDENTIFIANT, TYPES_STRUCTURE
from sandbox.portal import countries

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: str):
    """A select option in the form the installed WTForms prefers."""
    return SelectChoice(value, label) if SelectChoice else (value, label)


WTFORMS_HTML_PARAMS = core.html_params  # WTForms' own, kept for the unit test


def html_params(**kwargs) -> Markup:
    """WTForms' ``html_params``, byte for byte (``tests/unit/test_portal_forms.py``), with
    f-strings instead of ``Markup.format``: markupsafe's escaping formatter cost ~50 µs
    per field, ~1.5 CPU-ms per signup flow (docs/performance.md). The value is escaped
    as markupsafe escapes it (``"`` already becomes ``&#34;``); the key as ``format``
    escaped it."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


# Every WTForms widget of the portal renders its attributes with it: the module function
# (Select, TextArea, options, labels) and the widgets' own attribute (Input, Button).
core.html_params = wtforms.widgets.html_params = html_params
core.Input.html_params = core.Button.html_params = staticmethod(html_params)


class LazyCSRFTokenField(CSRFTokenField):
    """WTForms' CSRF field, its token made when the page shows it rather than whenever the
    form is built: a form that is only read (a POST answered by a redirect) signed a token
    for nothing (~0.2 CPU-ms a form, docs/performance.md). The token is the same
    ``generate_csrf`` gives (one per request), checked as before (``pre_validate``)."""

    def process(self, *args, **kwargs) -> None:
        HiddenField.process(self, *args, **kwargs)  # CSRFTokenField's, less the token

    @property
    def current_token(self) -> str:
        token = self.__dict__.get("_token")
        if token is None:
            token = self.__dict__["_token"] = self.csrf_impl.generate_csrf_token(self)
        return token

    @current_token.setter
    def current_token(self, value: str) -> None:
        self.__dict__["_token"] = value


class _LazyCSRF(FlaskForm.Meta.csrf_class):
    field_class = LazyCSRFTokenField


# Every FlaskForm of every area (portal, PISTE pages, factures pages) gets the lazy field.
FlaskForm.Meta.csrf_class = _LazyCSRF


class _CountryList(Form):
    pays = SelectField(validate_choice=False)


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries.choices())


@cache  # one entry per country code, and one for "none selected"
def _country_options(selected: str | None) -> str:
    """The ``<option>`` tags of the country list with ``selected`` chosen, rendered once
    by WTForms' own widget."""
    form = _CountryList(data={"pays": selected})
    form.pays.choices = [choice(code, name) for code, name in countries.choices()]
    rendered = str(form.pays())
    return rendered[rendered.index(">") + 1 : -len("</select>")]


class CountrySelect(Select):
    """WTForms' ``Select`` showing the country list (``countries.choices()``, whatever the
    field's ``choices``): its 250 options are rendered once per selected code instead of on
    every page (they were most of the signup page's CPU)."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        selected = field.data if field.data in _country_codes() else None
        head = f"<select {html_params(name=field.name, **kwargs)}>"
        return Markup(f"{head}{_country_options(selected)}</select>")


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
    pays = SelectField("Pays", default="FR", validate_choice=False, widget=CountrySelect())
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
