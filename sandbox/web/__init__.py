"""App-wide web concerns: security headers on every response, and French HTML
error pages (404, 405, 413, 500, 503) for the portal's paths.

Which path belongs to which surface is ``sandbox.surfaces``'s table. Each surface's
HTTP errors go to the renderer registered for it on the app
(``surfaces.register_error_renderer``): this module registers the portal's French
pages, ``sandbox.resilience`` the API's and the control plane's JSON bodies; a surface
without one (health, the API documentation's files) keeps Werkzeug's answer.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from sandbox import surfaces

log = logging.getLogger("sandbox.web")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API documentation page (Swagger UI) configures itself with an inline script.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Activation links carry a token in their path: never send it elsewhere.
    "Referrer-Policy": "same-origin",
}
_SECURITY_HEADERS = tuple((name, name.lower(), value) for name, value in SECURITY_HEADERS.items())

ERROR_PAGES = {
    404: ("Page introuvable", "La page demandée n'existe pas ou n'est plus disponible."),
    405: ("Action non autorisée", "Cette action n'est pas possible sur cette page."),
    413: (
        "Envoi trop volumineux",
        "Les données envoyées dépassent la taille maximale acceptée. Réduisez-les et "
        "réessayez.",
    ),
    500: (
        "Erreur technique",
        "Une erreur technique est survenue. Réessayez dans quelques instants ; si elle "
        "persiste, redémarrez le bac à sable et consultez var/sandbox.log.",
    ),
    503: (
        "Service indisponible",
        "Le portail est momentanément indisponible (maintenance). Réessayez dans quelques "
        "instants.",
    ),
}

def _render_error(error: HTTPException) -> Response | HTTPException:
    render = surfaces.error_renderer(current_app, surfaces.current())
    return error if render is None else render(error)


def render_portal_error(error: HTTPException) -> Response | HTTPException:
    """An HTTP error on a portal path as a French page."""
    code = error.code or 500
    if code not in ERROR_PAGES:
        return error
    title, message = ERROR_PAGES[code]
    try:
        body = render_template("web/error.html", code=code, title=title, message=message)
    except Exception:  # the page itself must not fail: fall back to plain French text
        log.exception("error page %s could not be rendered", code)
        body = f"<!DOCTYPE html><html lang=\"fr\"><title>{title}</title><h1>{title}</h1>" \
               f"<p>{message}</p></html>"
    response = Response(body, status=code, mimetype="text/html")
    if code == 503:
        response.headers["Retry-After"] = "30"
    if code == 405 and error.get_headers():
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def init_app(app: Flask) -> None:
    """Add security headers to every response and French error pages to the portal."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # What ``headers.setdefault`` would do, for one pass over the headers: Werkzeug's
        # tells a missing header by raising and catching an HTTP exception, one per header
        # (~10 % of a ping's CPU; issue #24).
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        if surfaces.DOCS.owns(request.path) and "content-security-policy" not in present:
            headers.add("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY)
            present.add("content-security-policy")
        for name, lower, value in _SECURITY_HEADERS:
            if lower not in present:
                headers.add(name, value)
        return response

    app.register_blueprint(Blueprint("web", __name__, template_folder="templates"))
    surfaces.register_error_renderer(app, surfaces.PORTAL, render_portal_error)
    for code in ERROR_PAGES:
        app.register_error_handler(code, _render_error)
