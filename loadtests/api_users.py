"""The API user: a PISTE integrator (token, then a realistic read mix)."""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import common
from locust import FastHttpUser, task

TOKEN_MARGIN_SECONDS = 240  # refresh that long before expiry, as OCA does
_KNOWN: dict[str, list] = {"structures": [], "identifiants": [], "services": [], "words": [],
                           "uuids": [], "travaux": [], "a_valider": [], "ejs": []}
ORGANISATIONS = "/cpro/organisations/v1"
TRAVAUX = "/cpro/facturesTravaux/v1"
ENGAGEMENTS = "/cpro/engagementsJuridiques/v1"
_KNOWN_LOCK = threading.Lock()
_TURNS: dict[str, int] = {}  # --api-pool: the next of each kind, in turn


class ApiUser(FastHttpUser):
    """An integrator's software: OAuth2 token, then rechercher/consulter/services/transverses."""

    weight = 6
    wait_time = common.think_time

    def on_start(self) -> None:
        opts = self.environment.parsed_options
        account = f"{opts.tech_login}:{opts.tech_password}".encode()
        self.cpro_account = base64.b64encode(account).decode("ascii")
        self.token = None
        self.token_expires = 0.0
        skip = {n.strip() for n in (getattr(opts, "api_skip", "") or "").split(",") if n.strip()}
        if skip:  # this user's own task list (the class keeps the full mix)
            self.tasks = [t for t in type(self).tasks if t.__name__ not in skip]
        self.refresh_token()
        self.discover()

    # ---- token
    def refresh_token(self) -> None:
        opts = self.environment.parsed_options
        with self.client.post(
            "/api/oauth/token", name="/api/oauth/token", catch_response=True,
            data={"grant_type": "client_credentials", "client_id": opts.client_id,
                  "client_secret": opts.client_secret, "scope": "openid"},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            if response.status_code != 200:
                response.failure(f"token: HTTP {response.status_code} {response.text[:200]}")
                self.token = None
                return
            body = response.json()
            self.token = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
            # Short lifetimes (tests) refresh at 80 % of the lifetime instead.
            margin = TOKEN_MARGIN_SECONDS if lifetime > 2 * TOKEN_MARGIN_SECONDS else lifetime / 5
            self.token_expires = time.time() + lifetime - margin

    def headers(self) -> dict:
        if self.token is None or time.time() >= self.token_expires:
            self.refresh_token()
        return {
            "Authorization": f"Bearer {self.token}",
            "cpro-account": self.cpro_account,
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json;charset=utf-8",
        }

    def _request(self, method: str, path: str, body: dict | None, name: str,
                 problem: Callable[[Any, str], str | None]) -> Any:
        """Send one API call (once more after a refused token); a success is HTTP 200 and
        no ``problem`` with the decoded answer."""
        for attempt in (1, 2):
            kwargs: dict[str, Any] = {"name": name, "catch_response": True,
                                      "headers": self.headers()}
            if body is not None:
                kwargs["json"] = body
            with self.client.request(method, path, **kwargs) as response:
                text = response.text or ""
                if response.status_code == 401 and attempt == 1 and "ErrorCode" not in text:
                    # Expired or revoked token (not the Référentiel's cpro-account refusal):
                    # get a new one and try once more.
                    response.success()
                    self.token = None
                    continue
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code} {text[:200]}")
                    return None
                data = response.json()
                wrong = problem(data, text)
                if wrong:
                    response.failure(wrong)
                    return None
                return data
        return None

    def call(self, path: str, body: dict | None, name: str | None = None) -> dict | None:
        """POST (GET when body is None) a /cpro call; a success has codeRetour 0."""

        def problem(data: Any, _text: str) -> str | None:
            if body is not None and data.get("codeRetour") != 0:
                return f"codeRetour {data.get('codeRetour')}: {data.get('libelle')}"
            return None

        return self._request("GET" if body is None else "POST", path, body, name or path,
                             problem)

    def rest(self, method: str, path: str, body: dict | None, name: str) -> Any:
        """A Référentiel des Organisations call (REST: GET or POST); a success is HTTP 200
        with a JSON object or array and no codeRetour."""

        def problem(data: Any, text: str) -> str | None:
            if not isinstance(data, (dict, list)) or "codeRetour" in text:
                return f"not the API's answer: {text[:200]}"
            return None

        return self._request(method, path, body, name, problem)

    # ---- what ids exist (shared by the users of this process)
    def discover(self) -> None:
        with _KNOWN_LOCK:
            if _KNOWN["structures"]:
                return
        found = self.call(
            "/cpro/structures/v1/rechercher",
            {"structure": {"typeStructure": "PUBLIQUE"},
             "parametres": {"pageResultatDemandee": 1, "nbResultatsParPage": 200}},
            name="/cpro/structures/v1/rechercher [public list]",
        )
        pool = getattr(self.environment.parsed_options, "api_pool", 0) or None
        for item in ((found or {}).get("listeStructures") or [])[:pool]:
            _KNOWN["structures"].append(item["idStructureCPP"])
            # The API matches raisonSocialeStructure anywhere, in any case: keep the words
            # of real names as a person types one ("hospitalier", "dupont").
            _KNOWN["words"].extend(
                word.lower() for word in (item.get("designationStructure") or "").split()
                if len(word) >= 3)
            if item.get("identifiantStructure"):
                _KNOWN["identifiants"].append(
                    (item["identifiantStructure"], item.get("typeIdentifiantStructure", "SIRET")))
        if pool:  # as few words as structures: a short recording sends each of them
            _KNOWN["words"] = list(dict.fromkeys(_KNOWN["words"]))[:pool]

    def pick(self, kind: str) -> Any:
        """One of the known ``kind``: at random, or in turn with --api-pool (so that a short
        run sends every request the pool allows: the WireMock peer's recording)."""
        items = _KNOWN[kind]
        if not getattr(self.environment.parsed_options, "api_pool", 0):
            return random.choice(items)
        with _KNOWN_LOCK:
            turn = _TURNS.get(kind, 0)
            _TURNS[kind] = turn + 1
        return items[turn % len(items)]

    def some_structure(self) -> int | None:
        return self.pick("structures") if _KNOWN["structures"] else None

    # ---- the mix (weights: a typical invoicing client looks recipients up, then reads them)
    @task(5)
    def rechercher_par_identifiant(self) -> None:
        if not _KNOWN["identifiants"]:
            return self.discover()
        identifiant, kind = self.pick("identifiants")
        self.call("/cpro/structures/v1/rechercher",
                  {"structure": {"identifiantStructure": identifiant,
                                 "typeIdentifiantStructure": kind},
                   "restreindreStructuresPrivees": False},
                  name="/cpro/structures/v1/rechercher [identifiant]")

    @task(1)
    def rechercher_par_raison_sociale(self) -> None:
        # A word of a real name, in lower case, as a person types it (not one letter matching
        # half the base).
        if not _KNOWN["words"]:
            return self.discover()
        self.call("/cpro/structures/v1/rechercher",
                  {"structure": {"raisonSocialeStructure": self.pick("words")},
                   "parametres": {"pageResultatDemandee": 1, "nbResultatsParPage": 10}},
                  name="/cpro/structures/v1/rechercher [raison sociale]")

    @task(4)
    def consulter(self) -> None:
        structure = self.some_structure()
        if structure is None:
            return self.discover()
        self.call("/cpro/structures/v1/consulter",
                  {"idStructureCPP": structure, "codeLangue": "FR"})

    @task(3)
    def rechercher_services(self) -> None:
        structure = self.some_structure()
        if structure is None:
            return self.discover()
        data = self.call("/cpro/structures/v1/rechercher/services",
                         {"idStructure": structure,
                          "parametresRechercherServicesStructure": {
                              "pageResultatDemandee": 1, "nbResultatsParPage": 10}})
        services = (data or {}).get("listeServices") or []
        pool = getattr(self.environment.parsed_options, "api_pool", 0) or 1000
        pair = (structure, services[0]["idService"]) if services else None
        if pair and len(_KNOWN["services"]) < pool and pair not in _KNOWN["services"]:
            _KNOWN["services"].append(pair)

    @task(1)
    def consulter_service(self) -> None:
        if not _KNOWN["services"]:
            return
        structure, service = self.pick("services")
        self.call("/cpro/structures/v1/consulter/service",
                  {"idStructure": structure, "idService": service, "codeLangue": "FR"})

    @task(1)
    def health_check(self) -> None:
        self.call("/cpro/transverses/v1/health-check", None)

    @task(1)
    def transverses(self) -> None:
        path, body = random.choice([
            ("/cpro/transverses/v1/recuperer/pays", {"codeLangue": "FR"}),
            ("/cpro/transverses/v1/recuperer/typeidentifiant/structure", {}),
            ("/cpro/transverses/v1/recuperer/devises", {"codeLangue": "FR"}),
        ])
        self.call(path, body)

    # ---- the Référentiel des Organisations (REST): find a structure's uuid by its SIRET,
    # then read it and its services, as piste-gouv-fr and facturation_electronique do
    @task(1)
    def organisations_recherche(self) -> None:
        if not _KNOWN["identifiants"]:
            return self.discover()
        identifiant, _kind = self.pick("identifiants")
        found = self.rest("POST", f"{ORGANISATIONS}/structures/recherche",
                          {"identifiant": {"op": "=", "val": identifiant},
                           "_fields": ["uuid", "raisonSociale", "typeOrganisation"]},
                          name=f"{ORGANISATIONS}/structures/recherche [identifiant]")
        pool = getattr(self.environment.parsed_options, "api_pool", 0) or 1000
        for item in found or []:
            if len(_KNOWN["uuids"]) < pool and item["uuid"] not in _KNOWN["uuids"]:
                _KNOWN["uuids"].append(item["uuid"])

    @task(1)
    def organisations_structure(self) -> None:
        if not _KNOWN["uuids"]:
            return self.organisations_recherche()
        self.rest("GET", f"{ORGANISATIONS}/structures/{self.pick('uuids')}", None,
                  name=f"{ORGANISATIONS}/structures/[uuid]")

    @task(1)
    def organisations_services(self) -> None:
        if not _KNOWN["uuids"]:
            return self.organisations_recherche()
        uuid = self.pick("uuids")
        self.rest("GET", f"{ORGANISATIONS}/structures/{uuid}/services", None,
                  name=f"{ORGANISATIONS}/structures/[uuid]/services")

    # ---- Factures travaux (reads): Pastell's polling as the titulaire (the default account
    # has the seeded works dossiers), then one document and its dossier de facturation
    @task(1)
    def travaux_rechercher(self) -> None:
        found = self.call(f"{TRAVAUX}/rechercher", {
            "roleUtilisateur": "FOURNISSEUR",
            "rechercheFactureTravaux": {"nbResultatsParPage": 100, "pageResultatDemandee": 1}})
        pool = getattr(self.environment.parsed_options, "api_pool", 0) or 1000
        for item in (found or {}).get("listeFacturesTravaux", []):
            if len(_KNOWN["travaux"]) < pool and item["idFactureTravaux"] not in _KNOWN["travaux"]:
                _KNOWN["travaux"].append(item["idFactureTravaux"])

    @task(1)
    def travaux_consulter(self) -> None:
        if not _KNOWN["travaux"]:
            return self.travaux_rechercher()
        self.call(f"{TRAVAUX}/consulter", {"idFactureTravaux": self.pick("travaux")})

    @task(1)
    def travaux_dossier(self) -> None:
        if not _KNOWN["travaux"]:
            return self.travaux_rechercher()
        self.call(f"{TRAVAUX}/consulter/dossierfacturation",
                  {"idFactureTravaux": self.pick("travaux")})

    # ---- the validator side: the default structure validates a sub-contractor's A9/A12
    # invoices (seeded), as go-choruspro's client does; reads only
    @task(1)
    def rechercher_valideur(self) -> None:
        found = self.call("/cpro/factures/v1/rechercher/valideur",
                          {"statutCourant": ["A_VALIDER_1"],
                           "pagination": {"pageResultatDemandee": 1, "nbResultatsParPage": 10}})
        for item in (found or {}).get("listeFactures") or []:
            if len(_KNOWN["a_valider"]) < 100 and item["idFacture"] not in _KNOWN["a_valider"]:
                _KNOWN["a_valider"].append(item["idFacture"])

    @task(1)
    def consulter_valideur(self) -> None:
        if not _KNOWN["a_valider"]:
            return self.rechercher_valideur()
        self.call("/cpro/factures/v1/consulter/valideur",
                  {"identifiantFactureCPP": self.pick("a_valider")})

    # ---- Engagements juridiques: OCA's check of an invoice's EJ at validation, and the
    # detail; the EJs are those given to the account's structure (the seeded ones)
    def discover_ejs(self) -> None:
        def problem(data: Any, _text: str) -> str | None:  # none given: 20000, no failure
            if data.get("codeRetour") not in (0, 20000):
                return f"codeRetour {data.get('codeRetour')}: {data.get('libelle')}"
            return None

        found = self._request("POST", f"{ENGAGEMENTS}/rechercher", {
            "etatCourantEngagementJuridique": "COMMANDE",
            "parametresRecherche": {"pageResultatDemandee": 1, "nbResultatsParPage": 100}},
            f"{ENGAGEMENTS}/rechercher [list]", problem)
        cap = getattr(self.environment.parsed_options, "api_pool", 0) or 1000
        with _KNOWN_LOCK:
            for item in (found or {}).get("listeEngagementJuridique") or []:
                if len(_KNOWN["ejs"]) < cap:
                    _KNOWN["ejs"].append((item["numeroEngagementJuridique"],
                                          item.get("identifiantStructureReceptrice")))

    @task(1)
    def engagement_check(self) -> None:
        if not _KNOWN["ejs"]:
            return self.discover_ejs()
        numero, receptrice = self.pick("ejs")
        self.call(f"{ENGAGEMENTS}/rechercher",
                  {"structureReceptriceEngagementJuridique": receptrice,
                   "numeroEngagementJuridique": numero,
                   "etatCourantEngagementJuridique": "COMMANDE"},
                  name=f"{ENGAGEMENTS}/rechercher [OCA check]")

    @task(1)
    def engagement_detail(self) -> None:
        if not _KNOWN["ejs"]:
            return self.discover_ejs()
        numero, _receptrice = self.pick("ejs")
        self.call(f"{ENGAGEMENTS}/consulterDetail", {"numeroEngagementJuridique": numero})
