"""Every error of the account rules has a French portal page (never a 500, #14.2)."""

from __future__ import annotations

import inspect

import pytest
from markupsafe import escape

from sandbox.accounts import errors
from sandbox.portal import views

ACCOUNT_ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
                  if issubclass(cls, errors.AccountError) and cls.__module__ == errors.__name__]


def _instance(cls: type[errors.AccountError]) -> errors.AccountError:
    """One instance of ``cls`` whatever its constructor asks for."""
    for args in ((), (7,), (["trop court"],), ({"login_email": "manquant"},), ("demain 10:00",)):
        try:
            return cls(*args)
        except (TypeError, ValueError):
            continue
    raise AssertionError(f"cannot build {cls.__name__}")


def test_the_account_errors_are_all_listed():
    assert len(ACCOUNT_ERRORS) >= 20
    missing = [cls.__name__ for cls in ACCOUNT_ERRORS if cls not in views.ERROR_PAGES]
    assert not missing, f"no portal page for {missing}"


@pytest.mark.parametrize("cls", ACCOUNT_ERRORS, ids=lambda cls: cls.__name__)
def test_each_account_error_renders_a_french_page(cls, tmp_path):
    from stack_support import app_factory

    with app_factory(tmp_path / "errors.sqlite") as make:
        app = make()
        with app.test_request_context("/"):
            error = _instance(cls)
            body, status = views.error_page(error)
    assert 400 <= status < 500
    assert str(escape(error.message)) in body
    assert str(escape(views.ERROR_PAGES[cls][0])) in body
    assert '<html lang="fr"' in body
