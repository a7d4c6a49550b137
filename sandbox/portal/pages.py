"""What every portal page shares, whichever area serves it (portal, PISTE pages, the
qualification data sets): the French CSRF message, the no-store header, the
"formulaire expiré" page. A leaf module (Flask only), so any area's views import it."""

from __future__ import annotations

from flask import Response, render_template
from flask_wtf import FlaskForm

CSRF_MESSAGE = (
    "Le formulaire a expiré ou n'a pas pu être vérifié. Merci de le soumettre à nouveau."
)


def csrf_failed(form: FlaskForm) -> bool:
    """Whether ``form`` was refused for its CSRF token (not for its fields)."""
    return bool(form.errors.get("csrf_token"))


def no_store(response: Response) -> Response:
    """``after_request`` of pages with personal data, secrets or one-time links: never
    cache them."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def form_expired() -> tuple[str, int]:
    """The 400 page of a form whose CSRF token is missing or stale."""
    return render_template(
        "portal/message.html", title="Formulaire expiré", message=CSRF_MESSAGE
    ), 400
