"""PISTE applications on the control plane: list them, and set the APIs one subscribes to,
so that a test can rehearse the real gateway's refusal of an API the application is not
subscribed to (403, empty body; issue #21.6). The rules are ``sandbox.piste.subscriptions``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.control import schemas as sc
from sandbox.control.api import ControlError, operation
from sandbox.models import OAuthClient, User
from sandbox.piste import subscriptions


def _client(s: Session, client_id: str) -> OAuthClient:
    client = s.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).first()
    if client is None:
        raise ControlError(f"no PISTE application with client_id {client_id!r}", 404)
    return client


def application_view(s: Session, client: OAuthClient) -> dict:
    """An application as the control plane shows it."""
    apis = subscriptions.subscribed(s, client)
    owner = s.get(User, client.owner_user_id) if client.owner_user_id is not None else None
    return {"clientId": client.client_id, "name": client.name,
            "owner": owner.login if owner is not None else None,
            "apis": subscriptions.ordered(apis), "allApis": apis is None}


@operation("GET", "/piste/applications", summary="The PISTE applications and their APIs",
           tag="PISTE", answer=sc.ApplicationsView)
def list_applications() -> dict:
    """Every PISTE application (OAuth client), with the APIs it subscribes to."""
    s = db.session()
    clients = s.scalars(select(OAuthClient).order_by(OAuthClient.id)).all()
    return {"applications": [application_view(s, c) for c in clients]}


@operation("GET", "/piste/applications/<clientId>/apis", summary="An application's APIs",
           tag="PISTE", answer=sc.ApplicationView, errors=(404,))
def get_application_apis(clientId: str) -> dict:  # noqa: N803 (the path's name)
    """The APIs the application subscribes to (`allApis`: the default, every API)."""
    s = db.session()
    return application_view(s, _client(s, clientId))


@operation("PUT", "/piste/applications/<clientId>/apis",
           summary="Subscribe an application to exactly these APIs", tag="PISTE",
           body=sc.ApplicationApisChange, answer=sc.ApplicationView, errors=(400, 404))
def put_application_apis(clientId: str, body: sc.ApplicationApisChange) -> dict:  # noqa: N803
    """{"apis": ["factures", "structures"]}: a call to another API then answers 403 with
    an empty body, as PISTE (the reason in the `X-Sandbox-Reason` header). Every API
    listed is the same as DELETE."""
    s = db.session(write=True)
    client = _client(s, clientId)
    subscriptions.set_apis(s, client, [api.value for api in body.apis])
    s.commit()
    return application_view(s, client)


@operation("DELETE", "/piste/applications/<clientId>/apis",
           summary="Back to every API (the default)", tag="PISTE", answer=sc.ApplicationView,
           errors=(404,))
def delete_application_apis(clientId: str) -> dict:  # noqa: N803
    """Forget the application's subscriptions: it may call every API again."""
    s = db.session(write=True)
    client = _client(s, clientId)
    subscriptions.set_apis(s, client, None)
    s.commit()
    return application_view(s, client)
