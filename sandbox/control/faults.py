"""Fault rules: latency, errors, dropped connections, overrides and the maintenance switch.

The rules are validated by ``schemas.FaultDocument`` and live in
``sandbox_state.faults`` (shared by every worker) as a JSON document
``{"seed", "revision", "rules": [...]}``; each request already carries that row
in ``g.sandbox_state``. Parsed rules and their random generators are cached per
process by revision, so a request pays no parsing and no database access for faults.
Each rule draws from its own ``random.Random`` seeded with ``(seed, rule index)``: in
one process, the same seed gives the same sequence of outcomes; with several workers
each worker follows that sequence for the requests it serves.

An override is a rule with a ``response`` (status, JSON body, headers) answered instead
of the real handler. Any rule may also require a JSON/form body subset
(``bodyPartial``) and fire only ``times`` times: those uses are counted in the database
(``consume``, given by the hooks), keyed by the rule's content, so every worker shares
the count and a PUT that keeps a rule unchanged keeps its count.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.control import matching
from sandbox.control.schemas import FaultDocument, FaultRule

# Paths no fault ever touches: the control plane and the health check.
EXEMPT_PREFIXES = ("/_sandbox", "/health")


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
    response: dict | None = None  # an override: {"status", "body", "headers"}
    body_partial: Any = None
    has_body_partial: bool = False
    times: int | None = None
    key: str = ""
    name: str | None = None

    @property
    def label(self) -> str:
        """How the journal and the X-Sandbox-Override header name this rule."""
        return self.name or f"rule {self.index}"

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
    response: dict | None = None
    override: str | None = None  # the label of the override rule that answers

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
        elif self.response is not None:
            parts.append(f"override:{self.response['status']}")
        return ",".join(parts) or None


def rule_keys(rules: list[dict]) -> list[str]:
    """A key per stored rule: its content (canonical JSON) and its rank among identical
    rules, hashed. Counts of ``times`` live under it."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for raw in rules:
        text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
        seen[text] = seen.get(text, 0) + 1
        keys.append(hashlib.sha256(f"{text}#{seen[text]}".encode()).hexdigest())
    return keys


def compile_rule(index: int, rule: FaultRule, key: str = "") -> Rule:
    """Turn one validated rule (``schemas.FaultRule``) into what ``decide`` draws from."""
    methods = None
    if rule.method is not None and rule.method != "*":
        names = [rule.method] if isinstance(rule.method, str) else rule.method
        methods = frozenset(m.upper() for m in names)
    low, high = rule.latency.bounds if rule.latency is not None else (0.0, 0.0)
    error = rule.error
    return Rule(
        index=index,
        methods=methods,
        glob=rule.path if rule.pathRegex is None else None,
        regex=re.compile(rule.pathRegex) if rule.pathRegex is not None else None,
        probability=rule.probability,
        latency_min_ms=low,
        latency_max_ms=high,
        status=error.status if error is not None and not error.drop else None,
        drop=bool(error is not None and error.drop),
        response=rule.response.model_dump() if rule.response is not None else None,
        body_partial=rule.bodyPartial,
        has_body_partial="bodyPartial" in rule.model_fields_set,
        times=rule.times,
        key=key,
        name=rule.name,
    )


def normalise(document: FaultDocument, previous_seed: int) -> dict:
    """The document to store for a validated PUT body (with a new revision).

    Rules are stored as they were given (no defaults filled in), so GET shows them so.
    """
    return {
        "seed": previous_seed if document.seed is None else document.seed,
        "revision": uuid.uuid4().hex,
        "rules": [rule.model_dump(exclude_unset=True) for rule in document.rules],
    }


class _Compiled:
    def __init__(self, document: dict) -> None:
        raws = document.get("rules", [])
        self.rules = [compile_rule(i, FaultRule.model_validate(raw), key)
                      for i, (raw, key) in enumerate(zip(raws, rule_keys(raws), strict=True))]
        self.spent: set[str] = set()  # keys whose 'times' this process saw used up
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


def decide(document: dict | None, method: str, path: str,
           body: Callable[[], Any] | None = None,
           consume: Callable[[str, int], bool] | None = None) -> Outcome | None:
    """Draw the faults for one request; None when no rule applies.

    ``body()`` gives the request's parsed body (asked only by a rule with
    ``bodyPartial``); ``consume(key, times)`` takes one use of a rule with ``times``
    and tells whether one was left (without it such rules never fire).
    """
    if not document or path.startswith(EXEMPT_PREFIXES):
        return None
    compiled = _compiled(document)
    if compiled is None:
        return None
    latency = 0.0
    status = None
    drop = False
    response = None
    override = None
    fired: list[int] = []
    with compiled.lock:
        draws = []
        for rule, rng in zip(compiled.rules, compiled.randoms, strict=True):
            if not rule.matches(method, path):
                continue
            # Draw the same numbers whatever the outcome, so the sequence is stable.
            draws.append((rule, rng.random() < rule.probability,
                          rng.uniform(rule.latency_min_ms, rule.latency_max_ms)))
    for rule, hit, delay in draws:
        if not hit:
            continue
        if rule.has_body_partial and (
                body is None or matching.subset_mismatch(rule.body_partial, body()) is not None):
            continue
        if rule.times is not None and not _take(compiled, rule, consume):
            continue
        fired.append(rule.index)
        latency += delay
        if status is None and not drop and response is None:
            status, drop = rule.status, rule.drop
            if rule.response is not None:
                response, override = rule.response, rule.label
    if not fired:
        return None
    return Outcome(latency_ms=latency, status=status, drop=drop, rules=tuple(fired),
                   response=response, override=override)


def _take(compiled: _Compiled, rule: Rule, consume: Callable[[str, int], bool] | None) -> bool:
    if consume is None or rule.key in compiled.spent:
        return False
    if consume(rule.key, rule.times or 0):
        return True
    compiled.spent.add(rule.key)  # counts only grow while this revision is in force
    return False
