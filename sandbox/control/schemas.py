"""The control plane's request and response models (pydantic), one source for the
checks and for ``/_sandbox/openapi.json``.

Every request model is strict (no ``"1"`` for a number, no ``1`` for a boolean),
forbids unknown fields, refuses NaN and ±Infinity and bounds its numbers, so
nothing a client sends reaches a column it cannot fit (issue #14.5). Every string
field is ``Text``: a lone surrogate (``"\\ud800"``, valid JSON but not encodable
text) or a NUL is refused at the edge instead of failing in the database driver.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from sandbox.vocabulary import MailState, StatutRattachement

BIGINT = 2**63 - 1  # the largest id or seed a database column holds
TEN_YEARS_SECONDS = 3650 * 86400  # clock offsets and link lifetimes: dates stay representable
LATENCY_MAX_MS = 120_000
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_UNENCODABLE = re.compile("[\x00\ud800-\udfff]")


def encodable(text: str) -> str:
    """Refuse text a database cannot store: lone surrogates and NUL characters."""
    found = _UNENCODABLE.search(text)
    if found:
        raise ValueError(
            f"contains U+{ord(found.group()):04X} at position {found.start()}, which is not "
            "storable text (lone surrogate or NUL)"
        )
    return text


Text = Annotated[str, AfterValidator(encodable)]
Seed = Annotated[int, Field(ge=-BIGINT, le=BIGINT)]


class Request(BaseModel):
    """Base of the request bodies: strict, closed, finite. ``null`` means absent."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)

    def given(self) -> set[str]:
        """The fields the client gave a value (not ``null``)."""
        return {name for name in self.model_fields_set if getattr(self, name) is not None}


class Answer(BaseModel):
    """Base of the answers (documentation only: handlers return dicts)."""


# --- reset, clock, maintenance -----------------------------------------------------


class ResetRequest(Request):
    seed: Seed | None = Field(None, description="New seed (default: the settings')")
    clearMailpit: bool = Field(False, description="Also delete every message in Mailpit")


class ResetReport(Answer):
    seed: int
    durationMs: float
    mailpitCleared: bool
    mailpitError: str | None = None
    seeding: dict[str, Any]


CLOCK_FIELDS = ("offsetSeconds", "offset", "advance", "now")


class ClockChange(Request):
    """Exactly one field."""

    offsetSeconds: float | None = Field(
        None, ge=-TEN_YEARS_SECONDS, le=TEN_YEARS_SECONDS, description="Offset from real time"
    )
    offset: Text | None = Field(None, max_length=100, examples=["25h"],
                                description="Offset from real time as a duration")
    advance: Text | None = Field(None, max_length=100, examples=["-90m"],
                                 description="Move by a duration from the current offset")
    now: Text | None = Field(None, max_length=100, examples=["2027-01-31T09:00:00Z"],
                             description="Jump to an ISO 8601 instant")

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockChange:
        if len(self.given()) != 1:
            raise ValueError(
                "give exactly one of offsetSeconds (number), offset ('25h'), "
                "advance ('25h', '-90m') or now (ISO 8601 instant)"
            )
        return self


class ClockView(Answer):
    now: str
    offsetSeconds: float
    realNow: str


class MaintenanceSwitch(Request):
    enabled: bool


class MaintenanceView(Answer):
    maintenance: bool


# --- faults ---------------------------------------------------------------------------


Millis = Annotated[float, Field(ge=0, le=LATENCY_MAX_MS)]


class Latency(Request):
    """``{"ms": N}`` (fixed) or ``{"minMs": A, "maxMs": B}`` (uniform)."""

    ms: Millis | None = None
    minMs: Millis | None = None
    maxMs: Millis | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Latency:
        given = self.given()
        if given not in ({"ms"}, {"minMs", "maxMs"}):
            raise ValueError("'ms' alone, or 'minMs' and 'maxMs'")
        if given == {"minMs", "maxMs"} and self.maxMs < self.minMs:  # type: ignore[operator]
            raise ValueError("maxMs must be >= minMs")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) in milliseconds."""
        if self.ms is not None:
            return self.ms, self.ms
        return self.minMs or 0.0, self.maxMs or 0.0


class InjectedError(Request):
    """``{"status": 503}`` or ``{"drop": true}``."""

    status: int | None = Field(None, ge=400, le=599, description="HTTP error status")
    drop: bool | None = Field(None, description="Cut the connection without an answer")

    @model_validator(mode="after")
    def _one_kind(self) -> InjectedError:
        if self.drop:
            if self.status is not None:
                raise ValueError("'status' and 'drop' exclude each other")
        elif self.status is None:
            raise ValueError("{'status': 503} (an HTTP error status, 400-599) or {'drop': true}")
        return self


class FaultRule(Request):
    method: Text | list[Text] | None = Field(
        None, description="Method(s) targeted; absent or '*' = any")
    path: Text | None = Field(None, examples=["/cpro/structures/v1/*"],
                              description="Glob on the path (fnmatch; '*' crosses '/')")
    pathRegex: Text | None = Field(None, description="Full-match regex (instead of path)")
    probability: float = Field(1.0, ge=0, le=1)
    latency: Latency | None = None
    error: InjectedError | None = None

    @field_validator("method")
    @classmethod
    def _known_methods(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value is None or value == "*":
            return value
        names = {m.upper() for m in ([value] if isinstance(value, str) else value)}
        unknown = names - set(METHODS)
        if unknown:
            raise ValueError(f"unknown method(s) {sorted(unknown)}")
        return value

    @field_validator("path")
    @classmethod
    def _glob(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("/", "*")):
            raise ValueError("a glob starting with '/' or '*', e.g. '/cpro/*'")
        return value

    @field_validator("pathRegex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regular expression ({error})") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> FaultRule:
        if self.path is not None and self.pathRegex is not None:
            raise ValueError("give 'path' (glob) or 'pathRegex', not both")
        if self.latency is None and self.error is None:
            raise ValueError("give 'latency', 'error' or both")
        return self


class FaultDocument(Request):
    seed: Seed | None = None
    rules: list[FaultRule] = Field(default_factory=list, max_length=100)
    maintenance: bool | None = None


class FaultsView(Answer):
    seed: int
    rules: list[dict[str, Any]]
    maintenance: bool
    revision: str | None


# --- journal, mails, captcha, data sets --------------------------------------------


class JournalQuery(Request):
    model_config = ConfigDict(strict=False, extra="ignore")

    method: Text | None = Field(None, description="HTTP method")
    path: Text | None = Field(None, description="Glob on the path")
    status: Text | None = Field(None, description="Status code")
    clientId: Text | None = Field(None, description="OAuth client_id")
    account: Text | None = Field(None, description="cpro-account login")
    fault: Text | None = Field(None, description="'any': only faulted requests")
    limit: int | None = Field(None, ge=0, le=1_000_000, description="Newest N")


class JournalEntry(Answer):
    id: str
    t: float = Field(description="epoch seconds")
    method: str
    path: str
    query: str | None
    status: int | None = Field(description="null: connection dropped")
    durationMs: float
    clientId: str | None
    account: str | None
    remoteAddr: str | None
    fault: str | None
    requestBody: str | None = None
    responseBody: str | None = None


class JournalView(Answer):
    size: int
    count: int
    requests: list[JournalEntry]


class MailQuery(Request):
    model_config = ConfigDict(strict=False, extra="ignore")

    to: Text | None = None
    kind: Text | None = None
    state: Annotated[MailState, Strict(False)] | None = None
    limit: int = Field(50, ge=1, le=1000)


class MailView(Answer):
    id: int
    kind: str
    to: str
    subject: str
    state: MailState
    attempts: int
    link: str | None
    messageId: str
    createdAt: str
    deliveredAt: str | None
    lastError: str | None


class MailsView(Answer):
    count: int
    mails: list[MailView]


class CaptchaAnswer(Answer):
    captchaId: str
    answer: str


class DatasetRequest(Request):
    requester: Text | None = Field(None, max_length=320,
                                   description="Login of the account the data set is mailed to")


class DatasetView(Answer):
    id: int
    createdAt: str
    requester: str | None
    entities: dict[str, dict[str, str]] = Field(description="Entite -> Libelle -> Valeur")
    csv: str


# --- state shortcuts -----------------------------------------------------------------


class AccountState(StrEnum):
    """The states a test can put an account in."""

    PENDING = "pending"
    ACTIVE = "active"
    LOCKED = "locked"


class Decision(StrEnum):
    """The decisions on a demande de rattachement."""

    VALIDEE = StatutRattachement.VALIDEE.value
    REFUSEE = StatutRattachement.REFUSEE.value


class AccountStateChange(Request):
    state: Annotated[AccountState, Strict(False)]
    password: Text | None = Field(None, max_length=1000, description="Only with 'active'")

    @model_validator(mode="after")
    def _password_with_active(self) -> AccountStateChange:
        if self.password is not None and self.state != AccountState.ACTIVE:
            raise ValueError("password: a string, only with state 'active'")
        return self


class RattachementView(Answer):
    idRattachementStructure: int
    idStructureCPP: int
    role: str
    statut: str


class AccountView(Answer):
    idUtilisateur: int
    login: str
    statut: str
    locked: bool
    lockedUntil: str | None
    failedLogins: int
    technical: bool
    rattachements: list[RattachementView]


class ActivationLinkRequest(Request):
    expired: bool | None = Field(None, description="Mint a link that has already expired")
    lifetimeSeconds: float | None = Field(None, ge=-TEN_YEARS_SECONDS, le=TEN_YEARS_SECONDS)


class ActivationLinkView(Answer):
    login: str
    link: str
    expired: bool


class DecisionRequest(Request):
    decision: Annotated[Decision, Strict(False)]
    commentaire: Text | None = Field(None, max_length=4000)


class DecisionView(Answer):
    idRattachementStructure: int
    statut: str
    commentaire: str | None


class TechnicalAccountRequest(Request):
    identifiant: Text | None = Field(
        None, max_length=100, description="identifiantStructure, when he manages several")


class TechnicalAccountView(Answer):
    login: str
    password: str
    idStructureCPP: int
    identifiantStructure: str


class Pong(Answer):
    pong: bool


class ControlErrorBody(Answer):
    error: str
