"""Data for the API contract tests, inserted through the models on the stack's database.

Every identifier is unique (uuid-based), so tests never depend on what else is in
the database (seeded data, other tests). ``ApiClient`` drives the sandbox over
HTTP exactly as an integrator's client does: a form-encoded token call, then JSON
bodies with ``Authorization: Bearer`` and ``cpro-account`` headers.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy.orm import Session

from sandbox import clock, security
from sandbox.accounts.technical import create_technical_account
from sandbox.builders import add_structure
from sandbox.config import load_settings
from sandbox.models import (
    EngagementJuridique,
    EngagementPoste,
    Espace,
    OAuthClient,
    Rattachement,
    RattachementService,
    Service,
    Structure,
    User,
)
from sandbox.piste.oauth import create_oauth_client

HASH = security.SEED_HASH_METHOD  # cheap: tests create many accounts


def unique_digits(n: int = 14) -> str:
    """A random string of ``n`` digits (a SIRET-like identifier)."""
    return str(uuid.uuid4().int % 10**n).zfill(n)


def tag() -> str:
    """A short unique marker for names (prefix searches in tests)."""
    return "T" + uuid.uuid4().hex[:10].upper()


def make_structure(s: Session, **fields) -> Structure:
    values = dict(
        identifiant=unique_digits(),
        raison_sociale=f"Structure {tag()}",
        adresse="1 rue de la Paix",
        code_postal="75002",
        ville="PARIS",
    )
    values.update(fields)
    return add_structure(s, **values)


def make_service(s: Session, structure: Structure, **fields) -> Service:
    now = clock.utcnow_naive()
    values = dict(
        structure_id=structure.id,
        code=f"SERVICE_{tag()}",
        libelle=f"Service {tag()}",
        description="Service de test",
        est_actif=True,
        date_debut=now - timedelta(days=30),
        date_fin=now + timedelta(days=3650),
        created_at=now,
        updated_at=now,
    )
    values.update(fields)
    service = Service(**values)
    s.add(service)
    s.flush()
    return service


def make_engagement(
    s: Session, emetteur: Structure, *, numero: str | None = None,
    recepteur: Structure | None = None, service: Service | None = None,
    etat: str = "COMMANDE", postes: tuple[float, ...] = (1200.0,),
) -> EngagementJuridique:
    """A legal commitment of ``emetteur`` (a unique 10-digit number unless given)."""
    now = clock.utcnow_naive()
    ej = EngagementJuridique(
        numero=numero or unique_digits(10), etat=etat, emetteur_structure_id=emetteur.id,
        emetteur_service_id=service.id if service else None,
        recepteur_structure_id=recepteur.id if recepteur else None,
        montant_ttc=round(sum(postes), 2), devise="EUR", date_notification=now,
        created_at=now)
    s.add(ej)
    s.flush()
    for index, amount in enumerate(postes, start=1):
        s.add(EngagementPoste(engagement_id=ej.id, numero=index, montant_ttc=amount, statut=etat))
    s.flush()
    return ej


def make_user(s: Session, *, statut: str = "ACTIF", **fields) -> tuple[User, str]:
    password = security.generate_password(16)
    now = clock.utcnow_naive()
    values = dict(
        login=f"api-{uuid.uuid4().hex[:12]}@example.com",
        prenom="Zoé",
        nom="Lefèvre",
        email_contact="",
        password_hash=security.hash_password(password, HASH),
        statut=statut,
        created_at=now,
        activated_at=now if statut == "ACTIF" else None,
    )
    values.update(fields)
    user = User(**values)
    s.add(user)
    s.flush()
    return user, password


def attach(
    s: Session, user: User, structure: Structure, role: str = "UTILISATEUR", statut: str = "VALIDEE"
) -> Rattachement:
    ratt = Rattachement(
        user_id=user.id,
        structure_id=structure.id,
        role=role,
        statut=statut,
        created_at=clock.utcnow_naive(),
    )
    s.add(ratt)
    s.flush()
    return ratt


def attach_service(
    s: Session, ratt: Rattachement, service: Service, statut: str = "VALIDEE", **fields
) -> RattachementService:
    rs = RattachementService(
        rattachement_id=ratt.id, service_id=service.id, statut=statut, **fields
    )
    s.add(rs)
    s.flush()
    return rs


def make_espace(s: Session, structure: Structure, code: int, libelle: str, **fields) -> Espace:
    espace = Espace(structure_id=structure.id, code=code, libelle=libelle, **fields)
    s.add(espace)
    s.flush()
    return espace


def make_client(s: Session, owner: User | None = None) -> OAuthClient:
    return create_oauth_client(s, f"APP_SANDBOX_{tag()}", owner)


def make_technical(s: Session, structure: Structure, gestionnaire: User) -> tuple[User, str]:
    settings = load_settings()
    return create_technical_account(
        s, settings, structure, gestionnaire, hash_method=HASH, notify=False
    )


def cpro_account(login: str, password: str) -> str:
    return base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


@dataclass
class ApiClient:
    """A PISTE client: token, then JSON calls with both headers."""

    base_url: str
    client_id: str
    client_secret: str
    login: str
    password: str
    token: str | None = None
    http: requests.Session = field(default_factory=requests.Session)

    def fetch_token(self) -> dict:
        answer = self.http.post(
            f"{self.base_url}/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": "openid",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        self.token = body["access_token"]
        return body

    def headers(self) -> dict:
        if self.token is None:
            self.fetch_token()
        return {
            "Authorization": f"Bearer {self.token}",
            "cpro-account": cpro_account(self.login, self.password),
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json;charset=utf-8",
        }

    def post(self, path: str, body: dict | None = None, **kwargs) -> requests.Response:
        headers = self.headers()
        headers.update(kwargs.pop("headers", {}))
        return self.http.post(
            f"{self.base_url}{path}",
            json=body if body is not None else {},
            headers=headers,
            timeout=60,
            **kwargs,
        )

    def call(self, path: str, body: dict | None = None) -> dict:
        """POST and return the JSON of an HTTP 200 answer. A token the gateway no longer
        takes (expired, or minted while the sandbox clock was ahead and since moved back:
        ``invalid_token``) is replaced once, as the public clients do on a 401; ``post``
        shows every 401 as it comes."""
        answer = self.post(path, body)
        if answer.status_code == 401 and "invalid_token" in answer.text:
            self.fetch_token()
            answer = self.post(path, body)
        assert answer.status_code == 200, (answer.status_code, answer.text)
        return answer.json()

    def get(self, path: str, **kwargs) -> requests.Response:
        headers = self.headers()
        headers.pop("Content-Type")
        headers.update(kwargs.pop("headers", {}))
        return self.http.get(f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def send(self, method: str, path: str, body=None, **kwargs) -> requests.Response:  # noqa: ANN001
        """Any method; ``body`` sent as JSON when given (``data=`` for raw bytes)."""
        headers = self.headers()
        headers.update(kwargs.pop("headers", {}))
        if body is not None:
            kwargs["json"] = body
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=60,
                                 **kwargs)


@dataclass
class World:
    """A small, self-contained set of structures, users and credentials."""

    tag: str
    client_id: str
    client_secret: str
    gp: User
    gp_password: str
    tech_login: str
    tech_password: str
    own: Structure  # private, gp is its gestionnaire principal (technical account here)
    other_own: Structure  # private, gp is a simple user there
    foreign: Structure  # private, nobody of this world attached
    public: Structure
    services: list[Service]  # on ``own``: active, active, inactive
    public_services: list[Service]
    user: User  # a simple user attached to ``own``
    user_password: str
    user_ratt: Rattachement
    user_rs: list[RattachementService]
    espaces: list[Espace]
    ids: dict = field(default_factory=dict)


def build_world(s: Session) -> World:
    """Create a World and commit it."""
    t = tag()
    gp, gp_password = make_user(s, prenom="Gaston", nom="Principal")
    own = make_structure(
        s,
        raison_sociale=f"Fournisseur {t}",
        libelle=f"Libellé {t}",
        email=f"contact-{t.lower()}@example.com",
        numero_tva=f"FR{unique_digits(11)}",  # each world its own (lookups by VAT number)
        numero_rcs="RCS Paris B 123 456 789",
        telephone="0102030405",
        indicatif_telephone="+33",
        code_service_doit_etre_renseigne=True,
        est_moa=True,
    )
    other_own = make_structure(s, raison_sociale=f"Valideur {t}")
    foreign = make_structure(s, raison_sociale=f"Etranger {t}")
    public = make_structure(
        s,
        type_structure="PUBLIQUE",
        raison_sociale=f"Destinataire {t}",
        ville=f"VILLE{t}",
        code_postal="97" + unique_digits(3),
        gestion_numero_ej_ou_code_service=True,
    )
    make_structure(s, raison_sociale=f"Copie {t}", id_structure_origine=own.id)
    other_gp, _ = make_user(s)
    attach(s, gp, own, role="GESTIONNAIRE_PRINCIPAL")
    attach(s, gp, other_own, role="UTILISATEUR")
    attach(s, other_gp, foreign, role="GESTIONNAIRE_PRINCIPAL")
    attach(s, other_gp, other_own, role="GESTIONNAIRE_PRINCIPAL")
    services = [
        make_service(s, own, code=f"A_{t}", libelle="Achats"),
        make_service(s, own, code=f"B_{t}", libelle="Budget", numero_engagement=True),
        make_service(s, own, code=f"C_{t}", libelle="Comptabilité", est_actif=False),
    ]
    public_services = [
        make_service(
            s, public, code="FACTURES_PUBLIQUES", libelle="Service des factures publiques"
        ),
        make_service(
            s,
            public,
            code=f"SERVICE_PUBLIQUE_1_{public.identifiant}",
            libelle="Acheteur",
            mise_en_paiement=True,
        ),
    ]
    user, user_password = make_user(s, prenom="Ursule", nom="Utilisatrice")
    user_ratt = attach(s, user, own)
    user_rs = [
        attach_service(s, user_ratt, services[1], commentaire="ok"),
        attach_service(s, user_ratt, services[0], statut="EN_COURS_DE_VALIDATION"),
    ]
    espaces = [
        make_espace(s, own, 1, "Factures émises"),
        make_espace(
            s,
            own,
            4,
            "Sollicitations émises",
            service_id=services[0].id,
            type_habilitation="CONSULTATION_UNIQUEMENT",
        ),
        make_espace(s, other_own, 2, "Factures reçues"),
    ]
    client = make_client(s, gp)
    tech, tech_password = make_technical(s, own, gp)
    s.commit()
    return World(
        tag=t,
        client_id=client.client_id,
        client_secret=client.client_secret,
        gp=gp,
        gp_password=gp_password,
        tech_login=f"TECH_1_{own.identifiant}@cpro.fr",
        tech_password=tech_password,
        own=own,
        other_own=other_own,
        foreign=foreign,
        public=public,
        services=services,
        public_services=public_services,
        user=user,
        user_password=user_password,
        user_ratt=user_ratt,
        user_rs=user_rs,
        espaces=espaces,
    )


def tech_client(base_url: str, world: World) -> ApiClient:
    return ApiClient(
        base_url, world.client_id, world.client_secret, world.tech_login, world.tech_password
    )


def user_client(base_url: str, world: World) -> ApiClient:
    return ApiClient(
        base_url, world.client_id, world.client_secret, world.user.login, world.user_password
    )
