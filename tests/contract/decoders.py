"""How each public client decodes an answer, rewritten as checks (no client code here).

- ``go_decode``: Go's ``encoding/json`` into go-choruspro's response structs: unknown
  fields ignored, ``null`` leaves a plain value at its zero value, a JSON type that does
  not fit the Go type is an error, ints must be integer literals within their width,
  ``Datetime``/``Date`` (go-choruspro ``date.go``) parse ``"2006-01-02 15:04"`` /
  ``"2006-01-02"`` and, being non-pointer ``Unmarshaler``s, fail on ``null``; pointers
  (``*Datetime``) take ``null``; ``time.Time`` takes RFC 3339 (or ``null``).
- ``php_decode``: piste-gouv-fr's ``FieldDefinition::castFromWsReturnArray``: a required
  field must be present, an enum value must be in its list, a ``string($date-time)``
  must match one of its six layouts, ``[object]`` must be a list; and ``ChorusPro::post``
  throws unless ``codeRetour`` is absent or exactly the integer 0.
- ``reads``: clients that index the decoded JSON (OCA, chorus-api, Pastell): each path
  they read must exist with the type they use (``?`` = read with ``.get``).

Specs are dicts of field -> type name, nested dict (struct) or one-element list (slice).
"""

from __future__ import annotations

import re
from datetime import datetime

INT_RANGES = {
    "int": (-(2**63), 2**63 - 1),  # Go int on amd64
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
GO_LAYOUTS = {"Datetime": "%Y-%m-%d %H:%M", "Date": "%Y-%m-%d"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _parses(text: str, layout: str) -> bool:
    """``datetime.strptime(text, layout)`` succeeds (no trailing text, as in Python)."""
    try:
        datetime.strptime(text, layout)
    except ValueError:
        return False
    return True


def _go_layout(text: str, layout: str) -> bool:
    try:
        return datetime.strptime(text, layout).strftime(layout) == text
    except ValueError:
        return False


def go_decode(value, spec, path: str = "$") -> list[str]:  # noqa: ANN001, C901, PLR0911, PLR0912
    """The errors ``json.Unmarshal`` would return for ``value`` into ``spec``."""
    if isinstance(spec, dict):
        if value is None:
            return []
        if not isinstance(value, dict):
            return [f"{path}: cannot unmarshal {type(value).__name__} into a Go struct"]
        problems = []
        for name, sub in spec.items():
            if name in value:
                problems += go_decode(value[name], sub, f"{path}.{name}")
        return problems
    if isinstance(spec, list):
        if value is None:
            return []
        if not isinstance(value, list):
            return [f"{path}: cannot unmarshal {type(value).__name__} into a Go slice"]
        return [p for i, item in enumerate(value) for p in go_decode(item, spec[0], f"{path}[{i}]")]
    pointer = spec.startswith("*")
    kind = spec.lstrip("*")
    if value is None:
        if kind in GO_LAYOUTS and not pointer:
            return [f"{path}: {kind}.UnmarshalJSON(null): parsing time \"null\" fails"]
        return []
    if kind == "string":
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a Go string"]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a Go bool"]
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: {value!r} is not an integer literal for Go {kind}"]
        return [] if low <= value <= high else [f"{path}: {value} overflows Go {kind}"]
    if kind in ("float32", "float64"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a Go {kind}"]
    if kind in GO_LAYOUTS:
        layout = GO_LAYOUTS[kind]
        if isinstance(value, str) and _go_layout(value, layout):
            return []
        return [f"{path}: {value!r} does not parse as go-choruspro {kind} {layout!r}"]
    if kind == "time.Time":
        if isinstance(value, str) and RFC3339.match(value):
            return []
        return [f"{path}: {value!r} is not an RFC 3339 time.Time"]
    raise ValueError(f"unknown Go type {spec!r}")


PHP_DATE_LAYOUTS = (
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$",  # Y-m-d\TH:i:s.vp
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$",  # Y-m-d\TH:i:sP / p
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",  # Y-m-d\TH:i:sO
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$",  # Y-m-d H:i
    r"^\d{4}-\d{2}-\d{2}$",  # Y-m-d
)


def php_decode(value, spec, path: str = "$", top: bool = True) -> list[str]:  # noqa: ANN001, C901
    """The exceptions piste-gouv-fr would throw building its WsRetour from ``value``.

    ``spec``: field -> (type, required[, enum values | nested spec]).
    """
    problems = []
    if top and isinstance(value, dict) and "codeRetour" in value and value["codeRetour"] != 0:
        problems.append(f"{path}.codeRetour: {value['codeRetour']!r} !== 0 (PisteException)")
    if not isinstance(value, dict):
        return [*problems, f"{path}: not a JSON object"]
    for name, (kind, required, *extra) in spec.items():
        where = f"{path}.{name}"
        if name not in value:
            if required:
                problems.append(f"{where}: required field missing")
            continue
        item = value[name]
        if kind == "object":
            problems += php_decode(item, extra[0], where, top=False)
        elif kind == "[object]":
            if not isinstance(item, list):
                problems.append(f"{where}: foreach over {type(item).__name__}")
                continue
            for i, element in enumerate(item):
                problems += php_decode(element, extra[0], f"{where}[{i}]", top=False)
        elif kind == "datetime":
            if item and not any(re.match(p, str(item)) for p in PHP_DATE_LAYOUTS):
                problems.append(f"{where}: {item!r} matches no layout (PisteException)")
        elif extra and extra[0] is not None and item not in extra[0]:
            problems.append(f"{where}: {item!r} not in its enum (PisteException)")
    return problems


def reads(answer, paths: list[str]) -> list[str]:  # noqa: ANN001
    """Check the paths a dict-indexing client reads: ``a.b[].c:int`` (``?`` after a
    name: read with ``.get``, may be absent; the type after ``:`` is the Python type
    the client's code needs: int, str, bool, dict, list, num; ``date``: a str that
    ``datetime.strptime(value, "%Y-%m-%d")`` parses, as Tryton does)."""
    types = {"int": int, "str": str, "bool": bool, "dict": dict, "list": list,
             "num": (int, float)}
    problems = []
    for spec in paths:
        route, _, kind = spec.partition(":")
        nodes = [("$", answer)]
        for part in route.split("."):
            each = part.endswith("[]")
            name = part.removesuffix("[]")
            optional = name.endswith("?")
            name = name.rstrip("?")
            nxt = []
            for where, node in nodes:
                if not isinstance(node, dict):
                    problems.append(f"{where}: {type(node).__name__} read as a dict")
                    continue
                if name not in node or node[name] is None:
                    if not optional:
                        problems.append(f"{where}.{name}: missing (KeyError/TypeError)")
                    continue
                child = node[name]
                if each:
                    if not isinstance(child, list):
                        problems.append(f"{where}.{name}: not a list")
                        continue
                    nxt += [(f"{where}.{name}[{i}]", c) for i, c in enumerate(child)]
                else:
                    nxt.append((f"{where}.{name}", child))
            nodes = nxt
        if kind == "date":
            problems += [f"{where}: {node!r} does not parse as %Y-%m-%d"
                         for where, node in nodes
                         if not isinstance(node, str) or not _parses(node, "%Y-%m-%d")]
        elif kind:
            wanted = types[kind]
            for where, node in nodes:
                bad = isinstance(node, bool) and kind in ("int", "num")
                if bad or not isinstance(node, wanted):
                    problems.append(f"{where}: {node!r} is not {kind}")
    return problems
