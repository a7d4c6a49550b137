"""Portal users: signup + activation, and rattachement to an existing structure.

Each journey is one task, done over HTTP as a browser does it (no JavaScript):
GET the form, read ``csrf_token``, answer the captcha the documented way, POST,
follow the 303, wait for the activation mail in Mailpit, GET then POST the link,
log in.
"""

from __future__ import annotations

import re
import time

import common
from locust import FastHttpUser, task

SIGNUP_METRIC = "submitted → activation mail readable"
DEMANDE_LINK = re.compile(r"/gestionnaire/demandes/(\d+)/valider")


class JourneyError(Exception):
    """A step of a journey went wrong (already reported as a failed request)."""


class PortalUser(FastHttpUser):
    """What the portal users share: forms, captcha, mail, activation, login."""

    abstract = True
    wait_time = common.think_time

    # ---- HTTP helpers (every dynamic URL grouped with name=)
    def _get_page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"GET {name}: HTTP {response.status_code}")
                raise JourneyError(name)
            return response.text

    def _post_form(self, path: str, name: str, fields: dict, expect_redirect_to: str | None
                   ) -> str:
        """POST a form; expect a 303 (to a path starting with ``expect_redirect_to``)."""
        with self.client.post(path, name=name, data=fields, catch_response=True,
                              allow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}
                              ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code not in (302, 303) or (
                expect_redirect_to and expect_redirect_to not in location
            ):
                response.failure(f"POST {name}: HTTP {response.status_code} "
                                 f"{common.page_errors(response.text)}")
                raise JourneyError(name)
            return location

    def _form(self, path: str, name: str) -> tuple[str, str]:
        page = self._get_page(path, name)
        token = common.form_value(page, "csrf_token")
        if token is None:
            raise JourneyError(f"no csrf_token on {name}")
        return page, token

    def _captcha(self, page: str) -> dict:
        """The captcha fields: empty when captcha_mode=off, else the control plane's answer."""
        captcha_id = common.form_value(page, "captcha_id")
        if not captcha_id:
            return {}
        with self.client.get(f"/_sandbox/captcha/{captcha_id}", name="/_sandbox/captcha/[id]",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"captcha answer: HTTP {response.status_code}")
                raise JourneyError("captcha")
            return {"captcha_id": captcha_id, "captcha": response.json()["answer"]}

    # ---- journey steps
    def signup(self, fields: dict, kind: str) -> object:
        """Submit the signup form; return the mail queue of the login address."""
        self.client.cookiejar.clear()
        page, token = self._form("/creer-un-compte", "/creer-un-compte")
        fields = dict(fields, csrf_token=token, **self._captcha(page))
        waiter = common.mail_waiter(self.environment)
        queue = waiter.expect(fields["login_email"])
        submitted = time.time()
        try:
            location = self._post_form("/creer-un-compte", f"/creer-un-compte [{kind}]", fields,
                                       "/creer-un-compte/confirmation")
        except JourneyError:
            waiter.forget(fields["login_email"])
            raise
        common.LEDGER.write(self.environment, "signup", email=fields["login_email"], kind=kind)
        self._get_page(common.path_of(location), "/creer-un-compte/confirmation")
        return queue, submitted

    def wait_activation_link(self, email: str, queue, submitted: float) -> str:
        """Wait for the activation mail; report the delay as an EMAIL request."""
        waiter = common.mail_waiter(self.environment)
        timeout = self.environment.parsed_options.mail_timeout
        deadline = submitted + timeout
        try:
            while True:
                item = waiter.next_message(queue, max(0.0, deadline - time.time()))
                if item is None:
                    error = TimeoutError(f"no activation mail for {email} after {timeout:.0f}s")
                    common.fire_email_metric(self.environment, SIGNUP_METRIC, submitted, None,
                                             error)
                    raise JourneyError(str(error))
                message, seen_at = item
                match = common.ACTIVATION_LINK.search(waiter.message_text(message["ID"]))
                if match:
                    common.fire_email_metric(self.environment, SIGNUP_METRIC, submitted, seen_at)
                    return match.group(0)
        finally:
            waiter.forget(email)

    def activate(self, link: str, password: str) -> None:
        path = common.path_of(link)
        _page, token = self._form(path, "/activation/[token]")
        fields = {"csrf_token": token, "password": password, "password_confirm": password}
        with self.client.post(path, name="/activation/[token] (POST)", data=fields,
                              catch_response=True, allow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}
                              ) as response:
            if response.status_code >= 400 or (
                response.status_code == 200 and "csrf_token" in (response.text or "")
                and "password_confirm" in (response.text or "")
            ):
                # 200 with the form again means the password was refused.
                response.failure(f"activation: HTTP {response.status_code}")
                raise JourneyError("activation")

    def login(self, email: str, password: str) -> None:
        self.client.cookiejar.clear()
        _page, token = self._form("/connexion", "/connexion")
        self._post_form("/connexion", "/connexion (POST)",
                        {"csrf_token": token, "login": email, "password": password},
                        "/mon-compte")
        self._get_page("/mon-compte", "/mon-compte")

    def activate_and_login(self, email: str, link: str) -> None:
        password = common.strong_password()
        self.activate(link, password)
        self.login(email, password)
        common.LEDGER.write(self.environment, "activated", email=email)


class SignupUser(PortalUser):
    """Creates an account and a new structure, activates it from the mail, logs in."""

    weight = 3

    @task
    def signup_and_activate(self) -> None:
        email = common.unique_email("signup")
        try:
            queue, submitted = self.signup(
                common.signup_fields(email, common.random_siret()), "structure")
            link = self.wait_activation_link(email, queue, submitted)
            self.activate_and_login(email, link)
        except JourneyError:
            return


class RattachementUser(PortalUser):
    """A requester asks to join an existing structure; its gestionnaire validates.

    On start, the user creates its own structure (signup + activation) and so
    becomes its gestionnaire principal; each task then brings a new requester.
    """

    weight = 1

    def on_start(self) -> None:
        self.gestionnaire = None
        email = common.unique_email("gest")
        siret = common.random_siret()
        try:
            queue, submitted = self.signup(common.signup_fields(email, siret), "structure")
            link = self.wait_activation_link(email, queue, submitted)
            password = common.strong_password()
            self.activate(link, password)
            common.LEDGER.write(self.environment, "activated", email=email)
        except JourneyError:
            return
        self.gestionnaire = (email, password, siret)

    @task
    def join_and_validate(self) -> None:
        if self.gestionnaire is None:
            self.on_start()
            if self.gestionnaire is None:
                return
        gest_email, gest_password, siret = self.gestionnaire
        email = common.unique_email("rattach")
        try:
            queue, submitted = self.signup(common.signup_fields(email, siret), "rattachement")
            link = self.wait_activation_link(email, queue, submitted)
            self.validate_as_gestionnaire(gest_email, gest_password, email)
            self.activate_and_login(email, link)
        except JourneyError:
            return

    def validate_as_gestionnaire(self, gest_email: str, gest_password: str,
                                 requester: str) -> None:
        self.login(gest_email, gest_password)
        page = self._get_page("/gestionnaire/demandes", "/gestionnaire/demandes")
        position = page.find(requester)
        match = DEMANDE_LINK.search(page, position) if position >= 0 else None
        if match is None:
            self.environment.events.request.fire(
                request_type="CHECK", name="demande visible to its gestionnaire",
                response_time=0, response_length=0, context={},
                exception=JourneyError(f"no demande for {requester} on the gestionnaire page"))
            raise JourneyError("demande not found")
        token = common.form_value(page, "csrf_token")
        self._post_form(f"/gestionnaire/demandes/{match.group(1)}/valider",
                        "/gestionnaire/demandes/[id]/valider",
                        {"csrf_token": token or "", "commentaire": ""}, None)
        self.client.cookiejar.clear()
