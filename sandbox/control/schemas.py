"""The control plane's request and response models (pydantic), one source for the
checks and for ``/_sandbox/openapi.json``.

Every request model is strict (no ``"1"`` for a number, no ``1`` for a boolean),
forbids unknown fields, refuses NaN and ±Infinity and bounds its numbers, so
nothing a client sends reaches a column it cannot fit (issue #14.5). Every string
field is ``Text``: a lone surrogate (``"\\ud800"``, valid JSON but not encodable
text) or a NUL is refused at the edge instead of failing in the database driver.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
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

from sandbox.clock import MAX_RATE as MAX_CLOCK_RATE
from sandbox.vocabulary import INT64_MAX, ApiPiste, MailState, StatutRattachement

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


def known_methods(value: str | list[str] | None) -> str | list[str] | None:
    """Refuse a method that is not HTTP's (``*`` or absent: any)."""
    if value is None or value == "*":
        return value
    names = {m.upper() for m in ([value] if isinstance(value, str) else value)}
    unknown = names - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}")
    return value


def regex(value: str | None) -> str | None:
    """Refuse a regular expression that does not compile."""
    if value is not None:
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as error:
            raise ValueError(f"invalid regular expression ({error})"[:300]) from None
    return value
Seed = Annotated[int, Field(ge=-INT64_MAX, le=INT64_MAX)]


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
    """At most one of the time fields, and/or ``rate``."""

    offsetSeconds: float | None = Field(
        None, ge=-TEN_YEARS_SECONDS, le=TEN_YEARS_SECONDS, description="Offset from real time"
    )
    offset: Text | None = Field(None, max_length=100, examples=["25h"],
                                description="Offset from real time as a duration")
    advance: Text | None = Field(None, max_length=100, examples=["-90m"],
                                 description="Move by a duration from the current offset")
    now: Text | None = Field(None, max_length=100, examples=["2027-01-31T09:00:00Z"],
                             description="Jump to an ISO 8601 instant")
    rate: float | None = Field(
        None, gt=0, le=MAX_CLOCK_RATE, examples=[60],
        description="Sandbox seconds per real second from now on (1: real time)")

    @model_validator(mode="after")
    def _one_move(self) -> ClockChange:
        moves = self.given() - {"rate"}
        if len(moves) > 1 or not (moves or "rate" in self.given()):
            raise ValueError(
                "give exactly one of offsetSeconds (number), offset ('25h'), "
                "advance ('25h', '-90m') or now (ISO 8601 instant), and/or rate "
                f"(sandbox seconds per real second, above 0 and at most {MAX_CLOCK_RATE:g})"
            )
        return self


class ClockView(Answer):
    now: str
    offsetSeconds: float
    rate: float
    realNow: str


class QueueAction(Answer):
    label: str = Field(description="'portail', or the status / decision the move gives")
    method: str
    href: str = Field(description="A portal page (GET) or a control-plane operation (POST)")
    body: dict | None = Field(None, description="The JSON body of the POST")
    motifObligatoire: bool | None = None


class QueueItem(Answer):
    kind: str = Field(description="'facture' or 'rattachement'")
    depuis: str | None = Field(description="Since when it waits (sandbox clock)")
    structure: dict
    actions: list[QueueAction]


class ActorQueue(Answer):
    actor: str = Field(description="SUPPLIER, VALIDATOR, MOE, MOA, RECIPIENT, GESTIONNAIRE "
                       "(and any actor the lifecycle gives moves)")
    label: str
    statuts: list[str] = Field(description="The statuses that wait for this actor")
    count: int
    items: list[QueueItem] = Field(description="The newest 50")


class QueuesView(Answer):
    now: str
    actors: list[ActorQueue]


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


OVERRIDE_BODY_MAX_BYTES = 65_536
JSON_MAX_DEPTH = 32
# Headers an override may not set: the server frames the answer itself.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive",
                             "upgrade", "trailer", "te", "proxy-connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")


def json_value(value: Any, depth: int = 0) -> Any:
    """Refuse in a free JSON value what JSON columns and clients cannot take: nesting
    deeper than 32, non-finite numbers, lone surrogates and NUL (in keys too)."""
    if depth > JSON_MAX_DEPTH:
        raise ValueError(f"nested deeper than {JSON_MAX_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and ±Infinity are not JSON numbers")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
        raise ValueError("integers must fit in 64 bits")
    if isinstance(value, str):
        encodable(value)
    elif isinstance(value, list):
        for item in value:
            json_value(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            encodable(key)
            json_value(item, depth + 1)
    return value


JsonValue = Annotated[Any, AfterValidator(json_value)]


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


class OverrideResponse(Request):
    """The answer an override rule gives instead of the real handler."""

    status: int = Field(200, ge=200, le=599,
                        description="HTTP status (200-599; 204 and 304 take no body)")
    body: JsonValue = Field(None, description="JSON body of the answer (null: none); 64 KiB "
                            "at most once encoded", examples=[{"codeRetour": 20001,
                                                              "libelle": "Flux introuvable"}])
    headers: dict[Text, Text] = Field(default_factory=dict, max_length=20,
                                      description="Extra headers (not the framing ones)")

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name[:40]!r} is not a header name")
            if name.lower() in FRAMING_HEADERS:
                raise ValueError(f"{name!r} is set by the server, not by an override")
            if len(text) > 1000 or not text.isprintable() or not _latin1(text):
                raise ValueError(f"the value of {name!r} must be printable Latin-1 text of at "
                                 "most 1000 characters")
        return value

    @model_validator(mode="after")
    def _body(self) -> OverrideResponse:
        if self.body is not None:
            if self.status in (204, 205, 304):
                raise ValueError(f"a {self.status} answer has no body")
            size = len(json.dumps(self.body, ensure_ascii=False).encode())
            if size > OVERRIDE_BODY_MAX_BYTES:
                raise ValueError(f"body: {size} bytes once encoded, at most "
                                 f"{OVERRIDE_BODY_MAX_BYTES}")
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
    response: OverrideResponse | None = Field(
        None, description="Override: answer this instead of the real handler")
    bodyPartial: JsonValue = Field(
        None, description="Only requests whose JSON (or form) body contains this (subset "
        "match: objects may have more keys, arrays more items)")
    times: int | None = Field(None, ge=1, le=1_000_000,
                              description="Fire for the next N matching requests only "
                              "(counted across every worker)")
    name: Text | None = Field(None, pattern=r"^[ -~]{1,100}$",
                              description="A label, printable ASCII (journal, "
                              "X-Sandbox-Override header)")

    @field_validator("method")
    @classmethod
    def _known_methods(cls, value: str | list[str] | None) -> str | list[str] | None:
        return known_methods(value)

    @field_validator("path")
    @classmethod
    def _glob(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("/", "*")):
            raise ValueError("a glob starting with '/' or '*', e.g. '/cpro/*'")
        return value

    @field_validator("pathRegex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return regex(value)

    @model_validator(mode="after")
    def _complete(self) -> FaultRule:
        if self.path is not None and self.pathRegex is not None:
            raise ValueError("give 'path' (glob) or 'pathRegex', not both")
        if self.latency is None and self.error is None and self.response is None:
            raise ValueError("give 'latency', 'error' or 'response' (an override)")
        if self.error is not None and self.response is not None:
            raise ValueError("'error' and 'response' exclude each other")
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
    used: list[int | None] = Field(
        default_factory=list, description="Per rule: requests it fired for, when it has 'times'")


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
    headers: dict[str, str] | None = Field(None, description="Request headers (secrets masked)")
    body: Any = Field(None, description="The request's JSON or form body, parsed, secrets "
                      "masked, strings over 2,000 characters shortened")
    bodyOmitted: str | None = Field(None, description="Why no body was kept")
    unmatched: bool | None = Field(None, description="true: no route answered it")
    override: str | None = Field(None, description="The override rule that answered")


class JournalView(Answer):
    size: int
    count: int
    requests: list[JournalEntry]


class StringMatcher(Request):
    """Exactly one of: ``equalTo``, ``contains``, ``matches`` (full-match regex), ``absent``."""

    equalTo: Text | None = Field(None, max_length=4000)
    contains: Text | None = Field(None, max_length=4000)
    matches: Text | None = Field(None, max_length=1000)
    absent: bool | None = Field(None, description="true: not sent; false: sent (any value)")

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return regex(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> StringMatcher:
        if len(self.given()) != 1:
            raise ValueError("give exactly one of equalTo, contains, matches, absent")
        return self


Matcher = Text | StringMatcher  # a bare string means equalTo


class VerifyQuery(Request):
    """The GET form of verify (documentation: the handler reads the query string itself,
    ``matcher_from_query``, and validates it as a ``RequestMatcher``)."""

    model_config = ConfigDict(strict=False, extra="allow")

    method: Text | None = Field(None, description="Method (repeat the parameter for several)")
    path: Text | None = Field(None, description="Exact path")
    pathGlob: Text | None = Field(None, description="Glob on the path")
    pathRegex: Text | None = Field(None, description="Full-match regex")
    status: Text | None = Field(None, description="Status answered")
    clientId: Text | None = None
    account: Text | None = Field(None, description="cpro-account login")
    since: Text | None = Field(None, description="Epoch seconds or ISO 8601 (real time)")
    limit: Text | None = Field(None, description="Matching requests returned (newest)")
    bodyPartial: Text | None = Field(None, description="JSON the body contains")
    bodyEqual: Text | None = Field(None, description="JSON the body equals")


def _number(name: str, text: str, kind: type) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number") from None


def matcher_from_query(args: Any) -> dict:
    """A ``RequestMatcher`` document from a query string (a werkzeug ``MultiDict``):
    ``query.NAME`` and ``header.NAME`` give equal-to matchers, ``bodyPartial`` and
    ``bodyEqual`` are JSON text, numbers are read as numbers. Raises ``ValueError``."""
    data: dict[str, Any] = {}
    for name in args:
        values = args.getlist(name)
        last = values[-1]
        if name == "method":
            data[name] = values[0] if len(values) == 1 else values
        elif name in ("status", "limit"):
            data[name] = _number(name, last, int)
        elif name == "since":
            try:
                data[name] = float(last)
            except ValueError:
                data[name] = last
        elif name in ("bodyPartial", "bodyEqual"):
            try:
                data[name] = json.loads(last)
            except ValueError:
                raise ValueError(f"{name}: not valid JSON") from None
        elif name.startswith("query.") and len(name) > 6:
            data.setdefault("query", {})[name[6:]] = last
        elif name.startswith("header.") and len(name) > 7:
            data.setdefault("headers", {})[name[7:]] = last
        else:
            data[name] = last  # a known text field, or an unknown one RequestMatcher refuses
    return data


class RequestMatcher(Request):
    """Which journaled requests count (every field optional; all given must hold)."""

    method: Text | list[Text] | None = Field(None, description="Method(s); absent or '*' = any")
    path: Text | None = Field(None, max_length=2000, description="Exact path")
    pathGlob: Text | None = Field(None, max_length=2000, description="Glob on the path")
    pathRegex: Text | None = Field(None, max_length=2000, description="Full-match regex")
    query: dict[Text, Matcher] | None = Field(None, max_length=50,
                                              description="Query parameters")
    headers: dict[Text, Matcher] | None = Field(
        None, max_length=50, description="Request headers (names in any case)")
    bodyPartial: JsonValue = Field(None, description="The JSON/form body contains this")
    bodyEqual: JsonValue = Field(None, description="The JSON/form body equals this")
    status: int | None = Field(None, ge=0, le=599, description="Status answered")
    clientId: Text | None = Field(None, max_length=200)
    account: Text | None = Field(None, max_length=320, description="cpro-account login")
    since: float | Text | None = Field(
        None, description="Only requests received at or after this instant (epoch seconds "
        "or ISO 8601; real time, not the sandbox clock)")
    limit: int = Field(100, ge=0, le=10_000, description="Matching requests returned "
                       "(newest); count is always the total")

    @field_validator("method")
    @classmethod
    def _known_methods(cls, value: str | list[str] | None) -> str | list[str] | None:
        return known_methods(value)

    @field_validator("pathRegex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return regex(value)

    @field_validator("since")
    @classmethod
    def _since(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("an ISO 8601 instant or epoch seconds") from None
        elif value is not None and not 0 <= value <= 1e11:
            raise ValueError("epoch seconds between 0 and 1e11")
        return value

    @model_validator(mode="after")
    def _one_path(self) -> RequestMatcher:
        if len(self.given() & {"path", "pathGlob", "pathRegex"}) > 1:
            raise ValueError("give one of path, pathGlob, pathRegex")
        return self


class NearMiss(Answer):
    request: JournalEntry
    mismatches: list[str]


class VerifyView(Answer):
    count: int = Field(description="Requests that matched")
    requests: list[JournalEntry] = Field(description="The newest 'limit' of them, oldest first")
    nearMisses: list[NearMiss] = Field(description="Up to 3 other requests closest to the "
                                       "matcher, with what differs")


class UnmatchedEntry(JournalEntry):
    closest: list[str] = Field(default_factory=list,
                               description="Routes of the API with a similar path")


class UnmatchedView(Answer):
    count: int
    requests: list[UnmatchedEntry]


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


# --- PISTE applications and their subscriptions (issue #21.6) ------------------------


class ApplicationApisChange(Request):
    apis: list[Annotated[ApiPiste, Strict(False)]] = Field(
        max_length=len(ApiPiste),
        description="The Chorus Pro APIs the application subscribes to (path segments: "
        "structures, utilisateurs, transverses, factures, facturesTravaux, "
        "engagementsJuridiques, organisations); [] for none")


class ApplicationView(Answer):
    clientId: str
    name: str
    owner: str | None = Field(description="login of the portal user who created it")
    apis: list[str] = Field(description="the APIs it may call, in catalogue order")
    allApis: bool = Field(description="true: no subscription set, every API (the default)")


class ApplicationsView(Answer):
    applications: list[ApplicationView]
