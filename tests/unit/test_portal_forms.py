"""The portal's form rendering is exactly WTForms' own: the country list rendered from a
cache, and every field through the faster ``html_params`` (``sandbox/portal/forms.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import wtforms.widgets
from flask import Flask
from markupsafe import Markup
from wtforms import Form, SelectField
from wtforms.widgets import core

from sandbox.portal import countries, forms
from sandbox.portal.forms import CountrySelect, choice, html_params


@contextmanager
def wtforms_own() -> Iterator[None]:
    """WTForms' own ``html_params`` for the block, then the portal's again."""
    core.html_params = wtforms.widgets.html_params = forms.WTFORMS_HTML_PARAMS
    core.Input.html_params = core.Button.html_params = staticmethod(forms.WTFORMS_HTML_PARAMS)
    try:
        yield
    finally:
        core.html_params = wtforms.widgets.html_params = html_params
        core.Input.html_params = core.Button.html_params = staticmethod(html_params)


class _Stock(Form):
    pays = SelectField("Pays", default="FR", validate_choice=False)


class _Cached(Form):
    pays = SelectField("Pays", default="FR", validate_choice=False, widget=CountrySelect())


@pytest.mark.parametrize("data", ["FR", "DE", "ZW", "", "ZZ", "fr", None])
@pytest.mark.parametrize("attributes", [{}, {"aria-invalid": "true",
                                             "aria-describedby": "erreur-pays"}])
def test_the_cached_country_list_is_what_wtforms_renders(data, attributes):
    values = None if data is None else {"pays": data}
    stock, cached = _Stock(data=values), _Cached(data=values)
    stock.pays.choices = [choice(code, name) for code, name in countries.choices()]
    with wtforms_own():
        expected = str(stock.pays(**attributes))
    assert str(cached.pays(**attributes)) == expected
    assert str(cached.pays(**attributes)) == expected  # the second time from the cache
    shown = "FR" if data is None else data  # no data: the field's default
    chosen = shown in {code for code, _ in countries.choices()}
    assert expected.count(" selected ") == chosen
    assert (f'<option selected value="{shown}">' in expected) == chosen


@pytest.mark.parametrize("attributes", [
    {},
    {"name": "login", "id": "login", "type": "email", "value": "", "maxlength": 254,
     "required": True, "disabled": False, "autocomplete": "username"},
    {"class_": "x", "for_": "y", "data_foo_bar": "v\"<>&'", "aria_describedby": "erreur-x",
     "value": None, "size": 0},
    {"value": Markup("<b>déjà</b>"), "checked": True, "title": "Société « Générale »"},
])
def test_html_params_is_wtforms_byte_for_byte(attributes):
    expected = forms.WTFORMS_HTML_PARAMS(**attributes)
    assert html_params(**attributes) == expected
    assert isinstance(html_params(**attributes), Markup)


@pytest.mark.parametrize("form_class", [forms.SignupForm, forms.ActivationForm,
                                        forms.NewLinkForm, forms.LoginForm, forms.CodeForm,
                                        forms.DecisionForm])
def test_every_portal_field_renders_as_wtforms_renders_it(form_class):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    data = {"login_email": 'a"b@example.test', "prenom": "Élodie <b>", "pays": "DE",
            "accepte_conditions": "y", "password": "x&y", "commentaire": "d'accord"}
    with app.test_request_context(method="POST", data=data):
        form = form_class()
        error = {"aria-invalid": "true", "aria-describedby": "erreur-x"}
        for field in form:
            for attributes in ({}, error):
                mine = str(field(**attributes))
                with wtforms_own():
                    expected = str(field(**attributes))
                assert mine == expected, field.name


def test_the_csrf_token_is_made_when_shown_and_checked_as_before():
    """The lazy CSRF field: building a form signs nothing and leaves the session alone;
    showing it renders Flask-WTF's token of the request; a POST is checked against the
    session's token as before (a wrong one refused, with Flask-WTF's own message)."""
    from flask import g, session
    from flask_wtf import FlaskForm
    from flask_wtf.csrf import generate_csrf

    from sandbox.portal.forms import LazyCSRFTokenField, LoginForm

    app = Flask(__name__)
    app.config.update(SECRET_KEY="clé", WTF_CSRF_TIME_LIMIT=None)
    with app.test_request_context("/connexion"):
        form = LoginForm()
        assert isinstance(form.csrf_token, LazyCSRFTokenField)
        assert "csrf_token" not in session and "csrf_token" not in g  # nothing signed yet
        html = str(form.csrf_token)
        token = generate_csrf()  # the request's one token, made by the render
        assert f'value="{token}"' in html and "csrf_token" in session
        raw = session["csrf_token"]
    for sent, ok in ((token, True), ("faux", False), ("", False)):
        with app.test_request_context("/connexion", method="POST",
                                      data={"csrf_token": sent, "login": "a@b.fr"}):
            session["csrf_token"] = raw
            form = LoginForm()
            assert form.validate_on_submit() is ok
            if not ok:
                assert form.errors["csrf_token"]
    assert issubclass(FlaskForm.Meta.csrf_class.field_class, LazyCSRFTokenField)
