"""Drive a running sandbox from tests: control plane, signup through the portal, API client.

``SandboxClient(url, mailpit_url)`` wraps the control plane (``reset``, ``set_clock``,
``inject_fault``, ``override``, ``maintenance``, ``requests_journal``, ``verify``,
``assert_received``, ``unmatched``, ``mails``) and performs whole
user actions over HTTP: ``signup(...)`` (form, CSRF, captcha answer from the control
plane, activation mail read from Mailpit, password chosen) and
``technical_client(...)`` (a ``requests.Session`` with a PISTE token and the
``cpro-account`` header, ready for ``/cpro/...``).
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import requests

from sandbox.config import load_settings
from sandbox.stack import wait_until
from sandbox.testing.portal import PortalClient


class SandboxError(AssertionError):
    """The sandbox did not do what a helper asked (the message says what it answered)."""


def random_siret(rng: random.Random | None = None) -> str:
    """A valid, random SIRET (Luhn on the SIREN and on the whole number)."""
    from stdnum import luhn

    rng = rng or random.Random(uuid.uuid4().int)
    siren = "".join(rng.choice("0123456789") for _ in range(8))
    siren += luhn.calc_check_digit(siren)
    body = siren + "".join(rng.choice("0123456789") for _ in range(4))
    return body + luhn.calc_check_digit(body)


_FIELD_ERROR = re.compile(r'<p class="error" id="erreur-([\w-]+)"[^>]*>(.*?)</p>', re.S)


def _text(html: str) -> str:
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())


def _problems(html: str) -> str:
    """What a refused portal page says: its field errors ("field: message; ..."), else
    the readable text of the page, shortened."""
    fields = [f"{name}: {_text(message)}" for name, message in _FIELD_ERROR.findall(html)]
    if fields:
        return "; ".join(fields)
    return _text(html)[:400]


class BaseUrlSession(requests.Session):
    """A ``requests.Session`` that resolves relative URLs against a base URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") + "/"

    def request(  # the base's signature: its parameters pass through *args and **kwargs
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any,
    ) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        path = url.decode() if isinstance(url, bytes) else url  # requests decodes it so too
        return super().request(method, urljoin(self.base_url, path.lstrip("/")), *args, **kwargs)


class Override:
    """An override rule in force (``SandboxClient.override``); ``with`` removes it."""

    def __init__(self, client: SandboxClient, name: str) -> None:
        self.client = client
        self.name = name

    def used(self) -> int:
        """How many requests it answered, if it has ``times`` (else 0)."""
        faults = self.client.faults()
        for rule, used in zip(faults["rules"], faults["used"], strict=True):
            if rule.get("name") == self.name:
                return used or 0
        return 0

    def remove(self) -> None:
        """Take the rule out (the other rules stay)."""
        self.client.remove_rule(self.name)

    def __enter__(self) -> Override:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.remove()


def _target(path: str, path_regex: str | None, method: str | list[str] | None,
            probability: float) -> dict[str, Any]:
    """The targeting part of a fault or override rule."""
    rule: dict[str, Any] = {"probability": probability}
    if path_regex is not None:
        rule["pathRegex"] = path_regex
    else:
        rule["path"] = path
    if method is not None:
        rule["method"] = method
    return rule


_MATCHER_FIELDS = {"path_glob": "pathGlob", "path_regex": "pathRegex",
                   "body_partial": "bodyPartial", "body_equal": "bodyEqual",
                   "client_id": "clientId"}


def _matcher(**given: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        body[_MATCHER_FIELDS.get(name, name)] = value
    return body


def _line(entry: dict) -> str:
    text = f"{entry.get('method')} {entry.get('path')}"
    if entry.get("query"):
        text += f"?{entry['query']}"
    text += f" -> {entry.get('status')}"
    if entry.get("body") is not None:
        text += f" body={json.dumps(entry['body'], ensure_ascii=False)[:200]}"
    return text


def _verify_report(wanted: str, matcher: dict, answer: dict) -> str:
    lines = [f"expected {wanted} request(s) matching "
             f"{json.dumps(_matcher(**matcher), ensure_ascii=False)}, received {answer['count']}"]
    lines += [f"  matched: {_line(entry)}" for entry in answer["requests"][-10:]]
    for miss in answer["nearMisses"]:
        lines.append(f"  near miss: {_line(miss['request'])}")
        lines += [f"    - {why}" for why in miss["mismatches"]]
    if not answer["requests"] and not answer["nearMisses"]:
        lines.append("  (the journal holds no request since then)")
    return "\n".join(lines)


@dataclass
class Account:
    """An account created and activated through the portal."""

    login: str
    password: str
    identifiant: str
    type_identifiant: str
    raison_sociale: str
    activation_link: str
    form: dict[str, str] = field(default_factory=dict)


class SandboxClient:
    """The control plane and whole user actions on one running sandbox."""

    def __init__(self, url: str, mailpit_url: str, admin_token: str | None = None,
                 timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.mailpit_url = mailpit_url.rstrip("/")
        self.timeout = timeout
        self.control = BaseUrlSession(f"{self.url}/_sandbox/")
        if admin_token:
            self.control.headers["X-Sandbox-Token"] = admin_token

    # --- control plane ---------------------------------------------------------------

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.control.request(method, path, timeout=self.timeout, **kwargs)
        if answer.status_code >= 400:
            raise SandboxError(
                f"{method} /_sandbox/{path}: {answer.status_code} {answer.text[:300]}"
            )
        return answer.json() if answer.content else None

    def check_invoice(self, content: bytes, nom_fichier: str,
                      syntaxe: str = "IN_DP_E1_UBL_INVOICE", *, strict: bool | None = None,
                      compte: str | None = None) -> dict:
        """What the platform would say of ``content`` (``POST /_sandbox/factures/check``):
        ``etatCourantDepotFlux``, ``listeErreurTechnique`` and, per invoice, its
        ``erreurDP`` and the explanation of each error; nothing is deposited."""
        body: dict[str, Any] = {"fichierFlux": base64.b64encode(content).decode("ascii"),
                                "nomFichier": nom_fichier, "syntaxeFlux": syntaxe}
        if strict is not None:
            body["strict"] = strict
        if compte is not None:
            body["compte"] = compte
        return self._control("POST", "factures/check", json=body)

    def set_flux_states(self, numero_flux: str, mode: str) -> dict:
        """The intermediate states a waiting flux plays (observe, pipeline,
        recu-avant-rejet, retraitement)."""
        return self._control("PUT", f"factures/flux/{numero_flux}/etats", json={"mode": mode})

    def set_supplier_options(self, identifiant: str, *, etats_flux: str | None = None,
                             strict: bool | None = None) -> dict:
        """A supplier's intermediate flux states and stricter judgement (None: the
        settings')."""
        return self._control("PUT", f"factures/options/{identifiant}",
                             json={"etatsFlux": etats_flux, "strict": strict})

    def reset(self, seed: int | None = None, clear_mailpit: bool = False) -> dict:
        """Put the sandbox back to its seeded baseline."""
        body: dict[str, Any] = {"clearMailpit": clear_mailpit}
        if seed is not None:
            body["seed"] = seed
        return self._control("POST", "reset", json=body)

    def clock(self) -> dict:
        """The sandbox's time and offset."""
        return self._control("GET", "clock")

    def set_clock(self, offset: str | float | None = None, *, advance: str | None = None,
                  now: str | None = None, rate: float | None = None) -> dict:
        """Set the offset ("25h" or seconds), advance by a duration, or jump to an instant;
        with ``rate``, sandbox time runs that many times real time from now (alone, the
        clock does not jump: ``set_clock(rate=60)``)."""
        body: dict[str, Any] = {} if rate is None else {"rate": rate}
        if advance is not None:
            body["advance"] = advance
        elif now is not None:
            body["now"] = now
        elif isinstance(offset, str):
            body["offset"] = offset
        elif offset is not None or rate is None:
            body["offsetSeconds"] = offset or 0
        return self._control("PUT", "clock", json=body)

    def faults(self) -> dict:
        """The faults in force."""
        return self._control("GET", "faults")

    def inject_fault(self, path: str = "*", *, method: str | list[str] | None = None,
                     status: int | None = 503, drop: bool = False, probability: float = 1.0,
                     latency_ms: float | tuple[float, float] | None = None,
                     path_regex: str | None = None, seed: int | None = None) -> dict:
        """Add a fault rule (beside those in force); return the faults document."""
        rule = _target(path, path_regex, method, probability)
        if drop:
            rule["error"] = {"drop": True}
        elif status is not None:
            rule["error"] = {"status": status}
        if isinstance(latency_ms, tuple):
            rule["latency"] = {"minMs": latency_ms[0], "maxMs": latency_ms[1]}
        elif latency_ms is not None:
            rule["latency"] = {"ms": latency_ms}
        return self._append_rule(rule, seed)

    def _append_rule(self, rule: dict, seed: int | None = None) -> dict:
        current = self.faults()
        body = {"rules": [*current["rules"], rule],
                "seed": current["seed"] if seed is None else seed}
        return self._control("PUT", "faults", json=body)

    def override(self, path: str = "*", *, method: str | list[str] | None = None,
                 status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
                 body_partial: Any = None, times: int | None = None,
                 probability: float = 1.0, path_regex: str | None = None,
                 name: str | None = None) -> Override:
        """Make matching requests answer ``status``, the JSON ``body`` and ``headers``
        instead of the real handler (beside the rules in force). ``body_partial``: only
        requests whose JSON/form body contains it; ``times``: the next N only (every
        worker counts). Returns an ``Override``: a context manager that removes it."""
        name = name or f"override-{uuid.uuid4().hex[:12]}"
        response: dict[str, Any] = {"status": status}
        if body is not None:
            response["body"] = body
        if headers:
            response["headers"] = headers
        rule = {"name": name, "response": response,
                **_target(path, path_regex, method, probability)}
        if body_partial is not None:
            rule["bodyPartial"] = body_partial
        if times is not None:
            rule["times"] = times
        self._append_rule(rule)
        return Override(self, name)

    def remove_rule(self, name: str) -> dict:
        """Remove the fault or override rules labelled ``name``; return the faults."""
        return self._keep_rules(lambda rule: rule.get("name") != name)

    def clear_overrides(self) -> dict:
        """Remove every override (the other fault rules stay); return the faults."""
        return self._keep_rules(lambda rule: "response" not in rule)

    def _keep_rules(self, keep: Callable[[dict], bool]) -> dict:
        current = self.faults()
        kept = [rule for rule in current["rules"] if keep(rule)]
        return self._control("PUT", "faults", json={"rules": kept, "seed": current["seed"]})

    def clear_faults(self) -> None:
        """Remove every fault and leave maintenance."""
        self._control("DELETE", "faults")

    def maintenance(self, enabled: bool = True) -> None:
        """Switch maintenance mode."""
        self._control("PUT", "maintenance", json={"enabled": enabled})

    def requests_journal(self, **filters: str) -> list[dict]:
        """Journaled requests (filters: method, path, status, clientId, account)."""
        return self._control("GET", "requests", params=filters)["requests"]

    def verify(self, method: str | list[str] | None = None, path: str | None = None, *,
               path_glob: str | None = None, path_regex: str | None = None,
               query: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
               body_partial: Any = None, body_equal: Any = None, status: int | None = None,
               client_id: str | None = None, account: str | None = None,
               since: float | str | datetime | None = None, limit: int = 100) -> dict:
        """``POST /_sandbox/requests/verify``: ``{"count", "requests", "nearMisses"}``.

        ``query``/``headers`` values are a string (equal) or a matcher
        (``{"contains": ...}``, ``{"matches": regex}``, ``{"absent": True}``);
        ``body_partial`` is a JSON subset of the body; ``since`` an epoch time, an ISO
        8601 instant or an aware ``datetime``."""
        return self._control("POST", "requests/verify", json=_matcher(
            method=method, path=path, path_glob=path_glob, path_regex=path_regex, query=query,
            headers=headers, body_partial=body_partial, body_equal=body_equal, status=status,
            client_id=client_id, account=account, since=since, limit=limit))

    def assert_received(self, count: int | None = None, *, at_least: int | None = None,
                        **matcher: Any) -> list[dict]:
        """Assert how many requests matching ``matcher`` (``verify``'s arguments) the
        sandbox received: exactly ``count``, else ``at_least`` (default: at least one).
        Returns them; raises ``SandboxError`` naming what was received and the near
        misses (what differs) otherwise."""
        answer = self.verify(**matcher)
        found = answer["count"]
        if count is not None and found == count:
            return answer["requests"]
        if count is None and found >= (1 if at_least is None else at_least):
            return answer["requests"]
        wanted = f"exactly {count}" if count is not None else f"at least {at_least or 1}"
        raise SandboxError(_verify_report(wanted, matcher, answer))

    def unmatched(self) -> list[dict]:
        """Journaled requests that matched no route (with the closest API routes)."""
        return self._control("GET", "requests/unmatched")["requests"]

    def mails(self, to: str) -> list[dict]:
        """What the sandbox sent to ``to`` (newest first), with state and link."""
        return self._control("GET", "mails", params={"to": to})["mails"]

    def credentials(self) -> dict:
        """The seeded default accounts (``gestionnaire``, ``technical_account``,
        ``oauth_client``) of this sandbox's current seed."""
        return self._control("GET", "credentials")

    def captcha_answer(self, captcha_id: str) -> str:
        """The answer of a captcha challenge."""
        return self._control("GET", f"captcha/{captcha_id}")["answer"]

    # --- Mailpit ---------------------------------------------------------------------

    def wait_for_mail(self, to: str, contains: str = "", timeout: float = 30) -> dict:
        """Wait for a message to exactly ``to`` in Mailpit whose text has ``contains``."""
        found: dict[str, Any] = {}

        def arrived() -> bool:
            answer = requests.get(f"{self.mailpit_url}/api/v1/search",
                                  params={"query": f'to:"{to}"'}, timeout=10)
            if answer.status_code != 200:
                return False
            for summary in answer.json().get("messages", []):
                if to.lower() not in {t["Address"].lower() for t in summary.get("To") or []}:
                    continue
                message = requests.get(
                    f"{self.mailpit_url}/api/v1/message/{summary['ID']}", timeout=10).json()
                if contains in message.get("Text", ""):
                    found.update(message)
                    return True
            return False

        wait_until(arrived, timeout, f"a mail to {to} containing {contains!r}", interval=0.2)
        return found

    # --- whole user actions ----------------------------------------------------------

    def portal(self) -> PortalClient:
        """A new portal visitor (own cookies) answering captchas through the control plane."""
        return PortalClient(self.url, captcha_answer=self.captcha_answer, timeout=self.timeout)

    def signup(self, login: str | None = None, password: str | None = None,
               activate: bool = True, **fields: str) -> Account:
        """Create an account and its structure through the portal, then activate it.

        ``fields`` override the form's fields (see docs/pytest-plugin.md); the defaults
        create a new private structure identified by a random SIRET. With
        ``activate=False`` the account stays pending and ``activation_link`` is unused.
        """
        login = (login or f"signup-{uuid.uuid4().hex[:12]}@example.com").lower()
        password = password or f"Sbx-{uuid.uuid4().hex[:10]}-9aZ!"
        form = self._signup_fields(login, fields)
        answer = self.portal().signup(form)
        if answer.status_code != 303:
            raise SandboxError(f"signup refused ({answer.status_code}): {_problems(answer.text)}")
        mail = self.wait_for_mail(login, contains="/activation/")
        match = re.search(r"https?://\S+/activation/[A-Za-z0-9_\-]+", mail["Text"])
        if match is None:
            raise SandboxError(f"no activation link in the mail to {login}")
        link = match.group(0)
        if activate:
            self.activate(link, password)
        return Account(login=login, password=password, identifiant=form["identifiant"],
                       type_identifiant=form["type_identifiant"],
                       raison_sociale=form.get("raison_sociale", ""),
                       activation_link=link, form=form)

    def activate(self, link: str, password: str) -> None:
        """Open an activation link and choose the password; SandboxError if refused."""
        visitor = self.portal()
        page = visitor.get(link)
        if page.status_code != 200:
            raise SandboxError(f"activation link refused ({page.status_code}): "
                               f"{_problems(page.text)}")
        answer = visitor.activate(link, password)
        if answer.status_code != 303:
            raise SandboxError(f"activation refused ({answer.status_code}): "
                               f"{_problems(answer.text)}")

    @staticmethod
    def _signup_fields(login: str, overrides: dict[str, str]) -> dict[str, str]:
        marker = uuid.uuid4().hex[:6].upper()
        form = {
            "login_email": login,
            "prenom": "Camille",
            "nom": "Martin",
            "telephone": "0102030405",
            "email_contact": login,
            "type_identifiant": "SIRET",
            "identifiant": random_siret(),
            "type_structure": "PRIVEE",
            "raison_sociale": f"Société d'essai {marker}",
            "adresse": "1 rue de la Paix",
            "code_postal": "75002",
            "ville": "Paris",
            "pays": "FR",
            "accepte_conditions": "y",
        }
        form.update(overrides)
        return form

    # --- factures ----------------------------------------------------------------------

    def deposit_invoice(self, api: requests.Session, content: bytes, nom_fichier: str,
                        syntaxe: str = "IN_DP_E1_UBL_INVOICE") -> str:
        """``deposer/flux`` of ``content`` through ``api`` (``technical_client()``);
        return the ``numeroFluxDepot``. Raises ``SandboxError`` on a refusal."""
        answer = api.post("/cpro/factures/v1/deposer/flux", json={
            "fichierFlux": base64.b64encode(content).decode("ascii"),
            "nomFichier": nom_fichier, "syntaxeFlux": syntaxe, "avecSignature": False,
        }, timeout=self.timeout)
        body = answer.json() if answer.content else {}
        if answer.status_code != 200 or body.get("codeRetour") != 0:
            raise SandboxError(f"deposer/flux refused ({answer.status_code}): {answer.text[:300]}")
        return body["numeroFluxDepot"]

    def wait_flux(self, api: requests.Session, numero_flux: str, *, advance_clock: bool = True,
                  delay: float | None = None, timeout: float = 30) -> dict:
        """Poll ``consulterCRDetaille`` until the flux is terminal; return that CR.

        With ``advance_clock`` the sandbox clock is first moved past the integration delay
        (``delay``, by default this process's ``SANDBOX_FACTURES_INTEGRATION_DELAY``), so
        the test does not wait for it.
        """
        if advance_clock:
            self.set_clock(advance=f"{(self.factures_delay() if delay is None else delay) + 1:g}s")
        terminal = {"IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_INCIDENTE"}
        seen: dict = {}

        def done() -> bool:
            answer = api.post("/cpro/transverses/v1/consulterCRDetaille",
                              json={"numeroFluxDepot": numero_flux}, timeout=self.timeout)
            seen.update(answer.json())
            return seen.get("etatCourantDepotFlux") in terminal

        wait_until(done, timeout, f"flux {numero_flux} integrated or rejected", interval=0.2)
        return dict(seen)

    def move_invoice(self, id_facture: int, statut: str, motif: str | None = None) -> dict:
        """Move an invoice to ``statut`` along the allowed transitions (control plane
        ``POST /_sandbox/factures/<id>/statut``); return the answer (``etapes``...)."""
        body = {"statut": statut} if motif is None else {"statut": statut, "motif": motif}
        return self._control("POST", f"factures/{id_facture}/statut", json=body)

    def set_apis(self, client_id: str, apis: list[str] | None) -> dict:
        """Subscribe a PISTE application to exactly ``apis`` (``None``: every API again);
        a call to another API then answers 403 with an empty body, as PISTE does
        (control plane ``PUT``/``DELETE /_sandbox/piste/applications/<id>/apis``)."""
        path = f"piste/applications/{client_id}/apis"
        if apis is None:
            return self._control("DELETE", path)
        return self._control("PUT", path, json={"apis": list(apis)})

    def factures_delay(self) -> float:
        """The sandbox's integration delay (``SANDBOX_FACTURES_INTEGRATION_DELAY``)."""
        return load_settings().factures_integration_delay

    def technical_client(self, account: Account | None = None, *, login: str | None = None,
                         password: str | None = None, client_id: str | None = None,
                         client_secret: str | None = None) -> BaseUrlSession:
        """A session ready to call ``/cpro/...``: PISTE token and ``cpro-account`` header.

        With an ``account`` from ``signup``, its gestionnaire creates (or renews) his
        structure's technical account and the session uses it; otherwise the seeded
        technical account. The OAuth client is the seeded one unless given.
        """
        if account is not None and login is None:
            created = self._control("POST", f"accounts/{account.login}/technical-account",
                                    json={"identifiant": account.identifiant})
            login, password = created["login"], created["password"]
        if None in (login, password, client_id, client_secret):
            defaults = self.credentials()
            login = login or defaults["technical_account"]["login"]
            password = password or defaults["technical_account"]["password"]
            client_id = client_id or defaults["oauth_client"]["client_id"]
            client_secret = client_secret or defaults["oauth_client"]["client_secret"]
        answer = requests.post(
            f"{self.url}/api/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": client_secret, "scope": "openid"},
            timeout=self.timeout,
        )
        if answer.status_code != 200:
            raise SandboxError(f"token refused ({answer.status_code}): {answer.text[:300]}")
        session = BaseUrlSession(self.url)
        cpro_account = base64.b64encode(f"{login}:{password}".encode()).decode()
        session.headers.update({
            "Authorization": f"Bearer {answer.json()['access_token']}",
            "cpro-account": cpro_account,
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json;charset=utf-8",
        })
        return session

