"""Fault rules: latency, errors, dropped connections and the maintenance switch.

The rules live in ``sandbox_state.faults`` (shared by every worker) as a JSON
document ``{"seed", "revision", "rules": [...]}``; each request already carries
that row in ``g.sandbox_state``. Parsed rules and their random generators are
cached per process by revision, so a request pays no parsing and no database
access for faults. Each rule draws from its own ``random.Random`` seeded with
``(seed, rule index)``: in one process, the same seed gives the same sequence of
outcomes; with several workers each worker follows that sequence for the requests
it serves.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

# Paths no fault ever touches: the control plane and the health check.
EXEMPT_PREFIXES = ("/_sandbox", "/health")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class FaultError(ValueError):
    """A fault document that cannot be applied (message says which field)."""


@dataclass(frozen=True)
class Rule:
    """One parsed fault rule."""

    index: int
    methods: frozenset[str] | None  # None: any method
    glob: str | None
    regex: re.Pattern[str] | None
    probability: float
    latency_min_ms: float
    latency_max_ms: float
    status: int | None
    drop: bool

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this rule targets ``method path``."""
        if self.methods is not None and method not in self.methods:
            return False
        if self.regex is not None:
            return self.regex.fullmatch(path) is not None
        return fnmatch.fnmatchcase(path, self.glob or "*")


@dataclass(frozen=True)
class Outcome:
    """What the faults decided for one request."""

    latency_ms: float = 0.0
    status: int | None = None
    drop: bool = False
    rules: tuple[int, ...] = ()

    @property
    def label(self) -> str | None:
        """Short description for the journal."""
        parts = []
        if self.latency_ms:
            parts.append(f"latency:{self.latency_ms:.0f}ms")
        if self.drop:
            parts.append("drop")
        elif self.status:
            parts.append(f"error:{self.status}")
        return ",".join(parts) or None


def _number(raw: Any, where: str, low: float, high: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FaultError(f"{where}: expected a number, got {raw!r}")
    if raw < low or (high is not None and raw > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise FaultError(f"{where}: must be {bound}, got {raw!r}")
    return float(raw)


def parse_rule(index: int, raw: Any) -> Rule:
    """Validate one rule of a fault document."""
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise FaultError(f"{where}: expected an object")
    known = {"method", "path", "pathRegex", "probability", "latency", "error"}
    unknown = set(raw) - known
    if unknown:
        raise FaultError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    method = raw.get("method")
    methods: frozenset[str] | None = None
    if method not in (None, "*"):
        names = [method] if isinstance(method, str) else method
        if not isinstance(names, list) or not all(isinstance(m, str) for m in names):
            raise FaultError(f"{where}.method: a method name, a list of them or '*'")
        methods = frozenset(m.upper() for m in names)
        if not methods <= METHODS:
            raise FaultError(f"{where}.method: unknown method(s) {sorted(methods - METHODS)}")
    glob = raw.get("path")
    pattern = raw.get("pathRegex")
    if glob is not None and pattern is not None:
        raise FaultError(f"{where}: give 'path' (glob) or 'pathRegex', not both")
    if glob is not None and (not isinstance(glob, str) or not glob.startswith(("/", "*"))):
        raise FaultError(f"{where}.path: a glob starting with '/' or '*', e.g. '/cpro/*'")
    regex = None
    if pattern is not None:
        if not isinstance(pattern, str):
            raise FaultError(f"{where}.pathRegex: expected a string")
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise FaultError(f"{where}.pathRegex: invalid regular expression ({error})") from None
    probability = _number(raw.get("probability", 1.0), f"{where}.probability", 0.0, 1.0)
    latency = raw.get("latency")
    low = high = 0.0
    if latency is not None:
        if not isinstance(latency, dict) or not latency:
            raise FaultError(f"{where}.latency: {{'ms': N}} or {{'minMs': A, 'maxMs': B}}")
        if "ms" in latency:
            if set(latency) != {"ms"}:
                raise FaultError(f"{where}.latency: 'ms' alone, or 'minMs' and 'maxMs'")
            low = high = _number(latency["ms"], f"{where}.latency.ms", 0, 120_000)
        else:
            if set(latency) != {"minMs", "maxMs"}:
                raise FaultError(f"{where}.latency: 'ms' alone, or 'minMs' and 'maxMs'")
            low = _number(latency["minMs"], f"{where}.latency.minMs", 0, 120_000)
            high = _number(latency["maxMs"], f"{where}.latency.maxMs", 0, 120_000)
            if high < low:
                raise FaultError(f"{where}.latency: maxMs must be >= minMs")
    error = raw.get("error")
    status = None
    drop = False
    if error is not None:
        if not isinstance(error, dict) or set(error) - {"status", "drop"} or not error:
            raise FaultError(f"{where}.error: {{'status': 503}} or {{'drop': true}}")
        if error.get("drop") is True:
            if "status" in error:
                raise FaultError(f"{where}.error: 'status' and 'drop' exclude each other")
            drop = True
        elif "drop" in error and error["drop"] is not False:
            raise FaultError(f"{where}.error.drop: expected true or false")
        else:
            raw_status = error.get("status")
            if isinstance(raw_status, bool) or not isinstance(raw_status, int) or not (
                400 <= raw_status <= 599
            ):
                raise FaultError(f"{where}.error.status: an HTTP error status (400-599)")
            status = raw_status
    if latency is None and error is None:
        raise FaultError(f"{where}: give 'latency', 'error' or both")
    return Rule(
        index=index,
        methods=methods,
        glob=glob if regex is None else None,
        regex=regex,
        probability=probability,
        latency_min_ms=low,
        latency_max_ms=high,
        status=status,
        drop=drop,
    )


def normalise(document: Any, previous_seed: int) -> dict:
    """Validate a PUT body; return the document to store (with a new revision)."""
    if not isinstance(document, dict):
        raise FaultError("expected a JSON object with 'rules' (and optionally 'seed', 'maintenance')")
    unknown = set(document) - {"rules", "seed", "maintenance"}
    if unknown:
        raise FaultError(f"unknown field(s) {', '.join(sorted(unknown))}")
    rules = document.get("rules", [])
    if not isinstance(rules, list):
        raise FaultError("rules: expected a list")
    if len(rules) > 100:
        raise FaultError("rules: at most 100 rules")
    for index, raw in enumerate(rules):
        parse_rule(index, raw)
    seed = document.get("seed", previous_seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise FaultError("seed: expected an integer")
    maintenance = document.get("maintenance")
    if maintenance is not None and not isinstance(maintenance, bool):
        raise FaultError("maintenance: expected true or false")
    return {"seed": seed, "revision": uuid.uuid4().hex, "rules": rules}


class _Compiled:
    def __init__(self, document: dict) -> None:
        self.rules = [parse_rule(i, raw) for i, raw in enumerate(document.get("rules", []))]
        seed = document.get("seed", 0)
        self.randoms = [random.Random(f"{seed}:{rule.index}") for rule in self.rules]
        self.lock = threading.Lock()


_cache: dict[str, _Compiled] = {}
_cache_lock = threading.Lock()


def _compiled(document: dict) -> _Compiled | None:
    revision = document.get("revision")
    if not revision or not document.get("rules"):
        return None
    with _cache_lock:
        found = _cache.get(revision)
        if found is None:
            _cache.clear()  # only the rules in force matter
            found = _cache[revision] = _Compiled(document)
        return found


def decide(document: dict | None, method: str, path: str) -> Outcome | None:
    """Draw the faults for one request; None when no rule applies."""
    if not document or path.startswith(EXEMPT_PREFIXES):
        return None
    compiled = _compiled(document)
    if compiled is None:
        return None
    latency = 0.0
    status = None
    drop = False
    fired: list[int] = []
    with compiled.lock:
        for rule, rng in zip(compiled.rules, compiled.randoms, strict=True):
            if not rule.matches(method, path):
                continue
            # Draw the same numbers whatever the outcome, so the sequence is stable.
            hit = rng.random() < rule.probability
            delay = rng.uniform(rule.latency_min_ms, rule.latency_max_ms)
            if not hit:
                continue
            fired.append(rule.index)
            latency += delay
            if status is None and not drop:
                status, drop = rule.status, rule.drop
    if not fired:
        return None
    return Outcome(latency_ms=latency, status=status, drop=drop, rules=tuple(fired))
