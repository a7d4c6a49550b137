"""The moto peer of `make bench`: the Cognito user-pool flow an integrator mocks with moto.

One flow = SignUp → ConfirmSignUp → InitiateAuth (USER_PASSWORD_AUTH), the AWS JSON
protocol moto's server speaks (``X-Amz-Target``), each user a new username. The pool
and its app client are created once per Locust process. A locustfile of its own, run
against ``moto_server`` only: ``locust -f loadtests/cognito_peer.py -H http://moto ...``.
"""

from __future__ import annotations

import threading
import uuid

import common  # noqa: F401  (the bench's command-line options)
from locust import FastHttpUser, task

FLOW = "cognito SignUp → ConfirmSignUp → InitiateAuth"
TARGET = "AWSCognitoIdentityProviderService."
_POOL: dict[str, str] = {}
_POOL_LOCK = threading.Lock()
# moto accepts any signature; a well-formed one keeps the requests as boto3 sends them.
_AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-3/cognito-idp/aws4_request, "
         "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0")


class CognitoFlowUser(FastHttpUser):
    """A new user of a moto user pool: sign up, confirm, log in; again."""

    wait_time = common.think_time

    def _call(self, action: str, body: dict, name: str | None = None) -> dict | None:
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": TARGET + action, "X-Amz-Date": "20260101T000000Z",
                   "Authorization": _AUTH}
        with self.client.post("/", json=body, headers=headers, name=name or action,
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{action}: HTTP {response.status_code} "
                                 f"{(response.text or '')[:200]}")
                return None
            return response.json()

    def on_start(self) -> None:
        with _POOL_LOCK:
            if _POOL:
                return
            pool = self._call("CreateUserPool", {"PoolName": "bench"}, "setup")
            if pool is None:
                return
            pool_id = pool["UserPool"]["Id"]
            client = self._call("CreateUserPoolClient", {
                "UserPoolId": pool_id, "ClientName": "bench",
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            }, "setup")
            if client is not None:
                _POOL.update(pool_id=pool_id, client_id=client["UserPoolClient"]["ClientId"])

    @task
    def flow(self) -> None:
        client_id = _POOL.get("client_id")
        if client_id is None:
            return
        username = f"bench-{uuid.uuid4().hex[:16]}"
        password = "Bench-Password-2026!"
        if self._call("SignUp", {"ClientId": client_id, "Username": username,
                                 "Password": password,
                                 "UserAttributes": [{"Name": "email",
                                                     "Value": f"{username}@example.test"}]}) \
                is None:
            return
        if self._call("ConfirmSignUp", {"ClientId": client_id, "Username": username,
                                        "ConfirmationCode": "123456"}) is None:
            return
        self._call("InitiateAuth", {"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                    "AuthParameters": {"USERNAME": username,
                                                       "PASSWORD": password}})
