"""A scripted portal visitor over HTTP (tests, load runs, tools): test tooling, not a
portal page, hence in ``sandbox.testing``.

``PortalClient`` does what a person does with the forms — fetch the page, keep
its CSRF token and captcha id, post the fields — with ``requests``. The captcha
is answered through the control plane (``GET /_sandbox/captcha/<id>``), or by a
callable given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    """A form found in a page: its action and its fields' current values."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", "")))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "y" if kind == "checkbox" else "")
        elif tag in {"select", "textarea"} and a.get("name"):
            self._select = a["name"]
            self.forms[-1].fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1].fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"select", "textarea"}:
            self._select = None


def parse_forms(html: str) -> list[Form]:
    """Every form of an HTML page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, action_contains: str) -> Form:
    """The form whose action is ``action_contains``, else the first whose action contains
    it (``/raccordements`` is the creation form, not ``/raccordements/<id>/api``)."""
    forms = parse_forms(html)
    for form in forms:
        if form.action.split("?")[0] == action_contains:
            return form
    for form in forms:
        if action_contains in form.action:
            return form
    raise LookupError(f"no form posting to *{action_contains}* in the page")


class PortalClient:
    """One visitor (its own cookies) of the portal at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        captcha_answer: Callable[[str], str] | None = None,
        timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout
        self.captcha_answer = captcha_answer or self.captcha_from_control_plane

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url(path), timeout=self.timeout, **kwargs)

    def captcha_from_control_plane(self, captcha_id: str) -> str:
        """The answer of a challenge, revealed by ``GET /_sandbox/captcha/<id>``."""
        answer = self.http.get(self.url(f"/_sandbox/captcha/{captcha_id}"), timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()["answer"]

    def submit(
        self,
        page: str,
        values: dict[str, str],
        action_contains: str | None = None,
        solve_captcha: bool = True,
        allow_redirects: bool = False,
    ) -> requests.Response:
        """Open ``page``, fill its form with ``values`` and post it."""
        response = self.get(page)  # error pages may carry a form (expired link)
        if response.status_code >= 500:
            response.raise_for_status()
        form = find_form(response.text, action_contains or page.split("?")[0])
        fields = dict(form.fields)
        fields.update(values)
        if solve_captcha and fields.get("captcha_id") and "captcha" not in values:
            fields["captcha"] = self.captcha_answer(fields["captcha_id"])
        return self.http.post(
            self.url(form.action or page),
            data=fields,
            timeout=self.timeout,
            allow_redirects=allow_redirects,
        )

    def csrf_token(self) -> str:
        """A CSRF token of this visitor's session (valid for any of its forms)."""
        page = self.get("/connexion")
        page.raise_for_status()
        return find_form(page.text, "/connexion").fields["csrf_token"]

    def post(self, path: str, values: dict[str, str]) -> requests.Response:
        """Post ``values`` to ``path`` with a valid CSRF token, without opening its page
        (for pages that show no form, such as a used activation link)."""
        return self.http.post(
            self.url(path), data={"csrf_token": self.csrf_token(), **values},
            timeout=self.timeout, allow_redirects=False,
        )

    def signup(self, values: dict[str, str], **kwargs) -> requests.Response:
        """Post "Créer un compte" (303 to the confirmation page when accepted)."""
        return self.submit("/creer-un-compte", values, **kwargs)

    def activate(self, link: str, password: str, confirm: str | None = None) -> requests.Response:
        """Open an activation link and choose a password."""
        path = link[len(self.base_url):] if link.startswith(self.base_url) else link
        values = {"password": password,
                  "password_confirm": password if confirm is None else confirm}
        if self.get(path).status_code != 200:  # no form shown: post anyway
            return self.post(path, values)
        return self.submit(path, values, action_contains="/activation/")

    def login(self, login: str, password: str) -> requests.Response:
        """Post "Se connecter" (303 to /mon-compte when accepted)."""
        return self.submit("/connexion", {"login": login, "password": password})

    def logout(self) -> requests.Response:
        """Post "Se déconnecter"."""
        return self.submit("/mon-compte", {}, action_contains="/deconnexion")
