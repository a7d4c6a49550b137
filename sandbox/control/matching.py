"""Request matching for verification and overrides (WireMock's request matchers).

Pure functions over plain data: what the journal keeps of a request (masked headers,
the parsed and masked body) and whether a journaled request matches a
``schemas.RequestMatcher``, with the reasons when it does not ("near misses").

Body matching is by JSON subset (``bodyPartial``, like WireMock's ``equalToJson`` with
``ignoreExtraElements`` and ``ignoreArrayOrder``): an expected object matches an object
that has at least its keys, each value matching; an expected array matches an array
in which every expected item matches a distinct item, in any order; other values match
when equal (``1`` matches ``1.0``, not ``true``).
"""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from sandbox.control.schemas import RequestMatcher, StringMatcher

# Keys and form fields whose values never reach the journal.
SECRET_KEY = re.compile(r"pass|secret|token|motdepasse|mot_de_passe|credential", re.I)
# Headers kept only as "***" (their presence can still be verified).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "cpro-account",
                            "x-sandbox-token"})
MASK = "***"
STRING_KEPT = 2000
HEADER_KEPT = 500


def mask_headers(headers: Any) -> dict[str, str]:
    """The request headers as the journal keeps them (lower-case names, secrets masked;
    ``Authorization`` keeps its scheme)."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key == "authorization" or key == "proxy-authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            kept[key] = f"{scheme} {MASK}".strip()
        elif key in SECRET_HEADERS:
            kept[key] = MASK
        else:
            kept[key] = value[:HEADER_KEPT]
    return kept


def mask_body(value: Any, *, shorten: bool = True) -> Any:
    """A parsed body with the values of secret-looking keys masked (and, with
    ``shorten``, strings over 2,000 characters cut, marked with their length)."""
    if isinstance(value, dict):
        return {key: MASK if SECRET_KEY.search(str(key)) and item is not None
                else mask_body(item, shorten=shorten) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_body(item, shorten=shorten) for item in value]
    if shorten and isinstance(value, str) and len(value) > STRING_KEPT:
        return f"{value[:STRING_KEPT]}…[{len(value)} characters]"
    return value


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return expected == actual


def subset_mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """None if ``actual`` contains ``expected`` (see the module's doc), else the first
    difference as ``$.path: why``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {_short(actual)}"
        for key, item in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing"
            problem = subset_mismatch(item, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected an array, got {_short(actual)}"
        free = list(range(len(actual)))
        for n, item in enumerate(expected):
            found = next((i for i in free if subset_mismatch(item, actual[i]) is None), None)
            if found is None:
                return f"{where}[{n}]: no item matches {_short(item)}"
            free.remove(found)
        return None
    if _same(expected, actual):
        return None
    return f"{where}: expected {_short(expected)}, got {_short(actual)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def string_mismatch(matcher: str | StringMatcher, value: str | None) -> str | None:
    """None if ``value`` (None: not sent) satisfies ``matcher``, else why not."""
    if isinstance(matcher, str):
        matcher = StringMatcher.model_validate({"equalTo": matcher})
    if matcher.absent is not None:
        if matcher.absent and value is not None:
            return f"sent ({_short(value)}), expected absent"
        if not matcher.absent and value is None:
            return "absent, expected present"
        return None
    if value is None:
        return "absent"
    if matcher.equalTo is not None and value != matcher.equalTo:
        return f"{_short(value)} is not {_short(matcher.equalTo)}"
    if matcher.contains is not None and matcher.contains not in value:
        return f"{_short(value)} does not contain {_short(matcher.contains)}"
    if matcher.matches is not None and re.fullmatch(matcher.matches, value) is None:
        return f"{_short(value)} does not match /{matcher.matches}/"
    return None


def since_epoch(since: float | str | None) -> float | None:
    """``since`` (epoch seconds or ISO 8601, already validated) as epoch seconds."""
    if since is None or isinstance(since, int | float):
        return since
    instant = datetime.fromisoformat(since.replace("Z", "+00:00"))
    if instant.tzinfo is None:  # a naive instant is taken as UTC
        instant = instant.replace(tzinfo=UTC)
    return instant.timestamp()


def mismatches(m: RequestMatcher, entry: dict) -> list[str]:
    """What in ``entry`` (a journal entry) differs from ``m``; empty when it matches."""
    found: list[str] = []
    method = entry.get("method", "")
    if m.method is not None and m.method != "*":
        names = {x.upper() for x in ([m.method] if isinstance(m.method, str) else m.method)}
        if method not in names:
            found.append(f"method: {method}, expected {'|'.join(sorted(names))}")
    path = entry.get("path", "")
    if m.path is not None and path != m.path:
        found.append(f"path: {path}, expected {m.path}")
    if m.pathGlob is not None and not fnmatch.fnmatchcase(path, m.pathGlob):
        found.append(f"path: {path} does not match the glob {m.pathGlob}")
    if m.pathRegex is not None and re.fullmatch(m.pathRegex, path) is None:
        found.append(f"path: {path} does not match /{m.pathRegex}/")
    if m.status is not None and entry.get("status") != m.status:
        found.append(f"status: {entry.get('status')}, expected {m.status}")
    if m.clientId is not None and entry.get("clientId") != m.clientId:
        found.append(f"clientId: {entry.get('clientId')}, expected {m.clientId}")
    if m.account is not None and (entry.get("account") or "").lower() != m.account.lower():
        found.append(f"account: {entry.get('account')}, expected {m.account}")
    if m.query:
        params = parse_qs(entry.get("query") or "", keep_blank_values=True)
        for name, matcher in m.query.items():
            values = params.get(name)
            problem = string_mismatch(matcher, values[0] if values else None)
            if problem:
                found.append(f"query {name}: {problem}")
    if m.headers:
        headers = entry.get("headers") or {}
        for name, matcher in m.headers.items():
            problem = string_mismatch(matcher, headers.get(name.lower()))
            if problem:
                found.append(f"header {name}: {problem}")
    if "bodyPartial" in m.model_fields_set or "bodyEqual" in m.model_fields_set:
        found.extend(_body_mismatches(m, entry))
    return found


def _body_mismatches(m: RequestMatcher, entry: dict) -> list[str]:
    if entry.get("bodyOmitted"):
        return [f"body: not kept ({entry['bodyOmitted']})"]
    body = entry.get("body")
    found = []
    if "bodyPartial" in m.model_fields_set:
        problem = subset_mismatch(m.bodyPartial, body)
        if problem:
            found.append(f"bodyPartial: {problem}")
    if "bodyEqual" in m.model_fields_set and not (
            subset_mismatch(m.bodyEqual, body) is None
            and subset_mismatch(body, m.bodyEqual) is None):
        found.append(f"bodyEqual: {_short(body)} is not {_short(m.bodyEqual)}")
    return found


def verify(m: RequestMatcher, entries: list[dict]) -> dict:
    """The verification answer: count, the newest ``limit`` matching entries, near misses."""
    since = since_epoch(m.since)
    matched: list[dict] = []
    missed: list[tuple[int, int, dict, list[str]]] = []
    for n, entry in enumerate(entries):
        if since is not None and entry.get("t", 0) < since:
            continue
        problems = mismatches(m, entry)
        if not problems:
            matched.append(entry)
        else:
            path_wrong = any(p.startswith("path") for p in problems)
            missed.append((len(problems) + (2 if path_wrong else 0), -n, entry, problems))
    missed.sort(key=lambda item: (item[0], item[1]))
    return {
        "count": len(matched),
        "requests": matched[-m.limit:] if m.limit else [],
        "nearMisses": [{"request": entry, "mismatches": problems}
                       for _, _, entry, problems in missed[:3]],
    }
